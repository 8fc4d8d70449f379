# voc-parse in real pipes: the messy annotation files real datasets have,
# every problem (warned, counted, skipped / clipped / dropped, fatal with
# --strict), splits, shards, usage errors, and BCCD read exactly.
. tests/stage/lib.sh
. tests/stage/bccd.sh
# a real JPEG of 640x480 for the checks that read the header: synth-voc's
synth-voc --quiet --out "$T/sv" --count 1 --size 640x480 --seed 1 --noise 0
JPEG="$T/sv/JPEGImages/000001.jpg"

# A devkit made here. Images are empty files where the XML gives the size
# (voc-parse only checks they are there), a real JPEG where it does not.
DK="$T/dk"
mkdir -p "$DK/Annotations" "$DK/JPEGImages" "$DK/ImageSets/Main"
# ann ID: standard input becomes Annotations/ID.xml, with an image ID.jpg
ann() { cat > "$DK/Annotations/$1.xml"; : > "$DK/JPEGImages/$1.jpg"; }
# j ID FILTER: jq's FILTER on the record of image ID in $T/dk.jsonl
j() { jq -c "select(.id == \"$1\") | $2" "$T/dk.jsonl"; }

ann plain <<'EOF'
<annotation>
	<folder>VOC2007</folder>
	<filename>plain.jpg</filename>
	<size>
		<width>500</width>
		<height>375</height>
		<depth>3</depth>
	</size>
	<object>
		<name>dog</name>
		<pose>Left</pose>
		<truncated>1</truncated>
		<difficult>0</difficult>
		<bndbox>
			<xmin>1</xmin>
			<ymin>1</ymin>
			<xmax>500</xmax>
			<ymax>375</ymax>
		</bndbox>
	</object>
	<object>
		<name>person</name>
		<truncated>0</truncated>
		<difficult>1</difficult>
		<bndbox><xmin>10</xmin><ymin>20</ymin><xmax>10</xmax><ymax>20</ymax></bndbox>
	</object>
</annotation>
EOF
ann float <<'EOF'
<annotation><filename>float.jpg</filename><size><width>500</width><height>375</height></size>
<object><name>cat</name><bndbox><xmin>107.369</xmin><ymin>20.5</ymin><xmax>300.25</xmax><ymax>200.75</ymax></bndbox></object>
</annotation>
EOF
ann selfclose <<'EOF'
<annotation>
  <filename>selfclose.jpg</filename>
  <size><width>100</width><height>80</height><depth/></size>
  <segmented/>
  <object><name>cat</name><pose/><truncated/><difficult/>
    <bndbox><xmin>11</xmin><ymin>21</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>
  <object><name> bird </name><truncated>true</truncated><difficult>False</difficult>
    <bndbox><xmin> 2 </xmin><ymin>
3</ymin><xmax>4</xmax><ymax>5</ymax></bndbox></object>
</annotation>
EOF
ann hfirst <<'EOF'
<annotation><filename>hfirst.jpg</filename><size><height>375</height><width>500</width><depth>3</depth></size>
<object><bndbox><ymax>300</ymax><xmax>400</xmax><ymin>101</ymin><xmin>201</xmin></bndbox><difficult>0</difficult><name>horse</name></object>
</annotation>
EOF
ann rootattr <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<!-- made by hand -->
<annotation verified="yes" xmlns:x="urn:x">
<filename>rootattr.jpg</filename>
<size><width>640</width><height>480</height></size>
<object x:id="7"><name>car</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox></object>
</annotation>
EOF
ann nested <<'EOF'
<annotation>
	<folder>VOC2007</folder>
	<filename>nested.jpg</filename>
	<source>
		<database>The VOC2007 Database</database>
		<annotation>PASCAL VOC2007</annotation>
		<image>flickr</image>
	</source>
	<owner><flickrid>someone</flickrid><name>Fried Camels</name></owner>
	<size><width>353</width><height>500</height><depth>3</depth></size>
	<object>
		<name>person</name>
		<part><name>head</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></part>
		<bndbox><xmin>8</xmin><ymin>12</ymin><xmax>352</xmax><ymax>498</ymax></bndbox>
		<object><name>dog</name></object>
	</object>
</annotation>
EOF
printf '<annotation><filename>oneline.jpg</filename><size><width>50</width><height>40</height></size><object><name>cow</name><bndbox><xmin>5</xmin><ymin>6</ymin><xmax>7</xmax><ymax>8</ymax></bndbox></object></annotation>' | ann oneline
printf '<annotation>\r\n<filename>crlf.jpg</filename>\r\n<size><width>50</width><height>40</height></size>\r\n<object><name>cow</name>\r\n<bndbox><xmin>5</xmin><ymin>6</ymin><xmax>7</xmax><ymax>8</ymax></bndbox></object>\r\n</annotation>\r\n' | ann crlf
ann noobj <<'EOF'
<annotation><filename>noobj.jpg</filename><size><width>320</width><height>240</height></size></annotation>
EOF
ann nofilename <<'EOF'
<annotation><size><width>320</width><height>240</height></size></annotation>
EOF

# --- every messy file parses, with the right values --------------------------
voc-parse "$DK" 2> "$T/err" | records-to-json > "$T/dk.jsonl"
check_eq "a clean devkit: no warnings" "$(cat "$T/err")" ""
check_eq "every annotation is read, sorted by name" "$(jq -r .id "$T/dk.jsonl" | tr '\n' ' ')" \
  "crlf float hfirst nested nofilename noobj oneline plain rootattr selfclose "
