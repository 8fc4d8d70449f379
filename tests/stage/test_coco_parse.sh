# coco-parse in real pipes (coco-parse | records-to-json | jq): the official
# layout, every variation real exports have, exact conversions, options,
# malformed JSON with byte offsets, problems with and without --strict, a
# file cut at many offsets, and a cross-check against Python's json module
# on a generated file.
. tests/stage/lib.sh
GEN="$TOOLS/gen-coco"

# run FILE [OPTIONS]: records as JSON lines in $T/out, stderr in $T/err, status in $rc
run() {
  f=$1; shift
  coco-parse "$@" "$f" > "$T/out.mp" 2> "$T/err"; rc=$?
  records-to-json "$T/out.mp" > "$T/out"
}
# boxes LINE: the bbox (and area) texts of record LINE as records-to-json
# prints them (shortest round-trip digits; jq 1.6 would reformat them)
boxes() {
  sed -n "$1p" "$T/out" | grep -o '"bbox":\[[^]]*\]\|"area":[^,}]*' | tr '\n' ' '
}

# --- the official layout ------------------------------------------------------
cat > "$T/val.json" <<'EOF'
{"info": {"description": "COCO 2017 Dataset", "year": 2017},
 "licenses": [{"url": "http://creativecommons.org/licenses/by-nc-sa/2.0/", "id": 1, "name": "x"}],
 "images": [{"license": 4, "file_name": "000000397133.jpg", "coco_url": "http://x/000000397133.jpg",
             "height": 427, "width": 640, "date_captured": "2013-11-14 17:02:52", "flickr_url": "", "id": 397133},
            {"license": 1, "file_name": "000000037777.jpg", "height": 230, "width": 352, "id": 37777}],
 "annotations": [{"segmentation": [[510.66, 423.01, 511.72, 420.03, 510.45, 423.01]], "area": 702.1057499999998,
                  "iscrowd": 0, "image_id": 397133, "bbox": [473.07, 395.93, 38.65, 28.67], "category_id": 18, "id": 1768},
                 {"segmentation": [[289.74, 443.39, 302.29, 445.32]], "area": 27718.476299999995, "iscrowd": 0,
                  "image_id": 397133, "bbox": [272.1, 200.23, 151.97, 279.77], "category_id": 1, "id": 1258}],
 "categories": [{"supercategory": "person", "id": 1, "name": "person"},
                {"supercategory": "animal", "id": 18, "name": "dog"}]}
EOF
run "$T/val.json"
check_eq "official layout: exit 0, nothing on stderr" "$rc $(cat "$T/err")" "0 "
check_eq "one record per image, in the order of images" "$(jq -r .id "$T/out" | tr '\n' ' ')" "397133 37777 "
check_eq "a record's keys and values" "$(head -1 "$T/out" | jq -c 'del(.objects)')" \
  '{"id":"397133","image":"000000397133.jpg","width":640,"height":427,"coco_id":397133,"coco_category_ids":[1,18]}'
check_eq "an object: class by category id, name, bbox [x,y,x+w,y+h], flags, area" \
  "$(head -1 "$T/out" | jq -c '.objects[0]')" \
  '{"class":1,"name":"dog","bbox":[473.07,395.93,511.71999999999997,424.6],"difficult":false,"truncated":false,"iscrowd":false,"area":702.1057499999998}'
check_eq "objects keep the order of the annotations" "$(head -1 "$T/out" | jq -c '[.objects[].class]')" '[1,0]'
check_eq "bbox x2, y2 are x+w, y+h in doubles" \
  "$(head -1 "$T/out" | jq -c '.objects[1].bbox == [272.1, 200.23, 272.1 + 151.97, 200.23 + 279.77]')" true
check_eq "an image without annotations: objects []" "$(sed -n 2p "$T/out" | jq -c .objects)" '[]'
check "the records pass records-to-json's schema check" test -s "$T/out"
coco-parse < "$T/val.json" | records-to-json > "$T/stdin.out"
check "standard input gives the same records as the file" cmp -s "$T/out" "$T/stdin.out"
coco-parse - < "$T/val.json" | records-to-json > "$T/stdin.out"
check "'-' reads standard input" cmp -s "$T/out" "$T/stdin.out"
coco-parse -o "$T/o.mp" "$T/val.json"
check "-o FILE writes the records there" cmp -s "$T/o.mp" "$T/out.mp"

