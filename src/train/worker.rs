//! The training worker: a named thread that owns its session while it trains, takes commands
//! (pause, resume, step N, stop, change the eval interval) and streams coalesced progress over a
//! bounded crossbeam channel, so a worker doing a million steps a second neither floods nor
//! stalls a UI that drains it 60 times a second. A NaN or Inf loss, an engine error or a panic
//! ends the job with a `Failed` event; the session comes back to the caller either way, also
//! when the thread cannot be started ([`StartError`]).

use crate::engine::dtype::DType;
use crate::engine::error::{Error, ErrorClass, Result};
use crate::engine::graph::Output;
use crate::engine::kernels::random::RandomState;
use crate::engine::runtime::feed::Feed;
use crate::engine::runtime::session::{PlanId, Session};
use crate::engine::value::Value;
use crate::train::data::idx::{Field, ImageSet, NUM_CLASSES, Split};
use crate::train::data::next_batch::NextBatch;
use crate::train::data::table::Table;
use crate::train::{Batching, LogArg, LogValue, TrainData, TrainSpec, format_log, format_values};
use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError, bounded};
use ndarray::{ArrayD, IxDyn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Commands to a running job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Pause after the current step.
    Pause,
    /// Resume running.
    Resume,
    /// Run this many steps, then pause.
    Step(u64),
    /// Stop the job (the session keeps the values trained so far).
    Stop,
    /// Evaluate the full-data loss every this many steps from now on.
    SetEvalEvery(u64),
}

/// Progress since the previous update.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    /// Steps completed so far.
    pub step: u64,
    /// Steps the job will run.
    pub total_steps: u64,
    /// Recent training speed.
    pub steps_per_sec: f64,
    /// `(step, batch loss)` pairs since the last update (decimated when there are many).
    pub batch_losses: Vec<(u64, f64)>,
    /// `(step, full-data loss)` evaluations since the last update.
    pub evals: Vec<(u64, f64)>,
    /// Log lines printed since the last update, in order.
    pub logs: Vec<String>,
    /// A snapshot of the watched variables (throttled).
    pub weights: Option<Vec<(String, Value)>>,
    /// True while paused.
    pub paused: bool,
    /// The decision boundary on its grid (throttled; only for jobs started with a
    /// [`BoundarySpec`]).
    pub boundary: Option<BoundaryGrid>,
    /// Step-driven weight snapshots since the last update (only for jobs started with
    /// [`JobExtras::weights_every`]): `(step, values)`, decimated when there are many.
    pub weight_history: Vec<(u64, Vec<(String, Value)>)>,
    /// `(step, learning rate)` at each evaluation since the last update (only for jobs started
    /// with [`JobExtras::learning_rate`]).
    pub learning_rates: Vec<(u64, f64)>,
    /// `(step, tensor name, value)` of each tensor a log line evaluates (an accuracy), at each
    /// evaluation and after the loop, since the last update.
    pub metrics: Vec<(u64, String, f64)>,
    /// Loss, accuracy and confusion matrix on the validation and test splits at each
    /// evaluation (only for jobs started with [`JobExtras::classify`] on an IDX dataset).
    pub split_evals: Vec<SplitEval>,
}

/// A classifier's evaluation on one split of an IDX dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitEval {
    /// The step it was evaluated after.
    pub step: u64,
    /// The split (`validation` or `test`).
    pub split: Split,
    /// The loss on all of the split's examples.
    pub loss: f64,
    /// The fraction of examples whose argmax output is their label.
    pub accuracy: f64,
    /// `NUM_CLASSES × NUM_CLASSES` counts, row-major: row = true label, column = predicted.
    pub confusion: Vec<u64>,
    /// The predicted class of the split's first examples (at most [`PREDICTED_KEPT`]).
    pub predicted: Vec<u8>,
}

/// Predictions kept per [`SplitEval`] (for a grid of sample images).
pub const PREDICTED_KEPT: usize = 48;

/// A decision-boundary request: `output` evaluated on a `resolution × resolution` grid fed to
/// `input` (a placeholder taking two features per row), over the given ranges. It runs in the
/// worker's own session, between steps, at most every [`BOUNDARY_INTERVAL`].
#[derive(Clone, Debug)]
pub struct BoundarySpec {
    /// The fed placeholder (`x-input:0`, shape `(?, 2)`).
    pub input: Output,
    /// The evaluated tensor (`Sigmoid:0`): its first column is read per grid point.
    pub output: Output,
    /// Range of the first feature.
    pub x_range: (f64, f64),
    /// Range of the second feature.
    pub y_range: (f64, f64),
    /// Points per side.
    pub resolution: usize,
}

/// The model's output over the grid of a [`BoundarySpec`].
#[derive(Clone, Debug, PartialEq)]
pub struct BoundaryGrid {
    /// The step it was computed after.
    pub step: u64,
    /// Points per side.
    pub resolution: usize,
    /// Range of the first feature.
    pub x_range: (f64, f64),
    /// Range of the second feature.
    pub y_range: (f64, f64),
    /// Row-major values: row `r` is `y = y_range.0 + r * dy` (bottom to top), column `c` is
    /// `x = x_range.0 + c * dx`.
    pub values: Vec<f32>,
}

