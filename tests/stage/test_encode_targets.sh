# encode-targets in real pipes: the keys and shapes of docs/records.md
# section 5 for region, yolo and detection heads; without augmentation the
# input is darknet-forward's, byte for byte (darknet-forward's outputs on
# the two agree); with augmentation the transform maps every box onto its
# truth row; the same seed gives the same bytes whatever the batch and
# threads; cfg settings and the options over them; lost and dropped boxes
# counted; every bad input.
. tests/stage/lib.sh
CFGS="$(cd "$(dirname "$0")/../data/cfg" && pwd)"
PY=/usr/bin/python3
TINY=tests/fixtures/synth-tiny.cfg
synth-voc --out "$T/sv" --count 8 --size 160x120 --seed 2 --force --quiet
voc-parse --quiet -c "$T/sv/classes.names" "$T/sv" > "$T/in.mp"
ET="encode-targets --quiet --cfg $TINY"

cat > "$T/show.py" <<'PYEOF'
import sys, msgpack, numpy as np
def t(v): return np.frombuffer(v['data'], '<f4').reshape(v['shape'])
for r in msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False):
    if 'error' in r:
        print(r.get('id'), 'error:', r['error']); continue
    tr = t(r['truth'])
    print(r['id'], list(r['input']['shape']), r['input']['dtype'], list(r['truth']['shape']),
          [x['shape'] for x in r['target']], sorted(r['transform']))
PYEOF

# --- keys and shapes, a region head -------------------------------------------
$ET "$T/in.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_eq "synth-tiny on 8 images: exit 0, quiet" "$rc $(cat "$T/err")" "0 "
$PY "$T/show.py" "$T/out.mp" > "$T/shown"
check_eq "each record: input f32 [3,96,96], truth [N,5], one [50,6,6] target, the transform" \
  "$(cut -d' ' -f2- "$T/shown" | sed 's/\[[0-9]*, 5\]/[N, 5]/' | sort -u)" \
  "[3, 96, 96] f32 [N, 5] [[50, 6, 6]] ['dx', 'dy', 'net_h', 'net_w', 'sx', 'sy']"

# --- what the targets hold: the records.md rules, recomputed here ---------------
cat > "$T/targets.py" <<'PYEOF'
import sys, msgpack, numpy as np
def t(v): return np.frombuffer(v['data'], '<f4').reshape(v['shape'])
def iou_wh(w1, h1, w2, h2):
    i = min(w1, w2) * min(h1, h2); return i / (w1 * h1 + w2 * h2 - i)
anchors = [float(x) for x in sys.argv[2].split(',')]
bad = 0; n = 0
for r in msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False):
    tr = t(r['truth']); tg = t(r['target'][0]); C = 5; A = len(anchors) // 2
    H, W = tg.shape[1:]
    want = np.zeros_like(tg)
    for x, y, w, h, c in tr:
        i, j = min(int(np.floor(x * W)), W - 1), min(int(np.floor(y * H)), H - 1)
        ious = [iou_wh(w * W, h * H, anchors[2*a], anchors[2*a+1]) for a in range(A)]
        a = int(np.argmax(ious)); b = a * (5 + C)
        want[b:b + 5 + C, j, i] = 0
        want[b:b + 4, j, i] = [x, y, w, h]; want[b + 4, j, i] = 1; want[b + 5 + int(c), j, i] = 1
        n += 1
    bad += not np.array_equal(want, tg)
print(n, bad)
PYEOF
anchors=$(grep '^anchors' $TINY | head -1 | cut -d= -f2 | tr -d ' ')
got=$($PY "$T/targets.py" "$T/out.mp" "$anchors")
check_match "region targets: every record's tensor is the records.md rule recomputed in numpy" "$got" "^[1-9][0-9]* 0$"

# --- no augmentation: darknet-forward's input, byte for byte --------------------
for mode in letterbox resize; do
  $ET --no-augment --$mode "$T/in.mp" > "$T/na.mp"
  # darknet-forward on our `input` vs on the image itself
  darknet-forward --quiet --cfg $TINY --random 3 --$mode "$T/na.mp" > "$T/df-ours.mp"
  darknet-forward --quiet --cfg $TINY --random 3 --$mode "$T/in.mp" > "$T/df-img.mp"
  cmp_out=$($PY - "$T/na.mp" "$T/df-ours.mp" "$T/df-img.mp" <<'PYEOF'
import sys, msgpack
a, b, c = (list(msgpack.Unpacker(open(f, 'rb'), raw=False)) for f in sys.argv[1:])
same_out = all(x['output'] == y['output'] for x, y in zip(b, c)) and len(b) == len(c) == 8
same_tf = all(x['transform'] == y['transform'] for x, y in zip(a, c))
print(same_out, same_tf)
PYEOF
)
  check_eq "--no-augment --$mode: darknet-forward's outputs on our input and on the image are identical; so are the transforms" "$cmp_out" "True True"
