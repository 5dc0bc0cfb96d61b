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

/// How many recently forwarded ids an isolate remembers (oldest forgotten first).
const LOCAL_DONE_CAPACITY: usize = 4096;

/// What one isolate knows without asking KV: the ids it is forwarding right now (claims)
/// and the ids it forwarded recently.
///
/// This makes deduplication exact among the requests one isolate serves, where KV (no
/// compare-and-set, eventually consistent) cannot: checks and claims happen without an
/// `await` in between, and a success is remembered here before the claim is released.
/// Times are milliseconds supplied by the caller.
///
/// ```
/// use digivault_webhooks::receiver::{LocalDedup, Seen};
/// let mut local = LocalDedup::new(3600);
/// let token = local.claim("done:evt_1", 0).unwrap();
/// assert_eq!(local.claim("done:evt_1", 10), Err(Seen::InFlight));
/// local.mark_done("done:evt_1", 20);
/// local.release("done:evt_1", token);
/// assert_eq!(local.check("done:evt_1", 30), Some(Seen::Done));
/// ```
#[derive(Debug, Clone)]
pub struct LocalDedup {
    claims: std::collections::HashMap<String, (u64, u64)>,
    done: std::collections::HashMap<String, u64>,
    order: std::collections::VecDeque<String>,
    next_token: u64,
    done_ttl_ms: u64,
}

impl LocalDedup {
    /// Remembers forwarded ids for `done_ttl_seconds` at most (the KV marker's lifetime).
    pub fn new(done_ttl_seconds: u64) -> Self {
        Self {
            claims: Default::default(),
            done: Default::default(),
            order: Default::default(),
            next_token: 0,
            done_ttl_ms: done_ttl_seconds.saturating_mul(1000),
        }
    }

    /// `Some(Done)` when forwarded recently, `Some(InFlight)` while claimed, else `None`.
    ///
    /// A claim older than [`LEASE_TTL_SECONDS`] is ignored: its request was cancelled
    /// before it could release it.
    pub fn check(&self, key: &str, now_ms: u64) -> Option<Seen> {
        match self.done.get(key) {
            Some(at) if now_ms.saturating_sub(*at) < self.done_ttl_ms => return Some(Seen::Done),
            _ => {}
        }
        match self.claims.get(key) {
            Some((since, _)) if now_ms.saturating_sub(*since) < LEASE_TTL_SECONDS * 1000 => {
                Some(Seen::InFlight)
            }
            _ => None,
        }
    }

    /// Claims `key` for forwarding, or says why not. The token releases it.
    pub fn claim(&mut self, key: &str, now_ms: u64) -> Result<u64, Seen> {
        if let Some(seen) = self.check(key, now_ms) {
            return Err(seen);
        }
        self.next_token = self.next_token.wrapping_add(1);
        self.claims
            .insert(key.to_owned(), (now_ms, self.next_token));
        Ok(self.next_token)
    }

    /// Releases a claim, unless it was taken over since (stale) by another one.
    pub fn release(&mut self, key: &str, token: u64) {
        if self.claims.get(key).is_some_and(|(_, held)| *held == token) {
            self.claims.remove(key);
        }
    }

    /// Remembers that `key` was forwarded, forgetting the oldest beyond 4096 ids.
    pub fn mark_done(&mut self, key: &str, now_ms: u64) {
        if self.done.insert(key.to_owned(), now_ms).is_none() {
            self.order.push_back(key.to_owned());
        }
        while self.order.len() > LOCAL_DONE_CAPACITY {
            if let Some(oldest) = self.order.pop_front() {
                self.done.remove(&oldest);
            }
        }
    }
}
