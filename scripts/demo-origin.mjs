#!/usr/bin/env node
// A tiny origin for local development: prints every webhook the Worker forwards to it
// and answers 200. Verifies the forwarded signature itself when WEBHOOK_SECRET is set.
//
//   node scripts/demo-origin.mjs [port]      (default 8788, 127.0.0.1 only)
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? process.env.DEMO_ORIGIN_PORT ?? 8788);
const secret = process.env.WEBHOOK_SECRET;

function verified(body, signature) {
  if (!secret || !signature) return 'not checked';
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'INVALID';
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const signature = req.headers['x-digivault-signature'] ?? req.headers['x-bitvault-signature'];
    console.log(
      `[origin] ${req.method} ${req.url} event ${req.headers['x-digivault-event-id']} ` +
        `(${req.headers['x-digivault-event-type']}), ${body.length} bytes, signature ${verified(body, signature)}`,
    );
    console.log(`[origin] ${body.toString('utf8')}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"received":true}');
  });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`[origin] demo origin listening on http://127.0.0.1:${server.address().port}/webhooks`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
