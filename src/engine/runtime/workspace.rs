//! The state a TF1 Python program has around its graphs: named graphs with one marked default,
//! sessions with ids, and the stack of default sessions that `with sess.as_default()`,
//! `with tf.Session() as sess` and `tf.InteractiveSession()` manage, so that `tensor.eval()` and
//! `op.run()` find their session. Tensors are addressed by graph name and tensor name.

use crate::engine::error::{Error, ErrorClass, Result};
use crate::engine::graph::{Graph, NodeId, Output};
use crate::engine::runtime::feed::{Feed, coerce_feed};
use crate::engine::runtime::session::{ConfigProto, RunOutput, Session, SessionStats};
use crate::engine::value::Value;

/// A graph with the name the project gives it.
#[derive(Clone, Debug)]
pub struct NamedGraph {
    /// Project-level name (`default`, `g1`).
    pub name: String,
    /// The graph.
    pub graph: Graph,
}

/// A session with its id and the graph it runs.
#[derive(Debug)]
pub struct SessionEntry {
    /// Id used by the script and shown in the UI (`sess`, `sess1`).
    pub id: String,
    /// Index of its graph in the workspace.
    pub graph: usize,
    /// Created as `tf.InteractiveSession`.
    pub interactive: bool,
    /// The session itself.
    pub session: Session,
    /// True while a training job owns the session (it is not usable from here until it returns).
    pub busy: bool,
}

/// Graphs, sessions and the default-session stack.
#[derive(Debug, Default)]
pub struct Workspace {
    /// Graphs; `default_graph` indexes the default one.
    pub graphs: Vec<NamedGraph>,
    /// Index of the default graph.
    pub default_graph: usize,
    /// Every session ever opened, closed ones included (their history stays visible).
    pub sessions: Vec<SessionEntry>,
    default_stack: Vec<usize>,
    /// The temporary folder the program made (`tempfile.mkdtemp()`), once a step asked for it.
    pub scratch_dir: Option<std::path::PathBuf>,
    /// Where train loops write TensorBoard event files (`flowbench run --logdir`); none if unset.
    pub logdir: Option<std::path::PathBuf>,
}

/// A feed by tensor name, before resolution.
#[derive(Clone, Debug)]
pub struct NamedFeed {
    /// Tensor name (`x-input:0`).
    pub tensor: String,
    /// Value to feed.
    pub value: Value,
}

impl Workspace {
    /// A workspace with the given graphs; the first is the default.
    pub fn new(graphs: Vec<NamedGraph>, default_graph: usize) -> Workspace {
        Workspace {
            graphs,
            default_graph,
            sessions: Vec::new(),
            default_stack: Vec::new(),
            scratch_dir: None,
            logdir: None,
        }
    }

    /// Finds a graph by name; `None` means the default graph.
    pub fn graph_index(&self, name: Option<&str>) -> Result<usize> {
        match name {
            None => {
                if self.graphs.get(self.default_graph).is_some() {
                    Ok(self.default_graph)
                } else {
                    Err(Error::value_error("There is no default graph."))
                }
            }
            Some(n) => self
                .graphs
                .iter()
                .position(|g| g.name == n)
                .ok_or_else(|| Error::value_error(format!("No graph named '{n}' in this project."))),
        }
    }

    /// The graph at `idx`.
    pub fn graph(&self, idx: usize) -> Result<&Graph> {
        self.graphs.get(idx).map(|g| &g.graph).ok_or_else(|| Error::internal("graph index out of range"))
    }

    /// Mutable graph at `idx`.
    pub fn graph_mut(&mut self, idx: usize) -> Result<&mut Graph> {
        self.graphs.get_mut(idx).map(|g| &mut g.graph).ok_or_else(|| Error::internal("graph index out of range"))
    }

    /// Finds a session by id (the latest one with that id: ids may be reused, as Python names are).
    pub fn session_index(&self, id: &str) -> Result<usize> {
        self.sessions
            .iter()
            .rposition(|s| s.id == id)
            .ok_or_else(|| Error::value_error(format!("No session named '{id}'.")))
    }

