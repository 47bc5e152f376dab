//! The window's debugger (tfdbg, on the canvas): [`DebugWatch`], a run observer
//! (`crate::engine::runtime::observer`) set on a session, records each op a run executes (its
//! outputs and inputs, copied while small) into a shared [`DebugState`] and pauses the run where
//! the window asked ([`Resume`]: one op, a whole scope, to a node, until a tensor [`Filter`]
//! matches, or at a breakpoint). Pausing blocks the thread that runs the session (the debug run's
//! own thread, or the training worker), never the UI thread: the observer waits on a channel for
//! the next [`Go`], and wakes the window (`ctx.request_repaint`) each time it records or stops.
//!
//! A debug run of the run panel ([`DebugRun`]) runs `session.run` on a thread named
//! `flowbench-debug` and hands the session back when the run ends. A training job started with
//! the debugger (its "Stop at the first NaN/Inf" or "Debug step") gets a [`DebugWatch`] that only
//! watches the training runs (those that run the train op), counting them as steps. A session
//! without an observer runs as before: the debugger costs nothing when it is off.
//!
//! [`updates`] reads a recorded training step back as one row per trained variable: its value
//! before, the gradient, the optimizer's slots before and after, the value after, with TF's
//! update formula and the numbers put into it.

use crate::engine::graph::tensor_name::TensorName;
use crate::engine::graph::{Graph, NodeId};
use crate::engine::runtime::observer::{Flow, OpEvent, RunInfo, RunObserver, Summary, exact};
use crate::engine::runtime::session::{RunOutput, Session};
use crate::engine::value::Value;
use crate::engine::{DType, Error};
use crossbeam_channel::{Receiver, Sender};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// Values with more elements than this are summarised, not copied.
pub const MAX_KEPT: usize = 1 << 16;

/// A tensor filter (tfdbg's `run -f`): the engine's, shared with `flowbench debug`.
pub use crate::engine::runtime::observer::TensorFilter as Filter;

/// How a paused run goes on.
#[derive(Clone, Debug, PartialEq)]
pub enum Resume {
    /// Run one op.
    Step,
    /// Run every op of the plan in this name scope (`gradients/`), pausing after the last one.
    StepOver(String),
    /// Run to the end (or the next breakpoint).
    Continue,
    /// Run until this op has run.
    RunTo(String),
    /// Run until an output matches the filter.
    Until(Filter),
    /// Pause after the op at this position of the plan (a resolved `StepOver`).
    ToIndex(usize),
}

/// What the window tells a paused run.
#[derive(Clone, Debug, PartialEq)]
pub enum Go {
    /// Go on this way.
    Resume(Resume),
    /// End the run here (`CancelledError`).
    Abort,
}

/// Why the run is paused.
#[derive(Clone, Debug, PartialEq)]
pub enum Pause {
    /// Before its first op.
    Start,
    /// After one op.
    Step,
    /// After the last op of a scope.
    Scope,
    /// At a breakpoint.
    Breakpoint(String),
    /// At the op asked for.
    Node(String),
    /// An output matched the filter: which tensor.
    Filter(Filter, String),
}

/// One op that ran, as recorded.
#[derive(Clone, Debug)]
pub struct OpRecord {
    /// The node's name.
    pub name: String,
    /// Its op type (`MatMul`).
    pub type_name: &'static str,
    /// Each output's summary.
    pub outputs: Vec<Summary>,
    /// Each output's value, when small enough to keep.
    pub values: Vec<Option<Value>>,
    /// Each input: its tensor's name, summary and value (a ref input: the variable after the op
    /// wrote it).
    pub inputs: Vec<(String, Option<Summary>, Option<Value>)>,
    /// For each ref input (`None` for the others): the variable before the op wrote it.
    pub refs_before: Vec<Option<Value>>,
}

