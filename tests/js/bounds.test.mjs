// Resource bounds of the npm package: how much of a body is read, how much wasm memory a
// payload may cost, huge payloads, and inputs changed by user callbacks mid-call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { packageDir } from './fixtures.mjs';

const { Webhook, WebhookError, verify, verifyRequest, sign, sampleEvent } = await import(`${packageDir}/node.mjs`);
const SECRET = 'whsec_bounds';
const MiB = 1 << 20;
const hmac = (body) => createHmac('sha256', SECRET).update(body).digest('hex');
const isCode = (code) => (error) => error instanceof WebhookError && error.code === code;

/** A body of `total` bytes streamed in 64 KiB chunks, counting how much was pulled from it. */
function countedStream(total) {
  const counter = { pulled: 0 };
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  const stream = new ReadableStream({
    pull(controller) {
      if (counter.pulled >= total) return controller.close();
      counter.pulled += chunk.length;
      controller.enqueue(chunk.slice());
    },
  });
  return { stream, counter };
}

const streamedRequest = (stream, headers = {}) =>
  new Request('http://127.0.0.1/webhooks', { method: 'POST', body: stream, duplex: 'half', headers });

test('verifyRequest stops reading a streamed body without Content-Length at maxPayloadBytes', async () => {
  const { stream, counter } = countedStream(64 * MiB);
  const small = new Webhook(SECRET, { maxPayloadBytes: 1024 });
  await assert.rejects(verifyRequest(streamedRequest(stream, { 'X-DigiVault-Signature': 'ab'.repeat(32) }), small), (e) => {
    return isCode('PAYLOAD_TOO_LARGE')(e) && e.status === 413;
  });
  // One chunk past the limit, and what the stream had queued: far from the 64 MiB sent.
  assert.ok(counter.pulled <= 4 * 64 * 1024, `pulled ${counter.pulled} bytes`);
});

test('verifyRequest with a secret (or a Webhook without a limit) reads at most 1 MiB', async () => {
  // A correctly signed 2 MiB event: refused for its size, not read whole.
  const padding = 'x'.repeat(2 * MiB);
  const body = sampleEvent('contact.created').replace('"object":{', `"object":{"pad":"${padding}",`);
  const signature = hmac(body);
  for (const secretOrWebhook of [SECRET, new Webhook(SECRET)]) {
    const { stream, counter } = countedStream(4 * MiB);
    await assert.rejects(verifyRequest(streamedRequest(stream, { 'X-DigiVault-Signature': signature }), secretOrWebhook), isCode('PAYLOAD_TOO_LARGE'));
    assert.ok(counter.pulled <= MiB + 4 * 64 * 1024, `pulled ${counter.pulled} bytes`);
    const whole = new Request('http://127.0.0.1/webhooks', { method: 'POST', body, headers: { 'X-DigiVault-Signature': signature } });
    await assert.rejects(verifyRequest(whole, secretOrWebhook), isCode('PAYLOAD_TOO_LARGE'));
  }
  // Within the limit, a streamed body arriving in many chunks verifies as before.
  const event = sampleEvent('contact.created');
  const pieces = [...Buffer.from(event)].map((byte) => new Uint8Array([byte]));
  const stream = new ReadableStream({ pull: (c) => (pieces.length ? c.enqueue(pieces.shift()) : c.close()) });
  assert.equal((await verifyRequest(streamedRequest(stream, { 'X-DigiVault-Signature': hmac(event) }), SECRET)).type, 'contact.created');
});

const nodeEntry = `const pkg = await import(${JSON.stringify(`${packageDir}/node.mjs`)});\n`;

