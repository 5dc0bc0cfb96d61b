// The sender simulator (pkg/cli.js, `digivault-webhooks send`) against a local origin on
// 127.0.0.1: DigiVault's retry schedule (scaled), its response timeout, duplicates, and
// signatures checked with node:crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageDir } from './fixtures.mjs';

const { deliver, send, parseArgs, RETRY_SCHEDULE_MS } = await import(`${packageDir}/cli.js`);
const SECRET = 'whsec_cli_test';
const hmac = (body) => createHmac('sha256', SECRET).update(body).digest('hex');

/**
 * An origin on 127.0.0.1:0 answering the n-th request (from 0) with `answer(n)`: a status,
 * or 'hang' (no answer until closed). Records each request with its arrival time.
 */
async function origin(answer) {
  const received = [];
  const hanging = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const n = received.length;
      received.push({ at: performance.now(), headers: req.headers, body: Buffer.concat(chunks) });
      const status = answer(n);
      if (status === 'hang') return hanging.push(res);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: status < 300 ? 'forwarded' : 'error' }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/webhooks`,
    received,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

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

test('the command line: sample events of every type, a file, a JSON summary and the exit status', async () => {
  const run = promisify(execFile);
  const cli = join(packageDir, 'cli.js');
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  assert.equal(manifest.bin['digivault-webhooks'], './cli.js');
  assert.match(readFileSync(cli, 'utf8'), /^#!\/usr\/bin\/env node\n/);

  const server = await origin(() => 200);
  const dir = mkdtempSync(join(tmpdir(), 'dv-cli-'));
  try {
    const { stdout } = await run(process.execPath, [cli, 'send', '--url', server.url, '--secret', SECRET, '--type', 'all', '--count', '16']);
    const summary = JSON.parse(stdout);
    assert.equal(summary.delivered, 16);
    const types = new Set(server.received.map(({ body }) => JSON.parse(body).type));
    assert.equal(types.size, 16);
    const ids = new Set(server.received.map(({ body }) => JSON.parse(body).id));
    assert.equal(ids.size, 16, 'distinct ids');
    for (const { headers, body } of server.received) assert.equal(headers['x-digivault-signature'], hmac(body));

    const file = join(dir, 'event.json');
    writeFileSync(file, Buffer.from('{"id":"from_file"}\n'));
    await run(process.execPath, [cli, 'send', '--url', server.url, '--secret', SECRET, '--file', file, '--header', 'legacy']);
    const last = server.received.at(-1);
    assert.equal(last.body.toString(), '{"id":"from_file"}\n', 'sent verbatim');
    assert.equal(last.headers['x-bitvault-signature'], hmac(last.body));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  }

  // Nothing listens on a port of a closed server: every attempt fails, exit status 1.
  const failed = await run(process.execPath, [cli, 'send', '--url', server.url, '--secret', SECRET, '--time-scale', '1e7', '--timeout-ms', '1000']).catch((err) => err);
  assert.equal(failed.code, 1);
  assert.equal(JSON.parse(failed.stdout).failed, 1);
  assert.equal(JSON.parse(failed.stdout).attempts, 6);

  const usage = await run(process.execPath, [cli, 'send', '--secret', SECRET]).catch((err) => err);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--url/);
});

test('argument parsing refuses what it cannot honour', () => {
  assert.throws(() => parseArgs(['--url', 'ftp://x', '--secret', 's']), /--url/);
  assert.throws(() => parseArgs(['--url', 'http://x', '--secret', 's', '--count', '0']), /--count/);
  assert.throws(() => parseArgs(['--url', 'http://x', '--secret', 's', '--type', 'a', '--file', 'b']), /not both/);
  assert.throws(() => parseArgs(['--url', 'http://x', '--secret', 's', '--bogus', '1']), /unknown option/);
  const parsed = parseArgs(['--url=http://127.0.0.1:1/x', '--secret', 's', '--time-scale', '60', '--concurrent-duplicates', '--duplicates', '2']);
  assert.equal(parsed.timeScale, 60);
  assert.equal(parsed.timeoutMs, 30_000, 'the response timeout is not scaled');
  assert.equal(parsed.concurrentDuplicates, true);
  assert.equal(parsed.duplicates, 2);
});
