//! JavaScript bindings for the npm package (cargo feature `wasm`).
//!
//! Argument normalisation only: every decision is made by the core. Calls report failure
//! as a small status number (0 = success, otherwise 1 + the index of the error's code in
//! [`Error::CODES`]) so that the hot path allocates nothing on the JS side; the details
//! of the last failure are fetched with [`take_error`] only when the glue needs them.

#[cfg(feature = "debugger")]
mod diagnose;
mod scratch;
mod typescript;

use std::cell::Cell;

use wasm_bindgen::prelude::*;

use crate::{parse_signature, sample_event_json, validate_event, Error, EventType, Options};
use crate::{PayloadMacs, Webhook};
use scratch::Hashing;

thread_local! {
    // A Cell, not a RefCell: see scratch.rs (no borrow flag a trap could leave set).
    static LAST_ERROR: Cell<Option<Error>> = const { Cell::new(None) };
}

/// Records `result`'s error, if any, and returns its status number.
fn status<T>(result: Result<T, Error>) -> u32 {
    match result {
        Ok(_) => 0,
        Err(err) => {
            let index = Error::CODES
                .iter()
                .position(|code| *code == err.code())
                .unwrap_or(0);
            LAST_ERROR.set(Some(err));
            u32::try_from(index + 1).unwrap_or(u32::MAX)
        }
    }
}

/// The stable error codes, indexed by status number minus one.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    Error::CODES.iter().map(|code| (*code).to_owned()).collect()
}

/// What the JS glue takes from the core instead of writing it again:
/// `{ statuses: { CODE: httpStatus, ... }, maxPayloadBytes, dedupTtlSeconds }`.
#[wasm_bindgen(js_name = coreFacts)]
pub fn core_facts() -> JsValue {
    let statuses = js_sys::Object::new();
    // Setting plain data properties on fresh objects cannot fail.
    for (code, status) in Error::CODES.iter().zip(Error::STATUSES) {
        let _ = js_sys::Reflect::set(&statuses, &(*code).into(), &status.into());
    }
    let facts = js_sys::Object::new();
    let set = |key: &str, value: JsValue| js_sys::Reflect::set(&facts, &key.into(), &value);
    let _ = set("statuses", statuses.into());
    let _ = set(
        "maxPayloadBytes",
        (crate::DEFAULT_MAX_PAYLOAD_BYTES as f64).into(),
    );
    let _ = set(
        "dedupTtlSeconds",
        (crate::DEFAULT_DEDUP_TTL_SECONDS as f64).into(),
    );
    facts.into()
}

/// The last failure as `{ code, message, path? }`, or `undefined`; clears it.
#[wasm_bindgen(js_name = takeError)]
pub fn take_error() -> JsValue {
    let Some(err) = LAST_ERROR.take() else {
        return JsValue::UNDEFINED;
    };
    let info = js_sys::Object::new();
    let set = |key: &str, value: JsValue| js_sys::Reflect::set(&info, &key.into(), &value);
    // Setting plain data properties on a fresh object cannot fail.
    let _ = set("code", err.code().into());
    let _ = set("message", err.to_string().into());
    let _ = set("status", err.http_status().into());
    if let Some(path) = err.path() {
        let _ = set("path", path.into());
    }
    info.into()
}

/// Starts signing (HMAC-SHA256, as lowercase hex) a payload the glue writes in chunks
/// (see `hashChunk`, `finishHex`).
#[wasm_bindgen(js_name = startSigning)]
pub fn start_signing(secret: &str) {
    scratch::start_hashing(Hashing {
        macs: PayloadMacs::signing(secret.as_bytes()),
        tag: None,
    });
}

/// Validates the event in the scratch area without verifying it; returns a status number.
#[wasm_bindgen]
pub fn validate(payload_len: usize) -> u32 {
    scratch::with_input(0, payload_len, |_, payload| status(validate_event(payload)))
}

/// How many keys the payload in the scratch area writes when it is plain, for `parseEvent`'s
/// check of the value `JSON.parse` built; -1 when it is not (then `validate` decides).
#[wasm_bindgen(js_name = plainKeyCount)]
pub fn plain_key_count(payload_len: usize) -> i32 {
    scratch::with_input(0, payload_len, |_, payload| key_count(payload))
}

/// The pre-scan's key count for the glue: -1 when the payload is not plain.
fn key_count(payload: &[u8]) -> i32 {
    crate::plain_key_count(payload)
        .and_then(|keys| i32::try_from(keys).ok())
        .unwrap_or(-1)
}

/// `{ "Message": shape, ... }`: the shape of each kind of object the known types carry
/// (see `Kind::describe`), for `parseEvent`'s check of what `JSON.parse` built.
#[wasm_bindgen(js_name = objectShapes)]
pub fn object_shapes() -> String {
    let mut out = String::from("{");
    let mut described = Vec::new();
    for kind in EventType::ALL.iter().filter_map(EventType::object_kind) {
        if described.contains(&kind) {
            continue;
        }
        if !described.is_empty() {
            out.push(',');
        }
        described.push(kind);
        out.push('"');
        out.push_str(kind.type_name());
        out.push_str("\":");
        kind.shape().describe(&mut out);
    }
    out.push('}');
    out
}

/// The signature header names, canonical first.
#[wasm_bindgen(js_name = signatureHeaders)]
pub fn signature_headers() -> Vec<String> {
    crate::SIGNATURE_HEADERS
        .iter()
        .map(|name| name.to_ascii_lowercase())
        .collect()
}

