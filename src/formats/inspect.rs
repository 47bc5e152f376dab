//! What TF's `inspect_checkpoint` tool prints for a checkpoint: each tensor's name, `DT_` dtype
//! and shape (the reader's debug string) and the total number of parameters; with values, each
//! tensor as `tensor: name (dtype) [shape]` followed by its value as numpy prints it.

use crate::engine::error::{Error, Result};
use crate::formats::bundle::{BundleReader, TensorInfo};
use crate::formats::state::latest_checkpoint;
use std::path::{Path, PathBuf};

/// The `DT_` name TF's checkpoint reader prints (`DT_FLOAT`).
fn dt_name(t: &TensorInfo) -> String {
    match t.dtype {
        Ok(d) => format!("DT_{}", d.runtime_name().to_uppercase()),
        Err(_) => format!("DT_{}", t.dtype_name().to_uppercase()),
    }
}

/// A checkpoint prefix from what the user gave: the prefix itself, or a folder whose
/// `checkpoint` file names the newest checkpoint.
pub fn resolve_prefix(path: &Path) -> Result<PathBuf> {
    if path.is_dir() {
        return latest_checkpoint(path)?.ok_or_else(|| {
            Error::value_error(format!("No checkpoint found in {} (no 'checkpoint' state file)", path.display()))
        });
    }
    Ok(path.to_path_buf())
}

/// `print_tensors_in_checkpoint_file(prefix, tensor_name, all_tensors)`'s output.
pub fn inspect(reader: &BundleReader, tensor: Option<&str>, values: bool) -> Result<String> {
    let tensors = reader.tensors();
    let total: usize = tensors.iter().map(|t| t.shape.iter().product::<usize>()).sum();
    let mut out = String::new();
    let value_line = |t: &TensorInfo, out: &mut String| -> Result<()> {
        let shape: Vec<String> = t.shape.iter().map(|d| d.to_string()).collect();
        out.push_str(&format!("tensor: {} ({}) [{}]\n", t.name, t.dtype_name(), shape.join(", ")));
        out.push_str(&reader.get(&t.name)?.to_numpy_string());
        out.push('\n');
        Ok(())
    };
    match tensor {
        Some(name) => {
            let t = reader.info(name).ok_or_else(|| {
                Error::new(crate::engine::ErrorClass::NotFound, format!("Key {name} not found in checkpoint"))
            })?;
            value_line(&t, &mut out)?;
        }
        None if values => {
            for t in &tensors {
                value_line(t, &mut out)?;
            }
        }
        None => {
            for t in &tensors {
                let shape: Vec<String> = t.shape.iter().map(|d| d.to_string()).collect();
                out.push_str(&format!("{} ({}) [{}]\n", t.name, dt_name(t), shape.join(",")));
            }
            out.push('\n');
        }
    }
    out.push_str(&format!("# Total number of params: {total}\n"));
    Ok(out)
}
