# pipelines/train.sh's anchor check (issue 21, point 2): the best possible
# recall of the cfg's anchors on the training split, and a copy of the cfg
# with kmeans-anchors' anchors, OUT/net.cfg, trained instead when it is below
# -A BPR (0.98) and the new anchors recall more. Good anchors: one line, no
# copy. Absurd ones ([yolo] in pixels, [region] in grid cells): the message
# with both figures, the copy (its first line, the new anchors, the rest of
# the cfg as it was), the user's cfg untouched, and the records the loss
# stage sees carry the new anchors. -A off and -A with another threshold,
# --resume keeping the copy, an earlier run's copy removed, bad -A values.
# The network is test_train.sh's micro net (64x64, one [yolo] head), one or
# two steps a run.
. tests/stage/lib.sh
TO=120
export OMP_NUM_THREADS=1
TRAIN="timeout $TO bash pipelines/train.sh"
mkdir "$T/tmp"
export TMPDIR="$T/tmp"   # where train.sh's scratch folders go (none may stay)
. tests/stage/train/micro-net.sh

synth-voc --quiet --out "$T/d" --count 16 --size 64x64 --seed 5 --max-objects 2 \
  --min-size 0.2 --split-ratios 1,0,0
net_cfg 'batch=8\nsubdivisions=2\nlearning_rate=0.001\nmomentum=0.9\ndecay=0.0005\nmax_batches=1000\npolicy=constant' > "$T/good.cfg"
sed 's/^anchors=.*/anchors=1,1, 2,2, 3,3/' "$T/good.cfg" > "$T/bad.cfg"
sum_bad=$(md5sum < "$T/bad.cfg")
# the loss stage, keeping what darknet-forward sends it (its heads' anchors)
seen_loss() { echo "tee $1 | yolo-loss -q"; }
anchors_seen() { records-to-json --full "$1" | jq -c '.output[0].anchors' | sort -u | tr '\n' ' '; }
# the figures the check should find, computed here with the stages
voc-parse --quiet --split train --classes "$T/d/classes.names" "$T/d" > "$T/recs.mp"
bpr_of() {   # bpr_of ANCHORS UNITS...: the bpr kmeans-anchors --eval gives, to 4 decimals
  local a=$1; shift
  kmeans-anchors -q "$@" --eval "$a" "$T/recs.mp" | records-to-json | jq -r .bpr | awk '{ printf "%.4f", $1 }'
}
good_bpr=$(bpr_of "10,10, 20,20, 36,32" --net 64,64)
bad_bpr=$(bpr_of "1,1, 2,2, 3,3" --net 64,64)
new=$(kmeans-anchors -k 3 --net 64,64 "$T/recs.mp" 2>&1 > /dev/null | sed -n 's/^anchors = //p')
new_bpr=$(bpr_of "$new" --net 64,64)
echo "# bpr: the micro net's anchors $good_bpr, 1,1, 2,2, 3,3 $bad_bpr; kmeans-anchors -k 3: $new ($new_bpr)"

# --- good anchors: one line, no copy ---------------------------------------------
$TRAIN -o "$T/good" "$T/d" "$T/good.cfg" --max-batches 1 2> "$T/good.err"; rc=$?
check_eq "good anchors: exit 0, one line giving the best possible recall" \
  "$rc $(grep -c 'anchor' "$T/good.err") $(grep 'anchors fit' "$T/good.err")" \
  "0 1 train.sh: anchors fit the data: best possible recall $good_bpr >= 0.98 (kmeans-anchors --net 64,64 on split train)"
check "... the recall is high" test "$good_bpr" = 1.0000
check_eq "... no copy of the cfg in OUT" "$(ls "$T/good")" "$(printf 'log.jsonl\nloss.svg\nweights\nweights.state')"

# --- absurd anchors ([yolo], pixels): a copy with new ones ------------------------
$TRAIN -o "$T/bad" -L "$(seen_loss "$T/bad.mp")" "$T/d" "$T/bad.cfg" --max-batches 1 2> "$T/bad.err"; rc=$?
check_eq "absurd anchors: exit 0, one line: both recalls, the new anchors, the cfg trained" \
  "$rc $(grep 'anchors fit' "$T/bad.err")" \
  "0 train.sh: anchors fit the data badly: best possible recall $bad_bpr < 0.98; new anchors from kmeans-anchors -k 3 --net 64,64: $new (recall $new_bpr); training with $T/bad/net.cfg"
check "... the cfg's recall is low, the new one's high" \
  awk -v b="$bad_bpr" -v n="$new_bpr" 'BEGIN { exit !(b < 0.5 && n >= 0.98) }'
