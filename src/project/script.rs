//! The project script: the ordered steps a TF1 program performs (open a session with a config,
//! enter and leave `with` blocks, initialize, run or eval with feeds, print reprs and values,
//! close) and the interpreter that replays them against a [`Workspace`], printing what the
//! Python program prints.

use super::{NodeDef, Project};
use crate::engine::error::{Error, Result};
use crate::engine::fmt::numpy;
use crate::engine::graph::NodeSpec;
use crate::engine::runtime::session::ConfigProto;
use crate::engine::runtime::workspace::{NamedFeed, Workspace};
use crate::engine::value::Value;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// A feed as stored: tensor name and nested-list value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedDef {
    /// Tensor name (`input:0`).
    pub tensor: String,
    /// The value, as nested lists.
    pub value: Json,
}

/// Dataset columns feeding a placeholder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnFeedDef {
    /// The placeholder tensor (`x-input:0`).
    pub tensor: String,
    /// Column names, in order.
    pub columns: Vec<String>,
}

/// The train loop's periodic evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainLogDef {
    /// Every how many steps (`if i % every == 0`).
    pub every: u64,
    /// The loss tensor, evaluated on all rows.
    pub loss: String,
    /// Python `%` format with `%d` for the step and `%g` for the loss.
    pub format: String,
}

/// One argument of a `print(...)` call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintArg {
    /// A literal string.
    Text(String),
    /// `print(tensor)`: the tensor's repr (`Tensor("add:0", shape=(2,), dtype=float32)`).
    Repr {
        /// Tensor name.
        tensor: String,
        /// Its graph (default graph if absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        graph: Option<String>,
    },
    /// `tensor.eval(session=..., feed_dict=...)`, or `sess.run(tensor)` when `session` is given.
    Eval {
        /// Tensor name.
        tensor: String,
        /// Its graph (default graph if absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        graph: Option<String>,
        /// Explicit session id; the default session if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// Feeds.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        feeds: Vec<FeedDef>,
    },
    /// `tensor.graph is tf.get_default_graph()`: prints `True` or `False`.
    IsDefaultGraph {
        /// Tensor name.
        tensor: String,
        /// Its graph.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        graph: Option<String>,
    },
}

/// One step of a program.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// A comment; does nothing.
    Comment {
        /// The text.
        text: String,
    },
    /// `sess = tf.Session(graph=..., config=...)` or `tf.InteractiveSession(...)`.
    OpenSession {
        /// Session id (the Python variable name).
        id: String,
        /// Graph name; the default graph if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        graph: Option<String>,
        /// Name of a config in the project's `configs`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        config: Option<String>,
        /// `tf.InteractiveSession`: becomes the default session until closed.
        #[serde(default)]
        interactive: bool,
    },
    /// Enter `with sess.as_default():` (also what `with tf.Session() as sess:` does).
    EnterDefault {
        /// Session id.
        session: String,
    },
    /// Leave the innermost `as_default` block.
    ExitDefault,
    /// `sess.close()`.
    CloseSession {
        /// Session id.
        session: String,
    },
    /// `sess.run(fetches, feed_dict=...)` (or `op.run()` with the default session).
    Run {
        /// Session id; the default session if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// Tensors to fetch.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fetches: Vec<String>,
        /// Ops to run for their effect.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        targets: Vec<String>,
        /// Feeds.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        feeds: Vec<FeedDef>,
        /// The graph the names refer to; the session's graph if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        graph: Option<String>,
        /// `print(sess.run(...))`.
        #[serde(default)]
        print: bool,
    },
    /// `print(arg, arg, ...)` with Python's `sep` and `end`.
    Print {
        /// The arguments.
        args: Vec<PrintArg>,
        /// Separator (default one space).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sep: Option<String>,
        /// Line end (default newline).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end: Option<String>,
    },
    /// Builds one more node at this point of the program (as a Python line that creates an op).
    AddNode {
        /// Graph name; the default graph if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        graph: Option<String>,
        /// The node; its name is a base name made unique as TF does.
        node: NodeDef,
    },
    /// A training loop: `for i in range(steps)` feed batch `i` cut from a dataset, run the train
    /// op, and every `log.every` steps evaluate the loss on all rows and print a line.
    TrainLoop {
        /// Session id; the default session if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// The dataset (in the project's `datasets`).
        dataset: String,
        /// Which columns feed which placeholder.
        feeds: Vec<ColumnFeedDef>,
        /// The train op (target) run each step.
        train_op: String,
        /// Tensors also fetched each step (as the seed's `sess.run([train_step, y, y_])`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fetches: Vec<String>,
        /// The loss on the batch, reported live by the window (not printed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        batch_loss: Option<String>,
        /// Number of steps.
        steps: u64,
        /// Rows per batch.
        batch_size: usize,
        /// How batches are cut.
        #[serde(default)]
        batching: crate::train::Batching,
        /// The periodic full-data evaluation and its printed line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        log: Option<TrainLogDef>,
    },
    /// `try: <step> except Exception as e: print(type(e).__name__ + ": " + str(e))`.
    Try {
        /// The guarded step.
        body: Box<Step>,
    },
}

