//! Refused-delivery evidence, the webhook script's part: the report of a refused request
//! (its headers redacted, its body as read), sent to the ops script as one notice after the
//! reply is decided (`webhook::notify_ops`). A verified delivery never comes here.

use worker::{web_sys, Date, Request};

use super::body::Body;
use super::flood::client_address;
use crate::receiver::failures::{is_kept, redact_headers, FailureReport};
use crate::receiver::ledger::body_sha256;
use crate::receiver::Reply;

/// The framed report of a refusal whose reply is kept (`None` otherwise): headers redacted,
/// the body's length and SHA-256 when it was read (not for a 413 on its declared length),
/// then at most 64 KiB of it.
pub(super) fn report(
    raw: &web_sys::Request,
    body: Option<&Body>,
    reply: &Reply,
) -> Option<Vec<u8>> {
    if !is_kept(reply.code) {
        return None;
    }
    // The same JS object (not `Request.clone()`, which would tee the body).
    let req = &Request::from(Clone::clone(raw));
    let headers = redact_headers(req.headers().entries());
    let declared = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.trim().parse::<u64>().ok());
    let (size, sha, bytes) = match body {
        Some(body) => (
            Some(body.bytes.len() as u64),
            Some(body_sha256(&body.bytes)),
            body.bytes.as_slice(),
        ),
        None => (declared, None, &[][..]),
    };
    let report = FailureReport {
        received_at: Date::now().as_millis(),
        address: client_address(raw),
        method: req.method().to_string(),
        path: req.path(),
        headers,
        status: reply.status,
        code: reply.code.unwrap_or_default().to_owned(),
        size,
        body_sha256: sha,
        origin: origin_of(&req.inner().url()),
    };
    Some(report.frame(bytes))
}

/// `https://host` of a URL.
fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}
