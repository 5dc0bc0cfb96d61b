//! The sixteen event types of the guide, plus a forward-compatible unknown case.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Which typed object an event type carries in `data.object`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ObjectKind {
    /// [`Conversation`](crate::Conversation).
    Conversation,
    /// [`Message`](crate::Message).
    Message,
    /// [`Contact`](crate::Contact).
    Contact,
    /// [`Group`](crate::Group).
    Group,
    /// [`GroupMembership`](crate::GroupMembership).
    GroupMembership,
}

impl ObjectKind {
    /// The TypeScript type name of this object in the npm package.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Conversation => "Conversation",
            Self::Message => "Message",
            Self::Contact => "Contact",
            Self::Group => "Group",
            Self::GroupMembership => "GroupMembership",
        }
    }
}

macro_rules! event_types {
    ($($variant:ident => $name:literal, $kind:ident, $description:literal;)*) => {
        /// The `type` of an event.
        ///
        /// Types DigiVault adds later parse as [`EventType::Unknown`] instead of failing.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum EventType {
            $(
                #[doc = concat!("`", $name, "`: ", $description, ".")]
                $variant,
            )*
            /// A type this version does not know, kept verbatim.
            Unknown(String),
        }

        impl EventType {
            /// The sixteen types of the guide, in its order.
            pub const ALL: [EventType; 16] = [$(EventType::$variant),*];

            /// The type from its wire name; names not in the guide become [`EventType::Unknown`].
            pub fn from_name(name: &str) -> Self {
                match name {
                    $($name => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }

            /// The wire name, e.g. `conversation.message.created`.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $name,)*
                    Self::Unknown(name) => name,
                }
            }

            /// The guide's one-line description, `None` for unknown types.
            pub fn description(&self) -> Option<&'static str> {
                match self {
                    $(Self::$variant => Some($description),)*
                    Self::Unknown(_) => None,
                }
            }

            /// TypeScript declarations of the event types, emitted into the npm package's
            /// `.d.ts` from this same table so the Rust and TS types cannot drift.
            pub const TYPESCRIPT: &'static str = concat!(
                "/** The type of a DigiVault event: one of the sixteen in the guide. */\n",
                "export type EventType =",
                $(" | \"", $name, "\"",)*
                ";\n\n",
                "/** A known event: its `data.object` is typed by its `type`. */\n",
                "export type KnownEvent =",
                $("\n  | EventOf<\"", $name, "\", ", stringify!($kind), ">",)*
                ";\n",
            );

            /// The typed object this event carries, `None` for unknown types.
            pub fn object_kind(&self) -> Option<ObjectKind> {
                match self {
                    $(Self::$variant => Some(ObjectKind::$kind),)*
                    Self::Unknown(_) => None,
                }
            }
        }
    };
}

event_types! {
    ConversationCreated => "conversation.created", Conversation, "A new conversation was created";
    ConversationUpdated => "conversation.updated", Conversation, "A conversation was updated";
    ConversationArchived => "conversation.archived", Conversation, "A conversation was archived";
    ConversationDeleted => "conversation.deleted", Conversation, "A conversation was deleted";
    MessageCreated => "conversation.message.created", Message, "A new message was sent in a conversation";
    MessageUpdated => "conversation.message.updated", Message, "A message was edited";
    MessageDeleted => "conversation.message.deleted", Message, "A message was deleted";
    MessageRead => "conversation.message.read", Message, "A message was read";
    ContactCreated => "contact.created", Contact, "A new contact was created";
    ContactUpdated => "contact.updated", Contact, "A contact was updated";
    ContactDeleted => "contact.deleted", Contact, "A contact was deleted";
    GroupCreated => "group.created", Group, "A new group was created";
    GroupUpdated => "group.updated", Group, "A group was updated";
    GroupMemberAdded => "group.member_added", GroupMembership, "A member was added to a group";
    GroupMemberRemoved => "group.member_removed", GroupMembership, "A member was removed from a group";
    GroupDeleted => "group.deleted", Group, "A group was deleted";
}

impl EventType {
    /// Whether this is one of the sixteen types of the guide.
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Unknown(_))
    }

    /// A known type from its wire name, or [`Error::UnknownEventType`](crate::Error::UnknownEventType).
    pub fn known(name: &str) -> Result<Self, crate::Error> {
        match Self::from_name(name) {
            Self::Unknown(other) => Err(crate::Error::UnknownEventType(other)),
            known => Ok(known),
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = std::convert::Infallible;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_name(name))
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = EventType;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event type string")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<EventType, E> {
                if name.is_empty() {
                    return Err(E::invalid_value(de::Unexpected::Str(name), &self));
                }
                Ok(EventType::from_name(name))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}
