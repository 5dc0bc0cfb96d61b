// verifyRequest with real Fetch API Request objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { packageDir } from './fixtures.mjs';

const { verifyRequest, Webhook, WebhookError, sampleEvent } = await import(`${packageDir}/node.mjs`);
const SECRET = 'whsec_fetch';
const hmac = (body) => createHmac('sha256', SECRET).update(body).digest('hex');
const request = (body, headers) => new Request('http://127.0.0.1/webhooks', { method: 'POST', body, headers });

test('verifyRequest returns the event for a signed request, with either header', async () => {
  const body = sampleEvent('conversation.created');
  for (const name of ['X-DigiVault-Signature', 'X-BitVault-Signature']) {
    const event = await verifyRequest(request(body, { [name]: hmac(body) }), SECRET);
    assert.equal(event.type, 'conversation.created');
  }
});

test('verifyRequest rejects tampered bodies, consumed bodies and oversized bodies', async () => {
  const body = sampleEvent('conversation.created');
  await assert.rejects(verifyRequest(request(body + ' ', { 'X-DigiVault-Signature': hmac(body) }), SECRET), (e) => e instanceof WebhookError && e.code === 'INVALID_SIGNATURE' && e.status === 401);
  const used = request(body, { 'X-DigiVault-Signature': hmac(body) });
  await used.json();
  await assert.rejects(verifyRequest(used, SECRET), (e) => e.code === 'BODY_ALREADY_PARSED' && /before request.json/.test(e.message));
  const small = new Webhook(SECRET, { maxPayloadBytes: 10 });
  await assert.rejects(verifyRequest(request(body, { 'X-DigiVault-Signature': hmac(body), 'content-length': String(body.length) }), small), (e) => e.code === 'PAYLOAD_TOO_LARGE' && e.status === 413);
});
