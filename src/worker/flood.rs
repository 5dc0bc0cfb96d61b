//! The flood guard's platform half: the `RATE_LIMITER` binding counts failures, and this
//! isolate refuses an address that went over the limit until its block ends
//! ([`FloodGuard`]). Verified deliveries are never counted.

use std::cell::RefCell;

use wasm_bindgen::prelude::{wasm_bindgen, JsValue};
use wasm_bindgen::JsCast;
use worker::js_sys::{Function, Object, Promise, Reflect};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, Date, Env};

use crate::receiver::{FloodGuard, LogLine, Reply};

/// Workers Rate Limiting binding: its limit counts failures per client address.
const RATE_LIMIT_BINDING: &str = "RATE_LIMITER";

#[wasm_bindgen]
extern "C" {
    /// The `RATE_LIMITER` binding (Workers Rate Limiting), called directly: the `worker`
    /// crate's wrapper reads its answer with serde_wasm_bindgen, whose error paths link Rust's
    /// float formatting into the webhook script (docs/performance.md, "Sizes").
    type RateLimitBinding;

    #[wasm_bindgen(method, catch)]
    fn limit(this: &RateLimitBinding, options: &Object) -> Result<Promise, JsValue>;
}

thread_local! {
    /// Addresses this isolate refuses, until their block ends.
    static BLOCKED: RefCell<FloodGuard> = RefCell::new(FloodGuard::default());
}

/// The address the guard counts by: Cloudflare's `CF-Connecting-IP`.
pub(super) fn client_address(req: &web_sys::Request) -> String {
    req.headers()
        .get("CF-Connecting-IP")
        .ok()
        .flatten()
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A 429 while `client` is blocked in this isolate; checked before anything is read.
pub(super) fn refused(client: &str) -> Option<Reply> {
    let now = Date::now().as_millis();
    BLOCKED.with(|guard| guard.borrow_mut().check(client, now).err())
}

/// Counts one failure by `client` (a bad or missing signature; the admin code calls this
/// for a failed login). Once the binding answers "over the limit", the address is
/// refused in this isolate for [`crate::receiver::FLOOD_BLOCK_SECONDS`]. Without the
/// binding nothing is counted; when it fails, the failure is logged and nothing blocked.
pub(crate) async fn count_failure(env: &Env, client: &str, log: &mut LogLine) {
    let Some(limiter) = rate_limiter(env) else {
        return;
    };
    match over_limit(&limiter, client).await {
        Ok(true) => {
            let now = Date::now().as_millis();
            BLOCKED.with(|guard| guard.borrow_mut().block(client, now));
        }
        Ok(false) => {}
        Err(err) => log.rate_limit_error(&err),
    }
}

/// The binding, when bound to something with a `limit` method.
fn rate_limiter(env: &Env) -> Option<RateLimitBinding> {
    let binding = Reflect::get(env.as_ref(), &JsValue::from_str(RATE_LIMIT_BINDING)).ok()?;
    let limit = Reflect::get(&binding, &JsValue::from_str("limit")).ok()?;
    limit
        .is_instance_of::<Function>()
        .then(|| binding.unchecked_into())
}

/// One `limit({ key })` call: whether `client` is over the limit now.
async fn over_limit(limiter: &RateLimitBinding, client: &str) -> Result<bool, String> {
    let js_error = |err: JsValue| worker::Error::from(err).to_string();
    let options = Object::new();
    Reflect::set(
        &options,
        &JsValue::from_str("key"),
        &JsValue::from_str(client),
    )
    .map_err(js_error)?;
    let outcome = JsFuture::from(limiter.limit(&options).map_err(js_error)?)
        .await
        .map_err(js_error)?;
    match Reflect::get(&outcome, &JsValue::from_str("success")).map(|value| value.as_bool()) {
        Ok(Some(success)) => Ok(!success),
        _ => Err("the rate limiter answered without `success`".to_owned()),
    }
}
