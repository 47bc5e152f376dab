//! File ▸ Export ▸ TensorFlow script… and File ▸ Import CSV…: the window's side of
//! [`crate::export::python`] and [`crate::project::csv`]. Both ask for a path through the
//! dialogs trait; the answer lands here.

use super::AppState;
use super::LogKind;
use crate::project::csv::{Header, ImportOptions, Storage};
use std::path::{Path, PathBuf};

impl AppState {
    /// Writes the project as a TF `compat.v1` script to `path`. Ops with no TF equivalent are
    /// logged by name (and marked `# unsupported:` in the script).
    pub fn write_tf_script(&mut self, path: PathBuf) {
        let opts = crate::export::ExportOptions {
            project_dir: self.doc.path.as_deref().and_then(Path::parent).map(Path::to_path_buf),
            script_dir: path.parent().map(Path::to_path_buf),
            ..Default::default()
        };
        let export = match crate::export::python::export(&self.doc.project, &opts) {
            Ok(x) => x,
            Err(e) => {
                self.log_error(format!("export: {e}"), None);
                return;
            }
        };
        for u in &export.unsupported {
            self.log_error(format!("export: unsupported: {u}"), None);
        }
        match std::fs::write(&path, &export.text) {
            Ok(()) => self.log_line(LogKind::Info, format!("exported a TensorFlow script to {}", path.display()), None),
            Err(e) => self.log_error(format!("could not write {}: {e}", path.display()), None),
        }
    }

    /// The saved project's folder (where referenced files are relative to); `None` before the
    /// first save.
    pub fn project_dir(&self) -> Option<PathBuf> {
        self.doc.path.as_deref().map(super::document::dir_of)
    }

    /// Imports a CSV file as a dataset: the last column is the label, the others the features,
    /// the rows stored in the project (the import window chooses columns and storage). One
    /// undoable edit; on error the project is unchanged and the error (with line and column) is
    /// logged.
    pub fn import_csv_file(&mut self, path: PathBuf) {
        let table = match crate::project::csv::read_file(&path, Header::Auto) {
            Ok(t) => t,
            Err(e) => {
                self.log_error(format!("{}: {e}", path.display()), None);
                return;
            }
        };
        let label = table.columns.last().cloned();
        let features: Vec<String> = table.columns.iter().take(table.columns.len().saturating_sub(1)).cloned().collect();
        let opts =
            ImportOptions { features, label, header: Header::Auto, storage: Storage::Embed, ..Default::default() };
        if let Err(e) = self.import_csv_with(path.clone(), &opts) {
            self.log_error(format!("{}: {e}", path.display()), None);
        }
    }

    /// Imports `path` with `opts` as one undoable edit. On success the import window closes; on
    /// error the project is unchanged and the window (if open) shows the error.
    pub fn import_csv_with(&mut self, path: PathBuf, opts: &ImportOptions) -> Result<(), String> {
        let dir = self.project_dir();
        let mut project = self.doc.project.clone();
        match crate::project::csv::import_into(&mut project, &path, dir.as_deref(), opts) {
            Ok(s) => {
                self.snapshot();
                self.doc.project.datasets = project.datasets;
                self.changed();
                self.csv_import = None;
                let (features, label) = match s.columns.split_last() {
                    Some((l, f)) => (f.join(", "), l.as_str()),
                    None => (String::new(), ""),
                };
                self.log_line(
                    LogKind::Info,
                    format!(
                        "dataset '{}' {} from {} ({} rows; features {features}; label {label}{})",
                        s.name,
                        if s.replaced { "replaced" } else { "imported" },
                        path.display(),
                        s.rows,
                        if opts.storage == Storage::Reference { "; referenced" } else { "" }
                    ),
                    None,
                );
                Ok(())
            }
            Err(e) => {
                let msg = e.to_string();
                if let Some(d) = self.csv_import.as_mut() {
                    d.error = Some(msg.clone());
                }
                Err(msg)
            }
        }
    }
}
