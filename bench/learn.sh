#!/bin/sh
# Issue 7b: from random weights, the demo's tiny cfg (pipelines/demo-tiny.cfg)
# reaches mAP@0.5 >= 0.90 on synth-voc's test split within 10 minutes of
# training on this machine. Runs `make demo`'s script (pipelines/demo.sh:
# synth-voc, kmeans-anchors, train.sh with validation, eval.sh) into a
# temporary folder and prints the training time and the test mAP against
# those targets. Run it on an idle machine: another job on the 2 cores slows
# training (the wall time is the figure).
#   sh bench/learn.sh          (DEMO_STEPS=N to try another length)
set -eu
BIN=${BIN:-bin}
out=$(mktemp -d "${TMPDIR:-/tmp}/learn.XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "learn: $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "learn: BIN=$BIN DEMO_OUT=$out bash pipelines/demo.sh"
BIN=$BIN DEMO_OUT=$out bash pipelines/demo.sh > "$out.log" 2>&1 || { cat "$out.log"; exit 1; }
secs=$(sed -n 's/^   \([0-9]*\) s; loss log.*/\1/p' "$out.log")
map=$(awk '$1 == "mean" { print $3 }' "$out.log")
ap50=$(awk '$1 == "COCO" { print $5 }' "$out.log")
grep -E '^class|^(circle|square|triangle|cross|star|mean) ' "$out.log"
grep 'validation mAP' "$out.log" | sed 's/^/learn: /'
echo "learn: load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "learn: training (train.sh, validations included) $secs s; target 600 s: $( [ "$secs" -le 600 ] && echo met || echo NOT met)"
echo "learn: test mAP@0.5 VOC2010+ all points $map (COCO-style AP50 $ap50); target 0.90:" \
     "$(awk -v m="$map" 'BEGIN { print (m >= 0.90) ? "met" : "NOT met" }')"
rm -f "$out.log"
