//! File ▸ Import CSV…'s window, after the file is picked: previews the first rows, lets the user
//! say whether the first row is a header, name the dataset, give each column a role (feature,
//! label or ignored) and optionally a new name, and choose between embedding the rows and
//! referring to the file by a relative path. It edits only its own
//! [`CsvImportDialog`] and emits [`Command::ImportCsvWith`] (one undoable edit) or
//! [`Command::CloseCsvImport`]. A malformed file shows its error (line and column) here and
//! nothing in the project changes.

use crate::app::command::Command;
use crate::app::i18n::{tr, tr_args};
use crate::app::model::csv_import::{CsvImportDialog, PREVIEW_ROWS, Role, not_saved};
use crate::project::csv::{CsvTable, Storage};
use std::path::Path;

/// The import window (it keeps no state of its own: the dialog's state is in `AppState`).
#[derive(Default)]
pub struct CsvImportPanel {}

impl CsvImportPanel {
    /// Draws the window. `project_dir` is the saved project's folder (`None` before the first
    /// save: referring to the file is then refused). Returns the command the user chose.
    pub fn ui(&mut self, d: &mut CsvImportDialog, ctx: &egui::Context, project_dir: Option<&Path>) -> Option<Command> {
        let mut out = None;
        egui::Window::new(tr("csv-title"))
            .id(egui::Id::new("flowbench-csv-import"))
            .collapsible(false)
            .resizable(true)
            .default_width(560.0)
            .show(ctx, |ui| {
                ui.label(tr_args("csv-file", &[("path", d.path.display().to_string().into())]));
                ui.horizontal(|ui| {
                    let l = ui.label(tr("csv-dataset-name"));
                    ui.add(egui::TextEdit::singleline(&mut d.name).desired_width(220.0)).labelled_by(l.id);
                });
                if ui.checkbox(&mut d.header, tr("csv-header")).changed() {
                    d.reparse();
                }
                ui.separator();
                match &d.table {
                    Ok(t) => {
                        preview(ui, t);
                        ui.separator();
                        self.columns_ui(d, ui);
                    }
                    Err(e) => {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            tr_args("csv-error", &[("error", e.to_string().into())]),
                        );
                    }
                }
                ui.separator();
                ui.radio_value(&mut d.storage, Storage::Embed, tr("csv-embed"));
                ui.add_enabled_ui(project_dir.is_some(), |ui| {
                    ui.radio_value(&mut d.storage, Storage::Reference, tr("csv-reference"));
                });
                if project_dir.is_none() {
                    if d.storage == Storage::Reference {
                        d.storage = Storage::Embed;
                    }
                    ui.weak(not_saved());
                } else if d.storage == Storage::Reference {
                    ui.weak(tr("csv-reference-hint"));
                }
                if let Some(e) = &d.error {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        tr_args("csv-error", &[("error", e.to_string().into())]),
                    );
                }
                let problem = d.problem(project_dir);
                if let (Some(p), Ok(_)) = (&problem, &d.table) {
                    ui.weak(p);
                }
                ui.horizontal(|ui| {
                    if ui.add_enabled(problem.is_none(), egui::Button::new(tr("csv-import"))).clicked() {
                        out = Some(Command::ImportCsvWith { path: d.path.clone(), options: d.options() });
                    }
                    if ui.button(tr("modal-cancel")).clicked() {
                        out = Some(Command::CloseCsvImport);
                    }
                });
            });
        out
    }

    fn columns_ui(&mut self, d: &mut CsvImportDialog, ui: &mut egui::Ui) {
        ui.label(tr("csv-columns"));
        egui::Grid::new("csv-import-columns").striped(true).show(ui, |ui| {
            for c in &mut d.columns {
                ui.label(&c.name);
                for role in [Role::Feature, Role::Label, Role::Ignore] {
                    let selected = c.role == role;
                    let resp = ui.radio(selected, role.text());
                    let name = format!("{}: {}", c.name, role.text());
                    resp.widget_info(|| {
                        egui::WidgetInfo::selected(egui::WidgetType::RadioButton, true, selected, name.clone())
                    });
                    if resp.clicked() {
                        c.role = role;
                    }
                }
                ui.label(tr("csv-rename"));
                let hint = c.name.clone();
                let resp = ui.add_enabled(
                    c.role != Role::Ignore,
                    egui::TextEdit::singleline(&mut c.rename).hint_text(hint).desired_width(120.0),
                );
                let label = tr_args("modal-rename-node", &[("name", c.name.as_str().into())]);
                resp.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::TextEdit, true, label.clone()));
                ui.end_row();
            }
        });
    }
}

/// The first rows of the table, under its column names.
fn preview(ui: &mut egui::Ui, t: &CsvTable) {
    let id = if t.header { "csv-shape-header" } else { "csv-shape" };
    ui.label(tr_args(id, &[("rows", t.rows.to_string().into()), ("columns", t.columns.len().to_string().into())]));
    let width = t.columns.len();
    egui::ScrollArea::horizontal().id_salt("csv-import-preview").show(ui, |ui| {
        egui::Grid::new("csv-import-preview-grid").striped(true).show(ui, |ui| {
            for c in &t.columns {
                ui.strong(c);
            }
            ui.end_row();
            for r in 0..t.rows.min(PREVIEW_ROWS) {
                for k in 0..width {
                    let v = t.data.get(r * width + k).copied();
                    ui.monospace(v.map_or(String::new(), |v| format!("{v}")));
                }
                ui.end_row();
            }
        });
    });
    if t.rows > PREVIEW_ROWS {
        ui.weak(tr_args("csv-more-rows", &[("count", (t.rows - PREVIEW_ROWS).to_string().into())]));
    }
}
