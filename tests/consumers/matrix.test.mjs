// The consumer matrix: the packed tarball installed (offline, from the npm cache) into one
// throwaway project, then built and run the ways users build: browser bundles (esbuild with
// the README's recipe and without it, Vite) loaded in Chromium, server bundles (esbuild ESM
// and CommonJS, `bun build`, `bun build --compile`) run from a directory without node_modules,
// `tsc --noEmit` over the package README's snippets and user-style projects, and Deno with
// only --allow-net. The cases are independent and run concurrently.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { launchChromium } from '../www/helpers.mjs';
import { serveDirectory } from './serve.mjs';
import { BODY, SECRET } from './cases/shared.js';

const root = new URL('../../', import.meta.url).pathname;
const modules = join(root, 'node_modules');
const packageDir = process.env.PKG_DIR ?? join(root, 'pkg');
const EXPECTED = {
  signature: createHmac('sha256', SECRET).update(BODY).digest('hex'),
  verified: true,
  tamperedRejected: true,
  eventType: 'contact.created',
};
// Tools the cases use from the repository's pinned devDependencies, linked into the project
// (type packages and the frameworks the snippets import); the package itself is installed.
const LINKED = ['@types/node', '@types/express', 'express', 'fastify'];

let project;
let server;
let browser;
const runDirs = [];

/** Runs a command; resolves with stdout, rejects with everything it printed. */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 180_000, ...options }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed (${error.code ?? error.signal}):\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A fresh directory with no node_modules anywhere above it. */
function bareDirectory() {
  const dir = mkdtempSync(join(tmpdir(), 'dvw-bundle-'));
  runDirs.push(dir);
  for (let up = dirname(dir); ; up = dirname(up)) {
    assert.ok(!existsSync(join(up, 'node_modules')), `${up}/node_modules exists: the bundle could resolve through it`);
    if (up === dirname(up)) break;
  }
  return dir;
}

const lastJsonLine = (output) => JSON.parse(output.trim().split('\n').at(-1));

