//! Durable mode inside a ledger shard object: the SQL behind `store`, the admin ops, and
//! the delivery of due events from the object's alarm. Every decision is
//! [`crate::receiver::Delivery`]'s; this module reads and writes rows and calls the origin.

use futures_util::stream::{FuturesUnordered, StreamExt};
use worker::js_sys::Uint8Array;
use worker::{console_error, console_log, console_warn, Date, SqlStorage, SqlStorageValue};

use super::forward;
use super::sql_row::{first, missing, rows, Row};
use crate::event::EventType;
use crate::headers::SIGNATURE_HEADERS;
use crate::receiver::ledger::lease_ms;
use crate::receiver::{
    forward_headers, op, Accepted, AcceptedEvent, AttemptLog, AttemptView, Delivery, DeliveryState,
    EventQuery, EventView, ListItem, ListRequest, OriginResult, Receiver, ReplayDeadReply,
    ReplayDeadRequest, ReplayReply, Retention, Stats, StoreMeta, StoreReply, LOST_ATTEMPT,
};

/// Header marking a delivery of an event the origin already accepted once (an operator's
/// replay of a delivered event).
pub(crate) const REPLAY_HEADER: &str = "X-DigiVault-Replay";

/// What an op answers, and when the alarm must fire (a stored or replayed event is due).
pub(crate) struct Answer {
    /// The JSON reply.
    pub(crate) reply: String,
    /// Arm the alarm for this time (Unix ms) at the latest.
    pub(crate) wake_at: Option<i64>,
}

