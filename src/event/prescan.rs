//! One cheap pass over the payload that says which rare, expensive whole-document checks
//! are needed at all: nearly every real event needs none of them.
//!
//! The counts go into `u8` lanes per 255-byte chunk and the flags are combined with
//! bitwise operators, not short-circuits, so the loops vectorize (wasm simd128, SSE).

/// What the pass found.
pub(super) struct Prescan {
    /// Opening brackets (`[` or `{`, also inside strings): nesting needs at least as many.
    pub openings: usize,
    /// `\u` followed by `d` or `D`: only then can an escape be an unpaired surrogate.
    pub surrogate_escape: bool,
    /// `e` or `E` followed by a digit or a sign, or a run of 32 digits: only then can a
    /// number be too large for an `f64` (a run of 63 digits fills an aligned 32-byte chunk).
    pub big_number: bool,
}

pub(super) fn prescan(json: &[u8]) -> Prescan {
    // `[` is `{` with bit 5 clear.
    let openings = json
        .chunks(255)
        .map(|chunk| {
            chunk
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from((b | 0x20) == b'{')))
        })
        .map(usize::from)
        .sum();
    // Equal-length slices zipped, so that the folds vectorize.
    let shifted = |by: usize, len: usize| json.get(by..by + len).unwrap_or_default();
    let pairs = json.len().saturating_sub(1);
    let exponent = shifted(0, pairs)
        .iter()
        .zip(shifted(1, pairs))
        .fold(0u8, |hit, (&b, &n)| {
            let digit_or_sign = (n.wrapping_sub(b'0') < 10) | (n == b'+') | (n == b'-');
            hit | u8::from(((b | 0x20) == b'e') & digit_or_sign)
        });
    let triples = json.len().saturating_sub(2);
    let escape = shifted(0, triples)
        .iter()
        .zip(shifted(1, triples))
        .zip(shifted(2, triples))
        .fold(0u8, |hit, ((&b, &n), &t)| {
            hit | u8::from((b == b'\\') & (n == b'u') & ((t | 0x20) == b'd'))
        });
    let long_run = json
        .chunks_exact(32)
        .any(|chunk| chunk.iter().all(u8::is_ascii_digit));
    Prescan {
        openings,
        surrogate_escape: escape != 0,
        big_number: exponent != 0 || long_run,
    }
}
