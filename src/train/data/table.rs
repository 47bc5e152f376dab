//! A materialized dataset: named f64 columns over row-major rows, and the size limit every
//! generator and parser keeps to.

/// A materialized dataset: named columns over row-major f64 values.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Column names.
    pub columns: Vec<String>,
    /// Row-major values, `rows * columns.len()` of them.
    pub data: Vec<f64>,
    /// Number of rows.
    pub rows: usize,
}

impl Table {
    /// Index of a column by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Value at (row, col).
    pub fn get(&self, row: usize, col: usize) -> Option<f64> {
        self.data.get(row * self.columns.len() + col).copied()
    }
}

/// The most rows a generated dataset may have (keeps a typo from eating the machine's memory).
pub const MAX_ROWS: usize = 50_000_000;

/// The most columns a dataset may have (generated features, CSV columns).
pub const MAX_COLUMNS: usize = 100_000;