/// What the debugger shares between the thread that runs and the window.
#[derive(Debug, Default)]
pub struct DebugState {
    /// The graph (workspace index) being run.
    pub graph: usize,
    /// The run's plan in execution order: names and op types.
    pub order: Vec<(String, &'static str)>,
    /// The ops that ran so far in this run, in order.
    pub records: Vec<OpRecord>,
    /// The run is waiting for a [`Go`].
    pub paused: bool,
    /// Why it paused last.
    pub why: Option<Pause>,
    /// Ops that pause the run after they run.
    pub breakpoints: BTreeSet<String>,
    /// How the run goes on now.
    pub mode: Option<Resume>,
    /// Training: the train op; only runs that run it are watched (the steps).
    pub train_op: Option<String>,
    /// Training: steps begun so far.
    pub train_runs: u64,
    /// Training: pause at the first inf or NaN of a step.
    pub watch_nan: bool,
    /// Training: step through the next training step from its first op.
    pub break_next_step: bool,
    /// The current run is watched (a training run, or the debug run).
    pub watched: bool,
    /// The run ended (every op of the plan ran, or it was stopped).
    pub done: bool,
    /// The run was ended by the debugger.
    pub aborted: bool,
    /// The run failed with this error (as TF words it).
    pub failed: Option<String>,
    /// Training: the run shown is not a step but one the job makes between steps (the
    /// evaluation of the loss on all data, a snapshot), paused where a non-finite value appeared.
    pub between_steps: bool,
    /// Set by [`Go::Abort`] given before the first op.
    abort_next: bool,
}

impl DebugState {
    /// The training step being watched (0-based, the loop's `i`), for a training debugger.
    pub fn step(&self) -> Option<u64> {
        self.train_op.as_ref().map(|_| self.train_runs.saturating_sub(1))
    }

    /// The position in the plan of the op that runs next.
    pub fn next_index(&self) -> usize {
        self.records.len()
    }

    /// The record of an op of this run, by name.
    pub fn record(&self, name: &str) -> Option<&OpRecord> {
        self.records.iter().find(|r| r.name == name)
    }

