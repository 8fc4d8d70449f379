#!/usr/bin/env bash
# One validation of a checkpoint, for darknet-forward --train --val-cmd
# (pipelines/train.sh -v): the mAP@0.5 of the split (VOC, all points: eval-map's
# voc10) and the mean loss per image, as one JSON line on stdout:
#   {"map": 0.73, "val_loss": 4.2}
#
#   pipelines/val.sh [-s SPLIT] [-n NAMES] [-l "LOSS OPTIONS"] DATASET CFG WEIGHTS
#
# -s: the split (default val); -n: class names (default DATASET/classes.names
# when there is one); -l: options for yolo-loss, as in training. The loss uses
# the input encode-targets makes without augmentation. Needs jq.
set -euo pipefail
usage() { { printf 'Usage:'; sed -n '7,7p' "$0" | sed 's/^# \{0,1\}//'; } >&2; exit 1; }
split=val names= loss_opts=
while getopts "s:n:l:h" o; do
  case $o in
    s) split=$OPTARG ;; n) names=$OPTARG ;; l) loss_opts=$OPTARG ;; *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 3 ] || usage
data=$1 cfg=$2 weights=$3
[ -n "$names" ] || { [ -f "$data/classes.names" ] && names=$data/classes.names; } || true
classes=()
[ -z "$names" ] || classes=(--classes "$names")
here=$(cd "$(dirname "$0")" && pwd)
PATH="${BIN:-$here/../bin}:$PATH"
map=$(bash "$here/eval.sh" -s "$split" ${names:+-n "$names"} -j "$data" "$cfg" "$weights" 2>/dev/null \
  | jq '.voc10.map')
# shellcheck disable=SC2086
loss=$(voc-parse -q --split "$split" ${classes[@]+"${classes[@]}"} "$data" \
  | encode-targets -q --cfg "$cfg" --no-augment \
  | darknet-forward -q --cfg "$cfg" --weights "$weights" \
  | yolo-loss -q $loss_opts | records-to-json | jq -s 'map(.loss.total) | add / length')
printf '{"map": %s, "val_loss": %s}\n' "$map" "$loss"
