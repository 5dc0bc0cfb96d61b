#!/usr/bin/env node
// `make dev` (through scripts/dev.sh): the Worker receiver in real workerd (`wrangler dev`) on
// http://127.0.0.1:PORT (8787) with the local delivery ledger and KV (.wrangler/state), forwarding
// to a demo origin on ORIGIN_PORT (8788) that prints what it receives.
//
// The flow, and why:
// - One development build of the Worker (scripts/build-worker.mjs --dev: no wasm-opt, fast
//   rebuilds) before wrangler starts, and one per change in src/ after that, by this script's
//   own watcher (changes within 200 ms are one change; a change during a build queues one more).
//   wrangler's [build] command is for deploys: `wrangler dev` runs it twice at start (once for
//   the entry, once when its watcher is ready) and once per file event, so wrangler dev here
//   gets a copy of the config without [build] (.wrangler/dev/) and reloads when build/ changes.
// - A front door on PORT (scripts/lib/dev-gate.mjs) in front of wrangler's inner port: while
//   the Worker is building, starting or reloading, a request waits up to DEV_HOLD_MS (10 s),
//   then gets a 503 that says why; when the last build failed, a 503 at once. Nothing hangs.
// - pkg/ and www/pkg/ (the CLI, the demo origin's package, the debugger page) are built first
//   when missing; when older than their sources they are left as they are, and it says so
//   (`make build-www` refreshes them), so that a rebuild of the Worker never waits behind them.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, watch, writeFileSync } from 'node:fs';
import { createServer, get } from 'node:http';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DevGate } from './lib/dev-gate.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const port = Number(process.env.PORT ?? 8787);
const originPort = Number(process.env.ORIGIN_PORT ?? 8788);
const holdMs = Number(process.env.DEV_HOLD_MS ?? 10_000);
const BUILD = ['scripts/build-worker.mjs', '--dev'];
const WATCH = ['src', 'Cargo.toml', 'Cargo.lock'];
const DEV_CONFIG_DIR = join(root, '.wrangler', 'dev');
const started = performance.now();
const since = (t) => `${((performance.now() - t) / 1000).toFixed(1)} s`;
const say = (line) => console.log(`dev: ${line}`);
const children = new Set();

/** A child process whose output goes to this terminal; killed when make dev stops. */
function child(command, args, options = {}) {
  const proc = spawn(command, args, { stdio: 'inherit', ...options });
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  return proc;
}

