//! The one place a train setup becomes a training job: tensor and op names resolved against the
//! graph, dataset columns against the table, into a [`TrainSpec`] the worker runs. The script's
//! train loop (`crate::interpreter`) uses it; the window's train panel is meant to.
//!
//! Errors are worded as the CLI prints them; each also says which part of the setup failed
//! ([`JobPart`]), so a front end can word it its own way without reading the message.

use crate::engine::error::{Error, Result};
use crate::engine::graph::tensor_name::TensorName;
use crate::engine::graph::{Graph, Output};
use crate::train::data::dataset::{Dataset, DatasetSource};
use crate::train::data::idx::Split;
use crate::train::data::table::Table;
use crate::train::{Batching, ColumnFeed, EndLog, EvalSpec, LogArg, TrainData, TrainSpec};
use std::path::Path;
use std::sync::Arc;

/// A train setup by name, as a project or a panel states it.
#[derive(Clone, Debug)]
pub struct JobRequest<'a> {
    /// The graph to train (copied into the job).
    pub graph: &'a Graph,
    /// The train op run each step (`Adam`, or a tensor name of it such as `Adam:0`).
    pub train_op: &'a str,
    /// Tensors also fetched each step.
    pub step_fetches: &'a [String],
    /// The batch loss reported each step.
    pub batch_loss: Option<&'a str>,
    /// The dataset's name (for messages).
    pub dataset: &'a str,
    /// The dataset's examples.
    pub data: TrainData,
    /// Which columns (by name) feed which placeholder (by tensor name).
    pub feeds: &'a [(String, Vec<String>)],
    /// Rows per batch.
    pub batch_size: usize,
    /// How batches are cut.
    pub batching: Batching,
    /// Steps to run.
    pub steps: u64,
    /// The periodic full-data evaluation.
    pub eval: Option<EvalRequest<'a>>,
    /// Variables whose values are sent as snapshots (by node or tensor name; output 0 is
    /// watched; names not in the graph are skipped).
    pub watch: &'a [String],
}

/// The periodic full-data evaluation of a [`JobRequest`].
#[derive(Clone, Debug)]
pub struct EvalRequest<'a> {
    /// Every how many steps.
    pub every: u64,
    /// The loss tensor.
    pub loss: &'a str,
    /// The printed line (`%d` = step, `%g` = loss).
    pub format: Option<String>,
    /// The line's values when not `(step, loss)`, tensors by name.
    pub args: &'a [LogArg<String>],
    /// Evaluate before the step's training run.
    pub before_step: bool,
    /// The line printed after the loop.
    pub end: Option<&'a EndLog<String>>,
}

/// The part of a setup that did not resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobPart {
    /// A fed placeholder (`tensor`).
    Feed(String),
    /// A column the dataset does not have.
    Column(String),
    /// The train op.
    TrainOp,
    /// A per-step fetch.
    Fetch(String),
    /// The batch loss.
    BatchLoss,
    /// The evaluated loss.
    EvalLoss,
    /// The assembled spec (batch size, feed widths, ...; see [`TrainSpec::validate`]).
    Spec,
}

/// Why a setup did not resolve: which part, and the error as the CLI words it.
#[derive(Clone, Debug, PartialEq)]
pub struct JobError {
    /// The part.
    pub part: JobPart,
    /// The error.
    pub error: Error,
}

/// Materializes a dataset for a job; a referenced file is relative to `base` (the project's
/// folder). Errors are `ValueError`s naming the dataset.
pub fn load_table(dataset: &Dataset, base: Option<&Path>) -> Result<Arc<Table>> {
    dataset.materialize_in(base).map(Arc::new).map_err(Error::value_error)
}

