//! Inputs found by the cargo-fuzz targets (fuzz/), kept as regression tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use digivault_webhooks::{validate_event, Event};

fn both(
    body: &str,
) -> (
    Result<String, digivault_webhooks::Error>,
    Result<String, digivault_webhooks::Error>,
) {
    let checked = validate_event(body.as_bytes()).map(|s| s.id.into_owned());
    let built = Event::from_slice(body.as_bytes()).map(|e| e.id);
    (checked, built)
}

/// fuzz/artifacts/event_parse/crash-ba806f1a…: a number too large for an f64 (`165e+95200`)
/// in a value the checks skip. validate_event accepted it; Event::from_slice, which keeps
/// such values as serde_json::Value, refused it. Both now refuse it, with the same error.
#[test]
fn out_of_range_numbers_in_the_object_are_refused_by_both_paths() {
    let crash = r#"{"id":"evt_1","type":"conversat0ion.message.created","created_at":1640995200,"data":{"object":{"id":"msg_1",":onversat4.44ion_id":5,"message":"Hmllo, world!","created_at":165e+95200}}}"#;
    // The path names the object's key that holds the number.
    let bodies = [
        (crash, "data.object.created_at"),
        (
            r#"{"id":"e","type":"x.y","created_at":1,"data":{"object":{"a":1e999}}}"#,
            "data.object.a",
        ),
        (
            r#"{"id":"e","type":"x.y","created_at":1,"data":{"object":{"a":[{"b":-1E+400}]}}}"#,
            "data.object.a",
        ),
        (
            r#"{"data":{"object":{"a":1e999}},"id":"e","type":"x.y","created_at":1}"#,
            "data.object.a",
        ),
        (
            r#"{"id":"e","type":"contact.created","created_at":1,"data":{"object":{"id":"c","x":1e999}}}"#,
            "data.object.x",
        ),
        (
            r#"{"id":"e","type":"contact.created","created_at":1,"data":{"object":{"id":"c","x":{"y":9.5e308}}}}"#,
            "data.object.x",
        ),
    ];
    for (body, path) in bodies {
        let (checked, built) = both(body);
        assert_eq!(checked, built, "{body}");
        let err = checked.expect_err(body);
        assert_eq!(err.code(), "INVALID_EVENT", "{body}");
        assert_eq!(err.path(), Some(path), "{body}");
        assert!(
            digivault_webhooks::decode_with_serde_only(body.as_bytes()).is_err(),
            "{body}"
        );
    }
    // 400 digits: an integer beyond any f64 is out of range too.
    let digits = "9".repeat(400);
    let body =
        format!(r#"{{"id":"e","type":"x.y","created_at":1,"data":{{"object":{{"a":{digits}}}}}}}"#);
    let (checked, built) = both(&body);
    assert_eq!(checked, built);
    assert_eq!(
        checked.expect_err("400 digits").path(),
        Some("data.object.a")
    );
}

#[test]
fn numbers_an_f64_can_hold_and_look_alikes_are_still_accepted() {
    let long = format!("1{}", "0".repeat(300));
    let bodies = [
        r#"{"id":"e","type":"x.y","created_at":1,"data":{"object":{"a":1e308,"b":-1.7976931348623157e308,"c":1e-999}}}"#.to_owned(),
        r#"{"id":"e","type":"contact.created","created_at":1,"data":{"object":{"id":"c","note":"e999 E+123 1e999"}}}"#.to_owned(),
        // Outside data.object the owned model does not keep the value: accepted by both.
        r#"{"id":"e","type":"contact.created","created_at":1,"x":1e999,"data":{"object":{"id":"c"},"z":1e999}}"#.to_owned(),
        format!(r#"{{"id":"e","type":"x.y","created_at":1,"data":{{"object":{{"a":{long}}}}}}}"#),
    ];
    for body in &bodies {
        let (checked, built) = both(body);
        assert_eq!(checked, built, "{body}");
        assert_eq!(checked.as_deref(), Ok("e"), "{body}");
    }
}
