# Stopping pipelines/train.sh (issue 16): a stop asked for is safe, and a
# dead stage is never success.
#   1. SIGTERM to train.sh before the first --save-every: exit 143, says it
#      stopped as asked at step N, the checkpoint of step N (whole, seen
#      right, darknet-forward loads it), no "Broken pipe"; the resume it
#      suggests runs;
#   2. SIGINT likewise (exit 130); SIGTERM to darknet-forward itself; to the
#      whole process group (as timeout(1) and Ctrl-C send): the same stop;
#   3. SIGKILL to darknet-forward, yolo-loss or encode-targets at random
#      moments, STOP_KILLS runs (default 24; under the sanitizer build 6):
#      train.sh fails every time, naming the stage and signal 9, and the
#      checkpoint (one a step) is whole every time;
#   4. kills landing at once with other exits: two stages killed in one
#      kill(1); a run of 3 steps killed near its end (success is right
#      only with the whole checkpoint, else the stage is named); voc-parse
#      (through a stand-in that lives on) and a SIGTERM to encode-targets
#      alone (a failure too: no stop was asked of train.sh);
#   5. eval.sh, detect.sh, val.sh: a stage killed or failing (a stand-in)
#      fails the script, named.
# Longer, by hand: STOP_KILLS=500 sh tests/stage/test_stop.sh
# The network is the pipelines' tests' small cfg (96x96), batch 4: a step
# takes a few ms, so each run is a fraction of a second.
. tests/stage/lib.sh
TO=60
export OMP_NUM_THREADS=1
KILLS=${STOP_KILLS:-24}
LAUNCH=
[ "${MODE:-release}" != san ] || KILLS=${STOP_KILLS:-6}

CFG=tests/fixtures/synth-tiny.cfg     # no [net] training keys: OPTS gives them
OPTS="--batch 4 --max-batches 1000000"
synth-voc --quiet --out "$T/d" --count 16 --size 64x64 --seed 5 --max-objects 2 \
  --min-size 0.2 --split-ratios 1,0,0
voc-parse --quiet --classes "$T/d/classes.names" "$T/d" > "$T/all.mp"
np=$(darknet-forward --cfg "$CFG" --summary | sed -n 's/.* BFLOPs, \([0-9]*\) parameters.*/\1/p')
wsize=$((20 + 4 * np))

# seen in a weights file's header (bytes 12..20, uint64 LE)
seen_of() { od -An -j12 -N8 -tu8 --endian=little "$1" | tr -d ' '; }
loads() { darknet-forward --quiet --cfg "$CFG" --weights "$1" "$T/all.mp" > /dev/null; }
last_it() { sed -n 's/^{"iteration":\([0-9]*\),.*/\1/p' "$1" | tail -n 1; }

