# README's "Train on your own data" (issue 16, point 7): its three commands,
# as the README writes them, on a generated VOC folder without splits: the
# split, a cfg made for the data and trained, the test mAP and pictures.
# Two changes so that it takes seconds, and only those (both documented
# beside the block): the budget `-t 30` becomes `-t 1`, and MAKE_CFG="--size
# 64 --seconds-per-step 6 --val-seconds 0" (10 steps, whatever the machine's
# load, the minute's deadline far beyond them; the timing itself is
# test_make_cfg.sh's, the deadline test_max_seconds.sh's). The training takes ~10 s in release
# and minutes under the sanitizers, and does the same in every kernel family:
# it runs once, in the release build's best family, and is skipped elsewhere.
. tests/stage/lib.sh
export OMP_NUM_THREADS=1 MAKE_CFG="--size 64 --seconds-per-step 6 --val-seconds 0"
best=$("$TOOLS/isa-families" --cpu | sed -n 1p | awk '{ print $NF }')
if [ "${MODE:-release}" != release ] || [ "${YOLO_ISA:-$best}" != "$best" ]; then
  skip "README's train-on-your-own-data commands" \
    "run once, in the release build's best kernel family ($best)"
  done_testing; exit
fi
block=$(awk '/^## Train on your own data/ { f = 1 } f && /^```sh/ { g = 1; next }
             g && /^```/ { exit } g' README.md)
check_eq "README: the section's block has three commands" "$(printf '%s\n' "$block" | grep -c .)" 3
synth-voc --quiet --out "$T/data" --count 40 --size 96x96 --seed 3 --max-objects 2 --min-size 0.25
rm -r "$T/data/ImageSets"
here=$(pwd)
cd "$T" || exit 1
n=0
printf '%s\n' "$block" | sed 's/ *#.*$//; s/ -t 30 / -t 1 /' > cmds
while IFS= read -r cmd; do
  n=$((n + 1))
  timeout 300 bash -c "cd '$T' && PATH='$BIN:$PATH' '$here'/$cmd" > "out$n" 2> "err$n"; rc=$?
  check_eq "command $n ($cmd): exit 0" "$rc" 0
  [ "$rc" = 0 ] || sed 's/^/#   /' "err$n" | tail -5
done < cmds
check_eq "the split: train, val and test lists of the 40 images" \
  "$(cat data/ImageSets/Main/train.txt data/ImageSets/Main/val.txt data/ImageSets/Main/test.txt | sort -u | wc -l)" 40
check "the cfg made for the data (5 classes: filters = 3 x (5 + 5) = 30)" \
  grep -q '^filters=30$' run/net.cfg
check_eq "... trained, validated, the best kept" \
  "$([ -s run/weights ] && [ -s run/best.weights ] && grep -c '"map"' run/log.jsonl | grep -qv '^0$' && echo yes)" yes
check_match "the test mAP table" "$(cat out3)" "^class +truths"
check_eq "... and a picture per test image" "$(ls run/pictures | wc -l)" \
  "$(wc -l < data/ImageSets/Main/test.txt)"
done_testing
