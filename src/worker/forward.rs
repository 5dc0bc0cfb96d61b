//! The forward to the origin: one `POST` of the unchanged body, bounded by a timeout.
//! Shared by the Worker's request path and (durable mode) the ledger object's alarm.

use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::{pin_mut, StreamExt};
use worker::js_sys::Uint8Array;
use worker::{web_sys, AbortController, Delay, Fetch, Headers, Request, Response};

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
    pub response: Option<Response>,
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
    let request = match web_sys::Request::new_with_str_and_init(url, &init) {
        Ok(request) => Request::from(request),
        Err(err) => {
            return Sent::failed(
                OriginResult::Unreachable,
                format!(
                    "FORWARD_URL rejected by the runtime: {}",
                    worker::Error::from(err)
                ),
            )
        }
    };

    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let send = fetch.send_with_signal(&signal);
    let timeout = Delay::from(Duration::from_millis(timeout_ms));
    pin_mut!(send, timeout);
    match select(send, timeout).await {
        Either::Left((Ok(response), _)) => Sent {
            result: OriginResult::Status(response.status_code()),
            detail: None,
            retry_after: response.headers().get("retry-after").ok().flatten(),
            response: Some(response),
        },
        Either::Left((Err(err), _)) => Sent::failed(
            OriginResult::Unreachable,
            format!("origin fetch failed: {err}"),
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

/// Reads (and drops) a little of the origin's answer, briefly, so that the connection to
/// the origin can be reused. Run after the reply (`wait_until`): the status decided.
pub async fn drain(mut response: Response) {
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
}
