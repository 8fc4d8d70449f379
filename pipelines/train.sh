#!/usr/bin/env bash
# Trains a darknet cfg on a VOC-layout dataset:
#   voc-parse | encode-targets | darknet-forward --train | yolo-loss
# with yolo-loss's records (its `grad`) going back to darknet-forward over a
# named pipe.
#
#   pipelines/train.sh [-s SPLIT] [-v SPLIT] [-n NAMES] [-o DIR] [-w WEIGHTS | -r SEED]
#                      [-m MIN,MAX] [-l "LOSS OPTIONS"] [-L LOSS-COMMAND] [-t MINUTES] DATASET CFG|TEMPLATE [OPTION]...
#
# -s: the split (default train); -n: class names (default DATASET/classes.names
# when there is one, else VOC's 20); -o: where the weights (DIR/weights), the
# loss log (DIR/log.jsonl) and its plot (DIR/loss.svg) go (default out/train);
# -w: start from these weights (-r: random ones from SEED, the default 1);
# -v: validate on this split every --val-every steps (default 100; mAP and loss
# logged, the best weights kept as DIR/best.weights, --patience K stops a run
# that no longer improves; pipelines/val.sh does it); -l: options for yolo-loss (e.g. "--variant darknet"); -L: another loss
# program instead of yolo-loss (any command reading records on stdin and
# writing each back, flushed, with `grad`); -m: multi-scale training, darknet's
# random=1 (e.g. 320,608): a new square size, a multiple of 32 in MIN..MAX,
# every 10 steps (encode-targets --sizes; darknet-forward resizes the network).
# OPTIONs go to darknet-forward (--max-batches N, --save-every N, --adam,
# --resume, --batch N, ...).
# Environment: AUGMENT, options for encode-targets (default "--shuffle").
# Stages come from $BIN (bin/). The stages run as jobs watched here: when
# one fails the others are stopped, and the status is the failed stage's.
set -euo pipefail
usage() { { printf 'Usage:'; sed -n '7,8p' "$0" | sed 's/^# \{0,1\}//'; } >&2; exit 1; }
minutes= split=train names= out=out/train weights= seed=1 loss_opts= loss_cmd= val= sizes=
while getopts "s:v:n:o:w:r:m:l:L:t:h" o; do
  case $o in
    t) minutes=$OPTARG ;;
    s) split=$OPTARG ;; v) val=$OPTARG ;; n) names=$OPTARG ;; o) out=$OPTARG ;; w) weights=$OPTARG ;;
    r) seed=$OPTARG ;; m) sizes=$OPTARG ;; l) loss_opts=$OPTARG ;; L) loss_cmd=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
