//! `EventLedger`, the delivery ledger's Durable Object class (binding `LEDGER`, SQLite
//! storage): a thin binding around [`crate::receiver::ledger`]. It reads its clock, runs
//! the state machine on its SQL rows and keeps one alarm armed at the earliest expiry.
//!
//! Each request is one synchronous run of `sql.exec` calls (read, decide, write) with no
//! `await` in between: the object's input and output gates make it atomic (worker 0.8.7
//! has no `transactionSync`).

use std::cell::Cell;

use wasm_bindgen::prelude::{wasm_bindgen, JsValue};
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue,
    State,
};

use super::alarm::{json_response, ArmedAlarm};
use super::sql_row::{first, missing};
use super::{apart, durable, ledger_overview};
use crate::receiver::ledger::{
    expire, handle, next_alarm, Change, ClaimRequest, LedgerRequest, LedgerRow, LedgerStore,
    RowState,
};

/// The schema (both delivery modes: forward mode uses the first columns of `events`; the
/// durable mode its body, signature and attempt columns and the `attempts` table), run as one
/// `sql.exec` (its statements in order) when an object starts: one call, not six.
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS events (
        id TEXT PRIMARY KEY,
        body_sha256 TEXT NOT NULL,
        state TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        lease_until INTEGER,
        expires_at INTEGER NOT NULL,
        event_type TEXT,
        size INTEGER,
        body BLOB,
        signature_header TEXT,
        signature TEXT,
        attempt_count INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        content_type TEXT
    );
    CREATE INDEX IF NOT EXISTS events_by_expiry ON events(expires_at);
    CREATE INDEX IF NOT EXISTS events_by_state ON events(state, received_at);
    CREATE TABLE IF NOT EXISTS attempts (
        event_id TEXT NOT NULL, at INTEGER NOT NULL, status INTEGER, duration_ms INTEGER, error TEXT
    );
    CREATE INDEX IF NOT EXISTS attempts_by_event ON attempts(event_id, at);
    -- The console's 24 h counts and the origin's last answer (written by alarms only).
    CREATE INDEX IF NOT EXISTS attempts_by_time ON attempts(at)";

/// One shard of the delivery ledger.
#[durable_object(alarm)]
pub struct EventLedger {
    state: State,
    /// The Worker's variables: durable delivery reads the receiver's settings.
    env: Env,
    /// The schema was created by this instance.
    ready: Cell<bool>,
    /// The alarm armed, as far as this instance knows: `None` until read from storage.
    armed: ArmedAlarm,
}

impl DurableObject for EventLedger {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            ready: Cell::new(false),
            armed: ArmedAlarm::unknown(),
        }
    }

    /// The protocol over HTTP (`POST https://ledger/<op>`): kept for callers that have only
    /// a `fetch`; the Worker's own calls use [`EventLedger::answer_rpc`].
    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let body = req.bytes().await?;
        match self.answer(&path, &body).await? {
            Ok(json) => json_response(json),
            Err(invalid) => Response::error(invalid, 400),
        }
    }

    /// Deletes expired rows, delivers the due durable events (for a bounded time), then
    /// arms the alarm for what comes next: the earliest expiry (batched) or the earliest
    /// attempt or lease end, whichever is first.
    async fn alarm(&self) -> Result<Response> {
        let mut store = self.store()?;
        expire(&mut store, now_ms())?;
        if let Ok(receiver) = super::receiver(&self.env).as_ref() {
            if durable::deliver_due(&store.sql, receiver).await {
                ledger_overview::nudge_console(&self.env).await;
            }
        }
        // Read and armed without yielding in between (see `set_alarm`): a row stored
        // meanwhile either is counted here or arms the alarm itself.
        let now = now_ms();
        let expiry = next_alarm(store.earliest_expiry()?, now);
        let delivery =
            durable::next_delivery_at(&store.sql)?.map(|at| i64::try_from(at).unwrap_or(i64::MAX));
        let next = match (expiry, delivery) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match next {
            Some(at) => self.armed.set(&self.state.storage(), at).await?,
            None => self.armed.fired_with_nothing_due(),
        }
        Response::ok("")
    }
}

/// The protocol over JS RPC (`stub.answer(path, body)`, see
/// [`ledger_client`](super::ledger_client)): no HTTP request and response per call, which
/// the webhook path makes two or three of per event.
#[wasm_bindgen(
    wasm_bindgen_futures = ::worker::wasm_bindgen_futures,
    js_sys = ::worker::js_sys
)]
impl EventLedger {
    /// Answers one ledger operation (`path` as `/claim`): its JSON reply; a rejection with
    /// the reason when the request is invalid or the storage failed.
    #[wasm_bindgen(js_name = answer)]
    pub async fn answer_rpc(
        &self,
        path: String,
        body: Vec<u8>,
    ) -> std::result::Result<String, JsValue> {
        match self.answer(&path, &body).await {
            Ok(Ok(json)) => Ok(json),
            Ok(Err(invalid)) => Err(JsValue::from_str(&invalid)),
            Err(err) => Err(JsValue::from_str(&err.to_string())),
        }
    }
}

impl EventLedger {
    /// One operation: `Ok(json)`, or `Err(why)` when the request is not one the object
    /// knows (a 400 over HTTP).
    async fn answer(&self, path: &str, body: &[u8]) -> Result<std::result::Result<String, String>> {
        // Durable mode's ops and the admin API's apart (`super::apart`): a forward-mode
        // claim never compiles them.
        if !LedgerRequest::is_op(path) {
            if let Some(answer) = apart(self.other_op(path, body)).await {
                return answer.map(Ok);
            }
        }
        let request = match LedgerRequest::parse(path, body) {
            Ok(request) => request,
            Err(err) => return Ok(Err(err.to_string())),
        };
        let mut store = self.store()?;
        if let LedgerRequest::Claim(ClaimRequest { event_type, .. }) = &request {
            store.new_row_type.clone_from(event_type);
        }
        let handled = handle(&mut store, &request, now_ms())?;
        if let Some(expiry) = handled.wrote_expiry {
            self.armed.arm_for(&self.state.storage(), expiry).await?;
        }
        Ok(Ok(handled.reply))
    }

