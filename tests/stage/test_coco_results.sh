# coco-results and eval-map --results in real pipes: the round trip on the
# fixtures of tests/eval/ (made by tests/eval/make-coco-results.py with
# pycocotools; no Python evaluator is needed here): coco-parse, detections
# merged in, coco-results, eval-map --results, against pycocotools' numbers;
# the ids (coco_id, --image-id-from stem, coco_category_ids, --category-ids,
# --category-id-offset); bad input naming the record or the JSON path, and
# nothing half-written taken for whole.
. tests/stage/lib.sh
FIX=tests/eval

# maxdiff GOT WANT: the largest |difference| between the COCO numbers of two
# eval-map --json outputs (AP figures and per class), "shapes differ" when
# their keys or nulls do not line up.
maxdiff() {
  jq -nr --slurpfile g "$1" --slurpfile w "$2" '
    def flat: .coco | (del(.ap_per_class) | to_entries) + (.ap_per_class | to_entries);
    ($g[0] | flat) as $a | ($w[0] | flat | from_entries) as $b
    | if ([$a[].key] | sort) != ($b | keys) then "shapes differ"
      else [$a[] | . as $e | $b[$e.key] as $v
            | if $e.value == null and $v == null then 0
              elif $e.value == null or $v == null then 1
              else ($e.value - $v) | fabs end] | max
           | if . < 1e-6 then "agree" else "differ by \(.)" end end'
}
# merge STREAM: records with the fixture's detections put in by id
merge() {
  records-to-json "$1" | jq -c --slurpfile d "$FIX/coco-dets.jsonl" \
    '.id as $id | .detections = ([$d[] | select(.id == $id)][0].detections)' | json-to-records
}
# edit JQ STREAM: the records changed by a jq filter
edit() { records-to-json "$2" | jq -c "$1" | json-to-records; }

# --- the round trip ------------------------------------------------------------------
coco-parse "$FIX/coco-gt.json" > "$T/gt.mp" 2> "$T/err"; rc=$?
check_eq "coco-parse the fixture: exit 0, nothing on stderr" "$rc $(cat "$T/err")" "0 "
check_eq "coco-parse keeps each class's category id (rank order) in every record" \
  "$(records-to-json "$T/gt.mp" | jq -c .coco_category_ids | sort -u)" "[3,7,18,44,90]"
merge "$T/gt.mp" > "$T/dets.mp"
coco-results "$T/dets.mp" > "$T/r.json" 2> "$T/err"; rc=$?
check_eq "coco-results: exit 0, nothing on stderr" "$rc $(cat "$T/err")" "0 "
check_eq "coco-results: the results pycocotools was given, number for number" \
  "$(jq -c '.[]' "$T/r.json" | md5sum)" "$(jq -c '.[]' "$FIX/coco-results.json" | md5sum)"
check_eq "coco-results: one element a line between [ and ]" \
  "$(head -1 "$T/r.json") $(tail -1 "$T/r.json") $(wc -l < "$T/r.json" | tr -d ' ') $(jq length "$T/r.json")" "[ ] 113 111"
check_eq "coco-results: keys in COCO's order" "$(sed -n 2p "$T/r.json" | sed 's/,$//' | jq -c keys_unsorted)" \
  '["image_id","category_id","bbox","score"]'
jq -r '.categories | sort_by(.id)[].name' "$FIX/coco-gt.json" > "$T/names"
eval-map --json --metric coco --names "$T/names" --results "$T/r.json" "$T/gt.mp" > "$T/res.json" 2> "$T/err"; rc=$?
check_eq "eval-map --results: exit 0, nothing on stderr" "$rc $(cat "$T/err")" "0 "
check_eq "eval-map --results equals pycocotools to 1e-6 (AP, AP50, AP75, S/M/L, per class)" \
  "$(maxdiff "$T/res.json" "$FIX/coco-results.expected.json")" agree
