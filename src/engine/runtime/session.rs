//! `tf.Session`: owns variable values and random-generator state for one graph, compiles a run
//! plan per (fetches, feeds, targets) signature (a pruned topological order with buffers kept
//! between runs), places nodes on devices under a `ConfigProto`, and reports what it holds.

use crate::engine::dtype::DType;
use crate::engine::error::{Error, ErrorClass, Result};
use crate::engine::graph::elementwise::BinaryOp;
use crate::engine::graph::op::Op;
use crate::engine::graph::{Graph, NodeId, Output};
use crate::engine::kernels::random::{self, Philox};
use crate::engine::kernels::{apply, cast, elementwise, matmul, nn, reduce};
use crate::engine::runtime::fastpath::{FastProgram, StepView};
use crate::engine::runtime::feed::{Feed, check_feed};
use crate::engine::runtime::observer::{Flow, OpEvent, RunInfo, RunObserver};
use crate::engine::runtime::placement::{self, Placement};
/// A feed of a run (defined in `runtime::feed`, kept here for the callers of `session`).
use crate::engine::value::Value;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// `tf.GPUOptions`: kept and shown; there is no GPU to apply them to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GpuOptions {
    /// Grow GPU memory as needed instead of reserving it up front.
    pub allow_growth: bool,
    /// Fraction of GPU memory the process may take (0 = TF's default).
    pub per_process_gpu_memory_fraction: f64,
}

impl Default for GpuOptions {
    fn default() -> Self {
        GpuOptions { allow_growth: false, per_process_gpu_memory_fraction: 0.0 }
    }
}

/// The most threads a session's pool gets (`intra_op_parallelism_threads` above it is refused
/// when a project is loaded, and capped here).
pub const MAX_THREADS: u32 = 256;

/// `tf.ConfigProto`: the options a session is opened with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ConfigProto {
    /// Fall back to an available device when a requested one does not exist.
    pub allow_soft_placement: bool,
    /// Log where each op is placed.
    pub log_device_placement: bool,
    /// Threads for big kernels in this session (0 = one per core).
    pub intra_op_parallelism_threads: u32,
    /// Threads for running independent ops (0 = default). Ops run one after another here; the
    /// value is kept for TF compatibility and shown.
    pub inter_op_parallelism_threads: u32,
    /// GPU options.
    pub gpu_options: GpuOptions,
    /// Cancel a run that takes longer than this (0 = no limit).
    pub operation_timeout_in_ms: i64,
    /// flowbench's own setting (not TF's): the memory this session's tensors may take, in MB;
    /// 0 = half of physical memory (see `crate::engine::memory`). Exports leave it out.
    #[serde(skip_serializing_if = "is_zero")]
    pub memory_limit_mb: u64,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

impl ConfigProto {
    /// A one-line summary for the sessions panel.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.allow_soft_placement {
            parts.push("soft placement".to_string());
        }
        if self.log_device_placement {
            parts.push("log placement".to_string());
        }
        if self.intra_op_parallelism_threads > 0 {
            parts.push(format!("intra {}", self.intra_op_parallelism_threads));
        }
        if self.inter_op_parallelism_threads > 0 {
            parts.push(format!("inter {}", self.inter_op_parallelism_threads));
        }
        if self.operation_timeout_in_ms > 0 {
            parts.push(format!("timeout {} ms", self.operation_timeout_in_ms));
        }
        if self.memory_limit_mb > 0 {
            parts.push(format!("memory {} MB", self.memory_limit_mb));
        }
        if self.gpu_options.allow_growth {
            parts.push("gpu allow_growth".to_string());
        }
        if self.gpu_options.per_process_gpu_memory_fraction > 0.0 {
            parts.push(format!("gpu fraction {}", self.gpu_options.per_process_gpu_memory_fraction));
        }
        if parts.is_empty() { "default config".to_string() } else { parts.join(", ") }
    }
}

/// What a session holds, for the sessions panel.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionStats {
    /// Open or closed.
    pub open: bool,
    /// Bytes held per device (variables and kept run buffers).
    pub bytes_by_device: Vec<(String, usize)>,
    /// Variables initialized in this session.
    pub initialized_variables: usize,
    /// Variables in the graph.
    pub total_variables: usize,
    /// Successful and failed `run` calls.
    pub run_count: u64,
    /// Seconds the session has been open (until it was closed, for a closed one).
    pub open_secs: f64,
}

/// The result of a run.
#[derive(Clone, Debug, Default)]
pub struct RunOutput {
    /// One value per fetch, in order.
    pub values: Vec<Value>,
    /// Placements made for the first time in this run, when `log_device_placement` is on.
    pub placement_log: Vec<Placement>,
}

#[derive(Clone, Copy, Debug)]
enum Src {
    /// Output `o` of plan step `s`.
    Step(usize, usize),
    /// Feed `k`.
    Feed(usize),
    /// Not read (an Assign's `ref` input: the variable is written, not read).
    Unused,
}

#[derive(Debug)]
struct Step {
    node: NodeId,
    inputs: Vec<Src>,
    /// Variable slot, for Variable and Assign.
    var_slot: Option<usize>,
    /// Variable slots of the ref inputs of optimizer apply ops, in input order.
    ref_slots: Vec<usize>,
    /// Generator slot, for random ops.
    rng_slot: Option<usize>,
    /// An activation that TF runs fused into the `MatMul` before it, as oneDNN computes it
    /// (`runtime::remap`).
    fused: bool,
}

/// A prepared run plan of a session (see [`Session::prepare`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PlanId(usize);

#[derive(Debug, Default)]
struct Plan {
    generation: u64,
    steps: Vec<Step>,
    buffers: Vec<Vec<Value>>,
    fetches: Vec<Src>,
    feeds: Vec<Output>,
    /// The fetched tensors and the targets, as given to `prepare` (for a run observer).
    fetch_tensors: Vec<Output>,
    targets: Vec<NodeId>,
    /// The lowered float32 program, once the plan has run and could be lowered.
    fast: Option<FastProgram>,
    /// Lowering was attempted (it is tried once per plan, after its first successful run).
    fast_tried: bool,
}

type PlanKey = (Vec<Output>, Vec<Output>, Vec<NodeId>);

