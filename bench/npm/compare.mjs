// This build of the package (pkg/) against another build of it (a copy of pkg/ made before a
// change), interleaved in one Node process and timed in CPU time, so that a loaded machine
// moves both alike: `node bench/npm/compare.mjs <other pkg dir>`. Not a test: it prints the
// median of each and their ratio (this / other; lower is better). COMPARE_ROUNDS tunes it.
import { createHmac } from 'node:crypto';
import { resolve } from 'node:path';
import { SECRET, body } from './fixtures.mjs';

if (process.argv.length < 3) {
  console.error('usage: node bench/npm/compare.mjs <other pkg dir>');
  process.exit(2);
}
const ours = await import(new URL('../../pkg/node.mjs', import.meta.url).pathname);
const other = await import(resolve(process.argv[2], 'node.mjs'));
const ROUNDS = Number(process.env.COMPARE_ROUNDS ?? 21);

const hmac = (payload) => createHmac('sha256', SECRET).update(payload).digest('hex');

/** CPU nanoseconds per call of `fn`, over `calls` calls. */
function cpuTime(fn, calls) {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) fn();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / calls;
}

const cases = [];
for (const [label, size, calls] of [['200 B', 200, 20000], ['1 KiB', 1024, 20000], ['16 KiB', 16384, 500], ['1 MiB', 1 << 20, 20]]) {
  const payload = body(size);
  const signature = hmac(payload);
  cases.push([`verify ${label}`, (pkg) => () => pkg.verify(SECRET, payload, signature), calls]);
}
const event = body(1064);
const eventSignature = hmac(event);
cases.push(['constructEvent 1 KiB (Buffer)', (pkg) => { const webhook = new pkg.Webhook(SECRET); return () => webhook.constructEvent(event, eventSignature); }, 10000]);
cases.push(['constructEvent 1 KiB (string)', (pkg) => { const webhook = new pkg.Webhook(SECRET, { maxPayloadBytes: 1 << 20 }); const text = event.toString(); return () => webhook.constructEvent(text, eventSignature); }, 10000]);
cases.push(['parseEvent 1 KiB', (pkg) => () => pkg.parseEvent(event), 10000]);

const median = (values) => values.slice().sort((a, b) => a - b)[values.length >> 1];
const us = (ns) => `${(ns / 1000).toFixed(2)} us`.padStart(11);
console.log(`Node ${process.version}, ${ROUNDS} interleaved rounds, CPU time, median per call`);
console.log(''.padEnd(32), 'this'.padStart(11), 'other'.padStart(11), '  this/other');
for (const [label, make, calls] of cases) {
  const a = make(ours);
  const b = make(other);
  cpuTime(a, calls);
  cpuTime(b, calls);
  const mine = [];
  const theirs = [];
  const ratios = [];
  for (let round = 0; round < ROUNDS; round++) {
    const x = cpuTime(a, calls);
    const y = cpuTime(b, calls);
    mine.push(x);
    theirs.push(y);
    ratios.push(x / y);
  }
  console.log(label.padEnd(32), us(median(mine)), us(median(theirs)), `${median(ratios).toFixed(3)}x`.padStart(12));
}
