# darknet-forward in real pipes: the output and transform keys as
# docs/records.md section 5 defines them for each head type, letterbox and
# resize, batches, weights saved and read back, records carrying `input`,
# and every bad input: missing or corrupt images, wrong tensors, short
# weights, cfg typos. The numbers themselves are checked against libdarknet
# by tests/unit/test_network.c (and live by `make check-darknet`); here the
# stage's outputs are compared with each other.
. tests/stage/lib.sh
DATA="$(cd "$(dirname "$0")/../data" && pwd)"
CFGS="$DATA/cfg"
IM="$DATA/images" # dog.jpg 768x576, synth-773x512.jpg and three more
PY=/usr/bin/python3
TINY="$CFGS/yolov2-tiny-voc.cfg"
image-list "$IM/dog.jpg" "$IM/synth-773x512.jpg" > "$T/two.mp"
# seeded random weights, saved once (making them is the slow part); DF reads them
darknet-forward --quiet --cfg "$TINY" --random 1 --width 96 --height 96 \
  --save-weights "$T/w.weights" "$T/two.mp" > "$T/random.mp"
DF="darknet-forward --quiet --cfg $TINY --weights $T/w.weights --width 96 --height 96"

# --- the keys, for a region head, letterboxed --------------------------------
$DF "$T/two.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_eq "yolov2-tiny-voc at 96x96 on two images: exit 0, quiet" "$rc $(cat "$T/err")" "0 "
cat > "$T/show.py" <<'EOF'
import sys, msgpack, numpy as np
for r in msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False):
    out = []
    for h in r.get('output', []):
        t = h['tensor']
        a = np.frombuffer(t['data'], '<f4')
        meta = {k: v for k, v in h.items() if k != 'tensor'}
        out.append('%s %s %s finite=%d %s' % (h['type'], t['dtype'], t['shape'],
                   np.isfinite(a).all() and a.size == np.prod(t['shape']), sorted(meta.items())))
    tf = r.get('transform')
    tfs = '' if tf is None else ' '.join('%s=%.6g' % (k, tf[k]) for k in ('net_w', 'net_h', 'sx', 'sy', 'dx', 'dy'))
    print(r.get('id'), '|', ' ; '.join(out), '|', tfs, '|', r.get('error', ''))
EOF
$PY "$T/show.py" "$T/out.mp" > "$T/shown"
anchors="('anchors', [1.0800000429153442, 1.190000057220459, 3.4200000762939453, 4.409999847412109, 6.630000114440918, 11.380000114440918, 9.420000076293945, 5.110000133514404, 16.6200008392334, 10.520000457763672])"
check_eq "region head: raw [125,3,3] tensor and what decoding needs; letterbox transform" "$(cat "$T/shown")" \
"dog | region f32 [125, 3, 3] finite=1 [$anchors, ('classes', 20), ('coords', 4), ('net_h', 96), ('net_w', 96), ('num', 5), ('softmax', True), ('type', 'region')] | net_w=96 net_h=96 sx=0.125 sy=0.125 dx=0 dy=12 | 
synth-773x512 | region f32 [125, 3, 3] finite=1 [$anchors, ('classes', 20), ('coords', 4), ('net_h', 96), ('net_w', 96), ('num', 5), ('softmax', True), ('type', 'region')] | net_w=96 net_h=96 sx=0.124191 sy=0.123047 dx=0 dy=16 | "

$DF --resize "$T/two.mp" > "$T/resized.mp"
check_eq "--resize: a stretch, no offset" "$($PY "$T/show.py" "$T/resized.mp" | cut -d'|' -f1,3)" \
"dog | net_w=96 net_h=96 sx=0.125 sy=0.166667 dx=0 dy=0 
synth-773x512 | net_w=96 net_h=96 sx=0.124191 sy=0.1875 dx=0 dy=0 "
check "--resize gives other numbers than --letterbox" sh -c "! cmp -s $T/out.mp $T/resized.mp"
$DF --letterbox "$T/two.mp" > "$T/lb.mp"
check "--letterbox is the default" cmp -s "$T/out.mp" "$T/lb.mp"

