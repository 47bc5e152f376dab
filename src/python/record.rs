//! What `flowbench import` keeps of a program's run: the script steps its session calls make
//! (open, enter and leave `with` blocks, run with its fetches and feeds, print, close, save and
//! restore checkpoints), the configs its sessions use, and at the end the project itself (its
//! graphs laid out in columns by depth).

use crate::engine::runtime::session::ConfigProto;
use crate::engine::runtime::workspace::Workspace;
use crate::project::script::{PrintArg, Step};
use crate::project::{NamedConfig, Project, graph_def_from};
use crate::python::idx_data::{DataRef, IdxSource};
use crate::python::value::PyValue;
use crate::train::data::dataset::{Dataset, DatasetSource};
use crate::train::data::idx::{Field, Split};
use crate::train::{LogArg, LogValue};
use std::collections::HashMap;

/// The recorded steps of a run.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Steps; `None` where a step was folded into a later one (a fetch printed by `Eval`).
    pub steps: Vec<Option<Step>>,
    /// For `OpenSession` steps: the workspace index of the session's graph (named at the end).
    open_graphs: HashMap<usize, usize>,
    /// Named configs, in first-use order.
    pub configs: Vec<NamedConfig>,
    /// The message a recorded `Try` step prints when it fails at replay, and the step's index,
    /// until the program's own `except` handler printed the same (then that print is not
    /// recorded twice). When the program records anything else first (its handler printed
    /// another form of the error, `str(e)` as TF 2.x words it, or nothing), the step becomes a
    /// `TryQuiet` step and what the handler printed is recorded as it was printed.
    pub pending_try: Option<(String, usize)>,
    /// Why the run cannot be saved as a project, if something it did has no script step.
    pub refusal: Option<String>,
    /// The fetched values of runs that are scalars, by step index and fetch position (to
    /// recognise a training loop's logged values).
    pub scalars: HashMap<(usize, usize), f64>,
    /// Datasets made of a training loop's data.
    pub datasets: Vec<Dataset>,
    /// What `input_data.read_data_sets` calls read, in call order.
    pub idx_sources: Vec<IdxSource>,
    /// The `input_data` arrays recorded feeds hold (by the index their marker names).
    data_refs: Vec<DataRef>,
    /// The formats of printed lines made by `%`, by the index of their print step.
    formats: HashMap<usize, LineFormat>,
    /// The last `%`-formatted string, until it is printed.
    last_format: Option<(String, LineFormat)>,
    /// For each graph a session has run (by workspace index): how many of its nodes the
    /// project's graph holds (those built before its first run), and how many it or the
    /// `add_node` steps recorded so far hold.
    /// TF places a graph's nodes when a session first runs it, and again those added before
    /// each later run: nodes built after the first run are built at that point of the script.
    kept_nodes: std::collections::BTreeMap<usize, (usize, usize)>,
    /// For `AddNode` steps: the workspace index of their graph (named at the end).
    add_graphs: HashMap<usize, usize>,
}

impl Recorder {
    /// Appends a step; returns its index.
    pub fn push(&mut self, step: Step) -> usize {
        self.quiet_pending_try();
        self.steps.push(Some(step));
        self.steps.len() - 1
    }

    /// A failed step in a `try` whose handler did not print `type(e).__name__ + ": " + str(e)`
    /// as the replay words it (see [`Recorder::pending_try`]) prints nothing at replay.
    fn quiet_pending_try(&mut self) {
        let Some((_, k)) = self.pending_try.take() else { return };
        if let Some(slot) = self.steps.get_mut(k)
            && let Some(Step::Try { body }) = slot.take()
        {
            *slot = Some(Step::TryQuiet { body });
        }
    }

    /// Records a failed session call inside a `try` block (see [`Recorder::pending_try`]).
    pub fn failed_in_try(&mut self, step: Step, text: String) {
        let k = self.push(Step::Try { body: Box::new(step) });
        self.pending_try = Some((text, k));
    }

