//! The request-handling logic of the Cloudflare Worker receiver, without any I/O.
//!
//! Everything here is pure and runs natively (unit tests, property tests, fuzzing): the
//! Worker binding (`src/worker/`, cargo feature `worker`) only moves bytes between the
//! platform (request, KV, `fetch`, rate limiter, clock, console) and these functions.
//!
//! A request goes through, in order:
//! 1. the [`FloodGuard`]: an address that failed too often is refused (429) before any
//!    work; failures ([`Reply::counts_as_failure`]) are counted by the rate limiting binding;
//! 2. [`Receiver::from_vars`] (cached per isolate) -> [`Reply::misconfigured`] on error
//!    (`/health`: [`Reply::unhealthy`]);
//! 3. [`Receiver::route`] -> 404 / 405 / health;
//! 4. [`Receiver::declared_length`] and a [`BodyLimit`] while reading -> 413;
//! 5. [`Receiver::accept`]: signature (401), event (400), replay window (400);
//! 6. deduplication: with the `LEDGER` Durable Object bound, a claim in [`ledger`] ->
//!    duplicate (200) / in flight (409) / conflicting duplicate (409) / ledger unavailable
//!    (503); without it, [`dedup_keys`], [`DedupState::decide`] in KV -> duplicate / in flight;
//! 7. forwarding: [`forward_headers`], then [`Receiver::after_forward`] -> 200 / 502 / 504.
//!
//! Every step ends in a [`Reply`] (status, JSON body, headers) and fills a [`LogLine`].

pub mod alerts;
mod body;
mod config;
mod dedup;
mod delivery;
pub mod failures;
mod flood;
mod forward;
pub mod ledger;
pub mod listen;
mod log;
mod reply;
mod reply_fields;

pub use body::BodyLimit;
pub use config::{
    ConfigError, DedupStore, Settings, DEFAULT_DEDUP_TTL_SECONDS, DEFAULT_FORWARD_TIMEOUT_MS,
    DEFAULT_MAX_BODY_BYTES, DEFAULT_WEBHOOK_PATH, HEALTH_PATH, MAX_FORWARD_TIMEOUT_MS,
    MAX_MAX_BODY_BYTES, MIN_KV_TTL_SECONDS, VARS,
};
pub use dedup::{dedup_keys, DedupKeys, DedupState, LocalDedup, Seen, LEASE_TTL_SECONDS};
pub use delivery::*;
pub use flood::{FloodGuard, FLOOD_BLOCK_SECONDS};
pub use forward::{
    forward_headers, header_value, OriginResult, EVENT_ID_HEADER, EVENT_TYPE_HEADER,
};
pub use log::{LogLine, MAX_LOGGED_ID_CHARS};
pub use reply::{Outcome, Reply, LEDGER_RETRY_AFTER_SECONDS, MISCONFIGURED_MESSAGE};
pub use reply_fields::ReplyFields;

use crate::error::Error;
use crate::event::EventType;
use crate::headers::find_signature_header;
use crate::webhook::{Options, Webhook};

/// What a request is, from its method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST` on the webhook path.
    Webhook,
    /// `GET` on [`HEALTH_PATH`].
    Health,
    /// A known path with the wrong method; `allow` is the method to use.
    MethodNotAllowed {
        /// Value of the `Allow` header.
        allow: &'static str,
    },
    /// Any other path (the Worker may first try its static assets).
    NotFound,
}

/// What the receiver needs of a verified, validated event: the body itself is forwarded
/// as received, so the typed event is never built (validation alone decides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedEvent {
    /// Event id: the deduplication key.
    pub id: String,
    /// Event type, forwarded as `X-DigiVault-Event-Type`.
    pub event_type: EventType,
}

/// A verified, validated event, ready to be deduplicated and forwarded.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// The event's id and type.
    pub event: AcceptedEvent,
    /// Name of the header the signature came in, as DigiVault sent it (canonical or legacy).
    pub signature_header: &'static str,
    /// The signature header value, unchanged, to forward to the origin.
    pub signature: String,
}

/// The configured receiver: settings plus the verifier with its precomputed HMAC keys.
///
/// Built once per isolate from the Worker's variables and secrets.
#[derive(Debug, Clone)]
pub struct Receiver {
    settings: Settings,
    webhook: Webhook,
    admin: Option<AdminToken>,
    listen: Option<AdminToken>,
}

