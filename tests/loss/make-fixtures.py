#!/usr/bin/python3
"""Writes the yolo-loss fixtures of tests/loss: small records with random
head outputs, truth and targets, and the loss and gradient PyTorch autograd
finds for the formulas of docs/losses.md (float64), as expect_loss and
expect_grad. tests/stage/test_yolo_loss.sh runs yolo-loss on each file with
the options listed in fixtures.txt and compares to 1e-4 relative.

The targets are encoded here, independently of encode-targets: each box to
the cell holding its centre and the anchor of best centred IoU (v3: among all
anchors, only the head whose mask holds it), the later box winning a place.
What the losses treat as constants (IoU targets, the no-object mask, v1's
responsible box) is computed under torch.no_grad, as the C code's plan is.

    /usr/bin/python3 tests/loss/make-fixtures.py [OUTDIR]   (default tests/loss)
"""
import os
import struct
import sys

import msgpack
import numpy as np
import torch

torch.set_default_dtype(torch.float64)
RNG = np.random.default_rng(20261123)


def tensor(a):
    a = np.ascontiguousarray(a, dtype='<f4')
    return {'dtype': 'f32', 'shape': list(a.shape), 'data': a.tobytes()}


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


# ---- boxes and IoU (centre, size) --------------------------------------------

def iou(a, b):
    """IoU of boxes [..., 4] (cx, cy, w, h); 0 when the union is empty."""
    ax1, ax2 = a[..., 0] - a[..., 2] / 2, a[..., 0] + a[..., 2] / 2
    ay1, ay2 = a[..., 1] - a[..., 3] / 2, a[..., 1] + a[..., 3] / 2
    bx1, bx2 = b[..., 0] - b[..., 2] / 2, b[..., 0] + b[..., 2] / 2
    by1, by2 = b[..., 1] - b[..., 3] / 2, b[..., 1] + b[..., 3] / 2
    iw = (torch.minimum(ax2, bx2) - torch.maximum(ax1, bx1)).clamp(min=0)
    ih = (torch.minimum(ay2, by2) - torch.maximum(ay1, by1)).clamp(min=0)
    inter = iw * ih
    area = lambda x1, y1, x2, y2: (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    uni = area(ax1, ay1, ax2, ay2) + area(bx1, by1, bx2, by2) - inter
    return torch.where(uni > 0, inter / torch.where(uni > 0, uni, torch.ones_like(uni)),
                       torch.zeros_like(uni))


def wh_iou(w1, h1, w2, h2):
    inter = min(w1, w2) * min(h1, h2)
    return inter / (w1 * h1 + w2 * h2 - inter)


def random_truth(n, classes):
    """n boxes: some ordinary, some at the border, some sharing a cell."""
    rows = []
    for i in range(n):
        kind = i % 4
        if kind == 0 or not rows:
            x, y = RNG.uniform(0.05, 0.95, 2)
        elif kind == 1:      # at the border, clipped as encode-targets would
            x, y = RNG.choice([0.004, 0.996]), RNG.uniform(0, 1)
        else:                # near an earlier box: same cell, maybe same anchor
            x, y = np.clip(np.array(rows[-1][:2]) + RNG.normal(0, 0.01, 2), 0.001, 0.999)
        w, h = RNG.uniform(0.02, 0.8, 2)
        if kind == 1:
            w = min(w, 2 * min(x, 1 - x) + 1e-3)
        rows.append([x, y, w, h, float(RNG.integers(classes))])
    return f32(np.array(rows, dtype=np.float64).reshape(-1, 5))


# ---- heads -------------------------------------------------------------------

def grid_output(A, C, H, W, truth, anchors_wh, placer):
    """Raw outputs [A, 5+C, H, W]; for half the boxes, other anchors of the
    box's cell are made to fit it closely, so the no-object mask matters."""
    o = np.zeros((A, 5 + C, H, W))
    o[:, 0:2] = RNG.normal(0, 1.5, (A, 2, H, W))
    o[:, 2:4] = RNG.normal(0, 0.6, (A, 2, H, W))
    o[:, 4] = RNG.normal(0, 2, (A, H, W))
    o[:, 5:] = RNG.normal(0, 1.5, (A, C, H, W))
    for k, t in enumerate(truth):
        if k % 2:
            continue
        i, j = min(int(t[0] * W), W - 1), min(int(t[1] * H), H - 1)
        for a in range(A):
            sx, sy = t[0] * W - i, t[1] * H - j
            sx, sy = np.clip([sx, sy], 0.02, 0.98)
            o[a, 0, j, i] = np.log(sx / (1 - sx)) + RNG.normal(0, 0.05)
            o[a, 1, j, i] = np.log(sy / (1 - sy)) + RNG.normal(0, 0.05)
            aw, ah = placer(a)
            o[a, 2, j, i] = np.log(t[2] / aw) + RNG.normal(0, 0.05)
            o[a, 3, j, i] = np.log(t[3] / ah) + RNG.normal(0, 0.05)
    return f32(o)


def grid_target(A, C, H, W, truth, pick):
    """pick(t) -> anchor index of this head, or None."""
    g = np.zeros((A, 5 + C, H, W))
    for t in truth:
        a = pick(t)
        if a is None:
            continue
        i, j = min(int(t[0] * W), W - 1), min(int(t[1] * H), H - 1)
        g[a, :, j, i] = 0
        g[a, 0:4, j, i] = t[:4]
        g[a, 4, j, i] = 1
        g[a, 5 + int(t[4]), j, i] = 1
    return f32(g)


def v2_case(n, H=3, W=4, C=3):
    anchors = f32([0.6, 0.9, 1.5, 1.2, 3.0, 2.5])
    A = len(anchors) // 2
    truth = random_truth(n, C)
    pick = lambda t: int(np.argmax([wh_iou(t[2] * W, t[3] * H, anchors[2 * a],
                                           anchors[2 * a + 1]) for a in range(A)]))
    out = grid_output(A, C, H, W, truth, anchors,
                      lambda a: (anchors[2 * a] / W, anchors[2 * a + 1] / H))
    head = {'type': 'region', 'tensor': out.reshape(A * (5 + C), H, W), 'classes': C,
            'coords': 4, 'num': A, 'net_w': 32 * W, 'net_h': 32 * H,
            'anchors': [float(x) for x in anchors], 'softmax': True}
    return [head], [grid_target(A, C, H, W, truth, pick).reshape(A * (5 + C), H, W)], truth


def v3_case(n, C=4, net=(96, 64)):
    anchors = f32([6, 8, 12, 20, 24, 16, 30, 40, 60, 45, 80, 60])
    masks = [[3, 4, 5], [0, 1, 2]]
    grids = [(net[1] // 32, net[0] // 32), (net[1] // 16, net[0] // 16)]
    truth = random_truth(n, C)
    heads, targets = [], []
    for mask, (H, W) in zip(masks, grids):
        A = len(mask)

        def pick(t, mask=mask):
            best = int(np.argmax([wh_iou(t[2] * net[0], t[3] * net[1], anchors[2 * k],
                                         anchors[2 * k + 1]) for k in range(6)]))
            return mask.index(best) if best in mask else None
        out = grid_output(A, C, H, W, truth, anchors, lambda a, mask=mask: (
            anchors[2 * mask[a]] / net[0], anchors[2 * mask[a] + 1] / net[1]))
        heads.append({'type': 'yolo', 'tensor': out.reshape(A * (5 + C), H, W), 'classes': C,
                      'coords': 4, 'num': 6, 'net_w': net[0], 'net_h': net[1],
                      'anchors': [float(x) for x in anchors], 'mask': mask})
        tg = grid_target(A, C, H, W, truth, pick)
        targets.append(tg.reshape(A * (5 + C), H, W))
    # multi-label: a second class on the first assigned entry of the last head
    tg = targets[-1].reshape(len(masks[-1]), 5 + C, grids[-1][0], grids[-1][1])
    where = np.argwhere(tg[:, 4] == 1)
    if len(where):
        a, j, i = where[0]
        tg[a, 5:, j, i] = 0
        tg[a, 5, j, i] = tg[a, 6, j, i] = 1
    return heads, targets, truth


def v1_case(n, S=3, B=2, C=3, softmax=False):
    truth = random_truth(n, C)
    if n:   # a small box in cell 0, where no predicted box overlaps it
        truth[0, :4] = f32([0.04, 0.05, 0.05, 0.06])
    cls = RNG.normal(0, 1, (S * S, C))
    conf = RNG.normal(0.3, 0.5, (S * S, B))
    boxes = np.concatenate([RNG.uniform(0, 1, (S * S, B, 2)),
                            RNG.uniform(0.1, 0.9, (S * S, B, 2))], axis=2)
    boxes[0, :, 2:] = 0.01   # cell 0: tiny boxes, IoU 0 -> the nearest (box 1) is responsible
    boxes[0, :, :2] = (0.9 - 0.3 * np.arange(B)).reshape(B, 1)
    tg = np.zeros((S * S, 5 + C))
    for t in truth:
        cell = min(int(t[1] * S), S - 1) * S + min(int(t[0] * S), S - 1)
        tg[cell] = 0
        tg[cell, 0] = 1
        tg[cell, 1:5] = t[:4]
        tg[cell, 5 + int(t[4])] = 1
    raw = np.concatenate([cls.ravel(), conf.ravel(), boxes.ravel()])
    head = {'type': 'detection', 'tensor': f32(raw), 'classes': C, 'coords': 4, 'num': B,
            'net_w': 448, 'net_h': 448, 'side': S, 'sqrt': True, 'softmax': softmax}
    return [head], [f32(tg)], truth


# ---- the losses (docs/losses.md) -----------------------------------------------

ZERO = lambda: torch.zeros(())


def terms():
    return {k: ZERO() for k in ('xy', 'wh', 'obj', 'noobj', 'class')}


def grid_parts(h, raw, tg):
    A = len(h['mask']) if h['type'] == 'yolo' else h['num']
    C, H, W = h['classes'], raw.shape[1], raw.shape[2]
    o = raw.view(A, 5 + C, H, W)
    t = torch.tensor(tg).view(A, 5 + C, H, W)
    if h['type'] == 'yolo':
        an = torch.tensor([[h['anchors'][2 * m], h['anchors'][2 * m + 1]] for m in h['mask']])
        an = an / torch.tensor([h['net_w'], h['net_h']])       # fractions of the input
    else:
        an = torch.tensor(h['anchors']).view(A, 2) / torch.tensor([W, H])
    gx = torch.arange(W).view(1, 1, W).expand(A, H, W)
    gy = torch.arange(H).view(1, H, 1).expand(A, H, W)
    return A, C, H, W, o, t, an, gx, gy


def pred_boxes(o, an, gx, gy, H, W, sxy=1.0):
    """Decoded boxes; AlexeyAB's scale_x_y s takes the centre's logistic c to
    s c - (s - 1) / 2."""
    cx = torch.sigmoid(o[:, 0]) * sxy - (sxy - 1) / 2
    cy = torch.sigmoid(o[:, 1]) * sxy - (sxy - 1) / 2
    return torch.stack([(gx + cx) / W, (gy + cy) / H,
                        an[:, 0].view(-1, 1, 1) * torch.exp(o[:, 2]),
                        an[:, 1].view(-1, 1, 1) * torch.exp(o[:, 3])], dim=-1)


def plan(h, o, t, an, gx, gy, H, W, truth):
    """Detached: IoU of each prediction with its assigned box, best IoU with
    any truth box."""
    with torch.no_grad():
        pb = pred_boxes(o, an, gx, gy, H, W, h.get('scale_x_y', 1.0))
        u = iou(pb, t[:, 0:4].permute(0, 2, 3, 1))
        tb = torch.tensor(truth[:, :4])
        best = iou(pb.unsqueeze(-2), tb.view(1, 1, 1, -1, 4)).amax(-1) if len(truth) \
            else torch.zeros(pb.shape[:-1])
    return u, best


def stats(s, u, assigned):
    s['iou'] += float(u[assigned].sum())
    s['recall50'] += int((u[assigned] >= 0.5).sum())
    s['count'] += int(assigned.sum())


def loss_v2(h, raw, tg, truth, lam, variant, seen, s):
    A, C, H, W, o, t, an, gx, gy = grid_parts(h, raw, tg)
    u, best = plan(h, o, t, an, gx, gy, H, W, truth)
    m = t[:, 4] == 1
    stats(s, u, m)
    L = terms()
    so = torch.sigmoid(o[:, 4])
    eps = lam.get('smooth', 0.0)
    if eps:   # torch's own label smoothing: targets q (1 - eps) + eps / C
        ce = torch.nn.functional.cross_entropy(o[:, 5:], t[:, 5:], reduction='none',
                                               label_smoothing=eps)
    else:
        ce = -(t[:, 5:] * torch.log_softmax(o[:, 5:], dim=1)).sum(1)
    if variant == 'seed':
        n = max(int(m.sum()), 1)
        bx, by = torch.sigmoid(o[:, 0]) + gx, torch.sigmoid(o[:, 1]) + gy
        bw = an[:, 0].view(-1, 1, 1) * W * torch.exp(o[:, 2])
        bh = an[:, 1].view(-1, 1, 1) * H * torch.exp(o[:, 3])
        L['xy'] = lam['coord'] / (2 * n) * (((bx - t[:, 0] * W) ** 2 + (by - t[:, 1] * H) ** 2)[m]).sum()
        L['wh'] = lam['coord'] / (2 * n) * (((bw - t[:, 2] * W) ** 2 + (bh - t[:, 3] * H) ** 2)[m]).sum()
        L['class'] = lam['cls'] / n * ce[m].sum()
        wobj = torch.where(m, lam['obj'] * u, torch.zeros_like(u))
        wno = torch.where(~m & (best < lam['thresh']), torch.full_like(u, lam['noobj']),
                          torch.zeros_like(u))
        M = max(int((wobj > 0).sum() + (wno > 0).sum()), 1)
        L['obj'] = (wobj * (so - u) ** 2).sum() / (2 * M)
        L['noobj'] = (wno * so ** 2).sum() / (2 * M)
        return L
    k = lam['coord'] * (2 - t[:, 2] * t[:, 3])
    sx, sy = torch.sigmoid(o[:, 0]), torch.sigmoid(o[:, 1])
    tx, ty = t[:, 0] * W - gx, t[:, 1] * H - gy
    safe = lambda v: torch.where(m, v, torch.ones_like(v))
    tw = torch.log(safe(t[:, 2]) / an[:, 0].view(-1, 1, 1))
    th = torch.log(safe(t[:, 3]) / an[:, 1].view(-1, 1, 1))
    L['xy'] = (k / 2 * ((sx - tx) ** 2 + (sy - ty) ** 2))[m].sum()
    L['wh'] = (k / 2 * ((o[:, 2] - tw) ** 2 + (o[:, 3] - th) ** 2))[m].sum()
    L['obj'] = (lam['obj'] / 2 * (so - u) ** 2)[m].sum()
    L['class'] = lam['cls'] * ce[m].sum()
    keep = ~m & ~(best > lam['thresh'])
    L['noobj'] = (lam['noobj'] / 2 * so ** 2)[keep].sum()
    if seen < 12800:
        warm = ~m
        L['xy'] = L['xy'] + (0.01 / 2 * ((sx - 0.5) ** 2 + (sy - 0.5) ** 2))[warm].sum()
        L['wh'] = L['wh'] + (0.01 / 2 * (o[:, 2] ** 2 + o[:, 3] ** 2))[warm].sum()
    return L


def bce(z, q):
    """BCE of sigmoid(z) against q, from the logit."""
    return -(q * torch.nn.functional.logsigmoid(z) + (1 - q) * torch.nn.functional.logsigmoid(-z))


def ent(q):
    inside = (q > 0) & (q < 1)
    qq = torch.where(inside, q, torch.full_like(q, 0.5))
    return torch.where(inside, -qq * torch.log(qq) - (1 - qq) * torch.log(1 - qq),
                       torch.zeros_like(q))


def iou_losses(p, g, kind):
    """1 - IoU / GIoU / DIoU / CIoU of boxes [..., 4] (cx, cy, w, h) written
    from the papers' definitions with torch's min and max; CIoU's alpha =
    v / (1 - IoU + v) under no_grad (held constant)."""
    p1, p2 = p[..., :2] - p[..., 2:] / 2, p[..., :2] + p[..., 2:] / 2
    g1, g2 = g[..., :2] - g[..., 2:] / 2, g[..., :2] + g[..., 2:] / 2
    inter_wh = (torch.minimum(p2, g2) - torch.maximum(p1, g1)).clamp(min=0)
    inter = inter_wh[..., 0] * inter_wh[..., 1]
    union = p[..., 2] * p[..., 3] + g[..., 2] * g[..., 3] - inter
    u = inter / union
    hull = torch.maximum(p2, g2) - torch.minimum(p1, g1)
    if kind == 'iou':
        return 1 - u
    if kind == 'giou':
        c = hull[..., 0] * hull[..., 1]
        return 1 - (u - (c - union) / c)
    rho2 = ((p[..., :2] - g[..., :2]) ** 2).sum(-1)
    diou = 1 - u + rho2 / (hull ** 2).sum(-1)
    if kind == 'diou':
        return diou
    v = 4 / np.pi ** 2 * (torch.atan(g[..., 2] / g[..., 3]) - torch.atan(p[..., 2] / p[..., 3])) ** 2
    with torch.no_grad():
        den = 1 - u + v
        alpha = torch.where(den > 0, v / torch.where(den > 0, den, torch.ones_like(den)),
                            torch.zeros_like(v))
    return diou + alpha * v


def loss_v3(h, raw, tg, truth, lam, s):
    A, C, H, W, o, t, an, gx, gy = grid_parts(h, raw, tg)
    u, best = plan(h, o, t, an, gx, gy, H, W, truth)
    m = t[:, 4] == 1
    stats(s, u, m)
    L = terms()
    sxy = h.get('scale_x_y', 1.0)
    box = lam.get('box') or h.get('iou_loss', 'mse')
    inorm = lam.get('iou_norm') or h.get('iou_normalizer', 1.0)
    cnorm = lam.get('cls_norm') or h.get('cls_normalizer', 1.0)
    eps = lam['smooth'] if 'smooth' in lam else h.get('label_smooth_eps', 0.0)
    q = t[:, 5:] * (1 - eps) + eps / 2     # AlexeyAB's: 1 -> 1 - eps/2, 0 -> eps/2
    if box == 'mse':
        k = lam['coord'] * inorm * (2 - t[:, 2] * t[:, 3])
        tx, ty = t[:, 0] * W - gx, t[:, 1] * H - gy
        qx, qy = (tx + (sxy - 1) / 2) / sxy, (ty + (sxy - 1) / 2) / sxy
        L['xy'] = (k * sxy * (bce(o[:, 0], qx) - ent(qx) + bce(o[:, 1], qy) - ent(qy)))[m].sum()
        safe = lambda v: torch.where(m, v, torch.ones_like(v))
        tw = torch.log(safe(t[:, 2]) / an[:, 0].view(-1, 1, 1))
        th = torch.log(safe(t[:, 3]) / an[:, 1].view(-1, 1, 1))
        L['wh'] = (k / 2 * ((o[:, 2] - tw) ** 2 + (o[:, 3] - th) ** 2))[m].sum()
    else:
        pb = pred_boxes(o, an, gx, gy, H, W, sxy)[m]
        L['xy'] = lam['coord'] * inorm * iou_losses(pb, t[:, 0:4].permute(0, 2, 3, 1)[m],
                                                    box).sum()
    L['obj'] = lam['obj'] * bce(o[:, 4], torch.ones_like(u))[m].sum()
    keep = ~m & ~(best > lam['thresh'])
    L['noobj'] = lam['noobj'] * bce(o[:, 4], torch.zeros_like(u))[keep].sum()
    L['class'] = lam['cls'] * cnorm * (bce(o[:, 5:], q).sum(1))[m].sum()
    return L


def loss_v1(h, raw, tg, lam, s):
    S, B, C = h['side'], h['num'], h['classes']
    cls = raw[:S * S * C].view(S * S, C)
    conf = raw[S * S * C:S * S * (C + B)].view(S * S, B)
    bx = raw[S * S * (C + B):].view(S * S, B, 4)
    t = torch.tensor(tg)
    L = terms()
    wno = torch.full((S * S, B), lam['noobj'])
    for cell in range(S * S):
        if t[cell, 0] != 1:
            continue
        col, row = cell % S, cell // S
        with torch.no_grad():
            pb = torch.stack([(col + bx[cell, :, 0]) / S, (row + bx[cell, :, 1]) / S,
                              bx[cell, :, 2] ** 2, bx[cell, :, 3] ** 2], -1)
            us = iou(pb, t[cell, 1:5].expand(B, 4))
            if float(us.max()) > 0:
                r = int(torch.argmax(us))   # the first of the highest
            else:
                r = int(torch.argmin(((pb - t[cell, 1:5]) ** 2).sum(-1)))
            ur = float(us[r])
        s['iou'] += ur
        s['recall50'] += ur >= 0.5
        s['count'] += 1
        wno[cell, r] = 0
        b = bx[cell, r]
        L['xy'] = L['xy'] + lam['coord'] * ((b[0] - (t[cell, 1] * S - col)) ** 2 +
                                           (b[1] - (t[cell, 2] * S - row)) ** 2)
        L['wh'] = L['wh'] + lam['coord'] * ((b[2] - torch.sqrt(t[cell, 3])) ** 2 +
                                           (b[3] - torch.sqrt(t[cell, 4])) ** 2)
        L['obj'] = L['obj'] + lam['obj'] * (conf[cell, r] - ur) ** 2
        if h['softmax']:
            L['class'] = L['class'] - lam['cls'] * (t[cell, 5:] *
                                                  torch.log_softmax(cls[cell], 0)).sum()
        else:
            L['class'] = L['class'] + lam['cls'] * ((cls[cell] - t[cell, 5:]) ** 2).sum()
    L['noobj'] = (wno * conf ** 2).sum()
    return L


# ---- records -------------------------------------------------------------------

DEFAULTS = {1: dict(coord=5, obj=1, noobj=0.5, cls=1, thresh=0),
            2: dict(coord=1, obj=5, noobj=1, cls=1, thresh=0.6),
            3: dict(coord=1, obj=1, noobj=1, cls=1, thresh=0.7)}


def expect(heads, targets, truth, version, lam, variant, seen):
    raws = [torch.tensor(f32(h['tensor']).ravel(), requires_grad=True) for h in heads]
    s = {'iou': 0.0, 'recall50': 0, 'count': 0}
    tot = terms()
    for h, raw, tg in zip(heads, raws, targets):
        shaped = raw.view(*np.shape(h['tensor']))
        if version == 1:
            L = loss_v1(h, raw, tg, lam, s)
        elif version == 2:
            L = loss_v2(h, shaped, tg, truth, lam, variant, seen, s)
        else:
            L = loss_v3(h, shaped, tg, truth, lam, s)
        for k in tot:
            tot[k] = tot[k] + L[k]
    total = sum(tot.values())
    grads = torch.autograd.grad(total, raws, allow_unused=True)
    n = s['count']
    loss = {'total': float(total), **{k: float(v) for k, v in tot.items()},
            'avg_iou': s['iou'] / n if n else 0.0,
            'recall50': s['recall50'] / n if n else 0.0, 'count': n}
    grad = [tensor(np.zeros(np.shape(h['tensor'])) if g is None else
                   g.detach().numpy().reshape(np.shape(h['tensor']))) for h, g in zip(heads, grads)]
    return loss, grad


def record(idx, heads, targets, truth, version, lam, variant='seed', seen=12800):
    loss, grad = expect(heads, targets, truth, version, lam, variant, seen)
    out = []
    for h in heads:
        h = dict(h)
        h['tensor'] = tensor(h['tensor'])
        out.append(h)
    return {'id': 'case%d' % idx, 'output': out, 'truth': tensor(truth.reshape(-1, 5)),
            'target': [tensor(t) for t in targets], 'expect_loss': loss,
            'expect_grad': grad}


def write(path, recs):
    with open(path, 'wb') as f:
        for r in recs:
            f.write(msgpack.packb(r, use_bin_type=True, use_single_float=False))


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    counts = [0, 3, 8]                 # 0: an image without objects
    files = []

    def lamb(version, **kw):
        d = dict(DEFAULTS[version])
        d.update(kw)
        return d

    v2seed = [record(i, *v2_case(n), 2, lamb(2)) for i, n in enumerate(counts)]
    files.append(('v2-seed.mp', '--variant seed', v2seed))
    custom = lamb(2, coord=2, obj=3, noobj=0.5, cls=1.5, thresh=0.5)
    files.append(('v2-seed-lambdas.mp', '--lambda-coord 2 --lambda-obj 3 --lambda-noobj 0.5 '
                  '--lambda-class 1.5 --thresh 0.5',
                  [record(i, *v2_case(n), 2, custom) for i, n in enumerate(counts)]))
    files.append(('v2-darknet.mp', '--variant darknet --seen 12800',
                  [record(i, *v2_case(n), 2, lamb(2), 'darknet', 12800)
                   for i, n in enumerate(counts)]))
    files.append(('v2-darknet-warm.mp', '--variant darknet --seen 12798',
                  [record(i, *v2_case(n), 2, lamb(2), 'darknet', 12798 + i)
                   for i, n in enumerate(counts)]))
    files.append(('v3.mp', '', [record(i, *v3_case(n), 3, lamb(3))
                                for i, n in enumerate(counts)]))
    files.append(('v3-ignore.mp', '--ignore-thresh 0.5 --lambda-noobj 2',
                  [record(i, *v3_case(n), 3, lamb(3, thresh=0.5, noobj=2))
                   for i, n in enumerate(counts)]))
    files.append(('v1.mp', '', [record(i, *v1_case(n, softmax=i % 2 == 1), 1, lamb(1))
                                for i, n in enumerate(counts)]))

    # AlexeyAB's keys in the heads' entries (as darknet-forward writes a
    # yolov4 cfg's), and the options over them
    def ab_case(n, **keys):
        heads, targets, truth = v3_case(n)
        for h in heads:
            h.update(keys)
        return heads, targets, truth
    files.append(('v3-ab-ciou.mp', '', [record(i, *ab_case(n, scale_x_y=1.05, iou_loss='ciou',
                                                            iou_normalizer=0.07), 3, lamb(3))
                                         for i, n in enumerate(counts)]))
    files.append(('v3-ab-mse.mp', '', [record(i, *ab_case(n, scale_x_y=1.2, iou_normalizer=0.5,
                                                           cls_normalizer=2.0), 3, lamb(3))
                                        for i, n in enumerate(counts)]))
    files.append(('v3-giou.mp', '--iou-loss giou --iou-normalizer 0.5 --cls-normalizer 2',
                  [record(i, *ab_case(n, scale_x_y=1.1, iou_loss='ciou'), 3,
                          lamb(3, box='giou', iou_norm=0.5, cls_norm=2.0))
                   for i, n in enumerate(counts)]))
    files.append(('v3-diou.mp', '--iou-loss diou', [record(i, *v3_case(n), 3, lamb(3, box='diou'))
                                                     for i, n in enumerate(counts)]))
    files.append(('v3-iou.mp', '--iou-loss iou', [record(i, *v3_case(n), 3, lamb(3, box='iou'))
                                                   for i, n in enumerate(counts)]))
    # label smoothing: from the option, from the heads' label_smooth_eps (as
    # darknet-forward writes a cfg's), the option over the entry; v2's softmax
    files.append(('v3-smooth.mp', '--label-smoothing 0.1',
                  [record(i, *v3_case(n), 3, lamb(3, smooth=0.1)) for i, n in enumerate(counts)]))
    files.append(('v3-ab-smooth.mp', '', [record(i, *ab_case(n, label_smooth_eps=0.2,
                                                              cls_normalizer=2.0), 3, lamb(3))
                                           for i, n in enumerate(counts)]))
    files.append(('v3-ab-smooth-opt.mp', '--label-smoothing 0.05',
                  [record(i, *ab_case(n, label_smooth_eps=0.2), 3, lamb(3, smooth=0.05))
                   for i, n in enumerate(counts)]))
    files.append(('v2-seed-smooth.mp', '--variant seed --label-smoothing 0.1',
                  [record(i, *v2_case(n), 2, lamb(2, smooth=0.1)) for i, n in enumerate(counts)]))
    files.append(('v2-darknet-smooth.mp', '--variant darknet --seen 12800 --label-smoothing 0.3',
                  [record(i, *v2_case(n), 2, lamb(2, smooth=0.3), 'darknet', 12800)
                   for i, n in enumerate(counts)]))
    with open(os.path.join(outdir, 'fixtures.txt'), 'w') as f:
        f.write('# file, then yolo-loss options (written by make-fixtures.py)\n')
        for name, opts, recs in files:
            write(os.path.join(outdir, name), recs)
            f.write('%s %s\n' % (name, opts))
    print('wrote %d files to %s' % (len(files), outdir))


if __name__ == '__main__':
    main()
