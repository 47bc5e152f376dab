//! The state of File ▸ Import CSV…'s window, once a file is picked ([`CsvImportDialog`]): the
//! file parsed with [`crate::project::csv`] under the current header choice, the dataset's name,
//! each column's role (feature, label or ignored) and new name, embed or refer; why Import is
//! not possible yet, and the [`ImportOptions`] the choices make. The window itself is
//! `crate::app::panels::csv_import`.

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
    /// The label shown for the role, in the UI's language.
    pub fn text(self) -> String {
        crate::app::i18n::tr(match self {
            Role::Feature => "csv-role-feature",
            Role::Label => "csv-role-label",
            Role::Ignore => "csv-role-ignore",
        })
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
            return Some(not_saved());
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
}

/// Why referring to the file is refused before the project is saved.
/// Why the file can't be referenced yet, in the UI's language.
pub fn not_saved() -> String {
    crate::app::i18n::tr("csv-not-saved")
}

/// The name a column gets in the dataset (its new name, or its name in the file).
pub fn final_name(c: &ColumnChoice) -> &str {
    let r = c.rename.trim();
    if r.is_empty() { &c.name } else { r }
}
