//! CSV import into a project: picks the feature and label columns of a parsed file (see
//! [`crate::train::data::csv`]) and adds the dataset to a project, either embedded
//! ([`DatasetSource::Inline`]) or referenced by a path relative to the project file
//! ([`DatasetSource::Csv`]); keeps referenced paths reachable when a project is saved elsewhere.
//! Nothing in the project changes unless the import succeeds.

use crate::project::file::Project;
pub use crate::train::data::csv::{
    CsvError, CsvTable, Header, MAX_LINE_BYTES, load_referenced, parse_reader, read_file, select,
};
use crate::train::data::dataset::{Dataset, DatasetSource};
use std::path::{Path, PathBuf};

/// Column indices for names (or 1-based numbers) in `table`.
fn resolve(table: &CsvTable, wanted: &[String]) -> Result<Vec<usize>, CsvError> {
    let index = crate::train::data::table::index_of(&table.columns);
    wanted
        .iter()
        .map(|w| {
            let w = w.trim();
            index
                .get(w)
                .copied()
                .or_else(|| w.parse::<usize>().ok().filter(|&k| k >= 1 && k <= table.columns.len()).map(|k| k - 1))
                .ok_or_else(|| {
                    CsvError::Columns(format!(
                        "there is no column '{w}' (the file has {})",
                        crate::train::data::table::names_preview(&table.columns)
                    ))
                })
        })
        .collect()
}

/// How the imported rows are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Storage {
    /// The rows are stored in the project file.
    #[default]
    Embed,
    /// The project refers to the CSV file by a path relative to the project file.
    Reference,
}

/// What to import.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportOptions {
    /// The dataset's name (replaces a dataset of that name).
    pub name: String,
    /// Feature columns, by header name or 1-based number.
    pub features: Vec<String>,
    /// The label column.
    pub label: Option<String>,
    /// New names for the kept columns (features, then the label); the file's names when empty.
    pub rename: Vec<String>,
    /// Header row handling.
    pub header: Header,
    /// Embed the rows or refer to the file.
    pub storage: Storage,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportSummary {
    /// The dataset's name.
    pub name: String,
    /// Its columns.
    pub columns: Vec<String>,
    /// Its number of rows.
    pub rows: usize,
    /// True when it replaced a dataset of the same name.
    pub replaced: bool,
}

