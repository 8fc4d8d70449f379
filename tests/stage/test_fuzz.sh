# Mutated input (bytes flipped, inserted, deleted, cut) of a valid record
# stream and of its JSON: every run of the bridge stages must end with exit
# 0 or 2, and never with a crash or a sanitizer report (run under
# `make sanitize` too). darknet-forward gets mutated record streams (inputs
# of the network's size) and mutated cfg files (a network of every yolov2/v3
# layer type), a quarter of the runs each, as every run builds a network.
# A fixed seed makes a failure repeatable; a failing input is kept in
# $BUILD/test-logs/.
. tests/stage/lib.sh
"$TOOLS/gen-records" -n 3 -s 2x3 -k 2 > "$T/base.mp"
records-to-json --full "$T/base.mp" > "$T/base.jsonl"
"$TOOLS/gen-records" -n 2 -s 32x32 -k 1 > "$T/net.mp"
check "the inputs to mutate are there" test -s "$T/base.mp" -a -s "$T/base.jsonl" -a -s "$T/net.mp"
out=$(/usr/bin/python3 - "$BIN" "$T" "${FUZZ_RUNS:-200}" "$BUILD/test-logs" <<'PY'
import os, random, subprocess, sys
bindir, tmp, runs, keep = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
base = open(tmp + "/base.mp", "rb").read()
basej = open(tmp + "/base.jsonl", "rb").read()
net = open(tmp + "/net.mp", "rb").read()
cfg = open("tests/fixtures/mixed-a.cfg", "rb").read()
cfgpath = tmp + "/fuzz.cfg"
CFG_BYTES = b"0123456789-=,.[]\n#x"

def mutate(b, most, alphabet=b""):
    """1..most edits; a replaced byte is random, or from alphabet when given."""
    b = bytearray(b)
    for _ in range(random.randint(1, most)):
        op, i = random.random(), random.randrange(len(b) or 1)
        if op < 0.5 and b:
            b[i] = random.choice(alphabet + bytes([random.randrange(256)])) if alphabet \
                else random.randrange(256)
        elif op < 0.7:
            b[i:i] = bytes([random.randrange(256)])
        elif op < 0.85 and b:
            del b[i:i + random.randint(1, 8)]
        else:
            b = b[:i]
    return bytes(b)

def fwd_on_records():
    data = mutate(net, 6)
    return data, ["--cfg", "tests/fixtures/mixed-a.cfg"], data

def fwd_on_cfg():
    data = mutate(cfg, 3, CFG_BYTES)
    open(cfgpath, "wb").write(data)
    return data, ["--cfg", cfgpath], net

fwd = ["darknet-forward", "--quiet", "--random", "1"]
# (name, argv, runs, seed, make(): (the mutated bytes, more arguments, stdin))
cases = [("records-to-json", ["records-to-json"], runs, 7, lambda: (mutate(base, 6), [], None)),
         ("records-to-json --full", ["records-to-json", "--full"], runs, 8,
          lambda: (mutate(base, 6), [], None)),
         ("json-to-records", ["json-to-records"], runs, 9, lambda: (mutate(basej, 6), [], None)),
         ("darknet-forward records", fwd, runs // 4, 11, fwd_on_records),
         ("darknet-forward cfg", fwd, runs // 4, 12, fwd_on_cfg)]
for name, argv, n_runs, seed, make in cases:
    random.seed(seed)
    bad = 0
    for n in range(n_runs):
        data, more, stdin = make()
        p = subprocess.run([bindir + "/" + argv[0]] + argv[1:] + more,
                           input=data if stdin is None else stdin, capture_output=True)
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode not in (0, 2) or "Sanitizer" in err or "runtime error" in err:
            bad += 1
            os.makedirs(keep, exist_ok=True)
            open("%s/fuzz-%s-%d.in" % (keep, name.replace(" ", "_"), n), "wb").write(data)
            print("# %s: status %d: %s" % (name, p.returncode, err[:200].replace("\n", " ")))
    print("%s %s: %d runs, %d bad" % ("ok" if bad == 0 else "not ok", name, n_runs, bad))
PY
)
printf '%s\n' "$out" | grep '^#'
for c in "records-to-json" "records-to-json --full" "json-to-records" \
         "darknet-forward records" "darknet-forward cfg"; do
  line=$(printf '%s\n' "$out" | grep -E "^(ok|not ok) $c: ")
  check_match "$c: mutated inputs, each run ends with status 0 or 2, no crash (${line#* $c: })" \
    "$line" "^ok "
done
done_testing
