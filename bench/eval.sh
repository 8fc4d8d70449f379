#!/bin/sh
# eval-map against pycocotools on a case shaped like COCO val2017: 5000 images,
# about 36k truths, 100 detections per image (500k), 80 classes, made by
# bench/eval/gen.py (seeded) in a temporary folder removed at the end, as a
# record stream for eval-map and as COCO JSON (instances + results) for
# pycocotools. Both run in this one script on the same boxes; the six COCO
# numbers of both are compared as well as timed.
#
#   PYCOCOTOOLS=DIR sh bench/eval.sh   DIR: cocoapi's PythonAPI with pycocotools built
#                                      in place (setup.py build_ext --inplace)
#   sh bench/eval.sh GIT_DIR           builds pycocotools in the temporary folder
#                                      from a git directory of cocodataset/cocoapi
#                                      (needs cython3, python3-numpy, python3-dev)
#   sh bench/eval.sh                   eval-map alone, saying pycocotools is missing
#
# IMAGES (default 5000) scales the case; REPS (default 3) runs of eval-map, the
# best time and the largest peak RSS shown; pycocotools runs once (minutes).
set -eu
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
IMAGES=${IMAGES:-5000}
make -s bin/eval-map build/release/tools/peakrss
RSS=build/release/tools/peakrss
T=$(mktemp -d "${TMPDIR:-/tmp}/eval-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM

/usr/bin/python3 bench/eval/gen.py "$T" "$IMAGES"

# Where pycocotools is: $PYCOCOTOOLS, or built from the git directory $1.
pyco=
if [ -n "${PYCOCOTOOLS:-}" ]; then
  if ls "$PYCOCOTOOLS"/pycocotools/_mask*.so > /dev/null 2>&1; then
    pyco=$PYCOCOTOOLS
  else
    echo "PYCOCOTOOLS=$PYCOCOTOOLS has no built pycocotools/_mask*.so"
  fi
elif [ $# -ge 1 ]; then
  mkdir "$T/cocoapi"
  if git --git-dir="$1" archive HEAD PythonAPI common | tar -x -C "$T/cocoapi" &&
     (cd "$T/cocoapi/PythonAPI" && /usr/bin/python3 setup.py build_ext --inplace > "$T/build.log" 2>&1); then
    pyco=$T/cocoapi/PythonAPI
  else
    echo "could not build pycocotools from $1 (see the messages above; it needs cython3,"
    echo "python3-numpy and python3-dev)"
  fi
fi
if [ -z "$pyco" ]; then
  echo "pycocotools is not available: eval-map is timed alone. Give a built one with"
  echo "PYCOCOTOOLS=DIR (cocoapi's PythonAPI after setup.py build_ext --inplace), or a git"
  echo "directory of cocodataset/cocoapi as the argument to build it here."
fi

cat "$T/records.mp" "$T/gt.json" "$T/dt.json" > /dev/null   # into the page cache
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# measure NAME REPS CMD...: the best wall and CPU time (user + sys, s) and the
# largest peak RSS (KiB) over REPS runs into $T/NAME.{time,cpu,rss}; stdout of
# the last run in $T/NAME.out, stderr in $T/NAME.err.
measure() {
  name=$1; reps=$2; shift 2
  best=; cpu=; rss=0; i=0
  while [ "$i" -lt "$reps" ]; do
    /usr/bin/time -o "$T/t" -f '%e %U %S' "$RSS" "$T/rss" "$@" > "$T/$name.out" 2> "$T/$name.err"
    read -r w u s < "$T/t"
    best=$(awk -v t="$w" -v m="$best" 'BEGIN { if (m == "" || t < m) m = t; print m }')
    cpu=$(awk -v t="$u" -v k="$s" -v m="$cpu" 'BEGIN { t += k; if (m == "" || t < m) m = t; print m }')
    r=$(cat "$T/rss"); [ "$r" -gt "$rss" ] && rss=$r
    i=$((i + 1))
  done
  echo "$best" > "$T/$name.time"; echo "$cpu" > "$T/$name.cpu"; echo "$rss" > "$T/$name.rss"
}

row() {
  printf '%-34s %8.2f %8.2f %9.1f\n' "$1" "$(cat "$T/$2.time")" "$(cat "$T/$2.cpu")" \
    "$(awk -v k="$(cat "$T/$2.rss")" 'BEGIN { print k / 1024 }')"
}

measure all "$REPS" bin/eval-map --json "$T/records.mp"
measure coco "$REPS" bin/eval-map --json --metric coco "$T/records.mp"
[ -n "$pyco" ] && measure pyco 1 /usr/bin/python3 bench/eval/pycoco.py "$pyco" "$T/gt.json" "$T/dt.json"

echo
echo "eval-map $(bin/eval-map --version | cut -d' ' -f2), $(nproc) cores, load before: $load0"
echo "case: $(stat -c %s "$T/records.mp") bytes of records; $(stat -c %s "$T/gt.json") + $(stat -c %s "$T/dt.json") bytes of COCO JSON"
printf '%-34s %8s %8s %9s\n' "" "wall s" "CPU s" "peak MiB"
row "eval-map (VOC07, VOC10+, COCO)" all
row "eval-map --metric coco" coco
if [ -n "$pyco" ]; then
  row "pycocotools (load, evaluate, acc.)" pyco
  sed 's/^/  /' "$T/pyco.err"
  awk -v a="$(cat "$T/pyco.time")" -v b="$(cat "$T/coco.time")" -v ra="$(cat "$T/pyco.rss")" -v rb="$(cat "$T/coco.rss")" \
    'BEGIN { printf "pycocotools / eval-map --metric coco: %.1fx the time, %.1fx the memory\n", a / b, ra / rb }'
  jq -c '.coco | [.ap, .ap50, .ap75, .ap_small, .ap_medium, .ap_large]' "$T/coco.out" > "$T/ours"
  jq -n --slurpfile a "$T/ours" --slurpfile b "$T/pyco.out" \
    '"largest |difference| of AP, AP50, AP75, small, medium, large: \([$a[0], $b[0]] | transpose | map(.[0] - .[1] | fabs) | max)"' -r
fi
