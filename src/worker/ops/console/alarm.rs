//! The console object's alarm: expires evidence, and (with `ALERT_URL`) gathers what the
//! alerts need from the ledger's shards and its own rows, decides, posts each alert with
//! retries and records it. Never on a webhook's path: only this alarm sends alerts.

use std::time::Duration;

use futures_util::future::join_all;
use worker::js_sys::Uint8Array;
use worker::{console_error, Date, Delay, Env, ObjectNamespace, SqlStorage};

use super::super::super::forward;
use super::super::super::ledger_client::call;
use super::store;
use crate::receiver::alerts::{
    alert_headers, decide, Alert, AlertRecord, AlertSettings, AlertState, Observation,
    ALERT_ATTEMPTS, ALERT_RETRY_DELAYS_MS, ALERT_TIMEOUT_MS,
};
use crate::receiver::failures::{first_hour, Overview, OverviewRequest, OVERVIEW_OP};
use crate::receiver::ledger::LEDGER_SHARDS;
use crate::receiver::{attempt_error, parse_retry_after, OriginResult};

/// The longest `Retry-After` an alert URL is granted between attempts.
const MAX_ALERT_RETRY_AFTER_MS: u64 = 10_000;

const STATE_KEY: &str = "alerts";

/// The alert state kept between evaluations.
pub(super) fn state(sql: &SqlStorage) -> worker::Result<AlertState> {
    Ok(store::meta(sql, STATE_KEY)?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default())
}

fn now_ms() -> u64 {
    Date::now().as_millis()
}

/// The ledger's overview, every shard at once (16 subrequests).
pub(crate) async fn overview(
    ledger: &ObjectNamespace,
    request: &OverviewRequest,
) -> Result<Overview, String> {
    let parts: Vec<Result<Overview, String>> =
        join_all((0..LEDGER_SHARDS).map(|shard| call(ledger, shard, OVERVIEW_OP, request))).await;
    parts
        .into_iter()
        .try_fold(Overview::default(), |sum, part| Ok(sum.merge(part?)))
}

/// The console object's alarm; returns when it must fire next (Unix ms).
pub(crate) async fn alarm(env: &Env, sql: &SqlStorage) -> Option<u64> {
    let settings = match super::settings(env) {
        Ok(settings) => settings,
        Err(err) => {
            log_error("settings", &err.to_string());
            return None;
        }
    };
    let now = now_ms();
    let expiry = match store::expire(sql, &settings.failures, now) {
        Ok(expiry) => expiry,
        Err(err) => {
            log_error("expire", &err.to_string());
            None
        }
    };
    let alerts = &settings.alerts;
    if !alerts.enabled() {
        return expiry;
    }
    let next = match evaluate(env, sql, alerts, now).await {
        Ok(next) => next,
        Err(err) => {
            log_error("alerts", &err);
            Some(now.saturating_add(alerts.interval_ms()))
        }
    };
    match (expiry, next) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn log_error(what: &str, err: &str) {
    let line = serde_json::json!({"level": "error", "outcome": "console_error", "detail": format!("{what}: {err}")});
    console_error!("{line}");
}

/// One evaluation; returns when the next one is useful.
async fn evaluate(
    env: &Env,
    sql: &SqlStorage,
    settings: &AlertSettings,
    now: u64,
) -> Result<Option<u64>, String> {
    let previous = state(sql).map_err(|err| err.to_string())?;
    if previous.next_allowed(settings, now) > now {
        return Ok(Some(previous.next_allowed(settings, now)));
    }
    let ledger = env
        .durable_object("LEDGER")
        .map_err(|err| err.to_string())?;
    let dead_since = if previous.evaluated_at == 0 {
        now.saturating_sub(settings.interval_ms())
    } else {
        previous.dead_since
    };
    let request = OverviewRequest {
        since: first_hour(now),
        dead_since,
    };
    let ledger_view = overview(&ledger, &request).await?;
    let window = now.saturating_sub(settings.interval_ms());
    let (refused, refused_ids, top_mistake) =
        store::refused_since(sql, window).map_err(|err| err.to_string())?;
    let seen = Observation {
        now,
        dead_new: ledger_view.dead_new,
        dead_ids: ledger_view.dead_ids,
        dead_total: ledger_view.dead_total,
        refused,
        refused_ids,
        top_mistake,
        pending: ledger_view.pending,
        oldest_pending_at: ledger_view.oldest_pending_at,
    };
    let origin = store::meta(sql, "origin")
        .map_err(|err| err.to_string())?
        .unwrap_or_default();
    let (alerts, mut next) = decide(settings, &previous, &seen, &origin);
    if next.dead_since == 0 {
        next.dead_since = dead_since;
    }
    next.evaluated_at = now;
    // Written before anything is sent: an alarm that dies mid-way does not send twice.
    let text = serde_json::to_string(&next).map_err(|err| err.to_string())?;
    store::set_meta(sql, STATE_KEY, &text).map_err(|err| err.to_string())?;
    for alert in &alerts {
        let record = post(settings, alert).await;
        store::record_alert(sql, &record).map_err(|err| err.to_string())?;
    }
    let busy = !next.active.is_empty() || seen.pending > 0 || seen.refused > 0;
    Ok(busy.then(|| now.saturating_add(settings.interval_ms())))
}

/// Posts one alert, retried [`ALERT_ATTEMPTS`] times; what came of it, as recorded.
async fn post(settings: &AlertSettings, alert: &Alert) -> AlertRecord {
    let body = serde_json::to_vec(alert).unwrap_or_default();
    let headers = alert_headers(settings, &body);
    let js = Uint8Array::from(body.as_slice());
    let url = settings.url.clone().unwrap_or_default();
    let mut record = AlertRecord {
        id: String::new(),
        kind: alert.kind,
        at: alert.at,
        text: alert.text.clone(),
        count: alert.count,
        ids: alert.ids.clone(),
        outcome: "failed".to_owned(),
        attempts: 0,
        status: None,
        error: None,
    };
    // An alert URL that asks to wait (429/503 with Retry-After) is given up to 10 s.
    let mut asked_ms = 0;
    for attempt in 0..ALERT_ATTEMPTS {
        if let Some(pause) = attempt
            .checked_sub(1)
            .and_then(|i| ALERT_RETRY_DELAYS_MS.get(i))
        {
            let pause = (*pause).max(asked_ms.min(MAX_ALERT_RETRY_AFTER_MS));
            Delay::from(Duration::from_millis(pause)).await;
        }
        let mut sent = forward::send(&url, ALERT_TIMEOUT_MS, &headers, &js).await;
        if let Some(response) = sent.response.take() {
            forward::drain(response).await;
        }
        record.attempts = attempt as u32 + 1;
        asked_ms = sent
            .retry_after
            .as_deref()
            .and_then(|value| parse_retry_after(value, now_ms()))
            .unwrap_or(0);
        match sent.result {
            OriginResult::Status(status) => {
                record.status = Some(status);
                record.error = None;
                if (200..300).contains(&status) {
                    record.outcome = "sent".to_owned();
                    return record;
                }
            }
            other => {
                record.status = None;
                record.error = attempt_error(other).map(str::to_owned);
                if let Some(detail) = &sent.detail {
                    log_error("alert attempt", detail);
                }
            }
        }
    }
    log_error(
        "alert",
        &format!(
            "{} not delivered after {} attempts",
            alert.kind.as_str(),
            record.attempts
        ),
    );
    record
}