/// What the interpreter emits.
#[derive(Clone, Debug, PartialEq)]
pub enum ScriptOutput {
    /// Printed text, including its line end.
    Text(String),
    /// One placement-log line (TF writes these to stderr; the CLI prints them in order).
    Placement(String),
}

impl Step {
    /// Checks references a step makes, without running it.
    pub fn validate(&self, project: &Project) -> std::result::Result<(), String> {
        let graph_ok = |g: &Option<String>| match g {
            Some(name) if project.graph_def(name).is_none() => Err(format!("no graph named '{name}'")),
            _ => Ok(()),
        };
        match self {
            Step::OpenSession { graph, config, .. } => {
                graph_ok(graph)?;
                if let Some(c) = config
                    && project.config(c).is_none()
                {
                    return Err(format!("no config named '{c}'"));
                }
                Ok(())
            }
            Step::Run { graph, feeds, .. } => {
                graph_ok(graph)?;
                for f in feeds {
                    Value::from_json(&f.value, None).map_err(|e| format!("feed for '{}': {}", f.tensor, e.message))?;
                }
                Ok(())
            }
            Step::AddNode { graph, .. } => graph_ok(graph),
            Step::TrainLoop { dataset, batch_size, log, .. } => {
                let d = project.dataset(dataset).ok_or_else(|| format!("no dataset named '{dataset}'"))?;
                if *batch_size == 0 {
                    return Err("batch_size must be at least 1".to_string());
                }
                if log.as_ref().is_some_and(|l| l.every == 0) {
                    return Err("log.every must be at least 1".to_string());
                }
                let _ = d;
                Ok(())
            }
            Step::Print { args, .. } => {
                for a in args {
                    match a {
                        PrintArg::Repr { graph, .. } | PrintArg::IsDefaultGraph { graph, .. } => graph_ok(graph)?,
                        PrintArg::Eval { graph, .. } => graph_ok(graph)?,
                        PrintArg::Text(_) => {}
                    }
                }
                Ok(())
            }
            Step::Try { body } => body.validate(project),
            _ => Ok(()),
        }
    }
}

/// Runs a project's script from a fresh workspace, sending everything printed to `out`.
pub fn run_script(project: &Project, out: &mut dyn FnMut(ScriptOutput)) -> Result<Workspace> {
    let mut ws = project.workspace().map_err(|e| Error::value_error(e.to_string()))?;
    let mut interp = Interpreter { project, ws: &mut ws };
    for step in &project.script {
        interp.step(step, out)?;
    }
    Ok(ws)
}

/// Replays steps against a workspace.
pub struct Interpreter<'a> {
    /// The project (configs, names).
    pub project: &'a Project,
    /// The live workspace.
    pub ws: &'a mut Workspace,
}

fn feeds_of(defs: &[FeedDef]) -> Result<Vec<NamedFeed>> {
    defs.iter().map(|f| Ok(NamedFeed { tensor: f.tensor.clone(), value: Value::from_json(&f.value, None)? })).collect()
}

