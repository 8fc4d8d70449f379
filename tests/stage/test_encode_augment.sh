# encode-targets --mosaic, --mixup, --affine: every truth box sits on its
# object in the `input` pixels (synth-voc's upright squares and circles;
# mixup's two pictures taken apart again with its weight); the boxes of
# the record's own image are exactly `objects` through `transform`, cut and
# kept by the documented rule, classes included; the same seed gives the
# same bytes whatever the batch and threads; each option off leaves the
# others' draws alone; targets and targets_lost follow the truth; partner
# records that are bad; every bad option.
. tests/stage/lib.sh
PY=/usr/bin/python3
TINY=tests/fixtures/synth-tiny.cfg
# upright shapes in flat colours, no clutter or noise, no two boxes overlapping:
# each box's object is the only thing inside it
synth-voc --out "$T/sv" --count 16 --size 160x120 --seed 3 --classes square,circle \
  --max-rotation 0 --clutter 0 --noise 0 --max-iou 0 --min-size .12 --force --quiet
voc-parse --quiet -c "$T/sv/classes.names" "$T/sv" > "$T/in.mp"
ET="encode-targets --quiet --cfg $TINY --width 192 --height 192 --seed 5"

cat > "$T/aug.py" <<'PYEOF'
# aug.py CMD FILE...: checks of encode-targets' augmented records
import sys, math, msgpack, numpy as np
def t(v): return np.frombuffer(v['data'], '<f4').reshape(v['shape'])
def recs(f): return list(msgpack.Unpacker(open(f, 'rb'), raw=False))
KEEP_PX, KEEP_AREA = 2.0, 0.2     # yolo/loss/view.h

