#!/usr/bin/env node
// Benchmark (not a test): this repository's Worker (build/, Rust + wasm) against a reference
// Worker written by hand in plain JS with WebCrypto (bench/worker/reference/worker.js), both
// under `wrangler dev` (real workerd, local KV on disk) on 127.0.0.1, in the same run, both
// forwarding to the same local origin. Load comes from autocannon, bounded in time.
//
//   make bench-worker            (builds the Worker first)
//   node bench/worker/run.mjs    (BENCH_SECONDS=10, BENCH_CONNECTIONS=10, BENCH_ROUNDS=2)
//
// CPU ms/request is the CPU time of the whole `wrangler dev` process group (wrangler's
// proxy, workerd, its local KV) per request, read from /proc: less sensitive to other load
// on the machine than req/s.
//
// Scenarios, each run against both Workers:
//   forward    every request is a new event id: rate limit, verify, parse, 2 KV reads,
//              KV lease write, POST to the origin, KV done write.
//   duplicate  one event id, forwarded once before the run, then sent over and over:
//              rate limit, verify, parse, dedup lookup, 200 duplicate. (The reference reads
//              KV each time; this Worker answers from its isolate's memory of recent ids.)
import { execFileSync, spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SECRET = 'whsec_bench_0123456789abcdef';
const children = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function stopAll() {
  for (const child of children) {
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll();
    process.exit(130);
  });
}

/** wrangler dev's process group (wrangler, workerd) for each base URL. */
const groups = new Map();

/**
 * CPU seconds used so far by a `wrangler dev` process group (Linux /proc): unlike req/s, a
 * per-request CPU cost is barely moved by other load on the machine.
 */
function cpuSeconds(base) {
  try {
    const pids = execFileSync('ps', ['-o', 'pid=', '-g', String(groups.get(base))], { encoding: 'utf8' })
      .split('\n')
      .map((pid) => pid.trim())
      .filter(Boolean);
    let ticks = 0;
    for (const pid of pids) {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
      } catch {
        // exited meanwhile
      }
    }
    return ticks / 100;
  } catch {
    return NaN;
  }
}

async function startOrigin() {
  const child = spawn(process.execPath, [join(ROOT, 'bench/worker/origin.mjs')], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const line = await new Promise((resolve) => child.stdout.once('data', (chunk) => resolve(String(chunk))));
  return `http://127.0.0.1:${JSON.parse(line).port}/webhooks`;
}

/** Starts `wrangler dev` on a generated config for the script `main`. */
async function startWorker(name, main, originUrl, dir) {
  const config = join(dir, `${name}.wrangler.toml`);
  // Same bindings as the repository's wrangler.toml, minus [build] (prebuilt) and assets;
  // the rate limiter is kept (it is called on every request) with a limit the load cannot hit.
  await writeFile(
    config,
    [
      `name = "bench-${name}"`,
      `main = ${JSON.stringify(main)}`,
      `compatibility_date = "2026-04-20"`,
      `[vars]`,
      `FORWARD_TIMEOUT_MS = "25000"`,
      `[[kv_namespaces]]`,
      `binding = "DEDUP"`,
      `id = "bench-${name}"`,
      `[[ratelimits]]`,
      `name = "RATE_LIMITER"`,
      `namespace_id = "4041"`,
      `simple = { limit = 1000000000, period = 60 }`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const inspectorPort = await freePort();
  const child = spawn(
    join(ROOT, 'node_modules/.bin/wrangler'),
    [
      'dev',
      '--config', config,
      '--ip', '127.0.0.1',
      '--port', String(port),
      '--inspector-port', String(inspectorPort),
      '--persist-to', join(dir, `${name}-state`),
      '--var', `FORWARD_URL:${originUrl}`,
      '--var', `WEBHOOK_SECRET:${SECRET}`,
      '--log-level', 'error',
    ],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', CI: '1' },
    },
  );
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk));
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev (${name}) exited:\n${errors}`);
    try {
      if ((await fetch(`${base}/health`)).ok) {
        groups.set(base, child.pid);
        return base;
      }
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev (${name}) not ready:\n${errors}`);
    await sleep(300);
  }
}

