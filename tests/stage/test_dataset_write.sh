# dataset-write in real pipes: round trips through each layout and back
# through its reader (VOC -> yolo -> yolo-parse, COCO -> voc -> voc-parse,
# VOC -> coco -> coco-parse, COCO -> coco), the files of each layout, splits
# added run by run, --images link/copy/keep, files that are there (refused,
# left alone when the same, --force), and bad input: the message names the
# record and key, nothing is written, nothing on stdout; a failed write
# removes what the run made.
. tests/stage/lib.sh
PY=/usr/bin/python3

# same MODE WANT GOT: compares two record streams (as records-to-json
# lines) image by image: ids (unless MODE ends in -noid), classes, names and
# boxes. yolo: boxes as fractions of the image to 1e-6 (6 decimals, each
# rounded once each way); voc: WANT's boxes clipped to the image, rounded to
# whole pixels, crowds left out; exact: the same doubles. Prints "ok" or
# the first difference.
same() {
  "$PY" - "$@" <<'EOF'
import json, sys
mode, want, got = sys.argv[1], sys.argv[2], sys.argv[3]
noid = mode.endswith('-noid'); mode = mode.replace('-noid', '')
W = [json.loads(l) for l in open(want)]; G = [json.loads(l) for l in open(got)]
def exp(r):
    out = []
    for o in r['objects']:
        b = o['bbox']
        if mode == 'voc':
            if o.get('iscrowd'): continue
            b = [min(max(b[0], 0), r['width']), min(max(b[1], 0), r['height']),
                 min(max(b[2], 0), r['width']), min(max(b[3], 0), r['height'])]
            b = [float(int(v + 0.5)) for v in b]
        out.append((o['class'], o['name'], b))
    return out
if len(W) != len(G): print('records: %d, want %d' % (len(G), len(W))); sys.exit()
for w, g in zip(W, G):
    if not noid and w['id'] != g['id']: print('id %s, want %s' % (g['id'], w['id'])); sys.exit()
    e, o = exp(w), [(x['class'], x['name'], x['bbox']) for x in g['objects']]
    if len(e) != len(o): print('%s: %d objects, want %d' % (g['id'], len(o), len(e))); sys.exit()
    for (c1, n1, b1), (c2, n2, b2) in zip(e, o):
        if (c1, n1) != (c2, n2): print('%s: class %s %s, want %s %s' % (g['id'], c2, n2, c1, n1)); sys.exit()
        if mode == 'yolo':
            d = max(abs(b1[k] - b2[k]) / (w['width'] if k % 2 == 0 else w['height']) for k in range(4))
            if d > 1.0000001e-6: print('%s: box %s, want %s (%g)' % (g['id'], b2, b1, d)); sys.exit()
        elif b1 != b2: print('%s: box %s, want %s' % (g['id'], b2, b1)); sys.exit()
print('ok')
EOF
}
# tree DIR: every path under DIR with a hash of its contents (links: their
# target), to see what a run changed
tree() {
  (cd "$1" && find . | LC_ALL=C sort | while read -r f; do
     if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"
     elif [ -f "$f" ]; then echo "$f $(md5sum < "$f" | cut -c1-12)"
     else echo "$f/"; fi
   done)
}
dsw() { dataset-write "$@" > "$T/out" 2> "$T/err"; rc=$?; }

synth-voc --out "$T/voc" --count 16 --size 128x96 --truncated 0.5 --quiet
voc-parse -q --split train "$T/voc" > "$T/tr.mp"
voc-parse -q --split test "$T/voc" > "$T/te.mp"
records-to-json "$T/tr.mp" > "$T/tr.json"
records-to-json "$T/te.mp" > "$T/te.json"

# --- usage ------------------------------------------------------------------------
dsw --help
check_match "--help: the three layouts" "$(cat "$T/out")" "--format coco: DIR/images/SPLIT/x.jpg"
dsw --format yolo --out "$T/y" "$T/tr.mp"
check_eq "no --split: exit 1, why" "$rc $(cat "$T/err")" \
  "1 dataset-write: --format, --out and --split are required
