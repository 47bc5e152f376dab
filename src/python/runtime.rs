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

/// Watches a run from outside (the window's program view): called before each statement, it
/// may pause the program there (stepping) or stop it.
pub trait Control {
    /// Before the statement at byte `offset` of the source, `depth` calls deep; an error stops
    /// the program there.
    fn before_statement(&mut self, offset: usize, depth: usize, ws: &Workspace) -> PyResult<()>;
    /// Now and then between statements (inside long expressions): an error stops the program.
    fn poll(&mut self) -> PyResult<()>;
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
            rec: Recorder::default(),
            try_depth: 0,
            base_dir,
            temp_dirs: Vec::new(),
            control: None,
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

    /// The graph at `g`, to add nodes.
    pub fn graph_mut(&mut self, g: usize) -> PyResult<&mut Graph> {
        Ok(self.ws.graph_mut(g)?)
    }

    /// Opens a session on graph `g` (`tf.Session` / `tf.InteractiveSession`), with an id the
    /// program's variable name replaces later.
    pub fn open_session(&mut self, g: usize, config: ConfigProto, interactive: bool) -> PyResult<usize> {
        self.next_session += 1;
        let id = format!("session{}", self.next_session);
        let s = self.ws.open_session(&id, g, config.clone(), interactive)?;
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
        self.rec.push(Step::EnterDefault { session: id });
    }

    /// Leaves it.
    pub fn exit_session(&mut self) {
        self.ws.pop_default();
        self.rec.push(Step::ExitDefault);
    }

    /// `sess.close()`.
    pub fn close_session(&mut self, s: usize) -> PyResult<()> {
        let open = self.ws.sessions.get(s).is_some_and(|e| !e.session.is_closed());
        self.ws.close_session(s)?;
        if open {
            let id = self.session_id(s);
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
        feeds: Vec<NamedFeed>,
    ) -> PyResult<(RunOutput, usize)> {
        let step = Step::Run {
            session: Some(self.session_id(s)),
            fetches: fetches.clone(),
            targets: targets.clone(),
            feeds: feeds.iter().map(|f| FeedDef { tensor: f.tensor.clone(), value: f.value.to_json() }).collect(),
            graph: None,
            print: false,
        };
        match self.ws.run(s, names_graph, &fetches, &feeds, &targets) {
            Ok(out) => {
                for p in &out.placement_log {
                    (self.out)(ScriptOutput::Placement(p.log_line()));
                }
                let i = self.rec.push(step);
                if let [v] = out.values.as_slice()
                    && v.len() == 1
                    && let Some(x) = v.first_f64()
                {
                    self.rec.scalars.insert(i, x);
                }
                Ok((out, i))
            }
            Err(e) => {
                if self.try_depth > 0 {
                    self.rec.pending_try = Some(format!("{}: {}\n", e.class.python_name(), e.message));
                    self.rec.push(Step::Try { body: Box::new(step) });
                } else {
                    self.rec.refusal.get_or_insert_with(|| format!("the program failed: {e}"));
                }
                Err(e.into())
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
