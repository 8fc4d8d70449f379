# darknet-forward --train --ema and the learning-rate policies from the
# command line (issue 21, point 2):
#   1. the moving average of the weights against numpy's, step by step: a
#      validation command that keeps each step's checkpoint and .ema file,
#      and the average made again from the initial weights and the
#      checkpoints: the same bits; the .state's copy, the header, what is
#      validated (CHECKPOINT.ema) and kept as --best (the best step's EMA);
#      training itself unchanged by --ema;
#   2. stopped and resumed: the same weights.ema; resumes across --ema and
#      not, said;
#   3. --policy cosine / onecycle, --lrf, --burn-in reach the log's lr;
#   4. bad options and cfg values: status and message.
# The micro network of the training tests, 64x64, batch 4 in 2 passes.
. tests/stage/lib.sh
TO=120
PY=/usr/bin/python3
export OMP_NUM_THREADS=1
TRAIN="timeout $TO bash pipelines/train.sh"
. tests/stage/train/micro-net.sh
net_cfg 'batch=4\nsubdivisions=2\nlearning_rate=0.01\nmomentum=0.9\ndecay=0.0005\nburn_in=2\nmax_batches=12\npolicy=steps\nsteps=8\nscales=.1' \
  > "$T/net.cfg"
synth-voc --quiet --out "$T/d" --count 16 --size 64x64 --seed 5 --max-objects 2 \
  --min-size 0.2 --split-ratios 0.75,0.25,0
darknet-forward --quiet --cfg "$T/net.cfg" --random 1 --save-weights "$T/w0" < /dev/null

# --- 1. the average, step by step, against numpy's ---------------------------
# the validation command: keeps the file it is given (.ema) and the
# checkpoint beside it as step N's, and reports an mAP that is best at step 5
mkdir "$T/snap"
cat > "$T/snap.sh" << EOF
n=\$(( \$(cat "$T/snap/n" 2> /dev/null || echo 0) + 1 ))
echo \$n > "$T/snap/n"
echo "\$1" > "$T/snap/path"
cp "\$1" "$T/snap/ema.\$n" && cp "\${1%.ema}" "$T/snap/w.\$n" || exit 1
[ \$n -eq 5 ] && echo '{"map": 0.5}' || echo '{"map": 0.1}'
EOF
$TRAIN -o "$T/A" "$T/d" "$T/net.cfg" --ema .9 --ema-tau 4 --val-cmd "sh $T/snap.sh" \
  --val-every 1 --best "$T/A/best.weights" 2> "$T/A.err"
check_eq "--ema .9 --ema-tau 4, validated every step: exit 0, 12 validations" \
  "$? $(cat "$T/snap/n")" "0 12"
check_eq "... the validation command is given CHECKPOINT.ema" "$(cat "$T/snap/path")" "$T/A/weights.ema"
check_match "... and the messages say the EMA weights were validated" "$(cat "$T/A.err")" \
  "step 5: validation of the EMA weights mAP 0.5000.*\(best so far\)"
# avg_0 = w0; avg_k = f32(d_k) avg_{k-1} + f32(1 - d_k) w_k, d_k = .9 (1 - exp(-k / 4)),
# in float32; the header (seen) is the checkpoint's
ref=$($PY - "$T" << 'EOF'
import math, sys
import numpy as np
t = sys.argv[1]
rd = lambda p: open(p, 'rb').read()
avg = np.frombuffer(rd(t + '/w0'), dtype='<f4', offset=20).copy()
same, moved = 0, 0
for k in range(1, 13):
    w, e = rd('%s/snap/w.%d' % (t, k)), rd('%s/snap/ema.%d' % (t, k))
    d = 0.9 * (1 - math.exp(-k / 4))
    avg = np.float32(d) * avg + np.float32(1 - d) * np.frombuffer(w, dtype='<f4', offset=20)
    same += e[:20] == w[:20] and e[20:] == avg.astype('<f4').tobytes()
    moved += e[20:] != w[20:]
print(same, moved)
EOF
)
check_eq "... each step's .ema is numpy's float32 average of w0 and the checkpoints (bit for bit, header included), and not the weights: 12 and 12 steps" \
  "$ref" "12 12"
