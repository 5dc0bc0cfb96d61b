// A development aid, not a test: www/ served with a hand-written imitation of the admin API
// (the shapes of README's admin section and issue 18), to draw the console's states while
// the real Worker is not built. The console's tests run against the built Worker in workerd
// (console.test.mjs). Run: node tests/www/fake-admin.mjs [durable|forward|empty|off] and open
// the printed URL; token `fake-admin-token-0123456789abcdef0123`.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { WWW } from './helpers.mjs';

export const FAKE_TOKEN = 'fake-admin-token-0123456789abcdef0123';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.svg': 'image/svg+xml' };
const HOUR = 3600_000;

function sample(now) {
  const body = JSON.stringify({ id: 'webhook_dead_1', type: 'contact.created', created_at: Math.floor(now / 1000) - 7200, data: { object: { id: 'ct_1', name: 'Ada' } } });
  const events = [
    { id: 'webhook_dead_1', type: 'contact.created', state: 'dead', received_at: now - 2 * HOUR, attempt_count: 4, body },
    { id: 'webhook_dead_2', type: 'conversation.message.created', state: 'dead', received_at: now - 3 * HOUR, attempt_count: 12, body },
    { id: 'webhook_ok_1', type: 'contact.created', state: 'delivered', received_at: now - HOUR, attempt_count: 1, body },
    { id: 'webhook_wait_1', type: 'group.member_added', state: 'pending', received_at: now - 25 * 60_000, attempt_count: 2, next_attempt_at: now + 4 * 60_000, body },
  ];
  const hours = Array.from({ length: 24 }, (_, i) => {
    const start = Math.floor(now / HOUR) * HOUR - (23 - i) * HOUR;
    const accepted = Math.round(40 + 30 * Math.sin(i / 3));
    return { start, accepted, delivered: accepted - (i > 18 ? 12 : 1), failed_attempts: i > 18 ? 15 : 1, refused: i === 20 ? 22 : i % 5 === 0 ? 2 : 0 };
  });
  const refusedBody = `${JSON.stringify({ id: 'webhook_x', type: 'contact.created', created_at: 1764500000 }, null, 2)}\n`;
  const failures = [
    {
      id: 'f_1', received_at: now - 5 * 60_000, code: 'INVALID_SIGNATURE', status: 401, address: '203.0.113.9', size: refusedBody.length,
      mistakes: ['PRETTY_PRINTED'], method: 'POST', path: '/webhooks',
      headers: { 'content-type': 'application/json', 'x-digivault-signature': '[masked: 64 characters]', authorization: '[redacted]' },
      body_sha256: '9f'.repeat(32), body: refusedBody, body_encoding: 'utf8', truncated: false,
      diagnosis: { mistakes: [{ code: 'PRETTY_PRINTED', title: 'Body pretty-printed', explanation: 'The signature matches this body pretty-printed with 2 spaces: the JSON was reformatted between signing and verifying.' }] },
    },
    {
      id: 'f_2', received_at: now - 50 * 60_000, code: 'MISSING_SIGNATURE', address: '198.51.100.4', size: 2, mistakes: [],
      method: 'POST', path: '/webhooks', headers: { 'content-type': 'application/json' }, body_sha256: '44'.repeat(32), body: '{}', body_encoding: 'utf8', truncated: false,
      diagnosis: { mistakes: [] },
    },
  ];
  const alerts = [
    { id: '2', at: now - 10 * 60_000, kind: 'dead_letter', count: 2, ids: ['webhook_dead_1', 'webhook_dead_2'], text: 'DigiVault webhooks: 2 events died after their last attempt: webhook_dead_1, webhook_dead_2', outcome: 'sent', attempts: 1, status: 200 },
    { id: '1', at: now - 40 * 60_000, kind: 'verification_failures', count: 22, ids: ['f_1'], text: 'DigiVault webhooks: 22 deliveries refused in the last 300 s, most often PRETTY_PRINTED.', outcome: 'failed', attempts: 3, error: 'unreachable' },
  ];
  return { events, hours, failures, alerts };
}

