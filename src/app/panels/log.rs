//! The log: the Python line equivalent to each action, the device placement log when
//! `log_device_placement` is on, run results, and every error; an error or placement line that
//! concerns a node links to it.

use crate::app::command::Command;
use crate::app::i18n::{explain_tf_error, tr, tr_args};
use crate::app::model::log::LogKind;
use crate::app::state::AppState;
use crate::app::style;
use egui::RichText;

/// The panel (no state of its own).
#[derive(Default)]
pub struct LogPanel {}

impl LogPanel {
    /// Draws the log, newest at the bottom.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &AppState, out: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.heading(tr("log-heading"));
            if ui.small_button(tr("log-clear")).clicked() {
                out.push(Command::ClearLog);
            }
            if ui.small_button(tr("log-replay")).on_hover_text(tr("log-replay-hint")).clicked() {
                out.push(Command::ReplayScript);
            }
            ui.weak(tr_args("log-script-steps", &[("count", s.doc.project.script.len().to_string().into())]));
        });
        egui::ScrollArea::vertical().id_salt("log-scroll").stick_to_bottom(true).auto_shrink([false, false]).show(
            ui,
            |ui| {
                for (i, e) in s.log.iter().enumerate() {
                    let text = match e.kind {
                        LogKind::Python => {
                            // A line inside a block (a loop's body) continues as the REPL shows it.
                            let prompt = if e.text.starts_with(' ') { "..." } else { ">>>" };
                            RichText::new(format!("{prompt} {}", e.text)).monospace().color(style::python(ui.visuals()))
                        }
                        LogKind::Placement => RichText::new(&e.text).monospace().weak(),
                        LogKind::Result => RichText::new(&e.text).monospace(),
                        LogKind::Error => RichText::new(&e.text).monospace().color(style::error(ui.visuals())),
                        LogKind::Warning => RichText::new(&e.text).color(style::warning(ui.visuals())),
                        LogKind::Info => RichText::new(&e.text).small().weak(),
                    };
                    ui.horizontal_wrapped(|ui| {
                        ui.add(egui::Label::new(text).wrap());
                        if let Some((g, node)) = &e.node
                            && ui
                                .add(egui::Button::new(RichText::new(format!("→ {node}")).small()).small())
                                .on_hover_text(tr("log-show-node"))
                                .clicked()
                        {
                            out.push(Command::Focus { graph: *g, node: node.clone() });
                        }
                    });
                    if matches!(e.kind, LogKind::Error)
                        && let Some(x) = explain_tf_error(&e.text)
                    {
                        ui.label(RichText::new(x).color(style::warning(ui.visuals())));
                    }
                    let _ = i;
                }
            },
        );
    }
}
