# Multi-scale training (issue 7, darknet's random=1): encode-targets --sizes
# makes inputs and targets at a size drawn per block of --size-every records,
# and darknet-forward --train rebuilds its network at the size of each pass.
#   1. encode-targets --sizes 64,128 --size-every 8: every block of 8 records
#      one size of 64, 96, 128 (input, transform, target grids agree), each
#      record the bytes --width S --height S makes; the same bytes for the
#      same seed; the default block is 10 x the cfg's batch; --sizes 64,64
#      gives the bytes of no --sizes;
#   2. the usage errors (exit 1) and a [connected] cfg (exit 2);
#   3. a short training run changing size every 2 steps: exit 0, every step
#      logged, --resume goes on, the checkpoint loads at 64, 96 and 128;
#      pipelines/train.sh -m;
#   4. a pass of two sizes, a [connected] net given another size: exit 2.
# The network is a micro YOLOv3-style cfg: 64x64, three convolutions and
# maxpools, [yolo] heads on 8x8 and (through route and upsample) 16x16 grids.
. tests/stage/lib.sh
PY=/usr/bin/python3
TO=120
export OMP_NUM_THREADS=1
mkfifo "$T/g"

net_cfg() {   # $1: the [net] training keys
  printf '[net]\nwidth=64\nheight=64\nchannels=3\n%b\n' "$1"
  for f in 8 16 32; do   # layers 0..5: strides 1, 2, 4, 8
    printf '[convolutional]\nbatch_normalize=1\nfilters=%s\nsize=3\npad=1\nactivation=leaky\n' $f
    printf '[maxpool]\nsize=2\nstride=2\n'
  done
  yolo='[convolutional]\nsize=1\nfilters=30\nactivation=linear\n[yolo]\nmask=%s\nclasses=5\nnum=6\nanchors=%s\njitter=0\n'
  a='5,5, 8,8, 12,12, 10,10, 20,20, 36,32'
  printf "$yolo" 3,4,5 "$a"                                 # 6, 7: the 8x8 head (stride 8)
  printf '[route]\nlayers=-3\n[convolutional]\nfilters=8\nsize=1\nactivation=leaky\n'
  printf '[upsample]\nstride=2\n[route]\nlayers=-1,3\n'    # 8..11: 5's, up to 3's stride 4
  printf "$yolo" 0,1,2 "$a"                                 # 12, 13: the 16x16 head
}
net_cfg 'batch=4\nsubdivisions=2\nlearning_rate=0.001\nmomentum=0.9\ndecay=0.0005\nmax_batches=1000\npolicy=constant' > "$T/net.cfg"
# per record "input-side transform-side 8x-the-first-grid's-side" (the second grid
# twice the first), one line each
sizes() {
  $PY -c "
import sys, msgpack
for r in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    s, t, g = r['input']['shape'], r['transform'], [x['shape'] for x in r['target']]
    assert s[1] == s[2] and g[0][1] == g[0][2] and g[1][1:] == [2 * g[0][1]] * 2, (s, g)
    print(s[1], t['net_w'], g[0][1] * 8)
"
}
# the sizes of blocks of $1 lines: one "size" per block when every line of
# it is "S S S" with the same S, else "mixed"
blocks() {
  awk -v n="$1" '{ b = int((NR - 1) / n); if ($1 != $2 || $1 != $3) bad[b] = 1
                   if (b in s && s[b] != $1) bad[b] = 1; s[b] = $1; last = b }
                 END { for (i = 0; i <= last; i++) printf "%s%s", i ? " " : "", (i in bad) ? "mixed" : s[i] }'
}

synth-voc --quiet --out "$T/d" --count 16 --size 64x64 --seed 5 --max-objects 2 \
  --min-size 0.2 --split-ratios 1,0,0
voc-parse --quiet --classes "$T/d/classes.names" "$T/d" > "$T/all.mp"

# --- 1. sizes in blocks ------------------------------------------------------------
enc() { encode-targets --quiet --cfg "$T/net.cfg" "$@"; }
enc --sizes 64,128 --size-every 8 --epochs 3 --seed 3 "$T/all.mp" > "$T/s3.mp"
echo $? > "$T/rc"
sizes < "$T/s3.mp" > "$T/s3.txt"
b=$(blocks 8 < "$T/s3.txt")
check_eq "--sizes 64,128 --size-every 8 on 48 records: exit 0, 48 records" \
  "$(cat "$T/rc") $(wc -l < "$T/s3.txt" | tr -d ' ')" "0 48"
