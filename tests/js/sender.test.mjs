// The sender simulator's delivery engine (pkg/sender.js) against a local origin on
// 127.0.0.1: DigiVault's retry schedule (scaled), its response timeout, duplicates, and
// signatures checked with node:crypto (independent of the sender's own signing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { packageDir } from './fixtures.mjs';
import { origin } from './origin.mjs';

const { deliver, send, RETRY_SCHEDULE_MS } = await import(`${packageDir}/sender.js`);
const SECRET = 'whsec_cli_test';
const hmac = (body) => createHmac('sha256', SECRET).update(body).digest('hex');

test('fails, then succeeds: retried on the scaled schedule, every attempt signed', async () => {
  const server = await origin((n) => (n < 3 ? 500 : 200));
  try {
    const timeScale = 600; // 1 min -> 100 ms, 5 min -> 500 ms, 15 min -> 1500 ms
    const summary = await send({ url: server.url, secret: SECRET, events: ['{"id":"evt_1","n":"é"}'], timeScale, keepResults: true });
    assert.equal(summary.delivered, 1);
    assert.equal(summary.attempts, 4);
    assert.equal(summary.retries, 3);
    assert.deepEqual(summary.responses, { 200: 1, 500: 3 });
    assert.equal(server.received.length, 4);
    for (let i = 1; i < 4; i++) {
      const gap = server.received[i].at - server.received[i - 1].at;
      const expected = RETRY_SCHEDULE_MS[i - 1] / timeScale;
      // Scaled (not minutes), and never early; generous above for a loaded machine.
      assert.ok(gap >= expected - 5 && gap < expected + 1500, `retry ${i} after ${gap.toFixed(0)} ms, expected ~${expected} ms`);
    }
    for (const { headers, body } of server.received) {
      assert.equal(body.toString(), '{"id":"evt_1","n":"é"}');
      assert.equal(headers['x-digivault-signature'], hmac(body));
      assert.equal(headers['content-type'], 'application/json');
    }
  } finally {
    await server.close();
  }
});

test('gives up after 5 retries (6 attempts), following 1m, 5m, 15m, 1h, 6h in proportion', async () => {
  const server = await origin(() => 503);
  try {
    const timeScale = 36_000; // 1.7, 8.3, 25, 100, 600 ms
    const result = await deliver({ url: server.url, secret: SECRET, body: '{}', timeScale });
    assert.equal(result.delivered, false);
    assert.equal(result.attempts.length, 6);
    assert.equal(server.received.length, 6);
    const gaps = server.received.slice(1).map((r, i) => r.at - server.received[i].at);
    RETRY_SCHEDULE_MS.forEach((ms, i) => assert.ok(gaps[i] >= ms / timeScale - 5, `gap ${i} ${gaps[i].toFixed(1)} ms, expected >= ${ms / timeScale} ms`));
    assert.ok(gaps[4] < 600 + 1500, `the 6 h retry is scaled: ${gaps[4].toFixed(0)} ms`);
  } finally {
    await server.close();
  }
});

test('no answer within the timeout counts as a failure and is retried', async () => {
  const server = await origin((n) => (n === 0 ? 'hang' : 200));
  try {
    const result = await deliver({ url: server.url, secret: SECRET, body: '{"id":"e"}', timeScale: 60_000, timeoutMs: 200 });
    assert.equal(result.delivered, true);
    assert.equal(result.attempts[0].error, 'timeout');
    assert.ok(result.attempts[0].ms >= 190 && result.attempts[0].ms < 2000, `timed out after ${result.attempts[0].ms} ms`);
    assert.equal(result.attempts[1].status, 200);
  } finally {
    await server.close();
  }
});

test('duplicates: sequential ones after the first delivery, concurrent ones alongside it', async () => {
  const server = await origin(() => 200);
  try {
    const sequential = await send({ url: server.url, secret: SECRET, events: ['{"id":"a"}', '{"id":"b"}'], duplicates: 2 });
    assert.equal(sequential.deliveries, 6);
    assert.equal(server.received.length, 6);
    const concurrent = await send({ url: server.url, secret: SECRET, events: ['{"id":"c"}'], duplicates: 3, concurrentDuplicates: true, header: 'X-BitVault-Signature' });
    assert.equal(concurrent.delivered, 4);
    const legacy = server.received.slice(6);
    assert.equal(legacy.length, 4);
    for (const { headers, body } of legacy) {
      assert.equal(headers['x-bitvault-signature'], hmac(body));
      assert.equal(headers['x-digivault-signature'], undefined);
    }
  } finally {
    await server.close();
  }
});
