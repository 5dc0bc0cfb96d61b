//! HMAC-SHA256 signing and constant-time verification of `X-DigiVault-Signature`.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::{Error, SignatureFormat};

type HmacSha256 = Hmac<Sha256>;

/// Length in bytes of an HMAC-SHA256 tag.
pub const SIGNATURE_BYTES: usize = 32;

/// Scheme prefixes other webhook providers put before the digest (GitHub's `sha256=`,
/// Standard Webhooks' `v1,`, Stripe-style `v1=`), compared case-insensitively: DigiVault
/// sends bare hex, so a signature starting with one is malformed, and the diagnosis says why.
pub(crate) const SCHEME_PREFIXES: [&str; 3] = ["sha256=", "v1,", "v1="];

/// Signs `payload` with `secret` (its UTF-8 bytes, as in the guide's samples) and
/// returns the lowercase hex HMAC-SHA256, the value DigiVault sends in `X-DigiVault-Signature`.
///
/// An empty secret is allowed here so that any signature can be reproduced; [`Verifier`]
/// refuses one.
pub fn sign(secret: &[u8], payload: &[u8]) -> String {
    hex::encode(keyed(secret).chain_update(payload).finalize().into_bytes())
}

fn keyed(secret: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail; the fallback keeps the
    // library free of panics all the same.
    HmacSha256::new_from_slice(secret).unwrap_or_else(|_| HmacSha256::new(&Default::default()))
}

/// Reads a signature header value into the 32 MAC bytes.
///
/// Surrounding whitespace and upper-case hex are accepted; everything else that is not
/// exactly 64 hex digits is [`Error::MalformedSignature`], and an absent or blank value is
/// [`Error::MissingSignature`].
pub fn parse_signature(header: Option<&str>) -> Result<[u8; SIGNATURE_BYTES], Error> {
    let text = header.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(Error::MissingSignature);
    }
    let mut tag = [0u8; SIGNATURE_BYTES];
    // The length is checked first: the hex crate would also take a `0x` prefix.
    if text.len() == 2 * SIGNATURE_BYTES && hex::decode_to_slice(text, &mut tag).is_ok() {
        Ok(tag)
    } else {
        Err(Error::MalformedSignature(classify_malformed(text)))
    }
}

fn classify_malformed(text: &str) -> SignatureFormat {
    let lower = text.to_ascii_lowercase();
    if SCHEME_PREFIXES
        .iter()
        .any(|prefix| lower.starts_with(prefix))
    {
        return SignatureFormat::Prefix;
    }
    let all_hex = text.bytes().all(|b| b.is_ascii_hexdigit());
    if all_hex && text.len() % 2 == 1 {
        return SignatureFormat::OddLength;
    }
    if all_hex {
        return SignatureFormat::WrongLength { digits: text.len() };
    }
    // 32 bytes in base64 are 43 characters plus one `=` of padding (44).
    let base64_alphabet = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'='));
    if base64_alphabet && (text.len() == 43 || text.len() == 44) {
        return SignatureFormat::Base64;
    }
    SignatureFormat::NotHex
}

/// Verifies signatures against one or more secrets (the current one and, during a
/// rotation, the previous one).
///
/// The HMAC key state of every secret is computed once, here, not per call.
#[derive(Clone)]
pub struct Verifier {
    keys: Vec<HmacSha256>,
}

impl Verifier {
    /// Builds a verifier from secrets, tried in order. Fails with [`Error::NoSecret`]
    /// when the list is empty or any secret is empty.
    pub fn new<S: AsRef<[u8]>>(secrets: &[S]) -> Result<Self, Error> {
        if secrets.is_empty() || secrets.iter().any(|s| s.as_ref().is_empty()) {
            return Err(Error::NoSecret);
        }
        Ok(Self {
            keys: secrets.iter().map(|s| keyed(s.as_ref())).collect(),
        })
    }

    /// Number of secrets this verifier accepts.
    pub fn secret_count(&self) -> usize {
        self.keys.len()
    }

    /// Verifies `payload` against a signature header value, in constant time per secret.
    pub fn verify(&self, payload: &[u8], signature: Option<&str>) -> Result<(), Error> {
        let tag = parse_signature(signature)?;
        self.verify_tag(payload, &tag)
    }

    /// Verifies `payload` against already decoded MAC bytes.
    pub fn verify_tag(&self, payload: &[u8], tag: &[u8; SIGNATURE_BYTES]) -> Result<(), Error> {
        any_matches(
            self.keys
                .iter()
                .map(|key| key.clone().chain_update(payload)),
            tag,
        )
    }