# kids PID [NAME]: the pids of PID's children (named NAME), from /proc
kids() {
  for f in /proc/[0-9]*/stat; do
    read -r l 2> /dev/null < "$f" || continue
    case $l in *" (${2:-*}) "*) ;; *) continue ;; esac
    set -f; set -- "$1" "${2:-}" ${l##*) }; set +f
    f=${f#/proc/}
    [ "$4" != "$1" ] || echo "${f%/stat}"
  done
  return 0
}
# train RUN [OPTION...]: train.sh in the background into $T/RUN (stderr in
# $T/RUN.err), $tp its pid; a watchdog ends it (and its stages) after $TO s.
# $LAUNCH (e.g. setsid) goes before bash. No anchor check (-A off: its
# voc-parse is not the stage the kills here aim at; test_train_anchors.sh).
train() {
  r=$1; shift
  rm -rf "${T:?}/$r"
  # shellcheck disable=SC2086
  $LAUNCH bash pipelines/train.sh -A off -o "$T/$r" "$T/d" "$CFG" $OPTS "$@" 2> "$T/$r.err" &
  tp=$!
  (sleep $TO & wait; kill -KILL $(kids $tp) $tp) > /dev/null 2>&1 &
  wd=$!
}
# rc: train.sh's status; the watchdog ended
finish() { wait $tp; rc=$?; kill $(kids $wd) $wd 2> /dev/null; wait $wd 2> /dev/null; }
# the pid of train.sh's stage $1 once it runs (empty if it never does)
stage_pid() {
  i=0
  while [ $i -lt 500 ]; do
    p=$(kids $tp "$1")
    [ -z "$p" ] || { echo "$p"; return; }
    sleep 0.01; i=$((i + 1))
  done
}
# waits until run $1's log has $2 steps
steps() {
  i=0
  while [ "$(cat "$T/$1/log.jsonl" 2> /dev/null | wc -l)" -lt "$2" ] && [ $i -lt 1000 ]; do
    sleep 0.01; i=$((i + 1))
  done
}
# stopped RUN SIG STATUS: the checks of a stop asked for
stopped() {
  n=$(last_it "$T/$1/log.jsonl")
  check_match "$4: exit $3, stopped at step $n as asked (SIG$2), the checkpoint and how to resume named" \
    "$rc $(tr '\n' ' ' < "$T/$1.err")" \
    "^$3 .*train.sh: stopped at step $n as asked \(SIG$2\); checkpoint: $T/$1/weights; resume with -w $T/$1/weights --resume"
  check_eq "... the checkpoint of step $n: whole, seen = $n * 4" \
    "$(wc -c < "$T/$1/weights" | tr -d ' ') $(seen_of "$T/$1/weights")" "$wsize $((n * 4))"
  check "... and darknet-forward loads it" loads "$T/$1/weights"
  check_eq "... no write error, no Broken pipe, nothing failed" \
    "$(grep -Ei 'broken pipe|write error|fail|killed' "$T/$1.err")" ""
}

# --- 1. SIGTERM to train.sh, before the first --save-every ---------------------
# with --ema: the average of the stop's step is written beside the checkpoint
train a --save-every 100000 --ema .99
steps a 3
kill -TERM $tp
finish
stopped a TERM 143 "SIGTERM to train.sh after 3+ steps, --save-every 100000"
n=$(last_it "$T/a/log.jsonl")
check_eq "... --ema: weights.ema of step $n beside it (whole, seen = $n * 4; its .state counts $n updates)" \
  "$(wc -c < "$T/a/weights.ema" | tr -d ' ') $(seen_of "$T/a/weights.ema") $(records-to-json -q "$T/a/weights.state" | jq .ema_updates)" \
  "$wsize $((n * 4)) $n"
check "... and darknet-forward loads it" loads "$T/a/weights.ema"
bash pipelines/train.sh -o "$T/a" -w "$T/a/weights" "$T/d" "$CFG" --resume --batch 4 \
  --max-batches $((n + 2)) --ema .99 > /dev/null 2> "$T/a2.err"
check_match "... the resume it suggests: exit 0, 2 more steps" \
  "$? $(seen_of "$T/a/weights") $(seen_of "$T/a/weights.ema") $(tr '\n' ' ' < "$T/a2.err")" \
  "^0 $(((n + 2) * 4)) $(((n + 2) * 4)) .*train.sh: weights in"

# --- 2. SIGINT; SIGTERM to darknet-forward; to the process group -----------------
# a job of a script starts with SIGINT ignored (and bash cannot trap it
# then): env --default-signal gives train.sh the SIGINT a terminal would
if env --default-signal=INT true 2> /dev/null; then
  LAUNCH="env --default-signal=INT"
  train b
  LAUNCH=
  steps b 3
  kill -INT $tp
  finish
  stopped b INT 130 "SIGINT to train.sh"
else
  skip "SIGINT to train.sh" "no env --default-signal (coreutils < 8.31)"
fi
train c
steps c 3
kill -TERM "$(stage_pid darknet-forward)"
finish
stopped c TERM 143 "SIGTERM to darknet-forward itself"
if command -v setsid > /dev/null; then
  for s in TERM INT; do
    LAUNCH=setsid
    train g
    LAUNCH=
    steps g 3
    kill -$s -$tp
    finish
    # (train.sh's own stages ignore SIGINT, as jobs of a script: only
    # darknet-forward, which catches it, and train.sh see a Ctrl-C)
    case $s in TERM) want=143 ;; INT) want=130 ;; esac
    stopped g $s $want "SIG$s to train.sh's process group"
  done
fi