done
$ET --no-augment "$T/in.mp" > "$T/na2.mp"
$ET --no-augment --letterbox "$T/in.mp" > "$T/na3.mp"
check "--no-augment letterboxes by default" cmp -s "$T/na2.mp" "$T/na3.mp"

# --- the transform maps the boxes onto the truth rows -------------------------------
cat > "$T/mapped.py" <<'PYEOF'
import sys, msgpack, numpy as np
def t(v): return np.frombuffer(v['data'], '<f4').reshape(v['shape'])
worst = 0; rows = 0; mirrored = 0; clipped = 0
for r in msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False):
    tf = r['transform']; W, H = tf['net_w'], tf['net_h']; mirrored += tf['sx'] < 0
    want = []
    for o in r['objects']:
        x1, y1, x2, y2 = o['bbox']
        X = sorted([tf['sx'] * x1 + tf['dx'], tf['sx'] * x2 + tf['dx']])
        Y = sorted([tf['sy'] * y1 + tf['dy'], tf['sy'] * y2 + tf['dy']])
        c = [min(max(v, 0), W) for v in X] + [min(max(v, 0), H) for v in Y]
        clipped += c != X + Y
        w, h = (c[1] - c[0]) / W, (c[3] - c[2]) / H
        if w >= .001 and h >= .001:
            want.append([(c[0] + c[1]) / 2 / W, (c[2] + c[3]) / 2 / H, w, h, o['class']])
    tr = t(r['truth'])
    if len(want) != len(tr): print('count differs', r['id']); sys.exit(1)
    if len(tr): worst = max(worst, float(np.abs(tr - np.array(want)).max()))
    rows += len(tr)
print(rows > 20, worst < 1e-6, mirrored > 0, clipped > 0)
PYEOF
$ET --seed 4 --jitter .3 --scale .6,1.6 --hue .1 --saturation 1.5 --exposure 1.5 "$T/in.mp" "$T/in.mp" "$T/in.mp" > "$T/aug.mp"
check_eq "augmented: x_net = sx * x + dx (clipped) gives every truth row to 1e-6; some mirrored, some clipped" \
  "$($PY "$T/mapped.py" "$T/aug.mp")" "True True True True"
check_eq "augmented targets follow the same rules" "$($PY "$T/targets.py" "$T/aug.mp" "$anchors" | cut -d' ' -f2)" "0"
$ET --seed 4 --no-flip "$T/in.mp" "$T/in.mp" > "$T/nf.mp"
check_eq "--no-flip: no negative sx" "$($PY -c "
import sys, msgpack
print(sum(r['transform']['sx'] < 0 for r in msgpack.Unpacker(open('$T/nf.mp', 'rb'), raw=False)))")" "0"

# --- the same seed, the same bytes ---------------------------------------------------
A="--seed 4 --jitter .3 --scale .6,1.6 --hue .1 --saturation 1.5 --exposure 1.5"
$ET $A --batch 1 "$T/in.mp" "$T/in.mp" "$T/in.mp" > "$T/b1.mp"
$ET $A --batch 5 "$T/in.mp" "$T/in.mp" "$T/in.mp" > "$T/b5.mp"
OMP_NUM_THREADS=1 $ET $A --batch 7 "$T/in.mp" "$T/in.mp" "$T/in.mp" > "$T/t1.mp"
check "--seed 4 twice: the same bytes" cmp -s "$T/aug.mp" "$T/b1.mp"
check "--batch 5 (a partial last batch): the same bytes" cmp -s "$T/b1.mp" "$T/b5.mp"
check "one thread, --batch 7: the same bytes" cmp -s "$T/b1.mp" "$T/t1.mp"
$ET $A --seed 5 "$T/in.mp" > "$T/s5.mp"
$ET $A "$T/in.mp" > "$T/s4.mp"
check "another seed: other bytes" sh -c "! cmp -s $T/s4.mp $T/s5.mp"
check "the same image later in the stream draws anew" sh -c "! cmp -s $T/s4.mp $T/b1.mp && [ \$(wc -c < $T/b1.mp) -gt \$(wc -c < $T/s4.mp) ]"

