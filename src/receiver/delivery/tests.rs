use super::*;
use crate::receiver::tests::{receiver_for, receiver_with};
use crate::receiver::{DedupStore, OriginResult};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn delivery_defaults() {
    let receiver = receiver_with(&[]).unwrap();
    let delivery = &receiver.settings().delivery;
    assert_eq!(delivery.mode, DeliveryMode::Forward);
    assert_eq!(delivery.retry.total_attempts(), 12);
    // 3.95 days, as documented
    assert_eq!(delivery.retry.horizon_ms(), 340_950_000);
    assert_eq!(delivery.dead_letter_ttl_seconds, 14 * 86_400);
    assert_eq!(delivery.max_deliveries_in_flight, 32);
    assert!(receiver.admin_token().is_none());
    assert!(
        delivery.check_ledger(false).is_ok(),
        "forward mode needs no ledger"
    );
}

#[test]
fn durable_mode_settings_are_checked() {
    let durable = receiver_for(DedupStore::Ledger, &[("DELIVERY_MODE", "durable")]).unwrap();
    assert_eq!(durable.settings().delivery.mode, DeliveryMode::Durable);
    // Without the LEDGER binding (KV mode), durable mode is a configuration error.
    let err = receiver_with(&[("DELIVERY_MODE", "durable")]).unwrap_err();
    assert_eq!((err.code(), err.var()), ("CONFIG_ERROR", "LEDGER"));
    assert!(durable.settings().delivery.check_ledger(true).is_ok());

    let cases = [
        (vec![("DELIVERY_MODE", "eventually")], "DELIVERY_MODE"),
        (
            vec![("DELIVERY_MODE", "durable"), ("MAX_BODY_BYTES", "1900001")],
            "MAX_BODY_BYTES",
        ),
        (
            vec![("RETRY_SCHEDULE_SECONDS", "30,,60")],
            "RETRY_SCHEDULE_SECONDS",
        ),
        (
            vec![("RETRY_SCHEDULE_SECONDS", "-1")],
            "RETRY_SCHEDULE_SECONDS",
        ),
        (
            vec![("RETRY_SCHEDULE_SECONDS", "1e3")],
            "RETRY_SCHEDULE_SECONDS",
        ),
        (
            vec![("RETRY_SCHEDULE_SECONDS", "2592001")],
            "RETRY_SCHEDULE_SECONDS",
        ),
        (
            vec![("DEAD_LETTER_TTL_SECONDS", "0")],
            "DEAD_LETTER_TTL_SECONDS",
        ),
        (
            vec![("MAX_DELIVERIES_IN_FLIGHT", "0")],
            "MAX_DELIVERIES_IN_FLIGHT",
        ),
        (
            vec![("MAX_DELIVERIES_IN_FLIGHT", "ten")],
            "MAX_DELIVERIES_IN_FLIGHT",
        ),
        (vec![("ADMIN_TOKEN", "too-short")], "ADMIN_TOKEN"),
    ];
    for (vars, var) in cases {
        let err = receiver_for(DedupStore::Ledger, &vars).unwrap_err();
        assert_eq!((err.code(), err.var()), ("CONFIG_ERROR", var), "{vars:?}");
        // The message never echoes a secret.
        assert!(!err.to_string().contains("too-short"));
    }
    // 1.9 MB exactly is fine in durable mode; forward mode keeps its own limit.
    assert!(receiver_for(
        DedupStore::Ledger,
        &[("DELIVERY_MODE", "durable"), ("MAX_BODY_BYTES", "1900000")]
    )
    .is_ok());
    assert!(receiver_with(&[("MAX_BODY_BYTES", "5000000")]).is_ok());
}

