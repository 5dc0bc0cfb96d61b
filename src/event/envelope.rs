//! The envelope check in one pass: when `type` comes before `data` (as DigiVault sends it),
//! `data.object` is checked as it is read instead of being skipped and read again.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::objects::{
    ContactCheck, ConversationCheck, GroupCheck, GroupMembershipCheck, MessageCheck,
};
use super::shape::AnyObject;
use super::{EventType, ObjectKind};

/// The checked envelope. `object` is `None` when it was checked in passing, or the raw
/// object still to check when `data` came before `type`.
pub(super) struct EnvelopeCheck<'a> {
    pub id: Cow<'a, str>,
    pub event_type: EventType,
    pub created_at: i64,
    pub object: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum EnvelopeKey {
    Id,
    #[serde(rename = "type")]
    Type,
    CreatedAt,
    Data,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for EnvelopeCheck<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EnvelopeVisitor)
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = EnvelopeCheck<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut id: Option<Cow<'de, str>> = None;
        let mut event_type: Option<EventType> = None;
        let mut created_at: Option<i64> = None;
        let mut object: Option<Option<&'de RawValue>> = None;
        while let Some(key) = map.next_key::<EnvelopeKey>()? {
            match key {
                EnvelopeKey::Id => {
                    once(&id, "id")?;
                    id = Some(map.next_value::<BorrowedStr<'de>>()?.0);
                }
                EnvelopeKey::Type => {
                    once(&event_type, "type")?;
                    event_type = Some(map.next_value()?);
                }
                EnvelopeKey::CreatedAt => {
                    once(&created_at, "created_at")?;
                    created_at = Some(map.next_value()?);
                }
                EnvelopeKey::Data => {
                    once(&object, "data")?;
                    object = Some(match &event_type {
                        Some(known) => {
                            map.next_value_seed(DataSeed(known.object_kind()))?;
                            None
                        }
                        None => Some(map.next_value::<RawData<'de>>()?.object),
                    });
                }
                EnvelopeKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(EnvelopeCheck {
            id: id.ok_or_else(|| de::Error::missing_field("id"))?,
            event_type: event_type.ok_or_else(|| de::Error::missing_field("type"))?,
            created_at: created_at.ok_or_else(|| de::Error::missing_field("created_at"))?,
            object: object.ok_or_else(|| de::Error::missing_field("data"))?,
        })
    }
}

fn once<T, E: de::Error>(slot: &Option<T>, field: &'static str) -> Result<(), E> {
    match slot {
        Some(_) => Err(E::duplicate_field(field)),
        None => Ok(()),
    }
}

/// A string borrowed from the payload when it has no escapes.
struct BorrowedStr<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for BorrowedStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = BorrowedStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(BorrowedStr(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(BorrowedStr(Cow::Owned(text.to_owned())))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

/// `data` when the type is not known yet: the object kept raw for a second look.
#[derive(Deserialize)]
struct RawData<'a> {
    #[serde(borrow)]
    object: &'a RawValue,
}

/// `data` when the type is known: `object` checked as the type's object.
struct DataSeed(Option<ObjectKind>);

impl<'de> DeserializeSeed<'de> for DataSeed {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum DataKey {
    Object,
    #[serde(other)]
    Other,
}

impl<'de> Visitor<'de> for DataSeed {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<DataKey>()? {
            match key {
                DataKey::Object if seen => return Err(de::Error::duplicate_field("object")),
                DataKey::Object => {
                    seen = true;
                    map.next_value_seed(ObjectSeed(self.0))?;
                }
                DataKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if seen {
            Ok(())
        } else {
            Err(de::Error::missing_field("object"))
        }
    }
}

/// Checks `data.object` as the object of an event kind (any object for unknown types).
#[derive(Clone, Copy)]
pub(super) struct ObjectSeed(pub Option<ObjectKind>);

impl<'de> DeserializeSeed<'de> for ObjectSeed {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.0 {
            Some(ObjectKind::Conversation) => {
                ConversationCheck::deserialize(deserializer).map(drop)
            }
            Some(ObjectKind::Message) => MessageCheck::deserialize(deserializer).map(drop),
            Some(ObjectKind::Contact) => ContactCheck::deserialize(deserializer).map(drop),
            Some(ObjectKind::Group) => GroupCheck::deserialize(deserializer).map(drop),
            Some(ObjectKind::GroupMembership) => {
                GroupMembershipCheck::deserialize(deserializer).map(drop)
            }
            None => AnyObject::deserialize(deserializer).map(drop),
        }
    }
}
