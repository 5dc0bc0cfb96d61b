//! Why a signature does or does not verify: the logic behind the debugger page (`www/`).
//!
//! [`diagnose`] gives the core's verdict on a payload, its secrets and a received signature
//! header, the expected signature for each secret, and, when the signature fails, which
//! common mistake explains it. It tries the likely changes one at a time (to the body,
//! to the secret, to how the signature is encoded) and reports the first combination
//! under which the received signature matches. [`parse_raw_request`] reads a whole pasted
//! HTTP request into its body bytes and its signature header.
//!
//! JSON re-serialization is the one mistake not derived here. It is a JavaScript mistake
//! (`JSON.stringify(req.body)` after a body parser), and only a JavaScript engine
//! reproduces `JSON.stringify` byte for byte: it keeps the document's key order (with
//! integer-like keys first), and it prints numbers as doubles (`1.0` as `1`, `1e3` as
//! `1000`, big integers rounded). This crate's `serde_json` sorts object keys (no
//! `preserve_order`) and keeps `1.0` as written, and even `preserve_order` would not fix
//! the numbers, so a Rust imitation would miss real cases and claim false ones. The caller
//! therefore re-serializes with the real `JSON.stringify` (the npm package's `diagnose`
//! does) and passes the results as [`Reserialized`] bodies; the core signs and compares
//! them like every other candidate.
//!
//! Comparisons here are not constant-time: this is a diagnostic, never a verification.

use std::fmt;

use crate::error::{Error, SignatureFormat};
use crate::headers::{find_signature_header, LEGACY_SIGNATURE_HEADER};
use crate::signature::{parse_signature, sign, Verifier, SIGNATURE_BYTES};

/// How the caller re-serialized the body as JSON (see the module documentation).
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

/// A mistake that explains a failing signature, or a note on one that verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mistake {
    /// The signature matches the body re-serialized compactly (`JSON.stringify(JSON.parse(body))`).
    Reserialized,
    /// The signature matches the body pretty-printed with 2 spaces.
    PrettyPrinted,
    /// The signature matches the body without its final line break: one was added.
    TrailingNewlineAdded,
    /// The signature matches the body with a final line break: one was removed.
    TrailingNewlineRemoved,
    /// The signature matches the body with CR LF turned into LF: LF was changed to CR LF.
    LfChangedToCrlf,
    /// The signature matches the body with LF turned into CR LF: CR LF was changed to LF.
    CrlfChangedToLf,
    /// The signature matches the body without its leading byte order mark.
    ByteOrderMark,
    /// The signature matches a secret with the whitespace around it changed.
    SecretWhitespace,
    /// The signature is upper-case hex: accepted, but DigiVault sends lower case.
    UppercaseHex,
    /// The signature has a scheme prefix such as `sha256=` or `v1,`.
    SchemePrefix,
    /// The signature is base64, not hex.
    Base64,
    /// The signature is the start of the expected one: it was cut off.
    Truncated,
    /// The signature came in the legacy `X-BitVault-Signature` header.
    LegacyHeader,
    /// Nothing tried explains the signature: most likely the wrong secret.
    WrongSecret,
}

