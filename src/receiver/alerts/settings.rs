//! `ALERT_URL`, `ALERT_SECRET`, `ALERT_INTERVAL_SECONDS`, `ALERT_FAILURE_THRESHOLD`,
//! `ALERT_BACKLOG_SECONDS`.

use std::fmt;

use crate::receiver::failures::positive;
use crate::receiver::ConfigError;

/// Default `ALERT_INTERVAL_SECONDS`: at most one alert per kind every 5 minutes.
pub const DEFAULT_ALERT_INTERVAL_SECONDS: u64 = 300;
/// Default `ALERT_FAILURE_THRESHOLD`: refused deliveries within an interval.
pub const DEFAULT_ALERT_FAILURE_THRESHOLD: u64 = 10;
/// Default `ALERT_BACKLOG_SECONDS`: the oldest pending event's age that means "the origin
/// is down".
pub const DEFAULT_ALERT_BACKLOG_SECONDS: u64 = 1800;

/// `ALERT_SECRET`, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AlertSecret(pub(crate) String);

impl AlertSecret {
    /// The key's bytes.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for AlertSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AlertSecret([redacted])")
    }
}

/// The validated alert settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSettings {
    /// `ALERT_URL`: where alerts are posted (`None`: alerts off).
    pub url: Option<String>,
    /// `ALERT_SECRET`: signs each alert's body (`X-DigiVault-Alert-Signature`).
    pub secret: Option<AlertSecret>,
    /// `ALERT_INTERVAL_SECONDS`.
    pub interval_seconds: u64,
    /// `ALERT_FAILURE_THRESHOLD`.
    pub failure_threshold: u64,
    /// `ALERT_BACKLOG_SECONDS`.
    pub backlog_seconds: u64,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            url: None,
            secret: None,
            interval_seconds: DEFAULT_ALERT_INTERVAL_SECONDS,
            failure_threshold: DEFAULT_ALERT_FAILURE_THRESHOLD,
            backlog_seconds: DEFAULT_ALERT_BACKLOG_SECONDS,
        }
    }
}

impl AlertSettings {
    /// Whether alerts are on (`ALERT_URL` set).
    pub fn enabled(&self) -> bool {
        self.url.is_some()
    }

    /// `ALERT_INTERVAL_SECONDS` in milliseconds.
    pub fn interval_ms(&self) -> u64 {
        self.interval_seconds.saturating_mul(1000)
    }

    /// Reads the settings through `get` (unset or blank: `None`).
    pub(in crate::receiver) fn from_vars<G>(get: &G) -> Result<Self, ConfigError>
    where
        G: Fn(&str) -> Option<String>,
    {
        let url = get("ALERT_URL").map(|url| url.trim().to_owned());
        if let Some(url) = &url {
            check_alert_url(url)?;
        }
        let week = 7 * 86_400;
        Ok(Self {
            url,
            secret: get("ALERT_SECRET").map(AlertSecret),
            interval_seconds: positive(
                get,
                "ALERT_INTERVAL_SECONDS",
                DEFAULT_ALERT_INTERVAL_SECONDS,
                86_400,
            )?,
            failure_threshold: positive(
                get,
                "ALERT_FAILURE_THRESHOLD",
                DEFAULT_ALERT_FAILURE_THRESHOLD,
                1_000_000,
            )?,
            backlog_seconds: positive(
                get,
                "ALERT_BACKLOG_SECONDS",
                DEFAULT_ALERT_BACKLOG_SECONDS,
                week,
            )?,
        })
    }
}

/// `ALERT_URL` must be `https://`, or `http://` to a loopback address (tests, a local
/// relay): an alert names events and addresses, so it never crosses a network in clear.
///
/// ```
/// use digivault_webhooks::receiver::alerts::check_alert_url;
/// assert!(check_alert_url("https://hooks.slack.com/services/T/B/x").is_ok());
/// assert!(check_alert_url("http://127.0.0.1:9000/alerts").is_ok());
/// assert!(check_alert_url("http://localhost/a").is_ok());
/// assert!(check_alert_url("http://[::1]:80/").is_ok());
/// assert!(check_alert_url("http://alerts.example/").is_err());
/// assert!(check_alert_url("http://127.0.0.1.evil.example/").is_err());
/// assert!(check_alert_url("ftp://x/").is_err());
/// assert!(check_alert_url("https://").is_err());
/// ```
pub fn check_alert_url(url: &str) -> Result<(), ConfigError> {
    let invalid = || {
        ConfigError::invalid(
            "ALERT_URL",
            // The value is not echoed: an incoming-webhook URL is a credential.
            "ALERT_URL must be an absolute https:// URL (or http:// to 127.0.0.1, [::1] or \
             localhost)"
                .to_owned(),
        )
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let authority = |rest: &str| {
        rest.split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    if let Some(rest) = url.strip_prefix("https://") {
        let host = authority(rest);
        return if host.is_empty() || host.contains('@') {
            Err(invalid())
        } else {
            Ok(())
        };
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(invalid());
    };
    let authority = authority(rest);
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    let loopback = host == "localhost"
        || host == "::1"
        || (host.starts_with("127.")
            && host.split('.').count() == 4
            && host.split('.').all(|part| part.parse::<u8>().is_ok()));
    if loopback && !authority.contains('@') {
        Ok(())
    } else {
        Err(invalid())
    }
}
