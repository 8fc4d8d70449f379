#!/usr/bin/python3
"""Makes tests/torch/grad/*.grad: PyTorch autograd's gradients (float64) of
small darknet networks in training mode, for tests/unit/test_backward.c to
compare with common/net/layers/*_backward (float32).

Per-layer cases (CASES below): a small cfg, a batch, random float32 input
(N(0, 1), or N(0, sd) when the case says) and parameters (dn_torch's
random_init seeded by the CRC-32 of the case's name), and a random upstream
gradient `upstream` of the last layer's output. The
network runs dn_torch's training forward (batch norm on the batch's mean and
unbiased variance, rolling statistics moved .01; dropout the identity) in
float64 from those float32 values; the scalar L = sum(upstream * out) is
differentiated by autograd. The file holds the inputs and every expected
result:

    cfg (text), batch (i32 [1]), input [B*inputs], params [nparams] (weights
    file order, before the forward), upstream [B*outputs of the last layer],
    out [same] (the forward's result), delta.I [B*outputs of layer I] = dL/d
    out of every layer I, din [B*inputs] = dL/d input, grads [nparams] =
    dL/d params in weights-file order (0 at the rolling mean and variance),
    rolled [nparams] = the parameters after the forward (only the rolling
    mean and variance change).

The whole-network case (yolov2-tiny-voc-160x128.grad) is too large to store:
its weights are this project's weights_random(WSEED) (written by
bin/darknet-forward --random WSEED --save-weights), its input the xoshiro
stream of common/base/rng.c seeded XSEED (uniform [0, 1)), its upstream gradient
of the region head's input the stream seeded DSEED (2u - 1), all regenerated
by the C test. The file holds, for every layer I with parameters and every
array K of biases, scales, weights, mean, var (the last two: the rolling
statistics after the forward), a record "K.I" = [max |x|, sum |x|, x[idx_0],
..., x[idx_{S-1}]], and for every layer "delta.I" likewise, with S = min(n,
SAMPLES) and idx_k = k * (n - 1) // (S - 1) (every element when n <=
SAMPLES).

File format (little-endian): b"DNGRAD01", then records to the end of the
file: name (24 bytes, NUL-padded), kind (i32: 0 float32, 1 text, 2 int32),
count (i32), count elements (text: bytes).

Run from the top of the repository, after `make` (bin/darknet-forward):
    /usr/bin/python3 tests/torch/make-grad-fixtures.py
It rewrites every file byte for byte the same (fixed seeds, float64).
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dn_torch  # noqa: E402
from test_dn_torch import Rng  # noqa: E402  (common/base/rng.c's generator)

OUT = "tests/torch/grad"
SAMPLES = 256
# 160x128: the first two convolutions run in several im2col tiles (conv.c)
WHOLE = dict(name="yolov2-tiny-voc-160x128", cfg="tests/data/cfg/yolov2-tiny-voc.cfg",
             w=160, h=128, batch=2, wseed=11, xseed=12, dseed=13)


def net(w, h, c):
    return f"[net]\nwidth={w}\nheight={h}\nchannels={c}\n"


def net_ab(w, h, c):
    """A [net] in AlexeyAB's dialect (mosaic is his key): his batch norm."""
    return net(w, h, c) + "mosaic=1\n"


def sec(kind, **keys):
    return f"[{kind}]\n" + "".join(f"{k}={v}\n" for k, v in keys.items())


def conv(**k):
    return sec("convolutional", **k)


