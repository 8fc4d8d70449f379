#!/bin/sh
# Network forward speed at 416x416, in one run on this machine, for
# yolov2-voc, yolov2-tiny-voc, yolov3-tiny (issue 4, point 6) and
# yolov4-tiny (issue 18, point 5; AlexeyAB's dialect: no column (b)):
#
#  (a) bin/darknet-forward: the "network X ms/image" it reports (forward
#      only, decode excluded) over IMAGES images, median of REPS runs after a
#      warm-up run, and its figure "after the first pass" (the first pass
#      pays for warming up, which the peers' untimed warm-ups absorb); and
#      the wall time of the whole pipeline per image (image-list |
#      darknet-forward > file: load, decode, letterbox, forward, encode).
#      OMP_NUM_THREADS=2, OPENBLAS_NUM_THREADS=2. Its default runs 3x3
#      convolutions by Winograd; the same with --conv direct (im2col + GEMM)
#      is timed too (the `direct` column). Then the same (network and after
#      the first pass) with --batch B for each other B in BATCHES (default
#      "1 8"), over IMAGES rounded up to a multiple of B (at least 2B).
#      Kernel family: darknet-forward's own word ("kernels FAMILY" on its
#      closing line) where it prints one, else YOLO_ISA or the CPU's best
#      (avx512 if /proc/cpuinfo has avx512f, else avx2 if avx2 and fma, else
#      generic), marked with *. ISAS="avx2 avx512": all of (a) once per
#      family listed, YOLO_ISA set for darknet-forward alone.
#  (b) Debian's `darknet detector test` (/usr/bin/darknet): its "Predicted
#      in X seconds" (network_predict alone, wall clock) over DK_IMAGES
#      images read from stdin by one process; the first is a warm-up, the
#      median and best of the rest are shown. Debian's libdarknet has no
#      OpenMP and its own GEMM: one thread whatever the environment says.
#  (c) PyTorch (Debian's /usr/bin/python3 with python3-torch): the same
#      layer graph built by tests/torch/dn_torch.py, torch.set_num_threads(2),
#      torch.no_grad(), batch norm folded as darknet-forward does; median of
#      RUNS runs after 2 warm-ups (bench/forward/torch_bench.py), ms per
#      image. At batch 1 twice: as is, and with glibc's malloc told to keep
#      freed memory (PT_MALLOC): by default each large activation PyTorch
#      allocates is a fresh mmap that page-faults on every run, which can
#      cost it more than its arithmetic (yolov2-voc: ~450 ms as is, ~135 ms
#      with PT_MALLOC, on this machine). With PT_MALLOC at each other batch
#      size in BATCHES (its MALLOC_MMAP_MAX_=0: at batch 8 activations pass
#      glibc's 32 MiB cap on the mmap threshold, and would be mmapped anew
#      on every run).
#  (d) the sgemm ceiling on 2 threads: bench/forward/sgemm.c times OpenBLAS
#      and the project's gemm_f32 on conv-shaped products (NN: M filters,
#      N = out_h*out_w, K = c*size*size; and training's NT / TN); the
#      ceiling is gemm_f32's best NN product. Linked with the project's
#      library (build/release/libyolo.a, made with bin/darknet-forward).
#  (e) onnxruntime (onnxruntime-node ORT_VERSION=1.30.0 from npm, CPU):
#      bench/forward/export_onnx.py exports dn_torch's graph (the one (c)
#      times, same weights, batch norm folded) with torch.onnx.export, one
#      model with a dynamic batch axis, darknet's maxpool as one ONNX
#      MaxPool with asymmetric pads and upsample as Resize nearest (its
#      header says why and that they are exact), and checks it: onnxruntime's
#      heads against PyTorch's on a seeded batch of 2 (max |diff| / max
#      |torch|, must be <= 1e-4; printed, and the `ort~pt` column).
#      bench/forward/ort_bench.js times it: intraOpNumThreads 2,
#      interOpNumThreads 1, graphOptimizationLevel 'all', cpu provider,
#      seeded random input, at each batch size in BATCHES, 2 untimed
#      warm-ups then RUNS runs, median (best) ms per image. The package goes
#      into ORT_DIR (default build/bench-ort, git-ignored), installed by the
#      script when missing with `npm install --ignore-scripts` (the CPU
#      library is in the package; its install script only fetches GPU parts).
#
# All use the same seeded random weights (darknet-forward --random 1
# --save-weights, in a temporary folder removed at the end, with the ONNX
# models). Then two tables. The first, batch 1 (one row per family):
# darknet-forward / PyTorch (issue 4's target: at most 0.6),
# darknet-forward's GFLOP/s as a fraction of the sgemm ceiling, and, as a
# correctness check, tests/torch/check_forward.py: darknet-forward's head
# outputs against dn_torch's on the same input tensors (max |diff| / max
# |torch|, must be <= 1e-4). The second, per family and batch size:
# darknet-forward against PyTorch (PT_MALLOC) and onnxruntime, ours/peer
# for the whole run and after the first pass. What is missing
# (darknet-forward, darknet, torch, node or npm, OpenBLAS's pkg-config) is
# said, and the rest is still timed. SKIP leaves parts out: any of darknet
# (b), torch (all of (c), and so (e) and the check), torch-asis (PyTorch
# without PT_MALLOC), ort (e), direct (--conv direct), sgemm (d), check.
#
#   sh bench/forward.sh                       (from anywhere in the repository)
#   IMAGES=20 REPS=3 DK_IMAGES=6 RUNS=10 NETS="yolov3-tiny" sh bench/forward.sh
#   ISAS="avx2 avx512" sh bench/forward.sh    (ours once per kernel family)
#   BATCHES="1 8" SKIP="darknet torch-asis" sh bench/forward.sh
#   MAKE="flock /tmp/lock make" sh bench/forward.sh    (serialise the build)
#   PY=python3 DARKNET=/opt/darknet sh bench/forward.sh (other interpreter, darknet)
#   NODE=node NPM=npm ORT_DIR=~/.cache/bench-ort sh bench/forward.sh
set -eu
cd "$(dirname "$0")/.."
IMAGES=${IMAGES:-20}
REPS=${REPS:-3}
DK_IMAGES=${DK_IMAGES:-6}
RUNS=${RUNS:-10}
NETS=${NETS:-"yolov2-voc yolov2-tiny-voc yolov3-tiny yolov4-tiny"}
BATCHES=${BATCHES:-"1 8"}
ISAS=${ISAS:-}
SKIP=${SKIP:-}
CFGS=${CFGS:-tests/data/cfg}
IMGS=${IMGS:-tests/data/images}
MAKE=${MAKE:-make}
PT_MALLOC=${PT_MALLOC:-"MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4000000000 MALLOC_TOP_PAD_=268435456 MALLOC_MMAP_MAX_=0"}
PY=${PY:-/usr/bin/python3}
DARKNET=${DARKNET:-darknet}
NODE=${NODE:-node}
NPM=${NPM:-npm}
ORT_VERSION=${ORT_VERSION:-1.30.0}
ORT_DIR=${ORT_DIR:-build/bench-ort}
CFGS=$(cd "$CFGS" && pwd) && IMGS=$(cd "$IMGS" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/forward-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM

say() { printf '%s\n' "$*"; }
missing() { say "MISSING: $*"; }
skip() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }
# the batch sizes: 1 first (the first table's), then the others of BATCHES
BLIST=$(printf '1 %s\n' "$BATCHES" | tr ' ' '\n' | awk 'NF && !s[$1]++' | tr '\n' ' ' | sed 's/ *$//')
BCSV=$(printf '%s' "$BLIST" | tr ' ' ',')
for b in $BLIST; do
  case $b in *[!0-9]* | 0*) say "BATCHES: $b is not a batch size"; exit 1 ;; esac
