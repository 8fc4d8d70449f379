#!/usr/bin/env bash
# A detector's mAP on a VOC-layout dataset, with pictures to look at:
#   voc-parse | darknet-forward | rescale | nms | [draw] | eval-map
#
#   pipelines/eval.sh [-s SPLIT] [-n NAMES] [-d PICTURES] [-j] DATASET CFG WEIGHTS
#
# -s: the split (default test); -n: class names (default DATASET/classes.names
# when there is one, as synth-voc writes, else VOC's 20); -d: also draw the
# detections (score >= 0.25) and the truth into the folder PICTURES; -j: the
# mAP as JSON (eval-map --json) instead of the table. Candidates are kept down
# to score 0.005 and suppressed at IoU 0.45, as darknet's VOC evaluation does.
# Stages come from $BIN (bin/).
set -euo pipefail
usage() { { printf 'Usage:'; sed -n '4,12p' "$0" | sed 's/^# \{0,1\}//'; } >&2; exit 1; }
split=test names= pictures= json=()
while getopts "s:n:d:jh" o; do
  case $o in
    s) split=$OPTARG ;; n) names=$OPTARG ;; d) pictures=$OPTARG ;; j) json=(--json) ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 3 ] || usage
data=$1 cfg=$2 weights=$3
[ -n "$names" ] || { [ -f "$data/classes.names" ] && names=$data/classes.names; } || true
classes=() named=()
[ -z "$names" ] || { classes=(--classes "$names"); named=(--names "$names"); }
PATH="${BIN:-$(dirname "$0")/../bin}:$PATH"
. "$(dirname "$0")/stages.sh"
draw_or_pass() {
  if [ -n "$pictures" ]; then draw --truth --thresh 0.25 --out "$pictures"; else cat; fi
}
shown='cat'
[ -z "$pictures" ] || shown=draw
voc-parse --split "$split" ${classes[@]+"${classes[@]}"} "$data" \
  | darknet-forward --cfg "$cfg" --weights "$weights" \
  | rescale --thresh 0.005 ${named[@]+"${named[@]}"} \
  | nms --iou 0.45 \
  | draw_or_pass \
  | eval-map ${named[@]+"${named[@]}"} ${json[@]+"${json[@]}"} ||
  stages_failed eval.sh "voc-parse darknet-forward rescale nms $shown eval-map" \
    "${PIPESTATUS[@]}"
[ -z "$pictures" ] || echo "eval.sh: pictures in $pictures" >&2