impl Interpreter<'_> {
    fn graph_idx(&self, name: &Option<String>) -> Result<usize> {
        self.ws.graph_index(name.as_deref())
    }

    /// Performs one step.
    pub fn step(&mut self, step: &Step, out: &mut dyn FnMut(ScriptOutput)) -> Result<()> {
        match step {
            Step::Comment { .. } => Ok(()),
            Step::OpenSession { id, graph, config, interactive } => {
                let g = self.graph_idx(graph)?;
                let cfg = match config {
                    Some(c) => self
                        .project
                        .config(c)
                        .cloned()
                        .ok_or_else(|| Error::value_error(format!("no config named '{c}'")))?,
                    None => ConfigProto::default(),
                };
                self.ws.open_session(id, g, cfg, *interactive)?;
                Ok(())
            }
            Step::EnterDefault { session } => {
                let s = self.ws.session_index(session)?;
                self.ws.push_default(s);
                Ok(())
            }
            Step::ExitDefault => {
                self.ws.pop_default();
                Ok(())
            }
            Step::CloseSession { session } => {
                let s = self.ws.session_index(session)?;
                self.ws.close_session(s)
            }
            Step::Run { session, fetches, targets, feeds, graph, print } => {
                let s = self.ws.resolve_session(session.as_deref(), "run operation")?;
                let names_graph = match graph {
                    Some(_) => Some(self.graph_idx(graph)?),
                    None => None,
                };
                let feeds = feeds_of(feeds)?;
                let result = self.ws.run(s, names_graph, fetches, &feeds, targets)?;
                for p in &result.placement_log {
                    out(ScriptOutput::Placement(p.log_line()));
                }
                if *print {
                    let text = match result.values.as_slice() {
                        [one] => one.to_numpy_string(),
                        many => many.iter().map(Value::to_numpy_string).collect::<Vec<_>>().join("\n"),
                    };
                    out(ScriptOutput::Text(text + "\n"));
                }
                Ok(())
            }
            Step::Print { args, sep, end } => {
                let mut parts = Vec::with_capacity(args.len());
                for a in args {
                    parts.push(self.print_arg(a, out)?);
                }
                let text = parts.join(sep.as_deref().unwrap_or(" ")) + end.as_deref().unwrap_or("\n");
                out(ScriptOutput::Text(text));
                Ok(())
            }
            Step::AddNode { graph, node } => {
                let g = self.graph_idx(graph)?;
                let gr = self.ws.graph_mut(g)?;
                let inputs = node.inputs.iter().map(|s| gr.tensor(s)).collect::<Result<Vec<_>>>()?;
                let control_inputs = node
                    .control_inputs
                    .iter()
                    .map(|c| gr.find(c).ok_or_else(|| Error::value_error(format!("no node named '{c}'"))))
                    .collect::<Result<Vec<_>>>()?;
                let device = if node.device.is_empty() { None } else { Some(node.device.clone()) };
                gr.add(Some(&node.name), NodeSpec { op: node.op.clone(), inputs, control_inputs, device })?;
                Ok(())
            }
            Step::TrainLoop {
                session,
                dataset,
                feeds,
                train_op,
                fetches,
                batch_loss,
                steps,
                batch_size,
                batching,
                log,
            } => {
                let s = self.ws.resolve_session(session.as_deref(), "run operation")?;
                let g = self.ws.sessions.get(s).map(|e| e.graph).ok_or_else(|| Error::internal("session missing"))?;
                let graph = self.ws.graph(g)?.clone();
                let ds = self
                    .project
                    .dataset(dataset)
                    .ok_or_else(|| Error::value_error(format!("No dataset named '{dataset}'.")))?;
                let table =
                    std::sync::Arc::new(ds.materialize_in(self.project.base_dir.get()).map_err(Error::value_error)?);
                let mut col_feeds = Vec::with_capacity(feeds.len());
                for f in feeds {
                    let tensor = graph.tensor(&f.tensor)?;
                    let columns = f
                        .columns
                        .iter()
                        .map(|c| {
                            table.column(c).ok_or_else(|| {
                                Error::value_error(format!(
                                    "Dataset '{dataset}' has no column '{c}' (it has {}).",
                                    table.columns.join(", ")
                                ))
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    col_feeds.push(crate::train::ColumnFeed { tensor, columns });
                }
                let train_name = train_op.split(':').next().unwrap_or(train_op);
                let target = graph.find(train_name).ok_or_else(|| {
                    Error::value_error(format!("The name '{train_op}' refers to an Operation not in the graph."))
                })?;
                let step_fetches = fetches.iter().map(|f| graph.tensor(f)).collect::<Result<Vec<_>>>()?;
                let batch_loss = batch_loss.as_ref().map(|l| graph.tensor(l)).transpose()?;
                let eval = match log {
                    Some(l) => Some(crate::train::EvalSpec {
                        every: l.every,
                        loss: graph.tensor(&l.loss)?,
                        format: Some(l.format.clone()),
                    }),
                    None => None,
                };
                let spec = crate::train::TrainSpec {
                    graph,
                    train_targets: vec![target],
                    step_fetches,
                    batch_loss,
                    feeds: col_feeds,
                    table,
                    batch_size: *batch_size,
                    batching: *batching,
                    steps: *steps,
                    eval,
                    watch: Vec::new(),
                    panic_at_step: None,
                };
                let session_value = self.ws.take_session(s)?;
                let job = match crate::train::worker::TrainJob::spawn(spec, session_value, false) {
                    Ok(j) => j,
                    Err(failed) => {
                        let (e, back) = *failed;
                        self.ws.put_session(s, back)?;
                        return Err(e);
                    }
                };
                let mut failure = None;
                while let Ok(ev) = job.events().recv() {
                    match ev {
                        crate::train::worker::Event::Progress(p) => {
                            for line in p.logs {
                                out(ScriptOutput::Text(line + "\n"));
                            }
                        }
                        crate::train::worker::Event::Finished { .. } => break,
                        crate::train::worker::Event::Failed { error, .. } => {
                            failure = Some(error);
                            break;
                        }
                    }
                }
                match job.join() {
                    Some(back) => self.ws.put_session(s, back)?,
                    None => return Err(Error::internal("the training thread did not give its session back")),
                }
                match failure {
                    Some(e) => Err(e),
                    None => Ok(()),
                }
            }
            Step::Try { body } => {
                if let Err(e) = self.step(body, out) {
                    out(ScriptOutput::Text(format!("{}: {}\n", e.class.python_name(), e.message)));
                }
                Ok(())
            }
        }
    }

    fn print_arg(&mut self, arg: &PrintArg, out: &mut dyn FnMut(ScriptOutput)) -> Result<String> {
        Ok(match arg {
            PrintArg::Text(t) => t.clone(),
            PrintArg::Repr { tensor, graph } => {
                let g = self.graph_idx(graph)?;
                let gr = self.ws.graph(g)?;
                gr.tensor_repr(gr.tensor(tensor)?)
            }
            PrintArg::IsDefaultGraph { tensor, graph } => {
                let g = self.graph_idx(graph)?;
                self.ws.tensor(g, tensor)?;
                if g == self.ws.default_graph { "True".to_string() } else { "False".to_string() }
            }
            PrintArg::Eval { tensor, graph, session, feeds } => {
                let feeds = feeds_of(feeds)?;
                let result = match (session, graph) {
                    (Some(sid), None) => {
                        // `sess.run(tensor)`: names resolve in the session's own graph.
                        let s = self.ws.session_index(sid)?;
                        self.ws.run(s, None, std::slice::from_ref(tensor), &feeds, &[])?
                    }
                    _ => {
                        let g = self.graph_idx(graph)?;
                        self.ws.eval(g, tensor, session.as_deref(), &feeds)?
                    }
                };
                for p in &result.placement_log {
                    out(ScriptOutput::Placement(p.log_line()));
                }
                result.values.first().map(Value::to_numpy_string).unwrap_or_default()
            }
        })
    }
}

/// Formats a value as Python's `%g` would (for scalar losses in printed logs).
pub fn percent_g(v: &Value) -> String {
    v.first_f64().map_or_else(String::new, |x| numpy::printf_g(x, 6))
}
