#!/usr/bin/python3
"""A COCO-val-sized evaluation case for bench/eval.sh, from a seed:
IMAGES images (default 5000) with about 7.2 truths each (36k in all; 1% crowd,
half with a segmentation `area` smaller than the box), 80 classes, and exactly
100 detections per image: 1 to 3 jittered copies of each truth (now and then
of another class) and random boxes with low scores for the rest.

    gen.py OUT_DIR [IMAGES] [SEED]
writes OUT_DIR/records.mp (the record stream eval-map reads), OUT_DIR/gt.json
(COCO instances) and OUT_DIR/dt.json (COCO results), the same boxes in each.
"""
import json
import os
import sys

import msgpack
import numpy as np

NCLS, DETS = 80, 100


def image(rng, i, w, h):
    n = int(rng.integers(1, 14))
    bw = np.minimum(rng.gamma(1.5, 50, n) + 2, w)
    bh = np.minimum(rng.gamma(1.5, 50, n) + 2, h)
    x1 = rng.uniform(0, w - bw)
    y1 = rng.uniform(0, h - bh)
    cls = rng.integers(0, NCLS, n)
    crowd = rng.random(n) < 0.01
    seg = rng.random(n) < 0.5
    area = bw * bh * rng.uniform(0.5, 0.9, n)
    truths = [(int(cls[k]), [x1[k], y1[k], x1[k] + bw[k], y1[k] + bh[k]], bool(crowd[k]),
               float(area[k]) if seg[k] else None) for k in range(n)]
    dets = []
    for c, b, _, _ in truths:
        for _ in range(int(rng.integers(1, 4))):
            j = rng.normal(0, 0.1, 4) * np.array([b[2] - b[0], b[3] - b[1]] * 2)
            x1_, y1_ = max(b[0] + j[0], 0), max(b[1] + j[1], 0)
            dets.append((c if rng.random() < 0.9 else int(rng.integers(0, NCLS)),
                         [x1_, y1_, max(min(b[2] + j[2], w), x1_ + 1), max(min(b[3] + j[3], h), y1_ + 1)],
                         float(rng.uniform(0.3, 1.0))))
    while len(dets) < DETS:
        bw_, bh_ = rng.uniform(4, w / 2), rng.uniform(4, h / 2)
        x, y = rng.uniform(0, w - bw_), rng.uniform(0, h - bh_)
        dets.append((int(rng.integers(0, NCLS)), [x, y, x + bw_, y + bh_], float(rng.uniform(0, 0.4))))
    return truths, dets[:DETS]


def main():
    out = sys.argv[1]
    nimg = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    names = ["class%02d" % c for c in range(NCLS)]
    images, anns, results = [], [], []
    with open(os.path.join(out, "records.mp"), "wb") as f:
        for i in range(nimg):
            w, h = 640, 480
            truths, dets = image(rng, i, w, h)
            objs = []
            for c, b, crowd, area in truths:
                o = {"class": c, "name": names[c], "bbox": [float(v) for v in b],
                     "difficult": False, "truncated": False, "iscrowd": crowd}
                if area is not None:
                    o["area"] = area
                objs.append(o)
                anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": c + 1,
                             "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]],
                             "area": area if area is not None else (b[2] - b[0]) * (b[3] - b[1]),
                             "iscrowd": int(crowd)})
            recd = [{"class": c, "name": names[c], "score": s, "bbox": [float(v) for v in b],
                     "objectness": s} for c, b, s in dets]
            for c, b, s in dets:
                results.append({"image_id": i + 1, "category_id": c + 1,
                                "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]], "score": s})
            images.append({"id": i + 1, "width": w, "height": h, "file_name": "%012d.jpg" % (i + 1)})
            f.write(msgpack.packb({"id": str(i + 1), "image": "%012d.jpg" % (i + 1), "width": w,
                                   "height": h, "coco_id": i + 1, "objects": objs,
                                   "detections": recd}, use_bin_type=True))
    cats = [{"id": c + 1, "name": n} for c, n in enumerate(names)]
    with open(os.path.join(out, "gt.json"), "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": cats}, f)
    with open(os.path.join(out, "dt.json"), "w") as f:
        json.dump(results, f)
    print("%d images, %d truths, %d detections, %d classes" % (nimg, len(anns), len(results), NCLS))


if __name__ == "__main__":
    main()
