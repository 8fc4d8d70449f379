# draw in real pipes: files named by id (odd ids escaped, repeated ids kept
# apart), records passed on byte for byte, the contact sheet, --thresh,
# --truth and --names changing the pictures, --input (encode-targets' input
# and truth rows drawn where they are), and the error paths (records
# with 'error', missing and corrupt images, bad detections, a size that
# does not match, folders that cannot be written, a full stdout).
# Pixel-level checks of the drawing are in tests/unit/test_draw.c.
. tests/stage/lib.sh

# JPEG width x height from the first SOF marker (no image library needed).
jpeg_size() {
  /usr/bin/python3 - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:2] == b"\xff\xd8", "not a JPEG"
i = 2
while i < len(b):
    m, n = b[i + 1], struct.unpack(">H", b[i + 2:i + 4])[0]
    if m in (0xC0, 0xC1, 0xC2):
        h, w = struct.unpack(">HH", b[i + 5:i + 9])
        print(f"{w}x{h}")
        break
    i += 2 + n
EOF
}

# A dataset of 4 images; detections made from the objects (shifted a little,
# scores 0.95, 0.80, ...), and one of them pushed off the image's edge.
synth-voc --out "$T/sv" --count 4 --size 160x120 --quiet
voc-parse --quiet -c "$T/sv/classes.names" "$T/sv" > "$T/truth.mp"
records-to-json "$T/truth.mp" | jq -c '.detections = [.objects | to_entries[] |
  {class: .value.class, name: .value.name, score: (0.95 - .key * 0.15),
   bbox: [.value.bbox[0] + 2, .value.bbox[1] - 1, .value.bbox[2] + 3, .value.bbox[3] + 2],
   objectness: 0.9}] | .detections[0].bbox[2] += 400' > "$T/det.jsonl"
json-to-records "$T/det.jsonl" > "$T/det.mp"
check_eq "fixture: 4 records with detections" \
  "$(jq -s 'map(.detections | length > 0) | [length, all]' -c "$T/det.jsonl")" '[4,true]'

# --- files named by id, records passed on -----------------------------------
draw --out "$T/o" "$T/det.mp" > "$T/pass.mp" 2> "$T/err"; rc=$?
check_eq "valid input: exit 0, nothing on stderr" "$rc $(cat "$T/err")" "0 "
check "records come out byte for byte" cmp -s "$T/pass.mp" "$T/det.mp"
check_eq "one JPEG per record, named by id" "$(ls "$T/o" | tr '\n' ' ')" \
  "000001.jpg 000002.jpg 000003.jpg 000004.jpg "
check_eq "each is the image's size" "$(jpeg_size "$T/o/000002.jpg")" "160x120"
check "the picture is not the image as it was" sh -c "! cmp -s '$T/o/000001.jpg' '$T/sv/JPEGImages/000001.jpg'"
draw --out "$T/o2" < "$T/det.mp" > /dev/null
check "the same records give the same files, byte for byte" cmp -s "$T/o/000003.jpg" "$T/o2/000003.jpg"
check_eq "no temporary files are left" "$(ls -a "$T/o" | grep -c tmp)" 0

# --- what is drawn ------------------------------------------------------------
draw --out "$T/plain" "$T/truth.mp" > /dev/null
draw --out "$T/t1" --thresh 1 "$T/det.mp" > /dev/null
check "--thresh 1 (every score < 1): the same picture as a record without detections" \
  cmp -s "$T/t1/000001.jpg" "$T/plain/000001.jpg"
draw --out "$T/t5" --thresh 0.9 "$T/det.mp" > /dev/null
check "--thresh 0.9 keeps the 0.95 detection: a different picture" \
  sh -c "! cmp -s '$T/t5/000001.jpg' '$T/plain/000001.jpg'"
