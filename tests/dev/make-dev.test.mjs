// `make dev` end to end, as a newcomer lives it: scripts/dev.sh as a real process (its front door,
// the development build of both scripts, wrangler dev, the demo origin) in a temporary copy of
// the project, on free ports. The banner's own send command is run as printed; the event reaches
// the origin and the admin API (with the ADMIN_TOKEN make dev generated); a change in the copy's
// src/ is served; a change that does not compile gets 503 DEV_BUILD_FAILED and its fix is served
// (saved by rename, in place, then by rename: every save is seen, however an editor writes);
// then the whole process group is stopped, and nothing of it is left running.
//
// The copy starts with copies of the repository's development cargo caches (target/dev-NAME),
// brought up to date first by `build-worker.mjs --dev --stage TMP` in the repository (cargo's
// caches only: its build/ and src/ are not touched), so that only this crate compiles in the
// copy. Without them (a fresh clone) that first build compiles the dependencies: minutes.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ROOT, freePort, sleep } from '../worker/helpers.mjs';

const DEPLOYED = ['webhook', 'ops'];
/** What make dev reads in the project (git-ignored pkg/ and www/pkg/ included); node_modules is linked. */
// (.cargo: its rustflags are part of every dependency's cargo hash; README.md: src/lib.rs's docs.)
const COPIED = ['src', 'scripts', 'Cargo.toml', 'Cargo.lock', '.cargo', 'README.md', 'wrangler.toml', 'ops', 'www', 'pkg', '.dev.vars.example'];
const HEALTH_BODY = /(r#"\{\{"status":)"ok"(,"mode")/;

let copy;
let dev;
let base;
let output = '';

/** make dev's output from `from` on (an offset in `output`). */
const since = (from) => output.slice(from);

/** Polls `check` every 250 ms until it returns a value; fails with make dev's output after `ms`. */
async function until(check, what, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (dev.exitCode !== null) throw new Error(`make dev exited (${dev.exitCode}) before ${what}:\n${output.slice(-6000)}`);
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not ${what} within ${ms / 1000} s; make dev printed:\n${output.slice(-6000)}`);
    await sleep(250);
  }
}

/** GET /health through the front door: `{ status, body }`, or null when nothing answers. */
async function health() {
  try {
    const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(30_000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return null;
  }
}

/** Runs a shell command line in the copy; resolves to its status and output. */
function shell(line) {
  return new Promise((resolve) => {
    const proc = spawn('sh', ['-c', line], { cwd: copy, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => (stdout += c));
    proc.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/**
 * Saves the copy's reply.rs with /health's status text `text` (or, with `broken`, not
 * compiling): in place, or with `atomic` as many editors do (a new file renamed over it).
 */
function saveHealth(text, { broken = false, atomic = false } = {}) {
  const file = join(copy, 'src/receiver/reply.rs');
  const source = readFileSync(join(ROOT, 'src/receiver/reply.rs'), 'utf8');
  assert.match(source, HEALTH_BODY, "reply.rs no longer has the /health body this test edits");
  let changed = source.replace(HEALTH_BODY, `$1"${text}"$2`);
  if (broken) changed = changed.replace('pub fn health(', 'pub fn health(,');
  if (!atomic) return writeFileSync(file, changed);
  writeFileSync(`${file}.tmp-save`, changed);
  renameSync(`${file}.tmp-save`, file);
}

before(async () => {
  copy = mkdtempSync(join(tmpdir(), 'dv-make-dev-'));
  for (const entry of COPIED) cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  // The repository's development caches, current, then copied with their timestamps.
  const stage = join(copy, 'target', 'repo-stage');
  const warm = spawnSync(process.execPath, ['scripts/build-worker.mjs', '--dev', '--stage', stage], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(warm.status, 0, `the repository's development build failed:\n${warm.stdout}\n${warm.stderr}`);
  rmSync(stage, { recursive: true, force: true });
  // (The stage is not made when the repository's build/ already holds that build.)
  mkdirSync(join(copy, 'target'), { recursive: true });
  for (const name of DEPLOYED) {
    const from = join(ROOT, 'target', `dev-${name}`);
    if (existsSync(from)) assert.equal(spawnSync('cp', ['-a', from, join(copy, 'target', `dev-${name}`)]).status, 0);
  }

  const port = await freePort();
  const originPort = await freePort();
  base = `http://127.0.0.1:${port}`;
  dev = spawn(join(copy, 'scripts/dev.sh'), [], {
    cwd: copy,
    // Its own process group: stopped whole in after().
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(port), ORIGIN_PORT: String(originPort), CI: '1' },
  });
  dev.stdout.on('data', (c) => (output += c));
  dev.stderr.on('data', (c) => (output += c));
});