check_match "... 6 blocks of 8, each one size of 64, 96, 128 (input, transform, grids): $b" \
  "$b" '^((64|96|128) ){5}(64|96|128)$'
check "... more than one size drawn" test "$(echo "$b" | tr ' ' '\n' | sort -u | wc -l)" -gt 1
for s in 64 96 128; do
  enc --width $s --height $s --epochs 3 --seed 3 "$T/all.mp" > "$T/fixed$s.mp"
done
check_eq "... each record the bytes encode-targets --width S --height S makes at its size" "$($PY -c "
import sys, msgpack
def recs(p): return [msgpack.packb(r) for r in msgpack.Unpacker(open(p, 'rb'), raw=False)]
ms, fixed = recs(sys.argv[1]), {s: recs(sys.argv[2] + str(s) + '.mp') for s in (64, 96, 128)}
sides = [r['input']['shape'][1] for r in msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False)]
print(sum(ms[k] == fixed[sides[k]][k] for k in range(len(ms))))
" "$T/s3.mp" "$T/fixed")" 48
enc --sizes 64,128 --size-every 8 --epochs 3 --seed 3 "$T/all.mp" > "$T/s3b.mp"
check "... the same seed: the same bytes" cmp -s "$T/s3.mp" "$T/s3b.mp"
enc --sizes 64,128 --size-every 8 --epochs 3 --seed 4 "$T/all.mp" | sizes > "$T/s4.txt"
check "... another seed: other sizes" sh -c "! cmp -s $T/s3.txt $T/s4.txt"
enc --sizes 64,128 --epochs 3 --seed 3 "$T/all.mp" | sizes > "$T/def.txt"
b=$(blocks 40 < "$T/def.txt")
check_match "... by default blocks of 10 x the cfg's batch 4 = 40 records: $b" "$b" \
  '^(64|96|128) (64|96|128)$'
enc --epochs 2 --seed 3 "$T/all.mp" > "$T/plain.mp"
enc --sizes 64,64 --epochs 2 --seed 3 "$T/all.mp" > "$T/s64.mp"
check "--sizes 64,64 gives the bytes of no --sizes at the cfg's 64" cmp -s "$T/plain.mp" "$T/s64.mp"

# --- 2. usage errors, a [connected] cfg --------------------------------------------
usage() {   # DESC PATTERN ARGS...
  d=$1 p=$2; shift 2
  encode-targets --cfg "$T/net.cfg" "$@" < "$T/all.mp" > "$T/u.out" 2> "$T/u.err"
  rc=$?
  check_eq "usage: $d: exit 1, nothing written" "$rc $(wc -c < "$T/u.out" | tr -d ' ')" "1 0"
  check_match "... the message: $(head -1 "$T/u.err")" "$(cat "$T/u.err")" "$p"
}
usage "--sizes 60,128" "multiples of 32" --sizes 60,128
usage "--sizes 128,64 (MIN > MAX)" "sizes" --sizes 128,64
usage "--sizes 0,64" "sizes" --sizes 0,64
usage "--sizes 64,x" "sizes" --sizes 64,x
usage "--sizes 64,8192" "sizes" --sizes 64,8192
usage "--size-every 0" "size-every" --sizes 64,128 --size-every 0
usage "--size-every without --sizes" "--size-every needs --sizes" --size-every 8
usage "--sizes with --width" "not with --width" --sizes 64,128 --width 96
{ printf '[net]\nwidth=128\nheight=128\nchannels=3\n'
  for i in 1 2 3 4 5 6; do
    printf '\n[convolutional]\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=leaky\n'; done
  printf '\n[convolutional]\nsize=1\nstride=1\npad=1\nfilters=30\nactivation=linear\n'
  printf '\n[yolo]\nmask=0,1,2\nanchors=10,10, 20,20, 36,32\nclasses=5\nnum=3\n'; } > "$T/s64.cfg"
