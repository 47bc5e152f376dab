//! The debug hook of a session run (tfdbg's watch, in the engine): a [`RunObserver`] set on a
//! [`crate::engine::runtime::session::Session`] is told when each run starts and, after each op
//! executes, the node, its inputs and its outputs, in execution order; it may stop the run there.
//! A session with no observer runs exactly as before (fast path included); one with an observer
//! runs the general path, and the observer reads (and summarises or copies) only what it wants.
//! [`Summary`] is the compact `shape dtype min/mean/max` view of a value the debugger prints.

use crate::engine::dtype::DType;
use crate::engine::graph::{Graph, Node, NodeId, Output};
use crate::engine::value::Value;

/// What the observer wants after an op: go on, or stop the run right after this op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Run the next op.
    Continue,
    /// Stop the run here: `run` returns a `CancelledError` naming the op, and the values computed
    /// so far (variables updated by the ops already run included) stay as they are.
    Stop,
}

/// The run that is starting: what it fetches, feeds and targets.
#[derive(Clone, Copy, Debug)]
pub struct RunInfo<'a> {
    /// The fetched tensors, in order.
    pub fetches: &'a [Output],
    /// The fed tensors, in order.
    pub feeds: &'a [Output],
    /// The target ops.
    pub targets: &'a [NodeId],
    /// How many ops the run's plan executes.
    pub ops: usize,
    /// The plan's ops in execution order (`ops` of them).
    pub order: &'a [NodeId],
}

/// One op that has just executed.
#[derive(Clone, Copy, Debug)]
pub struct OpEvent<'a> {
    /// Its position in the run's execution order (0-based).
    pub index: usize,
    /// The node.
    pub node: &'a Node,
    /// Its input values, in input order; for a ref input (the variable an `Assign` or an
    /// optimizer's apply op writes), the variable's value after the op wrote it.
    pub inputs: &'a [Option<&'a Value>],
    /// Its output values, in output order.
    pub outputs: &'a [Value],
    /// For each ref input (in input order; `None` for the others): the variable's value before
    /// the op wrote it. Empty for an op without ref inputs.
    pub refs_before: &'a [Option<Value>],
}

/// Watches the runs of a session (see the module doc). `Send`, so that a session with an
/// observer can still be handed to a training thread.
pub trait RunObserver: Send {
    /// A run starts.
    fn begin_run(&mut self, _graph: &Graph, _run: &RunInfo<'_>) {}
    /// An op has executed; return [`Flow::Stop`] to end the run after it.
    fn after_op(&mut self, graph: &Graph, op: &OpEvent<'_>) -> Flow;
}

/// A compact view of a value: its shape, dtype and the min/mean/max of its elements, with the
/// number of non-finite (inf or NaN) ones and where the first is.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The value's shape.
    pub shape: Vec<usize>,
    /// Its dtype.
    pub dtype: DType,
    /// Smallest element (NaN ignored; `None` when empty or all NaN).
    pub min: Option<f64>,
    /// Mean of the elements (NaN or inf when some are).
    pub mean: Option<f64>,
    /// Largest element (NaN ignored).
    pub max: Option<f64>,
    /// How many elements are inf or NaN.
    pub non_finite: usize,
    /// Row-major index of the first inf or NaN element.
    pub first_non_finite: Option<usize>,
}

impl Summary {
    /// Summarises a value in one pass over its elements.
    pub fn of(v: &Value) -> Summary {
        let mut s = Summary {
            shape: v.shape().to_vec(),
            dtype: v.dtype(),
            min: None,
            mean: None,
            max: None,
            non_finite: 0,
            first_non_finite: None,
        };
        let mut sum = 0.0f64;
        let mut n = 0usize;
        let mut add = |i: usize, x: f64| {
            if !x.is_finite() {
                s.non_finite += 1;
                s.first_non_finite.get_or_insert(i);
            }
            if !x.is_nan() {
                s.min = Some(s.min.map_or(x, |m| m.min(x)));
                s.max = Some(s.max.map_or(x, |m| m.max(x)));
            }
            sum += x;
            n += 1;
        };
        match v {
            Value::F32(a) => a.iter().enumerate().for_each(|(i, &x)| add(i, f64::from(x))),
            Value::F64(a) => a.iter().enumerate().for_each(|(i, &x)| add(i, x)),
            Value::I32(a) => a.iter().enumerate().for_each(|(i, &x)| add(i, f64::from(x))),
            Value::I64(a) => a.iter().enumerate().for_each(|(i, &x)| add(i, x as f64)),
            Value::Bool(a) => a.iter().enumerate().for_each(|(i, &x)| add(i, if x { 1.0 } else { 0.0 })),
        }
        if n > 0 {
            s.mean = Some(sum / n as f64);
        }
        s
    }

