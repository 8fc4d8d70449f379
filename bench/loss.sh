#!/bin/sh
# yolo-loss throughput on head outputs of the real shapes at 416 x 416:
# yolov2-voc (one region head, 125 x 13 x 13, VOC anchors) and yolov3 (three
# yolo heads, 255 x 13 x 13, 26 x 26, 52 x 52, COCO anchors), random raw values
# and BOXES random boxes per image, targets encoded by the bench itself.
# Prints records/s and ms/record for each, and darknet-forward's rate on the
# same networks at 416 (random weights, DF_IMAGES shared images, whole
# process: start-up, decode, letterbox, forward, encode), so that yolo-loss
# is seen never to be the bottleneck of a training pipe.
# A yolov3 record with its target is 7.2 MB, so N3 is kept small.
#     sh bench/loss.sh    knobs: N (v2 records, 200), N3 (v3 records, 40), BOXES (8), BIN (bin),
#                         DF_IMAGES (3; 0 skips darknet-forward), CFGS (tests/data/cfg)
set -eu
: "${N:=200}" "${N3:=40}" "${BOXES:=8}" "${BIN:=bin}" "${DF_IMAGES:=3}"
: "${CFGS:=$(cd "$(dirname "$0")/.." && pwd)/tests/data/cfg}"
PY=/usr/bin/python3
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$PY" - "$T" "$N" "$BOXES" "$N3" <<'PY'
import sys, msgpack, numpy as np
out, n, nb, n3 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(1)
def tensor(a):
    a = np.ascontiguousarray(a, dtype='<f4')
    return {'dtype': 'f32', 'shape': list(a.shape), 'data': a.tobytes()}
def wh_iou(w1, h1, w2, h2):
    i = min(w1, w2) * min(h1, h2); return i / (w1 * h1 + w2 * h2 - i)
def boxes():
    b = np.column_stack([rng.uniform(0.02, 0.98, (nb, 2)), rng.uniform(0.03, 0.6, (nb, 2)),
                         rng.integers(0, 20, nb)]).astype(np.float32)
    return b
def grid_target(shape, C, t, a_of):
    g = np.zeros(shape, np.float32); A = shape[0] // (5 + C)
    g = g.reshape(A, 5 + C, shape[1], shape[2])
    for r in t:
        a = a_of(r)
        if a is None: continue
        i, j = int(r[0] * shape[2]), int(r[1] * shape[1])
        g[a, :, j, i] = 0; g[a, :4, j, i] = r[:4]; g[a, 4, j, i] = 1; g[a, 5 + int(r[4]), j, i] = 1
    return g.reshape(shape)
v2a = [1.3221, 1.73145, 3.19275, 4.00944, 5.05587, 8.09892, 9.47112, 4.84053, 11.2364, 10.0071]
v3a = [10, 13, 16, 30, 33, 23, 30, 61, 62, 45, 59, 119, 116, 90, 156, 198, 373, 326]
with open(out + '/v2.mp', 'wb') as f:
    for k in range(n):
        t = boxes(); shape = (125, 13, 13)
        tg = grid_target(shape, 20, t, lambda r: int(np.argmax([wh_iou(r[2] * 13, r[3] * 13, v2a[2*a], v2a[2*a+1]) for a in range(5)])))
        head = {'type': 'region', 'tensor': tensor(rng.normal(0, 1, shape)), 'classes': 20, 'coords': 4,
                'num': 5, 'net_w': 416, 'net_h': 416, 'anchors': v2a, 'softmax': True}
        f.write(msgpack.packb({'id': str(k), 'output': [head], 'truth': tensor(t), 'target': [tensor(tg)]}))
with open(out + '/v3.mp', 'wb') as f:
    for k in range(n3):
        t = boxes(); heads, tgs = [], []
        for mask, s in (([6, 7, 8], 13), ([3, 4, 5], 26), ([0, 1, 2], 52)):
            shape = (255, s, s)
            def a_of(r, mask=mask):
                best = int(np.argmax([wh_iou(r[2] * 416, r[3] * 416, v3a[2*a], v3a[2*a+1]) for a in range(9)]))
                return mask.index(best) if best in mask else None
            tgs.append(tensor(grid_target(shape, 80, t, a_of)))
            heads.append({'type': 'yolo', 'tensor': tensor(rng.normal(0, 1, shape)), 'classes': 80,
                          'coords': 4, 'num': 9, 'net_w': 416, 'net_h': 416, 'anchors': v3a, 'mask': mask})
        f.write(msgpack.packb({'id': str(k), 'output': heads, 'truth': tensor(t), 'target': tgs}))
PY
rate() {  # rate NAME N START END BYTES (of the records read or written)
  awk -v name="$1" -v n="$2" -v s="$3" -v e="$4" -v sz="$5" 'BEGIN {
    printf "%-40s %4d records (%6.1f MB): %8.1f records/s, %8.2f ms/record\n",
           name, n, sz / 1e6, n / (e - s), 1000 * (e - s) / n }'
}
for v in v2 v3; do
  "$BIN/yolo-loss" -q "$T/$v.mp" > /dev/null   # warm the page cache
  s=$(date +%s.%N)
  "$BIN/yolo-loss" -q "$T/$v.mp" > /dev/null
  e=$(date +%s.%N)
  if [ "$v" = v2 ]; then name="yolo-loss yolov2-voc (125x13x13)"; n=$N
  else name="yolo-loss yolov3 (255x13/26/52)"; n=$N3; fi
  rate "$name" "$n" "$s" "$e" "$(wc -c < "$T/$v.mp")"
done
[ "$DF_IMAGES" -gt 0 ] && [ -x "$BIN/darknet-forward" ] && [ -x "$BIN/image-list" ] || exit 0
IMG="$CFGS/../images"
for i in $(seq "$DF_IMAGES"); do echo "$IMG/dog.jpg"; done | "$BIN/image-list" -q > "$T/imgs.mp"
for net in yolov2-voc yolov3; do
  s=$(date +%s.%N)
  "$BIN/darknet-forward" -q --cfg "$CFGS/$net.cfg" --random 1 --width 416 --height 416 \
    "$T/imgs.mp" > "$T/fwd.mp"
  e=$(date +%s.%N)
  rate "darknet-forward $net (random weights)" "$DF_IMAGES" "$s" "$e" "$(wc -c < "$T/fwd.mp")"
done
