use super::*;
use crate::diagnose::Mistake;
use crate::receiver::Receiver;
use crate::sign;

const SECRET: &str = "whsec_test_secret";
const BODY: &[u8] = br#"{"id":"evt_1","type":"contact.deleted","created_at":1640995200,"data":{"object":{"id":"c_1"}}}"#;

fn report(code: &str, headers: Vec<(String, String)>, size: usize) -> FailureReport {
    FailureReport {
        received_at: 1,
        address: "192.0.2.7".into(),
        method: "POST".into(),
        path: "/webhooks".into(),
        headers,
        status: 401,
        code: code.into(),
        size: Some(size as u64),
        body_sha256: None,
        origin: String::new(),
    }
}

fn signed(signature: String) -> Vec<(String, String)> {
    vec![("x-digivault-signature".into(), signature)]
}

#[test]
fn credentials_are_redacted_whatever_their_case_and_the_rest_is_kept() {
    let kept = redact_headers(vec![
        ("Authorization".into(), "Bearer abc".into()),
        ("COOKIE".into(), "a=b".into()),
        ("Proxy-Authorization".into(), "Basic x".into()),
        ("X-DigiVault-Signature".into(), "ab".into()),
        ("x-long".into(), "é".repeat(MAX_HEADER_VALUE_BYTES)),
    ]);
    assert_eq!(kept[0], ("authorization".to_owned(), REDACTED.to_owned()));
    assert_eq!(kept[1].1, REDACTED);
    assert_eq!(kept[2].1, REDACTED);
    assert_eq!(
        kept[3],
        ("x-digivault-signature".to_owned(), "ab".to_owned())
    );
    assert!(kept[4].1.len() <= MAX_HEADER_VALUE_BYTES);
    let many = redact_headers((0..200).map(|i| (format!("x-{i}"), "v".to_owned())));
    assert_eq!(many.len(), MAX_KEPT_HEADERS);
}

#[test]
fn only_the_listed_refusals_are_kept() {
    for code in KEPT_CODES {
        assert!(is_kept(Some(code)));
    }
    for code in [
        "RATE_LIMITED",
        "IN_FLIGHT",
        "INVALID_BODY",
        "NOT_FOUND",
        "CONFIG_ERROR",
    ] {
        assert!(!is_kept(Some(code)), "{code}");
    }
}

#[test]
fn a_frame_keeps_at_most_64_kib_and_says_it_is_truncated() {
    let big = vec![b'a'; EVIDENCE_BODY_BYTES + 10];
    let report = report("INVALID_SIGNATURE", vec![], big.len());
    let framed = report.frame(&big);
    let (back, body) = FailureReport::unframe(&framed).unwrap();
    assert_eq!(body.len(), EVIDENCE_BODY_BYTES);
    assert!(back.truncated(body.len()));
    assert!(!back.truncated(big.len()));
    // A longer body than the frame allows is refused, not cut silently.
    let mut forged = serde_json::to_vec(&report).unwrap();
    forged.push(b'\n');
    forged.extend_from_slice(&big);
    assert!(FailureReport::unframe(&forged).is_none());
    assert!(FailureReport::unframe(b"not json\n{}").is_none());
}

#[test]
fn the_per_minute_cap_writes_at_most_the_cap_and_capacity_drops_the_oldest() {
    let settings = FailureSettings {
        samples: 5,
        per_minute: 3,
        ttl_seconds: 10,
    };
    let mut window = MinuteWindow::default();
    let mut written = 0;
    for i in 0..1000 {
        let decision = sample(&settings, window, 7 * 60_000 + i);
        written += u64::from(decision.write);
        window = decision.window;
    }
    assert_eq!(written, 3);
    assert_eq!(overflow(&settings, 6), 1);
    let off = FailureSettings {
        samples: 0,
        ..settings
    };
    assert!(!sample(&off, MinuteWindow::default(), 0).write);
    assert_eq!(oldest_kept(&settings, 60_000), 50_000);
}

#[test]
fn each_catalogue_mistake_is_named_from_a_kept_record() {
    let lf = br#"{"a":1,
"b":2}"#;
    let crlf = b"{\"a\":1,\r\n\"b\":2}";
    let bom = [b"\xEF\xBB\xBF".as_slice(), BODY].concat();
    let newline = [BODY, b"\n"].concat();
    let cases: Vec<(Vec<u8>, String, Mistake)> = vec![
        (
            newline.clone(),
            sign(SECRET.as_bytes(), BODY),
            Mistake::TrailingNewlineAdded,
        ),
        (
            BODY.to_vec(),
            sign(SECRET.as_bytes(), &newline),
            Mistake::TrailingNewlineRemoved,
        ),
        (
            crlf.to_vec(),
            sign(SECRET.as_bytes(), lf),
            Mistake::LfChangedToCrlf,
        ),
        (
            lf.to_vec(),
            sign(SECRET.as_bytes(), crlf),
            Mistake::CrlfChangedToLf,
        ),
        (bom, sign(SECRET.as_bytes(), BODY), Mistake::ByteOrderMark),
        (BODY.to_vec(), sign(b"another", BODY), Mistake::WrongSecret),
        (
            BODY.to_vec(),
            sign(SECRET.as_bytes(), BODY)[..40].to_owned(),
            Mistake::Truncated,
        ),
        (
            BODY.to_vec(),
            format!("sha256={}", sign(SECRET.as_bytes(), BODY)),
            Mistake::SchemePrefix,
        ),
        (
            BODY.to_vec(),
            sign(format!("{SECRET}\n").as_bytes(), BODY),
            Mistake::SecretWhitespace,
        ),
    ];
    for (body, signature, mistake) in cases {
        let record = report("INVALID_SIGNATURE", signed(signature), body.len());
        let found = diagnose_record(&record, &body, &[SECRET], &[]);
        assert_eq!(found.first(), Some(&mistake), "{}", mistake.code());
    }
}

