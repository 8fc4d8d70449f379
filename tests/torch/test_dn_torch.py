"""Checks tests/torch/dn_torch.py against libdarknet, through the fixtures
tests/darknet/make-fixtures.sh made (tests/fixtures/*.shapes, *.fwd):

- every layer's shape, output count and weight/bias counts, and the whole
  network's parameter count, for every shared cfg (*.shapes) and fixture;
- every layer's output (16 samples, max |x| and sum |x|, after darknet's
  in-place head activations) within 1e-4 of libdarknet's, relative to the
  layer's max |x|. The weights are this project's weights_random(seed) and
  the input fill_input(seed + 1) (tests/unit/test_network.c), reproduced
  here with the same xoshiro256** generator (common/base/rng.c). That is done in
  pure Python, fast enough for the small mixed-a/mixed-b nets (every layer
  type); the 96/128-pixel yolo fixtures are checked too when
  bin/darknet-forward can write those weights (--random SEED
  --save-weights), else reported as skipped;
- weights files: read/write round trip byte for byte (64-bit and 32-bit
  `seen`, connected layers stored transposed), wrong sizes refused;
- cfg errors: unknown section, route to a missing layer.

Run from the top of the repository:
    /usr/bin/python3 tests/torch/test_dn_torch.py
Prints TAP lines and "N passed, N failed"; exit 1 on a failure, 0 (with a
skip message) when torch is not installed.
"""
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

try:
    import torch
except ImportError:
    print("1..0 # skipped: no torch (Debian: apt-get install python3-torch)")
    sys.exit(0)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dn_torch  # noqa: E402

FX = "tests/fixtures"
SAMPLES = 16
TOL = 1e-4
M64 = (1 << 64) - 1


class Tap:
    def __init__(self):
        self.n = self.failed = 0

    def check(self, ok, msg):
        self.n += 1
        self.failed += not ok
        print(f"{'ok' if ok else 'not ok'} {self.n} - {msg}")
        return ok

    def skip(self, msg):
        """A check that cannot run here: TAP's "# SKIP", which
        tests/stage/test_torch.sh counts as skipped."""
        print(f"skip - {msg} # SKIP")

    def done(self):
        print(f"1..{self.n}")
        print(f"{self.n - self.failed} passed, {self.failed} failed")
        return 1 if self.failed else 0


