// Run by Deno with only --allow-net: a server answering the README's Fetch API handler,
// sent one signed delivery and one forged, then shut down. Prints the outcomes as JSON.
import { sign, verifyRequest, WebhookError } from 'digivault-webhooks';
import { BODY, SECRET } from '../shared.js';

const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, async (request) => {
  try {
    const event = await verifyRequest(request, [SECRET]);
    return Response.json({ received: event.id });
  } catch (error) {
    if (!(error instanceof WebhookError)) throw error;
    return Response.json({ code: error.code }, { status: error.status });
  }
});
const url = `http://127.0.0.1:${server.addr.port}/webhooks`;
const deliver = async (signature: string) => {
  const response = await fetch(url, { method: 'POST', body: BODY, headers: { 'x-digivault-signature': signature } });
  return { status: response.status, body: await response.json() };
};
const signed = await deliver(sign(SECRET, BODY));
const forged = await deliver(sign('not_the_secret', BODY));
await server.shutdown();
console.log(JSON.stringify({ signed, forged }));