# --- what real exports do -------------------------------------------------------
cat > "$T/ids.json" <<'EOF'
{"categories": [{"id": 7, "name": "seven"}, {"id": 0, "name": "zero"}, {"id": 3, "name": "three"}],
 "images": [{"id": 0, "file_name": "a.jpg", "width": 10, "height": 20},
            {"id": 4294967297, "file_name": "b.jpg", "width": 10, "height": 20},
            {"id": 9007199254740993, "file_name": "c.jpg", "width": 10, "height": 20}],
 "annotations": [{"id": 0, "image_id": 0, "category_id": 7, "bbox": [0, 0, 1, 1]},
                 {"id": 4294967296, "image_id": 0, "category_id": 0, "bbox": [0, 0, 1, 1]},
                 {"id": 18446744073, "image_id": 4294967297, "category_id": 3, "bbox": [0, 0, 1, 1]},
                 {"id": 5, "image_id": 9007199254740993, "category_id": 3, "bbox": [0, 0, 1, 1]}]}
EOF
run "$T/ids.json"
check_eq "category ids from 0 with gaps: exit 0" "$rc" 0
check_eq "class = rank of the category id (7, 0 -> 2, 0)" "$(head -1 "$T/out" | jq -c '[.objects[] | [.class, .name]]')" \
  '[[2,"seven"],[0,"zero"]]'
check_eq "id 3 of ids 0, 3, 7 is class 1" "$(sed -n 2p "$T/out" | jq -c '[.objects[].class]')" '[1]'
check_eq "image id 0 is an id like any other" "$(head -1 "$T/out" | jq -c '[.id, .coco_id]')" '["0",0]'
check_eq "image id above 2^32" "$(sed -n 2p "$T/out" | jq -c '[.id, .coco_id, (.objects | length)]')" \
  '["4294967297",4294967297,1]'
check_eq "image id above 2^53 exact (id and coco_id)" \
  "$(sed -n 3p "$T/out" | grep -o '"id":"[0-9]*"\|"coco_id":[0-9]*' | tr '\n' ' ')" \
  '"id":"9007199254740993" "coco_id":9007199254740993 '
check_eq "annotations of an image above 2^53 are not mixed with its neighbour 2^53" \
  "$(sed -n 3p "$T/out" | jq -c '.objects | length')" 1

cat > "$T/crowd.json" <<'EOF'
{"images": [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480}],
 "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 1, "area": 5000.5,
                  "segmentation": {"counts": [272, 2, 4, 4, 4, 4, 2, 9], "size": [480, 640]},
                  "bbox": [10, 20, 100, 50]},
                 {"id": 2, "image_id": 1, "category_id": 1, "iscrowd": 1, "area": 7,
                  "segmentation": {"counts": "e1c4S1>O2N2\\\\N\"x", "size": [480, 640]}, "bbox": [1, 2, 3, 4]},
                 {"id": 3, "image_id": 1, "category_id": 1, "iscrowd": true, "bbox": [1, 2, 3, 4]},
                 {"id": 4, "image_id": 1, "category_id": 1, "iscrowd": false, "bbox": [1, 2, 3, 4]}],
 "categories": [{"id": 1, "name": "person"}]}
EOF
run "$T/crowd.json"
check_eq "crowds with RLE segmentation (list and string counts): exit 0" "$rc" 0
check_eq "crowds are kept with iscrowd true" "$(jq -c '[.objects[].iscrowd]' "$T/out")" '[true,true,true,false]'
check_eq "a crowd's box and area" "$(boxes 1 | cut -d' ' -f1-2)" '"bbox":[10.0,20.0,110.0,70.0] "area":5000.5'

