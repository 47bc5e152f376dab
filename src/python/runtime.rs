//! The state a running program has besides its names: the workspace (graphs and sessions, the
//! same one `flowbench run` drives for a project), the stack of default graphs, numpy's global
//! generator, what the run prints, the recorder that `flowbench import` reads, and the budget
//! (seconds and steps) that stops a program that never ends.

use crate::engine::graph::{Graph, NodeId};
use crate::engine::runtime::session::{ConfigProto, RunOutput};
use crate::engine::runtime::workspace::{NamedFeed, NamedGraph, Workspace};
use crate::interpreter::ScriptOutput;
use crate::project::script::{FeedDef, Step};
use crate::python::errors::{PyError, PyResult};
use crate::python::record::Recorder;
use std::time::{Duration, Instant};

/// TF's `OpError` classes: runtime errors of a graph's nodes, which TF 2.x words as a "Graph
/// execution error".
pub const TF_OP_ERRORS: [&str; 9] = [
    "InvalidArgumentError",
    "FailedPreconditionError",
    "DeadlineExceededError",
    "ResourceExhaustedError",
    "UnimplementedError",
    "NotFoundError",
    "CancelledError",
    "InternalError",
    "DataLossError",
];

/// The most numbers and lists a feed kept in an imported project's script may hold.
const MAX_FEED_JSON_ITEMS: u128 = 20_000_000;

/// How many numbers and lists a value of `shape` is as nested JSON lists.
fn json_items(shape: &[usize]) -> u128 {
    let mut level = 1u128;
    let mut items = 0u128;
    for &d in shape {
        level = level.saturating_mul(d as u128);
        items = items.saturating_add(level);
    }
    items.max(1)
}

/// A Python call stack: each frame's function and the byte offset of its current statement.
pub type Stack = Vec<(std::rc::Rc<str>, usize)>;

/// Watches a run from outside (the window's program view): called before each statement, it
/// may pause the program there (stepping) or stop it.
pub trait Control {
    /// Before the statement at byte `offset` of the source, `depth` calls deep; an error stops
    /// the program there.
    fn before_statement(&mut self, offset: usize, depth: usize, ws: &Workspace) -> PyResult<()>;
    /// Now and then between statements (inside long expressions): an error stops the program.
    fn poll(&mut self) -> PyResult<()>;
    /// A flag that, once set, cancels a session run in progress between two of its ops (then
    /// [`Control::poll`] says how the program ends).
    fn cancel_flag(&self) -> Option<std::sync::Arc<std::sync::atomic::AtomicBool>> {
        None
    }
}

/// Limits on a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// Stop after this long.
    pub max_time: Option<Duration>,
    /// Stop after this many evaluation steps (statements, loop turns, calls).
    pub max_steps: Option<u64>,
}

/// The state of a running program.
pub struct Runtime<'a> {
    /// Graphs and sessions.
    pub ws: Workspace,
    /// `with g.as_default():` (and `with tf.Session(...)`) blocks, innermost last.
    pub graph_stack: Vec<usize>,
    /// `tf.control_dependencies` blocks, innermost last.
    pub control_deps: Vec<Vec<NodeId>>,
    /// numpy's global generator (`np.random.seed`, `np.random.rand`).
    pub np_rng: crate::python::value::NpRandom,
    /// `np.random.seed(s)` while the global generator is still fresh from it.
    pub np_seed: Option<u32>,
    /// Whether the program called `np.random.seed` at all.
    pub np_seeded: bool,
    /// Calls of the global `np.random` other than `seed` (draws).
    pub np_draws: u64,
    /// `input_data.read_data_sets` results.
    pub mnist: Vec<crate::python::idx_data::Loaded>,
    /// The Python call stack: each frame's function (`<module>` first) and the byte offset of
    /// the statement it runs.
    pub frames: Stack,
    /// The program's text and its path as TF shows it (absolute), to place nodes.
    pub program: (std::rc::Rc<str>, String),
    /// Where nodes were created: `(graph, first node id, the stack then)`, in creation order.
    node_stacks: Vec<(usize, usize, Stack)>,
    /// The steps `flowbench import` keeps.
    pub rec: Recorder,
    /// Nesting of `try` blocks being run (a failed session call inside one is recorded as a
    /// `Try` step).
    pub try_depth: usize,
    /// The folder relative paths of the program are read from.
    pub base_dir: std::path::PathBuf,
    /// Folders made by `tempfile.mkdtemp()` (removed at the end).
    pub temp_dirs: Vec<std::path::PathBuf>,
    /// Who watches the run (the window's stepper); none in the CLI.
    pub control: Option<Box<dyn Control + 'a>>,
    /// For `flowbench import -o PROJECT.json`: the project's folder (canonical) and the
    /// project's path, to refuse data outside that folder when it is read, not at the end.
    pub import_into: Option<(std::path::PathBuf, std::path::PathBuf)>,
    out: &'a mut dyn FnMut(ScriptOutput),
    limits: Limits,
    started: Instant,
    steps: u64,
    next_session: usize,
    next_graph: usize,
}

