#!/usr/bin/env bash
# Photos in, pictures with boxes out:
#   image-list PATHS | darknet-forward | rescale | nms | draw
#
#   pipelines/detect.sh [-t THRESH] [-i IOU] [-n NAMES] [-s SHEET] [-j N] [-S LOGINS] CFG WEIGHTS OUTDIR PATH...
#
# PATH: JPEG, PNG or BMP files or folders (searched). OUTDIR gets one JPEG
# per image (named by its id, see draw --help) and detections.mp, the
# records with their `detections` (records-to-json OUTDIR/detections.mp to
# read them). -t: score threshold (default 0.25); -i: NMS IoU (default
# 0.45); -n: class names (default VOC's when the network has 20 classes);
# -s: also a contact sheet of every picture. -j N: in N shards (image-list
# --shard K/N | darknet-forward | rescale | nms), N at a time here with the
# cores shared out; -S LOGINS: the shards (one a machine unless -j) on GNU
# parallel's --sshlogin machines, which see the same paths
# (docs/scale-out.md); draw runs here, once: the same pictures and records.
# Stages come from $BIN (bin/).
set -euo pipefail
usage() { { printf 'Usage:'; sed -n '4,17p' "$0" | sed 's/^# \{0,1\}//'; } >&2; exit 1; }
thresh=0.25 iou=0.45 names=() sheet=() shards= logins=
while getopts "t:i:n:s:j:S:h" o; do
  case $o in
    t) thresh=$OPTARG ;; i) iou=$OPTARG ;; n) names=(--names "$OPTARG") ;;
    s) sheet=(--sheet "$OPTARG") ;; j) shards=$OPTARG ;; S) logins=$OPTARG ;; *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 4 ] || usage
cfg=$1 weights=$2 out=$3
shift 3
PATH="${BIN:-$(dirname "$0")/../bin}:$PATH"
. "$(dirname "$0")/stages.sh"
[ -z "$shards$logins" ] || n=$(shard_count detect.sh "$shards" "$logins")
mkdir -p "$out"
if [ -z "$shards$logins" ]; then
  image-list "$@" \
    | darknet-forward --cfg "$cfg" --weights "$weights" \
    | rescale --thresh "$thresh" ${names[@]+"${names[@]}"} \
    | nms --iou "$iou" --clip \
    | draw --out "$out" ${sheet[@]+"${sheet[@]}"} > "$out/detections.mp" ||
    stages_failed detect.sh "image-list darknet-forward rescale nms draw" "${PIPESTATUS[@]}"
else
  run_shards detect.sh "$n" "$logins" image-list "$@" \
    '|' darknet-forward --cfg "$cfg" --weights "$weights" \
    '|' rescale --thresh "$thresh" ${names[@]+"${names[@]}"} \
    '|' nms --iou "$iou" --clip \
    | draw --out "$out" ${sheet[@]+"${sheet[@]}"} > "$out/detections.mp" ||
    stages_failed detect.sh "shards draw" "${PIPESTATUS[@]}"
fi
echo "detect.sh: $(ls "$out" | grep -c '\.jpg$') pictures in $out; records in $out/detections.mp" >&2