    /// Records `tf.Session(graph=..., config=...)` on workspace graph `graph`.
    pub fn open_session(&mut self, id: &str, graph: usize, config: &ConfigProto, interactive: bool) {
        let config = (*config != ConfigProto::default()).then(|| self.config_name(config));
        let i = self.push(Step::OpenSession { id: id.to_string(), graph: None, config, interactive });
        self.open_graphs.insert(i, graph);
    }

    fn config_name(&mut self, config: &ConfigProto) -> String {
        if let Some(c) = self.configs.iter().find(|c| c.config == *config) {
            return c.name.clone();
        }
        let name =
            if self.configs.is_empty() { "config".to_string() } else { format!("config{}", self.configs.len() + 1) };
        self.configs.push(NamedConfig { name: name.clone(), config: config.clone() });
        name
    }

    /// Renames a session in the steps recorded so far (`sess = tf.Session()` names the session
    /// opened as `session3`).
    pub fn rename_session(&mut self, from: &str, to: &str) {
        let fix = |s: &mut String| {
            if s == from {
                *s = to.to_string();
            }
        };
        for step in self.steps.iter_mut().flatten() {
            rename_in_step(step, &fix);
        }
    }

    /// Before graph `g` runs in a session that logs placement: from now on, the nodes built in
    /// it are kept as `add_node` steps where they were built (see [`Recorder::sync_nodes`]).
    pub fn graph_runs(&mut self, ws: &Workspace, g: usize) {
        self.sync_nodes(ws);
        if let Ok(graph) = ws.graph(g) {
            let n = graph.nodes().len();
            self.kept_nodes.entry(g).or_insert((n, n));
        }
    }

    /// Records an `add_node` step for each node built since the last step in a graph that has
    /// run (called before each step is recorded, and at the end).
    pub fn sync_nodes(&mut self, ws: &Workspace) {
        let graphs: Vec<(usize, usize, usize)> = self.kept_nodes.iter().map(|(g, k)| (*g, k.0, k.1)).collect();
        for (g, upfront, kept) in graphs {
            let Ok(graph) = ws.graph(g) else { continue };
            let count = graph.nodes().len();
            for i in kept..count {
                if let Some(node) = crate::project::graph_def::node_def_from(graph, i, &HashMap::new()) {
                    let k = self.push(Step::AddNode { graph: None, node });
                    self.add_graphs.insert(k, g);
                }
            }
            self.kept_nodes.insert(g, (upfront, count.max(kept)));
        }
    }

    /// Records a print of these arguments, unless it repeats what a failed `Try` step prints.
    pub fn print(&mut self, args: Vec<PrintArg>, sep: Option<String>, end: Option<String>, text: &str) {
        if let Some((t, _)) = &self.pending_try
            && t == text
        {
            self.pending_try = None;
            return;
        }
        let lf = match (args.as_slice(), self.last_format.take()) {
            ([PrintArg::Text(t)], Some((made, lf))) if *t == made => Some(lf),
            _ => None,
        };
        let k = self.push(Step::Print { args, sep, end });
        if let Some(lf) = lf {
            self.formats.insert(k, lf);
            self.fold_end_line(k);
        }
    }

