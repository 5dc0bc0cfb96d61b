//! The changes a diagnosis tries, one at a time: to the body (each common byte-level change
//! undone, plus the caller's JSON re-serializations), to the secret (whitespace), and to
//! how the received signature is read (a scheme prefix, base64).

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::diagnosis::{JsonForm, Reserialized};
use super::mistake::Mistake;
use crate::error::{Error, SignatureFormat};
use crate::signature::{parse_signature, SCHEME_PREFIXES, SIGNATURE_BYTES};

/// A change to try on the body.
pub(super) struct BodyCandidate {
    pub(super) mistake: Mistake,
    pub(super) body: Vec<u8>,
}

pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The byte-level changes worth trying on `payload`, each undone.
pub(super) fn body_candidates(
    payload: &[u8],
    reserialized: &[Reserialized<'_>],
) -> Vec<BodyCandidate> {
    let mut out = Vec::new();
    let crlf = payload.windows(2).any(|w| w == b"\r\n");
    if let Some(stripped) = payload
        .strip_suffix(b"\r\n")
        .or_else(|| payload.strip_suffix(b"\n"))
    {
        out.push((Mistake::TrailingNewlineAdded, stripped.to_vec()));
    } else {
        let newline: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        out.push((Mistake::TrailingNewlineRemoved, [payload, newline].concat()));
    }
    if crlf {
        out.push((Mistake::LfChangedToCrlf, crlf_to_lf(payload)));
    }
    if has_bare_lf(payload) {
        out.push((Mistake::CrlfChangedToLf, lf_to_crlf(payload)));
    }
    if let Some(stripped) = payload.strip_prefix(BOM) {
        out.push((Mistake::ByteOrderMark, stripped.to_vec()));
    }
    for candidate in reserialized {
        let mistake = match candidate.form {
            JsonForm::Compact => Mistake::Reserialized,
            JsonForm::Pretty => Mistake::PrettyPrinted,
        };
        out.push((mistake, candidate.body.to_vec()));
    }
    let mut unique: Vec<BodyCandidate> = Vec::new();
    for (mistake, body) in out {
        if body != payload && unique.iter().all(|c| c.body != body) {
            unique.push(BodyCandidate { mistake, body });
        }
    }
    unique
}

fn has_bare_lf(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || bytes[i - 1] != b'\r'))
}

fn crlf_to_lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        if !(b == b'\r' && bytes.get(i + 1) == Some(&b'\n')) {
            out.push(b);
        }
    }
    out
}

fn lf_to_crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// The whitespace changes worth trying on a secret.
pub(super) fn secret_candidates(secret: &str) -> Vec<String> {
    let trimmed = secret.trim();
    if trimmed != secret {
        return if trimmed.is_empty() {
            Vec::new()
        } else {
            vec![trimmed.to_owned()]
        };
    }
    ["\n", "\r\n", " "]
        .iter()
        .map(|suffix| format!("{secret}{suffix}"))
        .collect()
}

/// How the received signature can be read as MAC bytes, and what reading it took.
pub(super) fn readings(signature: &str) -> (Option<[u8; SIGNATURE_BYTES]>, Option<Mistake>) {
    match parse_signature(Some(signature)) {
        Ok(tag) => (Some(tag), None),
        Err(Error::MalformedSignature(SignatureFormat::Prefix)) => {
            let rest = strip_scheme(signature);
            let tag = parse_signature(Some(rest))
                .ok()
                .or_else(|| decode_base64_tag(rest));
            (tag, Some(Mistake::SchemePrefix))
        }
        Err(Error::MalformedSignature(SignatureFormat::Base64)) => {
            (decode_base64_tag(signature), Some(Mistake::Base64))
        }
        Err(_) => (None, None),
    }
}

fn strip_scheme(signature: &str) -> &str {
    let text = signature.trim();
    for prefix in SCHEME_PREFIXES {
        if text.len() >= prefix.len() && text.is_char_boundary(prefix.len()) {
            let (head, rest) = text.split_at(prefix.len());
            if head.eq_ignore_ascii_case(prefix) {
                return rest.trim();
            }
        }
    }
    text
}

