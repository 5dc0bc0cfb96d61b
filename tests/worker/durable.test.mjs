// Durable delivery (DELIVERY_MODE=durable): the BUILT Worker and its ledger object in
// workerd (Miniflare), a real origin on 127.0.0.1, retry schedules made short through
// RETRY_SCHEDULE_SECONDS. Run `make build-worker` first.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { SECRET, eventBody, freshRateWindow, read, sleep, waitFor } from './helpers.mjs';
import { ADMIN_TOKEN, eventually, signedCorrectly, startDurableOrigin, startDurableWorker } from './durable-helpers.mjs';

const idOf = (body) => JSON.parse(body).id;

/** DigiVault's schedule (1 min, 5 min, 15 min, 1 h, 6 h: 26 460 s), scaled down 6000 times. */
const SENDER_HORIZON_MS = (26_460 * 1000) / 6000;

async function stats(worker) {
  const response = await read(await worker.admin('/admin/stats'));
  assert.equal(response.status, 200, response.text);
  return response.json;
}

describe('durable mode', () => {
  const cleanups = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  async function setUp(vars = {}, options = {}) {
    const origin = await startDurableOrigin();
    const worker = await startDurableWorker({
      vars: {
        FORWARD_URL: origin.url,
        DELIVERY_MODE: 'durable',
        FORWARD_TIMEOUT_MS: '1000',
        ADMIN_TOKEN,
        ...vars,
      },
      ...options,
    });
    cleanups.push(() => origin.close(), () => worker.dispose());
    return { origin, worker };
  }

  test('an outage far longer than the sender\'s whole schedule loses nothing', async () => {
    const outageMs = 2 * SENDER_HORIZON_MS;
    // The receiver's own schedule (37.5 s, at least 30 s with jitter) outlasts the outage:
    // the time the 40 deliveries take plus twice the sender's whole schedule, with room for
    // a loaded machine (test files run side by side; at load 12 the 21.5 s it had was short).
    const { origin, worker } = await setUp({ RETRY_SCHEDULE_SECONDS: '0.5,1,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2' });
    origin.down = true;
    const bodies = Array.from({ length: 40 }, (_, i) => eventBody({ message: `outage ${i} ✓ "quoted"\n` }));
    for (const body of bodies) {
      const response = await read(await worker.post(body));
      // Acknowledged at the first attempt: DigiVault has nothing to retry.
      assert.equal(response.status, 202, response.text);
      assert.deepEqual(response.json, { status: 'accepted' });
    }
    await sleep(outageMs);
    assert.equal(origin.accepted.length, 0, 'nothing reached the origin while it was down');
    origin.down = false;
    await waitFor(() => origin.accepted.length >= bodies.length, 'every event delivered', 60_000);
    // Settled: nothing pending or running, so nothing more will be sent.
    const counts = await eventually(() => stats(worker), (c) => c.delivered === bodies.length, 'all delivered');
    assert.equal(counts.delivered, bodies.length);
    assert.equal(counts.pending + counts.delivering + counts.dead, 0);
    for (const body of bodies) {
      const [received, ...again] = origin.acceptedFor(idOf(body));
      assert.equal(again.length, 0, 'delivered once');
      assert.ok(received.body.equals(Buffer.from(body)), 'byte-identical');
      assert.ok(signedCorrectly(received.headers, received.body), 'signature header as received');
      assert.equal(received.headers['x-digivault-event-type'], 'conversation.message.created');
      assert.equal(received.headers['x-digivault-replay'], undefined);
    }
    // The timeline: failed attempts logged as warn, one delivered line per event.
    const lines = worker.logLines();
    const delivered = lines.filter((line) => line.outcome === 'delivered');
    assert.equal(delivered.length, bodies.length);
    assert.ok(lines.some((line) => line.outcome === 'attempt_failed' && line.error === 'unreachable' && line.level === 'warn'));
    for (const line of lines) assert.ok(!JSON.stringify(line).includes('outage 0'), 'no body in logs');
  });

  test('repeats: same body 200 duplicate whatever the state, another body 409', async () => {
    const { origin, worker } = await setUp({ RETRY_SCHEDULE_SECONDS: '60' });
    origin.down = true;
    const body = eventBody();
    assert.equal((await worker.post(body)).status, 202);
    // Pending (the origin is down): a repeat is a duplicate, not a second delivery.
    const repeat = await read(await worker.post(body));
    assert.equal(repeat.status, 200);
    assert.deepEqual(repeat.json, { status: 'duplicate' });
    const other = JSON.stringify({ ...JSON.parse(body), data: { object: { id: 'c_2' } }, type: 'contact.deleted' });
    const conflict = await read(await worker.post(other));
    assert.equal(conflict.status, 409);
    assert.equal(conflict.json.code, 'CONFLICTING_DUPLICATE');
    // Pending (its retry is a minute away): a replay is refused, it is being delivered.
    const replay = await read(await worker.admin(`/admin/events/${idOf(body)}/replay`, { method: 'POST' }));
    assert.equal(replay.status, 409);
    assert.equal(replay.json.code, 'NOT_SETTLED');
    const pending = await read(await worker.admin('/admin/events?state=pending'));
    assert.deepEqual(pending.json.events.map((e) => [e.id, e.attempt_count]), [[idOf(body), 1]]);
    assert.ok(pending.json.events[0].next_attempt_at > Date.now());
  });

  test('the delivery carries the Content-Type as received, as a forward does', async () => {
    const { origin, worker } = await setUp();
    const body = eventBody();
    const contentType = 'application/json; charset=utf-8';
    assert.equal((await worker.post(body, { headers: { 'content-type': contentType } })).status, 202);
    await waitFor(() => origin.acceptedFor(idOf(body)).length === 1, 'delivered');
    assert.equal(origin.acceptedFor(idOf(body))[0].headers['content-type'], contentType);
  });

  test('with DEDUP bound, ids forwarded before the switch (KV done: keys) stay duplicates', async () => {
    const { origin, worker } = await setUp();
    const before = eventBody();
    const fresh = eventBody();
    await worker.kvPut(`done:${idOf(before)}`, '1', { expirationTtl: 3600 });
    const repeat = await read(await worker.post(before));
    assert.equal(repeat.status, 200, repeat.text);
    assert.deepEqual(repeat.json, { status: 'duplicate' });
    // Not stored: the ledger does not know it, so nothing will ever deliver it.
    const stored = await read(await worker.admin(`/admin/events/${encodeURIComponent(idOf(before))}`));
    assert.equal(stored.status, 404, stored.text);
    assert.equal((await worker.post(fresh)).status, 202);
    await waitFor(() => origin.acceptedFor(idOf(fresh)).length === 1, 'the new id delivered');
    assert.equal(origin.acceptedFor(idOf(before)).length, 0);
  });

  test('an event the origin refuses forever ends dead, is listed, and a replay delivers it once', async () => {
    const { origin, worker } = await setUp({ RETRY_SCHEDULE_SECONDS: '0.1,0.1,0.1' });
    const doomed = eventBody();
    const fine = eventBody();
    origin.failIds.add(idOf(doomed));
    assert.equal((await worker.post(doomed)).status, 202);
    assert.equal((await worker.post(fine)).status, 202);
    await waitFor(() => origin.attempts.filter((r) => r.id === idOf(doomed)).length >= 4, 'four attempts');
    const event = await eventually(
      async () => (await read(await worker.admin(`/admin/events/${encodeURIComponent(idOf(doomed))}`))).json,
      (e) => e.state === 'dead',
      'dead',
    );
    assert.equal(event.attempts.length, 4, 'the first attempt and three retries');
    assert.ok(event.attempts.every((attempt) => attempt.status === 500));
    assert.equal(event.type, 'conversation.message.created');
    assert.equal(event.size, Buffer.byteLength(doomed));
    assert.ok(worker.logLines().some((line) => line.outcome === 'dead' && line.level === 'error' && line.event_id === idOf(doomed)));

    const dead = await read(await worker.admin('/admin/events?state=dead&limit=10'));
    assert.equal(dead.status, 200);
    assert.deepEqual(dead.json.events.map((e) => e.id), [idOf(doomed)]);
    assert.equal(dead.json.events[0].attempt_count, 4);
    assert.equal(dead.json.cursor, null);
    assert.equal((await stats(worker)).dead, 1);

    origin.failIds.clear();
    const replay = await read(await worker.admin(`/admin/events/${encodeURIComponent(idOf(doomed))}/replay`, { method: 'POST' }));
    assert.equal(replay.status, 202, replay.text);
    await waitFor(() => origin.acceptedFor(idOf(doomed)).length === 1, 'delivered after the replay');
    const again = await read(await worker.admin(`/admin/events/${encodeURIComponent(idOf(doomed))}/replay`, { method: 'POST' }));
    // Delivered by now or about to be: either a second replay (marked) or 409 while running.
    if (again.status === 202) {
      await waitFor(() => origin.acceptedFor(idOf(doomed)).length === 2, 'replayed delivery');
      assert.equal(origin.acceptedFor(idOf(doomed))[1].headers['x-digivault-replay'], '1');
    } else {
      assert.equal(again.status, 409);
    }
    assert.equal(origin.acceptedFor(idOf(doomed))[0].headers['x-digivault-replay'], undefined, 'a dead event was never accepted: not a replay');
    assert.equal(origin.acceptedFor(idOf(fine)).length, 1);
    const shown = (await read(await worker.admin(`/admin/events/${encodeURIComponent(idOf(fine))}?body=1`))).json;
    assert.equal(shown.state, 'delivered');
    assert.equal(shown.body, fine);
    assert.equal((await read(await worker.admin('/admin/events/nope'))).status, 404);
  });

  test('bulk replay of dead events', async () => {
    const { origin, worker } = await setUp({ RETRY_SCHEDULE_SECONDS: '0.05' });
    origin.status = 503;
    const bodies = [eventBody(), eventBody(), eventBody()];
    for (const body of bodies) assert.equal((await worker.post(body)).status, 202);
    await waitFor(() => origin.attempts.length >= 6, 'two attempts each');
    await eventually(() => stats(worker), (c) => c.dead === 3, 'three dead');
    origin.status = 200;
    const bulk = await read(await worker.admin('/admin/events/replay?state=dead', { method: 'POST' }));
    assert.equal(bulk.status, 200, bulk.text);
    assert.deepEqual(bulk.json, { replayed: 3, remaining: 0 });
    await waitFor(() => origin.accepted.length === 3, 'all three delivered');
    for (const body of bodies) assert.equal(origin.acceptedFor(idOf(body)).length, 1);
  });

  test('the admin API refuses wrong or missing tokens, without a hint', async () => {
    const { worker } = await setUp();
    for (const token of [null, 'wrong-token-0123456789abcdef0123456789', `${ADMIN_TOKEN}x`, '']) {
      for (const [method, path] of [['GET', '/admin/stats'], ['GET', '/admin/events/x'], ['POST', '/admin/events/replay?state=dead'], ['GET', '/admin/nothing']]) {
        const response = await read(await worker.admin(path, { method, token }));
        assert.equal(response.status, 401, `${method} ${path}`);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer');
        assert.deepEqual(Object.keys(response.json).sort(), ['code', 'message', 'status']);
        assert.equal(response.json.code, 'UNAUTHORIZED');
      }
    }
    const bad = await read(await worker.admin('/admin/events?state=nope'));
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 'INVALID_QUERY');
  });

  test('failed admin logins count against the address like forged deliveries', async () => {
    const { worker } = await setUp({}, { rateLimit: 5 });
    await freshRateWindow(); // the count under test is one window's
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await worker.admin('/admin/stats', { token: 'guess-0123456789abcdef0123456789abcdef' })).status);
    assert.equal(statuses[0], 401);
    assert.ok(statuses.includes(429), `refused after too many failures: ${statuses}`);
    // The address is refused for everything now, the right token included.
    assert.equal((await worker.admin('/admin/stats')).status, 429);
  });

  test('without ADMIN_TOKEN the admin API does not exist', async () => {
    const { worker } = await setUp({ ADMIN_TOKEN: '' });
    for (const path of ['/admin/stats', '/admin/events?state=dead']) {
      const response = await read(await worker.admin(path));
      assert.equal(response.status, 404);
      assert.equal(response.headers.get('www-authenticate'), null);
    }
  });

  test('the ops script without the delivery settings: the ledger refuses to store, the webhook answers 503, nothing is lost', async () => {
    const origin = await startDurableOrigin();
    const vars = { FORWARD_URL: origin.url, DELIVERY_MODE: 'durable', FORWARD_TIMEOUT_MS: '1000' };
    // What a deploy that set FORWARD_URL on the webhook script only looks like (ops/wrangler.toml).
    const { FORWARD_URL: _, ...opsVars } = { WEBHOOK_SECRET: SECRET, ...vars };
    const worker = await startDurableWorker({ vars, opsVars });
    cleanups.push(() => origin.close(), () => worker.dispose());
    const response = await read(await worker.post(eventBody()));
    assert.equal(response.status, 503);
    assert.equal(response.json.code, 'LEDGER_UNAVAILABLE');
    assert.ok(response.headers.get('retry-after'));
    const line = worker.logLines().at(-1);
    assert.deepEqual(line.ledger_errors, ['store']);
    assert.match(line.detail, /not configured where EventLedger runs: .*FORWARD_URL/);
    await sleep(1500);
    assert.equal(origin.attempts.length, 0);
  });

  test('durable mode without LEDGER is a configuration error', async () => {
    const origin = await startDurableOrigin();
    const worker = await startDurableWorker({ vars: { FORWARD_URL: origin.url, DELIVERY_MODE: 'durable' }, ledger: false });
    cleanups.push(() => origin.close(), () => worker.dispose());
    const response = await read(await worker.post(eventBody()));
    assert.equal(response.status, 500);
    assert.equal(response.json.code, 'CONFIG_ERROR');
    // The caller gets a generic message; the log names the binding.
    assert.ok(worker.logLines().some((line) => /LEDGER/.test(line.detail ?? '')));
    assert.equal(origin.attempts.length, 0);
  });
});

