# Data-parallel training under Open MPI (issue 20, points 2 and 3):
#   mpirun -np 2 pipelines/train.sh ...
# 2 ranks at batch 4 with --sync-bn against one process at batch 8 on the
# same records (no augmentation, no shuffle; --shard's parts are contiguous,
# so the one process reads a split list in the ranks' order: step s is
# images 4s..4s+3 of each half), the files rank 0 alone writes, the checks the
# ranks make (batch split, the weights' checksum at the end), a rank killed
# by SIGKILL, --resume under mpirun, and the run without mpirun unchanged.
# The network is test_train.sh's micro net (64x64, three convolutions with
# batch norm, one [yolo] head); each run takes a second or two.
. tests/stage/lib.sh
PY=/usr/bin/python3
TO=120
export OMP_NUM_THREADS=1 AUGMENT=--no-augment
# mpirun refuses root unless told; the tests run as root in CI
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# ASan's leak check would count Open MPI's own allocations kept to the end
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
TRAIN="bash $(pwd)/pipelines/train.sh"
MPI="timeout $TO mpirun --oversubscribe --bind-to none -np 2 -x OMP_NUM_THREADS -x AUGMENT -x PATH -x BIN -x ASAN_OPTIONS"

. tests/stage/train/micro-net.sh
keys() {   # $1 batch, $2 subdivisions
  printf 'batch=%s\nsubdivisions=%s\nlearning_rate=0.01\nmomentum=0.9\ndecay=0.0005\nmax_batches=1000\npolicy=constant' "$1" "$2"
}
# the largest difference of weights files $1 and $2 over the largest change
# of $1 from $3 (the start)
rel_diff() {
  $PY -c "
import sys, numpy as np
w = [np.fromfile(p, dtype='<f4', offset=20) for p in sys.argv[1:4]]
print('%.3g' % (np.abs(w[0] - w[1]).max() / np.abs(w[0] - w[2]).max()))" "$1" "$2" "$3"
}
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }
# pids of this test's darknet-forward of rank $1 (its environment says the rank)
rank_pids() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2> /dev/null)" = darknet-forward ] || continue
    { tr '\0' '\n' < "$p/environ"; } 2> /dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" || continue
    { tr '\0' ' ' < "$p/cmdline"; } 2> /dev/null | grep -qF "$T/" && echo "${p#/proc/}"
  done
  return 0
}
state_of() { records-to-json -q "$1" | jq -c "$2"; }

net_cfg "$(keys 8 1)" > "$T/net.cfg"
synth-voc --quiet --out "$T/d" --count 16 --size 64x64 --seed 5 --max-objects 2 \
  --min-size 0.2 --split-ratios 1,0,0
darknet-forward --quiet --cfg "$T/net.cfg" --random 1 --save-weights "$T/w0" < /dev/null
# the split as the 2 ranks at batch 4 read it, step by step: 4 of the first
# half (rank 0's part), then 4 of the second (rank 1's)
awk '{ id[NR - 1] = $0 } END { h = NR / 2; for (s = 0; s < h / 4; s++)
       for (r = 0; r < 2; r++) for (k = 0; k < 4; k++) print id[r * h + s * 4 + k] }' \
  "$T/d/ImageSets/Main/train.txt" > "$T/d/ImageSets/Main/ranked.txt"

# --- without mpirun: nothing changes ---------------------------------------------
$TRAIN -o "$T/one" -s ranked "$T/d" "$T/net.cfg" --max-batches 4 --quiet 2> "$T/one.err"
check_eq "one process, batch 8, 4 steps: exit 0" "$?" 0
$TRAIN -o "$T/one-s" -s ranked "$T/d" "$T/net.cfg" --max-batches 4 --quiet 2> /dev/null
if darknet-forward --help | grep -q -- --sync-bn && ! darknet-forward --cfg "$T/net.cfg" --random 1 \
     --train --grad /dev/null --sync-bn < /dev/null 2>&1 | grep -q "built without MPI"; then
  have_mpi=1
  $TRAIN -o "$T/one-sb" -s ranked "$T/d" "$T/net.cfg" --max-batches 4 --quiet --sync-bn 2> /dev/null
  check "... --sync-bn without mpirun: the same bytes as without it" cmp -s "$T/one/weights" "$T/one-sb/weights"
  skip "a build without MPI refuses --sync-bn" "this darknet-forward has MPI (make MPI=0 builds one without)"
else
  have_mpi=
  skip "... --sync-bn without mpirun: the same bytes as without it" "built without MPI"
  out=$(darknet-forward --cfg "$T/net.cfg" --random 1 --train --grad /dev/null --sync-bn < /dev/null 2>&1)
  check_match "a build without MPI refuses --sync-bn, saying so (exit 1)" "$? $out" \
    "^1 .*--sync-bn: this darknet-forward is built without MPI"
