"""The PyTorch column of bench/train.sh: one training step of a darknet cfg
as tests/torch/dn_torch.py builds it, timed on a [BATCH, 3, H, W] input.

    /usr/bin/python3 bench/train/torch_train.py CFG [--batch 8] [--runs 4]
        [--warmup 1] [--threads 2] [--native-bn]

A step: zero the gradients, net(x, train=True) (darknet's training batch
norm: the batch's mean and unbiased variance), loss = sum(head * g) over the
heads with a fixed random g (so d loss / d head = g, as bench/train/step.c
puts a fixed gradient into each head's delta), backward, then
torch.optim.SGD with the cfg's learning rate, momentum and decay (weight
decay on the convolution and connected weights only, as darknet and
optim_update). Parameters are float32 leaves (dn_torch's trainable()).
--native-bn: batch norm by F.batch_norm (PyTorch's fused kernel, biased
variance in the normalisation, eps inside the sqrt) instead of dn_torch's
elementwise darknet formula: what a PyTorch user would write; the work is
the same, the arithmetic slightly different.

Prints each step's time, then one line:
"torch <cfg> batch <n> median <ms/step> best <ms/step> ms_per_image <m> runs <r>"
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "torch"))
import dn_torch  # noqa: E402


def native_batchnorm(l, y):
    """dn_torch._batchnorm_train's job by PyTorch's own kernel."""
    t = l.t
    return F.batch_norm(y, t["mean"], t["var"], t["scales"], None, True, .01, dn_torch.BN_EPS)


def net_keys(cfg):
    """[net]'s learning_rate, momentum, decay (darknet's defaults)."""
    opts = dn_torch.parse_cfg(cfg)[0][1]
    return (float(opts.get("learning_rate", .001)), float(opts.get("momentum", .9)),
            float(opts.get("decay", .0001)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cfg")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--native-bn", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.native_bn:
        dn_torch._batchnorm_train = native_batchnorm
    net = dn_torch.DarknetNet(a.cfg)
    net.random_init(1)
    leaves = net.trainable(torch.float32)
    lr, momentum, decay = net_keys(a.cfg)
    decayed = [v for l, name, v in leaves if name == "weights"]
    rest = [v for l, name, v in leaves if name != "weights"]
    opt = torch.optim.SGD([{"params": decayed, "weight_decay": decay},
                           {"params": rest, "weight_decay": 0.0}], lr=lr, momentum=momentum)
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(a.batch, net.c, net.h, net.w, generator=gen)
    with torch.no_grad():
        shapes = [h.shape for h in net(x[:1])]
    g = [.1 * torch.randn(a.batch, *s[1:], generator=gen) for s in shapes]
    times = []
    for i in range(a.warmup + a.runs):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        heads = net(x, train=True)
        loss = sum((h * gh).sum() for h, gh in zip(heads, g))
        loss.backward()
        opt.step()
        ms = 1e3 * (time.perf_counter() - t0)
        print(f"# step {i + 1}{' (warm-up)' if i < a.warmup else ''}: {ms:.1f} ms", flush=True)
        if i >= a.warmup:
            times.append(ms)
    med = statistics.median(times)
    print(f"torch {os.path.basename(a.cfg)} batch {a.batch} median {med:.1f} best {min(times):.1f} "
          f"ms_per_image {med / a.batch:.2f} runs {a.runs}")


if __name__ == "__main__":
    main()
