//! SQL rows read as the cursor's raw value arrays, by column position: one small reader
//! instead of a `serde_wasm_bindgen` deserializer generated for every row type (that
//! was about 10 KB of the Worker's gzip size).

use worker::{Result, SqlCursor, SqlStorageValue};

/// One row's values, in the order of the query's columns.
pub(crate) struct Row(Vec<SqlStorageValue>);

/// Every row of a query.
pub(crate) fn rows(cursor: SqlCursor) -> Result<Vec<Row>> {
    cursor.raw().map(|row| row.map(Row)).collect()
}

/// The first row of a query, if any.
pub(crate) fn first(cursor: SqlCursor) -> Result<Option<Row>> {
    cursor.raw().next().transpose().map(|row| row.map(Row))
}

impl Row {
    fn value(&self, column: usize) -> Option<&SqlStorageValue> {
        self.0.get(column)
    }

    /// A TEXT column (`None`: NULL or another type).
    pub(crate) fn text(&self, column: usize) -> Option<String> {
        match self.value(column)? {
            SqlStorageValue::String(text) => Some(text.clone()),
            _ => None,
        }
    }

    /// An INTEGER column (`None`: NULL or another type).
    pub(crate) fn int(&self, column: usize) -> Option<i64> {
        match *self.value(column)? {
            SqlStorageValue::Integer(value) => Some(value),
            SqlStorageValue::Float(value) if value.fract() == 0.0 => Some(value as i64),
            _ => None,
        }
    }

    /// A non-negative INTEGER column.
    pub(crate) fn uint(&self, column: usize) -> Option<u64> {
        self.int(column).and_then(|value| u64::try_from(value).ok())
    }

    /// A BLOB column, taken out of the row.
    pub(crate) fn take_blob(&mut self, column: usize) -> Option<Vec<u8>> {
        match self.0.get_mut(column)? {
            SqlStorageValue::Blob(bytes) => Some(std::mem::take(bytes)),
            _ => None,
        }
    }
}

/// A missing NOT NULL column: the schema and the query disagree. (The ledger's; the listen
/// hub of the ops script reads its rows leniently.)
#[cfg_attr(not(feature = "worker-ledger"), allow(dead_code))]
pub(crate) fn missing(column: &str) -> worker::Error {
    worker::Error::RustError(format!("unreadable row: no {column}"))
}