# --- batches: the same bytes whatever the batch -------------------------------
image-list "$IM" > "$T/five.mp"
$DF "$T/five.mp" > "$T/b1.mp"
$DF --batch 2 "$T/five.mp" > "$T/b2.mp"
$DF --batch 8 "$T/five.mp" > "$T/b8.mp"
check "--batch 2 (a partial last batch) gives the bytes of --batch 1" cmp -s "$T/b1.mp" "$T/b2.mp"
check "--batch 8 (more than the records) likewise" cmp -s "$T/b1.mp" "$T/b8.mp"

# --- Winograd (the default) and the direct path -------------------------------
$DF --conv direct "$T/five.mp" > "$T/direct.mp"
$DF --conv direct --batch 3 "$T/five.mp" > "$T/direct3.mp"
check "--conv direct: its own bytes, the same at --batch 3" sh -c "! cmp -s $T/b1.mp $T/direct.mp && cmp -s $T/direct.mp $T/direct3.mp"
cat > "$T/agree.py" <<'EOF'
import sys, msgpack, numpy as np
def heads(p):
    return [np.frombuffer(h['tensor']['data'], '<f4') for r in msgpack.Unpacker(open(p, 'rb'), raw=False) for h in r['output']]
a, b = heads(sys.argv[1]), heads(sys.argv[2])
print(len(a), max(float(np.abs(x - y).max() / np.abs(y).max()) for x, y in zip(a, b)) <= 1e-5)
EOF
check_eq "Winograd's heads agree with the direct path's to 1e-5 relative (five images)" \
  "$($PY "$T/agree.py" "$T/b1.mp" "$T/direct.mp")" "5 True"
$DF --wino-mem 0 "$T/five.mp" > "$T/wm0.mp"
check "--wino-mem 0: the direct path's bytes" cmp -s "$T/direct.mp" "$T/wm0.mp"
$DF --wino-mem 1 "$T/five.mp" > "$T/wm1.mp"
check_eq "--wino-mem 1 (some layers each way): heads agree with the direct path's to 1e-5" \
  "$($PY "$T/agree.py" "$T/wm1.mp" "$T/direct.mp")" "5 True"
check "--wino-mem 1 gives other bytes than either extreme" \
  sh -c "! cmp -s $T/wm1.mp $T/direct.mp && ! cmp -s $T/wm1.mp $T/b1.mp"
check_eq "--summary names the layers by Winograd, the largest maps first within --wino-mem" \
  "$(for m in 0 1 2 1000; do darknet-forward --cfg "$TINY" --summary --wino-mem $m | grep -c '^winograd:'; darknet-forward --cfg "$TINY" --summary --wino-mem $m | sed -n 's/^winograd: //p'; done | tr '\n' '|')" \
  "0|1|2 4|1|2 4 6|1|2 4 6 8 10 12 13|"
darknet-forward --cfg "$TINY" --summary --wino-mem -1 > "$T/o" 2> "$T/err"; rc=$?
check_match "--wino-mem -1: usage error, exit 1, nothing on stdout" "$rc $(wc -c < "$T/o")$(cat "$T/err")" \
  "^1 0darknet-forward: option --wino-mem: '-1' is not an integer in \[0, "
$DF --conv fast "$T/two.mp" > "$T/o" 2> "$T/err"; rc=$?
check_match "--conv fast: usage error, exit 1, nothing on stdout" "$rc $(wc -c < "$T/o")$(cat "$T/err")" \
  "^1 0darknet-forward: --conv: 'winograd' or 'direct', not 'fast'"
check_match "--summary counts Winograd's memory, none with --conv direct" \
  "$(darknet-forward --cfg "$TINY" --summary | grep memory; darknet-forward --cfg "$TINY" --summary --conv direct | grep memory)" \
  "Winograd's weights and workspace [1-9][0-9.]*\) at batch 1
.*Winograd's weights and workspace 0.0\) at batch 1"
darknet-forward --cfg "$TINY" --weights "$T/w.weights" --width 96 --height 96 "$T/five.mp" 2> "$T/err" > /dev/null
check_match "without --quiet: the unused cfg keys" "$(head -1 "$T/err")" \
  "23 cfg keys not used by inference \(\[net\] batch, .*--summary lists them"
