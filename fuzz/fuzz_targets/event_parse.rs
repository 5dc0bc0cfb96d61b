//! Event parsing: `validate_event` (the one-pass validator), `Event::from_slice` (owned
//! model) and serde_json alone (`decode_with_serde_only`, an independent oracle).
//! The validator and the owned model accept exactly the same payloads; the validator
//! accepts nothing serde refuses; nothing panics.
#![no_main]

use digivault_webhooks::{decode_with_serde_only, validate_event, Event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    let checked = validate_event(payload).map(|s| (s.id.into_owned(), s.event_type, s.created_at));
    let built = Event::from_slice(payload).map(|e| (e.id, e.event_type, e.created_at));
    assert_eq!(
        checked, built,
        "validate_event and Event::from_slice disagree"
    );
    if let Ok(summary) = &checked {
        assert!(!summary.0.is_empty(), "an accepted event has an empty id");
        let reference = decode_with_serde_only(payload)
            .map(|e| (e.id, e.event_type, e.created_at));
        assert_eq!(
            reference.as_ref().ok(),
            Some(summary),
            "the validator accepted what serde_json alone refuses: {reference:?}"
        );
    }
    if let Ok(event) = Event::from_slice(payload) {
        // Serializing an accepted event back never panics.
        let _ = event.to_json();
    }
});
