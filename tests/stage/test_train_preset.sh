# pipelines/train.sh -p small (issue 21, point 3): the small-dataset recipe's
# options reach the stages. encode-targets and yolo-loss are wrapped here so
# that each writes the options it was given to a file: -p small gives
# encode-targets --mosaic 1 --affine, yolo-loss --label-smoothing .01 before
# -l's options, darknet-forward --ema .9999 --ema-tau 200 before the options
# after the cfg (a later --ema-tau wins: the .state says which). AUGMENT set
# by the user wins over the preset's, said so. An unknown preset: exit 1.
# The template `small` through make-cfg.sh keeps its cosine policy when
# -t sizes the schedule. The micro net of test_train.sh, two steps a run.
. tests/stage/lib.sh
TO=120
export OMP_NUM_THREADS=1
TRAIN="timeout $TO bash pipelines/train.sh"
mkdir "$T/tmp" "$T/bin"
export TMPDIR="$T/tmp"
. tests/stage/train/micro-net.sh

synth-voc --quiet --out "$T/d" --count 16 --size 64x64 --seed 5 --max-objects 2 \
  --min-size 0.2 --split-ratios 1,0,0
net_cfg 'batch=8\nsubdivisions=2\nlearning_rate=0.001\nmomentum=0.9\ndecay=0.0005\nmax_batches=1000\npolicy=constant' > "$T/net.cfg"
# the stages, two of them wrapped: their options go to $T/args.NAME
for s in "$BIN"/*; do ln -s "$s" "$T/bin/"; done
for s in encode-targets yolo-loss; do
  rm "$T/bin/$s"
  printf '#!/bin/sh\necho "$*" > "%s/args.%s"\nexec "%s/%s" "$@"\n' "$T" "$s" "$BIN" "$s" > "$T/bin/$s"
  chmod +x "$T/bin/$s"
done
state_of() { records-to-json "$1" | jq -c "$2"; }

# --- the preset's options reach the stages -----------------------------------------
BIN="$T/bin" $TRAIN -p small -A off -o "$T/p" -l "--lambda-class 2" "$T/d" "$T/net.cfg" \
  --max-batches 2 2> "$T/p.err"
rc=$?
check_eq "-p small: exit 0, the expansion said" \
  "$rc $(grep -c '^train.sh: preset small: encode-targets --shuffle --mosaic 1 --affine --affine-scale .5 --affine-translate .1; yolo-loss --label-smoothing .01 --lambda-class 2; darknet-forward --ema .9999 --ema-tau 200 (before the options given)$' "$T/p.err")" \
  "0 1"
check_match "... encode-targets got the mosaic and the affine map" "$(cat "$T/args.encode-targets")" \
  " --shuffle --mosaic 1 --affine --affine-scale .5 --affine-translate .1( |$)"
check_match "... yolo-loss got label smoothing, then -l's options" "$(cat "$T/args.yolo-loss")" \
  "--label-smoothing .01 --lambda-class 2( |$)"
check_eq "... darknet-forward kept the moving average: weights.ema, decay .9999, tau 200, 2 updates" \
  "$(test -s "$T/p/weights.ema" && echo ema) $(state_of "$T/p/weights.state" '[.ema_decay, .ema_tau, .ema_updates]')" \
  "ema [0.9999,200,2]"

# --- a later option wins; AUGMENT wins ------------------------------------------
AUGMENT="--shuffle --no-flip" BIN="$T/bin" $TRAIN -p small -A off -o "$T/q" "$T/d" "$T/net.cfg" \
  --max-batches 2 --ema-tau 400 2> "$T/q.err"
rc=$?
check_eq "--ema-tau 400 after -p small: the .state's tau is 400 (exit $rc)" \
  "$(state_of "$T/q/weights.state" .ema_tau)" "400"
check_eq "AUGMENT set: encode-targets gets it, not the preset's, and train.sh says so" \
  "$(sed 's/.* --seed 1 //' "$T/args.encode-targets") $(grep -c "AUGMENT is set, so encode-targets gets it (--shuffle --no-flip), not the preset's mosaic and affine" "$T/q.err")" \
  "--shuffle --no-flip 1"

# --- a preset that does not exist ---------------------------------------------------
BIN="$T/bin" $TRAIN -p large -o "$T/r" "$T/d" "$T/net.cfg" > "$T/out" 2> "$T/err"
check_eq "-p large: exit 1, why, nothing trained" \
  "$? $(cat "$T/err")$(test -e "$T/r/weights" && echo ' and weights')" \
  "1 train.sh: -p 'large': no such preset (small)"

# --- the template small: a cosine schedule over the minutes given ------------------
bash pipelines/make-cfg.sh -q -n "$T/d/classes.names" -s train --minutes 10 --seconds-per-step 2 \
  -o "$T/small.cfg" small "$T/d" 2> "$T/mc.err"
check_eq "make-cfg.sh --minutes 10 on the template small: exit 0, max_batches 300, policy cosine kept, no steps=, burn_in 30" \
  "$? $(grep -E '^(max_batches|policy|steps|burn_in|lrf)=' "$T/small.cfg" | tr '\n' ' ')" \
  "0 burn_in=30 max_batches=300 policy=cosine lrf=.01 "
check_eq "... darknet-forward reads it: two heads, 3 x (5 + 5) filters each" \
  "$(darknet-forward -c "$T/small.cfg" --summary | awk '$2 == "yolo" { n++ } END { print n }') $(grep -c '^filters=30$' "$T/small.cfg")" \
  "2 2"
bash pipelines/make-cfg.sh -q -n "$T/d/classes.names" -s train --minutes 10 --seconds-per-step 2 \
  -o "$T/v3.cfg" tiny-v3 "$T/d" 2> /dev/null
check_eq "... and tiny-v3 (policy steps) still gets steps at 80% and 90%" \
  "$(grep -E '^(policy|steps)=' "$T/v3.cfg" | tr '\n' ' ')" "policy=steps steps=240,270 "
done_testing
