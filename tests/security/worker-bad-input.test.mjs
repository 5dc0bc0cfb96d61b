// SECURITY.md's bad-input table, observed at the edge: every class of bad input sent to the
// BUILT Worker (build/, `make build-worker`) in workerd, with the status and code it gets, and
// nothing of it reaching the origin. Reuses tests/worker/helpers.mjs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { SECRET, eventBody, freshRateWindow, read, sign, startOrigin, startWorker } from '../worker/helpers.mjs';

const fixtures = (name) => JSON.parse(readFileSync(new URL(`../${name}`, import.meta.url), 'utf8'));
const bytesOf = (x) => (x.body_base64 !== undefined ? Buffer.from(x.body_base64, 'base64') : Buffer.from(x.body, 'utf8'));
const MAX_BODY_BYTES = 64 * 1024;

describe('bad input at the Worker', () => {
  let origin;
  let worker;
  before(async () => {
    origin = await startOrigin();
    worker = await startWorker({
      vars: { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin.url, MAX_BODY_BYTES: String(MAX_BODY_BYTES) },
      rateLimit: null,
    });
  });
  after(async () => {
    await worker?.dispose();
    await origin?.close();
  });
  /** POSTs `body` with `signature` (default: the right one) and reads the reply. */
  const post = async (body, signature = sign(body)) =>
    read(await worker.post(body, { secret: null, headers: signature === null ? {} : { 'X-DigiVault-Signature': signature } }));
  const forwarded = () => origin.received.length;

  test('malformed, truncated and wrong-length signatures: 401 MALFORMED_SIGNATURE; missing: 401 MISSING_SIGNATURE', async () => {
    const body = eventBody();
    const right = sign(body);
    const malformed = [
      `sha256=${right}`,
      `v1,${right}`,
      Buffer.from(right, 'hex').toString('base64'),
      'z'.repeat(64),
      right.slice(0, 63), // odd length
      right + '00', // too long
      right.slice(0, 32), // truncated
      right.slice(0, 2),
      `${right.slice(0, 32)} ${right.slice(32)}`,
      `${right},${right}`,
    ];
    const before = forwarded();
    for (const signature of malformed) {
      const reply = await post(body, signature);
      assert.equal(reply.status, 401, signature);
      assert.equal(reply.json.code, 'MALFORMED_SIGNATURE', signature);
    }
    for (const signature of [null, '', '   ']) {
      const reply = await post(body, signature);
      assert.equal(reply.status, 401);
      assert.equal(reply.json.code, 'MISSING_SIGNATURE');
    }
    assert.equal(forwarded(), before);
  });

  test('well-formed but wrong signatures and tampered bodies: 401 INVALID_SIGNATURE', async () => {
    const body = eventBody();
    const right = sign(body);
    const wrong = [
      sign(body, 'whsec_someone_else'),
      right.slice(0, 63) + (right[63] === '0' ? '1' : '0'),
      '0'.repeat(64),
      sign(body + '\n'),
      sign(JSON.stringify(JSON.parse(body), null, 2)),
    ];
    const before = forwarded();
    for (const signature of wrong) {
      const reply = await post(body, signature);
      assert.equal(reply.status, 401);
      assert.equal(reply.json.code, 'INVALID_SIGNATURE');
    }
    const tampered = await post(body.replace('Hello', 'Jello'), right);
    assert.equal(tampered.status, 401);
    assert.equal(tampered.json.code, 'INVALID_SIGNATURE');
    assert.equal(forwarded(), before);
  });

  test('an oversized body: 413 PAYLOAD_TOO_LARGE, signed or not', async () => {
    const big = eventBody({ message: 'x'.repeat(MAX_BODY_BYTES) });
    const before = forwarded();
    for (const signature of [sign(big), null]) {
      const reply = await post(big, signature);
      assert.equal(reply.status, 413);
      assert.equal(reply.json.code, 'PAYLOAD_TOO_LARGE');
    }
    assert.equal(forwarded(), before);
  });

  test('every invalid event fixture, correctly signed: 400 with the core code and path; every valid one forwarded', async () => {
    // invalid UTF-8, deep nesting, huge numbers, missing fields, wrong types, duplicate keys, not JSON…
    let invalid = 0;
    let forwards = 0;
    const before = forwarded();
    for (const fixture of fixtures('events.json').events) {
      const body = bytesOf(fixture);
      if (body.length > MAX_BODY_BYTES) continue;
      const reply = await post(body);
      if (fixture.expect.code) {
        invalid++;
        assert.equal(reply.status, 400, fixture.name);
        assert.equal(reply.json.code, fixture.expect.code, fixture.name);
        if (fixture.expect.path) assert.equal(reply.json.path, fixture.expect.path, fixture.name);
      } else {
        assert.equal(reply.status, 200, `${fixture.name}: ${reply.text}`);
        assert.ok(['forwarded', 'duplicate'].includes(reply.json.status), fixture.name);
        if (reply.json.status === 'forwarded') forwards++;
      }
    }
    assert.ok(invalid >= 25, `${invalid} invalid fixtures`);
    // Only the valid events reached the origin.
    assert.equal(forwarded() - before, forwards);
  });

  test('huge numbers and deep nesting built here: 400, never a crash', async () => {
    const base = JSON.parse(eventBody());
    const cases = [
      [{ ...base, created_at: 1e300 }, 'INVALID_EVENT', 'created_at'],
      [{ ...base, data: { object: { ...base.data.object, extra: '__HUGE__' } } }, 'INVALID_EVENT', 'data.object.extra'],
      [{ ...base, data: { object: { ...base.data.object, extra: '__DEEP__' } } }, 'INVALID_JSON', undefined],
    ];
    for (const [event, code, path] of cases) {
      const body = JSON.stringify(event)
        .replace('"__HUGE__"', '1e999')
        .replace('"__DEEP__"', '['.repeat(5000) + ']'.repeat(5000));
      const reply = await post(body);
      assert.equal(reply.status, 400, body.slice(0, 120));
      assert.equal(reply.json.code, code);
      if (path) assert.equal(reply.json.path, path);
    }
    // The Worker still answers normally afterwards.
    assert.equal((await post(eventBody())).json.status, 'forwarded');
  });

  test('a replayed event is a duplicate, not forwarded again', async () => {
    const body = eventBody();
    assert.equal((await post(body)).json.status, 'forwarded');
    const before = forwarded();
    for (let i = 0; i < 5; i++) {
      const reply = await post(body);
      assert.equal(reply.status, 200);
      assert.equal(reply.json.status, 'duplicate');
    }
    assert.equal(forwarded(), before);
  });
});

