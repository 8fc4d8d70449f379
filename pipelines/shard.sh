#!/usr/bin/env bash
# One shard of a pipelines/ script's work (eval.sh and detect.sh with -j or
# -S), as GNU parallel runs it here or over ssh on another machine: the
# reader takes --shard K/N, and the shard's records go to standard output
# for the caller to put after those of shards 0..K-1 (a shard is a
# contiguous part of the images listed, so in shard order they are the
# whole stream, byte for byte).
#
#   pipelines/shard.sh [-b BIN] [-C DIR] [-t THREADS] [-i FAMILY] SCRIPT K/N READER ARG... ['|' STAGE ARG...]...
#
# SCRIPT: the caller's name for messages ("eval.sh: shard 2/2: darknet-forward
# killed by signal 9 (KILL)"); '|': a word of its own between two stages;
# -b: the stages' folder (default: bin/ beside pipelines/); -C: work in DIR,
# so that relative paths mean what they meant to the caller; -t: the
# stages' OMP_NUM_THREADS (default: as set, else every core); -i: their
# YOLO_ISA (environment variables do not cross ssh).
set -euo pipefail
usage() { { printf 'Usage:'; sed -n '8,16p' "$0" | sed 's/^# \{0,1\}//'; } >&2; exit 1; }
bin=$(dirname "$0")/../bin dir=. threads= isa=
while getopts "b:C:t:i:h" o; do
  case $o in
    b) bin=$OPTARG ;; C) dir=$OPTARG ;; t) threads=$OPTARG ;; i) isa=$OPTARG ;; *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 3 ] || usage
script=$1 part=$2
shift 2
. "$(dirname "$0")/stages.sh"
PATH="$bin:$PATH"
[ -z "$threads" ] || export OMP_NUM_THREADS="$threads"
[ -z "$isa" ] || export YOLO_ISA="$isa"
cd "$dir"

# The stages as one command line for eval, each word quoted, the reader
# given --shard; names: each stage's first word, for stages_failed.
line= names= start=1 n=0
for w; do
  if [ "$w" = '|' ]; then
    line+=' |' start=1
    continue
  fi
  line+=" $(printf '%q' "$w")"
  if [ "$start" = 1 ]; then
    names+=" $w" start=0 n=$((n + 1))
    [ "$n" -gt 1 ] || line+=" --shard $(printf '%q' "$part")"
  fi
done
status=()
eval "$line"' || status=("${PIPESTATUS[@]}")'
[ ${#status[@]} -eq 0 ] || stages_failed "$script: shard $part" "$names" "${status[@]}"
