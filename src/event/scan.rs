//! A strict JSON token scanner over a UTF-8 document: strings, numbers and literals are
//! checked exactly as serde_json reads them (RFC 8259, unpaired surrogate escapes and
//! nesting deeper than [`MAX_DEPTH`] refused), but nothing is built or kept.
//!
//! serde_json stays the parser of the owned models; this scanner exists because checking
//! an event through serde's visitors instantiates a deserializer per object type, twice
//! with path tracking, which was half of the npm package's `.wasm`.

use std::cell::Cell;

/// How deep arrays and objects may nest: serde_json's own recursion limit, so that the
/// owned models (which recurse) accept every document the validator accepts.
pub(super) const MAX_DEPTH: usize = 128;

/// The document is not JSON. What and where are kept by the scanner
/// ([`Scanner::problem`]), so that results stay small on the hot path.
#[derive(Debug, Clone, Copy)]
pub(super) struct SyntaxError;

/// What a value turned out to be, with its raw text for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

/// A number as written: enough to tell its type and whether an `f64` can hold it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Number {
    /// A leading `-`.
    pub negative: bool,
    /// No fraction and no exponent.
    pub integer: bool,
    /// The magnitude, when `integer` and it fits a `u64`.
    pub magnitude: Option<u64>,
    /// Too large for an `f64` (serde_json refuses it where it keeps the value).
    pub out_of_range: bool,
}

/// The largest `f64`, in the 17 digits that round-trip it: anything larger is refused.
const F64_MAX_DIGITS: &[u8] = b"17976931348623157";
/// Its decimal exponent, as `0.d1d2… × 10^F64_MAX_EXPONENT`.
const F64_MAX_EXPONENT: i64 = 309;

/// A cursor over the document.
pub(super) struct Scanner<'a> {
    json: &'a [u8],
    pub pos: usize,
    depth: usize,
    problem: Cell<(&'static str, usize)>,
}

impl<'a> Scanner<'a> {
    /// A scanner at `pos` of a document already checked to be UTF-8, inside `depth` open
    /// containers.
    pub fn new(json: &'a [u8], pos: usize, depth: usize) -> Self {
        Self {
            json,
            pos,
            depth,
            problem: Cell::new(("", 0)),
        }
    }

    /// Records a syntax error at the cursor.
    pub fn error(&self, message: &'static str) -> SyntaxError {
        self.problem.set((message, self.pos));
        SyntaxError
    }

    /// The last syntax error: what, and at which byte.
    pub fn problem(&self) -> (&'static str, usize) {
        self.problem.get()
    }

    fn peek_byte(&self) -> Option<u8> {
        self.json.get(self.pos).copied()
    }