impl BoundarySpec {
    /// The grid points, row-major (see [`BoundaryGrid::values`]).
    pub fn points(&self) -> Vec<[f64; 2]> {
        let n = self.resolution.max(2);
        let step = |(a, b): (f64, f64), i: usize| a + (b - a) * i as f64 / (n - 1) as f64;
        (0..n).flat_map(|r| (0..n).map(move |c| [step(self.x_range, c), step(self.y_range, r)])).collect()
    }
}

/// Called by the worker after each event it sends (a UI passes `ctx.request_repaint`).
pub type Waker = std::sync::Arc<dyn Fn() + Send + Sync>;

/// Optional extras of a job (see [`TrainJob::spawn_with`]).
#[derive(Clone, Default)]
pub struct JobExtras {
    /// Evaluate a decision boundary while training.
    pub boundary: Option<BoundarySpec>,
    /// Wakes the receiver after each event sent (at most about 60 times a second).
    pub waker: Option<Waker>,
    /// Also snapshot the watched variables after every this many steps, into
    /// [`Progress::weight_history`] (deterministic histories; 0 = off).
    pub weights_every: u64,
    /// A decaying learning rate, evaluated at each evaluation into
    /// [`Progress::learning_rates`].
    pub learning_rate: Option<Output>,
    /// A classifier's output (`(?, 10)` logits or probabilities): at each evaluation the loss
    /// and its argmax accuracy are evaluated on the validation and test splits of an IDX
    /// dataset into [`Progress::split_evals`].
    pub classify: Option<Output>,
}

impl std::fmt::Debug for JobExtras {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobExtras")
            .field("boundary", &self.boundary)
            .field("waker", &self.waker.is_some())
            .field("weights_every", &self.weights_every)
            .field("learning_rate", &self.learning_rate)
            .field("classify", &self.classify)
            .finish()
    }
}

/// What the worker reports.
// Progress is sent at most about 60 times a second: boxing it would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Event {
    /// Coalesced progress.
    Progress(Progress),
    /// The job ran all its steps, or was stopped.
    Finished {
        /// Steps completed.
        steps: u64,
        /// True when stopped before the end.
        stopped: bool,
        /// Wall time of the job.
        elapsed_secs: f64,
    },
    /// The job failed at `step` (a NaN loss, an engine error or a panic).
    Failed {
        /// The step that failed.
        step: u64,
        /// Why.
        error: Error,
    },
}

/// How often coalesced progress is sent.
pub const UPDATE_INTERVAL: Duration = Duration::from_millis(16);
/// How often weight snapshots are taken.
pub const SNAPSHOT_INTERVAL: Duration = Duration::from_millis(33);
/// How often the decision boundary is recomputed.
pub const BOUNDARY_INTERVAL: Duration = Duration::from_millis(100);
/// At most this many batch losses are kept between two updates (older ones are decimated).
pub const MAX_PENDING_LOSSES: usize = 4096;

/// Why a job did not start, with the session handed back unchanged.
#[derive(Debug)]
pub struct StartError {
    /// Why (a bad spec, a closed session, no thread).
    pub error: Error,
    /// The session the caller passed in.
    pub session: Session,
}

/// Faults a test can inject into a job (see [`TrainJob::spawn_with_faults`]); none by default.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// Panic inside the worker at this step (proves a panic becomes a failed job).
    pub panic_at_step: Option<u64>,
    /// Act as if the OS refused to start the thread (proves the session comes back).
    pub refuse_thread: bool,
}

/// A training job running on its own thread.
pub struct TrainJob {
    commands: Sender<Command>,
    events: Receiver<Event>,
    handle: Option<JoinHandle<Session>>,
}

impl TrainJob {
    /// Starts a job on a thread named `flowbench-train`. The session must be open and initialized
    /// on `spec.graph`; it comes back from [`TrainJob::join`]. On a bad spec, or when the thread
    /// cannot be started, returns the error and the session at once.
    pub fn spawn(
        spec: TrainSpec,
        session: Session,
        start_paused: bool,
    ) -> std::result::Result<TrainJob, Box<StartError>> {
        TrainJob::spawn_with(spec, JobExtras::default(), session, start_paused)
    }

    /// [`TrainJob::spawn`] with extras: a decision boundary computed in the worker's session.
    pub fn spawn_with(
        spec: TrainSpec,
        extras: JobExtras,
        session: Session,
        start_paused: bool,
    ) -> std::result::Result<TrainJob, Box<StartError>> {
        TrainJob::spawn_with_faults(spec, extras, session, start_paused, Faults::default())
    }

