#!/bin/sh
# Runs every unit test binary and every stage test script once per kernel
# family this CPU runs (YOLO_ISA=generic, avx2, avx512: include/yolo/net/isa.h),
# counts the TAP lines they print, and ends with "N passed, N failed, N
# skipped". "ok ... # SKIP" lines count as skipped, never as passed; a family
# this CPU lacks counts one skipped check. A test program that dies without
# saying "not ok" (a crash, a sanitizer report) counts as one failure. Logs
# go to $BUILD/test-logs/FAMILY/. ISAS="generic avx2" limits the families.
set -u
: "${BIN:=bin}" "${BUILD:=build/release}" "${MODE:=release}"
export BIN BUILD MODE
logs=$BUILD/test-logs
rm -rf "$logs"; mkdir -p "$logs"
passed=0; failed=0; skipped=0

run_one() {
  name=$1; shift
  log=$logs/$YOLO_ISA/$name.log
  start=$(date +%s)
  "$@" >"$log" 2>&1
  rc=$?
  s=$(grep -c '^ok .*# SKIP' "$log"); p=$(( $(grep -c '^ok ' "$log") - s ))
  f=$(grep -c '^not ok ' "$log")
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    f=1; echo "not ok - $name exited with status $rc" >>"$log"
  fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  printf '%-34s %4d passed %3d failed %3d skipped  %3ds\n' "$name" "$p" "$f" "$s" \
    $(( $(date +%s) - start ))
  [ "$f" = 0 ] || grep -E '^(not ok|#   )' "$log" | head -20 | sed 's/^/    /'
  [ "$f" = 0 ] || { [ "$rc" = 0 ] || tail -5 "$log" | sed 's/^/    | /'; }
}

run_family() {
  YOLO_ISA=$1; export YOLO_ISA
  mkdir -p "$logs/$YOLO_ISA"
  echo "== kernel family $YOLO_ISA"
  for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run_one "$(basename "$t")" "$t"
  done
  for t in tests/stage/test_*.sh; do
    [ -f "$t" ] || continue
    run_one "$(basename "$t" .sh)" sh "$t"
  done
}

here=$("$BUILD/tools/isa-families" --cpu) || { echo "not ok - $BUILD/tools/isa-families failed"; exit 1; }
cpu=$(echo "$here" | sed -n 2p)
here=$(echo "$here" | sed -n 1p)
ran=""; lacked=""
for fam in ${ISAS:-generic avx2 avx512}; do
  case " $here " in
    *" $fam "*) run_family "$fam"; ran="$ran $fam" ;;
    *) lacked="$lacked $fam"; skipped=$((skipped + 1))
       echo "== kernel family $fam: skipped, this CPU lacks it" ;;
  esac
done
echo "kernel families run:${ran:- none}; skipped:${lacked:- none} ($cpu)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
