//! The Cloudflare Worker: platform I/O around [`crate::receiver`], nothing else.
//!
//! Bindings (see `wrangler.toml`): `DEDUP` (Workers KV, required), `RATE_LIMITER`
//! (Workers Rate Limiting, optional), `ASSETS` (static assets from `www/`, optional), plus
//! the variables and secrets listed in [`crate::receiver::VARS`] (read as strings; a TOML
//! number in `[vars]` is read in decimal).

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::StreamExt;
use worker::js_sys::Reflect;
use worker::wasm_bindgen::JsValue;
use worker::{
    console_error, console_log, console_warn, event, Context, Date, Env, Headers, KvStore, Method,
    ObjectNamespace, Request, Response,
};

use sha2::{Digest, Sha256};

use crate::headers::SIGNATURE_HEADERS;
use crate::receiver::{
    dedup_keys, ledger_shard, op, Accepted, ConfigError, DedupKeys, DedupState, DeliveryMode,
    LocalDedup, LogLine, OriginResult, Outcome, Receiver, Reply, Route, Seen, StoreMeta,
    StoreReply, ADMIN_PREFIX, LEASE_TTL_SECONDS,
};

mod admin;
mod durable;
mod forward;
mod ledger;
mod ledger_client;

/// The delivery ledger's Durable Object namespace (class `EventLedger`).
const LEDGER_BINDING: &str = "LEDGER";

