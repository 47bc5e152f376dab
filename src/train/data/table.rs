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

    /// Column name → index (the first column of a name), for lookups in linear time.
    pub fn column_index(&self) -> std::collections::HashMap<&str, usize> {
        index_of(&self.columns)
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

/// Name → index of its first occurrence.
pub fn index_of(names: &[String]) -> std::collections::HashMap<&str, usize> {
    let mut m = std::collections::HashMap::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        m.entry(n.as_str()).or_insert(i);
    }
    m
}

/// Column names for a message: all of them when few, else the first 20 and how many there are.
pub fn names_preview(names: &[String]) -> String {
    const SHOWN: usize = 20;
    if names.len() <= SHOWN {
        return names.join(", ");
    }
    format!("{}, ... ({} columns)", names[..SHOWN].join(", "), names.len())
}
