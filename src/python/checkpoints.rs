//! `tf.train.Saver` (`save`, `restore`) and `tf.train.NewCheckpointReader` for a Python program:
//! the same checkpoint code the project script's steps run (TF's V2 format), with the folder made
//! by `tempfile.mkdtemp()` recorded as `$TMP` so that an imported project replays it.

use crate::project::script::Step;
use crate::python::errors::{PyError, PyResult};
use crate::python::runtime::Runtime;
use crate::python::value::{Args, PyValue, TfObject};
use std::rc::Rc;

/// `path` with the run's temporary folder written `$TMP` (as a script step stores it).
fn step_path(rt: &Runtime<'_>, path: &str) -> String {
    if let Some(dir) = &rt.ws.scratch_dir {
        let d = dir.to_string_lossy();
        if let Some(rest) = path.strip_prefix(d.as_ref()) {
            return format!("$TMP{rest}");
        }
    }
    path.to_string()
}

fn project(rt: &Runtime<'_>) -> crate::project::Project {
    crate::project::Project {
        base_dir: crate::project::BaseDir(Some(rt.base_dir.clone())),
        ..crate::project::Project::default()
    }
}

fn session_arg(rt: &Runtime<'_>, args: &Args, what: &str) -> PyResult<String> {
    match args.req(0, "sess", what)? {
        PyValue::Session(s) => Ok(rt.session_id(*s)),
        other => Err(PyError::type_error(format!("'sess' must be a Session; {}", other.type_name()))),
    }
}

/// A method of a `Saver` or a checkpoint reader.
pub fn call(rt: &mut Runtime<'_>, o: &Rc<TfObject>, name: &str, args: &Args) -> PyResult<PyValue> {
    match (o.as_ref(), name) {
        (TfObject::Saver(_, vars, max), "save") => {
            args.check("save", 3, &["sess", "save_path", "global_step", "write_meta_graph"])?;
            let session = session_arg(rt, args, "save")?;
            let path = args
                .req(1, "save_path", "save")?
                .as_str()
                .ok_or_else(|| PyError::type_error("save_path must be a string"))?
                .to_string();
            let global_step = match args.get(2, "global_step") {
                None | Some(PyValue::None) => None,
                Some(v) => Some(v.as_i64().ok_or_else(|| PyError::unsupported("a global_step tensor in save()"))?),
            };
            let write_meta_graph = args.kw("write_meta_graph").map(PyValue::truthy).transpose()?.unwrap_or(true);
            let step = Step::SaveCheckpoint {
                session: Some(session),
                path: step_path(rt, &path),
                var_list: vars.clone(),
                max_to_keep: *max,
                global_step,
                write_meta_graph,
            };
            let p = project(rt);
            let written = match &step {
                Step::SaveCheckpoint { session, path, var_list, max_to_keep, global_step, write_meta_graph } => {
                    crate::interpreter::checkpoint::save(
                        &mut rt.ws,
                        &p,
                        session.as_deref(),
                        path,
                        var_list,
                        *max_to_keep,
                        *global_step,
                        *write_meta_graph,
                    )?
                }
                _ => unreachable_path(),
            };
            rt.rec.sync_nodes(&rt.ws);
            rt.rec.push(step);
            Ok(PyValue::str(written.to_string_lossy()))
        }
        (TfObject::Saver(_, vars, _), "restore") => {
            args.check("restore", 2, &["sess", "save_path"])?;
            let session = session_arg(rt, args, "restore")?;
            let path = args
                .req(1, "save_path", "restore")?
                .as_str()
                .ok_or_else(|| PyError::type_error("save_path must be a string"))?
                .to_string();
            let path = step_path(rt, &path);
            let p = project(rt);
            crate::interpreter::checkpoint::restore(&mut rt.ws, &p, Some(&session), &path, vars)?;
            rt.rec.sync_nodes(&rt.ws);
            rt.rec.push(Step::RestoreCheckpoint { session: Some(session), path, var_list: vars.clone() });
            Ok(PyValue::None)
        }
        (TfObject::CheckpointReader(path), "get_variable_to_shape_map" | "get_tensor" | "has_tensor") => {
            let reader = crate::formats::bundle::BundleReader::open(std::path::Path::new(path))?;
            match name {
                "get_variable_to_shape_map" => Ok(PyValue::Dict(Rc::new(std::cell::RefCell::new(
                    reader
                        .tensors()
                        .into_iter()
                        .map(|t| {
                            (
                                PyValue::str(&t.name),
                                PyValue::list(t.shape.iter().map(|&d| PyValue::Int(d as i64)).collect()),
                            )
                        })
                        .collect(),
                )))),
                "has_tensor" => {
                    let n = args.req(0, "tensor_str", name)?.to_str();
                    Ok(PyValue::Bool(reader.contains(&n)))
                }
                _ => {
                    let n = args.req(0, "tensor_str", name)?.to_str();
                    Ok(PyValue::array(reader.get(&n)?))
                }
            }
        }
        _ => Err(PyError::unsupported(format!("{}.{name}", PyValue::Object(o.clone()).type_name()))),
    }
}

fn unreachable_path() -> std::path::PathBuf {
    std::path::PathBuf::new()
}
