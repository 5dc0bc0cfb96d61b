//! The last 24 hours, hour by hour, for `GET /admin/stats`: events accepted, delivered,
//! failed attempts (from the ledger's shards) and refused requests (from the evidence).

use serde::{Deserialize, Serialize};

/// Milliseconds in an hour.
pub const HOUR_MS: u64 = 3_600_000;
/// Hours in `GET /admin/stats`'s `hours`.
pub const HOURS: usize = 24;

/// One hour's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourCounts {
    /// The hour's start (Unix ms, a multiple of 3 600 000).
    pub start: u64,
    /// Events accepted (verified, new).
    pub accepted: u64,
    /// Deliveries the origin accepted (durable mode: 2xx attempts; forward mode: events
    /// forwarded).
    pub delivered: u64,
    /// Attempts that failed (durable mode).
    pub failed_attempts: u64,
    /// Requests refused at verification or validation, or too large.
    pub refused: u64,
}

/// One counted fact: in which hour (its start), which counter, how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourFact {
    /// The hour's start (Unix ms).
    pub start: u64,
    /// `accepted`, `delivered`, `failed_attempts` or `refused`.
    pub counter: Counter,
    /// How many.
    pub count: u64,
}

/// Which counter of an hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counter {
    /// [`HourCounts::accepted`].
    Accepted,
    /// [`HourCounts::delivered`].
    Delivered,
    /// [`HourCounts::failed_attempts`].
    FailedAttempts,
    /// [`HourCounts::refused`].
    Refused,
}

impl Counter {
    /// Its name in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Delivered => "delivered",
            Self::FailedAttempts => "failed_attempts",
            Self::Refused => "refused",
        }
    }
}

/// A JSON string (escaped by serde_json's `str` serializer, which every script has).
pub(crate) fn json_str(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

fn json_opt(value: Option<u64>) -> String {
    value.map_or_else(|| "null".to_owned(), |value| value.to_string())
}

/// The first hour shown at `now_ms`: 23 hours before the current one.
pub fn first_hour(now_ms: u64) -> u64 {
    (now_ms / HOUR_MS).saturating_sub(HOURS as u64 - 1) * HOUR_MS
}

/// The 24 hours ending with the current one, oldest first, with `facts` (from every shard
/// and the evidence) summed in; facts outside the window are ignored.
///
/// ```
/// use digivault_webhooks::receiver::failures::{hours, Counter, HourFact, HOUR_MS};
/// let now = 100 * HOUR_MS + 5;
/// let facts = [
///     HourFact { start: 100 * HOUR_MS, counter: Counter::Refused, count: 2 },
///     HourFact { start: 100 * HOUR_MS, counter: Counter::Refused, count: 1 },
///     HourFact { start: 77 * HOUR_MS, counter: Counter::Accepted, count: 1 },
///     HourFact { start: 60 * HOUR_MS, counter: Counter::Accepted, count: 9 },
/// ];
/// let counts = hours(now, facts);
/// assert_eq!(counts.len(), 24);
/// assert_eq!(counts[23].start, 100 * HOUR_MS);
/// assert_eq!(counts[23].refused, 3);
/// assert_eq!(counts[0].accepted, 1);
/// assert_eq!(counts.iter().map(|h| h.accepted).sum::<u64>(), 1);
/// ```
pub fn hours<I: IntoIterator<Item = HourFact>>(now_ms: u64, facts: I) -> Vec<HourCounts> {
    let first = first_hour(now_ms);
    let mut counts: Vec<HourCounts> = (0..HOURS as u64)
        .map(|i| HourCounts {
            start: first + i * HOUR_MS,
            ..HourCounts::default()
        })
        .collect();
    for fact in facts {
        if fact.start < first {
            continue;
        }
        let Some(hour) = counts.get_mut(((fact.start - first) / HOUR_MS) as usize) else {
            continue;
        };
        let slot = match fact.counter {
            Counter::Accepted => &mut hour.accepted,
            Counter::Delivered => &mut hour.delivered,
            Counter::FailedAttempts => &mut hour.failed_attempts,
            Counter::Refused => &mut hour.refused,
        };
        *slot = slot.saturating_add(fact.count);
    }
    counts
}

/// The ledger shard op behind [`Overview`] (the request's URL path).
pub const OVERVIEW_OP: &str = "overview";

/// What the stats and the alerts read of one ledger shard (op `overview`). On the wire: two
/// decimal numbers, `since` then `dead_since` (no deserializer in the webhook script).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewRequest {
    /// Count hours from this one (Unix ms, [`first_hour`]).
    pub since: u64,
    /// Count deaths whose last attempt ended at or after this time (Unix ms).
    pub dead_since: u64,
}

impl OverviewRequest {
    /// The request body.
    ///
    /// ```
    /// use digivault_webhooks::receiver::failures::OverviewRequest;
    /// let request = OverviewRequest { since: 3_600_000, dead_since: 42 };
    /// assert_eq!(OverviewRequest::from_wire(request.to_wire().as_bytes()), Some(request));
    /// assert_eq!(OverviewRequest::from_wire(b"1"), None);
    /// ```
    pub fn to_wire(&self) -> String {
        format!("{} {}", self.since, self.dead_since)
    }

