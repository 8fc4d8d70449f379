# Resume is exact (issue 16, point 1): pipelines/train.sh stopped at any
# moment (a clean end, SIGTERM, SIGINT, SIGKILL) and resumed with --resume
# ends with the weights of the run that was never stopped, bit for bit, with
# the same log, validation history and best.weights; `seen` counts images,
# never records with `error`; the checkpoint's .state keeps the step, the
# stream's position, the optimiser's moments and dropout's stream.
# A micro network (two convolutions with batch norm, dropout, a [yolo] head)
# at 64x64, batch 4 in two passes, one thread per stage; one picture of the
# dataset is not a JPEG, so some passes are short.
. tests/stage/lib.sh
TO=120
export OMP_NUM_THREADS=1
TRAIN="bash pipelines/train.sh"
# fewer kills under the sanitizers (every stage there runs ~15x slower)
kills=10
[ "${MODE:-release}" = san ] && kills=3

synth-voc --quiet --out "$T/d" --count 24 --size 64x64 --seed 5 --max-objects 2 \
  --min-size 0.2 --split-ratios 0.75,0.25,0
bad=$(head -3 "$T/d/ImageSets/Main/train.txt" | tail -1)
printf 'not a picture' > "$T/d/JPEGImages/$bad.jpg"
{
  printf '[net]\nwidth=64\nheight=64\nchannels=3\nbatch=4\nsubdivisions=2\n'
  printf 'learning_rate=0.001\nmomentum=0.9\ndecay=0.0005\nburn_in=3\nmax_batches=40\n'
  printf 'policy=steps\nsteps=20,30\nscales=.1,.1\n'
  for f in 8 16; do
    printf '\n[convolutional]\nbatch_normalize=1\nfilters=%s\nsize=3\nstride=1\npad=1\n' $f
    printf 'activation=leaky\n\n[maxpool]\nsize=2\nstride=2\n'
  done
  printf '\n[dropout]\nprobability=.2\n'
  printf '\n[convolutional]\nsize=1\nstride=1\npad=1\nfilters=30\nactivation=linear\n'
  printf '\n[yolo]\nmask=0,1,2\nanchors=10,10, 20,20, 36,32\nclasses=5\nnum=3\njitter=.2\n'
  printf 'ignore_thresh=.7\n'
} > "$T/net.cfg"
# the log without its timings (images/s, seconds), one line per entry
log_of() { jq -c 'del(.images_per_s, .seconds)' "$1"; }
# key $2 of state file $1
state_key() { records-to-json -q "$1" | jq -r ".$2"; }
# "SAME" when run folder $1 ends as the unstopped run A: weights, log, and
# the EMA of the weights when $1 has one (A trains with --ema: the weights
# are those of a run without it, tests/stage/test_ema.sh)
same_as_a() {
  cmp -s "$T/A/weights" "$1/weights" && [ "$(log_of "$T/A/log.jsonl")" = "$(log_of "$1/log.jsonl")" ] &&
    { [ ! -f "$1/weights.ema" ] || cmp -s "$T/A/weights.ema" "$1/weights.ema"; } &&
    echo SAME || echo DIFF
}
EMA="--ema .95 --ema-tau 10"

# --- the run never stopped --------------------------------------------------
# shellcheck disable=SC2086
timeout $TO $TRAIN -o "$T/A" "$T/d" "$T/net.cfg" --save-every 5 $EMA 2> "$T/errA"; rc=$?
check_eq "the unstopped run: exit 0" "$rc" 0
check_eq "... one log line per step, 1..40" "$(jq -s -c 'map(.iteration)' "$T/A/log.jsonl")" \
  "$(seq 1 40 | jq -s -c .)"
recs=$(state_key "$T/A/weights.state" records); skipped=$(state_key "$T/A/weights.state" skipped)
seen=$(state_key "$T/A/weights.state" seen)
check_eq "the .state: 40 steps of 4 records; the picture that is not a JPEG skipped, not seen" \
  "$(state_key "$T/A/weights.state" step) $recs $((seen + skipped)) $([ "$skipped" -gt 0 ] && echo some)" \
  "40 160 160 some"
