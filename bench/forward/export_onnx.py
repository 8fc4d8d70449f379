"""The onnxruntime column of bench/forward.sh, part one: one darknet cfg and
weights as tests/torch/dn_torch.py builds them (the graph bench/forward/
torch_bench.py times), batch norm folded into the convolutions as there,
exported with torch.onnx.export to one ONNX model with a dynamic batch axis.

    /usr/bin/python3 bench/forward/export_onnx.py CFG WEIGHTS OUT.onnx
        [--ref PREFIX] [--ref-batch N] [--opset N] [--no-fold] [--plain]

The graph is dn_torch's own, traced, with two layers given their plain
ONNX form (their values are dn_torch's, which --ref checks):

- maxpool: dn_torch pads with -inf (darknet's total padding size-1, the
  extra row and column after the image), slices and pools, which traces to
  Pad + Slice + MaxPool and costs onnxruntime copies and layout reorders
  around every pool (yolov3-tiny, profiled on a busy machine: ~15 of ~85
  ms). ONNX's MaxPool takes asymmetric pads that, as in darknet, are never
  the maximum: one MaxPool, kernel size, strides stride, pads (pad // 2
  before, the rest after).
- upsample (not reverse): Expand + Reshape becomes Resize nearest with
  scales (1, 1, stride, stride), coordinate mode asymmetric, floor: each
  value repeated stride x stride times, exactly; times scale when not 1.

The rest traces to plain operators: conv + bias (batch norm folded) ->
Conv; leaky -> LeakyRelu; reorg (its exact permutation,
dn_torch.reorg_index) -> Reshape, Gather of a constant index, Reshape;
route -> Concat (AlexeyAB's groups: constant Slices first); shortcut -> Mul/Add; the heads (region, yolo) are the
graph's outputs, raw, as darknet-forward writes them. --plain exports the
traced graph without the two rewrites.

--ref PREFIX also writes PREFIX.json and PREFIX.bin for ort_bench.js
--check: a seeded [N, c, h, w] input (N = --ref-batch, default 2, so the
dynamic batch axis is exercised) and PyTorch's head outputs on it, float32
little-endian, input first then each head in order. Prints one line:
"onnx <cfg> <MB> MB opset <n> nodes <n> (<op counts>)".
"""
import argparse
import collections
import json
import os
import sys
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "torch"))
import dn_torch  # noqa: E402


class Heads(torch.nn.Module):
    """The net's heads as a tuple (torch.onnx.export flattens it)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return tuple(self.net(x))


def _untraced(fn, l, x):
    """fn(l, x, None) with the tracer paused: the values come from dn_torch,
    the graph from symbolic() alone (torch 1.13's exporter fails on a Pad
    traced inside a custom Function)."""
    state = torch._C._get_tracing_state()
    torch._C._set_tracing_state(None)
    try:
        return fn(l, x, None)
    finally:
        torch._C._set_tracing_state(state)


class _MaxPool(torch.autograd.Function):
    """dn_torch's maxpool, exported as one ONNX MaxPool."""

    @staticmethod
    def forward(ctx, x, l):
        return _untraced(dn_torch._maxpool_fwd, l, x)

    @staticmethod
    def symbolic(g, x, l):
        before = l.pad // 2
        return g.op("MaxPool", x, kernel_shape_i=[l.size, l.size], strides_i=[l.stride, l.stride],
                    pads_i=[before, before, l.pad - before, l.pad - before])


class _Upsample(torch.autograd.Function):
    """dn_torch's upsample (not reverse), exported as ONNX Resize nearest."""

    @staticmethod
    def forward(ctx, x, l):
        return _untraced(dn_torch._upsample_fwd, l, x)

    @staticmethod
    def symbolic(g, x, l):
        roi = g.op("Constant", value_t=torch.tensor([], dtype=torch.float32))
        scales = g.op("Constant", value_t=torch.tensor([1, 1, l.stride, l.stride],
                                                       dtype=torch.float32))
        y = g.op("Resize", x, roi, scales, mode_s="nearest",
                 coordinate_transformation_mode_s="asymmetric", nearest_mode_s="floor")
        if l.scale != 1:
            y = g.op("Mul", y, g.op("Constant", value_t=torch.tensor(l.scale, dtype=torch.float32)))
        return y


