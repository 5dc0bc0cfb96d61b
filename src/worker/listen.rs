//! `digivault-webhooks listen`, the webhook script's part: each NEW verified event (the
//! claim or store winner only) is handed to the ops script's listen hub with one call,
//! `POST https://ops/internal/listen/event` (an [`EventMeta`] frame) through `OPS`. In
//! forward and durable modes after DigiVault has its answer ([`publish_later`]); in the
//! development mode (no `FORWARD_URL`) the publish is the delivery ([`publish_now`]).

use std::time::Duration;

use worker::{console_error, Context, Delay, Env, Request};

use super::forward::Sent;
use crate::receiver::listen::{EventMeta, PUBLISH_NO_LISTENER_STATUS, PUBLISH_STORED_STATUS};
use crate::receiver::{Accepted, OriginResult, Outcome, Reply};

/// The ops script's path for the notice (`src/worker/ops/listen`).
const LISTEN_EVENT_URL: &str = "https://ops/internal/listen/event";
/// Delays before the second and third publish attempts (forward and durable modes, after
/// DigiVault has its answer).
const RETRY_DELAYS_MS: [u64; 2] = [250, 2_000];

/// What the hub needs of a verified event.
pub(crate) fn event_meta(
    accepted: &Accepted,
    content_type: Option<&str>,
    now_ms: u64,
) -> EventMeta {
    EventMeta {
        id: accepted.event.id.clone(),
        event_type: accepted.event.event_type.as_str().to_owned(),
        received_at: now_ms,
        content_type: content_type.map(str::to_owned),
        signature_header: accepted.signature_header.to_owned(),
        signature: accepted.signature.clone(),
    }
}

/// One publish through the ops script: whether the event is stored for at least one
/// listener (or was before), or why there is no answer. Only the status is read.
async fn publish_once(env: &Env, framed: &[u8]) -> Result<bool, String> {
    let init = worker::web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&worker::js_sys::Uint8Array::from(framed));
    let request = worker::web_sys::Request::new_with_str_and_init(LISTEN_EVENT_URL, &init)
        .map_err(|err| worker::Error::from(err).to_string())?;
    let request = Request::from(request);
    // Both scripts built into one (every Worker feature): the ops side answers in-process.
    #[cfg(feature = "worker-ops")]
    let response = super::ops::listen::publish(request, env).await;
    #[cfg(not(feature = "worker-ops"))]
    let response = match env.service(super::webhook::OPS_BINDING) {
        Ok(ops) => ops.fetch_request(request).await,
        Err(err) => Err(err),
    };
    let status = response.map_err(|err| err.to_string())?.status_code();
    match status {
        PUBLISH_STORED_STATUS => Ok(true),
        PUBLISH_NO_LISTENER_STATUS => Ok(false),
        status => Err(format!("the ops script answered {status}")),
    }
}

/// Development mode: the publish IS the delivery, awaited before DigiVault's answer. Told as
/// an origin's result would be: 202 when stored for at least one listener (or before), 503
/// when no listener is registered, unreachable when the hub failed.
pub(crate) async fn publish_now(env: &Env, meta: &EventMeta, body: &[u8]) -> Sent {
    let (result, detail) = match publish_once(env, &meta.frame(body)).await {
        Ok(false) => (OriginResult::Status(503), None),
        Ok(true) => (OriginResult::Status(202), None),
        Err(err) => (OriginResult::Unreachable, Some(err)),
    };
    Sent {
        result,
        detail,
        retry_after: None,
        response: None,
    }
}

/// The development mode's reply from the ledger's or KV's outcome of [`publish_now`]: 202
/// once stored for the listeners, `NO_LISTENER` or `LISTEN_UNAVAILABLE` (both 503, so
/// that DigiVault delivers again) otherwise; duplicates and in-flight replies unchanged.
pub(crate) fn development_reply(reply: Reply) -> Reply {
    match (reply.outcome, reply.origin_status) {
        (Outcome::Forwarded, _) => Reply::accepted(),
        (Outcome::OriginError, Some(503)) => Reply::no_listener(),
        (Outcome::OriginError | Outcome::OriginTimeout, _) => Reply::listen_unavailable(),
        _ => reply,
    }
}

/// Forward and durable modes: hands the event to the hub after DigiVault has its answer
/// (`ctx.wait_until`). Retried twice; a publish that still fails is logged as an error
/// naming the event id (the origin has the event; only the listeners miss it).
pub(crate) fn publish_later(ctx: &Context, env: &Env, meta: EventMeta, body: Vec<u8>) {
    let env = env.clone();
    ctx.wait_until(async move {
        let framed = meta.frame(&body);
        let mut last = String::new();
        for attempt in 0..=RETRY_DELAYS_MS.len() {
            if let Some(delay) = attempt.checked_sub(1).and_then(|i| RETRY_DELAYS_MS.get(i)) {
                Delay::from(Duration::from_millis(*delay)).await;
            }
            match publish_once(&env, &framed).await {
                Ok(_) => return,
                Err(err) => last = err,
            }
        }
        // Escaped by serde_json (the id and the error are arbitrary text).
        let quote = |text: &str| serde_json::to_string(text).unwrap_or_default();
        let line = format!(
            r#"{{"level":"error","message":"listen_publish_failed","event_id":{},"detail":{}}}"#,
            quote(&meta.id),
            quote(&last)
        );
        console_error!("{line}");
    });
}
