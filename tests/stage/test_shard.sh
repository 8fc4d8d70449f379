# Sharded work (docs/scale-out.md): every reader's --shard K/N gives
# contiguous parts whose concatenation in shard order is the unsharded
# stream byte for byte; eval.sh and detect.sh with -j 2 (GNU parallel) give
# exactly their unsharded output; a shard that fails fails the run, named;
# -S runs the shards over ssh, tried on this machine when an sshd can be
# started here.
. tests/stage/lib.sh
CFG=tests/fixtures/synth-tiny.cfg
synth-voc --quiet --out "$T/d" --count 14 --size 128x96 --seed 5
darknet-forward --quiet --cfg "$CFG" --random 4 --save-weights "$T/w.weights" < /dev/null > /dev/null

# --- the readers' --shard ------------------------------------------------------
# same_cat DESC N COUNT READER ARG...: the reader's output (COUNT records) is
# its --shard 0/N .. N-1/N outputs one after the other, byte for byte
same_cat() {
  _d=$1 _parts=$2 _want=$3
  shift 3
  "$@" > "$T/whole.mp" 2> /dev/null
  _r=$1
  shift
  _k=0
  while [ $_k -lt "$_parts" ]; do
    "$_r" --shard "$_k/$_parts" "$@" 2> /dev/null
    _k=$((_k + 1))
  done > "$T/cat.mp"
  check_eq "$_d: shards 0..$((_parts - 1)) of $_parts one after the other are the whole stream" \
    "$(cmp "$T/whole.mp" "$T/cat.mp" > /dev/null && echo same) $(records-to-json "$T/whole.mp" | wc -l | tr -d ' ')" \
    "same $_want"
}
ids() { records-to-json | jq -r .id | tr '\n' ' '; }
nall=$(voc-parse --quiet "$T/d" | records-to-json | wc -l | tr -d ' ')
same_cat "voc-parse" 3 "$nall" voc-parse "$T/d"
same_cat "voc-parse, more shards than images" 20 "$nall" voc-parse "$T/d"
ntest=$(wc -l < "$T/d/ImageSets/Main/test.txt" | tr -d ' ')
same_cat "voc-parse --split test" 2 "$ntest" voc-parse --split test "$T/d"
check_eq "voc-parse --shard 1/3 of 14 images: images 5 to 9 of the list (parts of 5, 5, 4)" \
  "$(voc-parse --quiet --shard 1/3 "$T/d" | ids)" "000006 000007 000008 000009 000010 "
# a listed image that is skipped still counts: its part is one shorter
mv "$T/d/Annotations/000002.xml" "$T/000002.xml"
printf '000001\n000002\n000003\n000004\n' > "$T/d/ImageSets/Main/four.txt"
check_eq "voc-parse: an image skipped (no annotation) is counted where it was listed" \
  "$(voc-parse --quiet --split four --shard 0/2 "$T/d" | ids)| $(voc-parse --quiet --split four --shard 1/2 "$T/d" | ids)" \
  "000001 | 000003 000004 "
mv "$T/000002.xml" "$T/d/Annotations/000002.xml"
same_cat "image-list, a folder" 3 "$nall" image-list "$T/d/JPEGImages"
ls "$T/d/JPEGImages/"*.jpg > "$T/list"
check_eq "image-list, paths on stdin: the shards one after the other are the whole stream" \
  "$(image-list < "$T/list" | md5sum) $(for k in 0 1 2; do image-list --shard $k/3 < "$T/list"; done | md5sum)" \
  "$(image-list < "$T/list" | md5sum) $(image-list < "$T/list" | md5sum)"
same_cat "yolo-parse, a folder" 4 "$nall" yolo-parse --names "$T/d/classes.names" "$T/d/JPEGImages"
check_eq "yolo-parse, a list file and a folder: the shards one after the other are the whole stream" \
  "$(for k in 0 1 2; do yolo-parse --quiet --shard $k/3 --names "$T/d/classes.names" "$T/list" "$T/d/JPEGImages"; done | md5sum)" \
  "$(yolo-parse --quiet --names "$T/d/classes.names" "$T/list" "$T/d/JPEGImages" | md5sum)"
"$TOOLS/gen-coco" --images 11 > "$T/coco.json"
same_cat "coco-parse" 3 11 coco-parse "$T/coco.json"
same_cat "coco-parse --skip-empty" 2 \
  "$(coco-parse --skip-empty "$T/coco.json" 2> /dev/null | records-to-json | wc -l | tr -d ' ')" \
  coco-parse --skip-empty "$T/coco.json"
