//! What this isolate remembers between requests: the ids it is forwarding and the ids it
//! forwarded recently ([`LocalDedup`]).

use std::cell::RefCell;

use worker::Date;

use crate::receiver::{LocalDedup, Seen};

thread_local! {
    /// Event ids this isolate is forwarding or recently forwarded: makes concurrent
    /// deliveries exact within one isolate in KV mode, and answers repeats known done
    /// without a round trip in ledger mode.
    static LOCAL: RefCell<Option<LocalDedup>> = const { RefCell::new(None) };
}

/// Runs `f` on this isolate's [`LocalDedup`], created on first use.
pub fn local<T>(dedup_ttl_seconds: u64, f: impl FnOnce(&mut LocalDedup) -> T) -> T {
    LOCAL.with(|cell| {
        let mut cell = cell.borrow_mut();
        f(cell.get_or_insert_with(|| LocalDedup::new(dedup_ttl_seconds)))
    })
}

/// Milliseconds now, for [`LocalDedup`].
pub fn now_ms() -> u64 {
    Date::now().as_millis()
}

/// This isolate's claim on an event id, released on drop (also when the request future
/// is dropped early).
pub struct Claim {
    key: String,
    token: u64,
    dedup_ttl_seconds: u64,
}

impl Claim {
    /// Claims `key` in this isolate, or says why not.
    pub fn take(key: &str, dedup_ttl_seconds: u64) -> Result<Self, Seen> {
        let token = local(dedup_ttl_seconds, |local| local.claim(key, now_ms()))?;
        Ok(Self {
            key: key.to_owned(),
            token,
            dedup_ttl_seconds,
        })
    }

    /// Remembers the id as forwarded, before the claim is released.
    pub fn mark_done(&self) {
        local(self.dedup_ttl_seconds, |local| {
            local.mark_done(&self.key, now_ms())
        });
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        local(self.dedup_ttl_seconds, |local| {
            local.release(&self.key, self.token)
        });
    }
}