    pub fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek_byte() {
            self.pos += 1;
        }
    }

    /// The next value's kind, after whitespace, without consuming it.
    pub fn peek(&mut self) -> Result<Token, SyntaxError> {
        self.skip_whitespace();
        match self.peek_byte() {
            Some(b'{') => Ok(Token::Object),
            Some(b'[') => Ok(Token::Array),
            Some(b'"') => Ok(Token::String),
            Some(b'-' | b'0'..=b'9') => Ok(Token::Number),
            Some(b't' | b'f') => Ok(Token::Bool),
            Some(b'n') => Ok(Token::Null),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end of input")),
        }
    }

    /// Consumes `byte` after whitespace.
    pub fn expect(&mut self, byte: u8, message: &'static str) -> Result<(), SyntaxError> {
        self.skip_whitespace();
        if self.peek_byte() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else if self.pos >= self.json.len() {
            Err(self.error("unexpected end of input"))
        } else {
            Err(self.error(message))
        }
    }

    /// After an element: `true` for `,` (another follows), `false` for `close`.
    pub fn next_or_close(&mut self, close: u8) -> Result<bool, SyntaxError> {
        self.skip_whitespace();
        match self.peek_byte() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(byte) if byte == close => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            Some(_) if close == b'}' => Err(self.error("expected ',' or '}'")),
            Some(_) => Err(self.error("expected ',' or ']'")),
            None => Err(self.error("unexpected end of input")),
        }
    }

    /// Consumes `open`; `true` when the container is empty (and closed again).
    pub fn open(&mut self, open: u8, close: u8) -> Result<bool, SyntaxError> {
        self.expect(open, "expected a container")?;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nested deeper than 128 levels"));
        }
        self.skip_whitespace();
        if self.peek_byte() == Some(close) {
            self.pos += 1;
            self.depth -= 1;
            return Ok(true);
        }
        Ok(false)
    }

    /// A key and its colon; the key's raw bytes (escapes undecoded).
    pub fn key(&mut self) -> Result<&'a [u8], SyntaxError> {
        self.skip_whitespace();
        if self.peek_byte() != Some(b'"') {
            return Err(self.error("expected a string key"));
        }
        let key = self.string()?;
        self.expect(b':', "expected ':'")?;
        Ok(key)
    }

    /// A string at the cursor: its raw bytes between the quotes, escapes undecoded (a
    /// backslash in them says there are some). Not converted to `str`: most strings are
    /// only skipped. Just the slice is returned, which travels in registers.
    #[inline]
    pub fn string(&mut self) -> Result<&'a [u8], SyntaxError> {
        self.pos += 1; // the opening quote, checked by the caller
        let start = self.pos;
        self.pos += plain_prefix(self.span(self.pos, self.json.len()));
        // Nearly every string ends here; inlined, this path costs no call.
        if self.peek_byte() == Some(b'"') {
            let raw = self.span(start, self.pos);
            self.pos += 1;
            return Ok(raw);
        }
        self.string_with_escapes(start)
    }

    /// The rest of a string that reached a backslash, a control character or the end.
    #[inline(never)]
    fn string_with_escapes(&mut self, start: usize) -> Result<&'a [u8], SyntaxError> {
        loop {
            match self.peek_byte() {
                Some(b'"') => {
                    let raw = self.span(start, self.pos);
                    self.pos += 1;
                    return Ok(raw);
                }
                Some(b'\\') => self.escape()?,
                Some(0..=0x1f) => return Err(self.error("control character in a string")),
                Some(_) => self.pos += 1, // not reached: plain_prefix stops only at the above
                None => return Err(self.error("unexpected end of input in a string")),
            }
            self.pos += plain_prefix(self.span(self.pos, self.json.len()));
        }
    }

    /// The document from `start` to `end`: positions the scanner reached, so always in
    /// bounds and in order.
    #[inline]
    fn span(&self, start: usize, end: usize) -> &'a [u8] {
        debug_assert!(
            start <= end && end <= self.json.len(),
            "a span the scanner reached"
        );
        self.json.get(start..end).unwrap_or_default()
    }

    /// Text of the document validated as UTF-8, cut at ASCII delimiters: always whole.
    pub fn text(bytes: &'a [u8]) -> &'a str {
        let text = std::str::from_utf8(bytes);
        debug_assert!(text.is_ok(), "the scanner validated the document as UTF-8");
        text.unwrap_or_default()
    }

    /// The text of a string with escapes the scanner accepted.
    pub fn decode(raw: &'a [u8]) -> String {
        let raw = Self::text(raw);
        let mut text = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        let mut pending_high: Option<u32> = None;
        while let Some(c) = chars.next() {
            if c != '\\' {
                text.push(c);
                continue;
            }
            let unit = match chars.next() {
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let unit = u32::from_str_radix(&hex, 16);
                    debug_assert!(
                        unit.is_ok(),
                        "the scanner accepted only four hex digits after \\u"
                    );
                    unit.unwrap_or_default()
                }
                Some('b') => 0x08,
                Some('f') => 0x0c,
                Some('n') => 0x0a,
                Some('r') => 0x0d,
                Some('t') => 0x09,
                Some(other) => u32::from(other),
                None => break,
            };
            // The scanner refused unpaired surrogates: a high one is always followed by a low one.
            let code = match (pending_high.take(), unit) {
                (None, 0xD800..=0xDBFF) => {
                    pending_high = Some(unit);
                    continue;
                }
                (Some(high), low) => {
                    0x10000 + (high.wrapping_sub(0xD800) << 10) + low.wrapping_sub(0xDC00)
                }
                (None, code) => code,
            };
            text.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        text
    }

    /// One escape sequence at the cursor (the backslash).
    fn escape(&mut self) -> Result<(), SyntaxError> {
        self.pos += 1;
        match self.peek_byte() {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.pos += 1;
                Ok(())
            }
            Some(b'u') => {
                let unit = self.hex_escape()?;
                match unit {
                    0xD800..=0xDBFF => {
                        if self.json.get(self.pos..self.pos + 2) != Some(b"\\u") {
                            return Err(self.error("unpaired surrogate escape"));
                        }
                        self.pos += 1;
                        if !(0xDC00..=0xDFFF).contains(&self.hex_escape()?) {
                            return Err(self.error("unpaired surrogate escape"));
                        }
                        Ok(())
                    }
                    0xDC00..=0xDFFF => Err(self.error("unpaired surrogate escape")),
                    _ => Ok(()),
                }
            }
            Some(_) => Err(self.error("invalid escape")),
            None => Err(self.error("unexpected end of input in a string")),
        }
    }

    /// `u` and four hex digits at the cursor; the code unit.
    fn hex_escape(&mut self) -> Result<u32, SyntaxError> {
        self.pos += 1;
        let digits = self
            .json
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("unexpected end of input in a string"))?;
        let mut unit = 0;
        for &digit in digits {
            let value = char::from(digit)
                .to_digit(16)
                .ok_or_else(|| self.error("invalid \\u escape"))?;
            unit = unit * 16 + value;
        }
        self.pos += 4;
        Ok(unit)
    }

    /// A number at the cursor.
    pub fn number(&mut self) -> Result<Number, SyntaxError> {
        let negative = self.peek_byte() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.peek_byte() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("invalid number")),
        }
        let int_digits = self.span(int_start, self.pos);
        if let Some(b'0'..=b'9') = self.peek_byte() {
            return Err(self.error("invalid number: leading zero"));
        }
        let mut fraction: &[u8] = &[];
        if self.peek_byte() == Some(b'.') {
            self.pos += 1;
            let start = self.pos;
            self.digits();
            if self.pos == start {
                return Err(self.error("invalid number: no digit after '.'"));
            }
            fraction = self.span(start, self.pos);
        }
        let mut exponent: i64 = 0;
        let mut has_exponent = false;
        if let Some(b'e' | b'E') = self.peek_byte() {
            has_exponent = true;
            self.pos += 1;
            let negative_exponent = match self.peek_byte() {
                Some(b'-') => {
                    self.pos += 1;
                    true
                }
                Some(b'+') => {
                    self.pos += 1;
                    false
                }
                _ => false,
            };
            let start = self.pos;
            self.digits();
            if self.pos == start {
                return Err(self.error("invalid number: no digit in the exponent"));
            }
            for &digit in self.span(start, self.pos) {
                // Saturates far beyond any f64 exponent; only the sign then matters.
                exponent = (exponent * 10 + i64::from(digit - b'0')).min(1 << 40);
            }
            if negative_exponent {
                exponent = -exponent;
            }
        }
        let integer = fraction.is_empty() && !has_exponent;
        let magnitude = if integer { magnitude(int_digits) } else { None };
        let out_of_range = magnitude.is_none() && beyond_f64(int_digits, fraction, exponent);
        Ok(Number {
            negative,
            integer,
            magnitude,
            out_of_range,
        })
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek_byte() {
            self.pos += 1;
        }
    }

    /// `true`, `false` or `null` at the cursor.
    fn literal(&mut self) -> Result<(), SyntaxError> {
        let rest = self.span(self.pos, self.json.len());
        for word in [&b"true"[..], b"false", b"null"] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(());
            }
        }
        Err(self.error("expected a value"))
    }

    /// Any value, checked and skipped. With `keep`, numbers are also checked the way an
    /// owned `serde_json::Value` would hold them (found out-of-range: the offset of the
    /// first such number, kept for the caller to report with its path).
    pub fn skip_value(&mut self, keep: bool) -> Result<Option<usize>, SyntaxError> {
        let mut out_of_range = None;
        match self.peek()? {
            Token::String => {
                self.string()?;
            }
            Token::Number => {
                let at = self.pos;
                if self.number()?.out_of_range && keep {
                    out_of_range = Some(at);
                }
            }
            Token::Bool | Token::Null => self.literal()?,
            Token::Array => {
                if !self.open(b'[', b']')? {
                    loop {
                        let found = self.skip_value(keep)?;
                        out_of_range = out_of_range.or(found);
                        if !self.next_or_close(b']')? {
                            break;
                        }
                    }
                }
            }
            Token::Object => {
                if !self.open(b'{', b'}')? {
                    loop {
                        self.key()?;
                        let found = self.skip_value(keep)?;
                        out_of_range = out_of_range.or(found);
                        if !self.next_or_close(b'}')? {
                            break;
                        }
                    }
                }
            }
        }
        Ok(out_of_range)
    }

    /// Only whitespace may follow the document.
    pub fn end(&mut self) -> Result<(), SyntaxError> {
        self.skip_whitespace();
        if self.pos < self.json.len() {
            return Err(self.error("trailing characters after the document"));
        }
        Ok(())
    }

    /// The raw text from `start` to the cursor.
    pub fn since(&self, start: usize) -> &'a str {
        Self::text(self.span(start, self.pos))
    }
}

