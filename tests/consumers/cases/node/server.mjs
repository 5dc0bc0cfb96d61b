// A user's server code, bundled with esbuild (ESM and CommonJS) or `bun build`, then run
// from a directory without node_modules: the package must load with nothing next to it.
import { sign, verify, Webhook } from 'digivault-webhooks';
import { check } from '../shared.js';

console.log(JSON.stringify(check({ sign, verify, Webhook })));
