# track in real pipes on synthetic streams (tests/stage/track-synth.py): ids
# that follow objects (one box, two crossing, one hidden for a while), min
# hits, ByteTrack's low scores, classes, --drop-unmatched, --max-tracks,
# pass-through, the same output twice, bad input; and CLEAR MOT on objects
# moving along paths (the numbers of docs/detection.md, smaller).
. tests/stage/lib.sh
PY=/usr/bin/python3
SYN=tests/stage/track-synth.py
gen() { "$PY" "$SYN" gen "$1" > "$T/$1.mp"; }
# one line per frame: the track_id of each entry ('-' for none), in entry order
ids() { records-to-json | jq -r '[.detections[] | (.track_id // "-" | tostring)] | join(" ")' | tr '\n' '|'; }
# "object:id" pairs of the whole stream, each once: ids follow objects
pairs() { records-to-json | jq -r '.detections[] | select(.track_id) | "\(.gt):\(.track_id)"' | sort -u | tr '\n' ' '; }

# --- one box ------------------------------------------------------------------
gen single
track "$T/single.mp" > "$T/out.mp"; rc=$?
check_eq "one box: exit 0" "$rc" 0
check_eq "one box: no id in the first 2 frames (--min-hits 3), id 1 from the 3rd on" \
  "$(ids < "$T/out.mp" | cut -d'|' -f1-5)" "-|-|1|1|1"
check_eq "one box: id 1 in all 28 frames after" "$(pairs < "$T/out.mp")" "0:1 "
check_eq "one box: entries keep their fields and order, track_id last" \
  "$(records-to-json "$T/out.mp" | jq -c 'select(.id == "5") | .detections[0] | keys_unsorted')" \
  '["class","name","score","bbox","gt","track_id"]'
check_eq "one box: other keys untouched" \
  "$(records-to-json "$T/out.mp" | jq -c 'select(.id == "5") | [.id, .width, .height]')" '["5",640,480]'
check_eq "--min-hits 1: an id from the first frame" "$(track --min-hits 1 "$T/single.mp" | ids | cut -d'|' -f1-2)" "1|1"
check_eq "--min-hits 5: none before the 5th frame" "$(track --min-hits 5 "$T/single.mp" | ids | cut -d'|' -f1-6)" "-|-|-|-|1|1"
check_eq "--drop-unmatched: the first two frames lose their entry" \
  "$(track --drop-unmatched "$T/single.mp" | records-to-json | jq -c '.detections | length' | head -3 | tr '\n' ' ')" "0 0 1 "
track "$T/single.mp" | track | cmp -s - "$T/out.mp"
check_eq "track twice: the second run gives the same ids (track_id replaced, not added)" "$?" 0

# --- crossing -----------------------------------------------------------------
gen cross
track "$T/cross.mp" > "$T/out.mp"
check_eq "two boxes crossing head-on (entries in either order): each keeps its id" \
  "$(pairs < "$T/out.mp")" "0:2 1:1 "
check_eq "  ... in every frame from the 3rd (2 ids in each of 38 frames)" \
  "$(records-to-json "$T/out.mp" | jq '[.detections[] | select(.track_id)] | length' | sort | uniq -c | awk '{print $1 "x" $2}' | tr '\n' ' ')" "2x0 38x2 "
check_eq "crossing, --match greedy: the same" "$(track --match greedy "$T/cross.mp" | pairs)" "0:2 1:1 "
check_eq "crossing, --method sort: the same" "$(track --method sort "$T/cross.mp" | pairs)" "0:2 1:1 "
track "$T/cross.mp" | cmp -s - "$T/out.mp"
check_eq "same input, same output (bytes)" "$?" 0

# --- hidden -------------------------------------------------------------------
gen hide-10-20
check_eq "hidden for 10 frames (< --max-age 30): the same id after" "$(track "$T/hide-10-20.mp" | pairs)" "0:1 "
check_eq "  ... and at once: the first frame back has it" \
  "$(track "$T/hide-10-20.mp" | records-to-json | jq -c 'select(.id == "20") | .detections[0].track_id')" 1