    /// Durable mode's ops and the admin API's (src/worker/durable.rs,
    /// src/worker/ledger_overview.rs): the JSON reply; `None` for any other path.
    async fn other_op(&self, path: &str, body: &[u8]) -> Option<Result<String>> {
        // An event stored is an event this object must deliver: refused (the webhook answers
        // 503, DigiVault retries) while the script hosting the class cannot build the
        // receiver from its own settings (FORWARD_URL, the secret; docs/receiver.md).
        if path.trim_start_matches('/') == crate::receiver::op::STORE {
            if let Err(err) = super::receiver(&self.env).as_ref() {
                return Some(Err(worker::Error::RustError(format!(
                    "durable delivery is not configured where EventLedger runs: {err}"
                ))));
            }
        }
        let store = match self.store() {
            Ok(store) => store,
            Err(err) => return Some(Err(err)),
        };
        let answer = ledger_overview::handle(&store.sql, path, body)
            .or_else(|| durable::handle(&store.sql, path, body, now_ms()))?;
        Some(self.armed_for(answer).await)
    }

    /// The reply of a durable-mode or admin op, once the alarm it needs is armed.
    async fn armed_for(&self, answer: Result<durable::Answer>) -> Result<String> {
        let answer = answer?;
        if let Some(at) = answer.wake_at {
            self.armed.arm_for(&self.state.storage(), at).await?;
        }
        Ok(answer.reply)
    }

    fn store(&self) -> Result<SqlStore> {
        let sql = self.state.storage().sql();
        if !self.ready.get() {
            sql.exec(SCHEMA, None)?;
            // A table created before the column existed (a `make dev` database): added once.
            if sql
                .exec("SELECT content_type FROM events LIMIT 0", None)
                .is_err()
            {
                sql.exec("ALTER TABLE events ADD COLUMN content_type TEXT", None)?;
            }
            self.ready.set(true);
        }
        Ok(SqlStore {
            sql,
            new_row_type: None,
        })
    }
}

fn now_ms() -> i64 {
    i64::try_from(worker::Date::now().as_millis()).unwrap_or(i64::MAX)
}

/// The object's rows in its SQLite database.
struct SqlStore {
    sql: SqlStorage,
    /// The type a row inserted by this request records (a claim's `event_type`): forward
    /// mode's rows get it in the same write, for the admin API's listing and its `type=`
    /// filter. An existing row keeps its own.
    new_row_type: Option<String>,
}

fn int(value: i64) -> SqlStorageValue {
    SqlStorageValue::Integer(value)
}

impl LedgerStore for SqlStore {
    type Error = worker::Error;

    fn row(&mut self, id: &str) -> Result<Option<LedgerRow>> {
        let cursor = self.sql.exec(
            "SELECT id, body_sha256, state, received_at, lease_until, expires_at \
             FROM events WHERE id = ?",
            vec![id.into()],
        )?;
        let Some(row) = first(cursor)? else {
            return Ok(None);
        };
        Ok(Some(LedgerRow {
            id: row.text(0).ok_or_else(|| missing("id"))?,
            body_sha256: row.text(1).ok_or_else(|| missing("body_sha256"))?,
            state: row
                .text(2)
                .as_deref()
                .and_then(RowState::from_stored)
                .ok_or_else(|| missing("state"))?,
            received_at: row.int(3).ok_or_else(|| missing("received_at"))?,
            lease_until: row.int(4),
            expires_at: row.int(5).ok_or_else(|| missing("expires_at"))?,
        }))
    }

    fn apply(&mut self, change: &Change) -> Result<()> {
        match change {
            Change::Keep => {}
            Change::Put(row) => {
                self.sql.exec(
                    "INSERT INTO events (id, body_sha256, state, received_at, lease_until, expires_at, \
                     event_type) VALUES (?, ?, ?, ?, ?, ?, ?) \
                     ON CONFLICT(id) DO UPDATE SET body_sha256 = excluded.body_sha256, \
                     state = excluded.state, received_at = excluded.received_at, \
                     lease_until = excluded.lease_until, expires_at = excluded.expires_at",
                    vec![
                        row.id.as_str().into(),
                        row.body_sha256.as_str().into(),
                        row.state.as_str().into(),
                        int(row.received_at),
                        row.lease_until.map(int).unwrap_or(SqlStorageValue::Null),
                        int(row.expires_at),
                        self.new_row_type
                            .as_deref()
                            .map_or(SqlStorageValue::Null, Into::into),
                    ],
                )?;
            }
        }
        Ok(())
    }

    fn delete_expired(&mut self, now_ms: i64) -> Result<usize> {
        // Their timelines first (durable mode), then the rows.
        self.sql.exec(
            "DELETE FROM attempts WHERE event_id IN \
             (SELECT id FROM events WHERE expires_at <= ?)",
            vec![int(now_ms)],
        )?;
        let cursor = self.sql.exec(
            "DELETE FROM events WHERE expires_at <= ?",
            vec![int(now_ms)],
        )?;
        Ok(cursor.rows_written())
    }

    fn earliest_expiry(&mut self) -> Result<Option<i64>> {
        let cursor = self.sql.exec("SELECT MIN(expires_at) FROM events", None)?;
        Ok(first(cursor)?.and_then(|row| row.int(0)))
    }
}