for r in voc-parse image-list yolo-parse coco-parse; do
  for bad in 2/2 3/2 1/0 0/0 x/y 1/ -1/2; do
    $r --shard "$bad" "$T/d" > "$T/out" 2> "$T/err"; rc=$?
    [ "$rc $(head -1 "$T/err") $(wc -c < "$T/out")" = "1 $r: option --shard: '$bad' is not K/N with 0 <= K < N 0" ] ||
      { fail "$r --shard $bad: exit 1, why, nothing on stdout" "$rc $(head -1 "$T/err")"; continue 2; }
  done
  ok "$r --shard 2/2, 3/2, 1/0, 0/0, x/y, 1/, -1/2: exit 1 with the reason, nothing on stdout"
done

# --- eval.sh and detect.sh -j 2: the unsharded output ---------------------------
command -v parallel > /dev/null && have_parallel=1 || have_parallel=0
if [ $have_parallel = 0 ]; then
  skip "eval.sh and detect.sh -j, -S" "GNU parallel is not installed (scripts/deps.sh test)"
  done_testing
  exit
fi
export BIN
ev() { bash pipelines/eval.sh -s trainval "$@"; }
# the unsharded references on one thread (faster on a busy machine; the
# bits are the same for any thread count)
OMP_NUM_THREADS=1 ev "$T/d" "$CFG" "$T/w.weights" > "$T/t1" 2> "$T/e1"; rc1=$?
ev -j 2 "$T/d" "$CFG" "$T/w.weights" > "$T/t2" 2> "$T/e2"; rc2=$?
check_eq "eval.sh -j 2: exit 0, the mAP table of eval.sh, to the byte" \
  "$rc1 $rc2 $(cmp "$T/t1" "$T/t2" && echo same) $(grep -c '^mean' "$T/t2")" "0 0 same 1"
check_match "... and the table has detections to count" "$(sed -n 2p "$T/t2")" "^circle +[0-9]+ +[1-9][0-9]* "
ntv=$(wc -l < "$T/d/ImageSets/Main/trainval.txt" | tr -d ' ')
check_eq "... each shard's darknet-forward ran half the $ntv images" \
  "$(grep -o 'darknet-forward: [0-9]* images' "$T/e2" | sort | tr '\n' ' ')" \
  "darknet-forward: $((ntv / 2)) images darknet-forward: $((ntv - ntv / 2)) images "
OMP_NUM_THREADS=1 ev -J -d "$T/p1" "$T/d" "$CFG" "$T/w.weights" > "$T/j1" 2> /dev/null
ev -J -j 3 -d "$T/p3" "$T/d" "$CFG" "$T/w.weights" > "$T/j3" 2> /dev/null; rc=$?
check_eq "eval.sh -J -j 3 -d: exit 0, the same JSON and the same pictures, byte for byte" \
  "$rc $(cmp "$T/j1" "$T/j3" && echo same) $(ls "$T/p3" | wc -l | tr -d ' ') $(diff -r "$T/p1" "$T/p3" && echo same)" \
  "0 same $ntv same"
OMP_NUM_THREADS=1 ev -j 5 "$T/d" "$CFG" "$T/w.weights" > "$T/t5" 2> /dev/null
check_eq "eval.sh -j 5 with OMP_NUM_THREADS=1: the same table" "$(cmp "$T/t1" "$T/t5" && echo same)" same
IMAGES="$(cd "$(dirname "$0")/../data/images" && pwd)"
OMP_NUM_THREADS=1 bash pipelines/detect.sh -s "$T/s1.jpg" "$CFG" "$T/w.weights" "$T/o1" "$IMAGES" "$T/d/JPEGImages" 2> /dev/null; rc1=$?
bash pipelines/detect.sh -j 2 -s "$T/s2.jpg" "$CFG" "$T/w.weights" "$T/o2" "$IMAGES" "$T/d/JPEGImages" 2> "$T/e2"; rc2=$?
check_eq "detect.sh -j 2: exit 0, the same pictures, records and sheet, byte for byte" \
  "$rc1 $rc2 $(ls "$T/o2" | wc -l | tr -d ' ') $(diff -r "$T/o1" "$T/o2" && cmp "$T/s1.jpg" "$T/s2.jpg" && echo same)" \
  "0 0 20 same"
