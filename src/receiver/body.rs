//! Reading a request body under a size limit, chunk by chunk.

use super::Reply;

/// Counts body chunks as they arrive and refuses to go past the limit, so an oversized
/// body without a usable `Content-Length` is cut off early instead of buffered whole.
///
/// It counts only: the Worker keeps the chunks on the JavaScript side and copies the
/// whole body into wasm once, after the last one.
///
/// ```
/// use digivault_webhooks::receiver::BodyLimit;
/// let mut body = BodyLimit::new(4);
/// assert!(body.add(3).is_ok());
/// assert_eq!(body.add(2).unwrap_err().status, 413);
/// assert_eq!(body.received(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct BodyLimit {
    limit: usize,
    received: usize,
}

impl BodyLimit {
    /// Nothing received yet, at most `limit` bytes accepted.
    pub fn new(limit: usize) -> Self {
        Self { limit, received: 0 }
    }

    /// Counts a chunk of `len` bytes; a 413 reply once the total would exceed the limit
    /// (the chunk is then not counted).
    pub fn add(&mut self, len: usize) -> Result<(), Reply> {
        if len > self.limit - self.received {
            return Err(Reply::too_large(self.limit));
        }
        self.received += len;
        Ok(())
    }

    /// The bytes accepted so far.
    pub fn received(&self) -> usize {
        self.received
    }
}
