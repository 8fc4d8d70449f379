#!/usr/bin/env bash
# Trains a darknet cfg on a VOC-layout dataset:
#   voc-parse | encode-targets | darknet-forward --train | yolo-loss
# with yolo-loss's records (its `grad`) going back to darknet-forward over a
# named pipe.
#
#   pipelines/train.sh [-s SPLIT] [-v SPLIT] [-n NAMES] [-o DIR] [-w WEIGHTS | -b BACKBONE]
#                      [-r SEED] [-m MIN,MAX] [-l "LOSS OPTIONS"] [-L LOSS-COMMAND] [-t MINUTES] [-A BPR|off] [-p PRESET] DATASET CFG|TEMPLATE [OPTION]...
#
# -s: the split (default train); -n: class names (default DATASET/classes.names
# when there is one, else VOC's 20); -o: where the weights (DIR/weights), the
# loss log (DIR/log.jsonl) and its plot (DIR/loss.svg) go (default out/train);
# -w: start from these weights (-r: random ones from SEED, the default 1);
# -b: start from a backbone, a weights file holding the first layers (cut by
# darknet's `partial` or darknet-forward --upto N --save-weights): the layers
# after it are random from SEED, images seen and the schedule start at 0;
# -v: validate on this split every --val-every steps (default 100; mAP and loss
# logged, the best weights kept as DIR/best.weights, --patience K stops a run
# that no longer improves; pipelines/val.sh does it; with --ema DECAY the
# weights' moving average, DIR/weights.ema, is what is validated and kept
# as best.weights); -l: options for yolo-loss (e.g. "--variant darknet"); -L: another loss
# program instead of yolo-loss (any command reading records on stdin and
# writing each back, flushed, with `grad`); -m: multi-scale training, darknet's
# random=1 (e.g. 320,608): a new square size, a multiple of 32 in MIN..MAX,
# every 10 steps (encode-targets --sizes; darknet-forward resizes the network).
# -t MINUTES (with a TEMPLATE): make-cfg.sh sizes the schedule to MINUTES of
# training here (a few steps timed, and with -v a validation), and
# darknet-forward stops on the clock after the last step that fits
# (--max-seconds; a resumed run gets the minutes again from its start).
# -A: the anchor check (below): retrain with new anchors when the best
# possible recall of the cfg's is below BPR (default 0.98); off: no check.
# OPTIONs go to darknet-forward (--max-batches N, --save-every N, --adam,
# --resume, --batch N, --ema DECAY, --policy cosine, --lrf F, --burn-in N, ...).
# -p small: the recipe for a small dataset trained from random weights
# (docs/training.md, "A recipe for small datasets"; with the template small:
# `train.sh -p small -t 60 DATASET small`): encode-targets --mosaic 1
# --affine (unless AUGMENT is set), yolo-loss --label-smoothing .01 before
# -l's options, darknet-forward --ema .9999 --ema-tau 200 before the OPTIONs
# (a later option wins: --ema-tau 400). The expansion is printed.
# Environment: AUGMENT, options for encode-targets (default "--shuffle").
# Stages come from $BIN (bin/). The stages run as jobs watched here: when
# one fails the others are stopped, and the status is the failed stage's
# (128 + N for one that signal N ended, named as such).
# Data-parallel: `mpirun -np N pipelines/train.sh ...` runs one pipeline per
# rank (Open MPI's OMPI_COMM_WORLD_RANK/SIZE): rank r reads images r, r+N, ...
# of the split (voc-parse --shard r/N), darknet-forward trains batch / N
# images a step and sums the gradients of all ranks before each update, and
# rank 0 alone writes DIR/weights, the log and the plot and validates
# (docs/scale-out.md). CFG must then be a file, not a template.
# Stopping: SIGINT (Ctrl-C) or SIGTERM to train.sh, or to darknet-forward
# itself, is a stop asked for: darknet-forward ends the pass in progress
# and writes the checkpoint (whatever --save-every says), the other stages
# end quietly, and train.sh exits 130 (SIGINT) or 143 (SIGTERM), saying so
# and how to resume.
set -euo pipefail
# under mpirun: this rank of ranks; the messages name it
rank=${OMPI_COMM_WORLD_RANK:-0} ranks=${OMPI_COMM_WORLD_SIZE:-1}
me=train.sh
[ "$ranks" -le 1 ] || me="train.sh (rank $rank of $ranks)"
# a stop asked for before every stage runs (ask_stop then) ends the script
stop_early() {
  echo "$me: stopped as asked (SIG$1) before training started" >&2
  exit $((128 + $(kill -l "$1")))
}
trap 'stop_early INT' INT
trap 'stop_early TERM' TERM
usage() { { printf 'Usage:'; sed -n '7,8p' "$0" | sed 's/^# \{0,1\}//'; } >&2; exit 1; }

