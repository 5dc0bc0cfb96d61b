//! The Worker's per-isolate deduplication (`LocalDedup`), against a model: arbitrary
//! sequences of claims, releases (current or stale tokens), successes, checks and clock steps
//! over a few event ids.
//!
//! Asserts every answer matches the model, which states the guarantee: while a delivery holds
//! a claim (younger than the lease), no other may claim the id; after a success, no delivery
//! may claim it for the done TTL (forwarded at most once in sequence); a stale token never
//! releases a newer claim.
#![no_main]

use std::collections::HashMap;

use digivault_webhooks::receiver::{LocalDedup, Seen, LEASE_TTL_SECONDS};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Op {
    Claim(u8),
    /// Release `key` with the `nth` most recent token issued for it (a stale one when > 0).
    Release(u8, u8),
    MarkDone(u8),
    Check(u8),
    /// One whole successful delivery: claim, origin 2xx, mark done, release.
    Deliver(u8),
    Advance(u16),
    /// A long pause: past the lease, and maybe past the done TTL.
    Sleep(u8),
}

#[derive(Debug, Arbitrary)]
struct Input {
    ttl_seconds: u8,
    ops: Vec<Op>,
}

#[derive(Default)]
struct Model {
    done_at: Option<u64>,
    claim: Option<(u64, u64)>,
    tokens: Vec<u64>,
}

const LEASE_MS: u64 = LEASE_TTL_SECONDS * 1000;

fn expected(model: &Model, now: u64, ttl_ms: u64) -> Option<Seen> {
    if model.done_at.is_some_and(|at| now - at < ttl_ms) {
        Some(Seen::Done)
    } else if model.claim.is_some_and(|(since, _)| now - since < LEASE_MS) {
        Some(Seen::InFlight)
    } else {
        None
    }
}

fuzz_target!(|input: Input| {
    let ttl_ms = u64::from(input.ttl_seconds) * 1000;
    let mut local = LocalDedup::new(u64::from(input.ttl_seconds));
    let mut models: HashMap<String, Model> = HashMap::new();
    let mut now = 0u64;
    let mut last_token = 0u64;
    let key = |k: u8| format!("done:evt_{}", k % 8);

    for op in input.ops.iter().take(256) {
        match op {
            Op::Advance(ms) => now += u64::from(*ms),
            Op::Sleep(steps) => now += u64::from(*steps) * 10_000,
            Op::Check(k) => {
                let model = models.entry(key(*k)).or_default();
                assert_eq!(local.check(&key(*k), now), expected(model, now, ttl_ms));
            }
            Op::Claim(k) => {
                let model = models.entry(key(*k)).or_default();
                let want = expected(model, now, ttl_ms);
                match local.claim(&key(*k), now) {
                    Ok(token) => {
                        assert_eq!(want, None, "claimed {} while {want:?}", key(*k));
                        assert!(token > last_token, "tokens are fresh");
                        last_token = token;
                        model.claim = Some((now, token));
                        model.tokens.push(token);
                    }
                    Err(seen) => assert_eq!(Some(seen), want),
                }
            }
            Op::Release(k, nth) => {
                let model = models.entry(key(*k)).or_default();
                let Some(&token) = model.tokens.iter().rev().nth(usize::from(*nth) % 4) else {
                    continue;
                };
                local.release(&key(*k), token);
                if model.claim.is_some_and(|(_, held)| held == token) {
                    model.claim = None;
                }
            }
            Op::MarkDone(k) => {
                local.mark_done(&key(*k), now);
                models.entry(key(*k)).or_default().done_at = Some(now);
            }
            Op::Deliver(k) => {
                let model = models.entry(key(*k)).or_default();
                let want = expected(model, now, ttl_ms);
                match local.claim(&key(*k), now) {
                    Ok(token) => {
                        assert_eq!(want, None, "delivered {} while {want:?}", key(*k));
                        last_token = token;
                        local.mark_done(&key(*k), now);
                        local.release(&key(*k), token);
                        model.done_at = Some(now);
                        model.claim = None;
                        model.tokens.push(token);
                        // Forwarded at most once in sequence: the next delivery is a duplicate.
                        let again = local.claim(&key(*k), now);
                        if ttl_ms > 0 {
                            assert_eq!(again, Err(Seen::Done), "forwarded twice: {}", key(*k));
                        } else if let Ok(token) = again {
                            // A zero TTL remembers nothing: undo this extra claim.
                            last_token = token;
                            local.release(&key(*k), token);
                        }
                    }
                    Err(seen) => assert_eq!(Some(seen), want),
                }
            }
        }
    }
});