    /// [`TrainJob::spawn_with`] with injected faults (tests only: see [`Faults`]).
    #[doc(hidden)]
    pub fn spawn_with_faults(
        spec: TrainSpec,
        extras: JobExtras,
        session: Session,
        start_paused: bool,
        faults: Faults,
    ) -> std::result::Result<TrainJob, Box<StartError>> {
        if let Err(error) = spec.validate() {
            return Err(Box::new(StartError { error, session }));
        }
        if session.is_closed() {
            let error = Error::new(ErrorClass::RuntimeError, "Attempted to use a closed Session.");
            return Err(Box::new(StartError { error, session }));
        }
        let (cmd_tx, cmd_rx) = bounded::<Command>(256);
        let (ev_tx, ev_rx) = bounded::<Event>(64);
        let builder = std::thread::Builder::new().name("flowbench-train".to_string());
        // The session waits in a slot the thread empties when it starts: if the thread never
        // starts (its closure is dropped), the slot still holds it and it goes back to the caller.
        let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(session)));
        let body = {
            let slot = std::sync::Arc::clone(&slot);
            move || {
                let taken = slot.lock().ok().and_then(|mut s| s.take());
                let mut session = taken.unwrap_or_else(|| Session::new(&spec.graph, Default::default()));
                let started = Instant::now();
                let mut step_reached = 0u64;
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    run_loop(
                        &spec,
                        &extras,
                        &mut session,
                        &cmd_rx,
                        &ev_tx,
                        LoopStart { paused: start_paused, panic_at_step: faults.panic_at_step },
                        &mut step_reached,
                    )
                }));
                let event = match outcome {
                    Ok(Ok(stopped)) => {
                        Event::Finished { steps: step_reached, stopped, elapsed_secs: started.elapsed().as_secs_f64() }
                    }
                    Ok(Err(error)) => Event::Failed { step: step_reached, error },
                    Err(panic) => {
                        let msg = panic
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "unknown panic".to_string());
                        session.mark_failed(&msg);
                        Event::Failed {
                            step: step_reached,
                            error: Error::internal(format!(
                                "the training worker panicked at step {step_reached}: {msg}"
                            )),
                        }
                    }
                };
                if let Event::Failed { error, .. } = &event {
                    session.mark_failed(&error.to_string());
                }
                let _ = ev_tx.send(event);
                if let Some(w) = &extras.waker {
                    w();
                }
                session
            }
        };
        let handle = if faults.refuse_thread {
            drop(body);
            Err(std::io::Error::new(std::io::ErrorKind::WouldBlock, "test hook: the thread was refused"))
        } else {
            builder.spawn(body)
        };
        match handle {
            Ok(h) => Ok(TrainJob { commands: cmd_tx, events: ev_rx, handle: Some(h) }),
            Err(e) => {
                let error =
                    Error::new(ErrorClass::ResourceExhausted, format!("could not start the training thread: {e}"));
                match slot.lock().ok().and_then(|mut s| s.take()) {
                    Some(session) => Err(Box::new(StartError { error, session })),
                    None => Err(Box::new(StartError {
                        error,
                        session: Session::new(&crate::engine::graph::Graph::new(), Default::default()),
                    })),
                }
            }
        }
    }

    /// Sends a command (never blocks; a full queue drops the command and returns false).
    pub fn send(&self, cmd: Command) -> bool {
        self.commands.try_send(cmd).is_ok()
    }

    /// The event stream; drain it with `try_recv` from a UI, or `recv` from a CLI.
    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    /// True when the thread has ended.
    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(|h| h.is_finished())
    }

    /// Waits for the thread and takes the session back.
    pub fn join(mut self) -> Option<Session> {
        self.handle.take().and_then(|h| h.join().ok())
    }
}

impl Drop for TrainJob {
    fn drop(&mut self) {
        let _ = self.commands.try_send(Command::Stop);
    }
}

/// Which examples a feed value holds: a slice of rows, or rows picked by index.
#[derive(Clone, Copy, Debug)]
enum Rows<'a> {
    Range(usize, usize),
    List(&'a [usize]),
}

/// The rows of a [`Rows`], in order.
enum RowIter<'a> {
    Range(std::ops::Range<usize>),
    List(std::slice::Iter<'a, usize>),
}

impl Iterator for RowIter<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        match self {
            RowIter::Range(r) => r.next(),
            RowIter::List(l) => l.next().copied(),
        }
    }
}

impl<'a> Rows<'a> {
    fn of(r: std::ops::Range<usize>) -> Rows<'a> {
        Rows::Range(r.start, r.end)
    }

    fn len(&self) -> usize {
        match self {
            Rows::Range(a, b) => b.saturating_sub(*a),
            Rows::List(l) => l.len(),
        }
    }

    fn iter(&self) -> RowIter<'a> {
        match *self {
            Rows::Range(a, b) => RowIter::Range(a..b),
            Rows::List(l) => RowIter::List(l.iter()),
        }
    }
}

/// Fills a feed value with the given rows of the table's columns, in the placeholder's dtype,
/// reusing its buffer when the shape is unchanged.
fn fill_feed(value: &mut Value, dtype: DType, table: &Table, rows: Rows<'_>, columns: &[usize]) {
    let shape = [rows.len(), columns.len()];
    if value.dtype() != dtype || value.shape() != shape {
        *value = Value::zeros(dtype, &shape);
    }
    let width = table.columns.len();
    let src = |r: usize, c: usize| table.data.get(r * width + c).copied().unwrap_or(0.0);
    macro_rules! fill {
        ($a:expr, $conv:expr) => {
            if let Some(s) = $a.as_slice_mut() {
                let mut k = 0;
                for r in rows.iter() {
                    for &c in columns {
                        if let Some(slot) = s.get_mut(k) {
                            *slot = $conv(src(r, c));
                        }
                        k += 1;
                    }
                }
            }
        };
    }
    match value {
        Value::F32(a) => fill!(a, |x: f64| x as f32),
        Value::F64(a) => fill!(a, |x: f64| x),
        Value::I32(a) => fill!(a, |x: f64| x as i32),
        Value::I64(a) => fill!(a, |x: f64| x as i64),
        Value::Bool(a) => fill!(a, |x: f64| x != 0.0),
    }
}

