//! Evidence of refused deliveries, as pure logic: which refusals are kept and how (the
//! headers redacted, the body's first 64 KiB with its length and SHA-256), the bounds on
//! what is kept, the diagnosis of a record, and what the admin API shows of it. The
//! webhook path only builds a [`FailureReport`] after the reply is decided; the ops side
//! keeps, bounds, diagnoses and shows the records.

mod bounds;
mod diagnosis;
mod evidence;
mod hourly;
mod settings;
mod view;

pub use bounds::{oldest_kept, overflow, sample, MinuteWindow, Sampling};
pub use diagnosis::{diagnose_record, mistake_codes, mistakes_from_codes};
pub use evidence::{
    is_kept, redact_headers, FailureReport, EVIDENCE_BODY_BYTES, KEPT_CODES,
    MAX_HEADER_VALUE_BYTES, MAX_KEPT_HEADERS, REDACTED, REDACTED_HEADERS,
};
pub use hourly::{
    first_hour, hours, Counter, HourCounts, HourFact, LastAttempt, Overview, OverviewRequest,
    StatsView, HOURS, HOUR_MS, OVERVIEW_OP,
};
pub(crate) use settings::positive;
pub use settings::{
    console_settings, FailureSettings, DEFAULT_FAILURE_SAMPLES, DEFAULT_FAILURE_SAMPLES_PER_MINUTE,
    DEFAULT_FAILURE_TTL_SECONDS, MAX_FAILURE_SAMPLES, MAX_FAILURE_SAMPLES_PER_MINUTE,
};
pub use view::{
    failure_id, mask_signature, show_body, show_headers, split_page, DiagnosisView, FailureCursor,
    FailureItem, FailurePage, FailureView, MistakeView, DEFAULT_FAILURE_LIMIT, MAX_FAILURE_LIMIT,
};

#[cfg(test)]
mod tests;
