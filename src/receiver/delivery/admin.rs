//! The admin API's requests: routing under `/admin`, the Bearer token, query parsing.

use std::borrow::Cow;
use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::listing::ListCursor;
use super::settings::MIN_ADMIN_TOKEN_CHARS;
use super::state::DeliveryState;
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

/// `GET /admin/events?state=...`: one page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Which events.
    pub state: DeliveryState,
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
/// let Ok(AdminRequest::List(query)) = admin_request("GET", "/admin/events", "state=dead&limit=10") else { panic!() };
/// assert_eq!((query.state, query.limit), (DeliveryState::Dead, 10));
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
        ["stats"] | ["events"] => "GET",
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

fn list_query(query: &str) -> Result<ListQuery, Reply> {
    let state = param(query, "state")?
        .as_deref()
        .and_then(DeliveryState::from_stored)
        .ok_or_else(|| {
            Reply::invalid_query("`state` is required: pending, delivering, delivered or dead")
        })?;
    let limit = match param(query, "limit")? {
        None => DEFAULT_LIST_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=MAX_LIST_LIMIT).contains(limit))
            .ok_or_else(|| {
                Reply::invalid_query(&format!("`limit` must be between 1 and {MAX_LIST_LIMIT}"))
            })?,
    };
    let after = match param(query, "cursor")? {
        None => None,
        Some(text) if text.is_empty() => None,
        Some(text) => Some(
            ListCursor::decode(&text)
                .ok_or_else(|| Reply::invalid_query("`cursor` is not one this API returned"))?,
        ),
    };
    Ok(ListQuery {
        state,
        limit,
        after,
    })
}