# The anchor check (-A BPR|off), before training: ultralytics' best possible
# recall of the cfg's anchors on the training split (kmeans-anchors --eval: a
# box counts when some anchor's sides are each within 4 times its own; [yolo]
# anchors in network pixels, all heads' together, [region] in grid cells).
# Below BPR (default 0.98), kmeans-anchors clusters as many anchors in the
# same units, and when they recall more, a copy of the cfg with them,
# OUT/net.cfg, is trained instead (OUT/net-anchors.cfg when the cfg given is
# OUT/net.cfg itself; a template's OUT/net.cfg is rewritten): the cfg given is
# never edited. It is said either way. A copy's first line says what it is;
# a fresh run that keeps the cfg's anchors removes an earlier run's copy, and
# a resumed run (--resume) checks nothing and trains the copy when its run
# wrote one, so that it goes on with the same anchors. Under mpirun every rank
# computes the same from the whole split (k-means is seeded) and writes the
# same copy; rank 0 speaks. Sets cfg.
anchor_min=0.98 anchor_mark="# train.sh anchor check:"
anchor_option() {
  [ "$anchor_min" != off ] || return 0
  [[ $anchor_min =~ ^([0-9]+([.][0-9]*)?|[.][0-9]+)$ ]] &&
    awk -v m="$anchor_min" 'BEGIN { exit !(m > 0 && m <= 1) }' && return 0
  echo "$me: -A: '$anchor_min' is neither off nor a best possible recall in (0, 1]" >&2
  exit 1
}
rank0_say() { [ "$rank" -gt 0 ] || echo "$me: $*" >&2; }
# 0 when $1 is a copy the check wrote (its first line says so)
anchor_marked() { [ -f "$1" ] && [ "$(head -n 1 "$1" | cut -c1-${#anchor_mark})" = "$anchor_mark" ]; }
# a cfg without a copy's first line and without its anchors lines
anchor_strip() { grep -v -e "^$anchor_mark" -e '^[[:space:]]*anchors[[:space:]]*=' "$1" || true; }
# 0 when $1 is a copy the check wrote of cfg $2 (the same but for the anchors)
anchor_copy_of() { anchor_marked "$1" && cmp -s <(anchor_strip "$1") <(anchor_strip "$2"); }
# The cfg's anchors and their units: "yolo W H ANCHORS" or "region - - ANCHORS",
# or "skip WHY" when there is nothing the check can read.
anchor_heads() {
  awk '
    function key(s) { sub(/[ \t]*=.*/, "", s); sub(/^[ \t]*/, "", s); return s }
    function val(s) { sub(/^[^=]*=/, "", s); gsub(/[ \t\r]/, "", s); return s }
    /^[ \t]*\[/ { sec = $0; gsub(/[][ \t\r]/, "", sec); if (sec == "yolo" || sec == "region") { n++; type[n] = sec } next }
    /^[ \t]*[#;]/ || !/=/ { next }
    (sec == "net" || sec == "network") && key($0) == "width" { W = val($0) }
    (sec == "net" || sec == "network") && key($0) == "height" { H = val($0) }
    (sec == "yolo" || sec == "region") && key($0) == "anchors" { a[n] = val($0) }
    END {
      if (!n) { print "skip has no [yolo] or [region] head"; exit }
      for (i = 1; i <= n; i++) {
        if (a[i] == "") { print "skip has a [" type[i] "] without anchors"; exit }
        if (type[i] != type[1] || a[i] != a[1]) { print "skip has heads of different types or anchors"; exit }
      }
      if (type[1] == "region" && n > 1) { print "skip has " n " [region] heads"; exit }
      if (type[1] == "yolo" && (W == "" || H == "")) { print "skip has no width and height in [net]"; exit }
      if (type[1] == "yolo") print "yolo", W, H, a[1]; else print "region - -", a[1]
    }' "$cfg"
}
# the value of key $2 in the one-record JSON $1
anchor_key() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" <<< "$1"; }
# anchor_figures ANCHORS UNITS...: on the split, "old K BPR" of ANCHORS and,
# when BPR < anchor_min, "new BPR LINE" of kmeans-anchors' K anchors (LINE as
# it prints them); "error WHY" when kmeans-anchors cannot. Run in a subshell:
# its scratch folder goes with it, a stop asked for included.
anchor_figures() {
  local old=$1 d ev k bpr line
  shift
  d=$(mktemp -d "${TMPDIR:-/tmp}/anchors.XXXXXX") || exit 0
  # shellcheck disable=SC2064  # d now: it is local, gone when the subshell ends
  trap "rm -rf $(printf '%q' "$d")" EXIT
  trap 'exit 1' INT TERM
  # a split voc-parse cannot read: training says why
  voc-parse -q --split "$split" ${classes[@]+"${classes[@]}"} "$data" > "$d/recs.mp" 2> /dev/null || exit 0
  ev=$(kmeans-anchors -q "$@" --eval "$old" "$d/recs.mp" 2> "$d/err" | records-to-json -q) ||
    { echo "error $(sed 's/^kmeans-anchors: //' "$d/err" | head -n 1)"; exit 0; }
  k=$(anchor_key "$ev" k) bpr=$(anchor_key "$ev" bpr)
  echo "old $k $bpr"
  awk -v b="$bpr" -v m="$anchor_min" 'BEGIN { exit !(b < m) }' || exit 0
  line=$(kmeans-anchors -k "$k" "$@" "$d/recs.mp" 2> "$d/err" > /dev/null &&
         sed -n 's/^anchors = //p' "$d/err") &&
    ev=$(kmeans-anchors -q "$@" --eval "$line" "$d/recs.mp" 2> "$d/err" | records-to-json -q) &&
    echo "new $(anchor_key "$ev" bpr) $line" ||
    echo "error kmeans-anchors -k $k $*: $(sed 's/^kmeans-anchors: //' "$d/err" | tail -n 1)"
}
anchor_check() {
  local copy=$out/net.cfg heads type w h old unit=() fig k bpr nbpr line say
  [ -f "$cfg" ] && [ -r "$cfg" ] || return 0     # darknet-forward says why
  [ "$cfg" != "$user_cfg" ] || ! [ "$cfg" -ef "$copy" ] || copy=$out/net-anchors.cfg
  if [[ " $* " == *" --resume "* ]]; then
    ! anchor_copy_of "$copy" "$cfg" || { cfg=$copy; rank0_say "resuming with $copy, the anchors its run chose"; }
    return 0
  fi
  [ "$anchor_min" != off ] || { anchor_drop "$copy"; return 0; }
  heads=$(anchor_heads)
  read -r type w h old <<< "$heads"
  if [ "$type" = skip ]; then
    rank0_say "no anchor check: $cfg ${heads#skip }"; anchor_drop "$copy"; return 0
  elif [ "$type" = yolo ]; then
    unit=(--net "$w,$h")
  else
    read -r w h < <(darknet-forward --cfg "$cfg" --summary 2> /dev/null | awk '$2 == "region" { print $3, $5 }') || true
    [ -n "$w" ] || return 0     # the cfg does not build: training says why
    [ "$w" = "$h" ] || { rank0_say "no anchor check: the [region] grid of $cfg is ${w}x$h, not square"; anchor_drop "$copy"; return 0; }
    unit=(--grid "$w")
  fi
  fig=$(anchor_figures "$old" "${unit[@]}")
  read -r _ k bpr <<< "$(grep '^old ' <<< "$fig")"
  read -r _ nbpr line <<< "$(grep '^new ' <<< "$fig")"
  say="anchors fit the data badly: best possible recall $(printf '%.4f' "${bpr:-0}") < $anchor_min"
  if [ -z "$bpr" ]; then
    [[ $fig != error* ]] || rank0_say "no anchor check: ${fig#error }"
  elif ! awk -v b="$bpr" -v m="$anchor_min" 'BEGIN { exit !(b < m) }'; then
    rank0_say "anchors fit the data: best possible recall $(printf '%.4f' "$bpr") >= $anchor_min (kmeans-anchors ${unit[*]} on split $split)"
  elif [ -z "$nbpr" ]; then
    rank0_say "$say; $(grep '^error ' <<< "$fig" | cut -c7-): training $cfg as it is"
  elif ! awk -v n="$nbpr" -v b="$bpr" 'BEGIN { exit !(n > b) }'; then
    rank0_say "$say; kmeans-anchors -k $k ${unit[*]} does no better (recall $(printf '%.4f' "$nbpr")): training $cfg as it is"
  elif anchor_write "$copy" "$line" "$(printf '%.4f' "$bpr")" "$(printf '%.4f' "$nbpr")" "kmeans-anchors -k $k ${unit[*]}"; then
    rank0_say "$say; new anchors from kmeans-anchors -k $k ${unit[*]}: $line (recall $(printf '%.4f' "$nbpr")); training with $copy"
    cfg=$copy
    return 0
  fi
  anchor_drop "$copy"
}
# cfg with anchors $2 into $1, through a temporary file beside it (ranks
# writing the same copy at once each rename a whole file)
anchor_write() {
  local t
  mkdir -p "$out" && t=$(mktemp "$1.XXXXXX") &&
    awk -v A="$2" -v head="$anchor_mark $cfg with the anchors of $5 on $data (split $split): best possible recall $4, the cfg's $3 (side ratios below 4)" '
      NR == 1 { print head }
      /^[ \t]*\[/ { sec = $0; gsub(/[][ \t\r]/, "", sec) }
      (sec == "yolo" || sec == "region") && /^[ \t]*anchors[ \t]*=/ { print "anchors=" A; next }
      { print }' "$cfg" > "$t" && mv -f "$t" "$1" && return 0
  [ -z "${t:-}" ] || rm -f "$t"
  rank0_say "anchor check: cannot write $1: training $cfg as it is"
  return 1
}
# an earlier run's copy in OUT (not the cfg trained now) is not this run's
anchor_drop() {
  [ ! "$1" -ef "$cfg" ] && anchor_marked "$1" || return 0
  rm -f "$1"
  rank0_say "removed $1, an earlier run's cfg with other anchors (this run trains $cfg)"
}
# -p PRESET: AUGMENT (when not set), loss_opts and preset_opts (darknet-forward
# options put before the user's) as the preset has them, said on stderr
preset_apply() {
  case $preset in
    "") return ;;
    small)
      if [ -z "${AUGMENT+set}" ]; then
        export AUGMENT="--shuffle --mosaic 1 --affine --affine-scale .5 --affine-translate .1"  # make-cfg.sh times with it
      else
        rank0_say "-p small: AUGMENT is set, so encode-targets gets it ($AUGMENT), not the preset's mosaic and affine"
      fi
      loss_opts="--label-smoothing .01${loss_opts:+ $loss_opts}"
      preset_opts=(--ema .9999 --ema-tau 200) ;;
    *) echo "$me: -p '$preset': no such preset (small)" >&2; exit 1 ;;
  esac
  rank0_say "preset $preset: encode-targets $AUGMENT; yolo-loss $loss_opts; darknet-forward ${preset_opts[*]} (before the options given)"
}
# darknet-forward's --val-every among the options given (the last one; 100
# when none)
val_every() {
  local n=100
  while [ $# -gt 0 ]; do
    case $1 in
      --val-every) [ $# -lt 2 ] || n=$2; shift ;;
      --val-every=*) n=${1#--val-every=} ;;
    esac
    shift
  done
  echo "$n"
}
minutes= split=train names= out=out/train weights= backbone= seed=1 loss_opts= loss_cmd= val= sizes=
preset= preset_opts=()
while getopts "s:v:n:o:w:b:r:m:l:L:t:A:p:h" o; do
  case $o in
    p) preset=$OPTARG ;;
    t) minutes=$OPTARG ;; b) backbone=$OPTARG ;; A) anchor_min=$OPTARG ;;
    s) split=$OPTARG ;; v) val=$OPTARG ;; n) names=$OPTARG ;; o) out=$OPTARG ;; w) weights=$OPTARG ;;
    r) seed=$OPTARG ;; m) sizes=$OPTARG ;; l) loss_opts=$OPTARG ;; L) loss_cmd=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
