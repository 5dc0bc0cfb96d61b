// The delivery ledger (LEDGER, the EventLedger Durable Object) in real workerd through
// Miniflare: the built Worker twice, as two named Workers (two isolates, "location A" and
// "location B") sharing one ledger and one KV namespace, forwarding to a real origin on
// 127.0.0.1. Run `make build-worker` first (`make test-worker` does).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { SECRET, eventBody, read, sha256, startLocations, startOrigin, waitFor } from './helpers.mjs';

const idOf = (body) => JSON.parse(body).id;
const VARS = { WEBHOOK_SECRET: SECRET, FORWARD_TIMEOUT_MS: '10000' };

/**
 * `events` events, each delivered 2 to 8 times at once, copies alternating between the two
 * locations, while the origin holds every forward until all other copies were answered.
 * Returns how many times the origin received each id, and every answer.
 */
async function concurrentCopies(locations, origin, events) {
  origin.mode = 'hold';
  const deliveries = [];
  for (let i = 0; i < events; i++) {
    const body = eventBody();
    const copies = 2 + (i % 7);
    for (let c = 0; c < copies; c++) deliveries.push({ body, at: c % 2 === 0 ? locations.a : locations.b });
  }
  const answers = [];
  const pending = deliveries.map(({ body, at }) =>
    at
      .post(body)
      .then(read)
      .then((r) => {
        answers.push({ id: idOf(body), ...r });
        return r;
      }),
  );
  // Every delivery is either answered or held at the origin.
  await waitFor(() => answers.length + origin.held.length === deliveries.length, 'every copy answered or held', 60_000);
  const heldWhileOthersAnswered = origin.held.length;
  origin.release();
  await Promise.all(pending);
  const forwards = new Map();
  for (const r of origin.received) {
    const id = r.headers['x-digivault-event-id'];
    forwards.set(id, (forwards.get(id) ?? 0) + 1);
  }
  const bodies = new Map(deliveries.map(({ body }) => [idOf(body), body]));
  return { ids: [...bodies.keys()], bodies, forwards, answers, heldWhileOthersAnswered, deliveries: deliveries.length };
}

describe('two isolates sharing one ledger', () => {
  let origin;
  let locations;
  before(async () => {
    origin = await startOrigin();
    locations = await startLocations({ vars: { ...VARS, FORWARD_URL: origin.url } });
  });
  after(async () => {
    await locations?.dispose();
    await origin?.close();
  });

  test('concurrent copies across both: every event forwarded exactly once', async () => {
    const events = 40;
    const run = await concurrentCopies(locations, origin, events);
    assert.equal(run.heldWhileOthersAnswered, events, 'one forward per event while the others were answered');
    for (const id of run.ids) assert.equal(run.forwards.get(id), 1, `${id} forwarded once`);
    const forwarded = run.answers.filter((r) => r.status === 200 && r.json.status === 'forwarded');
    assert.equal(forwarded.length, events);
    for (const r of run.answers.filter((r) => r.json.status !== 'forwarded')) {
      // The losers ran while the winner was held: in flight.
      assert.equal(r.status, 409, JSON.stringify(r.json));
      assert.equal(r.json.code, 'IN_FLIGHT');
    }
    // A retry at either location, once done: 200 duplicate, nothing forwarded.
    origin.mode = 'ok';
    const before = origin.received.length;
    for (const id of run.ids) {
      for (const at of [locations.a, locations.b]) {
        const r = await read(await at.post(run.bodies.get(id)));
        assert.equal(r.status, 200);
        assert.deepEqual(r.json, { status: 'duplicate' });
      }
    }
    assert.equal(origin.received.length, before, 'no retry forwarded');
  });

  test('a retry at the other location is a duplicate answered by the ledger', async () => {
    origin.mode = 'ok';
    const body = eventBody();
    assert.equal((await read(await locations.a.post(body))).json.status, 'forwarded');
    for (const at of [locations.b, locations.a, locations.b]) {
      const r = await read(await at.post(body));
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { status: 'duplicate' });
    }
    const forwards = origin.received.filter((r) => r.headers['x-digivault-event-id'] === idOf(body));
    assert.equal(forwards.length, 1);
    const { row, live } = await locations.lookup(idOf(body));
    assert.equal(live, true);
    assert.equal(row.state, 'done');
    assert.equal(row.body_sha256, sha256(body));
  });

  test('a failed forward releases the claim: the retry at the other location forwards', async () => {
    const body = eventBody();
    origin.mode = 'fail';
    const failed = await read(await locations.a.post(body));
    assert.equal(failed.status, 502);
    origin.mode = 'ok';
    const retried = await read(await locations.b.post(body));
    assert.equal(retried.json.status, 'forwarded');
    const forwards = origin.received.filter((r) => r.headers['x-digivault-event-id'] === idOf(body));
    assert.equal(forwards.length, 2, 'the failed attempt and the retry');
  });

  test('the same id with another body: 409 CONFLICTING_DUPLICATE, both hashes logged at warn', async () => {
    origin.mode = 'ok';
    const id = `evt_conflict_${Date.now()}`;
    const first = eventBody({ id, message: 'first' });
    const second = eventBody({ id, message: 'second' });
    assert.equal((await read(await locations.a.post(first))).json.status, 'forwarded');
    // Also at the isolate that forwarded it (its cache knows the id done, with another body).
    for (const at of [locations.a, locations.b]) {
      const r = await read(await at.post(second));
      assert.equal(r.status, 409);
      assert.equal(r.json.code, 'CONFLICTING_DUPLICATE');
    }
    const forwards = origin.received.filter((r) => r.headers['x-digivault-event-id'] === id);
    assert.equal(forwards.length, 1);
    assert.ok(forwards[0].body.equals(Buffer.from(first)));
    // Log lines arrive from workerd asynchronously.
    const conflictLines = () => locations.logLines().filter((l) => l.event_id === id && l.code === 'CONFLICTING_DUPLICATE');
    await waitFor(() => conflictLines().length === 2, 'both conflict log lines');
    const lines = conflictLines();
    for (const line of lines) {
      assert.equal(line.level, 'warn');
      assert.equal(line.body_sha256, sha256(second));
      assert.equal(line.stored_sha256, sha256(first));
    }
    // The original body is still a plain duplicate.
    assert.equal((await read(await locations.b.post(first))).json.status, 'duplicate');
  });

  test('ids forwarded in KV mode before the switch stay duplicates', async () => {
    origin.mode = 'ok';
    const body = eventBody();
    await locations.kvPut(`done:${idOf(body)}`, '1', { expirationTtl: 3600 });
    const r = await read(await locations.b.post(body));
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'duplicate' });
    assert.equal(origin.received.filter((f) => f.headers['x-digivault-event-id'] === idOf(body)).length, 0);
    // ...and the ledger now knows it done.
    assert.equal((await locations.lookup(idOf(body))).row.state, 'done');
  });
});

