#!/usr/bin/env node
// Benchmark (not a test): what `digivault-webhooks listen` costs and how fast it is.
//  1. The webhook path (forward mode, LEDGER, an origin on 127.0.0.1 answering at once) with one
//     registered, connected listener against the same Worker without LISTEN_TOKEN: latency
//     and workerd CPU per event (the hub's work and its sends included: they run in workerd),
//     alternating rounds, medians.
//  2. Delivery latency through the real CLI, one event at a time: from the start of
//     DigiVault's POST to the local server's receipt, beside the Worker's answer time
//     (development mode: 202 once stored for the listeners, and the hub sends the event
//     before that answer leaves, so the receipt may come first; forward mode: after the
//     origin's 200, the copy is handed over in waitUntil).
// The listener is the real CLI (src/js/cli.js listen) as its own process, posting to a
// server in this process (its CPU is not charged to the Worker).
//
//   node bench/worker/listen.mjs   (after make build-worker; BENCH_SECONDS, BENCH_ROUNDS,
//                                   BENCH_CONNECTIONS, LATENCY_EVENTS)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Miniflare } from 'miniflare';

import { CONNECTIONS, ROOT, ROUNDS, SECONDS, SECRET, load, median, signedEvent, sleep, workerdPids } from './common.mjs';

const LISTEN_TOKEN = 'bench-listen-token-0123456789abcdef0123';
const LATENCY_EVENTS = Number(process.env.LATENCY_EVENTS ?? 200);
const children = [];

/** An HTTP server on 127.0.0.1 answering 200 at once; `onRequest(req)` sees each one. */
async function server(onRequest = () => {}) {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      onRequest(req);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  s.keepAliveTimeout = 60_000;
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${s.address().port}/webhooks`, close: () => s.close() };
}

async function start(vars) {
  const before = new Set(workerdPids());
  const common = { modules: true, modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }], compatibilityDate: '2026-04-20' };
  // The two scripts as deployed: the webhook script (serving) and the ops script behind OPS.
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    handleStructuredLogs: () => {},
    workers: [
      {
        ...common,
        name: 'receiver',
        scriptPath: `${ROOT}build/index.js`,
        // As deployed: the EventLedger class in the ops script.
        durableObjects: { LEDGER: { className: 'EventLedger', scriptName: 'ops', useSQLite: true } },
        kvNamespaces: ['DEDUP'],
        ratelimits: { RATE_LIMITER: { simple: { limit: 1_000_000_000, period: 60 } } },
        serviceBindings: { OPS: 'ops' },
        bindings: { WEBHOOK_SECRET: SECRET, ...vars },
      },
      {
        ...common,
        name: 'ops',
        scriptPath: `${ROOT}build/ops/index.js`,
        durableObjects: {
          LISTEN: { className: 'ListenHub', useSQLite: true },
          LEDGER: { className: 'EventLedger', useSQLite: true },
        },
        bindings: vars.LISTEN_TOKEN ? { LISTEN_TOKEN: vars.LISTEN_TOKEN } : {},
      },
    ],
  });
  const base = String(await mf.ready).replace(/\/$/, '');
  const pids = workerdPids().filter((pid) => !before.has(pid));
  return { mf, base, pids: () => pids };
}

/** The real CLI listening to `base`, posting to `forwardTo`; resolves once connected. */
async function listener(base, forwardTo) {
  const child = spawn(process.execPath, [`${ROOT}src/js/cli.js`, 'listen', '--url', base, '--forward-to', forwardTo], {
    env: { ...process.env, DIGIVAULT_LISTEN_TOKEN: LISTEN_TOKEN },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  await new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => String(chunk).includes('connected to') && resolve());
    child.on('exit', (code) => reject(new Error(`listen exited ${code}`)));
  });
  return child;
}

const ms = (value) => value.toFixed(2);

try {
  // 1. The webhook path with and without a listener.
  let localCount = 0;
  const origin = await server();
  const local = await server(() => localCount++);
  const withListener = await start({ FORWARD_URL: origin.url, LISTEN_TOKEN });
  await listener(withListener.base, local.url);
  const without = await start({ FORWARD_URL: origin.url });
  const runs = { 'no LISTEN_TOKEN': [], 'one listener connected': [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, worker] of [['no LISTEN_TOKEN', without], ['one listener connected', withListener]]) {
      const result = await load(worker.base, 'forward', SECONDS, worker.pids);
      if (result.non2xx || result.errors) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      runs[name].push(result);
    }
  }
  const sent = runs['one listener connected'].reduce((sum, r) => sum + r.total, 0);
  // Every event of the listener runs reaches the local server (a bound, not a speed check).
  for (let waited = 0; localCount < sent && waited < 120_000; waited += 100) await sleep(100);
  console.log(`\nWebhook path, forward mode with LEDGER, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s each (medians):`);
  console.log('| Worker | events/s | p50 ms | p99 ms | workerd CPU ms/event |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, results] of Object.entries(runs)) {
    const m = (key) => median(results.map((r) => r[key]));
    console.log(`| ${name} | ${Math.round(m('rps'))} | ${m('p50')} | ${m('p99')} | ${ms(m('cpuMs'))} |`);
  }
  // (autocannon's total counts the answers read in time; requests still in flight at the end complete too.)
  console.log(`(the listener's local server received ${localCount} events; the runs with a listener counted ${sent} answers)`);
  await withListener.mf.dispose();
  await without.mf.dispose();

  // 2. Delivery latency, one event at a time.
  const received = new Map();
  const latencyLocal = await server((req) => received.set(req.headers['x-digivault-event-id'], performance.now()));
  for (const [name, vars] of [
    ['development mode (202 once stored)', { LISTEN_TOKEN }],
    ['forward mode (after the origin\'s 200)', { LISTEN_TOKEN, FORWARD_URL: origin.url }],
  ]) {
    const worker = await start(vars);
    await listener(worker.base, latencyLocal.url);
    const latencies = [];
    const answers = [];
    for (let i = 0; i < LATENCY_EVENTS + 20; i++) {
      const id = `evt_${randomUUID()}`;
      const posted = performance.now();
      const response = await fetch(`${worker.base}/webhooks`, { method: 'POST', ...signedEvent(id) });
      await response.text();
      const answered = performance.now() - posted;
      if (!response.ok) throw new Error(`${name}: ${response.status}`);
      for (let waited = 0; !received.has(id) && waited < 10_000; waited += 1) await sleep(1);
      if (!received.has(id)) throw new Error(`${name}: ${id} never reached the local server`);
      // The first 20 warm up.
      if (i >= 20) {
        latencies.push(received.get(id) - posted);
        answers.push(answered);
      }
    }
    const at = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];
    const spread = (values) => `p50 ${ms(at(values, 0.5))} ms, p90 ${ms(at(values, 0.9))} ms, p99 ${ms(at(values, 0.99))} ms`;
    console.log(`\n${name}, ${LATENCY_EVENTS} events one at a time:`);
    console.log(`  DigiVault's POST -> the Worker's answer:       ${spread(answers)}`);
    console.log(`  DigiVault's POST -> the local server's receipt: ${spread(latencies)}`);
    await worker.mf.dispose();
  }
  origin.close();
  local.close();
  latencyLocal.close();
} finally {
  for (const child of children) child.kill();
}
