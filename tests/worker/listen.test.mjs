// `digivault-webhooks listen` end to end: the BUILT Worker in workerd (Miniflare, serving on
// 127.0.0.1), the CLI as a real process, and a local server counting what it receives.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { eventBody, freePort, ROOT, SECRET, sign, sleep, startOrigin, startWorker, waitFor } from './helpers.mjs';
import { acceptedExactly, LISTEN_TOKEN, startCli, startLocal } from './listen-helpers.mjs';

const FIXTURES = JSON.parse(readFileSync(`${ROOT}tests/events.json`, 'utf8')).events;

/** A valid body of `type` with a fresh id (from tests/events.json). */
function typedBody(type, id = `evt_${randomUUID()}`) {
  const fixture = FIXTURES.find((f) => f.name === type && f.body);
  const event = JSON.parse(fixture.body);
  event.id = id;
  return JSON.stringify(event);
}

const DEV_VARS = { WEBHOOK_SECRET: SECRET, LISTEN_TOKEN };
const cleanups = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function devWorker(options = {}) {
  const worker = await startWorker({ ledger: true, hub: true, port: 0, vars: DEV_VARS, ...options });
  cleanups.push(() => worker.dispose());
  return worker;
}

async function local(options) {
  const server = await startLocal(options);
  cleanups.push(() => server.close());
  return server;
}

function cli(args, options) {
  const process = startCli(args, options);
  cleanups.push(() => process.kill());
  return process;
}

/** Posts `bodies` one after the other; every answer must be `status`. */
async function postAll(worker, bodies, status = 202) {
  for (const body of bodies) {
    const response = await worker.post(body);
    const text = await response.text();
    assert.equal(response.status, status, text);
  }
}

/** The checks every received event must pass: exact bytes, DigiVault's headers, verifiable. */
function assertExact(received, sent) {
  const byId = new Map(sent.map((body) => [JSON.parse(body).id, body]));
  const ids = received.map((r) => r.headers['x-digivault-event-id']);
  assert.equal(new Set(ids).size, ids.length, 'no event reached the local server twice');
  for (const r of received) {
    const body = byId.get(r.headers['x-digivault-event-id']);
    assert.ok(body, 'an event that was sent');
    assert.ok(r.body.equals(Buffer.from(body)), 'byte-identical body');
    assert.equal(r.headers['x-digivault-signature'], sign(r.body), 'verifies with the secret');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['x-digivault-event-type'], JSON.parse(body).type);
  }
  assert.deepEqual(new Set(ids), new Set(byId.keys()), 'every sent event arrived');
}

