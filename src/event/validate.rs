//! Payload bytes to a validated event summary in one pass, with JSON-path errors.
//!
//! The envelope is checked as it is read, `data.object` against the shape table of the
//! event's type (looked up when `type` comes first, as DigiVault sends it; otherwise
//! `data` is read again once the type is known). Nothing is allocated on success, but
//! an id with escapes.

use std::borrow::Cow;

use super::scan::{Number, Scanner, SyntaxError, Token};
use super::shape::{Field, Kind};
use super::{EventType, ObjectKind};
use crate::error::Error;

/// What validation tells about a valid event, borrowed from the payload.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EventSummary<'a> {
    /// Event id (never empty).
    pub id: Cow<'a, str>,
    /// Event type.
    pub event_type: EventType,
    /// Unix time (seconds) the event was created.
    pub created_at: i64,
}

/// Validates a payload as a DigiVault event without building it.
///
/// Accepts exactly what [`Event::from_slice`](super::Event::from_slice) accepts; an
/// invalid payload gets [`Error::InvalidJson`] (with the byte offset) or
/// [`Error::InvalidEvent`] (with the JSON path of the first offending value).
pub fn validate_event(payload: &[u8]) -> Result<EventSummary<'_>, Error> {
    check_utf8(payload)?;
    let mut scanner = Scanner::new(payload, 0, 0);
    let envelope = envelope(&mut scanner).and_then(|envelope| {
        scanner.end()?;
        Ok(envelope)
    });
    let (summary, data_later) = envelope.map_err(|failure| failure.into_error(&scanner))?;
    // `data` came before `type`: its object is checked now that the kind is known.
    if let Some(start) = data_later {
        let mut again = Scanner::new(payload, start, 1);
        data(&mut again, kind_of(&summary.event_type))
            .map_err(|failure| failure.at_key("data").into_error(&again))?;
    }
    Ok(summary)
}

/// Rejects a payload that is not UTF-8. Most events are pure ASCII, which a branch-free
/// fold over the bytes (16 bytes per step with simd128) proves faster than `from_utf8`'s
/// word-at-a-time loop; the scanner then reads bytes, and makes `str`s of short slices only.
fn check_utf8(payload: &[u8]) -> Result<(), Error> {
    if payload.iter().fold(0u8, |high, &b| high | b) < 0x80 {
        return Ok(());
    }
    std::str::from_utf8(payload)
        .map(drop)
        .map_err(|err| Error::InvalidJson {
            message: format!("invalid UTF-8 at byte {}", err.valid_up_to()),
        })
}

/// The shape `data.object` must have for an event type.
fn kind_of(event_type: &EventType) -> Kind {
    event_type
        .object_kind()
        .map_or(Kind::AnyObject, ObjectKind::shape)
}

/// Why validation failed: not JSON (the scanner knows where), or JSON of the wrong shape
/// at a path. Boxed, so that results stay one word on the hot path.
enum Failure {
    Syntax,
    Shape(Box<WrongShape>),
}

struct WrongShape {
    path: String,
    expected: String,
}

impl From<SyntaxError> for Failure {
    fn from(_: SyntaxError) -> Self {
        Self::Syntax
    }
}

impl Failure {
    fn shape(expected: String) -> Self {
        Self::Shape(Box::new(WrongShape {
            path: String::new(),
            expected,
        }))
    }

    fn missing(field: &str) -> Self {
        Self::shape("required field is missing".to_owned()).at_key(field)
    }

    fn duplicate(field: &str) -> Self {
        Self::shape("duplicate key".to_owned()).at_key(field)
    }

    /// The failure, inside the value of `key`. Paths are built as errors return, so
    /// valid payloads pay nothing for them.
    fn at_key(mut self, key: &str) -> Self {
        if let Self::Shape(wrong) = &mut self {
            wrong.path = match wrong.path.as_bytes().first() {
                None => key.to_owned(),
                Some(b'[') => format!("{key}{}", wrong.path),
                Some(_) => format!("{key}.{}", wrong.path),
            };
        }
        self
    }

    /// The failure, inside element `index` of an array.
    fn at_index(mut self, index: usize) -> Self {
        if let Self::Shape(wrong) = &mut self {
            wrong.path = match wrong.path.as_bytes().first() {
                None | Some(b'[') => format!("[{index}]{}", wrong.path),
                Some(_) => format!("[{index}].{}", wrong.path),
            };
        }
        self
    }

