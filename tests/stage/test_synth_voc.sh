# synth-voc: the VOC layout it writes (files, split lists, well-formed XML
# with boxes inside the image, JPEGs of the right size), determinism, option
# checks, refusing a non-empty folder, I/O errors, and reading the dataset
# back with voc-parse.
. tests/stage/lib.sh

# The dataset checker: prints "name value" lines the checks below compare.
cat > "$T/check.py" <<'PY'
import os, sys, struct, xml.etree.ElementTree as ET
d, n, W, H, lo, hi, max_iou = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
ids = ["%06d" % i for i in range(1, n + 1)]
stems = lambda sub, ext: sorted(f[:-len(ext)] for f in os.listdir(f"{d}/{sub}") if f.endswith(ext))
print("files", "ok" if stems("JPEGImages", ".jpg") == ids and stems("Annotations", ".xml") == ids
      and sorted(os.listdir(f"{d}/JPEGImages")) == [i + ".jpg" for i in ids] else "bad")
lists = {s: open(f"{d}/ImageSets/Main/{s}.txt").read().split("\n") for s in ("train", "val", "trainval", "test")}
for s, v in lists.items():
    assert v[-1] == "", s  # every line ends with a newline
    lists[s] = v[:-1]
tr, va, te, tv = lists["train"], lists["val"], lists["test"], lists["trainval"]
part = sorted(tr + va + te) == ids and len(set(tr + va + te)) == n
print("splits", "ok" if part and tv == sorted(tr + va) and all(v == sorted(v) for v in lists.values()) else "bad")
print("split-sizes", len(tr), len(va), len(te))
classes = open(f"{d}/classes.names").read().split()
bad, boxes, counts, per = [], [], [], {c: 0 for c in classes}
def iou(a, b):
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0])); ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - iw * ih
    return iw * ih / u if u > 0 else 0
for i in ids:
    try:
        t = ET.parse(f"{d}/Annotations/{i}.xml").getroot()
    except ET.ParseError as e:
        bad.append(f"{i}: {e}"); continue
    g = lambda e, k: e.find(k).text
    head = (t.tag, g(t, "filename"), g(t, "size/width"), g(t, "size/height"), g(t, "size/depth"), g(t, "segmented"))
    if head != ("annotation", i + ".jpg", str(W), str(H), "3", "0"):
        bad.append(f"{i}: head {head}")
    objs = t.findall("object")
    if not lo <= len(objs) <= hi:
        bad.append(f"{i}: {len(objs)} objects")
    mine = []
    for o in objs:
        x1, y1, x2, y2 = (int(g(o, "bndbox/" + k)) for k in ("xmin", "ymin", "xmax", "ymax"))
        name, tr_ = g(o, "name"), g(o, "truncated")
        ok = name in classes and g(o, "pose") == "Unspecified" and tr_ in ("0", "1") and g(o, "difficult") == "0"
        ok = ok and 1 <= x1 <= x2 <= W and 1 <= y1 <= y2 <= H
        ok = ok and (tr_ == "0" or x1 == 1 or y1 == 1 or x2 == W or y2 == H)  # cut ones touch the edge
        if not ok:
            bad.append(f"{i}: object {name} {x1} {y1} {x2} {y2} truncated {tr_}")
        r = (x1 - 1, y1 - 1, x2, y2)  # as a record's bbox (docs/records.md, section 3)
        if any(iou(r, m) > max_iou + 1e-9 for m in mine):
            bad.append(f"{i}: IoU over {max_iou}")
        mine.append(r)
        per[name] = per.get(name, 0) + 1
        boxes.append(f"{i} {name} {r[0]} {r[1]} {r[2]} {r[3]}")
    counts.append(f"{i}:{len(objs)}")
print("xml", "ok" if not bad else "bad: " + "; ".join(bad[:3]))
print("counts", " ".join(counts))
print("boxes", len(boxes))
print("per-class", ", ".join(f"{c} {per[c]}" for c in classes))
print("truncated", sum(1 for i in ids for o in ET.parse(f"{d}/Annotations/{i}.xml").getroot().iter("truncated") if o.text == "1"))
with open(d + ".boxes", "w") as f:  # for the voc-parse check, beside the dataset
    f.write("".join(b + "\n" for b in boxes))
