//! Deduplication by event id: KV keys and the decision from what KV holds.

use sha2::{Digest, Sha256};

/// Lifetime of the in-flight lease in KV: the Workers KV minimum `expirationTtl`.
///
/// It outlives the longest forward ([`MAX_FORWARD_TIMEOUT_MS`](super::MAX_FORWARD_TIMEOUT_MS)),
/// so a lease only expires on its own when a Worker died mid-delivery.
pub const LEASE_TTL_SECONDS: u64 = super::MIN_KV_TTL_SECONDS;

/// Longest event id used verbatim in a key; longer or unusual ids are hashed.
const MAX_VERBATIM_ID: usize = 200;

/// The two KV keys of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupKeys {
    /// Present once the origin accepted the event: `done:<id>`.
    pub done: String,
    /// Present while a delivery is being forwarded: `lease:<id>`.
    pub lease: String,
}

/// The KV keys for an event id.
///
/// Ids of at most 200 printable ASCII characters (DigiVault's look like
/// `webhook_1234567890`) are used verbatim, so an operator can look one up with
/// `wrangler kv key get`; any other id is replaced by `sha256:` and its hex SHA-256, which
/// keeps keys under KV's 512-byte limit and free of control characters.
///
/// ```
/// use digivault_webhooks::receiver::dedup_keys;
/// assert_eq!(dedup_keys("webhook_1").done, "done:webhook_1");
/// assert_eq!(dedup_keys("webhook_1").lease, "lease:webhook_1");
/// assert!(dedup_keys("line\nbreak").done.starts_with("done:sha256:"));
/// ```
pub fn dedup_keys(event_id: &str) -> DedupKeys {
    let verbatim = event_id.len() <= MAX_VERBATIM_ID
        && !event_id.starts_with("sha256:")
        && event_id.bytes().all(|b| b.is_ascii_graphic());
    let id = if verbatim {
        event_id.to_owned()
    } else {
        format!(
            "sha256:{}",
            hex::encode(Sha256::digest(event_id.as_bytes()))
        )
    };
    DedupKeys {
        done: format!("done:{id}"),
        lease: format!("lease:{id}"),
    }
}

/// What KV (and the isolate's own in-flight set) said about an event id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DedupState {
    /// The `done` marker exists.
    pub done: bool,
    /// The lease exists, or this isolate is forwarding the id right now.
    pub in_flight: bool,
    /// KV could not be read: the answer is unknown.
    pub read_failed: bool,
}

/// The decision for a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Already forwarded: answer 200 duplicate, do not forward.
    Done,
    /// Another delivery is forwarding it: answer a retryable 409.
    InFlight,
    /// Forward it (also when KV could not be read: at least once beats losing the event).
    Forward,
}

impl DedupState {
    /// Done beats in flight (a finished delivery leaves its lease to expire), and an
    /// unreadable KV means forward.
    pub fn decide(self) -> Seen {
        if self.done {
            Seen::Done
        } else if self.in_flight {
            Seen::InFlight
        } else {
            Seen::Forward
        }
    }
}
