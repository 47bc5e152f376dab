//! `flowbench debug`: replays a project's script with a run observer (see
//! `crate::engine::runtime::observer`) on every session, printing each op as it runs
//! (`name:k (Type) -> shape dtype min/mean/max`) and stopping where asked (tfdbg's
//! `run -f has_inf_or_nan`, or at a node), naming the op and the run or training step.
//!
//! The output, in script order:
//! - each `session.run` outside a train loop: a header `run N: fetches [...] targets [...]`, then
//!   one line per op it executed (per output, for ops with several);
//! - the program's own printed lines, as `flowbench run` prints them;
//! - each train loop: one header line, nothing per step, and one summary line when it ends; when
//!   it stops in a training step, that step's ops up to the stop are printed (the runs the loop
//!   makes to log the loss are counted, not printed nor checked);
//! - where it stops: `step 1: first non-finite value at Log_1:0 (Log), input sub_1:0 min 0`
//!   (with how many values are inf or NaN and the first one's index), or
//!   `run 3: stopped at Log (Log)`, or `step 17: stopped after the step`. The rest of the
//!   script is not run.

use crate::engine::error::{Error, Result};
use crate::engine::graph::Graph;
use crate::engine::runtime::observer::{Flow, OpEvent, RunInfo, RunObserver, Summary, TensorFilter, exact};
use crate::interpreter::{Interpreter, ScriptOutput};
use crate::project::Project;
use crate::project::script::Step;
use std::sync::{Arc, Mutex, MutexGuard};

/// Where to stop.
#[derive(Clone, Debug, PartialEq)]
pub enum Until {
    /// At the first op with an output the filter matches (tfdbg's `run -f has_inf_or_nan`).
    Filter(TensorFilter),
    /// Right after the named op runs (`Log` or `Log:0`).
    Node(String),
}

/// What `flowbench debug` watches.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DebugOptions {
    /// Stop condition; none runs the script to its end.
    pub until: Option<Until>,
    /// Training step to watch: with `until`, the condition is checked only in train loops, from
    /// this step on; without, the run stops after this step, printing its ops.
    pub step: Option<u64>,
}

/// How a debug run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DebugOutcome {
    /// It stopped where asked.
    Stopped,
    /// The script ran to its end.
    Finished,
}

/// One executed op, kept until it is printed.
struct OpLine {
    name: String,
    type_name: &'static str,
    outputs: Vec<Summary>,
}

impl OpLine {
    fn lines(&self, out: &mut Vec<String>) {
        if self.outputs.is_empty() {
            out.push(format!("  {} ({})", self.name, self.type_name));
        }
        for (k, s) in self.outputs.iter().enumerate() {
            out.push(format!("  {}:{k} ({}) -> {}", self.name, self.type_name, s.text()));
        }
    }
}

#[derive(Default)]
enum Mode {
    /// Plain `session.run`s: every op printed.
    #[default]
    Plain,
    /// A train loop whose training runs target `train_op`.
    Train {
        train_op: String,
        /// Training runs begun so far in this loop (the current step is this minus one).
        train_runs: u64,
        other_runs: u64,
        /// The current run is a training step.
        in_step: bool,
        /// The ops of the current training step so far.
        step_ops: Vec<OpLine>,
    },
}

#[derive(Default)]
struct State {
    opts: DebugOptions,
    mode: Mode,
    /// `session.run`s outside train loops so far.
    runs: u64,
    /// Ops in the current run's plan.
    plan_ops: usize,
    /// Lines ready to print.
    lines: Vec<String>,
    /// Set once the run stopped where asked.
    stopped: bool,
}

impl State {
    fn where_(&self) -> String {
        match &self.mode {
            Mode::Train { train_runs, .. } => format!("step {}", train_runs.saturating_sub(1)),
            Mode::Plain => format!("run {}", self.runs),
        }
    }

    /// Whether conditions are checked in the current run.
    fn watching(&self) -> bool {
        match (&self.mode, self.opts.step) {
            (Mode::Train { in_step, train_runs, .. }, Some(n)) => *in_step && train_runs.saturating_sub(1) >= n,
            (Mode::Train { in_step, .. }, None) => *in_step,
            (Mode::Plain, step) => step.is_none(),
        }
    }
}

