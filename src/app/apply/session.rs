//! Sessions: open (`tf.Session(graph=..., config=...)`), initialize the variables, run the run
//! panel's fetches, targets and feeds, close, and replay the project's script. Each one acts on
//! the live workspace, logs the equivalent Python line and is appended to the script, so that
//! `flowbench run` replays what was done by hand. A session a training job owns is refused.
//!
//! Every one of them goes through the script interpreter's single actions
//! (`crate::interpreter::actions`: `open_session`, `initialize_at`, `run_at`, `close_at`,
//! `replay`), the code `flowbench run` uses, so the window and the CLI cannot disagree; this file
//! keeps only the window's part: the Python line logged, the session metadata, which feeds a run
//! needs, the run panel's result, and `record` (appending the step the interpreter performed).

use crate::app::i18n::{tr, tr_args};
use crate::app::model::document::run_closure;
use crate::app::model::feed::parse_feed;
use crate::app::model::log::LogKind;
use crate::app::model::view::{RunResult, SessionMeta};
use crate::app::state::AppState;
use crate::engine::graph::tensor_name::TensorName;
use crate::engine::value::Value;
use crate::interpreter::actions::PlacementLine;
use crate::interpreter::{Interpreter, ScriptOutput};
use crate::project::script::{FeedDef, Step};

/// The run panel's request for one run (see [`AppState::panel_run`]).
pub(crate) struct PanelRun {
    /// The session's graph.
    pub sgraph: usize,
    /// The session's id.
    pub id: String,
    /// The graph shown (the names resolve in it).
    pub graph: usize,
    /// Fetched tensors.
    pub fetches: Vec<String>,
    /// Target ops.
    pub targets: Vec<String>,
    /// Each feed the run needs, as JSON for the script and as a value.
    pub feeds: Vec<(FeedDef, Value)>,
    /// The graph the names resolve in, by name, when it is not the session's own.
    pub names_graph: Option<String>,
    /// The fetches and targets as Python writes them (`'add:0'`).
    pub names: Vec<String>,
    /// The feeds as Python writes them (`'x:0': [[1.0]]`).
    pub feed_text: Vec<String>,
}

impl AppState {
    /// Refuses a session command while a training job owns the session.
    pub(crate) fn busy_refusal(&mut self, session: usize, what: &str) -> bool {
        let Some(e) = self.engine.ws.sessions.get(session) else { return false };
        if !e.busy {
            return false;
        }
        // The window's own refusal (worded like TF's, but not TF's text): in the UI's language.
        let what = match what {
            "initialized" => tr("ux-busy-initialized"),
            "run or fetched" => tr("ux-busy-run"),
            "closed" => tr("ux-busy-closed"),
            other => other.to_string(),
        };
        let msg = tr_args("ux-session-busy", &[("session", e.id.as_str().into()), ("what", what.into())]);
        self.log_error(msg, None);
        true
    }

    /// Closes every open session that no training job owns.
    pub(crate) fn close_all_sessions(&mut self) {
        let open: Vec<usize> = (0..self.engine.ws.sessions.len())
            .filter(|&i| self.engine.ws.sessions.get(i).is_some_and(|s| !s.session.is_closed() && !s.busy))
            .collect();
        for s in open {
            self.close_session(s);
        }
    }

    /// The graph's name as a script step gives it (`None` for the default graph).
    fn graph_name_for_script(&self, graph: usize) -> Option<String> {
        let name = self.doc.project.graphs.get(graph)?.name.clone();
        (name != self.doc.project.default_graph).then_some(name)
    }

    /// Appends a step to the project's script.
    pub(crate) fn record(&mut self, step: Step) {
        // Running a bundled example is trying it, not editing it: no unsaved-changes dot, no
        // prompt when switching examples (until the user edits it).
        let clean_example = self.doc.is_example() && !self.doc.is_dirty();
        self.doc.project.script.push(step);
        self.doc.touch();
        if clean_example {
            self.doc.keep_clean();
        }
    }

