//! The delivery settings: `DELIVERY_MODE` and what durable mode needs.

use super::retry::{RetryPolicy, DEFAULT_RETRY_SCHEDULE};
use crate::receiver::config::number;
use crate::receiver::ledger::LEDGER_SHARDS;
use crate::receiver::ConfigError;

/// Default `DEAD_LETTER_TTL_SECONDS`: dead events are kept 14 days for a replay.
pub const DEFAULT_DEAD_LETTER_TTL_SECONDS: u64 = 14 * 86_400;

/// Default `MAX_DELIVERIES_IN_FLIGHT`: 32 in all, 2 per ledger shard (see docs/development.md's
/// durable-mode benchmark for the delivery rate it sustains).
pub const DEFAULT_MAX_DELIVERIES_IN_FLIGHT: u64 = 32;

/// Largest `MAX_BODY_BYTES` in durable mode: a SQLite-backed Durable Object holds at most
/// 2 MB per row, and a row also holds the id, signature and hashes.
pub const MAX_DURABLE_BODY_BYTES: usize = 1_900_000;

/// Shortest accepted `ADMIN_TOKEN`.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;

/// How verified events reach the origin (`DELIVERY_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMode {
    /// Forward while DigiVault waits; answer with the origin's outcome (the default).
    Forward,
    /// Store in the ledger, answer 202, deliver from the ledger's alarm with retries.
    Durable,
}

/// The validated delivery settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliverySettings {
    /// `DELIVERY_MODE`.
    pub mode: DeliveryMode,
    /// `RETRY_SCHEDULE_SECONDS`.
    pub retry: RetryPolicy,
    /// `DEAD_LETTER_TTL_SECONDS`.
    pub dead_letter_ttl_seconds: u64,
    /// `MAX_DELIVERIES_IN_FLIGHT`, across all shards.
    pub max_deliveries_in_flight: u64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            mode: DeliveryMode::Forward,
            retry: RetryPolicy::default(),
            dead_letter_ttl_seconds: DEFAULT_DEAD_LETTER_TTL_SECONDS,
            max_deliveries_in_flight: DEFAULT_MAX_DELIVERIES_IN_FLIGHT,
        }
    }
}

impl DeliverySettings {
    /// Reads the delivery settings through `get` (unset or blank: `None`); `max_body_bytes`
    /// is checked against what a ledger row holds in durable mode.
    pub(in crate::receiver) fn from_vars<G>(
        get: &G,
        max_body_bytes: usize,
    ) -> Result<Self, ConfigError>
    where
        G: Fn(&str) -> Option<String>,
    {
        let mode = match get("DELIVERY_MODE").as_deref().map(str::trim) {
            None | Some("forward") => DeliveryMode::Forward,
            Some("durable") => DeliveryMode::Durable,
            Some(other) => {
                return Err(ConfigError::invalid(
                    "DELIVERY_MODE",
                    format!("DELIVERY_MODE must be `forward` or `durable`, got `{other}`"),
                ))
            }
        };
        if mode == DeliveryMode::Durable && max_body_bytes > MAX_DURABLE_BODY_BYTES {
            return Err(ConfigError::invalid(
                "MAX_BODY_BYTES",
                format!(
                    "MAX_BODY_BYTES must be at most {MAX_DURABLE_BODY_BYTES} in durable mode: \
                     the body is stored in one Durable Object row (2 MB at most)"
                ),
            ));
        }
        let schedule = get("RETRY_SCHEDULE_SECONDS");
        let retry = RetryPolicy::parse(schedule.as_deref().unwrap_or(DEFAULT_RETRY_SCHEDULE))
            .map_err(|why| {
                ConfigError::invalid(
                    "RETRY_SCHEDULE_SECONDS",
                    format!("RETRY_SCHEDULE_SECONDS: {why} (comma-separated seconds)"),
                )
            })?;
        let dead_letter_ttl_seconds = number(
            get,
            "DEAD_LETTER_TTL_SECONDS",
            DEFAULT_DEAD_LETTER_TTL_SECONDS,
        )?;
        if dead_letter_ttl_seconds == 0 {
            return Err(ConfigError::invalid(
                "DEAD_LETTER_TTL_SECONDS",
                "DEAD_LETTER_TTL_SECONDS must be at least 1".to_owned(),
            ));
        }
        let max_deliveries_in_flight = number(
            get,
            "MAX_DELIVERIES_IN_FLIGHT",
            DEFAULT_MAX_DELIVERIES_IN_FLIGHT,
        )?;
        if !(1..=10_000).contains(&max_deliveries_in_flight) {
            return Err(ConfigError::invalid(
                "MAX_DELIVERIES_IN_FLIGHT",
                "MAX_DELIVERIES_IN_FLIGHT must be between 1 and 10000".to_owned(),
            ));
        }
        Ok(Self {
            mode,
            retry,
            dead_letter_ttl_seconds,
            max_deliveries_in_flight,
        })
    }

    /// Deliveries one ledger shard may have in flight: the global cap split over the
    /// shards, rounded up, at least 1.
    ///
    /// ```
    /// use digivault_webhooks::receiver::DeliverySettings;
    /// let mut settings = DeliverySettings::default();
    /// assert_eq!(settings.per_shard_in_flight(), 2); // 32 / 16
    /// settings.max_deliveries_in_flight = 1;
    /// assert_eq!(settings.per_shard_in_flight(), 1);
    /// settings.max_deliveries_in_flight = 17;
    /// assert_eq!(settings.per_shard_in_flight(), 2);
    /// ```
    pub fn per_shard_in_flight(&self) -> u64 {
        self.max_deliveries_in_flight
            .div_ceil(u64::from(LEDGER_SHARDS))
            .max(1)
    }

    /// Durable mode needs the ledger: `CONFIG_ERROR` naming `LEDGER` when it is not bound.
    pub fn check_ledger(&self, ledger_bound: bool) -> Result<(), ConfigError> {
        if self.mode == DeliveryMode::Durable && !ledger_bound {
            return Err(ConfigError::invalid(
                "LEDGER",
                "DELIVERY_MODE = durable needs the LEDGER Durable Object binding: declare it \
                 in wrangler.toml (see docs/receiver.md), or set DELIVERY_MODE = forward"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}