# JPEG: SOI first, EOI last, and the baseline frame header (SOF0) gives the size
jbad = []
for i in ids:
    b = open(f"{d}/JPEGImages/{i}.jpg", "rb").read()
    p, size = 2, None
    while p + 4 <= len(b) and b[p] == 0xFF and size is None:
        m, L = b[p + 1], struct.unpack(">H", b[p + 2:p + 4])[0]
        if m == 0xC0:
            h, w = struct.unpack(">HH", b[p + 5:p + 9]); size = (w, h)
        p += 2 + L
    if b[:2] != b"\xff\xd8" or b[-2:] != b"\xff\xd9" or size != (W, H):
        jbad.append(f"{i}: size {size}")
print("jpeg", "ok" if not jbad else "bad: " + "; ".join(jbad[:3]))
PY
val() { sed -n "s/^$1 //p" "$2"; }  # val NAME FILE: the value of a checker line

# --- a dataset: layout, XML, JPEG -------------------------------------------
args="--count 12 --size 160x120 --seed 7 --truncated 0.3 --min-objects 1 --max-objects 6"
# shellcheck disable=SC2086
synth-voc --out "$T/a" $args > "$T/out" 2> "$T/err"; rc=$?
check_eq "a dataset: exit 0" "$rc" 0
check_eq "a dataset: nothing on stdout" "$(wc -c < "$T/out" | tr -d ' ')" 0
check_match "a dataset: one summary line on stderr" "$(cat "$T/err")" \
  '^synth-voc: 12 images in .*/a \(train [0-9]+, val [0-9]+, test [0-9]+\); [0-9]+ boxes \(circle [0-9]+, square [0-9]+, triangle [0-9]+, cross [0-9]+, star [0-9]+\), [0-9]+ truncated$'
check_eq "the layout: folders and classes.names" \
  "$(cd "$T/a" && find . -type d | sort | tr '\n' ' '; ls "$T/a")" \
  ". ./Annotations ./ImageSets ./ImageSets/Main ./JPEGImages Annotations
ImageSets
JPEGImages
classes.names"
check_eq "classes.names: the default shapes, one a line" "$(cat "$T/a/classes.names")" \
  "circle
square
triangle
cross
star"
/usr/bin/python3 "$T/check.py" "$T/a" 12 160 120 1 6 0.3 > "$T/chk" 2>&1
check_eq "one .jpg and one .xml per id, 000001 to 000012" "$(val files "$T/chk")" ok
check_eq "split lists: train, val, test partition the ids; trainval = train + val; sorted" \
  "$(val splits "$T/chk")" ok
check_eq "split sizes follow the default ratios 0.7,0.1,0.2 (rounded cumulatively)" \
  "$(val split-sizes "$T/chk")" "8 2 2"
check_eq "every XML well formed, VOC fields, 1-6 boxes inside the image, IoU <= 0.3" "$(val xml "$T/chk")" ok
check_eq "every JPEG has SOI, EOI and a 160x120 frame header" "$(val jpeg "$T/chk")" ok
check_match "the summary counts the boxes in the XML" "$(cat "$T/err")" \
  "; $(val boxes "$T/chk") boxes \($(val per-class "$T/chk")\), $(val truncated "$T/chk") truncated$"
check "some objects are cut by the edge and marked truncated" [ "$(val truncated "$T/chk")" -gt 0 ]
check_eq "no temporary files left" "$(find "$T/a" -name '*.tmp' | wc -l | tr -d ' ')" 0
if [ -x "$BIN/image-list" ]; then
  check_eq "image-list reads 12 JPEGs of 160x120" \
    "$(image-list "$T/a/JPEGImages" | records-to-json | jq -c '[.width, .height]' | sort | uniq -c | tr -s ' ')" \
    " 12 [160,120]"
else
  skip "image-list reads 12 JPEGs of 160x120" "image-list not built"
fi

# --- determinism -------------------------------------------------------------
# shellcheck disable=SC2086
synth-voc -q --out "$T/b" $args
cp "$T/chk" "$T/chk_a"
check "same seed: the same bytes in every file" diff -r "$T/a" "$T/b"
check_eq "same seed: same md5sums" "$(cd "$T/a" && find . -type f | sort | xargs md5sum | md5sum)" \
  "$(cd "$T/b" && find . -type f | sort | xargs md5sum | md5sum)"
