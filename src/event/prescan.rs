//! A quick look at a payload, for glue that lets its runtime's own JSON parser build the
//! event (the npm package's `parseEvent` and `constructEvent`): how many keys the text
//! writes, when the text is *plain*, so that a check of the parsed value that counts the
//! keys of the fields it knows can tell that none was written twice (a parser keeps one of
//! two equal keys) and that there is no other.
//!
//! Plain means none of what a runtime's parser reads differently from this crate's
//! validator: valid UTF-8, an object after any whitespace (no byte-order mark), no `\u`
//! escape (`JSON.parse` keeps a lone surrogate, serde_json refuses it; the other escapes
//! mean the same to both), and no `.`, `e` or `E` outside strings: no fraction or exponent
//! (`1.0` and `1e3` are integers to `JSON.parse`, not to an `i64` field), and so no `true`
//! or `false` either, which no field of an event holds (a payload with one elsewhere is
//! not plain: the caller's check would not count its key anyway). Any other payload gets
//! `None`: the caller validates it in full instead, so the answer is always this crate's.
//! Syntax is not checked here: the runtime's parser refuses what is not JSON, and the full
//! validator then says why.
//!
//! One pass of 64-byte blocks with bit masks (16 bytes per compare with simd128), in the
//! way of simdjson: escaped characters found from runs of backslashes, then the unescaped
//! quotes' prefix XOR marks string contents, so colons (one per key) are counted, and
//! fractions and exponents refused, outside strings only.

/// How many keys `payload` writes, or `None` when it is not plain (see the module docs).
pub fn plain_key_count(payload: &[u8]) -> Option<u32> {
    let first = payload
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))?;
    if payload[first] != b'{' {
        return None;
    }
    let mut keys = 0u32;
    // All ones when a string runs on from the previous block.
    let mut in_string = 0u64;
    let mut escape_before = 0u64;
    // Non-zero once a byte that is not plain was seen (checked once, at the end: most
    // payloads are plain, and a branch per block costs more than finishing the pass).
    let mut refused = 0u64;
    let mut high = 0u64;
    let mut blocks = payload.chunks_exact(64);
    let mut last = [b' '; 64];
    let rest = blocks.remainder();
    last[..rest.len()].copy_from_slice(rest);
    for block in blocks.by_ref().chain(std::iter::once(&last[..])) {
        let Ok(block) = <&[u8; 64]>::try_from(block) else {
            return None; // every block is 64 bytes
        };
        // Most of a long message: a block inside a string with no quote or backslash.
        if in_string != 0 && escape_before == 0 {
            if let Some(block_high) = Masks::quiet(block) {
                high |= block_high;
                continue;
            }
        }
        let masks = Masks::of(block);
        high |= masks.high;
        let mut quote = masks.quote;
        if masks.backslash | escape_before != 0 {
            let escaped = escaped(masks.backslash, &mut escape_before);
            quote &= !escaped;
            refused |= escaped & lower_u(block);
        }
        let outside = !(prefix_xor(quote) ^ in_string);
        refused |= masks.fraction_or_exponent & outside;
        keys += (masks.colon & outside).count_ones();
        in_string = 0u64.wrapping_sub(!outside >> 63);
    }
    if refused != 0 || (high != 0 && std::str::from_utf8(payload).is_err()) {
        return None;
    }
    Some(keys)
}

/// The `u`s of a block: only needed where there are escapes, so not one of its [`Masks`].
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn lower_u(block: &[u8; 64]) -> u64 {
    block
        .iter()
        .enumerate()
        .fold(0, |mask, (i, &b)| mask | (u64::from(b == b'u') << i))
}

/// The `u`s of a block: only needed where there are escapes, so not one of its [`Masks`].
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn lower_u(block: &[u8; 64]) -> u64 {
    use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_splat};
    lanes(block).iter().enumerate().fold(0, |mask, (lane, &v)| {
        mask | u64::from(u8x16_bitmask(u8x16_eq(v, u8x16_splat(b'u')))) << (16 * lane)
    })
}

/// A block as four vectors of sixteen bytes (each read with one `v128.load`).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline]
fn lanes(block: &[u8; 64]) -> [core::arch::wasm32::v128; 4] {
    std::array::from_fn(|lane| {
        let mut bytes = [0; 16];
        bytes.copy_from_slice(&block[16 * lane..16 * lane + 16]);
        let [b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15] = bytes;
        core::arch::wasm32::u8x16(
            b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15,
        )
    })
}