/// A sample event body of a known type (default id and the guide's timestamp when not
/// given); `undefined` (with an error to take) otherwise.
#[wasm_bindgen(js_name = sampleEvent)]
pub fn sample_event_body(
    event_type: &str,
    id: Option<String>,
    created_at: Option<f64>,
) -> Option<String> {
    let event = EventType::known(event_type).and_then(|known| {
        let id = id.unwrap_or_else(|| crate::default_sample_id(&known));
        let created_at = created_at.map_or(crate::SAMPLE_CREATED_AT, seconds);
        sample_event_json(&known, &id, created_at)
    });
    match event {
        Ok(json) => Some(json),
        Err(err) => {
            status::<()>(Err(err));
            None
        }
    }
}

/// `[type, description, objectTypeName]` for each of the sixteen known types.
#[wasm_bindgen(js_name = eventTypes)]
pub fn event_types() -> js_sys::Array {
    EventType::ALL
        .iter()
        .map(|event_type| {
            let kind = event_type.object_kind().map(|k| k.type_name());
            js_sys::Array::of3(
                &event_type.as_str().into(),
                &event_type.description().into(),
                &kind.into(),
            )
        })
        .collect()
}

/// Converts a JS number of seconds, clamping non-finite values instead of wrapping.
fn seconds(value: f64) -> i64 {
    // `as` saturates for floats (NaN becomes 0): the checked conversion the core needs.
    value as i64
}

/// Converts an optional non-negative JS number of a limit.
fn limit(value: Option<f64>) -> Option<u64> {
    value.map(|v| v as u64)
}

/// A configured webhook: secrets with precomputed HMAC state, limits and replay window.
#[wasm_bindgen]
pub struct WebhookCore {
    inner: Webhook,
}

#[wasm_bindgen]
impl WebhookCore {
    /// Builds a webhook; returns `undefined` (with an error to take) when no usable
    /// secret is given.
    pub fn create(
        secrets: Vec<String>,
        tolerance_seconds: Option<f64>,
        max_payload_bytes: Option<f64>,
    ) -> Option<WebhookCore> {
        let options = Options {
            tolerance_seconds: limit(tolerance_seconds),
            max_payload_bytes: limit(max_payload_bytes)
                .map(|bytes| usize::try_from(bytes).unwrap_or(usize::MAX)),
        };
        match Webhook::new(&secrets, options) {
            Ok(inner) => Some(WebhookCore { inner }),
            Err(err) => {
                status::<()>(Err(err));
                None
            }
        }
    }

    /// Verifies the payload in the scratch area against the signature before it.
    pub fn verify(&self, signature_len: usize, payload_len: usize) -> u32 {
        scratch::with_input(signature_len, payload_len, |signature, payload| {
            status(self.inner.verify(payload, Some(signature)))
        })
    }

    /// Verifies the payload in the scratch area against the signature before it, then
    /// pre-scans it for `constructEvent`'s check of what `JSON.parse` builds: the number of
    /// keys it writes when it is plain (0 or more), -1 when it is not (then `checkEvent`
    /// decides), or, when it does not verify, -1 minus the status number.
    #[wasm_bindgen(js_name = verifyPlain)]
    pub fn verify_plain(&self, signature_len: usize, payload_len: usize) -> i32 {
        scratch::with_input(
            signature_len,
            payload_len,
            |signature, payload| match status(self.inner.verify(payload, Some(signature))) {
                0 => key_count(payload),
                failed => i32::try_from(failed).map_or(i32::MIN, |status| -1 - status),
            },
        )
    }

    /// Checks the replay window at `now` for an event the glue validated (Unix seconds).
    #[wasm_bindgen(js_name = checkFreshness)]
    pub fn check_freshness(&self, created_at: f64, now: f64) -> u32 {
        status(
            self.inner
                .check_freshness(seconds(created_at), seconds(now)),
        )
    }

    /// `PAYLOAD_TOO_LARGE` (as a status number) when a payload of `size` bytes is over the
    /// limit: lets the glue refuse a payload before copying any of it.
    #[wasm_bindgen(js_name = checkLength)]
    pub fn check_length(&self, size: f64) -> u32 {
        // `as` saturates: a size beyond usize is over any limit.
        status(self.inner.check_length(size as usize))
    }

    /// Reads the signature (`signature_len` bytes) from the scratch area and starts
    /// verifying a payload the glue writes in chunks (`hashChunk`, then `finishVerify`).
    /// A missing or malformed signature is reported here, before any hashing.
    #[wasm_bindgen(js_name = startVerify)]
    pub fn start_verify(&self, signature_len: usize) -> u32 {
        let tag = scratch::with_input(signature_len, 0, |signature, _| {
            parse_signature(Some(signature))
        });
        status(tag.map(|tag| {
            scratch::start_hashing(Hashing {
                macs: self.inner.verifier().start(),
                tag: Some(tag),
            });
        }))
    }

    /// Starts hashing a payload the glue writes in chunks, for `finishHex`: the expected
    /// signature for each secret, for diagnostics only.
    #[wasm_bindgen(js_name = startHashing)]
    pub fn start_hashing(&self) {
        scratch::start_hashing(Hashing {
            macs: self.inner.verifier().start(),
            tag: None,
        });
    }

    /// Validates the payload in the scratch area after `offset` bytes (a signature verified
    /// before, or none when it was verified in chunks) and checks the replay window at `now`
    /// (Unix seconds).
    #[wasm_bindgen(js_name = checkEvent)]
    pub fn check_event(&self, offset: usize, payload_len: usize, now: f64) -> u32 {
        scratch::with_input(offset, payload_len, |_, payload| {
            let checked = self.inner.check_size(payload);
            status(checked.and_then(|()| self.inner.validate_event_at(payload, seconds(now))))
        })
    }
}
