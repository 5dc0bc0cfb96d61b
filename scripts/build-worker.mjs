#!/usr/bin/env node
// Builds the Cloudflare Worker's two scripts into build/ (webhook) and build/ops/ (ops): each
// index.js + index_bg.wasm.
// The project's own build, in place of the `worker-build` tool (a from-source compile on every
// fresh machine): the same steps, with the tools the npm package already needs.
//
//   node scripts/build-worker.mjs          both scripts (webhook: build/, ops: build/ops/), release:
//                                          cargo profile `worker`, wasm-opt -Oz, strip; the
//                                          webhook script's gzip size checked against its budget
//   node scripts/build-worker.mjs NAME...  only those of SCRIPTS (the alternatives measured too)
//   node scripts/build-worker.mjs --dev    development (`make dev`, or DIGIVAULT_WORKER_BUILD=dev
//                                          as wrangler's [build] command): profile `worker-dev`
//                                          (no LTO, incremental), no wasm-opt; each script in its
//                                          own cargo target directory (target/dev-NAME), the
//                                          scripts built at the same time
//   node scripts/build-worker.mjs --names NAME...   a release build keeping the function names
//                                          (wasm-opt -Oz -g) in target/worker-variants/NAME-named/:
//                                          the same code, for profiles and V8's compile traces
//                                          (docs/performance.md, "Cold start")
//   ... --dev --stage DIR                  outputs that changed go to DIR/build/... instead of
//                                          build/... (make dev swaps both scripts in at once)
// When cargo's output and this build's mode and scripts are those of build/'s last build
// (build/.build-stamp), only cargo runs.
//
// What worker-build 0.8.7 does for a `--profile worker` build (its src/main.rs and
// src/build/), reproduced here:
//   1. cargo build --lib --target wasm32-unknown-unknown --profile P --features F, with
//      WASM_BINDGEN_USE_JS_SYS=1 (wasm-bindgen's macros then use js_sys's futures);
//   2. wasm-bindgen --target module --out-name index --no-typescript
//      --experimental-reset-state-function --force-enable-abort-handler;
//   3. wasm-opt (here -Oz and --strip-debug: the receiver has no panics to symbolicate);
//   4. the entry shim (scripts/worker-shim.js, worker-build's src/js/shim.js) with one
//      handler per exported event function and a Proxy per exported Durable Object class,
//      bundled with esbuild (the wasm stays an external module), `import source` -> `import`.
// Not reproduced: worker-build's `producers` section entry naming the workers-rs SDK
// (metadata only), its package.json and build/worker/shim.mjs alias (wrangler.toml's `main`
// is build/index.js), panic=unwind and emscripten builds (unused here).
//
// The shim is written against the `worker` crate's JS interface (`__worker_init_state`,
// `__wbg_reset_state`, the handlers' arguments): the build fails unless Cargo.lock has
// exactly SHIM_WORKER_VERSION of `worker`. When upgrading `worker`, diff worker-build's
// src/js/shim.js and src/main.rs for the new version against this file and the shim, then
// bump the constant.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wasmOpt } from './wasm-opt.mjs';

/** The `worker` crate version whose worker-build this script and scripts/worker-shim.js follow. */
export const SHIM_WORKER_VERSION = '0.8.7';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CRATE = 'digivault_webhooks';

/**
 * The Worker scripts this crate builds (docs/performance.md, "The split"): cargo features and
 * output directory. `make build-worker` builds DEPLOYED; the others are the measurements'
 * alternatives (bench/worker/sizes.mjs), built into target/.
 */
export const SCRIPTS = {
  // The hot path: verify, dedup, forward or store (wrangler.toml). It binds LEDGER in the ops
  // script: no Durable Object class of its own.
  webhook: { features: 'worker', out: 'build' },
  // The admin API, what the console and listen add, and the EventLedger class (ops/wrangler.toml).
  ops: { features: 'worker-ops,worker-ledger', out: 'build/ops' },
  // Alternatives measured: one script doing everything (before the split), the webhook script
  // hosting the ledger class (deployed until issue 20's last round), the ops script without
  // it, and a script hosting only it.
  one: { features: 'worker,worker-ops,worker-ledger', out: 'target/worker-variants/one' },
  'webhook-ledger': { features: 'worker,worker-ledger', out: 'target/worker-variants/webhook-ledger' },
  'ops-no-ledger': { features: 'worker-ops', out: 'target/worker-variants/ops-no-ledger' },
  ledger: { features: 'worker-ledger', out: 'target/worker-variants/ledger' },
  // Not this crate: the floor of any workers-rs Worker's cold start (bench/worker/floor/: a
  // JSON /health, a forward, a log line), the same profile and steps, its own target directory.
  floor: { features: '', out: 'target/worker-variants/floor', manifest: 'bench/worker/floor/Cargo.toml', crate: 'digivault_floor', target: 'target/floor' },
};
/** What `make build-worker`, `wrangler dev` and `make deploy` build. */
export const DEPLOYED = ['webhook', 'ops'];

