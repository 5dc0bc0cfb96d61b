#!/usr/bin/env node
// Companion to run.mjs (not a test): the same three Workers and scenarios, but served by
// Miniflare directly (workerd, its storage in RAM, no wrangler proxy), charging only
// workerd's CPU time to each request, so that the Workers' own cost is less drowned in
// wrangler's.
//
//   node bench/worker/workerd-cpu.mjs   (after make build-worker; same BENCH_* settings)
//   BENCH_STORAGE=disk node bench/worker/workerd-cpu.mjs   storage on disk (see benchStorage)
import { Miniflare } from 'miniflare';

import { CONNECTIONS, LEDGER_IN_OPS, ROOT, ROUNDS, SECONDS, SECRET, benchStorage, compare, ledgerHost, report, startOrigin, workerdPids } from './common.mjs';

const storage = benchStorage();

const children = [];
const stopOrigin = () => {
  for (const child of children) {
    if (child.exitCode === null) child.kill();
  }
};
process.on('exit', stopOrigin);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopOrigin();
    process.exit(130);
  });
}

const origin = await startOrigin(children);
const common = {
  compatibilityDate: '2026-04-20',
  kvNamespaces: ['DEDUP'],
  ratelimits: { RATE_LIMITER: { simple: { limit: 1_000_000_000, period: 60 } } },
  bindings: { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin },
};
// One Miniflare per Worker, each with its own workerd, started in turn.
async function start(worker) {
  const instance = new Miniflare({ host: '127.0.0.1', port: 0, handleStructuredLogs: () => {}, ...common, ...worker });
  return [instance, String(await instance.ready).replace(/\/$/, '')];
}
const rustWorker = {
  scriptPath: `${ROOT}build/index.js`,
  modules: true,
  modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
};
// As the default wrangler.toml: LEDGER_SINCE "0" (no KV read per new id, docs/performance.md);
// the class in the ops script, in the same workerd (its CPU counts).
const [ledgerMf, ledgerBase] = await start({
  workers: [
    { ...common, ...rustWorker, name: 'webhook', durableObjects: LEDGER_IN_OPS, bindings: { ...common.bindings, LEDGER_SINCE: '0' } },
    ledgerHost(common.bindings),
  ],
});
const ledgerPids = workerdPids();
const [rustMf, rustBase] = await start(rustWorker);
const rustPids = workerdPids().filter((pid) => !ledgerPids.includes(pid));
const [jsMf, jsBase] = await start({ scriptPath: `${ROOT}bench/worker/reference/worker.js`, modules: true });
const jsPids = workerdPids().filter((pid) => !rustPids.includes(pid) && !ledgerPids.includes(pid));
// BENCH_HOSTED=DIR: also a build of the webhook script that hosts the EventLedger class itself
// (the layout before issue 20's last round: node scripts/build-worker.mjs webhook-ledger, DIR
// target/worker-variants/webhook-ledger), one isolate for the requests and the ledger.
const hosted = process.env.BENCH_HOSTED;
const [hostedMf, hostedBase] = hosted
  ? await start({
      scriptPath: `${ROOT}${hosted}/index.js`,
      modules: true,
      modulesRules: rustWorker.modulesRules,
      durableObjects: { LEDGER: { className: 'EventLedger', useSQLite: true } },
      bindings: { ...common.bindings, LEDGER_SINCE: '0' },
    })
  : [null, null];
const hostedPids = hosted ? workerdPids().filter((pid) => ![...rustPids, ...ledgerPids, ...jsPids].includes(pid)) : [];
try {
  const targets = [
    ['rust + LEDGER', ledgerBase, () => ledgerPids],
    ['rust, KV mode', rustBase, () => rustPids],
    ...(hosted ? [['rust + LEDGER, webhook hosts the class', hostedBase, () => hostedPids]] : []),
    ['js reference', jsBase, () => jsPids],
  ];
  const rows = await compare(targets);
  report(
    rows,
    `${2 * ROUNDS} x ${SECONDS} s per worker and scenario (A B C C B A x ${ROUNDS}, medians shown), ` +
      `${CONNECTIONS} connections, autocannon -> Miniflare (workerd, no wrangler) on 127.0.0.1; CPU = workerd only; ${storage}`,
  );
} finally {
  await ledgerMf.dispose();
  await rustMf.dispose();
  await jsMf.dispose();
  await hostedMf?.dispose();
  stopOrigin();
}