check_eq "... kite (a category without truth) has no AP, as pycocotools says" \
  "$(jq -c '[.coco.ap_per_class.kite, .coco.ap > 0.2]' "$T/res.json")" "[null,true]"
eval-map --json --names "$T/names" --results "$T/r.json" "$T/gt.mp" > "$T/all-res.json"
eval-map --json --names "$T/names" "$T/dets.mp" > "$T/all-rec.json"
check "eval-map --results gives what eval-map gives on the records (every convention)" \
  cmp -s "$T/all-res.json" "$T/all-rec.json"
eval-map --json --metric coco --names "$T/names" --results "$FIX/coco-results.json" < "$T/gt.mp" > "$T/fix.json"
check "the committed results file (truth on stdin): the same numbers" cmp -s "$T/fix.json" "$T/res.json"
shuf --random-source="$FIX/coco-gt.json" "$FIX/coco-results.json" | grep -v '^[][]$' \
  | sed '$!s/,*$/,/; $s/,$//' | { echo '['; cat; echo ']'; } > "$T/shuf.json"
eval-map --json --metric coco --names "$T/names" --results "$T/shuf.json" "$T/gt.mp" > "$T/shuf.out"
check_eq "results in another order (scores all differ): the same numbers" \
  "$(jq -c . "$T/shuf.json" | jq length) $(maxdiff "$T/shuf.out" "$T/res.json")" "111 agree"

# --- zero detections, empty input, skipped records -----------------------------------
coco-results "$T/gt.mp" > "$T/none.json"; rc=$?
check_eq "records without detections: []" "$rc $(cat "$T/none.json")" "0 []"
check_eq "empty input: []" "$(coco-results < /dev/null)" "[]"
eval-map --json --metric coco --results "$T/none.json" "$T/gt.mp" > "$T/zero.json"; rc=$?
check_eq "eval-map --results []: exit 0, AP 0" "$rc $(jq .coco.ap "$T/zero.json")" "0 0"
{ edit 'select(.coco_id == 318140) | .error = "darknet-forward: image gone"' "$T/dets.mp"
  edit 'select(.coco_id != 318140)' "$T/dets.mp"; } > "$T/witherr.mp"
coco-results "$T/witherr.mp" > "$T/we.json" 2> "$T/err"; rc=$?
check_eq "a record with error: skipped, counted on stderr" "$rc $(cat "$T/err")" \
  "0 coco-results: skipped 1 record with 'error' set"
on_it=$(jq '[.[] | select(.image_id == 318140)] | length' "$T/r.json")
check_eq "... its $on_it detections are not written" \
  "$(jq '[.[] | select(.image_id == 318140)] | length' "$T/we.json") $(jq length "$T/we.json")" "0 $((111 - on_it))"
eval-map --json --results "$T/r.json" "$T/witherr.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "eval-map --results: results on a skipped record left out, counted" "$rc $(tail -1 "$T/err")" \
  "^0 eval-map: $T/r.json: $on_it results? on skipped records left out$"

# --- the ids ---------------------------------------------------------------------------
edit 'del(.coco_id)' "$T/dets.mp" > "$T/noid.mp"
coco-results "$T/noid.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "no coco_id: exit 2 naming the record and key, --image-id-from stem suggested" "$rc $(cat "$T/err")" \
  "^2 coco-results: $T/noid.mp: record 0: key 'coco_id': missing: .*--image-id-from stem"
check_eq "... nothing on stdout" "$(wc -c < "$T/out" | tr -d ' ')" 0
coco-results --image-id-from stem "$T/noid.mp" > "$T/stem.json"; rc=$?
check "--image-id-from stem (files named 000000318140.jpg): the same file" cmp -s "$T/stem.json" "$T/r.json"
edit 'del(.coco_id)' "$T/gt.mp" > "$T/gt-noid.mp"
eval-map --json --metric coco --names "$T/names" --image-id-from stem --results "$T/r.json" "$T/gt-noid.mp" > "$T/stem.out"
check "eval-map --results --image-id-from stem: the same numbers" cmp -s "$T/stem.out" "$T/res.json"
eval-map --results "$T/r.json" "$T/gt-noid.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "eval-map --results, truth without coco_id: exit 2 naming record and key" "$rc $(cat "$T/err")" \
  "^2 eval-map: $T/gt-noid.mp: record 0: key 'coco_id': missing"
