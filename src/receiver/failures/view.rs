//! What the admin API shows of kept evidence: `GET /admin/failures` (a page, newest first)
//! and `GET /admin/failures/{id}` (one record with its diagnosis). Signature header values
//! are masked: a refused body may carry a signature valid for it, or for the body it was
//! changed from, and the API never hands out a signature that would pass.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::diagnose::Mistake;
use crate::headers::SIGNATURE_HEADERS;

/// Records listed per page unless `limit` says otherwise.
pub const DEFAULT_FAILURE_LIMIT: usize = 50;
/// Largest `limit` of `GET /admin/failures`.
pub const MAX_FAILURE_LIMIT: usize = 100;

/// Where a page of failures ended: the sequence number of its last record. Opaque to
/// clients (decimal digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureCursor(pub u64);

impl FailureCursor {
    /// The text given to clients.
    pub fn encode(self) -> String {
        self.0.to_string()
    }

    /// Reads a cursor made by [`FailureCursor::encode`]; `None` for anything else.
    ///
    /// ```
    /// use digivault_webhooks::receiver::failures::FailureCursor;
    /// assert_eq!(FailureCursor::decode(&FailureCursor(42).encode()), Some(FailureCursor(42)));
    /// assert_eq!(FailureCursor::decode("-1"), None);
    /// assert_eq!(FailureCursor::decode("1e3"), None);
    /// assert_eq!(FailureCursor::decode(""), None);
    /// ```
    pub fn decode(text: &str) -> Option<Self> {
        if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok().map(Self)
    }
}

/// A record's id as shown: its sequence number in decimal (`None` for anything else).
///
/// ```
/// use digivault_webhooks::receiver::failures::failure_id;
/// assert_eq!(failure_id("17"), Some(17));
/// assert_eq!(failure_id("17x"), None);
/// ```
pub fn failure_id(text: &str) -> Option<u64> {
    FailureCursor::decode(text).map(|cursor| cursor.0)
}

/// One record of `GET /admin/failures`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureItem {
    /// Record id (for `GET /admin/failures/{id}`).
    pub id: String,
    /// When it was refused (Unix ms).
    pub received_at: u64,
    /// The reply's code.
    pub code: String,
    /// The client address.
    pub address: String,
    /// The body's full length.
    pub size: Option<u64>,
    /// The codes of the mistakes the diagnosis names, most likely first.
    pub mistakes: Vec<String>,
}

/// `GET /admin/failures`: newest first, `cursor: null` at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailurePage {
    /// Newest first.
    pub failures: Vec<FailureItem>,
    /// The next page's `cursor`, `null` at the end.
    pub cursor: Option<String>,
}

impl FailurePage {
    /// A page from at most `limit + 1` records read newest first (one more than shown
    /// tells whether another page exists).
    ///
    /// ```
    /// use digivault_webhooks::receiver::failures::{FailureItem, FailurePage};
    /// let item = |id: u64| FailureItem { id: id.to_string(), received_at: id, code: "INVALID_SIGNATURE".into(), address: "a".into(), size: Some(1), mistakes: vec![] };
    /// let page = FailurePage::from_rows(vec![item(9), item(8), item(7)], 2);
    /// assert_eq!(page.cursor.as_deref(), Some("8"));
    /// assert_eq!(FailurePage::from_rows(vec![item(9)], 2).cursor, None);
    /// ```
    pub fn from_rows(rows: Vec<FailureItem>, limit: usize) -> Self {
        let (failures, cursor) = split_page(rows, limit, |item| &item.id);
        Self { failures, cursor }
    }
}

/// At most `limit` of `rows` (read newest first, one more than shown), and the cursor of
/// the next page (the last shown's id) when there is one.
pub fn split_page<T>(
    mut rows: Vec<T>,
    limit: usize,
    id: impl Fn(&T) -> &String,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let cursor = if more {
        rows.last().map(|last| id(last).clone())
    } else {
        None
    };
    (rows, cursor)
}

