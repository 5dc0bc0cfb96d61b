//! The Worker's side of the ledger protocol: `POST https://ledger/<op>` to a shard object.

use serde::de::DeserializeOwned;
#[cfg(feature = "worker-ops")]
use serde::Serialize;
use worker::js_sys::Uint8Array;
use worker::{web_sys, ObjectNamespace, Request, Stub};

use crate::receiver::ledger::LEDGER_ORIGIN;

/// Posts `body` to the object behind `stub`; any failure (thrown, non-200) is an error
/// for the caller to log, the 200 body is the answer.
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

/// Sends `body` to `op` of shard `shard` and reads the JSON answer.
pub(crate) async fn call_raw<R: DeserializeOwned>(
    ledger: &ObjectNamespace,
    shard: u32,
    op: &str,
    body: &[u8],
) -> Result<R, String> {
    let stub = ledger
        .id_from_name(&format!("shard-{shard}"))
        .and_then(|object| object.get_stub())
        .map_err(|err| err.to_string())?;
    let text = post(&stub, &format!("{LEDGER_ORIGIN}/{op}"), body).await?;
    serde_json::from_slice(text.as_bytes()).map_err(|err| format!("unreadable ledger reply: {err}"))
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
