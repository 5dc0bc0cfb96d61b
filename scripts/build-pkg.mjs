// Builds the npm package into pkg/ from scratch: the wasm core (cargo + wasm-bindgen +
// wasm-opt), the JS glue from src/js/, and a generated package.json.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildWasm, root } from './wasm.mjs';

const pkg = join(root, 'pkg');
const glue = join(root, 'src', 'js');

const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8');
const version = cargo.match(/^version = "([^"]+)"/m)[1];

rmSync(pkg, { recursive: true, force: true });
buildWasm({
  features: 'wasm',
  // A target directory of its own, so a concurrent Worker build never swaps the .wasm.
  targetDir: join(root, 'target', 'npm'),
  outDirs: { nodejs: join(pkg, 'wasm', 'node'), web: join(pkg, 'wasm', 'web') },
  // Verification speed is the package's product; the Worker and the page keep the default.
  unrollSha256: true,
});
// The Node build is CommonJS inside an ESM package.
writeFileSync(join(pkg, 'wasm', 'node', 'package.json'), '{ "type": "commonjs" }\n');

mkdirSync(join(pkg, 'esm'), { recursive: true });
for (const file of ['index.js', 'api.js', 'express.js', 'deduplicator.js']) cpSync(join(glue, file), join(pkg, 'esm', file));
await build({
  entryPoints: [join(glue, 'index.js')],
  outfile: join(pkg, 'index.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node', // also emits the export annotation Node's ESM loader reads
  target: 'es2022',
  logLevel: 'warning',
});
for (const file of ['node.cjs', 'node.mjs', 'web.js', 'workerd.js', 'index.d.ts', 'cli.js', 'cli-args.js', 'cli-send.js', 'cli-admin.js', 'sender.js']) cpSync(join(glue, file), join(pkg, file));

// The event types (tsify output and the custom sections) lead wasm-bindgen's .d.ts; the
// internal binding declarations after them are not part of the public types.
const generated = readFileSync(join(pkg, 'wasm', 'web', 'digivault_webhooks.d.ts'), 'utf8');
const firstBinding = generated.search(/^export (class|function) /m);
const typesEnd = generated.lastIndexOf('/**', firstBinding);
if (firstBinding < 0 || typesEnd < 0) throw new Error('unexpected wasm-bindgen .d.ts layout');
writeFileSync(join(pkg, 'events.d.ts'), '// Generated from the Rust types by tsify and wasm-bindgen.\n' + generated.slice(0, typesEnd).trimEnd() + '\n');
cpSync(join(glue, 'README.md'), join(pkg, 'README.md'));

const entry = (file) => ({ types: './index.d.ts', default: file });
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
      types: './index.d.ts',
      workerd: './workerd.js',
      worker: './workerd.js',
      browser: './web.js',
      node: { import: './node.mjs', require: './node.cjs' },
      default: './web.js',
    },
    './web': entry('./web.js'),
    './workerd': entry('./workerd.js'),
    './node': { types: './index.d.ts', import: './node.mjs', require: './node.cjs' },
    './package.json': './package.json',
  },
  files: ['*.js', '*.cjs', '*.mjs', '*.d.ts', 'esm/', 'wasm/', 'README.md'],
  // Only the entry points that instantiate the wasm at import time have side effects:
  // with a plain `false`, bundlers drop workerd.js's initSync and the package breaks.
  sideEffects: ['./workerd.js', './node.cjs', './node.mjs'],
  engines: { node: '>=18' },
  keywords: ['digivault', 'webhook', 'hmac', 'signature', 'wasm', 'cloudflare-workers'],
};
writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

for (const target of ['node', 'web']) {
  const file = join(pkg, 'wasm', target, 'digivault_webhooks_bg.wasm');
  const bytes = readFileSync(file);
  console.log(`pkg/wasm/${target}: ${(statSync(file).size / 1024).toFixed(1)} KiB, ${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(1)} KiB gzip`);
}
