#!/bin/sh
# What `make demo` runs. Today the stages that exist are the record library's
# bridge: this shows a record stream going to JSON, through jq, and back, and
# read by Python. The full demo (synth-voc -> kmeans-anchors -> train.sh ->
# eval.sh) replaces it when those stages land.
set -eu
BIN=${BIN:-bin}
GEN=${GEN:-build/release/tools/gen-records}
out=${DEMO_OUT:-out/demo}
mkdir -p "$out"
PATH="$BIN:$PATH"

echo "1. a synthetic stream: 4 records with objects and a [3,4,5] input tensor"
"$GEN" -n 4 -s 4x5 -k 2 > "$out/records.mp"
echo "   $out/records.mp: $(wc -c < "$out/records.mp") bytes"
echo
echo "2. records-to-json: one JSON line per record (tensors summarised)"
records-to-json "$out/records.mp" | head -2
echo
echo "3. through jq: keep the dogs, scale widths, and back to records"
records-to-json --full "$out/records.mp" \
  | jq -c '.objects |= map(select(.name == "dog")) | .width /= 2 | .width |= floor' \
  | json-to-records > "$out/dogs.mp"
records-to-json "$out/dogs.mp" | jq -c '{id, width, dogs: (.objects | length)}'
echo
echo "4. exact round trip with --full"
records-to-json --full "$out/records.mp" | json-to-records | cmp - "$out/records.mp" \
  && echo "   records -> JSON -> records: byte for byte the same"
echo
if /usr/bin/python3 -c 'import msgpack, numpy' 2>/dev/null; then
  echo "5. read in Python (docs/records.md):"
  /usr/bin/python3 -c '
import sys, msgpack, numpy as np
for r in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    t = r["input"]
    a = np.frombuffer(t["data"], dtype="<f4").reshape(t["shape"])
    print("  ", r["id"], len(r["objects"]), "objects, input", a.shape, "mean %.3f" % a.mean())
' < "$out/records.mp"
fi
