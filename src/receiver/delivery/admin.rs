//! The admin API's requests: routing under `/admin`, the Bearer token, query parsing.

use std::borrow::Cow;
use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::listing::ListCursor;
use super::settings::MIN_ADMIN_TOKEN_CHARS;
use super::state::DeliveryState;
use crate::receiver::alerts::{AlertCursor, DEFAULT_ALERT_LIMIT, MAX_ALERT_LIMIT};
use crate::receiver::failures::{
    failure_id, FailureCursor, DEFAULT_FAILURE_LIMIT, MAX_FAILURE_LIMIT,
};
use crate::receiver::{ConfigError, Reply};

/// Every admin path starts with this.
pub const ADMIN_PREFIX: &str = "/admin";
/// Events listed per page unless `limit` says otherwise.
pub const DEFAULT_LIST_LIMIT: usize = 50;
/// Largest `limit` of a listing.
pub const MAX_LIST_LIMIT: usize = 100;
/// Dead events replayed per shard by one `POST /admin/events/replay?state=dead`.
pub const REPLAY_BATCH_PER_SHARD: usize = 25;

/// The admin token (`ADMIN_TOKEN`), kept only as an HMAC tag so that a comparison takes the
/// same time whatever the presented token's length or content.
#[derive(Clone)]
pub struct AdminToken {
    tag: Vec<u8>,
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken([redacted])")
    }
}

/// Key of the tags: not a secret (the token is); it only makes the tags fixed-length.
const TAG_KEY: &[u8] = b"digivault-webhooks admin token";

fn tagger() -> Hmac<Sha256> {
    // A fixed, non-empty key: HMAC accepts any length, so this cannot fail.
    Hmac::<Sha256>::new_from_slice(TAG_KEY).unwrap_or_else(|_| Hmac::new(&Default::default()))
}

impl AdminToken {
    /// Reads `ADMIN_TOKEN`: `None` when unset (the admin API is off), `CONFIG_ERROR` when
    /// shorter than 32 characters.
    pub fn from_var(value: Option<String>) -> Result<Option<Self>, ConfigError> {
        Self::from_named_var("ADMIN_TOKEN", value)
    }

    /// [`AdminToken::from_var`] for another bearer token setting (`LISTEN_TOKEN`): the
    /// same rules, its own name in the error.
    pub fn from_named_var(
        var: &'static str,
        value: Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let Some(value) = value.filter(|value| !value.trim().is_empty()) else {
            return Ok(None);
        };
        if value.trim().chars().count() < MIN_ADMIN_TOKEN_CHARS {
            return Err(ConfigError::invalid(
                var,
                format!(
                    "{var} must be at least {MIN_ADMIN_TOKEN_CHARS} characters \
                     (e.g. `openssl rand -hex 32`)"
                ),
            ));
        }
        let tag = tagger()
            .chain_update(value.trim().as_bytes())
            .finalize()
            .into_bytes()
            .to_vec();
        Ok(Some(Self { tag }))
    }

    /// Whether `authorization` (the header's value) is `Bearer <this token>`; the scheme is
    /// case-insensitive, the token compared in constant time (HMAC tag comparison).
    ///
    /// ```
    /// use digivault_webhooks::receiver::AdminToken;
    /// let token = AdminToken::from_var(Some("t".repeat(32))).unwrap().unwrap();
    /// assert!(token.authorizes(Some(&format!("Bearer {}", "t".repeat(32)))));
    /// assert!(token.authorizes(Some(&format!("bearer  {}", "t".repeat(32)))));
    /// assert!(!token.authorizes(Some(&format!("Basic {}", "t".repeat(32)))));
    /// assert!(!token.authorizes(Some("Bearer t")));
    /// assert!(!token.authorizes(None));
    /// ```
    pub fn authorizes(&self, authorization: Option<&str>) -> bool {
        let Some(presented) = authorization.and_then(bearer) else {
            return false;
        };
        tagger()
            .chain_update(presented.as_bytes())
            .verify_slice(&self.tag)
            .is_ok()
    }
}

