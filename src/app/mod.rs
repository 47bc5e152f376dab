//! The workbench window (eframe/egui), laid out as its architecture:
//! - [`state`]: [`AppState`], everything the window shows and edits (the persisted
//!   [`Settings`] kept apart from the runtime state);
//! - [`command`]: the [`Command`] vocabulary, a leaf every panel emits;
//! - [`apply`]: the executor, `AppState::apply`, one file per concern (edits and undo,
//!   sessions, files, training, exports, CSV import);
//! - [`model`]: data the window keeps or derives (the document and its engine state, undo
//!   history, training state and series, the log, view state, modals, settings);
//! - [`panels`]: one file per panel, each reading the state and emitting commands;
//! - [`dialogs`], [`style`], [`fonts`], [`i18n`], [`examples`], [`png`], [`icon`]: file dialogs,
//!   colours, the bundled CJK font, the UI's languages, bundled examples, the PNG encoder and the
//!   application icon.
//!
//! This file holds [`FlowbenchApp`], the `eframe::App` (layout, shortcuts, title, file dialog
//! answers, closing), and [`run_window`].

pub mod apply;
pub mod command;
pub mod dialogs;
pub mod examples;
pub mod fonts;
pub mod frame_bench;
pub mod i18n;
pub mod icon;
pub mod model;
pub mod panels;
pub mod png;
pub mod state;
pub mod style;

use crate::app::command::Command;
use crate::app::dialogs::RfdDialogs;
use crate::app::model::modal::{Modal, Pending};
use crate::app::model::settings::{SETTINGS_KEY, Settings};
use crate::app::model::training::TrainStatus;
use crate::app::panels::{
    checkpoint_browser, config, csv_import, file_browser, graph_editor, inspector, log, menu, modals, notes, plots,
    program, run, sessions, train,
};
use crate::app::state::AppState;

/// The eframe application: the state plus one view struct per panel.
pub struct FlowbenchApp {
    /// The state (public for tests).
    pub state: AppState,
    menu: menu::MenuBarView,
    editor: graph_editor::GraphEditor,
    inspector: inspector::Inspector,
    config: config::ConfigPanel,
    sessions: sessions::SessionsPanel,
    run: run::RunPanel,
    log: log::LogPanel,
    modals: modals::ModalsView,
    train_panel: train::TrainPanel,
    csv_import: csv_import::CsvImportPanel,
    plots: plots::Plots,
    file_browser: file_browser::FileBrowserView,
    notes: notes::NotesPanel,
    checkpoint_browser: checkpoint_browser::CheckpointBrowserView,
    debug_window: crate::app::panels::debug::DebugWindow,
    program: program::ProgramPanel,
    last_title: String,
    exit_after: Option<f64>,
}