def _maxpool_onnx(l, x, outs):
    return _MaxPool.apply(x, l)


def _upsample_onnx(l, x, outs):
    if l.reverse:
        return dn_torch._upsample_fwd(l, x, outs)
    return _Upsample.apply(x, l)


def op_counts(path):
    """{op type: count} of the saved model, read without the onnx package
    (Debian's python3-torch does not need it): NodeProto.op_type is field 4
    of each node (field 1 of GraphProto, field 7 of ModelProto)."""
    data = open(path, "rb").read()

    def varint(b, i):
        v = s = 0
        while True:
            c = b[i]
            i += 1
            v |= (c & 0x7f) << s
            s += 7
            if c < 0x80:
                return v, i

    def fields(b, lo, hi):
        i = lo
        while i < hi:
            key, i = varint(b, i)
            f, t = key >> 3, key & 7
            if t == 0:
                _, i = varint(b, i)
            elif t == 1:
                i += 8
            elif t == 5:
                i += 4
            elif t == 2:
                n, i = varint(b, i)
                yield f, i, i + n
                i += n
            else:
                raise ValueError(f"{path}: wire type {t}")

    counts = collections.Counter()
    for f, lo, hi in fields(data, 0, len(data)):
        if f != 7:
            continue
        for g, nlo, nhi in fields(data, lo, hi):
            if g != 1:
                continue
            for h, olo, ohi in fields(data, nlo, nhi):
                if h == 4:
                    counts[data[olo:ohi].decode()] += 1
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cfg")
    ap.add_argument("weights")
    ap.add_argument("out")
    ap.add_argument("--ref", help="write PREFIX.json and PREFIX.bin (input, torch outputs)")
    ap.add_argument("--ref-batch", type=int, default=2)
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--no-fold", action="store_true")
    ap.add_argument("--plain", action="store_true", help="no MaxPool / Resize rewrite")
    a = ap.parse_args()
    torch.set_num_threads(2)
    net = dn_torch.DarknetNet(a.cfg)
    net.load_weights(a.weights)
    if not a.no_fold:
        net.fold_batchnorm()
    net.eval()
    model = Heads(net)
    nheads = sum(l.kind in dn_torch.HEADS for l in net.layers)
    names = [f"head{i}" for i in range(nheads)]
    x = torch.rand(1, net.c, net.h, net.w, generator=torch.Generator().manual_seed(1))
    axes = {n: {0: "batch"} for n in ["input"] + names}
    plain = dict(dn_torch.FORWARD)
    if not a.plain:
        dn_torch.FORWARD.update(maxpool=_maxpool_onnx, upsample=_upsample_onnx)
    with torch.no_grad(), warnings.catch_warnings():
        # the tracer warns that shapes it reads become constants: only the
        # batch axis is dynamic, every other size is the cfg's
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x, a.out, input_names=["input"], output_names=names,
                          dynamic_axes=axes, opset_version=a.opset, do_constant_folding=True)
    dn_torch.FORWARD.update(plain)    # the reference below: dn_torch as torch_bench runs it
    counts = op_counts(a.out)
    ops = " ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    print(f"onnx {os.path.basename(a.cfg)} {os.path.getsize(a.out) / 2**20:.1f} MB opset "
          f"{a.opset}{' plain' if a.plain else ''} nodes {sum(counts.values())} ({ops})")
    if a.ref:
        xr = torch.rand(a.ref_batch, net.c, net.h, net.w,
                        generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            heads = model(xr)
        meta = {"cfg": os.path.basename(a.cfg), "input": {"name": "input", "shape": list(xr.shape)},
                "outputs": [{"name": n, "shape": list(h.shape)} for n, h in zip(names, heads)]}
        with open(a.ref + ".bin", "wb") as f:
            for t in (xr,) + tuple(heads):
                f.write(np.ascontiguousarray(t.numpy(), "<f4").tobytes())
        with open(a.ref + ".json", "w") as f:
            json.dump(meta, f)


if __name__ == "__main__":
    main()
