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
  const targets = await (await fetch(`http://127.0.0.1:${PORT}/json`)).json();
  const socket = new WebSocket((targets.find((t) => t.title?.includes('webhook')) ?? targets[0]).webSocketDebuggerUrl);
  await new Promise((resolve) => socket.addEventListener('open', resolve));
  let id = 0;
  const pending = new Map();
  socket.addEventListener('message', ({ data }) => {
    const message = JSON.parse(data);
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  const send = (method, params = {}) => new Promise((resolve) => {
    pending.set(++id, resolve);
    socket.send(JSON.stringify({ id, method, params }));
  });
  if (step === 'webhook') await coldRequest(mf, 'first /health');
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 50 });
  await send('Profiler.start');
  await coldRequest(mf, step === 'webhook' ? 'first webhook' : 'first /health', `evt_profile_${process.pid}`);
  const { profile } = (await send('Profiler.stop')).result;
  socket.close();
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  profile.samples.forEach((sample, i) => {
    const { functionName, url } = nodes.get(sample).callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`first ${step === 'webhook' ? 'webhook' : '/health'} of ${dir}: ${(total / 1000).toFixed(1)} ms sampled (inspector attached)`);
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    console.log(`${(us / 1000).toFixed(2).padStart(7)} ms ${((100 * us) / total).toFixed(0).padStart(3)}%  ${key.slice(0, 110)}`);
  }
} finally {
  await mf.dispose();
  process.exit(0);
}
