#!/bin/sh
# Training speed of yolov2-tiny-voc at 416x416, batch 8, in one run on this
# machine (issue 7, point 8): ms per image and images/s of
#
#  (a) ours, two figures:
#      step: the network alone, bench/train/step.c (built here against
#        build/release/libyolo.a with the Makefile's flags): net_forward,
#        net_zero_deltas, a fixed random gradient into the head's delta,
#        net_backward, optim_update (the cfg's SGD), seeded random weights
#        and input; median of ITERS steps after WARMUP; then PROFILE steps
#        layer by layer: where the time goes per layer type. Once more with
#        OMP_WAIT_POLICY=passive (PASSIVE_ITERS steps; 0 skips it), which
#        matters when another job holds a core.
#      pipeline: voc-parse | encode-targets | darknet-forward --train
#        --grad FIFO | yolo-loss > FIFO on STEPS*8 bin/synth-voc images
#        (SIZE, one epoch), --batch 8 --subdivisions 1 --max-batches STEPS:
#        the images/s darknet-forward logs (--log) for steps 2..STEPS (step
#        1 carries the start-up): decoding, augmentation, targets and the
#        loss included, running beside the network on the same 2 cores.
#      OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 for both.
#  (b) PyTorch (Debian's /usr/bin/python3 with python3-torch): the same
#      graph from tests/torch/dn_torch.py, net(x, train=True) (darknet's
#      training batch norm), loss sum(head * g) for a fixed random g (its
#      gradient is step.c's), backward, torch.optim.SGD (the cfg's rate,
#      momentum, decay on the weights), torch.set_num_threads(2); median of
#      RUNS steps after TWARM (bench/train/torch_train.py). Four times: as
#      is; with glibc's malloc keeping freed memory (PT_MALLOC, as in
#      bench/forward.sh); with PyTorch's own batch norm kernel (--native-bn:
#      what a PyTorch user would write); with both.
#
# Then a table: ours / PyTorch per image (issue 7's target: at most 0.7).
# Inputs are generated in a temporary folder, removed at the end.
#
#   sh bench/train.sh                          (from anywhere in the repository)
#   ITERS=3 RUNS=2 STEPS=4 sh bench/train.sh   (shorter)
#   MAKE="flock /tmp/lock make" sh bench/train.sh   (serialise the build)
set -eu
cd "$(dirname "$0")/.."
CFG=${CFG:-tests/data/cfg/yolov2-tiny-voc.cfg}
BATCH=8
ITERS=${ITERS:-4}
WARMUP=${WARMUP:-1}
PROFILE=${PROFILE:-1}
PASSIVE_ITERS=${PASSIVE_ITERS:-2}
STEPS=${STEPS:-5}
SIZE=${SIZE:-500x375}
RUNS=${RUNS:-3}
TWARM=${TWARM:-2}
MAKE=${MAKE:-make}
PY=${PY:-/usr/bin/python3}
PT_MALLOC=${PT_MALLOC:-"MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4000000000 MALLOC_TOP_PAD_=268435456"}
CFG=$(cd "$(dirname "$CFG")" && pwd)/${CFG##*/}
T=$(mktemp -d "${TMPDIR:-/tmp}/train-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
THREADS="OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2"

say() { printf '%s\n' "$*"; }
# busy CPU seconds of the whole machine so far (user, nice, system, irq, softirq, steal)
busy() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { print ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat; }
# CPU seconds (user + system) of this script's finished children: the second line of
# `times`, which must run in this shell (in $(...) it would see the subshell's)
ours_cpu() { times > "$T/times"; awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } print s }' "$T/times"; }
# other jobs' CPU seconds since `mark` (the machine's busy time minus ours), per section
mark() { MB=$(busy); ours_cpu > "$T/mark_cpu"; MW=$(date +%s.%N); }
others() {
  ours_cpu > "$T/now_cpu"
  awk -v b0="$MB" -v b1="$(busy)" -v o0="$(cat "$T/mark_cpu")" -v o1="$(cat "$T/now_cpu")" \
      -v w0="$MW" -v w1="$(date +%s.%N)" -v n="$(nproc)" 'BEGIN { x = b1 - b0 - (o1 - o0)
    printf "    other jobs used %.0f of the %.0f CPU seconds of this part%s\n", (x > 0 ? x : 0),
           n * (w1 - w0), (x > .1 * n * (w1 - w0) ? ": DISTURBED" : "") }'
}
BUSY0=$(busy); WALL0=$(date +%s)
missing() { say "MISSING: $*"; }
# the numbers after "$2 " on the line of file $1 matching $3
field() { awk -v k="$2" -v m="$3" '$0 ~ m { for (i = 1; i < NF; i++) if ($i == k) v = $(i + 1) } END { print (v == "" ? "-" : v) }' "$1"; }