check_eq "a whole record: keys in order, bbox floats" "$(grep '"plain"' "$T/dk.jsonl")" \
  '{"id":"plain","image":"'"$DK"'/JPEGImages/plain.jpg","width":500,"height":375,"objects":[{"class":11,"name":"dog","bbox":[0.0,0.0,500.0,375.0],"difficult":false,"truncated":true},{"class":14,"name":"person","bbox":[9.0,19.0,10.0,20.0],"difficult":true,"truncated":false}]}'
check_eq "bbox: VOC 1-based inclusive to continuous (xmin 1 -> x1 0, xmax = width -> x2 = width)" \
  "$(j plain '.objects[0]')" \
  '{"class":11,"name":"dog","bbox":[0,0,500,375],"difficult":false,"truncated":true}'
check_eq "xmin = xmax is a box 1 pixel wide, kept; difficult read" \
  "$(j plain '.objects[1] | [.name, .bbox, .difficult]')" '["person",[9,19,10,20],true]'
check_eq "image path: the devkit given, JPEGImages, <filename>" \
  "$(j plain '[.image, .width, .height]')" "[\"$DK/JPEGImages/plain.jpg\",500,375]"
check_eq "a trailing slash on the devkit makes no double slash" \
  "$(voc-parse "$DK/" | records-to-json | jq -r 'select(.id == "plain") | .image')" "$DK/JPEGImages/plain.jpg"
check_eq "float coordinates (107.369)" "$(j float '.objects[0].bbox')" '[106.369,19.5,300.25,200.75]'
check_eq "empty self-closing <difficult/> and <truncated/> are false" \
  "$(j selfclose '.objects[0] | [.bbox, .difficult, .truncated]')" '[[10,20,30,40],false,false]'
check_eq "true/False flags, whitespace around names and numbers" \
  "$(j selfclose '.objects[1] | [.name, .bbox, .difficult, .truncated]')" '["bird",[1,2,4,5],false,true]'
check_eq "<height> before <width>, elements in any order" \
  "$(j hfirst '[.width, .height, .objects[0].name, .objects[0].bbox]')" '[500,375,"horse",[200,100,400,300]]'
check_eq "attributes on the root, a comment, an XML declaration" \
  "$(j rootattr '[.width, .objects[0].name, .objects[0].bbox]')" '[640,"car",[0,1,3,4]]'
check_eq "<source><annotation>, <owner><name>, <part> and nested <object> are not objects" \
  "$(j nested '[.objects[] | [.name, .bbox]]')" '[["person",[7,11,352,498]]]'
check_eq "a one-line file" "$(j oneline '[.width, .height, .objects[0].bbox]')" '[50,40,[4,5,7,8]]'
check_eq "CRLF line ends" "$(j crlf '.objects[0].bbox')" '[4,5,7,8]'
check_eq "no objects: objects is []" "$(j noobj '.objects')" '[]'
check_eq "no <filename>: the image is the id + .jpg" "$(j nofilename '.image' | tr -d '"')" "$DK/JPEGImages/nofilename.jpg"
check_eq "class indices follow VOC's 20 names" \
  "$(jq -r '.objects[] | "\(.name)=\(.class)"' "$T/dk.jsonl" | sort -u | tr '\n' ' ')" \
  "bird=2 car=6 cat=7 cow=9 dog=11 horse=12 person=14 "
check_eq "--skip-difficult leaves difficult objects out" \
  "$(voc-parse --skip-difficult "$DK" | records-to-json | jq -c 'select(.id == "plain") | [.objects[].name]')" '["dog"]'

# --- width and height from the JPEG header -----------------------------------
for id in nosize zerosize; do cp "$JPEG" "$DK/JPEGImages/$id.jpg"; done
cat > "$DK/Annotations/nosize.xml" <<'EOF'
<annotation><filename>nosize.jpg</filename><object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>640</xmax><ymax>480</ymax></bndbox></object></annotation>
EOF
cat > "$DK/Annotations/zerosize.xml" <<'EOF'
<annotation><filename>zerosize.jpg</filename><size><width>0</width><height></height><depth>3</depth></size></annotation>
EOF
voc-parse "$DK/Annotations/nosize.xml" "$DK/Annotations/zerosize.xml" | records-to-json > "$T/hdr.jsonl"
check_eq "no <size>: width and height from the JPEG header" "$(head -1 "$T/hdr.jsonl" | jq -c '[.width, .height, .objects[0].bbox]')" '[640,480,[0,0,640,480]]'
check_eq "<size> of 0 and empty: from the JPEG header" "$(tail -1 "$T/hdr.jsonl" | jq -c '[.width, .height]')" '[640,480]'
rm "$DK/Annotations/nosize.xml" "$DK/Annotations/zerosize.xml"