# ---- exact: the own image's rows from `objects`, `transform` and `augment` ----------
def own_rows(r):
    """The truth rows the record's own objects give (view.h's rule), in order."""
    W, H = r['transform']['net_w'], r['transform']['net_h']
    tf, aug = r['transform'], r.get('augment', {})
    sx, sy, dx, dy = tf['sx'], tf['sy'], tf['dx'], tf['dy']
    A = aug.get('affine')
    if A:   # transform holds the map without its rotation: undo it for the placement
        s = math.hypot(A[0], A[3]); cx, cy = W / 2, H / 2
        ex, ey = A[0] * cx + A[1] * cy + A[2] - cx, A[3] * cx + A[4] * cy + A[5] - cy
        sx, sy, dx, dy = sx / s, sy / s, (dx - cx - ex) / s + cx, (dy - cy - ey) / s + cy
    m = aug.get('mosaic')
    rect = [0, 0, W, H]
    if m:   # its quadrant; with a map, the mosaic reaches half the picture past the frame
        q, mx, my = m['own'], (W // 2 if A else 0), (H // 2 if A else 0)
        rect = [m['x'] if q & 1 else -mx, m['y'] if q & 2 else -my,
                W + mx if q & 1 else m['x'], H + my if q & 2 else m['y']]
    out = []
    for o in r['objects']:
        x1, y1, x2, y2 = o['bbox']
        X = sorted([sx * x1 + dx, sx * x2 + dx]); Y = sorted([sy * y1 + dy, sy * y2 + dy])
        full = (X[1] - X[0]) * (Y[1] - Y[0])
        b = [min(max(X[0], rect[0]), rect[2]), min(max(Y[0], rect[1]), rect[3]),
             min(max(X[1], rect[0]), rect[2]), min(max(Y[1], rect[1]), rect[3])]
        if A and b[2] > b[0] and b[3] > b[1]:
            xs = [A[0] * x + A[1] * y + A[2] for x in (b[0], b[2]) for y in (b[1], b[3])]
            ys = [A[3] * x + A[4] * y + A[5] for x in (b[0], b[2]) for y in (b[1], b[3])]
            b = [min(max(min(xs), 0), W), min(max(min(ys), 0), H),
                 min(max(max(xs), 0), W), min(max(max(ys), 0), H)]
            full *= A[0] ** 2 + A[3] ** 2
        w, h = b[2] - b[0], b[3] - b[1]
        if w > 0 and h > 0 and w >= KEEP_PX and h >= KEEP_PX and w * h >= KEEP_AREA * full:
            out.append([(b[0] + b[2]) / 2 / W, (b[1] + b[3]) / 2 / H, w / W, h / H, o['class']])
    return out, rect

def exact(f):
    """Rows of the own image (in its quadrant for a mosaic) against own_rows; a
    mapped mosaic's: each found among the rows."""
    n = worst = bad = 0
    for r in recs(f):
        want, rect = own_rows(r)
        W, H = r['transform']['net_w'], r['transform']['net_h']
        tr = t(r['truth'])
        aug = r.get('augment', {})
        if aug.get('mosaic') and aug.get('affine'):
            for w in want:
                d = np.abs(tr.astype(np.float64) - np.array(w)).max(1) if len(tr) else [1]
                worst = max(worst, float(min(d))); n += 1
            continue
        if aug.get('mosaic'):   # the rows inside the own quadrant
            e = 1e-4
            tr = [x for x in tr if (x[0] - x[2] / 2) * W >= rect[0] - e and (x[0] + x[2] / 2) * W <= rect[2] + e
                  and (x[1] - x[3] / 2) * H >= rect[1] - e and (x[1] + x[3] / 2) * H <= rect[3] + e]
        if len(tr) != len(want):
            bad += 1; continue
        if len(want):
            d = np.abs(np.array(tr, dtype=np.float64) - np.array(want))
            worst = max(worst, float(d.max())); bad += bool((d[:, 4] != 0).any())
        n += len(want)
    return n, bad, worst

def inside(f):
    """Every row inside [0, 1], at least KEEP_PX pixels a side, an integer class."""
    n = bad = 0
    for r in recs(f):
        W, H = r['transform']['net_w'], r['transform']['net_h']
        for x, y, w, h, c in t(r['truth']):
            n += 1
            bad += not (x - w / 2 >= -1e-6 and x + w / 2 <= 1 + 1e-6 and y - h / 2 >= -1e-6 and
                        y + h / 2 <= 1 + 1e-6 and w * W >= KEEP_PX - 1e-4 and
                        h * H >= KEEP_PX - 1e-4 and c == int(c) and 0 <= c < 5)
    return n, bad

# ---- pixels: each box on its object ------------------------------------------------------
D = 0.25   # RGB distance (0..1 a channel) within which a pixel is the object's colour
def far(px, col): return np.sqrt(((px - col) ** 2).sum(-1)) > D
def box_ok(im, row, cuts, shift=0.0):
    """The middle of the box is one colour (the object's); along the middle third
    of each side not cut by a quadrant or the frame, the band 2-4 px inside is that
    colour and the band 2-4 px outside is not."""
    H, W = im.shape[:2]
    x, y, w, h, c = row
    x1, x2 = (x - w / 2) * W + shift, (x + w / 2) * W + shift
    y1, y2 = (y - h / 2) * H, (y + h / 2) * H
    mid = im[int(round(y1 + (y2 - y1) / 4)):max(int(round(y2 - (y2 - y1) / 4)), int(round(y1 + (y2 - y1) / 4)) + 1),
             int(round(x1 + (x2 - x1) / 4)):max(int(round(x2 - (x2 - x1) / 4)), int(round(x1 + (x2 - x1) / 4)) + 1)]
    mid = mid.reshape(-1, 3)
    if not len(mid): return False
    col = np.median(mid, 0)
    if far(mid, col).mean() > 0.1: return False
    for side in 'lrtb':
        if side in cuts: continue   # the object goes on past it: nothing to tell
        for inner in (True, False):
            if inner and c == 1 and cuts: continue   # a cut circle's sides need not touch it
            if side in 'lr':
                e = x1 if side == 'l' else x2
                d = (1 if side == 'r' else -1) * (-1 if inner else 1)
                lo, hi = sorted((int(round(e + 2 * d)), int(round(e + 4 * d))))
                a, b = int(round(y1 + (y2 - y1) / 3)), int(round(y2 - (y2 - y1) / 3))
                if lo < 0 or hi > W: continue
                band = im[a:max(b, a + 1), lo:hi]
            else:
                e = y1 if side == 't' else y2
                d = (1 if side == 'b' else -1) * (-1 if inner else 1)
                lo, hi = sorted((int(round(e + 2 * d)), int(round(e + 4 * d))))
                a, b = int(round(x1 + (x2 - x1) / 3)), int(round(x2 - (x2 - x1) / 3))
                if lo < 0 or hi > H: continue
                band = im[lo:hi, a:max(b, a + 1)]
            band = band.reshape(-1, 3)
            if not len(band): continue
            frac = far(band, col).mean()
            if (inner and frac > 0.3) or (not inner and frac < 0.6): return False
    return True

def cut_sides(row, W, H, aug):
    """The sides of row on a line that cuts boxes: the frame, a mosaic's centre
    lines and, with an affine map (no rotation), the frame before it, all mapped."""
    x, y, w, h, c = row
    m, A = aug.get('mosaic'), aug.get('affine')
    xs = [0, W] + ([m['x']] if m else []); ys = [0, H] + ([m['y']] if m else [])
    if A:   # the lines before the map, mapped (a mapped mosaic's reach half the frame out)
        if m:
            xs, ys = xs + [-(W // 2), W + W // 2], ys + [-(H // 2), H + H // 2]
        xs = [0, W] + [A[0] * v + A[2] for v in xs]; ys = [0, H] + [A[4] * v + A[5] for v in ys]
    e = [(x - w / 2) * W, (x + w / 2) * W, (y - h / 2) * H, (y + h / 2) * H]
    return ''.join(s for s, v, ls in zip('lrtb', e, (xs, xs, ys, ys)) if any(abs(v - l) < 1e-3 for l in ls))

def on_objects(pics, shift=0.0):
    """pics: (image [H, W, 3], rows, augment) triples; augment None: not known (a
    blended-in picture), its cuts unknown: a circle's inner bands are not looked at.
    Returns boxes, boxes failing."""
    n = bad = 0
    for im, rows, aug in pics:
        H, W = im.shape[:2]
        for row in rows:
            n += 1
            cuts = '?' if aug is None else '' if shift else cut_sides(row, W, H, aug)
            bad += not box_ok(im, row, cuts, shift)
    return n, bad

def pictures(f):
    return [(t(r['input']).transpose(1, 2, 0), t(r['truth']), r.get('augment', {})) for r in recs(f)]

def mixed(fx, fa):
    """fx made with --mixup 1, fa the same without: fx's picture is w A + (1 - w) B
    with A fa's; B taken back out. The first rows are A's exactly; the pictures:
    A with its rows, B with the rest. Also: B's values in [0, 1], as a picture's."""
    pics, same, worst, n = [], True, 0.0, 0
    for x, a in zip(recs(fx), recs(fa)):
        w = x['augment']['mixup']; n += 1
        X, A = t(x['input']).astype(np.float64), t(a['input']).astype(np.float64)
        B = (X - w * A) / (1 - w)
        worst = max(worst, float(-B.min()), float(B.max() - 1))
        ta, tx = t(a['truth']), t(x['truth'])
        same &= bool(np.array_equal(tx[:len(ta)], ta))
        pics.append((A.transpose(1, 2, 0), ta, a.get('augment', {})))
        pics.append((B.transpose(1, 2, 0), tx[len(ta):], None))
    return n, same, worst < 1e-3, pics

cmd, files = sys.argv[1], sys.argv[2:]
if cmd == 'exact': print('%d %d %s' % (lambda n, b, w: (n, b, w < 1e-5))(*exact(files[0])))
elif cmd == 'inside': print('%d %d' % inside(files[0]))
elif cmd == 'pixels':
    n, bad = on_objects(pictures(files[0]))
    ns, bads = on_objects(pictures(files[0]), shift=3)
    print(n, bad <= 0.03 * n, bads >= 0.8 * ns)
elif cmd == 'mixup':
    n, same, inrange, pics = mixed(files[0], files[1])
    b, bad = on_objects(pics)
    bs, bads = on_objects([(im, rows, {}) for im, rows, _ in pics], shift=3)
    print(n, same, inrange, b, bad <= 0.03 * b, bads >= 0.8 * bs)
elif cmd == 'grey':
    # the mean share of pixels no image covers (exactly grey) where the map shrinks the
    # picture (scale under .8), in each file
    g = [np.mean([float((np.abs(t(r['input']) - 0.5) < 1e-7).all(0).mean()) for r in recs(f)
                  if r['augment']['affine'][0] < 0.8]) for f in files]
    print(' '.join('%.2f' % x for x in g), g[0] < g[1] / 2)
elif cmd == 'kinds':
    print(' '.join(sorted({k for r in recs(files[0]) for k in r.get('augment', {})})) or '-')
elif cmd == 'plain-same':
    # the records a draw left alone (no `augment`) are those of the run without the options
    a, b = recs(files[0]), recs(files[1])
    alone = [(x, y) for x, y in zip(a, b) if 'augment' not in x]
    print(len(alone) > 0, len(alone) < len(a), all(x == y for x, y in alone))
PYEOF
aug() { $PY "$T/aug.py" "$@"; }

# --- off: today's bytes ----------------------------------------------------------------
$ET "$T/in.mp" > "$T/plain.mp"
$ET --mosaic 0 --mixup 0 "$T/in.mp" > "$T/zero.mp"
check "--mosaic 0 --mixup 0: the bytes of a run without them" cmp -s "$T/plain.mp" "$T/zero.mp"
check_eq "... and no record gains 'augment'" "$(aug kinds "$T/plain.mp")" "-"

# --- mosaic ------------------------------------------------------------------------------
$ET --mosaic 1 "$T/in.mp" > "$T/mos.mp"; rc=$?
encode-targets --cfg $TINY --width 192 --height 192 --seed 5 --mosaic 1 "$T/in.mp" 2> "$T/err" > /dev/null
check_eq "--mosaic 1: exit 0, 16 records, each a mosaic" "$rc $(aug kinds "$T/mos.mp")" "0 mosaic"
check_match "... the closing lines count remnants dropped" "$(cat "$T/err")" \
  "--mosaic, --mixup, --affine: [1-9][0-9]* boxes cut to remnants dropped \(under 2 pixels wide or high, or under 0.2 of their area\); 0 partner images unreadable"
got=$(aug exact "$T/mos.mp")
check_match "... the own quadrant's rows: objects through transform, cut to the quadrant, remnants dropped, classes kept (to 1e-5)" "$got" "^[1-9][0-9]* 0 True$"
check_match "... every row inside [0, 1], at least 2 pixels a side, a class of the cfg" "$(aug inside "$T/mos.mp")" "^[1-9][0-9]* 0$"
check_match "... every box on its object in the pixels (97%: see box_ok); shifted 3 px, 80% are not" "$(aug pixels "$T/mos.mp")" "^[1-9][0-9]* True True$"

# --- affine ------------------------------------------------------------------------------
$ET --affine "$T/in.mp" > "$T/aff.mp"
check_eq "--affine: every record mapped" "$(aug kinds "$T/aff.mp")" "affine"
check_match "... rows: objects through transform and the map, cut, remnants dropped, classes kept" "$(aug exact "$T/aff.mp")" "^[1-9][0-9]* 0 True$"
check_match "... every box on its object in the pixels" "$(aug pixels "$T/aff.mp")" "^[1-9][0-9]* True True$"
$ET --affine --degrees 30 --affine-scale .3 --affine-translate .2 "$T/in.mp" > "$T/rot.mp"
check_match "--degrees 30: the boxes around the turned corners, as computed here" "$(aug exact "$T/rot.mp")" "^[1-9][0-9]* 0 True$"
check_match "... inside [0, 1]" "$(aug inside "$T/rot.mp")" "^[1-9][0-9]* 0$"

# --- mixup ---------------------------------------------------------------------------------
$ET --mixup 1 "$T/in.mp" > "$T/mix.mp"
check_eq "--mixup 1: every record blended" "$(aug kinds "$T/mix.mp")" "mixup"
check_match "... the picture is w A + (1 - w) B with A the record without --mixup; A's rows first, unchanged; B in [0, 1]; every box on its object in A or B" \
  "$(aug mixup "$T/mix.mp" "$T/plain.mp")" "^16 True True [1-9][0-9]* True True$"
ALL="--mosaic 1 --affine"
$ET $ALL "$T/in.mp" > "$T/ma.mp"
check_match "--mosaic 1 --affine: the own image's rows are among the truth rows, as computed here (the mosaic half a frame larger each side)" \
  "$(aug exact "$T/ma.mp")" "^[1-9][0-9]* 0 True$"
check_match "... every box on its object in the pixels" "$(aug pixels "$T/ma.mp")" "^[1-9][0-9]* True True$"
check_match "... a map that shrinks the mosaic brings in more of its images: under half the grey of --affine alone" \
  "$(aug grey "$T/ma.mp" "$T/aff.mp")" "True$"
$ET $ALL --mixup 1 "$T/in.mp" > "$T/mam.mp"
check_match "all three: A is the record made with --mosaic 1 --affine alone, B is taken back out, every box on its object" \
  "$(aug mixup "$T/mam.mp" "$T/ma.mp")" "^16 True True [1-9][0-9]* True True$"
check_match "... inside [0, 1]" "$(aug inside "$T/mam.mp")" "^[1-9][0-9]* 0$"

# --- draws: each option its own streams; the same seed, the same bytes ----------------------
$ET --mosaic .5 "$T/in.mp" > "$T/half.mp"
check_eq "--mosaic .5: the records not made mosaics are those of the run without it" \
  "$($PY "$T/aug.py" plain-same "$T/half.mp" "$T/plain.mp")" "True True True"
$ET --mixup .5 "$T/in.mp" > "$T/halfx.mp"
check_eq "--mixup .5: likewise for the records not blended" \
  "$($PY "$T/aug.py" plain-same "$T/halfx.mp" "$T/plain.mp")" "True True True"
A="--mosaic .5 --mixup .5 --affine --degrees 10 --hue .1 --saturation 1.5 --exposure 1.5"
$ET $A --epochs 2 --shuffle "$T/in.mp" > "$T/d1.mp"
$ET $A --epochs 2 --shuffle --batch 1 "$T/in.mp" > "$T/d2.mp"
$ET $A --epochs 2 --shuffle --batch 5 "$T/in.mp" > "$T/d3.mp"
OMP_NUM_THREADS=1 $ET $A --epochs 2 --shuffle --batch 7 "$T/in.mp" > "$T/d4.mp"
check "the same seed: the same bytes with --batch 1" cmp -s "$T/d1.mp" "$T/d2.mp"
check "... with --batch 5 (a partial last batch)" cmp -s "$T/d1.mp" "$T/d3.mp"
check "... with one thread and --batch 7" cmp -s "$T/d1.mp" "$T/d4.mp"
$ET $A --epochs 2 --shuffle --seed 6 "$T/in.mp" > "$T/d5.mp"
check "another seed: other bytes" sh -c "! cmp -s '$T/d1.mp' '$T/d5.mp'"
cat "$T/in.mp" | $ET $A --epochs 2 --shuffle > "$T/d6.mp"
check "from standard input: the same bytes" cmp -s "$T/d1.mp" "$T/d6.mp"
$ET $A --epochs 2 --shuffle --skip 5 "$T/in.mp" > "$T/d7.mp"
check_eq "--skip 5: the run's records 5 on, byte for byte" "$($PY - "$T/d1.mp" "$T/d7.mp" <<'PYEOF'
import sys, msgpack
a, b = (list(msgpack.Unpacker(open(f, 'rb'), raw=False)) for f in sys.argv[1:])
print(len(b), a[5:] == b)
PYEOF
)" "27 True"

# --- targets and targets_lost follow the truth ------------------------------------------------
cat > "$T/targets.py" <<'PYEOF'
import sys, msgpack, numpy as np
def t(v): return np.frombuffer(v['data'], '<f4').reshape(v['shape'])
def iou_wh(w1, h1, w2, h2):
    i = min(w1, w2) * min(h1, h2); return i / (w1 * h1 + w2 * h2 - i)
anchors = [float(x) for x in sys.argv[2].split(',')]
bad = n = lost = 0
for r in msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False):
    tr = t(r['truth']); tg = t(r['target'][0]); C = 5; A = len(anchors) // 2
    H, W = tg.shape[1:]
    want = np.zeros_like(tg); taken = {}
    for x, y, w, h, c in tr:
        i, j = min(int(np.floor(x * W)), W - 1), min(int(np.floor(y * H)), H - 1)
        a = int(np.argmax([iou_wh(w * W, h * H, anchors[2*k], anchors[2*k+1]) for k in range(A)]))
        b = a * (5 + C); lost += (a, j, i) in taken; taken[(a, j, i)] = 1
        want[b:b + 5 + C, j, i] = 0
        want[b:b + 4, j, i] = [x, y, w, h]; want[b + 4, j, i] = 1; want[b + 5 + int(c), j, i] = 1
        n += 1
    bad += not np.array_equal(want, tg)
    bad += r.get('targets_lost', 0) != len(tr) - int(tg.reshape(A, 5 + C, H, W)[:, 4].sum())
print(n > 0, bad, lost > 0)
PYEOF
anchors=$(grep '^anchors' $TINY | head -1 | cut -d= -f2 | tr -d ' ')
check_eq "targets: the records.md rule on the union of boxes; targets_lost = rows - targets set (some lost)" \
  "$($PY "$T/targets.py" "$T/mam.mp" "$anchors")" "True 0 True"
encode-targets --cfg $TINY --seed 5 --mosaic 1 --mixup 1 "$T/in.mp" > "$T/lost.mp" 2> "$T/err"
check_eq "... the closing line's lost count is the records' targets_lost summed" \
  "$(sed -n 's/.*; \([0-9]*\) lost to a later box.*/\1/p' "$T/err")" \
  "$($PY -c "
import msgpack
print(sum(r.get('targets_lost', 0) for r in msgpack.Unpacker(open('$T/lost.mp', 'rb'), raw=False)))")"

# --- partners that are bad -----------------------------------------------------------------
$PY - "$T/in.mp" "$T" <<'PYEOF'
import sys, msgpack
rs = list(msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False)); T = sys.argv[2]
def w(name, recs): open(T + '/' + name, 'wb').write(b''.join(msgpack.packb(r) for r in recs))
w('missing.mp', rs[:3] + [dict(rs[3], image=T + '/nope.jpg')] + rs[4:8])
w('class.mp', rs[:5] + [dict(rs[5], objects=[dict(rs[5]['objects'][0], **{'class': 5})])] + rs[6:8])
w('noobj.mp', [{k: v for k, v in rs[0].items() if k != 'objects'}] + rs[1:2])
PYEOF
encode-targets --cfg $TINY --mosaic 1 --mixup 1 "$T/missing.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_match "a partner whose image is missing: exit 0, its quadrants grey, counted" \
  "$rc $(grep -e --mosaic "$T/err")" "^0 encode-targets: --mosaic.* [1-9][0-9]* partner images unreadable"
