//! When a failed delivery is tried again, and when it is given up (dead).

use crate::receiver::OriginResult;

/// Default `RETRY_SCHEDULE_SECONDS`: delays between attempts, 3.95 days in all (11 retries).
pub const DEFAULT_RETRY_SCHEDULE: &str = "30,120,600,1800,3600,10800,21600,43200,86400,86400,86400";

/// Each delay of the schedule is stretched or shrunk by up to this share (in percent) so
/// that a backlog retried after an outage does not reach the origin all at once.
pub const JITTER_PERCENT: u64 = 20;

/// Retries left to an event the origin refuses with a 4xx other than 408 and 429: such an
/// answer is about the request (a route that moved, an origin-side validation or
/// authentication failure), so it rarely changes within days. Three retries, the first
/// 43 min of the schedule, cover a deploy rolled back; after that the event is dead, and a
/// replay delivers it once the origin is fixed.
pub const CLIENT_ERROR_RETRIES: usize = 3;

/// Longest accepted delay of the schedule: 30 days.
const MAX_DELAY_MS: u64 = 30 * 86_400_000;
/// Most delays in a schedule.
const MAX_RETRIES: usize = 100;

/// The retry schedule (`RETRY_SCHEDULE_SECONDS`): the delays between consecutive attempts.
///
/// An event gets one first attempt at once and one more per delay; after the last it is
/// dead.
///
/// ```
/// use digivault_webhooks::receiver::{NextAttempt, OriginResult, RetryPolicy};
/// let policy = RetryPolicy::parse("30, 120").unwrap();
/// assert_eq!(policy.total_attempts(), 3);
/// // jitter is a uniform random u32 supplied by the caller: 1 << 31 is the middle (no jitter)
/// let failed = OriginResult::Status(500);
/// assert_eq!(policy.after_failure(1, failed, None, 1_000, 1 << 31), NextAttempt::At(31_000));
/// assert_eq!(policy.after_failure(2, failed, None, 1_000, 1 << 31), NextAttempt::At(121_000));
/// assert_eq!(policy.after_failure(3, failed, None, 1_000, 1 << 31), NextAttempt::Dead);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    delays_ms: Vec<u64>,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextAttempt {
    /// Try again at this time (Unix ms).
    At(u64),
    /// No attempt left: the event is dead-lettered.
    Dead,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // The default is valid; an empty schedule would only drop the retries.
        Self::parse(DEFAULT_RETRY_SCHEDULE).unwrap_or(Self {
            delays_ms: Vec::new(),
        })
    }
}

