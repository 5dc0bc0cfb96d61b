//! The console's platform half (ops side): the object that keeps refused-delivery evidence
//! and the alerts sent ([`object::ConsoleLog`], binding `CONSOLE`, one object named
//! [`CONSOLE_OBJECT`]),
//! the diagnosis of a record with the Worker's own secrets, the alerts' alarm, and the
//! admin API's console answers. Every decision is `crate::receiver::{failures, alerts}`'s.

pub(crate) mod admin;
mod alarm;
pub mod object;
mod store;

use serde::{Deserialize, Serialize};
use worker::js_sys::JSON;
use worker::wasm_bindgen::JsValue;
use worker::{Env, SqlStorage};

use super::super::var;
use crate::diagnose::{JsonForm, Reserialized};
use crate::receiver::alerts::AlertSettings;
use crate::receiver::failures::{
    console_settings, diagnose_record, redact_headers, FailureCursor, FailureReport,
    FailureSettings,
};
use crate::receiver::ConfigError;

pub(crate) use alarm::alarm;

/// The console object's binding (class [`object::ConsoleLog`]).
pub(crate) const CONSOLE_BINDING: &str = "CONSOLE";
/// The name of the console object in its namespace.
pub(crate) const CONSOLE_OBJECT: &str = "console";

/// The console object's ops (and the shards' `overview`): the request's URL path.
pub(crate) mod op {
    /// Webhook -> console: a framed [`crate::receiver::failures::FailureReport`].
    pub(crate) const REPORT: &str = "console/report";
    /// A page of records: [`super::PageRequest`] -> `Vec<FailureItem>`.
    pub(crate) const FAILURES: &str = "console/failures";
    /// One record: [`super::IdRequest`] -> `Option<FailureView>`.
    pub(crate) const FAILURE: &str = "console/failure";
    /// Refused per hour: [`super::SinceRequest`] -> `Vec<HourFact>`.
    pub(crate) const HOURS: &str = "console/hours";
    /// A page of alerts: [`super::PageRequest`] -> `Vec<AlertRecord>`.
    pub(crate) const ALERTS: &str = "console/alerts";
    /// A shard saw a failed attempt: evaluate the alerts soon. `{}` -> `{}`.
    pub(crate) const NUDGE: &str = "console/nudge";
}

/// What a console op answers, and when the object's alarm must fire (Unix ms).
pub(crate) struct Answer {
    /// The JSON reply.
    pub(crate) reply: String,
    /// Arm the alarm for this time at the latest.
    pub(crate) wake_at: Option<i64>,
}

/// A page: at most `limit` rows after `after` (a sequence number).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PageRequest {
    pub(crate) limit: usize,
    pub(crate) after: Option<u64>,
}

/// One record by id.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct IdRequest {
    pub(crate) id: u64,
}

/// Counts since a time (Unix ms).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SinceRequest {
    pub(crate) since: u64,
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> worker::Result<T> {
    serde_json::from_slice(body).map_err(|err| worker::Error::RustError(err.to_string()))
}

fn answer<T: Serialize>(value: &T, wake_at: Option<u64>) -> worker::Result<Answer> {
    Ok(Answer {
        reply: serde_json::to_string(value).map_err(|err| err.to_string())?,
        wake_at: wake_at.map(|at| i64::try_from(at).unwrap_or(i64::MAX)),
    })
}

/// Runs a console op (`None`: not one), with the settings read from `env`.
pub(crate) fn handle(
    env: &Env,
    sql: &SqlStorage,
    path: &str,
    body: &[u8],
    now: u64,
) -> Option<worker::Result<Answer>> {
    let path = path.trim_start_matches('/');
    if !path.starts_with("console/") {
        return None;
    }
    let settings = match settings(env) {
        Ok(settings) => settings,
        Err(err) => return Some(Err(worker::Error::RustError(err.to_string()))),
    };
    Some(run(env, &settings, sql, path, body, now))
}

/// The console's settings, read from this script's variables.
pub(crate) struct Settings {
    pub(crate) failures: FailureSettings,
    pub(crate) alerts: AlertSettings,
}

/// Reads and validates the console's settings (a `CONFIG_ERROR` naming the variable);
/// alerts need both objects: `LEDGER` (what they watch) and `CONSOLE` (their alarm).
pub(crate) fn settings(env: &Env) -> Result<Settings, ConfigError> {
    let (failures, alerts) = console_settings(|name| var(env, name))?;
    if alerts.enabled() {
        if !matches!(super::super::ledger_binding(env), Ok(Some(_))) {
            return Err(ConfigError::missing_binding("LEDGER"));
        }
        if binding(env).is_none() {
            return Err(ConfigError::missing_binding(CONSOLE_BINDING));
        }
    }
    Ok(Settings { failures, alerts })
}