describe('LEDGER_SINCE: the KV read of the switch period, bounded', () => {
  test('once the switch is behind, a new id costs no KV read: a KV done: marker is no longer seen', async () => {
    const origin = await startOrigin();
    // LEDGER_SINCE 0: the switch (and every marker KV mode wrote) is more than DEDUP_TTL_SECONDS ago.
    const locations = await startLocations({ vars: { ...VARS, FORWARD_URL: origin.url, LEDGER_SINCE: '0' } });
    try {
      const body = eventBody();
      await locations.kvPut(`done:${idOf(body)}`, '1', { expirationTtl: 3600 });
      const r = await read(await locations.b.post(body));
      assert.equal(r.status, 200);
      assert.equal(r.json.status, 'forwarded', 'the stale marker was not read');
      // The ledger still decides: the next copy is a duplicate.
      assert.equal((await read(await locations.a.post(body))).json.status, 'duplicate');
      assert.equal(origin.received.filter((f) => f.headers['x-digivault-event-id'] === idOf(body)).length, 1);
    } finally {
      await locations.dispose();
      await origin.close();
    }
  });
});

describe('KV mode (no LEDGER), for comparison', () => {
  test('concurrent copies across two isolates: forwarded twice is reported, not asserted', async (t) => {
    const origin = await startOrigin();
    const locations = await startLocations({ vars: { ...VARS, FORWARD_URL: origin.url }, ledger: false });
    try {
      const events = 40;
      const run = await concurrentCopies(locations, origin, events);
      const twice = run.ids.filter((id) => (run.forwards.get(id) ?? 0) > 1).length;
      const extra = [...run.forwards.values()].reduce((sum, n) => sum + n - 1, 0);
      // Every event reached the origin at least once.
      for (const id of run.ids) assert.ok((run.forwards.get(id) ?? 0) >= 1, `${id} forwarded`);
      t.diagnostic(`KV mode: ${twice} of ${events} events forwarded more than once (${extra} extra forwards, ${run.deliveries} deliveries)`);
    } finally {
      await locations.dispose();
      await origin.close();
    }
  });
});

