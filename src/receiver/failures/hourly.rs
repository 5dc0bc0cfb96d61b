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
