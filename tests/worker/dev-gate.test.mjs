// make dev's front door (scripts/lib/dev-gate.mjs) in front of a real HTTP server standing in for
// wrangler dev: requests pass through when the Worker is ready, wait while it builds, and get a
// 503 that says why (never a hang) when the build takes too long or failed; WebSocket upgrades
// pass through byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { DevGate } from '../../scripts/lib/dev-gate.mjs';

let upstream;
let upstreamPort;
let gate;
let server;
let base;

before(async () => {
  upstream = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ method: req.method, path: req.url, body: Buffer.concat(chunks).toString(), signature: req.headers['x-digivault-signature'] ?? null }));
    });
  });
  // An echo WebSocket-like upgrade: 101, then every byte sent back.
  upstream.on('upgrade', (req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.pipe(socket);
  });
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = upstream.address().port;
  gate = new DevGate({ target: () => upstreamPort, holdMs: 800 });
  server = await gate.listen(0);
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => {
  server.close();
  upstream.close();
});

test('ready: a request goes through unchanged (method, path, body, headers) and comes back unchanged', async () => {
  gate.set('ready');
  const res = await fetch(`${base}/webhooks?x=1`, { method: 'POST', body: '{"id":"evt_1"}', headers: { 'x-digivault-signature': 'ab12' } });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('x-upstream'), 'yes');
  assert.deepEqual(await res.json(), { method: 'POST', path: '/webhooks?x=1', body: '{"id":"evt_1"}', signature: 'ab12' });
});

test('building: a request waits and is answered by the new build once it is ready', async () => {
  gate.set('building');
  const t = performance.now();
  setTimeout(() => gate.set('ready'), 300);
  const res = await fetch(`${base}/health`);
  assert.equal(res.status, 201);
  assert.ok(performance.now() - t >= 250, 'it waited for the build');
});

test('a build longer than the hold: 503 DEV_REBUILDING with Retry-After, after the hold and not much later', async () => {
  gate.set('building');
  const t = performance.now();
  const res = await fetch(`${base}/health`);
  const waited = performance.now() - t;
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('retry-after'), '2');
  const body = await res.json();
  assert.equal(body.code, 'DEV_REBUILDING');
  assert.match(body.message, /rebuilding the Worker after a change in src\//);
  assert.ok(waited >= 750 && waited < 3000, `answered after ${waited} ms`);
});

test('a failed build: 503 DEV_BUILD_FAILED at once, saying what to do', async () => {
  gate.set('failed', 'exit status 101');
  const t = performance.now();
  const res = await fetch(`${base}/webhooks`, { method: 'POST', body: '{}' });
  assert.equal(res.status, 503);
  const body = await res.json();
  assert.equal(body.code, 'DEV_BUILD_FAILED');
  assert.match(body.message, /exit status 101.*fix src\//);
  assert.ok(performance.now() - t < 500);
});

test('requests waiting for a build that then fails get DEV_BUILD_FAILED as soon as it fails', async () => {
  gate.set('building');
  setTimeout(() => gate.set('failed', 'exit status 101'), 100);
  const answers = await Promise.all([1, 2, 3].map(() => fetch(`${base}/health`).then((r) => r.json())));
  assert.deepEqual(answers.map((a) => a.code), ['DEV_BUILD_FAILED', 'DEV_BUILD_FAILED', 'DEV_BUILD_FAILED']);
});

test('ready but wrangler gone: a 503, not a hang or a dropped connection', async () => {
  const dead = new DevGate({ target: () => 1, holdMs: 100 });
  dead.set('ready');
  const front = await dead.listen(0);
  try {
    const res = await fetch(`http://127.0.0.1:${front.address().port}/health`);
    assert.equal(res.status, 503);
    assert.equal((await res.json()).code, 'DEV_REBUILDING');
  } finally {
    front.close();
  }
});

test('a WebSocket upgrade (listen) passes through once ready, bytes both ways', async () => {
  gate.set('ready');
  const socket = connect(server.address().port, '127.0.0.1');
  const received = [];
  socket.on('data', (c) => received.push(c));
  await new Promise((r) => socket.once('connect', r));
  // Waits for what is expected, not a fixed time: on a loaded machine 200 ms was too short.
  const until = async (pattern) => {
    for (const deadline = Date.now() + 10_000; !pattern.test(Buffer.concat(received).toString()) && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return Buffer.concat(received).toString();
  };
  socket.write('GET /listen HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  assert.match(await until(/^HTTP\/1\.1 101 [^]*\r\n\r\n/), /^HTTP\/1\.1 101 /);
  socket.write('ping-bytes');
  const text = await until(/ping-bytes$/);
  socket.destroy();
  assert.match(text, /^HTTP\/1\.1 101 /);
  assert.match(text, /ping-bytes$/);
});