    /// Opens a session on graph `graph` (`tf.Session(graph=..., config=...)`). An interactive
    /// session installs itself as the default session until it is closed.
    pub fn open_session(&mut self, id: &str, graph: usize, config: ConfigProto, interactive: bool) -> Result<usize> {
        let g = self.graph(graph)?;
        let session = Session::new(g, config);
        self.sessions.push(SessionEntry { id: id.to_string(), graph, interactive, session, busy: false });
        let idx = self.sessions.len() - 1;
        if interactive {
            self.default_stack.push(idx);
        }
        Ok(idx)
    }

    /// `sess.close()`.
    pub fn close_session(&mut self, idx: usize) -> Result<()> {
        let entry = self.sessions.get_mut(idx).ok_or_else(|| Error::internal("session index out of range"))?;
        entry.session.close();
        if entry.interactive {
            self.default_stack.retain(|&s| s != idx);
        }
        Ok(())
    }

    /// Enters `with sess.as_default():`.
    pub fn push_default(&mut self, idx: usize) {
        self.default_stack.push(idx);
    }

    /// Leaves the innermost `as_default` block.
    pub fn pop_default(&mut self) {
        self.default_stack.pop();
    }

    /// `tf.get_default_session()`.
    pub fn default_session(&self) -> Option<usize> {
        self.default_stack.last().copied()
    }

    /// Stats of a session.
    pub fn stats(&self, idx: usize) -> Result<SessionStats> {
        let e = self.sessions.get(idx).ok_or_else(|| Error::internal("session index out of range"))?;
        Ok(e.session.stats(self.graph(e.graph)?))
    }

    /// Resolves the session a call uses: the explicit one, or the default one (as `eval()` does).
    pub fn resolve_session(&self, explicit: Option<&str>, what: &str) -> Result<usize> {
        match explicit {
            Some(id) => self.session_index(id),
            None => self.default_session().ok_or_else(|| {
                Error::value_error(format!(
                    "Cannot {what} using `eval()`: No default session is registered. Use `with sess.as_default()` or pass an explicit session to `eval(session=sess)`"
                ))
            }),
        }
    }

    /// `sess.run(fetches, feed_dict)` with tensors and targets by name, resolved in `graph_of_names`
    /// (the graph the names were written against; `None` = the session's own graph). Names from
    /// another graph than the session's are refused as TF refuses them.
    pub fn run(
        &mut self,
        session: usize,
        graph_of_names: Option<usize>,
        fetches: &[String],
        feeds: &[NamedFeed],
        targets: &[String],
    ) -> Result<RunOutput> {
        let r = self.resolve_run(session, graph_of_names, fetches, feeds, targets)?;
        let graph = &self.graphs[r.graph].graph;
        let entry = &mut self.sessions[session];
        entry.session.run(graph, &r.fetches, &r.feeds, &r.targets)
    }

