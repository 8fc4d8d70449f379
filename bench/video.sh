#!/bin/sh
# Video in real time (issue 19, point 5): frames per second end to end, and
# latency, of
#   frames IN | darknet-forward | rescale | nms | draw --video OUT
# on a generated 640x480 test video (ffmpeg's testsrc2, FRAMES frames at 25
# fps, h264 when libx264 is there, else mpeg4), yolov3-tiny with seeded
# random weights (the network's cost does not depend on its weights; the
# score threshold THRESH leaves a handful of boxes a frame to draw), at each
# network size of SIZES (default "416 320").
#
#  (a) each stage alone, over the stream the stage before it wrote to a
#      file (frames: decode + RGB + records; darknet-forward: input made
#      from `frame` + network; rescale and nms; draw --video: drawing +
#      encoding), ms per frame by wall clock. Their sum is darknet's
#      `detector demo`-style sequential loop (decode, infer, draw one after
#      another), and 1000 / sum its frames per second.
#  (b) the pipeline, every stage its own process, decoding, inference,
#      drawing and encoding overlapped: FRAMES / wall seconds, against
#      darknet-forward's own rate in (a) (target: within 10 %).
#  (c) latency: frames --realtime --stamp (the file read at its own 25 fps,
#      as a camera gives frames) through the same pipeline; at draw's end
#      each record's age (now - its `wall`) when draw has encoded it and
#      passed it on: median, 95th percentile and maximum, ms.
# The CPU, the load average before and after, and OMP_NUM_THREADS (default
# 2) are printed. A second pipeline run with OMP_WAIT_POLICY=passive (the
# network's idle threads sleep instead of spinning, leaving the cores to
# the other stages) is (b').
#
#   sh bench/video.sh                        (from anywhere in the repository)
#   FRAMES=100 SIZES=416 sh bench/video.sh
set -eu
cd "$(dirname "$0")/.."
FRAMES=${FRAMES:-200}
SIZES=${SIZES:-"416 320"}
THRESH=${THRESH:-0.9999}
CFG=${CFG:-tests/data/cfg/yolov3-tiny.cfg}
PY=${PY:-/usr/bin/python3}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
T=$(mktemp -d "${TMPDIR:-/tmp}/video-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
B=bin
make -s "$B/frames" "$B/darknet-forward" "$B/rescale" "$B/nms" "$B/draw" > /dev/null

now() { date +%s.%N; }
ms_per() { echo "$1 $2 $3" | awk '{ printf "%.1f", ($2 - $1) * 1000 / $3 }'; }
say() { printf '%s\n' "$*"; }

say "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores" \
    "(family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')," \
    "model $(grep -m1 '^model[[:space:]]' /proc/cpuinfo | cut -d: -f2 | tr -d ' '))"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg); OMP_NUM_THREADS=$OMP_NUM_THREADS"
codec=mpeg4
ffmpeg -hide_banner -encoders 2> /dev/null | grep -q ' libx264 ' && codec=libx264
ffmpeg -v error -y -f lavfi -i "testsrc2=size=640x480:rate=25" -frames:v "$FRAMES" \
  -c:v "$codec" -pix_fmt yuv420p "$T/in.mkv"
say "input: $FRAMES frames of 640x480 testsrc2 at 25 fps, $codec; output: draw --video out.mkv" \
    "(libx264 preset veryfast when the input is h264, else mpeg4)"
"$B/darknet-forward" --quiet -c "$CFG" --random 1 --save-weights "$T/w" < /dev/null > /dev/null

# (a) each stage alone
t0=$(now); "$B/frames" "$T/in.mkv" > "$T/dec.mp"; t1=$(now)
dec=$(ms_per "$t0" "$t1" "$FRAMES")
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
  t0=$(now); "$B/darknet-forward" --quiet -c "$CFG" -w "$T/w" $net "$T/dec.mp" > "$T/fwd.mp"; t1=$(now)
  "$B/rescale" --quiet --thresh "$THRESH" "$T/fwd.mp" > "$T/res.mp"; t2=$(now)
  "$B/nms" --quiet --clip "$T/res.mp" > "$T/det.mp"; t3=$(now)
  "$B/draw" --quiet --video "$T/out.mkv" "$T/det.mp" > /dev/null; t4=$(now)
  fwd=$(ms_per "$t0" "$t1" "$FRAMES") res=$(ms_per "$t1" "$t2" "$FRAMES")
  nms=$(ms_per "$t2" "$t3" "$FRAMES") drw=$(ms_per "$t3" "$t4" "$FRAMES")
  boxes=$("$B/records-to-json" "$T/det.mp" | jq -s 'map(.detections | length) | add / length')
  seq=$(echo "$dec $fwd $res $nms $drw" | awk '{ printf "%.1f", $1 + $2 + $3 + $4 + $5 }')
  pipe() {
    t0=$(now)
    "$B/frames" "$T/in.mkv" | "$B/darknet-forward" --quiet -c "$CFG" -w "$T/w" $net |
      "$B/rescale" --quiet --thresh "$THRESH" | "$B/nms" --quiet --clip |
      "$B/draw" --quiet --video "$T/pipe.mkv" > /dev/null
    t1=$(now)
    echo "$t0 $t1 $FRAMES" | awk '{ printf "%.1f", $3 / ($2 - $1) }'
  }
  p=$(pipe)
  pp=$(OMP_WAIT_POLICY=passive pipe)
  lat=$("$B/frames" --realtime --stamp "$T/in.mkv" |
        "$B/darknet-forward" --quiet -c "$CFG" -w "$T/w" $net |
        "$B/rescale" --quiet --thresh "$THRESH" | "$B/nms" --quiet --clip |
        "$B/draw" --quiet --video "$T/lat.mkv" | "$PY" -c "$lat_py")
  say ""
  say "yolov3-tiny at ${s}x$s, $boxes boxes a frame drawn on average"
  say "(a) ms/frame alone: frames $dec, darknet-forward $fwd, rescale $res, nms $nms," \
      "draw --video $drw; sum $seq ms: sequential loop $(echo "$seq" | awk '{ printf "%.1f", 1000 / $1 }') frames/s"
  say "    darknet-forward alone: $(echo "$fwd" | awk '{ printf "%.1f", 1000 / $1 }') frames/s"
  say "(b) pipeline: $p frames/s, $(echo "$p $fwd" | awk '{ printf "%.2f", $1 * $2 / 1000 }') of darknet-forward's rate"
  say "(b') pipeline, OMP_WAIT_POLICY=passive: $pp frames/s, $(echo "$pp $fwd" | awk '{ printf "%.2f", $1 * $2 / 1000 }') of darknet-forward's rate"
  say "(c) latency at 25 fps in (--realtime), ms: median, 95th percentile, max: $lat"
done
say ""
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
