// A user's Vite app with no configuration: Vite emits the .wasm that web.js points at.
import { init, sign, verify, Webhook } from 'digivault-webhooks';
import { check } from '../shared.js';

window.result = init().then(() => check({ sign, verify, Webhook }));
