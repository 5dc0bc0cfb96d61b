// Node.js ESM: the CommonJS build re-exported, so `import` and `require` share one
// instance (one WebhookError class, one wasm module).
export * from './node.cjs';
