// Alerts (issue 18, section 4): the BUILT Worker in workerd (Miniflare) with its ledger and
// console objects, posting to an alert receiver on 127.0.0.1. Run `make build-worker` first.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, describe, test } from 'node:test';

import { signBody } from '../../src/js/sender.js';
import { eventBody, read, sign, sleep } from './helpers.mjs';
import { ADMIN_TOKEN, eventually, startDurableOrigin, startDurableWorker } from './durable-helpers.mjs';

const ALERT_SECRET = 'alert-secret-0123456789';
const INTERVAL_MS = 2000;

/** An alert receiver: records each POST (parsed JSON, signature header); answers `status`. */
async function startAlertSink() {
  const sink = { status: 200, alerts: [], requests: 0, hang: false, held: [] };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      sink.requests++;
      if (sink.hang) {
        sink.held.push(res);
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      if (sink.status < 300) {
        sink.alerts.push({ body, json: JSON.parse(body), signature: req.headers['x-digivault-alert-signature'], at: Date.now() });
      }
      res.writeHead(sink.status, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${server.address().port}/alerts`;
  sink.of = (kind) => sink.alerts.filter((alert) => alert.json.kind === kind);
  sink.close = () => {
    for (const res of sink.held) res.destroy();
    server.closeAllConnections?.();
    return new Promise((resolve) => server.close(resolve));
  };
  return sink;
}

describe('alerts', () => {
  const cleanups = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  async function setUp(vars = {}) {
    const sink = await startAlertSink();
    const worker = await startDurableWorker({
      vars: {
        FORWARD_URL: 'http://127.0.0.1:9/none',
        ADMIN_TOKEN,
        ALERT_URL: sink.url,
        ALERT_SECRET,
        ALERT_INTERVAL_SECONDS: String(INTERVAL_MS / 1000),
        ALERT_FAILURE_THRESHOLD: '3',
        ...vars,
      },
      console: true,
      rateLimit: null,
    });
    cleanups.push(() => sink.close(), () => worker.dispose());
    return { sink, worker };
  }
  const wrongSecret = (worker, i) =>
    worker.fetch('/webhooks', {
      method: 'POST',
      headers: { 'cf-connecting-ip': `192.0.2.${i % 250}`, 'x-digivault-signature': sign(`x${i}`, 'whsec_rotated_elsewhere') },
      body: eventBody(),
    });

  test('refused deliveries raise one alert per interval naming the diagnosis, signed, then resolved', async () => {
    const { sink, worker } = await setUp();
    // Refusals for 5 s, one every 100 ms: the condition holds for more than two intervals.
    const started = Date.now();
    for (let i = 0; Date.now() - started < 5000; i++) {
      assert.equal((await wrongSecret(worker, i)).status, 401);
      await sleep(100);
    }
    const resolved = await eventually(() => sink.of('resolved'), (list) => list.length > 0, 'a resolved alert', 20_000);
    const failures = sink.of('verification_failures');
    assert.ok(failures.length >= 1 && failures.length <= 4, `${failures.length} alerts in ~5 s at one per 2 s`);
    for (let i = 1; i < failures.length; i++) {
      assert.ok(failures[i].json.at - failures[i - 1].json.at >= INTERVAL_MS, 'at most one per interval');
    }
    const first = failures[0];
    assert.equal(first.json.mistake, 'WRONG_SECRET');
    assert.match(first.json.text, /refused/);
    assert.match(first.json.text, /WRONG_SECRET/);
    assert.ok(first.json.count >= 3);
    assert.ok(first.json.ids.length >= 1 && first.json.ids.length <= 5);
    assert.equal(first.json.console_url, 'http://receiver.test/#console/refused');
    // Verifiable with this package's signing (HMAC-SHA256 hex of the exact body).
    assert.equal(first.signature, signBody(ALERT_SECRET, first.body));
    assert.deepEqual(resolved[0].json.resolves, ['verification_failures']);
    assert.ok(resolved[0].json.at > failures.at(-1).json.at);
    // The console lists what was sent, newest first. An alert is recorded once its POST was
    // answered, so the sink may see the last one a moment before the list does.
    const listed = await eventually(
      async () => read(await worker.admin('/admin/alerts')),
      (list) => list.status !== 200 || list.json.alerts.length >= sink.alerts.length,
      'the alerts listed as the sink received them',
    );
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.json.alerts.map((alert) => alert.kind),
      [...sink.alerts].reverse().map((alert) => alert.json.kind),
    );
    assert.ok(listed.json.alerts.every((alert) => alert.outcome === 'sent' && alert.status === 200 && alert.attempts === 1));
    assert.equal(listed.json.cursor, null);
  });

  test('a dead letter and a backlog are alerted, the backlog resolved once it clears', async () => {
    const origin = await startDurableOrigin();
    cleanups.push(() => origin.close());
    const { sink } = await setUp({
      FORWARD_URL: origin.url,
      DELIVERY_MODE: 'durable',
      FORWARD_TIMEOUT_MS: '1000',
      RETRY_SCHEDULE_SECONDS: '1,1,1',
      ALERT_BACKLOG_SECONDS: '1',
    }).then(async (setup) => {
      origin.status = 500;
      const body = eventBody();
      setup.id = JSON.parse(body).id;
      assert.equal((await setup.worker.post(body)).status, 202);
      return setup;
    });
    const backlog = await eventually(() => sink.of('backlog'), (list) => list.length > 0, 'a backlog alert', 20_000);
    assert.match(backlog[0].json.text, /pending/);
    assert.ok(backlog[0].json.oldest_pending_at > 0);
    const dead = await eventually(() => sink.of('dead_letter'), (list) => list.length > 0, 'a dead_letter alert', 20_000);
    assert.equal(dead[0].json.count, 1);
    assert.match(dead[0].json.text, /died/);
    assert.equal(dead[0].json.ids.length, 1);
    const resolved = await eventually(
      () => sink.of('resolved').flatMap((alert) => alert.json.resolves),
      (kinds) => kinds.includes('backlog'),
      'the backlog resolved',
      20_000,
    );
    assert.ok(!resolved.includes('dead_letter'), 'a dead event is still there');
    assert.equal(sink.of('backlog').length, 1, 'one alert per condition');
  });

  test('a failing alert URL is retried, then recorded as failed; webhooks are not affected', async () => {
    const { sink, worker } = await setUp();
    sink.status = 500;
    for (let i = 0; i < 5; i++) assert.equal((await wrongSecret(worker, i)).status, 401);
    const failed = await eventually(
      async () => (await read(await worker.admin('/admin/alerts'))).json.alerts,
      (alerts) => alerts.length > 0,
      'a failed alert recorded',
      20_000,
    );
    assert.equal(failed[0].kind, 'verification_failures');
    assert.equal(failed[0].outcome, 'failed');
    assert.equal(failed[0].attempts, 3);
    assert.equal(failed[0].status, 500);
    assert.ok(sink.requests >= 3);
    // While the alert URL holds an alert's request open, deliveries are still answered.
    sink.hang = true;
    await sleep(2 * INTERVAL_MS);
    for (let i = 10; i < 15; i++) assert.equal((await wrongSecret(worker, i)).status, 401);
    await eventually(() => sink.held.length, (held) => held > 0, 'an alert request held open', 20_000);
    assert.equal((await wrongSecret(worker, 99)).status, 401, 'answered while an alert hangs');
    assert.equal((await worker.post(eventBody())).status, 502, 'a verified delivery too');
  });
});
