//! Listings across the ledger's shards: each shard answers one page from its
//! `(state, received_at)` index, the Worker merges them newest first.

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};

use super::state::DeliveryState;

/// Where a listing page ended: the last event shown, by `(received_at, id)`.
///
/// Opaque to clients: `<received_at>.<hex of the id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCursor {
    /// `received_at` of the last event shown.
    pub received_at: u64,
    /// Its id (breaks ties between events received in the same millisecond).
    pub id: String,
}

impl ListCursor {
    /// The text given to clients.
    ///
    /// ```
    /// use digivault_webhooks::receiver::ListCursor;
    /// let cursor = ListCursor { received_at: 1_700_000_000_000, id: "evt_1".into() };
    /// assert_eq!(cursor.encode(), "1700000000000.6576745f31");
    /// assert_eq!(ListCursor::decode(&cursor.encode()), Some(cursor));
    /// assert_eq!(ListCursor::decode("x.00"), None);
    /// ```
    pub fn encode(&self) -> String {
        format!("{}.{}", self.received_at, hex::encode(self.id.as_bytes()))
    }

    /// Reads a cursor made by [`ListCursor::encode`]; `None` for anything else.
    pub fn decode(text: &str) -> Option<Self> {
        let (at, id) = text.split_once('.')?;
        if at.is_empty() || !at.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let id = String::from_utf8(hex::decode(id).ok()?).ok()?;
        Some(Self {
            received_at: at.parse().ok()?,
            id,
        })
    }
}

/// One event of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListItem {
    /// Event id.
    pub id: String,
    /// Event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// When it was accepted (Unix ms).
    pub received_at: u64,
    /// Attempts started (since the last replay).
    pub attempt_count: u32,
    /// When the next attempt is due (pending only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next_attempt_at: Option<u64>,
}

impl ListItem {
    fn key(&self) -> (u64, &str) {
        (self.received_at, &self.id)
    }
}

/// One page of a listing, as the admin API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage {
    /// Newest first.
    pub events: Vec<ListItem>,
    /// The next page's `cursor`, `null` at the end.
    pub cursor: Option<String>,
}

/// Merges the shards' pages into one, newest first.
///
/// Each shard answers at most `limit + 1` events after the cursor, newest first: more than
/// `limit` in all means another page exists, and the cursor is the last event kept. (If
/// every shard answered at most `limit + 1` and the total is at most `limit`, every shard
/// is exhausted.)
///
/// ```
/// use digivault_webhooks::receiver::{merge_pages, DeliveryState, ListItem};
/// let item = |id: &str, at| ListItem { id: id.into(), event_type: "t".into(), state: DeliveryState::Dead, received_at: at, attempt_count: 12, next_attempt_at: None };
/// let page = merge_pages(vec![vec![item("a", 30), item("b", 10)], vec![item("c", 20)]], 2);
/// assert_eq!(page.events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["a", "c"]);
/// assert_eq!(page.cursor.as_deref(), Some("20.63"));
/// assert_eq!(merge_pages(vec![vec![item("a", 30)]], 2).cursor, None);
/// ```
pub fn merge_pages(pages: Vec<Vec<ListItem>>, limit: usize) -> ListPage {
    let mut events: Vec<ListItem> = pages.into_iter().flatten().collect();
    events.sort_by(|a, b| Reverse(a.key()).cmp(&Reverse(b.key())));
    let more = events.len() > limit;
    events.truncate(limit);
    let cursor = if more {
        events.last().map(|last| {
            ListCursor {
                received_at: last.received_at,
                id: last.id.clone(),
            }
            .encode()
        })
    } else {
        None
    };
    ListPage { events, cursor }
}

/// Events per state: what `GET /admin/stats` answers (summed over the shards).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Waiting for an attempt (the backlog).
    pub pending: u64,
    /// An attempt running.
    pub delivering: u64,
    /// Delivered and still remembered (`DEDUP_TTL_SECONDS`).
    pub delivered: u64,
    /// Dead letters kept (`DEAD_LETTER_TTL_SECONDS`).
    pub dead: u64,
}

impl Stats {
    /// Adds `count` events in `state`.
    pub fn add(&mut self, state: DeliveryState, count: u64) {
        let slot = match state {
            DeliveryState::Pending => &mut self.pending,
            DeliveryState::Delivering => &mut self.delivering,
            DeliveryState::Delivered => &mut self.delivered,
            DeliveryState::Dead => &mut self.dead,
        };
        *slot = slot.saturating_add(count);
    }

    /// The sum of two shards' counts.
    pub fn merge(mut self, other: Self) -> Self {
        for state in DeliveryState::ALL {
            self.add(state, other.get(state));
        }
        self
    }

    /// The count of `state`.
    pub fn get(&self, state: DeliveryState) -> u64 {
        match state {
            DeliveryState::Pending => self.pending,
            DeliveryState::Delivering => self.delivering,
            DeliveryState::Delivered => self.delivered,
            DeliveryState::Dead => self.dead,
        }
    }
}
