//! The receiver's settings, read from string variables with validation.

use std::fmt;

use super::failures::{DEFAULT_FAILURE_SAMPLES, MAX_FAILURE_SAMPLES};
use super::listen::{ListenSettings, ReceiverMode};
use super::DeliverySettings;

/// Default webhook path.
pub const DEFAULT_WEBHOOK_PATH: &str = "/webhooks";
/// The health check path (fixed).
pub const HEALTH_PATH: &str = "/health";
/// Default body limit: the core's [`DEFAULT_MAX_PAYLOAD_BYTES`](crate::DEFAULT_MAX_PAYLOAD_BYTES), 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = crate::DEFAULT_MAX_PAYLOAD_BYTES;
/// Largest accepted `MAX_BODY_BYTES`: 16 MiB. A body is held whole before its HMAC is
/// known (on the JavaScript side, and once in wasm memory, which never shrinks) in an
/// isolate of 128 MB shared by concurrent requests; DigiVault's events are a few KiB.
pub const MAX_MAX_BODY_BYTES: usize = 16 << 20;
/// Default dedup marker lifetime: the core's
/// [`DEFAULT_DEDUP_TTL_SECONDS`](crate::DEFAULT_DEDUP_TTL_SECONDS), 48 h.
pub const DEFAULT_DEDUP_TTL_SECONDS: u64 = crate::DEFAULT_DEDUP_TTL_SECONDS;
/// Workers KV refuses an `expirationTtl` below 60 s.
pub const MIN_KV_TTL_SECONDS: u64 = 60;
/// Default origin timeout: 25 s, under DigiVault's 30 s response timeout.
pub const DEFAULT_FORWARD_TIMEOUT_MS: u64 = 25_000;
/// Largest accepted `FORWARD_TIMEOUT_MS`: the receiver must answer DigiVault within 30 s,
/// its KV calls included.
pub const MAX_FORWARD_TIMEOUT_MS: u64 = 28_000;

/// Every setting the receiver reads: `(name, is_secret, what it does)`.
pub const VARS: [(&str, bool, &str); 25] = [
    (
        "WEBHOOK_SECRET",
        true,
        "the webhook secret from the DigiVault dashboard (required)",
    ),
    (
        "WEBHOOK_SECRET_PREVIOUS",
        true,
        "the previous secret, accepted too during a rotation",
    ),
    (
        "FORWARD_URL",
        false,
        "where verified events are forwarded (required, http or https)",
    ),
    (
        "WEBHOOK_PATH",
        false,
        "path DigiVault posts to (default /webhooks)",
    ),
    (
        "MAX_BODY_BYTES",
        false,
        "body size limit in bytes (default 1048576, at most 16777216)",
    ),
    (
        "MAX_EVENT_AGE_SECONDS",
        false,
        "replay window on created_at (default: off)",
    ),
    (
        "DEDUP_TTL_SECONDS",
        false,
        "how long a forwarded event id is remembered (default 172800)",
    ),
    (
        "LEDGER_SINCE",
        false,
        "with LEDGER and DEDUP: when LEDGER was bound (unix seconds); KV's done: markers are read \
         only until DEDUP_TTL_SECONDS after it (unset: on every new id; 0: never)",
    ),
    (
        "FORWARD_TIMEOUT_MS",
        false,
        "origin timeout in ms (default 25000, at most 28000)",
    ),
    (
        "DELIVERY_MODE",
        false,
        "forward (answer after the origin, default) or durable (store, answer 202, deliver with retries)",
    ),
    (
        "RETRY_SCHEDULE_SECONDS",
        false,
        "durable mode: delays between attempts (default 30,120,600,1800,3600,10800,21600,43200,86400,86400,86400)",
    ),
    (
        "DEAD_LETTER_TTL_SECONDS",
        false,
        "durable mode: how long dead events are kept for a replay (default 1209600)",
    ),
    (
        "MAX_DELIVERIES_IN_FLIGHT",
        false,
        "durable mode: deliveries running at once, split over the 16 ledger shards (default 32)",
    ),
    (
        "ADMIN_TOKEN",
        true,
        "enables the admin API under /admin (at least 32 characters; needs LEDGER)",
    ),
    (
        "FAILURE_SAMPLES",
        false,
        "both scripts: refused deliveries kept as evidence, oldest dropped first (default 500, 0 = off, at most 10000; needs CONSOLE on the ops script)",
    ),
    (
        "FAILURE_SAMPLES_PER_MINUTE",
        false,
        "ops script: evidence records written per minute at most, the rest only counted (default 60)",
    ),
    (
        "FAILURE_TTL_SECONDS",
        false,
        "ops script: how long evidence of a refused delivery is kept (default 604800)",
    ),
    (
        "ALERT_URL",
        false,
        "ops script: where alerts are posted (https, or http to a loopback address; unset = off; needs LEDGER and CONSOLE)",
    ),
    (
        "ALERT_SECRET",
        true,
        "ops script: signs each alert's body in X-DigiVault-Alert-Signature (HMAC-SHA256 hex)",
    ),
    (
        "ALERT_INTERVAL_SECONDS",
        false,
        "ops script: at most one alert per kind per this many seconds (default 300)",
    ),
    (
        "ALERT_FAILURE_THRESHOLD",
        false,
        "ops script: refused deliveries within an interval that raise an alert (default 10)",
    ),
    (
        "ALERT_BACKLOG_SECONDS",
        false,
        "ops script: age of the oldest pending event that raises an alert (default 1800)",
    ),
    (
        "LISTEN_TOKEN",
        true,
        "enables /listen for `digivault-webhooks listen` (at least 32 characters; needs LEDGER); without FORWARD_URL the Worker is a development receiver",
    ),
    (
        "LISTEN_RETENTION_SECONDS",
        false,
        "how long a listener name stays registered after its last connection (default 86400)",
    ),
    (
        "LISTEN_MAX_BACKLOG",
        false,
        "events kept per disconnected listener name, oldest dropped beyond (default 10000)",
    ),
];