draw --out "$T/tt" --thresh 1 --truth "$T/det.mp" > /dev/null
check "--truth draws the objects too" sh -c "! cmp -s '$T/tt/000001.jpg' '$T/plain/000001.jpg'"
printf 'one\ntwo\nthree\nfour\nfive\n' > "$T/n.names"
draw --out "$T/nn" --names "$T/n.names" "$T/det.mp" > /dev/null
check "--names changes the labels" sh -c "! cmp -s '$T/nn/000001.jpg' '$T/o/000001.jpg'"
draw --out "$T/nx" --names "$T/missing.names" "$T/det.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "--names of a missing file: exit 3 naming it" "$rc $(cat "$T/err")" "^3 draw: .*missing.names"

# --- ids that are not file names ----------------------------------------------
img="$T/sv/JPEGImages/000001.jpg"
for id in 'a/b' '../up' '.hidden' 'caf\u00e9 1' 'dup' 'dup' 'x~2' 'dup'; do
  printf '{"id":"%s","image":"%s","width":160,"height":120}\n' "$id" "$img"
done | json-to-records > "$T/ids.mp"
draw --out "$T/ids" "$T/ids.mp" > /dev/null 2> "$T/err"; rc=$?
check_eq "odd ids: exit 0" "$rc" 0
check_eq "escaped names, repeated ids numbered" "$(ls -A "$T/ids" | LC_ALL=C sort | tr '\n' ' ')" \
  "%2E.%2Fup.jpg %2Ehidden.jpg a%2Fb.jpg caf%C3%A9%201.jpg dup.jpg dup~2.jpg dup~3.jpg x%7E2.jpg "
check "nothing was written outside --out" sh -c "! ls '$T' | grep -q '^up'"
check_match "a repeated id is a warning naming the new file" "$(cat "$T/err")" \
  "draw: .*ids.mp: record 5: id 'dup' seen before: written as dup~2.jpg"
check_match "and is counted at the end" "$(tail -1 "$T/err")" "^draw: 2 ids seen before, files renamed$"
draw --strict --out "$T/ids2" "$T/ids.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_match "--strict: a repeated id is an error (exit 2)" "$rc $(cat "$T/err")" "^2 draw: .*record 5: id 'dup' seen before"
check_eq "--strict: the records before it were passed on" "$(records-to-json "$T/out.mp" | wc -l | tr -d ' ')" 5
long=$(head -c 300 /dev/zero | tr '\0' 'z')
printf '{"id":"%s","image":"%s"}\n' "$long" "$img" | json-to-records | draw --out "$T/long" > /dev/null
check_match "a 300-byte id: cut, with a hash" "$(ls "$T/long")" "^z{183}~[0-9a-f]{16}\.jpg$"

# --- records that are not drawn -----------------------------------------------
{
  printf '{"id":"e1","image":"%s","error":"rescale: broken"}\n' "$img"
  printf '{"id":"m1","image":"%s/nope.jpg"}\n' "$T"
  printf '{"id":"noimage"}\n'
  printf '{"image":"%s"}\n' "$img"
  printf '{"id":"ok","image":"%s","detections":[]}\n' "$img"
} | json-to-records > "$T/mixed.mp"
head -c 200 "$img" > "$T/cut.jpg"   # cut inside its header
printf '{"id":"c1","image":"%s"}\n' "$T/cut.jpg" | json-to-records > "$T/corrupt.mp"
draw --out "$T/mx" "$T/mixed.mp" "$T/corrupt.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_eq "missing image, no id, error, corrupt image: exit 0" "$rc" 0
cat "$T/mixed.mp" "$T/corrupt.mp" > "$T/mixed-all.mp"
check "all of them passed on byte for byte" cmp -s "$T/out.mp" "$T/mixed-all.mp"
check_eq "only the good record drawn (no detections: just the image)" "$(ls "$T/mx")" "ok.jpg"
check_match "a missing image: warning naming the record" "$(cat "$T/err")" \
  "draw: .*mixed.mp: record 1: image: .*nope.jpg.*: not drawn"
