//! The public API beyond the fixture files: samples, freshness, headers, redaction, limits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use digivault_webhooks::{
    check_freshness, find_signature, sample_event, sign, Error, Event, EventType, Options,
    SignatureFormat, Verifier, Webhook, SAMPLE_CREATED_AT,
};

#[test]
fn every_sample_parses_back_to_its_type_and_is_deterministic() {
    for event_type in EventType::ALL {
        let id = format!("webhook_test_{}", event_type.as_str().replace('.', "_"));
        let sample = sample_event(&event_type, &id, SAMPLE_CREATED_AT).unwrap();
        let json = sample.to_json();
        let parsed = Event::from_slice(json.as_bytes()).unwrap();
        assert_eq!(parsed, sample, "{event_type}");
        assert_eq!(parsed.event_type, event_type);
        assert_eq!(
            sample_event(&event_type, &id, SAMPLE_CREATED_AT)
                .unwrap()
                .to_json(),
            json
        );
        assert!(event_type.description().is_some());
    }
}

#[test]
fn message_sample_matches_the_guide_test_event() {
    let sample = sample_event(
        &EventType::MessageCreated,
        "webhook_test_123",
        SAMPLE_CREATED_AT,
    )
    .unwrap();
    assert_eq!(
        sample.to_json(),
        r#"{"id":"webhook_test_123","type":"conversation.message.created","created_at":1640995200,"data":{"object":{"id":"test_message_id","conversation_id":"test_conversation_id","message":"This is a test message","created_at":1640995200}}}"#
    );
}

#[test]
fn samples_of_unknown_types_are_refused() {
    let err = sample_event(&EventType::from_name("thing.happened"), "e", 1).unwrap_err();
    assert_eq!(err.code(), "UNKNOWN_EVENT_TYPE");
    assert_eq!(
        EventType::known("thing.happened").unwrap_err().code(),
        "UNKNOWN_EVENT_TYPE"
    );
    assert_eq!(
        EventType::known("group.deleted").unwrap(),
        EventType::GroupDeleted
    );
}

#[test]
fn freshness_accepts_the_window_and_rejects_outside_it() {
    let created = 1_000_000;
    assert!(check_freshness(created, created + 300, 300).is_ok());
    assert!(check_freshness(created, created - 300, 300).is_ok());
    assert_eq!(
        check_freshness(created, created + 301, 300),
        Err(Error::EventTooOld {
            age_seconds: 301,
            tolerance_seconds: 300
        })
    );
    assert_eq!(
        check_freshness(created, created - 301, 300),
        Err(Error::EventFromFuture {
            ahead_seconds: 301,
            tolerance_seconds: 300
        })
    );
}

#[test]
fn freshness_arithmetic_is_checked_at_the_extremes() {
    assert_eq!(
        check_freshness(i64::MIN, i64::MAX, 10).unwrap_err().code(),
        "EVENT_TOO_OLD"
    );
    assert_eq!(
        check_freshness(i64::MAX, i64::MIN, 10).unwrap_err().code(),
        "EVENT_FROM_FUTURE"
    );
    assert!(check_freshness(i64::MIN, i64::MAX, u64::MAX).is_ok());
}

#[test]
fn no_tolerance_means_no_replay_check() {
    let body = sample_event(&EventType::ContactCreated, "e", 0)
        .unwrap()
        .to_json();
    let signature = sign(b"s", body.as_bytes());
    let webhook = Webhook::new(&["s"], Options::default()).unwrap();
    assert!(webhook
        .construct_event_at(body.as_bytes(), Some(&signature), i64::MAX)
        .is_ok());
}

#[test]
fn webhook_reports_each_failure_with_its_code() {
    let body = sample_event(&EventType::GroupCreated, "e", 1_000)
        .unwrap()
        .to_json();
    let body = body.as_bytes();
    let good = sign(b"s", body);
    let webhook = Webhook::new(
        &["s"],
        Options::default()
            .tolerance_seconds(60)
            .max_payload_bytes(body.len()),
    )
    .unwrap();
    let code = |r: Result<_, Error>| r.map(|_| "ok").unwrap_or_else(|e| e.code());
    assert_eq!(
        code(webhook.construct_event_at(body, Some(&good), 1_000)),
        "ok"
    );
    assert_eq!(
        code(webhook.construct_event_at(body, None, 1_000)),
        "MISSING_SIGNATURE"
    );
    assert_eq!(
        code(webhook.construct_event_at(body, Some("sha256=00"), 1_000)),
        "MALFORMED_SIGNATURE"
    );
    assert_eq!(
        code(webhook.construct_event_at(body, Some(&sign(b"t", body)), 1_000)),
        "INVALID_SIGNATURE"
    );
    assert_eq!(
        code(webhook.construct_event_at(body, Some(&good), 1_061)),
        "EVENT_TOO_OLD"
    );
    assert_eq!(
        code(webhook.construct_event_at(body, Some(&good), 939)),
        "EVENT_FROM_FUTURE"
    );
    let bigger = [body, b" "].concat();
    assert_eq!(
        code(webhook.construct_event_at(&bigger, Some(&sign(b"s", &bigger)), 1_000)),
        "PAYLOAD_TOO_LARGE"
    );
    let not_json = b"hello";
    assert_eq!(
        code(webhook.construct_event_at(not_json, Some(&sign(b"s", not_json)), 1_000)),
        "INVALID_JSON"
    );
    let not_event = b"{}";
    assert_eq!(
        code(webhook.construct_event_at(not_event, Some(&sign(b"s", not_event)), 1_000)),
        "INVALID_EVENT"
    );
}