/**
 * The webhook script's budget: its .wasm after gzip -9, in bytes; a release build over it
 * fails (so does the suite's build-worker stage). Issue 20's target for what a webhook request
 * loads (the webhook script's module), 120 KiB; measured 112,483 B on 2026-12-03 once the
 * ledger class moved to the ops script and the script stopped linking serde_json's typed
 * reading (docs/performance.md, "Sizes").
 */
export const HOT_WASM_GZIP_BUDGET = 122_880;

/** Cargo profiles: release (size first, see Cargo.toml) and development (fast rebuilds). */
const PROFILES = { release: 'worker', dev: 'worker-dev' };

/**
 * A development build's cargo target directory: one per script. In a shared one the two
 * scripts' feature sets overwrite one another's cdylib (its file name has no hash), so cargo
 * recompiled the crate for each script on every change. Apart, cargo's own fingerprints (each
 * artifact's dep-info, the sources it was compiled from) decide: a change in a file a script
 * does not compile leaves that script Fresh, and the two builds can run at the same time.
 */
export function devTargetDir(name) {
  return join(root, 'target', `dev-${name}`);
}

/**
 * A release build's cargo target directory: target/ for the webhook script, target/release-NAME
 * for any other. In one shared directory each script's cargo run recompiled the crate (the
 * cdylib's file name has no hash, so the other feature set's build had overwritten it), so every
 * `build-worker.mjs` run, even on an unchanged tree (wrangler's [build] in the wrangler-dev test,
 * the deploy dry run), cost two release compiles of the crate. A new one starts as a copy of
 * target/'s release profile (the same dependencies, compiled once).
 */
export function releaseTargetDir(name) {
  if (SCRIPTS[name]?.target) return join(root, SCRIPTS[name].target);
  return name === 'webhook' ? join(root, 'target') : join(root, 'target', `release-${name}`);
}

/** Seeds `name`'s release target directory from target/'s when it has none and target/ has one. */
function seedReleaseTarget(name) {
  const to = releaseTargetDir(name);
  const from = releaseTargetDir('webhook');
  const built = join(from, 'wasm32-unknown-unknown', PROFILES.release);
  if (to === from || SCRIPTS[name].manifest || existsSync(to) || !existsSync(built)) return;
  console.log(`build-worker: ${relative(root, to)} starts as a copy of target/'s ${PROFILES.release} build (the same dependencies, compiled once)`);
  copyTarget(built, join(to, 'wasm32-unknown-unknown', PROFILES.release));
  const host = join(from, PROFILES.release);
  if (existsSync(host)) copyTarget(host, join(to, PROFILES.release));
}

/** The version of crate `name` in Cargo.lock (null when absent). */
export function lockedVersion(name, lock = readFileSync(join(root, 'Cargo.lock'), 'utf8')) {
  const match = new RegExp(`\\[\\[package\\]\\]\\nname = "${name}"\\nversion = "([^"]+)"`).exec(lock);
  return match ? match[1] : null;
}

/** Throws unless Cargo.lock pins the `worker` version the shim was written for. */
export function checkWorkerVersion(lock) {
  const locked = lockedVersion('worker', lock);
  if (locked !== SHIM_WORKER_VERSION) {
    throw new Error(
      `build-worker: Cargo.lock has worker ${locked ?? '(none)'}, but scripts/build-worker.mjs and ` +
        `scripts/worker-shim.js follow worker-build ${SHIM_WORKER_VERSION}. Compare worker-build ` +
        `${locked}'s src/main.rs and src/js/shim.js with them, update, then set SHIM_WORKER_VERSION.`,
    );
  }
}

