use super::model::{check, ModelOp};
use super::*;

fn claim_request(id: &str, body: &str) -> ClaimRequest {
    ClaimRequest {
        id: id.to_owned(),
        body_sha256: body_sha256(body.as_bytes()),
        lease_ms: 30_000,
        done_ttl_ms: 3_600_000,
        event_type: None,
    }
}

fn send(ledger: &mut MemoryLedger, request: LedgerRequest, now: i64) -> String {
    match handle(ledger, &request, now) {
        Ok(handled) => handled.reply,
        Err(never) => match never {},
    }
}

fn claim_at(ledger: &mut MemoryLedger, id: &str, body: &str, now: i64) -> ClaimReply {
    let reply = send(ledger, LedgerRequest::Claim(claim_request(id, body)), now);
    serde_json::from_str(&reply).unwrap()
}

/// The token of a won claim, `None` for any other answer.
fn claimed(reply: ClaimReply) -> Option<i64> {
    match reply {
        ClaimReply::Claimed { token } => Some(token),
        _ => None,
    }
}

#[test]
fn shards_are_spread_and_stable() {
    let mut counts = [0u32; LEDGER_SHARDS as usize];
    for i in 0..16_000 {
        counts[shard_of(&format!("webhook_{i}")) as usize] += 1;
    }
    // 1,000 expected per shard: each within 20%.
    assert!(
        counts.iter().all(|&n| (800..1200).contains(&n)),
        "{counts:?}"
    );
    // The routing is part of the stored data's meaning: pinned.
    assert_eq!(
        shard_name("webhook_1234567890"),
        format!("shard-{}", shard_of("webhook_1234567890"))
    );
    let digest = sha2::Sha256::digest(b"evt_pinned");
    assert_eq!(u32::from(digest[7] & 0x0f), shard_of("evt_pinned"));
}

#[test]
fn lease_is_below_the_first_retry() {
    assert_eq!(lease_ms(25_000), 30_000);
    assert!(lease_ms(crate::receiver::MAX_FORWARD_TIMEOUT_MS) < FIRST_RETRY_MS);
}

#[test]
fn one_winner_then_in_flight_then_done() {
    let mut ledger = MemoryLedger::default();
    let token = claimed(claim_at(&mut ledger, "evt_1", "a", 0)).expect("first claim wins");
    assert_eq!(
        claim_at(&mut ledger, "evt_1", "a", 10),
        ClaimReply::InFlight { lease_until: token }
    );
    let done_request = DoneRequest {
        id: "evt_1".into(),
        body_sha256: body_sha256(b"a"),
        done_ttl_ms: 3_600_000,
    };
    send(&mut ledger, LedgerRequest::Done(done_request), 20);
    assert_eq!(claim_at(&mut ledger, "evt_1", "a", 30), ClaimReply::Done);
    // After the TTL the id is forgotten: a new claim wins.
    assert!(matches!(
        claim_at(&mut ledger, "evt_1", "a", 20 + 3_600_000),
        ClaimReply::Claimed { .. }
    ));
}

#[test]
fn a_different_body_is_a_conflict_in_any_state() {
    let mut ledger = MemoryLedger::default();
    claim_at(&mut ledger, "evt_1", "a", 0);
    let conflict = ClaimReply::Conflict {
        stored_sha256: body_sha256(b"a"),
    };
    assert_eq!(claim_at(&mut ledger, "evt_1", "b", 1), conflict);
    let done_request = DoneRequest {
        id: "evt_1".into(),
        body_sha256: body_sha256(b"a"),
        done_ttl_ms: 3_600_000,
    };
    send(&mut ledger, LedgerRequest::Done(done_request), 2);
    assert_eq!(claim_at(&mut ledger, "evt_1", "b", 3), conflict);
}

#[test]
fn release_frees_only_its_own_claim() {
    let mut ledger = MemoryLedger::default();
    let first = claimed(claim_at(&mut ledger, "evt_1", "a", 0)).expect("first claim wins");
    // The lease runs out (the Worker died): the next claim takes over.
    let second = claimed(claim_at(&mut ledger, "evt_1", "a", 30_000))
        .expect("an expired lease is taken over");
    assert!(second > first);
    // The dead Worker's late release leaves the new claim alone.
    let stale = ReleaseRequest {
        id: "evt_1".into(),
        token: first,
    };
    send(&mut ledger, LedgerRequest::Release(stale), 30_001);
    assert!(matches!(
        claim_at(&mut ledger, "evt_1", "a", 30_002),
        ClaimReply::InFlight { .. }
    ));
    let own = ReleaseRequest {
        id: "evt_1".into(),
        token: second,
    };
    send(&mut ledger, LedgerRequest::Release(own), 30_003);
    let third =
        claimed(claim_at(&mut ledger, "evt_1", "a", 30_003)).expect("a released claim is free");
    assert!(third > second);
}

