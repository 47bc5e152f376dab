//! The script interpreter: replays a project's steps against a [`Workspace`], printing what the
//! Python program prints (`flowbench run`). The window's single actions (open a session,
//! initialize, run, close, replay) go through the same code, see [`crate::interpreter::actions`].
//! `flowbench debug` replays a script with a run observer on its sessions, see
//! [`crate::interpreter::debug`].

pub mod actions;
pub mod checkpoint;
pub mod debug;
pub mod tensorboard;

use crate::engine::error::{Error, Result};
use crate::engine::fmt::numpy;
use crate::engine::graph::NodeSpec;
use crate::engine::runtime::session::{ConfigProto, RunOutput};
use crate::engine::runtime::workspace::{NamedFeed, Workspace};
use crate::engine::value::Value;
use crate::project::Project;
use crate::project::script::{FeedDef, PrintArg, Step};
use crate::train::job::{EvalRequest, JobRequest, load_data, resolve_job};
use crate::train::worker::{Event, JobExtras, StartError, TrainJob};

/// What the interpreter emits.
#[derive(Clone, Debug, PartialEq)]
pub enum ScriptOutput {
    /// Printed text, including its line end.
    Text(String),
    /// One placement-log line (TF writes these to stderr; the CLI prints them in order).
    Placement(String),
}

/// Runs a project's script from a fresh workspace, sending everything printed to `out`. The
/// temporary folder a script made (`$TMP`) is removed when it ends.
pub fn run_script(project: &Project, out: &mut dyn FnMut(ScriptOutput)) -> Result<Workspace> {
    run_script_with_logdir(project, None, out)
}