impl RetryPolicy {
    /// Reads comma-separated delays in seconds; decimals (at most 3 digits, milliseconds)
    /// make test schedules short. Each delay is above 0 and at most 30 days, at most 100 of
    /// them; the error says what is wrong.
    ///
    /// ```
    /// use digivault_webhooks::receiver::RetryPolicy;
    /// assert_eq!(RetryPolicy::parse("0.25, 1,2").unwrap().delays_ms(), &[250, 1000, 2000]);
    /// assert!(RetryPolicy::parse("30,,60").is_err());
    /// assert!(RetryPolicy::parse("0").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, String> {
        let delays_ms = text
            .split(',')
            .map(|part| {
                let part = part.trim();
                parse_seconds_as_ms(part)
                    .filter(|ms| (1..=MAX_DELAY_MS).contains(ms))
                    .ok_or_else(|| {
                        format!(
                            "`{part}` is not a delay in seconds between 0.001 and {}",
                            MAX_DELAY_MS / 1000
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if delays_ms.len() > MAX_RETRIES {
            return Err(format!("at most {MAX_RETRIES} delays"));
        }
        Ok(Self { delays_ms })
    }

    /// The delays in milliseconds.
    pub fn delays_ms(&self) -> &[u64] {
        &self.delays_ms
    }

    /// Attempts an event gets before it is dead: the first one plus one per delay.
    pub fn total_attempts(&self) -> usize {
        self.delays_ms.len() + 1
    }

    /// The whole schedule in milliseconds, without jitter.
    pub fn horizon_ms(&self) -> u64 {
        self.delays_ms.iter().sum()
    }

    /// The decision after the `attempts_made`-th attempt (counting it) failed with `result`
    /// at `now_ms`.
    ///
    /// - After the last attempt of the schedule: dead.
    /// - A 4xx other than 408 and 429 after [`CLIENT_ERROR_RETRIES`] retries: dead.
    /// - Otherwise the schedule's next delay, scaled by a jitter factor in
    ///   `[1 - JITTER_PERCENT%, 1 + JITTER_PERCENT%]` that `jitter` (a uniform random u32
    ///   from the caller: the core has no random source) picks.
    /// - `retry_after_ms` (the origin's `Retry-After`, honoured on 429 and 503 only) pushes
    ///   the attempt later, never earlier, and never beyond the schedule's longest delay.
    pub fn after_failure(
        &self,
        attempts_made: u32,
        result: OriginResult,
        retry_after_ms: Option<u64>,
        now_ms: u64,
        jitter: u32,
    ) -> NextAttempt {
        let made = attempts_made as usize;
        let Some(delay) = made
            .checked_sub(1)
            .and_then(|index| self.delays_ms.get(index))
        else {
            return NextAttempt::Dead;
        };
        if is_client_error(result) && made > CLIENT_ERROR_RETRIES {
            return NextAttempt::Dead;
        }
        let mut wait = jittered(*delay, jitter);
        if let (OriginResult::Status(429 | 503), Some(asked)) = (result, retry_after_ms) {
            let longest = self.delays_ms.iter().copied().max().unwrap_or(*delay);
            wait = wait.max(asked.min(longest));
        }
        NextAttempt::At(now_ms.saturating_add(wait))
    }
}

/// A 4xx that is about the request rather than the moment: everything but 408 (timeout)
/// and 429 (too many requests).
pub fn is_client_error(result: OriginResult) -> bool {
    matches!(result, OriginResult::Status(status) if (400..500).contains(&status) && status != 408 && status != 429)
}

/// `delay_ms` scaled by `(1 - J) + 2J * jitter / 2^32`, J = [`JITTER_PERCENT`] / 100.
fn jittered(delay_ms: u64, jitter: u32) -> u64 {
    let spread = u128::from(delay_ms) * u128::from(JITTER_PERCENT) * 2 * u128::from(jitter)
        / (100u128 << 32);
    let low = u128::from(delay_ms) * u128::from(100 - JITTER_PERCENT) / 100;
    u64::try_from(low + spread).unwrap_or(u64::MAX)
}

/// `"12"` -> 12000, `"0.25"` -> 250; at most 3 decimals, no sign, no exponent.
fn parse_seconds_as_ms(text: &str) -> Option<u64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 3 {
        return None;
    }
    if text.ends_with('.') {
        return None;
    }
    let millis = format!("{fraction:0<3}").parse::<u64>().ok()?;
    whole
        .parse::<u64>()
        .ok()?
        .checked_mul(1000)?
        .checked_add(millis)
}

/// The origin's `Retry-After`, in milliseconds from `now_ms`: delta-seconds or an
/// HTTP-date (RFC 9110). `None` when absent or unreadable; a date in the past is 0.
///
/// ```
/// use digivault_webhooks::receiver::parse_retry_after;
/// assert_eq!(parse_retry_after("120", 0), Some(120_000));
/// assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", 30_000), Some(30_000));
/// assert_eq!(parse_retry_after("soon", 0), None);
/// ```
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits to fit is "very long": the cap applies later.
        return Some(
            value
                .parse::<u64>()
                .map_or(u64::MAX, |s| s.saturating_mul(1000)),
        );
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at_ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    let at_ms = u64::try_from(at_ms).ok()?;
    Some(at_ms.saturating_sub(now_ms))
}
