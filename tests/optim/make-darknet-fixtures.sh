#!/bin/sh
# Makes tests/optim/darknet.fix with Debian's libdarknet (apt-get install
# darknet: /usr/lib/darknet, pjreddie/darknet's src/ of 2018-09-14):
# get_current_rate of several [net] sections at chosen iterations, and the
# parameters after three update_network calls (SGD with momentum and decay,
# batch=4 subdivisions=2, burn_in then steps) on the network of
# test_optim.c from a seeded stream (see darknet-optim.c).
# Format: "net BODY" ([net] keys, ';' for newlines), then "rate IT RATE"
# lines for it; "sgd BODY", then one "param V" line per parameter.
# Run from the repository root: sh tests/optim/make-darknet-fixtures.sh
set -eu
out=tests/optim/darknet.fix
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -std=gnu11 -I/usr/lib/darknet/include tests/optim/darknet-optim.c -o "$tmp/dn" \
  -L/usr/lib/darknet -ldarknet -Wl,-rpath,/usr/lib/darknet -lm
its="0 1 2 50 99 100 101 999 1000 1001 19999 20000 30000 399999 400000 450000 799999"
layers='[convolutional];batch_normalize=1;filters=3;size=3;stride=1;pad=1;activation=leaky;'\
'[local];filters=1;size=1;stride=1;pad=0;activation=linear;'\
'[connected];batch_normalize=1;output=5;activation=linear'
: >"$tmp/fix"
for body in \
  'learning_rate=.01' \
  'burn_in=100;power=4' \
  'learning_rate=.1;policy=step;step=100;scale=.5' \
  'learning_rate=.001;burn_in=1000;policy=steps;steps=400000,450000;scales=.1,.1' \
  'learning_rate=.001;policy=steps;steps=-1,100,20000,30000;scales=.1,10,.1,.1' \
  'learning_rate=.01;policy=exp;gamma=.99' \
  'learning_rate=.1;burn_in=1000;policy=poly;power=4;max_batches=800000' \
  'learning_rate=.1;policy=sigmoid;gamma=.01;step=1000'; do
  printf '[net];batch=1;width=4;height=4;channels=2;%s;[maxpool];size=2;stride=2\n' "$body" |
    tr ';' '\n' >"$tmp/r.cfg"
  echo "net $body" >>"$tmp/fix"
  # shellcheck disable=SC2086
  "$tmp/dn" rate "$tmp/r.cfg" $its >>"$tmp/fix" 2>/dev/null
done
body='batch=4;subdivisions=2;learning_rate=.05;momentum=.9;decay=.01;burn_in=2;power=2;policy=steps;steps=3;scales=.5'
printf '[net];width=4;height=4;channels=2;%s;%s\n' "$body" "$layers" | tr ';' '\n' >"$tmp/s.cfg"
echo "sgd $body" >>"$tmp/fix"
"$tmp/dn" sgd "$tmp/s.cfg" >>"$tmp/fix" 2>/dev/null
mv "$tmp/fix" "$out"
echo "wrote $out ($(grep -c '^rate' "$out") rates, $(grep -c '^param' "$out") parameters)"
