//! The built-in file browser's state ([`FileBrowser`]): used when no native file dialog can be
//! shown (no desktop portal and no `zenity`, as on minimal installs, WSL or a bare X server),
//! or always when the user asks for it. It keeps the folder shown, its listing, the filter, the
//! highlighted row and the file name being typed, and turns them into the path the dialog
//! answers with. Reading folders is the only I/O; errors are kept as text to show, never
//! panics. Its window is `crate::app::panels::file_browser`.

use crate::app::dialogs::DialogKind;
use std::path::{Path, PathBuf};

/// A filter of the listing: a label and the extensions it keeps (empty: every file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Shown in the filter menu (`flowbench project (*.json)`).
    pub label: &'static str,
    /// Extensions kept, lower case, without the dot.
    pub exts: &'static [&'static str],
}

impl Filter {
    /// True when `name` passes the filter.
    pub fn keeps(&self, name: &str) -> bool {
        if self.exts.is_empty() {
            return true;
        }
        let lower = name.to_ascii_lowercase();
        // An "extension" may also be a whole file name (TF's `checkpoint` state file).
        self.exts.iter().any(|e| lower.ends_with(&format!(".{e}")) || lower == *e)
    }
}

/// Every filter the browser knows, the kind's own first (see [`filters_for`]).
pub const PROJECT: Filter = Filter { label: "flowbench project (*.json)", exts: &["json"] };
/// CSV data.
pub const CSV: Filter = Filter { label: "CSV data (*.csv, *.txt)", exts: &["csv", "txt"] };
/// Python programs.
pub const PYTHON: Filter = Filter { label: "Python program (*.py)", exts: &["py"] };
/// A program's printed output.
pub const OUTPUT: Filter = Filter { label: "program output (*.out)", exts: &["out"] };
/// PNG images.
pub const PNG: Filter = Filter { label: "PNG image (*.png)", exts: &["png"] };
/// TF checkpoints: their index and graph files, and the `checkpoint` state file.
pub const CHECKPOINT: Filter =
    Filter { label: "TensorFlow checkpoint (*.index, *.meta, checkpoint)", exts: &["index", "meta", "checkpoint"] };
/// TF graphs.
pub const TF_GRAPH: Filter =
    Filter { label: "TensorFlow graph (*.pb, *.pbtxt, *.meta)", exts: &["pb", "pbtxt", "meta"] };
/// No filter.
pub const ALL: Filter = Filter { label: "All files", exts: &[] };

/// The filters offered for a dialog, its default first, "All files" last.
pub fn filters_for(kind: DialogKind) -> Vec<Filter> {
    let first = match kind {
        DialogKind::Open | DialogKind::SaveAs => PROJECT,
        DialogKind::ExportCsv | DialogKind::ImportCsv => CSV,
        DialogKind::ExportPng => PNG,
        DialogKind::ExportTfScript => PYTHON,
        DialogKind::SaveCheckpoint => ALL,
        DialogKind::RestoreCheckpoint | DialogKind::OpenCheckpoint => CHECKPOINT,
        DialogKind::ImportTfGraph => TF_GRAPH,
    };
    let mut v = vec![first.clone()];
    for f in [PROJECT, CSV, PYTHON, OUTPUT, PNG] {
        if f != first {
            v.push(f);
        }
    }
    if first != ALL {
        v.push(ALL);
    }
    v
}

/// The title of a dialog's window.
pub fn title_of(kind: DialogKind) -> String {
    crate::app::i18n::tr(match kind {
        DialogKind::Open => "browser-title-open",
        DialogKind::SaveAs => "browser-title-save-as",
        DialogKind::ExportCsv => "browser-title-export-csv",
        DialogKind::ExportPng => "browser-title-export-png",
        DialogKind::ExportTfScript => "browser-title-export-tf",
        DialogKind::ImportCsv => "browser-title-import-csv",
        DialogKind::SaveCheckpoint => "browser-title-save-checkpoint",
        DialogKind::RestoreCheckpoint => "browser-title-restore-checkpoint",
        DialogKind::OpenCheckpoint => "browser-title-open-checkpoint",
        DialogKind::ImportTfGraph => "browser-title-import-tf-graph",
    })
}

/// True for dialogs that name a file to write.
pub fn is_save(kind: DialogKind) -> bool {
    matches!(
        kind,
        DialogKind::SaveAs
            | DialogKind::ExportCsv
            | DialogKind::ExportPng
            | DialogKind::ExportTfScript
            | DialogKind::SaveCheckpoint
    )
}

/// One row of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// File or folder name.
    pub name: String,
    /// A folder.
    pub is_dir: bool,
    /// Size in bytes (0 for folders).
    pub size: u64,
}

