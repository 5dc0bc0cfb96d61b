//! `digivault-webhooks listen`, the ops script's part (platform I/O around
//! [`crate::receiver::listen`]): `GET /listen` (forwarded verbatim by the webhook script)
//! checked, then handed to the [`hub::ListenHub`] Durable Object (binding `LISTEN`, one object
//! for every listener name), which answers the upgrade; and the webhook script's publish
//! notice ([`LISTEN_EVENT_PATH`]), stored and sent by the hub.

pub mod hub;

use worker::js_sys::Reflect;
use worker::wasm_bindgen::JsValue;
use worker::{Env, ObjectNamespace, Request, Response};

use super::super::var;
use crate::receiver::listen::{
    listen_request, PublishReply, LISTEN_ORIGIN, PUBLISH_NO_LISTENER_STATUS, PUBLISH_OP,
};
use crate::receiver::{query_of, AdminToken, Reply};

/// The webhook script's notice of a new verified event: one [`EventMeta`] frame
/// (`crate::receiver::listen::EventMeta::frame`) in, a `PublishReply` out. Reachable only
/// through the `OPS` binding (the webhook script never forwards `/internal/...`).
///
/// [`EventMeta`]: crate::receiver::listen::EventMeta
pub const LISTEN_EVENT_PATH: &str = "/internal/listen/event";
/// The listen hub's Durable Object namespace (class `ListenHub`).
const LISTEN_BINDING: &str = "LISTEN";
/// The one hub object's name.
const HUB_NAME: &str = "hub";

/// The hub's namespace, `None` when `LISTEN` is not bound (or is not a namespace).
fn hub_binding(env: &Env) -> Option<ObjectNamespace> {
    let bound = Reflect::get(env.as_ref(), &JsValue::from_str(LISTEN_BINDING))
        .is_ok_and(|value| !value.is_undefined());
    bound
        .then(|| env.durable_object(LISTEN_BINDING).ok())
        .flatten()
}

fn hub_stub(hub: &ObjectNamespace) -> Option<worker::Stub> {
    hub.id_from_name(HUB_NAME).and_then(|id| id.get_stub()).ok()
}

/// `GET /listen`: the checks of [`listen_request`] (404, 401, 400, 426), then the request
/// goes as it is to the hub, which answers the upgrade (101). The tokens are read here
/// (`LISTEN_TOKEN`, `ADMIN_TOKEN`): the ops script needs no webhook secret.
pub async fn connect(req: Request, env: &Env) -> Result<Response, Reply> {
    let hub = hub_binding(env);
    let listen = AdminToken::from_named_var("LISTEN_TOKEN", var(env, "LISTEN_TOKEN"));
    let admin = AdminToken::from_var(var(env, "ADMIN_TOKEN"));
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
    let stub = hub
        .as_ref()
        .and_then(hub_stub)
        .ok_or_else(Reply::listen_unavailable)?;
    stub.fetch_with_request(req)
        .await
        .map_err(|_| Reply::listen_unavailable())
}

/// The publish notice: the frame goes to the hub's publish op; its answer comes back as a
/// status ([`PublishReply::status`]: 200 stored, 204 nobody registered) with the hub's JSON.
/// Without `LISTEN` (or `LISTEN_TOKEN`) there is nobody to store for: 204.
pub async fn publish(mut req: Request, env: &Env) -> worker::Result<Response> {
    let listening = var(env, "LISTEN_TOKEN").is_some_and(|token| !token.trim().is_empty());
    let stub = hub_binding(env).as_ref().and_then(hub_stub);
    let (true, Some(stub)) = (listening, stub) else {
        return Ok(Response::empty()?.with_status(PUBLISH_NO_LISTENER_STATUS));
    };
    let body = req.bytes().await?;
    let url = format!("{LISTEN_ORIGIN}{PUBLISH_OP}");
    let text = super::super::ledger_client::post(&stub, &url, &body)
        .await
        .map_err(worker::Error::RustError)?;
    let reply: PublishReply =
        serde_json::from_str(&text).map_err(|err| worker::Error::RustError(err.to_string()))?;
    // A 204 has no body.
    match reply.status() {
        PUBLISH_NO_LISTENER_STATUS => {
            Ok(Response::empty()?.with_status(PUBLISH_NO_LISTENER_STATUS))
        }
        status => Ok(Response::ok(text)?.with_status(status)),
    }
}
