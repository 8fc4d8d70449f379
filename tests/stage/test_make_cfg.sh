# pipelines/make-cfg.sh (issue 16, point 5): a cfg for a dataset from the
# templates the project ships (pipelines/templates/tiny-v2, tiny-v3) or a cfg
# file. For 1 and 3 classes and both templates: the cfg builds (darknet-forward
# --summary), each head's filters are darknet's rule, classes and anchors
# (kmeans-anchors' own, at the template's grid or size) are written, the
# schedule follows the budget (--seconds-per-step: exact), or the template's
# without one. The timed path once, on a micro template. The usage and data
# errors. train.sh with a template name (and -t) trains, and --resume keeps
# the cfg it wrote.
. tests/stage/lib.sh
export BIN OMP_NUM_THREADS=1
MC="bash pipelines/make-cfg.sh"
TO=300

synth-voc -q --out "$T/d1" --count 24 --size 64x64 --seed 3 --classes circle --max-objects 3 --min-size 0.2
synth-voc -q --out "$T/d3" --count 24 --size 64x64 --seed 4 --classes circle,square,triangle \
  --max-objects 3 --min-size 0.2

# heads DATA_CFG: each head's output "TYPE WxHxC" from the summary, space-separated
heads() { darknet-forward --cfg "$1" --summary | awk '$2 == "region" || $2 == "yolo" { printf "%s%s %sx%sx%s", (n++ ? " " : ""), $2, $3, $5, $7 }'; }
# key CFG SECTION KEY: the values of KEY in each SECTION, space-separated
key() { awk -v s="[$2]" -v k="$3" '/^\[/ { in_s = ($0 == s) } in_s && $0 ~ "^" k "[ \t]*=" { sub(/^[^=]*=[ \t]*/, ""); printf "%s%s", (n++ ? " " : ""), $0 }' "$1"; }
# kmeans-anchors' own cfg line for DATA at UNIT (--grid G | --net W,H) with K
kanchors() { voc-parse -q --classes "$1/classes.names" --split train "$1" | kmeans-anchors --k "$2" $3 2>&1 >/dev/null | sed -n 's/^anchors = //p'; }

# --- both templates, 1 and 3 classes, a budget with the step's time given ----------
for c in 1 3; do
  d=$T/d$c
  $MC --size 64 --minutes 10 --seconds-per-step 2 -o "$T/v2-$c.cfg" tiny-v2 "$d" 2> "$T/err"; rc=$?
  check_eq "tiny-v2, $c class(es): exit 0" "$rc" 0
  darknet-forward --cfg "$T/v2-$c.cfg" --summary > /dev/null 2>&1; rc=$?
  check_eq "... the cfg builds (darknet-forward --summary)" "$rc" 0
  check_eq "... the [region] head: 2x2 at --size 64, filters 5 x (4 + 1 + $c)" "$(heads "$T/v2-$c.cfg")" \
    "region 2x2x$((5 * (5 + c)))"
  check_eq "... classes=$c, width and height 64" \
    "$(key "$T/v2-$c.cfg" region classes) $(key "$T/v2-$c.cfg" net width) $(key "$T/v2-$c.cfg" net height)" "$c 64 64"
  check_eq "... anchors: kmeans-anchors --k 5 --grid 2 on the train split" \
    "$(key "$T/v2-$c.cfg" region anchors)" "$(kanchors "$d" 5 "--grid 2")"
  check_eq "... schedule: 10 min at 2 s/step: max_batches 300, steps 240,270, burn_in 30" \
    "$(key "$T/v2-$c.cfg" net max_batches) $(key "$T/v2-$c.cfg" net steps) $(key "$T/v2-$c.cfg" net scales) $(key "$T/v2-$c.cfg" net burn_in) $(key "$T/v2-$c.cfg" net policy)" \
    "300 240,270 .1,.1 30 steps"
  check_match "... stderr says the classes, the filters, avg IoU and max_batches" "$(tr '\n' ' ' < "$T/err")" \
    "$c class(es)? .*filters = num x \(coords \+ 1 \+ classes\) = 5 x \(4 \+ 1 \+ $c\) = $((5 * (5 + c))).*avg IoU 0\.[0-9]+.*max_batches = floor\(10 x 60 / 2\) = 300"

  $MC --size 64 --minutes 10 --seconds-per-step 2 -o "$T/v3-$c.cfg" tiny-v3 "$d" 2> "$T/err"; rc=$?
  check_eq "tiny-v3, $c class(es): exit 0" "$rc" 0
  check_eq "... two [yolo] heads, 2x2 and 4x4, filters 3 x (5 + $c)" "$(heads "$T/v3-$c.cfg")" \
    "yolo 2x2x$((3 * (5 + c))) yolo 4x4x$((3 * (5 + c)))"
  check_eq "... classes=$c in both heads, the masks kept (the larger anchors on the coarse grid)" \
    "$(key "$T/v3-$c.cfg" yolo classes) / $(key "$T/v3-$c.cfg" yolo mask)" "$c $c / 3,4,5 0,1,2"
  a=$(kanchors "$d" 6 "--net 64,64")
  check_eq "... anchors in both heads: kmeans-anchors --k 6 --net 64,64" \
    "$(key "$T/v3-$c.cfg" yolo anchors)" "$a $a"
  check_eq "... the schedule" "$(key "$T/v3-$c.cfg" net max_batches) $(key "$T/v3-$c.cfg" net steps)" "300 240,270"
