//! Property tests of durable delivery's pure parts: the retry policy, the state machine of
//! a stored event against a model of what may happen to it, the admin API's parsing and the
//! merge of the ledger shards' listings.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use digivault_webhooks::receiver::{
    admin_request, merge_pages, Delivery, DeliveryState, ListCursor, ListItem, NextAttempt,
    OriginResult, Refused, Retention, RetryPolicy, CLIENT_ERROR_RETRIES, JITTER_PERCENT, NEVER_MS,
};
use proptest::prelude::*;

fn origin_result() -> impl Strategy<Value = OriginResult> {
    prop_oneof![
        (100u16..600).prop_map(OriginResult::Status),
        Just(OriginResult::Status(200)),
        Just(OriginResult::Status(503)),
        Just(OriginResult::Status(429)),
        Just(OriginResult::Unreachable),
        Just(OriginResult::TimedOut),
    ]
}

fn schedule() -> impl Strategy<Value = Vec<u64>> {
    proptest::collection::vec(1u64..100_000_000, 0..12)
}

fn policy_of(delays: &[u64]) -> RetryPolicy {
    let text: Vec<String> = delays
        .iter()
        .map(|ms| format!("{}.{:03}", ms / 1000, ms % 1000))
        .collect();
    RetryPolicy::parse(&text.join(",")).unwrap_or_else(|_| RetryPolicy::parse("1").unwrap())
}

proptest! {
    #[test]
    fn retries_stay_within_the_jittered_schedule(
        delays in schedule().prop_filter("at least one delay", |d| !d.is_empty()),
        made in 1u32..20,
        result in origin_result(),
        retry_after in proptest::option::of(any::<u64>()),
        now in 0u64..(1 << 50),
        jitter in any::<u32>(),
    ) {
        let policy = policy_of(&delays);
        let delays = policy.delays_ms().to_vec();
        let next = policy.after_failure(made, result, retry_after, now, jitter);
        let index = made as usize - 1;
        let client_error = matches!(result, OriginResult::Status(s) if (400..500).contains(&s) && s != 408 && s != 429);
        if index >= delays.len() || (client_error && made as usize > CLIENT_ERROR_RETRIES) {
            prop_assert_eq!(next, NextAttempt::Dead);
        } else {
            let NextAttempt::At(at) = next else { panic!("retry expected") };
            let delay = delays[index];
            let low = delay * (100 - JITTER_PERCENT) / 100;
            let high = delay * (100 + JITTER_PERCENT) / 100;
            let longest = *delays.iter().max().unwrap();
            let wait = at - now;
            prop_assert!(wait >= low, "never earlier than the jittered schedule");
            let honoured = matches!(result, OriginResult::Status(429 | 503)) && retry_after.is_some();
            if honoured {
                prop_assert!(wait >= retry_after.unwrap().min(longest));
                prop_assert!(wait <= high.max(longest));
            } else {
                prop_assert!(wait <= high);
            }
        }
    }

    #[test]
    fn schedule_text_round_trips(delays in schedule().prop_filter("non-empty", |d| !d.is_empty())) {
        let policy = policy_of(&delays);
        prop_assert_eq!(policy.delays_ms(), delays.as_slice());
    }

    #[test]
    fn schedule_parsing_never_panics(text in "\\PC{0,40}") {
        let _ = RetryPolicy::parse(&text);
    }
}

/// What can happen to a stored event.
#[derive(Debug, Clone)]
enum Step {
    /// Time passes.
    Wait(u64),
    /// The alarm starts an attempt if one is due.
    Begin,
    /// The running attempt ends with this answer.
    Finish(OriginResult, Option<u64>, u32),
    /// The object died mid-attempt; its lease runs out.
    Lose(u32),
    /// An operator replays it.
    Replay,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u64..200_000).prop_map(Step::Wait),
        Just(Step::Begin),
        (
            origin_result(),
            proptest::option::of(0u64..100_000),
            any::<u32>()
        )
            .prop_map(|(r, a, j)| Step::Finish(r, a, j)),
        any::<u32>().prop_map(Step::Lose),
        Just(Step::Replay),
    ]
}