anchor_option
data=$1 cfg=$2 user_cfg=$2
shift 2
preset_apply
set -- "${preset_opts[@]}" "$@"
[ -n "$names" ] || { [ -f "$data/classes.names" ] && names=$data/classes.names; } || true
classes=()
[ -z "$names" ] || classes=(--classes "$names")
multiscale=() shard=()
[ -z "$sizes" ] || multiscale=(--sizes "$sizes")
[ "$ranks" -le 1 ] || shard=(--shard "$rank/$ranks")
[ -z "$weights" ] || [ -z "$backbone" ] || {
  echo "$me: -b BACKBONE starts a run, -w WEIGHTS goes on from weights: not both" >&2; exit 1; }
start=(--random "$seed")
[ -z "$weights" ] || start=(--weights "$weights")
[ -z "$backbone" ] || start=(--weights "$backbone" --partial --random "$seed")
here=$(cd "$(dirname "$0")" && pwd)
PATH="${BIN:-$here/../bin}:$PATH"
# CFG not a file but a template's name (tiny-v2, tiny-v3: pipelines/templates/):
# pipelines/make-cfg.sh writes OUT/net.cfg for the dataset (classes, filters,
# anchors; with -t MINUTES a schedule timed on this machine; MAKE_CFG: more of
# its options, e.g. "--size 320"), and that is trained; --resume keeps it.
if [ ! -f "$cfg" ] && [[ $cfg != */* ]] && [ "$ranks" -gt 1 ]; then
  echo "$me: no file $cfg: under mpirun CFG is a file (every rank the same; write it first with pipelines/make-cfg.sh)" >&2
  exit 1
elif [ ! -f "$cfg" ] && [[ $cfg != */* ]]; then
  mkdir -p "$out"
  if [[ " $* " != *" --resume "* ]] || [ ! -f "$out/net.cfg" ]; then
    echo "$me: no file $cfg: writing $out/net.cfg from the template $cfg (pipelines/make-cfg.sh)" >&2
    # shellcheck disable=SC2086
    # the validations (-v) count against -t's minutes: make-cfg.sh times one
    mc_val=()
    [ -z "$minutes" ] || [ -z "$val" ] || mc_val=(--val "$val" --val-every "$(val_every "$@")")
    bash "$here/make-cfg.sh" -s "$split" ${names:+-n "$names"} ${minutes:+--minutes "$minutes"} \
      ${mc_val[@]+"${mc_val[@]}"} ${MAKE_CFG:-} -o "$out/net.cfg" "$cfg" "$data" || exit
  fi
  cfg=$out/net.cfg
  echo "$me: training $cfg" >&2