/** A tool's path: `env` overrides, else the first of `candidates` that exists. */
function tool(env, candidates, hint) {
  const found = process.env[env] || candidates.find((path) => path && existsSync(path));
  if (!found) throw new Error(`build-worker: ${hint} not found; run \`make setup\` (or set ${env})`);
  return found;
}

function run(bin, args, options = {}) {
  try {
    execFileSync(bin, args, { stdio: 'inherit', cwd: root, ...options });
  } catch (error) {
    // Its own output (the compiler's errors) is above; the command line would only repeat it.
    const what = `${basename(bin)} ${args[0]}${args.includes('--features') ? ` --features ${args[args.indexOf('--features') + 1]}` : ''}`;
    throw new Error(`build-worker: ${what} failed (${error.signal ?? `exit status ${error.status}`})`);
  }
}

/** Every `export` declaration in wasm-bindgen's module, from its keyword (worker-build's export_decls). */
function exportDecls(content) {
  const decls = [];
  for (let i = content.indexOf('export '); i !== -1; i = content.indexOf('export ', i + 1)) {
    const before = i === 0 ? ' ' : content[i - 1];
    if (/\s|;|\}/.test(before)) decls.push(content.slice(i));
  }
  return decls;
}

const SYSTEM_FNS = new Set(['__wbg_reset_state', '__worker_init_state']);
const EVENT_FNS = new Set(['fetch', 'queue', 'scheduled', 'email', 'connect']);

/** The handler lines for the shim's `$HANDLERS` (worker-build's generate_handlers). */
export function handlers(content) {
  const names = [];
  for (const decl of exportDecls(content)) {
    const fn = /^export (?:async )?function\s*([^(]*)\(/.exec(decl);
    const alias = /^export \{[^}]*? as ([^}]*)\}/.exec(decl);
    const name = (fn?.[1] ?? alias?.[1])?.trim();
    if (name && !SYSTEM_FNS.has(name)) names.push(name);
  }
  return names
    .map((name) =>
      EVENT_FNS.has(name)
        ? `Entrypoint.prototype.${name} = function ${name} (arg) {\n  return exports.${name}.call(this, arg, this.env, this.ctx);\n}\n`
        : `Entrypoint.prototype.${name} = exports.${name};\n`,
    )
    .join('');
}

/**
 * One export per class wasm-bindgen exports, wrapped for reinitialisation; a Durable Object class
 * also derives from DurableObject, for JS RPC (the shim's `asDurableObject`).
 */
export function classExports(content) {
  return exportDecls(content)
    .map((decl) => /^export class ([^{]*)\{/.exec(decl)?.[1].trim())
    .filter(Boolean)
    .map((name) => `export const ${name} = new Proxy(asDurableObject(exports.${name}), classProxyHooks);\n`)
    .join('');
}

/**
 * Classes wasm-bindgen exports from the `worker` crate's dependency wasm-streams (Rust streams
 * as JS streams), which no code of ours uses: their methods are wasm exports, so their code and
 * the futures behind it stay in every script (about 1.7 KB gzip) unless the exports go.
 */
export const UNREACHABLE_CLASSES = ['IntoUnderlyingSource', 'IntoUnderlyingByteSource', 'IntoUnderlyingSink'];

/** `bytes` (a wasm module) without the exports of [`UNREACHABLE_CLASSES`], after checking that
 * wasm-bindgen's JS (`glue`) can never reach them: neither exported nor made from a Rust value
 * (`__wrap`). Throws otherwise (a `worker` upgrade that uses them: drop the class from the list). */
export function dropUnreachableExports(bytes, glue) {
  for (const name of UNREACHABLE_CLASSES) {
    if (new RegExp(`export class ${name}\\b|${name}\\.__wrap\\b`).test(glue)) {
      throw new Error(`build-worker: ${name} is reachable from JS now: remove it from UNREACHABLE_CLASSES`);
    }
  }
  const prefixes = UNREACHABLE_CLASSES.map((name) => name.toLowerCase());
  const unreachable = (name) => prefixes.some((prefix) => name.startsWith(`${prefix}_`) || name.startsWith(`__wbg_${prefix}_`));
  return filterExports(bytes, (name) => !unreachable(name));
}

/** Unsigned LEB128 at `pos`: [value, next position]. */
function leb(buf, pos) {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, pos];
  }
}

function lebBytes(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return Buffer.from(out);
}