    /// The names of a [`Workspace::run`] resolved (and refused) as `run` does, without running:
    /// for a run made elsewhere (the window's debugger runs the session on its own thread).
    pub fn resolve_run(
        &self,
        session: usize,
        graph_of_names: Option<usize>,
        fetches: &[String],
        feeds: &[NamedFeed],
        targets: &[String],
    ) -> Result<ResolvedRun> {
        let entry = self.sessions.get(session).ok_or_else(|| Error::internal("session index out of range"))?;
        entry
            .session
            .is_closed()
            .then_some(())
            .map_or(Ok(()), |()| Err(Error::new(ErrorClass::RuntimeError, "Attempted to use a closed Session.")))?;
        let sg = entry.graph;
        let names_graph = graph_of_names.unwrap_or(sg);
        let graph = &self.graphs.get(sg).ok_or_else(|| Error::internal("graph index out of range"))?.graph;
        let names = &self.graphs.get(names_graph).ok_or_else(|| Error::internal("graph index out of range"))?.graph;
        let mut fetch_ids = Vec::with_capacity(fetches.len());
        for f in fetches {
            let t = names.tensor(f)?;
            if names_graph != sg {
                return Err(Error::value_error(format!(
                    "Fetch argument {} cannot be interpreted as a Tensor. (Tensor {} is not an element of this graph.)",
                    names.tensor_repr(t),
                    names.tensor_repr(t)
                ))
                .at(f.split(':').next().unwrap_or(f)));
            }
            fetch_ids.push(t);
        }
        let mut feed_vals = Vec::with_capacity(feeds.len());
        for f in feeds {
            let t = names.tensor(&f.tensor)?;
            if names_graph != sg {
                return Err(Error::value_error(format!(
                    "Cannot interpret feed_dict key as Tensor: Tensor {} is not an element of this graph.",
                    names.tensor_repr(t)
                ))
                .at(f.tensor.split(':').next().unwrap_or(&f.tensor)));
            }
            feed_vals.push(Feed { tensor: t, value: coerce_feed(graph, t, f.value.clone()) });
        }
        let mut target_ids: Vec<NodeId> = Vec::with_capacity(targets.len());
        for t in targets {
            let name = t.split(':').next().unwrap_or(t);
            let id = names.find(name).ok_or_else(|| {
                Error::value_error(format!("The name '{t}' refers to an Operation not in the graph."))
            })?;
            if names_graph != sg {
                return Err(
                    Error::value_error(format!("Operation name: \"{name}\" is not an element of this graph.")).at(name)
                );
            }
            target_ids.push(id);
        }
        Ok(ResolvedRun { graph: sg, fetches: fetch_ids, feeds: feed_vals, targets: target_ids })
    }

    /// `tensor.eval(session=...)`: the tensor lives in `graph`; the session must run that graph.
    pub fn eval(
        &mut self,
        graph: usize,
        tensor: &str,
        session: Option<&str>,
        feeds: &[NamedFeed],
    ) -> Result<RunOutput> {
        let s = self.resolve_session(session, "evaluate tensor")?;
        let sg = self.sessions.get(s).map(|e| e.graph).ok_or_else(|| Error::internal("session index out of range"))?;
        if sg != graph {
            return Err(Error::value_error(
                "Cannot use the given session to evaluate tensor: the tensor's graph is different from the session's graph.",
            ));
        }
        self.run(s, Some(graph), &[tensor.to_string()], feeds, &[])
    }

    /// Hands a session to a training job: the entry is marked busy until [`Workspace::put_session`].
    pub fn take_session(&mut self, idx: usize) -> Result<Session> {
        let graph =
            self.sessions.get(idx).map(|e| e.graph).ok_or_else(|| Error::internal("session index out of range"))?;
        let placeholder = Session::new(self.graph(graph)?, ConfigProto::default());
        let entry = &mut self.sessions[idx];
        if entry.busy {
            return Err(Error::failed_precondition(format!("Session '{}' is already training.", entry.id)));
        }
        if entry.session.is_closed() {
            return Err(Error::new(ErrorClass::RuntimeError, "Attempted to use a closed Session."));
        }
        entry.busy = true;
        Ok(std::mem::replace(&mut entry.session, placeholder))
    }

    /// Gives a session back after training.
    pub fn put_session(&mut self, idx: usize, session: Session) -> Result<()> {
        let entry = self.sessions.get_mut(idx).ok_or_else(|| Error::internal("session index out of range"))?;
        entry.session = session;
        entry.busy = false;
        Ok(())
    }

    /// Adds a graph; returns its index.
    pub fn add_graph(&mut self, name: &str, graph: Graph) -> usize {
        self.graphs.push(NamedGraph { name: name.to_string(), graph });
        self.graphs.len() - 1
    }

    /// The tensor output by name in graph `idx`.
    pub fn tensor(&self, graph: usize, name: &str) -> Result<Output> {
        self.graph(graph)?.tensor(name)
    }
}

/// A run's names resolved against the session's graph (see [`Workspace::resolve_run`]).
#[derive(Clone, Debug)]
pub struct ResolvedRun {
    /// The session's graph (workspace index).
    pub graph: usize,
    /// The fetched tensors.
    pub fetches: Vec<Output>,
    /// The feeds, coerced to the placeholders' dtypes.
    pub feeds: Vec<Feed>,
    /// The target ops.
    pub targets: Vec<NodeId>,
}
