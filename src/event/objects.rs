//! The typed objects carried in `data.object`.
//!
//! The message object follows the guide exactly (`contact` optional, as in its test event).
//! The other objects are not specified by the guide: every field but `id` is optional and
//! fields this version does not know are kept in `extra`, so new provider fields never
//! break parsing.
//!
//! Each object is declared once; the macro derives both the owned model and its
//! [`Shape`] (the table the validator walks), so the two cannot disagree on what is valid.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::shape::{Field, Kind, Shape};
use super::ObjectKind;

/// Fields an object carries that this version does not model.
pub type Extra = Map<String, Value>;

macro_rules! objects {
    ($(
        $(#[$struct_meta:meta])*
        $name:ident {
            required { $($(#[$req_meta:meta])* $req:ident: $req_ty:ty,)* }
            optional { $($(#[$opt_meta:meta])* $opt:ident: $opt_ty:ty,)* }
        }
    )*) => {$(
        $(#[$struct_meta])*
        #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
        #[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
        pub struct $name {
            $($(#[$req_meta])* pub $req: $req_ty,)*
            $(
                $(#[$opt_meta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $opt: Option<$opt_ty>,
            )*
            /// Fields not modelled here, kept as received.
            #[serde(flatten)]
            #[cfg_attr(feature = "wasm", tsify(type = "Record<string, unknown>"))]
            pub extra: Extra,
        }

        impl Shape for $name {
            const KIND: Kind = Kind::Object(&[
                $(Field { name: stringify!($req), kind: <$req_ty as Shape>::KIND, required: true },)*
                $(Field { name: stringify!($opt), kind: <$opt_ty as Shape>::KIND, required: false },)*
            ]);
        }
    )*};
}

objects! {
    /// A contact (a person the account talks to), as embedded in messages and sent with
    /// `contact.*` events.
    Contact {
        required {
            /// Contact id.
            id: String,
        }
        optional {
            /// Handle, e.g. `FrankMcCallister`.
            username: String,
            /// Display name.
            name: String,
            /// Avatar image URL.
            avatar_url: String,
            /// Email address.
            email: String,
            /// Phone number.
            phone: String,
            /// Unix time (seconds) of creation.
            created_at: i64,
            /// Unix time (seconds) of the last update.
            updated_at: i64,
        }
    }

    /// A message in a conversation (`conversation.message.*` events), exactly as the guide shows it.
    Message {
        required {
            /// Message id.
            id: String,
            /// The conversation the message belongs to.
            conversation_id: String,
            /// Message text.
            message: String,
            /// Unix time (seconds) the message was sent.
            created_at: i64,
        }
        optional {
            /// The sender; absent in the guide's test event.
            contact: Contact,
        }
    }

    /// A conversation (`conversation.*` events).
    Conversation {
        required {
            /// Conversation id.
            id: String,
        }
        optional {
            /// Subject or title.
            name: String,
            /// Lifecycle state, e.g. `open` or `archived`.
            status: String,
            /// Ids of the contacts taking part.
            participant_ids: Vec<String>,
            /// Unix time (seconds) of creation.
            created_at: i64,
            /// Unix time (seconds) of the last update.
            updated_at: i64,
            /// Unix time (seconds) of archiving.
            archived_at: i64,
        }
    }

    /// A group of contacts (`group.created`, `group.updated`, `group.deleted`).
    Group {
        required {
            /// Group id.
            id: String,
        }
        optional {
            /// Group name.
            name: String,
            /// Free-text description.
            description: String,
            /// Group image URL.
            avatar_url: String,
            /// Number of members.
            member_count: u64,
            /// Unix time (seconds) of creation.
            created_at: i64,
            /// Unix time (seconds) of the last update.
            updated_at: i64,
        }
    }

    /// A contact's membership of a group (`group.member_added`, `group.member_removed`).
    GroupMembership {
        required {
            /// Membership id.
            id: String,
        }
        optional {
            /// The group.
            group_id: String,
            /// The member.
            contact: Contact,
            /// Role in the group, e.g. `member` or `admin`.
            role: String,
            /// Unix time (seconds) of the change.
            created_at: i64,
        }
    }
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

impl ObjectKind {
    /// The shape of this kind's object, from its declaration above.
    pub(crate) fn shape(self) -> Kind {
        match self {
            Self::Conversation => Conversation::KIND,
            Self::Message => Message::KIND,
            Self::Contact => Contact::KIND,
            Self::Group => Group::KIND,
            Self::GroupMembership => GroupMembership::KIND,
        }
    }
}
