//! Payload bytes to a validated event, with JSON-path errors.
//!
//! Validation runs on the allocation-free checks of [`super::shape`], untracked first (the
//! fast path for the valid payloads that are nearly all traffic); only a payload that
//! fails is parsed again with path tracking, to say where and why.

use std::borrow::Cow;

use serde::de::DeserializeSeed;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::envelope::{EnvelopeCheck, ObjectSeed};
use super::objects::{Contact, Conversation, Group, GroupMembership, Message};
use super::prescan::prescan;
use super::shape::AnyValue;
use super::{Event, EventObject, EventType, ObjectKind};
use crate::error::Error;

/// The envelope with `data.object` raw, to build the owned model after validation.
#[derive(Deserialize)]
struct RawEnvelope<'a> {
    #[serde(borrow)]
    data: RawData<'a>,
}

#[derive(Deserialize)]
struct RawData<'a> {
    #[serde(borrow)]
    object: &'a RawValue,
}

/// What validation tells about a valid event, borrowed from the payload.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EventSummary<'a> {
    /// Event id (never empty).
    pub id: Cow<'a, str>,
    /// Event type.
    pub event_type: EventType,
    /// Unix time (seconds) the event was created.
    pub created_at: i64,
}

const OBJECT_PATH: &str = "data.object";

/// Validates a payload as a DigiVault event without building it.
///
/// Accepts and rejects exactly what [`Event::from_slice`] does, with the same errors.
pub fn validate_event(payload: &[u8]) -> Result<EventSummary<'_>, Error> {
    let scan = prescan(payload);
    // Checked once for the whole document: values the checks skip are otherwise not
    // decoded, and parsing from `str` then skips per-string UTF-8 validation.
    let payload = std::str::from_utf8(payload).map_err(|err| Error::InvalidJson {
        message: format!("invalid UTF-8 at byte {}", err.valid_up_to()),
    })?;
    if scan.openings > MAX_DEPTH {
        check_depth(payload.as_bytes())?;
    }
    if scan.surrogate_escape {
        check_surrogates(payload)?;
    }
    let envelope: EnvelopeCheck<'_> = check(payload, "")?;
    if envelope.id.is_empty() {
        return Err(Error::InvalidEvent {
            path: "id".to_owned(),
            expected: "expected a non-empty string".to_owned(),
        });
    }
    // `data` came before `type`: its object could not be checked in passing.
    if let Some(object) = envelope.object {
        let kind = envelope.event_type.object_kind();
        check_seed(object.get(), ObjectSeed(kind), OBJECT_PATH)?;
    }
    if scan.big_number {
        check_number_range(payload)?;
    }
    Ok(EventSummary {
        id: envelope.id,
        event_type: envelope.event_type,
        created_at: envelope.created_at,
    })
}

pub(super) fn event(payload: &[u8]) -> Result<Event, Error> {
    let summary = validate_event(payload)?;
    let raw: RawEnvelope<'_> =
        serde_json::from_slice(payload).map_err(|err| Error::InvalidJson {
            message: err.to_string(),
        })?;
    let object = raw.data.object.get();
    let object = match summary.event_type.object_kind() {
        Some(ObjectKind::Conversation) => EventObject::Conversation(build::<Conversation>(object)?),
        Some(ObjectKind::Message) => EventObject::Message(build::<Message>(object)?),
        Some(ObjectKind::Contact) => EventObject::Contact(build::<Contact>(object)?),
        Some(ObjectKind::Group) => EventObject::Group(build::<Group>(object)?),
        Some(ObjectKind::GroupMembership) => {
            EventObject::GroupMembership(build::<GroupMembership>(object)?)
        }
        None => EventObject::Unknown(build(object)?),
    };
    Ok(Event::new(
        summary.id.into_owned(),
        summary.event_type,
        summary.created_at,
        object,
    ))
}

/// How deep arrays and objects may nest: serde_json's own recursion limit, so the owned
/// models (which recurse) and the checks (which skip unknown values without recursing)
/// accept the same documents.
const MAX_DEPTH: usize = 128;

