# What every stage shares (common/cli/cli.c): --help and --version on stdout,
# usage errors on stderr with exit 1, SIGPIPE quiet, write errors reported
# with exit 3, no record stream onto a terminal, the progress line only on a
# terminal and not with --quiet.
. tests/stage/lib.sh
GEN="$TOOLS/gen-records"
"$GEN" -n 3 > "$T/in.mp"
records-to-json --full "$T/in.mp" > "$T/in.jsonl"
"$GEN" -n 3000 -s 16x16 > "$T/big.mp"
records-to-json --full "$T/big.mp" > "$T/big.jsonl"

# How to run each stage on valid input: tests/stage/conv/STAGE.sh, sourced
# with $T, $GEN and the files above at hand, sets `small` (arguments for a
# run with a little output) and `big` (one with more output than `head`
# reads), no_missing_file=1 if a missing file argument is not an error
# for it, and no_stdout=1 for a stage that writes files, not stdout (then
# the checks on stdout are left out). A stage without such a file reads records: a .mp file.
stages=$(ls "$BIN")
check "there are stages to check" [ -n "$stages" ]
for s in $stages; do
  "$s" --help > "$T/out" 2> "$T/err"; rc=$?
  check_eq "$s --help: exit 0" "$rc" 0
  check_match "$s --help: usage on stdout" "$(head -1 "$T/out")" "^Usage: $s "
  check_match "$s --help: lists the common options" "$(cat "$T/out")" "--quiet"
  check_eq "$s --help: nothing on stderr" "$(cat "$T/err")" ""
  "$s" --version > "$T/out" 2> "$T/err"; rc=$?
  check_eq "$s --version" "$rc $(cat "$T/out")" "0 $s 0.1.0 (record schema 1)"
  "$s" --bogus < /dev/null > "$T/out" 2> "$T/err"; rc=$?
  check_eq "$s --bogus: exit 1" "$rc" 1
  check_eq "$s --bogus: nothing on stdout" "$(cat "$T/out")" ""
  check_eq "$s --bogus: says so on stderr" "$(cat "$T/err")" \
    "$s: unknown option '--bogus'
Try '$s --help' for more information."
  "$s" -Z < /dev/null > /dev/null 2> "$T/err"; rc=$?
  check_match "$s -Z: exit 1 with a message" "$rc $(head -1 "$T/err")" "^1 $s: option -Z: unknown option"
  "$s" --output < /dev/null > /dev/null 2> "$T/err"; rc=$?
  check_match "$s --output without its argument: exit 1" "$rc $(head -1 "$T/err")" "^1 $s: option --output needs an argument"

  small="$T/in.mp"; big="$T/big.mp"; no_missing_file=; no_stdout=
  [ -f "tests/stage/conv/$s.sh" ] && . "tests/stage/conv/$s.sh"
  small_args=$small; big_args=$big
  if [ -z "$no_stdout" ]; then
    # shellcheck disable=SC2086
    { "$s" $big_args 2> "$T/err"; echo $? > "$T/st"; } | head -c 100 > /dev/null
    check_match "$s | head: exit 0 or 141" "$(cat "$T/st")" "^(0|141)$"
    check_eq "$s | head: nothing on stderr" "$(cat "$T/err")" ""

    "$s" $small_args > /dev/full 2> "$T/err"; rc=$?
    check_eq "$s > /dev/full: exit 3" "$rc" 3
    check_match "$s > /dev/full: names the write error" "$(cat "$T/err")" "^$s: .*No space left on device"
  fi
  if [ -z "${no_missing_file:-}" ]; then
    "$s" "$T/nonexistent" > /dev/null 2> "$T/err"; rc=$?
    check_match "$s on a missing file: exit 2 or 3 naming it" "$rc $(cat "$T/err")" "^[23] $s: .*$T/nonexistent"
  fi
  "$s" -o "$T/no/such/dir/x" $small_args 2> "$T/err"; rc=$?
  if [ -z "$no_stdout" ]; then
    check_match "$s -o into a missing folder: exit 1" "$rc $(cat "$T/err")" "^1 $s: cannot open output"
  else
    check_match "$s -o (it writes no stdout): exit 1" "$rc $(cat "$T/err")" "^1 $s: option -o: $s writes files"
  fi
  "$s" $small_args > "$T/out" 2> "$T/err"; rc=$?
  check_eq "$s on valid input: exit 0" "$rc" 0
  check_eq "$s without a terminal: no progress line on stderr" "$(cat "$T/err")" ""
done

# A terminal, through script(1): the progress line, and no binary onto it.
if command -v script > /dev/null; then
  # records arrive, then a pause, then more: the second burst shows progress
  script -qec "sh -c '(cat $T/in.mp; sleep 1; cat $T/in.mp) | records-to-json > /dev/null'" "$T/tty" > /dev/null 2>&1
  check_match "progress line on a terminal: records and rate" "$(tr '\r' '\n' < "$T/tty")" "records-to-json: [0-9]+ records, [0-9.]+/s"
  script -qec "sh -c '(cat $T/in.mp; sleep 1; cat $T/in.mp) | records-to-json --quiet > /dev/null'" "$T/tty" > /dev/null 2>&1
  check "--quiet: no progress line on a terminal" sh -c "! grep -q 'records-to-json:' '$T/tty'"
  # a file of known size, slow to print in full: the line has an ETA
  "$GEN" -n 40 -s 128x128 > "$T/eta.mp"
  script -qec "records-to-json --full $T/eta.mp > /dev/null" "$T/tty" > /dev/null 2>&1
  check_match "progress line for a file of known size: percent and ETA" "$(tr '\r' '\n' < "$T/tty")" \
    "records-to-json: [0-9]+ records, [0-9.]+/s, [0-9]+%, ETA [0-9]+:[0-9]{2}"
  script -qec "json-to-records $T/in.jsonl" "$T/tty" > /dev/null 2>&1; rc=$?
  check_eq "a record stream onto a terminal: exit 1" "$rc" 1
  check_match "a record stream onto a terminal: says why" "$(cat "$T/tty")" "will not write a binary record stream to a terminal"
else
  fail "script(1) is missing (package bsdutils): terminal checks not run"
fi

# Option values: integers with range checks (gen-records uses the same parser)
"$GEN" --count abc > /dev/null 2> "$T/err"; rc=$?
check_eq "an option value that is not a number: exit 1 and why" "$rc $(head -1 "$T/err")" \
  "1 gen-records: option --count: 'abc' is not an integer in [0, 100000000]"
"$GEN" --count 1e3 > /dev/null 2>&1; check_eq "an integer option refuses 1e3" "$?" 1
"$GEN" --count 99999999999999999999 > /dev/null 2>&1; check_eq "an integer option refuses overflow" "$?" 1
"$GEN" --count -1 > /dev/null 2>&1; check_eq "an integer option refuses a value below its range" "$?" 1
check_eq "an option value in range is taken" "$("$GEN" --count=2 | records-to-json | wc -l | tr -d ' ')" 2
done_testing
