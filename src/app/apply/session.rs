//! Sessions: open (`tf.Session(graph=..., config=...)`), initialize the variables, run the run
//! panel's fetches, targets and feeds, close, and replay the project's script. Each one acts on
//! the live workspace, logs the equivalent Python line and is appended to the script, so that
//! `flowbench run` replays what was done by hand. A session a training job owns is refused.
//!
//! Calls into engine/project (the places that will go through the interpreter):
//! `open_session` (`Workspace::open_session`), `initialize` and
//! `run` (`Workspace::run`), `close_session`
//! (`Workspace::close_session`), `replay` (`interpreter::Interpreter::step`);
//! `record` appends a `project::script::Step`.

use crate::app::model::document::{node_of, run_closure};
use crate::app::model::feed::parse_feed;
use crate::app::model::log::LogKind;
use crate::app::model::view::{RunResult, SessionMeta};
use crate::app::state::AppState;
use crate::engine::runtime::session::ConfigProto;
use crate::engine::runtime::workspace::NamedFeed;
use crate::engine::value::Value;
use crate::interpreter::{Interpreter, ScriptOutput};
use crate::project::script::{FeedDef, Step};
use std::collections::HashSet;

impl AppState {
    /// Refuses a session command while a training job owns the session.
    pub(crate) fn busy_refusal(&mut self, session: usize, what: &str) -> bool {
        let Some(e) = self.engine.ws.sessions.get(session) else { return false };
        if !e.busy {
            return false;
        }
        let msg = format!(
            "FailedPreconditionError: Session '{}' is training: its variables can't be {what} until training stops.",
            e.id
        );
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
        self.doc.project.script.push(step);
        self.doc.touch();
    }

    /// `sess = tf.Session(graph=..., config=...)`; the new session becomes the run panel's.
    pub(crate) fn open_session(&mut self, graph: usize, config: Option<String>) {
        let Some(gname) = self.doc.project.graphs.get(graph).map(|g| g.name.clone()) else { return };
        let cfg = match &config {
            Some(c) => match self.doc.project.config(c) {
                Some(cfg) => cfg.clone(),
                None => {
                    self.log_error(format!("ValueError: no config named '{c}'"), None);
                    return;
                }
            },
            None => ConfigProto::default(),
        };
        let taken: HashSet<String> = self
            .engine
            .ws
            .sessions
            .iter()
            .map(|s| s.id.clone())
            .chain(self.doc.project.script.iter().filter_map(|s| match s {
                Step::OpenSession { id, .. } => Some(id.clone()),
                _ => None,
            }))
            .collect();
        let id = (1..).map(|i| format!("sess{i}")).find(|n| !taken.contains(n)).unwrap_or_else(|| "sess".to_string());
        match self.engine.ws.open_session(&id, graph, cfg, false) {
            Ok(idx) => {
                while self.sessions_meta.len() < idx {
                    self.sessions_meta.push(SessionMeta::default());
                }
                self.sessions_meta.push(SessionMeta {
                    opened_at: self.clock.now(),
                    closed_after: None,
                    config: config.clone(),
                });
                let cfg_arg = config.as_ref().map_or(String::new(), |c| format!(", config={c}"));
                self.log_line(LogKind::Python, format!("{id} = tf.Session(graph={gname}{cfg_arg})"), None);
                self.view.run_session = Some(idx);
                let step =
                    Step::OpenSession { id, graph: self.graph_name_for_script(graph), config, interactive: false };
                self.record(step);
            }
            Err(e) => self.log_error(e.to_string(), e.node.map(|n| (graph, n))),
        }
    }

    /// `sess.run(tf.global_variables_initializer())`.
    pub(crate) fn initialize(&mut self, session: usize) {
        let Some(entry) = self.engine.ws.sessions.get(session) else { return };
        let graph = entry.graph;
        let id = entry.id.clone();
        let targets: Vec<String> = self
            .engine
            .graph(graph)
            .map(|g| g.variables().iter().filter_map(|(_, i)| g.node(*i)).map(|n| n.name.clone()).collect())
            .unwrap_or_default();
        self.log_line(LogKind::Python, format!("{id}.run(tf.global_variables_initializer())"), None);
        match self.engine.ws.run(session, None, &[], &[], &targets) {
            Ok(out) => {
                for p in &out.placement_log {
                    self.log_line(LogKind::Placement, p.log_line(), Some((graph, p.node.clone())));
                }
                self.log_line(LogKind::Info, format!("{} variable(s) initialized in {id}", targets.len()), None);
                if !targets.is_empty() {
                    let step = Step::Run {
                        session: Some(id),
                        fetches: Vec::new(),
                        targets,
                        feeds: Vec::new(),
                        graph: None,
                        print: false,
                    };
                    self.record(step);
                }
            }
            Err(e) => self.log_error(e.to_string(), e.node.map(|n| (graph, n))),
        }
    }

