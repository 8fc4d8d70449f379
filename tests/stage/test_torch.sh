# tests/torch/dn_torch.py (a darknet cfg as a PyTorch module, used by
# bench/forward.sh) against libdarknet's fixtures, and darknet-forward
# against it. Needs Debian's python3-torch, which `make test` does not
# install (CI runs without it; the libdarknet fixtures are the reference
# there): without it its three checks are reported as skipped.
. tests/stage/lib.sh
PY=/usr/bin/python3
if ! "$PY" -c 'import torch' 2>/dev/null; then
  why="python3-torch is not installed (apt-get install python3-torch)"
  skip "tests/torch/test_dn_torch.py" "$why"
  skip "darknet-forward agrees with dn_torch on mixed-a, batch 2" "$why"
  skip "darknet-forward agrees with dn_torch on mixed-b" "$why"
  done_testing; exit $?
fi
"$PY" tests/torch/test_dn_torch.py > "$T/dn.out" 2>&1; rc=$?
check_eq "tests/torch/test_dn_torch.py: $(tail -1 "$T/dn.out")" "$rc" 0
[ "$rc" = 0 ] || grep -v '^ok' "$T/dn.out" | sed 's/^/#   /'
# its checks that could not run here, each a skipped check of ours
grep '^skip - .* # SKIP$' "$T/dn.out" | sed 's/^skip - //; s/ # SKIP$//' > "$T/dn.skips"
while IFS= read -r what; do skip "tests/torch/test_dn_torch.py: $what" "cannot run here"; done < "$T/dn.skips"
"$PY" tests/torch/check_forward.py --cfg tests/fixtures/mixed-a.cfg --random 3 --images 3 \
  --batch 2 --forward "$BIN/darknet-forward" > "$T/cf.out" 2>&1; rc=$?
check_eq "darknet-forward agrees with dn_torch on mixed-a, batch 2: $(tail -1 "$T/cf.out")" "$rc" 0
"$PY" tests/torch/check_forward.py --cfg tests/fixtures/mixed-b.cfg --random 4 --images 2 \
  --forward "$BIN/darknet-forward" > "$T/cf.out" 2>&1; rc=$?
check_eq "darknet-forward agrees with dn_torch on mixed-b: $(tail -1 "$T/cf.out")" "$rc" 0
done_testing
