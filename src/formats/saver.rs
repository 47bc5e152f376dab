//! `tf.train.Saver` on a flowbench session: which variables a saver covers (all of the graph's,
//! a list, or a checkpoint-name → variable map), `save` (optionally suffixed `-<global_step>`)
//! writing a V2 bundle and the `checkpoint` state file with `max_to_keep` (older checkpoints'
//! files deleted as TF deletes them), and `restore` with TF's checks and messages.

use crate::engine::error::{Error, ErrorClass, Result};
use crate::engine::graph::Graph;
use crate::engine::graph::op::Op;
use crate::engine::runtime::session::Session;
use crate::engine::value::Value;
use crate::formats::bundle::{self, BundleReader};
use crate::formats::state::CheckpointState;
use std::path::{Path, PathBuf};

/// Which variables a saver covers.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum VarList {
    /// `tf.train.Saver()`: every variable of the graph, saved under its own name.
    #[default]
    All,
    /// `tf.train.Saver([v1, v2])`: these variables, under their own names.
    Names(Vec<String>),
    /// `tf.train.Saver({"v1": a})`: (name in the checkpoint, variable) pairs.
    Map(Vec<(String, String)>),
}

/// A saver: the (checkpoint key, variable) pairs it covers, and the checkpoints it has kept.
#[derive(Clone, Debug)]
pub struct Saver {
    pairs: Vec<(String, String)>,
    /// Checkpoints kept (`0` keeps every one, listing only the newest in the state file).
    pub max_to_keep: usize,
    /// Write paths relative to the checkpoint's folder in the state file.
    pub save_relative_paths: bool,
    last_checkpoints: Vec<PathBuf>,
}

fn variable_node<'g>(graph: &'g Graph, name: &str) -> Option<&'g crate::engine::graph::Node> {
    let id = graph.find(name)?;
    let node = graph.node(id)?;
    matches!(node.op, Op::Variable { .. }).then_some(node)
}

impl Saver {
    /// A saver over `var_list` of `graph`, keeping `max_to_keep` checkpoints (TF's default is 5).
    pub fn new(graph: &Graph, var_list: &VarList, max_to_keep: usize) -> Result<Saver> {
        let pairs: Vec<(String, String)> = match var_list {
            VarList::All => graph
                .nodes()
                .iter()
                .filter(|n| matches!(n.op, Op::Variable { .. }))
                .map(|n| (n.name.clone(), n.name.clone()))
                .collect(),
            VarList::Names(v) => v.iter().map(|n| (n.clone(), n.clone())).collect(),
            VarList::Map(m) => m.clone(),
        };
        if pairs.is_empty() {
            return Err(Error::value_error("No variables to save"));
        }
        for (key, var) in &pairs {
            if variable_node(graph, var).is_none() {
                return Err(Error::type_error(format!(
                    "Variable to save is not a Variable: '{var}' is not a variable of this graph"
                )));
            }
            if pairs.iter().filter(|(k, _)| k == key).count() > 1 {
                return Err(Error::value_error(format!("At least two variables have the same name: {key}")));
            }
        }
        Ok(Saver { pairs, max_to_keep, save_relative_paths: false, last_checkpoints: Vec::new() })
    }

    /// The (checkpoint key, variable name) pairs, in the saver's order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// `saver.recover_last_checkpoints(paths)`: takes over the checkpoints a state file lists
    /// (those whose files are gone are dropped), so that `max_to_keep` counts them.
    pub fn recover_last_checkpoints(&mut self, paths: &[PathBuf]) {
        self.last_checkpoints = paths.iter().filter(|p| bundle::index_path(p).exists()).cloned().collect();
    }

    /// The checkpoints this saver has kept, oldest first (`saver.last_checkpoints`).
    pub fn last_checkpoints(&self) -> &[PathBuf] {
        &self.last_checkpoints
    }

