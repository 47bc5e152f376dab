//! The training data the window keeps: the setup the train panel edits ([`TrainSetup`], with
//! the guesses it starts from), a job and everything it reported ([`TrainRun`]: decimated loss
//! and weight histories, the latest weights and decision boundary) and [`Training`], the
//! window's training state. The setup's guesses (the train op, the watched variables) ask what
//! `minimize` built, recovered from the graph's structure
//! (`crate::engine::autodiff::optimizers::find_minimized`), not node names. The commands that
//! start, steer and finish a job are carried out in `crate::app::apply::training`.

use crate::app::model::document::run_closure;
use crate::app::model::series::{Sample, Series};
use crate::engine::autodiff::optimizers::{Minimized, Optimizer, find_minimized};
use crate::engine::graph::Graph;
use crate::engine::graph::op::Op;
use crate::engine::graph::tensor_name::TensorName;
use crate::engine::value::Value;
use crate::project::lower::lower_tolerant;
use crate::project::script::Step;
use crate::project::{GraphDef, Project};
use crate::train::data::dataset::{DatasetSource, LabelRule, Table};
use crate::train::worker::{BoundaryGrid, TrainJob};
use std::time::Instant;

/// The log line printed at each evaluation when the project gives none.
pub const DEFAULT_LOG_FORMAT: &str = "After %d training step(s), loss on all data is %g";

/// Points per side of the decision-boundary grid.
pub const BOUNDARY_RESOLUTION: usize = 64;

/// What the train panel edits: what to train, on which data, how long.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainSetup {
    /// Graph index.
    pub graph: usize,
    /// The train op run each step (`Adam`).
    pub train_op: String,
    /// The loss tensor (`Neg:0`): the batch loss each step and the full-data eval loss.
    pub loss: String,
    /// The optimizer "Create train op" adds for `loss`.
    pub optimizer: Optimizer,
    /// The dataset's name (a project dataset, or the name a generated one gets when added).
    pub dataset_name: String,
    /// The dataset's rows.
    pub dataset: DatasetSource,
    /// Placeholder tensor and the comma-separated columns that feed it.
    pub feeds: Vec<(String, String)>,
    /// Rows per batch.
    pub batch_size: usize,
    /// Steps to run.
    pub steps: u64,
    /// Every how many steps the loss is evaluated on all data.
    pub eval_every: u64,
    /// Steps run by "Step N".
    pub step_n: u64,
    /// The session to train in; `None` opens and initializes a new one.
    pub session: Option<usize>,
    /// Variables whose values are plotted (node names).
    pub watch: Vec<String>,
    /// The tensor drawn as the decision boundary (empty for none).
    pub boundary_output: String,
    /// The log line printed at each evaluation (Python `%` format).
    pub log_format: String,
    /// The log line's values when not `(step, loss)` (the project's train loop's: a step and
    /// tensors such as an accuracy).
    pub log_args: Vec<crate::train::LogArg<String>>,
    /// The image set the evaluations feed (IDX data: the project's log split, e.g. validation);
    /// `None` is the training set. Tables are evaluated on all their rows.
    pub log_split: Option<crate::train::data::idx::Split>,
    /// Evaluate at the top of the step, before training on its batch (the project's loop).
    pub log_before_step: bool,
    /// The line printed once after the last step (the project's: a test accuracy).
    pub log_end: Option<crate::train::EndLog<String>>,
    /// Record the weights every this many steps (0: as often as the display needs, by time).
    pub weights_every: u64,
    /// Steps per second to train at, so that a short run can be watched (0: as fast as
    /// possible). The window paces the worker with `Step` commands; the worker itself always
    /// runs at full speed.
    pub pace: u64,
    /// Write TensorBoard event files into `logdir` while training.
    pub tensorboard: bool,
    /// The TensorBoard log folder (relative paths are relative to the saved project's folder).
    pub logdir: String,
    /// Pause training at the first op of a step whose output holds an inf or NaN (the job runs
    /// under the debugger, off the fast path).
    pub stop_at_nan: bool,
}

