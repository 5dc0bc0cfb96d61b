// The Express middleware in a real Express app on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import express from 'express';
import { packageDir } from './fixtures.mjs';

const { expressMiddleware, sampleEvent, Webhook } = await import(`${packageDir}/node.mjs`);
const SECRET = 'whsec_express';
const hmac = (body) => createHmac('sha256', SECRET).update(body).digest('hex');
const received = [];
let server;
let base;

before(async () => {
  const app = express();
  const onEvent = (req, res) => {
    received.push(req.webhookEvent);
    res.json({ ok: true, id: req.webhookEvent.id, rawBytes: req.rawBody.length });
  };
  app.post('/webhooks', expressMiddleware(SECRET, { maxPayloadBytes: 4096 }), onEvent);
  // The mistake the guide's own sample makes: a JSON parser before verification.
  app.post('/parsed', express.json(), expressMiddleware(SECRET), onEvent);
  // The supported way to combine with a global parser: raw bytes for this route.
  app.post('/raw', express.raw({ type: '*/*' }), expressMiddleware(SECRET), onEvent);
  // A pre-built Webhook without a limit, and one given beside it: the middleware's applies.
  app.post('/prebuilt', expressMiddleware(new Webhook(SECRET), { maxPayloadBytes: 4096 }), onEvent);
  app.post('/prebuilt-raw', express.raw({ type: '*/*' }), expressMiddleware(new Webhook(SECRET), { maxPayloadBytes: 4096 }), onEvent);
  // A pre-built Webhook's own limit.
  app.post('/prebuilt-own', expressMiddleware(new Webhook(SECRET, { maxPayloadBytes: 4096 })), onEvent);
  app.post('/text', express.text({ type: '*/*' }), expressMiddleware(SECRET), onEvent);
  // The common pattern that keeps the bytes while parsing JSON: they are used as they are.
  const keepRaw = (req, res, buf) => {
    req.rawBody = buf;
  };
  app.post('/json-verify', express.json({ verify: keepRaw }), expressMiddleware(SECRET), onEvent);
  await new Promise((resolve) => {
    server = app.listen(0, '127.0.0.1', resolve);
  });
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => new Promise((resolve) => server.close(resolve)));

const post = (path, body, headers = {}) =>
  fetch(base + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

test('a valid delivery reaches the handler with the event and its raw bytes', async () => {
  const body = sampleEvent('conversation.message.created', { id: 'evt_express_1' });
  const response = await post('/webhooks', body, { 'X-DigiVault-Signature': hmac(body) });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { ok: true, id: 'evt_express_1', rawBytes: Buffer.byteLength(body) });
  assert.equal(received.at(-1).type, 'conversation.message.created');
});

test('the legacy header works and express.raw() bytes are used as they are', async () => {
  const body = sampleEvent('contact.created', { id: 'evt_express_2' });
  const response = await post('/raw', body, { 'X-BitVault-Signature': hmac(body) });
  assert.equal(response.status, 200);
  assert.equal((await response.json()).id, 'evt_express_2');
});

test('an invalid signature is a 401 with a code, and the handler never runs', async () => {
  const before = received.length;
  const body = sampleEvent('contact.created');
  const response = await post('/webhooks', body, { 'X-DigiVault-Signature': hmac(body + ' ') });
  assert.equal(response.status, 401);
  assert.equal((await response.json()).code, 'INVALID_SIGNATURE');
  const missing = await post('/webhooks', body);
  assert.equal(missing.status, 401);
  assert.equal((await missing.json()).code, 'MISSING_SIGNATURE');
  assert.equal(received.length, before);
});

test('a body already parsed by express.json() fails with BODY_ALREADY_PARSED naming the fix', async () => {
  const body = sampleEvent('contact.created');
  const response = await post('/parsed', body, { 'X-DigiVault-Signature': hmac(body) });
  assert.equal(response.status, 500);
  const error = await response.json();
  assert.equal(error.code, 'BODY_ALREADY_PARSED');
  assert.match(error.message, /before express\.json\(\)/);
});

test('oversized bodies are a 413 and invalid events a 400 with the JSON path', async () => {
  const big = JSON.stringify({ pad: 'x'.repeat(5000) });
  const tooBig = await post('/webhooks', big, { 'X-DigiVault-Signature': hmac(big) });
  assert.equal(tooBig.status, 413);
  assert.equal((await tooBig.json()).code, 'PAYLOAD_TOO_LARGE');
  const bad = '{"id":"e","type":"group.created","created_at":"now","data":{"object":{"id":"g"}}}';
  const invalid = await post('/webhooks', bad, { 'X-DigiVault-Signature': hmac(bad) });
  assert.equal(invalid.status, 400);
  assert.deepEqual(await invalid.json().then(({ code, path }) => ({ code, path })), { code: 'INVALID_EVENT', path: 'created_at' });
});

test('a limit given beside a pre-built Webhook is honoured; its other settings are refused, not ignored', async () => {
  const big = JSON.stringify({ pad: 'x'.repeat(5000) });
  for (const path of ['/prebuilt', '/prebuilt-raw', '/prebuilt-own']) {
    const tooBig = await post(path, big, { 'X-DigiVault-Signature': hmac(big) });
    assert.equal(tooBig.status, 413, path);
    assert.equal((await tooBig.json()).code, 'PAYLOAD_TOO_LARGE');
    const body = sampleEvent('contact.created');
    assert.equal((await post(path, body, { 'X-DigiVault-Signature': hmac(body) })).status, 200, path);
  }
  assert.throws(() => expressMiddleware(new Webhook(SECRET), { toleranceSeconds: 300 }), /belong to the Webhook/);
  assert.throws(() => expressMiddleware(new Webhook(SECRET), { maxPayloadBytes: -1 }), TypeError);
});

test('BODY_ALREADY_PARSED names the parser that ran: express.text() here', async () => {
  const body = sampleEvent('contact.created');
  const response = await post('/text', body, { 'X-DigiVault-Signature': hmac(body) });
  assert.equal(response.status, 500);
  const error = await response.json();
  assert.equal(error.code, 'BODY_ALREADY_PARSED');
  assert.match(error.message, /consumed by express\.text\(\)/);
  assert.doesNotMatch(error.message, /consumed by express\.json/);
});

test('raw bytes kept by express.json({ verify }) as req.rawBody are verified instead of refused', async () => {
  const body = sampleEvent('group.deleted', { id: 'evt_express_verify' });
  const response = await post('/json-verify', body, { 'X-DigiVault-Signature': hmac(body) });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { ok: true, id: 'evt_express_verify', rawBytes: Buffer.byteLength(body) });
  const tampered = await post('/json-verify', body.replace('evt_express_verify', 'evt_other'), { 'X-DigiVault-Signature': hmac(body) });
  assert.equal(tampered.status, 401);
  assert.equal((await tampered.json()).code, 'INVALID_SIGNATURE');
});
