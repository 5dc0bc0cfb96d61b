// The dudect-style timing check of src/main.rs, against the built npm package in Node:
// verify() with wrong signatures matching the right one in their first 0 (class A) or 62
// (class B) hex digits, interleaved at random; Welch's t-test on the per-call times, raw
// and cropped at percentiles. |t| < 4.5: no leak detected. A leaky early-exit comparison
// runs through the same harness as a control.
//   node bench/timing/node.mjs [SAMPLES_PER_CLASS]     (after `make build-pkg`)
import { createHmac } from 'node:crypto';
import { verify } from '../../pkg/node.mjs';

const SECRET = 'whsec_7f3a9c1e5b2d4f6a8c0e';
const BODY = '{"id":"webhook_test_123","type":"conversation.message.created","created_at":1640995200,"data":{"object":{"id":"xgQQXg3hrtjh7AvZ","conversation_id":"WAz8eIbvDR60rouK","message":"Hello, world!","created_at":1640995200}}}';
const samples = Number(process.argv[2] ?? 200_000);

const right = createHmac('sha256', SECRET).update(BODY).digest('hex');
// Changed digits stay decimal or letter, so decoding costs the same in both classes.
const bump = (c) => (c === '9' ? '0' : c === 'f' ? 'a' : String.fromCharCode(c.charCodeAt(0) + 1));
const differing = (from, to) => [...right].map((c, i) => (i >= from && i < to ? bump(c) : c)).join('');
const signatures = [differing(0, 1), differing(62, 64)];
if (signatures[1].slice(0, 62) !== right.slice(0, 62) || verify(SECRET, BODY, right) !== true) throw new Error('bad setup');

function welch(a, b) {
  const stats = (xs) => {
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
    return { n: xs.length, mean, variance };
  };
  const [x, y] = [stats(a), stats(b)];
  return { t: (x.mean - y.mean) / Math.sqrt(x.variance / x.n + y.variance / y.n), a: x, b: y };
}

let state = 0x9e3779b9;
const random = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return state >>> 0;
};

function measure(call) {
  for (let i = 0; i < 20_000; i++) call(signatures[i % 2]);
  const classes = new Uint8Array(samples * 2);
  const times = new Float64Array(samples * 2);
  const left = [samples, samples];
  for (let i = 0; i < samples * 2; i++) {
    const c = left[0] === 0 ? 1 : left[1] === 0 ? 0 : random() & 1;
    left[c]--;
    const signature = signatures[c];
    const start = process.hrtime.bigint();
    call(signature);
    times[i] = Number(process.hrtime.bigint() - start);
    classes[i] = c;
  }
  const sorted = Float64Array.from(times).sort();
  const rows = [];
  for (const [label, p] of [['all samples', 1], ['under p50', 0.5], ['under p90', 0.9], ['under p99', 0.99]]) {
    const cutoff = p === 1 ? Infinity : sorted[Math.floor((sorted.length - 1) * p)];
    const split = [[], []];
    for (let i = 0; i < times.length; i++) if (times[i] <= cutoff) split[classes[i]].push(times[i]);
    rows.push({ label, ...welch(split[0], split[1]) });
  }
  return rows;
}

function report(title, rows) {
  console.log(title);
  for (const { label, t, a, b } of rows) {
    console.log(`  ${label.padEnd(12)} t = ${t.toFixed(2).padStart(8)}   mean A ${a.mean.toFixed(1).padStart(8)} ns   mean B ${b.mean.toFixed(1).padStart(8)} ns   n >= ${Math.min(a.n, b.n)} per class`);
  }
  const max = Math.max(...rows.map((r) => Math.abs(r.t)));
  console.log(`  max |t| = ${max.toFixed(2)}: ${max < 4.5 ? 'no leak detected (|t| < 4.5)' : 'LEAK: verification time depends on the matching prefix (|t| >= 4.5)'}`);
  return max;
}

console.log(`verify() of the built npm package in Node ${process.version}, ${BODY.length}-byte body, ${samples} samples per class.\n`);
const max = report('digivault-webhooks verify():', measure((signature) => verify(SECRET, BODY, signature)));
console.log();
report('control, early-exit comparison (must show a leak):', measure((signature) => {
  const expected = createHmac('sha256', SECRET).update(BODY).digest('hex');
  for (let i = 0; i < 64; i++) if (expected.charCodeAt(i) !== signature.charCodeAt(i)) return false;
  return true;
}));
process.exitCode = max < 4.5 ? 0 : 1;
