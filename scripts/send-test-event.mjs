#!/usr/bin/env node
// Sends one signed sample event to the Worker and prints the response, plus the
// equivalent curl command.
//
//   node scripts/send-test-event.mjs [url] [event-id]
//
// The secret comes from WEBHOOK_SECRET, else from .dev.vars. Re-sending the same event id
// shows deduplication: the second answer is {"status":"duplicate"}.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

const url = process.argv[2] ?? 'http://127.0.0.1:8787/webhooks';
const id = process.argv[3] ?? `webhook_test_${Date.now()}`;

function secretFromDevVars() {
  try {
    const line = readFileSync(new URL('../.dev.vars', import.meta.url), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('WEBHOOK_SECRET='));
    return line?.slice('WEBHOOK_SECRET='.length).trim().replace(/^"(.*)"$/, '$1');
  } catch {
    return undefined;
  }
}

const secret = process.env.WEBHOOK_SECRET ?? secretFromDevVars();
if (!secret) {
  console.error('no secret: set WEBHOOK_SECRET or create .dev.vars (cp .dev.vars.example .dev.vars)');
  process.exit(2);
}

const now = Math.floor(Date.now() / 1000);
const body = JSON.stringify({
  id,
  type: 'conversation.message.created',
  created_at: now,
  data: {
    object: {
      id: 'xgQQXg3hrtjh7AvZ',
      conversation_id: 'WAz8eIbvDR60rouK',
      message: 'Hello, world!',
      created_at: now,
    },
  },
});
const signature = createHmac('sha256', secret).update(body).digest('hex');

console.log('curl equivalent:');
console.log(
  `  curl -sS ${url} -H 'Content-Type: application/json' ` +
    `-H 'X-DigiVault-Signature: ${signature}' --data-binary '${body}'`,
);
const response = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-digivault-signature': signature },
  body,
});
console.log(`${response.status} ${await response.text()}`);
process.exit(response.ok ? 0 : 1);
