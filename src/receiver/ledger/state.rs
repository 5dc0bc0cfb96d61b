//! The state machine of one ledger object: what a request finds in the row of its id,
//! what it answers and how the row changes. The object runs these functions between its
//! SQL read and write, with no `await` in between, so each decision is atomic.

use serde::{Deserialize, Serialize};

use super::protocol::{
    reply_json, ClaimReply, ClaimRequest, DoneRequest, LedgerRequest, LookupReply, ReleaseRequest,
};

/// The alarm never fires more often than this to delete expired rows: a row may outlive
/// its expiry by this much (it counts as absent meanwhile), and a busy shard runs at most
/// one expiry alarm per second instead of one per id.
pub const EXPIRY_BATCH_MS: i64 = 1_000;

/// Where an id stands (the `state` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RowState {
    /// A delivery is forwarding it (until `lease_until`).
    Claimed,
    /// The origin answered 2xx.
    Done,
    /// Durable mode's rows (`pending`, `delivering`, `delivered`, `dead`): stored, and
    /// delivered by the ledger itself, so a forward-mode claim (after a switch back to
    /// forward) finds the event done.
    #[serde(
        alias = "pending",
        alias = "delivering",
        alias = "delivered",
        alias = "dead"
    )]
    Stored,
}

impl RowState {
    /// Reads the `state` column (durable mode's states are [`RowState::Stored`]).
    ///
    /// ```
    /// use digivault_webhooks::receiver::ledger::RowState;
    /// assert_eq!(RowState::from_stored("done"), Some(RowState::Done));
    /// assert_eq!(RowState::from_stored("dead"), Some(RowState::Stored));
    /// assert_eq!(RowState::from_stored("other"), None);
    /// ```
    pub fn from_stored(value: &str) -> Option<Self> {
        match value {
            "claimed" => Some(Self::Claimed),
            "done" => Some(Self::Done),
            "stored" | "pending" | "delivering" | "delivered" | "dead" => Some(Self::Stored),
            _ => None,
        }
    }

    /// The value stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Claimed => "claimed",
            Self::Done => "done",
            Self::Stored => "stored",
        }
    }
}

/// One row of the `events` table, as far as forward mode uses it. Times are Unix ms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRow {
    /// The event id (primary key).
    pub id: String,
    /// Lowercase hex SHA-256 of the body first claimed.
    pub body_sha256: String,
    /// Claimed or done.
    pub state: RowState,
    /// When the row was first written.
    pub received_at: i64,
    /// End of a claim's lease; `None` once done.
    pub lease_until: Option<i64>,
    /// After this the row counts as absent and the alarm deletes it.
    pub expires_at: i64,
}

/// How a request changes the id's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Nothing to write.
    Keep,
    /// Insert or replace the row.
    Put(LedgerRow),
}

/// Whether a row still counts at `now_ms`: within its expiry, and for a claim within its
/// lease. A claim whose lease ended was abandoned (its Worker died): a new claim replaces it.
pub fn is_live(row: &LedgerRow, now_ms: i64) -> bool {
    if row.expires_at <= now_ms {
        return false;
    }
    match row.state {
        RowState::Claimed => row.lease_until.is_some_and(|until| until > now_ms),
        RowState::Done | RowState::Stored => true,
    }
}

fn later(now_ms: i64, duration_ms: u64) -> i64 {
    now_ms.saturating_add(i64::try_from(duration_ms).unwrap_or(i64::MAX))
}

/// A claim: one winner while the id is neither done nor claimed; a different body than the
/// one stored is a conflict, whatever the state.
///
/// ```
/// use digivault_webhooks::receiver::ledger::{claim, ClaimReply, ClaimRequest, Change};
/// let request = ClaimRequest { id: "evt_1".into(), body_sha256: "ab".repeat(32), lease_ms: 30_000, done_ttl_ms: 60_000, event_type: None };
/// let (reply, change) = claim(None, &request, 1_000);
/// assert_eq!(reply, ClaimReply::Claimed { token: 31_000 });
/// let Change::Put(row) = change else { unreachable!() };
/// let (again, _) = claim(Some(&row), &request, 2_000);
/// assert_eq!(again, ClaimReply::InFlight { lease_until: 31_000 });
/// ```
pub fn claim(row: Option<&LedgerRow>, request: &ClaimRequest, now_ms: i64) -> (ClaimReply, Change) {
    if let Some(row) = row.filter(|row| is_live(row, now_ms)) {
        let reply = if row.body_sha256 != request.body_sha256 {
            ClaimReply::Conflict {
                stored_sha256: row.body_sha256.clone(),
            }
        } else {
            match row.state {
                RowState::Done | RowState::Stored => ClaimReply::Done,
                RowState::Claimed => ClaimReply::InFlight {
                    lease_until: row.lease_until.unwrap_or(now_ms),
                },
            }
        };
        return (reply, Change::Keep);
    }
    // A lease of at least 1 ms, and a token above the replaced claim's, so that the
    // replaced holder's late `release` cannot remove this claim.
    let mut lease_until = later(now_ms, request.lease_ms.max(1));
    if let Some(old) = row.and_then(|row| row.lease_until) {
        lease_until = lease_until.max(old.saturating_add(1));
    }
    let fresh = LedgerRow {
        id: request.id.clone(),
        body_sha256: request.body_sha256.clone(),
        state: RowState::Claimed,
        received_at: now_ms,
        lease_until: Some(lease_until),
        expires_at: later(now_ms, request.done_ttl_ms).max(lease_until),
    };
    (
        ClaimReply::Claimed { token: lease_until },
        Change::Put(fresh),
    )
}