    /// `saver.save(sess, save_path, global_step, write_meta_graph)`: writes the bundle
    /// `save_path[-step]`, the state file beside it and, given the session's graph, the
    /// `.meta` file (a `MetaGraphDef`); returns the checkpoint's prefix.
    pub fn save(
        &mut self,
        session: &Session,
        save_path: &Path,
        global_step: Option<i64>,
        meta_graph: Option<&Graph>,
    ) -> Result<PathBuf> {
        if session.is_closed() {
            return Err(Error::new(ErrorClass::RuntimeError, "Attempted to use a closed Session."));
        }
        let prefix = match global_step {
            Some(s) => {
                let mut p = save_path.as_os_str().to_owned();
                p.push(format!("-{s}"));
                PathBuf::from(p)
            }
            None => save_path.to_path_buf(),
        };
        let mut tensors: Vec<(String, &Value)> = Vec::with_capacity(self.pairs.len());
        for (key, var) in &self.pairs {
            let v = session.variable_value(var).ok_or_else(|| {
                Error::failed_precondition(format!("Attempting to use uninitialized value {var}")).at(var.clone())
            })?;
            tensors.push((key.clone(), v));
        }
        let dir = prefix.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::new(
                ErrorClass::NotFound,
                format!("Parent directory of {} doesn't exist, can't save: {e}", save_path.display()),
            )
        })?;
        bundle::write_bundle(&prefix, &tensors)?;
        if let Some(g) = meta_graph {
            let path = meta_path(&prefix);
            std::fs::write(&path, crate::formats::graph::graph_def(g).meta_bytes_for(Some(&self.pairs)))
                .map_err(|e| Error::new(ErrorClass::NotFound, format!("{}: {e}", path.display())))?;
        }
        self.record(&prefix);
        self.write_state(&dir, &prefix)?;
        Ok(prefix)
    }

    /// `Saver._RecordLastCheckpoint`: a re-saved path moves to the end; past `max_to_keep` the
    /// oldest is dropped and its files deleted.
    fn record(&mut self, prefix: &Path) {
        if self.max_to_keep == 0 {
            return;
        }
        self.last_checkpoints.retain(|p| p != prefix);
        self.last_checkpoints.push(prefix.to_path_buf());
        while self.last_checkpoints.len() > self.max_to_keep {
            let old = self.last_checkpoints.remove(0);
            delete_checkpoint_files(&old);
        }
    }

    fn write_state(&self, dir: &Path, prefix: &Path) -> Result<()> {
        let shown = |p: &Path| -> String {
            if self.save_relative_paths {
                p.strip_prefix(dir).unwrap_or(p).display().to_string()
            } else {
                p.display().to_string()
            }
        };
        let mut all: Vec<String> = self.last_checkpoints.iter().map(|p| shown(p)).collect();
        let newest = shown(prefix);
        if all.last() != Some(&newest) {
            all.push(newest.clone());
        }
        CheckpointState { model_checkpoint_path: newest, all_model_checkpoint_paths: all }.write(dir)
    }

    /// `saver.restore(sess, save_path)`: sets every covered variable from the checkpoint, after
    /// checking that each is there with the variable's dtype and shape (nothing is set if one is
    /// not).
    pub fn restore(&self, session: &mut Session, graph: &Graph, save_path: &Path) -> Result<()> {
        if session.is_closed() {
            return Err(Error::new(ErrorClass::RuntimeError, "Attempted to use a closed Session."));
        }
        if !bundle::index_path(save_path).exists() {
            return Err(Error::value_error(format!(
                "The passed save_path is not a valid checkpoint: {}",
                save_path.display()
            )));
        }
        let reader = BundleReader::open(save_path)?;
        let mut values = Vec::with_capacity(self.pairs.len());
        for (key, var) in &self.pairs {
            let Some(info) = reader.info(key) else {
                return Err(Error::new(
                    ErrorClass::NotFound,
                    format!(
                        "Restoring from checkpoint failed. This is most likely due to a Variable name or other graph key that is missing from the checkpoint. Please ensure that you have not altered the graph expected based on the checkpoint. Original error: Key {key} not found in checkpoint"
                    ),
                ));
            };
            let Some(Op::Variable { dtype, shape }) = variable_node(graph, var).map(|n| &n.op) else {
                return Err(Error::value_error(format!("'{var}' is not a variable of this graph")));
            };
            let mismatch = |m: String| {
                Error::invalid_argument(format!(
                    "Restoring from checkpoint failed. This is most likely due to a mismatch between the current graph and the graph from the checkpoint. Please ensure that you have not altered the graph expected based on the checkpoint. Original error: {m}"
                ))
                .at(var.clone())
            };
            if info.dtype != Ok(*dtype) {
                return Err(mismatch(format!(
                    "tensor_name = {key}; expected dtype {} does not equal original dtype {}",
                    dtype.runtime_name(),
                    match info.dtype {
                        Ok(d) => d.runtime_name().to_string(),
                        Err(e) => bundle::enum_name(e),
                    }
                )));
            }
            if !shape.is_compatible_with_dims(&info.shape) {
                return Err(mismatch(format!(
                    "Assign requires shapes of both tensors to match. lhs shape= {} rhs shape= {}",
                    shape.list_form(),
                    crate::engine::shape::Shape::known(&info.shape).list_form()
                )));
            }
            values.push((var.clone(), reader.get(key)?));
        }
        for (var, v) in values {
            session.set_variable(&var, v);
        }
        Ok(())
    }
}

/// `P.meta`, where a saver writes the graph of checkpoint `P`.
pub fn meta_path(prefix: &Path) -> PathBuf {
    let mut meta = prefix.as_os_str().to_owned();
    meta.push(".meta");
    PathBuf::from(meta)
}

/// Deletes a checkpoint's files (`P.index`, `P.data-*`, `P.meta`), as TF does for checkpoints
/// past `max_to_keep`; files already gone are no error.
pub fn delete_checkpoint_files(prefix: &Path) {
    let _ = std::fs::remove_file(bundle::index_path(prefix));
    let _ = std::fs::remove_file(meta_path(prefix));
    let (Some(dir), Some(base)) = (prefix.parent(), prefix.file_name()) else { return };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let mut data = base.to_owned();
    data.push(".data-");
    let data = data.to_string_lossy().to_string();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with(&data) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}
