//! The one error type of the crate, with a stable code per variant.

use std::fmt;

/// Why a signature header could not be read as a hex HMAC-SHA256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureFormat {
    /// A scheme prefix such as `sha256=` or `v1,`: DigiVault sends bare hex.
    Prefix,
    /// Characters outside `0-9a-fA-F`.
    NotHex,
    /// An odd number of hex digits.
    OddLength,
    /// Valid hex of the wrong length (a SHA-256 MAC is 64 hex digits).
    WrongLength {
        /// Number of hex digits received.
        digits: usize,
    },
    /// Looks like base64: DigiVault sends hex.
    Base64,
}

impl fmt::Display for SignatureFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prefix => f.write_str(
                "it has a scheme prefix (like `sha256=` or `v1,`); DigiVault sends bare lowercase hex",
            ),
            Self::NotHex => f.write_str("it contains characters that are not hex digits"),
            Self::OddLength => f.write_str("it has an odd number of hex digits"),
            Self::WrongLength { digits } => write!(
                f,
                "it has {digits} hex digits, an HMAC-SHA256 signature has 64 (was it truncated?)"
            ),
            Self::Base64 => {
                f.write_str("it looks like base64; DigiVault sends the HMAC-SHA256 as hex")
            }
        }
    }
}

/// Every way verifying or parsing a webhook can fail.
///
/// Each variant has a stable [`code`](Error::code) that bindings expose unchanged
/// (the npm package's `WebhookError.code`, the Worker's JSON `code`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The signature header is absent or empty. Code `MISSING_SIGNATURE`.
    MissingSignature,
    /// The signature header is present but is not 64 hex digits. Code `MALFORMED_SIGNATURE`.
    MalformedSignature(SignatureFormat),
    /// The signature is well formed but matches no configured secret. Code `INVALID_SIGNATURE`.
    InvalidSignature,
    /// The payload is larger than the configured limit. Code `PAYLOAD_TOO_LARGE`.
    PayloadTooLarge {
        /// Payload size in bytes.
        size: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The payload is not valid JSON (syntax, invalid UTF-8, nesting too deep). Code `INVALID_JSON`.
    InvalidJson {
        /// What is wrong and at which byte offset.
        message: String,
    },
    /// The payload is JSON but not a valid DigiVault event. Code `INVALID_EVENT`.
    InvalidEvent {
        /// Dotted JSON path of the offending value, e.g. `data.object.conversation_id`.
        path: String,
        /// What was expected there, e.g. `expected a string, found integer 5`.
        expected: String,
    },
    /// `created_at` is older than the tolerance allows. Code `EVENT_TOO_OLD`.
    EventTooOld {
        /// Seconds between `created_at` and now.
        age_seconds: u64,
        /// The configured tolerance in seconds.
        tolerance_seconds: u64,
    },
    /// `created_at` is further in the future than the tolerance allows. Code `EVENT_FROM_FUTURE`.
    EventFromFuture {
        /// Seconds `created_at` lies ahead of now.
        ahead_seconds: u64,
        /// The configured tolerance in seconds.
        tolerance_seconds: u64,
    },
    /// No secret, or an empty one, was configured. Code `NO_SECRET`.
    NoSecret,
    /// An event type name that is not one of the sixteen known ones, where a known one
    /// is required (sample events). Code `UNKNOWN_EVENT_TYPE`.
    UnknownEventType(String),
}

