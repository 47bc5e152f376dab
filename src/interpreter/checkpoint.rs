//! The script's checkpoint steps on a workspace: `tf.train.Saver(...).save(...)` and
//! `.restore(...)` through [`crate::formats::saver`], the `NewCheckpointReader` listing, and
//! `sorted(os.listdir(...))`; with the `$TMP` folder a program makes by `tempfile.mkdtemp()`.

use crate::engine::error::{Error, ErrorClass, Result};
use crate::engine::runtime::workspace::Workspace;
use crate::formats::bundle::BundleReader;
use crate::formats::saver::{Saver, VarList};
use crate::formats::state::CheckpointState;
use crate::project::Project;
use crate::project::script::SaverVars;
use std::path::{Path, PathBuf};

/// The formats' var list of a script's.
fn var_list(v: &SaverVars) -> VarList {
    match v {
        SaverVars::All => VarList::All,
        SaverVars::Names(n) => VarList::Names(n.clone()),
        SaverVars::Map(m) => VarList::Map(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
    }
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorClass::NotFound, format!("{}; {e}", path.display()))
}

/// Makes a fresh folder under the system's temporary folder, as `tempfile.mkdtemp()` does.
fn mkdtemp() -> Result<PathBuf> {
    use rand::Rng;
    let base = std::env::temp_dir();
    let mut rng = rand::rng();
    for _ in 0..100 {
        let name: String = (0..8)
            .map(|_| {
                let c = rng.random_range(0..36u8);
                (if c < 10 { b'0' + c } else { b'a' + c - 10 }) as char
            })
            .collect();
        let p = base.join(format!("tmp{name}"));
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error(&p, e)),
        }
    }
    Err(Error::new(ErrorClass::NotFound, "No usable temporary directory name found"))
}

/// A step's path: `$TMP/...` in the run's temporary folder, relative paths beside the project
/// file (refused for a project not saved in a folder: there is no folder to be relative to).
pub fn resolve_path(ws: &mut Workspace, project: &Project, path: &str) -> Result<PathBuf> {
    if let Some(rest) = path.strip_prefix("$TMP") {
        let dir = match &ws.scratch_dir {
            Some(d) => d.clone(),
            None => {
                let d = mkdtemp()?;
                ws.scratch_dir = Some(d.clone());
                d
            }
        };
        let rest = rest.trim_start_matches(['/', '\\']);
        return Ok(if rest.is_empty() { dir } else { dir.join(rest) });
    }
    let p = Path::new(path);
    match project.base_dir.get() {
        _ if p.is_absolute() => Ok(p.to_path_buf()),
        Some(base) => Ok(base.join(p)),
        None => Err(Error::value_error(format!(
            "The relative path '{path}' needs the project saved in a folder; use an absolute path or $TMP/"
        ))),
    }
}

/// `tf.train.Saver(var_list, max_to_keep).save(sess, path, global_step)`.
#[allow(clippy::too_many_arguments)]
pub fn save(
    ws: &mut Workspace,
    project: &Project,
    session: Option<&str>,
    path: &str,
    vars: &SaverVars,
    max_to_keep: u32,
    global_step: Option<i64>,
    write_meta_graph: bool,
) -> Result<PathBuf> {
    let path = resolve_path(ws, project, path)?;
    let s = ws.resolve_session(session, "save")?;
    save_at(ws, s, &path, vars, max_to_keep, global_step, write_meta_graph)
}

/// [`save`] for the session at workspace index `s` (the window saves the session it shows) to
/// the resolved prefix `path`.
pub fn save_at(
    ws: &mut Workspace,
    s: usize,
    path: &Path,
    vars: &SaverVars,
    max_to_keep: u32,
    global_step: Option<i64>,
    write_meta_graph: bool,
) -> Result<PathBuf> {
    let g = ws.sessions.get(s).map(|e| e.graph).ok_or_else(|| Error::internal("session missing"))?;
    let graph = ws.graph(g)?;
    let mut saver = Saver::new(graph, &var_list(vars), max_to_keep as usize)?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Ok(Some(st)) = CheckpointState::read(dir) {
        let kept: Vec<PathBuf> = st
            .all_model_checkpoint_paths
            .iter()
            .map(|p| if Path::new(p).is_absolute() { PathBuf::from(p) } else { dir.join(p) })
            .collect();
        saver.recover_last_checkpoints(&kept);
    }
    let session = &ws.sessions[s].session;
    saver.save(session, path, global_step, write_meta_graph.then_some(graph))
}

/// `tf.train.Saver(var_list).restore(sess, path)`.
pub fn restore(
    ws: &mut Workspace,
    project: &Project,
    session: Option<&str>,
    path: &str,
    vars: &SaverVars,
) -> Result<()> {
    let path = resolve_path(ws, project, path)?;
    let s = ws.resolve_session(session, "restore")?;
    restore_at(ws, s, &path, vars)
}

/// [`restore`] into the session at workspace index `s` from the resolved prefix `path`.
pub fn restore_at(ws: &mut Workspace, s: usize, path: &Path, vars: &SaverVars) -> Result<()> {
    let g = ws.sessions.get(s).map(|e| e.graph).ok_or_else(|| Error::internal("session missing"))?;
    let graph = ws.graph(g)?.clone();
    let saver = Saver::new(&graph, &var_list(vars), 5)?;
    saver.restore(&mut ws.sessions[s].session, &graph, path)
}

/// What `for name, shape in sorted(reader.get_variable_to_shape_map().items()): print(name,
/// shape, reader.get_tensor(name))` prints.
pub fn print_checkpoint(ws: &mut Workspace, project: &Project, path: &str) -> Result<String> {
    let path = resolve_path(ws, project, path)?;
    let reader = BundleReader::open(&path)?;
    let mut out = String::new();
    for t in reader.tensors() {
        let shape: Vec<String> = t.shape.iter().map(|d| d.to_string()).collect();
        let v = reader.get(&t.name)?;
        out.push_str(&format!("{} [{}] {}\n", t.name, shape.join(", "), v.to_numpy_string()));
    }
    Ok(out)
}

/// A string as Python's `repr` writes it.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::new();
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `sorted(os.listdir(path))` as Python prints the list.
pub fn list_dir(ws: &mut Workspace, project: &Project, path: &str) -> Result<String> {
    let dir = resolve_path(ws, project, path)?;
    let rd = std::fs::read_dir(&dir).map_err(|e| {
        Error::new(ErrorClass::NotFound, format!("[Errno 2] No such file or directory: '{}' ({e})", dir.display()))
    })?;
    let mut names: Vec<String> = rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let items: Vec<String> = names.iter().map(|n| py_repr(n)).collect();
    Ok(format!("[{}]", items.join(", ")))
}