cat > "$T/folder.json" <<'EOF'
{"images": [{"id": 1, "file_name": "train2017/sub dir/a.jpg", "width": 6, "height": 5},
            {"id": 2, "file_name": "/abs/b.jpg", "width": 6, "height": 5}],
 "annotations": [], "categories": []}
EOF
run "$T/folder.json"
check_eq "file_name with a folder part, as written without --images" "$(jq -r .image "$T/out" | head -1)" "train2017/sub dir/a.jpg"
check_eq "the id is the COCO id, not the file name" "$(jq -r .id "$T/out" | head -1)" "1"
run "$T/folder.json" --images /data/coco
check_eq "--images DIR: DIR/file_name" "$(jq -r .image "$T/out" | tr '\n' ' ')" "/data/coco/train2017/sub dir/a.jpg /abs/b.jpg "
run "$T/folder.json" -i data/
check_eq "-i DIR/ with a trailing slash" "$(jq -r .image "$T/out" | head -1)" "data/train2017/sub dir/a.jpg"
mkdir -p "$T/imgs/train2017/sub dir" && : > "$T/imgs/train2017/sub dir/a.jpg"
(cd "$T" && coco-parse --images imgs folder.json | records-to-json | head -1 | jq -r .image > img.txt)
check "--images: the path opens from the working directory" test -f "$T/$(cat "$T/img.txt")"

cat > "$T/nulls.json" <<'EOF'
{"images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48, "license": null, "coco_url": null,
             "date_captured": null}],
 "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": null,
                  "iscrowd": null, "segmentation": null, "keypoints": null},
                 {"id": 2, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "segmentation": []}],
 "categories": [{"id": 1, "name": "a", "supercategory": null}], "info": null, "licenses": null}
EOF
run "$T/nulls.json"
check_eq "null fields: exit 0, nothing on stderr" "$rc $(cat "$T/err")" "0 "
check_eq "area null: no area; iscrowd null: false" "$(jq -c '.objects[0] | [has("area"), .iscrowd]' "$T/out")" '[false,false]'
check_eq "iscrowd and area absent: the same" "$(jq -c '.objects[1] | [has("area"), .iscrowd]' "$T/out")" '[false,false]'

cat > "$T/extra.json" <<'EOF'
{"x_top": {"nested": [1, [2, {"images": "not this one"}]]}, "type": "instances",
 "images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48, "x_tags": ["a", {"id": 99}],
             "id_str": "1", "meta": {"file_name": "no.jpg", "width": "no"}}],
 "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "num_keypoints": 3,
                  "attributes": {"occluded": false, "bbox": "not this"}, "score": 0.5}],
 "categories": [{"id": 1, "name": "a", "keypoints": ["nose"], "skeleton": [[1, 2]]}],
 "x_last": [[[]]]}
EOF
run "$T/extra.json"
check_eq "extra keys at the top and in entries (nested, same names inside): exit 0" "$rc $(cat "$T/err")" "0 "
check_eq "extra keys do not leak into the records" "$(jq -c '[.image, .width, .objects[0].bbox]' "$T/out")" \
  '["a.jpg",64,[1,2,4,6]]'

cat > "$T/floats.json" <<'EOF'
{"images": [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480}],
 "annotations": [{"image_id": 1, "category_id": 1, "bbox": [10, 20, 30, 40], "area": 1200},
                 {"image_id": 1, "category_id": 1, "bbox": [0.1, 0.2, 0.30000000000000004, 1e-7], "area": 1.5e2},
                 {"image_id": 1, "category_id": 1, "bbox": [-0.5, 479.99, 640.5, 0], "area": 0}],
 "categories": [{"id": 1, "name": "a"}]}
EOF
run "$T/floats.json"
check_eq "integer, float and exponent boxes: floats, x2 = x+w and y2 = y+h in doubles" "$(boxes 1)" \
  '"bbox":[10.0,20.0,40.0,60.0] "area":1200.0 "bbox":[0.1,0.2,0.4,0.20000010000000001] "area":150.0 "bbox":[-0.5,479.99,640.0,479.99] "area":0.0 '

