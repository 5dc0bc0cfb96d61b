//! `FAILURE_SAMPLES`, `FAILURE_SAMPLES_PER_MINUTE`, `FAILURE_TTL_SECONDS`.

use crate::receiver::config::number;
use crate::receiver::ConfigError;

/// Default `FAILURE_SAMPLES`.
pub const DEFAULT_FAILURE_SAMPLES: u64 = 500;
/// Largest `FAILURE_SAMPLES`: a record holds up to 64 KiB of body plus up to 128 KiB of
/// headers, and all records live in one Durable Object (10 GB at most): 10 000 records are
/// at most ~2 GB, and a listing's `ORDER BY` stays an index walk.
pub const MAX_FAILURE_SAMPLES: u64 = 10_000;
/// Default `FAILURE_SAMPLES_PER_MINUTE`.
pub const DEFAULT_FAILURE_SAMPLES_PER_MINUTE: u64 = 60;
/// Largest `FAILURE_SAMPLES_PER_MINUTE`: one object absorbs about 1 000 requests/s.
pub const MAX_FAILURE_SAMPLES_PER_MINUTE: u64 = 10_000;
/// Default `FAILURE_TTL_SECONDS`: 7 days.
pub const DEFAULT_FAILURE_TTL_SECONDS: u64 = 7 * 86_400;

/// The validated evidence settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureSettings {
    /// `FAILURE_SAMPLES`: records kept at most (0: evidence off).
    pub samples: u64,
    /// `FAILURE_SAMPLES_PER_MINUTE`: records written per minute at most.
    pub per_minute: u64,
    /// `FAILURE_TTL_SECONDS`: how long a record is kept.
    pub ttl_seconds: u64,
}

impl Default for FailureSettings {
    fn default() -> Self {
        Self {
            samples: DEFAULT_FAILURE_SAMPLES,
            per_minute: DEFAULT_FAILURE_SAMPLES_PER_MINUTE,
            ttl_seconds: DEFAULT_FAILURE_TTL_SECONDS,
        }
    }
}

impl FailureSettings {
    /// Whether evidence is kept at all (`FAILURE_SAMPLES` > 0).
    pub fn enabled(&self) -> bool {
        self.samples > 0
    }

    /// Reads the settings through `get` (unset or blank: `None`).
    pub(in crate::receiver) fn from_vars<G>(get: &G) -> Result<Self, ConfigError>
    where
        G: Fn(&str) -> Option<String>,
    {
        let samples = number(get, "FAILURE_SAMPLES", DEFAULT_FAILURE_SAMPLES)?;
        if samples > MAX_FAILURE_SAMPLES {
            return Err(ConfigError::invalid(
                "FAILURE_SAMPLES",
                format!(
                    "FAILURE_SAMPLES must be at most {MAX_FAILURE_SAMPLES} (what one Durable \
                     Object holds comfortably); 0 turns the evidence off"
                ),
            ));
        }
        let per_minute = positive(
            get,
            "FAILURE_SAMPLES_PER_MINUTE",
            DEFAULT_FAILURE_SAMPLES_PER_MINUTE,
            MAX_FAILURE_SAMPLES_PER_MINUTE,
        )?;
        let ttl_seconds = positive(
            get,
            "FAILURE_TTL_SECONDS",
            DEFAULT_FAILURE_TTL_SECONDS,
            365 * 86_400,
        )?;
        Ok(Self {
            samples,
            per_minute,
            ttl_seconds,
        })
    }
}

/// A whole number between 1 and `max`.
pub(crate) fn positive<G>(
    get: &G,
    var: &'static str,
    default: u64,
    max: u64,
) -> Result<u64, ConfigError>
where
    G: Fn(&str) -> Option<String>,
{
    let value = number(get, var, default)?;
    if !(1..=max).contains(&value) {
        return Err(ConfigError::invalid(
            var,
            format!("{var} must be a whole number between 1 and {max}"),
        ));
    }
    Ok(value)
}

/// The console's settings alone (`FAILURE_*`, `ALERT_*`), for the side that keeps the
/// evidence and sends the alerts: it needs neither `FORWARD_URL` nor the webhook settings.
///
/// ```
/// use digivault_webhooks::receiver::failures::console_settings;
/// let (failures, alerts) = console_settings(|name: &str| (name == "FAILURE_SAMPLES").then(|| "7".to_owned())).unwrap();
/// assert_eq!((failures.samples, alerts.enabled()), (7, false));
/// assert!(console_settings(|name: &str| (name == "ALERT_URL").then(|| "http://x.example".to_owned())).is_err());
/// ```
pub fn console_settings<F>(
    lookup: F,
) -> Result<(FailureSettings, crate::receiver::alerts::AlertSettings), ConfigError>
where
    F: Fn(&str) -> Option<String>,
{
    let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
    Ok((
        FailureSettings::from_vars(&get)?,
        crate::receiver::alerts::AlertSettings::from_vars(&get)?,
    ))
}
