use super::*;
use crate::receiver::{AdminToken, ConfigError, DedupStore, DeliveryMode, Outcome, Receiver};

const TOKEN: &str = "listen-token-0123456789abcdef0123456789";

fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

fn receiver(vars: &[(&str, &str)]) -> Result<Receiver, ConfigError> {
    Receiver::from_vars(lookup(vars))
}

#[test]
fn without_listen_token_nothing_changes() {
    let r = receiver(&[
        ("WEBHOOK_SECRET", "s"),
        ("FORWARD_URL", "https://o.example"),
    ])
    .unwrap();
    assert_eq!(r.settings().listen, None);
    assert_eq!(r.settings().mode, ReceiverMode::Forward);
    assert!(r.listen_tokens().is_empty());
    // The listen settings are not read without LISTEN_TOKEN.
    let r = receiver(&[
        ("WEBHOOK_SECRET", "s"),
        ("FORWARD_URL", "https://o.example"),
        ("LISTEN_MAX_BACKLOG", "junk"),
    ]);
    assert!(r.is_ok());
}

#[test]
fn listen_token_without_forward_url_is_a_development_receiver() {
    let r = receiver(&[("WEBHOOK_SECRET", "s"), ("LISTEN_TOKEN", TOKEN)]).unwrap();
    assert_eq!(r.settings().mode, ReceiverMode::Development);
    assert_eq!(r.settings().mode.as_str(), "development");
    assert_eq!(r.settings().listen, Some(ListenSettings::default()));
    assert_eq!(r.listen_tokens().len(), 1);
    // Without either, FORWARD_URL is still required, and the message says both ways.
    let err = receiver(&[("WEBHOOK_SECRET", "s")]).unwrap_err();
    assert_eq!(err.var(), "FORWARD_URL");
    assert!(err.to_string().contains("LISTEN_TOKEN"));
    // Durable mode needs an origin.
    let vars = [
        ("WEBHOOK_SECRET", "s"),
        ("LISTEN_TOKEN", TOKEN),
        ("DELIVERY_MODE", "durable"),
    ];
    let err = Receiver::from_vars_for(DedupStore::Ledger, lookup(&vars)).unwrap_err();
    assert_eq!(err.var(), "FORWARD_URL");
}

#[test]
fn listen_settings_are_validated_and_name_the_variable() {
    let base = [("WEBHOOK_SECRET", "s"), ("LISTEN_TOKEN", TOKEN)];
    let with = |name: &'static str, value: &'static str| {
        let mut vars = base.to_vec();
        vars.push((name, value));
        receiver(&vars)
    };
    for (name, value) in [
        ("LISTEN_RETENTION_SECONDS", "59"),
        ("LISTEN_RETENTION_SECONDS", "2592001"),
        ("LISTEN_RETENTION_SECONDS", "1h"),
        ("LISTEN_MAX_BACKLOG", "0"),
        ("LISTEN_MAX_BACKLOG", "100001"),
        ("MAX_BODY_BYTES", "2000000"),
    ] {
        let err = with(name, value).unwrap_err();
        assert_eq!(
            (err.code(), err.var()),
            ("CONFIG_ERROR", name),
            "{name}={value}"
        );
    }
    let r = with("LISTEN_MAX_BACKLOG", "5").unwrap();
    assert_eq!(r.settings().listen.map(|l| l.max_backlog), Some(5));
    let r = with("LISTEN_RETENTION_SECONDS", " 60 ").unwrap();
    assert_eq!(r.settings().listen.map(|l| l.retention_seconds), Some(60));
    // A short token is refused, naming LISTEN_TOKEN and never showing it.
    let err = receiver(&[("WEBHOOK_SECRET", "s"), ("LISTEN_TOKEN", "short-secret")]).unwrap_err();
    assert_eq!(err.var(), "LISTEN_TOKEN");
    assert!(!err.to_string().contains("short-secret"));
}

#[test]
fn modes() {
    let listen = ListenSettings::default();
    let mode = |l, url, d| ListenSettings::mode(l, url, d);
    assert_eq!(
        mode(None, true, DeliveryMode::Durable),
        Ok(ReceiverMode::Durable)
    );
    assert_eq!(
        mode(Some(&listen), true, DeliveryMode::Forward),
        Ok(ReceiverMode::Forward)
    );
    assert!(mode(None, false, DeliveryMode::Forward).is_err());
}