/** A wasm module keeping only the exports whose name passes `keep` (the export section rewritten). */
export function filterExports(bytes, keep) {
  for (let pos = 8; pos < bytes.length; ) {
    const [size, start] = leb(bytes, pos + 1);
    const end = start + size;
    if (bytes[pos] === 7) {
      let [count, p] = leb(bytes, start);
      const kept = [];
      for (let i = 0; i < count; i++) {
        const entry = p;
        let length;
        [length, p] = leb(bytes, p);
        const name = bytes.subarray(p, p + length).toString();
        [, p] = leb(bytes, p + length + 1); // kind byte, then index
        if (keep(name)) kept.push(bytes.subarray(entry, p));
      }
      const body = Buffer.concat([lebBytes(kept.length), ...kept]);
      return Buffer.concat([bytes.subarray(0, pos), Buffer.from([7]), lebBytes(body.length), body, bytes.subarray(end)]);
    }
    pos = end;
  }
  return bytes;
}

/**
 * Builds one script (`SCRIPTS[name]`); returns its output paths, sizes and whether its output
 * changed. `stage`: a changed output is written to `stage`/`script.out` instead of `script.out`.
 */
export function buildWorker({ name = 'webhook', dev = false, stage = null, names = false } = {}) {
  const script = SCRIPTS[name] && (names ? { ...SCRIPTS[name], out: `target/worker-variants/${name}-named` } : SCRIPTS[name]);
  if (!script) throw new Error(`build-worker: no script ${name} (scripts: ${Object.keys(SCRIPTS).join(', ')})`);
  checkWorkerVersion();
  const cargoHome = process.env.CARGO_HOME || join(process.env.HOME ?? '', '.cargo');
  const toolsBin = process.env.TOOLS_ROOT ? join(process.env.TOOLS_ROOT, 'bin') : null;
  const wasmBindgen = tool(
    'WASM_BINDGEN_BIN',
    [toolsBin && join(toolsBin, 'wasm-bindgen'), join(cargoHome, 'bin', 'wasm-bindgen')],
    'wasm-bindgen',
  );
  const esbuild = tool('ESBUILD_BIN', [join(root, 'node_modules', '.bin', 'esbuild')], 'esbuild (node_modules)');
  const wanted = lockedVersion('wasm-bindgen');
  const have = execFileSync(wasmBindgen, ['--version'], { encoding: 'utf8' }).trim().split(/\s+/)[1];
  if (have !== wanted) {
    throw new Error(`build-worker: ${wasmBindgen} is ${have}, Cargo.lock has wasm-bindgen ${wanted}; run \`make setup-wasm-bindgen\``);
  }

  const profile = dev ? PROFILES.dev : PROFILES.release;
  const started = Date.now();
  if (!dev) seedReleaseTarget(name);
  const targetDir = dev ? devTargetDir(name) : releaseTargetDir(name);
  // 1. The crate for wasm32.
  const crateArgs = [
    ...(script.manifest ? ['--manifest-path', join(root, script.manifest)] : []),
    ...(script.features ? ['--features', script.features] : []),
  ];
  run('cargo', ['build', '--lib', '--target', 'wasm32-unknown-unknown', '--profile', profile, ...crateArgs], {
    env: { ...process.env, WASM_BINDGEN_USE_JS_SYS: '1', CARGO_TARGET_DIR: targetDir },
  });
  const wasm = join(targetDir, 'wasm32-unknown-unknown', profile, `${script.crate ?? CRATE}.wasm`);
  const out = join(root, script.out);
  const dest = stage ? join(stage, script.out) : out;
  // The same cargo output built the same way: build/ is current (wrangler's [build] at every
  // `wrangler dev` start then costs a no-op cargo build, not a wasm-opt pass).
  const stampPath = join(out, '.build-stamp');
  const stamp = JSON.stringify({
    wasm: createHash('sha256').update(readFileSync(wasm)).digest('hex'),
    dev,
    names,
    build: createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url))).update(readFileSync(join(root, 'scripts', 'worker-shim.js'))).digest('hex'),
  });
  const current =
    existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp &&
    existsSync(join(out, 'index.js')) && existsSync(join(out, 'index_bg.wasm'));
  if (current) {
    return { out, changed: false, ...report(name, script, dev, out, started, 'unchanged') };
  }
  if (!stage) rmSync(stampPath, { force: true });

  // Staged beside the output, swapped in at the end: a watcher never sees half a build.
  const staging = join(root, 'target', `worker-staging-${name}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    // 2. The JS bindings.
    run(wasmBindgen, [
      wasm, '--out-dir', staging, '--no-typescript', '--target', 'module', '--out-name', 'index',
      '--experimental-reset-state-function', '--force-enable-abort-handler',
    ]);
    const wasmOut = join(staging, 'index_bg.wasm');
    // 2b. Exports no JS can reach, dropped so that wasm-opt removes their code (release).
    writeFileSync(wasmOut, dropUnreachableExports(readFileSync(wasmOut), readFileSync(join(staging, 'index.js'), 'utf8')));
    // 3. Size first for deploys; development builds skip it (about 19 s a pass).
    if (!dev) wasmOpt(wasmOut, names ? ['-Oz', '-g'] : ['-Oz', '--strip-debug']);

    // 4. The entry shim, bundled with the bindings into one module.
    const bindings = readFileSync(join(staging, 'index.js'), 'utf8');
    const shim =
      readFileSync(join(root, 'scripts', 'worker-shim.js'), 'utf8').replace('$HANDLERS', () => handlers(bindings)) +
      classExports(bindings);
    writeFileSync(join(staging, 'shim.js'), shim);
    run(esbuild, [
      '--external:./index_bg.wasm', '--external:cloudflare:*', '--format=esm', '--bundle', './shim.js',
      '--outfile=index.js', '--allow-overwrite', '--log-level=warning', ...(dev ? [] : ['--minify']),
    ], { cwd: staging });
    const bundled = readFileSync(join(staging, 'index.js'), 'utf8');
    writeFileSync(join(staging, 'index.js'), bundled.replaceAll('import source ', 'import '));

    mkdirSync(dest, { recursive: true });
    // The wasm first: the old index.js never loads a wasm it was not built with for long.
    renameSync(wasmOut, join(dest, 'index_bg.wasm'));
    renameSync(join(staging, 'index.js'), join(dest, 'index.js'));
    writeFileSync(join(dest, '.build-stamp'), stamp);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { out, changed: true, ...report(name, script, dev, dest, started, '') };
}

/** Copies a cargo target directory with its timestamps (cargo's fingerprints compare them). */
function copyTarget(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  if (spawnSync('cp', ['-a', from, to], { stdio: 'inherit' }).status !== 0) {
    throw new Error(`build-worker: could not copy ${from} to ${to}`);
  }
}

/**
 * Gives each of `names` that has no development target directory yet a copy of one that has
 * (another script's, or target/'s worker-dev profile from before the split into one directory
 * per script): the dependencies are the same, so only this crate compiles. Returns the names
 * still without one (nothing to copy from: a fresh clone).
 */
export function seedDevTargets(names) {
  const missing = names.filter((name) => !existsSync(devTargetDir(name)));
  const seed = names.map(devTargetDir).find((dir) => existsSync(dir));
  const shared = join(root, 'target', 'wasm32-unknown-unknown', PROFILES.dev);
  for (const name of missing) {
    const to = devTargetDir(name);
    if (seed) {
      console.log(`build-worker: ${relative(root, to)} starts as a copy of ${relative(root, seed)} (the same dependencies, compiled once)`);
      copyTarget(seed, to);
    } else if (existsSync(shared)) {
      console.log(`build-worker: ${relative(root, to)} starts as a copy of target/'s ${PROFILES.dev} build (the same dependencies, compiled once)`);
      copyTarget(shared, join(to, 'wasm32-unknown-unknown', PROFILES.dev));
      const host = join(root, 'target', PROFILES.dev);
      if (existsSync(host)) copyTarget(host, join(to, PROFILES.dev));
    }
  }
  return names.filter((name) => !existsSync(devTargetDir(name)));
}

