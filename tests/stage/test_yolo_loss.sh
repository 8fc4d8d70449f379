# yolo-loss in real pipes: loss and grad against PyTorch autograd on the
# fixtures of tests/loss (made by tests/loss/make-fixtures.py, each file with
# the options fixtures.txt lists), keys passed through, `error` records byte
# for byte, the summary on stderr, option errors and bad input (exit 2 with
# the record index and key).
. tests/stage/lib.sh
FIX=tests/loss

# |got - want| <= 1e-4 * max(|got|, |want|) + 1e-9, for the nine loss fields
# and every gradient element; prints "ID BAD_LOSS BAD_GRAD ELEMENTS".
cat > "$T/cmp.jq" <<'EOF'
def close(a; b): ((a - b) | fabs) <= 1e-4 * ([(a | fabs), (b | fabs)] | max) + 1e-9;
. as $r
| [$r.expect_loss | keys_unsorted[] | select(close($r.loss[.]; $r.expect_loss[.]) | not)] as $bl
| [range(0; $r.grad | length) as $i | [$r.grad[$i].data, $r.expect_grad[$i].data] | transpose[]]
| "\($r.id) \($bl | length) \(map(select(close(.[0]; .[1]) | not)) | length) \(length)"
EOF

# --- against PyTorch autograd ---------------------------------------------------
grep -v '^#' "$FIX/fixtures.txt" > "$T/list"
while read -r f opts; do
  # shellcheck disable=SC2086
  yolo-loss --quiet $opts "$FIX/$f" > "$T/out.mp" 2> "$T/err"; rc=$?
  check_eq "$f ($opts): exit 0, nothing on stderr" "$rc:$(cat "$T/err")" "0:"
  records-to-json --full "$T/out.mp" | jq -r -f "$T/cmp.jq" > "$T/cmp.txt"
  check_eq "$f: 3 records compared" "$(wc -l < "$T/cmp.txt" | tr -d ' ')" 3
  check_eq "$f: loss fields and every grad element agree with autograd to 1e-4" \
    "$(awk '$2 != 0 || $3 != 0 || $4 < 100' "$T/cmp.txt")" ""
done < "$T/list"
check_eq "the fixtures cover v1, v2 seed, v2 darknet (with the warm-up), v3, v3 with AlexeyAB's keys (scale_x_y, the IoU losses, the normalizers; from the entry and from the options), and label smoothing (v3 from the option, the entry and both; v2 seed and darknet)" \
  "$(grep -c '^v' "$FIX/fixtures.txt")" 17

# --- against libdarknet's own deltas (tests/loss/make-dn-fixtures.sh) -------------
# |got - want| <= 1e-4 * max + 1e-6: darknet computes in float.
cat > "$T/dncmp.jq" <<'EOF2'
def close(a; b): ((a - b) | fabs) <= 1e-4 * ([(a | fabs), (b | fabs)] | max) + 1e-6;
[range(0; .grad | length) as $i | [.grad[$i].data, .expect_grad[$i].data] | transpose[]]
| "\(map(select(close(.[0]; .[1]) | not)) | length) \(length)"
EOF2
for spec in "dn-region.mp 4 --variant darknet --seen 12800" \
            "dn-region-warm.mp 3 --variant darknet --seen 0" \
            "dn-yolo.mp 4" "dn-detection.mp 5"; do
  set -- $spec; f=$1; n=$2; shift 2
  yolo-loss -q "$@" "$FIX/$f" | records-to-json --full | jq -r -f "$T/dncmp.jq" > "$T/dn.txt"
  check_eq "$f ($*): $n records, every grad element = libdarknet's delta, converted" \
    "$(awk '$1 == 0 && $2 > 100 { n++ } END { print n + 0 }' "$T/dn.txt")" "$n"
done

# --- keys ------------------------------------------------------------------------
yolo-loss -q "$FIX/v3.mp" > "$T/v3.mp"
records-to-json "$T/v3.mp" > "$T/v3.json"
records-to-json "$FIX/v3.mp" > "$T/in.json"
check_eq "loss and grad are added last" "$(jq -c 'keys_unsorted[-2:]' "$T/v3.json" | sort -u)" \
  '["loss","grad"]'