#[test]
fn the_query_names_an_unknown_type_and_rejects_bad_names() {
    let q = ListenQuery::parse("").unwrap();
    assert_eq!(
        (q.name.as_str(), q.types.clone()),
        (DEFAULT_LISTENER_NAME, None)
    );
    let q = ListenQuery::parse("types=contact.created%2Cgroup.created,contact.created").unwrap();
    assert_eq!(
        q.types_column().as_deref(),
        Some("contact.created,group.created")
    );
    for (query, needle) in [
        ("types=contact.created,nope.thing", "`nope.thing`"),
        ("types=", "empty"),
        ("types=contact.created,,group.created", "empty"),
        ("name=", "name must be"),
        ("name=a%20b", "name must be"),
        ("name=a&name=b", "twice"),
        ("token=x", "unknown parameter"),
    ] {
        let reply = ListenQuery::parse(query).unwrap_err();
        assert_eq!(reply.status, 400, "{query}");
        assert_eq!(reply.code, Some("INVALID_QUERY"));
        assert!(reply.body().contains(needle), "{query}: {}", reply.body());
    }
    let long = format!("name={}", "a".repeat(MAX_NAME_CHARS + 1));
    assert!(ListenQuery::parse(&long).is_err());
    assert!(ListenQuery::parse(&format!("name={}", "a".repeat(MAX_NAME_CHARS))).is_ok());
}

#[test]
fn the_listen_request_checks_in_order_404_401_400_426() {
    let token = AdminToken::from_named_var("LISTEN_TOKEN", Some(TOKEN.into()))
        .unwrap()
        .unwrap();
    let bearer = format!("Bearer {TOKEN}");
    let ok = Some(bearer.as_str());
    let ws = Some("websocket");
    let status = |r: Result<ListenQuery, crate::receiver::Reply>| {
        r.map(|_| 101).unwrap_or_else(|r| r.status)
    };
    assert_eq!(status(listen_request(&[], true, ok, ws, "")), 404);
    assert_eq!(status(listen_request(&[&token], false, ok, ws, "")), 404);
    assert_eq!(status(listen_request(&[&token], true, None, ws, "")), 401);
    assert_eq!(
        status(listen_request(
            &[&token],
            true,
            Some("Bearer wrong"),
            None,
            ""
        )),
        401
    );
    let reply = listen_request(&[&token], true, ok, None, "").unwrap_err();
    assert_eq!(
        (reply.status, reply.outcome),
        (426, Outcome::UpgradeRequired)
    );
    assert!(reply
        .headers()
        .contains(&("Upgrade", "websocket".to_owned())));
    assert_eq!(
        status(listen_request(
            &[&token],
            true,
            ok,
            Some("WebSocket"),
            "types=x"
        )),
        400
    );
    assert_eq!(
        status(listen_request(&[&token], true, ok, ws, "name=laptop")),
        101
    );
    let unauthorized = listen_request(&[&token], true, None, ws, "").unwrap_err();
    assert!(unauthorized
        .headers()
        .contains(&("WWW-Authenticate", "Bearer".to_owned())));
}

#[test]
fn the_admin_token_opens_listen_too() {
    let admin = "admin-token-0123456789abcdef0123456789";
    let r = receiver(&[
        ("WEBHOOK_SECRET", "s"),
        ("FORWARD_URL", "https://o.example"),
        ("LISTEN_TOKEN", TOKEN),
        ("ADMIN_TOKEN", admin),
    ])
    .unwrap();
    let tokens = r.listen_tokens();
    let header = format!("Bearer {admin}");
    assert!(listen_request(&tokens, true, Some(&header), Some("websocket"), "").is_ok());
}

