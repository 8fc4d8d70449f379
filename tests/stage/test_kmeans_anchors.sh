# kmeans-anchors in real pipes: the anchors record through records-to-json
# and jq, the cfg line on stderr for --grid and --net, --eval, the best
# possible recall on boxes counted by hand, --plot, determinism, option
# errors, bad input, and on BCCD's annotations anchors that beat VOC's.
. tests/stage/lib.sh
GEN="$TOOLS/gen-records"

"$GEN" -n 300 -k 8 -s 0x0 > "$T/in.mp"   # 2400 boxes, 1..40 px on 640 x 480 images

# --- the record --------------------------------------------------------------
kmeans-anchors --k 5 "$T/in.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_eq "valid input: exit 0" "$rc" 0
records-to-json "$T/out.mp" > "$T/out.json"
check_eq "one record on stdout" "$(wc -l < "$T/out.json" | tr -d ' ')" 1
check_eq "the record's keys, in order" "$(jq -c keys_unsorted "$T/out.json")" \
  '["anchors","k","units","grid","avg_iou","bpr","aat","ratio_thresh","boxes","seed"]'
check_eq "k, units, grid, boxes, seed" "$(jq -c '[.k, .units, .grid, .boxes, .seed]' "$T/out.json")" \
  '[5,"grid",13,2400,1]'
check_eq "anchors: 5 positive pairs" \
  "$(jq '.anchors | (length == 10) and all(. > 0)' "$T/out.json")" true
check_eq "anchors sorted by area, ascending" \
  "$(jq '[.anchors as $a | range(0; 5) | $a[2*.] * $a[2*.+1]] | . == sort' "$T/out.json")" true
check_eq "avg_iou is a float in (0, 1]" \
  "$(jq '.avg_iou | (type == "number") and . > 0 and . <= 1' "$T/out.json")" true
check_eq "anchors are within the sizes of the boxes (1..40 px of 640 x 480, in cells)" \
  "$(jq '[.anchors as $a | range(0; 5) | $a[2*.] >= 13/640 and $a[2*.] <= 40*13/640 and $a[2*.+1] >= 13/480 and $a[2*.+1] <= 40*13/480] | all' "$T/out.json")" true

# --- the cfg line on stderr ---------------------------------------------------
check_match "--grid: the cfg line has 5 pairs with 2 decimals" "$(sed -n 1p "$T/err")" \
  '^anchors = [0-9]+\.[0-9]{2},[0-9]+\.[0-9]{2}(,  [0-9]+\.[0-9]{2},[0-9]+\.[0-9]{2}){4}$'
want=$(jq -r '.anchors | map(. * 100 | round / 100) | . as $a | [range(0; 5) | "\($a[2*.]),\($a[2*.+1])"] | join(",  ")' "$T/out.json")
got=$(sed -n 1p "$T/err" | sed 's/^anchors = //' | awk -F',' '{ for (i = 1; i <= NF; i++) { v = $i + 0; printf "%s%s", (i > 1 ? (i % 2 ? ",  " : ",") : ""), v } }')
check_eq "--grid: the cfg line is the record's anchors, rounded" "$got" "$want"
check_match "the average IoU line" "$(sed -n 2p "$T/err")" '^avg IoU 0\.[0-9]{4} over 2400 boxes$'
want=$(jq -r '"\(.bpr) \(.aat)"' "$T/out.json" |
  awk '{ printf "best possible recall %.4f, %.2f anchors a box (side ratios below 4)", $1, $2 }')
check_eq "the best possible recall line: the record's bpr and aat, the ratio" "$(sed -n 3p "$T/err")" "$want"
check_eq "nothing else on stderr" "$(wc -l < "$T/err" | tr -d ' ')" 3
kmeans-anchors --quiet --k 5 "$T/in.mp" 2> "$T/err2" | cmp -s - "$T/out.mp"; rc=$?
check_eq "--quiet: the same record" "$rc" 0
check_eq "--quiet: no summary on stderr" "$(cat "$T/err2")" ""

kmeans-anchors --k 9 --net 416,416 "$T/in.mp" 2> "$T/errn" | records-to-json > "$T/net.json"
check_match "--net: the cfg line has 9 pairs of whole numbers" "$(sed -n 1p "$T/errn")" \
  '^anchors = [0-9]+,[0-9]+(,  [0-9]+,[0-9]+){8}$'
check_eq "--net: units pixels, net_w, net_h, no grid" \
  "$(jq -c '[.units, .net_w, .net_h, has("grid"), .k, (.anchors | length)]' "$T/net.json")" \
  '["pixels",416,416,false,9,18]'