function signedEvent(id) {
  const now = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    id,
    type: 'conversation.message.created',
    created_at: now,
    data: {
      object: {
        id: 'xgQQXg3hrtjh7AvZ',
        conversation_id: 'WAz8eIbvDR60rouK',
        contact: { id: 'WAz8eIbvDR60rouK', username: 'FrankMcCallister', name: 'Frank McCallister' },
        message: 'Hello, world!',
        created_at: now,
      },
    },
  });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-digivault-signature': createHmac('sha256', SECRET).update(body).digest('hex'),
    },
  };
}

async function load(base, scenario, seconds) {
  const fixed = signedEvent(`evt_dup_${randomUUID()}`);
  if (scenario === 'duplicate') {
    // Forward it once first, so that the load measures the duplicate path only.
    const response = await fetch(`${base}/webhooks`, { method: 'POST', ...fixed });
    if (!response.ok) throw new Error(`priming the duplicate failed: ${response.status} ${await response.text()}`);
  }
  const cpuBefore = cpuSeconds(base);
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/webhooks',
        setupRequest: (request) => ({
          ...request,
          ...(scenario === 'forward' ? signedEvent(`evt_${randomUUID()}`) : fixed),
        }),
      },
    ],
  });
  return {
    cpuMs: ((cpuSeconds(base) - cpuBefore) * 1000) / result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'dv-bench-'));
  try {
    const wasm = readFileSync(join(ROOT, 'build/index_bg.wasm'));
    const origin = await startOrigin();
    const ours = await startWorker('rust', join(ROOT, 'build/index.js'), origin, dir);
    const reference = await startWorker('reference', join(ROOT, 'bench/worker/reference/worker.js'), origin, dir);
    const targets = [
      ['rust (this repo)', ours],
      ['js reference', reference],
    ];

    // Warm both isolates up (JIT, wasm compilation, KV files).
    for (const [, base] of targets) await load(base, 'forward', 2);

    // A B B A (repeated BENCH_ROUNDS times) per scenario, so that drift and load from
    // other processes hit both alike; each row is the mean over its runs.
    const rows = [];
    for (const scenario of ['forward', 'duplicate']) {
      const runs = new Map(targets.map(([name]) => [name, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, base] of [targets[0], targets[1], targets[1], targets[0]]) {
          const r = await load(base, scenario, SECONDS);
          runs.get(name).push(r);
          console.error(
            `${scenario} ${name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ` +
              `${r.cpuMs.toFixed(2)} ms CPU/request`,
          );
        }
      }
      for (const [name, list] of runs) {
        const mean = (key) => list.reduce((sum, r) => sum + r[key], 0) / list.length;
        const sum = (key) => list.reduce((total, r) => total + r[key], 0);
        rows.push({
          scenario,
          worker: name,
          rps: mean('rps'),
          p50: mean('p50'),
          p99: mean('p99'),
          cpuMs: mean('cpuMs'),
          total: sum('total'),
          non2xx: sum('non2xx'),
          errors: sum('errors'),
        });
      }
    }

    console.log(
      `\n${2 * ROUNDS} x ${SECONDS} s per worker and scenario (A B B A x ${ROUNDS}, means shown), ${CONNECTIONS} connections, ` +
        'autocannon -> wrangler dev (workerd) on 127.0.0.1\n',
    );
    console.log('| scenario | worker | req/s | p50 ms | p99 ms | CPU ms/request | requests | non-2xx | errors |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rows) {
      console.log(
        `| ${r.scenario} | ${r.worker} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.cpuMs.toFixed(2)} | ${r.total} | ${r.non2xx} | ${r.errors} |`,
      );
    }
    console.log('');
    for (const scenario of ['forward', 'duplicate']) {
      const [rust, js] = rows.filter((r) => r.scenario === scenario);
      console.log(
        `${scenario}: throughput ratio rust/js = ${(rust.rps / js.rps).toFixed(2)}x, ` +
          `p99 ${rust.p99.toFixed(1)} ms vs ${js.p99.toFixed(1)} ms, ` +
          `CPU/request ${rust.cpuMs.toFixed(2)} ms vs ${js.cpuMs.toFixed(2)} ms`,
      );
    }
    console.log(
      `build/index_bg.wasm: ${wasm.length} bytes, ${gzipSync(wasm, { level: 9 }).length} bytes gzip ` +
        `(${(gzipSync(wasm, { level: 9 }).length / 1024).toFixed(1)} KiB; target <= 150 KiB)`,
    );
  } finally {
    stopAll();
    await sleep(500);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
