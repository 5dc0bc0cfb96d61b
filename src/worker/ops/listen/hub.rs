//! `ListenHub`, the listen hub's Durable Object class (binding `LISTEN`, SQLite storage,
//! WebSocket hibernation: an idle listener costs no duration). One object holds every
//! listener name: its registration, its backlog of unacknowledged events, and the
//! connection of its current listener. Every decision is [`crate::receiver::listen`]'s.
//!
//! Each handler is one synchronous run of `sql.exec` calls (no `await` in between), so the
//! object's input gate makes it atomic; sends happen after the rows are written.

use std::cell::Cell;

use worker::{
    durable_object, js_sys, DurableObject, Env, Request, Response, Result, SqlStorage,
    SqlStorageValue, State, WebSocket, WebSocketIncomingMessage, WebSocketPair,
};

use crate::receiver::listen::{
    overflow, registered, window_room, ClientMessage, EventMeta, Hello, ListenQuery,
    ListenSettings, PublishReply, ServerNotice, CLOSE_MALFORMED, CLOSE_REPLACED, MAX_WINDOW_EVENTS,
    PUBLISHED_IDS_TTL_SECONDS, PUBLISH_OP,
};
use crate::receiver::query_of;
use crate::worker::alarm::json_response;
use crate::worker::sql_row::{first, rows};

const SCHEMA: [&str; 6] = [
    "CREATE TABLE IF NOT EXISTS listeners (
        name TEXT PRIMARY KEY, types TEXT, last_seen INTEGER NOT NULL,
        dropped INTEGER NOT NULL DEFAULT 0, conn TEXT, sent_seq INTEGER NOT NULL DEFAULT 0
    )",
    "CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, event_type TEXT NOT NULL,
        frame BLOB NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS events_by_id ON events(id)",
    "CREATE TABLE IF NOT EXISTS pending (
        name TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (name, seq)
    ) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS published (id TEXT PRIMARY KEY, at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS published_by_at ON published(at)",
];

/// Tag prefix of a connection's own tag (the other tag is the listener's name).
const CONN_TAG: &str = "conn:";

/// The listen hub.
#[durable_object(websocket)]
pub struct ListenHub {
    state: State,
    env: Env,
    ready: Cell<bool>,
}

