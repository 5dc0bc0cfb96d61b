//! The catalogue of mistakes a diagnosis can name: one table row per mistake, from which
//! the enum, its stable codes, its titles, which ones are only notes, and the explanations
//! are all generated (the debugger page shows what this table says).

use std::fmt;

/// Defines [`Mistake`] and its accessors from one row per mistake:
/// `Variant: "CODE", "Title", mistake|note, "explanation";`.
macro_rules! mistakes {
    ($(
        $(#[$doc:meta])*
        $variant:ident: $code:literal, $title:literal, $kind:ident, $explanation:literal;
    )*) => {
        /// A mistake that explains a failing signature, or a note on one that verifies.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Mistake {
            $($(#[$doc])* $variant,)*
        }

        impl Mistake {
            /// Every mistake, in the catalogue's order.
            pub const ALL: &'static [Mistake] = &[$(Self::$variant),*];

            /// A stable code, e.g. `TRAILING_NEWLINE_ADDED`.
            pub fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            /// A short title for a heading, e.g. `Trailing newline added`.
            pub fn title(self) -> &'static str {
                match self {
                    $(Self::$variant => $title,)*
                }
            }

            /// Whether this is only a note: the package accepts it, but hand-written checks
            /// may not.
            pub fn is_note(self) -> bool {
                match self {
                    $(Self::$variant => mistakes!(@note $kind),)*
                }
            }

            /// What happened and how to fix it, in one or two sentences.
            pub fn explanation(self) -> &'static str {
                match self {
                    $(Self::$variant => $explanation,)*
                }
            }
        }
    };
    (@note note) => { true };
    (@note mistake) => { false };
}

