# Training a network in AlexeyAB's dialect (issue 18, point 4), the short
# path: a micro yolov4-tiny written here (his batch norm, a CSP block of
# route groups, mish and swish, an SPP pool, maxpool_depth, a [yolo] head
# with scale_x_y, iou_loss=ciou and iou_normalizer) overfits one fixed
# batch of 4 synth-voc images through
#   encode-targets | darknet-forward --train | yolo-loss > FIFO
# and yolo-loss follows the head's keys (the CIoU term is in `xy`, `wh` 0).
# The gradients themselves are checked in tests/unit (test_backward's ab-*
# fixtures, test_loss's finite differences) and test_yolo_loss.sh.
. tests/stage/lib.sh
PY=/usr/bin/python3
TO=120
export OMP_NUM_THREADS=1
mkfifo "$T/g"

# $1: the head's loss keys, one per line
v4_cfg() {
  printf '[net]\nwidth=64\nheight=64\nchannels=3\nbatch=4\nsubdivisions=1\nlearning_rate=0.01\n'
  printf 'momentum=0.9\ndecay=0\nmax_batches=60\npolicy=constant\nmosaic=0\n'
  conv() { printf '\n[convolutional]\nbatch_normalize=1\nfilters=%s\nsize=%s\nstride=%s\npad=1\nactivation=%s\n' "$@"; }
  conv 16 3 2 leaky                                          # 0: 32x32
  printf '\n[route]\nlayers=-1\ngroups=2\ngroup_id=1\n'      # 1: 8 channels
  conv 8 3 1 mish                                            # 2
  conv 8 3 1 swish                                           # 3
  printf '\n[route]\nlayers=-1,-2\n'                         # 4: 16
  printf '\n[route]\nlayers=-5,-1\n'                         # 5: 32
  printf '\n[maxpool]\nsize=2\nstride=2\n'                   # 6: 16x16
  conv 32 3 1 leaky                                          # 7
  printf '\n[maxpool]\nsize=3\nstride=1\n'                   # 8: SPP
  printf '\n[route]\nlayers=-1,-2\n'                         # 9: 64
  printf '\n[maxpool]\nmaxpool_depth=1\nout_channels=32\n'   # 10
  printf '\n[maxpool]\nsize=2\nstride=2\n'                   # 11: 8x8
  conv 32 3 1 hard_mish                                      # 12
  printf '\n[convolutional]\nsize=1\nstride=1\npad=1\nfilters=30\nactivation=linear\n'
  printf '\n[yolo]\nmask=0,1,2\nanchors=10,10, 20,20, 36,32\nclasses=5\nnum=3\njitter=0\n'
  printf 'ignore_thresh=.7\nscale_x_y=1.05\n%b\n' "$1"
}

synth-voc --quiet --out "$T/d" --count 4 --size 64x64 --seed 5 --max-objects 2 \
  --min-size 0.2 --split-ratios 1,0,0
voc-parse --quiet --classes "$T/d/classes.names" "$T/d" > "$T/four.mp"

# overfit HEAD-KEYS [darknet-forward options]: prints "steps first last last/first"
overfit() {
  v4_cfg "$1" > "$T/v4.cfg"; shift
  rm -f "$T/v4.jsonl"
  encode-targets --quiet --cfg "$T/v4.cfg" --no-augment --epochs 60 "$T/four.mp" |
    { timeout $TO darknet-forward --quiet --cfg "$T/v4.cfg" --random 1 --train --grad "$T/g" \
        --log "$T/v4.jsonl" "$@" 2> "$T/err"; echo $? > "$T/rc3"; } |
    { timeout $TO yolo-loss --quiet > "$T/g"; echo $? > "$T/rc4"; }
  jq -r '.loss.total' "$T/v4.jsonl" | awk 'NR == 1 { f = $1 } { l = $1 } END { printf "%d %.4g %.4g %.4f", NR, f, l, l / f }'
}

r=$(overfit 'iou_loss=ciou\niou_normalizer=0.5' --adam)
echo "# CIoU, Adam lr .01, 60 steps: steps, first loss, last loss, last/first = $r"
check_eq "AlexeyAB's dialect trains: darknet-forward --train and yolo-loss exit 0, quiet" \
  "$(cat "$T/rc3" "$T/rc4" | tr '\n' ' ')$(cat "$T/err")" "0 0 "
check_match "one batch of 4, CIoU box loss: 60 steps, the loss falls below 10% of the first step's" \
  "$r" '^60 .* 0\.0[0-9]*$'
check_match "... the boxes are found (avg_iou > .7) and the box term is CIoU's (xy > 0, wh 0)" \
  "$(tail -1 "$T/v4.jsonl" | jq -c '[.loss.avg_iou > 0.7, .loss.xy > 0, .loss.wh]')" '^\[true,true,0(\.0)?\]$'
r=$(overfit '')
echo "# darknet's mse box loss with scale_x_y, SGD lr .01, 60 steps: $r"
check_match "the same with darknet's box loss (mse, scale_x_y) and SGD: below 10%" \
  "$r" '^60 .* 0\.0[0-9]*$'

done_testing