/// The characters escaped by a backslash, given the backslashes of a block and whether the
/// block before ended in an escaping backslash (updated for the next block). A run of
/// backslashes escapes every second character after its start, and the character after it
/// when the run is odd: simdjson's `find_escaped_branchless`, adding odd-position run starts
/// to the backslashes to tell runs starting on even and odd bits apart.
fn escaped(backslash: u64, escape_before: &mut u64) -> u64 {
    const EVEN_BITS: u64 = 0x5555_5555_5555_5555;
    let backslash = backslash & !*escape_before;
    let follows_escape = (backslash << 1) | *escape_before;
    let odd_starts = backslash & !EVEN_BITS & !follows_escape;
    let (even_starts, overflow) = odd_starts.overflowing_add(backslash);
    *escape_before = u64::from(overflow);
    (EVEN_BITS ^ (even_starts << 1)) & follows_escape
}

/// Each bit set where the bit before it and every earlier bit hold an odd number of ones:
/// from an opening quote (included) to its closing quote (excluded).
fn prefix_xor(mut bits: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        bits ^= bits << shift;
    }
    bits
}

/// One bit per byte of a block (bit `i` for byte `i`; none past a short block's end).
#[derive(Debug, Default, PartialEq, Eq)]
struct Masks {
    quote: u64,
    backslash: u64,
    colon: u64,
    /// `.`, `e` and `E`: outside strings, only in a number's fraction or exponent, and in
    /// `true` and `false`.
    fraction_or_exponent: u64,
    /// Bytes of 0x80 and above: not ASCII. (With simd128 this only says whether there is
    /// any: their positions are never needed.)
    high: u64,
}

impl Masks {
    /// A byte at a time: the reference, and the native build's (tests, fuzzing).
    #[cfg(any(test, not(all(target_arch = "wasm32", target_feature = "simd128"))))]
    fn of_bytes(block: &[u8; 64]) -> Self {
        let mut masks = Self::default();
        for (i, &b) in block.iter().enumerate() {
            let bit = 1u64 << i;
            let set = |mask: &mut u64, on: bool| *mask |= if on { bit } else { 0 };
            set(&mut masks.quote, b == b'"');
            set(&mut masks.backslash, b == b'\\');
            set(&mut masks.colon, b == b':');
            set(
                &mut masks.fraction_or_exponent,
                matches!(b, b'.' | b'e' | b'E'),
            );
            set(&mut masks.high, b >= 0x80);
        }
        masks
    }

    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    fn of(block: &[u8; 64]) -> Self {
        Self::of_bytes(block)
    }

    /// `high` when the block holds no quote and no backslash, else `None`.
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    fn quiet(block: &[u8; 64]) -> Option<u64> {
        let masks = Self::of_bytes(block);
        (masks.quote | masks.backslash == 0).then_some(masks.high)
    }

    /// `high` when the block holds no quote and no backslash, else `None`: cheaper than
    /// [`Masks::of`] by the three masks it does not build.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    fn quiet(block: &[u8; 64]) -> Option<u64> {
        use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_splat, v128_any_true, v128_or};
        let [a, b, c, d] = lanes(block);
        let special = |v| {
            v128_or(
                u8x16_eq(v, u8x16_splat(b'"')),
                u8x16_eq(v, u8x16_splat(b'\\')),
            )
        };
        let any = v128_or(
            v128_or(special(a), special(b)),
            v128_or(special(c), special(d)),
        );
        (!v128_any_true(any))
            .then(|| u64::from(u8x16_bitmask(v128_or(v128_or(a, b), v128_or(c, d)))))
    }

    /// Sixteen bytes per compare.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    fn of(block: &[u8; 64]) -> Self {
        use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_splat, v128, v128_or};
        let mut masks = Self::default();
        let mut high = u8x16_splat(0);
        for (lane, v) in lanes(block).into_iter().enumerate() {
            let bits = |found: v128| u64::from(u8x16_bitmask(found)) << (16 * lane);
            let eq = |byte: u8| u8x16_eq(v, u8x16_splat(byte));
            masks.quote |= bits(eq(b'"'));
            masks.colon |= bits(eq(b':'));
            masks.fraction_or_exponent |= bits(v128_or(v128_or(eq(b'.'), eq(b'e')), eq(b'E')));
            masks.backslash |= bits(eq(b'\\'));
            high = v128_or(high, v);
        }
        masks.high = u64::from(u8x16_bitmask(high));
        masks
    }
}

#[cfg(test)]
mod tests {
    use super::{plain_key_count, prefix_xor, Masks};

