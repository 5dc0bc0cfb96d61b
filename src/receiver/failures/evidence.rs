//! What the webhook path keeps of a refused request: which refusals count, the headers with
//! credentials redacted, and the report sent (once, after the reply is decided) to the
//! object that keeps the records.

use serde::{Deserialize, Serialize};

/// Reply codes whose requests are kept as evidence: refused at verification (401) or
/// validation (400), and 413.
pub const KEPT_CODES: [&str; 8] = [
    "MISSING_SIGNATURE",
    "MALFORMED_SIGNATURE",
    "INVALID_SIGNATURE",
    "INVALID_JSON",
    "INVALID_EVENT",
    "EVENT_TOO_OLD",
    "EVENT_FROM_FUTURE",
    "PAYLOAD_TOO_LARGE",
];

/// How much of a refused body is kept: its first 64 KiB (its full length and SHA-256 are
/// kept too).
pub const EVIDENCE_BODY_BYTES: usize = 64 * 1024;

/// Headers whose values are never kept.
pub const REDACTED_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

/// What a redacted header value reads.
pub const REDACTED: &str = "[redacted]";

/// At most this many headers are kept of one request (the rest are dropped)...
pub const MAX_KEPT_HEADERS: usize = 64;
/// ...each value cut to this many bytes (at a character boundary).
pub const MAX_HEADER_VALUE_BYTES: usize = 2048;

/// Whether a refusal with this reply code is kept as evidence.
///
/// ```
/// use digivault_webhooks::receiver::failures::is_kept;
/// assert!(is_kept(Some("INVALID_SIGNATURE")));
/// assert!(is_kept(Some("PAYLOAD_TOO_LARGE")));
/// assert!(!is_kept(Some("RATE_LIMITED")));
/// assert!(!is_kept(None));
/// ```
pub fn is_kept(code: Option<&str>) -> bool {
    code.is_some_and(|code| KEPT_CODES.contains(&code))
}

/// The request's headers as kept: names lowercased, the values of `Authorization`,
/// `Cookie` and `Proxy-Authorization` replaced by `[redacted]`, at most
/// [`MAX_KEPT_HEADERS`], values cut to [`MAX_HEADER_VALUE_BYTES`].
///
/// ```
/// use digivault_webhooks::receiver::failures::redact_headers;
/// let kept = redact_headers(vec![("Cookie".into(), "session=1".into()), ("x-a".into(), "b".into())]);
/// assert_eq!(kept, [("cookie".to_owned(), "[redacted]".to_owned()), ("x-a".into(), "b".into())]);
/// ```
pub fn redact_headers<I>(headers: I) -> Vec<(String, String)>
where
    I: IntoIterator<Item = (String, String)>,
{
    headers
        .into_iter()
        .take(MAX_KEPT_HEADERS)
        .map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let value = if REDACTED_HEADERS.contains(&name.as_str()) {
                REDACTED.to_owned()
            } else {
                cut(&value, MAX_HEADER_VALUE_BYTES).to_owned()
            };
            (name, value)
        })
        .collect()
}

/// `text` cut to at most `max` bytes, at a character boundary.
pub(crate) fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// What the webhook path sends of a refused request (then the kept body bytes, see
/// [`FailureReport::frame`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureReport {
    /// When it was refused (Unix ms).
    pub received_at: u64,
    /// The client address (`CF-Connecting-IP`).
    pub address: String,
    /// HTTP method.
    pub method: String,
    /// URL path.
    pub path: String,
    /// The headers, redacted ([`redact_headers`]).
    pub headers: Vec<(String, String)>,
    /// The reply's HTTP status.
    pub status: u16,
    /// The reply's code (one of [`KEPT_CODES`]).
    pub code: String,
    /// The body's full length (`None`: a 413 refused on its declared length with no
    /// usable `Content-Length`).
    pub size: Option<u64>,
    /// Lowercase hex SHA-256 of the whole body (`None`: the body was not read, a 413).
    pub body_sha256: Option<String>,
    /// Where the Worker is reached (scheme and host), for the console's URL in alerts.
    #[serde(default)]
    pub origin: String,
}

impl FailureReport {
    /// The request body of a report: the metadata as one JSON line, then the kept body
    /// bytes (at most [`EVIDENCE_BODY_BYTES`] of `body`).
    pub fn frame(&self, body: &[u8]) -> Vec<u8> {
        crate::receiver::frame(self, &body[..body.len().min(EVIDENCE_BODY_BYTES)])
    }

    /// Splits a framed report back into metadata and kept body; `None` when unreadable or
    /// when the body is longer than [`EVIDENCE_BODY_BYTES`].
    ///
    /// ```
    /// use digivault_webhooks::receiver::failures::FailureReport;
    /// let report = FailureReport { received_at: 1, address: "192.0.2.1".into(), method: "POST".into(), path: "/webhooks".into(), headers: vec![], status: 401, code: "INVALID_SIGNATURE".into(), size: Some(3), body_sha256: None, origin: String::new() };
    /// let framed = report.frame(b"{\n}");
    /// assert_eq!(FailureReport::unframe(&framed), Some((report, &b"{\n}"[..])));
    /// ```
    pub fn unframe(framed: &[u8]) -> Option<(Self, &[u8])> {
        let (report, body) = crate::receiver::unframe(framed)?;
        (body.len() <= EVIDENCE_BODY_BYTES).then_some((report, body))
    }

    /// Whether the kept body is only the start of the body.
    pub fn truncated(&self, kept: usize) -> bool {
        self.size.is_none_or(|size| size > kept as u64)
    }

    /// The value of header `name` (lowercase), if kept.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}
