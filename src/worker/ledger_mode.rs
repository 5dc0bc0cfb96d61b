//! Ledger mode (`LEDGER` bound): the `EventLedger` object that owns the id decides, for
//! every isolate and location; only its claim winner forwards.

use std::future::Future;

use std::time::Duration;

use futures_util::future::{join, select, Either};
use futures_util::pin_mut;
use worker::{Delay, KvStore, ObjectNamespace};

use super::forward::Sent;
use super::ledger_client::{ask, ledger_object, JsReply, LedgerObject};
use super::local::{local, now_ms};
use super::webhook::Delivery;
use crate::receiver::ledger::{
    lease_ms, shard_name, ClaimReply, ClaimRequest, DoneRequest, LedgerRequest, ReleaseRequest,
};
use crate::receiver::{LogLine, Outcome, Reply, Seen};

/// How long the `done:` read in KV (ids forwarded before the switch) may take: well within
/// the lease's margin ([`LEASE_MARGIN_MS`](crate::receiver::ledger::LEASE_MARGIN_MS)).
const KV_READ_TIMEOUT_MS: u64 = 2_000;

/// Claims the id in the ledger, forwards (through `forward`) when this delivery won the
/// claim, then marks the id done (after a 2xx) or releases it.
///
/// `kv`, when `DEDUP` is bound too, is read for the id's `done:` key alongside the claim:
/// an id forwarded in KV mode, before the switch, stays a duplicate.
pub async fn deliver(
    ledger: &ObjectNamespace,
    kv: Option<&KvStore>,
    delivery: &Delivery<'_>,
    forward: impl Future<Output = Sent>,
    log: &mut LogLine,
) -> Result<Reply, Reply> {
    let receiver = delivery.receiver;
    let settings = receiver.settings();
    let id = &delivery.accepted.event.id;
    let body_sha256 = &delivery.body_sha256;
    let ttl_seconds = settings.dedup_ttl_seconds;
    let duplicate = || Reply::status(Outcome::Duplicate);
    // This isolate answers only a repeat it knows done with this very body; it never
    // claims by itself.
    let cache_key = format!("{}#{body_sha256}", delivery.keys.done);
    if local(ttl_seconds, |local| local.check(&cache_key, now_ms())) == Some(Seen::Done) {
        return Ok(duplicate());
    }
    let remember_done = || local(ttl_seconds, |local| local.mark_done(&cache_key, now_ms()));

    let stub = match stub_for(ledger, id) {
        Ok(stub) => stub,
        Err(err) => {
            log.ledger_error("claim", &err);
            return Err(Reply::ledger_unavailable());
        }
    };
    let done_ttl_ms = ttl_seconds.saturating_mul(1000);
    let claim = LedgerRequest::Claim(ClaimRequest {
        id: id.clone(),
        body_sha256: body_sha256.clone(),
        lease_ms: lease_ms(settings.forward_timeout_ms),
        done_ttl_ms,
        event_type: Some(delivery.accepted.event.event_type.as_str().to_owned()),
    });
    // KV only while markers from before the switch can still exist (LEDGER_SINCE).
    let kv = kv.filter(|_| settings.reads_kv_done(now_ms() / 1000));
    let (claimed, kv_done) = join(call(&stub, &claim), kv_done(kv, &delivery.keys.done)).await;
    let token = match claimed.and_then(|reply| read_claim(&reply)) {
        Err(err) => {
            log.ledger_error("claim", &err);
            return Err(Reply::ledger_unavailable());
        }
        Ok(ClaimReply::Done) => {
            remember_done();
            return Ok(duplicate());
        }
        Ok(ClaimReply::InFlight { .. }) => return Err(receiver.in_flight()),
        Ok(ClaimReply::Conflict { stored_sha256 }) => {
            log.conflict(body_sha256, &stored_sha256);
            return Err(Reply::conflicting_duplicate());
        }
        Ok(ClaimReply::Claimed { token }) => token,
    };
    let mark_done = LedgerRequest::Done(DoneRequest {
        id: id.clone(),
        body_sha256: body_sha256.clone(),
        done_ttl_ms,
    });
    match kv_done {
        // Forwarded in KV mode before the ledger was bound: record it in the ledger.
        Some(Ok(Some(_))) => {
            if let Err(err) = call(&stub, &mark_done).await {
                log.ledger_error("done", &err);
            }
            remember_done();
            return Ok(duplicate());
        }
        // KV only helps the switch; the ledger's claim decides.
        Some(Err(err)) => log.kv_error("read", &err),
        _ => {}
    }

    let (reply, done) = delivery.finish(forward.await, log);
    if done {
        remember_done();
        // A failure here still answers 200: a 503 would make DigiVault deliver again,
        // which the ledger would then forward a second time.
        if let Err(err) = call(&stub, &mark_done).await {
            log.ledger_error("done", &err);
        }
    } else {
        let release = LedgerRequest::Release(ReleaseRequest {
            id: id.clone(),
            token,
        });
        // On failure the lease simply runs out before DigiVault's first retry.
        if let Err(err) = call(&stub, &release).await {
            log.ledger_error("release", &err);
        }
    }
    Ok(reply)
}

/// The id's `done:` key in KV (`None` without `DEDUP`): an id forwarded in KV mode, before
/// the ledger was bound. Bounded, so that a slow KV read cannot eat the lease's margin
/// before the forward.
pub(super) async fn kv_done(
    kv: Option<&KvStore>,
    done_key: &str,
) -> Option<Result<Option<String>, String>> {
    let read = kv?.get(done_key).text();
    let bound = Delay::from(Duration::from_millis(KV_READ_TIMEOUT_MS));
    pin_mut!(read, bound);
    Some(match select(read, bound).await {
        Either::Left((result, _)) => result.map_err(|err| err.to_string()),
        Either::Right(_) => Err(format!("no answer within {KV_READ_TIMEOUT_MS} ms")),
    })
}

fn stub_for(ledger: &ObjectNamespace, id: &str) -> Result<LedgerObject, String> {
    ledger_object(ledger, &shard_name(id))
}

/// One request to the object; any failure (a rejection) is an error.
async fn call(stub: &LedgerObject, request: &LedgerRequest) -> Result<String, String> {
    ask(stub, request.op(), request.body().as_bytes()).await
}

fn read_claim(reply: &str) -> Result<ClaimReply, String> {
    JsReply::parse(reply).and_then(|fields| {
        ClaimReply::read(&fields).map_err(|err| format!("unreadable ledger reply: {err}"))
    })
}
