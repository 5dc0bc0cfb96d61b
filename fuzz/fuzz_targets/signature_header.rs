//! Signature-header parsing and verification: `parse_signature` and `Verifier::verify`
//! never panic; a header accepted as well-formed is exactly 64 hex digits after trimming;
//! a header accepted as valid is the body's HMAC under one of the secrets.
#![no_main]

use digivault_webhooks::{parse_signature, sign, Error, Verifier};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

const SECRETS: [&str; 2] = ["whsec_7f3a9c1e5b2d4f6a8c0e", "whsec_previous_1234"];

#[derive(Debug, Arbitrary)]
enum Header {
    /// Any text.
    Raw(String),
    /// The right signature of the body (under secret `which % 2`), then altered: the fuzzer
    /// cannot find an HMAC by itself, so near misses are built from the real one.
    Mangled { which: u8, edits: Vec<Edit> },
}

#[derive(Debug, Arbitrary)]
enum Edit {
    Replace { at: u8, with: char },
    Remove { at: u8 },
    Insert { at: u8, with: char },
    Truncate { len: u8 },
    Upper,
    Pad { before: String, after: String },
    Prefix(String),
}

#[derive(Debug, Arbitrary)]
struct Input {
    body: Vec<u8>,
    header: Header,
    present: bool,
    rotating: bool,
}

fn apply(mut text: String, edit: &Edit) -> String {
    let at = |at: u8, text: &str| {
        let mut i = usize::from(at) % (text.len() + 1);
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    match edit {
        Edit::Replace { at: a, with } => {
            let i = at(*a, &text);
            if i < text.len() {
                let end = i + text[i..].chars().next().map_or(0, char::len_utf8);
                text.replace_range(i..end, &with.to_string());
            }
        }
        Edit::Remove { at: a } => {
            let i = at(*a, &text);
            if i < text.len() {
                text.remove(i);
            }
        }
        Edit::Insert { at: a, with } => {
            let i = at(*a, &text);
            text.insert(i, *with);
        }
        Edit::Truncate { len } => {
            let i = at(*len, &text);
            text.truncate(i);
        }
        Edit::Upper => text = text.to_ascii_uppercase(),
        Edit::Pad { before, after } => text = format!("{before}{text}{after}"),
        Edit::Prefix(prefix) => text = format!("{prefix}{text}"),
    }
    text
}

fn is_64_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fuzz_target!(|input: Input| {
    let header = match &input.header {
        Header::Raw(text) => text.clone(),
        Header::Mangled { which, edits } => {
            let secret = SECRETS[usize::from(*which) % 2];
            edits
                .iter()
                .take(8)
                .fold(sign(secret.as_bytes(), &input.body), |text, edit| {
                    apply(text, edit)
                })
        }
    };
    let header = input.present.then_some(header.as_str());

    let parsed = parse_signature(header);
    match (&parsed, header) {
        (Ok(_), Some(text)) => assert!(is_64_hex(text.trim()), "accepted malformed {text:?}"),
        (Ok(_), None) => panic!("accepted an absent header"),
        (Err(Error::MissingSignature), Some(text)) => assert!(text.trim().is_empty()),
        (Err(Error::MalformedSignature(_)), Some(text)) => {
            assert!(!is_64_hex(text.trim()), "refused well-formed {text:?}")
        }
        (Err(Error::MissingSignature), None) => {}
        (Err(other), _) => panic!("unexpected parse error {other:?}"),
    }

    let secrets: &[&str] = if input.rotating {
        &SECRETS
    } else {
        &SECRETS[..1]
    };
    let verifier = match Verifier::new(secrets) {
        Ok(verifier) => verifier,
        Err(err) => panic!("verifier: {err:?}"),
    };
    let verdict = verifier.verify(&input.body, header);
    let expected: Vec<String> = secrets
        .iter()
        .map(|s| sign(s.as_bytes(), &input.body))
        .collect();
    let matches = header
        .map(|text| text.trim().to_ascii_lowercase())
        .is_some_and(|text| expected.contains(&text));
    match verdict {
        Ok(()) => assert!(matches, "accepted a wrong signature {header:?}"),
        Err(Error::InvalidSignature) => {
            assert!(
                parsed.is_ok() && !matches,
                "refused the right signature {header:?}"
            )
        }
        Err(err) => assert_eq!(Err(err), parsed.map(|_| ())),
    }
    assert_eq!(verifier.expected_signatures(&input.body), expected);
});