/** The diagnostics of cargo output `text`: its blocks (separated by blank lines). */
const blocks = (text) => text.split(/\n\s*\n/).map((block) => block.trim()).filter(Boolean);

/**
 * Development builds of `names` at the same time, one child process each, each script's
 * output printed whole once it ends (never two compilers' lines interleaved), without the
 * diagnostics another script already printed (most of src/ is shared: one error, said once).
 * A fresh clone builds the first script alone (its dependencies), then the others from a copy.
 * Resolves to the names whose build failed.
 */
export async function buildDev(names, { stage = null } = {}) {
  const alone = seedDevTargets(names);
  const failed = [];
  if (alone.length > 0) {
    const first = alone[0];
    console.log(`build-worker: compiling ${first}'s dependencies for development (once; the other scripts start from a copy)`);
    const status = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--dev', ...(stage ? ['--stage', stage] : []), first], { stdio: 'inherit' }).status;
    if (status !== 0) return [first];
    seedDevTargets(names);
    names = names.filter((name) => name !== first);
  }
  const printed = new Set();
  await Promise.all(
    names.map(
      (name) =>
        new Promise((resolve) => {
          const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--dev', ...(stage ? ['--stage', stage] : []), name], {
            stdio: ['ignore', 'pipe', 'pipe'],
            env: { ...process.env, CARGO_TERM_PROGRESS_WHEN: 'never' },
          });
          let output = '';
          proc.stdout.on('data', (chunk) => (output += chunk));
          proc.stderr.on('data', (chunk) => (output += chunk));
          proc.on('close', (code) => {
            if (code !== 0) failed.push(name);
            // The two cargo runs wait for one another on the package cache's lock: not news.
            output = output.replace(/^\s*Blocking waiting for file lock on .*\n/gm, '');
            // A diagnostic is the same without cargo's status lines before it.
            const key = (block) => block.replace(/^\s*(Compiling|Blocking|Finished) .*\n?/gm, '');
            const fresh = blocks(output).filter((block) => !printed.has(key(block)));
            for (const block of fresh) printed.add(key(block));
            const skipped = blocks(output).length - fresh.length;
            if (fresh.length) process.stdout.write(`${fresh.join('\n\n')}\n`);
            if (skipped) console.log(`build-worker: ${name}: ${skipped} more diagnostic(s), the same as above`);
            resolve();
          });
        }),
    ),
  );
  return failed;
}

