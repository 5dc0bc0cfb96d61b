//! Allocation-free shape checks: each model type names a `Check` type that deserializes
//! the same JSON, accepts and rejects exactly what the model does, and keeps nothing.
//!
//! Validating through these instead of the owned models is what keeps the wasm small
//! (no map of unknown fields, no `serde_json::Value`) and fast (no allocation per field).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A model type and its allocation-free check.
pub trait Shape {
    /// Deserializes what `Self` does, keeping nothing.
    type Check: for<'de> Deserialize<'de> + Default;
}

impl Shape for String {
    type Check = AnyString;
}

impl Shape for i64 {
    type Check = i64;
}

impl Shape for u64 {
    type Check = u64;
}

impl<T: Shape> Shape for Vec<T> {
    type Check = AnyArray<T::Check>;
}

/// Any JSON string, borrowed or escaped.
#[derive(Default)]
pub struct AnyString;

impl<'de> Deserialize<'de> for AnyString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringVisitor;
        impl Visitor<'_> for StringVisitor {
            type Value = AnyString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<AnyString, E> {
                Ok(AnyString)
            }
        }
        deserializer.deserialize_str(StringVisitor)
    }
}

/// A JSON array whose every element passes `T`.
pub struct AnyArray<T>(PhantomData<T>);

impl<T> Default for AnyArray<T> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for AnyArray<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ArrayVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ArrayVisitor<T> {
            type Value = AnyArray<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyArray<T>, A::Error> {
                while seq.next_element::<T>()?.is_some() {}
                Ok(AnyArray::default())
            }
        }
        deserializer.deserialize_seq(ArrayVisitor(PhantomData))
    }
}

/// Any JSON object, contents unchecked: the object of an event type we do not know.
#[derive(Default)]
pub struct AnyObject;

impl<'de> Deserialize<'de> for AnyObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = AnyObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyObject, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(AnyObject)
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// Any JSON value, every string in it decoded (so escapes are checked) and nothing kept.
#[derive(Default)]
pub struct AnyValue;

impl<'de> Deserialize<'de> for AnyValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = AnyValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<AnyValue, E> {
                Ok(AnyValue)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<AnyValue, E> {
                Ok(AnyValue)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<AnyValue, E> {
                Ok(AnyValue)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<AnyValue, E> {
                Ok(AnyValue)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<AnyValue, E> {
                Ok(AnyValue)
            }
            fn visit_unit<E: de::Error>(self) -> Result<AnyValue, E> {
                Ok(AnyValue)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyValue, A::Error> {
                while seq.next_element::<AnyValue>()?.is_some() {}
                Ok(AnyValue)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyValue, A::Error> {
                while map.next_entry::<AnyString, AnyValue>()?.is_some() {}
                Ok(AnyValue)
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}
