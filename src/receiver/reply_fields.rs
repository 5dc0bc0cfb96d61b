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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::ReplyFields;
    use crate::receiver::ledger::ClaimReply;
    use crate::receiver::StoreReply;

    /// Members as the webhook script's `JSON.parse` reader gives them (strings and integers).
    struct Members(HashMap<&'static str, serde_json::Value>);

    impl ReplyFields for Members {
        fn text(&self, name: &str) -> Option<String> {
            self.0.get(name)?.as_str().map(str::to_owned)
        }

        fn int(&self, name: &str) -> Option<i64> {
            self.0.get(name)?.as_i64()
        }
    }

    /// Both readers of `json`: serde's, and member by member.
    fn both<T: serde::de::DeserializeOwned>(
        json: &str,
        read: fn(&Members) -> Result<T, String>,
    ) -> (Result<T, String>, Result<T, String>) {
        let value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json).unwrap();
        let members = Members(
            value
                .into_iter()
                .map(|(name, value)| (&*String::leak(name), value))
                .collect(),
        );
        (
            serde_json::from_str(json).map_err(|err| err.to_string()),
            read(&members),
        )
    }

    #[test]
    fn claim_replies_read_the_same_either_way() {
        for (json, expected) in [
            (
                r#"{"outcome":"claimed","token":1700000000123}"#,
                ClaimReply::Claimed {
                    token: 1_700_000_000_123,
                },
            ),
            (r#"{"outcome":"done"}"#, ClaimReply::Done),
            (
                r#"{"outcome":"in_flight","lease_until":5}"#,
                ClaimReply::InFlight { lease_until: 5 },
            ),
            (
                r#"{"outcome":"conflict","stored_sha256":"ab"}"#,
                ClaimReply::Conflict {
                    stored_sha256: "ab".into(),
                },
            ),
        ] {
            let (serde, members) = both(json, ClaimReply::read);
            assert_eq!(serde.as_ref(), Ok(&expected), "{json}");
            assert_eq!(members, Ok(expected.clone()), "{json}");
            // And what the object writes reads back.
            assert_eq!(
                serde_json::from_str::<ClaimReply>(&serde_json::to_string(&expected).unwrap())
                    .unwrap(),
                expected
            );
        }
    }

    #[test]
    fn unreadable_replies_are_errors_naming_the_member() {
        for (json, error) in [
            (r#"{"outcome":"claimed"}"#, "missing field `token`"),
            (
                r#"{"outcome":"claimed","token":"12"}"#,
                "missing field `token`",
            ),
            (r#"{"outcome":"in_flight"}"#, "missing field `lease_until`"),
            (r#"{"outcome":"conflict"}"#, "missing field `stored_sha256`"),
            (r#"{"outcome":"later"}"#, "unknown outcome `later`"),
            (r#"{"token":1}"#, "missing field `outcome`"),
        ] {
            let (_, members) = both(json, ClaimReply::read);
            assert_eq!(members, Err(error.to_owned()), "{json}");
            assert!(serde_json::from_str::<ClaimReply>(json).is_err(), "{json}");
        }
        let (serde, members) = both(r#"{"result":"conflict"}"#, StoreReply::read);
        assert!(serde.is_err());
        assert_eq!(members, Err("missing field `stored_sha256`".to_owned()));
        for (json, expected) in [
            (r#"{"result":"stored"}"#, StoreReply::Stored),
            (r#"{"result":"duplicate"}"#, StoreReply::Duplicate),
            (r#"{"result":"in_flight"}"#, StoreReply::InFlight),
            (
                r#"{"result":"conflict","stored_sha256":"cd"}"#,
                StoreReply::Conflict {
                    stored_sha256: "cd".into(),
                },
            ),
        ] {
            let (serde, members) = both(json, StoreReply::read);
            assert_eq!(serde, Ok(expected.clone()), "{json}");
            assert_eq!(members, Ok(expected), "{json}");
        }
    }
}