check_match "... and the time per image, also without the first pass (it warms up)" \
  "$(tail -1 "$T/err")" \
  "^darknet-forward: 5 images; network [0-9.]+ ms/image \(0\.[0-9]+ BFLOPs, [0-9.]+ GFLOP/s, kernels (generic|avx2|avx512)\); after the first pass [0-9.]+ ms/image$"
darknet-forward --cfg "$TINY" --weights "$T/w.weights" --width 96 --height 96 --batch 8 "$T/five.mp" 2> "$T/err" > /dev/null
check_match "one pass (--batch 8, five images): no figure without it" "$(tail -1 "$T/err")" \
  "^darknet-forward: 5 images; network [0-9.]+ ms/image \(0\.[0-9]+ BFLOPs, [0-9.]+ GFLOP/s, kernels ${YOLO_ISA:-[a-z0-9]+}\)$"

# --- weights: saved from --random, read back ---------------------------------
np=$(darknet-forward --cfg "$TINY" --summary | sed -n 's/.* BFLOPs, \([0-9]*\) parameters.*/\1/p')
check_eq "--save-weights: header (20 bytes) and every parameter" "$(wc -c < "$T/w.weights" | tr -d ' ')" "$((20 + 4 * np))"
check "--weights of the saved file: the same output as --random" cmp -s "$T/out.mp" "$T/random.mp"
head -c $((20 + 4 * np - 8)) "$T/w.weights" > "$T/short.weights"
darknet-forward --cfg "$TINY" --weights "$T/short.weights" "$T/two.mp" > "$T/o" 2> "$T/err"; rc=$?
check_match "a short weights file: exit 2, the counts, nothing on stdout" "$rc $(wc -c < "$T/o")$(cat "$T/err")" \
  "^2 0darknet-forward: .*short.weights.* $np.* $((np - 2))"
darknet-forward --cfg "$TINY" --random 1 --save-weights "$T/no/dir/w.weights" "$T/two.mp" > "$T/o" 2> "$T/err"; rc=$?
check_match "--save-weights into a missing folder: exit 3 naming the file, nothing on stdout" \
  "$rc $(wc -c < "$T/o")$(cat "$T/err")" "^3 0darknet-forward: $T/no/dir/w.weights.tmp: No such file or directory"
darknet-forward --cfg "$TINY" --weights "$T/none.weights" "$T/two.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "a missing weights file: exit 3 naming it" "$rc $(cat "$T/err")" "^3 darknet-forward: .*none.weights"

# --- yolo heads (v3) and a detection head (v1) -------------------------------
darknet-forward --quiet --cfg "$CFGS/yolov3-tiny.cfg" --random 2 --width 96 --height 96 "$T/two.mp" > "$T/v3.mp"
check_eq "yolov3-tiny: two yolo heads with their masks, all six anchors" \
  "$($PY "$T/show.py" "$T/v3.mp" 2>/dev/null | head -1 | cut -d'|' -f2)" \
  " yolo f32 [255, 3, 3] finite=1 [('anchors', [10.0, 14.0, 23.0, 27.0, 37.0, 58.0, 81.0, 82.0, 135.0, 169.0, 344.0, 319.0]), ('classes', 80), ('coords', 4), ('mask', [3, 4, 5]), ('net_h', 96), ('net_w', 96), ('num', 6), ('type', 'yolo')] ; yolo f32 [255, 6, 6] finite=1 [('anchors', [10.0, 14.0, 23.0, 27.0, 37.0, 58.0, 81.0, 82.0, 135.0, 169.0, 344.0, 319.0]), ('classes', 80), ('coords', 4), ('mask', [0, 1, 2]), ('net_h', 96), ('net_w', 96), ('num', 6), ('type', 'yolo')] "
darknet-forward --quiet --cfg "$CFGS/yolov1-tiny.cfg" --random 3 --width 64 --height 64 "$T/two.mp" > "$T/v1.mp"
check_eq "yolov1-tiny: one flat detection tensor, side and sqrt" \
  "$($PY "$T/show.py" "$T/v1.mp" 2>/dev/null | head -1 | cut -d'|' -f2)" \
  " detection f32 [1470] finite=1 [('classes', 20), ('coords', 4), ('net_h', 64), ('net_w', 64), ('num', 2), ('side', 7), ('softmax', False), ('sqrt', True), ('type', 'detection')] "

