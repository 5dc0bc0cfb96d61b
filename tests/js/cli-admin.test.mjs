// The admin command line (pkg/cli.js `events ...`, `stats`) against a local server on
// 127.0.0.1 that plays the receiver Worker's admin API as issue 11 specifies it (shapes,
// Bearer token, 401 UNAUTHORIZED with WWW-Authenticate, 404, 409) and checks every request
// it receives: method, path, query and Authorization. The real Worker's admin API is tested
// end to end in tests/worker/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageDir } from './fixtures.mjs';

const cli = join(packageDir, 'cli.js');
const TOKEN = 'admin-token-for-tests-0123456789abcdef';
const execFileAsync = promisify(execFile);
/** Runs the CLI with `env` as its whole environment (plus PATH); resolves to { code, stdout, stderr, json }. */
const run = async (args, env = { ADMIN_TOKEN: TOKEN }) => {
  const result = await execFileAsync(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, ...env } }).then(
    (ok) => ({ code: 0, ...ok }),
    (err) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
  let json;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = undefined;
  }
  return { ...result, json };
};

/**
 * The admin API over an in-memory set of events (`received_at` ascending = oldest first).
 * Records each request as { method, path, query, authorization }; a request it does not
 * expect (unknown route, method or query parameter) is answered 400 and counted in `unexpected`.
 */
async function adminServer(events) {
  const byId = new Map(events.map((event) => [event.id, { ...event }]));
  const requests = [];
  const unexpected = [];
  const error = (res, status, code, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ status: 'error', code }));
  };
  const reply = (res, status, value) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const summary = ({ id, type, state, received_at, attempts, next_attempt_at }) => ({ id, type, state, received_at, attempt_count: attempts.length, ...(next_attempt_at ? { next_attempt_at } : {}) });
  const detail = ({ body, ...event }, withBody) => ({ ...event, ...(withBody ? { body } : {}) });
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://admin.test');
    const query = Object.fromEntries(url.searchParams);
    requests.push({ method: req.method, path: url.pathname, query, authorization: req.headers.authorization });
    const wrong = () => {
      unexpected.push(`${req.method} ${req.url}`);
      error(res, 400, 'UNEXPECTED_REQUEST');
    };
    const allowOnly = (...names) => Object.keys(query).every((name) => names.includes(name));
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return error(res, 401, 'UNAUTHORIZED', { 'www-authenticate': 'Bearer' });
    let match;
    if (req.method === 'GET' && url.pathname === '/admin/stats') {
      if (!allowOnly()) return wrong();
      const counts = { pending: 0, delivering: 0, delivered: 0, dead: 0 };
      for (const event of byId.values()) counts[event.state]++;
      return reply(res, 200, counts);
    }
    if (req.method === 'GET' && url.pathname === '/admin/events') {
      if (!allowOnly('state', 'limit', 'cursor') || !['pending', 'dead'].includes(query.state)) return wrong();
      const limit = Number(query.limit ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) return error(res, 400, 'INVALID_REQUEST');
      const newestFirst = [...byId.values()].filter((e) => e.state === query.state).sort((a, b) => b.received_at - a.received_at);
      const start = query.cursor === undefined ? 0 : Number(query.cursor.replace(/^c/, ''));
      const page = newestFirst.slice(start, start + limit);
      const more = start + limit < newestFirst.length;
      return reply(res, 200, { events: page.map(summary), cursor: more ? `c${start + limit}` : null });
    }
    if (req.method === 'POST' && url.pathname === '/admin/events/replay') {
      if (query.state !== 'dead' || !allowOnly('state')) return wrong();
      const dead = [...byId.values()].filter((e) => e.state === 'dead');
      const batch = dead.slice(0, 2);
      for (const event of batch) event.state = 'pending';
      return reply(res, 200, { replayed: batch.length, remaining: dead.length - batch.length });
    }
    if ((match = /^\/admin\/events\/([^/]+)(\/replay)?$/.exec(url.pathname))) {
      const event = byId.get(decodeURIComponent(match[1]));
      if (match[2] === undefined && req.method === 'GET') {
        if (!allowOnly('body') || (query.body !== undefined && query.body !== '1')) return wrong();
        return event ? reply(res, 200, detail(event, query.body === '1')) : error(res, 404, 'NOT_FOUND');
      }
      if (match[2] !== undefined && req.method === 'POST') {
        if (!allowOnly()) return wrong();
        if (!event) return error(res, 404, 'NOT_FOUND');
        if (event.state === 'pending' || event.state === 'delivering') return error(res, 409, 'NOT_REPLAYABLE');
        event.state = 'pending';
        return reply(res, 202, { status: 'accepted' });
      }
    }
    wrong();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    unexpected,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const attempt = (at, status) => ({ at, status, duration_ms: 12 });
