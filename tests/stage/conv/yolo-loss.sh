# yolo-loss reads head outputs with targets: the v2 fixture of tests/loss
# (3 records, about 4 KB of output each), once and 20 times over.
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  cat tests/loss/v2-seed.mp
done > "$T/loss-big.mp"
small="--quiet tests/loss/v2-seed.mp"
big="--quiet $T/loss-big.mp"
