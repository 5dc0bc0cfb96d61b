//! The typed objects carried in `data.object`.
//!
//! The message object follows the guide exactly (`contact` optional, as in its test event).
//! The other objects are not specified by the guide: every field but `id` is optional and
//! fields this version does not know are kept in `extra`, so new provider fields never
//! break parsing.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Fields an object carries that this version does not model.
pub type Extra = Map<String, Value>;

/// A contact (a person the account talks to), as embedded in messages and sent with
/// `contact.*` events.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
pub struct Contact {
    /// Contact id.
    pub id: String,
    /// Handle, e.g. `FrankMcCallister`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Avatar image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Unix time (seconds) of creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Unix time (seconds) of the last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    /// Fields not modelled here, kept as received.
    #[serde(flatten)]
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, unknown>"))]
    pub extra: Extra,
}

/// A message in a conversation (`conversation.message.*` events), exactly as the guide shows it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
pub struct Message {
    /// Message id.
    pub id: String,
    /// The conversation the message belongs to.
    pub conversation_id: String,
    /// The sender; absent in the guide's test event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// Message text.
    pub message: String,
    /// Unix time (seconds) the message was sent.
    pub created_at: i64,
    /// Fields not modelled here, kept as received.
    #[serde(flatten)]
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, unknown>"))]
    pub extra: Extra,
}

/// A conversation (`conversation.*` events).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
pub struct Conversation {
    /// Conversation id.
    pub id: String,
    /// Subject or title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Lifecycle state, e.g. `open` or `archived`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Ids of the contacts taking part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_ids: Option<Vec<String>>,
    /// Unix time (seconds) of creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Unix time (seconds) of the last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    /// Unix time (seconds) of archiving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<i64>,
    /// Fields not modelled here, kept as received.
    #[serde(flatten)]
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, unknown>"))]
    pub extra: Extra,
}

/// A group of contacts (`group.created`, `group.updated`, `group.deleted`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
pub struct Group {
    /// Group id.
    pub id: String,
    /// Group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Group image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// Number of members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u64>,
    /// Unix time (seconds) of creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Unix time (seconds) of the last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    /// Fields not modelled here, kept as received.
    #[serde(flatten)]
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, unknown>"))]
    pub extra: Extra,
}

/// A contact's membership of a group (`group.member_added`, `group.member_removed`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
pub struct GroupMembership {
    /// Membership id.
    pub id: String,
    /// The group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// The member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// Role in the group, e.g. `member` or `admin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Unix time (seconds) of the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Fields not modelled here, kept as received.
    #[serde(flatten)]
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, unknown>"))]
    pub extra: Extra,
}

/// The typed `data.object` of an event, chosen by the event's type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum EventObject {
    /// For `conversation.created|updated|archived|deleted`.
    Conversation(Conversation),
    /// For `conversation.message.*`.
    Message(Message),
    /// For `contact.*`.
    Contact(Contact),
    /// For `group.created|updated|deleted`.
    Group(Group),
    /// For `group.member_added|member_removed`.
    GroupMembership(GroupMembership),
    /// For a type this version does not know: the object as received.
    Unknown(Map<String, Value>),
}
