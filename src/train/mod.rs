//! Training: the data a job reads ([`data`]), a job spec ([`TrainSpec`]) resolved from a train
//! setup in one place ([`job`]), and the worker thread that runs it ([`worker`]). The CLI's
//! train loop and the window's train panel both use them. The seed's program is in [`seed`].

pub mod book;
pub mod data;
pub mod job;
pub mod seed;
pub mod worker;

use crate::engine::error::{Error, Result};
use crate::engine::fmt::numpy::printf_g;
use crate::engine::graph::{Graph, NodeId, Output};
use crate::train::data::idx::{Field, ImageSet, ImageSets, Split};
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
    /// `mnist.train.next_batch(batch_size)` of TF 1.x's `input_data`, exactly (see
    /// [`crate::train::data::next_batch`]): shuffled with numpy's global RNG at each epoch, an
    /// epoch's tail joined with the next one's head. Stored as
    /// `{"next_batch": {"numpy_seed": 0}}`.
    NextBatch {
        /// `np.random.seed(numpy_seed)` before the loop; none: numpy's unseeded RNG (a new order
        /// every run).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        numpy_seed: Option<u32>,
        /// `next_batch(..., shuffle=...)`.
        #[serde(default = "yes")]
        shuffle: bool,
    },
}

fn yes() -> bool {
    true
}

/// A placeholder fed from dataset columns.
#[derive(Clone, Debug)]
pub struct ColumnFeed {
    /// The fed tensor.
    pub tensor: Output,
    /// Column indices into the table, in order; for image data, one field (0 `images`, 1
    /// `labels`: see [`TrainData::columns`]).
    pub columns: Vec<usize>,
}

/// The examples a job trains on.
#[derive(Clone, Debug)]
pub enum TrainData {
    /// Rows of named columns; every feed takes some columns.
    Table(Arc<Table>),
    /// MNIST-style image sets: batches come from the training set; each feed takes one field,
    /// `images` or `labels`; the periodic evaluation feeds all of `eval`.
    Images {
        /// The sets.
        sets: Arc<ImageSets>,
        /// The set the evaluation feeds.
        eval: Split,
    },
}

impl From<Arc<Table>> for TrainData {
    fn from(t: Arc<Table>) -> TrainData {
        TrainData::Table(t)
    }
}

impl TrainData {
    /// Number of examples batches are drawn from.
    pub fn rows(&self) -> usize {
        match self {
            TrainData::Table(t) => t.rows,
            TrainData::Images { sets, .. } => sets.train.len(),
        }
    }

    /// What feeds can name: the table's columns, or the image fields.
    pub fn columns(&self) -> Vec<String> {
        match self {
            TrainData::Table(t) => t.columns.clone(),
            TrainData::Images { .. } => Field::ALL.iter().map(|(n, _)| n.to_string()).collect(),
        }
    }

    /// The training set of image data.
    pub fn images(&self) -> Option<&ImageSet> {
        match self {
            TrainData::Images { sets, .. } => Some(&sets.train),
            TrainData::Table(_) => None,
        }
    }
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
    /// The line's values when not `(step, loss)`: the step, the step plus one, or tensors
    /// evaluated on all rows (each in its own run, as `sess.run(t, feed_dict=...)`).
    pub args: Vec<LogArg<Output>>,
    /// Evaluate before training on batch `i` instead of after (`if i % every == 0:` at the top
    /// of the loop's body).
    pub before_step: bool,
    /// A line printed once after the last step.
    pub end: Option<EndLog<Output>>,
}

/// A line printed once after the loop, its tensors evaluated on all rows of `split`
/// (`print("..." % (TRAINING_STEPS, sess.run(accuracy, feed_dict=test_feed)))`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EndLog<T> {
    /// Python `%` format.
    pub format: String,
    /// Its values: `"step"` is the number of steps run, `"step_plus_one"` one more, tensors
    /// are evaluated on all rows of `split`, each in its own run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<LogArg<T>>,
    /// For an IDX dataset, the set the tensors are evaluated on (`train` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<Split>,
}

/// One value of a printed log line (Python's `"..." % (i, sess.run(t, ...), ...)`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogArg<T> {
    /// The step `i`.
    Step,
    /// `i + 1`.
    StepPlusOne,
    /// A tensor's value (its first element), evaluated on all rows.
    Tensor(T),
}