# (name, batch, cfg text[, input sd]); the layer under test is the last one
CASES = [
    ("conv-bn-leaky", 2, net(6, 6, 3) + conv(batch_normalize=1, filters=4, size=3, stride=1,
                                             pad=1, activation="leaky")),
    # a variance of ~1e-4: 1e-6 added to sqrt(var), not 1e-5 to var, matters
    ("conv-bn-smallvar", 2, net(5, 5, 2) + conv(batch_normalize=1, filters=3, size=3, stride=1,
                                                pad=1, activation="linear"), .01),
    ("conv-s2-linear", 2, net(7, 7, 3) + conv(filters=4, size=3, stride=2, pad=1,
                                              activation="linear")),
    ("conv-1x1-bn-logistic", 2, net(5, 5, 4) + conv(batch_normalize=1, filters=3, size=1,
                                                    stride=1, activation="logistic")),
    ("conv-groups-bn-relu", 2, net(6, 5, 4) + conv(batch_normalize=1, filters=6, size=3,
                                                   stride=1, pad=1, groups=2,
                                                   activation="relu")),
    ("conv-nopad-tanh", 2, net(6, 6, 3) + conv(filters=4, size=3, stride=1, activation="tanh")),
    ("conv-s2-nopad-bn-elu", 3, net(7, 7, 2) + conv(batch_normalize=1, filters=3, size=3,
                                                    stride=2, activation="elu")),
    ("conv-size2-s2-padding1", 2, net(6, 6, 2) + conv(filters=3, size=2, stride=2, padding=1,
                                                      activation="leaky")),
    # one conv per remaining activation, in a chain
    ("conv-acts", 2, net(5, 5, 2) + "".join(
        conv(filters=3, size=3, stride=1, pad=1, activation=a)
        for a in ("relie", "ramp", "loggy", "selu", "plse", "hardtan", "lhtan", "stair"))),
    ("maxpool-2-2", 2, net(6, 6, 2) + sec("maxpool", size=2, stride=2)),
    ("maxpool-2-1", 2, net(5, 5, 2) + sec("maxpool", size=2, stride=1)),
    ("maxpool-3-2", 2, net(7, 6, 2) + sec("maxpool", size=3, stride=2)),
    ("maxpool-3-1-pad", 1, net(5, 5, 2) + sec("maxpool", size=3, stride=1, padding=3)),
    # two sources of different depths; their deltas come from the route
    ("route", 2, net(5, 5, 2) + conv(filters=3, size=3, stride=1, pad=1, activation="linear")
     + conv(filters=2, size=3, stride=1, pad=1, activation="linear")
     + sec("route", layers="-1,-2")),
    ("route-one", 2, net(4, 4, 2) + conv(filters=3, size=1, stride=1, activation="linear")
     + sec("maxpool", size=2, stride=2) + sec("route", layers="-2")),
    ("reorg", 2, net(4, 6, 4) + sec("reorg", stride=2)),
    ("reorg-reverse", 2, net(3, 2, 8) + sec("reorg", stride=2, reverse=1)),
    ("shortcut", 2, net(5, 5, 2) + conv(filters=3, size=3, stride=1, pad=1, activation="linear")
     + conv(filters=3, size=3, stride=1, pad=1, activation="linear")
     + sec("shortcut", **{"from": -2, "alpha": .5, "beta": 2, "activation": "leaky"})),
    # the source is larger (stride 2) and has more channels
    ("shortcut-stride", 2, net(6, 6, 2) + conv(filters=4, size=3, stride=1, pad=1,
                                               activation="linear")
     + conv(filters=3, size=3, stride=2, pad=1, activation="linear")
     + sec("shortcut", **{"from": -2, "alpha": 1.5, "beta": -.5, "activation": "tanh"})),
    # the source is smaller (sample 2) and has fewer channels
    ("shortcut-sample", 2, net(6, 6, 2) + conv(filters=2, size=3, stride=2, pad=1,
                                               activation="linear")
     + sec("upsample", stride=2) + conv(filters=3, size=1, stride=1, activation="linear")
     + sec("shortcut", **{"from": -3, "beta": .75, "activation": "logistic"})),
    # from=-1: the source is the previous layer; both paths add into one delta
    ("shortcut-self", 2, net(4, 4, 2) + conv(filters=2, size=3, stride=1, pad=1,
                                             activation="linear")
     + sec("shortcut", **{"from": -1, "alpha": .5, "beta": 2, "activation": "linear"})),
    ("upsample-2", 2, net(3, 2, 2) + sec("upsample", stride=2)),
    ("upsample-3-scale", 2, net(2, 3, 2) + sec("upsample", stride=3, scale=1.5)),
    ("upsample-down", 2, net(4, 6, 2) + sec("upsample", stride=-2, scale=.5)),
    # odd width: here the last column is left out of every block (what
    # darknet does instead is no better: see test_backward.c)
    ("upsample-down-odd", 2, net(5, 6, 2) + sec("upsample", stride=-2, scale=.5)),
    ("connected", 3, net(3, 3, 2) + sec("connected", output=5, activation="logistic")),
    ("connected-bn", 4, net(2, 3, 2) + sec("connected", output=4, batch_normalize=1,
                                           activation="leaky")),
    ("dropout", 2, net(4, 4, 2) + conv(filters=3, size=3, stride=1, pad=1, activation="leaky")
     + sec("dropout", probability=.3) + sec("connected", output=3, activation="linear")),
    ("local-pad", 2, net(5, 4, 2) + sec("local", filters=2, size=3, stride=1, pad=1,
                                        activation="leaky")),
    ("local-s2", 2, net(7, 7, 2) + sec("local", filters=3, size=3, stride=2,
                                       activation="tanh")),
    ("avgpool", 2, net(5, 4, 3) + sec("avgpool")),
    ("softmax", 2, net(3, 2, 2) + sec("softmax", groups=2, temperature=.5)),
    ("softmax-connected", 2, net(3, 3, 1) + sec("connected", output=6, activation="linear")
     + sec("softmax")),
    # a small yolov3-tiny: batch norm, an upsample and a route feeding convs
    ("mini-v3", 2, net(8, 8, 3) + conv(batch_normalize=1, filters=4, size=3, stride=1, pad=1,
                                       activation="leaky")
     + sec("maxpool", size=2, stride=2)
     + conv(batch_normalize=1, filters=6, size=3, stride=1, pad=1, activation="leaky")
     + conv(batch_normalize=1, filters=3, size=1, stride=1, activation="leaky")
     + sec("upsample", stride=2) + sec("route", layers="-1,-5")
     + conv(filters=7, size=3, stride=1, pad=1, activation="linear")
     + sec("yolo", classes=2, num=2, mask="0")),
    # AlexeyAB's: batch norm over sqrt(var + 1e-5) (a tiny variance shows it),
    # mish, swish, hard_mish, route groups, maxpool_depth, SPP's pools
    ("ab-conv-bn-mish", 2, net_ab(6, 5, 3) + conv(batch_normalize=1, filters=4, size=3,
                                                  stride=1, pad=1, activation="mish")),
    ("ab-conv-bn-smallvar", 2, net_ab(5, 5, 2) + conv(batch_normalize=1, filters=3, size=3,
                                                      stride=1, pad=1, activation="linear"), .01),
    ("ab-acts", 2, net(5, 5, 2) + conv(filters=3, size=3, stride=1, pad=1, activation="swish")
     + conv(batch_normalize=1, filters=3, size=3, stride=1, pad=1, activation="hard_mish")
     + conv(filters=3, size=1, stride=1, activation="mish")),
    ("ab-route-groups", 2, net(4, 4, 2) + conv(filters=4, size=3, stride=1, pad=1,
                                               activation="linear")
     + conv(filters=6, size=1, stride=1, activation="linear")
     + sec("route", layers="-1,-2", groups=2, group_id=1)
     + sec("route", layers="-3", groups=2, group_id=0)
     + sec("route", layers="-1,-2")),
    ("ab-maxpool-depth", 2, net(4, 3, 2) + conv(filters=7, size=1, stride=1, activation="linear")
     + sec("maxpool", maxpool_depth=1, out_channels=3)),
    ("ab-spp", 1, net(6, 6, 2) + conv(filters=2, size=1, stride=1, activation="linear")
     + sec("maxpool", size=5, stride=1)
     + sec("route", layers="-1,-2")),
    ("ab-shortcut-mish", 2, net(4, 4, 2) + conv(filters=3, size=3, stride=1, pad=1,
                                                activation="linear")
     + conv(filters=2, size=1, stride=1, activation="linear")
     + sec("shortcut", **{"from": -2, "activation": "mish"})),
    # a small yolov4-tiny: his batch norm, a CSP block (route groups), a
    # stride-2 pool, a yolo head with scale_x_y
    ("ab-mini-v4tiny", 2, net_ab(8, 8, 3) + conv(batch_normalize=1, filters=8, size=3, stride=1,
                                                 pad=1, activation="leaky")
     + sec("route", layers="-1", groups=2, group_id=1)
     + conv(batch_normalize=1, filters=4, size=3, stride=1, pad=1, activation="leaky")
     + sec("route", layers="-1,-3") + sec("maxpool", size=2, stride=2)
     + conv(filters=7, size=1, stride=1, activation="linear")
     + sec("yolo", classes=2, num=2, mask="1", scale_x_y=1.05)),
    ("region", 2, net(4, 4, 2) + conv(filters=14, size=3, stride=1, pad=1, activation="leaky")
     + sec("region", classes=2, coords=4, num=2, softmax=1)),
    ("yolo", 2, net(4, 4, 2) + conv(filters=8, size=1, stride=1, activation="linear")
     + sec("yolo", classes=3, num=2, mask="1")),
    ("detection", 2, net(4, 4, 2) + sec("connected", output=2 * 2 * (1 * 5 + 2),
                                        activation="linear")
     + sec("detection", classes=2, coords=4, num=1, side=2)),
]


