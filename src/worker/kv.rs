//! KV mode (no `LEDGER` bound): deduplication in Workers KV plus this isolate's memory.
//! Exact within one isolate; across isolates and locations best effort (KV has no
//! compare-and-set and its writes take up to 60 s to be seen elsewhere).

use std::future::Future;

use worker::{Date, KvStore};

use super::forward::Sent;
use super::local::{local, now_ms, Claim};
use super::webhook::Delivery;
use crate::receiver::{DedupKeys, DedupState, LogLine, Outcome, Reply, Seen, LEASE_TTL_SECONDS};

/// Decides, forwards (through `forward`, run only when this delivery claimed the id) and
/// records the outcome in KV.
pub async fn deliver(
    kv: &KvStore,
    delivery: &Delivery<'_>,
    forward: impl Future<Output = Sent>,
    log: &mut LogLine,
) -> Result<Reply, Reply> {
    let receiver = delivery.receiver;
    let keys = &delivery.keys;
    let duplicate = || Reply::status(Outcome::Duplicate);
    // This isolate first (no KV round trip), then KV (other isolates and locations), then
    // the claim, which re-checks this isolate synchronously: a delivery that finished or
    // started while KV was being read is seen there.
    let dedup_ttl = receiver.settings().dedup_ttl_seconds;
    match local(dedup_ttl, |local| local.check(&keys.done, now_ms())) {
        Some(Seen::Done) => return Ok(duplicate()),
        Some(_) => return Err(receiver.in_flight()),
        None => {}
    }
    match read_state(kv, keys, log).await.decide() {
        Seen::Done => return Ok(duplicate()),
        Seen::InFlight => return Err(receiver.in_flight()),
        Seen::Forward => {}
    }
    let claim = match Claim::take(&keys.done, dedup_ttl) {
        Ok(claim) => claim,
        Err(Seen::Done) => return Ok(duplicate()),
        Err(_) => return Err(receiver.in_flight()),
    };
    put(kv, &keys.lease, LEASE_TTL_SECONDS, log, "lease_write").await;

    let (reply, done) = delivery.finish(forward.await, log);
    if done {
        claim.mark_done();
        // The lease is left to expire: the done marker wins over it, and deleting it right
        // away would be a second write to the key within a second (a KV limit).
        put(kv, &keys.done, dedup_ttl, log, "done_write").await;
    } else if let Err(err) = kv.delete(&keys.lease).await {
        log.kv_error("lease_delete", &err.to_string());
    }
    Ok(reply)
}

/// Both keys in one bulk read (one KV operation instead of two).
async fn read_state(kv: &KvStore, keys: &DedupKeys, log: &mut LogLine) -> DedupState {
    let mut state = DedupState::default();
    match kv.get_bulk(&[&keys.done, &keys.lease]).text().await {
        Ok(values) => {
            let present = |key: &String| values.get(key).is_some_and(Option::is_some);
            state.done = present(&keys.done);
            state.in_flight = present(&keys.lease);
        }
        Err(err) => {
            state.read_failed = true;
            log.kv_error("read", &err.to_string());
        }
    }
    state
}

async fn put(kv: &KvStore, key: &str, ttl: u64, log: &mut LogLine, operation: &'static str) {
    let now = (Date::now().as_millis() / 1000).to_string();
    // As bytes: `put` takes any `Serialize` value through serde_wasm_bindgen and formats
    // numbers as floats, code the webhook script would carry for a string (docs/performance.md).
    let result = match kv.put_bytes(key, now.as_bytes()) {
        Ok(builder) => builder.expiration_ttl(ttl).execute().await,
        Err(err) => Err(err),
    };
    if let Err(err) = result {
        log.kv_error(operation, &err.to_string());
    }
}
