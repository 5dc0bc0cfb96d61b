//! The Cloudflare Worker: platform I/O around [`crate::receiver`], nothing else.
//!
//! Bindings (see `wrangler.toml`): `DEDUP` (Workers KV, required), `RATE_LIMITER`
//! (Workers Rate Limiting, optional), `ASSETS` (static assets from `www/`, optional), plus
//! the variables and secrets listed in [`crate::receiver::VARS`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{join, select, Either};
use futures_util::{pin_mut, StreamExt};
use worker::js_sys::{Reflect, Uint8Array};
use worker::wasm_bindgen::JsValue;
use worker::{
    console_error, console_log, console_warn, event, AbortController, Context, Date, Delay, Env,
    Fetch, Headers, KvStore, Method, Request, RequestInit, RequestRedirect, Response,
};

use crate::receiver::{
    dedup_keys, forward_headers, Accepted, ConfigError, DedupKeys, DedupState, LogLine,
    OriginResult, Outcome, Receiver, Reply, Route, Seen, LEASE_TTL_SECONDS, VARS,
};

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
    /// Event ids this isolate is forwarding right now, with the time the claim was taken
    /// (ms). Makes concurrent deliveries exact within one isolate, where KV alone is not.
    static IN_FLIGHT: RefCell<HashMap<String, u64>> = RefCell::new(HashMap::new());
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let started = Date::now().as_millis();
    let mut log = LogLine::default();
    let handled = handle(req, &env, &mut log).await;
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

async fn handle(req: Request, env: &Env, log: &mut LogLine) -> Handled {
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

    let method = req.method();
    match receiver.route(method.as_ref(), &req.path()) {
        Route::Webhook => match env.kv(DEDUP_BINDING) {
            Ok(kv) => webhook(req, receiver, &kv, log)
                .await
                .unwrap_or_else(|reply| reply)
                .into(),
            Err(_) => {
                let err = ConfigError::missing_binding(DEDUP_BINDING);
                log.detail(&err.to_string());
                Reply::misconfigured(&err).into()
            }
        },
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
    debug_assert!(VARS.iter().any(|(known, _, _)| *known == name));
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
    kv: &KvStore,
    log: &mut LogLine,
) -> Result<Reply, Reply> {
    let headers: Vec<(String, String)> = req.headers().entries().collect();
    let header = |wanted: &str| {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.as_str())
    };
    receiver.check_declared_length(header("content-length"))?;
    let body = read_body(&mut req, receiver).await?;

    let now = i64::try_from(Date::now().as_millis() / 1000).unwrap_or(i64::MAX);
    let pairs = headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()));
    let accepted = receiver.accept(&body, pairs, now)?;
    log.event(&accepted.event);

    let keys = dedup_keys(&accepted.event.id);
    let Some(_claim) = Claim::take(&keys.done) else {
        return Err(receiver.in_flight());
    };
    match read_state(kv, &keys, log).await.decide() {
        Seen::Done => return Ok(Reply::status(Outcome::Duplicate)),
        Seen::InFlight => return Err(receiver.in_flight()),
        Seen::Forward => {}
    }
    put(kv, &keys.lease, LEASE_TTL_SECONDS, log, "lease_write").await;

    let result = forward(receiver, &accepted, body, header("content-type"), log).await;
    if let OriginResult::Status(status) = result {
        log.origin_status = Some(status);
    }
    let (reply, done) = receiver.after_forward(result);
    if done {
        // The lease is left to expire: the done marker wins over it, and deleting it right
        // away would be a second write to the key within a second (a KV limit).
        let ttl = receiver.settings().dedup_ttl_seconds;
        put(kv, &keys.done, ttl, log, "done_write").await;
    } else if let Err(err) = kv.delete(&keys.lease).await {
        log.kv_error("lease_delete", &err.to_string());
    }
    Ok(reply)
}

/// Reads the body chunk by chunk, stopping as soon as it exceeds the limit.
async fn read_body(req: &mut Request, receiver: &Receiver) -> Result<Vec<u8>, Reply> {
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

async fn read_state(kv: &KvStore, keys: &DedupKeys, log: &mut LogLine) -> DedupState {
    let (done, lease) = join(kv.get(&keys.done).text(), kv.get(&keys.lease).text()).await;
    let mut state = DedupState::default();
    for (result, flag) in [(done, &mut state.done), (lease, &mut state.in_flight)] {
        match result {
            Ok(value) => *flag = value.is_some(),
            Err(err) => {
                state.read_failed = true;
                log.kv_error("read", &err.to_string());
            }
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
    body: Vec<u8>,
    content_type: Option<&str>,
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
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(Uint8Array::from(body.as_slice()).into()));
    let request = match Request::new_with_init(&settings.forward_url, &init) {
        Ok(request) => request,
        Err(err) => {
            log.detail(&format!("FORWARD_URL rejected by the runtime: {err}"));
            return OriginResult::Unreachable;
        }
    };

    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let send = fetch.send_with_signal(&signal);
    let timeout = Delay::from(Duration::from_millis(settings.forward_timeout_ms));
    pin_mut!(send, timeout);
    match select(send, timeout).await {
        Either::Left((Ok(response), _)) => OriginResult::Status(response.status_code()),
        Either::Left((Err(err), _)) => {
            log.detail(&format!("origin fetch failed: {err}"));
            OriginResult::Unreachable
        }
        Either::Right(_) => {
            controller.abort();
            OriginResult::TimedOut
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

/// This isolate's claim on an event id; released on drop. A claim older than the KV lease
/// is stale (its request was cancelled before it could release it) and is taken over.
struct Claim {
    key: String,
    since: u64,
}

impl Claim {
    fn take(key: &str) -> Option<Self> {
        let now = Date::now().as_millis();
        let stale_after = LEASE_TTL_SECONDS * 1000;
        IN_FLIGHT.with(|claims| {
            let mut claims = claims.borrow_mut();
            match claims.get(key) {
                Some(since) if now.saturating_sub(*since) < stale_after => None,
                _ => {
                    claims.insert(key.to_owned(), now);
                    Some(Self {
                        key: key.to_owned(),
                        since: now,
                    })
                }
            }
        })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        IN_FLIGHT.with(|claims| {
            let mut claims = claims.borrow_mut();
            // Only our own claim: a stale one may have been taken over since.
            if claims.get(&self.key) == Some(&self.since) {
                claims.remove(&self.key);
            }
        });
    }
}
