#!/bin/sh
# What `make demo` runs, on data the project makes itself: a synthetic VOC
# dataset, parsed into records, anchors clustered for it, and the stream
# looked at through JSON, jq and Python. Training and evaluation (train.sh,
# eval.sh) join this demo when those stages land.
set -eu
BIN=${BIN:-bin}
out=${DEMO_OUT:-out/demo}
PATH="$BIN:$PATH"
rm -rf "$out"
mkdir -p "$out"

echo "1. synth-voc: a synthetic dataset in VOC layout (200 images, 5 shape classes)"
synth-voc --out "$out/data" --count 200 --seed 1
echo

echo "2. voc-parse: one record per image of the train split"
voc-parse --classes "$out/data/classes.names" --split train "$out/data" > "$out/train.mp"
echo "   $out/train.mp: $(records-to-json "$out/train.mp" | wc -l | tr -d ' ') records"
records-to-json "$out/train.mp" | head -1 | cut -c1-300
echo "   ..."
echo

echo "3. boxes per class (records-to-json | jq)"
records-to-json "$out/train.mp" | jq -r '.objects[].name' | sort | uniq -c | sed 's/^/  /'
echo

echo "4. kmeans-anchors: 5 anchors for a 13x13 grid (a YOLOv2 cfg line)"
kmeans-anchors --k 5 --grid 13 --plot "$out/anchors.svg" "$out/train.mp" > "$out/anchors.mp"
echo "   anchors drawn in $out/anchors.svg"
echo

echo "5. exact round trip through JSON: records -> JSON -> records"
records-to-json --full "$out/train.mp" | json-to-records | cmp - "$out/train.mp" \
  && echo "   byte for byte the same"
echo

if /usr/bin/python3 -c 'import msgpack' 2>/dev/null; then
  echo "6. the same stream read in Python (docs/records.md)"
  /usr/bin/python3 -c '
import sys, msgpack
recs = list(msgpack.Unpacker(sys.stdin.buffer, raw=False))
n = sum(len(r["objects"]) for r in recs)
print("   %d images, %d boxes, first: %s %dx%d" % (len(recs), n, recs[0]["image"], recs[0]["width"], recs[0]["height"]))
' < "$out/train.mp"
fi
