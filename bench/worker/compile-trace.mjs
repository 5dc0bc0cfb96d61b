#!/usr/bin/env node
// What V8 compiles on a cold start's first requests (not a test): workerd run with V8's
// `--trace-wasm-compilation-times` (each wasm function compiled, when, in how many µs), in a
// fresh workerd (Miniflare) per sample; per request (first /health, first webhook, second
// /health, second webhook): how many wasm functions were compiled and the Liftoff time, medians
// of BENCH_ROUNDS samples (default 6), then the largest compiles of the first two requests.
// V8 compiles a wasm function on its first call (lazy compilation), so this is the code a
// request runs for the first time; a large function costs more per byte than small ones.
// docs/performance.md, "Cold start".
//
//   node bench/worker/compile-trace.mjs [DIR] [kv]    DIR: a build (default build); kv: no LEDGER.
//       Function names: a build keeping them (node scripts/build-worker.mjs --names webhook,
//       then DIR target/worker-variants/webhook-named: the same code as build/).
//       With LEDGER the ops script (build/ops, hosting the EventLedger class; OPS_DIR for
//       another build, e.g. target/worker-variants/ops-named from --names ops) runs in the same
//       workerd: its compiles (the ledger shard's first claim and done mark) are counted apart,
//       told from the webhook script's by V8's module address, and named from OPS_DIR.
// Miniflare has no option for V8 flags: this runs a copy of it (target/bench-miniflare/) whose
// workerd config gets `v8Flags`, the config field workerd reads them from.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

import { COMPATIBILITY_DATE } from '../../scripts/lib/built-worker.mjs';

import { LEDGER_IN_OPS, ROOT, SECRET, coldRequest, ledgerHost, median, rustWorker, sleep, startOrigin } from './common.mjs';

