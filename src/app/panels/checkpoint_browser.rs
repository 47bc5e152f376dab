//! The checkpoint browser (File ▸ Open checkpoint…): a window listing a TF checkpoint's
//! tensors as TF's checkpoint reader does (name, dtype, shape) with the total number of values,
//! and the selected tensor's value as numpy prints it; "Restore into session" restores the
//! checkpoint into the run panel's session. It reads the [`CheckpointBrowser`] in `AppState`
//! and emits commands (select, restore, open another, close).

use crate::app::command::Command;
use crate::app::i18n::{tr, tr_args};
use crate::app::model::checkpoint::{CheckpointBrowser, shape_text};
use egui::RichText;

/// The browser window (no state of its own).
#[derive(Default)]
pub struct CheckpointBrowserView {}

impl CheckpointBrowserView {
    /// Draws the window; `session` is the run panel's open session, if any (with its id).
    pub fn ui(
        &mut self,
        b: &CheckpointBrowser,
        ctx: &egui::Context,
        session: Option<(usize, String)>,
        out: &mut Vec<Command>,
    ) {
        let mut open = true;
        egui::Window::new(tr("ckpt-title"))
            .id(egui::Id::new("flowbench-checkpoint-browser"))
            .open(&mut open)
            .collapsible(false)
            .resizable(true)
            .default_width(620.0)
            .default_height(440.0)
            .show(ctx, |ui| {
                // The prefix's name, its folder on hover.
                let name = b.prefix.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                ui.label(tr_args("ckpt-prefix", &[("path", name.into())]))
                    .on_hover_text(b.prefix.display().to_string());
                if let Some(e) = &b.error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                ui.horizontal(|ui| {
                    if ui.button(tr("ckpt-open-other")).clicked() {
                        out.push(Command::OpenCheckpointDialog);
                    }
                    let restore = ui.add_enabled(
                        session.is_some() && b.error.is_none(),
                        egui::Button::new(match &session {
                            Some((_, id)) => tr_args("ckpt-restore-into", &[("session", id.clone().into())]),
                            None => tr("ckpt-restore-no-session"),
                        }),
                    );
                    if restore.clicked()
                        && let Some((s, _)) = &session
                    {
                        out.push(Command::RestoreCheckpoint { session: *s, path: b.prefix.clone() });
                    }
                });
                if b.error.is_some() {
                    return;
                }
                ui.label(tr_args(
                    "ckpt-summary",
                    &[("count", b.tensors.len().to_string().into()), ("params", b.total_params().to_string().into())],
                ));
                ui.separator();
                ui.columns(2, |cols| {
                    if let [left, right] = cols {
                        egui::ScrollArea::vertical().id_salt("ckpt-tensors").show(left, |ui| {
                            egui::Grid::new("ckpt-tensor-grid").striped(true).num_columns(3).show(ui, |ui| {
                                ui.strong(tr("ckpt-col-name"));
                                ui.strong(tr("ckpt-col-dtype"));
                                ui.strong(tr("ckpt-col-shape"));
                                ui.end_row();
                                for t in &b.tensors {
                                    let selected = b.selected.as_deref() == Some(t.name.as_str());
                                    if ui.selectable_label(selected, RichText::new(&t.name).monospace()).clicked() {
                                        out.push(Command::SelectCheckpointTensor(t.name.clone()));
                                    }
                                    ui.monospace(t.dtype_name());
                                    ui.monospace(shape_text(t));
                                    ui.end_row();
                                }
                            });
                        });
                        egui::ScrollArea::both().id_salt("ckpt-value").show(right, |ui| {
                            if let Some(name) = &b.selected {
                                ui.strong(name);
                            }
                            match &b.value {
                                Some(Ok(text)) => {
                                    ui.add(egui::Label::new(RichText::new(text).monospace()).extend());
                                }
                                Some(Err(e)) => {
                                    ui.colored_label(ui.visuals().error_fg_color, e);
                                }
                                None => {
                                    ui.weak(tr("ckpt-no-selection"));
                                }
                            }
                        });
                    }
                });
            });
        if !open {
            out.push(Command::CloseCheckpointBrowser);
        }
    }
}
