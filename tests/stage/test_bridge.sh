# records-to-json and json-to-records in real pipes: round trips, jq, and
# every kind of bad input (exit 2, a message naming record and key, the
# records before the bad one written whole).
. tests/stage/lib.sh
GEN="$TOOLS/gen-records"

"$GEN" -n 5 -k 4 -s 6x7 > "$T/a.mp"

# --- round trips -----------------------------------------------------------
records-to-json --full "$T/a.mp" > "$T/a.jsonl"
check_eq "records-to-json writes one line per record" "$(wc -l < "$T/a.jsonl" | tr -d ' ')" 5
json-to-records "$T/a.jsonl" > "$T/b.mp"
check "--full JSON comes back byte for byte" cmp -s "$T/a.mp" "$T/b.mp"
records-to-json --full "$T/b.mp" > "$T/b.jsonl"
check "JSON -> records -> JSON gives the same text" cmp -s "$T/a.jsonl" "$T/b.jsonl"
check "stdin and file argument give the same output" \
  sh -c "records-to-json --full < '$T/a.mp' | cmp -s - '$T/a.jsonl'"
cat "$T/a.mp" "$T/a.mp" > "$T/aa.mp"
check_eq "two streams concatenated are one stream" \
  "$(records-to-json "$T/a.mp" "$T/a.mp" | wc -l | tr -d ' ')" 10
records-to-json "$T/a.mp" "$T/a.mp" > "$T/two.jsonl"
records-to-json "$T/aa.mp" > "$T/cat.jsonl"
check "several file arguments read as the cat of them" cmp -s "$T/two.jsonl" "$T/cat.jsonl"
records-to-json -o "$T/o.jsonl" "$T/a.mp"
records-to-json "$T/a.mp" > "$T/o2.jsonl"
check "-o FILE writes there" cmp -s "$T/o.jsonl" "$T/o2.jsonl"

# summaries by default: dtype and shape kept, statistics right
sum=$(records-to-json "$T/a.mp" | head -1 | jq -c '.input | [.dtype, .shape, (.summary|keys)]')
check_eq "a tensor is summarised by default" "$sum" '["f32",[3,6,7],["inf","max","mean","min","nan","std"]]'
mean=$(records-to-json --full "$T/a.mp" | head -1 | jq '.input.data | add / length')
smean=$(records-to-json "$T/a.mp" | head -1 | jq '.input.summary.mean')
check "the summary's mean is the mean of the data" \
  awk -v a="$mean" -v b="$smean" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'

# jq in the middle of a pipeline: change a key, others pass through
records-to-json --full "$T/a.mp" | jq -c '.width = 320' | json-to-records > "$T/w.mp"
check_eq "jq can edit a key in the middle of a pipeline" \
  "$(records-to-json "$T/w.mp" | jq -s 'map(.width) | unique | .[0]')" 320
check_eq "jq's pretty-printed output reads back too" \
  "$(records-to-json --full "$T/a.mp" | jq . | json-to-records | cmp - "$T/a.mp" && echo same)" same

# every msgpack type, escapes and NaN through the bridge (made with Python)
/usr/bin/python3 - "$T/odd.mp" <<'PY'
import msgpack, struct, sys
recs = [
    {"id": "odd", "nil": None, "t": True, "f": False, "neg": -5, "big": 2**64 - 1,
     "small": -2**63, "pi": 3.141592653589793, "s": "héllo \"q\" \\ \n\t\x01",
     "bin": b"\x00\xff", "ext": msgpack.ExtType(5, b"abc"), "nan": float("nan"),
     "inf": float("-inf"), "nested": {"a": [1, [2, {"b": None}]]},
     "fake": {"dtype": "f32", "shape": [1], "data": [1.0]},
     "esc": {"$msgpack": "AA=="},
     "t8": {"dtype": "u8", "shape": [2, 2], "data": bytes([0, 1, 254, 255])},
     "t32": {"dtype": "i32", "shape": [3], "data": struct.pack("<3i", -2**31, 0, 2**31 - 1)},
     "tf": {"dtype": "f32", "shape": [4], "data": struct.pack("<4f", float("inf"), -0.0, 1e-45, 3.4028234663852886e38)},
     "t0": {"dtype": "f32", "shape": [0, 3], "data": b""},
     "note": {"dtype": "f32", "shape": [1], "data": struct.pack("<f", 0.1), "unit": "px"}},
]
with open(sys.argv[1], "wb") as out:
    for r in recs:
        out.write(msgpack.packb(r, use_bin_type=True))