# --- what we have --------------------------------------------------------
$MAKE -s build/release/libyolo.a bin/darknet-forward bin/encode-targets bin/yolo-loss \
  bin/voc-parse bin/synth-voc >/dev/null 2>"$T/make.err" || {
  missing "could not build the library or the stages (see below)"; cat "$T/make.err"; }
HAVE_STEP=0
if [ -f build/release/libyolo.a ] && [ -f build/release/config.mk ]; then
  PKG_CFLAGS=$(sed -n 's/^PKG_CFLAGS := //p' build/release/config.mk)
  PKG_LIBS=$(sed -n 's/^PKG_LIBS := //p' build/release/config.mk)
  # shellcheck disable=SC2086
  cc -std=c11 -g -O2 -Wall -Wextra -Iinclude -D_POSIX_C_SOURCE=200809L -fopenmp $PKG_CFLAGS \
    bench/train/step.c build/release/libyolo.a $PKG_LIBS -lm -o "$T/step" && HAVE_STEP=1
fi
HAVE_PIPE=1
for s in darknet-forward encode-targets yolo-loss voc-parse synth-voc; do
  [ -x "bin/$s" ] || HAVE_PIPE=0
done
HAVE_TORCH=0; $PY -c 'import torch, numpy' 2>/dev/null && HAVE_TORCH=1
[ $HAVE_STEP = 1 ] || missing "bench/train/step.c did not build: (a) step skipped"
[ $HAVE_PIPE = 1 ] || missing "a stage of the training pipe: (a) pipeline skipped"
[ $HAVE_TORCH = 1 ] || missing "torch for $PY (Debian package python3-torch): (b) skipped"

say "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
say "$CFG at 416x416, batch $BATCH; ITERS=$ITERS WARMUP=$WARMUP PROFILE=$PROFILE STEPS=$STEPS SIZE=$SIZE RUNS=$RUNS TWARM=$TWARM"
say "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(auto)} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-(default)}"

step=-; passive=-; pipe=-; t1=-; t2=-; t3=-; t4=-

# --- (a) ours: the network alone ------------------------------------------
if [ $HAVE_STEP = 1 ]; then
  say ""
  mark
  say "(a) step: $THREADS $T/step $CFG $ITERS $WARMUP $BATCH $PROFILE"
  # shellcheck disable=SC2086
  env $THREADS "$T/step" "$CFG" "$ITERS" "$WARMUP" "$BATCH" "$PROFILE" > "$T/step.out"
  sed 's/^/    /' "$T/step.out"
  step=$(field "$T/step.out" step: '^ours step')
  step=$(awk -v m="$step" -v b="$BATCH" 'BEGIN { printf "%.1f", m / b }')
  if [ "$PASSIVE_ITERS" -gt 0 ]; then
    say "    with OMP_WAIT_POLICY=passive: $THREADS OMP_WAIT_POLICY=passive $T/step $CFG $PASSIVE_ITERS 1 $BATCH 0"
    # shellcheck disable=SC2086
    env $THREADS OMP_WAIT_POLICY=passive "$T/step" "$CFG" "$PASSIVE_ITERS" 1 "$BATCH" 0 > "$T/passive.out"
    grep '^ours step' "$T/passive.out" | sed 's/^/    /'
    passive=$(field "$T/passive.out" step: '^ours step')
    passive=$(awk -v m="$passive" -v b="$BATCH" 'BEGIN { printf "%.1f", m / b }')
  fi
  others
fi

# --- (a) ours: the whole pipeline ---------------------------------------
if [ $HAVE_PIPE = 1 ]; then
  say ""
  bin/synth-voc --out "$T/voc" -n $((STEPS * BATCH)) --size "$SIZE" -q
  mkfifo "$T/grad"
  mark
  say "(a) pipeline, on $((STEPS * BATCH)) images of bin/synth-voc --size $SIZE -n $((STEPS * BATCH)):"
  say "    bin/voc-parse --classes VOC/classes.names VOC | $THREADS bin/encode-targets --cfg CFG -q \\"
  say "    | $THREADS bin/darknet-forward --cfg CFG --random 1 --train --grad FIFO --batch $BATCH \\"
  say "        --subdivisions 1 --max-batches $STEPS --log LOG -q | bin/yolo-loss -q > FIFO"
  # shellcheck disable=SC2086,SC2094   # (the FIFO is read by darknet-forward, written by yolo-loss)
  if bin/voc-parse --classes "$T/voc/classes.names" "$T/voc" -q |
     env $THREADS bin/encode-targets --cfg "$CFG" -q |
     env $THREADS bin/darknet-forward --cfg "$CFG" --random 1 --train --grad "$T/grad" \
       --batch "$BATCH" --subdivisions 1 --max-batches "$STEPS" --log "$T/log.jsonl" -q |
     bin/yolo-loss -q > "$T/grad"; then
    # images/s of each step after the first, and over them all
    awk -F'[:,]' '{ for (i = 1; i < NF; i++) { if ($i == "\"images_per_s\"") r = $(i + 1); if ($i == "\"seconds\"") s = $(i + 1) }
                   n++; rate[n] = r; sec[n] = s }
      END { printf "    images/s per step:"; for (i = 1; i <= n; i++) printf " %.2f", rate[i]
            printf " (step 1 has the start-up)\n"
            if (n > 1) printf "PIPE %.1f %.2f\n", 1e3 * (sec[n] - sec[1]) / ((n - 1) * '"$BATCH"'), ((n - 1) * '"$BATCH"') / (sec[n] - sec[1]) }' \
      "$T/log.jsonl" > "$T/pipe.out"
    grep -v '^PIPE' "$T/pipe.out"
    pipe=$(awk '/^PIPE/ { print $2 }' "$T/pipe.out")
    [ -n "$pipe" ] && say "    steps 2..$STEPS: $pipe ms per image, $(awk '/^PIPE/ { print $3 }' "$T/pipe.out") images/s"
    [ -n "$pipe" ] || pipe=-
  else
    say "    the pipeline failed"
  fi
  others
