#!/bin/sh
# Writes tests/data/bccd/annotations.tar.gz: the BCCD dataset's annotations
# and split lists (Annotations/*.xml, ImageSets/Main/*.txt), byte for byte,
# from a copy of the dataset (default ../shared/data/BCCD). The pictures are
# left out (8 MB): the tests need only their names and size, and
# tests/stage/bccd.sh makes a 640x480 JPEG in their place. The archive is
# the same bytes for the same files (sorted names, no times or owners).
# Run from the top of the repository:  sh tests/data/bccd/make-archive.sh [BCCD]
set -eu
src=${1:-../shared/data/BCCD}
[ -d "$src/Annotations" ] && [ -d "$src/ImageSets/Main" ] ||
  { echo "make-archive.sh: $src: not a BCCD devkit (Annotations/, ImageSets/Main/)" >&2; exit 2; }
out=tests/data/bccd/annotations.tar.gz
tar -C "$src" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=a+r,u+w,go-w \
  -cf - Annotations ImageSets | gzip -n -9 > "$out.tmp"
mv "$out.tmp" "$out"
ls -l "$out"
