// `make deploy` (scripts/deploy.mjs): the ops script first (the webhook script binds it twice),
// every step checked and bundled by wrangler itself (--dry-run: nothing is uploaded, no
// account needed).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { DELIVERY_VARS, durableMismatches, withoutBuild } from '../../scripts/deploy.mjs';
import { ROOT } from './helpers.mjs';

test('the ops script hosts EventLedger and binds nothing of the webhook script', () => {
  const ops = readFileSync(`${ROOT}ops/wrangler.toml`, 'utf8').replace(/^#.*$/gm, '');
  const webhook = readFileSync(`${ROOT}wrangler.toml`, 'utf8').replace(/^#.*$/gm, '');
  assert.doesNotMatch(ops, /script_name|service = "digivault-webhooks"/);
  assert.match(ops, /name = "LEDGER"\nclass_name = "EventLedger"\n\n/);
  assert.match(ops, /new_sqlite_classes = \["EventLedger"\]/);
  // The webhook script: LEDGER in the ops script, no class and no migration of its own.
  assert.match(webhook, /name = "LEDGER"\nclass_name = "EventLedger"\nscript_name = "digivault-webhooks-ops"/);
  assert.doesNotMatch(webhook, /\[\[migrations\]\]/);
});

test('durable mode: the ops script must repeat the delivery settings, or nothing deploys', () => {
  const webhook = { DELIVERY_MODE: 'durable', FORWARD_URL: 'https://origin.example/hook', FORWARD_TIMEOUT_MS: '25000' };
  assert.deepEqual(durableMismatches(webhook, { ...webhook }), []);
  assert.deepEqual(durableMismatches(webhook, { DELIVERY_MODE: 'durable', FORWARD_TIMEOUT_MS: 25000 }), [['FORWARD_URL', 'https://origin.example/hook', undefined]]);
  assert.deepEqual(durableMismatches({ ...webhook, RETRY_SCHEDULE_SECONDS: '30,60' }, webhook).map(([name]) => name), ['RETRY_SCHEDULE_SECONDS']);
  // Forward mode delivers from the webhook script: nothing to repeat.
  assert.deepEqual(durableMismatches({ FORWARD_URL: 'https://origin.example/hook' }, {}), []);
  assert.ok(DELIVERY_VARS.includes('MAX_DELIVERIES_IN_FLIGHT'));
});

test('the webhook script deploys from wrangler.toml without [build] only (built once, first)', () => {
  const toml = readFileSync(`${ROOT}wrangler.toml`, 'utf8');
  const deployed = withoutBuild(toml);
  assert.match(toml, /^\[build\]$/m);
  assert.doesNotMatch(deployed, /^\[build\]|^command = |^watch_dir = /m);
  // Everything else stays, line for line.
  const rest = (text) => text.split('\n').filter((line) => !/^(\[build\]|command = |watch_dir = )/.test(line) && !line.startsWith('#') && line !== '');
  assert.deepEqual(rest(deployed), rest(toml));
});

test('every deploy step bundles with wrangler (dry run), the ops script first', () => {
  const out = execFileSync('node', [`${ROOT}scripts/deploy.mjs`, '--dry-run'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const steps = [...out.matchAll(/^deploy: (.+) \(/gm)].map((m) => m[1]);
  assert.deepEqual(steps, ['building both scripts', 'ops script', 'webhook script']);
  assert.match(out, /env\.OPS \(digivault-webhooks-ops\)/);
  assert.match(out, /env\.LEDGER \(EventLedger, defined in digivault-webhooks-ops\)/);
  assert.match(out, /deploy: dry run done/);
});
