// Cloudflare Workers (workerd): the bundler hands us a compiled WebAssembly.Module, so
// instantiation is synchronous and no init() is needed.
import wasmModule from './wasm/digivault_webhooks_bg.wasm';
import * as bindings from './wasm/digivault_webhooks.js';
import { useBindings } from './esm/index.js';

bindings.initSync({ module: wasmModule });
useBindings(bindings);

export * from './esm/index.js';

/** Nothing to wait for here; exists so isomorphic code can always `await init()`. */
export async function init() {}