/** Runs `source` (an ES module body with `pkg` imported) in a child Node with a large heap; returns its JSON output. */
function inChild(source, entry = nodeEntry) {
  const program = `${entry}${source}`;
  const child = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=6144', '--input-type=module', '-e', program], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout);
}
/** The same, with the browser entry loaded where there is no global Buffer (as in a browser). */
inChild.withoutBuffer = (source) =>
  inChild(
    source,
    `const wasm = (await import('node:fs')).readFileSync(${JSON.stringify(`${packageDir}/wasm/digivault_webhooks_bg.wasm`)});
    void [globalThis.Response, globalThis.Request, globalThis.fetch]; // Node loads these lazily, with Buffer
    delete globalThis.Buffer;
    const pkg = await import(${JSON.stringify(`${packageDir}/web.js`)});
    await pkg.init(wasm);\n`,
  );

test('refused 200 MiB payloads cost no lasting memory (RSS growth under 64 MiB after three)', () => {
  const result = inChild(`
    const { Webhook, verify, WebhookError } = pkg;
    const { createHmac } = await import('node:crypto');
    const SECRET = 'whsec_bounds';
    const event = pkg.sampleEvent('contact.created');
    const signature = createHmac('sha256', SECRET).update(event).digest('hex');
    const limited = new Webhook(SECRET, { maxPayloadBytes: 1 << 20 });
    const roomy = new Webhook(SECRET, { maxPayloadBytes: 300 << 20 });
    const unlimited = new Webhook(SECRET);
    const codes = new Set();
    const code = (fn) => { try { fn(); return 'ok'; } catch (e) { return e instanceof WebhookError ? e.code : String(e); } };
    // Freed payloads leave RSS only once the event loop has turned (backing stores and
    // large-object pages are released after the collection).
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        globalThis.gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    // Warm up every path once, then measure.
    limited.constructEvent(event, signature);
    verify(SECRET, 'x'.repeat(1 << 20), signature);
    await settle();
    const before = process.memoryUsage().rss;
    // Three 200 MiB payloads: ASCII text, bytes, and text of two-byte characters.
    for (const make of [() => 'x'.repeat(200 << 20), () => Buffer.alloc(200 << 20, 0x78), () => '\u00e9'.repeat(100 << 20)]) {
      const payload = make();
      codes.add('limited ' + code(() => limited.constructEvent(payload, signature)));
      codes.add('limited verify ' + code(() => limited.verify(payload, signature)));
      codes.add('forged under a roomy limit ' + code(() => roomy.constructEvent(payload, signature)));
      codes.add('no limit ' + code(() => unlimited.verify(payload, signature)));
      codes.add('verify() ' + verify(SECRET, payload, signature));
    }
    await settle();
    const after = process.memoryUsage().rss;
    // Still correct afterwards.
    codes.add('after ' + code(() => limited.constructEvent(event, signature)));
    console.log(JSON.stringify({ growthMiB: (after - before) / (1 << 20), codes: [...codes].sort() }));
  `);
  assert.deepEqual(result.codes, [
    'after ok',
    'forged under a roomy limit INVALID_SIGNATURE',
    'limited PAYLOAD_TOO_LARGE',
    'limited verify PAYLOAD_TOO_LARGE',
    'no limit INVALID_SIGNATURE',
    'verify() false',
  ]);
  assert.ok(result.growthMiB < 64, `RSS grew by ${result.growthMiB.toFixed(1)} MiB`);
});

