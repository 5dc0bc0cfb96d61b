// Every signature vector, through every payload form, against the built package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { vectors, packageDir } from './fixtures.mjs';

const { sign, verify, Webhook, WebhookError } = await import(`${packageDir}/node.mjs`);

const isUtf8 = (bytes) => Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
const forms = (body) => {
  const list = [['Buffer', body], ['Uint8Array', new Uint8Array(body)], ['ArrayBuffer', new Uint8Array(body).buffer]];
  if (isUtf8(body)) list.push(['string', body.toString('utf8')]);
  return list;
};

test('every vector: verify() agrees with the expected outcome for every payload form', () => {
  const failures = [];
  for (const v of vectors) {
    for (const [form, payload] of forms(v.body)) {
      const ok = verify(v.secrets, payload, v.signature);
      if (ok !== (v.expected === 'valid')) failures.push(`${v.name} (${form}): verify gave ${ok}, expected ${v.expected}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('every vector: Webhook.verify throws the expected code', () => {
  const failures = [];
  for (const v of vectors) {
    const webhook = new Webhook(v.secrets);
    let outcome = 'valid';
    try {
      webhook.verify(v.body, v.signature);
    } catch (error) {
      assert.ok(error instanceof WebhookError, `${v.name}: ${error}`);
      outcome = error.code;
    }
    if (outcome !== v.expected) failures.push(`${v.name}: got ${outcome}, expected ${v.expected}`);
  }
  assert.deepEqual(failures, []);
});

test('sign() matches node:crypto for every valid single-secret vector', () => {
  for (const v of vectors.filter((v) => v.expected === 'valid' && v.secrets.length === 1)) {
    const expected = createHmac('sha256', Buffer.from(v.secrets[0], 'utf8')).update(v.body).digest('hex');
    assert.equal(sign(v.secrets[0], v.body), expected, v.name);
  }
});

test('verify() returns false, never throws, for missing or malformed signatures', () => {
  for (const signature of [undefined, null, '', 'sha256=00', 'zz', 42]) {
    assert.equal(verify('secret', '{}', signature), false, String(signature));
  }
});

test('a parsed object is refused with a TypeError that names the mistake', () => {
  assert.throws(() => verify('secret', { id: 'evt' }, '00'), (error) => error instanceof TypeError && /raw request body/.test(error.message));
});

test('sub-views of larger buffers are read exactly, not the whole buffer', () => {
  const whole = Buffer.from('xx{"a":1}yy');
  const view = whole.subarray(2, 9);
  assert.equal(verify('s', view, sign('s', '{"a":1}')), true);
  assert.equal(verify('s', new DataView(whole.buffer, whole.byteOffset + 2, 7), sign('s', '{"a":1}')), true);
});

test('inputs are still written correctly after wasm memory grows outside the scratch area', () => {
  const body = '{"a":1}';
  const signature = sign('s', body);
  assert.equal(verify('s', body, signature), true);
  // An 8 MiB secret is passed to wasm by wasm-bindgen, not through the scratch area: the
  // memory grows and the glue's cached view of the scratch area is detached.
  const secret = 'k'.repeat(8 << 20);
  assert.equal(sign(secret, body), createHmac('sha256', secret).update(body).digest('hex'));
  assert.equal(verify('s', body, signature), true);
  assert.equal(verify('s', Buffer.from(body), signature), true);
  assert.equal(verify('s', body, signature.replace(/^./, (c) => (c === '0' ? '1' : '0'))), false);
});

test('verify() with a list of secrets never reuses the core of another list (secrets holding NUL)', () => {
  const payload = 'payload';
  const bySecretA = createHmac('sha256', 'a').update(payload).digest('hex');
  // Joined with NUL, both lists read "a\0b\0c": only the first holds the secret "a".
  assert.equal(verify(['a', 'b\u0000c'], payload, bySecretA), true);
  assert.equal(verify(['a\u0000b', 'c'], payload, bySecretA), false);
  assert.equal(verify(['a\u0000b', 'c'], payload, createHmac('sha256', 'a\u0000b').update(payload).digest('hex')), true);
});