describe('claim expiry after a crashed isolate', () => {
  test('the Worker dies mid-forward: the retry after the lease forwards once', async () => {
    const origin = await startOrigin();
    const dir = await mkdtemp(join(tmpdir(), 'ledger-crash-'));
    // FORWARD_TIMEOUT_MS 500: a lease of 5.5 s (500 ms + the 5 s margin).
    const vars = { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin.url, FORWARD_TIMEOUT_MS: '500' };
    try {
      let locations = await startLocations({ vars, persist: dir });
      const body = eventBody();
      const id = idOf(body);
      origin.mode = 'hang';
      const crashed = locations.a.post(body).then(read, (err) => ({ error: err }));
      await waitFor(() => origin.received.some((r) => r.headers['x-digivault-event-id'] === id), 'the forward reached the origin');
      await locations.dispose();
      await crashed;
      assert.equal((await crashed).status, undefined, 'the crashed delivery was never answered');

      origin.mode = 'ok';
      locations = await startLocations({ vars, persist: dir });
      try {
        // While the lease runs: retryable 409; then exactly one forward.
        const answers = [];
        for (;;) {
          const r = await read(await locations.b.post(body));
          answers.push(r);
          if (r.status !== 409) break;
          assert.equal(r.json.code, 'IN_FLIGHT');
          if (answers.length > 200) assert.fail('the claim never expired');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(answers.at(-1).status, 200);
        assert.equal(answers.at(-1).json.status, 'forwarded');
        assert.ok(answers.length > 1, 'the claim outlived the crash');
        assert.equal((await read(await locations.a.post(body))).json.status, 'duplicate');
        const forwards = origin.received.filter((r) => r.headers['x-digivault-event-id'] === id);
        assert.equal(forwards.length, 2, 'the crashed forward and one after the lease');
      } finally {
        await locations.dispose();
      }
    } finally {
      await origin.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('done-marker expiry', () => {
  test('after DEDUP_TTL_SECONDS the alarm deletes the row and the id forwards again', async () => {
    const origin = await startOrigin();
    const locations = await startLocations({ vars: { ...VARS, FORWARD_URL: origin.url, DEDUP_TTL_SECONDS: '1' } });
    try {
      const body = eventBody();
      const id = idOf(body);
      assert.equal((await read(await locations.a.post(body))).json.status, 'forwarded');
      assert.equal((await read(await locations.b.post(body))).json.status, 'duplicate');
      assert.equal((await locations.lookup(id)).row.state, 'done');
      // The alarm deletes the row once it expired (no wall-clock assertion: polled, bounded).
      await (async () => {
        for (let i = 0; i < 150; i++) {
          if ((await locations.lookup(id)).row === null) return;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.fail('the expired row was never deleted');
      })();
      // The isolates' own memory of the id ends with the same TTL, counted from when each
      // learned it (a few ms later than the ledger): duplicates until then, then one forward.
      for (let i = 0; ; i++) {
        const r = await read(await locations.b.post(body));
        if (r.json.status === 'forwarded') break;
        assert.equal(r.json.status, 'duplicate');
        if (i > 50) assert.fail('the id was never forgotten');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(origin.received.filter((r) => r.headers['x-digivault-event-id'] === id).length, 2);
    } finally {
      await locations.dispose();
      await origin.close();
    }
  });
});

// A JS stand-in for the ledger's class, bound by scriptName: a real Durable Object, called
// over RPC (`answer(path, body)`, as the Worker calls EventLedger), that fails, or fails only
// for some operations.
const ledgerScript = (failing) => `
import { DurableObject } from 'cloudflare:workers';
export class EventLedger extends DurableObject {
  async answer(path) {
    const op = path.slice(1);
    if (${JSON.stringify(failing)}.includes(op)) throw new Error('ledger storage failed (simulated)');
    if (op === 'claim') return JSON.stringify({ outcome: 'claimed', token: Date.now() + 30000 });
    return '{}';
  }
}
export default { fetch() { return new Response('ledger host'); } };
`;

describe('ledger failures', () => {
  let origin;
  before(async () => {
    origin = await startOrigin();
  });
  after(async () => origin?.close());

  test('the ledger unreachable: 503 LEDGER_UNAVAILABLE, nothing forwarded, logged at error', async () => {
    const locations = await startLocations({
      vars: { ...VARS, FORWARD_URL: origin.url },
      ledgerScript: ledgerScript(['claim', 'done', 'release', 'lookup']),
    });
    try {
      origin.mode = 'ok';
      const body = eventBody();
      for (const at of [locations.a, locations.b]) {
        const r = await read(await at.post(body));
        assert.equal(r.status, 503);
        assert.equal(r.json.code, 'LEDGER_UNAVAILABLE');
        assert.ok(Number(r.headers.get('retry-after')) > 0);
      }
      assert.equal(origin.received.filter((r) => r.headers['x-digivault-event-id'] === idOf(body)).length, 0);
      const logged = () => locations.logLines().filter((l) => l.event_id === idOf(body));
      await waitFor(() => logged().length === 2, 'both log lines');
      const lines = logged();
      for (const line of lines) {
        assert.equal(line.level, 'error');
        assert.deepEqual(line.ledger_errors, ['claim']);
      }
    } finally {
      await locations.dispose();
    }
  });

  test('the done mark fails after the origin 2xx: still 200 forwarded, logged at error', async () => {
    const locations = await startLocations({
      vars: { ...VARS, FORWARD_URL: origin.url },
      ledgerScript: ledgerScript(['done', 'release']),
    });
    try {
      origin.mode = 'ok';
      const body = eventBody();
      const r = await read(await locations.a.post(body));
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { status: 'forwarded' });
      origin.mode = 'fail';
      const failed = await read(await locations.b.post(eventBody()));
      assert.equal(failed.status, 502, 'a failed release does not change the origin error');
      await waitFor(() => locations.logLines().length >= 2, 'both log lines');
      const lines = locations.logLines();
      const done = lines.find((l) => l.event_id === idOf(body));
      assert.equal(done.level, 'error');
      assert.deepEqual(done.ledger_errors, ['done']);
      assert.ok(lines.some((l) => l.status === 502 && l.ledger_errors?.[0] === 'release'));
    } finally {
      await locations.dispose();
    }
  });
});
