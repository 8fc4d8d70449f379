#!/bin/sh
# `make fuzz`: checks for clang with libFuzzer and OpenMP (installing them
# as root, as scripts/deps.sh does, else printing the apt-get command and
# skipping every harness), builds the harnesses (`make fuzz-build`), makes
# the seeds (make-seeds.sh), runs each harness for FUZZ_SECONDS seconds in
# turn, and ends with "N passed, N failed, N skipped". A harness passes when
# libFuzzer ends by its time limit; a crash, sanitizer report, leak, timeout
# or out-of-memory fails it, and the input that did it is named (under
# $FUZZ_DIR/crashes/HARNESS/). Logs: $FUZZ_DIR/logs/HARNESS.log.
# Usage: tests/fuzz/run.sh HARNESS... (names of tests/fuzz/*.c without .c)
set -u
: "${FUZZ_SECONDS:=60}" "${FUZZ_DIR:=build/fuzz}" "${FUZZ_CC:=clang}" "${MAKE:=make}"
: "${FUZZ_TIMEOUT:=10}" "${FUZZ_RSS_MB:=2048}"
passed=0 failed=0 skipped=0
summary() {
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" = 0 ]
  exit
}
# every harness counted as skipped (or failed), with the reason
all() {
  kind=$1; shift; echo "fuzz: $*"
  for h in $harnesses; do
    printf '%-16s %s\n' "$h" "$kind"
    if [ "$kind" = skipped ]; then skipped=$((skipped + 1)); else failed=$((failed + 1)); fi
  done
  summary
}
harnesses=$*
case $FUZZ_SECONDS in ''|*[!0-9]*) echo "fuzz: FUZZ_SECONDS=$FUZZ_SECONDS is not a number of seconds"; exit 1 ;; esac

# --- clang, its libFuzzer and sanitizer runtimes, its OpenMP ---------------------
probe=$FUZZ_DIR/probe
missing=""
check_clang() {
  missing=""
  mkdir -p "$probe"
  if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
    missing=" clang libclang-rt-dev libomp-dev"
    return
  fi
  printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; return n == 7; }\n' > "$probe/f.c"
  "$FUZZ_CC" -fsanitize=fuzzer,address,undefined "$probe/f.c" -o "$probe/f" >/dev/null 2>&1 ||
    missing=" libclang-rt-dev"
  printf '#include <omp.h>\nint main(void) { return omp_get_max_threads() < 1; }\n' > "$probe/o.c"
  "$FUZZ_CC" -fopenmp "$probe/o.c" -o "$probe/o" >/dev/null 2>&1 || missing="$missing libomp-dev"
}
check_clang
if [ -n "$missing" ]; then
  cmd="apt-get install -y --no-install-recommends$missing"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "fuzz: installing$missing"
    log=$(mktemp)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq -o DPkg::Lock::Timeout=300 >"$log" 2>&1 || true
    # shellcheck disable=SC2086
    apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends $missing \
      >>"$log" 2>&1 || { cat "$log"; echo "fuzz: '$cmd' failed"; }
    rm -f "$log"
    check_clang
    [ -z "$missing" ] ||
      all skipped "clang still cannot build a libFuzzer harness with OpenMP ($FUZZ_CC; missing:$missing)"
  else
    echo "fuzz: missing: clang with its libFuzzer runtime and OpenMP (Debian packages:$missing)"
    echo "fuzz: run:  sudo apt-get update && sudo $cmd"
    all skipped "no harness can be built without them"
  fi
fi

# --- build, seeds ---------------------------------------------------------------
echo "fuzz: building the harnesses with $FUZZ_CC in $FUZZ_DIR/"
mkdir -p "$FUZZ_DIR/logs"
if ! $MAKE --no-print-directory fuzz-build FUZZ_CC="$FUZZ_CC" >"$FUZZ_DIR/logs/build.log" 2>&1; then
  tail -20 "$FUZZ_DIR/logs/build.log" | sed 's/^/    | /'
  all failed "the build failed (log: $FUZZ_DIR/logs/build.log)"