fi
check "... and the same run twice gives the same bytes" cmp -s "$T/one/weights" "$T/one-s/weights"

if [ -z "$have_mpi" ] && command -v mpirun > /dev/null 2>&1; then
  out=$($MPI $TRAIN -o "$T/nompi" "$T/d" "$T/net.cfg" --max-batches 2 2>&1)
  check_match "a build without MPI under mpirun: refused, saying so (status 1)" "$? $out" \
    "^1 .*started by mpirun with 2 ranks, but this build has no MPI"
else
  skip "a build without MPI under mpirun: refused, saying so" \
    "${have_mpi:+this darknet-forward has MPI}${have_mpi:-no mpirun}"
fi
if ! command -v mpirun > /dev/null 2>&1 || [ -z "$have_mpi" ]; then
  why="no mpirun (openmpi-bin) or darknet-forward built without MPI (libopenmpi-dev; scripts/deps.sh mpi)"
  for d in "2 ranks x batch 4 --sync-bn = 1 process x batch 8" "without --sync-bn the batch statistics differ" \
           "rank 0's log: 4 steps, seen 8..32, the losses of one process" "rank 0 alone writes; the .state says 2 ranks" \
           "rank 1 says rank 0 writes the files" "a batch that does not split refused" "a template refused" \
           "kill -9 of rank 1: non-zero status" "... the killed rank named" "... no darknet-forward left" \
           "... the checkpoint intact" "--resume under mpirun: exit 0" "... the bytes of an uninterrupted run" \
           "... and of its weights.ema" "... the log goes on" "resume with another number of ranks refused" \
           "anchor check under mpirun: exit 0, rank 0 alone says it" "... both ranks trained the copy's anchors" \
           "... --resume: both ranks go on with the copy"; do
    skip "$d" "$why"
  done
  done_testing
  exit
fi

# --- 2 ranks at batch 4 each = one process at batch 8 ----------------------------
$MPI $TRAIN -o "$T/two" "$T/d" "$T/net.cfg" --max-batches 4 --sync-bn 2> "$T/two.err"
rc=$?
d=$(rel_diff "$T/one/weights" "$T/two/weights" "$T/w0")
check "2 ranks x batch 4 --sync-bn = 1 process x batch 8 after 4 steps: within 1e-3 of the largest change (exit $rc, got $d)" \
  lt "$d" 1e-3
$MPI $TRAIN -o "$T/nosync" "$T/d" "$T/net.cfg" --max-batches 4 --quiet 2> /dev/null
d=$(rel_diff "$T/one/weights" "$T/nosync/weights" "$T/w0")
check "without --sync-bn the batch statistics differ: more than 1e-3 apart (got $d)" lt 1e-3 "$d"
steps() { jq -r '"\(.iteration):\(.seen) \(.loss.total)"' "$1"; }
check_eq "rank 0's log: 4 steps, seen 8..32, the losses of one process (to 1e-6 of each)" \
  "$(steps "$T/one/log.jsonl" > "$T/one.steps"; steps "$T/two/log.jsonl" | paste -d ' ' - "$T/one.steps" |
     awk '{ d = $2 - $4; if (d < 0) d = -d; printf "%s%s ", $1, ($1 == $3 && d <= 1e-6 * $4) ? "" : "!" }')" \
  "1:8 2:16 3:24 4:32 "
check_eq "rank 0 alone writes: the files of one run, the .state says 2 ranks, 4 log lines" \
  "$(cd "$T/two" && ls | tr '\n' ' ')$(state_of "$T/two/weights.state" '[.ranks, .step, .records]') $(wc -l < "$T/two/log.jsonl")" \
  "log.jsonl loss.svg weights weights.state [2,4,16] 4"
check_match "rank 1 says rank 0 writes the files; each message names its rank" "$(cat "$T/two.err")" \
  "train.sh \(rank 1 of 2\): done \(rank 0 writes"

net_cfg "$(keys 8 8)" > "$T/odd.cfg"
out=$($MPI $TRAIN -A off -o "$T/odd" "$T/d" "$T/odd.cfg" --max-batches 2 2>&1)
check_match "a batch that does not split into subdivisions x ranks: refused (status 1)" "$? $out" \
  "^1 .*batch 8 does not divide into 16 subdivisions x ranks"
out=$($MPI $TRAIN -o "$T/tpl" "$T/d" tiny-v2 --max-batches 2 2>&1)
check_match "a template name under mpirun: refused (status 1)" "$? $out" "^1 .*under mpirun CFG is a file"

