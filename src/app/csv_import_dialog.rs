//! File ▸ Import CSV…, after the file is picked: a window that previews the first rows (parsed
//! with [`crate::project::csv`]), lets the user say whether the first row is a header, name the
//! dataset, give each column a role (feature, label or ignored) and optionally a new name, and
//! choose between embedding the rows and referring to the file by a relative path. It only
//! emits commands: [`Command::ImportCsvWith`] (one undoable edit) or
//! [`Command::CloseCsvImport`]. A malformed file shows its error (line and column) here and
//! nothing in the project changes.

use super::commands::Command;
use crate::project::csv::{self, CsvTable, Header, ImportOptions, Storage};
use std::path::{Path, PathBuf};

/// How many data rows the preview shows.
pub const PREVIEW_ROWS: usize = 8;

/// What a column becomes in the dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// An input column.
    Feature,
    /// The label (exactly one).
    Label,
    /// Not imported.
    Ignore,
}

impl Role {
    fn text(self) -> &'static str {
        match self {
            Role::Feature => "feature",
            Role::Label => "label",
            Role::Ignore => "ignore",
        }
    }
}

/// One column of the file and what the user chose for it.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnChoice {
    /// The name in the file (or `c1`, `c2`, ... without a header).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// A new name; empty keeps `name`.
    pub rename: String,
}

/// The import window's state.
#[derive(Clone, Debug)]
pub struct CsvImportDialog {
    /// The picked file.
    pub path: PathBuf,
    /// The dataset's name.
    pub name: String,
    /// Whether the first row is a header.
    pub header: bool,
    /// The file parsed with the current header choice, or why it could not be.
    pub table: Result<CsvTable, String>,
    /// Per-column choices (empty when the file could not be parsed).
    pub columns: Vec<ColumnChoice>,
    /// Embed the rows or refer to the file.
    pub storage: Storage,
    /// The error of the last import attempt (shown in the window).
    pub error: Option<String>,
}

impl CsvImportDialog {
    /// Reads `path` (header detected) and proposes: every column a feature but the last, which
    /// is the label; rows embedded; the dataset named after the file.
    pub fn open(path: PathBuf) -> CsvImportDialog {
        let name = path.file_stem().map_or("data".to_string(), |s| s.to_string_lossy().to_string());
        let table = csv::read_file(&path, Header::Auto).map_err(|e| e.to_string());
        let header = table.as_ref().map(|t| t.header).unwrap_or(true);
        let mut d =
            CsvImportDialog { path, name, header, table, columns: Vec::new(), storage: Storage::Embed, error: None };
        d.reset_columns();
        d
    }

    /// Parses the file again with the current header choice.
    pub fn reparse(&mut self) {
        let header = if self.header { Header::Yes } else { Header::No };
        self.table = csv::read_file(&self.path, header).map_err(|e| e.to_string());
        self.error = None;
        self.reset_columns();
    }

    fn reset_columns(&mut self) {
        let names: Vec<String> = self.table.as_ref().map(|t| t.columns.clone()).unwrap_or_default();
        let last = names.len().saturating_sub(1);
        self.columns = names
            .into_iter()
            .enumerate()
            .map(|(k, name)| ColumnChoice {
                role: if k == last && k > 0 { Role::Label } else { Role::Feature },
                name,
                rename: String::new(),
            })
            .collect();
    }

    /// Why Import is not possible yet, if it is not.
    pub fn problem(&self, project_dir: Option<&Path>) -> Option<String> {
        if let Err(e) = &self.table {
            return Some(e.clone());
        }
        if self.name.trim().is_empty() {
            return Some("the dataset needs a name".to_string());
        }
        let labels = self.columns.iter().filter(|c| c.role == Role::Label).count();
        if labels != 1 {
            return Some(format!("choose exactly one label column ({labels} chosen)"));
        }
        if !self.columns.iter().any(|c| c.role == Role::Feature) {
            return Some("choose at least one feature column".to_string());
        }
        let mut seen = std::collections::HashSet::new();
        for c in self.columns.iter().filter(|c| c.role != Role::Ignore) {
            let n = final_name(c);
            if !seen.insert(n.to_string()) {
                return Some(format!("the name '{n}' is used twice"));
            }
        }
        if self.storage == Storage::Reference && project_dir.is_none() {
            return Some(NOT_SAVED.to_string());
        }
        None
    }