/// Loads a dataset for a job: a table, or an IDX dataset's image sets with the evaluation on
/// `eval` (the training set when `None`). Files are relative to `base` (the project's folder);
/// errors are `ValueError`s naming the dataset.
pub fn load_data(dataset: &Dataset, base: Option<&Path>, eval: Option<Split>) -> Result<TrainData> {
    match &dataset.source {
        DatasetSource::Idx { .. } => {
            let sets = dataset.images_in(base).map_err(Error::value_error)?;
            Ok(TrainData::Images { sets: Arc::new(sets), eval: eval.unwrap_or_default() })
        }
        _ => load_table(dataset, base).map(TrainData::Table),
    }
}

/// Resolves a setup into a job spec, checked as the worker checks it before it starts.
pub fn resolve_job(req: &JobRequest<'_>) -> std::result::Result<TrainSpec, JobError> {
    let graph = req.graph;
    let fail = |part: JobPart| move |error: Error| JobError { part: part.clone(), error };
    let target = graph.find(TensorName::op_of(req.train_op)).ok_or_else(|| JobError {
        part: JobPart::TrainOp,
        error: Error::value_error(format!("The name '{}' refers to an Operation not in the graph.", req.train_op)),
    })?;
    let step_fetches = req
        .step_fetches
        .iter()
        .map(|f| graph.tensor(f).map_err(fail(JobPart::Fetch(f.clone()))))
        .collect::<std::result::Result<Vec<Output>, _>>()?;
    let batch_loss = req.batch_loss.map(|l| graph.tensor(l)).transpose().map_err(fail(JobPart::BatchLoss))?;
    let resolve_args = |args: &[LogArg<String>]| {
        args.iter()
            .map(|a| match a {
                LogArg::Step => Ok(LogArg::Step),
                LogArg::StepPlusOne => Ok(LogArg::StepPlusOne),
                LogArg::Tensor(t) => graph.tensor(t).map(LogArg::Tensor).map_err(fail(JobPart::EvalLoss)),
            })
            .collect::<std::result::Result<Vec<_>, _>>()
    };
    let eval = match &req.eval {
        Some(e) => Some(EvalSpec {
            every: e.every,
            loss: graph.tensor(e.loss).map_err(fail(JobPart::EvalLoss))?,
            format: e.format.clone(),
            args: resolve_args(e.args)?,
            before_step: e.before_step,
            end: match e.end {
                Some(end) => {
                    Some(EndLog { format: end.format.clone(), args: resolve_args(&end.args)?, split: end.split })
                }
                None => None,
            },
        }),
        None => None,
    };
    let mut feeds = Vec::with_capacity(req.feeds.len());
    let names = req.data.columns();
    let column_index = crate::train::data::table::index_of(&names);
    for (tensor, columns) in req.feeds {
        let t = graph.tensor(tensor).map_err(fail(JobPart::Feed(tensor.clone())))?;
        let columns = columns
            .iter()
            .map(|c| {
                column_index.get(c.as_str()).copied().ok_or_else(|| JobError {
                    part: JobPart::Column(c.clone()),
                    error: Error::value_error(format!(
                        "Dataset '{}' has no column '{c}' (it has {}).",
                        req.dataset,
                        crate::train::data::table::names_preview(&names)
                    )),
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        feeds.push(ColumnFeed { tensor: t, columns });
    }
    let watch = req
        .watch
        .iter()
        .filter_map(|w| graph.tensor(&TensorName::new(TensorName::op_of(w), 0).to_string()).ok())
        .collect();
    let spec = TrainSpec {
        graph: graph.clone(),
        train_targets: vec![target],
        step_fetches,
        batch_loss,
        feeds,
        data: req.data.clone(),
        batch_size: req.batch_size,
        batching: req.batching,
        steps: req.steps,
        eval,
        watch,
    };
    spec.validate().map_err(fail(JobPart::Spec))?;
    Ok(spec)
}

/// A classifier's output for an IDX job: the last `(?, 10)` tensor the loss depends on that is
/// computed from the fed images but not from the fed labels (the logits, the softmax or its log:
/// all have the same argmax). `None` for table data or when there is no such tensor.
pub fn classifier_output(spec: &TrainSpec) -> Option<Output> {
    let TrainData::Images { .. } = &spec.data else { return None };
    let loss = spec.eval.as_ref().map(|e| e.loss).or(spec.batch_loss)?;
    let g = &spec.graph;
    let fed_field = |field: usize| -> Vec<crate::engine::graph::NodeId> {
        spec.feeds.iter().filter(|f| f.columns.first() == Some(&field)).map(|f| f.tensor.node).collect()
    };
    let (images, labels) = (fed_field(0), fed_field(1));
    let nodes = g.nodes();
    let (mut from_images, mut from_labels) = (vec![false; nodes.len()], vec![false; nodes.len()]);
    for (k, n) in nodes.iter().enumerate() {
        let id = crate::engine::graph::NodeId(k);
        let any = |v: &[bool]| n.inputs.iter().any(|t| v.get(t.node.0).copied().unwrap_or(false));
        from_images[k] = images.contains(&id) || any(&from_images);
        from_labels[k] = labels.contains(&id) || any(&from_labels);
    }
    let upstream = crate::engine::autodiff::optimizers::ancestors(g, &[loss.node]);
    let classes = Some(crate::train::data::idx::NUM_CLASSES);
    nodes
        .iter()
        .enumerate()
        .filter(|(k, _)| from_images[*k] && !from_labels[*k] && upstream.contains(&crate::engine::graph::NodeId(*k)))
        .flat_map(|(k, n)| {
            n.outputs.iter().enumerate().filter_map(move |(index, (_, shape))| {
                let dims = shape.dims()?;
                (dims.len() == 2 && dims.get(1).copied().flatten() == classes)
                    .then_some(Output { node: crate::engine::graph::NodeId(k), index })
            })
        })
        .next_back()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::autodiff::optimizers::Optimizer;

    #[test]
    fn a_setup_resolves_or_names_the_part_that_did_not() {
        let seed = crate::train::seed::build(&Optimizer::adam(0.001)).unwrap();
        let table = load_table(&crate::train::seed::dataset(), None).unwrap();
        let feeds = vec![
            ("x-input:0".to_string(), vec!["x1".to_string(), "x2".to_string()]),
            ("y-input:0".to_string(), vec!["y".to_string()]),
        ];
        let req = JobRequest {
            graph: &seed.graph,
            train_op: "Adam",
            step_fetches: &[],
            batch_loss: Some("Neg:0"),
            dataset: "seed",
            data: TrainData::Table(table),
            feeds: &feeds,
            batch_size: 8,
            batching: Batching::Cyclic,
            steps: 10,
            eval: Some(EvalRequest { every: 5, loss: "Neg:0", format: None, args: &[], before_step: false, end: None }),
            watch: &["Variable".to_string()],
        };
        let spec = resolve_job(&req).unwrap();
        assert_eq!(spec.train_targets, vec![seed.train]);
        assert_eq!(spec.feeds[0].columns, [0, 1]);
        assert_eq!(spec.watch, vec![seed.w1]);
        let bad_op = JobRequest { train_op: "Adagrad", ..req.clone() };
        let e = resolve_job(&bad_op).unwrap_err();
        assert_eq!(e.part, JobPart::TrainOp);
        assert_eq!(e.error.message, "The name 'Adagrad' refers to an Operation not in the graph.");
        let cols = vec![("x-input:0".to_string(), vec!["x9".to_string()])];
        let e = resolve_job(&JobRequest { feeds: &cols, ..req.clone() }).unwrap_err();
        assert_eq!(e.part, JobPart::Column("x9".to_string()));
        assert_eq!(e.error.message, "Dataset 'seed' has no column 'x9' (it has x1, x2, y).");
        let e = resolve_job(&JobRequest { batch_size: 0, ..req }).unwrap_err();
        assert_eq!(e.part, JobPart::Spec);
    }
}
