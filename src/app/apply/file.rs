//! Files: New, Open (a file, a bundled example, a recent file), Save and Save As (atomic, with
//! referenced CSV paths rebased), the unsaved-changes prompt before replacing or closing the
//! document, loading a project into the window, and the answers of file dialogs (native or the
//! built-in browser). A failed open or save says why in a modal and in the log, and changes
//! nothing: the document and what waited for the save stay as they were.
//!
//! Calls into project (a `.py` program opens in the program view, `crate::app::apply::program`):
//! `Project::load`, `Project::from_json_str`, `Project::save`, `Project::validate`,
//! `project::csv::rebase_referenced` (`proceed`, `save_to`).

use crate::app::dialogs::DialogKind;
use crate::app::examples;
use crate::app::i18n::{tr, tr_args};
use crate::app::model::document::{Document, Engine, dir_of, file_name};
use crate::app::model::log::LogKind;
use crate::app::model::modal::{Modal, Pending};
use crate::app::model::training::{TrainSetup, Training};
use crate::app::model::undo::History;
use crate::app::model::view::ViewState;
use crate::app::state::AppState;
use crate::project::Project;
use std::path::PathBuf;

impl AppState {
    /// File ▸ Save: to the document's path, or asks for one.
    pub(crate) fn save(&mut self) {
        match self.doc.path.clone() {
            Some(p) => {
                self.save_to(p);
            }
            None => self.ask_dialog(DialogKind::SaveAs),
        }
    }

    /// Shows the built-in file browser for `kind`, in the project's folder (or the one browsed
    /// last, or the current folder).
    pub(crate) fn show_file_browser(&mut self, kind: DialogKind, suggested: &str) {
        let dir = self
            .project_dir()
            .filter(|d| d.is_dir())
            .or_else(|| self.settings.last_dir.clone().filter(|d| d.is_dir()))
            .unwrap_or_else(|| PathBuf::from("."));
        self.browser = Some(crate::app::model::file_browser::FileBrowser::new(kind, suggested, dir));
    }

    /// A file dialog answered (`None`: cancelled): carries out what it was asked for.
    pub(crate) fn dialog_answered(&mut self, kind: DialogKind, path: Option<PathBuf>) {
        if let Some(b) = self.browser.take() {
            self.settings.last_dir = Some(b.dir);
        }
        match (kind, path) {
            (DialogKind::Open, Some(p)) => self.proceed(Pending::OpenPath(p)),
            (DialogKind::SaveAs, Some(p)) => self.save_to_then(p),
            (DialogKind::ExportCsv | DialogKind::ExportPng, Some(p)) => self.write_export(p),
            (DialogKind::ExportCsv | DialogKind::ExportPng, None) => self.export.bytes = None,
            (DialogKind::ExportTfScript, Some(p)) => self.write_tf_script(p),
            (DialogKind::ImportCsv, Some(p)) => {
                self.csv_import = Some(crate::app::model::csv_import::CsvImportDialog::open(p))
            }
            (DialogKind::Open | DialogKind::ExportTfScript | DialogKind::ImportCsv, None) => {}
            (DialogKind::SaveCheckpoint | DialogKind::RestoreCheckpoint | DialogKind::OpenCheckpoint, path) => {
                self.checkpoint_answered(kind, path)
            }
            (DialogKind::ImportTfGraph, Some(p)) => self.guard(Pending::OpenPath(p)),
            (DialogKind::ImportTfGraph, None) => {}
            (DialogKind::SaveAs, None) => {
                if self.after_save.take().is_some() {
                    self.log_line(LogKind::Info, tr("log-save-cancelled"), None);
                }
            }
        }
    }

    /// Reports a failed file operation: a modal saying why (its text goes to the log when it is
    /// closed, see [`AppState::close_modal`]).
    pub(crate) fn file_error(&mut self, title: String, message: String) {
        self.modal = Some(Modal::Error { title, message });
    }

    /// Closes the modal; an error's text stays in the log. What waited for a save is dropped.
    pub(crate) fn close_modal(&mut self) {
        if let Some(Modal::Error { title, message }) = self.modal.take() {
            self.log_error(format!("{title}: {message}"), None);
        }
        self.after_save = None;
    }

    /// Saves to `p`, then carries out what waited for the save (the unsaved-changes prompt).
    pub(crate) fn save_to_then(&mut self, p: PathBuf) {
        let saved = self.save_to(p);
        match self.after_save.take() {
            Some(next) if saved => self.proceed(next),
            // Nothing is closed or replaced when the save failed.
            _ => {}
        }
    }

    /// Asks first when there are unsaved changes, then carries out `p`.
    pub(crate) fn guard(&mut self, p: Pending) {
        if self.doc.is_dirty() {
            self.modal = Some(Modal::Unsaved(p));
        } else {
            self.proceed(p);
        }
    }

