//! Payload bytes to the owned event model: validated first (so errors carry JSON paths),
//! then `data.object` is built by serde_json as the type's model.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{validate_event, Event, EventObject, EventType, ObjectKind};
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

const OBJECT_PATH: &str = "data.object";

pub(super) fn event(payload: &[u8]) -> Result<Event, Error> {
    let summary = validate_event(payload)?;
    let raw: RawEnvelope<'_> =
        serde_json::from_slice(payload).map_err(|err| Error::InvalidJson {
            message: err.to_string(),
        })?;
    let object = build_object(summary.event_type.object_kind(), raw.data.object.get())?;
    Ok(Event::new(
        summary.id.into_owned(),
        summary.event_type,
        summary.created_at,
        object,
    ))
}

fn build_object(kind: Option<ObjectKind>, json: &str) -> Result<EventObject, Error> {
    Ok(match kind {
        Some(ObjectKind::Conversation) => EventObject::Conversation(build(json)?),
        Some(ObjectKind::Message) => EventObject::Message(build(json)?),
        Some(ObjectKind::Contact) => EventObject::Contact(build(json)?),
        Some(ObjectKind::Group) => EventObject::Group(build(json)?),
        Some(ObjectKind::GroupMembership) => EventObject::GroupMembership(build(json)?),
        None => EventObject::Unknown(build(json)?),
    })
}

/// The whole event read by serde_json alone, with no help from the validator.
///
/// Not for users: the property tests and the fuzzer check the validator against it as an
/// independent oracle (the validator must accept only what this accepts).
#[doc(hidden)]
pub fn decode_with_serde_only(payload: &[u8]) -> Result<Event, String> {
    let envelope: SerdeEnvelope<'_> =
        serde_json::from_slice(payload).map_err(|err| err.to_string())?;
    if envelope.id.is_empty() {
        return Err("empty id".to_owned());
    }
    let kind = envelope.event_type.object_kind();
    let object = build_object(kind, envelope.data.object.get()).map_err(|err| err.to_string())?;
    Ok(Event::new(
        envelope.id,
        envelope.event_type,
        envelope.created_at,
        object,
    ))
}

#[derive(Deserialize)]
struct SerdeEnvelope<'a> {
    id: String,
    #[serde(rename = "type")]
    event_type: EventType,
    created_at: i64,
    #[serde(borrow)]
    data: RawData<'a>,
}

/// Builds an owned model from JSON the validator already accepted.
fn build<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, Error> {
    // The validator accepted this JSON, so this cannot fail unless the model and its
    // shape table disagree; report that as an invalid object rather than panicking.
    serde_json::from_str(json).map_err(|err| Error::InvalidEvent {
        path: OBJECT_PATH.to_owned(),
        expected: err.to_string(),
    })
}
