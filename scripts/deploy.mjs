// `make deploy`: both scripts of the receiver, in the order their bindings allow.
//
// The two scripts bind each other: the webhook script's `OPS` is a service binding to the ops
// script, and the ops script's `LEDGER` is the `EventLedger` class hosted by the webhook script
// (`script_name`). Cloudflare refuses a binding to a script that does not exist yet, so a
// first deploy cannot simply deploy one then the other. Steady state: ops, then webhook. When
// the ops deploy fails (on a first deploy, because the webhook script is missing), bootstrap:
// the ops script without `LEDGER` (its admin API answers 404 for those seconds), the webhook
// script, then the ops script again with every binding. Both scripts are built once, first
// (release: scripts/build-worker.mjs, with its size budget); wrangler then deploys them from
// configs without wrangler.toml's [build] table, so no step rebuilds or checks the build again.
//
//   node scripts/deploy.mjs             # deploys (wrangler's own login or CLOUDFLARE_API_TOKEN)
//   node scripts/deploy.mjs --dry-run   # every step's config checked and bundled by wrangler, nothing uploaded
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

/** ops/wrangler.toml without its `[[durable_objects.bindings]]` block (LEDGER), beside it so its relative paths hold. */
export function opsWithoutLedger(toml) {
  // Only the block that binds LEDGER: the script's own classes (CONSOLE, LISTEN) stay bound.
  const without = toml.replace(/\[\[durable_objects\.bindings\]\]\nname = "LEDGER"\n[^[]*/g, '');
  if (without === toml || /LEDGER/.test(without.replace(/^#.*$/gm, ''))) {
    throw new Error('deploy: ops/wrangler.toml has no LEDGER block this script knows how to leave out');
  }
  return without;
}

/** A wrangler config without its `[build]` table (the build ran once, before the first step). */
export function withoutBuild(toml) {
  return toml.replace(/^\[build\]\n(?:(?!\[).*\n)*/m, '');
}

function main() {
  console.log('deploy: building both scripts (release, scripts/build-worker.mjs)');
  if (spawnSync('node', [join(root, 'scripts/build-worker.mjs')], { cwd: root, env, stdio: 'inherit' }).status !== 0) {
    console.error('deploy: the build failed (above); nothing deployed');
    process.exit(1);
  }
  const ops = join(root, 'ops/wrangler.toml');
  const webhook = join(root, '.wrangler.deploy.toml');
  writeFileSync(webhook, withoutBuild(readFileSync(join(root, 'wrangler.toml'), 'utf8')));
  process.on('exit', () => rmSync(webhook, { force: true }));
  let ok;
  if (!dryRun && wrangler(ops, 'ops script')) {
    ok = wrangler(webhook, 'webhook script');
  } else {
    if (!dryRun) console.log('deploy: the ops script did not deploy; on a first deploy that is the missing webhook script its LEDGER binds: bootstrapping');
    const bootstrap = join(root, 'ops/.wrangler.bootstrap.toml');
    writeFileSync(bootstrap, opsWithoutLedger(readFileSync(ops, 'utf8')));
    try {
      ok = wrangler(bootstrap, 'ops script without LEDGER') && wrangler(webhook, 'webhook script') && wrangler(ops, 'ops script');
    } finally {
      rmSync(bootstrap, { force: true });
    }
  }
  if (outdir) rmSync(outdir, { recursive: true, force: true });
  if (!ok) {
    console.error('deploy: failed (wrangler says why above)');
    process.exit(1);
  }
  console.log(dryRun ? 'deploy: dry run done, every step bundled, nothing uploaded' : 'deploy: both scripts deployed');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