    /// The scope of the op that runs next, with each enclosing scope (`gradients/`,
    /// `gradients/Log_grad/`), outermost first.
    pub fn next_scopes(&self) -> Vec<String> {
        let Some((name, _)) = self.order.get(self.next_index()) else { return Vec::new() };
        let parts: Vec<&str> = name.split('/').collect();
        (1..parts.len()).map(|k| format!("{}/", parts[..k].join("/"))).collect()
    }
}

/// A run's plan: each op's name and type, in execution order.
pub type Plan = Vec<(String, &'static str)>;

/// Locks the shared state (a poisoned lock is still read: the state is plain data).
pub fn lock(state: &Mutex<DebugState>) -> MutexGuard<'_, DebugState> {
    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The observer set on a debugged session.
pub struct DebugWatch {
    state: Arc<Mutex<DebugState>>,
    go: Receiver<Go>,
    wake: Option<crate::train::worker::Waker>,
    /// Training with the NaN watch: a run between steps, its plan and ops kept here (not shown)
    /// until a non-finite value appears.
    between: Option<(Plan, Vec<OpRecord>)>,
}

impl DebugWatch {
    /// An observer sharing `state`, taking its orders from `go`, waking the window with `wake`.
    pub fn new(
        state: Arc<Mutex<DebugState>>,
        go: Receiver<Go>,
        wake: Option<crate::train::worker::Waker>,
    ) -> DebugWatch {
        DebugWatch { state, go, wake, between: None }
    }

    fn wake(&self) {
        if let Some(w) = &self.wake {
            w();
        }
    }

    /// Pauses (the lock released) until the window says how to go on; false to end the run.
    fn pause(&self, mut st: MutexGuard<'_, DebugState>, why: Pause) -> bool {
        st.paused = true;
        st.why = Some(why);
        drop(st);
        self.wake();
        let go = self.go.recv().unwrap_or(Go::Abort);
        let mut st = lock(&self.state);
        st.paused = false;
        match go {
            Go::Resume(Resume::StepOver(scope)) => {
                let next = st.next_index();
                let last = st.order.iter().enumerate().skip(next).rfind(|(_, (n, _))| n.starts_with(&scope));
                st.mode = Some(match last {
                    Some((i, _)) => Resume::ToIndex(i),
                    None => Resume::Step,
                });
                true
            }
            Go::Resume(r) => {
                st.mode = Some(r);
                true
            }
            Go::Abort => {
                st.aborted = true;
                false
            }
        }
    }
}

fn kept(v: &Value) -> Option<Value> {
    (v.len() <= MAX_KEPT).then(|| v.clone())
}

fn plan_of(graph: &Graph, run: &RunInfo<'_>) -> Vec<(String, &'static str)> {
    run.order.iter().filter_map(|&id: &NodeId| graph.node(id)).map(|n| (n.name.clone(), n.op.type_name())).collect()
}

fn record_of(graph: &Graph, op: &OpEvent<'_>) -> OpRecord {
    OpRecord {
        name: op.node.name.clone(),
        type_name: op.node.op.type_name(),
        values: op.outputs.iter().map(kept).collect(),
        inputs: op
            .node
            .inputs
            .iter()
            .zip(op.inputs)
            .map(|(t, v)| (graph.tensor_name(*t), v.map(Summary::of), v.and_then(kept)))
            .collect(),
        refs_before: op.refs_before.iter().map(|v| v.as_ref().and_then(kept)).collect(),
        outputs: op.outputs.iter().map(Summary::of).collect(),
    }
}

impl RunObserver for DebugWatch {
    fn begin_run(&mut self, graph: &Graph, run: &RunInfo<'_>) {
        let mut st = lock(&self.state);
        let training = st.train_op.is_some();
        let is_step = st
            .train_op
            .as_ref()
            .is_none_or(|t| run.targets.iter().any(|id| graph.node(*id).is_some_and(|n| n.name == *t)));
        st.watched = is_step;
        self.between = None;
        if !is_step {
            if training && st.watch_nan {
                self.between = Some((plan_of(graph, run), Vec::new()));
            }
            return;
        }
        st.order = plan_of(graph, run);
        st.records.clear();
        st.between_steps = false;
        st.done = false;
        st.aborted = false;
        st.why = None;
        if training {
            st.train_runs += 1;
            let stepping = std::mem::take(&mut st.break_next_step);
            st.mode = Some(if stepping {
                Resume::Step
            } else if st.watch_nan {
                Resume::Until(Filter::HasInfOrNan)
            } else {
                Resume::Continue
            });
        }
        if st.mode == Some(Resume::Step) && !self.pause(st, Pause::Start) {
            lock(&self.state).abort_next = true;
        }
    }

    fn after_op(&mut self, graph: &Graph, op: &OpEvent<'_>) -> Flow {
        let mut st = lock(&self.state);
        if !st.watched {
            // A run between steps, watched for inf or NaN only.
            let Some((_, records)) = &mut self.between else { return Flow::Continue };
            let record = record_of(graph, op);
            let hit = record.outputs.iter().position(Summary::has_inf_or_nan);
            let tensor = format!("{}:{}", record.name, hit.unwrap_or(0));
            records.push(record);
            if hit.is_none() {
                return Flow::Continue;
            }
            let Some((order, records)) = self.between.take() else { return Flow::Continue };
            st.order = order;
            st.records = records;
            st.between_steps = true;
            st.done = false;
            st.aborted = false;
            return if self.pause(st, Pause::Filter(Filter::HasInfOrNan, tensor)) {
                Flow::Continue
            } else {
                lock(&self.state).done = true;
                Flow::Stop
            };
        }
        if std::mem::take(&mut st.abort_next) {
            st.done = true;
            return Flow::Stop;
        }
        let record = record_of(graph, op);
        let name = record.name.clone();
        let index = op.index;
        let matched = match &st.mode {
            Some(Resume::Until(f)) => {
                record.outputs.iter().position(|s| f.matches(s)).map(|k| Pause::Filter(*f, format!("{name}:{k}")))
            }
            _ => None,
        };
        st.records.push(record);
        let last = index + 1 >= st.order.len();
        let why = match &st.mode {
            Some(Resume::Step) => Some(Pause::Step),
            Some(Resume::ToIndex(i)) if index >= *i => Some(Pause::Scope),
            Some(Resume::RunTo(n)) if TensorName::op_of(n) == name => Some(Pause::Node(name.clone())),
            _ => matched,
        }
        .or_else(|| st.breakpoints.contains(&name).then(|| Pause::Breakpoint(name.clone())));
        if last {
            st.done = true;
        }
        let go_on = match why {
            Some(why) => self.pause(st, why),
            None => {
                drop(st);
                self.wake();
                true
            }
        };
        if go_on {
            Flow::Continue
        } else {
            lock(&self.state).done = true;
            Flow::Stop
        }
    }
}

/// A debug run of the run panel: `session.run` on its own thread, under a [`DebugWatch`].
pub struct DebugRun {
    /// The shared state.
    pub state: Arc<Mutex<DebugState>>,
    go: Sender<Go>,
    handle: Option<JoinHandle<(Session, crate::engine::Result<RunOutput>)>>,
    /// The workspace session it runs in (taken while it runs).
    pub session: usize,
    /// What the run panel asked for: fetches, targets, feeds and the graph names resolve in.
    pub step: crate::project::script::Step,
}

impl DebugRun {
    /// Starts the run, paused before its first op. On failure to start the thread, the session
    /// comes back with the error.
    #[allow(clippy::too_many_arguments)]
    pub fn spawn(
        mut session: Session,
        graph: Graph,
        graph_index: usize,
        run: crate::engine::runtime::workspace::ResolvedRun,
        breakpoints: BTreeSet<String>,
        wake: Option<crate::train::worker::Waker>,
        index: usize,
        step: crate::project::script::Step,
    ) -> Result<DebugRun, Box<(Session, Error)>> {
        let state = Arc::new(Mutex::new(DebugState {
            graph: graph_index,
            breakpoints,
            mode: Some(Resume::Step),
            watched: true,
            ..DebugState::default()
        }));
        let (tx, rx) = crossbeam_channel::unbounded();
        session.set_observer(Some(Box::new(DebugWatch::new(Arc::clone(&state), rx, wake.clone()))));
        let slot = Arc::new(Mutex::new(Some(session)));
        let body = {
            let slot = Arc::clone(&slot);
            let state = Arc::clone(&state);
            move || {
                let mut session = match slot.lock().ok().and_then(|mut s| s.take()) {
                    Some(s) => s,
                    None => Session::new(&graph, Default::default()),
                };
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    session.run(&graph, &run.fetches, &run.feeds, &run.targets)
                }))
                .unwrap_or_else(|_| Err(Error::internal("the debug run panicked")));
                session.set_observer(None);
                {
                    let mut st = lock(&state);
                    st.done = true;
                    st.paused = false;
                    if let (Err(e), false) = (&result, st.aborted) {
                        st.failed = Some(e.to_string());
                    }
                }
                if let Some(w) = &wake {
                    w();
                }
                (session, result)
            }
        };
        match std::thread::Builder::new().name("flowbench-debug".to_string()).spawn(body) {
            Ok(h) => Ok(DebugRun { state, go: tx, handle: Some(h), session: index, step }),
            Err(e) => {
                let mut back = slot
                    .lock()
                    .ok()
                    .and_then(|mut s| s.take())
                    .unwrap_or_else(|| Session::new(&Graph::new(), Default::default()));
                back.set_observer(None);
                Err(Box::new((back, Error::internal(format!("could not start the debug thread: {e}")))))
            }
        }
    }

    /// Tells the paused run how to go on (never blocks).
    pub fn send(&self, go: Go) {
        let _ = self.go.send(go);
    }

    /// True once the thread ended.
    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(|h| h.is_finished())
    }

    /// Takes the session and the run's result back (after [`DebugRun::is_finished`]).
    pub fn join(mut self) -> Option<(Session, crate::engine::Result<RunOutput>)> {
        self.handle.take().and_then(|h| h.join().ok())
    }
}

