#!/bin/sh
# Runs the libdarknet harness (built by `make check-darknet`) and rewrites
# the fixtures in tests/fixtures/ that tests/unit/test_network.c checks:
#   NAME.shapes   per-layer shapes and counts at the cfg's own size, for every
#                 cfg in tests/data/cfg
#   NAME.fwd      the same plus darknet's per-layer outputs (max |x|, sum |x|,
#                 16 samples) with seeded random weights, on a seeded random
#                 input or on dog-96.ppm (darknet's dog.jpg at 96x96)
#   letterbox-dog.fix  dog.jpg decoded by us, resized and letterboxed by
#                 darknet at six sizes (64 samples each, and each max
#                 |ours - darknet|), and whether darknet's decode equals ours
# then compares the large networks in full without keeping a fixture.
# Exits non-zero if any layer differs from darknet.
set -u
: "${HARNESS:=build/release/darknet/darknet-harness}"
CFGS=tests/data/cfg
FX=tests/fixtures
fail=0
log=$(mktemp)
run() {
  "$HARNESS" "$@" >"$log" 2>/dev/null || { echo "FAILED: $*"; fail=1; }
  grep -E '^(worst|forward|[^ ].*parameters)| > 1e-4|DIFFERS' "$log"
}

for c in "$CFGS"/*.cfg; do
  n=$(basename "$c" .cfg)
  case $n in yolov4*|yolov3-tiny-prn) continue ;; esac   # AlexeyAB's: make-fixtures-ab.sh
  run shapes "$c" "$FX/$n.shapes"
done
run forward "$FX/mixed-a.cfg" 0 0 7 "$FX/mixed-a.fwd"
# darknet reads these weights with connected layers transposed ([in, out])
run forward "$FX/mixed-b.cfg" 0 0 7 "$FX/mixed-b.fwd" - 0.1001
run forward "$CFGS/yolov2-tiny-voc.cfg" 128 128 1 "$FX/yolov2-tiny-voc-128.fwd"
run forward "$CFGS/yolov3-tiny.cfg" 128 128 1 "$FX/yolov3-tiny-128.fwd"
# a real image: darknet's dog.jpg, decoded and resized by darknet, kept as 8-bit
"$HARNESS" image /usr/share/darknet/data/dog.jpg 96 96 "$FX/dog-96.ppm" || fail=1
run forward "$CFGS/yolov3-tiny.cfg" 96 96 11 "$FX/yolov3-tiny-96-dog.fwd" "$FX/dog-96.ppm"
run forward "$CFGS/yolov2-tiny-voc.cfg" 96 96 12 "$FX/yolov2-tiny-voc-96-dog.fwd" "$FX/dog-96.ppm"
# our decode of dog.jpg, resized and letterboxed by darknet and by us
"$HARNESS" letterbox tests/data/images/dog.jpg "$FX/letterbox-dog.fix" || { echo "FAILED: letterbox"; fail=1; }
tmp=$(mktemp -d)
for spec in "yolov2-voc 128 128" "yolov2 128 128" "yolov3 128 128" "yolov3-spp 128 128" \
            "yolov1 128 128" "yolov1-tiny 128 128" "darknet19 64 64" "darknet53 64 64" \
            "yolov3-tiny 416 416"; do
  set -- $spec
  run forward "$CFGS/$1.cfg" "$2" "$3" 1 "$tmp/$1.fwd"
done
rm -rf "$tmp" "$log"
[ "$fail" = 0 ] && echo "check-darknet: every layer agrees with libdarknet" || echo "check-darknet: FAILED"
exit "$fail"
