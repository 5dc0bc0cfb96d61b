//! Event parsing: `validate_event` (allocation-free check) and `Event::from_slice` (owned
//! model) must accept and reject exactly the same payloads, with the same errors, and
//! neither may panic.
#![no_main]

use digivault_webhooks::{validate_event, Event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    let checked = validate_event(payload).map(|s| (s.id.into_owned(), s.event_type, s.created_at));
    let built = Event::from_slice(payload).map(|e| (e.id, e.event_type, e.created_at));
    assert_eq!(
        checked, built,
        "validate_event and Event::from_slice disagree"
    );
    if let Ok((id, _, _)) = &checked {
        assert!(!id.is_empty(), "an accepted event has an empty id");
    }
    if let Ok(event) = Event::from_slice(payload) {
        // Serializing an accepted event back never panics.
        let _ = event.to_json();
    }
});
