# Mutated input (bytes flipped, inserted, deleted, cut) of a valid record
# stream and of its JSON: every run of the bridge stages must end with exit
# 0 or 2, and never with a crash or a sanitizer report (run under
# `make sanitize` too). A fixed seed makes a failure repeatable; a failing
# input is kept in $BUILD/test-logs/.
. tests/stage/lib.sh
"$TOOLS/gen-records" -n 3 -s 2x3 -k 2 > "$T/base.mp"
records-to-json --full "$T/base.mp" > "$T/base.jsonl"
check "the inputs to mutate are there" test -s "$T/base.mp" -a -s "$T/base.jsonl"
out=$(/usr/bin/python3 - "$BIN" "$T" "${FUZZ_RUNS:-200}" "$BUILD/test-logs" <<'PY'
import os, random, subprocess, sys
bindir, tmp, runs, keep = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
random.seed(7)
base = open(tmp + "/base.mp", "rb").read()
basej = open(tmp + "/base.jsonl", "rb").read()

def mutate(b):
    b = bytearray(b)
    for _ in range(random.randint(1, 6)):
        op, i = random.random(), random.randrange(len(b) or 1)
        if op < 0.5 and b:
            b[i] = random.randrange(256)
        elif op < 0.7:
            b[i:i] = bytes([random.randrange(256)])
        elif op < 0.85 and b:
            del b[i:i + random.randint(1, 8)]
        else:
            b = b[:i]
    return bytes(b)

cases = [(["records-to-json"], base), (["records-to-json", "--full"], base),
         (["json-to-records"], basej)]
for argv, src in cases:
    bad = 0
    for n in range(runs):
        data = mutate(src)
        p = subprocess.run([bindir + "/" + argv[0]] + argv[1:], input=data, capture_output=True)
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode not in (0, 2) or "Sanitizer" in err or "runtime error" in err:
            bad += 1
            os.makedirs(keep, exist_ok=True)
            open("%s/fuzz-%s-%d.in" % (keep, argv[0], n), "wb").write(data)
            print("# %s: status %d: %s" % (" ".join(argv), p.returncode, err[:200].replace("\n", " ")))
    print("%s %s %d" % ("ok" if bad == 0 else "not ok", " ".join(argv), bad))
PY
)
printf '%s\n' "$out" | grep '^#'
for c in "records-to-json" "records-to-json --full" "json-to-records"; do
  line=$(printf '%s\n' "$out" | grep -E "^(ok|not ok) $c [0-9]+$")
  check_match "$c: ${FUZZ_RUNS:-200} mutated inputs, each ends with status 0 or 2, no crash" "$line" "^ok "
done

# darknet-forward: mutated record streams (inputs of the network's size) and
# mutated cfg files (a network of every yolov2/v3 layer type); a quarter of
# the runs each, as every run builds a network.
"$TOOLS/gen-records" -n 2 -s 32x32 -k 1 > "$T/net.mp"
out=$(/usr/bin/python3 - "$BIN" "$T" "$(( ${FUZZ_RUNS:-200} / 4 ))" "$BUILD/test-logs" <<'PY'
import os, random, subprocess, sys
bindir, tmp, runs, keep = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
random.seed(11)
recs = open(tmp + "/net.mp", "rb").read()
cfg = open("tests/fixtures/mixed-a.cfg", "rb").read()

def mutate(b, n):
    b = bytearray(b)
    for _ in range(random.randint(1, n)):
        op, i = random.random(), random.randrange(len(b) or 1)
        if op < 0.5 and b:
            b[i] = random.choice(b"0123456789-=,.[]\n#x" + bytes([random.randrange(256)]))
        elif op < 0.7:
            b[i:i] = bytes([random.randrange(256)])
        elif op < 0.85 and b:
            del b[i:i + random.randint(1, 8)]
        else:
            b = b[:i]
    return bytes(b)

fwd = [bindir + "/darknet-forward", "--quiet", "--random", "1"]
for name in ("records", "cfg"):
    bad = 0
    for n in range(runs):
        if name == "records":
            data, cfgpath, stdin = mutate(recs, 6), "tests/fixtures/mixed-a.cfg", None
            stdin = data
        else:
            data = mutate(cfg, 3)
            cfgpath = tmp + "/fuzz.cfg"
            open(cfgpath, "wb").write(data)
            stdin = recs
        p = subprocess.run(fwd + ["--cfg", cfgpath], input=stdin, capture_output=True)
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode not in (0, 2) or "Sanitizer" in err or "runtime error" in err:
            bad += 1
            os.makedirs(keep, exist_ok=True)
            open("%s/fuzz-darknet-forward-%s-%d.in" % (keep, name, n), "wb").write(data)
            print("# darknet-forward %s: status %d: %s" % (name, p.returncode, err[:200].replace("\n", " ")))
    print("%s darknet-forward %s %d" % ("ok" if bad == 0 else "not ok", name, bad))
PY
)
printf '%s\n' "$out" | grep '^#'
for c in records cfg; do
  line=$(printf '%s\n' "$out" | grep -E "^(ok|not ok) darknet-forward $c [0-9]+$")
  check_match "darknet-forward, mutated $c: each run ends with status 0 or 2, no crash" "$line" "^ok "
done
done_testing