impl<'a> Runtime<'a> {
    /// A fresh runtime: one empty default graph, no sessions.
    pub fn new(out: &'a mut dyn FnMut(ScriptOutput), limits: Limits, base_dir: std::path::PathBuf) -> Runtime<'a> {
        Runtime {
            ws: Workspace::new(vec![NamedGraph { name: "default".to_string(), graph: Graph::new() }], 0),
            graph_stack: Vec::new(),
            control_deps: Vec::new(),
            np_rng: crate::python::value::NpRandom::new(0),
            np_seed: None,
            np_seeded: false,
            np_draws: 0,
            mnist: Vec::new(),
            frames: vec![(std::rc::Rc::from("<module>"), 0)],
            program: (std::rc::Rc::from(""), String::new()),
            node_stacks: Vec::new(),
            rec: Recorder::default(),
            try_depth: 0,
            base_dir,
            temp_dirs: Vec::new(),
            control: None,
            import_into: None,
            out,
            limits,
            started: Instant::now(),
            steps: 0,
            next_session: 0,
            next_graph: 0,
        }
    }

    /// Counts one evaluation step; fails once the budget is spent.
    pub fn tick(&mut self) -> PyResult<()> {
        self.steps += 1;
        if let Some(max) = self.limits.max_steps
            && self.steps > max
        {
            return Err(PyError::timeout(format!("the program ran more than {max} steps; stopped")));
        }
        if self.steps.is_multiple_of(256)
            && let Some(c) = self.control.as_mut()
        {
            c.poll()?;
        }
        if self.steps.is_multiple_of(256)
            && let Some(t) = self.limits.max_time
            && self.started.elapsed() > t
        {
            return Err(PyError::timeout(format!(
                "the program ran longer than {} s (--max-seconds); stopped",
                t.as_secs_f64()
            )));
        }
        Ok(())
    }

    /// Before each statement: the watcher (if any) may pause or stop the program here.
    pub fn before_statement(&mut self, offset: usize, depth: usize) -> PyResult<()> {
        match self.control.as_mut() {
            Some(c) => c.before_statement(offset, depth, &self.ws),
            None => Ok(()),
        }
    }

    /// Prints text (with its line end).
    pub fn print_text(&mut self, text: String) {
        (self.out)(ScriptOutput::Text(text));
    }

    /// The current default graph.
    pub fn default_graph(&self) -> usize {
        self.graph_stack.last().copied().unwrap_or(self.ws.default_graph)
    }

    /// `tf.Graph()`: a new graph, named `graph1`, `graph2`, ... until the program names it.
    pub fn new_graph(&mut self) -> usize {
        self.next_graph += 1;
        let mut name = format!("graph{}", self.next_graph);
        while self.ws.graphs.iter().any(|g| g.name == name) {
            self.next_graph += 1;
            name = format!("graph{}", self.next_graph);
        }
        self.ws.add_graph(&name, Graph::new())
    }

    /// Names graph `g` after the variable it is first assigned to, when it still has its
    /// automatic name and no graph has that name.
    pub fn name_graph(&mut self, g: usize, name: &str) {
        if self.ws.graphs.iter().any(|x| x.name == name) {
            return;
        }
        if let Some(x) = self.ws.graphs.get_mut(g)
            && x.name.starts_with("graph")
            && x.name[5..].parse::<usize>().is_ok()
        {
            x.name = name.to_string();
        }
    }

    /// `tf.reset_default_graph()`.
    pub fn reset_default_graph(&mut self) -> PyResult<()> {
        if !self.graph_stack.is_empty() {
            return Err(PyError::exception(
                "AssertionError",
                "Do not use tf.reset_default_graph() to clear nested graphs. If you need a cleared graph, exit the nesting and create a new graph.",
            ));
        }
        let g = self.new_graph();
        self.ws.default_graph = g;
        Ok(())
    }

    /// The graph at `g`.
    pub fn graph(&self, g: usize) -> PyResult<&Graph> {
        Ok(self.ws.graph(g)?)
    }

    /// The graph at `g`, to add nodes (the nodes added from here on were defined at the
    /// current Python stack).
    pub fn graph_mut(&mut self, g: usize) -> PyResult<&mut Graph> {
        let count = self.ws.graph(g)?.nodes().len();
        let same = self.node_stacks.iter().rev().find(|(x, _, _)| *x == g).is_some_and(|(_, _, st)| *st == self.frames);
        if !same {
            self.node_stacks.push((g, count, self.frames.clone()));
        }
        Ok(self.ws.graph_mut(g)?)
    }

    /// TF 2.x's message for a runtime error of a graph's node: `Graph execution error:`, where
    /// the node was defined (the program's frames, outermost first), the node, the kernel's
    /// message and `[[{{node x}}]]`. (TF goes on with the node's stack trace through its own
    /// files, which are left out.)
    pub fn graph_execution_error(&self, g: usize, node: &str, message: &str, fetches: &[String]) -> String {
        let mut out = String::from("Graph execution error:\n\n");
        let graph = self.ws.graph(g).ok();
        let mut shown = node.to_string();
        if message.strip_prefix("Attempting to use uninitialized value ") == Some(node) {
            // TF reports the variable's read (`v/read`), or the fetch's return value when the
            // variable itself is fetched (a node of TF's own, defined nowhere in the program).
            if let Some(k) = fetches.iter().position(|f| *f == format!("{node}:0")) {
                return format!("{out}{message}\n\t [[{{{{node _retval_{node}_0_{k}}}}}]]");
            }
            // (`tf.Variable` always makes `v/read`; here it is defined with the variable.)
            shown = format!("{node}/read");
        }
        let id = graph.and_then(|gr| gr.find(node));
        let node = shown.as_str();
        let stack = id.and_then(|id| self.node_stacks.iter().rev().find(|(x, first, _)| *x == g && *first <= id.0));
        if let Some((_, _, frames)) = stack {
            out.push_str(&format!("Detected at node '{node}' defined at (most recent call last):\n"));
            for (func, offset) in frames {
                let line = crate::python::errors::locate(&self.program.0, *offset).line;
                out.push_str(&format!("    File \"{}\", line {line}, in {func}\n", self.program.1));
            }
        }
        // A placement error names the node bare (`[[g]]`); a kernel's, as `[[{{node x}}]]`.
        if message.starts_with("Cannot assign a device for operation ") {
            out.push_str(&format!("Node: '{node}'\n{message}\n\t [[{node}]]"));
        } else {
            out.push_str(&format!("Node: '{node}'\n{message}\n\t [[{{{{node {node}}}}}]]"));
        }
        out
    }

    /// Opens a session on graph `g` (`tf.Session` / `tf.InteractiveSession`), with an id the
    /// program's variable name replaces later.
    pub fn open_session(&mut self, g: usize, config: ConfigProto, interactive: bool) -> PyResult<usize> {
        self.next_session += 1;
        let id = format!("session{}", self.next_session);
        let s = self.ws.open_session(&id, g, config.clone(), interactive)?;
        self.rec.sync_nodes(&self.ws);
        self.rec.open_session(&id, g, &config, interactive);
        Ok(s)
    }

    /// Gives session `s` the id `name` (the variable it is assigned to), in the workspace and
    /// in the recorded steps, when it still has its automatic id.
    pub fn name_session(&mut self, s: usize, name: &str) {
        let Some(old) = self.ws.sessions.get(s).map(|e| e.id.clone()) else { return };
        if !old.starts_with("session") || old == name {
            return;
        }
        self.rec.rename_session(&old, name);
        if let Some(e) = self.ws.sessions.get_mut(s) {
            e.id = name.to_string();
        }
    }

    /// The id of session `s`.
    pub fn session_id(&self, s: usize) -> String {
        self.ws.sessions.get(s).map(|e| e.id.clone()).unwrap_or_default()
    }

    /// Enters `with sess.as_default():`.
    pub fn enter_session(&mut self, s: usize) {
        self.ws.push_default(s);
        let id = self.session_id(s);
        self.rec.sync_nodes(&self.ws);
        self.rec.push(Step::EnterDefault { session: id });
    }

    /// Leaves it.
    pub fn exit_session(&mut self) {
        self.ws.pop_default();
        self.rec.sync_nodes(&self.ws);
        self.rec.push(Step::ExitDefault);
    }

    /// `sess.close()`.
    pub fn close_session(&mut self, s: usize) -> PyResult<()> {
        let open = self.ws.sessions.get(s).is_some_and(|e| !e.session.is_closed());
        self.ws.close_session(s)?;
        if open {
            let id = self.session_id(s);
            self.rec.sync_nodes(&self.ws);
            self.rec.push(Step::CloseSession { session: id });
        }
        Ok(())
    }

    /// `sess.run(fetches, feed_dict)` by tensor and op names of graph `names_graph`: runs,
    /// prints the placement log, records the step. Returns the values and the recorded step's
    /// index.
    pub fn run(
        &mut self,
        s: usize,
        names_graph: Option<usize>,
        fetches: Vec<String>,
        targets: Vec<String>,
        feeds: Vec<(NamedFeed, Option<crate::python::idx_data::DataRef>)>,
    ) -> PyResult<(RunOutput, usize)> {
        let (feeds, data): (Vec<NamedFeed>, Vec<Option<_>>) = feeds.into_iter().unzip();
        let step = Step::Run {
            session: Some(self.session_id(s)),
            fetches: fetches.clone(),
            targets: targets.clone(),
            feeds: feeds
                .iter()
                .zip(data)
                .map(|(f, d)| FeedDef {
                    tensor: f.tensor.clone(),
                    // An array of input_data is kept as where it came from, not as its values.
                    value: match d {
                        Some(d) => self.rec.data_marker(d),
                        None if json_items(f.value.shape()) > MAX_FEED_JSON_ITEMS => {
                            // (An empty array of 10^12 rows is 10^12 lists in JSON.)
                            self.rec.refusal.get_or_insert_with(|| {
                                format!(
                                    "it feeds {} a value of shape {}, too large to keep in the project",
                                    f.tensor,
                                    crate::engine::kernels::py_shape(f.value.shape())
                                )
                            });
                            serde_json::Value::Null
                        }
                        None => f.value.to_json(),
                    },
                })
                .collect(),
            graph: None,
            print: false,
        };
        // Only a session that logs placement shows when nodes were built (TF logs the whole
        // graph again after it grew): from its first run on, later nodes are kept as `add_node`
        // steps; otherwise every node goes up front, and the window shows the whole graph.
        if let Some(g) = self.ws.sessions.get(s).filter(|e| e.session.config().log_device_placement).map(|e| e.graph) {
            self.rec.graph_runs(&self.ws, g);
        }
        let cancel = self.control.as_ref().and_then(|c| c.cancel_flag());
        if let Some(e) = self.ws.sessions.get_mut(s) {
            e.session.set_cancel_flag(cancel);
        }
        let ran = self.ws.run(s, names_graph, &fetches, &feeds, &targets);
        if let Err(e) = &ran
            && e.class == crate::engine::error::ErrorClass::Cancelled
            && let Some(c) = self.control.as_mut()
        {
            // Stopped from the window in the middle of the run.
            c.poll()?;
        }
        match ran {
            Ok(out) => {
                for p in &out.placement_log {
                    (self.out)(ScriptOutput::Placement(p.log_line()));
                }
                let i = self.rec.push(step);
                for (pos, v) in out.values.iter().enumerate() {
                    if v.len() == 1
                        && let Some(x) = v.first_f64()
                    {
                        self.rec.scalars.insert((i, pos), x);
                    }
                }
                Ok((out, i))
            }
            Err(e) => {
                if let Some(entry) = self.ws.sessions.get_mut(s) {
                    for p in entry.session.take_placed_before_failure() {
                        (self.out)(ScriptOutput::Placement(p.log_line()));
                    }
                }
                let (e_node, class) = (e.node.clone(), e.class.python_name());
                if self.try_depth > 0 {
                    self.rec.failed_in_try(step, format!("{}: {}\n", e.class.python_name(), e.message));
                } else {
                    self.rec.refusal.get_or_insert_with(|| format!("the program failed: {e}"));
                }
                let mut e: PyError = e.clone().into();
                if let (Some(node), Some(g)) = (&e_node, self.ws.sessions.get(s).map(|x| x.graph).or(names_graph))
                    && TF_OP_ERRORS.contains(&class)
                    && let crate::python::errors::PyErrorKind::Exception { message, .. } = &mut e.kind
                {
                    *message = self.graph_execution_error(g, node, message, &fetches);
                }
                Err(e)
            }
        }
    }

    /// Removes the folders `tempfile.mkdtemp()` made.
    pub fn cleanup(&mut self) {
        for d in self.temp_dirs.drain(..) {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