impl Default for TrainSetup {
    fn default() -> Self {
        TrainSetup {
            graph: 0,
            train_op: String::new(),
            loss: String::new(),
            optimizer: Optimizer::adam(0.001),
            dataset_name: "seed".to_string(),
            dataset: DatasetSource::NumpyRand {
                seed: 1,
                rows: 128,
                features: 2,
                label: LabelRule::SumLessThan { threshold: 1.0 },
            },
            feeds: Vec::new(),
            batch_size: 8,
            steps: 5000,
            eval_every: 1000,
            step_n: 100,
            session: None,
            watch: Vec::new(),
            boundary_output: String::new(),
            log_format: DEFAULT_LOG_FORMAT.to_string(),
            log_args: Vec::new(),
            log_split: None,
            log_before_step: false,
            log_end: None,
            weights_every: 0,
            pace: 0,
            tensorboard: false,
            logdir: "logs".to_string(),
            stop_at_nan: false,
        }
    }
}

/// The dataset generators the panel offers, by label.
pub fn generators() -> Vec<(&'static str, DatasetSource)> {
    vec![
        (
            "numpy rand (x1+x2<1)",
            DatasetSource::NumpyRand {
                seed: 1,
                rows: 128,
                features: 2,
                label: LabelRule::SumLessThan { threshold: 1.0 },
            },
        ),
        ("circle", DatasetSource::Circle { seed: 1, rows: 200, noise: 0.0 }),
        ("xor", DatasetSource::Xor { seed: 1, rows: 200, noise: 0.0 }),
        ("gauss", DatasetSource::Gauss { seed: 1, rows: 200, noise: 0.0 }),
        ("spiral", DatasetSource::Spiral { seed: 1, rows: 200, noise: 0.0 }),
    ]
}

/// A short label for a dataset source's kind.
pub fn source_kind(src: &DatasetSource) -> &'static str {
    match src {
        DatasetSource::NumpyRand { .. } => "numpy rand",
        DatasetSource::Circle { .. } => "circle",
        DatasetSource::Xor { .. } => "xor",
        DatasetSource::Gauss { .. } => "gauss",
        DatasetSource::Spiral { .. } => "spiral",
        DatasetSource::Inline { .. } => "inline",
        DatasetSource::Idx { .. } => "idx images",
        #[allow(unreachable_patterns)]
        _ => "dataset",
    }
}

impl TrainSetup {
    /// The setup the project suggests: its last train loop if it has one (the seed's 3.4.5
    /// program: Adam, `Neg:0`, the seed data, batch 8, 5000 steps, log every 1000), otherwise
    /// guesses on the default graph.
    pub fn from_project(p: &Project) -> TrainSetup {
        let graph = p.graphs.iter().position(|g| g.name == p.default_graph).unwrap_or(0);
        let mut s = TrainSetup { graph, ..Default::default() };
        let last_loop = p.script.iter().rev().find_map(|st| match st {
            Step::TrainLoop { dataset, feeds, train_op, fetches, batch_loss, steps, batch_size, log, .. } => {
                Some((dataset, feeds, train_op, fetches, batch_loss, steps, batch_size, log))
            }
            _ => None,
        });
        if let Some((dataset, feeds, train_op, fetches, batch_loss, steps, batch_size, log)) = last_loop {
            s.train_op = train_op.clone();
            s.loss = batch_loss.clone().or_else(|| log.as_ref().map(|l| l.loss.clone())).unwrap_or_default();
            if let Some(d) = p.dataset(dataset) {
                s.dataset_name = d.name.clone();
                s.dataset = d.source.clone();
            }
            s.feeds = feeds.iter().map(|f| (f.tensor.clone(), f.columns.join(", "))).collect();
            s.steps = *steps;
            s.batch_size = *batch_size;
            if let Some(l) = log {
                s.eval_every = l.every;
                s.log_format = l.format.clone();
                s.log_args = l.args.clone();
                s.log_split = l.split;
                s.log_before_step = l.before_step;
                s.log_end = l.end.clone();
            }
            let fed: Vec<&str> = feeds.iter().map(|f| f.tensor.as_str()).collect();
            s.boundary_output = fetches.iter().find(|f| !fed.contains(&f.as_str())).cloned().unwrap_or_default();
            s.weights_every = default_weights_every(*steps);
        } else if let Some(d) = p.datasets.first() {
            s.dataset_name = d.name.clone();
            s.dataset = d.source.clone();
        }
        if let Some(gd) = p.graphs.get(graph) {
            let (lowered, minimized) = minimized_in(gd);
            if s.train_op.is_empty()
                && let Some(train_op) = last_train_op(gd, &lowered, &minimized)
            {
                s.train_op = train_op;
            }
            s.watch = variables_trained_by(gd, &lowered, &minimized);
            // A train loop that logs no loss: the loss its train op minimizes.
            if s.loss.is_empty()
                && let Some(m) = minimized
                    .iter()
                    .find(|m| lowered.node(m.train_op).is_some_and(|n| n.name == TensorName::op_of(&s.train_op)))
            {
                s.loss = lowered.tensor_name(m.loss);
            }
            if s.feeds.is_empty() {
                s.feeds = default_feeds(gd, &s);
            }
        }
        s
    }
}

