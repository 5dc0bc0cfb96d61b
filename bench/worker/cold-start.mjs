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
//       node scripts/build-worker.mjs one webhook-ledger ops-no-ledger ledger
//   BENCH_FLOOR=1 node bench/worker/cold-start.mjs   also the floor (bench/worker/floor/: the
//       smallest workers-rs Worker doing a cold start's two requests, and the same in plain
//       JS), after node scripts/build-worker.mjs floor
//   BENCH_KV=1 node bench/worker/cold-start.mjs   also the webhook script in KV mode (no LEDGER:
//       what the ledger object's start adds)
// Rows: the JS reference; the Rust Worker as deployed (the webhook script, and the ops script
// hosting the EventLedger class, in one workerd: both start, a deploy's first webhook), with
// LEDGER_SINCE unset and "0"; and as deployed with the ledger shard's isolate already running
// (untimed lookup first): a new webhook isolate's usual case, the shards being shared by all.
// A second reference has our guarantee: the JS Worker deduplicating in a JS ledger object
// (reference/worker.js with LEDGER, reference/ledger.js), cold or with its shard warm; each
// Worker with a ledger is also given as a ratio to it (`like`).
//   BENCH_COMPARE=DIR[,DIR...] node bench/worker/cold-start.mjs   also these builds of the webhook
//       script, wired as deployed with LEDGER_SINCE = "0" (e.g. a copy of build/ from before a change)
//   BENCH_OPS_COMPARE=DIR[,DIR...] ...   also these builds of the ops script (the ledger's host),
//       with build/ as the webhook script
//   BENCH_PAIR_COMPARE=WEBHOOK_DIR:OPS_DIR[,...] ...   also these builds of both scripts together
//       (a change to the calls between them: e.g. both as they were before it)
//   BENCH_JS_LEDGER=1 ...   also the webhook script against bench/worker/reference/ledger.js, a
//       JS EventLedger doing the same storage work: what the wasm object's start adds
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Miniflare } from 'miniflare';

import { COMPATIBILITY_DATE, shardOf } from '../../scripts/lib/built-worker.mjs';