describe('durable mode across restarts (persisted ledger)', () => {
  const dirs = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('a crash between storing and delivering loses nothing; switching back to forward keeps delivering', async () => {
    const persist = mkdtempSync(join(tmpdir(), 'durable-ledger-'));
    dirs.push(persist);
    const origin = await startDurableOrigin();
    const vars = { FORWARD_URL: origin.url, FORWARD_TIMEOUT_MS: '1000', RETRY_SCHEDULE_SECONDS: '0.2,0.2,0.5,1,1,1,1,1' };
    try {
      origin.down = true;
      let worker = await startDurableWorker({ vars: { ...vars, DELIVERY_MODE: 'durable' }, persist });
      const bodies = Array.from({ length: 10 }, () => eventBody());
      for (const body of bodies) assert.equal((await worker.post(body)).status, 202);
      // The process dies right after acknowledging: nothing has reached the origin.
      await worker.dispose();
      assert.equal(origin.accepted.length, 0);
      origin.down = false;

      // Restarted on the same state, in forward mode: what was stored is still delivered.
      worker = await startDurableWorker({ vars: { ...vars, DELIVERY_MODE: 'forward', ADMIN_TOKEN }, persist });
      try {
        await waitFor(() => origin.accepted.length >= bodies.length, 'stored events delivered after the restart', 30_000);
        await eventually(() => stats(worker), (c) => c.delivered === bodies.length, 'all delivered');
        // Forwarded in forward mode (its row is `done`): listed as delivered, as the stats count it.
        const forwarded = eventBody();
        assert.equal((await worker.post(forwarded)).status, 200);
        const listed = (await read(await worker.admin('/admin/events?state=delivered&limit=50'))).json.events;
        assert.deepEqual(listed.map((event) => event.id).sort(), [...bodies, forwarded].map(idOf).sort());
        assert.ok(listed.every((event) => event.state === 'delivered'));
        // Its type came with the claim: listed, and found by the type filter.
        const type = JSON.parse(forwarded).type;
        assert.equal(listed.find((event) => event.id === idOf(forwarded)).type, type);
        const byType = (await read(await worker.admin(`/admin/events?state=delivered&type=${encodeURIComponent(type)}&id=${encodeURIComponent(idOf(forwarded))}`))).json.events;
        assert.deepEqual(byType.map((event) => event.id), [idOf(forwarded)]);
        for (const body of bodies) {
          const received = origin.acceptedFor(idOf(body));
          assert.equal(received.length, 1, 'delivered once');
          assert.ok(received[0].body.equals(Buffer.from(body)));
        }
      } finally {
        await worker.dispose();
      }
    } finally {
      await origin.close();
    }
  });
});