#[test]
fn the_alarm_deletes_expired_rows_and_rearms() {
    let mut ledger = MemoryLedger::default();
    let mut request = claim_request("evt_1", "a");
    request.done_ttl_ms = 1_000;
    request.lease_ms = 500;
    let handled = handle(&mut ledger, &LedgerRequest::Claim(request), 0).unwrap();
    assert_eq!(handled.wrote_expiry, Some(1_000));
    assert_eq!(rearm_for(None, 1_000), Some(1_000));
    assert_eq!(rearm_for(Some(500), 1_000), None);
    assert_eq!(rearm_for(Some(2_000), 1_000), Some(1_000));
    claim_at(&mut ledger, "evt_2", "a", 100);
    // At 1,000 the first row goes; the next alarm waits at least the batch interval.
    assert_eq!(expire(&mut ledger, 1_000).unwrap(), Some(3_600_100));
    assert_eq!(ledger.rows.len(), 1);
    assert_eq!(
        next_alarm(Some(1_200), 1_000),
        Some(1_000 + EXPIRY_BATCH_MS)
    );
    assert_eq!(next_alarm(None, 1_000), None);
}

#[test]
fn requests_round_trip_and_bad_ones_are_refused() {
    let request = LedgerRequest::Claim(claim_request("evt_1", "a"));
    assert_eq!(request.url(), "https://ledger/claim");
    let parsed = LedgerRequest::parse("/claim", request.body().as_bytes()).unwrap();
    assert_eq!(parsed, request);
    let bad_hash = r#"{"id":"e","body_sha256":"ABC","lease_ms":1,"done_ttl_ms":1}"#;
    assert!(LedgerRequest::parse("/claim", bad_hash.as_bytes()).is_err());
    assert!(LedgerRequest::parse("/claim", b"not json").is_err());
    assert!(LedgerRequest::parse("/release", br#"{"id":"e"}"#).is_err());
    let reply = serde_json::to_string(&ClaimReply::Conflict {
        stored_sha256: "x".into(),
    })
    .unwrap();
    assert_eq!(reply, r#"{"outcome":"conflict","stored_sha256":"x"}"#);
}

#[test]
fn model_scenarios() {
    use ModelOp::*;
    let scenario = [
        Claim { id: 1, body: 0 },
        Claim { id: 1, body: 0 },
        Claim { id: 1, body: 1 },
        Advance { ms: 40_000 },
        Claim { id: 1, body: 0 },
        Release { id: 1, nth: 1 },
        Claim { id: 1, body: 0 },
        Done { id: 1, body: 0 },
        Alarm,
        Advance { ms: 70_000 },
        Alarm,
        Lookup { id: 1 },
        Claim { id: 1, body: 1 },
    ];
    check(30_000, 60_000, &scenario).unwrap();
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::{check, ModelOp};
    use proptest::prelude::*;

    fn op() -> impl Strategy<Value = ModelOp> {
        prop_oneof![
            4 => (0u8..4, 0u8..2).prop_map(|(id, body)| ModelOp::Claim { id, body }),
            2 => (0u8..4, 0u8..2).prop_map(|(id, body)| ModelOp::Done { id, body }),
            2 => (0u8..4, 0u8..3).prop_map(|(id, nth)| ModelOp::Release { id, nth }),
            1 => (0u8..4).prop_map(|id| ModelOp::Lookup { id }),
            3 => prop_oneof![0u32..3, 0u32..5_000, 0u32..100_000].prop_map(|ms| ModelOp::Advance { ms }),
            2 => Just(ModelOp::Alarm),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn the_ledger_keeps_its_guarantee(
            lease_ms in prop_oneof![Just(30_000u64), 1u64..5_000],
            ttl_ms in prop_oneof![Just(60_000u64), 0u64..20_000],
            ops in proptest::collection::vec(op(), 0..120),
        ) {
            if let Err(broken) = check(lease_ms, ttl_ms, &ops) {
                return Err(TestCaseError::fail(broken));
            }
        }
    }
}

/// Read through its JSON object (`ReplyFields`, the mapping the webhook script's JS reader
/// shares): the same JSON as the tagged enum writes, every variant back as it was, a variant's missing field an error.
#[test]
fn claim_replies_read_back_as_written() {
    for reply in [
        ClaimReply::Claimed { token: 7 },
        ClaimReply::Done,
        ClaimReply::InFlight { lease_until: 9 },
        ClaimReply::Conflict {
            stored_sha256: "ab".into(),
        },
    ] {
        let json = serde_json::to_string(&reply).unwrap();
        assert_eq!(
            serde_json::from_str::<ClaimReply>(&json).unwrap(),
            reply,
            "{json}"
        );
    }
    assert!(serde_json::from_str::<ClaimReply>(r#"{"outcome":"claimed"}"#).is_err());
    assert!(serde_json::from_str::<ClaimReply>(r#"{"outcome":"lost"}"#).is_err());
    assert!(serde_json::from_str::<ClaimReply>(r#"{"token":1}"#).is_err());
}