# --- records that carry `input` ----------------------------------------------
cat > "$T/inputs.py" <<'EOF'
import sys, msgpack, numpy as np
rng = np.random.default_rng(5)
out = open(sys.argv[1], 'wb')
for i, shape in enumerate(eval(sys.argv[2])):
    a = rng.random(shape, dtype=np.float32)
    out.write(msgpack.packb({'id': 'in%d' % i, 'input': {'dtype': 'f32', 'shape': list(shape), 'data': a.astype('<f4').tobytes()}}))
EOF
$PY "$T/inputs.py" "$T/in.mp" "[(3,96,96), (3,96,96)]"
$DF "$T/in.mp" > "$T/o.mp"; rc=$?
check_eq "records with input: run as given, no transform added" "$rc $($PY "$T/show.py" "$T/o.mp" | sed 's/| region f32 \[125, 3, 3\] finite=1 .*softmax.* |  |/| region |  |/' | tr '\n' '~')" "0 in0 | region |  | ~in1 | region |  | ~"
$PY "$T/inputs.py" "$T/bad.mp" "[(3,96,96), (3,64,64), (3,96,96)]"
$DF --batch 3 "$T/bad.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_eq "an input of the wrong shape: exit 2, naming the record and key" "$rc $(cat "$T/err")" \
  "2 darknet-forward: $T/bad.mp: record 1: key 'input': expected f32 [3,96,96] (the network's input), got f32 [3,64,64]"
check_eq "... the record before it written whole (same batch)" "$($PY "$T/show.py" "$T/o.mp" | cut -d'|' -f1)" "in0 "

# --- bad images: error and flow on; --strict stops ---------------------------
head -c 3000 "$IM/dog.jpg" > "$T/cut.jpg"   # cut inside its header
image-list "$IM/dog.jpg" > "$T/m.mp"
$PY - "$T/m.mp" "$T/cut.jpg" <<'EOF' >> "$T/m.mp"
import sys, msgpack
w = sys.stdout.buffer
w.write(msgpack.packb({'id': 'gone', 'image': '/no/such/file.jpg'}))
w.write(msgpack.packb({'id': 'cut', 'image': sys.argv[2]}))
w.write(msgpack.packb({'id': 'old', 'error': 'voc-parse: earlier trouble', 'extra': [1, 2.5]}))
w.write(msgpack.packb({'id': 'bare'}))
EOF
image-list "$IM/synth-773x512.jpg" >> "$T/m.mp"
$DF --batch 4 "$T/m.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_eq "missing, corrupt, image-less records: exit 0, each gets error, the rest run" \
  "$rc $($PY "$T/show.py" "$T/o.mp" | sed 's/| region.*|/| output |/' | tr '\n' '~')" \
  "0 dog | output | ~gone |  |  | darknet-forward: $T/m.mp: record 1: key 'image': /no/such/file.jpg: No such file or directory~cut |  |  | darknet-forward: $T/m.mp: record 2: key 'image': $T/cut.jpg: not a readable JPEG (it ends before its frame header gives a size)~old |  |  | voc-parse: earlier trouble~bare |  |  | darknet-forward: $T/m.mp: record 4: key 'image': the record has no 'image'~synth-773x512 | output | ~"
darknet-forward --cfg "$TINY" --weights "$T/w.weights" --width 96 --height 96 --batch 4 "$T/m.mp" 2>&1 > /dev/null | grep -v "cfg keys\|ms/image" > "$T/err"
check_match "... each warned, one closing count" "$(cat "$T/err")" \
  "record 1: key 'image': .*: passed on with 'error'.*
.*cut.jpg.*
.*record 4.*
darknet-forward: 3 records not run$"
$PY - "$T/m.mp" "$T/o.mp" <<'EOF' > "$T/same"
import sys, msgpack
a = [msgpack.packb(r) for r in msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False)]
b = [msgpack.packb(r) for r in msgpack.Unpacker(open(sys.argv[2], 'rb'), raw=False)]
print(a[3] == b[3])
EOF
check_eq "a record that had error: passed on unchanged" "$(cat "$T/same")" "True"
$DF --strict --batch 4 "$T/m.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_eq "--strict: exit 2 at the missing image, the record before it written" \
  "$rc $($PY "$T/show.py" "$T/o.mp" | cut -d'|' -f1) $(cat "$T/err")" \
  "2 dog  darknet-forward: $T/m.mp: record 1: key 'image': /no/such/file.jpg: No such file or directory (an error with --strict)"
