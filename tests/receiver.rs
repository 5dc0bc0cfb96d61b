//! Property tests of the Worker's pure request handling: whatever arrives, the receiver
//! answers with a JSON reply and a 4xx (or 200 for a valid event), never a panic or a 5xx.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use digivault_webhooks::receiver::{
    dedup_keys, forward_headers, header_value, BodyLimit, LogLine, Receiver,
};
use digivault_webhooks::sign;
use proptest::prelude::*;

const SECRET: &str = "whsec_property";

fn receiver(max_age: Option<&str>) -> Receiver {
    let max_age = max_age.map(str::to_owned);
    Receiver::from_vars(move |name: &str| match name {
        "WEBHOOK_SECRET" => Some(SECRET.to_owned()),
        "FORWARD_URL" => Some("http://127.0.0.1:9/hook".to_owned()),
        "MAX_BODY_BYTES" => Some("4096".to_owned()),
        "MAX_EVENT_AGE_SECONDS" => max_age.clone(),
        _ => None,
    })
    .unwrap()
}

/// Bodies that are sometimes events: JSON fragments glued together, or raw bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        Just(r#"{"id":"#.to_owned()),
        Just(r#""evt_1","type":"contact.created","created_at":1640995200,"#.to_owned()),
        Just(r#""data":{"object":{"id":"c_1"}}}"#.to_owned()),
        Just(
            r#"{"id":"e","type":"x.y","created_at":-9223372036854775808,"data":{"object":[]}}"#
                .to_owned()
        ),
        "[ -~]{0,40}",
        "\\PC{0,10}",
    ];
    prop_oneof![
        proptest::collection::vec(fragment, 0..6).prop_map(|parts| parts.concat().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..6000),
    ]
}

proptest! {
    #[test]
    fn signed_or_not_every_body_gets_a_4xx_or_200(body in body(), signed in any::<bool>(), now in any::<i64>(), age in proptest::option::of("[1-9][0-9]{0,5}")) {
        let receiver = receiver(age.as_deref());
        let signature = if signed { sign(SECRET.as_bytes(), &body) } else { "00".repeat(32) };
        match receiver.accept(&body, [("x-digivault-signature", signature.as_str())], now) {
            Ok(accepted) => {
                prop_assert!(signed);
                // Whatever the id and type hold, the forwarded headers are valid header values
                // and the KV keys are bounded.
                for (_, value) in forward_headers(&accepted, None) {
                    prop_assert!(value.bytes().all(|b| b.is_ascii_graphic() || b == b' '));
                }
                let keys = dedup_keys(&accepted.event.id);
                prop_assert!(keys.done.len() <= 512 && keys.lease.len() <= 512);
                let mut line = LogLine::default();
                line.event(&accepted.event);
                prop_assert!(serde_json::from_str::<serde_json::Value>(&line.to_json()).is_ok());
            }
            Err(reply) => {
                prop_assert!(matches!(reply.status, 400 | 401 | 413), "{:?}", reply);
                prop_assert!(reply.code.is_some());
                let json: serde_json::Value = serde_json::from_str(&reply.body()).unwrap();
                prop_assert_eq!(json["code"].as_str(), reply.code);
                if !signed {
                    prop_assert!(matches!(reply.status, 401 | 413));
                }
            }
        }
    }

    #[test]
    fn any_method_and_path_routes_without_panicking(method in "[A-Za-z]{0,8}", path in "\\PC{0,30}") {
        let _ = receiver(None).route(&method, &path);
    }

    #[test]
    fn any_content_length_is_checked_without_panicking(value in "\\PC{0,25}") {
        let _ = receiver(None).declared_length(Some(&value));
    }

    #[test]
    fn chunks_never_exceed_the_limit(chunks in proptest::collection::vec(0usize..300, 0..20), limit in 0usize..2000) {
        let mut body = BodyLimit::new(limit);
        let mut total = 0;
        for &chunk in &chunks {
            total += chunk;
            match body.add(chunk) {
                Ok(()) => prop_assert!(total <= limit && body.received() == total),
                Err(reply) => {
                    prop_assert!(total > limit);
                    prop_assert_eq!(reply.status, 413);
                    break;
                }
            }
        }
    }

    #[test]
    fn header_values_are_visible_ascii(value in "\\PC{0,40}") {
        let encoded = header_value(&value);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_graphic()));
    }

    #[test]
    fn any_settings_parse_or_fail_cleanly(vars in proptest::collection::vec(("[A-Z_]{3,24}", "\\PC{0,20}"), 0..8)) {
        let result = Receiver::from_vars(|name: &str| {
            vars.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone())
                .or_else(|| (name == "WEBHOOK_SECRET").then(|| SECRET.to_owned()))
        });
        if let Err(err) = result {
            prop_assert!(matches!(err.code(), "NO_SECRET" | "CONFIG_ERROR"));
        }
    }
}
