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