function stop(code = 0) {
  for (const proc of children) proc.kill('SIGTERM');
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

/** Newest modification time under `path` (a file or a directory), 0 when absent. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), stat.mtimeMs);
}

// 1. Local secrets.
if (!existsSync('.dev.vars')) {
  copyFileSync('.dev.vars.example', '.dev.vars');
  say('created .dev.vars from .dev.vars.example (local secrets, git-ignored)');
}
const secret = /^WEBHOOK_SECRET=(.*)$/m.exec(readFileSync('.dev.vars', 'utf8'))?.[1] ?? '';

// 2. What the Worker build and the demo origin need: installed and built once, by the suite's stages.
const needs = [];
if (!existsSync('pkg/node.mjs') || !existsSync('www/pkg/web.js')) needs.push('build-www');
else if (spawnSync('wasm-bindgen', ['--version']).status !== 0) needs.push('setup-wasm-bindgen');
if (!existsSync('node_modules/.bin/wrangler')) needs.push('setup-node');
if (needs.length > 0) {
  say(`first run: ${needs.join(', ')} (the test suite's stages, with progress lines)`);
  const suite = spawnSync(process.execPath, ['scripts/test-suite.mjs', ...needs], { stdio: 'inherit' });
  if (suite.status !== 0) stop(suite.status ?? 1);
} else {
  const sources = Math.max(...['src', 'Cargo.toml', 'Cargo.lock', 'scripts/build-pkg.mjs', 'scripts/build-www.sh', 'www/index.html'].map(newest));
  if (sources > Math.min(statSync('pkg/node.mjs').mtimeMs, statSync('www/pkg/web.js').mtimeMs)) {
    say('pkg/ and www/pkg/ (the CLI, the demo origin\'s package, the debugger page) are older than src/: `make build-www` refreshes them');
  }
}

// 3. The front door, at once: requests wait (or get a 503) while the Worker builds and starts.
const inner = await freePort();
const gate = new DevGate({ target: () => inner, holdMs, log: say });
gate.set('building');
await gate.listen(port).catch((error) => {
  console.error(`dev: cannot listen on 127.0.0.1:${port} (${error.code}); set PORT to another port`);
  stop(1);
});

// 4. The demo origin verifies the forwarded signature with the same secret.
child(process.execPath, ['scripts/demo-origin.mjs', String(originPort)], { env: { ...process.env, WEBHOOK_SECRET: secret } });

// 5. One build, then wrangler dev without [build] on the inner port.
let building = null;
let pending = false;
let changedAt = null;
let reloadTimer = null;

/** Runs one development build; resolves to true when it succeeded. */
function build(reason) {
  const t = performance.now();
  gate.set('building');
  say(`building the Worker (${reason})`);
  const before = fingerprint();
  building = new Promise((resolve) => {
    const proc = child(process.execPath, BUILD);
    proc.on('exit', (code, signal) => {
      building = null;
      if (pending) {
        // Another change came during this build: its result is already old.
        pending = false;
        resolve(code === 0);
        void build('another change during the build');
        return;
      }
      if (code !== 0) {
        changedAt = null;
        gate.set('failed', signal ? `killed by ${signal}` : `exit status ${code}`);
        say(`build failed after ${since(t)}: requests get a 503 until a change in src/ builds again`);
        return resolve(false);
      }
      say(`built in ${since(t)}`);
      // build/ is now current with src/, also when the build found nothing to change.
      for (const stamp of ['build/.build-stamp', 'build/ops/.build-stamp']) if (existsSync(stamp)) utimesSync(stamp, new Date(), new Date());
      if (wrangler === null) startWrangler();
      else if (!wranglerReady) gate.set('starting');
      else {
        // wrangler reloads when build/ changes; an identical build changes nothing to reload.
        if (fingerprint() === before) served('the build is unchanged');
        else {
          gate.set('reloading');
          clearTimeout(reloadTimer);
          reloadTimer = setTimeout(() => served('no reload seen in 15 s'), 15_000);
        }
      }
      resolve(true);
    });
  });
  return building;
}

/** A digest of build/'s outputs: a rebuild that changed nothing keeps it. */
function fingerprint() {
  const digest = createHash('sha256');
  for (const file of ['build/index.js', 'build/index_bg.wasm', 'build/ops/index.js', 'build/ops/index_bg.wasm']) digest.update(existsSync(file) ? readFileSync(file) : '-');
  return digest.digest('hex');
}

/** The new build is being served: say how long the change took, run a queued change. */
function served(note = '') {
  clearTimeout(reloadTimer);
  gate.set('ready');
  if (changedAt !== null) say(`served again ${since(changedAt)} after the change${note ? ` (${note})` : ''}`);
  changedAt = null;
}

mkdirSync(DEV_CONFIG_DIR, { recursive: true });
const devConfig = join(DEV_CONFIG_DIR, 'wrangler.toml');
writeFileSync(devConfig, devWranglerConfig(readFileSync('wrangler.toml', 'utf8'), relative(DEV_CONFIG_DIR, root)));
copyDevVars();

let wrangler = null;
let wranglerReady = false;

/** wrangler dev on the inner port, with the config without [build]; started after the first good build. */
function startWrangler() {
  gate.set('starting');
  wrangler = child(
    'node_modules/.bin/wrangler',
    // Both scripts in one workerd: the webhook script (serving) and the ops script, whose own
    // config has no [build] (the webhook script's build makes both).
    ['dev', '--config', devConfig, ...(existsSync('ops/wrangler.toml') ? ['--config', 'ops/wrangler.toml'] : []), '--ip', '127.0.0.1', '--port', String(inner), '--var', `FORWARD_URL:http://127.0.0.1:${originPort}/webhooks`, '--persist-to', '.wrangler/state', '--show-interactive-dev-session=false'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } },
  );
  for (const stream of [wrangler.stdout, wrangler.stderr]) {
    let rest = '';
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      for (const line of lines) onWranglerLine(line);
    });
  }
  wrangler.on('exit', (code) => {
    say(`wrangler dev exited (${code}); stopping`);
    stop(code ?? 1);
  });
}

