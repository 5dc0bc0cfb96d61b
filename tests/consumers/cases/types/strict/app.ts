// What users write, compiled with strict and exactOptionalPropertyTypes (tsconfig.json):
// each line here failed to compile against the types before issue 15.
import express from 'express';
import {
  Webhook,
  Deduplicator,
  expressMiddleware,
  init,
  sampleEvent,
  useBindings,
  verify,
  verifyRequest,
  type DigiVaultEvent,
  type WebhookOptions,
} from 'digivault-webhooks';
import wasmUrl from 'digivault-webhooks/wasm';

// `(string | undefined)[]`, as `.filter(Boolean)` types it, and the list without the filter.
const filtered = new Webhook([process.env.WEBHOOK_SECRET, process.env.WEBHOOK_SECRET_PREVIOUS].filter(Boolean));
const unfiltered = new Webhook([process.env.WEBHOOK_SECRET, process.env.WEBHOOK_SECRET_PREVIOUS, null]);
// readonly lists and `as const`.
const rotation: readonly string[] = ['whsec_current', 'whsec_previous'];
const constant = ['whsec_current', 'whsec_previous'] as const;
const fromEnv = new Webhook(process.env.WEBHOOK_SECRET);
void [filtered, unfiltered, fromEnv, new Webhook(rotation), verify(constant, 'body', 'signature')];

// An explicit `undefined` for an optional setting (exactOptionalPropertyTypes).
const options: WebhookOptions = { toleranceSeconds: undefined, maxPayloadBytes: undefined, now: undefined };
const webhook = new Webhook(rotation, options);
const seen = new Deduplicator({ ttlSeconds: undefined, maxEntries: 1000 });
const body: string = sampleEvent('contact.created', { id: undefined, createdAt: 1 });

// Express's Request carries what the middleware sets.
const app = express();
app.post('/webhooks', expressMiddleware(webhook, { maxPayloadBytes: 4096, onError: undefined }), (req, res) => {
  const event: DigiVaultEvent | undefined = req.webhookEvent;
  const raw: string | undefined = req.rawBody?.toString('utf8');
  if (event !== undefined && !seen.has(event.id)) seen.add(event.id);
  res.json({ id: event?.id, bytes: raw?.length });
});

export async function handle(request: Request): Promise<DigiVaultEvent> {
  await init(wasmUrl);
  return verifyRequest(request, [process.env.WEBHOOK_SECRET]);
}

// useBindings is typed (an entry hands it the wasm-bindgen module it loaded).
export const rebind: (bindings: object) => void = useBindings;

// The types still refuse what is wrong.
// @ts-expect-error: a secret is a string
new Webhook(42);
// @ts-expect-error: toleranceSeconds is a number of seconds
new Webhook('whsec', { toleranceSeconds: '300' });
// @ts-expect-error: readonly lists of numbers are not secrets
verify([1, 2] as const, body, 'signature');
