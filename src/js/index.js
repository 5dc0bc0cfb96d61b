// Everything the package exports, whatever the runtime.
export {
  useBindings,
  WebhookError,
  Webhook,
  findSignature,
  sign,
  verify,
  parseEvent,
  sampleEvent,
  eventTypes,
  isKnownEvent,
  verifyRequest,
} from './api.js';
export { expressMiddleware } from './express.js';
export { Deduplicator } from './deduplicator.js';