describe('replay window and floods at the Worker', () => {
  let origin;
  let worker;
  before(async () => {
    origin = await startOrigin();
    worker = await startWorker({
      vars: { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin.url, MAX_EVENT_AGE_SECONDS: '28800' },
      rateLimit: 20,
    });
  });
  after(async () => {
    await worker?.dispose();
    await origin?.close();
  });

  test('an old event replayed with its valid signature: 400 EVENT_TOO_OLD', async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = eventBody({ createdAt: now - 3 * 86400 });
    const reply = await read(await worker.post(old));
    assert.equal(reply.status, 400);
    assert.equal(reply.json.code, 'EVENT_TOO_OLD');
    assert.equal(origin.received.length, 0);
  });

  test('a flood from one address: unsigned ones are counted, then the address gets 429; signed ones before that never count', async () => {
    const from = { 'CF-Connecting-IP': '198.51.100.23' };
    await freshRateWindow(); // the count under test is one window's
    const statuses = [];
    for (let i = 0; i < 60; i++) {
      const response = await worker.post(eventBody(), { secret: i % 2 ? null : SECRET, headers: from });
      statuses.push(response.status);
      await response.text();
    }
    // The limit is 20 failures: the 21st unsigned request (the 42nd in all) is the last
    // one answered; the address is refused after it, whatever it sends.
    const firstRefused = statuses.indexOf(429);
    assert.equal(firstRefused, 42, statuses.join(' '));
    assert.ok(statuses.slice(0, 42).every((s, i) => s === (i % 2 ? 401 : 200)), statuses.join(' '));
    assert.ok(statuses.slice(42).every((s) => s === 429), statuses.join(' '));
    assert.equal(origin.received.length, 21);
  });
});