#[test]
fn admin_token_is_redacted_and_compared_exactly() {
    let receiver = receiver_with(&[("ADMIN_TOKEN", TOKEN)]).unwrap();
    let token = receiver.admin_token().unwrap();
    assert_eq!(format!("{token:?}"), "AdminToken([redacted])");
    assert!(!format!("{receiver:?}").contains(TOKEN));
    assert!(token.authorizes(Some(&format!("Bearer {TOKEN}"))));
    assert!(token.authorizes(Some(&format!("BEARER {TOKEN}  "))));
    for wrong in [
        String::new(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        TOKEN.to_owned(),
        format!("Basic {TOKEN}"),
        format!("Bearer {TOKEN}x"),
        format!("Bearer {}", &TOKEN[1..]),
        format!("Bearer {}", TOKEN.to_uppercase()),
    ] {
        assert!(!token.authorizes(Some(&wrong)), "{wrong:?}");
    }
}

#[test]
fn unauthorized_reply_names_nothing() {
    let reply = crate::receiver::Reply::unauthorized();
    assert_eq!(reply.status, 401);
    assert!(reply
        .headers()
        .contains(&("WWW-Authenticate", "Bearer".to_owned())));
    let body: serde_json::Value = serde_json::from_str(&reply.body()).unwrap();
    assert_eq!(body["status"], "error");
    assert_eq!(body["code"], "UNAUTHORIZED");
}

#[test]
fn retry_policy_follows_the_schedule_then_dies() {
    let policy = RetryPolicy::parse("1,2,3").unwrap();
    let fail = OriginResult::Status(500);
    let middle = 1 << 31;
    assert_eq!(
        policy.after_failure(1, fail, None, 0, middle),
        NextAttempt::At(1000)
    );
    assert_eq!(
        policy.after_failure(2, fail, None, 0, middle),
        NextAttempt::At(2000)
    );
    assert_eq!(
        policy.after_failure(3, fail, None, 0, middle),
        NextAttempt::At(3000)
    );
    assert_eq!(
        policy.after_failure(4, fail, None, 0, middle),
        NextAttempt::Dead
    );
    // attempt 0 cannot have failed
    assert_eq!(
        policy.after_failure(0, fail, None, 0, middle),
        NextAttempt::Dead
    );
    // jitter bounds: -20% .. +20%
    assert_eq!(
        policy.after_failure(1, fail, None, 0, 0),
        NextAttempt::At(800)
    );
    assert_eq!(
        policy.after_failure(1, fail, None, 0, u32::MAX),
        NextAttempt::At(1199)
    );
    for result in [
        OriginResult::Unreachable,
        OriginResult::TimedOut,
        OriginResult::Status(408),
    ] {
        assert_eq!(
            policy.after_failure(3, result, None, 0, middle),
            NextAttempt::At(3000)
        );
    }
}

#[test]
fn client_errors_get_fewer_retries() {
    let policy = RetryPolicy::default();
    let refused = OriginResult::Status(404);
    for made in 1..=CLIENT_ERROR_RETRIES as u32 {
        assert!(matches!(
            policy.after_failure(made, refused, None, 0, 0),
            NextAttempt::At(_)
        ));
    }
    assert_eq!(
        policy.after_failure(CLIENT_ERROR_RETRIES as u32 + 1, refused, None, 0, 0),
        NextAttempt::Dead
    );
    // 429 and 408 are about the moment: the whole schedule
    for status in [408, 429, 500, 503] {
        let result = OriginResult::Status(status);
        assert!(matches!(
            policy.after_failure(5, result, None, 0, 0),
            NextAttempt::At(_)
        ));
    }
    assert!(is_client_error(OriginResult::Status(401)));
    assert!(!is_client_error(OriginResult::Status(429)));
    assert!(!is_client_error(OriginResult::Status(502)));
}

#[test]
fn retry_after_is_honoured_on_429_and_503_only_and_capped() {
    let policy = RetryPolicy::parse("10,20,100").unwrap();
    let middle = 1 << 31;
    // longer than the schedule's delay: honoured
    let at =
        |status, asked| policy.after_failure(1, OriginResult::Status(status), asked, 0, middle);
    assert_eq!(at(503, Some(50_000)), NextAttempt::At(50_000));
    assert_eq!(at(429, Some(50_000)), NextAttempt::At(50_000));
    // shorter: the schedule wins
    assert_eq!(at(429, Some(1_000)), NextAttempt::At(10_000));
    // another status: ignored
    assert_eq!(at(500, Some(50_000)), NextAttempt::At(10_000));
    // beyond the longest delay: capped there
    assert_eq!(at(503, Some(u64::MAX)), NextAttempt::At(100_000));
    assert_eq!(parse_retry_after("  7 ", 0), Some(7000));
    assert_eq!(
        parse_retry_after("99999999999999999999999", 0),
        Some(u64::MAX)
    );
    assert_eq!(parse_retry_after("-5", 0), None);
    assert_eq!(parse_retry_after("", 0), None);
    // a date in the past: now
    assert_eq!(
        parse_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", 60_000),
        Some(0)
    );
}

fn keep() -> Retention {
    Retention {
        delivered_ms: 1_000,
        dead_ms: 5_000,
    }
}

#[test]
fn state_machine_happy_path_and_dead_letter() {
    let policy = RetryPolicy::parse("1,1").unwrap();
    let stored = Delivery::stored(100);
    assert!(stored.is_due(100));
    assert_eq!(stored.wake_at(), 100);
    let running = stored.begin(100, 30_000).unwrap();
    assert_eq!(
        (running.state, running.attempt_count),
        (DeliveryState::Delivering, 1)
    );
    assert_eq!(running.wake_at(), 30_100);
    assert!(!running.is_due(30_099));
    assert_eq!(running.begin(100, 1), Err(Refused::WrongState));

    let done = running
        .finish(OriginResult::Status(204), None, 200, 0, &policy, keep())
        .unwrap();
    assert_eq!(done.state, DeliveryState::Delivered);
    assert_eq!(done.expires_at, 1_200);
    assert!(
        !done.is_due(u64::MAX),
        "a delivered event is never delivered again by itself"
    );

    // three failures: dead, kept for dead_ms
    let mut event = Delivery::stored(0);
    let mut now = 0;
    for _ in 0..3 {
        event = event.begin(now, 10).unwrap();
        event = event
            .finish(
                OriginResult::Status(500),
                None,
                now,
                1 << 31,
                &policy,
                keep(),
            )
            .unwrap();
        now += 1_000;
    }
    assert_eq!(event.state, DeliveryState::Dead);
    assert_eq!(event.attempt_count, 3);
    assert_eq!(event.expires_at, 2_000 + 5_000);
}

#[test]
fn replay_rules() {
    let policy = RetryPolicy::parse("1").unwrap();
    let pending = Delivery::stored(0);
    assert_eq!(pending.replay(5), Err(Refused::NotSettled));
    let running = pending.begin(0, 10).unwrap();
    assert_eq!(running.replay(5), Err(Refused::NotSettled));
    let delivered = running
        .finish(OriginResult::Status(200), None, 1, 0, &policy, keep())
        .unwrap();
    let again = delivered.replay(50).unwrap();
    assert_eq!(again, Delivery::stored(50), "fresh schedule, due now");
}

#[test]
fn a_lost_attempt_counts_as_failed() {
    let policy = RetryPolicy::parse("1").unwrap();
    let running = Delivery::stored(0).begin(0, 10).unwrap();
    assert_eq!(
        running.lost(9, 0, &policy, keep()),
        Err(Refused::WrongState)
    );
    assert!(running.is_due(10));
    let retried = running.lost(10, 1 << 31, &policy, keep()).unwrap();
    assert_eq!(retried.state, DeliveryState::Pending);
    assert_eq!(retried.next_attempt_at, Some(1_010));
    let dead = retried
        .begin(1_010, 10)
        .unwrap()
        .lost(1_020, 0, &policy, keep())
        .unwrap();
    assert_eq!(dead.state, DeliveryState::Dead);
}

#[test]
fn admin_routes() {
    use crate::receiver::Reply;
    let get = |path: &str, query: &str| admin_request("GET", path, query);
    assert_eq!(get("/admin/stats", ""), Ok(AdminRequest::Stats));
    assert_eq!(
        get("/admin/events/replay", ""),
        Ok(AdminRequest::Event {
            id: "replay".into(),
            body: false
        })
    );
    assert_eq!(
        admin_request("POST", "/admin/events/a%20b/replay", ""),
        Ok(AdminRequest::Replay { id: "a b".into() })
    );
    let list = |result: Result<AdminRequest, Reply>| match result {
        Ok(AdminRequest::List(query)) => Some(query),
        _ => None,
    };
    let query = list(get("/admin/events", "state=pending")).unwrap();
    assert_eq!(query.limit, DEFAULT_LIST_LIMIT);
    assert_eq!(query.after, None);
    let cursor = ListCursor {
        received_at: 5,
        id: "x/y".into(),
    };
    let query = list(get(
        "/admin/events",
        &format!("state=dead&limit=100&cursor={}", cursor.encode()),
    ))
    .unwrap();
    assert_eq!(query.after, Some(cursor));

    let status = |result: Result<AdminRequest, Reply>| result.unwrap_err().status;
    assert_eq!(status(get("/admin/events", "state=gone")), 400);
    assert_eq!(status(get("/admin/events", "state=dead&limit=101")), 400);
    assert_eq!(status(get("/admin/events", "state=dead&limit=0")), 400);
    assert_eq!(
        status(get("/admin/events", "state=dead&state=pending")),
        400
    );
    assert_eq!(status(get("/admin/events", "state=dead&cursor=zz")), 400);
    assert_eq!(status(get("/admin/events/%FF", "")), 400);
    assert_eq!(status(get("/admin", "")), 404);
    assert_eq!(status(get("/admin/", "")), 404);
    assert_eq!(status(get("/admin/events/", "")), 404);
    assert_eq!(status(get("/admin/events/a/b", "")), 404);
    assert_eq!(
        status(admin_request("POST", "/admin/events/replay", "")),
        400
    );
    assert_eq!(status(admin_request("POST", "/admin/events/a", "")), 405);
    assert_eq!(status(get("/admin/events/a/replay", "")), 405);
    let reply = admin_request("PUT", "/admin/events", "").unwrap_err();
    assert_eq!((reply.status, reply.allow), (405, Some("GET")));
}

#[test]
fn reply_shapes() {
    let view = EventView {
        id: "evt_1".into(),
        event_type: Some("contact.created".into()),
        state: DeliveryState::Pending,
        received_at: 10,
        attempts: vec![
            AttemptView {
                at: 11,
                status: Some(500),
                duration_ms: 3,
                error: None,
            },
            AttemptView {
                at: 20,
                status: None,
                duration_ms: 1000,
                error: Some("timeout".into()),
            },
        ],
        next_attempt_at: Some(99),
        body_sha256: "ab".into(),
        size: Some(2),
        body: None,
    };
    assert_eq!(
        serde_json::to_string(&view).unwrap(),
        r#"{"id":"evt_1","type":"contact.created","state":"pending","received_at":10,"attempts":[{"at":11,"status":500,"duration_ms":3},{"at":20,"status":null,"duration_ms":1000,"error":"timeout"}],"next_attempt_at":99,"body_sha256":"ab","size":2}"#
    );
    let page = merge_pages(Vec::new(), 10);
    assert_eq!(
        serde_json::to_string(&page).unwrap(),
        r#"{"events":[],"cursor":null}"#
    );
    assert_eq!(
        serde_json::to_string(&StoreReply::Conflict {
            stored_sha256: "ab".into()
        })
        .unwrap(),
        r#"{"result":"conflict","stored_sha256":"ab"}"#
    );
    let mut stats = Stats::default();
    stats.add(DeliveryState::Dead, 2);
    let stats = stats.merge(stats);
    assert_eq!(
        serde_json::to_string(&stats).unwrap(),
        r#"{"pending":0,"delivering":0,"delivered":0,"dead":4}"#
    );
}

/// Read through its JSON object (`ReplyFields`, the mapping the webhook script's JS reader
/// shares): every variant back as written.
#[test]
fn store_replies_read_back_as_written() {
    for reply in [
        StoreReply::Stored,
        StoreReply::Duplicate,
        StoreReply::InFlight,
        StoreReply::Conflict {
            stored_sha256: "ab".into(),
        },
    ] {
        let json = serde_json::to_string(&reply).unwrap();
        assert_eq!(
            serde_json::from_str::<StoreReply>(&json).unwrap(),
            reply,
            "{json}"
        );
    }
    assert!(serde_json::from_str::<StoreReply>(r#"{"result":"conflict"}"#).is_err());
}
