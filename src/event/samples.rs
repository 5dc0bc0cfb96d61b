//! Deterministic sample events, one per type: what the dashboard's "Send test webhook" sends.
//!
//! Kept as JSON text, so that producing one (the npm package's `sampleEvent`) needs no
//! JSON serializer in the wasm; the typed [`sample_event`] parses that same text.

use super::{Event, EventType, ObjectKind};
use crate::error::Error;

/// `created_at` of every sample: the guide's example timestamp.
pub const SAMPLE_CREATED_AT: i64 = 1_640_995_200;

/// The sample contact, `{at}` standing for the sample's `created_at`.
const CONTACT: &str = r#"{"id":"WAz8eIbvDR60rouK","username":"FrankMcCallister","name":"Frank McCallister","avatar_url":"https://assets.digivault.com/avatars/frank.jpg","created_at":{at}}"#;

/// The sample `data.object` of a kind; `{contact}` and `{at}` are filled in.
fn object_template(kind: ObjectKind, event_type: &EventType) -> &'static str {
    match kind {
        ObjectKind::Conversation if *event_type == EventType::ConversationArchived => {
            r#"{"id":"test_conversation_id","name":"Test conversation","status":"archived","participant_ids":["WAz8eIbvDR60rouK"],"created_at":{at},"updated_at":{at},"archived_at":{at}}"#
        }
        ObjectKind::Conversation => {
            r#"{"id":"test_conversation_id","name":"Test conversation","status":"open","participant_ids":["WAz8eIbvDR60rouK"],"created_at":{at},"updated_at":{at}}"#
        }
        ObjectKind::Message => {
            r#"{"id":"test_message_id","conversation_id":"test_conversation_id","message":"This is a test message","created_at":{at}}"#
        }
        ObjectKind::Contact => "{contact}",
        ObjectKind::Group => {
            r#"{"id":"test_group_id","name":"Test group","description":"A group for testing webhooks","member_count":3,"created_at":{at},"updated_at":{at}}"#
        }
        ObjectKind::GroupMembership => {
            r#"{"id":"test_membership_id","group_id":"test_group_id","contact":{contact},"role":"member","created_at":{at}}"#
        }
    }
}

/// The body of a sample event of a known type with the given id and timestamp, as
/// compact JSON in the field order DigiVault sends.
///
/// ```
/// use digivault_webhooks::{sample_event_json, EventType, SAMPLE_CREATED_AT};
/// let body = sample_event_json(&EventType::MessageCreated, "webhook_test_123", SAMPLE_CREATED_AT).unwrap();
/// assert!(body.starts_with(r#"{"id":"webhook_test_123","type":"conversation.message.created""#));
/// ```
pub fn sample_event_json(
    event_type: &EventType,
    id: &str,
    created_at: i64,
) -> Result<String, Error> {
    let kind = event_type
        .object_kind()
        .ok_or_else(|| Error::UnknownEventType(event_type.as_str().to_owned()))?;
    let at = created_at.to_string();
    let object = object_template(kind, event_type)
        .replace("{contact}", CONTACT)
        .replace("{at}", &at);
    Ok(format!(
        r#"{{"id":{},"type":"{}","created_at":{at},"data":{{"object":{object}}}}}"#,
        json_string(id),
        event_type.as_str(),
    ))
}

/// A sample event of a known type with the given id and timestamp.
///
/// Deterministic: the same arguments give the same event, and [`Event::to_json`] of it
/// is [`sample_event_json`] byte for byte, so signatures over samples are reproducible.
///
/// ```
/// use digivault_webhooks::{sample_event, EventType, SAMPLE_CREATED_AT};
/// let event = sample_event(&EventType::MessageCreated, "webhook_test_123", SAMPLE_CREATED_AT).unwrap();
/// assert!(event.to_json().contains("This is a test message"));
/// ```
pub fn sample_event(event_type: &EventType, id: &str, created_at: i64) -> Result<Event, Error> {
    Event::from_slice(sample_event_json(event_type, id, created_at)?.as_bytes())
}

/// The id samples use by default: `webhook_test_` and the type with `.` as `_`.
pub fn default_sample_id(event_type: &EventType) -> String {
    format!("webhook_test_{}", event_type.as_str().replace('.', "_"))
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let json = serde_json::to_string(text);
    debug_assert!(json.is_ok(), "serializing a string cannot fail");
    json.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_text_of_every_sample_is_its_typed_event_serialized() {
        for event_type in EventType::ALL {
            for (id, at) in [
                ("evt", 7),
                ("quote \" and \\ \u{1}", -5),
                ("webhook_test_123", SAMPLE_CREATED_AT),
            ] {
                let text = sample_event_json(&event_type, id, at).unwrap();
                let event = sample_event(&event_type, id, at).unwrap();
                assert_eq!(event.to_json(), text, "{event_type}");
                assert_eq!(event.id, id);
                assert_eq!(event.created_at, at);
            }
        }
    }

    #[test]
    fn unknown_types_have_no_sample() {
        let unknown = EventType::from_name("thing.happened");
        assert_eq!(
            sample_event_json(&unknown, "e", 1).unwrap_err().code(),
            "UNKNOWN_EVENT_TYPE"
        );
    }
}