check_eq "the other keys are untouched" "$(jq -c 'del(.loss, .grad)' "$T/v3.json" | md5sum)" \
  "$(jq -c . "$T/in.json" | md5sum)"
check_eq "loss: the nine fields, count an integer" \
  "$(jq -c '[(.loss | keys_unsorted), (.loss.count | type)]' "$T/v3.json" | sort -u)" \
  '[["total","xy","wh","obj","noobj","class","avg_iou","recall50","count"],"number"]'
check_eq "grad: one f32 tensor per head, the head's shape" \
  "$(jq -c '[.grad[] | [.dtype, .shape]] == [.output[] | [.tensor.dtype, .tensor.shape]]' "$T/v3.json" | sort -u)" true
check_eq "total is the sum of the five terms" \
  "$(jq '.loss | ((.total - (.xy + .wh + .obj + .noobj + .class)) | fabs) < 1e-9' "$T/v3.json" | sort -u)" true
check_eq "an image without objects: count 0, only noobj" \
  "$(jq -c 'select(.id == "case0") | .loss | [.count, .xy, .wh, .obj, .class, .noobj > 0]' "$T/v3.json")" \
  '[0,0,0,0,0,true]'

# --- error records and the summary ------------------------------------------------
printf '{"id": "bad", "error": "darknet-forward: no such file", "output": []}\n' |
  json-to-records > "$T/err.mp"
cat "$T/err.mp" "$FIX/v2-seed.mp" "$T/err.mp" > "$T/mixed.mp"
yolo-loss --variant seed "$T/mixed.mp" > "$T/mixed-out.mp" 2> "$T/sum"; rc=$?
check_eq "records with error: exit 0" "$rc" 0
head -c "$(wc -c < "$T/err.mp")" "$T/mixed-out.mp" > "$T/first.mp"
check "a record with error (and an empty output) passes through byte for byte" \
  cmp -s "$T/first.mp" "$T/err.mp"
check_eq "... and the last one too; 5 records out" \
  "$(tail -c "$(wc -c < "$T/err.mp")" "$T/mixed-out.mp" | cmp -s - "$T/err.mp" && echo same):$(records-to-json "$T/mixed-out.mp" | wc -l | tr -d ' ')" "same:5"
check_match "the summary: one line on stderr" "$(cat "$T/sum")" \
  '^yolo-loss: 3 records: loss [0-9.e+-]+ \(xy .*\) per record; avg IoU 0\.[0-9]{4}, recall50 [01]\.[0-9]{4} over [0-9]+ boxes$'
yolo-loss --every 2 -q "$FIX/v2-seed.mp" 2> "$T/sumq" > /dev/null
check_eq "--quiet: no summary" "$(cat "$T/sumq")" ""
yolo-loss --every 2 "$FIX/v2-seed.mp" 2> "$T/sum2" > /dev/null
check_eq "--every 2: a line after 2 records, then the total" \
  "$(cut -c1-26 "$T/sum2")" "$(printf "yolo-loss: last 2 records:\nyolo-loss: 3 records: loss")"

# --- options ------------------------------------------------------------------------
yolo-loss -q "$FIX/v2-seed.mp" > "$T/seed-default.mp"
for o in "--variant foo" "--loss-version v4" "--thresh 1.5" "--lambda-obj -1" \
         "--seen x" "--ignore-thresh nan" "--every 0"; do
  # shellcheck disable=SC2086
  yolo-loss $o "$FIX/v1.mp" > /dev/null 2> "$T/e"; rc=$?
  check_eq "usage error: $o: exit 1" "$rc" 1
