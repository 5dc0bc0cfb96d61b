//! `digivault-webhooks listen` on the Worker's side, as pure logic: the settings
//! (`LISTEN_TOKEN`, `LISTEN_RETENTION_SECONDS`, `LISTEN_MAX_BACKLOG`), the `/listen`
//! query (name and type filter), the messages between the listen hub (a Durable Object
//! with WebSocket hibernation, `src/worker/`) and the CLI, and the hub's bookkeeping
//! decisions (who is registered, what a backlog keeps, how much is sent before an ack).
//!
//! The flow: the webhook path hands each NEW verified event (its claim or store winner) to
//! the hub with one `publish` ([`EventMeta::frame`]); the hub queues it for every registered
//! name whose filter matches, and sends it, as one binary WebSocket message (the same
//! frame), to the name's connected listener. The listener acknowledges by id once its local
//! server answered 2xx ([`ClientMessage`]); only then does the event leave the backlog.

mod backlog;
mod protocol;
mod settings;

pub use backlog::{overflow, registered, window_room, MAX_WINDOW_BYTES, MAX_WINDOW_EVENTS};
pub use protocol::{
    listen_request, ClientMessage, EventMeta, Hello, ListenQuery, PublishReply, ServerNotice,
    CLOSE_MALFORMED, CLOSE_REPLACED, DEFAULT_LISTENER_NAME, LISTEN_ORIGIN, LISTEN_PATH,
    MAX_ACKS_PER_MESSAGE, MAX_NAME_CHARS, PUBLISH_NO_LISTENER_STATUS, PUBLISH_OP,
    PUBLISH_STORED_STATUS,
};
pub use settings::{
    ListenSettings, ReceiverMode, DEFAULT_LISTEN_MAX_BACKLOG, DEFAULT_LISTEN_RETENTION_SECONDS,
    MAX_LISTEN_MAX_BACKLOG, MAX_LISTEN_RETENTION_SECONDS, PUBLISHED_IDS_TTL_SECONDS,
};

#[cfg(test)]
mod tests;