proptest! {
    /// The state machine against a model: attempts only when due, bounded by the schedule
    /// between replays; a 2xx settles it as delivered and nothing but a replay starts
    /// another attempt; rows only expire once settled; a replay only of settled events.
    #[test]
    fn delivery_state_machine_keeps_its_promises(
        delays in schedule(),
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        let policy = policy_of(&delays);
        let keep = Retention { delivered_ms: 10_000, dead_ms: 20_000 };
        let lease = 1_000;
        let mut now = 1_000_000u64;
        let mut event = Delivery::stored(now);
        let mut attempts_since_replay = 0u32;
        for step in steps {
            let before = event;
            match step {
                Step::Wait(ms) => now += ms,
                Step::Begin => {
                    let due = event.state == DeliveryState::Pending && event.next_attempt_at.unwrap() <= now;
                    match event.begin(now, lease) {
                        Ok(next) => {
                            prop_assert!(due);
                            attempts_since_replay += 1;
                            prop_assert_eq!(next.attempt_count, attempts_since_replay);
                            prop_assert!(attempts_since_replay as usize <= policy.total_attempts());
                            event = next;
                        }
                        Err(refused) => {
                            prop_assert!(!due);
                            prop_assert_eq!(refused, Refused::WrongState);
                        }
                    }
                }
                Step::Finish(result, retry_after, jitter) => {
                    match event.finish(result, retry_after, now, jitter, &policy, keep) {
                        Ok(next) => {
                            prop_assert_eq!(before.state, DeliveryState::Delivering);
                            let success = matches!(result, OriginResult::Status(s) if (200..300).contains(&s));
                            prop_assert_eq!(next.state == DeliveryState::Delivered, success);
                            if next.state == DeliveryState::Pending {
                                prop_assert!(next.next_attempt_at.unwrap() > now);
                            }
                            event = next;
                        }
                        Err(_) => prop_assert_ne!(before.state, DeliveryState::Delivering),
                    }
                }
                Step::Lose(jitter) => {
                    if let Ok(next) = event.lost(now, jitter, &policy, keep) {
                        prop_assert!(before.lease_until.unwrap() <= now);
                        prop_assert_ne!(next.state, DeliveryState::Delivered);
                        event = next;
                    }
                }
                Step::Replay => match event.replay(now) {
                    Ok(next) => {
                        prop_assert!(matches!(before.state, DeliveryState::Dead | DeliveryState::Delivered));
                        attempts_since_replay = 0;
                        event = next;
                    }
                    Err(refused) => {
                        prop_assert_eq!(refused, Refused::NotSettled);
                        prop_assert!(matches!(before.state, DeliveryState::Pending | DeliveryState::Delivering));
                    }
                },
            }
            // Invariants of every state.
            match event.state {
                DeliveryState::Pending => {
                    prop_assert_eq!(event.expires_at, NEVER_MS);
                    prop_assert!(event.next_attempt_at.is_some() && event.lease_until.is_none());
                }
                DeliveryState::Delivering => {
                    prop_assert_eq!(event.expires_at, NEVER_MS);
                    prop_assert!(event.lease_until.is_some() && event.next_attempt_at.is_none());
                }
                DeliveryState::Delivered | DeliveryState::Dead => {
                    prop_assert!(event.expires_at < NEVER_MS);
                    prop_assert!(!event.is_due(u64::MAX >> 1), "settled events never start an attempt");
                }
            }
            prop_assert!(event.wake_at() <= event.expires_at);
        }
    }
}

fn item(id: String, received_at: u64) -> ListItem {
    ListItem {
        id,
        event_type: "contact.created".into(),
        state: DeliveryState::Dead,
        received_at,
        attempt_count: 1,
        next_attempt_at: None,
    }
}

proptest! {
    /// Walking a listing page by page over shards (each answering `limit + 1` after the
    /// cursor, as the object's query does) yields every event exactly once, newest first.
    #[test]
    fn paging_through_shards_sees_every_event_once(
        events in proptest::collection::btree_map("[a-z]{1,6}", (0u64..50, 0usize..16), 0..120),
        limit in 1usize..20,
    ) {
        let mut shards: Vec<Vec<ListItem>> = vec![Vec::new(); 16];
        for (id, (at, shard)) in &events {
            shards[*shard].push(item(id.clone(), *at));
        }
        let key = |item: &ListItem| (item.received_at, item.id.clone());
        let mut seen = Vec::new();
        let mut cursor: Option<ListCursor> = None;
        for _ in 0..=events.len() + 1 {
            let pages = shards
                .iter()
                .map(|shard| {
                    let mut page: Vec<ListItem> = shard
                        .iter()
                        .filter(|item| cursor.as_ref().is_none_or(|c| key(item) < (c.received_at, c.id.clone())))
                        .cloned()
                        .collect();
                    page.sort_by_key(|item| std::cmp::Reverse(key(item)));
                    page.truncate(limit + 1);
                    page
                })
                .collect();
            let page = merge_pages(pages, limit);
            prop_assert!(page.events.len() <= limit);
            seen.extend(page.events.iter().map(key));
            match page.cursor {
                Some(text) => cursor = Some(ListCursor::decode(&text).unwrap()),
                None => break,
            }
        }
        let mut expected: Vec<(u64, String)> = events.iter().map(|(id, (at, _))| (*at, id.clone())).collect();
        expected.sort_by(|a, b| b.cmp(a));
        prop_assert_eq!(seen, expected);
    }

    #[test]
    fn cursors_round_trip(at in any::<u64>(), id in "\\PC{0,30}") {
        let cursor = ListCursor { received_at: at, id };
        prop_assert_eq!(ListCursor::decode(&cursor.encode()), Some(cursor));
    }

    /// Whatever the path and query, the admin router answers a request or a 4xx reply.
    #[test]
    fn admin_routing_never_panics(method in "GET|POST|PUT|get", path in "/admin[/a-z%0-9A-F.]{0,30}", query in "[a-z=&%0-9.]{0,30}") {
        if let Err(reply) = admin_request(&method, &path, &query) {
            prop_assert!((400..500).contains(&reply.status));
        }
    }

    /// Any event id survives percent-encoding into the path.
    #[test]
    fn event_ids_round_trip_through_the_path(id in "\\PC{1,30}") {
        let path = format!("/admin/events/{}", percent_encode(&id));
        match admin_request("GET", &path, "") {
            Ok(digivault_webhooks::receiver::AdminRequest::Event { id: decoded, body }) => {
                prop_assert_eq!(decoded, id);
                prop_assert!(!body);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }
}

/// Every byte but unreserved ASCII as `%XX` (what `encodeURIComponent` does).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
