//! The checkpoint browser's state ([`CheckpointBrowser`]): a TF checkpoint opened from its
//! prefix, one of its files (`model.ckpt.index`, `.data-*`, `.meta`) or its folder's
//! `checkpoint` state file; its tensors (name, dtype, shape) as TF's checkpoint reader lists
//! them, the one selected and its value as numpy prints it. Reading the files is the only I/O;
//! errors are kept as TF's text. Its window is `crate::app::panels::checkpoint_browser`.

use crate::formats::bundle::{BundleReader, TensorInfo};
use std::path::{Path, PathBuf};

/// The checkpoint prefix a user's pick names: a `checkpoint` state file (or a folder holding
/// one) names the newest checkpoint; `P.index`, `P.data-…` and `P.meta` name `P`; anything else
/// is taken as the prefix itself.
pub fn prefix_of(pick: &Path) -> Result<PathBuf, String> {
    let err = |e: crate::engine::Error| e.to_string();
    if pick.is_dir() {
        return crate::formats::inspect::resolve_prefix(pick).map_err(err);
    }
    let name = pick.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name == "checkpoint" {
        let dir = pick.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        return crate::formats::inspect::resolve_prefix(dir).map_err(err);
    }
    let base = if let Some(b) = name.strip_suffix(".index").or_else(|| name.strip_suffix(".meta")) {
        b.to_string()
    } else if let Some(i) = name.find(".data-") {
        name[..i].to_string()
    } else {
        return Ok(pick.to_path_buf());
    };
    Ok(pick.with_file_name(base))
}

/// True for a checkpoint's own files, which open the browser when opened or dropped: the
/// `checkpoint` state file and `P.index`.
pub fn is_checkpoint_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "checkpoint") || path.extension().is_some_and(|e| e == "index")
}

/// An open checkpoint.
#[derive(Debug)]
pub struct CheckpointBrowser {
    /// The checkpoint's prefix.
    pub prefix: PathBuf,
    /// Its tensors, sorted by name (empty when it could not be read).
    pub tensors: Vec<TensorInfo>,
    /// The selected tensor's name.
    pub selected: Option<String>,
    /// The selected tensor's value as numpy prints it, or why it could not be read.
    pub value: Option<Result<String, String>>,
    /// Why the checkpoint could not be read (TF's error class and message).
    pub error: Option<String>,
    reader: Option<BundleReader>,
}

impl CheckpointBrowser {
    /// Opens the checkpoint `pick` names (see [`prefix_of`]); the first tensor is selected.
    pub fn open(pick: &Path) -> CheckpointBrowser {
        let mut b = CheckpointBrowser {
            prefix: pick.to_path_buf(),
            tensors: Vec::new(),
            selected: None,
            value: None,
            error: None,
            reader: None,
        };
        match prefix_of(pick) {
            Ok(prefix) => {
                b.prefix = prefix;
                match BundleReader::open(&b.prefix) {
                    Ok(r) => {
                        b.tensors = r.tensors();
                        b.reader = Some(r);
                        if let Some(first) = b.tensors.first().map(|t| t.name.clone()) {
                            b.select(&first);
                        }
                    }
                    Err(e) => b.error = Some(e.to_string()),
                }
            }
            Err(e) => b.error = Some(e),
        }
        b
    }

    /// Selects tensor `name` and reads its value.
    pub fn select(&mut self, name: &str) {
        let Some(r) = &self.reader else { return };
        self.selected = Some(name.to_string());
        self.value = Some(r.get(name).map(|v| v.to_numpy_string()).map_err(|e| e.to_string()));
    }

    /// The total number of values (`# Total number of params` of `inspect_checkpoint`).
    pub fn total_params(&self) -> usize {
        self.tensors.iter().map(|t| t.shape.iter().product::<usize>()).sum()
    }
}

/// A tensor's shape as TF's checkpoint reader lists it: `[2, 3]`.
pub fn shape_text(t: &TensorInfo) -> String {
    let dims: Vec<String> = t.shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", dims.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_of_picks() {
        let d = Path::new("/x/ckpts");
        assert_eq!(prefix_of(&d.join("model.ckpt-3.index")).unwrap(), d.join("model.ckpt-3"));
        assert_eq!(prefix_of(&d.join("model.ckpt.meta")).unwrap(), d.join("model.ckpt"));
        assert_eq!(prefix_of(&d.join("model.ckpt.data-00000-of-00001")).unwrap(), d.join("model.ckpt"));
        assert_eq!(prefix_of(&d.join("model.ckpt")).unwrap(), d.join("model.ckpt"));
        let b = CheckpointBrowser::open(&d.join("missing.index"));
        assert!(b.error.is_some() && b.tensors.is_empty());
    }
}
