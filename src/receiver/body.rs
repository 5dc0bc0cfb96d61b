//! Reading a request body under a size limit, chunk by chunk.

use super::Reply;

/// Accumulates body chunks and refuses to grow past the limit, so an oversized body
/// without (or with a lying) `Content-Length` is cut off early instead of buffered whole.
///
/// ```
/// use digivault_webhooks::receiver::BodyLimit;
/// let mut body = BodyLimit::new(4);
/// assert!(body.push(b"abc").is_ok());
/// assert_eq!(body.push(b"de").unwrap_err().status, 413);
/// ```
#[derive(Debug, Clone)]
pub struct BodyLimit {
    limit: usize,
    bytes: Vec<u8>,
}

impl BodyLimit {
    /// An empty body accepting at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            bytes: Vec::new(),
        }
    }

    /// Appends a chunk; a 413 reply once the total exceeds the limit.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), Reply> {
        if chunk.len() > self.limit - self.bytes.len() {
            return Err(Reply::too_large(self.limit));
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    /// The bytes received so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}
