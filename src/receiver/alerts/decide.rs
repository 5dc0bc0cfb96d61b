//! Which alerts to send, from what the ops side observed: at most one per kind per
//! `ALERT_INTERVAL_SECONDS`, `resolved` when a condition that was alerted clears.

use serde::{Deserialize, Serialize};

use super::settings::AlertSettings;

/// How many ids an alert names at most.
pub const ALERT_IDS: usize = 5;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Events died (their retries ran out).
    DeadLetter,
    /// Refused deliveries reached `ALERT_FAILURE_THRESHOLD` within the interval.
    VerificationFailures,
    /// The oldest pending event is older than `ALERT_BACKLOG_SECONDS`.
    Backlog,
    /// Conditions alerted before have cleared.
    Resolved,
}

impl AlertKind {
    /// Every kind.
    pub const ALL: [Self; 4] = [
        Self::DeadLetter,
        Self::VerificationFailures,
        Self::Backlog,
        Self::Resolved,
    ];

    /// `dead_letter`, `verification_failures`, `backlog`, `resolved`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeadLetter => "dead_letter",
            Self::VerificationFailures => "verification_failures",
            Self::Backlog => "backlog",
            Self::Resolved => "resolved",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// The console view an alert of this kind links to.
    pub fn console_view(self) -> &'static str {
        match self {
            Self::DeadLetter => "#console/events",
            Self::VerificationFailures => "#console/refused",
            Self::Backlog | Self::Resolved => "#console",
        }
    }
}

/// What the ops side saw, gathered by its alarm.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Now (Unix ms).
    pub now: u64,
    /// Events that died after the state's `dead_since`.
    pub dead_new: u64,
    /// Their first ids.
    pub dead_ids: Vec<String>,
    /// Dead events kept, in all.
    pub dead_total: u64,
    /// Requests refused within the last interval.
    pub refused: u64,
    /// The first ids of the records kept of them, newest first.
    pub refused_ids: Vec<String>,
    /// The most frequent diagnosis among them (a mistake's code, else a reply code).
    pub top_mistake: Option<String>,
    /// Events pending.
    pub pending: u64,
    /// When the oldest pending event was received (Unix ms).
    pub oldest_pending_at: Option<u64>,
}

/// What the ops side remembers between evaluations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertState {
    /// When each kind was last sent (Unix ms), by [`AlertKind::as_str`].
    #[serde(default)]
    pub last_sent: Vec<(AlertKind, u64)>,
    /// Conditions alerted and not yet resolved.
    #[serde(default)]
    pub active: Vec<AlertKind>,
    /// Deaths before this time were alerted already (Unix ms).
    #[serde(default)]
    pub dead_since: u64,
    /// When the last evaluation ran (Unix ms; 0: never).
    #[serde(default)]
    pub evaluated_at: u64,
}

impl AlertState {
    /// When the next evaluation may run: one interval after the last one (evaluating more
    /// often sends nothing more: each kind waits for its interval).
    pub fn next_allowed(&self, settings: &AlertSettings, now: u64) -> u64 {
        if self.evaluated_at == 0 {
            return now;
        }
        now.max(self.evaluated_at.saturating_add(settings.interval_ms()))
    }
}

impl AlertState {
    fn last(&self, kind: AlertKind) -> Option<u64> {
        self.last_sent
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, at)| *at)
    }

    fn allowed(&self, kind: AlertKind, now: u64, interval_ms: u64) -> bool {
        self.last(kind)
            .is_none_or(|at| now.saturating_sub(at) >= interval_ms)
    }

    fn sent(&mut self, kind: AlertKind, now: u64) {
        self.last_sent.retain(|(k, _)| *k != kind);
        self.last_sent.push((kind, now));
    }

    fn activate(&mut self, kind: AlertKind) {
        if !self.active.contains(&kind) {
            self.active.push(kind);
        }
    }
}

/// One alert to send: the JSON body posted to `ALERT_URL`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// What it is about.
    pub kind: AlertKind,
    /// One human line (shown as is by a Slack or Discord incoming webhook).
    pub text: String,
    /// How many events (or refused deliveries) it is about.
    pub count: u64,
    /// The first ids (events; refused-delivery records for `verification_failures`).
    pub ids: Vec<String>,
    /// Where to look: the console's view for this kind.
    pub console_url: String,
    /// When it was decided (Unix ms).
    pub at: u64,
    /// `verification_failures`: the most frequent diagnosis.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mistake: Option<String>,
    /// `backlog`: when the oldest pending event was received.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub oldest_pending_at: Option<u64>,
    /// `resolved`: the kinds whose condition cleared.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub resolves: Vec<AlertKind>,
}

