// Smoke test of the deployable configuration: the real `wrangler dev` with the repository's
// wrangler.toml (its [build] command, ledger, KV, rate limiter and assets bindings), on a free port
// of 127.0.0.1 with a temporary persist dir, then one signed event through it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ROOT, SECRET, eventBody, freePort, sign, sleep, startOrigin } from './helpers.mjs';

let origin;
let wrangler;
let output = '';
let persistDir;
let base;

async function stopWrangler() {
  if (!wrangler || wrangler.exitCode !== null) return;
  const exited = new Promise((resolve) => wrangler.once('exit', resolve));
  // wrangler runs workerd as a child: signal the whole process group.
  process.kill(-wrangler.pid, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-wrangler.pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

before(async () => {
  origin = await startOrigin();
  persistDir = await mkdtemp(join(tmpdir(), 'dv-wrangler-'));
  const port = await freePort();
  const inspectorPort = await freePort();
  base = `http://127.0.0.1:${port}`;
  wrangler = spawn(
    join(ROOT, 'node_modules/.bin/wrangler'),
    [
      'dev',
      '-c', 'wrangler.toml',
      '-c', 'ops/wrangler.toml',
      '--ip', '127.0.0.1',
      '--port', String(port),
      '--inspector-port', String(inspectorPort),
      '--persist-to', persistDir,
      '--var', `FORWARD_URL:${origin.url}`,
      '--var', `WEBHOOK_SECRET:${SECRET}`,
    ],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', CI: '1' },
    },
  );
  wrangler.stdout.on('data', (chunk) => (output += chunk));
  wrangler.stderr.on('data', (chunk) => (output += chunk));

  // The [build] command runs first (an incremental cargo build, wasm-bindgen, wasm-opt).
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`);
    try {
      // Its own "Ready on" line first: only then is it this wrangler that answers.
      const response = output.includes(`Ready on ${base}`) ? await fetch(`${base}/health`) : null;
      if (response?.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev did not become ready:\n${output.slice(-4000)}`);
    await sleep(500);
  }
});

after(async () => {
  await stopWrangler();
  await origin?.close();
  if (persistDir) await rm(persistDir, { recursive: true, force: true });
});

test('wrangler dev with wrangler.toml forwards a signed event once, then deduplicates it', { timeout: 60_000 }, async () => {
  const body = eventBody();
  const id = JSON.parse(body).id;
  const post = () =>
    fetch(`${base}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-digivault-signature': sign(body) },
      body,
    });
  const first = await post();
  assert.equal(first.status, 200);
  assert.deepEqual(await first.json(), { status: 'forwarded' });
  const second = await post();
  assert.deepEqual(await second.json(), { status: 'duplicate' });

  assert.equal(origin.received.length, 1);
  assert.equal(origin.received[0].headers['x-digivault-event-id'], id);
  assert.ok(origin.received[0].body.equals(Buffer.from(body)));
  // The Worker's JSON log line shows up in wrangler's output.
  await sleep(200);
  assert.match(output, new RegExp(`"outcome":"forwarded","status":200,"event_id":"${id}"`));
  assert.ok(!output.includes(SECRET), 'the secret is not logged');
  // wrangler.toml binds LEDGER: the claim went through the EventLedger object's storage.
  const stored = readdirSync(persistDir, { recursive: true }).map(String);
  assert.ok(stored.some((path) => path.includes('EventLedger')), `no EventLedger storage in ${stored.join(', ')}`);
});

test('static assets from www/ are served through the Worker with a strict CSP', { timeout: 30_000 }, async () => {
  const response = await fetch(`${base}/`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/html/);
  const csp = response.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  await response.text();

  // The page is plain ES modules: every one of them is served as JavaScript, with the same CSP.
  const modules = [
    ...readdirSync(`${ROOT}www`).filter((name) => name.endsWith('.js')),
    ...readdirSync(`${ROOT}www/app`, { recursive: true }).map(String).filter((name) => name.endsWith('.js')).map((name) => `app/${name}`),
  ];
  assert.ok(modules.includes('app.js') && modules.includes('console.js') && modules.some((m) => m.startsWith('app/console/')), modules.join(' '));
  for (const module of modules) {
    const script = await fetch(`${base}/${module}`);
    assert.equal(script.status, 200, module);
    assert.match(script.headers.get('content-type'), /javascript/, module);
    assert.match(script.headers.get('content-security-policy'), /script-src 'self'/, module);
    await script.text();
  }

  const missing = await fetch(`${base}/no-such-file.txt`);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).code, 'NOT_FOUND');
});
