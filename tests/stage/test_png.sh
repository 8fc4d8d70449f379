# PNG and BMP wherever a JPEG is read: every PNG kind (8 and 16-bit, gray,
# gray + alpha, palette, RGBA, 1/2/4-bit, Adam7 interlaced) and BMP
# (8/24/32-bit, bottom-up and top-down) decodes to the pixels PIL (or the
# samples, where PIL writes no such file) says, the format told by the bytes
# not the name; image-list finds them; darknet-forward, encode-targets and
# draw give on a PNG of a JPEG's pixels what they give on the JPEG; a cut
# PNG decodes as far as it goes (warned once, refused with --strict); a
# corrupt one is refused naming the file. And the bounds: a JPEG header
# claiming 20000 x 20000 in 2 KB is refused before any allocation, and
# running out of memory decoding is exit 3.
. tests/stage/lib.sh
PY=/usr/bin/python3
HERE="$(cd "$(dirname "$0")" && pwd)"
DUMP="$TOOLS/img-dump"
TINY=tests/fixtures/synth-tiny.cfg
mkdir -p "$T/k"
$PY "$HERE/make-images.py" "$T/k" > "$T/kinds" || fail "make-images.py failed"

# pixels of "W H\n" + bytes, as img-dump writes them, without the line
pixels() { tail -c +$(( $(head -1 "$1" | wc -c) + 1 )) "$1"; }

# --- every kind, pixel for pixel -----------------------------------------------
while read -r f; do
  n=${f%.*}
  "$DUMP" "$T/k/$f" > "$T/k/$n.got" 2> "$T/k/$n.err"; rc=$?
  pixels "$T/k/$n.got" > "$T/k/$n.px"
  if [ "$rc" = 0 ] && [ ! -s "$T/k/$n.err" ] && cmp -s "$T/k/$n.px" "$T/k/$n.rgb"; then
    ok "$f: decoded as expected, exactly"
  else
    fail "$f: decoded as expected, exactly" "exit $rc, $(cat "$T/k/$n.err"), $(cmp "$T/k/$n.px" "$T/k/$n.rgb" 2>&1)"
  fi
done < "$T/kinds"
check_eq "every kind was made (21 PNG, 5 BMP)" "$(grep -c png "$T/kinds") $(grep -c bmp "$T/kinds")" "21 5"

# --- told by the bytes: image-list's search and sizes --------------------------
mkdir -p "$T/ph/sub"
cp "$T/k/rgb8.png" "$T/ph/a.png"; cp "$T/k/rgba16-adam7.png" "$T/ph/sub/B.PNG"
cp "$T/k/bmp24.bmp" "$T/ph/c.Bmp"; cp "$T/k/gray8.png" "$T/ph/d.jpg"
cp "$T/k/rgb8.png" "$T/ph/e.gif"
image-list "$T/ph" > "$T/ph.mp" 2> "$T/err"; rc=$?
check_eq "image-list: *.png, *.PNG, *.bmp searched (a PNG named .jpg too; .gif not), sizes from the headers" \
  "$rc $(records-to-json "$T/ph.mp" | jq -r '"\(.id) \(.width)x\(.height)"' | tr '\n' ' ')$(cat "$T/err")" \
  "0 a 61x37 c 61x37 d 61x37 B 61x37 "
"$DUMP" "$T/ph/d.jpg" > "$T/d.got" 2>&1
check "a PNG named d.jpg decodes as the PNG it is" cmp -s "$T/d.got" "$T/k/gray8.got"
$PY -c "
from PIL import Image
Image.new('1', (20, 10)).save('$T/one.bmp')
Image.new('RGB', (20, 10)).save('$T/rle.bmp')
" 2>/dev/null
printf 'BM' | cat - "$T/rle.bmp" | head -c 40 > "$T/cut.bmp"
image-list "$T/one.bmp" "$T/cut.bmp" > /dev/null 2> "$T/err"
check_eq "a 1-bit BMP and a BMP cut in its header: skipped, saying why" "$(cat "$T/err")" \
"image-list: $T/one.bmp: a BMP of 1 bits a pixel, compression 0, is not read (uncompressed 8, 24 and 32 bits are): skipped
image-list: $T/cut.bmp: not a readable BMP (it ends in its header): skipped
image-list: 2 paths skipped (missing, unreadable or not an image)"

