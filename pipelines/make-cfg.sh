#!/usr/bin/env bash
# Writes a darknet cfg for a VOC-layout dataset from a template the project
# ships (pipelines/templates/NAME.cfg) or any cfg file with [region] or
# [yolo] heads:
#
#   pipelines/make-cfg.sh [-n NAMES] [-s SPLIT] [--size S] [--minutes M]
#                         [--seconds-per-step X] [--time-steps N] [--val SPLIT]
#                         [--val-every N] [--val-seconds V] [-o OUT] [-q] TEMPLATE DATASET
#   pipelines/make-cfg.sh --list
#
# What it writes, and says on stderr:
# - classes: the lines of NAMES (default DATASET/classes.names), in every head;
# - filters of the convolution before each head: darknet's rule,
#     [yolo]:   anchors of the head (its mask) x (5 + classes)
#     [region]: num x (coords + 1 + classes)
# - anchors: k-means on the dataset's boxes (voc-parse | kmeans-anchors) at
#   the network's size: [region] in cells of its grid (--grid), [yolo] in
#   pixels (--net W,H) with k = num, all heads; the template's masks are kept,
#   and kmeans-anchors sorts by area, so the largest anchors go to the head
#   whose mask has the largest indices (darknet's: the coarse grid);
# - width and height: --size S (a multiple of 32), else the template's;
# - the schedule: with --minutes M, sized to M minutes of training on this
#   machine: 1 + N steps (--time-steps, default 5) of train.sh on the dataset
#   with the cfg are timed (wall clock, the first step, which includes the
#   start-up, left out), then max_batches = floor(M * 60 / seconds per step),
#   steps at 80% and 90% of it (scales .1,.1), or, when the template's policy
#   is cosine, onecycle or sgdr (a schedule over max_batches), that policy
#   kept; burn_in the template's or a tenth of max_batches when that is less. --seconds-per-step X skips the
#   timing. Without --minutes: the template's schedule.
#   Validations count against the budget: with --val SPLIT (train.sh -v), one
#   validation of SPLIT (pipelines/val.sh on the cfg) is timed too, V seconds,
#   and each step is charged V / N more, N being --val-every (default 100, as
#   darknet-forward's), and the end one validation more: max_batches =
#   floor((M * 60 - V) / (seconds per step + V / N)). Training waits while
#   darknet-forward validates. --val-seconds V skips that timing.
# -s: the split the anchors (and the timing) read (default train when
# DATASET/ImageSets/Main/train.txt exists, else every annotation); -o: the
# cfg file (default standard output); -q: only errors on stderr.
# Stages come from $BIN (bin/). Exit status: 0 ok, 1 usage, 2 bad input
# (the dataset, the template), 3 a stage failed otherwise.
set -euo pipefail
me=make-cfg.sh
here=$(cd "$(dirname "$0")" && pwd)
PATH="${BIN:-$here/../bin}:$PATH"
usage() { { printf 'Usage:'; sed -n '6,8p' "$0" | sed 's/^# \{0,1\}//'
            echo "Try '$me --help' for more information."; } >&2; exit 1; }