/// The browser's state.
#[derive(Clone, Debug)]
pub struct FileBrowser {
    /// What it was opened for.
    pub kind: DialogKind,
    /// The folder shown.
    pub dir: PathBuf,
    /// The path field (the folder shown, or a path typed by the user).
    pub path_text: String,
    /// The file name field (save dialogs; for open dialogs, the highlighted file).
    pub name: String,
    /// The listing of `dir` through the filter: `..` first when there is a parent, folders,
    /// then files, each sorted by name.
    pub entries: Vec<Entry>,
    /// The highlighted row.
    pub selected: Option<usize>,
    /// The filters offered and the one chosen.
    pub filters: Vec<Filter>,
    /// Index into `filters`.
    pub filter: usize,
    /// Show names starting with a dot.
    pub show_hidden: bool,
    /// Why the folder could not be read or the answer is refused.
    pub error: Option<String>,
}

impl FileBrowser {
    /// A browser for `kind` in `dir`, proposing `suggested` as the file name when saving.
    pub fn new(kind: DialogKind, suggested: &str, dir: PathBuf) -> FileBrowser {
        let filters = filters_for(kind);
        let mut name = if is_save(kind) { suggested.to_string() } else { String::new() };
        if kind == DialogKind::ExportTfScript && !name.is_empty() {
            name = format!("{}.py", name.trim_end_matches(".json"));
        }
        let mut b = FileBrowser {
            kind,
            dir: PathBuf::new(),
            path_text: String::new(),
            name,
            entries: Vec::new(),
            selected: None,
            filters,
            filter: 0,
            show_hidden: false,
            error: None,
        };
        b.go(dir);
        b
    }

    /// The filter in use.
    pub fn current_filter(&self) -> &Filter {
        self.filters.get(self.filter).unwrap_or(&ALL)
    }

    /// Shows folder `dir` (made absolute); on error the previous listing stays with the message.
    pub fn go(&mut self, dir: PathBuf) {
        let dir = absolute(&dir);
        match list(&dir, self.current_filter(), self.show_hidden) {
            Ok(entries) => {
                self.entries = entries;
                self.path_text = dir.display().to_string();
                self.dir = dir;
                self.selected = None;
                self.error = None;
            }
            Err(e) => self.error = Some(format!("cannot read {}: {e}", dir.display())),
        }
    }

    /// Reads the folder again (after a change of filter or of "show hidden").
    pub fn refresh(&mut self) {
        let d = self.dir.clone();
        self.go(d);
    }

    /// Goes to the parent folder.
    pub fn up(&mut self) {
        if let Some(p) = self.dir.parent().map(Path::to_path_buf) {
            self.go(p);
        }
    }

    /// Moves the highlight by `delta` rows (keyboard Up/Down).
    pub fn move_selection(&mut self, delta: i32) {
        if self.entries.is_empty() {
            return;
        }
        let last = self.entries.len() as i32 - 1;
        let cur = self.selected.map_or(if delta > 0 { -1 } else { last + 1 }, |i| i as i32);
        self.highlight((cur + delta).clamp(0, last) as usize);
    }

    /// Highlights row `i`; a file's name goes into the name field.
    pub fn highlight(&mut self, i: usize) {
        if let Some(e) = self.entries.get(i) {
            self.selected = Some(i);
            if !e.is_dir {
                self.name = e.name.clone();
            }
        }
    }

    /// Activates row `i` (double click, or Enter on it): enters a folder, or answers with a
    /// file. Returns the answer, if any.
    pub fn activate(&mut self, i: usize) -> Option<PathBuf> {
        let e = self.entries.get(i)?.clone();
        if e.is_dir {
            let target =
                if e.name == ".." { self.dir.parent().map(Path::to_path_buf) } else { Some(self.dir.join(&e.name)) };
            if let Some(t) = target {
                self.go(t);
            }
            None
        } else {
            self.name = e.name;
            self.accept()
        }
    }

    /// Enter: on a highlighted folder, enters it; otherwise answers with the file named.
    pub fn enter(&mut self) -> Option<PathBuf> {
        if let Some(i) = self.selected
            && self.entries.get(i).is_some_and(|e| e.is_dir)
        {
            return self.activate(i);
        }
        self.accept()
    }

    /// The path field was submitted: a folder is shown; a file answers (or, when saving into an
    /// existing folder, names the file).
    pub fn submit_path(&mut self) -> Option<PathBuf> {
        let typed = expand_home(self.path_text.trim());
        let p = if typed.is_absolute() { typed } else { self.dir.join(typed) };
        if p.is_dir() {
            self.go(p);
            return None;
        }
        match (p.parent(), p.file_name()) {
            (Some(parent), Some(name)) if parent.is_dir() => {
                self.go(parent.to_path_buf());
                self.name = name.to_string_lossy().to_string();
                self.accept()
            }
            _ => {
                self.error = Some(format!("no such folder: {}", p.display()));
                None
            }
        }
    }