test('a 2 GiB payload is refused or hashed, never a trap, and the package keeps working', () => {
  const result = inChild(`
    const { Webhook, verify, parseEvent, WebhookError } = pkg;
    const { createHmac } = await import('node:crypto');
    const SECRET = 'whsec_bounds';
    const event = pkg.sampleEvent('contact.created');
    const signature = createHmac('sha256', SECRET).update(event).digest('hex');
    const huge = Buffer.alloc(2 ** 31);
    const outcome = (fn) => {
      try { return 'returned ' + fn(); } catch (e) { return e instanceof WebhookError ? e.code : e.constructor.name + ': ' + e.message; }
    };
    const webhook = new Webhook(SECRET);
    console.log(JSON.stringify({
      // Copying it whole cannot be done in wasm32 (over isize::MAX): refused, not a trap.
      parse: outcome(() => parseEvent(huge)),
      // Hashed in chunks: a wrong signature, as for any other payload.
      verify: outcome(() => verify(SECRET, huge, signature)),
      limited: outcome(() => new Webhook(SECRET, { maxPayloadBytes: 1 << 20 }).verify(huge, signature)),
      // The instance, the cached cores and this Webhook still answer correctly.
      afterVerify: outcome(() => verify(SECRET, event, signature)),
      afterWrong: outcome(() => verify(SECRET, event + ' ', signature)),
      afterConstruct: outcome(() => webhook.constructEvent(event, signature).type),
      afterParse: outcome(() => parseEvent(event).id),
    }));
  `);
  assert.deepEqual(result, {
    parse: 'PAYLOAD_TOO_LARGE',
    verify: 'returned false',
    limited: 'PAYLOAD_TOO_LARGE',
    afterVerify: 'returned true',
    afterWrong: 'returned false',
    afterConstruct: 'returned contact.created',
    afterParse: `returned ${JSON.parse(sampleEvent('contact.created')).id}`,
  });
});

test('a clock or header lookup that calls the package cannot change what is checked', () => {
  const genuine = sampleEvent('contact.created', { id: 'evt_genuine' });
  const forged = genuine.replace('evt_genuine', 'evt_forgeds');
  assert.equal(forged.length, genuine.length);
  const other = new Webhook(SECRET);
  // The clock verifies the genuine event meanwhile, as any code may.
  const sneaky = new Webhook(SECRET, {
    now: () => {
      other.verify(genuine, hmac(genuine));
      return Date.now();
    },
  });
  assert.throws(() => sneaky.constructEvent(forged, hmac(genuine)), isCode('INVALID_SIGNATURE'));
  assert.equal(sneaky.constructEvent(genuine, hmac(genuine)).id, 'evt_genuine');
  const headers = {
    get(name) {
      verify(SECRET, genuine, hmac(genuine));
      return name === 'x-digivault-signature' ? hmac(genuine) : null;
    },
  };
  assert.throws(() => other.verify(forged, headers), isCode('INVALID_SIGNATURE'));
  // A typed-array subclass whose accessor calls the package is read before anything is written.
  class Sneaky extends Uint8Array {
    get byteLength() {
      verify(SECRET, genuine, hmac(genuine));
      return super.byteLength;
    }
  }
  assert.throws(() => other.verify(new Sneaky(Buffer.from(forged)), hmac(genuine)), isCode('INVALID_SIGNATURE'));
  assert.throws(() => sneaky.constructEvent(new Sneaky(Buffer.from(forged)), hmac(genuine)), isCode('INVALID_SIGNATURE'));
  assert.equal(other.constructEvent(new Sneaky(Buffer.from(genuine)), hmac(genuine)).id, 'evt_genuine');
  // Large payloads (hashed in chunks) too.
  const big = genuine.replace('"object":{', `"object":{"pad":"${'y'.repeat(200_000)}",`);
  const bigForged = big.replace('evt_genuine', 'evt_forgeds');
  assert.throws(() => sneaky.constructEvent(bigForged, hmac(big)), isCode('INVALID_SIGNATURE'));
  assert.equal(sneaky.constructEvent(big, hmac(big)).id, 'evt_genuine');
  assert.throws(() => other.constructEvent(new Sneaky(Buffer.from(bigForged)), hmac(big)), isCode('INVALID_SIGNATURE'));
  assert.equal(other.constructEvent(new Sneaky(Buffer.from(big)), hmac(big)).id, 'evt_genuine');
});

