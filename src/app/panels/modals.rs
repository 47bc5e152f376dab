//! Modal windows: an error (such as the loader's message for a bad file), the unsaved-changes
//! prompt, New session, Rename node, Rename graph, and the guide to TF1's concepts.

use crate::app::command::Command;
use crate::app::i18n::{explain_tf_error, paragraph, tr, tr_args};
use crate::app::model::modal::{Modal, Pending};
use crate::app::state::AppState;
use egui::RichText;

/// Edit buffers of the modal shown.
#[derive(Default)]
pub struct ModalsView {
    shown: Option<Modal>,
    text: String,
    graph: usize,
    config: Option<String>,
}

/// The guide shown by Help: (heading, paragraph) message ids, in order.
pub const GUIDE: &[(&str, &str)] = &[
    ("guide-graph-heading", "guide-graph"),
    ("guide-tensor-heading", "guide-tensor"),
    ("guide-session-heading", "guide-session"),
    ("guide-device-heading", "guide-device"),
    ("guide-training-heading", "guide-training"),
    ("guide-shortcuts-heading", "guide-shortcuts"),
];

impl ModalsView {
    /// Draws the modal in `s.modal`, if any.
    pub fn ui(&mut self, ctx: &egui::Context, s: &AppState, out: &mut Vec<Command>) {
        let Some(m) = &s.modal else {
            self.shown = None;
            return;
        };
        if self.shown.as_ref() != Some(m) {
            self.shown = Some(m.clone());
            self.text = match m {
                Modal::RenameNode { node, .. } => node.clone(),
                Modal::RenameGraph { graph } => {
                    s.doc.project.graphs.get(*graph).map_or_else(String::new, |g| g.name.clone())
                }
                _ => String::new(),
            };
            self.graph = match m {
                Modal::NewSession { graph } => *graph,
                _ => 0,
            };
            self.config = None;
        }
        let resp = egui::Modal::new(egui::Id::new("flowbench-modal")).show(ctx, |ui| {
            ui.set_max_width(560.0);
            match m {
                Modal::Error { title, message } => {
                    ui.heading(title);
                    ui.add(egui::Label::new(RichText::new(message).monospace()).wrap());
                    if let Some(x) = explain_tf_error(message) {
                        ui.add(egui::Label::new(x).wrap());
                    }
                    if ui.button(tr("modal-ok")).clicked() {
                        out.push(Command::CloseModal);
                    }
                }
                Modal::Unsaved(p) => {
                    ui.heading(tr("modal-unsaved"));
                    ui.label(tr_args("modal-save-first", &[("name", s.doc.title_name().into())]));
                    ui.horizontal(|ui| {
                        if ui.button(tr("modal-save")).clicked() {
                            out.push(Command::Proceed(Pending::SaveThen(Box::new(p.clone()))));
                        }
                        if ui.button(tr("modal-dont-save")).clicked() {
                            out.push(Command::Proceed(p.clone()));
                        }
                        if ui.button(tr("modal-cancel")).clicked() {
                            out.push(Command::CloseModal);
                        }
                    });
                }
                Modal::NewSession { .. } => {
                    ui.heading(tr("modal-new-session"));
                    ui.label("sess = tf.Session(graph=..., config=...)");
                    egui::Grid::new("new-session").num_columns(2).show(ui, |ui| {
                        let l = ui.label(tr("modal-graph"));
                        let gname = s.doc.project.graphs.get(self.graph).map_or("", |g| g.name.as_str());
                        egui::ComboBox::from_id_salt("ns-graph")
                            .selected_text(gname)
                            .show_ui(ui, |ui| {
                                for (i, g) in s.doc.project.graphs.iter().enumerate() {
                                    ui.selectable_value(&mut self.graph, i, &g.name);
                                }
                            })
                            .response
                            .labelled_by(l.id);
                        ui.end_row();
                        let l = ui.label(tr("modal-config"));
                        egui::ComboBox::from_id_salt("ns-config")
                            .selected_text(self.config.clone().unwrap_or_else(|| tr("config-default-name")))
                            .show_ui(ui, |ui| {
                                ui.selectable_value(&mut self.config, None, tr("config-default-name"));
                                for c in &s.doc.project.configs {
                                    ui.selectable_value(
                                        &mut self.config,
                                        Some(c.name.clone()),
                                        format!(
                                            "{}: {}",
                                            c.name,
                                            crate::app::panels::sessions::config_summary(&c.config)
                                        ),
                                    );
                                }
                            })
                            .response
                            .labelled_by(l.id);
                        ui.end_row();
                    });
                    ui.horizontal(|ui| {
                        if ui.button(tr("modal-open-session")).clicked() {
                            out.push(Command::CloseModal);
                            out.push(Command::OpenSession { graph: self.graph, config: self.config.clone() });
                        }
                        if ui.button(tr("modal-cancel")).clicked() {
                            out.push(Command::CloseModal);
                        }
                    });
                }
                Modal::RenameNode { graph, node } => {
                    ui.heading(tr_args("modal-rename-node", &[("name", node.as_str().into())]));
                    let l = ui.label(tr("modal-new-name"));
                    let r = ui.text_edit_singleline(&mut self.text).labelled_by(l.id);
                    r.request_focus();
                    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    ui.horizontal(|ui| {
                        if ui.button(tr("modal-rename")).clicked() || enter {
                            out.push(Command::CloseModal);
                            out.push(Command::RenameNode { graph: *graph, old: node.clone(), new: self.text.clone() });
                        }
                        if ui.button(tr("modal-cancel")).clicked() {
                            out.push(Command::CloseModal);
                        }
                    });
                }
                Modal::RenameGraph { graph } => {
                    ui.heading(tr("modal-rename-graph"));
                    let l = ui.label(tr("modal-new-name"));
                    let r = ui.text_edit_singleline(&mut self.text).labelled_by(l.id);
                    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    ui.horizontal(|ui| {
                        if ui.button(tr("modal-rename")).clicked() || enter {
                            out.push(Command::CloseModal);
                            out.push(Command::RenameGraph { graph: *graph, name: self.text.clone() });
                        }
                        if ui.button(tr("modal-cancel")).clicked() {
                            out.push(Command::CloseModal);
                        }
                    });
                }
                Modal::Help => {
                    ui.heading(tr("guide-title"));
                    // A fixed size from the first frame, so the Close button holds still.
                    ui.set_width(540.0);
                    egui::ScrollArea::vertical().max_height(480.0).min_scrolled_height(480.0).show(ui, |ui| {
                        for (heading, text) in GUIDE {
                            ui.label(RichText::new(tr(heading)).strong());
                            ui.add(egui::Label::new(paragraph(text)).wrap());
                            ui.add_space(6.0);
                        }
                    });
                    if ui.button(tr("guide-close")).clicked() {
                        out.push(Command::CloseModal);
                    }
                }
            }
        });
        if resp.should_close() && !matches!(m, Modal::Unsaved(_)) && !out.contains(&Command::CloseModal) {
            out.push(Command::CloseModal);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_guide_message_exists_in_every_language() {
        for lang in crate::app::i18n::LANGUAGES {
            crate::app::i18n::set_language(lang.code);
            for (heading, text) in GUIDE {
                assert_ne!(tr(heading), *heading, "{} lacks {heading}", lang.code);
                assert_ne!(tr(text), *text, "{} lacks {text}", lang.code);
            }
        }
        crate::app::i18n::set_language("en");
    }
}