impl Mistake {
    /// A stable code, e.g. `TRAILING_NEWLINE_ADDED`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Reserialized => "RESERIALIZED",
            Self::PrettyPrinted => "PRETTY_PRINTED",
            Self::TrailingNewlineAdded => "TRAILING_NEWLINE_ADDED",
            Self::TrailingNewlineRemoved => "TRAILING_NEWLINE_REMOVED",
            Self::LfChangedToCrlf => "LF_CHANGED_TO_CRLF",
            Self::CrlfChangedToLf => "CRLF_CHANGED_TO_LF",
            Self::ByteOrderMark => "BYTE_ORDER_MARK",
            Self::SecretWhitespace => "SECRET_WHITESPACE",
            Self::UppercaseHex => "UPPERCASE_HEX",
            Self::SchemePrefix => "SCHEME_PREFIX",
            Self::Base64 => "BASE64",
            Self::Truncated => "TRUNCATED",
            Self::LegacyHeader => "LEGACY_HEADER",
            Self::WrongSecret => "WRONG_SECRET",
        }
    }

    /// Whether this is only a note: the package accepts it, but hand-written checks may not.
    pub fn is_note(self) -> bool {
        matches!(self, Self::UppercaseHex | Self::LegacyHeader)
    }

    /// What happened and how to fix it, in one or two sentences.
    pub fn explanation(self) -> &'static str {
        match self {
            Self::Reserialized => {
                "The signature matches this body re-serialized, JSON.stringify(JSON.parse(body)), \
                 not the body itself: one side hashed re-serialized JSON (such as \
                 JSON.stringify(req.body) after a JSON body parser). Verify the raw bytes \
                 exactly as received (express.raw(), request.text(), php://input)."
            }
            Self::PrettyPrinted => {
                "The signature matches this body pretty-printed with 2 spaces, \
                 JSON.stringify(JSON.parse(body), null, 2): the JSON was reformatted between \
                 signing and verifying. Verify the raw bytes exactly as received."
            }
            Self::TrailingNewlineAdded => {
                "The signature matches this body without its final line break: a newline was \
                 added after signing (an editor, echo, a log line, copy and paste). Verify the \
                 bytes as received; add and trim nothing."
            }
            Self::TrailingNewlineRemoved => {
                "The signature matches this body with a final line break: the signed body ended \
                 with a newline that was removed (trim(), a shell $(...), copy and paste). \
                 Verify the bytes as received; add and trim nothing."
            }
            Self::LfChangedToCrlf => {
                "The signature matches this body with its CR LF line breaks turned into LF: the \
                 line breaks were converted to CR LF after signing (a Windows tool, git autocrlf, \
                 a text-mode write). Read the body as bytes."
            }
            Self::CrlfChangedToLf => {
                "The signature matches this body with its LF line breaks turned into CR LF: the \
                 signed body had CR LF line breaks that became LF (a text field, copy and paste, \
                 a text-mode read). Read the body as bytes."
            }
            Self::ByteOrderMark => {
                "The signature matches this body without its leading byte order mark (U+FEFF): \
                 an editor or a text-mode write added one. Read the body as bytes."
            }
            Self::SecretWhitespace => {
                "The signature matches this secret with the whitespace around it changed: one \
                 side's secret has a stray space or line break (a .env file, echo, a file read, \
                 copy and paste). Trim the secret where it is configured."
            }
            Self::UppercaseHex => {
                "The signature is upper-case hex. This package accepts it, but DigiVault sends \
                 lower case, and a plain string comparison (===, hash_equals) against a \
                 lower-case digest fails."
            }
            Self::SchemePrefix => {
                "The signature has a scheme prefix (sha256=, v1,): DigiVault sends bare \
                 lower-case hex. Do not add or expect a prefix."
            }
            Self::Base64 => {
                "The signature is base64, not hex: DigiVault sends the HMAC-SHA256 as lower-case \
                 hex (digest('hex'), hexdigest(), hash_hmac)."
            }
            Self::Truncated => {
                "The signature is the start of the expected one: the header value was cut off \
                 (a length limit in a proxy or a log, copy and paste)."
            }
            Self::LegacyHeader => {
                "The signature came in X-BitVault-Signature, the legacy name that the guide's \
                 Node and PHP samples read. DigiVault signs in X-DigiVault-Signature: read that \
                 header (this package accepts both)."
            }
            Self::WrongSecret => {
                "No single change to the body, the secret or the signature's encoding explains \
                 it: most likely the secret is wrong (another endpoint's, an old or test one), or \
                 the body is not the one that was signed. Copy the secret from the dashboard \
                 again and paste the exact raw body."
            }
        }
    }
}

impl fmt::Display for Mistake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.explanation())
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

/// A change to try on the body.
struct BodyCandidate {
    mistake: Mistake,
    body: Vec<u8>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The byte-level changes worth trying on `payload`, each undone.
fn body_candidates(payload: &[u8], reserialized: &[Reserialized<'_>]) -> Vec<BodyCandidate> {
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
fn secret_candidates(secret: &str) -> Vec<String> {
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
fn readings(signature: &str) -> (Option<[u8; SIGNATURE_BYTES]>, Option<Mistake>) {
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
    for prefix in ["sha256=", "v1,", "v1="] {
        if text.len() >= prefix.len() && text.is_char_boundary(prefix.len()) {
            let (head, rest) = text.split_at(prefix.len());
            if head.eq_ignore_ascii_case(prefix) {
                return rest.trim();
            }
        }
    }
    text
}

/// Decodes standard or URL-safe base64 (padding optional) of exactly 32 bytes.
fn decode_base64_tag(text: &str) -> Option<[u8; SIGNATURE_BYTES]> {
    let digits = text.trim().trim_end_matches('=');
    let mut tag = [0u8; SIGNATURE_BYTES];
    let mut bits: u32 = 0;
    let mut count = 0u32;
    let mut written = 0usize;
    for byte in digits.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            let out = tag.get_mut(written)?;
            *out = u8::try_from((bits >> count) & 0xFF).ok()?;
            written += 1;
        }
    }
    (written == SIGNATURE_BYTES).then_some(tag)
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

/// A pasted raw HTTP request, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawRequest<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The request target, e.g. `/webhooks`.
    pub target: &'a str,
    /// The header fields in order, values without surrounding whitespace.
    pub headers: Vec<(&'a str, &'a str)>,
    /// The body bytes, verbatim from after the blank line to the end.
    pub body: &'a [u8],
    /// The signature header's value, canonical header first.
    pub signature: Option<&'a str>,
    /// Which header carried the signature: [`SIGNATURE_HEADER`](crate::SIGNATURE_HEADER)
    /// or [`LEGACY_SIGNATURE_HEADER`].
    pub signature_header: Option<&'static str>,
    /// The `Content-Length` header, when present and a number.
    pub content_length: Option<usize>,
    /// Whether the head's lines end in CR LF (pasted text often has LF only).
    pub crlf: bool,
}

impl RawRequest<'_> {
    /// Whether the signature came in the legacy `X-BitVault-Signature` header.
    pub fn legacy_header(&self) -> bool {
        self.signature_header == Some(LEGACY_SIGNATURE_HEADER)
    }
}

/// Why a pasted text could not be read as an HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RawRequestError {
    /// The first line is not `METHOD target [HTTP/version]`.
    RequestLine,
    /// A header line is not `Name: value`; holds its 1-based line number.
    HeaderLine(usize),
    /// No blank line ends the headers, so where the body starts is unknown.
    NoBlankLine,
}