done
check_eq "the cfg starts with how it was made" "$(sed -n 1p "$T/v3-3.cfg")" \
  "# Made by pipelines/make-cfg.sh from the template tiny-v3 for $T/d3:"

# --- without --minutes: the template's schedule, its size; stdout -----------------------
$MC -q tiny-v3 "$T/d3" > "$T/plain.cfg" 2> "$T/err"; rc=$?
check_eq "no --minutes: exit 0, the cfg on stdout, -q: nothing on stderr" "$rc $(cat "$T/err")" "0 "
check_eq "... the template's schedule and size" \
  "$(key "$T/plain.cfg" net max_batches) $(key "$T/plain.cfg" net steps) $(key "$T/plain.cfg" net burn_in) $(key "$T/plain.cfg" net width)" \
  "4000 3200,3600 200 416"
check_eq "... heads at 416: 13x13 and 26x26, 24 filters" "$(heads "$T/plain.cfg")" "yolo 13x13x24 yolo 26x26x24"
check_eq "... the rest is the template's line for line" \
  "$(grep -v '^#' pipelines/templates/tiny-v3.cfg | grep -Ev '^(filters=255|anchors=|classes=80)' | cksum)" \
  "$(grep -v '^#' "$T/plain.cfg" | grep -Ev '^(filters=24|anchors=|classes=3)' | cksum)"
$MC --minutes 1 --seconds-per-step 0.5 tiny-v2 "$T/d1" > "$T/short.cfg" 2> "$T/err"
check_eq "a short run: burn_in a tenth of max_batches (120 steps: 12)" \
  "$(key "$T/short.cfg" net max_batches) $(key "$T/short.cfg" net burn_in)" "120 12"
check_match "... and a warning that few steps fit" "$(cat "$T/err")" "warning: only 120 steps"
sed -e 's/^mask=3,4,5/mask=X/' -e 's/^mask=0,1,2/mask=3,4,5/' -e 's/^mask=X/mask=0,1,2/' pipelines/templates/tiny-v3.cfg > "$T/swapped.cfg"
$MC --size 64 "$T/swapped.cfg" "$T/d3" > /dev/null 2> "$T/err"; rc=$?
check_match "a template whose finer grid has the larger anchors: written, with a warning" \
  "$rc $(tr '\n' ' ' < "$T/err")" "^0 .*masks: 0,1,2 on 2x2, 3,4,5 on 4x4 .*warning: a finer grid has larger anchors"
check_eq "--list: the templates" "$($MC --list | tr '\n' ' ')" "small tiny-v2 tiny-v3 "

# --- the timed path: a micro template, 1 + 2 steps timed ----------------------------------
{
  printf '[net]\nbatch=2\nsubdivisions=1\nwidth=64\nheight=64\nchannels=3\nlearning_rate=0.001\n'
  printf 'momentum=0.9\ndecay=0.0005\nburn_in=1000\nmax_batches=10\npolicy=constant\n'
  for f in 8 16 32; do
    printf '\n[convolutional]\nbatch_normalize=1\nfilters=%s\nsize=3\nstride=1\npad=1\nactivation=leaky\n' $f
    printf '\n[maxpool]\nsize=2\nstride=2\n'
  done
  printf '\n[convolutional]\nsize=1\nstride=1\npad=1\nfilters=255\nactivation=linear\n'
  printf '\n[yolo]\nmask=0,1,2\nanchors=10,10, 20,20, 36,32\nclasses=80\nnum=3\njitter=0\n'
} > "$T/micro.cfg"
timeout $TO $MC --minutes 0.5 --time-steps 2 -o "$T/timed.cfg" "$T/micro.cfg" "$T/d3" 2> "$T/err"; rc=$?
check_eq "a cfg file as the template, timed: exit 0" "$rc" 0
sps=$(sed -n 's/.*measured: \([0-9.e+-]*\) s\/step.*/\1/p' "$T/err")
check_match "... the time per step measured, said" "$sps" '^[0-9.]+(e[-+][0-9]+)?$'
check_eq "... max_batches = floor(30 s / the time per step), steps at 80% and 90%" \
  "$(key "$T/timed.cfg" net max_batches) $(key "$T/timed.cfg" net steps) $(key "$T/timed.cfg" net policy)" \
  "$(awk -v s="$sps" 'BEGIN { m = int(30 / s); printf "%d %d,%d steps", m, int(m * 8 / 10), int(m * 9 / 10) }')"
