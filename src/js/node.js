// Node.js, Deno and Bun: source of pkg/node.cjs, which scripts/build-pkg.mjs bundles with the
// wasm-bindgen glue and the wasm bytes themselves (base64). Nothing is read from disk at load,
// so the entry works wherever a bundler puts it (esbuild, `bun build --compile`) and Deno needs
// no --allow-read. The module is compiled synchronously, once, at require time. The bytes are
// not compressed: decompressing needs node:zlib, whose loading alone cost ~2 ms per process.
import * as bindings from '#wasm-glue';
import wasmBase64 from '#wasm-bytes';
import { useBindings } from './index.js';

bindings.initSync({ module: new WebAssembly.Module(Buffer.from(wasmBase64, 'base64')) });
useBindings(bindings);

export * from './index.js';

/** Nothing to wait for here; exists so isomorphic code can always `await init()`. */
export async function init() {}
