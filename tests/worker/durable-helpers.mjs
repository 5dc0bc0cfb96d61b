// Helpers of the durable-mode tests: the BUILT Worker in workerd with its ledger object
// (`LEDGER`, class EventLedger, SQLite storage, optionally persisted on disk so that
// Miniflare can be restarted on the same state), and an origin that can be down, fail
// chosen events, and records what it accepted.
import { createServer } from 'node:http';

import { SECRET, sign, sleep, startWorker } from './helpers.mjs';

export const ADMIN_TOKEN = 'admin-token-0123456789abcdef0123456789';

/**
 * An origin on 127.0.0.1. `down`: every connection is dropped before an answer (as a
 * refused connection, the Worker sees no response). `failIds`: ids answered 500 forever.
 * `accepted`: the requests answered 2xx; `attempts`: every request that reached it.
 */
export async function startDurableOrigin() {
  const origin = { down: false, failIds: new Set(), status: 200, accepted: [], attempts: [], sockets: new Set() };
  const server = createServer((req, res) => {
    if (origin.down) {
      req.socket.destroy();
      return;
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const record = { headers: req.headers, body: Buffer.concat(chunks), id: req.headers['x-digivault-event-id'] };
      origin.attempts.push(record);
      const status = origin.failIds.has(record.id) ? 500 : origin.status;
      if (status >= 200 && status < 300) origin.accepted.push(record);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status < 300 ? '{"ok":true}' : '{"error":"origin failure"}');
    });
  });
  server.on('connection', (socket) => {
    origin.sockets.add(socket);
    socket.on('close', () => origin.sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin.url = `http://127.0.0.1:${server.address().port}/hook`;
  /** Accepted deliveries of `id`. */
  origin.acceptedFor = (id) => origin.accepted.filter((r) => r.id === id);
  origin.close = async () => {
    for (const socket of origin.sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return origin;
}

/**
 * The built Worker with the ledger object bound (`ledger: false` leaves it out; `rateLimit`:
 * the flood guard's failures per minute, null: none), plus an
 * `admin(path, { method, token })` client. `persist`: a directory keeping the ledger's
 * SQLite state and alarms across restarts. `opsVars`: the ops script's variables (where the
 * ledger class runs) when not the same as the webhook script's.
 */
export async function startDurableWorker({ vars = {}, opsVars = null, persist = false, ledger = true, rateLimit = null, console = false } = {}) {
  const withSecret = { WEBHOOK_SECRET: SECRET, ...vars };
  const worker = await startWorker({ vars: withSecret, opsVars: opsVars ?? withSecret, ledger, persist, rateLimit, console });
  worker.admin = (path, { method = 'GET', token = ADMIN_TOKEN } = {}) =>
    worker.fetch(path, { method, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return worker;
}

/** Whether `body` carries DigiVault's signature with `secret` in `headers`. */
export function signedCorrectly(headers, body, secret = SECRET) {
  return headers['x-digivault-signature'] === sign(body, secret);
}

/** Calls `get` until `done(value)` holds and returns that value; fails after `timeoutMs`. */
export async function eventually(get, done, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}
