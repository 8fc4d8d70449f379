# yolo-parse reads a folder of JPEGs with YOLO labels beside them: image-list's
# copies of one 24x16 JPEG (made by its conventions file), each given a label.
. tests/stage/conv/image-list.sh
printf 'thing\n' > "$T/il.names"
for f in "$T"/il/*.jpg; do printf '0 0.5 0.5 0.5 0.5\n' > "${f%.jpg}.txt"; done
small="--names $T/il.names $T/il/a.jpg"
big="--names $T/il.names $T/il"
no_missing_file=
