use super::*;

const ORIGIN: &str = "https://r.example";

fn settings() -> AlertSettings {
    AlertSettings {
        url: Some("https://a.example/hook".into()),
        interval_seconds: 10,
        failure_threshold: 3,
        backlog_seconds: 60,
        ..AlertSettings::default()
    }
}

fn at(now: u64) -> Observation {
    Observation {
        now,
        ..Observation::default()
    }
}

#[test]
fn one_alert_per_kind_per_interval_however_many_events_die() {
    let settings = settings();
    let mut state = AlertState::default();
    let mut sent = Vec::new();
    for second in 0..30u64 {
        let seen = Observation {
            dead_new: 1,
            dead_total: second + 1,
            dead_ids: vec![format!("evt_{second}")],
            ..at(100_000 + second * 1000)
        };
        let (alerts, next) = decide(&settings, &state, &seen, ORIGIN);
        if !alerts.is_empty() {
            // What accumulated was alerted: the next deaths count from now.
            assert!(next.dead_since >= seen.now);
        }
        sent.extend(alerts);
        state = next;
    }
    let kinds: Vec<AlertKind> = sent.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [AlertKind::DeadLetter; 3]);
    assert!(sent[0].text.contains("evt_0"));
    assert_eq!(sent[0].console_url, "https://r.example/#console/events");
}

#[test]
fn failures_name_the_most_frequent_diagnosis_then_resolve() {
    let settings = settings();
    let seen = Observation {
        refused: 5,
        refused_ids: vec!["9".into(), "8".into()],
        top_mistake: Some("WRONG_SECRET".into()),
        ..at(1_000_000)
    };
    let (alerts, state) = decide(&settings, &AlertState::default(), &seen, ORIGIN);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].kind, AlertKind::VerificationFailures);
    assert_eq!(alerts[0].mistake.as_deref(), Some("WRONG_SECRET"));
    assert!(
        alerts[0].text.contains("WRONG_SECRET"),
        "{}",
        alerts[0].text
    );
    // Below the threshold within the interval: nothing yet (resolved waits its turn too).
    let quiet = at(1_005_000);
    let (alerts, state) = decide(&settings, &state, &quiet, ORIGIN);
    assert_eq!(alerts.len(), 1, "resolved has its own interval");
    assert_eq!(alerts[0].kind, AlertKind::Resolved);
    assert_eq!(alerts[0].resolves, [AlertKind::VerificationFailures]);
    assert!(state.active.is_empty());
    let (alerts, _) = decide(&settings, &state, &at(1_020_000), ORIGIN);
    assert!(alerts.is_empty());
}

#[test]
fn a_backlog_is_alerted_once_then_resolved() {
    let settings = settings();
    let old = Observation {
        pending: 4,
        oldest_pending_at: Some(0),
        ..at(61_000)
    };
    let (alerts, state) = decide(&settings, &AlertState::default(), &old, ORIGIN);
    assert_eq!(alerts[0].kind, AlertKind::Backlog);
    assert_eq!(alerts[0].oldest_pending_at, Some(0));
    let still = Observation {
        now: 500_000,
        ..old.clone()
    };
    let (alerts, state) = decide(&settings, &state, &still, ORIGIN);
    assert!(
        alerts.is_empty(),
        "one alert per condition, not a reminder each interval"
    );
    assert_eq!(next_evaluation(&settings, &state, 500_000), Some(510_000));
    let (alerts, state) = decide(&settings, &state, &at(520_000), ORIGIN);
    assert_eq!(alerts[0].resolves, [AlertKind::Backlog]);
    assert_eq!(next_evaluation(&settings, &state, 520_000), None);
}

#[test]
fn alerts_are_signed_with_alert_secret_verifiably() {
    let mut settings = settings();
    settings.secret = Some(AlertSecret("alert-secret".into()));
    let body = br#"{"kind":"backlog"}"#;
    let headers = alert_headers(&settings, body);
    let (_, signature) = headers
        .iter()
        .find(|(name, _)| *name == ALERT_SIGNATURE_HEADER)
        .unwrap();
    let verifier = crate::Verifier::new(&["alert-secret"]).unwrap();
    assert!(verifier.verify(body, Some(signature)).is_ok());
    assert!(!format!("{settings:?}").contains("alert-secret"));
}

#[test]
fn kinds_round_trip_by_name() {
    for kind in AlertKind::ALL {
        assert_eq!(AlertKind::from_name(kind.as_str()), Some(kind));
    }
    assert_eq!(AlertKind::from_name("x"), None);
}
