# README's "Your own data in any layout" (issue 17, point 5): its block, as
# the README writes it, on one generated dataset put in each layout: COCO
# (train2017/ and instances_train2017.json), darknet (obj.data) and
# ultralytics (data.yaml), each converted to a VOC folder with
# dataset-write and read back by voc-parse with the boxes it started from;
# then on the COCO one the split, the training, the test mAP and the
# detector on a folder of images. The training gets test_readme_train.sh's
# two changes for speed (`-t 30` becomes `-t 1`, MAKE_CFG="--size 64
# --seconds-per-step 6 --val-seconds 0") and, like it, runs once, in the release build's
# best kernel family; the conversions run everywhere.
. tests/stage/lib.sh
export OMP_NUM_THREADS=1 MAKE_CFG="--size 64 --seconds-per-step 6 --val-seconds 0"
best=$("$TOOLS/isa-families" --cpu | sed -n 1p | awk '{ print $NF }')
train=1
if [ "${MODE:-release}" != release ] || [ "${YOLO_ISA:-$best}" != "$best" ]; then train=; fi
block=$(awk '/^### Your own data in any layout/ { f = 1 } f && /^```sh/ { g = 1; next }
             g && /^```/ { exit } g' README.md | sed 's/ *#.*$//' | grep .)
check_eq "README: the block has 3 conversions and 4 commands after them" \
  "$(printf '%s\n' "$block" | grep -c 'dataset-write') $(printf '%s\n' "$block" | grep -c 'pipelines/')" "3 4"

# one dataset (no splits), put in each layout
synth-voc --quiet --out "$T/src" --count 40 --size 96x96 --seed 3 --max-objects 2 --min-size 0.25
rm -r "$T/src/ImageSets"
voc-parse -q "$T/src" > "$T/all.mp"
boxes() { records-to-json "$@" | jq -r '.id + " " + ([.objects[] | "\(.class):\(.bbox)"] | join(" "))' | sort; }
boxes "$T/all.mp" > "$T/want"
dataset-write -q --format coco --out "$T/cocosrc" --split train2017 --images copy "$T/all.mp"
mkdir -p "$T/coco/photos" "$T/uk"
ln -s "$T/cocosrc/images/train2017" "$T/coco/train2017"
ln -s "$T/cocosrc/annotations/instances_train2017.json" "$T/coco/"
cp "$T/src/JPEGImages/000001.jpg" "$T/src/JPEGImages/000002.jpg" "$T/coco/photos/"
dataset-write -q --format yolo --out "$T/dk" --split train --images copy "$T/all.mp"
ln -s "$T/dk/data.yaml" "$T/uk/data.yaml"

here=$(pwd)
n=0
printf '%s\n' "$block" | sed 's/ -t 30 / -t 1 /' > "$T/cmds"
while IFS= read -r cmd; do
  n=$((n + 1))
  case $cmd in
    *obj.data*) dir=$T/dk ;;
    *data.yaml*) dir=$T/uk ;;
    *) dir=$T/coco ;;
  esac
  case $cmd in
    pipelines/*)
      if [ -z "$train" ]; then
        skip "command $n ($cmd)" "run once, in the release build's best kernel family ($best)"
        continue
      fi
      cmd="$here/$cmd" ;;
  esac
  (cd "$dir" && timeout 300 env PATH="$BIN:$PATH" bash -c "set -o pipefail; $cmd") \
    > "$T/out$n" 2> "$T/err$n"; rc=$?
  check_eq "command $n ($cmd): exit 0" "$rc" 0
  [ "$rc" = 0 ] || sed 's/^/#   /' "$T/err$n" | tail -5
  case $cmd in
    *dataset-write*)
      boxes "$(cd "$dir" && voc-parse -q data > "$T/got.mp" && echo "$T/got.mp")" > "$T/got"
      check "... voc-parse reads back the boxes it started from ($(basename "$dir"))" \
        cmp -s "$T/want" "$T/got"
      check_eq "... and the class list" "$(cat "$dir/data/classes.names")" "$(cat "$T/src/classes.names")" ;;
  esac
done < "$T/cmds"
if [ -n "$train" ]; then
  check_eq "the split: train, val and test lists of the 40 images" \
    "$(cd "$T/coco/data/ImageSets/Main" && cat train.txt val.txt test.txt | sort -u | wc -l)" 40
  check_match "the test mAP table" "$(cat "$T/out6")" "^class +truths"
  check_eq "the detector on the folder of images: a picture each" "$(ls "$T/coco/run/shown" | grep -c jpg)" 2
fi
done_testing