function onWranglerLine(line) {
  // The developer's address is the front door's, not wrangler's inner port.
  console.log(line.replaceAll(`127.0.0.1:${inner}`, `127.0.0.1:${port}`).replaceAll(`localhost:${inner}`, `localhost:${port}`));
  if (!wranglerReady && /Ready on http/.test(line)) void firstAnswer();
  else if (/Reloading local server/.test(line)) gate.state !== 'building' && gate.set('reloading');
  else if (/Local server updated and ready/.test(line) && gate.state === 'reloading' && !building) served();
}

/** After "Ready on": the Worker answers /health, then the banner. */
async function firstAnswer() {
  for (let i = 0; i < 300 && !(await answers(`http://127.0.0.1:${inner}/health`)); i++) await new Promise((r) => setTimeout(r, 100));
  wranglerReady = true;
  if (building) return; // a change arrived meanwhile: its build ends in `reloading`
  if (gate.state !== 'failed') gate.set('ready');
  say(`serving on http://127.0.0.1:${port} ${since(started)} after start`);
  console.log(`
  DigiVault webhook receiver: http://127.0.0.1:${port}/webhooks  ->  demo origin http://127.0.0.1:${originPort}/webhooks
  send a signed test event:     node --env-file=.dev.vars pkg/cli.js send --secret-env WEBHOOK_SECRET --url http://127.0.0.1:${port}/webhooks --print-curl
  one id delivered twice:       node --env-file=.dev.vars pkg/cli.js send --secret-env WEBHOOK_SECRET --url http://127.0.0.1:${port}/webhooks --id evt_demo_1 --duplicates 1
                                (the second delivery is answered {"status":"duplicate"}; node pkg/cli.js --help for more)
  health:                       curl http://127.0.0.1:${port}/health
  debugger page:                http://127.0.0.1:${port}/
  a change in src/ rebuilds the Worker (one development build, no wasm-opt); requests wait for it or get a 503
`);
}

/** True when `url` answers at all (any status). */
function answers(url) {
  return new Promise((resolve) => {
    const req = get(url, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

// 6. One build per change in src/ (and the manifests).
let debounce = null;
for (const path of WATCH) {
  watch(path, { recursive: statSync(path).isDirectory() }, (_event, file) => {
    if (file && /(^|\/)(\.|#)|~$|\.sw.$/.test(file)) return; // editors' temporary files
    changedAt ??= performance.now();
    // From the save on, requests wait for the new build instead of getting the old one.
    if (gate.state === 'ready') gate.set('building');
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      if (building) pending = true;
      else void build(`${file ? join(path, file) : path} changed`);
    }, 200);
  });
}

// 7. The first build; wrangler starts once a build succeeded (now, or after the next change).
// build/ newer than every input is current: no cargo run (cargo would recompile the crate
// here, as the two scripts' feature sets overwrite one another's output in target/).
const stamps = ['build/.build-stamp', 'build/ops/.build-stamp'].filter((file) => existsSync(file));
const inputs = [...WATCH, 'scripts/build-worker.mjs', 'scripts/worker-shim.js'];
if (stamps.length === 2 && Math.min(...stamps.map(newest)) > Math.max(...inputs.map(newest))) {
  say('build/ is newer than src/: starting the Worker without a build');
  startWrangler();
} else if (!(await build(stamps.length > 0 ? 'build/ is older than src/' : 'first build'))) {
  say('fix the error above and save: make dev builds again and then starts the Worker');
}

/** wrangler.toml for `wrangler dev`: without [build] (this script builds), its paths from `up`. */
export function devWranglerConfig(text, up) {
  const lines = text.split('\n');
  const out = [`# Generated by scripts/dev.mjs from wrangler.toml for make dev: no [build] (make dev builds). Do not edit.`];
  let skipping = false;
  for (const line of lines) {
    if (/^\[/.test(line)) skipping = /^\[build\]\s*$/.test(line);
    if (skipping) continue;
    out.push(line
      .replace(/^main\s*=\s*"([^"]+)"/, (_, p) => `main = "${join(up, p)}"`)
      .replace(/^directory\s*=\s*"([^"]+)"/, (_, p) => `directory = "${join(up, p)}"`));
  }
  return out.join('\n');
}

/** wrangler reads .dev.vars next to the config it is given. */
function copyDevVars() {
  copyFileSync('.dev.vars', join(DEV_CONFIG_DIR, '.dev.vars'));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port: free } = server.address();
      server.close(() => resolve(free));
    });
  });
}
