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

impl Kind {
    /// The shape as compact JSON, for glue that checks values another parser built (the npm
    /// package's `parseEvent`): `"s"` a string, `"i"` an `i64`, `"u"` a `u64`, `"o"` any
    /// object, `[kind]` an array, `{"name": [kind, required], ...}` an object.
    #[cfg_attr(not(feature = "wasm"), allow(dead_code))]
    pub(crate) fn describe(self, out: &mut String) {
        match self {
            Kind::String => out.push_str("\"s\""),
            Kind::I64 => out.push_str("\"i\""),
            Kind::U64 => out.push_str("\"u\""),
            Kind::AnyObject => out.push_str("\"o\""),
            Kind::Array(element) => {
                out.push('[');
                element.describe(out);
                out.push(']');
            }
            Kind::Object(fields) => {
                out.push('{');
                for (index, field) in fields.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    // Field names are Rust identifiers: nothing to escape.
                    out.push('"');
                    out.push_str(field.name);
                    out.push_str("\":[");
                    field.kind.describe(out);
                    out.push_str(if field.required { ",true]" } else { ",false]" });
                }
                out.push('}');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Kind;
    use crate::ObjectKind;

    #[test]
    fn a_shape_is_described_as_json() {
        let mut out = String::new();
        ObjectKind::Message.shape().describe(&mut out);
        let described: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(described["id"], serde_json::json!(["s", true]));
        assert_eq!(described["created_at"], serde_json::json!(["i", true]));
        assert_eq!(
            described["contact"][0]["id"],
            serde_json::json!(["s", true])
        );
        assert_eq!(described["contact"][1], false);
        let mut array = String::new();
        Kind::Array(&Kind::U64).describe(&mut array);
        assert_eq!(array, r#"["u"]"#);
    }
}
