#!/bin/sh
# Network forward speed at 416x416, in one run on this machine, for
# yolov2-voc, yolov2-tiny-voc and yolov3-tiny (issue 4, point 6):
#
#  (a) bin/darknet-forward: the "network X ms/image" it reports (forward
#      only, decode excluded) over IMAGES images, median of REPS runs after a
#      warm-up run, and its figure "after the first pass" (the first pass
#      pays for warming up, which PyTorch's untimed warm-ups absorb); and the wall time of the whole pipeline per image
#      (image-list | darknet-forward > file: load, decode, letterbox,
#      forward, encode). OMP_NUM_THREADS=2, OPENBLAS_NUM_THREADS=2.
#      Its default runs 3x3 convolutions by Winograd; the same with --conv
#      direct (im2col + GEMM) is timed too (the `direct` column).
#  (b) Debian's `darknet detector test` (/usr/bin/darknet): its "Predicted
#      in X seconds" (network_predict alone, wall clock) over DK_IMAGES
#      images read from stdin by one process; the first is a warm-up, the
#      median and best of the rest are shown. Debian's libdarknet has no
#      OpenMP and its own GEMM: one thread whatever the environment says.
#  (c) PyTorch (Debian's /usr/bin/python3 with python3-torch): the same
#      layer graph built by tests/torch/dn_torch.py, torch.set_num_threads(2),
#      torch.no_grad(), batch norm folded as darknet-forward does; median of
#      RUNS runs after 2 warm-ups (bench/forward/torch_bench.py). Twice: as
#      is, and with glibc's malloc told to keep freed memory (PT_MALLOC): by
#      default each large activation PyTorch allocates is a fresh mmap that
#      page-faults on every run, which can cost it more than its arithmetic
#      (yolov2-voc: ~450 ms as is, ~135 ms with PT_MALLOC, on this machine).
#  (d) the sgemm ceiling on 2 threads: bench/forward/sgemm.c times OpenBLAS
#      and the project's gemm_f32 on conv-shaped products (NN: M filters,
#      N = out_h*out_w, K = c*size*size; and training's NT / TN); the
#      ceiling is gemm_f32's best NN product.
#
# All three use the same seeded random weights (darknet-forward --random 1
# --save-weights, in a temporary folder removed at the end). Then a table,
# darknet-forward / PyTorch (issue 4's target: at most 0.6) and
# darknet-forward's GFLOP/s as a fraction of the sgemm ceiling; and, as a
# correctness check, tests/torch/check_forward.py: darknet-forward's head
# outputs against dn_torch's on the same input tensors (max |diff| / max
# |torch|, must be <= 1e-4). What is missing (darknet-forward, darknet,
# torch, OpenBLAS's pkg-config) is said, and the rest is still timed.
#
#   sh bench/forward.sh                       (from anywhere in the repository)
#   IMAGES=20 REPS=3 DK_IMAGES=6 RUNS=10 NETS="yolov3-tiny" sh bench/forward.sh
#   MAKE="flock /tmp/lock make" sh bench/forward.sh    (serialise the build)
#   PY=python3 DARKNET=/opt/darknet sh bench/forward.sh (other interpreter, darknet)
set -eu
cd "$(dirname "$0")/.."
IMAGES=${IMAGES:-20}
REPS=${REPS:-3}
DK_IMAGES=${DK_IMAGES:-6}
RUNS=${RUNS:-10}
NETS=${NETS:-"yolov2-voc yolov2-tiny-voc yolov3-tiny"}
CFGS=${CFGS:-../shared/data/cfg}
IMGS=${IMGS:-../shared/data/images}
MAKE=${MAKE:-make}
PT_MALLOC=${PT_MALLOC:-"MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4000000000 MALLOC_TOP_PAD_=268435456"}
PY=${PY:-/usr/bin/python3}
DARKNET=${DARKNET:-darknet}
CFGS=$(cd "$CFGS" && pwd) && IMGS=$(cd "$IMGS" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/forward-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM

say() { printf '%s\n' "$*"; }
missing() { say "MISSING: $*"; }

# --- what we have --------------------------------------------------------
$MAKE -s bin/darknet-forward bin/image-list >/dev/null 2>"$T/make.err" || {
  missing "could not build bin/darknet-forward (see below)"; cat "$T/make.err"; }
HAVE_FWD=0; [ -x bin/darknet-forward ] && [ -x bin/image-list ] && HAVE_FWD=1
HAVE_DK=0; command -v "$DARKNET" >/dev/null 2>&1 && HAVE_DK=1
HAVE_TORCH=0; $PY -c 'import torch, numpy, msgpack' 2>/dev/null && HAVE_TORCH=1
# the OpenBLAS darknet-forward links: its OpenMP build (Makefile, scripts/deps.sh)
BLAS_LIBDIR=/usr/lib/$(cc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/openblas-openmp
blas_pc() { PKG_CONFIG_LIBDIR=$BLAS_LIBDIR/pkgconfig pkg-config "$@"; }
HAVE_BLAS=0; blas_pc --exists openblas 2>/dev/null && HAVE_BLAS=1
[ $HAVE_FWD = 1 ] || missing "bin/darknet-forward: column (a) and the check skipped"
[ $HAVE_DK = 1 ] || missing "$DARKNET (Debian package darknet): column (b) skipped"
[ $HAVE_TORCH = 1 ] || missing "torch for $PY (Debian package python3-torch): column (c) and the check skipped"
[ $HAVE_BLAS = 1 ] || missing "OpenBLAS for OpenMP (libopenblas-openmp-dev): the sgemm ceiling (d) skipped"

say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
say "IMAGES=$IMAGES REPS=$REPS DK_IMAGES=$DK_IMAGES RUNS=$RUNS OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(auto)}"

# IMAGES paths cycling through the shared images, as links with distinct
# names (distinct record ids) in $T/img, which image-list reads
: > "$T/list"
mkdir "$T/img"
i=0
while [ "$i" -lt "$IMAGES" ]; do
  for f in "$IMGS"/*.jpg; do
    if [ "$i" -lt "$IMAGES" ]; then
      ln -s "$f" "$T/img/$i-${f##*/}" && printf '%s\n' "$T/img/$i-${f##*/}" >> "$T/list"
    fi
    i=$((i + 1))
  done
done

# --- (d) sgemm ceiling ---------------------------------------------------
CEIL=
if [ $HAVE_BLAS = 1 ]; then
  # shellcheck disable=SC2046
  cc -std=c11 -O2 -Wall -Wextra -fopenmp -Iinclude bench/forward/sgemm.c common/gemm.c \
    common/gemm_avx512.c $(blas_pc --cflags --libs openblas) -Wl,-rpath,"$BLAS_LIBDIR" \
    -o "$T/sgemm"
  say ""
  say "(d) sgemm, 2 threads, OpenBLAS and the project's gemm_f32 (its AVX-512 kernel where the CPU"
  say "    has AVX-512) on the same operands (C[M,N] = op(A) op(B), row-major):"
  OPENBLAS_VERBOSE=2 OPENBLAS_NUM_THREADS=2 "$T/sgemm" > "$T/sgemm.out" 2>&1
  sed 's/^/    /' "$T/sgemm.out"
  # the ceiling: the best conv-forward-shaped (NN) product, of what darknet-forward runs
  CEIL=$(awk '$1 == "NN" && $8 ~ /^[0-9.]+$/ && $8 > m { m = $8 } END { print m }' "$T/sgemm.out")
  BLAS_CEIL=$(awk '$1 == "NN" && $6 ~ /^[0-9.]+$/ && $6 > m { m = $6 } END { print m }' "$T/sgemm.out")
  say "    ceiling: $CEIL GFLOP/s (gemm_f32; OpenBLAS: $BLAS_CEIL)"
  if grep -q avx512f /proc/cpuinfo &&
     grep -q 'Core: Haswell' "$T/sgemm.out"; then
    say "    (this CPU has AVX-512 but OpenBLAS runs its Haswell kernels (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-auto}); with"
    say "     OPENBLAS_CORETYPE=SkylakeX, for information:)"
    OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=2 "$T/sgemm" | sed 's/^/    /'
  fi
fi

# --- per network ---------------------------------------------------------
# median and best of the numbers in file $1 (one per line)
stats() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR) printf "%.1f %.1f\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1]; else print "- -" }'; }

for net in $NETS; do
  cfg=$CFGS/$net.cfg
  W=$T/$net.weights
  say ""
  say "== $net ($cfg)"
  if [ $HAVE_FWD = 1 ]; then
    bin/darknet-forward --cfg "$cfg" --random 1 --save-weights "$W" --quiet < /dev/null
  elif [ $HAVE_TORCH = 1 ]; then
    $PY -c "import sys; sys.path.insert(0, 'tests/torch'); import dn_torch as d
n = d.DarknetNet(sys.argv[1]); n.random_init(1); n.save_weights(sys.argv[2])" "$cfg" "$W"
  fi
  [ -f "$W" ] || { missing "no weights for $net"; continue; }
  bflops=-; ours=-; obest=-; wall=-; direct=-; steady=-; dk=-; dkbest=-; torch=-; tbest=-; torch2=-; tbest2=-; agree=-

  if [ $HAVE_FWD = 1 ]; then
    : > "$T/ours"; : > "$T/wall"; : > "$T/direct"; : > "$T/steady"
    r=0
    while [ "$r" -le "$REPS" ]; do    # run 0 is the warm-up
      t0=$(date +%s.%N)
      bin/image-list "$T/img" | OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 \
        bin/darknet-forward --cfg "$cfg" --weights "$W" > "$T/out.mp" 2> "$T/fwd.err"
      t1=$(date +%s.%N)
      if [ "$r" -gt 0 ]; then
        sed -n 's/.*network \([0-9.]*\) ms\/image.*/\1/p' "$T/fwd.err" >> "$T/ours"
        sed -n 's/.*after the first pass \([0-9.]*\) ms\/image.*/\1/p' "$T/fwd.err" >> "$T/steady"
        awk -v a="$t0" -v b="$t1" -v n="$IMAGES" 'BEGIN { printf "%.1f\n", (b - a) * 1e3 / n }' >> "$T/wall"
        bin/image-list "$T/img" | OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 \
          bin/darknet-forward --cfg "$cfg" --weights "$W" --conv direct > /dev/null 2> "$T/dir.err"
        sed -n 's/.*network \([0-9.]*\) ms\/image.*/\1/p' "$T/dir.err" >> "$T/direct"
      fi
      r=$((r + 1))
    done
    say "(a) darknet-forward: $(grep 'ms/image' "$T/fwd.err" | tail -1)"
    bflops=$(grep -o '[0-9.]* BFLOPs' "$T/fwd.err" | tail -1 | cut -d' ' -f1)
    stats "$T/ours" > "$T/s" && read -r ours obest < "$T/s"
    wall=$(stats "$T/wall" | cut -d' ' -f1)
    direct=$(stats "$T/direct" | cut -d' ' -f1)
    steady=$(stats "$T/steady" | cut -d' ' -f1)
    say "    network ms/image per run: $(tr '\n' ' ' < "$T/ours"); wall ms/image: $(tr '\n' ' ' < "$T/wall")"
  fi

  if [ $HAVE_DK = 1 ]; then
    classes=$(awk -F= '/^classes/ { c = $2 } END { print c + 0 }' "$cfg")
    seq 1 "$classes" | sed 's/^/class/' > "$T/names"
    printf 'classes=%s\nnames=%s/names\n' "$classes" "$T" > "$T/bench.data"
    mkdir -p "$T/dk" && ln -sfn /usr/share/darknet/data "$T/dk/data"   # its label glyphs
    head -n "$DK_IMAGES" "$T/list" > "$T/dklist"
    while [ "$(wc -l < "$T/dklist")" -lt "$DK_IMAGES" ]; do head -n 1 "$T/list" >> "$T/dklist"; done
    # -out: save the drawing there instead of opening a window
    (cd "$T/dk" && "$DARKNET" detector test "$T/bench.data" "$cfg" "$W" \
       -thresh 1 -out "$T/dk/pred" < "$T/dklist" > "$T/dk.out" 2> "$T/dk.err") ||
      say "    darknet exited $? (see below)"
    grep -o 'Predicted in [0-9.]* seconds' "$T/dk.out" | awk 'NR > 1 { printf "%.1f\n", $3 * 1e3 }' > "$T/dk.ms"
    if [ -s "$T/dk.ms" ]; then
      stats "$T/dk.ms" > "$T/s" && read -r dk dkbest < "$T/s"
      say "(b) darknet detector test: ms per image $(tr "\n" " " < "$T/dk.ms")(first image dropped)"
    else
      say "(b) darknet detector test: no timing found"; tail -5 "$T/dk.err"
    fi
  fi

  if [ $HAVE_TORCH = 1 ]; then
    $PY bench/forward/torch_bench.py "$cfg" "$W" --runs "$RUNS" --threads 2 > "$T/torch.out"
    say "(c) $(cat "$T/torch.out")"
    torch=$(awk '{ print $4 }' "$T/torch.out"); tbest=$(awk '{ print $6 }' "$T/torch.out")
    # shellcheck disable=SC2086
    env $PT_MALLOC $PY bench/forward/torch_bench.py "$cfg" "$W" --runs "$RUNS" --threads 2 > "$T/torch2.out"
    say "    with $PT_MALLOC: $(cat "$T/torch2.out")"
    torch2=$(awk '{ print $4 }' "$T/torch2.out"); tbest2=$(awk '{ print $6 }' "$T/torch2.out")
    [ "$bflops" = - ] && bflops=$(awk '{ print $10 }' "$T/torch.out")
    if [ $HAVE_FWD = 1 ]; then
      $PY tests/torch/check_forward.py --cfg "$cfg" --weights "$W" --images 2 > "$T/check.out" || true
      agree=$(awk '/^# worst/ { print $3 }' "$T/check.out")
      say "    check: $(tail -1 "$T/check.out")"
    fi
  fi
  printf '%s %s %s %s %s %s %s %s %s %s %s %s %s %s\n' "$net" "$bflops" "$ours" "$obest" "$wall" \
    "$dk" "$dkbest" "$torch" "$tbest" "${agree:--}" "$torch2" "$tbest2" "$direct" "$steady" >> "$T/table"
done

# --- table ---------------------------------------------------------------
say ""
say "ms per 416x416 image, median (best): ours over $REPS runs of $IMAGES images each, darknet over"
say "$((DK_IMAGES - 1)) images, torch over $RUNS runs. Load average now $(cut -d' ' -f1-3 /proc/loadavg)"
[ -f "$T/table" ] && awk -v ceil="${CEIL:-0}" '
  function num(a) { return a ~ /^[0-9.]+$/ }
  function r(a, b) { return (num(a) && num(b) && b > 0) ? sprintf("%.2f", a / b) : "-" }
  BEGIN { f = "%-15s %6s %13s %6s %6s %5s %13s %13s %13s %6s %6s %6s %5s %5s %8s\n"
          printf f, "network", "BFLOPs", "darknet-fwd", "after1", "direct", "wall", "darknet",
                 "pytorch", "pytorch+mall", "fwd/pt", "fwd/pt+", "aft/pt+", "GF/s", "sgemm",
                 "fwd~pt" }
  { gf = (num($2) && num($3)) ? sprintf("%.1f", $2 / $3 * 1e3) : "-"
    printf f, $1, $2, $3 " (" $4 ")", $14, $13, $5, $6 " (" $7 ")", $8 " (" $9 ")",
           $11 " (" $12 ")", r($3, $8), r($3, $11), r($14, $11), gf,
           (ceil > 0 ? r(gf, ceil) : "-"), $10 }' "$T/table"
say "darknet-fwd: its reported network ms/image (forward only), Winograd for the 3x3 layers; after1:"
say "the same without the first pass (which warms up caches, threads and allocations, as PyTorch's"
say "2 untimed warm-ups do; aft/pt+: that / pytorch+mall); direct:"
say "the same with --conv direct (im2col + GEMM); wall: the whole pipeline per image"
say "(image-list | darknet-forward: decode, letterbox, forward, encode); darknet: 'Predicted in'."
say "pytorch+mall: PyTorch with PT_MALLOC. fwd/pt, fwd/pt+: darknet-forward / PyTorch, medians"
say "(issue 4's target: <= 0.6). GF/s: BFLOPs / darknet-forward's median; sgemm: that over the"
say "sgemm ceiling${CEIL:+ ($CEIL GFLOP/s)}. fwd~pt: max |darknet-forward - dn_torch| / max |dn_torch|"
say "over the heads on 2 inputs (must be <= 1e-4)."
