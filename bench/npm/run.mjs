// Speed and size of the npm package against what users would otherwise use, measured in
// one Node process so that ratios compare like with like. Not a test: it prints figures
// and whether each target of the package's issue is met. `make bench-npm` runs it.
import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { SECRET, body, constructByHand, event, eventText, schema, verifyByHand } from './fixtures.mjs';

const pkgDir = new URL('../../pkg/', import.meta.url).pathname;
const { verify, sign, Webhook, parseEvent } = await import(join(pkgDir, 'node.mjs'));

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

const key = await webcrypto.subtle.importKey('raw', Buffer.from(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
const nobleKey = new TextEncoder().encode(SECRET);

console.log(`Node ${process.version}, ${ROUNDS} rounds of ~${ROUND_MS} ms, median ns/op\n`);
console.log('verify'.padEnd(8), 'size'.padStart(8), 'ours'.padStart(10), 'node:crypto'.padStart(12), 'WebCrypto'.padStart(11), '@noble'.padStart(11), ' ours/node', ' ours/web', ' noble/ours', '  ours MB/s');
for (const [label, size] of [['200 B', 200], ['1 KiB', 1024], ['16 KiB', 16384], ['1 MiB', 1 << 20]]) {
  const payload = body(size);
  const signature = sign(SECRET, payload);
  const tag = Buffer.from(signature, 'hex');
  const ours = await measure(() => verify(SECRET, payload, signature));
  const node = await measure(() => verifyByHand(payload, signature));
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

const eventSignature = sign(SECRET, event);
const webhook = new Webhook(SECRET);
const construct = await measure(() => webhook.constructEvent(event, eventSignature));
const parse = await measure(() => parseEvent(eventText));
const jsonParse = await measure(() => JSON.parse(eventText));
const jsonZod = await measure(() => schema.parse(JSON.parse(eventText)));
const byHand = await measure(() => constructByHand(event, eventSignature));
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
