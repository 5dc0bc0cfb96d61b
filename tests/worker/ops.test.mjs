// The webhook script's side of the split (src/worker/ops/mod.rs, "The contract"): what it hands
// the ops script through `OPS`, seen by a recording JS ops script in the same workerd, and what
// it answers without one or when it fails. The built ops script itself is tested by the admin
// API's tests (durable.test.mjs, durable-cli.test.mjs), which go through the webhook script.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { SECRET, eventBody, freshRateWindow, read, sign, sleep, startOrigin, startWorker } from './helpers.mjs';

/** An ops script that records every request it gets and answers 299 with what it saw. */
const RECORDING_OPS = `
const seen = [];
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/__seen') return Response.json(seen);
    const record = {
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    };
    seen.push(record);
    if (url.pathname === '/admin/deny') return new Response('{"code":"UNAUTHORIZED"}', { status: 401 });
    // listen's publish reads the hub's status: 204 is "no listener registered".
    if (url.pathname === '/internal/listen/event') return new Response(null, { status: 204 });
    return new Response(JSON.stringify(record), { status: 299, headers: { 'content-type': 'application/json', 'x-from': 'ops' } });
  },
};`;

/** What the recording ops script of `worker` has seen (asked directly, not through the webhook script). */
async function seenBy(worker) {
  const ops = await worker.mf.getWorker('ops');
  return (await ops.fetch('http://ops.test/__seen')).json();
}

/** An ops script that always throws. */
const FAILING_OPS = 'export default { fetch() { throw new Error("ops down"); } };';

describe('the webhook script hands /admin and /listen to OPS', () => {
  let origin;
  let worker;
  const seen = () => seenBy(worker);
  before(async () => {
    origin = await startOrigin();
    worker = await startWorker({ vars: { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin.url }, ops: RECORDING_OPS, rateLimit: 3 });
  });
  after(async () => {
    await worker?.dispose();
    await origin?.close();
  });

  test('verbatim: method, path, query, headers and body; the answer as the ops script gave it', async () => {
    const response = await worker.fetch('/admin/events/evt_1/replay?state=dead&x=%2F', {
      method: 'POST',
      headers: { authorization: 'Bearer some-token', 'x-custom': 'kept' },
      body: '{"a":1}',
    });
    assert.equal(response.status, 299);
    assert.equal(response.headers.get('x-from'), 'ops');
    const got = await response.json();
    assert.equal(got.method, 'POST');
    assert.equal(new URL(got.url).pathname + new URL(got.url).search, '/admin/events/evt_1/replay?state=dead&x=%2F');
    assert.equal(got.headers.authorization, 'Bearer some-token');
    assert.equal(got.headers['x-custom'], 'kept');
    assert.equal(got.body, '{"a":1}');
    for (const path of ['/admin', '/listen', '/listen/stream?x=1']) {
      assert.equal((await worker.fetch(path)).status, 299, path);
    }
    // Only those prefixes: /adminx and /listener stay the webhook script's (404 here).
    for (const path of ['/adminx', '/listener']) {
      assert.equal((await worker.fetch(path)).status, 404, path);
    }
  });

  test('the ops script never sees a webhook, and no notice goes out without LISTEN_TOKEN', async () => {
    const before = (await seen()).length;
    const r = await read(await worker.post(eventBody()));
    assert.equal(r.json.status, 'forwarded');
    await sleep(300);
    assert.equal((await seen()).length, before);
  });

  test("the ops script's 401s count against the address, like forged deliveries", async () => {
    await freshRateWindow(); // the count under test is one window's
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await worker.fetch('/admin/deny', { headers: { 'cf-connecting-ip': '203.0.113.9' } })).status);
    }
    assert.deepEqual(statuses.slice(0, 3), [401, 401, 401]);
    assert.equal(statuses.at(-1), 429, 'refused before reaching the ops script');
    const line = worker.logLines().findLast((l) => l.status === 401);
    assert.equal(line.outcome, 'unauthorized');
  });
});

describe('with LISTEN_TOKEN: one publish per new verified event, after the reply', () => {
  test('POST /internal/listen/event: the claim winner only, framed with the exact body and DigiVault\'s signature', async () => {
    const origin = await startOrigin();
    const worker = await startWorker({
      vars: { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin.url, LISTEN_TOKEN: 'listen-token-0123456789abcdef0123' },
      ops: RECORDING_OPS,
    });
    try {
      const body = eventBody();
      const id = JSON.parse(body).id;
      assert.equal((await read(await worker.post(body))).json.status, 'forwarded');
      assert.equal((await read(await worker.post(body))).json.status, 'duplicate');
      assert.equal((await read(await worker.post(body, { secret: 'whsec_wrong_0123456789' }))).status, 401);
      // Sent after the reply: wait for them, then a little longer for any extra one (a retry
      // would show up within 250 ms: the recording script answers 204, "no listener").
      for (let i = 0; (await seenBy(worker)).length < 2 && i < 200; i++) await sleep(25);
      await sleep(600);
      const all = await seenBy(worker);
      // The forged one is reported as refused-delivery evidence (docs/console.md), not as an event.
      assert.deepEqual(all.filter((n) => new URL(n.url).pathname !== '/internal/listen/event').map((n) => new URL(n.url).pathname), ['/internal/refused']);
      const notices = all.filter((n) => new URL(n.url).pathname === '/internal/listen/event');
      assert.equal(notices.length, 1, 'the claim winner only: no publish for the duplicate or the forged one, no retry after a 204');
      const [notice] = notices;
      assert.equal(notice.method, 'POST');
      // The frame: one JSON line of metadata, then the body exactly as DigiVault sent it.
      const newline = notice.body.indexOf('\n');
      const meta = JSON.parse(notice.body.slice(0, newline));
      assert.equal(notice.body.slice(newline + 1), body);
      assert.equal(meta.id, id);
      assert.equal(meta.type, 'conversation.message.created');
      assert.equal(meta.content_type, 'application/json');
      assert.equal(meta.signature_header, 'X-DigiVault-Signature');
      assert.equal(meta.signature, sign(body), 'DigiVault\'s own signature, for the listener to verify');
      assert.ok(!notice.body.includes(SECRET), 'never the secret');
    } finally {
      await worker.dispose();
      await origin.close();
    }
  });
});

describe('without a working ops script', () => {
  test('no OPS binding: /admin and /listen are 404; webhooks unaffected', async () => {
    const origin = await startOrigin();
    const worker = await startWorker({ vars: { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin.url }, ops: false });
    try {
      for (const path of ['/admin/stats', '/listen']) {
        const r = await read(await worker.fetch(path));
        assert.equal(r.status, 404, path);
      }
      assert.equal((await read(await worker.post(eventBody()))).json.status, 'forwarded');
    } finally {
      await worker.dispose();
      await origin.close();
    }
  });

  test('OPS failing: 503 OPS_UNAVAILABLE, logged at error; webhooks unaffected', async () => {
    const origin = await startOrigin();
    const worker = await startWorker({ vars: { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin.url }, ops: FAILING_OPS });
    try {
      const r = await read(await worker.fetch('/admin/stats'));
      assert.equal(r.status, 503);
      assert.equal(r.json.code, 'OPS_UNAVAILABLE');
      const line = worker.logLines().findLast((l) => l.code === 'OPS_UNAVAILABLE');
      assert.equal(line.level, 'error');
      assert.equal((await read(await worker.post(eventBody()))).json.status, 'forwarded');
    } finally {
      await worker.dispose();
      await origin.close();
    }
  });
});