fn answer<T: serde::Serialize>(value: &T, wake_at: Option<u64>) -> worker::Result<Answer> {
    Ok(Answer {
        reply: serde_json::to_string(value).map_err(|err| err.to_string())?,
        wake_at: wake_at.map(|at| i64::try_from(at).unwrap_or(i64::MAX)),
    })
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> worker::Result<T> {
    serde_json::from_slice(body).map_err(|err| worker::Error::RustError(err.to_string()))
}

/// Runs a durable-mode or admin op (`None`: not one of them, the forward-mode ledger's).
/// Each is one synchronous run of SQL: the object's input gate makes it atomic.
pub(crate) fn handle(
    sql: &SqlStorage,
    path: &str,
    body: &[u8],
    now: i64,
) -> Option<worker::Result<Answer>> {
    let now = u64::try_from(now).unwrap_or(0);
    Some(match path.trim_start_matches('/') {
        op::STORE => StoreMeta::unframe(body)
            .ok_or_else(|| worker::Error::RustError("unreadable store request".into()))
            .and_then(|(meta, raw)| store(sql, &meta, raw, now))
            .and_then(|stored| {
                let due = (stored == StoreReply::Stored).then_some(now);
                answer(&stored, due)
            }),
        op::EVENT => parse(body)
            .and_then(|query| event(sql, &query))
            .and_then(|view| answer(&view, None)),
        op::LIST => parse(body)
            .and_then(|request| list(sql, &request))
            .and_then(|items| answer(&items, None)),
        op::STATS => stats(sql).and_then(|counts| answer(&counts, None)),
        op::REPLAY => parse::<EventQuery>(body)
            .and_then(|query| replay(sql, &query.id, now))
            .and_then(|replayed| answer(&replayed, Some(now))),
        op::REPLAY_DEAD => parse(body)
            .and_then(|request| replay_dead(sql, request, now))
            .and_then(|replayed| answer(&replayed, Some(now))),
        _ => return None,
    })
}

/// One stored event on its way to the origin.
struct Outgoing {
    id: String,
    event_type: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

/// How long one alarm run keeps starting deliveries before it hands over to the next run
/// (alarm handlers may run 15 minutes; shorter runs keep a restart cheap).
const ALARM_BUDGET_MS: u64 = 30_000;

fn int(value: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

fn now_ms() -> u64 {
    Date::now().as_millis()
}

/// A uniform random u32 for the retry jitter (the runtime's `Math.random`).
fn jitter() -> u32 {
    (worker::js_sys::Math::random() * f64::from(u32::MAX)) as u32
}

/// The delivery columns of a row.
struct DeliveryRow {
    state: String,
    attempt_count: u32,
    next_attempt_at: Option<u64>,
    lease_until: Option<u64>,
    expires_at: u64,
}

impl DeliveryRow {
    fn delivery(&self) -> Option<Delivery> {
        Some(Delivery {
            state: DeliveryState::from_stored(&self.state)?,
            attempt_count: self.attempt_count,
            next_attempt_at: self.next_attempt_at,
            lease_until: self.lease_until,
            expires_at: self.expires_at,
        })
    }
}

const DELIVERY_COLUMNS: &str = "state, attempt_count, next_attempt_at, lease_until, expires_at";

fn read_delivery(sql: &SqlStorage, id: &str) -> worker::Result<Option<DeliveryRow>> {
    let cursor = sql.exec(
        &format!("SELECT {DELIVERY_COLUMNS} FROM events WHERE id = ?"),
        vec![id.into()],
    )?;
    let Some(row) = first(cursor)? else {
        return Ok(None);
    };
    Ok(Some(DeliveryRow {
        state: row.text(0).ok_or_else(|| missing("state"))?,
        attempt_count: row
            .uint(1)
            .and_then(|count| u32::try_from(count).ok())
            .ok_or_else(|| missing("attempt_count"))?,
        next_attempt_at: row.uint(2),
        lease_until: row.uint(3),
        expires_at: row.uint(4).ok_or_else(|| missing("expires_at"))?,
    }))
}

/// Writes the delivery columns; only when the row is still in `expected` state (the
/// object's input gate already serialises requests, this guards against a replay racing
/// a delivery's end across an `await`).
fn write_delivery(
    sql: &SqlStorage,
    id: &str,
    expected: &str,
    delivery: &Delivery,
) -> worker::Result<bool> {
    let cursor = sql.exec(
        "UPDATE events SET state = ?, attempt_count = ?, next_attempt_at = ?, lease_until = ?, \
         expires_at = ? WHERE id = ? AND state = ?",
        vec![
            delivery.state.as_str().into(),
            int(u64::from(delivery.attempt_count)),
            delivery.next_attempt_at.map(int).into(),
            delivery.lease_until.map(int).into(),
            int(delivery.expires_at),
            id.into(),
            expected.into(),
        ],
    )?;
    Ok(cursor.rows_written() > 0)
}

/// `store`: writes the event as pending (first attempt due now), or says why not. One
/// synchronous run of SQL (the object's input gate makes it atomic); the caller arms the
/// alarm.
pub(crate) fn store(
    sql: &SqlStorage,
    meta: &StoreMeta,
    body: &[u8],
    now: u64,
) -> worker::Result<StoreReply> {
    let cursor = sql.exec(
        "SELECT state, body_sha256, lease_until FROM events WHERE id = ?",
        vec![meta.id.as_str().into()],
    )?;
    if let Some(row) = first(cursor)? {
        let stored_sha256 = row.text(1).ok_or_else(|| missing("body_sha256"))?;
        if stored_sha256 != meta.body_sha256 {
            return Ok(StoreReply::Conflict { stored_sha256 });
        }
        // A forward-mode claim whose lease ran out counts as absent: replaced below.
        let live_claim = row.uint(2).is_some_and(|until| until > now);
        match row.text(0).ok_or_else(|| missing("state"))?.as_str() {
            "claimed" if live_claim => return Ok(StoreReply::InFlight),
            "claimed" => {}
            _ => return Ok(StoreReply::Duplicate),
        }
    }
    let delivery = Delivery::stored(now);
    sql.exec(
        "INSERT OR REPLACE INTO events (id, body_sha256, state, received_at, lease_until, \
         expires_at, event_type, size, body, signature_header, signature, attempt_count, \
         next_attempt_at, content_type) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        vec![
            meta.id.as_str().into(),
            meta.body_sha256.as_str().into(),
            delivery.state.as_str().into(),
            int(now),
            int(delivery.expires_at),
            meta.event_type.as_str().into(),
            int(body.len() as u64),
            SqlStorageValue::Blob(body.to_vec()),
            meta.signature_header.as_str().into(),
            meta.signature.as_str().into(),
            delivery.next_attempt_at.map(int).into(),
            meta.content_type.as_deref().into(),
        ],
    )?;
    Ok(StoreReply::Stored)
}

/// `event`: the admin view of one event with its timeline.
pub(crate) fn event(sql: &SqlStorage, query: &EventQuery) -> worker::Result<Option<EventView>> {
    let cursor = sql.exec(
        "SELECT event_type, state, received_at, next_attempt_at, body_sha256, size \
         FROM events WHERE id = ?",
        vec![query.id.as_str().into()],
    )?;
    let Some(row) = first(cursor)? else {
        return Ok(None);
    };
    let Some(state) = row.text(1).as_deref().and_then(DeliveryState::from_stored) else {
        return Ok(None);
    };
    let attempts = rows(sql.exec(
        "SELECT at, status, duration_ms, error FROM attempts WHERE event_id = ? ORDER BY at",
        vec![query.id.as_str().into()],
    )?)?;
    let body = if query.body {
        read_body(sql, &query.id)?.map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    } else {
        None
    };
    Ok(Some(EventView {
        id: query.id.clone(),
        event_type: row.text(0),
        state,
        received_at: row.uint(2).ok_or_else(|| missing("received_at"))?,
        attempts: attempts
            .iter()
            .map(|attempt| AttemptView {
                at: attempt.uint(0).unwrap_or(0),
                status: attempt
                    .uint(1)
                    .and_then(|status| u16::try_from(status).ok()),
                duration_ms: attempt.uint(2).unwrap_or(0),
                error: attempt.text(3),
            })
            .collect(),
        next_attempt_at: row.uint(3).filter(|_| state == DeliveryState::Pending),
        body_sha256: row.text(4).ok_or_else(|| missing("body_sha256"))?,
        size: row.uint(5),
        body,
    }))
}

fn read_body(sql: &SqlStorage, id: &str) -> worker::Result<Option<Vec<u8>>> {
    let cursor = sql.exec("SELECT body FROM events WHERE id = ?", vec![id.into()])?;
    Ok(first(cursor)?.and_then(|mut row| row.take_blob(0)))
}

/// `list`: this shard's newest events in a state (or of an id), of a type, after the
/// cursor, from the `(state, received_at)` index.
pub(crate) fn list(sql: &SqlStorage, request: &ListRequest) -> worker::Result<Vec<ListItem>> {
    let columns = "id, event_type, state, received_at, attempt_count, next_attempt_at";
    // Forward mode's rows (`claimed`, `done`) are listed as the stats count them.
    let states: Vec<&str> = match request.state {
        Some(state) => state.stored_names().to_vec(),
        None => DeliveryState::ALL
            .iter()
            .flat_map(|state| state.stored_names())
            .copied()
            .collect(),
    };
    let state_filter = format!("state IN ({})", vec!["?"; states.len()].join(", "));
    let mut filters: Vec<&str> = Vec::new();
    let mut values: Vec<SqlStorageValue> = Vec::new();
    filters.push(&state_filter);
    values.extend(states.into_iter().map(SqlStorageValue::from));
    if let Some(event_type) = &request.event_type {
        filters.push("event_type = ?");
        values.push(event_type.as_str().into());
    }
    if let Some(id) = &request.id {
        filters.push("id = ?");
        values.push(id.as_str().into());
    }
    if let Some(after) = &request.after {
        filters.push("(received_at < ? OR (received_at = ? AND id < ?))");
        values.extend([
            int(after.received_at),
            int(after.received_at),
            after.id.as_str().into(),
        ]);
    }
    values.push(int(request.limit as u64));
    let cursor = sql.exec(
        &format!(
            "SELECT {columns} FROM events WHERE {} ORDER BY received_at DESC, id DESC LIMIT ?",
            filters.join(" AND ")
        ),
        values,
    )?;
    Ok(rows(cursor)?
        .iter()
        .filter_map(|row| {
            let state = DeliveryState::from_stored(&row.text(2)?)?;
            Some(ListItem {
                id: row.text(0)?,
                event_type: row.text(1).unwrap_or_default(),
                state,
                received_at: row.uint(3)?,
                attempt_count: u32::try_from(row.uint(4)?).ok()?,
                next_attempt_at: row.uint(5).filter(|_| state == DeliveryState::Pending),
            })
        })
        .collect())
}

/// `stats`: events per state in this shard.
pub(crate) fn stats(sql: &SqlStorage) -> worker::Result<Stats> {
    let counts = rows(sql.exec("SELECT state, COUNT(*) FROM events GROUP BY state", None)?)?;
    let mut stats = Stats::default();
    for row in counts {
        let state = row.text(0);
        if let (Some(state), Some(count)) = (
            state.as_deref().and_then(DeliveryState::from_stored),
            row.uint(1),
        ) {
            stats.add(state, count);
        }
    }
    Ok(stats)
}

/// `replay`: a dead or delivered event back to pending, due now. The caller arms the alarm.
pub(crate) fn replay(sql: &SqlStorage, id: &str, now: u64) -> worker::Result<ReplayReply> {
    let Some(row) = read_delivery(sql, id)? else {
        return Ok(ReplayReply::NotFound);
    };
    let Some(delivery) = row.delivery() else {
        return Ok(ReplayReply::NotFound);
    };
    if read_body(sql, id)?.is_none() {
        return Ok(match delivery.state {
            DeliveryState::Pending | DeliveryState::Delivering => ReplayReply::NotSettled {
                state: delivery.state,
            },
            _ => ReplayReply::NotStored,
        });
    }
    match delivery.replay(now) {
        Ok(next) => {
            write_delivery(sql, id, &row.state, &next)?;
            console_log!(
                "{}",
                AttemptLog::replayed(id, &event_type(sql, id)?).to_json()
            );
            Ok(ReplayReply::Replayed)
        }
        Err(_) => Ok(ReplayReply::NotSettled {
            state: delivery.state,
        }),
    }
}

fn event_type(sql: &SqlStorage, id: &str) -> worker::Result<String> {
    let cursor = sql.exec(
        "SELECT event_type FROM events WHERE id = ?",
        vec![id.into()],
    )?;
    Ok(first(cursor)?
        .and_then(|row| row.text(0))
        .unwrap_or_default())
}

/// `replay_dead`: the oldest dead events of this shard back to pending, at most `limit`.
pub(crate) fn replay_dead(
    sql: &SqlStorage,
    request: ReplayDeadRequest,
    now: u64,
) -> worker::Result<ReplayDeadReply> {
    let ids = ids(sql.exec(
        "SELECT id FROM events WHERE state = 'dead' AND body IS NOT NULL \
         ORDER BY received_at LIMIT ?",
        vec![int(request.limit as u64)],
    )?)?;
    let mut replayed = 0;
    for id in ids {
        if replay(sql, &id, now)? == ReplayReply::Replayed {
            replayed += 1;
        }
    }
    let remaining = stats(sql)?.dead;
    Ok(ReplayDeadReply {
        replayed,
        remaining,
    })
}

/// The earliest time a durable row needs the alarm: a pending attempt or a delivering
/// lease's end (expiry is the ledger's part of the alarm).
pub(crate) fn next_delivery_at(sql: &SqlStorage) -> worker::Result<Option<u64>> {
    let cursor = sql.exec(
        "SELECT MIN(at) FROM (\
           SELECT MIN(next_attempt_at) AS at FROM events WHERE state = 'pending' \
           UNION ALL \
           SELECT MIN(lease_until) AS at FROM events WHERE state = 'delivering')",
        None,
    )?;
    Ok(first(cursor)?.and_then(|row| row.uint(0)))
}

/// The first column of every row, as text (ids).
fn ids(cursor: worker::SqlCursor) -> worker::Result<Vec<String>> {
    Ok(rows(cursor)?.iter().filter_map(|row| row.text(0)).collect())
}

/// Rows whose attempt is due: pending and due, or delivering with a lease that ran out.
fn due(sql: &SqlStorage, now: u64, limit: usize) -> worker::Result<Vec<String>> {
    ids(sql.exec(
        "SELECT id FROM events WHERE (state = 'pending' AND next_attempt_at <= ?) \
         OR (state = 'delivering' AND lease_until <= ?) ORDER BY received_at LIMIT ?",
        vec![int(now), int(now), int(limit as u64)],
    )?)
}

fn retention(receiver: &Receiver) -> Retention {
    let settings = receiver.settings();
    Retention {
        delivered_ms: settings.dedup_ttl_seconds.saturating_mul(1000),
        dead_ms: settings
            .delivery
            .dead_letter_ttl_seconds
            .saturating_mul(1000),
    }
}

fn record_attempt(
    sql: &SqlStorage,
    id: &str,
    at: u64,
    result: Option<OriginResult>,
    duration_ms: u64,
) -> worker::Result<()> {
    let (status, error) = match result {
        Some(OriginResult::Status(status)) => (Some(i64::from(status)), None),
        Some(other) => (None, crate::receiver::attempt_error(other)),
        None => (None, Some(LOST_ATTEMPT)),
    };
    sql.exec(
        "INSERT INTO attempts (event_id, at, status, duration_ms, error) VALUES (?, ?, ?, ?, ?)",
        vec![
            id.into(),
            int(at),
            status.into(),
            int(duration_ms),
            error.into(),
        ],
    )?;
    Ok(())
}

fn log_attempt(line: &AttemptLog) {
    let json = line.to_json();
    match line.level {
        "error" => console_error!("{json}"),
        "warn" => console_warn!("{json}"),
        _ => console_log!("{json}"),
    }
}

/// Whether the origin already accepted this event once (a 2xx in its timeline): then the
/// delivery is a replay, marked `X-DigiVault-Replay: 1`.
fn delivered_before(sql: &SqlStorage, id: &str) -> worker::Result<bool> {
    let cursor = sql.exec(
        "SELECT 1 FROM attempts WHERE event_id = ? AND status BETWEEN 200 AND 299 LIMIT 1",
        vec![id.into()],
    )?;
    Ok(cursor.raw().next().is_some())
}

/// Starts the attempt of `id` if it is (still) due: leases it, and returns what to send.
fn begin(
    sql: &SqlStorage,
    receiver: &Receiver,
    id: &str,
    now: u64,
) -> worker::Result<Option<Outgoing>> {
    let Some(row) = read_delivery(sql, id)? else {
        return Ok(None);
    };
    let Some(mut delivery) = row.delivery() else {
        return Ok(None);
    };
    let mut stored_state = row.state.clone();
    let keep = retention(receiver);
    let policy = &receiver.settings().delivery.retry;
    if delivery.state == DeliveryState::Delivering {
        // Its attempt was lost with the object that ran it.
        let Ok(next) = delivery.lost(now, jitter(), policy, keep) else {
            return Ok(None);
        };
        record_attempt(sql, id, now, None, 0)?;
        write_delivery(sql, id, &stored_state, &next)?;
        log_attempt(&AttemptLog::new(id, &event_type(sql, id)?, None, 0, &next));
        delivery = next;
        stored_state = next.state.as_str().to_owned();
    }
    let lease = lease_ms(receiver.settings().forward_timeout_ms);
    let Ok(running) = delivery.begin(now, lease) else {
        return Ok(None);
    };
    let row: Option<Row> = first(sql.exec(
        "SELECT event_type, signature_header, signature, content_type, body \
         FROM events WHERE id = ?",
        vec![id.into()],
    )?)?;
    let Some(mut row) = row else {
        return Ok(None);
    };
    let Some(body) = row.take_blob(4) else {
        return Ok(None);
    };
    let header = row.text(1).and_then(|name| {
        SIGNATURE_HEADERS
            .iter()
            .find(|known| known.eq_ignore_ascii_case(&name))
    });
    let (Some(header), Some(signature)) = (header, row.text(2)) else {
        return Ok(None);
    };
    let replay = delivered_before(sql, id)?;
    write_delivery(sql, id, &stored_state, &running)?;
    let event_type = row.text(0).unwrap_or_default();
    // The same headers as a forward while DigiVault waits, its content type included.
    let accepted = Accepted {
        event: AcceptedEvent {
            id: id.to_owned(),
            event_type: EventType::from_name(&event_type),
        },
        signature_header: header,
        signature,
    };
    let mut headers = forward_headers(&accepted, row.text(3).as_deref());
    if replay {
        headers.push((REPLAY_HEADER, "1".to_owned()));
    }
    Ok(Some(Outgoing {
        id: accepted.event.id,
        event_type,
        headers,
        body,
    }))
}

/// The durable part of the alarm: delivers due events, at most the shard's share of
/// `MAX_DELIVERIES_IN_FLIGHT` at once, starting new ones as others end, for at most
/// [`ALARM_BUDGET_MS`]. Returns when nothing is due or running. Errors of one row are
/// logged and skipped: an alarm that throws is retried by the runtime, which would only
/// repeat them. Returns whether an attempt failed (for the alerts).
pub(crate) async fn deliver_due(sql: &SqlStorage, receiver: &Receiver) -> bool {
    let mut failed = false;
    let started = now_ms();
    let cap = usize::try_from(receiver.settings().delivery.per_shard_in_flight()).unwrap_or(1);
    let keep = retention(receiver);
    let mut running = FuturesUnordered::new();
    loop {
        let now = now_ms();
        if running.len() < cap && now.saturating_sub(started) < ALARM_BUDGET_MS {
            let ids = due(sql, now, cap - running.len()).unwrap_or_else(|err| {
                console_error!("{{\"level\":\"error\",\"outcome\":\"ledger_error\",\"detail\":\"due: {err}\"}}");
                Vec::new()
            });
            for id in ids {
                match begin(sql, receiver, &id, now) {
                    Ok(Some(outgoing)) => running.push(async move {
                        let at = now_ms();
                        let settings = receiver.settings();
                        let mut sent = forward::send(
                            &settings.forward_url,
                            settings.forward_timeout_ms,
                            &outgoing.headers,
                            &Uint8Array::from(outgoing.body.as_slice()),
                        )
                        .await;
                        let duration = now_ms().saturating_sub(at);
                        // No reply waits on it: drained here, so the connection is reused.
                        if let Some(response) = sent.response.take() {
                            forward::drain(response).await;
                        }
                        (outgoing, sent, at, duration)
                    }),
                    Ok(None) => {}
                    Err(err) => console_error!(
                        "{{\"level\":\"error\",\"outcome\":\"ledger_error\",\"detail\":\"begin: {err}\"}}"
                    ),
                }
            }
        }
        let Some((outgoing, answer, at, duration)) = running.next().await else {
            break;
        };
        failed |= !matches!(answer.result, OriginResult::Status(200..=299));
        let now = now_ms();
        let id = outgoing.id.as_str();
        let finished = (|| -> worker::Result<Option<Delivery>> {
            let Some(row) = read_delivery(sql, id)? else {
                return Ok(None);
            };
            let Some(delivery) = row.delivery() else {
                return Ok(None);
            };
            record_attempt(sql, id, at, Some(answer.result), duration)?;
            let retry_after = answer
                .retry_after
                .as_deref()
                .and_then(|value| crate::receiver::parse_retry_after(value, now));
            let policy = &receiver.settings().delivery.retry;
            let Ok(next) = delivery.finish(answer.result, retry_after, now, jitter(), policy, keep)
            else {
                return Ok(None);
            };
            write_delivery(sql, id, &row.state, &next)?;
            Ok(Some(next))
        })();
        match finished {
            Ok(Some(next)) => log_attempt(&AttemptLog::new(
                id,
                &outgoing.event_type,
                Some(answer.result),
                duration,
                &next,
            )),
            Ok(None) => {}
            Err(err) => console_error!(
                "{{\"level\":\"error\",\"outcome\":\"ledger_error\",\"detail\":\"finish: {err}\"}}"
            ),
        }
    }
    failed
}