/// Decides the alerts for `seen`, given what was sent before; returns them and the new
/// state. `origin` is the Worker's URL (scheme and host) for the console links.
///
/// ```
/// use digivault_webhooks::receiver::alerts::{decide, AlertKind, AlertSettings, AlertState, Observation};
/// let settings = AlertSettings { url: Some("https://a.example".into()), interval_seconds: 60, ..AlertSettings::default() };
/// let seen = Observation { now: 1_000_000, dead_new: 3, dead_total: 3, dead_ids: vec!["evt_1".into()], ..Observation::default() };
/// let (alerts, state) = decide(&settings, &AlertState::default(), &seen, "https://r.example");
/// assert_eq!(alerts.len(), 1);
/// assert_eq!(alerts[0].kind, AlertKind::DeadLetter);
/// assert_eq!(alerts[0].count, 3);
/// // Within the interval, more deaths wait for the next one.
/// let later = Observation { now: 1_030_000, dead_new: 2, dead_total: 5, ..Observation::default() };
/// assert!(decide(&settings, &state, &later, "https://r.example").0.is_empty());
/// ```
pub fn decide(
    settings: &AlertSettings,
    state: &AlertState,
    seen: &Observation,
    origin: &str,
) -> (Vec<Alert>, AlertState) {
    let mut next = state.clone();
    let mut alerts = Vec::new();
    let now = seen.now;
    let interval = settings.interval_ms();
    let alert = |kind: AlertKind, text: String, count: u64, ids: &[String]| Alert {
        kind,
        text,
        count,
        ids: ids.iter().take(ALERT_IDS).cloned().collect(),
        console_url: format!("{origin}/{}", kind.console_view()),
        at: now,
        mistake: None,
        oldest_pending_at: None,
        resolves: Vec::new(),
    };

    if seen.dead_new > 0 && next.allowed(AlertKind::DeadLetter, now, interval) {
        let text = format!(
            "DigiVault webhooks: {} {} after the last retry{}. Replay from the console: {origin}/{}",
            seen.dead_new,
            plural(seen.dead_new, "event died", "events died"),
            listed(&seen.dead_ids),
            AlertKind::DeadLetter.console_view(),
        );
        alerts.push(alert(
            AlertKind::DeadLetter,
            text,
            seen.dead_new,
            &seen.dead_ids,
        ));
        next.sent(AlertKind::DeadLetter, now);
        next.activate(AlertKind::DeadLetter);
        next.dead_since = now;
    }

    let failing = seen.refused >= settings.failure_threshold;
    if failing && next.allowed(AlertKind::VerificationFailures, now, interval) {
        let why = seen
            .top_mistake
            .as_deref()
            .map(|code| format!(", most often {code}"))
            .unwrap_or_default();
        let text = format!(
            "DigiVault webhooks: {} {} refused in the last {}{why}. See why in the console: {origin}/{}",
            seen.refused,
            plural(seen.refused, "delivery", "deliveries"),
            duration(settings.interval_seconds),
            AlertKind::VerificationFailures.console_view(),
        );
        let mut sent = alert(
            AlertKind::VerificationFailures,
            text,
            seen.refused,
            &seen.refused_ids,
        );
        sent.mistake = seen.top_mistake.clone();
        alerts.push(sent);
        next.sent(AlertKind::VerificationFailures, now);
        next.activate(AlertKind::VerificationFailures);
    }

    let backlog_ms = settings.backlog_seconds.saturating_mul(1000);
    let backlogged = seen
        .oldest_pending_at
        .is_some_and(|at| now.saturating_sub(at) >= backlog_ms);
    if backlogged
        && !next.active.contains(&AlertKind::Backlog)
        && next.allowed(AlertKind::Backlog, now, interval)
    {
        let waited = seen
            .oldest_pending_at
            .map_or(0, |at| now.saturating_sub(at) / 1000);
        let text = format!(
            "DigiVault webhooks: the oldest of {} pending {} has waited {}: the origin may be down. Console: {origin}/{}",
            seen.pending,
            plural(seen.pending, "event", "events"),
            duration(waited),
            AlertKind::Backlog.console_view(),
        );
        let mut sent = alert(AlertKind::Backlog, text, seen.pending, &[]);
        sent.oldest_pending_at = seen.oldest_pending_at;
        alerts.push(sent);
        next.sent(AlertKind::Backlog, now);
        next.activate(AlertKind::Backlog);
    }

    let cleared: Vec<AlertKind> = next
        .active
        .iter()
        .copied()
        .filter(|kind| match kind {
            AlertKind::DeadLetter => seen.dead_total == 0,
            AlertKind::VerificationFailures => !failing,
            AlertKind::Backlog => !backlogged,
            AlertKind::Resolved => true,
        })
        .collect();
    if !cleared.is_empty() && next.allowed(AlertKind::Resolved, now, interval) {
        let names: Vec<&str> = cleared.iter().map(|kind| kind.as_str()).collect();
        let text = format!(
            "DigiVault webhooks: resolved: {}. Console: {origin}/{}",
            names.join(", "),
            AlertKind::Resolved.console_view(),
        );
        let mut sent = alert(AlertKind::Resolved, text, cleared.len() as u64, &[]);
        sent.resolves = cleared.clone();
        alerts.push(sent);
        next.sent(AlertKind::Resolved, now);
        next.active.retain(|kind| !cleared.contains(kind));
    }
    (alerts, next)
}

/// When the next evaluation is useful: while a condition is active or a kind waits for
/// its interval, one interval from now; `None` when nothing is pending.
pub fn next_evaluation(settings: &AlertSettings, state: &AlertState, now: u64) -> Option<u64> {
    (!state.active.is_empty()).then(|| now.saturating_add(settings.interval_ms()))
}

fn plural(count: u64, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 {
        one
    } else {
        many
    }
}

fn listed(ids: &[String]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    let shown: Vec<&str> = ids.iter().take(ALERT_IDS).map(String::as_str).collect();
    format!(" ({})", shown.join(", "))
}

/// `90 s`, `5 min`, `2 h`.
fn duration(seconds: u64) -> String {
    if seconds < 120 {
        format!("{seconds} s")
    } else if seconds < 7200 {
        format!("{} min", seconds / 60)
    } else {
        format!("{} h", seconds / 3600)
    }
}
