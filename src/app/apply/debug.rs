//! The debugger's commands: start a debug run of the run panel's fetches, targets and feeds (the
//! session is taken from the workspace, run on the `flowbench-debug` thread under a
//! `crate::app::model::debugger::DebugWatch`, and put back when the run ends: its result shown
//! and the run recorded in the script, as Run does); steer it (step, step over a scope,
//! continue, run to a node, continue until a filter matches, stop); breakpoints; the training
//! debugger (attached to a job's session when it starts with "Stop at the first NaN/Inf" or
//! "Debug step", detached when the job ends). [`AppState::poll_debug`] runs every frame and
//! never blocks.

use crate::app::apply::session::PanelRun;
use crate::app::i18n::{tr, tr_args};
use crate::app::model::debugger::{DebugCommand, DebugRun, Go, Resume, TrainDebug, lock};
use crate::app::model::log::LogKind;
use crate::app::model::view::RunResult;
use crate::app::state::AppState;
use crate::engine::Value;
use crate::engine::runtime::session::Session;
use crate::engine::runtime::workspace::NamedFeed;
use crate::project::script::{FeedDef, Step};
use std::sync::Arc;

impl AppState {
    fn waker(&self) -> Option<crate::train::worker::Waker> {
        self.repaint.clone().map(|c| Arc::new(move || c.request_repaint()) as crate::train::worker::Waker)
    }

    /// Starts a debug run of the run panel's setup in session `session`, paused before its
    /// first op.
    pub(crate) fn start_debug_run(&mut self, session: usize) {
        if self.debug.active() {
            self.log_error(tr("error-debug-running"), None);
            return;
        }
        if self.busy_refusal(session, "run or fetched") {
            return;
        }
        let Some(PanelRun { sgraph, id, graph, fetches, targets, feeds, names_graph, names, feed_text }) =
            self.panel_run(session)
        else {
            return;
        };
        let named: Vec<NamedFeed> =
            feeds.iter().map(|(f, value)| NamedFeed { tensor: f.tensor.clone(), value: value.clone() }).collect();
        let feed_defs: Vec<FeedDef> = feeds.into_iter().map(|(f, _)| f).collect();
        let names_idx = if graph == sgraph { None } else { Some(graph) };
        let resolved = match self.engine.ws.resolve_run(session, names_idx, &fetches, &named, &targets) {
            Ok(r) => r,
            Err(e) => {
                self.last_result = Some(RunResult { session: id, values: Vec::new(), error: Some(e.to_string()) });
                self.log_error(e.to_string(), e.node.map(|n| (graph, n)));
                return;
            }
        };
        let Ok(g) = self.engine.ws.graph(sgraph).cloned() else { return };
        let call = if feed_text.is_empty() {
            format!("{id}.run([{}])", names.join(", "))
        } else {
            format!("{id}.run([{}], feed_dict={{{}}})", names.join(", "), feed_text.join(", "))
        };
        self.log_line(LogKind::Python, format!("{call}  # {}", tr("log-debug-run")), None);
        let step = Step::Run {
            session: Some(id),
            fetches: fetches.clone(),
            targets: targets.clone(),
            feeds: feed_defs,
            graph: names_graph,
            print: !fetches.is_empty(),
        };
        let taken = match self.engine.ws.take_session(session) {
            Ok(s) => s,
            Err(e) => {
                self.log_error(e.to_string(), None);
                return;
            }
        };
        let wake = self.waker();
        match DebugRun::spawn(taken, g, sgraph, resolved, self.debug.breakpoints.clone(), wake, session, step) {
            Ok(run) => {
                self.debug.shown = Some(Arc::clone(&run.state));
                self.debug.run = Some(run);
                self.training.show = false;
                self.view.active_graph = sgraph;
            }
            Err(failed) => {
                let (back, e) = *failed;
                let _ = self.engine.ws.put_session(session, back);
                self.log_error(e.to_string(), None);
            }
        }
    }

    /// Carries out a debugger command.
    pub(crate) fn debug_command(&mut self, c: DebugCommand) {
        match c {
            DebugCommand::Step => self.debug.send(Go::Resume(Resume::Step)),
            DebugCommand::StepOver(scope) => self.debug.send(Go::Resume(Resume::StepOver(scope))),
            DebugCommand::Continue => self.debug.send(Go::Resume(Resume::Continue)),
            DebugCommand::RunTo(node) => self.debug.send(Go::Resume(Resume::RunTo(node))),
            DebugCommand::ContinueUntil => self.debug.send(Go::Resume(Resume::Until(self.debug.filter))),
            DebugCommand::Stop => self.debug.send(Go::Abort),
            DebugCommand::SetFilter(f) => self.debug.filter = f,
            DebugCommand::SetElement(i) => self.debug.element = i,
            DebugCommand::ToggleBreakpoint(name) => {
                let on = !self.debug.breakpoints.remove(&name);
                if on {
                    self.debug.breakpoints.insert(name.clone());
                }
                let states = self.debug.run.iter().map(|r| &r.state).chain(self.debug.train.iter().map(|t| &t.state));
                for st in states {
                    let mut st = lock(st);
                    if on {
                        st.breakpoints.insert(name.clone());
                    } else {
                        st.breakpoints.remove(&name);
                    }
                }
            }
            DebugCommand::Close => {
                if !self.debug.active() {
                    self.debug.shown = None;
                } else if self.debug.shown.as_ref().is_some_and(|s| lock(s).paused) {
                    self.log_error(tr("error-debug-paused"), None);
                }
            }
            DebugCommand::TrainStep => self.debug_train_step(),
        }
    }

