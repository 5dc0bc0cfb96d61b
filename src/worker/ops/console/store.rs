//! The console object's rows (one object of the `LEDGER` namespace, named `console`):
//! kept evidence, refused requests counted per second, the alerts sent, and a few
//! settings-independent values (`meta`). Each op is one synchronous run of SQL.

use worker::{SqlStorage, SqlStorageValue};

use super::super::super::sql_row::{first, rows, Row};
use crate::receiver::alerts::{AlertCursor, AlertKind, AlertRecord};
use crate::receiver::failures::{
    mistake_codes, mistakes_from_codes, oldest_kept, overflow, sample, show_body, show_headers,
    Counter, DiagnosisView, FailureCursor, FailureItem, FailureReport, FailureSettings,
    FailureView, HourFact, MinuteWindow, HOUR_MS,
};

/// The console object's schema.
pub(crate) const SCHEMA: [&str; 6] = [
    "CREATE TABLE IF NOT EXISTS failures (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        received_at INTEGER NOT NULL,
        code TEXT NOT NULL,
        status INTEGER NOT NULL,
        address TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        headers TEXT NOT NULL,
        size INTEGER,
        body_sha256 TEXT,
        body BLOB NOT NULL,
        mistakes TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS failures_by_time ON failures(received_at)",
    "CREATE TABLE IF NOT EXISTS refused_seconds (second INTEGER PRIMARY KEY, count INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS console_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS alerts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        count INTEGER NOT NULL,
        ids TEXT NOT NULL,
        outcome TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        status INTEGER,
        error TEXT
    )",
    "CREATE INDEX IF NOT EXISTS alerts_by_time ON alerts(at)",
];

/// Alerts kept for `GET /admin/alerts`.
const KEPT_ALERTS: u64 = 1000;
/// Refused-request counts kept: 25 hours of seconds.
const KEPT_COUNT_MS: u64 = 25 * HOUR_MS;

pub(crate) fn int(value: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

/// A `meta` value.
pub(crate) fn meta(sql: &SqlStorage, key: &str) -> worker::Result<Option<String>> {
    let cursor = sql.exec(
        "SELECT value FROM console_meta WHERE key = ?",
        vec![key.into()],
    )?;
    Ok(first(cursor)?.and_then(|row| row.text(0)))
}

/// Writes a `meta` value.
pub(crate) fn set_meta(sql: &SqlStorage, key: &str, value: &str) -> worker::Result<()> {
    sql.exec(
        "INSERT INTO console_meta (key, value) VALUES (?, ?) \
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        vec![key.into(), value.into()],
    )?;
    Ok(())
}

/// Keeps one report: counted always, written when the minute's cap allows, the oldest
/// dropped past `FAILURE_SAMPLES`. `mistakes` is computed by the caller only when the
/// record is written (the diagnosis costs HMACs). Returns whether it was written.
pub(crate) fn keep(
    sql: &SqlStorage,
    settings: &FailureSettings,
    report: &FailureReport,
    body: &[u8],
    now: u64,
    mistakes: impl FnOnce() -> String,
) -> worker::Result<bool> {
    sql.exec(
        "INSERT INTO refused_seconds (second, count) VALUES (?, 1) \
         ON CONFLICT(second) DO UPDATE SET count = count + 1",
        vec![int(now / 1000)],
    )?;
    let window = meta(sql, "minute")?
        .and_then(|text| {
            let (minute, written) = text.split_once(':')?;
            Some(MinuteWindow {
                minute: minute.parse().ok()?,
                written: written.parse().ok()?,
            })
        })
        .unwrap_or_default();
    let decision = sample(settings, window, now);
    if !decision.write {
        return Ok(false);
    }
    set_meta(
        sql,
        "minute",
        &format!("{}:{}", decision.window.minute, decision.window.written),
    )?;
    let headers = serde_json::to_string(&report.headers).map_err(|err| err.to_string())?;
    sql.exec(
        "INSERT INTO failures (received_at, code, status, address, method, path, headers, size, \
         body_sha256, body, mistakes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            int(report.received_at),
            report.code.as_str().into(),
            int(u64::from(report.status)),
            report.address.as_str().into(),
            report.method.as_str().into(),
            report.path.as_str().into(),
            headers.into(),
            report.size.map(int).into(),
            report.body_sha256.as_deref().into(),
            SqlStorageValue::Blob(body.to_vec()),
            mistakes().into(),
        ],
    )?;
    let kept = first(sql.exec("SELECT COUNT(*) FROM failures", None)?)?
        .and_then(|row| row.uint(0))
        .unwrap_or(0);
    let drop = overflow(settings, kept);
    if drop > 0 {
        sql.exec(
            "DELETE FROM failures WHERE seq IN (SELECT seq FROM failures ORDER BY seq LIMIT ?)",
            vec![int(drop)],
        )?;
    }
    Ok(true)
}

