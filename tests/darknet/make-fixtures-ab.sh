#!/bin/sh
# The AlexeyAB half of `make check-darknet ALEXEYAB=DIR`: runs ab-harness
# (darknet-harness.c with ab-side.c, linked to DIR/libdarknet.so) and
# rewrites the fixtures tests/unit/test_network.c and tests/stage/test_nms.sh
# check without it:
#   yolov4-tiny.shapes, yolov4-tiny-3l.shapes, yolov4.shapes,
#   yolov3-tiny-prn.shapes   per-layer shapes and counts at the cfg's size
#   ab-mixed.fwd             tests/fixtures/ab-mixed.cfg at 48x48 (every
#                            AlexeyAB option this project implements), every
#                            layer's output on a seeded random input
#   yolov4-tiny-96-dog.fwd   yolov4-tiny at 96x96 on dog-96.ppm
#   boxes-v4tiny-dog.{mp,txt}  its detector path (get_network_boxes, then the
#   boxes-v4-dog.{mp,txt}      NMS of the cfg's nms_kind: DIoU for greedynms)
#                            on dog.jpg: yolov4-tiny 128x128 stretched (its
#                            default), yolov4 96x96 letterboxed (letter_box=1)
# The weights of all of them are written by ab-weights.py (numpy), not by
# this project's weights_write; the .fwd fixtures say so, and the test makes
# them again from the seed. Then compares the whole networks at larger sizes
# without keeping a fixture, and reports how far AlexeyAB's image resize and
# letterbox are from ours (they differ by design: not a failure).
# Exits non-zero if any layer or box differs.
set -u
: "${HARNESS:=build/release/darknet/ab-harness}"
: "${BIN:=bin}"
PY=/usr/bin/python3
CFGS=tests/data/cfg
FX=tests/fixtures
fail=0
tmp=$(mktemp -d)
log="$tmp/log"
run() {
  "$HARNESS" "$@" >"$log" 2>/dev/null || { echo "FAILED: $*"; fail=1; }
  grep -E '^(worst|forward|[^ ].*parameters)| > 1e-4|DIFFERS' "$log"
}
weights() { # CFG SEED -> $tmp/NAME-SEED.weights
  w="$tmp/$(basename "$1" .cfg)-$2.weights"
  [ -f "$w" ] || "$PY" tests/darknet/ab-weights.py "$1" "$2" "$w" || { echo "FAILED: ab-weights.py $1"; fail=1; }
  echo "$w"
}

for n in yolov4-tiny yolov4-tiny-3l yolov4 yolov3-tiny-prn; do
  run shapes "$CFGS/$n.cfg" "$FX/$n.shapes"
done
run forward "$FX/ab-mixed.cfg" 48 48 3 "$FX/ab-mixed.fwd" - "$(weights "$FX/ab-mixed.cfg" 3)"
run forward "$CFGS/yolov4-tiny.cfg" 96 96 1 "$FX/yolov4-tiny-96-dog.fwd" "$FX/dog-96.ppm" \
  "$(weights "$CFGS/yolov4-tiny.cfg" 1)"
# AlexeyAB's AVX maxpool skips columns at the left edge for a stride-1 window
# on maps of 8 + size columns or more (tests/darknet/README.md): yolov4's SPP
# (13x13 windows) is compared at 128x128, where its map is 4x4
for spec in "yolov4 128" "yolov4-tiny 416" "yolov4-tiny-3l 416" "yolov3-tiny-prn 416"; do
  set -- $spec
  run forward "$CFGS/$1.cfg" "$2" "$2" 1 "$tmp/$1.fwd" - "$(weights "$CFGS/$1.cfg" 1)"
done
boxes() { # NAME CFG SIZE GAIN MODE THRESH NMS
  "$HARNESS" boxes "$CFGS/$2.cfg" "$3" "$3" 1 "$4" tests/data/images/dog.jpg "$5" "$6" "$7" \
    "$FX/boxes-$1.mp" "$FX/boxes-$1.txt" "$(weights "$CFGS/$2.cfg" 1)" 2>/dev/null | tail -1 ||
    { echo "FAILED: boxes $1"; fail=1; }
}
boxes v4tiny-dog yolov4-tiny 128 0.5 resize 0.3 0.45
boxes v4-dog yolov4 96 2 letterbox 0.38 0.45
"$HARNESS" letterbox tests/data/images/dog.jpg "$tmp/letterbox.fix" >"$log" 2>/dev/null
echo "AlexeyAB's image code against ours (common/image/image.c) on dog.jpg; expected to differ:"
sed 's/^/  /' "$log"
out=$(BIN="$BIN" BUILD=build/release sh tests/stage/test_nms.sh) || fail=1
printf '%s\n' "$out" | grep -E '^not ok|v4.*equals'
rm -rf "$tmp"
[ "$fail" = 0 ] && echo "check-darknet: every layer and box agrees with AlexeyAB's libdarknet" ||
  echo "check-darknet: AlexeyAB's: FAILED"
exit "$fail"