async function openAndCheck(path) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.origin}/${path}`);
    const result = await page.evaluate(() => window.result);
    return { result, errors };
  } finally {
    await context.close();
  }
}

before(async () => {
  project = mkdtempSync(join(tmpdir(), 'dvw-consumers-'));
  const packed = JSON.parse(await run('npm', ['pack', packageDir, '--json', '--pack-destination', project]));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', `./${packed[0].filename}`], { cwd: project });
  for (const name of LINKED) {
    mkdirSync(dirname(join(project, 'node_modules', name)), { recursive: true });
    symlinkSync(join(modules, name), join(project, 'node_modules', name));
  }
  cpSync(new URL('./cases/', import.meta.url), project, { recursive: true });
  server = await serveDirectory(project);
});

after(async () => {
  await browser?.close();
  await server?.close();
  for (const dir of [project, ...runDirs]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the installed package, built as users build', { concurrency: true }, () => {
  let chromium;
  const openBrowser = () => (chromium ??= launchChromium().then((launched) => (browser = launched)));

  test('esbuild browser bundle with the README recipe (digivault-webhooks/wasm): signs and verifies in Chromium', async () => {
    const out = join(project, 'out', 'esbuild');
    await build({
      entryPoints: [join(project, 'browser', 'app.js')],
      outdir: out,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      loader: { '.wasm': 'file' },
      publicPath: '/out/esbuild',
      logLevel: 'warning',
    });
    writeFileSync(join(out, 'index.html'), '<!doctype html><script type="module" src="./app.js"></script>');
    await openBrowser();
    const { result, errors } = await openAndCheck('out/esbuild/index.html');
    assert.deepEqual(errors, []);
    assert.deepEqual(result, EXPECTED);
  });

  test('esbuild browser bundle without the recipe: init() fails with NOT_INITIALIZED saying what to do', async () => {
    const out = join(project, 'out', 'no-recipe');
    await build({ entryPoints: [join(project, 'browser', 'no-recipe.js')], outdir: out, bundle: true, format: 'esm', logLevel: 'warning' });
    writeFileSync(join(out, 'index.html'), '<!doctype html><script type="module" src="./no-recipe.js"></script>');
    await openBrowser();
    const { result } = await openAndCheck('out/no-recipe/index.html');
    assert.equal(result.code, 'NOT_INITIALIZED');
    assert.match(result.message, /HTTP 404/);
    assert.match(result.message, /import wasmUrl from 'digivault-webhooks\/wasm'/);
    assert.match(result.message, /await init\(wasmUrl\)/);
  });

  test('Vite build with no configuration: signs and verifies in Chromium', async () => {
    await run(process.execPath, [join(modules, 'vite', 'bin', 'vite.js'), 'build', '--base', '/vite/dist/', '--logLevel', 'warn'], {
      cwd: join(project, 'vite'),
    });
    await openBrowser();
    const { result, errors } = await openAndCheck('vite/dist/index.html');
    assert.deepEqual(errors, []);
    assert.deepEqual(result, EXPECTED);
  });

  for (const format of ['esm', 'cjs']) {
    test(`esbuild --platform=node bundle (${format}) runs from a directory without node_modules`, async () => {
      const dir = bareDirectory();
      const outfile = join(dir, format === 'esm' ? 'server.mjs' : 'server.cjs');
      await build({ entryPoints: [join(project, 'node', 'server.mjs')], outfile, bundle: true, platform: 'node', format, logLevel: 'warning' });
      const output = await run(process.execPath, [outfile], { cwd: dir });
      assert.deepEqual(lastJsonLine(output), EXPECTED);
    });
  }

  test('bun build and bun build --compile run from a directory without node_modules', async () => {
    const bun = join(modules, '.bin', 'bun');
    const dir = bareDirectory();
    await run(bun, ['build', join(project, 'node', 'server.mjs'), '--target=bun', `--outfile=${join(dir, 'server.js')}`], { cwd: project });
    await run(bun, ['build', join(project, 'node', 'server.mjs'), '--compile', `--outfile=${join(dir, 'server')}`], { cwd: project });
    assert.deepEqual(lastJsonLine(await run(bun, [join(dir, 'server.js')], { cwd: dir })), EXPECTED);
    assert.deepEqual(lastJsonLine(await run(join(dir, 'server'), [], { cwd: dir })), EXPECTED);
  });

  test('Deno with only --allow-net serves the Fetch API handler', async () => {
    const output = await run(join(modules, '.bin', 'deno'), ['run', '--allow-net', join(project, 'deno', 'main.ts')], {
      cwd: project,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    });
    assert.deepEqual(lastJsonLine(output), {
      signed: { status: 200, body: { received: 'evt_consumer' } },
      forged: { status: 401, body: { code: 'INVALID_SIGNATURE' } },
    });
  });

  const tsc = (config) => run(process.execPath, [join(modules, 'typescript', 'bin', 'tsc'), '-p', join(project, 'types', config)]);

  test("tsc --noEmit: the package README's TypeScript snippets, verbatim, and user-style code (secret lists, Express Request) under strict and exactOptionalPropertyTypes", async () => {
    const readme = readFileSync(join(project, 'node_modules', 'digivault-webhooks', 'README.md'), 'utf8');
    const snippets = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
    assert.ok(snippets.length >= 6, `only ${snippets.length} TypeScript snippets in the package README`);
    snippets.forEach((snippet, i) => writeFileSync(join(project, 'types', 'strict', `readme-${i + 1}.ts`), snippet));
    await tsc('strict/tsconfig.json');
  });

  test('tsc --noEmit: the user-style code under moduleResolution bundler', async () => {
    await tsc('strict/tsconfig.bundler.json');
  });

  test('tsc --noEmit: a CommonJS project with module node16 gets the .d.cts types', async () => {
    await tsc('cjs-node16/tsconfig.json');
  });

  test('tsc --noEmit: a project without the DOM lib (ES2022 and @types/node)', async () => {
    await tsc('no-dom/tsconfig.json');
  });
});
