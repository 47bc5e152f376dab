//! Modal windows: an error (such as the loader's message for a bad file), the unsaved-changes
//! prompt, New session, Rename node, Rename graph, and the guide to TF1's concepts.

use crate::app::command::Command;
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

/// The guide shown by Help.
pub const GUIDE: &str = "\
A TensorFlow 1.x program has two phases.

1. Build a graph. Every tf.constant, tf.placeholder, tf.Variable and operation adds a node to a \
tf.Graph. Nothing is computed: a node's output is a symbolic tensor named op:index (add:0) with a \
dtype and a static shape, where ? is a dimension known only at run time. Here: add nodes from the \
palette or by typing their name, and wire outputs to inputs. A wire TF would refuse (a dtype or \
shape mismatch) is refused with TF's message.

2. Run it in a session. tf.Session(graph, config) holds the state of one run of the graph: \
variable values and random generators. sess.run(fetches, feed_dict) executes only the nodes the \
fetches need; every placeholder among them must be fed. Variables must be initialized \
(tf.global_variables_initializer()) in each session: two sessions on one graph hold different \
values. sess.close() frees everything; a closed session can no longer run.

ConfigProto: allow_soft_placement lets an op that asks for a missing device (/gpu:0) fall back to \
the CPU; log_device_placement prints where each op runs.

Shortcuts: Ctrl+Z undo, Ctrl+Shift+Z redo, Del delete, Ctrl+A select all, Ctrl+C / Ctrl+V copy and \
paste, Ctrl+S save, Ctrl+Shift+S save as, Ctrl+O open, Ctrl+N new, Ctrl+Enter run, F1 this guide. \
On the canvas: drag to pan, scroll or pinch to zoom, shift-drag to box-select, right-click for \
menus, click an output label to fetch it, right-click a pin to drop its wires.";

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
                    if ui.button("OK").clicked() {
                        out.push(Command::CloseModal);
                    }
                }
                Modal::Unsaved(p) => {
                    ui.heading("Unsaved changes");
                    ui.label(format!("Save the changes to {} first?", s.doc.title_name()));
                    ui.horizontal(|ui| {
                        if ui.button("Save").clicked() {
                            out.push(Command::Proceed(Pending::SaveThen(Box::new(p.clone()))));
                        }
                        if ui.button("Don't save").clicked() {
                            out.push(Command::Proceed(p.clone()));
                        }
                        if ui.button("Cancel").clicked() {
                            out.push(Command::CloseModal);
                        }
                    });
                }
                Modal::NewSession { .. } => {
                    ui.heading("New session");
                    ui.label("sess = tf.Session(graph=..., config=...)");
                    egui::Grid::new("new-session").num_columns(2).show(ui, |ui| {
                        let l = ui.label("graph");
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
                        let l = ui.label("config");
                        egui::ComboBox::from_id_salt("ns-config")
                            .selected_text(self.config.clone().unwrap_or_else(|| "ConfigProto() (default)".to_string()))
                            .show_ui(ui, |ui| {
                                ui.selectable_value(&mut self.config, None, "ConfigProto() (default)");
                                for c in &s.doc.project.configs {
                                    ui.selectable_value(
                                        &mut self.config,
                                        Some(c.name.clone()),
                                        format!("{}: {}", c.name, c.config.summary()),
                                    );
                                }
                            })
                            .response
                            .labelled_by(l.id);
                        ui.end_row();
                    });
                    ui.horizontal(|ui| {
                        if ui.button("Open session").clicked() {
                            out.push(Command::CloseModal);
                            out.push(Command::OpenSession { graph: self.graph, config: self.config.clone() });
                        }
                        if ui.button("Cancel").clicked() {
                            out.push(Command::CloseModal);
                        }
                    });
                }
                Modal::RenameNode { graph, node } => {
                    ui.heading(format!("Rename {node}"));
                    let l = ui.label("new name");
                    let r = ui.text_edit_singleline(&mut self.text).labelled_by(l.id);
                    r.request_focus();
                    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    ui.horizontal(|ui| {
                        if ui.button("Rename").clicked() || enter {
                            out.push(Command::CloseModal);
                            out.push(Command::RenameNode { graph: *graph, old: node.clone(), new: self.text.clone() });
                        }
                        if ui.button("Cancel").clicked() {
                            out.push(Command::CloseModal);
                        }
                    });
                }
                Modal::RenameGraph { graph } => {
                    ui.heading("Rename graph");
                    let l = ui.label("new name");
                    let r = ui.text_edit_singleline(&mut self.text).labelled_by(l.id);
                    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    ui.horizontal(|ui| {
                        if ui.button("Rename").clicked() || enter {
                            out.push(Command::CloseModal);
                            out.push(Command::RenameGraph { graph: *graph, name: self.text.clone() });
                        }
                        if ui.button("Cancel").clicked() {
                            out.push(Command::CloseModal);
                        }
                    });
                }
                Modal::Help => {
                    ui.heading("The TF1 graph-and-session model");
                    egui::ScrollArea::vertical().max_height(480.0).show(ui, |ui| {
                        ui.add(egui::Label::new(GUIDE).wrap());
                    });
                    if ui.button("Close").clicked() {
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
