//! The Worker's side of the ledger protocol: `POST https://ledger/<op>` to a shard object.

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::js_sys::Uint8Array;
use worker::{web_sys, ObjectNamespace, Request};

/// The object of shard `shard`.
fn stub(ledger: &ObjectNamespace, shard: u32) -> worker::Result<worker::Stub> {
    ledger.id_from_name(&format!("shard-{shard}"))?.get_stub()
}

/// Sends `body` to `op` of shard `shard` and reads the JSON answer. Any failure (the object
/// unreachable, a non-2xx, an unreadable answer) is an error for the caller to log.
pub(crate) async fn call_raw<R: DeserializeOwned>(
    ledger: &ObjectNamespace,
    shard: u32,
    op: &str,
    body: &[u8],
) -> Result<R, String> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&Uint8Array::from(body));
    let request = web_sys::Request::new_with_str_and_init(&format!("https://ledger/{op}"), &init)
        .map_err(|err| format!("ledger {op}: {}", worker::Error::from(err)))?;
    let mut response = stub(ledger, shard)
        .map_err(|err| format!("ledger {op}: {err}"))?
        .fetch_with_request(Request::from(request))
        .await
        .map_err(|err| format!("ledger {op}: {err}"))?;
    let text = response
        .text()
        .await
        .map_err(|err| format!("ledger {op}: {err}"))?;
    if response.status_code() != 200 {
        return Err(format!("ledger {op}: status {}", response.status_code()));
    }
    serde_json::from_str(&text).map_err(|err| format!("ledger {op}: {err}"))
}

/// [`call_raw`] with a JSON request.
pub(crate) async fn call<Q: Serialize, R: DeserializeOwned>(
    ledger: &ObjectNamespace,
    shard: u32,
    op: &str,
    request: &Q,
) -> Result<R, String> {
    let body = serde_json::to_vec(request).map_err(|err| err.to_string())?;
    call_raw(ledger, shard, op, &body).await
}
