//! CSV import: a user's own data as a project dataset.
//!
//! The file is read line by line with limits (bytes per line, values in all), so a huge or
//! binary file is refused instead of filling memory. The first row is a header when any of its
//! cells is not a number (or as the caller says). Cells are trimmed; a cell may be quoted
//! (`"1.5"`, with `""` for a quote). Every error names the line and column (both from 1).
//!
//! [`import_into`] picks the feature and label columns and adds the dataset to a project,
//! either embedded ([`DatasetSource::Inline`]) or referenced by a path relative to the project
//! file ([`DatasetSource::Csv`]). Nothing in the project changes unless the import succeeds.

use super::Project;
use super::dataset::{Dataset, DatasetSource, MAX_ROWS, Table};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The longest line read (bytes).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Why a CSV file was refused.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Something wrong at a place in the file.
    #[error("line {line}, column {column}: {message}")]
    At {
        /// Line, from 1.
        line: usize,
        /// Column (field), from 1.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The column choice is wrong (unknown name, label among the features, ...).
    #[error("{0}")]
    Columns(String),
}

impl CsvError {
    fn at(line: usize, column: usize, message: impl Into<String>) -> CsvError {
        CsvError::At { line, column, message: message.into() }
    }
}

/// Whether the first row holds the column names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Header {
    /// A header when any cell of the first row is not a number.
    #[default]
    Auto,
    /// The first row is a header.
    Yes,
    /// Every row is data.
    No,
}

/// A parsed CSV file: column names and rows of numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvTable {
    /// Column names (from the header, or `c1`, `c2`, ...).
    pub columns: Vec<String>,
    /// Whether the file had a header row.
    pub header: bool,
    /// Row-major values.
    pub data: Vec<f64>,
    /// Number of data rows.
    pub rows: usize,
}

/// Splits one line into cells, honouring double quotes. `line_no` is for errors.
fn split_line(line: &str, line_no: usize) -> Result<Vec<String>, CsvError> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == ',' {
            cells.push(std::mem::take(&mut cur));
            quoted = false;
        } else if c == '"' && cur.trim().is_empty() && !quoted {
            cur.clear();
            in_quotes = true;
            quoted = true;
        } else {
            cur.push(c);
        }
    }
    if in_quotes {
        return Err(CsvError::at(line_no, cells.len() + 1, "a quoted cell is not closed on this line"));
    }
    cells.push(cur);
    Ok(cells)
}

fn parse_number(cell: &str, line: usize, column: usize) -> Result<f64, CsvError> {
    let t = cell.trim();
    if t.is_empty() {
        return Err(CsvError::at(line, column, "the cell is empty"));
    }
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(CsvError::at(line, column, format!("'{t}' is not a finite number"))),
        Err(_) => Err(CsvError::at(line, column, format!("'{}' is not a number", shorten(t)))),
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 { format!("{}…", s.chars().take(40).collect::<String>()) } else { s.to_string() }
}

/// Parses CSV text from a reader, with at most `max_values` values.
pub fn parse_reader<R: Read>(reader: R, header: Header, max_values: usize) -> Result<CsvTable, CsvError> {
    let mut r = BufReader::new(reader);
    let mut buf: Vec<u8> = Vec::new();
    let mut line_no = 0usize;
    let mut columns: Option<Vec<String>> = None;
    let mut had_header = false;
    let mut data: Vec<f64> = Vec::new();
    let mut rows = 0usize;
    let mut saw_any = false;
    loop {
        buf.clear();
        let n = (&mut r)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| CsvError::at(line_no + 1, 1, format!("could not be read: {e}")))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if buf.len() > MAX_LINE_BYTES {
            return Err(CsvError::at(line_no, 1, format!("the line is longer than {MAX_LINE_BYTES} bytes")));
        }
        let text = std::str::from_utf8(&buf).map_err(|e| {
            let column = String::from_utf8_lossy(&buf[..e.valid_up_to()]).matches(',').count() + 1;
            CsvError::at(line_no, column, "the file is not UTF-8 text")
        })?;
        let text = text.trim_end_matches(['\n', '\r']);
        let text = if line_no == 1 { text.trim_start_matches('\u{feff}') } else { text };
        if text.trim().is_empty() {
            continue;
        }
        saw_any = true;
        let cells = split_line(text, line_no)?;
        match &columns {
            None => {
                let is_header = match header {
                    Header::Yes => true,
                    Header::No => false,
                    Header::Auto => cells.iter().any(|c| !c.trim().is_empty() && c.trim().parse::<f64>().is_err()),
                };
                let names: Vec<String> = if is_header {
                    let mut names = Vec::with_capacity(cells.len());
                    for (k, c) in cells.iter().enumerate() {
                        let t = c.trim();
                        let name = if t.is_empty() { format!("c{}", k + 1) } else { t.to_string() };
                        if names.contains(&name) {
                            return Err(CsvError::at(
                                line_no,
                                k + 1,
                                format!("the column name '{name}' is used twice"),
                            ));
                        }
                        names.push(name);
                    }
                    names
                } else {
                    (1..=cells.len()).map(|k| format!("c{k}")).collect()
                };
                columns = Some(names);
                had_header = is_header;
                if is_header {
                    continue;
                }
            }
            Some(cols) if cells.len() != cols.len() => {
                return Err(CsvError::at(
                    line_no,
                    cells.len().min(cols.len()) + 1,
                    format!("the row has {} cells, but the first row has {}", cells.len(), cols.len()),
                ));
            }
            Some(_) => {}
        }
        if data.len() + cells.len() > max_values {
            return Err(CsvError::at(
                line_no,
                1,
                format!("the file has more than {max_values} values, the most a dataset may hold"),
            ));
        }
        for (k, c) in cells.iter().enumerate() {
            data.push(parse_number(c, line_no, k + 1)?);
        }
        rows += 1;
    }
    if !saw_any {
        return Err(CsvError::at(1, 1, "the file is empty"));
    }
    if rows == 0 {
        return Err(CsvError::at(line_no.max(1), 1, "the file has a header but no data rows"));
    }
    Ok(CsvTable { columns: columns.unwrap_or_default(), header: had_header, data, rows })
}

