//! The Worker's request handling at the core level (`src/receiver`), with arbitrary
//! configuration, method, path, headers and body, driven in the Worker's order: config,
//! route, declared length, body limit, signature and event, dedup keys and decision,
//! forward headers, origin result, reply and log line.
//!
//! Never panics; never accepts a body that is unsigned, wrongly signed or tampered with;
//! whatever is accepted was signed with a configured secret; forwarded header values are
//! valid HTTP header values; replies and log lines always serialize.
#![no_main]

use digivault_webhooks::receiver::{
    dedup_keys, forward_headers, header_value, DedupState, LogLine, OriginResult, Receiver, Route,
    VARS,
};
use digivault_webhooks::{sign, Event};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Signing {
    /// No signature header at all.
    Unsigned,
    /// Signed with the configured secret (`previous` picks the previous one, if set).
    Signed { previous: bool, legacy: bool },
    /// Signed, then one body byte changed.
    Tampered { at: u16, xor: u8 },
    /// Signed with a secret that is not configured.
    WrongSecret(String),
    /// Any header value.
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum Origin {
    Status(u16),
    Unreachable,
    TimedOut,
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// Values for the receiver's variables, by index in `VARS` (absent when `None`).
    vars: [Option<String>; VARS.len()],
    /// Use sane defaults for the secret and URL instead of the arbitrary ones.
    sane: bool,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    content_length: Option<String>,
    body: Vec<u8>,
    chunk: u16,
    signing: Signing,
    /// Append a correct-looking event body instead of the raw bytes only.
    event_body: bool,
    now: i64,
    dedup: (bool, bool, bool),
    origin: Origin,
}

const SECRET: &str = "whsec_fuzz_current";
const PREVIOUS: &str = "whsec_fuzz_previous";

fn valid_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

fuzz_target!(|input: Input| {
    let Input {
        vars,
        sane,
        method,
        path,
        mut headers,
        content_length,
        body,
        chunk,
        signing,
        event_body,
        now,
        dedup,
        origin,
    } = input;
    let lookup = |name: &str| {
        if sane {
            match name {
                "WEBHOOK_SECRET" => return Some(SECRET.to_owned()),
                "WEBHOOK_SECRET_PREVIOUS" => return Some(PREVIOUS.to_owned()),
                "FORWARD_URL" => return Some("https://origin.example/hook".to_owned()),
                "WEBHOOK_PATH" | "MAX_EVENT_AGE_SECONDS" => return None,
                _ => {}
            }
        }
        let index = VARS.iter().position(|(var, _, _)| *var == name)?;
        vars[index].clone()
    };
    let receiver = match Receiver::from_vars(lookup) {
        Ok(receiver) => receiver,
        Err(err) => {
            assert!(matches!(err.code(), "NO_SECRET" | "CONFIG_ERROR"));
            let _ = digivault_webhooks::receiver::Reply::misconfigured().body();
            return;
        }
    };
    let secrets: Vec<String> = ["WEBHOOK_SECRET", "WEBHOOK_SECRET_PREVIOUS"]
        .iter()
        .filter_map(|name| lookup(name).filter(|value| !value.trim().is_empty()))
        .collect();
    assert!(!secrets.is_empty(), "configured without a secret");

    let mut log = LogLine::default();
    let settings = receiver.settings().clone();
    match receiver.route(&method, &path) {
        Route::Webhook => {}
        Route::Health | Route::NotFound | Route::MethodNotAllowed { .. } => {
            assert!(path != settings.webhook_path || !method.eq_ignore_ascii_case("POST"));
            // Exercise the request path anyway: routing only decides the reply.
        }
    }

    // The body: raw bytes, or a valid sample event followed by them.
    let mut payload = if event_body {
        let id = String::from_utf8_lossy(&body).into_owned();
        let sample = digivault_webhooks::sample_event(
            &digivault_webhooks::EventType::ContactDeleted,
            if id.is_empty() { "evt_fuzz" } else { &id },
            now,
        );
        sample
            .map(|event| event.to_json().into_bytes())
            .unwrap_or(body)
    } else {
        body
    };

    // Unsigned, tampered and wrongly signed requests must be refused, unless the fuzzer's
    // own headers carry a signature header (which it cannot forge either, but then the
    // oracle below is the HMAC check alone).
    let own_signature = headers.iter().any(|(name, _)| {
        name.eq_ignore_ascii_case("x-digivault-signature")
            || name.eq_ignore_ascii_case("x-bitvault-signature")
    });
    let forged = !own_signature
        && matches!(
            signing,
            Signing::Unsigned | Signing::Tampered { .. } | Signing::WrongSecret(_)
        );
    let signature = match &signing {
        Signing::Unsigned => None,
        Signing::Signed { previous, legacy } => {
            let secret = if *previous {
                secrets.last()
            } else {
                secrets.first()
            };
            secret.map(|s| (*legacy, sign(s.as_bytes(), &payload)))
        }
        Signing::Tampered { at, xor } => {
            let signature = sign(secrets[0].as_bytes(), &payload);
            if payload.is_empty() {
                payload.push(xor | 1);
            } else {
                let i = usize::from(*at) % payload.len();
                payload[i] ^= xor | 1;
            }
            Some((false, signature))
        }
        Signing::WrongSecret(secret) => {
            let wrong = format!("wrong{secret}");
            if secrets.contains(&wrong) {
                return;
            }
            Some((false, sign(wrong.as_bytes(), &payload)))
        }
        Signing::Raw(value) => Some((false, value.clone())),
    };
    if let Some((legacy, value)) = &signature {
        let name = if *legacy {
            "x-bitvault-signature"
        } else {
            "X-DigiVault-Signature"
        };
        // The fuzzer's own headers come first: a duplicate canonical header of theirs wins.
        headers.push((name.to_owned(), value.clone()));
    }

    let parsed = content_length
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .map(|v| v.parse::<u64>().unwrap_or(u64::MAX));
    match receiver.declared_length(content_length.as_deref()) {
        Err(reply) => {
            assert_eq!(reply.status, 413);
            assert!(parsed.is_some_and(|n| n > settings.max_body_bytes as u64));
        }
        // Only one number within the limit counts as declared; anything else streams.
        Ok(declared) => assert_eq!(declared.map(|n| n as u64), parsed),
    }

    let mut limit = receiver.body_limit();
    let step = usize::from(chunk).max(1);
    let mut too_large = false;
    let mut received = Vec::new();
    for piece in payload.chunks(step) {
        if let Err(reply) = limit.add(piece.len()) {
            assert_eq!(reply.status, 413);
            too_large = true;
            log.finish(&reply, 0);
            break;
        }
        received.extend_from_slice(piece);
    }
    assert_eq!(too_large, payload.len() > settings.max_body_bytes);
    if too_large {
        let _ = log.to_json();
        return;
    }
    assert_eq!(limit.received(), payload.len());
    assert_eq!(received, payload);

    let pairs = headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()));
    let accepted = match receiver.accept(&received, pairs, now) {
        Ok(accepted) => accepted,
        Err(reply) => {
            assert!(
                matches!(reply.status, 400 | 401 | 413),
                "status {}",
                reply.status
            );
            let _ = (reply.body(), reply.headers());
            log.finish(&reply, 0);
            let _ = log.to_json();
            return;
        }
    };

    // Accepted: the signature it came with is the body's HMAC under a configured secret.
    let tag = accepted.signature.trim().to_ascii_lowercase();
    assert!(
        secrets.iter().any(|s| sign(s.as_bytes(), &received) == tag),
        "accepted a body not signed with a configured secret ({signing:?})"
    );
    assert!(
        !forged,
        "accepted an unsigned, tampered or wrongly signed body ({signing:?})"
    );
    let event = Event::from_slice(&received).expect("an accepted body parses");
    assert_eq!((&event.id, &event.event_type), (&accepted.event.id, &accepted.event.event_type));
    log.event(&accepted.event);

    let keys = dedup_keys(&accepted.event.id);
    for key in [&keys.done, &keys.lease] {
        assert!(key.len() <= 512, "KV key too long");
        assert!(
            key.bytes().all(|b| b.is_ascii_graphic()),
            "KV key not printable"
        );
    }
    let (done, in_flight, read_failed) = dedup;
    let _ = DedupState {
        done,
        in_flight,
        read_failed,
    }
    .decide();
    let _ = receiver.in_flight().headers();

    let content_type = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.as_str())
        .filter(|value| valid_header_value(value));
    for (name, value) in forward_headers(&accepted, content_type) {
        if name != "Content-Type" && name != accepted.signature_header {
            assert!(
                valid_header_value(&value),
                "invalid forwarded header {name}: {value:?}"
            );
        }
    }
    assert!(valid_header_value(&header_value(&accepted.event.id)));

    let result = match origin {
        Origin::Status(status) => OriginResult::Status(status),
        Origin::Unreachable => OriginResult::Unreachable,
        Origin::TimedOut => OriginResult::TimedOut,
    };
    let (reply, mark_done) = receiver.after_forward(result);
    assert_eq!(
        mark_done,
        matches!(result, OriginResult::Status(s) if (200..300).contains(&s))
    );
    let _ = (reply.body(), reply.headers());
    log.finish(&reply, 0);
    let _ = log.to_json();
});
