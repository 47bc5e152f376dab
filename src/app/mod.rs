//! The workbench window (eframe/egui). [`AppState`] holds everything the window shows: the
//! document (the project, the single source of truth), the engine state derived from it
//! (graphs and live sessions), the run setup, the log and the persisted settings. Each panel is
//! its own file with a `ui(&mut self, ui, &AppState, &mut Vec<Command>)`: panels read the state
//! and emit [`Command`]s, which [`AppState::apply`] (in `commands.rs`) carries out in one place.
//! [`FlowbenchApp`] is the `eframe::App`: layout, shortcuts, title, file dialogs and closing.

pub mod commands;
pub mod config_panel;
pub mod csv_import_dialog;
pub mod dialogs;
pub mod document;
pub mod examples;
pub mod export;
pub mod graph_editor;
pub mod history;
pub mod inspector;
pub mod log_panel;
pub mod menu;
pub mod modals;
pub mod plots;
pub mod run_panel;
pub mod sessions_panel;
pub mod style;
pub mod tf_export;
pub mod train_panel;
pub mod training;

use crate::project::Project;
use commands::{Command, History};
use dialogs::{DialogKind, FileDialogs, RfdDialogs};
use document::{Document, Engine};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// Key under which [`Settings`] are kept in eframe's storage.
pub const SETTINGS_KEY: &str = "flowbench-settings";

/// What survives a restart (kept in eframe's storage; window size and panel sizes are kept by
/// eframe and egui themselves).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Recently opened or saved files, newest first.
    pub recent: Vec<PathBuf>,
    /// Show the inspector (right).
    pub show_inspector: bool,
    /// Show the config and device panel.
    pub show_config: bool,
    /// Show the sessions panel.
    pub show_sessions: bool,
    /// Show the run panel.
    pub show_run: bool,
    /// Show the log.
    pub show_log: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            recent: Vec::new(),
            show_inspector: true,
            show_config: true,
            show_sessions: true,
            show_run: true,
            show_log: true,
        }
    }
}

impl Settings {
    /// Puts `path` at the top of the recent files.
    pub fn add_recent(&mut self, path: PathBuf) {
        self.recent.retain(|p| *p != path);
        self.recent.insert(0, path);
        self.recent.truncate(10);
    }
}

/// Kinds of log lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKind {
    /// Something the window did.
    Info,
    /// The Python line equivalent to what was done (`sess1.run(MatMul_1:0)`).
    Python,
    /// A placement-log line (`log_device_placement`).
    Placement,
    /// Values printed by a run.
    Result,
    /// A warning.
    Warning,
    /// A TF error.
    Error,
}

/// One log line, linked to a node (graph index, name) when it concerns one.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    /// What kind of line.
    pub kind: LogKind,
    /// The text.
    pub text: String,
    /// The node it concerns.
    pub node: Option<(usize, String)>,
}

/// A wire the editor refused, shown at the input pin.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// Graph index.
    pub graph: usize,
    /// The node whose input refused it.
    pub node: String,
    /// The input (`usize::MAX` for the control input).
    pub input: usize,
    /// TF's message.
    pub message: String,
}

/// The last run's outcome, for the run panel.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// The session id.
    pub session: String,
    /// Fetch name and its value as numpy prints it.
    pub values: Vec<(String, String)>,
    /// The error, if the run failed.
    pub error: Option<String>,
}

/// What the window remembers about a session beyond the engine's stats.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionMeta {
    /// When it was opened (seconds on the app clock).
    pub opened_at: f64,
    /// How long it was open, once closed.
    pub closed_after: Option<f64>,
    /// The named config it was opened with.
    pub config: Option<String>,
}

/// An action that waits for the unsaved-changes prompt.
#[derive(Clone, Debug, PartialEq)]
pub enum Pending {
    /// File ▸ New.
    New,
    /// File ▸ Open…
    OpenDialog,
    /// Open this file.
    OpenPath(PathBuf),
    /// Open this bundled example.
    OpenExample(String),
    /// Quit.
    Quit,
    /// Save first, then do this.
    SaveThen(Box<Pending>),
}

/// A modal window.
#[derive(Clone, Debug, PartialEq)]
pub enum Modal {
    /// An error, such as the loader's message for a bad file.
    Error {
        /// Heading.
        title: String,
        /// Message.
        message: String,
    },
    /// "Save changes before …?"
    Unsaved(Pending),
    /// Session ▸ New session…
    NewSession {
        /// Graph index proposed.
        graph: usize,
    },
    /// Rename a node.
    RenameNode {
        /// Graph index.
        graph: usize,
        /// The node.
        node: String,
    },
    /// Rename a graph.
    RenameGraph {
        /// Graph index.
        graph: usize,
    },
    /// Help ▸ Guide.
    Help,
}

