//! Live training in the window: the setup the train panel edits ([`TrainSetup`]), the running
//! job and everything it reported ([`TrainRun`]: decimated loss and weight histories, the latest
//! weights and decision boundary), and the [`AppState`] methods the training commands call.
//!
//! A job runs on the worker thread (`crate::train::worker`) in a session of the workspace, taken
//! with `Workspace::take_session` (the sessions panel shows it as training) and put back when the
//! job ends, with the trained values. The UI thread only drains the job's channel with
//! `try_recv` ([`AppState::poll_training`]); the worker wakes it with `ctx.request_repaint`.

use super::document::{node_of, run_closure};
use super::history::{Sample, Series};
use super::{AppState, LogKind};
use crate::engine::autodiff::optimizers::{Optimizer, minimize};
use crate::engine::graph::Graph;
use crate::engine::graph::op::Op;
use crate::engine::value::Value;
use crate::project::dataset::{Dataset, DatasetSource, LabelRule, Table};
use crate::project::script::{ColumnFeedDef, Step, TrainLogDef};
use crate::project::{GraphDef, Project, graph_def_from};
use crate::train::worker::{self, BoundaryGrid, BoundarySpec, Event, JobExtras, TrainJob};
use crate::train::{Batching, ColumnFeed, EvalSpec, TrainSpec};
use std::collections::HashMap;
use std::sync::Arc;
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
    /// Record the weights every this many steps (0: as often as the display needs, by time).
    pub weights_every: u64,
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
            weights_every: 0,
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
            }
            let fed: Vec<&str> = feeds.iter().map(|f| f.tensor.as_str()).collect();
            s.boundary_output = fetches.iter().find(|f| !fed.contains(&f.as_str())).cloned().unwrap_or_default();
        } else if let Some(d) = p.datasets.first() {
            s.dataset_name = d.name.clone();
            s.dataset = d.source.clone();
        }
        if let Some(gd) = p.graphs.get(graph) {
            if s.train_op.is_empty()
                && let Some(n) = gd.nodes.iter().rev().find(|n| is_train_op(gd, &n.name))
            {
                s.train_op = n.name.clone();
            }
            s.watch = trained_variables(gd);
            if s.feeds.is_empty() {
                s.feeds = default_feeds(gd, &s);
            }
        }
        s
    }
}

/// True for a node that groups optimizer updates (a `NoOp` with `Apply*` control inputs).
fn is_train_op(gd: &GraphDef, name: &str) -> bool {
    gd.nodes.iter().find(|n| n.name == name).is_some_and(|n| {
        matches!(n.op, Op::NoOp)
            && n.control_inputs
                .iter()
                .any(|c| gd.nodes.iter().find(|m| m.name == *c).is_some_and(|m| m.op.type_name().starts_with("Apply")))
    })
}

/// The variables an optimizer updates (input 0 of its `Apply*` ops); every variable that is not
/// an optimizer slot when there is no optimizer yet.
pub fn trained_variables(gd: &GraphDef) -> Vec<String> {
    let applied: Vec<String> = gd
        .nodes
        .iter()
        .filter(|n| n.op.type_name().starts_with("Apply"))
        .filter_map(|n| n.inputs.first().map(|t| node_of(t).to_string()))
        .collect();
    if !applied.is_empty() {
        return applied;
    }
    gd.nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Variable { .. }))
        .filter(|n| !n.name.contains("/Adam") && !n.name.ends_with("_power") && !n.name.contains('/'))
        .map(|n| n.name.clone())
        .collect()
}