const EVENTS = [
  { id: 'evt_old_dead', type: 'contact.created', state: 'dead', received_at: 1_700_000_000_000, attempts: [attempt(1_700_000_000_001, 500)], body_sha256: 'a'.repeat(64), size: 10, body: '{"id":"evt_old_dead"}' },
  { id: 'evt/odd id?#', type: 'message.created', state: 'delivered', received_at: 1_700_000_001_000, attempts: [attempt(1_700_000_001_001, 200)], body_sha256: 'b'.repeat(64), size: 12, body: '{"id":"evt/odd id?#"}' },
  { id: 'evt_mid_dead', type: 'contact.created', state: 'dead', received_at: 1_700_000_002_000, attempts: [attempt(1_700_000_002_001, 503), attempt(1_700_000_002_100, 503)], body_sha256: 'c'.repeat(64), size: 10, body: '{}' },
  { id: 'evt_pending', type: 'group.created', state: 'pending', received_at: 1_700_000_003_000, attempts: [], next_attempt_at: 1_700_000_004_000, body_sha256: 'd'.repeat(64), size: 2, body: '{}' },
  { id: 'evt_new_dead', type: 'group.created', state: 'dead', received_at: 1_700_000_005_000, attempts: [attempt(1_700_000_005_001, 500)], body_sha256: 'e'.repeat(64), size: 2, body: '{}' },
];

test('stats, get (with and without --body), list with its cursor: the requests and the printed replies', async () => {
  const server = await adminServer(EVENTS);
  try {
    const stats = await run(['stats', '--url', server.url]);
    assert.equal(stats.code, 0, stats.stderr);
    assert.deepEqual(stats.json, { pending: 1, delivering: 0, delivered: 1, dead: 3 });
    assert.deepEqual(server.requests.at(-1), { method: 'GET', path: '/admin/stats', query: {}, authorization: `Bearer ${TOKEN}` });

    // An id that needs escaping in a path: one segment, exactly this id.
    const get = await run(['events', 'get', 'evt/odd id?#', '--url', `${server.url}/`]);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.json.id, 'evt/odd id?#');
    assert.equal(get.json.state, 'delivered');
    assert.equal(get.json.body, undefined);
    assert.deepEqual(server.requests.at(-1), { method: 'GET', path: '/admin/events/evt%2Fodd%20id%3F%23', query: {}, authorization: `Bearer ${TOKEN}` });
    const withBody = await run(['events', 'get', 'evt_old_dead', '--body', '--url', server.url]);
    assert.equal(withBody.json.body, '{"id":"evt_old_dead"}');
    assert.deepEqual(server.requests.at(-1).query, { body: '1' });

    // Newest first, two per page, following the cursor to its end (null).
    const seen = [];
    let cursor;
    for (let page = 0; page < 3; page++) {
      const list = await run(['events', 'list', '--state', 'dead', '--limit', '2', '--url', server.url, ...(cursor ? ['--cursor', cursor] : [])]);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(server.requests.at(-1), { method: 'GET', path: '/admin/events', query: { state: 'dead', limit: '2', ...(cursor ? { cursor } : {}) }, authorization: `Bearer ${TOKEN}` });
      seen.push(...list.json.events.map((e) => e.id));
      cursor = list.json.cursor;
      if (cursor === null) break;
    }
    assert.deepEqual(seen, ['evt_new_dead', 'evt_mid_dead', 'evt_old_dead']);
    assert.equal(cursor, null);
    const pending = await run(['events', 'list', '--state', 'pending', '--url', server.url]);
    assert.deepEqual(server.requests.at(-1).query, { state: 'pending' }, 'no limit unless asked');
    assert.deepEqual(pending.json.events, [{ id: 'evt_pending', type: 'group.created', state: 'pending', received_at: 1_700_000_003_000, attempt_count: 0, next_attempt_at: 1_700_000_004_000 }]);
    assert.deepEqual(server.unexpected, []);
  } finally {
    await server.close();
  }
});

