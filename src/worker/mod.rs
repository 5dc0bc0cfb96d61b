//! The Cloudflare Worker: platform I/O around [`crate::receiver`], nothing else.
//!
//! Bindings (see `wrangler.toml`): `LEDGER` (the [`ledger::EventLedger`] Durable Object:
//! exact deduplication across isolates and locations) and/or `DEDUP` (Workers KV: required
//! without `LEDGER`, read for older `done:` markers with it), `RATE_LIMITER` (Workers Rate
//! Limiting, optional: it counts failed requests, see [`flood`]), `ASSETS` (static assets
//! from `www/`, optional), plus the variables and secrets listed in
//! [`crate::receiver::VARS`] (read as strings; a TOML number in `[vars]` is read in decimal).

mod admin;
mod body;
mod durable;
mod flood;
mod forward;
mod kv;
pub mod ledger;
mod ledger_client;
mod ledger_mode;
pub mod listen;
mod local;
mod sql_row;

use std::cell::RefCell;
use std::rc::Rc;

use worker::js_sys::Reflect;
use worker::wasm_bindgen::JsValue;
use worker::{
    console_error, console_log, console_warn, event, Context, Date, Env, Headers, KvStore, Method,
    ObjectNamespace, Request, Response,
};

use self::forward::Sent;
use crate::headers::SIGNATURE_HEADERS;
use crate::receiver::ledger::{body_sha256, shard_of};
use crate::receiver::listen::{ReceiverMode, LISTEN_PATH};
use crate::receiver::{
    dedup_keys, forward_headers, op, query_of, Accepted, ConfigError, DedupKeys, DedupStore,
    DeliveryMode, LogLine, OriginResult, Outcome, Receiver, Reply, Route, StoreMeta, StoreReply,
    ADMIN_PREFIX, HEALTH_PATH,
};

/// Workers KV namespace holding the dedup markers and leases (KV mode).
const DEDUP_BINDING: &str = "DEDUP";
/// The delivery ledger's Durable Object namespace (class `EventLedger`).
const LEDGER_BINDING: &str = "LEDGER";
/// Static assets (the debugger page in `www/`).
const ASSETS_BINDING: &str = "ASSETS";

/// Content-Security-Policy of the static pages served through the Worker: same-origin
/// only, WebAssembly allowed, no inline script, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

thread_local! {
    /// The receiver, built once per isolate: variables and secrets do not change while an
    /// isolate lives, and the HMAC key state is computed only here.
    static RECEIVER: RefCell<Option<Rc<Result<Receiver, ConfigError>>>> = const { RefCell::new(None) };
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let started = Date::now().as_millis();
    let mut log = LogLine::default();
    // An address that failed too often is refused before anything of its request is read.
    let client = flood::client_address(&req);
    let handled = match flood::refused(&client) {
        Some(reply) => reply.into(),
        None => handle(req, &env, &ctx, &mut log).await,
    };
    if let Handled::Reply(reply) = &handled {
        if reply.counts_as_failure() {
            flood::count_failure(&env, &client, &mut log).await;
        }
    }
    let duration_ms = Date::now().as_millis().saturating_sub(started);
    let response = match handled {
        Handled::Reply(reply) => {
            log.finish(&reply, duration_ms);
            to_response(&reply)
        }
        Handled::Upgrade(response) => {
            let mut reply = Reply::status(Outcome::Listening);
            reply.status = response.status_code();
            log.finish(&reply, duration_ms);
            Ok(response)
        }
        Handled::Asset(response) => {
            let mut reply = Reply::status(Outcome::Asset);
            reply.status = response.status_code();
            log.finish(&reply, duration_ms);
            Ok(response)
        }
    };
    let line = log.to_json();
    match log.level {
        "error" => console_error!("{line}"),
        "warn" => console_warn!("{line}"),
        _ => console_log!("{line}"),
    }
    response
}

enum Handled {
    Reply(Reply),
    Asset(Response),
    /// `/listen`: the hub's answer to the upgrade (101 with the WebSocket).
    Upgrade(Response),
}

