#!/usr/bin/python3
"""Makes the eval-map reference fixtures in tests/eval/: small random cases
(records as JSON Lines) and what the reference evaluators say about them.

References, built in /tmp and never committed:
  * pycocotools, from the public cocodataset/cocoapi sources:
        git --git-dir=<mirror of cocodataset/cocoapi> archive HEAD PythonAPI common \
            | tar -x -C /tmp/evalref
        cd /tmp/evalref/PythonAPI && /usr/bin/python3 setup.py build_ext --inplace
    (Debian's cython3, python3-numpy, python3-dev).
  * voc_eval.py from rbgirshick/py-faster-rcnn (lib/datasets/voc_eval.py):
        git --git-dir=<mirror of rbgirshick/py-faster-rcnn> archive HEAD \
            lib/datasets/voc_eval.py | tar -x -C /tmp/evalref
    It is Python 2: this script runs lib2to3's print fixer on a copy in /tmp.

Rebuild:
    /usr/bin/python3 tests/eval/make-fixtures.py /tmp/evalref
(from the top of the repository). It rewrites tests/eval/CASE.jsonl (the
records), CASE.expected.json (what eval-map --json must print, to 1e-4) and
id0.pycocotools-id0.json (pycocotools on the id0 case with annotation ids
from 0, which it gets wrong); the same seeds give the same files.
tests/stage/test_eval_map.sh compares eval-map with them.

Shims (the references' code is not changed):
  * pycocotools imports matplotlib (only for showing annotations) and uses
    np.float, gone from numpy 1.24: a stub matplotlib and np.float = float.
  * voc_eval.py uses np.bool (gone too) and cPickle for an annotation cache
    (the cache is skipped), and sorts detections with np.argsort's default
    quicksort, which does not keep the order of equal scores; it is run with
    a stable argsort, the order MATLAB's sort gives in the official devkit
    and the one eval-map uses (stream order).
  * 'difficult' truths are ignored in COCO by eval-map; pycocotools has no such
    flag, so its _prepare is extended to set 'ignore' for them (the same path
    iscrowd takes, minus the crowd overlap).

Conversions (docs/records.md, section 3): a record box [x1, y1, x2, y2] is
VOC's xmin = x1 + 1, ymin = y1 + 1, xmax = x2, ymax = y2 (truths are whole
pixels, as VOC XML needs integers) and COCO's [x1, y1, x2 - x1, y2 - y1].
Crowd truths are written to the VOC XML as difficult (eval-map treats them
so in the VOC conventions).

Per class, when voc_eval.py cannot answer: a class without detections has
AP 0 (voc_eval.py fails on an empty detection file), and a class without
truth that counts has AP null (voc_eval.py gives 0 for VOC07 and NaN for
VOC10+; pycocotools gives -1 and leaves it out of the means, as eval-map
does).
"""
import contextlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSES = ["cat", "dog", "car", "person", "boat", "sofa"]
THRESHOLDS = [0.5 + i * ((0.95 - 0.5) / 9) for i in range(9)] + [0.95]