# --- epochs and shuffling ------------------------------------------------------------
$ET $A --epochs 3 "$T/in.mp" > "$T/e3.mp"
$ET $A --epochs 3 --batch 3 "$T/in.mp" > "$T/e3b.mp"
check "--epochs 3 is the input given three times (record k draws stream k)" cmp -s "$T/e3.mp" "$T/b1.mp"
check "--epochs 3 --batch 3: the same bytes" cmp -s "$T/e3.mp" "$T/e3b.mp"
$ET $A --epochs 2 --shuffle "$T/in.mp" > "$T/sh.mp"
$ET $A --epochs 2 --shuffle --batch 1 "$T/in.mp" > "$T/sh1.mp"
check "--shuffle: the same bytes for the same seed, whatever the batch" cmp -s "$T/sh.mp" "$T/sh1.mp"
cat > "$T/ids.py" <<'PYEOF'
import sys, msgpack
ids = [r['id'] for r in msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False)]
n = int(sys.argv[2]); eps = [ids[i:i + n] for i in range(0, len(ids), n)]
print(len(eps), all(sorted(e) == sorted(eps[0]) and len(set(e)) == n for e in eps),
      eps[0] != sorted(eps[0]) or eps[1] != sorted(eps[1]), eps[0] != eps[1])
PYEOF
check_eq "--epochs 2 --shuffle: two epochs, each a permutation of the 8 records, in other orders" \
  "$($PY "$T/ids.py" "$T/sh.mp" 8)" "2 True True True"
$ET $A --epochs 2 --shuffle --seed 9 "$T/in.mp" > "$T/sh9.mp"
check_eq "another seed, another order" "$($PY - "$T/sh.mp" "$T/sh9.mp" <<'PYEOF'
import sys, msgpack
a, b = ([r['id'] for r in msgpack.Unpacker(open(f, 'rb'), raw=False)] for f in sys.argv[1:])
print(a != b)
PYEOF
)" "True"
cat "$T/in.mp" | $ET $A --epochs 3 > "$T/e3s.mp"
check "--epochs from standard input (held in memory): the same bytes" cmp -s "$T/e3.mp" "$T/e3s.mp"

# --- settings from the cfg, options over them ----------------------------------------
V2="encode-targets --quiet --cfg $CFGS/yolov2-voc.cfg --width 96 --height 96"
$V2 --no-flip "$T/in.mp" > "$T/v2cfg.mp"
$V2 --no-flip --jitter .3 --hue 0 --saturation 1 --exposure 1 "$T/in.mp" > "$T/v2plain.mp"
$ET --no-flip --jitter .3 "$T/in.mp" > "$T/tinyplain.mp"
cat > "$T/inputs.py" <<'PYEOF'
import sys, msgpack
a, b = ([r['input'] for r in msgpack.Unpacker(open(f, 'rb'), raw=False)] for f in sys.argv[1:])
print(a == b)
PYEOF
check_eq "yolov2-voc with neutral colour options: synth-tiny's inputs (no [net] hue there)" \
  "$($PY "$T/inputs.py" "$T/v2plain.mp" "$T/tinyplain.mp")" "True"
check_eq "yolov2-voc's own hue .1, saturation and exposure 1.5, jitter .2: other inputs" \
  "$($PY "$T/inputs.py" "$T/v2cfg.mp" "$T/v2plain.mp")" "False"

# --- yolo and detection heads -----------------------------------------------------------
encode-targets --quiet --cfg "$CFGS/yolov3-tiny.cfg" --width 96 --height 96 "$T/in.mp" > "$T/v3.mp"
check_match "yolov3-tiny at 96: two targets, [255,3,3] and [255,6,6]" \
  "$($PY "$T/show.py" "$T/v3.mp" > "$T/shown"; head -1 "$T/shown")" "\[\[255, 3, 3\], \[255, 6, 6\]\]"
