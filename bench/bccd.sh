#!/bin/sh
# Issue 21: the small-dataset recipe trained from random weights on BCCD:
# pipelines/train.sh -p small (encode-targets --mosaic 1 --affine, the moving
# average of the weights, yolo-loss --label-smoothing .01) on the template
# small (yolov3-tiny's layout at 320x320 with its widest layers halved, a
# cosine schedule), anchors from kmeans-anchors on trainval, the schedule
# sized by make-cfg.sh to MINUTES of training on this machine as loaded when
# it starts (a few steps timed). Trains on trainval (292 images), validates
# on val (inside trainval: a progress signal, not held out) and prints the
# training time and test mAP@0.5 per class (72 images held out).
# Targets: test mAP@0.5 >= 0.75, Platelets AP >= 0.5, within 60 minutes.
#   sh bench/bccd.sh [-m MINUTES] [-k] [BCCD-DIR]   (default 60, ../shared/data/BCCD)
# -k keeps the run's folder (weights, log, cfg) and says where.
# Extra train.sh options (after the template) in BCCD_OPTS, e.g. "--val-every 200".
set -eu
BIN=${BIN:-bin}
minutes=60 keep=
while getopts "m:k" o; do
  case $o in m) minutes=$OPTARG ;; k) keep=1 ;; *) echo "usage: sh bench/bccd.sh [-m MINUTES] [-k] [BCCD-DIR]" >&2; exit 1 ;; esac
done
shift $((OPTIND - 1))
data=${1:-../shared/data/BCCD}
if [ ! -d "$data/Annotations" ]; then
  echo "bccd: no BCCD at $data (VOC layout: Annotations, JPEGImages, ImageSets/Main); skipped" >&2
  exit 0
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/bccd.XXXXXX")
if [ -n "$keep" ]; then echo "bccd: the run stays in $out"; else trap 'rm -rf "$out"' EXIT; fi
printf 'Platelets\nRBC\nWBC\n' > "$out/bccd.names"
echo "bccd: $(date -u '+%Y-%m-%d %H:%M') UTC, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores, kernels ${YOLO_ISA:-the best the CPU has}, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bccd: train.sh -p small -t $minutes on the template small"
start=$(date +%s)
# shellcheck disable=SC2086
BIN=$BIN bash pipelines/train.sh -p small -t "$minutes" -o "$out/run" -s trainval -v val \
  -n "$out/bccd.names" "$data" small --val-every 200 --save-every 50 ${BCCD_OPTS:-} 2> "$out/train.log" || {
  echo "bccd: train.sh failed; its last lines:" >&2; tail -n 20 "$out/train.log" >&2; exit 3; }
end=$(date +%s)
grep -E 'make-cfg.sh: (anchors|measured|schedule)|preset' "$out/train.log" | sed 's/^/bccd: /'
jq -r 'select(.map) | "bccd: step \(.iteration): val mAP \(.map | . * 1000 | round / 1000), val loss \(.val_loss | . * 10 | round / 10)"' "$out/run/log.jsonl"
echo "bccd: training $(jq -r 'select(.loss) | .seconds' "$out/run/log.jsonl" | tail -n 1 | cut -d. -f1) s in darknet-forward, $((end - start)) s with make-cfg's timing and validation (target $((minutes * 60)))," \
     "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bccd: test split, the EMA weights of the best validation (best.weights):"
BIN=$BIN bash pipelines/eval.sh -s test -n "$out/bccd.names" "$data" "$out/run/net.cfg" "$out/run/best.weights" 2> /dev/null
echo "bccd: test split, the last EMA weights (weights.ema):"
BIN=$BIN bash pipelines/eval.sh -s test -n "$out/bccd.names" "$data" "$out/run/net.cfg" "$out/run/weights.ema" 2> /dev/null