    /// Builds the project: the workspace's graphs (laid out), the default graph, the configs and
    /// the script.
    pub fn finish(mut self, ws: &Workspace, name: &str) -> Result<Project, String> {
        if let Some(r) = self.refusal {
            return Err(r);
        }
        self.quiet_pending_try();
        self.sync_nodes(ws);
        // Each graph laid out whole; the nodes built after its first run are left to the
        // script's `add_node` steps (with their positions).
        let mut positions: Vec<HashMap<String, [f32; 2]>> = Vec::with_capacity(ws.graphs.len());
        let graphs: Vec<_> = ws
            .graphs
            .iter()
            .enumerate()
            .map(|(k, g)| {
                let plain = graph_def_from(&g.name, &g.graph, &HashMap::new());
                positions.push(layout(&plain));
                let mut gd = graph_def_from(&g.name, &g.graph, &positions[k]);
                if let Some(&(upfront, _)) = self.kept_nodes.get(&k) {
                    gd.nodes.truncate(upfront);
                }
                gd
            })
            .collect();
        let default_graph = ws.graphs.get(ws.default_graph).map_or_else(|| "default".to_string(), |g| g.name.clone());
        let mut script = Vec::with_capacity(self.steps.len());
        let steps = std::mem::take(&mut self.steps);
        for (i, step) in steps.into_iter().enumerate() {
            let Some(mut step) = step else { continue };
            let g = match &step {
                Step::OpenSession { .. } => self.open_graphs.get(&i),
                Step::AddNode { .. } => self.add_graphs.get(&i),
                _ => None,
            };
            if let Some(&g) = g
                && let Some(named) = ws.graphs.get(g)
            {
                match &mut step {
                    Step::OpenSession { graph, .. } if named.name != default_graph => *graph = Some(named.name.clone()),
                    Step::AddNode { graph, node } => {
                        if named.name != default_graph {
                            *graph = Some(named.name.clone());
                        }
                        node.pos = positions.get(g).and_then(|p| p.get(&node.name)).copied();
                    }
                    _ => {}
                }
            }
            script.push(step);
        }
        self.resolve_data_feeds(&mut script)?;
        Ok(Project {
            name: name.to_string(),
            graphs,
            default_graph,
            configs: self.configs,
            datasets: self.datasets,
            script,
            ..Project::default()
        })
    }
}

fn rename_in_step(step: &mut Step, fix: &dyn Fn(&mut String)) {
    match step {
        Step::OpenSession { id, .. } => fix(id),
        Step::EnterDefault { session } | Step::CloseSession { session } => fix(session),
        Step::Run { session, .. }
        | Step::TrainLoop { session, .. }
        | Step::SaveCheckpoint { session, .. }
        | Step::RestoreCheckpoint { session, .. } => {
            if let Some(s) = session {
                fix(s);
            }
        }
        Step::Print { args, .. } => {
            for a in args {
                if let PrintArg::Eval { session: Some(s), .. } | PrintArg::RunList { session: Some(s), .. } = a {
                    fix(s);
                }
            }
        }
        Step::Try { body } | Step::TryQuiet { body } => rename_in_step(body, fix),
        _ => {}
    }
}

/// Positions in columns by depth (each node one column right of its deepest input), rows in
/// creation order.
pub fn layout(gd: &crate::project::GraphDef) -> HashMap<String, [f32; 2]> {
    use crate::engine::graph::tensor_name::TensorName;
    let mut depth: HashMap<&str, usize> = HashMap::new();
    let mut rows: HashMap<usize, usize> = HashMap::new();
    let mut out = HashMap::new();
    for n in &gd.nodes {
        let d = n
            .inputs
            .iter()
            .map(|s| TensorName::op_of(s))
            .chain(n.control_inputs.iter().map(String::as_str))
            .filter_map(|b| depth.get(b))
            .map(|d| d + 1)
            .max()
            .unwrap_or(0);
        depth.insert(&n.name, d);
        let r = rows.entry(d).or_insert(0);
        out.insert(n.name.clone(), [d as f32 * 240.0, *r as f32 * 110.0]);
        *r += 1;
    }
    out
}

/// The rows of a 2-D feed value stored as JSON (`None` unless it is a list of equal-length lists
/// of numbers).
fn rows_of(v: &serde_json::Value) -> Option<Vec<Vec<f64>>> {
    let rows = v.as_array()?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let r = r.as_array()?;
        out.push(r.iter().map(serde_json::Value::as_f64).collect::<Option<Vec<f64>>>()?);
    }
    let w = out.first().map(Vec::len)?;
    (w > 0 && out.iter().all(|r| r.len() == w)).then_some(out)
}

/// Where a value `%`-formatted into a printed line came from.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgSource {
    /// A Python int (a loop's `i`, `i + 1`, a constant).
    Int(i64),
    /// Fetch `pos` of the recorded run step `k`.
    Fetch(usize, usize),
    /// Anything else.
    Other,
}

/// A printed line made by `format % (args...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct LineFormat {
    /// The `%` format.
    pub format: String,
    /// Where its values came from.
    pub args: Vec<ArgSource>,
}

/// The JSON a feed of `input_data`'s arrays is recorded as until the project is built (an
/// object, which no feed value is).
const DATA_MARKER: &str = "$input_data";