check_eq "... nothing on stdout" "$(wc -c < "$T/out" | tr -d ' ')" 0
edit 'if .id == "195218" then .image = "dog.jpg" else . end' "$T/noid.mp" > "$T/dog.mp"
coco-results --image-id-from stem "$T/dog.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "--image-id-from stem, a file not named by a number: exit 2 naming record and key" \
  "$rc $(cat "$T/err")" "^2 coco-results: $T/dog.mp: record 3: key 'image': 'dog.jpg' is not named by a decimal image id"

edit 'del(.coco_category_ids)' "$T/dets.mp" > "$T/nocat.mp"
coco-results "$T/nocat.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "no coco_category_ids: exit 2 naming the record and key, the options suggested" "$rc $(cat "$T/err")" \
  "^2 coco-results: $T/nocat.mp: record 0: key 'coco_category_ids': missing: .*--category-ids FILE or --category-id-offset N"
check_eq "... nothing on stdout" "$(wc -c < "$T/out" | tr -d ' ')" 0
printf '3\n7\n\n18\n 44 \n90\n' > "$T/ids"
coco-results --category-ids "$T/ids" "$T/nocat.mp" > "$T/ids.json"
check "--category-ids FILE (blank lines and spaces skipped): the same file" cmp -s "$T/ids.json" "$T/r.json"
printf '5\n6\n7\n8\n9\n' > "$T/ids2"
coco-results --category-ids "$T/ids2" "$T/dets.mp" > "$T/ids2.json"
check_eq "--category-ids wins over coco_category_ids" \
  "$(jq -c '[.[].category_id] | unique' "$T/ids2.json")" "[5,6,7,8,9]"
coco-results --category-id-offset 1 "$T/nocat.mp" > "$T/off.json"
check_eq "--category-id-offset 1: class k is category k + 1" \
  "$(jq -c '[.[].category_id] | unique' "$T/off.json")" "[1,2,3,4,5]"
edit 'del(.coco_category_ids)' "$T/gt.mp" > "$T/gt-nocat.mp"
eval-map --json --metric coco --names "$T/names" --category-id-offset 1 --results "$T/off.json" "$T/gt-nocat.mp" > "$T/off.out"
check "eval-map --results --category-id-offset 1 (VOC-style truth): the same numbers" cmp -s "$T/off.out" "$T/res.json"
eval-map --json --metric coco --names "$T/names" --category-ids "$T/ids" --results "$T/r.json" "$T/gt-nocat.mp" > "$T/ids.out"
check "eval-map --results --category-ids FILE: the same numbers" cmp -s "$T/ids.out" "$T/res.json"
eval-map --results "$T/r.json" "$T/gt-nocat.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "eval-map --results, truth without category ids: exit 2 naming record and key" "$rc $(cat "$T/err")" \
  "^2 eval-map: $T/gt-nocat.mp: record 0: key 'coco_category_ids': missing"
edit 'if .coco_id == 195218 then .coco_category_ids = [3,7,18] else . end' "$T/gt.mp" > "$T/gt-short.mp"
eval-map --results "$T/r.json" "$T/gt-short.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "eval-map --results, one truth record's category ids differ: exit 2 naming it" "$rc $(cat "$T/err")" \
  "^2 eval-map: $T/gt-short.mp: record 3: key 'coco_category_ids': differs from the first truth record's"
{ cat "$T/gt.mp"; edit 'select(.coco_id == 195218)' "$T/gt.mp"; } > "$T/gt-twice.mp"
eval-map --results "$T/r.json" "$T/gt-twice.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "eval-map --results, two truth records with one image id: exit 2 naming both" "$rc $(cat "$T/err")" \
  "^2 eval-map: truth records 3 and 24 .* have the same image id 195218$"
