#!/bin/sh
# Makes the seed corpora of the harnesses, from the repository's own small
# inputs, into DIR/seeds/<harness>/ (rebuilt on every run; nothing here is
# committed but the few hand-written files of tests/fuzz/seeds/):
#   fuzz_cfg      tests/fixtures/*.cfg, tests/data/cfg/*.cfg (darknet's),
#                 pipelines' and bench's small cfgs, tests/fuzz/seeds/fuzz_cfg/
#   fuzz_record   gen-records streams, and records of a tiny two-head network
#                 through darknet-forward (output, transform, error), rescale
#                 (detections) and nms
#   fuzz_jsonrec  records-to-json of those (summary and --full), JSON snippets
#   fuzz_coco     gen-coco files and snippets of tests/unit/test_coco.c, each
#                 after one byte that seeds the chunk sizes
#   fuzz_voc      synth-voc's annotations (naming a.jpg, the harness's image),
#                 snippets of tests/stage/test_voc_parse.sh
#   fuzz_jpeg     synth-voc's JPEGs, seedgen's (gray, CMYK, progressive, 1x1),
#                 tests/data/images/ (darknet's dog.jpg: EXIF, restart markers),
#                 tests/stage/make-images.py's PNGs (every kind) and BMPs
#   fuzz_weights  seedgen's weights files for the harness's network
#   fuzz_yaml, fuzz_yolotxt  tests/fuzz/seeds/ (data.yaml and label files
#                 in the forms yolo-parse reads)
#   fuzz_cocores  tests/eval/coco-results*.json (eval-map's fixtures)
# The tools are the clang build's (DIR/tools, DIR/bin: `make fuzz-build`).
# Usage: tests/fuzz/make-seeds.sh DIR. Exit status 1 if any step failed (the
# seeds made so far stay).
set -u
dir=${1:?usage: make-seeds.sh DIR}
out=$dir/seeds
work=$dir/seeds-work
B=$dir/bin T=$dir/tools
top=$(pwd)
rm -rf "$out" "$work"
mkdir -p "$work"
for h in cfg record jsonrec coco voc jpeg weights yaml yolotxt cocores; do mkdir -p "$out/fuzz_$h"; done
# the seed tools are the sanitized build: their own exit-time leaks are not
# what is being tested here
export ASAN_OPTIONS=detect_leaks=0 OMP_NUM_THREADS=1
status=0
fail() { echo "make-seeds: $*" >&2; status=1; }

# committed hand-written seeds
for d in tests/fuzz/seeds/*/; do
  [ -d "$d" ] && cp "$d"* "$out/$(basename "$d")/" 2>/dev/null
done

# --- COCO results files --------------------------------------------------------
cp tests/eval/coco-results*.json "$out/fuzz_cocores/" 2>/dev/null ||
  fail "copying tests/eval/coco-results*.json"

# --- cfg ----------------------------------------------------------------------
cp tests/fixtures/*.cfg pipelines/*.cfg bench/*/*.cfg "$out/fuzz_cfg/" 2>/dev/null ||
  fail "copying the cfg files"