check_eq "... its own record carries error; the 7 others are encoded" \
  "$($PY -c "
import msgpack
rs = list(msgpack.Unpacker(open('$T/o.mp', 'rb'), raw=False))
print(len(rs), ['error' in r for r in rs].index(True), sum('input' in r for r in rs))")" "8 3 7"
encode-targets --cfg $TINY --mosaic 1 "$T/class.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
check_match "a partner with a class out of range: exit 2 naming its record and key" "$rc $(cat "$T/err")" \
  "^2 encode-targets: .*class.mp: record 5: key 'objects\[0\].class': class 5 is out of range"
encode-targets --quiet --cfg $TINY --mosaic 1 "$T/noobj.mp" > "$T/o.mp"; rc=$?
check_eq "a record without objects: error on it; the other, the only partner left, is a mosaic of itself" \
  "$rc $($PY -c "
import msgpack
rs = list(msgpack.Unpacker(open('$T/o.mp', 'rb'), raw=False))
print('error' in rs[0], rs[1]['augment']['mosaic']['own'] in range(4))")" "0 True True"

# --- options -------------------------------------------------------------------------------
for bad in "--mosaic 1.5" "--mosaic -1" "--mosaic x" "--mixup 2" "--affine --affine-scale 1" \
           "--affine --affine-translate .6" "--affine --degrees 181"; do
  encode-targets --cfg $TINY $bad "$T/in.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
  check_match "$bad: exit 1, nothing written" "$rc $(wc -c < "$T/o.mp") $(head -1 "$T/err")" \
    "^1 0 encode-targets: option --"
done
for bad in "--affine-scale .3" "--degrees 5" "--affine-translate .1"; do
  encode-targets --cfg $TINY $bad "$T/in.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
  check_match "$bad without --affine: exit 1" "$rc $(wc -c < "$T/o.mp") $(head -1 "$T/err")" \
    "^1 0 encode-targets: --affine-scale, --affine-translate and --degrees need --affine"
done
for bad in "--mosaic 1" "--mixup .5" "--affine"; do
  encode-targets --cfg $TINY --no-augment $bad "$T/in.mp" > "$T/o.mp" 2> "$T/err"; rc=$?
  check_match "$bad with --no-augment: exit 1" "$rc $(wc -c < "$T/o.mp") $(head -1 "$T/err")" \
    "^1 0 encode-targets: --mosaic, --mixup and --affine are augmentations: not with --no-augment"
done
done_testing
