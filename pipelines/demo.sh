#!/usr/bin/env bash
# What `make demo` runs, on data the project makes itself: a synthetic VOC
# dataset, anchors clustered for it, a small detector trained on it from
# random weights, and its mAP on the test split with pictures to look at.
# A few minutes on 2 cores. DEMO_OUT (default out/demo) is where it all goes;
# DEMO_STEPS (default: the cfg's 2400) the optimiser steps of training.
set -euo pipefail
BIN=${BIN:-bin}
here=$(cd "$(dirname "$0")" && pwd)
out=${DEMO_OUT:-out/demo}
steps=${DEMO_STEPS:-2400}
PATH="$BIN:$PATH"
. "$here/stages.sh"
rm -rf "$out"
mkdir -p "$out"

echo "1. synth-voc: a synthetic dataset in VOC layout (8000 images of 128x128, 5 shape classes)"
synth-voc --out "$out/data" --count 8000 --size 128x128 --seed 1 --max-objects 4 --min-size 0.15 \
  --clutter 3 --split-ratios 0.78,0.02,0.2 -q
echo "   $out/data: train $(wc -l < "$out/data/ImageSets/Main/train.txt"), val" \
     "$(wc -l < "$out/data/ImageSets/Main/val.txt"), test $(wc -l < "$out/data/ImageSets/Main/test.txt") images"
echo

echo "2. voc-parse: one record per image of the train split; boxes per class (jq)"
voc-parse --classes "$out/data/classes.names" --split train "$out/data" > "$out/train.mp"
records-to-json "$out/train.mp" | jq -r '.objects[].name' | sort | uniq -c | sed 's/^/  /' ||
  stages_failed demo.sh "records-to-json jq sort uniq sed" "${PIPESTATUS[@]}"
echo

echo "3. kmeans-anchors: 5 anchors for the network's 6x6 grid, into the cfg"
kmeans-anchors --k 5 --grid 6 --plot "$out/anchors.svg" "$out/train.mp" > "$out/anchors.mp"
anchors=$(records-to-json "$out/anchors.mp" | jq -r '[.anchors[] | . * 100 | round / 100] | join(",")' ||
  stages_failed demo.sh "records-to-json jq" "${PIPESTATUS[@]}")
sed "s/^anchors *=.*/anchors = $anchors/" "$here/demo-tiny.cfg" > "$out/demo.cfg"
echo "   anchors = $anchors  (drawn in $out/anchors.svg)"
echo

echo "4. train.sh: $steps steps from random weights, validating on the val split"
start=$(date +%s)
BIN=$BIN bash "$here/train.sh" -o "$out/train" -v val -l "--variant darknet" \
  "$out/data" "$out/demo.cfg" --max-batches "$steps" --adam --val-every 800
echo "   $(( $(date +%s) - start )) s; loss log $out/train/log.jsonl, plot $out/train/loss.svg"
echo

echo "5. eval.sh: the trained detector on the test split"
BIN=$BIN bash "$here/eval.sh" -d "$out/pictures" "$out/data" "$out/demo.cfg" "$out/train/weights"
echo
echo "Pictures of the detections (and the truth) are in $out/pictures/."