# a truncated JPEG (no end marker; viewers show it, the missing rows grey):
# run, warned about once per image however often it comes
head -c 30000 "$IM/dog.jpg" > "$T/trunc.jpg"
$PY - "$T/trunc.jpg" <<'EOF' > "$T/t.mp"
import sys, msgpack
for i in ('t1', 't2'):
    sys.stdout.buffer.write(msgpack.packb({'id': i, 'image': sys.argv[1]}))
EOF
image-list "$IM/dog.jpg" >> "$T/t.mp"
darknet-forward --cfg "$TINY" --weights "$T/w.weights" --width 96 --height 96 --batch 2 "$T/t.mp" \
  > "$T/o.mp" 2> "$T/err"; rc=$?
check_eq "a truncated JPEG, twice: exit 0, both run" \
  "$rc $($PY "$T/show.py" "$T/o.mp" | sed 's/| region.*|/| output |/' | tr '\n' '~')" \
  "0 t1 | output | ~t2 | output | ~dog | output | ~"
check_match "... one warning: the file, truncated, the missing rows grey; one closing count" \
  "$(grep -v "cfg keys\|ms/image" "$T/err" | tr '\n' '|')" \
  "^darknet-forward: $T/t.mp: record 0: key 'image': $T/trunc.jpg: truncated or corrupt JPEG \(libjpeg-turbo: Premature end of JPEG file\): decoded as viewers show it, the rows it could not read grey \(the last [0-9]+ of 576\): kept\|darknet-forward: 2 truncated or corrupt images decoded \(1 repeated, warned about once\)\|$"
$DF --strict "$T/t.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_match "--strict: a truncated JPEG is an error (exit 2) naming the file" "$rc $(cat "$T/err")" \
  "^2 darknet-forward: $T/t.mp: record 0: key 'image': $T/trunc.jpg: truncated or corrupt JPEG .*Premature end of JPEG file.* \(an error with --strict\)$"
printf '\201\245image\007' > "$T/badtype.mp"
$DF "$T/badtype.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "image that is not a string: exit 2" "$rc $(cat "$T/err")" "^2 darknet-forward: .*record 0: key 'image'"

# --- EXIF orientation: not applied (documented); the stored frame is used ----
$PY - "$IM/dog.jpg" "$T/rot.jpg" <<'EOF'
import sys, struct
j = open(sys.argv[1], 'rb').read()
# APP1 Exif, little-endian TIFF, one IFD entry: Orientation (0x112) = 6
tiff = b'II*\x00' + struct.pack('<I', 8) + struct.pack('<H', 1) + struct.pack('<HHIHH', 0x112, 3, 1, 6, 0) + struct.pack('<I', 0)
app1 = b'Exif\x00\x00' + tiff
open(sys.argv[2], 'wb').write(j[:2] + b'\xff\xe1' + struct.pack('>H', len(app1) + 2) + app1 + j[2:])
EOF
image-list "$T/rot.jpg" > "$T/rot.mp"
$DF "$T/rot.mp" > "$T/o.mp"
check_eq "EXIF orientation 6: the pixels as stored (768x576), as image-list's size" \
  "$($PY "$T/show.py" "$T/o.mp" | cut -d'|' -f3)" " net_w=96 net_h=96 sx=0.125 sy=0.125 dx=0 dy=12 "

# --- the cfg and the options --------------------------------------------------
sed 's/^channels=3$/channels=1/' tests/fixtures/synth-tiny.cfg > "$T/gray.cfg"
darknet-forward --cfg "$T/gray.cfg" --random 1 "$T/two.mp" > "$T/o" 2> "$T/err"; rc=$?
check_eq "a 1-channel network given an image: exit 2 naming the record and key" \
  "$rc $(wc -c < "$T/o" | tr -d ' ') $(cat "$T/err")" \
  "2 0 darknet-forward: $T/two.mp: record 0: key 'image': the network takes 1 channels, images give 3: give 'input'"