    /// Reads [`OverviewRequest::to_wire`]'s text.
    pub fn from_wire(body: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(body).ok()?;
        let (since, dead_since) = text.trim().split_once(' ')?;
        Some(Self {
            since: since.parse().ok()?,
            dead_since: dead_since.parse().ok()?,
        })
    }
}

/// The origin's last answer (durable mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastAttempt {
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

/// One shard's answer to `overview`, and their sum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    /// Hour counts (accepted, delivered, failed attempts) since the request's `since`.
    pub facts: Vec<HourFact>,
    /// Events pending or being delivered.
    pub pending: u64,
    /// When the oldest of them was received.
    pub oldest_pending_at: Option<u64>,
    /// Dead events kept.
    pub dead_total: u64,
    /// Dead events whose last attempt ended since the request's `dead_since`.
    pub dead_new: u64,
    /// The newest of their ids (at most [`crate::receiver::alerts::ALERT_IDS`]).
    pub dead_ids: Vec<String>,
    /// The origin's last answer.
    pub last_attempt: Option<LastAttempt>,
}

impl Overview {
    /// The overview as JSON, exactly as its `Serialize` writes it, but without instantiating a
    /// serializer: the ledger shards run in the webhook script, whose wasm must not grow.
    ///
    /// ```
    /// use digivault_webhooks::receiver::failures::{Counter, HourFact, LastAttempt, Overview};
    /// let overview = Overview {
    ///     facts: vec![HourFact { start: 3_600_000, counter: Counter::FailedAttempts, count: 2 }],
    ///     pending: 1, oldest_pending_at: Some(7), dead_total: 2, dead_new: 1,
    ///     dead_ids: vec!["evt_\"1\"".into()],
    ///     last_attempt: Some(LastAttempt { at: 9, status: None, duration_ms: 3, error: Some("timeout".into()) }),
    /// };
    /// assert_eq!(overview.to_json(), serde_json::to_string(&overview).unwrap());
    /// let empty = Overview::default();
    /// assert_eq!(empty.to_json(), serde_json::to_string(&empty).unwrap());
    /// ```
    pub fn to_json(&self) -> String {
        let facts: Vec<String> = self
            .facts
            .iter()
            .map(|fact| {
                format!(
                    "{{\"start\":{},\"counter\":\"{}\",\"count\":{}}}",
                    fact.start,
                    fact.counter.as_str(),
                    fact.count
                )
            })
            .collect();
        let ids: Vec<String> = self.dead_ids.iter().map(|id| json_str(id)).collect();
        let last = self.last_attempt.as_ref().map_or_else(
            || "null".to_owned(),
            |last| {
                let error = last
                    .error
                    .as_deref()
                    .map(|error| format!(",\"error\":{}", json_str(error)))
                    .unwrap_or_default();
                format!(
                    "{{\"at\":{},\"status\":{},\"duration_ms\":{}{error}}}",
                    last.at,
                    json_opt(last.status.map(u64::from)),
                    last.duration_ms
                )
            },
        );
        format!(
            "{{\"facts\":[{}],\"pending\":{},\"oldest_pending_at\":{},\"dead_total\":{},\
             \"dead_new\":{},\"dead_ids\":[{}],\"last_attempt\":{last}}}",
            facts.join(","),
            self.pending,
            json_opt(self.oldest_pending_at),
            self.dead_total,
            self.dead_new,
            ids.join(","),
        )
    }

    /// The sum of two shards' overviews.
    ///
    /// ```
    /// use digivault_webhooks::receiver::failures::Overview;
    /// let a = Overview { pending: 1, oldest_pending_at: Some(5), dead_ids: vec!["a".into()], dead_new: 1, ..Overview::default() };
    /// let b = Overview { pending: 2, oldest_pending_at: Some(3), ..Overview::default() };
    /// let sum = a.merge(b);
    /// assert_eq!((sum.pending, sum.oldest_pending_at, sum.dead_new), (3, Some(3), 1));
    /// ```
    pub fn merge(mut self, other: Self) -> Self {
        self.facts.extend(other.facts);
        self.pending += other.pending;
        self.oldest_pending_at = match (self.oldest_pending_at, other.oldest_pending_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.dead_total += other.dead_total;
        self.dead_new += other.dead_new;
        self.dead_ids.extend(other.dead_ids);
        self.dead_ids.truncate(crate::receiver::alerts::ALERT_IDS);
        self.last_attempt = match (self.last_attempt, other.last_attempt) {
            (Some(a), Some(b)) => Some(if b.at > a.at { b } else { a }),
            (a, b) => a.or(b),
        };
        self
    }
}

/// `GET /admin/stats`: events per state, the backlog, the origin's last answer and the
/// last 24 hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatsView {
    /// `DELIVERY_MODE`: `durable` or `forward` (which stores no event, so the console says
    /// why events have no timeline, body or replay).
    pub mode: &'static str,
    /// Events per state.
    #[serde(flatten)]
    pub counts: crate::receiver::Stats,
    /// When the oldest pending event was received (Unix ms).
    pub oldest_pending_at: Option<u64>,
    /// The origin's last answer (durable mode).
    pub last_attempt: Option<LastAttempt>,
    /// The last 24 hours, oldest first.
    pub hours: Vec<HourCounts>,
}
