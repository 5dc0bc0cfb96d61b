//! The Worker's side of the object protocols: the `EventLedger` shards over JS RPC
//! (`stub.answer("/<op>", body)`), the other objects by `POST https://<object>/<op>`.
//!
//! Why RPC for the ledger: a forwarded event makes two calls (claim, done mark), and a
//! `fetch` to an object is a subrequest with its own `Request` and `Response`, which
//! `wrangler dev` also reports to its inspector (four DevTools messages, each logged by
//! wrangler's Node process). docs/performance.md, "Under `wrangler dev`", has the figures.

#[cfg(feature = "worker-ops")]
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::prelude::{wasm_bindgen, JsValue};
use worker::js_sys::{Promise, Uint8Array};
#[cfg(feature = "worker")]
use worker::js_sys::{Reflect, JSON};
use worker::wasm_bindgen_futures::JsFuture;
#[cfg(feature = "worker-ops")]
use worker::{web_sys, Request};
use worker::{ObjectNamespace, Stub};

#[cfg(feature = "worker")]
use crate::receiver::ReplyFields;

#[wasm_bindgen]
extern "C" {
    /// A stub of an `EventLedger` shard, called over JS RPC (its `answer` method, see
    /// `EventLedger::answer_rpc`).
    pub(crate) type LedgerObject;

    #[wasm_bindgen(method, catch, js_name = answer)]
    fn answer(this: &LedgerObject, path: &str, body: &Uint8Array) -> Result<Promise, JsValue>;
}

/// The ledger shard named `name` (`shard-N`), for [`ask`].
pub(crate) fn ledger_object(ledger: &ObjectNamespace, name: &str) -> Result<LedgerObject, String> {
    ledger
        .id_from_name(name)
        .and_then(|object| object.get_stub())
        .map(Stub::into_rpc)
        .map_err(|err| err.to_string())
}

/// One ledger operation (`op` as `claim`): the object's JSON answer; any failure (a
/// rejection: thrown, invalid request, storage error) is an error for the caller to log.
pub(crate) async fn ask(object: &LedgerObject, op: &str, body: &[u8]) -> Result<String, String> {
    let js_error = |err: JsValue| worker::Error::from(err).to_string();
    let promise = object
        .answer(&format!("/{op}"), &Uint8Array::from(body))
        .map_err(js_error)?;
    let answer = JsFuture::from(promise).await.map_err(js_error)?;
    answer
        .as_string()
        .ok_or_else(|| "the ledger answered something other than text".to_owned())
}

/// Posts `body` to the object behind `stub` (the ops script's own objects); any failure
/// (thrown, non-200) is an error for the caller to log, the 200 body is the answer.
#[cfg(feature = "worker-ops")]
pub(crate) async fn post(stub: &Stub, url: &str, body: &[u8]) -> Result<String, String> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&Uint8Array::from(body));
    let request = web_sys::Request::new_with_str_and_init(url, &init)
        .map_err(|err| worker::Error::from(err).to_string())?;
    let mut response = stub
        .fetch_with_request(Request::from(request))
        .await
        .map_err(|err| err.to_string())?;
    let text = response.text().await.map_err(|err| err.to_string())?;
    match response.status_code() {
        200 => Ok(text),
        status => Err(format!("the ledger answered {status}: {text}")),
    }
}

/// Sends `body` to `op` of ledger shard `shard`: the object's JSON answer.
pub(crate) async fn ask_shard(
    ledger: &ObjectNamespace,
    shard: u32,
    op: &str,
    body: &[u8],
) -> Result<String, String> {
    let object = ledger_object(ledger, &format!("shard-{shard}"))?;
    ask(&object, op, body).await
}

/// An object's JSON answer as JavaScript's `JSON.parse` reads it, member by member: how the
/// webhook script reads its replies ([`ReplyFields`]), with no serde_json (its typed reading
/// links float formatting: 14 KB gzip, docs/performance.md "Sizes").
#[cfg(feature = "worker")]
pub(crate) struct JsReply(JsValue);

#[cfg(feature = "worker")]
impl JsReply {
    /// `text` parsed; an error unless it is a JSON object.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        match JSON::parse(text) {
            Ok(value) if value.is_object() => Ok(Self(value)),
            Ok(_) => Err("unreadable object reply: not a JSON object".to_owned()),
            Err(_) => Err("unreadable object reply: not JSON".to_owned()),
        }
    }

    fn member(&self, name: &str) -> Option<JsValue> {
        Reflect::get(&self.0, &JsValue::from_str(name)).ok()
    }
}

#[cfg(feature = "worker")]
impl ReplyFields for JsReply {
    fn text(&self, name: &str) -> Option<String> {
        self.member(name)?.as_string()
    }

    fn int(&self, name: &str) -> Option<i64> {
        // Integers a double holds exactly, as serde's i64 would read them.
        let number = self.member(name)?.as_f64()?;
        (number.fract() == 0.0 && number.abs() <= MAX_EXACT_INTEGER).then_some(number as i64)
    }
}

/// The largest integer every double up to it is exact for (2^53 - 1).
#[cfg(feature = "worker")]
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Sends `body` to `op` of ledger shard `shard` and reads the JSON answer (the ops script).
#[cfg(feature = "worker-ops")]
pub(crate) async fn call_raw<R: DeserializeOwned>(
    ledger: &ObjectNamespace,
    shard: u32,
    op: &str,
    body: &[u8],
) -> Result<R, String> {
    read_json(&ask_shard(ledger, shard, op, body).await?)
}

/// Sends `body` to `op` of the object named `name` and reads the JSON answer.
#[cfg(feature = "worker-ops")]
pub(crate) async fn call_object<R: DeserializeOwned>(
    namespace: &ObjectNamespace,
    name: &str,
    op: &str,
    body: &[u8],
) -> Result<R, String> {
    let stub = namespace
        .id_from_name(name)
        .and_then(|object| object.get_stub())
        .map_err(|err| err.to_string())?;
    // The object reads the path only.
    let text = post(&stub, &format!("https://object/{op}"), body).await?;
    read_json(&text)
}

#[cfg(feature = "worker-ops")]
fn read_json<R: DeserializeOwned>(text: &str) -> Result<R, String> {
    serde_json::from_slice(text.as_bytes()).map_err(|err| format!("unreadable object reply: {err}"))
}

/// [`call_raw`] with a JSON request.
#[cfg(feature = "worker-ops")]
pub(crate) async fn call<Q: Serialize, R: DeserializeOwned>(
    ledger: &ObjectNamespace,
    shard: u32,
    op: &str,
    request: &Q,
) -> Result<R, String> {
    let body = serde_json::to_vec(request).map_err(|err| err.to_string())?;
    call_raw(ledger, shard, op, &body).await
}
