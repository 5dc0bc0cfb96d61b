//! The ledger shard object `EventLedger` (binding `LEDGER`, SQLite-backed): its schema,
//! the dispatch of the Worker's ops (`POST https://ledger/<op>`) and its one alarm.

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{
    console_error, durable_object, Date, DurableObject, Env, Request, Response, SqlStorage, State,
};

use super::durable;
use crate::receiver::{op, EventQuery, ListRequest, ReplayDeadRequest, StoreMeta, StoreReply};

/// The schema of docs/LEDGER-DESIGN (shared by forward and durable mode).
const SCHEMA: &str = "\
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY,
  body_sha256 TEXT NOT NULL,
  state TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  lease_until INTEGER,
  expires_at INTEGER NOT NULL,
  event_type TEXT,
  size INTEGER,
  body BLOB, signature_header TEXT, signature TEXT,
  attempt_count INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER
);
CREATE INDEX IF NOT EXISTS events_by_expiry ON events(expires_at);
CREATE INDEX IF NOT EXISTS events_by_state ON events(state, received_at);
CREATE TABLE IF NOT EXISTS attempts (
  event_id TEXT NOT NULL, at INTEGER NOT NULL, status INTEGER, duration_ms INTEGER, error TEXT
);
CREATE INDEX IF NOT EXISTS attempts_by_event ON attempts(event_id, at);";

/// One ledger shard.
#[durable_object]
pub struct EventLedger {
    state: State,
    env: Env,
}

fn reply<T: Serialize>(value: &T) -> worker::Result<Response> {
    Response::from_bytes(serde_json::to_vec(value).map_err(|err| err.to_string())?)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> worker::Result<T> {
    serde_json::from_slice(body).map_err(|err| worker::Error::RustError(err.to_string()))
}

impl EventLedger {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    /// Brings the alarm forward to `at` (Unix ms) unless it is already due by then.
    async fn wake_by(&self, at: u64) -> worker::Result<()> {
        let storage = self.state.storage();
        let current = storage.get_alarm().await?;
        if current.is_none_or(|current| u64::try_from(current).unwrap_or(0) > at) {
            let date = worker::js_sys::Date::new(&(at as f64).into());
            storage.set_alarm(worker::ScheduledTime::new(date)).await?;
        }
        Ok(())
    }

    /// Arms the alarm for the earliest row that needs it, or clears it.
    async fn rearm(&self) -> worker::Result<()> {
        let sql = self.sql();
        let expiry = next_expiry(&sql)?;
        let delivery = durable::next_delivery_at(&sql)?;
        let next = match (expiry, delivery) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let storage = self.state.storage();
        match next {
            Some(at) => {
                let date = worker::js_sys::Date::new(&(at as f64).into());
                storage.set_alarm(worker::ScheduledTime::new(date)).await
            }
            None => storage.delete_alarm().await,
        }
    }

    async fn dispatch(&self, name: &str, body: &[u8]) -> worker::Result<Response> {
        let sql = self.sql();
        let now = Date::now().as_millis();
        match name {
            op::STORE => {
                let (meta, raw) = StoreMeta::unframe(body)
                    .ok_or_else(|| worker::Error::RustError("bad store frame".into()))?;
                let answer = durable::store(&sql, &meta, raw, now)?;
                if answer == StoreReply::Stored {
                    // Its first attempt is due now. The reply leaves only once the row and
                    // the alarm are written (the object's output gate).
                    self.wake_by(now).await?;
                }
                reply(&answer)
            }
            op::EVENT => reply(&durable::event(&sql, &parse::<EventQuery>(body)?)?),
            op::LIST => reply(&durable::list(&sql, &parse::<ListRequest>(body)?)?),
            op::STATS => reply(&durable::stats(&sql)?),
            op::REPLAY => {
                let query: EventQuery = parse(body)?;
                let answer = durable::replay(&sql, &query.id, now)?;
                self.wake_by(now).await?;
                reply(&answer)
            }
            op::REPLAY_DEAD => {
                let answer = durable::replay_dead(&sql, parse::<ReplayDeadRequest>(body)?, now)?;
                self.wake_by(now).await?;
                reply(&answer)
            }
            _ => Response::error("unknown ledger op", 404),
        }
    }
}

/// The earliest `expires_at` of any row.
fn next_expiry(sql: &SqlStorage) -> worker::Result<Option<u64>> {
    #[derive(serde::Deserialize)]
    struct Row {
        at: Option<u64>,
    }
    let rows: Vec<Row> = sql
        .exec("SELECT MIN(expires_at) AS at FROM events", None)?
        .to_array()?;
    Ok(rows.into_iter().next().and_then(|row| row.at))
}

/// Deletes rows (and their timelines) whose time is over.
fn delete_expired(sql: &SqlStorage, now: u64) -> worker::Result<()> {
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    sql.exec(
        "DELETE FROM attempts WHERE event_id IN (SELECT id FROM events WHERE expires_at <= ?)",
        vec![now.into()],
    )?;
    sql.exec("DELETE FROM events WHERE expires_at <= ?", vec![now.into()])?;
    Ok(())
}

impl DurableObject for EventLedger {
    fn new(state: State, env: Env) -> Self {
        // Idempotent; a failure shows up as errors of the first op.
        if let Err(err) = state.storage().sql().exec(SCHEMA, None) {
            console_error!("ledger schema: {err}");
        }
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let path = req.path();
        let name = path.trim_start_matches('/').to_owned();
        let body = req.bytes().await?;
        match self.dispatch(&name, &body).await {
            Ok(response) => Ok(response),
            Err(err) => Response::error(format!("ledger {name}: {err}"), 500),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let sql = self.sql();
        if let Err(err) = delete_expired(&sql, Date::now().as_millis()) {
            console_error!("ledger expiry: {err}");
        }
        let shared = super::receiver(&self.env);
        if let Ok(receiver) = shared.as_ref() {
            durable::deliver_due(&sql, receiver).await;
        }
        // A failure to re-arm is thrown: the runtime retries the alarm.
        self.rearm().await?;
        Response::ok("")
    }
}
