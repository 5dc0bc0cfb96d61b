//! Every event fixture of tests/events.json: all sixteen types, invalid shapes with their
//! JSON paths, unknown types, and depth, size, number and encoding edge cases.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use digivault_webhooks::{decode_with_serde_only, Event, EventObject, EventType};

#[test]
fn every_event_fixture_parses_as_expected() {
    check_all!(common::event_fixtures(), |fixture| {
        let result = Event::from_slice(&fixture.body());
        match (&fixture.expect.event_type, result) {
            (Some(expected), Ok(event)) if event.event_type.as_str() == expected => Ok(()),
            (Some(expected), Ok(event)) => {
                Err(format!("type {} instead of {expected}", event.event_type))
            }
            (Some(_), Err(err)) => Err(format!("rejected: {} {err}", err.code())),
            (None, Ok(event)) => Err(format!("accepted as {}", event.event_type)),
            (None, Err(err)) => {
                let code = fixture.expect.code.as_deref().unwrap_or_default();
                if err.code() != code {
                    return Err(format!("code {} instead of {code}: {err}", err.code()));
                }
                match (&fixture.expect.path, err.path()) {
                    (Some(want), Some(got)) if want == got => Ok(()),
                    (Some(want), got) => Err(format!("path {got:?} instead of {want}: {err}")),
                    (None, _) => Ok(()),
                }
            }
        }
    });
}

#[test]
fn fixtures_cover_all_sixteen_types() {
    let fixtures = common::event_fixtures();
    for event_type in EventType::ALL {
        assert!(
            fixtures
                .iter()
                .any(|f| f.expect.event_type.as_deref() == Some(event_type.as_str())),
            "no fixture for {event_type}"
        );
    }
}

#[test]
fn each_type_gets_its_typed_object() {
    for fixture in common::event_fixtures() {
        let Ok(event) = Event::from_slice(&fixture.body()) else {
            continue;
        };
        let kind = event.event_type.object_kind();
        let matches = matches!(
            (&event.data.object, kind.map(|k| k.type_name())),
            (EventObject::Conversation(_), Some("Conversation"))
                | (EventObject::Message(_), Some("Message"))
                | (EventObject::Contact(_), Some("Contact"))
                | (EventObject::Group(_), Some("Group"))
                | (EventObject::GroupMembership(_), Some("GroupMembership"))
                | (EventObject::Unknown(_), None)
        );
        assert!(
            matches,
            "{}: {:?} for {:?}",
            fixture.name, event.data.object, kind
        );
    }
}

#[test]
fn unknown_fields_are_kept() {
    let body = br#"{"id":"e","type":"contact.updated","created_at":1,"data":{"object":{"id":"c","nickname":"Frankie","tags":["vip"]}}}"#;
    let event = Event::from_slice(body).unwrap();
    let EventObject::Contact(contact) = &event.data.object else {
        panic!("not a contact")
    };
    assert_eq!(contact.extra["nickname"], "Frankie");
    assert_eq!(contact.extra["tags"][0], "vip");
    assert!(event.to_json().contains(r#""nickname":"Frankie""#));
}

#[test]
fn error_messages_say_what_was_expected() {
    let body = br#"{"id":"e","type":"conversation.message.created","created_at":1,"data":{"object":{"id":"m","conversation_id":5,"message":"x","created_at":1}}}"#;
    let err = Event::from_slice(body).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid event: data.object.conversation_id: expected a string, found integer 5"
    );
    let body =
        br#"{"id":"e","type":"contact.created","created_at":"soon","data":{"object":{"id":"c"}}}"#;
    let err = Event::from_slice(body).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid event: created_at: expected an integer, found string "soon""#
    );
    let body = br#"{"id":"e","type":"conversation.message.created","created_at":1,"data":{"object":{"id":"m","conversation_id":"c","created_at":1}}}"#;
    let err = Event::from_slice(body).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid event: data.object.message: required field is missing"
    );
}

#[test]
fn huge_payloads_parse_without_trouble() {
    let text = "x".repeat(4 << 20);
    let body = format!(
        r#"{{"id":"e","type":"contact.updated","created_at":1,"data":{{"object":{{"id":"c","name":"{text}"}}}}}}"#
    );
    let event = Event::from_slice(body.as_bytes()).unwrap();
    assert_eq!(event.id, "e");
}

/// Keys are matched on their raw bytes first and decoded only when they match no known name
/// (issue 20): a key spelled with escapes is still that key, at every level, as serde_json
/// reads it, duplicates included.
#[test]
fn keys_written_with_escapes_are_the_same_keys() {
    use digivault_webhooks::validate_event;
    let valid = br#"{"\u0069d":"e","typ\u0065":"conversation.message.created","created_\u0061t":1,"d\u0061ta":{"obj\u0065ct":{"id":"m","conversation\u005fid":"c","m\u0065ssage":"x","created_at":1}}}"#;
    let event = Event::from_slice(valid).unwrap();
    assert_eq!(event.id, "e");
    assert!(validate_event(valid).is_ok());
    assert_eq!(decode_with_serde_only(valid).unwrap(), event);
    for (body, path) in [
        (&br#"{"id":"e","\u0069d":"f","type":"contact.deleted","created_at":1,"data":{"object":{"id":"c"}}}"#[..], "id"),
        (br#"{"id":"e","type":"contact.deleted","created_at":1,"data":{"object":{"id":"c"},"\u006fbject":{"id":"d"}}}"#, "data.object"),
        (br#"{"id":"e","type":"contact.deleted","created_at":1,"data":{"object":{"id":"c","\u0069d":"d"}}}"#, "data.object.id"),
        (br#"{"id":"e","type":"conversation.message.created","created_at":1,"data":{"object":{"id":"m","conversation_id":"c","message":"x","created_\u0061t":"soon"}}}"#, "data.object.created_at"),
    ] {
        let err = validate_event(body).unwrap_err();
        assert_eq!(err.code(), "INVALID_EVENT", "{}", String::from_utf8_lossy(body));
        assert_eq!(err.path(), Some(path), "{}", String::from_utf8_lossy(body));
        assert_eq!(Event::from_slice(body).unwrap_err().path(), Some(path));
        assert!(decode_with_serde_only(body).is_err());
    }
}
