# nms in real pipes: `rescale | nms` against libdarknet's get_network_boxes +
# do_nms_sort on the committed fixtures (tests/darknet/make-boxes.sh), then
# greedy, agnostic, soft-NMS, --max-det and --clip on hand-made detections,
# order and ties, pass-through, and bad input.
. tests/stage/lib.sh
FX=tests/fixtures
CMP=tests/darknet/compare-boxes.awk
# class score x1 y1 x2 y2 per entry of every record
lines() { records-to-json "$@" | jq -r '.detections[]? | "\(.class) \(.score) \(.bbox | join(" "))"'; }
param() { awk -v k="$2" '$1 == "params" { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"; }

# --- agreement with darknet ---------------------------------------------------
for f in v2-dog v3-dog v1-dog; do
  t=$(param "$FX/boxes-$f.txt" thresh); n=$(param "$FX/boxes-$f.txt" nms)
  rescale --thresh "$t" "$FX/boxes-$f.mp" | nms --iou "$n" > "$T/$f.mp"
  lines "$T/$f.mp" > "$T/$f.ours"
  res=$(awk -v tag=nms -f "$CMP" "$FX/boxes-$f.txt" "$T/$f.ours"); rc=$?
  echo "# $f: $res"
  check_eq "boxes-$f: rescale --thresh $t | nms --iou $n equals darknet's do_nms_sort ($res)" "$rc" 0
  pre=$(grep -c '^pre' "$FX/boxes-$f.txt"); post=$(grep -c '^nms' "$FX/boxes-$f.txt")
  check "boxes-$f: NMS had work to do ($pre pairs, $post kept)" [ "$post" -gt 10 ] && [ "$post" -lt "$pre" ]
done
# AlexeyAB's: yolov4's scale_x_y in rescale, its DIoU-NMS (nms_kind=greedynms) in nms
for f in v4tiny-dog v4-dog; do
  t=$(param "$FX/boxes-$f.txt" thresh); n=$(param "$FX/boxes-$f.txt" nms)
  d=$(param "$FX/boxes-$f.txt" diou)
  rescale --thresh "$t" "$FX/boxes-$f.mp" | nms --iou "$n" --diou "$d" | lines > "$T/$f.ours"
  res=$(awk -v tag=nms -f "$CMP" "$FX/boxes-$f.txt" "$T/$f.ours"); rc=$?
  echo "# $f: $res"
  check_eq "boxes-$f: rescale --thresh $t | nms --iou $n --diou $d equals AlexeyAB's get_network_boxes + diounms_sort ($res)" "$rc" 0
  pre=$(grep -c '^pre' "$FX/boxes-$f.txt"); post=$(grep -c '^nms' "$FX/boxes-$f.txt")
  check "boxes-$f: NMS had work to do ($pre pairs, $post kept)" [ "$post" -gt 10 ] && [ "$post" -lt "$pre" ]
  rescale --thresh "$t" "$FX/boxes-$f.mp" | nms --iou "$n" | lines > "$T/$f.iou"
  check "boxes-$f: plain IoU keeps fewer ($(wc -l < "$T/$f.iou") of $pre)" \
    [ "$(wc -l < "$T/$f.iou")" -lt "$post" ]
done
# v2 at darknet's defaults: nms's default --iou is darknet's .45
rescale --thresh 0.3 "$FX/boxes-v2-dog.mp" | nms | cmp -s - "$T/v2-dog.mp"
check_eq "--iou defaults to 0.45" "$?" 0
# the output is ordered by score, descending
cut -d' ' -f2 "$T/v3-dog.ours" > "$T/scores"
sort -gr "$T/scores" | cmp -s - "$T/scores"
check_eq "output ordered by score, descending" "$?" 0

# eagle.jpg letterboxed into 96x96 is 96x63: darknet's letterbox_image puts it at
# y = (96-63)/2 = 16 (integer division) and the record says dy = 16; darknet's
# correct_region_boxes undoes a margin of 33/2. = 16.5. With the record as it is,
# every box differs from darknet's by 0.5/sy in y and by nothing in x.
f=v2-eagle; t=$(param "$FX/boxes-$f.txt" thresh); n=$(param "$FX/boxes-$f.txt" nms)
records-to-json --full "$FX/boxes-$f.mp" | jq -c '.transform.dy += 0.5' | json-to-records > "$T/dn-dy.mp"
rescale --thresh "$t" "$T/dn-dy.mp" | nms --iou "$n" | lines > "$T/eagle-dn"
res=$(awk -v tag=nms -f "$CMP" "$FX/boxes-$f.txt" "$T/eagle-dn"); rc=$?
check_eq "boxes-v2-eagle with darknet's half-pixel dy: equals darknet ($res)" "$rc" 0
rescale --thresh "$t" "$FX/boxes-$f.mp" | nms --iou "$n" | lines > "$T/eagle"
sy=$(records-to-json "$FX/boxes-$f.mp" | jq '.transform.sy')
shift=$(paste -d' ' "$T/eagle" "$T/eagle-dn" | awk -v sy="$sy" '
  { for (k = 3; k <= 6; k++) { d = $k - $(k + 6); if (d < 0) d = -d; w = (k % 2) ? d : d - 0.5 / sy;
      if (w < 0) w = -w; if (w > m) m = w } } END { printf "%.4f", m }')
check_eq "boxes-v2-eagle as recorded: x the same, y shifted by 0.5/sy = $(awk -v s="$sy" 'BEGIN { printf "%.2f", 0.5 / s }') px" "$shift" 0.0000

# --- hand-made detections -----------------------------------------------------
# two overlapping dogs (IoU 0.5), a cat on the first, a far dog; a tie in score
det() { printf '{"class":%s,"name":"%s","score":%s,"bbox":[%s],"objectness":0.9,"prediction":%s}' "$@"; }
{
  printf '{"id":"a","width":100,"height":80,"detections":['
  det 11 dog 0.9 "0,0,30,30" 0; printf ,
  det 11 dog 0.8 "10,0,40,30" 1; printf ,
  det 7 cat 0.85 "0,0,30,30" 0; printf ,
  det 11 dog 0.8 "60,40,110,90" 2; printf ,
  det 7 cat 0.85 "50,50,60,60" 3
  printf '],"x_keep":[1,2]}\n'
} | json-to-records > "$T/hand.mp"
nms --iou 0.45 "$T/hand.mp" > "$T/g.mp"; rc=$?
check_eq "greedy: exit 0" "$rc" 0
check_eq "greedy: the second dog (IoU 0.5 with a better one) goes; order by score, ties by input" \
  "$(records-to-json "$T/g.mp" | jq -c '[.detections[] | [.class, .score, .prediction]]')" \
  '[[11,0.9,0],[7,0.85,0],[7,0.85,3],[11,0.8,2]]'
check_eq "greedy: entries as read (every field), other keys untouched" \
  "$(records-to-json "$T/g.mp" | jq -c '[.detections[0], .x_keep, .width]')" \
  '[{"class":11,"name":"dog","score":0.9,"bbox":[0,0,30,30],"objectness":0.9,"prediction":0},[1,2],100]'
check_eq "--iou 0.5: IoU must exceed it (0.5 is kept, as darknet's >)" \
  "$(nms --iou 0.5 "$T/hand.mp" | records-to-json | jq '.detections | length')" 5
check_eq "--agnostic: the cat on the first dog goes too" \
  "$(nms --agnostic "$T/hand.mp" | records-to-json | jq -c '[.detections[] | .prediction]')" '[0,3,2]'
check_eq "--max-det 2: the two best" \
  "$(nms --max-det 2 "$T/hand.mp" | records-to-json | jq -c '[.detections[] | [.class, .prediction]]')" '[[11,0],[7,0]]'
check_eq "--clip: boxes clipped to 100 x 80 after the suppression" \
  "$(nms --clip "$T/hand.mp" | records-to-json | jq -c '.detections[3].bbox')" '[60,40,100,80]'
# soft-NMS: the second dog overlaps the first with IoU 0.5
check_eq "--soft linear: 0.8 x (1 - 0.5) = 0.4" \
  "$(nms --soft linear --iou 0.3 "$T/hand.mp" | records-to-json | jq -c '[.detections[] | select(.class == 11) | .score]')" \
  '[0.9,0.8,0.4]'
check_eq "--soft gaussian, sigma 0.5: 0.8 exp(-0.25/0.5)" \
  "$(nms --soft gaussian "$T/hand.mp" | records-to-json | jq -c '[.detections[] | select(.prediction == 1) | .score * 1e6 | round]')" \
  "[$(awk 'BEGIN { printf "%d", 0.8 * exp(-0.5) * 1e6 + 0.5 }')]"
check_eq "--soft linear --score-thresh 0.5: the decayed dog is dropped" \
  "$(nms --soft linear --iou 0.3 --score-thresh 0.5 "$T/hand.mp" | records-to-json | jq '.detections | length')" 4
check_eq "same input, same output (twice)" "$(nms --soft gaussian "$T/hand.mp" | od -An -tx1 | md5sum)" \
  "$(nms --soft gaussian "$T/hand.mp" | od -An -tx1 | md5sum)"

# written with Python's msgpack: json-to-records refuses most of these itself
PY=/usr/bin/python3
tomp() { "$PY" -c 'import sys, json, msgpack
for l in sys.stdin: sys.stdout.buffer.write(msgpack.packb(json.loads(l), use_bin_type=True))'; }
# --- pass-through --------------------------------------------------------------
printf '{"id":"e","error":"darknet-forward: no image","detections":[{"class":"bad"}]}\n{"id":"n","width":3}\n{"id":"z","detections":[]}\n' \
  | tomp > "$T/pass.mp"
check_eq "pass-through input: 3 records" "$(records-to-json --no-check "$T/pass.mp" | wc -l | tr -d ' ')" 3
nms "$T/pass.mp" | cmp -s - "$T/pass.mp"
check_eq "records with error, without detections, or with none pass through byte for byte" "$?" 0

# --- bad input -----------------------------------------------------------------
bad() { printf '{"id":"b","width":10,"height":10,"detections":[%s]}\n' "$1" | tomp; }
bad '{"class":1,"score":NaN,"bbox":[0,0,1,1]}' > "$T/nan.mp"
nms "$T/nan.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_eq "NaN score: exit 0 without --strict" "$rc" 0
check_match "NaN score: 'error' set, naming record and key" \
  "$(records-to-json "$T/out.mp" | jq -r .error)" "^nms: .*record 0: key 'detections\[0\]': 'score' is missing or not a finite number$"
check_eq "NaN score: detections left as they were" "$(records-to-json "$T/out.mp" | jq -c '.detections[0].class')" 1
check_match "NaN score: a warning and a count on stderr" "$(tr '\n' ' ' < "$T/err")" "'error' set nms: 1 record set to 'error' $"
nms --strict "$T/nan.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_match "--strict: exit 2 naming the record and key" "$rc $(cat "$T/err")" \
  "^2 nms: .*record 0: key 'detections\[0\]': .*--strict"
check_eq "--strict: nothing written" "$(wc -c < "$T/out.mp" | tr -d ' ')" 0
for spec in '{"class":1,"score":0.5,"bbox":[0,0,1]}|bbox' '{"class":"1","score":0.5,"bbox":[0,0,1,1]}|class' \
            '{"score":0.5,"bbox":[0,0,1,1]}|class' '7|expected a map' '{"class":1,"score":0.5,"bbox":[0,0,1,1],"name":3}|name'; do
  bad "${spec%%|*}" | nms --strict > /dev/null 2> "$T/err"; rc=$?
  check_match "bad entry ${spec%%|*}: exit 2 naming it" "$rc $(cat "$T/err")" "^2 nms: .*detections\[0\].*${spec##*|}"
done
printf '{"id":"b","detections":5}\n' | tomp | nms --strict > /dev/null 2> "$T/err"; rc=$?
check_match "detections not a list: exit 2" "$rc $(cat "$T/err")" "^2 nms: .*'detections'"
printf '{"id":"b","detections":[{"class":1,"score":0.5,"bbox":[0,0,1,1]}]}\n' | json-to-records | nms --strict --clip > /dev/null 2> "$T/err"; rc=$?
printf '{"id":"b","detections":[]}\n' | tomp > "$T/empty.mp"
nms --strict --clip "$T/empty.mp" | cmp -s - "$T/empty.mp"
check_eq "--clip without width but no entries: nothing to clip, record unchanged" "$?" 0
check_match "--clip without width: exit 2 naming it" "$rc $(cat "$T/err")" "^2 nms: .*key 'width': --clip needs"
for o in "--iou 1.5" "--iou x" "--soft cubic" "--sigma 0" "--max-det 0" "--score-thresh -1"; do
  # shellcheck disable=SC2086
  nms $o < /dev/null > /dev/null 2> "$T/err"; rc=$?
  check_match "nms $o: usage error" "$rc $(head -1 "$T/err")" "^1 nms: "
done
# --diou needs the image's size (its distances are image-relative)
records-to-json --full "$FX/boxes-v4tiny-dog.mp" | jq -c 'del(.width)' | json-to-records \
  | rescale --thresh 0.3 | nms --diou 0.6 > "$T/nw.mp" 2> "$T/err"; rc=$?
check_match "--diou on a record without width: 'error' set, naming the key" \
  "$rc $(records-to-json "$T/nw.mp" | jq -r .error)" "^0 nms: .*--diou needs the image's size"
nms --diou 0.6 --soft linear < /dev/null > /dev/null 2> "$T/err"; rc=$?
check_match "--diou with --soft: usage error" "$rc $(head -1 "$T/err")" "^1 nms: --diou is for the greedy NMS"
done_testing