for bad in "3 x" "3 3" ""; do
  printf '%s' "$bad" | tr ' ' '\n' > "$T/badids"
  coco-results --category-ids "$T/badids" "$T/nocat.mp" > "$T/out" 2> "$T/err"; rc=$?
  check_match "--category-ids with lines '$bad': exit 2 naming the file (and line)" "$rc $(wc -c < "$T/out" | tr -d ' ') $(cat "$T/err")" \
    "^2 0 coco-results: $T/badids(:2: .x. is not an integer|:2: category id 3 is class 0's already|: no category ids)"
done
for bad in "--image-id-from name" "--category-id-offset x" "--category-ids $T/ids --category-id-offset 1"; do
  # shellcheck disable=SC2086
  coco-results $bad "$T/dets.mp" > "$T/out" 2> "$T/err"; rc=$?
  check_match "coco-results $bad: usage error, exit 1, nothing on stdout" \
    "$rc $(wc -c < "$T/out" | tr -d ' ') $(head -1 "$T/err")" "^1 0 coco-results: "
done
eval-map --image-id-from stem "$T/dets.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "eval-map --image-id-from without --results: usage error" "$rc $(cat "$T/err")" "^1 eval-map: .*go with --results"

# --- bad detections, and nothing half-written taken for whole --------------------------
edit 'if .coco_id == 195218 then .detections[0].class = 5 else . end' "$T/dets.mp" > "$T/cls.mp"
coco-results "$T/cls.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "a class past coco_category_ids: exit 2 naming record and key" "$rc $(cat "$T/err")" \
  "^2 coco-results: $T/cls.mp: record 3: key 'detections\[0\].class': class 5 has no category id \(coco_category_ids has 5\)"
before=$(jq '[.[].image_id] | index(195218)' "$T/r.json")
check_eq "... the $before elements of the records before it, whole; the array left open" \
  "$(head -c -0 "$T/out" | md5sum) $(tail -c 1 "$T/out")" "$(head -n $((before + 1)) "$T/r.json" | head -c -2 | md5sum) }"
check "... jq refuses it" sh -c "! jq . '$T/out' > /dev/null 2>&1"
eval-map --results "$T/out" "$T/gt.mp" > "$T/out2" 2> "$T/err"; rc=$?
check_match "... and so does eval-map --results: exit 2, truncated" "$rc $(cat "$T/err")" \
  "^2 eval-map: $T/out: line 1[0-9] \(byte offset [0-9]+\): truncated: the input ends inside the array"
edit 'if .coco_id == 195218 then .detections[1].bbox = [10, 10, 5, 20] else . end' "$T/dets.mp" > "$T/inv.mp"
coco-results "$T/inv.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "an inverted box: exit 2 naming record and key" "$rc $(cat "$T/err")" \
  "^2 coco-results: $T/inv.mp: record 3: key 'detections\[1\].bbox': inverted bbox"

# --- bad results files ------------------------------------------------------------------
# badres DESC JSON PATTERN: eval-map --results on JSON: exit 2, the message
# names the file and PATTERN, nothing on stdout.
ok1='{"image_id":318140,"category_id":7,"bbox":[98.26,43.97,133.82,195.53],"score":0.86}'
badres() {
  printf '%s' "$2" > "$T/bad.json"
  eval-map --results "$T/bad.json" "$T/gt.mp" > "$T/out" 2> "$T/err"; rc=$?
  check_match "results file, $1: exit 2 naming the file and where" "$rc $(cat "$T/err")" "^2 eval-map: $T/bad.json: $3"
  check_eq "results file, $1: nothing on stdout" "$(wc -c < "$T/out" | tr -d ' ')" 0
}
badres "an image_id no truth record has" "[$ok1,{\"image_id\":5,\"category_id\":7,\"bbox\":[1,2,3,4],\"score\":0.5}]" \
  "\[1\]\.image_id: 5 is not the image id of any truth record \(line 1, byte offset [0-9]+\)$"
