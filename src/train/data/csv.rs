//! CSV parsing: a user's numbers as a [`Table`] the train loop can cut into batches.
//!
//! The file is read line by line with limits (bytes per line, values in all), so a huge or
//! binary file is refused instead of filling memory. The first row is a header when any of its
//! cells is not a number (or as the caller says). Cells are trimmed; a cell may be quoted
//! (`"1.5"`, with `""` for a quote). Every error names the line and column (both from 1).
//! Adding a parsed file to a project is `crate::project::csv`'s job.

use crate::train::data::files::{MAX_CSV_BYTES, open_limited};
use crate::train::data::table::{MAX_COLUMNS, MAX_ROWS, Table};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

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
    /// A referenced file that resolves outside the project's folder.
    #[error("{0}")]
    Outside(String),
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
                if cells.len() > MAX_COLUMNS {
                    return Err(CsvError::at(
                        line_no,
                        MAX_COLUMNS + 1,
                        format!("the row has {} cells; a dataset has at most {MAX_COLUMNS} columns", cells.len()),
                    ));
                }
                let names: Vec<String> = if is_header {
                    let mut names = Vec::with_capacity(cells.len());
                    let mut seen: HashSet<String> = HashSet::with_capacity(cells.len());
                    for (k, c) in cells.iter().enumerate() {
                        let t = c.trim();
                        let name = if t.is_empty() { format!("c{}", k + 1) } else { t.to_string() };
                        if !seen.insert(name.clone()) {
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
    let file = open_limited(path, MAX_CSV_BYTES, "CSV file").map_err(|e| CsvError::Io {
        path: path.display().to_string(),
        source: match e {
            crate::train::data::files::ReadError::Io(e) => e,
            other => std::io::Error::other(other.to_string()),
        },
    })?;
    parse_reader(file, header, MAX_ROWS)
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
    let full = crate::train::data::files::resolve_inside(base, path)?;
    let table = read_file(&full, if header { Header::Yes } else { Header::No }).map_err(|e| match e {
        CsvError::Io { .. } => e.to_string(),
        _ => format!("{}: {e}", full.display()),
    })?;
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