fi

# --- (b) PyTorch ---------------------------------------------------------
torch_run() {  # torch_run NAME ENV ARGS...: the ms per image, or -
  name=$1 envs=$2; shift 2
  mark
  say "    $name: $envs $PY bench/train/torch_train.py CFG --batch $BATCH --runs $RUNS --warmup $TWARM --threads 2 $*"
  # shellcheck disable=SC2086
  if env $envs "$PY" bench/train/torch_train.py "$CFG" --batch "$BATCH" --runs "$RUNS" \
       --warmup "$TWARM" --threads 2 "$@" > "$T/torch.out" 2> "$T/torch.err"; then
    say "      $(grep -v '^#' "$T/torch.out")  [steps ms: $(grep '^#' "$T/torch.out" | awk '{ printf "%s ", $(NF - 1) }')]"
    TORCH_MS=$(field "$T/torch.out" ms_per_image '^torch')
  else
    say "      failed:"; tail -3 "$T/torch.err"; TORCH_MS=-
  fi
  others
}
if [ $HAVE_TORCH = 1 ]; then
  say ""
  say "(b) PyTorch $($PY -c 'import torch; print(torch.__version__)'), set_num_threads(2):"
  torch_run "as is" "" && t1=$TORCH_MS
  torch_run "malloc tuned" "$PT_MALLOC" && t2=$TORCH_MS
  torch_run "native batch norm" "" --native-bn && t4=$TORCH_MS
  torch_run "malloc tuned, native batch norm" "$PT_MALLOC" --native-bn && t3=$TORCH_MS
fi

# --- table ---------------------------------------------------------------
say ""
say "ms per 416x416 image, batch $BATCH (medians). Load average now $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v s="$step" -v sp="$passive" -v p="$pipe" -v t1="$t1" -v t2="$t2" -v t3="$t3" -v t4="$t4" '
  function num(a) { return a ~ /^[0-9.]+$/ && a > 0 }
  function r(a, b) { return (num(a) && num(b)) ? sprintf("%.2f", a / b) : "-" }
  function ips(a) { return num(a) ? sprintf("%.2f", 1e3 / a) : "-" }
  BEGIN {
    f = "%-34s %9s %9s %8s %8s %8s %8s\n"
    printf f, "", "ms/image", "images/s", "/pt", "/pt+mall", "/pt+nbn", "/pt+both"
    printf f, "ours, network step", s, ips(s), r(s, t1), r(s, t2), r(s, t4), r(s, t3)
    printf f, "ours, network step, passive wait", sp, ips(sp), r(sp, t1), r(sp, t2), r(sp, t4), r(sp, t3)
    printf f, "ours, whole pipeline", p, ips(p), r(p, t1), r(p, t2), r(p, t4), r(p, t3)
    printf f, "PyTorch (pt)", t1, ips(t1), "", "", "", ""
    printf f, "PyTorch, malloc tuned (pt+mall)", t2, ips(t2), "", "", "", ""
    printf f, "PyTorch, native BN (pt+nbn)", t4, ips(t4), "", "", "", ""
    printf f, "PyTorch, both (pt+both)", t3, ips(t3), "", "", "", ""
  }'
ours_cpu > "$T/ours_cpu"
awk -v b0="$BUSY0" -v b1="$(busy)" -v o="$(cat "$T/ours_cpu")" -v w="$(($(date +%s) - WALL0))" -v n="$(nproc)" \
  'BEGIN { printf "CPU time of other jobs during the run: %.0f s of %.0f s (%d cores x %d s wall)\n", b1 - b0 - o, n * w, n, w }'
say "/pt etc.: ours over that PyTorch figure (issue 7's target: at most 0.7). The step times the"
say "same work as PyTorch's step minus the loss; the pipeline adds decoding, augmentation, targets"
say "and the loss, on the same 2 cores. Another job on the machine changes every figure."
