//! What goes to the origin, and how its answer is classified.

use std::borrow::Cow;
use std::fmt::Write;

use super::Accepted;

/// Header carrying the event id to the origin.
pub const EVENT_ID_HEADER: &str = "X-DigiVault-Event-Id";
/// Header carrying the event type to the origin.
pub const EVENT_TYPE_HEADER: &str = "X-DigiVault-Event-Type";

/// How the origin answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginResult {
    /// An HTTP response with this status (redirects are not followed).
    Status(u16),
    /// No response: connection refused, DNS, TLS or a reset.
    Unreachable,
    /// No response within `FORWARD_TIMEOUT_MS`.
    TimedOut,
}

/// The headers of the forwarded request: the original signature header (so the origin can
/// verify the unchanged body itself), the event id and type, and the content type.
///
/// ```
/// use digivault_webhooks::receiver::{forward_headers, Receiver};
/// use digivault_webhooks::sign;
/// let body = br#"{"id":"evt_1","type":"contact.deleted","created_at":1640995200,"data":{"object":{"id":"c_1"}}}"#;
/// let signature = sign(b"whsec_1", body);
/// let vars = |name: &str| match name {
///     "WEBHOOK_SECRET" => Some("whsec_1".to_string()),
///     "FORWARD_URL" => Some("http://127.0.0.1:8788/".to_string()),
///     _ => None,
/// };
/// let receiver = Receiver::from_vars(vars).unwrap();
/// let accepted = receiver.accept(body, [("x-bitvault-signature", signature.as_str())], 1640995200).unwrap();
/// let headers = forward_headers(&accepted, Some("application/json"));
/// assert!(headers.contains(&("X-BitVault-Signature", signature.clone())));
/// assert!(headers.contains(&("X-DigiVault-Event-Id", "evt_1".to_string())));
/// assert!(headers.contains(&("X-DigiVault-Event-Type", "contact.deleted".to_string())));
/// ```
pub fn forward_headers(
    accepted: &Accepted,
    content_type: Option<&str>,
) -> Vec<(&'static str, String)> {
    vec![
        // Both arrived as header values, so they are valid ones: passed on unchanged.
        (
            "Content-Type",
            content_type.unwrap_or("application/json").to_owned(),
        ),
        (accepted.signature_header, accepted.signature.clone()),
        (
            EVENT_ID_HEADER,
            header_value(&accepted.event.id).into_owned(),
        ),
        (
            EVENT_TYPE_HEADER,
            header_value(accepted.event.event_type.as_str()).into_owned(),
        ),
    ]
}

/// A value that is always a valid HTTP header value: unchanged when it is printable ASCII
/// without `%`, otherwise with every other byte (and `%`) percent-encoded as `%XX`.
///
/// Event ids and types come from the JSON body and may hold any character; an invalid
/// header value would make the runtime throw.
///
/// ```
/// use digivault_webhooks::receiver::header_value;
/// assert_eq!(header_value("webhook_123"), "webhook_123");
/// assert_eq!(header_value("a b\n%é"), "a%20b%0A%25%C3%A9");
/// ```
pub fn header_value(value: &str) -> Cow<'_, str> {
    let plain = |b: u8| b.is_ascii_graphic() && b != b'%';
    if value.bytes().all(plain) {
        return Cow::Borrowed(value);
    }
    let mut encoded = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if plain(byte) {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    Cow::Owned(encoded)
}