/// Batches of at least this many elements are swapped in (`Packed::Batches`); smaller ones are
/// copied out of `Packed::Rows`.
pub const SWAP_MIN_ELEMENTS: usize = 4096;

/// A feed's columns of a table, converted to float32 once for the whole job.
enum Packed {
    /// Not converted (not a table, not float32, or too big).
    No,
    /// Row-major, all rows.
    Rows(Vec<f32>),
    /// One `[batch_size, columns]` value per cyclic batch (batch `k` holds rows `k * batch_size..`),
    /// each converted when first used.
    Batches(Vec<Option<Value>>),
}

impl Packed {
    /// The conversion of `f`'s columns for `spec` (see [`Packed`]).
    fn of(spec: &TrainSpec, f: &crate::train::ColumnFeed) -> Packed {
        let TrainData::Table(table) = &spec.data else { return Packed::No };
        let is_f32 = spec.graph.output_info(f.tensor).is_some_and(|x| x.0 == DType::Float32);
        let cols = f.columns.len();
        if !is_f32 || table.rows.saturating_mul(cols) > 1 << 26 {
            return Packed::No;
        }
        let b = spec.batch_size;
        // Swapping a batch in costs more than copying a small one.
        let big = b.saturating_mul(cols) >= SWAP_MIN_ELEMENTS;
        if matches!(spec.batching, Batching::Cyclic) && big && table.rows % b == 0 && cols > 0 {
            Packed::Batches(vec![None; table.rows / b])
        } else {
            Packed::Rows(pack_rows(table, &f.columns, 0..table.rows))
        }
    }

    /// The value of cyclic batch `k` (rows `k * b..(k + 1) * b`) of `columns`, converted now if
    /// it was not yet; `None` when this is not [`Packed::Batches`] or there is no batch `k`.
    fn batch(&mut self, table: &Table, columns: &[usize], k: usize, b: usize) -> Option<&mut Value> {
        let Packed::Batches(values) = self else { return None };
        let v = values.get_mut(k)?;
        if v.is_none() {
            let rows = pack_rows(table, columns, k * b..(k + 1) * b);
            *v = Some(Value::F32(ArrayD::from_shape_vec(IxDyn(&[b, columns.len()]), rows).ok()?));
        }
        v.as_mut()
    }
}

/// Rows `rows` of the table's `columns`, as float32, row-major (a contiguous run of columns is
/// converted a row slice at a time; a row past the table's data reads as zeros, as in
/// `fill_feed`).
fn pack_rows(table: &Table, columns: &[usize], rows: std::ops::Range<usize>) -> Vec<f32> {
    let width = table.columns.len();
    let n = rows.len() * columns.len();
    let mut v = Vec::with_capacity(n);
    let run = match columns {
        [first, ..] if columns.windows(2).all(|w| w[1] == w[0] + 1) && first + columns.len() <= width => {
            Some(*first..first + columns.len())
        }
        _ => None,
    };
    for r in rows {
        match (&run, table.data.get(r * width..(r + 1) * width)) {
            (Some(span), Some(row)) => v.extend(row[span.clone()].iter().map(|&x| x as f32)),
            _ => v.extend(columns.iter().map(|&c| table.data.get(r * width + c).copied().unwrap_or(0.0) as f32)),
        }
    }
    v.resize(n, 0.0);
    v
}

/// Fills a feed value from the job's data: the table's columns, or one field of `set` (image
/// data: the training set for batches, the evaluated set for evaluations).
fn fill_data(
    value: &mut Value,
    dtype: DType,
    spec: &TrainSpec,
    set: Option<&ImageSet>,
    rows: Rows<'_>,
    columns: &[usize],
) {
    match (&spec.data, set) {
        (TrainData::Table(table), _) => fill_feed(value, dtype, table, rows, columns),
        (TrainData::Images { .. }, Some(set)) => {
            let field = Field::ALL.get(columns.first().copied().unwrap_or(0)).map_or(Field::Images, |x| x.1);
            set.fill(field, &mut rows.iter(), rows.len(), dtype, value);
        }
        (TrainData::Images { .. }, None) => {}
    }
}

fn feed_values(spec: &TrainSpec, set: Option<&ImageSet>, rows: Rows<'_>) -> Vec<Feed> {
    spec.feeds
        .iter()
        .map(|f| {
            let dtype = spec.graph.output_info(f.tensor).map_or(DType::Float32, |i| i.0);
            let mut v = Value::F32(ArrayD::zeros(IxDyn(&[0])));
            fill_data(&mut v, dtype, spec, set, rows, &f.columns);
            Feed { tensor: f.tensor, value: v }
        })
        .collect()
}

fn nan_error(what: &str, step: u64, value: f64) -> Error {
    Error::invalid_argument(format!(
        "{what} is {value} at step {step}: training stopped. A smaller learning rate often helps."
    ))
}

/// The watched variables' values now.
fn snapshot(
    session: &mut Session,
    g: &crate::engine::graph::Graph,
    plan: PlanId,
    names: &[String],
) -> Result<Vec<(String, Value)>> {
    session.run_prepared(g, plan, &[])?;
    Ok(names
        .iter()
        .enumerate()
        .filter_map(|(k, n)| session.fetched(plan, k, &[]).map(|v| (n.clone(), v.clone())))
        .collect())
}

