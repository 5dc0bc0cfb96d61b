//! The diagnosis itself: the core's verdict, the expected signatures, and the search for the
//! fewest changes (from `candidates`) under which the received signature matches.

use std::fmt;

use super::candidates::{body_candidates, readings, secret_candidates};
use super::mistake::Mistake;
use crate::error::Error;
use crate::signature::{parse_signature, sign, Verifier};

/// How the caller re-serialized the body as JSON (see the `diagnose` module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonForm {
    /// `JSON.stringify(JSON.parse(body))`: compact.
    Compact,
    /// `JSON.stringify(JSON.parse(body), null, 2)`: pretty-printed with 2 spaces.
    Pretty,
}

/// A JSON re-serialization of the body, made by the caller with `JSON.stringify`.
#[derive(Debug, Clone, Copy)]
pub struct Reserialized<'a> {
    /// How it was made.
    pub form: JsonForm,
    /// Its bytes (UTF-8).
    pub body: &'a [u8],
}

/// What to diagnose: the body as received, the secrets, and the signature header value.
#[derive(Debug, Clone, Copy, Default)]
pub struct Input<'a> {
    /// The raw body bytes, as received.
    pub payload: &'a [u8],
    /// The secrets to try, in order (current first during a rotation).
    pub secrets: &'a [&'a str],
    /// The received signature header value, if any.
    pub signature: Option<&'a str>,
    /// Whether the signature came in the legacy `X-BitVault-Signature` header.
    pub legacy_header: bool,
    /// JSON re-serializations of the payload, made by the caller.
    pub reserialized: &'a [Reserialized<'a>],
}

/// The core's verdict on a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The signature verifies with one of the secrets.
    Valid,
    /// The signature is absent, or well formed but matches no secret (or no secret was given).
    Invalid,
    /// The signature header is not 64 hex digits.
    Malformed,
}

impl Verdict {
    /// `valid`, `invalid` or `malformed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::Malformed => "malformed",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding of a diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    /// What was found.
    pub mistake: Mistake,
    /// The index of the secret it concerns, when it concerns one.
    pub secret: Option<usize>,
}

/// The result of [`diagnose`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnosis {
    /// The core's verdict, exactly what [`Verifier::verify`] decides.
    pub verdict: Verdict,
    /// The core's error when the verdict is not [`Verdict::Valid`].
    pub error: Option<Error>,
    /// The expected lowercase hex signature of the payload as given, per secret.
    pub expected: Vec<String>,
    /// The index of the secret the signature verifies with, when valid.
    pub matched_secret: Option<usize>,
    /// The mistakes that explain a failing signature, then notes; empty when there is
    /// nothing to say.
    pub findings: Vec<Finding>,
}

/// Diagnoses a signature: the core's verdict, the expected signatures, and the mistakes
/// that explain a failure.
///
/// ```
/// use digivault_webhooks::diagnose::{Input, Mistake, Verdict};
/// use digivault_webhooks::{diagnose, sign};
/// let body = br#"{"id":"evt_1"}"#;
/// let signature = sign(b"whsec_1", body);
/// // The body got a trailing newline after it was signed.
/// let received = br#"{"id":"evt_1"}
/// "#;
/// let diagnosis = diagnose(&Input {
///     payload: received,
///     secrets: &["whsec_1"],
///     signature: Some(&signature),
///     ..Input::default()
/// });
/// assert_eq!(diagnosis.verdict, Verdict::Invalid);
/// assert_eq!(diagnosis.findings[0].mistake, Mistake::TrailingNewlineAdded);
/// ```
pub fn diagnose(input: &Input<'_>) -> Diagnosis {
    let expected: Vec<String> = input
        .secrets
        .iter()
        .map(|secret| sign(secret.as_bytes(), input.payload))
        .collect();
    let outcome =
        Verifier::new(input.secrets).and_then(|v| v.verify(input.payload, input.signature));
    let verdict = match &outcome {
        Ok(()) => Verdict::Valid,
        Err(Error::MalformedSignature(_)) => Verdict::Malformed,
        Err(_) => Verdict::Invalid,
    };
    let error = outcome.err();
    let signature = input.signature.map(str::trim).unwrap_or_default();
    let mut findings = Vec::new();
    let mut matched_secret = None;

    match &error {
        None => {
            let received = signature.to_ascii_lowercase();
            matched_secret = expected.iter().position(|e| *e == received);
        }
        Some(Error::NoSecret | Error::MissingSignature) => {}
        Some(_) => explain_failure(input, signature, &expected, &mut findings),
    }
    let uppercase = signature.bytes().any(|b| b.is_ascii_uppercase());
    if uppercase && parse_signature(Some(signature)).is_ok() {
        findings.push(Finding {
            mistake: Mistake::UppercaseHex,
            secret: None,
        });
    }
    if input.legacy_header && !signature.is_empty() {
        findings.push(Finding {
            mistake: Mistake::LegacyHeader,
            secret: None,
        });
    }
    Diagnosis {
        verdict,
        error,
        expected,
        matched_secret,
        findings,
    }
}