done

# --- what we have --------------------------------------------------------
$MAKE -s bin/darknet-forward bin/image-list >/dev/null 2>"$T/make.err" || {
  missing "could not build bin/darknet-forward (see below)"; cat "$T/make.err"; }
HAVE_FWD=0; [ -x bin/darknet-forward ] && [ -x bin/image-list ] && HAVE_FWD=1
HAVE_DK=0; skip darknet || { command -v "$DARKNET" >/dev/null 2>&1 && HAVE_DK=1; }
HAVE_TORCH=0; skip torch || { $PY -c 'import torch, numpy, msgpack' 2>/dev/null && HAVE_TORCH=1; }
# the OpenBLAS darknet-forward links: its OpenMP build (Makefile, scripts/deps.sh)
BLAS_LIBDIR=/usr/lib/$(cc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/openblas-openmp
blas_pc() { PKG_CONFIG_LIBDIR=$BLAS_LIBDIR/pkgconfig pkg-config "$@"; }
HAVE_BLAS=0; skip sgemm || { blas_pc --exists openblas 2>/dev/null && HAVE_BLAS=1; }
[ $HAVE_FWD = 1 ] || missing "bin/darknet-forward: column (a) and the check skipped"
skip darknet || [ $HAVE_DK = 1 ] || missing "$DARKNET (Debian package darknet): column (b) skipped"
skip torch || [ $HAVE_TORCH = 1 ] ||
  missing "torch for $PY (Debian package python3-torch): columns (c), (e) and the check skipped"
skip sgemm || [ $HAVE_BLAS = 1 ] || missing "OpenBLAS for OpenMP (libopenblas-openmp-dev): the sgemm ceiling (d) skipped"
# onnxruntime-node in $ORT_DIR, installed there when missing
ort_ok() { "$NODE" -e 'const p = require(require.resolve("onnxruntime-node/package.json",
  { paths: [process.argv[1] + "/node_modules"] })); if (p.version !== process.argv[2]) process.exit(1)' \
  "$(cd "$ORT_DIR" 2>/dev/null && pwd)" "$ORT_VERSION" 2>/dev/null; }