/// Seconds for session ages: real time, or a fixed value so snapshots are deterministic.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    /// Wall-clock seconds since the window started.
    Real(Instant),
    /// Always this value.
    Fixed(f64),
}

impl Clock {
    /// Seconds now.
    pub fn now(&self) -> f64 {
        match self {
            Clock::Real(t) => t.elapsed().as_secs_f64(),
            Clock::Fixed(x) => *x,
        }
    }
}

/// Runtime UI state shared by the panels (not persisted).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewState {
    /// The graph tab shown.
    pub active_graph: usize,
    /// Selected nodes of the active graph.
    pub selection: Vec<String>,
    /// A node to bring into view (log click-through).
    pub focus: Option<String>,
    /// Tensors to fetch.
    pub fetches: Vec<String>,
    /// Ops to run as targets.
    pub targets: Vec<String>,
    /// Feed texts by tensor name.
    pub feeds: BTreeMap<String, String>,
    /// The session runs go to.
    pub run_session: Option<usize>,
    /// The last refused wire.
    pub refusal: Option<Refusal>,
}

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
    /// What to do after a Save As that the unsaved-changes prompt started.
    pub after_save: Option<Pending>,
    /// The window should close.
    pub quit_requested: bool,
    /// Closing is allowed even with unsaved changes.
    pub allow_close: bool,
    /// Live training: the train panel's setup and the current job.
    pub training: training::Training,
    /// A CSV or PNG export waiting for its screenshot or its file name.
    pub export: export::PendingExport,
    /// File ▸ Import CSV…'s window, once a file is picked.
    pub csv_import: Option<csv_import_dialog::CsvImportDialog>,
    /// Wakes the window from other threads (set by the window; `None` in headless use).
    pub repaint: Option<egui::Context>,
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
            after_save: None,
            quit_requested: false,
            allow_close: false,
            training: training::Training::default(),
            export: export::PendingExport::default(),
            csv_import: None,
            repaint: None,
        };
        s.training.setup = training::TrainSetup::from_project(&s.doc.project);
        s.view.active_graph = s.engine.ws.default_graph;
        s
    }

    /// State on the bundled example `file` (the startup example if it is missing).
    pub fn with_example(file: &str, dialogs: Box<dyn FileDialogs>) -> AppState {
        let ex = examples::example(file).or_else(|| examples::example(examples::STARTUP_EXAMPLE));
        let (project, display) = match ex.map(|e| (Project::from_json_str(e.text), e.file)) {
            Some((Ok(p), f)) => (p, format!("{f} (example)")),
            _ => (Project::default(), "untitled.json".to_string()),
        };
        AppState::new(project, None, display, dialogs)
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
}

/// The eframe application: the state plus one view struct per panel.
pub struct FlowbenchApp {
    /// The state (public for tests).
    pub state: AppState,
    menu: menu::MenuBarView,
    editor: graph_editor::GraphEditor,
    inspector: inspector::Inspector,
    config: config_panel::ConfigPanel,
    sessions: sessions_panel::SessionsPanel,
    run: run_panel::RunPanel,
    log: log_panel::LogPanel,
    modals: modals::ModalsView,
    train_panel: train_panel::TrainPanel,
    plots: plots::Plots,
    last_title: String,
    exit_after: Option<f64>,
}

impl FlowbenchApp {
    /// The window as `main` opens it: settings from eframe storage, the startup example, rfd
    /// dialogs.
    pub fn new(cc: &eframe::CreationContext<'_>) -> FlowbenchApp {
        style::install(&cc.egui_ctx);
        let mut state = AppState::with_example(examples::STARTUP_EXAMPLE, Box::new(RfdDialogs::default()));
        if let Some(s) = cc.storage.and_then(|s| eframe::get_value::<Settings>(s, SETTINGS_KEY)) {
            state.settings = s;
        }
        let mut app = FlowbenchApp::with_state(state);
        // For the CI smoke test: close cleanly after this many seconds.
        app.exit_after = std::env::var("FLOWBENCH_EXIT_AFTER_SECS").ok().and_then(|s| s.parse().ok());
        app
    }

    /// The window around an existing state (tests build one with fake dialogs).
    pub fn with_state(state: AppState) -> FlowbenchApp {
        FlowbenchApp {
            state,
            menu: menu::MenuBarView::default(),
            editor: graph_editor::GraphEditor::default(),
            inspector: inspector::Inspector::default(),
            config: config_panel::ConfigPanel::default(),
            sessions: sessions_panel::SessionsPanel::default(),
            run: run_panel::RunPanel::default(),
            log: log_panel::LogPanel::default(),
            modals: modals::ModalsView::default(),
            train_panel: train_panel::TrainPanel::default(),
            plots: plots::Plots::default(),
            last_title: String::new(),
            exit_after: None,
        }
    }