check_eq "... seen is the weights' own (header) and the log's last" \
  "$(od -An -j12 -N8 -tu8 --endian=little "$T/A/weights" | tr -d ' ') $(jq -s 'last.seen' "$T/A/log.jsonl")" \
  "$seen $seen"
check_eq "... optimiser and moments: sgd, one momentum per parameter" \
  "$(records-to-json -q "$T/A/weights.state" | jq -c '[.optimizer, .momentum.dtype, has("moment2")]')" \
  '["sgd","f32",false]'
steps_seen=$(jq -r '.seen' "$T/A/log.jsonl" | awk 'NR > 1 { d = $1 - p; if (d > 4) bad++ } { p = $1 } END { print bad + 0 }')
check_eq "... no step counts more than its 4 records" "$steps_seen" 0

# --- a clean end at step 15, then --resume ------------------------------------
timeout $TO $TRAIN -o "$T/B" "$T/d" "$T/net.cfg" --save-every 5 --max-batches 15 2> /dev/null
timeout $TO $TRAIN -o "$T/B" -w "$T/B/weights" "$T/d" "$T/net.cfg" --save-every 5 --resume \
  2> "$T/errB"; rc=$?
check_eq "stopped at 15, resumed to 40: exit 0, the weights and log of the unstopped run" \
  "$rc $(same_as_a "$T/B")" "0 SAME"
check_match "... the resumed part says where it went on from" "$(cat "$T/errB")" "25 steps \(15 to 40\)"

# --- kills at random moments, each resumed --------------------------------------
# every other run with --ema: its weights.ema is the unstopped run's too
i=0; same=0; report=; with_ema=0
while [ $i -lt $kills ]; do
  i=$((i + 1))
  case $((i % 3)) in 0) sig=KILL ;; 1) sig=TERM ;; 2) sig=INT ;; esac
  at=$(( (i * 7) % 30 + 3 ))         # a step between 3 and 32
  ema=; [ $((i % 2)) -eq 1 ] && ema=$EMA && with_ema=$((with_ema + 1))
  rm -rf "$T/C"; mkdir -p "$T/C"; : > "$T/C/log.jsonl"
  # shellcheck disable=SC2086
  timeout $TO $TRAIN -o "$T/C" "$T/d" "$T/net.cfg" --save-every 1 $ema 2> /dev/null &
  tp=$!
  n=0
  while [ "$(wc -l < "$T/C/log.jsonl")" -lt $at ] && kill -0 $tp 2> /dev/null && [ $n -lt 12000 ]; do
    sleep 0.01; n=$((n + 1))
  done
  pkill -$sig -f "darknet-forward --cfg $T/net.cfg" 2> /dev/null
  wait $tp
  # shellcheck disable=SC2086
  timeout $TO $TRAIN -o "$T/C" -w "$T/C/weights" "$T/d" "$T/net.cfg" --save-every 1 --resume $ema \
    2> "$T/errC"; rc=$?
  r=$(same_as_a "$T/C")
  [ -z "$ema" ] || [ -f "$T/C/weights.ema" ] || r="$r(no weights.ema)"
  [ "$rc $r" = "0 SAME" ] && same=$((same + 1)) || report="$report $sig@$at(logged $(wc -l < "$T/C/log.jsonl" 2> /dev/null)):rc=$rc,$r,$(tail -1 "$T/errC")"
done
check_eq "SIGTERM, SIGINT or SIGKILL to darknet-forward at step 3..32, then --resume: the unstopped run's weights and log ($with_ema of them with --ema: and its weights.ema), $kills times of $kills" \
  "$same$report" "$kills"