/// [`run_script`], with the train loops writing TensorBoard event files into `logdir`.
pub fn run_script_with_logdir(
    project: &Project,
    logdir: Option<&std::path::Path>,
    out: &mut dyn FnMut(ScriptOutput),
) -> Result<Workspace> {
    let mut ws = project.workspace().map_err(|e| Error::value_error(e.to_string()))?;
    ws.logdir = logdir.map(std::path::Path::to_path_buf);
    let mut interp = Interpreter { project, ws: &mut ws };
    let result = project.script.iter().try_for_each(|step| interp.step(step, out));
    if let Some(dir) = ws.scratch_dir.take() {
        let _ = std::fs::remove_dir_all(dir);
    }
    result.map(|()| ws)
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
                let result = match self.run_step(session.as_deref(), fetches, targets, feeds, graph) {
                    Ok(r) => r,
                    Err(e) => {
                        for line in self.placed_before_failure(session.as_deref()) {
                            out(ScriptOutput::Placement(line));
                        }
                        return Err(e);
                    }
                };
                for p in &result.placement_log {
                    out(ScriptOutput::Placement(p.log_line()));
                }
                if *print {
                    out(ScriptOutput::Text(printed_values(&result.values)));
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
                let graph = self.ws.graph(g)?;
                let data = if dataset.is_empty() {
                    // A loop that feeds nothing: one row of no columns.
                    crate::train::TrainData::Table(std::sync::Arc::new(crate::train::data::table::Table {
                        columns: vec![],
                        data: vec![],
                        rows: 1,
                    }))
                } else {
                    let ds = self
                        .project
                        .dataset(dataset)
                        .ok_or_else(|| Error::value_error(format!("No dataset named '{dataset}'.")))?;
                    load_data(ds, self.project.base_dir.get(), log.as_ref().and_then(|l| l.split))?
                };
                let feeds: Vec<(String, Vec<String>)> =
                    feeds.iter().map(|f| (f.tensor.clone(), f.columns.clone())).collect();
                let mut events = match &self.ws.logdir {
                    Some(dir) => Some(tensorboard::TrainEvents::create(dir, graph)?),
                    None => None,
                };
                let watch = events.as_ref().map(|e| e.watch.clone()).unwrap_or_default();
                let spec = resolve_job(&JobRequest {
                    graph,
                    train_op,
                    step_fetches: fetches,
                    batch_loss: batch_loss.as_deref(),
                    dataset,
                    data,
                    feeds: &feeds,
                    batch_size: *batch_size,
                    batching: *batching,
                    steps: *steps,
                    eval: log.as_ref().map(|l| EvalRequest {
                        every: l.every,
                        loss: &l.loss,
                        format: Some(l.format.clone()),
                        args: &l.args,
                        before_step: l.before_step,
                        end: l.end.as_ref(),
                    }),
                    watch: &watch,
                })
                .map_err(|e| e.error)?;
                let session_value = self.ws.take_session(s)?;
                let learning_rate = match events {
                    Some(_) => tensorboard::decaying_learning_rate(&spec.graph, &spec.train_targets),
                    None => None,
                };
                let extras = JobExtras {
                    weights_every: if events.is_some() {
                        log.as_ref().map_or((*steps / 20).max(1), |l| l.every)
                    } else {
                        0
                    },
                    learning_rate,
                    ..Default::default()
                };
                let job = match TrainJob::spawn_with(spec, extras, session_value, false) {
                    Ok(j) => j,
                    Err(failed) => {
                        let StartError { error, session } = *failed;
                        self.ws.put_session(s, session)?;
                        return Err(error);
                    }
                };
                let mut failure = None;
                while let Ok(ev) = job.events().recv() {
                    match ev {
                        Event::Progress(p) => {
                            if let Some(ev) = events.as_mut()
                                && let Err(e) = ev.progress(&p)
                            {
                                failure.get_or_insert(e);
                            }
                            for line in p.logs {
                                out(ScriptOutput::Text(line + "\n"));
                            }
                        }
                        Event::Finished { .. } => break,
                        Event::Failed { error, .. } => {
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
            Step::SaveCheckpoint { session, path, var_list, max_to_keep, global_step, write_meta_graph } => {
                checkpoint::save(
                    self.ws,
                    self.project,
                    session.as_deref(),
                    path,
                    var_list,
                    *max_to_keep,
                    *global_step,
                    *write_meta_graph,
                )?;
                Ok(())
            }
            Step::RestoreCheckpoint { session, path, var_list } => {
                checkpoint::restore(self.ws, self.project, session.as_deref(), path, var_list)
            }
            Step::PrintCheckpoint { path } => {
                out(ScriptOutput::Text(checkpoint::print_checkpoint(self.ws, self.project, path)?));
                Ok(())
            }
            Step::Try { body } => {
                if let Err(e) = self.step(body, out) {
                    out(ScriptOutput::Text(format!("{}: {}\n", e.class.python_name(), e.message)));
                }
                Ok(())
            }
            Step::TryQuiet { body } => {
                // The error is caught and nothing is printed.
                let _ = self.step(body, out);
                Ok(())
            }
        }
    }

    /// `sess.run(fetches, feed_dict=feeds)` with `targets`; names resolve in `graph` (the
    /// session's own graph when `None`).
    pub(crate) fn run_step(
        &mut self,
        session: Option<&str>,
        fetches: &[String],
        targets: &[String],
        feeds: &[FeedDef],
        graph: &Option<String>,
    ) -> Result<RunOutput> {
        let s = self.ws.resolve_session(session, "run operation")?;
        self.run_step_at(s, fetches, targets, feeds, graph)
    }

    /// [`Interpreter::run_step`] in the session at workspace index `s` (ids may repeat: the
    /// window acts on the session it shows, not on the latest one with its id).
    pub(crate) fn run_step_at(
        &mut self,
        s: usize,
        fetches: &[String],
        targets: &[String],
        feeds: &[FeedDef],
        graph: &Option<String>,
    ) -> Result<RunOutput> {
        let names_graph = match graph {
            Some(_) => Some(self.graph_idx(graph)?),
            None => None,
        };
        let feeds = feeds_of(feeds)?;
        self.ws.run(s, names_graph, fetches, &feeds, targets)
    }

    /// The placement log lines TF prints before a run's error when it failed to place a node.
    pub(crate) fn placed_before_failure(&mut self, session: Option<&str>) -> Vec<String> {
        let Ok(s) = self.ws.resolve_session(session, "run operation") else { return Vec::new() };
        self.ws
            .sessions
            .get_mut(s)
            .map_or_else(Vec::new, |e| e.session.take_placed_before_failure().iter().map(|p| p.log_line()).collect())
    }

    fn print_arg(&mut self, arg: &PrintArg, out: &mut dyn FnMut(ScriptOutput)) -> Result<String> {
        Ok(match arg {
            PrintArg::Text(t) => t.clone(),
            PrintArg::ListDir { path } => checkpoint::list_dir(self.ws, self.project, path)?,
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
            PrintArg::RunList { fetches, session, feeds } => {
                let feeds = feeds_of(feeds)?;
                let s = self.ws.resolve_session(session.as_deref(), "run operation")?;
                let result = self.ws.run(s, None, fetches, &feeds, &[])?;
                for p in &result.placement_log {
                    out(ScriptOutput::Placement(p.log_line()));
                }
                let reprs = result.values.iter().map(Value::to_numpy_repr).collect::<Result<Vec<_>>>()?;
                format!("[{}]", reprs.join(", "))
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

/// What `print(sess.run(fetches))` prints: one value's numpy text, or several joined by newlines;
/// with the line end.
pub fn printed_values(values: &[Value]) -> String {
    let text = match values {
        [one] => one.to_numpy_string(),
        many => many.iter().map(Value::to_numpy_string).collect::<Vec<_>>().join("\n"),
    };
    text + "\n"
}

/// Formats a value as Python's `%g` would (for scalar losses in printed logs).
pub fn percent_g(v: &Value) -> String {
    v.first_f64().map_or_else(String::new, |x| numpy::printf_g(x, 6))
}