impl RawRequestError {
    /// A stable code: `INVALID_REQUEST`.
    pub fn code(&self) -> &'static str {
        "INVALID_REQUEST"
    }
}

impl fmt::Display for RawRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RequestLine => f.write_str(
                "not an HTTP request: the first line should look like `POST /webhooks HTTP/1.1`",
            ),
            Self::HeaderLine(line) => write!(f, "line {line} is not a `Name: value` header"),
            Self::NoBlankLine => f.write_str(
                "no blank line after the headers: paste the whole request, headers, blank line and body",
            ),
        }
    }
}

impl std::error::Error for RawRequestError {}

/// Reads a pasted raw HTTP request: request line, headers, a blank line, then the body,
/// with CR LF or LF line breaks. Leading blank lines are skipped.
///
/// ```
/// use digivault_webhooks::{parse_raw_request, LEGACY_SIGNATURE_HEADER};
/// let raw = b"POST /webhooks HTTP/1.1\r\nX-BitVault-Signature: ab12\r\n\r\n{\"id\":1}";
/// let request = parse_raw_request(raw).unwrap();
/// assert_eq!(request.body, b"{\"id\":1}");
/// assert_eq!(request.signature, Some("ab12"));
/// assert_eq!(request.signature_header, Some(LEGACY_SIGNATURE_HEADER));
/// ```
pub fn parse_raw_request(raw: &[u8]) -> Result<RawRequest<'_>, RawRequestError> {
    let start = raw
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .ok_or(RawRequestError::RequestLine)?;
    let mut lines = Lines {
        rest: &raw[start..],
        number: 0,
        crlf: true,
    };
    let request_line = match lines.next_line() {
        Some(line) => line,
        None => std::mem::take(&mut lines.rest),
    };
    let request_line =
        std::str::from_utf8(request_line).map_err(|_| RawRequestError::RequestLine)?;
    let mut parts = request_line.split_ascii_whitespace();
    let (method, target) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(method), Some(target), version, None)
            if method.bytes().all(|b| b.is_ascii_uppercase())
                && version.is_none_or(|v| v.starts_with("HTTP/")) =>
        {
            (method, target)
        }
        _ => return Err(RawRequestError::RequestLine),
    };
    let mut headers = Vec::new();
    loop {
        let line = lines.next_line().ok_or(RawRequestError::NoBlankLine)?;
        if line.is_empty() {
            break;
        }
        let bad = RawRequestError::HeaderLine(lines.number);
        let text = std::str::from_utf8(line).map_err(|_| bad.clone())?;
        let (name, value) = text
            .split_once(':')
            .filter(|(name, _)| !name.is_empty() && !name.contains(char::is_whitespace))
            .ok_or(bad)?;
        headers.push((name, value.trim()));
    }
    let found = find_signature_header(headers.iter().copied());
    let content_length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok());
    Ok(RawRequest {
        method,
        target,
        body: lines.rest,
        signature: found.map(|(_, value)| value),
        signature_header: found.map(|(name, _)| name),
        headers,
        content_length,
        crlf: lines.crlf,
    })
}

/// Lines of the request head, LF or CR LF terminated.
struct Lines<'a> {
    rest: &'a [u8],
    number: usize,
    crlf: bool,
}

