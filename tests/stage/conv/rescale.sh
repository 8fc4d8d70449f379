# rescale decodes the committed libdarknet fixture (58 entries over 0.3);
# `big` is the v3 fixture 40 times over (3000+ entries, far more than `head`
# reads).
small="--quiet --thresh 0.3 tests/fixtures/boxes-v2-dog.mp"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40; do
  cat tests/fixtures/boxes-v3-dog.mp
done > "$T/rescale-big.mp"
big="--quiet --thresh 0.38 $T/rescale-big.mp"
