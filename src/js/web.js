// Browsers and bundlers: compile the wasm once with `await init()`, then call synchronously.
import initWasm, * as bindings from './wasm/web/digivault_webhooks.js';
import { useBindings } from './esm/index.js';

export * from './esm/index.js';

let ready = null;

/**
 * Loads the wasm module (from next to this file, or from `input`: a URL, Response,
 * bytes or WebAssembly.Module). Call once; later calls return the same promise.
 */
export function init(input) {
  ready ??= initWasm(input === undefined ? undefined : { module_or_path: input }).then(() => {
    useBindings(bindings);
  });
  return ready;
}