check_match "no 'image' key: warning" "$(cat "$T/err")" "draw: .*mixed.mp: record 2: no 'image' key: not drawn"
check_match "no id: warning" "$(cat "$T/err")" "draw: .*mixed.mp: record 3: no 'id'"
check_match "a corrupt image: warning naming it" "$(cat "$T/err")" "draw: .*corrupt.mp: record 0: image: .*cut.jpg"
check_match "closing counts" "$(tail -2 "$T/err" | tr '\n' '|')" \
  "^draw: 1 record with 'error' passed on, not drawn\|draw: 3 records not drawn \(image missing or unreadable\), 1 record not drawn \(no id\)\|$"
draw --quiet --out "$T/mq" "$T/mixed.mp" > /dev/null 2> "$T/err"
check_eq "--quiet: no warnings" "$(cat "$T/err")" ""
draw --strict --out "$T/ms" "$T/mixed.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_match "--strict: a missing image is an error (exit 2)" "$rc $(cat "$T/err")" "^2 draw: .*record 1: image: .*an error with --strict"
check_eq "--strict: the record with 'error' before it was passed on" \
  "$(records-to-json "$T/out.mp" | jq -r .id)" "e1"

# --- a truncated JPEG: drawn as it decodes (the missing rows grey), warned about once ---------
head -c $(( $(wc -c < "$img") * 2 / 3 )) "$img" > "$T/trunc.jpg"
{
  printf '{"id":"t1","image":"%s","detections":[]}\n' "$T/trunc.jpg"
  printf '{"id":"t2","image":"%s","detections":[]}\n' "$T/trunc.jpg"
} | json-to-records > "$T/trunc.mp"
draw --out "$T/tr" "$T/trunc.mp" > /dev/null 2> "$T/err"; rc=$?
check_eq "a truncated JPEG, twice: exit 0, both drawn" "$rc $(ls "$T/tr" | tr '\n' ' ')" "0 t1.jpg t2.jpg "
check_match "... one warning naming the file, truncated, the missing rows grey; one closing count" \
  "$(tr '\n' '|' < "$T/err")" \
  "^draw: $T/trunc.mp: record 0: image: $T/trunc.jpg: truncated or corrupt JPEG \(libjpeg-turbo: Premature end of JPEG file\): decoded as viewers show it, the rows it could not read grey \(the last [0-9]+ of 120\): drawn\|draw: 2 truncated or corrupt images drawn \(1 repeated, warned about once\)\|$"
draw --strict --out "$T/trs" "$T/trunc.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "--strict: a truncated JPEG is an error (exit 2) naming the file" "$rc $(cat "$T/err")" \
  "^2 draw: $T/trunc.mp: record 0: image: $T/trunc.jpg: truncated or corrupt JPEG .*Premature end of JPEG file.*\(an error with --strict\)$"

# --- --input: what the network sees (encode-targets' input and truth) ------------
encode-targets --quiet --cfg tests/fixtures/synth-tiny.cfg --width 192 --height 192 --seed 3 \
  --mosaic 1 --affine "$T/det.mp" > "$T/enc.mp"
draw --input --truth --thresh 1 --out "$T/in" "$T/enc.mp" > "$T/pass.mp" 2> "$T/err"; rc=$?
check_eq "--input --truth on encode-targets' records: exit 0, quiet, one JPEG each" \
  "$rc $(cat "$T/err")$(ls "$T/in" | wc -l | tr -d ' ')" "0 4"
check "... the records pass on byte for byte" cmp -s "$T/pass.mp" "$T/enc.mp"
check_eq "... each at the input's size" "$(jpeg_size "$T/in/000002.jpg")" "192x192"
check_eq "... each truth row's top edge drawn on its row of the input (far from the input there, not 3 rows lower), the rest the input" \
  "$(/usr/bin/python3 - "$T/enc.mp" "$T/in" <<'EOF'
