//! Training: the data a job reads ([`data`]), a job spec ([`TrainSpec`]) resolved from a train
//! setup in one place ([`job`]), and the worker thread that runs it ([`worker`]). The CLI's
//! train loop and the window's train panel both use them. The seed's program is in [`seed`].

pub mod data;
pub mod job;
pub mod seed;
pub mod worker;

use crate::engine::error::{Error, Result};
use crate::engine::fmt::numpy::printf_g;
use crate::engine::graph::{Graph, NodeId, Output};
use crate::train::data::table::Table;
use std::sync::Arc;

/// How batches are cut from the dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Batching {
    /// The seed's rule: `start = (i * batch_size) % rows`, `end = start + batch_size` (clipped at
    /// the last row, as numpy slicing clips).
    #[default]
    Cyclic,
}

/// A placeholder fed from dataset columns.
#[derive(Clone, Debug)]
pub struct ColumnFeed {
    /// The fed tensor.
    pub tensor: Output,
    /// Column indices into the table, in order.
    pub columns: Vec<usize>,
}

/// The full-data evaluation done every `every` steps.
#[derive(Clone, Debug)]
pub struct EvalSpec {
    /// Every how many steps (step `i` with `i % every == 0`, after training on batch `i`).
    pub every: u64,
    /// The loss tensor evaluated on all rows.
    pub loss: Output,
    /// A printf-style line (`%d` = step, `%g` = loss) printed at each evaluation.
    pub format: Option<String>,
}

/// A resolved training job.
#[derive(Clone, Debug)]
pub struct TrainSpec {
    /// The graph (a copy: the job owns it while it trains).
    pub graph: Graph,
    /// The train op(s) run each step.
    pub train_targets: Vec<NodeId>,
    /// Extra tensors fetched each step (the seed fetches `y` and `y_` beside the train op).
    pub step_fetches: Vec<Output>,
    /// The loss on the batch, reported as the batch loss (fetched each step if set).
    pub batch_loss: Option<Output>,
    /// Placeholders fed from columns.
    pub feeds: Vec<ColumnFeed>,
    /// The data.
    pub table: Arc<Table>,
    /// Rows per batch.
    pub batch_size: usize,
    /// How batches are cut.
    pub batching: Batching,
    /// Steps to run.
    pub steps: u64,
    /// Full-data evaluation.
    pub eval: Option<EvalSpec>,
    /// Variables whose values are sent as (throttled) snapshots.
    pub watch: Vec<Output>,
}

impl TrainSpec {
    /// Checks the spec against its graph before a thread is started.
    pub fn validate(&self) -> Result<()> {
        if self.batch_size == 0 {
            return Err(Error::value_error("batch_size must be at least 1"));
        }
        if self.table.rows == 0 {
            return Err(Error::value_error("the dataset has no rows"));
        }
        if self.train_targets.is_empty() {
            return Err(Error::value_error("no train op to run"));
        }
        for f in &self.feeds {
            let Some((_, shape)) = self.graph.output_info(f.tensor) else {
                return Err(Error::value_error("a fed tensor is not in the graph"));
            };
            if let Some(&bad) = f.columns.iter().find(|&&c| c >= self.table.columns.len()) {
                return Err(Error::value_error(format!("column {bad} is not in the dataset")));
            }
            if let Some(d) = shape.dim(1)
                && d != f.columns.len()
            {
                return Err(Error::value_error(format!(
                    "{} takes {} features per row, but {} column(s) feed it",
                    self.graph.tensor_repr(f.tensor),
                    d,
                    f.columns.len()
                )));
            }
        }
        if let Some(e) = &self.eval
            && e.every == 0
        {
            return Err(Error::value_error("the eval interval must be at least 1"));
        }
        Ok(())
    }

    /// The rows of batch `i`.
    pub fn batch_rows(&self, i: u64) -> std::ops::Range<usize> {
        let n = self.table.rows;
        match self.batching {
            Batching::Cyclic => {
                let start = ((i as u128 * self.batch_size as u128) % n as u128) as usize;
                start..start.saturating_add(self.batch_size).min(n)
            }
        }
    }
}

/// Formats a log line printf-style: `%d` takes the step, `%g`/`%.Ng`/`%f`/`%.Nf`/`%e` the value,
/// `%%` is a percent sign (Python's `"..." % (i, loss)`).
pub fn format_log(format: &str, step: u64, value: f64) -> String {
    let format_checked = check_log_format(format).is_ok();
    let mut out = String::with_capacity(format.len() + 16);
    let mut chars = format.chars().peekable();
    let mut used_step = false;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut precision: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut digits = String::new();
            while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                digits.push(d);
                chars.next();
            }
            precision = digits.parse().ok();
            if !format_checked {
                // Never a gigabyte of digits, even from a format that skipped validation.
                precision = precision.map(|p: usize| p.min(MAX_LOG_PRECISION));
            }
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('d') | Some('i') if !used_step => {
                used_step = true;
                out.push_str(&step.to_string());
            }
            Some('d') | Some('i') => out.push_str(&(value as i64).to_string()),
            Some('g') => out.push_str(&printf_g(value, precision.unwrap_or(6))),
            Some('f') => out.push_str(&format!("{:.*}", precision.unwrap_or(6), value)),
            Some('e') => out.push_str(&crate::engine::fmt::numpy::printf_e(value, precision.unwrap_or(6))),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// The largest precision a log format may ask for (`%.1000f`): Python allows up to 2^31 - 1
/// digits, a string of gigabytes.
pub const MAX_LOG_PRECISION: usize = 1000;

/// Checks a log format's precisions (`%.Nf`): at most [`MAX_LOG_PRECISION`].
pub fn check_log_format(format: &str) -> std::result::Result<(), String> {
    let mut rest = format;
    while let Some(i) = rest.find("%.") {
        let digits: String = rest[i + 2..].chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() && digits.parse::<usize>().is_ok_and(|p| p > MAX_LOG_PRECISION) || digits.len() > 19 {
            return Err(format!("precision {digits} is too large (at most {MAX_LOG_PRECISION})"));
        }
        rest = &rest[i + 2..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_precisions_are_refused_or_capped() {
        assert!(check_log_format("%.1000f %.3g").is_ok());
        assert_eq!(check_log_format("%d %.1001f").unwrap_err(), "precision 1001 is too large (at most 1000)");
        assert!(check_log_format("%.99999999999999999999999g").is_err());
        assert_eq!(format_log("%.2000000000f", 1, 0.5).len(), 1002);
    }

    #[test]
    fn python_percent_format() {
        assert_eq!(
            format_log("After %d training step(s), cross entropy on all data is %g", 1000, 0.6550751328),
            "After 1000 training step(s), cross entropy on all data is 0.655075"
        );
        assert_eq!(format_log("%d: %.3f (100%%)", 5, 0.12345), "5: 0.123 (100%)");
        assert_eq!(format_log("loss %e", 1, 0.00012), "loss 1.200000e-04");
    }
}
