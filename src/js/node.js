// Node.js, Deno and Bun: source of pkg/node.cjs, which scripts/build-pkg.mjs bundles with the
// wasm-bindgen glue and the wasm bytes themselves (Brotli, then base64). Nothing is read from
// disk at load, so the entry works wherever a bundler puts it (esbuild, `bun build --compile`)
// and Deno needs no --allow-read. The module is compiled synchronously, once, at require time.
import * as bindings from '#wasm-glue';
import wasmBrotliBase64 from '#wasm-bytes';
import { useBindings } from './index.js';

// getBuiltinModule rather than an import: a user's ESM bundle of this CommonJS file has no
// `require` (Node 20.16+, Deno and Bun have it; older Node falls back to require).
const zlib = globalThis.process?.getBuiltinModule?.('node:zlib') ?? require('node:zlib');
const wasmBytes = zlib.brotliDecompressSync(Buffer.from(wasmBrotliBase64, 'base64'));
bindings.initSync({ module: new WebAssembly.Module(wasmBytes) });
useBindings(bindings);

export * from './index.js';

/** Nothing to wait for here; exists so isomorphic code can always `await init()`. */
export async function init() {}
