'use strict';
// Node.js, Bun and Deno: the wasm is read and compiled synchronously at require time.
module.exports = require('./index.cjs');
module.exports.useBindings(require('./wasm/node/digivault_webhooks.js'));
/** Nothing to wait for here; exists so isomorphic code can always `await init()`. */
module.exports.init = async function init() {};
