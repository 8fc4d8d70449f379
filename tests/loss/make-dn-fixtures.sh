#!/bin/sh
# Rewrites tests/loss/dn-*.mp: gradients from Debian's libdarknet (the darknet
# package: /usr/lib/darknet) for the darknet formulations of yolo-loss. Builds
# tests/loss/dn-loss.c in a scratch folder; see that file for the conversion.
#     sh tests/loss/make-dn-fixtures.sh
set -eu
DN=${DARKNET_DIR:-/usr/lib/darknet}
OUT=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cc -std=c11 -O2 -Wall -Wextra -D_DEFAULT_SOURCE -I"$DN/include" "$OUT/dn-loss.c" \
  -L"$DN" -Wl,-rpath,"$DN" -ldarknet -lmsgpackc -lm -o "$TMP/dn-loss"
"$TMP/dn-loss" region 1 4 "$OUT/dn-region.mp" > "$TMP/log" 2>&1 || { cat "$TMP/log"; exit 1; }
"$TMP/dn-loss" region-warm 2 3 "$OUT/dn-region-warm.mp" > "$TMP/log" 2>&1 || { cat "$TMP/log"; exit 1; }
"$TMP/dn-loss" yolo 3 4 "$OUT/dn-yolo.mp" > "$TMP/log" 2>&1 || { cat "$TMP/log"; exit 1; }
"$TMP/dn-loss" detection 4 5 "$OUT/dn-detection.mp" > "$TMP/log" 2>&1 || { cat "$TMP/log"; exit 1; }
echo "wrote $OUT/dn-region.mp dn-region-warm.mp dn-yolo.mp dn-detection.mp"