cat > "$T/order.json" <<'EOF'
{"annotations": [{"image_id": 2, "category_id": 5, "bbox": [1, 1, 1, 1]},
                 {"image_id": 1, "category_id": 5, "bbox": [2, 2, 2, 2]}],
 "categories": [{"id": 5, "name": "five"}],
 "images": [{"id": 1, "file_name": "a.jpg", "width": 9, "height": 9},
            {"id": 2, "file_name": "b.jpg", "width": 9, "height": 9}]}
EOF
run "$T/order.json"
check_eq "annotations and categories before images: exit 0" "$rc $(cat "$T/err")" "0 "
check_eq "annotations before images land on their images" "$(jq -c '[.id, .objects[0].bbox[0], .objects[0].name]' "$T/out" | tr '\n' ' ')" \
  '["1",2,"five"] ["2",1,"five"] '

# --- options -------------------------------------------------------------------
cat > "$T/empty.json" <<'EOF'
{"images": [{"id": 1, "file_name": "a.jpg", "width": 9, "height": 9},
            {"id": 2, "file_name": "b.jpg", "width": 9, "height": 9},
            {"id": 3, "file_name": "c.jpg", "width": 9, "height": 9}],
 "annotations": [{"image_id": 2, "category_id": 1, "bbox": [1, 1, 1, 1]},
                 {"image_id": 3, "category_id": 9, "bbox": [1, 1, 1, 1]}],
 "categories": [{"id": 1, "name": "a"}]}
EOF
run "$T/empty.json" --skip-empty --quiet
check_eq "--skip-empty leaves out images without (usable) objects" "$(jq -r .id "$T/out" | tr '\n' ' ')" "2 "
run "$T/empty.json" --quiet
check_eq "without it every image is there" "$(jq -r .id "$T/out" | tr '\n' ' ')" "1 2 3 "
printf '{"images": [{"id": 1, "file_name": "a.jpg", "width": 9, "height": 9}], "categories": []}' > "$T/noann.json"
run "$T/noann.json"
check_eq "a file without annotations (image_info_test): records without objects" "$(jq -c 'has("objects")' "$T/out")" false
coco-parse "$T/val.json" "$T/val.json" > /dev/null 2> "$T/err"; rc=$?
check_match "two input files: exit 1" "$rc $(head -1 "$T/err")" "^1 coco-parse: one input file at most"
coco-parse --strict=1 "$T/val.json" > /dev/null 2> "$T/err"; rc=$?
check_eq "a flag given a value: exit 1" "$rc" 1
coco-parse "$T/missing.json" > /dev/null 2> "$T/err"; rc=$?
check_match "a missing file: exit 3 naming it" "$rc $(cat "$T/err")" "^3 coco-parse: .*missing.json: No such file"

# --- problems: warnings, or errors with --strict -------------------------------------
cat > "$T/bad.json" <<'EOF'
{"images": [{"id": 1, "file_name": "a.jpg", "width": 9, "height": 9},
            {"id": 1, "file_name": "dup.jpg", "width": 9, "height": 9},
            {"id": 2, "file_name": "b.jpg", "width": 0, "height": 9},
            {"id": 3, "width": 9, "height": 9}],
 "annotations": [{"id": 10, "image_id": 1, "category_id": 1, "bbox": [1, 1, -1, 1]},
                 {"id": 11, "image_id": 77, "category_id": 1, "bbox": [1, 1, 1, 1]},
                 {"id": 12, "image_id": 77, "category_id": 1, "bbox": [1, 1, 1, 1]},
                 {"id": 13, "image_id": 1, "category_id": 42, "bbox": [1, 1, 1, 1]},
                 {"id": 14, "image_id": 1, "category_id": 1},
                 {"id": 15, "image_id": 2, "category_id": 1, "bbox": [1, 1, 1, 1]},
                 {"id": 16, "image_id": 1, "category_id": 1, "bbox": [1, 1, 1, 1]}],
 "categories": [{"id": 1, "name": "a"}, {"id": 1, "name": "again"}, {"name": "no id"}]}