/// `text` from `at`, a position already reached in it (so at most its length).
#[inline]
fn after(text: &[u8], at: usize) -> &[u8] {
    debug_assert!(at <= text.len(), "a position reached in the text");
    text.get(at..).unwrap_or_default()
}

/// How many bytes at the start of `text` need no attention inside a string: all but a
/// quote, a backslash or a control character.
///
/// With simd128 (the npm package's, the page's and the Worker's builds), sixteen bytes at a
/// time: keys and most values end in the first block, after one predictable branch, and a
/// long string takes one pass for all three kinds of byte.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline]
fn plain_prefix(text: &[u8]) -> usize {
    use core::arch::wasm32::{u8x16, u8x16_bitmask, u8x16_eq, u8x16_lt, u8x16_splat, v128_or};
    let mut plain = 0;
    while let Some(block) = text.get(plain..plain + 16) {
        let mut bytes = [0; 16];
        bytes.copy_from_slice(block);
        let [b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15] = bytes;
        // Compiled to one v128.load.
        let v = u8x16(
            b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15,
        );
        let quote = u8x16_eq(v, u8x16_splat(b'"'));
        let backslash = u8x16_eq(v, u8x16_splat(b'\\'));
        let control = u8x16_lt(v, u8x16_splat(0x20));
        let found = u8x16_bitmask(v128_or(v128_or(quote, backslash), control));
        if found != 0 {
            return plain + found.trailing_zeros() as usize;
        }
        plain += 16;
    }
    let tail = after(text, plain);
    plain + tail.iter().position(|&b| special(b)).unwrap_or(tail.len())
}

