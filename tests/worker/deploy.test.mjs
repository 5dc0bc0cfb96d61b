// `make deploy` (scripts/deploy.mjs): the first-deploy bootstrap's config, and every step
// checked and bundled by wrangler itself (--dry-run: nothing is uploaded, no account needed).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { opsWithoutLedger, withoutBuild } from '../../scripts/deploy.mjs';
import { ROOT } from './helpers.mjs';

test('the bootstrap config is the ops config without its LEDGER binding, nothing else', () => {
  const ops = readFileSync(`${ROOT}ops/wrangler.toml`, 'utf8');
  const bootstrap = opsWithoutLedger(ops);
  assert.match(ops, /name = "LEDGER"/);
  assert.doesNotMatch(bootstrap, /name = "LEDGER"|script_name = "digivault-webhooks"/);
  assert.match(bootstrap, /^name = "digivault-webhooks-ops"$/m);
  assert.match(bootstrap, /^main = "\.\.\/build\/ops\/index\.js"$/m);
  // The ops script's own classes stay bound (their migration declares them).
  for (const name of ['CONSOLE', 'LISTEN']) assert.match(bootstrap, new RegExp(`^name = "${name}"$`, 'm'));
  assert.throws(() => opsWithoutLedger('name = "x"\n'), /no LEDGER block/);
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

test('every deploy step bundles with wrangler (dry run), the bootstrap included', () => {
  const out = execFileSync('node', [`${ROOT}scripts/deploy.mjs`, '--dry-run'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const steps = [...out.matchAll(/^deploy: (.+) \(/gm)].map((m) => m[1]);
  assert.deepEqual(steps, ['building both scripts', 'ops script without LEDGER', 'webhook script', 'ops script']);
  assert.match(out, /env\.OPS \(digivault-webhooks-ops\)/);
  assert.match(out, /env\.LEDGER \(EventLedger, defined in digivault-webhooks\)/);
  assert.match(out, /deploy: dry run done/);
});