Try 'dataset-write --help' for more information."
dsw --format darknet --out "$T/y" --split train "$T/tr.mp"
check_eq "a bad --format: exit 1" "$rc $(head -1 "$T/err")" \
  "1 dataset-write: option --format: 'darknet' is not yolo, voc or coco"
dsw --format yolo --out "$T/y" --split ../x "$T/tr.mp"
check_match "a split that is not a name: exit 1" "$rc $(head -1 "$T/err")" "^1 dataset-write: option --split: '../x' is not"
dsw --format yolo --out "$T/y" --split train --images move "$T/tr.mp"
check_eq "a bad --images: exit 1" "$rc $(head -1 "$T/err")" \
  "1 dataset-write: option --images: 'move' is not link, copy or keep"
dsw --format yolo --out "$T/y" --split train "$T/none.mp"
check_eq "a missing input: exit 3 naming it, nothing made" "$rc $(cat "$T/err") $(ls "$T/y" 2>&1 | wc -l)" \
  "3 dataset-write: $T/none.mp: No such file or directory 1"

# --- VOC -> yolo -> yolo-parse ------------------------------------------------------
Y=$T/y
dsw --format yolo --out "$Y" --split train "$T/tr.mp"
check_eq "yolo, split train: exit 0, nothing on stdout" "$rc $(cat "$T/out")" "0 "
check_match "it says what it wrote" "$(cat "$T/err")" \
  "^dataset-write: split 'train' of $Y \(yolo\): 1[0-9] images, [0-9]+ boxes, 5 classes; 1[0-9] files written, 1[0-9] images linked, 0 files already as they are$"
n=$(jq -s length "$T/tr.json")
check_eq "the files of the layout" "$(cd "$Y" && ls -d obj.data obj.names data.yaml train.txt backup images/train labels/train)" \
  "backup
data.yaml
images/train
labels/train
obj.data
obj.names
train.txt"
check_eq "one image and one label file an image" "$(ls "$Y/images/train" | wc -l) $(ls "$Y/labels/train" | wc -l)" "$n $n"
first=$(jq -r .id "$T/tr.json" | head -1)
check_eq "images linked to the originals (absolute)" "$(readlink "$Y/images/train/$first.jpg")" "$T/voc/JPEGImages/$first.jpg"
check_match "label rows: class and 4 fractions, 6 decimals" "$(cat "$Y/labels/train/$first.txt")" \
  "^[0-4] 0\.[0-9]{6} 0\.[0-9]{6} 0\.[0-9]{6} 0\.[0-9]{6}$"
check_eq "the label rows are the boxes' centres and sizes" \
  "$(head -1 "$Y/labels/train/$first.txt")" \
  "$(head -1 "$T/tr.json" | jq -r '.width as $w | .height as $h | .objects[0] | .bbox as $b |
     "\(.class) \((($b[0] + $b[2]) / 2 / $w * 1e6 | round) / 1e6) \((($b[1] + $b[3]) / 2 / $h * 1e6 | round) / 1e6) \(($b[2] - $b[0]) / $w * 1e6 | round / 1e6) \(($b[3] - $b[1]) / $h * 1e6 | round / 1e6)"' |
     awk '{printf "%d %.6f %.6f %.6f %.6f\n", $1, $2, $3, $4, $5}')"