    /// The error, reading a syntax error's details from the scanner that found it.
    fn into_error(self, scanner: &Scanner<'_>) -> Error {
        match self {
            Self::Syntax => {
                let (message, offset) = scanner.problem();
                Error::InvalidJson {
                    message: format!("{message} at byte {offset}"),
                }
            }
            Self::Shape(wrong) => Error::InvalidEvent {
                path: if wrong.path.is_empty() {
                    "(root)".to_owned()
                } else {
                    wrong.path
                },
                expected: wrong.expected,
            },
        }
    }
}

/// The envelope, and where `data` starts when it came before `type`.
fn envelope<'a>(scanner: &mut Scanner<'a>) -> Result<(EventSummary<'a>, Option<usize>), Failure> {
    expect_object(scanner, "an object")?;
    let mut id = None;
    let mut event_type = None;
    let mut created_at = None;
    let mut data_seen = false;
    let mut data_later = None;
    if !scanner.open(b'{', b'}')? {
        loop {
            match known_key(scanner.key()?, &ENVELOPE_KEYS) {
                Some(0) => {
                    once(id.is_some(), "id")?;
                    id = Some(non_empty_string(scanner).map_err(|f| f.at_key("id"))?);
                }
                Some(1) => {
                    once(event_type.is_some(), "type")?;
                    let name = non_empty_string(scanner).map_err(|f| f.at_key("type"))?;
                    event_type = Some(EventType::from_name(&name));
                }
                Some(2) => {
                    once(created_at.is_some(), "created_at")?;
                    created_at = Some(i64_value(scanner).map_err(|f| f.at_key("created_at"))?);
                }
                Some(3) => {
                    once(data_seen, "data")?;
                    data_seen = true;
                    match &event_type {
                        Some(known) => data(scanner, kind_of(known))
                            .map_err(|failure| failure.at_key("data"))?,
                        None => {
                            scanner.skip_whitespace();
                            data_later = Some(scanner.pos);
                            scanner.skip_value(false)?;
                        }
                    }
                }
                _ => {
                    scanner.skip_value(false)?;
                }
            }
            if !scanner.next_or_close(b'}')? {
                break;
            }
        }
    }
    let summary = EventSummary {
        id: id.ok_or_else(|| Failure::missing("id"))?,
        event_type: event_type.ok_or_else(|| Failure::missing("type"))?,
        created_at: created_at.ok_or_else(|| Failure::missing("created_at"))?,
    };
    if !data_seen {
        return Err(Failure::missing("data"));
    }
    Ok((summary, data_later))
}

/// The envelope's keys, in the order `envelope` matches them.
const ENVELOPE_KEYS: [&str; 4] = ["id", "type", "created_at", "data"];

/// Which of `names` a raw key is. The names hold no backslash, so a raw key equal to one is
/// that key; only a key that matches none is decoded, when it has escapes, and looked up again.
#[inline]
fn known_key(raw: &[u8], names: &[&str]) -> Option<usize> {
    let position = |key: &[u8]| names.iter().position(|name| is_name(name, key));
    position(raw).or_else(|| {
        if raw.contains(&b'\\') {
            position(Scanner::decode(raw).as_bytes())
        } else {
            None
        }
    })
}

fn once(seen: bool, field: &str) -> Result<(), Failure> {
    if seen {
        Err(Failure::duplicate(field))
    } else {
        Ok(())
    }
}

/// `data`: an object whose `object` has the shape `kind`; its other keys are not read.
fn data(scanner: &mut Scanner<'_>, kind: Kind) -> Result<(), Failure> {
    expect_object(scanner, "an object")?;
    let mut seen = false;
    if !scanner.open(b'{', b'}')? {
        loop {
            if known_key(scanner.key()?, &["object"]).is_some() {
                once(seen, "object")?;
                seen = true;
                value(scanner, kind).map_err(|f| f.at_key("object"))?;
            } else {
                scanner.skip_value(false)?;
            }
            if !scanner.next_or_close(b'}')? {
                break;
            }
        }
    }
    if seen {
        Ok(())
    } else {
        Err(Failure::missing("object"))
    }
}

/// A value that must have the shape `kind`.
fn value(scanner: &mut Scanner<'_>, kind: Kind) -> Result<(), Failure> {
    let token = scanner.peek()?;
    match (kind, token) {
        (Kind::String, Token::String) => {
            scanner.string()?;
        }
        (Kind::I64, Token::Number) => {
            i64_value(scanner)?;
        }
        (Kind::U64, Token::Number) => {
            let start = scanner.pos;
            let number = scanner.number()?;
            if !(number.integer && !number.negative && number.magnitude.is_some()) {
                return Err(wrong_number(scanner.since(start), number, kind));
            }
        }
        (Kind::Array(element), Token::Array) => {
            if !scanner.open(b'[', b']')? {
                let mut index = 0;
                loop {
                    value(scanner, *element).map_err(|f| f.at_index(index))?;
                    index += 1;
                    if !scanner.next_or_close(b']')? {
                        break;
                    }
                }
            }
        }
        (Kind::Object(fields), Token::Object) => object(scanner, fields)?,
        (Kind::AnyObject, Token::Object) => {
            if !scanner.open(b'{', b'}')? {
                loop {
                    let key = key(scanner)?;
                    kept_value(scanner).map_err(|f| f.at_key(Scanner::text(&key)))?;
                    if !scanner.next_or_close(b'}')? {
                        break;
                    }
                }
            }
        }
        _ => return Err(mismatch(scanner, token, expected(kind))),
    }
    Ok(())
}