/// A TF1 session on one graph.
pub struct Session {
    graph_id: u64,
    config: ConfigProto,
    closed: bool,
    var_names: Vec<String>,
    var_slots: HashMap<String, usize>,
    var_values: Vec<Option<Value>>,
    /// Changed whenever a value of `var_values` may be replaced (not just updated in place):
    /// fast programs keep their views of the variables while it stays the same.
    vars_epoch: u64,
    rng_names: HashMap<String, usize>,
    rngs: Vec<Philox>,
    plans: Vec<Plan>,
    plan_index: HashMap<PlanKey, usize>,
    placements: HashMap<String, Placement>,
    /// The graph generation last placed (TF places the whole graph at the first run and again
    /// after it grew).
    placed_generation: Option<u64>,
    /// The placement log of a run that failed to place a node: the nodes placed before it (see
    /// [`Session::take_placed_before_failure`]).
    placed_before_failure: Vec<Placement>,
    run_count: u64,
    opened_at: Instant,
    pool: Option<rayon::ThreadPool>,
    pool_built: bool,
    failure: Option<String>,
    closed_after_secs: Option<f64>,
    fast_path: bool,
    /// The debug hook (see `runtime::observer`); none in a normal run.
    observer: Option<Box<dyn RunObserver>>,
    /// Set from another thread to cancel the run in progress between two ops (the window's
    /// Stop); none in a normal run.
    cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("graph_id", &self.graph_id).field("closed", &self.closed).finish()
    }
}

impl Session {
    /// `tf.Session(graph=graph, config=config)`.
    pub fn new(graph: &Graph, config: ConfigProto) -> Session {
        Session {
            graph_id: graph.id(),
            config,
            closed: false,
            var_names: Vec::new(),
            var_slots: HashMap::new(),
            var_values: Vec::new(),
            vars_epoch: 0,
            rng_names: HashMap::new(),
            rngs: Vec::new(),
            plans: Vec::new(),
            plan_index: HashMap::new(),
            placements: HashMap::new(),
            placed_generation: None,
            placed_before_failure: Vec::new(),
            run_count: 0,
            opened_at: Instant::now(),
            pool: None,
            pool_built: false,
            failure: None,
            closed_after_secs: None,
            fast_path: true,
            observer: None,
            cancel: None,
        }
    }

    /// Sets (or, with `None`, removes) the flag that cancels a run between two ops of the
    /// general path with TF's `CancelledError: Run call was cancelled` once it is set.
    pub fn set_cancel_flag(&mut self, flag: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>) {
        self.cancel = flag;
    }

    /// Sets (or, with `None`, removes) the debug hook told of every op each run executes; returns
    /// the previous one. While one is set, runs take the general path (each op visible); without
    /// one, nothing is watched and the fast path runs as usual.
    pub fn set_observer(&mut self, observer: Option<Box<dyn RunObserver>>) -> Option<Box<dyn RunObserver>> {
        std::mem::replace(&mut self.observer, observer)
    }

    /// True while a debug hook is set.
    pub fn has_observer(&self) -> bool {
        self.observer.is_some()
    }

    /// The id of the graph this session runs.
    pub fn graph_id(&self) -> u64 {
        self.graph_id
    }

    /// The session's config.
    pub fn config(&self) -> &ConfigProto {
        &self.config
    }

    /// Turns the lowered fast path of run plans on or off (on by default). Both paths compute the
    /// same numbers; this exists to compare them and to measure the difference.
    pub fn set_fast_path(&mut self, on: bool) {
        self.fast_path = on;
        if !on {
            for p in &mut self.plans {
                p.fast = None;
                p.fast_tried = false;
            }
        }
    }

    /// Marks the session as having failed in a training job (it stays usable; the UI shows why).
    pub fn mark_failed(&mut self, why: &str) {
        self.failure = Some(why.to_string());
    }

    /// Why the last training job on this session failed, if it did.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// True once closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Every placement made so far, by node name.
    pub fn placements(&self) -> &HashMap<String, Placement> {
        &self.placements
    }

    /// After a run failed to place a node: the placement log lines TF prints before its error
    /// (the nodes placed before it, when `log_device_placement` is on); empty otherwise.
    pub fn take_placed_before_failure(&mut self) -> Vec<Placement> {
        std::mem::take(&mut self.placed_before_failure)
    }

    /// `sess.close()`: frees every value. Later calls fail with `Attempted to use a closed Session.`
    pub fn close(&mut self) {
        if !self.closed {
            self.closed_after_secs = Some(self.opened_at.elapsed().as_secs_f64());
        }
        self.closed = true;
        self.vars_epoch += 1;
        self.var_values.clear();
        self.var_names.clear();
        self.var_slots.clear();
        self.rngs.clear();
        self.rng_names.clear();
        self.plans.clear();
        self.plan_index.clear();
        self.pool = None;
    }

    fn check_open(&self) -> Result<()> {
        if self.closed {
            Err(Error::new(ErrorClass::RuntimeError, "Attempted to use a closed Session."))
        } else {
            Ok(())
        }
    }

    /// The current value of a variable, if initialized.
    pub fn variable_value(&self, name: &str) -> Option<&Value> {
        self.var_slots.get(name).and_then(|&s| self.var_values.get(s)).and_then(|v| v.as_ref())
    }

    /// Sets a variable's value directly (used by loaders and tests).
    pub fn set_variable(&mut self, name: &str, value: Value) {
        let slot = self.var_slot(name);
        self.vars_epoch += 1;
        self.var_values[slot] = Some(value);
    }

    /// What the session holds.
    pub fn stats(&self, graph: &Graph) -> SessionStats {
        let var_bytes: usize = self.var_values.iter().flatten().map(Value::size_bytes).sum();
        let buf_bytes: usize = self.plans.iter().flat_map(|p| p.buffers.iter().flatten()).map(Value::size_bytes).sum();
        let total_variables = graph.variables().len();
        let initialized_variables = graph
            .variables()
            .iter()
            .filter_map(|(v, _)| graph.node(*v))
            .filter(|n| self.variable_value(&n.name).is_some())
            .count();
        SessionStats {
            open: !self.closed,
            bytes_by_device: vec![(placement::CPU0.to_string(), if self.closed { 0 } else { var_bytes + buf_bytes })],
            initialized_variables,
            total_variables,
            run_count: self.run_count,
            open_secs: self.closed_after_secs.unwrap_or_else(|| self.opened_at.elapsed().as_secs_f64()),
        }
    }

    fn var_slot(&mut self, name: &str) -> usize {
        if let Some(&s) = self.var_slots.get(name) {
            return s;
        }
        let s = self.var_values.len();
        self.vars_epoch += 1;
        self.var_values.push(None);
        self.var_names.push(name.to_string());
        self.var_slots.insert(name.to_string(), s);
        s
    }

    fn rng_slot(&mut self, name: &str, seed: i64, seed2: i64) -> usize {
        if let Some(&s) = self.rng_names.get(name) {
            return s;
        }
        let s = self.rngs.len();
        self.rngs.push(Philox::from_seeds(seed, seed2));
        self.rng_names.insert(name.to_string(), s);
        s
    }