/// A value formatted into a log line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LogValue {
    /// An int (the step).
    Int(i64),
    /// A fetched number.
    Float(f64),
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
    pub data: TrainData,
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
        if self.data.rows() == 0 {
            return Err(Error::value_error("the dataset has no rows"));
        }
        if self.train_targets.is_empty() {
            return Err(Error::value_error("no train op to run"));
        }
        let ncols = self.data.columns().len();
        for f in &self.feeds {
            let Some((_, shape)) = self.graph.output_info(f.tensor) else {
                return Err(Error::value_error("a fed tensor is not in the graph"));
            };
            if let Some(&bad) = f.columns.iter().find(|&&c| c >= ncols) {
                return Err(Error::value_error(format!("column {bad} is not in the dataset")));
            }
            let (width, what) = match self.data.images() {
                Some(set) => {
                    let field = Field::ALL.get(f.columns.first().copied().unwrap_or(0)).map_or(Field::Images, |x| x.1);
                    if f.columns.len() != 1 {
                        return Err(Error::value_error(format!(
                            "{} must be fed one field of the image data (images or labels), not {}",
                            self.graph.tensor_repr(f.tensor),
                            f.columns.len()
                        )));
                    }
                    match set.width_of(field) {
                        Some(w) => (Some(w), format!("{} values per example", w)),
                        None if shape.rank().is_some_and(|r| r != 1) => {
                            return Err(Error::value_error(format!(
                                "{} has rank {}, but labels that are not one-hot are one class index per \
                                 example: feed them to a rank-1 placeholder (shape [None]), or set one_hot",
                                self.graph.tensor_repr(f.tensor),
                                shape.rank().unwrap_or(0)
                            )));
                        }
                        None => (None, String::new()),
                    }
                }
                None => (Some(f.columns.len()), format!("{} column(s)", f.columns.len())),
            };
            if let (Some(w), Some(d)) = (width, shape.dim(1))
                && d != w
            {
                let feature = if self.data.images().is_some() { "values" } else { "features" };
                return Err(Error::value_error(format!(
                    "{} takes {} {feature} per row, but {what} feed it",
                    self.graph.tensor_repr(f.tensor),
                    d,
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

    /// The rows of batch `i` under [`Batching::Cyclic`] (the worker draws
    /// [`Batching::NextBatch`]'s batches from its state).
    pub fn batch_rows(&self, i: u64) -> std::ops::Range<usize> {
        let n = self.data.rows().max(1);
        // In 64 bits when the product fits (a 128-bit remainder is a library call per step).
        let start = match i.checked_mul(self.batch_size as u64) {
            Some(k) => (k % n as u64) as usize,
            None => ((i as u128 * self.batch_size as u128) % n as u128) as usize,
        };
        start..start.saturating_add(self.batch_size).min(n)
    }
}

/// The `.N` precision after a `%` in a Python format, if there is one (consumed from `chars`).
fn take_precision(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    if chars.peek() != Some(&'.') {
        return None;
    }
    chars.next();
    let mut digits = String::new();
    while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
        digits.push(d);
        chars.next();
    }
    digits.parse().ok()
}

/// Formats a log line as Python's `format % (values...)` does: `%d`/`%i` (an int; a float is
/// truncated), `%s` (an int as written, a float as Python's `str`), `%g`/`%f`/`%e` with an
/// optional precision, `%%`.
pub fn format_values(format: &str, values: &[LogValue]) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let mut chars = format.chars().peekable();
    let mut next = values.iter();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let precision = take_precision(&mut chars);
        let conv = chars.next();
        if conv == Some('%') {
            out.push('%');
            continue;
        }
        let v = match next.next() {
            Some(LogValue::Int(i)) => (*i as f64, Some(*i)),
            Some(LogValue::Float(x)) => (*x, None),
            None => (f64::NAN, None),
        };
        match conv {
            Some('d') | Some('i') => out.push_str(&v.1.unwrap_or(v.0 as i64).to_string()),
            Some('s') => match v.1 {
                Some(i) => out.push_str(&i.to_string()),
                None => out.push_str(&crate::engine::fmt::numpy::scalar_f64(v.0)),
            },
            Some('g') => out.push_str(&printf_g(v.0, precision.unwrap_or(6))),
            Some('f') => out.push_str(&format!("{:.*}", precision.unwrap_or(6), v.0)),
            Some('e') => out.push_str(&crate::engine::fmt::numpy::printf_e(v.0, precision.unwrap_or(6))),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
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
        let mut precision = take_precision(&mut chars);
        if !format_checked {
            // Never a gigabyte of digits, even from a format that skipped validation.
            precision = precision.map(|p: usize| p.min(MAX_LOG_PRECISION));
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
        let v = [LogValue::Int(1), LogValue::Int(1), LogValue::Float(4.0), LogValue::Float(0.096)];
        assert_eq!(
            format_values("After %s iteration(s): x%s is %f, learning rate is %f.", &v),
            "After 1 iteration(s): x1 is 4.000000, learning rate is 0.096000."
        );
        assert_eq!(
            format_values("%d %g %g", &[LogValue::Int(0), LogValue::Float(0.5), LogValue::Float(2.0)]),
            "0 0.5 2"
        );
    }
}