sed 's/^filters=16$/filterz=16/' "$TINY" > "$T/typo.cfg"
darknet-forward --cfg "$T/typo.cfg" --random 1 "$T/two.mp" > "$T/o" 2> "$T/err"; rc=$?
check_match "a cfg typo: exit 2 with file, line and a suggestion; nothing on stdout" \
  "$rc $(wc -c < "$T/o")$(cat "$T/err")" "^2 0darknet-forward: $T/typo.cfg:[0-9]+: \[convolutional\] .*filterz.*filters"
darknet-forward --cfg "$TINY" --summary > "$T/o" 2> "$T/err"; rc=$?
check_match "--summary: the layer table, memory and unused keys on stdout; no weights needed" \
  "$rc $(cat "$T/o" "$T/err")" \
  "^0 layer +what .*
.* 15 region .*
total 6.971 BFLOPs, 15867885 parameters .*
memory: .* MiB \(parameters .*, outputs .*, workspace .*\) at batch 1
cfg keys darknet knows that inference does not use: 23
.*:11: \[net\] momentum=0.9"
darknet-forward --cfg "$TINY" < /dev/null > /dev/null 2> "$T/err"; rc=$?
check_match "neither --weights nor --random: exit 1" "$rc $(cat "$T/err")" "^1 darknet-forward: give exactly one of"
darknet-forward --cfg "$TINY" --random 1 --weights x < /dev/null > /dev/null 2> "$T/err"; rc=$?
check_match "both: exit 1" "$rc $(cat "$T/err")" "^1 darknet-forward: give exactly one of"
darknet-forward --random 1 < /dev/null > /dev/null 2> "$T/err"; rc=$?
check_match "no --cfg: exit 1" "$rc $(cat "$T/err")" "^1 darknet-forward: --cfg FILE is required"
darknet-forward --cfg "$TINY" --random 1 --batch 0 < /dev/null > /dev/null 2> "$T/err"; rc=$?
check_match "--batch 0: exit 1" "$rc $(cat "$T/err")" "^1 darknet-forward: option --batch"
darknet-forward --cfg "$T/none.cfg" --random 1 < /dev/null > /dev/null 2> "$T/err"; rc=$?
check_match "a missing cfg: exit 3 naming it" "$rc $(cat "$T/err")" "^3 darknet-forward: .*none.cfg"
$DF "$T/nonexistent.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "a missing input file: exit 3 naming it" "$rc $(cat "$T/err")" "^3 darknet-forward: .*nonexistent.mp"
# --- kernel families: YOLO_ISA -------------------------------------------------
YOLO_ISA=avx3 $DF "$T/five.mp" > "$T/o" 2> "$T/err"; rc=$?
check_match "YOLO_ISA naming no family: exit 1 naming the families and the CPU's best" \
  "$rc $(cat "$T/err")" "^1 darknet-forward: YOLO_ISA=avx3: no such kernel family \(generic, avx2, avx512; this CPU's best is (generic|avx2|avx512)\)"
check "... and nothing on stdout" test ! -s "$T/o"
best=$("$TOOLS/isa-families" --cpu | sed -n 's/^best \([a-z0-9]*\) .*/\1/p')
if [ "$best" = avx512 ]; then
  skip "YOLO_ISA=avx512 on a CPU without it: exit 1 naming the CPU's best" "this CPU has AVX-512"
else
  YOLO_ISA=avx512 $DF "$T/five.mp" > /dev/null 2> "$T/err"; rc=$?
  check_match "YOLO_ISA=avx512 on a CPU without it: exit 1 naming the CPU's best" \
    "$rc $(cat "$T/err")" "^1 darknet-forward: YOLO_ISA=avx512: this CPU lacks it \(its best is $best\)"