import { LEDGER_IN_OPS, ROOT, SECRET, cpuSeconds, jsLedgerHost, ledgerHost, median, signedEvent, startOrigin, workerdPids } from './common.mjs';

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
/** The webhook script `dir` wired as deployed, beside `host` (the ops script hosting LEDGER). */
const deployed = (dir = 'build', bindings = vars, host = ledgerHost(vars)) => [
  rust(dir, { durableObjects: LEDGER_IN_OPS, serviceBindings: { OPS: 'ops' }, bindings }),
  host,
];
const reference = (extra = {}) => ({ name: 'js', scriptPath: `${ROOT}bench/worker/reference/worker.js`, modules: true, kvNamespaces: ['DEDUP'], bindings: vars, ...extra });
// The same hand-written Worker with the same exactly-once guarantee as ours: claims and done
// marks in a JS ledger object (reference/ledger.js) in the same 16 shards, over the same RPC.
const referenceWithLedger = () => [reference({ durableObjects: LEDGER_IN_OPS }), jsLedgerHost()];
const candidates = {
  'js reference (KV)': [reference()],
  'js reference (ledger object)': referenceWithLedger(),
  'the same, its shard warm': Object.assign(referenceWithLedger(), { warmLedger: true }),
  'LEDGER_SINCE unset': deployed('build'),
  // What wrangler.toml deploys: LEDGER_SINCE = "0" (no KV `done:` read beside the claim); the
  // row above leaves it unset (a Worker within DEDUP_TTL_SECONDS of its switch from KV mode).
  'as deployed (LEDGER_SINCE = "0")': deployed('build', { ...vars, LEDGER_SINCE: '0' }),
  // The common case in production: a new webhook isolate while the ledger shard's isolate (the
  // ops script's, elsewhere) is already running; Miniflare starts both at once above.
  'as deployed, the ledger shard warm': Object.assign(deployed('build', { ...vars, LEDGER_SINCE: '0' }), { warmLedger: true }),
};
if (process.env.BENCH_VARIANTS) {
  const variants = 'target/worker-variants';
  for (const dir of ['one', 'webhook-ledger', 'ops-no-ledger', 'ledger']) {
    if (!existsSync(`${ROOT}${variants}/${dir}/index.js`)) throw new Error(`${variants}/${dir} is missing: node scripts/build-worker.mjs one webhook-ledger ops-no-ledger ledger`);
  }
  const since = { ...vars, LEDGER_SINCE: '0' };
  candidates['one script (before the split)'] = [rust(`${variants}/one`, { durableObjects: localLedger, bindings: since })];
  // The layout deployed before: the webhook script hosting the class, the ops script binding it.
  candidates['split: webhook hosts LEDGER (before)'] = [
    rust(`${variants}/webhook-ledger`, { durableObjects: localLedger, serviceBindings: { OPS: 'ops' }, bindings: since }),
    ops(`${variants}/ops-no-ledger`, { durableObjects: { LEDGER: { className: 'EventLedger', scriptName: 'webhook', useSQLite: true } } }),
  ];
  // A third script hosting only the class (feature `worker-ledger` alone), bound by both.
  const ledgerBound = { LEDGER: { className: 'EventLedger', scriptName: 'ledger', useSQLite: true } };
  candidates['split: a ledger script hosts LEDGER'] = [
    rust('build', { durableObjects: ledgerBound, serviceBindings: { OPS: 'ops' }, bindings: since }),
    ops(`${variants}/ops-no-ledger`, { durableObjects: ledgerBound }),
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
  candidates['webhook script in KV mode (no LEDGER)'] = [rust('build', { serviceBindings: { OPS: 'ops' } }), ops('build/ops')];
}
if (process.env.BENCH_JS_LEDGER) {
  // The webhook script as deployed, but the shards are bench/worker/reference/ledger.js: the
  // same storage work in a Durable Object written in JS.
  const jsLedger = () => deployed('build', { ...vars, LEDGER_SINCE: '0' }, jsLedgerHost());
  candidates['webhook script, a JS ledger object'] = jsLedger();
  candidates['the same, the JS shard warm'] = Object.assign(jsLedger(), { warmLedger: true });
}
for (const dir of process.env.BENCH_OPS_COMPARE?.split(',') ?? []) {
  candidates[`ops script ${dir.split('/').pop()}, LEDGER_SINCE = "0"`] = deployed('build', { ...vars, LEDGER_SINCE: '0' }, ledgerHost(vars, dir));
}
for (const pair of process.env.BENCH_PAIR_COMPARE?.split(',') ?? []) {
  const [webhookDir, opsDir] = pair.split(':');
  candidates[`${webhookDir.split('/').pop()} + ${opsDir.split('/').pop()}`] = deployed(webhookDir, { ...vars, LEDGER_SINCE: '0' }, ledgerHost(vars, opsDir));
}
for (const dir of process.env.BENCH_COMPARE?.split(',') ?? []) {
  candidates[`${dir.split('/').pop()}, LEDGER_SINCE = "0"`] = deployed(dir, { ...vars, LEDGER_SINCE: '0' });
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
    const id = `evt_cold_${process.pid}_${counter++}`;
    if (workers.warmLedger) {
      // The shard the webhook's claim goes to, started by a lookup of another id (untimed).
      const namespace = await mf.getDurableObjectNamespace('LEDGER', 'ops');
      const stub = namespace.get(namespace.idFromName(`shard-${shardOf(id)}`));
      await (await stub.fetch('https://ledger/lookup', { method: 'POST', body: JSON.stringify({ id: `${id}_warm` }) })).text();
    }
    const ready = performance.now();
    const pids = workerdPids().filter((pid) => !before.has(pid));
    const cpuAtReady = cpuSeconds(pids);
    const health = await mf.dispatchFetch('http://receiver.test/health');
    await health.arrayBuffer();
    const healthAt = performance.now();
    const { body, headers } = signedEvent(id);
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
// Each candidate against the reference with its guarantee: a Worker with a ledger object
// against the JS Worker with one (both cold, or both shards warm), KV mode against KV.
const likeBase = (name) => {
  if (!candidates[name].some((worker) => worker.durableObjects)) return base;
  return candidates[name].warmLedger ? 'the same, its shard warm' : 'js reference (ledger object)';
};
const med = (name, key) => median(samples[name].map((s) => s[key]));
console.log(
  `cold start: ${ROUNDS} fresh workerd per candidate (turns), medians in ms; ` +
    `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${new Date().toISOString()}`,
);
console.log('ratio: to the JS reference (KV); like: to the JS reference with the same guarantee (its ledger object cold or warm as ours)');
console.log(`${'candidate'.padEnd(44)} ${'/health'.padStart(8)} ${'webhook'.padStart(8)} ${'both'.padStart(8)} ${'ratio'.padStart(6)} ${'like'.padStart(6)} ${'cpu ms'.padStart(7)} ${'ratio'.padStart(6)} ${'like'.padStart(6)} ${'startup'.padStart(8)}`);
const times = (value) => `${value.toFixed(2)}x`.padStart(6);
for (const name of names) {
  const like = likeBase(name);
  console.log(
    `${name.padEnd(44)} ${med(name, 'health').toFixed(1).padStart(8)} ${med(name, 'webhook').toFixed(1).padStart(8)} ` +
      `${med(name, 'total').toFixed(1).padStart(8)} ${times(med(name, 'total') / med(base, 'total'))} ${times(med(name, 'total') / med(like, 'total'))} ` +
      `${med(name, 'cpu').toFixed(0).padStart(7)} ${times(med(name, 'cpu') / med(base, 'cpu'))} ${times(med(name, 'cpu') / med(like, 'cpu'))} ` +
      `${med(name, 'startup').toFixed(0).padStart(8)}`,
  );
}
process.exit(0);
