// Speed and size of the npm package against what users would otherwise use, measured in
// one Node process so that ratios compare like with like. Not a test: it prints figures
// and whether each target of the package's issue is met. `make bench-npm` runs it.
import { createHmac, timingSafeEqual, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';

const pkgDir = new URL('../../pkg/', import.meta.url).pathname;
const { verify, sign, Webhook, parseEvent } = await import(join(pkgDir, 'node.mjs'));

const SECRET = 'whsec_7f3a9c1e5b2d4f6a8c0e';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 150);

/** Median ns/op over ROUNDS rounds of about ROUND_MS each; async ops are awaited. */
async function measure(fn) {
  const isAsync = fn() instanceof Promise;
  let batch = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) isAsync ? await fn() : fn();
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (elapsed > ROUND_MS / 4) break;
    batch *= 2;
  }
  const perOp = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) isAsync ? await fn() : fn();
    perOp.push(Number(process.hrtime.bigint() - start) / batch);
  }
  perOp.sort((a, b) => a - b);
  return perOp[Math.floor(perOp.length / 2)];
}

const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} us` : `${ns.toFixed(0)} ns`);
const results = [];
const check = (label, ok, detail) => results.push(`${ok ? 'MET ' : 'MISS'}  ${label}: ${detail}`);

function body(size) {
  const head = '{"id":"evt_bench","type":"conversation.message.created","created_at":1640995200,"data":{"object":{"id":"m","conversation_id":"c","created_at":1640995200,"message":"';
  const tail = '"}}}';
  return Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length - tail.length)) + tail);
}

const key = await webcrypto.subtle.importKey('raw', Buffer.from(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
const nobleKey = new TextEncoder().encode(SECRET);

console.log(`Node ${process.version}, ${ROUNDS} rounds of ~${ROUND_MS} ms, median ns/op\n`);
console.log('verify'.padEnd(8), 'size'.padStart(8), 'ours'.padStart(10), 'node:crypto'.padStart(12), 'WebCrypto'.padStart(11), '@noble'.padStart(11), ' ours/node', ' ours/web', ' noble/ours', '  ours MB/s');
for (const [label, size] of [['200 B', 200], ['1 KiB', 1024], ['16 KiB', 16384], ['1 MiB', 1 << 20]]) {
  const payload = body(size);
  const signature = sign(SECRET, payload);
  const tag = Buffer.from(signature, 'hex');
  const ours = await measure(() => verify(SECRET, payload, signature));
  const node = await measure(() => {
    const expected = createHmac('sha256', SECRET).update(payload).digest();
    const received = Buffer.from(signature, 'hex');
    return received.length === expected.length && timingSafeEqual(expected, received);
  });
  const web = await measure(() => webcrypto.subtle.verify('HMAC', key, tag, payload));
  const noble = await measure(() => {
    const expected = nobleHmac(sha256, nobleKey, payload);
    let diff = expected.length ^ tag.length;
    for (let i = 0; i < expected.length; i++) diff |= expected[i] ^ tag[i];
    return diff === 0;
  });
  const mbps = size / ours * 1e3;
  console.log('', label.padStart(15), fmt(ours).padStart(10), fmt(node).padStart(12), fmt(web).padStart(11), fmt(noble).padStart(11), `${(ours / node).toFixed(2)}x`.padStart(10), `${(ours / web).toFixed(2)}x`.padStart(9), `${(noble / ours).toFixed(1)}x`.padStart(11), mbps.toFixed(0).padStart(11));
  if (size === 200) check('verify at 200 B faster than node:crypto', ours < node, `${(ours / node).toFixed(2)}x`);
  if (size === 1024) check('verify at 1 KiB no slower than node:crypto', ours <= node, `${(ours / node).toFixed(2)}x`);
  if (size === 1 << 20) check('verify at 1 MiB at least 400 MB/s', mbps >= 400, `${mbps.toFixed(0)} MB/s`);
  check(`at least 3x faster than @noble/hashes at ${label}`, noble / ours >= 3, `${(noble / ours).toFixed(1)}x`);
}

// A ~1 KiB event, and a zod schema of the same shape as the package validates.
const event = Buffer.from(JSON.stringify({
  id: 'evt_1234567890abcdef', type: 'conversation.message.created', created_at: 1640995200,
  data: { object: {
    id: 'xgQQXg3hrtjh7AvZ', conversation_id: 'WAz8eIbvDR60rouK',
    contact: { id: 'WAz8eIbvDR60rouK', username: 'FrankMcCallister', name: 'Frank McCallister', avatar_url: 'https://assets.digivault.com/avatars/frank.jpg' },
    message: 'Hello, world! '.repeat(50), created_at: 1640995200,
  } },
}));
const eventText = event.toString('utf8');
const eventSignature = sign(SECRET, event);
const contact = z.object({ id: z.string(), username: z.string().nullish(), name: z.string().nullish(), avatar_url: z.string().nullish(), email: z.string().nullish(), phone: z.string().nullish(), created_at: z.number().int().nullish(), updated_at: z.number().int().nullish() }).passthrough();
const schema = z.object({
  id: z.string().min(1), type: z.string().min(1), created_at: z.number().int(),
  data: z.object({ object: z.object({ id: z.string(), conversation_id: z.string(), contact: contact.nullish(), message: z.string(), created_at: z.number().int() }).passthrough() }),
});
const webhook = new Webhook(SECRET);
const construct = await measure(() => webhook.constructEvent(event, eventSignature));
const parse = await measure(() => parseEvent(eventText));
const jsonParse = await measure(() => JSON.parse(eventText));
const jsonZod = await measure(() => schema.parse(JSON.parse(eventText)));
const byHand = await measure(() => {
  const expected = createHmac('sha256', SECRET).update(event).digest();
  const received = Buffer.from(eventSignature, 'hex');
  if (received.length !== expected.length || !timingSafeEqual(expected, received)) throw new Error('bad');
  return schema.parse(JSON.parse(event.toString('utf8')));
});
console.log(`\nevent of ${event.length} bytes`);
console.log(`  constructEvent (verify + validate + parse)  ${fmt(construct).padStart(10)}   by hand (node:crypto + JSON.parse + zod) ${fmt(byHand)}  -> ${(construct / byHand).toFixed(2)}x`);
console.log(`  parseEvent (validate + parse)               ${fmt(parse).padStart(10)}   JSON.parse ${fmt(jsonParse)} -> ${(parse / jsonParse).toFixed(2)}x, JSON.parse + zod ${fmt(jsonZod)} -> ${(parse / jsonZod).toFixed(2)}x`);
check('constructEvent no slower than node:crypto + JSON.parse + zod', construct <= byHand, `${(construct / byHand).toFixed(2)}x`);
check('parseEvent within 2x of JSON.parse', parse <= 2 * jsonParse, `${(parse / jsonParse).toFixed(2)}x`);

console.log('\nshipped .wasm');
{
  const bytes = readFileSync(join(pkgDir, 'wasm', 'digivault_webhooks_bg.wasm'));
  const gzip = gzipSync(bytes, { level: 9 }).length;
  console.log(`  wasm/digivault_webhooks_bg.wasm: ${(bytes.length / 1024).toFixed(1)} KiB, ${(gzip / 1024).toFixed(1)} KiB gzip`);
  check('.wasm at most 40 KiB gzip', gzip <= 40 * 1024, `${(gzip / 1024).toFixed(1)} KiB`);
}
console.log('\ntargets\n  ' + results.join('\n  '));
