//! The POST to the origin, the same for a delivery forwarded while DigiVault waits and for
//! a durable delivery from a ledger object's alarm.

use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::{pin_mut, StreamExt};
use worker::js_sys::Uint8Array;
use worker::web_sys;
use worker::{AbortController, Delay, Fetch, Headers, Request, Response};

use crate::event::EventType;
use crate::receiver::{forward_headers, Accepted, AcceptedEvent, OriginResult, Receiver};

/// How much of the origin's response body is read (and dropped) before it is abandoned...
const ORIGIN_BODY_DRAIN_BYTES: usize = 64 * 1024;
/// ...and for how long at most, once its status is known.
const ORIGIN_BODY_DRAIN_MS: u64 = 1000;

/// Header marking a delivery of an event the origin already accepted once (an operator's
/// replay of a delivered event).
pub(crate) const REPLAY_HEADER: &str = "X-DigiVault-Replay";

/// One request to the origin: the unchanged body and the headers of
/// [`forward_headers`].
pub(crate) struct Outgoing {
    accepted: Accepted,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Outgoing {
    /// A delivery forwarded while DigiVault waits.
    pub(crate) fn request(accepted: Accepted, content_type: Option<&str>, body: Vec<u8>) -> Self {
        let headers = forward_headers(&accepted, content_type);
        Self {
            accepted,
            headers,
            body,
        }
    }

    /// A stored event delivered from the ledger (content type `application/json`, as
    /// DigiVault sends it); `replay` adds `X-DigiVault-Replay: 1`.
    pub(crate) fn stored(
        id: String,
        event_type: String,
        signature_header: &'static str,
        signature: String,
        body: Vec<u8>,
        replay: bool,
    ) -> Self {
        let accepted = Accepted {
            event: AcceptedEvent {
                id,
                event_type: EventType::from_name(&event_type),
            },
            signature_header,
            signature,
        };
        let mut outgoing = Self::request(accepted, None, body);
        if replay {
            outgoing.headers.push((REPLAY_HEADER, "1".to_owned()));
        }
        outgoing
    }

    /// The event id.
    pub(crate) fn id(&self) -> &str {
        &self.accepted.event.id
    }

    /// The event type.
    pub(crate) fn event_type(&self) -> &str {
        self.accepted.event.event_type.as_str()
    }
}

/// How the origin answered.
pub(crate) struct Answer {
    /// Status, no answer, or timeout.
    pub(crate) result: OriginResult,
    /// The origin's `Retry-After`, as sent.
    pub(crate) retry_after: Option<String>,
    /// Why there was no answer (for the log; never a secret).
    pub(crate) detail: Option<String>,
    response: Option<Response>,
}

impl Answer {
    fn failed(result: OriginResult, detail: Option<String>) -> Self {
        Self {
            result,
            retry_after: None,
            detail,
            response: None,
        }
    }

    /// Reads (and drops) a little of the origin's answer, briefly, so that the connection
    /// can be reused. The Worker runs it after replying, the ledger's alarm inline.
    pub(crate) async fn drain(mut self) {
        let Some(mut response) = self.response.take() else {
            return;
        };
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
}

/// Posts the unchanged body to `FORWARD_URL`, giving up after `FORWARD_TIMEOUT_MS`.
pub(crate) async fn send(receiver: &Receiver, outgoing: &Outgoing) -> Answer {
    let settings = receiver.settings();
    let headers = Headers::new();
    for (name, value) in &outgoing.headers {
        if let Err(err) = headers.set(name, value) {
            return Answer::failed(
                OriginResult::Unreachable,
                Some(format!("forward header {name}: {err}")),
            );
        }
    }
    // web_sys directly: worker's RequestInit serializes `cf` properties, code the Worker
    // does not need (about 4 KB of wasm).
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers.0);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    init.set_body(&Uint8Array::from(outgoing.body.as_slice()));
    let request = match web_sys::Request::new_with_str_and_init(&settings.forward_url, &init) {
        Ok(request) => Request::from(request),
        Err(err) => {
            return Answer::failed(
                OriginResult::Unreachable,
                Some(format!(
                    "FORWARD_URL rejected by the runtime: {}",
                    worker::Error::from(err)
                )),
            )
        }
    };

    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let send = fetch.send_with_signal(&signal);
    let timeout = Delay::from(Duration::from_millis(settings.forward_timeout_ms));
    pin_mut!(send, timeout);
    match select(send, timeout).await {
        Either::Left((Ok(response), _)) => Answer {
            result: OriginResult::Status(response.status_code()),
            retry_after: response.headers().get("retry-after").ok().flatten(),
            detail: None,
            response: Some(response),
        },
        Either::Left((Err(err), _)) => Answer::failed(
            OriginResult::Unreachable,
            Some(format!("origin fetch failed: {err}")),
        ),
        Either::Right(_) => {
            controller.abort();
            Answer::failed(OriginResult::TimedOut, None)
        }
    }
}
