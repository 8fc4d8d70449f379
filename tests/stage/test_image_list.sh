# image-list in real pipes: folders searched (sorted, hidden entries and
# symlink loops left alone), files and standard input, sizes from the JPEG
# header (PNG and BMP: tests/stage/test_png.sh), and every bad path warned, counted, skipped (fatal with --strict).
. tests/stage/lib.sh
# tests/data/images: darknet's dog.jpg (768x576) and synth-voc's synth-WxH.jpg
IMAGES="$(cd "$(dirname "$0")/../data/images" && pwd)"

# --- paths that are not images: no real image needed ---------------------------
mkdir -p "$T/bad"
echo "just text" > "$T/bad/notes.jpg"
: > "$T/bad/empty.jpg"
image-list "$T/bad" "$T/missing.jpg" > "$T/out" 2> "$T/err"; rc=$?
check_eq "nothing readable: exit 0, no records" "$rc $(wc -c < "$T/out" | tr -d ' ')" "0 0"
check_eq "each bad path warned, naming it and why; one closing line" "$(cat "$T/err")" \
"image-list: $T/bad/empty.jpg: not a readable image (empty file): skipped
image-list: $T/bad/notes.jpg: not an image (JPEG, PNG or BMP, told by its first bytes): skipped
image-list: $T/missing.jpg: No such file or directory: skipped
image-list: 3 paths skipped (missing, unreadable or not an image)"
check_eq "--quiet: no warnings" "$(image-list --quiet "$T/bad" 2>&1 >/dev/null)" ""
image-list --strict "$T/missing.jpg" > /dev/null 2> "$T/err"; rc=$?
check_eq "--strict, a missing file: exit 2 and why" "$rc $(cat "$T/err")" \
  "2 image-list: $T/missing.jpg: No such file or directory (an error with --strict)"
mkdir -p "$T/none/sub"
echo x > "$T/none/sub/readme.txt"
check_eq "a folder with no JPEGs: no records, no messages" "$(image-list "$T/none" 2>&1 | wc -c | tr -d ' ')" 0
d="$T/deep"
i=0; while [ $i -lt 66 ]; do d="$d/d"; i=$((i + 1)); done
mkdir -p "$d"
image-list "$T/deep" > /dev/null 2> "$T/err"; rc=$?
check_match "folders more than 64 deep: warned, skipped" "$rc $(head -1 "$T/err")" "^0 image-list: $T/deep(/d)+: more than 64 folders deep: skipped"
printf '%5000s\n' x | image-list > /dev/null 2> "$T/err"; rc=$?
check_match "a line longer than 4096 bytes: warned, skipped" "$rc $(head -1 "$T/err")" "^0 image-list: <stdin>:1: a line longer than 4096 bytes: skipped"
printf '\n  \n\r\n' | image-list > "$T/out" 2> "$T/err"; rc=$?
check_eq "blank lines on standard input: nothing, quietly" "$rc $(wc -c < "$T/out" | tr -d ' ')$(cat "$T/err")" "0 0"

# --- a folder of photos --------------------------------------------------------
PH="$T/ph"
mkdir -p "$PH/sub/deeper" "$PH/.hidden" "$T/elsewhere"
cp "$IMAGES/dog.jpg" "$PH/Dog.JPG"
cp "$IMAGES/synth-773x512.jpg" "$PH/sub/deeper/eagle.jpeg"
cp "$IMAGES/synth-500x500.jpg" "$PH/sub/gir.affe.Jpeg"
cp "$IMAGES/synth-640x424.jpg" "$PH/.hidden/person.jpg"
cp "$IMAGES/synth-773x512.jpg" "$PH/.horses.jpg"
cp "$IMAGES/synth-773x512.jpg" "$T/elsewhere/horses.jpg"
cp "$IMAGES/synth-773x512.jpg" "$PH/sub/horses.gif"
head -c 300 "$IMAGES/dog.jpg" > "$PH/cut.jpg"
# a camera's 64 KiB EXIF block before the frame header
{ printf '\377\330\377\341\375\350Exif\0\0'; head -c 64992 /dev/zero; tail -c +3 "$IMAGES/dog.jpg"; } > "$T/exif.jpg"
ln -s .. "$PH/sub/deeper/up"
ln -s "$T/elsewhere" "$PH/link"
ln -s nowhere.jpg "$PH/broken.jpg"
image-list "$PH" > "$T/ph.mp" 2> "$T/err"; rc=$?
records-to-json "$T/ph.mp" > "$T/ph.jsonl"
check_eq "a folder: exit 0" "$rc" 0
check_eq "a folder: *.jpg and *.jpeg in any case, subfolders and symlinks followed, sorted by path" \
  "$(jq -r .image "$T/ph.jsonl" | tr '\n' ' ')" \
  "$PH/Dog.JPG $PH/link/horses.jpg $PH/sub/deeper/eagle.jpeg $PH/sub/gir.affe.Jpeg "
