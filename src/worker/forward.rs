//! The forward to the origin: one `POST` of the unchanged body, bounded by a timeout.
//! Shared by the Worker's request path and (durable mode) the ledger object's alarm.

use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::pin_mut;
use worker::js_sys::{self, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, AbortController, Delay, Headers};

use crate::receiver::OriginResult;

/// How much of the origin's response body is read (and dropped) before it is abandoned...
const ORIGIN_BODY_DRAIN_BYTES: usize = 64 * 1024;
/// ...and for how long at most, once its status is known.
const ORIGIN_BODY_DRAIN_MS: u64 = 1000;

/// What came of a forward.
pub struct Sent {
    /// The origin's status, or why there is none.
    pub result: OriginResult,
    /// Why the origin could not be reached (for the webhook script's log line; a script
    /// hosting only the ledger class, measured in docs/performance.md, has none).
    #[cfg_attr(not(feature = "worker"), allow(dead_code))]
    pub detail: Option<String>,
    /// The origin's `Retry-After`, as sent (durable mode honours it on 429 and 503; a script
    /// without the ledger class reads none).
    #[cfg_attr(not(feature = "worker-ledger"), allow(dead_code))]
    pub retry_after: Option<String>,
    /// The origin's response, to drain after replying (see [`drain`]).
    pub response: Option<web_sys::Response>,
}

impl Sent {
    fn failed(result: OriginResult, detail: String) -> Self {
        Self {
            result,
            detail: Some(detail),
            retry_after: None,
            response: None,
        }
    }
}

/// Posts `body` with `headers` to `url`, giving up after `timeout_ms`.
/// `body` is the request's own bytes as a JS array (no copy through wasm memory).
pub async fn send(
    url: &str,
    timeout_ms: u64,
    headers: &[(&str, String)],
    body: &Uint8Array,
) -> Sent {
    let request_headers = Headers::new();
    for (name, value) in headers {
        if let Err(err) = request_headers.set(name, value) {
            return Sent::failed(
                OriginResult::Unreachable,
                format!("forward header {name}: {err}"),
            );
        }
    }
    // web_sys directly: worker's RequestInit serializes `cf` properties, code the Worker
    // does not need (about 4 KB of wasm).
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&request_headers.0);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    init.set_body(body);
    let controller = AbortController::default();
    let signal = controller.signal();
    init.set_signal(Some(&*signal));
    // The runtime's `fetch` itself: the `worker` crate's would make a second `Request` from
    // this one, and a crate `Response` of the answer (its headers, `cf`, body wrapped).
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let send = JsFuture::from(global.fetch_with_str_and_init(url, &init));
    let timeout = Delay::from(Duration::from_millis(timeout_ms));
    pin_mut!(send, timeout);
    match select(send, timeout).await {
        Either::Left((Ok(answer), _)) => {
            let response: web_sys::Response = answer.unchecked_into();
            Sent {
                result: OriginResult::Status(response.status()),
                detail: None,
                retry_after: response.headers().get("retry-after").ok().flatten(),
                response: Some(response),
            }
        }
        Either::Left((Err(err), _)) => Sent::failed(
            OriginResult::Unreachable,
            format!("origin fetch failed: {}", worker::Error::from(err)),
        ),
        Either::Right(_) => {
            controller.abort();
            Sent {
                result: OriginResult::TimedOut,
                detail: None,
                retry_after: None,
                response: None,
            }
        }
    }
}

/// Reads (and drops) the origin's answer, briefly, so that the connection to the origin can
/// be reused. Run after the reply (`wait_until`): the status decided. A body declaring at
/// most [`ORIGIN_BODY_DRAIN_BYTES`] is read by the runtime in one `arrayBuffer()`; one
/// declaring more is cancelled unread; one with no length is read chunk by chunk until it
/// passes the limit. Nothing of it is copied into wasm.
pub async fn drain(response: web_sys::Response) {
    let Some(body) = response.body() else {
        return;
    };
    let declared = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|length| length.trim().parse::<usize>().ok());
    let read = async {
        match declared {
            Some(length) if length <= ORIGIN_BODY_DRAIN_BYTES => {
                if let Ok(whole) = response.array_buffer() {
                    let _ = JsFuture::from(whole).await;
                }
            }
            Some(_) => {
                let _ = body.cancel();
            }
            None => read_some(&body).await,
        }
    };
    let bound = Delay::from(Duration::from_millis(ORIGIN_BODY_DRAIN_MS));
    pin_mut!(read, bound);
    let _ = select(read, bound).await;
}

/// Reads a body of unknown length until its end or [`ORIGIN_BODY_DRAIN_BYTES`], then
/// cancels the rest.
async fn read_some(body: &web_sys::ReadableStream) {
    let Ok(reader) = web_sys::ReadableStreamDefaultReader::new(body) else {
        return;
    };
    let mut read = 0;
    while read <= ORIGIN_BODY_DRAIN_BYTES {
        let Ok(next) = JsFuture::from(reader.read()).await else {
            return;
        };
        let member = |name: &str| Reflect::get(&next, &JsValue::from_str(name)).ok();
        if member("done").is_none_or(|done| done.is_truthy()) {
            return;
        }
        read += member("value")
            .and_then(|value| value.dyn_into::<Uint8Array>().ok())
            .map_or(0, |chunk| chunk.length() as usize);
    }
    let _ = reader.cancel();
}