    /// The answer for the name typed: the file in the folder shown, with the filter's
    /// extension added when saving a name without one. `None` (with a message) when it cannot
    /// be the answer: no name, a folder, or a file to open that does not exist.
    pub fn accept(&mut self) -> Option<PathBuf> {
        let name = self.name.trim();
        if name.is_empty() {
            self.error = Some(if is_save(self.kind) { "type a file name" } else { "choose a file" }.to_string());
            return None;
        }
        let typed = expand_home(name);
        let mut p = if typed.is_absolute() { typed } else { self.dir.join(typed) };
        if p.is_dir() {
            self.go(p);
            return None;
        }
        if is_save(self.kind) {
            if p.extension().is_none()
                && let Some(ext) = self.filters.first().and_then(|f| f.exts.first())
            {
                p.set_extension(ext);
            }
            if !p.parent().is_some_and(Path::is_dir) {
                self.error = Some(format!("no such folder: {}", p.parent().unwrap_or(&p).display()));
                return None;
            }
        } else if !p.is_file() {
            self.error = Some(format!("no such file: {}", p.display()));
            return None;
        }
        Some(p)
    }
}

/// `~` and `~/...` to the home folder.
fn expand_home(s: &str) -> PathBuf {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")).map(PathBuf::from);
    match (s.strip_prefix('~'), home) {
        (Some(rest), Some(h)) if rest.is_empty() || rest.starts_with('/') || rest.starts_with('\\') => {
            h.join(rest.trim_start_matches(['/', '\\']))
        }
        _ => PathBuf::from(s),
    }
}

fn absolute(p: &Path) -> PathBuf {
    let p = if p.as_os_str().is_empty() { Path::new(".") } else { p };
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The listing of `dir`: `..` when it has a parent, then folders, then the files `filter`
/// keeps, each sorted by name (case-insensitive).
pub fn list(dir: &Path, filter: &Filter, show_hidden: bool) -> std::io::Result<Vec<Entry>> {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let Ok(e) = e else { continue };
        let name = e.file_name().to_string_lossy().to_string();
        if !show_hidden && name.starts_with('.') {
            continue;
        }
        // Follow links: a link to a folder is entered like one.
        let meta = std::fs::metadata(e.path()).or_else(|_| e.metadata());
        let Ok(meta) = meta else { continue };
        if meta.is_dir() {
            dirs.push(Entry { name, is_dir: true, size: 0 });
        } else if filter.keeps(&name) {
            files.push(Entry { name, is_dir: false, size: meta.len() });
        }
    }
    let key = |e: &Entry| e.name.to_lowercase();
    dirs.sort_by_key(key);
    files.sort_by_key(key);
    let mut v = Vec::with_capacity(dirs.len() + files.len() + 1);
    if dir.parent().is_some() {
        v.push(Entry { name: "..".to_string(), is_dir: true, size: 0 });
    }
    v.extend(dirs);
    v.extend(files);
    Ok(v)
}

/// A size for the listing (`1.2 KB`).
pub fn human_size(n: u64) -> String {
    match n {
        0..1000 => format!("{n} B"),
        1000..1_000_000 => format!("{:.1} KB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.1} GB", n as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("flowbench-browser-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("b.json"), "{}").unwrap();
        std::fs::write(d.join("A.csv"), "1,2\n").unwrap();
        std::fs::write(d.join(".hidden.json"), "{}").unwrap();
        d
    }

    #[test]
    fn lists_folders_then_filtered_files() {
        let d = tmp("list");
        let b = FileBrowser::new(DialogKind::Open, "", d.clone());
        let names: Vec<&str> = b.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["..", "sub", "b.json"]);
        let mut b = b;
        b.filter = b.filters.iter().position(|f| *f == ALL).unwrap();
        b.refresh();
        let names: Vec<&str> = b.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["..", "sub", "A.csv", "b.json"]);
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn keyboard_and_answers() {
        let d = tmp("keys");
        let mut b = FileBrowser::new(DialogKind::Open, "", d.clone());
        b.move_selection(1);
        b.move_selection(1);
        assert_eq!(b.selected, Some(1));
        assert_eq!(b.enter(), None, "Enter on a folder enters it");
        assert_eq!(b.dir, absolute(&d.join("sub")));
        b.up();
        b.move_selection(-1);
        assert_eq!(b.entries[b.selected.unwrap()].name, "b.json");
        assert_eq!(b.enter(), Some(absolute(&d).join("b.json")));
        // Saving adds the extension; opening a missing file is refused with a message.
        let mut s = FileBrowser::new(DialogKind::SaveAs, "new", d.clone());
        assert_eq!(s.accept(), Some(absolute(&d).join("new.json")));
        let mut o = FileBrowser::new(DialogKind::Open, "", d.clone());
        o.name = "missing.json".to_string();
        assert_eq!(o.accept(), None);
        assert!(o.error.as_deref().unwrap().contains("no such file"));
        // A typed path to a file answers at once.
        o.path_text = d.join("b.json").display().to_string();
        assert_eq!(o.submit_path(), Some(absolute(&d).join("b.json")));
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn an_unreadable_folder_keeps_the_listing() {
        let d = tmp("err");
        let mut b = FileBrowser::new(DialogKind::Open, "", d.clone());
        let before = b.entries.clone();
        b.go(d.join("does-not-exist"));
        assert_eq!(b.entries, before);
        assert!(b.error.as_deref().unwrap().starts_with("cannot read"));
        let _ = std::fs::remove_dir_all(d);
    }
}