/// Imports `csv_path` into `project` as a dataset. `project_dir` is the folder of the project
/// file (a referenced CSV is stored relative to it). The project is unchanged on error.
pub fn import_into(
    project: &mut Project,
    csv_path: &Path,
    project_dir: Option<&Path>,
    opts: &ImportOptions,
) -> Result<ImportSummary, CsvError> {
    let table = read_file(csv_path, opts.header)?;
    let mut wanted: Vec<String> = opts.features.clone();
    if wanted.is_empty() {
        // Every column but the label.
        let label_idx = opts.label.as_ref().map(|l| resolve(&table, std::slice::from_ref(l))).transpose()?;
        wanted = table
            .columns
            .iter()
            .enumerate()
            .filter(|(k, _)| label_idx.as_ref().is_none_or(|l| !l.contains(k)))
            .map(|(_, c)| c.clone())
            .collect();
    }
    let mut idx = resolve(&table, &wanted)?;
    if let Some(l) = &opts.label {
        let li = resolve(&table, std::slice::from_ref(l))?;
        if idx.iter().any(|k| li.contains(k)) {
            return Err(CsvError::Columns(format!("the label column '{l}' is also a feature")));
        }
        idx.extend(li);
    }
    if idx.is_empty() {
        return Err(CsvError::Columns("no columns were chosen".to_string()));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(&k) = idx.iter().find(|k| !seen.insert(**k)) {
        return Err(CsvError::Columns(format!("the column '{}' is chosen twice", table.columns[k])));
    }
    let names: Vec<String> = if opts.rename.is_empty() {
        idx.iter().map(|&k| table.columns[k].clone()).collect()
    } else if opts.rename.len() == idx.len() {
        opts.rename.iter().map(|s| s.trim().to_string()).collect()
    } else {
        return Err(CsvError::Columns(format!("{} new names for {} columns", opts.rename.len(), idx.len())));
    };
    let name = if opts.name.trim().is_empty() {
        csv_path.file_stem().map_or("data".to_string(), |s| s.to_string_lossy().to_string())
    } else {
        opts.name.trim().to_string()
    };
    let source = match opts.storage {
        Storage::Embed => {
            let t = select(&table, &idx, &names);
            let w = names.len();
            DatasetSource::Inline { columns: names.clone(), rows: t.data.chunks(w).map(<[f64]>::to_vec).collect() }
        }
        Storage::Reference => {
            let path = relative_to(project_dir, csv_path);
            crate::train::data::files::resolve_inside(project_dir, &path).map_err(CsvError::Outside)?;
            DatasetSource::Csv { path, header: table.header, select: idx.clone(), columns: names.clone() }
        }
    };
    // Everything is known: only now does the project change.
    let dataset = Dataset { name: name.clone(), source };
    let replaced = match project.datasets.iter_mut().find(|d| d.name == name) {
        Some(d) => {
            *d = dataset;
            true
        }
        None => {
            project.datasets.push(dataset);
            false
        }
    };
    Ok(ImportSummary { name, columns: names, rows: table.rows, replaced })
}

/// Rewrites the paths of `project`'s referenced CSV datasets (and IDX datasets' folders), relative to `from` (the folder
/// the project was saved in; the current folder when `None`), so that they resolve from `to`
/// (the folder it is about to be saved in). Absolute paths are kept. Returns how many changed.
pub fn rebase_referenced(project: &mut Project, from: Option<&Path>, to: &Path) -> usize {
    let mut changed = 0;
    for d in &mut project.datasets {
        if let DatasetSource::Csv { path, .. } | DatasetSource::Idx { dir: path, .. } = &mut d.source {
            let p = Path::new(path.as_str());
            if p.is_absolute() {
                continue;
            }
            let resolved = match from {
                Some(f) => f.join(p),
                None => p.to_path_buf(),
            };
            let resolved = normalize(&std::path::absolute(&resolved).unwrap_or(resolved));
            let to = normalize(&std::path::absolute(to).unwrap_or_else(|_| to.to_path_buf()));
            let new = relative_to(Some(&to), &resolved);
            if new != *path {
                *path = new;
                changed += 1;
            }
        }
    }
    changed
}

/// `p` with `.` and `..` components resolved lexically.
pub fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `file` relative to `dir` (with `/`), or absolute when there is no common root.
fn relative_to(dir: Option<&Path>, file: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let file_abs = abs(file);
    let Some(dir) = dir else { return file_abs.display().to_string() };
    let dir_abs = abs(dir);
    let a: Vec<_> = dir_abs.components().collect();
    let b: Vec<_> = file_abs.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common <= 1 {
        return file_abs.display().to_string();
    }
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(b[common..].iter().map(|c| c.as_os_str().to_string_lossy().to_string()));
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebase_keeps_referenced_files_reachable() {
        let root = std::env::temp_dir().join(format!("flowbench-rebase-{}", std::process::id()));
        let old = root.join("old");
        let new = root.join("elsewhere/deeper");
        let mut p = Project::default();
        let csv = |path: &str| Dataset {
            name: path.to_string(),
            source: DatasetSource::Csv {
                path: path.to_string(),
                header: true,
                select: vec![0],
                columns: vec!["a".to_string()],
            },
        };
        p.datasets = vec![csv("data/points.csv"), csv("../shared.csv"), csv("/abs/x.csv")];
        assert_eq!(rebase_referenced(&mut p, Some(&old), &new), 2);
        let paths: Vec<String> = p
            .datasets
            .iter()
            .filter_map(|d| match &d.source {
                DatasetSource::Csv { path, .. } => Some(path.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(paths, ["../../old/data/points.csv", "../../shared.csv", "/abs/x.csv"]);
        // Resolving from the new folder reaches the same files.
        assert_eq!(normalize(&new.join(&paths[0])), old.join("data/points.csv"));
        assert_eq!(normalize(&new.join(&paths[1])), root.join("shared.csv"));
        // Saving again in the same folder changes nothing.
        assert_eq!(rebase_referenced(&mut p, Some(&new), &new), 0);
    }

    #[test]
    fn rebase_keeps_idx_folders_reachable() {
        let root = std::env::temp_dir().join(format!("flowbench-rebase-idx-{}", std::process::id()));
        let mut p = Project {
            datasets: vec![Dataset {
                name: "mnist".to_string(),
                source: DatasetSource::Idx {
                    dir: "data/mnist".to_string(),
                    one_hot: true,
                    validation_size: 5000,
                    files: None,
                },
            }],
            ..Default::default()
        };
        assert_eq!(rebase_referenced(&mut p, Some(&root.join("a")), &root.join("b")), 1);
        assert!(matches!(&p.datasets[0].source, DatasetSource::Idx { dir, .. } if dir == "../a/data/mnist"));
    }
}
