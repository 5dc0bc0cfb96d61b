#!/usr/bin/env node
// Benchmark (not a test): acceptance in durable mode against forward mode (both with LEDGER)
// and the JS reference, each in its own Miniflare (workerd, no wrangler), with an origin on
// 127.0.0.1 that answers after ORIGIN_DELAY_MS (50). A new event id per request, as
// bench/worker/workerd-cpu.mjs's forward scenario. For durable mode it then waits until the
// ledger has delivered the backlog and reports the CPU per request including those background
// deliveries (workerd's CPU from the load's start to the backlog's end) and the delivery rate
// the alarms sustained (deliveries / time from the load's start to the backlog's end).
//
//   node bench/worker/durable.mjs   (after make build-worker; BENCH_SECONDS, BENCH_ROUNDS,
//                                    BENCH_CONNECTIONS, ORIGIN_DELAY_MS, MAX_DELIVERIES_IN_FLIGHT)
import { createServer } from 'node:http';
import { Miniflare } from 'miniflare';

import { CONNECTIONS, cpuSeconds, LEDGER_IN_OPS, ledgerHost, load, median, ROOT, ROUNDS, SECONDS, SECRET, sleep, workerdPids } from './common.mjs';

const DELAY_MS = Number(process.env.ORIGIN_DELAY_MS ?? 50);
const IN_FLIGHT = process.env.MAX_DELIVERIES_IN_FLIGHT ?? '32';
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef0123';

let received = 0;
const origin = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }, DELAY_MS);
  });
});
origin.keepAliveTimeout = 60_000;
await new Promise((resolve) => origin.listen(0, '127.0.0.1', resolve));
const originUrl = `http://127.0.0.1:${origin.address().port}/webhooks`;

// As deployed: the EventLedger class (and the admin API's /admin/stats) in the ops script.
const rust = {
  scriptPath: `${ROOT}build/index.js`,
  modules: true,
  modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
  durableObjects: LEDGER_IN_OPS,
  serviceBindings: { OPS: 'ops' },
};
const workers = {
  'rust durable': { ...rust, vars: { DELIVERY_MODE: 'durable', ADMIN_TOKEN, MAX_DELIVERIES_IN_FLIGHT: IN_FLIGHT } },
  'rust forward (LEDGER)': { ...rust, vars: {} },
  'js reference': { scriptPath: `${ROOT}bench/worker/reference/worker.js`, modules: true, vars: {} },
};

async function start({ vars, ...worker }) {
  const before = workerdPids();
  const bindings = { WEBHOOK_SECRET: SECRET, FORWARD_URL: originUrl, ...vars };
  const served = {
    name: 'webhook',
    compatibilityDate: '2026-04-20',
    kvNamespaces: ['DEDUP'],
    ratelimits: { RATE_LIMITER: { simple: { limit: 1_000_000_000, period: 60 } } },
    bindings,
    ...worker,
  };
  const list = worker.durableObjects === LEDGER_IN_OPS ? [served, ledgerHost(bindings)] : [served];
  const mf = new Miniflare({ host: '127.0.0.1', port: 0, handleStructuredLogs: () => {}, workers: list });
  const base = String(await mf.ready).replace(/\/$/, '');
  const pids = workerdPids().filter((pid) => !before.includes(pid));
  return { mf, base, pids: () => pids };
}

/** Waits until the durable ledger has nothing pending or being delivered. */
async function drained(base) {
  for (;;) {
    const response = await fetch(`${base}/admin/stats`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const stats = await response.json();
    if (stats.pending + stats.delivering === 0) return stats;
    await sleep(100);
  }
}

const results = Object.fromEntries(Object.keys(workers).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  // A B C, then C B A.
  const order = round % 2 === 0 ? Object.keys(workers) : Object.keys(workers).reverse();
  for (const name of order) {
    const target = await start(workers[name]);
    try {
      await load(target.base, 'forward', 2, target.pids); // warm-up
      if (name === 'rust durable') await drained(target.base);
      const cpuStart = cpuSeconds(target.pids());
      const receivedStart = received;
      const started = performance.now();
      const run = await load(target.base, 'forward', SECONDS, target.pids);
      const row = { ...run };
      if (name === 'rust durable') {
        await drained(target.base);
        const seconds = (performance.now() - started) / 1000;
        row.cpuWithDeliveriesMs = ((cpuSeconds(target.pids()) - cpuStart) * 1000) / run.total;
        row.deliveriesPerSecond = (received - receivedStart) / seconds;
      }
      results[name].push(row);
      console.error(`${name}: ${run.rps.toFixed(0)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms, ${run.non2xx} non-2xx`);
    } finally {
      await target.mf.dispose();
    }
  }
}
origin.close();
origin.closeAllConnections();

const mid = (rows, key) => median(rows.map((row) => row[key]));
console.log(
  `\n${ROUNDS} rounds x ${SECONDS} s per worker (A B C / C B A, medians), ${CONNECTIONS} connections, ` +
    `origin answers after ${DELAY_MS} ms, MAX_DELIVERIES_IN_FLIGHT ${IN_FLIGHT}; CPU = workerd only\n`,
);
console.log('| worker | req/s | p50 ms | p99 ms | CPU ms/request (acceptance) | CPU ms/request incl. deliveries | deliveries/s (alarms) | non-2xx |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [name, rows] of Object.entries(results)) {
  const durable = name === 'rust durable';
  console.log(
    `| ${name} | ${mid(rows, 'rps').toFixed(0)} | ${mid(rows, 'p50').toFixed(1)} | ${mid(rows, 'p99').toFixed(1)} | ` +
      `${mid(rows, 'cpuMs').toFixed(2)} | ${durable ? mid(rows, 'cpuWithDeliveriesMs').toFixed(2) : '-'} | ` +
      `${durable ? mid(rows, 'deliveriesPerSecond').toFixed(0) : '-'} | ${rows.reduce((sum, row) => sum + row.non2xx, 0)} |`,
  );
}
process.exit(0);
