# Honest feedback (issue 16, point 6): outside a terminal the progress goes to
# stderr as a line every YOLO_PROGRESS_EVERY seconds (a stage's record count,
# a training run's step, loss, images/s and ETA); a training run whose last
# validation fell well below its best says so at the end.
. tests/stage/lib.sh
export OMP_NUM_THREADS=1
"$TOOLS/gen-records" -n 3000 -s 16x16 > "$T/big.mp"

# (the count is shown at most every 0.25 s: the stream comes in two halves)
{ cat "$T/big.mp"; sleep 0.4; cat "$T/big.mp"; } |
  YOLO_PROGRESS_EVERY=0.000001 records-to-json > /dev/null 2> "$T/err"; rc=$?
check_eq "records-to-json outside a terminal, YOLO_PROGRESS_EVERY=1e-6: exit 0" "$rc" 0
check_match "... progress as lines of their own: records and rate" \
  "$(head -1 "$T/err")" "^records-to-json: [0-9]+ records, [0-9.]+/s$"
check_eq "... no terminal control characters" "$(tr -d '\n' < "$T/err" | tr -d '[:print:]' | wc -c)" 0
YOLO_PROGRESS_EVERY=0.000001 records-to-json -q "$T/big.mp" > /dev/null 2> "$T/err"
check_eq "... none with --quiet" "$(cat "$T/err")" ""
YOLO_PROGRESS_EVERY=0 records-to-json "$T/big.mp" > /dev/null 2> "$T/err"
check_eq "... none with YOLO_PROGRESS_EVERY=0" "$(cat "$T/err")" ""
records-to-json "$T/big.mp" > /dev/null 2> "$T/err"
check_eq "... none in a run shorter than the default 60 s" "$(cat "$T/err")" ""
for v in -1 x 1e9 ''; do
  YOLO_PROGRESS_EVERY=$v records-to-json "$T/big.mp" > /dev/null 2> "$T/err"; rc=$?
  check_match "YOLO_PROGRESS_EVERY='$v': a usage error (exit 1) naming it" "$rc $(head -1 "$T/err")" \
    "^1 records-to-json: YOLO_PROGRESS_EVERY='$v': not a number of seconds"
done

# a training run: the micro network of test_resume.sh, 8 steps
synth-voc --quiet --out "$T/d" --count 12 --size 64x64 --seed 5 --max-objects 2 \
  --min-size 0.2 --split-ratios 1,0,0
{
  printf '[net]\nwidth=64\nheight=64\nchannels=3\nbatch=4\nsubdivisions=1\n'
  printf 'learning_rate=0.001\nmomentum=0.9\ndecay=0.0005\nmax_batches=8\npolicy=constant\n'
  printf '\n[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n'
  printf '\n[maxpool]\nsize=8\nstride=8\n'
  printf '\n[convolutional]\nsize=1\nstride=1\npad=1\nfilters=30\nactivation=linear\n'
  printf '\n[yolo]\nmask=0,1,2\nanchors=10,10, 20,20, 36,32\nclasses=5\nnum=3\njitter=0\n'
} > "$T/net.cfg"
YOLO_PROGRESS_EVERY=0.000001 bash pipelines/train.sh -o "$T/A" "$T/d" "$T/net.cfg" 2> "$T/err"; rc=$?
check_eq "train.sh outside a terminal, YOLO_PROGRESS_EVERY=1e-6: exit 0" "$rc" 0
check_eq "... a line per step: iteration of max, loss, rate, images/s (and ETA once it is known)" \
  "$(grep -cE '^darknet-forward: iter [0-9]/8 \([0-9]+%\)  loss [0-9.e+]+  lr [0-9.e-]+  [0-9.]+ img/s(  ETA .*)?$' "$T/err")" 8

# validation by a command that reads its mAP from a list, one per call
val_cmd() {   # $1: the mAPs, one per validation
  printf '%s\n' $1 > "$T/maps"; : > "$T/calls"
  printf 'echo >> %s; n=$(wc -l < %s); m=$(sed -n "${n}p" %s); echo "{\\"map\\": $m}"\n' \
    "$T/calls" "$T/calls" "$T/maps" > "$T/val.sh"
  echo "sh $T/val.sh"
}
bash pipelines/train.sh -o "$T/B" "$T/d" "$T/net.cfg" --val-cmd "$(val_cmd '0.2 0.5 0.3 0.35')" \
  --val-every 2 --best "$T/B/best.weights" 2> "$T/err"; rc=$?
check_eq "validations 0.2 0.5 0.3 0.35: exit 0, 4 validations" "$rc $(wc -l < "$T/calls")" "0 4"
check_match "... the end says the last is well below the best, and which file to keep" "$(cat "$T/err")" \
  "darknet-forward: the last validation \(step 8: mAP 0.3500\) is well below the best \(step 4: 0.5000\): keep $T/B/best.weights"
bash pipelines/train.sh -o "$T/C" "$T/d" "$T/net.cfg" --val-cmd "$(val_cmd '0.2 0.5 0.3 0.45')" \
  --val-every 2 2> "$T/err"; rc=$?
check_eq "validations ending at 0.45 of a best 0.5 (within 0.8): exit 0, nothing said" \
  "$rc $(grep -c 'well below' "$T/err")" "0 0"
bash pipelines/train.sh -o "$T/D" "$T/d" "$T/net.cfg" --val-cmd "$(val_cmd '0.2 0.3 0.4 0.5')" \
  --val-every 2 2> "$T/err"; rc=$?
check_eq "the last validation the best: nothing said" "$rc $(grep -c 'well below' "$T/err")" "0 0"
done_testing