/// The one table of error codes: each variant's pattern, its stable code and the HTTP
/// status a receiver answers with. [`Error::CODES`], [`Error::code`], [`Error::http_status`],
/// [`Error::status_of`] and the TypeScript `CoreErrorCode` union are all generated from it;
/// a variant missing from it does not compile (the matches are exhaustive).
macro_rules! error_codes {
    ($($pattern:pat => $code:literal, $status:literal;)*) => {
        impl Error {
            /// Every stable code, in declaration order.
            pub const CODES: [&'static str; [$($code),*].len()] = [$($code),*];

            /// The HTTP status of each code of [`Error::CODES`], in the same order.
            pub const STATUSES: [u16; [$($code),*].len()] = [$($status),*];

            /// The TypeScript union of [`Error::CODES`] (the npm package's `.d.ts`).
            pub const TYPESCRIPT: &'static str = concat!(
                "/** The stable codes of the core's errors (`WebhookError.code`). */\n",
                "export type CoreErrorCode =",
                $(" | \"", $code, "\"",)*
                ";\n",
            );

            /// The stable, machine-readable code of this error.
            pub fn code(&self) -> &'static str {
                match self {
                    $($pattern => $code,)*
                }
            }

            /// The HTTP status a receiver should answer with: 401 for signature failures
            /// (the sender retries), 413 for oversized payloads, 400 for bad events, 500
            /// when the receiver itself is misconfigured.
            pub fn http_status(&self) -> u16 {
                match self {
                    $($pattern => $status,)*
                }
            }

            /// The HTTP status of a code of [`Error::CODES`]; `None` for any other string.
            pub fn status_of(code: &str) -> Option<u16> {
                match code {
                    $($code => Some($status),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    Self::MissingSignature => "MISSING_SIGNATURE", 401;
    Self::MalformedSignature(_) => "MALFORMED_SIGNATURE", 401;
    Self::InvalidSignature => "INVALID_SIGNATURE", 401;
    Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE", 413;
    Self::InvalidJson { .. } => "INVALID_JSON", 400;
    Self::InvalidEvent { .. } => "INVALID_EVENT", 400;
    Self::EventTooOld { .. } => "EVENT_TOO_OLD", 400;
    Self::EventFromFuture { .. } => "EVENT_FROM_FUTURE", 400;
    Self::NoSecret => "NO_SECRET", 500;
    Self::UnknownEventType(_) => "UNKNOWN_EVENT_TYPE", 400;
}

impl Error {
    /// The JSON path of the offending value, for [`Error::InvalidEvent`].
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::InvalidEvent { path, .. } => Some(path),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingSignature => f.write_str(
                "no signature: the X-DigiVault-Signature header is missing or empty; \
                 check that your proxy forwards it",
            ),
            Self::MalformedSignature(format) => write!(
                f,
                "malformed signature: {format}; pass the X-DigiVault-Signature header value unchanged"
            ),
            Self::InvalidSignature => f.write_str(
                "signature mismatch: verify the exact raw bytes received (not re-serialized JSON \
                 such as JSON.stringify(req.body)) and check the webhook secret",
            ),
            Self::PayloadTooLarge { size, limit } => write!(
                f,
                "payload too large: {size} bytes, the limit is {limit}; raise the limit if this sender is trusted"
            ),
            Self::InvalidJson { message } => write!(f, "payload is not valid JSON: {message}"),
            Self::InvalidEvent { path, expected } => {
                write!(f, "invalid event: {path}: {expected}")
            }
            Self::EventTooOld {
                age_seconds,
                tolerance_seconds,
            } => write!(
                f,
                "event too old: created {age_seconds} s ago, tolerance is {tolerance_seconds} s; \
                 a replay, or a retry later than the tolerance allows (check the server clock)"
            ),
            Self::EventFromFuture {
                ahead_seconds,
                tolerance_seconds,
            } => write!(
                f,
                "event from the future: created {ahead_seconds} s ahead, tolerance is \
                 {tolerance_seconds} s; check the server clock"
            ),
            Self::NoSecret => f.write_str(
                "no webhook secret configured: pass the secret from the DigiVault dashboard \
                 (for example from the WEBHOOK_SECRET environment variable)",
            ),
            Self::UnknownEventType(name) => write!(
                f,
                "unknown event type `{name}`: use one of the sixteen types in the DigiVault guide"
            ),
        }
    }
}

impl std::error::Error for Error {}