def record(name, kind, count, payload):
    assert len(name) < 24
    return name.encode().ljust(24, b"\0") + struct.pack("<ii", kind, count) + payload


def floats(name, a):
    a = np.ascontiguousarray(np.asarray(a, np.float64).reshape(-1), "<f4")
    return record(name, 0, a.size, a.tobytes())


def ints(name, v):
    return record(name, 2, len(v), np.array(v, "<i4").tobytes())


def text(name, s):
    return record(name, 1, len(s.encode()), s.encode())


def write(name, records):
    with open(os.path.join(OUT, name + ".grad"), "wb") as f:
        f.write(b"DNGRAD01" + b"".join(records))


def file_order(leaves, dn, which):
    """[nparams] in weights-file order: dL/d param (which="grad", 0 where
    there is none) or the parameter itself (which="value")."""
    grad = {(id(l), name): v.grad for l, name, v in leaves}
    parts = []
    for l in dn.layers:
        for name, a in l.params:
            if which == "value":
                parts.append(l.t[name].detach().reshape(-1).numpy())
            else:
                g = grad.get((id(l), name))
                parts.append(np.zeros(a.size) if g is None else g.reshape(-1).numpy())
    return np.concatenate(parts) if parts else np.zeros(0)


def run(dn, x, upstream):
    """Training forward and backward of L = sum(upstream * last output) in
    float64: (leaves, outs, input leaf)."""
    leaves = dn.trainable(torch.float64)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    _, outs = dn(xt, every=True, train=True)
    for o in outs:
        o.retain_grad()
    (outs[-1].reshape(-1) * torch.from_numpy(upstream.astype(np.float64))).sum().backward()
    return leaves, outs, xt