# darknet's own cfgs and photo, and the tests' synthetic pictures
if [ -d tests/data ]; then
  cp tests/data/cfg/*.cfg "$out/fuzz_cfg/" || fail "copying tests/data/cfg"
  cp tests/data/images/*.jpg "$out/fuzz_jpeg/" || fail "copying tests/data/images"
fi
if /usr/bin/python3 tests/stage/make-images.py "$out/fuzz_jpeg" > /dev/null; then
  rm -f "$out"/fuzz_jpeg/*.rgb
else
  fail "tests/stage/make-images.py (PNG and BMP seeds)"
fi

# --- a small VOC dataset: annotations and JPEGs --------------------------------
"$B/synth-voc" --quiet --out "$work/voc" --count 4 --size 64x48 --min-size 0.15 \
  --max-objects 3 --truncated 0.5 --seed 3 2>/dev/null || fail "synth-voc"
for f in "$work"/voc/Annotations/*.xml; do
  [ -f "$f" ] || continue
  sed 's|<filename>[^<]*</filename>|<filename>a.jpg</filename>|' "$f" \
    > "$out/fuzz_voc/synth-$(basename "$f")"
done
cp "$work"/voc/JPEGImages/*.jpg "$out/fuzz_jpeg/" 2>/dev/null || fail "synth-voc's JPEGs"
v=$out/fuzz_voc
cat > "$v/plain.xml" <<'XML'
<annotation>
	<folder>VOC2007</folder>
	<filename>a.jpg</filename>
	<source><annotation>PASCAL VOC2007</annotation></source>
	<size><width>12</width><height>8</height><depth>3</depth></size>
	<object>
		<name>dog</name><pose>Left</pose><truncated>1</truncated><difficult>0</difficult>
		<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>12</xmax><ymax>8</ymax></bndbox>
	</object>
	<object>
		<name>person</name><truncated>false</truncated><difficult>TRUE</difficult>
		<bndbox><xmin>2.5</xmin><ymin>3</ymin><xmax>2.5</xmax><ymax>4</ymax></bndbox>
	</object>
</annotation>
XML
printf '<annotation><filename>a.jpg</filename><size><width>50</width><height>40</height></size><object><name>cow</name><bndbox><xmin>5</xmin><ymin>6</ymin><xmax>7</xmax><ymax>8</ymax></bndbox></object></annotation>' > "$v/oneline.xml"
printf '<annotation>\r\n<size><width>50</width><height>40</height></size>\r\n<object><name>cow</name>\r\n<bndbox><xmin>5</xmin><ymin>6</ymin><xmax>7</xmax><ymax>8</ymax></bndbox></object>\r\n</annotation>\r\n' > "$v/crlf-nofilename.xml"
printf '<annotation><filename>a.jpg</filename><object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>640</xmax><ymax>480</ymax></bndbox></object></annotation>\n' > "$v/nosize.xml"
printf '<annotation><filename>a.jpg</filename><size><width>0</width><height></height><depth>3</depth></size></annotation>\n' > "$v/zerosize.xml"
cat > "$v/problems.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE annotation [<!ENTITY d "dog">]>
<annotation>
<filename> a.jpg </filename>
<size><width>100</width><height>50</height></size>
<object><name>&d;</name>
<bndbox><xmin>0</xmin><ymin>-5</ymin><xmax>120.5</xmax><ymax>50</ymax></bndbox></object>
<object><name>dog</name>
<bndbox><xmin>150</xmin><ymin>10</ymin><xmax>160</xmax><ymax>20</ymax></bndbox></object>
<object><name>dog</name>
<bndbox><xmin>30</xmin><ymin>10</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></object>
<object><name>dragon</name>
<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>
<object><name>cat</name>
<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>two</xmax><ymax>2</ymax></bndbox></object>
<object><name>cat</name><difficult>maybe</difficult>
<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>
<object><name>cat</name></object>
<object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>
<object><name><![CDATA[star]]></name><!-- a comment -->
<bndbox><xmin>5</xmin><ymin>5</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>
</annotation>
XML

# --- JPEGs and weights files from seedgen --------------------------------------
"$T/seedgen" jpeg "$out/fuzz_jpeg" || fail "seedgen jpeg"
"$T/seedgen" weights "$out/fuzz_weights" || fail "seedgen weights"

# --- record streams ----------------------------------------------------------
r=$out/fuzz_record
"$T/gen-records" -n 3 -s 2x3 -k 2 > "$r/gen-3.mp" || fail "gen-records"
"$T/gen-records" -n 1 -s 0x0 -k 0 > "$r/gen-bare.mp" || fail "gen-records"
"$T/gen-records" -n 2 -s 1x2 -k 1 --seed 5 --tensor-key t > "$r/gen-key.mp" || fail "gen-records"
heads=$top/tests/fuzz/seeds/fuzz_cfg/heads.cfg
# records 000001..000003 have synth-voc's images (output and transform),
# 000000 has none (error)
(cd "$work/voc" && "$top/$T/gen-records" -n 4 -s 0x0 -k 1 |
   "$top/$B/darknet-forward" --quiet --random 1 --cfg "$heads") > "$r/forward.mp" ||
  fail "darknet-forward"
"$B/rescale" --quiet --thresh 0.5 < "$r/forward.mp" > "$r/rescale.mp" || fail "rescale"
"$B/nms" --quiet --iou 0.3 --max-det 3 < "$r/rescale.mp" > "$r/nms.mp" || fail "nms"
"$T/gen-records" -n 1 -s 4x4 -k 0 |
  "$B/darknet-forward" --quiet --random 2 --cfg "$heads" > "$r/forward-input.mp" ||
  fail "darknet-forward on an input tensor"

# --- JSON Lines ---------------------------------------------------------------
j=$out/fuzz_jsonrec
for f in "$r"/*.mp; do
  b=$(basename "$f" .mp)
  "$B/records-to-json" --quiet --no-check "$f" > "$j/$b.jsonl" || fail "records-to-json $b"
  "$B/records-to-json" --quiet --no-check --full "$f" > "$j/$b-full.jsonl" ||
    fail "records-to-json --full $b"
done
# shellcheck disable=SC2016
printf '{"id":"a","e":{"$msgpack":"wA=="},"n":{"$msgpack":"yz/wAAAAAAAA"}}\n' > "$j/escapes.jsonl"
printf '{"input":{"dtype":"f32","shape":[1,3],"data":["NaN","Infinity",-1.5e-45]},"u":{"dtype":"u8","shape":[2],"data":[0,255]},"i":{"dtype":"i32","shape":[],"data":[-2147483648]}}\n' > "$j/tensors.jsonl"
printf '{"a":[1,-2,18446744073709551615,-9223372036854775808,3.5e300,true,false,null,"s\\u00e9\\ud83d\\ude00"]} {"b":{"c":[{}],"":[[[]]]}}\n\n{}' > "$j/values.jsonl"

# --- COCO ---------------------------------------------------------------------
c=$out/fuzz_coco
n=0
for args in "-n 3 -a 6 -k 3 --points 4" "-n 2 -a 4 -k 2 --points 4 --order aci --crowd 2" \
            "-n 1 -a 0 -k 1 --order cia --seed 4"; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  { printf '\%03o' $((n * 7)); "$T/gen-coco" $args; } > "$c/gen-$n.json" || fail "gen-coco $args"
done
printf '\001{"info": {"x": [1, {"y": null}]}, "licenses": [],
 "annotations": [
  {"segmentation": {"counts": "ab\\"c\\\\d", "size": [10, 20]}, "area": null,
   "iscrowd": 1, "image_id": 4294967297, "bbox": [1.25, 2.5e0, 3, 4.125],
   "category_id": 0, "id": 0, "extra": {"deep": [[[]]]}},
  {"segmentation": [[1.5, 2.5, 3.5, 4.5, 5.5, 6.5]], "area": 12.000000000000002,
   "iscrowd": null, "image_id": 0, "bbox": [0.1, 0.2, 0.30000000000000004, 1e-7],
   "category_id": 7, "id": 18446744073}],
 "images": [{"id": 0, "file_name": "dir/\\u00e9t\\u00e9.jpg", "width": 20,
   "height": 10, "license": null}, {"id": 4294967297, "file_name": "b.png",
   "width": 640, "height": 480, "coco_url": "x"}, {"id": 3, "file_name": "c",
   "width": 1, "height": 1}],
 "categories": [{"id": 7, "name": "seven"}, {"id": 0, "name": "zero",
   "supercategory": "n"}], "zz": 1e300}\n' > "$c/every-feature.json"
printf '\077{"categories":[{"id":90,"name":"z"},{"id":0,"name":"a"},{"id":5,"name":"m"}],"images":[{"id":1,"file_name":"a","width":1,"height":1},{"id":2,"file_name":"a","width":1,"height":1}],"annotations":[{"image_id":1,"category_id":90,"bbox":[0,0,1,1]},{"image_id":1,"category_id":0,"bbox":[0,0,1,1]},{"image_id":3,"category_id":5,"bbox":[0,0,1,1]},{"image_id":2,"category_id":6,"bbox":[0,0,-1,1],"id":4},{"image_id":2,"category_id":5,"bbox":[0,0,1,1],"id":4}]}' > "$c/problems.json"

rm -rf "$work"
exit $status
