//! The one structured log line per request.

use serde::Serialize;

use super::{AcceptedEvent, Outcome, Reply};

/// Event ids and types are cut to this many characters in logs.
pub const MAX_LOGGED_ID_CHARS: usize = 200;

/// Longest `detail` logged.
const MAX_DETAIL_CHARS: usize = 300;

/// One JSON log line per request: what happened, never a secret, a signature or the body.
///
/// ```
/// use digivault_webhooks::receiver::{LogLine, Reply};
/// let mut line = LogLine::default();
/// line.finish(&Reply::not_found(), 3);
/// assert_eq!(line.to_json(), r#"{"level":"info","outcome":"not_found","status":404,"code":"NOT_FOUND","duration_ms":3}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// `info`, `warn` (a KV or rate limiter failure, a conflicting duplicate) or `error`
    /// (5xx, or any ledger failure).
    pub level: &'static str,
    /// What happened; `None` until [`LogLine::finish`].
    pub outcome: Option<Outcome>,
    /// HTTP status of the reply.
    pub status: u16,
    /// Error code of the reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// Event id (after verification only), truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Event type (after verification only), truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// The origin's status, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_status: Option<u16>,
    /// Wall time of the request in milliseconds.
    pub duration_ms: u64,
    /// KV operations that failed: `read`, `lease_write`, `lease_delete`, `done_write`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kv_errors: Vec<&'static str>,
    /// Ledger operations that failed: `claim`, `done`, `release`. A failed `done` after
    /// the origin's 2xx still answers 200, but is logged at `error`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ledger_errors: Vec<&'static str>,
    /// SHA-256 of this delivery's body, logged with `stored_sha256` for a conflicting
    /// duplicate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_sha256: Option<String>,
    /// SHA-256 of the body first seen with this id (conflicting duplicate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_sha256: Option<String>,
    /// The rate limiter binding failed (the request was let through).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rate_limit_error: bool,
    /// Why, for a misconfiguration or a platform failure (names settings, never values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl LogLine {
    /// Records the event's id and type.
    pub fn event(&mut self, event: &AcceptedEvent) {
        self.event_id = Some(truncate(&event.id, MAX_LOGGED_ID_CHARS));
        self.event_type = Some(truncate(event.event_type.as_str(), MAX_LOGGED_ID_CHARS));
    }

    /// Records a KV failure; `detail` keeps the first one's message.
    pub fn kv_error(&mut self, operation: &'static str, detail: &str) {
        self.kv_errors.push(operation);
        self.detail.get_or_insert_with(|| {
            format!("KV {operation}: {}", truncate(detail, MAX_DETAIL_CHARS))
        });
    }

    /// Records a ledger failure; `detail` keeps the first one's message.
    pub fn ledger_error(&mut self, operation: &'static str, detail: &str) {
        self.ledger_errors.push(operation);
        self.detail.get_or_insert_with(|| {
            format!("ledger {operation}: {}", truncate(detail, MAX_DETAIL_CHARS))
        });
    }

    /// Records both hashes of a conflicting duplicate.
    pub fn conflict(&mut self, body_sha256: &str, stored_sha256: &str) {
        self.body_sha256 = Some(truncate(body_sha256, 64));
        self.stored_sha256 = Some(truncate(stored_sha256, 64));
    }

    /// Records a rate limiter failure.
    pub fn rate_limit_error(&mut self, detail: &str) {
        self.rate_limit_error = true;
        self.detail
            .get_or_insert_with(|| format!("rate limiter: {}", truncate(detail, MAX_DETAIL_CHARS)));
    }

    /// Records a detail (a configuration error), replacing any earlier one.
    pub fn detail(&mut self, detail: &str) {
        self.detail = Some(truncate(detail, MAX_DETAIL_CHARS));
    }

    /// Records the reply and the duration, and sets the level.
    pub fn finish(&mut self, reply: &Reply, duration_ms: u64) {
        self.outcome = Some(reply.outcome);
        self.status = reply.status;
        self.code = reply.code;
        self.origin_status = self.origin_status.or(reply.origin_status);
        self.duration_ms = duration_ms;
        self.level = if reply.status >= 500 || !self.ledger_errors.is_empty() {
            "error"
        } else if !self.kv_errors.is_empty()
            || self.rate_limit_error
            || reply.outcome == Outcome::ConflictingDuplicate
        {
            "warn"
        } else {
            "info"
        };
    }

    /// The line as compact JSON.
    pub fn to_json(&self) -> String {
        let json = serde_json::to_string(self);
        debug_assert!(
            json.is_ok(),
            "strings, integers and options of them always serialize"
        );
        json.unwrap_or_default()
    }
}

pub(super) fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
