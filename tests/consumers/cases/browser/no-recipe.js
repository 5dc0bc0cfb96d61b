// The same app bundled by esbuild without the recipe: init() cannot find the .wasm, and its
// error must say what to do.
import { init } from 'digivault-webhooks';

window.result = init().then(
  () => ({ loaded: true }),
  (error) => ({ code: error.code, message: error.message }),
);