EOF
run "$T/bad.json"
check_eq "problems without --strict: exit 0" "$rc" 0
check_eq "the usable records are written" "$(jq -c '[.id, [.objects[].bbox[2]]]' "$T/out" | tr '\n' ' ')" '["1",[2]] '
err=$(cat "$T/err")
check_match "a box with a negative size: warned" "$err" "coco-parse: .*bad.json: annotations\[0\] \(id 10\): bbox \[1, 1, -1, 1\] has a negative size: skipped"
check_match "an image id that is not in images: warned once, with its count" "$err" "image_id 77 is not in images \(2 annotations\): skipped"
check_match "a category id that is not in categories: warned" "$err" "category_id 42 is not in categories \(1 annotation\): skipped"
check_match "an annotation without bbox: warned" "$err" "annotations\[4\] \(id 14\): no 'bbox': skipped"
check_match "a repeated image id: warned" "$err" "images\[1\] \(id 1\): the id is already in images: skipped"
check_match "an image size out of range: warned" "$err" "images\[2\] \(id 2\): size 0x9 is not in 1..1000000 pixels: skipped"
check_match "an image without file_name: warned" "$err" "images\[3\] \(id 3\): no 'file_name': skipped"
check_match "a repeated category id: warned" "$err" "categories\[1\] \(id 1\): the id is already in categories: skipped"
check_match "a category without id: warned" "$err" "categories\[2\]: no 'id': skipped"
check_eq "the summary line is last" "$(tail -1 "$T/err")" \
  "coco-parse: $T/bad.json: 9 problems: 3 images, 6 annotations and 2 categories skipped"
check_eq "annotations of a skipped image go without a warning each" "$(grep -c 'id 15' "$T/err")" 0
run "$T/bad.json" --quiet
check_eq "--quiet: no warnings, same records" "$rc $(cat "$T/err") $(jq -c .id "$T/out")" '0  "1"'
run "$T/bad.json" --strict
check_eq "--strict: exit 2" "$rc" 2
check_match "--strict: the first problem, with its byte offset" "$(cat "$T/err")" \
  "^coco-parse: .*bad.json: line 2 \(byte offset [0-9]+\): images\[1\] \(id 1\): the id is already in images \(strict mode\)$"
check_eq "--strict: no records written" "$(wc -c < "$T/out.mp" | tr -d ' ')" 0
run "$T/empty.json" --strict
check_match "--strict: a missing category, found after the parse" "$rc $(cat "$T/err")" \
  "^2 coco-parse: .*empty.json: category_id 9 is not in categories \(1 annotation\) \(strict mode\)$"
awk 'BEGIN { printf "{\"images\": [{\"id\": 1, \"file_name\": \"a\", \"width\": 1, \"height\": 1}], \"categories\": [{\"id\": 1, \"name\": \"a\"}], \"annotations\": ["
             for (i = 0; i < 25; i++) printf "%s{\"id\": %d, \"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, -1, 1]}", i ? "," : "", i
             print "]}" }' > "$T/many.json"
run "$T/many.json"
check_eq "many problems of one kind: the first 10 shown, then the summary" "$(wc -l < "$T/err" | tr -d ' ')" 11
check_match "... and all counted" "$(tail -1 "$T/err")" "25 problems: 0 images, 25 annotations"

# --- malformed JSON: exit 2, line and byte offset, no records --------------------------
last_line() { _l=; while IFS= read -r _x; do _l=$_x; done < "$1"; printf '%s' "$_l"; }
bad_json() { # DESC TEXT PATTERN
  printf '%s' "$2" > "$T/m.json"
  coco-parse "$T/m.json" > "$T/m.mp" 2> "$T/err"; rc=$?
  check_match "$1: exit 2 and the message" "$rc $(last_line "$T/err")" "^2 coco-parse: $T/m.json: $3\$"
  check "$1: no records" [ ! -s "$T/m.mp" ]
}
at() { printf 'line %s \\(byte offset %s\\): ' "$1" "$2"; } # the position, as a pattern
bad_json "a syntax error" '{"images": [],,}' "$(at 1 15)parse error: invalid object key \(must be a string\)"
bad_json "a syntax error on line 3" "$(printf '{"images": [\n {"id": 1, "file_name": "a", "width": 1, "height": 1},\n {"id" 2}]}')" \
  "$(at 3 76)parse error: object key and value must be separated by a colon \(':'\)"
