# shellcheck shell=bash
# Sourced by the pipelines/ scripts (bash): how a stage ended, in words, and
# the check after a pipeline of stages. A stage that failed or died of a
# signal fails the script, named; a plain `set -o pipefail` would exit with
# a status and no name.
#
#   a | b | c || stages_failed eval.sh "a b c" "${PIPESTATUS[@]}"

# ended_how STATUS: "failed (status 2)", or for 128 + N, "killed by signal N
# (NAME)" as a shell reports a process a signal ended.
ended_how() {
  local sig
  if [ "$1" -gt 128 ] && sig=$(kill -l "$1" 2> /dev/null); then
    echo "killed by signal $(($1 - 128)) ($sig)"
  else
    echo "failed (status $1)"
  fi
}

# stages_failed SCRIPT "NAME..." STATUS...: after a pipeline that did not
# succeed (STATUS... its PIPESTATUS), says on stderr which stages failed and
# exits with the status: a stage's that a signal ended (the first), else the
# last failed stage's. SIGPIPE (141) is no failure of a stage before the
# last: its reader had ended, and the reader's own status tells why; when
# that is all there is, it returns 0. The last stage's SIGPIPE (the
# script's own reader went away) is its exit status, quietly.
stages_failed() {
  local script=$1 i=0 s status=0 killed=0 last=$(($# - 2)) name
  local -a names
  read -r -a names <<< "$2"
  shift 2
  for s; do
    i=$((i + 1))
    name=${names[$((i - 1))]:-stage $i}
    if [ "$s" -eq 0 ] || { [ "$s" -eq 141 ] && [ "$i" -lt "$last" ]; }; then
      continue
    elif [ "$s" -eq 141 ]; then
      [ "$status" -ne 0 ] || status=141
      continue
    fi
    echo "$script: $name $(ended_how "$s")" >&2
    if [ "$s" -gt 128 ] && [ "$killed" -eq 0 ]; then
      killed=1 status=$s
    elif [ "$killed" -eq 0 ]; then
      status=$s
    fi
  done
  [ "$status" -eq 0 ] || exit "$status"
}
