//! The menu bar: File, Edit, Graph, Session, View (panels, language), Help. Every item emits a
//! command; every label is a message of `i18n`.

use crate::app::command::Command;
use crate::app::examples::EXAMPLES;
use crate::app::i18n::{LANGUAGES, tr};
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
            ui.menu_button(tr("menu-file"), |ui| {
                if item(ui, &tr("menu-new"), "Ctrl+N", true) {
                    out.push(Command::New);
                }
                if item(ui, &tr("menu-open"), "Ctrl+O", true) {
                    out.push(Command::OpenDialog);
                }
                ui.menu_button(tr("menu-open-example"), |ui| {
                    for e in EXAMPLES {
                        if ui.button(crate::app::examples::menu_title(e.file)).on_hover_text(e.file).clicked() {
                            out.push(Command::OpenExample(e.file.to_string()));
                            ui.close();
                        }
                    }
                });
                if item(ui, &tr("menu-save"), "Ctrl+S", true) {
                    out.push(Command::Save);
                }
                if item(ui, &tr("menu-save-as"), "Ctrl+Shift+S", true) {
                    out.push(Command::SaveAs);
                }
                ui.menu_button(tr("menu-export"), |ui| {
                    if item(ui, &tr("menu-export-tf-script"), "", true) {
                        out.push(Command::ExportTfScriptDialog);
                    }
                });
                if item(ui, &tr("menu-import-csv"), "", true) {
                    out.push(Command::ImportCsvDialog);
                }
                if item(ui, &tr("menu-import-tf-graph"), "", true) {
                    out.push(Command::ImportTfGraphDialog);
                }
                if item(ui, &tr("menu-open-checkpoint"), "", true) {
                    out.push(Command::OpenCheckpointDialog);
                }
                ui.menu_button(tr("menu-recent"), |ui| {
                    if s.settings.recent.is_empty() {
                        ui.weak(tr("menu-no-recent"));
                    }
                    for p in &s.settings.recent {
                        if ui.button(p.display().to_string()).clicked() {
                            out.push(Command::OpenPath(p.clone()));
                            ui.close();
                        }
                    }
                });
                ui.separator();
                if item(ui, &tr("menu-quit"), "", true) {
                    out.push(Command::Quit);
                }
            });
            ui.menu_button(tr("menu-edit"), |ui| {
                let g = s.view.active_graph;
                if item(ui, &tr("menu-undo"), "Ctrl+Z", s.history.can_undo()) {
                    out.push(Command::Undo);
                }
                if item(ui, &tr("menu-redo"), "Ctrl+Shift+Z", s.history.can_redo()) {
                    out.push(Command::Redo);
                }
                ui.separator();
                if item(ui, &tr("menu-copy"), "Ctrl+C", !s.view.selection.is_empty()) {
                    out.push(Command::Copy);
                }
                if item(ui, &tr("menu-paste"), "Ctrl+V", !s.clipboard.is_empty()) {
                    out.push(Command::Paste { graph: g });
                }
                if item(ui, &tr("menu-delete"), "Del", !s.view.selection.is_empty()) {
                    out.push(Command::DeleteNodes { graph: g, names: s.view.selection.clone() });
                }
                if item(ui, &tr("menu-select-all"), "Ctrl+A", true) {
                    out.push(Command::SelectAll);
                }
            });
            ui.menu_button(tr("menu-graph"), |ui| {
                let g = s.view.active_graph;
                if item(ui, &tr("menu-new-graph"), "", true) {
                    out.push(Command::NewGraph);
                }
                if item(ui, &tr("menu-rename"), "", true) {
                    out.push(Command::ShowModal(Modal::RenameGraph { graph: g }));
                }
                if item(ui, &tr("menu-make-default-graph"), "", true) {
                    out.push(Command::SetDefaultGraph { graph: g });
                }
                if item(ui, &tr("menu-auto-layout"), "", true) {
                    out.push(Command::AutoLayout { graph: g });
                }
            });
            ui.menu_button(tr("menu-session"), |ui| {
                let sess = s.run_session();
                if item(ui, &tr("menu-new-session"), "", true) {
                    out.push(Command::ShowModal(Modal::NewSession { graph: s.view.active_graph }));
                }
                if item(ui, &tr("menu-initialize-variables"), "", sess.is_some())
                    && let Some(session) = sess
                {
                    out.push(Command::InitializeVariables { session });
                }
                if item(ui, &tr("menu-run"), "Ctrl+Enter", sess.is_some())
                    && let Some(session) = sess
                {
                    out.push(Command::Run { session });
                }
                if item(ui, &tr("menu-close"), "", sess.is_some())
                    && let Some(session) = sess
                {
                    out.push(Command::CloseSession { session });
                }
                if item(ui, &tr("menu-close-all"), "", true) {
                    out.push(Command::CloseAllSessions);
                }
                ui.separator();
                let open = sess.filter(|&i| s.engine.ws.sessions.get(i).is_some_and(|e| !e.session.is_closed()));
                if item(ui, &tr("menu-save-checkpoint"), "", open.is_some())
                    && let Some(session) = open
                {
                    out.push(Command::SaveCheckpointDialog { session });
                }
                if item(ui, &tr("menu-restore-checkpoint"), "", open.is_some())
                    && let Some(session) = open
                {
                    out.push(Command::RestoreCheckpointDialog { session });
                }
                ui.separator();
                if item(ui, &tr("menu-replay-script"), "", true) {
                    out.push(Command::ReplayScript);
                }
            });
            ui.menu_button(tr("menu-view"), |ui| {
                let mut st: Settings = s.settings.clone();
                ui.checkbox(&mut st.show_notes, tr("menu-view-notes"));
                ui.checkbox(&mut st.show_inspector, tr("menu-view-inspector"));
                ui.checkbox(&mut st.show_config, tr("menu-view-config"));
                ui.checkbox(&mut st.show_sessions, tr("menu-view-sessions"));
                ui.checkbox(&mut st.show_run, tr("menu-view-run"));
                ui.checkbox(&mut st.show_log, tr("menu-view-log"));
                ui.separator();
                ui.checkbox(&mut st.light_theme, tr("menu-light-theme"));
                ui.checkbox(&mut st.builtin_file_browser, tr("menu-builtin-file-browser"))
                    .on_hover_text(tr("menu-builtin-file-browser-hint"));
                ui.menu_button(tr("menu-language"), |ui| {
                    let current = st.language.clone().unwrap_or_else(|| "en".to_string());
                    for lang in LANGUAGES {
                        if ui.radio(current == lang.code, lang.name).clicked() {
                            st.language = Some(lang.code.to_string());
                            ui.close();
                        }
                    }
                });
                if st != s.settings {
                    out.push(Command::SetSettings(st));
                }
            });
            ui.menu_button(tr("menu-help"), |ui| {
                if item(ui, &tr("menu-guide"), "F1", true) {
                    out.push(Command::ShowModal(Modal::Help));
                }
            });
        });
    }
}
