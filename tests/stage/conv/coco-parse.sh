# coco-parse reads one COCO instances JSON file, not records
"$TOOLS/gen-coco" -n 3 -a 6 -k 5 > "$T/coco-small.json"
"$TOOLS/gen-coco" -n 2000 -a 6000 > "$T/coco-big.json"
small="$T/coco-small.json"
big="$T/coco-big.json"
