# encode-targets needs images with objects and a cfg for the heads: a
# synth-voc dataset of 3 small images read by voc-parse, encoded for
# tests/fixtures/synth-tiny.cfg (96x96 inputs of 110 KB each, more than
# `head -c 100` reads). --quiet leaves out the closing count of boxes. It
# needs --cfg before it looks at its inputs, so a bare missing file is a
# usage error: test_encode_targets.sh checks a missing file with --cfg.
synth-voc --out "$T/et-sv" --count 3 --size 64x64 --min-size 0.1 --force --quiet
voc-parse --quiet -c "$T/et-sv/classes.names" "$T/et-sv" > "$T/et-in.mp"
small="--quiet --cfg tests/fixtures/synth-tiny.cfg $T/et-in.mp"
big=$small
no_missing_file=1
