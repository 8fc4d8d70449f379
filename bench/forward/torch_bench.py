"""The PyTorch column of bench/forward.sh: one darknet cfg and weights as
tests/torch/dn_torch.py builds them, timed on a [B, 3, H, W] batch of
seeded random images (B = --batch, default 1).

    /usr/bin/python3 bench/forward/torch_bench.py CFG WEIGHTS [--runs N]
        [--warmup N] [--threads N] [--batch B] [--no-fold]

torch.set_num_threads(threads) (default 2), torch.no_grad(), batch norm
folded into the convolutions (as darknet-forward does) unless --no-fold;
--warmup (default 2) untimed runs, then --runs (default 10) timed ones.
Prints one line, ms per image (a run's time / B): "torch <cfg> median <ms>
best <ms> runs <n> bflops <x> batch <B>" (bflops: per image).
"""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "torch"))
import dn_torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cfg")
    ap.add_argument("weights")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--no-fold", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    net = dn_torch.DarknetNet(a.cfg)
    net.load_weights(a.weights)
    if not a.no_fold:
        net.fold_batchnorm()
    net.eval()
    x = torch.rand(a.batch, net.c, net.h, net.w, generator=torch.Generator().manual_seed(1))
    times = []
    with torch.no_grad():
        for i in range(a.warmup + a.runs):
            t0 = time.perf_counter()
            net(x)
            if i >= a.warmup:
                times.append(1e3 * (time.perf_counter() - t0) / a.batch)
    print(f"torch {os.path.basename(a.cfg)} median {statistics.median(times):.1f} "
          f"best {min(times):.1f} runs {a.runs} bflops {net.bflops():.3f} batch {a.batch}")


if __name__ == "__main__":
    main()
