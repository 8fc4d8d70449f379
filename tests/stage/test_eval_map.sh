# eval-map in real pipes: agreement with voc_eval.py and pycocotools on the
# fixtures of tests/eval/ (made by tests/eval/make-fixtures.py; no Python
# evaluator is needed here), the annotation-id-0 difference, the options,
# the table, records skipped, and bad input naming the record and key.
. tests/stage/lib.sh
FIX=tests/eval

# diff GOT WANT: the largest |difference| between the numbers of two JSON
# files of the same shape, or null when keys, nulls or types differ.
jdiff() {
  jq -nr --slurpfile got "$1" --slurpfile want "$2" '
    def diff(a; b):
      if (a | type) == "object" and (b | type) == "object" then
        if (a | keys) != (b | keys) then null
        else [a | keys[] as $k | diff(a[$k]; b[$k])] | if any(. == null) then null else (max // 0) end end
      elif (a | type) == "number" and (b | type) == "number" then (a - b) | fabs
      elif a == b then 0 else null end;
    diff($got[0]; $want[0]) | if . == null then "shapes differ" elif . < 1e-4 then "agree" else "differ by \(.)" end'
}

# --- the reference fixtures -----------------------------------------------------
for c in basic ties maxdets id0; do
  json-to-records "$FIX/$c.jsonl" > "$T/$c.mp"
  eval-map --json "$T/$c.mp" > "$T/$c.json" 2> "$T/$c.err"; rc=$?
  check_eq "$c: exit 0, nothing on stderr" "$rc $(cat "$T/$c.err")" "0 "
  check_eq "$c: agrees with voc_eval.py and pycocotools to 1e-4" "$(jdiff "$T/$c.json" "$FIX/$c.expected.json")" agree
done
jq .coco "$T/id0.json" > "$T/id0.coco.json"
check_eq "id0: pycocotools with annotation ids from 0 gives other numbers (its gtId-0 mistake)" \
  "$(jdiff "$T/id0.coco.json" "$FIX/id0.pycocotools-id0.json" | sed 's/differ by.*/differ/')" differ
tac "$FIX/ties.jsonl" | json-to-records | eval-map --json > "$T/ties-rev.json"
check_eq "ties: the fixture's tied scores matter (images in reverse order: other numbers)" \
  "$(jq -s '.[0].voc10.map != .[1].voc10.map and .[0].coco.ap != .[1].coco.ap' "$T/ties.json" "$T/ties-rev.json")" true
check_eq "--json: one line, the three conventions in order" \
  "$(wc -l < "$T/basic.json" | tr -d ' ') $(jq -c keys_unsorted "$T/basic.json")" '1 ["voc07","voc10","coco"]'
check_eq "--json: the coco keys" "$(jq -c '.coco | keys_unsorted' "$T/basic.json")" \
  '["ap","ap50","ap75","ap_small","ap_medium","ap_large","ap_per_class"]'
check_eq "a class with detections and no truth: null, left out of the mean" \
  "$(jq -c '[.voc07.ap.sofa, .voc10.ap.sofa, .coco.ap_per_class.sofa]' "$T/basic.json")" '[null,null,null]'
check_eq "a class with truths and no detection: AP 0" \
  "$(jq -c '[.voc07.ap.person, .voc10.ap.person, .coco.ap_per_class.person]' "$T/basic.json")" '[0,0,0]'
check_eq "mAP is the mean over classes with truth" \
  "$(jq '.voc10 | ([.ap[] | select(. != null)] | add / length) - .map | fabs < 1e-12' "$T/basic.json")" true

# --- the same numbers whatever the framing ------------------------------------------
eval-map --json < "$T/basic.mp" > "$T/stdin.json"
check "stdin gives the same output as a file" cmp -s "$T/stdin.json" "$T/basic.json"
head -n 12 "$FIX/basic.jsonl" | json-to-records > "$T/part1.mp"
tail -n +13 "$FIX/basic.jsonl" | json-to-records > "$T/part2.mp"
eval-map --json "$T/part1.mp" - < "$T/part2.mp" > "$T/split.json"
check "two files (one of them stdin) are one stream" cmp -s "$T/split.json" "$T/basic.json"

# --- the table ------------------------------------------------------------------------
eval-map "$T/basic.mp" > "$T/table" 2> "$T/err"; rc=$?
check_eq "table: exit 0" "$rc" 0
check_match "table: the header" "$(head -1 "$T/table")" '^class +truths +dets +VOC07 +VOC10 +COCO$'
check_match "table: one row per class, with counts and APs" "$(grep '^cat ' "$T/table")" \
  '^cat +17 +35 +0\.2703 +0\.2730 +0\.2064$'
check_match "table: a class without truth shows -" "$(grep '^sofa ' "$T/table")" '^sofa +0 +9 +- +- +-$'
means=$(jq -r '[.voc07.map, .voc10.map, .coco.ap] | @tsv' "$T/basic.json" | awk '{ printf "%.4f %.4f %.4f", $1, $2, $3 }')
check_eq "table: the means" "$(grep '^mean ' "$T/table" | tr -s ' ' | cut -d' ' -f2-)" "$means"
check_match "table: COCO's summary line" "$(grep '^COCO' "$T/table")" \
  '^COCO AP +0\.[0-9]{4} AP50 +0\.[0-9]{4} AP75 +0\.[0-9]{4} small +0\.[0-9]{4} medium +0\.[0-9]{4} large +0\.[0-9]{4}$'
check_match "table: images and classes" "$(tail -1 "$T/table")" '^30 images, 6 classes shown$'

# --- options ---------------------------------------------------------------------------
eval-map --json --metric voc07,coco "$T/basic.mp" > "$T/m.json"
check_eq "--metric voc07,coco: only those, same numbers" \
  "$(jq -c keys_unsorted "$T/m.json") $(jq -s '.[0].voc07 == .[1].voc07 and .[0].coco == .[1].coco' "$T/m.json" "$T/basic.json")" \
  '["voc07","coco"] true'
eval-map --metric voc10 "$T/basic.mp" > "$T/t10"
check_match "--metric voc10: the table has one AP column" "$(head -1 "$T/t10")" '^class +truths +dets +VOC10$'
eval-map --json --iou 0.7 "$T/basic.mp" > "$T/iou.json"
check_eq "--iou 0.7: lower VOC mAP, the same COCO numbers" \
  "$(jq -s '(.[0].voc10.map < .[1].voc10.map) and (.[0].coco == .[1].coco)' "$T/iou.json" "$T/basic.json")" true
eval-map --json --max-dets 1 "$T/maxdets.mp" > "$T/md.json"
check_eq "--max-dets 1: other COCO numbers, the same VOC ones" \
  "$(jq -s '(.[0].coco.ap != .[1].coco.ap) and (.[0].voc10 == .[1].voc10)' "$T/md.json" "$T/maxdets.json")" true
printf 'cat\ndog\ncar\nperson\nboat\nsofa\nbird\n' > "$T/names"
eval-map --json --names "$T/names" "$T/basic.mp" > "$T/n.json"
check_eq "--names: every listed class is reported (bird: null), the rest unchanged" \
  "$(jq -s -c '[.[0].voc07.ap.bird, (.[0].voc07.map == .[1].voc07.map), (.[0].coco.ap == .[1].coco.ap)]' "$T/n.json" "$T/basic.json")" \
  '[null,true,true]'
for bad in "--metric voc12" "--metric ," "--iou 1" "--iou -0.1" "--iou x" "--max-dets 0"; do
  # shellcheck disable=SC2086
  eval-map $bad "$T/basic.mp" > "$T/out" 2> "$T/err"; rc=$?
  check_match "$bad: usage error, exit 1, nothing on stdout" "$rc $(wc -c < "$T/out" | tr -d ' ') $(head -1 "$T/err")" \
    "^1 0 eval-map: option --"
done
printf 'cat\ndog\n' > "$T/short.names"
eval-map --names "$T/short.names" "$T/basic.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "--names without a class of the stream: exit 2 naming record and key" "$rc $(cat "$T/err")" \
  "^2 eval-map: $T/basic.mp: record 0: key 'objects\[[0-9]+\]': class [0-9]+ is not in the --names list \(2 classes\)$"
check_eq "... and nothing on stdout" "$(wc -c < "$T/out" | tr -d ' ')" 0
eval-map --names "$T/nonexistent" "$T/basic.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "--names on a missing file: exit 2 or 3 naming it" "$rc $(cat "$T/err")" "^[23] eval-map: .*nonexistent"

# --- records skipped -------------------------------------------------------------------
{ echo '{"id":"e1","error":"darknet-forward: image gone","objects":[{"class":0,"name":"cat","bbox":[0,0,10,10]}]}'
  cat "$FIX/basic.jsonl"
  echo '{"id":"e2","error":"rescale: bad transform"}'
} | json-to-records > "$T/err.mp"
eval-map --json "$T/err.mp" > "$T/e.json" 2> "$T/err"; rc=$?
check_eq "records with error: skipped, counted on stderr" "$rc $(cat "$T/err")" \
  "0 eval-map: skipped 2 records with 'error' set"
check "... the numbers as without them" cmp -s "$T/e.json" "$T/basic.json"
eval-map --quiet --json "$T/err.mp" 2> "$T/err" > /dev/null
check_eq "--quiet: no warning" "$(cat "$T/err")" ""
{ cat "$FIX/basic.jsonl"; echo '{"id":"u","width":10,"height":10,"detections":[]}'; } | json-to-records > "$T/unann.mp"
eval-map --json "$T/unann.mp" > "$T/u.json" 2> "$T/err"; rc=$?
check_match "a record without objects: skipped with a warning naming it" "$rc $(head -1 "$T/err")" \
  "^0 eval-map: $T/unann.mp: record 30: no 'objects' \(not annotated\): skipped"
check "... the numbers as without it" cmp -s "$T/u.json" "$T/basic.json"
eval-map --strict --json "$T/unann.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "--strict: a record without objects is an error (exit 2)" "$rc $(cat "$T/err")" \
  "^2 eval-map: .*record 30: no 'objects'"
check_eq "--strict: nothing on stdout" "$(wc -c < "$T/out" | tr -d ' ')" 0
echo '{"id":"a","objects":[{"class":0,"name":"cat","bbox":[0,0,10,10]}]}' | json-to-records > "$T/nodet.mp"
check_eq "no detections key: zero detections, AP 0" \
  "$(eval-map --json "$T/nodet.mp" | jq -c '[.voc07.ap.cat, .voc10.map, .coco.ap]')" '[0,0,0]'
eval-map --json < /dev/null > "$T/empty.json"; rc=$?
check_eq "empty input: exit 0, means null" \
  "$rc $(jq -c '[.voc07.map, .voc10.ap, .coco.ap, .coco.ap_per_class]' "$T/empty.json")" '0 [null,{},null,{}]'
check_match "empty input: the table says 0 images" "$(eval-map < /dev/null | tail -1)" '^0 images, 0 classes shown$'

# --- bad input -------------------------------------------------------------------------
# bad DESC JSON PATTERN: record 1 of a two-record stream is JSON (packed by
# Python's msgpack: json-to-records would refuse most of these itself, and
# Python's json reads NaN and Infinity); exit 2, the message names the input,
# record 1 and PATTERN, nothing on stdout.
pack() {
  /usr/bin/python3 -c 'import json, sys, msgpack
for line in sys.stdin:
    sys.stdout.buffer.write(msgpack.packb(json.loads(line), use_bin_type=True))'
}
ok_rec='{"id":"0","objects":[{"class":0,"name":"cat","bbox":[0,0,10,10]}],"detections":[{"class":0,"name":"cat","score":0.5,"bbox":[0,0,10,10]}]}'
bad() {
  printf '%s\n%s\n' "$ok_rec" "$2" | pack > "$T/bad.mp"
  eval-map "$T/bad.mp" > "$T/out" 2> "$T/err"; rc=$?
  check_match "bad input, $1: exit 2 naming record 1 and the key" "$rc $(cat "$T/err")" \
    "^2 eval-map: $T/bad.mp: record 1: key '$3"
  check_eq "bad input, $1: nothing on stdout" "$(wc -c < "$T/out" | tr -d ' ')" 0
}
bad "detections not a list" '{"id":"1","objects":[],"detections":{"class":0}}' "detections': expected an array"
bad "a detection not a map" '{"id":"1","objects":[],"detections":[3]}' "detections\[0\]': expected a map, got"
bad "NaN score" '{"id":"1","objects":[],"detections":[{"class":0,"score":NaN,"bbox":[0,0,1,1]}]}' \
  "detections\[0\]': 'score' is missing or not a finite number"
# scores are only ranked: v1's heads give scores above 1 and below 0
printf '%s\n%s\n' '{"id":"0","objects":[{"class":0,"name":"cat","bbox":[0,0,10,10]}],"detections":[{"class":0,"name":"cat","score":1.5,"bbox":[0,0,10,10]},{"class":0,"name":"cat","score":-0.25,"bbox":[20,20,30,30]}]}' \
  '{"id":"1","objects":[{"class":0,"name":"cat","bbox":[0,0,10,10]}],"detections":[{"class":0,"name":"cat","score":0.9,"bbox":[40,40,50,50]},{"class":0,"name":"cat","score":1.2,"bbox":[0,0,10,10]}]}' |
  pack > "$T/v1.mp"
eval-map --json "$T/v1.mp" > "$T/out" 2> "$T/err"; rc=$?
# ranked 1.5 (TP), 1.2 (TP), 0.9 (FP), -0.25 (FP): both truths found first, AP 1
check_eq "scores above 1 and below 0 (v1 heads): ranked, exit 0, AP 1 for the ranking that finds both truths first" \
  "$rc $(jq -r '.voc10.map' "$T/out" 2> /dev/null)" "0 1"
bad "score missing" '{"id":"1","objects":[],"detections":[{"class":0,"bbox":[0,0,1,1]}]}' "detections\[0\]': 'score'"
bad "score a string" '{"id":"1","objects":[],"detections":[{"class":0,"score":"0.5","bbox":[0,0,1,1]}]}' "detections\[0\]': 'score'"
bad "class a float" '{"id":"1","objects":[],"detections":[{"class":1.0,"score":0.5,"bbox":[0,0,1,1]}]}' \
  "detections\[0\]': 'class' is missing or not an integer"
bad "class negative" '{"id":"1","objects":[],"detections":[{"class":-1,"score":0.5,"bbox":[0,0,1,1]}]}' "detections\[0\]': 'class'"
bad "bbox of 3 numbers" '{"id":"1","objects":[],"detections":[{"class":0,"score":0.5,"bbox":[0,0,1]}]}' \
  "detections\[0\]': 'bbox' is missing or not 4 finite numbers"
bad "bbox with infinity" '{"id":"1","objects":[],"detections":[{"class":0,"score":0.5,"bbox":[0,0,1,Infinity]}]}' \
  "detections\[0\]': 'bbox'"
bad "inverted detection box" '{"id":"1","objects":[],"detections":[{"class":0,"score":0.5,"bbox":[5,0,1,1]}]}' \
  "detections\[0\]': inverted bbox"
bad "name not a string" '{"id":"1","objects":[],"detections":[{"class":0,"name":7,"score":0.5,"bbox":[0,0,1,1]}]}' \
  "detections\[0\]': 'name' is"
bad "two names for one class" '{"id":"1","objects":[],"detections":[{"class":0,"name":"dog","score":0.5,"bbox":[0,0,1,1]}]}' \
  "detections\[0\]': name 'dog' for class 0, which is 'cat' earlier in the stream"
bad "one name for two classes" '{"id":"1","objects":[{"class":4,"name":"cat","bbox":[0,0,1,1]}]}' \
  "objects\[0\]': name 'cat' for class 4, but class 0 has it"
bad "objects not a list" '{"id":"1","objects":7}' "objects'"
bad "inverted truth box" '{"id":"1","objects":[{"class":0,"name":"cat","bbox":[0,5,1,1]}]}' "objects\[0\]': inverted bbox"
bad "truth bbox missing" '{"id":"1","objects":[{"class":0,"name":"cat"}]}' "objects\[0\]': 'bbox'"
bad "difficult not a bool" '{"id":"1","objects":[{"class":0,"name":"cat","bbox":[0,0,1,1],"difficult":1}]}' \
  "objects\[0\]': 'difficult' is"
bad "negative area" '{"id":"1","objects":[{"class":0,"name":"cat","bbox":[0,0,1,1],"area":-3}]}' \
  "objects\[0\]': 'area' is not a finite number"
printf '\x93\x01\x02\x03' > "$T/notmap.mp"
eval-map "$T/notmap.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "a record that is not a map: exit 2 naming record 0" "$rc $(cat "$T/err")" "^2 eval-map: $T/notmap.mp: record 0"
head -c 50 "$T/basic.mp" > "$T/trunc.mp"
eval-map "$T/trunc.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "a truncated stream: exit 2, nothing on stdout" "$rc $(wc -c < "$T/out" | tr -d ' ') $(cat "$T/err")" \
  "^2 0 eval-map: $T/trunc.mp: .*trunc"

# --- mutated input: exit 0 or 2, never a crash or a sanitizer report ----------------
out=$(/usr/bin/python3 - "$BIN/eval-map" "$T/basic.mp" <<'PY'
import random, subprocess, sys
random.seed(11)
base = open(sys.argv[2], "rb").read()
for _ in range(60):
    b = bytearray(base)
    for _ in range(random.randint(1, 6)):
        i, op = random.randrange(len(b)), random.random()
        if op < 0.6:
            b[i] = random.randrange(256)
        elif op < 0.8:
            b[i:i] = bytes([random.randrange(256)])
        else:
            del b[i:i + random.randint(1, 8)]
    p = subprocess.run([sys.argv[1], "--json"], input=bytes(b), capture_output=True)
    if p.returncode not in (0, 2) or b"runtime error" in p.stderr or b"Sanitizer" in p.stderr:
        print("exit %d: %s" % (p.returncode, p.stderr[:200]))
        break
else:
    print("ok")
PY
)
check_eq "60 mutated streams: each exits 0 or 2, cleanly" "$out" ok

done_testing
