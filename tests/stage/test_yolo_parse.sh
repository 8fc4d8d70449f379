# yolo-parse in real pipes, on datasets made here: darknet's layout (.data,
# .names, list files, labels beside the images), ultralytics' (data.yaml,
# images/ and labels/), the label-path rules, relative list lines, every bad
# row warned with file:line and counted (fatal with --strict), background
# images, a round trip against voc-parse on synth-voc's boxes, and a list of
# a million lines read in bounded memory.
. tests/stage/lib.sh
PY=/usr/bin/python3
RSS="$TOOLS/peakrss"

# mkjpg PATH:WxH...: small grey JPEGs (PIL)
mkjpg() {
  "$PY" - "$@" <<'EOF'
import os, sys
from PIL import Image
for a in sys.argv[1:]:
    path, size = a.rsplit(':', 1)
    w, h = (int(v) for v in size.split('x'))
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    Image.new('RGB', (w, h), (120, 130, 140)).save(path, quality=90)
EOF
}
json() { records-to-json "$@"; }
# one line per record: id WxH and each object's class:name:x1,y1,x2,y2 (4 decimals)
boxes() {
  records-to-json "$@" | jq -r '"\(.id) \(.width)x\(.height)" + ([.objects[]? | " \(.class):\(.name):" + ([.bbox[] | (. * 10000 | round / 10000 | tostring)] | join(","))] | join(""))'
}

# --- usage ----------------------------------------------------------------------
yolo-parse --help > "$T/help" 2> "$T/err"; rc=$?
check_eq "--help: exit 0, nothing on stderr" "$rc $(cat "$T/err")" "0 "
check_match "--help says which label path wins" "$(cat "$T/help")" "in the first of these places that"
check_match "--help gives the row rules" "$(cat "$T/help")" "a number outside \[0, 1\] by up to 0.01 is clipped"
yolo-parse > "$T/out" 2> "$T/err"; rc=$?
check_eq "no input: exit 1, why" "$rc $(cat "$T/err")" \
  "1 yolo-parse: no dataset given: a .data or data.yaml file, a list file or a folder (see --help)"
yolo-parse --list bogus x > /dev/null 2> "$T/err"; rc=$?
check_eq "--list with a bad value: exit 1" "$rc $(head -1 "$T/err")" \
  "1 yolo-parse: option --list: 'bogus' is not darknet or ultralytics"
yolo-parse --shard 2/2 x > /dev/null 2> "$T/err"; rc=$?
check_eq "--shard K/N with K >= N: exit 1" "$rc $(head -1 "$T/err")" \
  "1 yolo-parse: option --shard: '2/2' is not K/N with 0 <= K < N"
yolo-parse --split "" x > /dev/null 2> "$T/err"; rc=$?
check_eq "an empty option value: exit 1" "$rc" 1
yolo-parse "$T/none.data" > "$T/out" 2> "$T/err"; rc=$?
check_eq "a missing input: exit 3 naming it" "$rc $(cat "$T/err")" \
  "3 yolo-parse: $T/none.data: No such file or directory"