die() { local rc=$1; shift; echo "$me: $*" >&2; exit "$rc"; }
say() { [ -n "$quiet" ] || echo "$me: $*" >&2; }
templates() { local f; for f in "$here"/templates/*.cfg; do [ -f "$f" ] && basename "$f" .cfg; done; }
# decimal numbers: N, N.N, .N (no sign, no exponent)
isnum() { [[ $1 =~ ^([0-9]+([.][0-9]*)?|[.][0-9]+)$ ]]; }

names= split= size= minutes= sps= nsteps=5 out= quiet= val= val_every=100 val_sec=
while [ $# -gt 0 ]; do
  case $1 in
    -n|-s|-o|--size|--minutes|--seconds-per-step|--time-steps|--val|--val-every|--val-seconds)
      [ $# -ge 2 ] || { echo "$me: option $1 needs a value" >&2; usage; } ;;
  esac
  case $1 in
    -n) names=$2; shift 2 ;;
    -s) split=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --seconds-per-step) sps=$2; shift 2 ;;
    --time-steps) nsteps=$2; shift 2 ;;
    --val) val=$2; shift 2 ;;
    --val-every) val_every=$2; shift 2 ;;
    --val-seconds) val_sec=$2; shift 2 ;;
    -q|--quiet) quiet=1; shift ;;
    --list) templates; exit 0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) echo "$me: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || usage
template=$1 data=$2

# --- the options' values ---------------------------------------------------------
if [ -n "$size" ]; then
  [[ $size =~ ^[0-9]+$ ]] && [ "$size" -ge 32 ] && [ "$size" -le 2048 ] && [ $((size % 32)) -eq 0 ] ||
    die 1 "--size: '$size' is not a multiple of 32 in [32, 2048]"
fi
if [ -n "$minutes" ]; then
  isnum "$minutes" && awk -v m="$minutes" 'BEGIN { exit !(m > 0 && m <= 43200) }' ||
    die 1 "--minutes: '$minutes' is not a number of minutes in (0, 43200] (30 days)"
fi
if [ -n "$sps" ]; then
  [ -n "$minutes" ] || die 1 "--seconds-per-step goes with --minutes (it sizes the schedule)"
  isnum "$sps" && awk -v s="$sps" 'BEGIN { exit !(s > 0 && s <= 86400) }' ||
    die 1 "--seconds-per-step: '$sps' is not a number of seconds in (0, 86400]"
fi
[[ $nsteps =~ ^[0-9]+$ ]] && [ "$nsteps" -ge 1 ] && [ "$nsteps" -le 100 ] ||
  die 1 "--time-steps: '$nsteps' is not an integer in [1, 100]"
[[ $val_every =~ ^[0-9]+$ ]] && [ "$val_every" -ge 1 ] && [ "$val_every" -le 1000000000 ] ||
  die 1 "--val-every: '$val_every' is not an integer in [1, 1000000000]"
if [ -n "$val_sec" ]; then
  [ -n "$val" ] || die 1 "--val-seconds goes with --val (the split validated)"
  isnum "$val_sec" && awk -v s="$val_sec" 'BEGIN { exit !(s >= 0 && s <= 86400) }' ||
    die 1 "--val-seconds: '$val_sec' is not a number of seconds in [0, 86400]"
fi
[ -z "$val" ] || [ -n "$minutes" ] || die 1 "--val goes with --minutes (validations count against the budget)"

# --- the template ------------------------------------------------------------------
if [ -f "$template" ]; then
  tfile=$template tname=$(basename "$template" .cfg)
elif [[ $template != */* ]] && [ -f "$here/templates/${template%.cfg}.cfg" ]; then
  tname=${template%.cfg} tfile=$here/templates/${template%.cfg}.cfg
else
  die 1 "'$template' is neither a cfg file nor a template: the templates are" \
        "$(templates | paste -sd' ' -) (pipelines/templates/)"
fi

# --- the dataset and its classes -----------------------------------------------------
[ -d "$data" ] || die 2 "$data: no such dataset folder"
[ -d "$data/Annotations" ] || die 2 "$data: no Annotations/ folder (a VOC-layout dataset has Annotations/ and JPEGImages/)"
if [ -z "$names" ]; then
  names=$data/classes.names
  [ -f "$names" ] || die 2 "$data: no classes.names (the class names, one a line): write it, or give the list with -n NAMES"
fi
[ -f "$names" ] || die 2 "$names: no such class-names file"
classes=$(grep -c '[^[:space:]]' "$names" || true)
[ "$classes" -ge 1 ] || die 2 "$names: no class names in it"
if [ -z "$split" ] && [ -f "$data/ImageSets/Main/train.txt" ]; then split=train; fi
if [ -n "$split" ]; then
  [ -f "$data/ImageSets/Main/$split.txt" ] ||
    die 2 "$data: no ImageSets/Main/$split.txt (pipelines/split.sh writes train, val and test lists)"
  splitopt=(--split "$split") splitsay="split $split"
else
  splitopt=() splitsay="every annotation; no train split"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/make-cfg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# --- what the template has: [net]'s size and schedule, the heads -----------------------
