//! Refused-delivery evidence, the webhook path's part: after the reply is decided, one
//! small call (in `ctx.wait_until`, never awaited by the reply) sends what the ops side
//! keeps. A verified delivery never comes here.

use worker::{Context, Date, Headers, ObjectNamespace};

use super::body::Body;
use super::console::{op, CONSOLE_OBJECT};
use super::ledger_client::call_object;
use crate::receiver::failures::{is_kept, redact_headers, FailureReport};
use crate::receiver::ledger::body_sha256;
use crate::receiver::Reply;

/// What a refused webhook request left: its headers, where it went, and its body when it
/// was read (not for a 413 on its declared length).
pub(super) struct Refused {
    pub(super) headers: Headers,
    pub(super) method: String,
    pub(super) path: String,
    pub(super) url: String,
    pub(super) body: Option<Body>,
}

/// Sends the evidence of `refused` if its reply is one that is kept (and evidence is on).
pub(super) fn keep(
    ctx: &Context,
    console: ObjectNamespace,
    refused: Refused,
    reply: &Reply,
    address: String,
) {
    if !is_kept(reply.code) {
        return;
    }
    let received_at = Date::now().as_millis();
    let status = reply.status;
    let code = reply.code.unwrap_or_default().to_owned();
    ctx.wait_until(async move {
        let headers = redact_headers(refused.headers.entries());
        let declared = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .and_then(|(_, value)| value.trim().parse::<u64>().ok());
        let (size, sha, bytes) = match &refused.body {
            Some(body) => (
                Some(body.bytes.len() as u64),
                Some(body_sha256(&body.bytes)),
                body.bytes.as_slice(),
            ),
            None => (declared, None, &[][..]),
        };
        let report = FailureReport {
            received_at,
            address,
            method: refused.method,
            path: refused.path,
            headers,
            status,
            code,
            size,
            body_sha256: sha,
            origin: origin_of(&refused.url),
        };
        let framed = report.frame(bytes);
        let sent: Result<serde_json::Value, String> =
            call_object(&console, CONSOLE_OBJECT, op::REPORT, &framed).await;
        if let Err(err) = sent {
            let line = serde_json::json!({"level": "error", "outcome": "console_error", "detail": format!("evidence: {err}")});
            worker::console_error!("{line}");
        }
    });
}

/// What a refused request leaves for [`keep`] (its body when it was read).
pub(super) fn refused(req: &worker::Request, body: Option<Body>) -> Refused {
    Refused {
        headers: req.headers().clone(),
        method: req.method().to_string(),
        path: req.path(),
        url: req.inner().url(),
        body,
    }
}

/// `https://host` of a URL.
fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}
