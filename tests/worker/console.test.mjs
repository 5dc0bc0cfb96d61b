// Refused-delivery evidence and its diagnosis (issue 18, sections 1, 2 and 5): the BUILT
// Worker in workerd (Miniflare) with its ledger (LEDGER) and console (CONSOLE) objects.
// Run `make build-worker` first.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, describe, test } from 'node:test';

import { OLD_SECRET, SECRET, eventBody, read, sign, sleep } from './helpers.mjs';
import { ADMIN_TOKEN, eventually, startDurableWorker } from './durable-helpers.mjs';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const hmac = (secret, body) => createHmac('sha256', secret).update(body).digest('hex');

/** Every admin reply read by these tests, to search for secrets and signatures at the end. */
const replies = [];

async function admin(worker, path) {
  const response = await read(await worker.admin(path));
  replies.push(response.text);
  return response;
}

/** Posts `body` (string or bytes) with a signature header value `signature` (null: none). */
function refused(worker, body, { signature = null, header = 'X-DigiVault-Signature', address = '198.51.100.7', headers = {} } = {}) {
  return worker.fetch('/webhooks', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'cf-connecting-ip': address,
      ...(signature === null ? {} : { [header]: signature }),
      ...headers,
    },
    body,
  });
}

/** The newest failure record (the list item and its detail). */
async function newest(worker, count = 1) {
  const page = await eventually(
    () => admin(worker, '/admin/failures?limit=100'),
    (response) => response.status === 200 && response.json.failures.length >= count,
    'the refused delivery to be kept',
  );
  const item = page.json.failures[0];
  const detail = await admin(worker, `/admin/failures/${encodeURIComponent(item.id)}`);
  assert.equal(detail.status, 200, detail.text);
  return { item, detail: detail.json, page: page.json };
}