/// Finds the first combination of changes under which the signature matches.
fn explain_failure(
    input: &Input<'_>,
    signature: &str,
    expected: &[String],
    findings: &mut Vec<Finding>,
) {
    let (tag, reading) = readings(signature);
    let finding = |mistake, secret| Finding { mistake, secret };
    let Some(tag) = tag else {
        if let Some(mistake) = reading {
            findings.push(finding(mistake, None));
        }
        let received = signature.to_ascii_lowercase();
        let truncated = received.len() < expected.first().map_or(0, String::len)
            && received.bytes().all(|b| b.is_ascii_hexdigit());
        if truncated {
            if let Some(index) = expected.iter().position(|e| e.starts_with(&received)) {
                findings.push(finding(Mistake::Truncated, Some(index)));
            }
        }
        return;
    };
    let wanted = hex::encode(tag);
    if let Some(mistake) = reading {
        // Read another way, the signature may already match the body as given.
        let matched = expected.iter().position(|e| *e == wanted);
        findings.push(finding(mistake, matched));
        if matched.is_some() {
            return;
        }
    }
    let bodies = body_candidates(input.payload, input.reserialized);
    let secrets: Vec<Vec<String>> = input.secrets.iter().map(|s| secret_candidates(s)).collect();
    // Fewest changes first: the body alone, the secret alone, then both.
    for body in &bodies {
        for (index, secret) in input.secrets.iter().enumerate() {
            if sign(secret.as_bytes(), &body.body) == wanted {
                findings.push(finding(body.mistake, Some(index)));
                return;
            }
        }
    }
    for (index, variants) in secrets.iter().enumerate() {
        for variant in variants {
            if sign(variant.as_bytes(), input.payload) == wanted {
                findings.push(finding(Mistake::SecretWhitespace, Some(index)));
                return;
            }
        }
    }
    for body in &bodies {
        for (index, variants) in secrets.iter().enumerate() {
            for variant in variants {
                if sign(variant.as_bytes(), &body.body) == wanted {
                    findings.push(finding(body.mistake, Some(index)));
                    findings.push(finding(Mistake::SecretWhitespace, Some(index)));
                    return;
                }
            }
        }
    }
    findings.push(finding(Mistake::WrongSecret, None));
}

