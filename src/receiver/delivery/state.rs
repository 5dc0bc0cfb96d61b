//! The life of a stored event in durable mode: pending -> delivering -> delivered | dead,
//! and back to pending by a replay. Pure: times are arguments (Unix ms).

use serde::{Deserialize, Serialize};

use super::retry::{NextAttempt, RetryPolicy};
use crate::receiver::OriginResult;

/// `expires_at` of a row that must not expire (pending or delivering): 2^53 - 1 ms, the
/// largest integer a JavaScript number (the SQL binding's type) holds exactly.
pub const NEVER_MS: u64 = (1 << 53) - 1;

/// Where an event stands, as stored in the ledger's `state` column and shown by the admin
/// API. Forward mode's rows (`claimed`, `done`) read as `delivering` and `delivered`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next attempt (`next_attempt_at`).
    Pending,
    /// An attempt is running (until `lease_until`).
    Delivering,
    /// The origin answered 2xx.
    Delivered,
    /// Every attempt failed: kept for `DEAD_LETTER_TTL_SECONDS`, replayable.
    Dead,
}

impl DeliveryState {
    /// Every state, in the order stats list them.
    pub const ALL: [Self; 4] = [Self::Pending, Self::Delivering, Self::Delivered, Self::Dead];

    /// The stored (and shown) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivering => "delivering",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    /// The values of the ledger's `state` column that read as this state: forward mode's
    /// rows (`claimed`, `done`) are shown as `delivering` and `delivered`. A listing by
    /// state filters on these, so forward mode's events are listed as the stats count them.
    pub fn stored_names(self) -> &'static [&'static str] {
        match self {
            Self::Pending => &["pending"],
            Self::Delivering => &["delivering", "claimed"],
            Self::Delivered => &["delivered", "done"],
            Self::Dead => &["dead"],
        }
    }

    /// Reads a stored state ([`DeliveryState::stored_names`]).
    ///
    /// ```
    /// use digivault_webhooks::receiver::DeliveryState;
    /// assert_eq!(DeliveryState::from_stored("done"), Some(DeliveryState::Delivered));
    /// assert_eq!(DeliveryState::from_stored("claimed"), Some(DeliveryState::Delivering));
    /// assert_eq!(DeliveryState::from_stored("dead"), Some(DeliveryState::Dead));
    /// assert_eq!(DeliveryState::from_stored("lost"), None);
    /// ```
    pub fn from_stored(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|state| state.stored_names().contains(&text))
    }
}

/// The delivery columns of one stored event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts started so far (since the last replay).
    pub attempt_count: u32,
    /// When the next attempt is due (`Pending` only).
    pub next_attempt_at: Option<u64>,
    /// When a running attempt counts as lost (`Delivering` only).
    pub lease_until: Option<u64>,
    /// When the row may be deleted.
    pub expires_at: u64,
}

/// How long rows are kept once settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// After delivery (`DEDUP_TTL_SECONDS`, ms): repeats stay duplicates this long.
    pub delivered_ms: u64,
    /// After death (`DEAD_LETTER_TTL_SECONDS`, ms).
    pub dead_ms: u64,
}

/// Why a transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Replay of an event that is pending or delivering (409).
    NotSettled,
    /// An attempt started on an event that is not due, or finished on one not delivering.
    WrongState,
}

impl Delivery {
    /// A freshly stored event: pending, its first attempt due at once.
    pub fn stored(now_ms: u64) -> Self {
        Self {
            state: DeliveryState::Pending,
            attempt_count: 0,
            next_attempt_at: Some(now_ms),
            lease_until: None,
            expires_at: NEVER_MS,
        }
    }

    /// Whether an attempt should start now: pending and due, or delivering with a lease
    /// that ran out (its attempt was lost and counts as failed; see [`Delivery::lost`]).
    pub fn is_due(&self, now_ms: u64) -> bool {
        match self.state {
            DeliveryState::Pending => self.next_attempt_at.is_none_or(|at| at <= now_ms),
            DeliveryState::Delivering => self.lease_until.is_none_or(|until| until <= now_ms),
            DeliveryState::Delivered | DeliveryState::Dead => false,
        }
    }