impl Receiver {
    /// Reads and validates every setting through `lookup` (a variable or secret by name;
    /// `None` when unset). See [`VARS`] for the names.
    ///
    /// ```
    /// use digivault_webhooks::receiver::Receiver;
    /// let vars = [("WEBHOOK_SECRET", "whsec_1"), ("FORWARD_URL", "https://origin.example/hook")];
    /// let lookup = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
    /// let receiver = Receiver::from_vars(lookup).unwrap();
    /// assert_eq!(receiver.settings().webhook_path, "/webhooks");
    ///
    /// let err = Receiver::from_vars(|name: &str| (name == "FORWARD_URL").then(|| "https://o.example".to_string())).unwrap_err();
    /// assert_eq!(err.code(), "NO_SECRET");
    /// ```
    pub fn from_vars<F>(lookup: F) -> Result<Self, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        Self::from_vars_for(DedupStore::Kv, lookup)
    }

    /// [`Receiver::from_vars`] for a Worker deduplicating in `store` (the `LEDGER`
    /// object or Workers KV), which decides the smallest `DEDUP_TTL_SECONDS`.
    pub fn from_vars_for<F>(store: DedupStore, lookup: F) -> Result<Self, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let (settings, secrets) = Settings::from_vars(store, &lookup)?;
        let options = Options {
            tolerance_seconds: settings.max_event_age_seconds,
            max_payload_bytes: Some(settings.max_body_bytes),
        };
        let webhook = Webhook::new(&secrets, options).map_err(|_| ConfigError::missing_secret())?;
        let admin = AdminToken::from_var(lookup("ADMIN_TOKEN"))?;
        let listen = AdminToken::from_named_var("LISTEN_TOKEN", lookup("LISTEN_TOKEN"))?;
        Ok(Self {
            settings,
            webhook,
            admin,
            listen,
        })
    }

    /// The validated settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The admin token, when `ADMIN_TOKEN` is set (the admin API also needs `LEDGER`).
    pub fn admin_token(&self) -> Option<&AdminToken> {
        self.admin.as_ref()
    }

    /// The tokens that open `/listen`: `LISTEN_TOKEN` and `ADMIN_TOKEN`, those set.
    pub fn listen_tokens(&self) -> Vec<&AdminToken> {
        self.listen.iter().chain(self.admin.iter()).collect()
    }

    /// Routes a request by method and path (the URL path only, without the query: see
    /// [`path_of_url`]).
    pub fn route(&self, method: &str, path: &str) -> Route {
        if path == self.settings.webhook_path {
            if method.eq_ignore_ascii_case("POST") {
                Route::Webhook
            } else {
                Route::MethodNotAllowed { allow: "POST" }
            }
        } else if path == HEALTH_PATH {
            if method.eq_ignore_ascii_case("GET") {
                Route::Health
            } else {
                Route::MethodNotAllowed { allow: "GET" }
            }
        } else {
            Route::NotFound
        }
    }

    /// The body size a request declares in `Content-Length`, once checked against the
    /// limit (a 413 before reading when it exceeds it, however many digits). `None` when
    /// the header is absent or is not one decimal number (`junk`, `1, 2`, `+5`): such a
    /// body must be read under a [`BodyLimit`], never trusted to be short.
    pub fn declared_length(&self, content_length: Option<&str>) -> Result<Option<usize>, Reply> {
        let Some(digits) = content_length
            .map(str::trim)
            .filter(|value| !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
        else {
            return Ok(None);
        };
        // Only digits: a parse failure is an overflow, i.e. far too large.
        let declared = digits.parse::<u64>().unwrap_or(u64::MAX);
        match usize::try_from(declared) {
            Ok(size) if size <= self.settings.max_body_bytes => Ok(Some(size)),
            _ => Err(Reply::too_large(self.settings.max_body_bytes)),
        }
    }

    /// A fresh accumulator enforcing the body limit while the body streams in.
    pub fn body_limit(&self) -> BodyLimit {
        BodyLimit::new(self.settings.max_body_bytes)
    }

    /// Verifies the signature found in `headers` over `body`, then parses the event and
    /// checks the replay window against `now` (Unix seconds).
    ///
    /// Nothing of the body is parsed before the signature matched.
    pub fn accept<'a, I>(&self, body: &[u8], headers: I, now: i64) -> Result<Accepted, Reply>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let found = find_signature_header(headers);
        let signature = found.map(|(_, value)| value);
        let summary = self
            .webhook
            .verify_event_at(body, signature, now)
            .map_err(|err| Reply::from_error(&err, self.settings.max_body_bytes))?;
        let event = AcceptedEvent {
            id: summary.id.into_owned(),
            event_type: summary.event_type,
        };
        let (signature_header, signature) = match found {
            Some((name, value)) => (name, value.to_owned()),
            // Unreachable: verification succeeded, so a signature was present.
            None => return Err(Reply::from_error(&Error::MissingSignature, 0)),
        };
        Ok(Accepted {
            event,
            signature_header,
            signature,
        })
    }

    /// The reply for a concurrent delivery of an event already being forwarded.
    pub fn in_flight(&self) -> Reply {
        Reply::in_flight(self.settings.in_flight_retry_after_seconds())
    }

    /// The reply once the origin answered (or did not), and whether the event may now be
    /// marked done: only after a 2xx.
    pub fn after_forward(&self, result: OriginResult) -> (Reply, bool) {
        match result {
            OriginResult::Status(status) if (200..300).contains(&status) => {
                (Reply::status(Outcome::Forwarded), true)
            }
            OriginResult::Status(status) => (Reply::origin_error(status), false),
            OriginResult::Unreachable => (Reply::origin_unreachable(), false),
            OriginResult::TimedOut => (
                Reply::origin_timeout(self.settings.forward_timeout_ms),
                false,
            ),
        }
    }
}

/// The path of a serialized WHATWG URL (what `Request.url` gives): from the first `/` after
/// the host to the query or fragment, `/` when there is none. No reparse: a special scheme's
/// serialization never has an empty path and percent-encodes `?` and `#` inside it (the
/// `worker` crate's `Request::path` reads it the same way).
pub fn path_of_url(url: &str) -> &str {
    let Some(host_start) = url.find("://").map(|at| at + 3) else {
        return url
            .split(['?', '#'])
            .next()
            .filter(|path| path.starts_with('/'))
            .unwrap_or("/");
    };
    match url[host_start..].find('/') {
        Some(at) => {
            let path = &url[host_start + at..];
            &path[..path.find(['?', '#']).unwrap_or(path.len())]
        }
        None => "/",
    }
}

#[cfg(test)]
mod tests;
