#!/usr/bin/env node
// Benchmark (not a test), part of `make bench-worker`: duplicates whose ids were forwarded
// by ANOTHER isolate, so that the delivery ledger answers (not the isolate's memory).
// Miniflare (workerd, no wrangler proxy) runs the built Worker twice, as two named Workers
// sharing one ledger (the ops script's EventLedger class, which both bind by scriptName)
// and one KV namespace, next to the JS reference Worker; each listens on its own port.
//
//   duplicate-elsewhere  (rust + LEDGER) BENCH_IDS ids (default 3000) forwarded through B,
//                        then each sent once to A: verify, parse, the ledger's claim
//                        answers done, 200 duplicate.
//   duplicate            (js reference) one id forwarded once, then sent over and over:
//                        verify, parse, a KV read, 200 duplicate.
//
// Order A B B A, BENCH_ROUNDS times; medians with the spread of req/s. CPU = workerd only.
//   node bench/worker/cross-isolate.mjs   (after make build-worker)
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { Miniflare } from 'miniflare';

import { CONNECTIONS, cpuSeconds, LEDGER_IN_OPS, ledgerHost, load, report, ROOT, ROUNDS, SECONDS, SECRET, signedEvent, startOrigin, summarize, workerdPids } from './common.mjs';

const IDS = Number(process.env.BENCH_IDS ?? 3000);
const children = [];
const stopOrigin = () => {
  for (const child of children) if (child.exitCode === null) child.kill();
};
process.on('exit', stopOrigin);

const origin = await startOrigin(children);
const socket = [{ host: '127.0.0.1', port: 0 }];
// As in the other benchmarks: the rate limiter is called on every request, never limiting.
const ratelimits = { RATE_LIMITER: { simple: { limit: 1_000_000_000, period: 60 } } };
const rust = (name, ledger) => ({
  name,
  scriptPath: `${ROOT}build/index.js`,
  modules: true,
  modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
  compatibilityDate: '2026-04-20',
  kvNamespaces: { DEDUP: 'dedup' },
  durableObjects: { LEDGER: ledger },
  ratelimits,
  bindings: { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin },
  unsafeDirectSockets: socket,
});
const mf = new Miniflare({
  handleStructuredLogs: () => {},
  workers: [
    rust('location-a', LEDGER_IN_OPS.LEDGER),
    rust('location-b', LEDGER_IN_OPS.LEDGER),
    ledgerHost({ WEBHOOK_SECRET: SECRET, FORWARD_URL: origin }),
    {
      name: 'reference',
      scriptPath: `${ROOT}bench/worker/reference/worker.js`,
      modules: true,
      compatibilityDate: '2026-04-20',
      kvNamespaces: { DEDUP: 'reference' },
      ratelimits,
      bindings: { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin },
      unsafeDirectSockets: socket,
    },
  ],
});
await mf.ready;
const base = async (name) => String(await mf.unsafeGetDirectURL(name)).replace(/\/$/, '');
const [a, b, reference] = [await base('location-a'), await base('location-b'), await base('reference')];
const pids = workerdPids();

/** Forwards `count` new ids through `at`; returns their signed events. */
async function prime(at, count) {
  const events = Array.from({ length: count }, () => signedEvent(`evt_${randomUUID()}`));
  let next = 0;
  const result = await autocannon({
    url: at,
    connections: CONNECTIONS,
    amount: count,
    requests: [{ method: 'POST', path: '/webhooks', setupRequest: (request) => ({ ...request, ...events[next++] }) }],
  });
  if (result.non2xx > 0) throw new Error(`priming: ${result.non2xx} non-2xx`);
  return events;
}

/** Each primed event once to `at`: the ledger answers every one. */
async function duplicatesElsewhere() {
  const events = await prime(b, IDS);
  let next = 0;
  const before = cpuSeconds(pids);
  const result = await autocannon({
    url: a,
    connections: CONNECTIONS,
    amount: events.length,
    requests: [{ method: 'POST', path: '/webhooks', setupRequest: (request) => ({ ...request, ...events[next++] }) }],
  });
  return {
    cpuMs: ((cpuSeconds(pids) - before) * 1000) / result.requests.total,
    rps: result.requests.total / (result.duration || 1),
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

try {
  // Warm-up (not measured).
  await load(a, 'forward', 5, () => pids);
  await load(reference, 'duplicate', 3, () => pids);
  const runs = { rust: [], js: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const who of ['rust', 'js', 'js', 'rust']) {
      const r = who === 'rust' ? await duplicatesElsewhere() : await load(reference, 'duplicate', SECONDS, () => pids);
      runs[who].push(r);
      console.error(`${who}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.cpuMs.toFixed(2)} ms CPU/request`);
    }
  }
  report(
    [summarize('duplicate-elsewhere', 'rust + LEDGER', runs.rust), summarize('duplicate', 'js reference', runs.js)].map((row) => ({
      ...row,
      scenario: 'duplicate (rust: ids forwarded by the other isolate)',
    })),
    `${2 * ROUNDS} runs per worker (A B B A x ${ROUNDS}, medians shown; rust: ${IDS} ids each, js: ${SECONDS} s each), ` +
      `${CONNECTIONS} connections, autocannon -> Miniflare (workerd, no wrangler) on 127.0.0.1; CPU = all of workerd`,
  );
} finally {
  await mf.dispose();
  stopOrigin();
}
