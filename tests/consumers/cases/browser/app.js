// A user's browser app bundled by esbuild: the .wasm imported as an asset (the README's
// recipe), then the package used synchronously. The result is left on window for the test.
import { init, sign, verify, Webhook } from 'digivault-webhooks';
import wasmUrl from 'digivault-webhooks/wasm';
import { check } from '../shared.js';

window.result = init(wasmUrl).then(() => check({ sign, verify, Webhook }));
