#!/usr/bin/python3
"""Random darknet .weights for a cfg, written without this project's C code.

    python3 tests/darknet/ab-weights.py CFG SEED OUT.weights

The independent writer of the AlexeyAB comparison (tests/darknet/README.md):
ab-harness gives the file to AlexeyAB's libdarknet and to ours, and
tests/unit/test_network.c makes it again from the seed for the fixtures it
names. It reads the cfg itself (its own walk of the channels through
convolutional, maxpool, route, shortcut, upsample and yolo sections, the
layer types of the yolov4 cfgs) and writes darknet's layout: header
0.2.0 with a 64-bit seen of 0, then for each convolution its biases, (batch
norm: scales, rolling means, rolling variances) and weights
[filters, channels / groups, size, size], float32 little-endian.

Values from numpy's legacy RandomState(SEED), whose streams numpy keeps
fixed across versions: weights normal with sd sqrt(2 / fan_in), biases
normal sd .1, scales and variances uniform [.5, 1.5), means normal sd .1.
"""
import sys

import numpy as np


def sections(path):
    """[(type, {key: value})] in file order, blanks dropped as darknet does."""
    out = []
    with open(path) as f:
        for raw in f:
            line = "".join(raw.split())
            if not line or line[0] in "#;":
                continue
            if line[0] == "[":
                out.append((line[1:-1], {}))
            else:
                key, _, val = line.partition("=")
                out[-1][1][key] = val
    return out


def layer_index(v, i):
    k = int(v)
    return i + k if k < 0 else k


def conv_shapes(path):
    """(filters, channels in, size, groups, batch_normalize) per convolution."""
    secs = sections(path)
    chans = []                       # output channels of each layer
    c = int(secs[0][1].get("channels", 3))
    convs = []
    for i, (kind, kv) in enumerate(secs[1:]):
        if kind in ("convolutional", "conv"):
            n, g = int(kv.get("filters", 1)), int(kv.get("groups", 1))
            convs.append((n, c, int(kv.get("size", 1)), g, int(kv.get("batch_normalize", 0))))
            c = n
        elif kind in ("maxpool", "max"):
            if int(kv.get("maxpool_depth", 0)):
                c = int(kv.get("out_channels", 1))
        elif kind == "route":
            g = int(kv.get("groups", 1))
            c = sum(chans[layer_index(v, i)] // g for v in kv["layers"].split(",") if v)
        elif kind not in ("shortcut", "upsample", "yolo"):
            sys.exit("ab-weights.py: %s: [%s] is not a layer type this writer knows"
                     % (path, kind))
        chans.append(c)
    return convs


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: ab-weights.py CFG SEED OUT.weights")
    cfg, seed, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rs = np.random.RandomState(seed)
    parts = [np.array([0, 2, 0], "<i4").tobytes(), np.array([0], "<u8").tobytes()]
    for n, c, size, groups, bn in conv_shapes(cfg):
        fan_in = c // groups * size * size
        parts.append(rs.normal(0, .1, n).astype("<f4").tobytes())
        if bn:
            parts.append(rs.uniform(.5, 1.5, n).astype("<f4").tobytes())
            parts.append(rs.normal(0, .1, n).astype("<f4").tobytes())
            parts.append(rs.uniform(.5, 1.5, n).astype("<f4").tobytes())
        w = rs.normal(0, np.sqrt(1.0 / fan_in), n * fan_in)
        parts.append(w.astype("<f4").tobytes())
    with open(out, "wb") as f:
        for p in parts:
            f.write(p)


if __name__ == "__main__":
    main()