check_match "... and says where they are" "$(cat "$T/e2")" "detect.sh: 19 pictures in $T/o2; records in $T/o2/detections.mp"

YOLO_ISA=generic ev -j 2 "$T/d" "$CFG" "$T/w.weights" > /dev/null 2> "$T/err"
check_eq "YOLO_ISA is handed to each shard" "$(grep -c 'kernels generic' "$T/err")" 2

# --- failures: the run fails, the shard and its stage named ---------------------
mkdir "$T/nopar"
for c in dirname mktemp rm cat; do ln -s "$(command -v $c)" "$T/nopar/"; done
PATH=$T/nopar "$(command -v bash)" pipelines/eval.sh -j 2 "$T/d" "$CFG" "$T/w.weights" > "$T/out" 2> "$T/err"; rc=$?
check_eq "eval.sh -j without GNU parallel: exit 3, says which package, no table" \
  "$rc $(wc -c < "$T/out") $(head -1 "$T/err")" \
  "3 0 eval.sh: -j and -S need GNU parallel (Debian package parallel: scripts/deps.sh test installs it)"
for bad in 0 x 1000000; do
  ev -j "$bad" "$T/d" "$CFG" "$T/w.weights" > "$T/out" 2> "$T/err"; rc=$?
  check_eq "eval.sh -j $bad: exit 1, why" "$rc $(cat "$T/err") $(wc -c < "$T/out")" \
    "1 eval.sh: -j '$bad' is not a number of shards (1 to 999999) 0"
done
ev -j 2 "$T/d" "$CFG" "$T/none.weights" > "$T/out" 2> "$T/err"; rc=$?
# darknet-forward's reason and eval.sh's line for a shard, picked out: GNU
# parallel prints each job's output when it ends, and its own --halt lines
# (the failed commands) among them, so the order varies
check_match "eval.sh -j 2 with a missing weights file: exit 3, darknet-forward's reason, the shards named, no table" \
  "$rc $(wc -c < "$T/out") $(grep -m1 '^darknet-forward: ' "$T/err") $(grep -m1 '^eval.sh: shard ' "$T/err")" \
  "^3 0 darknet-forward: .*none.weights: No such file or directory eval.sh: shard [01]/2: darknet-forward failed \(status 3\)$"