impl Drop for DebugRun {
    fn drop(&mut self) {
        let _ = self.go.send(Go::Abort);
    }
}

/// The debugger attached to a training job's session.
pub struct TrainDebug {
    /// The shared state.
    pub state: Arc<Mutex<DebugState>>,
    /// Orders for the paused worker.
    pub go: Sender<Go>,
    /// The workspace session the job trains in.
    pub session: usize,
}

impl TrainDebug {
    /// Sets a [`DebugWatch`] for training runs of `train_op` on `session` (index `index`).
    pub fn attach(
        session: &mut Session,
        index: usize,
        graph: usize,
        train_op: &str,
        watch_nan: bool,
        breakpoints: BTreeSet<String>,
        wake: Option<crate::train::worker::Waker>,
    ) -> TrainDebug {
        let state = Arc::new(Mutex::new(DebugState {
            graph,
            breakpoints,
            train_op: Some(TensorName::op_of(train_op).to_string()),
            watch_nan,
            ..DebugState::default()
        }));
        let (tx, rx) = crossbeam_channel::unbounded();
        session.set_observer(Some(Box::new(DebugWatch::new(Arc::clone(&state), rx, wake))));
        TrainDebug { state, go: tx, session: index }
    }
}

/// The window's debugger: the debug run, the training debugger, and what the panels chose.
#[derive(Default)]
pub struct Debugger {
    /// The run panel's debug run, while it runs.
    pub run: Option<DebugRun>,
    /// The training job's debugger, while the job lives.
    pub train: Option<TrainDebug>,
    /// The state shown on the canvas (the last run's or the training step's, kept after it ends
    /// for inspection).
    pub shown: Option<Arc<Mutex<DebugState>>>,
    /// Breakpoints, by node name.
    pub breakpoints: BTreeSet<String>,
    /// The filter "Continue until" uses.
    pub filter: Filter,
    /// The next training job gets the debugger even without "Stop at the first NaN/Inf".
    pub want_train: bool,
    /// The element the update formula shows.
    pub element: usize,
}

