// Browsers and bundlers: compile the wasm once with `await init()`, then call synchronously.
import initWasm, * as bindings from './wasm/digivault_webhooks.js';
import { useBindings, WebhookError } from './esm/index.js';

export * from './esm/index.js';

let ready = null;

/**
 * Loads the wasm module (from next to this file, or from `input`: a URL, Response,
 * bytes or WebAssembly.Module). Call once; later calls return the same promise.
 */
export function init(input) {
  ready ??= load(input).then(
    () => useBindings(bindings),
    (error) => {
      ready = null; // a later call may try again, e.g. with the asset's URL
      throw error;
    },
  );
  return ready;
}

async function load(input) {
  // Vite and webpack see this `new URL(..., import.meta.url)` and emit the file; esbuild
  // and Rollup do not, hence the message below.
  const source = input ?? new URL('./wasm/digivault_webhooks_bg.wasm', import.meta.url);
  if (typeof source !== 'string' && !(source instanceof URL)) return initWasm({ module_or_path: source });
  const response = await fetch(source);
  if (!response.ok) throw loadError(source, `HTTP ${response.status}`);
  try {
    return await initWasm({ module_or_path: response });
  } catch (error) {
    // Typically an HTML fallback page served in place of the missing file.
    throw loadError(source, `${error.message} (content-type ${response.headers.get('content-type')})`);
  }
}

function loadError(url, reason) {
  return new WebhookError(
    'NOT_INITIALIZED',
    `digivault-webhooks could not load its .wasm from ${url}: ${reason}. If a bundler moved web.js ` +
      "without copying the .wasm, import it as an asset and pass its URL: `import wasmUrl from 'digivault-webhooks/wasm'` " +
      "(esbuild: --loader:.wasm=file; webpack: type 'asset/resource'; Rollup: @rollup/plugin-url), then `await init(wasmUrl)`",
    { status: 500 },
  );
}
