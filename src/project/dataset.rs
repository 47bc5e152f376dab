//! Datasets a project trains on: generated ones (numpy's `RandomState(seed).rand(rows, features)`
//! with a label rule, as the seed's program makes its data) and inline tables. A dataset
//! materializes into a [`Table`] of f64 columns that the train loop cuts into batches.

use crate::engine::random::RandomState;
use serde::{Deserialize, Serialize};

/// How a label column is computed from the features of a row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum LabelRule {
    /// `int(x1 + ... + xn < threshold)` (the seed's `int(x1+x2 < 1)`).
    SumLessThan {
        /// The threshold.
        threshold: f64,
    },
}

/// Where a dataset's rows come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DatasetSource {
    /// `RandomState(seed).rand(rows, features)` plus a label column (`y`). Columns `x1..xn, y`.
    NumpyRand {
        /// `RandomState` seed.
        seed: u32,
        /// Number of rows.
        rows: usize,
        /// Number of feature columns.
        features: usize,
        /// The label rule.
        label: LabelRule,
    },
    /// Rows stored in the project.
    Inline {
        /// Column names.
        columns: Vec<String>,
        /// Row values.
        rows: Vec<Vec<f64>>,
    },
}

/// A named dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Name the train loop refers to.
    pub name: String,
    /// Its rows.
    pub source: DatasetSource,
}

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

impl Dataset {
    /// Computes the rows.
    pub fn materialize(&self) -> Result<Table, String> {
        match &self.source {
            DatasetSource::NumpyRand { seed, rows, features, label } => {
                if *features == 0 {
                    return Err(format!("dataset '{}': features must be at least 1", self.name));
                }
                if rows.saturating_mul(*features + 1) > MAX_ROWS {
                    return Err(format!(
                        "dataset '{}': {rows} rows is too many (at most {MAX_ROWS} values)",
                        self.name
                    ));
                }
                let mut rs = RandomState::new(*seed);
                let x = rs.rand(rows * features);
                let mut data = Vec::with_capacity(rows * (features + 1));
                for r in x.chunks(*features) {
                    data.extend_from_slice(r);
                    let y = match label {
                        LabelRule::SumLessThan { threshold } => {
                            // Python sums left to right: x1 + x2 + ...
                            let s = r.iter().fold(0.0, |a, b| a + b);
                            if s < *threshold { 1.0 } else { 0.0 }
                        }
                    };
                    data.push(y);
                }
                let mut columns: Vec<String> = (1..=*features).map(|i| format!("x{i}")).collect();
                columns.push("y".to_string());
                Ok(Table { columns, data, rows: *rows })
            }
            DatasetSource::Inline { columns, rows } => {
                let mut data = Vec::with_capacity(rows.len() * columns.len());
                for (i, r) in rows.iter().enumerate() {
                    if r.len() != columns.len() {
                        return Err(format!(
                            "dataset '{}': row {} has {} values, expected {}",
                            self.name,
                            i + 1,
                            r.len(),
                            columns.len()
                        ));
                    }
                    data.extend_from_slice(r);
                }
                Ok(Table { columns: columns.clone(), data, rows: rows.len() })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_data_is_numpy_exact() {
        let d = Dataset {
            name: "seed".into(),
            source: DatasetSource::NumpyRand {
                seed: 1,
                rows: 128,
                features: 2,
                label: LabelRule::SumLessThan { threshold: 1.0 },
            },
        };
        let t = d.materialize().unwrap();
        assert_eq!(t.columns, ["x1", "x2", "y"]);
        assert_eq!(t.get(0, 0), Some(0.417022004702574));
        assert_eq!(t.get(0, 1), Some(0.7203244934421581));
        assert_eq!(t.get(0, 2), Some(0.0));
        assert_eq!(t.get(1, 0), Some(0.00011437481734488664));
        assert_eq!(t.get(1, 2), Some(1.0));
    }

    #[test]
    fn ragged_inline_rows_are_refused() {
        let d = Dataset {
            name: "d".into(),
            source: DatasetSource::Inline {
                columns: vec!["a".into(), "b".into()],
                rows: vec![vec![1.0, 2.0], vec![3.0]],
            },
        };
        assert_eq!(d.materialize().unwrap_err(), "dataset 'd': row 2 has 1 values, expected 2");
    }
}
