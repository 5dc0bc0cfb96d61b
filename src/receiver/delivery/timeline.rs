//! The timeline of a durable event: one log line per attempt (and per replay), the same
//! facts as the ledger's `attempts` rows. JSON, no secret, no signature, no body.

use serde::Serialize;

use super::state::{Delivery, DeliveryState};
use crate::receiver::{OriginResult, MAX_LOGGED_ID_CHARS};

/// The `error` of an attempt without an HTTP answer, as stored and shown.
pub fn attempt_error(result: OriginResult) -> Option<&'static str> {
    match result {
        OriginResult::Status(_) => None,
        OriginResult::Unreachable => Some("unreachable"),
        OriginResult::TimedOut => Some("timeout"),
    }
}

/// `error` of an attempt lost with its object (its lease ran out).
pub const LOST_ATTEMPT: &str = "lost";

/// One line of the delivery timeline.
///
/// ```
/// use digivault_webhooks::receiver::{AttemptLog, Delivery, OriginResult};
/// let after = Delivery::stored(0).begin(0, 10).unwrap();
/// let line = AttemptLog::new("evt_1", "contact.created", Some(OriginResult::Status(500)), 12, &after);
/// assert_eq!(line.level, "warn");
/// assert!(line.to_json().starts_with(r#"{"level":"warn","outcome":"attempt_failed","event_id":"evt_1""#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptLog {
    /// `info` (delivered), `warn` (retry scheduled), `error` (dead).
    pub level: &'static str,
    /// `delivered`, `attempt_failed`, `dead`, `replayed`.
    pub outcome: &'static str,
    /// Event id, truncated.
    pub event_id: String,
    /// Event type, truncated.
    pub event_type: String,
    /// Which attempt (since the last replay).
    pub attempt: u32,
    /// The origin's status, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_status: Option<u16>,
    /// `unreachable`, `timeout` or `lost` when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    /// How long the attempt took.
    pub duration_ms: u64,
    /// When the next attempt is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<u64>,
}

impl AttemptLog {
    /// The line for an attempt that ended with `result` (`None`: lost with its object),
    /// leaving the event as `after`.
    pub fn new(
        id: &str,
        event_type: &str,
        result: Option<OriginResult>,
        duration_ms: u64,
        after: &Delivery,
    ) -> Self {
        let (level, outcome) = match after.state {
            DeliveryState::Delivered => ("info", "delivered"),
            DeliveryState::Dead => ("error", "dead"),
            DeliveryState::Pending | DeliveryState::Delivering => ("warn", "attempt_failed"),
        };
        Self {
            level,
            outcome,
            event_id: truncate(id),
            event_type: truncate(event_type),
            attempt: after.attempt_count,
            origin_status: match result {
                Some(OriginResult::Status(status)) => Some(status),
                _ => None,
            },
            error: result.map_or(Some(LOST_ATTEMPT), attempt_error),
            duration_ms,
            next_attempt_at: after.next_attempt_at,
        }
    }

    /// The line of an operator's replay.
    pub fn replayed(id: &str, event_type: &str) -> Self {
        Self {
            level: "info",
            outcome: "replayed",
            event_id: truncate(id),
            event_type: truncate(event_type),
            attempt: 0,
            origin_status: None,
            error: None,
            duration_ms: 0,
            next_attempt_at: None,
        }
    }

    /// The line as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn truncate(text: &str) -> String {
    crate::receiver::log::truncate(text, MAX_LOGGED_ID_CHARS)
}