# a darknet-forward killed in the second shard only (GNU parallel numbers its jobs from 1)
bin=$BIN
mkdir "$T/bin2"
for s in "$bin"/*; do ln -s "$s" "$T/bin2/"; done
rm "$T/bin2/darknet-forward"
printf '#!/bin/sh\n[ "$PARALLEL_SEQ" = 2 ] && kill -KILL $$\nexec "%s/darknet-forward" "$@"\n' "$bin" > "$T/bin2/darknet-forward"
chmod +x "$T/bin2/darknet-forward"
BIN=$T/bin2 ev -j 2 "$T/d" "$CFG" "$T/w.weights" > "$T/out" 2> "$T/err"; rc=$?
check_match "eval.sh -j 2 whose second shard's darknet-forward is killed: exit 137, the shard and stage named, no table" \
  "$rc $(wc -c < "$T/out") $(tr '\n' ' ' < "$T/err")" \
  "^137 0 .*eval.sh: shard 1/2: darknet-forward killed by signal 9 \(KILL\) .*eval.sh: shards killed by signal 9"
BIN=$T/bin2 bash pipelines/detect.sh -j 2 "$CFG" "$T/w.weights" "$T/o3" "$T/d/JPEGImages" > /dev/null 2> "$T/err"; rc=$?
check_match "detect.sh -j 2, the same: exit 137, named" "$rc $(tr '\n' ' ' < "$T/err")" \
  "^137 .*detect.sh: shard 1/2: darknet-forward killed by signal 9 \(KILL\)"
bash pipelines/detect.sh -j 2 "$CFG" "$T/w.weights" "$T/o4" "$T/missing" > /dev/null 2> "$T/err"; rc=$?
check_match "detect.sh -j 2 on a missing folder: image-list's warnings, exit 0 and no pictures (as without -j)" \
  "$rc $(tr '\n' ' ' < "$T/err")" "^0 image-list: .*missing.* detect.sh: 0 pictures"

# --- -S: the shards over ssh, on this machine ----------------------------------
# A private sshd on a free port, its keys in $T; ssh reaches it through a
# config file given to GNU parallel in PARALLEL_SSH.
sshd_up() {
  [ -x /usr/sbin/sshd ] && command -v ssh-keygen > /dev/null || { why="no sshd (Debian package openssh-server)"; return 1; }
  port=$((20000 + $$ % 20000))
  ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" && ssh-keygen -q -t ed25519 -N '' -f "$T/key" || { why="ssh-keygen failed"; return 1; }
  cp "$T/key.pub" "$T/authorized_keys" && chmod 600 "$T/authorized_keys"
  mkdir -p /run/sshd 2> /dev/null
  printf '%s\n' "Port $port" "ListenAddress 127.0.0.1" "HostKey $T/hostkey" \
    "AuthorizedKeysFile $T/authorized_keys" "StrictModes no" "PasswordAuthentication no" \
    "KbdInteractiveAuthentication no" "UsePAM no" "PidFile $T/sshd.pid" > "$T/sshd_config"
  /usr/sbin/sshd -D -e -f "$T/sshd_config" 2> "$T/sshd.log" &
  sshd_pid=$!
  printf '%s\n' "Host shardhost" "  HostName 127.0.0.1" "  Port $port" "  User $(id -un)" \
    "  IdentityFile $T/key" "  IdentitiesOnly yes" "  StrictHostKeyChecking no" \
    "  UserKnownHostsFile /dev/null" "  LogLevel ERROR" "  BatchMode yes" > "$T/ssh_config"
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    ssh -F "$T/ssh_config" shardhost true 2> /dev/null && return 0
    sleep 0.3
  done
  why="sshd on port $port did not let us in: $(tail -1 "$T/sshd.log")"
  return 1
}
if sshd_up; then
  export PARALLEL_SSH="ssh -F $T/ssh_config"
  ev -S shardhost,shardhost "$T/d" "$CFG" "$T/w.weights" > "$T/ts" 2> "$T/es"; rc=$?
  check_eq "eval.sh -S shardhost,shardhost (ssh to this machine): exit 0, the same table" \
    "$rc $(cmp "$T/t1" "$T/ts" && echo same)" "0 same"
  check_eq "... YOLO_ISA handed over ssh" \
    "$(YOLO_ISA=generic ev -S shardhost "$T/d" "$CFG" "$T/w.weights" 2>&1 > /dev/null | grep -c 'kernels generic')" 1
  ev -j 3 -S shardhost,: "$T/d" "$CFG" "$T/w.weights" > "$T/ts" 2> /dev/null; rc=$?
  check_eq "eval.sh -j 3 -S shardhost,: (ssh and this machine): the same table" \
    "$rc $(cmp "$T/t1" "$T/ts" && echo same)" "0 same"
  top=$PWD
  (cd "$T" && OMP_NUM_THREADS=1 bash "$top/pipelines/detect.sh" "$top/$CFG" w.weights o5 d/JPEGImages "$IMAGES" &&
    bash "$top/pipelines/detect.sh" -S shardhost "$top/$CFG" w.weights o6 d/JPEGImages "$IMAGES") 2> /dev/null; rc=$?
  check_eq "detect.sh -S from another folder, relative paths: the same pictures and records" \
    "$rc $(ls "$T/o6" | wc -l | tr -d ' ') $(diff -r "$T/o5" "$T/o6" && echo same)" "0 20 same"
  BIN=$T/bin2 ev -j 2 -S shardhost "$T/d" "$CFG" "$T/w.weights" > "$T/out" 2> "$T/err"; rc=$?
  check_match "eval.sh -S whose second shard's darknet-forward is killed there: exit 137, named, no table" \
    "$rc $(wc -c < "$T/out") $(tr '\n' ' ' < "$T/err")" "^137 0 .*eval.sh: shard 1/2: darknet-forward killed by signal 9"
  PARALLEL_SSH="ssh -F $T/ssh_config -p 1" ev -S nohost.invalid "$T/d" "$CFG" "$T/w.weights" > "$T/out" 2> "$T/err"; rc=$?
  check_match "eval.sh -S with a machine ssh cannot reach: fails, no table" \
    "$rc $(wc -c < "$T/out") $(tr '\n' ' ' < "$T/err")" "^[1-9][0-9]* 0 .*eval.sh: shards (failed|killed)"
  kill "$sshd_pid" 2> /dev/null
  wait "$sshd_pid" 2> /dev/null
else
  skip "eval.sh and detect.sh -S over ssh to this machine" "$why"
fi
done_testing