cat > "$T/v3check.py" <<'PYEOF'
import sys, msgpack, numpy as np
def t(v): return np.frombuffer(v['data'], '<f4').reshape(v['shape'])
ok = True; n = 0
for r in msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False):
    objs = sum(float(t(g).reshape(3, 85, *t(g).shape[1:])[:, 4].sum()) for g in r['target'])
    n += len(t(r['truth'])); ok &= objs + r.get('targets_lost', 0) == len(t(r['truth']))
print(n > 0, ok)
PYEOF
check_eq "yolov3-tiny: every truth box is set in exactly one head (or counted lost)" \
  "$($PY "$T/v3check.py" "$T/v3.mp")" "True True"
encode-targets --quiet --cfg "$CFGS/yolov1-tiny.cfg" --max-boxes 3 "$T/in.mp" > "$T/v1.mp"
check_match "yolov1-tiny: one detection target [49, 25] (S*S, 5+C), input [3,448,448]" \
  "$($PY "$T/show.py" "$T/v1.mp" > "$T/shown"; head -1 "$T/shown")" "\[3, 448, 448\] f32 \[[0-9], 5\] \[\[49, 25\]\]"

# --- counts: lost, dropped, over the bound --------------------------------------------------
$PY - "$T/in.mp" "$T/dup.mp" <<'PYEOF'
import sys, msgpack
r = next(iter(msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False)))
r['objects'] = [dict(r['objects'][0]), dict(r['objects'][0])] + [dict(r['objects'][0], bbox=[500, 500, 600, 600])]
open(sys.argv[2], 'wb').write(msgpack.packb(r))
PYEOF
encode-targets --cfg $TINY --max-boxes 1 "$T/dup.mp" "$T/dup.mp" > "$T/dupout.mp" 2> "$T/err"
check_eq "the same box twice and one out of frame, --max-boxes 1: stderr counts each" "$(cat "$T/err")" \
  "encode-targets: 2 truth boxes; 0 lost to a later box on the same cell and anchor, 0 with their best anchor in no head, 2 dropped outside the frame, 2 over --max-boxes 1"
encode-targets --cfg $TINY "$T/dup.mp" > "$T/dupout.mp" 2> "$T/err"
check_eq "without the bound: one lost to the later box, said on stderr" "$(cat "$T/err")" \
  "encode-targets: 2 truth boxes; 1 lost to a later box on the same cell and anchor, 0 with their best anchor in no head, 1 dropped outside the frame, 0 over --max-boxes 30"
$PY - "$T/in.mp" "$T/many.mp" <<'PYEOF'
import sys, msgpack
r = next(iter(msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False)))
r['objects'] = [dict(r['objects'][0], bbox=[4 * i, 10, 4 * i + 3, 20]) for i in range(35)]
open(sys.argv[2], 'wb').write(msgpack.packb(r))
PYEOF
encode-targets --cfg $TINY --no-augment "$T/many.mp" 2>&1 > /dev/null | grep -o "[0-9]* over --max-boxes [0-9]*" > "$T/err"
check_eq "35 boxes, a region head: darknet's bound of 30, 5 over" "$(cat "$T/err")" "5 over --max-boxes 30"
{ cat $TINY; echo "max=33"; } > "$T/max.cfg"
encode-targets --cfg "$T/max.cfg" --no-augment "$T/many.mp" 2>&1 > /dev/null | grep -o "[0-9]* over --max-boxes [0-9]*" > "$T/err"
check_eq "the head's max=33 is read: 2 over" "$(cat "$T/err")" "2 over --max-boxes 33"
check_eq "... and in the record: targets_lost 1, truth keeps both rows" "$($PY -c "
import msgpack
r = next(iter(msgpack.Unpacker(open('$T/dupout.mp', 'rb'), raw=False)))
print(r['targets_lost'], r['truth']['shape'])")" "1 [2, 5]"

