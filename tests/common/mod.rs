//! Loading the JSON fixtures shared with the JS tests.
#![allow(dead_code)]

use base64::Engine;
use serde::Deserialize;

/// One signature vector of `tests/vectors.json`.
#[derive(Debug, Deserialize)]
pub struct Vector {
    pub name: String,
    pub secrets: Vec<String>,
    pub body_base64: String,
    #[serde(default)]
    pub repeat: Option<usize>,
    pub signature: Option<String>,
    pub expected: String,
}

impl Vector {
    pub fn body(&self) -> Vec<u8> {
        decode(&self.body_base64).repeat(self.repeat.unwrap_or(1))
    }
}

/// One parsing fixture of `tests/events.json`.
#[derive(Debug, Deserialize)]
pub struct EventFixture {
    pub name: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub body_base64: Option<String>,
    pub expect: Expect,
}

#[derive(Debug, Deserialize)]
pub struct Expect {
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub code: Option<String>,
    pub path: Option<String>,
}

impl EventFixture {
    pub fn body(&self) -> Vec<u8> {
        match (&self.body, &self.body_base64) {
            (Some(text), _) => text.as_bytes().to_vec(),
            (None, Some(encoded)) => decode(encoded),
            (None, None) => Vec::new(),
        }
    }
}

fn decode(encoded: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("fixture base64")
}

pub fn vectors() -> Vec<Vector> {
    #[derive(Deserialize)]
    struct File {
        vectors: Vec<Vector>,
    }
    let text = include_str!("../vectors.json");
    serde_json::from_str::<File>(text)
        .expect("tests/vectors.json")
        .vectors
}

pub fn event_fixtures() -> Vec<EventFixture> {
    #[derive(Deserialize)]
    struct File {
        events: Vec<EventFixture>,
    }
    let text = include_str!("../events.json");
    serde_json::from_str::<File>(text)
        .expect("tests/events.json")
        .events
}

/// Runs `check` on every fixture and fails once at the end, naming every fixture that
/// failed and why, so one run shows all regressions.
#[macro_export]
macro_rules! check_all {
    ($fixtures:expr, |$fixture:ident| $check:block) => {{
        let mut failures = Vec::new();
        let fixtures = $fixtures;
        let total = fixtures.len();
        for $fixture in &fixtures {
            // A closure so that `?` and `return` in the check end this fixture only.
            #[allow(clippy::redundant_closure_call)]
            let outcome: Result<(), String> = (|| $check)();
            if let Err(why) = outcome {
                failures.push(format!("  {}: {}", $fixture.name, why));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} fixtures failed:\n{}",
            failures.len(),
            total,
            failures.join("\n")
        );
    }};
}
