"""Synthetic detection streams for the track stage, and CLEAR MOT scores.

    track-synth.py gen SCENARIO > stream.mp
        small hand-made streams for tests/stage/test_track.sh; every entry
        carries its object's number in `gt` (an unknown field: track passes
        it through), so a test can check that ids follow objects.
    track-synth.py paths --seed S --frames F --objects K TRUTH > stream.mp
        K objects of synth-voc's 5 shape classes moving along paths (straight
        lines, bounces off the edges, slow curves) in a 640x480 frame over F
        frames, entering and leaving; detections are the true boxes with
        noise, misses (more when another object covers one), low scores
        while partly covered, and false positives; the truth, one JSON line
        per frame, goes to TRUTH.
    track-synth.py oracle MIN_SCORE < stream.mp > tracked.mp
        what a tracker that knew the truth would write: every entry of a real
        object (`gt` >= 0) scoring >= MIN_SCORE gets its object's number + 1
        as track_id, the false positives none (the bound for the scores).
    track-synth.py score TRUTH < tracked.mp
        CLEAR MOT (Bernardin and Stiefelhagen 2008) of the entries with a
        track_id against the truth at IoU >= 0.5: MOTA, MOTP, ID switches,
        misses, false positives, and the number of ids; one JSON line.

Only Debian's python3-msgpack is needed. Same arguments, same bytes.
"""
import json
import math
import random
import sys

import msgpack

W, H = 640, 480
NAMES = ["circle", "square", "triangle", "star", "cross"]  # synth-voc's classes


def write(frames):
    out = sys.stdout.buffer
    for i, dets in enumerate(frames):
        rec = {"id": str(i), "width": W, "height": H, "detections": dets}
        out.write(msgpack.packb(rec, use_bin_type=True))


def det(cls, box, score, gt):
    return {"class": cls, "name": NAMES[cls], "score": score,
            "bbox": [float(v) for v in box], "gt": gt}


def moving(f, x0, y0, dx, dy, w=40, h=30):
    x, y = x0 + dx * f, y0 + dy * f
    return [x, y, x + w, y + h]


# ---- small scenarios ----------------------------------------------------------

def scenario(name):
    frames = []
    if name == "single":        # one box moving down and right for 30 frames
        for f in range(30):
            frames.append([det(0, moving(f, 20, 40, 4, 2), 0.9, 0)])
    elif name == "cross":       # two boxes crossing head-on, in either order
        for f in range(40):
            a = det(0, moving(f, 10, 100, 6, 0.5), 0.9, 0)
            b = det(0, moving(f, 250, 110, -6, -0.5), 0.85, 1)
            frames.append([a, b] if f % 2 else [b, a])
    elif name.startswith("hide"):   # hide-A-B: not seen in frames [A, B)
        a, b = (int(v) for v in name.split("-")[1:])
        for f in range(b + 20):
            seen = not a <= f < b
            frames.append([det(1, moving(f, 20, 40, 3, 1), 0.9, 0)] if seen else [])
    elif name.startswith("low"):    # low-A-B: scoring 0.3 in frames [A, B)
        a, b = (int(v) for v in name.split("-")[1:])
        for f in range(b + 10):
            s = 0.3 if a <= f < b else 0.9
            frames.append([det(2, moving(f, 20, 40, 3, 1), s, 0)])
    elif name == "class":       # the detector calls the object class 3 from frame 10 on
        for f in range(20):
            frames.append([det(3 if f >= 10 else 0, moving(f, 20, 40, 3, 1), 0.9, 0)])
    elif name == "crowd":       # 5 still objects far apart
        for f in range(10):
            frames.append([det(0, moving(0, 100 * k, 10, 0, 0), 0.9, k) for k in range(5)])
    else:
        sys.exit(f"track-synth.py: unknown scenario {name}")
    write(frames)


# ---- objects along paths ------------------------------------------------------

def iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def covered(a, b):
    """The part of a that b covers."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    return 0.0 if iw <= 0 or ih <= 0 else iw * ih / ((a[2] - a[0]) * (a[3] - a[1]))


def new_object(rng, k, frames):
    w = rng.uniform(24, 110)
    return {"k": k, "cls": rng.randrange(5), "w": w, "h": w * rng.uniform(0.7, 1.4),
            "x": rng.uniform(0, W - w), "y": rng.uniform(0, H - 110),
            "vx": rng.uniform(-4, 4), "vy": rng.uniform(-3, 3),
            "turn": rng.choice([0.0, 0.0, rng.uniform(-0.03, 0.03)]),
            "start": rng.randrange(0, frames // 2), "life": rng.randrange(frames // 3, frames)}


def step(o):
    """Moves o a frame: a slow turn, bounces off the edges."""
    c, s = math.cos(o["turn"]), math.sin(o["turn"])
    o["vx"], o["vy"] = c * o["vx"] - s * o["vy"], s * o["vx"] + c * o["vy"]
    o["x"] += o["vx"]
    o["y"] += o["vy"]
    if o["x"] < 0 or o["x"] + o["w"] > W:
        o["vx"] = -o["vx"]
    if o["y"] < 0 or o["y"] + o["h"] > H:
        o["vy"] = -o["vy"]


def paths(seed, nframes, nobj, truth_path):
    rng = random.Random(seed)
    objs = [new_object(rng, k, nframes) for k in range(nobj)]
    frames, truth = [], []
    for f in range(nframes):
        live = [o for o in objs if o["start"] <= f < o["start"] + o["life"]]
        boxes = {o["k"]: [o["x"], o["y"], o["x"] + o["w"], o["y"] + o["h"]] for o in live}
        dets = []
        for o in live:
            b = boxes[o["k"]]
            cover = max([covered(b, boxes[p["k"]]) for p in live if p is not o] + [0.0])
            if rng.random() < 0.05 + 0.8 * cover:
                continue                                    # missed
            n = 0.03 * o["w"]
            nb = [b[0] + rng.gauss(0, n), b[1] + rng.gauss(0, n),
                  b[2] + rng.gauss(0, n), b[3] + rng.gauss(0, n)]
            nb[2], nb[3] = max(nb[2], nb[0] + 1), max(nb[3], nb[1] + 1)
            # partly covered, or now and then: a low score
            low = cover > 0.2 or rng.random() < 0.15
            score = rng.uniform(0.15, 0.45) if low else rng.uniform(0.55, 0.99)
            dets.append(det(o["cls"], nb, round(score, 3), o["k"]))
        for _ in range(rng.choice([0, 0, 1, 1, 2])):        # false positives
            w = rng.uniform(20, 80)
            x, y = rng.uniform(0, W - w), rng.uniform(0, H - w)
            dets.append(det(rng.randrange(5), [x, y, x + w, y + w],
                            round(rng.uniform(0.1, 0.6), 3), -1))
        rng.shuffle(dets)
        frames.append(dets)
        truth.append([{"k": o["k"], "bbox": boxes[o["k"]]} for o in live])
        for o in live:
            step(o)
    write(frames)
    with open(truth_path, "w") as fh:
        for t in truth:
            fh.write(json.dumps(t) + "\n")


# ---- CLEAR MOT ----------------------------------------------------------------

def score(truth_path):
    truth = [json.loads(l) for l in open(truth_path)]
    unp = msgpack.Unpacker(sys.stdin.buffer, raw=False)
    last = {}           # truth object -> the track id it was last matched to
    n_gt = fn = fp = idsw = matches = 0
    iou_sum = 0.0
    ids = set()
    for f, rec in enumerate(unp):
        gts = truth[f]
        hyps = [d for d in rec.get("detections", []) if "track_id" in d]
        ids.update(d["track_id"] for d in hyps)
        n_gt += len(gts)
        pairs = {}
        free_g = set(range(len(gts)))
        free_h = set(range(len(hyps)))
        # correspondences of the previous frame kept while still valid
        for gi, g in enumerate(gts):
            for hi, h in enumerate(hyps):
                if (hi in free_h and last.get(g["k"]) == h["track_id"]
                        and iou(g["bbox"], h["bbox"]) >= 0.5):
                    pairs[gi] = hi
                    free_g.discard(gi)
                    free_h.discard(hi)
                    break
        # the rest by IoU, largest first
        cand = sorted(((iou(gts[gi]["bbox"], hyps[hi]["bbox"]), gi, hi)
                       for gi in free_g for hi in free_h), key=lambda t: (-t[0], t[1], t[2]))
        for o, gi, hi in cand:
            if o >= 0.5 and gi in free_g and hi in free_h:
                pairs[gi] = hi
                free_g.discard(gi)
                free_h.discard(hi)
        for gi, hi in pairs.items():
            k, tid = gts[gi]["k"], hyps[hi]["track_id"]
            if k in last and last[k] != tid:
                idsw += 1
            last[k] = tid
            iou_sum += iou(gts[gi]["bbox"], hyps[hi]["bbox"])
        matches += len(pairs)
        fn += len(free_g)
        fp += len(free_h)
    print(json.dumps({"frames": len(truth), "truth": n_gt, "objects": len(
        {g["k"] for t in truth for g in t}), "ids": len(ids), "matched": matches,
        "misses": fn, "false_positives": fp, "id_switches": idsw,
        "mota": round(1 - (fn + fp + idsw) / max(n_gt, 1), 4),
        "motp": round(iou_sum / max(matches, 1), 4)}))


def oracle(min_score):
    out = sys.stdout.buffer
    for rec in msgpack.Unpacker(sys.stdin.buffer, raw=False):
        for d in rec["detections"]:
            if d["gt"] >= 0 and d["score"] >= min_score:
                d["track_id"] = d["gt"] + 1
        out.write(msgpack.packb(rec, use_bin_type=True))


def main():
    a = sys.argv[1:]
    if a[:1] == ["gen"] and len(a) == 2:
        scenario(a[1])
    elif a[:1] == ["paths"] and len(a) == 8:
        opt = dict(zip(a[1:7:2], a[2:7:2]))
        paths(int(opt["--seed"]), int(opt["--frames"]), int(opt["--objects"]), a[7])
    elif a[:1] == ["oracle"] and len(a) == 2:
        oracle(float(a[1]))
    elif a[:1] == ["score"] and len(a) == 2:
        score(a[1])
    else:
        sys.exit(__doc__)


main()
