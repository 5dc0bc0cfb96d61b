// Shared by the Worker benchmarks: the signed events, the origin, CPU accounting and load.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SECRET = 'whsec_bench_0123456789abcdef';
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
export const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 8);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The guide's payload from the shared fixtures (tests/events.json); signed with node:crypto
// below, on purpose independent of the package under measurement.
const GUIDE_PAYLOAD = JSON.parse(
  JSON.parse(readFileSync(`${ROOT}tests/events.json`, 'utf8')).events.find((e) => e.name === 'guide payload').body,
);

/** The guide's signed conversation.message.created event with this id, created now. */
export function signedEvent(id) {
  const now = Math.floor(Date.now() / 1000);
  const { object } = GUIDE_PAYLOAD.data;
  const body = JSON.stringify({ ...GUIDE_PAYLOAD, id, created_at: now, data: { object: { ...object, created_at: now } } });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-digivault-signature': createHmac('sha256', SECRET).update(body).digest('hex'),
    },
  };
}

/** Starts bench/worker/origin.mjs (its own process, 127.0.0.1) and returns its URL. */
export async function startOrigin(children) {
  const child = spawn(process.execPath, [`${ROOT}bench/worker/origin.mjs`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const line = await new Promise((resolve) => child.stdout.once('data', (chunk) => resolve(String(chunk))));
  return `http://127.0.0.1:${JSON.parse(line).port}/webhooks`;
}

/**
 * Where Miniflare keeps the Workers' storage (Durable Objects' SQLite, KV): its temporary
 * directory, under `os.tmpdir()`. workerd commits every storage write with `fsync`, one per
 * forwarded event for the Rust Worker and the JS reference alike, and on this VM's disk that
 * capped both near the disk's fsync rate (about 200 forwards/s: the forward row measured the
 * disk, not the Workers; docs/performance.md, "The forward row measured the disk"). So by
 * default the storage goes to a fresh directory in `/dev/shm` (RAM), removed at exit;
 * `BENCH_STORAGE=disk` keeps the system's. Call before the first `new Miniflare`. Returns
 * what the report says about it.
 */
export function benchStorage() {
  if (process.env.BENCH_STORAGE === 'disk' || !existsSync('/dev/shm')) return `storage in ${tmpdir()} (disk)`;
  const dir = mkdtempSync('/dev/shm/digivault-bench-');
  process.env.TMPDIR = dir; // os.tmpdir() reads it at each call
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return 'storage in /dev/shm (RAM; BENCH_STORAGE=disk for the disk)';
}

/** The workerd processes Miniflare started for this process (whose CPU time a benchmark charges). */
export function workerdPids() {
  return execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .split('\n')
    .map((pid) => pid.trim())
    .filter((pid) => {
      try {
        return pid !== '' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('workerd');
      } catch {
        return false;
      }
    });
}

/** CPU seconds used so far by these processes' threads, from Linux /proc (schedstat). */
export function cpuSeconds(pids) {
  return Object.values(cpuSecondsByCommand(pids)).reduce((sum, seconds) => sum + seconds, 0);
}

/** The same, per command name (`workerd`, `node`, ...): which process of a group spends it. */
export function cpuSecondsByCommand(pids) {
  const byCommand = {};
  for (const pid of pids) {
    try {
      const command = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      // Nanoseconds on the CPU per thread (V8's compile threads included): the 10 ms ticks of
      // /proc/PID/stat are too coarse for a cold start's 20 to 40 ms.
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const ns = Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
        byCommand[command] = (byCommand[command] ?? 0) + ns / 1e9;
      }
    } catch {
      // exited meanwhile
    }
  }
  return byCommand;
}

/**
 * Loads `base` for `seconds`: 'forward' sends a new event id per request, 'duplicate' one
 * event (forwarded once first) again and again. `pids()` lists the processes whose CPU
 * time is charged to the run.
 */
export async function load(base, scenario, seconds, pids) {
  const fixed = signedEvent(`evt_dup_${randomUUID()}`);
  if (scenario === 'duplicate') {
    const response = await fetch(`${base}/webhooks`, { method: 'POST', ...fixed });
    if (!response.ok) throw new Error(`priming the duplicate failed: ${response.status} ${await response.text()}`);
  }
  const cpuBefore = cpuSecondsByCommand(pids());
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
  const cpuAfter = cpuSecondsByCommand(pids());
  const msPerRequest = (seconds) => (seconds * 1000) / result.requests.total;
  const cpuByCommand = Object.fromEntries(
    Object.entries(cpuAfter).map(([command, seconds]) => [command, msPerRequest(seconds - (cpuBefore[command] ?? 0))]),
  );
  return {
    cpuMs: Object.values(cpuByCommand).reduce((sum, ms) => sum + ms, 0),
    cpuByCommand,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** The median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Warms `targets` ([name, base, pids], ours first) up, then runs both scenarios with the
 * targets in the order A B .. B A (A B B A for two), `ROUNDS` times, and returns one row per
 * scenario and target: medians over the runs, with the spread (min, max) of req/s.
 */
export async function compare(targets, scenarios = ['forward', 'duplicate']) {
  // Warm-up, not measured: the first seconds of load run slower (wasm and JS tier-up, the
  // origin's JIT, KV files), and would penalise whichever Worker runs first.
  for (const [, base, pids] of targets) {
    await load(base, 'forward', WARM_UP_SECONDS, pids);
    await load(base, 'duplicate', 2, pids);
  }
  const rows = [];
  for (const scenario of scenarios) {
    const runs = new Map(targets.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, base, pids] of [...targets, ...[...targets].reverse()]) {
        const r = await load(base, scenario, SECONDS, pids);
        runs.get(name).push(r);
        console.error(
          `${scenario} ${name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ` +
            `${r.cpuMs.toFixed(2)} ms CPU/request (` +
            Object.entries(r.cpuByCommand).map(([command, ms]) => `${command} ${ms.toFixed(2)}`).join(', ') +
            ')',
        );
      }
    }
    for (const [name, list] of runs) rows.push(summarize(scenario, name, list));
  }
  return rows;
}

/** One row of the report from a scenario's runs of one target. */
export function summarize(scenario, worker, list) {
  const mid = (key) => median(list.map((r) => r[key]));
  const sum = (key) => list.reduce((total, r) => total + r[key], 0);
  const rps = list.map((r) => r.rps);
  return {
    scenario,
    worker,
    runs: list.length,
    rps: mid('rps'),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    p50: mid('p50'),
    p99: mid('p99'),
    cpuMs: mid('cpuMs'),
    total: sum('total'),
    non2xx: sum('non2xx'),
    errors: sum('errors'),
  };
}

/** Prints the rows as a Markdown table, then each target's ratio to each of `bases` (a name or a list). */
export function report(rows, heading, bases = 'js reference') {
  console.log(`\n${heading}\n`);
  console.log('| scenario | worker | req/s (median) | spread | p50 ms | p99 ms | CPU ms/request | requests | non-2xx | errors |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.scenario} | ${r.worker} | ${r.rps.toFixed(0)} | ${r.rpsMin.toFixed(0)}-${r.rpsMax.toFixed(0)} | ` +
        `${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.cpuMs.toFixed(2)} | ${r.total} | ${r.non2xx} | ${r.errors} |`,
    );
  }
  console.log('');
  for (const scenario of new Set(rows.map((r) => r.scenario))) {
    const list = rows.filter((r) => r.scenario === scenario);
    for (const base of [bases].flat()) {
      const reference = list.find((r) => r.worker === base);
      for (const r of list) {
        if (r === reference || !reference) continue;
        console.log(
          `${scenario}: ${r.worker} / ${base} throughput = ${(r.rps / reference.rps).toFixed(2)}x, ` +
            `p99 ${r.p99.toFixed(1)} ms vs ${reference.p99.toFixed(1)} ms, ` +
            `CPU/request ${r.cpuMs.toFixed(2)} ms vs ${reference.cpuMs.toFixed(2)} ms`,
        );
      }
    }
  }
}

