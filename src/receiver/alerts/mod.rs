//! Alerts (`ALERT_URL`): the settings, which alerts to send from what the ops side
//! observed, and how each is signed. The ops side's alarm gathers the observation, posts
//! the alerts (with retries) and records them for `GET /admin/alerts`.

mod decide;
mod record;
mod settings;

pub use decide::{decide, next_evaluation, Alert, AlertKind, AlertState, Observation, ALERT_IDS};
pub use record::{
    alert_headers, AlertCursor, AlertPage, AlertRecord, ALERT_ATTEMPTS, ALERT_RETRY_DELAYS_MS,
    ALERT_SIGNATURE_HEADER, ALERT_TIMEOUT_MS, DEFAULT_ALERT_LIMIT, MAX_ALERT_LIMIT,
};
pub use settings::{
    check_alert_url, AlertSecret, AlertSettings, DEFAULT_ALERT_BACKLOG_SECONDS,
    DEFAULT_ALERT_FAILURE_THRESHOLD, DEFAULT_ALERT_INTERVAL_SECONDS,
};

#[cfg(test)]
mod tests;