    /// The import as the project's CSV module takes it (features in file order, then the label).
    pub fn options(&self) -> ImportOptions {
        let features: Vec<&ColumnChoice> = self.columns.iter().filter(|c| c.role == Role::Feature).collect();
        let label = self.columns.iter().find(|c| c.role == Role::Label);
        let renamed = self.columns.iter().any(|c| c.role != Role::Ignore && !c.rename.trim().is_empty());
        let rename = if renamed {
            features.iter().copied().chain(label).map(|c| final_name(c).to_string()).collect()
        } else {
            Vec::new()
        };
        ImportOptions {
            name: self.name.trim().to_string(),
            features: features.iter().map(|c| c.name.clone()).collect(),
            label: label.map(|c| c.name.clone()),
            rename,
            header: if self.header { Header::Yes } else { Header::No },
            storage: self.storage,
        }
    }

    /// Draws the window. `project_dir` is the saved project's folder (`None` before the first
    /// save: referring to the file is then refused). Returns the command the user chose.
    pub fn ui(&mut self, ctx: &egui::Context, project_dir: Option<&Path>) -> Option<Command> {
        let mut out = None;
        egui::Window::new("Import CSV")
            .id(egui::Id::new("flowbench-csv-import"))
            .collapsible(false)
            .resizable(true)
            .default_width(560.0)
            .show(ctx, |ui| {
                ui.label(format!("File: {}", self.path.display()));
                ui.horizontal(|ui| {
                    let l = ui.label("Dataset name:");
                    ui.add(egui::TextEdit::singleline(&mut self.name).desired_width(220.0)).labelled_by(l.id);
                });
                if ui.checkbox(&mut self.header, "First row is a header").changed() {
                    self.reparse();
                }
                ui.separator();
                match &self.table {
                    Ok(t) => {
                        preview(ui, t);
                        ui.separator();
                        self.columns_ui(ui);
                    }
                    Err(e) => {
                        ui.colored_label(ui.visuals().error_fg_color, format!("Error: {e}"));
                    }
                }
                ui.separator();
                ui.radio_value(&mut self.storage, Storage::Embed, "Embed rows in the project");
                ui.add_enabled_ui(project_dir.is_some(), |ui| {
                    ui.radio_value(&mut self.storage, Storage::Reference, "Reference the file (relative path)");
                });
                if project_dir.is_none() {
                    if self.storage == Storage::Reference {
                        self.storage = Storage::Embed;
                    }
                    ui.weak(NOT_SAVED);
                } else if self.storage == Storage::Reference {
                    ui.weak("the project keeps a path relative to its file; the rows are read when it runs");
                }
                if let Some(e) = &self.error {
                    ui.colored_label(ui.visuals().error_fg_color, format!("Error: {e}"));
                }
                let problem = self.problem(project_dir);
                if let (Some(p), Ok(_)) = (&problem, &self.table) {
                    ui.weak(p);
                }
                ui.horizontal(|ui| {
                    if ui.add_enabled(problem.is_none(), egui::Button::new("Import")).clicked() {
                        out = Some(Command::ImportCsvWith { path: self.path.clone(), options: self.options() });
                    }
                    if ui.button("Cancel").clicked() {
                        out = Some(Command::CloseCsvImport);
                    }
                });
            });
        out
    }

    fn columns_ui(&mut self, ui: &mut egui::Ui) {
        ui.label("Columns (exactly one label, at least one feature):");
        egui::Grid::new("csv-import-columns").striped(true).show(ui, |ui| {
            for c in &mut self.columns {
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
                ui.label("rename:");
                let hint = c.name.clone();
                let resp = ui.add_enabled(
                    c.role != Role::Ignore,
                    egui::TextEdit::singleline(&mut c.rename).hint_text(hint).desired_width(120.0),
                );
                let label = format!("Rename {}", c.name);
                resp.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::TextEdit, true, label.clone()));
                ui.end_row();
            }
        });
    }
}

const NOT_SAVED: &str = "save the project first to refer to the file by a path relative to it";

fn final_name(c: &ColumnChoice) -> &str {
    let r = c.rename.trim();
    if r.is_empty() { &c.name } else { r }
}

/// The first rows of the table, under its column names.
fn preview(ui: &mut egui::Ui, t: &CsvTable) {
    ui.label(format!("{} rows, {} columns{}", t.rows, t.columns.len(), if t.header { ", header row" } else { "" }));
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
        ui.weak(format!("… {} more rows", t.rows - PREVIEW_ROWS));
    }
}