elif [ -n "$minutes" ]; then
  echo "$me: -t MINUTES goes with a template name (CFG $cfg is a file)" >&2; exit 1
fi
# -t is a deadline too: darknet-forward stops after the last step that ends,
# with a validation after it, within the minutes (a later --max-seconds wins)
[ -z "$minutes" ] || set -- --max-seconds "$(awk -v m="$minutes" 'BEGIN { printf "%g", m * 60 }')" "$@"
anchor_check "$@"
# multi-scale under mpirun: a new size every 10 steps, as one process has it
# (encode-targets' default is 10 cfg batches of records; a rank's stream has
# batch / N records a step). Every rank draws the same sizes (the same seed).
if [ -n "$sizes" ] && [ "$ranks" -gt 1 ]; then
  b=$(sed -n 's/^[[:space:]]*batch[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$cfg" | head -n 1)
  multiscale+=(--size-every $((10 * ${b:-1} / ranks)))
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
    [ -n "$n" ] && [ -n "$k" ] || { echo "$me: $f: no records or seen in it" >&2; exit 2; }
    [ "$k" = "$wseen" ] || continue
    skip=(--skip "$n") seen=(--seen "$k")
    return
  done
}
for a in "$@"; do
  [ "$a" = --resume ] && [ -n "$weights" ] && [ -f "$weights" ] && resume_position