/// Marks the id done after the origin's 2xx, whatever the row holds: the event reached
/// the origin (also when the claim's lease ran out meanwhile).
pub fn done(row: Option<&LedgerRow>, request: &DoneRequest, now_ms: i64) -> Change {
    Change::Put(LedgerRow {
        id: request.id.clone(),
        body_sha256: request.body_sha256.clone(),
        state: RowState::Done,
        // The claim's reception time; an expired row is forgotten (as the alarm would).
        received_at: row
            .filter(|row| is_live(row, now_ms))
            .map_or(now_ms, |row| row.received_at),
        lease_until: None,
        expires_at: later(now_ms, request.done_ttl_ms),
    })
}

/// Releases the claim holding `token`; a claim taken over since, or a done id, stays.
///
/// The row stays too, with its lease ended at `now_ms` (it counts as absent, the alarm
/// deletes it), so that the next claim's token is at least this one.
pub fn release(row: Option<&LedgerRow>, request: &ReleaseRequest, now_ms: i64) -> Change {
    match row {
        Some(row) if row.state == RowState::Claimed && row.lease_until == Some(request.token) => {
            Change::Put(LedgerRow {
                lease_until: Some(request.token.min(now_ms)),
                ..row.clone()
            })
        }
        _ => Change::Keep,
    }
}

/// When the alarm should fire after an alarm run: at the earliest expiry, but no sooner
/// than [`EXPIRY_BATCH_MS`] from now. `None`: nothing left to expire.
pub fn next_alarm(earliest_expiry: Option<i64>, now_ms: i64) -> Option<i64> {
    earliest_expiry.map(|at| at.max(now_ms.saturating_add(EXPIRY_BATCH_MS)))
}

/// After a write of a row expiring at `expires_at`: the alarm time to set, when the armed
/// one (`armed`) is absent or later.
pub fn rearm_for(armed: Option<i64>, expires_at: i64) -> Option<i64> {
    match armed {
        Some(at) if at <= expires_at => None,
        _ => Some(expires_at),
    }
}

/// A ledger object's storage, as the state machine needs it. The object implements it on
/// SQLite (synchronous calls: nothing can interleave between a read and its write);
/// [`MemoryLedger`](super::MemoryLedger) on a map, for tests.
pub trait LedgerStore {
    /// A storage failure.
    type Error;
    /// The row of an id.
    fn row(&mut self, id: &str) -> Result<Option<LedgerRow>, Self::Error>;
    /// Applies a change.
    fn apply(&mut self, change: &Change) -> Result<(), Self::Error>;
    /// Deletes every row expired at `now_ms`; returns how many.
    fn delete_expired(&mut self, now_ms: i64) -> Result<usize, Self::Error>;
    /// The earliest `expires_at` of any row.
    fn earliest_expiry(&mut self) -> Result<Option<i64>, Self::Error>;
}

/// What the object answers, and the expiry of the row it wrote (to arm the alarm).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// The JSON reply body.
    pub reply: String,
    /// `expires_at` of the row written, if any.
    pub wrote_expiry: Option<i64>,
}

/// Runs one request against a store: read, decide, write, all without yielding.
pub fn handle<S: LedgerStore>(
    store: &mut S,
    request: &LedgerRequest,
    now_ms: i64,
) -> Result<Handled, S::Error> {
    let (reply, change) = match request {
        LedgerRequest::Claim(request) => {
            let row = store.row(&request.id)?;
            let (reply, change) = claim(row.as_ref(), request, now_ms);
            (reply_json(&reply), change)
        }
        LedgerRequest::Done(request) => {
            let row = store.row(&request.id)?;
            ("{}".to_owned(), done(row.as_ref(), request, now_ms))
        }
        LedgerRequest::Release(request) => {
            let row = store.row(&request.id)?;
            ("{}".to_owned(), release(row.as_ref(), request, now_ms))
        }
        LedgerRequest::Lookup(request) => {
            let row = store.row(&request.id)?;
            let live = row.as_ref().is_some_and(|row| is_live(row, now_ms));
            (reply_json(&LookupReply { row, live }), Change::Keep)
        }
    };
    store.apply(&change)?;
    let wrote_expiry = match &change {
        Change::Put(row) => Some(row.expires_at),
        _ => None,
    };
    Ok(Handled {
        reply,
        wrote_expiry,
    })
}

/// The alarm's run: deletes the expired rows and says when to fire next.
pub fn expire<S: LedgerStore>(store: &mut S, now_ms: i64) -> Result<Option<i64>, S::Error> {
    store.delete_expired(now_ms)?;
    Ok(next_alarm(store.earliest_expiry()?, now_ms))
}
