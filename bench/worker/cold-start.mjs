#!/usr/bin/env node
// Cold start (not a test): a fresh workerd (Miniflare) per sample, then the time to the first
// `GET /health` answer and to the first forwarded webhook's answer after it (which, with
// LEDGER, instantiates the ledger's Durable Object), for the Rust Worker as built and the
// hand-written JS reference (bench/worker/reference/worker.js: WebCrypto, KV dedup, forward),
// sampled in turns (A B C C B A ...) and printed as medians and ratios to the JS reference;
// wall time, and workerd's CPU time for the two requests (every thread's, from /proc: less
// swayed than wall time by other processes on a shared machine).
//
//   node bench/worker/cold-start.mjs            (after make build-worker; BENCH_ROUNDS, default 8)
//   BENCH_VARIANTS=1 node bench/worker/cold-start.mjs   also the split's alternatives, after
//       node scripts/build-worker.mjs one webhook-no-ledger ops-ledger ledger
//   BENCH_FLOOR=1 node bench/worker/cold-start.mjs   also the floor (bench/worker/floor/: the
//       smallest workers-rs Worker doing a cold start's two requests, and the same in plain
//       JS), after node scripts/build-worker.mjs floor
//   BENCH_KV=1 node bench/worker/cold-start.mjs   also the webhook script in KV mode (no LEDGER:
//       what the ledger object's start adds)
//   BENCH_COMPARE=DIR[,DIR...] node bench/worker/cold-start.mjs   also these builds of the webhook
//       script, wired as deployed with LEDGER_SINCE = "0" (e.g. a copy of build/ from before a change)
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Miniflare } from 'miniflare';

import { COMPATIBILITY_DATE } from '../../scripts/lib/built-worker.mjs';

import { ROOT, SECRET, cpuSeconds, median, signedEvent, startOrigin, workerdPids } from './common.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const children = [];
process.on('exit', () => children.forEach((child) => child.exitCode === null && child.kill()));
const origin = await startOrigin(children);

const vars = { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin };
const wasmRules = [{ type: 'CompiledWasm', include: ['**/*.wasm'] }];
const rust = (dir, extra = {}) => ({
  name: 'webhook',
  scriptPath: `${ROOT}${dir}/index.js`,
  modules: true,
  modulesRules: wasmRules,
  kvNamespaces: ['DEDUP'],
  bindings: vars,
  ...extra,
});
const ops = (dir, extra = {}) => ({ name: 'ops', scriptPath: `${ROOT}${dir}/index.js`, modules: true, modulesRules: wasmRules, ...extra });
const localLedger = { LEDGER: { className: 'EventLedger', useSQLite: true } };

/** Each candidate: the Miniflare `workers` list (the first one serves). */
const candidates = {
  'js reference (KV)': [{ name: 'js', scriptPath: `${ROOT}bench/worker/reference/worker.js`, modules: true, kvNamespaces: ['DEDUP'], bindings: vars }],
  'split, LEDGER_SINCE unset': [
    rust('build', { durableObjects: localLedger, serviceBindings: { OPS: 'ops' } }),
    ops('build/ops', { durableObjects: { LEDGER: { className: 'EventLedger', scriptName: 'webhook', useSQLite: true } } }),
  ],
  // What wrangler.toml deploys: LEDGER_SINCE = "0" (no KV `done:` read beside the claim); the
  // row above leaves it unset (a Worker within DEDUP_TTL_SECONDS of its switch from KV mode).
  'as deployed (LEDGER_SINCE = "0")': [
    rust('build', { durableObjects: localLedger, serviceBindings: { OPS: 'ops' }, bindings: { ...vars, LEDGER_SINCE: '0' } }),
    ops('build/ops', { durableObjects: { LEDGER: { className: 'EventLedger', scriptName: 'webhook', useSQLite: true } } }),
  ],
};
if (process.env.BENCH_VARIANTS) {
  const variants = 'target/worker-variants';
  for (const dir of ['one', 'webhook-no-ledger', 'ops-ledger', 'ledger']) {
    if (!existsSync(`${ROOT}${variants}/${dir}/index.js`)) throw new Error(`${variants}/${dir} is missing: node scripts/build-worker.mjs one webhook-no-ledger ops-ledger ledger`);
  }
  candidates['one script (before the split)'] = [rust(`${variants}/one`, { durableObjects: localLedger })];
  candidates['split: ops hosts LEDGER'] = [
    rust(`${variants}/webhook-no-ledger`, {
      durableObjects: { LEDGER: { className: 'EventLedger', scriptName: 'ops', useSQLite: true } },
      serviceBindings: { OPS: 'ops' },
      bindings: { ...vars, LEDGER_SINCE: '0' },
    }),
    // The class's env is the ops script's: it needs the receiver's settings too.
    ops(`${variants}/ops-ledger`, { durableObjects: localLedger, bindings: vars }),
  ];
  // A third script hosting only the class (feature `worker-ledger` alone), bound by both.
  const ledgerBound = { LEDGER: { className: 'EventLedger', scriptName: 'ledger', useSQLite: true } };
  candidates['split: a ledger script hosts LEDGER'] = [
    rust(`${variants}/webhook-no-ledger`, { durableObjects: ledgerBound, serviceBindings: { OPS: 'ops' }, bindings: { ...vars, LEDGER_SINCE: '0' } }),
    ops('build/ops', { durableObjects: ledgerBound }),
    { name: 'ledger', scriptPath: `${ROOT}${variants}/ledger/index.js`, modules: true, modulesRules: wasmRules, durableObjects: localLedger, bindings: vars },
  ];
}