done
# --ema: darknet-forward keeps DIR/weights.ema, validates it and writes it
# as best.weights (said at the end)
ema=
for a in "$@"; do case $a in --ema | --ema=*) ema=1 ;; esac; done
validation=()
if [ -n "$val" ]; then
  vcmd="bash $(printf '%q' "$here/val.sh") -s $(printf '%q' "$val")"
  [ -z "$names" ] || vcmd+=" -n $(printf '%q' "$names")"
  [ -z "$loss_opts" ] || vcmd+=" -l $(printf '%q' "$loss_opts")"
  vcmd+=" $(printf '%q' "$data") $(printf '%q' "$cfg")"
  validation=(--val-cmd "$vcmd" --best "$out/best.weights")
fi
mkdir -p "$out"
. "$here/stages.sh"

# The stages, each a job of its own (so each has its pid and its status),
# joined by named pipes. pids[i] is the stage's own process: the signals
# sent here reach it, not a shell around it.
UP=0 ENC=1 FWD=2 LOSS=3
stage=(voc-parse encode-targets darknet-forward yolo-loss)
[ -z "$loss_cmd" ] || stage[LOSS]="the loss stage"
pids=() st=() sent=()
asked= asks=0 acted=0 unblocker= tmp=
cleanup() {
  local i
  for i in "${!pids[@]}"; do [ -n "${st[$i]:-}" ] || kill "${pids[$i]}" 2> /dev/null || true; done
  # a signal between a stage's start and its pid's recording: $! is its pid
  [ ${#pids[@]} -eq 4 ] || [ -z "${!:-}" ] || kill "$!" 2> /dev/null || true
  [ -z "$unblocker" ] || kill "$unblocker" 2> /dev/null || true
  [ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
tmp=$(mktemp -d "${TMPDIR:-/tmp}/train.XXXXXX")
mkfifo "$tmp/parsed" "$tmp/in" "$tmp/out" "$tmp/grad" "$tmp/tick"
: > "$tmp/started"         # what a checkpoint of this run is newer than

# 0 if process $1 has ended: gone, or a zombie not yet waited for
ended() {
  kill -0 "$1" 2> /dev/null || return 0
  local s=
  { read -r s < "/proc/$1/stat"; } 2> /dev/null || return 1
  s=${s##*) }
  [ "${s:0:1}" = Z ]
}
# stop I...: SIGTERM to these stages, the ones still running (one that has
# ended already keeps its own status, whatever it is)
stop() {
  local i
  for i; do
    [ -z "${st[$i]:-}" ] && ! ended "${pids[$i]}" || continue
    sent[i]=1
    kill -TERM "${pids[$i]}" 2> /dev/null || true
  done
}
# A stage stopped before it opened its end of a FIFO never opens it, and the
# stage at the other end then waits in open() for ever (darknet-forward,
# stopped just before it opens the gradients' FIFO, waits there for a loss
# stage that is gone). While any stage runs, each FIFO is opened and closed
# here, which lets such an open() return (and the read after it see the end).
unblock() {
  local p f running=1
  while [ -n "$running" ]; do
    running=
    for p in "${pids[@]}"; do ended "$p" || running=1; done
    for f in "$tmp/parsed" "$tmp/in" "$tmp/out" "$tmp/grad"; do
      [ -p "$f" ] && { exec 3<> "$f"; exec 3>&-; } 2> /dev/null
    done
    sleep 0.2
  done
}
stop_all() {
  stop $UP $ENC $FWD $LOSS
  [ -n "$unblocker" ] || { unblock & unblocker=$!; }
}
# SIGINT or SIGTERM to train.sh: a stop asked for, noted here and acted on
# by watch (a trap that ran builtins such as read could cut into the read
# watch waits in, and take its timeout away). (`return 0`: a bare return in
# a trap returns the status of the command the trap cut into, and set -e
# would end the script.)
ask_stop() {
  [ ${#pids[@]} -eq 4 ] || stop_early "$1"
  [ -n "$asked" ] || asked=$1
  asks=$((asks + 1))
  return 0
}
# The stops asked for and not yet acted on. darknet-forward alone gets the
# first, as SIGTERM (SIGINT is ignored by a job of a script until the stage
# sets its own handler): it ends the pass in progress (the loss stage must
# still be there for that) and writes the checkpoint; its end then ends the
# others. Asked again, everything is stopped at once.
act_on_stops() {
  [ "$asks" -gt "$acted" ] || return 0
  if [ "$acted" -eq 0 ]; then stop $FWD; else stop_all; fi
  acted=$asks
}
trap 'ask_stop INT' INT
trap 'ask_stop TERM' TERM

# As many epochs as the steps need: encode-targets stops when darknet-forward
# has done its steps and closes its input.
voc-parse --split "$split" ${classes[@]+"${classes[@]}"} ${shard[@]+"${shard[@]}"} "$data" \
  > "$tmp/parsed" &
pids[UP]=$!
encode-targets --cfg "$cfg" --epochs 100000 --seed "$seed" ${AUGMENT---shuffle} \
  ${multiscale[@]+"${multiscale[@]}"} ${skip[@]+"${skip[@]}"} < "$tmp/parsed" > "$tmp/in" &
pids[ENC]=$!
darknet-forward --cfg "$cfg" "${start[@]}" --train --grad "$tmp/grad" \
  --checkpoint "$out/weights" --log "$out/log.jsonl" --plot "$out/loss.svg" \
  ${validation[@]+"${validation[@]}"} "$@" \
  < "$tmp/in" > "$tmp/out" &
pids[FWD]=$!
if [ -n "$loss_cmd" ]; then
  sh -c "$loss_cmd" < "$tmp/out" > "$tmp/grad" &
else
  # shellcheck disable=SC2086
  yolo-loss -q ${seen[@]+"${seen[@]}"} $loss_opts < "$tmp/out" > "$tmp/grad" &
fi
pids[LOSS]=$!

# The status of stage $1, which has ended. `wait PID` gives it even after
# bash has reaped the process (bash keeps it); a trapped signal can cut a
# wait short with a status of its own (> 128), so a second wait, answered
# from bash's record when it has one (else 127), has the last word. Bash's
# own note on a job a signal killed ("line N: PID Killed  COMMAND...") is
# left out: report names the stage.
collect() {
  local p=${pids[$1]} s=0 again=0
  wait "$p" 2> /dev/null || s=$?
  wait "$p" 2> /dev/null || again=$?
  [ "$again" -eq 127 ] || s=$again
  st[$1]=$s
}
# What a stage's end calls for. darknet-forward's end is the end: the stages
# upstream are stopped (they may also die of SIGPIPE, 141, once it closes its
# input: never a failure of theirs); after it failed or was stopped, the loss
# stage too (it may still wait to open a pipe). Another stage failing stops
# everything. Who is to blame is weighed at the end (report), with every
# status known.
on_end() {
  local s=${st[$1]}
  if [ "$1" -eq $FWD ]; then
    stop $UP $ENC
    [ "$s" -eq 0 ] || stop_all
  elif [ "$s" -ne 0 ] && [ "$s" -ne 141 ]; then
    stop_all
  fi
}
# Every stage's status, each collected by its own pid: a poll every 0.1 s
# (read -t on a FIFO nobody writes: a sleep without a process), not `wait
# -n`, which loses a job that ends at the same moment as another.
watch() {
  local i left=4
  exec 9<> "$tmp/tick"
  while [ "$left" -gt 0 ]; do
    act_on_stops
    for i in $UP $ENC $FWD $LOSS; do
      if [ -z "${st[$i]:-}" ] && ended "${pids[$i]}"; then
        collect "$i"
        left=$((left - 1))
        on_end "$i"
      fi
    done
    [ "$left" -eq 0 ] || read -r -t 0.1 -u 9 || true
  done
  exec 9>&-
}

# The stage's end is a failure of its own: not 0, not SIGPIPE (its reader
# had gone), not SIGINT/SIGTERM sent from here or part of a stop asked for
own_failure() {
  case ${st[$1]} in
    0 | 141) return 1 ;;
    130 | 143) [ -z "${sent[$1]:-}" ] && [ -z "$asked" ] ;;
    *) return 0 ;;
  esac
}
# Of stages that failed (not by a signal), the one to blame: the loss stage
# (darknet-forward then fails for want of its records), else the stages
# upstream (darknet-forward saw its input end early), else darknet-forward.
blame() {
  local i j
  for i in $LOSS $UP $ENC $FWD; do
    for j; do [ "$i" -ne "$j" ] || { echo "$i"; return 0; }; done
  done
}
# the last step in the log (0 when none is logged)
last_step() {
  local n=0
  [ ! -f "$out/log.jsonl" ] ||
    n=$(sed -n 's/^{"iteration":\([0-9]*\),.*/\1/p' "$out/log.jsonl" | tail -n 1)
  echo "${n:-0}"
}
stopped() {
  local where="checkpoint: $out/weights; resume with -w $out/weights --resume"
  [ "$out/weights" -nt "$tmp/started" ] ||
    where="no checkpoint written (darknet-forward was stopped before it could write one)"
  echo "$me: stopped at step $(last_step) as asked (SIG$asked); $where" >&2
  exit $((128 + $(kill -l "$asked")))
}
failed() {
  echo "$me: failed (status $1); the last checkpoint, if any, is $out/weights" >&2
  exit "$1"
}
# Says how the run ended and exits with its status: a stage a signal killed
# (every one named) or that failed, a stop asked for, or success.
report() {
  local i killed=() own=()
  # a SIGINT/SIGTERM sent to darknet-forward itself is a stop asked for too
  if [ -z "$asked" ] && [ -z "${sent[$FWD]:-}" ]; then
    case ${st[$FWD]} in 130) asked=INT ;; 143) asked=TERM ;; esac
  fi
  for i in $UP $ENC $FWD $LOSS; do
    own_failure "$i" || continue
    if [ "${st[$i]}" -gt 128 ]; then killed+=("$i"); else own+=("$i"); fi
  done
  if [ ${#killed[@]} -gt 0 ]; then
    for i in "${killed[@]}"; do echo "$me: ${stage[$i]} $(ended_how "${st[$i]}")" >&2; done
    failed "${st[${killed[0]}]}"
  elif [ ${#own[@]} -gt 0 ]; then
    i=$(blame "${own[@]}")
    echo "$me: ${stage[$i]} failed (status ${st[$i]})" >&2
    failed "${st[$i]}"
  elif [ "${st[$FWD]}" -eq 0 ] && [ "$rank" -gt 0 ]; then
    echo "$me: done (rank 0 writes the weights, the log and the plot)" >&2
    exit 0
  elif [ "${st[$FWD]}" -eq 0 ]; then
    echo "$me: weights in $out/weights${ema:+ (their moving average in $out/weights.ema)}, log $out/log.jsonl, plot $out/loss.svg" >&2
    [ ! -f "$out/best.weights" ] || [ -z "$val" ] ||
      echo "$me: the best validation's ${ema:+EMA }weights in $out/best.weights (validated: $out/weights${ema:+.ema})" >&2
    exit 0
  elif [ -n "$asked" ]; then
    stopped
  fi
  failed "${st[$FWD]}"
}
watch
report