# --- a rank killed ----------------------------------------------------------------
# (with --ema: rank 0 keeps the average, the same on every rank's weights)
$MPI $TRAIN -o "$T/k" "$T/d" "$T/net.cfg" --max-batches 100000 --save-every 5 --quiet \
  --ema .9 --ema-tau 5 > /dev/null 2> "$T/k.err" &
job=$!
for _ in $(seq 300); do [ -f "$T/k/weights" ] && break; sleep 0.1; done
sleep 0.5
victim=$(rank_pids 1)
[ -z "$victim" ] || kill -9 $victim
wait $job
rc=$?
check "kill -9 of rank 1's darknet-forward: mpirun ends, status not 0 (got $rc)" [ "$rc" -ne 0 ]
check_match "... the killed rank named" "$(cat "$T/k.err")" \
  "train.sh \(rank 1 of 2\): darknet-forward killed by signal 9"
sleep 0.5
check_eq "... no darknet-forward of the run left on either rank" "$(rank_pids 0)$(rank_pids 1)" ""
step=$(state_of "$T/k/weights.state" .step)
check "... the checkpoint intact: it loads and its .state is its own (step $step)" sh -c \
  "darknet-forward --quiet --cfg $T/net.cfg --weights $T/k/weights < /dev/null &&
   [ \"\$(records-to-json -q $T/k/weights.state | jq .seen)\" = \"\$(od -An -j12 -N8 -tu8 --endian=little $T/k/weights | tr -d ' ')\" ]"
end=$((step + 3))
$MPI $TRAIN -o "$T/k" -w "$T/k/weights" "$T/d" "$T/net.cfg" --max-batches $end --resume --quiet \
  --ema .9 --ema-tau 5 2> "$T/r.err"
check_eq "--resume under mpirun from step $step to $end: exit 0" "$?" 0
$MPI $TRAIN -o "$T/u" "$T/d" "$T/net.cfg" --max-batches $end --quiet --ema .9 --ema-tau 5 2> /dev/null
check "... the bytes of an uninterrupted $end-step run" cmp -s "$T/k/weights" "$T/u/weights"
check_eq "... and of its weights.ema (--ema), its .state counting $end updates" \
  "$(cmp -s "$T/k/weights.ema" "$T/u/weights.ema" && echo SAME) $(state_of "$T/k/weights.state" .ema_updates)" \
  "SAME $end"
check_eq "... the log goes on: iterations 1..$end once each" "$(jq .iteration "$T/k/log.jsonl" | sort -n | uniq | wc -l) $(wc -l < "$T/k/log.jsonl")" "$end $end"
out=$($TRAIN -o "$T/k" -w "$T/k/weights" "$T/d" "$T/net.cfg" --max-batches $((end + 1)) --resume 2>&1)
check_match "resume with another number of ranks: refused (status 1)" "$? $out" \
  "^1 .*written by a run of 2 ranks, resumed with 1"

# --- the anchor check under mpirun: the same copy on every rank ---------------------
# absurd anchors: every rank finds the same new ones from the whole split;
# each rank's loss stage keeps the records (their heads' anchors) it saw
sed 's/^anchors=.*/anchors=1,1, 2,2, 3,3/' "$T/net.cfg" > "$T/absurd.cfg"
seen="tee $T/anc-\$OMPI_COMM_WORLD_RANK.mp | yolo-loss -q"
$MPI $TRAIN -o "$T/anc" -L "$seen" "$T/d" "$T/absurd.cfg" --max-batches 2 --quiet 2> "$T/anc.err"; rc=$?
check_match "anchor check under mpirun: exit 0, rank 0 alone says it" \
  "$rc $(grep -c 'anchors fit' "$T/anc.err") $(grep 'anchors fit' "$T/anc.err")" \
  "^0 1 train.sh \(rank 0 of 2\): anchors fit the data badly: .*training with $T/anc/net.cfg$"
want=$(sed -n 's/^anchors=//p' "$T/anc/net.cfg" | jq -Rc 'split(",") | map(tonumber)')
got=$(for r in 0 1; do records-to-json --full "$T/anc-$r.mp" | jq -c '.output[0].anchors' | sort -u; done | tr '\n' ' ')
check_eq "... both ranks trained the copy's anchors" "$got" "$want $want "
$MPI $TRAIN -o "$T/anc" -w "$T/anc/weights" -L "$seen" "$T/d" "$T/absurd.cfg" --max-batches 3 \
  --resume --quiet 2> "$T/anc2.err"; rc=$?
got=$(for r in 0 1; do records-to-json --full "$T/anc-$r.mp" | jq -c '.output[0].anchors' | sort -u; done | tr '\n' ' ')
check_eq "... --resume: both ranks go on with the copy" "$rc $(grep -c resuming "$T/anc2.err") $got" "0 1 $want $want "
done_testing
