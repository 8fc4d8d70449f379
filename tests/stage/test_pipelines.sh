# pipelines/detect.sh and eval.sh run end to end on a network of the
# repository (tests/fixtures/synth-tiny.cfg, seeded random weights): the
# files they promise appear, the report has its shape, and a failing stage
# fails the pipeline with its message.
. tests/stage/lib.sh
IMAGES="$(cd "$(dirname "$0")/../data/images" && pwd)" # five JPEGs
CFG=tests/fixtures/synth-tiny.cfg
export BIN
darknet-forward --quiet --cfg "$CFG" --random 4 --save-weights "$T/w.weights" < /dev/null > /dev/null
synth-voc --quiet --out "$T/data" --count 12 --size 128x96 --seed 3
ntest=$(wc -l < "$T/data/ImageSets/Main/test.txt" | tr -d ' ')

bash pipelines/eval.sh -J -d "$T/pics" "$T/data" "$CFG" "$T/w.weights" > "$T/map.json" 2> "$T/err"; rc=$?
check_eq "eval.sh -J: exit 0, one JSON object" "$rc $(jq -c 'keys' "$T/map.json")" '0 ["coco","voc07","voc10"]'
check_eq "... per class of classes.names, in the three conventions" \
  "$(jq -c '[(.voc07.ap | keys_unsorted), (.coco.ap_per_class | keys_unsorted)]' "$T/map.json")" \
  '[["circle","square","triangle","cross","star"],["circle","square","triangle","cross","star"]]'
check_eq "... every AP a number in [0, 1] (or null for a class without truth)" \
  "$(jq '[.voc07.ap[], .voc10.ap[], .coco.ap_per_class[]] | all(. == null or (. >= 0 and . <= 1))' "$T/map.json")" true
check_eq "-d: a picture per test image" "$(ls "$T/pics" | grep -c '\.jpg$')" "$ntest"
check_match "... and where they are on stderr" "$(cat "$T/err")" "eval.sh: pictures in $T/pics"
bash pipelines/eval.sh "$T/data" "$CFG" "$T/w.weights" > "$T/table" 2> /dev/null; rc=$?
check_match "eval.sh: the table by default" "$rc $(head -2 "$T/table" | tr '\n' ' ')" "^0 class +truths .* circle "

bash pipelines/detect.sh -s "$T/sheet.jpg" "$CFG" "$T/w.weights" "$T/shown" "$IMAGES" 2> "$T/err"; rc=$?
check_eq "detect.sh: exit 0, a picture per image and the sheet" \
  "$rc $(ls "$T/shown" | grep -c '\.jpg$') $([ -s "$T/sheet.jpg" ] && echo sheet)" "0 5 sheet"
check_eq "... the records with their detections" \
  "$(records-to-json "$T/shown/detections.mp" | jq -r '[.id, (.detections | type)] | join(" ")' | tr '\n' ' ')" \
  "dog array synth-375x500 array synth-500x500 array synth-640x424 array synth-773x512 array "
bash pipelines/detect.sh "$CFG" "$T/none.weights" "$T/shown2" "$IMAGES" > /dev/null 2> "$T/err"; rc=$?
check_match "detect.sh with a missing weights file: fails, darknet-forward says why" \
  "$rc $(cat "$T/err")" "^[1-9][0-9]* .*darknet-forward: .*none.weights"
bash pipelines/detect.sh "$CFG" > /dev/null 2> "$T/err"; rc=$?
check_match "detect.sh with too few arguments: usage, exit 1" "$rc $(cat "$T/err")" "^1 Usage:"

# train.sh: the stages as jobs, validation through val.sh, failures stopped
OMP_NUM_THREADS=1 timeout 120 bash pipelines/train.sh -o "$T/run" -v val -l "--variant darknet" \
  "$T/data" "$CFG" --batch 2 --max-batches 4 --val-every 2 > /dev/null 2> "$T/err"; rc=$?
check_match "train.sh -v: exit 0, says where the weights are" "$rc $(cat "$T/err" | tr '\n' ' ')" \
  "^0 .*train.sh: weights in $T/run/weights"
check_eq "... 4 steps logged, 2 validations with a mAP and a loss" \
  "$(jq -c 'select(.loss) | .iteration' "$T/run/log.jsonl" | tr '\n' ' ')$(jq -c 'select(.map) | [.iteration, (.map | type), (.val_loss | type)]' "$T/run/log.jsonl" | tr '\n' ' ')" \
  '1 2 3 4 [2,"number","number"] [4,"number","number"] '
check_eq "... the weights, the best ones and the plot" \
  "$(cd "$T/run" && ls weights best.weights loss.svg | tr '\n' ' ')" "best.weights loss.svg weights "
darknet-forward --quiet --cfg "$CFG" --weights "$T/run/best.weights" < /dev/null; rc=$?
check_eq "... best.weights loads" "$rc" 0
timeout 60 bash pipelines/train.sh -o "$T/run2" "$T/data" "$T/missing.cfg" --max-batches 2 \
  > /dev/null 2> "$T/err"; rc=$?
check_match "train.sh with a missing cfg: fails at once (no stage left waiting on a pipe)" \
  "$rc $(cat "$T/err" | tr '\n' ' ')" "^[1-9][0-9]? .*missing.cfg.*train.sh: failed"
timeout 60 bash pipelines/train.sh -o "$T/run3" -L 'exit 4' "$T/data" "$CFG" --max-batches 2 \
  > /dev/null 2> "$T/err"; rc=$?
check_match "train.sh whose loss stage fails: its status, said" "$rc $(cat "$T/err" | tr '\n' ' ')" \
  "^4 .*the loss stage failed \(status 4\)"
done_testing
