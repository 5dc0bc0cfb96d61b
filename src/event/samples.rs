//! Deterministic sample events, one per type: what the dashboard's "Send test webhook" sends.

use super::{
    Contact, Conversation, Event, EventObject, EventType, Group, GroupMembership, Message,
    ObjectKind,
};
use crate::error::Error;

/// `created_at` of every sample: the guide's example timestamp.
pub const SAMPLE_CREATED_AT: i64 = 1_640_995_200;

/// A sample event of a known type with the given id and timestamp.
///
/// Deterministic: the same arguments give the same event, so signatures over
/// [`Event::to_json`] of a sample are reproducible.
///
/// ```
/// use digivault_webhooks::{sample_event, EventType, SAMPLE_CREATED_AT};
/// let event = sample_event(&EventType::MessageCreated, "webhook_test_123", SAMPLE_CREATED_AT).unwrap();
/// assert!(event.to_json().contains("This is a test message"));
/// ```
pub fn sample_event(event_type: &EventType, id: &str, created_at: i64) -> Result<Event, Error> {
    let kind = event_type
        .object_kind()
        .ok_or_else(|| Error::UnknownEventType(event_type.as_str().to_owned()))?;
    Ok(Event::new(
        id.to_owned(),
        event_type.clone(),
        created_at,
        sample_object(kind, event_type, created_at),
    ))
}

/// The id samples use by default: `webhook_test_` and the type with `.` as `_`.
pub fn default_sample_id(event_type: &EventType) -> String {
    format!("webhook_test_{}", event_type.as_str().replace('.', "_"))
}

fn sample_contact(created_at: i64) -> Contact {
    Contact {
        id: "WAz8eIbvDR60rouK".into(),
        username: Some("FrankMcCallister".into()),
        name: Some("Frank McCallister".into()),
        avatar_url: Some("https://assets.digivault.com/avatars/frank.jpg".into()),
        created_at: Some(created_at),
        ..Contact::default()
    }
}

fn sample_object(kind: ObjectKind, event_type: &EventType, at: i64) -> EventObject {
    let archived = *event_type == EventType::ConversationArchived;
    match kind {
        ObjectKind::Conversation => EventObject::Conversation(Conversation {
            id: "test_conversation_id".into(),
            name: Some("Test conversation".into()),
            status: Some(if archived { "archived" } else { "open" }.into()),
            participant_ids: Some(vec!["WAz8eIbvDR60rouK".into()]),
            created_at: Some(at),
            updated_at: Some(at),
            archived_at: archived.then_some(at),
            ..Conversation::default()
        }),
        ObjectKind::Message => EventObject::Message(Message {
            id: "test_message_id".into(),
            conversation_id: "test_conversation_id".into(),
            contact: None,
            message: "This is a test message".into(),
            created_at: at,
            ..Message::default()
        }),
        ObjectKind::Contact => EventObject::Contact(sample_contact(at)),
        ObjectKind::Group => EventObject::Group(Group {
            id: "test_group_id".into(),
            name: Some("Test group".into()),
            description: Some("A group for testing webhooks".into()),
            member_count: Some(3),
            created_at: Some(at),
            updated_at: Some(at),
            ..Group::default()
        }),
        ObjectKind::GroupMembership => EventObject::GroupMembership(GroupMembership {
            id: "test_membership_id".into(),
            group_id: Some("test_group_id".into()),
            contact: Some(sample_contact(at)),
            role: Some("member".into()),
            created_at: Some(at),
            ..GroupMembership::default()
        }),
    }
}
