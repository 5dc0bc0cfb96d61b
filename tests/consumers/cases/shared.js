// What every consumer case checks once the package is loaded: a signature made by the
// package matches the one the test computed with node:crypto, verifies, and a tampered body
// does not; the Webhook class verifies and parses. Input and expected values come from the
// test through the environment of the page or process (see matrix.test.mjs).
export const SECRET = 'whsec_consumer_matrix';
export const BODY =
  '{"id":"evt_consumer","type":"contact.created","created_at":1640995200,"data":{"object":{"id":"contact_1","phone_number":"+15550100"}}}';

export function check({ sign, verify, Webhook }) {
  const signature = sign(SECRET, BODY);
  const webhook = new Webhook([undefined, SECRET]);
  const event = webhook.constructEvent(BODY, { 'x-digivault-signature': signature });
  return {
    signature,
    verified: verify(SECRET, new TextEncoder().encode(BODY), signature),
    tamperedRejected: !verify(SECRET, BODY.replace('contact_1', 'contact_2'), signature),
    eventType: event.type,
  };
}