    /// The expected lowercase hex signature of `payload` for each secret, in order.
    /// Meant for diagnostics (the debugger page), not for comparing signatures.
    pub fn expected_signatures(&self, payload: &[u8]) -> Vec<String> {
        let mut macs = self.start();
        macs.update(payload);
        macs.hex()
    }

    /// Starts hashing a payload given in pieces, under every secret.
    pub fn start(&self) -> PayloadMacs {
        PayloadMacs {
            macs: self.keys.clone(),
        }
    }
}

/// Every MAC is checked, so timing does not reveal which secret matched.
fn any_matches(
    macs: impl IntoIterator<Item = HmacSha256>,
    tag: &[u8; SIGNATURE_BYTES],
) -> Result<(), Error> {
    let mut matched = false;
    for mac in macs {
        matched |= mac.verify_slice(tag).is_ok();
    }
    if matched {
        Ok(())
    } else {
        Err(Error::InvalidSignature)
    }
}

/// The HMAC of one payload under one or more secrets, fed in pieces: a binding hashes a
/// large payload in bounded chunks this way instead of copying it whole first.
#[derive(Clone)]
pub struct PayloadMacs {
    macs: Vec<HmacSha256>,
}

impl PayloadMacs {
    /// For signing with `secret` (any secret, as [`sign`] accepts).
    pub fn signing(secret: &[u8]) -> Self {
        Self {
            macs: vec![keyed(secret)],
        }
    }

    /// Adds the next piece of the payload.
    pub fn update(&mut self, chunk: &[u8]) {
        for mac in &mut self.macs {
            mac.update(chunk);
        }
    }

    /// Whether the whole payload matches `tag` under one of the secrets (as
    /// [`Verifier::verify_tag`]).
    pub fn verify_tag(self, tag: &[u8; SIGNATURE_BYTES]) -> Result<(), Error> {
        any_matches(self.macs, tag)
    }

    /// The lowercase hex HMAC of the whole payload under each secret, in order.
    pub fn hex(self) -> Vec<String> {
        self.macs
            .into_iter()
            .map(|mac| hex::encode(mac.finalize().into_bytes()))
            .collect()
    }
}

impl fmt::Debug for PayloadMacs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayloadMacs")
            .field("secrets", &format_args!("[redacted; {}]", self.macs.len()))
            .finish()
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secrets", &format_args!("[redacted; {}]", self.keys.len()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Hashing in pieces gives what hashing the whole payload gives, wherever it is cut.
    #[test]
    fn payload_macs_in_pieces_match_the_whole() {
        let payload: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        let verifier = Verifier::new(&["whsec_a", "whsec_b"]).unwrap();
        let tag = parse_signature(Some(&sign(b"whsec_b", &payload))).unwrap();
        for cut in [0, 1, 63, 64, 65, 299, 300] {
            let mut macs = verifier.start();
            macs.update(&payload[..cut]);
            macs.update(&payload[cut..]);
            assert_eq!(macs.clone().hex(), verifier.expected_signatures(&payload));
            assert_eq!(macs.verify_tag(&tag), Ok(()));
            let mut signing = PayloadMacs::signing(b"");
            signing.update(&payload[..cut]);
            signing.update(&payload[cut..]);
            assert_eq!(signing.hex(), [sign(b"", &payload)]);
        }
        let mut other = verifier.start();
        other.update(&payload[1..]);
        assert_eq!(other.verify_tag(&tag), Err(Error::InvalidSignature));
        assert_eq!(
            format!("{:?}", verifier.start()),
            "PayloadMacs { secrets: [redacted; 2] }"
        );
    }

    /// The hex crate accepts a `0x` prefix; a signature header must be exactly 64 digits.
    #[test]
    fn a_0x_prefix_is_malformed() {
        let digits = "ab".repeat(SIGNATURE_BYTES);
        assert_eq!(
            parse_signature(Some(&digits)).unwrap(),
            [0xab; SIGNATURE_BYTES]
        );
        let short = &digits[2..];
        for prefixed in [
            format!("0x{digits}"),
            format!("0X{digits}"),
            format!("0x{short}"),
        ] {
            let result = parse_signature(Some(&prefixed));
            assert!(
                matches!(result, Err(Error::MalformedSignature(_))),
                "{prefixed}"
            );
        }
    }
}