HAVE_ORT=0
if ! skip ort && [ $HAVE_TORCH = 1 ]; then
  if ! command -v "$NODE" >/dev/null 2>&1; then
    missing "$NODE (Node.js): onnxruntime (e) skipped"
  elif ort_ok; then
    HAVE_ORT=1
  elif ! command -v "$NPM" >/dev/null 2>&1; then
    missing "$NPM (to install onnxruntime-node@$ORT_VERSION into $ORT_DIR): onnxruntime (e) skipped"
  else
    say "installing onnxruntime-node@$ORT_VERSION into $ORT_DIR (npm install --ignore-scripts)"
    mkdir -p "$ORT_DIR"
    if (cd "$ORT_DIR" && "$NPM" install --ignore-scripts --no-audit --no-fund --prefix . \
          "onnxruntime-node@$ORT_VERSION") > "$T/npm.log" 2>&1 && ort_ok; then
      HAVE_ORT=1
    else
      missing "onnxruntime-node@$ORT_VERSION: npm install failed (below); onnxruntime (e) skipped"
      tail -5 "$T/npm.log"
    fi
  fi
elif ! skip ort; then
  missing "onnxruntime (e) needs torch for the export: skipped"
fi

# the kernel family: the CPU's best, as darknet-forward picks it by default
cpu_best() {
  if grep -qw avx512f /proc/cpuinfo; then echo avx512
  elif grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then echo avx2
  else echo generic; fi
}
say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
say "kernel family: ${ISAS:+ISAS=$ISAS (YOLO_ISA for darknet-forward alone), }YOLO_ISA=${YOLO_ISA:-(unset)}, the CPU's best: $(cpu_best)"
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
say "IMAGES=$IMAGES REPS=$REPS DK_IMAGES=$DK_IMAGES RUNS=$RUNS BATCHES=\"$BLIST\"${SKIP:+ SKIP=\"$SKIP\"} OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(auto)}"
[ $HAVE_ORT = 0 ] || say "onnxruntime-node $ORT_VERSION in $ORT_DIR, $("$NODE" --version)"

# N paths cycling through the shared images, as links with distinct names
# (distinct record ids) in folder $1, which image-list reads; listed in $1.list
mkimgs() {
  mkdir "$1" && : > "$1.list"
  i=0
  while [ "$i" -lt "$2" ]; do
    for f in "$IMGS"/*.jpg; do
      if [ "$i" -lt "$2" ]; then
        ln -s "$f" "$1/$i-${f##*/}" && printf '%s\n' "$1/$i-${f##*/}" >> "$1.list"
      fi
      i=$((i + 1))
    done
  done
}
for b in $BLIST; do    # IMAGES rounded up to a multiple of b, at least 2b
  n=$(( (IMAGES + b - 1) / b * b )); [ "$n" -ge $((2 * b)) ] || n=$((2 * b))
  [ "$b" = 1 ] && n=$IMAGES
  mkimgs "$T/img$b" "$n"
done
cp "$T/img1.list" "$T/list"