bad_json "truncated in an annotation" '{"images": [], "annotations": [{"bbox": [1, 2' "$(at 1 45)truncated: the input ends inside annotations\[0\]\.bbox"
bad_json "truncated in a string" "$(printf '{"images":\n [{"file_name": "abc')" "$(at 2 31)truncated: the input ends inside images\[0\]\.file_name"
bad_json "bbox a string" '{"images": [], "annotations": [{"bbox": "x"}]}' \
  "$(at 1 43)annotations\[0\]\.bbox: expected an array of 4 numbers \[x, y, w, h\], got a string"
bad_json "bbox of 3 numbers" '{"images": [], "annotations": [{"bbox": [1, 2, 3]}]}' \
  "$(at 1 49)annotations\[0\]\.bbox: expected an array of 4 numbers \[x, y, w, h\], got an array of 3"
bad_json "bbox of 5 numbers" '{"images": [], "annotations": [{"bbox": [1, 2, 3, 4, 5]}]}' \
  "$(at 1 55)annotations\[0\]\.bbox: expected an array of 4 numbers \[x, y, w, h\], got more than 4"
bad_json "bbox with a null" '{"images": [], "annotations": [{"bbox": [1, null, 3, 4]}]}' \
  "$(at 1 48)annotations\[0\]\.bbox: expected an array of 4 numbers \[x, y, w, h\], got null"
bad_json "bbox an object" '{"images": [], "annotations": [{"id": 3, "bbox": {}}]}' \
  "$(at 1 50)annotations\[0\]\.bbox: expected an array of 4 numbers \[x, y, w, h\], got an object"
bad_json "an image id as a string" '{"images": [{"id": "7"}]}' "$(at 1 22)images\[0\]\.id: expected an integer, got a string"
bad_json "an image id with a fraction" '{"images": [{"id": 7.5}]}' "$(at 1 22)images\[0\]\.id: expected an integer, got 7\.5"
bad_json "an id beyond 64 bits" '{"images": [{"id": 99999999999999999999}]}' \
  "$(at 1 39)images\[0\]\.id: expected an integer, got 99999999999999999999 \(outside the 64-bit range\)"
bad_json "width as a string" '{"images": [{"width": "640"}]}' "$(at 1 27)images\[0\]\.width: expected an integer, got a string"
bad_json "an area as a string" '{"images": [], "annotations": [{"area": "5"}]}' \
  "$(at 1 43)annotations\[0\]\.area: expected a number, got a string"
bad_json "iscrowd 2" '{"images": [], "annotations": [{"iscrowd": 2}]}' \
  "$(at 1 44)annotations\[0\]\.iscrowd: expected 0, 1, true or false, got a number"
bad_json "file_name a number" '{"images": [{"file_name": 5}]}' "$(at 1 27)images\[0\]\.file_name: expected a string, got a number"
bad_json "a category name as an object" '{"images": [], "categories": [{"name": {}}]}' \
  "$(at 1 40)categories\[0\]\.name: expected a string, got an object"
bad_json "images an object" '{"images": {}}' "$(at 1 12)'images': expected an array, got an object"
bad_json "annotations a number" '{"images": [], "annotations": 5}' "$(at 1 31)'annotations': expected an array, got a number"
bad_json "an annotation that is a list" '{"images": [], "annotations": [[]]}' "$(at 1 32)annotations\[0\]: expected an object, got an array"
bad_json "the top level an array (a results file)" '[{"image_id": 1}]' \
  "$(at 1 1)the input is an array, not a JSON object \(a results file\?\)"
