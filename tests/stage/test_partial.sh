# Backbones and frozen layers (issue 18, points 1 and 2): darknet-forward
# --upto N with --save-weights writes what darknet's `partial` writes;
# --partial reads a file that ends at a layer boundary (the rest as --random
# SEED makes it, images seen from 0); pipelines/train.sh -b FILE trains from
# one; --freeze N and stopbackward=1 keep the layers below untouched.
# The training runs use the micro YOLOv3-style net of test_train.sh.
. tests/stage/lib.sh
export OMP_NUM_THREADS=1
TO=120
TINY=tests/data/cfg/yolov3-tiny.cfg

# header fields: "major.minor.revision seen" (seen 64-bit, version >= 0.2)
header_of() {
  printf '%s.%s.%s %s' $(od -An -N12 -td4 --endian=little "$1") \
    "$(od -An -j12 -N8 -tu8 --endian=little "$1" | tr -d ' ')"
}
# the md5 of weights file $1's body from float $2 on, $3 floats (all: to the end)
body() {
  if [ -n "${3:-}" ]; then tail -c +$((21 + 4 * $2)) "$1" | head -c $((4 * $3)) | md5sum
  else tail -c +$((21 + 4 * $2)) "$1" | md5sum; fi
}

# --- 1. --upto: darknet's partial -------------------------------------------------
darknet-forward --quiet --cfg $TINY --random 7 --save-weights "$T/full.weights" < /dev/null
darknet-forward --quiet --cfg $TINY --weights "$T/full.weights" --upto 15 \
  --save-weights "$T/cut15.weights" < /dev/null
rc=$?
# yolov3-tiny's layers 0..14: convs 3->16, 16->32, .., 512->1024 (3x3) and
# 1024->256 (1x1), 256->512 (3x3), each with batch norm (4 floats a filter)
n15=0 c=3
for f in 16 32 64 128 256 512 1024; do n15=$((n15 + 4 * f + f * c * 9)); c=$f; done
n15=$((n15 + 4 * 256 + 256 * 1024 + 4 * 512 + 512 * 256 * 9))
check_eq "--upto 15: exit 0, header 0.2.0 with seen 0, $n15 floats (layers 0..14)" \
  "$rc $(header_of "$T/cut15.weights") $(( ($(stat -c %s "$T/cut15.weights") - 20) / 4 ))" \
  "0 0.2.0 0 $n15"
check "... its body is the first $n15 floats of the full file's" \
  test "$(body "$T/cut15.weights" 0)" = "$(body "$T/full.weights" 0 "$n15")"
if command -v darknet > /dev/null; then
  darknet partial $TINY "$T/full.weights" "$T/dn15.weights" 15 > /dev/null 2>&1
  check "... the same bytes as Debian's \`darknet partial $TINY full.weights out 15\`" \
    cmp -s "$T/dn15.weights" "$T/cut15.weights"
else
  skip "... the same bytes as Debian's darknet partial" "no darknet program (package darknet)"
fi
darknet-forward --quiet --cfg $TINY --weights "$T/full.weights" --upto 0 \
  --save-weights "$T/cut0.weights" < /dev/null
check_eq "--upto 0: the header alone" "$(stat -c %s "$T/cut0.weights")" 20

# --- 2. --partial ----------------------------------------------------------------
darknet-forward --cfg $TINY --weights "$T/cut15.weights" < /dev/null 2> "$T/err"
rc=$?
check_eq "without --partial a backbone is refused: exit 2" "$rc" 2
check_match "... the message names the layer it ends before and --partial" "$(cat "$T/err")" \
  "too short; it ends at the start of layer 15 .*--partial"
darknet-forward --cfg $TINY --weights "$T/cut15.weights" --partial --random 3 \
  --save-weights "$T/re.weights" < /dev/null 2> "$T/err"
rc=$?
check_eq "--partial --random 3: exit 0, says which layers came from where" \
  "$rc $(grep -c 'layers 0..14 from .*cut15.weights, 15..23 initialised (seed 3)' "$T/err")" "0 1"
darknet-forward --quiet --cfg $TINY --random 3 --save-weights "$T/r3.weights" < /dev/null
check "... layers 0..14 are the file's" test "$(body "$T/re.weights" 0 "$n15")" = "$(body "$T/cut15.weights" 0)"
check "... layers 15..23 those --random 3 makes" test "$(body "$T/re.weights" "$n15")" = "$(body "$T/r3.weights" "$n15")"
check_eq "... images seen start at 0" "$(header_of "$T/re.weights")" "0.2.0 0"
darknet-forward --cfg $TINY --weights "$T/cut15.weights" --partial \
  --save-weights "$T/re1.weights" < /dev/null 2> "$T/err"