def load_references(ref):
    """Imports pycocotools and voc_eval from the folder ref, with the shims."""
    np.float = float
    np.bool = bool
    for m in ["matplotlib", "matplotlib.pyplot", "matplotlib.collections", "matplotlib.patches"]:
        stub = types.ModuleType(m)
        stub.PatchCollection = stub.Polygon = None
        sys.modules[m] = stub
    sys.path.insert(0, os.path.join(ref, "PythonAPI"))
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    src = os.path.join(ref, "lib", "datasets", "voc_eval.py")
    dst = os.path.join(ref, "voc_eval_py3")
    os.makedirs(dst, exist_ok=True)
    with open(src) as f, open(os.path.join(dst, "voc_eval.py"), "w") as g:
        g.write(f.read())
    subprocess.run([sys.executable, "-m", "lib2to3", "-f", "print", "-w", "-n",
                    os.path.join(dst, "voc_eval.py")], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    fake_pickle = types.ModuleType("cPickle")
    fake_pickle.dump = lambda obj, f: None
    sys.modules["cPickle"] = fake_pickle
    sys.path.insert(0, dst)
    import voc_eval

    stable_np = types.ModuleType("numpy_stable_argsort")
    stable_np.__getattr__ = lambda name: getattr(np, name)
    stable_np.argsort = lambda a, **kw: np.argsort(a, kind="stable")
    voc_eval.np = stable_np

    class DifficultCOCOeval(COCOeval):
        def _prepare(self):
            super()._prepare()
            for gts in self._gts.values():
                for g in gts:
                    g["ignore"] = bool(g["ignore"] or g.get("difficult", 0))

    return COCO, DifficultCOCOeval, voc_eval


# ---- random cases -------------------------------------------------------------------


def iou(a, b, crowd=False):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    da = (a[2] - a[0]) * (a[3] - a[1])
    if crowd:
        return inter / da
    return inter / (da + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def near_threshold(det, truths):
    """True if det's overlap with a truth of its class is within 1e-6 of a
    threshold: rounding could then decide the match differently."""
    for t in truths:
        if t["class"] != det["class"]:
            continue
        for crowd in (False, True):
            v = iou(det["bbox"], t["bbox"], crowd)
            if any(abs(v - th) < 1e-6 for th in THRESHOLDS):
                return True
    return False


def rand_truth(rnd, w, h, ncls):
    size = rnd.choice([(4, 30), (30, 100), (90, 300)])
    bw = min(w, rnd.randint(*size))
    bh = min(h, rnd.randint(*size))
    x1 = rnd.choice([0, w - bw, rnd.randint(0, w - bw)])   # edges now and then
    y1 = rnd.choice([0, h - bh, rnd.randint(0, h - bh)])
    c = rnd.randrange(ncls)
    o = {"class": c, "name": CLASSES[c], "bbox": [float(x1), float(y1), float(x1 + bw), float(y1 + bh)],
         "difficult": rnd.random() < 0.1, "truncated": False, "iscrowd": rnd.random() < 0.07}
    if rnd.random() < 0.5:
        o["area"] = round(bw * bh * rnd.uniform(0.4, 1.0), 2)
    return o


def jitter(rnd, b, w, h, amount):
    bw, bh = b[2] - b[0], b[3] - b[1]
    x1 = min(max(b[0] + rnd.gauss(0, amount) * bw, 0), w - 1)
    y1 = min(max(b[1] + rnd.gauss(0, amount) * bh, 0), h - 1)
    x2 = min(max(b[2] + rnd.gauss(0, amount) * bw, x1 + 0.5), w)
    y2 = min(max(b[3] + rnd.gauss(0, amount) * bh, y1 + 0.5), h)
    return [round(x1, 2), round(y1, 2), round(x2, 2), round(y2, 2)]


def rand_score(rnd, tied):
    return round(rnd.choice([0.3, 0.5, 0.7, 0.9]) if tied else rnd.random(), 4)


def make_det(rnd, cls, b, score):
    return {"class": cls, "name": CLASSES[cls], "score": score, "bbox": b,
            "objectness": score}


def image_dets(rnd, objs, w, h, spec):
    dets = []
    for o in objs:
        for _ in range(rnd.choice([0, 1, 1, 2])):
            cls = o["class"] if rnd.random() < 0.9 else rnd.randrange(spec["det_classes"])
            b = jitter(rnd, o["bbox"], w, h, rnd.choice([0.02, 0.08, 0.2]))
            dets.append(make_det(rnd, cls, b, rand_score(rnd, spec["tied"])))
    for _ in range(rnd.randint(0, spec["false"])):
        cls = rnd.randrange(spec["det_classes"])
        b = jitter(rnd, [rnd.uniform(0, w / 2), rnd.uniform(0, h / 2), w / 2 + 20, h / 2 + 20], w, h, 0.1)
        dets.append(make_det(rnd, cls, b, rand_score(rnd, spec["tied"])))
    dets = [d for d in dets if d["class"] != spec.get("no_dets")]   # a class never detected
    for d in dets:
        while near_threshold(d, objs):
            d["bbox"] = [round(v + 0.013, 3) for v in d["bbox"]]
    return dets


def make_case(spec):
    rnd = random.Random(spec["seed"])
    recs = []
    for i in range(spec["images"]):
        w, h = rnd.choice([(500, 375), (640, 480), (320, 240)])
        n = 0 if i % 7 == 3 else rnd.randint(1, spec["per_image"])    # some without truth
        objs = [rand_truth(rnd, w, h, spec["truth_classes"]) for _ in range(n)]
        r = {"id": "%06d" % i, "image": "%06d.jpg" % i, "width": w, "height": h, "objects": objs}
        dets = image_dets(rnd, objs, w, h, spec)
        if i == 0 and spec.get("crowded"):
            c = objs[0]["class"] if objs else 0
            dets += [make_det(rnd, c, jitter(rnd, [50, 50, 150, 150], w, h, 0.3),
                              rand_score(rnd, spec["tied"])) for _ in range(spec["crowded"])]
        if dets or i % 5 != 4:      # some records have no detections key
            r["detections"] = dets
        recs.append(r)
    return recs


# ---- the references ------------------------------------------------------------------


def coco_json(recs, first_ann_id):
    images, anns = [], []
    aid = first_ann_id
    for i, r in enumerate(recs):
        images.append({"id": i + 1, "width": r["width"], "height": r["height"], "file_name": r["image"]})
        for o in r["objects"]:
            x1, y1, x2, y2 = o["bbox"]
            anns.append({"id": aid, "image_id": i + 1, "category_id": o["class"] + 1,
                         "bbox": [x1, y1, x2 - x1, y2 - y1],
                         "area": o.get("area", (x2 - x1) * (y2 - y1)),
                         "iscrowd": int(o["iscrowd"]), "difficult": int(o["difficult"])})
            aid += 1
    cats = [{"id": c + 1, "name": n} for c, n in enumerate(CLASSES)]
    return {"images": images, "annotations": anns, "categories": cats}


def coco_results(recs):
    res = []
    for i, r in enumerate(recs):
        for d in r.get("detections", []):
            x1, y1, x2, y2 = d["bbox"]
            res.append({"image_id": i + 1, "category_id": d["class"] + 1,
                        "bbox": [x1, y1, x2 - x1, y2 - y1], "score": d["score"]})
    return res


def run_coco(refs, recs, seen, first_ann_id=1):
    COCO, COCOeval, _ = refs
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = coco_json(recs, first_ann_id)
        gt.createIndex()
        dt = gt.loadRes(coco_results(recs))
        E = COCOeval(gt, dt, "bbox")
        E.evaluate()
        E.accumulate()
        E.summarize()
    s = [None if v == -1 else float(v) for v in E.stats[:6]]
    per = {}
    for k, c in enumerate(E.params.catIds):
        if CLASSES[c - 1] not in seen:
            continue
        p = E.eval["precision"][:, :, k, 0, -1]
        per[CLASSES[c - 1]] = float(np.mean(p[p > -1])) if (p > -1).any() else None
    return {"ap": s[0], "ap50": s[1], "ap75": s[2], "ap_small": s[3], "ap_medium": s[4],
            "ap_large": s[5], "ap_per_class": per}


def write_voc(recs, root):
    os.makedirs(os.path.join(root, "Annotations"))
    with open(os.path.join(root, "test.txt"), "w") as f:
        f.write("".join(r["id"] + "\n" for r in recs))
    for r in recs:
        objs = []
        for o in r["objects"]:
            x1, y1, x2, y2 = o["bbox"]
            objs.append("<object><name>%s</name><pose>Unspecified</pose><truncated>0</truncated>"
                        "<difficult>%d</difficult><bndbox><xmin>%d</xmin><ymin>%d</ymin>"
                        "<xmax>%d</xmax><ymax>%d</ymax></bndbox></object>"
                        % (o["name"], o["difficult"] or o["iscrowd"], x1 + 1, y1 + 1, x2, y2))
        with open(os.path.join(root, "Annotations", r["id"] + ".xml"), "w") as f:
            f.write("<annotation>%s</annotation>\n" % "".join(objs))
    for name in CLASSES:
        with open(os.path.join(root, "det_%s.txt" % name), "w") as f:
            for r in recs:
                for d in r.get("detections", []):
                    if d["name"] == name:
                        x1, y1, x2, y2 = d["bbox"]
                        f.write("%s %r %r %r %r %r\n" % (r["id"], d["score"], x1 + 1, y1 + 1, x2, y2))


def run_voc(refs, recs, seen):
    voc_eval = refs[2].voc_eval
    out = {"voc07": {"ap": {}}, "voc10": {"ap": {}}}
    with tempfile.TemporaryDirectory() as root:
        write_voc(recs, root)
        for name in CLASSES:
            if name not in seen:
                continue
            npos = sum(1 for r in recs for o in r["objects"]
                       if o["name"] == name and not (o["difficult"] or o["iscrowd"]))
            ndet = sum(1 for r in recs for d in r.get("detections", []) if d["name"] == name)
            for key, m07 in (("voc07", True), ("voc10", False)):
                if npos == 0:
                    ap = None
                elif ndet == 0:
                    ap = 0.0
                else:
                    with contextlib.redirect_stdout(io.StringIO()):
                        _, _, ap = voc_eval(os.path.join(root, "det_{}.txt"),
                                            os.path.join(root, "Annotations", "{}.xml"),
                                            os.path.join(root, "test.txt"), name,
                                            os.path.join(root, "cache-" + name + key),
                                            ovthresh=0.5, use_07_metric=m07)
                    ap = float(ap)
                out[key]["ap"][name] = ap
    for key in out:
        v = [a for a in out[key]["ap"].values() if a is not None]
        out[key] = {"map": sum(v) / len(v) if v else None, "ap": out[key]["ap"]}
    return out


SPECS = [
    # name, seed, images, truths per image (at most), classes of truths and of
    # detections (more: classes with detections only), false positives per
    # image (at most), tied scores, detections of one class on image 0, a
    # class with truths and no detection
    {"name": "basic", "seed": 1, "images": 30, "per_image": 6, "truth_classes": 5,
     "det_classes": 6, "false": 4, "tied": False, "no_dets": 3},
    {"name": "ties", "seed": 2, "images": 25, "per_image": 8, "truth_classes": 4,
     "det_classes": 4, "false": 6, "tied": True},
    {"name": "maxdets", "seed": 3, "images": 8, "per_image": 5, "truth_classes": 3,
     "det_classes": 3, "false": 2, "tied": False, "crowded": 130},
    {"name": "id0", "seed": 4, "images": 20, "per_image": 5, "truth_classes": 4,
     "det_classes": 4, "false": 3, "tied": False},
]


def main():
    ref = sys.argv[1] if len(sys.argv) > 1 else "/tmp/evalref"
    refs = load_references(ref)
    for spec in SPECS:
        recs = make_case(spec)
        seen = {o["name"] for r in recs for o in r["objects"]}
        seen |= {d["name"] for r in recs for d in r.get("detections", [])}
        exp = run_voc(refs, recs, seen)
        exp["coco"] = run_coco(refs, recs, seen)
        base = os.path.join(HERE, spec["name"])
        with open(base + ".jsonl", "w") as f:
            for r in recs:
                f.write(json.dumps(r, separators=(",", ":")) + "\n")
        with open(base + ".expected.json", "w") as f:
            json.dump(exp, f, indent=1, sort_keys=True)
            f.write("\n")
        if spec["name"] == "id0":
            # The same case with annotation ids from 0: pycocotools counts a
            # detection matched to annotation 0 as a false positive.
            wrong = run_coco(refs, recs, seen, first_ann_id=0)
            with open(base + ".pycocotools-id0.json", "w") as f:
                json.dump(wrong, f, indent=1, sort_keys=True)
                f.write("\n")
        print("%s: %d images, %d truths, %d detections" % (
            spec["name"], len(recs), sum(len(r["objects"]) for r in recs),
            sum(len(r.get("detections", [])) for r in recs)))


if __name__ == "__main__":
    main()