# shellcheck disable=SC2086
synth-voc -q --out "$T/c" $args --seed 8
check "another seed: other images" sh -c "! cmp -s '$T/a/JPEGImages/000001.jpg' '$T/c/JPEGImages/000001.jpg'"
check "another seed: other annotations" sh -c "! diff -rq '$T/a/Annotations' '$T/c/Annotations' >/dev/null"
synth-voc -q --out "$T/d" --count 5 --size 160x120 --seed 7 --truncated 0.3 --split-ratios 1,1,1
same_first5() {
  for i in 1 2 3 4 5; do
    cmp -s "$1/JPEGImages/00000$i.jpg" "$2/JPEGImages/00000$i.jpg" &&
      cmp -s "$1/Annotations/00000$i.xml" "$2/Annotations/00000$i.xml" || return 1
  done
}
check "image i does not depend on --count or --split-ratios" same_first5 "$T/a" "$T/d"

# --- other options ------------------------------------------------------------
synth-voc -q --out "$T/e" --count 6 --size 128x96 --classes ring,star --max-objects 0 --min-objects 0 \
  > "$T/out" 2> "$T/err"; rc=$?
check_eq "--quiet: exit 0, nothing on stderr or stdout" "$rc:$(cat "$T/err" "$T/out")" "0:"
check_eq "--classes ring,star: classes.names in that order" "$(cat "$T/e/classes.names" | tr '\n' ' ')" "ring star "
/usr/bin/python3 "$T/check.py" "$T/e" 6 128 96 0 0 0.3 > "$T/chk" 2>&1
check_eq "--max-objects 0: annotations without objects" "$(val xml "$T/chk") $(val boxes "$T/chk")" "ok 0"
synth-voc -q --out "$T/f" --count 8 --size 128x128 --classes ring,star --min-objects 3 --max-objects 5 --max-iou 0.1
/usr/bin/python3 "$T/check.py" "$T/f" 8 128 128 3 5 0.1 > "$T/chk" 2>&1
check_eq "--classes, --min/--max-objects, --max-iou 0.1 are kept to" \
  "$(val xml "$T/chk"); $(val per-class "$T/chk" | sed 's/[0-9][0-9]*/N/g')" "ok; ring N, star N"

# --- option errors: exit 1, a message, nothing written --------------------------
usage() { # usage DESC PATTERN ARGS...: exit 1 and the message
  _d=$1 _p=$2; shift 2
  synth-voc --out "$T/bad" "$@" > "$T/out" 2> "$T/err"; _rc=$?
  check_match "$_d: exit 1 with a message" "$_rc $(head -1 "$T/err")" "^1 synth-voc: $_p"
}
usage "--size 100" "option --size: '100' is not WIDTHxHEIGHT" --size 100
usage "--size 0x10" "option --size: '0x10' is not WIDTHxHEIGHT with sides in \[32, 4096\]" --size 0x10
usage "--size 64xabc" "option --size: " --size 64xabc
usage "--count 0" "option --count: '0' is not an integer in \[1, 999999\]" --count 0
usage "--count -3" "option --count: '-3' is not an integer" --count -3
usage "--max-objects below --min-objects" "--max-objects 2 is less than --min-objects 4" --min-objects 4 --max-objects 2
usage "--max-objects 51" "option --max-objects: '51' is not an integer in \[0, 50\]" --max-objects 51
usage "--max-size below --min-size" "--max-size 0.2 is less than --min-size 0.5" --min-size 0.5 --max-size 0.2
usage "--min-size too small in pixels" "--min-size 0.01 of 256 pixels is below 6 pixels" --min-size 0.01
usage "--classes with an unknown shape" "option --classes: unknown shape 'blob'" --classes circle,blob
usage "--classes with a shape twice" "option --classes: shape 'star' is listed twice" --classes star,star
usage "--split-ratios 1,2" "option --split-ratios: '1,2' is not three" --split-ratios 1,2
usage "--split-ratios 0,0,0" "option --split-ratios: '0,0,0': the ratios add up to 0" --split-ratios 0,0,0
usage "--max-iou 2" "option --max-iou: '2' is not a number in \[0, 1\]" --max-iou 2
usage "--quality 0" "option --quality: '0' is not an integer in \[1, 100\]" --quality 0
check "option errors write nothing" [ ! -e "$T/bad" ]
synth-voc --count 2 > /dev/null 2> "$T/err"; rc=$?
check_match "no --out: exit 1 with a message" "$rc $(head -1 "$T/err")" "^1 synth-voc: --out DIR is required"