darknet-forward --quiet --cfg $TINY --random 1 --save-weights "$T/r1.weights" < /dev/null
check "--partial without --random: the rest as --random 1" \
  test "$(body "$T/re1.weights" "$n15")" = "$(body "$T/r1.weights" "$n15")"
head -c $((20 + 4 * n15 + 400)) "$T/full.weights" > "$T/inside.weights"
darknet-forward --cfg $TINY --weights "$T/inside.weights" --partial < /dev/null 2> "$T/err"
rc=$?
check_eq "a file that ends inside a layer: still refused with --partial, exit 2" "$rc" 2
check_match "... naming the layer and the float" "$(cat "$T/err")" \
  "inside.weights: .*too short; it ends in layer 15 \(\[convolutional\], cfg line [0-9]+\), float 100 of"
{ cat "$T/full.weights"; head -c 8 /dev/zero; } > "$T/long.weights"
darknet-forward --cfg $TINY --weights "$T/long.weights" --partial < /dev/null 2> "$T/err"
rc=$?
check_eq "a file longer than the cfg needs: refused with --partial, exit 2" "$rc" 2
darknet-forward --cfg $TINY --weights "$T/full.weights" --partial --save-weights "$T/all.weights" \
  < /dev/null 2> "$T/err"
check_eq "--partial with a whole file: every layer from it, seen 0" \
  "$(grep -c 'all 24 layers from' "$T/err") $([ "$(body "$T/all.weights" 0)" = "$(body "$T/full.weights" 0)" ] && echo same) $(header_of "$T/all.weights")" \
  "1 same 0.2.0 0"

# usage errors: exit 1, nothing on stdout
usage() {
  local want=$1; shift
  darknet-forward "$@" < /dev/null > "$T/out" 2> "$T/err"
  local rc=$?
  check_eq "darknet-forward $*: exit 1, nothing on stdout, says '$want'" \
    "$rc $(wc -c < "$T/out") $(grep -c -- "$want" "$T/err")" "1 0 1"
}
usage "--partial goes with --weights" --cfg $TINY --random 1 --partial
usage "--upto N goes with --save-weights" --cfg $TINY --random 1 --upto 3
usage "--freeze" --cfg $TINY --random 1 --freeze 3
usage "not both" --cfg $TINY --weights "$T/cut15.weights" --partial --train --grad "$T/g" --resume
darknet-forward --cfg $TINY --random 1 --upto 99 --save-weights "$T/x.weights" < /dev/null 2> "$T/err"
rc=$?
check_eq "--upto 99 on a 24-layer net: exit 1, said, no file written" \
  "$rc $(grep -c 'upto 99: .* has 24 layers' "$T/err") $(ls "$T"/x.weights* 2> /dev/null | wc -l)" "1 1 0"

# --- 3. training: frozen layers, a backbone -----------------------------------------
net_cfg() {
  printf '[net]\nwidth=64\nheight=64\nchannels=3\nbatch=8\nsubdivisions=1\nlearning_rate=0.01\nmomentum=0.9\ndecay=0.0005\nmax_batches=1000\npolicy=constant\n'
  for f in 8 16 32; do
    printf '\n[convolutional]\nbatch_normalize=1\nfilters=%s\nsize=3\nstride=1\npad=1\nactivation=leaky\n' $f
    [ "$f" != 16 ] || printf '%b' "${1:-}"
    printf '\n[maxpool]\nsize=2\nstride=2\n'
  done
  printf '\n[convolutional]\nsize=1\nstride=1\npad=1\nfilters=30\nactivation=linear\n'
  printf '\n[yolo]\nmask=0,1,2\nanchors=10,10, 20,20, 36,32\nclasses=5\nnum=3\njitter=0\nignore_thresh=.7\n'
}
net_cfg > "$T/net.cfg"
net_cfg 'stopbackward=1\n' > "$T/stop.cfg"
net_cfg 'stopbackward=3\n' > "$T/stop3.cfg"
synth-voc --quiet --out "$T/d" --count 16 --size 64x64 --seed 5 --max-objects 2 \
  --min-size 0.2 --split-ratios 1,0,0
voc-parse --quiet --classes "$T/d/classes.names" "$T/d" > "$T/all.mp"
mkfifo "$T/g"
# train CFG OUT [darknet-forward options]: 4 steps of 8 from --random 1
train() {
  local cfg=$1 out=$2; shift 2
  encode-targets --quiet --cfg "$cfg" --epochs 2 --seed 1 < "$T/all.mp" |
    timeout $TO darknet-forward --quiet --cfg "$cfg" --train --grad "$T/g" \
      --checkpoint "$out" "$@" |
    timeout $TO yolo-loss --quiet > "$T/g"
}
darknet-forward --quiet --cfg "$T/net.cfg" --random 1 --save-weights "$T/init.weights" < /dev/null
# layers 0..3: conv 3->8 and 8->16 (3x3, batch norm: 4 floats a filter), maxpools
n4=$((4 * 8 + 8 * 3 * 9 + 4 * 16 + 16 * 8 * 9))
train "$T/net.cfg" "$T/free.weights" --random 1
train "$T/net.cfg" "$T/frozen.weights" --random 1 --freeze 4
train "$T/stop.cfg" "$T/stop.weights" --random 1
check "the runs trained: 4 steps each, 32 images seen" \
  test "$(header_of "$T/free.weights") $(header_of "$T/frozen.weights") $(header_of "$T/stop.weights")" = \
  "0.2.0 32 0.2.0 32 0.2.0 32"