class Rng:
    """common/base/rng.c: xoshiro256** seeded by splitmix64."""

    def __init__(self, seed):
        x = seed & M64
        self.s = []
        for _ in range(4):
            x = (x + 0x9e3779b97f4a7c15) & M64
            z = x
            z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
            z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & M64

    def u64(self):
        s = self.s
        out = (self.rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return out

    def uniform(self):
        return (self.u64() >> 11) * 2.0 ** -53

    def normal(self):
        u, v = 1.0 - self.uniform(), self.uniform()
        return math.sqrt(-2.0 * math.log(u)) * math.cos(6.283185307179586 * v)

    def normals(self, n, sd):
        """common/net/weights.c normals(): Marsaglia's polar method."""
        x = np.empty(n, np.float32)
        for i in range(0, n, 2):
            while True:
                u, v = 2 * self.uniform() - 1, 2 * self.uniform() - 1
                s = u * u + v * v
                if 0 < s < 1:
                    break
            m = sd * math.sqrt(-2 * math.log(s) / s)
            x[i] = u * m
            if i + 1 < n:
                x[i + 1] = v * m
        return x


def weights_random(net, seed):
    """common/net/weights.c weights_random, layer by layer in the same order."""
    r = Rng(seed)
    for l in net.layers:
        if not l.params:
            continue
        p = dict(l.params)
        fan = (l.inputs if l.kind == "connected" else l.k if l.kind == "local"
               else int(np.prod(l.wshape[1:])))
        p["weights"] = r.normals(p["weights"].size, math.sqrt(2.0 / fan))
        p["biases"] = r.normals(p["biases"].size, 0.1)
        if "scales" in p:
            for k in range(p["biases"].size):
                p["scales"][k] = 0.5 + r.uniform()
                p["mean"][k] = 0.1 * r.normal()
                p["var"][k] = 0.5 + r.uniform()
        l.params = [(name, p[name]) for name, _ in l.params]
    net._to_torch()


def head_activate(l, x):
    """What darknet's region/yolo/detection forward does in place, on one
    image's flat output x (common/net/layers/region.c, yolo.c, detection.c)."""
    x = x.astype(np.float64).copy()
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    o = l.opts
    if l.kind == "yolo":
        classes = int(o.get("classes", 20))
        y = x.reshape(-1, 5 + classes, l.out[1] * l.out[2])
        y[:, :2] = sig(y[:, :2])
        y[:, 4:] = sig(y[:, 4:])
        s = float(o.get("scale_x_y", 1))     # AlexeyAB's, about .5
        y[:, :2] = y[:, :2] * s - (s - 1) / 2
    elif l.kind == "region":
        coords, classes = int(o.get("coords", 4)), int(o.get("classes", 20))
        bg, soft = int(o.get("background", 0)), int(o.get("softmax", 0))
        y = x.reshape(-1, coords + 1 + classes, l.out[1] * l.out[2])
        y[:, :2] = sig(y[:, :2])
        if not bg:
            y[:, coords] = sig(y[:, coords])
        if soft:
            z = y[:, coords + (not bg):coords + 1 + classes]
            e = np.exp(z - z.max(1, keepdims=True))
            y[:, coords + (not bg):coords + 1 + classes] = e / e.sum(1, keepdims=True)
        else:
            y[:, coords + 1:] = sig(y[:, coords + 1:])
    elif l.kind == "detection" and int(o.get("softmax", 0)):
        side, classes = int(o.get("side", 7)), int(o.get("classes", 1))
        z = x[:side * side * classes].reshape(side * side, classes)
        e = np.exp(z - z.max(1, keepdims=True))
        x[:side * side * classes] = (e / e.sum(1, keepdims=True)).reshape(-1)
        return x
    else:
        return x
    return y.reshape(-1)


def read_fixture(path):
    """(header dict, [layer dict]) of a .shapes or .fwd fixture."""
    head, layers = {"seed": None, "ppm": None, "abw": None}, []
    with open(path) as f:
        for line in f:
            w = line.split()
            if line.startswith("# made by") and "forward" in w:
                head["seed"] = int(w[w.index("forward") + 4])
            elif line.startswith("# weights by python3 tests/darknet/ab-weights.py CFG"):
                head["abw"] = int(w[6])      # AlexeyAB's fixtures: that script's weights
            elif line.startswith("# input"):
                head["ppm"] = w[2]
            elif w and w[0] == "net":
                head.update(cfg=w[1], w=int(w[2]), h=int(w[3]), n=int(w[5]), np=int(w[6]))
            elif w and w[0] == "layer":
                d = dict(i=int(w[1]), type=w[2], c=int(w[3]), h=int(w[4]), w=int(w[5]),
                         outputs=int(w[6]), nweights=int(w[7]), nbiases=int(w[8]))
                if len(w) > 9:
                    d["maxabs"], d["sumabs"] = float(w[9]), float(w[10])
                    d["s"] = [float(v) for v in w[11:11 + SAMPLES]]
                layers.append(d)
    return head, layers


def layer_matches(l, f):
    c, h, w = l.out
    outputs = c * h * w
    shape = (f["c"], f["h"], f["w"]) in ((0, 0, 0), (c, h, w))
    sizes = dict(l.params)
    nw = sizes["weights"].size if "weights" in sizes else 0
    nb = sizes["biases"].size if "biases" in sizes else 0
    return (shape and outputs == f["outputs"] and l.kind == f["type"]
            and f["nweights"] in (0, nw) and f["nbiases"] in (0, nb))


def read_ppm(path):
    """An 8-bit binary PPM as [1, 3, h, w] / 255."""
    with open(path, "rb") as f:
        data = f.read()
    parts = data.split(maxsplit=4)
    w, h = int(parts[1]), int(parts[2])
    rgb = np.frombuffer(parts[4][:w * h * 3], np.uint8).reshape(h, w, 3)
    return (rgb.transpose(2, 0, 1)[None] / np.float32(255)).astype(np.float32)


def fixture_weights(net, seed, cfgpath, w, h, tmp, abw=None):
    """weights_random(seed) in net: pure Python for small nets, else via
    bin/darknet-forward --random; False if neither. With abw, the weights
    tests/darknet/ab-weights.py writes from that seed."""
    if abw is not None:
        out = os.path.join(tmp, "ab.weights")
        subprocess.run([sys.executable, "tests/darknet/ab-weights.py", cfgpath, str(abw), out],
                       check=True, stdin=subprocess.DEVNULL, capture_output=True)
        net.load_weights(out)
        return True
    if net.nparams() < 200000:
        weights_random(net, seed)
        return True
    if not os.access("bin/darknet-forward", os.X_OK):
        return False
    out = os.path.join(tmp, "w.weights")
    size = ["--width", str(w), "--height", str(h)] if (w, h) != (net.w, net.h) else []
    r = subprocess.run(["bin/darknet-forward", "--cfg", cfgpath, "--random", str(seed),
                        "--save-weights", out, "--quiet"] + size,
                       stdin=subprocess.DEVNULL, capture_output=True)
    if r.returncode != 0:
        print(f"# darknet-forward --random: {r.stderr.decode(errors='replace').strip()}")
        return False
    net.load_weights(out)
    return True


def compare_layer(l, y, f):
    """Worst relative error of our output y [1, ...] against the fixture."""
    x = head_activate(l, y.reshape(-1).numpy())
    scale = f["maxabs"] if f["maxabs"] > 0 else 1
    n = x.size
    worst = max(abs(x[k * (n - 1) // (SAMPLES - 1)] - f["s"][k]) / scale
                for k in range(SAMPLES))
    worst = max(worst, abs(np.abs(x).max() - f["maxabs"]) / scale)
    return max(worst, abs(np.abs(x).sum() - f["sumabs"]) / (f["sumabs"] or 1))


def check_fixture(t, name, tmp):
    head, fl = read_fixture(os.path.join(FX, name))
    if not os.path.exists(head["cfg"]):
        t.skip(f"{name}: {head['cfg']} not found")
        return
    net = dn_torch.DarknetNet(head["cfg"], head["w"], head["h"])
    t.check(len(net.layers) == head["n"] and net.nparams() == head["np"],
            f"{name}: {head['n']} layers, {head['np']} parameters as darknet "
            f"(got {len(net.layers)}, {net.nparams()})")
    bad = [f["i"] for f in fl if not layer_matches(net.layers[f["i"]], f)]
    t.check(not bad and len(fl) == len(net.layers),
            f"{name}: every layer's shape and counts match darknet's (differ: {bad})")
    if head["seed"] is None:
        return
    if not fixture_weights(net, head["seed"], head["cfg"], head["w"], head["h"], tmp,
                           head["abw"]):
        t.skip(f"{name}: outputs (needs bin/darknet-forward --random for weights)")
        return
    r = Rng(head["seed"] + 1)
    x = np.array([r.uniform() for _ in range(3 * head["w"] * head["h"])], np.float32)
    x = x.reshape(1, 3, head["h"], head["w"])
    if head["ppm"]:
        x = read_ppm(head["ppm"])
    with torch.no_grad():
        _, outs = net(torch.from_numpy(x), every=True)
    errs = [(compare_layer(net.layers[f["i"]], outs[f["i"]], f), f["i"]) for f in fl if "s" in f]
    worst = max(errs)
    t.check(worst[0] <= TOL, f"{name}: every layer's output within {TOL:g} of libdarknet's "
            f"(worst {worst[0]:.3g}, layer {worst[1]})")


def check_weights_io(t, tmp):
    cfg = os.path.join(FX, "mixed-b.cfg")
    net = dn_torch.DarknetNet(cfg)
    net.random_init(3)
    net.seen = 123456789012
    a, b = os.path.join(tmp, "a.weights"), os.path.join(tmp, "b.weights")
    net.save_weights(a)
    t.check(os.path.getsize(a) == 20 + 4 * net.nparams(),
            f"weights: version 0.2 file is a 20-byte header + {net.nparams()} floats")
    other = dn_torch.DarknetNet(cfg)
    other.load_weights(a)
    other.save_weights(b)
    same = open(a, "rb").read() == open(b, "rb").read()
    t.check(same and other.seen == net.seen, "weights: read then write gives the same bytes")
    # an old file: 32-bit seen, connected weights stored [inputs, outputs]
    net.minor = 1001
    net.save_weights(a)
    other = dn_torch.DarknetNet(cfg)
    other.load_weights(a)
    conn = [k for k, l in enumerate(net.layers) if l.kind == "connected"]
    eq = all(np.array_equal(dict(net.layers[k].params)["weights"],
                            dict(other.layers[k].params)["weights"]) for k in conn)
    raw = np.fromfile(a, "<f4", offset=16)
    stored_t = not np.array_equal(raw, np.concatenate([p for l in net.layers
                                                       for _, p in l.params]))
    t.check(os.path.getsize(a) == 16 + 4 * net.nparams() and eq and stored_t,
            "weights: version 0.1001 has a 16-byte header and transposed connected weights")
    # darknet-forward's file (mixed-a has a flipped conv): same bytes back
    fwd = os.path.join(tmp, "fwd.weights")
    cfg_a = os.path.join(FX, "mixed-a.cfg")
    if os.access("bin/darknet-forward", os.X_OK) and subprocess.run(
            ["bin/darknet-forward", "--cfg", cfg_a, "--random", "9", "--save-weights", fwd,
             "--quiet"], stdin=subprocess.DEVNULL, capture_output=True).returncode == 0:
        net_a = dn_torch.DarknetNet(cfg_a)
        net_a.load_weights(fwd)
        net_a.save_weights(a)
        flipped = [l for l in net_a.layers if getattr(l, "flipped", 0)]
        t.check(open(a, "rb").read() == open(fwd, "rb").read() and flipped,
                "weights: darknet-forward's mixed-a file (a flipped conv) comes back byte for byte")
    else:
        t.skip("darknet-forward's weights round trip (no bin/darknet-forward)")
    with open(b, "ab") as f:
        f.write(b"\0\0\0\0")
    try:
        other.load_weights(b)
        t.check(False, "weights: a file one float too long is refused")
    except ValueError as e:
        t.check("needs" in str(e), f"weights: a file one float too long is refused ({e})")


def check_cfg_errors(t, tmp):
    cases = [("[net]\nwidth=8\nheight=8\nchannels=3\n[bogus]\n", "bogus"),
             ("[net]\nwidth=8\nheight=8\nchannels=3\n[route]\nlayers=-1\n", "refers to"),
             ("[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=4\n"
              "groups=3\n", "groups")]
    for k, (text, want) in enumerate(cases):
        p = os.path.join(tmp, f"bad{k}.cfg")
        with open(p, "w") as f:
            f.write(text)
        try:
            dn_torch.DarknetNet(p)
            t.check(False, f"cfg error mentioning {want!r}")
        except dn_torch.CfgError as e:
            t.check(want in str(e), f"cfg error mentioning {want!r}: {e}")


def check_maxpool_reorg(t):
    """Two layers whose darknet semantics differ from the textbook's."""
    l = dn_torch.Layer("maxpool", {"size": "2", "stride": "1"}, 0, 0)
    l.out = dn_torch._maxpool(l, 1, 3, 3, [])
    x = torch.arange(9.0).view(1, 1, 3, 3)
    y = dn_torch._maxpool_fwd(l, x, [])
    want = torch.tensor([[4.0, 5, 5], [7, 8, 8], [7, 8, 8]])
    t.check(l.out == (1, 3, 3) and torch.equal(y[0, 0], want),
            "maxpool size=2 stride=1: same shape, padding only right and bottom")
    idx = dn_torch.reorg_index(4, 2, 2, 2, 0)
    # darknet: output channel k reads input channel k % 1 = 0, offset k
    # within each 2x2 block, from the [1, 4, 4] view of the input
    wide = np.arange(16).reshape(4, 4)
    want = np.stack([wide[k // 2::2, k % 2::2] for k in range(4)]).reshape(-1)
    t.check(np.array_equal(idx, want), "reorg: darknet's permutation on [4, 2, 2], stride 2")
    inv = dn_torch.reorg_index(4, 2, 2, 2, 1)
    t.check(np.array_equal(idx[inv], np.arange(16)), "reorg reverse=1 is the inverse")


def main():
    torch.set_num_threads(2)
    t = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        names = sorted(n for n in os.listdir(FX) if n.endswith((".shapes", ".fwd")))
        t.check(len(names) >= 16, f"{len(names)} fixtures")
        for name in names:
            check_fixture(t, name, tmp)
        check_weights_io(t, tmp)
        check_cfg_errors(t, tmp)
        check_maxpool_reorg(t)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