fn run(
    env: &Env,
    settings: &Settings,
    sql: &SqlStorage,
    path: &str,
    body: &[u8],
    now: u64,
) -> worker::Result<Answer> {
    for statement in store::SCHEMA {
        sql.exec(statement, None)?;
    }
    let failures = &settings.failures;
    match path {
        op::REPORT => {
            let (mut report, kept) = FailureReport::unframe(body)
                .ok_or_else(|| worker::Error::RustError("unreadable failure report".into()))?;
            // Redacted and capped here too, whatever the sender did.
            report.headers = redact_headers(std::mem::take(&mut report.headers));
            let written = store::keep(sql, failures, &report, kept, now, || {
                store::stored_mistakes(&diagnose(env, &report, kept))
            })?;
            if !report.origin.is_empty()
                && store::meta(sql, "origin")?.as_deref() != Some(&report.origin)
            {
                store::set_meta(sql, "origin", &report.origin)?;
            }
            let expiry = now.saturating_add(failures.ttl_seconds.saturating_mul(1000));
            let wake = if settings.alerts.enabled() {
                alarm::state(sql)?.next_allowed(&settings.alerts, now)
            } else {
                expiry
            };
            answer(&serde_json::json!({ "written": written }), Some(wake))
        }
        op::FAILURES => {
            let request: PageRequest = parse(body)?;
            let after = request.after.map(FailureCursor);
            answer(
                &store::list(sql, failures, request.limit, after, now)?,
                None,
            )
        }
        op::FAILURE => {
            let request: IdRequest = parse(body)?;
            answer(&store::get(sql, failures, request.id, now)?, None)
        }
        op::HOURS => {
            let request: SinceRequest = parse(body)?;
            answer(&store::refused_hours(sql, request.since)?, None)
        }
        op::ALERTS => {
            let request: PageRequest = parse(body)?;
            let after = request.after.map(crate::receiver::alerts::AlertCursor);
            let rows = store::alerts(sql, request.limit, after)?;
            answer(&rows, None)
        }
        op::NUDGE => {
            let wake = settings
                .alerts
                .enabled()
                .then(|| alarm::state(sql).map(|state| state.next_allowed(&settings.alerts, now)))
                .transpose()?;
            answer(&serde_json::json!({}), wake)
        }
        other => Err(worker::Error::RustError(format!(
            "unknown console operation `{}`",
            other.chars().take(40).collect::<String>()
        ))),
    }
}

/// The diagnosis of a kept record with the Worker's own secrets, JSON re-serializations
/// made by the runtime's `JSON.stringify` (the one engine that reproduces it).
fn diagnose(env: &Env, report: &FailureReport, body: &[u8]) -> Vec<crate::diagnose::Mistake> {
    let secrets: Vec<String> = ["WEBHOOK_SECRET", "WEBHOOK_SECRET_PREVIOUS"]
        .iter()
        .filter_map(|name| var(env, name))
        .filter(|secret| !secret.trim().is_empty())
        .collect();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let forms = reserialize(body);
    let reserialized: Vec<Reserialized<'_>> = forms
        .iter()
        .map(|(form, bytes)| Reserialized {
            form: *form,
            body: bytes,
        })
        .collect();
    diagnose_record(report, body, &secrets, &reserialized)
}

/// `JSON.stringify(JSON.parse(body))` and `JSON.stringify(JSON.parse(body), null, 2)`,
/// when the body is JSON.
fn reserialize(body: &[u8]) -> Vec<(JsonForm, Vec<u8>)> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Vec::new();
    };
    let Ok(value) = JSON::parse(text) else {
        return Vec::new();
    };
    let mut forms = Vec::new();
    if let Some(compact) = JSON::stringify(&value).ok().and_then(|s| s.as_string()) {
        forms.push((JsonForm::Compact, compact.into_bytes()));
    }
    let pretty = JSON::stringify_with_replacer_and_space(&value, &JsValue::NULL, &JsValue::from(2));
    if let Some(pretty) = pretty.ok().and_then(|s| s.as_string()) {
        forms.push((JsonForm::Pretty, pretty.into_bytes()));
    }
    forms
}

/// The webhook script's notices for the console (`POST https://ops/internal/...` through
/// `OPS`): `/internal/refused` (a framed [`FailureReport`]) and `/internal/console/nudge`
/// (from a ledger shard's alarm). `None`: not a console notice. Without `CONSOLE` they are
/// dropped (answered 204).
pub(crate) async fn notice(
    req: &mut worker::Request,
    env: &Env,
) -> Option<worker::Result<worker::Response>> {
    let name = match req.path().as_str() {
        "/internal/refused" => op::REPORT,
        "/internal/console/nudge" => op::NUDGE,
        _ => return None,
    };
    Some(forward_notice(req, env, name).await)
}

async fn forward_notice(
    req: &mut worker::Request,
    env: &Env,
    name: &str,
) -> worker::Result<worker::Response> {
    let Some(console) = binding(env) else {
        return worker::Response::empty().map(|response| response.with_status(204));
    };
    let body = req.bytes().await?;
    let body = if body.is_empty() {
        b"{}".to_vec()
    } else {
        body
    };
    let answer: Result<serde_json::Value, String> =
        super::super::ledger_client::call_object(&console, CONSOLE_OBJECT, name, &body).await;
    match answer {
        Ok(_) => worker::Response::empty().map(|response| response.with_status(204)),
        Err(err) => worker::Response::error(err, 503),
    }
}

/// A ledger shard's alarm saw a failed attempt, in the script that hosts both (the ops
/// script): the console object evaluates the alerts soon. Without `CONSOLE`, nothing.
#[cfg(feature = "worker-ledger")]
pub(crate) async fn nudge(env: &Env) -> Result<(), String> {
    let Some(console) = binding(env) else {
        return Ok(());
    };
    let answer: Result<serde_json::Value, String> =
        super::super::ledger_client::call_object(&console, CONSOLE_OBJECT, op::NUDGE, b"{}").await;
    answer.map(drop)
}

/// The console object's namespace (`CONSOLE`, class [`object::ConsoleLog`]), when bound.
pub(crate) fn binding(env: &Env) -> Option<worker::ObjectNamespace> {
    let bound = worker::js_sys::Reflect::get(env.as_ref(), &JsValue::from_str(CONSOLE_BINDING))
        .is_ok_and(|value| !value.is_undefined());
    bound
        .then(|| env.durable_object(CONSOLE_BINDING).ok())
        .flatten()
}
