//! The Python program view's commands: opening a `.py` program (paused before its first
//! statement, the project it builds shown as it builds it), Run / Step / Continue / Pause /
//! Stop, and each frame's poll of the program's thread: what it printed goes to the log, its
//! graphs replace the document's as they change, its sessions go to the sessions panel, and
//! its end leaves the project it built (unsaved), or gives back what was open before when it
//! failed.

use crate::app::i18n::tr_args;
use crate::app::model::document::{Engine, file_name};
use crate::app::model::log::LogKind;
use crate::app::model::program::{Before, ProgramCommand, ProgramState, ProgramView};
use crate::app::model::training::TrainSetup;
use crate::app::state::AppState;
use crate::project::Project;
use crate::python::stepper::{Event, Finished, Snapshot, StepCommand, Stepper};
use std::sync::Arc;

/// Events taken from the program's thread per frame at most (the rest wait for the next).
const EVENTS_PER_FRAME: usize = 20_000;

impl AppState {
    /// Opens the TF1 Python program at `path` in the program view, paused before its first
    /// statement; the window shows an empty unsaved project that the program fills.
    pub(crate) fn open_python(&mut self, path: &std::path::Path) {
        let source = match crate::python::read_source(path) {
            Ok(s) => s,
            Err(e) => {
                let title = tr_args("error-could-not-open", &[("name", file_name(path).into())]);
                self.file_error(title, e.render(&file_name(path)));
                return;
            }
        };
        let before = Before {
            doc: self.doc.clone(),
            engine: std::mem::replace(&mut self.engine, Engine::new(&Project::default())),
            sessions_meta: std::mem::take(&mut self.sessions_meta),
        };
        let view = ProgramView {
            path: path.to_path_buf(),
            source,
            stepper: None,
            state: ProgramState::Paused,
            line: None,
            error: None,
            sessions: Vec::new(),
            before: Some(before),
            pauses: 0,
            breakpoints: Default::default(),
        };
        self.program_fresh_document(&view);
        self.program = Some(view);
        self.start_program(true);
        let file = self.program.as_ref().map(ProgramView::file_name).unwrap_or_default();
        self.log_line(LogKind::Info, tr_args("log-program-opened", &[("file", file.into())]), None);
    }

    /// An empty unsaved project named after the program, for it to fill.
    fn program_fresh_document(&mut self, view: &ProgramView) {
        let stem = view.path.file_stem().map_or_else(|| "program".to_string(), |s| s.to_string_lossy().into_owned());
        let project = Project { name: stem.clone(), ..Project::default() };
        self.reset_document(project, None, format!("{stem}.json"));
        self.doc.mark_never_saved();
    }

    /// Starts (or restarts) the program from its beginning.
    fn start_program(&mut self, paused: bool) {
        let wake: Arc<dyn Fn() + Send + Sync> = match self.repaint.clone() {
            Some(c) => Arc::new(move || c.request_repaint()),
            None => Arc::new(|| {}),
        };
        let Some(pv) = self.program.as_mut() else { return };
        pv.stepper = None;
        let bps = pv.breakpoints.iter().copied().collect();
        pv.stepper = Some(Stepper::start(pv.source.clone(), pv.path.clone(), paused, bps, wake));
        pv.state = if paused { ProgramState::Paused } else { ProgramState::Running };
        pv.line = None;
        pv.error = None;
        pv.sessions.clear();
        pv.pauses = 0;
    }

    /// Runs the program again from its start: what it built is dropped (what was open before
    /// it is kept to give back if it fails).
    fn restart_program(&mut self, paused: bool) {
        let Some(mut pv) = self.program.take() else { return };
        pv.stepper = None;
        if pv.before.is_none() {
            pv.before = Some(Before {
                doc: self.doc.clone(),
                engine: std::mem::replace(&mut self.engine, Engine::new(&Project::default())),
                sessions_meta: std::mem::take(&mut self.sessions_meta),
            });
        }
        self.program_fresh_document(&pv);
        let file = pv.file_name();
        self.program = Some(pv);
        self.start_program(paused);
        self.log_line(LogKind::Info, tr_args("log-program-restarted", &[("file", file.into())]), None);
    }

    /// Carries out a program view command.
    pub(crate) fn program_command(&mut self, c: ProgramCommand) {
        let Some(pv) = self.program.as_mut() else { return };
        let live = pv.stepper.is_some() && pv.state.is_live();
        match c {
            ProgramCommand::Run => self.restart_program(false),
            ProgramCommand::Step if !live => self.restart_program(true),
            ProgramCommand::Step => {
                if let Some(st) = &pv.stepper {
                    if pv.state == ProgramState::Paused {
                        st.send(StepCommand::Step);
                        pv.state = ProgramState::Running;
                    } else {
                        st.send(StepCommand::Pause);
                    }
                }
            }
            ProgramCommand::Continue => {
                if let Some(st) = pv.stepper.as_ref().filter(|_| pv.state == ProgramState::Paused) {
                    st.send(StepCommand::Continue);
                    pv.state = ProgramState::Running;
                }
            }
            ProgramCommand::Pause => {
                if let Some(st) = pv.stepper.as_ref().filter(|_| pv.state == ProgramState::Running) {
                    st.send(StepCommand::Pause);
                }
            }
            ProgramCommand::Stop => {
                if let Some(st) = &pv.stepper {
                    st.send(StepCommand::Stop);
                }
            }
            ProgramCommand::ToggleBreakpoint(line) => {
                if !pv.breakpoints.remove(&line) {
                    pv.breakpoints.insert(line);
                }
                if let Some(st) = &pv.stepper {
                    st.set_breakpoints(pv.breakpoints.iter().copied().collect());
                }
            }
            ProgramCommand::Close => {
                // Dropping the stepper stops a program that still runs; what it built stays.
                self.program = None;
            }
        }
    }

