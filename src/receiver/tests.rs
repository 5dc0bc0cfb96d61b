use super::*;
use crate::{sign, LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER};

const SECRET: &str = "whsec_current";
const OLD_SECRET: &str = "whsec_previous";
const BODY: &[u8] = br#"{"id":"evt_1","type":"contact.created","created_at":1640995200,"data":{"object":{"id":"c_1"}}}"#;
const NOW: i64 = 1_640_995_200;

pub(super) fn receiver_with(extra: &[(&str, &str)]) -> Result<Receiver, ConfigError> {
    receiver_for(DedupStore::Kv, extra)
}

/// The receiver of a Worker deduplicating in `store`, with `extra` variables.
pub(super) fn receiver_for(
    store: DedupStore,
    extra: &[(&str, &str)],
) -> Result<Receiver, ConfigError> {
    let mut vars = vec![
        ("WEBHOOK_SECRET", SECRET),
        ("FORWARD_URL", "http://127.0.0.1:9/hook"),
    ];
    vars.extend_from_slice(extra);
    Receiver::from_vars_for(store, move |name: &str| {
        vars.iter()
            .rev()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    })
}

fn default_receiver() -> Receiver {
    receiver_with(&[]).unwrap()
}

#[test]
fn defaults() {
    let settings = default_receiver().settings().clone();
    assert_eq!(settings.webhook_path, "/webhooks");
    assert_eq!(settings.max_body_bytes, 1 << 20);
    assert_eq!(settings.max_event_age_seconds, None);
    assert_eq!(settings.dedup_ttl_seconds, 172_800);
    assert_eq!(settings.forward_timeout_ms, 25_000);
    assert!(!settings.rotating);
    assert_eq!(settings.in_flight_retry_after_seconds(), 25);
}