data=$1 cfg=$2
shift 2
[ -n "$names" ] || { [ -f "$data/classes.names" ] && names=$data/classes.names; } || true
classes=()
[ -z "$names" ] || classes=(--classes "$names")
multiscale=()
[ -z "$sizes" ] || multiscale=(--sizes "$sizes")
start=(--random "$seed")
[ -z "$weights" ] || start=(--weights "$weights")
here=$(cd "$(dirname "$0")" && pwd)
PATH="${BIN:-$here/../bin}:$PATH"
# CFG not a file but a template's name (tiny-v2, tiny-v3: pipelines/templates/):
# pipelines/make-cfg.sh writes OUT/net.cfg for the dataset (classes, filters,
# anchors; with -t MINUTES a schedule timed on this machine; MAKE_CFG: more of
# its options, e.g. "--size 320"), and that is trained; --resume keeps it.
if [ ! -f "$cfg" ] && [[ $cfg != */* ]]; then
  mkdir -p "$out"
  if [[ " $* " != *" --resume "* ]] || [ ! -f "$out/net.cfg" ]; then
    echo "train.sh: no file $cfg: writing $out/net.cfg from the template $cfg (pipelines/make-cfg.sh)" >&2
    # shellcheck disable=SC2086
    bash "$here/make-cfg.sh" -s "$split" ${names:+-n "$names"} ${minutes:+--minutes "$minutes"} \
      ${MAKE_CFG:-} -o "$out/net.cfg" "$cfg" "$data" || exit
  fi
  cfg=$out/net.cfg
  echo "train.sh: training $cfg" >&2
elif [ -n "$minutes" ]; then
  echo "train.sh: -t MINUTES goes with a template name (CFG $cfg is a file)" >&2; exit 1
fi
# --resume goes on where the checkpoint's .state says: the encoder leaves out
# the records already trained through (numbered as before, so they are
# augmented as they would have been) and yolo-loss counts the images seen
# (v2's warm-up) from there.
# The state is the first of WEIGHTS.state and .state.prev whose `seen` is
# the weights' (header bytes 12..20), as darknet-forward picks it (which also
# checks the parameters' hash).
skip=() seen=()
resume_position() {
  local f state n k wseen
  wseen=$(od -An -j12 -N8 -tu8 --endian=little "$weights" | tr -d ' ')
  for f in "$weights.state" "$weights.state.prev"; do
    [ -f "$f" ] || continue
    state=$(records-to-json -q "$f") || exit 2
    n=$(printf '%s' "$state" | sed -n 's/.*"records": *\([0-9][0-9]*\).*/\1/p')
    k=$(printf '%s' "$state" | sed -n 's/.*"seen": *\([0-9][0-9]*\).*/\1/p')
    [ -n "$n" ] && [ -n "$k" ] || { echo "train.sh: $f: no records or seen in it" >&2; exit 2; }
    [ "$k" = "$wseen" ] || continue
    skip=(--skip "$n") seen=(--seen "$k")
    return
  done
}
for a in "$@"; do
  [ "$a" = --resume ] && [ -n "$weights" ] && [ -f "$weights" ] && resume_position
done
validation=()
if [ -n "$val" ]; then
  vcmd="bash $(printf '%q' "$here/val.sh") -s $(printf '%q' "$val")"
  [ -z "$names" ] || vcmd+=" -n $(printf '%q' "$names")"
  [ -z "$loss_opts" ] || vcmd+=" -l $(printf '%q' "$loss_opts")"
  vcmd+=" $(printf '%q' "$data") $(printf '%q' "$cfg")"
  validation=(--val-cmd "$vcmd" --best "$out/best.weights")
fi
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/train.XXXXXX")
up= fwd= loss=
cleanup() {
  for p in "$up" "$fwd" "$loss" "${unblocker:-}"; do [ -z "$p" ] || kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkfifo "$tmp/in" "$tmp/out" "$tmp/grad"

# As many epochs as the steps need: encode-targets stops when darknet-forward
# has done its steps and closes its input.
voc-parse --split "$split" ${classes[@]+"${classes[@]}"} "$data" \
  | encode-targets --cfg "$cfg" --epochs 100000 --seed "$seed" ${AUGMENT---shuffle} \
    ${multiscale[@]+"${multiscale[@]}"} ${skip[@]+"${skip[@]}"} \
  > "$tmp/in" &
up=$!
darknet-forward --cfg "$cfg" "${start[@]}" --train --grad "$tmp/grad" \
  --checkpoint "$out/weights" --log "$out/log.jsonl" --plot "$out/loss.svg" \
  ${validation[@]+"${validation[@]}"} "$@" \
  < "$tmp/in" > "$tmp/out" &
fwd=$!
if [ -n "$loss_cmd" ]; then
  sh -c "$loss_cmd" < "$tmp/out" > "$tmp/grad" &
else
  # shellcheck disable=SC2086
  yolo-loss -q ${seen[@]+"${seen[@]}"} $loss_opts < "$tmp/out" > "$tmp/grad" &
fi
loss=$!
# Watch the jobs. darknet-forward ending is the end: the encoder upstream is
# then stopped (it also dies of SIGPIPE, status 141, once darknet-forward
# closes its input: never a failure of its own); if darknet-forward failed,
# the loss stage is stopped too (it may still wait to open the pipe). Any
# other job failing first stops the others.
status=0
# 0 if process $1 has exited (a zombie not yet waited for, or gone)
exited() { [ ! -e "/proc/$1/stat" ] || [ "$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat")" = Z ]; }
# A stage stopped before it opened its end of a FIFO never opens it, and the
# stage at the other end then waits in open() for ever: darknet-forward,
# asked to stop (SIGTERM: it checkpoints and ends) just before it opens the
# gradients' FIFO, waits there for a loss stage that is gone. While it is
# still there, each FIFO is opened and closed here, which lets such an
# open() return (and the read after it see the end).
unblock() {
  while [ -n "$fwd" ] && ! exited "$fwd"; do
    for f in "$tmp/in" "$tmp/out" "$tmp/grad"; do
      [ -p "$f" ] && { exec 3<>"$f"; exec 3>&-; } 2>/dev/null
    done
    sleep 0.2
  done
}
stop_all() {
  for p in "$up" "$fwd" "$loss"; do [ -z "$p" ] || kill "$p" 2>/dev/null || true; done
  unblock &
  unblocker=$!
}
unblocker=
while :; do
  job=
  set +e
  wait -n -p job
  rc=$?
  set -e
  [ -n "${job:-}" ] || break               # no job left
  if [ "$job" = "$up" ]; then
    up=
    # SIGPIPE: darknet-forward closed its input; its own status tells. Once
    # darknet-forward has ended, the encoder was stopped from here (SIGTERM).
    [ "$rc" -eq 0 ] || [ "$rc" -eq 141 ] || [ -z "$fwd" ] || [ "$status" -ne 0 ] || {
      status=$rc; echo "train.sh: voc-parse | encode-targets failed (status $rc); stopping the others" >&2
      stop_all; }
  elif [ "$job" = "$fwd" ]; then
    fwd=
    # an encoder that had already ended (a zombie) failing is the cause:
    # darknet-forward then saw its input end early and may have ended first
    if [ -n "$up" ] && exited "$up"; then
      set +e; wait "$up"; urc=$?; set -e
      up=
      if [ "$urc" -ne 0 ] && [ "$urc" -ne 141 ] && [ "$status" -eq 0 ]; then
        status=$urc
        echo "train.sh: voc-parse | encode-targets failed (status $urc); stopping the others" >&2
        stop_all
      fi
    fi
    [ -z "$up" ] || kill "$up" 2>/dev/null || true
    if [ "$rc" -ne 0 ] && [ "$status" -eq 0 ]; then
      status=$rc
      # both may have ended before this wait: a loss stage that already
      # exited (a zombie) failing is the cause darknet-forward reported
      if [ -n "$loss" ] && exited "$loss"; then
        set +e; wait "$loss"; lrc=$?; set -e
        loss=
        [ "$lrc" -eq 0 ] || {
          status=$lrc; echo "train.sh: the loss stage failed (status $lrc); stopping the others" >&2; }
      fi
      stop_all
    fi
  elif [ "$job" = "$unblocker" ]; then
    unblocker=
  elif [ "$job" = "$loss" ]; then
    loss=
    if [ "$rc" -ne 0 ] && [ "$status" -eq 0 ]; then
      status=$rc
      echo "train.sh: the loss stage failed (status $rc); stopping the others" >&2
      stop_all
    fi
  fi
done
if [ "$status" -eq 0 ]; then
  echo "train.sh: weights in $out/weights, log $out/log.jsonl, plot $out/loss.svg" >&2
else
  echo "train.sh: failed (status $status); the last checkpoint, if any, is $out/weights" >&2
fi
exit "$status"
