//! Every signature vector of tests/vectors.json (made with node:crypto) against the core.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use digivault_webhooks::{sign, Verifier};

#[test]
fn every_vector_verifies_as_expected() {
    check_all!(common::vectors(), |vector| {
        let verifier = Verifier::new(&vector.secrets).map_err(|e| e.to_string())?;
        let outcome = match verifier.verify(&vector.body(), vector.signature.as_deref()) {
            Ok(()) => "valid".to_owned(),
            Err(err) => err.code().to_owned(),
        };
        if outcome == vector.expected {
            Ok(())
        } else {
            Err(format!("expected {}, got {outcome}", vector.expected))
        }
    });
}

#[test]
fn sign_reproduces_every_valid_single_secret_vector() {
    let valid: Vec<_> = common::vectors()
        .into_iter()
        .filter(|v| v.expected == "valid" && v.secrets.len() == 1)
        .collect();
    assert!(valid.len() >= 8);
    check_all!(valid, |vector| {
        let ours = sign(vector.secrets[0].as_bytes(), &vector.body());
        let theirs = vector
            .signature
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if ours == theirs {
            Ok(())
        } else {
            Err(format!("sign gave {ours}, node:crypto gave {theirs}"))
        }
    });
}

#[test]
fn vectors_cover_every_signature_outcome() {
    let vectors = common::vectors();
    for code in [
        "valid",
        "MISSING_SIGNATURE",
        "MALFORMED_SIGNATURE",
        "INVALID_SIGNATURE",
    ] {
        assert!(
            vectors.iter().any(|v| v.expected == code),
            "no vector for {code}"
        );
    }
    assert!(
        vectors.iter().any(|v| v.body().len() == 1 << 20),
        "no 1 MiB vector"
    );
}
