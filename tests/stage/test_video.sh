# Video in and out (issue 19): frames on test videos the ffmpeg program makes
# (testsrc, 640x480, 30 frames at 25 fps, in h264 when Debian's ffmpeg has
# libx264, mpeg4 and mjpeg): counts, ids, pts and times, --every / --fps /
# --max-frames, a frame's pixels against ffmpeg's own decode, darknet-forward
# on a frame as on the same pixels in a PNG, draw --video (frame count and
# rate kept, boxes and track ids drawn, records with 'error'), video.sh end
# to end with and without a track stage, an HTTP stream served by ffmpeg
# (its end and a stall), a stop by SIGTERM, and the bad inputs: truncated
# files, an empty file, not a video, an unsupported codec, no video stream,
# a missing camera, file or server, bad options.
. tests/stage/lib.sh
PY=/usr/bin/python3
if ! command -v ffmpeg > /dev/null || ! command -v ffprobe > /dev/null; then
  skip "video tests" "no ffmpeg program (scripts/deps.sh test installs it)"
  done_testing; exit
fi
gen() {   # gen OUT CODEC PIX_FMT [extra ffmpeg options]: 30 frames of testsrc
  out=$1 codec=$2 pix=$3; shift 3
  ffmpeg -v error -y -f lavfi -i testsrc=size=640x480:rate=25:duration=1.2 \
    -c:v "$codec" -pix_fmt "$pix" "$@" "$out"
}
frames_count() { records-to-json "$1" | wc -l | tr -d ' '; }
# rec.py: small reads of a record stream
cat > "$T/rec.py" <<'EOF'
import subprocess, sys
import msgpack
import numpy as np
def records(path):
    with open(path, "rb") as f:
        yield from msgpack.Unpacker(f, raw=False, max_buffer_size=2**31)
cmd = sys.argv[1]
if cmd == "meta":      # id pts time fps width height shape dtype, one line each
    for r in records(sys.argv[2]):
        fr = r["frame"]
        print(r["id"], r.get("pts"), "%.6f" % r["time"], "%.6g" % r.get("fps", 0), r["width"],
              r["height"], fr["shape"], fr["dtype"])