impl Debugger {
    /// The order channel of the run being debugged (the debug run's, else the training one's).
    pub fn send(&self, go: Go) {
        if let Some(r) = &self.run {
            r.send(go);
        } else if let Some(t) = &self.train {
            let _ = t.go.send(go);
        }
    }

    /// True while a debug run or a debugged training job holds its session.
    pub fn active(&self) -> bool {
        self.run.is_some() || self.train.is_some()
    }
}

/// One trained variable in a recorded training step (see [`updates`]).
#[derive(Clone, Debug)]
pub struct VarUpdate {
    /// The variable (`Variable`).
    pub variable: String,
    /// The apply op (`Adam/update_Variable/ApplyAdam`) and its type.
    pub op: String,
    /// Its type (`ApplyAdam`).
    pub op_type: &'static str,
    /// The value before the step.
    pub before: Option<Value>,
    /// The gradient.
    pub grad: Option<Value>,
    /// Slots: name, value before, value after.
    pub slots: Vec<(String, Option<Value>, Option<Value>)>,
    /// Scalar inputs by TF's names (`lr`, `beta1`, `beta1_power`, …).
    pub scalars: Vec<(&'static str, f64)>,
    /// The value after the step.
    pub after: Option<Value>,
}

/// The trained variables of a recorded step, one per optimizer apply op that ran.
pub fn updates(st: &DebugState) -> Vec<VarUpdate> {
    let before_of =
        |tensor: &str| st.record(TensorName::op_of(tensor)).and_then(|r| r.values.first().cloned().flatten());
    let scalar = |r: &OpRecord, k: usize| r.inputs.get(k).and_then(|i| i.2.as_ref()).and_then(Value::first_f64);
    st.records
        .iter()
        .filter_map(|r| {
            let (slot_names, scalar_names, grad): (&[usize], &[(&'static str, usize)], usize) = match r.type_name {
                "ApplyGradientDescent" => (&[], &[("alpha", 1)], 2),
                "ApplyMomentum" => (&[1], &[("lr", 2), ("momentum", 4)], 3),
                "ApplyAdam" => (
                    &[1, 2],
                    &[("beta1_power", 3), ("beta2_power", 4), ("lr", 5), ("beta1", 6), ("beta2", 7), ("epsilon", 8)],
                    9,
                ),
                "ApplyRMSProp" => (&[1, 2], &[("lr", 3), ("rho", 4), ("momentum", 5), ("epsilon", 6)], 7),
                _ => return None,
            };
            let var = r.inputs.first()?;
            let ref_before = |k: usize, t: &str| r.refs_before.get(k).cloned().flatten().or_else(|| before_of(t));
            let mut slots: Vec<(String, Option<Value>, Option<Value>)> = slot_names
                .iter()
                .filter_map(|&k| r.inputs.get(k).map(|i| (k, i)))
                .map(|(k, (t, _, after))| (TensorName::op_of(t).to_string(), ref_before(k, t), after.clone()))
                .collect();
            // Adam's beta powers: read by the apply op, updated after it by `update_beta1/2`.
            if r.type_name == "ApplyAdam" {
                for k in [3, 4] {
                    if let Some((t, _, v)) = r.inputs.get(k) {
                        let name = TensorName::op_of(t).to_string();
                        let after = st
                            .records
                            .iter()
                            .filter(|a| a.type_name == "Assign")
                            .find(|a| a.inputs.first().is_some_and(|i| TensorName::op_of(&i.0) == name))
                            .and_then(|a| a.values.first().cloned().flatten());
                        slots.push((name, v.clone(), after));
                    }
                }
            }
            Some(VarUpdate {
                variable: TensorName::op_of(&var.0).to_string(),
                op: r.name.clone(),
                op_type: r.type_name,
                before: ref_before(0, &var.0),
                grad: r.inputs.get(grad).and_then(|g| g.2.clone()),
                slots,
                scalars: scalar_names.iter().filter_map(|&(n, k)| Some((n, scalar(r, k)?))).collect(),
                after: r.values.first().cloned().flatten(),
            })
        })
        .collect()
}

/// Element `i` of a value as a float, if it has one.
fn at(v: &Option<Value>, i: usize) -> Option<f64> {
    v.as_ref().and_then(|v| v.to_f64_vec().get(i).copied())
}

/// TF's update formula of an apply op, as lines, with element `i`'s numbers put into it (each
/// result is the value the kernel computed, read back from the step).
pub fn formula(u: &VarUpdate, i: usize) -> Vec<String> {
    let f = |x: Option<f64>| exact(DType::Float32, x);
    let s = |name: &str| u.scalars.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    let slot = |k: usize| u.slots.get(k).map(|(_, b, a)| (at(b, i), at(a, i))).unwrap_or((None, None));
    let (w0, w1, g) = (at(&u.before, i), at(&u.after, i), at(&u.grad, i));
    match u.op_type {
        "ApplyGradientDescent" => vec![
            "variable -= alpha * grad".to_string(),
            format!("{} = {} - {} * {}", f(w1), f(w0), f(s("alpha")), f(g)),
        ],
        "ApplyMomentum" => {
            let (a0, a1) = slot(0);
            vec![
                "accum = accum * momentum + grad".to_string(),
                "variable -= lr * accum".to_string(),
                format!("{} = {} * {} + {}", f(a1), f(a0), f(s("momentum")), f(g)),
                format!("{} = {} - {} * {}", f(w1), f(w0), f(s("lr")), f(a1)),
            ]
        }
        "ApplyAdam" => {
            let (m0, m1) = slot(0);
            let (v0, v1) = slot(1);
            let (b1p, b2p, lr) = (s("beta1_power"), s("beta2_power"), s("lr"));
            let lr_t = match (lr, b1p, b2p) {
                (Some(lr), Some(p1), Some(p2)) => {
                    let (lr, p1, p2) = (lr as f32, p1 as f32, p2 as f32);
                    Some(f64::from(lr * (1.0 - p2).sqrt() / (1.0 - p1)))
                }
                _ => None,
            };
            vec![
                "lr_t = lr * sqrt(1 - beta2_power) / (1 - beta1_power)".to_string(),
                "m_t = beta1 * m + (1 - beta1) * g".to_string(),
                "v_t = beta2 * v + (1 - beta2) * g * g".to_string(),
                "variable -= lr_t * m_t / (sqrt(v_t) + epsilon)".to_string(),
                format!("{} = {} * sqrt(1 - {}) / (1 - {})", f(lr_t), f(lr), f(b2p), f(b1p)),
                format!("{} = {} * {} + (1 - {}) * {}", f(m1), f(s("beta1")), f(m0), f(s("beta1")), f(g)),
                format!("{} = {} * {} + (1 - {}) * {} * {}", f(v1), f(s("beta2")), f(v0), f(s("beta2")), f(g), f(g)),
                format!("{} = {} - {} * {} / (sqrt({}) + {})", f(w1), f(w0), f(lr_t), f(m1), f(v1), f(s("epsilon"))),
            ]
        }
        "ApplyRMSProp" => {
            let (ms0, ms1) = slot(0);
            let (mom0, mom1) = slot(1);
            vec![
                "ms = rho * ms + (1 - rho) * grad * grad".to_string(),
                "mom = momentum * mom + lr * grad / sqrt(ms + epsilon)".to_string(),
                "variable -= mom".to_string(),
                format!("{} = {} * {} + (1 - {}) * {} * {}", f(ms1), f(s("rho")), f(ms0), f(s("rho")), f(g), f(g)),
                format!(
                    "{} = {} * {} + {} * {} / sqrt({} + {})",
                    f(mom1),
                    f(s("momentum")),
                    f(mom0),
                    f(s("lr")),
                    f(g),
                    f(ms1),
                    f(s("epsilon"))
                ),
                format!("{} = {} - {}", f(w1), f(w0), f(mom1)),
            ]
        }
        _ => Vec::new(),
    }
}

/// A small histogram of a value's finite elements: `bins` counts from min to max.
pub fn histogram(v: &Value, bins: usize) -> Vec<u32> {
    let xs: Vec<f64> = v.to_f64_vec().into_iter().filter(|x| x.is_finite()).collect();
    let mut out = vec![0u32; bins.max(1)];
    let (lo, hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    if xs.is_empty() {
        return out;
    }
    let width = (hi - lo).max(f64::MIN_POSITIVE);
    let n = out.len();
    for x in xs {
        let k = (((x - lo) / width) * n as f64) as usize;
        if let Some(c) = out.get_mut(k.min(n - 1)) {
            *c += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_as_tfdbg_names_them() {
        let zeros = Summary::of(&Value::zeros(DType::Float32, &[3]));
        assert!(Filter::AllZeros.matches(&zeros));
        assert!(!Filter::HasInfOrNan.matches(&zeros));
        let big = Summary::of(&Value::scalar_f32(-2000.0));
        assert!(Filter::LargerThan(1000.0).matches(&big));
        assert!(!Filter::LargerThan(3000.0).matches(&big));
        assert_eq!(Filter::LargerThan(1000.0).name(), "larger_than(1000)");
        let h = histogram(
            &Value::F32(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[4]), vec![0.0, 1.0, 1.0, 2.0]).unwrap()),
            2,
        );
        assert_eq!(h, [1, 3]);
    }
}

/// What the debugger's controls ask for (see `crate::app::apply`).
#[derive(Clone, Debug, PartialEq)]
pub enum DebugCommand {
    /// Run one op.
    Step,
    /// Run the rest of this name scope (`gradients/`).
    StepOver(String),
    /// Run to the end of the run (or the next breakpoint).
    Continue,
    /// Run until this op has run.
    RunTo(String),
    /// Run until an output matches the chosen filter.
    ContinueUntil,
    /// End the run here (`CancelledError`).
    Stop,
    /// Sets or clears a breakpoint on an op.
    ToggleBreakpoint(String),
    /// Chooses the filter of "Continue until".
    SetFilter(Filter),
    /// Training: run the next training step under the debugger, paused before its first op
    /// (starting the job, paused, with the debugger when none runs).
    TrainStep,
    /// Closes the debugger's window (once no run is paused in it).
    Close,
    /// Chooses the element the update formula shows.
    SetElement(usize),
}
