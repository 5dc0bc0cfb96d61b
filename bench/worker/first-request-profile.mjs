#!/usr/bin/env node
// Where a fresh isolate's first `/health` spends its time (not a test): V8's sampling profiler
// through workerd's inspector (Miniflare `inspectorPort`, the DevTools protocol), self time per
// function, the 20 largest. Needs a global WebSocket (Node >= 22):
//
//   node_modules/node22/bin/node bench/worker/first-request-profile.mjs [DIR] [webhook]
//
// webhook: the first webhook (after an unprofiled first /health) instead, LEDGER bound.
//
// DIR: a build (default build/; its .wasm is stripped, so functions show as wasm-function[N]:
// for names, give a build made with `wasm-opt -Oz -g`, docs/performance.md says how). The
// inspector slows everything down: compare shares, not milliseconds.
import { Miniflare } from 'miniflare';

import { COMPATIBILITY_DATE } from '../../scripts/lib/built-worker.mjs';

import { attachProfiler } from './inspector.mjs';
import { coldRequest, LEDGER_IN_OPS, ledgerHost, rustWorker, SECRET, startOrigin } from './common.mjs';

const [dir = 'build', step = 'health'] = process.argv.slice(2);
const PORT = Number(process.env.INSPECTOR_PORT ?? 9339);
const children = [];
process.on('exit', () => children.forEach((child) => child.exitCode === null && child.kill()));
const origin = await startOrigin(children);
const mf = new Miniflare({
  inspectorPort: PORT,
  handleStructuredLogs: () => {},
  // The date is each worker's option (at the top level it is ignored when `workers` is given).
  workers: [
    rustWorker(
      dir,
      { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin },
      {
        compatibilityDate: COMPATIBILITY_DATE,
        ...(step === 'webhook' ? { durableObjects: LEDGER_IN_OPS } : {}),
      },
    ),
    // As deployed: the EventLedger class in the ops script (profiled apart: its own isolate).
    ...(step === 'webhook' ? [ledgerHost({ WEBHOOK_SECRET: SECRET, FORWARD_URL: origin })] : []),
  ],
});
try {
  await mf.ready;
  const profiler = await attachProfiler(PORT, 'webhook');
  if (step === 'webhook') await coldRequest(mf, 'first /health');
  await profiler.start();
  await coldRequest(mf, step === 'webhook' ? 'first webhook' : 'first /health', `evt_profile_${process.pid}`);
  const { selfTimes, total } = await profiler.stop();
  console.log(`first ${step === 'webhook' ? 'webhook' : '/health'} of ${dir}: ${(total / 1000).toFixed(1)} ms sampled (inspector attached)`);
  for (const [key, us] of selfTimes.slice(0, 20)) {
    console.log(`${(us / 1000).toFixed(2).padStart(7)} ms ${((100 * us) / total).toFixed(0).padStart(3)}%  ${key.slice(0, 110)}`);
  }
} finally {
  await mf.dispose();
  process.exit(0);
}