/// An object with `fields`; its other keys are kept by the owned model, so their values
/// must be ones a `serde_json::Value` can hold.
fn object(scanner: &mut Scanner<'_>, fields: &'static [Field]) -> Result<(), Failure> {
    let mut seen = 0u64;
    if !scanner.open(b'{', b'}')? {
        loop {
            let raw = scanner.key()?;
            // Field names hold no backslash: a raw key equal to one is that key. Only a key
            // that matches none is looked at again, decoded, when it has escapes.
            let mut found = field_named(fields, raw);
            let key = if found.is_none() && raw.contains(&b'\\') {
                let decoded = Scanner::decode(raw).into_bytes();
                found = field_named(fields, &decoded);
                Cow::Owned(decoded)
            } else {
                Cow::Borrowed(raw)
            };
            match found {
                Some((index, field)) => {
                    let bit = 1u64 << index;
                    if seen & bit != 0 {
                        return Err(Failure::duplicate(field.name));
                    }
                    seen |= bit;
                    if !field.required && scanner.peek()? == Token::Null {
                        scanner.skip_value(false)?;
                    } else {
                        value(scanner, field.kind).map_err(|f| f.at_key(field.name))?;
                    }
                }
                None => kept_value(scanner).map_err(|f| f.at_key(Scanner::text(&key)))?,
            }
            if !scanner.next_or_close(b'}')? {
                break;
            }
        }
    }
    let missing = fields
        .iter()
        .enumerate()
        .find(|(index, field)| field.required && seen & (1u64 << index) == 0);
    match missing {
        Some((_, field)) => Err(Failure::missing(field.name)),
        None => Ok(()),
    }
}

/// The field of `fields` whose name is `key`, with its index.
#[inline]
fn field_named<'f>(fields: &'f [Field], key: &[u8]) -> Option<(usize, &'f Field)> {
    fields
        .iter()
        .enumerate()
        .find(|(_, field)| is_name(field.name, key))
}

/// Whether `key` is `name`: length and first byte first, where most names differ, before
/// comparing bytes.
#[inline]
fn is_name(name: &str, key: &[u8]) -> bool {
    let name = name.as_bytes();
    name.len() == key.len() && name.first() == key.first() && same_bytes(name, key)
}

/// Whether two slices of the same length are equal. Names are short: up to 16 bytes they
/// are compared as two (overlapping) words, not by `memcmp` (about 5% of the validator's
/// time in wasm went to its calls). Not inlined: one copy measured as fast, and 1.7 KiB
/// smaller than one per call site.
#[inline(never)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len(), "is_name compared the lengths");
    let len = a.len();
    let long = |bytes: &[u8], at: usize| {
        let mut word = [0; 8];
        if let Some(part) = bytes.get(at..at + 8) {
            word.copy_from_slice(part);
        }
        u64::from_le_bytes(word)
    };
    let short = |bytes: &[u8], at: usize| {
        let mut word = [0; 4];
        if let Some(part) = bytes.get(at..at + 4) {
            word.copy_from_slice(part);
        }
        u32::from_le_bytes(word)
    };
    let byte = |bytes: &[u8], at: usize| bytes.get(at).copied();
    match len {
        8..=16 => long(a, 0) == long(b, 0) && long(a, len - 8) == long(b, len - 8),
        4..=7 => short(a, 0) == short(b, 0) && short(a, len - 4) == short(b, len - 4),
        1..=3 => {
            byte(a, 0) == byte(b, 0)
                && byte(a, len / 2) == byte(b, len / 2)
                && byte(a, len - 1) == byte(b, len - 1)
        }
        _ => a == b,
    }
}

/// Any value the owned model keeps as a `serde_json::Value`.
fn kept_value(scanner: &mut Scanner<'_>) -> Result<(), Failure> {
    match scanner.skip_value(true)? {
        Some(offset) => Err(Failure::shape(format!(
            "number at byte {offset} is out of range for a 64-bit float"
        ))),
        None => Ok(()),
    }
}