# --- (d) sgemm ceiling ---------------------------------------------------
CEIL=
if [ $HAVE_BLAS = 1 ]; then
  # the project's library when the build made it (gemm_f32's kernels, the
  # family switch, with the Makefile's flags); else the sources themselves
  if [ -f build/release/libyolo.a ]; then
    set -- build/release/libyolo.a
  else
    set -- common/net/gemm*.c common/net/isa.c
  fi
  # shellcheck disable=SC2046
  if cc -std=c11 -O2 -Wall -Wextra -fopenmp -Iinclude bench/forward/sgemm.c "$@" \
       $(blas_pc --cflags --libs openblas) -lm -Wl,-rpath,"$BLAS_LIBDIR" -o "$T/sgemm" 2> "$T/cc.err"; then
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
  else
    missing "bench/forward/sgemm.c did not build (below): the sgemm ceiling (d) skipped"
    head -20 "$T/cc.err"
  fi
fi

# --- per network ---------------------------------------------------------
# median and best of the numbers in file $1 (one per line)
stats() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR) printf "%.1f %.1f\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1]; else print "- -" }'; }

# time_ours BATCH PREFIX: darknet-forward over $T/img$BATCH, a warm-up run
# then REPS runs (family $ISAENV); network, after-the-first-pass and wall
# ms/image per run into PREFIX.net, .steady, .wall; at batch 1 also
# --conv direct into PREFIX.direct. Status 1 when darknet-forward failed.
time_ours() {
  : > "$2.net"; : > "$2.steady"; : > "$2.wall"; : > "$2.direct"
  n=$(wc -l < "$T/img$1.list")
  r=0
  while [ "$r" -le "$REPS" ]; do    # run 0 is the warm-up
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    if ! bin/image-list "$T/img$1" | env $ISAENV OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 \
         bin/darknet-forward --cfg "$cfg" --weights "$W" --batch "$1" > "$T/out.mp" 2> "$2.err"; then
      say "    darknet-forward${ISAENV:+ ($ISAENV)} --batch $1 failed: $(tail -1 "$2.err")"
      return 1
    fi
    t1=$(date +%s.%N)
    if [ "$r" -gt 0 ]; then
      sed -n 's/.*network \([0-9.]*\) ms\/image.*/\1/p' "$2.err" >> "$2.net"
      sed -n 's/.*after the first pass \([0-9.]*\) ms\/image.*/\1/p' "$2.err" >> "$2.steady"
      awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.1f\n", (b - a) * 1e3 / n }' >> "$2.wall"
      if [ "$1" = 1 ] && ! skip direct; then
        # shellcheck disable=SC2086
        bin/image-list "$T/img1" | env $ISAENV OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 \
          bin/darknet-forward --cfg "$cfg" --weights "$W" --conv direct > /dev/null 2> "$2.derr" &&
          sed -n 's/.*network \([0-9.]*\) ms\/image.*/\1/p' "$2.derr" >> "$2.direct"
      fi
    fi
    r=$((r + 1))
  done
}