#[test]
fn a_truncated_or_too_large_record_is_not_guessed_at() {
    let record = report(
        "INVALID_SIGNATURE",
        signed(sign(b"x", BODY)),
        BODY.len() + 1,
    );
    assert!(diagnose_record(&record, BODY, &[SECRET], &[]).is_empty());
    let record = report("PAYLOAD_TOO_LARGE", vec![], BODY.len());
    assert!(diagnose_record(&record, BODY, &[SECRET], &[]).is_empty());
    // A 400 had a valid signature: only notes apply.
    let record = report(
        "INVALID_EVENT",
        vec![("x-bitvault-signature".into(), sign(SECRET.as_bytes(), BODY))],
        BODY.len(),
    );
    assert_eq!(
        diagnose_record(&record, BODY, &[SECRET], &[]),
        [Mistake::LegacyHeader]
    );
    let codes = mistake_codes(&[Mistake::WrongSecret, Mistake::LegacyHeader]);
    assert_eq!(codes, "WRONG_SECRET,LEGACY_HEADER");
    assert_eq!(
        mistakes_from_codes(&codes),
        [Mistake::WrongSecret, Mistake::LegacyHeader]
    );
    assert!(mistakes_from_codes("").is_empty());
}

#[test]
fn shown_headers_never_carry_a_signature() {
    let signature = sign(SECRET.as_bytes(), BODY);
    let shown = show_headers(&[
        ("x-digivault-signature".into(), signature.clone()),
        ("x-bitvault-signature".into(), format!("v1,{signature}")),
        ("user-agent".into(), "curl".into()),
    ]);
    let text = serde_json::to_string(&shown).unwrap();
    assert!(!text.contains(&signature));
    assert!(!text.contains(&signature[..32]));
    assert_eq!(shown["user-agent"], "curl");
    assert_eq!(
        shown["x-bitvault-signature"],
        "[masked: v1, then 64 characters]"
    );
}

#[test]
fn settings_are_validated_like_the_others() {
    let vars = |extra: &[(&'static str, &'static str)]| {
        let mut all = vec![
            ("WEBHOOK_SECRET", "s"),
            ("FORWARD_URL", "https://o.example/h"),
        ];
        all.extend_from_slice(extra);
        move |name: &str| {
            all.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let settings = Receiver::from_vars(vars(&[])).unwrap().settings().clone();
    assert_eq!(settings.failures, FailureSettings::default());
    let (failures, alerts) = console_settings(vars(&[])).unwrap();
    assert_eq!(failures, FailureSettings::default());
    assert!(!alerts.enabled());
    for (name, value) in [
        ("FAILURE_SAMPLES", "10001"),
        ("FAILURE_SAMPLES", "-1"),
        ("FAILURE_SAMPLES_PER_MINUTE", "0"),
        ("FAILURE_TTL_SECONDS", "x"),
        ("ALERT_URL", "http://alerts.example/"),
        ("ALERT_INTERVAL_SECONDS", "0"),
        ("ALERT_FAILURE_THRESHOLD", "1.5"),
        ("ALERT_BACKLOG_SECONDS", "0"),
    ] {
        let err = console_settings(vars(&[(name, value)])).unwrap_err();
        assert_eq!(
            (err.code(), err.var()),
            ("CONFIG_ERROR", name),
            "{name}={value}"
        );
        // The webhook script reads only FAILURE_*.
        let webhook = Receiver::from_vars(vars(&[(name, value)]));
        assert_eq!(webhook.is_err(), name.starts_with("FAILURE_"), "{name}");
    }
    let off = Receiver::from_vars(vars(&[("FAILURE_SAMPLES", "0")])).unwrap();
    assert!(!off.settings().failures.enabled());
    let (_, alerts) = console_settings(vars(&[
        ("ALERT_URL", "https://a.example/"),
        ("ALERT_INTERVAL_SECONDS", "1"),
        ("ALERT_SECRET", "alert-secret-value"),
    ]))
    .unwrap();
    assert_eq!(alerts.interval_seconds, 1);
    assert!(!format!("{alerts:?}").contains("alert-secret-value"));
}

#[test]
fn shown_bodies_are_text_or_base64_never_mangled() {
    let (text, encoding) = show_body("é\r\n".as_bytes());
    assert_eq!((text.as_str(), encoding), ("é\r\n", "utf8"));
    let cut = &"é".as_bytes()[..1];
    assert_eq!(show_body(cut), ("ww==".to_owned(), "base64"));
}
