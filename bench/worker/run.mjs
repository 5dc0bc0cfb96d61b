#!/usr/bin/env node
// Benchmark (not a test): this repository's Worker (build/, Rust + wasm) with the delivery
// ledger (LEDGER, the EventLedger Durable Object) and in KV mode (no LEDGER), against a
// reference Worker written by hand in plain JS with WebCrypto (bench/worker/reference/worker.js),
// all under `wrangler dev` (real workerd, local KV and Durable Object storage on disk) on
// 127.0.0.1, in the same run, forwarding to the same local origin. Load comes from
// autocannon, bounded in time. Then bench/worker/cross-isolate.mjs (duplicates whose ids the
// other isolate forwarded, so the ledger answers).
//
//   make bench-worker            (builds the Worker first)
//   node bench/worker/run.mjs    (BENCH_SECONDS=10, BENCH_CONNECTIONS=10, BENCH_ROUNDS=4,
//                                 BENCH_WARM_UP_SECONDS=8)
//
// Scenarios, each run against the three Workers in the order A B C C B A, BENCH_ROUNDS times
// (medians reported, with the spread of req/s):
//   forward    every request is a new event id: rate limit, verify, parse, then the ledger's
//              claim (with a parallel KV read of done:<id>) or KV's read and lease write,
//              POST to the origin, then the ledger's done mark or KV's done write.
//   duplicate  one event id, forwarded once before the run, then sent over and over:
//              rate limit, verify, parse, dedup lookup, 200 duplicate. (The reference reads
//              KV each time; this Worker answers from its isolate's memory of recent ids.)
//
// CPU ms/request is the CPU time of the whole `wrangler dev` process group (wrangler's
// proxy, workerd, its local KV) per request, read from /proc: less sensitive to other load
// on the machine than req/s. bench/worker/workerd-cpu.mjs measures workerd alone.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { HOT_WASM_GZIP_BUDGET } from '../../scripts/build-worker.mjs';
import { freePort } from '../../scripts/lib/free-port.mjs';
import { CONNECTIONS, ROOT, ROUNDS, SECONDS, SECRET, compare, report, sleep, startOrigin } from './common.mjs';

const children = [];

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

/** The processes of a `wrangler dev` process group (wrangler, workerd). */
function groupPids(pgid) {
  return execFileSync('ps', ['-o', 'pid=', '-g', String(pgid)], { encoding: 'utf8' })
    .split('\n')
    .map((pid) => pid.trim())
    .filter(Boolean);
}

/** Starts `wrangler dev` on a generated config for the script `main`; returns [base, pids]. */
async function startWorker(name, main, originUrl, dir, { ledger = false } = {}) {
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
      // Ledger mode, as in the repository's wrangler.toml (DEDUP stays bound and is read): the
      // class in the ops script, run by the same wrangler dev (ops/wrangler.toml).
      ...(ledger
        ? [`[[durable_objects.bindings]]`, `name = "LEDGER"`, `class_name = "EventLedger"`, `script_name = "bench-${name}-ops"`]
        : []),
      '',
    ].join('\n'),
  );
  const opsConfig = join(dir, `${name}-ops.wrangler.toml`);
  if (ledger) {
    await writeFile(
      opsConfig,
      [
        `name = "bench-${name}-ops"`,
        `main = ${JSON.stringify(join(ROOT, 'build/ops/index.js'))}`,
        `compatibility_date = "2026-04-20"`,
        `[[durable_objects.bindings]]`,
        `name = "LEDGER"`,
        `class_name = "EventLedger"`,
        `[[migrations]]`,
        `tag = "v1"`,
        `new_sqlite_classes = ["EventLedger"]`,
        '',
      ].join('\n'),
    );
  }
  const port = await freePort();
  const inspectorPort = await freePort();
  const child = spawn(
    join(ROOT, 'node_modules/.bin/wrangler'),
    [
      'dev',
      '--config', config,
      ...(ledger ? ['--config', opsConfig] : []),
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
      if ((await fetch(`${base}/health`)).ok) return [base, () => groupPids(child.pid)];
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev (${name}) not ready:\n${errors}`);
    await sleep(300);
  }
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'dv-bench-'));
  try {
    const wasm = readFileSync(join(ROOT, 'build/index_bg.wasm'));
    const origin = await startOrigin(children);
    const targets = [
      ['rust + LEDGER', ...(await startWorker('rust-ledger', join(ROOT, 'build/index.js'), origin, dir, { ledger: true }))],
      ['rust, KV mode', ...(await startWorker('rust', join(ROOT, 'build/index.js'), origin, dir))],
      ['js reference', ...(await startWorker('reference', join(ROOT, 'bench/worker/reference/worker.js'), origin, dir))],
    ];
    const rows = await compare(targets);
    report(
      rows,
      `${2 * ROUNDS} x ${SECONDS} s per worker and scenario (A B C C B A x ${ROUNDS}, medians shown), ` +
        `${CONNECTIONS} connections, autocannon -> wrangler dev (workerd) on 127.0.0.1`,
    );
    const gzip = gzipSync(wasm, { level: 9 }).length;
    console.log(
      `build/index_bg.wasm: ${wasm.length} bytes, ${gzip} bytes gzip ` +
        `(${(gzip / 1024).toFixed(1)} KiB; budget ${HOT_WASM_GZIP_BUDGET} B, issue 20's target 122880 B)`,
    );
  } finally {
    stopAll();
    await sleep(500);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