PY
records-to-json --full "$T/odd.mp" > "$T/odd.jsonl"
check "every msgpack type goes to JSON and back byte for byte" \
  sh -c "json-to-records '$T/odd.jsonl' | cmp -s - '$T/odd.mp'"
check_eq "a bin outside a tensor is escaped" "$(jq -c .bin "$T/odd.jsonl")" '{"$msgpack":"xAIA/w=="}'
check_eq "a map that would read back as a tensor is escaped" \
  "$(jq -c '.fake | keys' "$T/odd.jsonl")" '["$msgpack"]'
check_eq "infinity and -0 in f32 tensors" "$(jq -c .tf.data "$T/odd.jsonl")" '["Infinity",-0,1e-45,3.4028235e+38]'
check_eq "extra keys of a tensor stay in place" "$(jq -c '.note | keys_unsorted' "$T/odd.jsonl")" \
  '["dtype","shape","data","unit"]'
check_eq "a float that is whole still reads as a float" \
  "$(echo '{"x":2.0}' | json-to-records | records-to-json)" '{"x":2.0}'

# --- bad input: the record stream ------------------------------------------
head -c $(( $(stat -c %s "$T/a.mp") - 7 )) "$T/a.mp" > "$T/trunc.mp"
records-to-json "$T/trunc.mp" > "$T/out" 2> "$T/err"; rc=$?
check_eq "truncated stream: exit 2" "$rc" 2
check_match "truncated stream: message names stage, input, record" "$(cat "$T/err")" \
  "^records-to-json: .*trunc.mp: truncated stream: record 4 "
check_eq "truncated stream: the 4 records before it are written" "$(wc -l < "$T/out" | tr -d ' ')" 4
check "truncated stream: every line written is whole JSON" sh -c "jq -e . '$T/out' > /dev/null"
head -c $(( $(stat -c %s "$T/a.mp") - 7 )) "$T/a.mp" | json-to-records 2>/dev/null | cat > /dev/null
printf '\005' > "$T/int.mp"
cat "$T/a.mp" "$T/int.mp" | records-to-json > "$T/out" 2> "$T/err"; rc=$?
check_eq "a record that is not a map: exit 2" "$rc" 2
check_match "a record that is not a map: message" "$(cat "$T/err")" "<stdin>: record 5 .*is not a map"
check_eq "a record that is not a map: the records before it are written" "$(wc -l < "$T/out" | tr -d ' ')" 5
printf '\201\242id\301' > "$T/c1.mp"
records-to-json "$T/c1.mp" 2> "$T/err" >/dev/null; rc=$?
check_eq "invalid msgpack byte: exit 2" "$rc" 2
check_match "invalid msgpack byte: message has the byte offset" "$(cat "$T/err")" "byte offset 4"

# a known key with the wrong type, a tensor with the wrong data length
echo '{"id":"x","width":"640"}' | json-to-records 2>/dev/null > /dev/null
/usr/bin/python3 - "$T" <<'PY'
import msgpack, sys
d = sys.argv[1]
ok = {"id": "0", "width": 10, "height": 10}
with open(d + "/wrongtype.mp", "wb") as f:
    f.write(msgpack.packb(ok) + msgpack.packb(ok))
    f.write(msgpack.packb({"id": "2", "width": "640", "height": 10}))
with open(d + "/badlen.mp", "wb") as f:
    f.write(msgpack.packb(ok))
    f.write(msgpack.packb({"id": "1", "input": {"dtype": "f32", "shape": [3, 2, 2], "data": b"\0" * 40}}, use_bin_type=True))
with open(d + "/badobj.mp", "wb") as f:
    f.write(msgpack.packb({"id": "0", "objects": [{"class": 1, "bbox": [0, 0, 1, 1]}, {"class": "dog", "bbox": [0, 0, 1, 1]}]}))
with open(d + "/badhead.mp", "wb") as f:
    f.write(msgpack.packb({"id": "0", "output": [{"type": "region", "tensor": {"dtype": "f64", "shape": [1], "data": b"\0" * 8}}]}, use_bin_type=True))
PY
records-to-json "$T/wrongtype.mp" > "$T/out" 2> "$T/err"; rc=$?
check_eq "known key with the wrong type: exit 2" "$rc" 2
check_eq "known key with the wrong type: message" "$(cat "$T/err")" \
  "records-to-json: $T/wrongtype.mp: record 2: key 'width': expected an integer, got string"
