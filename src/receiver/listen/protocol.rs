//! What travels between the webhook path, the listen hub and the CLI: the `/listen`
//! request, the publish frame (also the binary event message), the client's acks and the
//! hub's notices.

use serde::{Deserialize, Serialize};

use crate::event::EventType;
use crate::receiver::reply_fields::{
    read_by_serde, required_int, required_text, JsonObject, ReplyFields,
};
use crate::receiver::{AdminToken, Reply};

/// The WebSocket endpoint's path.
pub const LISTEN_PATH: &str = "/listen";
/// Origin of the requests to the hub object (never fetched from the network).
pub const LISTEN_ORIGIN: &str = "https://listen";
/// The publish op's path on the hub: [`EventMeta::frame`] in, [`PublishReply`] out.
pub const PUBLISH_OP: &str = "/publish";
/// The listener name when `name` is absent.
pub const DEFAULT_LISTENER_NAME: &str = "default";
/// Longest listener name.
pub const MAX_NAME_CHARS: usize = 64;
/// Most ids in one ack message.
pub const MAX_ACKS_PER_MESSAGE: usize = 1000;
/// Close code of a connection replaced by a newer one under the same name.
pub const CLOSE_REPLACED: u16 = 4001;
/// Close code of a connection that sent a malformed message (nothing is lost: its
/// unacknowledged events are sent again on the next connection).
pub const CLOSE_MALFORMED: u16 = 4002;

/// A listener's `/listen` query, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenQuery {
    /// `name`: the listener (default [`DEFAULT_LISTENER_NAME`]).
    pub name: String,
    /// `types`: the event types it wants, `None` for all.
    pub types: Option<Vec<String>>,
}

impl ListenQuery {
    /// Parses a query string (without `?`): 400 `INVALID_QUERY` for a bad name, an unknown
    /// parameter, a repeated one, or an unknown event type (named in the message).
    ///
    /// ```
    /// use digivault_webhooks::receiver::listen::ListenQuery;
    /// let query = ListenQuery::parse("name=laptop&types=contact.created,group.created").unwrap();
    /// assert_eq!(query.name, "laptop");
    /// assert_eq!(query.types_column().as_deref(), Some("contact.created,group.created"));
    /// let err = ListenQuery::parse("types=contact.made").unwrap_err();
    /// assert!(err.body().contains("contact.made"));
    /// ```
    pub fn parse(query: &str) -> Result<Self, Reply> {
        let mut name = None;
        let mut types = None;
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match key.as_ref() {
                "name" => &mut name,
                "types" => &mut types,
                other => {
                    return Err(Reply::invalid_query(&format!(
                        "unknown parameter `{}` (use name and types)",
                        truncate(other)
                    )))
                }
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(Reply::invalid_query(&format!("`{key}` is given twice")));
            }
        }
        let name = name.unwrap_or_else(|| DEFAULT_LISTENER_NAME.to_owned());
        let valid_name = !name.is_empty()
            && name.chars().count() <= MAX_NAME_CHARS
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid_name {
            return Err(Reply::invalid_query(&format!(
                "name must be 1 to {MAX_NAME_CHARS} characters of A-Z a-z 0-9 - _ ."
            )));
        }
        let types = types.map(|list| parse_types(&list)).transpose()?;
        Ok(Self { name, types })
    }

    /// The filter as stored by the hub: the types joined by commas, `None` for all.
    pub fn types_column(&self) -> Option<String> {
        self.types.as_ref().map(|types| types.join(","))
    }
}