/// Placeholders the loss and train op need, fed from `x1, x2, …` (two-feature inputs) or `y`.
fn default_feeds(gd: &GraphDef, s: &TrainSetup) -> Vec<(String, String)> {
    let targets: Vec<String> = [s.train_op.clone()].into_iter().filter(|t| !t.is_empty()).collect();
    let fetches: Vec<String> = [s.loss.clone()].into_iter().filter(|t| !t.is_empty()).collect();
    let (_, placeholders) = run_closure(gd, &fetches, &targets, &[]);
    placeholders
        .into_iter()
        .map(|p| {
            let width = gd
                .nodes
                .iter()
                .find(|n| n.name == node_of(&p))
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
}

/// Stores a weight snapshot as the latest values, and in the histories when `push`.
fn record_weights(weights: &mut [WatchedVar], step: u64, time: f64, values: Vec<(String, Value)>, push: bool) {
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
fn columns_of(text: &str) -> Vec<String> {
    text.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect()
}

/// The padded range of column `c`.
fn col_range(t: &Table, c: usize) -> (f64, f64) {
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

impl AppState {
    /// Replaces the train panel's setup.
    pub fn set_train_setup(&mut self, setup: TrainSetup) {
        self.training.setup = setup;
    }

    /// True while a job owns a session.
    pub fn training_live(&self) -> bool {
        self.training.run.as_ref().is_some_and(|r| r.status.is_live() || r.job.is_some())
    }

    /// Starts training with the panel's setup (paused first when `paused`).
    pub fn start_training(&mut self, paused: bool) {
        if self.training_live() {
            self.log_error("A training job is already running: stop it first.".to_string(), None);
            return;
        }
        match self.try_start(paused) {
            Ok(()) => self.training.show = true,
            Err(e) => {
                self.log_error(format!("Training not started: {e}"), None);
                if let Some(r) = &mut self.training.run
                    && r.job.is_none()
                    && r.status.is_live()
                {
                    r.status = TrainStatus::Failed(e);
                }
            }
        }
    }

    fn try_start(&mut self, paused: bool) -> Result<(), String> {
        let setup = self.training.setup.clone();
        let g = setup.graph;
        if self.engine.errors(g).is_some_and(|e| !e.is_empty()) {
            return Err("the graph has nodes in error".to_string());
        }
        let graph: Graph = self.engine.graph(g).cloned().ok_or("no such graph")?;
        // The dataset: the project's, or the generated one (added to the project under a free
        // name, so the recorded train loop can refer to it).
        let name = self.ensure_dataset(&setup);
        // A referenced CSV file is relative to the saved project's folder.
        let base = self.project_dir();
        let table = Dataset { name: name.clone(), source: setup.dataset.clone() }.materialize_in(base.as_deref())?;
        let table = Arc::new(table);
        let tname = setup.train_op.split(':').next().unwrap_or_default().to_string();
        let target = graph.find(&tname).ok_or_else(|| format!("no train op '{}' in the graph", setup.train_op))?;
        let loss = graph.tensor(&setup.loss).map_err(|e| format!("loss: {e}"))?;
        let mut feeds = Vec::new();
        for (tensor, cols) in &setup.feeds {
            let t = graph.tensor(tensor).map_err(|e| e.to_string())?;
            let columns = columns_of(cols)
                .iter()
                .map(|c| {
                    table.column(c).ok_or_else(|| {
                        format!("dataset '{name}' has no column '{c}' (it has {})", table.columns.join(", "))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            feeds.push(ColumnFeed { tensor: t, columns });
        }
        let watch = setup.watch.iter().filter_map(|w| graph.tensor(&format!("{}:0", node_of(w))).ok()).collect();
        // The boundary: a two-feature placeholder and the chosen output.
        let boundary = if setup.boundary_output.trim().is_empty() {
            None
        } else {
            let out = graph.tensor(&setup.boundary_output).map_err(|e| format!("boundary output: {e}"))?;
            feeds.iter().find(|f| f.columns.len() == 2).map(|f| {
                let (a, b) = (f.columns.first().copied().unwrap_or(0), f.columns.get(1).copied().unwrap_or(1));
                BoundarySpec {
                    input: f.tensor,
                    output: out,
                    x_range: col_range(&table, a),
                    y_range: col_range(&table, b),
                    resolution: BOUNDARY_RESOLUTION,
                }
            })
        };
        let points: Vec<[f64; 3]> = match (&boundary, feeds.iter().find(|f| f.columns.len() == 2)) {
            (Some(_), Some(f)) => {
                let label = feeds.iter().find(|o| o.columns.len() == 1).and_then(|o| o.columns.first().copied());
                let (a, b) = (f.columns.first().copied().unwrap_or(0), f.columns.get(1).copied().unwrap_or(1));
                (0..table.rows.min(5000))
                    .map(|r| {
                        [
                            table.get(r, a).unwrap_or(0.0),
                            table.get(r, b).unwrap_or(0.0),
                            label.and_then(|l| table.get(r, l)).unwrap_or(0.0),
                        ]
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let data_range = boundary.as_ref().map(|b| (b.x_range, b.y_range));
        let spec = TrainSpec {
            graph,
            train_targets: vec![target],
            step_fetches: Vec::new(),
            batch_loss: Some(loss),
            feeds,
            table,
            batch_size: setup.batch_size,
            batching: Batching::Cyclic,
            steps: setup.steps,
            eval: Some(EvalSpec { every: setup.eval_every.max(1), loss, format: Some(setup.log_format.clone()) }),
            watch,
        };
        spec.validate().map_err(|e| e.to_string())?;

        // The session: the chosen one, or a new one initialized as the seed does.
        let session = match setup.session.filter(|&i| {
            self.engine.ws.sessions.get(i).is_some_and(|e| e.graph == g && !e.session.is_closed() && !e.busy)
        }) {
            Some(i) => i,
            None => {
                let before = self.engine.ws.sessions.len();
                self.apply(super::commands::Command::OpenSession { graph: g, config: None });
                if self.engine.ws.sessions.len() == before {
                    return Err("could not open a session".to_string());
                }
                let i = before;
                self.apply(super::commands::Command::InitializeVariables { session: i });
                i
            }
        };
        let id = self.engine.ws.sessions.get(session).map(|e| e.id.clone()).unwrap_or_default();
        let taken = self.engine.ws.take_session(session).map_err(|e| e.to_string())?;
        let ctx = self.repaint.clone();
        let extras = JobExtras {
            boundary,
            waker: ctx.map(|c| Arc::new(move || c.request_repaint()) as worker::Waker),
            weights_every: setup.weights_every,
        };
        let job = match TrainJob::spawn_with(spec, extras, taken, paused) {
            Ok(j) => j,
            Err(failed) => {
                let worker::StartError { error: e, session: back } = *failed;
                let _ = self.engine.ws.put_session(session, back);
                return Err(e.to_string());
            }
        };
        self.log_line(
            LogKind::Python,
            format!(
                "for i in range({}): {id}.run({}, feed_dict=batch(i))  # training on '{name}'",
                setup.steps, setup.train_op
            ),
            None,
        );
        let weights = setup
            .watch
            .iter()
            .map(|w| WatchedVar {
                name: format!("{}:0", node_of(w)),
                shape: Vec::new(),
                values: Vec::new(),
                series: Vec::new(),
            })
            .collect();
        self.view.run_session = Some(session);
        self.training.run = Some(TrainRun {
            job: Some(job),
            session,
            graph: g,
            setup: TrainSetup { dataset_name: name, ..setup.clone() },
            status: if paused { TrainStatus::Paused } else { TrainStatus::Running },
            step: 0,
            total_steps: setup.steps,
            steps_per_sec: 0.0,
            batch_loss: Series::default(),
            eval_loss: Series::default(),
            eval_logs: Vec::new(),
            weights,
            boundary: None,
            boundary_rev: 0,
            points,
            data_range,
            started: Instant::now(),
            last_time: 0.0,
            updates: 0,
            recorded: false,
        });
        Ok(())
    }

    /// The project dataset the setup trains on, added when the setup's source is not in the
    /// project yet; returns its name.
    fn ensure_dataset(&mut self, setup: &TrainSetup) -> String {
        let p = &self.doc.project;
        if let Some(d) = p.datasets.iter().find(|d| d.source == setup.dataset) {
            return d.name.clone();
        }
        let base =
            if setup.dataset_name.trim().is_empty() { source_kind(&setup.dataset) } else { setup.dataset_name.trim() };
        let base = base.replace(' ', "_");
        let taken = |n: &str| p.datasets.iter().any(|d| d.name == n);
        let name = if !taken(&base) {
            base.clone()
        } else {
            (1..).map(|i| format!("{base}_{i}")).find(|n| !taken(n)).unwrap_or(base.clone())
        };
        self.doc.project.datasets.push(Dataset { name: name.clone(), source: setup.dataset.clone() });
        self.doc.touch();
        name
    }

    /// Sends a command to the running job.
    pub fn control_training(&mut self, cmd: worker::Command) {
        let Some(run) = &mut self.training.run else { return };
        let Some(job) = &run.job else { return };
        if !job.send(cmd) {
            return;
        }
        match cmd {
            worker::Command::Pause => run.status = TrainStatus::Paused,
            worker::Command::Resume | worker::Command::Step(_) if run.status.is_live() => {
                run.status = TrainStatus::Running
            }
            worker::Command::SetEvalEvery(n) => {
                run.setup.eval_every = n;
                self.training.setup.eval_every = n;
            }
            _ => {}
        }
    }

    /// Drains the job's events (never blocks); gives the session back once the thread ended.
    /// Returns true when something changed.
    pub fn poll_training(&mut self) -> bool {
        let Some(run) = &mut self.training.run else { return false };
        let mut changed = false;
        let mut logs: Vec<String> = Vec::new();
        let mut failure: Option<String> = None;
        if let Some(job) = &run.job {
            // Bounded: at most the channel's capacity per frame.
            for _ in 0..128 {
                let Ok(ev) = job.events().try_recv() else { break };
                changed = true;
                match ev {
                    Event::Progress(p) => {
                        let now = run.started.elapsed().as_secs_f64();
                        let t0 = run.last_time;
                        let (s0, s1) = (run.step as f64, p.step.max(1) as f64);
                        let time_at = |step: u64| {
                            if s1 > s0 {
                                t0 + (now - t0) * ((step as f64 - s0) / (s1 - s0)).clamp(0.0, 1.0)
                            } else {
                                now
                            }
                        };
                        for &(step, v) in &p.batch_losses {
                            run.batch_loss.push(Sample { step: step as f64, time: time_at(step), value: v });
                        }
                        for (&(step, v), line) in
                            p.evals.iter().zip(p.logs.iter().map(Some).chain(std::iter::repeat(None)))
                        {
                            run.eval_loss.push(Sample { step: step as f64, time: time_at(step), value: v });
                            run.eval_logs.push((step, v, line.cloned().unwrap_or_default()));
                            if run.eval_logs.len() > 1000 {
                                run.eval_logs.remove(0);
                            }
                        }
                        logs.extend(p.logs);
                        let by_steps = run.setup.weights_every > 0;
                        for (step, w) in p.weight_history {
                            record_weights(&mut run.weights, step, time_at(step), w, true);
                        }
                        if let Some(w) = p.weights {
                            // Step-driven histories only take the latest values from here.
                            record_weights(&mut run.weights, p.step, now, w, !by_steps);
                        }
                        if let Some(b) = p.boundary {
                            run.boundary = Some(b);
                            run.boundary_rev += 1;
                        }
                        run.step = p.step;
                        run.total_steps = p.total_steps;
                        if p.steps_per_sec > 0.0 {
                            run.steps_per_sec = p.steps_per_sec;
                        }
                        run.last_time = now;
                        run.updates += 1;
                        if run.status.is_live() {
                            run.status = if p.paused { TrainStatus::Paused } else { TrainStatus::Running };
                        }
                    }
                    Event::Finished { steps, stopped, .. } => {
                        run.step = steps;
                        run.status = if stopped { TrainStatus::Stopped } else { TrainStatus::Finished };
                    }
                    Event::Failed { step, error } => {
                        run.step = step;
                        let msg = error.to_string();
                        run.status = TrainStatus::Failed(msg.clone());
                        failure = Some(msg);
                    }
                }
            }
        }
        // The thread ends right after its last event: take the session back then.
        let ended = !run.status.is_live() && run.job.as_ref().is_none_or(TrainJob::is_finished);
        let mut back = None;
        if ended && let Some(job) = run.job.take() {
            back = Some(job.join());
            changed = true;
        }
        let session = run.session;
        for l in logs {
            self.log_line(LogKind::Result, l, None);
        }
        if let Some(msg) = failure {
            self.log_error(msg, None);
        }
        if let Some(back) = back {
            match back {
                Some(sess) => {
                    if let Err(e) = self.engine.ws.put_session(session, sess) {
                        self.log_error(e.to_string(), None);
                    }
                }
                None => {
                    self.log_error("the training thread did not give its session back".to_string(), None);
                    if let Some(e) = self.engine.ws.sessions.get_mut(session) {
                        e.busy = false;
                        e.session.close();
                    }
                }
            }
            self.finish_training();
        }
        changed
    }

    /// After a job ended: log it and record the train loop in the script (not for a failure).
    fn finish_training(&mut self) {
        let Some(run) = &mut self.training.run else { return };
        if run.recorded {
            return;
        }
        run.recorded = true;
        let (status, steps, session) = (run.status.clone(), run.step, run.session);
        let setup = run.setup.clone();
        let id = self.engine.ws.sessions.get(session).map(|e| e.id.clone()).unwrap_or_default();
        match &status {
            TrainStatus::Failed(_) => {
                self.log_line(LogKind::Info, format!("training in {id} failed at step {steps}"), None);
                return;
            }
            TrainStatus::Stopped => {
                self.log_line(LogKind::Info, format!("training in {id} stopped after {steps} step(s)"), None)
            }
            _ => self.log_line(LogKind::Info, format!("training in {id} finished: {steps} step(s)"), None),
        }
        if steps == 0 {
            return;
        }
        let step = Step::TrainLoop {
            session: Some(id),
            dataset: setup.dataset_name.clone(),
            feeds: setup
                .feeds
                .iter()
                .map(|(t, c)| ColumnFeedDef { tensor: t.clone(), columns: columns_of(c) })
                .collect(),
            train_op: setup.train_op.clone(),
            fetches: Vec::new(),
            batch_loss: Some(setup.loss.clone()),
            steps,
            batch_size: setup.batch_size,
            batching: Batching::Cyclic,
            log: Some(TrainLogDef {
                every: setup.eval_every.max(1),
                loss: setup.loss.clone(),
                format: setup.log_format,
            }),
        };
        self.doc.project.script.push(step);
        self.doc.touch();
    }

    /// `optimizer.minimize(loss)` on graph `graph`: adds the gradients, slots and train op to
    /// the project's graph (undoable), and selects the new train op in the train panel.
    pub fn create_train_op(&mut self, graph: usize, loss: String, optimizer: Optimizer) {
        let Some(mut g) = self.engine.graph(graph).cloned() else { return };
        let Some(gd) = self.doc.project.graphs.get(graph) else { return };
        let positions: HashMap<String, [f32; 2]> =
            gd.nodes.iter().filter_map(|n| n.pos.map(|p| (n.name.clone(), p))).collect();
        let name = gd.name.clone();
        let before = g.nodes().len();
        let result = g.tensor(&loss).and_then(|l| minimize(&mut g, &optimizer, l, None)).map(|m| m.train_op);
        match result {
            Ok(op) => {
                let op_name = g.node(op).map(|n| n.name.clone()).unwrap_or_default();
                let mut new_def = graph_def_from(&name, &g, &positions);
                // New nodes go below the graph, laid out by the editor's auto layout.
                let max_y = positions.values().map(|p| p[1]).fold(0.0f32, f32::max);
                let layout: HashMap<String, [f32; 2]> = super::document::auto_layout(&new_def).into_iter().collect();
                for n in new_def.nodes.iter_mut().skip(before) {
                    n.pos = layout.get(&n.name).map(|p| [p[0], p[1] + max_y + 300.0]);
                }
                let added = new_def.nodes.len() - before;
                let res = self.edit_graph(graph, new_def);
                if res {
                    self.log_line(
                        LogKind::Python,
                        format!("{op_name} = tf.train.{}Optimizer(...).minimize({loss})", optimizer.name()),
                        None,
                    );
                    self.log_line(LogKind::Info, format!("{added} node(s) added"), None);
                    let s = &mut self.training.setup;
                    s.graph = graph;
                    s.train_op = op_name;
                    s.loss = loss;
                    s.optimizer = optimizer;
                    if let Some(gd) = self.doc.project.graphs.get(graph) {
                        s.watch = trained_variables(gd);
                        if s.feeds.is_empty() {
                            s.feeds = default_feeds(gd, s);
                        }
                    }
                }
            }
            Err(e) => self.log_error(e.to_string(), e.node.map(|n| (graph, n))),
        }
    }

    /// The latest values of session `i`'s variables while it trains (the worker's snapshots).
    pub fn training_snapshot(&self, session: usize) -> Option<&[WatchedVar]> {
        self.training.run.as_ref().filter(|r| r.session == session && r.job.is_some()).map(|r| r.weights.as_slice())
    }
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