# --- the stages on a PNG of a JPEG's pixels --------------------------------------
synth-voc --out "$T/sv" --count 2 --size 160x120 --seed 4 --quiet
voc-parse --quiet -c "$T/sv/classes.names" "$T/sv" > "$T/jpg.mp"
for j in "$T"/sv/JPEGImages/*.jpg; do
  "$DUMP" "$j" > "$T/px"
  $PY -c "
import sys, numpy as np
from PIL import Image
raw = open('$T/px', 'rb').read()
line = raw.index(b'\n')
w, h = map(int, raw[:line].split())
a = np.frombuffer(raw[line + 1:], np.uint8).reshape(h, w, 3)
Image.fromarray(a).save('${j%.jpg}.png')
Image.fromarray(a).save('${j%.jpg}.bmp')
# the same pixels as a 16-bit interlaced PNG (the low bytes 91), by make-images.py's writer
sys.path.insert(0, '$HERE')
import importlib; mi = importlib.import_module('make-images')
mi.write_png('${j%.jpg}-16.png', a.astype(int) * 256 + 91, 16, 2, interlace=1)
"
done
records-to-json --full "$T/jpg.mp" > "$T/jpg.jsonl"
for v in png bmp 16.png; do
  ext=.$v; [ "$v" = 16.png ] && ext=-16.png
  sed "s/\.jpg\"/$ext\"/" "$T/jpg.jsonl" | json-to-records > "$T/$v.mp"
done
check_eq "the records point at the PNG, BMP and 16-bit interlaced PNG files" \
  "$(records-to-json "$T/png.mp" "$T/bmp.mp" "$T/16.png.mp" | jq -r '.image | sub(".*/"; "")' | tr '\n' ' ')" \
  "000001.png 000002.png 000001.bmp 000002.bmp 000001-16.png 000002-16.png "
# the keys a stage made, of two streams: equal byte for byte?
cat > "$T/same.py" <<'PYEOF'
import sys, msgpack
keys = sys.argv[3].split(',')
a = list(msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False))
b = list(msgpack.Unpacker(open(sys.argv[2], 'rb'), raw=False))
print(len(a) == len(b) and all(all(k in x and x.get(k) == y.get(k) for k in keys)
                               for x, y in zip(a, b)))
PYEOF
DF="darknet-forward --quiet --cfg $TINY --random 5"
$DF "$T/jpg.mp" > "$T/df-jpg.mp"
for v in png bmp 16.png; do
  $DF "$T/$v.mp" > "$T/df-$v.mp" 2> "$T/err"; rc=$?
  check_eq "darknet-forward on the $v files: exit 0, quiet, the JPEGs' output and transform" \
    "$rc $(cat "$T/err")$($PY "$T/same.py" "$T/df-$v.mp" "$T/df-jpg.mp" output,transform)" "0 True"
done
ET="encode-targets --quiet --cfg $TINY --no-augment"
$ET "$T/jpg.mp" > "$T/et-jpg.mp"; $ET "$T/png.mp" > "$T/et-png.mp" 2> "$T/err"; rc=$?
check_eq "encode-targets --no-augment on the PNGs: the JPEGs' input tensors, transforms and targets" \
  "$rc $(cat "$T/err")$($PY "$T/same.py" "$T/et-png.mp" "$T/et-jpg.mp" input,transform,truth,target)" \
  "0 True"
records-to-json --full "$T/jpg.mp" | jq -c '.detections = [.objects[] | {class, name, score: 0.9,
  bbox, objectness: 0.9}]' | json-to-records > "$T/det-jpg.mp"
records-to-json --full "$T/png.mp" | jq -c '.detections = [.objects[] | {class, name, score: 0.9,
  bbox, objectness: 0.9}]' | json-to-records > "$T/det-png.mp"
