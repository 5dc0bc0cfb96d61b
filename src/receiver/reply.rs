//! Every answer the receiver gives: status, JSON body and headers.

use serde::Serialize;

use crate::error::Error;

/// `Retry-After` of a `LEDGER_UNAVAILABLE` reply: a short pause (DigiVault retries on its
/// own schedule in any case).
pub const LEDGER_RETRY_AFTER_SECONDS: u64 = 10;

/// What a misconfigured receiver tells its clients: the details (which setting, and
/// values) go to the log only, since a caller may be anyone.
pub const MISCONFIGURED_MESSAGE: &str = "the receiver is misconfigured; see its logs";

/// What happened to a request, as logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The origin accepted the event (200).
    Forwarded,
    /// The event was forwarded before (200, nothing forwarded).
    Duplicate,
    /// Another delivery of the event is being forwarded (409, retryable).
    InFlight,
    /// The event id was seen with a different body (409, nothing forwarded).
    ConflictingDuplicate,
    /// The delivery ledger could not be reached (503, retryable, nothing forwarded).
    LedgerUnavailable,
    /// Bad signature, body or event (4xx).
    Rejected,
    /// This client address failed too often and is refused for a while (429).
    RateLimited,
    /// The origin answered non-2xx or could not be reached (502).
    OriginError,
    /// The origin did not answer in time (504).
    OriginTimeout,
    /// A required setting or binding is missing or invalid (500; 503 on `/health`).
    Misconfigured,
    /// `GET /health` (200).
    Health,
    /// A static asset was served.
    Asset,
    /// Unknown path (404).
    NotFound,
    /// Known path, wrong method (405).
    MethodNotAllowed,
    /// Durable mode: the event is stored and will be delivered (202).
    Accepted,
    /// An admin API request was answered.
    Admin,
    /// An admin API or `/listen` request without the right token (401).
    Unauthorized,
    /// `/listen` without a WebSocket upgrade (426).
    UpgradeRequired,
    /// A `/listen` connection was handed to the listen hub (101).
    Listening,
    /// Development mode: no listener is registered to store the event for (503, retryable).
    NoListener,
    /// The listen hub could not be reached (503, retryable).
    ListenUnavailable,
    /// The ops script (admin API, listen) could not be reached (503, nothing done).
    OpsUnavailable,
}

impl Outcome {
    fn status_word(self) -> &'static str {
        match self {
            Self::Forwarded => "forwarded",
            Self::Duplicate => "duplicate",
            Self::Health | Self::Asset | Self::Admin => "ok",
            Self::Accepted => "accepted",
            _ => "error",
        }
    }
}

/// A response of the receiver. Every body is JSON; errors carry a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// What happened.
    pub outcome: Outcome,
    /// Stable error code, `None` on success.
    pub code: Option<&'static str>,
    /// Human-readable explanation of an error.
    pub message: Option<String>,
    /// JSON path of the offending value (`INVALID_EVENT`).
    pub path: Option<String>,
    /// The origin's status (`ORIGIN_ERROR`).
    pub origin_status: Option<u16>,
    /// `Retry-After` in seconds.
    pub retry_after: Option<u64>,
    /// `Allow` (405).
    pub allow: Option<&'static str>,
    /// A JSON body replacing the status body (admin API answers, `/health`).
    pub json: Option<Box<str>>,
}

#[derive(Serialize)]
struct Body<'a> {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin_status: Option<u16>,
}

impl Reply {
    fn new(status: u16, outcome: Outcome) -> Self {
        Self {
            status,
            outcome,
            code: None,
            message: None,
            path: None,
            origin_status: None,
            retry_after: None,
            allow: None,
            json: None,
        }
    }

    fn error(status: u16, outcome: Outcome, code: &'static str, message: String) -> Self {
        Self {
            code: Some(code),
            message: Some(message),
            ..Self::new(status, outcome)
        }
    }

    /// A 200 for a success outcome (`Forwarded`, `Duplicate`, `Health`).
    pub fn status(outcome: Outcome) -> Self {
        Self::new(200, outcome)
    }

    /// The reply for a verification or parsing error of the core, with the status of the
    /// core's table ([`Error::http_status`]): 401 for signatures, 413 for size, 400 for the
    /// event, 500 for a missing secret.
    pub fn from_error(err: &Error, limit: usize) -> Self {
        if let Error::PayloadTooLarge { .. } = err {
            return Self::too_large(limit);
        }
        let status = err.http_status();
        let outcome = if status >= 500 {
            Outcome::Misconfigured
        } else {
            Outcome::Rejected
        };
        Self {
            path: err.path().map(str::to_owned),
            ..Self::error(status, outcome, err.code(), err.to_string())
        }
    }

