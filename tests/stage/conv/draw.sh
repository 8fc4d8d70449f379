# draw needs JPEGs to draw on and --out to write them: a synth-voc dataset of
# 3 small images, read by voc-parse (records of over 100 bytes each, so that
# `head -c 100` stops it early). It passes the records on to stdout. It
# cannot run without --out or --sheet, so a bare missing file argument is a
# usage error (exit 1) before the file is looked at: test_draw.sh checks a
# missing file with --out instead.
synth-voc --out "$T/draw-sv" --count 3 --size 64x64 --min-size 0.1 --force --quiet
voc-parse --quiet -c "$T/draw-sv/classes.names" "$T/draw-sv" > "$T/draw-in.mp"
small="--quiet --truth --out $T/draw-out $T/draw-in.mp"
big=$small
no_missing_file=1