# --- problems: warned, counted, skipped / clipped / dropped -------------------
P="$T/p"
mkdir -p "$P/Annotations" "$P/JPEGImages"
pann() { cat > "$P/Annotations/$1.xml"; : > "$P/JPEGImages/$1.jpg"; }
pann a_edge <<'EOF'
<annotation>
<filename>a_edge.jpg</filename>
<size><width>100</width><height>50</height></size>
<object><name>dog</name>
<bndbox><xmin>0</xmin><ymin>-5</ymin><xmax>120.5</xmax><ymax>50</ymax></bndbox></object>
<object><name>dog</name>
<bndbox><xmin>150</xmin><ymin>10</ymin><xmax>160</xmax><ymax>20</ymax></bndbox></object>
<object><name>dog</name>
<bndbox><xmin>30</xmin><ymin>10</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></object>
<object><name>dog</name>
<bndbox><xmin>30</xmin><ymin>10</ymin><xmax>29</xmax><ymax>20</ymax></bndbox></object>
<object><name>dragon</name>
<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>
<object><name>dragon</name>
<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>
<object><name>cat</name>
<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>two</xmax><ymax>2</ymax></bndbox></object>
<object><name>cat</name><difficult>maybe</difficult>
<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>
<object><name>cat</name></object>
<object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>
<object><name>cat</name>
<bndbox><xmin>5</xmin><ymin>5</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>
</annotation>
EOF
pann b_mismatch <<'EOF'
<annotation>
<filename>b_mismatch.jpg</filename>
<size><width>100</width><height>50</height></size>
<object><name>dog</nam>
</object>
</annotation>
EOF
head -c 120 "$DK/Annotations/plain.xml" | pann c_truncated
printf '\211PNG\r\n\032\n\000\000\000\rIHDR garbage \377\376' | pann d_garbled
pann e_noimage <<'EOF'
<annotation><filename>elsewhere.jpg</filename><size><width>10</width><height>10</height></size></annotation>
EOF
pann f_notvoc <<'EOF'
<doc><filename>f_notvoc.jpg</filename></doc>
EOF
pann g_badsize <<'EOF'
<annotation>
<size><width>wide</width><height>10</height></size></annotation>
EOF
pann h_fine <<'EOF'
<annotation><size><width>10</width><height>10</height></size></annotation>
EOF

voc-parse "$P" > "$T/p.mp" 2> "$T/err"; rc=$?
check_eq "problems in the data: exit 0 without --strict" "$rc" 0
pout=$(records-to-json "$T/p.mp")
check_eq "images with a bad annotation or no image file are skipped" \
  "$(printf '%s\n' "$pout" | jq -r .id | tr '\n' ' ')" "a_edge h_fine "
check_eq "past the edge: clipped exactly; outside, inverted, empty and unreadable boxes dropped" \
  "$(printf '%s\n' "$pout" | jq -c 'select(.id == "a_edge") | [.objects[] | .bbox]')" \
  '[[0,0,100,50],[4,4,9,9]]'
err=$(cat "$T/err")
A="$P/Annotations"
check_match "clipped: file, line, the box and what it became" "$err" \
  "^voc-parse: $A/a_edge.xml:4: box \[-1, -6, 120.5, 50\] goes past the edge of the 100x50 image: clipped to \[0, 0, 100, 50\]$"
check_match "outside the image: dropped" "$err" "$A/a_edge.xml:6: box \[149, 9, 160, 20\] lies outside the 100x50 image: box dropped"
check_match "inverted: dropped" "$err" "$A/a_edge.xml:8: box \[29, 9, 20, 20\] is inverted: box dropped"
check_match "empty (xmax = xmin - 1): dropped" "$err" "$A/a_edge.xml:10: box \[29, 9, 29, 20\] is empty: box dropped"
check_match "unknown class: warned with file and line" "$err" "$A/a_edge.xml:12: class 'dragon' is not in the class list: skipped"
check_eq "unknown class: warned once a name" "$(printf '%s\n' "$err" | grep -c dragon)" 1
check_match "a coordinate that is not a number" "$err" "$A/a_edge.xml:17: <xmax> is 'two', not a number: box dropped"
check_match "a flag that is not 0 or 1" "$err" "$A/a_edge.xml:18: <difficult> is 'maybe', not 0 or 1: box dropped"
check_match "an object without <bndbox>" "$err" "$A/a_edge.xml:20: object without <bndbox>: box dropped"
check_match "an object without <name>" "$err" "$A/a_edge.xml:21: object without <name>: box dropped"
check_match "malformed XML: file, line and libxml2's reason" "$err" \
  "^voc-parse: $A/b_mismatch.xml:4: malformed XML: Opening and ending tag mismatch: name line 4 and nam: image skipped$"
check_match "truncated XML: skipped with a message" "$err" "$A/c_truncated.xml:[0-9]+: malformed XML: .*: image skipped"
check_match "garbled bytes: skipped with a message" "$err" "$A/d_garbled.xml:1: malformed XML: .*: image skipped"
check_match "a missing image file: skipped, naming it" "$err" \
  "$A/e_noimage.xml: image $P/JPEGImages/elsewhere.jpg: No such file or directory: image skipped"
check_match "a root other than <annotation>" "$err" "$A/f_notvoc.xml:1: the root element is <doc>, not <annotation>: image skipped"
check_match "a bad <size>" "$err" "$A/g_badsize.xml:2: <width> is 'wide', not a whole number of pixels: image skipped"
check_eq "one closing line counts every kind" "$(printf '%s\n' "$err" | tail -1)" \
  "voc-parse: 5 images skipped (bad annotation), 1 image skipped (image file missing or unreadable), 2 unknown class names skipped, 1 box clipped, 7 boxes dropped"
voc-parse --quiet "$P" > "$T/q.mp" 2> "$T/err"
check_eq "--quiet: no warnings, same records" "$(cat "$T/err")$(cmp "$T/q.mp" "$T/p.mp" && echo same)" same

