//! The JSON shape of each model type, as data: the validator walks these tables, so one
//! small loop checks every object (no deserializer instantiated per type), and the tables
//! come from the same declarations as the models, so the two cannot disagree.

/// What a JSON value must be.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string.
    String,
    /// An integer that fits an `i64`.
    I64,
    /// A non-negative integer that fits a `u64`.
    U64,
    /// An array whose every element is of the inner kind.
    Array(&'static Kind),
    /// An object with these fields; other keys may hold any value.
    Object(&'static [Field]),
    /// Any object: the object of an event type this version does not know.
    AnyObject,
}

/// A field of an object.
#[derive(Debug)]
pub struct Field {
    /// The JSON key.
    pub name: &'static str,
    /// What its value must be (`null` is also accepted when optional).
    pub kind: Kind,
    /// Whether the key must be present.
    pub required: bool,
}

/// A model type and its shape.
pub trait Shape {
    /// What JSON the model accepts.
    const KIND: Kind;
}

impl Shape for String {
    const KIND: Kind = Kind::String;
}

impl Shape for i64 {
    const KIND: Kind = Kind::I64;
}

impl Shape for u64 {
    const KIND: Kind = Kind::U64;
}

impl Shape for Vec<String> {
    const KIND: Kind = Kind::Array(&Kind::String);
}