encode-targets --cfg "$T/s64.cfg" --sizes 64,128 < "$T/all.mp" > "$T/u.out" 2> "$T/u.err"
check_eq "a net downsampling by 64 with --sizes 64,128 (96 is no multiple): exit 1" "$?" 1
check_match "... the message: $(cat "$T/u.err")" "$(cat "$T/u.err")" "at 96x96 .* downsamples by 64x64"
{ printf '[net]\nwidth=64\nheight=64\nchannels=3\nbatch=2\nsubdivisions=1\nlearning_rate=0.001\nmax_batches=10\n'
  printf '\n[convolutional]\nfilters=4\nsize=3\nstride=4\npad=1\nactivation=leaky\n'
  printf '\n[connected]\noutput=30\nactivation=linear\n'
  printf '\n[yolo]\nmask=0,1,2\nanchors=10,10, 20,20, 36,32\nclasses=5\nnum=3\n'; } > "$T/fc.cfg"
encode-targets --cfg "$T/fc.cfg" --sizes 64,128 < "$T/all.mp" > "$T/u.out" 2> "$T/u.err"
check_eq "a [connected] cfg with --sizes: exit 2, nothing written" \
  "$? $(wc -c < "$T/u.out" | tr -d ' ')" "2 0"
check_match "... the message: $(cat "$T/u.err")" "$(cat "$T/u.err")" \
  "fc.cfg:[0-9]+: layer 1 \[connected\]: its parameters depend on the input size"

# --- 3. training, a new size every 2 steps -------------------------------------------
# batch 4 in passes of 2, --size-every 8 records = 2 steps; 32 records: 8 steps
enc --sizes 64,128 --size-every 8 --epochs 2 --shuffle --seed 3 "$T/all.mp" > "$T/tr.mp"
tb=$(sizes < "$T/tr.mp" | blocks 8)
check "the training stream has more than one size ($tb)" \
  test "$(echo "$tb" | tr ' ' '\n' | sort -u | wc -l)" -gt 1
{ timeout $TO darknet-forward --quiet --cfg "$T/net.cfg" --random 1 --train --grad "$T/g" \
    --log "$T/log.jsonl" --checkpoint "$T/ck.weights" < "$T/tr.mp" 2> "$T/err"
  echo $? > "$T/rc1"; } | { timeout $TO yolo-loss --quiet > "$T/g"; echo $? > "$T/rc2"; }
check_eq "encode-targets --sizes | darknet-forward --train | yolo-loss: exit 0 0, quiet" \
  "$(cat "$T/rc1" "$T/rc2" | tr '\n' ' ')$(cat "$T/err")" "0 0 "
check_eq "... the log goes on through the sizes: steps 1..8, seen 4..32" \
  "$(jq -r '"\(.iteration):\(.seen)"' "$T/log.jsonl" | tr '\n' ' ')" \
  "1:4 2:8 3:12 4:16 5:20 6:24 7:28 8:32 "
check_eq "... every step's loss finite" "$(jq -r '.loss.total | isnormal' "$T/log.jsonl" | sort -u)" true
enc --sizes 64,128 --size-every 4 --seed 5 "$T/all.mp" > "$T/more.mp"
{ timeout $TO darknet-forward --quiet --cfg "$T/net.cfg" --weights "$T/ck.weights" --resume \
    --max-batches 10 --train --grad "$T/g" --log "$T/log.jsonl" --checkpoint "$T/ck.weights" \
    < "$T/more.mp" 2> "$T/err"; echo $? > "$T/rc1"; } | { timeout $TO yolo-loss --quiet > "$T/g"; }
check_eq "--resume from it, 2 more steps at sizes $(sizes < "$T/more.mp" | cut -d' ' -f1 | sed -n '1p;5p' | tr '\n' ' ')(passes of 2 records): exit 0, the log goes on 9:36 10:40" \
  "$(cat "$T/rc1") $(jq -r '"\(.iteration):\(.seen)"' "$T/log.jsonl" | tail -3 | tr '\n' ' ')$(cat "$T/err")" "0 8:32 9:36 10:40 "
for s in 64 96 128; do
  darknet-forward --quiet --cfg "$T/net.cfg" --weights "$T/ck.weights" --width $s --height $s \
    "$T/all.mp" > "$T/o.mp" 2> "$T/err"
  check_eq "the checkpoint loads and runs at ${s}x$s" "$? $(cat "$T/err")" "0 "
done

# pipelines/train.sh -m: 12 steps of 4 cross the default block of 10 steps
OMP_NUM_THREADS=1 timeout $TO bash pipelines/train.sh -o "$T/run" -m 64,128 "$T/d" "$T/net.cfg" \
  --max-batches 12 > /dev/null 2> "$T/err"