/// Rejects documents nested deeper than [`MAX_DEPTH`], in one pass without recursion.
/// Run only when the prescan counted more opening brackets than that.
fn check_depth(json: &[u8]) -> Result<(), Error> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (offset, &byte) in json.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Error::InvalidJson {
                        message: format!("nested deeper than {MAX_DEPTH} levels at byte {offset}"),
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Rejects escaped UTF-16 surrogates that do not pair up (`"\\ud800"`), which no Rust
/// string can hold. serde_json checks them only in strings it decodes, not in values the
/// checks skip, so documents that may contain one (rare: `\\ud`, per the prescan) are
/// decoded whole.
fn check_surrogates(json: &str) -> Result<(), Error> {
    serde_json::from_str::<AnyValue>(json)
        .map(drop)
        .map_err(|err| Error::InvalidJson {
            message: err.to_string(),
        })
}

/// Rejects a number in `data.object` too large for an `f64` (`1e999`), as the owned model
/// does: it keeps unknown values as `serde_json::Value`, which cannot hold one, while the
/// checks skip them without converting (found by fuzzing). Only a document that may hold
/// one (an exponent, or a long run of digits, per the prescan) is parsed again.
fn check_number_range(json: &str) -> Result<(), Error> {
    let raw: RawEnvelope<'_> = serde_json::from_str(json).map_err(|err| Error::InvalidJson {
        message: err.to_string(),
    })?;
    serde_json::from_str::<AnyValue>(raw.data.object.get())
        .map(drop)
        .map_err(|err| Error::InvalidEvent {
            path: OBJECT_PATH.to_owned(),
            expected: err.to_string(),
        })
}

/// Builds an owned model from JSON its check already accepted.
fn build<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, Error> {
    // The check accepted this JSON, so this cannot fail unless the model and its check
    // disagree; report that as an invalid object rather than panicking.
    serde_json::from_str(json).map_err(|err| Error::InvalidEvent {
        path: OBJECT_PATH.to_owned(),
        expected: err.to_string(),
    })
}

/// Deserializes `T` from `json`; on failure, parses again tracking the path, to report
/// the failing value's path prefixed by `prefix`.
fn check<'de, T: Deserialize<'de>>(json: &'de str, prefix: &str) -> Result<T, Error> {
    serde_json::from_str(json).map_err(|_| locate::<T>(json, prefix))
}

/// [`check`] for a seed: the object of an event whose type came after its data.
fn check_seed<'de, S: DeserializeSeed<'de> + Copy>(
    json: &'de str,
    seed: S,
    prefix: &str,
) -> Result<S::Value, Error> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let value = seed
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    value.map_err(|_| {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let mut track = serde_path_to_error::Track::new();
        let tracked = serde_path_to_error::Deserializer::new(&mut deserializer, &mut track);
        match seed.deserialize(tracked) {
            Err(err) => convert(serde_path_to_error::Error::new(track.path(), err), prefix),
            Ok(_) => end_error(&mut deserializer),
        }
    })
}

fn end_error(deserializer: &mut serde_json::Deserializer<serde_json::de::StrRead<'_>>) -> Error {
    Error::InvalidJson {
        message: deserializer
            .end()
            .err()
            .map_or_else(|| "unreadable JSON".to_owned(), |err| err.to_string()),
    }
}

fn locate<'de, T: Deserialize<'de>>(json: &'de str, prefix: &str) -> Error {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(err) => convert(err, prefix),
        Ok(_) => end_error(&mut deserializer),
    }
}

fn convert(err: serde_path_to_error::Error<serde_json::Error>, prefix: &str) -> Error {
    let inner = err.inner();
    let text = inner.to_string();
    // Too deep is a property of the document, whichever value it was found in.
    if !inner.is_data() || text.starts_with("recursion limit exceeded") {
        return Error::InvalidJson { message: text };
    }
    let mut path = join_path(prefix, &err.path().to_string());
    // serde_json appends the position; the path says where, more usefully.
    let text = text.split(" at line ").next().unwrap_or_default();
    let expected = if let Some(field) = text
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        path = join_path(&path, field);
        "required field is missing".to_owned()
    } else if let Some(field) = text
        .strip_prefix("duplicate field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        path = join_path(&path, field);
        "duplicate key".to_owned()
    } else if let Some((found, expected)) = text
        .strip_prefix("invalid type: ")
        .or_else(|| text.strip_prefix("invalid value: "))
        .and_then(|rest| rest.split_once(", expected "))
    {
        format!(
            "expected {}, found {}",
            plain(expected),
            found.replace('`', "")
        )
    } else {
        text.to_owned()
    };
    if path.is_empty() {
        path = "(root)".to_owned();
    }
    Error::InvalidEvent { path, expected }
}

/// serde names types the Rust way; say it the JSON way.
fn plain(expected: &str) -> &str {
    match expected {
        "i64" | "u64" => "an integer",
        "a map" => "an object",
        "a sequence" => "an array",
        other if other.starts_with("struct ") => "an object",
        other => other,
    }
}

fn join_path(prefix: &str, rest: &str) -> String {
    let rest = rest.trim_start_matches('.');
    match (prefix.is_empty(), rest.is_empty()) {
        (_, true) => prefix.to_owned(),
        (true, false) => rest.to_owned(),
        (false, false) => format!("{prefix}.{rest}"),
    }
}
