#!/usr/bin/env node
// Where a warm isolate spends a request (not a test): V8's sampling profiler through workerd's
// inspector (Miniflare `inspectorPort`) over many requests at steady state, self time per
// function, the 25 largest (PROFILE_TOP). Needs a global WebSocket (Node >= 22):
//
//   node_modules/node22/bin/node bench/worker/steady-profile.mjs [DIR] [duplicate|health|forward]
//
// DIR: a build (default build/; for function names, `node scripts/build-worker.mjs --names
// webhook` and DIR target/worker-variants/webhook-named). PROFILE_SCRIPT=ops profiles the ops
// script's isolate instead (the ledger shards; OPS_DIR=target/worker-variants/ops-named for
// names; BENCH_JS_LEDGER=1: reference/ledger.js, the same storage work in a JS object). The inspector slows everything down: compare shares, not microseconds.
import autocannon from 'autocannon';
import { Miniflare } from 'miniflare';

import { COMPATIBILITY_DATE } from '../../scripts/lib/built-worker.mjs';

import { attachProfiler } from './inspector.mjs';
import { LEDGER_IN_OPS, benchStorage, jsLedgerHost, ledgerHost, rustWorker, SECRET, signedEvent, startOrigin } from './common.mjs';

const [dir = 'build', scenario = 'duplicate'] = process.argv.slice(2);
const PORT = Number(process.env.INSPECTOR_PORT ?? 9339);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
benchStorage();
const children = [];
process.on('exit', () => children.forEach((child) => child.exitCode === null && child.kill()));
const origin = await startOrigin(children);
const vars = { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin };
const mf = new Miniflare({
  host: '127.0.0.1',
  port: 0,
  inspectorPort: PORT,
  handleStructuredLogs: () => {},
  workers: [
    rustWorker(dir, { ...vars, LEDGER_SINCE: '0' }, {
      compatibilityDate: COMPATIBILITY_DATE,
      durableObjects: LEDGER_IN_OPS,
      ratelimits: { RATE_LIMITER: { simple: { limit: 1e9, period: 60 } } },
    }),
    process.env.BENCH_JS_LEDGER ? jsLedgerHost() : ledgerHost(vars, process.env.OPS_DIR ?? 'build/ops'),
  ],
});
const fixed = signedEvent(`evt_steady_${process.pid}`);
const base = String(await mf.ready).replace(/\/$/, '');
/** `seconds` of load with 8 connections, the scenario's request each time. */
const run = (seconds) =>
  autocannon({
    url: base,
    connections: 8,
    duration: seconds,
    requests: [
      scenario === 'health'
        ? { method: 'GET', path: '/health' }
        : {
            method: 'POST',
            path: '/webhooks',
            setupRequest: (request) => ({ ...request, ...(scenario === 'forward' ? signedEvent(`evt_${Math.random()}`) : fixed) }),
          },
    ],
  });
try {
  await (await fetch(`${base}/webhooks`, { method: 'POST', ...fixed })).arrayBuffer();
  await run(2);
  const profiler = await attachProfiler(PORT, process.env.PROFILE_SCRIPT ?? 'webhook', 100);
  await profiler.start();
  const result = await run(SECONDS);
  const { selfTimes, total } = await profiler.stop();
  const requests = result.requests.total;
  console.log(`${scenario} of ${dir}: ${requests} requests, ${(total / 1000).toFixed(0)} ms sampled, ${(total / requests).toFixed(0)} us per request (inspector attached)`);
  for (const [key, us] of selfTimes.slice(0, Number(process.env.PROFILE_TOP ?? 25))) {
    console.log(`${(us / requests).toFixed(1).padStart(7)} us ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key.slice(0, 110)}`);
  }
} finally {
  await mf.dispose();
  process.exit(0);
}
