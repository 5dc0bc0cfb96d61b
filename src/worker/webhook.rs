//! The webhook script's entry point (cargo feature `worker`): verify, deduplicate, forward or
//! store, `/health`, the static assets. `/admin/*` and `/listen` go verbatim to the ops script
//! (service binding `OPS`, see [`super::ops`] for the contract); when listen is on
//! (`LISTEN_TOKEN` set), each NEW verified event (the claim or store winner) is handed to it by
//! one call ([`super::listen`]): after the reply, or, in the development mode, as the delivery.

use worker::{
    event, web_sys, Context, Date, Env, Headers, KvStore, ObjectNamespace, Request, Response,
};

use super::forward::Sent;
use super::{
    apart, body, emit, evidence, flood, forward, kv, ledger_binding, ledger_client, ledger_mode,
    listen, receiver, to_web_response,
};
use crate::headers::SIGNATURE_HEADERS;
use crate::receiver::ledger::{body_sha256, shard_of};
use crate::receiver::listen::ReceiverMode;
use crate::receiver::{
    dedup_keys, forward_headers, op, path_of_url, Accepted, ConfigError, DedupKeys, DeliveryMode,
    LogLine, OriginResult, Outcome, Receiver, Reply, Route, StoreMeta, StoreReply, ADMIN_PREFIX,
    HEALTH_PATH,
};

/// Workers KV namespace holding the dedup markers and leases (KV mode).
const DEDUP_BINDING: &str = "DEDUP";
/// Static assets (the debugger page in `www/`).
const ASSETS_BINDING: &str = "ASSETS";
/// The ops script (service binding): the admin API, listen, the console.
pub const OPS_BINDING: &str = "OPS";
/// Paths served by the ops script, forwarded verbatim: `/admin`, `/admin/...`, `/listen`,
/// `/listen/...`.
const OPS_PREFIXES: [&str; 2] = [ADMIN_PREFIX, "/listen"];

/// Content-Security-Policy of the static pages served through the Worker: same-origin
/// only, WebAssembly allowed, no inline script, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The entry point. The request and the response stay the runtime's own objects
/// (`web_sys`): the `worker` crate's `Request` reads the method, URL, headers and
/// `request.cf` of every request up front, and its `Response` is converted once more on the
/// way out; a webhook or `/health` needs none of that (docs/performance.md, "A request's fixed
/// cost"). The routes that do (assets, the ops script's paths) convert theirs.
#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> worker::Result<web_sys::Response> {
    let started = Date::now().as_millis();
    let mut log = LogLine::default();
    // An address that failed too often is refused before anything of its request is read.
    let client = flood::client_address(&req);
    let handled = match flood::refused(&client) {
        Some(reply) => reply.into(),
        None => handle(req, &env, &ctx, &mut log).await,
    };
    let failed = match &handled {
        Handled::Reply(reply) => reply.counts_as_failure(),
        // A wrong admin token counts like a forged delivery (the ops script answers 401).
        Handled::Response(response, _) => response.status_code() == 401,
    };
    if failed {
        apart(flood::count_failure(&env, &client, &mut log)).await;
    }
    let duration_ms = Date::now().as_millis().saturating_sub(started);
    let response = match handled {
        Handled::Reply(reply) => {
            log.finish(&reply, duration_ms);
            to_web_response(&reply)
        }
        Handled::Response(response, outcome) => {
            let status = response.status_code();
            let outcome = match outcome {
                Outcome::Admin if status == 401 => Outcome::Unauthorized,
                outcome => outcome,
            };
            let mut reply = Reply::status(outcome);
            reply.status = status;
            log.finish(&reply, duration_ms);
            Ok(response.into())
        }
    };
    emit(&log);
    response
}

enum Handled {
    Reply(Reply),
    /// A response made elsewhere (a static asset, the ops script's answer), logged as `outcome`.
    Response(Response, Outcome),
}

impl From<Reply> for Handled {
    fn from(reply: Reply) -> Self {
        Self::Reply(reply)
    }
}