# --- bad input ---------------------------------------------------------------------------------
$PY - "$T/in.mp" "$T" <<'PYEOF'
import sys, msgpack
rs = list(msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False)); T = sys.argv[2]
def w(name, recs): open(T + '/' + name, 'wb').write(b''.join(msgpack.packb(r) for r in recs))
open(T + '/corrupt.jpg', 'wb').write(b'\xff\xd8not a jpeg')
w('missing.mp', [rs[0], dict(rs[1], image=T + '/nope.jpg'), rs[2]])
w('corrupt.mp', [dict(rs[0], image=T + '/corrupt.jpg'), rs[1]])
w('noobj.mp', [{k: v for k, v in rs[0].items() if k != 'objects'}, rs[1]])
w('class.mp', [rs[0], dict(rs[1], objects=[dict(rs[1]['objects'][0], **{'class': 5})])])
w('nan.mp', [dict(rs[0], objects=[dict(rs[0]['objects'][0], bbox=[1, float('nan'), 3, 4])])])
w('inverted.mp', [dict(rs[0], objects=[dict(rs[0]['objects'][0], bbox=[10, 10, 5, 20])])])
w('noimage.mp', [{k: v for k, v in rs[0].items() if k != 'image'}])
w('imagetype.mp', [dict(rs[0], image=7)])
w('size.mp', [dict(rs[0], width=161)])
w('error.mp', [dict(rs[0], error='upstream: broken'), rs[1]])
PYEOF
encode-targets --cfg $TINY "$T/missing.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_match "a missing image: exit 0, a warning naming record 1 and the file" "$rc $(head -1 "$T/err")" \
  "^0 encode-targets: .*missing.mp: record 1: key 'image': .*nope.jpg.*passed on with 'error'"