draw --quiet --out "$T/dj" "$T/det-jpg.mp" > /dev/null; draw --out "$T/dp" "$T/det-png.mp" > /dev/null 2> "$T/err"; rc=$?
check_eq "draw on the PNGs: exit 0, JPEGs written, the same bytes as for the JPEGs" \
  "$rc $(cat "$T/err")$(ls "$T/dp" | tr '\n' ' ')$(for f in "$T"/dj/*; do cmp -s "$f" "$T/dp/${f##*/}" || echo differs; done)" \
  "0 000001.jpg 000002.jpg "

# --- a cut PNG, a corrupt one ---------------------------------------------------
n=$(wc -c < "$T/k/rgb8.png")
head -c $((n * 6 / 10)) "$T/k/rgb8.png" > "$T/cut.png"
"$DUMP" "$T/cut.png" > "$T/cut.got" 2> "$T/err"; rc=$?
grey=$(sed -n 's/.*the last \([0-9]*\) of 37).*/\1/p' "$T/err")
check_match "a PNG cut at 60%: decoded, warned: file, libpng's message, the grey rows" "$rc $(cat "$T/err")" \
  "^0 warning: $T/cut.png: truncated or corrupt PNG \(libpng: the file ends early\): decoded as viewers show it, the rows it could not read grey \(the last [0-9]+ of 37\)$"
read_rows=$((37 - ${grey:-37}))
check_eq "the rows before the cut are the whole file's, the rest grey 128 ($read_rows rows read)" \
  "$($PY -c "
import numpy as np
got = open('$T/cut.got', 'rb').read().split(b'\n', 1)[1]
want = open('$T/k/rgb8.rgb', 'rb').read()
g = np.frombuffer(got, np.uint8).reshape(37, 61, 3); w = np.frombuffer(want, np.uint8).reshape(37, 61, 3)
print(bool((g[:$read_rows] == w[:$read_rows]).all()), bool((g[$read_rows:] == 128).all()), 0 < $read_rows < 37)")" \
  "True True True"
"$DUMP" "$T/cut.png" --strict > /dev/null 2> "$T/err"; rc=$?
check_eq "strict: the cut PNG is refused, exit 2, naming the file" "$rc $(cat "$T/err")" \
  "2 img-dump: $T/cut.png: corrupt PNG (libpng: the file ends early)"
n=$(wc -c < "$T/k/rgb8-adam7.png")
head -c $((n / 2)) "$T/k/rgb8-adam7.png" > "$T/cut7.png"
"$DUMP" "$T/cut7.png" > "$T/cut7.got" 2> "$T/err"; rc=$?
check_match "an interlaced PNG cut in half: decoded with a warning, the passes it read" "$rc $(cat "$T/err")" \
  "^0 warning: $T/cut7.png: truncated or corrupt PNG \(libpng: the file ends early\): decoded as viewers show it"
head -c 40 "$T/k/rgb8.png" > "$T/head.png"
$PY -c "
b = bytearray(open('$T/k/rgb8.png', 'rb').read())
b[29] ^= 1                               # IHDR's CRC
open('$T/crc.png', 'wb').write(b)
b[29] ^= 1
at = b.index(b'IDAT') + 4
b[at:at + 8] = b'\xff' * 8               # the zlib header and first bytes
open('$T/zlib.png', 'wb').write(b)
"
for c in "head.png|not a readable PNG (libpng: the file ends early)" \
         "crc.png|not a readable PNG (libpng: IHDR: CRC error)" \
         "zlib.png|corrupt PNG (libpng: "; do
  f=${c%%|*}; want=${c#*|}
  "$DUMP" "$T/$f" > /dev/null 2> "$T/err"; rc=$?
  check_match "$f: refused, exit 2, naming the file and libpng's error" "$rc $(cat "$T/err")" \
    "^2 img-dump: $T/$f: $(printf '%s' "$want" | sed 's/[().]/\\&/g')"
done
# in the stages: damage warned once per image, --strict stops, a refusal is the record's error
printf '{"id":"c","image":"%s"}\n{"id":"c2","image":"%s"}\n{"id":"z","image":"%s"}\n' \
  "$T/cut.png" "$T/cut.png" "$T/zlib.png" | json-to-records > "$T/bad.mp"
darknet-forward --cfg $TINY --random 5 "$T/bad.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_eq "darknet-forward: the cut PNG used (warned once), the corrupt one an error; exit 0" \
  "$rc $(records-to-json "$T/out.mp" | jq -r '"\(.id):\(has("output")):\(.error // "" | test("zlib.png: corrupt PNG"))"' | tr '\n' ' ')$(grep -c "cut.png: truncated or corrupt PNG" "$T/err")" \
  "0 c:true:false c2:true:false z:false:true 1"
darknet-forward --quiet --strict --cfg $TINY --random 5 "$T/bad.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_match "--strict: exit 2 at the cut PNG, nothing written" "$rc $(wc -c < "$T/out.mp") $(cat "$T/err")" \
  "^2 0 darknet-forward: .*record 0: key 'image': $T/cut.png: truncated or corrupt PNG \(libpng: the file ends early\): .* \(an error with --strict\)$"

# --- decoding into the network's size (darknet-forward: img_load_fit) ----------------
# the fitted decode (rows resized as they come) against the whole image then
# the resize, bit for bit, letterboxed and stretched, shrinking and growing:
# every PNG and BMP kind, the cut PNG (its grey rows filled), a cut JPEG
head -c 20000 tests/data/images/dog.jpg > "$T/cut.jpg"
for size in "416 416" "61 37" "1000 700"; do
  # shellcheck disable=SC2086
  "$TOOLS/fit-check" $size "$T"/k/*.png "$T"/k/*.bmp "$T/cut.png" "$T/cut.jpg" \
    tests/data/images/dog.jpg tests/data/images/synth-375x500.jpg > "$T/fit" 2> "$T/err"
  rc=$?
  check_eq "into $size: the fitted decode is the whole decode + resize, bit for bit, on $(($(wc -l < "$T/fit") / 2)) files both ways" \
    "$rc $(grep -vc '^ok ' "$T/fit")$(cat "$T/err")" "0 0"
done

# --- bounds: a header's claim, and memory ---------------------------------------
$PY -c "
from PIL import Image
import io
b = io.BytesIO(); Image.new('RGB', (64, 48), (90, 120, 30)).save(b, 'JPEG', quality=90)
b = bytearray(b.getvalue())
at = b.index(b'\xff\xc0') + 5            # SOF0: height, width
b[at:at + 4] = (20000).to_bytes(2, 'big') * 2
open('$T/claims.jpg', 'wb').write(b)
"
image-list "$T/claims.jpg" > "$T/out.mp" 2> "$T/err"
check_match "image-list: a $(wc -c < "$T/claims.jpg")-byte JPEG whose header says 20000 x 20000: skipped, saying why" \
  "$(wc -c < "$T/out.mp") $(head -1 "$T/err")" \
  "^0 image-list: $T/claims.jpg: its header says 20000 x 20000, more than a JPEG of [0-9]+ bytes can hold \(512 pixels a byte at most\): truncated or corrupt: skipped$"
printf '{"id":"claims","image":"%s"}\n' "$T/claims.jpg" | json-to-records > "$T/claims.mp"
"$TOOLS/peakrss" "$T/rss" darknet-forward --quiet --cfg $TINY --random 5 "$T/claims.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_eq "darknet-forward: the record's error, exit 0" \
  "$rc $(records-to-json "$T/out.mp" | jq -r '.error | test("more than a JPEG of")')" "0 true"
check "... in under 200 MiB (the decoder took 1.2 GB before): $(cat "$T/rss") KiB" [ "$(cat "$T/rss")" -lt 204800 ]
if [ "${MODE:-release}" = san ]; then
  skip "darknet-forward on an 8000 x 8000 JPEG in 500 MB" "the sanitizer build reserves more address space than ulimit -v allows"
  skip "... in under 250 MiB at its peak" "the sanitizer build's own memory"
  skip "encode-targets runs out of memory on it: exit 3" "sanitizer build (ulimit -v)"
  skip "out of memory: the record before it written, nothing after" "sanitizer build"
  skip "draw: the same, exit 3" "sanitizer build"
else
  $PY -c "from PIL import Image; Image.new('L', (8000, 8000), 0).save('$T/big.jpg', quality=75)"
  printf '{"id":"dog","image":"tests/data/images/dog.jpg"}\n{"id":"big","image":"%s"}\n{"id":"dog2","image":"tests/data/images/dog.jpg"}\n' \
    "$T/big.jpg" | json-to-records > "$T/big.mp"
  # darknet-forward decodes into the network's size (img_load_fit): the
  # whole image is never held, so it fits where the full decode did not
  (ulimit -v 500000; exec timeout 120 darknet-forward --quiet --cfg $TINY --random 5 "$T/big.mp") > "$T/out.mp" 2> "$T/err"; rc=$?
  check_eq "darknet-forward on an 8000 x 8000 JPEG (768 MB of floats whole) in 500 MB: exit 0, all three records run" \
    "$rc $(records-to-json "$T/out.mp" | jq -r '.id + (if .output then ":out" else "" end)' | tr '\n' ' ')$(cat "$T/err")" \
    "0 dog:out big:out dog2:out "
  "$TOOLS/peakrss" "$T/rss" darknet-forward --quiet --cfg $TINY --random 5 "$T/big.mp" > /dev/null 2>&1
  check "... in under 250 MiB of memory at its peak (no image: ~196 MiB; whole, the image alone takes 768 MB): $(cat "$T/rss") KiB" [ "$(cat "$T/rss")" -lt 256000 ]
  printf '{"id":"dog","image":"tests/data/images/dog.jpg","objects":[]}\n{"id":"big","image":"%s","objects":[]}\n{"id":"dog2","image":"tests/data/images/dog.jpg","objects":[]}\n' \
    "$T/big.jpg" | json-to-records > "$T/bigobj.mp"
  (ulimit -v 500000; exec timeout 120 encode-targets --quiet --cfg $TINY --no-augment "$T/bigobj.mp") > "$T/out.mp" 2> "$T/err"; rc=$?
  check_eq "encode-targets (which augments the whole image) runs out of memory on it: exit 3, why" \
    "$rc $(cat "$T/err")" \
    "3 encode-targets: $T/bigobj.mp: record 1: key 'image': $T/big.jpg: out of memory for 8000 x 8000 pixels"
  check_eq "out of memory: the record before it written, nothing after" \
    "$(records-to-json "$T/out.mp" | jq -r .id | tr '\n' ' ')" "dog "
  (ulimit -v 500000; exec timeout 120 draw --out "$T/bigdraw" "$T/big.mp") > /dev/null 2> "$T/err"; rc=$?
  check_eq "draw: the same, exit 3" "$rc $(tail -1 "$T/err")" \
    "3 draw: $T/big.mp: record 1: image: $T/big.jpg: out of memory for 8000 x 8000 pixels"
fi
done_testing
