// Node.js, Deno and Bun: source of pkg/node.cjs, which scripts/build-pkg.mjs bundles with the
// wasm-bindgen glue and the wasm bytes themselves (base64). Nothing is read from disk at load,
// so the entry works wherever a bundler puts it (esbuild, `bun build --compile`) and Deno needs
// no --allow-read. The module is compiled synchronously, once, when the package is first used
// (or by `init()`), not at require: compiling it was most of the package's load cost (issue
// 20). The bytes are not compressed: decompressing needs node:zlib, whose loading alone cost
// ~2 ms per process.
import * as bindings from '#wasm-glue';
import wasmBase64 from '#wasm-bytes';
import { useBindings } from './index.js';
import { bindings as loaded } from './api.js';

useBindings(() => {
  bindings.initSync({ module: new WebAssembly.Module(Buffer.from(wasmBase64, 'base64')) });
  return bindings;
});

export * from './index.js';

/**
 * Compiles the module now rather than at the first call that needs it (a server may call it
 * at start-up); exists so isomorphic code can always `await init()`.
 */
export async function init() {
  loaded();
}