impl From<Reply> for Handled {
    fn from(reply: Reply) -> Self {
        Self::Reply(reply)
    }
}

async fn handle(req: Request, env: &Env, ctx: &Context, log: &mut LogLine) -> Handled {
    let shared = receiver(env);
    let receiver = match shared.as_ref() {
        Ok(receiver) => receiver,
        Err(err) => {
            // The details are for the operator's log; the caller gets a generic answer.
            log.detail(&err.to_string());
            let health = req.path() == HEALTH_PATH;
            return if health {
                Reply::unhealthy()
            } else {
                Reply::misconfigured()
            }
            .into();
        }
    };

    let method = req.method();
    let path = req.path();
    // The admin API exists only with ADMIN_TOKEN and LEDGER; otherwise its paths are 404.
    if path == ADMIN_PREFIX || path.starts_with("/admin/") {
        if let (Some(token), Ok(Some(ledger))) = (receiver.admin_token(), ledger_binding(env)) {
            // The query as sent (no URL parser: the `url` crate's IDNA tables cost ~100 KB).
            let url = req.inner().url();
            let query = query_of(&url);
            let authorization = req.headers().get("Authorization").ok().flatten();
            let request = admin::Request {
                method: method.as_ref(),
                path: &path,
                query,
                authorization: authorization.as_deref(),
            };
            return admin::handle(&ledger, token, request, log).await.into();
        }
    }
    if path == LISTEN_PATH {
        return match listen::connect(req, env).await {
            Ok(response) => Handled::Upgrade(response),
            Err(reply) => reply.into(),
        };
    }
    match receiver.route(method.as_ref(), &path) {
        Route::Webhook => match dedup(env, log) {
            Some(dedup) => webhook(req, receiver, &dedup, env, ctx, log)
                .await
                .unwrap_or_else(|reply| reply)
                .into(),
            None => Reply::misconfigured().into(),
        },
        // Healthy only with every binding the webhook route needs.
        Route::Health => match dedup(env, log) {
            Some(_) => Reply::health(receiver.settings().mode.as_str()).into(),
            None => Reply::unhealthy().into(),
        },
        Route::MethodNotAllowed { allow } => Reply::method_not_allowed(allow).into(),
        Route::NotFound if matches!(method, Method::Get | Method::Head) => asset(req, env).await,
        Route::NotFound => Reply::not_found().into(),
    }
}

/// Where this Worker deduplicates, from its bindings.
enum Dedup {
    /// `DEDUP` alone: Workers KV (best effort across isolates).
    Kv(KvStore),
    /// `LEDGER`: the delivery ledger decides; `DEDUP`, when bound too, is read for ids
    /// forwarded before the switch.
    Ledger {
        ledger: ObjectNamespace,
        kv: Option<KvStore>,
    },
}

/// Whether `LEDGER` is bound: absent (KV mode), a Durable Object namespace, or something
/// else (a configuration error).
fn ledger_binding(env: &Env) -> Result<Option<ObjectNamespace>, ConfigError> {
    let bound = Reflect::get(env.as_ref(), &JsValue::from_str(LEDGER_BINDING))
        .is_ok_and(|value| !value.is_undefined());
    if !bound {
        return Ok(None);
    }
    env.durable_object(LEDGER_BINDING)
        .map(Some)
        .map_err(|_| ConfigError::wrong_binding(LEDGER_BINDING, "a Durable Object namespace"))
}

/// The dedup bindings; a missing or wrong one is a configuration error, logged.
fn dedup(env: &Env, log: &mut LogLine) -> Option<Dedup> {
    let kv = env.kv(DEDUP_BINDING).ok();
    let dedup = match (ledger_binding(env), kv) {
        (Ok(Some(ledger)), kv) => Ok(Dedup::Ledger { ledger, kv }),
        (Ok(None), Some(kv)) => Ok(Dedup::Kv(kv)),
        (Ok(None), None) => Err(ConfigError::missing_binding(DEDUP_BINDING)),
        (Err(err), _) => Err(err),
    };
    dedup.map_err(|err| log.detail(&err.to_string())).ok()
}

