//! File ▸ Import CSV…: a CSV file imported as a dataset, with the defaults or with the import
//! window's choices, as one undoable edit (the window's side of [`crate::project::csv`]).
//!
//! Calls into project: `crate::project::csv::{read_file, import_into}`.

use crate::app::model::log::LogKind;
use crate::app::state::AppState;
use crate::project::csv::{Header, ImportOptions, Storage};
use std::path::PathBuf;

impl AppState {
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
        // The user picked this file: its folder may be referred to (see `train::data::files`).
        crate::train::data::files::trust_folder_of(&path);
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
                    crate::app::i18n::tr_args(
                        match (s.replaced, opts.storage == Storage::Reference) {
                            (false, false) => "log-dataset-imported",
                            (false, true) => "log-dataset-imported-referenced",
                            (true, false) => "log-dataset-replaced",
                            (true, true) => "log-dataset-replaced-referenced",
                        },
                        &[
                            ("name", s.name.as_str().into()),
                            ("path", path.display().to_string().into()),
                            ("rows", s.rows.to_string().into()),
                            ("features", features.as_str().into()),
                            ("label", label.into()),
                        ],
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