after(async () => {
  if (dev && dev.exitCode === null) {
    const exited = new Promise((resolve) => dev.once('exit', resolve));
    process.kill(-dev.pid, 'SIGTERM');
    const timer = setTimeout(() => process.kill(-dev.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  // The group outlives its leader while a child (wrangler, workerd, the origin) runs.
  if (dev) {
    const deadline = Date.now() + 15_000;
    while (groupAlive(dev.pid) && Date.now() < deadline) await sleep(200);
    const stray = groupAlive(dev.pid);
    if (stray) process.kill(-dev.pid, 'SIGKILL');
    if (copy) rmSync(copy, { recursive: true, force: true });
    assert.equal(stray, false, 'a process of make dev was still running 15 s after SIGTERM');
  }
});

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

test('make dev serves, prints what works, takes a signed event to the origin and the admin API, serves a change, and a failed build says so', { timeout: 900_000 }, async () => {
  // 1. Served: the banner, with the front door's port (never wrangler's inner one).
  await until(async () => {
    if (/dev: build failed/.test(output)) throw new Error(`the first build failed:\n${output.slice(-6000)}`);
    return (await health())?.status === 200;
  }, 'serving /health', 600_000);
  const banner = await until(() => /a change in src\/ rebuilds the Worker.*\n/.exec(output) && output, 'the banner printed', 10_000);
  assert.match(banner, new RegExp(`dev: serving on ${base.replaceAll('.', '\\.')} `));
  const ports = [...banner.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
  const origin = Number(new URL(/demo origin (http\S+)/.exec(banner)[1]).port);
  assert.deepEqual([...new Set(ports)].sort(), [Number(new URL(base).port), origin].sort(), 'every address printed is the front door or the demo origin');
  assert.match(banner, /console: +http:\/\/127\.0\.0\.1:\d+\/#console +\(sign in with ADMIN_TOKEN from \.dev\.vars\)/);
  assert.match(banner, /generated a local ADMIN_TOKEN into \.dev\.vars/);
  // wrangler's binding tables, printed before the two scripts are linked, say otherwise (step 3 checks it).
  assert.match(banner, /OPS and LEDGER are \[not connected\]: they are, both scripts run in this one wrangler dev/);

  // 2. The banner's send command, run as printed, in the copy.
  const sendLine = /send a signed test event: +(.+)$/m.exec(banner)[1];
  const sent = await shell(sendLine);
  assert.equal(sent.status, 0, `${sendLine}\n${sent.stdout}\n${sent.stderr}`);
  assert.match(sent.stderr, /curl /, '--print-curl printed the curl command');
  const id = await until(() => /\[origin\] event (evt_\S+) \(.*handled/.exec(output)?.[1], 'the event at the demo origin', 30_000);

  // 3. The admin API (the ops script, through the webhook script) knows it, with make dev's token.
  const token = /^ADMIN_TOKEN=([0-9a-f]{64})$/m.exec(readFileSync(join(copy, '.dev.vars'), 'utf8'))[1];
  const admin = await fetch(`${base}/admin/events?state=delivered`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(admin.status, 200);
  assert.deepEqual((await admin.json()).events.map((e) => e.id), [id]);
  const refused = await fetch(`${base}/admin/events?state=delivered`, { headers: { authorization: 'Bearer wrong' } });
  assert.equal(refused.status, 401);

  // 4. A change in src/, saved by rename: requests meanwhile get the new build (held) or a
  // 503, then the new build. The next two saves of the same file (in place, then by rename
  // again) must be seen too: Node's recursive watch lost a file after its first rename.
  let mark = output.length;
  saveHealth('ok-e2e', { atomic: true });
  // From make dev's first word about the change on (its watcher has seen it), never the old build.
  await until(() => /dev: building the Worker/.test(since(mark)), 'the change seen', 30_000);
  const seen = new Set();
  await until(async () => {
    const answer = await health();
    if (answer) seen.add(`${answer.status} ${JSON.parse(answer.body).status === 'error' ? JSON.parse(answer.body).code : JSON.parse(answer.body).status}`);
    return answer?.body.includes('"ok-e2e"');
  }, 'the change served', 300_000);
  assert.match(since(mark), /dev: building the Worker \(src\/receiver\/reply\.rs changed\)/);
  assert.match(since(mark), /dev: served again [\d.]+ s after the change/);
  assert.equal((since(mark).match(/dev: building the Worker/g) ?? []).length, 1, 'one build for one change');
  assert.doesNotMatch(since(mark), /release\)/, 'no release build (wasm-opt) in development');
  for (const answer of seen) assert.match(answer, /^(200 ok-e2e|503 DEV_REBUILDING)$/, `answers after the save: ${[...seen]}`);

  // 5. A change that does not compile: the compiler's error once, a clear line, 503 DEV_BUILD_FAILED.
  mark = output.length;
  saveHealth('ok-e2e', { broken: true });
  const failed = await until(async () => {
    const answer = await health();
    return answer?.status === 503 && JSON.parse(answer.body).code === 'DEV_BUILD_FAILED' && answer;
  }, 'DEV_BUILD_FAILED', 300_000);
  assert.match(JSON.parse(failed.body).message, /fix src\/ and save/);
  await until(() => /dev: build failed/.test(since(mark)), 'the failure line', 10_000);
  assert.match(since(mark), /error: expected parameter name/);
  assert.equal((since(mark).match(/error: expected parameter name/g) ?? []).length, 1, 'the same error is printed once, not once per script');
  assert.match(since(mark), /dev: build failed after [\d.]+ s \(the compiler's output is above\): requests get 503 DEV_BUILD_FAILED until you fix it and save/);

  // 6. Its fix is served.
  mark = output.length;
  saveHealth('ok-fixed', { atomic: true });
  await until(async () => (await health())?.body.includes('"ok-fixed"'), 'the fix served', 300_000);
  assert.match(since(mark), /dev: served again/);
});