elif cmd == "pixels":  # max |ours - ffmpeg's rgb24| over frame k
    src, k, path = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    ours = next(r for r in records(path) if r["id"] == str(k))["frame"]["data"]
    theirs = subprocess.run(["ffmpeg", "-v", "error", "-i", src, "-vf", "select=eq(n\\,%d)" % k,
                             "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                            capture_output=True, check=True).stdout
    a = np.frombuffer(ours, np.uint8).astype(int)
    b = np.frombuffer(theirs, np.uint8).astype(int)
    print(len(a), len(b), int(np.abs(a - b).max()) if len(a) == len(b) else -1)
elif cmd == "png":     # frame k of a stream as a PNG
    from PIL import Image
    r = next(r for r in records(sys.argv[2]) if r["id"] == sys.argv[3])
    a = np.frombuffer(r["frame"]["data"], np.uint8).reshape(r["frame"]["shape"])
    Image.fromarray(a).save(sys.argv[4])
elif cmd == "rawframes":  # a nut/rawvideo rgb24 file's frames vs a stream's: per frame,
    # the pixels that differ (inside the drawn boxes) and whether all others are equal
    w, h = int(sys.argv[4]), int(sys.argv[5])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", sys.argv[2], "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    vid = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)
    for i, r in enumerate(records(sys.argv[3])):
        a = np.frombuffer(r["frame"]["data"], np.uint8).reshape(h, w, 3)
        print(int((vid[i] != a).any(axis=2).sum()))
elif cmd == "lat":     # records with 'wall': how many
    print(sum(1 for r in records(sys.argv[2]) if isinstance(r.get("wall"), float)))
EOF

# --- the test videos ------------------------------------------------------
codecs="mpeg4:avi mjpeg:avi"
gen "$T/v-mpeg4.avi" mpeg4 yuv420p
gen "$T/v-mjpeg.avi" mjpeg yuvj420p
if ffmpeg -hide_banner -encoders 2> /dev/null | grep -q ' libx264 '; then
  gen "$T/v-libx264.mp4" libx264 yuv420p
  codecs="libx264:mp4 $codecs"
else
  skip "h264 video" "Debian's ffmpeg here has no libx264 encoder"
fi
want_meta=$(i=0; while [ $i -lt 30 ]; do
  printf '%d %s %.6f 25 640 480 [480, 640, 3] u8\n' $i PTS "$(echo "$i / 25" | bc -l)"; i=$((i + 1)); done)
for cv in $codecs; do
  c=${cv%%:*} f=$T/v-${cv%%:*}.${cv#*:}
  frames "$f" > "$T/$c.mp" 2> "$T/err"; rc=$?
  check_eq "$c: exit 0, nothing on stderr" "$rc $(cat "$T/err")" "0 "
  check_eq "$c: 30 records" "$(frames_count "$T/$c.mp")" 30
  # pts are in the stream's time base (mp4: 1/12800, avi: 1/25): left out of the comparison
  check_eq "$c: ids 0..29, times k/25 s, fps 25, 640x480, u8 [480,640,3]" \
    "$($PY "$T/rec.py" meta "$T/$c.mp" | awk '{$2 = "PTS"; print}')" "$(echo "$want_meta" | awk '{$2 = "PTS"; print}')"
  check_match "$c: pts increase" "$($PY "$T/rec.py" meta "$T/$c.mp" | awk 'NR > 1 && $2 <= p { bad = 1 } { p = $2 } END { print bad ? "no" : "yes" }')" yes
  # swscale's bicubic RGB conversion, as the ffmpeg program's: measured equal
  # (0); up to 2 allowed for rounding in other builds' SIMD paths
  check_match "$c: frame 17 within 2 of ffmpeg's rgb24 decode" \
    "$($PY "$T/rec.py" pixels "$f" 17 "$T/$c.mp")" "^921600 921600 [012]$"
done
V=$T/v-mpeg4.avi
cp "$T/mpeg4.mp" "$T/all.mp"

# --- thinning ----------------------------------------------------------------
frames --every 3 "$V" > "$T/e3.mp"
check_eq "--every 3: frames 0, 3, ..., 27 at 25/3 fps" \
  "$($PY "$T/rec.py" meta "$T/e3.mp" | awk '{printf "%s:%s ", $1, $4}')" \
  "0:8.33333 3:8.33333 6:8.33333 9:8.33333 12:8.33333 15:8.33333 18:8.33333 21:8.33333 24:8.33333 27:8.33333 "
frames --fps 10 "$V" > "$T/f10.mp"
# frame k at k/25 s falls in slot floor(k * 10 / 25): the first of each slot
check_eq "--fps 10: the first frame of each 0.1 s, fps 10" \
  "$($PY "$T/rec.py" meta "$T/f10.mp" | awk '{printf "%s:%s ", $1, $4}')" \
  "0:10 3:10 5:10 8:10 10:10 13:10 15:10 18:10 20:10 23:10 25:10 28:10 "
frames --fps 100 "$V" > "$T/f100.mp"
check_eq "--fps above the source's: every frame, fps 25" \
  "$($PY "$T/rec.py" meta "$T/f100.mp" | awk '{printf "%s:%s ", $1, $4}' | cut -c1-20)" "0:25 1:25 2:25 3:25 "
frames --every 2 --fps 5 --max-frames 4 "$V" > "$T/mix.mp"
check_eq "--every 2 --fps 5 --max-frames 4" \
  "$($PY "$T/rec.py" meta "$T/mix.mp" | awk '{printf "%s:%s ", $1, $4}')" "0:5 6:5 10:5 16:5 "
frames --stamp --max-frames 3 "$V" > "$T/st.mp"
check_eq "--stamp: each record has 'wall'" "$($PY "$T/rec.py" lat "$T/st.mp")" 3

# --- darknet-forward reads 'frame' as it reads the same pixels from a PNG ------
CFG=tests/fixtures/synth-tiny.cfg
darknet-forward --quiet --cfg "$CFG" --random 3 --save-weights "$T/w.weights" < /dev/null > /dev/null
$PY "$T/rec.py" png "$T/all.mp" 12 "$T/f12.png"
image-list "$T/f12.png" | darknet-forward --quiet --cfg "$CFG" --weights "$T/w.weights" |
  records-to-json --full | jq -c '[.output, .transform]' > "$T/png.json"
frames --every 12 --max-frames 2 "$V" | darknet-forward --quiet --cfg "$CFG" --weights "$T/w.weights" |
  records-to-json --full | tail -1 | jq -c '[.output, .transform]' > "$T/frame.json"
check "darknet-forward: output and transform of frame 12 equal those of its PNG" cmp -s "$T/png.json" "$T/frame.json"
check_match "the transform letterboxes 640x480 into 96x96" "$(cat "$T/frame.json")" '"net_w":96,"net_h":96,"sx":0.15,"sy":0.15,"dx":0,"dy":12'

# --- draw --video ----------------------------------------------------------------
probe() { ffprobe -v error -count_frames -show_entries stream=codec_name,nb_read_frames,r_frame_rate,width,height -of csv=p=0 "$1"; }
draw --video "$T/o.mp4" "$T/all.mp" > "$T/pass.mp" 2> "$T/err"; rc=$?
check_eq "draw --video o.mp4: exit 0, nothing on stderr" "$rc $(cat "$T/err")" "0 "
check "draw --video: the records pass on byte for byte" cmp -s "$T/pass.mp" "$T/all.mp"
if ffmpeg -hide_banner -encoders 2> /dev/null | grep -q ' libx264 '; then
  check_eq "o.mp4: h264 640x480, 30 frames at 25/1" "$(probe "$T/o.mp4")" "h264,640,480,25/1,30"
else
  check_match "o.mp4: 640x480, 30 frames at 25/1" "$(probe "$T/o.mp4")" ",640,480,25/1,30$"
fi
draw --video "$T/o.avi" "$T/e3.mp" > /dev/null
check_eq "--every 3 stream: 10 frames at 25/3 (mpeg4 in avi)" "$(probe "$T/o.avi")" "mpeg4,640,480,25/3,10"
draw --video "$T/o.mkv" --fps 12 --video-codec mjpeg "$T/e3.mp" > /dev/null
check_eq "--fps 12 --video-codec mjpeg: 10 frames at 12/1" "$(probe "$T/o.mkv")" "mjpeg,640,480,12/1,10"
draw --video - "$T/e3.mp" > "$T/stdout.mjpeg"
check_eq "--video -: MJPEG on stdout, 10 frames" "$(probe "$T/stdout.mjpeg" | cut -d, -f1,2,3,5)" "mjpeg,640,480,10"
# boxes and a track id on frames 0 and 1, none on 2; rawvideo keeps every other pixel
# (160x120 frames: the JSON of their pixels stays small)
ffmpeg -v error -y -f lavfi -i testsrc=size=160x120:rate=10:duration=1 -c:v mpeg4 "$T/small.avi"
frames --every 3 --max-frames 3 "$T/small.avi" > "$T/s3.mp"
records-to-json --full "$T/s3.mp" | jq -c 'if .id == "0" then
    .detections = [{class: 1, name: "car", score: 0.9, bbox: [40, 50, 120, 100]}]
  elif .id == "3" then
    .detections = [{class: 1, name: "car", score: 0.9, bbox: [40, 50, 120, 100], track_id: 12}]
  else . end' | json-to-records > "$T/det.mp"
draw --video "$T/raw.nut" --video-format nut --video-codec rawvideo "$T/det.mp" > /dev/null 2> "$T/err"
changed=$($PY "$T/rec.py" rawframes "$T/raw.nut" "$T/det.mp" 160 120 | tr '\n' ' ')
check_match "rawvideo: boxes change frames 0 and 1, frame 2 is its frame exactly" "$changed" '^[1-9][0-9]* [1-9][0-9]* 0 $'
n0=${changed%% *}; rest=${changed#* }; n1=${rest%% *}
check "the track id's label '#12 car 0.90' covers more pixels than 'car 0.90'" [ "$n1" -gt "$n0" ]
# (json-to-records refuses such a record itself: made with Python's msgpack)
/usr/bin/python3 -c '
import sys, msgpack
rs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
rs[0]["detections"][0]["track_id"] = "x"
sys.stdout.buffer.write(b"".join(msgpack.packb(r, use_bin_type=True) for r in rs))' "$T/det.mp" |
  draw --video "$T/bad.mp4" > /dev/null 2> "$T/err"; rc=$?
check_match "a track_id that is not an integer: exit 2 naming it" "$rc $(cat "$T/err")" "^2 draw: .*record 0: key 'detections\[0\]': 'track_id' is string, not an integer"
# a record with 'error' is its frame without boxes; every record is a frame
records-to-json --full "$T/det.mp" | jq -c 'if .id == "3" then .error = "x: failed" else . end' |
  json-to-records > "$T/err.mp"
draw --video "$T/e.nut" --video-format nut --video-codec rawvideo "$T/err.mp" > /dev/null 2> "$T/err"
check_eq "a record with 'error': its frame as it is, counted" \
  "$($PY "$T/rec.py" rawframes "$T/e.nut" "$T/err.mp" 160 120 | tr '\n' ' ')|$(cat "$T/err")" \
  "${n0} 0 0 |draw: 1 record with 'error' passed on, not drawn"
records-to-json --full "$T/det.mp" | jq -c 'if .id == "3" then del(.frame) | .error = "x" else . end' |
  json-to-records | draw --video "$T/rep.avi" > /dev/null 2> "$T/err"
check_eq "a record without a picture repeats the frame before" "$(probe "$T/rep.avi" | cut -d, -f5)|$(tail -1 "$T/err")" \
  "3|draw: 1 record without a picture: the frame before shown again"

# --- draw --video: bad options ------------------------------------------------------
draw --video "$T/o.xyz" "$T/e3.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "an extension FFmpeg has no format for: exit 1" "$rc $(cat "$T/err")" "^1 draw: .*o.xyz: no video format goes by this file name's extension"
draw --video "$T/o.mp4" --video-codec nosuch "$T/e3.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "an unknown encoder: exit 1" "$rc $(cat "$T/err")" "^1 draw: video codec 'nosuch': this FFmpeg has no such encoder"
draw --video "$T/o.avi" --video-option nosuch=1 "$T/e3.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "an encoder option it does not take: exit 1" "$rc $(cat "$T/err")" "^1 draw: .*option 'nosuch' is not one of the encoder's"
draw --out "$T/d" --fps 5 "$T/e3.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "--fps without --video: exit 1" "$rc $(cat "$T/err")" "^1 draw: --video-format, --video-codec, --video-option and --fps go with --video"
draw --video - -o "$T/x.mp" "$T/e3.mp" 2> "$T/err"; rc=$?
check_match "--video - with -o: exit 1" "$rc $(cat "$T/err")" "^1 draw: --video - writes the video on standard output"
draw --video "$T/no/such/o.avi" "$T/e3.mp" > /dev/null 2> "$T/err"; rc=$?
check_match "--video into a missing folder: exit 3" "$rc $(cat "$T/err")" "^3 draw: .*no/such/o.avi: cannot write: No such file or directory"

# --- pipelines/video.sh ------------------------------------------------------------
BIN=$BIN pipelines/video.sh "$CFG" "$T/w.weights" "$T/small.avi" "$T/vs.avi" --no-track \
  --records "$T/vs.mp" 2> "$T/err"; rc=$?
check_eq "video.sh: exit 0, nothing on stderr" "$rc $(cat "$T/err")" "0 "
check_eq "video.sh: 10 frames at 10/1 in, 10 out" "$(probe "$T/vs.avi")" "mpeg4,160,120,10/1,10"
check_eq "video.sh --records: 10 records with detections and the frame, without the raw output (rescale --drop-output)" \
  "$(records-to-json "$T/vs.mp" | jq -c 'has("detections") and has("frame") and (has("output") | not)' | sort | uniq -c | tr -s ' ')" " 10 true"
# --stamp reaches frames; darknet-forward runs with GOMP_SPINCOUNT 10000
# unless the environment says otherwise (a wrapper in BIN tells)
mkdir "$T/bin4"
for s in "$BIN"/*; do [ "${s##*/}" = darknet-forward ] || ln -s "$s" "$T/bin4/"; done
printf '#!/bin/sh\necho "$GOMP_SPINCOUNT" >> %s/spin\nexec %s/darknet-forward "$@"\n' "$T" "$(cd "$BIN" && pwd)" > "$T/bin4/darknet-forward"
chmod +x "$T/bin4/darknet-forward"
BIN=$T/bin4 pipelines/video.sh "$CFG" "$T/w.weights" "$T/small.avi" "$T/vs.avi" --no-track \
  --stamp --records "$T/vst.mp" 2> "$T/err"; rc=$?
GOMP_SPINCOUNT=77 BIN=$T/bin4 pipelines/video.sh "$CFG" "$T/w.weights" "$T/small.avi" "$T/vs.avi" \
  --no-track 2>> "$T/err"
check_eq "video.sh --stamp: every record has its wall time; darknet-forward's GOMP_SPINCOUNT 10000, the environment's when set" \
  "$rc $(records-to-json "$T/vst.mp" | jq -c 'has("wall")' | sort | uniq -c | tr -s ' ') $(cat "$T/spin" | tr '\n' ' ')" "0  10 true 10000 77 "
# a track stage in BIN is put between nms and draw (here one that only says it ran)
# (BIN's own track is left out of the links: writing the fake over a link
# would write over the real stage)
mkdir "$T/bin2" "$T/bin3"
for s in "$BIN"/*; do
  [ "${s##*/}" = track ] && continue
  ln -s "$s" "$T/bin2/"; ln -s "$s" "$T/bin3/"
done
printf '#!/bin/sh\necho "track $*" > %s/track.ran\nexec cat\n' "$T" > "$T/bin2/track"
chmod +x "$T/bin2/track"
BIN=$T/bin2 pipelines/video.sh "$CFG" "$T/w.weights" "$T/small.avi" "$T/vt.avi" --track bytetrack 2> "$T/err"; rc=$?
check_eq "video.sh with a track stage in BIN: it runs, with --method" "$rc $(cat "$T/track.ran" 2> /dev/null)" "0 track --method bytetrack"
rm -f "$T/track.ran"
BIN=$T/bin2 pipelines/video.sh "$CFG" "$T/w.weights" "$T/small.avi" "$T/vt.avi" --no-track 2> "$T/err"
check "video.sh --no-track: the track stage is left out" [ ! -e "$T/track.ran" ]
PATH=/usr/bin:/bin BIN=$T/bin3 pipelines/video.sh "$CFG" "$T/w.weights" "$T/small.avi" "$T/vt.avi" --track sort 2> "$T/err"; rc=$?
check_match "video.sh --track without a track stage: exit 1" "$rc $(cat "$T/err")" "^1 video.sh: --track: there is no track stage"
BIN=$BIN pipelines/video.sh "$CFG" "$T/w.weights" "$T/small.avi" 2> "$T/err"; rc=$?
check_match "video.sh with 3 arguments: usage, exit 1" "$rc $(head -1 "$T/err")" "^1 Usage:"
BIN=$BIN pipelines/video.sh "$CFG" "$T/w.weights" "$T/none.avi" "$T/vn.avi" 2> "$T/err"; rc=$?
check_match "video.sh on a missing file: frames named, exit 3" "$rc $(tr "\n" " " < "$T/err")" "^3 frames: .*none.avi: cannot open: No such file or directory.*video.sh: frames failed \(status 3\)"

# --- bad input -----------------------------------------------------------------------
cut_file() { s=$(wc -c < "$1"); head -c $((s * $2 / 100)) "$1" > "$3"; }
gen "$T/fast.mp4" mpeg4 yuv420p -movflags +faststart
cut_file "$T/fast.mp4" 60 "$T/cut.mp4"
frames "$T/cut.mp4" > "$T/cut.mp" 2> "$T/err"; rc=$?
n=$(frames_count "$T/cut.mp")
check_match "a cut mp4 (index first): exit 0, the frames before the cut" "$rc $n" "^0 (1[0-9]|2[0-9])$"
check_match "  and a warning naming it and the counts" "$(cat "$T/err")" "frames: .*cut.mp4: the file ends after $n of the 30 frames its index announces: truncated; $n frames decoded, $n written"
frames --strict "$T/cut.mp4" > "$T/cut2.mp" 2> "$T/err"; rc=$?
check_match "  --strict: the same frames, then exit 2" "$rc $(frames_count "$T/cut2.mp") $(tail -1 "$T/err")" "^2 $n frames: .*cut.mp4: damaged \(--strict\)"
BIN=$BIN pipelines/video.sh "$CFG" "$T/w.weights" "$T/cut.mp4" "$T/cut.avi" 2> "$T/err"; rc=$?
check_eq "video.sh on it: exit 0, a video of the $n frames" "$rc $(probe "$T/cut.avi" | cut -d, -f5)" "0 $n"
ffmpeg -v error -y -f lavfi -i testsrc=size=640x480:rate=25:duration=1.2 -c:v mpeg4 "$T/v.mkv"
cut_file "$T/v.mkv" 50 "$T/cut.mkv"
frames "$T/cut.mkv" > "$T/cutk.mp" 2> "$T/err"; rc=$?
n=$(frames_count "$T/cutk.mp")
check_match "a cut mkv (no frame count): exit 0, its frames, the time it stops at" "$rc $n $(cat "$T/err")" \
  "^0 $n frames: .*cut.mkv: the file ends at [0-9.]+ s of the 1.20 s its header announces: truncated; $n frames decoded"
gen "$T/plain.mp4" mpeg4 yuv420p
cut_file "$T/plain.mp4" 60 "$T/cutp.mp4"
frames "$T/cutp.mp4" > "$T/out" 2> "$T/err"; rc=$?
check_match "a cut mp4 with its index at the end: exit 2, nothing written" "$rc $(wc -c < "$T/out") $(cat "$T/err")" \
  "^2 0 frames: .*cutp.mp4: not a video FFmpeg can read: moov atom not found"
: > "$T/empty.mp4"
frames "$T/empty.mp4" > "$T/out" 2> "$T/err"; rc=$?
check_eq "an empty file: exit 2" "$rc $(wc -c < "$T/out") $(cat "$T/err")" "2 0 frames: $T/empty.mp4: an empty file (0 bytes), not a video"
frames tests/stage/lib.sh > "$T/out" 2> "$T/err"; rc=$?
check_eq "not a video: exit 2" "$rc $(wc -c < "$T/out") $(cat "$T/err")" \
  "2 0 frames: tests/stage/lib.sh: not a video FFmpeg can read: Invalid data found when processing input"
$PY -c "import sys; d = open(sys.argv[1], 'rb').read(); open(sys.argv[2], 'wb').write(d.replace(b'FMP4', b'ZZZZ'))" "$V" "$T/zzzz.avi"
frames "$T/zzzz.avi" > "$T/out" 2> "$T/err"; rc=$?
check_eq "an unsupported codec (fourcc ZZZZ): exit 2" "$rc $(wc -c < "$T/out") $(cat "$T/err")" \
  "2 0 frames: $T/zzzz.avi: unsupported codec 'none' (tag ZZZZ): this FFmpeg has no decoder for it"
ffmpeg -v error -y -f lavfi -i anullsrc -t 0.2 "$T/a.wav"
frames "$T/a.wav" > "$T/out" 2> "$T/err"; rc=$?
check_eq "no video stream: exit 2" "$rc $(cat "$T/err")" "2 frames: $T/a.wav: no video stream (wav)"
frames /dev/video9 > "$T/out" 2> "$T/err"; rc=$?
check_match "a camera that is not there: exit 3" "$rc $(wc -c < "$T/out") $(cat "$T/err")" \
  "^3 0 frames: /dev/video9: cannot open the camera: .*No such file or directory"
frames "$T/none.mp4" > "$T/out" 2> "$T/err"; rc=$?
check_eq "a missing file: exit 3" "$rc $(cat "$T/err")" "3 frames: $T/none.mp4: cannot open: No such file or directory"
frames --timeout 2 http://127.0.0.1:1/x.ts > "$T/out" 2> "$T/err"; rc=$?
check_eq "a server that is not there: exit 3" "$rc $(cat "$T/err")" "3 frames: http://127.0.0.1:1/x.ts: cannot open: Connection refused"
frames --format nosuch "$V" > /dev/null 2> "$T/err"; rc=$?
check_match "--format unknown: exit 1" "$rc $(head -1 "$T/err")" "^1 frames: --format 'nosuch': FFmpeg has no such input format"
frames --input-option nosuch=1 "$V" > /dev/null 2> "$T/err"; rc=$?
check_match "--input-option it does not take: exit 1" "$rc $(head -1 "$T/err")" "^1 frames: .*input option 'nosuch': not an option of this input \(avi\)"
frames --input-option novalue "$V" > /dev/null 2> "$T/err"; rc=$?
check_match "--input-option without =: exit 1" "$rc $(head -1 "$T/err")" "^1 frames: input option 'novalue': expected KEY=VALUE"
frames --format v4l2 --input-option video_size=320x240 /dev/video9 > /dev/null 2> "$T/err"; rc=$?
check_match "camera options parsed, the camera missing: exit 3" "$rc $(head -1 "$T/err")" "^3 frames: /dev/video9: cannot open the camera"
frames > /dev/null 2> "$T/err"; rc=$?
check_match "no SOURCE: exit 1" "$rc $(head -1 "$T/err")" "^1 frames: give one SOURCE"
frames "$V" "$V" > /dev/null 2> "$T/err"; rc=$?
check_match "two SOURCEs: exit 1" "$rc $(head -1 "$T/err")" "^1 frames: give one SOURCE"
frames --every 0 "$V" > /dev/null 2> "$T/err"; rc=$?
check_match "--every 0: exit 1" "$rc $(head -1 "$T/err")" "^1 frames: option --every"

# --- a stop by signal, a network stream ---------------------------------------------------
ffmpeg -v error -y -f lavfi -i testsrc=size=160x120:rate=25:duration=4 -c:v mpeg4 -f mpegts "$T/long.ts"
frames --realtime "$T/long.ts" > "$T/sig.mp" 2> "$T/err" & pid=$!
sleep 1; kill -TERM $pid; wait $pid; rc=$?
n=$(frames_count "$T/sig.mp")
check_match "SIGTERM: exit 0, whole records, the count said" "$rc $(cat "$T/err")" \
  "^0 frames: .*long.ts: stopped by signal 15; $n frames decoded, $n written"
check "  about a second of 25 fps" [ "$n" -ge 10 ] && [ "$n" -le 50 ]
port=$((20000 + $$ % 20000))
ffmpeg -v error -i "$T/long.ts" -c copy -f mpegts -listen 1 "http://127.0.0.1:$port/s.ts" & srv=$!
sleep 0.5
if kill -0 $srv 2> /dev/null; then
  frames --timeout 5 "http://127.0.0.1:$port/s.ts" > "$T/http.mp" 2> "$T/err"; rc=$?
  check_eq "an HTTP stream served by ffmpeg: its 100 frames, then a message" "$rc $(frames_count "$T/http.mp") $(cat "$T/err")" \
    "0 100 frames: http://127.0.0.1:$port/s.ts: the stream ended; 100 frames decoded, 100 written"
else
  skip "an HTTP stream served by ffmpeg" "ffmpeg could not listen on port $port"
fi
wait $srv 2> /dev/null
port=$((port + 1))
ffmpeg -v error -re -i "$T/long.ts" -c copy -f mpegts -listen 1 "http://127.0.0.1:$port/s.ts" & srv=$!
sleep 0.5
if kill -0 $srv 2> /dev/null; then
  (sleep 1; kill -STOP $srv) &
  frames --timeout 1 "http://127.0.0.1:$port/s.ts" > "$T/stall.mp" 2> "$T/err"; rc=$?
  n=$(frames_count "$T/stall.mp")
  check_match "a stream that stalls: after --timeout 1, a clean end with the frames so far" "$rc $n $(cat "$T/err")" \
    "^0 $n frames: .*: nothing came for 1 s \(--timeout\): the connection is taken as lost; $n frames decoded"
  kill -KILL $srv 2> /dev/null
else
  skip "a stream that stalls" "ffmpeg could not listen on port $port"
fi
wait $srv 2> /dev/null
done_testing