# --- darknet's layout: obj.data, obj.names, train.txt, labels beside images --------
DK=$T/dk
mkjpg "$DK/data/obj/a.jpg:64x48" "$DK/data/obj/b.JPG:32x32" "$DK/data/obj/c.jpeg:40x20"
mkdir -p "$DK/backup"
printf 'cat\ndog\n' > "$DK/data/obj.names"
printf '0 0.5 0.5 0.5 0.5\n1 0.25 0.25 0.25 0.25\n' > "$DK/data/obj/a.txt"
printf '1 0.5 0.5 1 1\n' > "$DK/data/obj/b.txt"
: > "$DK/data/obj/c.txt"
printf 'data/obj/a.jpg\r\ndata/obj/b.JPG\n\n' > "$DK/data/train.txt"
printf 'data/obj/c.jpeg\n' > "$DK/data/valid.txt"
printf '# darknet\nclasses= 2\ntrain  = data/train.txt\nvalid = data/valid.txt\nnames = data/obj.names\nbackup = backup/\n' > "$DK/obj.data"
(cd "$DK" && yolo-parse obj.data > "$T/dk.mp" 2> "$T/err"); rc=$?
check_eq "a .data file: exit 0, quiet" "$rc $(cat "$T/err")" "0 "
check_eq "a .data file: train's images, labels beside them (any case of .jpg), pixels" "$(boxes "$T/dk.mp")" \
"a 64x48 0:cat:16,12,48,36 1:dog:8,6,24,18
b 32x32 1:dog:0,0,32,32"
check_eq "a record as voc-parse writes one: keys and their order" \
  "$(json "$T/dk.mp" | head -1 | jq -c '[keys_unsorted, (.objects[0] | keys_unsorted), .image]')" \
  '[["id","image","width","height","objects"],["class","name","bbox","difficult","truncated"],"data/obj/a.jpg"]'
(cd "$DK" && yolo-parse --split valid obj.data > "$T/dkv.mp" 2> "$T/err"); rc=$?
check_eq "--split valid: the valid list; an empty label file is a background image, counted" \
  "$rc $(boxes "$T/dkv.mp") $(cat "$T/err")" \
  "0 c 40x20 yolo-parse: 1 image had an empty label file (background)"
(cd "$DK" && yolo-parse --split val obj.data > /dev/null 2> "$T/err"); rc=$?
check_eq "--split val on a .data file: exit 1, why" "$rc $(cat "$T/err")" \
  "1 yolo-parse: obj.data: a .data file has the splits train and valid, not 'val' (--split)"
yolo-parse "$DK/obj.data" > "$T/out" 2> "$T/err"; rc=$?
check_eq "a .data file read from elsewhere: exit 3, and where darknet reads its paths" \
  "$rc $(wc -c < "$T/out" | tr -d ' ') $(cat "$T/err")" \
  "3 0 yolo-parse: $DK/obj.data:5: names = data/obj.names: No such file or directory (darknet reads a .data file's paths from the current directory; this one is there from the .data file's folder: run from that folder)"
printf 'classes=3\ntrain=data/train.txt\nnames=data/obj.names\n' > "$DK/three.data"
(cd "$DK" && yolo-parse three.data > "$T/out" 2> "$T/err"); rc=$?
check_eq "classes that do not count the names: exit 2, nothing written" "$rc $(wc -c < "$T/out" | tr -d ' ') $(cat "$T/err")" \
  "2 0 yolo-parse: three.data:1: 3 classes, but data/obj.names names 2"
printf 'classes=2\ntrain data/train.txt\n' > "$DK/bad.data"
(cd "$DK" && yolo-parse bad.data > /dev/null 2> "$T/err"); rc=$?
check_eq "a .data line that is not key = value: exit 2, file:line" "$rc $(cat "$T/err")" \
  "2 yolo-parse: bad.data:2: 'train data/train.txt' is not key = value"
printf 'train=data/train.txt\ntrain=data/valid.txt\n' > "$DK/twice.data"
(cd "$DK" && yolo-parse twice.data > /dev/null 2> "$T/err"); rc=$?
check_eq "a .data key given twice: exit 2" "$rc $(cat "$T/err")" \
  "2 yolo-parse: twice.data:2: 'train' is given twice (first at line 1)"
printf 'train=data/train.txt\n' > "$DK/nonames.data"
(cd "$DK" && yolo-parse nonames.data > /dev/null 2> "$T/err"); rc=$?
check_eq "no class names anywhere: exit 1, --names says" "$rc $(cat "$T/err")" \
  "1 yolo-parse: no class names: a list file or a folder names none; give them with --names FILE"
(cd "$DK" && yolo-parse --names data/obj.names nonames.data | boxes | wc -l | tr -d ' ') > "$T/n"
check_eq "--names gives them" "$(cat "$T/n")" 2