if (process.env.BENCH_FLOOR) {
  const floor = 'target/worker-variants/floor';
  if (!existsSync(`${ROOT}${floor}/index.js`)) throw new Error(`${floor} is missing: node scripts/build-worker.mjs floor`);
  candidates['floor: workers-rs, no verify/dedup'] = [rust(floor)];
  candidates['floor: the same in plain JS'] = [{ name: 'js', scriptPath: `${ROOT}bench/worker/floor/worker.js`, modules: true, bindings: vars }];
}

if (process.env.BENCH_KV) {
  candidates['split: webhook script in KV mode (no LEDGER)'] = [rust('build', { serviceBindings: { OPS: 'ops' } }), ops('build/ops')];
}
for (const dir of process.env.BENCH_COMPARE?.split(',') ?? []) {
  candidates[`${dir.split('/').pop()}, LEDGER_SINCE = "0"`] = [
    rust(dir, { durableObjects: localLedger, serviceBindings: { OPS: 'ops' }, bindings: { ...vars, LEDGER_SINCE: '0' } }),
    ops('build/ops', { durableObjects: { LEDGER: { className: 'EventLedger', scriptName: 'webhook', useSQLite: true } } }),
  ];
}

let counter = 0;
/** One cold sample: ms to the first /health, then to the first forwarded webhook. */
async function sample(workers) {
  const before = new Set(workerdPids());
  const started = performance.now();
  // The date is each worker's option (at the top level it is ignored when `workers` is given).
  const dated = workers.map((worker) => ({ compatibilityDate: COMPATIBILITY_DATE, ...worker }));
  const mf = new Miniflare({ handleStructuredLogs: () => {}, workers: dated });
  try {
    await mf.ready;
    const ready = performance.now();
    const pids = workerdPids().filter((pid) => !before.has(pid));
    const cpuAtReady = cpuSeconds(pids);
    const health = await mf.dispatchFetch('http://receiver.test/health');
    await health.arrayBuffer();
    const healthAt = performance.now();
    const { body, headers } = signedEvent(`evt_cold_${process.pid}_${counter++}`);
    const webhook = await mf.dispatchFetch('http://receiver.test/webhooks', { method: 'POST', headers, body });
    const answer = await webhook.text();
    if (health.status !== 200 || webhook.status !== 200) throw new Error(`cold sample failed: /health ${health.status}, webhook ${webhook.status} ${answer}`);
    const done = performance.now();
    // workerd's CPU (all threads) for both requests: less swayed by other load than wall time.
    const cpu = (cpuSeconds(pids) - cpuAtReady) * 1000;
    return { startup: ready - started, health: healthAt - ready, webhook: done - healthAt, total: done - ready, cpu };
  } finally {
    await mf.dispose();
  }
}

const names = Object.keys(candidates);
const samples = Object.fromEntries(names.map((name) => [name, []]));
await sample(candidates[names[0]]); // warms Node's and the disk's caches, not measured
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? [...names].reverse() : names;
  for (const name of order) samples[name].push(await sample(candidates[name]));
}

const base = 'js reference (KV)';
const med = (name, key) => median(samples[name].map((s) => s[key]));
console.log(
  `cold start: ${ROUNDS} fresh workerd per candidate (turns), medians in ms; ` +
    `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${new Date().toISOString()}`,
);
console.log(`${'candidate'.padEnd(44)} ${'/health'.padStart(8)} ${'webhook'.padStart(8)} ${'both'.padStart(8)} ${'ratio'.padStart(6)} ${'cpu ms'.padStart(7)} ${'ratio'.padStart(6)} ${'startup'.padStart(8)}`);
for (const name of names) {
  const ratio = med(name, 'total') / med(base, 'total');
  const cpuRatio = med(name, 'cpu') / med(base, 'cpu');
  console.log(
    `${name.padEnd(44)} ${med(name, 'health').toFixed(1).padStart(8)} ${med(name, 'webhook').toFixed(1).padStart(8)} ` +
      `${med(name, 'total').toFixed(1).padStart(8)} ${`${ratio.toFixed(2)}x`.padStart(6)} ${med(name, 'cpu').toFixed(0).padStart(7)} ` +
      `${`${cpuRatio.toFixed(2)}x`.padStart(6)} ${med(name, 'startup').toFixed(0).padStart(8)}`,
  );
}
process.exit(0);