/// Standard base64 without padding (it is trimmed off first), ignoring the unused low bits
/// of the last digit, as a tolerant reader of someone else's encoder should.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes standard or URL-safe base64 (padding optional) of exactly 32 bytes.
fn decode_base64_tag(text: &str) -> Option<[u8; SIGNATURE_BYTES]> {
    // URL-safe digits are mapped onto the standard alphabet, so a signature in either
    // (or, copied together from two places, both) reads the same.
    let standard: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    // Room for more than a tag, so that a longer value is refused by the length check
    // below rather than by the decoder's output-size estimate.
    let mut decoded = [0u8; 2 * SIGNATURE_BYTES];
    let written = BASE64.decode_slice(standard, &mut decoded).ok()?;
    decoded[..written].try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn base64_tags_decode_in_either_alphabet_with_or_without_padding() {
        // 0xfb 0xff: `+` and `/` in the standard alphabet, `-` and `_` in the URL-safe one.
        let tag = [0xfb_u8, 0xff, 0xbf].repeat(11)[..SIGNATURE_BYTES].to_vec();
        let padded = encode(&tag);
        assert_eq!(padded.len(), 44);
        assert!(padded.contains('+') && padded.contains('/'));
        let url_safe = padded.replace('+', "-").replace('/', "_");
        for text in [
            padded.clone(),
            padded.trim_end_matches('=').to_owned(),
            url_safe.clone(),
            url_safe.trim_end_matches('=').to_owned(),
            format!(" {padded}\n"),
        ] {
            assert_eq!(
                decode_base64_tag(&text).map(Vec::from),
                Some(tag.clone()),
                "{text}"
            );
        }
    }

    #[test]
    fn base64_of_another_length_or_with_other_characters_is_not_a_tag() {
        let tag = [7u8; SIGNATURE_BYTES];
        assert_eq!(decode_base64_tag(&encode(&tag)), Some(tag));
        assert_eq!(decode_base64_tag(&encode(&tag[..31])), None);
        assert_eq!(decode_base64_tag(&encode(&[7u8; 33])), None);
        assert_eq!(decode_base64_tag(&encode(&[7u8; 200])), None);
        assert_eq!(decode_base64_tag(&encode(&tag).replace('B', "!")), None);
        assert_eq!(decode_base64_tag(""), None);
    }

    #[test]
    fn unused_low_bits_of_the_last_digit_are_ignored() {
        // 32 bytes are 256 bits: the 43rd digit carries 2 bits that are not part of the tag.
        let tag = [0u8; SIGNATURE_BYTES];
        let clean = encode(&tag);
        let mut dirty = clean.trim_end_matches('=').to_owned();
        dirty.replace_range(42..43, "D");
        assert_eq!(decode_base64_tag(&dirty), Some(tag));
    }

    #[test]
    fn scheme_prefixes_are_stripped_in_any_case() {
        assert_eq!(strip_scheme(" sha256= abc "), "abc");
        assert_eq!(strip_scheme("SHA256=abc"), "abc");
        assert_eq!(strip_scheme("v1,abc"), "abc");
        assert_eq!(strip_scheme("V1=abc"), "abc");
        assert_eq!(strip_scheme("v2,abc"), "v2,abc");
        // A multi-byte character where a prefix would end is not split.
        assert_eq!(strip_scheme("v1é"), "v1é");
    }

    #[test]
    fn body_candidates_undo_each_change_once() {
        let payload = b"\xEF\xBB\xBF{\r\n}\n";
        let mistakes: Vec<Mistake> = body_candidates(payload, &[])
            .iter()
            .map(|c| c.mistake)
            .collect();
        assert_eq!(
            mistakes,
            [
                Mistake::TrailingNewlineAdded,
                Mistake::LfChangedToCrlf,
                Mistake::CrlfChangedToLf,
                Mistake::ByteOrderMark
            ]
        );
        // A re-serialization identical to the body (or to another candidate) is not tried.
        let same = Reserialized {
            form: JsonForm::Compact,
            body: b"{}",
        };
        assert!(body_candidates(b"{}", &[same])
            .iter()
            .all(|c| c.mistake != Mistake::Reserialized));
    }

    #[test]
    fn secrets_are_tried_trimmed_or_with_whitespace_added() {
        assert_eq!(secret_candidates(" s\n"), ["s"]);
        assert_eq!(secret_candidates(" \n"), Vec::<String>::new());
        assert_eq!(secret_candidates("s"), ["s\n", "s\r\n", "s "]);
    }
}