badres "a category_id not in the truth" '[{"image_id":318140,"category_id":1,"bbox":[1,2,3,4],"score":0.5}]' \
  "\[0\]\.category_id: 1 is not one of the truth's categories"
badres "a bbox of 3 numbers" "[$ok1,
$ok1,
{\"image_id\":318140,\"category_id\":7,\"bbox\":[1,2,3],\"score\":0.5}]" \
  "\[2\]\.bbox: expected an array of 4 numbers \[x, y, w, h\], got an array of 3 \(line 3, byte offset [0-9]+\)$"
badres "a bbox of 5 numbers" '[{"image_id":318140,"category_id":7,"bbox":[1,2,3,4,5],"score":0.5}]' \
  "\[0\]\.bbox: expected an array of 4 numbers \[x, y, w, h\], got more than 4"
badres "a negative width" '[{"image_id":318140,"category_id":7,"bbox":[1,2,-3,4],"score":0.5}]' \
  "\[0\]\.bbox: \[1, 2, -3, 4\] has a negative width or height"
badres "a bbox not an array" '[{"image_id":318140,"category_id":7,"bbox":"1,2,3,4","score":0.5}]' \
  "\[0\]\.bbox: expected an array of 4 numbers \[x, y, w, h\], got a string"
badres "no score" '[{"image_id":318140,"category_id":7,"bbox":[1,2,3,4]}]' "\[0\]: no 'score'"
badres "a null bbox (absent)" '[{"image_id":318140,"category_id":7,"bbox":null,"score":0.5}]' "\[0\]: no 'bbox'"
badres "a score above 1" '[{"image_id":318140,"category_id":7,"bbox":[1,2,3,4],"score":1.5}]' \
  "\[0\]\.score: 1\.5 is outside \[0, 1\]"
badres "a score as a string" '[{"image_id":318140,"category_id":7,"bbox":[1,2,3,4],"score":"0.5"}]' \
  "\[0\]\.score: expected a number, got a string"
badres "a fractional image_id" '[{"image_id":318140.5,"category_id":7,"bbox":[1,2,3,4],"score":0.5}]' \
  "\[0\]\.image_id: expected an integer, got 318140\.5"
badres "a key twice" '[{"image_id":318140,"category_id":7,"bbox":[1,2,3,4],"score":0.5,"score":0.6}]' \
  "\[0\]\.score: the key appears twice in the element"
badres "an element not an object" "[$ok1,3]" "\[1\]: expected an object, got a number"
badres "an instances file" '{"images":[]}' \
  "line 1 \(byte offset 1\): the input is an object, not a JSON array of results \(an instances file\?\)$"
badres "truncated" "[$ok1," "line 1 \(byte offset [0-9]+\): truncated: the input ends inside the array"
badres "malformed JSON" "[$ok1 $ok1]" "line 1 \(byte offset [0-9]+\): parse error: after array element, I expect ',' or '\]'"
badres "an empty file" "" "line 1 \(byte offset 0\): no JSON array in the input"
printf '[{"image_id":318140,"category_id":7,"bbox":[1,2,3,4],"score":0.5,"segmentation":[[1,2],[3,{"a":[4]}]],"id":9,"area":12}]' > "$T/extra.json"
eval-map --json --results "$T/extra.json" "$T/gt.mp" > "$T/out" 2> "$T/err"; rc=$?
check_eq "results file: other keys (segmentation, id, area) are skipped" "$rc $(cat "$T/err")" "0 "
eval-map --results "$T/nonexistent.json" "$T/gt.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "a missing results file: exit 3 naming it, nothing on stdout" \
  "$rc $(wc -c < "$T/out" | tr -d ' ') $(cat "$T/err")" "^3 0 eval-map: $T/nonexistent.json: No such file"

done_testing