# --- 3. SIGKILL at random moments -------------------------------------------------
# a run of many steps, a stage killed 0 to 0.3 s after it started: it is
# always mid-run, so the kill always lands and train.sh must say so
# (every other run with --ema: its .ema file is written with each checkpoint)
bad=0 k=0 torn=0
while [ $k -lt "$KILLS" ]; do
  case $((k % 3)) in 0) victim=darknet-forward ;; 1) victim=yolo-loss ;; 2) victim=encode-targets ;; esac
  delay=$(awk -v s=$k 'BEGIN { srand(s); printf "%.3f", rand() * 0.3 }')
  ema=; [ $((k % 2)) -eq 0 ] || ema="--ema .99"
  # shellcheck disable=SC2086
  train k --save-every 1 $ema     # a checkpoint each step: kills land in their writes too
  p=$(stage_pid $victim)
  sleep "$delay"
  kill -KILL "$p"
  finish
  # the checkpoint and EMA left, if any: whole, a whole number of steps
  for ck in "$T/k/weights" "$T/k/weights.ema"; do
    [ ! -e "$ck" ] || [ "$(wc -c < "$ck" | tr -d ' ') $(($(seen_of "$ck") % 4))" = "$wsize 0" ] ||
      { torn=$((torn + 1)); echo "# run $k: a torn ${ck##*/}: $(wc -c < "$ck") bytes"; }
  done
  ck=$T/k/weights
  [ ! -e "$ck" ] || cp "$ck" "$T/last.weights"
  if ! printf '%s' "$rc $(tr '\n' ' ' < "$T/k.err")" |
       grep -Eq "^137 .*train.sh: $victim killed by signal 9 \(KILL\) train.sh: failed \(status 137\)"; then
    bad=$((bad + 1))
    echo "# run $k: $victim killed after ${delay} s: status $rc: $(tr '\n' ' ' < "$T/k.err")"
  fi
  k=$((k + 1))
done
echo "# SIGKILL at random moments: $k runs (darknet-forward, yolo-loss, encode-targets in turn)"
check_eq "SIGKILL to darknet-forward, yolo-loss or encode-targets at random moments, $k runs: train.sh fails every time, naming the stage and signal 9" \
  "$bad" 0
check_eq "... the checkpoint (--save-every 1) and weights.ema (--ema, every other run) left whole every time" "$torn" 0
check "... and the last one loads" loads "$T/last.weights"

# --- 4. kills landing at once with other exits ------------------------------------
train t
a=$(stage_pid darknet-forward) b=$(stage_pid yolo-loss)
steps t 2
kill -KILL "$a" "$b"
finish
check_match "darknet-forward and yolo-loss killed at once: both named, exit 137" \
  "$rc $(tr '\n' ' ' < "$T/t.err")" \
  "^137 .*train.sh: darknet-forward killed by signal 9 \(KILL\) train.sh: yolo-loss killed by signal 9 \(KILL\) train.sh: failed \(status 137\)"
# a run of 3 steps (a few ms of training), a stage killed as it ends: the
# kill lands (the stage named) or comes after its exit (success, and then
# the run is whole); nothing else
odd=0 ends=0
for victim in darknet-forward yolo-loss encode-targets darknet-forward yolo-loss encode-targets; do
  train e --max-batches 3
  p=$(stage_pid $victim)
  steps e 2
  kill -KILL "$p" 2> /dev/null
  finish
  e=$(tr '\n' ' ' < "$T/e.err")
  if [ $rc = 0 ]; then
    ends=$((ends + 1))
    printf '%s' "$(seen_of "$T/e/weights") $e" | grep -Eq "^12 darknet-forward: 3 steps .*train.sh: weights in" || odd=$((odd + 1))
  else
    printf '%s' "$rc $e" | grep -Eq "^137 .*train.sh: $victim killed by signal 9 \(KILL\) train.sh: failed" || odd=$((odd + 1))
  fi
  [ $odd = 0 ] || { echo "# $victim near the end: status $rc: $e"; break; }
done
echo "# near the end: $ends of 6 kills came after the stage had ended"
check_eq "a 3-step run, a stage killed as it ends (6 runs): the stage named, or success with the whole run" "$odd" 0