/// The boundary output over its grid, after `step` steps.
fn boundary_grid(
    session: &mut Session,
    g: &crate::engine::graph::Graph,
    plan: PlanId,
    feed: &[Feed],
    b: &BoundarySpec,
    step: u64,
) -> Result<BoundaryGrid> {
    session.run_prepared(g, plan, feed)?;
    let n = b.resolution.max(2);
    let out = session.fetched(plan, 0, feed).map(Value::to_f64_vec).unwrap_or_default();
    // The first column of each row (a `(n*n, k)` output), or the values themselves.
    let per_row = if out.len() >= n * n { out.len() / (n * n) } else { 1 };
    let values = (0..n * n).map(|k| out.get(k * per_row).copied().unwrap_or(f64::NAN) as f32).collect();
    Ok(BoundaryGrid { step, resolution: n, x_range: b.x_range, y_range: b.y_range, values })
}

/// The periodic evaluation at step `i`: the loss on all rows (for the plot), the learning rate,
/// and the printed line with its values.
#[allow(clippy::too_many_arguments)]
fn evaluate(
    session: &mut Session,
    g: &crate::engine::graph::Graph,
    spec: &TrainSpec,
    eval_plan: &Option<(PlanId, Vec<Feed>)>,
    arg_plans: &[Option<PlanId>],
    lr_plan: Option<PlanId>,
    i: u64,
    pending: &mut Progress,
) -> Result<()> {
    let (Some((plan, all)), Some(e)) = (eval_plan, &spec.eval) else { return Ok(()) };
    session.run_prepared(g, *plan, all)?;
    let loss = session.fetched(*plan, 0, all).and_then(Value::first_f64).unwrap_or(f64::NAN);
    if !loss.is_finite() {
        return Err(nan_error("The loss on all data", i, loss));
    }
    pending.evals.push((i, loss));
    if let Some(p) = lr_plan {
        session.run_prepared(g, p, all)?;
        let lr = session.fetched(p, 0, all).and_then(Value::first_f64).unwrap_or(f64::NAN);
        pending.learning_rates.push((i, lr));
    }
    if let Some(fmt) = &e.format {
        if e.args.is_empty() {
            pending.logs.push(format_log(fmt, i, loss));
        } else {
            let mut values = Vec::with_capacity(e.args.len());
            for (a, plan) in e.args.iter().zip(arg_plans) {
                values.push(match (a, plan) {
                    (LogArg::Step, _) => LogValue::Int(i as i64),
                    (LogArg::StepPlusOne, _) => LogValue::Int(i as i64 + 1),
                    (LogArg::Tensor(t), Some(p)) => {
                        session.run_prepared(g, *p, all)?;
                        let v = session.fetched(*p, 0, all).and_then(Value::first_f64).unwrap_or(f64::NAN);
                        pending.metrics.push((i, g.tensor_name(*t), v));
                        LogValue::Float(v)
                    }
                    (LogArg::Tensor(_), None) => LogValue::Float(f64::NAN),
                });
            }
            pending.logs.push(format_values(fmt, &values));
        }
    }
    Ok(())
}

/// A classifier's plan (fetching the loss and the output) with each split's feeds.
type ClassifyPlan<'a> = (PlanId, Vec<(Split, &'a ImageSet, Vec<Feed>)>);

/// Evaluates the loss and the argmax accuracy of the classifier on each split of `plan`.
fn evaluate_splits(
    session: &mut Session,
    g: &crate::engine::graph::Graph,
    plan: &ClassifyPlan<'_>,
    i: u64,
    pending: &mut Progress,
) -> Result<()> {
    let (p, splits) = plan;
    for (split, set, feeds) in splits {
        session.run_prepared(g, *p, feeds)?;
        let loss = session.fetched(*p, 0, feeds).and_then(Value::first_f64).unwrap_or(f64::NAN);
        let out = session.fetched(*p, 1, feeds).map(Value::to_f64_vec).unwrap_or_default();
        let n = set.len();
        let width = out.len().checked_div(n).unwrap_or(0);
        let mut confusion = vec![0u64; NUM_CLASSES * NUM_CLASSES];
        let mut predicted = Vec::with_capacity(n.min(PREDICTED_KEPT));
        let mut correct = 0u64;
        for r in 0..n {
            let row = out.get(r * width..(r + 1) * width).unwrap_or(&[]);
            let best = crate::engine::kernels::reduce::first_largest(row.iter().copied());
            let label = set.label(r) as usize;
            if best == label {
                correct += 1;
            }
            if let Some(c) = confusion.get_mut(label.min(NUM_CLASSES - 1) * NUM_CLASSES + best.min(NUM_CLASSES - 1)) {
                *c += 1;
            }
            if predicted.len() < PREDICTED_KEPT {
                predicted.push(best as u8);
            }
        }
        let accuracy = if n > 0 { correct as f64 / n as f64 } else { f64::NAN };
        pending.split_evals.push(SplitEval { step: i, split: *split, loss, accuracy, confusion, predicted });
    }
    Ok(())
}

/// How the loop starts: paused or not, and the injected panic (see [`Faults`]).
#[derive(Clone, Copy)]
struct LoopStart {
    paused: bool,
    panic_at_step: Option<u64>,
}