check "--freeze 4: layers 0..3 bit for bit as they started (rolling statistics too)" \
  test "$(body "$T/frozen.weights" 0 "$n4")" = "$(body "$T/init.weights" 0 "$n4")"
if [ "$(body "$T/frozen.weights" "$n4")" = "$(body "$T/init.weights" "$n4")" ]; then
  fail "... the layers above moved (they did not)"
else
  ok "... the layers above moved (not the bytes they started with)"
fi
check "without --freeze, layers 0..3 moved" \
  test "$(body "$T/free.weights" 0 "$n4")" != "$(body "$T/init.weights" 0 "$n4")"
check "stopbackward=1 on layer 2 (the second conv) trains as --freeze 4: the same weights, bit for bit" \
  cmp -s "$T/stop.weights" "$T/frozen.weights"
# stopbackward=N > 1 (AlexeyAB's, yolov4-custom.cfg's 800): frozen for the
# first N steps, then trained
train "$T/stop3.cfg" "$T/s3.weights" --random 1 --max-batches 3
train "$T/net.cfg" "$T/f3.weights" --random 1 --freeze 4 --max-batches 3
check "stopbackward=3: its first 3 steps are --freeze 4's, bit for bit" cmp -s "$T/s3.weights" "$T/f3.weights"
train "$T/stop3.cfg" "$T/s4.weights" --random 1
check "... and step 4 trains layers 0..3 (they move)" \
  test "$(body "$T/s4.weights" 0 "$n4")" != "$(body "$T/init.weights" 0 "$n4")"
timeout $TO darknet-forward --cfg "$T/net.cfg" --random 1 --train --grad "$T/g" --freeze 9 \
  < "$T/all.mp" > "$T/out" 2> "$T/err"
rc=$?
check_eq "--freeze 9 on an 8-layer net: refused before it starts (exit 1), said, nothing on stdout" \
  "$rc $(grep -c '9 layers to freeze; the network has 8' "$T/err") $(wc -c < "$T/out")" "1 1 0"
printf '[net]\nwidth=64\nheight=64\nchannels=3\n\n[convolutional]\nfilters=6\nsize=1\nstopbackward=-1\n\n[yolo]\nmask=0\nanchors=1,1\nclasses=1\nnum=1\n' > "$T/bad.cfg"
darknet-forward --cfg "$T/bad.cfg" --random 1 < /dev/null 2> "$T/err"
rc=$?
check_eq "stopbackward=-1: a cfg error (exit 2) naming the line and the key" \
  "$rc $(grep -c 'bad.cfg:[0-9]*: \[convolutional\] stopbackward' "$T/err")" "2 1"

# a backbone through train.sh -b: seen and the schedule start at 0
darknet-forward --quiet --cfg "$T/net.cfg" --weights "$T/free.weights" --upto 4 \
  --save-weights "$T/bb.weights" < /dev/null
mkdir -p "$T/d/ImageSets/Main"
ls "$T/d/Annotations" | sed 's/\.xml$//' > "$T/d/ImageSets/Main/train.txt"
AUGMENT=--no-augment timeout $TO bash pipelines/train.sh -o "$T/tb" -b "$T/bb.weights" \
  "$T/d" "$T/net.cfg" --max-batches 2 > "$T/tb.out" 2> "$T/tb.err"
rc=$?
check_eq "train.sh -b BACKBONE: exit 0, 2 steps, seen 16 (from 0, not the backbone's run)" \
  "$rc $(header_of "$T/tb/weights")" "0 0.2.0 16"
check_match "... darknet-forward said which layers came from the backbone" "$(cat "$T/tb.err")" \
  "layers 0..3 from .*bb.weights, 4..7 initialised \(seed 1\)"
check_eq "... the log starts at step 1" "$(head -c 14 "$T/tb/log.jsonl")" '{"iteration":1'
timeout $TO bash pipelines/train.sh -o "$T/tb2" -b "$T/bb.weights" -w "$T/free.weights" \
  "$T/d" "$T/net.cfg" > /dev/null 2> "$T/err"
rc=$?
check_eq "train.sh -b with -w: exit 1, said" "$rc $(grep -c -- '-b .* -w' "$T/err")" "1 1"
done_testing