check_eq "... OUT/net.cfg's first line says what it is" "$(head -n 1 "$T/bad/net.cfg")" \
  "# train.sh anchor check: $T/bad.cfg with the anchors of kmeans-anchors -k 3 --net 64,64 on $T/d (split train): best possible recall $new_bpr, the cfg's $bad_bpr (side ratios below 4)"
tail -n +2 "$T/bad/net.cfg" > "$T/rest.cfg"
check_eq "... then the user's cfg with only its anchors line changed, to kmeans-anchors' line" \
  "$(diff "$T/bad.cfg" "$T/rest.cfg" | tr '\n' '|')" \
  "58c58|< anchors=1,1, 2,2, 3,3|---|> anchors=$new|"
check_eq "... the user's cfg untouched" "$(md5sum < "$T/bad.cfg")" "$sum_bad"
want=$(printf '%s' "$new" | jq -Rc 'split(",") | map(tonumber)')
cfgs=$(printf '1,1,2,2,3,3' | jq -Rc 'split(",") | map(tonumber)')
check_eq "... and the loss stage saw the new anchors in every record" "$(anchors_seen "$T/bad.mp")" "$want "
check "... OUT/net.cfg builds" sh -c "darknet-forward --cfg '$T/bad/net.cfg' --summary > /dev/null"

# --- --resume: the copy's anchors, not checked again ------------------------------
$TRAIN -o "$T/bad" -w "$T/bad/weights" -L "$(seen_loss "$T/res.mp")" "$T/d" "$T/bad.cfg" \
  --max-batches 2 --resume 2> "$T/res.err"; rc=$?
check_eq "--resume: exit 0, says it goes on with the copy, no check" \
  "$rc $(grep -c 'anchors fit' "$T/res.err") $(grep 'resuming' "$T/res.err")" \
  "0 0 train.sh: resuming with $T/bad/net.cfg, the anchors its run chose"
check_eq "... the loss stage saw the copy's anchors" "$(anchors_seen "$T/res.mp")" "$want "
cp "$T/bad/net.cfg" "$T/copy.cfg"
sed -i 's/^learning_rate=.*/learning_rate=0.002/' "$T/bad/net.cfg"
$TRAIN -o "$T/bad" -w "$T/bad/weights" -L "$(seen_loss "$T/res2.mp")" "$T/d" "$T/bad.cfg" \
  --max-batches 3 --resume 2> "$T/res2.err"; rc=$?
check_eq "... a copy that is not of this cfg (another key changed): not used, the cfg as given" \
  "$rc $(grep -c 'resuming\|anchors fit' "$T/res2.err") $(anchors_seen "$T/res2.mp")" "0 0 $cfgs "
cp "$T/copy.cfg" "$T/bad/net.cfg"

# --- -A off, -A BPR -----------------------------------------------------------------
$TRAIN -A off -o "$T/bad" -L "$(seen_loss "$T/off.mp")" "$T/d" "$T/bad.cfg" --max-batches 1 2> "$T/off.err"; rc=$?
check_eq "-A off: exit 0, the cfg's own anchors trained" "$rc $(anchors_seen "$T/off.mp")" "0 $cfgs "
check_eq "... the earlier run's copy removed (a --resume would take it), said" \
  "$(test -e "$T/bad/net.cfg" && echo there) $(grep -c anchor "$T/off.err") $(grep removed "$T/off.err")" \
  " 1 train.sh: removed $T/bad/net.cfg, an earlier run's cfg with other anchors (this run trains $T/bad.cfg)"
$TRAIN -A 0.01 -o "$T/low" "$T/d" "$T/bad.cfg" --max-batches 1 2> "$T/low.err"; rc=$?
check_eq "-A 0.01: the absurd anchors pass, no copy" \
  "$rc $(grep 'anchors fit' "$T/low.err") $(test -e "$T/low/net.cfg" && echo copy)" \
  "0 train.sh: anchors fit the data: best possible recall $bad_bpr >= 0.01 (kmeans-anchors --net 64,64 on split train) "
$TRAIN -A 1 -o "$T/one" "$T/d" "$T/good.cfg" --max-batches 1 2> "$T/one.err"; rc=$?
check_match "-A 1: a recall of 1 passes" "$rc $(cat "$T/one.err")" "^0 train.sh: anchors fit the data: best possible recall 1.0000 >= 1 "
for a in 0 1.5 -0.5 x ""; do
  $TRAIN -A "$a" -o "$T/x" "$T/d" "$T/bad.cfg" --max-batches 1 > "$T/x.out" 2> "$T/x.err"; rc=$?
  check_eq "-A '$a': exit 1 at once, said, nothing trained" \
    "$rc $(head -n 1 "$T/x.err") $(test -e "$T/x" && echo ran)" \
    "1 train.sh: -A: '$a' is neither off nor a best possible recall in (0, 1] "
