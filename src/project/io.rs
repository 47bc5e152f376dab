//! Reading and writing project files: JSON text in (a bounded read of a regular file), a
//! migrated and validated [`Project`] out (a bad file is refused with a message that names the
//! node or field, unknown fields with their path; it never panics); pretty JSON out, saved
//! atomically by [`write_atomic`] (the one save path of the CLI and the window).

use crate::project::file::{BaseDir, FORMAT_VERSION, Project, ProjectError};
use crate::train::data::dataset::DatasetSource;
use crate::train::data::files::{MAX_PROJECT_BYTES, ReadError, read_limited, resolve_inside};
use serde::Deserialize;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// Brings an older file's JSON up to the current version. Version 0 (before the format was
/// versioned) held one graph as top-level `nodes` and no script. A file without
/// `format_version` (or with 0) that has version 1's `graphs` is read as version 1, never as an
/// empty version 0 project.
pub fn migrate(mut json: Json) -> Result<Json, ProjectError> {
    let Some(obj) = json.as_object_mut() else {
        return Err(ProjectError::Syntax("the top level must be a JSON object".to_string()));
    };
    let version = match obj.get("format_version") {
        None => 0,
        Some(v) => v
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| ProjectError::Version(format!("format_version must be a whole number, found {v}")))?,
    };
    if version > FORMAT_VERSION {
        return Err(ProjectError::Version(format!(
            "this file has format_version {version}, written by a newer flowbench; this build reads versions up to {FORMAT_VERSION}"
        )));
    }
    if version == 0 {
        if obj.contains_key("graphs") {
            if obj.contains_key("nodes") {
                return Err(ProjectError::Version(
                    "format_version is missing and the file has both 'nodes' (version 0) and 'graphs' (version 1)"
                        .to_string(),
                ));
            }
            obj.insert("format_version".to_string(), Json::from(FORMAT_VERSION));
            return Ok(json);
        }
        let nodes = obj.remove("nodes").unwrap_or(Json::Array(Vec::new()));
        obj.insert("graphs".to_string(), serde_json::json!([{ "name": "default", "nodes": nodes }]));
        obj.insert("default_graph".to_string(), Json::String("default".to_string()));
        obj.insert("format_version".to_string(), Json::from(1));
    }
    Ok(json)
}

/// `a.b[2].c` paths for messages.
fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn is_empty_json(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::Bool(b) => !b,
        Json::Number(n) => n.as_f64() == Some(0.0),
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
    }
}

/// Compares the file's JSON with the JSON the parsed project writes back: a key the project does
/// not write (other than one holding an empty or default value, which it leaves out) is a field
/// this format does not have, and a number where the format has a name (`"op": 5`) is refused.
/// Returns the path of the first such field.
fn unknown_field(input: &Json, written: &Json, path: &str) -> Option<String> {
    match (input, written) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, v) in a {
                let p = child_path(path, k);
                match b.get(k) {
                    Some(w) => {
                        if let Some(bad) = unknown_field(v, w, &p) {
                            return Some(bad);
                        }
                    }
                    None if is_empty_json(v) => {}
                    None => return Some(format!("{p}: unknown field")),
                }
            }
            None
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).enumerate().find_map(|(i, (x, y))| unknown_field(x, y, &format!("{path}[{i}]")))
        }
        (Json::Number(n), Json::String(_)) => Some(format!("{path}: expected a name, found {n}")),
        _ => None,
    }
}

