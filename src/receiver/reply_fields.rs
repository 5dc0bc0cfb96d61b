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

/// A flat reply as serde reads it (natively, and in the ops script): `#[serde(try_from =
/// "JsonObject")]` on the reply types, so both readers share their `read`.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

impl ReplyFields for JsonObject {
    fn text(&self, name: &str) -> Option<String> {
        self.get(name)?.as_str().map(str::to_owned)
    }

    fn int(&self, name: &str) -> Option<i64> {
        self.get(name)?.as_i64()
    }
}

/// `TryFrom<JsonObject>` for reply types with a `read(&impl ReplyFields)`: what their
/// `#[serde(try_from = "JsonObject")]` calls.
macro_rules! read_by_serde {
    ($($reply:ty),* $(,)?) => {$(
        impl TryFrom<$crate::receiver::reply_fields::JsonObject> for $reply {
            type Error = String;

            fn try_from(
                object: $crate::receiver::reply_fields::JsonObject,
            ) -> Result<Self, Self::Error> {
                Self::read(&object)
            }
        }
    )*};
}
pub(crate) use read_by_serde;

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

#[cfg(test)]
mod tests {
    use super::{JsonObject, ReplyFields};
    use crate::receiver::ledger::ClaimReply;
    use crate::receiver::StoreReply;

    /// `json` read as serde does it, and member by member from its object.
    fn both<T: serde::de::DeserializeOwned>(
        json: &str,
        read: fn(&JsonObject) -> Result<T, String>,
    ) -> (Result<T, String>, Result<T, String>) {
        let object: JsonObject = serde_json::from_str(json).unwrap();
        (
            serde_json::from_str(json).map_err(|err| err.to_string()),
            read(&object),
        )
    }

    #[test]
    fn unreadable_replies_are_errors_naming_the_member() {
        for (json, error) in [
            (r#"{"outcome":"claimed"}"#, "missing field `token`"),
            (
                r#"{"outcome":"claimed","token":"12"}"#,
                "missing field `token`",
            ),
            (
                r#"{"outcome":"claimed","token":1.5}"#,
                "missing field `token`",
            ),
            (r#"{"outcome":"in_flight"}"#, "missing field `lease_until`"),
            (r#"{"outcome":"conflict"}"#, "missing field `stored_sha256`"),
            (r#"{"outcome":"later"}"#, "unknown outcome `later`"),
            (r#"{"token":1}"#, "missing field `outcome`"),
        ] {
            let (serde, members) = both(json, ClaimReply::read);
            assert_eq!(members, Err(error.to_owned()), "{json}");
            assert!(serde.is_err_and(|err| err.contains(error)), "{json}");
        }
        let (serde, members) = both(r#"{"result":"conflict"}"#, StoreReply::read);
        assert!(serde.is_err());
        assert_eq!(members, Err("missing field `stored_sha256`".to_owned()));
        let object: JsonObject = serde_json::from_str(r#"{"result":7}"#).unwrap();
        assert_eq!(object.text("result"), None);
    }
}
