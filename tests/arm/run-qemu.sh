#!/bin/sh
# The unit tests on aarch64: cross-compiles the library and tests/unit/ for
# arm64 (where only the generic kernel family exists) into build/aarch64/ and
# runs each test binary under qemu-user, from the top of the repository as
# tests/run.sh does. Not part of `make test` (qemu is 10-50x slower); run by
# hand:  sh tests/arm/run-qemu.sh [test_gemm test_network ...]
# Needs Debian's gcc-aarch64-linux-gnu and qemu-user, and the arm64 builds of
# the libraries (multiarch); what is missing is named with the command that
# installs it. Ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 3
CC=${CC:-aarch64-linux-gnu-gcc}
B=build/aarch64
ML=/usr/lib/aarch64-linux-gnu
PC="env PKG_CONFIG_LIBDIR=$ML/pkgconfig:$ML/openblas-openmp/pkgconfig pkg-config"
PKGS="msgpack yajl libxml-2.0 libturbojpeg libjpeg openblas"
if ! command -v "$CC" >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  echo "missing: $CC or qemu-aarch64 (apt-get install gcc-aarch64-linux-gnu qemu-user)"; exit 3
fi
if ! $PC --exists $PKGS 2>/dev/null; then
  echo "missing: the arm64 libraries (dpkg --add-architecture arm64 && apt-get update &&" \
       "apt-get install libmsgpack-dev:arm64 libyajl-dev:arm64 libxml2-dev:arm64" \
       "libturbojpeg0-dev:arm64 libjpeg62-turbo-dev:arm64 libopenblas-openmp-dev:arm64 libgomp1:arm64)"
  exit 3
fi
CFLAGS="-std=c11 -g -O2 -ffp-contract=off -Wall -Wextra -Iinclude -D_POSIX_C_SOURCE=200809L -fopenmp $($PC --cflags $PKGS)"
LIBS="$($PC --libs $PKGS) -Wl,-rpath,$ML/openblas-openmp -lm"
mkdir -p "$B/obj" "$B/tests"
objs=
for src in common/*/*.c common/*/*/*.c; do
  obj=$B/obj/$(echo "$src" | tr / _).o
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
    $CC $CFLAGS -c "$src" -o "$obj" || { echo "not ok - $src does not compile for aarch64"; exit 1; }
  fi
  objs="$objs $obj"
done
rm -f "$B/libyolo.a"; ar rcs "$B/libyolo.a" $objs
names=${*:-$(ls tests/unit/test_*.c | sed 's|tests/unit/||; s|\.c$||')}
passed=0; failed=0; skipped=0
for t in $names; do
  $CC $CFLAGS "tests/unit/$t.c" "$B/libyolo.a" $LIBS -fopenmp -o "$B/tests/$t" ||
    { echo "not ok - $t does not link for aarch64"; failed=$((failed + 1)); continue; }
  start=$(date +%s)
  qemu-aarch64 "$B/tests/$t" > "$B/tests/$t.log" 2>&1; rc=$?
  s=$(grep -c '^ok .*# SKIP' "$B/tests/$t.log"); p=$(( $(grep -c '^ok ' "$B/tests/$t.log") - s ))
  f=$(grep -c '^not ok ' "$B/tests/$t.log")
  [ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  printf '%-24s %4d passed %3d failed %3d skipped  %4ds (aarch64, qemu)\n' "$t" "$p" "$f" "$s" \
    $(( $(date +%s) - start ))
  [ "$f" = 0 ] || grep '^not ok' "$B/tests/$t.log" | head -5 | sed 's/^/    /'
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
