# frames reads a video, not records: 3 frames of 32x24 testsrc the ffmpeg
# program makes (scripts/deps.sh test installs it), each record over 100
# bytes. A missing SOURCE file is exit 3, named.
ffmpeg -v error -y -f lavfi -i testsrc=size=32x24:rate=5:duration=0.6 -c:v mpeg4 "$T/conv-frames.avi"
small="$T/conv-frames.avi"
big=$small
