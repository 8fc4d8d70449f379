# A training deadline (issue 21, point 4: "within 60 minutes"):
#   1. darknet-forward --max-seconds S through train.sh: a run of a million
#      steps stops after the last step expected to end within S (at the longer
#      of the mean step's and the last step's time: a step slower than both
#      may end past S by the difference, here bounded by 3 mean steps), says
#      at which step of how many, exits 0, and ends as at max_batches: the
#      checkpoint of that step whole (seen = steps x batch) and loadable;
#   2. with validation (-v) after every step (so that one has run before the
#      clock is first read, however slow the build): a validation's time is
#      kept for the end, the end's validation is of the last step, and the
#      whole run stays near S;
#   3. train.sh -t MINUTES with a template passes MINUTES x 60 (a later
#      --max-seconds wins);
#   4. bad values and --max-seconds without --train: exit 1.
# The network is the pipelines' tests' small cfg (96x96), batch 4: a step
# takes a few ms.
. tests/stage/lib.sh
TO=120
export OMP_NUM_THREADS=1

CFG=tests/fixtures/synth-tiny.cfg
synth-voc --quiet --out "$T/d" --count 16 --size 64x64 --seed 5 --max-objects 2 \
  --min-size 0.2 --split-ratios 3,1,0
np=$(darknet-forward --cfg "$CFG" --summary | sed -n 's/.* BFLOPs, \([0-9]*\) parameters.*/\1/p')
wsize=$((20 + 4 * np))
seen_of() { od -An -j12 -N8 -tu8 --endian=little "$1" | tr -d ' '; }
last_it() { sed -n 's/^{"iteration":\([0-9]*\),.*/\1/p' "$1" | tail -n 1; }
last_seconds() { jq -r 'select(.loss) | .seconds' "$1" | tail -n 1; }
now() { date +%s.%N; }
within() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# --- 1. a million steps, 2 seconds ---------------------------------------------------------------
t0=$(now)
timeout $TO bash pipelines/train.sh -A off -o "$T/a" "$T/d" "$CFG" --batch 4 --max-batches 1000000 \
  --max-seconds 2 > /dev/null 2> "$T/a.err"; rc=$?
t1=$(now)
n=$(last_it "$T/a/log.jsonl")
check_match "--max-seconds 2 on 1000000 steps: exit 0, stops after step N of 1000000, said" \
  "$rc $(tr '\n' ' ' < "$T/a.err")" "^0 .*--max-seconds 2: stopping after step $n of 1000000 \("
check "... after more than one step (N = $n; ~40 in release, 4 under the sanitizers on a loaded machine)" \
  [ "${n:-0}" -ge 2 ]
s=$(last_seconds "$T/a/log.jsonl")
check "... the last step ended within 2 s of darknet-forward's start, give or take 3 mean steps ($s s, $n steps)" \
  within "$s" "$(awk -v s="$s" -v n="$n" 'BEGIN { print 2 + 3 * s / n }')"
check_eq "... the checkpoint of step N: whole, seen = N x 4" \
  "$(wc -c < "$T/a/weights" | tr -d ' ') $(seen_of "$T/a/weights")" "$wsize $((n * 4))"
check "... and darknet-forward loads it" \
  sh -c "darknet-forward --quiet --cfg '$CFG' --weights '$T/a/weights' < /dev/null > /dev/null"
check "... the whole train.sh within 2 s and its start-up (under 10 s: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)" \
  within "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" 10

# --- 2. with validation ----------------------------------------------------------------------------
t0=$(now)
timeout $TO bash pipelines/train.sh -A off -o "$T/v" -v val "$T/d" "$CFG" --batch 4 \
  --max-batches 1000000 --val-every 1 --max-seconds 4 > /dev/null 2> "$T/v.err"; rc=$?
t1=$(now)
n=$(last_it "$T/v/log.jsonl")
lastval=$(jq -r 'select(.map) | .iteration' "$T/v/log.jsonl" | tail -n 1)
check_match "-v val --val-every 1 --max-seconds 4: exit 0, stops after step N, keeping a validation's time" \
  "$rc $(tr '\n' ' ' < "$T/v.err")" "^0 .*--max-seconds 4: stopping after step $n of 1000000 \(.* and a validation's time kept for the end\)"
check_eq "... the end's validation is of step N, and best.weights is there" \
  "$lastval $([ -s "$T/v/best.weights" ] && echo best)" "$n best"
s=$(last_seconds "$T/v/log.jsonl")
check "... the last step ended within 4 s, give or take 3 mean steps ($s s, $n steps)" \
  within "$s" "$(awk -v s="$s" -v n="$n" 'BEGIN { print 4 + 3 * s / n }')"
check "... the whole train.sh under 12 s ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)" \
  within "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" 12

# --- 3. train.sh -t --------------------------------------------------------------------------------
MAKE_CFG="--size 64 --seconds-per-step 0.001" timeout $TO bash pipelines/train.sh -A off -o "$T/t" \
  -t 0.05 "$T/d" tiny-v3 --batch 2 --subdivisions 1 > /dev/null 2> "$T/t.err"; rc=$?
check_match "train.sh -t 0.05 (3 s) on a schedule of 3000 steps: darknet-forward stops on the clock" \
  "$rc $(tr '\n' ' ' < "$T/t.err")" "^0 .*--max-seconds 3: stopping after step [0-9]+ of 3000 "
MAKE_CFG="--size 64 --seconds-per-step 0.001" timeout $TO bash pipelines/train.sh -A off -o "$T/t2" \
  -t 0.05 "$T/d" tiny-v3 --batch 2 --subdivisions 1 --max-seconds 1 > /dev/null 2> "$T/t2.err"; rc=$?
check_match "... an OPTION --max-seconds 1 after it wins" \
  "$rc $(tr '\n' ' ' < "$T/t2.err")" "^0 .*--max-seconds 1: stopping after step [0-9]+ of 3000 "

# --- 4. errors -----------------------------------------------------------------------------------
mkfifo "$T/g"
for v in 0 -1 abc 1e10; do
  darknet-forward --cfg "$CFG" --random 1 --train --grad "$T/g" --max-seconds "$v" < /dev/null \
    > /dev/null 2> "$T/e.err"; rc=$?
  check_match "--max-seconds $v: exit 1, named" "$rc $(tr '\n' ' ' < "$T/e.err")" "^1 .*max-seconds"
done
darknet-forward --cfg "$CFG" --random 1 --max-seconds 5 < /dev/null > /dev/null 2> "$T/e.err"; rc=$?
check_match "--max-seconds without --train: exit 1" "$rc $(tr '\n' ' ' < "$T/e.err")" "^1 .*--max-seconds.* go with --train"
done_testing