    /// Starts an attempt: delivering, leased for `lease_ms`, one more attempt counted.
    pub fn begin(self, now_ms: u64, lease_ms: u64) -> Result<Self, Refused> {
        if self.state != DeliveryState::Pending || !self.is_due(now_ms) {
            return Err(Refused::WrongState);
        }
        Ok(Self {
            state: DeliveryState::Delivering,
            attempt_count: self.attempt_count.saturating_add(1),
            next_attempt_at: None,
            lease_until: Some(now_ms.saturating_add(lease_ms)),
            expires_at: NEVER_MS,
        })
    }

    /// Ends the running attempt with the origin's answer.
    ///
    /// `jitter` is a uniform random u32 from the caller (see [`RetryPolicy::after_failure`]).
    pub fn finish(
        self,
        result: OriginResult,
        retry_after_ms: Option<u64>,
        now_ms: u64,
        jitter: u32,
        policy: &RetryPolicy,
        keep: Retention,
    ) -> Result<Self, Refused> {
        if self.state != DeliveryState::Delivering {
            return Err(Refused::WrongState);
        }
        if matches!(result, OriginResult::Status(status) if (200..300).contains(&status)) {
            return Ok(Self::settled(
                DeliveryState::Delivered,
                self.attempt_count,
                now_ms.saturating_add(keep.delivered_ms),
            ));
        }
        Ok(
            match policy.after_failure(self.attempt_count, result, retry_after_ms, now_ms, jitter) {
                NextAttempt::At(at) => Self {
                    state: DeliveryState::Pending,
                    attempt_count: self.attempt_count,
                    next_attempt_at: Some(at),
                    lease_until: None,
                    expires_at: NEVER_MS,
                },
                NextAttempt::Dead => Self::settled(
                    DeliveryState::Dead,
                    self.attempt_count,
                    now_ms.saturating_add(keep.dead_ms),
                ),
            },
        )
    }

    /// A delivering event whose lease ran out: its attempt was lost with the object that ran
    /// it. The origin may have received it, so it counts as a failed attempt (no answer)
    /// and follows the schedule like any other failure.
    pub fn lost(
        self,
        now_ms: u64,
        jitter: u32,
        policy: &RetryPolicy,
        keep: Retention,
    ) -> Result<Self, Refused> {
        if self.state != DeliveryState::Delivering || !self.is_due(now_ms) {
            return Err(Refused::WrongState);
        }
        self.finish(
            OriginResult::Unreachable,
            None,
            now_ms,
            jitter,
            policy,
            keep,
        )
    }

    /// An operator's replay: a dead or delivered event goes back to pending, due now, with
    /// a fresh schedule. A pending or delivering one is refused (it is being delivered).
    pub fn replay(self, now_ms: u64) -> Result<Self, Refused> {
        match self.state {
            DeliveryState::Dead | DeliveryState::Delivered => Ok(Self::stored(now_ms)),
            DeliveryState::Pending | DeliveryState::Delivering => Err(Refused::NotSettled),
        }
    }

    fn settled(state: DeliveryState, attempt_count: u32, expires_at: u64) -> Self {
        Self {
            state,
            attempt_count,
            next_attempt_at: None,
            lease_until: None,
            expires_at: expires_at.min(NEVER_MS),
        }
    }

    /// When this row next needs the object's alarm: its attempt, its lease end or its
    /// expiry, whichever comes first.
    pub fn wake_at(&self) -> u64 {
        let step = match self.state {
            DeliveryState::Pending => self.next_attempt_at,
            DeliveryState::Delivering => self.lease_until,
            DeliveryState::Delivered | DeliveryState::Dead => None,
        };
        step.map_or(self.expires_at, |at| at.min(self.expires_at))
    }
}