check_match "train.sh -m 64,128 --max-batches 12: exit 0, 12 steps" "$? $(tr '\n' ' ' < "$T/err")" \
  "^0 (train.sh: anchors fit the data: best possible recall 1\.0000 >= 0\.98 \([^)]*\) )?darknet-forward: 12 steps \(0 to 12\), 48 images seen.*train.sh: weights in"
tb=$(voc-parse --quiet --split train --classes "$T/d/classes.names" "$T/d" |
  enc --sizes 64,128 --seed 1 --epochs 3 --shuffle | sizes | blocks 40)
check_match "... its stream (seed 1) changes size at step 11: $tb" "$tb" '^(64 (96|128)|96 (64|128)|128 (64|96))$'
check_eq "... 12 steps logged" "$(jq -r .iteration "$T/run/log.jsonl" | tr '\n' ' ')" \
  "1 2 3 4 5 6 7 8 9 10 11 12 "
timeout $TO bash pipelines/train.sh -o "$T/run2" -m 64,100 "$T/d" "$T/net.cfg" \
  --max-batches 2 > /dev/null 2> "$T/err"
check_match "train.sh -m 64,100: fails with encode-targets' usage error" \
  "$? $(tr '\n' ' ' < "$T/err")" "^[1-9][0-9]* .*multiples of 32.*train.sh: failed"

# --- 4. refusals: a pass of two sizes, a [connected] net --------------------------------
enc "$T/all.mp" > "$T/a64.mp"
enc --width 96 --height 96 "$T/all.mp" > "$T/a96.mp"
$PY -c "
import sys, msgpack
a = list(msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False))
b = list(msgpack.Unpacker(open(sys.argv[2], 'rb'), raw=False))
open(sys.argv[3], 'wb').write(b''.join(msgpack.packb(r) for r in a[:3] + b[:1]))
" "$T/a64.mp" "$T/a96.mp" "$T/mixed.mp"
{ timeout $TO darknet-forward --quiet --cfg "$T/net.cfg" --random 1 --train --grad "$T/g" \
    < "$T/mixed.mp" 2> "$T/err"; echo $? > "$T/rc1"; } | { timeout $TO yolo-loss --quiet > "$T/g"; }
check_eq "records 2 (64x64) and 3 (96x96) in one pass of 2: exit 2" "$(cat "$T/rc1")" 2
check_match "... naming record 3 and --size-every: $(cat "$T/err")" "$(cat "$T/err")" \
  "record 3: key 'input': 96x96, but record 2 of the same pass is 64x64.*--size-every must be a multiple of 2"
enc --sizes 64,128 --size-every 1 --seed 3 "$T/all.mp" > "$T/every1.mp"
{ timeout $TO darknet-forward --quiet --cfg "$T/net.cfg" --random 1 --train --grad "$T/g" \
    < "$T/every1.mp" 2> "$T/err"; echo $? > "$T/rc1"; } | { timeout $TO yolo-loss --quiet > "$T/g"; }
check_eq "--size-every 1 with passes of 2: exit 2 (sizes $(sizes < "$T/every1.mp" | cut -d' ' -f1 | head -4 | tr '\n' ' '))" \
  "$(cat "$T/rc1")" 2
check_match "... the message says --size-every" "$(cat "$T/err")" "must be a multiple of 2"
encode-targets --quiet --cfg "$T/fc.cfg" --width 96 --height 96 "$T/all.mp" > "$T/fc96.mp"
{ timeout $TO darknet-forward --quiet --cfg "$T/fc.cfg" --random 1 --train --grad "$T/g" \
    < "$T/fc96.mp" 2> "$T/err"; echo $? > "$T/rc1"; } | { timeout $TO yolo-loss --quiet > "$T/g"; }
check_eq "a [connected] net (64x64) given 96x96 inputs in training: exit 2" "$(cat "$T/rc1")" 2
check_match "... the message: $(cat "$T/err")" "$(cat "$T/err")" \
  "layer 1 \[connected\]: its parameters depend on the input size"
darknet-forward --quiet --cfg "$T/net.cfg" --random 1 "$T/a96.mp" > /dev/null 2> "$T/err"
check_eq "inference keeps its size: a 96x96 input to the 64x64 net, exit 2" "$?" 2
check_match "... the message: $(head -1 "$T/err")" "$(cat "$T/err")" "expected f32 \[3,64,64\]"

done_testing