    /// `sess.run(fetches, feed_dict)` with the run panel's fetches, targets and feeds.
    pub(crate) fn run(&mut self, session: usize) {
        let Some(entry) = self.engine.ws.sessions.get(session) else { return };
        let sgraph = entry.graph;
        let id = entry.id.clone();
        let graph = self.view.active_graph;
        let fetches = self.view.fetches.clone();
        let targets = self.view.targets.clone();
        let mut feeds = Vec::new();
        let mut feed_defs = Vec::new();
        let fed: Vec<String> =
            self.view.feeds.iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, _)| k.clone()).collect();
        let (_, needed) = self.active_def().map(|gd| run_closure(gd, &fetches, &targets, &[])).unwrap_or_default();
        for t in &fed {
            if !needed.contains(t) {
                continue;
            }
            let text = self.view.feeds.get(t).cloned().unwrap_or_default();
            match parse_feed(&text) {
                Ok((json, value)) => {
                    feeds.push(NamedFeed { tensor: t.clone(), value });
                    feed_defs.push(FeedDef { tensor: t.clone(), value: json });
                }
                Err(e) => {
                    self.log_error(format!("ValueError: feed for {t}: {e}"), Some((graph, node_of(t).to_string())));
                    return;
                }
            }
        }
        let feed_text: Vec<String> = feed_defs.iter().map(|f| format!("{}: {}", f.tensor, f.value)).collect();
        let call = match (fetches.as_slice(), feed_text.is_empty()) {
            ([one], true) => format!("{id}.run({one})"),
            (_, true) => {
                format!("{id}.run([{}])", fetches.iter().chain(&targets).cloned().collect::<Vec<_>>().join(", "))
            }
            _ => format!(
                "{id}.run([{}], feed_dict={{{}}})",
                fetches.iter().chain(&targets).cloned().collect::<Vec<_>>().join(", "),
                feed_text.join(", ")
            ),
        };
        self.log_line(LogKind::Python, call, None);
        let names_graph = (graph < self.engine.ws.graphs.len()).then_some(graph);
        match self.engine.ws.run(session, names_graph, &fetches, &feeds, &targets) {
            Ok(out) => {
                for p in &out.placement_log {
                    self.log_line(LogKind::Placement, p.log_line(), Some((sgraph, p.node.clone())));
                }
                let values: Vec<(String, String)> =
                    fetches.iter().cloned().zip(out.values.iter().map(Value::to_numpy_string)).collect();
                let printed = match out.values.as_slice() {
                    [one] => one.to_numpy_string(),
                    many => many.iter().map(Value::to_numpy_string).collect::<Vec<_>>().join("\n"),
                };
                if !fetches.is_empty() {
                    self.log_line(LogKind::Result, printed, None);
                }
                self.last_result = Some(RunResult { session: id.clone(), values, error: None });
                let step = Step::Run {
                    session: Some(id),
                    fetches: fetches.clone(),
                    targets,
                    feeds: feed_defs,
                    graph: if graph == sgraph {
                        None
                    } else {
                        self.doc.project.graphs.get(graph).map(|g| g.name.clone())
                    },
                    print: !fetches.is_empty(),
                };
                self.record(step);
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
        let was_open = !entry.session.is_closed();
        self.log_line(LogKind::Python, format!("{id}.close()"), None);
        if let Err(e) = self.engine.ws.close_session(session) {
            self.log_error(e.to_string(), None);
            return;
        }
        if was_open {
            let now = self.clock.now();
            if let Some(m) = self.sessions_meta.get_mut(session) {
                m.closed_after = Some(now - m.opened_at);
            }
            self.record(Step::CloseSession { session: id });
        }
    }

    /// Replays the project's script, printing what the program prints into the log.
    pub(crate) fn replay(&mut self) {
        let project = self.doc.project.clone();
        self.log_line(
            LogKind::Info,
            format!("replaying the script of '{}' ({} steps)", project.name, project.script.len()),
            None,
        );
        let first_new = self.engine.ws.sessions.len();
        let mut lines: Vec<(LogKind, String)> = Vec::new();
        let mut result = Ok(());
        {
            let mut interp = Interpreter { project: &project, ws: &mut self.engine.ws };
            let mut out = |o: ScriptOutput| match o {
                ScriptOutput::Text(t) => lines.push((LogKind::Result, t.trim_end_matches('\n').to_string())),
                ScriptOutput::Placement(p) => lines.push((LogKind::Placement, p)),
            };
            for step in &project.script {
                if let Err(e) = interp.step(step, &mut out) {
                    result = Err(e);
                    break;
                }
            }
        }
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
