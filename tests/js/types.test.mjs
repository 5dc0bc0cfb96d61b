// The package's TypeScript types (generated from the Rust types) compile a user's code:
// narrowing on `event.type` gives the typed object, and mistakes are rejected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageDir } from './fixtures.mjs';

test('tsc accepts the usage file and every @ts-expect-error is a real error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dvw-types-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(packageDir, join(dir, 'node_modules', 'digivault-webhooks'));
    for (const file of ['usage.ts', 'tsconfig.json']) cpSync(new URL(`./types/${file}`, import.meta.url), join(dir, file));
    const tsc = new URL('../../node_modules/typescript/bin/tsc', import.meta.url).pathname;
    const result = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('WebhookErrorCode is generated: exactly the core table codes and the glue codes, with their statuses', async () => {
  const { readFileSync } = await import('node:fs');
  const declarations = readFileSync(join(packageDir, 'events.d.ts'), 'utf8');
  const union = (name) => new RegExp(`export type ${name} =([^;]*);`).exec(declarations)?.[1].match(/"[A-Z_]+"/g).map((code) => JSON.parse(code));
  // The core's own table, straight from its wasm-bindgen build.
  const core = await import(join(packageDir, 'wasm', 'digivault_webhooks.js'));
  core.initSync({ module: readFileSync(join(packageDir, 'wasm', 'digivault_webhooks_bg.wasm')) });
  const { JS_ERROR_CODES, WebhookError } = await import(join(packageDir, 'esm', 'api.js'));
  assert.deepEqual(union('CoreErrorCode'), core.errorCodes());
  assert.deepEqual(union('JsErrorCode'), Object.keys(JS_ERROR_CODES));
  assert.ok(union('JsErrorCode').includes('INVALID_REQUEST'));
  const { statuses, maxPayloadBytes, dedupTtlSeconds } = core.coreFacts();
  assert.deepEqual([maxPayloadBytes, dedupTtlSeconds], [1 << 20, 48 * 3600]);
  assert.deepEqual(
    statuses,
    { MISSING_SIGNATURE: 401, MALFORMED_SIGNATURE: 401, INVALID_SIGNATURE: 401, PAYLOAD_TOO_LARGE: 413, INVALID_JSON: 400, INVALID_EVENT: 400, EVENT_TOO_OLD: 400, EVENT_FROM_FUTURE: 400, NO_SECRET: 500, UNKNOWN_EVENT_TYPE: 400 },
  );
  // The glue's errors take their status from the tables when none is given.
  assert.equal(new WebhookError('BODY_ALREADY_PARSED', '').status, 500);
});