/// The token of `Bearer <token>`, `None` for another scheme or an empty token.
fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// `GET /admin/events?state=...[&type=...][&id=...]`: one page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Which events (required unless `id` is given).
    pub state: Option<DeliveryState>,
    /// Only events of this type (`type=`).
    pub event_type: Option<String>,
    /// Only the event with this id (`id=`): one shard is asked.
    pub id: Option<String>,
    /// At most this many (1 to [`MAX_LIST_LIMIT`]).
    pub limit: usize,
    /// Continue after this event (newest first), from the previous page's `cursor`.
    pub after: Option<ListCursor>,
}

/// What an admin request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminRequest {
    /// `GET /admin/events/{id}[?body=1]`.
    Event {
        /// Event id (percent-decoded from the path).
        id: String,
        /// Include the raw body.
        body: bool,
    },
    /// `GET /admin/events?state=...&limit=...&cursor=...`.
    List(ListQuery),
    /// `GET /admin/stats`.
    Stats,
    /// `POST /admin/events/{id}/replay`.
    Replay {
        /// Event id.
        id: String,
    },
    /// `POST /admin/events/replay?state=dead`.
    ReplayDead,
    /// `GET /admin/failures?limit=...&cursor=...`: kept evidence, newest first.
    Failures {
        /// At most this many (1 to [`MAX_FAILURE_LIMIT`]).
        limit: usize,
        /// Continue after this record.
        after: Option<FailureCursor>,
    },
    /// `GET /admin/failures/{id}`: one record with its diagnosis.
    Failure {
        /// Record id.
        id: u64,
    },
    /// `GET /admin/alerts?limit=...&cursor=...`: alerts sent, newest first.
    Alerts {
        /// At most this many (1 to [`MAX_ALERT_LIMIT`]).
        limit: usize,
        /// Continue after this record.
        after: Option<AlertCursor>,
    },
}

/// Routes a request whose path starts with `/admin`: `path` as in the URL (percent-encoded,
/// no query), `query` without the `?`. Errors are ready replies (400 `INVALID_QUERY`, 404,
/// 405).
///
/// ```
/// use digivault_webhooks::receiver::{admin_request, AdminRequest, DeliveryState};
/// assert_eq!(
///     admin_request("GET", "/admin/events/evt%2F1", "body=1"),
///     Ok(AdminRequest::Event { id: "evt/1".into(), body: true })
/// );
/// let Ok(AdminRequest::List(query)) = admin_request("GET", "/admin/events", "state=dead&limit=10&type=contact.created") else { panic!() };
/// assert_eq!((query.state, query.limit), (Some(DeliveryState::Dead), 10));
/// assert_eq!(query.event_type.as_deref(), Some("contact.created"));
/// assert_eq!(admin_request("GET", "/admin/failures", "cursor=x").unwrap_err().code, Some("INVALID_QUERY"));
/// assert_eq!(admin_request("GET", "/admin/failures/x", "").unwrap_err().code, Some("FAILURE_NOT_FOUND"));
/// assert_eq!(admin_request("POST", "/admin/events/replay", "state=dead"), Ok(AdminRequest::ReplayDead));
/// assert_eq!(admin_request("GET", "/admin/events", "").unwrap_err().status, 400);
/// assert_eq!(admin_request("DELETE", "/admin/stats", "").unwrap_err().status, 405);
/// ```
pub fn admin_request(method: &str, path: &str, query: &str) -> Result<AdminRequest, Reply> {
    let get = method.eq_ignore_ascii_case("GET");
    let post = method.eq_ignore_ascii_case("POST");
    let segments: Vec<&str> = path
        .strip_prefix(ADMIN_PREFIX)
        .unwrap_or_default()
        .split('/')
        .skip(1)
        .collect();
    // The method is checked before anything in the path or query is read.
    let allowed = match segments.as_slice() {
        ["events", "replay"] if post => "POST",
        ["stats"] | ["events"] | ["failures"] | ["alerts"] => "GET",
        ["failures", id] if !id.is_empty() => "GET",
        ["events", id] if !id.is_empty() => "GET",
        ["events", id, "replay"] if !id.is_empty() => "POST",
        _ => return Err(Reply::not_found()),
    };
    if (allowed == "GET" && !get) || (allowed == "POST" && !post) {
        return Err(Reply::method_not_allowed(allowed));
    }
    match segments.as_slice() {
        ["stats"] => Ok(AdminRequest::Stats),
        ["events"] => Ok(AdminRequest::List(list_query(query)?)),
        ["failures"] => Ok(AdminRequest::Failures {
            limit: limit(query, DEFAULT_FAILURE_LIMIT, MAX_FAILURE_LIMIT)?,
            after: cursor(query, FailureCursor::decode)?,
        }),
        ["failures", id] => match failure_id(id) {
            Some(id) => Ok(AdminRequest::Failure { id }),
            None => Err(failure_not_found()),
        },
        ["alerts"] => Ok(AdminRequest::Alerts {
            limit: limit(query, DEFAULT_ALERT_LIMIT, MAX_ALERT_LIMIT)?,
            after: cursor(query, AlertCursor::decode)?,
        }),
        ["events", "replay"] if post => match param(query, "state")?.as_deref() {
            Some("dead") => Ok(AdminRequest::ReplayDead),
            _ => Err(Reply::invalid_query(
                "state=dead is required: only dead events are replayed in bulk",
            )),
        },
        ["events", id] => Ok(AdminRequest::Event {
            id: decode_segment(id)?,
            body: matches!(param(query, "body")?.as_deref(), Some("1" | "true")),
        }),
        [_, id, _] => Ok(AdminRequest::Replay {
            id: decode_segment(id)?,
        }),
        _ => Err(Reply::not_found()),
    }
}

