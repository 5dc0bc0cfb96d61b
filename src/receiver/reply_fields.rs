//! Reading the objects' flat replies member by member, the same mapping whoever parses the
//! JSON: serde natively and in the ops script, JavaScript's `JSON.parse` in the webhook
//! script (`src/worker/ledger_client.rs`). serde_json's typed reading links its error paths
//! and, through them, Rust's float formatting: 14 KB of gzip in the webhook script for the
//! two replies it reads (docs/performance.md, "Sizes").

/// The members of one flat JSON object, by name.
pub trait ReplyFields {
    /// A string member; `None` when it is absent or not a string.
    fn text(&self, name: &str) -> Option<String>;
    /// An integer member; `None` when it is absent or not an integer.
    fn int(&self, name: &str) -> Option<i64>;
}

/// A required string member, or the error naming it.
pub(crate) fn required_text(fields: &impl ReplyFields, name: &str) -> Result<String, String> {
    fields
        .text(name)
        .ok_or_else(|| format!("missing field `{name}`"))
}

/// A required integer member, or the error naming it.
pub(crate) fn required_int(fields: &impl ReplyFields, name: &str) -> Result<i64, String> {
    fields
        .int(name)
        .ok_or_else(|| format!("missing field `{name}`"))
}
