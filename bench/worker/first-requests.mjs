#!/usr/bin/env node
// Where a cold start's CPU goes (not a test): in a fresh workerd (Miniflare) per sample, the CPU
// of each of the first four requests (/health, a new webhook, /health, a new webhook), for the
// hand-written JS reference and a Rust build, medians of BENCH_ROUNDS samples (default 8).
// docs/performance.md, "What a webhook request loads".
//
//   node bench/worker/first-requests.mjs [DIR[,DIR...]] [kv]   DIR: a build (default build, the
//       webhook script; e.g. target/worker-variants/webhook-no-ledger with kv), several to compare
//       them in the same run; kv: no LEDGER binding
//   BENCH_LEDGER_SINCE=0 ...   the Rust builds with LEDGER_SINCE (wrangler.toml's "0": no KV
//       `done:` read beside the claim); unset, they read it, as the JS reference reads KV
//   OPS_DIR=DIR ...   another build of the ops script (the ledger shards' host), e.g.
//       target/worker-variants/ops-named; BENCH_JS_LEDGER=1: bench/worker/reference/ledger.js
//       instead, a JS EventLedger doing the same storage work (what the wasm object's start adds)
//   node bench/worker/first-requests.mjs floor    the floor (bench/worker/floor/, built by
//       node scripts/build-worker.mjs floor) and its plain-JS twin, against the JS reference
import { cpus, loadavg } from 'node:os';
import { Miniflare } from 'miniflare';

import { COMPATIBILITY_DATE } from '../../scripts/lib/built-worker.mjs';

import { LEDGER_IN_OPS, ROOT, SECRET, coldRequest, cpuSeconds, jsLedgerHost, ledgerHost, median, rustWorker, sleep, startOrigin, workerdPids } from './common.mjs';

const [dir = 'build', mode = 'ledger'] = process.argv.slice(2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const children = [];
process.on('exit', () => children.forEach((child) => child.exitCode === null && child.kill()));
const origin = await startOrigin(children);
const vars = { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin };
const since = process.env.BENCH_LEDGER_SINCE === undefined ? {} : { LEDGER_SINCE: process.env.BENCH_LEDGER_SINCE };
// As deployed: with LEDGER, the class in the ops script (build/ops), in the same workerd.
const rust = (build) =>
  mode === 'kv'
    ? rustWorker(build, { ...vars, ...since })
    : [rustWorker(build, { ...vars, ...since }, { durableObjects: LEDGER_IN_OPS }), process.env.BENCH_JS_LEDGER ? jsLedgerHost() : ledgerHost(vars, process.env.OPS_DIR)];
const js = { name: 'js', scriptPath: `${ROOT}bench/worker/reference/worker.js`, modules: true, kvNamespaces: ['DEDUP'], bindings: vars };
const STEPS = ['first /health', 'first webhook', 'second /health', 'second webhook'];

let counter = 0;
/** CPU ms of each step in one fresh workerd (read 30 ms after each answer: work after it counts). */
async function sample(worker) { // one Worker's options, or a `workers` list (the first serves)
  const before = new Set(workerdPids());
  // The date is each worker's option (at the top level it is ignored when `workers` is given).
  const list = (Array.isArray(worker) ? worker : [worker]).map((each) => ({ compatibilityDate: COMPATIBILITY_DATE, ...each }));
  const mf = new Miniflare({ handleStructuredLogs: () => {}, workers: list });
  try {
    await mf.ready;
    const pids = workerdPids().filter((pid) => !before.has(pid));
    const cpu = [];
    let last = cpuSeconds(pids);
    for (const step of STEPS) {
      await coldRequest(mf, step, `evt_first_${process.pid}_${counter++}`);
      await sleep(30);
      const now = cpuSeconds(pids);
      cpu.push((now - last) * 1000);
      last = now;
    }
    return cpu;
  } finally {
    await mf.dispose();
  }
}

const workers = [['js reference (KV)', js]];
if (dir === 'floor') {
  workers.push(
    ['floor: workers-rs', rustWorker('target/worker-variants/floor', vars)],
    ['floor: the same in plain JS', { name: 'js', scriptPath: `${ROOT}bench/worker/floor/worker.js`, modules: true, bindings: vars }],
  );
  // FLOOR_QUIET: the same without the log line (the first console.log's cost).
  if (process.env.BENCH_QUIET) workers.push(...workers.slice(1).map(([name, w]) => [`${name}, no log`, { ...w, bindings: { ...vars, FLOOR_QUIET: '1' } }]));
} else {
  for (const build of dir.split(',')) workers.push([`${build} (${mode === 'kv' ? 'KV mode' : 'LEDGER'})`, rust(build)]);
}
// Sampled in turns (A B B A ...), so that a change of load between samples sways every row alike.
const rows = workers.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  const order = workers.map((_, i) => i);
  for (const i of round % 2 ? order.reverse() : order) rows[i].push(await sample(workers[i][1]));
}
console.log(`CPU ms per request in a fresh workerd, medians of ${ROUNDS}; ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`${'worker'.padEnd(40)} ${STEPS.map((step) => step.padStart(15)).join('')}`);
workers.forEach(([name], w) => {
  console.log(`${name.padEnd(40)} ${STEPS.map((_, i) => median(rows[w].map((row) => row[i])).toFixed(1).padStart(15)).join('')}`);
});
process.exit(0);
