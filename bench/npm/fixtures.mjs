// What the npm benchmarks (run.mjs, targets.mjs, compare.mjs) measure with, in one place: the
// secret, bodies of a given size, the ~1 KiB event, the zod schema of the shape the package
// validates (what a user writes by hand), and node:crypto's verification as a user writes it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** The benchmarks' secret. */
export const SECRET = 'whsec_7f3a9c1e5b2d4f6a8c0e';

/** A valid event body of `size` bytes (a long `message`), as a Buffer. */
export function body(size) {
  const head = '{"id":"evt_bench","type":"conversation.message.created","created_at":1640995200,"data":{"object":{"id":"m","conversation_id":"c","created_at":1640995200,"message":"';
  const tail = '"}}}';
  return Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length - tail.length)) + tail);
}

/** A ~1 KiB event (1,064 bytes) as DigiVault sends it, as a Buffer, and as text. */
export const event = Buffer.from(JSON.stringify({
  id: 'evt_1234567890abcdef', type: 'conversation.message.created', created_at: 1640995200,
  data: { object: {
    id: 'xgQQXg3hrtjh7AvZ', conversation_id: 'WAz8eIbvDR60rouK',
    contact: { id: 'WAz8eIbvDR60rouK', username: 'FrankMcCallister', name: 'Frank McCallister', avatar_url: 'https://assets.digivault.com/avatars/frank.jpg' },
    message: 'Hello, world! '.repeat(50), created_at: 1640995200,
  } },
}));
export const eventText = event.toString('utf8');

const contact = z.object({ id: z.string(), username: z.string().nullish(), name: z.string().nullish(), avatar_url: z.string().nullish(), email: z.string().nullish(), phone: z.string().nullish(), created_at: z.number().int().nullish(), updated_at: z.number().int().nullish() }).passthrough();
/** A zod schema of the shape the package validates for `event`'s type. */
export const schema = z.object({
  id: z.string().min(1), type: z.string().min(1), created_at: z.number().int(),
  data: z.object({ object: z.object({ id: z.string(), conversation_id: z.string(), contact: contact.nullish(), message: z.string(), created_at: z.number().int() }).passthrough() }),
});

/** node:crypto's HMAC and a constant-time compare, as a user writes it. */
export function verifyByHand(payload, signature, secret = SECRET) {
  const expected = createHmac('sha256', secret).update(payload).digest();
  const received = Buffer.from(signature, 'hex');
  return received.length === expected.length && timingSafeEqual(expected, received);
}

/** node:crypto + JSON.parse + zod: what `constructEvent` replaces. */
export function constructByHand(payload, signature) {
  if (!verifyByHand(payload, signature)) throw new Error('bad signature');
  return schema.parse(JSON.parse(payload.toString('utf8')));
}