done
yolo-loss -q --ignore-thresh 0.1 "$FIX/v2-seed.mp" | cmp -s - "$T/seed-default.mp"; rc=$?
check_eq "--ignore-thresh does not change a v2 loss" "$rc" 0
yolo-loss --loss-version v3 "$FIX/v2-seed.mp" > /dev/null 2> "$T/e"; rc=$?
check_eq "--loss-version v3 on region heads: exit 2" "$rc" 2
check_match "... naming the record and head" "$(cat "$T/e")" "record 0: key 'output\[0\]': a region head is v2"

# --- bad input ------------------------------------------------------------------------
records-to-json --full "$FIX/v3.mp" > "$T/v3full.json"
records-to-json --full "$FIX/v1.mp" > "$T/v1full.json"
bad() {  # bad NAME JQ-EDIT-OF-RECORD-1 PATTERN [FILE]
  jq -c "if .id == \"case1\" then $2 else . end" "${4:-$T/v3full.json}" | json-to-records > "$T/bad.mp"
  yolo-loss -q "$T/bad.mp" > "$T/bad-out.mp" 2> "$T/e"; rc=$?
  check_eq "$1: exit 2" "$rc" 2
  check_match "$1: message names record 1 and the key" "$(cat "$T/e")" "$3"
  check_eq "$1: the record before it was written" \
    "$(records-to-json "$T/bad-out.mp" | jq -r .id | tr '\n' ' ')" "case0 "
}
bad "NaN in output" '.output[1].tensor.data[7] = "NaN"' \
  "record 1: key 'output\[1\]\.tensor': element 7 is not finite"
bad "infinity in output" '.output[0].tensor.data[0] = "-Infinity"' \
  "record 1: key 'output\[0\]\.tensor': element 0 is not finite"
bad "target shapes swapped" '.target |= [.[1], .[0]]' \
  "record 1: key 'target\[0\]': f32 \[27,4,6\] does not match output\[0\]: expected f32 \[27,2,3\]"
bad "one target for two heads" '.target |= .[0:1]' "record 1: key 'target': 1 entries, output has 2"
bad "class out of range in truth" '.truth.data[4] = 4' \
  "record 1: key 'truth': row 0: class 4 is not an index below 4"
bad "fractional class in truth" '.truth.data[9] = 1.5' "record 1: key 'truth': row 1: class 1.5"
bad "truth not [N, 5]" '.truth.shape = [5, 3]' "record 1: key 'truth': f32 \[5,3\], expected f32 \[N, 5\]"
bad "no target" 'del(.target)' "record 1: key 'target': missing"
bad "NaN in truth" '.truth.data[2] = "NaN"' "record 1: key 'truth': row 0: w is not finite"
bad "no truth (v3)" 'del(.truth)' "record 1: key 'truth': missing"
bad "no output" 'del(.output)' "record 1: key 'output': missing"
bad "target object entry 0.5" '.target[0].data[4*6] = 0.5' "record 1: key 'target\[0\]': element 24: entry 4"
bad "target NaN" '.target[1].data[3] = "NaN"' "record 1: key 'target\[1\]': element 3 is not finite"
bad "v1 target without class" '.target[0].data[5:8] = [0, 0, 0] | .target[0].data[0] = 1 | .target[0].data[1:5] = [0.1, 0.1, 0.1, 0.1]' \
  "record 1: key 'target\[0\]': element 5: an assigned box has no class" "$T/v1full.json"
jq -c 'del(.truth)' "$T/v1full.json" | json-to-records | yolo-loss -q > /dev/null; rc=$?
check_eq "v1 does not need truth: exit 0" "$rc" 0

# --- label smoothing: 0 changes nothing; bad values; where it does not apply -------
for f in v3.mp v2-seed.mp v3-ab-mse.mp; do
  opts=$(awk -v f="$f" '$1 == f { $1 = ""; print }' "$FIX/fixtures.txt")
  # shellcheck disable=SC2086
  yolo-loss -q $opts "$FIX/$f" > "$T/s0.mp"
  # shellcheck disable=SC2086
  yolo-loss -q $opts --label-smoothing 0 "$FIX/$f" | cmp -s - "$T/s0.mp"; rc=$?
  check_eq "--label-smoothing 0 on $f: the same bytes as without" "$rc" 0
