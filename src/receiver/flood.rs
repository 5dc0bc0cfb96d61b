//! The flood guard: client addresses that failed too often, refused before any work.
//!
//! Only failures count (a bad or missing signature; later, failed admin logins): the
//! rate limiting binding is asked once per failure, and when it answers "over the limit"
//! the address is remembered here, in the isolate, and refused until the block ends,
//! before its body is read. A verified delivery is never counted, so DigiVault's own
//! traffic, however heavy, is never throttled.

use std::collections::HashMap;

use super::Reply;

/// How long an address over the limit is refused: the longest period the Workers rate
/// limiting binding supports (60 s), so a block never ends before the binding's window.
pub const FLOOD_BLOCK_SECONDS: u64 = 60;

/// How many blocked addresses an isolate remembers (expired ones are dropped first, then
/// the one whose block ends soonest).
const MAX_BLOCKED: usize = 4096;

/// The addresses this isolate refuses, each until a time in milliseconds.
///
/// ```
/// use digivault_webhooks::receiver::FloodGuard;
/// let mut guard = FloodGuard::default();
/// assert!(guard.check("203.0.113.7", 0).is_ok());
/// guard.block("203.0.113.7", 0);
/// let reply = guard.check("203.0.113.7", 1_500).unwrap_err();
/// assert_eq!((reply.status, reply.retry_after), (429, Some(59)));
/// assert!(guard.check("198.51.100.2", 1_500).is_ok());
/// assert!(guard.check("203.0.113.7", 60_000).is_ok());
/// ```
#[derive(Debug, Clone, Default)]
pub struct FloodGuard {
    blocked: HashMap<String, u64>,
}

impl FloodGuard {
    /// A 429 (with the seconds left as `Retry-After`) while `client` is blocked.
    pub fn check(&mut self, client: &str, now_ms: u64) -> Result<(), Reply> {
        let Some(&until) = self.blocked.get(client) else {
            return Ok(());
        };
        if now_ms >= until {
            self.blocked.remove(client);
            return Ok(());
        }
        Err(Reply::rate_limited((until - now_ms).div_ceil(1000)))
    }

    /// Refuses `client` for [`FLOOD_BLOCK_SECONDS`] from `now_ms`.
    pub fn block(&mut self, client: &str, now_ms: u64) {
        if self.blocked.len() >= MAX_BLOCKED && !self.blocked.contains_key(client) {
            self.blocked.retain(|_, until| *until > now_ms);
            if self.blocked.len() >= MAX_BLOCKED {
                let soonest = self
                    .blocked
                    .iter()
                    .min_by_key(|(_, until)| **until)
                    .map(|(address, _)| address.clone());
                if let Some(address) = soonest {
                    self.blocked.remove(&address);
                }
            }
        }
        let until = now_ms.saturating_add(FLOOD_BLOCK_SECONDS * 1000);
        self.blocked.insert(client.to_owned(), until);
    }

    /// How many addresses are remembered (expired ones included until touched).
    pub fn len(&self) -> usize {
        self.blocked.len()
    }

    /// Whether no address is remembered.
    pub fn is_empty(&self) -> bool {
        self.blocked.is_empty()
    }
}

impl Reply {
    /// Whether this reply is a failure its sender is counted for: a missing, malformed or
    /// wrong signature (401). Nothing a verified delivery can get counts.
    pub fn counts_as_failure(&self) -> bool {
        self.status == 401
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_lasts_the_period_and_says_how_long_is_left() {
        let mut guard = FloodGuard::default();
        guard.block("a", 10_000);
        assert_eq!(guard.check("a", 10_000).unwrap_err().retry_after, Some(60));
        assert_eq!(guard.check("a", 69_001).unwrap_err().retry_after, Some(1));
        assert!(guard.check("a", 70_000).is_ok());
        assert!(
            guard.is_empty(),
            "an expired block is forgotten once checked"
        );
        assert!(guard.check("b", 10_000).is_ok());
    }

    #[test]
    fn memory_is_bounded_and_the_newest_blocks_stay() {
        let mut guard = FloodGuard::default();
        for i in 0..MAX_BLOCKED as u64 {
            guard.block(&format!("10.0.{}.{}", i / 256, i % 256), i);
        }
        assert_eq!(guard.len(), MAX_BLOCKED);
        // Full of live blocks: the one ending soonest (the first) makes room.
        guard.block("new", MAX_BLOCKED as u64);
        assert_eq!(guard.len(), MAX_BLOCKED);
        assert!(guard.check("new", MAX_BLOCKED as u64).is_err());
        assert!(guard.check("10.0.0.0", MAX_BLOCKED as u64).is_ok());
        assert!(guard.check("10.0.0.1", MAX_BLOCKED as u64).is_err());
        // Once they have expired, the next block clears them all.
        guard.block("later", 10_000_000);
        assert_eq!(guard.len(), 1);
    }

    #[test]
    fn only_signature_failures_count() {
        use crate::error::Error;
        for err in [
            Error::MissingSignature,
            Error::InvalidSignature,
            Error::MalformedSignature(crate::error::SignatureFormat::NotHex),
        ] {
            assert!(Reply::from_error(&err, 10).counts_as_failure());
        }
        let not_counted = [
            Reply::status(super::super::Outcome::Forwarded),
            Reply::status(super::super::Outcome::Duplicate),
            Reply::in_flight(5),
            Reply::origin_error(500),
            Reply::origin_unreachable(),
            Reply::too_large(10),
            Reply::from_error(
                &Error::InvalidJson {
                    message: String::new(),
                },
                10,
            ),
            Reply::not_found(),
        ];
        for reply in not_counted {
            assert!(!reply.counts_as_failure(), "{reply:?}");
        }
    }
}
