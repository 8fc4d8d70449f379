#!/bin/sh
# Checks the library's layout against the table in docs/design.md (between
# the "layout:begin" and "layout:end" markers, one row per part: its
# folder, the parts it may include, what lives there):
#   - every .c of common/ sits in a part's folder (none loose at the top),
#     every header of include/yolo/ in the part folder of the same name;
#   - every part folder of common/ has its include/yolo/ twin and the other
#     way round, and is in the table;
#   - a file of part P includes "yolo/Q/..." only when the table allows Q
#     for P, and never a header outside a part folder;
#   - no file outside common/cli/ and include/yolo/cli/ names the stage
#     framework (cli, cli_*): the library reports through yrep;
#   - the part's row names each of its files (by stem: `voc` for voc.c and
#     voc.h), or the subfolder it sits in ("layers/").
# Prints one line per breach ("FILE:LINE: what") and exits 1 if there is
# any, else prints "layout: N files, N includes checked" and exits 0.
#   sh scripts/check-layout.sh [ROOT]      (ROOT: the repository, default .)
set -u
root=${1:-.}
doc=$root/docs/design.md
[ -f "$doc" ] || { echo "$doc: not found"; exit 2; }

# part<TAB>allowed parts (space separated), from the table's rows
rules=$(awk -F'|' '
  /layout:begin/ { on = 1; next }
  /layout:end/ { on = 0 }
  on && /^\|/ {
    part = $2; allowed = $3
    gsub(/[` ]/, "", part); gsub(/[`,]/, " ", allowed)
    if (part == "" || part ~ /^-+$/ || part == "part") next
    print part "\t" allowed
  }' "$doc")
[ -n "$rules" ] || { echo "$doc: no layout table between layout:begin and layout:end"; exit 2; }

bad=0
say() { echo "$1"; bad=$((bad + 1)); }
known() { printf '%s\n' "$rules" | cut -f1 | grep -qx -- "$1"; }

for f in "$root"/common/*.c "$root"/include/yolo/*.h; do
  [ -e "$f" ] && say "${f#"$root"/}: loose at the top; it belongs in a part's folder"
done
for d in "$root"/common/*/ "$root"/include/yolo/*/; do
  [ -d "$d" ] || continue
  part=$(basename "$d")
  known "$part" || say "${d#"$root"/}: a folder that is not a part in $doc's layout table"
done
for part in $(printf '%s\n' "$rules" | cut -f1); do
  [ -d "$root/common/$part" ] || say "common/$part/: missing (a part in $doc's table)"
  [ -d "$root/include/yolo/$part" ] || say "include/yolo/$part/: missing (a part in $doc's table)"
done

files=$(cd "$root" && find common include/yolo -mindepth 2 -type f \( -name '*.c' -o -name '*.h' \) |
        sort)
out=$(cd "$root" && for f in $files; do
  case $f in
    common/*) part=${f#common/} ;;
    *) part=${f#include/yolo/} ;;
  esac
  part=${part%%/*}
  allowed=$(printf '%s\n' "$rules" | awk -F'\t' -v p="$part" '$1 == p { print $2 }')
  awk -v f="$f" -v part="$part" -v allowed=" $allowed " '
    /^[ \t]*#[ \t]*include[ \t]*"yolo\// {
      n++
      inc = $0; sub(/^[^"]*"yolo\//, "", inc); sub(/".*/, "", inc)
      if (inc !~ /\//) { print f ":" FNR ": includes \"yolo/" inc "\", outside every part"; next }
      q = inc; sub(/\/.*/, "", q)
      if (index(allowed, " " q " ") == 0)
        print f ":" FNR ": part " part " includes \"yolo/" inc "\": " q " is not below " part
    }
    END { print "#count " n + 0 }' "$f"
done)
# The table is the map: each file's stem (or its subfolder) is in its row.
unnamed=$(cd "$root" && for f in $files; do
  case $f in common/*) rest=${f#common/} ;; *) rest=${f#include/yolo/} ;; esac
  part=${rest%%/*}; rest=${rest#*/}
  row=$(grep -F "| \`$part\` |" "$doc" | head -1)
  case $rest in
    */*) word="${rest%%/*}/"; printf '%s' "$row" | grep -qF -- "$word" ;;
    *) word=$(basename "$rest"); word=${word%.*}
       printf '%s' "$row" | grep -qE -- "(^|[^a-z_0-9])$word([^a-z_0-9]|\$)" ;;
  esac || echo "$f: not named in $doc's row for $part ('$word')"
done)
[ -z "$unnamed" ] || { printf '%s\n' "$unnamed"; bad=$((bad + $(printf '%s\n' "$unnamed" | wc -l))); }

# Only the stage framework talks to the terminal: no other part names it.
calls=$(cd "$root" && for f in $files; do
  case $f in common/cli/*|include/yolo/cli/*) continue ;; esac
  grep -n -E '\bcli(_[a-z_]+)?\b' "$f" | sed "s|^|$f:|; s|\$|  (the stage framework, outside common/cli/)|"
done)
[ -z "$calls" ] || { printf '%s\n' "$calls"; bad=$((bad + $(printf '%s\n' "$calls" | wc -l))); }

includes=$(printf '%s\n' "$out" | awk '/^#count / { s += $2 } END { print s + 0 }')
breaches=$(printf '%s\n' "$out" | grep -v '^#count ' | grep -v '^$')
if [ -n "$breaches" ]; then
  printf '%s\n' "$breaches"
  bad=$((bad + $(printf '%s\n' "$breaches" | wc -l)))
fi
[ "$bad" = 0 ] || exit 1
echo "layout: $(printf '%s\n' "$files" | grep -c .) files, $includes includes checked"