done
records-to-json --full "$FIX/v3-ab-smooth.mp" | jq -c 'del(.output[].label_smooth_eps)' |
  json-to-records | yolo-loss -q | records-to-json --full | jq -c '[.loss, .grad]' > "$T/nosmooth"
yolo-loss -q --label-smoothing 0 "$FIX/v3-ab-smooth.mp" | records-to-json --full |
  jq -c '[.loss, .grad]' | cmp -s - "$T/nosmooth"; rc=$?
check_eq "--label-smoothing 0 over heads saying label_smooth_eps=0.2: the loss and grad of heads saying nothing" "$rc" 0
for v in -0.1 1 1.5 nan inf x; do
  yolo-loss --label-smoothing "$v" "$FIX/v3.mp" > "$T/o.mp" 2> "$T/e"; rc=$?
  check_eq "--label-smoothing $v: usage error (exit 1), nothing written" \
    "$rc:$(wc -c < "$T/o.mp" | tr -d ' ')" "1:0"
done
check_match "... saying why (1 and above)" "$(yolo-loss --label-smoothing 1 "$FIX/v3.mp" 2>&1 >/dev/null)" \
  "option --label-smoothing: '1' is not below 1"
check_match "... saying why (negative, NaN)" "$(yolo-loss --label-smoothing nan "$FIX/v3.mp" 2>&1 >/dev/null)" \
  "option --label-smoothing: 'nan' is not a number in \[0, 1\]"
yolo-loss -q --label-smoothing 0.1 "$FIX/v1.mp" > "$T/o.mp" 2> "$T/e"; rc=$?
check_eq "--label-smoothing on a detection head (v1): exit 2, nothing written" "$rc:$(wc -c < "$T/o.mp" | tr -d ' ')" "2:0"
check_match "... naming the record, the entry and why" "$(cat "$T/e")" \
  "record 0: key 'output\[0\]': --label-smoothing is for yolo and region heads \(v3, v2\), this one is v1"
bad "label_smooth_eps 1 on a head" '.output[1].label_smooth_eps = 1' \
  "record 1: key 'output\[1\]': 'label_smooth_eps' must be a number in \[0, 1\), on a yolo head"
bad "label_smooth_eps negative" '.output[0].label_smooth_eps = -0.1' \
  "record 1: key 'output\[0\]': 'label_smooth_eps' must be a number in \[0, 1\)"
records-to-json --full "$FIX/v2-seed.mp" > "$T/v2full.json"
bad "label_smooth_eps on a region head" '.output[0].label_smooth_eps = 0.1' \
  "record 1: key 'output\[0\]': 'label_smooth_eps' must be a number in \[0, 1\), on a yolo head" "$T/v2full.json"

# --- AlexeyAB's keys: bad values, and the options where they do not apply ----------
bad "iou_loss not one of his words" '.output[0].iou_loss = "cious"' \
  "record 1: key 'output\[0\]': 'iou_loss' must be mse, iou, giou, diou or ciou"
bad "a negative iou_normalizer" '.output[1].iou_normalizer = -1' \
  "record 1: key 'output\[1\]': 'iou_normalizer' must be a number in \[0, 1e.06\]"
yolo-loss -q --iou-loss ciou "$FIX/v2-seed.mp" > "$T/o.mp" 2> "$T/e"; rc=$?
check_eq "--iou-loss on a region head (v2): exit 2, nothing written" "$rc:$(wc -c < "$T/o.mp" | tr -d ' ')" "2:0"
check_match "... naming the record, the entry and why" "$(cat "$T/e")" \
  "record 0: key 'output\[0\]': --iou-loss, --iou-normalizer and --cls-normalizer are for yolo heads"
yolo-loss -q --iou-loss cious "$FIX/v3.mp" > "$T/o.mp" 2> "$T/e"; rc=$?
check_eq "--iou-loss cious: usage error (exit 1)" "$rc" 1
check_match "... listing the kinds" "$(cat "$T/e")" "'cious' is not one of: mse iou giou diou ciou"

done_testing