describe('refused-delivery evidence', () => {
  const cleanups = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  async function setUp(vars = {}) {
    const worker = await startDurableWorker({
      vars: { FORWARD_URL: 'http://127.0.0.1:9/none', ADMIN_TOKEN, WEBHOOK_SECRET_PREVIOUS: OLD_SECRET, ...vars },
      console: true,
      rateLimit: null,
    });
    cleanups.push(() => worker.dispose());
    return worker;
  }

  test('a refused request is kept with its credentials redacted, its body, length and SHA-256', async () => {
    const worker = await setUp();
    const body = `${eventBody()}\n`;
    const response = await read(
      await refused(worker, body, {
        signature: sign(body.trimEnd()),
        headers: { authorization: 'Bearer s3cr3t-token', cookie: 'session=abc', 'proxy-authorization': 'Basic dXNlcg==', 'x-trace': 'keep me' },
      }),
    );
    assert.equal(response.status, 401);
    const { item, detail } = await newest(worker);
    assert.equal(item.code, 'INVALID_SIGNATURE');
    assert.equal(item.address, '198.51.100.7');
    assert.equal(item.size, Buffer.byteLength(body));
    assert.deepEqual(item.mistakes, ['TRAILING_NEWLINE_ADDED']);
    assert.equal(detail.id, item.id);
    assert.equal(detail.status, 401);
    assert.equal(detail.method, 'POST');
    assert.equal(detail.path, '/webhooks');
    assert.equal(detail.headers.authorization, '[redacted]');
    assert.equal(detail.headers.cookie, '[redacted]');
    assert.equal(detail.headers['proxy-authorization'], '[redacted]');
    assert.equal(detail.headers['x-trace'], 'keep me');
    assert.equal(detail.headers['x-digivault-signature'], '[masked: 64 characters]');
    assert.equal(detail.body, body);
    assert.equal(detail.body_encoding, 'utf8');
    assert.equal(detail.truncated, false);
    assert.equal(detail.body_sha256, sha256(body));
    assert.deepEqual(detail.diagnosis.mistakes.map((m) => m.code), ['TRAILING_NEWLINE_ADDED']);
    assert.match(detail.diagnosis.mistakes[0].title, /newline/i);
    assert.ok(detail.diagnosis.mistakes[0].explanation.length > 40);
    const all = JSON.stringify(detail);
    for (const secret of ['s3cr3t-token', 'session=abc', 'dXNlcg==']) assert.ok(!all.includes(secret), secret);
  });

  test('a body that is not UTF-8 is kept as bytes; a large one is cut at 64 KiB, hashed whole', async () => {
    const worker = await setUp();
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x0a, 0xc3]);
    assert.equal((await refused(worker, bytes, { signature: sign('x') })).status, 401);
    let { detail } = await newest(worker);
    assert.equal(detail.body_encoding, 'base64');
    assert.deepEqual(Buffer.from(detail.body, 'base64'), bytes);
    assert.equal(detail.body_sha256, sha256(bytes));

    const large = `{"pad":"${'x'.repeat(100_000)}"}`;
    assert.equal((await refused(worker, large, { signature: sign('y') })).status, 401);
    ({ detail } = await newest(worker, 2));
    assert.equal(detail.size, large.length);
    assert.equal(detail.truncated, true);
    assert.equal(detail.body.length, 64 * 1024);
    assert.equal(detail.body_sha256, sha256(large));
    assert.deepEqual(detail.diagnosis.mistakes, [], 'part of a body is not diagnosed');
  });

  test('validation failures and 413 are kept; verified deliveries and other errors are not', async () => {
    const worker = await setUp({ MAX_BODY_BYTES: '2000' });
    const notJson = 'not json';
    assert.equal((await refused(worker, notJson, { signature: sign(notJson) })).status, 400);
    const tooLarge = 'z'.repeat(5000);
    assert.equal((await refused(worker, tooLarge, { signature: sign(tooLarge) })).status, 413);
    assert.equal((await refused(worker, eventBody(), {})).status, 401);
    // A verified delivery (its origin is unreachable: 502) and a 404 leave nothing.
    assert.equal((await worker.post(eventBody())).status, 502);
    assert.equal((await worker.fetch('/nowhere', { method: 'POST', body: 'x' })).status, 404);
    const { page } = await newest(worker, 3);
    await sleep(300);
    const codes = (await admin(worker, '/admin/failures')).json.failures.map((f) => f.code);
    assert.deepEqual(codes, ['MISSING_SIGNATURE', 'PAYLOAD_TOO_LARGE', 'INVALID_JSON']);
    assert.equal(page.cursor, null);
    const large = (await admin(worker, `/admin/failures/${page.failures[1].id}`)).json;
    // Its length is the declared one when a Content-Length came (Miniflare streams this one).
    assert.ok(large.size === null || large.size === 5000, `size ${large.size}`);
    assert.equal(large.body_sha256, null, 'the body of a 413 is not kept');
    assert.equal(large.body, '');
    assert.equal(large.truncated, true);
  });

  test('every catalogue mistake is named by the Worker from a kept record', async () => {
    const worker = await setUp();
    const body = eventBody();
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    const lf = '{\n"id": "evt_lf",\n"type": "x"\n}';
    const crlf = lf.replaceAll('\n', '\r\n');
    const tag = Buffer.from(sign(body), 'hex');
    const cases = [
      ['TRAILING_NEWLINE_ADDED', `${body}\n`, sign(body)],
      ['TRAILING_NEWLINE_REMOVED', body, sign(`${body}\n`)],
      ['LF_CHANGED_TO_CRLF', crlf, sign(lf)],
      ['CRLF_CHANGED_TO_LF', lf, sign(crlf)],
      ['BYTE_ORDER_MARK', `\uFEFF${body}`, sign(body)],
      ['RESERIALIZED', pretty, sign(body)],
      ['PRETTY_PRINTED', body, sign(pretty)],
      ['SECRET_WHITESPACE', body, sign(body, `${SECRET}\n`)],
      ['SCHEME_PREFIX', body, `sha256=${sign(body)}`],
      ['BASE64', body, tag.toString('base64')],
      ['TRUNCATED', body, sign(body).slice(0, 40)],
      ['WRONG_SECRET', body, sign(body, 'whsec_someone_else')],
    ];
    for (const [code, sent, signature] of cases) {
      const response = await read(await refused(worker, sent, { signature }));
      assert.equal(response.status, 401, code);
      const { item, detail } = await newest(worker);
      assert.equal(item.mistakes[0], code, `${code}: ${JSON.stringify(item)}`);
      assert.equal(detail.diagnosis.mistakes[0].code, code);
    }
    // A legacy header is only a note; a rotation's previous secret verifies.
    const old = eventBody();
    assert.equal((await refused(worker, old, { signature: sign(old, OLD_SECRET), header: 'X-BitVault-Signature' })).status, 502);
  });

  test('no admin reply contains a secret or a signature valid for any body variant', async () => {
    // Runs after the others: `replies` holds every admin reply read so far (lists,
    // details, diagnoses of every catalogue mistake).
    const worker = await setUp();
    const stats = await admin(worker, '/admin/stats');
    assert.equal(stats.status, 200);
    assert.ok(replies.length > 20, `${replies.length} replies read`);
    const bodies = new Set();
    for (const text of replies) {
      let value;
      try {
        value = JSON.parse(text);
      } catch {
        continue;
      }
      if (typeof value.body === 'string') {
        const raw = value.body_encoding === 'base64' ? Buffer.from(value.body, 'base64').toString('latin1') : value.body;
        bodies.add(raw);
      }
    }
    assert.ok(bodies.size >= 10, `${bodies.size} kept bodies`);
    // Every variant the diagnosis tries, as the diagnosis makes them.
    const variants = new Set();
    for (const body of bodies) {
      variants.add(body);
      variants.add(body.replace(/\r?\n$/, ''));
      variants.add(`${body}\n`);
      variants.add(`${body}\r\n`);
      variants.add(body.replaceAll('\r\n', '\n'));
      variants.add(body.replace(/(?<!\r)\n/g, '\r\n'));
      variants.add(body.replace(/^\uFEFF/, ''));
      try {
        const parsed = JSON.parse(body.replace(/^\uFEFF/, ''));
        variants.add(JSON.stringify(parsed));
        variants.add(JSON.stringify(parsed, null, 2));
      } catch {
        // not JSON: no re-serialization
      }
    }
    const secrets = [SECRET, OLD_SECRET];
    for (const secret of [...secrets]) secrets.push(`${secret}\n`, `${secret}\r\n`, `${secret} `);
    const forbidden = [SECRET, OLD_SECRET];
    for (const body of variants) {
      for (const secret of secrets) {
        const mac = hmac(secret, body);
        forbidden.push(mac, mac.toUpperCase(), Buffer.from(mac, 'hex').toString('base64').replace(/=+$/, ''));
      }
    }
    const all = replies.join('\n');
    for (const value of forbidden) assert.ok(!all.includes(value), `an admin reply contains ${value.slice(0, 12)}…`);
  });
});
