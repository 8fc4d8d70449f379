# darknet-forward runs a small network (tests/fixtures/mixed-a.cfg, 32x32,
# seeded random weights) on records carrying a 32x32 input; --quiet leaves
# out the unused-key note and the timing line so stderr stays empty.
"$GEN" -n 2 -s 32x32 > "$T/df-small.mp"
"$GEN" -n 40 -s 32x32 > "$T/df-big.mp"
small="--quiet --cfg tests/fixtures/mixed-a.cfg --random 1 $T/df-small.mp"
big="--quiet --cfg tests/fixtures/mixed-a.cfg --random 1 $T/df-big.mp"
# it needs --cfg before it looks at its inputs: test_darknet_forward.sh
# checks a missing input file with the options given
no_missing_file=1