/// A setting that is missing or invalid. The message names the variable, never its value
/// when it is a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    code: &'static str,
    var: &'static str,
    message: String,
}

impl ConfigError {
    pub(super) fn missing_secret() -> Self {
        Self {
            code: "NO_SECRET",
            var: "WEBHOOK_SECRET",
            message: "WEBHOOK_SECRET is not set: run `wrangler secret put WEBHOOK_SECRET` \
                      (locally: add it to .dev.vars); every webhook is refused until then"
                .to_owned(),
        }
    }

    /// A binding the Worker needs is absent from its configuration.
    pub fn missing_binding(binding: &'static str) -> Self {
        Self::invalid(
            binding,
            format!(
                "the {binding} binding is missing: declare it in wrangler.toml \
                 (see docs/operations.md, Deploy walkthrough)"
            ),
        )
    }

    /// A binding the Worker needs is bound to something of another type.
    pub fn wrong_binding(binding: &'static str, expected: &str) -> Self {
        Self::invalid(
            binding,
            format!(
                "the {binding} binding is not {expected}: fix its declaration in wrangler.toml"
            ),
        )
    }

    pub(super) fn invalid(var: &'static str, message: String) -> Self {
        Self {
            code: "CONFIG_ERROR",
            var,
            message,
        }
    }

