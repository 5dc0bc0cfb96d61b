// scripts/demo-origin.mjs, the origin `make dev` runs: it verifies what it receives with the
// built package and deduplicates on the verified event's id, never on X-DigiVault-Event-Id
// (a header anyone who reaches the origin can set). Signing here uses node:crypto.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { packageDir } from './fixtures.mjs';

const SECRET = 'whsec_demo_origin_test';
const SCRIPT = fileURLToPath(new URL('../../scripts/demo-origin.mjs', import.meta.url));
const { sampleEvent } = await import(`${packageDir}/node.mjs`);

let origin;
let url;
before(async () => {
  origin = spawn(process.execPath, [SCRIPT, '0'], { env: { ...process.env, WEBHOOK_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  origin.stdout.setEncoding('utf8');
  origin.stdout.on('data', (text) => {
    output += text;
  });
  while (!/listening on (\S+)/.test(output)) {
    const [code] = await Promise.race([once(origin, 'exit'), once(origin.stdout, 'data').then(() => [undefined])]);
    if (code !== undefined) throw new Error(`demo origin exited (${code}): ${output}`);
  }
  url = /listening on (\S+)/.exec(output)[1];
});
after(() => origin?.kill());

const post = async (body, headers) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, json: await response.json() };
};
const signature = (body, secret = SECRET) => ({ 'x-digivault-signature': createHmac('sha256', secret).update(body).digest('hex') });

test('the demo origin refuses what is not signed with its secret', async () => {
  const body = sampleEvent('contact.created', { id: 'evt_demo_unsigned' });
  assert.equal((await post(body, {})).status, 401);
  assert.equal((await post(body, signature(body, 'whsec_someone_else'))).status, 401);
  assert.equal((await post(body, { ...signature(body), 'x-digivault-event-id': 'evt_other' })).json.id, 'evt_demo_unsigned');
});

test('the demo origin takes the id from the verified body: a replay under a fresh X-DigiVault-Event-Id is a duplicate', async () => {
  const body = sampleEvent('conversation.message.created', { id: 'evt_demo_signed' });
  const first = await post(body, { ...signature(body), 'x-digivault-event-id': 'evt_demo_signed' });
  assert.deepEqual([first.status, first.json.id, first.json.duplicate], [200, 'evt_demo_signed', false]);
  const replay = await post(body, { ...signature(body), 'x-digivault-event-id': 'evt_fresh_looking_id' });
  assert.deepEqual([replay.status, replay.json.id, replay.json.duplicate], [200, 'evt_demo_signed', true]);
});