test('replay one event, replay the dead in a batch; HTTP errors exit 1 with the status on stderr', async () => {
  const server = await adminServer(EVENTS);
  try {
    const one = await run(['events', 'replay', 'evt_old_dead', '--url', server.url]);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(one.json, { status: 'accepted' });
    assert.deepEqual(server.requests.at(-1), { method: 'POST', path: '/admin/events/evt_old_dead/replay', query: {}, authorization: `Bearer ${TOKEN}` });

    // Now pending: a second replay is refused (409), printed, exit status 1.
    const again = await run(['events', 'replay', 'evt_old_dead', '--url', server.url]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /HTTP 409 NOT_REPLAYABLE/);
    assert.deepEqual(again.json, { status: 'error', code: 'NOT_REPLAYABLE' });

    const batch = await run(['events', 'replay', '--state', 'dead', '--url', server.url]);
    assert.equal(batch.code, 0, batch.stderr);
    assert.deepEqual(batch.json, { replayed: 2, remaining: 0 });
    assert.deepEqual(server.requests.at(-1), { method: 'POST', path: '/admin/events/replay', query: { state: 'dead' }, authorization: `Bearer ${TOKEN}` });

    const missing = await run(['events', 'get', 'evt_unknown', '--url', server.url]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /HTTP 404 NOT_FOUND/);
    assert.deepEqual(server.unexpected, []);
  } finally {
    await server.close();
  }
});

test('the token comes from the environment only; a wrong one is a 401, never printed', async () => {
  const server = await adminServer(EVENTS);
  try {
    const other = await run(['stats', '--url', server.url, '--token-env', 'DV_ADMIN'], { DV_ADMIN: TOKEN, ADMIN_TOKEN: 'not-this-one' });
    assert.equal(other.code, 0, other.stderr);
    assert.equal(server.requests.at(-1).authorization, `Bearer ${TOKEN}`);

    const wrongToken = 'wrong-token-wrong-token-wrong-token';
    const wrong = await run(['stats', '--url', server.url], { ADMIN_TOKEN: wrongToken });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /HTTP 401 UNAUTHORIZED/);
    assert.ok(!`${wrong.stdout}${wrong.stderr}`.includes(wrongToken), 'the token is not echoed');

    const before = server.requests.length;
    for (const args of [['--token', TOKEN], [`--token=${TOKEN}`]]) {
      const refused = await run(['stats', '--url', server.url, ...args]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /read from the environment only/);
      assert.ok(!refused.stderr.includes(TOKEN));
    }
    const unset = await run(['stats', '--url', server.url], {});
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /no admin token: set ADMIN_TOKEN/);
    assert.equal(server.requests.length, before, 'nothing sent without a token from the environment');
  } finally {
    await server.close();
  }
  // The server is gone: no answer is exit status 1.
  const down = await run(['stats', '--url', server.url]);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /no answer from .*ECONNREFUSED/);
});

test('usage errors exit 2 before any request', async () => {
  const cases = [
    [['events'], /events needs get, list or replay/],
    [['events', 'purge', '--url', 'http://127.0.0.1:9'], /unknown events command purge/],
    [['events', 'get', '--url', 'http://127.0.0.1:9'], /needs an event id/],
    [['events', 'get', 'a', 'b', '--url', 'http://127.0.0.1:9'], /unexpected argument b/],
    [['events', 'list', '--state', 'delivered', '--url', 'http://127.0.0.1:9'], /--state dead or pending/],
    [['events', 'list', '--state', 'dead', '--limit', '0', '--url', 'http://127.0.0.1:9'], /--limit/],
    [['events', 'replay', '--state', 'pending', '--url', 'http://127.0.0.1:9'], /--state dead/],
    [['events', 'replay', 'a', '--state', 'dead', '--url', 'http://127.0.0.1:9'], /not both/],
    [['events', 'get', 'a', '--limit', '2', '--url', 'http://127.0.0.1:9'], /--limit does not apply to get/],
    [['events', 'get', 'a'], /--url/],
    [['stats', 'extra', '--url', 'http://127.0.0.1:9'], /unexpected argument extra/],
  ];
  for (const [args, message] of cases) {
    const result = await run(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, message, args.join(' '));
  }
  const help = await run(['events', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /events list --state dead\|pending/);
});
