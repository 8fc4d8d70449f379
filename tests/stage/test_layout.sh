# The layout (docs/design.md, "the layout"): scripts/check-layout.sh passes on
# the repository, and finds each kind of breach planted in a copy of it.
. tests/stage/lib.sh
CHECK=scripts/check-layout.sh

out=$(sh "$CHECK" 2>&1); rc=$?
check_eq "the repository's layout keeps the table's rules" "$rc" 0
[ "$rc" = 0 ] || printf '#   %s\n' "$out" | head -20
check_match "it says how much it checked" "$out" "^layout: [0-9]+ files, [0-9]+ includes checked$"
nfiles=$(find common include/yolo -mindepth 2 -name '*.[ch]' | wc -l)
check_match "every file of common/ and include/yolo/ is checked" "$out" "^layout: $nfiles files"

# A copy to plant breaches in: the table and the library only.
copy() {
  rm -rf "$T/r"; mkdir -p "$T/r/docs"
  cp docs/design.md "$T/r/docs/"; cp -r common include "$T/r/"
}
# breach DESC WANT-PATTERN: the checker on the copy fails, naming it
breach() {
  got=$(sh "$CHECK" "$T/r" 2>&1); rc=$?
  check_eq "$1: exit 1" "$rc" 1
  check_match "$1: named" "$got" "$2"
}

copy
base=$(ls common/base/*.c | head -1)
printf '#include "yolo/cli/cli.h"\n' >> "$T/r/$base"
line=$(wc -l < "$T/r/$base")
breach "base including the stage framework" "^$base:$line: part base includes \"yolo/cli/cli.h\": cli is not below base$"

copy
printf '#include "yolo/data/box.h"\n' >> "$T/r/include/yolo/net/network.h"
breach "net including data (a neighbour, not a floor below)" \
  "^include/yolo/net/network.h:[0-9]+: part net includes \"yolo/data/box.h\": data is not below net$"

copy
printf '#include "yolo/box.h"\n' >> "$T/r/common/post/nms.c"
breach "a header outside every part" "^common/post/nms.c:[0-9]+: includes \"yolo/box.h\", outside every part$"

copy
printf 'int loose;\n' > "$T/r/common/loose.c"
breach "a .c loose at common/'s top" "^common/loose.c: loose at the top"

copy
mkdir -p "$T/r/common/misc"
breach "a folder not in the table" "^common/misc/: a folder that is not a part"

copy
rm -r "$T/r/include/yolo/post"
breach "a part without its include/yolo/ twin" "^include/yolo/post/: missing"

copy
printf 'static void f(cli *c) { cli_warn(c, "x"); }\n' >> "$T/r/common/data/voc.c"
breach "a library part calling the stage framework" "^common/data/voc.c:[0-9]+:.*outside common/cli/"

copy
printf 'int fresh;\n' > "$T/r/common/data/fresh.c"
breach "a file the table does not name" "^common/data/fresh.c: not named in .*'fresh'"

copy
printf 'int fresh;\n' > "$T/r/common/net/layers/fresh.c"
got=$(sh "$CHECK" "$T/r" 2>&1); rc=$?
check_eq "a file in a subfolder the row names (layers/) needs no word of its own" "$rc" 0

copy
sed 's/^| `records` |\(.*\)(jsonrec)/| `records` |\1(json-rec)/' docs/design.md > "$T/r/docs/design.md"
breach "a row that lost a file's name (jsonrec)" "^common/records/jsonrec.c: not named"

copy
sed 's/^| `net` | base, net |/| `net` | base, net, data |/' docs/design.md > "$T/r/docs/design.md"
printf '#include "yolo/data/box.h"\n' >> "$T/r/include/yolo/net/network.h"
got=$(sh "$CHECK" "$T/r" 2>&1); rc=$?
check_eq "the table is what is checked: a row changed allows the include" "$rc" 0

copy
awk '!/layout:begin/' docs/design.md > "$T/r/docs/design.md"
got=$(sh "$CHECK" "$T/r" 2>&1); rc=$?
check_eq "no table: exit 2" "$rc" 2
check_match "no table: says so" "$got" "no layout table"
done_testing
