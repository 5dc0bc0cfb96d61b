//! The bounds on kept evidence: at most `FAILURE_SAMPLES_PER_MINUTE` records written per
//! minute (the rest only counted), at most `FAILURE_SAMPLES` kept (oldest dropped first),
//! none older than `FAILURE_TTL_SECONDS`.

use super::settings::FailureSettings;

/// Records written in the current minute, as the keeping object remembers it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MinuteWindow {
    /// The minute (Unix ms / 60 000) the count is for.
    pub minute: u64,
    /// Records written in it.
    pub written: u64,
}

/// What to do with one refused request's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampling {
    /// Write the record (otherwise it is only counted).
    pub write: bool,
    /// The window after this report.
    pub window: MinuteWindow,
}

/// Decides whether a report received at `now_ms` is written, given the minute's count.
///
/// ```
/// use digivault_webhooks::receiver::failures::{sample, FailureSettings, MinuteWindow};
/// let settings = FailureSettings { samples: 500, per_minute: 2, ttl_seconds: 60 };
/// let mut window = MinuteWindow::default();
/// let mut written = 0;
/// for i in 0..5 {
///     let decision = sample(&settings, window, 60_000 + i);
///     written += u32::from(decision.write);
///     window = decision.window;
/// }
/// assert_eq!(written, 2);
/// // The next minute starts a new count.
/// assert!(sample(&settings, window, 120_000).write);
/// ```
pub fn sample(settings: &FailureSettings, window: MinuteWindow, now_ms: u64) -> Sampling {
    let minute = now_ms / 60_000;
    let written = if window.minute == minute {
        window.written
    } else {
        0
    };
    let write = settings.enabled() && written < settings.per_minute;
    Sampling {
        write,
        window: MinuteWindow {
            minute,
            written: written + u64::from(write),
        },
    }
}

/// How many of the oldest records to drop so that `kept` (after a write) is within
/// `FAILURE_SAMPLES`.
///
/// ```
/// use digivault_webhooks::receiver::failures::{overflow, FailureSettings};
/// let settings = FailureSettings { samples: 3, per_minute: 60, ttl_seconds: 60 };
/// assert_eq!(overflow(&settings, 3), 0);
/// assert_eq!(overflow(&settings, 5), 2);
/// ```
pub fn overflow(settings: &FailureSettings, kept: u64) -> u64 {
    kept.saturating_sub(settings.samples)
}

/// The oldest `received_at` still kept at `now_ms`: records before it are deleted.
///
/// ```
/// use digivault_webhooks::receiver::failures::{oldest_kept, FailureSettings};
/// let settings = FailureSettings { samples: 3, per_minute: 60, ttl_seconds: 60 };
/// assert_eq!(oldest_kept(&settings, 100_000), 40_000);
/// assert_eq!(oldest_kept(&settings, 1_000), 0);
/// ```
pub fn oldest_kept(settings: &FailureSettings, now_ms: u64) -> u64 {
    now_ms.saturating_sub(settings.ttl_seconds.saturating_mul(1000))
}