check_eq "id is the file name without its extension; sizes from the header" \
  "$(jq -c '[.id, .width, .height]' "$T/ph.jsonl" | tr '\n' ' ')" \
  '["Dog",768,576] ["horses",773,512] ["eagle",773,512] ["gir.affe",500,500] '
check_eq "a whole record: id, image, width, height in that order" "$(head -1 "$T/ph.jsonl")" \
  "{\"id\":\"Dog\",\"image\":\"$PH/Dog.JPG\",\"width\":768,\"height\":576}"
check_eq "a symlink loop is not followed round; a cut JPEG and a broken link are warned" "$(cat "$T/err")" \
"image-list: $PH/broken.jpg: No such file or directory: skipped
image-list: $PH/cut.jpg: not a readable JPEG (it ends before its frame header gives a size): skipped
image-list: 2 paths skipped (missing, unreadable or not an image)"
check_eq "a trailing slash on the folder" "$(image-list --quiet "$PH/" | records-to-json | jq -r .image | head -1)" "$PH/Dog.JPG"
check_eq "a relative folder gives relative paths" \
  "$(cd "$T" && image-list --quiet ph/sub | records-to-json | jq -r .image | tr '\n' ' ')" \
  "ph/sub/deeper/eagle.jpeg ph/sub/gir.affe.Jpeg "

# --- files given, and standard input --------------------------------------------
check_eq "a JPEG with a 64 KiB EXIF block before its frame header" \
  "$(image-list "$T/exif.jpg" | records-to-json | jq -c '[.width, .height]')" '[768,576]'
check_eq "files given: in the order given, any name (a JPEG called .gif is read; a search skips it)" \
  "$(image-list "$PH/sub/horses.gif" "$PH/Dog.JPG" | records-to-json | jq -r '"\(.id) \(.width)x\(.height)"' | tr '\n' ' ')" \
  "horses 773x512 Dog 768x576 "
printf '%s\r\n\n   \n%s\n%s\n%s\n' "$PH/Dog.JPG" "$PH/sub" "$T/missing.jpg" "$PH/.hidden/person.jpg" \
  | image-list > "$T/in.mp" 2> "$T/err"; rc=$?
check_eq "standard input: one path a line, CRLF and blank lines, a folder searched" \
  "$rc $(records-to-json "$T/in.mp" | jq -r .id | tr '\n' ' ')" "0 Dog eagle gir.affe person "
check_eq "standard input: a bad path is warned with its line" "$(cat "$T/err")" \
"image-list: <stdin>:5: $T/missing.jpg: No such file or directory: skipped
image-list: 1 path skipped (missing, unreadable or not an image)"
printf '%s\n%s\n%s\n' "$PH/Dog.JPG" "$PH/cut.jpg" "$PH/sub/gir.affe.Jpeg" | image-list --strict > "$T/in.mp" 2> "$T/err"; rc=$?
check_eq "--strict: exit 2 at the first bad path, naming its line" "$rc $(cat "$T/err")" \
  "2 image-list: <stdin>:2: $PH/cut.jpg: not a readable JPEG (it ends before its frame header gives a size) (an error with --strict)"
check_eq "--strict: the records before it are written" "$(records-to-json "$T/in.mp" | jq -r .id)" Dog
check_eq "the way to start from photos: image-list photos/ | records-to-json" \
  "$(image-list "$IMAGES" | records-to-json | jq -r .id | tr '\n' ' ')" \
  "dog synth-375x500 synth-500x500 synth-640x424 synth-773x512 "
# two images with the same file name in different folders
mkdir -p "$T/dup/a" "$T/dup/b"
cp "$IMAGES/dog.jpg" "$T/dup/a/x.jpg"; cp "$IMAGES/synth-773x512.jpg" "$T/dup/b/x.jpg"
out=$(image-list "$T/dup" 2> "$T/err" | records-to-json | jq -r .id | tr '\n' ' '); rc=$?
check_eq "a repeated id: both records, a warning naming the second file" \
  "$out| $(head -1 "$T/err")" "x x | image-list: $T/dup/b/x.jpg: id 'x' was given to an earlier image: given again"
check_eq "a repeated id: counted in the closing line" "$(tail -1 "$T/err")" \
  "image-list: 1 id given to two images (see --id path)"
image-list --strict "$T/dup" > /dev/null 2> "$T/err"; rc=$?
check_eq "a repeated id with --strict: exit 2" "$rc" 2
(cd "$T" && image-list --id path dup ./dup/a/x.jpg 2> "$T/err" | records-to-json | jq -r .id | tr '\n' ' ') > "$T/ids"
check_eq "--id path: the path without its extension, './' dropped" "$(cat "$T/ids")" "dup/a/x dup/b/x dup/a/x "
image-list --id name "$T/dup" > /dev/null 2> "$T/err"; rc=$?
check_eq "--id with a bad value: exit 1" "$rc" 1
done_testing
