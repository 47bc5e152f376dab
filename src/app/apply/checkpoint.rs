//! TF's checkpoints in the window: Session ▸ Save checkpoint… and Restore checkpoint… on the
//! run panel's session (`tf.train.Saver().save/restore`, through the interpreter's own
//! checkpoint steps so the window and `flowbench run` cannot disagree; each is logged as its
//! Python line and appended to the script), and File ▸ Open checkpoint…, the checkpoint
//! browser. A failed restore shows TF's error as a failed run does: in the run panel's result
//! and in the log, linked to the variable it names.
//!
//! Calls into interpreter: `checkpoint::save_at`, `checkpoint::restore_at`.

use crate::app::dialogs::DialogKind;
use crate::app::i18n::tr_args;
use crate::app::model::checkpoint::{CheckpointBrowser, prefix_of};
use crate::app::model::log::LogKind;
use crate::app::model::view::RunResult;
use crate::app::state::AppState;
use crate::engine::graph::op::Op;
use crate::interpreter::checkpoint::py_repr;
use crate::project::script::{SaverVars, Step};
use std::path::PathBuf;

impl AppState {
    /// Opens the file dialog of a checkpoint command; `session` is the one it acts on.
    pub(crate) fn ask_checkpoint(&mut self, kind: DialogKind, session: Option<usize>) {
        self.checkpoint_session = session;
        if kind == DialogKind::SaveCheckpoint {
            self.pending_dialog = Some((kind, "model.ckpt".to_string()));
        } else {
            self.pending_dialog = Some((kind, String::new()));
        }
    }

    /// A checkpoint dialog answered.
    pub(crate) fn checkpoint_answered(&mut self, kind: DialogKind, path: Option<PathBuf>) {
        let session = self.checkpoint_session.take();
        let Some(path) = path else { return };
        match (kind, session) {
            (DialogKind::SaveCheckpoint, Some(s)) if !self.busy_refusal(s, "saved") => self.save_checkpoint(s, path),
            (DialogKind::RestoreCheckpoint, Some(s)) if !self.busy_refusal(s, "restored") => {
                self.restore_checkpoint(s, path)
            }
            (DialogKind::OpenCheckpoint, _) => self.open_checkpoint(path),
            _ => {}
        }
    }

    /// The number of variables of session `s`'s graph, its graph index and its id.
    fn session_vars(&self, s: usize) -> Option<(usize, usize, String)> {
        let e = self.engine.ws.sessions.get(s)?;
        let g = self.engine.ws.graph(e.graph).ok()?;
        Some((g.nodes().iter().filter(|n| matches!(n.op, Op::Variable { .. })).count(), e.graph, e.id.clone()))
    }

    /// `tf.train.Saver().save(sess, path)`: writes the checkpoint, its `.meta` and the
    /// `checkpoint` state file beside it.
    pub(crate) fn save_checkpoint(&mut self, session: usize, path: PathBuf) {
        let Some((count, graph, id)) = self.session_vars(session) else { return };
        let path = std::path::absolute(&path).unwrap_or(path);
        let shown = path.display().to_string();
        self.log_line(LogKind::Python, format!("tf.train.Saver().save({id}, {})", py_repr(&shown)), None);
        let r = crate::interpreter::checkpoint::save_at(
            &mut self.engine.ws,
            session,
            &path,
            &SaverVars::All,
            5,
            None,
            true,
        );
        match r {
            Ok(prefix) => {
                self.log_line(
                    LogKind::Info,
                    tr_args(
                        "log-checkpoint-saved",
                        &[("count", count.to_string().into()), ("path", prefix.display().to_string().into())],
                    ),
                    None,
                );
                self.record(Step::SaveCheckpoint {
                    session: Some(id),
                    path: shown,
                    var_list: SaverVars::All,
                    max_to_keep: 5,
                    global_step: None,
                    write_meta_graph: true,
                });
            }
            Err(e) => {
                self.last_result = Some(RunResult { session: id, values: Vec::new(), error: Some(e.to_string()) });
                self.log_error(e.to_string(), e.node.map(|n| (graph, n)));
            }
        }
    }

    /// `tf.train.Saver().restore(sess, path)`: sets every variable of the session's graph from
    /// the checkpoint `path` names (a prefix, one of its files, or a `checkpoint` state file).
    pub(crate) fn restore_checkpoint(&mut self, session: usize, path: PathBuf) {
        let Some((count, graph, id)) = self.session_vars(session) else { return };
        let prefix = match prefix_of(&path) {
            Ok(p) => std::path::absolute(&p).unwrap_or(p),
            Err(e) => {
                self.last_result = Some(RunResult { session: id, values: Vec::new(), error: Some(e.clone()) });
                self.log_error(e, None);
                return;
            }
        };
        let shown = prefix.display().to_string();
        self.log_line(LogKind::Python, format!("tf.train.Saver().restore({id}, {})", py_repr(&shown)), None);
        match crate::interpreter::checkpoint::restore_at(&mut self.engine.ws, session, &prefix, &SaverVars::All) {
            Ok(()) => {
                self.log_line(
                    LogKind::Info,
                    tr_args(
                        "log-checkpoint-restored",
                        &[("count", count.to_string().into()), ("path", shown.clone().into())],
                    ),
                    None,
                );
                self.record(Step::RestoreCheckpoint { session: Some(id), path: shown, var_list: SaverVars::All });
            }
            Err(e) => {
                self.last_result = Some(RunResult { session: id, values: Vec::new(), error: Some(e.to_string()) });
                self.log_error(e.to_string(), e.node.map(|n| (graph, n)));
            }
        }
    }

    /// Opens the checkpoint browser on `path`.
    pub(crate) fn open_checkpoint(&mut self, path: PathBuf) {
        let b = CheckpointBrowser::open(&path);
        if let Some(e) = &b.error {
            self.log_error(format!("{}: {e}", path.display()), None);
        }
        self.checkpoint = Some(b);
    }
}