/// What `minimize` built in `gd`, recovered from the structure of its lowered graph
/// ([`find_minimized`]), never from node names: the graph and each train op's record.
fn minimized_in(gd: &GraphDef) -> (Graph, Vec<Minimized>) {
    let (graph, _) = lower_tolerant(gd, None);
    let minimized = find_minimized(&graph);
    (graph, minimized)
}

/// The last train op of `gd` in file order, if `minimize` built one; or, when a `NoOp` groups it
/// with other updates (`with tf.control_dependencies([train_step, averages_op]):
/// tf.no_op(name='train')`, or `tf.group(...)`), that group, so one step also runs them.
fn last_train_op(gd: &GraphDef, graph: &Graph, minimized: &[Minimized]) -> Option<String> {
    let names: Vec<&str> = minimized.iter().filter_map(|m| graph.node(m.train_op)).map(|n| n.name.as_str()).collect();
    let group = gd.nodes.iter().rev().find(|n| {
        matches!(n.op, Op::NoOp)
            && n.inputs.is_empty()
            && n.control_inputs.len() > 1
            && n.control_inputs.iter().any(|c| names.contains(&c.as_str()))
    });
    group.or_else(|| gd.nodes.iter().rev().find(|n| names.contains(&n.name.as_str()))).map(|n| n.name.clone())
}

/// The variables the optimizers train (one per apply op, in file order); every variable when
/// the graph has no train op yet.
pub fn trained_variables(gd: &GraphDef) -> Vec<String> {
    let (graph, minimized) = minimized_in(gd);
    variables_trained_by(gd, &graph, &minimized)
}

/// [`trained_variables`] of `gd`, given its lowered graph and what `minimize` built in it.
fn variables_trained_by(gd: &GraphDef, graph: &Graph, minimized: &[Minimized]) -> Vec<String> {
    let name = |id| graph.node(id).map(|n| n.name.as_str());
    let mut applied: Vec<(&str, &str)> = minimized
        .iter()
        .flat_map(|m| m.variables.iter())
        .filter_map(|v| Some((name(v.apply)?, name(v.variable.node)?)))
        .collect();
    if !applied.is_empty() {
        let order: std::collections::HashMap<&str, usize> =
            gd.nodes.iter().enumerate().map(|(i, n)| (n.name.as_str(), i)).collect();
        applied.sort_by_key(|(apply, _)| order.get(apply).copied());
        return applied.into_iter().map(|(_, v)| v.to_string()).collect();
    }
    gd.nodes.iter().filter(|n| matches!(n.op, Op::Variable { .. })).map(|n| n.name.clone()).collect()
}

/// Placeholders the loss and train op need, fed from `x1, x2, …` (two-feature inputs) or `y`.
pub fn default_feeds(gd: &GraphDef, s: &TrainSetup) -> Vec<(String, String)> {
    let targets: Vec<String> = [s.train_op.clone()].into_iter().filter(|t| !t.is_empty()).collect();
    let fetches: Vec<String> = [s.loss.clone()].into_iter().filter(|t| !t.is_empty()).collect();
    let (_, placeholders) = run_closure(gd, &fetches, &targets, &[]);
    placeholders
        .into_iter()
        .map(|p| {
            let width = gd
                .nodes
                .iter()
                .find(|n| n.name == TensorName::op_of(&p))
                .and_then(|n| match &n.op {
                    Op::Placeholder { shape, .. } => shape.dim(1),
                    _ => None,
                })
                .unwrap_or(1);
            let cols = if width >= 2 {
                (1..=width).map(|i| format!("x{i}")).collect::<Vec<_>>().join(", ")
            } else {
                "y".into()
            };
            (p, cols)
        })
        .collect()
}

