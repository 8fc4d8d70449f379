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
# the input encode-targets makes without augmentation. Needs jq. WEIGHTS is
# whatever file darknet-forward --val-cmd names: the checkpoint, or with
# --ema its moving average CHECKPOINT.ema (any darknet weights file of CFG).
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
. "$here/stages.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/val.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# eval.sh's reports (timings, notes) would fill the training's output at each
# validation: they are shown only when it fails
map=$(bash "$here/eval.sh" -s "$split" ${names:+-n "$names"} -J "$data" "$cfg" "$weights" \
  2> "$tmp/eval.err" | jq '.voc10.map' ||
  { s=("${PIPESTATUS[@]}"); cat "$tmp/eval.err" >&2; stages_failed val.sh "eval.sh jq" "${s[@]}"; })
# shellcheck disable=SC2086
loss=$(voc-parse -q --split "$split" ${classes[@]+"${classes[@]}"} "$data" \
  | encode-targets -q --cfg "$cfg" --no-augment \
  | darknet-forward -q --cfg "$cfg" --weights "$weights" \
  | yolo-loss -q $loss_opts | records-to-json | jq -s 'map(.loss.total) | add / length' ||
  stages_failed val.sh "voc-parse encode-targets darknet-forward yolo-loss records-to-json jq" \
    "${PIPESTATUS[@]}")
printf '{"map": %s, "val_loss": %s}\n' "$map" "$loss"