fi
if ! sh tests/fuzz/make-seeds.sh "$FUZZ_DIR" >"$FUZZ_DIR/logs/seeds.log" 2>&1; then
  sed 's/^/    | /' "$FUZZ_DIR/logs/seeds.log" | tail -10
  echo "fuzz: some seeds could not be made (log: $FUZZ_DIR/logs/seeds.log); fuzzing with the rest"
fi

# --- one harness at a time --------------------------------------------------------
# One thread: the machine's cores are shared, and a run repeats. The
# temporary directories the harnesses make (for the entry points that take
# a path) go under a folder of this run's in /dev/shm when there is one
# (memory: fifty times the runs of a disk), else under $FUZZ_DIR/tmp; it is
# removed after each harness (one that crashed could not remove its own).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:symbolize=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
for h in $harnesses; do
  bin=$FUZZ_DIR/$h log=$FUZZ_DIR/logs/$h.log crashes=$FUZZ_DIR/crashes/$h
  corpus=$FUZZ_DIR/corpus/$h seeds=$FUZZ_DIR/seeds/$h
  mkdir -p "$crashes" "$corpus" "$seeds"
  tmp=$(mktemp -d /dev/shm/yolo-fuzz.XXXXXX 2>/dev/null) || { tmp=$FUZZ_DIR/tmp; mkdir -p "$tmp"; }
  start=$(date +%s)
  # (its process id noted, in the foreground so that ^C stops it)
  TMPDIR=$tmp sh -c 'echo $$ >"$0"; exec "$@"' "$log.pid" \
    "$bin" -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" \
    -rss_limit_mb="$FUZZ_RSS_MB" -artifact_prefix="$crashes/" -print_final_stats=1 \
    "$corpus" "$seeds" </dev/null >"$log" 2>&1
  rc=$?
  pid=$(cat "$log.pid" 2>/dev/null) && rm -f "$log.pid"
  # LLVM's OpenMP registers itself in /dev/shm and removes that at exit,
  # which a crashed harness never reaches
  rm -rf "$tmp"
  [ -n "$pid" ] && rm -f /dev/shm/__KMP_REGISTERED_LIB_"$pid"_*
  secs=$(( $(date +%s) - start ))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  units=$(find "$corpus" -type f | wc -l)
  if [ "$rc" = 0 ] && grep -q '^Done [0-9]* runs' "$log"; then
    passed=$((passed + 1))
    printf '%-16s passed   %9s runs in %3ss, coverage %s, corpus %s\n' "$h" "${runs:-?}" \
      "$secs" "${cov:-?}" "$units"
  else
    failed=$((failed + 1))
    # what went wrong: an oracle's message, UBSan's, the sanitizer's summary
    what=$(grep -m1 '^fuzz: ' "$log" || grep -m1 'runtime error: ' "$log" ||
           grep -m1 '^SUMMARY: ' "$log" || grep -m1 'ERROR: ' "$log")
    unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    printf '%-16s FAILED   exit status %s after %ss: %s\n' "$h" "$rc" "$secs" \
      "$(echo "${what:-see the log}" | sed 's/^==[0-9]*== *//' | cut -c1-240)"
    echo "    reproducer: ${unit:-none written}   log: $log"
    # the first stack, without libFuzzer's and libc's frames
    awk '/^ *#0 / { n++ } n == 1 && /^ *#[0-9]+ /' "$log" |
      grep -v -E 'libFuzzer|fuzzer::|libc\.so|_start|__libc_start|__sanitizer_print_stack|pthread_kill| raise | abort ' | head -8 |
      sed -E 's/^ *(#[0-9]+) 0x[0-9a-f]+ in /    \1 /; s/ \(BuildId: [0-9a-f]+\)//'
    [ -n "$unit" ] && echo "    replay: $bin $unit"
  fi
done
summary