    /// `sess.run(fetches, feed_dict, targets)`: runs only what the fetches and targets need and
    /// returns the fetched values.
    pub fn run(&mut self, graph: &Graph, fetches: &[Output], feeds: &[Feed], targets: &[NodeId]) -> Result<RunOutput> {
        let feed_keys: Vec<Output> = feeds.iter().map(|f| f.tensor).collect();
        let (plan, placement_log) = self.prepare(graph, fetches, &feed_keys, targets)?;
        self.run_prepared(graph, plan, feeds)?;
        let values = (0..fetches.len())
            .map(|i| self.take_fetched(plan, i, feeds).unwrap_or_else(|| Value::zeros(DType::Float32, &[])))
            .collect();
        Ok(RunOutput { values, placement_log })
    }

    /// Compiles (or finds) the run plan for a (fetches, fed tensors, targets) signature: a pruned
    /// topological order with buffers kept between runs. Returns its id and the placements made
    /// for the first time (when `log_device_placement` is on).
    pub fn prepare(
        &mut self,
        graph: &Graph,
        fetches: &[Output],
        fed: &[Output],
        targets: &[NodeId],
    ) -> Result<(PlanId, Vec<Placement>)> {
        self.check_open()?;
        if graph.id() != self.graph_id {
            return Err(Error::value_error("The Session graph is different from the graph of the fetched tensors."));
        }
        let key: PlanKey = (fetches.to_vec(), fed.to_vec(), targets.to_vec());
        let mut placement_log = Vec::new();
        let existing = self.plan_index.get(&key).copied();
        let idx = match existing {
            Some(i) if self.plans.get(i).is_some_and(|p| p.generation == graph.generation()) => i,
            _ => {
                let plan = self.compile(graph, &key, &mut placement_log)?;
                match existing {
                    Some(i) if i < self.plans.len() => {
                        self.plans[i] = plan;
                        i
                    }
                    _ => {
                        self.plans.push(plan);
                        self.plan_index.insert(key, self.plans.len() - 1);
                        self.plans.len() - 1
                    }
                }
            }
        };
        Ok((PlanId(idx), placement_log))
    }

