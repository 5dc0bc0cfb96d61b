//! The hub's bookkeeping decisions: which names are registered, what a backlog keeps, and
//! how much is sent to a listener before it acknowledges.

/// Events sent to one listener and not yet acknowledged, at most.
pub const MAX_WINDOW_EVENTS: u64 = 32;
/// Bytes of events sent to one listener and not yet acknowledged, at most (one event is
/// always sent, however large).
pub const MAX_WINDOW_BYTES: u64 = 8 << 20;

/// Whether a name still receives events: connected now, or last seen (connected or
/// disconnected) within `retention_seconds` of `now_ms`.
///
/// ```
/// use digivault_webhooks::receiver::listen::registered;
/// assert!(registered(false, 1_000, 60, 61_000));
/// assert!(!registered(false, 1_000, 60, 61_001));
/// assert!(registered(true, 0, 60, u64::MAX));
/// ```
pub fn registered(connected: bool, last_seen_ms: u64, retention_seconds: u64, now_ms: u64) -> bool {
    connected || last_seen_ms.saturating_add(retention_seconds.saturating_mul(1000)) >= now_ms
}

/// How many of a name's oldest events go when its backlog holds `pending` events and may
/// hold `max_backlog`.
///
/// ```
/// use digivault_webhooks::receiver::listen::overflow;
/// assert_eq!(overflow(10_001, 10_000), 1);
/// assert_eq!(overflow(5, 10_000), 0);
/// ```
pub fn overflow(pending: u64, max_backlog: u64) -> u64 {
    pending.saturating_sub(max_backlog)
}

/// How many more of `next_sizes` (the sizes of the next unsent events, oldest first) may be
/// sent to a listener that has `in_flight` events of `in_flight_bytes` unacknowledged:
/// at most [`MAX_WINDOW_EVENTS`] and [`MAX_WINDOW_BYTES`] in flight, but always one when
/// nothing is in flight (an event larger than the window still goes).
///
/// ```
/// use digivault_webhooks::receiver::listen::window_room;
/// assert_eq!(window_room(0, 0, &[10, 10, 10]), 3);
/// assert_eq!(window_room(31, 310, &[10, 10]), 1);
/// assert_eq!(window_room(0, 0, &[20 << 20, 10]), 1);
/// assert_eq!(window_room(1, 20 << 20, &[10]), 0);
/// ```
pub fn window_room(in_flight: u64, in_flight_bytes: u64, next_sizes: &[u64]) -> usize {
    let mut bytes = in_flight_bytes;
    let mut room = 0;
    for (count, &size) in (in_flight..).zip(next_sizes) {
        let first = count == 0;
        if count >= MAX_WINDOW_EVENTS || (!first && bytes.saturating_add(size) > MAX_WINDOW_BYTES) {
            break;
        }
        bytes = bytes.saturating_add(size);
        room += 1;
    }
    room
}