impl<'a> Lines<'a> {
    fn next_line(&mut self) -> Option<&'a [u8]> {
        let end = self.rest.iter().position(|&b| b == b'\n')?;
        let line = &self.rest[..end];
        self.rest = &self.rest[end + 1..];
        self.number += 1;
        Some(match line.strip_suffix(b"\r") {
            Some(line) => line,
            None => {
                self.crlf = false;
                line
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SIGNATURE_HEADER;

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

    #[test]
    fn compact_reserialization_is_detected_from_the_callers_candidate() {
        let pretty = b"{\n  \"id\": \"evt_1\"\n}";
        let compact = br#"{"id":"evt_1"}"#;
        let signature = sign(SECRET.as_bytes(), compact);
        let d = diagnose(&Input {
            payload: pretty,
            secrets: &[SECRET],
            signature: Some(&signature),
            reserialized: &[Reserialized {
                form: JsonForm::Compact,
                body: compact,
            }],
            ..Input::default()
        });
        assert_eq!(d.verdict, Verdict::Invalid);
        assert_eq!(d.error.as_ref().map(Error::code), Some("INVALID_SIGNATURE"));
        assert_eq!(mistakes(&d), vec![Mistake::Reserialized]);
    }

    #[test]
    fn pretty_printing_is_detected() {
        let compact = br#"{"id":"evt_1"}"#;
        let pretty = b"{\n  \"id\": \"evt_1\"\n}";
        let signature = sign(SECRET.as_bytes(), pretty);
        let d = diagnose(&Input {
            payload: compact,
            secrets: &[SECRET],
            signature: Some(&signature),
            reserialized: &[Reserialized {
                form: JsonForm::Pretty,
                body: pretty,
            }],
            ..Input::default()
        });
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
    fn codes_and_explanations_are_distinct() {
        let all = [
            Mistake::Reserialized,
            Mistake::PrettyPrinted,
            Mistake::TrailingNewlineAdded,
            Mistake::TrailingNewlineRemoved,
            Mistake::LfChangedToCrlf,
            Mistake::CrlfChangedToLf,
            Mistake::ByteOrderMark,
            Mistake::SecretWhitespace,
            Mistake::UppercaseHex,
            Mistake::SchemePrefix,
            Mistake::Base64,
            Mistake::Truncated,
            Mistake::LegacyHeader,
            Mistake::WrongSecret,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.code(), b.code());
                assert_ne!(a.explanation(), b.explanation());
            }
        }
        assert_eq!(Verdict::Malformed.to_string(), "malformed");
    }

    #[test]
    fn raw_request_with_crlf() {
        let raw = b"POST /webhooks HTTP/1.1\r\nHost: example.com\r\nContent-Length: 2\r\nX-DigiVault-Signature:  abc \r\n\r\n{}";
        let r = parse_raw_request(raw).unwrap();
        assert_eq!((r.method, r.target), ("POST", "/webhooks"));
        assert_eq!(r.headers.len(), 3);
        assert_eq!(r.body, b"{}");
        assert_eq!(r.signature, Some("abc"));
        assert_eq!(r.signature_header, Some(SIGNATURE_HEADER));
        assert!(!r.legacy_header());
        assert_eq!(r.content_length, Some(2));
        assert!(r.crlf);
    }

    #[test]
    fn raw_request_with_lf_legacy_header_and_body_kept_verbatim() {
        let raw = b"\nPOST /hook\nx-bitvault-signature: abc\n\n{\r\n}\n";
        let r = parse_raw_request(raw).unwrap();
        assert_eq!(r.body, b"{\r\n}\n");
        assert_eq!(r.signature_header, Some(LEGACY_SIGNATURE_HEADER));
        assert!(r.legacy_header());
        assert!(!r.crlf);
        assert_eq!(r.content_length, None);
    }

    #[test]
    fn raw_request_canonical_header_wins() {
        let raw = b"POST / HTTP/2\nX-BitVault-Signature: old\nX-DigiVault-Signature: new\n\n";
        let r = parse_raw_request(raw).unwrap();
        assert_eq!(r.signature, Some("new"));
        assert_eq!(r.body, b"");
    }

    #[test]
    fn raw_request_errors() {
        assert_eq!(parse_raw_request(b""), Err(RawRequestError::RequestLine));
        assert_eq!(
            parse_raw_request(b"not a request"),
            Err(RawRequestError::RequestLine)
        );
        assert_eq!(
            parse_raw_request(b"POST /webhooks"),
            Err(RawRequestError::NoBlankLine)
        );
        assert_eq!(
            parse_raw_request(b"{\"id\":1}\n\n"),
            Err(RawRequestError::RequestLine)
        );
        assert_eq!(
            parse_raw_request(b"POST /webhooks HTTP/1.1\nno colon here\n\n{}"),
            Err(RawRequestError::HeaderLine(2))
        );
        assert_eq!(
            parse_raw_request(b"POST /webhooks HTTP/1.1\nA: b\n"),
            Err(RawRequestError::NoBlankLine)
        );
        assert_eq!(RawRequestError::NoBlankLine.code(), "INVALID_REQUEST");
        assert!(RawRequestError::HeaderLine(3)
            .to_string()
            .contains("line 3"));
    }
}
