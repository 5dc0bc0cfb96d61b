// Regenerates the committed seed corpus (fuzz/corpus/<target>/) from the test fixtures:
// event bodies from tests/events.json and tests/vectors.json, signature header values
// from tests/vectors.json. Files are named by content hash; run from anywhere.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const read = (path) => JSON.parse(readFileSync(new URL(path, root), 'utf8'));
const { events } = read('tests/events.json');
const { vectors } = read('tests/vectors.json');
const bytesOf = (x) => (x.body !== undefined ? Buffer.from(x.body) : Buffer.from(Buffer.from(x.body_base64, 'base64').toString('binary').repeat(x.repeat ?? 1), 'binary'));

const MAX = 8192;
const counts = {};
function put(target, bytes) {
  if (bytes.length > MAX) return;
  const dir = new URL(`fuzz/corpus/${target}/`, root);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(createHash('sha1').update(bytes).digest('hex').slice(0, 16), dir), bytes);
  counts[target] = (counts[target] ?? 0) + 1;
}

// local_dedup's seeds are hand-made operation sequences: kept.
for (const target of ['event_parse', 'signature_header', 'receiver_request']) {
  rmSync(new URL(`fuzz/corpus/${target}/`, root), { recursive: true, force: true });
}
for (const x of events) put('event_parse', bytesOf(x));
for (const x of vectors) {
  const body = bytesOf(x);
  const signature = Buffer.from(x.signature ?? '');
  put('event_parse', body);
  // The structured targets read these as raw bytes: a header value, then body bytes.
  put('signature_header', Buffer.concat([signature, Buffer.from('\n'), body.subarray(0, 200)]));
  put('receiver_request', Buffer.concat([body.subarray(0, 300), Buffer.from([0]), signature]));
}
console.log(counts);
