#!/usr/bin/env bash
# Splits a VOC-layout dataset's annotated images into train, val and test
# lists by seeded ratios: writes DATASET/ImageSets/Main/{train,val,trainval,test}.txt,
# the lists voc-parse --split reads (train.sh -s, -v; val.sh; eval.sh).
#
#   pipelines/split.sh [--ratios T,V,E] [--seed S] [-f|--force] [-q] DATASET
#
# --ratios: train, val and test proportions, three non-negative numbers
# (default 0.8,0.1,0.1; they need not add up to 1: 8,1,1 is the same); of N
# images, train gets round(N T / (T+V+E)), train and val together
# round(N (T+V) / (T+V+E)), test the rest. --seed: which images go where
# (default 1, an integer in [0, 2147483646]): the same dataset and seed give
# the same lists on any machine. -f: overwrite lists that are there (without
# it an existing list is an error). -q: only errors on stderr.
# The images are those voc-parse reads from DATASET's Annotations/*.xml (an
# annotation whose image is missing or unreadable is left out, as are the
# images in JPEGImages/ without an annotation; both counted on stderr). Each
# list is in the ids' byte order. Stages come from $BIN (bin/). Exit status:
# 0 ok, 1 usage (or a list there without -f), 2 bad input, 3 I/O.
set -euo pipefail
me=split.sh
here=$(cd "$(dirname "$0")" && pwd)
PATH="${BIN:-$here/../bin}:$PATH"
usage() { { printf 'Usage:'; sed -n '6p' "$0" | sed 's/^# \{0,1\}//'
            echo "Try '$me --help' for more information."; } >&2; exit 1; }
die() { local rc=$1; shift; echo "$me: $*" >&2; exit "$rc"; }
say() { [ -n "$quiet" ] || echo "$me: $*" >&2; }

ratios=0.8,0.1,0.1 seed=1 force= quiet=
while [ $# -gt 0 ]; do
  case $1 in
    --ratios|--seed) [ $# -ge 2 ] || { echo "$me: option $1 needs a value" >&2; usage; } ;;
  esac
  case $1 in
    --ratios) ratios=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -f|--force) force=1; shift ;;
    -q|--quiet) quiet=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) echo "$me: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || usage
data=${1%/}
num='([0-9]+([.][0-9]*)?|[.][0-9]+)'
[[ $ratios =~ ^$num,$num,$num$ ]] && awk -v r="$ratios" 'BEGIN { split(r, a, ","); exit !(a[1] + a[2] + a[3] > 0) }' ||
  die 1 "--ratios: '$ratios' is not three non-negative numbers TRAIN,VAL,TEST, not all 0"
[[ $seed =~ ^[0-9]+$ ]] && [ "${#seed}" -le 10 ] && [ "$seed" -le 2147483646 ] ||
  die 1 "--seed: '$seed' is not an integer in [0, 2147483646]"
[ -d "$data" ] || die 2 "$data: no such dataset folder"
[ -d "$data/Annotations" ] || die 2 "$data: no Annotations/ folder (a VOC-layout dataset has Annotations/ and JPEGImages/)"
lists=$data/ImageSets/Main
if [ -z "$force" ]; then
  for s in train val trainval test; do
    [ ! -e "$lists/$s.txt" ] || die 1 "$lists/$s.txt is there already: -f (--force) writes over the lists"
  done
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/split.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# the images voc-parse reads (every annotation, no split); the class list
# does not matter here, so its complaint about one (status 2 after every
# record) does not stop the split
names=()
[ ! -f "$data/classes.names" ] || names=(--classes "$data/classes.names")
vq=()
[ -z "$quiet" ] || vq=(-q)
rc=0
voc-parse ${vq[@]+"${vq[@]}"} ${names[@]+"${names[@]}"} "$data" > "$tmp/recs.mp" || rc=$?
records-to-json -q "$tmp/recs.mp" > "$tmp/recs.json" || die 3 "records-to-json failed"
nrec=$(grep -c . "$tmp/recs.json" || true)
case $rc in 0|2) ;; *) die "$rc" "voc-parse failed (status $rc; its message above)" ;; esac
[ "$nrec" -gt 0 ] || die 2 "$data: no annotated image voc-parse can read (Annotations/*.xml with their images; its messages above)"
[ "$rc" -eq 0 ] || say "(the class list voc-parse complains of does not matter to the split; training needs the dataset's, DATASET/classes.names)"
sed -n 's/^{"id":"\([^"\\]*\)",.*/\1/p' "$tmp/recs.json" | LC_ALL=C sort -u > "$tmp/ids"
nid=$(grep -c . "$tmp/ids" || true)
[ "$nid" -eq "$nrec" ] || die 2 "$data: $nrec images read, $nid distinct plain ids: an id with a quote or backslash, or twice"

# what is left out: annotations voc-parse skipped, images without annotation
nxml=$(find "$data/Annotations" -maxdepth 1 -type f -name '*.xml' ! -name '.*' | grep -c . || true)
noann=0
if [ -d "$data/JPEGImages" ]; then
  find "$data/JPEGImages" -maxdepth 1 -type f ! -name '.*' -printf '%f\n' | sed 's/\.[^.]*$//' | LC_ALL=C sort -u > "$tmp/imgs"
  find "$data/Annotations" -maxdepth 1 -type f -name '*.xml' ! -name '.*' -printf '%f\n' | sed 's/\.xml$//' |
    LC_ALL=C sort -u > "$tmp/xmls"
  noann=$(LC_ALL=C comm -23 "$tmp/imgs" "$tmp/xmls" | grep -c . || true)
fi

# Fisher-Yates over the sorted ids with Park and Miller's minimal standard
# generator (exact in any awk's doubles: the same lists everywhere)
awk -v seed="$seed" -v ratios="$ratios" -v dir="$tmp" '
  function draw() { x = (x * 48271) % 2147483647; return x }
  { id[n++] = $0 }
  END {
    x = seed % 2147483646 + 1
    for (i = 0; i < 10; i++) draw()
    for (i = n - 1; i > 0; i--) { j = draw() % (i + 1); t = id[i]; id[i] = id[j]; id[j] = t }
    split(ratios, r, ","); sum = r[1] + r[2] + r[3]
    n0 = int(n * r[1] / sum + 0.5); n01 = int(n * (r[1] + r[2]) / sum + 0.5)
    for (k = 0; k < n; k++) print id[k] > (dir "/" (k < n0 ? "train" : k < n01 ? "val" : "test"))
  }
' "$tmp/ids"
for s in train val test; do
  touch "$tmp/$s"
  LC_ALL=C sort "$tmp/$s" > "$tmp/$s.txt"
done
LC_ALL=C sort "$tmp/train" "$tmp/val" > "$tmp/trainval.txt"
mkdir -p "$lists" || die 3 "$lists: cannot make it"
for s in train val trainval test; do
  cp "$tmp/$s.txt" "$lists/.$s.txt.tmp" && mv "$lists/.$s.txt.tmp" "$lists/$s.txt" || die 3 "$lists/$s.txt: cannot write it"
done
count() { grep -c . "$tmp/$1.txt" || true; }
say "$data: $nid annotated images: train $(count train), val $(count val), test $(count test)" \
    "(ratios $ratios, seed $seed) in $lists/{train,val,trainval,test}.txt"
[ "$nxml" -eq "$nid" ] || say "left out: $((nxml - nid)) of the $nxml annotations (voc-parse could not use them: its warnings above)"
[ "$noann" -eq 0 ] || say "left out: $noann image$([ "$noann" -eq 1 ] || echo s) in JPEGImages/ without an annotation"
