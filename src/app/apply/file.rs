//! Files: New, Open (a file, a bundled example, a recent file), Save and Save As (atomic, with
//! referenced CSV paths rebased), the unsaved-changes prompt before replacing or closing the
//! document, and loading a project into the window.
//!
//! Calls into project: `Project::load`, `Project::from_json_str`, `Project::save`,
//! `Project::validate`, `project::csv::rebase_referenced` (`proceed`,
//! `save_to`).

use crate::app::dialogs::DialogKind;
use crate::app::examples;
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

    /// Saves to `p`, then carries out what waited for the save (the unsaved-changes prompt).
    pub(crate) fn save_to_then(&mut self, p: PathBuf) {
        if self.save_to(p)
            && let Some(next) = self.after_save.take()
        {
            self.proceed(next);
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
            Pending::OpenPath(path) => match Project::load(&path) {
                Ok(project) => {
                    self.load(project, Some(path.clone()), file_name(&path));
                    self.settings.add_recent(path);
                }
                Err(e) => {
                    self.modal = Some(Modal::Error {
                        title: format!("Could not open {}", file_name(&path)),
                        message: e.to_string(),
                    });
                }
            },
            Pending::OpenExample(file) => match examples::example(&file).map(|e| Project::from_json_str(e.text)) {
                Some(Ok(project)) => self.load(project, None, format!("{file} (example)")),
                Some(Err(e)) => {
                    self.modal = Some(Modal::Error { title: format!("Could not open {file}"), message: e.to_string() })
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

    /// Replaces the document with `project` (sessions of the old one are closed and forgotten).
    pub fn load(&mut self, project: Project, path: Option<PathBuf>, display: String) {
        let name = project.name.clone();
        self.engine = Engine::new(&project);
        self.doc = Document::new(project, path, display);
        self.history = History::default();
        self.sessions_meta.clear();
        self.view = ViewState::default();
        self.view.active_graph = self.engine.ws.default_graph;
        self.last_result = None;
        // A job on the old project is stopped (dropping it sends Stop) and forgotten.
        self.training = Training { setup: TrainSetup::from_project(&self.doc.project), ..Default::default() };
        self.log_line(LogKind::Info, format!("opened '{name}' ({})", self.doc.title_name()), None);
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
                        format!("{rebased} referenced CSV path(s) rewritten relative to {}", new_dir.display()),
                        None,
                    );
                }
                self.doc.project.base_dir = crate::project::BaseDir(Some(new_dir));
                self.doc.mark_saved(path.clone());
                self.log_line(LogKind::Info, format!("saved {}", path.display()), None);
                if let Err(e) = self.doc.project.validate() {
                    self.log_line(
                        LogKind::Warning,
                        format!("the saved file will not load until this is fixed: {e}"),
                        None,
                    );
                }
                self.settings.add_recent(path);
                true
            }
            Err(e) => {
                self.modal = Some(Modal::Error { title: "Could not save".to_string(), message: e.to_string() });
                false
            }
        }
    }
}
