// Builds the npm package into pkg/ from scratch: the wasm core (cargo + wasm-bindgen +
// wasm-opt) once, the JS glue from src/js/, the types, the README (from the npm guide's
// package section, docs/npm.md), the license texts, the changelog and a generated package.json.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { buildWasm, root } from './wasm.mjs';
import { NPM_GUIDE, packageReadme } from './package-readme.mjs';
import { eventCheckersSource } from './event-checkers.mjs';

const pkg = join(root, 'pkg');
const glue = join(root, 'src', 'js');
const wasmDir = join(pkg, 'wasm');
const wasmFile = join(wasmDir, 'digivault_webhooks_bg.wasm');

const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8');
const version = cargo.match(/^version = "([^"]+)"/m)[1];

rmSync(pkg, { recursive: true, force: true });
// One wasm-bindgen build (the ES module `web` target) serves every entry: browsers fetch
// wasm/*.wasm, workerd imports it as a compiled module, and the Node entry carries the same
// bytes inside itself (below).
buildWasm({
  features: 'wasm',
  // A target directory of its own, so a concurrent Worker build never swaps the .wasm.
  targetDir: join(root, 'target', 'npm'),
  outDirs: { web: wasmDir },
  // Verification speed is the package's product; the Worker and the page keep the default.
  unrollSha256: true,
});
// The event types (tsify output and the custom sections) lead wasm-bindgen's .d.ts; the
// internal binding declarations after them (which name DOM-only types) are not shipped.
const bindingTypes = readFileSync(join(wasmDir, 'digivault_webhooks.d.ts'), 'utf8');
const firstBinding = bindingTypes.search(/^export (class|function) /m);
const typesEnd = bindingTypes.lastIndexOf('/**', firstBinding);
if (firstBinding < 0 || typesEnd < 0) throw new Error('unexpected wasm-bindgen .d.ts layout');
rmSync(join(wasmDir, 'digivault_webhooks.d.ts'));
rmSync(join(wasmDir, 'digivault_webhooks_bg.wasm.d.ts'));
rmSync(join(wasmDir, '.gitignore'), { force: true });

mkdirSync(join(pkg, 'esm'), { recursive: true });
for (const file of ['index.js', 'api.js', 'plain-event.js', 'express.js', 'deduplicator.js']) cpSync(join(glue, file), join(pkg, 'esm', file));
// The event checkers plain-event.js imports, generated from the shape tables of the core
// just built (scripts/event-checkers.mjs); the Node bundle below takes them from here too.
const core = await import(pathToFileURL(join(wasmDir, 'digivault_webhooks.js')).href);
core.initSync({ module: readFileSync(wasmFile) });
const eventCheckers = join(pkg, 'esm', 'event-checkers.js');
writeFileSync(eventCheckers, eventCheckersSource(JSON.parse(core.objectShapes()), core.eventTypes()));

// The glue's own error codes join the core's (CoreErrorCode, from its table) in WebhookErrorCode.
const { JS_ERROR_CODES } = await import(pathToFileURL(join(pkg, 'esm', 'api.js')).href);
const jsErrorCodes = `/** The codes only the JS glue raises (JS_ERROR_CODES in src/js/api.js). */\nexport type JsErrorCode = ${Object.keys(JS_ERROR_CODES).map((code) => JSON.stringify(code)).join(' | ')};\n`;
const eventTypes =
  '// Generated from the Rust types by tsify and wasm-bindgen, and from src/js/api.js.\n' + bindingTypes.slice(0, typesEnd).trimEnd() + '\n\n' + jsErrorCodes;
for (const file of ['node.mjs', 'web.js', 'workerd.js', 'wasm.d.ts', 'cli.js', 'cli-args.js', 'cli-send.js', 'cli-admin.js', 'cli-listen.js', 'sender.js']) {
  cpSync(join(glue, file), join(pkg, file));
}

