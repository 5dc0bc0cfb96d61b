//! The ledger's storage on a map: the reference [`LedgerStore`] the unit, property and
//! fuzz tests drive the state machine through (the object's SQLite store does the same
//! three things: read a row by id, put it, delete the expired ones).

use std::collections::BTreeMap;
use std::convert::Infallible;

use super::state::{Change, LedgerRow, LedgerStore};

/// Rows by id, in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryLedger {
    /// The rows, by id.
    pub rows: BTreeMap<String, LedgerRow>,
}

impl LedgerStore for MemoryLedger {
    type Error = Infallible;

    fn row(&mut self, id: &str) -> Result<Option<LedgerRow>, Infallible> {
        Ok(self.rows.get(id).cloned())
    }

    fn apply(&mut self, change: &Change) -> Result<(), Infallible> {
        match change {
            Change::Keep => {}
            Change::Put(row) => {
                self.rows.insert(row.id.clone(), row.clone());
            }
        }
        Ok(())
    }

    fn delete_expired(&mut self, now_ms: i64) -> Result<usize, Infallible> {
        let before = self.rows.len();
        self.rows.retain(|_, row| row.expires_at > now_ms);
        Ok(before - self.rows.len())
    }

    fn earliest_expiry(&mut self) -> Result<Option<i64>, Infallible> {
        Ok(self.rows.values().map(|row| row.expires_at).min())
    }
}