check_eq "hidden for 10 frames, --max-age 9: a new id after, 3 frames later (id 1 not reused)" \
  "$(track --max-age 9 "$T/hide-10-20.mp" | ids | cut -d'|' -f10-24)" "1|||||||||||-|-|2|2"
check_eq "hidden for 10 frames, --max-age 10: still the same id" "$(track --max-age 10 "$T/hide-10-20.mp" | pairs)" "0:1 "

# --- low scores ----------------------------------------------------------------
gen low-10-20
check_eq "scores 0.3 for 10 frames, bytetrack: id 1 on them too" "$(track "$T/low-10-20.mp" | ids | cut -d'|' -f9-22)" \
  "1|1|1|1|1|1|1|1|1|1|1|1|1|1"
check_eq "  ... sort: no id while low, the track lives (--max-age 30) and has it back" \
  "$(track --method sort "$T/low-10-20.mp" | ids | cut -d'|' -f9-22)" "1|1|-|-|-|-|-|-|-|-|-|-|1|1"
check_eq "  ... sort --max-age 5: the track ends, a new id 3 frames after" \
  "$(track --method sort --max-age 5 "$T/low-10-20.mp" | ids | cut -d'|' -f20-24)" "-|-|-|2|2"
check_eq "  ... bytetrack --low 0.35: below it, as sort" \
  "$(track --low 0.35 "$T/low-10-20.mp" | ids | cut -d'|' -f9-22)" "1|1|-|-|-|-|-|-|-|-|-|-|1|1"
check_eq "  ... bytetrack --high 0.2: the 0.3 ones are high" "$(track --high 0.2 --low 0.1 "$T/low-10-20.mp" | pairs)" "0:1 "

# --- classes --------------------------------------------------------------------
gen class
check_eq "a class change: a new track within the new class (per class by default)" \
  "$(track "$T/class.mp" | ids | cut -d'|' -f9-14)" "1|1|-|-|2|2"
check_eq "  ... --any-class: the same id" "$(track --any-class "$T/class.mp" | pairs)" "0:1 "

# --- many -------------------------------------------------------------------------
gen crowd
check_eq "5 objects: ids 1..5 in entry order" "$(track "$T/crowd.mp" | pairs)" "0:1 1:2 2:3 3:4 4:5 "
track --max-tracks 3 "$T/crowd.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_eq "--max-tracks 3: exit 0, three tracks" "$rc $(pairs < "$T/out.mp")" "0 0:1 1:2 2:3 "
check_eq "--max-tracks 3: says how many were not started" "$(cat "$T/err")" \
  "track: more than --max-tracks 3 tracks: 0 ended early, 20 not started"

