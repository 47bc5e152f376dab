//! [`AppState`]: everything the window shows and edits. The document (the project, the single
//! source of truth) and the engine state derived from it; undo history; the run setup and
//! selection; the log; training; file dialogs and modals. [`Settings`] is the persisted part
//! (eframe storage); every other field is runtime state. Panels read it; only
//! `crate::app::apply` changes it (plus the few small helpers here that the executor shares).

use crate::app::dialogs::{DialogKind, FileDialogs};
use crate::app::examples;
use crate::app::model::csv_import::CsvImportDialog;
use crate::app::model::document::{Document, Engine, dir_of};
use crate::app::model::export::PendingExport;
use crate::app::model::log::{LogEntry, LogKind};
use crate::app::model::modal::{Modal, Pending};
use crate::app::model::settings::Settings;
use crate::app::model::training::{TrainSetup, Training, WatchedVar};
use crate::app::model::undo::History;
use crate::app::model::view::{Clock, RunResult, SessionMeta, ViewState};
use crate::project::{GraphDef, Project};
use std::path::PathBuf;
use std::time::Instant;

/// Everything the window shows and edits.
pub struct AppState {
    /// The document.
    pub doc: Document,
    /// Engine state derived from it, with the live sessions.
    pub engine: Engine,
    /// Undo and redo.
    pub history: History,
    /// Shared runtime UI state.
    pub view: ViewState,
    /// The log.
    pub log: Vec<LogEntry>,
    /// Persisted settings.
    pub settings: Settings,
    /// File dialogs.
    pub dialogs: Box<dyn FileDialogs>,
    /// The modal window shown, if any.
    pub modal: Option<Modal>,
    /// Copied nodes.
    pub clipboard: Vec<crate::project::NodeDef>,
    /// Per session (same index as the workspace's): open time and config.
    pub sessions_meta: Vec<SessionMeta>,
    /// The last run's outcome.
    pub last_result: Option<RunResult>,
    /// The clock for session ages.
    pub clock: Clock,
    /// A file dialog to open on the next frame.
    pub pending_dialog: Option<(DialogKind, String)>,
    /// The native dialog asked for last (its suggested name, for the built-in browser when
    /// the native one cannot be shown).
    pub asked_dialog: Option<(DialogKind, String)>,
    /// The built-in file browser, while it is shown.
    pub browser: Option<crate::app::model::file_browser::FileBrowser>,
    /// What to do after a Save As that the unsaved-changes prompt started.
    pub after_save: Option<Pending>,
    /// The window should close.
    pub quit_requested: bool,
    /// Closing is allowed even with unsaved changes.
    pub allow_close: bool,
    /// Live training: the train panel's setup and the current job.
    pub training: Training,
    /// A CSV or PNG export waiting for its screenshot or its file name.
    pub export: PendingExport,
    /// File ▸ Import CSV…'s window, once a file is picked.
    pub csv_import: Option<CsvImportDialog>,
    /// The checkpoint browser, while it is shown.
    pub checkpoint: Option<crate::app::model::checkpoint::CheckpointBrowser>,
    /// The session a Save/Restore checkpoint dialog is for.
    pub checkpoint_session: Option<usize>,
    /// Bundled examples train at a watchable pace (set by the window; headless use and tests
    /// train at full speed unless they ask).
    pub watchable_examples: bool,
    /// Wakes the window from other threads (set by the window; `None` in headless use).
    pub repaint: Option<egui::Context>,
    /// The debugger: the debug run, the training debugger, breakpoints.
    pub debug: crate::app::model::debugger::Debugger,
    /// The Python program view, once a `.py` program was opened.
    pub program: Option<crate::app::model::program::ProgramView>,
}

impl AppState {
    /// State for `project`, opened from `path` (or shown as `display`).
    pub fn new(project: Project, path: Option<PathBuf>, display: String, dialogs: Box<dyn FileDialogs>) -> AppState {
        let engine = Engine::new(&project);
        let mut s = AppState {
            doc: Document::new(project, path, display),
            engine,
            history: History::default(),
            view: ViewState::default(),
            log: Vec::new(),
            settings: Settings::default(),
            dialogs,
            modal: None,
            clipboard: Vec::new(),
            sessions_meta: Vec::new(),
            last_result: None,
            clock: Clock::Real(Instant::now()),
            pending_dialog: None,
            asked_dialog: None,
            browser: None,
            after_save: None,
            quit_requested: false,
            allow_close: false,
            training: Training::default(),
            export: PendingExport::default(),
            csv_import: None,
            checkpoint: None,
            checkpoint_session: None,
            repaint: None,
            watchable_examples: false,
            debug: Default::default(),
            program: None,
        };
        s.training.setup = TrainSetup::from_project(&s.doc.project);
        s.view.active_graph = s.engine.ws.default_graph;
        s
    }

    /// State on the bundled example `file` (the startup example if it is missing).
    pub fn with_example(file: &str, dialogs: Box<dyn FileDialogs>) -> AppState {
        let ex = examples::example(file).or_else(|| examples::example(examples::STARTUP_EXAMPLE));
        let (project, display) = match ex.and_then(|e| Some((examples::example_project(e.file)?, e.file))) {
            Some((Ok(p), f)) => (p, format!("{f} (example)")),
            _ => (Project::default(), "untitled.json".to_string()),
        };
        AppState::new(project, None, display, dialogs)
    }

    /// Gives a bundled example's train setup the watchable pace (when the window asks for it).
    pub fn pace_example(&mut self) {
        if self.watchable_examples && self.doc.path.is_none() && self.training.setup.pace == 0 {
            self.training.setup.pace = crate::app::model::training::watchable_pace(self.training.setup.steps);
        }
    }

    /// The window title: file name, a dot when there are unsaved changes.
    pub fn title(&self) -> String {
        let dot = if self.doc.is_dirty() { "● " } else { "" };
        format!("{dot}{} — flowbench", self.doc.title_name())
    }

    /// The session runs go to, if it exists.
    pub fn run_session(&self) -> Option<usize> {
        self.view.run_session.filter(|&s| s < self.engine.ws.sessions.len())
    }

    /// True while a job owns a session.
    pub fn training_live(&self) -> bool {
        self.training.run.as_ref().is_some_and(|r| r.status.is_live() || r.job.is_some())
    }

    /// The latest values of session `i`'s variables while it trains (the worker's snapshots).
    pub fn training_snapshot(&self, session: usize) -> Option<&[WatchedVar]> {
        self.training.run.as_ref().filter(|r| r.session == session && r.job.is_some()).map(|r| r.weights.as_slice())
    }

    /// The saved project's folder (where referenced files are relative to); `None` before the
    /// first save.
    pub fn project_dir(&self) -> Option<PathBuf> {
        // An example opened from the menu has no file: its data files' folder stands in.
        self.doc.path.as_deref().map(dir_of).or_else(|| self.doc.project.base_dir.0.clone())
    }

    /// The graph shown in the editor.
    pub fn active_def(&self) -> Option<&GraphDef> {
        self.doc.project.graphs.get(self.view.active_graph)
    }

    /// Appends a log line.
    pub fn log_line(&mut self, kind: LogKind, text: String, node: Option<(usize, String)>) {
        self.log.push(LogEntry { kind, text, node });
        if self.log.len() > 2000 {
            self.log.drain(..500);
        }
    }

    /// Appends an error, linked to its node when it has one.
    pub fn log_error(&mut self, text: String, node: Option<(usize, String)>) {
        self.log_line(LogKind::Error, text, node);
    }
}