/// How many bytes at the start of `text` need no attention inside a string: all but a
/// quote, a backslash or a control character.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline]
fn plain_prefix(text: &[u8]) -> usize {
    // Keys and most values are short: eight bytes at a time in a u64 finds their end
    // before a SIMD search has paid for its set-up.
    let mut plain = 0;
    while plain < 32 {
        let Some(word) = text.get(plain..plain + 8) else {
            let tail = after(text, plain);
            return plain + tail.iter().position(|&b| special(b)).unwrap_or(tail.len());
        };
        let mut bytes = [0; 8];
        bytes.copy_from_slice(word);
        let found = special_bytes(u64::from_le_bytes(bytes));
        if found != 0 {
            return plain + found.trailing_zeros() as usize / 8;
        }
        plain += 8;
    }
    plain + long_plain_prefix(after(text, plain))
}

fn special(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// The high bit of each byte of `word` that is a quote, a backslash or a control
/// character (and possibly of bytes after the first such byte: only the lowest counts).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A zero byte of `x` sets its high bit in `(x - ONES) & !x`.
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    let quote = zero(word ^ (ONES * u64::from(b'"')));
    let backslash = zero(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    (quote | backslash | control) & HIGH
}

/// [`plain_prefix`] past the first 32 bytes.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(never)]
fn long_plain_prefix(text: &[u8]) -> usize {
    // memchr searches with SIMD (AVX2, SSE2, NEON); control characters are rare and are
    // looked for in the span with a branch-free fold, which vectorizes too.
    let end = memchr::memchr2(b'"', b'\\', text).unwrap_or(text.len());
    debug_assert!(end <= text.len(), "memchr finds positions within the text");
    let span = text.get(..end).unwrap_or_default();
    if span.iter().fold(0u8, |hit, &b| hit | u8::from(b < 0x20)) == 0 {
        return end;
    }
    span.iter().position(|&b| b < 0x20).unwrap_or(end)
}

/// The value of the digits of an integer (no leading zero), when it fits a `u64`.
fn magnitude(digits: &[u8]) -> Option<u64> {
    let value = |n: u64, &digit: &u8| n.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'));
    // Nineteen digits always fit, so wrapping arithmetic is exact: `checked_mul` costs a
    // 128-bit multiply, a call to `__multi3` in wasm32, for every digit.
    if digits.len() <= 19 {
        return Some(digits.iter().fold(0, value));
    }
    digits.iter().try_fold(0u64, |n, &digit| {
        n.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    })
}

/// Whether the number `int.fraction × 10^exponent` is larger than the largest `f64`.
fn beyond_f64(int_digits: &[u8], fraction: &[u8], exponent: i64) -> bool {
    // As 0.d1d2… × 10^e with d1 the first non-zero digit.
    let all = int_digits.iter().chain(fraction);
    let leading_zeros = all.clone().take_while(|&&d| d == b'0').count();
    let Some(first) = all.clone().position(|&d| d != b'0') else {
        return false; // zero, whatever the exponent
    };
    let int_len = i64::try_from(int_digits.len()).unwrap_or(i64::MAX);
    let first = i64::try_from(first).unwrap_or(i64::MAX);
    let decimal_exponent = int_len - first + exponent;
    match decimal_exponent.cmp(&F64_MAX_EXPONENT) {
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => {
            // Same magnitude. serde_json's fast float reading can round up to infinity
            // numbers written with more digits, so only those of at most 17 significant
            // digits (exact as its u64 significand) up to the largest f64's are in range.
            let significant: Vec<u8> = all.skip(leading_zeros).copied().collect();
            let trimmed = significant
                .iter()
                .rposition(|&d| d != b'0')
                .map_or(&significant[..0], |last| &significant[..=last]);
            significant.len() > F64_MAX_DIGITS.len() || trimmed > F64_MAX_DIGITS
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn number(text: &str) -> Number {
        Scanner::new(text.as_bytes(), 0, 0).number().unwrap()
    }

    /// The word-at-a-time search finds the first special byte wherever it is.
    #[test]
    fn plain_prefix_stops_at_the_first_special_byte() {
        for len in 0..80 {
            for at in 0..=len {
                for special_byte in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let mut text = vec![b'a'; len];
                    if at < len {
                        text[at] = special_byte;
                    }
                    // Bytes that must not count: high-bit and just-above-control ones.
                    for (i, byte) in text.iter_mut().enumerate() {
                        if *byte == b'a' && i % 3 == 0 {
                            *byte = if i % 2 == 0 { 0xc3 } else { 0x20 };
                        }
                    }
                    assert_eq!(
                        plain_prefix(&text),
                        at,
                        "len {len}, at {at}, byte {special_byte}"
                    );
                }
            }
        }
    }

    /// The validator may only accept numbers serde_json can hold: checked against it on
    /// both sides of the largest f64.
    #[test]
    fn numbers_in_range_are_numbers_serde_json_can_hold() {
        for (text, in_range) in [
            ("1e308", true),
            ("1.7976931348623157e308", true),
            ("-1.7976931348623157e308", true),
            ("17976931348623157e292", true),
            ("0.17976931348623157e309", true),
            ("1.797693134862315e308", true),
            ("1.79e308", true),
            ("1e-999", true),
            ("0e999999999999999999999", true),
            ("0.000e400", true),
            ("179769313486231570000000e285", false),
            ("1.7976931348623157000e308", false),
            ("1.797693134862316e308", false),
            ("1.8e308", false),
            ("1e309", false),
            ("0.00017976931348623157e313", false),
            ("1e99999999999999999999", false),
        ] {
            let ours = !number(text).out_of_range;
            assert_eq!(ours, in_range, "{text}");
            let serde = serde_json::from_str::<serde_json::Value>(text).is_ok();
            assert!(
                !ours || serde,
                "{text}: accepted here, refused by serde_json"
            );
        }
    }
}