fi
YOLO_ISA= darknet-forward --cfg "$TINY" --weights "$T/w.weights" --width 96 --height 96 "$T/five.mp" 2> "$T/err" > /dev/null
check_match "YOLO_ISA empty: the CPU's best runs" "$(tail -1 "$T/err")" "kernels $best\)"
# --- AlexeyAB's cfgs (yolov4) ------------------------------------------------------
AB=tests/fixtures/ab-mixed.cfg    # mosaic=1, letter_box=0, scale_x_y, mish, route groups
image-list "$IM/synth-773x512.jpg" > "$T/one.mp"
darknet-forward --cfg "$AB" --random 1 "$T/one.mp" > "$T/ab.mp" 2> "$T/err"; rc=$?
check_eq "AlexeyAB's cfg runs" "$rc" 0
check_eq "... stretched (letter_box=0, AlexeyAB's default): sx != sy, no offset" \
  "$(records-to-json "$T/ab.mp" | jq -c '[.transform.sx != .transform.sy, .transform.dx, .transform.dy]')" '[true,0,0]'
check_eq "... its yolo heads carry scale_x_y" \
  "$(records-to-json --full "$T/ab.mp" | jq -c '[.output[].scale_x_y]')" '[1.05,1.2]'
check_eq "... and the loss keys the cfg gives (iou_loss, iou_normalizer; cls_normalizer=1.0 is the default)" \
  "$(records-to-json --full "$T/ab.mp" | jq -c '[.output[] | [.iou_loss, .iou_normalizer, .cls_normalizer]]')" \
  '[["ciou",0.07,null],["diou",null,null]]'
# label_smooth_eps (AlexeyAB's key) on the first [yolo]: into its entry for yolo-loss
sed '141a label_smooth_eps=0.1' "$AB" > "$T/ab-smooth.cfg"
darknet-forward --cfg "$T/ab-smooth.cfg" --random 1 "$T/one.mp" 2> "$T/err" |
  records-to-json --full | jq -c '[.output[].label_smooth_eps | if . then . * 1e6 | round else . end]' > "$T/smooth"
check_eq "... label_smooth_eps the cfg gives goes into that head's entry (0, the default, is not written)" \
  "$(cat "$T/smooth")" '[100000,null]'
sed '141a label_smooth_eps=1' "$AB" > "$T/ab-smooth1.cfg"
darknet-forward --cfg "$T/ab-smooth1.cfg" --random 1 "$T/one.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_match "label_smooth_eps=1: exit 2 naming the file, line and key, nothing written" \
  "$rc $(wc -c < "$T/o.mp" | tr -d ' ') $(cat "$T/err")" \
  "^2 0 darknet-forward: .*ab-smooth1.cfg:142: \[yolo\] label_smooth_eps: '1' is not below 1"
sed '141a label_smooth_eps=-0.1' "$AB" > "$T/ab-smooth1.cfg"
darknet-forward --cfg "$T/ab-smooth1.cfg" --random 1 "$T/one.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_match "label_smooth_eps=-0.1: exit 2, named" "$rc $(cat "$T/err")" \
  "^2 darknet-forward: .*ab-smooth1.cfg:142: \[yolo\] label_smooth_eps: '-0.1' is not a number in \[0, 1\]"
darknet-forward --cfg "$AB" --random 1 --letterbox "$T/one.mp" 2>/dev/null | records-to-json > "$T/ablb.json"
check_eq "... --letterbox wins over the cfg" "$(jq -c '[.transform.dx, .transform.dy > 0]' "$T/ablb.json")" '[0,true]'
darknet-forward --cfg "$DATA/cfg/yolov4-tiny.cfg" --random 1 --summary < /dev/null > "$T/sum" 2>&1; rc=$?
check_match "yolov4-tiny.cfg builds; AlexeyAB's training keys yolo-loss does not take listed as unused" \
  "$rc $(grep -c 'yolov4-tiny.cfg:[0-9]*: \[yolo\] \(nms_kind\|beta_nms\|resize\)=' "$T/sum") $(grep -c 'iou_loss\|normalizer' "$T/sum")" "^0 6 0$"
check_match "--summary says how images become inputs, and why" "$(grep '^images' "$T/sum")" \
  "^images: stretched \(--resize\), as AlexeyAB's detector does \(the cfg is in his dialect from line 60\)$"
done_testing
