//! The Worker -> ledger object protocol, written once for both sides: `POST
//! https://ledger/<op>` with a JSON request body, answered with a JSON reply (200), or a
//! 400 for a request the object cannot read.

use serde::{Deserialize, Serialize};

use super::state::LedgerRow;
use crate::receiver::reply_fields::{
    read_by_serde, required_int, required_text, JsonObject, ReplyFields,
};

/// Scheme and host of the requests to the object (the host is never resolved: the stub
/// routes the request).
pub const LEDGER_ORIGIN: &str = "https://ledger";

/// Claims an id for forwarding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRequest {
    /// The event id.
    pub id: String,
    /// Lowercase hex SHA-256 of the body.
    pub body_sha256: String,
    /// How long the claim holds, from the object's clock.
    pub lease_ms: u64,
    /// How long the row is kept (also how long a done id stays done).
    pub done_ttl_ms: u64,
    /// The event's type, recorded with the row for the admin API's listing (`type=`); absent
    /// from a caller that does not send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
}

/// The object's answer to a [`ClaimRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", try_from = "JsonObject")]
pub enum ClaimReply {
    /// This delivery holds the claim and forwards; `token` identifies the claim in the
    /// `done` or `release` that follows.
    Claimed {
        /// The claim's lease end (Unix ms), unique among the id's successive claims.
        token: i64,
    },
    /// The id was forwarded already, with the same body.
    Done,
    /// Another delivery holds a live claim on the id, with the same body.
    InFlight {
        /// When that claim ends at the latest (Unix ms).
        lease_until: i64,
    },
    /// The id is known with a different body.
    Conflict {
        /// The SHA-256 stored with the id.
        stored_sha256: String,
    },
}

read_by_serde!(ClaimReply);

impl ClaimReply {
    /// The reply from its members, as serialized (`outcome` and the outcome's field).
    pub fn read(fields: &impl ReplyFields) -> Result<Self, String> {
        Ok(match required_text(fields, "outcome")?.as_str() {
            "claimed" => Self::Claimed {
                token: required_int(fields, "token")?,
            },
            "done" => Self::Done,
            "in_flight" => Self::InFlight {
                lease_until: required_int(fields, "lease_until")?,
            },
            "conflict" => Self::Conflict {
                stored_sha256: required_text(fields, "stored_sha256")?,
            },
            other => return Err(format!("unknown outcome `{other}`")),
        })
    }
}

/// Marks a claimed id done after the origin's 2xx.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoneRequest {
    /// The event id.
    pub id: String,
    /// Lowercase hex SHA-256 of the body forwarded.
    pub body_sha256: String,
    /// How long the id stays done.
    pub done_ttl_ms: u64,
}

/// Gives a claim up after a failed forward, so that DigiVault's retry may claim again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRequest {
    /// The event id.
    pub id: String,
    /// The token of the claim being released: a claim taken over since is left alone.
    pub token: i64,
}

/// Reads what the object holds for an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupRequest {
    /// The event id.
    pub id: String,
}

/// The object's answer to a [`LookupRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupReply {
    /// The stored row, also when it expired but the alarm has not deleted it yet.
    pub row: Option<LedgerRow>,
    /// Whether the row still counts (a live claim, or done within its TTL).
    pub live: bool,
}

/// A request as the object receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LedgerRequest {
    /// `POST /claim`.
    Claim(ClaimRequest),
    /// `POST /done`.
    Done(DoneRequest),
    /// `POST /release`.
    Release(ReleaseRequest),
    /// `POST /lookup`.
    Lookup(LookupRequest),
}

/// A request the object cannot read (answered 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError(pub String);

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RequestError {}

impl LedgerRequest {
    /// The URL the Worker posts the request to.
    ///
    /// ```
    /// use digivault_webhooks::receiver::ledger::{LedgerRequest, LookupRequest};
    /// let request = LedgerRequest::Lookup(LookupRequest { id: "evt_1".into() });
    /// assert_eq!(request.url(), "https://ledger/lookup");
    /// ```
    pub fn url(&self) -> String {
        format!("{LEDGER_ORIGIN}/{}", self.op())
    }

    /// The operation's name, the URL's path.
    pub fn op(&self) -> &'static str {
        match self {
            Self::Claim(_) => "claim",
            Self::Done(_) => "done",
            Self::Release(_) => "release",
            Self::Lookup(_) => "lookup",
        }
    }

    /// The request body (JSON).
    pub fn body(&self) -> String {
        let json = match self {
            Self::Claim(request) => serde_json::to_string(request),
            Self::Done(request) => serde_json::to_string(request),
            Self::Release(request) => serde_json::to_string(request),
            Self::Lookup(request) => serde_json::to_string(request),
        };
        json.unwrap_or_default()
    }

    /// Whether `path` names one of these operations (what [`LedgerRequest::parse`] reads):
    /// the object answers them before looking at any other (durable mode's, the admin API's).
    ///
    /// ```
    /// use digivault_webhooks::receiver::ledger::LedgerRequest;
    /// assert!(LedgerRequest::is_op("/claim"));
    /// assert!(!LedgerRequest::is_op("/store"));
    /// ```
    pub fn is_op(path: &str) -> bool {
        matches!(
            path.trim_start_matches('/'),
            "claim" | "done" | "release" | "lookup"
        )
    }

    /// Reads a request from its URL path (`/claim`...) and JSON body; checks the hashes'
    /// form so that nothing malformed reaches storage.
    ///
    /// ```
    /// use digivault_webhooks::receiver::ledger::LedgerRequest;
    /// let request = LedgerRequest::parse("/lookup", br#"{"id":"evt_1"}"#).unwrap();
    /// assert_eq!(request.op(), "lookup");
    /// assert!(LedgerRequest::parse("/drop", b"{}").is_err());
    /// ```
    pub fn parse(path: &str, body: &[u8]) -> Result<Self, RequestError> {
        // The paths here are those of `is_op`.
        fn json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, RequestError> {
            serde_json::from_slice(body).map_err(|err| RequestError(format!("bad request: {err}")))
        }
        let request = match path.trim_start_matches('/') {
            "claim" => Self::Claim(json(body)?),
            "done" => Self::Done(json(body)?),
            "release" => Self::Release(json(body)?),
            "lookup" => Self::Lookup(json(body)?),
            other => {
                return Err(RequestError(format!(
                    "unknown ledger operation `{}`",
                    other.chars().take(40).collect::<String>()
                )))
            }
        };
        let hash = match &request {
            Self::Claim(request) => Some(&request.body_sha256),
            Self::Done(request) => Some(&request.body_sha256),
            _ => None,
        };
        if let Some(hash) = hash {
            if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(RequestError(
                    "body_sha256 must be 64 lowercase hex digits".to_owned(),
                ));
            }
        }
        Ok(request)
    }
}

/// Serialises a reply (the object's 200 body).
pub fn reply_json<T: Serialize>(reply: &T) -> String {
    serde_json::to_string(reply).unwrap_or_default()
}
