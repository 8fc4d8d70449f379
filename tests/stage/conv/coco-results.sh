# coco-results reads detection records with COCO ids: coco-parse's records of
# the tests/eval fixture with its detections merged in (111 results), once and
# 40 times over.
coco-parse --quiet tests/eval/coco-gt.json | records-to-json \
  | jq -c --slurpfile d tests/eval/coco-dets.jsonl \
      '.id as $id | .detections = ([$d[] | select(.id == $id)][0].detections)' \
  | json-to-records > "$T/cr-small.mp"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40; do
  cat "$T/cr-small.mp"
done > "$T/cr-big.mp"
small="--quiet $T/cr-small.mp"
big="--quiet $T/cr-big.mp"