/// Workers KV namespace holding the dedup markers and leases.
const DEDUP_BINDING: &str = "DEDUP";
/// Workers Rate Limiting binding, keyed by client IP.
const RATE_LIMIT_BINDING: &str = "RATE_LIMITER";
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
    /// Event ids this isolate is forwarding or recently forwarded: makes concurrent
    /// deliveries exact within one isolate, where KV alone is not.
    static LOCAL: RefCell<Option<LocalDedup>> = const { RefCell::new(None) };
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let started = Date::now().as_millis();
    let mut log = LogLine::default();
    let handled = handle(req, &env, &ctx, &mut log).await;
    let duration_ms = Date::now().as_millis().saturating_sub(started);
    let response = match handled {
        Handled::Reply(reply) => {
            log.finish(&reply, duration_ms);
            to_response(&reply)
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
}

impl From<Reply> for Handled {
    fn from(reply: Reply) -> Self {
        Self::Reply(reply)
    }
}

async fn handle(req: Request, env: &Env, ctx: &Context, log: &mut LogLine) -> Handled {
    // Rate limiting comes first, before any parsing or KV work.
    if let Ok(limiter) = env.rate_limiter(RATE_LIMIT_BINDING) {
        let client = req
            .headers()
            .get("CF-Connecting-IP")
            .ok()
            .flatten()
            .unwrap_or_else(|| "unknown".to_owned());
        match limiter.limit(client).await {
            Ok(outcome) if !outcome.success => return Reply::rate_limited().into(),
            Ok(_) => {}
            // Fail open: a broken limiter must not drop webhooks.
            Err(err) => log.rate_limit_error(&err.to_string()),
        }
    }

    let shared = receiver(env);
    let receiver = match shared.as_ref() {
        Ok(receiver) => receiver,
        Err(err) => {
            log.detail(&err.to_string());
            return Reply::misconfigured(err).into();
        }
    };

    // The ledger: required in durable mode, and what the admin API reads.
    let ledger = env.durable_object(LEDGER_BINDING).ok();
    if let Err(err) = receiver.settings().delivery.check_ledger(ledger.is_some()) {
        log.detail(&err.to_string());
        return Reply::misconfigured(&err).into();
    }

    let method = req.method();
    let path = req.path();
    if let (Some(token), Some(ledger)) = (receiver.admin_token(), &ledger) {
        if path == ADMIN_PREFIX || path.starts_with("/admin/") {
            let url = req.url();
            let query = url.as_ref().ok().and_then(|url| url.query()).unwrap_or("");
            let authorization = req.headers().get("Authorization").ok().flatten();
            return admin::handle(
                ledger,
                token,
                authorization.as_deref(),
                method.as_ref(),
                &path,
                query,
                log,
            )
            .await
            .into();
        }
    }
    match receiver.route(method.as_ref(), &path) {
        Route::Webhook => webhook(req, receiver, env, ledger.as_ref(), ctx, log)
            .await
            .unwrap_or_else(|reply| reply)
            .into(),
        Route::Health => Reply::status(Outcome::Health).into(),
        Route::MethodNotAllowed { allow } => Reply::method_not_allowed(allow).into(),
        Route::NotFound if matches!(method, Method::Get | Method::Head) => asset(req, env).await,
        Route::NotFound => Reply::not_found().into(),
    }
}

/// The receiver for this isolate, built on first use.
fn receiver(env: &Env) -> Rc<Result<Receiver, ConfigError>> {
    RECEIVER.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| Rc::new(Receiver::from_vars(|name| var(env, name))))
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

async fn webhook(
    mut req: Request,
    receiver: &Receiver,
    env: &Env,
    ledger: Option<&ObjectNamespace>,
    ctx: &Context,
    log: &mut LogLine,
) -> Result<Reply, Reply> {
    // Where the event goes once verified, checked before any work.
    let kv;
    let store = match (receiver.settings().delivery.mode, ledger) {
        (DeliveryMode::Durable, Some(ledger)) => Store::Ledger(ledger),
        _ => {
            kv = env.kv(DEDUP_BINDING).map_err(|_| {
                let err = ConfigError::missing_binding(DEDUP_BINDING);
                log.detail(&err.to_string());
                Reply::misconfigured(&err)
            })?;
            Store::Kv(&kv)
        }
    };
    // Only the headers used, one lookup each (cheaper than copying every header out).
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let content_length = header("content-length");
    let content_type = header("content-type");
    let signatures: Vec<(&str, String)> = SIGNATURE_HEADERS
        .iter()
        .filter_map(|name| Some((*name, header(name)?)))
        .collect();
    receiver.check_declared_length(content_length.as_deref())?;
    let body = read_body(&mut req, receiver, content_length.is_some()).await?;

    let now = i64::try_from(Date::now().as_millis() / 1000).unwrap_or(i64::MAX);
    let pairs = signatures
        .iter()
        .map(|(name, value)| (*name, value.as_str()));
    let accepted = receiver.accept(&body, pairs, now)?;
    log.event(&accepted.event);

    let kv = match store {
        Store::Ledger(ledger) => {
            return durable_accept(receiver, ledger, &accepted, &body, log).await
        }
        Store::Kv(kv) => kv,
    };

    let keys = dedup_keys(&accepted.event.id);
    let duplicate = || Reply::status(Outcome::Duplicate);
    // This isolate first (no KV round trip), then KV (other isolates and locations), then
    // the claim, which re-checks this isolate synchronously: a delivery that finished or
    // started while KV was being read is seen there.
    let dedup_ttl = receiver.settings().dedup_ttl_seconds;
    match local(dedup_ttl, |local| {
        local.check(&keys.done, Date::now().as_millis())
    }) {
        Some(Seen::Done) => return Ok(duplicate()),
        Some(_) => return Err(receiver.in_flight()),
        None => {}
    }
    match read_state(kv, &keys, log).await.decide() {
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

    let outgoing = forward::Outgoing::request(accepted, content_type.as_deref(), body);
    let answer = forward::send(receiver, &outgoing).await;
    let result = answer.result;
    if let Some(detail) = &answer.detail {
        log.detail(detail);
    }
    // The status decides; the origin's answer is read after replying.
    ctx.wait_until(answer.drain());
    if let OriginResult::Status(status) = result {
        log.origin_status = Some(status);
    }
    let (reply, done) = receiver.after_forward(result);
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

/// Where a verified event goes.
enum Store<'a> {
    /// Durable mode: stored in the ledger, delivered by its alarm.
    Ledger(&'a ObjectNamespace),
    /// Forward mode: deduplicated in KV, forwarded now.
    Kv(&'a KvStore),
}

/// Durable mode: the event is stored in its ledger shard before anything is acknowledged;
/// the shard's alarm delivers it.
async fn durable_accept(
    receiver: &Receiver,
    ledger: &ObjectNamespace,
    accepted: &Accepted,
    body: &[u8],
    log: &mut LogLine,
) -> Result<Reply, Reply> {
    let meta = StoreMeta {
        id: accepted.event.id.clone(),
        event_type: accepted.event.event_type.as_str().to_owned(),
        body_sha256: hex::encode(Sha256::digest(body)),
        signature_header: accepted.signature_header.to_owned(),
        signature: accepted.signature.clone(),
    };
    let shard = ledger_shard(&meta.id);
    let stored: StoreReply = ledger_client::call_raw(ledger, shard, op::STORE, &meta.frame(body))
        .await
        .map_err(|err| {
            log.detail(&err);
            Reply::ledger_unavailable()
        })?;
    match stored {
        StoreReply::Stored => Ok(Reply::accepted()),
        StoreReply::Duplicate => Ok(Reply::status(Outcome::Duplicate)),
        StoreReply::InFlight => Err(receiver.in_flight()),
        StoreReply::Conflict { stored_sha256 } => {
            log.detail(&format!(
                "conflicting duplicate: body_sha256 {} differs from the stored {stored_sha256}",
                meta.body_sha256
            ));
            Err(Reply::conflicting_duplicate())
        }
    }
}

/// Reads the body under the size limit. With a `Content-Length` (already checked against
/// the limit, and enforced by the runtime) in one piece; without one, chunk by chunk,
/// stopping as soon as the limit is exceeded.
async fn read_body(
    req: &mut Request,
    receiver: &Receiver,
    declared_length: bool,
) -> Result<Vec<u8>, Reply> {
    if declared_length {
        // `Receiver::accept` checks the size again, whatever was declared.
        return req.bytes().await.map_err(|_| Reply::unreadable_body());
    }
    let mut body = receiver.body_limit();
    // No body at all: an empty payload, which then fails verification.
    let Ok(mut stream) = req.stream() else {
        return Ok(Vec::new());
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Reply::unreadable_body())?;
        body.push(&chunk)?;
    }
    Ok(body.into_bytes())
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
    let result = match kv.put(key, now) {
        Ok(builder) => builder.expiration_ttl(ttl).execute().await,
        Err(err) => Err(err),
    };
    if let Err(err) = result {
        log.kv_error(operation, &err.to_string());
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

/// Runs `f` on this isolate's [`LocalDedup`], created on first use.
fn local<T>(dedup_ttl_seconds: u64, f: impl FnOnce(&mut LocalDedup) -> T) -> T {
    LOCAL.with(|cell| {
        let mut cell = cell.borrow_mut();
        f(cell.get_or_insert_with(|| LocalDedup::new(dedup_ttl_seconds)))
    })
}

/// This isolate's claim on an event id, released on drop (also when the request future
/// is dropped early).
struct Claim {
    key: String,
    token: u64,
    dedup_ttl_seconds: u64,
}

impl Claim {
    fn take(key: &str, dedup_ttl_seconds: u64) -> Result<Self, Seen> {
        let token = local(dedup_ttl_seconds, |local| {
            local.claim(key, Date::now().as_millis())
        })?;
        Ok(Self {
            key: key.to_owned(),
            token,
            dedup_ttl_seconds,
        })
    }

    /// Remembers the id as forwarded, before the claim is released.
    fn mark_done(&self) {
        local(self.dedup_ttl_seconds, |local| {
            local.mark_done(&self.key, Date::now().as_millis())
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
