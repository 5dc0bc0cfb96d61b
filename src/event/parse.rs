//! Payload bytes to [`Event`], with JSON-path errors.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Event, EventObject, EventType, ObjectKind};
use crate::error::Error;

/// The envelope, with `data.object` left raw until the type is known (it may come
/// before `type` in the document).
#[derive(Deserialize)]
struct Envelope<'a> {
    id: String,
    #[serde(rename = "type")]
    event_type: EventType,
    created_at: i64,
    #[serde(borrow)]
    data: Data<'a>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    object: &'a RawValue,
}

pub(super) fn event(payload: &[u8]) -> Result<Event, Error> {
    let envelope: Envelope<'_> = from_slice(payload, "")?;
    if envelope.id.is_empty() {
        return Err(invalid("id", "expected a non-empty string"));
    }
    let object_json = envelope.data.object.get().as_bytes();
    let prefix = "data.object";
    let object = match envelope.event_type.object_kind() {
        Some(ObjectKind::Conversation) => {
            EventObject::Conversation(from_slice(object_json, prefix)?)
        }
        Some(ObjectKind::Message) => EventObject::Message(from_slice(object_json, prefix)?),
        Some(ObjectKind::Contact) => EventObject::Contact(from_slice(object_json, prefix)?),
        Some(ObjectKind::Group) => EventObject::Group(from_slice(object_json, prefix)?),
        Some(ObjectKind::GroupMembership) => {
            EventObject::GroupMembership(from_slice(object_json, prefix)?)
        }
        None => EventObject::Unknown(from_slice(object_json, prefix)?),
    };
    Ok(Event::new(
        envelope.id,
        envelope.event_type,
        envelope.created_at,
        object,
    ))
}

fn invalid(path: &str, expected: &str) -> Error {
    Error::InvalidEvent {
        path: path.to_owned(),
        expected: expected.to_owned(),
    }
}

/// Deserializes `T` from `json`, turning serde's errors into ours with the path of the
/// failing value prefixed by `prefix`.
fn from_slice<'de, T: Deserialize<'de>>(json: &'de [u8], prefix: &str) -> Result<T, Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let value =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|err| convert(err, prefix))?;
    deserializer.end().map_err(|err| Error::InvalidJson {
        message: err.to_string(),
    })?;
    Ok(value)
}

fn convert(err: serde_path_to_error::Error<serde_json::Error>, prefix: &str) -> Error {
    let inner = err.inner();
    if !inner.is_data() {
        return Error::InvalidJson {
            message: inner.to_string(),
        };
    }
    let mut path = join_path(prefix, &err.path().to_string());
    let text = inner.to_string();
    // serde_json appends the position; the path says where, more usefully.
    let text = text.split(" at line ").next().unwrap_or_default();
    let expected = if let Some(field) = text
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        path = join_path(&path, field);
        "required field is missing".to_owned()
    } else if let Some(field) = text
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        path = join_path(&path, field);
        "unexpected field".to_owned()
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
        "a map" | "a sequence" => expected_json(expected),
        other if other.starts_with("struct ") => "an object",
        other => other,
    }
}

fn expected_json(serde_name: &str) -> &'static str {
    if serde_name == "a map" {
        "an object"
    } else {
        "an array"
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
