// Run by package.test.mjs inside a fresh project that installed the packed tarball, under
// each runtime (Node 20/22/24, Deno, Bun): imports the package by name and runs every
// signature vector and event fixture. Prints one JSON line with the results.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as esm from 'digivault-webhooks';

const [vectorsPath, eventsPath] = process.argv.slice(2);
const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')).vectors;
const events = JSON.parse(readFileSync(eventsPath, 'utf8')).events;
const cjs = createRequire(import.meta.url)('digivault-webhooks');
const failures = [];

for (const api of [esm, cjs]) {
  for (const v of vectors) {
    const unit = Buffer.from(v.body_base64, 'base64');
    const body = Buffer.concat(Array(v.repeat ?? 1).fill(unit));
    const ok = api.verify(v.secrets, new Uint8Array(body), v.signature);
    if (ok !== (v.expected === 'valid')) failures.push(`verify ${v.name}`);
    let code = 'valid';
    try {
      new api.Webhook(v.secrets).verify(body, { 'x-digivault-signature': v.signature ?? undefined });
    } catch (error) {
      code = error.code;
    }
    if (code !== v.expected) failures.push(`Webhook ${v.name}: ${code}`);
  }
  for (const e of events) {
    const body = e.body_base64 ? Buffer.from(e.body_base64, 'base64') : e.body;
    let outcome;
    try {
      outcome = api.parseEvent(body).type;
    } catch (error) {
      outcome = `${error.code} ${error.path ?? ''}`.trim();
    }
    const expected = e.expect.type ?? `${e.expect.code} ${e.expect.path ?? ''}`.trim();
    if (outcome !== expected) failures.push(`parseEvent ${e.name}: ${outcome}`);
  }
}
const request = new Request('http://127.0.0.1/webhooks', {
  method: 'POST',
  body: esm.sampleEvent('group.member_added'),
  headers: { 'X-DigiVault-Signature': esm.sign('k', esm.sampleEvent('group.member_added')) },
});
const viaFetch = await esm.verifyRequest(request, 'k');
console.log(JSON.stringify({
  runtime: typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : `node ${process.version}`,
  sameInstance: esm.Webhook === cjs.Webhook,
  checked: 2 * (vectors.length * 2 + events.length),
  fetchEvent: viaFetch.type,
  failures,
}));