check "... --best holds the EMA of the best validation (step 5)" cmp -s "$T/A/best.weights" "$T/snap/ema.5"
check "... weights.ema is the last step's" cmp -s "$T/A/weights.ema" "$T/snap/ema.12"
state=$($PY - "$T/A" << 'EOF'
import sys, msgpack
d = sys.argv[1]
s = msgpack.unpackb(open(d + '/weights.state', 'rb').read(), raw=False)
same = s['ema']['data'] == open(d + '/weights.ema', 'rb').read()[20:]
print(s['ema_updates'], s['ema_decay'], s['ema_tau'], same)
EOF
)
check_eq "... the .state keeps the average (the .ema file's floats), its updates, decay and tau" \
  "$state" "12 0.9 4.0 True"
check "... darknet-forward -w weights.ema runs" sh -c \
  "image-list $T/d/JPEGImages | head -2 | darknet-forward -q --cfg $T/net.cfg --weights $T/A/weights.ema > /dev/null"
$TRAIN -o "$T/B" "$T/d" "$T/net.cfg" 2> /dev/null
check "... training itself is unchanged by --ema: the weights of the same run without it" \
  cmp -s "$T/A/weights" "$T/B/weights"
check_eq "... and without --ema no .ema is written, no EMA kept in the .state" \
  "$([ -e "$T/B/weights.ema" ] && echo ema) $(records-to-json -q "$T/B/weights.state" | jq -c 'has("ema")')" \
  " false"

# --- 2. stopped and resumed --------------------------------------------------
$TRAIN -o "$T/C" "$T/d" "$T/net.cfg" --ema .9 --ema-tau 4 --max-batches 5 2> /dev/null
$TRAIN -o "$T/C" -w "$T/C/weights" "$T/d" "$T/net.cfg" --ema .9 --ema-tau 4 --resume \
  2> "$T/C.err"
check_eq "stopped at step 5 and resumed with --ema: exit 0, the weights and weights.ema of the run never stopped" \
  "$? $(cmp -s "$T/A/weights" "$T/C/weights" && echo SAME) $(cmp -s "$T/A/weights.ema" "$T/C/weights.ema" && echo SAME)" \
  "0 SAME SAME"
$TRAIN -o "$T/E" "$T/d" "$T/net.cfg" --max-batches 5 2> /dev/null
$TRAIN -o "$T/E" -w "$T/E/weights" "$T/d" "$T/net.cfg" --ema .9 --resume 2> "$T/E.err"
check_match "a run without --ema resumed with it: exit 0, says the average starts there" \
  "$? $(tr '\n' ' ' < "$T/E.err")" \
  "^0 .*E/weights: no EMA of the weights to go on from \(the run had no --ema\): the average starts here"
check_eq "... and its EMA counts the resumed run's steps" \
  "$(records-to-json -q "$T/E/weights.state" | jq -c '[.ema_updates, .step]')" "[7,12]"
$TRAIN -o "$T/F" "$T/d" "$T/net.cfg" --ema .9 --max-batches 5 2> /dev/null
$TRAIN -o "$T/F" -w "$T/F/weights" "$T/d" "$T/net.cfg" --resume 2> "$T/F.err"
check_match "a run with --ema resumed without it: exit 0, says the average is not kept" \
  "$? $(tr '\n' ' ' < "$T/F.err")" "^0 .*F/weights: its .state has an EMA of the weights; without --ema it is not kept"
check_eq "... no EMA in the new .state" "$(records-to-json -q "$T/F/weights.state" | jq -c 'has("ema")')" false
$TRAIN -o "$T/G" "$T/d" "$T/net.cfg" --ema .9 --max-batches 5 2> /dev/null
$TRAIN -o "$T/G" -w "$T/G/weights" "$T/d" "$T/net.cfg" --ema .99 --resume 2> "$T/G.err"
check_match "resumed with another decay: says both settings" "$? $(tr '\n' ' ' < "$T/G.err")" \
  "^0 .*the EMA goes on with decay 0.99, tau 2000 \(it was made with decay 0.9, tau 2000\)"

# --- 3. the schedule from the command line -------------------------------------
# the log's lr at step k is the policy's rate of iteration k (burn_in 0)
lr_check() {   # $1 run, $2 python expression of k (m = max_batches, lr = .01)
  $PY - "$1/log.jsonl" "$2" << 'EOF'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
m, lr, c = len(rows), 0.01, lambda a, b, f: b + (a - b) * (1 + math.cos(math.pi * f)) / 2
bad = [r['iteration'] for r in rows
       if abs(r['lr'] - eval(sys.argv[2], {'k': r['iteration'], 'm': m, 'lr': lr, 'c': c}))
       > 1e-6 * r['lr'] + 1e-12]
print(m, 'ok' if not bad else 'steps %s differ' % bad)
EOF
}
$TRAIN -o "$T/P" "$T/d" "$T/net.cfg" --policy cosine --lrf .1 --burn-in 0 --max-batches 10 2> "$T/P.err"
check_eq "--policy cosine --lrf .1 --burn-in 0 on a steps cfg: exit 0, the log's lr is C(lr, lr/10, k/10)" \
  "$? $(lr_check "$T/P" 'c(lr, lr * .1, k / m)')" "0 10 ok"
