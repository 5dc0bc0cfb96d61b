// Shared helpers of the Worker tests: a real origin on 127.0.0.1, and (from
// scripts/lib/built-worker.mjs, which the chaos run shares) the BUILT Worker in workerd
// through Miniflare and signing with Node's own crypto (independent of the Rust core under test).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import { ROOT } from '../../scripts/lib/built-worker.mjs';

export { COMPATIBILITY_DATE, ROOT, SECRET, sha256, shardOf, sign, startLocations, startWorker } from '../../scripts/lib/built-worker.mjs';
export const OLD_SECRET = 'whsec_test_previous_9876543210';

/**
 * A valid event body (a string) with a fresh id unless one is given. Written by hand on
 * purpose, not taken from the npm package's `sampleEvent`: the Worker tests need only the
 * built Worker, and a body written here cannot share a mistake with the core it tests.
 */
export function eventBody({ id = `evt_${randomUUID()}`, createdAt = Math.floor(Date.now() / 1000), message = 'Hello, world!' } = {}) {
  return JSON.stringify({
    id,
    type: 'conversation.message.created',
    created_at: createdAt,
    data: {
      object: {
        id: 'xgQQXg3hrtjh7AvZ',
        conversation_id: 'WAz8eIbvDR60rouK',
        message,
        created_at: createdAt,
      },
    },
  });
}

/** The RATE_LIMITER limit (failures per address per 60 s) that the repository's wrangler.toml sets. */
export function wranglerRateLimit() {
  const toml = readFileSync(`${ROOT}wrangler.toml`, 'utf8');
  const match = /name = "RATE_LIMITER"[^[]*?simple = \{ limit = (\d+), period = (\d+) \}/.exec(toml);
  if (!match) throw new Error('wrangler.toml has no [[ratelimits]] RATE_LIMITER with a simple limit');
  return { limit: Number(match[1]), period: Number(match[2]) };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits, when needed, until at least `leftMs` of RATE_LIMITER's current window remains. The
 * binding counts in fixed windows on the clock (Miniflare's `floor(now / period)`, 60 s in
 * the tests): a flood across a window's end starts counting again, so a test that asserts
 * where the count runs out starts it early in a window.
 */
export async function freshRateWindow(leftMs = 20_000, periodMs = 60_000) {
  const left = periodMs - (Date.now() % periodMs);
  if (left < leftMs) await sleep(left + 100);
}

/** Polls `condition` until it holds; fails after `timeoutMs` (a bound, not a speed check). */
export async function waitFor(condition, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A free TCP port on 127.0.0.1 (nothing listens on it once returned). */
export { freePort } from '../../scripts/lib/free-port.mjs';

/**
 * An origin on 127.0.0.1 recording what it receives, and counting the connections it was
 * sent them over (`connections`). `mode`: 'ok' (200), 'fail' (500), 'hang' (never answers),
 * 'hold' (answers 200 when `release()` is called), 'stall' (sends a 200 and part of a body,
 * never the rest), a number of ms to wait before a 200, or a function answering `res` itself.
 */
export async function startOrigin() {
  const received = [];
  const hanging = new Set();
  const held = [];
  const origin = { mode: 'ok', received, held, connections: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      const { mode } = origin;
      if (mode === 'hang') {
        hanging.add(res);
        return;
      }
      if (mode === 'stall') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"ok":');
        hanging.add(res);
        return;
      }
      if (mode === 'hold') {
        held.push(res);
        return;
      }
      const answer = () => {
        res.writeHead(mode === 'fail' ? 500 : 200, { 'content-type': 'application/json' });
        res.end(mode === 'fail' ? '{"error":"origin failure"}' : '{"ok":true}');
      };
      if (typeof mode === 'number') setTimeout(answer, mode);
      else if (typeof mode === 'function') mode(res);
      else answer();
    });
  });
  server.on('connection', () => origin.connections++);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin.url = `http://127.0.0.1:${server.address().port}/hook`;
  origin.release = () => {
    for (const res of held.splice(0)) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }
  };
  origin.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  };
  return origin;
}

/** Reads a response as { status, headers, json }. */
export async function read(response) {
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}
