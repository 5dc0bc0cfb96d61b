// The package inside a JS Worker in real workerd (Miniflare), resolved through its
// `workerd` export condition the way wrangler's bundler resolves it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { packageDir } from './fixtures.mjs';

const { sampleEvent } = await import(`${packageDir}/node.mjs`);
const hmac = (secret, body) => createHmac('sha256', secret).update(body).digest('hex');
let dir;
let mf;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dvw-workerd-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(packageDir, join(dir, 'node_modules', 'digivault-webhooks'));
  await build({
    entryPoints: [new URL('./worker/worker.mjs', import.meta.url).pathname],
    outdir: join(dir, 'out'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    nodePaths: [join(dir, 'node_modules')],
    loader: { '.wasm': 'copy' },
    logLevel: 'warning',
  });
  mf = new Miniflare({
    modules: true,
    scriptPath: join(dir, 'out', 'worker.js'),
    modulesRoot: join(dir, 'out'),
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-04-20',
    bindings: { WEBHOOK_SECRET: 'whsec_current', WEBHOOK_SECRET_PREVIOUS: 'whsec_previous' },
  });
  await mf.ready;
});

after(async () => {
  await mf?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const deliver = (body, headers) => mf.dispatchFetch('http://127.0.0.1/webhooks', { method: 'POST', body, headers });

test('workerd: a signed event verifies, with the current or the previous secret', async () => {
  const body = sampleEvent('conversation.archived', { id: 'evt_workerd' });
  for (const secret of ['whsec_current', 'whsec_previous']) {
    const response = await deliver(body, { 'X-DigiVault-Signature': hmac(secret, body) });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { id: 'evt_workerd', type: 'conversation.archived' });
  }
});

test('workerd: tampered, unsigned and invalid events get their codes', async () => {
  const body = sampleEvent('group.deleted');
  const tampered = await deliver(body.replace('test_group_id', 'other_group'), { 'X-DigiVault-Signature': hmac('whsec_current', body) });
  assert.equal(tampered.status, 401);
  assert.equal((await tampered.json()).code, 'INVALID_SIGNATURE');
  const unsigned = await deliver(body, {});
  assert.equal((await unsigned.json()).code, 'MISSING_SIGNATURE');
  const invalid = '{"id":"e","type":"group.deleted","created_at":1,"data":{"object":{}}}';
  const response = await deliver(invalid, { 'X-BitVault-Signature': hmac('whsec_current', invalid) });
  assert.equal(response.status, 400);
  assert.deepEqual(await response.json(), { code: 'INVALID_EVENT', path: 'data.object.id' });
});