impl ListenQuery {
    /// Whether an event of `event_type` passes a stored filter (`None`: every type).
    ///
    /// ```
    /// use digivault_webhooks::receiver::listen::ListenQuery;
    /// assert!(ListenQuery::matches(None, "contact.created"));
    /// assert!(ListenQuery::matches(Some("group.created,contact.created"), "contact.created"));
    /// assert!(!ListenQuery::matches(Some("group.created"), "contact.created"));
    /// ```
    pub fn matches(types_column: Option<&str>, event_type: &str) -> bool {
        types_column.is_none_or(|types| types.split(',').any(|t| t == event_type))
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(MAX_NAME_CHARS).collect()
}

/// A comma-separated list of known event types, deduplicated, in the given order.
fn parse_types(list: &str) -> Result<Vec<String>, Reply> {
    let mut types: Vec<String> = Vec::new();
    for name in list.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(Reply::invalid_query(
                "types must be a comma-separated list of event types, without empty entries",
            ));
        }
        if !EventType::from_name(name).is_known() {
            return Err(Reply::invalid_query(&format!(
                "unknown event type `{}` in types (known: {})",
                truncate(name),
                EventType::ALL.map(|t| t.as_str().to_owned()).join(", ")
            )));
        }
        if !types.iter().any(|known| known == name) {
            types.push(name.to_owned());
        }
    }
    Ok(types)
}

/// The checks of a `GET /listen` before the upgrade, in order: 404 when no token is set
/// (`tokens` empty) or the hub's storage is not bound; 401 unless `authorization` is
/// `Bearer` with one of `tokens`; 400 for a bad query; 426 unless `upgrade` is
/// `websocket`. The same 401 whatever is wrong with the token. (The query before the
/// upgrade: a client whose upgrade failed learns the reason with a plain `GET`.)
pub fn listen_request(
    tokens: &[&AdminToken],
    bound: bool,
    authorization: Option<&str>,
    upgrade: Option<&str>,
    query: &str,
) -> Result<ListenQuery, Reply> {
    if tokens.is_empty() || !bound {
        return Err(Reply::not_found());
    }
    if !tokens.iter().any(|token| token.authorizes(authorization)) {
        return Err(Reply::listen_unauthorized());
    }
    let query = ListenQuery::parse(query)?;
    if !upgrade.is_some_and(|value| value.trim().eq_ignore_ascii_case("websocket")) {
        return Err(Reply::upgrade_required());
    }
    Ok(query)
}

/// What travels with an event's raw body: in the publish request to the hub, in the hub's
/// storage, and in the binary message to the listener (one JSON line, then the body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMeta {
    /// Event id.
    pub id: String,
    /// Event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the Worker received it (Unix ms).
    pub received_at: u64,
    /// The `Content-Type` as DigiVault sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The signature header's name as received.
    pub signature_header: String,
    /// Its value, unchanged.
    pub signature: String,
}

