// The onnxruntime column of bench/forward.sh, part two: times one ONNX model
// (made by bench/forward/export_onnx.py, dynamic batch axis) with
// onnxruntime-node on the CPU.
//
//   node bench/forward/ort_bench.js MODEL.onnx [--batch 1,8] [--runs N]
//        [--warmup N] [--threads N] [--check PREFIX] [--ort DIR]
//
// Session: executionProviders ['cpu'], intraOpNumThreads = --threads
// (default 2), interOpNumThreads 1, graphOptimizationLevel 'all'. Input:
// [B, 3, H, W] (H, W from the model) uniform in [0, 1), seeded (mulberry32,
// seed 1), made once per batch size; --warmup (default 2) untimed runs, then
// --runs (default 10) timed ones of session.run. Prints one line per batch
// size: "onnxruntime <model> batch <B> median <ms> best <ms> runs <n>", ms
// per image (a run's time / B).
//
// --check PREFIX: first runs PREFIX.bin's input (export_onnx.py --ref) and
// prints "check ... max |ort - torch| / max |torch| <x> (<= 1e-4: ok|FAIL)",
// over every head. The package is looked for in --ort DIR (default
// build/bench-ort of this repository, or $ORT_DIR), as installed by
// `npm install --ignore-scripts --prefix DIR onnxruntime-node@1.30.0`.
'use strict';
const fs = require('fs');
const path = require('path');

function usage(msg) {
  process.stderr.write(`ort_bench.js: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const a = {batch: [1, 8], runs: 10, warmup: 2, threads: 2, check: null,
             ort: process.env.ORT_DIR || path.join(__dirname, '..', '..', 'build', 'bench-ort')};
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => (i + 1 < argv.length ? argv[++i] : usage(`${k} needs a value`));
    if (k === '--batch') a.batch = v().split(',').map(Number);
    else if (k === '--runs') a.runs = Number(v());
    else if (k === '--warmup') a.warmup = Number(v());
    else if (k === '--threads') a.threads = Number(v());
    else if (k === '--check') a.check = v();
    else if (k === '--ort') a.ort = v();
    else if (k.startsWith('--')) usage(`unknown option ${k}`);
    else rest.push(k);
  }
  if (rest.length !== 1) usage('one MODEL.onnx expected');
  for (const n of [...a.batch, a.runs, a.threads])
    if (!Number.isInteger(n) || n < 1) usage('--batch, --runs, --threads: positive integers');
  if (!Number.isInteger(a.warmup) || a.warmup < 0) usage('--warmup: a count');
  a.model = rest[0];
  return a;
}

// mulberry32: a small seeded generator, floats in [0, 1)
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function median(v) {
  const s = [...v].sort((x, y) => x - y), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function readFloats(buf, at, n) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(4 * (at + i));
  return out;
}

async function check(ort, session, prefix) {
  const meta = JSON.parse(fs.readFileSync(prefix + '.json', 'utf8'));
  const buf = fs.readFileSync(prefix + '.bin');
  const size = (s) => s.reduce((x, y) => x * y, 1);
  let at = 0;
  const xin = readFloats(buf, at, size(meta.input.shape));
  at += xin.length;
  const out = await session.run({[meta.input.name]: new ort.Tensor('float32', xin, meta.input.shape)});
  let diff = 0, ref = 0;
  const per = [];
  for (const o of meta.outputs) {
    const want = readFloats(buf, at, size(o.shape));
    at += want.length;
    const got = out[o.name];
    if (!got || got.data.length !== want.length)
      throw new Error(`${o.name}: shape ${got && got.dims} against torch's ${o.shape}`);
    let d = 0, r = 0;
    for (let i = 0; i < want.length; i++) {
      d = Math.max(d, Math.abs(got.data[i] - want[i]));
      r = Math.max(r, Math.abs(want[i]));
    }
    per.push(`${o.name} [${o.shape}] ${(d / r).toExponential(1)}`);
    diff = Math.max(diff, d);
    ref = Math.max(ref, r);
  }
  const rel = diff / ref;
  console.log(`check ${meta.cfg} batch ${meta.input.shape[0]}: max |ort - torch| / max |torch| ` +
              `${rel.toExponential(1)} (${rel <= 1e-4 ? 'ok' : 'FAIL'}, <= 1e-4; ${per.join(', ')})`);
  return rel <= 1e-4;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  let ort;
  try {
    ort = require(require.resolve('onnxruntime-node', {paths: [path.resolve(a.ort, 'node_modules'), path.resolve(a.ort)]}));
  } catch (e) {
    usage(`onnxruntime-node not found in ${a.ort} (npm install --ignore-scripts --prefix ` +
          `${a.ort} onnxruntime-node@1.30.0): ${e.message}`);
  }
  const session = await ort.InferenceSession.create(a.model, {
    executionProviders: ['cpu'], intraOpNumThreads: a.threads, interOpNumThreads: 1,
    graphOptimizationLevel: 'all'});
  const input = session.inputNames[0];
  let ok = true;
  if (a.check) ok = await check(ort, session, a.check);
  // [B, C, H, W] from the model's input metadata; the batch axis is symbolic
  const meta = session.inputMetadata && session.inputMetadata[0];
  const dims = meta && meta.shape ? meta.shape.slice(1).map(Number) : [3, 416, 416];
  if (dims.some((d) => !Number.isInteger(d) || d < 1)) usage(`input shape ${meta.shape}: unknown`);
  const name = path.basename(a.model);
  for (const b of a.batch) {
    const shape = [b, ...dims];
    const next = rng(1);
    const x = new Float32Array(shape.reduce((p, q) => p * q, 1));
    for (let i = 0; i < x.length; i++) x[i] = next();
    const feeds = {[input]: new ort.Tensor('float32', x, shape)};
    const times = [];
    for (let i = 0; i < a.warmup + a.runs; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i >= a.warmup) times.push(ms / b);
    }
    console.log(`onnxruntime ${name} batch ${b} median ${median(times).toFixed(1)} ` +
                `best ${Math.min(...times).toFixed(1)} runs ${a.runs}`);
  }
  await session.release();
  process.exitCode = ok ? 0 : 2;
}

main().catch((e) => {
  process.stderr.write(`ort_bench.js: ${e.stack || e}\n`);
  process.exit(3);
});
