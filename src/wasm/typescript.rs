//! TypeScript declarations for the event types, emitted from the Rust tables.

use wasm_bindgen::prelude::*;

use crate::EventType;

#[wasm_bindgen(typescript_custom_section)]
const EVENT_TYPES: &str = EventType::TYPESCRIPT;

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

/** An event of a type this version does not know yet; check `type` before use. */
export type UnknownEvent = EventOf<string & { readonly __unknownEventType?: never }, Record<string, unknown>>;

/** Any DigiVault event: narrow it with `event.type`. */
export type DigiVaultEvent = KnownEvent | UnknownEvent;
"#;