/// The observer set on each session; the state is shared with the driver.
struct Watch(Arc<Mutex<State>>);

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RunObserver for Watch {
    fn begin_run(&mut self, graph: &Graph, run: &RunInfo<'_>) {
        let mut st = lock(&self.0);
        st.plan_ops = run.ops;
        match &mut st.mode {
            Mode::Train { train_op, train_runs, other_runs, in_step, step_ops } => {
                *in_step = run.targets.iter().any(|t| graph.node(*t).is_some_and(|n| n.name == *train_op));
                if *in_step {
                    *train_runs += 1;
                    step_ops.clear();
                } else {
                    *other_runs += 1;
                }
            }
            Mode::Plain => {
                st.runs += 1;
                let mut parts = Vec::new();
                let names = |ts: Vec<String>| format!("[{}]", ts.join(", "));
                if !run.fetches.is_empty() {
                    parts.push(format!(
                        "fetches {}",
                        names(run.fetches.iter().map(|t| graph.tensor_name(*t)).collect())
                    ));
                }
                if !run.targets.is_empty() {
                    let targets = run.targets.iter().filter_map(|t| graph.node(*t)).map(|n| n.name.clone()).collect();
                    parts.push(format!("targets {}", names(targets)));
                }
                if !run.feeds.is_empty() {
                    parts.push(format!("feeds {}", names(run.feeds.iter().map(|t| graph.tensor_name(*t)).collect())));
                }
                let line = format!("run {}: {}", st.runs, parts.join(" "));
                st.lines.push(line);
            }
        }
    }

    fn after_op(&mut self, graph: &Graph, op: &OpEvent<'_>) -> Flow {
        let mut st = lock(&self.0);
        let watching = st.watching();
        let keep = match &st.mode {
            Mode::Plain => true,
            Mode::Train { in_step, .. } => *in_step,
        };
        if !keep {
            return Flow::Continue;
        }
        let line = OpLine {
            name: op.node.name.clone(),
            type_name: op.node.op.type_name(),
            outputs: op.outputs.iter().map(Summary::of).collect(),
        };
        let mut report = Vec::new();
        if watching {
            match &st.opts.until {
                Some(Until::Filter(f @ TensorFilter::HasInfOrNan)) => {
                    if let Some((k, s)) = line.outputs.iter().enumerate().find(|(_, s)| f.matches(s)) {
                        let inputs: Vec<String> = op
                            .node
                            .inputs
                            .iter()
                            .zip(op.inputs)
                            .filter_map(|(t, v)| v.map(|v| (graph.tensor_name(*t), Summary::of(v))))
                            .map(|(name, s)| format!("input {name} min {}", exact(s.dtype, s.min)))
                            .collect();
                        let inputs = if inputs.is_empty() { String::new() } else { format!(", {}", inputs.join(", ")) };
                        report.push(format!(
                            "{}: first non-finite value at {}:{k} ({}){inputs}",
                            st.where_(),
                            line.name,
                            line.type_name
                        ));
                        let first = s.first_non_finite.unwrap_or(0);
                        let value = op.outputs.get(k).map(|v| v.to_f64_vec().get(first).copied()).unwrap_or(None);
                        let total: usize = s.shape.iter().product();
                        report.push(format!(
                            "  {}:{k}: {} of {total} values are inf or nan, the first {} at {}",
                            line.name,
                            s.non_finite,
                            exact(s.dtype, value),
                            s.index_text(first)
                        ));
                    }
                }
                Some(Until::Filter(f @ TensorFilter::AllZeros)) => {
                    if let Some((k, _)) = line.outputs.iter().enumerate().find(|(_, s)| f.matches(s)) {
                        report.push(format!(
                            "{}: first all-zero value at {}:{k} ({})",
                            st.where_(),
                            line.name,
                            line.type_name
                        ));
                    }
                }
                Some(Until::Filter(f @ TensorFilter::LargerThan(limit))) => {
                    if let Some((k, s)) = line.outputs.iter().enumerate().find(|(_, s)| f.matches(s)) {
                        report.push(format!(
                            "{}: first value larger than {} in magnitude at {}:{k} ({}): {}",
                            st.where_(),
                            crate::engine::runtime::observer::number(crate::engine::DType::Float64, Some(*limit)),
                            line.name,
                            line.type_name,
                            s.text()
                        ));
                    }
                }
                Some(Until::Node(name)) => {
                    let base = name.split_once(':').map_or(name.as_str(), |(b, _)| b);
                    if base == line.name {
                        report.push(format!("{}: stopped at {} ({})", st.where_(), line.name, line.type_name));
                    }
                }
                None => {
                    if st.opts.step.is_some() && op.index + 1 == st.plan_ops {
                        report.push(format!("{}: stopped after the step", st.where_()));
                    }
                }
            }
        }
        let stop = !report.is_empty();
        let st = &mut *st;
        match &mut st.mode {
            Mode::Plain => line.lines(&mut st.lines),
            Mode::Train { step_ops, train_runs, .. } => {
                step_ops.push(line);
                if stop {
                    st.lines.push(format!("step {}: the ops run in this step", train_runs.saturating_sub(1)));
                    for l in step_ops.iter() {
                        l.lines(&mut st.lines);
                    }
                }
            }
        }
        if stop {
            st.lines.append(&mut report);
            st.stopped = true;
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

/// Replays `project`'s script under the debugger (see the module doc), sending each printed line
/// (with its line end) to `out`. An error of the program itself is returned as `flowbench run`
/// would report it.
pub fn debug_script(project: &Project, opts: &DebugOptions, out: &mut dyn FnMut(String)) -> Result<DebugOutcome> {
    let mut ws = project.workspace().map_err(|e| Error::value_error(e.to_string()))?;
    if let Some(Until::Node(name)) = &opts.until {
        let base = name.split_once(':').map_or(name.as_str(), |(b, _)| b);
        let known = ws.graphs.iter().any(|g| g.graph.find(base).is_some())
            || project.script.iter().any(|s| matches!(s, Step::AddNode { node, .. } if node.name == base));
        if !known {
            return Err(Error::value_error(format!("No op named '{base}' in the project's graphs.")));
        }
    }
    let state = Arc::new(Mutex::new(State { opts: opts.clone(), ..State::default() }));
    let flush = |out: &mut dyn FnMut(String)| {
        let lines = std::mem::take(&mut lock(&state).lines);
        for l in lines {
            out(l + "\n");
        }
    };
    let mut interp = Interpreter { project, ws: &mut ws };
    let mut result = Ok(DebugOutcome::Finished);
    for step in &project.script {
        if let Step::TrainLoop { train_op, steps, batch_size, .. } = step {
            lock(&state).mode = Mode::Train {
                train_op: train_op.clone(),
                train_runs: 0,
                other_runs: 0,
                in_step: false,
                step_ops: Vec::new(),
            };
            out(format!(
                "train loop: {steps} steps of {train_op}, batch {batch_size} (ops are printed only for the step where it stops)\n"
            ));
        } else {
            lock(&state).mode = Mode::Plain;
        }
        let r = interp.step(step, &mut |o: ScriptOutput| {
            flush(&mut *out);
            if lock(&state).stopped {
                return;
            }
            match o {
                ScriptOutput::Text(t) => out(t),
                ScriptOutput::Placement(line) => out(line + "\n"),
            }
        });
        flush(&mut *out);
        if lock(&state).stopped {
            result = Ok(DebugOutcome::Stopped);
            break;
        }
        if let Err(e) = r {
            result = Err(e);
            break;
        }
        if let Mode::Train { train_runs, other_runs, .. } = &lock(&state).mode {
            let checked = if opts.until.is_some() { ", no stop" } else { "" };
            out(format!("train loop: {train_runs} training runs and {other_runs} other runs done{checked}\n"));
        }
        // Sessions opened by this step get the observer.
        for entry in &mut interp.ws.sessions {
            if !entry.session.has_observer() && !entry.session.is_closed() {
                entry.session.set_observer(Some(Box::new(Watch(Arc::clone(&state)))));
            }
        }
    }
    if let Some(dir) = ws.scratch_dir.take() {
        let _ = std::fs::remove_dir_all(dir);
    }
    if matches!(result, Ok(DebugOutcome::Finished)) && (opts.until.is_some() || opts.step.is_some()) {
        out("no stop: the script ran to its end\n".to_string());
    }
    result
}
