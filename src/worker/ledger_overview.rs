//! A ledger shard's part of the console (webhook script, `worker-ledger`): op `overview` (hour
//! counts, the backlog, deaths since a time, the origin's last answer), one synchronous run of
//! indexed SQL; and the nudge that wakes the ops script's alerts when an attempt failed.

use std::cell::Cell;

use worker::{Env, SqlStorage, SqlStorageValue};

use super::durable::Answer;
use super::sql_row::{first, rows};
use crate::receiver::alerts::ALERT_IDS;
use crate::receiver::failures::{
    Counter, HourFact, LastAttempt, Overview, OverviewRequest, HOUR_MS, OVERVIEW_OP,
};

fn int(value: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

/// Every state a row can be in: the `(state, received_at)` index serves a scan by time.
const ALL_STATES: &str =
    "state IN ('claimed', 'done', 'stored', 'pending', 'delivering', 'delivered', 'dead')";

/// Runs `overview` when `path` asks for it (`None` for any other path).
pub(crate) fn handle(sql: &SqlStorage, path: &str, body: &[u8]) -> Option<worker::Result<Answer>> {
    (path.trim_start_matches('/') == OVERVIEW_OP).then(|| {
        let request = OverviewRequest::from_wire(body)
            .ok_or_else(|| worker::Error::RustError("unreadable overview request".into()))?;
        Ok(Answer {
            reply: overview(sql, &request)?.to_json(),
            wake_at: None,
        })
    })
}

/// How often one isolate wakes the alerts at most.
const NUDGE_EVERY_MS: u64 = 10_000;

thread_local! {
    /// When this isolate last nudged the ops script (Unix ms).
    static NUDGED: Cell<u64> = const { Cell::new(0) };
}

/// An attempt failed: the ops script's console object evaluates the alerts soon, at most
/// every [`NUDGE_EVERY_MS`] per isolate. From the shard's alarm only. Hosted by the ops script
/// (as deployed), the class calls the console object itself; hosted elsewhere (the variants
/// measured in docs/performance.md), one `POST https://ops/internal/console/nudge` through
/// `OPS` (nothing without it).
pub(crate) async fn nudge_console(env: &Env) {
    let now = worker::Date::now().as_millis();
    let due = NUDGED.with(|last| {
        let due = now.saturating_sub(last.get()) >= NUDGE_EVERY_MS;
        if due {
            last.set(now);
        }
        due
    });
    if !due {
        return;
    }
    if let Err(err) = nudge(env).await {
        worker::console_warn!("{{\"notify\":\"console/nudge\",\"error\":{:?}}}", err);
    }
}

#[cfg(feature = "worker-ops")]
async fn nudge(env: &Env) -> Result<(), String> {
    super::ops::console::nudge(env).await
}

#[cfg(not(feature = "worker-ops"))]
async fn nudge(env: &Env) -> Result<(), String> {
    let Ok(ops) = env.service("OPS") else {
        return Ok(());
    };
    let init = worker::web_sys::RequestInit::new();
    init.set_method("POST");
    let request = worker::web_sys::Request::new_with_str_and_init(
        "https://ops/internal/console/nudge",
        &init,
    )
    .map_err(|err| worker::Error::from(err).to_string())?;
    ops.fetch_request(worker::Request::from(request))
        .await
        .map(drop)
        .map_err(|err| err.to_string())
}

/// `overview` of this shard.
pub(crate) fn overview(sql: &SqlStorage, request: &OverviewRequest) -> worker::Result<Overview> {
    let hour = int(HOUR_MS);
    let mut facts = Vec::new();
    let mut push = |start: Option<u64>, counter, count: Option<u64>| {
        if let (Some(start), Some(count)) = (start, count.filter(|count| *count > 0)) {
            facts.push(HourFact {
                start,
                counter,
                count,
            });
        }
    };
    // Accepted: every event row by its received_at; forward mode's forwarded ones are
    // its deliveries ('done').
    for row in rows(sql.exec(
        &format!(
            "SELECT received_at / ?1 * ?1 AS h, COUNT(*), SUM(state = 'done') FROM events \
             WHERE {ALL_STATES} AND received_at >= ?2 GROUP BY h"
        ),
        vec![hour.clone(), int(request.since)],
    )?)? {
        push(row.uint(0), Counter::Accepted, row.uint(1));
        push(row.uint(0), Counter::Delivered, row.uint(2));
    }
    for row in rows(sql.exec(
        "SELECT at / ?1 * ?1 AS h, SUM(status BETWEEN 200 AND 299), \
         SUM(status IS NULL OR status NOT BETWEEN 200 AND 299) FROM attempts \
         WHERE at >= ?2 GROUP BY h",
        vec![hour, int(request.since)],
    )?)? {
        push(row.uint(0), Counter::Delivered, row.uint(1));
        push(row.uint(0), Counter::FailedAttempts, row.uint(2));
    }
    let backlog = first(sql.exec(
        "SELECT COUNT(*), MIN(received_at) FROM events WHERE state IN ('pending', 'delivering')",
        None,
    )?)?;
    let dead_total = first(sql.exec("SELECT COUNT(*) FROM events WHERE state = 'dead'", None)?)?
        .and_then(|row| row.uint(0))
        .unwrap_or(0);
    let dead = rows(sql.exec(
        "SELECT e.id FROM events e WHERE e.state = 'dead' AND \
         (SELECT MAX(a.at + a.duration_ms) FROM attempts a WHERE a.event_id = e.id) >= ? \
         ORDER BY e.received_at DESC",
        vec![int(request.dead_since)],
    )?)?;
    let last_attempt = first(sql.exec(
        "SELECT at, status, duration_ms, error FROM attempts ORDER BY at DESC LIMIT 1",
        None,
    )?)?
    .and_then(|row| {
        Some(LastAttempt {
            at: row.uint(0)?,
            status: row.uint(1).and_then(|status| u16::try_from(status).ok()),
            duration_ms: row.uint(2).unwrap_or(0),
            error: row.text(3),
        })
    });
    Ok(Overview {
        facts,
        pending: backlog.as_ref().and_then(|row| row.uint(0)).unwrap_or(0),
        oldest_pending_at: backlog.and_then(|row| row.uint(1)),
        dead_total,
        dead_new: dead.len() as u64,
        dead_ids: dead
            .iter()
            .take(ALERT_IDS)
            .filter_map(|row| row.text(0))
            .collect(),
        last_attempt,
    })
}
