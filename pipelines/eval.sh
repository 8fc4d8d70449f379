#!/usr/bin/env bash
# A detector's mAP on a VOC-layout dataset, with pictures to look at:
#   voc-parse | darknet-forward | rescale | nms | [draw] | eval-map
#
#   pipelines/eval.sh [-s SPLIT] [-n NAMES] [-d PICTURES] [-J] [-j N] [-S LOGINS] DATASET CFG WEIGHTS
#
# -s: the split (default test); -n: class names (default DATASET/classes.names
# when there is one, as synth-voc writes, else VOC's 20); -d: also draw the
# detections (score >= 0.25) and the truth into the folder PICTURES; -J: the
# mAP as JSON (eval-map --json) instead of the table. -j N: in N shards
# (voc-parse --shard K/N | darknet-forward | rescale | nms), N at a time here
# with the cores shared out; -S LOGINS: the shards (one a machine unless -j)
# on GNU parallel's --sshlogin machines, which see the same paths
# (docs/scale-out.md); either way the same table. Candidates are kept down
# to score 0.005 and suppressed at IoU 0.45, as darknet's VOC evaluation
# does. Stages come from $BIN (bin/).
set -euo pipefail
usage() { { printf 'Usage:'; sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//'; } >&2; exit 1; }
split=test names= pictures= json=() shards= logins=
while getopts "s:n:d:Jj:S:h" o; do
  case $o in
    s) split=$OPTARG ;; n) names=$OPTARG ;; d) pictures=$OPTARG ;; J) json=(--json) ;;
    j) shards=$OPTARG ;; S) logins=$OPTARG ;; *) usage ;;
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
if [ -z "$shards$logins" ]; then
  voc-parse --split "$split" ${classes[@]+"${classes[@]}"} "$data" \
    | darknet-forward --cfg "$cfg" --weights "$weights" \
    | rescale --thresh 0.005 ${named[@]+"${named[@]}"} \
    | nms --iou 0.45 \
    | draw_or_pass \
    | eval-map ${named[@]+"${named[@]}"} ${json[@]+"${json[@]}"} ||
    stages_failed eval.sh "voc-parse darknet-forward rescale nms $shown eval-map" \
      "${PIPESTATUS[@]}"
else
  # The shards' records merged in input order, drawn and evaluated here once;
  # the table held back until every shard has succeeded.
  n=$(shard_count eval.sh "$shards" "$logins")
  table=$(mktemp)
  trap 'rm -f "$table"' EXIT
  run_shards eval.sh "$n" "$logins" \
    voc-parse --split "$split" ${classes[@]+"${classes[@]}"} "$data" \
    '|' darknet-forward --cfg "$cfg" --weights "$weights" \
    '|' rescale --thresh 0.005 ${named[@]+"${named[@]}"} \
    '|' nms --iou 0.45 \
    | draw_or_pass \
    | eval-map ${named[@]+"${named[@]}"} ${json[@]+"${json[@]}"} > "$table" ||
    stages_failed eval.sh "shards $shown eval-map" "${PIPESTATUS[@]}"
  cat "$table"
fi
[ -z "$pictures" ] || echo "eval.sh: pictures in $pictures" >&2