/// At most this many numbers of `input_data`'s arrays are stored in a project as feed values
/// (outside a recognised training loop).
const MAX_STORED_DATA: usize = 2_000_000;

/// A training loop's fields, as [`Recorder::train_loop_of`] recognises them.
struct LoopData {
    dataset: String,
    feeds: Vec<crate::project::script::ColumnFeedDef>,
    batch_size: usize,
    batching: crate::train::Batching,
    split: Option<Split>,
    new_dataset: Option<Dataset>,
}

impl Recorder {
    /// The JSON recorded for a feed of an `input_data` array (resolved by [`Recorder::finish`]).
    pub fn data_marker(&mut self, r: DataRef) -> serde_json::Value {
        self.data_refs.push(r);
        serde_json::json!({ DATA_MARKER: self.data_refs.len() - 1 })
    }

    /// The data reference a recorded feed value stands for.
    fn data_ref(&self, v: &serde_json::Value) -> Option<&DataRef> {
        let k = v.as_object()?.get(DATA_MARKER)?.as_u64()?;
        self.data_refs.get(usize::try_from(k).ok()?)
    }

    /// Notes that `text` was made by `format % args` (for a log line printed next).
    pub fn note_format(&mut self, text: &str, format: &str, args: &PyValue) {
        let items: Vec<PyValue> = match args {
            PyValue::Tuple(t) => t.as_ref().clone(),
            PyValue::Dict(_) => {
                self.last_format = None;
                return;
            }
            other => vec![other.clone()],
        };
        let args = items
            .iter()
            .map(|v| match v {
                PyValue::Int(i) => ArgSource::Int(*i),
                PyValue::Array(a) if a.value.len() == 1 => {
                    a.origin.map_or(ArgSource::Other, |(k, p)| ArgSource::Fetch(k, p))
                }
                _ => ArgSource::Other,
            })
            .collect();
        self.last_format = Some((text.to_string(), LineFormat { format: format.to_string(), args }));
    }

