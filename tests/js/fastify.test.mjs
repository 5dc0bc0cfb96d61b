// The npm guide's Fastify recipe (docs/npm.md) in a real Fastify app: the webhook route's JSON kept as bytes
// by a content type parser scoped to it (parseAs: 'buffer'), other routes still parse JSON.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import Fastify from 'fastify';
import { packageDir } from './fixtures.mjs';

const { Webhook, WebhookError, sampleEvent } = await import(`${packageDir}/node.mjs`);
const SECRET = 'whsec_fastify';
const hmac = (body) => createHmac('sha256', SECRET).update(body).digest('hex');
const webhook = new Webhook(SECRET);
const fastify = Fastify();

before(async () => {
  fastify.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post('/webhooks', async (request, reply) => {
      try {
        const event = webhook.constructEvent(request.body, request.headers);
        return { received: event.id };
      } catch (error) {
        if (!(error instanceof WebhookError)) throw error;
        return reply.code(error.status).send({ code: error.code, path: error.path });
      }
    });
  });
  fastify.post('/other', async (request) => ({ parsed: request.body }));
  await fastify.ready();
});

after(() => fastify.close());

const post = (url, payload, headers = {}) =>
  fastify.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } });

test('Fastify: a signed delivery verifies on the exact bytes, a tampered one is a 401', async () => {
  // Spacing JSON.stringify would not reproduce: only the raw bytes verify.
  const body = sampleEvent('conversation.archived', { id: 'evt_fastify' }).replace('{', '{  ');
  const ok = await post('/webhooks', body, { 'x-digivault-signature': hmac(body) });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), { received: 'evt_fastify' });
  const tampered = await post('/webhooks', body.replace('evt_fastify', 'evt_other'), { 'x-digivault-signature': hmac(body) });
  assert.equal(tampered.statusCode, 401);
  assert.equal(tampered.json().code, 'INVALID_SIGNATURE');
});

test("Fastify: the parser is scoped to the webhook route, other routes still get parsed JSON", async () => {
  const response = await post('/other', '{"a":1}');
  assert.deepEqual(response.json(), { parsed: { a: 1 } });
});
