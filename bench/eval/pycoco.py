#!/usr/bin/python3
"""pycocotools' COCOeval on bench/eval/gen.py's files, as a user runs it:
    pycoco.py PYTHONAPI_DIR gt.json dt.json
Prints the six summary numbers (AP, AP50, AP75, small, medium, large) as JSON
on stdout, and the time of each step on stderr. PYTHONAPI_DIR holds a built
pycocotools package (cocoapi's PythonAPI after `setup.py build_ext --inplace`).

Shims, the code itself unchanged: pycocotools imports matplotlib only to show
annotations (a stub here) and uses np.float, gone from numpy 1.24."""
import contextlib
import io
import json
import sys
import time
import types

import numpy as np

np.float = float
for m in ["matplotlib", "matplotlib.pyplot", "matplotlib.collections", "matplotlib.patches"]:
    stub = types.ModuleType(m)
    stub.PatchCollection = stub.Polygon = None
    sys.modules[m] = stub
sys.path.insert(0, sys.argv[1])
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

t = [time.perf_counter()]
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[2])
    dt = gt.loadRes(sys.argv[3])
    t.append(time.perf_counter())
    E = COCOeval(gt, dt, "bbox")
    E.evaluate()
    t.append(time.perf_counter())
    E.accumulate()
    E.summarize()
    t.append(time.perf_counter())
print("pycocotools: load %.2f s, evaluate %.2f s, accumulate+summarize %.2f s"
      % (t[1] - t[0], t[2] - t[1], t[3] - t[2]), file=sys.stderr)
print(json.dumps([None if v == -1 else float(v) for v in E.stats[:6]]))
