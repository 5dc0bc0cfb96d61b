//! A pasted raw HTTP request read into its parts (the debugger page's "paste a whole
//! request"): the body bytes verbatim, and which signature header it carried.
//!
//! Hand-written rather than `httparse` (measured, not adopted): its request parser refuses
//! what people paste (an `HTTP/2` request line copied from browser tools, a line with no
//! version), so only its header-block parser could serve, saving about ten lines; its
//! errors do not say which line failed, which the page tells the reader; and it would add
//! 834 bytes gzip (1.8%) to the page's wasm.

use std::fmt;

use crate::headers::{find_signature_header, LEGACY_SIGNATURE_HEADER};

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
