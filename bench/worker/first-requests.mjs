#!/usr/bin/env node
// Where a cold start's CPU goes (not a test): in a fresh workerd (Miniflare) per sample, the CPU
// of each of the first four requests (/health, a new webhook, /health, a new webhook), for the
// hand-written JS reference and a Rust build, medians of BENCH_ROUNDS samples (default 8).
// docs/performance.md, "What a webhook request loads".
//
//   node bench/worker/first-requests.mjs [DIR] [kv]   DIR: a build (default build, the webhook
//       script; e.g. target/worker-variants/webhook-no-ledger with kv); kv: no LEDGER binding
import { cpus, loadavg } from 'node:os';
import { Miniflare } from 'miniflare';

import { COMPATIBILITY_DATE } from '../../scripts/lib/built-worker.mjs';

import { ROOT, SECRET, cpuSeconds, median, signedEvent, sleep, startOrigin, workerdPids } from './common.mjs';

const [dir = 'build', mode = 'ledger'] = process.argv.slice(2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const children = [];
process.on('exit', () => children.forEach((child) => child.exitCode === null && child.kill()));
const origin = await startOrigin(children);
const vars = { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin };
const rust = {
  name: 'webhook',
  scriptPath: `${ROOT}${dir}/index.js`,
  modules: true,
  modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
  kvNamespaces: ['DEDUP'],
  bindings: vars,
  ...(mode === 'kv' ? {} : { durableObjects: { LEDGER: { className: 'EventLedger', useSQLite: true } } }),
};
const js = { name: 'js', scriptPath: `${ROOT}bench/worker/reference/worker.js`, modules: true, kvNamespaces: ['DEDUP'], bindings: vars };
const STEPS = ['first /health', 'first webhook', 'second /health', 'second webhook'];

let counter = 0;
/** CPU ms of each step in one fresh workerd (read 30 ms after each answer: work after it counts). */
async function sample(worker) {
  const before = new Set(workerdPids());
  // The date is each worker's option (at the top level it is ignored when `workers` is given).
  const mf = new Miniflare({ handleStructuredLogs: () => {}, workers: [{ compatibilityDate: COMPATIBILITY_DATE, ...worker }] });
  try {
    await mf.ready;
    const pids = workerdPids().filter((pid) => !before.has(pid));
    const cpu = [];
    let last = cpuSeconds(pids);
    for (const step of STEPS) {
      if (step.endsWith('/health')) {
        await (await mf.dispatchFetch('http://receiver.test/health')).arrayBuffer();
      } else {
        const { body, headers } = signedEvent(`evt_first_${process.pid}_${counter++}`);
        const answer = await mf.dispatchFetch('http://receiver.test/webhooks', { method: 'POST', headers, body });
        if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}: ${await answer.text()}`);
        await answer.arrayBuffer();
      }
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

console.log(`CPU ms per request in a fresh workerd, medians of ${ROUNDS}; ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`${'worker'.padEnd(40)} ${STEPS.map((step) => step.padStart(15)).join('')}`);
for (const [name, worker] of [['js reference (KV)', js], [`${dir} (${mode === 'kv' ? 'KV mode' : 'LEDGER'})`, rust]]) {
  const rows = [];
  for (let round = 0; round < ROUNDS; round++) rows.push(await sample(worker));
  console.log(`${name.padEnd(40)} ${STEPS.map((_, i) => median(rows.map((row) => row[i])).toFixed(1).padStart(15)).join('')}`);
}
process.exit(0);
