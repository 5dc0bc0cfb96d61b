#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod error;
mod event;
mod headers;
mod signature;
mod webhook;

pub mod diagnose;
pub mod receiver;

#[cfg(any(feature = "worker", feature = "worker-ops", feature = "worker-ledger"))]
mod worker;

#[cfg(feature = "wasm")]
mod wasm;

pub use diagnose::{diagnose, parse_raw_request};
pub use error::{Error, SignatureFormat};
pub use event::{
    check_freshness, default_sample_id, sample_event, sample_event_json, validate_event, Contact,
    Conversation, Event, EventData, EventObject, EventSummary, EventType, Extra, Group,
    GroupMembership, Message, ObjectKind, SAMPLE_CREATED_AT,
};
#[doc(hidden)]
pub use event::{decode_with_serde_only, plain_key_count};
pub use headers::{
    find_signature, find_signature_header, LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER,
    SIGNATURE_HEADERS,
};
pub use signature::{parse_signature, sign, PayloadMacs, Verifier, SIGNATURE_BYTES};
pub use webhook::{Options, Webhook, DEFAULT_DEDUP_TTL_SECONDS, DEFAULT_MAX_PAYLOAD_BYTES};
