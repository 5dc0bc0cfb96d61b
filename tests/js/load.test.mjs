// The Node entry compiles its wasm at the first call that needs it, not at require (issue 20,
// docs/performance-npm.md): counted in a child Node by wrapping WebAssembly.Module, with the
// answers a process gets before, at and after that first call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { packageDir } from './fixtures.mjs';

/** Runs `body` in a fresh Node after requiring the package as `pkg`; returns its JSON output. */
function inChild(body) {
  const script = `
    let compiled = 0;
    WebAssembly.Module = class extends WebAssembly.Module {
      constructor(bytes) { super(bytes); compiled++; }
    };
    const pkg = require(${JSON.stringify(join(packageDir, 'node.cjs'))});
    const out = { afterRequire: compiled };
    ${body}
    process.stdout.write(JSON.stringify(out));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

test('require compiles nothing; the first call compiles the module once and answers as usual', () => {
  const out = inChild(`
    const body = pkg.sampleEvent('contact.deleted');
    out.afterFirstCall = compiled;
    out.event = new pkg.Webhook('s').constructEvent(body, pkg.sign('s', body)).type;
    out.verified = pkg.verify('s', body, pkg.sign('s', body));
    out.rejected = pkg.verify('s', body, '0'.repeat(64));
    try { pkg.parseEvent('{"id":1}'); } catch (err) { out.error = [err.code, err.status, err.path]; }
    out.afterUse = compiled;`);
  assert.deepEqual(out, {
    afterRequire: 0,
    afterFirstCall: 1,
    event: 'contact.deleted',
    verified: true,
    rejected: false,
    error: ['INVALID_EVENT', 400, 'id'],
    afterUse: 1,
  });
});

test('errors and facts read before any wasm call still carry the core statuses and limits', () => {
  const out = inChild(`
    out.tooLarge = new pkg.WebhookError('PAYLOAD_TOO_LARGE', 'x').status;
    out.afterError = compiled;
    out.signature = pkg.findSignature({ 'X-BitVault-Signature': 'abc' });`);
  assert.deepEqual(out, { afterRequire: 0, tooLarge: 413, afterError: 1, signature: 'abc' });
});

test('init() compiles the module ahead of the first call, once', () => {
  const out = inChild(`
    pkg.init();
    out.afterInit = compiled;
    pkg.parseEvent(pkg.sampleEvent('contact.deleted'));
    out.afterUse = compiled;`);
  assert.deepEqual(out, { afterRequire: 0, afterInit: 1, afterUse: 1 });
});
