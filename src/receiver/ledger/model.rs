//! The ledger's guarantee as an executable model, for the property tests and the `ledger`
//! fuzz target: a sequence of operations over a few ids runs through the state machine on
//! a [`MemoryLedger`] and through a plain statement of what each answer must be.
//!
//! What the model states: while a claim's lease runs, no other claim is granted; for the
//! done TTL after a done mark, every claim with the same body is told `Done`; a body other
//! than the one stored is a `Conflict` while the row counts; a release with a stale token
//! never frees a newer claim (tokens of an id grow); the alarm's expiry never changes an answer, and after it no
//! expired row remains.

use std::collections::HashMap;
use std::convert::Infallible;

use super::protocol::{
    ClaimReply, ClaimRequest, DoneRequest, LedgerRequest, LookupReply, LookupRequest,
    ReleaseRequest,
};
use super::state::{expire, handle, LedgerStore, EXPIRY_BATCH_MS};
use super::MemoryLedger;

/// One step of a scenario. Ids and bodies are small numbers (`evt_<n>`, body variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelOp {
    /// A delivery claims `id` with body variant `body`.
    Claim {
        /// Event id number.
        id: u8,
        /// Body variant (a different variant is a different body).
        body: u8,
    },
    /// The origin answered 2xx for `id` with body variant `body`: mark done.
    Done {
        /// Event id number.
        id: u8,
        /// Body variant.
        body: u8,
    },
    /// Release `id` with the `nth` most recent token granted for it (stale when > 0).
    Release {
        /// Event id number.
        id: u8,
        /// Which token, counted back from the newest.
        nth: u8,
    },
    /// Read `id`'s row.
    Lookup {
        /// Event id number.
        id: u8,
    },
    /// The clock moves on.
    Advance {
        /// Milliseconds.
        ms: u32,
    },
    /// The alarm fires (when it is due, in the ledger that runs alarms).
    Alarm,
}

#[derive(Debug, Default, Clone)]
struct Expected {
    hash: String,
    done_until: Option<i64>,
    lease: Option<(i64, i64)>,
    tokens: Vec<i64>,
}

fn hash(body: u8) -> String {
    format!("{:064x}", u64::from(body) + 1)
}

/// The value of a [`MemoryLedger`] call, which cannot fail.
fn sure<T>(result: Result<T, Infallible>) -> T {
    match result {
        Ok(value) => value,
        Err(never) => match never {},
    }
}

/// Two ledgers on the same requests: one runs its alarm, the other never does; their
/// answers must not differ.
#[derive(Default)]
struct Pair {
    with_alarm: MemoryLedger,
    without: MemoryLedger,
    alarm_at: Option<i64>,
}

impl Pair {
    fn send(&mut self, request: &LedgerRequest, now: i64) -> Result<String, String> {
        let first = sure(handle(&mut self.with_alarm, request, now));
        let second = sure(handle(&mut self.without, request, now));
        // A lookup shows an expired row until the alarm deletes it: only its verdict counts.
        let verdict = |reply: &str| {
            serde_json::from_str::<LookupReply>(reply)
                .map(|lookup| lookup.live.then_some(lookup.row))
                .ok()
        };
        let differ = match request {
            LedgerRequest::Lookup(_) => verdict(&first.reply) != verdict(&second.reply),
            _ => first.reply != second.reply,
        };
        if differ {
            return Err(format!(
                "expiry changed an answer to {request:?}: {} vs {}",
                first.reply, second.reply
            ));
        }
        if let Some(expiry) = first.wrote_expiry {
            if let Some(at) = super::rearm_for(self.alarm_at, expiry) {
                self.alarm_at = Some(at);
            }
        }
        Ok(first.reply)
    }

    fn alarm(&mut self, now: i64) -> Result<(), String> {
        if self.alarm_at.is_some_and(|at| at <= now) {
            self.alarm_at = sure(expire(&mut self.with_alarm, now));
            let rows = &self.with_alarm.rows;
            if let Some(left) = rows.values().find(|row| row.expires_at <= now) {
                return Err(format!("expired row left by the alarm: {left:?}"));
            }
            if self.alarm_at.is_some_and(|at| at < now + EXPIRY_BATCH_MS) {
                return Err("alarm re-armed sooner than the batch interval".to_owned());
            }
        }
        // An armed alarm always covers the rows left.
        let earliest = sure(self.with_alarm.earliest_expiry());
        if earliest.is_some() && self.alarm_at.is_none() {
            return Err("rows left with no alarm armed".to_owned());
        }
        Ok(())
    }
}

