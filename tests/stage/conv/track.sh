# track reads frames' detections: a box moving for 30 frames (small) and
# five still boxes for 10 frames, 30 times over (big), from track-synth.py.
/usr/bin/python3 tests/stage/track-synth.py gen single > "$T/track-small.mp"
/usr/bin/python3 tests/stage/track-synth.py gen crowd > "$T/track-crowd.mp"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
  cat "$T/track-crowd.mp"
done > "$T/track-big.mp"
small="--quiet $T/track-small.mp"
big="--quiet $T/track-big.mp"
