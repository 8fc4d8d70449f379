#!/bin/sh
# track's CLEAR MOT scores on synthetic streams (tests/stage/track-synth.py):
# OBJECTS objects of synth-voc's five shape classes moving along paths
# (straight, bouncing off the edges, slowly turning) in a 640 x 480 frame for
# FRAMES frames, entering and leaving; the detections are the true boxes with
# noise, misses (more when covered), low scores while partly covered, and
# false positives. No detector and no pictures: the boxes are made directly.
# For each seed: bytetrack and sort, Hungarian and greedy, at the defaults,
# and the oracle rows (the truth's ids on every detection scoring >= 0 and
# >= 0.5: what a tracker could reach with these detections). A table on
# stdout, in docs/detection.md.
#     sh bench/track.sh    knobs: SEEDS ("1 2 3"), FRAMES (600), OBJECTS (12), BIN (bin)
set -eu
: "${SEEDS:=1 2 3}" "${FRAMES:=600}" "${OBJECTS:=12}" "${BIN:=bin}"
PY=/usr/bin/python3
SYN=$(cd "$(dirname "$0")/.." && pwd)/tests/stage/track-synth.py
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
echo "| seed | tracker | MOTA | MOTP | ID switches | ids (objects) | misses | false positives | truth boxes |"
echo "|---|---|---|---|---|---|---|---|---|"
row() {
  jq -r --arg s "$1" --arg t "$2" \
    '"| \($s) | \($t) | \(.mota) | \(.motp) | \(.id_switches) | \(.ids) (\(.objects)) | \(.misses) | \(.false_positives) | \(.truth) |"'
}
for s in $SEEDS; do
  "$PY" "$SYN" paths --seed "$s" --frames "$FRAMES" --objects "$OBJECTS" "$T/truth" > "$T/in.mp"
  for m in bytetrack sort; do
    for a in hungarian greedy; do
      "$BIN/track" --method "$m" --match "$a" "$T/in.mp" | "$PY" "$SYN" score "$T/truth" | row "$s" "$m, $a"
    done
  done
  for o in 0 0.5; do
    "$PY" "$SYN" oracle "$o" < "$T/in.mp" | "$PY" "$SYN" score "$T/truth" | row "$s" "oracle, scores >= $o"
  done
done
