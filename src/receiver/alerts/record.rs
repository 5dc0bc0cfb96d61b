//! How an alert is sent (headers, signature, retries) and how it is recorded and listed
//! (`GET /admin/alerts`).

use serde::{Deserialize, Serialize};

use super::decide::AlertKind;
use super::settings::AlertSettings;
use crate::receiver::failures::split_page;
use crate::signature::sign;

/// The header carrying the alert's signature: lowercase hex HMAC-SHA256 of the body with
/// `ALERT_SECRET`, which this package's `verify` checks.
pub const ALERT_SIGNATURE_HEADER: &str = "X-DigiVault-Alert-Signature";
/// Attempts per alert before it is recorded as failed.
pub const ALERT_ATTEMPTS: usize = 3;
/// The pause before the second and third attempts.
pub const ALERT_RETRY_DELAYS_MS: [u64; 2] = [500, 2000];
/// How long one attempt may take.
pub const ALERT_TIMEOUT_MS: u64 = 5000;
/// Alerts listed per page unless `limit` says otherwise.
pub const DEFAULT_ALERT_LIMIT: usize = 50;
/// Largest `limit` of `GET /admin/alerts`.
pub const MAX_ALERT_LIMIT: usize = 100;

/// The headers of an alert's `POST`: JSON, and the signature when `ALERT_SECRET` is set.
///
/// ```
/// use digivault_webhooks::receiver::alerts::{alert_headers, AlertSettings};
/// let settings = AlertSettings::default();
/// assert_eq!(alert_headers(&settings, b"{}").len(), 1);
/// ```
pub fn alert_headers(settings: &AlertSettings, body: &[u8]) -> Vec<(&'static str, String)> {
    let mut headers = vec![("Content-Type", "application/json".to_owned())];
    if let Some(secret) = &settings.secret {
        headers.push((ALERT_SIGNATURE_HEADER, sign(secret.expose(), body)));
    }
    headers
}

/// An alert as recorded and listed, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// Record id (decimal).
    pub id: String,
    /// What it was about.
    pub kind: AlertKind,
    /// When it was decided (Unix ms).
    pub at: u64,
    /// The alert's `text`.
    pub text: String,
    /// The alert's `count`.
    pub count: u64,
    /// The alert's `ids`.
    pub ids: Vec<String>,
    /// `sent` (the URL answered 2xx) or `failed` (every attempt failed).
    pub outcome: String,
    /// Attempts made.
    pub attempts: u32,
    /// The last answer's HTTP status, when there was one.
    pub status: Option<u16>,
    /// Why the last attempt failed without a status (`unreachable`, `timeout`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// Where a page of alerts ended (the last record's id). Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertCursor(pub u64);

impl AlertCursor {
    /// Reads a cursor (decimal digits); `None` for anything else.
    ///
    /// ```
    /// use digivault_webhooks::receiver::alerts::AlertCursor;
    /// assert_eq!(AlertCursor::decode("12"), Some(AlertCursor(12)));
    /// assert_eq!(AlertCursor::decode("x"), None);
    /// ```
    pub fn decode(text: &str) -> Option<Self> {
        crate::receiver::failures::FailureCursor::decode(text).map(|cursor| Self(cursor.0))
    }
}

/// `GET /admin/alerts`: newest first, `cursor: null` at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertPage {
    /// Newest first.
    pub alerts: Vec<AlertRecord>,
    /// The next page's `cursor`, `null` at the end.
    pub cursor: Option<String>,
}

impl AlertPage {
    /// A page from at most `limit + 1` records read newest first.
    pub fn from_rows(rows: Vec<AlertRecord>, limit: usize) -> Self {
        let (alerts, cursor) = split_page(rows, limit, |record| &record.id);
        Self { alerts, cursor }
    }
}