/** Throws when the webhook script's release build is over [`HOT_WASM_GZIP_BUDGET`]. */
export function checkBudget({ gzip }) {
  if (gzip > HOT_WASM_GZIP_BUDGET) {
    throw new Error(
      `build-worker: the webhook script's .wasm is ${gzip} B gzip, over its budget of ${HOT_WASM_GZIP_BUDGET} B ` +
        '(HOT_WASM_GZIP_BUDGET in scripts/build-worker.mjs; docs/performance.md says where the bytes go)',
    );
  }
}

/** Prints and returns the built wasm's size, raw and (release) gzip -9. */
function report(name, script, dev, out, started, note) {
  const bytes = statSync(join(out, 'index_bg.wasm')).size;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (dev) {
    // The budget is for release builds: a development build skips the gzip pass.
    console.log(`build-worker: ${script.out}/index_bg.wasm (${name}, dev) is ${bytes} bytes (${seconds} s${note ? `, ${note}` : ''})`);
    return { bytes };
  }
  const gzip = gzipSync(readFileSync(join(out, 'index_bg.wasm')), { level: 9 }).length;
  console.log(
    `build-worker: ${script.out}/index_bg.wasm (${name}, release) is ${bytes} bytes, ${gzip} gzip (${seconds} s${note ? ` (${note})` : ''})`,
  );
  return { bytes, gzip };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const stageAt = args.indexOf('--stage');
  const stage = stageAt === -1 ? null : args.splice(stageAt, 2)[1];
  const names = args.filter((arg) => arg !== '--dev' && arg !== '--names');
  const keepNames = args.includes('--names');
  const unknown = names.filter((name) => !SCRIPTS[name]);
  if (unknown.length) {
    console.error(`usage: node scripts/build-worker.mjs [--dev] [${Object.keys(SCRIPTS).join('|')}...] (unknown: ${unknown.join(' ')})`);
    process.exit(2);
  }
  try {
    // `make dev` sets DIGIVAULT_WORKER_BUILD=dev for wrangler's [build] command.
    const dev = args.includes('--dev') || process.env.DIGIVAULT_WORKER_BUILD === 'dev';
    const wanted = names.length ? names : DEPLOYED;
    if (dev && wanted.length > 1) {
      const failed = await buildDev(wanted, { stage });
      if (failed.length) throw new Error(`build-worker: the development build of ${failed.join(' and ')} failed (the compiler's output is above)`);
    } else {
      const built = Object.fromEntries(wanted.map((name) => [name, buildWorker({ name, dev, stage, names: keepNames })]));
      if (built.webhook && !dev && !keepNames) checkBudget(built.webhook);
    }
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