/// Runs `ops` with a lease of `lease_ms` and a done TTL of `ttl_ms`; `Err` describes the
/// first answer that breaks the model.
pub fn check(lease_ms: u64, ttl_ms: u64, ops: &[ModelOp]) -> Result<(), String> {
    let lease = i64::try_from(lease_ms)
        .map_err(|_| "lease too long")?
        .max(1);
    let ttl = i64::try_from(ttl_ms).map_err(|_| "ttl too long")?;
    let mut ledgers = Pair::default();
    let mut model: HashMap<u8, Expected> = HashMap::new();
    let mut now: i64 = 1_000_000;

    for op in ops {
        match *op {
            ModelOp::Advance { ms } => now = now.saturating_add(i64::from(ms)),
            ModelOp::Alarm => ledgers.alarm(now)?,
            ModelOp::Claim { id, body } => {
                let expected = model.entry(id).or_default();
                let live_done = expected.done_until.is_some_and(|until| until > now);
                let live_claim = expected.lease.is_some_and(|(_, until)| until > now);
                let want = if !(live_done || live_claim) {
                    None
                } else if expected.hash != hash(body) {
                    Some(ClaimReply::Conflict {
                        stored_sha256: expected.hash.clone(),
                    })
                } else if live_done {
                    Some(ClaimReply::Done)
                } else {
                    let until = expected.lease.map_or(0, |(_, until)| until);
                    Some(ClaimReply::InFlight { lease_until: until })
                };
                let request = LedgerRequest::Claim(ClaimRequest {
                    id: format!("evt_{id}"),
                    body_sha256: hash(body),
                    lease_ms,
                    done_ttl_ms: ttl_ms,
                    event_type: None,
                });
                let got: ClaimReply = serde_json::from_str(&ledgers.send(&request, now)?)
                    .map_err(|err| err.to_string())?;
                match (&got, want) {
                    (ClaimReply::Claimed { token }, None) => {
                        // Tokens of an id grow; one may repeat only after its holder
                        // released it within the same millisecond (it will not act again).
                        let previous = expected.tokens.last().copied();
                        if previous.is_some_and(|last| {
                            last > *token || (last == *token && expected.lease.is_some())
                        }) {
                            return Err(format!("token {token} not above the previous one"));
                        }
                        if *token < now + lease {
                            return Err(format!("lease of {token} shorter than asked at {now}"));
                        }
                        expected.tokens.push(*token);
                        expected.lease = Some((*token, *token));
                        expected.done_until = None;
                        expected.hash = hash(body);
                    }
                    (got, Some(want)) if *got == want => {}
                    (got, want) => {
                        return Err(format!(
                            "claim evt_{id} at {now}: got {got:?}, model {want:?}"
                        ))
                    }
                }
            }
            ModelOp::Done { id, body } => {
                let request = LedgerRequest::Done(DoneRequest {
                    id: format!("evt_{id}"),
                    body_sha256: hash(body),
                    done_ttl_ms: ttl_ms,
                });
                ledgers.send(&request, now)?;
                let expected = model.entry(id).or_default();
                expected.done_until = Some(now + ttl);
                expected.lease = None;
                expected.hash = hash(body);
            }
            ModelOp::Release { id, nth } => {
                let expected = model.entry(id).or_default();
                let Some(&token) = expected.tokens.iter().rev().nth(usize::from(nth % 4)) else {
                    continue;
                };
                let request = LedgerRequest::Release(ReleaseRequest {
                    id: format!("evt_{id}"),
                    token,
                });
                ledgers.send(&request, now)?;
                if expected.lease.is_some_and(|(held, _)| held == token) {
                    expected.lease = None;
                }
            }
            ModelOp::Lookup { id } => {
                let expected = model.entry(id).or_default();
                let request = LedgerRequest::Lookup(LookupRequest {
                    id: format!("evt_{id}"),
                });
                let got: LookupReply = serde_json::from_str(&ledgers.send(&request, now)?)
                    .map_err(|err| err.to_string())?;
                let live = expected.done_until.is_some_and(|until| until > now)
                    || expected.lease.is_some_and(|(_, until)| until > now);
                if got.live != live {
                    return Err(format!(
                        "lookup evt_{id} at {now}: live {}, model {live}",
                        got.live
                    ));
                }
            }
        }
    }
    Ok(())
}
