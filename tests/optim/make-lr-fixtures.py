#!/usr/bin/python3
"""Makes tests/optim/lr-torch.fix: the learning rates of the cosine and
onecycle policies (common/net/optim.c) as PyTorch's schedulers give them,
and of sgdr as AlexeyAB's get_current_rate computes it, for test_optim.c.

  cosine    torch.optim.lr_scheduler.CosineAnnealingLR(T_max = M,
            eta_min = lr * lrf): the rate after `it` scheduler steps is
            ours at iteration it (ours is the closed form; torch's is the
            recursive one, equal to it within rounding).
  onecycle  torch.optim.lr_scheduler.OneCycleLR(max_lr = lr, total_steps =
            M + 1, pct_start = (P + 1) / (M + 1) with P = pct_start * M,
            anneal_strategy 'cos', div_factor, final_div_factor = 1 / (lrf *
            div_factor), cycle_momentum False): torch's phases end at steps
            pct_start * total_steps - 1 = P and total_steps - 1 = M, so the
            rate after `it` steps is ours at it. (torch also cycles the
            momentum by default; ours does not.)
  sgdr      no torch scheduler is AlexeyAB's (CosineAnnealingWarmRestarts
            restarts at the cycle's end, his one step later), so his
            formula in Python with his float/double mix and his pi, which
            test_optim.c must match bit for bit.

The cfg values are float32 on the C side: each is rounded to float32 here
before use (f32), so both sides start from the same numbers.

File (text): "net BODY" (the [net] keys, ';' for newlines), then lines
"rate IT VALUE" (VALUE printed with 17 significant digits), and "exact"
after a net whose rates must be equal as float32 (sgdr), else within 1e-6
relative.

Run: /usr/bin/python3 tests/optim/make-lr-fixtures.py  (numpy, torch)
"""
import math
import os

import numpy as np
import torch


def f32(x):
    return float(np.float32(x))


def scheduler_rates(make, lr, n):
    """The rate of a fresh optimizer's group after 0, 1, ..., n - 1 steps."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr, momentum=0.9)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def cosine(lr, m, lrf):
    lr, lrf = f32(lr), f32(lrf)
    make = lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=m, eta_min=lr * lrf)
    body = f"learning_rate={lr!r};policy=cosine;max_batches={m};lrf={lrf!r}"
    return body, scheduler_rates(make, lr, m + 1), False


def onecycle(lr, m, lrf, pct, div):
    lr, lrf, pct, div = f32(lr), f32(lrf), f32(pct), f32(div)
    peak = pct * m
    make = lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=lr, total_steps=m + 1, pct_start=(peak + 1) / (m + 1),
        anneal_strategy="cos", cycle_momentum=False, div_factor=div,
        final_div_factor=1 / (lrf * div), three_phase=False)
    body = (f"learning_rate={lr!r};policy=onecycle;max_batches={m};lrf={lrf!r};"
            f"pct_start={pct!r};div_factor={div!r}")
    return body, scheduler_rates(make, lr, m + 1), False


def sgdr(lr, lr_min, cycle, mult, n):
    """AlexeyAB's SGDR case of get_current_rate (src/network.c): the cycle
    holding it (its end included), then lr_min + 0.5 * (lr - lr_min) * (1 +
    cos(pos * 3.14159265 / size)) with lr - lr_min in float, the rest in
    double, the result stored as float."""
    lr, lr_min = np.float32(lr), np.float32(lr_min)
    out = []
    for it in range(n):
        start, size = 0, cycle
        while start + size < it:
            start += size
            size *= mult
        half = float(np.float32(lr - lr_min))
        out.append(float(np.float32(float(lr_min) + 0.5 * half *
                                    (1. + math.cos(float(np.float32(it - start)) *
                                                   3.14159265 / size)))))
    body = (f"learning_rate={float(lr)!r};policy=sgdr;learning_rate_min={float(lr_min)!r};"
            f"sgdr_cycle={cycle};sgdr_mult={mult}")
    return body, out, True


CASES = [
    cosine(0.01, 100, 0.05),
    cosine(0.001, 7, 0.0),
    onecycle(0.01, 50, 0.01, 0.3, 25),
    onecycle(0.002, 7, 0.1, 0.25, 10),     # the peak between two steps (1.75)
    sgdr(0.01, 0.0001, 10, 2, 75),
    sgdr(0.001, 0.00001, 3, 3, 45),
]


def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lr-torch.fix")
    with open(path, "w") as f:
        f.write(f"# made by tests/optim/make-lr-fixtures.py (torch {torch.__version__})\n")
        for body, rates, exact in CASES:
            f.write(f"net {body}\n")
            if exact:
                f.write("exact\n")
            for it, r in enumerate(rates):
                f.write(f"rate {it} {r:.17g}\n")
    print(f"{path}: {len(CASES)} schedules")


if __name__ == "__main__":
    main()