const [dir = 'build', mode = 'ledger'] = process.argv.slice(2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const copy = `${ROOT}target/bench-miniflare/node_modules/miniflare`;
const entry = `${copy}/dist/src/index.js`;
const ASSEMBLED = '      structuredLogging: this.#structuredWorkerdLogs\n    };';
if (!existsSync(entry) || !readFileSync(entry, 'utf8').includes('BENCH_V8_FLAGS')) {
  cpSync(`${ROOT}node_modules/miniflare`, copy, { recursive: true, dereference: true });
  const source = readFileSync(entry, 'utf8');
  if (!source.includes(ASSEMBLED)) throw new Error('compile-trace: this Miniflare assembles its config differently; update ASSEMBLED');
  writeFileSync(entry, source.replace(ASSEMBLED, `      structuredLogging: this.#structuredWorkerdLogs,\n      v8Flags: process.env.BENCH_V8_FLAGS.split(' ')\n    };`));
}
process.env.BENCH_V8_FLAGS = '--trace-wasm-compilation-times';
const { Miniflare } = await import(entry);

const children = [];
process.on('exit', () => children.forEach((child) => child.exitCode === null && child.kill()));
const origin = await startOrigin(children);
const worker = rustWorker(
  dir,
  // BENCH_LEDGER_SINCE=0: wrangler.toml's setting (no KV `done:` read beside the claim).
  { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin, ...(process.env.BENCH_LEDGER_SINCE === undefined ? {} : { LEDGER_SINCE: process.env.BENCH_LEDGER_SINCE }) },
  {
    // The date is each worker's option (at the top level it is ignored when `workers` is given).
    compatibilityDate: COMPATIBILITY_DATE,
    ...(mode === 'kv' ? {} : { durableObjects: LEDGER_IN_OPS }),
  },
);
// As deployed: with LEDGER, the class in the ops script (its compiles are counted too: one
// workerd process).
const opsDir = process.env.OPS_DIR ?? 'build/ops';
const workers = mode === 'kv' ? [worker] : [worker, ledgerHost({ WEBHOOK_SECRET: SECRET, FORWARD_URL: origin }, opsDir)];
const STEPS = ['first /health', 'first webhook', 'second /health', 'second webhook'];
const names = { webhook: functionNames(readFileSync(`${ROOT}${dir}/index_bg.wasm`)) };
if (mode !== 'kv') names.ops = functionNames(readFileSync(`${ROOT}${opsDir}/index_bg.wasm`));

let counter = 0;
/** Per step: the functions compiled ([index, µs, body bytes, script]). */
async function sample() {
  let out = '';
  const mf = new Miniflare({
    handleRuntimeStdio: (stdout, stderr) => {
      stdout.on('data', (chunk) => (out += chunk));
      stderr.on('data', (chunk) => (out += chunk));
    },
    workers,
  });
  try {
    await mf.ready;
    await sleep(30);
    out = '';
    const steps = [];
    // V8 names each function by its module's address: the first module a /health compiles in
    // is the webhook script's; the ledger object's is the other one.
    let webhookModule;
    for (const step of STEPS) {
      await coldRequest(mf, step, `evt_trace_${process.pid}_${counter++}`);
      await sleep(50);
      const compiled = [...out.matchAll(/Compiled function (\S+)#(\d+) using Liftoff, took (\d+) μs.*?bodysize (\d+)/g)];
      webhookModule ??= compiled[0]?.[1];
      steps.push(compiled.map(([, module, ...numbers]) => [...numbers.map(Number), module === webhookModule ? 'webhook' : 'ops']));
      out = '';
    }
    return steps;
  } finally {
    await mf.dispose();
  }
}

const samples = [];
for (let round = 0; round < ROUNDS; round++) samples.push(await sample());
console.log(`wasm functions compiled per request in a fresh workerd (${dir}, ${mode === 'kv' ? 'KV mode' : 'LEDGER'}), medians of ${ROUNDS}; ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`${'request'.padEnd(16)} ${'script'.padEnd(8)} ${'functions'.padStart(10)} ${'body KB'.padStart(8)} ${'Liftoff ms'.padStart(11)}`);
STEPS.forEach((step, i) => {
  for (const script of Object.keys(names)) {
    const of = (pick) => median(samples.map((steps) => steps[i].filter((fn) => fn[3] === script).reduce((sum, fn) => sum + pick(fn), 0)));
    console.log(`${step.padEnd(16)} ${script.padEnd(8)} ${of(() => 1).toFixed(0).padStart(10)} ${(of((fn) => fn[2]) / 1000).toFixed(1).padStart(8)} ${(of((fn) => fn[1]) / 1000).toFixed(2).padStart(11)}`);
  }
});
for (const i of [0, 1]) {
  console.log(`\nlargest compiles of the ${STEPS[i]} (first sample): µs, body bytes, script, function`);
  for (const [index, us, body, script] of [...samples[0][i]].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.BENCH_TOP ?? 10))) {
    console.log(`${String(us).padStart(7)} ${String(body).padStart(7)}  ${script.padEnd(8)} ${(names[script].get(index) ?? `#${index}`).slice(0, 110)}`);
  }
}
process.exit(0);

/** Function index -> name, from a wasm's name section (empty without one). */
function functionNames(bytes) {
  const leb = (pos) => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return [value, pos];
    }
  };
  const found = new Map();
  for (let pos = 8; pos < bytes.length; ) {
    const id = bytes[pos];
    const [size, start] = leb(pos + 1);
    const end = start + size;
    if (id === 0) {
      const [length, at] = leb(start);
      if (bytes.subarray(at, at + length).toString() === 'name') {
        for (let p = at + length; p < end; ) {
          const sub = bytes[p];
          const [subSize, subStart] = leb(p + 1);
          if (sub === 1) {
            let [count, q] = leb(subStart);
            for (let n = 0; n < count; n++) {
              let index, nameLength;
              [index, q] = leb(q);
              [nameLength, q] = leb(q);
              found.set(index, bytes.subarray(q, q + nameLength).toString());
              q += nameLength;
            }
          }
          p = subStart + subSize;
        }
      }
    }
    pos = end;
  }
  return found;
}
