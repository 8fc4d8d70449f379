#!/usr/bin/python3
"""Makes the COCO results fixtures in tests/eval/: a small COCO instances file,
detections for its images, the results file they make and what pycocotools
says about it. tests/stage/test_coco_results.sh runs coco-parse, coco-results
and eval-map --results on them.

pycocotools is built as make-fixtures.py says (in /tmp, never committed);
this script borrows its load_references and its random boxes. Rebuild:
    /usr/bin/python3 tests/eval/make-coco-results.py /tmp/evalref
(from the top of the repository); the same seed gives the same files:

  coco-gt.json               instances: images listed out of id order, named
                             by their id (000000004521.jpg), categories with
                             ids 3, 7, 18, 44, 90 listed out of order (44 has
                             no annotation), crowd boxes, areas
  coco-dets.jsonl            per image {"id", "detections"} as records hold
                             them (class = rank of the category id, bbox
                             [x1, y1, x2, y2]), to be merged into coco-parse's
                             records by id
  coco-results.json          the results array those detections make
                             ([x1, y1, x2 - x1, y2 - y1] in doubles), one
                             element a line, in record order: what coco-results
                             must write
  coco-results.expected.json pycocotools' COCOeval on coco-gt.json and
                             coco-results.json (loadRes): the six AP figures
                             and AP per class (null: no truth)

Scores are distinct, so that the order of images (pycocotools: by id; eval-map:
the records' order) cannot break ties differently.
"""
import contextlib
import importlib.util
import io
import json
import os
import random
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CATS = [(18, "dog"), (3, "car"), (90, "toothbrush"), (44, "kite"), (7, "train")]
SEED = 11


def borrow():
    """make-fixtures.py as a module (its name has a hyphen)."""
    spec = importlib.util.spec_from_file_location("make_fixtures", os.path.join(HERE, "make-fixtures.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def make_case(mf, rnd):
    ids = sorted(rnd.sample(range(1, 600000), 24))
    order = ids[:]
    rnd.shuffle(order)
    by_rank = sorted(CATS)                     # class = rank of the category id
    with_truth = [c for c in range(len(by_rank)) if by_rank[c][0] != 44]
    images, anns, dets = [], [], {}
    scores = set()
    for iid in order:
        w, h = rnd.choice([(640, 480), (500, 375), (427, 640)])
        images.append({"id": iid, "file_name": "%012d.jpg" % iid, "width": w, "height": h})
        objs = []
        for _ in range(0 if iid % 9 == 0 else rnd.randint(1, 6)):
            o = mf.rand_truth(rnd, w, h, len(with_truth))
            o["class"] = with_truth[o["class"]]
            o["bbox"] = [round(v + rnd.uniform(-0.5, 0.5), 2) if 0 < v < lim else v
                         for v, lim in zip(o["bbox"], (w, h, w, h))]
            if o["bbox"][2] <= o["bbox"][0] or o["bbox"][3] <= o["bbox"][1]:
                continue
            objs.append(o)
            x1, y1, x2, y2 = o["bbox"]
            anns.append({"id": len(anns) + 1, "image_id": iid, "category_id": by_rank[o["class"]][0],
                         "bbox": [x1, y1, round(x2 - x1, 2), round(y2 - y1, 2)],
                         "area": o.get("area", round((x2 - x1) * (y2 - y1) * 0.8, 3)),
                         "iscrowd": int(o["iscrowd"]), "segmentation": [[x1, y1, x2, y1, x2, y2]]})
            # the record's box is what coco-parse makes of the annotation
            b = anns[-1]["bbox"]
            o["bbox"] = [b[0], b[1], b[0] + b[2], b[1] + b[3]]
            o["difficult"] = False
        d = []
        for o in objs:
            for _ in range(rnd.choice([0, 1, 1, 2])):
                cls = o["class"] if rnd.random() < 0.85 else rnd.randrange(len(by_rank))
                d.append({"class": cls, "bbox": mf.jitter(rnd, o["bbox"], w, h, rnd.choice([0.02, 0.08, 0.2]))})
        for _ in range(rnd.randint(0, 3)):
            b = [rnd.uniform(0, w / 2), rnd.uniform(0, h / 2), w / 2 + 20, h / 2 + 20]
            d.append({"class": rnd.randrange(len(by_rank)), "bbox": mf.jitter(rnd, b, w, h, 0.1)})
        for e in d:
            while True:
                s = round(rnd.random(), 6)
                if s not in scores and s > 0:
                    break
            scores.add(s)
            e["score"] = s
            e["name"] = by_rank[e["class"]][1]
            while mf.near_threshold(e, objs):
                e["bbox"] = [round(v + 0.013, 3) for v in e["bbox"]]
        d.sort(key=lambda e: -e["score"])      # as nms leaves them
        dets[iid] = [{"class": e["class"], "name": e["name"], "score": e["score"], "bbox": e["bbox"]}
                     for e in d]
    cats = [{"id": i, "name": n, "supercategory": "x"} for i, n in CATS]
    gt = {"info": {"description": "make-coco-results.py"}, "images": images,
          "annotations": anns, "categories": cats}
    results = []
    for iid in order:
        for e in dets[iid]:
            x1, y1, x2, y2 = e["bbox"]
            results.append({"image_id": iid, "category_id": by_rank[e["class"]][0],
                            "bbox": [x1, y1, x2 - x1, y2 - y1], "score": e["score"]})
    return gt, order, dets, results


def evaluate(refs, gt, results):
    COCO, COCOeval, _ = refs
    names = {c["id"]: c["name"] for c in gt["categories"]}
    with contextlib.redirect_stdout(io.StringIO()):
        g = COCO()
        g.dataset = json.loads(json.dumps(gt))
        g.createIndex()
        dt = g.loadRes(json.loads(json.dumps(results)))
        E = COCOeval(g, dt, "bbox")
        E.evaluate()
        E.accumulate()
        E.summarize()
    s = [None if v == -1 else float(v) for v in E.stats[:6]]
    per = {}
    for k, c in enumerate(E.params.catIds):
        p = E.eval["precision"][:, :, k, 0, -1]
        per[names[c]] = float(np.mean(p[p > -1])) if (p > -1).any() else None
    return {"ap": s[0], "ap50": s[1], "ap75": s[2], "ap_small": s[3], "ap_medium": s[4],
            "ap_large": s[5], "ap_per_class": per}


def main():
    ref = sys.argv[1] if len(sys.argv) > 1 else "/tmp/evalref"
    mf = borrow()
    refs = mf.load_references(ref)
    gt, order, dets, results = make_case(mf, random.Random(SEED))
    with open(os.path.join(HERE, "coco-gt.json"), "w") as f:
        json.dump(gt, f, separators=(",", ":"))
        f.write("\n")
    with open(os.path.join(HERE, "coco-dets.jsonl"), "w") as f:
        for iid in order:
            f.write(json.dumps({"id": str(iid), "detections": dets[iid]}, separators=(",", ":")) + "\n")
    with open(os.path.join(HERE, "coco-results.json"), "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(r, separators=(",", ":")) for r in results) + "\n]\n")
    with open(os.path.join(HERE, "coco-results.expected.json"), "w") as f:
        json.dump({"coco": evaluate(refs, gt, results)}, f, indent=1, sort_keys=True)
        f.write("\n")
    print("%d images, %d truths, %d results" % (len(gt["images"]), len(gt["annotations"]), len(results)))


if __name__ == "__main__":
    main()
