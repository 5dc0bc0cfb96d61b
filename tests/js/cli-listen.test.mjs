// `digivault-webhooks listen`'s pure parts (arguments, URLs, frames, headers, backoff), and
// the package's verification entry points never reaching it or its WebSocket client. The
// command against a real Worker: tests/worker/listen.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { backoffMs, listenUrl, localHeaders, parseListenArgs, unframe } from '../../src/js/cli-listen.js';

const glue = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'js');

test('arguments: required URLs, the token never on the command line, --print-json instead of --forward-to', () => {
  const parsed = parseListenArgs(['--url', 'https://r.example', '--forward-to', 'http://localhost:3000/hook', '--types', 'contact.created, group.created']);
  assert.deepEqual(parsed.types, ['contact.created', 'group.created']);
  assert.equal(parsed.tokenEnv, 'DIGIVAULT_LISTEN_TOKEN');
  assert.equal(parseListenArgs(['--url', 'https://r.example', '--print-json']).printJson, true);
  for (const [argv, message] of [
    [['--forward-to', 'http://l/h'], /--url/],
    [['--url', 'https://r.example'], /--forward-to/],
    [['--url', 'https://r.example', '--forward-to', 'ftp://x'], /--forward-to/],
    [['--url', 'https://r.example', '--print-json', '--forward-to', 'http://l/h'], /one of/],
    [['--url', 'https://r.example', '--forward-to', 'http://l/h', '--token', 'x'], /environment only/],
    [['--url', 'https://r.example', '--forward-to', 'http://l/h', '--token=x'], /environment only/],
    [['--url', 'https://r.example', '--forward-to', 'http://l/h', '--types', 'a,,b'], /comma-separated/],
    [['--url', 'https://r.example', '--forward-to', 'http://l/h', 'extra'], /unexpected argument/],
  ]) {
    assert.throws(() => parseListenArgs(argv), message, argv.join(' '));
  }
});

test('the /listen URL keeps a base path and encodes the query', () => {
  assert.equal(listenUrl('https://r.example/base/', { name: 'my laptop', types: ['a.b', 'c'] }).href, 'https://r.example/base/listen?name=my+laptop&types=a.b%2Cc');
  assert.equal(listenUrl('http://127.0.0.1:8787').href, 'http://127.0.0.1:8787/listen');
});

test('an event message splits into its metadata and the exact body bytes', () => {
  const body = Buffer.from('{"id":"evt_1",\n"x":"\u00e9"}');
  const meta = { id: 'evt_1', type: 'contact.created', received_at: 1, content_type: 'application/json; charset=utf-8', signature_header: 'X-DigiVault-Signature', signature: 'ab' };
  const frame = Buffer.concat([Buffer.from(JSON.stringify(meta) + '\n'), body]);
  const out = unframe(new Uint8Array(frame));
  assert.deepEqual(out.meta, meta);
  assert.ok(out.body.equals(body));
  assert.throws(() => unframe(new Uint8Array([1, 2, 3])), /metadata/);
  assert.deepEqual(localHeaders(meta), {
    'X-DigiVault-Signature': 'ab',
    'x-digivault-event-id': 'evt_1',
    'x-digivault-event-type': 'contact.created',
    'content-type': 'application/json; charset=utf-8',
  });
  assert.equal('content-type' in localHeaders({ ...meta, content_type: undefined }), false, 'no Content-Type invented');
});

test('backoff doubles from 0.5 s, is capped, and is jittered by +-50 %', () => {
  assert.equal(backoffMs(0, { random: () => 0.5 }), 500);
  assert.equal(backoffMs(3, { random: () => 0.5 }), 4000);
  assert.equal(backoffMs(50, { random: () => 0.99 }), 30_000);
  assert.equal(backoffMs(50, { max: 200, random: () => 0 }), 100);
  assert.equal(backoffMs(1, { random: () => 0 }), 500);
});

/**
 * Every module an entry point reaches through static and dynamic imports, in src/js as
 * build-pkg.mjs lays it out in pkg/ (esm/X is src/js/X, node.cjs is node.js bundled; wasm/
 * is wasm-bindgen's generated glue and esm/event-checkers.js is generated from the core's
 * shape tables, neither importing anything).
 */
function reached(entry, seen = new Set()) {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const source = readFileSync(join(glue, entry), 'utf8');
  for (const [, spec] of source.matchAll(/(?:from|import|require)\s*\(?\s*['"]([^'"]+)['"]/g)) {
    const local = spec.replace(/^\.\/esm\//, './').replace(/^\.\/node\.cjs$/, './node.js');
    if (local.startsWith('./wasm/') || local.startsWith('#wasm-') || local === './event-checkers.js') seen.add(local);
    else if (local.startsWith('./')) reached(local.slice(2), seen);
    else seen.add(spec);
  }
  return seen;
}

test("the package's verification entry points never load the listen command or a WebSocket client", () => {
  // The files build-pkg.mjs ships as entry points (node.js is bundled into node.cjs).
  for (const entry of ['node.js', 'node.mjs', 'web.js', 'workerd.js', 'index.js', 'express.js', 'deduplicator.js']) {
    const modules = reached(entry);
    assert.ok(!modules.has('cli-listen.js'), `${entry} reaches cli-listen.js`);
    assert.ok(!modules.has('ws'), `${entry} reaches ws`);
  }
  assert.ok(reached('cli.js').has('cli-listen.js'), 'the walk follows imports');
});