# voc-parse reads 16 images in a moment: a stand-in that lives on after
# its records (as a slow parser would) is killed instead
mkdir "$T/bin"
for s in "$BIN"/*; do ln -s "$s" "$T/bin/"; done
rm "$T/bin/voc-parse"
printf '#!/bin/sh\n"%s" "$@" || exit\nexec > /dev/null\nsleep %s &\nwait\n' \
  "$BIN/voc-parse" $TO > "$T/bin/voc-parse"
chmod +x "$T/bin/voc-parse"
bin=$BIN
export BIN="$T/bin"
train v
BIN=$bin
p=$(stage_pid voc-parse)
steps v 2
kill -KILL $(kids "$p") "$p"
finish
check_match "voc-parse killed: named, exit 137" "$rc $(tr '\n' ' ' < "$T/v.err")" \
  "^137 .*train.sh: voc-parse killed by signal 9 \(KILL\) train.sh: failed \(status 137\)"
train s
steps s 2
kill -TERM "$(stage_pid encode-targets)"
finish
check_match "SIGTERM to encode-targets alone (no stop asked of train.sh): a failure, named" \
  "$rc $(tr '\n' ' ' < "$T/s.err")" \
  "^143 .*train.sh: encode-targets killed by signal 15 \(TERM\) train.sh: failed \(status 143\)"

# --- 5. the other pipelines: a stage that fails or is killed is named -----------
# stand-ins in a BIN of their own: one killed by SIGKILL, one that exits 2
stand_in() {   # NAME BODY: $T/bin2 holds the stages, NAME replaced by BODY
  rm -rf "$T/bin2"; mkdir "$T/bin2"
  for s in "$bin"/*; do ln -s "$s" "$T/bin2/"; done
  rm "$T/bin2/$1"
  printf '#!/bin/sh\n%s\n' "$2" > "$T/bin2/$1"
  chmod +x "$T/bin2/$1"
}
darknet-forward --quiet --cfg "$CFG" --random 3 --save-weights "$T/r.weights" < /dev/null
export BIN="$T/bin2"
stand_in nms 'kill -KILL $$'
bash pipelines/eval.sh -s train "$T/d" "$CFG" "$T/r.weights" > /dev/null 2> "$T/p.err"
check_match "eval.sh whose nms is killed: exit 137, nms named with the signal" "$? $(tr '\n' ' ' < "$T/p.err")" \
  "^137 .*eval.sh: nms killed by signal 9 \(KILL\)"
stand_in rescale 'exit 2'
bash pipelines/eval.sh -s train "$T/d" "$CFG" "$T/r.weights" > /dev/null 2> "$T/p.err"
check_match "eval.sh whose rescale exits 2: exit 2, rescale named (the stages before it: SIGPIPE, not named)" \
  "$? $(tr '\n' ' ' < "$T/p.err")" "^2 eval.sh: rescale failed \(status 2\) ?$"
stand_in draw 'kill -KILL $$'
bash pipelines/detect.sh "$CFG" "$T/r.weights" "$T/shown" "$T/d/JPEGImages" 2> "$T/p.err"
check_match "detect.sh whose draw is killed: exit 137, draw named" "$? $(tr '\n' ' ' < "$T/p.err")" \
  "^137 .*detect.sh: draw killed by signal 9 \(KILL\)"
stand_in yolo-loss 'kill -KILL $$'
bash pipelines/val.sh -s train "$T/d" "$CFG" "$T/r.weights" > "$T/p.out" 2> "$T/p.err"
check_match "val.sh whose yolo-loss is killed: exit 137, yolo-loss named, nothing on stdout" \
  "$? $(wc -c < "$T/p.out") $(tr '\n' ' ' < "$T/p.err")" "^137 0 .*val.sh: yolo-loss killed by signal 9 \(KILL\)"
stand_in eval-map 'exit 2'
bash pipelines/val.sh -s train "$T/d" "$CFG" "$T/r.weights" > "$T/p.out" 2> "$T/p.err"
check_match "val.sh whose eval.sh fails: exit 2, eval.sh's own message shown, eval.sh named" \
  "$? $(wc -c < "$T/p.out") $(tr '\n' ' ' < "$T/p.err")" "^2 0 eval.sh: eval-map failed \(status 2\) val.sh: eval.sh failed \(status 2\)"
BIN=$bin
done_testing