test('payloads hashed in chunks give the same answers as node:crypto, at every chunk boundary', () => {
  const encoder = new TextEncoder();
  const reference = (secret, payload) => createHmac('sha256', secret).update(typeof payload === 'string' ? encoder.encode(payload) : payload).digest('hex');
  // Surrogate pairs and multi-byte characters across the string chunk boundary (21845
  // units), a lone surrogate, and byte payloads across the 64 KiB one.
  const strings = [
    'a'.repeat(21844) + '\u{1f600}' + '\u00e9'.repeat(30000) + '\ud800' + 'z',
    '\u{1f600}'.repeat(40000),
    '\u20ac'.repeat(70000) + '\udc00',
  ];
  const bytes = [65535, 65536, 65537, 3 * 65536 + 7].map((n) => Buffer.alloc(n, 0xab));
  const webhook = new Webhook(['whsec_old', SECRET]);
  for (const payload of [...strings, ...bytes]) {
    const expected = reference(SECRET, payload);
    assert.equal(sign(SECRET, payload), expected);
    assert.equal(verify(SECRET, payload, expected), true);
    assert.equal(verify(SECRET, payload, reference('whsec_other', payload)), false);
    webhook.verify(payload, expected);
    assert.deepEqual(webhook.expectedSignatures(payload), [reference('whsec_old', payload), expected]);
  }
  // A large event in every form: verified in chunks, then validated.
  const event = sampleEvent('conversation.message.created').replace('"message":"', `"message":"${'\u00e9\u{1f600}'.repeat(50000)}`);
  for (const payload of [event, Buffer.from(event), new Uint8Array(Buffer.from(event)).buffer]) {
    assert.equal(webhook.constructEvent(payload, reference(SECRET, event)).type, 'conversation.message.created');
    assert.throws(() => webhook.constructEvent(payload, reference('whsec_other', event)), isCode('INVALID_SIGNATURE'));
  }
  assert.throws(() => webhook.constructEvent(event, 'not hex'), isCode('MALFORMED_SIGNATURE'));
  assert.throws(() => webhook.constructEvent(event, ''), isCode('MISSING_SIGNATURE'));
});

test('the limit counts UTF-8 bytes of a string, refused before any copy when it is longer in units', () => {
  const small = new Webhook(SECRET, { maxPayloadBytes: 10 });
  // 8 units, 16 bytes: measured by the core after the copy.
  assert.throws(() => small.verify('\u00e9'.repeat(8), hmac('\u00e9'.repeat(8))), (e) => isCode('PAYLOAD_TOO_LARGE')(e) && /16 bytes/.test(e.message));
  small.verify('\u00e9'.repeat(5), hmac('\u00e9'.repeat(5)));
  // Large strings within the limit in units but over it in bytes: measured before hashing.
  const large = new Webhook(SECRET, { maxPayloadBytes: 100_000 });
  const text = '\u00e9'.repeat(90_000);
  assert.throws(() => large.verify(text, hmac(text)), (e) => isCode('PAYLOAD_TOO_LARGE')(e) && /180000 bytes/.test(e.message));
  const fits = '\u00e9'.repeat(50_000);
  large.verify(fits, hmac(fits));
});

test('without a global Buffer (browsers, workerd) strings are measured and hashed the same', () => {
  const result = inChild.withoutBuffer(`
    const { Webhook, sign, WebhookError } = pkg;
    const text = '\\u00e9\\u{1f600}\\ud800'.repeat(30_000);
    const code = (fn) => { try { fn(); return 'ok'; } catch (e) { return e instanceof WebhookError ? e.code + ' ' + e.message : String(e); } };
    console.log(JSON.stringify({
      hasBuffer: typeof globalThis.Buffer,
      tooLarge: code(() => new Webhook('k', { maxPayloadBytes: 200_000 }).verify(text, 'ab'.repeat(32))),
      signature: sign('k', text),
    }));
  `);
  const text = '\u00e9\u{1f600}\ud800'.repeat(30_000);
  const bytes = new TextEncoder().encode(text);
  assert.equal(result.hasBuffer, 'undefined');
  assert.match(result.tooLarge, new RegExp(`^PAYLOAD_TOO_LARGE payload too large: ${bytes.length} bytes`));
  assert.equal(result.signature, createHmac('sha256', 'k').update(bytes).digest('hex'));
});
