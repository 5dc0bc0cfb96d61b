// The console's bounds and settings (issue 18, sections 1, 2 and 5): the BUILT Worker in
// workerd (Miniflare) with its ledger and console objects. Run `make build-worker` first.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { SECRET, eventBody, read, sign, sleep, startWorker } from './helpers.mjs';
import { ADMIN_TOKEN, eventually, startDurableOrigin, startDurableWorker } from './durable-helpers.mjs';

describe('console bounds, admin queries and settings', () => {
  const cleanups = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  async function setUp(vars = {}) {
    const worker = await startDurableWorker({
      vars: { FORWARD_URL: 'http://127.0.0.1:9/none', ADMIN_TOKEN, ...vars },
      console: true,
      rateLimit: null,
    });
    cleanups.push(() => worker.dispose());
    return worker;
  }
  const forged = (worker, i) =>
    worker.fetch('/webhooks', {
      method: 'POST',
      headers: { 'cf-connecting-ip': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'x-digivault-signature': sign(`other ${i}`) },
      body: eventBody(),
    });

  /** Every record, page by page (the cursor followed to its null end). */
  async function allFailures(worker, limit = 7) {
    const items = [];
    let cursor = '';
    for (let pages = 0; pages < 1000; pages++) {
      const response = await read(await worker.admin(`/admin/failures?limit=${limit}&cursor=${encodeURIComponent(cursor)}`));
      assert.equal(response.status, 200, response.text);
      items.push(...response.json.failures);
      if (response.json.cursor === null) return items;
      cursor = response.json.cursor;
    }
    throw new Error('the cursor never ended');
  }

  test('thousands of refused requests from many addresses keep at most FAILURE_SAMPLES and write at most the per-minute cap', async () => {
    const worker = await setUp({ FAILURE_SAMPLES: '40', FAILURE_SAMPLES_PER_MINUTE: '100' });
    const total = 2000;
    const startMinute = Math.floor(Date.now() / 60_000);
    for (let i = 0; i < total; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, j) => forged(worker, i + j)));
      for (const response of batch) assert.equal(response.status, 401);
    }
    const minutes = Math.floor(Date.now() / 60_000) - startMinute + 1;
    // Every refusal is counted (the reports are sent after the replies: wait for them).
    const stats = await eventually(
      async () => (await read(await worker.admin('/admin/stats'))).json,
      (json) => json.hours.reduce((sum, hour) => sum + hour.refused, 0) === total,
      'every refusal counted',
    );
    assert.equal(stats.hours.length, 24);
    const items = await allFailures(worker);
    assert.equal(items.length, 40, 'at most FAILURE_SAMPLES kept');
    assert.equal(new Set(items.map((item) => item.id)).size, 40);
    // Newest first, and ids are the order of writing: the newest id counts every write.
    const ids = items.map((item) => Number(item.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    assert.ok(ids[0] <= 100 * minutes, `${ids[0]} records written in ${minutes} minute(s), cap 100 a minute`);
    assert.ok(ids[0] >= 40);
    assert.equal(new Set(items.map((item) => item.address)).size, 40, 'many addresses');
  });

  test('records expire after FAILURE_TTL_SECONDS; FAILURE_SAMPLES=0 keeps nothing', async () => {
    const worker = await setUp({ FAILURE_TTL_SECONDS: '1' });
    for (let i = 0; i < 3; i++) assert.equal((await forged(worker, i)).status, 401);
    const [first] = await eventually(() => allFailures(worker), (items) => items.length === 3, 'three records');
    await sleep(1500);
    assert.deepEqual(await allFailures(worker), []);
    const gone = await read(await worker.admin(`/admin/failures/${first.id}`));
    assert.equal(gone.status, 404);
    assert.equal(gone.json.code, 'FAILURE_NOT_FOUND');

    const off = await setUp({ FAILURE_SAMPLES: '0' });
    for (let i = 0; i < 3; i++) assert.equal((await forged(off, i)).status, 401);
    await sleep(500);
    assert.deepEqual(await allFailures(off), []);
  });

  test('a malformed limit or cursor is 400 INVALID_QUERY, an unknown id 404, no token 401', async () => {
    const worker = await setUp();
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'cursor=zz', 'cursor=-1', 'limit=1&limit=2']) {
      for (const path of ['/admin/failures', '/admin/alerts']) {
        const response = await read(await worker.admin(`${path}?${query}`));
        assert.equal(response.status, 400, `${path}?${query}`);
        assert.equal(response.json.code, 'INVALID_QUERY');
      }
    }
    for (const id of ['999999', 'abc', '1.5']) {
      const response = await read(await worker.admin(`/admin/failures/${id}`));
      assert.equal(response.status, 404, id);
      assert.equal(response.json.code, 'FAILURE_NOT_FOUND');
    }
    assert.equal((await worker.admin('/admin/failures', { token: null })).status, 401);
    assert.equal((await worker.admin('/admin/alerts', { token: 'x'.repeat(40) })).status, 401);
    const empty = await read(await worker.admin('/admin/alerts'));
    assert.deepEqual(empty.json, { alerts: [], cursor: null });
  });

  test('events filter by type and id; stats count the last 24 hours', async () => {
    const origin = await startDurableOrigin();
    cleanups.push(() => origin.close());
    const worker = await setUp({ FORWARD_URL: origin.url, DELIVERY_MODE: 'durable', RETRY_SCHEDULE_SECONDS: '0.2' });
    const bodies = [eventBody(), eventBody(), eventBody()];
    for (const body of bodies) assert.equal((await worker.post(body)).status, 202);
    await eventually(() => origin.accepted.length, (n) => n === 3, 'three deliveries');
    const type = 'conversation.message.created';
    const listed = await eventually(
      async () => (await read(await worker.admin(`/admin/events?state=delivered&type=${type}`))).json,
      (json) => json.events.length === 3,
      'three delivered events of the type',
    );
    assert.ok(listed.events.every((event) => event.type === type));
    const none = await read(await worker.admin('/admin/events?state=delivered&type=contact.deleted'));
    assert.deepEqual(none.json, { events: [], cursor: null });
    const id = JSON.parse(bodies[1]).id;
    const one = await read(await worker.admin(`/admin/events?id=${encodeURIComponent(id)}`));
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.json.events.map((event) => event.id), [id]);
    assert.equal((await read(await worker.admin('/admin/events?type=x'))).json.code, 'INVALID_QUERY');

    assert.equal((await forged(worker, 1)).status, 401);
    const stats = await eventually(
      async () => (await read(await worker.admin('/admin/stats'))).json,
      (json) => json.hours.at(-1).refused === 1,
      'the refusal counted',
    );
    const now = stats.hours.at(-1);
    assert.ok(now.start <= Date.now() && Date.now() - now.start < 3_600_000);
    assert.equal(now.accepted, 3);
    assert.equal(now.delivered, 3);
    assert.equal(now.failed_attempts, 0);
    assert.equal(stats.delivered, 3);
    assert.equal(stats.oldest_pending_at, null);
    assert.equal(stats.last_attempt.status, 200);
  });

  test('console settings are validated like the others: CONFIG_ERROR to callers, details in the log', async () => {
    for (const [name, value] of [
      ['ALERT_URL', 'http://alerts.example/hook'],
      ['ALERT_URL', 'not a url'],
      ['FAILURE_SAMPLES', '20000'],
      ['FAILURE_SAMPLES_PER_MINUTE', '0'],
      ['FAILURE_TTL_SECONDS', 'soon'],
      ['ALERT_INTERVAL_SECONDS', '0'],
      ['ALERT_FAILURE_THRESHOLD', '-3'],
      ['ALERT_BACKLOG_SECONDS', '1.5'],
    ]) {
      const worker = await setUp({ [name]: value });
      // The ops script reads them all: its admin API answers CONFIG_ERROR.
      const admin = await read(await worker.admin('/admin/failures'));
      assert.equal(admin.status, 500, `${name}=${value}`);
      assert.equal(admin.json.code, 'CONFIG_ERROR');
      assert.ok(!admin.text.includes(name) && !admin.text.includes(value), admin.text);
      // The webhook script reads FAILURE_SAMPLES only: a bad ALERT_URL never stops a delivery.
      const webhook = await read(await worker.post(eventBody()));
      assert.equal(webhook.status, name === 'FAILURE_SAMPLES' ? 500 : 502, `${name}: ${webhook.text}`);
      const logged = worker.logLines().map((line) => line.detail ?? '').join('\n');
      assert.ok(logged.includes(name), `the log names ${name}: ${logged}`);
      if (name === 'ALERT_URL') assert.ok(!logged.includes(value), 'the URL itself is not logged');
    }
  });

  test('a verified delivery sends nothing to the ops script; each kept refusal one notice', async () => {
    // The ops script replaced by one that counts what it is sent.
    const ops = `const seen = [];
    export default {
      async fetch(request) {
        const url = new URL(request.url);
        if (url.pathname === '/admin/seen') return Response.json(seen);
        seen.push(url.pathname);
        return new Response(null, { status: 204 });
      },
    };`;
    const worker = await startWorker({ vars: { WEBHOOK_SECRET: SECRET, FORWARD_URL: 'http://127.0.0.1:9/none' }, ledger: true, ops, rateLimit: null });
    cleanups.push(() => worker.dispose());
    for (let i = 0; i < 20; i++) assert.equal((await worker.post(eventBody())).status, 502);
    for (let i = 0; i < 3; i++) assert.equal((await forged(worker, i)).status, 401);
    assert.equal((await worker.fetch('/nowhere', { method: 'POST', body: 'x' })).status, 404);
    const seen = await eventually(
      async () => (await read(await worker.fetch('/admin/seen'))).json,
      (list) => list.length >= 3,
      'three notices',
    );
    await sleep(300);
    const final = (await read(await worker.fetch('/admin/seen'))).json;
    assert.deepEqual(final, ['/internal/refused', '/internal/refused', '/internal/refused'], JSON.stringify(seen));
  });
});