    /// "Debug step": the next training step runs under the debugger, paused before its first op.
    fn debug_train_step(&mut self) {
        use crate::train::worker::Command as Job;
        if self.debug.run.is_some() {
            self.log_error(tr("error-debug-running"), None);
            return;
        }
        if self.training_live() && self.debug.train.is_none() {
            self.log_error(tr("error-debug-train-without"), None);
            return;
        }
        if !self.training_live() {
            self.debug.want_train = true;
            self.start_training(true);
            self.debug.want_train = false;
            if self.debug.train.is_none() {
                return;
            }
        }
        if let Some(t) = &self.debug.train {
            let mut st = lock(&t.state);
            if st.paused {
                // Paused inside a step: go on to the end of it first.
                drop(st);
                let _ = t.go.send(Go::Resume(Resume::Continue));
                st = lock(&t.state);
            }
            st.break_next_step = true;
        }
        self.training.show = false;
        if let Some(r) = &self.training.run {
            self.view.active_graph = r.graph;
        }
        self.control_training(Job::Step(1));
    }

    /// Sets the training debugger on a job's session when the setup asks for it ("Stop at the
    /// first NaN/Inf") or "Debug step" started the job; returns the session.
    pub(crate) fn attach_train_debug(&mut self, mut session: Session, index: usize, graph: usize) -> Session {
        let setup = &self.training.setup;
        if !(setup.stop_at_nan || self.debug.want_train) {
            return session;
        }
        let wake = self.waker();
        let t = TrainDebug::attach(
            &mut session,
            index,
            graph,
            &setup.train_op,
            setup.stop_at_nan,
            self.debug.breakpoints.clone(),
            wake,
        );
        self.debug.shown = Some(Arc::clone(&t.state));
        self.debug.train = Some(t);
        session
    }

    /// Ends a paused training step when its job is stopped.
    pub(crate) fn abort_train_debug(&mut self) {
        if let Some(t) = &self.debug.train {
            let _ = t.go.send(Go::Abort);
        }
    }

    /// Drains the debugger (never blocks): a finished debug run gives its session and result
    /// back; a training debugger follows the "Stop at the first NaN/Inf" switch and is taken off
    /// the session once the job ended.
    pub fn poll_debug(&mut self) {
        if self.debug.run.as_ref().is_some_and(DebugRun::is_finished)
            && let Some(run) = self.debug.run.take()
        {
            let session = run.session;
            let step = run.step.clone();
            let graph = lock(&run.state).graph;
            let id = self.engine.ws.sessions.get(session).map(|e| e.id.clone()).unwrap_or_default();
            match run.join() {
                Some((sess, result)) => {
                    if let Err(e) = self.engine.ws.put_session(session, sess) {
                        self.log_error(e.to_string(), None);
                    }
                    let fetches = match &step {
                        Step::Run { fetches, .. } => fetches.clone(),
                        _ => Vec::new(),
                    };
                    match result {
                        Ok(out) => {
                            for p in &out.placement_log {
                                self.log_line(LogKind::Placement, p.log_line(), Some((graph, p.node.clone())));
                            }
                            if !fetches.is_empty() {
                                let printed = crate::interpreter::printed_values(&out.values);
                                self.log_line(LogKind::Result, printed.trim_end_matches('\n').to_string(), None);
                            }
                            let values =
                                fetches.iter().cloned().zip(out.values.iter().map(Value::to_numpy_string)).collect();
                            self.last_result = Some(RunResult { session: id, values, error: None });
                            self.record(step);
                        }
                        Err(e) => {
                            let text = e.to_string();
                            self.last_result =
                                Some(RunResult { session: id, values: Vec::new(), error: Some(text.clone()) });
                            self.log_error(text, e.node.map(|n| (graph, n)));
                        }
                    }
                }
                None => {
                    self.log_error(tr("error-session-not-returned"), None);
                    if let Some(e) = self.engine.ws.sessions.get_mut(session) {
                        e.busy = false;
                        e.session.close();
                    }
                }
            }
        }
        let live = self.training_live();
        let watch = self.training.setup.stop_at_nan;
        if let Some(t) = &self.debug.train {
            if live {
                lock(&t.state).watch_nan = watch;
            } else {
                let index = t.session;
                if let Some(e) = self.engine.ws.sessions.get_mut(index)
                    && !e.busy
                {
                    e.session.set_observer(None);
                }
                self.debug.train = None;
            }
        }
        // A step paused at a non-finite value says where, once.
        if let Some(t) = &self.debug.train {
            let st = lock(&t.state);
            if let (true, Some(crate::app::model::debugger::Pause::Filter(f, tensor))) = (st.paused, &st.why) {
                let key = if st.between_steps { "log-debug-filter-stop-between" } else { "log-debug-filter-stop" };
                let line = tr_args(
                    key,
                    &[
                        ("step", st.step().unwrap_or(0).to_string().into()),
                        ("filter", f.name().into()),
                        ("tensor", tensor.as_str().into()),
                    ],
                );
                drop(st);
                if self.log.last().is_none_or(|l| l.text != line) {
                    self.log_line(LogKind::Info, line, None);
                }
            }
        }
    }
}