check_eq "known key with the wrong type: records before it written" "$(wc -l < "$T/out" | tr -d ' ')" 2
records-to-json "$T/badlen.mp" > "$T/out" 2> "$T/err"; rc=$?
check_eq "tensor data length wrong: exit 2" "$rc" 2
check_eq "tensor data length wrong: message" "$(cat "$T/err")" \
  "records-to-json: $T/badlen.mp: record 1: key 'input': tensor f32 [3,2,2] needs 48 bytes of data, has 40"
records-to-json "$T/badobj.mp" 2> "$T/err" >/dev/null; rc=$?
check_match "nested field with the wrong type names its path" "$(cat "$T/err")" \
  "record 0: key 'objects\[1\]\.class': expected an integer, got string"
records-to-json "$T/badhead.mp" 2> "$T/err" >/dev/null; rc=$?
check_match "a head's tensor with an unknown dtype" "$(cat "$T/err")" "key 'output\[0\]\.tensor': bad tensor: dtype"
check "--no-check shows such records anyway" sh -c "records-to-json --no-check '$T/wrongtype.mp' | jq -e '.width == \"640\"' | tail -1 | grep -q true"

# --- bad input: JSON --------------------------------------------------------
printf '{"id":"a"}\n{"id":"b",\n"width": 1,,}\n' | json-to-records > "$T/out" 2> "$T/err"; rc=$?
check_eq "malformed JSON: exit 2" "$rc" 2
check_match "malformed JSON: message names line and byte offset" "$(cat "$T/err")" \
  "^json-to-records: <stdin>: line 3 \(byte offset [0-9]+, record 1\): parse error"
check_eq "malformed JSON: the record before it is written" "$(records-to-json "$T/out" | jq -r .id)" a
printf '{"id":"a"}\n{"id":"b", "x": [1, 2' | json-to-records > "$T/out" 2> "$T/err"; rc=$?
check_eq "truncated JSON: exit 2" "$rc" 2
check_match "truncated JSON: message" "$(cat "$T/err")" "truncated: input ends inside record 1"
check_eq "truncated JSON: nothing of the partial record is written" "$(records-to-json "$T/out" | wc -l | tr -d ' ')" 1
echo '[1,2]' | json-to-records > /dev/null 2> "$T/err"; rc=$?
check_eq "a JSON record that is not an object: exit 2" "$rc" 2
check_match "a JSON record that is not an object: message" "$(cat "$T/err")" "a record must be a JSON object"
echo '{"t":{"dtype":"u8","shape":[2],"data":[1,256]}}' | json-to-records > /dev/null 2> "$T/err"; rc=$?
check_eq "u8 element out of range: exit 2" "$rc" 2
check_match "u8 element out of range: message names the key" "$(cat "$T/err")" "key 't': tensor data: a u8 element"
echo '{"t":{"dtype":"f32","shape":[3],"data":[1,2]}}' | json-to-records > /dev/null 2> "$T/err"
check_match "tensor count mismatch: message" "$(cat "$T/err")" "data has 2 numbers, shape needs 3"
echo '{"t":{"$msgpack":"not base64!"}}' | json-to-records > /dev/null 2> "$T/err"; rc=$?
check_eq "bad escape: exit 2" "$rc" 2
echo '{"n":123456789012345678901234567890}' | json-to-records > /dev/null 2> "$T/err"; rc=$?
check_match "integer beyond 64 bits: exit 2 with a message" "$rc $(cat "$T/err")" "^2 .*does not fit in 64 bits"
deep=$(printf '%.0s[' $(seq 40))
echo "{\"d\":$deep" | json-to-records > /dev/null 2> "$T/err"; rc=$?
check_match "nesting deeper than 32: exit 2 with a message" "$rc $(cat "$T/err")" "^2 .*deeper than 32"
records-to-json "$T/missing.mp" > /dev/null 2> "$T/err"; rc=$?
check_eq "missing input file: exit 3" "$rc" 3
check_match "missing input file: message names it" "$(cat "$T/err")" "missing.mp: No such file"

# garbage in: no crash, a documented status, whatever the bytes
bad=0
i=0
while [ $i -lt 60 ]; do
  head -c $(( (i * 37) % 500 + 1 )) /dev/urandom > "$T/g.bin"
  records-to-json "$T/g.bin" > /dev/null 2>&1; r1=$?
  json-to-records "$T/g.bin" > /dev/null 2>&1; r2=$?
  case "$r1$r2" in 00|02|20|22) ;; *) bad=$((bad + 1)); echo "# garbage case $i: status $r1 $r2"; cp "$T/g.bin" "$T/bad$i.bin" ;; esac
  i=$((i + 1))
done
check_eq "random bytes: every run ends with status 0 or 2" "$bad" 0

done_testing