describe('listen, development mode (no FORWARD_URL)', () => {
  test('/health says the mode; /listen answers 401, 400 and 426 before any upgrade', async () => {
    const worker = await devWorker();
    const health = await worker.fetch('/health');
    assert.deepEqual(await health.json(), { status: 'ok', mode: 'development' });
    const auth = { authorization: `Bearer ${LISTEN_TOKEN}` };
    let response = await worker.fetch('/listen');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    response = await worker.fetch('/listen', { headers: { authorization: 'Bearer wrong-token-0123456789abcdef0123456789' } });
    assert.equal(response.status, 401);
    response = await worker.fetch('/listen?types=contact.created,contact.made', { headers: auth });
    assert.equal(response.status, 400);
    assert.match((await response.json()).message, /unknown event type `contact\.made`/);
    response = await worker.fetch('/listen', { headers: auth });
    assert.equal(response.status, 426);
    // (The Upgrade: websocket header the Worker adds is hop-by-hop: Miniflare's dispatch drops it.)
    assert.equal((await response.json()).code, 'UPGRADE_REQUIRED');
    // No listener registered yet: nothing is stored, DigiVault is asked to come back.
    const refused = await worker.post(eventBody());
    assert.equal(refused.status, 503);
    assert.equal((await refused.json()).code, 'NO_LISTENER');
  });

  test('the CLI says why the Worker refused it: 401 (wrong token), 400 (unknown type)', async () => {
    const worker = await devWorker();
    const wrong = cli(['--url', worker.url, '--forward-to', 'http://127.0.0.1:9/x'], { token: 'wrong-token-0123456789abcdef0123456789' });
    assert.equal(await wrong.exited, 1);
    assert.match(wrong.err.join('\n'), /refused the connection: 401 UNAUTHORIZED/);
    const badType = cli(['--url', worker.url, '--forward-to', 'http://127.0.0.1:9/x', '--types', 'contact.made']);
    assert.equal(await badType.exited, 1);
    assert.match(badType.err.join('\n'), /400 INVALID_QUERY: unknown event type `contact\.made`/);
    const onCommandLine = cli(['--url', worker.url, '--forward-to', 'http://127.0.0.1:9/x', '--token', LISTEN_TOKEN]);
    assert.equal(await onCommandLine.exited, 2);
    assert.match(onCommandLine.err.join('\n'), /environment only/);
  });

  test('200 events connected, 200 while stopped, restarted: 400 distinct, exact, verifiable, none twice', async () => {
    const worker = await devWorker();
    const server = await local();
    const first = cli(['--url', worker.url, '--forward-to', server.url]);
    await first.connected();
    const before = Array.from({ length: 200 }, () => eventBody());
    await postAll(worker, before);
    await acceptedExactly(server, 200);
    assert.equal(await first.stop(), 0);
    assert.match(first.err.join('\n'), /stopped/);
    // A line per event: time, type, id, the local status, the duration.
    assert.match(first.out[0], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}conversation\.message\.created {2}evt_\S+ {2}-> 200 {2}\d+ ms$/);

    const whileAway = Array.from({ length: 200 }, () => eventBody());
    await postAll(worker, whileAway);
    // DigiVault's retries and duplicates are not repeated to the listener.
    await postAll(worker, whileAway.slice(0, 20), 200);
    assert.equal(server.received.length, 200, 'nothing reaches the local server while the CLI is stopped');

    const second = cli(['--url', worker.url, '--forward-to', server.url]);
    await second.connected();
    const received = await acceptedExactly(server, 400);
    assert.match(second.err.join('\n'), /200 events waiting/);
    assert.equal(received.length, 400);
    assertExact(received, [...before, ...whileAway]);
    // Oldest first: the catch-up arrives in the order DigiVault's events were accepted.
    const caughtUp = received.slice(200).map((r) => r.headers['x-digivault-event-id']);
    assert.deepEqual(caughtUp, whileAway.map((body) => JSON.parse(body).id));
    assert.equal(await second.stop(), 0);
  });

  test('filters, and two names each get every event', async () => {
    const worker = await devWorker();
    const messages = await local();
    const everything = await local();
    const filtered = cli(['--url', worker.url, '--forward-to', messages.url, '--name', 'messages', '--types', 'conversation.message.created']);
    // On Node 22 the CLI uses the runtime's own WebSocket (not the `ws` package).
    const all = cli(['--url', worker.url, '--forward-to', everything.url, '--name', 'all'], { node: `${ROOT}node_modules/node22/bin/node` });
    await filtered.connected();
    await all.connected();
    const bodies = Array.from({ length: 20 }, (_, i) => (i % 2 ? eventBody() : typedBody('conversation.created')));
    await postAll(worker, bodies);
    assertExact(await acceptedExactly(everything, 20), bodies);
    const onlyMessages = bodies.filter((body) => JSON.parse(body).type === 'conversation.message.created');
    assertExact(await acceptedExactly(messages, 10), onlyMessages);
  });

  test('a malformed client message closes the socket with a reason and loses nothing', async () => {
    const worker = await devWorker();
    const { WebSocket } = await import('ws');
    const connect = () => {
      const socket = new WebSocket(`${worker.url.replace('http', 'ws')}/listen?name=raw`, { headers: { authorization: `Bearer ${LISTEN_TOKEN}` } });
      const messages = [];
      socket.on('message', (data, binary) => messages.push(binary ? data : JSON.parse(data.toString())));
      const closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
      return { socket, messages, closed, opened: new Promise((resolve) => socket.on('open', resolve)) };
    };
    const first = connect();
    await first.opened;
    const body = eventBody();
    await postAll(worker, [body]);
    await waitFor(() => first.messages.length === 2, 'hello and the event');
    assert.equal(first.messages[0].kind, 'hello');
    const frame = first.messages[1];
    const newline = frame.indexOf(0x0a);
    const meta = JSON.parse(frame.subarray(0, newline).toString());
    assert.equal(meta.id, JSON.parse(body).id);
    assert.ok(frame.subarray(newline + 1).equals(Buffer.from(body)));
    first.socket.send('not an ack');
    const { code, reason } = await first.closed;
    assert.equal(code, 4002);
    assert.match(reason, /malformed message/);
    // Not acknowledged: the next connection gets it again, then an ack removes it for good.
    const second = connect();
    await waitFor(() => second.messages.length === 2, 'the event again');
    assert.equal(second.messages[0].backlog, 1);
    second.socket.send(JSON.stringify({ ack: [meta.id] }));
    await sleep(200);
    second.socket.close();
    await second.closed;
    const third = connect();
    await waitFor(() => third.messages.length === 1, 'the hello');
    assert.equal(third.messages[0].backlog, 0);
    third.socket.close();
  });

  test('a second connection under the same name replaces the first', async () => {
    const worker = await devWorker();
    const server = await local();
    const first = cli(['--url', worker.url, '--forward-to', server.url, '--name', 'laptop']);
    await first.connected();
    const second = cli(['--url', worker.url, '--forward-to', server.url, '--name', 'laptop']);
    await second.connected();
    assert.equal(await first.exited, 1);
    assert.match(first.err.join('\n'), /replaced this one/);
    const bodies = Array.from({ length: 10 }, () => eventBody());
    await postAll(worker, bodies);
    assertExact(await acceptedExactly(server, 10), bodies);
  });

  test('a local server answering 500 then 200: shown, retried, acknowledged once', async () => {
    const worker = await devWorker();
    const server = await local({ answers: (attempt) => (attempt === 0 ? 500 : 200) });
    const listener = cli(['--url', worker.url, '--forward-to', server.url, '--max-retry-delay', '0.2']);
    await listener.connected();
    const bodies = Array.from({ length: 5 }, () => eventBody());
    await postAll(worker, bodies);
    assertExact(await acceptedExactly(server, 5), bodies);
    assert.equal(server.received.length, 10, 'each event: one 500, one 200');
    assert.equal(listener.out.filter((line) => / -> 500 .* retry in /.test(line)).length, 5);
    // Acknowledged: a new listener run gets nothing again.
    assert.equal(await listener.stop(), 0);
    const again = cli(['--url', worker.url, '--forward-to', server.url]);
    await again.connected();
    await waitFor(() => again.err.some((line) => /0 events waiting/.test(line)), 'the hello');
    assert.equal(server.received.length, 10);
  });

  test('the CLI on Deno and Bun: connected with its token, each event received once, exact', async () => {
    const worker = await devWorker();
    const server = await local();
    const runtimes = { deno: [`${ROOT}node_modules/.bin/deno`, 'run', '-A'], bun: [`${ROOT}node_modules/.bin/bun`] };
    for (const [name, runtime] of Object.entries(runtimes)) {
      const listener = cli(['--url', worker.url, '--forward-to', server.url, '--name', name], { runtime });
      await listener.connected();
      const bodies = Array.from({ length: 3 }, () => eventBody());
      await postAll(worker, bodies);
      assertExact(await acceptedExactly(server, 3), bodies);
      await waitFor(() => listener.out.filter((line) => / -> 200 /.test(line)).length === 3, `${name}: a line per event`);
      assert.equal(await listener.stop(), 0, `${name}: Ctrl-C exits 0`);
      server.received.length = 0;
    }
  });

  test('the CLI waits for a Worker that is not up yet (Node 22 and Node 20 clients)', async () => {
    const port = await freePort();
    const server = await local();
    const url = `http://127.0.0.1:${port}`;
    const on22 = cli(['--url', url, '--forward-to', server.url, '--name', 'n22'], { node: `${ROOT}node_modules/node22/bin/node` });
    const on20 = cli(['--url', url, '--forward-to', server.url, '--name', 'n20']);
    const retrying = (p) => p.err.some((line) => /could not connect \(.*\); reconnecting in/.test(line));
    await waitFor(() => retrying(on22) && retrying(on20), 'both CLIs retrying');
    const worker = await startWorker({ ledger: true, hub: true, port, vars: DEV_VARS });
    cleanups.push(() => worker.dispose());
    await on22.connected();
    await on20.connected();
    const bodies = Array.from({ length: 5 }, () => eventBody());
    await postAll(worker, bodies);
    await waitFor(() => server.accepted().length >= 10, 'each name got every event');
    const ids = server.accepted().map((r) => r.headers['x-digivault-event-id']);
    for (const body of bodies) assert.equal(ids.filter((id) => id === JSON.parse(body).id).length, 2);
    assert.equal(await on22.stop(), 0);
    assert.equal(await on20.stop(), 0);
  });

  test('a Worker restart mid-stream (state persisted) loses nothing', async () => {
    const persist = mkdtempSync(join(tmpdir(), 'listen-restart-'));
    cleanups.push(() => rmSync(persist, { recursive: true, force: true }));
    const port = await freePort();
    let worker = await startWorker({ ledger: true, hub: true, port, vars: DEV_VARS, persist });
    const server = await local();
    const listener = cli(['--url', worker.url, '--forward-to', server.url]);
    await listener.connected();
    const bodies = Array.from({ length: 100 }, () => eventBody());
    await postAll(worker, bodies.slice(0, 50));
    await worker.dispose();
    worker = await startWorker({ ledger: true, hub: true, port, vars: DEV_VARS, persist });
    cleanups.push(() => worker.dispose());
    await postAll(worker, bodies.slice(50));
    await listener.connected(2);
    assertExact(await acceptedExactly(server, 100), bodies);
    assert.match(listener.err.join('\n'), /disconnected .*reconnecting in/);
  });
});