kmeans-anchors --quiet --k 9 --grid 13 "$T/in.mp" | records-to-json > "$T/grid9.json"
check_eq "--net and --grid cluster the same (centred IoU ignores scale): same avg_iou" \
  "$(jq .avg_iou "$T/net.json")" "$(jq .avg_iou "$T/grid9.json")"
check_eq "--net anchors are --grid anchors times 416/13" \
  "$(jq -s '[.[0].anchors, .[1].anchors] | transpose | all(((.[0] - .[1] * 32) | fabs) < 1e-9)' "$T/net.json" "$T/grid9.json")" true

# --- determinism ---------------------------------------------------------------
kmeans-anchors -q --k 5 --seed 7 "$T/in.mp" > "$T/s7a.mp"
kmeans-anchors -q --k 5 --seed 7 < "$T/in.mp" > "$T/s7b.mp"
check "the same seed gives the same record, byte for byte" cmp -s "$T/s7a.mp" "$T/s7b.mp"
OMP_NUM_THREADS=1 kmeans-anchors -q --k 7 --restarts 3 "$T/in.mp" > "$T/t1.mp"
OMP_NUM_THREADS=2 kmeans-anchors -q --k 7 --restarts 3 "$T/in.mp" > "$T/t2.mp"
check "1 or 2 threads: the same record, byte for byte" cmp -s "$T/t1.mp" "$T/t2.mp"
check_eq "the seed is recorded" "$(records-to-json "$T/s7a.mp" | jq .seed)" 7

# --- --eval ------------------------------------------------------------------------
own=$(jq -r '.anchors | map(tostring) | join(",")' "$T/out.json")
kmeans-anchors --eval "$own" "$T/in.mp" > "$T/ev.mp" 2> "$T/everr"; rc=$?
check_eq "--eval: exit 0" "$rc" 0
records-to-json "$T/ev.mp" > "$T/ev.json"
check_eq "--eval of the found anchors gives their avg_iou" \
  "$(jq -s '(.[0].avg_iou - .[1].avg_iou) | fabs < 1e-12' "$T/ev.json" "$T/out.json")" true
check_eq "--eval: k from the list, no seed" "$(jq -c '[.k, has("seed"), .boxes]' "$T/ev.json")" '[5,false,2400]'
check_match "--eval: the average IoU on stderr" "$(cat "$T/everr")" 'avg IoU 0\.[0-9]{4} over 2400 boxes'
kmeans-anchors -q --net 416,416 --eval "10,13,  16,30,  33,23" "$T/in.mp" | records-to-json > "$T/ev3.json"
check_eq "--eval with --net: the anchors as given, in pixels" "$(jq -c .anchors "$T/ev3.json")" \
  '[10,13,16,30,33,23]'

# --- best possible recall, counted by hand ------------------------------------------
# Anchors 32x32 and 128x64 px at 512x512; boxes (w x h px, 512x512 images but
# the last): a box and an anchor match when every side ratio is below 4.
#   32x32   ratios 1 | 4 (128/32: not below 4)      1 anchor
#   8x8     4 | 16                                   0
#   64x64   2 | 2                                    2
#   100x20  3.125 | 3.2 (64/20)                      2
#   500x500 15.6 | 7.8                               0
#   40x40   1.25 | 3.2                               2
#   64x32 on a 256x128 image: 128x128 at 512x512: 4 | 2     1
# and a box of zero width (skipped): BPR 5/7, aat 8/7. With --ratio-thresh
# 4.5 the ratios of 4 count too: 32x32 2, 8x8 1, the last 2: BPR 6/7, aat 11/7.
/usr/bin/python3 - "$T/hand.mp" <<'PY'
import msgpack, sys
def rec(i, w, h, boxes):
    return msgpack.packb({"id": "h%d" % i, "width": w, "height": h,
                          "objects": [{"class": 0, "name": "c", "bbox": [5, 5, 5 + bw, 5 + bh]}
                                      for bw, bh in boxes]})
with open(sys.argv[1], "wb") as f:
    f.write(rec(0, 512, 512, [(32, 32), (8, 8), (64, 64)]))
    f.write(rec(1, 512, 512, [(100, 20), (500, 500), (0, 30), (40, 40)]))
    f.write(rec(2, 256, 128, [(64, 32)]))
PY
kmeans-anchors --net 512,512 --eval "32,32, 128,64" "$T/hand.mp" 2> "$T/hand.err" |
  records-to-json > "$T/hand.json"
check_eq "--eval: bpr 5/7 and aat 8/7 exactly, ratio_thresh 4, 7 boxes" \
  "$(jq -c '[.bpr == 5/7, .aat == 8/7, .ratio_thresh, .boxes]' "$T/hand.json")" '[true,true,4,7]'