    /// `sess = tf.Session(graph=..., config=...)`; the new session becomes the run panel's.
    pub(crate) fn open_session(&mut self, graph: usize, config: Option<String>) {
        let Some(gname) = self.doc.project.graphs.get(graph).map(|g| g.name.clone()) else { return };
        let script_graph = self.graph_name_for_script(graph);
        let mut interp = Interpreter { project: &self.doc.project, ws: &mut self.engine.ws };
        let id = interp.free_session_id();
        match interp.open_session(&id, script_graph.as_deref(), config.as_deref(), false) {
            Ok(done) => {
                let idx = done.session;
                while self.sessions_meta.len() < idx {
                    self.sessions_meta.push(SessionMeta::default());
                }
                self.sessions_meta.push(SessionMeta {
                    opened_at: self.clock.now(),
                    closed_after: None,
                    config: config.clone(),
                });
                let cfg_arg = config.as_ref().map_or(String::new(), |c| format!(", config={c}"));
                // Real Python: the default graph is named before it is used (other graphs and
                // configs by the names File ▸ Export ▸ TensorFlow script gives them).
                if graph == self.engine.ws.default_graph && !self.view.py_default_graph_named {
                    self.view.py_default_graph_named = true;
                    self.log_line(LogKind::Python, format!("{gname} = tf.get_default_graph()"), None);
                }
                self.log_line(LogKind::Python, format!("{id} = tf.Session(graph={gname}{cfg_arg})"), None);
                self.view.run_session = Some(idx);
                if let Some(step) = done.step {
                    self.record(step);
                }
            }
            Err(e) => self.log_error(e.to_string(), e.node.map(|n| (graph, n))),
        }
    }

    /// `sess.run(tf.global_variables_initializer())`.
    pub(crate) fn initialize(&mut self, session: usize) {
        let Some(entry) = self.engine.ws.sessions.get(session) else { return };
        let graph = entry.graph;
        let id = entry.id.clone();
        self.log_line(LogKind::Python, format!("{id}.run(tf.global_variables_initializer())"), None);
        let mut interp = Interpreter { project: &self.doc.project, ws: &mut self.engine.ws };
        match interp.initialize_at(session) {
            Ok(done) => {
                self.log_placement(graph, &done.placement);
                self.log_line(
                    LogKind::Info,
                    tr_args(
                        "log-initialized",
                        &[("count", done.targets.len().to_string().into()), ("session", id.to_string().into())],
                    ),
                    None,
                );
                if let Some(step) = done.step {
                    self.record(step);
                }
            }
            Err(e) => self.log_error(e.to_string(), e.node.map(|n| (graph, n))),
        }
    }

    /// Logs placement lines, each pointing at its node in graph `graph`.
    fn log_placement(&mut self, graph: usize, lines: &[PlacementLine]) {
        for p in lines {
            self.log_line(LogKind::Placement, p.line.clone(), Some((graph, p.node.clone())));
        }
    }

    /// The run panel's request in session `session`, as Run and Debug read it; `None` when the
    /// session is gone or a feed is malformed (logged at its node).
    pub(crate) fn panel_run(&mut self, session: usize) -> Option<PanelRun> {
        let entry = self.engine.ws.sessions.get(session)?;
        let (sgraph, id) = (entry.graph, entry.id.clone());
        let graph = self.view.active_graph;
        let fetches = self.view.fetches.clone();
        let targets = self.view.targets.clone();
        let feeds = self.panel_feeds(&fetches, &targets)?;
        // Names resolve in the active graph: the session's own (`None` in the step) or another
        // one by name (which the engine refuses as TF does).
        let names_graph =
            if graph == sgraph { None } else { self.doc.project.graphs.get(graph).map(|g| g.name.clone()) };
        // Real Python: session.run takes tensor and op names as strings.
        let py = crate::export::python::py_str;
        let names = fetches.iter().chain(&targets).map(|n| py(n)).collect();
        let feed_text = feeds.iter().map(|(f, _)| format!("{}: {}", py(&f.tensor), f.value)).collect();
        Some(PanelRun { sgraph, id, graph, fetches, targets, feeds, names_graph, names, feed_text })
    }

    /// The run panel's feeds that a run of `fetches` and `targets` needs, parsed ([`parse_feed`])
    /// as JSON for the script and as values; a malformed one is logged at its node, and gives
    /// `None`.
    fn panel_feeds(&mut self, fetches: &[String], targets: &[String]) -> Option<Vec<(FeedDef, Value)>> {
        let graph = self.view.active_graph;
        let (_, needed) = self.active_def().map(|gd| run_closure(gd, fetches, targets, &[])).unwrap_or_default();
        let typed: Vec<(String, String)> = self
            .view
            .feeds
            .iter()
            .filter(|(t, text)| !text.trim().is_empty() && needed.contains(t))
            .map(|(t, text)| (t.clone(), text.clone()))
            .collect();
        let mut feeds = Vec::new();
        for (t, text) in &typed {
            match parse_feed(text) {
                Ok((json, value)) => feeds.push((FeedDef { tensor: t.clone(), value: json }, value)),
                Err(e) => {
                    self.log_error(
                        tr_args("ux-feed-for", &[("tensor", t.as_str().into()), ("error", e.into())]),
                        Some((graph, TensorName::op_of(t).to_string())),
                    );
                    return None;
                }
            }
        }
        Some(feeds)
    }