def make_case(name, batch, cfgtext, tmp, sd=1.0):
    path = os.path.join(tmp, name + ".cfg")
    with open(path, "w") as f:
        f.write(cfgtext)
    dn = dn_torch.DarknetNet(path)
    seed = zlib.crc32(name.encode())
    dn.random_init(seed)
    params = np.concatenate([a for l in dn.layers for _, a in l.params] or [np.zeros(0)])
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(0, sd, (batch, dn.c, dn.h, dn.w)).astype(np.float32)
    upstream = rng.normal(0, 1, batch * int(np.prod(dn.layers[-1].out))).astype(np.float32)
    leaves, outs, xt = run(dn, x, upstream)
    recs = [text("cfg", cfgtext), ints("batch", [batch]), floats("input", x),
            floats("params", params), floats("upstream", upstream),
            floats("out", outs[-1].detach().numpy())]
    for i, o in enumerate(outs):
        recs.append(floats(f"delta.{i}", np.zeros(o.numel()) if o.grad is None else o.grad))
    recs += [floats("din", xt.grad), floats("grads", file_order(leaves, dn, "grad")),
             floats("rolled", file_order(leaves, dn, "value"))]
    write(name, recs)
    return len(recs)


def summary(name, a):
    """[max |x|, sum |x|, SAMPLES evenly spaced elements] of a."""
    a = np.asarray(a, np.float64).reshape(-1)
    n = a.size
    s = min(n, SAMPLES)
    idx = [k * (n - 1) // (s - 1) for k in range(s)] if s > 1 else [0]
    return floats(name, np.concatenate([[np.abs(a).max(), np.abs(a).sum()], a[idx]]))


def make_whole(tmp):
    c = WHOLE
    if not os.path.exists(c["cfg"]):
        sys.exit(f"{c['cfg']} not found (the shared data)")
    wfile = os.path.join(tmp, "w.weights")
    r = subprocess.run(["bin/darknet-forward", "--cfg", c["cfg"], "--random", str(c["wseed"]),
                        "--save-weights", wfile, "--quiet"], stdin=subprocess.DEVNULL,
                       capture_output=True)
    if r.returncode != 0:
        sys.exit(f"bin/darknet-forward --random: {r.stderr.decode(errors='replace').strip()}")
    dn = dn_torch.DarknetNet(c["cfg"], c["w"], c["h"])
    dn.load_weights(wfile)
    rx, rd = Rng(c["xseed"]), Rng(c["dseed"])
    x = np.array([rx.uniform() for _ in range(c["batch"] * 3 * c["w"] * c["h"])], np.float32)
    x = x.reshape(c["batch"], 3, c["h"], c["w"])
    n_up = c["batch"] * int(np.prod(dn.layers[-1].out))
    upstream = np.array([2 * rd.uniform() - 1 for _ in range(n_up)], np.float32)
    leaves, outs, _ = run(dn, x, upstream)
    recs = [text("cfg", c["cfg"]), ints("net", [c["w"], c["h"], c["batch"], c["wseed"],
                                                c["xseed"], c["dseed"], SAMPLES])]
    for l, name, v in leaves:
        recs.append(summary(f"{name}.{l.index}", v.grad))
    for l in dn.layers:
        if getattr(l, "bn", 0):
            recs += [summary(f"mean.{l.index}", l.t["mean"]), summary(f"var.{l.index}", l.t["var"])]
    for i, o in enumerate(outs):
        recs.append(summary(f"delta.{i}", o.grad))
    write(c["name"], recs)
    return len(recs)


def main():
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, batch, cfgtext, *sd in CASES:
            n = make_case(name, batch, cfgtext, tmp, *sd)
            print(f"{OUT}/{name}.grad: {n} records")
        n = make_whole(tmp)
        print(f"{OUT}/{WHOLE['name']}.grad: {n} records")


if __name__ == "__main__":
    main()