    /// Applies commands (tests use this as the panels do).
    pub fn apply(&mut self, cmds: Vec<Command>) {
        self.state.apply_all(cmds);
    }

    fn shortcuts(&self, ctx: &egui::Context, out: &mut Vec<Command>) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let s = &self.state;
        let typing = ctx.egui_wants_keyboard_input();
        let pressed = |m: Modifiers, k: Key| ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(m, k)));
        let cs = Modifiers::COMMAND | Modifiers::SHIFT;
        if pressed(Modifiers::COMMAND, Key::S) {
            out.push(Command::Save);
        }
        if pressed(cs, Key::S) {
            out.push(Command::SaveAs);
        }
        if pressed(Modifiers::COMMAND, Key::O) {
            out.push(Command::OpenDialog);
        }
        if pressed(Modifiers::COMMAND, Key::N) {
            out.push(Command::New);
        }
        if pressed(Modifiers::COMMAND, Key::Enter)
            && let Some(session) = s.run_session()
        {
            out.push(Command::Run { session });
        }
        if pressed(Modifiers::NONE, Key::F1) {
            out.push(Command::ShowModal(Modal::Help));
        }
        // Training: F5 start / resume, Shift+F5 stop, F6 pause, F7 step 1, F8 step N.
        {
            use crate::train::worker::Command as Job;
            let live = s.training_live();
            let paused = s.training.run.as_ref().is_some_and(|r| r.status == training::TrainStatus::Paused);
            let step = |n: u64, out: &mut Vec<Command>| {
                if !live {
                    out.push(Command::StartTraining { paused: true });
                }
                out.push(Command::TrainControl(Job::Step(n)));
            };
            if pressed(Modifiers::SHIFT, Key::F5) {
                out.push(Command::TrainControl(Job::Stop));
            } else if pressed(Modifiers::NONE, Key::F5) {
                out.push(if !live {
                    Command::StartTraining { paused: false }
                } else if paused {
                    Command::TrainControl(Job::Resume)
                } else {
                    Command::ShowTraining(true)
                });
            }
            if pressed(Modifiers::NONE, Key::F6) {
                out.push(Command::TrainControl(Job::Pause));
            }
            if pressed(Modifiers::NONE, Key::F7) {
                step(1, out);
            }
            if pressed(Modifiers::NONE, Key::F8) {
                step(s.training.setup.step_n, out);
            }
        }
        if typing || s.modal.is_some() {
            return;
        }
        let g = s.view.active_graph;
        if pressed(cs, Key::Z) || pressed(Modifiers::COMMAND, Key::Y) {
            out.push(Command::Redo);
        }
        if pressed(Modifiers::COMMAND, Key::Z) {
            out.push(Command::Undo);
        }
        if pressed(Modifiers::COMMAND, Key::A) {
            out.push(Command::SelectAll);
        }
        if pressed(Modifiers::NONE, Key::Delete) || pressed(Modifiers::NONE, Key::Backspace) {
            out.push(Command::DeleteNodes { graph: g, names: s.view.selection.clone() });
        }
        let mut copy = false;
        let mut paste = false;
        ctx.input(|i| {
            for e in &i.events {
                match e {
                    egui::Event::Copy => copy = true,
                    egui::Event::Paste(_) => paste = true,
                    _ => {}
                }
            }
        });
        if copy {
            out.push(Command::Copy);
        }
        if paste {
            out.push(Command::Paste { graph: g });
        }
    }
}

