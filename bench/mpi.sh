#!/bin/sh
# Data-parallel training on this machine (issue 20, point 4), yolov2-tiny-voc
# at 416x416, batch 8 a step, on bin/synth-voc images (SIZE):
#
#  (a) images/s of the training pipeline (pipelines/train.sh, no
#      augmentation flags changed) as one process with OMP_NUM_THREADS=2
#      against `mpirun -np 2` with OMP_NUM_THREADS=1 (each rank batch 4;
#      once more with --sync-bn): the images the log counts from step 2 to
#      STEPS over the seconds between them (step 1 carries the start-up).
#  (b) one sum of yolov2-tiny-voc's gradients (its parameter count in floats,
#      63 MB) across 2 ranks: bench/mpi/allreduce.c, built here against
#      build/release/libyolo.a (dist_sum_f32, the call darknet-forward makes),
#      median of REPS; over TCP on loopback (--mca btl self,tcp, what two
#      machines would use) and through shared memory (Open MPI's default
#      on one machine).
#
# The machine's load average is printed before and after: the cores are
# shared, and a busy machine slows (a) most.
#
#   sh bench/mpi.sh                     (from anywhere in the repository)
#   STEPS=4 REPS=5 sh bench/mpi.sh      (shorter)
set -eu
cd "$(dirname "$0")/.."
CFG=${CFG:-tests/data/cfg/yolov2-tiny-voc.cfg}
STEPS=${STEPS:-6}
REPS=${REPS:-10}
SIZE=${SIZE:-500x375}
MAKE=${MAKE:-make}
CFG=$(cd "$(dirname "$CFG")" && pwd)/${CFG##*/}
T=$(mktemp -d "${TMPDIR:-/tmp}/mpi-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
say() { printf '%s\n' "$*"; }
load() { say "load average: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"; }

command -v mpirun > /dev/null || { say "no mpirun: sh scripts/deps.sh mpi"; exit 1; }
$MAKE -s build/release/libyolo.a bin/darknet-forward bin/encode-targets bin/yolo-loss \
  bin/voc-parse bin/synth-voc > /dev/null
grep -q DIST_MPI build/release/config.mk || {
  say "bin/darknet-forward is built without MPI: install libopenmpi-dev, rm build/release/config.mk, make"; exit 1; }
flags() { sed -n "s/^$1 [:+]= //p" build/release/config.mk | tr '\n' ' '; }
# shellcheck disable=SC2046
cc -std=c11 -O2 -Wall -Wextra -Iinclude -D_POSIX_C_SOURCE=200809L -fopenmp $(flags PKG_CFLAGS) \
  bench/mpi/allreduce.c build/release/libyolo.a $(flags PKG_LIBS) -lm -o "$T/allreduce"

load
bin/synth-voc -q --out "$T/voc" -n 64 --size "$SIZE" --seed 3
# images/s between step 2 and the last in log $1
rate() {
  jq -s '(.[-1].seen - .[0].seen) / (.[-1].seconds - .[0].seconds)' "$1" |
    awk '{ printf "%.2f", $1 }'
}
run() {   # $1 name, the rest: the command's prefix
  name=$1; shift
  "$@" bash pipelines/train.sh -o "$T/$name" "$T/voc" "$CFG" --batch 8 --subdivisions 1 \
    --max-batches "$STEPS" --quiet ${SYNC:-} 2> "$T/$name.err" ||
    { cat "$T/$name.err"; exit 1; }
  say "  $name: $(rate "$T/$name/log.jsonl") images/s (steps 2..$STEPS, $(jq -s '.[-1].seconds - .[0].seconds | . * 100 | round / 100' "$T/$name/log.jsonl") s)"
}
say "(a) training pipeline, yolov2-tiny-voc 416x416, batch 8 a step:"
run "1-process-2-threads" env OMP_NUM_THREADS=2
run "2-ranks-1-thread" mpirun --oversubscribe --bind-to none -np 2 -x OMP_NUM_THREADS=1 -x PATH
SYNC=--sync-bn run "2-ranks-1-thread-sync-bn" mpirun --oversubscribe --bind-to none -np 2 \
  -x OMP_NUM_THREADS=1 -x PATH
load

floats=$(bin/darknet-forward --cfg "$CFG" --summary | sed -n 's/.* BFLOPs, \([0-9]*\) parameters.*/\1/p')
say "(b) one allreduce of the gradients ($floats floats):"
printf '  TCP on loopback:  '
mpirun --oversubscribe --bind-to none -np 2 --mca btl self,tcp --mca btl_tcp_if_include lo \
  "$T/allreduce" "$floats" "$REPS"
printf '  shared memory:    '
mpirun --oversubscribe --bind-to none -np 2 "$T/allreduce" "$floats" "$REPS"
load