// The Node entry (Node, Deno, Bun) is one self-contained CommonJS file: the API, the glue
// and the wasm bytes, compiled synchronously once at load. Nothing is read from disk, so it
// loads wherever a bundler puts it, and Deno needs no --allow-read. The bytes are there a
// second time (workerd cannot compile wasm from bytes, so the file stays), as plain base64:
// Brotli made that copy 32 KiB instead of 130 but cost about 3.5 ms of CPU at every start
// (loading node:zlib, then decompressing), most of the package's load cost (issue 20,
// docs/performance-npm.md).
const wasmBase64 = readFileSync(wasmFile).toString('base64');
await build({
  entryPoints: [join(glue, 'node.js')],
  outfile: join(pkg, 'node.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node', // also emits the export annotation Node's ESM loader reads
  target: 'es2022',
  logLevel: 'warning',
  // The glue's default `new URL(..., import.meta.url)` is only used by init() without input.
  logOverride: { 'empty-import-meta': 'silent' },
  plugins: [
    {
      name: 'embedded-wasm',
      setup(b) {
        b.onResolve({ filter: /^#wasm-glue$/ }, () => ({ path: join(wasmDir, 'digivault_webhooks.js') }));
        b.onResolve({ filter: /^#wasm-bytes$/ }, () => ({ path: 'wasm-bytes', namespace: 'embedded' }));
        b.onResolve({ filter: /^\.\/event-checkers\.js$/ }, () => ({ path: eventCheckers }));
        b.onLoad({ filter: /.*/, namespace: 'embedded' }, () => ({
          contents: `export default ${JSON.stringify(wasmBase64)};`,
          loader: 'js',
        }));
      },
    },
  ],
});

// Types: index.d.ts for `import`, index.d.cts for `require` (a CommonJS TypeScript project
// must not see ES module declarations), each with its copy of the event types.
const declarations = readFileSync(join(glue, 'index.d.ts'), 'utf8');
writeFileSync(join(pkg, 'events.d.ts'), eventTypes);
writeFileSync(join(pkg, 'events.d.cts'), eventTypes);
writeFileSync(join(pkg, 'index.d.ts'), declarations);
writeFileSync(join(pkg, 'index.d.cts'), declarations.replaceAll("from './events.js'", "from './events.cjs'"));

writeFileSync(join(pkg, 'README.md'), packageReadme(readFileSync(join(root, NPM_GUIDE), 'utf8')));
for (const file of ['LICENSE-MIT', 'LICENSE-APACHE', 'CHANGELOG.md']) cpSync(join(root, file), join(pkg, file));

const types = { import: './index.d.ts', require: './index.d.cts' };
// Each condition names its own types first, so TypeScript picks .d.cts for `require`.
const esmEntry = (file) => ({ types: types.import, default: file });
const nodeEntry = {
  import: { types: types.import, default: './node.mjs' },
  require: { types: types.require, default: './node.cjs' },
};
const manifest = {
  name: 'digivault-webhooks',
  version,
  description: 'Verify and parse DigiVault webhooks in Node, browsers, Deno, Bun and Cloudflare Workers: one wasm core, synchronous, typed.',
  license: 'MIT OR Apache-2.0',
  type: 'module',
  main: './node.cjs',
  module: './web.js',
  types: './index.d.ts',
  // The sender simulator: `npx digivault-webhooks send --url ... --secret ...`.
  bin: { 'digivault-webhooks': './cli.js' },
  exports: {
    '.': {
      workerd: esmEntry('./workerd.js'),
      worker: esmEntry('./workerd.js'),
      browser: esmEntry('./web.js'),
      node: nodeEntry,
      require: { types: types.require, default: './node.cjs' },
      default: esmEntry('./web.js'),
    },
    './web': esmEntry('./web.js'),
    './workerd': esmEntry('./workerd.js'),
    './node': nodeEntry,
    // The .wasm itself, for bundlers that do not copy it next to web.js (docs/npm.md: Browsers and bundlers).
    './wasm': { types: './wasm.d.ts', default: './wasm/digivault_webhooks_bg.wasm' },
    './package.json': './package.json',
  },
  files: ['*.js', '*.cjs', '*.mjs', '*.d.ts', '*.d.cts', 'esm/', 'wasm/', 'README.md', 'LICENSE-*', 'CHANGELOG.md'],
  // Only the entry points that instantiate the wasm at import time have side effects:
  // with a plain `false`, bundlers drop workerd.js's initSync and the package breaks.
  sideEffects: ['./workerd.js', './node.cjs', './node.mjs'],
  engines: { node: '>=18' },
  // `digivault-webhooks listen` uses the runtime's WebSocket (Node 22+); on older Node it
  // needs `ws`. Optional: the verification entry points never load it.
  peerDependencies: { ws: '>=8' },
  peerDependenciesMeta: { ws: { optional: true } },
  keywords: ['digivault', 'webhook', 'hmac', 'signature', 'wasm', 'cloudflare-workers'],
};
writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

const bytes = readFileSync(wasmFile);
const node = statSync(join(pkg, 'node.cjs')).size;
console.log(`pkg/wasm: ${(bytes.length / 1024).toFixed(1)} KiB, ${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(1)} KiB gzip; pkg/node.cjs (bytes embedded): ${(node / 1024).toFixed(1)} KiB`);