/// The receiver for this isolate, built on first use.
fn receiver(env: &Env) -> Rc<Result<Receiver, ConfigError>> {
    RECEIVER.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| {
                let store = match ledger_binding(env) {
                    Ok(Some(_)) => DedupStore::Ledger,
                    _ => DedupStore::Kv,
                };
                Rc::new(Receiver::from_vars_for(store, |name| var(env, name)))
            })
            .clone()
    })
}

/// A variable or secret as text: strings as they are, numbers (a TOML integer in
/// `[vars]`) in decimal.
fn var(env: &Env, name: &str) -> Option<String> {
    let value = Reflect::get(env.as_ref(), &JsValue::from_str(name)).ok()?;
    if let Some(text) = value.as_string() {
        return Some(text);
    }
    let number = value.as_f64()?;
    if number.fract() == 0.0 && number.abs() < 9.0e15 {
        Some(format!("{}", number as i64))
    } else {
        Some(number.to_string())
    }
}

/// A verified event on its way to the origin.
pub struct Delivery<'a> {
    receiver: &'a Receiver,
    accepted: Accepted,
    keys: DedupKeys,
    body_sha256: String,
}

impl Delivery<'_> {
    /// The reply once the origin answered, and whether the event is done.
    fn finish(&self, sent: Sent, log: &mut LogLine) -> (Reply, bool) {
        if let Some(detail) = &sent.detail {
            log.detail(detail);
        }
        if let OriginResult::Status(status) = sent.result {
            log.origin_status = Some(status);
        }
        self.receiver.after_forward(sent.result)
    }
}

async fn webhook(
    req: Request,
    receiver: &Receiver,
    dedup: &Dedup,
    env: &Env,
    ctx: &Context,
    log: &mut LogLine,
) -> Result<Reply, Reply> {
    // Only the headers used, one lookup each (cheaper than copying every header out).
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let content_length = header("content-length");
    let content_type = header("content-type");
    let signatures: Vec<(&str, String)> = SIGNATURE_HEADERS
        .iter()
        .filter_map(|name| Some((*name, header(name)?)))
        .collect();
    let declared = receiver.declared_length(content_length.as_deref())?;
    let body = body::read(&req, receiver, declared).await?;

    let now = i64::try_from(Date::now().as_millis() / 1000).unwrap_or(i64::MAX);
    let pairs = signatures
        .iter()
        .map(|(name, value)| (*name, value.as_str()));
    let accepted = receiver.accept(&body.bytes, pairs, now)?;
    log.event(&accepted.event);

    let settings = receiver.settings();
    // With LISTEN_TOKEN: what the listen hub is handed of this event if it is new.
    let listen_meta = settings
        .listen
        .map(|_| listen::event_meta(&accepted, content_type.as_deref(), Date::now().as_millis()));
    if let (DeliveryMode::Durable, Dedup::Ledger { ledger, kv }) = (settings.delivery.mode, dedup) {
        let stored = Stored {
            accepted: &accepted,
            body: &body.bytes,
            content_type: content_type.as_deref(),
        };
        let reply = durable_accept(receiver, ledger, kv.as_ref(), &stored, log).await;
        // Only the store winner is handed over, after DigiVault has its 202.
        if let (Ok(reply), Some(meta)) = (&reply, listen_meta) {
            if reply.outcome == Outcome::Accepted {
                listen::publish_later(ctx, env, meta, body.bytes.clone());
            }
        }
        return reply;
    }
    let headers = forward_headers(&accepted, content_type.as_deref());
    let development = settings.mode == ReceiverMode::Development;
    // Lazy: runs only if the delivery wins its claim.
    let forward = async {
        if let (true, Some(meta)) = (development, &listen_meta) {
            // Development mode: stored for the listeners is the delivery.
            return listen::publish_now(env, meta, &body.bytes).await;
        }
        let mut sent = forward::send(
            &settings.forward_url,
            settings.forward_timeout_ms,
            &headers,
            &body.js,
        )
        .await;
        if let Some(response) = sent.response.take() {
            ctx.wait_until(forward::drain(response));
        }
        // The claim winner only, once the forward is decided (the hub repeats no id).
        if let Some(meta) = listen_meta.clone() {
            listen::publish_later(ctx, env, meta, body.bytes.clone());
        }
        sent
    };
    let delivery = Delivery {
        receiver,
        keys: dedup_keys(&accepted.event.id),
        body_sha256: match dedup {
            Dedup::Ledger { .. } => body_sha256(&body.bytes),
            Dedup::Kv(_) => String::new(),
        },
        accepted,
    };
    let reply = match dedup {
        Dedup::Kv(kv) => kv::deliver(kv, &delivery, forward, log).await,
        Dedup::Ledger { ledger, kv } => {
            ledger_mode::deliver(ledger, kv.as_ref(), &delivery, forward, log).await
        }
    };
    if development {
        return reply.map(listen::development_reply);
    }
    reply
}