fn int(value: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

impl DurableObject for ListenHub {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            ready: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if req.path() == PUBLISH_OP {
            let body = req.bytes().await?;
            let Some((meta, _)) = EventMeta::unframe(&body) else {
                return Response::error("unreadable publish request", 400);
            };
            let reply = self.publish(&meta, &body, now_ms())?;
            return json_response(serde_json::to_string(&reply).map_err(|e| e.to_string())?);
        }
        let url = req.inner().url();
        let query = match ListenQuery::parse(query_of(&url)) {
            Ok(query) => query,
            Err(reply) => return Response::error(reply.body(), reply.status),
        };
        self.connect(&query, now_ms())
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> Result<()> {
        let Some((name, conn)) = self.identity(&ws) else {
            return Ok(());
        };
        let parsed = match message {
            WebSocketIncomingMessage::String(text) => ClientMessage::parse(&text),
            WebSocketIncomingMessage::Binary(_) => {
                Err("malformed message: binary messages are not accepted")
            }
        };
        match parsed {
            Ok(ClientMessage::Ack(ids)) => {
                let sql = self.sql()?;
                for id in &ids {
                    sql.exec(
                        "DELETE FROM pending WHERE name = ? AND seq IN (SELECT seq FROM events WHERE id = ?)",
                        vec![name.as_str().into(), id.as_str().into()],
                    )?;
                    sql.exec(
                        "DELETE FROM events WHERE id = ? AND NOT EXISTS \
                         (SELECT 1 FROM pending p WHERE p.seq = events.seq)",
                        vec![id.as_str().into()],
                    )?;
                }
                if self.current_conn(&sql, &name)?.as_deref() == Some(conn.as_str()) {
                    self.pump(&sql, &ws, &name)?;
                }
            }
            // Nothing is lost: the unacknowledged events are sent again on reconnect.
            Err(reason) => {
                let _ = ws.close(Some(CLOSE_MALFORMED), Some(reason));
            }
        }
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        _code: usize,
        _reason: String,
        _clean: bool,
    ) -> Result<()> {
        self.disconnected(&ws)
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        self.disconnected(&ws)
    }
}

impl ListenHub {
    fn sql(&self) -> Result<SqlStorage> {
        let sql = self.state.storage().sql();
        if !self.ready.get() {
            for statement in SCHEMA {
                sql.exec(statement, None)?;
            }
            self.ready.set(true);
        }
        Ok(sql)
    }

    fn settings(&self) -> ListenSettings {
        // Validated again by the Worker's own settings; a bad value there stops the Worker.
        ListenSettings::from_vars(&|name: &str| crate::worker::var(&self.env, name))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// The listener name and connection id of a socket, from its tags.
    fn identity(&self, ws: &WebSocket) -> Option<(String, String)> {
        let tags = self.state.get_tags(ws);
        let conn = tags
            .iter()
            .find_map(|tag| tag.strip_prefix(CONN_TAG))?
            .to_owned();
        let name = tags.into_iter().find(|tag| !tag.starts_with(CONN_TAG))?;
        Some((name, conn))
    }

    fn current_conn(&self, sql: &SqlStorage, name: &str) -> Result<Option<String>> {
        let cursor = sql.exec(
            "SELECT conn FROM listeners WHERE name = ?",
            vec![name.into()],
        )?;
        Ok(first(cursor)?.and_then(|row| row.text(0)))
    }

    /// The socket of connection `conn`, when it is still open.
    fn socket_of(&self, conn: &str) -> Option<WebSocket> {
        self.state
            .get_websockets_with_tag(&format!("{CONN_TAG}{conn}"))
            .into_iter()
            .next()
    }

    fn disconnected(&self, ws: &WebSocket) -> Result<()> {
        if let Some((name, conn)) = self.identity(ws) {
            let sql = self.sql()?;
            sql.exec(
                "UPDATE listeners SET conn = NULL, last_seen = ? WHERE name = ? AND conn = ?",
                vec![int(now_ms()), name.as_str().into(), conn.as_str().into()],
            )?;
        }
        // Completes the closing handshake (a no-op when the runtime already did).
        let _ = ws.close(Some(1000), Some("closed"));
        Ok(())
    }

    /// Forgets the names not registered any more, with their backlogs.
    fn expire(&self, sql: &SqlStorage, retention_seconds: u64, now: u64) -> Result<()> {
        let cursor = sql.exec("SELECT name, last_seen, conn FROM listeners", None)?;
        let mut gone = Vec::new();
        for row in rows(cursor)? {
            let (Some(name), Some(last_seen)) = (row.text(0), row.uint(1)) else {
                continue;
            };
            let connected = row
                .text(2)
                .is_some_and(|conn| self.socket_of(&conn).is_some());
            if !registered(connected, last_seen, retention_seconds, now) {
                gone.push(name);
            }
        }
        for name in &gone {
            sql.exec(
                "DELETE FROM pending WHERE name = ?",
                vec![name.as_str().into()],
            )?;
            sql.exec(
                "DELETE FROM listeners WHERE name = ?",
                vec![name.as_str().into()],
            )?;
        }
        if !gone.is_empty() {
            delete_orphans(sql)?;
        }
        Ok(())
    }

    fn connect(&self, query: &ListenQuery, now: u64) -> Result<Response> {
        let settings = self.settings();
        let sql = self.sql()?;
        self.expire(&sql, settings.retention_seconds, now)?;
        for old in self.state.get_websockets_with_tag(&query.name) {
            let _ = old.close(
                Some(CLOSE_REPLACED),
                Some("replaced by a new connection under the same name"),
            );
        }
        let conn = format!(
            "{:x}{:08x}",
            now,
            (js_sys::Math::random() * f64::from(u32::MAX)) as u32
        );
        let types = query.types_column();
        sql.exec(
            "INSERT INTO listeners (name, types, last_seen, conn, sent_seq) VALUES (?, ?, ?, ?, 0) \
             ON CONFLICT(name) DO UPDATE SET types = excluded.types, last_seen = excluded.last_seen, \
             conn = excluded.conn, sent_seq = 0",
            vec![
                query.name.as_str().into(),
                types.as_deref().map_or(SqlStorageValue::Null, Into::into),
                int(now),
                conn.as_str().into(),
            ],
        )?;
        // A new filter applies to what is waiting too.
        if let Some(types) = &types {
            let waiting = sql.exec(
                "SELECT p.seq, e.event_type FROM pending p JOIN events e ON e.seq = p.seq WHERE p.name = ?",
                vec![query.name.as_str().into()],
            )?;
            for row in rows(waiting)? {
                let (Some(seq), Some(event_type)) = (row.uint(0), row.text(1)) else {
                    continue;
                };
                if !ListenQuery::matches(Some(types), &event_type) {
                    sql.exec(
                        "DELETE FROM pending WHERE name = ? AND seq = ?",
                        vec![query.name.as_str().into(), int(seq)],
                    )?;
                }
            }
            delete_orphans(&sql)?;
        }
        let counts = sql.exec(
            "SELECT (SELECT COUNT(*) FROM pending WHERE name = ?1), dropped FROM listeners WHERE name = ?1",
            vec![query.name.as_str().into()],
        )?;
        let (backlog, dropped) = first(counts)?
            .map(|row| (row.uint(0).unwrap_or(0), row.uint(1).unwrap_or(0)))
            .unwrap_or((0, 0));
        sql.exec(
            "UPDATE listeners SET dropped = 0 WHERE name = ?",
            vec![query.name.as_str().into()],
        )?;

        let pair = WebSocketPair::new()?;
        let conn_tag = format!("{CONN_TAG}{conn}");
        self.state
            .accept_websocket_with_tags(&pair.server, &[query.name.as_str(), conn_tag.as_str()]);
        let hello = Hello::new(
            query,
            backlog,
            dropped,
            settings.retention_seconds,
            settings.max_backlog,
        );
        pair.server
            .send_with_str(serde_json::to_string(&hello).map_err(|e| e.to_string())?)?;
        self.pump(&sql, &pair.server, &query.name)?;
        Response::from_websocket(pair.client)
    }

    /// Sends `name`'s next events to `ws`, oldest first, as far as the window allows.
    fn pump(&self, sql: &SqlStorage, ws: &WebSocket, name: &str) -> Result<()> {
        let sent_seq = first(sql.exec(
            "SELECT sent_seq FROM listeners WHERE name = ?",
            vec![name.into()],
        )?)?
        .and_then(|row| row.uint(0))
        .unwrap_or(0);
        let in_flight = first(sql.exec(
            "SELECT COUNT(*), COALESCE(SUM(length(e.frame)), 0) FROM pending p \
             JOIN events e ON e.seq = p.seq WHERE p.name = ? AND p.seq <= ?",
            vec![name.into(), int(sent_seq)],
        )?)?
        .map(|row| (row.uint(0).unwrap_or(0), row.uint(1).unwrap_or(0)))
        .unwrap_or((0, 0));
        let next = rows(sql.exec(
            "SELECT p.seq, length(e.frame) FROM pending p JOIN events e ON e.seq = p.seq \
             WHERE p.name = ? AND p.seq > ? ORDER BY p.seq LIMIT ?",
            vec![name.into(), int(sent_seq), int(MAX_WINDOW_EVENTS)],
        )?)?;
        let sizes: Vec<u64> = next.iter().map(|row| row.uint(1).unwrap_or(0)).collect();
        let room = window_room(in_flight.0, in_flight.1, &sizes);
        let mut last = sent_seq;
        for row in next.iter().take(room) {
            let Some(seq) = row.uint(0) else { continue };
            let mut frame =
                rows(sql.exec("SELECT frame FROM events WHERE seq = ?", vec![int(seq)])?)?;
            if let Some(bytes) = frame.first_mut().and_then(|row| row.take_blob(0)) {
                ws.send_with_bytes(bytes)?;
            }
            last = seq;
        }
        if last != sent_seq {
            sql.exec(
                "UPDATE listeners SET sent_seq = ? WHERE name = ?",
                vec![int(last), name.into()],
            )?;
        }
        Ok(())
    }

    /// Queues a new event for every registered name whose filter matches, then sends it to
    /// those connected.
    fn publish(&self, meta: &EventMeta, frame: &[u8], now: u64) -> Result<PublishReply> {
        let settings = self.settings();
        let sql = self.sql()?;
        let known = first(sql.exec(
            "SELECT 1 FROM published WHERE id = ?",
            vec![meta.id.as_str().into()],
        )?)?;
        if known.is_some() {
            return Ok(PublishReply::Duplicate);
        }
        sql.exec(
            "DELETE FROM published WHERE at < ?",
            vec![int(now.saturating_sub(PUBLISHED_IDS_TTL_SECONDS * 1000))],
        )?;
        self.expire(&sql, settings.retention_seconds, now)?;
        let listeners = rows(sql.exec("SELECT name, types, conn FROM listeners", None)?)?;
        let matching: Vec<(String, Option<String>)> = listeners
            .iter()
            .filter(|row| ListenQuery::matches(row.text(1).as_deref(), &meta.event_type))
            .filter_map(|row| Some((row.text(0)?, row.text(2))))
            .collect();
        if matching.is_empty() {
            return Ok(PublishReply::Queued { listeners: 0 });
        }
        sql.exec(
            "INSERT INTO published (id, at) VALUES (?, ?)",
            vec![meta.id.as_str().into(), int(now)],
        )?;
        sql.exec(
            "INSERT INTO events (id, event_type, frame) VALUES (?, ?, ?)",
            vec![
                meta.id.as_str().into(),
                meta.event_type.as_str().into(),
                SqlStorageValue::Blob(frame.to_vec()),
            ],
        )?;
        let seq = first(sql.exec("SELECT last_insert_rowid()", None)?)?
            .and_then(|row| row.uint(0))
            .unwrap_or(0);
        let mut dropped_any = false;
        let mut live = Vec::new();
        for (name, conn) in &matching {
            sql.exec(
                "INSERT INTO pending (name, seq) VALUES (?, ?)",
                vec![name.as_str().into(), int(seq)],
            )?;
            let pending = first(sql.exec(
                "SELECT COUNT(*) FROM pending WHERE name = ?",
                vec![name.as_str().into()],
            )?)?
            .and_then(|row| row.uint(0))
            .unwrap_or(0);
            let socket = conn.as_deref().and_then(|conn| self.socket_of(conn));
            let over = overflow(pending, settings.max_backlog);
            if over > 0 {
                dropped_any = true;
                sql.exec(
                    "DELETE FROM pending WHERE name = ?1 AND seq IN \
                     (SELECT seq FROM pending WHERE name = ?1 ORDER BY seq LIMIT ?2)",
                    vec![name.as_str().into(), int(over)],
                )?;
                match &socket {
                    // Said now to a connected listener that does not keep up...
                    Some(ws) => {
                        let notice = serde_json::to_string(&ServerNotice::dropped(over))
                            .map_err(|e| e.to_string())?;
                        let _ = ws.send_with_str(notice);
                    }
                    // ...and on reconnect to one that is away.
                    None => {
                        sql.exec(
                            "UPDATE listeners SET dropped = dropped + ? WHERE name = ?",
                            vec![int(over), name.as_str().into()],
                        )?;
                    }
                }
            }
            if let Some(ws) = socket {
                live.push((name.clone(), ws));
            }
        }
        if dropped_any {
            delete_orphans(&sql)?;
        }
        for (name, ws) in &live {
            // A send to a socket closing meanwhile fails: the event stays pending.
            let _ = self.pump(&sql, ws, name);
        }
        Ok(PublishReply::Queued {
            listeners: matching.len() as u64,
        })
    }
}

/// Deletes the events no backlog refers to any more.
fn delete_orphans(sql: &SqlStorage) -> Result<()> {
    sql.exec(
        "DELETE FROM events WHERE NOT EXISTS (SELECT 1 FROM pending p WHERE p.seq = events.seq)",
        None,
    )?;
    Ok(())
}