# --strict: the first problem stops the run, the records before it written
S="$T/s"
mkdir -p "$S/Annotations" "$S/JPEGImages"
cp "$DK/Annotations/plain.xml" "$S/Annotations/"
: > "$S/JPEGImages/plain.jpg"
for c in "box past the edge:a_edge" "malformed XML:b_mismatch" "missing image:e_noimage"; do
  what=${c%%:*}; id=${c#*:}
  cp "$P/Annotations/$id.xml" "$S/Annotations/z.xml"
  cp "$P/JPEGImages/$id.jpg" "$S/JPEGImages/z.jpg"
  voc-parse --strict "$S" > "$T/s.mp" 2> "$T/err"; rc=$?
  check_eq "--strict, $what: exit 2" "$rc" 2
  check_match "--strict, $what: says so, naming the file" "$(cat "$T/err")" "^voc-parse: $S/Annotations/z.xml.*\(an error with --strict\)$"
  check_eq "--strict, $what: the record before it is written" "$(records-to-json "$T/s.mp" | jq -r .id)" plain
done
printf '<annotation><size><width>9</width><height>9</height></size><object><name>dog</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>' > "$S/Annotations/z.xml"
: > "$S/JPEGImages/z.jpg"
# two boxes of a class in the list, so that 'dog' is not most of the boxes
# (that would be an error, checked under "the class list" below)
printf '<annotation><size><width>9</width><height>9</height></size><object><name>person</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object><object><name>person</name><bndbox><xmin>3</xmin><ymin>3</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>' > "$S/Annotations/q.xml"
: > "$S/JPEGImages/q.jpg"
printf 'cat\nperson\n' > "$T/two.names"
voc-parse --classes "$T/two.names" "$S" > /dev/null 2> "$T/err"; rc=$?
check_match "an unknown class without --strict: exit 0, warned" "$rc $(cat "$T/err")" "^0 voc-parse: $S/Annotations/plain.xml:9: class 'dog' is not in the class list"
voc-parse --strict --classes "$T/two.names" "$S" > /dev/null 2> "$T/err"; rc=$?
check_eq "an unknown class with --strict: exit 2 and why" "$rc $(cat "$T/err")" \
  "2 voc-parse: $S/Annotations/plain.xml:9: class 'dog' is not in the class list (an error with --strict)"
check_eq "--classes: indices and names from the file" \
  "$(voc-parse --classes "$T/two.names" "$DK" 2>/dev/null | records-to-json | jq -r '.objects[] | "\(.name)=\(.class)"' | sort -u | tr '\n' ' ')" \
  "cat=0 person=1 "

# mutated files (bytes changed, cut, repeated): no crash, each image either a
# record or a warning, exit 0 (2 with --strict)
F="$T/fz"
mkdir -p "$F/Annotations"
cp -r "$DK/JPEGImages" "$F/"
/usr/bin/python3 - "$DK/Annotations" "$F" <<'PY'
import os, random, sys
src, out = sys.argv[1], sys.argv[2]
random.seed(7)
seeds = [open(os.path.join(src, n), "rb").read() for n in sorted(os.listdir(src))]
for i in range(120):
    b = bytearray(random.choice(seeds))
    digits = [k for k, c in enumerate(b) if chr(c).isdigit()]
    for _ in range(random.randint(1, 3)):
        k = random.randrange(len(b))
        op = random.randrange(4)
        if op < 2 and digits:  # numbers changed: the XML stays well formed
            b[random.choice(digits)] = random.choice(b"0123456789-.e x")
        elif op == 2:
            b[k] = random.choice(b"<>/&;=\n\x00\xff")
        else:
            del b[k:k + random.randint(1, 8)]
    open(f"{out}/Annotations/m{i:03}.xml", "wb").write(bytes(b))
PY
voc-parse "$F" > "$T/fz.mp" 2> "$T/err"; rc=$?
n=$(records-to-json "$T/fz.mp" | wc -l | tr -d ' ')
# past 50 warnings of a kind only the closing line counts them
skipped=$(tail -1 "$T/err" | grep -oE '[0-9]+ images? skipped' | awk '{ s += $1 } END { print s + 0 }')
check_eq "120 mutated annotation files: exit 0, each a record or an image skipped" "$rc $((n + skipped))" "0 120"
voc-parse --strict "$F" > /dev/null 2>&1; rc=$?
check_match "mutated annotation files with --strict: exit 0 or 2" "$rc" "^[02]$"

# --- splits -----------------------------------------------------------------
printf '\357\273\277plain\r\nfloat  \r\n\n   \noneline\nplain\nfloat\t\ncrlf 1\nmissing\n' > "$DK/ImageSets/Main/mine.txt"
voc-parse --split mine "$DK" > "$T/sp.mp" 2> "$T/err"; rc=$?
check_eq "a split: its order; BOM, CRLF, trailing spaces, blank lines and class-split columns read" \
  "$rc $(records-to-json "$T/sp.mp" | jq -r .id | tr '\n' ' ')" "0 plain float oneline crlf "
err=$(cat "$T/err")
check_match "a split line listed again: warned with both lines, read once" "$err" \
  "voc-parse: $DK/ImageSets/Main/mine.txt:6: 'plain' is listed again \(first at line 1\): read once"
check_match "a split naming a missing annotation: warned, skipped" "$err" \
  "voc-parse: $DK/ImageSets/Main/mine.txt:9: no annotation file $DK/Annotations/missing.xml: image skipped"
check_eq "a split's closing line" "$(printf '%s\n' "$err" | tail -1)" \
  "voc-parse: 1 image skipped (annotation file missing), 2 split lines listed again, read once"
voc-parse --strict --split mine "$DK" > "$T/sp.mp" 2> "$T/err"; rc=$?
check_eq "--strict: a split line listed again is an error before any record" "$rc $(wc -c < "$T/sp.mp" | tr -d ' ')" "2 0"
voc-parse --split nosuch "$DK" > /dev/null 2> "$T/err"; rc=$?
check_match "a split file that is not there: exit 3, naming it" "$rc $(cat "$T/err")" \
  "^3 voc-parse: $DK/ImageSets/Main/nosuch.txt: No such file or directory"
printf '%5000s\n' x > "$DK/ImageSets/Main/long.txt"
voc-parse --split long "$DK" > /dev/null 2> "$T/err"; rc=$?
check_match "a split line longer than 4096 bytes: exit 2" "$rc $(cat "$T/err")" "^2 voc-parse: .*long.txt:1: a line longer than 4096 bytes"

# --- folders with other names, XML files as arguments ------------------------
O="$T/other"
mkdir -p "$O/labels" "$O/pics" "$O/ImageSets/Main"
cp "$DK/Annotations/plain.xml" "$DK/Annotations/noobj.xml" "$O/labels/"
: > "$O/pics/plain.jpg"; : > "$O/pics/noobj.jpg"
echo noobj > "$O/ImageSets/Main/all.txt"
check_eq "--annotations and --images: folders with other names" \
  "$(voc-parse --annotations labels --images pics "$O" | records-to-json | jq -r .image | tr '\n' ' ')" \
  "$O/pics/noobj.jpg $O/pics/plain.jpg "
check_eq "--annotations, --images with --split" \
  "$(voc-parse --annotations labels --images pics --split all "$O" | records-to-json | jq -r .id)" noobj
check_eq "--images may be an absolute path" \
  "$(voc-parse --annotations labels --images "$DK/JPEGImages" "$O" | records-to-json | jq -r .image | head -1)" \
  "$DK/JPEGImages/noobj.jpg"
voc-parse "$O" > /dev/null 2> "$T/err"; rc=$?
check_match "a devkit without Annotations: exit 3 and a hint" "$rc $(cat "$T/err")" \
  "^3 voc-parse: $O/Annotations: No such file or directory \(the annotations folder: see --annotations\)"
check_eq "XML files as arguments: in the order given, images in ../JPEGImages" \
  "$(voc-parse "$DK/Annotations/plain.xml" "$DK/Annotations/float.xml" | records-to-json | jq -r '"\(.id) \(.image)"' | tr '\n' ' ')" \
  "plain $DK/JPEGImages/plain.jpg float $DK/JPEGImages/float.jpg "
check_eq "an XML file named from inside its folder" \
  "$(cd "$DK/Annotations" && voc-parse plain.xml | records-to-json | jq -r .image)" "../JPEGImages/plain.jpg"
check_eq "an XML file named from the devkit" \
  "$(cd "$DK" && voc-parse Annotations/plain.xml | records-to-json | jq -r .image)" "JPEGImages/plain.jpg"

# --- shards -------------------------------------------------------------------
voc-parse "$DK" | records-to-json | jq -r .id > "$T/all"
: > "$T/union"
for k in 0 1 2; do voc-parse --shard "$k/3" "$DK" | records-to-json | jq -r .id >> "$T/union"; done
check_eq "--shard K/3 for K = 0, 1, 2: every image exactly once" "$(sort "$T/union" | tr '\n' ' ')" "$(sort "$T/all" | tr '\n' ' ')"
check_eq "--shard 1/3: the second third of the list" \
  "$(voc-parse --shard 1/3 "$DK" | records-to-json | jq -r .id | tr '\n' ' ')" "nofilename noobj oneline "
check_eq "--shard 0/1 is everything" "$(voc-parse --shard 0/1 "$DK" | records-to-json | wc -l | tr -d ' ')" "$(wc -l < "$T/all" | tr -d ' ')"
for bad in 3/2 0/0 x/y 1/2x -1/2 /2 99999999999999999999/2; do
  voc-parse --shard "$bad" "$DK" > "$T/out" 2> "$T/err"; rc=$?
  check_eq "--shard '$bad': exit 1 and why" "$rc $(head -1 "$T/err")" \
    "1 voc-parse: option --shard: '$bad' is not K/N with 0 <= K < N"
done

# --- usage and input errors -------------------------------------------------
voc-parse > /dev/null 2> "$T/err"; rc=$?
check_match "no devkit given: exit 1" "$rc $(cat "$T/err")" "^1 voc-parse: no devkit folder or annotation file given"
voc-parse --split "" "$DK" > /dev/null 2> "$T/err"; rc=$?
check_eq "an empty option value: exit 1" "$rc" 1
mkdir -p "$T/empty/Annotations"
voc-parse "$T/empty" > "$T/out" 2> "$T/err"; rc=$?
check_eq "an empty devkit: no records, no messages" "$rc $(wc -c < "$T/out" | tr -d ' ')$(cat "$T/err")" "0 0"
voc-parse "$T/nowhere" > /dev/null 2> "$T/err"; rc=$?
check_match "a devkit that is not there: exit 3 naming it" "$rc $(cat "$T/err")" "^3 voc-parse: $T/nowhere: No such file"
voc-parse --classes "$T/none.names" "$DK" > /dev/null 2> "$T/err"; rc=$?
check_match "--classes FILE missing: exit 3" "$rc $(cat "$T/err")" "^3 voc-parse: $T/none.names: No such file"
printf 'a\na\n' > "$T/dup.names"
voc-parse --classes "$T/dup.names" "$DK" > /dev/null 2> "$T/err"; rc=$?
check_match "--classes FILE with a name twice: exit 2" "$rc $(cat "$T/err")" "^2 voc-parse: $T/dup.names:2: class name 'a' appears twice"
check_match "--help documents the rules for boxes" "$(voc-parse --help)" "past the image edge: clipped to \[0, width\] x \[0, height\]"

# --- the class list: --classes, else the devkit's, else VOC's 20 -------------
# (a devkit without a .names file reads with VOC's 20 names and says nothing:
# $DK above, "a clean devkit: no warnings" and "class indices follow VOC's 20 names")
# a one-class dataset: synth-voc writes its classes.names ("circle")
synth-voc --quiet --out "$T/one" --count 6 --classes circle --size 96x80 --seed 2
nbox=$(cat "$T/one"/Annotations/*.xml | grep -c '<object>')
voc-parse "$T/one" > "$T/one.mp" 2> "$T/err"; rc=$?
check_eq "no --classes: DEVKIT/classes.names is read, every box kept, exit 0" \
  "$rc $(records-to-json "$T/one.mp" | jq -r '.objects[] | "\(.class)\(.name)"' | sort | uniq -c | awk '{print $1, $2}')" \
  "0 $nbox 0circle"
check_eq "no --classes: one line names the list found" "$(cat "$T/err")" \
  "voc-parse: class list: $T/one/classes.names (1 name), the devkit's, as no --classes was given"
voc-parse --classes "$T/one/classes.names" "$T/one" > "$T/given.mp"
check "the list found gives the records --classes gives" cmp -s "$T/one.mp" "$T/given.mp"
voc-parse -q "$T/one" > /dev/null 2> "$T/err"; rc=$?
check_eq "--quiet: the list found is not named" "$rc $(cat "$T/err")" "0 "
check_match "FILE.xml: the list of its devkit, the folder above its own" \
  "$(voc-parse "$T/one/Annotations/000001.xml" 2>&1 > /dev/null)" "class list: $T/one/classes.names "
check_eq "FILE.xml named from inside its folder: ../classes.names" \
  "$(cd "$T/one/Annotations" && voc-parse 000001.xml 2>&1 > /dev/null)" \
  "voc-parse: class list: ../classes.names (1 name), the devkit's, as no --classes was given"
mv "$T/one/classes.names" "$T/one/shapes.names"
voc-parse "$T/one" > "$T/sh.mp" 2> "$T/err"; rc=$?
check_eq "no classes.names: the one *.names in DEVKIT is read" \
  "$rc $(cat "$T/err")$(cmp -s "$T/sh.mp" "$T/one.mp" && echo ' same records')" \
  "0 voc-parse: class list: $T/one/shapes.names (1 name), the devkit's, as no --classes was given same records"
printf 'square\n' > "$T/one/.hidden.names"
check_eq "a hidden .names file is not a candidate" "$(voc-parse "$T/one" 2>&1 > /dev/null)" \
  "voc-parse: class list: $T/one/shapes.names (1 name), the devkit's, as no --classes was given"
printf 'square\ncircle\n' > "$T/one/zz.names"
voc-parse "$T/one" > "$T/out" 2> "$T/err"; rc=$?
check_eq "two *.names and no classes.names: exit 1 before any record, asking for --classes" \
  "$rc $(wc -c < "$T/out" | tr -d ' ') $(cat "$T/err")" \
  "1 0 voc-parse: $T/one: 2 class lists (shapes.names, zz.names) and no classes.names: name the one to use with --classes"
check_eq "two *.names: --classes says which" \
  "$(voc-parse --classes "$T/one/zz.names" "$T/one" | records-to-json | jq -r '.objects[].class' | sort -u)" 1
printf 'circle\n' > "$T/one/classes.names"
check_eq "classes.names goes before the other *.names" "$(voc-parse "$T/one" 2>&1 > /dev/null)" \
  "voc-parse: class list: $T/one/classes.names (1 name), the devkit's, as no --classes was given"
rm "$T/one/zz.names" "$T/one/shapes.names" "$T/one/.hidden.names"

# several inputs: their devkits must agree
cp -r "$T/one" "$T/one2"
voc-parse "$T/one" "$T/one2" > /dev/null 2> "$T/err"; rc=$?
check_eq "two devkits with the same list (a copy): exit 0, the first one's named" \
  "$rc $(cat "$T/err")" "0 voc-parse: class list: $T/one/classes.names (1 name), the devkit's, as no --classes was given"
printf 'square\n' > "$T/one2/classes.names"
voc-parse "$T/one" "$T/one2" > "$T/out" 2> "$T/err"; rc=$?
check_eq "two devkits with different lists: exit 1, naming both" "$rc $(wc -c < "$T/out" | tr -d ' ') $(cat "$T/err")" \
  "1 0 voc-parse: the inputs' devkits hold different class lists ($T/one/classes.names in $T/one, $T/one2/classes.names in $T/one2): name the one to use with --classes"
rm "$T/one2/classes.names"
voc-parse "$T/one" "$T/one2" > /dev/null 2> "$T/err"; rc=$?
check_match "one devkit with a list, one without: exit 1" "$rc $(cat "$T/err")" \
  "^1 voc-parse: the inputs' devkits hold different class lists \($T/one/classes.names in $T/one, none in $T/one2\)"
check_eq "... and --classes settles it" \
  "$(voc-parse -q --classes "$T/one/classes.names" "$T/one" "$T/one2" | records-to-json | wc -l | tr -d ' ')" 12

# a one-class dataset whose class is not one of VOC's 20: exit 2 after the records
sed -i 's|<name>circle</name>|<name>cat2</name>|' "$T/one2"/Annotations/*.xml
voc-parse "$T/one2" > "$T/out" 2> "$T/err"; rc=$?
check_eq "a class list that drops every box: exit 2, the records written all the same" \
  "$rc $(records-to-json "$T/out" | jq -c '.objects' | sort -u)" "2 []"
check_eq "... naming the class not in the list, with its count, and the list" "$(sed -n 2p "$T/err")" \
  "voc-parse: the class list (VOC's 20 names: no --classes, and no .names file in the devkit) leaves out all $nbox boxes read; the classes not in it: 'cat2' ($nbox). Name the dataset's list with --classes"
voc-parse -q "$T/one2" > /dev/null 2> "$T/err"; rc=$?
check_eq "--quiet does not hide it: the error is the one line" "$rc $(wc -l < "$T/err" | tr -d ' ')" "2 1"
check_match "... the same error" "$(cat "$T/err")" "^voc-parse: the class list .* leaves out all $nbox boxes read; .*'cat2'"
voc-parse --strict "$T/one2" > /dev/null 2> "$T/err"; rc=$?
check_match "--strict: the first box of a class not in the list already stops" "$rc $(cat "$T/err")" \
  "^2 voc-parse: $T/one2/Annotations/000001.xml:[0-9]+: class 'cat2' is not in the class list \(an error with --strict\)$"
{ voc-parse -q "$T/one2" 2> /dev/null; echo $? > "$T/rc"; } | records-to-json | wc -l > "$T/n"
check_eq "in a pipe: every record goes downstream, then voc-parse exits 2" \
  "$(cat "$T/rc") $(tr -d ' ' < "$T/n")" "2 6"

# how many boxes the list may drop: more than it keeps is an error
C="$T/cls"
mkdir -p "$C/Annotations" "$C/JPEGImages"
printf 'a\n' > "$C/classes.names"
# cann ID NAME...: an annotation with one box of each NAME
cann() {
  id=$1; shift
  { printf '<annotation><size><width>9</width><height>9</height></size>'
    for n in "$@"; do printf '<object><name>%s</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object>' "$n"; done
    printf '</annotation>\n'; } > "$C/Annotations/$id.xml"
  : > "$C/JPEGImages/$id.jpg"
}
cann x a a a b b; cann y a a a b b
voc-parse "$C" > /dev/null 2> "$T/err"; rc=$?
check_eq "4 boxes of 10 dropped (40%): exit 0, warned" "$rc $(sed -n 2p "$T/err") | $(tail -1 "$T/err")" \
  "0 voc-parse: $C/Annotations/x.xml:1: class 'b' is not in the class list: skipped, as every object of that class will be | voc-parse: 4 unknown class names skipped"
cann y a a b b b
voc-parse "$C" > /dev/null 2> "$T/err"; rc=$?
check_eq "5 of 10 (exactly half): exit 0" "$rc" 0
cann y a b b b b
voc-parse "$C" > /dev/null 2> "$T/err"; rc=$?
check_eq "6 of 10 dropped (60%): exit 2, more than half" "$rc $(grep 'leaves out' "$T/err")" \
  "2 voc-parse: the class list ($C/classes.names) leaves out 6 of the 10 boxes read, more than half; the classes not in it: 'b' (6). Name the dataset's list with --classes"
check_eq "... the error, then the closing count" "$(tail -1 "$T/err")" "voc-parse: 6 unknown class names skipped"
cann x a a a a a a a b c c d d d e f f f g g g g g h h h h h h h
cann y a
voc-parse "$C" > /dev/null 2> "$T/err"; rc=$?
check_match "many classes not in the list: the five most frequent, then the rest counted" "$rc $(grep 'leaves out' "$T/err")" \
  "^2 .* leaves out 22 of the 30 boxes read, more than half; the classes not in it: 'h' \(7\), 'g' \(5\), 'd' \(3\), 'f' \(3\), 'c' \(2\), and 2 boxes of other classes\. "
voc-parse --skip-difficult --classes "$C/classes.names" "$C" > /dev/null 2> "$T/err"; rc=$?
check_eq "--classes FILE is held to the same rule" "$rc" 2
rm "$C"/Annotations/*.xml
cann x; cann y
voc-parse "$C" > "$T/out" 2> "$T/err"; rc=$?
check_eq "images without boxes: no error, no count" "$rc $(records-to-json "$T/out" | wc -l | tr -d ' ') $(tail -1 "$T/err")" \
  "0 2 voc-parse: class list: $C/classes.names (1 name), the devkit's, as no --classes was given"

# --- BCCD, a real dataset (its annotations from tests/data/bccd) ------------
splits="train:205 val:87 trainval:292 test:72"
if check "BCCD: its devkit made from tests/data/bccd" bccd_devkit; then
  voc-parse --classes "$BCCD_NAMES" "$BCCD" > "$T/bccd.mp" 2> "$T/err"; rc=$?
  check_eq "BCCD: exit 0, no warnings" "$rc $(cat "$T/err")" "0 "
  records-to-json "$T/bccd.mp" > "$T/bccd.jsonl"
  check_eq "BCCD: 364 images, 4888 boxes" \
    "$(jq -s -c '[length, ([.[].objects | length] | add)]' "$T/bccd.jsonl")" '[364,4888]'
  check_eq "BCCD: 361 Platelets, 4155 RBC, 372 WBC" \
    "$(jq -r '.objects[].name' "$T/bccd.jsonl" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')" \
    "Platelets=361 RBC=4155 WBC=372 "
  check_eq "BCCD: every image 640x480 and found" \
    "$(jq -r '"\(.width)x\(.height)"' "$T/bccd.jsonl" | sort -u)" "640x480"
  check_eq "BCCD: the two boxes with xmin = xmax are 1x1 boxes, kept" \
    "$(jq -c 'select(.id == "BloodImage_00338" or .id == "BloodImage_00343") | .objects[] | select(.bbox[2] - .bbox[0] == 1) | .bbox' "$T/bccd.jsonl" | tr '\n' ' ')" \
    "[503,336,504,337] [180,328,181,329] "
  check_eq "BCCD: boxes up to the right edge (xmax 640) are kept as they are" \
    "$(jq '[.objects[] | select(.bbox[2] == 640)] | length' "$T/bccd.jsonl" | awk '{ n += $1 } END { print n }')" \
    "$(cat "$BCCD"/Annotations/*.xml | grep -c '<xmax>640</xmax>')"
  for s in $splits; do
    n=$(voc-parse --split "${s%%:*}" --classes "$BCCD_NAMES" "$BCCD" | records-to-json | wc -l | tr -d ' ')
    check_eq "BCCD --split ${s%%:*}: ${s#*:} records" "$n" "${s#*:}"
  done
  voc-parse "$BCCD" > /dev/null 2> "$T/err"
  check_eq "BCCD with VOC's classes: every box an unknown class, warned once a name" \
    "$(grep -c 'is not in the class list' "$T/err") $(tail -1 "$T/err")" "3 voc-parse: 4888 unknown class names skipped"
  for k in 0 1; do voc-parse --shard "$k/2" --classes "$BCCD_NAMES" "$BCCD"; done > "$T/union.mp"
  records-to-json "$T/union.mp" | jq -r .id | sort > "$T/union"
  check_eq "BCCD: shards 0/2 and 1/2 together are the whole, each image once" \
    "$(uniq "$T/union" | wc -l | tr -d ' ') $(wc -l < "$T/union" | tr -d ' ')" "364 364"
fi

# many problems of one kind: 50 warnings, then only the closing count
mkdir -p "$T/many/Annotations" "$T/many/JPEGImages"
i=0; while [ $i -lt 60 ]; do echo "<annotation><oops>" > "$T/many/Annotations/b$i.xml"; i=$((i + 1)); done
voc-parse "$T/many" > /dev/null 2> "$T/err"; rc=$?
check_eq "60 bad files: exit 0, 50 warnings shown, then one counting them all" \
  "$rc $(grep -c ': image skipped' "$T/err") $(grep -c 'more of this kind are only counted' "$T/err") $(tail -1 "$T/err")" \
  "0 50 1 voc-parse: 60 images skipped (bad annotation)"
# entities in <name>: one the file defines is its text; one it does not (let
# by libxml2 when a DTD is named but, never fetched, not read) is warned
# about with file and line and kept as written, never dropped silently
mkdir -p "$T/ent/Annotations" "$T/ent/JPEGImages"
printf 'dog\ndoggy\n' > "$T/ent/classes.names"
for k in def undef; do
  if [ $k = def ]; then dt='<!DOCTYPE annotation [<!ENTITY x "gy">]>'; else dt='<!DOCTYPE annotation SYSTEM "voc.dtd">'; fi
  printf '%s\n<annotation><filename>%s.jpg</filename><size><width>50</width><height>40</height></size>\n<object>\n<name>dog&x;</name>\n<bndbox><xmin>5</xmin><ymin>6</ymin><xmax>7</xmax><ymax>8</ymax></bndbox></object></annotation>\n' \
    "$dt" $k > "$T/ent/Annotations/$k.xml"
  : > "$T/ent/JPEGImages/$k.jpg"
done
voc-parse "$T/ent" > "$T/ent.mp" 2> "$T/err"; rc=$?
check_eq "an entity the file defines: its text ('dog&x;' with x = 'gy' is doggy)" \
  "$rc $(records-to-json "$T/ent.mp" | jq -r '"\(.id):\([.objects[].name] | join(","))"' | tr '\n' ' ')" \
  "0 def:doggy undef: "
check_eq "an undefined entity in <name>: warned with file and line, the name kept as written (an unknown class)" \
  "$(grep -v '^voc-parse: class list:' "$T/err")" \
"voc-parse: $T/ent/Annotations/undef.xml:4: <name> holds the entity &x;, which the file does not define: the name is read as written, 'dog&x;'
voc-parse: $T/ent/Annotations/undef.xml:3: class 'dog&x;' is not in the class list: skipped, as every object of that class will be
voc-parse: 1 unknown class name skipped"
done_testing