    /// Takes what the program's thread sent since the last frame.
    pub fn poll_program(&mut self) {
        let mut events = Vec::new();
        if let Some(st) = self.program.as_ref().and_then(|p| p.stepper.as_ref()) {
            while events.len() < EVENTS_PER_FRAME {
                match st.try_event() {
                    Some(e) => events.push(e),
                    None => break,
                }
            }
        }
        for e in events {
            match e {
                Event::Output(o) => match o {
                    crate::interpreter::ScriptOutput::Text(t) => {
                        self.log_line(LogKind::Result, t.trim_end_matches('\n').to_string(), None)
                    }
                    crate::interpreter::ScriptOutput::Placement(l) => self.log_line(LogKind::Placement, l, None),
                },
                Event::Paused(snap) => {
                    if let Some(pv) = self.program.as_mut() {
                        pv.state = ProgramState::Paused;
                        pv.pauses += 1;
                    }
                    self.program_snapshot(snap);
                }
                Event::Running(snap) => {
                    if let Some(pv) = self.program.as_mut().filter(|p| p.state.is_live()) {
                        pv.state = ProgramState::Running;
                    }
                    self.program_snapshot(snap);
                }
                Event::Finished(f) => self.program_finished(*f),
            }
        }
    }

    /// Shows what the program has built so far: its graphs on the canvas (the one it builds in
    /// now in front), its sessions on the sessions panel, its line in the source.
    fn program_snapshot(&mut self, snap: Snapshot) {
        let Some(pv) = self.program.as_mut() else { return };
        if snap.line > 0 {
            pv.line = Some(snap.line);
        }
        pv.sessions = snap.sessions;
        if let Some(graphs) = snap.graphs {
            self.doc.project.graphs = graphs;
            self.doc.project.default_graph = snap.default_graph;
            self.doc.touch();
            self.engine.sync(&self.doc.project);
            if let Some(&g) = snap.changed.last() {
                self.view.active_graph = g;
            }
            if self.view.active_graph >= self.doc.project.graphs.len() {
                self.view.active_graph = self.engine.ws.default_graph;
            }
        }
    }

    /// The program ended: it ran to its end (the window keeps the project it built, unsaved),
    /// failed (its error is logged and its line marked; what was open before comes back), or
    /// was stopped (what it built so far stays).
    fn program_finished(&mut self, f: Finished) {
        let Some(pv) = self.program.as_mut() else { return };
        pv.stepper = None;
        let file = pv.file_name();
        let snapshot = f.snapshot.clone();
        let line = pv.line;
        self.program_snapshot(Snapshot { line: 0, ..snapshot });
        let title = || tr_args("error-could-not-open", &[("name", file.clone().into())]);
        if let Some(e) = f.error {
            let message = e.render(&file);
            if let Some(pv) = self.program.as_mut() {
                pv.state = ProgramState::Failed;
                let at = e.loc.map(|l| l.line).or(line).unwrap_or(0);
                pv.line = (at > 0).then_some(at);
                pv.error = Some((at, message.clone()));
            }
            self.log_error(message.clone(), None);
            self.give_back_before();
            self.file_error(title(), message);
            return;
        }
        if let Some(at) = f.stopped_at {
            if let Some(pv) = self.program.as_mut() {
                pv.state = ProgramState::Stopped;
                pv.line = (at > 0).then_some(at);
            }
            if let Ok(p) = f.project {
                self.keep_program_project(p);
            }
            self.log_line(
                LogKind::Info,
                tr_args("log-program-stopped", &[("file", file.into()), ("line", at.to_string().into())]),
                None,
            );
            return;
        }
        match f.project {
            Ok(p) => {
                if let Some(pv) = self.program.as_mut() {
                    pv.state = ProgramState::Finished;
                    pv.line = None;
                }
                self.keep_program_project(p);
                self.log_line(LogKind::Info, tr_args("log-program-finished", &[("file", file.into())]), None);
            }
            Err(why) => {
                if let Some(pv) = self.program.as_mut() {
                    pv.state = ProgramState::Failed;
                    pv.line = None;
                }
                self.log_error(format!("{file}: {why}"), None);
                self.give_back_before();
                self.file_error(title(), why);
            }
        }
    }

    /// The project the program built becomes the document's (unsaved).
    fn keep_program_project(&mut self, p: Project) {
        let active = self.view.active_graph;
        self.doc.project = p;
        self.doc.mark_never_saved();
        self.doc.touch();
        self.engine.sync(&self.doc.project);
        self.training.setup = TrainSetup::from_project(&self.doc.project);
        self.view.active_graph =
            if active < self.doc.project.graphs.len() { active } else { self.engine.ws.default_graph };
    }

    /// Puts back what was open before the program.
    fn give_back_before(&mut self) {
        let Some(b) = self.program.as_mut().and_then(|p| p.before.take()) else { return };
        let Before { doc, engine, sessions_meta } = b;
        self.reset_document(Project::default(), None, String::new());
        self.doc = doc;
        self.engine = engine;
        self.sessions_meta = sessions_meta;
        self.training.setup = TrainSetup::from_project(&self.doc.project);
        self.view.active_graph = self.engine.ws.default_graph;
    }
}