/// One mistake as shown: the catalogue's code, title and explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MistakeView {
    /// Stable code, e.g. `TRAILING_NEWLINE_ADDED`.
    pub code: String,
    /// Short title.
    pub title: String,
    /// What happened and how to fix it.
    pub explanation: String,
}

impl From<Mistake> for MistakeView {
    fn from(mistake: Mistake) -> Self {
        Self {
            code: mistake.code().to_owned(),
            title: mistake.title().to_owned(),
            explanation: mistake.explanation().to_owned(),
        }
    }
}

/// The diagnosis of a record, computed where the secrets are: mistakes only, never an
/// expected signature.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DiagnosisView {
    /// The mistakes that explain the refusal (then notes), most likely first; empty when
    /// the refusal is not about the signature, or when the body was too large to keep.
    pub mistakes: Vec<MistakeView>,
}

/// `GET /admin/failures/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureView {
    /// Record id.
    pub id: String,
    /// When it was refused (Unix ms).
    pub received_at: u64,
    /// The reply's code.
    pub code: String,
    /// The reply's HTTP status.
    pub status: u16,
    /// The client address.
    pub address: String,
    /// HTTP method.
    pub method: String,
    /// URL path.
    pub path: String,
    /// The request's headers: credentials `[redacted]`, signatures masked
    /// ([`mask_signature`]).
    pub headers: BTreeMap<String, String>,
    /// The body's full length.
    pub size: Option<u64>,
    /// Lowercase hex SHA-256 of the whole body (`null`: not read, a 413).
    pub body_sha256: Option<String>,
    /// The kept bytes (the first 64 KiB), as UTF-8 text or base64.
    pub body: String,
    /// `utf8` or `base64` (the kept bytes are not valid UTF-8).
    pub body_encoding: String,
    /// Whether `body` is only the start of the body.
    pub truncated: bool,
    /// What the Worker's diagnosis names.
    pub diagnosis: DiagnosisView,
}

/// The kept body as shown: UTF-8 text when it is valid UTF-8, base64 otherwise (never
/// mangled by a lossy conversion).
///
/// ```
/// use digivault_webhooks::receiver::failures::show_body;
/// assert_eq!(show_body(b"{}\n"), ("{}\n".to_owned(), "utf8"));
/// assert_eq!(show_body(b"\xff\x00"), ("/wA=".to_owned(), "base64"));
/// ```
pub fn show_body(bytes: &[u8]) -> (String, &'static str) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), "utf8"),
        Err(_) => (STANDARD.encode(bytes), "base64"),
    }
}

/// A signature header's value as shown: its shape, never its digits.
///
/// ```
/// use digivault_webhooks::receiver::failures::mask_signature;
/// assert_eq!(mask_signature(&"ab".repeat(32)), "[masked: 64 characters]");
/// assert_eq!(mask_signature(&format!("sha256={}", "ab".repeat(32))), "[masked: sha256= then 64 characters]");
/// ```
pub fn mask_signature(value: &str) -> String {
    let value = value.trim();
    let prefix_end = value
        .find(['=', ','])
        .filter(|end| *end < 10 && value[..*end].bytes().all(|b| b.is_ascii_alphanumeric()));
    match prefix_end {
        Some(end) => format!(
            "[masked: {} then {} characters]",
            &value[..=end],
            value[end + 1..].chars().count()
        ),
        None => format!("[masked: {} characters]", value.chars().count()),
    }
}

/// The headers as shown: signature headers masked, the rest as kept.
pub fn show_headers(headers: &[(String, String)]) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(name, value)| {
            let signature = SIGNATURE_HEADERS
                .iter()
                .any(|known| known.eq_ignore_ascii_case(name));
            let value = if signature {
                mask_signature(value)
            } else {
                value.clone()
            };
            (name.clone(), value)
        })
        .collect()
}