impl FlowbenchApp {
    /// The window as `main` opens it: settings from eframe storage, the project `file` (or the
    /// startup example), rfd dialogs.
    pub fn new(cc: &eframe::CreationContext<'_>, file: Option<std::path::PathBuf>) -> FlowbenchApp {
        let mut state = AppState::with_example(examples::STARTUP_EXAMPLE, Box::new(RfdDialogs::default()));
        if let Some(s) = cc.storage.and_then(|s| eframe::get_value::<Settings>(s, SETTINGS_KEY)) {
            state.settings = s;
        }
        if state.settings.language.is_none() {
            state.settings.language = Some(i18n::system_language().to_string());
        }
        // Before anything is logged (opening `file` logs a line).
        i18n::set_language(state.settings.language.as_deref().unwrap_or("en"));
        state.watchable_examples = true;
        state.pace_example();
        if let Some(f) = file {
            state.open_at_start(f);
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
            config: config::ConfigPanel::default(),
            sessions: sessions::SessionsPanel::default(),
            run: run::RunPanel::default(),
            log: log::LogPanel::default(),
            modals: modals::ModalsView::default(),
            train_panel: train::TrainPanel::default(),
            csv_import: csv_import::CsvImportPanel::default(),
            plots: plots::Plots::default(),
            file_browser: file_browser::FileBrowserView::default(),
            notes: notes::NotesPanel::default(),
            checkpoint_browser: checkpoint_browser::CheckpointBrowserView::default(),
            debug_window: crate::app::panels::debug::DebugWindow::default(),
            program: program::ProgramPanel::default(),
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
        if s.browser.is_some() {
            // The file browser owns the keyboard while it is shown.
            return;
        }
        let typing = ctx.egui_wants_keyboard_input();
        let pressed = |m: Modifiers, k: Key| ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(m, k)));
        let cs = Modifiers::COMMAND | Modifiers::SHIFT;
        // Ctrl+Shift+S first: a Ctrl+S shortcut also matches it (egui ignores extra Shift).
        if pressed(cs, Key::S) {
            out.push(Command::SaveAs);
        }
        if pressed(Modifiers::COMMAND, Key::S) {
            out.push(Command::Save);
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
            let paused = s.training.run.as_ref().is_some_and(|r| r.status == TrainStatus::Paused);
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
        // Debugger: F10 runs one op, F9 continues (while a run is paused in it).
        let debug_paused = s.debug.shown.as_ref().is_some_and(|st| crate::app::model::debugger::lock(st).paused);
        if debug_paused {
            use crate::app::model::debugger::DebugCommand;
            if pressed(Modifiers::NONE, Key::F10) {
                out.push(Command::Debug(DebugCommand::Step));
            }
            if pressed(Modifiers::NONE, Key::F9) {
                out.push(Command::Debug(DebugCommand::Continue));
            }
        }
        // The Python program view: F10 runs one statement, F9 continues (unless the debugger
        // is paused: it owns them then).
        if let Some(pv) = s.program.as_ref()
            && !debug_paused
            && s.modal.is_none()
        {
            use crate::app::model::program::{ProgramCommand, ProgramState};
            if pressed(Modifiers::NONE, Key::F10) {
                out.push(Command::Program(ProgramCommand::Step));
            }
            if pv.state == ProgramState::Paused && pressed(Modifiers::NONE, Key::F9) {
                out.push(Command::Program(ProgramCommand::Continue));
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
        if pressed(Modifiers::NONE, Key::Escape) && !s.view.selection.is_empty() {
            out.push(Command::Select(Vec::new()));
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
        i18n::set_language(self.state.settings.language.as_deref().unwrap_or("en"));
        if self.state.repaint.is_none() {
            // The first frame: the window's visuals (here, so headless windows get them too).
            style::install(&ctx);
            fonts::install(&ctx);
            self.state.repaint = Some(ctx.clone());
        }
        let theme = if self.state.settings.light_theme { egui::Theme::Light } else { egui::Theme::Dark };
        if ctx.theme() != theme {
            ctx.set_theme(theme);
        }

        // Training: drain the worker's channel (try_recv only; it wakes us when it sends).
        self.state.poll_training();
        self.state.poll_debug();
        self.state.poll_program();
        if self.state.program.as_ref().is_some_and(|p| p.stepper.is_some()) {
            // The program's thread wakes us when it sends; look again shortly in any case.
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        self.state.pace_training();
        if self.state.debug.run.is_some() {
            // The debug thread may still be ending after its last op.
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        if self.state.training_live() {
            // The thread may still be ending after its last event: look again shortly (its
            // events themselves wake the window, at most every TRAINING_FRAME_INTERVAL).
            ctx.request_repaint_after(std::time::Duration::from_millis(200));
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

        // File dialogs: start the one asked for (the built-in browser when no native dialog can
        // be shown, or when the user prefers it), collect answers.
        if let Some((kind, suggested)) = self.state.pending_dialog.take() {
            if self.state.settings.builtin_file_browser {
                out.push(Command::ShowFileBrowser { kind, suggested });
            } else {
                self.state.dialogs.ask(kind, &suggested, &ctx);
                self.state.asked_dialog = Some((kind, suggested));
            }
        }
        while let Some(answer) = self.state.dialogs.poll() {
            if answer.unavailable {
                let suggested = match self.state.asked_dialog.take() {
                    Some((k, s)) if k == answer.kind => s,
                    _ => String::new(),
                };
                out.push(Command::ShowFileBrowser { kind: answer.kind, suggested });
            } else {
                out.push(Command::DialogAnswered { kind: answer.kind, path: answer.path });
            }
        }
        // Files dropped on the window: a project opens (asking first about unsaved changes), a
        // CSV file opens the import window.
        let dropped: Vec<std::path::PathBuf> =
            ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
        if let Some(p) = dropped.into_iter().next() {
            let ext = p.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
            out.push(match ext.as_str() {
                "csv" | "txt" => Command::ShowCsvImport(p),
                _ => Command::OpenPath(p),
            });
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
        if let Some(b) = self.state.browser.as_mut()
            && let Some(c) = self.file_browser.ui(b, &ctx)
        {
            out.push(c);
        }
        let project_dir = self.state.project_dir();
        if let Some(d) = self.state.csv_import.as_mut()
            && let Some(c) = self.csv_import.ui(d, &ctx, project_dir.as_deref())
        {
            out.push(c);
        }
        if let Some(b) = self.state.checkpoint.as_ref() {
            let session = self.state.run_session().and_then(|i| {
                self.state.engine.ws.sessions.get(i).filter(|e| !e.session.is_closed()).map(|e| (i, e.id.clone()))
            });
            self.checkpoint_browser.ui(b, &ctx, session, &mut out);
        }
        let s = &self.state;
        egui::Panel::top("flowbench-menu").show(ui, |ui| self.menu.ui(ui, s, &mut out));
        if s.settings.show_run || s.settings.show_log {
            egui::Panel::bottom("flowbench-bottom").default_size(270.0).min_size(120.0).show(ui, |ui| {
                let both = s.settings.show_run && s.settings.show_log;
                if both {
                    // Columns lay out justified, which would stretch the spaces of wrapped text
                    // (an error in the result box): each column is laid out left-aligned.
                    let plain = egui::Layout::top_down(egui::Align::Min);
                    ui.columns(2, |cols| {
                        if let [left, right] = cols {
                            left.with_layout(plain, |ui| self.run.ui(ui, s, &mut out));
                            right.with_layout(plain, |ui| self.log.ui(ui, s, &mut out));
                        }
                    });
                } else if s.settings.show_run {
                    self.run.ui(ui, s, &mut out);
                } else {
                    self.log.ui(ui, s, &mut out);
                }
            });
        }
        if s.settings.show_config || s.settings.show_sessions || s.settings.show_notes {
            egui::Panel::left("flowbench-left").default_size(330.0).min_size(220.0).show(ui, |ui| {
                // Content wider than the panel scrolls instead of widening it: the panel keeps
                // the width the user gave it (egui remembers it across restarts).
                egui::ScrollArea::both().id_salt("left-scroll").auto_shrink([false, false]).show(ui, |ui| {
                    if s.settings.show_notes {
                        self.notes.ui(ui, s);
                        ui.separator();
                    }
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
        // The program view, beside the graph (the inspector makes room for it on narrow windows).
        let program_shown = s.program.is_some() && !s.training.show;
        if program_shown {
            egui::Panel::right("flowbench-program").default_size(430.0).min_size(260.0).show(ui, |ui| {
                self.program.ui(ui, s, &mut out);
            });
        }
        let wide = ctx.content_rect().width() >= 1700.0;
        if s.settings.show_inspector && !s.training.show && (!program_shown || wide) {
            egui::Panel::right("flowbench-inspector").default_size(360.0).min_size(240.0).show(ui, |ui| {
                egui::ScrollArea::both()
                    .id_salt("inspector-scroll")
                    .auto_shrink([false, false])
                    .show(ui, |ui| self.inspector.ui(ui, s, &mut out));
            });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui
                    .selectable_label(!s.training.show, i18n::tr("tab-graph-editor"))
                    .on_hover_text(i18n::tr("tab-graph-editor-hint"))
                    .clicked()
                {
                    out.push(Command::ShowTraining(false));
                }
                let tip = i18n::tr_args("tab-training-hint", &[("keys", train::shortcuts().into())]);
                if ui.selectable_label(s.training.show, i18n::tr("tab-training")).on_hover_text(tip).clicked() {
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
        self.debug_window.ui(&ctx, s, &mut out);
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

/// Opens the window on `file` (a project), or on the startup example; returns the process exit
/// code.
pub fn run_window(file: Option<std::path::PathBuf>) -> i32 {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("flowbench")
            .with_app_id("flowbench")
            .with_inner_size([1400.0, 900.0])
            .with_min_inner_size([900.0, 600.0])
            .with_icon(std::sync::Arc::new(icon::icon_data())),
        ..Default::default()
    };
    match eframe::run_native("flowbench", options, Box::new(move |cc| Ok(Box::new(FlowbenchApp::new(cc, file))))) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("flowbench: could not open the window: {e}");
            1
        }
    }
}