check_eq "... one head, filters 3 x (5 + 3), scales added" "$(heads "$T/timed.cfg") $(key "$T/timed.cfg" net scales)" \
  "yolo 8x8x24 .1,.1"

# --- validations charged to the budget (--val) --------------------------------------------------
$MC --size 64 --minutes 10 --seconds-per-step 1 --val val --val-every 100 --val-seconds 20 \
  -o "$T/val-given.cfg" tiny-v3 "$T/d3" 2> "$T/err"; rc=$?
check_eq "--val with --val-seconds 20 every 100: max_batches = floor((600 - 20) / (1 + 20 / 100)) = 483, said" \
  "$rc $(key "$T/val-given.cfg" net max_batches) $(grep -c 'floor((10 x 60 - 20) / (1 + 20 / 100)) = 483' "$T/err")" "0 483 1"
timeout $TO $MC --minutes 0.5 --time-steps 2 --val val --val-every 3 -o "$T/timed-val.cfg" "$T/micro.cfg" "$T/d3" \
  2> "$T/err"; rc=$?
sps=$(sed -n 's/.*measured: \([0-9.e+-]*\) s\/step.*/\1/p' "$T/err")
vs=$(sed -n 's/.*measured: \([0-9.e+-]*\) s a validation of val, one every 3 steps.*/\1/p' "$T/err")
check_match "--val timed: exit 0, a step's and a validation's time measured" "$rc $sps $vs" \
  '^0 [0-9.]+(e[-+][0-9]+)? [0-9.]+(e[-+][0-9]+)?$'
check_eq "... max_batches = floor((30 - the validation's time) / (the step's + the validation's / 3))" \
  "$(key "$T/timed-val.cfg" net max_batches)" \
  "$(awk -v s="$sps" -v v="$vs" 'BEGIN { printf "%d", (30 - v) / (s + v / 3) + 1e-9 }')"

# --- errors ----------------------------------------------------------------------------------
err() { $MC "$@" > "$T/out" 2> "$T/err"; echo "$? $(tr '\n' ' ' < "$T/err")"; }
check_match "an unknown template: exit 1, the known ones listed" "$(err tiny-v9 "$T/d3")" \
  "^1 make-cfg.sh: 'tiny-v9' is neither a cfg file nor a template: the templates are small tiny-v2 tiny-v3"
cp -r "$T/d3" "$T/nonames"; rm "$T/nonames/classes.names"
check_match "no classes.names: exit 2, says -n" "$(err tiny-v3 "$T/nonames")" "^2 .*no classes.names.*-n NAMES"
$MC -q --size 64 -n "$T/d3/classes.names" tiny-v3 "$T/nonames" > "$T/n.cfg"; rc=$?
check_eq "... -n NAMES: exit 0, 3 classes" "$rc $(key "$T/n.cfg" yolo classes)" "0 3 3"
for m in 0 -5 abc 1e3 50000; do
  check_match "--minutes $m: exit 1" "$(err --minutes "$m" tiny-v3 "$T/d3")" "^1 .*--minutes"
done
check_match "--size 100: exit 1" "$(err --size 100 tiny-v3 "$T/d3")" "^1 .*--size: '100' is not a multiple of 32"
check_match "--seconds-per-step without --minutes: exit 1" "$(err --seconds-per-step 2 tiny-v3 "$T/d3")" "^1 .*goes with --minutes"
check_match "a budget too small for 10 steps: exit 1" "$(err --minutes 0.1 --seconds-per-step 1 tiny-v2 "$T/d3")" \
  "^1 .*6 steps of 1 s fit, at least 10"
check_match "--val-seconds without --val: exit 1" "$(err --minutes 10 --val-seconds 3 tiny-v3 "$T/d3")" "^1 .*--val-seconds goes with --val"
check_match "--val without --minutes: exit 1" "$(err --val val tiny-v3 "$T/d3")" "^1 .*--val goes with --minutes"
for n in 0 -1 x; do
  check_match "--val-every $n: exit 1" "$(err --minutes 10 --val val --val-every "$n" tiny-v3 "$T/d3")" "^1 .*--val-every: '$n'"