impl EventMeta {
    /// The metadata as one JSON line, then the raw body. (JSON escapes every newline
    /// inside strings, so the first `\n` ends the metadata.) Written field by field: the
    /// webhook script writes frames and never reads one, and a derived serializer would cost
    /// its size budget more than these lines.
    pub fn frame(&self, body: &[u8]) -> Vec<u8> {
        let quote = |text: &str| serde_json::to_string(text).unwrap_or_default();
        let content_type = self
            .content_type
            .as_deref()
            .map(|value| format!(r#","content_type":{}"#, quote(value)))
            .unwrap_or_default();
        let line = format!(
            r#"{{"id":{},"type":{},"received_at":{}{content_type},"signature_header":{},"signature":{}}}"#,
            quote(&self.id),
            quote(&self.event_type),
            self.received_at,
            quote(&self.signature_header),
            quote(&self.signature),
        );
        let mut framed = line.into_bytes();
        framed.push(b'\n');
        framed.extend_from_slice(body);
        framed
    }

    /// Splits a frame back into metadata and raw body; `None` when it is not one.
    ///
    /// ```
    /// use digivault_webhooks::receiver::listen::EventMeta;
    /// let meta = EventMeta { id: "evt\n1".into(), event_type: "contact.created".into(), received_at: 5, content_type: None, signature_header: "X-DigiVault-Signature".into(), signature: "ab".into() };
    /// let framed = meta.frame(b"{\n}");
    /// assert_eq!(EventMeta::unframe(&framed), Some((meta, &b"{\n}"[..])));
    /// assert_eq!(EventMeta::unframe(b"no newline"), None);
    /// ```
    pub fn unframe(framed: &[u8]) -> Option<(Self, &[u8])> {
        let end = memchr::memchr(b'\n', framed)?;
        let meta = serde_json::from_slice(&framed[..end]).ok()?;
        Some((meta, &framed[end + 1..]))
    }
}

/// The ops script's status for a publish the hub stored (or had stored before): the
/// webhook script reads only the status, never a body.
pub const PUBLISH_STORED_STATUS: u16 = 200;
/// The ops script's status for a publish nobody is registered for (nothing stored).
pub const PUBLISH_NO_LISTENER_STATUS: u16 = 204;

impl PublishReply {
    /// The status the ops script answers the webhook script with.
    pub fn status(self) -> u16 {
        match self {
            Self::Queued { listeners: 0 } => PUBLISH_NO_LISTENER_STATUS,
            _ => PUBLISH_STORED_STATUS,
        }
    }
}

/// The hub's answer to a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case", try_from = "JsonObject")]
pub enum PublishReply {
    /// Stored for `listeners` registered names (0: none registered, nothing stored).
    Queued {
        /// How many names it was queued for.
        listeners: u64,
    },
    /// Queued before (a second claim winner of the same id): not repeated.
    Duplicate,
}

read_by_serde!(PublishReply);

impl PublishReply {
    /// The reply from its members, as serialized (`result`, and `listeners` when queued).
    pub fn read(fields: &impl ReplyFields) -> Result<Self, String> {
        Ok(match required_text(fields, "result")?.as_str() {
            "queued" => Self::Queued {
                listeners: u64::try_from(required_int(fields, "listeners")?)
                    .map_err(|_| "negative `listeners`".to_owned())?,
            },
            "duplicate" => Self::Duplicate,
            other => return Err(format!("unknown result `{other}`")),
        })
    }
}

/// A message from the listener (text): `{"ack":["evt_1","evt_2"]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    /// These events reached the local server (2xx): they leave the backlog.
    Ack(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AckMessage {
    ack: Vec<String>,
}

impl ClientMessage {
    /// Parses a text message; the error is the close reason (short, under 123 bytes).
    ///
    /// ```
    /// use digivault_webhooks::receiver::listen::ClientMessage;
    /// assert_eq!(ClientMessage::parse(r#"{"ack":["a"]}"#), Ok(ClientMessage::Ack(vec!["a".into()])));
    /// assert!(ClientMessage::parse("hello").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let message: AckMessage = serde_json::from_str(text)
            .map_err(|_| "malformed message: expected {\"ack\":[ids]}")?;
        if message.ack.is_empty() || message.ack.len() > MAX_ACKS_PER_MESSAGE {
            return Err("malformed message: an ack carries 1 to 1000 ids");
        }
        Ok(Self::Ack(message.ack))
    }
}

/// The first message on a connection (text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Always `hello`.
    pub kind: String,
    /// The listener's name.
    pub name: String,
    /// Its filter (`None`: every type).
    pub types: Option<Vec<String>>,
    /// Events waiting for it (sent next, oldest first).
    pub backlog: u64,
    /// Events dropped from its backlog (over `LISTEN_MAX_BACKLOG`) since it last heard so.
    pub dropped: u64,
    /// `LISTEN_RETENTION_SECONDS`.
    pub retention_seconds: u64,
    /// `LISTEN_MAX_BACKLOG`.
    pub max_backlog: u64,
}

impl Hello {
    /// The hello of a connection.
    pub fn new(query: &ListenQuery, backlog: u64, dropped: u64, retention: u64, max: u64) -> Self {
        Self {
            kind: "hello".to_owned(),
            name: query.name.clone(),
            types: query.types.clone(),
            backlog,
            dropped,
            retention_seconds: retention,
            max_backlog: max,
        }
    }
}

/// A notice while connected (text): events dropped because the listener did not keep up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerNotice {
    /// Always `dropped`.
    pub kind: String,
    /// How many of its oldest unacknowledged events were dropped.
    pub dropped: u64,
}

impl ServerNotice {
    /// A `dropped` notice.
    pub fn dropped(count: u64) -> Self {
        Self {
            kind: "dropped".to_owned(),
            dropped: count,
        }
    }
}