# --- ultralytics' layout: data.yaml, images/ and labels/ ---------------------------
U=$T/ul
mkjpg "$U/images/train/t1.jpg:100x50" "$U/images/train/t2.jpg:50x100" "$U/images/val/v1.jpg:80x80" \
      "$U/extra/images/e1.jpg:20x20"
mkdir -p "$U/labels/train" "$U/labels/val" "$U/extra/labels"
printf '0 0.5 0.5 0.2 0.4\n' > "$U/labels/train/t1.txt"
printf '1 0.5 0.5 0.2 0.4\n' > "$U/labels/train/t2.txt"
printf '1 0.5 0.25 0.5 0.5\n' > "$U/labels/val/v1.txt"
printf '0 0.5 0.5 1 1\n' > "$U/extra/labels/e1.txt"
cat > "$U/data.yaml" <<'EOF'
# made by a labelling tool
train: images/train   # a folder
val: val.txt          # a list, "./" lines from its folder
test:                 # none
nc: 2
names: ['person', "bicycle"]
roboflow:
  workspace: w
  version: 2
EOF
printf './images/val/v1.jpg\n' > "$U/val.txt"
yolo-parse "$U/data.yaml" > "$T/u.mp" 2> "$T/err"; rc=$?
check_eq "data.yaml: train is a folder, labels under labels/, names a list" "$rc $(boxes "$T/u.mp") $(cat "$T/err")" \
"0 t1 100x50 0:person:40,15,60,35
t2 50x100 1:bicycle:20,30,30,70 "
check_eq "data.yaml: image paths under the file's folder" "$(json "$T/u.mp" | jq -r .image | head -1)" "$U/images/train/t1.jpg"
check_eq "--split val: a list file, its ./ lines from its folder" \
  "$(yolo-parse --split val "$U/data.yaml" | boxes)" "v1 80x80 1:bicycle:20,0,60,40"
yolo-parse --split test "$U/data.yaml" > "$T/out" 2> "$T/err"; rc=$?
check_eq "--split test with test empty: exit 2" "$rc $(cat "$T/err")" \
  "2 yolo-parse: $U/data.yaml: no 'test' (the images of --split test)"
yolo-parse --split valid "$U/data.yaml" > /dev/null 2> "$T/err"; rc=$?
check_eq "--split valid on a data.yaml: exit 1" "$rc $(cat "$T/err")" \
  "1 yolo-parse: $U/data.yaml: a data.yaml has the splits train, val and test, not 'valid' (--split)"
printf 'path: %s\ntrain: [images/train, extra/list.txt]\nnames:\n  1: bicycle\n  0: person\n' "$U" > "$T/map.yaml"
printf './images/e1.jpg\n%s/images/val/v1.jpg\n' "$U" > "$U/extra/list.txt"
check_eq "a list of a folder and a list file; names a map in any order; path absolute" \
  "$(yolo-parse "$T/map.yaml" | boxes | tr '\n' '|')" \
  "t1 100x50 0:person:40,15,60,35|t2 50x100 1:bicycle:20,30,30,70|e1 20x20 0:person:0,0,20,20|v1 80x80 1:bicycle:20,0,60,40|"
printf 'path: ul\ntrain:\n  - images/train\nnc: 2\n' > "$T/nc.yaml"
check_eq "a block list; relative path from the file's folder; nc alone names class_0, class_1" \
  "$(cd / && yolo-parse "$T/nc.yaml" | boxes | tr '\n' '|')" \
  "t1 100x50 0:class_0:40,15,60,35|t2 50x100 1:class_1:20,30,30,70|"
mkdir -p "$U/export"
printf 'train: ../images/train\nnames: [person, bicycle]\n' > "$U/export/data.yaml"
check_eq "a split path ../x that is not there is read as x (ultralytics' rule for exports)" \
  "$(yolo-parse "$U/export/data.yaml" | boxes | wc -l | tr -d ' ')" 2
