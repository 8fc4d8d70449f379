# nms reads detections: the libdarknet fixture decoded by rescale (when it is
# built; otherwise the plain records pass through), once and 40 times over.
if [ -x "$BIN/rescale" ]; then
  "$BIN/rescale" --quiet --thresh 0.3 tests/fixtures/boxes-v2-dog.mp > "$T/nms-small.mp"
else
  cp "$T/in.mp" "$T/nms-small.mp"
fi
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40; do
  cat "$T/nms-small.mp"
done > "$T/nms-big.mp"
small="--quiet $T/nms-small.mp"
big="--quiet $T/nms-big.mp"