#[test]
fn malformed_signatures_say_why() {
    let verifier = Verifier::new(&["s"]).unwrap();
    let good = sign(b"s", b"x");
    let reason = |header: &str| match verifier.verify(b"x", Some(header)) {
        Err(Error::MalformedSignature(format)) => format,
        other => panic!("{header}: {other:?}"),
    };
    assert_eq!(reason(&format!("sha256={good}")), SignatureFormat::Prefix);
    assert_eq!(reason(&format!("v1,{good}")), SignatureFormat::Prefix);
    assert_eq!(reason(&good[..63]), SignatureFormat::OddLength);
    assert_eq!(
        reason(&good[..40]),
        SignatureFormat::WrongLength { digits: 40 }
    );
    assert_eq!(
        reason("q2Zz8w2lB1RkS0mNf0o9Cj8x8Vq3JtL2xWnY1cQ5ZkE="),
        SignatureFormat::Base64
    );
    assert_eq!(reason(&"g".repeat(64)), SignatureFormat::NotHex);
}

#[test]
fn empty_secrets_are_refused() {
    assert_eq!(Verifier::new::<&str>(&[]).unwrap_err(), Error::NoSecret);
    assert_eq!(Verifier::new(&[""]).unwrap_err(), Error::NoSecret);
    assert_eq!(Verifier::new(&["a", ""]).unwrap_err(), Error::NoSecret);
}

#[test]
fn debug_output_never_shows_a_secret() {
    let webhook = Webhook::new(&["whsec_super_secret_value"], Options::default()).unwrap();
    let shown = format!("{webhook:?} {:?}", webhook.verifier());
    assert!(!shown.contains("super_secret"), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
}

#[test]
fn header_lookup_is_case_insensitive_and_prefers_the_canonical_name() {
    assert_eq!(find_signature([("X-DIGIVAULT-SIGNATURE", "a")]), Some("a"));
    assert_eq!(find_signature([("x-bitvault-signature", "b")]), Some("b"));
    assert_eq!(
        find_signature([
            ("x-bitvault-signature", "b"),
            ("x-digivault-signature", "a")
        ]),
        Some("a")
    );
    assert_eq!(find_signature([("x-signature", "c")]), None);
}

#[test]
fn every_error_has_a_distinct_code_listed_in_codes() {
    let errors = [
        Error::MissingSignature,
        Error::MalformedSignature(SignatureFormat::NotHex),
        Error::InvalidSignature,
        Error::PayloadTooLarge { size: 2, limit: 1 },
        Error::InvalidJson {
            message: String::new(),
        },
        Error::InvalidEvent {
            path: "id".into(),
            expected: String::new(),
        },
        Error::EventTooOld {
            age_seconds: 2,
            tolerance_seconds: 1,
        },
        Error::EventFromFuture {
            ahead_seconds: 2,
            tolerance_seconds: 1,
        },
        Error::NoSecret,
        Error::UnknownEventType("x".into()),
    ];
    let codes: Vec<_> = errors.iter().map(Error::code).collect();
    assert_eq!(codes, Error::CODES);
    let statuses: Vec<_> = errors.iter().map(Error::http_status).collect();
    assert_eq!(statuses, [401, 401, 401, 413, 400, 400, 400, 400, 500, 400]);
    for err in &errors {
        assert_eq!(Error::status_of(err.code()), Some(err.http_status()));
        assert!(Error::TYPESCRIPT.contains(&format!("\"{}\"", err.code())));
    }
    assert_eq!(Error::status_of("NOT_A_CODE"), None);
    assert!(Error::InvalidSignature.to_string().contains("raw bytes"));
}
