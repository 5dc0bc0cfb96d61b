// Webhook, parseEvent, samples and helpers of the built package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import { events, packageDir } from './fixtures.mjs';

const pkg = await import(`${packageDir}/node.mjs`);
const { Webhook, WebhookError, parseEvent, sampleEvent, eventTypes, findSignature, Deduplicator, sign, isKnownEvent } = pkg;
const hmac = (secret, body) => createHmac('sha256', secret).update(body).digest('hex');
const SECRET = 'whsec_test';
const codeOf = (fn) => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof WebhookError, String(error));
    return error.code;
  }
};

test('CommonJS and ESM entry points share one instance', () => {
  const cjs = createRequire(import.meta.url)(`${packageDir}/node.cjs`);
  assert.equal(cjs.Webhook, pkg.Webhook);
  assert.equal(cjs.WebhookError, pkg.WebhookError);
  assert.equal(cjs.verify('k', 'x', hmac('k', 'x')), true);
});

test('every event fixture: parseEvent gives the expected type, or code and path', () => {
  const failures = [];
  for (const fixture of events) {
    try {
      const event = parseEvent(fixture.bytes);
      if (fixture.expect.type !== event.type) failures.push(`${fixture.name}: parsed as ${event.type}`);
    } catch (error) {
      if (!(error instanceof WebhookError)) failures.push(`${fixture.name}: threw ${error}`);
      else if (error.code !== fixture.expect.code) failures.push(`${fixture.name}: ${error.code} ${error.message}`);
      else if (fixture.expect.path && error.path !== fixture.expect.path) failures.push(`${fixture.name}: path ${error.path}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('constructEvent returns the event exactly as sent, unknown fields included', () => {
  const body = '{"id":"e1","type":"contact.updated","created_at":1,"extra_top":true,"data":{"object":{"id":"c","nickname":"Frankie"}}}';
  const event = new Webhook(SECRET).constructEvent(body, hmac(SECRET, body));
  assert.deepEqual(event, JSON.parse(body));
});

test('every error code of the core is reachable through Webhook', () => {
  const body = sampleEvent('group.created', { id: 'e', createdAt: 1000 });
  const at = (seconds) => ({ now: () => seconds * 1000 });
  const webhook = new Webhook(SECRET, { toleranceSeconds: 60, maxPayloadBytes: body.length, ...at(1000) });
  const good = hmac(SECRET, body);
  assert.equal(codeOf(() => webhook.constructEvent(body, good)), 'ok');
  assert.equal(codeOf(() => webhook.constructEvent(body, undefined)), 'MISSING_SIGNATURE');
  assert.equal(codeOf(() => webhook.constructEvent(body, 'v1,' + good)), 'MALFORMED_SIGNATURE');
  assert.equal(codeOf(() => webhook.constructEvent(body, hmac('other', body))), 'INVALID_SIGNATURE');
  assert.equal(codeOf(() => webhook.constructEvent(body + ' ', hmac(SECRET, body + ' '))), 'PAYLOAD_TOO_LARGE');
  assert.equal(codeOf(() => new Webhook(SECRET).constructEvent('nope', hmac(SECRET, 'nope'))), 'INVALID_JSON');
  assert.equal(codeOf(() => new Webhook(SECRET).constructEvent('{}', hmac(SECRET, '{}'))), 'INVALID_EVENT');
  assert.equal(codeOf(() => new Webhook(SECRET, { toleranceSeconds: 60, ...at(1061) }).constructEvent(body, good)), 'EVENT_TOO_OLD');
  assert.equal(codeOf(() => new Webhook(SECRET, { toleranceSeconds: 60, ...at(939) }).constructEvent(body, good)), 'EVENT_FROM_FUTURE');
  assert.equal(codeOf(() => new Webhook('')), 'NO_SECRET');
  assert.equal(codeOf(() => new Webhook([])), 'NO_SECRET');
  assert.equal(codeOf(() => sampleEvent('thing.happened')), 'UNKNOWN_EVENT_TYPE');
});

test('errors carry status, message and path', () => {
  const body = '{"id":"e","type":"conversation.message.created","created_at":1,"data":{"object":{"id":"m","conversation_id":5,"message":"x","created_at":1}}}';
  const error = (() => { try { new Webhook(SECRET).constructEvent(body, hmac(SECRET, body)); } catch (e) { return e; } })();
  assert.equal(error.code, 'INVALID_EVENT');
  assert.equal(error.path, 'data.object.conversation_id');
  assert.equal(error.status, 400);
  assert.match(error.message, /expected a string/);
  assert.ok(error instanceof Error && error.name === 'WebhookError' && typeof error.stack === 'string');
  const mismatch = (() => { try { new Webhook(SECRET).verify(body, hmac('x', body)); } catch (e) { return e; } })();
  assert.equal(mismatch.status, 401);
  assert.match(mismatch.message, /raw bytes/);
});

test('tolerance uses the injected clock, Date or milliseconds, and is off by default', () => {
  const body = sampleEvent('contact.created', { createdAt: 1_700_000_000 });
  const signature = hmac(SECRET, body);
  assert.equal(codeOf(() => new Webhook(SECRET, { toleranceSeconds: 300, now: () => new Date(1_700_000_299_000) }).constructEvent(body, signature)), 'ok');
  assert.equal(codeOf(() => new Webhook(SECRET, { toleranceSeconds: 300, now: () => 1_700_000_301_000 }).constructEvent(body, signature)), 'EVENT_TOO_OLD');
  assert.equal(codeOf(() => new Webhook(SECRET, { now: () => 0 }).constructEvent(body, signature)), 'ok');
  assert.throws(() => new Webhook(SECRET, { toleranceSeconds: -1 }), TypeError);
});

test('both header names are found, in every headers shape, canonical first', () => {
  const body = sampleEvent('contact.deleted');
  const good = hmac(SECRET, body);
  const webhook = new Webhook(SECRET);
  for (const headers of [
    { 'x-digivault-signature': good },
    { 'x-bitvault-signature': good },
    { 'X-DigiVault-Signature': good },
    { 'X-BitVault-Signature': good },
    new Headers({ 'X-DigiVault-Signature': good }),
    new Headers({ 'X-BitVault-Signature': good }),
    { 'x-digivault-signature': good, 'x-bitvault-signature': 'bad' },
  ]) {
    assert.equal(webhook.constructEvent(body, headers).id, 'webhook_test_contact_deleted');
  }
  assert.equal(findSignature({ 'x-digivault-signature': ['a', 'b'] }), 'a,b');
  assert.equal(codeOf(() => webhook.verify(body, { 'x-digivault-signature': [good, good] })), 'MALFORMED_SIGNATURE');
  assert.equal(codeOf(() => webhook.verify(body, {})), 'MISSING_SIGNATURE');
});

test('rotation: current and previous secrets verify, others do not', () => {
  const body = sampleEvent('group.updated');
  const webhook = new Webhook(['whsec_new', 'whsec_old']);
  assert.equal(codeOf(() => webhook.verify(body, hmac('whsec_new', body))), 'ok');
  assert.equal(codeOf(() => webhook.verify(body, hmac('whsec_old', body))), 'ok');
  assert.equal(codeOf(() => webhook.verify(body, hmac('whsec_other', body))), 'INVALID_SIGNATURE');
  assert.equal(pkg.verify(['whsec_new', 'whsec_old'], body, hmac('whsec_old', body)), true);
});

test('payloads as string, Buffer and Uint8Array give the same event', () => {
  const body = sampleEvent('conversation.message.read', { id: 'evt_ü' });
  const signature = hmac(SECRET, body);
  const webhook = new Webhook(SECRET);
  for (const payload of [body, Buffer.from(body), new Uint8Array(Buffer.from(body))]) {
    assert.equal(webhook.constructEvent(payload, signature).id, 'evt_ü');
  }
});

test('samples: sixteen types, each parses back to itself and is deterministic', () => {
  const types = eventTypes();
  assert.equal(types.length, 16);
  for (const { type, description, object } of types) {
    const body = sampleEvent(type);
    assert.equal(body, sampleEvent(type));
    assert.equal(parseEvent(body).type, type);
    assert.ok(description.length > 5 && object.length > 3);
  }
  assert.equal(JSON.parse(sampleEvent('conversation.message.created', { id: 'x', createdAt: 5 })).created_at, 5);
});

test('sign() accepts every payload form and an empty secret reproduces any signature', () => {
  assert.equal(sign('k', 'héllo'), hmac('k', 'héllo'));
  assert.equal(sign('k', Buffer.from('héllo')), hmac('k', 'héllo'));
  assert.equal(sign('', 'x'), hmac('', 'x'));
});

test('Deduplicator: bounded, expiring, insertion-ordered', () => {
  let now = 0;
  const seen = new Deduplicator({ ttlSeconds: 10, maxEntries: 3, now: () => now });
  seen.add('a').add('b').add('c');
  assert.ok(seen.has('a') && seen.has('c'));
  seen.add('d');
  assert.equal(seen.size, 3);
  assert.equal(seen.has('a'), false, 'oldest evicted at the bound');
  now = 9_999;
  assert.ok(seen.has('d'));
  now = 10_001;
  assert.equal(seen.has('d'), false, 'expired after the TTL');
  seen.add('e');
  assert.equal(seen.size, 1, 'expired entries are pruned on add');
  assert.ok(seen.delete('e') && !seen.has('e'));
});

test('Deduplicator.claim: concurrent deliveries of one event are processed once', async () => {
  let now = 0;
  const seen = new Deduplicator({ ttlSeconds: 100, leaseSeconds: 10, now: () => now });
  // Three async handlers for one event, each awaiting between its check and its work: with
  // has()/add() all three would process it.
  const processed = [];
  const handler = async (id) => {
    const claim = seen.claim(id);
    await new Promise((resolve) => setImmediate(resolve));
    if (claim === 'claimed') {
      processed.push(id);
      seen.complete(id);
    }
    return claim;
  };
  assert.deepEqual((await Promise.all([1, 2, 3].map(() => handler('evt_1')))).sort(), ['claimed', 'in_flight', 'in_flight']);
  assert.deepEqual(processed, ['evt_1']);
  assert.equal(seen.claim('evt_1'), 'duplicate');
  assert.equal(seen.has('evt_1'), true);
  // A failed attempt releases its claim: the retry may claim it.
  assert.equal(seen.claim('evt_2'), 'claimed');
  assert.equal(seen.release('evt_2'), true);
  assert.equal(seen.claim('evt_2'), 'claimed');
  // A claim never completed nor released (a hung handler) lapses after leaseSeconds.
  now = 9_999;
  assert.equal(seen.claim('evt_2'), 'in_flight');
  now = 10_001;
  assert.equal(seen.claim('evt_2'), 'claimed');
  // Processed ids expire after ttlSeconds; delete forgets claims too.
  now = 100_001;
  assert.equal(seen.claim('evt_1'), 'claimed');
  assert.equal(seen.delete('evt_1'), true);
  assert.equal(seen.claim('evt_1'), 'claimed');
  assert.throws(() => new Deduplicator({ leaseSeconds: 0 }), TypeError);
});

test('large payloads (4 MiB) verify and the scratch memory is reused safely afterwards', () => {
  const big = Buffer.alloc(4 << 20, 0x61);
  const webhook = new Webhook(SECRET);
  webhook.verify(big, hmac(SECRET, big));
  const small = sampleEvent('contact.created');
  webhook.verify(small, hmac(SECRET, small));
  assert.equal(codeOf(() => webhook.verify(small, hmac(SECRET, big))), 'INVALID_SIGNATURE');
});

test('isKnownEvent tells the sixteen types from new ones', () => {
  assert.equal(isKnownEvent(parseEvent(sampleEvent('group.member_removed'))), true);
  assert.equal(isKnownEvent(parseEvent('{"id":"e","type":"conversation.pinned","created_at":1,"data":{"object":{}}}')), false);
  assert.equal(isKnownEvent(null), false);
});

test('unset secrets in a list are skipped; NO_SECRET when none remain; other types are still refused', () => {
  const body = sampleEvent('contact.created');
  const previous = hmac('whsec_previous', body);
  // What `[process.env.A, process.env.B]` gives when one of them is unset.
  for (const secrets of [[undefined, 'whsec_previous'], ['whsec_previous', null], ['', 'whsec_previous']]) {
    assert.equal(new Webhook(secrets).constructEvent(body, previous).type, 'contact.created');
    assert.equal(pkg.verify(secrets, body, previous), true);
    assert.equal(pkg.verify(secrets, body, hmac('whsec_other', body)), false);
  }
  for (const none of [undefined, null, [undefined, null, '']]) {
    assert.equal(codeOf(() => new Webhook(none)), 'NO_SECRET');
    assert.equal(codeOf(() => pkg.verify(none, body, previous)), 'NO_SECRET');
  }
  assert.throws(() => new Webhook([42]), TypeError);
  assert.throws(() => new Webhook([{ secret: 'whsec' }, 'whsec']), TypeError);
});
