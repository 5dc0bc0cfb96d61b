//! Which HTTP header carries the signature.

/// The header DigiVault signs with.
pub const SIGNATURE_HEADER: &str = "X-DigiVault-Signature";

/// A legacy spelling read by the guide's Node and PHP samples; accepted when the canonical
/// header is absent.
pub const LEGACY_SIGNATURE_HEADER: &str = "X-BitVault-Signature";

/// Header names that carry the signature, canonical first.
pub const SIGNATURE_HEADERS: [&str; 2] = [SIGNATURE_HEADER, LEGACY_SIGNATURE_HEADER];

/// Finds the signature among `(name, value)` header pairs, names compared
/// case-insensitively, the canonical header winning over the legacy one.
///
/// ```
/// use digivault_webhooks::find_signature;
/// let headers = [("content-type", "application/json"), ("x-bitvault-signature", "ab12")];
/// assert_eq!(find_signature(headers), Some("ab12"));
/// ```
pub fn find_signature<'a, I>(headers: I) -> Option<&'a str>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    find_signature_header(headers).map(|(_, value)| value)
}

/// Like [`find_signature`], but also tells which header carried the signature:
/// [`SIGNATURE_HEADER`] or [`LEGACY_SIGNATURE_HEADER`] (the constant's spelling, whatever
/// the case on the wire). A proxy uses it to pass the signature on under the same name.
///
/// ```
/// use digivault_webhooks::{find_signature_header, LEGACY_SIGNATURE_HEADER};
/// let headers = [("x-bitvault-signature", "ab12")];
/// assert_eq!(find_signature_header(headers), Some((LEGACY_SIGNATURE_HEADER, "ab12")));
/// ```
pub fn find_signature_header<'a, I>(headers: I) -> Option<(&'static str, &'a str)>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut legacy = None;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case(SIGNATURE_HEADER) {
            return Some((SIGNATURE_HEADER, value));
        }
        if legacy.is_none() && name.eq_ignore_ascii_case(LEGACY_SIGNATURE_HEADER) {
            legacy = Some((LEGACY_SIGNATURE_HEADER, value));
        }
    }
    legacy
}
