"""bin/darknet-forward against tests/torch/dn_torch.py on the same weights
and the same input tensors.

Builds records that carry `input` (f32 [3, H, W], docs/records.md section 4;
darknet-forward skips decoding for them) with numpy, pipes them through
bin/darknet-forward, and compares every head's `output` tensor with
dn_torch's raw head output for that input: max |ours - torch| / max |torch|
per head must be at most --tol (default 1e-4). dn_torch runs batch norm
unfolded, exactly as darknet writes it, so the two sides compute the same
function by different code (darknet-forward: folded batch norm, OpenBLAS;
torch: oneDNN convolutions).

    /usr/bin/python3 tests/torch/check_forward.py --cfg C (--weights W | --random SEED)
        [--width N --height N] [--images N] [--batch N] [--seed S] [--tol T]
        [--forward bin/darknet-forward]

Inputs: image 0 is uniform noise in [0, 1]; the others are smooth random
pictures (noise on a coarse grid, upsampled, plus gradients), closer to
what a photo gives a network. Exit 0 if every head agrees, 1 if not, 2 on
a usage or run error.
"""
import argparse
import io
import os
import subprocess
import sys
import tempfile

import msgpack
import numpy as np

try:
    import torch
except ImportError:
    print("check_forward: no torch (Debian: apt-get install python3-torch)", file=sys.stderr)
    sys.exit(2)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dn_torch  # noqa: E402


def make_inputs(n, c, h, w, seed):
    """n float32 images [c, h, w] in [0, 1]."""
    rng = np.random.default_rng(seed)
    out = [rng.random((c, h, w), dtype=np.float32)]
    for _ in range(1, n):
        cell = int(rng.integers(8, 33))
        coarse = rng.random((c, h // cell + 2, w // cell + 2))
        img = np.kron(coarse, np.ones((cell, cell)))[:, :h, :w]
        ys, xs = np.mgrid[0:h, 0:w]
        img = 0.6 * img + 0.4 * (ys / h * rng.random() + xs / w * rng.random())[None]
        out.append(np.clip(img, 0, 1).astype(np.float32))
    return out


def records(inputs):
    buf = bytearray()
    for i, x in enumerate(inputs):
        rec = {"id": f"check-{i}", "input": {"dtype": "f32", "shape": list(x.shape),
                                             "data": x.astype("<f4").tobytes()}}
        buf += msgpack.packb(rec, use_bin_type=True)
    return bytes(buf)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, **kw)
    if r.returncode != 0:
        sys.exit(f"check_forward: {' '.join(cmd)}: exit {r.returncode}: "
                 f"{r.stderr.decode(errors='replace').strip()}")
    return r.stdout


def tensor(t):
    return np.frombuffer(t["data"], "<f4").reshape(t["shape"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cfg", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--weights")
    src.add_argument("--random", type=int, metavar="SEED")
    ap.add_argument("--width", type=int)
    ap.add_argument("--height", type=int)
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--forward", default="bin/darknet-forward")
    a = ap.parse_args()
    torch.set_num_threads(2)
    size = []
    if a.width:
        size += ["--width", str(a.width)]
    if a.height:
        size += ["--height", str(a.height)]
    net = dn_torch.DarknetNet(a.cfg, a.width, a.height)
    with tempfile.TemporaryDirectory(prefix="check-forward.") as tmp:
        weights = a.weights
        if weights is None:
            weights = os.path.join(tmp, "random.weights")
            run([a.forward, "--cfg", a.cfg, "--random", str(a.random), "--save-weights",
                 weights, "--quiet"] + size, stdin=subprocess.DEVNULL)
        net.load_weights(weights)
        inputs = make_inputs(a.images, net.c, net.h, net.w, a.seed)
        out = run([a.forward, "--cfg", a.cfg, "--weights", weights, "--batch", str(a.batch),
                   "--quiet"] + size, input=records(inputs))
    recs = list(msgpack.Unpacker(io.BytesIO(out), raw=False, max_buffer_size=2**31))
    if len(recs) != len(inputs):
        sys.exit(f"check_forward: {len(inputs)} records in, {len(recs)} out")
    heads = [l for l in net.layers if l.kind in dn_torch.HEADS]
    worst, ok = 0.0, True
    print(f"# {os.path.basename(a.cfg)} {net.w}x{net.h}, {len(inputs)} images, "
          f"batch {a.batch}: max |darknet-forward - torch| / max |torch| per head")
    for i, (x, rec) in enumerate(zip(inputs, recs)):
        with torch.no_grad():
            ref = [t[0].numpy() for t in net(torch.from_numpy(x)[None])]
        got = rec.get("output", [])
        if "error" in rec or len(got) != len(ref):
            print(f"not ok image {i}: {len(got)} heads (want {len(ref)}), "
                  f"error={rec.get('error')!r}")
            ok = False
            continue
        for k, (r, g, l) in enumerate(zip(ref, got, heads)):
            y = tensor(g["tensor"])
            if g["type"] != l.kind or y.size != r.size:
                print(f"not ok image {i} head {k}: {g['type']} {list(y.shape)}, "
                      f"want {l.kind} {list(r.shape)}")
                ok = False
                continue
            rel = float(np.abs(y.reshape(r.shape) - r).max() / max(np.abs(r).max(), 1e-30))
            worst = max(worst, rel)
            good = rel <= a.tol
            ok &= good
            print(f"{'ok' if good else 'not ok'} image {i} head {k} ({l.kind} "
                  f"{list(y.shape)}): {rel:.3g}  (max |torch| {np.abs(r).max():.4g})")
    print(f"# worst {worst:.3g} (tolerance {a.tol:g}): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