import sys, msgpack, numpy as np
from PIL import Image
ok = edges = 0; rest = []
for r in msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False):
    inp = np.frombuffer(r['input']['data'], '<f4').reshape(3, 192, 192).transpose(1, 2, 0) * 255
    pic = np.asarray(Image.open('%s/%s.jpg' % (sys.argv[2], r['id'])), dtype=np.float64)
    drawn = np.zeros((192, 192), bool)
    for x, y, w, h, c in np.frombuffer(r['truth']['data'], '<f4').reshape(-1, 5):
        x1, x2, y1 = int((x - w / 2) * 192), int(np.ceil((x + w / 2) * 192)), int((y - h / 2) * 192)
        drawn[max(y1 - 4, 0):y1 + int(h * 192) + 30, max(x1 - 4, 0):x2 + 4] = True
        if x2 - x1 < 8: continue
        d = np.abs(pic - inp)[:, x1 + 2:x2 - 2]
        edges += 1; ok += d[y1].mean() > 40 and (h * 192 < 10 or d[y1 + 3].mean() < 20)
    rest.append(np.abs(pic - inp)[~drawn].mean())   # JPEG's error: a few levels
print(edges > 5, ok == edges, max(rest) < 8)
EOF
)" "True True True"
draw --input --truth --out "$T/ind" "$T/enc.mp" > /dev/null
check "... the detections, mapped onto the input by its transform, change the picture" \
  sh -c "! cmp -s '$T/ind/000002.jpg' '$T/in/000002.jpg'"
cp "$T/truth.mp" "$T/noinput.mp"
draw --input --out "$T/in2" "$T/noinput.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "--input on records without 'input': exit 0, a warning, nothing drawn" \
  "$rc $(ls "$T/in2" | wc -l | tr -d ' ') $(head -1 "$T/err")" "^0 0 draw: .*record 0: no 'input' key \(--input\)"
records-to-json --full "$T/enc.mp" | jq -c 'del(.transform)' | json-to-records > "$T/notf.mp"
draw --input --out "$T/in3" "$T/notf.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "--input, detections but no transform to place them: exit 2 naming it" "$rc $(cat "$T/err")" \
  "^2 draw: .*record 0: key 'transform': missing: needed to draw 'detections' on the 'input'"
records-to-json --full "$T/enc.mp" | jq -c '.input.shape = [1, 3, 192 * 192]' | json-to-records > "$T/shape.mp"
draw --input --out "$T/in4" "$T/shape.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "--input of another shape: exit 2 naming the key" "$rc $(cat "$T/err")" \
  "^2 draw: .*record 0: key 'input': expected f32 \[3, H, W\]"

# --- bad records: exit 2 naming the record and key ------------------------------
# bad DESC PYTHON-DICT PATTERN: the record packed by Python (json-to-records
# would refuse most of these itself)
bad() {
  /usr/bin/python3 -c "import msgpack, sys; I = sys.argv[1]; nan = float('nan')
sys.stdout.buffer.write(msgpack.packb($2, use_bin_type=True))" "$img" > "$T/bad.mp"
  draw --out "$T/bad" ${4:-} "$T/bad.mp" > /dev/null 2> "$T/err"; rc=$?
  check_match "$1" "$rc $(cat "$T/err")" "$3"
}
d='"class": 0, "name": "a", "bbox": [1, 2, 30, 40]'
bad "a NaN score" "{'id': 'x', 'image': I, 'detections': [{$d, 'score': 0.5}, {$d, 'score': nan}]}" \
  "^2 draw: .*record 0: key 'detections\[1\]': 'score' is missing or not a finite number"
bad "a score that is a string" "{'id': 'x', 'image': I, 'detections': [{$d, 'score': '0.5'}]}" \
  "^2 draw: .*record 0: key 'detections\[0\]': 'score'"
