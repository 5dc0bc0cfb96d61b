//! What the Worker asks a ledger shard in durable mode and for the admin API, and what it
//! answers: `POST https://ledger/<op>` with a JSON body (the `store` op: a JSON line, then
//! the raw event body), JSON replies. Both sides use these types, so the protocol is written
//! once.

use serde::{Deserialize, Serialize};

use super::listing::{ListCursor, ListItem, Stats};
use super::state::DeliveryState;
use crate::receiver::reply_fields::{read_by_serde, required_text, JsonObject, ReplyFields};

/// Op names (the URL path of the request to the object).
pub mod op {
    /// Durable accept: [`super::StoreMeta`] + raw body -> [`super::StoreReply`].
    pub const STORE: &str = "store";
    /// Admin get: [`super::EventQuery`] -> `Option<`[`super::EventView`]`>`.
    pub const EVENT: &str = "event";
    /// Admin list: [`super::ListRequest`] -> `Vec<`[`super::ListItem`]`>`.
    pub const LIST: &str = "list";
    /// Admin stats: `{}` -> [`super::Stats`].
    pub const STATS: &str = "stats";
    /// Admin replay of one event: [`super::EventQuery`] -> [`super::ReplayReply`].
    pub const REPLAY: &str = "replay";
    /// Admin replay of dead events: [`super::ReplayDeadRequest`] -> [`super::ReplayDeadReply`].
    pub const REPLAY_DEAD: &str = "replay_dead";
}

/// What is stored with a durable event, besides its raw body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreMeta {
    /// Event id.
    pub id: String,
    /// Event type.
    pub event_type: String,
    /// Lowercase hex SHA-256 of the body (conflicting duplicates).
    pub body_sha256: String,
    /// The signature header's name as received (canonical or legacy).
    pub signature_header: String,
    /// Its value, unchanged.
    pub signature: String,
    /// The `Content-Type` as received, forwarded unchanged (as forward mode does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

impl StoreMeta {
    /// The request body of a `store`: the metadata as one JSON line, then the raw body.
    /// (JSON escapes every newline inside strings, so the first `\n` ends the metadata.)
    pub fn frame(&self, body: &[u8]) -> Vec<u8> {
        frame(self, body)
    }

    /// Splits a framed `store` request back into metadata and raw body.
    ///
    /// ```
    /// use digivault_webhooks::receiver::StoreMeta;
    /// let meta = StoreMeta { id: "a\nb".into(), event_type: "t".into(), body_sha256: "00".into(), signature_header: "X-DigiVault-Signature".into(), signature: "ab".into(), content_type: Some("application/json; charset=utf-8".into()) };
    /// let framed = meta.frame(b"{\n}");
    /// assert_eq!(StoreMeta::unframe(&framed), Some((meta, &b"{\n}"[..])));
    /// ```
    pub fn unframe(framed: &[u8]) -> Option<(Self, &[u8])> {
        unframe(framed)
    }
}

/// `meta` as one JSON line, then `body` (JSON escapes every newline inside strings, so the
/// first `\n` ends the metadata).
fn frame<T: Serialize>(meta: &T, body: &[u8]) -> Vec<u8> {
    let mut framed = serde_json::to_vec(meta).unwrap_or_default();
    framed.push(b'\n');
    framed.extend_from_slice(body);
    framed
}

/// Splits what [`frame`] made back into metadata and body.
pub(crate) fn unframe<T: serde::de::DeserializeOwned>(framed: &[u8]) -> Option<(T, &[u8])> {
    let end = memchr::memchr(b'\n', framed)?;
    let meta = serde_json::from_slice(&framed[..end]).ok()?;
    Some((meta, &framed[end + 1..]))
}

/// The shard's answer to a `store`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case", try_from = "JsonObject")]
pub enum StoreReply {
    /// Written durably: answer 202.
    Stored,
    /// The id is known with the same body, whatever its state: answer `200 duplicate`.
    Duplicate,
    /// A forward-mode delivery of the id holds a live claim: answer the retryable 409.
    InFlight,
    /// The id is known with another body: answer 409 `CONFLICTING_DUPLICATE`.
    Conflict {
        /// SHA-256 of the body stored first.
        stored_sha256: String,
    },
}

read_by_serde!(StoreReply);

impl StoreReply {
    /// The reply from its members, as serialized (`result`, and `stored_sha256` for a
    /// conflict).
    pub fn read(fields: &impl ReplyFields) -> Result<Self, String> {
        Ok(match required_text(fields, "result")?.as_str() {
            "stored" => Self::Stored,
            "duplicate" => Self::Duplicate,
            "in_flight" => Self::InFlight,
            "conflict" => Self::Conflict {
                stored_sha256: required_text(fields, "stored_sha256")?,
            },
            other => return Err(format!("unknown result `{other}`")),
        })
    }
}

/// One event by id (`event`, `replay`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventQuery {
    /// Event id.
    pub id: String,
    /// Include the raw body (`event` only).
    #[serde(default)]
    pub body: bool,
}

/// One attempt of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    /// When it started (Unix ms).
    pub at: u64,
    /// The origin's status, when it answered.
    pub status: Option<u16>,
    /// How long it took.
    pub duration_ms: u64,
    /// `unreachable`, `timeout` or `lost` when there was no status.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// `GET /admin/events/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    /// Event id.
    pub id: String,
    /// Event type.
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Where it stands.
    pub state: DeliveryState,
    /// When it was accepted (Unix ms).
    pub received_at: u64,
    /// Every attempt, oldest first (none in forward mode).
    pub attempts: Vec<AttemptView>,
    /// When the next attempt is due (pending only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next_attempt_at: Option<u64>,
    /// Lowercase hex SHA-256 of the body.
    pub body_sha256: String,
    /// Body size in bytes.
    pub size: Option<u64>,
    /// The raw body (`?body=1`, durable mode only): UTF-8, as the validator guaranteed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub body: Option<String>,
}

/// `list`: one shard's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRequest {
    /// Which events (`None`: any state, with `id`).
    pub state: Option<DeliveryState>,
    /// Only events of this type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// Only the event with this id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// At most this many (the page size plus one, see [`super::merge_pages`]).
    pub limit: usize,
    /// Only events older than this one.
    pub after: Option<ListCursor>,
}

/// The shard's answer to a `list`.
pub type ListReply = Vec<ListItem>;

/// The shard's answer to a `stats`.
pub type StatsReply = Stats;

/// The shard's answer to a `replay`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ReplayReply {
    /// Back to pending, delivered again now (202).
    Replayed,
    /// Unknown id (404).
    NotFound,
    /// Pending or delivering already (409 `NOT_SETTLED`).
    NotSettled {
        /// Its state.
        state: DeliveryState,
    },
    /// Known only from forward mode: no body stored to deliver again (409 `NOT_STORED`).
    NotStored,
}

/// `replay_dead`: replay at most `limit` dead events of the shard, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayDeadRequest {
    /// Batch size.
    pub limit: usize,
}

/// `POST /admin/events/replay?state=dead` (and one shard's part of it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayDeadReply {
    /// Events sent back to pending.
    pub replayed: u64,
    /// Dead events left (call again).
    pub remaining: u64,
}