mistakes! {
    /// The signature matches the body re-serialized compactly (`JSON.stringify(JSON.parse(body))`).
    Reserialized: "RESERIALIZED", "Body re-serialized", mistake,
        "The signature matches this body re-serialized, JSON.stringify(JSON.parse(body)), \
         not the body itself: one side hashed re-serialized JSON (such as \
         JSON.stringify(req.body) after a JSON body parser). Verify the raw bytes \
         exactly as received (express.raw(), request.text(), php://input).";
    /// The signature matches the body pretty-printed with 2 spaces.
    PrettyPrinted: "PRETTY_PRINTED", "Body pretty-printed", mistake,
        "The signature matches this body pretty-printed with 2 spaces, \
         JSON.stringify(JSON.parse(body), null, 2): the JSON was reformatted between \
         signing and verifying. Verify the raw bytes exactly as received.";
    /// The signature matches the body without its final line break: one was added.
    TrailingNewlineAdded: "TRAILING_NEWLINE_ADDED", "Trailing newline added", mistake,
        "The signature matches this body without its final line break: a newline was \
         added after signing (an editor, echo, a log line, copy and paste). Verify the \
         bytes as received; add and trim nothing.";
    /// The signature matches the body with a final line break: one was removed.
    TrailingNewlineRemoved: "TRAILING_NEWLINE_REMOVED", "Trailing newline removed", mistake,
        "The signature matches this body with a final line break: the signed body ended \
         with a newline that was removed (trim(), a shell $(...), copy and paste). \
         Verify the bytes as received; add and trim nothing.";
    /// The signature matches the body with CR LF turned into LF: LF was changed to CR LF.
    LfChangedToCrlf: "LF_CHANGED_TO_CRLF", "Line breaks changed from LF to CR LF", mistake,
        "The signature matches this body with its CR LF line breaks turned into LF: the \
         line breaks were converted to CR LF after signing (a Windows tool, git autocrlf, \
         a text-mode write). Read the body as bytes.";
    /// The signature matches the body with LF turned into CR LF: CR LF was changed to LF.
    CrlfChangedToLf: "CRLF_CHANGED_TO_LF", "Line breaks changed from CR LF to LF", mistake,
        "The signature matches this body with its LF line breaks turned into CR LF: the \
         signed body had CR LF line breaks that became LF (a text field, copy and paste, \
         a text-mode read). Read the body as bytes.";
    /// The signature matches the body without its leading byte order mark.
    ByteOrderMark: "BYTE_ORDER_MARK", "Byte order mark added", mistake,
        "The signature matches this body without its leading byte order mark (U+FEFF): \
         an editor or a text-mode write added one. Read the body as bytes.";
    /// The signature matches a secret with the whitespace around it changed.
    SecretWhitespace: "SECRET_WHITESPACE", "Whitespace around the secret", mistake,
        "The signature matches this secret with the whitespace around it changed: one \
         side's secret has a stray space or line break (a .env file, echo, a file read, \
         copy and paste). Trim the secret where it is configured.";
    /// The signature is upper-case hex: accepted, but DigiVault sends lower case.
    UppercaseHex: "UPPERCASE_HEX", "Upper-case hex", note,
        "The signature is upper-case hex. This package accepts it, but DigiVault sends \
         lower case, and a plain string comparison (===, hash_equals) against a \
         lower-case digest fails.";
    /// The signature has a scheme prefix such as `sha256=` or `v1,`.
    SchemePrefix: "SCHEME_PREFIX", "Scheme prefix", mistake,
        "The signature has a scheme prefix (sha256=, v1,): DigiVault sends bare \
         lower-case hex. Do not add or expect a prefix.";
    /// The signature is base64, not hex.
    Base64: "BASE64", "Base64 instead of hex", mistake,
        "The signature is base64, not hex: DigiVault sends the HMAC-SHA256 as lower-case \
         hex (digest('hex'), hexdigest(), hash_hmac).";
    /// The signature is the start of the expected one: it was cut off.
    Truncated: "TRUNCATED", "Signature cut off", mistake,
        "The signature is the start of the expected one: the header value was cut off \
         (a length limit in a proxy or a log, copy and paste).";
    /// The signature came in the legacy `X-BitVault-Signature` header.
    LegacyHeader: "LEGACY_HEADER", "Legacy header name", note,
        "The signature came in X-BitVault-Signature, the legacy name that the guide's \
         Node and PHP samples read. DigiVault signs in X-DigiVault-Signature: read that \
         header (this package accepts both).";
    /// Nothing tried explains the signature: most likely the wrong secret.
    WrongSecret: "WRONG_SECRET", "Wrong secret", mistake,
        "No single change to the body, the secret or the signature's encoding explains \
         it: most likely the secret is wrong (another endpoint's, an old or test one), or \
         the body is not the one that was signed. Copy the secret from the dashboard \
         again and paste the exact raw body.";
}

impl fmt::Display for Mistake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.explanation())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_titles_and_explanations_are_distinct() {
        assert_eq!(Mistake::ALL.len(), 14);
        for (i, a) in Mistake::ALL.iter().enumerate() {
            for b in &Mistake::ALL[i + 1..] {
                assert_ne!(a.code(), b.code());
                assert_ne!(a.title(), b.title());
                assert_ne!(a.explanation(), b.explanation());
            }
        }
    }

    #[test]
    fn codes_are_screaming_snake_case_and_titles_are_short_sentences() {
        for mistake in Mistake::ALL {
            let code = mistake.code();
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
            let title = mistake.title();
            assert!(title.starts_with(char::is_uppercase), "{title}");
            assert!(!title.ends_with('.') && title.len() < 40, "{title}");
            assert!(mistake.explanation().ends_with('.'), "{code}");
            assert_eq!(mistake.to_string(), mistake.explanation());
        }
    }

    #[test]
    fn only_what_the_package_accepts_is_a_note() {
        let notes: Vec<_> = Mistake::ALL.iter().filter(|m| m.is_note()).collect();
        assert_eq!(notes, [&Mistake::UppercaseHex, &Mistake::LegacyHeader]);
    }
}