/** A Miniflare worker for a Rust build in `dir` (index.js + index_bg.wasm), `DEDUP` bound. */
export function rustWorker(dir, bindings, extra = {}) {
  return {
    name: 'webhook',
    scriptPath: `${ROOT}${dir}/index.js`,
    modules: true,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    kvNamespaces: ['DEDUP'],
    bindings,
    ...extra,
  };
}

/** The webhook script's LEDGER binding as deployed: the EventLedger class of the ops script. */
export const LEDGER_IN_OPS = { LEDGER: { className: 'EventLedger', scriptName: 'ops', useSQLite: true } };

/**
 * The ops script as deployed for a Miniflare `workers` list (name `ops`), hosting the
 * EventLedger class; `bindings`: its variables (the class delivers with the receiver's
 * settings in durable mode). `dir`: another build of it.
 */
export function ledgerHost(bindings, dir = 'build/ops', extra = {}) {
  return {
    name: 'ops',
    scriptPath: `${ROOT}${dir}/index.js`,
    modules: true,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-04-20',
    durableObjects: { LEDGER: { className: 'EventLedger', useSQLite: true } },
    bindings,
    ...extra,
  };
}

/**
 * In place of the ops script, bench/worker/reference/ledger.js: a JS EventLedger doing the same
 * storage work for a claim and a done mark (what a Durable Object written in JS costs).
 */
export function jsLedgerHost() {
  // The wasm object's schema (src/worker/ledger.rs), the same statements in one exec.
  const schema = /const SCHEMA: &str = "([^"]*)";/.exec(readFileSync(`${ROOT}src/worker/ledger.rs`, 'utf8'))?.[1];
  if (!schema) throw new Error('jsLedgerHost: src/worker/ledger.rs no longer has `const SCHEMA: &str = "..."`');
  return {
    name: 'ops',
    scriptPath: `${ROOT}bench/worker/reference/ledger.js`,
    modules: true,
    compatibilityDate: '2026-04-20',
    durableObjects: { LEDGER: { className: 'EventLedger', useSQLite: true } },
    bindings: { SCHEMA: schema },
  };
}

/** One of a cold start's requests to `mf`: `GET /health` (`step` ending so), else a new
 * signed webhook with this id, which must answer 200. */
export async function coldRequest(mf, step, id) {
  if (step.endsWith('/health')) {
    await (await mf.dispatchFetch('http://receiver.test/health')).arrayBuffer();
    return;
  }
  const { body, headers } = signedEvent(id);
  const answer = await mf.dispatchFetch('http://receiver.test/webhooks', { method: 'POST', headers, body });
  if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}: ${await answer.text()}`);
  await answer.arrayBuffer();
}