/** Serves www/ and the imitation of /admin for `scenario`. */
export async function startFakeAdmin(scenario = 'durable') {
  const now = Date.now();
  const data = scenario === 'empty' ? { events: [], hours: sample(now).hours.map((h) => ({ ...h, accepted: 0, delivered: 0, failed_attempts: 0, refused: 0 })), failures: [], alerts: [] } : sample(now);
  const replays = [];
  const json = (res, status, value) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/admin')) {
      if (scenario === 'off') return json(res, 404, { status: 'error', code: 'NOT_FOUND', message: 'no such path' });
      if (req.headers.authorization !== `Bearer ${FAKE_TOKEN}`) return json(res, 401, { status: 'error', code: 'UNAUTHORIZED', message: 'a valid admin token is required' });
      const parts = url.pathname.split('/').slice(2).map(decodeURIComponent);
      const forward = scenario === 'forward';
      const events = forward ? data.events.map((e) => ({ ...e, state: e.state === 'dead' ? 'delivered' : e.state, attempt_count: 0, next_attempt_at: undefined })) : data.events;
      if (parts[0] === 'stats') {
        const counts = Object.fromEntries(['pending', 'delivering', 'delivered', 'dead'].map((s) => [s, events.filter((e) => e.state === s).length]));
        const oldest = events.filter((e) => e.state === 'pending').map((e) => e.received_at).sort()[0];
        return json(res, 200, { ...counts, mode: forward ? 'forward' : 'durable', oldest_pending_at: oldest, hours: data.hours, last_attempt: events.length ? { at: now - 60_000, status: 503, duration_ms: 231 } : null });
      }
      if (parts[0] === 'events' && parts.length === 1) {
        const list = events.filter((e) => (!url.searchParams.get('state') || e.state === url.searchParams.get('state')) && (!url.searchParams.get('type') || e.type === url.searchParams.get('type')) && (!url.searchParams.get('id') || e.id === url.searchParams.get('id')));
        return json(res, 200, { events: list.map(({ body, ...e }) => e), cursor: null });
      }
      if (parts[0] === 'events' && parts[1] === 'replay') {
        const dead = data.events.filter((e) => e.state === 'dead');
        const batch = dead.slice(0, 1);
        for (const e of batch) e.state = 'pending';
        await new Promise((r) => setTimeout(r, 300));
        return json(res, 200, { replayed: batch.length, remaining: dead.length - batch.length });
      }
      if (parts[0] === 'events') {
        const event = events.find((e) => e.id === parts[1]);
        if (!event) return json(res, 404, { status: 'error', code: 'EVENT_NOT_FOUND', message: 'no event with this id' });
        if (parts[2] === 'replay') {
          if (forward) return json(res, 409, { status: 'error', code: 'NOT_STORED', message: 'the event was forwarded in forward mode: its body was not stored' });
          replays.push(event.id);
          event.state = 'pending';
          return json(res, 202, { status: 'accepted' });
        }
        const attempts = forward ? [] : Array.from({ length: event.attempt_count }, (_, i) => ({ at: event.received_at + i * 60_000, status: i % 2 ? 500 : null, duration_ms: 40 + i, ...(i % 2 ? {} : { error: 'timeout' }) }));
        return json(res, 200, { id: event.id, type: event.type, state: event.state, received_at: event.received_at, attempts, next_attempt_at: event.next_attempt_at, body_sha256: 'ab'.repeat(32), size: forward ? null : event.body.length, ...(forward ? {} : { body: event.body }) });
      }
      if (parts[0] === 'failures' && parts.length === 1) return json(res, 200, { failures: data.failures.map(({ id, received_at, code, address, size, mistakes }) => ({ id, received_at, code, address, size, mistakes })), cursor: null });
      if (parts[0] === 'failures') {
        const record = data.failures.find((f) => f.id === parts[1]);
        return record ? json(res, 200, record) : json(res, 404, { status: 'error', code: 'FAILURE_NOT_FOUND', message: 'no refused delivery with this id' });
      }
      if (parts[0] === 'alerts') return json(res, 200, { alerts: data.alerts, cursor: null });
      return json(res, 404, { status: 'error', code: 'NOT_FOUND', message: 'no such path' });
    }
    let path = decodeURIComponent(url.pathname);
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(WWW, path));
    if (!file.startsWith(WWW)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      return res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      return res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${server.address().port}`, replays, close: () => new Promise((r) => server.close(r)) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const fake = await startFakeAdmin(process.argv[2]);
  console.log(`${fake.origin}/#console  token ${FAKE_TOKEN}`);
}
