//! Property tests: sign then verify round-trips; any flipped bit fails.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use digivault_webhooks::{sign, Verifier};
use proptest::prelude::*;

proptest! {
    #[test]
    fn sign_then_verify_round_trips(secret in "[ -~]{1,64}", payload in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let signature = sign(secret.as_bytes(), &payload);
        let verifier = Verifier::new(&[&secret]).unwrap();
        prop_assert!(verifier.verify(&payload, Some(&signature)).is_ok());
        prop_assert!(verifier.verify(&payload, Some(&signature.to_uppercase())).is_ok());
    }

    #[test]
    fn a_flipped_payload_bit_fails(secret in "[a-z0-9]{8,32}", payload in proptest::collection::vec(any::<u8>(), 1..1024), bit in any::<prop::sample::Index>()) {
        let signature = sign(secret.as_bytes(), &payload);
        let mut tampered = payload.clone();
        let at = bit.index(payload.len() * 8);
        tampered[at / 8] ^= 1 << (at % 8);
        let verifier = Verifier::new(&[&secret]).unwrap();
        prop_assert_eq!(verifier.verify(&tampered, Some(&signature)).unwrap_err().code(), "INVALID_SIGNATURE");
    }

    #[test]
    fn a_flipped_signature_bit_fails(secret in "[a-z0-9]{8,32}", payload in proptest::collection::vec(any::<u8>(), 0..1024), bit in 0usize..256) {
        let signature = sign(secret.as_bytes(), &payload);
        let mut tag = hex::decode(&signature).unwrap();
        tag[bit / 8] ^= 1 << (bit % 8);
        let verifier = Verifier::new(&[&secret]).unwrap();
        prop_assert_eq!(verifier.verify(&payload, Some(&hex::encode(tag))).unwrap_err().code(), "INVALID_SIGNATURE");
    }

    #[test]
    fn every_truncation_fails(secret in "[a-z0-9]{8,32}", payload in proptest::collection::vec(any::<u8>(), 0..256), keep in 0usize..64) {
        let signature = sign(secret.as_bytes(), &payload);
        let verifier = Verifier::new(&[&secret]).unwrap();
        prop_assert!(verifier.verify(&payload, Some(&signature[..keep])).is_err());
    }

    #[test]
    fn arbitrary_headers_never_panic(header in ".{0,100}") {
        let verifier = Verifier::new(&["secret"]).unwrap();
        let result = verifier.verify(b"[]", Some(&header));
        prop_assert!(result.is_err());
    }

    #[test]
    fn arbitrary_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = digivault_webhooks::Event::from_slice(&payload);
    }
}

/// Tokens that sit on the edges of what the validator accepts, spliced into samples.
const EDGE_TOKENS: &[&str] = &[
    "1e999",
    "-0",
    "9223372036854775808",
    "-9223372036854775808",
    "18446744073709551616",
    "1.5",
    "null",
    "[]",
    "{}",
    "\"\"",
    r#""\u0069d""#,
    r#""\ud800""#,
    r#""\ud83d\ude00""#,
    "true",
    ",",
    ":",
    "\"id\":\"x\",",
    "\"created_at\":1,",
    "\"object\":{},",
    "[[[[",
    "\u{1}",
];

/// The validator against serde_json alone: every payload the validator accepts, serde
/// accepts with the same id, type and time; every payload serde accepts, the validator
/// accepts too, except where it is stricter on purpose: invalid UTF-8 and unpaired
/// surrogate escapes in values serde skips without decoding.
fn agree_with_serde(body: &[u8]) -> Result<(), TestCaseError> {
    use digivault_webhooks::{decode_with_serde_only, validate_event, Event};
    let checked = validate_event(body);
    let reference = decode_with_serde_only(body);
    match (&checked, &reference) {
        (Ok(summary), Ok(event)) => {
            prop_assert_eq!(&*summary.id, event.id.as_str());
            prop_assert_eq!(&summary.event_type, &event.event_type);
            prop_assert_eq!(summary.created_at, event.created_at);
        }
        (Ok(_), Err(why)) => prop_assert!(false, "validator accepted, serde refused: {}", why),
        (Err(err), Ok(_)) => {
            let text = String::from_utf8_lossy(body).to_ascii_lowercase();
            let stricter = std::str::from_utf8(body).is_err() || text.contains("\\ud");
            prop_assert!(stricter, "serde accepted, validator refused: {}", err);
        }
        (Err(_), Err(_)) => {}
    }
    // The owned model accepts exactly what the validator does.
    let built = Event::from_slice(body).map(|e| e.id);
    prop_assert_eq!(checked.map(|s| s.id.into_owned()), built);
    Ok(())
}

fn sample_with_unknown_field(type_index: usize) -> Vec<u8> {
    use digivault_webhooks::{sample_event, EventType};
    let event_type = EventType::ALL[type_index].clone();
    // An unknown field too, so that mutations land in values the checks skip.
    let sample = sample_event(&event_type, "evt", 1).unwrap().to_json();
    sample
        .replacen(
            r#""id":"evt","#,
            r#""id":"evt","note":["a\u00e9",{"k":1.5}],"#,
            1,
        )
        .into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any byte changed anywhere in a valid event.
    #[test]
    fn validation_agrees_with_serde_on_mutated_bytes(type_index in 0usize..16, at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut body = sample_with_unknown_field(type_index);
        let i = at.index(body.len());
        body[i] = byte;
        agree_with_serde(&body)?;
    }

    /// An edge token replacing a stretch of a valid event.
    #[test]
    fn validation_agrees_with_serde_on_spliced_tokens(type_index in 0usize..16, at in any::<prop::sample::Index>(), cut in 0usize..12, token in prop::sample::select(EDGE_TOKENS)) {
        let body = sample_with_unknown_field(type_index);
        let i = at.index(body.len());
        let end = (i + cut).min(body.len());
        let spliced = [&body[..i], token.as_bytes(), &body[end..]].concat();
        agree_with_serde(&spliced)?;
    }
}