#[cfg(test)]
mod tests {
    use super::super::candidates::BOM;
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"contact.deleted","created_at":1640995200,"data":{"object":{"id":"c_1"}}}"#;

    fn run(payload: &[u8], secrets: &[&str], signature: &str) -> Diagnosis {
        diagnose(&Input {
            payload,
            secrets,
            signature: Some(signature),
            ..Input::default()
        })
    }

    fn mistakes(diagnosis: &Diagnosis) -> Vec<Mistake> {
        diagnosis.findings.iter().map(|f| f.mistake).collect()
    }

    #[test]
    fn valid_signature_has_no_findings() {
        let d = run(BODY, &[SECRET], &sign(SECRET.as_bytes(), BODY));
        assert_eq!(d.verdict, Verdict::Valid);
        assert_eq!(d.error, None);
        assert_eq!(d.matched_secret, Some(0));
        assert_eq!(d.expected, vec![sign(SECRET.as_bytes(), BODY)]);
        assert!(d.findings.is_empty());
    }

    #[test]
    fn rotation_reports_which_secret_matched() {
        let d = run(BODY, &["new", SECRET], &sign(SECRET.as_bytes(), BODY));
        assert_eq!(d.verdict, Verdict::Valid);
        assert_eq!(d.matched_secret, Some(1));
        assert_eq!(d.expected.len(), 2);
    }

    /// `payload` diagnosed against a signature of `signed`, which the caller passes as its
    /// `form` re-serialization.
    fn run_reserialized(payload: &[u8], form: JsonForm, signed: &[u8]) -> Diagnosis {
        diagnose(&Input {
            payload,
            secrets: &[SECRET],
            signature: Some(&sign(SECRET.as_bytes(), signed)),
            reserialized: &[Reserialized { form, body: signed }],
            ..Input::default()
        })
    }

    #[test]
    fn compact_reserialization_is_detected_from_the_callers_candidate() {
        let pretty = b"{\n  \"id\": \"evt_1\"\n}";
        let d = run_reserialized(pretty, JsonForm::Compact, br#"{"id":"evt_1"}"#);
        assert_eq!(d.verdict, Verdict::Invalid);
        assert_eq!(d.error.as_ref().map(Error::code), Some("INVALID_SIGNATURE"));
        assert_eq!(mistakes(&d), vec![Mistake::Reserialized]);
    }

    #[test]
    fn pretty_printing_is_detected() {
        let pretty = b"{\n  \"id\": \"evt_1\"\n}";
        let d = run_reserialized(br#"{"id":"evt_1"}"#, JsonForm::Pretty, pretty);
        assert_eq!(mistakes(&d), vec![Mistake::PrettyPrinted]);
    }

    #[test]
    fn serde_json_sorts_keys_so_json_candidates_come_from_the_caller() {
        // Why the core does not re-serialize JSON itself: without `preserve_order`
        // serde_json sorts keys, unlike JSON.stringify, and it keeps `1.0`.
        let value: serde_json::Value =
            serde_json::from_slice(br#"{"type":"x","id":"y","n":1.0}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            r#"{"id":"y","n":1.0,"type":"x"}"#
        );
    }

    #[test]
    fn trailing_newline_added_or_removed() {
        let signature = sign(SECRET.as_bytes(), BODY);
        let added = [BODY, b"\n"].concat();
        assert_eq!(
            mistakes(&run(&added, &[SECRET], &signature)),
            vec![Mistake::TrailingNewlineAdded]
        );
        let signed = [BODY, b"\n"].concat();
        let d = run(BODY, &[SECRET], &sign(SECRET.as_bytes(), &signed));
        assert_eq!(mistakes(&d), vec![Mistake::TrailingNewlineRemoved]);
    }

    #[test]
    fn line_endings_changed() {
        let lf = b"{\n\"id\": \"evt_1\"\n}";
        let crlf = b"{\r\n\"id\": \"evt_1\"\r\n}";
        let d = run(crlf, &[SECRET], &sign(SECRET.as_bytes(), lf));
        assert_eq!(mistakes(&d), vec![Mistake::LfChangedToCrlf]);
        let d = run(lf, &[SECRET], &sign(SECRET.as_bytes(), crlf));
        assert_eq!(mistakes(&d), vec![Mistake::CrlfChangedToLf]);
    }

    #[test]
    fn byte_order_mark_added() {
        let with_bom = [BOM, BODY].concat();
        let d = run(&with_bom, &[SECRET], &sign(SECRET.as_bytes(), BODY));
        assert_eq!(mistakes(&d), vec![Mistake::ByteOrderMark]);
    }

    #[test]
    fn whitespace_around_the_secret_either_side() {
        let d = run(
            BODY,
            &["whsec_test_secret\n"],
            &sign(SECRET.as_bytes(), BODY),
        );
        assert_eq!(mistakes(&d), vec![Mistake::SecretWhitespace]);
        assert_eq!(d.findings[0].secret, Some(0));
        let d = run(BODY, &["old", SECRET], &sign(b"whsec_test_secret ", BODY));
        assert_eq!(d.findings[0].mistake, Mistake::SecretWhitespace);
        assert_eq!(d.findings[0].secret, Some(1));
    }

    #[test]
    fn body_and_secret_changes_combine() {
        let added = [BODY, b"\n"].concat();
        let d = run(
            &added,
            &[" whsec_test_secret"],
            &sign(SECRET.as_bytes(), BODY),
        );
        assert_eq!(
            mistakes(&d),
            vec![Mistake::TrailingNewlineAdded, Mistake::SecretWhitespace]
        );
    }

    #[test]
    fn uppercase_hex_is_valid_with_a_note() {
        let signature = sign(SECRET.as_bytes(), BODY).to_ascii_uppercase();
        let d = run(BODY, &[SECRET], &signature);
        assert_eq!(d.verdict, Verdict::Valid);
        assert_eq!(mistakes(&d), vec![Mistake::UppercaseHex]);
        assert!(Mistake::UppercaseHex.is_note());
    }

    #[test]
    fn scheme_prefix_is_malformed_and_explained() {
        for prefix in ["sha256=", "v1,", "SHA256="] {
            let signature = format!("{prefix}{}", sign(SECRET.as_bytes(), BODY));
            let d = run(BODY, &[SECRET], &signature);
            assert_eq!(d.verdict, Verdict::Malformed);
            assert_eq!(
                d.error.as_ref().map(Error::code),
                Some("MALFORMED_SIGNATURE")
            );
            assert_eq!(
                d.findings,
                vec![Finding {
                    mistake: Mistake::SchemePrefix,
                    secret: Some(0)
                }]
            );
        }
    }

    #[test]
    fn scheme_prefix_with_a_wrong_secret() {
        let signature = format!("sha256={}", sign(b"other", BODY));
        let d = run(BODY, &[SECRET], &signature);
        assert_eq!(
            mistakes(&d),
            vec![Mistake::SchemePrefix, Mistake::WrongSecret]
        );
    }

    fn base64(bytes: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn base64_instead_of_hex() {
        let tag = hex::decode(sign(SECRET.as_bytes(), BODY)).unwrap();
        let d = run(BODY, &[SECRET], &base64(&tag));
        assert_eq!(d.verdict, Verdict::Malformed);
        assert_eq!(
            d.findings,
            vec![Finding {
                mistake: Mistake::Base64,
                secret: Some(0)
            }]
        );
        // URL-safe without padding decodes too.
        let url_safe = base64(&tag).replace('+', "-").replace('/', "_");
        let d = run(BODY, &[SECRET], url_safe.trim_end_matches('='));
        assert_eq!(d.findings[0].mistake, Mistake::Base64);
        assert_eq!(d.findings[0].secret, Some(0));
    }

    #[test]
    fn base64_of_a_changed_body() {
        let added = [BODY, b"\n"].concat();
        let tag = hex::decode(sign(SECRET.as_bytes(), BODY)).unwrap();
        let d = run(&added, &[SECRET], &base64(&tag));
        assert_eq!(
            mistakes(&d),
            vec![Mistake::Base64, Mistake::TrailingNewlineAdded]
        );
    }

    #[test]
    fn truncated_signature() {
        let signature = sign(SECRET.as_bytes(), BODY);
        let d = run(BODY, &[SECRET], &signature[..40]);
        assert_eq!(d.verdict, Verdict::Malformed);
        assert_eq!(
            d.findings,
            vec![Finding {
                mistake: Mistake::Truncated,
                secret: Some(0)
            }]
        );
    }

    #[test]
    fn wrong_secret_when_nothing_explains_it() {
        let d = run(BODY, &[SECRET], &sign(b"another secret", BODY));
        assert_eq!(d.verdict, Verdict::Invalid);
        assert_eq!(mistakes(&d), vec![Mistake::WrongSecret]);
        assert!(!Mistake::WrongSecret.is_note());
    }

    #[test]
    fn legacy_header_is_noted() {
        let signature = sign(SECRET.as_bytes(), BODY);
        let d = diagnose(&Input {
            payload: BODY,
            secrets: &[SECRET],
            signature: Some(&signature),
            legacy_header: true,
            ..Input::default()
        });
        assert_eq!(d.verdict, Verdict::Valid);
        assert_eq!(mistakes(&d), vec![Mistake::LegacyHeader]);
    }

    #[test]
    fn missing_signature_and_missing_secret() {
        let d = diagnose(&Input {
            payload: BODY,
            secrets: &[SECRET],
            ..Input::default()
        });
        assert_eq!(d.verdict, Verdict::Invalid);
        assert_eq!(d.error, Some(Error::MissingSignature));
        assert!(d.findings.is_empty());
        let d = run(BODY, &[], &sign(SECRET.as_bytes(), BODY));
        assert_eq!(d.error, Some(Error::NoSecret));
        assert!(d.expected.is_empty());
    }

    #[test]
    fn verdicts_print_as_their_word() {
        assert_eq!(Verdict::Malformed.to_string(), "malformed");
        assert_eq!(Verdict::Valid.as_str(), "valid");
    }
}
