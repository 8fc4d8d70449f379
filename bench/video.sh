#!/bin/sh
# Video in real time (issue 19, point 5): frames per second end to end, the
# CPU time of every stage, and latency, of pipelines/video.sh
#   frames IN | darknet-forward | rescale --drop-output | nms | track | draw --video OUT
# on a generated 640x480 test video (ffmpeg's testsrc2, FRAMES frames at 25
# fps, h264 when libx264 is there, else mpeg4), yolov3-tiny with seeded
# random weights (the network's cost does not depend on its weights; the
# score threshold THRESH leaves a few dozen boxes a frame to draw and track),
# at each network size of SIZES (default "416 320").
#
#  (a) each stage alone, over the stream the stage before it wrote to a
#      file: ms per frame by wall clock, and CPU ms per frame (user + system,
#      the kernel's accounting of the process, as GNU time reports it). The
#      wall times' sum is darknet's `detector demo`-style sequential loop
#      (decode, infer, draw one after another), 1000 / sum its frames per
#      second. darknet-forward alone reads the same frame records (frames'
#      output) twice: with OpenMP's defaults, as a user runs it, and with
#      the pipeline's GOMP_SPINCOUNT; its rate is the better of the two.
#  (b) the pipeline: pipelines/video.sh itself, its stages run through
#      wrappers that time them: FRAMES / wall seconds against darknet-forward
#      alone's rate (target: at least 0.9), and the CPU ms per frame of each
#      stage in the pipeline, where the stages share the cores.
#  (b') the same with libgomp's default spin (GOMP_SPINCOUNT=300000: a
#      network thread that waits spins ~6 ms before it sleeps), which
#      video.sh replaces.
#  (c) latency: the file read at its own 25 fps (video.sh --realtime
#      --stamp, as a camera gives frames); at draw's end each record's age
#      (now - its `wall`) when draw has encoded it and passed it on: median,
#      95th percentile and maximum, ms.
# The CPU, the load average before and after each size, and OMP_NUM_THREADS
# (default 2) are printed. The machine's other work shows in the wall
# clock's figures (compare the load), much less in the CPU times.
#
# VIDEO_OPTS: more options for video.sh and draw alone (e.g.
# "--video-option preset=ultrafast", libx264's cheapest preset).
#
#   sh bench/video.sh                        (from anywhere in the repository)
#   FRAMES=100 SIZES=416 sh bench/video.sh
set -eu
cd "$(dirname "$0")/.."
FRAMES=${FRAMES:-200}
SIZES=${SIZES:-"416 320"}
THRESH=${THRESH:-0.9999}
VIDEO_OPTS=${VIDEO_OPTS:-}
CFG=${CFG:-tests/data/cfg/yolov3-tiny.cfg}
PY=${PY:-/usr/bin/python3}
TIME=/usr/bin/time     # GNU time (Debian's package time): the CPU figures
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
T=$(mktemp -d "${TMPDIR:-/tmp}/video-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
B=bin
STAGES="frames darknet-forward rescale nms track draw"
make -s $(for s in $STAGES; do printf '%s/%s ' "$B" "$s"; done) > /dev/null
[ -x "$TIME" ] || { echo "video.sh: no GNU time at $TIME (package time): CPU figures left out" >&2; TIME=; }
# video.sh's spin count for darknet-forward, so that (a) runs it alike
SPIN=$(sed -n 's/.*GOMP_SPINCOUNT:-\([0-9]*\).*/\1/p' pipelines/video.sh | head -1)

now() { date +%s.%N; }
ms_per() { echo "$1 $2 $3" | awk '{ printf "%.1f", ($2 - $1) * 1000 / $3 }'; }
say() { printf '%s\n' "$*"; }
# timed NAME CMD...: runs CMD, its wall seconds and CPU into $T/NAME.cpu
timed() {
  n=$1; shift
  if [ -n "$TIME" ]; then "$TIME" -o "$T/$n.cpu" -f '%e %U %S' "$@"
  else t0=$(now); "$@"; t1=$(now); echo "$t0 $t1" | awk '{ print $2 - $1, "-", "-" }' > "$T/$n.cpu"; fi
}
wall_ms() { awk -v n="$FRAMES" '{ printf "%.1f", $1 * 1000 / n }' "$T/$1.cpu"; }
cpu_ms() { awk -v n="$FRAMES" '$2 == "-" { printf "n/a"; next } { printf "%.1f", ($2 + $3) * 1000 / n }' "$T/$1.cpu"; }
# a BIN of wrappers: each stage of video.sh timed into $T/pipe.STAGE.cpu
mkdir "$T/wrap"
for s in $STAGES; do
  if [ -n "$TIME" ]; then
    printf '#!/bin/sh\nexec %s -o %s/pipe.%s.cpu -f "%%e %%U %%S" %s/%s "$@"\n' \
      "$TIME" "$T" "$s" "$PWD/$B" "$s" > "$T/wrap/$s"
  else
    printf '#!/bin/sh\nexec %s/%s "$@"\n' "$PWD/$B" "$s" > "$T/wrap/$s"
  fi
  chmod +x "$T/wrap/$s"
done

say "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores" \
    "(family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')," \
    "model $(grep -m1 '^model[[:space:]]' /proc/cpuinfo | cut -d: -f2 | tr -d ' '))"
say "OMP_NUM_THREADS=$OMP_NUM_THREADS; video.sh runs darknet-forward with GOMP_SPINCOUNT=$SPIN"
codec=mpeg4
ffmpeg -hide_banner -encoders 2> /dev/null | grep -q ' libx264 ' && codec=libx264
ffmpeg -v error -y -f lavfi -i "testsrc2=size=640x480:rate=25" -frames:v "$FRAMES" \
  -c:v "$codec" -pix_fmt yuv420p "$T/in.mkv"
say "input: $FRAMES frames of 640x480 testsrc2 at 25 fps, $codec; output: draw --video out.mkv" \
    "(libx264 preset veryfast when the input is h264, else mpeg4)${VIDEO_OPTS:+; options: $VIDEO_OPTS}"
"$B/darknet-forward" --quiet -c "$CFG" --random 1 --save-weights "$T/w" < /dev/null > /dev/null

lat_py='
import sys, time, statistics
import msgpack
ages = []
for r in msgpack.Unpacker(sys.stdin.buffer, raw=False, max_buffer_size=2**31):
    ages.append((time.time() - r["wall"]) * 1000)
ages.sort()
print("%.0f %.0f %.0f" % (statistics.median(ages), ages[int(0.95 * (len(ages) - 1))], ages[-1]))
'
for s in $SIZES; do
  net="--width $s --height $s"
  say ""
  say "yolov3-tiny at ${s}x$s; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  # (a) each stage alone
  timed frames "$B/frames" --quiet "$T/in.mkv" > "$T/dec.mp"
  timed fwd0 "$B/darknet-forward" --quiet -c "$CFG" -w "$T/w" $net "$T/dec.mp" > "$T/fwd.mp"
  timed fwd env GOMP_SPINCOUNT="$SPIN" "$B/darknet-forward" --quiet -c "$CFG" -w "$T/w" $net "$T/dec.mp" > /dev/null
  timed rescale "$B/rescale" --quiet --thresh "$THRESH" --drop-output "$T/fwd.mp" > "$T/res.mp"
  timed nms "$B/nms" --quiet --clip "$T/res.mp" > "$T/nms.mp"
  timed track "$B/track" --quiet "$T/nms.mp" > "$T/det.mp"
  timed draw "$B/draw" --quiet --video "$T/out.mkv" $VIDEO_OPTS "$T/det.mp" > /dev/null
  boxes=$("$B/records-to-json" "$T/det.mp" | jq -s 'map(.detections | length) | add / length * 10 | round / 10')
  fwd=$(wall_ms fwd0); [ "$(echo "$(wall_ms fwd) $fwd" | awk '{ print ($1 < $2) }')" = 1 ] && fwd=$(wall_ms fwd)
  seq=$(echo "$(wall_ms frames) $fwd $(wall_ms rescale) $(wall_ms nms) $(wall_ms track) $(wall_ms draw)" |
        awk '{ printf "%.1f", $1 + $2 + $3 + $4 + $5 + $6 }')
  # (b) the pipeline, (b') with libgomp's default spin
  pipe() {
    rm -f "$T"/pipe.*.cpu
    t0=$(now)
    BIN=$T/wrap pipelines/video.sh "$CFG" "$T/w" "$T/in.mkv" "$T/pipe.mkv" --size "${s}x$s" \
      --thresh "$THRESH" $VIDEO_OPTS
    t1=$(now)
    echo "$t0 $t1 $FRAMES" | awk '{ printf "%.1f", $3 / ($2 - $1) }'
  }
  p=$(pipe)
  pcpu=""
  for st in $STAGES; do pcpu="$pcpu $st $(cpu_ms "pipe.$st"),"; done
  pd=$(export GOMP_SPINCOUNT=300000; pipe)
  lat=$(pipelines/video.sh "$CFG" "$T/w" "$T/in.mkv" "$T/lat.mkv" --size "${s}x$s" \
          --thresh "$THRESH" $VIDEO_OPTS --realtime --stamp --records /dev/stdout | "$PY" -c "$lat_py")
  say "$boxes boxes a frame drawn on average"
  say "(a) alone, ms/frame wall (CPU): frames $(wall_ms frames) ($(cpu_ms frames))," \
      "darknet-forward $(wall_ms fwd0) ($(cpu_ms fwd0)), with GOMP_SPINCOUNT=$SPIN $(wall_ms fwd) ($(cpu_ms fwd))," \
      "rescale $(wall_ms rescale) ($(cpu_ms rescale)), nms $(wall_ms nms) ($(cpu_ms nms))," \
      "track $(wall_ms track) ($(cpu_ms track)), draw --video $(wall_ms draw) ($(cpu_ms draw))"
  say "    sum $seq ms: sequential loop $(echo "$seq" | awk '{ printf "%.1f", 1000 / $1 }') frames/s;" \
      "darknet-forward alone: $(echo "$fwd" | awk '{ printf "%.1f", 1000 / $1 }') frames/s"
  say "(b) pipeline (video.sh): $p frames/s, $(echo "$p $fwd" | awk '{ printf "%.2f", $1 * $2 / 1000 }') of darknet-forward's rate"
  say "    CPU ms/frame in it:${pcpu%,}"
  say "(b') pipeline, GOMP_SPINCOUNT=300000 (libgomp's default): $pd frames/s," \
      "$(echo "$pd $fwd" | awk '{ printf "%.2f", $1 * $2 / 1000 }') of darknet-forward's rate"
  say "(c) latency at 25 fps in (--realtime), ms: median, 95th percentile, max: $lat"
  say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