check_eq "... the record carries error, the others are encoded" "$($PY "$T/show.py" "$T/o.mp" | cut -c1-40 | cut -d' ' -f1,2)" \
"000001 [3,
000002 error:
000003 [3,"
encode-targets --cfg $TINY --epochs 2 --shuffle "$T/missing.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_eq "--epochs 2: the held record is named as read, once (one image, one warning a run)" \
  "$rc $(grep -c "missing.mp: record 1: key 'image'" "$T/err")" "0 1"
check_match "... its two records counted in the closing line" "$(tail -1 "$T/err")" \
  "^encode-targets: 2 records not encoded \(1 repeated, warned about once\)$"
encode-targets --strict --cfg $TINY "$T/missing.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_match "--strict: exit 2" "$rc $(cat "$T/err")" "^2 encode-targets: .*record 1: key 'image'.*--strict"
check_eq "--strict: the record before it is written" "$($PY "$T/show.py" "$T/o.mp" | cut -d' ' -f1)" "000001"
encode-targets --quiet --cfg $TINY --batch 1 "$T/corrupt.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_match "a corrupt JPEG: exit 0, record 0 gets error" "$rc $($PY "$T/show.py" "$T/o.mp" > "$T/shown"; head -1 "$T/shown")" "^0 000001 error: encode-targets: .*corrupt.jpg"
encode-targets --quiet --cfg $TINY "$T/noobj.mp" > "$T/o.mp"; rc=$?
check_match "no objects: error on the record (not annotated)" "$rc $($PY "$T/show.py" "$T/o.mp" > "$T/shown"; head -1 "$T/shown")" "^0 000001 error: .*'objects'.*not annotated"
encode-targets --quiet --cfg $TINY "$T/noimage.mp" > "$T/o.mp"; rc=$?
check_match "no image: error on the record" "$rc $($PY "$T/show.py" "$T/o.mp")" "^0 000001 error: .*no 'image'"
encode-targets --quiet --cfg $TINY "$T/size.mp" > "$T/o.mp"; rc=$?
check_match "width differs from the JPEG: error on the record" "$rc $($PY "$T/show.py" "$T/o.mp")" "^0 000001 error: .*161x120.*160x120"
encode-targets --cfg $TINY "$T/class.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_match "class 5 with 5 classes: exit 2 naming record and key" "$rc $(cat "$T/err")" \
  "^2 encode-targets: .*class.mp: record 1: key 'objects\[0\].class': class 5 is out of range: the network has 5 classes"
encode-targets --cfg $TINY "$T/nan.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "a NaN in a bbox: exit 2 naming it" "$rc $(cat "$T/err")" "^2 encode-targets: .*record 0: key 'objects\[0\]': 'bbox' is missing or not 4 finite numbers"
encode-targets --cfg $TINY "$T/inverted.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "an inverted bbox: exit 2 naming it" "$rc $(cat "$T/err")" "^2 encode-targets: .*record 0: key 'objects\[0\].bbox': an inverted box"
encode-targets --cfg $TINY "$T/imagetype.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "image not a string: exit 2" "$rc $(cat "$T/err")" "^2 encode-targets: .*record 0: key 'image'"
encode-targets --quiet --cfg $TINY "$T/error.mp" > "$T/o.mp"; rc=$?
$PY -c "
import msgpack, sys
a = open('$T/error.mp', 'rb').read(); u = msgpack.Unpacker(raw=False); u.feed(a); first = next(u)
n = len(msgpack.packb(first))
sys.exit(0 if open('$T/o.mp', 'rb').read()[:n] == a[:n] else 1)"
check_eq "a record with error passes through byte for byte" "$rc $?" "0 0"
# --- a truncated JPEG: decoded (the missing rows grey), warned about once per run -------------
img0=$($PY -c "import msgpack,sys; print(next(iter(msgpack.Unpacker(open(sys.argv[1],'rb'),raw=False)))['image'])" "$T/in.mp")
head -c $(( $(wc -c < "$img0") * 2 / 3 )) "$img0" > "$T/trunc.jpg"
head -c 200 "$img0" > "$T/hcut.jpg"
$PY - "$T/in.mp" "$T" <<'PYEOF'
import sys, msgpack
rs = list(msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False)); T = sys.argv[2]
def w(name, recs): open(T + '/' + name, 'wb').write(b''.join(msgpack.packb(r) for r in recs))
w('trunc.mp', [dict(rs[0], image=T + '/trunc.jpg'), rs[1]])
w('hcut.mp', [dict(rs[0], image=T + '/hcut.jpg'), rs[1]])
PYEOF
encode-targets --cfg $TINY --epochs 3 --shuffle "$T/trunc.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_eq "--epochs 3 --shuffle, a truncated JPEG: exit 0, all 6 records get input" \
  "$rc $($PY "$T/show.py" "$T/o.mp" | cut -d' ' -f2 | sort | uniq -c | awk '{print $1, $2}')" "0 6 [3,"
check_eq "... warned about once, not once per epoch" "$(grep -c "trunc.jpg" "$T/err")" 1
check_match "... the warning: the record, the file, truncated, the missing rows grey" "$(head -1 "$T/err")" \
  "encode-targets: $T/trunc.mp: record 0: key 'image': $T/trunc.jpg: truncated or corrupt JPEG \(libjpeg-turbo: Premature end of JPEG file\): decoded as viewers show it, the rows it could not read grey \(the last [0-9]+ of 120\): kept$"
check_match "... the closing line counts the 3 decodes, 2 of them repeats" "$(tail -1 "$T/err")" \
  "^encode-targets: 3 truncated or corrupt images decoded \(2 repeated, warned about once\)$"
encode-targets --strict --cfg $TINY --epochs 3 "$T/trunc.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_match "--strict: exit 2 naming the file" "$rc $(cat "$T/err")" \
  "^2 encode-targets: $T/trunc.mp: record 0: key 'image': $T/trunc.jpg: truncated or corrupt JPEG .*Premature end of JPEG file.*\(an error with --strict\)$"
encode-targets --cfg $TINY --epochs 3 "$T/hcut.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_eq "a JPEG cut inside its header: error on its record in each epoch, warned about once" \
  "$rc $($PY "$T/show.py" "$T/o.mp" | grep -c "error: .*hcut.jpg: not a readable JPEG") $(grep -c "hcut.jpg" "$T/err")" "0 3 1"
encode-targets --cfg $TINY "$T/nonexistent" > /dev/null 2> "$T/err"; rc=$?
check_match "a missing input file: exit 3 naming it" "$rc $(cat "$T/err")" "^3 encode-targets: .*nonexistent"
encode-targets "$T/in.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "no --cfg: usage error" "$rc $(cat "$T/err")" "^1 encode-targets: --cfg FILE is required"
for bad in "--epochs 0" "--jitter 1" "--jitter x" "--scale 2,1" "--scale 0" "--hue .6" "--saturation 0" "--batch 0" "--max-boxes 0" "--seed -1"; do
  encode-targets --cfg $TINY $bad "$T/in.mp" > /dev/null 2> "$T/err"; rc=$?
  check_match "$bad: exit 1" "$rc $(head -1 "$T/err")" "^1 encode-targets: option --"
done
printf '[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=4\nsize=3\nactivation=leaky\n' > "$T/nohead.cfg"
encode-targets --cfg "$T/nohead.cfg" "$T/in.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "a cfg without a head: exit 2" "$rc $(cat "$T/err")" "^2 encode-targets: .*no detection head"
done_testing
