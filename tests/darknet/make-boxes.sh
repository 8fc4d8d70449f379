#!/bin/sh
# Rewrites the rescale/nms fixtures tests/fixtures/boxes-*.{mp,txt} with
# libdarknet's detector path (darknet-harness boxes, built by `make
# check-darknet`), then checks `rescale | nms` against them as
# tests/stage/test_nms.sh does. Each fixture: one record with the raw head
# inputs and the transform darknet used on a real image (seeded random
# weights; the layer feeding each head scaled so that a few dozen to a few
# hundred pairs pass the threshold and NMS has work), and darknet's pairs
# after get_network_boxes ("pre") and do_nms_sort ("nms").
#   boxes-v2-dog    yolov2-tiny-voc 192x192, dog.jpg letterboxed, default NMS .45
#   boxes-v3-dog    yolov3-tiny 96x96 (two yolo heads), dog.jpg letterboxed
#   boxes-v1-dog    yolov1-tiny 192x192, dog.jpg resized (darknet's v1 decoding
#                   ignores letterboxing: its `yolo test` resizes)
#   boxes-v2-eagle  yolov2-tiny-voc 96x96, eagle.jpg letterboxed to 96x63: the
#                   odd margin (33 px) that darknet's correct_region_boxes
#                   takes as 16.5 px where letterbox_image put the image at 16
# Run from the top of the repository with bin/ built.
set -u
: "${HARNESS:=build/release/darknet/darknet-harness}"
CFGS=tests/data/cfg
IMGS=${IMGS:-../shared/data/images}   # eagle.jpg is not in tests/data: the tests read only the fixtures made here
FX=tests/fixtures
fail=0
make_one() { # NAME CFG SIZE GAIN IMAGE MODE THRESH NMS
  "$HARNESS" boxes "$CFGS/$2.cfg" "$3" "$3" 1 "$4" "$IMGS/$5" "$6" "$7" "$8" \
    "$FX/boxes-$1.mp" "$FX/boxes-$1.txt" 2>/dev/null | tail -1 || { echo "FAILED: $1"; fail=1; }
}
make_one v2-dog yolov2-tiny-voc 192 0.5 dog.jpg letterbox 0.3 0.45
make_one v3-dog yolov3-tiny 96 0.1 dog.jpg letterbox 0.38 0.3
make_one v1-dog yolov1-tiny 192 0.3 dog.jpg resize 1 0.1
make_one v2-eagle yolov2-tiny-voc 96 1 eagle.jpg letterbox 0.2 0.3
out=$(BIN=bin BUILD=build/release sh tests/stage/test_nms.sh) || fail=1
printf '%s\n' "$out" | grep -E '^not ok|equals darknet'
[ "$fail" = 0 ] && echo "make-boxes: rescale | nms agrees with libdarknet" || echo "make-boxes: FAILED"
exit "$fail"