#[test]
fn frames_carry_the_exact_body() {
    let meta = EventMeta {
        id: "evt_1".into(),
        event_type: "contact.created".into(),
        received_at: 1_700_000_000_000,
        content_type: Some("application/json; charset=utf-8".into()),
        signature_header: "X-DigiVault-Signature".into(),
        signature: "ab".repeat(32),
    };
    let body: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let framed = meta.frame(&body);
    let (back, raw) = EventMeta::unframe(&framed).unwrap();
    assert_eq!((back, raw), (meta.clone(), &body[..]));
    // The hand-written line is the derived serializer's JSON, field for field.
    let line = &framed[..framed.iter().position(|b| *b == b'\n').unwrap()];
    assert_eq!(line, serde_json::to_vec(&meta).unwrap().as_slice());
    let tricky = EventMeta {
        id: "a\"\n\u{0}é".into(),
        content_type: None,
        ..meta
    };
    let framed = tricky.frame(b"x");
    assert_eq!(EventMeta::unframe(&framed), Some((tricky, &b"x"[..])));
    assert_eq!(
        PublishReply::Queued { listeners: 0 }.status(),
        PUBLISH_NO_LISTENER_STATUS
    );
    assert_eq!(
        PublishReply::Queued { listeners: 2 }.status(),
        PUBLISH_STORED_STATUS
    );
    assert_eq!(PublishReply::Duplicate.status(), PUBLISH_STORED_STATUS);
    assert_eq!(EventMeta::unframe(b"{\"id\":1}\nbody"), None);
}

#[test]
fn client_messages() {
    assert_eq!(
        ClientMessage::parse(r#"{"ack":["a","b"]}"#),
        Ok(ClientMessage::Ack(vec!["a".into(), "b".into()]))
    );
    for bad in [
        "",
        "{}",
        r#"{"ack":[]}"#,
        r#"{"ack":"a"}"#,
        r#"{"ack":["a"],"x":1}"#,
        "[1]",
    ] {
        let why = ClientMessage::parse(bad).unwrap_err();
        assert!(why.len() < 123, "a close reason fits in a close frame");
    }
    let many = format!(
        r#"{{"ack":[{}]}}"#,
        vec!["\"x\""; MAX_ACKS_PER_MESSAGE + 1].join(",")
    );
    assert!(ClientMessage::parse(&many).is_err());
}

#[test]
fn publish_replies_and_hello_serialize_as_documented() {
    let json = serde_json::to_string(&PublishReply::Queued { listeners: 2 }).unwrap();
    assert_eq!(json, r#"{"result":"queued","listeners":2}"#);
    let q = ListenQuery::parse("name=a&types=group.created").unwrap();
    let hello = serde_json::to_string(&Hello::new(&q, 3, 1, 60, 10)).unwrap();
    assert_eq!(
        hello,
        r#"{"kind":"hello","name":"a","types":["group.created"],"backlog":3,"dropped":1,"retention_seconds":60,"max_backlog":10}"#
    );
    let notice = serde_json::to_string(&ServerNotice::dropped(4)).unwrap();
    assert_eq!(notice, r#"{"kind":"dropped","dropped":4}"#);
}

#[test]
fn backlog_bounds() {
    assert!(registered(false, 0, 60, 60_000));
    assert!(!registered(false, 0, 60, 60_001));
    assert!(registered(false, u64::MAX, u64::MAX, u64::MAX));
    assert_eq!(overflow(0, 1), 0);
    assert_eq!(overflow(12, 10), 2);
    let sizes = vec![1u64; 100];
    assert_eq!(window_room(0, 0, &sizes), MAX_WINDOW_EVENTS as usize);
    assert_eq!(window_room(MAX_WINDOW_EVENTS, 0, &sizes), 0);
    assert_eq!(window_room(0, 0, &[]), 0);
    let half = MAX_WINDOW_BYTES / 2;
    assert_eq!(window_room(0, 0, &[half, half, 1]), 2);
}

#[test]
fn health_says_the_mode() {
    let reply = crate::receiver::Reply::health("development");
    assert_eq!(reply.body(), r#"{"status":"ok","mode":"development"}"#);
}

/// Read through its JSON object (`ReplyFields`, the same mapping as any reader's): every
/// variant back as written.
#[test]
fn publish_replies_read_back_as_written() {
    for reply in [
        PublishReply::Queued { listeners: 2 },
        PublishReply::Duplicate,
    ] {
        let json = serde_json::to_string(&reply).unwrap();
        assert_eq!(
            serde_json::from_str::<PublishReply>(&json).unwrap(),
            reply,
            "{json}"
        );
    }
    assert!(serde_json::from_str::<PublishReply>(r#"{"result":"queued"}"#).is_err());
}