/// Where a job stands.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainStatus {
    /// Training.
    Running,
    /// Paused (or done with a "Step N").
    Paused,
    /// Ran all its steps.
    Finished,
    /// Stopped by the user.
    Stopped,
    /// Failed with this message (a NaN loss, an engine error).
    Failed(String),
}

impl TrainStatus {
    /// True while the worker thread owns the session.
    pub fn is_live(&self) -> bool {
        matches!(self, TrainStatus::Running | TrainStatus::Paused)
    }
}

/// One watched variable: its shape, its latest value and one history per element.
#[derive(Clone, Debug)]
pub struct WatchedVar {
    /// Tensor name (`Variable:0`).
    pub name: String,
    /// Shape of the value.
    pub shape: Vec<usize>,
    /// The latest value, row-major.
    pub values: Vec<f64>,
    /// One series per element.
    pub series: Vec<Series>,
}

/// A training job and what it reported.
pub struct TrainRun {
    /// The worker (taken when the thread has ended and the session went back).
    pub job: Option<TrainJob>,
    /// The workspace session it trains in.
    pub session: usize,
    /// The graph.
    pub graph: usize,
    /// The setup it started with.
    pub setup: TrainSetup,
    /// Where it stands.
    pub status: TrainStatus,
    /// Steps done.
    pub step: u64,
    /// Steps it will run.
    pub total_steps: u64,
    /// Recent speed.
    pub steps_per_sec: f64,
    /// The batch loss, decimated.
    pub batch_loss: Series,
    /// Full-data evaluations (few: kept exactly, decimated past the series' capacity).
    pub eval_loss: Series,
    /// The learning rate at each evaluation, when it is a tensor (a decaying schedule).
    pub learning_rate: Series,
    /// A classifier's loss on the validation and test splits at each evaluation (IDX data).
    pub split_loss: [Series; 2],
    /// A classifier's argmax accuracy on the validation and test splits at each evaluation.
    pub split_accuracy: [Series; 2],
    /// The latest evaluation on the test split (its confusion matrix and predictions).
    pub test_eval: Option<crate::train::worker::SplitEval>,
    /// The classifier output whose argmax the accuracy and confusion matrix count (`add_3:0`).
    pub classifier: Option<String>,
    /// The log lines of the evaluations, by step.
    pub eval_logs: Vec<(u64, f64, String)>,
    /// The watched variables.
    pub weights: Vec<WatchedVar>,
    /// The latest decision boundary.
    pub boundary: Option<BoundaryGrid>,
    /// Bumped each time a new boundary arrives (the plot re-uploads its texture).
    pub boundary_rev: u64,
    /// The data points of the boundary plot: `(x1, x2, label)`.
    pub points: Vec<[f64; 3]>,
    /// Range of the data (the boundary's grid range).
    pub data_range: Option<((f64, f64), (f64, f64))>,
    /// When the job started (wall time axis).
    pub started: Instant,
    /// Wall seconds at the previous progress update.
    pub last_time: f64,
    /// Progress updates received.
    pub updates: u64,
    /// Set when the script step for this job has been recorded.
    pub recorded: bool,
    /// The pace keeper, while the run is paced and not paused by the user.
    pub pacer: Option<Pacer>,
    /// Evaluation lines written to the log, and those held back (the log keeps the first few
    /// and the last; the Training view's table has them all).
    pub logged_evals: u64,
    /// Evaluation lines not written to the log, with the last one.
    pub held_evals: (u64, Option<String>),
    /// The TensorBoard event file the run writes (train setup ▸ TensorBoard log).
    pub events: Option<crate::interpreter::tensorboard::BackgroundEvents>,
}

/// Paces a run: from `since` at `base` steps, `pace` steps per second.
#[derive(Clone, Copy, Debug)]
pub struct Pacer {
    /// When the pace (re)started.
    pub since: Instant,
    /// The step reached then.
    pub base: u64,
}

/// Evaluation lines a run writes to the log before holding the rest back.
pub const LOGGED_EVALS: u64 = 10;

/// The pace that draws a run of `steps` over about ten seconds (at least 1 step/s).
pub fn watchable_pace(steps: u64) -> u64 {
    (steps / 10).max(1)
}