impl Project {
    /// Parses a project from JSON text, migrating older versions and validating everything.
    /// A leading UTF-8 byte order mark is skipped; unknown fields are refused with their path.
    pub fn from_json_str(text: &str) -> Result<Project, ProjectError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let json: Json = serde_json::from_str(text).map_err(|e| ProjectError::Syntax(e.to_string()))?;
        let json = migrate(json)?;
        let project = Project::deserialize(&json).map_err(|e| ProjectError::Syntax(e.to_string()))?;
        let written = serde_json::to_value(&project).map_err(|e| ProjectError::Syntax(e.to_string()))?;
        if let Some(bad) = unknown_field(&json, &written, "") {
            return Err(ProjectError::Syntax(bad));
        }
        drop((json, written));
        project.validate()?;
        Ok(project)
    }

    /// Reads and validates a project file (a regular file of at most
    /// [`MAX_PROJECT_BYTES`] bytes).
    pub fn load(path: &Path) -> Result<Project, ProjectError> {
        let io = |message: String| ProjectError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(message),
        };
        let bytes = read_limited(path, MAX_PROJECT_BYTES, "project file").map_err(|e| match e {
            ReadError::Io(source) => ProjectError::Io { path: path.display().to_string(), source },
            other => io(other.to_string()),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            ProjectError::Syntax(format!("the file is not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
        })?;
        let mut project = Project::from_json_str(&text)?;
        drop(text);
        let dir = path.parent().map(|d| if d.as_os_str().is_empty() { Path::new(".") } else { d });
        project.base_dir = BaseDir(dir.map(Path::to_path_buf));
        Ok(project)
    }

    /// Checks that every referenced data file resolves inside the project's folder (or a folder
    /// the user chose in the window), without reading it. `flowbench check` and the export run it;
    /// a run refuses such a file when it materializes the dataset.
    pub fn check_data_paths(&self) -> Result<(), ProjectError> {
        for d in &self.datasets {
            let path = match &d.source {
                DatasetSource::Csv { path, .. } => path,
                DatasetSource::Idx { dir, .. } => dir,
                _ => continue,
            };
            resolve_inside(self.base_dir.get(), path)
                .map_err(|m| ProjectError::Invalid(format!("dataset '{}': {m}", d.name)))?;
        }
        Ok(())
    }

    /// Pretty JSON.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Saves atomically through [`write_atomic`] (what the CLI and the window's save use).
    pub fn save(&self, path: &Path) -> Result<(), ProjectError> {
        write_atomic(path, (self.to_json_string() + "\n").as_bytes())
            .map_err(|source| ProjectError::Io { path: path.display().to_string(), source })
    }
}

/// The marker in the names of temporary files [`write_atomic`] writes: `.NAME.flowbench-tmp-PID`.
pub const TMP_MARKER: &str = ".flowbench-tmp-";

/// Follows `path` through symbolic links to the file they name (which may not exist yet).
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// True when the process `pid` is still running (Linux: `/proc/PID`); elsewhere, assume so.
fn process_alive(pid: u32) -> bool {
    let proc_root = Path::new("/proc/self");
    if !proc_root.exists() {
        return true;
    }
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Removes the temporary files a killed write of `name` left in `dir` (those of processes that
/// no longer run).
fn remove_stale_temps(dir: &Path, name: &str) {
    // Also the names earlier builds used (`.NAME.tmp-PID`).
    let prefixes = [format!(".{name}{TMP_MARKER}"), format!(".{name}.tmp-")];
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let file_name = e.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| prefixes.iter().find_map(|p| n.strip_prefix(p.as_str())))
        else {
            continue;
        };
        if let Ok(pid) = rest.parse::<u32>()
            && pid != std::process::id()
            && !process_alive(pid)
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Writes `bytes` to `path` atomically: a temporary file `.NAME.flowbench-tmp-PID` in the same
/// folder is written, synced and renamed over the target, then the folder is synced. A symbolic
/// link is written through (its target is replaced, the link stays); an existing target keeps
/// its permissions; the temporary file is removed on error, and stale ones a killed write left
/// are removed first.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let target = resolve_links(path)?;
    let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .ok_or_else(|| std::io::Error::other("the path names no file"))?;
    remove_stale_temps(&dir, &name);
    let existing = std::fs::metadata(&target).ok();
    if existing.as_ref().is_some_and(|m| !m.is_file()) {
        return Err(std::io::Error::other("not a regular file; only regular files are written"));
    }
    let tmp = dir.join(format!(".{name}{TMP_MARKER}{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if let Some(m) = &existing {
            f.set_permissions(m.permissions())?;
        }
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &target)?;
        // The rename is durable once the folder is synced (not possible everywhere: ignored).
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// True when `a` and `b` name the same existing file (through links).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}