done
check_match "--val-seconds abc: exit 1" "$(err --minutes 10 --val val --val-seconds abc tiny-v3 "$T/d3")" "^1 .*--val-seconds: 'abc'"
check_match "--val naming a split that is not there: exit 2" \
  "$(err --minutes 10 --seconds-per-step 1 --val nosuch tiny-v3 "$T/d3")" "^2 .*no ImageSets/Main/nosuch.txt: --val names a split"
check_match "an unknown option: usage, exit 1" "$(err --colour tiny-v3 "$T/d3")" "^1 make-cfg.sh: unknown option --colour Usage:"
check_match "no dataset: exit 1, usage" "$(err tiny-v3)" "^1 Usage:"
check_match "a missing dataset folder: exit 2" "$(err tiny-v3 "$T/none")" "^2 .*none: no such dataset folder"
cp -r "$T/d3" "$T/noboxes"
for f in "$T"/noboxes/Annotations/*.xml; do sed -i '/<object>/,/<\/object>/d' "$f"; done
check_match "a dataset with no boxes: exit 2" "$(err tiny-v3 "$T/noboxes")" "^2 .*: 0 boxes in [0-9]+ images: 6 anchors need at least 6"
check_match "a split that is not there: exit 2" "$(err -s nosuch tiny-v3 "$T/d3")" "^2 .*no ImageSets/Main/nosuch.txt"
sed 's/^\[yolo\]/[detection]/' "$T/micro.cfg" > "$T/v1.cfg"
check_match "a template with a v1 head: exit 2" "$(err "$T/v1.cfg" "$T/d3")" "^2 .*\[detection\] head"
check_match "--help: the usage and the rule" "$($MC --help | tr '\n' ' ')" "pipelines/make-cfg.sh \[-n NAMES\].*TEMPLATE DATASET .*\[yolo\]: +anchors of the head \(its mask\) x \(5 \+ classes\) +\[region\]: num x \(coords \+ 1 \+ classes\)"

# --- train.sh with a template name --------------------------------------------------------------
MAKE_CFG="--size 64 --seconds-per-step 2" timeout $TO bash pipelines/train.sh -o "$T/run" -t 10 "$T/d3" tiny-v3 \
  --max-batches 2 --batch 2 --subdivisions 1 -q > /dev/null 2> "$T/err"; rc=$?
check_match "train.sh DATASET tiny-v3 -t 10: exit 0, says it wrote OUT/net.cfg from the template" \
  "$rc $(tr '\n' ' ' < "$T/err")" "^0 .*train.sh: no file tiny-v3: writing $T/run/net.cfg from the template.*train.sh: weights in"
check_eq "... net.cfg for 3 classes, with the budget's schedule, and 2 steps trained" \
  "$(heads "$T/run/net.cfg") $(key "$T/run/net.cfg" net max_batches) $(grep -c . "$T/run/log.jsonl")" \
  "yolo 2x2x24 yolo 4x4x24 300 2"
cp "$T/run/net.cfg" "$T/kept.cfg"
MAKE_CFG="--size 64 --seconds-per-step 2 --val-seconds 30" timeout $TO bash pipelines/train.sh -o "$T/runv" -t 10 \
  -v val "$T/d3" tiny-v3 --max-batches 2 --batch 2 --subdivisions 1 --val-every 50 -q > /dev/null 2> "$T/err"; rc=$?
check_eq "train.sh -t 10 -v val ... --val-every 50: make-cfg charges the validations: floor((600 - 30) / (2 + 30 / 50)) = 219" \
  "$rc $(key "$T/runv/net.cfg" net max_batches)" "0 219"
MAKE_CFG="--size 96" timeout $TO bash pipelines/train.sh -o "$T/run" -w "$T/run/weights" "$T/d3" tiny-v3 \
  --max-batches 3 --batch 2 --subdivisions 1 -q --resume > /dev/null 2> "$T/err"; rc=$?
check_eq "... --resume: the same net.cfg trained on (not made again), step 3 logged" \
  "$rc $(cmp -s "$T/kept.cfg" "$T/run/net.cfg" && echo same) $(grep -c 'writing' "$T/err") $(grep -c . "$T/run/log.jsonl")" "0 same 0 3"
bash pipelines/train.sh -o "$T/run2" -t 10 "$T/d3" "$T/micro.cfg" > /dev/null 2> "$T/err"; rc=$?
check_match "train.sh -t with a cfg file: exit 1" "$rc $(cat "$T/err")" "^1 .*-t MINUTES goes with a template name"
bash pipelines/train.sh -o "$T/run3" "$T/d3" tiny-v7 > /dev/null 2> "$T/err"; rc=$?
check_match "train.sh with an unknown template: make-cfg.sh's message and status" "$rc $(tr '\n' ' ' < "$T/err")" \
  "^1 .*the templates are small tiny-v2 tiny-v3"
done_testing