check_eq "--shard 1/2: the second half of the images listed" \
  "$(yolo-parse --shard 1/2 "$T/map.yaml" | boxes | cut -d' ' -f1 | tr '\n' ' ')" "e1 v1 "
check_eq "--names overrides the data.yaml's" \
  "$(printf 'a\nb\n' > "$T/ab.names"; yolo-parse --names "$T/ab.names" "$U/data.yaml" | boxes | head -1)" "t1 100x50 0:a:40,15,60,35"

# bad data.yaml files: exit 2 with file:line, nothing on stdout
bad_yaml() {  # DESC TEXT WANT
  printf -- "$2" > "$T/bad.yaml"
  yolo-parse "$T/bad.yaml" > "$T/out" 2> "$T/err"; _rc=$?
  check_eq "$1" "$_rc $(wc -c < "$T/out" | tr -d ' ') $(cat "$T/err")" "2 0 yolo-parse: $T/bad.yaml:$3"
}
bad_yaml "data.yaml with an anchor" 'path: %s\ntrain: &t images/train\nnames: [a, b]\n' \
  "2: '&': anchors, aliases and tags are not read by this YAML reader"
bad_yaml "data.yaml: names and nc disagree" "path: $U\\ntrain: images/train\\nnc: 3\\nnames: [a, b]\\n" \
  "3: 3 classes, but $T/bad.yaml names 2"
bad_yaml "data.yaml: a names map with a gap" "path: $U\\ntrain: images/train\\nnames: {0: a, 2: b}\\n" \
  "3: names: the key '2' is not a class index from 0 to 1"
bad_yaml "data.yaml: a class name twice" "path: $U\\ntrain: images/train\\nnames:\\n  - a\\n  - a\\n" \
  "5: class name 'a' appears twice"
bad_yaml "data.yaml: a key twice" "train: x\\ntrain: y\\n" "2: the key 'train' is given twice (first at line 1)"
bad_yaml "data.yaml: not a map" "- a\\n- b\\n" "1: not a map of keys (path, train, val, names, ...)"
printf 'path: %s\ntrain: images/nowhere\nnames: [a]\n' "$U" > "$T/gone.yaml"
yolo-parse "$T/gone.yaml" > /dev/null 2> "$T/err"; rc=$?
check_eq "data.yaml: a split folder that is not there: exit 3, file:line" "$rc $(cat "$T/err")" \
  "3 yolo-parse: $T/gone.yaml:2: train: $U/images/nowhere: No such file or directory"

# --- where the label file is -------------------------------------------------------
R=$T/rules
mkjpg "$R/VOC/JPEGImages/j.jpg:10x10" "$R/p/images/q/images/two.png.JPEG:10x10" "$R/flat/f.Jpeg:10x10" \
      "$R/images/rel.jpg:10x10"
mkdir -p "$R/VOC/labels" "$R/p/images/q/labels" "$R/p/labels/q/images" "$R/labels"
printf '0 0.5 0.5 0.2 0.2\n' > "$R/VOC/labels/j.txt"
printf '0 0.5 0.5 0.2 0.2\n' > "$R/VOC/JPEGImages/j.txt.not"
printf '0 0.5 0.5 0.4 0.4\n' > "$R/p/images/q/labels/two.png.txt"
printf '0 0.5 0.5 0.6 0.6\n' > "$R/p/labels/q/images/two.png.txt"
printf '0 0.5 0.5 0.8 0.8\n' > "$R/flat/f.txt"
printf '0 0.5 0.5 1 1\n' > "$R/labels/rel.txt"
printf 'x\n' > "$T/x.names"
yolo-parse --names "$T/x.names" "$R/VOC/JPEGImages/j.jpg" "$R/p/images/q/images/two.png.JPEG" \
  "$R/flat/f.Jpeg" > "$T/r.mp" 2> "$T/err"; rc=$?
