//! The Cloudflare Worker: platform I/O around [`crate::receiver`], nothing else.
//!
//! Bindings (see `wrangler.toml`): `DEDUP` (Workers KV, required), `RATE_LIMITER`
//! (Workers Rate Limiting, optional: it counts failed requests, see [`flood`]), `ASSETS` (static assets from `www/`, optional), plus
//! the variables and secrets listed in [`crate::receiver::VARS`] (read as strings; a TOML
//! number in `[vars]` is read in decimal).

mod body;
mod flood;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::{pin_mut, StreamExt};
use worker::js_sys::{Reflect, Uint8Array};
use worker::wasm_bindgen::JsValue;
use worker::web_sys;
use worker::{
    console_error, console_log, console_warn, event, AbortController, Context, Date, Delay, Env,
    Fetch, Headers, KvStore, Method, Request, Response,
};

use crate::headers::SIGNATURE_HEADERS;
use crate::receiver::{
    dedup_keys, forward_headers, Accepted, ConfigError, DedupKeys, DedupState, LocalDedup, LogLine,
    OriginResult, Outcome, Receiver, Reply, Route, Seen, HEALTH_PATH, LEASE_TTL_SECONDS,
};

/// Workers KV namespace holding the dedup markers and leases.
const DEDUP_BINDING: &str = "DEDUP";
/// Static assets (the debugger page in `www/`).
const ASSETS_BINDING: &str = "ASSETS";

/// How much of the origin's response body is read (and dropped) before it is abandoned...
const ORIGIN_BODY_DRAIN_BYTES: usize = 64 * 1024;
/// ...and for how long at most, once its status is known.
const ORIGIN_BODY_DRAIN_MS: u64 = 1000;

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
    match receiver.route(method.as_ref(), &req.path()) {
        Route::Webhook => match dedup_store(env, log) {
            Some(kv) => webhook(req, receiver, &kv, ctx, log)
                .await
                .unwrap_or_else(|reply| reply)
                .into(),
            None => Reply::misconfigured().into(),
        },
        // Healthy only with every binding the webhook route needs.
        Route::Health => match dedup_store(env, log) {
            Some(_) => Reply::status(Outcome::Health).into(),
            None => Reply::unhealthy().into(),
        },
        Route::MethodNotAllowed { allow } => Reply::method_not_allowed(allow).into(),
        Route::NotFound if matches!(method, Method::Get | Method::Head) => asset(req, env).await,
        Route::NotFound => Reply::not_found().into(),
    }
}

/// The `DEDUP` namespace; a missing binding is a configuration error, logged.
fn dedup_store(env: &Env, log: &mut LogLine) -> Option<KvStore> {
    let kv = env.kv(DEDUP_BINDING).ok();
    if kv.is_none() {
        log.detail(&ConfigError::missing_binding(DEDUP_BINDING).to_string());
    }
    kv
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
    req: Request,
    receiver: &Receiver,
    kv: &KvStore,
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

    let result = forward(
        receiver,
        &accepted,
        body.js,
        content_type.as_deref(),
        ctx,
        log,
    )
    .await;
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

/// Posts the unchanged body to the origin, giving up after `FORWARD_TIMEOUT_MS`.
async fn forward(
    receiver: &Receiver,
    accepted: &Accepted,
    body: Uint8Array,
    content_type: Option<&str>,
    ctx: &Context,
    log: &mut LogLine,
) -> OriginResult {
    let settings = receiver.settings();
    let headers = Headers::new();
    for (name, value) in forward_headers(accepted, content_type) {
        if let Err(err) = headers.set(name, &value) {
            log.detail(&format!("forward header {name}: {err}"));
            return OriginResult::Unreachable;
        }
    }
    // web_sys directly: worker's RequestInit serializes `cf` properties, code the Worker
    // does not need (about 4 KB of wasm).
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers.0);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    init.set_body(&body);
    let request = match web_sys::Request::new_with_str_and_init(&settings.forward_url, &init) {
        Ok(request) => Request::from(request),
        Err(err) => {
            log.detail(&format!(
                "FORWARD_URL rejected by the runtime: {}",
                worker::Error::from(err)
            ));
            return OriginResult::Unreachable;
        }
    };

    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let send = fetch.send_with_signal(&signal);
    let timeout = Delay::from(Duration::from_millis(settings.forward_timeout_ms));
    pin_mut!(send, timeout);
    let mut response = match select(send, timeout).await {
        Either::Left((Ok(response), _)) => response,
        Either::Left((Err(err), _)) => {
            log.detail(&format!("origin fetch failed: {err}"));
            return OriginResult::Unreachable;
        }
        Either::Right(_) => {
            controller.abort();
            return OriginResult::TimedOut;
        }
    };
    // The status decides. Then, after the reply, read (and drop) a little of the answer,
    // briefly, so that the connection to the origin can be reused.
    let status = response.status_code();
    ctx.wait_until(async move {
        let drain = async {
            if let Ok(mut body) = response.stream() {
                let mut read = 0;
                while let Some(Ok(chunk)) = body.next().await {
                    read += chunk.len();
                    if read > ORIGIN_BODY_DRAIN_BYTES {
                        break;
                    }
                }
            }
        };
        let bound = Delay::from(Duration::from_millis(ORIGIN_BODY_DRAIN_MS));
        pin_mut!(drain, bound);
        let _ = select(drain, bound).await;
    });
    OriginResult::Status(status)
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
