// `make deploy`: both scripts of the receiver, in the order their bindings allow.
//
// The webhook script binds the ops script twice: `OPS` (a service binding) and `LEDGER` (the
// `EventLedger` class the ops script hosts, by `script_name`). The ops script binds nothing
// of the webhook script's. Cloudflare refuses a binding to a script that does not exist yet,
// so: the ops script, then the webhook script, on a first deploy as on every other. Both
// scripts are built once, first (release: scripts/build-worker.mjs, with its size budget);
// wrangler then deploys them from configs without wrangler.toml's [build] table, so no step
// rebuilds or checks the build again.
//
//   node scripts/deploy.mjs             # deploys (wrangler's own login or CLOUDFLARE_API_TOKEN)
//   node scripts/deploy.mjs --dry-run   # every step's config checked and bundled by wrangler, nothing uploaded
// In durable mode the ops script delivers (it hosts the ledger): its [vars] must repeat the
// webhook script's delivery settings, checked before anything is built or deployed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const dryRun = process.argv.includes('--dry-run');
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' };
const outdir = dryRun ? mkdtempSync(join(tmpdir(), 'digivault-deploy-')) : null;

function wrangler(config, what) {
  console.log(`deploy: ${what} (${config.replace(root, '').replace('.wrangler.deploy.toml', 'wrangler.toml without [build]')})`);
  const args = ['deploy', '-c', config, ...(dryRun ? ['--dry-run', '--outdir', join(outdir, what.replace(/\W+/g, '-'))] : [])];
  return spawnSync(join(root, 'node_modules/.bin/wrangler'), args, { cwd: root, env, stdio: 'inherit' }).status === 0;
}

/** What the ledger's alarms deliver with, in durable mode: read by the ops script, which hosts the class. */
export const DELIVERY_VARS = ['DELIVERY_MODE', 'FORWARD_URL', 'FORWARD_TIMEOUT_MS', 'RETRY_SCHEDULE_SECONDS', 'DEAD_LETTER_TTL_SECONDS', 'MAX_DELIVERIES_IN_FLIGHT'];

/**
 * The delivery settings the ops script's `[vars]` must repeat and does not, as
 * `[name, webhook value, ops value]`: none unless the webhook script is in durable mode (forward
 * mode delivers from the webhook script). Secrets are not in a config: the ledger refuses to
 * store without WEBHOOK_SECRET (503, DigiVault retries).
 */
export function durableMismatches(webhookVars = {}, opsVars = {}) {
  if (String(webhookVars.DELIVERY_MODE ?? '') !== 'durable') return [];
  return DELIVERY_VARS.filter((name) => String(webhookVars[name] ?? '') !== String(opsVars[name] ?? '')).map((name) => [name, webhookVars[name], opsVars[name]]);
}

/** A wrangler config without its `[build]` table (the build ran once, before the first step). */
export function withoutBuild(toml) {
  return toml.replace(/^\[build\]\n(?:(?!\[).*\n)*/m, '');
}

async function main() {
  const { experimental_readRawConfig: read } = await import('wrangler');
  const vars = (config) => read({ config: join(root, config) }).rawConfig.vars ?? {};
  const mismatches = durableMismatches(vars('wrangler.toml'), vars('ops/wrangler.toml'));
  if (mismatches.length > 0) {
    for (const [name, webhook, ops] of mismatches) {
      const shown = (value) => (value === undefined ? 'unset' : JSON.stringify(String(value)));
      console.error(`deploy: durable mode delivers from the ops script: ${name} is ${shown(webhook)} in wrangler.toml [vars] but ${shown(ops)} in ops/wrangler.toml [vars]`);
    }
    console.error('deploy: set them alike in both (docs/operations.md, "Deploy walkthrough"); nothing deployed');
    process.exit(1);
  }
  console.log('deploy: building both scripts (release, scripts/build-worker.mjs)');
  if (spawnSync('node', [join(root, 'scripts/build-worker.mjs')], { cwd: root, env, stdio: 'inherit' }).status !== 0) {
    console.error('deploy: the build failed (above); nothing deployed');
    process.exit(1);
  }
  const webhook = join(root, '.wrangler.deploy.toml');
  writeFileSync(webhook, withoutBuild(readFileSync(join(root, 'wrangler.toml'), 'utf8')));
  process.on('exit', () => rmSync(webhook, { force: true }));
  const ok = wrangler(join(root, 'ops/wrangler.toml'), 'ops script') && wrangler(webhook, 'webhook script');
  if (outdir) rmSync(outdir, { recursive: true, force: true });
  if (!ok) {
    console.error('deploy: failed (wrangler says why above)');
    process.exit(1);
  }
  console.log(dryRun ? 'deploy: dry run done, every step bundled, nothing uploaded' : 'deploy: both scripts deployed');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
