//! The delivery ledger's state machine (`receiver::ledger`: claim, done, release, lookup,
//! the expiry alarm) on its reference store, against the model in
//! `receiver::ledger::model`: arbitrary sequences over 8 event ids, 3 bodies, clock steps
//! past leases and TTLs, alarms; leases and TTLs from 0 to ~65 s.
//!
//! Asserts `model::check` finds no difference: one claim winner while a lease runs; `Done`
//! for the TTL after a done mark; a different body is a `Conflict`; a stale token never
//! releases a newer claim; tokens grow; the alarm never changes an answer and leaves no
//! expired row.
#![no_main]

use digivault_webhooks::receiver::ledger::model::{check, ModelOp};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Op {
    Claim(u8, u8),
    Done(u8, u8),
    Release(u8, u8),
    Lookup(u8),
    Advance(u16),
    Sleep(u8),
    Alarm,
}

#[derive(Debug, Arbitrary)]
struct Input {
    lease_ms: u16,
    ttl_ms: u16,
    ops: Vec<Op>,
}

fuzz_target!(|input: Input| {
    let ops: Vec<ModelOp> = input
        .ops
        .iter()
        .take(256)
        .map(|op| match *op {
            Op::Claim(id, body) => ModelOp::Claim { id: id % 8, body: body % 3 },
            Op::Done(id, body) => ModelOp::Done { id: id % 8, body: body % 3 },
            Op::Release(id, nth) => ModelOp::Release { id: id % 8, nth },
            Op::Lookup(id) => ModelOp::Lookup { id: id % 8 },
            Op::Advance(ms) => ModelOp::Advance { ms: u32::from(ms) },
            Op::Sleep(steps) => ModelOp::Advance { ms: u32::from(steps) * 1_000 },
            Op::Alarm => ModelOp::Alarm,
        })
        .collect();
    if let Err(broken) = check(u64::from(input.lease_ms), u64::from(input.ttl_ms), &ops) {
        panic!("{broken}");
    }
});
