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

proptest! {
    /// The allocation-free check and the owned model must accept and reject the same
    /// payloads with the same error: mutate valid samples byte by byte and compare.
    #[test]
    fn validation_and_the_owned_model_agree(type_index in 0usize..16, at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        use digivault_webhooks::{sample_event, validate_event, Event, EventType};
        let event_type = EventType::ALL[type_index].clone();
        // An unknown field too, so that mutations land in values the checks skip.
        let sample = sample_event(&event_type, "evt", 1).unwrap().to_json();
        let mut body = sample.replacen(r#""id":"evt","#, r#""id":"evt","note":["a\\u00e9",{"k":1.5}],"#, 1).into_bytes();
        let i = at.index(body.len());
        body[i] = byte;
        let checked = validate_event(&body).map(|s| s.id.into_owned());
        let built = Event::from_slice(&body).map(|e| e.id);
        prop_assert_eq!(checked, built);
    }
}
