//! The delivery ledger (`LEDGER`, a Durable Object): which event ids were forwarded, and
//! which are being forwarded right now, shared by every isolate and location.
//!
//! Everything here is pure: the routing of ids to the ledger's objects, the protocol
//! between the Worker and an object ([`protocol`]), and the state machine each object runs
//! on its rows ([`state`]). The object itself (`src/worker/ledger.rs`) reads its clock,
//! runs the SQL and applies the [`Change`] these functions decide.

mod memory;
pub mod model;
pub mod protocol;
pub mod state;

use sha2::{Digest, Sha256};

pub use memory::MemoryLedger;
pub use protocol::{
    ClaimReply, ClaimRequest, DoneRequest, LedgerRequest, LookupReply, LookupRequest,
    ReleaseRequest, RequestError, LEDGER_ORIGIN,
};
pub use state::{
    claim, done, expire, handle, is_live, next_alarm, rearm_for, release, Change, Handled,
    LedgerRow, LedgerStore, RowState, EXPIRY_BATCH_MS,
};

/// How many objects the ledger's ids are spread over. Permanent: changing it re-routes
/// every id to another object, so forwarded ids would be forgotten. Never a setting.
///
/// Why 16: Cloudflare documents a soft limit of about 1,000 requests/s per Durable
/// Object, so 16 shards carry ~16,000 requests/s (two object requests per forwarded
/// delivery), far above any DigiVault account's rate, while a listing of every event
/// visits 16 objects (one indexed query each) instead of needing an index object.
pub const LEDGER_SHARDS: u32 = 16;

/// What a claim's lease adds to `FORWARD_TIMEOUT_MS`: the time between the claim and the
/// forward's start, and the `done`/`release` round trip after it.
pub const LEASE_MARGIN_MS: u64 = 5_000;

/// DigiVault's first retry comes 60 s after a failed delivery: a lease must end before it,
/// so that the retry of a delivery whose Worker died finds the claim expired.
pub const FIRST_RETRY_MS: u64 = 60_000;

const _: () = assert!(super::MAX_FORWARD_TIMEOUT_MS + LEASE_MARGIN_MS < FIRST_RETRY_MS);

/// The shard (`0..LEDGER_SHARDS`) that owns an event id: the first 8 bytes of the id's
/// SHA-256, big-endian, modulo [`LEDGER_SHARDS`].
///
/// ```
/// use digivault_webhooks::receiver::ledger::{shard_of, LEDGER_SHARDS};
/// assert!(shard_of("webhook_1") < LEDGER_SHARDS);
/// assert_eq!(shard_of("webhook_1"), shard_of("webhook_1"));
/// ```
pub fn shard_of(event_id: &str) -> u32 {
    let digest = Sha256::digest(event_id.as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    // The remainder is below LEDGER_SHARDS, so it fits in a u32.
    (u64::from_be_bytes(head) % u64::from(LEDGER_SHARDS)) as u32
}

/// The name of the object that owns an event id (`shard-<n>`), for `idFromName`.
///
/// ```
/// use digivault_webhooks::receiver::ledger::shard_name;
/// assert!(shard_name("webhook_1").starts_with("shard-"));
/// ```
pub fn shard_name(event_id: &str) -> String {
    format!("shard-{}", shard_of(event_id))
}

/// The lowercase hex SHA-256 of a body, stored with a claim to tell a duplicate from a
/// different body reusing the id.
///
/// ```
/// use digivault_webhooks::receiver::ledger::body_sha256;
/// assert_eq!(body_sha256(b"").len(), 64);
/// ```
pub fn body_sha256(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The lease of a claim for a forward that may last `forward_timeout_ms`.
pub fn lease_ms(forward_timeout_ms: u64) -> u64 {
    forward_timeout_ms.saturating_add(LEASE_MARGIN_MS)
}

#[cfg(test)]
mod tests;