# the family darknet-forward ran with: its own "kernels X", else what it
# should have picked, starred
family() {
  k=$(sed -n 's/.*kernels \([a-z0-9_]*\).*/\1/p' "$1" | tail -1)
  if [ -n "$k" ]; then echo "$k"
  elif [ -n "$2" ]; then echo "$2*"
  else echo "$(cpu_best)*"; fi
}

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
  bflops=-; dk=-; dkbest=-; torch=-; tbest=-; agree=-
  : > "$T/ours.rows"

  # (a) once per family asked for (ISAS), else as the environment has it
  if [ $HAVE_FWD = 1 ]; then
    for isa in ${ISAS:-.}; do
      if [ "$isa" = . ]; then ISAENV=; want=${YOLO_ISA:-}; else ISAENV="YOLO_ISA=$isa"; want=$isa; fi
      fam=-
      for b in $BLIST; do
        P=$T/ours.$b
        ours=-; obest=-; wall=-; direct=-; steady=-
        if time_ours "$b" "$P"; then
          fam=$(family "$P.err" "$want")
          stats "$P.net" > "$T/s" && read -r ours obest < "$T/s"
          steady=$(stats "$P.steady" | cut -d' ' -f1)
          wall=$(stats "$P.wall" | cut -d' ' -f1)
          direct=$(stats "$P.direct" | cut -d' ' -f1)
          if [ "$bflops" = - ]; then bflops=$(grep -o '[0-9.]* BFLOPs' "$P.err" | tail -1 | cut -d' ' -f1); fi
          say "(a) darknet-forward${ISAENV:+ $ISAENV} --batch $b (kernels $fam): $(grep 'ms/image' "$P.err" | tail -1)"
          d=; [ -s "$P.direct" ] && d="; --conv direct: $(tr '\n' ' ' < "$P.direct")"
          say "    network ms/image per run: $(tr '\n' ' ' < "$P.net")$d; wall ms/image: $(tr '\n' ' ' < "$P.wall")"
        fi
        printf '%s %s %s %s %s %s %s\n' "$b" "$fam" "$ours" "$obest" "$steady" "$wall" "$direct" >> "$T/ours.rows"
      done
    done
    grep -q 'kernels ' "$T"/ours.*.err 2>/dev/null ||
      say "    (darknet-forward does not print its kernel family: shown as YOLO_ISA or the CPU's best, starred${ISAS:+; YOLO_ISA may not be honoured yet})"
  fi

  # Debian's darknet is pjreddie's: a cfg in AlexeyAB's dialect (yolov4-tiny:
  # route groups, scale_x_y, his batch norm) is not its to run
  ab=0; grep -Eq '^ *(groups|group_id|scale_x_y|mosaic|maxpool_depth) *=|activation *= *(mish|swish|hard_mish)' "$cfg" && ab=1
  [ $HAVE_DK = 1 ] && [ $ab = 1 ] && say "(b) darknet: skipped, $net is in AlexeyAB's dialect, which Debian's (pjreddie's) darknet does not read"
  if [ $HAVE_DK = 1 ] && [ $ab = 0 ]; then
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

  # (c) PyTorch: as is at batch 1; with PT_MALLOC at every batch size
  : > "$T/peers"    # batch pytorch+mall best onnxruntime best
  for b in $BLIST; do printf '%s - - - -\n' "$b" >> "$T/peers"; done
  # set_peer BATCH FIELD MEDIAN BEST: fields 2 3 pytorch+mall, 4 5 onnxruntime
  set_peer() { awk -v b="$1" -v f="$2" -v m="$3" -v x="$4" \
    '$1 == b { $f = m; $(f + 1) = x } { print }' "$T/peers" > "$T/peers.new" && mv "$T/peers.new" "$T/peers"; }
  if [ $HAVE_TORCH = 1 ]; then
    if ! skip torch-asis; then
      $PY bench/forward/torch_bench.py "$cfg" "$W" --runs "$RUNS" --threads 2 > "$T/torch.out"
      say "(c) $(cat "$T/torch.out")"
      torch=$(awk '{ print $4 }' "$T/torch.out"); tbest=$(awk '{ print $6 }' "$T/torch.out")
      [ "$bflops" = - ] && bflops=$(awk '{ print $10 }' "$T/torch.out")
    fi
    for b in $BLIST; do
      # shellcheck disable=SC2086
      env $PT_MALLOC $PY bench/forward/torch_bench.py "$cfg" "$W" --runs "$RUNS" --threads 2 \
        --batch "$b" > "$T/torch2.out"
      say "    with PT_MALLOC: $(cat "$T/torch2.out")"
      set_peer "$b" 2 "$(awk '{ print $4 }' "$T/torch2.out")" "$(awk '{ print $6 }' "$T/torch2.out")"
      if [ "$bflops" = - ]; then bflops=$(awk '{ print $10 }' "$T/torch2.out"); fi
    done
    if [ $HAVE_FWD = 1 ] && ! skip check; then
      $PY tests/torch/check_forward.py --cfg "$cfg" --weights "$W" --images 2 > "$T/check.out" || true
      agree=$(awk '/^# worst/ { print $3 }' "$T/check.out")
      say "    check: $(tail -1 "$T/check.out")"
    fi
  fi

  # (e) onnxruntime on dn_torch's graph exported to ONNX
  ortagree=-
  if [ $HAVE_ORT = 1 ]; then
    if $PY bench/forward/export_onnx.py "$cfg" "$W" "$T/$net.onnx" --ref "$T/$net.ref" \
         > "$T/onnx.out" 2> "$T/onnx.err"; then
      say "(e) $(cat "$T/onnx.out")"
      "$NODE" bench/forward/ort_bench.js "$T/$net.onnx" --ort "$ORT_DIR" --check "$T/$net.ref" \
        --batch "$BCSV" --runs "$RUNS" --threads 2 > "$T/ort.out" 2> "$T/ort.err" ||
        say "    ort_bench.js exited $?: $(tail -3 "$T/ort.err")"
      sed 's/^/    /' "$T/ort.out"
      ortagree=$(sed -n 's/.*max |ort - torch| \/ max |torch| \([0-9.e+-]*\).*/\1/p' "$T/ort.out")
      for b in $BLIST; do
        line=$(awk -v b="$b" '$1 == "onnxruntime" && $4 == b' "$T/ort.out")
        if [ -n "$line" ]; then
          set_peer "$b" 4 "$(echo "$line" | awk '{ print $6 }')" "$(echo "$line" | awk '{ print $8 }')"
        fi
      done
    else
      say "(e) export_onnx.py failed: $(tail -3 "$T/onnx.err")"
    fi
    rm -f "$T/$net.onnx" "$T/$net.ref.bin"
  fi

  # rows: the first table (batch 1, per family), the second (per family and batch)
  [ -s "$T/ours.rows" ] || for b in $BLIST; do echo "$b - - - - - -" >> "$T/ours.rows"; done
  while read -r b fam ours obest steady wall direct; do
    if [ "$b" = 1 ]; then
      printf '%s %s %s %s %s %s %s %s %s %s %s %s %s %s %s\n' "$net" "$bflops" "$ours" "$obest" "$wall" \
        "$dk" "$dkbest" "$torch" "$tbest" "${agree:--}" \
        "$(awk '$1 == 1 { print $2 }' "$T/peers")" "$(awk '$1 == 1 { print $3 }' "$T/peers")" \
        "$direct" "$steady" "$fam" >> "$T/table"
    fi
    printf '%s %s %s %s %s %s %s %s\n' "$net" "$fam" "$b" "$ours" "$obest" "$steady" \
      "$(awk -v b="$b" '$1 == b { print $2, $3, $4, $5 }' "$T/peers")" "${ortagree:--}" >> "$T/table2"
  done < "$T/ours.rows"