check_eq "... and on stderr" "$(grep "^best possible" "$T/hand.err")" \
  "best possible recall 0.7143, 1.14 anchors a box (side ratios below 4)"
kmeans-anchors -q --net 512,512 --eval "32,32, 128,64" --ratio-thresh 4.5 "$T/hand.mp" |
  records-to-json > "$T/hand45.json"
check_eq "--ratio-thresh 4.5: bpr 6/7, aat 11/7" \
  "$(jq -c '[.bpr == 6/7, .aat == 11/7, .ratio_thresh]' "$T/hand45.json")" '[true,true,4.5]'
kmeans-anchors -q --grid 16 --eval "1,1, 4,2" "$T/hand.mp" | records-to-json > "$T/handg.json"
check_eq "the same anchors in cells of a 16x16 grid: the same bpr and aat" \
  "$(jq -c '[.bpr == 5/7, .aat == 8/7]' "$T/handg.json")" '[true,true]'
kmeans-anchors -q --net 512,512 --eval "64,32, 32,64" "$T/hand.mp" | records-to-json > "$T/hand2.json"
check_eq "anchors 64x32 and 32x64: 32x32, 64x64, 40x40 (ratios 2, 2, 1.6) and 100x20 (1.6 | 3.2) match both, the last (4 | 4) none: bpr 4/7, aat 8/7" \
  "$(jq -c '[.bpr == 4/7, .aat == 8/7]' "$T/hand2.json")" '[true,true]'
kmeans-anchors -q --k 2 --net 512,512 "$T/hand.mp" | records-to-json > "$T/handk.json"
want=$(jq -r '.anchors | map(tostring) | join(",")' "$T/handk.json")
kmeans-anchors -q --net 512,512 --eval "$want" "$T/hand.mp" | records-to-json > "$T/handke.json"
check_eq "clustering gives the bpr and aat of its anchors (as --eval of them does)" \
  "$(jq -s -c '[.[0].bpr == .[1].bpr, .[0].aat == .[1].aat, .[0].bpr > 0]' "$T/handk.json" "$T/handke.json")" \
  '[true,true,true]'

# --- --plot ----------------------------------------------------------------------
kmeans-anchors -q --k 5 --plot "$T/a.svg" "$T/in.mp" > /dev/null; rc=$?
check_eq "--plot: exit 0" "$rc" 0
/usr/bin/python3 - "$T/a.svg" > "$T/svg.txt" 2>&1 <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
rects = root.findall(ns + "rect")
texts = "".join(t.text or "" for t in root.iter(ns + "text"))
print(root.tag == ns + "svg", len(rects) > 5 + 1, "avg IoU" in texts, "4: " in texts)
PY
check_eq "--plot: a well-formed SVG with the boxes, the title and the labels" "$(cat "$T/svg.txt")" \
  "True True True True"
kmeans-anchors -q --plot "$T/no/such/dir/a.svg" "$T/in.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "--plot into a missing folder: exit 3 naming it" "$rc $(cat "$T/err")" \
  "^3 kmeans-anchors: --plot .*no/such/dir/a.svg: No such file"
check_eq "--plot failing: no record written" "$(wc -c < "$T/out" | tr -d ' ')" 0

# --- option errors -----------------------------------------------------------------
for bad in "--k 0" "--k 101" "--k five" "--grid 13 --net 416,416" "--net a,b" "--net 416" \
           "--grid 0" "--restarts 0" "--max-iter 0" "--seed -1" "--eval 1,2,3" "--eval 1,x" \
           "--ratio-thresh 0.5" "--ratio-thresh x" "--ratio-thresh nan" "--ratio-thresh 1001"; do
  # shellcheck disable=SC2086
  kmeans-anchors $bad "$T/in.mp" > "$T/out" 2> "$T/err"; rc=$?
  check_match "$bad: exit 1 with a message, nothing on stdout" "$rc $(wc -c < "$T/out" | tr -d ' ') $(head -1 "$T/err")" \
    "^1 0 kmeans-anchors: "
done
kmeans-anchors --grid 13 --net 416,416 "$T/in.mp" 2> "$T/err" > /dev/null
check_match "--grid with --net: says why" "$(head -1 "$T/err")" "--grid and --net exclude each other"
kmeans-anchors --net a,b "$T/in.mp" 2> "$T/err" > /dev/null
check_match "--net a,b: says what is wanted" "$(head -1 "$T/err")" "option --net: 'a,b' is not W,H"

