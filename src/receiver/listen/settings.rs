//! The listen settings, validated like every other setting of the receiver.

use crate::receiver::config::number;
use crate::receiver::{ConfigError, DeliveryMode};

/// Default `LISTEN_RETENTION_SECONDS`: a name stays registered 24 h after its last
/// connection.
pub const DEFAULT_LISTEN_RETENTION_SECONDS: u64 = 86_400;
/// Largest `LISTEN_RETENTION_SECONDS`: 30 days.
pub const MAX_LISTEN_RETENTION_SECONDS: u64 = 30 * 86_400;
/// Default `LISTEN_MAX_BACKLOG`: events kept per disconnected name.
pub const DEFAULT_LISTEN_MAX_BACKLOG: u64 = 10_000;
/// Largest `LISTEN_MAX_BACKLOG`.
pub const MAX_LISTEN_MAX_BACKLOG: u64 = 100_000;
/// How long the hub remembers an id it queued, so that a second publish of it (a claim
/// won again after a failed forward) is not repeated to listeners: DigiVault's retry
/// horizon (26,460 s) with a wide margin.
pub const PUBLISHED_IDS_TTL_SECONDS: u64 = 172_800;

/// What the Worker does with a verified event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiverMode {
    /// Forward to `FORWARD_URL` while DigiVault waits (the default).
    Forward,
    /// Store in the ledger, answer 202, deliver with retries (`DELIVERY_MODE = durable`).
    Durable,
    /// No origin: `LISTEN_TOKEN` set and `FORWARD_URL` unset. Answer 202 once the event is
    /// stored for the listeners.
    Development,
}

impl ReceiverMode {
    /// The name `/health` reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forward => "forward",
            Self::Durable => "durable",
            Self::Development => "development",
        }
    }
}

/// The validated listen settings: present when `LISTEN_TOKEN` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListenSettings {
    /// `LISTEN_RETENTION_SECONDS`.
    pub retention_seconds: u64,
    /// `LISTEN_MAX_BACKLOG`.
    pub max_backlog: u64,
}

impl Default for ListenSettings {
    fn default() -> Self {
        Self {
            retention_seconds: DEFAULT_LISTEN_RETENTION_SECONDS,
            max_backlog: DEFAULT_LISTEN_MAX_BACKLOG,
        }
    }
}

impl ListenSettings {
    /// Reads the listen settings through `get` (a variable by name; unset or blank:
    /// `None`): `None` when `LISTEN_TOKEN` is unset (the feature is off; the other two are
    /// then not read). The listen hub reads them so, without the rest of the receiver's
    /// settings.
    pub fn from_vars<G>(get: &G) -> Result<Option<Self>, ConfigError>
    where
        G: Fn(&str) -> Option<String>,
    {
        let get = |name: &str| get(name).filter(|value| !value.trim().is_empty());
        if get("LISTEN_TOKEN").is_none() {
            return Ok(None);
        }
        let retention_seconds = number(
            &get,
            "LISTEN_RETENTION_SECONDS",
            DEFAULT_LISTEN_RETENTION_SECONDS,
        )?;
        if !(60..=MAX_LISTEN_RETENTION_SECONDS).contains(&retention_seconds) {
            return Err(ConfigError::invalid(
                "LISTEN_RETENTION_SECONDS",
                format!(
                    "LISTEN_RETENTION_SECONDS must be between 60 and \
                     {MAX_LISTEN_RETENTION_SECONDS} (30 days)"
                ),
            ));
        }
        let max_backlog = number(&get, "LISTEN_MAX_BACKLOG", DEFAULT_LISTEN_MAX_BACKLOG)?;
        if !(1..=MAX_LISTEN_MAX_BACKLOG).contains(&max_backlog) {
            return Err(ConfigError::invalid(
                "LISTEN_MAX_BACKLOG",
                format!("LISTEN_MAX_BACKLOG must be between 1 and {MAX_LISTEN_MAX_BACKLOG}"),
            ));
        }
        Ok(Some(Self {
            retention_seconds,
            max_backlog,
        }))
    }

    /// The mode of a Worker with these listen settings (`None`: `LISTEN_TOKEN` unset),
    /// `FORWARD_URL` set or not, and `DELIVERY_MODE`. Without an origin the Worker is a
    /// development receiver, which only exists with listeners and does not store for
    /// durable delivery.
    pub(in crate::receiver) fn mode(
        listen: Option<&Self>,
        has_forward_url: bool,
        delivery: DeliveryMode,
    ) -> Result<ReceiverMode, ConfigError> {
        match (listen, has_forward_url, delivery) {
            (_, true, DeliveryMode::Forward) => Ok(ReceiverMode::Forward),
            (_, true, DeliveryMode::Durable) => Ok(ReceiverMode::Durable),
            (Some(_), false, DeliveryMode::Forward) => Ok(ReceiverMode::Development),
            (Some(_), false, DeliveryMode::Durable) => Err(ConfigError::invalid(
                "FORWARD_URL",
                "DELIVERY_MODE = durable needs FORWARD_URL (a development receiver, with \
                 LISTEN_TOKEN and no FORWARD_URL, stores events for its listeners only)"
                    .to_owned(),
            )),
            (None, false, _) => Err(ConfigError::invalid(
                "FORWARD_URL",
                "FORWARD_URL is not set: set it to your origin's webhook URL in wrangler.toml \
                 [vars] or with `wrangler dev --var FORWARD_URL:...` (or set LISTEN_TOKEN for \
                 a development receiver that only feeds `digivault-webhooks listen`)"
                    .to_owned(),
            )),
        }
    }
}