fn expect_object(scanner: &mut Scanner<'_>, expected: &str) -> Result<(), Failure> {
    match scanner.peek()? {
        Token::Object => Ok(()),
        token => Err(mismatch(scanner, token, expected)),
    }
}

/// A value of the wrong type: read it (a syntax error in it wins), then say what it was.
fn mismatch(scanner: &mut Scanner<'_>, token: Token, expected: &str) -> Failure {
    let start = scanner.pos;
    if let Err(syntax) = scanner.skip_value(false) {
        return syntax.into();
    }
    let raw = scanner.since(start);
    let found = match token {
        Token::Object => "an object".to_owned(),
        Token::Array => "an array".to_owned(),
        Token::Null => "null".to_owned(),
        Token::Bool => format!("boolean {raw}"),
        Token::Number if !raw.contains(['.', 'e', 'E']) => format!("integer {}", clip(raw)),
        Token::Number => format!("number {}", clip(raw)),
        Token::String => format!("string {}", clip(raw)),
    };
    Failure::shape(format!("expected {expected}, found {found}"))
}

/// At most 40 characters of a value, for an error message.
fn clip(raw: &str) -> Cow<'_, str> {
    match raw.char_indices().nth(40) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &raw[..cut])),
        None => Cow::Borrowed(raw),
    }
}

fn expected(kind: Kind) -> &'static str {
    match kind {
        Kind::String => "a string",
        Kind::I64 => "an integer",
        Kind::U64 => "a non-negative integer",
        Kind::Array(_) => "an array",
        Kind::Object(_) | Kind::AnyObject => "an object",
    }
}

fn to_i64(number: Number) -> Option<i64> {
    if !number.integer {
        return None;
    }
    let magnitude = i128::from(number.magnitude?);
    // serde_json reads `-0` as the float -0.0, which no integer field accepts.
    if number.negative && magnitude == 0 {
        return None;
    }
    i64::try_from(if number.negative {
        -magnitude
    } else {
        magnitude
    })
    .ok()
}

fn i64_value(scanner: &mut Scanner<'_>) -> Result<i64, Failure> {
    let token = scanner.peek()?;
    if token != Token::Number {
        return Err(mismatch(scanner, token, expected(Kind::I64)));
    }
    let start = scanner.pos;
    let number = scanner.number()?;
    to_i64(number).ok_or_else(|| wrong_number(scanner.since(start), number, Kind::I64))
}

/// A number that is not an integer of the kind's range.
fn wrong_number(raw: &str, number: Number, kind: Kind) -> Failure {
    let (expected, found) = if number.integer {
        ("an integer that fits in 64 bits", "integer")
    } else {
        (expected(kind), "number")
    };
    let expected = match kind {
        Kind::U64 if number.negative => "a non-negative integer",
        _ => expected,
    };
    Failure::shape(format!("expected {expected}, found {found} {}", clip(raw)))
}

/// A non-empty string, decoded.
fn non_empty_string<'a>(scanner: &mut Scanner<'a>) -> Result<Cow<'a, str>, Failure> {
    let token = scanner.peek()?;
    if token != Token::String {
        return Err(mismatch(scanner, token, "a non-empty string"));
    }
    let text = string(scanner)?;
    if text.is_empty() {
        return Err(Failure::shape("expected a non-empty string".to_owned()));
    }
    Ok(text)
}

/// An object key, decoded.
#[inline]
fn key<'a>(scanner: &mut Scanner<'a>) -> Result<Cow<'a, [u8]>, Failure> {
    let raw = scanner.key()?;
    Ok(if raw.contains(&b'\\') {
        Cow::Owned(Scanner::decode(raw).into_bytes())
    } else {
        Cow::Borrowed(raw)
    })
}

fn string<'a>(scanner: &mut Scanner<'a>) -> Result<Cow<'a, str>, Failure> {
    let raw = scanner.string()?;
    Ok(if raw.contains(&b'\\') {
        Cow::Owned(Scanner::decode(raw))
    } else {
        Cow::Borrowed(Scanner::text(raw))
    })
}

#[cfg(test)]
mod tests {
    use super::same_bytes;

    /// Every byte counts, at every length the word comparisons split differently.
    #[test]
    fn same_bytes_sees_a_difference_at_every_position() {
        for len in 0..=24 {
            let name: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same_bytes(&name, &name.clone()), "len {len}");
            for at in 0..len {
                let mut other = name.clone();
                other[at] ^= 0x20;
                assert!(!same_bytes(&name, &other), "len {len}, at {at}");
            }
        }
    }
}