# --- Adam and multi-scale: the moments and the sizes go on too -------------------
timeout $TO $TRAIN -o "$T/E" -m 64,128 "$T/d" "$T/net.cfg" --adam --max-batches 30 2> /dev/null
timeout $TO $TRAIN -o "$T/F" -m 64,128 "$T/d" "$T/net.cfg" --adam --max-batches 13 2> /dev/null
check_eq "... Adam's state has both moments" \
  "$(records-to-json -q "$T/F/weights.state" | jq -c '[.optimizer, has("moment2")]')" '["adam",true]'
timeout $TO $TRAIN -o "$T/F" -m 64,128 -w "$T/F/weights" "$T/d" "$T/net.cfg" --adam \
  --max-batches 30 --resume 2> /dev/null; rc=$?
check_eq "Adam with multi-scale (-m 64,128), stopped at 13 and resumed: the same weights" \
  "$rc $(cmp -s "$T/E/weights" "$T/F/weights" && echo SAME)" "0 SAME"
timeout $TO $TRAIN -o "$T/G" "$T/d" "$T/net.cfg" --max-batches 13 2> /dev/null
timeout $TO $TRAIN -o "$T/G" -w "$T/G/weights" "$T/d" "$T/net.cfg" --adam --resume 2> "$T/err"; rc=$?
check_eq "resuming an SGD run with --adam: exit 2, says so" \
  "$rc $(grep -c "G/weights.state: record 0: key 'optimizer': 'sgd', but this run uses adam" "$T/err")" "2 1"

# --- validation history: the same best.weights -----------------------------------
timeout $TO $TRAIN -o "$T/V" -v val "$T/d" "$T/net.cfg" --max-batches 24 --val-every 4 2> "$T/errV"
timeout $TO $TRAIN -o "$T/W" -v val "$T/d" "$T/net.cfg" --max-batches 12 --val-every 4 2> "$T/errW1"
timeout $TO $TRAIN -o "$T/W" -v val -w "$T/W/weights" "$T/d" "$T/net.cfg" --max-batches 24 \
  --val-every 4 --resume 2> "$T/errW2"; rc=$?
best() { grep -hE 'validation( of the EMA weights)? mAP' "$@" | sed 's/.*: step/step/'; }
check_eq "with validation every 4 steps, stopped at 12 and resumed: exit 0, the same validations and (best so far) marks" \
  "$rc $(best "$T/errW1" "$T/errW2" | md5sum)" "0 $(best "$T/errV" | md5sum)"
check_eq "... the same best.weights and log" \
  "$(cmp -s "$T/V/best.weights" "$T/W/best.weights" && echo SAME) $(log_of "$T/W/log.jsonl" | md5sum)" \
  "SAME $(log_of "$T/V/log.jsonl" | md5sum)"
# the same with --ema: the validations are of weights.ema, best.weights an EMA
# shellcheck disable=SC2086
timeout $TO $TRAIN -o "$T/VE" -v val "$T/d" "$T/net.cfg" --max-batches 24 --val-every 4 $EMA 2> "$T/errVE"
# shellcheck disable=SC2086
timeout $TO $TRAIN -o "$T/WE" -v val "$T/d" "$T/net.cfg" --max-batches 12 --val-every 4 $EMA 2> "$T/errWE1"
# shellcheck disable=SC2086
timeout $TO $TRAIN -o "$T/WE" -v val -w "$T/WE/weights" "$T/d" "$T/net.cfg" --max-batches 24 \
  --val-every 4 --resume $EMA 2> "$T/errWE2"; rc=$?
check_eq "with --ema, validated every 4 steps, stopped at 12 and resumed: exit 0, the same validations of the EMA weights" \
  "$rc $(best "$T/errWE1" "$T/errWE2" | md5sum) $(best "$T/errVE" | grep -c 'validation of the EMA weights')" \
  "0 $(best "$T/errVE" | md5sum) 6"