# --- pass-through and bad input --------------------------------------------------------
tomp() { "$PY" -c 'import sys, json, msgpack
for l in sys.stdin: sys.stdout.buffer.write(msgpack.packb(json.loads(l), use_bin_type=True))'; }
d='{"class":0,"score":0.9,"bbox":[10,10,50,50]}'
printf '{"id":"0","detections":[%s]}\n{"id":"1","error":"darknet-forward: no image","detections":[{"class":"x"}]}\n{"id":"2","detections":[%s]}\n{"id":"3","detections":[%s]}\n' \
  "$d" "$d" "$d" | tomp > "$T/err.mp"
track "$T/err.mp" > "$T/out.mp"; rc=$?
check_eq "a record with error: exit 0" "$rc" 0
records-to-json --no-check "$T/err.mp" | sed -n 2p > "$T/a"; records-to-json --no-check "$T/out.mp" | sed -n 2p > "$T/b"
check "  ... passes through unchanged" cmp -s "$T/a" "$T/b"
idsnc() { records-to-json --no-check | jq -r '[.detections[]? | (.track_id // "-" | tostring)] | join(" ")' | tr '\n' '|'; }
check_eq "  ... and is a frame in which nothing was seen: the tentative track of frame 0 ends" \
  "$(idsnc < "$T/out.mp")" "-|-|-|-|"
check_eq "  ... --min-hits 2: a new track from frame 2, id 1 at frame 3" \
  "$(track --min-hits 2 "$T/err.mp" | idsnc)" "-|-|-|1|"

bad() { printf '{"id":"0","detections":[%s]}\n{"id":"1","detections":[%s]}\n' "$d" "$1" | tomp; }
bad '{"class":1,"score":"high","bbox":[0,0,1,1]}' > "$T/bad.mp"
track "$T/bad.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_eq "bad entry: exit 0 without --strict, both records written" "$rc $(records-to-json --no-check "$T/out.mp" | wc -l | tr -d ' ')" "0 2"
check_match "bad entry: 'error' set naming the record and key" \
  "$(records-to-json --no-check "$T/out.mp" | sed -n 2p | jq -r .error)" "^track: .*record 1: key 'detections\[0\]': 'score' is missing or not a finite number$"
check_match "bad entry: a warning and a count" "$(tr '\n' ' ' < "$T/err")" "1 record set to 'error' $"
track --strict "$T/bad.mp" > "$T/out.mp" 2> "$T/err"; rc=$?
check_match "--strict: exit 2 naming the record and key" "$rc $(cat "$T/err")" \
  "^2 track: .*record 1: key 'detections\[0\]': 'score' .*--strict"
check_eq "--strict: the record before it written, nothing of the bad one" \
  "$(records-to-json "$T/out.mp" | jq -r .id | tr '\n' ' ')" "0 "
for spec in '{"class":1,"score":0.5,"bbox":[5,0,1,1]}|bbox.*inverted' '{"class":-1,"score":0.5,"bbox":[0,0,1,1]}|class' \
            '{"score":0.5,"bbox":[0,0,1,1]}|class' '7|expected a map' '{"class":1,"score":0.5,"bbox":[0,0,1,"a"]}|bbox' \
            '{"class":1,"score":0.5,"bbox":[0,0,1,1],"track_id":1.5}|track_id.*not an integer'; do
  bad "${spec%%|*}" | track --strict > /dev/null 2> "$T/err"; rc=$?
  check_match "bad entry ${spec%%|*}: exit 2 naming it" "$rc $(cat "$T/err")" "^2 track: .*record 1: key 'detections\[0\]': .*${spec##*|}"
done
printf '{"id":"0","detections":[]}\n{"id":"1","width":3}\n' | tomp | track --strict > /dev/null 2> "$T/err"; rc=$?
check_match "a record without detections: exit 2 with --strict" "$rc $(cat "$T/err")" \
  "^2 track: .*record 1: key 'detections': missing: track needs every frame's detections"
printf '{"id":"0","detections":5}\n' | tomp | track --strict > /dev/null 2> "$T/err"; rc=$?
check_match "detections not a list: exit 2" "$rc $(cat "$T/err")" "^2 track: .*record 0: key 'detections'"
for o in "--iou 0" "--iou 2" "--method deepsort" "--match auction" "--min-hits 0" "--max-age -1" \
         "--max-tracks 0" "--low 0.6" "--high x"; do
  # shellcheck disable=SC2086
  track $o < /dev/null > /dev/null 2> "$T/err"; rc=$?
  check_match "track $o: usage error" "$rc $(head -1 "$T/err")" "^1 track: "
done
check_eq "empty input: empty output" "$(track < /dev/null | wc -c | tr -d ' ')" 0

# --- CLEAR MOT on objects along paths -----------------------------------------------
# 8 objects over 150 frames (docs/detection.md has 12 over 600, 3 seeds); the
# floors are a few points under what this run gives, to catch a regression
"$PY" "$SYN" paths --seed 7 --frames 150 --objects 8 "$T/truth.jsonl" > "$T/paths.mp"
mot() { track "$@" "$T/paths.mp" | "$PY" "$SYN" score "$T/truth.jsonl"; }
bt=$(mot); so=$(mot --method sort)
echo "# bytetrack: $bt"; echo "# sort: $so"
check "paths, bytetrack: MOTA >= 0.6, ID switches <= 4" \
  [ "$(echo "$bt" | jq '.mota >= 0.6 and .id_switches <= 4')" = true ]
check "paths: bytetrack's MOTA above sort's (low scores used)" \
  [ "$(jq -n --argjson a "$bt" --argjson b "$so" '$a.mota > $b.mota')" = true ]
done_testing