    /// `sess.run(fetches, feed_dict)` with the run panel's fetches, targets and feeds. The feeds
    /// the run needs are parsed first ([`AppState::panel_run`]) so a malformed one is refused
    /// before the Python line is logged; the interpreter converts the same JSON into the same
    /// values.
    pub(crate) fn run(&mut self, session: usize) {
        let Some(PanelRun { sgraph, id, graph, fetches, targets, feeds, names_graph, names, feed_text }) =
            self.panel_run(session)
        else {
            return;
        };
        let feed_defs: Vec<FeedDef> = feeds.into_iter().map(|(f, _)| f).collect();
        let call = match (names.as_slice(), feed_text.is_empty()) {
            ([one], true) => format!("{id}.run({one})"),
            (_, true) => format!("{id}.run([{}])", names.join(", ")),
            _ => format!("{id}.run([{}], feed_dict={{{}}})", names.join(", "), feed_text.join(", ")),
        };
        self.log_line(LogKind::Python, call, None);
        let mut interp = Interpreter { project: &self.doc.project, ws: &mut self.engine.ws };
        match interp.run_at(session, &fetches, &targets, &feed_defs, names_graph.as_deref()) {
            Ok(done) => {
                self.log_placement(sgraph, &done.placement);
                let values: Vec<(String, String)> =
                    fetches.iter().cloned().zip(done.values.iter().map(Value::to_numpy_string)).collect();
                if !fetches.is_empty() {
                    let printed = done.printed.strip_suffix('\n').unwrap_or(&done.printed).to_string();
                    self.log_line(LogKind::Result, printed, None);
                }
                self.last_result = Some(RunResult { session: id, values, error: None });
                if let Some(step) = done.step {
                    self.record(step);
                }
            }
            Err(e) => {
                let text = e.to_string();
                self.last_result = Some(RunResult { session: id, values: Vec::new(), error: Some(text.clone()) });
                let g = if e.node.is_some() { sgraph } else { graph };
                self.log_error(text, e.node.map(|n| (g, n)));
            }
        }
    }

    /// `sess.close()`.
    pub(crate) fn close_session(&mut self, session: usize) {
        let Some(entry) = self.engine.ws.sessions.get(session) else { return };
        let id = entry.id.clone();
        self.log_line(LogKind::Python, format!("{id}.close()"), None);
        let mut interp = Interpreter { project: &self.doc.project, ws: &mut self.engine.ws };
        match interp.close_at(session) {
            Ok(done) => {
                if let Some(step) = done.step {
                    let now = self.clock.now();
                    if let Some(m) = self.sessions_meta.get_mut(session) {
                        m.closed_after = Some(now - m.opened_at);
                    }
                    self.record(step);
                }
            }
            Err(e) => self.log_error(e.to_string(), None),
        }
    }

    /// Replays the project's script, printing what the program prints into the log.
    pub(crate) fn replay(&mut self) {
        let project = self.doc.project.clone();
        self.log_line(
            LogKind::Info,
            tr_args(
                "log-replaying",
                &[("name", project.name.as_str().into()), ("count", project.script.len().to_string().into())],
            ),
            None,
        );
        let done = Interpreter { project: &project, ws: &mut self.engine.ws }.replay(&project.script);
        let first_new = done.first_new_session;
        let lines: Vec<(LogKind, String)> = done
            .output
            .into_iter()
            .map(|o| match o {
                ScriptOutput::Text(t) => (LogKind::Result, t.trim_end_matches('\n').to_string()),
                ScriptOutput::Placement(p) => (LogKind::Placement, p),
            })
            .collect();
        let result = done.error.map_or(Ok(()), |(_, e)| Err(e));
        // Replayed sessions get ids suffixed so the window's own ones stay distinct.
        let now = self.clock.now();
        for i in first_new..self.engine.ws.sessions.len() {
            if let Some(s) = self.engine.ws.sessions.get_mut(i) {
                s.id = format!("{} (replay)", s.id);
            }
            while self.sessions_meta.len() <= i {
                self.sessions_meta.push(SessionMeta { opened_at: now, closed_after: None, config: None });
            }
            if self.engine.ws.sessions.get(i).is_some_and(|s| s.session.is_closed())
                && let Some(m) = self.sessions_meta.get_mut(i)
            {
                m.closed_after = Some(0.0);
            }
        }
        // Leave the default-session stack as a finished program leaves it.
        while self.engine.ws.default_session().is_some() {
            self.engine.ws.pop_default();
        }
        for (k, l) in lines {
            self.log_line(k, l, None);
        }
        if let Err(e) = result {
            let g = self.view.active_graph;
            self.log_error(e.to_string(), e.node.map(|n| (g, n)));
        }
        // Script steps may have added nodes to the engine's graphs: rebuild them from the project.
        self.engine.invalidate();
        self.engine.sync(&self.doc.project);
    }
}