/// Deletes expired evidence, counts older than 25 h and alerts beyond the kept number;
/// returns when the oldest record left expires (Unix ms).
pub(crate) fn expire(
    sql: &SqlStorage,
    settings: &FailureSettings,
    now: u64,
) -> worker::Result<Option<u64>> {
    sql.exec(
        "DELETE FROM failures WHERE received_at < ?",
        vec![int(oldest_kept(settings, now))],
    )?;
    sql.exec(
        "DELETE FROM refused_seconds WHERE second < ?",
        vec![int(now.saturating_sub(KEPT_COUNT_MS) / 1000)],
    )?;
    sql.exec(
        "DELETE FROM alerts WHERE seq <= (SELECT MAX(seq) FROM alerts) - ?",
        vec![int(KEPT_ALERTS)],
    )?;
    let oldest = first(sql.exec("SELECT MIN(received_at) FROM failures", None)?)?
        .and_then(|row| row.uint(0));
    Ok(oldest.map(|at| at.saturating_add(settings.ttl_seconds.saturating_mul(1000))))
}

/// A page of records, newest first (`limit` rows: the caller asks one more than shown).
pub(crate) fn list(
    sql: &SqlStorage,
    settings: &FailureSettings,
    limit: usize,
    after: Option<FailureCursor>,
    now: u64,
) -> worker::Result<Vec<FailureItem>> {
    let cursor = sql.exec(
        "SELECT seq, received_at, code, address, size, mistakes FROM failures \
         WHERE seq < ? AND received_at >= ? ORDER BY seq DESC LIMIT ?",
        vec![
            int(after.map_or(u64::MAX >> 1, |cursor| cursor.0)),
            int(oldest_kept(settings, now)),
            int(limit as u64),
        ],
    )?;
    Ok(rows(cursor)?
        .iter()
        .filter_map(|row| {
            Some(FailureItem {
                id: row.uint(0)?.to_string(),
                received_at: row.uint(1)?,
                code: row.text(2)?,
                address: row.text(3)?,
                size: row.uint(4),
                mistakes: row
                    .text(5)
                    .map(|codes| {
                        mistakes_from_codes(&codes)
                            .iter()
                            .map(|mistake| mistake.code().to_owned())
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect())
}

/// One record as shown (`None`: unknown or expired).
pub(crate) fn get(
    sql: &SqlStorage,
    settings: &FailureSettings,
    id: u64,
    now: u64,
) -> worker::Result<Option<FailureView>> {
    let cursor = sql.exec(
        "SELECT seq, received_at, code, status, address, method, path, headers, size, \
         body_sha256, body, mistakes FROM failures WHERE seq = ? AND received_at >= ?",
        vec![int(id), int(oldest_kept(settings, now))],
    )?;
    let Some(mut row) = first(cursor)? else {
        return Ok(None);
    };
    let body = row.take_blob(10).unwrap_or_default();
    Ok(view(&row, &body))
}

fn view(row: &Row, body: &[u8]) -> Option<FailureView> {
    let headers: Vec<(String, String)> = serde_json::from_str(&row.text(7)?).ok()?;
    let size = row.uint(8);
    let (text, encoding) = show_body(body);
    Some(FailureView {
        id: row.uint(0)?.to_string(),
        received_at: row.uint(1)?,
        code: row.text(2)?,
        status: u16::try_from(row.uint(3)?).ok()?,
        address: row.text(4)?,
        method: row.text(5)?,
        path: row.text(6)?,
        headers: show_headers(&headers),
        size,
        body_sha256: row.text(9),
        body: text,
        body_encoding: encoding.to_owned(),
        truncated: size.is_none_or(|size| size > body.len() as u64),
        diagnosis: DiagnosisView {
            mistakes: mistakes_from_codes(&row.text(11).unwrap_or_default())
                .into_iter()
                .map(Into::into)
                .collect(),
        },
    })
}

/// Refused requests per hour since `since` (Unix ms).
pub(crate) fn refused_hours(sql: &SqlStorage, since: u64) -> worker::Result<Vec<HourFact>> {
    let hour_seconds = int(HOUR_MS / 1000);
    let cursor = sql.exec(
        "SELECT second / ?1 * ?1 AS h, SUM(count) FROM refused_seconds WHERE second >= ?2 \
         GROUP BY h",
        vec![hour_seconds, int(since / 1000)],
    )?;
    Ok(rows(cursor)?
        .iter()
        .filter_map(|row| {
            Some(HourFact {
                start: row.uint(0)? * 1000,
                counter: Counter::Refused,
                count: row.uint(1)?,
            })
        })
        .collect())
}

/// Refused requests at or after `since` (Unix ms), the newest kept ids, and the most
/// frequent diagnosis among the records kept (its first mistake, else its reply code).
pub(crate) fn refused_since(
    sql: &SqlStorage,
    since: u64,
) -> worker::Result<(u64, Vec<String>, Option<String>)> {
    let count = first(sql.exec(
        "SELECT SUM(count) FROM refused_seconds WHERE second >= ?",
        vec![int(since / 1000)],
    )?)?
    .and_then(|row| row.uint(0))
    .unwrap_or(0);
    let kept = rows(sql.exec(
        "SELECT seq, code, mistakes FROM failures WHERE received_at >= ? ORDER BY seq DESC",
        vec![int(since)],
    )?)?;
    let ids = kept
        .iter()
        .take(crate::receiver::alerts::ALERT_IDS)
        .filter_map(|row| row.uint(0).map(|seq| seq.to_string()))
        .collect();
    let mut tally: Vec<(String, u64)> = Vec::new();
    for row in &kept {
        let mistakes = row.text(2).unwrap_or_default();
        let name = mistakes
            .split(',')
            .find(|code| !code.is_empty())
            .map(str::to_owned)
            .or_else(|| row.text(1));
        if let Some(name) = name {
            match tally.iter_mut().find(|(known, _)| *known == name) {
                Some((_, count)) => *count += 1,
                None => tally.push((name, 1)),
            }
        }
    }
    // The first of the most frequent (records are newest first: ties go to the newest).
    let top = tally
        .iter()
        .fold(None::<&(String, u64)>, |best, entry| match best {
            Some(best) if best.1 >= entry.1 => Some(best),
            _ => Some(entry),
        })
        .map(|(name, _)| name.clone());
    Ok((count, ids, top))
}

/// Records an alert sent (or failed).
pub(crate) fn record_alert(sql: &SqlStorage, record: &AlertRecord) -> worker::Result<()> {
    sql.exec(
        "INSERT INTO alerts (at, kind, text, count, ids, outcome, attempts, status, error) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            int(record.at),
            record.kind.as_str().into(),
            record.text.as_str().into(),
            int(record.count),
            serde_json::to_string(&record.ids)
                .unwrap_or_default()
                .into(),
            record.outcome.as_str().into(),
            int(u64::from(record.attempts)),
            record.status.map(|status| int(u64::from(status))).into(),
            record.error.as_deref().into(),
        ],
    )?;
    Ok(())
}

/// A page of alerts, newest first (`limit` rows: the caller asks one more than shown).
pub(crate) fn alerts(
    sql: &SqlStorage,
    limit: usize,
    after: Option<AlertCursor>,
) -> worker::Result<Vec<AlertRecord>> {
    let cursor = sql.exec(
        "SELECT seq, kind, at, text, count, ids, outcome, attempts, status, error FROM alerts \
         WHERE seq < ? ORDER BY seq DESC LIMIT ?",
        vec![
            int(after.map_or(u64::MAX >> 1, |cursor| cursor.0)),
            int(limit as u64),
        ],
    )?;
    Ok(rows(cursor)?
        .iter()
        .filter_map(|row| {
            Some(AlertRecord {
                id: row.uint(0)?.to_string(),
                kind: AlertKind::from_name(&row.text(1)?)?,
                at: row.uint(2)?,
                text: row.text(3)?,
                count: row.uint(4)?,
                ids: serde_json::from_str(&row.text(5)?).unwrap_or_default(),
                outcome: row.text(6)?,
                attempts: u32::try_from(row.uint(7)?).ok()?,
                status: row.uint(8).and_then(|status| u16::try_from(status).ok()),
                error: row.text(9),
            })
        })
        .collect())
}

/// The mistake codes of a diagnosis, as stored.
pub(crate) fn stored_mistakes(mistakes: &[crate::diagnose::Mistake]) -> String {
    mistake_codes(mistakes)
}
