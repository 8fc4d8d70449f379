#!/bin/sh
# PNG and BMP against libdarknet (run by `make check-darknet`): darknet's
# own decode (load_image_color: OpenCV's imread in Debian's build, libpng
# underneath for PNG) of every kind tests/stage/make-images.py writes must
# equal img_load's exactly (darknet-harness letterbox, which also compares
# resize and letterbox); then dog.jpg's pixels as an 8-bit PNG and as a
# 16-bit Adam7 PNG go through darknet's detector path (darknet-harness
# boxes: load_image_color, letterbox_image, network_predict with seeded
# random weights) and through `image-list | darknet-forward --random` with
# the same weights: the heads must agree to 1e-4 of their largest value
# (darknet-forward folds batch norm, so not to the bit). Exits 1 on any
# difference. Run from the top of the repository with bin/ built.
set -u
: "${HARNESS:=build/release/darknet/darknet-harness}" "${BIN:=bin}" "${BUILD:=build/release}"
PY=/usr/bin/python3
CFG=tests/data/cfg/yolov2-tiny-voc.cfg
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
$PY tests/stage/make-images.py "$T" > "$T/kinds" || exit 1
while read -r f; do
  line=$("$HARNESS" letterbox "$T/$f" "$T/fix" 2>&1 | grep '^decode')
  case $line in
    *"= 0 (0 of"*) echo "decode $f: equal to darknet's (load_image_color)" ;;
    *) echo "DIFFERS: $f: ${line:-the harness failed}"; fail=1 ;;
  esac
done < "$T/kinds"

"$BUILD/tools/img-dump" tests/data/images/dog.jpg > "$T/dog.px" || exit 1
$PY - "$T" <<'PYEOF' || exit 1
import sys, numpy as np
from PIL import Image
sys.path.insert(0, 'tests/stage')
import importlib
mi = importlib.import_module('make-images')
t = sys.argv[1]
raw = open(f'{t}/dog.px', 'rb').read()
line = raw.index(b'\n')
w, h = map(int, raw[:line].split())
a = np.frombuffer(raw[line + 1:], np.uint8).reshape(h, w, 3)
Image.fromarray(a).save(f'{t}/dog.png')
mi.write_png(f'{t}/dog16.png', a.astype(int) * 256 + 200, 16, 2, interlace=1)
PYEOF
cat > "$T/cmp.py" <<'PYEOF'
import sys, msgpack, numpy as np
dn = next(msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False))
us = next(msgpack.Unpacker(open(sys.argv[2], 'rb'), raw=False))
t = lambda h: np.frombuffer(h['tensor']['data'], '<f4')
worst = max(float(np.abs(t(a) - t(b)).max() / np.abs(t(a)).max())
            for a, b in zip(dn['output'], us['output']))
same_tf = all(abs(dn['transform'][k] - us['transform'][k]) < 1e-9 for k in dn['transform'])
print('%s heads, max |ours - darknet| / max |darknet| = %.3g, transform %s'
      % (len(dn['output']), worst, 'equal' if same_tf else 'DIFFERS'))
sys.exit(0 if worst <= 1e-4 and same_tf and len(dn['output']) == len(us['output']) else 1)
PYEOF
for p in dog dog16; do
  "$HARNESS" boxes "$CFG" 96 96 7 1 "$T/$p.png" letterbox 0.5 0.45 "$T/dn.mp" "$T/dn.txt" \
    > /dev/null 2>&1 || { echo "FAILED: harness boxes on $p.png"; fail=1; continue; }
  "$BIN/image-list" "$T/$p.png" | "$BIN/darknet-forward" --quiet --cfg "$CFG" --random 7 \
    --width 96 --height 96 > "$T/us.mp" || { echo "FAILED: darknet-forward on $p.png"; fail=1; continue; }
  printf '%s.png through darknet and darknet-forward: ' "$p"
  $PY "$T/cmp.py" "$T/dn.mp" "$T/us.mp" || fail=1
done
[ "$fail" = 0 ] && echo "check-png: PNG and BMP decode as libdarknet's, heads agree" || echo "check-png: FAILED"
exit "$fail"
