# rescale in real pipes: the candidates before NMS against libdarknet's
# get_network_boxes on the committed fixtures (tests/darknet/make-boxes.sh),
# the entries' fields, names and order, --thresh, a mirrored transform,
# pass-through, --drop-output, bad records (non-strict: `error` set;
# --strict: exit 2), and mutated streams for rescale and nms.
. tests/stage/lib.sh
FX=tests/fixtures
CMP=tests/darknet/compare-boxes.awk
PY=/usr/bin/python3
lines() { records-to-json "$@" | jq -r '.detections[]? | "\(.class) \(.score) \(.bbox | join(" "))"'; }
param() { awk -v k="$2" '$1 == "params" { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"; }
# JSON lines to records with Python's msgpack (json-to-records checks schemas
# itself): a map {dtype: "f32" or "u8", shape, data: [numbers]} becomes a tensor
tomp() { "$PY" -c 'import sys, json, struct, msgpack
def t(v):
    if isinstance(v, dict):
        if v.get("dtype") == "f32" and isinstance(v.get("data"), list):
            v["data"] = struct.pack("<%df" % len(v["data"]), *v["data"])
        if v.get("dtype") == "u8" and isinstance(v.get("data"), list):
            v["data"] = bytes(v["data"])
        return {k: t(x) for k, x in v.items()}
    return [t(x) for x in v] if isinstance(v, list) else v
for l in sys.stdin: sys.stdout.buffer.write(msgpack.packb(t(json.loads(l)), use_bin_type=True))'; }

# --- agreement with darknet before NMS ------------------------------------------
for f in v2-dog v3-dog v1-dog v4tiny-dog v4-dog; do   # v4: AlexeyAB's (scale_x_y)
  t=$(param "$FX/boxes-$f.txt" thresh)
  rescale --thresh "$t" "$FX/boxes-$f.mp" > "$T/$f.mp"; rc=$?
  check_eq "boxes-$f: exit 0" "$rc" 0
  lines "$T/$f.mp" > "$T/$f.ours"
  res=$(awk -v tag=pre -f "$CMP" "$FX/boxes-$f.txt" "$T/$f.ours"); rc=$?
  echo "# $f: $res"
  check_eq "boxes-$f: rescale --thresh $t equals darknet's get_network_boxes ($res)" "$rc" 0
done
records-to-json --full "$FX/boxes-v2-eagle.mp" | jq -c '.transform.dy += 0.5' | json-to-records > "$T/eagle.mp"
rescale --thresh 0.2 "$T/eagle.mp" | lines > "$T/eagle.ours"
res=$(awk -v tag=pre -f "$CMP" "$FX/boxes-v2-eagle.txt" "$T/eagle.ours"); rc=$?
check_eq "boxes-v2-eagle (dy as darknet assumes it): equals darknet ($res)" "$rc" 0

# --- the entries -------------------------------------------------------------------
r=$(records-to-json "$T/v2-dog.mp")
check_eq "keys: detections added last, the others in place" \
  "$(printf '%s' "$r" | jq -c keys_unsorted)" '["id","width","height","transform","output","detections"]'
check_eq "entry fields, in order" "$(printf '%s' "$r" | jq -c '.detections[0] | keys_unsorted')" \
  '["class","name","score","bbox","objectness","prediction"]'
check_eq "20 classes: VOC's names" "$(printf '%s' "$r" | jq -r '[.detections[] | select(.class == 11) | .name] | unique | .[]')" dog
check_eq "score = objectness x class probability <= objectness, > thresh" \
  "$(printf '%s' "$r" | jq '[.detections[] | .score > 0.3 and .score <= .objectness and .objectness <= 1] | all')" true
check_eq "ordered by prediction, then class" \
  "$(printf '%s' "$r" | jq '[.detections[] | [.prediction, .class]] | . == sort')" true
check_eq "80 classes without --names: the class number as name" \
  "$(records-to-json "$T/v3-dog.mp" | jq '[.detections[] | .name == (.class | tostring)] | all')" true
seq 0 79 | sed 's/^/c/' > "$T/80.names"
check_eq "--names: names from the file" \
  "$(rescale --thresh 0.38 --names "$T/80.names" "$FX/boxes-v3-dog.mp" | records-to-json | jq '[.detections[] | .name == "c\(.class)"] | all')" true
rescale --names "$T/80.names" "$FX/boxes-v2-dog.mp" 2> "$T/err" | records-to-json --no-check > "$T/out.json"
check_match "--names of another length: 'error' set" "$(jq -r .error "$T/out.json")" \
  "^rescale: .*record 0: key 'output': the heads have 20 classes, --names gives 80$"
n_default=$(rescale "$FX/boxes-v2-dog.mp" | records-to-json | jq '.detections | length')
n_05=$(rescale --thresh 0.5 "$FX/boxes-v2-dog.mp" | records-to-json | jq '.detections | length')
n_all=$(rescale --thresh 0 "$FX/boxes-v2-dog.mp" | records-to-json | jq '.detections | length')
check_eq "--thresh defaults to 0.5" "$n_default" "$n_05"
check "--thresh 0 keeps more than 0.3 keeps" [ "$n_all" -gt "$(wc -l < "$T/v2-dog.ours")" ]
check_eq "--thresh 1: nothing above a probability" \
  "$(rescale --thresh 1 "$FX/boxes-v2-dog.mp" | records-to-json | jq '.detections | length')" 0

# a mirrored input: net_x = -s*x + (dx + s*W), so every box mirrors to W - x
records-to-json --full "$FX/boxes-v2-dog.mp" \
  | jq -c '.transform.dx += .transform.sx * .width | .transform.sx *= -1' | json-to-records > "$T/mirror.mp"
rescale --thresh 0.3 "$T/mirror.mp" | lines > "$T/mirror"
check_eq "negative sx: boxes mirrored (x1 <= x2, W - x swapped)" \
  "$(paste -d' ' "$T/v2-dog.ours" "$T/mirror" | awk '{ d1 = 768 - $5 - $9; d2 = 768 - $3 - $11; if (d1 < 0) d1 = -d1; if (d2 < 0) d2 = -d2;
      if (d1 > m) m = d1; if (d2 > m) m = d2; if ($9 > $11) bad = 1 } END { print (m < 1e-6 && !bad) ? "yes" : "no " m }')" yes

# --- pass-through -----------------------------------------------------------------
printf '{"id":"e","error":"darknet-forward: x","output":7}\n{"id":"n","width":3,"x_f":1.5}\n' | tomp > "$T/pass.mp"
rescale "$T/pass.mp" | cmp -s - "$T/pass.mp"
check_eq "records with error or without output pass through byte for byte" "$?" 0
records-to-json --full "$T/v2-dog.mp" | jq -c 'del(.detections)' > "$T/a.json"
records-to-json --full "$FX/boxes-v2-dog.mp" | jq -c . > "$T/b.json"
check "the keys rescale does not own are untouched" cmp -s "$T/a.json" "$T/b.json"
rescale --thresh 0.3 "$T/v2-dog.mp" | cmp -s - "$T/v2-dog.mp"
check_eq "run again: detections replaced in place, same bytes" "$?" 0
rescale --thresh 0.3 --drop-output "$FX/boxes-v2-dog.mp" > "$T/dropped.mp"; rc=$?
check_eq "--drop-output: exit 0" "$rc" 0
check_eq "--drop-output: 'output' left out, the other keys in place" \
  "$(records-to-json "$T/dropped.mp" | jq -c keys_unsorted)" '["id","width","height","transform","detections"]'
records-to-json --full "$T/v2-dog.mp" | jq -c 'del(.output)' > "$T/a.json"
records-to-json --full "$T/dropped.mp" | jq -c . > "$T/b.json"
check "--drop-output: the same detections and other values as without it" cmp -s "$T/a.json" "$T/b.json"
rescale --drop-output "$T/pass.mp" | cmp -s - "$T/pass.mp"
check_eq "--drop-output: records with error or without output still pass through byte for byte" "$?" 0

# --- bad records ---------------------------------------------------------------------
records-to-json --full "$FX/boxes-v2-eagle.mp" > "$T/e.json"
# EDIT (jq) % WANT (the message, after "key "): all the edits in one stream,
# one record each, so one run checks them all
: > "$T/bad.jsonl"; : > "$T/want"
while IFS='%' read -r edit want; do
  jq -c "$edit" "$T/e.json" >> "$T/bad.jsonl"
  printf '%s\n' "$edit%$want" >> "$T/want"
done <<'EOF'
del(.transform)%'transform': missing
.transform.sx = 0%'transform.sx': a scale of 0
.transform.dy = "a"%'transform.dy': missing or not a finite number
.transform = [1]%'transform': expected a map
.output[0].tensor.shape = [25,15,3]%'output\[0\].tensor': shape \[25,15,3\] is not \[125, H, W\]
.output[0].num = 4%'output\[0\]': 'anchors' has 10 numbers, num 4 needs 8
.output[0].classes = 19%'output\[0\].tensor': shape \[125,3,3\] is not \[120, H, W\]
.output[0].coords = 5%'output\[0\]': 'coords' must be an integer in \[4, 4\]
.output[0].net_w = 0%'output\[0\]': 'net_w' must be an integer in \[1, 65536\]
.output[0].net_w = 128%'output\[0\]': net size 128x96, but transform says 96x96
.output[0].type = "blob"%'output\[0\]': unknown head type 'blob'
del(.output[0].classes)%'output\[0\]': 'classes' is missing
.output[0].softmax = 1%'output\[0\]': 'softmax' is int, not a bool
.output[0].anchors[3] = "x"%'output\[0\]': 'anchors\[3\]' is not a finite number
.output[0].tensor |= (.dtype = "u8" | .data |= map(0))%'output\[0\].tensor': dtype u8, expected f32
.output[0].tensor = {"dtype":"f32","shape":[1]}%'output\[0\].tensor': expected a tensor
.output = [.output[0], (.output[0] | .classes = 120 | .num = 1 | .anchors = [1,1])]%'output\[1\]': 120 classes, output\[0\] has 20
.output[0] = 3%'output\[0\]': expected a map
.output = 3%'output': expected an array
EOF
tomp < "$T/bad.jsonl" > "$T/bad.mp"
rescale "$T/bad.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_eq "bad records without --strict: exit 0" "$rc" 0
records-to-json --no-check "$T/out.mp" | jq -r '"\(has("detections")) \(.error)"' > "$T/got"
check_eq "bad records: one warning each, then the count" "$(tail -1 "$T/err")" \
  "rescale: $(wc -l < "$T/want" | tr -d ' ') records set to 'error'"
i=0
while IFS='%' read -r edit want; do
  i=$((i + 1))
  check_match "$edit: 'error' set, no detections" "$(sed -n "${i}p" "$T/got")" \
    "^false rescale: .*record $((i - 1)): key $want"
done < "$T/want"
rescale --strict "$T/bad.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_match "--strict: exit 2 at the first, nothing written" \
  "$rc $(wc -c < "$T/out.mp" | tr -d ' ') $(cat "$T/err")" \
  "^2 0 rescale: .*record 0: key 'transform': missing.*--strict"
# yolo and detection heads: their own checks
records-to-json --full "$FX/boxes-v3-dog.mp" | jq -c '.output[1].mask = [0, 1, 6]' | tomp | rescale --strict > /dev/null 2> "$T/err"; rc=$?
check_match "yolo: mask past the anchors: exit 2" "$rc $(cat "$T/err")" "^2 rescale: .*key 'output\[1\]': 'mask\[2\]' is 6, past the 6 anchors"
records-to-json --full "$FX/boxes-v3-dog.mp" | jq -c 'del(.output[0].mask)' | tomp | rescale --strict > /dev/null 2> "$T/err"; rc=$?
check_match "yolo: no mask: exit 2" "$rc $(cat "$T/err")" "^2 rescale: .*key 'output\[0\]': 'mask' is missing"
records-to-json --full "$FX/boxes-v1-dog.mp" | jq -c '.output[0].side = 6' | tomp | rescale --strict > /dev/null 2> "$T/err"; rc=$?
check_match "detection: side that does not fit the tensor: exit 2" "$rc $(cat "$T/err")" \
  "^2 rescale: .*key 'output\[0\].tensor': shape \[1470\] is not \[1080\]"

# --- mutated input ------------------------------------------------------------------
# bytes flipped, cut, deleted in a valid stream, for rescale and for nms (on
# rescale's output): exit 0 or 2, never a crash or a sanitizer report (under
# `make sanitize` too); a fixed seed repeats a failure
rescale --thresh 0.2 "$FX/boxes-v2-eagle.mp" > "$T/nms-in.mp"
fuzz() { # STAGE INPUT ARGS...
  "$PY" - "$@" <<'PYEOF'
import random, subprocess, sys
random.seed(5)
base = open(sys.argv[2], "rb").read()
bad = []
for r in range(50):
    b = bytearray(base)
    for _ in range(random.randint(1, 4)):
        i, op = random.randrange(len(b)), random.random()
        if op < 0.6: b[i] = random.randrange(256)
        elif op < 0.8: del b[i:i + random.randint(1, 8)]
        else: b = b[:i]
    p = subprocess.run([sys.argv[1], "--quiet"] + sys.argv[3:], input=bytes(b), capture_output=True)
    if p.returncode not in (0, 2) or b"runtime error" in p.stderr or b"Sanitizer" in p.stderr:
        bad.append("%d: exit %d %s" % (r, p.returncode, p.stderr[:200]))
print(len(bad), "; ".join(bad[:3]))
PYEOF
}
check_eq "rescale, 50 mutated streams: exit 0 or 2, no crash" \
  "$(fuzz "$BIN/rescale" "$FX/boxes-v2-eagle.mp" --thresh 0.05)" "0 "
check_eq "nms --soft gaussian --clip, 50 mutated streams: exit 0 or 2, no crash" \
  "$(fuzz "$BIN/nms" "$T/nms-in.mp" --soft gaussian --clip)" "0 "

# --- options ------------------------------------------------------------------------
for o in "--thresh 1.5" "--thresh -0.1" "--thresh x"; do
  # shellcheck disable=SC2086
  rescale $o < /dev/null > /dev/null 2> "$T/err"; rc=$?
  check_match "rescale $o: usage error" "$rc $(head -1 "$T/err")" "^1 rescale: "
done
rescale --names "$T/none.names" < /dev/null > /dev/null 2> "$T/err"; rc=$?
check_match "--names of a missing file: an error naming it" "$rc $(cat "$T/err")" "^[23] rescale: .*none.names"
# a diverged network: an infinite and a NaN confidence in a v1 head (its
# scores are raw products) give no detection; the entries are counted
"$PY" -c '
import sys, struct, msgpack
r = msgpack.unpackb(open(sys.argv[1], "rb").read(), raw=False)
t = r["output"][0]["tensor"]
v = list(struct.unpack("<%df" % (len(t["data"]) // 4), t["data"]))
at = 7 * 7 * 20                      # the confidences follow the class scores
v[at], v[at + 1] = float("inf"), float("nan")
t["data"] = struct.pack("<%df" % len(v), *v)
sys.stdout.buffer.write(msgpack.packb(r, use_bin_type=True))' "$FX/boxes-v1-dog.mp" > "$T/inf.mp"
rescale --thresh 0.1 "$T/inf.mp" 2> "$T/err" | nms --iou 0.45 > "$T/inf-out.mp"
check_eq "v1 head with an infinite and a NaN confidence: rescale | nms, 40 entries (2 cells x 20 classes) dropped and said, every score left finite" \
  "$(grep -c 'dropped 40 entries with a NaN or infinite box or score' "$T/err") $(records-to-json "$T/inf-out.mp" | jq '[.detections[].score | isinfinite or isnan] | any')" \
  "1 false"
# AlexeyAB's scale_x_y: on a yolo head only, a number in [0.01, 100]
records-to-json --full tests/fixtures/boxes-v4tiny-dog.mp | jq -c '.output[0].scale_x_y = 0' \
  | json-to-records | rescale > "$T/sxy.mp" 2> /dev/null; rc=$?
check_match "scale_x_y 0: 'error' set naming the key" "$rc $(records-to-json "$T/sxy.mp" | jq -r .error)" \
  "^0 rescale: .*output\[0\].*'scale_x_y' must be a number in \[0.01, 100\]"
records-to-json --full tests/fixtures/boxes-v4tiny-dog.mp | jq -c '.output[0].scale_x_y = 1 | .output[1].scale_x_y = 1' \
  | json-to-records | rescale --thresh 0.3 | records-to-json | jq -c '[.detections[].bbox[0]]' > "$T/s1"
rescale --thresh 0.3 tests/fixtures/boxes-v4tiny-dog.mp | records-to-json | jq -c '[.detections[].bbox[0]]' > "$T/s105"
check "scale_x_y moves the box centres (1 against the head's 1.05)" [ "$(cat "$T/s1")" != "$(cat "$T/s105")" ]
done_testing