# --- the output folder ------------------------------------------------------------
sum_a=$(cd "$T/a" && find . -type f | sort | xargs md5sum | md5sum)
synth-voc --out "$T/a" --count 2 --seed 99 > /dev/null 2> "$T/err"; rc=$?
check_match "a non-empty folder without --force: exit 1 with a message" "$rc $(cat "$T/err")" \
  "^1 synth-voc: .*/a: folder is not empty \(--force writes into it anyway\)$"
check_eq "a non-empty folder without --force: left as it was" \
  "$(cd "$T/a" && find . -type f | sort | xargs md5sum | md5sum)" "$sum_a"
mkdir "$T/empty"
check_eq "an empty folder that exists: used" "$(synth-voc -q --out "$T/empty" --count 1; echo $?)" 0
# shellcheck disable=SC2086
synth-voc -q --force --out "$T/a" $args; rc=$?
check_eq "--force writes into a non-empty folder" "$rc" 0
check "--force with the same options: the same files" diff -r "$T/a" "$T/b"
synth-voc -q --out "$T/new/deep/er" --count 1
check "a missing folder is made, parents too" [ -f "$T/new/deep/er/JPEGImages/000001.jpg" ]
: > "$T/file"
synth-voc --out "$T/file/sub" --count 1 2> "$T/err"; rc=$?
check_match "a file in the way of the folder's parent: exit 3 with a message" "$rc $(cat "$T/err")" \
  "^3 synth-voc: cannot make folder .*/file: a file is in the way$"
synth-voc --out "$T/file" --count 1 2> "$T/err"; rc=$?
check_match "--out names a file: exit 3" "$rc $(cat "$T/err")" "^3 synth-voc: cannot make folder .*/file: a file is in the way$"
mkdir "$T/ro"; chmod 555 "$T/ro"
if ! touch "$T/ro/probe" 2> /dev/null; then
  ro="$T/ro"            # permissions hold (not root)
else
  rm -f "$T/ro/probe"; ro=/sys  # root writes anywhere but into sysfs
fi
synth-voc --out "$ro/synth-voc-test" --count 1 2> "$T/err"; rc=$?
check_match "an unwritable folder ($ro): exit 3 with a message" "$rc $(cat "$T/err")" \
  "^3 synth-voc: cannot make folder $ro/synth-voc-test: (Permission denied|Operation not permitted|Read-only)"
chmod 755 "$T/ro"

# --- read back by voc-parse ------------------------------------------------------------
if [ -x "$BIN/voc-parse" ]; then
  voc-parse --classes "$T/b/classes.names" "$T/b" | records-to-json > "$T/vp.jsonl"; rc=$?
  check_eq "voc-parse reads the dataset: exit 0" "$rc" 0
  check_eq "voc-parse: every image, with its number of boxes" \
    "$(jq -r '"\(.id):\(.objects | length)"' "$T/vp.jsonl" | tr '\n' ' ')" "$(val counts "$T/chk_a") "
  check_eq "voc-parse: the same boxes, VOC's pixels converted back exactly" \
    "$(jq -r '.id as $i | .objects[] | "\($i) \(.name) \(.bbox | map(tostring) | join(" "))"' "$T/vp.jsonl")" \
    "$(cat "$T/a.boxes")"
  check_eq "voc-parse: width and height of every image" \
    "$(jq -c '[.width, .height]' "$T/vp.jsonl" | sort -u)" "[160,120]"
  check_eq "voc-parse --split train: the ids of train.txt" \
    "$(voc-parse --split train --classes "$T/b/classes.names" "$T/b" | records-to-json | jq -r .id)" \
    "$(cat "$T/b/ImageSets/Main/train.txt")"
else
  for d in "voc-parse reads the dataset: exit 0" "voc-parse: every image, with its number of boxes" \
           "voc-parse: the same boxes, VOC's pixels converted back exactly" \
           "voc-parse: width and height of every image" "voc-parse --split train: the ids of train.txt"; do
    skip "$d" "voc-parse not built"
  done
fi

done_testing
