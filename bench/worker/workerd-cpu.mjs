#!/usr/bin/env node
// Companion to run.mjs (not a test): the same three Workers and scenarios, but served by
// Miniflare directly (workerd, its storage in RAM, no wrangler proxy), charging only
// workerd's CPU time to each request, so that the Workers' own cost is less drowned in
// wrangler's.
//
//   node bench/worker/workerd-cpu.mjs   (after make build-worker; same BENCH_* settings)
//   BENCH_STORAGE=disk node bench/worker/workerd-cpu.mjs   storage on disk (see benchStorage)
//   BENCH_PAIR=WEBHOOK_DIR:OPS_DIR ...   also these builds of both scripts together
//   BENCH_JS_LEDGER=1 ...   also the webhook script against reference/ledger.js (a JS object)
// Besides the JS reference (KV dedup, best effort), the same JS Worker with our guarantee:
// its claims and done marks in a JS ledger object (reference/ledger.js).
import { Miniflare } from 'miniflare';

import { CONNECTIONS, LEDGER_IN_OPS, ROOT, ROUNDS, SECONDS, SECRET, benchStorage, compare, jsLedgerHost, ledgerHost, report, startOrigin, workerdPids } from './common.mjs';

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
// One Miniflare per Worker, each with its own workerd, started in turn: each target is
// [name, base URL, its workerd's PIDs] (the processes that were not running before it).
const instances = [];
const targets = [];
async function start(name, worker) {
  const before = new Set(workerdPids());
  const instance = new Miniflare({ host: '127.0.0.1', port: 0, handleStructuredLogs: () => {}, ...common, ...worker });
  instances.push(instance);
  const base = String(await instance.ready).replace(/\/$/, '');
  const pids = workerdPids().filter((pid) => !before.has(pid));
  targets.push([name, base, () => pids]);
}
const rustWorker = {
  scriptPath: `${ROOT}build/index.js`,
  modules: true,
  modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
};
// As the default wrangler.toml: LEDGER_SINCE "0" (no KV read per new id, docs/performance.md);
// the class in the ops script (`host`), in the same workerd (its CPU counts).
const deployed = (host, dir = 'build') => ({
  workers: [
    { ...common, ...rustWorker, scriptPath: `${ROOT}${dir}/index.js`, name: 'webhook', durableObjects: LEDGER_IN_OPS, bindings: { ...common.bindings, LEDGER_SINCE: '0' } },
    host,
  ],
});
try {
  await start('rust + LEDGER', deployed(ledgerHost(common.bindings)));
  await start('rust, KV mode', rustWorker);
  // BENCH_HOSTED=DIR: also a build of the webhook script that hosts the EventLedger class itself
  // (the layout before issue 20's last round: node scripts/build-worker.mjs webhook-ledger, DIR
  // target/worker-variants/webhook-ledger), one isolate for the requests and the ledger.
  const hosted = process.env.BENCH_HOSTED;
  if (hosted) {
    await start('rust + LEDGER, webhook hosts the class', {
      scriptPath: `${ROOT}${hosted}/index.js`,
      modules: true,
      modulesRules: rustWorker.modulesRules,
      durableObjects: { LEDGER: { className: 'EventLedger', useSQLite: true } },
      bindings: { ...common.bindings, LEDGER_SINCE: '0' },
    });
  }
  // BENCH_PAIR=WEBHOOK_DIR:OPS_DIR: also these builds of both scripts, wired as deployed (a
  // change to the calls between them, measured against both as they were before it).
  const pair = process.env.BENCH_PAIR?.split(':');
  if (pair) {
    await start(`rust + LEDGER, ${pair.map((dir) => dir.split('/').pop()).join(' + ')}`, deployed(ledgerHost(common.bindings, pair[1]), pair[0]));
  }
  // BENCH_JS_LEDGER=1: also the webhook script as built against the JS ledger object (what each
  // side of a forward costs: our webhook script, and our ledger object against the JS one).
  if (process.env.BENCH_JS_LEDGER) await start('rust webhook script + JS ledger object', deployed(jsLedgerHost()));
  // The JS reference with the same exactly-once guarantee: its claims and done marks in a JS
  // ledger object (reference/ledger.js), in the same workerd.
  const reference = { scriptPath: `${ROOT}bench/worker/reference/worker.js`, modules: true };
  await start('js reference + ledger object', { workers: [{ ...common, ...reference, name: 'js', durableObjects: LEDGER_IN_OPS }, jsLedgerHost()] });
  await start('js reference', reference);
  const rows = await compare(targets);
  report(
    rows,
    `${2 * ROUNDS} x ${SECONDS} s per worker and scenario (A B C C B A x ${ROUNDS}, medians shown), ` +
      `${CONNECTIONS} connections, autocannon -> Miniflare (workerd, no wrangler) on 127.0.0.1; CPU = workerd only; ${storage}`,
    ['js reference', 'js reference + ledger object'],
  );
} finally {
  for (const instance of instances) await instance.dispose();
  stopOrigin();
}
