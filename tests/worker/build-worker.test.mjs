// The project's own Worker build (scripts/build-worker.mjs, in place of worker-build): its pin
// on the `worker` crate's version, the entry shim it writes, and the built module's exports.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';

import { HOT_WASM_GZIP_BUDGET, SHIM_WORKER_VERSION, checkBudget, checkWorkerVersion, classExports, dropUnreachableExports, filterExports, handlers, lockedVersion } from '../../scripts/build-worker.mjs';
import { ROOT } from './helpers.mjs';

const lock = readFileSync(`${ROOT}Cargo.lock`, 'utf8');

test('the build is pinned to the worker crate version its shim follows', () => {
  assert.equal(lockedVersion('worker', lock), SHIM_WORKER_VERSION);
  assert.doesNotThrow(() => checkWorkerVersion(lock));
  const bumped = lock.replace(`name = "worker"\nversion = "${SHIM_WORKER_VERSION}"`, 'name = "worker"\nversion = "0.9.0"');
  assert.notEqual(bumped, lock);
  assert.throws(() => checkWorkerVersion(bumped), /Cargo\.lock has worker 0\.9\.0, but .* follow worker-build 0\.8\.7/);
  const without = lock.replace(`name = "worker"\n`, 'name = "not-worker"\n');
  assert.throws(() => checkWorkerVersion(without), /Cargo\.lock has worker \(none\)/);
});

test('the shim wires exported event functions and classes as worker-build 0.8.7 does', () => {
  const bindings = [
    'export function __worker_init_state() {}',
    'export function fetch(req, env, ctx) {}',
    'export async function scheduled(event, env, ctx) {}',
    'export { __wbg_reset_state as __wbg_reset_state }',
    'export { other_fn as helper }',
    'export class EventLedger { constructor() {} }',
  ].join('\n');
  const wired = handlers(bindings);
  assert.match(wired, /Entrypoint\.prototype\.fetch = function fetch \(arg\) \{\n {2}return exports\.fetch\.call\(this, arg, this\.env, this\.ctx\);/);
  assert.match(wired, /Entrypoint\.prototype\.scheduled = function scheduled/);
  assert.match(wired, /Entrypoint\.prototype\.helper = exports\.helper;/);
  assert.doesNotMatch(wired, /__worker_init_state|__wbg_reset_state/);
  assert.equal(classExports(bindings), 'export const EventLedger = new Proxy(asDurableObject(exports.EventLedger), classProxyHooks);\n');
});

test('the webhook script exports the fetch entry point and no Durable Object class; the ops script hosts all three', () => {
  const built = readFileSync(`${ROOT}build/index.js`, 'utf8');
  assert.match(built, /\.prototype\.fetch=function/);
  assert.match(built, /export\s*\{[^}]*\bas default\b/);
  assert.doesNotMatch(built, /EventLedger|ConsoleLog|ListenHub/);
  assert.doesNotMatch(built, /import source /);
  assert.match(built, /from"\.\/index_bg\.wasm"/);
  const ops = readFileSync(`${ROOT}build/ops/index.js`, 'utf8');
  assert.match(ops, /\.prototype\.fetch=function/);
  for (const name of ['EventLedger', 'ConsoleLog', 'ListenHub']) {
    assert.match(ops, new RegExp(`export\\s*\\{[^}]*\\b${name}\\b[^}]*\\bas default\\b`), name);
  }
});

test("the webhook script's .wasm is within its gzip budget, and a build over it fails", () => {
  const gzip = gzipSync(readFileSync(`${ROOT}build/index_bg.wasm`), { level: 9 }).length;
  assert.ok(gzip <= HOT_WASM_GZIP_BUDGET, `${gzip} B gzip, budget ${HOT_WASM_GZIP_BUDGET} B`);
  assert.doesNotThrow(() => checkBudget({ gzip: HOT_WASM_GZIP_BUDGET }));
  assert.throws(() => checkBudget({ gzip: HOT_WASM_GZIP_BUDGET + 1 }), /over its budget/);
  const ops = gzipSync(readFileSync(`${ROOT}build/ops/index_bg.wasm`), { level: 9 }).length;
  console.log(`webhook script ${gzip} B gzip (budget ${HOT_WASM_GZIP_BUDGET} B), ops script ${ops} B gzip`);
});

test('exports no JS can reach (wasm-streams classes) are dropped from the built scripts, and a reachable one fails the build', () => {
  for (const script of ['build/index_bg.wasm', 'build/ops/index_bg.wasm']) {
    const names = [];
    filterExports(readFileSync(`${ROOT}${script}`), (name) => names.push(name));
    assert.ok(names.includes('fetch'), `${script} exports fetch`);
    assert.deepEqual(names.filter((name) => /intounderlying/.test(name)), [], script);
  }
  const bytes = readFileSync(`${ROOT}build/index_bg.wasm`);
  assert.throws(() => dropUnreachableExports(bytes, 'export class IntoUnderlyingSink {}'), /reachable from JS/);
  assert.throws(() => dropUnreachableExports(bytes, 'return IntoUnderlyingSource.__wrap(ptr);'), /reachable from JS/);
});