$TRAIN -o "$T/Q" "$T/d" "$T/net.cfg" --policy onecycle --burn-in 0 --max-batches 10 2> /dev/null
check_eq "--policy onecycle (pct_start .3, div_factor 25, lrf .01): up to lr at step 3, down to lr/100" \
  "$? $(lr_check "$T/Q" 'c(lr / 25, lr, k / 3) if k <= 3 else c(lr, lr * .01, (k - 3) / 7)')" "0 10 ok"

# --- 4. bad options and cfg values ---------------------------------------------
df() { darknet-forward --cfg "$T/net.cfg" --random 1 "$@" < /dev/null 2>&1 > /dev/null; }
out=$(df --ema .9); check_match "--ema without --train: status 1" "$? $out" "^1 .*go with --train"
out=$(df --train --grad "$T/nofifo" --checkpoint "$T/x" --ema 1)
check_match "--ema 1: status 1, the range said" "$? $out" "^1 .*--ema: the decay is above 0 and below 1"
out=$(df --train --grad "$T/nofifo" --checkpoint "$T/x" --ema 0)
check_match "--ema 0: status 1" "$? $out" "^1 .*--ema: the decay is above 0"
out=$(df --train --grad "$T/nofifo" --ema .9)
check_match "--ema without --checkpoint: status 1" "$? $out" "^1 .*--ema keeps the average beside the checkpoint"
out=$(df --train --grad "$T/nofifo" --checkpoint "$T/x" --ema-tau 10)
check_match "--ema-tau without --ema: status 1" "$? $out" "^1 .*--ema-tau goes with --ema"
out=$(df --train --grad "$T/nofifo" --policy cosinus)
check_match "--policy cosinus: status 1, the names listed" "$? $out" \
  "^1 .*--policy: unknown policy 'cosinus' \(constant, step, steps, exp, poly, sigmoid, sgdr, cosine, onecycle\)"
out=$(df --train --grad "$T/nofifo" --lrf .1)
check_match "--lrf with the cfg's policy=steps: status 1" "$? $out" \
  "^1 .*--lrf goes with policy cosine or onecycle \(this run's is steps\)"
out=$(df --train --grad "$T/nofifo" --lrf 2)
check_match "--lrf 2: status 1" "$? $out" "^1 .*lrf"
sed 's/^max_batches=12$//; s/^policy=steps$/policy=cosine/' "$T/net.cfg" > "$T/cos.cfg"
out=$(darknet-forward --cfg "$T/cos.cfg" --random 1 --train --grad "$T/nofifo" < /dev/null 2>&1 > /dev/null)
check_match "policy=cosine without max_batches: status 2, file and line named" "$? $out" \
  "^2 .*cos.cfg:[0-9]+: \[net\] policy: policy=cosine needs max_batches > 0 \(or --max-batches\)"
sed 's/^policy=steps$/policy=onecycle\npct_start=1.5/' "$T/net.cfg" > "$T/one.cfg"
out=$(darknet-forward --cfg "$T/one.cfg" --random 1 --train --grad "$T/nofifo" < /dev/null 2>&1 > /dev/null)
check_match "pct_start=1.5: status 2, file, line and range named" "$? $out" \
  "^2 .*one.cfg:[0-9]+: \[net\] pct_start: '1.5' is not a number in \[0, 1\]"
sed 's/^policy=steps$/policy=cosine\nlfr=.1/' "$T/net.cfg" > "$T/typo.cfg"
out=$(darknet-forward --cfg "$T/typo.cfg" --random 1 --train --grad "$T/nofifo" < /dev/null 2>&1 > /dev/null)
check_match "a typo'd key (lfr): status 2, the likely key named" "$? $out" \
  "^2 .*typo.cfg:[0-9]+: \[net\] has no key 'lfr' \(did you mean 'lrf'\?\)"
done_testing
