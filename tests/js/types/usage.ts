// Compiled (not run) by types.test.mjs: what TypeScript users write must type-check, and
// the mistakes marked @ts-expect-error must not.
import {
  Webhook,
  WebhookError,
  isKnownEvent,
  sampleEvent,
  verify,
  type DigiVaultEvent,
  type EventType,
  type Message,
} from 'digivault-webhooks';

const webhook = new Webhook(['whsec_current', 'whsec_previous'], { toleranceSeconds: 300, now: () => new Date() });
const event: DigiVaultEvent = webhook.constructEvent('{}', { 'x-digivault-signature': 'abc' });

// After isKnownEvent, narrowing on `type` gives the typed object.
if (isKnownEvent(event) && event.type === 'conversation.message.created') {
  const text: string = event.data.object.message;
  const conversation: string = event.data.object.conversation_id;
  const sender: string | undefined = event.data.object.contact?.name;
  void [text, conversation, sender];
}
if (isKnownEvent(event)) switch (event.type) {
  case 'group.member_added': {
    const role: string | undefined = event.data.object.role;
    void role;
    break;
  }
  case 'contact.deleted': {
    const id: string = event.data.object.id;
    void id;
    break;
  }
  default:
    break;
}

const known: EventType = 'group.deleted';
const message: Message = { id: 'm', conversation_id: 'c', message: 'hi', created_at: 1 };
const ok: boolean = verify('secret', new Uint8Array(), undefined);
const body: string = sampleEvent(known);
try {
  webhook.verify(body, 'sig');
} catch (error) {
  if (error instanceof WebhookError) {
    const code: 'INVALID_SIGNATURE' | string = error.code;
    const path: string | undefined = error.path;
    void [code, path];
  }
}
void [message, ok];
// Unknown types are events too, with an untyped object.
if (!isKnownEvent(event)) {
  const type: string = event.type;
  const fields: Record<string, unknown> = event.data.object;
  void [type, fields];
}

// @ts-expect-error: not one of the sixteen types
sampleEvent('conversation.pinned');
// @ts-expect-error: a message's text is required
const incomplete: Message = { id: 'm', conversation_id: 'c', created_at: 1 };
void incomplete;
if (isKnownEvent(event) && event.type === 'conversation.message.created') {
  // @ts-expect-error: a message has no typed `member_count` (unknown fields are `unknown`)
  const wrong: number = event.data.object.member_count;
  void wrong;
}

// Deduplicator.claim narrows to its three answers.
import { Deduplicator, type ClaimResult } from 'digivault-webhooks';
const seen = new Deduplicator({ leaseSeconds: 60 });
const claim: ClaimResult = seen.claim('evt_1');
if (claim === 'claimed') seen.complete('evt_1');
// @ts-expect-error: claim answers one of three strings, not a boolean
const claimed: boolean = seen.claim('evt_2');
void claimed;