/// The query of a URL, without `?` and fragment (empty when there is none).
///
/// ```
/// use digivault_webhooks::receiver::query_of;
/// assert_eq!(query_of("https://r.example/admin/events?state=dead&limit=5#x"), "state=dead&limit=5");
/// assert_eq!(query_of("https://r.example/admin/stats"), "");
/// ```
pub fn query_of(url: &str) -> &str {
    let url = url.split('#').next().unwrap_or_default();
    url.split_once('?').map_or("", |(_, query)| query)
}

fn decode_segment(segment: &str) -> Result<String, Reply> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| Reply::invalid_query("the event id in the path is not UTF-8"))
}

/// The value of `name` in the query; a repeated parameter is an error (which one counts
/// would be a guess).
fn param(query: &str, name: &str) -> Result<Option<String>, Reply> {
    let mut found = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key == name {
            if found.is_some() {
                return Err(Reply::invalid_query(&format!("`{name}` is given twice")));
            }
            found = Some(value.into_owned());
        }
    }
    Ok(found)
}

/// 404 `FAILURE_NOT_FOUND`: no kept record with this id (or it expired).
pub fn failure_not_found() -> Reply {
    Reply::admin_error(
        404,
        "FAILURE_NOT_FOUND",
        "no refused delivery kept with this id (records expire after FAILURE_TTL_SECONDS)"
            .to_owned(),
    )
}

/// `limit`: `default` when absent, otherwise 1 to `max`.
fn limit(query: &str, default: usize, max: usize) -> Result<usize, Reply> {
    match param(query, "limit")? {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=max).contains(limit))
            .ok_or_else(|| Reply::invalid_query(&format!("`limit` must be between 1 and {max}"))),
    }
}

/// `cursor`: absent or empty for the first page, otherwise one this API returned.
fn cursor<T>(query: &str, decode: impl Fn(&str) -> Option<T>) -> Result<Option<T>, Reply> {
    match param(query, "cursor")? {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) => decode(&text)
            .map(Some)
            .ok_or_else(|| Reply::invalid_query("`cursor` is not one this API returned")),
    }
}

fn list_query(query: &str) -> Result<ListQuery, Reply> {
    let id = param(query, "id")?.filter(|id| !id.is_empty());
    let state =
        match param(query, "state")? {
            None if id.is_some() => None,
            None => return Err(Reply::invalid_query(
                "`state` is required (pending, delivering, delivered or dead) unless `id` is given",
            )),
            Some(text) => Some(DeliveryState::from_stored(&text).ok_or_else(|| {
                Reply::invalid_query("`state` must be pending, delivering, delivered or dead")
            })?),
        };
    let event_type = param(query, "type")?.filter(|name| !name.is_empty());
    Ok(ListQuery {
        state,
        event_type,
        id,
        limit: limit(query, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT)?,
        after: cursor(query, ListCursor::decode)?,
    })
}