bad "a bbox of 3 numbers" "{'id': 'x', 'image': I, 'detections': [{'class': 0, 'score': 1, 'bbox': [1, 2, 3]}]}" \
  "^2 draw: .*record 0: key 'detections\[0\]': 'bbox'"
bad "a detection without class" "{'id': 'x', 'image': I, 'detections': [{'score': 1, 'bbox': [1, 2, 3, 4]}]}" \
  "^2 draw: .*record 0: key 'detections\[0\]': 'class'"
bad "detections not a list" "{'id': 'x', 'image': I, 'detections': 5}" "^2 draw: .*record 0: key 'detections'"
bad "an id that is not a string" "{'id': 5, 'image': I}" "^2 draw: .*record 0: key 'id'"
bad "an image that is not a string" "{'id': 'x', 'image': 5}" "^2 draw: .*record 0: key 'image'"
bad "a width that is not the image's" "{'id': 'x', 'image': I, 'width': 161, 'height': 120}" \
  "^2 draw: .*record 0: key 'width': is 161, but the image is 160x120"
bad "a height that is not an integer" "{'id': 'x', 'image': I, 'width': 160, 'height': 120.0}" \
  "^2 draw: .*record 0: key 'height'"
bad "--truth: a bad object" "{'id': 'x', 'image': I, 'objects': [{'class': 0, 'bbox': [1, 2]}]}" \
  "^2 draw: .*record 0: key 'objects\[0\]'" --truth
bad "without --truth the objects are not read" "{'id': 'x', 'image': I, 'objects': [{'class': 0, 'bbox': [1, 2]}]}" \
  "^0 $"
head -c 50 "$T/det.mp" > "$T/trunc.mp"
draw --out "$T/bad" "$T/trunc.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "a truncated stream: exit 2" "$rc $(cat "$T/err")" "^2 draw: .*trunc.mp"
draw --out "$T/bad" "$T/nonexistent.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "a missing input file: exit 3 naming it" "$rc $(cat "$T/err")" "^3 draw: .*nonexistent.mp"

# --- writing: folders, full disks -------------------------------------------------
draw --out "$T/o" "$T/det.mp" > /dev/full 2> "$T/err"; rc=$?
check_match "stdout on /dev/full: exit 3" "$rc $(cat "$T/err")" "^3 draw: .*No space left on device"
: > "$T/afile"
draw --out "$T/afile" "$T/det.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_eq "--out is a file: exit 3, nothing on stdout" "$rc $(wc -c < "$T/out.mp" | tr -d ' ') $(cat "$T/err")" \
  "3 0 draw: output folder $T/afile: not a folder"
draw --out "$T/afile/sub" "$T/det.mp" > /dev/null 2> "$T/err"; rc=$?
check_eq "--out inside a file: exit 3" "$rc $(cat "$T/err")" \
  "3 draw: cannot make the output folder $T/afile/sub: Not a directory"
draw --out "$T/no/such" "$T/det.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "--out two levels down: exit 3" "$rc $(cat "$T/err")" "^3 draw: cannot make the output folder .*: No such file"
mkdir -p "$T/blocked/000002.jpg"
draw --out "$T/blocked" "$T/det.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_match "a picture that cannot be written: exit 3 naming it" "$rc $(cat "$T/err")" "^3 draw: .*blocked/000002.jpg"
check_eq "the record before it was passed on" "$(records-to-json "$T/out.mp" | jq -r .id)" "000001"
if [ "$(id -u)" != 0 ]; then
  mkdir "$T/ro"; chmod 555 "$T/ro"
  draw --out "$T/ro" "$T/det.mp" > /dev/null 2> "$T/err"; rc=$?
  check_match "a read-only --out: exit 3" "$rc $(cat "$T/err")" "^3 draw: cannot write into the output folder"
  chmod 755 "$T/ro"
