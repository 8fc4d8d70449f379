# A stream of more than 1 GB through records-to-json | json-to-records in
# bounded memory, shown by each stage's peak RSS, and the same for
# json-to-records on JSON with tensors in full. Memory per record is bounded
# when a stream 20 times longer needs no more memory than a short one. And
# each record passed on whole at once: a stage does not hold a record's last
# bytes back until the next record comes (a live video would age a frame in
# every stage).
. tests/stage/lib.sh
GEN="$TOOLS/gen-records"
RSS="$TOOLS/peakrss"
# sanitizer builds keep freed memory in quarantine: keep it small here
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=4"
limit_kb=65536; slack_kb=4096
[ "${MODE:-release}" = san ] && { limit_kb=262144; slack_kb=16384; }

# Records as a dataset stage writes them, plus a 768 KiB tensor under a key of
# the stage's own (x_features): summarised in JSON, so it passes the bridge
# as a plain map (a tensor key of docs/records.md would be refused there).
run() { # N TAG
  "$GEN" -n "$1" -s 256x256 -k 20 --tensor-key x_features \
    | "$RSS" "$T/$2.r2j" records-to-json \
    | "$RSS" "$T/$2.j2r" json-to-records \
    | records-to-json | wc -l | tr -d ' '
}
bytes=$("$GEN" -n 1 -s 256x256 -k 20 --tensor-key x_features | wc -c)
n_big=$(( (1100000000 + bytes - 1) / bytes ))
check_eq "a short stream: every record through the pipe" "$(run 70 small)" 70
check_eq "a $((n_big * bytes / 1000000)) MB stream: every record through the pipe" "$(run "$n_big" big)" "$n_big"
check "the stream was over 1 GB" [ $((n_big * bytes)) -gt 1073741824 ]
for s in r2j j2r; do
  small=$(cat "$T/small.$s"); big=$(cat "$T/big.$s")
  echo "# peak RSS $s: ${small} KiB for 70 records, ${big} KiB for $n_big records"
  check "peak RSS of $s on the long stream is under $((limit_kb / 1024)) MiB (${big} KiB)" [ "$big" -lt $limit_kb ]
  check "peak RSS of $s does not grow with the stream (${small} -> ${big} KiB)" [ $((big - small)) -lt $slack_kb ]
done

# json-to-records on tensors in full: JSON text 20 times longer, same memory
"$GEN" -n 20 -s 64x64 -k 5 | records-to-json --full > "$T/short.jsonl"
"$GEN" -n 400 -s 64x64 -k 5 | records-to-json --full > "$T/long.jsonl"
"$RSS" "$T/short.full" json-to-records "$T/short.jsonl" > "$T/short.mp"
"$RSS" "$T/long.full" json-to-records "$T/long.jsonl" > "$T/long.mp"
small=$(cat "$T/short.full"); big=$(cat "$T/long.full")
echo "# json-to-records, full tensors: ${small} KiB for 20 records, ${big} KiB for 400 ($(wc -c < "$T/long.jsonl") bytes of JSON)"
check "json-to-records --full input: memory does not grow with the stream (${small} -> ${big} KiB)" \
  [ $((big - small)) -lt $slack_kb ]
check "json-to-records --full input: the records come back exactly" \
  sh -c "'$GEN' -n 400 -s 64x64 -k 5 | cmp -s - '$T/long.mp'"
# one record in, the input left open for 3 s: nms passes it through (no
# detections), and it is out whole, 3.7 MB, well before the input ends
"$GEN" -n 1 -s 640x480 > "$T/one.mp"
n=$(wc -c < "$T/one.mp")
date +%s.%N > "$T/start"
{ cat "$T/one.mp"; sleep 3; } | nms | { head -c "$n" | wc -c > "$T/got"; date +%s.%N > "$T/at"; }
got=$(tr -d ' ' < "$T/got")
took=$(cat "$T/start" "$T/at" | tr '\n' ' ' | awk '{ printf "%.1f", $2 - $1 }')
check "a record is passed on whole as it is written, not with the next ($got of $n bytes in ${took} s)" \
  [ "$got" = "$n" -a "$(echo "$took" | awk '{ print ($1 < 2.5) }')" = 1 ]
done_testing
