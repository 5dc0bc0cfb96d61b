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

/// What the stats and the alerts read of one ledger shard (op `overview`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewRequest {
    /// Count hours from this one (Unix ms, [`first_hour`]).
    pub since: u64,
    /// Count deaths whose last attempt ended at or after this time (Unix ms).
    pub dead_since: u64,
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