    /// True when some element is inf or NaN (tfdbg's `has_inf_or_nan`).
    pub fn has_inf_or_nan(&self) -> bool {
        self.non_finite > 0
    }

    /// True when the value has elements and every one is zero (NaN is not zero).
    pub fn all_zeros(&self) -> bool {
        self.non_finite == 0 && self.min == Some(0.0) && self.max == Some(0.0)
    }

    /// The largest magnitude of an element (inf when some element is inf or NaN; `None` when
    /// empty).
    pub fn max_abs(&self) -> Option<f64> {
        if self.non_finite > 0 {
            return Some(f64::INFINITY);
        }
        Some(self.min?.abs().max(self.max?.abs()))
    }

    /// The shape as TF prints it: `(2, 3)`, `(3,)`, `()`.
    pub fn shape_text(&self) -> String {
        match self.shape.as_slice() {
            [d] => format!("({d},)"),
            dims => format!("({})", dims.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
        }
    }

    /// `(2, 3) float32 min -2.44 mean -0.167 max 1.48` (a scalar shows its value; an empty
    /// value shows `empty`).
    pub fn text(&self) -> String {
        let head = format!("{} {}", self.shape_text(), self.dtype);
        if self.shape.is_empty() {
            return format!("{head} = {}", exact(self.dtype, self.min.or(self.mean)));
        }
        match self.mean {
            None => format!("{head} empty"),
            Some(mean) => format!(
                "{head} min {} mean {} max {}",
                exact(self.dtype, self.min),
                number(DType::Float32, Some(mean)),
                exact(self.dtype, self.max)
            ),
        }
    }

    /// The row-major index `i` as a numpy index: `[3, 0]`.
    pub fn index_text(&self, i: usize) -> String {
        let mut rest = i;
        let mut idx = vec![0usize; self.shape.len()];
        for (k, &d) in self.shape.iter().enumerate().rev() {
            if d > 0 {
                idx[k] = rest % d;
                rest /= d;
            }
        }
        format!("[{}]", idx.iter().map(usize::to_string).collect::<Vec<_>>().join(", "))
    }
}

/// An element exactly, as numpy prints one of its dtype: the shortest text that reads back to
/// the same float32 or float64 (`0.99999994`, `-2.4427042`, `1e-10`), integers as integers.
pub fn exact(dtype: DType, x: Option<f64>) -> String {
    match (dtype, x) {
        (DType::Float32, Some(x)) if x.is_finite() => shortest(format!("{:?}", x as f32)),
        (DType::Float64, Some(x)) if x.is_finite() => shortest(format!("{x:?}")),
        _ => number(dtype, x),
    }
}

/// Rust's `{:?}` of a float, without the `.0` of a whole number (`1.0` -> `1`, `1e-10` stays).
fn shortest(s: String) -> String {
    match s.strip_suffix(".0") {
        Some(t) => t.to_string(),
        None => s,
    }
}

/// A number as numpy prints it in short: `nan`, `inf`, `-inf`, integers as integers, floats with
/// up to 6 significant digits (`%g`).
pub fn number(dtype: DType, x: Option<f64>) -> String {
    let Some(x) = x else { return "nan".to_string() };
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".to_string() } else { "-inf".to_string() };
    }
    match dtype {
        DType::Int32 | DType::Int64 => format!("{}", x as i64),
        DType::Bool => (if x != 0.0 { "True" } else { "False" }).to_string(),
        _ => g6(x),
    }
}

/// C's `%g` (6 significant digits, trailing zeros dropped, exponent form below 1e-4 or from 1e6).
fn g6(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() { "-0".to_string() } else { "0".to_string() };
    }
    let exp = x.abs().log10().floor() as i32;
    // Rounding to 6 digits may carry into the next power of ten (999999.5 -> 1e+06).
    let rounded: f64 = format!("{x:.5e}").parse().unwrap_or(x);
    let exp = if rounded.abs() >= 10f64.powi(exp + 1) { exp + 1 } else { exp };
    if !(-4..6).contains(&exp) {
        let s = format!("{x:.5e}");
        let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
        let mant = trim_zeros(mant);
        let e: i32 = e.parse().unwrap_or(0);
        format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
    } else {
        let decimals = (5 - exp).max(0) as usize;
        trim_zeros(&format!("{x:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn summary_counts_non_finite_and_names_the_first() {
        let v = Value::F32(ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![0.5, 1.0, f32::NEG_INFINITY, 0.25]).unwrap());
        let s = Summary::of(&v);
        assert!(s.has_inf_or_nan());
        assert_eq!(s.first_non_finite, Some(2));
        assert_eq!(s.index_text(2), "[1, 0]");
        assert_eq!(s.text(), "(2, 2) float32 min -inf mean -inf max 1");
        assert_eq!(exact(DType::Float32, Some(f64::from(0.99999994f32))), "0.99999994");
        assert_eq!(exact(DType::Float32, Some(f64::from(1e-10f32))), "1e-10");
        assert_eq!(exact(DType::Float32, Some(f64::from(-2.4427042f32))), "-2.4427042");
    }

    #[test]
    fn numbers_print_as_percent_g() {
        assert_eq!(g6(0.655075123), "0.655075");
        assert_eq!(g6(1.0), "1");
        assert_eq!(g6(-2.4427042), "-2.4427");
        assert_eq!(g6(1e-10), "1e-10");
        assert_eq!(g6(1234567.0), "1.23457e+06");
        assert_eq!(g6(999999.7), "1e+06");
        assert_eq!(number(DType::Int32, Some(3.0)), "3");
        let s = Summary::of(&Value::scalar_f32(0.001));
        assert_eq!(s.text(), "() float32 = 0.001");
        assert_eq!(Summary::of(&Value::zeros(DType::Float32, &[3])).shape_text(), "(3,)");
    }
}

/// A tfdbg tensor filter (`run -f has_inf_or_nan`): which op outputs a debugger stops at, in the
/// window's debugger and in `flowbench debug --until`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum TensorFilter {
    /// Some element is inf or NaN (`has_inf_or_nan`).
    #[default]
    HasInfOrNan,
    /// Every element is zero (`all_zeros`).
    AllZeros,
    /// Some element is larger than this in magnitude; an inf or NaN counts (`larger_than(x)`).
    LargerThan(f64),
}

impl TensorFilter {
    /// True when a value with this summary matches.
    pub fn matches(&self, s: &Summary) -> bool {
        match self {
            TensorFilter::HasInfOrNan => s.has_inf_or_nan(),
            TensorFilter::AllZeros => s.all_zeros(),
            TensorFilter::LargerThan(x) => s.max_abs().is_some_and(|m| m > *x),
        }
    }

    /// The filter as tfdbg names it (`has_inf_or_nan`, `all_zeros`, `larger_than(1000)`).
    pub fn name(&self) -> String {
        match self {
            TensorFilter::HasInfOrNan => "has_inf_or_nan".to_string(),
            TensorFilter::AllZeros => "all_zeros".to_string(),
            TensorFilter::LargerThan(x) => format!("larger_than({})", number(DType::Float64, Some(*x))),
        }
    }
}
