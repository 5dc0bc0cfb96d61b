#!/usr/bin/env node
// Measures `make dev` as a developer lives it (a benchmark, not a test: figures in
// docs/development.md, "make dev"):
//   warm start      from running scripts/dev.sh to the first 200 from /health, everything built;
//   change served   from saving a change in src/ to the first answer from the new build: the
//                   change makes /health answer a new status text, so "served" means the new
//                   code answered, not merely that something did. Each round changes the text,
//                   then restores it (a second change, measured too); the change is saved by
//                   rename, as editors with "atomic save" do, the restore in place.
// It edits src/receiver/reply.rs (restored at the end, also on Ctrl-C): run it in a worktree
// where nothing else builds.
//
//   node bench/dev/dev-loop.mjs [rounds=3]
import { spawn } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/lib/free-port.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FILE = join(root, 'src/receiver/reply.rs');
// The body of `Reply::health` (`{"status":"ok","mode":...}`): what /health answers.
const LINE = /(r#"\{\{"status":)"ok"(,"mode")/;
const rounds = Number(process.argv[2] ?? 3);
const original = readFileSync(FILE, 'utf8');
if (!LINE.test(original) || !original.includes('pub fn health(')) throw new Error(`dev-loop: ${FILE} no longer has the /health status line it edits`);
// Rewritten only when changed: a write makes src/ newer than build/, and the next make dev builds.
const restore = () => readFileSync(FILE, 'utf8') !== original && writeFileSync(FILE, original);

const port = await freePort();
const originPort = await freePort();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

const t0 = performance.now();
const dev = spawn(join(root, 'scripts/dev.sh'), [], {
  cwd: root,
  env: { ...process.env, PORT: String(port), ORIGIN_PORT: String(originPort) },
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true,
});
const log = [];
// DEV_LOOP_LOG=file: make dev's output with each line's time since the start (where the seconds go).
const timed = process.env.DEV_LOOP_LOG ? [] : null;
for (const stream of [dev.stdout, dev.stderr]) {
  stream.on('data', (c) => {
    log.push(String(c));
    if (timed) for (const line of String(c).split('\n')) if (line.trim()) timed.push(`${((performance.now() - t0) / 1000).toFixed(2).padStart(8)}  ${line}`);
  });
}
const stop = () => {
  restore();
  if (timed) writeFileSync(process.env.DEV_LOOP_LOG, timed.join('\n') + '\n');
  try {
    process.kill(-dev.pid, 'SIGTERM');
  } catch {}
};
process.on('SIGINT', () => {
  stop();
  process.exit(130);
});

/** Polls /health until `ok(status, body)`; resolves to the time since `from`, with what was seen on the way. */
async function until(ok, from, limitMs = 900_000) {
  const seen = new Map();
  while (performance.now() - from < limitMs) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      const key = `${res.status} ${JSON.parse(body).code ?? JSON.parse(body).status}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (ok(res.status, body)) return { ms: performance.now() - from, seen: Object.fromEntries(seen) };
    } catch (error) {
      const key = error.cause?.code ?? error.name;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    await sleep(100);
  }
  stop();
  throw new Error(`dev-loop: not served within ${limitMs / 1000} s; make dev printed:\n${log.join('')}`);
}

try {
  const start = await until((status, body) => status === 200 && body.includes('"ok"'), t0);
  console.log(`warm start: ${seconds(start.ms)} to the first 200 from /health (answers on the way: ${JSON.stringify(start.seen)})`);
  const figures = [];
  for (let round = 1; round <= rounds; round++) {
    // The change saved as editors with "atomic save" do (a new file renamed over it), its undo in place.
    for (const [label, text, atomic] of [[`ok-r${round}`, `"ok-r${round}"`, true], ['ok', '"ok"', false]]) {
      await sleep(1500); // a developer does not save twice in the same second
      const from = performance.now();
      timed?.push(`${((from - t0) / 1000).toFixed(2).padStart(8)}  -- bench: saved /health -> "${label}"${atomic ? ' (by rename)' : ''}`);
      const changed = original.replace(LINE, `$1${text}$2`);
      if (atomic) {
        writeFileSync(`${FILE}.tmp-save`, changed);
        renameSync(`${FILE}.tmp-save`, FILE);
      } else writeFileSync(FILE, changed);
      const served = await until((status, body) => status === 200 && body.includes(`"${label}"`), from, 180_000);
      figures.push(served.ms);
      console.log(`round ${round}, /health -> "${label}": served ${seconds(served.ms)} after the change (answers on the way: ${JSON.stringify(served.seen)})`);
    }
  }
  if (rounds === 0) process.exit((stop(), 0));
  // A change that does not compile: requests get 503 DEV_BUILD_FAILED (not a hang), then the fix is served.
  await sleep(1500);
  let from = performance.now();
  writeFileSync(FILE, original.replace('pub fn health(', 'pub fn health(,'));
  const failed = await until((status, body) => status === 503 && body.includes('DEV_BUILD_FAILED'), from);
  console.log(`a change that does not compile: 503 DEV_BUILD_FAILED ${seconds(failed.ms)} after it (answers on the way: ${JSON.stringify(failed.seen)})`);
  await sleep(1500);
  from = performance.now();
  restore();
  const fixed = await until((status, body) => status === 200 && body.includes('"ok"'), from);
  console.log(`its fix: served ${seconds(fixed.ms)} after it (answers on the way: ${JSON.stringify(fixed.seen)})`);
  const output = log.join('');
  const count = (pattern) => (output.match(pattern) ?? []).length;
  console.log(`make dev's own log: ${count(/dev: building the Worker/g)} builds (1 at start, then one per change: ${2 * rounds + 2} changes), ${count(/Reloading local server/g)} wrangler reloads, ${count(/, release\)/g)} release builds (wasm-opt)`);
  const sorted = [...figures].sort((a, b) => a - b);
  console.log(`change served: median ${seconds(sorted[Math.floor(sorted.length / 2)])}, ${seconds(sorted[0])} to ${seconds(sorted.at(-1))} over ${figures.length} changes; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  stop();
}