    /// Replaces the markers of `input_data` feeds left in the steps by their values (refused
    /// beyond [`MAX_STORED_DATA`] numbers).
    fn resolve_data_feeds(&self, script: &mut [Step]) -> Result<(), String> {
        if self.data_refs.is_empty() {
            return Ok(());
        }
        let mut stored = 0usize;
        let mut resolve = |feeds: &mut Vec<crate::project::script::FeedDef>| -> Result<(), String> {
            for f in feeds {
                let Some(r) = self.data_ref(&f.value) else { continue };
                let Some(source) = self.idx_sources.get(r.sets) else { continue };
                let value = crate::python::idx_data::value_of(source, r);
                stored += value.len();
                if stored > MAX_STORED_DATA {
                    return Err(format!(
                        "it feeds more than {MAX_STORED_DATA} numbers of input_data's arrays outside a training loop flowbench recognises (for i in range(n): xs, ys = mnist.train.next_batch(b); sess.run(train_op, feed_dict={{x: xs, y_: ys}})), too many to store in the project"
                    ));
                }
                f.value = value.to_json();
            }
            Ok(())
        };
        fn feeds_of_step<'s>(s: &'s mut Step, out: &mut Vec<&'s mut Vec<crate::project::script::FeedDef>>) {
            match s {
                Step::Run { feeds, .. } => out.push(feeds),
                Step::Try { body } | Step::TryQuiet { body } => feeds_of_step(body, out),
                Step::Print { args, .. } => {
                    for a in args {
                        if let PrintArg::Eval { feeds, .. } | PrintArg::RunList { feeds, .. } = a {
                            out.push(feeds);
                        }
                    }
                }
                _ => {}
            }
        }
        for step in script.iter_mut() {
            let mut all = Vec::new();
            feeds_of_step(step, &mut all);
            for feeds in all {
                resolve(feeds)?;
            }
        }
        Ok(())
    }

    /// After `for i in range(n):` ran: when the steps it recorded from `start` are a training
    /// loop (each turn one training run; every `k`-th turn, before or after it, runs of single
    /// tensors on all the data printed as one `%`-formatted line), they are replaced by one
    /// `train_loop` step. Otherwise nothing changes (they stay run steps).
    pub fn fold_train_loop(&mut self, start: usize, n: u64) {
        if let Some((step, dataset)) = self.train_loop_of(start, n) {
            for s in self.steps.iter_mut().skip(start) {
                *s = None;
            }
            if let Some(d) = dataset {
                self.datasets.push(d);
            }
            self.steps.push(Some(step));
        }
    }

    fn train_loop_of(&self, start: usize, n: u64) -> Option<(Step, Option<Dataset>)> {
        use crate::project::script::TrainLogDef;
        if n == 0 || self.pending_try.is_some() {
            return None;
        }
        let steps: Vec<(usize, &Step)> =
            self.steps.iter().enumerate().skip(start).filter_map(|(i, s)| s.as_ref().map(|s| (i, s))).collect();
        let trains: Vec<usize> = steps
            .iter()
            .enumerate()
            .filter(|(_, (_, s))| matches!(s, Step::Run { targets, .. } if !targets.is_empty()))
            .map(|(p, _)| p)
            .collect();
        if trains.len() as u64 != n {
            return None;
        }
        let Step::Run { session, fetches, targets, feeds, graph: None, print: false } = steps[trains[0]].1 else {
            return None;
        };
        if targets.len() != 1 {
            return None;
        }
        let tensors: Vec<&str> = feeds.iter().map(|f| f.tensor.as_str()).collect();
        let mut train_feeds: Vec<&Vec<crate::project::script::FeedDef>> = Vec::with_capacity(trains.len());
        for &p in &trains {
            let Step::Run { session: s2, fetches: f2, targets: t2, feeds: fd, graph: None, print: false } = steps[p].1
            else {
                return None;
            };
            if s2 != session
                || f2 != fetches
                || t2 != targets
                || fd.iter().map(|f| f.tensor.as_str()).ne(tensors.clone())
            {
                return None;
            }
            train_feeds.push(fd);
        }
        // The steps between training runs: the log of a turn, printed after its training run,
        // or before it when steps precede the first training run.
        let before_step = trains[0] > 0;
        let n_us = trains.len();
        let between = |k: usize| &steps[trains[k] + 1..trains.get(k + 1).copied().unwrap_or(steps.len())];
        let mut groups: Vec<(u64, &[(usize, &Step)])> = Vec::new();
        if before_step {
            groups.push((0, &steps[..trains[0]]));
            for k in 0..n_us - 1 {
                groups.push((k as u64 + 1, between(k)));
            }
            if !between(n_us - 1).is_empty() {
                return None;
            }
        } else {
            for k in 0..n_us {
                groups.push((k as u64, between(k)));
            }
        }
        groups.retain(|(_, g)| !g.is_empty());
        // Each log: runs of one tensor each (on the full data), then one formatted line.
        let mut log: Option<(String, Vec<LogArg<String>>)> = None;
        let mut eval_feeds: Option<&Vec<crate::project::script::FeedDef>> = None;
        let mut turns = Vec::with_capacity(groups.len());
        for (turn, group) in &groups {
            let ((pk, last), runs) = group.split_last()?;
            let (format, args) = self.log_line_of(*pk, last, runs, session, *turn, &mut eval_feeds)?;
            match &log {
                None => log = Some((format, args)),
                Some(l) if l.0 == format && l.1 == args => {}
                Some(_) => return None,
            }
            turns.push(*turn);
        }
        // Logged every `every` turns from the first.
        let log = match log {
            None => None,
            Some((format, args)) => {
                let every = turns.get(1).copied().unwrap_or(n);
                if every == 0 || turns.iter().copied().ne((0..n).step_by(every as usize)) {
                    return None;
                }
                let loss = args.iter().rev().find_map(|a| match a {
                    LogArg::Tensor(t) => Some(t.clone()),
                    _ => None,
                })?;
                let args = if args == [LogArg::Step, LogArg::Tensor(loss.clone())] { Vec::new() } else { args };
                Some(TrainLogDef { every, loss, format, split: None, args, before_step, end: None })
            }
        };
        let data = if feeds.is_empty() {
            if eval_feeds.is_some_and(|f| !f.is_empty()) {
                return None;
            }
            LoopData {
                dataset: String::new(),
                feeds: Vec::new(),
                batch_size: 1,
                batching: crate::train::Batching::Cyclic,
                split: None,
                new_dataset: None,
            }
        } else if self.data_ref(&feeds[0].value).is_some() {
            self.idx_loop(&train_feeds, eval_feeds)?
        } else {
            self.table_loop(&train_feeds, eval_feeds?)?
        };
        let log = log.map(|mut l| {
            l.split = data.split;
            l
        });
        let step = Step::TrainLoop {
            session: session.clone(),
            dataset: data.dataset,
            feeds: data.feeds,
            train_op: targets[0].clone(),
            fetches: fetches.clone(),
            batch_loss: log.as_ref().map(|l| l.loss.clone()),
            steps: n,
            batch_size: data.batch_size,
            batching: data.batching,
            log,
        };
        Some((step, data.new_dataset))
    }

    /// A log line: `runs` (single-tensor runs of `session`, all with the same feeds as
    /// `eval_feeds`) then `last`, a print of a line `%`-formatted from them and the step.
    /// `step` is the value of the format's `step` (`step + 1` of its `step_plus_one`). Returns
    /// the format and its values; the line must be what the format makes of them.
    fn log_line_of<'s>(
        &'s self,
        pk: usize,
        last: &Step,
        runs: &[(usize, &'s Step)],
        session: &Option<String>,
        step: u64,
        eval_feeds: &mut Option<&'s Vec<crate::project::script::FeedDef>>,
    ) -> Option<(String, Vec<LogArg<String>>)> {
        let Step::Print { args, sep: None, end: None } = last else { return None };
        let [PrintArg::Text(line)] = args.as_slice() else { return None };
        let lf = self.formats.get(&pk)?;
        let mut fetched: HashMap<usize, &[String]> = HashMap::new();
        for (k, s) in runs {
            let Step::Run { session: s2, fetches, targets, feeds, graph: None, print: false } = s else { return None };
            if s2 != session || fetches.is_empty() || !targets.is_empty() {
                return None;
            }
            if *eval_feeds.get_or_insert(feeds) != feeds {
                // Same tensors fed the same data (the markers of input_data's sets differ).
                let same = eval_feeds.is_some_and(|e| {
                    e.len() == feeds.len()
                        && e.iter().zip(feeds).all(|(a, b)| {
                            a.tensor == b.tensor
                                && match (self.data_ref(&a.value), self.data_ref(&b.value)) {
                                    (Some(x), Some(y)) => x == y,
                                    _ => false,
                                }
                        })
                });
                if !same {
                    return None;
                }
            }
            fetched.insert(*k, fetches);
        }
        let mut out = Vec::with_capacity(lf.args.len());
        let mut values = Vec::with_capacity(lf.args.len());
        let mut used = std::collections::HashSet::new();
        for a in &lf.args {
            match a {
                ArgSource::Int(v) if *v == step as i64 => {
                    out.push(LogArg::Step);
                    values.push(LogValue::Int(*v));
                }
                ArgSource::Int(v) if *v == step as i64 + 1 => {
                    out.push(LogArg::StepPlusOne);
                    values.push(LogValue::Int(*v));
                }
                ArgSource::Fetch(k, pos) => {
                    // (Each tensor is then evaluated in its own run: fetching is pure.)
                    let t = fetched.get(k)?.get(*pos)?;
                    used.insert(*k);
                    out.push(LogArg::Tensor(t.to_string()));
                    values.push(LogValue::Float(*self.scalars.get(&(*k, *pos))?));
                }
                _ => return None,
            }
        }
        if used.len() != fetched.len() || crate::train::format_values(&lf.format, &values) != *line {
            return None;
        }
        crate::train::check_log_format(&lf.format).ok()?;
        Some((lf.format.clone(), out))
    }

    /// The data of a loop fed `mnist.train.next_batch(b)` each turn (and evaluated on one whole
    /// set of the same `read_data_sets`).
    fn idx_loop(
        &self,
        train_feeds: &[&Vec<crate::project::script::FeedDef>],
        eval_feeds: Option<&Vec<crate::project::script::FeedDef>>,
    ) -> Option<LoopData> {
        use crate::project::script::ColumnFeedDef;
        let first: Vec<&DataRef> =
            train_feeds.first()?.iter().map(|f| self.data_ref(&f.value)).collect::<Option<_>>()?;
        let b0 = first.first()?.batch.as_ref()?;
        let sets = first[0].sets;
        let numpy_seed = b0.first_seed?;
        for (turn, fd) in train_feeds.iter().enumerate() {
            for (f, r0) in fd.iter().zip(&first) {
                let r = self.data_ref(&f.value)?;
                let b = r.batch.as_ref()?;
                if r.sets != sets
                    || r.split != Split::Train
                    || r.field != r0.field
                    || b.call != turn as u64
                    || b.size != b0.size
                    || b.shuffle != b0.shuffle
                    || b.np_draws != b0.np_draws
                {
                    return None;
                }
            }
        }
        let fields: Vec<(&str, Field)> =
            train_feeds[0].iter().zip(&first).map(|(f, r)| (f.tensor.as_str(), r.field)).collect();
        let mut split = None;
        if let Some(e) = eval_feeds {
            if e.len() != fields.len() {
                return None;
            }
            for f in e {
                let r = self.data_ref(&f.value)?;
                let (_, field) = fields.iter().find(|(t, _)| *t == f.tensor)?;
                if r.sets != sets || r.batch.is_some() || r.field != *field || *split.get_or_insert(r.split) != r.split
                {
                    return None;
                }
            }
        }
        let source = self.idx_sources.get(sets)?;
        let src = DatasetSource::Idx {
            dir: source.dir.to_string_lossy().into_owned(),
            one_hot: source.one_hot,
            validation_size: source.validation_size,
            files: None,
        };
        let (dataset, new_dataset) = match self.datasets.iter().find(|d| d.source == src) {
            Some(d) => (d.name.clone(), None),
            None => {
                let name = self.fresh_dataset_name("mnist");
                (name.clone(), Some(Dataset { name, source: src }))
            }
        };
        Some(LoopData {
            dataset,
            feeds: fields
                .iter()
                .map(|(t, f)| ColumnFeedDef { tensor: t.to_string(), columns: vec![f.name().to_string()] })
                .collect(),
            batch_size: b0.size,
            batching: crate::train::Batching::NextBatch { numpy_seed, shuffle: b0.shuffle },
            split: split.filter(|s| *s != Split::Train),
            new_dataset,
        })
    }

    /// The data of a loop fed batch `i` cut cyclically from the full data it is evaluated on
    /// (the seed's `start = (i * batch_size) % data_size`).
    fn table_loop(
        &self,
        train_feeds: &[&Vec<crate::project::script::FeedDef>],
        full: &[crate::project::script::FeedDef],
    ) -> Option<LoopData> {
        use crate::project::script::ColumnFeedDef;
        let first = train_feeds.first()?;
        if full.iter().map(|f| &f.tensor).ne(first.iter().map(|f| &f.tensor)) {
            return None;
        }
        let batch_size = rows_of(&first[0].value)?.len();
        let columns_of: Vec<Vec<Vec<f64>>> = full.iter().map(|f| rows_of(&f.value)).collect::<Option<_>>()?;
        let rows = columns_of[0].len();
        if rows == 0 || columns_of.iter().any(|c| c.len() != rows) {
            return None;
        }
        for (i, fd) in train_feeds.iter().enumerate() {
            let lo = (i * batch_size) % rows;
            let hi = (lo + batch_size).min(rows);
            for (f, all) in fd.iter().zip(&columns_of) {
                if rows_of(&f.value)? != all[lo..hi] {
                    return None;
                }
            }
        }
        let mut names = Vec::new();
        let mut col_feeds = Vec::new();
        for (f, all) in full.iter().zip(&columns_of) {
            let base = crate::engine::graph::tensor_name::TensorName::op_of(&f.tensor).replace('/', "_");
            let cols: Vec<String> = (0..all[0].len()).map(|j| format!("{base}_{j}")).collect();
            names.extend(cols.iter().cloned());
            col_feeds.push(ColumnFeedDef { tensor: f.tensor.clone(), columns: cols });
        }
        let data_rows: Vec<Vec<f64>> =
            (0..rows).map(|r| columns_of.iter().flat_map(|c| c[r].iter().copied()).collect()).collect();
        let name = self.fresh_dataset_name("data");
        let dataset = Dataset { name: name.clone(), source: DatasetSource::Inline { columns: names, rows: data_rows } };
        Some(LoopData {
            dataset: name,
            feeds: col_feeds,
            batch_size,
            batching: crate::train::Batching::Cyclic,
            split: None,
            new_dataset: Some(dataset),
        })
    }

    fn fresh_dataset_name(&self, base: &str) -> String {
        let mut name = base.to_string();
        let mut k = 1;
        while self.datasets.iter().any(|d| d.name == name) {
            k += 1;
            name = format!("{base}{k}");
        }
        name
    }

    /// After the print at `pk`: when it and the runs before it follow a train loop over an IDX
    /// dataset and print one line of the step count and tensors evaluated on one whole set
    /// (`print("After %d steps, test accuracy %g" % (STEPS, sess.run(acc, feed_dict=test_feed)))`),
    /// they become the loop's `end` line.
    fn fold_end_line(&mut self, pk: usize) {
        // The runs just before the print (at most a few), then the train loop.
        let mut live: Vec<usize> = Vec::new();
        let mut loop_at = None;
        for i in (0..pk).rev() {
            match &self.steps[i] {
                None => {}
                Some(Step::Run { .. }) if live.len() < 16 => live.push(i),
                Some(Step::Run { .. }) => return,
                Some(_) => {
                    loop_at = Some(i);
                    break;
                }
            }
        }
        let Some(loop_at) = loop_at else { return };
        let Some(Step::TrainLoop { session, dataset, feeds, steps, log: Some(log), .. }) = &self.steps[loop_at] else {
            return;
        };
        if log.end.is_some() || dataset.is_empty() {
            return;
        }
        let Some(DatasetSource::Idx { .. }) = self.datasets.iter().find(|d| d.name == *dataset).map(|d| &d.source)
        else {
            return;
        };
        let runs: Vec<(usize, &Step)> = live
            .iter()
            .copied()
            .filter(|&i| i > loop_at)
            .rev()
            .filter_map(|i| Some((i, self.steps[i].as_ref()?)))
            .collect();
        let Some(last) = self.steps[pk].as_ref() else { return };
        let mut eval_feeds = None;
        let Some((format, args)) = self.log_line_of(pk, last, &runs, session, *steps, &mut eval_feeds) else {
            return;
        };
        // The whole set fed must be one set of the loop's data, by the loop's fields.
        let mut split = None;
        for f in eval_feeds.map(Vec::as_slice).unwrap_or_default() {
            let Some(r) = self.data_ref(&f.value) else { return };
            let Some(c) = feeds.iter().find(|c| c.tensor == f.tensor) else { return };
            if r.batch.is_some()
                || c.columns != [r.field.name()]
                || *split.get_or_insert(r.split) != r.split
                || self.idx_sources.get(r.sets).map(|s| s.dir.to_string_lossy().into_owned())
                    != self.datasets.iter().find(|d| d.name == *dataset).and_then(|d| match &d.source {
                        DatasetSource::Idx { dir, .. } => Some(dir.clone()),
                        _ => None,
                    })
            {
                return;
            }
        }
        if eval_feeds.is_some_and(|e| e.len() != feeds.len()) {
            return;
        }
        let end = crate::train::EndLog { format, args, split };
        let run_ids: Vec<usize> = runs.iter().map(|(i, _)| *i).collect();
        if let Some(Step::TrainLoop { log: Some(log), .. }) = &mut self.steps[loop_at] {
            log.end = Some(end);
        }
        for i in run_ids {
            self.steps[i] = None;
        }
        self.steps[pk] = None;
    }
}