    /// `NO_SECRET` when the webhook secret is missing, `CONFIG_ERROR` otherwise.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The variable at fault.
    pub fn var(&self) -> &'static str {
        self.var
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Where the Worker keeps its deduplication state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DedupStore {
    /// Workers KV (`DEDUP`): best effort across isolates and locations.
    Kv,
    /// The `LEDGER` Durable Object: one claim winner across isolates and locations.
    Ledger,
}

impl DedupStore {
    /// The smallest `DEDUP_TTL_SECONDS`: the Workers KV minimum `expirationTtl` in KV
    /// mode; one second with the ledger (which never writes KV).
    pub fn min_ttl_seconds(self) -> u64 {
        match self {
            Self::Kv => MIN_KV_TTL_SECONDS,
            Self::Ledger => 1,
        }
    }
}

/// The validated, non-secret settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// Path DigiVault posts to (`WEBHOOK_PATH`).
    pub webhook_path: String,
    /// Body size limit in bytes (`MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// Replay window in seconds (`MAX_EVENT_AGE_SECONDS`), `None` when off.
    pub max_event_age_seconds: Option<u64>,
    /// Lifetime of a "forwarded" marker in KV (`DEDUP_TTL_SECONDS`).
    pub dedup_ttl_seconds: u64,
    /// With `LEDGER`: until when (unix seconds) KV's `done:` markers of ids forwarded before
    /// the switch are read: `LEDGER_SINCE` + `DEDUP_TTL_SECONDS`; `None` (unset): always.
    pub kv_done_reads_until: Option<u64>,
    /// Where events are forwarded (`FORWARD_URL`); empty in [`ReceiverMode::Development`].
    pub forward_url: String,
    /// Origin timeout in milliseconds (`FORWARD_TIMEOUT_MS`).
    pub forward_timeout_ms: u64,
    /// Whether `WEBHOOK_SECRET_PREVIOUS` is set (a rotation is in progress).
    pub rotating: bool,
    /// Where deduplication state lives.
    pub dedup_store: DedupStore,
    /// `DELIVERY_MODE` and the durable-mode settings.
    pub delivery: DeliverySettings,
    /// `FAILURE_SAMPLES`: refused deliveries are reported to the ops script as evidence only
    /// when it is above 0 (the ops script reads the other `FAILURE_*` settings).
    pub failure_samples: u64,
    /// The listen settings, `None` when `LISTEN_TOKEN` is unset.
    pub listen: Option<ListenSettings>,
    /// What the Worker does with a verified event.
    pub mode: ReceiverMode,
}

impl Settings {
    /// Reads the settings and the secrets (current first) through `lookup`.
    pub(super) fn from_vars<F>(
        dedup_store: DedupStore,
        lookup: &F,
    ) -> Result<(Self, Vec<String>), ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        // An empty value counts as unset: `WEBHOOK_SECRET_PREVIOUS = ""` after a rotation.
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let mut secrets = vec![get("WEBHOOK_SECRET").ok_or_else(ConfigError::missing_secret)?];
        if let Some(previous) = get("WEBHOOK_SECRET_PREVIOUS") {
            secrets.push(previous);
        }

        let forward_url = get("FORWARD_URL")
            .map(|url| url.trim().to_owned())
            .unwrap_or_default();
        if !forward_url.is_empty() {
            check_url(&forward_url)?;
        }

        let webhook_path = get("WEBHOOK_PATH")
            .map(|path| path.trim().to_owned())
            .unwrap_or_else(|| DEFAULT_WEBHOOK_PATH.to_owned());
        if !webhook_path.starts_with('/')
            || webhook_path == HEALTH_PATH
            || webhook_path
                .chars()
                .any(|c| c.is_whitespace() || c == '?' || c == '#')
        {
            return Err(ConfigError::invalid(
                "WEBHOOK_PATH",
                format!(
                    "WEBHOOK_PATH `{webhook_path}` must be a URL path starting with `/`, \
                     without query or spaces, and not {HEALTH_PATH}"
                ),
            ));
        }

        let max_body_bytes = number(&get, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES as u64)?;
        let max_body_bytes = usize::try_from(max_body_bytes)
            .ok()
            .filter(|bytes| (1..=MAX_MAX_BODY_BYTES).contains(bytes))
            .ok_or_else(|| {
                ConfigError::invalid(
                    "MAX_BODY_BYTES",
                    format!("MAX_BODY_BYTES must be between 1 and {MAX_MAX_BODY_BYTES}"),
                )
            })?;

        let max_event_age_seconds = match get("MAX_EVENT_AGE_SECONDS") {
            None => None,
            Some(_) => Some(number(&get, "MAX_EVENT_AGE_SECONDS", 0)?)
                .filter(|seconds| *seconds >= 1)
                .map(Some)
                .ok_or_else(|| {
                    ConfigError::invalid(
                        "MAX_EVENT_AGE_SECONDS",
                        "MAX_EVENT_AGE_SECONDS must be at least 1 (leave it unset to turn the \
                         replay window off)"
                            .to_owned(),
                    )
                })?,
        };

