# pipelines/split.sh (issue 16, point 5): a VOC-layout dataset's annotated
# images split into ImageSets/Main/{train,val,trainval,test}.txt by seeded
# ratios. The counts (synth-voc's rounding), the lists disjoint and whole,
# sorted, only images voc-parse reads (the skipped counted), the same lists
# for the same seed (and the documented generator's, computed here in
# Python), another seed another split, --force, the errors, and voc-parse
# --split reading the lists.
. tests/stage/lib.sh
export BIN
PY=/usr/bin/python3
SP="bash pipelines/split.sh"

synth-voc -q --out "$T/d" --count 50 --size 64x64 --seed 2 --max-objects 2 --min-size 0.2
rm -r "$T/d/ImageSets"
rm "$T/d/Annotations/000005.xml"                   # an image without annotation
rm "$T/d/JPEGImages/000009.jpg"                    # an annotation without image
cp "$T/d/JPEGImages/000001.jpg" "$T/d/JPEGImages/extra.jpg"   # another without annotation
L=$T/d/ImageSets/Main

$SP "$T/d" 2> "$T/err"; rc=$?
check_eq "no ImageSets: exit 0, the four lists written" "$rc $(cd "$L" && ls | tr '\n' ' ')" \
  "0 test.txt train.txt trainval.txt val.txt "
n() { grep -c . "$L/$1.txt"; }
check_eq "48 images (50, one without annotation, one without image): 0.8,0.1,0.1 is 38, 5, 5" \
  "$(n train) $(n val) $(n test) $(n trainval)" "38 5 5 43"
check_match "... said on stderr, with what was left out" "$(tr '\n' ' ' < "$T/err")" \
  "48 annotated images: train 38, val 5, test 5 \(ratios 0.8,0.1,0.1, seed 1\).*left out: 1 of the 49 annotations.*left out: 2 images in JPEGImages/ without an annotation"
ls "$T/d/Annotations" | sed 's/\.xml$//' | grep -v '^000009$' | LC_ALL=C sort > "$T/want"
check_eq "train, val and test: disjoint, together every readable annotated image" \
  "$(cat "$L/train.txt" "$L/val.txt" "$L/test.txt" | LC_ALL=C sort | cksum)" "$(cksum < "$T/want")"
check_eq "... trainval is train and val" "$(cat "$L/train.txt" "$L/val.txt" | LC_ALL=C sort | cksum)" "$(cksum < "$L/trainval.txt")"
check_eq "... each list in byte order" \
  "$(for s in train val test trainval; do LC_ALL=C sort -c "$L/$s.txt" 2>&1 && echo ok; done | tr '\n' ' ')" "ok ok ok ok "
cat "$L/train.txt" "$L/val.txt" "$L/test.txt" > "$T/first"
# the generator as documented: Fisher-Yates over the sorted ids with minstd
# (gen IDS SEED T V E: the three lists, one after the other)
cat > "$T/gen.py" <<'EOF'
import sys
ids = open(sys.argv[1]).read().split()
x = int(sys.argv[2]) % 2147483646 + 1
r = [float(v) for v in sys.argv[3:6]]
def draw():
    global x
    x = x * 48271 % 2147483647
    return x
for _ in range(10): draw()
for i in range(len(ids) - 1, 0, -1):
    j = draw() % (i + 1); ids[i], ids[j] = ids[j], ids[i]
n, s = len(ids), sum(r)
n0, n01 = int(n * r[0] / s + 0.5), int(n * (r[0] + r[1]) / s + 0.5)
for part in (ids[:n0], ids[n0:n01], ids[n01:]):
    if part: print('\n'.join(sorted(part)))
EOF
gen() { $PY "$T/gen.py" "$@"; }
gen "$T/want" 1 0.8 0.1 0.1 > "$T/py"
check_eq "the split is the documented generator's (Park-Miller minstd, Fisher-Yates)" "$(cat "$T/first")" "$(cat "$T/py")"

$SP "$T/d" > /dev/null 2> "$T/err"; rc=$?
check_match "lists there: exit 1, says --force" "$rc $(cat "$T/err")" "^1 .*train.txt is there already: -f \(--force\)"
check_eq "... and leaves them alone" "$(cat "$L/train.txt" "$L/val.txt" "$L/test.txt")" "$(cat "$T/first")"
$SP -q --force "$T/d" 2> "$T/err"; rc=$?
check_eq "--force, -q: exit 0, nothing said, the same seed the same lists" \
  "$rc $(cat "$T/err")$(cat "$L/train.txt" "$L/val.txt" "$L/test.txt" | cmp -s - "$T/first" && echo same)" "0 same"
$SP -q -f --ratios 8,1,1 "$T/d"
check_eq "--ratios 8,1,1 is 0.8,0.1,0.1" "$(cat "$L/train.txt" "$L/val.txt" "$L/test.txt" | cmp -s - "$T/first" && echo same)" same
$SP -q -f --seed 7 "$T/d"
check_eq "--seed 7: the same counts, another split" \
  "$(n train) $(n val) $(n test) $(cat "$L/train.txt" "$L/val.txt" "$L/test.txt" | cmp -s - "$T/first" || echo other)" "38 5 5 other"
gen "$T/want" 7 .6 .2 .2 > "$T/py"
$SP -q -f --seed 7 --ratios .6,.2,.2 "$T/d"
check_eq "--seed 7 --ratios .6,.2,.2: 29, 9, 10, the generator's" \
  "$(n train) $(n val) $(n test) $(cat "$L/train.txt" "$L/val.txt" "$L/test.txt" | cmp -s - "$T/py" && echo same)" "29 9 10 same"
$SP -q -f --ratios 1,0,0 "$T/d"
check_eq "--ratios 1,0,0: every image in train, val and test empty files" \
  "$(n train) $(n val) $(n test) $(wc -c < "$L/val.txt" | tr -d ' ')" "48 0 0 0"
voc-parse -q --split train "$T/d" | records-to-json > "$T/train.json"; rc=$?
check_eq "voc-parse --split train reads the list: 48 records" "$rc $(grep -c . "$T/train.json")" "0 48"

# --- errors -------------------------------------------------------------------------------
err() { $SP "$@" > /dev/null 2> "$T/err"; echo "$? $(tr '\n' ' ' < "$T/err")"; }
for r in 1,1 a,b,c -1,1,1 0,0,0 1,1,1,1; do
  check_match "--ratios $r: exit 1" "$(err -f --ratios "$r" "$T/d")" "^1 .*--ratios: '$r' is not three non-negative numbers"
done
for s in -1 x 2147483647 99999999999; do
  check_match "--seed $s: exit 1" "$(err -f --seed "$s" "$T/d")" "^1 .*--seed: '$s' is not an integer"
done
check_match "no dataset: usage, exit 1" "$(err)" "^1 Usage:"
check_match "an unknown option: exit 1" "$(err --shuffle "$T/d")" "^1 .*unknown option --shuffle"
check_match "a missing folder: exit 2" "$(err "$T/none")" "^2 .*none: no such dataset folder"
mkdir "$T/empty" "$T/empty/Annotations"
check_match "no annotations: exit 2" "$(err "$T/empty")" "^2 .*no annotated image voc-parse can read"
mkdir "$T/noann"
check_match "no Annotations/ folder: exit 2" "$(err "$T/noann")" "^2 .*no Annotations/ folder"
check_match "--help: the usage" "$($SP --help | tr '\n' ' ')" "pipelines/split.sh \[--ratios T,V,E\] \[--seed S\]"
done_testing