    /// The rules one byte at a time, as the module docs state them: the reference the
    /// block-wise pass must agree with.
    fn reference(payload: &[u8]) -> Option<u32> {
        let first = payload
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))?;
        if payload[first] != b'{' || std::str::from_utf8(payload).is_err() {
            return None;
        }
        let (mut in_string, mut escaping) = (false, false);
        let mut keys = 0;
        for &b in payload {
            if in_string {
                if escaping {
                    escaping = false;
                    if b == b'u' {
                        return None;
                    }
                } else if b == b'\\' {
                    escaping = true;
                } else if b == b'"' {
                    in_string = false;
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b':' => keys += 1,
                b'.' | b'e' | b'E' => return None,
                // Not JSON either way: the block-wise pass may answer anything.
                b'\\' => return Some(STRAY),
                _ => {}
            }
        }
        Some(keys)
    }

    /// The reference's answer for a backslash outside strings, skipped by the comparison.
    const STRAY: u32 = u32::MAX;

    /// Random texts over the bytes that matter, checked against the reference.
    #[test]
    fn agrees_with_the_byte_at_a_time_reference() {
        // Every byte that matters; the second alphabet leaves out the refused ones, so that
        // most of its texts are plain.
        const ALPHABETS: [&[u8]; 2] = [
            b"{}[]\"\"\"\\\\::,.eE+-019utfax  \n",
            b"{}[]\"\"\"\\::,-019utfnlax",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut plain = 0;
        for case in 0..100_000 {
            let len = (next() % 200) as usize;
            let mut text = vec![b'{'];
            let alphabet = ALPHABETS[case % 2];
            text.extend((0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]));
            let expected = reference(&text);
            if expected == Some(STRAY) {
                continue;
            }
            plain += u32::from(expected.is_some());
            assert_eq!(
                plain_key_count(&text),
                expected,
                "case {case}: {}",
                String::from_utf8_lossy(&text)
            );
        }
        assert!(
            plain > 10_000,
            "only {plain} plain cases: the alphabet tests too little"
        );
    }

    #[test]
    fn escapes_other_than_u_are_followed() {
        let text = br#"{"a":"x\"y:z","b":"\\","c":"\\\"}:","d\n":"\t1.5"}"#;
        assert_eq!(plain_key_count(text), Some(4));
        for pad in 0..70 {
            // A run of backslashes across a block boundary.
            let text = format!(r#"{{"a":"{}\\\\\\\":","b":1}}"#, "x".repeat(pad));
            assert_eq!(plain_key_count(text.as_bytes()), Some(2), "pad {pad}");
        }
    }

    #[test]
    fn counts_every_key_at_every_depth() {
        let text = br#" {"id":"a","data":{"object":{"x":[{"k":1},{"k":2}],"t":"s"}},"n":null}"#;
        assert_eq!(plain_key_count(text), Some(8));
        assert_eq!(plain_key_count(br#"{}"#), Some(0));
    }

    #[test]
    fn colons_and_signs_inside_strings_do_not_count() {
        let text = br#"{"url":"https://a.b/c?d=1e5","at":"10:00:00","n":-12}"#;
        assert_eq!(plain_key_count(text), Some(3));
    }

    #[test]
    fn strings_running_over_a_block_boundary_are_followed() {
        for pad in 0..140 {
            let text = format!(r#"{{"a":"{}:","b":1,"c":"1.5"}}"#, "x".repeat(pad));
            assert_eq!(plain_key_count(text.as_bytes()), Some(3), "pad {pad}");
            let exponent = format!(r#"{{"a":"{}","b":1e5}}"#, "x".repeat(pad));
            assert_eq!(plain_key_count(exponent.as_bytes()), None, "pad {pad}");
        }
    }

    #[test]
    fn what_other_parsers_read_differently_is_not_plain() {
        for text in [
            &br#"{"a":1.0}"#[..],
            br#"{"a":1e3}"#,
            br#"{"a":1E3}"#,
            br#"{"a":1e+3}"#,
            br#"{"a":1e-3}"#,
            br#"{"a":"\u0041"}"#,
            br#"{"i\u0064":"x","id":"y"}"#,
            b"\xef\xbb\xbf{}",
            b"{\"a\":\"\xff\"}",
            br#"[{"a":1}]"#,
            b"",
            b"   ",
        ] {
            assert_eq!(
                plain_key_count(text),
                None,
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        // No field of an event is a boolean: `true` and `false` are refused with exponents.
        assert_eq!(plain_key_count(br#"{"a":true}"#), None);
        assert_eq!(plain_key_count(br#"{"a":false}"#), None);
        assert_eq!(
            plain_key_count(br#"{"a":null,"b":-12,"c":"true"}"#),
            Some(3)
        );
        // An `e` at a block's edge, after a digit in the block before.
        let text = format!(r#"{{"a":"{}","b":12e3}}"#, "x".repeat(64 - 14));
        assert_eq!(text.find('e').map(|at| at % 64), Some(0));
        assert_eq!(plain_key_count(text.as_bytes()), None);
    }

    #[test]
    fn the_prefix_xor_marks_string_contents() {
        assert_eq!(prefix_xor(0b1001), 0b0111);
        assert_eq!(prefix_xor(0b1001_1001), 0b0111_0111);
        let mut block = [b' '; 64];
        block[..3].copy_from_slice(b"\"a\"");
        assert_eq!(Masks::of_bytes(&block).quote, 0b101);
    }
}