check_eq "... the same best.weights, weights.ema and log" \
  "$(cmp -s "$T/VE/best.weights" "$T/WE/best.weights" && echo SAME) $(cmp -s "$T/VE/weights.ema" "$T/WE/weights.ema" && echo SAME) $(log_of "$T/WE/log.jsonl" | md5sum)" \
  "SAME SAME $(log_of "$T/VE/log.jsonl" | md5sum)"

# --- a checkpoint without its state, or with another's ----------------------------
cp -r "$T/B" "$T/H"; rm -f "$T/H/weights.state" "$T/H/weights.state.prev"
cp "$T/B/weights" "$T/H/weights"
timeout $TO $TRAIN -o "$T/H" -w "$T/H/weights" "$T/d" "$T/net.cfg" --max-batches 41 --resume \
  2> "$T/err"; rc=$?
check_match "weights without a .state: resumed (exit 0) at images seen / batch, saying what is not restored" \
  "$rc $(grep -c "no .*weights.state beside it: resumed at step $((seen / 4)) " "$T/err")" "^0 1$"
timeout $TO $TRAIN -o "$T/F2" "$T/d" "$T/net.cfg" --max-batches 13 2> /dev/null
cp "$T/A/weights.state" "$T/F2/weights.state"; rm -f "$T/F2/weights.state.prev"
timeout $TO $TRAIN -o "$T/F2" -w "$T/F2/weights" "$T/d" "$T/net.cfg" --resume 2> "$T/err"; rc=$?
check_eq "another checkpoint's .state beside the weights: exit 2, named" \
  "$rc $(grep -c 'F2/weights.state (and .*weights.state.prev): the state of other weights' "$T/err")" "2 1"

# a .state cut short (a disk that lost its tail): refused naming the file, the
# weights not touched; darknet-forward itself says the same
cp -r "$T/F2" "$T/F3"; cp "$T/B/weights" "$T/F3/weights"; cp "$T/B/weights.state" "$T/F3/full.state"
head -c $(($(stat -c %s "$T/F3/full.state") / 2)) "$T/F3/full.state" > "$T/F3/weights.state"
rm -f "$T/F3/weights.state.prev"
before=$(md5sum < "$T/F3/weights")
timeout $TO $TRAIN -o "$T/F3" -w "$T/F3/weights" "$T/d" "$T/net.cfg" --resume 2> "$T/err"; rc=$?
check_match "a .state cut in half: train.sh exits 2 naming it, the weights untouched" \
  "$rc $(grep -c 'F3/weights.state' "$T/err") $([ "$(md5sum < "$T/F3/weights")" = "$before" ] && echo kept)" \
  "^2 [1-9][0-9]* kept$"
mkfifo "$T/g3"
timeout $TO darknet-forward --cfg "$T/net.cfg" --weights "$T/F3/weights" --train --grad "$T/g3" \
  --resume < /dev/null > /dev/null 2> "$T/err"; rc=$?
check_match "... darknet-forward --resume on it: exit 2, names the file and says it is cut short" \
  "$rc $(head -1 "$T/err")" "^2 .*F3/weights.state.*(truncated|ends|short|incomplete)"

# --- encode-targets --skip N: the output from record N on, the same bytes --------
voc-parse --quiet -c "$T/d/classes.names" "$T/d" > "$T/all.mp"
encode-targets -q --cfg "$T/net.cfg" --epochs 3 --shuffle "$T/all.mp" | records-to-json --full |
  tail -n +8 > "$T/full.jsonl"
encode-targets -q --cfg "$T/net.cfg" --epochs 3 --shuffle --skip 7 "$T/all.mp" |
  records-to-json --full > "$T/skip.jsonl"
check_eq "encode-targets --skip 7: records 7.. of the run without it, byte for byte" \
  "$(md5sum < "$T/skip.jsonl") $(wc -l < "$T/skip.jsonl")" "$(md5sum < "$T/full.jsonl") $(wc -l < "$T/full.jsonl")"
done_testing
