#!/usr/bin/env node
// A tiny origin for local development: verifies every webhook the Worker forwards to it with
// the npm package (pkg/, `make build-pkg`), deduplicates on the id of the verified event,
// prints it and answers 200. Anything not signed with WEBHOOK_SECRET gets the package's error
// status (401 for a bad or missing signature) and is not handled.
//
// The id comes from the verified body, never from X-DigiVault-Event-Id: the Worker sets that
// header for logs and routing, but nothing authenticates it, so anyone who can reach the
// origin directly with one captured signed body could send it again under a fresh id and have
// it handled twice. The id inside the signed body cannot be changed without breaking the
// signature.
//
//   WEBHOOK_SECRET=... node scripts/demo-origin.mjs [port]   (default 8788, 127.0.0.1 only; 0: any free port)
import { createServer } from 'node:http';

const { Webhook, Deduplicator } = await import(new URL('../pkg/node.mjs', import.meta.url)).catch((err) => {
  throw new Error(`pkg/ is missing: run \`make build-pkg\` first (${err.message})`);
});

const port = Number(process.argv[2] ?? process.env.DEMO_ORIGIN_PORT ?? 8788);
const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error('[origin] WEBHOOK_SECRET is not set: the origin verifies every webhook with it');
  process.exit(2);
}
const webhook = new Webhook(secret);
const seen = new Deduplicator({ ttlSeconds: 48 * 3600, maxEntries: 100_000 });

function answer(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    let event;
    try {
      event = webhook.constructEvent(body, req.headers);
    } catch (err) {
      console.log(`[origin] ${req.method} ${req.url} refused: ${err.code ?? err.message} (${body.length} bytes)`);
      answer(res, err.status ?? 400, { status: 'error', code: err.code });
      return;
    }
    const duplicate = seen.has(event.id);
    if (!duplicate) seen.add(event.id);
    const claimed = req.headers['x-digivault-event-id'];
    const note = claimed !== undefined && claimed !== event.id ? ` (X-DigiVault-Event-Id said ${JSON.stringify(claimed)}: ignored)` : '';
    console.log(`[origin] event ${event.id} (${event.type}), ${body.length} bytes, ${duplicate ? 'duplicate, not handled again' : 'handled'}${note}`);
    if (!duplicate) console.log(`[origin] ${body.toString('utf8')}`);
    answer(res, 200, { received: true, id: event.id, duplicate });
  });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`[origin] demo origin listening on http://127.0.0.1:${server.address().port}/webhooks`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
