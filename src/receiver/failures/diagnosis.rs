//! The diagnosis of a kept record, run where the secrets are: which mistakes explain it.
//! Only the mistakes leave this function, never an expected signature.

use crate::diagnose::{diagnose, Input, Mistake, Reserialized};
use crate::headers::{LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADERS};

use super::evidence::FailureReport;

/// Reply codes about the signature: the ones a diagnosis can explain.
const SIGNATURE_CODES: [&str; 3] = [
    "MISSING_SIGNATURE",
    "MALFORMED_SIGNATURE",
    "INVALID_SIGNATURE",
];

/// The mistakes that explain a kept record (most likely first, then notes): empty for a
/// 413, for a body too large to have been kept whole (a diagnosis of part of a body would
/// be a guess), or when nothing explains it. `reserialized`: the kept body re-serialized by
/// the runtime's `JSON.stringify` (compact and pretty), when it is JSON.
///
/// ```
/// use digivault_webhooks::receiver::failures::{diagnose_record, FailureReport};
/// use digivault_webhooks::{diagnose::Mistake, sign};
/// let body = b"{\"id\":\"evt_1\"}\n";
/// let signature = sign(b"whsec_1", b"{\"id\":\"evt_1\"}");
/// let report = FailureReport { received_at: 1, address: "a".into(), method: "POST".into(), path: "/webhooks".into(), headers: vec![("x-digivault-signature".into(), signature)], status: 401, code: "INVALID_SIGNATURE".into(), size: Some(body.len() as u64), body_sha256: None, origin: String::new() };
/// assert_eq!(diagnose_record(&report, body, &["whsec_1"], &[]), [Mistake::TrailingNewlineAdded]);
/// ```
pub fn diagnose_record(
    report: &FailureReport,
    body: &[u8],
    secrets: &[&str],
    reserialized: &[Reserialized<'_>],
) -> Vec<Mistake> {
    if report.truncated(body.len()) || report.code == "PAYLOAD_TOO_LARGE" {
        return Vec::new();
    }
    let found = SIGNATURE_HEADERS.iter().find_map(|name| {
        report
            .header(&name.to_ascii_lowercase())
            .map(|value| (*name, value))
    });
    let diagnosis = diagnose(&Input {
        payload: body,
        secrets,
        signature: found.map(|(_, value)| value),
        legacy_header: found.is_some_and(|(name, _)| name == LEGACY_SIGNATURE_HEADER),
        reserialized,
    });
    let signature_refused = SIGNATURE_CODES.contains(&report.code.as_str());
    diagnosis
        .findings
        .iter()
        .map(|finding| finding.mistake)
        // After a valid signature (a 400), only notes can apply.
        .filter(|mistake| signature_refused || mistake.is_note())
        .collect()
}

/// The mistake codes as listed, comma-separated in storage.
pub fn mistake_codes(mistakes: &[Mistake]) -> String {
    mistakes
        .iter()
        .map(|mistake| mistake.code())
        .collect::<Vec<_>>()
        .join(",")
}

/// The mistakes named by stored codes (unknown codes are skipped).
pub fn mistakes_from_codes(codes: &str) -> Vec<Mistake> {
    codes
        .split(',')
        .filter_map(|code| Mistake::ALL.iter().copied().find(|m| m.code() == code))
        .collect()
}
