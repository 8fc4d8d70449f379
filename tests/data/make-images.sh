#!/bin/sh
# Writes the generated photos of tests/data/images/ (all but dog.jpg, which is
# darknet's): one synth-voc image each, of the sizes the tests expect, with
# synth-voc's default shapes, clutter, noise and JPEG quality. The same
# synth-voc writes the same bytes (see tests/data/README.md).
# Run from the top of the repository with the stages built: sh tests/data/make-images.sh
set -eu
: "${BIN:=bin}"
OUT=tests/data/images
tmp=$(mktemp -d "${TMPDIR:-/tmp}/make-images.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# name size seed: 773x512 as darknet's eagle.jpg and horses.jpg, 500x500 as
# giraffe.jpg, 640x424 as person.jpg; 375x500 a portrait (letterboxed
# left and right)
for spec in synth-773x512:773x512:11 synth-500x500:500x500:12 \
            synth-640x424:640x424:13 synth-375x500:375x500:14; do
  name=${spec%%:*}; rest=${spec#*:}; size=${rest%%:*}; seed=${rest#*:}
  "$BIN/synth-voc" --quiet --out "$tmp/$name" --count 1 --size "$size" --seed "$seed" \
    --noise 0
  cp "$tmp/$name/JPEGImages/000001.jpg" "$OUT/$name.jpg"
done
ls -l "$OUT"