check_eq "the list: absolute paths of the placed images" "$(head -1 "$Y/train.txt")" "$Y/images/train/$first.jpg"
check_eq "obj.names: class i on line i" "$(cat "$Y/obj.names" | tr '\n' ' ')" "circle square triangle cross star "
check_eq "obj.data" "$(cat "$Y/obj.data")" "# written by dataset-write
classes = 5
train = $Y/train.txt
names = $Y/obj.names
backup = $Y/backup/"
check_eq "data.yaml" "$(cat "$Y/data.yaml")" "# written by dataset-write: lists of absolute image paths; labels under labels/
path: \"$Y\"
train: \"train.txt\"
nc: 5
names: [\"circle\", \"square\", \"triangle\", \"cross\", \"star\"]"
yolo-parse -q --split train "$Y/data.yaml" | records-to-json > "$T/back.json"
check_eq "VOC -> yolo -> yolo-parse (data.yaml): the same boxes to 1e-6 of the image" \
  "$(same yolo "$T/tr.json" "$T/back.json")" ok
(cd / && yolo-parse -q --split train "$Y/obj.data") | records-to-json > "$T/back2.json"
check_eq "... and through obj.data, from another folder" "$(same yolo "$T/tr.json" "$T/back2.json")" ok

# a second split: added, the first's files untouched
tree "$Y" | grep -v 'data.yaml\|obj.data' > "$T/before"
dsw --format yolo --out "$Y" --split test "$T/te.mp"
check_eq "split test added: exit 0" "$rc" 0
check_match "the class list of the first run is said" "$(cat "$T/err")" "class names from $Y/obj.names \(an earlier run's"
tree "$Y" | grep -v 'data.yaml\|obj.data' | grep -v '/test\|test.txt' > "$T/after"
check "the train split's files are as they were" cmp -s "$T/before" "$T/after"
check_match "data.yaml lists both" "$(cat "$Y/data.yaml")" 'train: "train.txt"
test: "test.txt"'
yolo-parse -q --split test "$Y/data.yaml" | records-to-json > "$T/back.json"
check_eq "the test split reads back" "$(same yolo "$T/te.json" "$T/back.json")" ok
voc-parse -q --split val "$T/voc" > "$T/va.mp"
dsw --format yolo --out "$Y" --split val "$T/va.mp"
check_match "a val split: data.yaml's val, obj.data's valid" "$(grep -h 'val' "$Y/data.yaml" "$Y/obj.data" | tr '\n' ' ')" \
  "^val: \"val.txt\" valid = $Y/val.txt $"
yolo-parse -q --split valid "$Y/obj.data" | records-to-json | jq -r .id > "$T/ids"
check_eq "yolo-parse --split valid obj.data reads it" "$(cat "$T/ids")" "$(voc-parse -q --split val "$T/voc" | records-to-json | jq -r .id)"

# the same run again changes nothing; a file changed since is refused
tree "$Y" > "$T/before"
dsw --format yolo --out "$Y" --split test "$T/te.mp"
tree "$Y" > "$T/after"
check_eq "the same run again: exit 0, nothing written" "$rc $(grep -o '[0-9]* files written, [0-9]* images linked' "$T/err")" \
  "0 0 files written, 0 images linked"
check "... and every file as it was" cmp -s "$T/before" "$T/after"
tid=$(jq -r .id "$T/te.json" | head -1)
echo "0 0.5 0.5 0.1 0.1" > "$Y/labels/test/$tid.txt"
tree "$Y" > "$T/before"
dsw --format yolo --out "$Y" --split test "$T/te.mp"
tree "$Y" > "$T/after"
check_eq "a label file changed since: exit 1 naming it" "$rc $(cat "$T/err" | grep -v 'class names from')" \
  "1 dataset-write: $Y/labels/test/$tid.txt is there with other contents: --force writes over it"
check "... and nothing written" cmp -s "$T/before" "$T/after"
dsw --format yolo --out "$Y" --split test --force "$T/te.mp"
check_eq "--force writes over it" "$rc $(grep -o '[0-9]* files* written' "$T/err")" "0 1 file written"
yolo-parse -q --split test "$Y/data.yaml" | records-to-json > "$T/back.json"
check_eq "... with the records' boxes" "$(same yolo "$T/te.json" "$T/back.json")" ok
printf 'a\nb\n' > "$T/ab.names"
mkdir -p "$T/other" && echo "names: [x]" > "$T/other/data.yaml"
dsw --format yolo --out "$T/other" --split test --names "$T/voc/classes.names" "$T/te.mp"
check_eq "a data.yaml not of dataset-write's: refused" "$rc $(cat "$T/err")" \
  "1 dataset-write: $T/other/data.yaml is there with other contents: --force writes over it"
check_eq "... with nothing written" "$(ls "$T/other")" "data.yaml"

mkdir -p "$T/dot"
(cd "$T/dot" && dataset-write -q --format yolo --out ./ --split train "$T/tr.mp")
check_eq "--out ./: the paths name the folder itself" "$(sed -n 2p "$T/dot/data.yaml") $(head -1 "$T/dot/train.txt")" \
  "path: \"$T/dot\" $T/dot/images/train/$first.jpg"

# --- --images copy and keep -------------------------------------------------------
dsw --format yolo --out "$T/yc" --split train --images copy "$T/tr.mp"
check "copy: the images are files" test -f "$T/yc/images/train/$first.jpg" -a ! -L "$T/yc/images/train/$first.jpg"
check "copy: with the same bytes" cmp -s "$T/yc/images/train/$first.jpg" "$T/voc/JPEGImages/$first.jpg"
cp -r "$T/voc" "$T/vk"
voc-parse -q --split train "$T/vk" > "$T/trk.mp"
dsw --format yolo --out "$T/yk" --split train --images keep "$T/trk.mp"
check_eq "keep: nothing placed in DIR" "$rc $(ls "$T/yk" | tr '\n' ' ')" "0 backup data.yaml obj.data obj.names train.txt "
check_eq "keep: the list names the images where they are" "$(head -1 "$T/yk/train.txt")" "$T/vk/JPEGImages/$first.jpg"
check "keep: labels where darknet looks (JPEGImages -> labels)" test -f "$T/vk/labels/$first.txt"
check_match "keep: says ultralytics will not find them there" "$(cat "$T/err")" \
  "labels of images under JPEGImages/ go to labels/ beside it .*ultralytics does not"
records-to-json "$T/trk.mp" > "$T/trk.json"
yolo-parse -q --split train "$T/yk/obj.data" | records-to-json > "$T/back.json"
check_eq "keep: yolo-parse reads them back" "$(same yolo "$T/trk.json" "$T/back.json")" ok

# --- VOC -> coco -> coco-parse, and VOC layout's own round trip --------------------------
dsw --format coco --out "$T/c" --split train "$T/tr.mp"
check_eq "coco: exit 0, its files" "$rc $(cd "$T/c" && ls annotations images)" "0 annotations:
instances_train.json

images:
train"
J=$T/c/annotations/instances_train.json
check_eq "coco: image ids 1.., category ids class + 1, annotation ids 1.." \
  "$(jq -c '[[.images[].id][:2], [.categories[] | [.id, .name]][:2], [.annotations[].id][:2]]' "$J")" \
  '[[1,2],[[1,"circle"],[2,"square"]],[1,2]]'
check_eq "coco: an annotation's keys" "$(jq -c '.annotations[0] | keys' "$J")" '["area","bbox","category_id","id","image_id","iscrowd"]'
coco-parse -q --images "$T/c/images/train" "$J" | records-to-json > "$T/back.json"
check_eq "VOC -> coco -> coco-parse: the same boxes, exactly" "$(same exact-noid "$T/tr.json" "$T/back.json")" ok
dsw --format voc --out "$T/v" --split train --images copy "$T/tr.mp"
check_eq "voc: exit 0, its files" "$rc $(cd "$T/v" && ls && ls ImageSets/Main)" "0 Annotations
ImageSets
JPEGImages
classes.names
train.txt"
voc-parse -q --split train "$T/v" | records-to-json > "$T/back.json"
check_eq "VOC -> voc -> voc-parse: the same boxes and flags" \
  "$(same exact "$T/tr.json" "$T/back.json") $(jq -c '[.objects[].truncated]' "$T/tr.json" | md5sum | cut -c1-8)" \
  "ok $(jq -c '[.objects[].truncated]' "$T/back.json" | md5sum | cut -c1-8)"

# --- COCO -> voc -> voc-parse; COCO -> coco ----------------------------------------------
# the synth images under COCO annotations: fractional boxes, category ids with
# gaps, a crowd, a box past the edge, an image without annotations
cat > "$T/coco.json" <<EOF
{"images": [{"id": 42, "file_name": "000001.jpg", "width": 128, "height": 96},
            {"id": 7, "file_name": "000002.jpg", "width": 128, "height": 96},
            {"id": 9, "file_name": "000003.jpg", "width": 128, "height": 96}],
 "annotations": [{"id": 1, "image_id": 42, "category_id": 3, "bbox": [10.4, 20.6, 30.2, 15.3], "area": 300.5, "iscrowd": 0},
                 {"id": 2, "image_id": 42, "category_id": 9, "bbox": [100.7, 50.2, 40.1, 60.8], "area": 900, "iscrowd": 0},
                 {"id": 3, "image_id": 7, "category_id": 7, "bbox": [0.3, 0.2, 127.1, 95.6], "area": 12000, "iscrowd": 1},
                 {"id": 4, "image_id": 7, "category_id": 3, "bbox": [5.5, 6.5, 7.25, 8.125], "area": 50.1, "iscrowd": 0},
                 {"id": 5, "image_id": 7, "category_id": 7, "bbox": [60, 40, 10, 10], "iscrowd": 0}],
 "categories": [{"id": 3, "name": "three"}, {"id": 7, "name": "seven"}, {"id": 9, "name": "nine"}]}
EOF
coco-parse -q --images "$T/voc/JPEGImages" "$T/coco.json" > "$T/coco.mp"
records-to-json "$T/coco.mp" > "$T/coco.jsonl"
dsw --format voc --out "$T/cv" --split val "$T/coco.mp"
check_match "COCO -> voc: exit 0, the crowd and the clipped box counted" "$rc $(cat "$T/err" | tr '\n' ' ')" \
  "^0 .*1 crowd region left out \(VOC labels have no crowd flag\) .*1 box clipped to the image"
check_eq "the class list from the objects' names" "$(cat "$T/cv/classes.names" | tr '\n' ' ')" "three seven nine "
voc-parse -q --split val "$T/cv" | records-to-json > "$T/back.json"
check_eq "COCO -> voc -> voc-parse: the boxes clipped and rounded to whole pixels" \
  "$(same voc-noid "$T/coco.jsonl" "$T/back.json")" ok
check_eq "ids: the COCO image ids made file stems" "$(jq -r .id "$T/back.json" | tr '\n' ' ')" "000001 000002 000003 "
records-to-json --full "$T/coco.mp" | jq -c 'if .coco_id == 7 then .coco_category_ids = [3, 7, 8] else . end' \
  | json-to-records > "$T/bad.mp"
dsw --format coco --out "$T/cc" --split val "$T/bad.mp"
check_eq "records with two coco_category_ids lists: exit 2 naming record and key" "$rc $(cat "$T/err")" \
  "2 dataset-write: $T/bad.mp: record 1: key 'coco_category_ids': differs from record 0's (one list for the whole stream)"
dsw --format coco --out "$T/cc" --split val "$T/coco.mp"
J=$T/cc/annotations/instances_val.json
check_eq "COCO -> coco: the image and category ids kept" \
  "$(jq -c '[[.images[].id], [.categories[].id], [.annotations[] | [.image_id, .category_id, .iscrowd]]]' "$J")" \
  '[[42,7,9],[3,7,9],[[42,3,0],[42,9,0],[7,7,1],[7,3,0],[7,7,0]]]'
check_eq "... areas as the records have them, else w x h" "$(grep -o '"area": [^,]*' "$J" | tr '\n' ' ')" \
  '"area": 300.5 "area": 900.0 "area": 12000.0 "area": 50.1 "area": 100.0 '
coco-parse -q --images "$T/cc/images/val" "$J" | records-to-json > "$T/back.json"
check_eq "COCO -> coco -> coco-parse: the same boxes, exactly" "$(same exact "$T/coco.jsonl" "$T/back.json")" ok
dsw --format coco --out "$T/ck" --split val --images keep "$T/coco.mp"
check_eq "coco, keep: file_name is the image's absolute path" "$(jq -r '.images[0].file_name' "$T/ck/annotations/instances_val.json")" \
  "$T/voc/JPEGImages/000001.jpg"
dsw --format voc --out "$T/vk2" --split val --images keep "$T/coco.mp"
voc-parse -q --split val "$T/vk2" | records-to-json > "$T/back.json"
check_eq "voc, keep: <filename> the absolute path, which voc-parse reads" \
  "$(ls "$T/vk2" | tr '\n' ' ')$(jq -r .image "$T/back.json" | head -1) $(same voc-noid "$T/coco.jsonl" "$T/back.json")" \
  "Annotations ImageSets classes.names $T/voc/JPEGImages/000001.jpg ok"

# --- bad input: the record and key named, nothing written, nothing on stdout ------------
# bad FIELD JQ [OPTIONS]: the first train record edited by JQ, into $T/bad.mp
bad() {
  jq -c "$1" "$T/tr.json" | json-to-records > "$T/bad.mp"
}
bad 'if .id == "'"$first"'" then .objects[0].class = 7 else . end'
dsw --format yolo --out "$T/b1" --split train --names "$T/voc/classes.names" "$T/bad.mp"
check_eq "a class past the names: exit 2 naming record and key, nothing made" \
  "$rc $(cat "$T/err") $(cat "$T/out")$(ls "$T/b1" 2>&1 | wc -l)" \
  "2 dataset-write: $T/bad.mp: record 0: key 'objects[0].class': class 7 is not in the 5 names of $T/voc/classes.names 1"
dsw --format yolo --out "$T/b1" --split train "$T/bad.mp"
check_match "... without --names: class 7 then has a name, classes 5 and 6 none" "$rc $(cat "$T/err")" \
  "^2 dataset-write: class 5 has no name: no object of it in the records, which name classes up to 7 \(give the class list with --names FILE\)$"
bad 'if .id == "'"$first"'" then .objects[0].name = "dog" else . end'
dsw --format voc --out "$T/b1" --split train "$T/bad.mp"
check_match "a class named two ways: exit 2 naming both records" "$rc $(cat "$T/err")" \
  "^2 dataset-write: $T/bad.mp: record [0-9]+: key 'objects\[[0-9]+\].name': '.*', but record [0-9]+ calls class [0-9] '.*' \(one name a class"
bad 'if .id == "'"$first"'" then del(.width) else . end'
dsw --format coco --out "$T/b1" --split train "$T/bad.mp"
check_eq "no width: exit 2 naming record and key" "$rc $(cat "$T/err")" \
  "2 dataset-write: $T/bad.mp: record 0: key 'width': dataset-write needs the image's size"
bad 'if .id == "'"$first"'" then del(.image) else . end'
dsw --format coco --out "$T/b1" --split train "$T/bad.mp"
check_eq "no image: exit 2" "$rc $(cat "$T/err")" \
  "2 dataset-write: $T/bad.mp: record 0: key 'image': missing: dataset-write needs the image's path"
bad 'if .id == "'"$first"'" then .objects[0].bbox = [9, 9, 3, 3] else . end'
dsw --format coco --out "$T/b1" --split train "$T/bad.mp"
check_eq "an inverted box: exit 2" "$rc $(cat "$T/err")" \
  "2 dataset-write: $T/bad.mp: record 0: key 'objects[0].bbox': inverted: x2 < x1 or y2 < y1"
bad 'if .id == "'"$first"'" then .coco_id = 5 else . end'
dsw --format coco --out "$T/b7" --split train "$T/bad.mp"
check_match "coco_id on some records only: numbered 1.. instead, said" "$rc $(cat "$T/err")" \
  "^0 dataset-write: 1 of 1[0-9] images have a coco_id: all are numbered 1\.\. in order instead"
bad '.coco_id = 5'
dsw --format coco --out "$T/b2" --split train "$T/bad.mp"
check_eq "a coco_id on two records: exit 2" "$rc $(cat "$T/err")" \
  "2 dataset-write: $T/bad.mp: record 0 and $T/bad.mp: record 1: both have coco_id 5 (image ids must be unique)"
check_eq "nothing made by the bad runs" "$(ls -d "$T/b1" "$T/b2" 2>&1 | grep -c 'No such')" 2
mkdir -p "$T/elsewhere" && cp "$T/voc/JPEGImages/$first.jpg" "$T/elsewhere/"
bad 'if .id == "'"$first"'" then .image = "'"$T/elsewhere/$first.jpg"'" else . end'
jq -c 'select(.id == "'"$first"'") | .image = "'"$T/voc/JPEGImages/$first.png"'"' "$T/tr.json" | json-to-records >> "$T/bad.mp"
cp "$T/voc/JPEGImages/$first.jpg" "$T/voc/JPEGImages/$first.png"
dsw --format yolo --out "$T/b1" --split train "$T/bad.mp"
check_eq "two images of one stem: exit 2 naming both" "$rc $(cat "$T/err")" \
  "2 dataset-write: $T/bad.mp: record 0 and $T/bad.mp: record $n: $T/elsewhere/$first.jpg and $T/voc/JPEGImages/$first.png would both be written as '$first' (file names must differ, whatever their extension)" 
check_eq "... nothing made" "$(ls "$T/b1" 2>&1 | wc -l)" 1
cat "$T/trk.mp" "$T/trk.mp" > "$T/bad.mp"
dsw --format yolo --out "$T/b1" --split train --images keep "$T/bad.mp"
check_eq "keep: one image listed twice: exit 2" "$rc $(cat "$T/err")" \
  "2 dataset-write: $T/bad.mp: record 0 and $T/bad.mp: record $n: both are image $T/vk/JPEGImages/$first.jpg"
bad 'if .id == "'"$first"'" then .objects[0].name = "a\nb" else . end'
dsw --format yolo --out "$T/b1" --split train "$T/bad.mp"
check_eq "a name with a line break: exit 2" "$rc $(cat "$T/err")" \
  "2 dataset-write: $T/bad.mp: record 0: key 'objects[0].name': has a control character (byte 1): a names file holds one name a line"
jq -c 'if .id == "'"$first"'" then .image = "elsewhere/x.jpg" else . end' "$T/tr.json" | json-to-records > "$T/bad.mp"
(cd "$T" && dataset-write --format yolo --out b3 --split train bad.mp > "$T/out" 2> "$T/err"); rc=$?
check_match "an image that is not there: skipped with a warning naming it, counted" "$rc $(cat "$T/err" | tr '\n' ' ')" \
  "^0 dataset-write: bad.mp: record 0: key 'image': elsewhere/x.jpg: No such file or directory: record skipped .* 1 record whose image is not there skipped"
(cd "$T" && dataset-write --strict --format yolo --out b4 --split train bad.mp > "$T/out" 2> "$T/err"); rc=$?
check_eq "... --strict: exit 2, nothing made" "$rc $(ls "$T/b4" 2>&1 | wc -l)" "2 1"
jq -c 'if .id == "'"$first"'" then .error = "x: no" else . end | if .id == "'"$tid"'" then del(.objects) else . end' "$T/tr.json" "$T/te.json" | json-to-records > "$T/bad.mp"
dsw --format voc --out "$T/b5" --split all "$T/bad.mp"
check_match "records with error and without objects: skipped, counted" "$rc $(tail -1 "$T/err")" \
  "^0 dataset-write: 1 record with 'error' skipped, 1 record without objects skipped$"
check_eq "... the others written" "$(wc -l < "$T/b5/ImageSets/Main/all.txt")" "$(( $(cat "$T/tr.json" "$T/te.json" | wc -l) - 2 ))"
dsw --strict --format voc --out "$T/b6" --split all "$T/bad.mp"
check_eq "... --strict: exit 2 at the first" "$rc $(cat "$T/err")" \
  "2 dataset-write: $T/bad.mp: record 0: has 'error' set (an error with --strict)"
printf 'circle\nsquare\ntriangle\ncross\nstar\n' > "$T/cv/classes.names.new"
dsw --format voc --out "$T/cv" --split train "$T/tr.mp"
check_match "another dataset's class list in DIR: exit 2 naming the record and the file" "$rc $(cat "$T/err" | tr '\n' ' ')" \
  "^2 dataset-write: class names from $T/cv/classes.names .*key 'objects\[0\].name': '.*', but class [0-9] is '.*' in $T/cv/classes.names $"

# --- a write that fails removes what it made ------------------------------------------
mkdir -p "$T/f/train.txt"
tree "$T/f" > "$T/before"
dsw --format yolo --out "$T/f" --split train --force "$T/tr.mp"
tree "$T/f" > "$T/after"
check_match "a folder where the list goes: exit 3 naming it" "$rc $(cat "$T/err")" "^3 dataset-write: $T/f/train.txt"
check "... and the images and labels it had made are gone" cmp -s "$T/before" "$T/after"
done_testing
