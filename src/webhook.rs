//! One configured receiver: secrets, payload limit and replay window together.

use crate::error::Error;
use crate::event::{validate_event, Event, EventSummary};
use crate::signature::Verifier;

/// The body size limit a receiver applies when none is configured: 1 MiB, far above
/// DigiVault's events (a few KiB). The Worker's `MAX_BODY_BYTES` and the npm package's
/// Express middleware and `verifyRequest` default to it.
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 1 << 20;

/// How long a receiver remembers a handled event id by default: 48 h, well above
/// DigiVault's 7 h 21 min retry horizon. The Worker's `DEDUP_TTL_SECONDS` and the npm
/// package's `Deduplicator` default to it.
pub const DEFAULT_DEDUP_TTL_SECONDS: u64 = 48 * 3600;

/// Optional checks of a [`Webhook`]; all are off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Reject events whose `created_at` is further than this from `now`, either way.
    pub tolerance_seconds: Option<u64>,
    /// Reject payloads larger than this many bytes, before any hashing.
    pub max_payload_bytes: Option<usize>,
}

impl Options {
    /// Sets the replay window.
    pub fn tolerance_seconds(mut self, seconds: u64) -> Self {
        self.tolerance_seconds = Some(seconds);
        self
    }

    /// Sets the payload size limit.
    pub fn max_payload_bytes(mut self, bytes: usize) -> Self {
        self.max_payload_bytes = Some(bytes);
        self
    }
}

/// Verifies signatures and builds typed events.
///
/// ```
/// use digivault_webhooks::{sign, Options, Webhook};
/// let body = br#"{"id":"evt_1","type":"contact.created","created_at":1640995200,"data":{"object":{"id":"c_1"}}}"#;
/// let signature = sign(b"whsec_current", body);
///
/// let webhook = Webhook::new(&["whsec_current", "whsec_previous"], Options::default().tolerance_seconds(300))?;
/// let event = webhook.construct_event_at(body, Some(&signature), 1640995200 + 60)?;
/// assert_eq!(event.id, "evt_1");
///
/// let late = webhook.construct_event_at(body, Some(&signature), 1640995200 + 3600);
/// assert_eq!(late.unwrap_err().code(), "EVENT_TOO_OLD");
/// # Ok::<(), digivault_webhooks::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Webhook {
    verifier: Verifier,
    options: Options,
}

impl Webhook {
    /// A webhook accepting any of `secrets` (current first, then previous ones).
    pub fn new<S: AsRef<[u8]>>(secrets: &[S], options: Options) -> Result<Self, Error> {
        Ok(Self {
            verifier: Verifier::new(secrets)?,
            options,
        })
    }

    /// The options this webhook was built with.
    pub fn options(&self) -> Options {
        self.options
    }

    /// The underlying signature verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Checks the size limit, then the signature. `signature` is the header value, if any.
    pub fn verify(&self, payload: &[u8], signature: Option<&str>) -> Result<(), Error> {
        self.check_size(payload)?;
        self.verifier.verify(payload, signature)
    }

    /// Verifies, parses and validates; then checks the replay window against `now`
    /// (Unix seconds) when a tolerance is set.
    pub fn construct_event_at(
        &self,
        payload: &[u8],
        signature: Option<&str>,
        now: i64,
    ) -> Result<Event, Error> {
        self.verify(payload, signature)?;
        let event = Event::from_slice(payload)?;
        self.check_freshness(event.created_at, now)?;
        Ok(event)
    }

    /// Like [`Webhook::construct_event_at`] but validates without building the event:
    /// for callers that only need the id and type (a proxy, or JS that parses the JSON
    /// itself). Accepts and rejects exactly the same payloads.
    pub fn verify_event_at<'a>(
        &self,
        payload: &'a [u8],
        signature: Option<&str>,
        now: i64,
    ) -> Result<EventSummary<'a>, Error> {
        self.verify(payload, signature)?;
        self.validate_event_at(payload, now)
    }

    /// The checks of [`Webhook::verify_event_at`] after the signature: validation, then
    /// the replay window. For bindings that verified the signature in pieces.
    pub fn validate_event_at<'a>(
        &self,
        payload: &'a [u8],
        now: i64,
    ) -> Result<EventSummary<'a>, Error> {
        let summary = validate_event(payload)?;
        self.check_freshness(summary.created_at, now)?;
        Ok(summary)
    }

    /// Checks `created_at` against `now` when a tolerance is set; a no-op otherwise.
    pub fn check_freshness(&self, created_at: i64, now: i64) -> Result<(), Error> {
        match self.options.tolerance_seconds {
            Some(tolerance) => crate::event::check_freshness(created_at, now, tolerance),
            None => Ok(()),
        }
    }

    /// Rejects payloads over the configured limit.
    pub fn check_size(&self, payload: &[u8]) -> Result<(), Error> {
        self.check_length(payload.len())
    }

    /// Rejects a payload of `size` bytes when that is over the configured limit: for
    /// bindings that refuse a payload before copying it.
    pub fn check_length(&self, size: usize) -> Result<(), Error> {
        match self.options.max_payload_bytes {
            Some(limit) if size > limit => Err(Error::PayloadTooLarge { size, limit }),
            _ => Ok(()),
        }
    }
}
