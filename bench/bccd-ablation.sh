#!/bin/sh
# Issue 21: what each piece of the small-dataset recipe buys on BCCD. One cfg
# (the template small through make-cfg.sh: BCCD's classes and anchors, the
# schedule sized once to MINUTES of training here) and the same number of
# steps for every row; each row is the recipe with one piece off (or mixup
# on), trained from the same random weights on trainval, no validation, and
# its last weights (the EMA's where the row keeps the EMA) scored on the test
# split: mAP@0.5 (VOC2010+ interpolation) and each class's AP.
#   sh bench/bccd-ablation.sh [-m MINUTES] [-t SECONDS-PER-STEP] [-r ROWS] [BCCD-DIR]
# -m: the budget per row (default 60: about 9 hours for the 9 rows; the
# figures in docs/benchmarks.md say which budget they had); -t: a step's
# time given instead of timed (make-cfg.sh --seconds-per-step), so that the
# step count, and with it every figure, does not depend on the machine's
# load when the script starts; -r: the rows to
# run, by name, comma-separated (default all):
#   recipe      train.sh -p small's options, written out
#   no-mosaic   without encode-targets --mosaic
#   no-affine   without --affine (darknet's jitter and scale only)
#   no-aug      neither (darknet's placement, colour and flip as before)
#   no-ema      the weights themselves, no moving average
#   no-cosine   darknet's steps policy instead (x.1 at 80% and 90%)
#   no-smooth   without yolo-loss --label-smoothing
#   mixup       with encode-targets --mixup .1 as well
#   coco-anchors the template's COCO anchors instead of BCCD's (-A off)
set -eu
BIN=${BIN:-bin}
minutes=60 sps= rows=recipe,no-mosaic,no-affine,no-aug,no-ema,no-cosine,no-smooth,mixup,coco-anchors
while getopts "m:t:r:" o; do
  case $o in
    m) minutes=$OPTARG ;; t) sps=$OPTARG ;; r) rows=$OPTARG ;;
    *) echo "usage: sh bench/bccd-ablation.sh [-m MINUTES] [-t SECONDS-PER-STEP] [-r ROWS] [BCCD-DIR]" >&2; exit 1 ;;
  esac
done
shift $((OPTIND - 1))
data=${1:-../shared/data/BCCD}
if [ ! -d "$data/Annotations" ]; then
  echo "bccd-ablation: no BCCD at $data; skipped" >&2
  exit 0
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/bccd-ablation.XXXXXX")
trap 'rm -rf "$out"' EXIT
printf 'Platelets\nRBC\nWBC\n' > "$out/names"
echo "bccd-ablation: $(date -u '+%Y-%m-%d %H:%M') UTC, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores, kernels ${YOLO_ISA:-the best the CPU has}, load $(cut -d' ' -f1-3 /proc/loadavg)"
aug="--shuffle --mosaic 1 --affine --affine-scale .5 --affine-translate .1"
export AUGMENT="$aug"   # make-cfg.sh times the recipe's steps
BIN=$BIN bash pipelines/make-cfg.sh -q -n "$out/names" -s trainval --minutes "$minutes" \
  ${sps:+--seconds-per-step "$sps"} -o "$out/net.cfg" small "$data"
unset AUGMENT
steps=$(sed -n 's/^max_batches=//p' "$out/net.cfg")
how="here (timed)"
[ -z "$sps" ] || how="at $sps s a step (given)"
echo "bccd-ablation: $minutes minutes $how: $steps steps of 32 images for every row"
# the same cfg on darknet's steps policy
sed -e "s/^policy=cosine/policy=steps\nsteps=$((steps * 8 / 10)),$((steps * 9 / 10))\nscales=.1,.1/" -e '/^lrf=/d' \
  "$out/net.cfg" > "$out/steps.cfg"
# the template's anchors (COCO's, darknet's yolov3-tiny)
coco=$(sed -n 's/^anchors *= *//p' pipelines/templates/small.cfg | head -n 1)
sed "s/^anchors=.*/anchors=$coco/" "$out/net.cfg" > "$out/coco.cfg"
printf '| row | steps | training s | test mAP@0.5 | Platelets | RBC | WBC |\n|---|---|---|---|---|---|---|\n'
row() {   # row NAME AUGMENT LOSS-OPTIONS CFG WEIGHTS-FILE [DARKNET-FORWARD OPTIONS...]
  name=$1 a=$2 l=$3 c=$4 w=$5
  shift 5
  AUGMENT="$a" BIN=$BIN bash pipelines/train.sh -A off -o "$out/$name" -s trainval -n "$out/names" -l "$l" \
    "$data" "$c" "$@" 2> "$out/$name.log" || { echo "| $name | failed: $(tail -n 1 "$out/$name.log") |"; return 0; }
  secs=$(jq -r 'select(.loss) | .seconds' "$out/$name/log.jsonl" | tail -n 1 | cut -d. -f1)
  BIN=$BIN bash pipelines/eval.sh -s test -n "$out/names" "$data" "$c" "$out/$name/$w" 2> /dev/null > "$out/$name.map"
  awk -v name="$name" -v steps="$steps" -v secs="$secs" '
    $1 == "Platelets" { p = $5 } $1 == "RBC" { r = $5 } $1 == "WBC" { w = $5 } $1 == "mean" { m = $3 }
    END { printf "| %s | %s | %s | %s | %s | %s | %s |\n", name, steps, secs, m, p, r, w }' "$out/$name.map"
}
ema="--ema .9999 --ema-tau 200"
for r in $(echo "$rows" | tr ',' ' '); do
  case $r in
    recipe)       row "$r" "$aug" "--label-smoothing .01" "$out/net.cfg" weights.ema $ema ;;
    no-mosaic)    row "$r" "--shuffle --affine --affine-scale .5 --affine-translate .1" "--label-smoothing .01" "$out/net.cfg" weights.ema $ema ;;
    no-affine)    row "$r" "--shuffle --mosaic 1" "--label-smoothing .01" "$out/net.cfg" weights.ema $ema ;;
    no-aug)       row "$r" "--shuffle" "--label-smoothing .01" "$out/net.cfg" weights.ema $ema ;;
    no-ema)       row "$r" "$aug" "--label-smoothing .01" "$out/net.cfg" weights ;;
    no-cosine)    row "$r" "$aug" "--label-smoothing .01" "$out/steps.cfg" weights.ema $ema ;;
    no-smooth)    row "$r" "$aug" "" "$out/net.cfg" weights.ema $ema ;;
    mixup)        row "$r" "$aug --mixup .1" "--label-smoothing .01" "$out/net.cfg" weights.ema $ema ;;
    coco-anchors) row "$r" "$aug" "--label-smoothing .01" "$out/coco.cfg" weights.ema $ema ;;
    *) echo "bccd-ablation: no row '$r'" >&2; exit 1 ;;
  esac
done
echo "bccd-ablation: done $(date -u '+%H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