#[test]
fn missing_secret_is_no_secret() {
    for secret in ["", "   "] {
        let err = receiver_with(&[("WEBHOOK_SECRET", secret)]).unwrap_err();
        assert_eq!(err.code(), "NO_SECRET");
        assert_eq!(err.var(), "WEBHOOK_SECRET");
        let reply = Reply::misconfigured();
        assert_eq!(reply.status, 500);
        assert!(reply.body().contains(r#""code":"CONFIG_ERROR""#));
    }
    let err = Receiver::from_vars(|_: &str| None).unwrap_err();
    assert_eq!(err.code(), "NO_SECRET");
}

#[test]
fn invalid_settings_name_the_variable() {
    let cases = [
        ("FORWARD_URL", "", "FORWARD_URL"),
        ("FORWARD_URL", "ftp://example.com", "FORWARD_URL"),
        ("FORWARD_URL", "https://", "FORWARD_URL"),
        ("FORWARD_URL", "https://exa mple.com", "FORWARD_URL"),
        ("WEBHOOK_PATH", "webhooks", "WEBHOOK_PATH"),
        ("WEBHOOK_PATH", "/health", "WEBHOOK_PATH"),
        ("WEBHOOK_PATH", "/a?b", "WEBHOOK_PATH"),
        ("MAX_BODY_BYTES", "0", "MAX_BODY_BYTES"),
        ("MAX_BODY_BYTES", "1MiB", "MAX_BODY_BYTES"),
        ("MAX_BODY_BYTES", "999999999999", "MAX_BODY_BYTES"),
        ("MAX_EVENT_AGE_SECONDS", "0", "MAX_EVENT_AGE_SECONDS"),
        ("MAX_EVENT_AGE_SECONDS", "-5", "MAX_EVENT_AGE_SECONDS"),
        ("DEDUP_TTL_SECONDS", "59", "DEDUP_TTL_SECONDS"),
        ("FORWARD_TIMEOUT_MS", "0", "FORWARD_TIMEOUT_MS"),
        ("FORWARD_TIMEOUT_MS", "30000", "FORWARD_TIMEOUT_MS"),
    ];
    for (var, value, expected) in cases {
        let err = receiver_with(&[(var, value)]).unwrap_err();
        assert_eq!(err.code(), "CONFIG_ERROR", "{var}={value}");
        assert_eq!(err.var(), expected, "{var}={value}");
        assert!(err.to_string().contains(expected), "{err}");
    }
}

#[test]
fn misconfigured_replies_are_generic_and_health_is_503() {
    const BODY: &str = r#"{"status":"error","code":"CONFIG_ERROR","message":"the receiver is misconfigured; see its logs"}"#;
    let reply = Reply::misconfigured();
    assert_eq!((reply.status, reply.body().as_str()), (500, BODY));
    let reply = Reply::unhealthy();
    assert_eq!((reply.status, reply.body().as_str()), (503, BODY));
    assert_eq!(reply.outcome, Outcome::Misconfigured);
}

#[test]
fn max_body_bytes_is_capped_at_16_mib() {
    let at_cap = receiver_with(&[("MAX_BODY_BYTES", "16777216")]).unwrap();
    assert_eq!(at_cap.settings().max_body_bytes, 16 << 20);
    let err = receiver_with(&[("MAX_BODY_BYTES", "16777217")]).unwrap_err();
    assert_eq!((err.code(), err.var()), ("CONFIG_ERROR", "MAX_BODY_BYTES"));
    assert!(err.to_string().contains("16777216"), "{err}");
}

#[test]
fn forward_url_is_never_echoed() {
    let err = receiver_with(&[("FORWARD_URL", "ftp://user:hunter2@example.com")]).unwrap_err();
    assert!(!err.to_string().contains("hunter2"));
}

#[test]
fn settings_parse() {
    let receiver = receiver_with(&[
        ("WEBHOOK_SECRET_PREVIOUS", OLD_SECRET),
        ("WEBHOOK_PATH", " /in/digivault "),
        ("MAX_BODY_BYTES", "2048"),
        ("MAX_EVENT_AGE_SECONDS", "600"),
        ("DEDUP_TTL_SECONDS", "60"),
        ("FORWARD_TIMEOUT_MS", "1500"),
    ])
    .unwrap();
    let settings = receiver.settings();
    assert_eq!(settings.webhook_path, "/in/digivault");
    assert_eq!(settings.max_body_bytes, 2048);
    assert_eq!(settings.max_event_age_seconds, Some(600));
    assert_eq!(settings.dedup_ttl_seconds, 60);
    assert_eq!(settings.forward_timeout_ms, 1500);
    assert_eq!(settings.in_flight_retry_after_seconds(), 2);
    assert!(settings.rotating);
    // An empty previous secret is no rotation.
    let receiver = receiver_with(&[("WEBHOOK_SECRET_PREVIOUS", "")]).unwrap();
    assert!(!receiver.settings().rotating);
}

#[test]
fn ledger_since_bounds_the_kv_done_reads_to_the_switch_period() {
    // Unset: read on every new id (markers from before the switch may exist).
    let receiver = receiver_with(&[]).unwrap();
    assert_eq!(receiver.settings().kv_done_reads_until, None);
    assert!(receiver.settings().reads_kv_done(u64::MAX));
    // Set: until the last marker written in KV mode has expired.
    let receiver =
        receiver_with(&[("LEDGER_SINCE", "1000"), ("DEDUP_TTL_SECONDS", "300")]).unwrap();
    let settings = receiver.settings();
    assert_eq!(settings.kv_done_reads_until, Some(1300));
    assert!(settings.reads_kv_done(1299));
    assert!(!settings.reads_kv_done(1300));
    // 0: the Worker never ran in KV mode, nothing to read.
    let receiver = receiver_with(&[("LEDGER_SINCE", "0")]).unwrap();
    assert!(!receiver.settings().reads_kv_done(172_800));
    let err = receiver_with(&[("LEDGER_SINCE", "yesterday")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("LEDGER_SINCE must be a whole number"),
        "{err}"
    );
}

#[test]
fn routes() {
    let receiver = default_receiver();
    assert_eq!(receiver.route("POST", "/webhooks"), Route::Webhook);
    assert_eq!(receiver.route("post", "/webhooks"), Route::Webhook);
    assert_eq!(
        receiver.route("GET", "/webhooks"),
        Route::MethodNotAllowed { allow: "POST" }
    );
    assert_eq!(receiver.route("GET", "/health"), Route::Health);
    assert_eq!(
        receiver.route("POST", "/health"),
        Route::MethodNotAllowed { allow: "GET" }
    );
    assert_eq!(receiver.route("POST", "/webhooks/"), Route::NotFound);
    assert_eq!(receiver.route("GET", "/"), Route::NotFound);
}

#[test]
fn accepts_both_headers_and_rotation() {
    let receiver = receiver_with(&[("WEBHOOK_SECRET_PREVIOUS", OLD_SECRET)]).unwrap();
    for (header, secret) in [
        ("x-digivault-signature", SECRET),
        ("X-BitVault-Signature", SECRET),
        ("x-digivault-signature", OLD_SECRET),
    ] {
        let signature = sign(secret.as_bytes(), BODY);
        let accepted = receiver
            .accept(BODY, [(header, signature.as_str())], NOW)
            .unwrap();
        assert_eq!(accepted.event.id, "evt_1");
        assert_eq!(accepted.signature, signature);
        let expected = if header.eq_ignore_ascii_case(SIGNATURE_HEADER) {
            SIGNATURE_HEADER
        } else {
            LEGACY_SIGNATURE_HEADER
        };
        assert_eq!(accepted.signature_header, expected);
    }
    // Without the previous secret configured, the old signature fails.
    let signature = sign(OLD_SECRET.as_bytes(), BODY);
    let reply = default_receiver()
        .accept(BODY, [("x-digivault-signature", signature.as_str())], NOW)
        .unwrap_err();
    assert_eq!((reply.status, reply.code), (401, Some("INVALID_SIGNATURE")));
}

#[test]
fn rejections_have_status_code_and_path() {
    let receiver = receiver_with(&[("MAX_EVENT_AGE_SECONDS", "300")]).unwrap();
    let good = sign(SECRET.as_bytes(), BODY);
    let reject = |body: &[u8], signature: Option<&str>, now: i64| {
        let headers: Vec<(&str, &str)> = signature
            .map(|s| vec![("x-digivault-signature", s)])
            .unwrap_or_default();
        receiver.accept(body, headers, now).unwrap_err()
    };
    let reply = reject(BODY, None, NOW);
    assert_eq!((reply.status, reply.code), (401, Some("MISSING_SIGNATURE")));
    let reply = reject(BODY, Some(&good[..10]), NOW);
    assert_eq!(
        (reply.status, reply.code),
        (401, Some("MALFORMED_SIGNATURE"))
    );
    let reply = reject(b"{}", Some(&good), NOW);
    assert_eq!((reply.status, reply.code), (401, Some("INVALID_SIGNATURE")));

    let bad_json = b"{not json";
    let reply = reject(bad_json, Some(&sign(SECRET.as_bytes(), bad_json)), NOW);
    assert_eq!((reply.status, reply.code), (400, Some("INVALID_JSON")));

    let bad_event = br#"{"id":"e","type":"conversation.message.created","created_at":1,"data":{"object":{"id":"m","conversation_id":5,"message":"hi","created_at":1}}}"#;
    let reply = reject(bad_event, Some(&sign(SECRET.as_bytes(), bad_event)), NOW);
    assert_eq!((reply.status, reply.code), (400, Some("INVALID_EVENT")));
    assert_eq!(reply.path.as_deref(), Some("data.object.conversation_id"));
    assert!(reply
        .body()
        .contains(r#""path":"data.object.conversation_id""#));

    let reply = reject(BODY, Some(&good), NOW + 301);
    assert_eq!((reply.status, reply.code), (400, Some("EVENT_TOO_OLD")));
    let reply = reject(BODY, Some(&good), NOW - 301);
    assert_eq!((reply.status, reply.code), (400, Some("EVENT_FROM_FUTURE")));
    assert!(receiver
        .accept(BODY, [("x-digivault-signature", good.as_str())], NOW + 300)
        .is_ok());
}

#[test]
fn size_limits() {
    let receiver = receiver_with(&[("MAX_BODY_BYTES", "100")]).unwrap();
    assert_eq!(receiver.declared_length(None), Ok(None));
    assert_eq!(receiver.declared_length(Some("100")), Ok(Some(100)));
    assert_eq!(receiver.declared_length(Some(" 7 ")), Ok(Some(7)));
    let reply = receiver.declared_length(Some("101")).unwrap_err();
    assert_eq!((reply.status, reply.code), (413, Some("PAYLOAD_TOO_LARGE")));
    let reply = receiver
        .declared_length(Some("99999999999999999999999"))
        .unwrap_err();
    assert_eq!(reply.status, 413);

    let mut body = receiver.body_limit();
    body.add(60).unwrap();
    body.add(40).unwrap();
    assert_eq!(body.add(1).unwrap_err().status, 413);
    assert_eq!(body.received(), 100);

    // A body over the limit fails before the signature is even looked at.
    let reply = receiver.accept(&[b' '; 101], [], NOW).unwrap_err();
    assert_eq!(reply.status, 413);
}

#[test]
fn an_unparsable_content_length_is_not_a_declared_length() {
    // Such a body is read under the streaming limit, never trusted as declared (workerd
    // hands such a header to the Worker unchanged when the body is chunked).
    let receiver = receiver_with(&[("MAX_BODY_BYTES", "100")]).unwrap();
    for value in [
        "junk", "1, 2", "50, 50", "", " ", "-1", "+5", "0x10", "1e3", "5 5",
    ] {
        assert_eq!(receiver.declared_length(Some(value)), Ok(None), "{value:?}");
    }
}

#[test]
fn forward_outcomes() {
    let receiver = receiver_with(&[("FORWARD_TIMEOUT_MS", "2500")]).unwrap();
    for status in [200, 201, 204, 299] {
        let (reply, done) = receiver.after_forward(OriginResult::Status(status));
        assert_eq!((reply.status, done), (200, true));
        assert_eq!(reply.body(), r#"{"status":"forwarded"}"#);
    }
    for status in [199, 301, 400, 404, 500, 503] {
        let (reply, done) = receiver.after_forward(OriginResult::Status(status));
        assert_eq!(
            (reply.status, reply.code, done),
            (502, Some("ORIGIN_ERROR"), false)
        );
        assert_eq!(reply.origin_status, Some(status));
    }
    let (reply, done) = receiver.after_forward(OriginResult::Unreachable);
    assert_eq!(
        (reply.status, reply.code, done),
        (502, Some("ORIGIN_UNREACHABLE"), false)
    );
    let (reply, done) = receiver.after_forward(OriginResult::TimedOut);
    assert_eq!(
        (reply.status, reply.code, done),
        (504, Some("ORIGIN_TIMEOUT"), false)
    );
    let reply = receiver.in_flight();
    assert_eq!((reply.status, reply.retry_after), (409, Some(3)));
    assert!(reply.headers().contains(&("Retry-After", "3".to_owned())));
}

#[test]
fn dedup_decisions() {
    let state = |done, in_flight, read_failed| DedupState {
        done,
        in_flight,
        read_failed,
    };
    assert_eq!(state(true, true, false).decide(), Seen::Done);
    assert_eq!(state(true, false, false).decide(), Seen::Done);
    assert_eq!(state(false, true, false).decide(), Seen::InFlight);
    assert_eq!(state(false, false, false).decide(), Seen::Forward);
    assert_eq!(state(false, false, true).decide(), Seen::Forward);
}

#[test]
fn dedup_keys_are_bounded_and_distinct() {
    let long = "x".repeat(10_000);
    for id in ["webhook_1", "a b", "é", long.as_str(), "sha256:abc", ""] {
        let keys = dedup_keys(id);
        assert!(keys.done.len() <= 512 && keys.lease.len() <= 512);
        assert!(keys.done.bytes().all(|b| b.is_ascii_graphic()));
        assert_ne!(keys.done, keys.lease);
    }
    assert_ne!(dedup_keys("a b").done, dedup_keys("a_b").done);
    assert_eq!(dedup_keys("webhook_1").done, "done:webhook_1");
}

#[test]
fn replies_are_json_with_codes() {
    let replies = [
        Reply::not_found(),
        Reply::method_not_allowed("POST"),
        Reply::rate_limited(60),
        Reply::too_large(10),
        Reply::unreadable_body(),
        Reply::origin_unreachable(),
    ];
    for reply in replies {
        let body: serde_json::Value = serde_json::from_str(&reply.body()).unwrap();
        assert_eq!(body["status"], "error");
        assert_eq!(body["code"], reply.code.unwrap());
        assert!(reply.status >= 400);
    }
    let reply = Reply::method_not_allowed("GET");
    assert!(reply.headers().contains(&("Allow", "GET".to_owned())));
    let reply = Reply::rate_limited(60);
    assert!(reply.headers().contains(&("Retry-After", "60".to_owned())));
    assert_eq!(Reply::rate_limited(0).retry_after, Some(1));
    assert_eq!(Reply::status(Outcome::Health).body(), r#"{"status":"ok"}"#);
    assert_eq!(
        Reply::status(Outcome::Duplicate).body(),
        r#"{"status":"duplicate"}"#
    );
}

#[test]
fn log_line_holds_no_secret_signature_or_body() {
    let receiver = default_receiver();
    let signature = sign(SECRET.as_bytes(), BODY);
    let accepted = receiver
        .accept(BODY, [("x-digivault-signature", signature.as_str())], NOW)
        .unwrap();
    let mut line = LogLine::default();
    line.event(&accepted.event);
    line.kv_error("read", "KV GET failed: 500");
    let (reply, _) = receiver.after_forward(OriginResult::Status(204));
    line.origin_status = Some(204);
    line.finish(&reply, 12);
    let json = line.to_json();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["event_id"], "evt_1");
    assert_eq!(value["event_type"], "contact.created");
    assert_eq!(value["outcome"], "forwarded");
    assert_eq!(value["status"], 200);
    assert_eq!(value["duration_ms"], 12);
    assert_eq!(value["level"], "warn");
    assert_eq!(value["kv_errors"][0], "read");
    for needle in [SECRET, signature.as_str(), "c_1", "created_at\":1640995200"] {
        assert!(!json.contains(needle), "{needle} leaked into {json}");
    }
}

#[test]
fn log_line_truncates_long_ids() {
    let event = AcceptedEvent {
        id: "é".repeat(1000),
        event_type: crate::EventType::ContactCreated,
    };
    let mut line = LogLine::default();
    line.event(&event);
    assert_eq!(
        line.event_id.unwrap().chars().count(),
        MAX_LOGGED_ID_CHARS + 1
    );
}

#[test]
fn header_values_are_always_valid() {
    let accepted = Accepted {
        event: AcceptedEvent {
            id: "a\r\nb".to_owned(),
            event_type: crate::EventType::from_name("x\u{0}y"),
        },
        signature_header: SIGNATURE_HEADER,
        signature: "ab".repeat(32),
    };
    for (_, value) in forward_headers(&accepted, None) {
        assert!(
            value.bytes().all(|b| b.is_ascii_graphic() || b == b' '),
            "{value}"
        );
    }
    assert_eq!(header_value("a\r\nb"), "a%0D%0Ab");
}

#[test]
fn local_dedup_claims_and_remembers() {
    let mut local = LocalDedup::new(60);
    assert_eq!(local.check("k", 0), None);
    let first = local.claim("k", 0).unwrap();
    assert_eq!(local.check("k", 1), Some(Seen::InFlight));
    assert_eq!(local.claim("k", 1), Err(Seen::InFlight));
    // Another id is independent.
    assert!(local.claim("other", 1).is_ok());

    // A failed delivery releases its claim: the retry may claim again.
    local.release("k", first);
    let second = local.claim("k", 2).unwrap();
    assert_ne!(first, second);

    // A success is remembered before the claim goes, and wins over claims.
    local.mark_done("k", 3);
    local.release("k", second);
    assert_eq!(local.claim("k", 4), Err(Seen::Done));
    // ...until the dedup TTL has passed.
    assert_eq!(local.check("k", 3 + 60_000), None);
}

#[test]
fn local_dedup_stale_claims_and_capacity() {
    let mut local = LocalDedup::new(3600);
    let stale = local.claim("k", 0).unwrap();
    // A claim older than the lease TTL was abandoned (cancelled request): taken over.
    let fresh = local.claim("k", LEASE_TTL_SECONDS * 1000).unwrap();
    // The old holder's release does not remove the new claim.
    local.release("k", stale);
    assert_eq!(
        local.check("k", LEASE_TTL_SECONDS * 1000 + 1),
        Some(Seen::InFlight)
    );
    local.release("k", fresh);
    assert_eq!(local.check("k", LEASE_TTL_SECONDS * 1000 + 2), None);

    for i in 0..5000 {
        local.mark_done(&format!("id{i}"), 10);
    }
    assert_eq!(local.check("id0", 11), None, "oldest forgotten");
    assert_eq!(local.check("id4999", 11), Some(Seen::Done));
}

#[test]
fn ledger_mode_allows_short_dedup_ttls() {
    let vars = [
        ("WEBHOOK_SECRET", SECRET),
        ("FORWARD_URL", "http://127.0.0.1:9/hook"),
        ("DEDUP_TTL_SECONDS", "1"),
    ];
    let lookup = |name: &str| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    };
    // KV refuses an expirationTtl under 60 s; the ledger never writes KV.
    let err = Receiver::from_vars_for(DedupStore::Kv, lookup).unwrap_err();
    assert_eq!(err.var(), "DEDUP_TTL_SECONDS");
    assert!(err.to_string().contains("at least 60"), "{err}");
    let receiver = Receiver::from_vars_for(DedupStore::Ledger, lookup).unwrap();
    assert_eq!(receiver.settings().dedup_ttl_seconds, 1);
    assert_eq!(receiver.settings().dedup_store, DedupStore::Ledger);
    let zero = |name: &str| match name {
        "DEDUP_TTL_SECONDS" => Some("0".to_owned()),
        _ => lookup(name),
    };
    assert!(Receiver::from_vars_for(DedupStore::Ledger, zero).is_err());
}

#[test]
fn ledger_replies_and_log_levels() {
    let conflict = Reply::conflicting_duplicate();
    assert_eq!(conflict.status, 409);
    assert_eq!(conflict.code, Some("CONFLICTING_DUPLICATE"));
    assert!(conflict.retry_after.is_none());
    let mut line = LogLine::default();
    line.conflict(&"a".repeat(64), &"b".repeat(64));
    line.finish(&conflict, 1);
    assert_eq!(line.level, "warn");
    let json = line.to_json();
    assert!(
        json.contains(&format!(r#""body_sha256":"{}""#, "a".repeat(64))),
        "{json}"
    );
    assert!(
        json.contains(&format!(r#""stored_sha256":"{}""#, "b".repeat(64))),
        "{json}"
    );

    let unavailable = Reply::ledger_unavailable();
    assert_eq!(unavailable.status, 503);
    assert_eq!(unavailable.code, Some("LEDGER_UNAVAILABLE"));
    assert!(unavailable
        .headers()
        .contains(&("Retry-After", LEDGER_RETRY_AFTER_SECONDS.to_string())));

    // A failed done mark after the origin's 2xx: still 200, but logged at error.
    let mut line = LogLine::default();
    line.ledger_error("done", "storage failed");
    line.finish(&Reply::status(Outcome::Forwarded), 1);
    assert_eq!(line.status, 200);
    assert_eq!(line.level, "error");
    assert!(line.to_json().contains(r#""ledger_errors":["done"]"#));
}

#[test]
fn the_path_of_a_url() {
    for (url, path) in [
        ("https://example.com/", "/"),
        ("https://example.com", "/"),
        ("https://example.com/webhooks", "/webhooks"),
        ("https://example.com/foo/bar", "/foo/bar"),
        ("https://example.com/foo?a=1&b=/x", "/foo"),
        ("https://example.com/foo#/frag?x", "/foo"),
        (
            "http://127.0.0.1:8787/admin/events?state=dead",
            "/admin/events",
        ),
        ("https://example.com/a%3Fb/c", "/a%3Fb/c"),
        ("/health", "/health"),
    ] {
        assert_eq!(super::path_of_url(url), path, "{url}");
    }
}
