//! Exports: a training plot's data as CSV or the plot as PNG (a screenshot of its rect, taken
//! with egui's `ViewportCommand::Screenshot` and cropped; the file name is asked through the
//! dialogs trait and the bytes wait in [`crate::app::model::export::PendingExport`]), and
//! File ▸ Export ▸ TensorFlow script….
//!
//! Calls into export: `write_tf_script` (`crate::export::python::export`).

use crate::app::dialogs::DialogKind;
use crate::app::i18n::{tr, tr_args};
use crate::app::model::export::{PlotKind, plot_csv};
use crate::app::model::log::LogKind;
use crate::app::png::encode_png;
use crate::app::state::AppState;
use std::path::{Path, PathBuf};

impl AppState {
    /// Prepares the CSV of `plot` and asks where to save it.
    pub fn export_csv(&mut self, plot: PlotKind) {
        match self.training.run.as_ref().and_then(|run| plot_csv(run, plot)) {
            Some(text) => {
                let name = format!("{}.csv", plot.file_stem());
                self.export.bytes = Some((text.into_bytes(), name.clone()));
                self.pending_dialog = Some((DialogKind::ExportCsv, name));
            }
            None => self.log_line(LogKind::Warning, tr("log-nothing-to-export"), None),
        }
    }

    /// Takes a finished screenshot (from the frame's input events), crops it to the plot and
    /// asks where to save the PNG.
    pub fn take_screenshot(&mut self, image: &egui::ColorImage, pixels_per_point: f32) {
        let Some((plot, rect)) = self.export.screenshot.take() else { return };
        self.export.requested = false;
        let cropped = image.region(&rect, Some(pixels_per_point));
        let png = encode_png(cropped.width() as u32, cropped.height() as u32, &cropped.pixels);
        let name = format!("{}.png", plot.file_stem());
        self.export.bytes = Some((png, name.clone()));
        self.pending_dialog = Some((DialogKind::ExportPng, name));
    }

    /// Writes the pending export to `path`.
    pub fn write_export(&mut self, path: PathBuf) {
        let Some((bytes, name)) = self.export.bytes.take() else { return };
        match crate::project::io::write_atomic(&path, &bytes) {
            Ok(()) => self.log_line(
                LogKind::Info,
                tr_args("log-exported", &[("path", path.display().to_string().into())]),
                None,
            ),
            Err(e) => {
                // Kept, so that the export can be tried again elsewhere.
                self.export.bytes = Some((bytes, name));
                self.file_error(
                    tr_args("error-could-not-write", &[("path", path.display().to_string().into())]),
                    e.to_string(),
                );
            }
        }
    }

    /// Writes the project as a TF `compat.v1` script to `path`. Ops with no TF equivalent are
    /// logged by name (and marked `# unsupported:` in the script).
    pub fn write_tf_script(&mut self, path: PathBuf) {
        let opts = crate::export::ExportOptions {
            project_dir: self.doc.path.as_deref().and_then(Path::parent).map(Path::to_path_buf),
            script_dir: path.parent().map(Path::to_path_buf),
            ..Default::default()
        };
        let export = match crate::export::python::export(&self.doc.project, &opts) {
            Ok(x) => x,
            Err(e) => {
                self.file_error(tr("error-could-not-export-script"), e.to_string());
                return;
            }
        };
        for u in &export.unsupported {
            self.log_error(tr_args("ux-export-unsupported", &[("what", u.to_string().into())]), None);
        }
        match crate::project::io::write_atomic(&path, export.text.as_bytes()) {
            Ok(()) => self.log_line(
                LogKind::Info,
                tr_args("log-exported-script", &[("path", path.display().to_string().into())]),
                None,
            ),
            Err(e) => self.file_error(
                tr_args("error-could-not-write", &[("path", path.display().to_string().into())]),
                e.to_string(),
            ),
        }
    }
}