        let dedup_ttl_seconds = number(&get, "DEDUP_TTL_SECONDS", DEFAULT_DEDUP_TTL_SECONDS)?;
        let min_ttl = dedup_store.min_ttl_seconds();
        if dedup_ttl_seconds < min_ttl {
            let why = match dedup_store {
                DedupStore::Kv => " (the Workers KV minimum)",
                DedupStore::Ledger => "",
            };
            return Err(ConfigError::invalid(
                "DEDUP_TTL_SECONDS",
                format!(
                    "DEDUP_TTL_SECONDS must be at least {min_ttl}{why}; keep it above \
                     DigiVault's 26460 s retry horizon"
                ),
            ));
        }

        let forward_timeout_ms = number(&get, "FORWARD_TIMEOUT_MS", DEFAULT_FORWARD_TIMEOUT_MS)?;
        if !(1..=MAX_FORWARD_TIMEOUT_MS).contains(&forward_timeout_ms) {
            return Err(ConfigError::invalid(
                "FORWARD_TIMEOUT_MS",
                format!(
                    "FORWARD_TIMEOUT_MS must be between 1 and {MAX_FORWARD_TIMEOUT_MS}: \
                     DigiVault gives up on a response after 30 s"
                ),
            ));
        }

        // The markers written in KV mode live DEDUP_TTL_SECONDS at most: after that, reading
        // them on every new id only costs a subrequest.
        let kv_done_reads_until = match get("LEDGER_SINCE") {
            None => None,
            Some(_) => Some(number(&get, "LEDGER_SINCE", 0)?.saturating_add(dedup_ttl_seconds)),
        };

        let delivery = DeliverySettings::from_vars(&get, max_body_bytes)?;
        delivery.check_ledger(dedup_store == DedupStore::Ledger)?;
        let failure_samples = number(&get, "FAILURE_SAMPLES", DEFAULT_FAILURE_SAMPLES)?;
        if failure_samples > MAX_FAILURE_SAMPLES {
            return Err(ConfigError::invalid(
                "FAILURE_SAMPLES",
                format!("FAILURE_SAMPLES must be at most {MAX_FAILURE_SAMPLES}; 0 turns the evidence off"),
            ));
        }
        let listen = ListenSettings::from_vars(&get)?;
        let mode = ListenSettings::mode(listen.as_ref(), !forward_url.is_empty(), delivery.mode)?;
        if listen.is_some() && max_body_bytes > super::MAX_DURABLE_BODY_BYTES {
            return Err(ConfigError::invalid(
                "MAX_BODY_BYTES",
                format!(
                    "MAX_BODY_BYTES must be at most {} with LISTEN_TOKEN: an event waiting \
                     for a listener is stored in one Durable Object row (2 MB at most)",
                    super::MAX_DURABLE_BODY_BYTES
                ),
            ));
        }

        let settings = Self {
            delivery,
            failure_samples,
            webhook_path,
            max_body_bytes,
            max_event_age_seconds,
            dedup_ttl_seconds,
            kv_done_reads_until,
            forward_url,
            forward_timeout_ms,
            rotating: secrets.len() > 1,
            dedup_store,
            listen,
            mode,
        };
        Ok((settings, secrets))
    }

    /// With `LEDGER` and `DEDUP`: whether a new id's `done:` marker in KV is read at
    /// `now_seconds` (see [`Settings::kv_done_reads_until`]).
    pub fn reads_kv_done(&self, now_seconds: u64) -> bool {
        self.kv_done_reads_until
            .is_none_or(|until| now_seconds < until)
    }

    /// `Retry-After` for a delivery that found its event in flight: the time the
    /// other delivery may still take, in whole seconds.
    pub fn in_flight_retry_after_seconds(&self) -> u64 {
        self.forward_timeout_ms.div_ceil(1000).max(1)
    }
}

pub(super) fn number<G>(get: &G, var: &'static str, default: u64) -> Result<u64, ConfigError>
where
    G: Fn(&str) -> Option<String>,
{
    match get(var) {
        None => Ok(default),
        Some(text) => text.trim().parse::<u64>().map_err(|_| {
            ConfigError::invalid(
                var,
                format!("{var} must be a whole number, got `{}`", text.trim()),
            )
        }),
    }
}

fn check_url(url: &str) -> Result<(), ConfigError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::invalid(
            "FORWARD_URL",
            // The value is not echoed: a URL may carry credentials.
            "FORWARD_URL must be an absolute http:// or https:// URL".to_owned(),
        ));
    }
    Ok(())
}
