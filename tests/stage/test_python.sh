# The "Reading a stream in Python" example of docs/records.md, run as it is
# written there with Debian's python3-msgpack and python3-numpy, on a stream
# the stages wrote.
. tests/stage/lib.sh
PY=/usr/bin/python3
awk '/^### Reading a stream in Python/ { sec = 1; next }
     sec && /^```python/ { code = 1; next }
     code && /^```/ { exit }
     code { print }' docs/records.md > "$T/read.py"
check "docs/records.md has the Python reading example" [ -s "$T/read.py" ]
"$TOOLS/gen-records" -n 3 -s 4x5 -k 2 > "$T/a.mp"
out=$("$PY" "$T/read.py" < "$T/a.mp" 2> "$T/err"); rc=$?
check_eq "the example runs" "$rc $(cat "$T/err")" "0 "
check_eq "the example prints each record's id and tensor shape" "$out" \
"000000 input=f32[3,4,5]
000001 input=f32[3,4,5]
000002 input=f32[3,4,5]"
# and numpy sees the same numbers records-to-json --full prints
np=$("$PY" -c '
import sys, msgpack, numpy as np
r = next(iter(msgpack.Unpacker(sys.stdin.buffer, raw=False)))
t = r["input"]
a = np.frombuffer(t["data"], dtype="<f4").reshape(t["shape"])
print(repr(float(a[2, 3, 4])))' < "$T/a.mp")
js=$(records-to-json --full "$T/a.mp" | head -1 | jq '.input.data[-1]')
check "numpy reads the same last element as records-to-json prints ($np vs $js)" \
  "$PY" -c "import numpy as np, sys; sys.exit(0 if np.float32($np) == np.float32($js) else 1)"
# a stream written by Python (the writing example) is read by the stages
awk '/^### Writing a stream in Python/ { sec = 1; next }
     sec && /^```python/ { code = 1; next }
     code && /^```/ { exit }
     code { print }' docs/records.md > "$T/write.py"
"$PY" "$T/write.py" > "$T/w.mp"
check_eq "a stream written by the Python example reads in the stages" \
  "$(records-to-json "$T/w.mp" | jq -c '[.id, .input.shape, .objects[0].bbox]')" '["example",[3,4,6],[1,0.5,5,3.5]]'
done_testing