else
  skip "a read-only --out: exit 3" "root writes anywhere (--out inside a file is checked above)"
fi

# --- at the end of a pipeline, on a terminal -----------------------------------------
if command -v script > /dev/null; then
  script -qec "draw --out $T/tty $T/det.mp" "$T/ttylog" > /dev/null 2>&1; rc=$?
  check_eq "stdout a terminal: exit 0, the pictures written" "$rc $(ls "$T/tty" | wc -l | tr -d ' ')" "0 4"
  check "stdout a terminal: no records onto it" sh -c "! grep -q 000001 '$T/ttylog'"
  script -qec "draw --out $T/tty2 -o $T/tty.mp $T/det.mp" "$T/ttylog" > /dev/null 2>&1
  check "stdout a terminal, -o FILE: the records go to FILE" cmp -s "$T/tty.mp" "$T/det.mp"
else
  fail "script(1) is missing (package bsdutils): terminal checks not run"
fi

# --- the contact sheet ---------------------------------------------------------------
cat "$T/det.mp" "$T/det.mp" "$T/mixed.mp" > "$T/sheet-in.mp"
draw --sheet "$T/sheet.jpg" --truth "$T/sheet-in.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_eq "--sheet: exit 0" "$rc" 0
check "--sheet: records passed on byte for byte" cmp -s "$T/out.mp" "$T/sheet-in.mp"
# 9 pictures: 3 columns of 160 + 4 px gaps, rows of 160 + a 10 px caption
check_eq "--sheet: 9 thumbnails in a 3 x 3 grid" "$(jpeg_size "$T/sheet.jpg")" "496x526"
draw --sheet "$T/sheet2.jpg" --thumb 64 --sheet-max 4 "$T/sheet-in.mp" > /dev/null 2> "$T/err"
check_eq "--sheet-max 4, --thumb 64: a 2 x 2 grid" "$(jpeg_size "$T/sheet2.jpg")" "140x160"
check_match "--sheet-max: the records left out are counted" "$(cat "$T/err")" \
  "draw: the sheet shows the first 4 records; 5 more left out \(--sheet-max\)"
draw --sheet "$T/sheet3.jpg" < /dev/null > /dev/null; rc=$?
check_eq "--sheet of no records: one empty cell" "$rc $(jpeg_size "$T/sheet3.jpg")" "0 168x178"
draw --sheet "$T/nodir/s.jpg" "$T/det.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_match "--sheet into a missing folder: exit 3 before reading" \
  "$rc $(wc -c < "$T/out.mp" | tr -d ' ') $(cat "$T/err")" "^3 0 draw: output folder $T/nodir: No such file"
draw --sheet "$T/both.jpg" --out "$T/both" "$T/det.mp" > /dev/null; rc=$?
check_eq "--sheet and --out together" "$rc $(ls "$T/both" | wc -l | tr -d ' ') $(jpeg_size "$T/both.jpg")" "0 4 332x352"

# --- options -------------------------------------------------------------------------
draw "$T/det.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "neither --out nor --sheet: exit 1" "$rc $(head -1 "$T/err")" "^1 draw: nothing to write"
draw --out "$T/o" --thresh 1.5 "$T/det.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "--thresh 1.5: exit 1" "$rc $(head -1 "$T/err")" "^1 draw: option --thresh: '1.5' is not a number in \[0, 1\]"
draw --out "$T/o" --quality 0 "$T/det.mp" > /dev/null 2>&1; rc=$?
check_eq "--quality 0: exit 1" "$rc" 1
draw --sheet "$T/s.jpg" --thumb 1024 --sheet-max 100 "$T/det.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "a sheet too large for memory: exit 1" "$rc $(head -1 "$T/err")" "^1 draw: --sheet-max 100 of 1024-pixel"
draw --out "" "$T/det.mp" > /dev/null 2>&1; rc=$?
check_eq "an empty --out: exit 1" "$rc" 1
done_testing
