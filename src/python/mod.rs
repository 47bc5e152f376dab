//! TF1 Python programs: `flowbench run PROGRAM.py` runs one on the engine and prints what TF
//! prints for it; `flowbench import PROGRAM.py -o PROJECT.json` runs it and keeps what it built
//! as a project (graphs laid out, configs, and a script that replays its session calls).
//!
//! - [`parse`]: the source read by a maintained Python parser (`rustpython-parser`);
//! - [`value`]: the values a program handles and how Python prints them;
//! - [`format`](mod@format): `%` formatting, f-strings and `str.format`;
//! - [`interp`]: statements and expressions;
//! - [`tf_api`]: `tf.*` on the engine's graph builders, sessions and `with` blocks;
//! - [`numpy`]: numpy's arrays and legacy random generator;
//! - [`checkpoints`]: `tf.train.Saver` and checkpoint readers;
//! - [`input_data`]: MNIST's `read_data_sets` and `next_batch`; [`idx_data`]: the arrays they
//!   hand out and where they came from;
//! - [`runtime`]: the workspace, default graphs, output and the time/step budget;
//! - [`stepper`]: a run the window watches, paused before statements while stepping;
//! - [`record`]: the script steps an import keeps, and the project built from them;
//! - [`errors`]: Python's errors and flowbench's refusals, with their line and column.

pub mod checkpoints;
pub mod errors;
pub mod format;
pub mod idx_data;
pub mod input_data;
pub mod interp;
pub mod numpy;
pub mod parse;
pub mod record;
pub mod runtime;
pub mod stepper;
pub mod tf_api;
pub mod value;

use crate::interpreter::ScriptOutput;
use crate::project::Project;
use crate::python::errors::{PyError, PyResult};
use crate::python::runtime::{Limits, Runtime};
use std::path::Path;

/// What a run produced besides its output.
pub struct Ran {
    /// The error that ended the program, if one did.
    pub error: Option<PyError>,
    /// The project an import keeps (`None` when the run cannot be kept as one, with why).
    pub project: Result<Project, String>,
}

/// The stack of the thread a program runs on: deeply nested expressions (`1+1+...+1`) are
/// evaluated and dropped recursively.
pub(crate) const STACK_BYTES: usize = 1 << 30;

/// Runs `source` (the program at `path`), sending what it prints to `out`. The program runs on
/// its own thread with a large stack; what it prints comes back as it prints it.
pub fn run_source(source: &str, path: &Path, limits: Limits, out: &mut dyn FnMut(ScriptOutput)) -> Ran {
    run_source_in(source, path, limits, None, out)
}

/// [`run_source`] for `flowbench import -o output`: data read from outside the folder of
/// `output` stops the program there (the project could not read it).
fn run_source_in(
    source: &str,
    path: &Path,
    limits: Limits,
    output: Option<&Path>,
    out: &mut dyn FnMut(ScriptOutput),
) -> Ran {
    let import_into = output.and_then(|o| {
        let parent = o.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Some((std::fs::canonicalize(parent).ok()?, o.to_path_buf()))
    });
    let (tx, rx) = std::sync::mpsc::channel::<ScriptOutput>();
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new().name("flowbench-python".into()).stack_size(STACK_BYTES).spawn_scoped(
            scope,
            move || {
                let mut send = |o: ScriptOutput| {
                    let _ = tx.send(o);
                };
                run_here(source, path, limits, import_into, &mut send)
            },
        );
        let worker = match worker {
            Ok(w) => w,
            Err(e) => {
                return Ran {
                    error: Some(PyError::exception(
                        "RuntimeError",
                        format!("could not start the program's thread: {e}"),
                    )),
                    project: Err("the program did not run".into()),
                };
            }
        };
        for o in rx {
            out(o);
        }
        worker.join().unwrap_or_else(|_| Ran {
            error: Some(PyError::exception("SystemError", "the program's thread stopped unexpectedly")),
            project: Err("the program did not run to its end".into()),
        })
    })
}

/// [`run_source`] on the calling thread.
fn run_here(
    source: &str,
    path: &Path,
    limits: Limits,
    import_into: Option<(std::path::PathBuf, std::path::PathBuf)>,
    out: &mut dyn FnMut(ScriptOutput),
) -> Ran {
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = path.file_stem().map_or_else(|| "program".to_string(), |s| s.to_string_lossy().into_owned());
    let program = match parse::parse_program(source, &path.to_string_lossy()) {
        Ok(p) => p,
        Err(e) => return Ran { error: Some(e), project: Err("the program does not parse".into()) },
    };
    let mut rt = Runtime::new(out, limits, base);
    rt.import_into = import_into;
    // TF names the program by its absolute path, as Python's `__main__` has it.
    rt.program.1 = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()).to_string_lossy().into_owned();
    let result: PyResult<()> = {
        let mut it = interp::Interp::new(&mut rt, &program.source);
        it.run(&program.body)
    };
    let scratch = rt.ws.scratch_dir.take();
    rt.cleanup();
    if let Some(d) = scratch {
        let _ = std::fs::remove_dir_all(d);
    }
    let error = result.err();
    let project = match &error {
        Some(e) => Err(format!("the program did not run to its end ({})", e.render(&path.to_string_lossy()))),
        None => {
            let rec = std::mem::take(&mut rt.rec);
            rec.finish(&rt.ws, &name)
        }
    };
    Ran { error, project }
}