    /// 413 `PAYLOAD_TOO_LARGE`.
    pub fn too_large(limit: usize) -> Self {
        Self::error(
            413,
            Outcome::Rejected,
            "PAYLOAD_TOO_LARGE",
            format!("payload too large: the limit is {limit} bytes (MAX_BODY_BYTES)"),
        )
    }

    /// 400 `INVALID_BODY`: the body could not be read (the client went away mid-upload).
    pub fn unreadable_body() -> Self {
        Self::error(
            400,
            Outcome::Rejected,
            "INVALID_BODY",
            "the request body could not be read".to_owned(),
        )
    }

    /// 409 `IN_FLIGHT` with `Retry-After`.
    pub fn in_flight(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::error(
                409,
                Outcome::InFlight,
                "IN_FLIGHT",
                "another delivery of this event is being forwarded; retry later".to_owned(),
            )
        }
    }

    /// 409 `CONFLICTING_DUPLICATE`: the id is known with a different body. Not retryable
    /// by itself: a person must look (DigiVault's bug, or a modified, re-signed replay).
    pub fn conflicting_duplicate() -> Self {
        Self::error(
            409,
            Outcome::ConflictingDuplicate,
            "CONFLICTING_DUPLICATE",
            "this event id was received before with a different body; nothing was forwarded"
                .to_owned(),
        )
    }

    /// 503 `LEDGER_UNAVAILABLE` with `Retry-After`: the delivery ledger could not be
    /// reached, so nothing was forwarded (forwarding without a claim could forward twice).
    pub fn ledger_unavailable() -> Self {
        Self {
            retry_after: Some(LEDGER_RETRY_AFTER_SECONDS),
            ..Self::error(
                503,
                Outcome::LedgerUnavailable,
                "LEDGER_UNAVAILABLE",
                "the delivery ledger is unavailable; nothing was forwarded, retry later".to_owned(),
            )
        }
    }

    /// 502 `ORIGIN_ERROR`: the origin answered non-2xx.
    pub fn origin_error(origin_status: u16) -> Self {
        Self {
            origin_status: Some(origin_status),
            ..Self::error(
                502,
                Outcome::OriginError,
                "ORIGIN_ERROR",
                format!("the origin answered {origin_status}; the event was not marked done"),
            )
        }
    }

    /// 502 `ORIGIN_UNREACHABLE`: no response from the origin.
    pub fn origin_unreachable() -> Self {
        Self::error(
            502,
            Outcome::OriginError,
            "ORIGIN_UNREACHABLE",
            "the origin could not be reached; the event was not marked done".to_owned(),
        )
    }

    /// 504 `ORIGIN_TIMEOUT`.
    pub fn origin_timeout(timeout_ms: u64) -> Self {
        Self::error(
            504,
            Outcome::OriginTimeout,
            "ORIGIN_TIMEOUT",
            format!(
                "the origin did not answer within {timeout_ms} ms; the event was not marked done"
            ),
        )
    }

    /// 429 `RATE_LIMITED` with `Retry-After` (whole seconds, at least 1).
    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        Self {
            retry_after: Some(retry_after_seconds.max(1)),
            ..Self::error(
                429,
                Outcome::RateLimited,
                "RATE_LIMITED",
                "too many failed requests from this address; retry later".to_owned(),
            )
        }
    }

    /// 500 `CONFIG_ERROR` with a generic message: the configuration error itself (which
    /// may quote a setting's value) is for the log, never for the caller.
    pub fn misconfigured() -> Self {
        Self::error(
            500,
            Outcome::Misconfigured,
            "CONFIG_ERROR",
            MISCONFIGURED_MESSAGE.to_owned(),
        )
    }

    /// 503 with the [`Reply::misconfigured`] body: what `/health` answers while the
    /// configuration is invalid or a binding the receiver needs is missing.
    pub fn unhealthy() -> Self {
        Self {
            status: 503,
            ..Self::misconfigured()
        }
    }

    /// 404 `NOT_FOUND`.
    pub fn not_found() -> Self {
        Self::error(
            404,
            Outcome::NotFound,
            "NOT_FOUND",
            "no such path".to_owned(),
        )
    }

    /// 405 `METHOD_NOT_ALLOWED` with `Allow`.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        Self {
            allow: Some(allow),
            ..Self::error(
                405,
                Outcome::MethodNotAllowed,
                "METHOD_NOT_ALLOWED",
                format!("use {allow}"),
            )
        }
    }

    /// 202 `{"status":"accepted"}`: durable mode stored the event.
    pub fn accepted() -> Self {
        Self::new(202, Outcome::Accepted)
    }

    /// `GET /health`: 200 `{"status":"ok","mode":...}`, the mode being `forward`,
    /// `durable` or `development` ([`crate::receiver::listen::ReceiverMode`]).
    pub fn health(mode: &'static str) -> Self {
        let json = format!(r#"{{"status":"ok","mode":"{mode}"}}"#);
        Self {
            json: Some(json.into_boxed_str()),
            ..Self::new(200, Outcome::Health)
        }
    }

    /// 401 `UNAUTHORIZED` for `/listen`, with `WWW-Authenticate: Bearer`.
    pub fn listen_unauthorized() -> Self {
        Self::error(
            401,
            Outcome::Unauthorized,
            "UNAUTHORIZED",
            "a valid token is required: Authorization: Bearer <LISTEN_TOKEN>".to_owned(),
        )
    }

    /// 426 `UPGRADE_REQUIRED` with `Upgrade: websocket`: `/listen` is a WebSocket.
    pub fn upgrade_required() -> Self {
        Self::error(
            426,
            Outcome::UpgradeRequired,
            "UPGRADE_REQUIRED",
            "/listen is a WebSocket endpoint: connect with `digivault-webhooks listen`".to_owned(),
        )
    }

    /// 503 `NO_LISTENER` (development mode): no listener name is registered, so the event
    /// is not stored; DigiVault delivers it again later.
    pub fn no_listener() -> Self {
        Self {
            retry_after: Some(60),
            ..Self::error(
                503,
                Outcome::NoListener,
                "NO_LISTENER",
                "no listener is registered: run `digivault-webhooks listen` against this Worker"
                    .to_owned(),
            )
        }
    }

    /// 503 `LISTEN_UNAVAILABLE` (development mode): the listen hub did not answer.
    pub fn listen_unavailable() -> Self {
        Self {
            retry_after: Some(LEDGER_RETRY_AFTER_SECONDS),
            ..Self::error(
                503,
                Outcome::ListenUnavailable,
                "LISTEN_UNAVAILABLE",
                "the listen hub could not be reached; retry later".to_owned(),
            )
        }
    }

    /// An admin API answer: `status` with `json` as the body.
    pub fn admin(status: u16, json: String) -> Self {
        Self {
            json: Some(json.into_boxed_str()),
            ..Self::new(status, Outcome::Admin)
        }
    }

    /// 401 `UNAUTHORIZED` with `WWW-Authenticate: Bearer`: the same for a missing and a wrong
    /// token, and whatever exists.
    pub fn unauthorized() -> Self {
        Self::error(
            401,
            Outcome::Unauthorized,
            "UNAUTHORIZED",
            "a valid admin token is required: Authorization: Bearer <ADMIN_TOKEN>".to_owned(),
        )
    }

    /// 503 `OPS_UNAVAILABLE`: the webhook script could not reach the ops script for a request
    /// under `/admin` or `/listen` (webhooks are not affected).
    pub fn ops_unavailable() -> Self {
        Self::error(
            503,
            Outcome::OpsUnavailable,
            "OPS_UNAVAILABLE",
            "the ops script (admin API, listen) is unavailable; retry later".to_owned(),
        )
    }

    /// 400 `INVALID_QUERY`: an admin request's parameters.
    pub fn invalid_query(why: &str) -> Self {
        Self::error(400, Outcome::Rejected, "INVALID_QUERY", why.to_owned())
    }

    /// An admin API error with its own status and code (404 `EVENT_NOT_FOUND`, 409 ...).
    pub fn admin_error(status: u16, code: &'static str, message: String) -> Self {
        Self::error(status, Outcome::Admin, code, message)
    }

    /// The JSON body: `{"status":"forwarded"}`, `{"status":"duplicate"}`, `{"status":"ok"}`,
    /// or `{"status":"error","code":...,"message":...}` (plus `path` or `origin_status`).
    pub fn body(&self) -> String {
        if let Some(json) = &self.json {
            return json.to_string();
        }
        let body = Body {
            status: if self.code.is_some() {
                "error"
            } else {
                self.outcome.status_word()
            },
            code: self.code,
            message: self.message.as_deref(),
            path: self.path.as_deref(),
            origin_status: self.origin_status,
        };
        let json = serde_json::to_string(&body);
        debug_assert!(
            json.is_ok(),
            "strings, integers and options of them always serialize"
        );
        json.unwrap_or_default()
    }

    /// Response headers: content type, no caching, `Retry-After` / `Allow` when set, and
    /// `WWW-Authenticate: Bearer` on an admin API 401.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("Content-Type", "application/json; charset=utf-8".to_owned()),
            ("Cache-Control", "no-store".to_owned()),
            ("X-Content-Type-Options", "nosniff".to_owned()),
        ];
        if let Some(seconds) = self.retry_after {
            headers.push(("Retry-After", seconds.to_string()));
        }
        if let Some(allow) = self.allow {
            headers.push(("Allow", allow.to_owned()));
        }
        if self.outcome == Outcome::Unauthorized {
            headers.push(("WWW-Authenticate", "Bearer".to_owned()));
        }
        if self.outcome == Outcome::UpgradeRequired {
            headers.push(("Upgrade", "websocket".to_owned()));
        }
        headers
    }
}
