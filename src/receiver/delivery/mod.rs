//! Durable delivery (`DELIVERY_MODE = durable`) and the admin API, as pure logic: the
//! settings, the retry policy, the state machine of a stored event, the admin API's
//! requests and the merge of the ledger shards' listings. The ledger object
//! (`src/worker/`) stores the rows and runs these decisions from its alarm.

mod admin;
mod listing;
mod protocol;
mod retry;
mod settings;
mod state;
mod timeline;

pub use admin::{
    admin_request, failure_not_found, query_of, AdminRequest, AdminToken, ListQuery, ADMIN_PREFIX,
    DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, REPLAY_BATCH_PER_SHARD,
};
pub use listing::{merge_pages, ListCursor, ListItem, ListPage, Stats};
pub(crate) use protocol::{frame, unframe};
pub use protocol::{
    op, AttemptView, EventQuery, EventView, ListReply, ListRequest, ReplayDeadReply,
    ReplayDeadRequest, ReplayReply, StatsReply, StoreMeta, StoreReply,
};
pub use retry::{
    is_client_error, parse_retry_after, NextAttempt, RetryPolicy, CLIENT_ERROR_RETRIES,
    DEFAULT_RETRY_SCHEDULE, JITTER_PERCENT,
};
pub use settings::{
    DeliveryMode, DeliverySettings, DEFAULT_DEAD_LETTER_TTL_SECONDS,
    DEFAULT_MAX_DELIVERIES_IN_FLIGHT, MAX_DURABLE_BODY_BYTES, MIN_ADMIN_TOKEN_CHARS,
};
pub use state::{Delivery, DeliveryState, Refused, Retention, NEVER_MS};
pub use timeline::{attempt_error, AttemptLog, LOST_ATTEMPT};

#[cfg(test)]
mod tests;