/// Reads and runs the program at `path`.
pub fn run_file(path: &Path, limits: Limits, out: &mut dyn FnMut(ScriptOutput)) -> Ran {
    match read_source(path) {
        Ok(s) => run_source(&s, path, limits, out),
        Err(e) => Ran { error: Some(e), project: Err("the program could not be read".into()) },
    }
}

/// The text of a program file (a regular file of at most [`parse::MAX_SOURCE_BYTES`], UTF-8).
pub fn read_source(path: &Path) -> PyResult<String> {
    let meta = std::fs::metadata(path)
        .map_err(|e| PyError::exception("FileNotFoundError", format!("{}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(PyError::exception("IsADirectoryError", format!("{} is not a regular file", path.display())));
    }
    if meta.len() > parse::MAX_SOURCE_BYTES as u64 {
        return Err(PyError::unsupported(format!("a program of more than {} bytes", parse::MAX_SOURCE_BYTES)));
    }
    let bytes = std::fs::read(path).map_err(|e| PyError::exception("OSError", format!("{}: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| PyError { kind: errors::PyErrorKind::Syntax("the file is not UTF-8".into()), loc: None })
}

fn limits_of(max_seconds: Option<f64>) -> Limits {
    Limits {
        max_time: max_seconds.filter(|s| s.is_finite() && *s > 0.0).map(std::time::Duration::from_secs_f64),
        max_steps: None,
    }
}

/// `flowbench run PROGRAM.py [--max-seconds S]`: prints what the program prints; an error ends
/// it with `PROGRAM.py:LINE:COL: ...` on stderr and exit code 1.
pub fn run_command(file: &Path, max_seconds: Option<f64>, out: &mut dyn std::io::Write) -> i32 {
    let mut write_failed = false;
    let ran = run_file(file, limits_of(max_seconds), &mut |o| {
        let text = match o {
            ScriptOutput::Text(t) => t,
            ScriptOutput::Placement(line) => line + "\n",
        };
        if out.write_all(text.as_bytes()).is_err() {
            write_failed = true;
        }
    });
    let _ = out.flush();
    match ran.error {
        Some(e) => {
            eprintln!("{}", e.render(&file.to_string_lossy()));
            1
        }
        None => i32::from(write_failed),
    }
}

/// `flowbench import PROGRAM.py -o PROJECT.json`: runs the program (printing what it prints)
/// and saves what it built as a project whose `flowbench run` prints the same.
pub fn import_command(file: &Path, output: &Path, max_seconds: Option<f64>, out: &mut dyn std::io::Write) -> i32 {
    if crate::project::io::same_file(file, output) {
        eprintln!("{}: -o names the program itself; choose another file for the project", output.display());
        return 1;
    }
    let mut write = |o: ScriptOutput| {
        let text = match o {
            ScriptOutput::Text(t) => t,
            ScriptOutput::Placement(line) => line + "\n",
        };
        let _ = out.write_all(text.as_bytes());
    };
    let ran = match read_source(file) {
        Ok(s) => run_source_in(&s, file, limits_of(max_seconds), Some(output), &mut write),
        Err(e) => Ran { error: Some(e), project: Err("the program could not be read".into()) },
    };
    let _ = out.flush();
    if let Some(e) = ran.error {
        eprintln!("{}", e.render(&file.to_string_lossy()));
        return 1;
    }
    let mut project = match ran.project {
        Ok(p) => p,
        Err(why) => {
            eprintln!("{}: cannot be kept as a project: {why}", file.display());
            return 1;
        }
    };
    if let Err(why) = place_data_for(&mut project, output) {
        eprintln!("{}: cannot be kept as a project: {why}", file.display());
        return 1;
    }
    if let Err(e) = project.validate() {
        eprintln!("{}: the project made from it is not valid: {e}", file.display());
        return 1;
    }
    match project.save(output) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{}: {e}", output.display());
            1
        }
    }
}

/// Why a project saved as `output` cannot read the data folder `dir`.
pub(crate) fn data_outside(dir: &Path, output: &Path) -> String {
    format!(
        "its data ({}) is outside the folder of {}; a project reads data files only inside its folder, so save it in a folder that holds the data",
        dir.display(),
        output.display()
    )
}

/// Rewrites the folders of the project's IDX datasets (recorded as absolute paths) relative to
/// the folder of `output`, where the project will be saved. A project reads data only inside
/// its folder: a folder outside it is refused, naming both.
pub fn place_data_for(project: &mut Project, output: &Path) -> Result<(), String> {
    use crate::train::data::dataset::DatasetSource;
    let parent = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    for d in &mut project.datasets {
        let DatasetSource::Idx { dir, .. } = &mut d.source else { continue };
        let abs = std::path::PathBuf::from(&*dir);
        if !abs.is_absolute() {
            continue;
        }
        let base = std::fs::canonicalize(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        match abs.strip_prefix(&base) {
            Ok(rel) => {
                let rel = rel.to_string_lossy().into_owned();
                *dir = if rel.is_empty() { ".".to_string() } else { rel };
            }
            Err(_) => return Err(data_outside(&abs, output)),
        }
    }
    Ok(())
}
