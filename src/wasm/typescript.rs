//! TypeScript declarations for the event types and the error codes, emitted from the Rust
//! tables.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const EVENT_TYPES: &str = crate::EventType::TYPESCRIPT;

#[wasm_bindgen(typescript_custom_section)]
const ERROR_CODES: &str = crate::Error::TYPESCRIPT;

#[wasm_bindgen(typescript_custom_section)]
const EVENT_SHAPES: &str = r#"
/** The envelope every DigiVault event shares. */
export interface EventOf<T extends string, O> {
  /** Event id: the same across retries, the idempotency key. */
  id: string;
  /** What happened. */
  type: T;
  /** Unix time (seconds) the event was created. */
  created_at: number;
  /** The object the event is about. */
  data: { object: O };
}

/** An event of a type this version does not know yet: parsed, never rejected for its type. */
export type UnknownEvent = EventOf<string, Record<string, unknown>>;

/**
 * Any DigiVault event. TypeScript cannot narrow a union that includes an open `string`
 * type by comparing `event.type`, so check `isKnownEvent(event)` first: inside it,
 * `event.type === "conversation.message.created"` types `data.object` as a Message.
 */
export type DigiVaultEvent = KnownEvent | UnknownEvent;
"#;