    /// Runs a prepared plan with feeds for its fed tensors, in the order given to `prepare`.
    /// Allocates nothing once the plan's buffers have their shapes (the training loop's hot path).
    pub fn run_prepared(&mut self, graph: &Graph, plan: PlanId, feeds: &[Feed]) -> Result<()> {
        self.check_open()?;
        self.run_count += 1;
        let Some(p) = self.plans.get(plan.0) else {
            return Err(Error::internal("unknown run plan"));
        };
        if p.generation != graph.generation() || graph.id() != self.graph_id {
            return Err(Error::internal("the graph changed since this run plan was prepared; prepare it again"));
        }
        if p.feeds.len() != feeds.len() || p.feeds.iter().zip(feeds).any(|(a, f)| *a != f.tensor) {
            return Err(Error::internal("feeds do not match the prepared run plan"));
        }
        if !self.pool_built {
            self.pool_built = true;
            let n = match self.config.intra_op_parallelism_threads {
                0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
                n => n.min(MAX_THREADS) as usize,
            };
            if n > 1 {
                self.pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("flowbench-intra-op-{i}"))
                    .build()
                    .ok();
            }
        }
        let deadline = (self.config.operation_timeout_in_ms > 0)
            .then(|| Instant::now() + Duration::from_millis(self.config.operation_timeout_in_ms as u64));
        if self.observer.is_none() && self.run_fast(plan.0, feeds)? {
            if let Some(d) = deadline
                && Instant::now() > d
            {
                return Err(Error::new(ErrorClass::DeadlineExceeded, "Timed out waiting for notification"));
            }
            return Ok(());
        }
        let mut p = std::mem::take(&mut self.plans[plan.0]);
        let result = self.run_plan(graph, &mut p, feeds, deadline);
        self.plans[plan.0] = p;
        result
    }

    /// Runs a plan by the general path (the fast program, tried first by `run_prepared`, did not
    /// fit), after whose first success the plan is lowered, if it can be.
    fn run_plan(&mut self, graph: &Graph, p: &mut Plan, feeds: &[Feed], deadline: Option<Instant>) -> Result<()> {
        if self.observer.is_some() {
            return self.run_observed(graph, p, feeds, deadline);
        }
        // The fast program only accepts feeds of the float32 shapes of a run that passed these
        // checks, so they are needed on this path only.
        for f in feeds {
            check_feed(graph, f)?;
        }
        self.execute(graph, p, feeds, deadline, None)?;
        if self.fast_path && !p.fast_tried {
            p.fast_tried = true;
            p.fast = lower(graph, p, feeds);
        }
        Ok(())
    }

    /// Runs plan `idx` by its fast program, in place, when it has one that fits these feeds;
    /// false when the general path must run it.
    fn run_fast(&mut self, idx: usize, feeds: &[Feed]) -> Result<bool> {
        let Session { plans, var_values, vars_epoch, pool, .. } = self;
        let Some(p) = plans.get_mut(idx) else { return Ok(false) };
        run_fast_program(p, feeds, var_values, *vars_epoch, pool.as_ref())
    }

    /// A run with the debug hook: the general path, the observer told of the run and of each op.
    fn run_observed(&mut self, graph: &Graph, p: &mut Plan, feeds: &[Feed], deadline: Option<Instant>) -> Result<()> {
        for f in feeds {
            check_feed(graph, f)?;
        }
        let mut observer = self.observer.take();
        if let Some(obs) = observer.as_deref_mut() {
            let order: Vec<NodeId> = p.steps.iter().map(|s| s.node).collect();
            obs.begin_run(
                graph,
                &RunInfo {
                    fetches: &p.fetch_tensors,
                    feeds: &p.feeds,
                    targets: &p.targets,
                    ops: p.steps.len(),
                    order: &order,
                },
            );
        }
        let result = self.execute(graph, p, feeds, deadline, observer.as_deref_mut());
        self.observer = observer;
        result
    }

    /// True when a prepared plan has been lowered to the fast path.
    pub fn uses_fast_path(&self, plan: PlanId) -> bool {
        self.plans.get(plan.0).is_some_and(|p| p.fast.is_some())
    }

    /// Fetch `i` of the last run, for [`Session::run`]: a large value (1 MiB or more) that no later
    /// fetch repeats is moved out of the plan's buffer (its step writes it again on the next run)
    /// instead of being cloned; a small one is cloned, so the buffer stays for reuse.
    fn take_fetched(&mut self, plan: PlanId, i: usize, feeds: &[Feed]) -> Option<Value> {
        const MOVE_FROM: usize = 1 << 20;
        let p = self.plans.get_mut(plan.0)?;
        let src = *p.fetches.get(i)?;
        match src {
            Src::Step(s, o) => {
                let repeated = p.fetches.iter().skip(i + 1).any(|f| matches!(*f, Src::Step(a, b) if a == s && b == o));
                let buf = p.buffers.get_mut(s).and_then(|b| b.get_mut(o))?;
                if buf.size_bytes() >= MOVE_FROM && !repeated {
                    Some(std::mem::replace(buf, Value::zeros(DType::Float32, &[0])))
                } else {
                    Some(buf.clone())
                }
            }
            Src::Feed(k) => feeds.get(k).map(|f| f.value.clone()),
            Src::Unused => None,
        }
    }

    /// Fetch `i` of the last run of a prepared plan (a fed fetch is read from `feeds`).
    pub fn fetched<'a>(&'a self, plan: PlanId, i: usize, feeds: &'a [Feed]) -> Option<&'a Value> {
        let p = self.plans.get(plan.0)?;
        match *p.fetches.get(i)? {
            Src::Step(s, o) => p.buffers.get(s).and_then(|b| b.get(o)),
            Src::Feed(k) => feeds.get(k).map(|f| &f.value),
            Src::Unused => None,
        }
    }

    /// Places the whole graph as TF's placer does, the first time this session runs it and again
    /// at the first run after it changed (TF re-places the whole grown graph and logs every node
    /// again): first every node that is not a "generator", in creation order, then the
    /// generators (no inputs and one output that is not a ref: constants, placeholders), which
    /// TF places last, beside their consumers. A node that cannot be placed fails the run, needed
    /// or not, as in TF.
    fn place_graph(&mut self, graph: &Graph, log: &mut Vec<Placement>) -> Result<()> {
        if self.placed_generation == Some(graph.generation()) {
            return Ok(());
        }
        let generator = |node: &crate::engine::graph::Node| {
            node.inputs.is_empty() && node.outputs.len() == 1 && !matches!(node.op, Op::Variable { .. })
        };
        let (second, first): (Vec<&crate::engine::graph::Node>, Vec<&crate::engine::graph::Node>) =
            graph.nodes().iter().partition(|n| generator(n));
        let mut placed = HashMap::with_capacity(graph.nodes().len());
        let logged = log.len();
        for node in first.into_iter().chain(second) {
            let p =
                match placement::place(&node.name, node.op.type_name(), &node.device, self.config.allow_soft_placement)
                {
                    Ok(p) => p,
                    Err(e) => {
                        // TF has logged the nodes placed before this one when it fails.
                        self.placed_before_failure = log.split_off(logged);
                        return Err(e);
                    }
                };
            if self.config.log_device_placement {
                // TF's `tf.Variable` also makes `v/read` (an Identity beside the variable),
                // which this graph reads implicitly: logged where TF has it, after the
                // variable's initializer `v/Assign` (after the variable when it has none).
                let read_of =
                    match &node.op {
                        Op::Assign { .. } => node.inputs.first().and_then(|t| graph.node(t.node)).filter(|v| {
                            matches!(v.op, Op::Variable { .. }) && node.name == format!("{}/Assign", v.name)
                        }),
                        Op::Variable { .. } if graph.find(&format!("{}/Assign", node.name)).is_none() => Some(node),
                        _ => None,
                    };
                log.push(p.clone());
                if let Some(v) = read_of {
                    let device = placed.get(&v.name).map_or_else(|| p.device.clone(), |q: &Placement| q.device.clone());
                    log.push(Placement {
                        node: format!("{}/read", v.name),
                        op_type: "Identity".to_string(),
                        device,
                        ..p.clone()
                    });
                }
            }
            placed.insert(node.name.clone(), p);
        }
        self.placements = placed;
        self.placed_generation = Some(graph.generation());
        Ok(())
    }

    fn compile(&mut self, graph: &Graph, key: &PlanKey, log: &mut Vec<Placement>) -> Result<Plan> {
        let (fetches, feeds, targets) = key;
        let n = graph.nodes().len();
        for t in fetches {
            if graph.output_info(*t).is_none() {
                return Err(Error::value_error(format!(
                    "Fetch argument {} is not an element of this graph.",
                    t.node.0
                )));
            }
        }
        for t in targets {
            if graph.node(*t).is_none() {
                return Err(Error::value_error(format!("Target {} is not an element of this graph.", t.0)));
            }
        }
        // A node whose every output is fed (or which is fed at output 0 with one output) need not run.
        let fully_fed = |id: NodeId| -> bool {
            graph
                .node(id)
                .is_some_and(|node| node.outputs.len() == 1 && feeds.iter().any(|f| f.node == id && f.index == 0))
        };
        // Mark what is needed, walking inputs and control inputs from fetches and targets.
        let mut needed = vec![false; n];
        let mut order_dfs: Vec<NodeId> = Vec::new();
        let mut stack: Vec<NodeId> = fetches.iter().map(|t| t.node).chain(targets.iter().copied()).collect();
        stack.reverse();
        while let Some(id) = stack.pop() {
            if needed[id.0] || fully_fed(id) {
                continue;
            }
            needed[id.0] = true;
            order_dfs.push(id);
            if let Some(node) = graph.node(id) {
                for c in node.control_inputs.iter().rev() {
                    stack.push(*c);
                }
                let refs = node.op.num_ref_inputs();
                for (k, t) in node.inputs.iter().enumerate().rev() {
                    if k < refs || feeds.contains(t) {
                        continue;
                    }
                    stack.push(t.node);
                }
            }
        }
        self.place_graph(graph, log)?;
        // Creation order is topological: inputs always come before their consumers.
        let mut step_of = vec![usize::MAX; n];
        let mut steps = Vec::new();
        for (i, node) in graph.nodes().iter().enumerate() {
            if !needed[i] {
                continue;
            }
            let mut inputs = Vec::with_capacity(node.inputs.len());
            let refs = node.op.num_ref_inputs();
            let mut ref_slots = Vec::new();
            for (k_in, t) in node.inputs.iter().enumerate() {
                if k_in < refs {
                    let Some(var) = graph.node(t.node).filter(|v| matches!(v.op, Op::Variable { .. })) else {
                        return Err(Error::invalid_argument(format!(
                            "Input {k_in} of {} must be a variable (a ref input), got {}",
                            node.name,
                            graph.tensor_name(*t)
                        ))
                        .at(node.name.clone()));
                    };
                    let var_name = var.name.clone();
                    // Assign's variable is `var_slot`; the apply ops list theirs here.
                    if !matches!(node.op, Op::Assign { .. } | Op::AssignAdd | Op::AssignSub) {
                        ref_slots.push(self.var_slot(&var_name));
                    }
                    inputs.push(Src::Unused);
                } else if let Some(k) = feeds.iter().position(|f| f == t) {
                    inputs.push(Src::Feed(k));
                } else {
                    let s = step_of.get(t.node.0).copied().unwrap_or(usize::MAX);
                    if s == usize::MAX {
                        return Err(Error::internal(format!(
                            "input {} of {} was not scheduled",
                            graph.tensor_name(*t),
                            node.name
                        )));
                    }
                    inputs.push(Src::Step(s, t.index));
                }
            }
            if matches!(node.op, Op::AddN { .. }) {
                // TF's grappler sorts the inputs of an AddN by name (`mul_1` < `mul_10` < `mul_2`;
                // `Mean` < `mul`) before its kernel sums them in order (`kernels::elementwise::add_n`).
                inputs = addn_order(graph, node).into_iter().map(|k| inputs[k]).collect();
            }
            let var_slot = match &node.op {
                Op::Variable { .. } => Some(self.var_slot(&node.name)),
                Op::Assign { .. } | Op::AssignAdd | Op::AssignSub => {
                    let var = node.inputs.first().and_then(|t| graph.node(t.node)).map(|v| v.name.clone());
                    var.map(|v| self.var_slot(&v))
                }
                _ => None,
            };
            let rng_slot = match &node.op {
                Op::RandomStandardNormal { seed, seed2, .. }
                | Op::TruncatedNormal { seed, seed2, .. }
                | Op::RandomUniform { seed, seed2, .. } => Some(self.rng_slot(&node.name, *seed, *seed2)),
                _ => None,
            };
            step_of[i] = steps.len();
            let fused = crate::engine::runtime::remap::tf_fuses_activation(graph, NodeId(i), fetches, feeds);
            steps.push(Step { node: NodeId(i), inputs, var_slot, rng_slot, ref_slots, fused });
        }
        // Feeds must feed something in the graph; missing placeholders are caught at run time.
        let fetch_srcs = fetches
            .iter()
            .map(|t| {
                if let Some(k) = feeds.iter().position(|f| f == t) {
                    Ok(Src::Feed(k))
                } else {
                    match step_of.get(t.node.0) {
                        Some(&s) if s != usize::MAX => Ok(Src::Step(s, t.index)),
                        _ => Err(Error::internal(format!("fetch {} was not scheduled", graph.tensor_name(*t)))),
                    }
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let buffers = steps
            .iter()
            .map(|s| {
                let outs = graph.node(s.node).map_or(0, |n| n.outputs.len());
                (0..outs).map(|_| Value::zeros(DType::Float32, &[0])).collect()
            })
            .collect();
        Ok(Plan {
            generation: graph.generation(),
            steps,
            buffers,
            fetches: fetch_srcs,
            feeds: feeds.clone(),
            fetch_tensors: fetches.clone(),
            targets: targets.clone(),
            fast: None,
            fast_tried: false,
        })
    }

    fn execute(
        &mut self,
        graph: &Graph,
        plan: &mut Plan,
        feeds: &[Feed],
        deadline: Option<Instant>,
        observer: Option<&mut (dyn RunObserver + 'static)>,
    ) -> Result<()> {
        debug_assert_eq!(plan.feeds.len(), feeds.len());
        // The general path may replace variables' values.
        self.vars_epoch += 1;
        let pool_owned = self.pool.take();
        // What the session already holds counts against its memory budget.
        let held: usize = self.var_values.iter().flatten().map(Value::size_bytes).sum::<usize>()
            + self
                .plans
                .iter()
                .chain(std::iter::once(&*plan))
                .flat_map(|p| p.buffers.iter().flatten())
                .map(Value::size_bytes)
                .sum::<usize>()
            + feeds.iter().map(|f| f.value.size_bytes()).sum::<usize>();
        let budget = crate::engine::memory::session_budget(self.config.memory_limit_mb).saturating_sub(held as u64);
        let result = crate::engine::memory::with_budget(budget, || {
            self.execute_steps(graph, plan, feeds, deadline, pool_owned.as_ref(), observer)
        });
        self.pool = pool_owned;
        result
    }

    fn execute_steps(
        &mut self,
        graph: &Graph,
        plan: &mut Plan,
        feeds: &[Feed],
        deadline: Option<Instant>,
        pool: Option<&rayon::ThreadPool>,
        mut observer: Option<&mut (dyn RunObserver + 'static)>,
    ) -> Result<()> {
        for (si, step) in plan.steps.iter().enumerate() {
            let Some(node) = graph.node(step.node) else {
                return Err(Error::internal("plan refers to a missing node"));
            };
            let (before, rest) = plan.buffers.split_at_mut(si);
            let Some(outs) = rest.first_mut() else {
                return Err(Error::internal("plan buffers out of range"));
            };
            let get = |src: &Src| -> Result<&Value> {
                match *src {
                    Src::Step(s, o) => before.get(s).and_then(|b| b.get(o)),
                    Src::Feed(k) => feeds.get(k).map(|f| &f.value),
                    Src::Unused => None,
                }
                .ok_or_else(|| Error::internal("input buffer missing"))
            };
            // Watched: a ref input's variable as it was before the op writes it.
            let refs_before: Vec<Option<Value>> =
                if observer.is_some() && step.inputs.iter().any(|s| matches!(s, Src::Unused)) {
                    step.inputs
                        .iter()
                        .enumerate()
                        .map(|(k, src)| {
                            let slot = step.ref_slots.get(k).or(if k == 0 { step.var_slot.as_ref() } else { None });
                            slot.filter(|_| matches!(src, Src::Unused))
                                .and_then(|&s| self.var_values.get(s))
                                .and_then(|v| v.clone())
                        })
                        .collect()
                } else {
                    Vec::new()
                };
            let res: Result<()> = (|| {
                match &node.op {
                    Op::Unregistered { op_type, why, .. } => {
                        return Err(crate::engine::graph::op::not_registered_error(op_type, why));
                    }
                    Op::Const { value } => {
                        // A plan's buffer is written only by its own step, so once it holds the
                        // constant (same dtype and shape) it still does.
                        if outs[0].dtype() != value.0.dtype() || outs[0].shape() != value.0.shape() {
                            copy_into(&mut outs[0], &value.0)?;
                        }
                    }
                    Op::Placeholder { dtype, shape } => {
                        return Err(Error::invalid_argument(format!(
                            "You must feed a value for placeholder tensor '{}' with dtype {} and shape {}",
                            node.name,
                            dtype.runtime_name(),
                            shape.list_form()
                        )));
                    }
                    Op::Variable { .. } => {
                        let slot = step.var_slot.unwrap_or(usize::MAX);
                        match self.var_values.get(slot).and_then(|v| v.as_ref()) {
                            Some(v) => copy_into(&mut outs[0], v)?,
                            None => {
                                return Err(Error::failed_precondition(format!(
                                    "Attempting to use uninitialized value {}",
                                    node.name
                                )));
                            }
                        }
                    }
                    Op::Assign { .. } => {
                        let v = get(&step.inputs[1])?;
                        let slot = step.var_slot.unwrap_or(usize::MAX);
                        let (vd, vs) = graph
                            .node(node.inputs[0].node)
                            .and_then(|n| n.outputs.first())
                            .cloned()
                            .ok_or_else(|| Error::internal("Assign without a variable"))?;
                        if v.dtype() != vd || !vs.is_compatible_with_dims(v.shape()) {
                            return Err(Error::invalid_argument(format!(
                                "Assign requires shapes of both tensors to match. lhs shape= {} rhs shape= {}",
                                vs.list_form(),
                                crate::engine::shape::Shape::known(v.shape()).list_form()
                            )));
                        }
                        match self.var_values.get_mut(slot) {
                            Some(Some(cur)) => copy_into(cur, v)?,
                            Some(none) => {
                                crate::engine::memory::reserve(v.shape(), v.dtype())?;
                                *none = Some(v.clone())
                            }
                            None => return Err(Error::internal("variable slot missing")),
                        }
                        copy_into(&mut outs[0], v)?;
                    }
                    Op::AssignAdd | Op::AssignSub => {
                        let kind = if matches!(node.op, Op::AssignAdd) { BinaryOp::Add } else { BinaryOp::Sub };
                        let v = get(&step.inputs[1])?;
                        let slot = step.var_slot.unwrap_or(usize::MAX);
                        let cur = match self.var_values.get_mut(slot) {
                            Some(Some(cur)) => cur,
                            Some(None) => {
                                let name = graph.node(node.inputs[0].node).map_or("", |n| n.name.as_str());
                                return Err(Error::failed_precondition(format!(
                                    "Attempting to use uninitialized value {name}"
                                )));
                            }
                            None => return Err(Error::internal("variable slot missing")),
                        };
                        if cur.shape() != v.shape() {
                            return Err(Error::invalid_argument(format!(
                                "Cannot update variable with shape {} using a Tensor with shape {}, shapes must be equal.",
                                crate::engine::kernels::tf_shape(cur.shape()),
                                crate::engine::kernels::tf_shape(v.shape())
                            )));
                        }
                        elementwise::binary(kind, cur, v, &mut outs[0], pool)?;
                        cur.clone_from(&outs[0]);
                    }
                    Op::Identity => copy_into(&mut outs[0], get(&step.inputs[0])?)?,
                    Op::NoOp => {}
                    Op::Select => elementwise::select(
                        get(&step.inputs[0])?,
                        get(&step.inputs[1])?,
                        get(&step.inputs[2])?,
                        &mut outs[0],
                    )?,
                    Op::L2Loss => reduce::l2_loss(get(&step.inputs[0])?, &mut outs[0])?,
                    Op::AddN { .. } => {
                        let ins = step.inputs.iter().map(&get).collect::<Result<Vec<&Value>>>()?;
                        elementwise::add_n(&ins, &mut outs[0])?
                    }
                    Op::ArgMax { axis, output_type } => {
                        reduce::arg_max(get(&step.inputs[0])?, *axis, *output_type, &mut outs[0])?
                    }
                    Op::Binary { kind } => {
                        elementwise::binary(*kind, get(&step.inputs[0])?, get(&step.inputs[1])?, &mut outs[0], pool)?
                    }
                    Op::Unary { kind } if step.fused => {
                        elementwise::fused_activation(*kind, get(&step.inputs[0])?, &mut outs[0])?
                    }
                    Op::Unary { kind } => elementwise::unary(*kind, get(&step.inputs[0])?, &mut outs[0], pool)?,
                    Op::MatMul { transpose_a, transpose_b } => matmul::matmul(
                        get(&step.inputs[0])?,
                        get(&step.inputs[1])?,
                        *transpose_a,
                        *transpose_b,
                        &mut outs[0],
                        pool,
                    )?,
                    Op::ClipByValue => nn::clip_by_value(
                        get(&step.inputs[0])?,
                        get(&step.inputs[1])?,
                        get(&step.inputs[2])?,
                        &mut outs[0],
                    )?,
                    Op::Reduce { kind, axes, keep_dims } => {
                        reduce::reduce(*kind, get(&step.inputs[0])?, axes.as_deref(), *keep_dims, &mut outs[0])?
                    }
                    Op::Softmax => nn::softmax(get(&step.inputs[0])?, &mut outs[0])?,
                    Op::SigmoidCrossEntropyWithLogits => nn::sigmoid_cross_entropy_with_logits(
                        get(&step.inputs[0])?,
                        get(&step.inputs[1])?,
                        &mut outs[0],
                    )?,
                    Op::SoftmaxCrossEntropyWithLogits => {
                        let (l, b) = outs.split_at_mut(1);
                        nn::softmax_cross_entropy_with_logits(
                            get(&step.inputs[0])?,
                            get(&step.inputs[1])?,
                            &mut l[0],
                            &mut b[0],
                        )?
                    }
                    Op::SparseSoftmaxCrossEntropyWithLogits => {
                        let (l, b) = outs.split_at_mut(1);
                        nn::sparse_softmax_cross_entropy_with_logits(
                            get(&step.inputs[0])?,
                            get(&step.inputs[1])?,
                            &mut l[0],
                            &mut b[0],
                        )?
                    }
                    Op::Fill { dtype, shape, value } => cast::try_fill(*dtype, shape, *value, &mut outs[0])?,
                    Op::Cast { to } => cast::cast(get(&step.inputs[0])?, *to, &mut outs[0])?,
                    Op::UnaryGrad { kind } => {
                        elementwise::unary_grad(*kind, get(&step.inputs[0])?, get(&step.inputs[1])?, &mut outs[0])?
                    }
                    Op::ClipByValueGrad => nn::clip_by_value_grad(
                        get(&step.inputs[0])?,
                        get(&step.inputs[1])?,
                        get(&step.inputs[2])?,
                        get(&step.inputs[3])?,
                        &mut outs[0],
                    )?,
                    Op::MaximumMinimumGrad { is_max, for_x } => elementwise::maximum_minimum_grad(
                        *is_max,
                        *for_x,
                        get(&step.inputs[0])?,
                        get(&step.inputs[1])?,
                        get(&step.inputs[2])?,
                        &mut outs[0],
                    )?,
                    Op::SumToShape => {
                        let g = get(&step.inputs[0])?;
                        let like = get(&step.inputs[1])?;
                        if g.shape() == like.shape() {
                            copy_into(&mut outs[0], g)?;
                        } else {
                            reduce::sum_to_shape(g, like.shape(), &mut outs[0])?;
                        }
                    }
                    Op::ReduceGrad { kind, axes, keep_dims } => {
                        let y = match step.inputs.get(2) {
                            Some(src) => Some(get(src)?),
                            None => None,
                        };
                        reduce::reduce_grad(
                            *kind,
                            axes.as_deref(),
                            *keep_dims,
                            get(&step.inputs[0])?,
                            get(&step.inputs[1])?,
                            y,
                            &mut outs[0],
                        )?
                    }
                    Op::SoftmaxGrad => nn::softmax_grad(get(&step.inputs[0])?, get(&step.inputs[1])?, &mut outs[0])?,
                    Op::SigmoidCrossEntropyGrad => nn::sigmoid_cross_entropy_grad(
                        get(&step.inputs[0])?,
                        get(&step.inputs[1])?,
                        get(&step.inputs[2])?,
                        &mut outs[0],
                    )?,
                    Op::ExpandDims { axis } => cast::expand_dims(get(&step.inputs[0])?, *axis, &mut outs[0])?,
                    Op::OnesLike => cast::fill_like(get(&step.inputs[0])?, 1.0, &mut outs[0]),
                    Op::ZerosLike => cast::fill_like(get(&step.inputs[0])?, 0.0, &mut outs[0]),
                    Op::ApplyGradientDescent | Op::ApplyMomentum { .. } | Op::ApplyAdam { .. } | Op::ApplyRMSProp => {
                        let mut taken: [Option<Value>; 3] = [None, None, None];
                        for (k, &slot) in step.ref_slots.iter().enumerate().take(3) {
                            let v = self.var_values.get_mut(slot).and_then(Option::take);
                            match v {
                                Some(v) => taken[k] = Some(v),
                                None => {
                                    // Put back what was taken before reporting.
                                    for (j, t) in taken.iter_mut().enumerate().take(k) {
                                        if let (Some(s), Some(t)) = (step.ref_slots.get(j), t.take()) {
                                            self.var_values[*s] = Some(t);
                                        }
                                    }
                                    let name = self.var_names.get(slot).cloned().unwrap_or_default();
                                    return Err(Error::failed_precondition(format!(
                                        "Attempting to use uninitialized value {name}"
                                    )));
                                }
                            }
                        }
                        let [a, b, c] = &mut taken;
                        let res = match (&node.op, a, b, c) {
                            (Op::ApplyGradientDescent, Some(w), _, _) => {
                                apply::apply_gradient_descent(w, get(&step.inputs[1])?, get(&step.inputs[2])?)
                            }
                            (Op::ApplyMomentum { use_nesterov }, Some(w), Some(acc), _) => apply::apply_momentum(
                                w,
                                acc,
                                get(&step.inputs[2])?,
                                get(&step.inputs[3])?,
                                get(&step.inputs[4])?,
                                *use_nesterov,
                            ),
                            (Op::ApplyAdam { use_nesterov }, Some(w), Some(m), Some(v)) => {
                                let sc = apply::AdamScalars {
                                    beta1_power: get(&step.inputs[3])?,
                                    beta2_power: get(&step.inputs[4])?,
                                    lr: get(&step.inputs[5])?,
                                    beta1: get(&step.inputs[6])?,
                                    beta2: get(&step.inputs[7])?,
                                    epsilon: get(&step.inputs[8])?,
                                };
                                apply::apply_adam(w, m, v, &sc, get(&step.inputs[9])?, *use_nesterov)
                            }
                            (Op::ApplyRMSProp, Some(w), Some(ms), Some(mom)) => apply::apply_rms_prop(
                                w,
                                ms,
                                mom,
                                get(&step.inputs[3])?,
                                get(&step.inputs[4])?,
                                get(&step.inputs[5])?,
                                get(&step.inputs[6])?,
                                get(&step.inputs[7])?,
                            ),
                            _ => Err(Error::internal("optimizer op without its variables")),
                        };
                        if let Some(w) = &taken[0] {
                            outs[0].clone_from(w);
                        }
                        for (k, &slot) in step.ref_slots.iter().enumerate().take(3) {
                            if let Some(v) = taken[k].take() {
                                self.var_values[slot] = Some(v);
                            }
                        }
                        res?;
                    }
                    Op::RandomStandardNormal { dtype, shape, mean, stddev, .. } => {
                        let base = self.reserve(step.rng_slot, shape, *dtype)?;
                        outs[0] = random_value(*dtype, shape, base, RandomKind::Normal, *stddev, *mean)?;
                    }
                    Op::TruncatedNormal { dtype, shape, mean, stddev, .. } => {
                        let base = self.reserve(step.rng_slot, shape, *dtype)?;
                        outs[0] = random_value(*dtype, shape, base, RandomKind::Truncated, *stddev, *mean)?;
                    }
                    Op::RandomUniform { dtype, shape, minval, maxval, .. } => {
                        let base = self.reserve(step.rng_slot, shape, *dtype)?;
                        outs[0] = random_value(*dtype, shape, base, RandomKind::Uniform, *maxval - *minval, *minval)?;
                    }
                }
                Ok(())
            })();
            res.map_err(|e| if e.node.is_none() { e.at(node.name.clone()) } else { e })?;
            if let Some(obs) = observer.as_deref_mut() {
                // A ref input (the variable an Assign or an apply op writes): its value now.
                let var_after = |k: usize| {
                    let slot = step.ref_slots.get(k).or(if k == 0 { step.var_slot.as_ref() } else { None });
                    slot.and_then(|&s| self.var_values.get(s)).and_then(Option::as_ref)
                };
                let inputs: Vec<Option<&Value>> = step
                    .inputs
                    .iter()
                    .enumerate()
                    .map(|(k, src)| if matches!(src, Src::Unused) { var_after(k) } else { get(src).ok() })
                    .collect();
                let event = OpEvent { index: si, node, inputs: &inputs, outputs: &outs[..], refs_before: &refs_before };
                if obs.after_op(graph, &event) == Flow::Stop {
                    return Err(Error::new(
                        ErrorClass::Cancelled,
                        format!("Run stopped by the debugger after {}", node.name),
                    )
                    .at(node.name.clone()));
                }
            }
            if let Some(d) = deadline
                && Instant::now() > d
            {
                return Err(Error::new(ErrorClass::DeadlineExceeded, "Timed out waiting for notification")
                    .at(node.name.clone()));
            }
            if self.cancel.as_ref().is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
                return Err(Error::new(ErrorClass::Cancelled, "Run call was cancelled"));
            }
        }
        Ok(())
    }

    /// Checks a random op's output against the memory budget, then reserves its draws.
    fn reserve(&mut self, slot: Option<usize>, shape: &[usize], dtype: DType) -> Result<Philox> {
        let n = crate::engine::memory::reserve(shape, dtype)?;
        let g = slot.and_then(|s| self.rngs.get_mut(s)).ok_or_else(|| Error::internal("random generator missing"))?;
        Ok(g.reserve_run(n))
    }
}

/// Copies `v` into `out`, reusing `out`'s buffer when it has the same dtype and shape; a new
/// buffer is charged to the session's memory budget first (TF's OOM error when over it).
fn copy_into(out: &mut Value, v: &Value) -> Result<()> {
    if out.dtype() != v.dtype() || out.shape() != v.shape() {
        crate::engine::memory::reserve(v.shape(), v.dtype())?;
    }
    out.clone_from(v);
    Ok(())
}

#[derive(Clone, Copy)]
enum RandomKind {
    Normal,
    Truncated,
    Uniform,
}

/// Draws a random tensor and applies TF's post-processing: `x * scale + shift`, each op rounded
/// in the element type (for uniform, `scale` is `max - min` and `shift` is `min`).
fn random_value(
    dtype: DType,
    shape: &[usize],
    base: Philox,
    kind: RandomKind,
    scale: f64,
    shift: f64,
) -> Result<Value> {
    let n: usize = shape.iter().product();
    let sh = ndarray::IxDyn(shape);
    let err = |e: ndarray::ShapeError| Error::internal(e.to_string());
    match dtype {
        DType::Float32 => {
            let mut v = match kind {
                RandomKind::Normal => random::standard_normal_f32(base, n),
                RandomKind::Truncated => random::truncated_normal_f32(base, n),
                RandomKind::Uniform => random::uniform_f32(base, n),
            };
            let (s, m) = (scale as f32, shift as f32);
            for x in &mut v {
                *x = *x * s + m;
            }
            Ok(Value::F32(ndarray::ArrayD::from_shape_vec(sh, v).map_err(err)?))
        }
        DType::Float64 => {
            let mut v = match kind {
                RandomKind::Normal => random::standard_normal_f64(base, n),
                RandomKind::Truncated => random::truncated_normal_f64(base, n),
                RandomKind::Uniform => random::uniform_f64(base, n),
            };
            for x in &mut v {
                *x = *x * scale + shift;
            }
            Ok(Value::F64(ndarray::ArrayD::from_shape_vec(sh, v).map_err(err)?))
        }
        d => Err(Error::invalid_argument(format!("random ops produce float32 or float64, not {d}"))),
    }
}

/// Runs a plan's fast program when it has one that fits these feeds, then copies the fetches
/// into the plan's buffers (where `fetched` reads them); false when it did not run.
fn run_fast_program(
    p: &mut Plan,
    feeds: &[Feed],
    vars: &mut [Option<Value>],
    vars_epoch: u64,
    pool: Option<&rayon::ThreadPool>,
) -> Result<bool> {
    let Some(fast) = p.fast.as_mut() else { return Ok(false) };
    let ran = match pool {
        Some(pool) if fast.splits() => pool.install(|| fast.run(feeds, vars, vars_epoch, Some(pool)))?,
        pool => fast.run(feeds, vars, vars_epoch, pool)?,
    };
    if !ran {
        return Ok(false);
    }
    for (i, src) in p.fetches.iter().enumerate() {
        if let Src::Step(s, o) = *src
            && let (Some(slice), Some((_, shape))) = (fast.fetch(i, feeds, vars), fast.fetches.get(i))
            && let Some(buf) = p.buffers.get_mut(s).and_then(|b| b.get_mut(o))
        {
            write_f32(buf, shape, slice);
        }
    }
    Ok(true)
}

/// Writes a float32 slice into a value of `shape`, reusing its buffer.
fn write_f32(buf: &mut Value, shape: &[usize], data: &[f32]) {
    if let Value::F32(a) = buf
        && a.shape().len() == shape.len()
        && a.shape().iter().zip(shape).all(|(x, y)| x == y)
        && let Some(s) = a.as_slice_mut()
        && s.len() == data.len()
    {
        s.copy_from_slice(data);
        return;
    }
    if let Ok(a) = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), data.to_vec()) {
        *buf = Value::F32(a);
    }
}

/// The order in which TF 2.21 sums the inputs of an `AddN` node: grappler's arithmetic optimizer
/// sorts a commutative op's inputs by their names in the GraphDef (`name`, or `name:k` for output
/// `k > 0`). Measured with inputs named `Mul`, `Mul_1`, ..., `Mul_10` and `Mean` in any position.
fn addn_order(graph: &Graph, node: &crate::engine::graph::Node) -> Vec<usize> {
    let name = |t: &Output| {
        let n = graph.node(t.node).map_or("", |n| n.name.as_str());
        if t.index == 0 { n.to_string() } else { format!("{n}:{}", t.index) }
    };
    let mut order: Vec<usize> = (0..node.inputs.len()).collect();
    order.sort_by_cached_key(|&k| name(&node.inputs[k]));
    order
}

/// Lowers a plan that has just run (so its buffers hold their shapes) to a fast program.
fn lower(graph: &Graph, p: &Plan, feeds: &[Feed]) -> Option<FastProgram> {
    let mut inputs: Vec<Vec<Option<(usize, usize)>>> = Vec::with_capacity(p.steps.len());
    let mut feed_inputs: Vec<Vec<Option<usize>>> = Vec::with_capacity(p.steps.len());
    for s in &p.steps {
        inputs.push(s.inputs.iter().map(|i| if let Src::Step(a, b) = *i { Some((a, b)) } else { None }).collect());
        feed_inputs.push(s.inputs.iter().map(|i| if let Src::Feed(k) = *i { Some(k) } else { None }).collect());
    }
    let views: Vec<StepView<'_>> = p
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let outs = p.buffers.get(i).map(Vec::as_slice).unwrap_or(&[]);
            StepView {
                node: s.node,
                inputs: &inputs[i],
                feed_inputs: &feed_inputs[i],
                out_shapes: outs.iter().map(|v| v.shape().to_vec()).collect(),
                var_slot: s.var_slot,
                ref_slots: &s.ref_slots,
                fused: s.fused,
                out_is_f32: outs.iter().all(|v| matches!(v, Value::F32(_))),
            }
        })
        .collect();
    let fetches: Vec<Option<(usize, usize)>> =
        p.fetches.iter().map(|f| if let Src::Step(a, b) = *f { Some((a, b)) } else { None }).collect();
    let fetch_feeds: Vec<Option<usize>> =
        p.fetches.iter().map(|f| if let Src::Feed(k) = *f { Some(k) } else { None }).collect();
    let feed_shapes = feeds.iter().map(|f| f.value.shape().to_vec()).collect();
    let mut reason = String::new();
    let fast = FastProgram::build(graph, &views, feed_shapes, &fetches, &fetch_feeds, &mut reason);
    if std::env::var_os("FLOWBENCH_DEBUG_FASTPATH").is_some() {
        match &fast {
            None => eprintln!("flowbench: run plan not lowered at {reason}"),
            Some(f) => eprintln!("flowbench: run plan lowered: {}", f.describe()),
        }
    }
    fast
}
