#!/usr/bin/env bash
# A video in, the same video with boxes out:
#   frames IN | darknet-forward | rescale | nms [| track] | draw --video OUT
#
#   pipelines/video.sh CFG WEIGHTS IN OUT [OPTIONS]
#
# IN: a video file, a camera (/dev/video0) or a stream (rtsp://, http://).
# OUT: the video written (its format by its extension: .mp4, .mkv, .avi), or
# - for MJPEG on standard output (| ffplay -). Every frame read is a frame
# written, at the input's rate (after --every / --fps).
# Options (anywhere after the script's name):
#   -t, --thresh T      score threshold (default 0.25)    --iou I   NMS IoU (0.45)
#   -n, --names FILE    class names                        --size WxH  network size
#   --every N, --fps F, --max-frames N, --realtime, --timeout S, --format NAME,
#   --input-option K=V, --stamp  (frames: thinning, the source, the records'
#                       `wall`; see frames --help)
#   --video-codec C, --video-format F, --video-option K=V  (draw: the encoder)
#   --track METHOD      the tracker's method (sort, bytetrack); --no-track: none.
#                       The track stage runs when $BIN has one, else is left out.
#   --records FILE      keep the records (frames, detections; not the network's
#                       raw output, which rescale leaves out) in FILE
# Ctrl-C (SIGINT) ends the input: the frames so far are finished and the video
# closed properly. Stages come from $BIN (bin/).
set -euo pipefail
usage() { { printf 'Usage:'; sed -n '4,23p' "$0" | sed 's/^# \{0,1\}//'; } >&2; exit 1; }
thresh=0.25 iou=0.45 records=/dev/null track=auto
fr=() fwd=() resc=() dr=() tr=() pos=()
need() { [ $# -ge 2 ] || { echo "video.sh: option $1 needs a value" >&2; usage; }; }
while [ $# -gt 0 ]; do
  case $1 in
    -t|--thresh) need "$@"; thresh=$2; shift ;;
    --iou) need "$@"; iou=$2; shift ;;
    -n|--names) need "$@"; resc+=(--names "$2"); shift ;;
    --size) need "$@"; fwd+=(--width "${2%x*}" --height "${2#*x}"); shift ;;
    --every|--fps|--max-frames|--timeout|--format|--input-option)
      need "$@"; fr+=("$1" "$2"); shift ;;
    --realtime|--stamp) fr+=("$1") ;;
    --video-codec|--video-format|--video-option) need "$@"; dr+=("$1" "$2"); shift ;;
    --track) need "$@"; track=on tr+=(--method "$2"); shift ;;
    --no-track) track=off ;;
    --records) need "$@"; records=$2; shift ;;
    -h|--help) usage ;;
    -*) echo "video.sh: unknown option '$1'" >&2; usage ;;
    *) pos+=("$1") ;;
  esac
  shift
done
[ ${#pos[@]} -eq 4 ] || usage
cfg=${pos[0]} weights=${pos[1]} in=${pos[2]} out=${pos[3]}
PATH="${BIN:-$(dirname "$0")/../bin}:$PATH"
. "$(dirname "$0")/stages.sh"
if [ "$track" = on ] && ! command -v track > /dev/null; then
  echo "video.sh: --track: there is no track stage in ${BIN:-bin/}" >&2; exit 1
fi
[ "$track" = auto ] && { command -v track > /dev/null && track=on || track=off; }
# one command line for either case: `cat` stands where the tracker is left out
if [ "$track" = on ]; then tracker=(track ${tr[@]+"${tr[@]}"}); else tracker=(cat); fi
# darknet-forward's OpenMP threads: one that waits spins GOMP_SPINCOUNT
# rounds before it sleeps. libgomp's 300000 (~6 ms here) keeps a core busy
# through every pause of the network, the time the other stages need a core
# (docs/benchmarks.md, video); the environment's value wins.
spin=${GOMP_SPINCOUNT:-10000}
# SIGINT is for frames alone (it ends the input cleanly); the stages after
# it drain what is in flight and draw closes the video
trap '' INT
frames ${fr[@]+"${fr[@]}"} "$in" \
  | GOMP_SPINCOUNT=$spin darknet-forward --quiet --cfg "$cfg" --weights "$weights" ${fwd[@]+"${fwd[@]}"} \
  | rescale --thresh "$thresh" --drop-output ${resc[@]+"${resc[@]}"} \
  | nms --iou "$iou" --clip \
  | "${tracker[@]}" \
  | draw --video "$out" ${dr[@]+"${dr[@]}"} > "$records" ||
  stages_failed video.sh "frames darknet-forward rescale nms ${tracker[0]} draw" "${PIPESTATUS[@]}"
