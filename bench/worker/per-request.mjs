#!/usr/bin/env node
// The fixed cost of a request (not a test): workerd's CPU per request, at steady state, for a
// `GET /health` and a duplicate webhook (answered from the isolate's cache of done ids), for the
// Rust Worker as built (LEDGER bound, LEDGER_SINCE = "0"), the hand-written JS reference and an
// empty JS Worker (the floor of any request), one Miniflare each, autocannon on 127.0.0.1.
// docs/performance.md, "Steady state in workerd alone".
//
//   node bench/worker/per-request.mjs        (after make build-worker; BENCH_SECONDS, default 4)
//   BENCH_COMPARE=DIR[,DIR...] node bench/worker/per-request.mjs   also these builds
import autocannon from 'autocannon';
import { Miniflare } from 'miniflare';

import { COMPATIBILITY_DATE } from '../../scripts/lib/built-worker.mjs';
import { LEDGER_IN_OPS, ROOT, SECRET, cpuSeconds, ledgerHost, signedEvent, startOrigin, workerdPids } from './common.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const children = [];
process.on('exit', () => children.forEach((child) => child.exitCode === null && child.kill()));
const origin = await startOrigin(children);

const workers = {
  'rust + LEDGER': {
    scriptPath: `${ROOT}build/index.js`,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    durableObjects: LEDGER_IN_OPS,
  },
  // BENCH_COMPARE=DIR[,DIR...]: other builds of the webhook script (e.g. a copy of build/
  // from before a change), wired the same way.
  ...Object.fromEntries(
    (process.env.BENCH_COMPARE?.split(',') ?? []).map((dir) => [
      `rust + LEDGER, ${dir.split('/').pop()}`,
      {
        scriptPath: `${ROOT}${dir}/index.js`,
        modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
        durableObjects: LEDGER_IN_OPS,
      },
    ]),
  ),
  'js reference': { scriptPath: `${ROOT}bench/worker/reference/worker.js` },
  'empty js worker': { script: 'export default { fetch() { return new Response("ok"); } }' },
};

const fixed = signedEvent(`evt_per_request_${process.pid}`);
const requests = {
  '/health': { method: 'GET', path: '/health' },
  duplicate: { method: 'POST', path: '/webhooks', ...fixed },
};

console.log(`workerd CPU per request at steady state, ${SECONDS} s of 10 connections each (after 1 s of warm-up)`);
// BENCH_REVERSE=1: the Workers in the opposite order (a machine's drift shows as an order effect).
const order = Object.entries(workers);
if (process.env.BENCH_REVERSE) order.reverse();
for (const [name, worker] of order) {
  const before = new Set(workerdPids());
  const options = {
    name: 'webhook',
    compatibilityDate: COMPATIBILITY_DATE,
    modules: true,
    kvNamespaces: ['DEDUP'],
    ratelimits: { RATE_LIMITER: { simple: { limit: 1_000_000_000, period: 60 } } },
    bindings: { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin, LEDGER_SINCE: '0' },
    ...worker,
  };
  // The Rust Worker as deployed: the EventLedger class in the ops script, same workerd.
  const workersList = worker.durableObjects === LEDGER_IN_OPS ? [options, ledgerHost(options.bindings)] : [options];
  const mf = new Miniflare({ host: '127.0.0.1', port: 0, handleStructuredLogs: () => {}, workers: workersList });
  try {
    const base = String(await mf.ready).replace(/\/$/, '');
    const pids = workerdPids().filter((pid) => !before.has(pid));
    // The duplicate's first delivery (forwarded), so that every later one is a duplicate.
    await (await fetch(`${base}/webhooks`, { method: 'POST', ...fixed })).arrayBuffer();
    for (const [label, request] of Object.entries(requests)) {
      if (name === 'empty js worker' && label === 'duplicate') continue;
      await autocannon({ url: base, connections: 10, duration: 1, requests: [request] });
      const start = cpuSeconds(pids);
      const result = await autocannon({ url: base, connections: 10, duration: SECONDS, requests: [request] });
      const us = ((cpuSeconds(pids) - start) * 1e6) / result.requests.total;
      console.log(`${name.padEnd(32)} ${label.padEnd(10)} ${us.toFixed(0).padStart(5)} us CPU/request  ${result.requests.average.toFixed(0)} req/s  ${result.non2xx} non-2xx`);
    }
  } finally {
    await mf.dispose();
  }
}
process.exit(0);