done

# --- the user's cfg is OUT/net.cfg itself: the copy goes beside it -------------------
mkdir -p "$T/self"
cp "$T/bad.cfg" "$T/self/net.cfg"
$TRAIN -o "$T/self" "$T/d" "$T/self/net.cfg" --max-batches 1 2> "$T/self.err"; rc=$?
check_eq "CFG OUT/net.cfg: the copy is OUT/net-anchors.cfg, the cfg untouched" \
  "$rc $(grep -o 'training with .*' "$T/self.err") $(md5sum < "$T/self/net.cfg")" \
  "0 training with $T/self/net-anchors.cfg $sum_bad"

# --- [region] (grid cells) -------------------------------------------------------------
net_cfg 'batch=8\nsubdivisions=2\nlearning_rate=0.001\nmomentum=0.9\ndecay=0.0005\nmax_batches=1000\npolicy=constant' |
  sed -e '/^\[yolo\]/,$d' -e 's/filters=30/filters=50/' > "$T/region.cfg"
printf '[region]\nanchors=0.1,0.1, 0.2,0.2, 9,9, 10,10, 11,11\nbias_match=1\nclasses=5\ncoords=4\nnum=5\nsoftmax=1\njitter=0\nrescore=1\nabsolute=1\nthresh=.6\nrandom=0\n' >> "$T/region.cfg"
rnew=$(kmeans-anchors -k 5 --grid 8 "$T/recs.mp" 2>&1 > /dev/null | sed -n 's/^anchors = //p')
$TRAIN -o "$T/region" -l "--variant darknet" "$T/d" "$T/region.cfg" --max-batches 1 2> "$T/region.err"; rc=$?
check_eq "[region] with absurd anchors: in cells of its 8x8 grid, the copy trained" \
  "$rc $(grep 'anchors fit' "$T/region.err")" \
  "0 train.sh: anchors fit the data badly: best possible recall $(bpr_of "0.1,0.1, 0.2,0.2, 9,9, 10,10, 11,11" --grid 8) < 0.98; new anchors from kmeans-anchors -k 5 --grid 8: $rnew (recall $(bpr_of "$rnew" --grid 8)); training with $T/region/net.cfg"
check_eq "... its anchors line" "$(grep '^anchors' "$T/region/net.cfg")" "anchors=$rnew"

# --- what the check cannot read or do: said, the cfg trained -----------------------------
awk 'BEGIN { for (i = 1; i <= 30; i++) printf "%s%d,1", (i > 1 ? ", " : ""), i; print "" }' > "$T/a30"
sed -e "s/^anchors=.*/anchors=$(cat "$T/a30")/" -e 's/^num=3/num=30/' "$T/good.cfg" > "$T/k30.cfg"
nbox=$(records-to-json "$T/recs.mp" | grep -o '"bbox"' | wc -l)
$TRAIN -o "$T/k30" "$T/d" "$T/k30.cfg" --max-batches 1 2> "$T/k30.err"; rc=$?
check_eq "30 anchors, fewer boxes: k-means cannot; said, the cfg trained, no copy" \
  "$rc $(grep 'anchors fit' "$T/k30.err") $(test -e "$T/k30/net.cfg" && echo copy)" \
  "0 train.sh: anchors fit the data badly: best possible recall $(bpr_of "$(cat "$T/a30")" --net 64,64) < 0.98; kmeans-anchors -k 30 --net 64,64: $nbox boxes for k = 30 anchors: k-means needs at least 30: training $T/k30.cfg as it is "

sed 's/^anchors=.*/anchors=10,10, 20,20, 36,33/' "$T/good.cfg" > "$T/two.cfg"
printf '\n[route]\nlayers=-2\n\n[convolutional]\nsize=1\nstride=1\npad=1\nfilters=30\nactivation=linear\n\n[yolo]\nmask=0,1,2\nanchors=10,10, 20,20, 36,32\nclasses=5\nnum=3\n' >> "$T/two.cfg"
$TRAIN -o "$T/two" "$T/d" "$T/two.cfg" --max-batches 1 2> "$T/two.err"; rc=$?
check_eq "heads with different anchors lines: no check, said; trained as given" \
  "$rc $(grep 'anchor' "$T/two.err")" "0 train.sh: no anchor check: $T/two.cfg has heads of different types or anchors"
check_eq "no scratch folder left by any run" "$(ls "$T/tmp")" ""
done_testing
