//! The menu bar: File, Edit, Graph, Session, View, Help. Every item emits a command.

use crate::app::command::Command;
use crate::app::examples::EXAMPLES;
use crate::app::model::modal::Modal;
use crate::app::model::settings::Settings;
use crate::app::state::AppState;
use egui::Button;

/// The menu bar (no state of its own).
#[derive(Default)]
pub struct MenuBarView {}

fn item(ui: &mut egui::Ui, text: &str, shortcut: &str, enabled: bool) -> bool {
    let clicked = ui.add_enabled(enabled, Button::new(text).shortcut_text(shortcut)).clicked();
    if clicked {
        ui.close();
    }
    clicked
}

impl MenuBarView {
    /// Draws the bar.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &AppState, out: &mut Vec<Command>) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if item(ui, "New", "Ctrl+N", true) {
                    out.push(Command::New);
                }
                if item(ui, "Open…", "Ctrl+O", true) {
                    out.push(Command::OpenDialog);
                }
                ui.menu_button("Open example", |ui| {
                    for e in EXAMPLES {
                        if ui.button(crate::app::examples::title(e.file)).on_hover_text(e.file).clicked() {
                            out.push(Command::OpenExample(e.file.to_string()));
                            ui.close();
                        }
                    }
                });
                if item(ui, "Save", "Ctrl+S", true) {
                    out.push(Command::Save);
                }
                if item(ui, "Save As…", "Ctrl+Shift+S", true) {
                    out.push(Command::SaveAs);
                }
                ui.menu_button("Export", |ui| {
                    if item(ui, "TensorFlow script…", "", true) {
                        out.push(Command::ExportTfScriptDialog);
                    }
                });
                if item(ui, "Import CSV…", "", true) {
                    out.push(Command::ImportCsvDialog);
                }
                ui.menu_button("Recent", |ui| {
                    if s.settings.recent.is_empty() {
                        ui.weak("no recent files");
                    }
                    for p in &s.settings.recent {
                        if ui.button(p.display().to_string()).clicked() {
                            out.push(Command::OpenPath(p.clone()));
                            ui.close();
                        }
                    }
                });
                ui.separator();
                if item(ui, "Quit", "", true) {
                    out.push(Command::Quit);
                }
            });
            ui.menu_button("Edit", |ui| {
                let g = s.view.active_graph;
                if item(ui, "Undo", "Ctrl+Z", s.history.can_undo()) {
                    out.push(Command::Undo);
                }
                if item(ui, "Redo", "Ctrl+Shift+Z", s.history.can_redo()) {
                    out.push(Command::Redo);
                }
                ui.separator();
                if item(ui, "Copy", "Ctrl+C", !s.view.selection.is_empty()) {
                    out.push(Command::Copy);
                }
                if item(ui, "Paste", "Ctrl+V", !s.clipboard.is_empty()) {
                    out.push(Command::Paste { graph: g });
                }
                if item(ui, "Delete", "Del", !s.view.selection.is_empty()) {
                    out.push(Command::DeleteNodes { graph: g, names: s.view.selection.clone() });
                }
                if item(ui, "Select all", "Ctrl+A", true) {
                    out.push(Command::SelectAll);
                }
            });
            ui.menu_button("Graph", |ui| {
                let g = s.view.active_graph;
                if item(ui, "New graph", "", true) {
                    out.push(Command::NewGraph);
                }
                if item(ui, "Rename…", "", true) {
                    out.push(Command::ShowModal(Modal::RenameGraph { graph: g }));
                }
                if item(ui, "Make default graph", "", true) {
                    out.push(Command::SetDefaultGraph { graph: g });
                }
                if item(ui, "Auto-layout", "", true) {
                    out.push(Command::AutoLayout { graph: g });
                }
            });
            ui.menu_button("Session", |ui| {
                let sess = s.run_session();
                if item(ui, "New session…", "", true) {
                    out.push(Command::ShowModal(Modal::NewSession { graph: s.view.active_graph }));
                }
                if item(ui, "Initialize variables", "", sess.is_some())
                    && let Some(session) = sess
                {
                    out.push(Command::InitializeVariables { session });
                }
                if item(ui, "Run…", "Ctrl+Enter", sess.is_some())
                    && let Some(session) = sess
                {
                    out.push(Command::Run { session });
                }
                if item(ui, "Close", "", sess.is_some())
                    && let Some(session) = sess
                {
                    out.push(Command::CloseSession { session });
                }
                if item(ui, "Close all", "", true) {
                    out.push(Command::CloseAllSessions);
                }
                ui.separator();
                if item(ui, "Replay script", "", true) {
                    out.push(Command::ReplayScript);
                }
            });
            ui.menu_button("View", |ui| {
                let mut st: Settings = s.settings.clone();
                ui.checkbox(&mut st.show_notes, "Notes");
                ui.checkbox(&mut st.show_inspector, "Inspector");
                ui.checkbox(&mut st.show_config, "Config & devices");
                ui.checkbox(&mut st.show_sessions, "Sessions");
                ui.checkbox(&mut st.show_run, "Run");
                ui.checkbox(&mut st.show_log, "Log");
                ui.separator();
                ui.checkbox(&mut st.light_theme, "Light theme");
                ui.checkbox(&mut st.builtin_file_browser, "Built-in file browser")
                    .on_hover_text("use flowbench's own file browser instead of the system's dialogs (used anyway when none can be shown)");
                if st != s.settings {
                    out.push(Command::SetSettings(st));
                }
            });
            ui.menu_button("Help", |ui| {
                if item(ui, "Guide to TF1 concepts", "F1", true) {
                    out.push(Command::ShowModal(Modal::Help));
                }
            });
        });
    }
}