/// Reads and parses a CSV file.
pub fn read_file(path: &Path, header: Header) -> Result<CsvTable, CsvError> {
    let file = std::fs::File::open(path).map_err(|source| CsvError::Io { path: path.display().to_string(), source })?;
    parse_reader(file, header, MAX_ROWS)
}

/// Column indices for names (or 1-based numbers) in `table`.
fn resolve(table: &CsvTable, wanted: &[String]) -> Result<Vec<usize>, CsvError> {
    wanted
        .iter()
        .map(|w| {
            let w = w.trim();
            table
                .columns
                .iter()
                .position(|c| c == w)
                .or_else(|| w.parse::<usize>().ok().filter(|&k| k >= 1 && k <= table.columns.len()).map(|k| k - 1))
                .ok_or_else(|| {
                    CsvError::Columns(format!("there is no column '{w}' (the file has {})", table.columns.join(", ")))
                })
        })
        .collect()
}

/// Keeps the columns `select` of a parsed table.
pub fn select(table: &CsvTable, select: &[usize], names: &[String]) -> Table {
    let width = table.columns.len();
    let mut data = Vec::with_capacity(table.rows * select.len());
    for r in 0..table.rows {
        for &k in select {
            data.push(table.data.get(r * width + k).copied().unwrap_or(f64::NAN));
        }
    }
    Table { columns: names.to_vec(), data, rows: table.rows }
}

/// Materializes a referenced CSV dataset (`DatasetSource::Csv`); `base` is the project's folder.
pub fn load_referenced(
    base: Option<&Path>,
    path: &str,
    header: bool,
    columns_idx: &[usize],
    names: &[String],
) -> Result<Table, String> {
    let full = match base {
        Some(b) => b.join(path),
        None => PathBuf::from(path),
    };
    let table = read_file(&full, if header { Header::Yes } else { Header::No })
        .map_err(|e| format!("{}: {e}", full.display()))?;
    if let Some(&bad) = columns_idx.iter().find(|&&k| k >= table.columns.len()) {
        return Err(format!(
            "{}: column {} is missing (the file has {})",
            full.display(),
            bad + 1,
            table.columns.len()
        ));
    }
    if names.len() != columns_idx.len() {
        return Err(format!("{}: {} names for {} columns", full.display(), names.len(), columns_idx.len()));
    }
    Ok(select(&table, columns_idx, names))
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

/// Rewrites the paths of `project`'s referenced CSV datasets, relative to `from` (the folder
/// the project was saved in; the current folder when `None`), so that they resolve from `to`
/// (the folder it is about to be saved in). Absolute paths are kept. Returns how many changed.
pub fn rebase_referenced(project: &mut Project, from: Option<&Path>, to: &Path) -> usize {
    let mut changed = 0;
    for d in &mut project.datasets {
        if let DatasetSource::Csv { path, .. } = &mut d.source {
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
fn normalize(p: &Path) -> PathBuf {
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

    fn parse(s: &str) -> Result<CsvTable, CsvError> {
        parse_reader(s.as_bytes(), Header::Auto, 1000)
    }

    #[test]
    fn header_and_quotes() {
        let t = parse("a, \"b\" ,c\n1,\"2.5\",3\n\n4,5,6\r\n").unwrap();
        assert_eq!(t.columns, ["a", "b", "c"]);
        assert!(t.header);
        assert_eq!(t.rows, 2);
        assert_eq!(t.data, [1.0, 2.5, 3.0, 4.0, 5.0, 6.0]);
        let t = parse("1,2\n3,4\n").unwrap();
        assert_eq!(t.columns, ["c1", "c2"]);
        assert!(!t.header);
    }

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
    fn errors_name_line_and_column() {
        assert_eq!(
            parse("a,b\n1,2\n3\n").unwrap_err().to_string(),
            "line 3, column 2: the row has 1 cells, but the first row has 2"
        );
        assert_eq!(parse("a,b\n1,x\n").unwrap_err().to_string(), "line 2, column 2: 'x' is not a number");
        assert_eq!(parse("").unwrap_err().to_string(), "line 1, column 1: the file is empty");
        assert_eq!(parse("a,b\n").unwrap_err().to_string(), "line 1, column 1: the file has a header but no data rows");
        assert_eq!(parse("1,nan\n").unwrap_err().to_string(), "line 1, column 2: 'nan' is not a finite number");
        assert!(parse("1,\"2\n").unwrap_err().to_string().starts_with("line 1, column 2:"));
        let big = "1,2\n".repeat(600);
        assert_eq!(
            parse(&big).unwrap_err().to_string(),
            "line 501, column 1: the file has more than 1000 values, the most a dataset may hold"
        );
    }
}