/// What durable mode stores of a verified delivery.
struct Stored<'a> {
    accepted: &'a Accepted,
    body: &'a [u8],
    content_type: Option<&'a str>,
}

/// Durable mode: the event (raw body, signature header, content type, id, type) is written
/// to its ledger shard before anything is acknowledged; the shard's alarm delivers it.
///
/// `kv`, when `DEDUP` is bound too, is read first for the id's `done:` key: an id
/// forwarded before the switch (in KV mode) stays a duplicate, as in forward mode.
async fn durable_accept(
    receiver: &Receiver,
    ledger: &ObjectNamespace,
    kv: Option<&KvStore>,
    stored: &Stored<'_>,
    log: &mut LogLine,
) -> Result<Reply, Reply> {
    let Stored {
        accepted,
        body,
        content_type,
    } = *stored;
    match ledger_mode::kv_done(kv, &dedup_keys(&accepted.event.id).done).await {
        Some(Ok(Some(_))) => return Ok(Reply::status(Outcome::Duplicate)),
        // KV only helps the switch; the ledger decides.
        Some(Err(err)) => log.kv_error("read", &err),
        _ => {}
    }
    let meta = StoreMeta {
        id: accepted.event.id.clone(),
        event_type: accepted.event.event_type.as_str().to_owned(),
        body_sha256: body_sha256(body),
        signature_header: accepted.signature_header.to_owned(),
        signature: accepted.signature.clone(),
        content_type: content_type.map(str::to_owned),
    };
    let framed = meta.frame(body);
    let stored: StoreReply =
        match ledger_client::call_raw(ledger, shard_of(&meta.id), op::STORE, &framed).await {
            Ok(stored) => stored,
            Err(err) => {
                log.ledger_error("store", &err);
                return Err(Reply::ledger_unavailable());
            }
        };
    match stored {
        StoreReply::Stored => Ok(Reply::accepted()),
        StoreReply::Duplicate => Ok(Reply::status(Outcome::Duplicate)),
        StoreReply::InFlight => Err(receiver.in_flight()),
        StoreReply::Conflict { stored_sha256 } => {
            log.conflict(&meta.body_sha256, &stored_sha256);
            Err(Reply::conflicting_duplicate())
        }
    }
}

/// Serves a static asset, with a strict Content-Security-Policy; a JSON 404 when there is
/// no such asset (or no assets binding).
async fn asset(req: Request, env: &Env) -> Handled {
    let Ok(assets) = env.assets(ASSETS_BINDING) else {
        return Reply::not_found().into();
    };
    let response = match assets.fetch_request(req).await {
        Ok(response) if response.status_code() != 404 => response,
        _ => return Reply::not_found().into(),
    };
    // Fetched headers are immutable: copy them, then add ours.
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        let _ = headers.append(&name, &value);
    }
    let _ = headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    let _ = headers.set("X-Content-Type-Options", "nosniff");
    let _ = headers.set("Referrer-Policy", "no-referrer");
    Handled::Asset(response.with_headers(headers))
}

fn to_response(reply: &Reply) -> worker::Result<Response> {
    let headers = Headers::new();
    for (name, value) in reply.headers() {
        headers.set(name, &value)?;
    }
    Ok(Response::from_bytes(reply.body().into_bytes())?
        .with_status(reply.status)
        .with_headers(headers))
}