check_eq "JPEGImages -> labels; the last /images/ -> /labels/ first; beside the image; any extension" \
  "$rc $(boxes "$T/r.mp" | tr '\n' '|')" "0 j 10x10 0:x:4,4,6,6|two.png 10x10 0:x:3,3,7,7|f 10x10 0:x:1,1,9,9|"
check_eq "two label files: warned, the first rule's read, counted" "$(cat "$T/err")" \
"yolo-parse: $R/p/images/q/images/two.png.JPEG: two label files, $R/p/images/q/labels/two.png.txt and $R/p/labels/q/images/two.png.txt: the first is read
yolo-parse: 1 image with two label files (the first rule's read)"
mkjpg "$R/p2/images/q/images/one.jpg:10x10"
mkdir -p "$R/p2/labels/q/images"
printf '0 0.5 0.5 0.4 0.4\n' > "$R/p2/labels/q/images/one.txt"
check_eq "the first /images/ -> /labels/ when the last one's label file is not there (darknet)" \
  "$(yolo-parse --names "$T/x.names" "$R/p2" 2>&1 | boxes)" "one 10x10 0:x:3,3,7,7"
check_eq "a relative path's leading images/ is a folder too" \
  "$(cd "$R" && yolo-parse --names "$T/x.names" images/rel.jpg | boxes)" "rel 10x10 0:x:0,0,10,10"
mkjpg "$R/bg/none.jpg:10x10"
yolo-parse --names "$T/x.names" "$R/bg" > "$T/out" 2> "$T/err"; rc=$?
check_eq "no label file: a background image (no objects), counted, the paths tried named" \
  "$rc $(json "$T/out" | jq -c .objects) $(cat "$T/err")" \
  "0 [] yolo-parse: 1 of 1 image had no label file, read as background (no objects); the first: $R/bg/none.jpg (looked for $R/bg/none.txt)"

# --- relative lines of list files --------------------------------------------------
L=$T/lists
mkjpg "$L/sub/img/a.jpg:10x10"
printf '0 0.5 0.5 0.5 0.5\n' > "$L/sub/img/a.txt"
printf './img/a.jpg\n' > "$L/sub/list.txt"
(cd "$L" && yolo-parse --names "$T/x.names" sub/list.txt > "$T/out" 2> "$T/err"); rc=$?
check_eq "a LIST's ./ line: from the current directory, as darknet reads it (missing here: warned)" \
  "$rc $(wc -c < "$T/out" | tr -d ' ') $(head -1 "$T/err")" \
  "0 0 yolo-parse: sub/list.txt:1: ./img/a.jpg: No such file or directory: skipped"
check_eq "--list ultralytics: a ./ line from the list's folder" \
  "$(cd "$L" && yolo-parse --list ultralytics --names "$T/x.names" sub/list.txt | json | jq -r .image)" "sub/img/a.jpg"
check_eq "--list darknet, run where the line points" \
  "$(cd "$L/sub" && yolo-parse --names "$T/x.names" list.txt | json | jq -r .image)" "./img/a.jpg"

# --- bad rows: each warned with file:line, counted; --strict stops ---------------------
B=$T/bad
mkjpg "$B/ok.jpg:100x100" "$B/rows.jpg:200x100" "$B/after.jpg:10x10"
printf 'a\nb\nc\n' > "$T/abc.names"
printf '0 0.5 0.5 0.5 0.5\n' > "$B/ok.txt"
printf '0 0.5 0.5 0.5 0.5\n' > "$B/after.txt"
cat > "$B/rows.txt" <<'EOF'
0 0.5 0.5 0.2 0.2
3 0.5 0.5 0.2 0.2
1 0.5 0.5 0.2
2 0.5 0.5 abc 0.2
1.5 0.5 0.5 0.2 0.2

2 0.1 0.2 0.3 0.2 0.2 0.4
1 0.1 0.2 0.3 0.2 0.2
0 1.005 0.5 0.2 0.2
0 100 50 20 20
0 0.5 0.5 0 0.2
0 0.5 0.5 0.2 0.2
1 0.95 0.5 0.2 0.2
-1 0.5 0.5 0.2 0.2
EOF
printf '%s\n' "$B/ok.jpg" "$B/rows.jpg" "$B/after.jpg" > "$B/list"
yolo-parse --names "$T/abc.names" "$B/list" > "$T/b.mp" 2> "$T/err"; rc=$?
check_eq "bad rows: exit 0, the good rows kept (a polygon as its box, boxes clipped)" "$rc $(boxes "$T/b.mp" | sed -n 2p)" \
  "0 rows 200x100 0:a:80,40,120,60 2:c:20,20,60,40 0:a:181,40,200,60 1:b:170,40,200,60"
check_eq "bad rows: each warned with file:line, then the counts" "$(cat "$T/err")" \
"yolo-parse: $B/rows.txt:2: class 3 is not in 0..2 (3 class names): row dropped
yolo-parse: $B/rows.txt:3: 4 numbers, not class cx cy w h (5) nor a polygon (class and 3 or more x y points): row dropped
yolo-parse: $B/rows.txt:4: 'abc' is not a number: row dropped
yolo-parse: $B/rows.txt:5: class '1.5' is not a whole number: row dropped
yolo-parse: $B/rows.txt:7: a polygon of 3 points: read as its bounding box, as ultralytics does (so are the others, counted at the end)
yolo-parse: $B/rows.txt:8: 6 numbers, not class cx cy w h (5) nor a polygon (class and 3 or more x y points): row dropped
yolo-parse: $B/rows.txt:9: the box [0.905, 0.4, 1.105, 0.6] (fractions) reaches past the image's edge: clipped to the image
yolo-parse: $B/rows.txt:10: a number lies 99 outside [0, 1] (fractions of the image's width and height: are these pixels?): row dropped
yolo-parse: $B/rows.txt:11: the box has no width or height: row dropped
yolo-parse: $B/rows.txt:13: the box [0.85, 0.4, 1.05, 0.6] (fractions) reaches past the image's edge: clipped to the image
yolo-parse: $B/rows.txt:14: class -1 is not in 0..2 (3 class names): row dropped
yolo-parse: $B/rows.txt:12: the same row as line 1: row dropped
yolo-parse: 4 rows dropped (not a box, a polygon or a whole class), 2 rows dropped (class out of range), 2 boxes clipped, 2 boxes dropped (outside [0, 1] or empty), 1 repeated row dropped
yolo-parse: 1 polygon row read as its bounding box"
yolo-parse --strict --names "$T/abc.names" "$B/list" > "$T/s.mp" 2> "$T/err"; rc=$?
check_eq "--strict: exit 2 at the first bad row, naming file:line" "$rc $(cat "$T/err")" \
  "2 yolo-parse: $B/rows.txt:2: class 3 is not in 0..2 (3 class names) (an error with --strict)"
check_eq "--strict: the records before it written whole, none after" "$(boxes "$T/s.mp" | cut -d' ' -f1)" "ok"
printf '0 0.5 0.5 0.5 0.5\n' > "$B/rows.txt"
check_eq "--strict with good rows: exit 0" "$(yolo-parse --strict --names "$T/abc.names" "$B/list" | boxes | wc -l | tr -d ' ')" 3

# --- a round trip: synth-voc's boxes through voc-parse, and as YOLO txt -------------
synth-voc --quiet --out "$T/sv" --count 12 --seed 3 --size 160x120 --truncated 0.5 || fail "synth-voc failed"
voc-parse --quiet "$T/sv" > "$T/voc.mp"
mkdir -p "$T/sv/labels"
records-to-json "$T/voc.mp" | jq -r '. as $r | .id as $id | [.objects[] | "\(.class) \((.bbox[0] + .bbox[2]) / 2 / $r.width) \((.bbox[1] + .bbox[3]) / 2 / $r.height) \((.bbox[2] - .bbox[0]) / $r.width) \((.bbox[3] - .bbox[1]) / $r.height)"] | "\($id)\t" + join("|")' |
  while IFS="$(printf '\t')" read -r id rows; do
    printf '%s\n' "$rows" | tr '|' '\n' | awk 'NF { printf "%d %.6f %.6f %.6f %.6f\n", $1, $2, $3, $4, $5 }' > "$T/sv/labels/$id.txt"
  done
yolo-parse --names "$T/sv/classes.names" "$T/sv/JPEGImages" > "$T/yolo.mp" 2> "$T/err"; rc=$?
check_eq "round trip: yolo-parse reads the JPEGImages -> labels files quietly" "$rc $(cat "$T/err")" "0 "
records-to-json "$T/voc.mp" | jq -c '[.id, .image, .width, .height, [.objects[] | [.class, .name, .bbox]]]' > "$T/voc.rows"
records-to-json "$T/yolo.mp" | jq -c '[.id, .image, .width, .height, [.objects[] | [.class, .name, .bbox]]]' > "$T/yolo.rows"
check_eq "round trip: as many records and boxes as voc-parse" \
  "$(wc -l < "$T/yolo.rows") $(jq '.[4] | length' "$T/yolo.rows" | paste -sd+ | bc)" \
  "$(wc -l < "$T/voc.rows") $(jq '.[4] | length' "$T/voc.rows" | paste -sd+ | bc)"
check "round trip: the same ids, paths, sizes, classes and names, boxes to 1e-3 px (6 decimals)" \
  "$PY" - "$T/voc.rows" "$T/yolo.rows" <<'EOF'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
ok = len(a) == len(b) and len(a) > 0
for r, s in zip(a, b):
    ok &= r[:4] == s[:4] and len(r[4]) == len(s[4])
    for o, p in zip(r[4], s[4]):
        ok &= o[:2] == p[:2] and max(abs(x - y) for x, y in zip(o[2], p[2])) < 1e-3
sys.exit(0 if ok else 1)
EOF

# --- a list of a million lines, read in bounded memory ----------------------------------
mkjpg "$T/big/real.jpg:16x16"
printf '0 0.5 0.5 0.5 0.5\n' > "$T/big/real.txt"
awk -v n=1000 'BEGIN { for (i = 0; i < n; i++) print "m/" i ".jpg" }' > "$T/small.list"
echo "$T/big/real.jpg" >> "$T/small.list"
awk -v n=1000000 'BEGIN { for (i = 0; i < n; i++) print "m/" i ".jpg" }' > "$T/huge.list"
echo "$T/big/real.jpg" >> "$T/huge.list"
# sanitizer builds keep freed memory in quarantine: keep it small here
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=4"
slack_kb=1024
[ "${MODE:-release}" = san ] && slack_kb=16384
"$RSS" "$T/rss.small" yolo-parse --names "$T/x.names" "$T/small.list" > "$T/out" 2> /dev/null
start=$(date +%s)
"$RSS" "$T/rss.huge" yolo-parse --names "$T/x.names" "$T/huge.list" > "$T/huge.mp" 2> "$T/err"; rc=$?
secs=$(( $(date +%s) - start ))
check_eq "1M lines: exit 0, the last line's record, the rest counted" \
  "$rc $(boxes "$T/huge.mp") $(tail -1 "$T/err")" \
  "0 real 16x16 0:x:4,4,12,12 yolo-parse: 1000000 paths skipped (missing, unreadable or not an image)"
small=$(cat "$T/rss.small"); huge=$(cat "$T/rss.huge")
check "1M lines: peak RSS ${huge} KiB, within $((slack_kb / 1024)) MiB of a 1000-line list's ${small} KiB (${secs} s)" \
  [ "$huge" -le $((small + slack_kb)) ]

done_testing