# One line for [net]: "net WIDTH HEIGHT BURN_IN MAX_BATCHES POLICY STEPS", and
# one per head: "head TYPE ANCHORS_OF_THE_HEAD NUM COORDS MASK" (MASK "-" when
# none), or "bad MESSAGE".
describe() {
  awk '
    function val(s) { sub(/^[^=]*=[ \t]*/, "", s); sub(/[ \t]*$/, "", s); gsub(/[ \t]/, "", s); return s }
    function key(s) { sub(/[ \t]*=.*/, "", s); sub(/^[ \t]*/, "", s); return s }
    function flush() {
      if (sec == "net" || sec == "network") printf "net %s %s %s %s %s %s\n", W, H, bi, mb, pol, st
      else if (sec == "region" || sec == "yolo") {
        n = split(mask, m, ",")
        printf "head %s %d %s %s %s\n", sec, (sec == "yolo" && mask != "" ? n : num), num, coords,
               (mask == "" ? "-" : mask)
        if (prev != "convolutional") printf "bad the [%s] at line %d does not follow a [convolutional]\n", sec, line
      } else if (sec == "detection") printf "bad a [detection] head (YOLO v1) at line %d: only [region] and [yolo] heads are known here\n", line
    }
    /^[ \t]*\[/ {
      flush(); prev = sec; sec = $0; gsub(/[][ \t\r]/, "", sec); line = NR
      num = (sec == "yolo" ? 1 : 5); coords = 4; mask = ""
      next
    }
    /^[ \t]*[#;]/ || !/=/ { next }
    {
      k = key($0); v = val($0)
      if (sec == "net" || sec == "network") {
        if (k == "width") W = v; else if (k == "height") H = v; else if (k == "burn_in") bi = v
        else if (k == "max_batches") mb = v; else if (k == "policy") pol = v; else if (k == "steps") st = v
      } else if (k == "num") num = v; else if (k == "coords") coords = v; else if (k == "mask") mask = v
    }
    BEGIN { W = 0; H = 0; bi = 0; mb = 0; pol = "constant"; st = "-" }
    END { flush() }
  ' "$1"
}
describe "$tfile" > "$tmp/about"
if grep -q '^bad ' "$tmp/about"; then die 2 "$tfile: $(sed -n 's/^bad //p' "$tmp/about" | head -1)"; fi
read -r _ tw th tburn tmax tpolicy tsteps < <(grep '^net ' "$tmp/about" || echo "net 0 0 0 0 - -")
nheads=$(grep -c '^head ' "$tmp/about" || true)
[ "$nheads" -ge 1 ] || die 2 "$tfile: no [region] or [yolo] head"
htype=$(awk '$1 == "head" { print $2 }' "$tmp/about" | sort -u)
[ "$(printf '%s\n' "$htype" | wc -l)" -eq 1 ] || die 2 "$tfile: [region] and [yolo] heads mixed"
k=$(awk '$1 == "head" { print $4; exit }' "$tmp/about")
[ "$htype" = yolo ] || [ "$nheads" -eq 1 ] || die 2 "$tfile: more than one [region] head"
[[ $k =~ ^[0-9]+$ ]] && [ "$k" -ge 1 ] && [ "$k" -le 100 ] || die 2 "$tfile: num=$k: anchors from 1 to 100 are known here"
[ -z "$size" ] || tw=$size th=$size
[[ $tw =~ ^[0-9]+$ ]] && [[ $th =~ ^[0-9]+$ ]] && [ "$tw" -gt 0 ] && [ "$th" -gt 0 ] ||
  die 2 "$tfile: [net] has no width and height (give --size)"

# edit TEMPLATE: the cfg with classes, filters, size, and what is set of
# anchors (A), max_batches (MB), steps (ST), burn_in (BI); the template's
# leading comment left out, HEADER (a file) put first.
edit() {
  awk -v classes="$classes" -v W="$tw" -v H="$th" -v A="${anchors:-}" -v MB="${max_batches:-}" \
      -v ST="${steps:-}" -v BI="${burn_in:-}" -v header="${2:-/dev/null}" '
    function key(s) { sub(/[ \t]*=.*/, "", s); sub(/^[ \t]*/, "", s); return s }
    function val(s) { sub(/^[^=]*=[ \t]*/, "", s); gsub(/[ \t\r]/, "", s); return s }
    # sets key k of section s to v: its line, or a new line at the end of s
    function set(s, k, v,   i) {
      for (i = first[s]; i <= last[s]; i++)
        if (L[i] !~ /^[ \t]*[#;]/ && L[i] ~ /=/ && key(L[i]) == k) { L[i] = k "=" v; return }
      extra[s] = extra[s] k "=" v "\n"
    }
    function get(s, k, d,   i) {
      for (i = first[s]; i <= last[s]; i++)
        if (L[i] !~ /^[ \t]*[#;]/ && L[i] ~ /=/ && key(L[i]) == k) return val(L[i])
      return d
    }
    { L[NR] = $0 }
    /^[ \t]*\[/ { ns++; name[ns] = $0; gsub(/[][ \t\r]/, "", name[ns]); first[ns] = NR }
    { if (ns) last[ns] = NR }
    END {
      for (s = 1; s <= ns; s++) {
        if (name[s] == "net" || name[s] == "network") {
          set(s, "width", W); set(s, "height", H)
          if (MB != "" && ST == "") { set(s, "max_batches", MB); set(s, "burn_in", BI) }
          else if (MB != "") { set(s, "max_batches", MB); set(s, "policy", "steps"); set(s, "steps", ST)
                               set(s, "scales", ".1,.1"); set(s, "burn_in", BI) }
        } else if (name[s] == "region" || name[s] == "yolo") {
          set(s, "classes", classes)
          if (A != "") set(s, "anchors", A)
          if (name[s] == "region")
            f = get(s, "num", 5) * (get(s, "coords", 4) + 1 + classes)
          else {
            m = get(s, "mask", "")
            f = (m == "" ? get(s, "num", 1) : split(m, parts, ",")) * (5 + classes)
          }
          set(s - 1, "filters", f)
        }
      }
      while ((getline h < header) > 0) print h
      start = 1
      while (start <= NR && start < first[1] && (L[start] ~ /^[ \t]*[#;]/ || L[start] ~ /^[ \t\r]*$/)) start++
      for (i = start; i <= NR; i++) {
        print L[i]
        for (s = 1; s <= ns; s++)         # keys a section lacked: after its [name] line
          if (i == first[s] && extra[s] != "") printf "%s", extra[s]
      }
    }
  ' "$1"
}
# the cfg as it will be, anchors and schedule still the template's: its
# heads' grids from darknet-forward --summary ("layer yolo W x H x C -> ...")
anchors= max_batches= steps= burn_in=
edit "$tfile" > "$tmp/net.cfg"
darknet-forward --cfg "$tmp/net.cfg" --summary > "$tmp/summary" 2> "$tmp/err" ||
  die 2 "$tfile: darknet-forward cannot build it at ${tw}x$th: $(sed 's/^darknet-forward: //' "$tmp/err" | head -3)"
grids=$(awk '$2 == "region" || $2 == "yolo" { printf "%s%sx%s", (n++ ? " " : ""), $3, $5 }' "$tmp/summary")
say "template $tname ($tfile): $nheads [$htype] head$([ "$nheads" -eq 1 ] || echo s), grid $grids at ${tw}x$th, $k anchors"
if [ "$htype" = region ]; then
  per="$(awk '$1 == "head" { print $4 " x (" $5 " + 1 + '"$classes"') = " $4 * ($5 + 1 + '"$classes"'); exit }' "$tmp/about")"
  say "$classes class$([ "$classes" -eq 1 ] || echo es) ($names): filters = num x (coords + 1 + classes) = $per"
else
  per=$(awk '$1 == "head" { printf "%s%s", (n++ ? ", " : ""), $3 " x (5 + '"$classes"') = " $3 * (5 + '"$classes"') }' "$tmp/about")
  say "$classes class$([ "$classes" -eq 1 ] || echo es) ($names): filters = anchors of the head x (5 + classes): $per"
fi

# --- anchors: voc-parse | kmeans-anchors at the network's size ------------------------------
if [ "$htype" = region ]; then
  gw=${grids%%x*} gh=${grids#*x}
  [ "$gw" = "$gh" ] || die 2 "$tfile: the [region] grid is ${gw}x$gh: kmeans-anchors --grid needs a square one (give --size)"
  unit=(--grid "$gw") unitsay="cells of the ${gw}x$gw grid"
else
  unit=(--net "$tw,$th") unitsay="pixels at ${tw}x$th"
fi
vq=()
[ -z "$quiet" ] || vq=(-q)
rc=0
voc-parse ${vq[@]+"${vq[@]}"} --classes "$names" ${splitopt[@]+"${splitopt[@]}"} "$data" > "$tmp/recs.mp" || rc=$?
[ "$rc" -eq 0 ] || die 2 "$data: voc-parse failed (status $rc; its message above)"
nrec=$(records-to-json "$tmp/recs.mp" | grep -c . || true)
nbox=$(records-to-json "$tmp/recs.mp" | grep -o '"bbox"' | grep -c . || true)
[ "$nrec" -ge 1 ] || die 2 "$data ($splitsay): no images with an annotation"
[ "$nbox" -ge "$k" ] || die 2 "$data ($splitsay): $nbox boxes in $nrec images: $k anchors need at least $k"
kmeans-anchors -k "$k" "${unit[@]}" "$tmp/recs.mp" > /dev/null 2> "$tmp/km" ||
  die 2 "$data: kmeans-anchors failed: $(sed 's/^kmeans-anchors: //' "$tmp/km" | head -3)"
anchors=$(sed -n 's/^anchors = //p' "$tmp/km")
iou=$(sed -n 's/^avg IoU \([0-9.]*\) .*/\1/p' "$tmp/km")
[ -n "$anchors" ] && [ -n "$iou" ] || die 3 "kmeans-anchors said nothing of its anchors: $(head -3 "$tmp/km")"
say "anchors: kmeans-anchors -k $k ${unit[*]} on $nbox boxes of $nrec images ($splitsay): avg IoU $iou"
say "  anchors = $anchors  ($unitsay, smallest first)"
if [ "$htype" = yolo ] && [ "$nheads" -gt 1 ]; then
  # each head's mask, coarse grid first: its anchors should be the larger
  pairs=$(paste -d' ' <(awk '$1 == "head" { print $6 }' "$tmp/about") <(printf '%s\n' $grids))
  say "  masks: $(printf '%s\n' "$pairs" | awk '{ printf "%s%s on %s", (n++ ? ", " : ""), $1, $2 }')"
  printf '%s\n' "$pairs" | awk '{ split($2, g, "x"); split($1, m, ","); lo = m[1]
      for (i in m) if (m[i] + 0 < lo + 0) lo = m[i]
      print g[1] * g[2], lo }' | sort -n | awk 'NR > 1 && $2 > p { bad = 1 } { p = $2 } END { exit bad }' ||
    say "  warning: a finer grid has larger anchors than a coarser one (darknet gives the largest to the coarsest)"
fi

# --- the schedule ------------------------------------------------------------------------------
# One validation of $val timed (wall clock) into val_sec: pipelines/val.sh
# on the cfg, with the timing run's weights when there are some, else
# seeded random ones (a network's cost does not depend on its weights).
time_validation() {
  [ -f "$data/ImageSets/Main/$val.txt" ] || die 2 "$data: no ImageSets/Main/$val.txt: --val names a split"
  [ -f "$tmp/net.cfg" ] || edit "$tfile" > "$tmp/net.cfg"
  local w=$tmp/time/weights t0 t1 rc=0
  if [ ! -f "$w" ]; then
    w=$tmp/val.weights
    darknet-forward -q -c "$tmp/net.cfg" --random 1 --save-weights "$w" < /dev/null > /dev/null 2> "$tmp/val.err" ||
      { sed 's/^/  /' "$tmp/val.err" >&2; die 3 "making weights to time a validation failed"; }
  fi
  say "timing one validation of the split $val (pipelines/val.sh)"
  t0=$(date +%s.%N)
  BIN=${BIN:-$here/../bin} bash "$here/val.sh" -s "$val" -n "$names" "$data" "$tmp/net.cfg" "$w" \
    > /dev/null 2> "$tmp/val.err" || rc=$?
  t1=$(date +%s.%N)
  [ "$rc" -eq 0 ] || { sed 's/^/  /' "$tmp/val.err" >&2; die 3 "the validation timed failed (status $rc)"; }
  val_sec=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3g", b - a }')
  say "measured: $val_sec s a validation of $val, one every $val_every steps: $(awk -v v="$val_sec" -v n="$val_every" 'BEGIN { printf "%.3g", v / n }') s more a step"
}
if [ -n "$minutes" ]; then
  batch=$(awk -F= '/^\[/ { s = $0 } s ~ /net/ && $1 ~ /^[ \t]*batch[ \t]*$/ { gsub(/[ \t\r]/, "", $2); print $2; exit }' "$tfile")
  if [ -z "$sps" ]; then
    [ -n "$split" ] || die 2 "$data: no ImageSets/Main/train.txt: the timing run trains on a split" \
      "(pipelines/split.sh writes the lists; or give --seconds-per-step)"
    edit "$tfile" > "$tmp/net.cfg"
    say "timing 1 + $nsteps steps of training on this machine (train.sh, batch ${batch:-1}, ${tw}x$th; the first one left out)"
    rc=0
    BIN=${BIN:-$here/../bin} bash "$here/train.sh" -o "$tmp/time" ${split:+-s "$split"} -n "$names" \
      "$data" "$tmp/net.cfg" --max-batches $((1 + nsteps)) -q > /dev/null 2> "$tmp/train.err" || rc=$?
    [ "$rc" -eq 0 ] || { sed 's/^/  /' "$tmp/train.err" >&2; die 3 "the timing run failed (status $rc)"; }
    sps=$(awk -v n="$nsteps" '
      /"seconds": *[0-9]/ {
        it = $0; sub(/.*"iteration": */, "", it); sub(/[^0-9].*/, "", it)
        t = $0; sub(/.*"seconds": */, "", t); sub(/[,}].*/, "", t)
        s[it + 0] = t + 0 }
      END { if (!((1 in s) && ((n + 1) in s)) || s[n + 1] <= s[1]) exit 1; printf "%.4g", (s[n + 1] - s[1]) / n }
    ' "$tmp/time/log.jsonl") || die 3 "the timing run left no usable log ($tmp/time/log.jsonl)"
    say "measured: $sps s/step (steps 2 to $((1 + nsteps)), wall clock, this machine as loaded now)"
  else
    say "$sps s/step given (--seconds-per-step; not measured)"
  fi
  per_step=$sps rule="$minutes x 60 / $sps"
  if [ -n "$val" ]; then
    if [ -n "$val_sec" ]; then say "$val_sec s a validation given (--val-seconds; not measured)"; else time_validation; fi
    per_step=$(awk -v s="$sps" -v v="$val_sec" -v n="$val_every" 'BEGIN { printf "%.4g", s + v / n }')
    rule="($minutes x 60 - $val_sec) / ($sps + $val_sec / $val_every)"
  fi
  # from the figures said (not per_step, rounded for the messages)
  max_batches=$(awk -v m="$minutes" -v s="$sps" -v v="${val_sec:-0}" -v n="$val_every" \
    'BEGIN { printf "%d", (m * 60 - v) / (s + v / n) + 1e-9 }')  # + 1e-9: 0.02 x 60 / 0.1 is 11.999...
  [ "$max_batches" -ge 10 ] ||
    die 1 "--minutes $minutes: $max_batches step$([ "$max_batches" = 1 ] || echo s) of $per_step s fit, at least 10 are needed (more minutes, or a smaller --size)"
  burn_in=$(( max_batches / 10 ))
  [[ $tburn =~ ^[0-9]+$ ]] && [ "$tburn" -lt "$burn_in" ] && burn_in=$tburn
  case $tpolicy in
    cosine | onecycle | sgdr)  # a schedule over max_batches: the template's policy kept
      say "schedule for $minutes minutes: max_batches = floor($rule) = $max_batches," \
          "the template's policy=$tpolicy over them, burn_in=$burn_in (the template's $tburn, at most a tenth)"
      sched_what="policy $tpolicy" ;;
    *)
      steps="$((max_batches * 8 / 10)),$((max_batches * 9 / 10))"
      say "schedule for $minutes minutes: max_batches = floor($rule) = $max_batches," \
          "steps=$steps (80%, 90%; scales .1,.1), burn_in=$burn_in (the template's $tburn, at most a tenth)"
      sched_what="steps $steps" ;;
  esac
  [ "$max_batches" -ge 500 ] ||
    say "warning: only $max_batches steps: expect a weak detector; give more minutes or a smaller --size"
  sched="$minutes minutes at $sps s/step${val:+ and a validation of $val_sec s every $val_every}: max_batches $max_batches, $sched_what, burn_in $burn_in"
else
  say "schedule: the template's (max_batches $tmax, policy $tpolicy, steps $tsteps, burn_in $tburn); --minutes M sizes it to M minutes on this machine"
  sched="the template's"
fi

# --- the cfg ------------------------------------------------------------------------------------
{
  echo "# Made by pipelines/make-cfg.sh from the template $tname for $data:"
  echo "# $classes class$([ "$classes" -eq 1 ] || echo es) ($names), ${tw}x$th; anchors by kmeans-anchors -k $k ${unit[*]}"
  echo "# ($splitsay, $nbox boxes, avg IoU $iou); schedule: $sched."
  echo "# filters before each head: [region] num x (coords + 1 + classes), [yolo] anchors of the head x (5 + classes)."
} > "$tmp/header"
edit "$tfile" "$tmp/header" > "$tmp/net.cfg"
darknet-forward --cfg "$tmp/net.cfg" --summary > /dev/null 2> "$tmp/err" ||
  die 3 "the cfg written does not build: $(head -3 "$tmp/err")"
if [ -n "$out" ]; then
  cp "$tmp/net.cfg" "$out.tmp" && mv "$out.tmp" "$out" || die 3 "$out: cannot write it"
  say "wrote $out"
else
  cat "$tmp/net.cfg"
fi
