#!/usr/bin/python3
"""Makes tests/optim/sgd-adam.fix: three updates of torch.optim.SGD and
torch.optim.Adam on the parameters of the network test_optim.c builds
(NET_CFG below), for comparison with common/net/optim.c.

Our gradients are SUMS G over a batch of B images; torch is given their mean
G / B, so ours must equal torch's parameters after every step, with SGD's
velocity v_ours = B * momentum_buffer and Adam's moments equal.
Weight decay applies to the weights group only (not biases, batch-norm
scales); the rolling mean and variance are not parameters (their slots get
nonzero gradients that must be ignored).

Run: /usr/bin/python3 tests/optim/make-fixtures.py  (numpy, torch)

File (little-endian): b"OPTFX001", int32 P, T, B, float32 momentum, decay,
b1, b2, eps, rates[T]; then float32 arrays: kind[P] (0 bias/scale, 1 weight,
2 rolling statistic), params0[P], grads[T, P] (sums), sgd[T, P] (params after
each step), sgd_buf[P] (torch's momentum buffer after the last step),
adam[T, P], adam_m[P], adam_v[P].
"""
import os
import struct

import numpy as np
import torch

NET_CFG = """
[net] width=4 height=4 channels=2
[convolutional] batch_normalize=1 filters=3 size=3 stride=1 pad=1 activation=leaky
[local] filters=1 size=1 stride=1 pad=0 activation=linear
[connected] batch_normalize=1 output=5 activation=linear
"""
# The weights-file layout of those layers (common/net/network.c bind_params):
# conv = biases, scales, mean, var, weights; local = biases, weights;
# connected = biases, weights, scales, mean, var.
BIAS, WEIGHT, ROLL = 0, 1, 2
LAYOUT = [
    (BIAS, 3), (BIAS, 3), (ROLL, 3), (ROLL, 3), (WEIGHT, 3 * 2 * 3 * 3),   # conv
    (BIAS, 16), (WEIGHT, 16 * 1 * 3 * 1 * 1),                               # local
    (BIAS, 5), (WEIGHT, 5 * 16), (BIAS, 5), (ROLL, 5), (ROLL, 5),           # connected
]
T, B = 3, 4


def f32(x):
    """x rounded to float32: the C side holds its hyperparameters in floats
    (0.999f is not 0.999, and 1 - b2 would differ by 2e-5 relative)."""
    return float(np.float32(x))


MOMENTUM, DECAY = f32(0.9), f32(0.01)
B1, B2, EPS = f32(0.9), f32(0.999), f32(1e-7)
RATES = [f32(0.01), f32(0.02), f32(0.005)]


def run(make_opt, params0, grads):
    """Runs T steps; returns the params after each step and the tensors."""
    tensors, kinds, off = [], [], 0
    for kind, n in LAYOUT:
        tensors.append(torch.tensor(params0[off:off + n], requires_grad=kind != ROLL))
        kinds.append(kind)
        off += n
    groups = [
        {"params": [t for t, k in zip(tensors, kinds) if k == WEIGHT], "weight_decay": DECAY},
        {"params": [t for t, k in zip(tensors, kinds) if k == BIAS], "weight_decay": 0.0},
    ]
    opt = make_opt(groups)
    out = []
    for step in range(T):
        off = 0
        for t, (kind, n) in zip(tensors, LAYOUT):
            if kind != ROLL:
                t.grad = torch.tensor(grads[step, off:off + n]) / B
            off += n
        for g in opt.param_groups:
            g["lr"] = RATES[step]
        opt.step()
        out.append(np.concatenate([t.detach().numpy() for t in tensors]))
    return np.stack(out), tensors, opt


def state(opt, tensors, key):
    """The optimiser's per-parameter state `key` in file order (0: none)."""
    parts = []
    for t in tensors:
        s = opt.state.get(t, {})
        parts.append(s[key].numpy() if key in s else np.zeros(t.numel(), np.float32))
    return np.concatenate(parts).astype(np.float32)


def main():
    torch.set_default_dtype(torch.float32)
    rng = np.random.default_rng(7)
    kind = np.concatenate([np.full(n, k, np.float32) for k, n in LAYOUT])
    P = kind.size
    params0 = rng.normal(0, 0.5, P).astype(np.float32)
    params0[kind == ROLL] = np.abs(params0[kind == ROLL]) + 0.5
    grads = (rng.normal(0, 1, (T, P)) * B).astype(np.float32)

    sgd, t_sgd, o_sgd = run(lambda g: torch.optim.SGD(g, lr=RATES[0], momentum=MOMENTUM,
                                                       dampening=0, nesterov=False),
                            params0, grads)
    adam, t_adam, o_adam = run(lambda g: torch.optim.Adam(g, lr=RATES[0], betas=(B1, B2),
                                                          eps=EPS, amsgrad=False),
                               params0, grads)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sgd-adam.fix")
    with open(path, "wb") as f:
        f.write(b"OPTFX001" + struct.pack("<3i", P, T, B))
        f.write(struct.pack("<5f", MOMENTUM, DECAY, B1, B2, EPS))
        f.write(struct.pack("<%df" % T, *RATES))
        for a in (kind, params0, grads, sgd, state(o_sgd, t_sgd, "momentum_buffer"),
                  adam, state(o_adam, t_adam, "exp_avg"), state(o_adam, t_adam, "exp_avg_sq")):
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())
    print("wrote %s (P=%d, torch %s)" % (path, P, torch.__version__))


if __name__ == "__main__":
    main()