done

# --- tables --------------------------------------------------------------
say ""
say "ms per 416x416 image, median (best): ours over $REPS runs of $IMAGES images each (batch 1),"
say "darknet over $((DK_IMAGES - 1)) images, torch over $RUNS runs. Load average now $(cut -d' ' -f1-3 /proc/loadavg)"
[ -f "$T/table" ] && awk -v ceil="${CEIL:-0}" '
  function num(a) { return a ~ /^[0-9.]+$/ }
  function r(a, b) { return (num(a) && num(b) && b > 0) ? sprintf("%.2f", a / b) : "-" }
  BEGIN { f = "%-15s %-8s %6s %13s %6s %6s %5s %13s %13s %13s %6s %6s %6s %5s %5s %8s\n"
          printf f, "network", "kernels", "BFLOPs", "darknet-fwd", "after1", "direct", "wall", "darknet",
                 "pytorch", "pytorch+mall", "fwd/pt", "fwd/pt+", "aft/pt+", "GF/s", "sgemm",
                 "fwd~pt" }
  { gf = (num($2) && num($3)) ? sprintf("%.1f", $2 / $3 * 1e3) : "-"
    printf f, $1, $15, $2, $3 " (" $4 ")", $14, $13, $5, $6 " (" $7 ")", $8 " (" $9 ")",
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
say "over the heads on 2 inputs (must be <= 1e-4). kernels: darknet-forward's family (* its"
say "YOLO_ISA or the CPU's best, where darknet-forward does not print it)."
say ""
say "Against the peers, 2 threads each, ms per image, median (best), at each batch size:"
[ -f "$T/table2" ] && awk '
  function num(a) { return a ~ /^[0-9.]+$/ }
  function r(a, b) { return (num(a) && num(b) && b > 0) ? sprintf("%.2f", a / b) : "-" }
  BEGIN { f = "%-15s %-8s %5s %15s %6s %15s %15s %8s %8s %7s %7s %8s\n"
          printf f, "network", "kernels", "batch", "darknet-fwd", "after1", "pytorch+mall",
                 "onnxruntime", "fwd/pt+", "fwd/ort", "aft/pt+", "aft/ort", "ort~pt" }
  { printf f, $1, $2, $3, $4 " (" $5 ")", $6, $7 " (" $8 ")", $9 " (" $10 ")",
           r($4, $7), r($4, $9), r($6, $7), r($6, $9), $11 }' "$T/table2"
say "darknet-fwd, after1: as above, with --batch B over IMAGES rounded up to a multiple of B"
say "(after1: without the first batch); pytorch+mall: torch_bench.py --batch B with PT_MALLOC;"
say "onnxruntime: ort_bench.js (onnxruntime-node $ORT_VERSION, cpu, intra-op threads 2), B images"
say "per run. fwd/x: darknet-fwd / x, aft/x: after1 / x, medians. ort~pt: max |onnxruntime -"
say "PyTorch| / max |PyTorch| over the heads of the exported model on 2 inputs (must be <= 1e-4)."