    /// Carries out `p` without asking.
    pub(crate) fn proceed(&mut self, p: Pending) {
        match p {
            Pending::New => {
                self.load(Project::default(), None, "untitled.json".to_string());
            }
            Pending::OpenDialog => self.ask_dialog(DialogKind::Open),
            Pending::OpenPath(path) if is_python(&path) => self.open_python(&path),
            Pending::OpenPath(path) if crate::project::tf_graph::is_graph_file(&path) => self.open_tf_graph(&path),
            Pending::OpenPath(path) if crate::app::model::checkpoint::is_checkpoint_file(&path) => {
                self.open_checkpoint(path)
            }
            Pending::OpenPath(path) => match Project::load(&path) {
                Ok(project) => {
                    self.load(project, Some(path.clone()), file_name(&path));
                    self.settings.add_recent(path);
                }
                Err(e) => self
                    .file_error(tr_args("error-could-not-open", &[("name", file_name(&path).into())]), e.to_string()),
            },
            Pending::OpenExample(file) => match examples::example_project(&file) {
                Some(Ok(project)) => self.load(project, None, format!("{file} (example)")),
                Some(Err(e)) => {
                    self.file_error(tr_args("error-could-not-open", &[("name", file.as_str().into())]), e.to_string())
                }
                None => {}
            },
            Pending::Quit => {
                self.allow_close = true;
                self.quit_requested = true;
            }
            Pending::SaveThen(next) => {
                let path = self.doc.path.clone();
                match path {
                    Some(path) => {
                        if self.save_to(path) {
                            self.proceed(*next);
                        }
                    }
                    None => {
                        self.after_save = Some(*next);
                        self.ask_dialog(DialogKind::SaveAs);
                    }
                }
            }
        }
    }

    /// Opens `path` given on the command line (`flowbench FILE`): made absolute so the title,
    /// Recent and later saves name it; when it cannot be opened the startup document stays and
    /// a modal (and the log) says why.
    pub fn open_at_start(&mut self, path: PathBuf) {
        let path = std::path::absolute(&path).unwrap_or(path);
        self.proceed(Pending::OpenPath(path));
    }

    /// Opens TF's graph file (`.pb`, `.pbtxt`, `.meta`) as a new unsaved project: nodes with ops
    /// flowbench lacks stay as nodes in error naming TF's op (listed in the log), so the graph
    /// can be looked at and its other parts run.
    fn open_tf_graph(&mut self, path: &std::path::Path) {
        let gd = match crate::project::tf_graph::read_graph_file(path) {
            Ok(g) => g,
            Err(e) => {
                return self.file_error(tr_args("error-could-not-open", &[("name", file_name(path).into())]), e);
            }
        };
        let name = path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let (project, unsupported) = crate::project::tf_graph::project_from_graph_def(&gd, &name);
        self.load(project, None, format!("{name}.json"));
        for s in &unsupported {
            self.log_line(
                LogKind::Warning,
                tr_args(
                    "log-graph-node-unsupported",
                    &[("node", s.node.clone().into()), ("why", s.why.clone().into())],
                ),
                Some((0, s.node.clone())),
            );
        }
        self.settings.add_recent(path.to_path_buf());
    }

    /// Replaces the document with `project` (sessions of the old one are closed and forgotten).
    pub fn load(&mut self, project: Project, path: Option<PathBuf>, display: String) {
        // The project's title in the UI's language where it carries one.
        let name = project.notes_in(crate::app::i18n::language().code).0.to_string();
        // A program that was shown (and still ran) is closed.
        self.program = None;
        self.reset_document(project, path, display);
        self.log_line(
            LogKind::Info,
            tr_args("log-opened", &[("name", name.to_string().into()), ("file", self.doc.title_name().into())]),
            None,
        );
    }

    /// Replaces the document and everything derived from it (without a log line).
    pub(crate) fn reset_document(&mut self, project: Project, path: Option<PathBuf>, display: String) {
        self.engine = Engine::new(&project);
        self.doc = Document::new(project, path, display);
        self.history = History::default();
        self.sessions_meta.clear();
        self.view = ViewState::default();
        self.view.active_graph = self.engine.ws.default_graph;
        self.last_result = None;
        // A debug run or a paused step of the old project ends (dropping the debugger aborts it).
        self.debug = Default::default();
        // A job on the old project is stopped (dropping it sends Stop) and forgotten.
        self.training = Training { setup: TrainSetup::from_project(&self.doc.project), ..Default::default() };
        self.pace_example();
    }

    /// Opens a file dialog on the next frame, suggesting the document's file name.
    pub(crate) fn ask_dialog(&mut self, kind: DialogKind) {
        let suggested = match &self.doc.path {
            Some(p) => file_name(p),
            None => self.doc.display_name.trim_end_matches(" (example)").to_string(),
        };
        self.pending_dialog = Some((kind, suggested));
    }

    /// Saves atomically to `path`; returns true on success.
    fn save_to(&mut self, path: PathBuf) -> bool {
        // Referenced CSV files keep resolving from the new folder (Save As elsewhere).
        let new_dir = dir_of(&path);
        let mut project = self.doc.project.clone();
        let rebased = crate::project::csv::rebase_referenced(&mut project, self.project_dir().as_deref(), &new_dir);
        match project.save(&path) {
            Ok(()) => {
                if rebased > 0 {
                    self.doc.project.datasets = project.datasets;
                    self.log_line(
                        LogKind::Info,
                        tr_args(
                            "log-csv-paths-rebased",
                            &[("count", rebased.to_string().into()), ("dir", new_dir.display().to_string().into())],
                        ),
                        None,
                    );
                }
                self.doc.project.base_dir = crate::project::BaseDir(Some(new_dir));
                self.doc.mark_saved(path.clone());
                self.log_line(
                    LogKind::Info,
                    tr_args("log-saved", &[("path", path.display().to_string().into())]),
                    None,
                );
                if let Err(e) = self.doc.project.validate() {
                    self.log_line(
                        LogKind::Warning,
                        tr_args("log-saved-invalid", &[("error", e.to_string().into())]),
                        None,
                    );
                }
                self.settings.add_recent(path);
                true
            }
            Err(e) => {
                self.file_error(
                    tr_args("error-could-not-save", &[("path", path.display().to_string().into())]),
                    e.to_string(),
                );
                false
            }
        }
    }
}

/// True for a `.py` file.
fn is_python(p: &std::path::Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("py"))
}
