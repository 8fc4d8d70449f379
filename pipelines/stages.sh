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

# shard_count SCRIPT J LOGINS: the number of shards -j J and -S LOGINS ask
# for, on stdout: J, or with no J one a machine of LOGINS (comma-separated);
# a J that is not a whole number from 1 is a usage error (exit 1).
shard_count() {
  local script=$1 j=$2 logins=$3 commas
  if [ -z "$j" ]; then
    commas=${logins//[!,]/}
    echo $((${#commas} + 1))
  elif [[ $j =~ ^[1-9][0-9]{0,5}$ ]]; then
    echo "$j"
  else
    echo "$script: -j '$j' is not a number of shards (1 to 999999)" >&2
    exit 1
  fi
}

# run_shards SCRIPT N LOGINS STAGE ARG... ['|' STAGE ARG...]...: the stages N
# ways with GNU parallel, each shard a pipeline of them whose first stage
# reads part K of N (pipelines/shard.sh), and the shards' records on stdout
# in shard order, which is input order. LOGINS empty: N shards at a time on
# this machine, each with OMP_NUM_THREADS cores / N (unless it is set;
# OMP_NUM_THREADS and YOLO_ISA, when set, are handed to every shard);
# else GNU parallel's --sshlogin list (":" is this machine), one shard at a
# time a machine, each with all its cores: the same command there, which
# must see the stages, the data, the cfg and the weights at the same paths
# as here; the records come back over the connection. After a shard fails
# no other starts; those running end, and the status is the failed shard's
# (its stage named by shard.sh).
run_shards() {
  local script=$1 n=$2 logins=$3 here bin k threads=${OMP_NUM_THREADS:-}
  local -a where=(-j "$n") opts=() parts=()
  shift 3
  if ! command -v parallel > /dev/null; then
    echo "$script: -j and -S need GNU parallel (Debian package parallel:" \
      "scripts/deps.sh test installs it)" >&2
    return 3
  fi
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  bin=$(cd "${BIN:-$here/../bin}" && pwd)
  [ -z "$logins" ] || where=(-j 1 -S "$logins")
  if [ -z "$threads" ] && [ -z "$logins" ]; then
    threads=$(($(nproc) / n))
    [ "$threads" -ge 1 ] || threads=1
  fi
  [ -z "$threads" ] || opts+=(-t "$threads")
  [ -z "${YOLO_ISA:-}" ] || opts+=(-i "$YOLO_ISA")
  for ((k = 0; k < n; k++)); do parts+=("$k/$n"); done
  # -q: the words reach shard.sh as they are, here or over ssh; -k: output in
  # shard order; --lb: the first running shard's messages as they come;
  # --halt soon, not now: now drops the messages of a shard that failed
  # while one before it was running (GNU parallel 20221122); --will-cite:
  # no citation notice.
  parallel --will-cite -q -k --lb --halt soon,fail=1 "${where[@]}" \
    bash "$here/shard.sh" -b "$bin" -C "$PWD" ${opts[@]+"${opts[@]}"} "$script" {} "$@" \
    ::: "${parts[@]}"
}