async fn handle(req: web_sys::Request, env: &Env, ctx: &Context, log: &mut LogLine) -> Handled {
    let shared = receiver(env);
    let receiver = match shared.as_ref() {
        Ok(receiver) => receiver,
        Err(err) => {
            // The details are for the operator's log; the caller gets a generic answer.
            log.detail(&err.to_string());
            let health = path_of_url(&req.url()) == HEALTH_PATH;
            return if health {
                Reply::unhealthy()
            } else {
                Reply::misconfigured()
            }
            .into();
        }
    };

    let method = req.method();
    let url = req.url();
    let path = path_of_url(&url);
    // The ops script's paths, verbatim; without `OPS` they are 404 (or an asset).
    if ops_path(path) && ops_bound(env) {
        return apart(to_ops(Request::from(req), env, log)).await;
    }
    // Each route's flow apart (see `apart`): a first `/health` compiles none of the webhook's.
    match receiver.route(&method, path) {
        Route::Webhook => match dedup(env, log) {
            Some(dedup) => apart(webhook(req, env, receiver, &dedup, ctx, log))
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
        Route::NotFound if method == "GET" || method == "HEAD" => {
            apart(asset(Request::from(req), env)).await
        }
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

/// A verified event on its way to the origin.
pub struct Delivery<'a> {
    pub(super) receiver: &'a Receiver,
    pub(super) accepted: Accepted,
    pub(super) keys: DedupKeys,
    pub(super) body_sha256: String,
}

impl Delivery<'_> {
    /// The reply once the origin answered, and whether the event is done.
    pub(super) fn finish(&self, sent: Sent, log: &mut LogLine) -> (Reply, bool) {
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
    req: web_sys::Request,
    env: &Env,
    receiver: &Receiver,
    dedup: &Dedup,
    ctx: &Context,
    log: &mut LogLine,
) -> Result<Reply, Reply> {
    let refuse =
        |reply: Reply, body: Option<&body::Body>| refused(&req, env, ctx, receiver, reply, body);
    // Only the headers used, one lookup each (cheaper than copying every header out).
    let headers = req.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let content_length = header("content-length");
    let content_type = header("content-type");
    let signatures: Vec<(&str, String)> = SIGNATURE_HEADERS
        .iter()
        .filter_map(|name| Some((*name, header(name)?)))
        .collect();
    let declared = receiver
        .declared_length(content_length.as_deref())
        .map_err(|reply| refuse(reply, None))?;
    let body = body::read(&req, receiver, declared)
        .await
        .map_err(|reply| refuse(reply, None))?;

    let now = i64::try_from(Date::now().as_millis() / 1000).unwrap_or(i64::MAX);
    let pairs = signatures
        .iter()
        .map(|(name, value)| (*name, value.as_str()));
    let accepted = receiver
        .accept(&body.bytes, pairs, now)
        .map_err(|reply| refuse(reply, Some(&body)))?;
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
        let reply = apart(durable_accept(receiver, ledger, kv.as_ref(), &stored, log)).await;
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
            return apart(listen::publish_now(env, meta, &body.bytes)).await;
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
        Dedup::Kv(kv) => apart(kv::deliver(kv, &delivery, forward, log)).await,
        Dedup::Ledger { ledger, kv } => {
            ledger_mode::deliver(ledger, kv.as_ref(), &delivery, forward, log).await
        }
    };
    if development {
        return reply.map(listen::development_reply);
    }
    reply
}

/// A refusal's reply, after its evidence is handed to the ops script (docs/console.md): one
/// notice after the reply is decided. A verified delivery never comes here (cold: its code
/// stays out of the forward's, see [`apart`]).
#[cold]
#[inline(never)]
fn refused(
    req: &web_sys::Request,
    env: &Env,
    ctx: &Context,
    receiver: &Receiver,
    reply: Reply,
    body: Option<&body::Body>,
) -> Reply {
    if receiver.settings().failure_samples > 0 {
        if let Some(framed) = evidence::report(req, body, &reply) {
            let headers = [("content-type", "application/octet-stream")];
            notify_ops(
                env,
                ctx,
                "/internal/refused",
                &headers,
                reply.outcome,
                &framed,
            );
        }
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
    let now_seconds = Date::now().as_millis() / 1000;
    let kv = kv.filter(|_| receiver.settings().reads_kv_done(now_seconds));
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
    let stored = ledger_client::ask_shard(ledger, shard_of(&meta.id), op::STORE, &framed)
        .await
        .and_then(|text| {
            let fields = ledger_client::JsReply::parse(&text)?;
            StoreReply::read(&fields).map_err(|err| format!("unreadable ledger reply: {err}"))
        });
    let stored = match stored {
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
    Handled::Response(response.with_headers(headers), Outcome::Asset)
}

/// Whether the ops script serves `path`: an [`OPS_PREFIXES`] entry, alone or followed by `/`.
fn ops_path(path: &str) -> bool {
    OPS_PREFIXES.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Whether there is an ops script: `OPS` bound, or this script is the ops script too.
fn ops_bound(env: &Env) -> bool {
    cfg!(feature = "worker-ops") || env.service(OPS_BINDING).is_ok()
}

/// Hands a request under an ops prefix to the ops script (`OPS`) as it came, or, when this
/// script is the ops script too (both features), answers it here.
async fn to_ops(req: Request, env: &Env, log: &mut LogLine) -> Handled {
    #[cfg(feature = "worker-ops")]
    {
        match super::ops::respond(req, env, log).await {
            Ok(response) => Handled::Response(response, Outcome::Admin),
            Err(_) => Reply::ops_unavailable().into(),
        }
    }
    #[cfg(not(feature = "worker-ops"))]
    match env.service(OPS_BINDING) {
        Ok(ops) => match ops.fetch_request(req).await {
            Ok(response) => Handled::Response(response, Outcome::Admin),
            Err(err) => {
                log.detail(&format!("the ops script failed: {err}"));
                Reply::ops_unavailable().into()
            }
        },
        Err(_) => Reply::ops_unavailable().into(),
    }
}

/// Announces something to the ops script: one POST of `body` to `path` (under
/// `https://ops`), with `headers` and `x-digivault-outcome`, after the reply
/// (`ctx.wait_until`): never on a delivery's critical path, its failure only logged. Nothing
/// without `OPS`. (Listen's publish is not a notice: it needs the hub's answer, see
/// [`super::listen`].)
fn notify_ops(
    env: &Env,
    ctx: &Context,
    path: &str,
    headers: &[(&str, &str)],
    outcome: Outcome,
    body: &[u8],
) {
    let Ok(ops) = env.service(OPS_BINDING) else {
        return;
    };
    let init = worker::web_sys::RequestInit::new();
    init.set_method("POST");
    let sent = worker::web_sys::Headers::new();
    if let Ok(sent) = &sent {
        for (name, value) in headers {
            let _ = sent.set(name, value);
        }
        let word = serde_json::to_value(outcome).ok();
        let _ = sent.set(
            "x-digivault-outcome",
            word.as_ref().and_then(|word| word.as_str()).unwrap_or(""),
        );
        init.set_headers(sent);
    }
    init.set_body(&worker::js_sys::Uint8Array::from(body));
    let Ok(request) =
        worker::web_sys::Request::new_with_str_and_init(&format!("https://ops{path}"), &init)
    else {
        return;
    };
    let path = path.to_owned();
    ctx.wait_until(async move {
        match ops.fetch_request(Request::from(request)).await {
            Ok(response) if (200..300).contains(&response.status_code()) => {}
            Ok(response) => worker::console_warn!(
                "{{\"notify\":\"{path}\",\"status\":{}}}",
                response.status_code()
            ),
            Err(err) => {
                worker::console_warn!("{{\"notify\":\"{path}\",\"error\":{:?}}}", err.to_string())
            }
        }
    });
}
