//! The event envelope and its validation.

mod event_type;
mod objects;
mod parse;
mod prescan;
mod samples;
mod scan;
mod shape;
mod validate;

pub use event_type::{EventType, ObjectKind};
pub use objects::{Contact, Conversation, EventObject, Extra, Group, GroupMembership, Message};
#[doc(hidden)]
pub use parse::decode_with_serde_only;
#[doc(hidden)]
pub use prescan::plain_key_count;
pub use samples::{default_sample_id, sample_event, sample_event_json, SAMPLE_CREATED_AT};
pub use validate::{validate_event, EventSummary};

use serde::Serialize;

use crate::error::Error;

/// A DigiVault webhook event: `{ id, type, created_at, data: { object } }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Event {
    /// Event id, unique per event and the same across retries: the idempotency key.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// Unix time (seconds) the event was created.
    pub created_at: i64,
    /// The payload.
    pub data: EventData,
}

/// The `data` member of an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct EventData {
    /// The object the event is about, typed by the event's type.
    pub object: EventObject,
}

impl Event {
    /// Builds an event from its parts.
    pub fn new(id: String, event_type: EventType, created_at: i64, object: EventObject) -> Self {
        Self {
            id,
            event_type,
            created_at,
            data: EventData { object },
        }
    }

    /// Parses and validates an event from the raw payload bytes.
    ///
    /// Errors are [`Error::InvalidJson`] (syntax, invalid UTF-8, nesting deeper than 128)
    /// or [`Error::InvalidEvent`] with the JSON path of the first offending value.
    ///
    /// ```
    /// use digivault_webhooks::{Event, EventType};
    /// let body = br#"{"id":"evt_1","type":"contact.deleted","created_at":1640995200,"data":{"object":{"id":"c_1"}}}"#;
    /// let event = Event::from_slice(body).unwrap();
    /// assert_eq!(event.event_type, EventType::ContactDeleted);
    ///
    /// let bad = br#"{"id":"evt_1","type":"conversation.message.created","created_at":1,"data":{"object":{"id":"m","conversation_id":5,"message":"hi","created_at":1}}}"#;
    /// let err = Event::from_slice(bad).unwrap_err();
    /// assert_eq!(err.code(), "INVALID_EVENT");
    /// assert_eq!(err.path(), Some("data.object.conversation_id"));
    /// ```
    pub fn from_slice(payload: &[u8]) -> Result<Self, Error> {
        parse::event(payload)
    }

    /// Checks `created_at` against `now` (Unix seconds, supplied by the caller: the core
    /// reads no clock), accepting events at most `tolerance_seconds` old or ahead.
    pub fn check_freshness(&self, now: i64, tolerance_seconds: u64) -> Result<(), Error> {
        check_freshness(self.created_at, now, tolerance_seconds)
    }

    /// The event serialized back to compact JSON. Never verify a signature over this:
    /// it need not be byte-identical to what DigiVault signed.
    pub fn to_json(&self) -> String {
        let json = serde_json::to_string(self);
        debug_assert!(
            json.is_ok(),
            "an event holds only JSON-representable values"
        );
        json.unwrap_or_default()
    }
}

/// Rejects a `created_at` more than `tolerance_seconds` before or after `now`.
///
/// Arithmetic is checked: extreme values from the payload are rejected, never wrapped.
pub fn check_freshness(created_at: i64, now: i64, tolerance_seconds: u64) -> Result<(), Error> {
    let delta = i128::from(now) - i128::from(created_at);
    let magnitude = u64::try_from(delta.unsigned_abs()).unwrap_or(u64::MAX);
    if magnitude <= tolerance_seconds {
        Ok(())
    } else if delta > 0 {
        Err(Error::EventTooOld {
            age_seconds: magnitude,
            tolerance_seconds,
        })
    } else {
        Err(Error::EventFromFuture {
            ahead_seconds: magnitude,
            tolerance_seconds,
        })
    }
}
