//! `digivault-webhooks listen`, the Worker's part (platform I/O around
//! [`crate::receiver::listen`]): the `/listen` upgrade handed to the [`hub::ListenHub`]
//! Durable Object (binding `LISTEN`, one object for every listener name), and the one
//! publish call through which the webhook path hands each new verified event to it.
//!
//! Ops-side code (the split puts it in the ops script): the hub and [`connect`]. The
//! webhook script keeps only [`publish_later`] and [`publish_now`].

pub mod hub;

use std::time::Duration;

use worker::js_sys::Reflect;
use worker::wasm_bindgen::JsValue;
use worker::{console_error, Context, Delay, Env, ObjectNamespace, Request, Response};

use super::forward::Sent;
use crate::receiver::listen::{listen_request, EventMeta, PublishReply, LISTEN_ORIGIN, PUBLISH_OP};
use crate::receiver::{query_of, Accepted, AdminToken, OriginResult, Reply};

/// The listen hub's Durable Object namespace (class `ListenHub`).
pub(crate) const LISTEN_BINDING: &str = "LISTEN";
/// The one hub object's name.
const HUB_NAME: &str = "hub";
/// Delays before the second and third publish attempts (forward and durable modes, after
/// DigiVault has its answer).
const RETRY_DELAYS_MS: [u64; 2] = [250, 2_000];

/// The hub's namespace, `None` when `LISTEN` is not bound (or is not a namespace).
pub(crate) fn hub_binding(env: &Env) -> Option<ObjectNamespace> {
    let bound = Reflect::get(env.as_ref(), &JsValue::from_str(LISTEN_BINDING))
        .is_ok_and(|value| !value.is_undefined());
    bound
        .then(|| env.durable_object(LISTEN_BINDING).ok())
        .flatten()
}

/// `GET /listen`: the checks of [`listen_request`] (404, 401, 400, 426), then the request
/// goes as it is to the hub, which answers the upgrade (101). The tokens are read from the
/// variables here (not from the receiver's settings), so the ops script needs no webhook secret.
pub(crate) async fn connect(req: Request, env: &Env) -> Result<Response, Reply> {
    let hub = hub_binding(env);
    let listen = AdminToken::from_named_var("LISTEN_TOKEN", super::var(env, "LISTEN_TOKEN"));
    let admin = AdminToken::from_var(super::var(env, "ADMIN_TOKEN"));
    let (Ok(listen), Ok(admin)) = (listen, admin) else {
        return Err(Reply::misconfigured());
    };
    let tokens: Vec<&AdminToken> = listen.iter().chain(admin.iter()).collect();
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let authorization = header("Authorization");
    let upgrade = header("Upgrade");
    let url = req.inner().url();
    listen_request(
        &tokens,
        hub.is_some(),
        authorization.as_deref(),
        upgrade.as_deref(),
        query_of(&url),
    )?;
    let Some(hub) = hub else {
        return Err(Reply::not_found());
    };
    let stub = hub
        .id_from_name(HUB_NAME)
        .and_then(|id| id.get_stub())
        .map_err(|_| Reply::listen_unavailable())?;
    stub.fetch_with_request(req)
        .await
        .map_err(|_| Reply::listen_unavailable())
}

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

/// One publish: the hub's answer, or why there is none.
async fn publish_once(hub: &ObjectNamespace, framed: &[u8]) -> Result<PublishReply, String> {
    let stub = hub
        .id_from_name(HUB_NAME)
        .and_then(|id| id.get_stub())
        .map_err(|err| err.to_string())?;
    let url = format!("{LISTEN_ORIGIN}{PUBLISH_OP}");
    let text = super::ledger_client::post(&stub, &url, framed).await?;
    serde_json::from_slice(text.as_bytes()).map_err(|err| format!("unreadable hub reply: {err}"))
}

/// Development mode: the publish IS the delivery, awaited before DigiVault's answer. The
/// result is told as an origin's would be: 202 when stored for at least one listener (or
/// stored before), 503 when no listener is registered, unreachable when the hub failed.
pub(crate) async fn publish_now(env: &Env, meta: &EventMeta, body: &[u8]) -> Sent {
    let sent = |result, detail| Sent {
        result,
        detail,
        retry_after: None,
        response: None,
    };
    let Some(hub) = hub_binding(env) else {
        return sent(
            OriginResult::Unreachable,
            Some("LISTEN is not bound".to_owned()),
        );
    };
    match publish_once(&hub, &meta.frame(body)).await {
        Ok(PublishReply::Queued { listeners: 0 }) => sent(OriginResult::Status(503), None),
        Ok(_) => sent(OriginResult::Status(202), None),
        Err(err) => sent(OriginResult::Unreachable, Some(err)),
    }
}

/// The development mode's reply from the ledger's or KV's outcome of [`publish_now`]: 202
/// once stored for the listeners, `NO_LISTENER` or `LISTEN_UNAVAILABLE` (both 503, so
/// that DigiVault delivers again) otherwise; duplicates and in-flight replies unchanged.
pub(crate) fn development_reply(reply: Reply) -> Reply {
    use crate::receiver::Outcome;
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
    let Some(hub) = hub_binding(env) else {
        return;
    };
    ctx.wait_until(async move {
        let framed = meta.frame(&body);
        let mut last = String::new();
        for attempt in 0..=RETRY_DELAYS_MS.len() {
            if let Some(delay) = attempt.checked_sub(1).and_then(|i| RETRY_DELAYS_MS.get(i)) {
                Delay::from(Duration::from_millis(*delay)).await;
            }
            match publish_once(&hub, &framed).await {
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
