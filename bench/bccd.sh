#!/bin/sh
# Issue 7c: from random weights, a yolov2-tiny-style cfg (bench/bccd/bccd-tiny.cfg,
# anchors from kmeans-anchors) trained on BCCD's trainval split reaches mAP@0.5
# >= 0.55 on its test split within 60 minutes of training on this machine.
# Prints the training time, the validation curve (val is inside trainval: a
# progress signal, not held out) and the test mAP per class. About 35 minutes.
#   sh bench/bccd.sh [BCCD-DIR]      (default ../shared/data/BCCD)
set -eu
BIN=${BIN:-bin}
data=${1:-../shared/data/BCCD}
out=$(mktemp -d "${TMPDIR:-/tmp}/bccd.XXXXXX")
trap 'rm -rf "$out"' EXIT
printf 'Platelets\nRBC\nWBC\n' > "$out/bccd.names"
echo "bccd: $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
anchors=$("$BIN/voc-parse" -q --classes "$out/bccd.names" --split trainval "$data" \
  | "$BIN/kmeans-anchors" -q --k 5 --grid 9 | "$BIN/records-to-json" \
  | jq -r '[.anchors[] | . * 100 | round / 100] | join(",")')
sed "s/^anchors *=.*/anchors = $anchors/" bench/bccd/bccd-tiny.cfg > "$out/bccd.cfg"
echo "bccd: anchors $anchors"
set -x
BIN=$BIN bash pipelines/train.sh -o "$out/run" -s trainval -v val -n "$out/bccd.names" \
  -l "--variant darknet" "$data" "$out/bccd.cfg" --adam --val-every 150 --save-every 25 \
  2> "$out/train.log"
BIN=$BIN bash pipelines/eval.sh -s test -n "$out/bccd.names" "$data" "$out/bccd.cfg" "$out/run/weights" \
  2> /dev/null
set +x
jq -r 'select(.map) | "bccd: step \(.iteration): val mAP \(.map), val loss \(.val_loss)"' "$out/run/log.jsonl"
echo "bccd: training $(jq -r 'select(.loss) | .seconds' "$out/run/log.jsonl" | tail -1) s (target 3600)," \
     "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