# --- bad input and what is skipped ---------------------------------------------------
/usr/bin/python3 - "$T" <<'PY'
import msgpack, sys
d = sys.argv[1]
def rec(i, objs, **kw):
    r = {"id": "%06d" % i, "width": 100, "height": 50}
    r.update(kw)
    r["objects"] = [{"class": 0, "name": "cell", "bbox": b} for b in objs]
    return msgpack.packb(r)
with open(d + "/strbox.mp", "wb") as f:
    f.write(rec(0, [[0, 0, 10, 10]]))
    f.write(rec(1, ["0 0 10 10"]))
with open(d + "/nowidth.mp", "wb") as f:
    f.write(msgpack.packb({"id": "a", "height": 50, "objects": [{"class": 0, "name": "c", "bbox": [0, 0, 1, 1]}]}))
with open(d + "/skips.mp", "wb") as f:
    f.write(rec(0, [[0, 0, 10, 10], [5, 5, 5, 9], [0, 0, 20, 30]]))
    f.write(rec(1, [[0, 0, 50, 50]] * 4, error="voc-parse: broken"))
    f.write(msgpack.packb({"id": "plain", "width": 10, "height": 10}))
    f.write(msgpack.packb({"id": "noobj", "objects": []}))
    f.write(rec(2, [[1, 1, 31, 21]]))
PY
kmeans-anchors "$T/strbox.mp" > "$T/out" 2> "$T/err"; rc=$?
check_eq "a string bbox: exit 2" "$rc" 2
check_match "a string bbox: the message names record and key" "$(cat "$T/err")" \
  "^kmeans-anchors: $T/strbox.mp: record 1: key 'objects\[0\]'"
check_eq "a string bbox: nothing on stdout" "$(wc -c < "$T/out" | tr -d ' ')" 0
kmeans-anchors < "$T/nowidth.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "objects without width: exit 2 naming record and key" "$rc $(cat "$T/err")" \
  "^2 kmeans-anchors: <stdin>: record 0: key 'width': missing"
kmeans-anchors --k 3 "$T/skips.mp" > "$T/out" 2> "$T/err"; rc=$?
check_eq "records with error, without objects, empty boxes: exit 0" "$rc" 0
check_eq "they are skipped: 3 boxes counted" "$(records-to-json "$T/out" | jq .boxes)" 3
check_match "the skipped record is reported" "$(cat "$T/err")" "kmeans-anchors: skipped 1 record with 'error' set"
check_match "the empty box is reported" "$(cat "$T/err")" "kmeans-anchors: skipped 1 box of zero width or height"
kmeans-anchors --k 4 "$T/skips.mp" > "$T/out" 2> "$T/err"; rc=$?
check_match "fewer boxes than k: exit 2 saying so" "$rc $(tail -1 "$T/err")" \
  "^2 kmeans-anchors: 3 boxes for k = 4 anchors"
check_eq "fewer boxes than k: nothing on stdout" "$(wc -c < "$T/out" | tr -d ' ')" 0
kmeans-anchors < /dev/null > /dev/null 2> "$T/err"; rc=$?
check_match "empty input: exit 2" "$rc $(cat "$T/err")" "^2 kmeans-anchors: 0 boxes for k = 5"

# --- BCCD: the clustered anchors beat VOC's ---------------------------------------------
# The real dataset: BCCD's annotations (tests/data/bccd; tests/stage/bccd.sh)
. tests/stage/bccd.sh
d="BCCD: k-means anchors beat yolov2-voc.cfg's on avg IoU"
if ! bccd_devkit; then
  fail "$d" "the BCCD devkit could not be made"
else
  voc-parse --classes "$BCCD_NAMES" "$BCCD" > "$T/bccd.mp"
  kmeans-anchors --k 5 --grid 13 "$T/bccd.mp" 2> "$T/bccd.err" | records-to-json > "$T/bccd.json"
  voc=$(sed -n 's/^anchors *= *//p' tests/data/cfg/yolov2-voc.cfg | head -1)
  kmeans-anchors --grid 13 --eval "$voc" "$T/bccd.mp" 2> /dev/null | records-to-json > "$T/bccdvoc.json"
  ours=$(jq .avg_iou "$T/bccd.json"); theirs=$(jq .avg_iou "$T/bccdvoc.json")
  echo "# BCCD: $(jq .boxes "$T/bccd.json") boxes, k-means avg IoU $ours, yolov2-voc.cfg anchors $theirs"
  sed 's/^/# /' "$T/bccd.err"
  check "$d" \
    awk -v a="$ours" -v b="$theirs" 'BEGIN { exit !(a > b) }'
fi

done_testing
