#!/bin/sh
# Runs every unit test binary and every stage test script, counts the TAP
# lines they print, and ends with "N passed, N failed". A test program that
# dies without saying "not ok" (a crash, a sanitizer report) counts as one
# failure. Logs go to $BUILD/test-logs/.
set -u
: "${BIN:=bin}" "${BUILD:=build/release}" "${MODE:=release}"
export BIN BUILD MODE
logs=$BUILD/test-logs
rm -rf "$logs"; mkdir -p "$logs"
passed=0; failed=0

run_one() {
  name=$1; shift
  log=$logs/$name.log
  start=$(date +%s)
  "$@" >"$log" 2>&1
  rc=$?
  p=$(grep -c '^ok ' "$log"); f=$(grep -c '^not ok ' "$log")
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    f=1; echo "not ok - $name exited with status $rc" >>"$log"
  fi
  passed=$((passed + p)); failed=$((failed + f))
  printf '%-34s %4d passed %3d failed  %3ds\n' "$name" "$p" "$f" $(( $(date +%s) - start ))
  [ "$f" = 0 ] || grep -E '^(not ok|#   )' "$log" | head -20 | sed 's/^/    /'
  [ "$f" = 0 ] || { [ "$rc" = 0 ] || tail -5 "$log" | sed 's/^/    | /'; }
}

for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  run_one "$(basename "$t")" "$t"
done
for t in tests/stage/test_*.sh; do
  [ -f "$t" ] || continue
  run_one "$(basename "$t" .sh)" sh "$t"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