bad_json "images given twice" '{"images": [], "images": []}' "$(at 1 23)key 'images' appears twice in the top-level object"
bad_json "no images key" '{"annotations": []}' 'no "images" array: not a COCO instances file'
bad_json "empty input" '' "$(at 1 0)no JSON object in the input"
bad_json "trailing garbage" '{"images": []} {}' "$(at 1 16)parse error: trailing garbage"
bad_json "invalid UTF-8 in a string" "$(printf '{"images": [{"file_name": "\377"}]}')" "$(at 1 28)lexical error: invalid bytes in UTF8 string\."
bad_json "nesting deeper than 64" "{\"x\": $(printf '%.0s[' $(seq 70))" "$(at 1 70)nested deeper than 64 arrays and objects"
bad_json "a number beyond the double range" '{"images": [], "annotations": [{"bbox": [1e999, 1, 1, 1]}]}' \
  "$(at 1 46)annotations\[0\]\.bbox: number 1e999 is out of the double range"
bad_json "an empty file_name" '{"images": [{"id": 1, "file_name": ""}]}' "$(at 1 37)images\[0\]\.file_name: is empty"
long=$(head -c 5000 /dev/zero | tr '\0' a)
bad_json "a file_name over 4096 bytes" "{\"images\": [{\"file_name\": \"$long\"}]}" \
  "$(at 1 5028)images\[0\]\.file_name: longer than 4096 bytes"

# A valid file cut at many byte offsets: every cut is exit 2 with a position,
# nothing on stdout, never a crash (run under the sanitizers too; the unit
# test test_coco cuts a document at every offset, in process).
size=$(wc -c < "$T/val.json" | tr -d ' ')
bad=0; n=0; cut=0
while [ "$cut" -lt "$size" ]; do
  head -c "$cut" "$T/val.json" > "$T/cut.json"
  coco-parse "$T/cut.json" > "$T/cut.mp" 2> "$T/err"; rc=$?
  msg=$(last_line "$T/err")
  case "$rc $msg" in
    "2 coco-parse: $T/cut.json: line "[0-9]*" (byte offset $cut): truncated: the input ends inside "*) ;;
    "2 coco-parse: $T/cut.json: line 1 (byte offset 0): no JSON object in the input") ;;
    *) bad=$((bad + 1)); echo "# cut at $cut: status $rc: $msg" ;;
  esac
  [ -s "$T/cut.mp" ] && { bad=$((bad + 1)); echo "# cut at $cut: output written"; }
  n=$((n + 1)); cut=$((cut + 61))
done
check_eq "the file cut at $n offsets: exit 2, 'truncated' at that byte offset, no output" "$bad" 0

# --- a generated file against Python's json module ------------------------------------
"$GEN" -n 300 -a 3000 -k 80 --crowd 30 --points 6 --order aci --seed 3 > "$T/gen.json"
coco-parse "$T/gen.json" | records-to-json --full > "$T/gen.jsonl"; rc=$?
check_eq "a generated file (annotations first): exit 0" "$rc" 0
res=$(/usr/bin/python3 - "$T/gen.json" "$T/gen.jsonl" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
cls = {c["id"]: i for i, c in enumerate(sorted(d["categories"], key=lambda c: c["id"]))}
names = {c["id"]: c["name"] for c in d["categories"]}
by_img = {}
for a in d["annotations"]:
    by_img.setdefault(a["image_id"], []).append(a)
want = []
for im in d["images"]:
    objs = []
    for a in by_img.get(im["id"], []):
        x, y, w, h = a["bbox"]
        objs.append({"class": cls[a["category_id"]], "name": names[a["category_id"]],
                     "bbox": [x, y, x + w, y + h], "difficult": False, "truncated": False,
                     "iscrowd": bool(a["iscrowd"]), "area": a["area"]})
    want.append({"id": str(im["id"]), "image": im["file_name"], "width": im["width"],
                 "height": im["height"], "coco_id": im["id"],
                 "coco_category_ids": sorted(cls), "objects": objs})
got = [json.loads(l) for l in open(sys.argv[2])]
crowds = sum(o["iscrowd"] for r in got for o in r["objects"])
print("same" if got == want else "differ", len(got), sum(len(r["objects"]) for r in got), crowds)
PY
)
check_eq "every record equals what Python builds from json.load (exact floats)" "$res" "same 300 3000 30"

done_testing
