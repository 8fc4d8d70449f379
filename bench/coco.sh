#!/bin/sh
# coco-parse against its peer on a file with train2017's shape: 118,287
# images, 860,001 annotations with polygon segmentations (a few crowds with
# RLE counts), 80 categories with ids 1..90, about 450 MB of JSON, made by
# tests/tools/gen-coco in a temporary folder that is removed at the end.
#
# The peer is what pycocotools' COCO() does (pycocotools itself is not
# installed): Debian's /usr/bin/python3 json.load, then the per-image index.
# Each command runs REPS times (default 3) on the file in the page cache; the
# best time and the largest peak RSS are shown.
#
#   sh bench/coco.sh            (from the top of the repository)
set -eu
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
make -s bin/coco-parse bin/records-to-json build/release/tools/gen-coco build/release/tools/peakrss
GEN=build/release/tools/gen-coco
RSS=build/release/tools/peakrss
T=$(mktemp -d "${TMPDIR:-/tmp}/coco-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM

"$GEN" -n 118287 -a 860001 -k 80 --crowd 1000 --points 26 > "$T/train.json"
bytes=$(stat -c %s "$T/train.json")
cat "$T/train.json" > /dev/null # into the page cache
load0=$(cut -d' ' -f1-3 /proc/loadavg)

cat > "$T/peer.py" <<'PY'
# pycocotools' COCO(file): json.load, then createIndex's dictionaries.
import collections, json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
anns, imgs, cats = {}, {}, {}
img_to_anns, cat_to_imgs = collections.defaultdict(list), collections.defaultdict(list)
for a in d["annotations"]:
    img_to_anns[a["image_id"]].append(a)
    anns[a["id"]] = a
for im in d["images"]:
    imgs[im["id"]] = im
for c in d["categories"]:
    cats[c["id"]] = c
for a in d["annotations"]:
    cat_to_imgs[a["category_id"]].append(a["image_id"])
print(len(imgs), len(anns), len(cats))
PY

# measure NAME CMD...: over REPS runs, the best wall time and the best CPU
# time (user + sys, children included; s) and the largest peak RSS (KiB)
# into $T/NAME.{time,cpu,rss}; stdout of the last run in $T/NAME.out.
measure() {
  name=$1; shift
  best=; cpu=; rss=0
  i=0
  while [ "$i" -lt "$REPS" ]; do
    /usr/bin/time -o "$T/t" -f '%e %U %S' "$RSS" "$T/rss" "$@" > "$T/$name.out"
    read -r w u s < "$T/t"
    best=$(awk -v t="$w" -v m="$best" 'BEGIN { if (m == "" || t < m) m = t; print m }')
    cpu=$(awk -v t="$u" -v k="$s" -v m="$cpu" 'BEGIN { t += k; if (m == "" || t < m) m = t; print m }')
    r=$(cat "$T/rss"); [ "$r" -gt "$rss" ] && rss=$r
    i=$((i + 1))
  done
  echo "$best" > "$T/$name.time"
  echo "$cpu" > "$T/$name.cpu"
  echo "$rss" > "$T/$name.rss"
}

measure coco bin/coco-parse "$T/train.json"
measure pipe sh -c "bin/coco-parse '$T/train.json' | bin/records-to-json | wc -l"
measure peer /usr/bin/python3 "$T/peer.py" "$T/train.json"

records=$(bin/coco-parse "$T/train.json" | bin/records-to-json | jq -c '.objects | length' \
          | awk '{ n++; s += $1 } END { print n, s }')
[ "$records" = "118287 860001" ] || { echo "coco-parse gave '$records' records/objects" >&2; exit 1; }
[ "$(cat "$T/peer.out")" = "118287 860001 80" ] || { echo "the peer counted '$(cat "$T/peer.out")'" >&2; exit 1; }

awk -v bytes="$bytes" -v reps="$REPS" -v load0="$load0" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
    -v tc="$(cat "$T/coco.time")" -v cc="$(cat "$T/coco.cpu")" -v rc="$(cat "$T/coco.rss")" \
    -v tp="$(cat "$T/pipe.time")" -v cp="$(cat "$T/pipe.cpu")" -v lp="$(tr -d ' ' < "$T/pipe.out")" \
    -v ty="$(cat "$T/peer.time")" -v cy="$(cat "$T/peer.cpu")" -v ry="$(cat "$T/peer.rss")" '
BEGIN {
  mb = bytes / 1e6
  printf "input: %.0f MB of COCO JSON, 118287 images, 860001 annotations\n", mb
  printf "best of %d runs, file in the page cache; load average before: %s, after: %s\n",
         reps, load0, load
  printf "%-44s %6.2f s wall %6.0f MB/s  %6.2f s CPU  peak RSS %5.0f MiB\n",
         "coco-parse FILE > /dev/null", tc, mb / tc, cc, rc / 1024
  printf "%-44s %6.2f s wall %6.0f MB/s  %6.2f s CPU  (%s lines)\n",
         "coco-parse FILE | records-to-json | wc -l", tp, mb / tp, cp, lp
  printf "%-44s %6.2f s wall %6.0f MB/s  %6.2f s CPU  peak RSS %5.0f MiB\n",
         "python3 json.load + COCO index (pycocotools)", ty, mb / ty, cy, ry / 1024
  printf "coco-parse / peer: %.1fx faster (wall), %.1fx less CPU, %.0fx less memory\n",
         ty / tc, cy / cc, ry / rc
  printf "targets: peak RSS < 600 MB: %s (%.0f MB); >= 100 MB/s: %s (%.0f MB/s)\n",
         (rc * 1024 < 600e6 ? "met" : "MISSED"), rc * 1024 / 1e6,
         (mb / tc >= 100 ? "met" : "MISSED"), mb / tc
}'