/// A weight-snapshot interval that records about 200 points over a run of `steps`.
pub fn default_weights_every(steps: u64) -> u64 {
    (steps / 200).max(1)
}

impl TrainRun {
    /// Seconds left at the current speed.
    pub fn eta_secs(&self) -> Option<f64> {
        (self.steps_per_sec > 0.0 && self.status.is_live())
            .then(|| self.total_steps.saturating_sub(self.step) as f64 / self.steps_per_sec)
    }
}

/// The training state of the window.
#[derive(Default)]
pub struct Training {
    /// What the train panel edits.
    pub setup: TrainSetup,
    /// The current (or last) job.
    pub run: Option<TrainRun>,
    /// The central area shows the training view (instead of the graph editor).
    pub show: bool,
    /// The image sets of the chosen dataset when it is IDX files (for the sample grid).
    pub samples: Option<Samples>,
}

/// An IDX dataset's sets as the train panel shows them, read once per source and folder.
pub struct Samples {
    /// The dataset they were read for.
    pub source: DatasetSource,
    /// The project folder its path was taken relative to.
    pub dir: Option<std::path::PathBuf>,
    /// The sets, or why they could not be read.
    pub sets: Result<std::sync::Arc<crate::train::data::idx::ImageSets>, String>,
}

/// Stores a weight snapshot as the latest values, and in the histories when `push`.
pub fn record_weights(weights: &mut [WatchedVar], step: u64, time: f64, values: Vec<(String, Value)>, push: bool) {
    for (name, value) in values {
        let Some(wv) = weights.iter_mut().find(|x| x.name == name) else { continue };
        wv.shape = value.shape().to_vec();
        wv.values = value.to_f64_vec();
        if wv.series.len() != wv.values.len() {
            wv.series = vec![Series::new(512); wv.values.len()];
        }
        if push {
            for (s, &v) in wv.series.iter_mut().zip(&wv.values) {
                s.push(Sample { step: step as f64, time, value: v });
            }
        }
    }
}

/// A comma-separated column list.
pub fn columns_of(text: &str) -> Vec<String> {
    text.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect()
}

/// The padded range of column `c`.
pub fn col_range(t: &Table, c: usize) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for r in 0..t.rows {
        if let Some(v) = t.get(r, c).filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-3);
    (lo - pad, hi + pad)
}

/// Values as numpy would print a small matrix (for tooltips and the heatmap labels).
pub fn value_label(v: f64) -> String {
    let s = format!("{v:.3}");
    if s == "-0.000" { "0.000".into() } else { s }
}

/// Builds the value of a watched variable for printing.
pub fn as_value(w: &WatchedVar) -> Option<Value> {
    let arr =
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&w.shape), w.values.iter().map(|&x| x as f32).collect()).ok()?;
    Some(Value::F32(arr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::autodiff::moving_average::ExponentialMovingAverage;
    use crate::engine::graph::NodeSpec;
    use crate::project::graph_def::graph_def_from;

    /// `with tf.control_dependencies([train_step, variables_averages_op]): train_op = tf.no_op()`:
    /// the window trains with the group, so each step also updates the averages.
    #[test]
    fn a_group_of_the_train_step_and_other_updates_is_the_train_op() {
        let seed = crate::train::seed::build(&Optimizer::GradientDescent { learning_rate: 0.1 }).unwrap();
        let mut g = seed.graph;
        let ema = ExponentialMovingAverage::new(0.99, None);
        let averages = ema.apply(&mut g, &[seed.w1, seed.w2]).unwrap();
        let spec = NodeSpec { op: Op::NoOp, inputs: vec![], control_inputs: vec![seed.train, averages], device: None };
        g.add(Some("train"), spec).unwrap();
        let gd = graph_def_from("default", &g, &Default::default());
        let (lowered, minimized) = minimized_in(&gd);
        assert_eq!(last_train_op(&gd, &lowered, &minimized).as_deref(), Some("train"));
        // Without the group, minimize's own train op.
        let plain = crate::train::seed::build(&Optimizer::adam(0.001)).unwrap().graph;
        let gd = graph_def_from("default", &plain, &Default::default());
        let (lowered, minimized) = minimized_in(&gd);
        assert_eq!(last_train_op(&gd, &lowered, &minimized).as_deref(), Some("Adam"));
    }
}