impl eframe::App for FlowbenchApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let mut out: Vec<Command> = Vec::new();
        if self.state.repaint.is_none() {
            self.state.repaint = Some(ctx.clone());
        }

        // Training: drain the worker's channel (try_recv only; it wakes us when it sends).
        self.state.poll_training();
        if self.state.training_live() {
            // The thread may still be ending after its last event: look again shortly.
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        // PNG export: ask for a screenshot, then crop the one that arrives.
        if self.state.export.screenshot.is_some() && !self.state.export.requested {
            self.state.export.requested = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(egui::UserData::default()));
        }
        let shot = ctx.input(|i| {
            i.events.iter().find_map(|e| match e {
                egui::Event::Screenshot { image, .. } => Some((image.clone(), i.pixels_per_point)),
                _ => None,
            })
        });
        if let Some((image, ppp)) = shot {
            self.state.take_screenshot(&image, ppp);
        }

        // File dialogs: start the one asked for, collect answers.
        if let Some((kind, suggested)) = self.state.pending_dialog.take() {
            self.state.dialogs.ask(kind, &suggested, &ctx);
        }
        while let Some(answer) = self.state.dialogs.poll() {
            match (answer.kind, answer.path) {
                (DialogKind::Open, Some(p)) => out.push(Command::Proceed(Pending::OpenPath(p))),
                (DialogKind::SaveAs, Some(p)) => out.push(Command::SaveTo(p)),
                (DialogKind::ExportCsv | DialogKind::ExportPng, Some(p)) => out.push(Command::WriteExport(p)),
                (DialogKind::ExportCsv | DialogKind::ExportPng, None) => self.state.export.bytes = None,
                (DialogKind::ExportTfScript, Some(p)) => out.push(Command::WriteTfScript(p)),
                (DialogKind::ImportCsv, Some(p)) => out.push(Command::ShowCsvImport(p)),
                (DialogKind::ExportTfScript | DialogKind::ImportCsv, None) => {}
                (_, None) => self.state.after_save = None,
            }
        }

        // Closing with unsaved changes asks first.
        if ctx.input(|i| i.viewport().close_requested()) && !self.state.allow_close && self.state.doc.is_dirty() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            out.push(Command::ShowModal(Modal::Unsaved(Pending::Quit)));
        }
        if let Some(secs) = self.exit_after
            && ctx.input(|i| i.time) > secs
        {
            self.state.allow_close = true;
            self.state.quit_requested = true;
        }

        self.shortcuts(&ctx, &mut out);
        let project_dir = self.state.project_dir();
        if let Some(d) = self.state.csv_import.as_mut()
            && let Some(c) = d.ui(&ctx, project_dir.as_deref())
        {
            out.push(c);
        }
        let s = &self.state;
        egui::Panel::top("flowbench-menu").show(ui, |ui| self.menu.ui(ui, s, &mut out));
        if s.settings.show_run || s.settings.show_log {
            egui::Panel::bottom("flowbench-bottom").default_size(270.0).min_size(120.0).show(ui, |ui| {
                let both = s.settings.show_run && s.settings.show_log;
                if both {
                    ui.columns(2, |cols| {
                        if let [left, right] = cols {
                            self.run.ui(left, s, &mut out);
                            self.log.ui(right, s, &mut out);
                        }
                    });
                } else if s.settings.show_run {
                    self.run.ui(ui, s, &mut out);
                } else {
                    self.log.ui(ui, s, &mut out);
                }
            });
        }
        if s.settings.show_config || s.settings.show_sessions {
            egui::Panel::left("flowbench-left").default_size(330.0).min_size(220.0).show(ui, |ui| {
                egui::ScrollArea::vertical().id_salt("left-scroll").show(ui, |ui| {
                    if s.settings.show_config {
                        self.config.ui(ui, s, &mut out);
                        ui.add_space(6.0);
                    }
                    if s.settings.show_sessions {
                        self.sessions.ui(ui, s, &mut out);
                    }
                });
            });
        }
        if s.settings.show_inspector && !s.training.show {
            egui::Panel::right("flowbench-inspector").default_size(360.0).min_size(240.0).show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("inspector-scroll")
                    .show(ui, |ui| self.inspector.ui(ui, s, &mut out));
            });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui.selectable_label(!s.training.show, "Graph editor").on_hover_text("the graph editor").clicked() {
                    out.push(Command::ShowTraining(false));
                }
                let tip = format!(
                    "train, and watch the loss, weights and decision boundary live ({})",
                    train_panel::SHORTCUTS
                );
                if ui.selectable_label(s.training.show, "Training").on_hover_text(tip).clicked() {
                    out.push(Command::ShowTraining(true));
                }
            });
            if s.training.show {
                ui.horizontal_top(|ui| {
                    ui.vertical(|ui| {
                        ui.set_width(290.0);
                        egui::ScrollArea::vertical()
                            .id_salt("train-panel-scroll")
                            .show(ui, |ui| self.train_panel.ui(ui, s, &mut out));
                    });
                    ui.separator();
                    ui.vertical(|ui| self.plots.ui(ui, s, &mut out));
                });
            } else {
                self.editor.ui(ui, s, &mut out);
            }
        });
        self.modals.ui(&ctx, s, &mut out);

        self.state.apply_all(out);

        let title = self.state.title();
        if title != self.last_title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.last_title = title;
        }
        if self.state.quit_requested {
            self.state.quit_requested = false;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        let any_open = self.state.engine.ws.sessions.iter().any(|s| !s.session.is_closed());
        if any_open || self.exit_after.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(500));
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, &self.state.settings);
    }
}

/// Opens the window; returns the process exit code.
pub fn run_window() -> i32 {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("flowbench")
            .with_app_id("flowbench")
            .with_inner_size([1400.0, 900.0])
            .with_min_inner_size([900.0, 600.0]),
        ..Default::default()
    };
    match eframe::run_native("flowbench", options, Box::new(|cc| Ok(Box::new(FlowbenchApp::new(cc))))) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("flowbench: could not open the window: {e}");
            1
        }
    }
}