describe('listen beside an origin (forward mode)', () => {
  test('the origin gets every event and so does the listener; without LISTEN_TOKEN /listen is a 404', async () => {
    const origin = await startOrigin();
    cleanups.push(() => origin.close());
    const worker = await devWorker({ vars: { ...DEV_VARS, FORWARD_URL: origin.url } });
    assert.deepEqual(await (await worker.fetch('/health')).json(), { status: 'ok', mode: 'forward' });
    const server = await local();
    const listener = cli(['--url', worker.url, '--forward-to', server.url]);
    await listener.connected();
    const bodies = Array.from({ length: 20 }, () => eventBody());
    await postAll(worker, bodies, 200);
    assert.equal(origin.received.length, 20);
    assertExact(await acceptedExactly(server, 20), bodies);

    const plain = await startWorker({ ledger: true, hub: true, vars: { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin.url } });
    cleanups.push(() => plain.dispose());
    const response = await plain.fetch('/listen', { headers: { authorization: `Bearer ${LISTEN_TOKEN}`, upgrade: 'websocket' } });
    assert.equal(response.status, 404);
  });

  test('durable mode: the store winner is handed over once; DigiVault\'s duplicates are not', async () => {
    const origin = await startOrigin();
    cleanups.push(() => origin.close());
    const worker = await devWorker({ vars: { ...DEV_VARS, FORWARD_URL: origin.url, DELIVERY_MODE: 'durable' } });
    assert.deepEqual(await (await worker.fetch('/health')).json(), { status: 'ok', mode: 'durable' });
    const server = await local();
    const listener = cli(['--url', worker.url, '--forward-to', server.url]);
    await listener.connected();
    const bodies = Array.from({ length: 20 }, () => eventBody());
    await postAll(worker, bodies, 202);
    await postAll(worker, bodies.slice(0, 5), 200);
    assertExact(await acceptedExactly(server, 20), bodies);
    await waitFor(() => origin.received.length >= 20, 'the durable deliveries');
  });
});
