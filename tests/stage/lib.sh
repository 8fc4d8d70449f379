# Shared by the stage tests: TAP-style lines counted by tests/run.sh.
# BIN (the stages), BUILD (test tools) and T (a scratch folder) are set here.
set -u
: "${BIN:=bin}" "${BUILD:=build/release}"
BIN=$(cd "$BIN" && pwd)
TOOLS=$(cd "$BUILD/tools" 2>/dev/null && pwd || echo "$BUILD/tools")
PATH="$BIN:$PATH"
T=$(mktemp -d "${TMPDIR:-/tmp}/yolo-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
_n=0
_failed=0
ok()   { _n=$((_n + 1)); echo "ok $_n - $1"; }
fail() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $1"; [ $# -gt 1 ] && printf '#   %s\n' "$2"; return 0; }
# check DESC CMD...: passes when CMD succeeds
# skip DESC REASON: a check that cannot run here (TAP's "# SKIP"): counted
# by tests/run.sh as skipped, never as passed
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }
check() { _d=$1; shift; if "$@"; then ok "$_d"; else fail "$_d"; fi; }
# check_eq DESC GOT WANT
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got '$2', want '$3'"; fi; }
# check_match DESC TEXT PATTERN (grep -E)
check_match() { if printf '%s' "$2" | grep -Eq -- "$3"; then ok "$1"; else fail "$1" "'$2' does not match /$3/"; fi; }
done_testing() { echo "# $_n checks, $_failed failed"; [ "$_failed" = 0 ]; }
