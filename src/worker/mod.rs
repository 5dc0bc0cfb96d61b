//! The Cloudflare Worker: platform I/O around [`crate::receiver`], nothing else. Two scripts
//! are built from it (docs/performance.md, "The split"):
//!
//! - the **webhook script** (cargo feature `worker`, `wrangler.toml`): [`webhook`], the hot
//!   path: verify, deduplicate, forward or store, `/health`, the static assets; it forwards
//!   `/admin/*` and `/listen` verbatim to the ops script through the service binding `OPS`, and
//!   binds the delivery ledger there (`LEDGER`, by `script_name`);
//! - the **ops script** (cargo features `worker-ops` and `worker-ledger`, `ops/wrangler.toml`):
//!   [`ops`], what a webhook request does not load: the admin API, the console, listen, and the
//!   delivery ledger's class ([`ledger::EventLedger`]), which runs in its own Durable Object
//!   isolates whichever script exports it (docs/performance.md, "The split").
//!
//! Both features at once build one script doing both (what clippy checks, and the
//! measurements' "one script" row).
//!
//! Bindings of the webhook script (see `wrangler.toml`): `LEDGER` (the [`ledger::EventLedger`]
//! Durable Object: exact deduplication across isolates and locations) and/or `DEDUP` (Workers
//! KV: required without `LEDGER`, read for older `done:` markers with it), `RATE_LIMITER`
//! (Workers Rate Limiting, optional: it counts failed requests), `ASSETS` (static assets from
//! `www/`, optional), `OPS` (the ops script, optional: without it `/admin/*` is 404), plus the
//! variables and secrets listed in [`crate::receiver::VARS`] (read as strings; a TOML number
//! in `[vars]` is read in decimal).

#[cfg(any(feature = "worker-ledger", feature = "worker-ops"))]
mod alarm;
#[cfg(feature = "worker")]
mod body;
#[cfg(feature = "worker-ledger")]
mod durable;
#[cfg(feature = "worker")]
mod evidence;
#[cfg(feature = "worker")]
mod flood;
#[cfg(any(feature = "worker", feature = "worker-ledger", feature = "worker-ops"))]
mod forward;
#[cfg(feature = "worker")]
mod kv;
#[cfg(feature = "worker-ledger")]
pub mod ledger;
#[cfg(any(feature = "worker", feature = "worker-ops"))]
mod ledger_client;
#[cfg(feature = "worker")]
mod ledger_mode;
#[cfg(feature = "worker-ledger")]
mod ledger_overview;
#[cfg(feature = "worker")]
mod listen;
#[cfg(feature = "worker")]
mod local;
#[cfg(feature = "worker-ops")]
pub mod ops;
#[cfg(any(feature = "worker-ledger", feature = "worker-ops"))]
mod sql_row;
#[cfg(feature = "worker")]
pub mod webhook;

#[cfg(any(feature = "worker", feature = "worker-ledger"))]
use std::cell::RefCell;
#[cfg(any(feature = "worker", feature = "worker-ledger"))]
use std::rc::Rc;

use worker::js_sys::{self, Reflect};
use worker::wasm_bindgen::JsValue;
use worker::{Env, ObjectNamespace};

use crate::receiver::ConfigError;
#[cfg(any(feature = "worker", feature = "worker-ledger"))]
use crate::receiver::{DedupStore, Receiver};
#[cfg(any(feature = "worker", feature = "worker-ops"))]
use crate::receiver::{LogLine, Reply};

/// The delivery ledger's Durable Object namespace (class `EventLedger`).
const LEDGER_BINDING: &str = "LEDGER";

#[cfg(any(feature = "worker", feature = "worker-ledger"))]
thread_local! {
    /// The receiver, built once per isolate: variables and secrets do not change while an
    /// isolate lives, and the HMAC key state is computed only here.
    static RECEIVER: RefCell<Option<Rc<Result<Receiver, ConfigError>>>> = const { RefCell::new(None) };
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

/// The receiver for this isolate, built on first use.
#[cfg(any(feature = "worker", feature = "worker-ledger"))]
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
        // JavaScript's own decimal form, as wrangler shows it (and no Rust float formatting
        // for a case no shipped setting uses: docs/performance.md, "Sizes").
        js_sys::Number::from(number)
            .to_string_with_radix(10)
            .ok()
            .map(String::from)
    }
}

/// `future` boxed behind `dyn Future`: its state machine gets a poll function of its own
/// instead of being inlined into the caller's. V8 compiles a wasm function on its first call,
/// at a cost that grows with its size (Liftoff, about 50 to 75 µs per KB here), so code a
/// request does not run must not sit in a function that it does run: a first `/health` would
/// compile the whole webhook flow, a forward its durable and KV paths (docs/performance.md,
/// "Cold start"). Not inlined, so that the caller never sees the vtable and inlines it back.
#[cfg(any(feature = "worker", feature = "worker-ledger"))]
#[inline(never)]
fn apart<'a, T>(
    future: impl std::future::Future<Output = T> + 'a,
) -> futures_util::future::LocalBoxFuture<'a, T> {
    Box::pin(future)
}

/// Writes the request's log line (one JSON line per request) at its level.
#[cfg(any(feature = "worker", feature = "worker-ops"))]
fn emit(log: &LogLine) {
    let line = log.to_json();
    match log.level {
        "error" => worker::console_error!("{line}"),
        "warn" => worker::console_warn!("{line}"),
        _ => worker::console_log!("{line}"),
    }
}

/// The HTTP response of a [`Reply`], as the runtime's own object (the webhook script's entry
/// point answers with it, see `webhook::fetch`).
#[cfg(any(feature = "worker", feature = "worker-ops"))]
fn to_web_response(reply: &Reply) -> worker::Result<worker::web_sys::Response> {
    let headers = worker::web_sys::Headers::new()?;
    for (name, value) in reply.headers() {
        headers.set(name, &value)?;
    }
    let init = worker::web_sys::ResponseInit::new();
    init.set_status(reply.status);
    init.set_headers(&headers);
    let mut body = reply.body().into_bytes();
    Ok(worker::web_sys::Response::new_with_opt_u8_array_and_init(
        Some(&mut body),
        &init,
    )?)
}

/// The same as the `worker` crate's `Response` (the ops script's handlers return those).
#[cfg(feature = "worker-ops")]
fn to_response(reply: &Reply) -> worker::Result<worker::Response> {
    to_web_response(reply).map(worker::Response::from)
}