/// The loop. Returns whether it was stopped early; `step_reached` tracks the steps done.
fn run_loop(
    spec: &TrainSpec,
    extras: &JobExtras,
    session: &mut Session,
    commands: &Receiver<Command>,
    events: &Sender<Event>,
    start: LoopStart,
    step_reached: &mut u64,
) -> Result<bool> {
    let LoopStart { paused: start_paused, panic_at_step } = start;
    let g = &spec.graph;
    let fed: Vec<Output> = spec.feeds.iter().map(|f| f.tensor).collect();
    let mut fetches = spec.step_fetches.clone();
    let loss_idx = spec.batch_loss.map(|l| {
        fetches.push(l);
        fetches.len() - 1
    });
    let (train_plan, _) = session.prepare(g, &fetches, &fed, &spec.train_targets)?;
    let eval_plan: Option<(PlanId, Vec<Feed>)> = match &spec.eval {
        Some(e) => {
            let (p, _) = session.prepare(g, &[e.loss], &fed, &[])?;
            let all = match &spec.data {
                TrainData::Table(t) => feed_values(spec, None, Rows::of(0..t.rows)),
                TrainData::Images { sets, eval } => {
                    let set = sets.split(*eval);
                    feed_values(spec, Some(set), Rows::of(0..set.len()))
                }
            };
            Some((p, all))
        }
        None => None,
    };
    // The log line's tensors, each evaluated in its own run (as `sess.run(t, feed_dict=...)`).
    let arg_plans: Vec<Option<PlanId>> = match &spec.eval {
        Some(e) => e
            .args
            .iter()
            .map(|a| match a {
                LogArg::Tensor(t) => session.prepare(g, &[*t], &fed, &[]).map(|(p, _)| Some(p)),
                LogArg::Step | LogArg::StepPlusOne => Ok(None),
            })
            .collect::<Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    // The classifier's evaluation on the validation and test splits (IDX data only).
    let classify_plan: Option<ClassifyPlan<'_>> = match (&extras.classify, &spec.data) {
        (Some(out), TrainData::Images { sets, .. }) => {
            let loss = spec.eval.as_ref().map(|e| e.loss).or(spec.batch_loss);
            match loss {
                Some(loss) => {
                    let (p, _) = session.prepare(g, &[loss, *out], &fed, &[])?;
                    let splits = [Split::Validation, Split::Test]
                        .into_iter()
                        .map(|s| (s, sets.split(s)))
                        .filter(|(_, set)| !set.is_empty())
                        .map(|(s, set)| (s, set, feed_values(spec, Some(set), Rows::of(0..set.len()))))
                        .collect();
                    Some((p, splits))
                }
                None => None,
            }
        }
        _ => None,
    };
    let lr_plan = match extras.learning_rate {
        Some(lr) => Some(session.prepare(g, &[lr], &fed, &[])?.0),
        None => None,
    };
    let watch_names: Vec<String> = spec.watch.iter().map(|w| g.tensor_name(*w)).collect();
    let watch_plan = if spec.watch.is_empty() { None } else { Some(session.prepare(g, &spec.watch, &[], &[])?.0) };
    let boundary = match &extras.boundary {
        Some(b) => {
            let dtype = g.output_info(b.input).map_or(DType::Float32, |i| i.0);
            let pts = b.points();
            let mut v = Value::zeros(dtype, &[pts.len(), 2]);
            let flat: Vec<f64> = pts.iter().flat_map(|p| [p[0], p[1]]).collect();
            let table = Table { columns: vec!["x".into(), "y".into()], data: flat, rows: pts.len() };
            fill_feed(&mut v, dtype, &table, Rows::of(0..pts.len()), &[0, 1]);
            let feed = vec![Feed { tensor: b.input, value: v }];
            let (plan, _) = session.prepare(g, &[b.output], &[b.input], &[])?;
            Some((plan, feed, b))
        }
        None => None,
    };
    let mut last_boundary: Option<(Instant, u64)> = None;
    let mut last_snapshot_step: Option<u64> = None;
    let mut eval_every = spec.eval.as_ref().map_or(0, |e| e.every);
    // The next step evaluated at (the next multiple of `eval_every`): a comparison per step
    // instead of a division.
    let mut next_eval = 0u64;
    let train_set = spec.data.images();
    let mut next_batch = match spec.batching {
        Batching::Cyclic => None,
        Batching::NextBatch { numpy_seed, shuffle } => {
            let rng = RandomState::new(numpy_seed.unwrap_or_else(rand::random));
            Some((NextBatch::new(spec.data.rows(), shuffle, rng), Vec::with_capacity(spec.batch_size)))
        }
    };
    let mut batch = feed_values(spec, train_set, Rows::of(spec.batch_rows(0)));
    // Each float32 feed's columns, converted once (for tables of a sensible size): as one batch
    // value per cyclic batch when the batches tile the table (a step then swaps its batches in,
    // copying nothing), else packed row-major (cutting a cyclic batch is then one copy).
    let mut packed: Vec<Packed> = spec.feeds.iter().map(|f| Packed::of(spec, f)).collect();
    // Per feed, the cyclic batch swapped in for the current step (swapped back after it).
    let mut swapped: Vec<Option<usize>> = vec![None; spec.feeds.len()];

    let mut paused = start_paused;
    let mut budget: Option<u64> = None;
    let mut pending = Progress { total_steps: spec.steps, ..Default::default() };
    let mut last_flush = Instant::now();
    let mut last_snapshot: Option<Instant> = None;
    let mut rate_mark = (Instant::now(), 0u64);
    let mut stopped = false;

    let flush = |pending: &mut Progress, force: bool| -> bool {
        let update = std::mem::replace(
            pending,
            Progress {
                total_steps: pending.total_steps,
                step: pending.step,
                paused: pending.paused,
                ..Default::default()
            },
        );
        let update_step = update.step;
        let update_rate = update.steps_per_sec;
        let wake = || {
            if let Some(w) = &extras.waker {
                w();
            }
        };
        if force {
            let sent = events.send(Event::Progress(update)).is_ok();
            wake();
            sent
        } else {
            match events.try_send(Event::Progress(update)) {
                Ok(()) => {
                    wake();
                    true
                }
                Err(TrySendError::Full(Event::Progress(back))) => {
                    // The UI is behind: keep everything for the next try.
                    *pending = back;
                    pending.step = update_step;
                    pending.steps_per_sec = update_rate;
                    false
                }
                Err(_) => false,
            }
        }
    };

    let mut i = 0u64;
    // The clock is read every `clock_every` steps, adapted so that it is read about every
    // millisecond: cheap for microsecond steps, prompt for slow ones.
    let (mut clock_every, mut since_clock, mut last_clock) = (1u64, 0u64, Instant::now());
    // Commands are polled when the clock is read (about every half millisecond while running)
    // and at every step while paused or stepping.
    let mut poll = true;
    loop {
        // Commands: block while paused, poll while running. A paused job with no steps left does
        // not wait: it finishes (a paced run is paused and handed steps up to the last one).
        while poll || paused {
            let cmd = if paused && budget.is_none_or(|b| b == 0) && i < spec.steps {
                // Pausing: the weights and boundary as they are now, so a paused (or stepped)
                // view shows the state it stopped at.
                // Each is taken unless one of this step was already taken (and is sent, or kept
                // in `pending` until the flush below): the periodic snapshot may have taken the
                // weights at this very step without the boundary, whose interval is longer.
                if last_snapshot_step != Some(i) {
                    if let Some(plan) = watch_plan {
                        pending.weights = Some(snapshot(session, g, plan, &watch_names)?);
                    }
                    last_snapshot_step = Some(i);
                }
                if let Some((plan, feed, b)) = &boundary
                    && last_boundary.is_none_or(|(_, s)| s != i)
                {
                    pending.boundary = Some(boundary_grid(session, g, *plan, feed, b, i)?);
                    last_boundary = Some((Instant::now(), i));
                }
                pending.paused = true;
                flush(&mut pending, true);
                match commands.recv() {
                    Ok(c) => Some(c),
                    Err(_) => Some(Command::Stop),
                }
            } else {
                match commands.try_recv() {
                    Ok(c) => Some(c),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => Some(Command::Stop),
                }
            };
            match cmd {
                None => break,
                Some(Command::Stop) => {
                    stopped = i < spec.steps;
                    pending.paused = false;
                    flush(&mut pending, true);
                    return Ok(stopped);
                }
                Some(Command::Pause) => {
                    paused = true;
                    budget = None;
                }
                Some(Command::Resume) => {
                    paused = false;
                    budget = None;
                    pending.paused = false;
                    rate_mark = (Instant::now(), i);
                }
                Some(Command::Step(n)) => {
                    paused = true;
                    budget = Some(n);
                    pending.paused = false;
                }
                Some(Command::SetEvalEvery(n)) => {
                    eval_every = n.max(1);
                    next_eval = i.checked_next_multiple_of(eval_every).unwrap_or(u64::MAX);
                }
            }
            if !paused || budget.is_some_and(|b| b > 0) {
                break;
            }
        }
        poll = false;
        if i >= spec.steps {
            break;
        }

        // One training step on batch i.
        if panic_at_step == Some(i) {
            panic!("test hook: panic at step {i}");
        }
        let eval_due = eval_every > 0 && i == next_eval;
        if eval_due {
            next_eval = i.saturating_add(eval_every);
        }
        if eval_due && spec.eval.as_ref().is_some_and(|e| e.before_step) {
            evaluate(session, g, spec, &eval_plan, &arg_plans, lr_plan, i, &mut pending)?;
            if let Some(c) = &classify_plan {
                evaluate_splits(session, g, c, i, &mut pending)?;
            }
        }
        let rows = match &mut next_batch {
            Some((state, picked)) => {
                state.next_batch(spec.batch_size, picked);
                Rows::List(picked)
            }
            None => Rows::of(spec.batch_rows(i)),
        };
        for (((f, spec_feed), packed), swapped) in batch.iter_mut().zip(&spec.feeds).zip(&mut packed).zip(&mut swapped)
        {
            let width = spec_feed.columns.len();
            // The float32 columns were converted once: a cyclic batch is then swapped in (and
            // back out after the step), or one copy.
            if let (Rows::Range(a, b), TrainData::Table(table)) = (rows, &spec.data)
                && b - a == spec.batch_size
                && a % spec.batch_size == 0
                && let Some(v) = packed.batch(table, &spec_feed.columns, a / spec.batch_size, spec.batch_size)
            {
                std::mem::swap(&mut f.value, v);
                *swapped = Some(a / spec.batch_size);
                continue;
            }
            let src = match (rows, &*packed) {
                (Rows::Range(a, b), Packed::Rows(p)) => p.get(a * width..b * width),
                _ => None,
            };
            let copied = match (src, &mut f.value) {
                (Some(src), Value::F32(a)) if a.shape() == [rows.len(), width] => match a.as_slice_mut() {
                    Some(dst) if dst.len() == src.len() => {
                        dst.copy_from_slice(src);
                        true
                    }
                    _ => false,
                },
                _ => false,
            };
            if !copied {
                let dtype = g.output_info(spec_feed.tensor).map_or(DType::Float32, |x| x.0);
                fill_data(&mut f.value, dtype, spec, train_set, rows, &spec_feed.columns);
            }
        }
        session.run_prepared(g, train_plan, &batch)?;
        let loss = loss_idx.map(|k| session.fetched(train_plan, k, &batch).and_then(Value::first_f64));
        // The batches swapped in go back to their places.
        for ((f, packed), swapped) in batch.iter_mut().zip(&mut packed).zip(&mut swapped) {
            if let (Some(k), Packed::Batches(values)) = (swapped.take(), packed)
                && let Some(Some(v)) = values.get_mut(k)
            {
                std::mem::swap(&mut f.value, v);
            }
        }
        if let Some(loss) = loss {
            let loss = loss.unwrap_or(f64::NAN);
            if !loss.is_finite() {
                return Err(nan_error("The batch loss", i, loss));
            }
            pending.batch_losses.push((i, loss));
            if pending.batch_losses.len() >= MAX_PENDING_LOSSES {
                let mut k = 0;
                pending.batch_losses.retain(|_| {
                    k += 1;
                    k % 2 == 0
                });
            }
        }
        if eval_due && spec.eval.as_ref().is_some_and(|e| !e.before_step) {
            evaluate(session, g, spec, &eval_plan, &arg_plans, lr_plan, i, &mut pending)?;
            if let Some(c) = &classify_plan {
                evaluate_splits(session, g, c, i, &mut pending)?;
            }
        }
        i += 1;
        *step_reached = i;
        pending.step = i;
        if let Some(plan) = watch_plan
            && extras.weights_every > 0
            && i.is_multiple_of(extras.weights_every)
        {
            pending.weight_history.push((i, snapshot(session, g, plan, &watch_names)?));
            if pending.weight_history.len() >= 512 {
                let mut k = 0;
                pending.weight_history.retain(|_| {
                    k += 1;
                    k % 2 == 0
                });
            }
        }
        if let Some(b) = budget.as_mut() {
            *b = b.saturating_sub(1);
        }

        since_clock += 1;
        if since_clock < clock_every && !(paused && budget.is_some_and(|b| b == 0)) {
            continue;
        }
        since_clock = 0;
        poll = true;
        let now = Instant::now();
        if now.duration_since(last_clock) < Duration::from_micros(500) {
            clock_every = (clock_every * 2).min(1024);
        } else {
            clock_every = (clock_every / 2).max(1);
        }
        last_clock = now;
        if now.duration_since(last_flush) >= UPDATE_INTERVAL {
            let dt = now.duration_since(rate_mark.0).as_secs_f64();
            if dt > 0.0 {
                pending.steps_per_sec = (i - rate_mark.1) as f64 / dt;
            }
            if dt > 1.0 {
                rate_mark = (now, i);
            }
            if let Some(plan) = watch_plan
                && last_snapshot.is_none_or(|t| now.duration_since(t) >= SNAPSHOT_INTERVAL)
            {
                pending.weights = Some(snapshot(session, g, plan, &watch_names)?);
                last_snapshot = Some(now);
                last_snapshot_step = Some(i);
            }
            if let Some((plan, feed, b)) = &boundary
                && last_boundary.is_none_or(|(t, _)| now.duration_since(t) >= BOUNDARY_INTERVAL)
            {
                pending.boundary = Some(boundary_grid(session, g, *plan, feed, b, i)?);
                last_boundary = Some((now, i));
            }
            if flush(&mut pending, false) {
                last_flush = now;
            }
        }
    }
    // The line printed after the loop.
    if let Some(end) = spec.eval.as_ref().and_then(|e| e.end.as_ref()) {
        let all = match &spec.data {
            TrainData::Table(t) => feed_values(spec, None, Rows::of(0..t.rows)),
            TrainData::Images { sets, .. } => {
                let set = sets.split(end.split.unwrap_or_default());
                feed_values(spec, Some(set), Rows::of(0..set.len()))
            }
        };
        let mut values = Vec::with_capacity(end.args.len());
        for a in &end.args {
            values.push(match a {
                LogArg::Step => LogValue::Int(i as i64),
                LogArg::StepPlusOne => LogValue::Int(i as i64 + 1),
                LogArg::Tensor(t) => {
                    let (p, _) = session.prepare(g, &[*t], &fed, &[])?;
                    session.run_prepared(g, p, &all)?;
                    let v = session.fetched(p, 0, &all).and_then(Value::first_f64).unwrap_or(f64::NAN);
                    pending.metrics.push((i, g.tensor_name(*t), v));
                    LogValue::Float(v)
                }
            });
        }
        pending.logs.push(format_values(&end.format, &values));
    }
    // Final snapshot and progress.
    if let Some(plan) = watch_plan {
        pending.weights = Some(snapshot(session, g, plan, &watch_names)?);
    }
    if let Some((plan, feed, b)) = &boundary
        && last_boundary.is_none_or(|(_, s)| s != i)
    {
        pending.boundary = Some(boundary_grid(session, g, *plan, feed, b, i)?);
    }
    pending.paused = false;
    flush(&mut pending, true);
    Ok(stopped)
}
