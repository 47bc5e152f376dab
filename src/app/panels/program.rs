//! The Python program view, beside the graph: the program's source with line numbers, the line
//! about to run marked (the line of an error in red), breakpoints (a click on a line number),
//! where the program is, and Run / Step (F10) / Continue (F9) / Pause / Stop. What the program prints goes to the log; its graphs
//! and sessions to the canvas and the sessions panel (see `crate::app::apply`).

use crate::app::command::Command;
use crate::app::i18n::{tr, tr_args};
use crate::app::model::program::{ProgramCommand, ProgramState, ProgramView};
use crate::app::state::AppState;
use crate::app::style;
use egui::{Color32, RichText};

/// The view's widget state: the line last scrolled to.
#[derive(Default)]
pub struct ProgramPanel {
    scrolled_to: Option<(usize, u8)>,
}

/// Where the program is, in the UI's language.
pub fn status(pv: &ProgramView) -> String {
    let line = pv.line.map_or_else(|| "—".to_string(), |l| l.to_string());
    match pv.state {
        ProgramState::Paused if pv.line.is_none() => tr("program-starting"),
        ProgramState::Paused => tr_args("program-paused", &[("line", line.into())]),
        ProgramState::Running => tr_args("program-running", &[("line", line.into())]),
        ProgramState::Finished => tr("program-finished"),
        ProgramState::Failed => tr_args("program-failed", &[("line", line.into())]),
        ProgramState::Stopped => tr_args("program-stopped", &[("line", line.into())]),
    }
}

impl ProgramPanel {
    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &AppState, out: &mut Vec<Command>) {
        let Some(pv) = s.program.as_ref() else { return };
        let cmd = |c: ProgramCommand| Command::Program(c);
        ui.horizontal(|ui| {
            ui.heading(RichText::new(pv.file_name()).monospace());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.small_button("✖").on_hover_text(tr("program-close-hint")).clicked() {
                    out.push(cmd(ProgramCommand::Close));
                }
            });
        });
        let v = ui.visuals().clone();
        let colour = match pv.state {
            ProgramState::Paused | ProgramState::Running => style::run(&v),
            ProgramState::Finished => style::ok(&v),
            ProgramState::Failed => style::error(&v),
            ProgramState::Stopped => style::warning(&v),
        };
        ui.label(RichText::new(status(pv)).strong().color(colour));
        if let Some((_, message)) = &pv.error {
            ui.label(RichText::new(message).monospace().small().color(style::error(&v)));
        }
        let live = pv.stepper.is_some() && pv.state.is_live();
        let paused = live && pv.state == ProgramState::Paused;
        let running = live && pv.state == ProgramState::Running;
        ui.horizontal_wrapped(|ui| {
            if ui.button(tr("program-run")).on_hover_text(tr("program-run-hint")).clicked() {
                out.push(cmd(ProgramCommand::Run));
            }
            if ui
                .add_enabled(!running, egui::Button::new(tr("program-step")))
                .on_hover_text(tr("program-step-hint"))
                .clicked()
            {
                out.push(cmd(ProgramCommand::Step));
            }
            if ui
                .add_enabled(paused, egui::Button::new(tr("program-continue")))
                .on_hover_text(tr("program-continue-hint"))
                .clicked()
            {
                out.push(cmd(ProgramCommand::Continue));
            }
            if ui.add_enabled(running, egui::Button::new(tr("program-pause"))).clicked() {
                out.push(cmd(ProgramCommand::Pause));
            }
            if ui
                .add_enabled(live, egui::Button::new(tr("program-stop")))
                .on_hover_text(tr("program-stop-hint"))
                .clicked()
            {
                out.push(cmd(ProgramCommand::Stop));
            }
        });
        ui.separator();
        self.source(ui, pv, out);
    }

    /// The source, one row per line, scrolled to the current line when it moves.
    fn source(&mut self, ui: &mut egui::Ui, pv: &ProgramView, out: &mut Vec<Command>) {
        let lines: Vec<&str> = pv.source.lines().collect();
        let digits = lines.len().max(1).to_string().len();
        let row_h = ui.text_style_height(&egui::TextStyle::Monospace) + ui.spacing().item_spacing.y;
        let error_line = pv.error.as_ref().map(|e| e.0).filter(|_| pv.state == ProgramState::Failed);
        let mark = pv.line.filter(|_| pv.state != ProgramState::Finished);
        let dark = ui.visuals().dark_mode;
        let current_bg = if dark { Color32::from_rgb(80, 70, 20) } else { Color32::from_rgb(255, 236, 150) };
        let error_bg = if dark { Color32::from_rgb(100, 30, 30) } else { Color32::from_rgb(255, 205, 205) };
        let mut area = egui::ScrollArea::both().id_salt("program-source").auto_shrink([false, false]);
        let key = mark.map(|l| (l, pv.state as u8));
        if key.is_some() && key != self.scrolled_to {
            self.scrolled_to = key;
            if let Some(l) = mark {
                let h = ui.available_height();
                area = area.vertical_scroll_offset(((l as f32 - 1.0) * row_h - h / 2.0).max(0.0));
            }
        }
        let bp_colour = style::error(ui.visuals());
        area.show_rows(ui, row_h, lines.len(), |ui, range| {
            for i in range {
                let n = i + 1;
                let text = lines[i].replace('\t', "    ");
                let marker = if Some(n) == mark { "▶" } else { " " };
                let mut rt = RichText::new(format!("{marker} {text}")).monospace();
                if Some(n) == error_line {
                    rt = rt.background_color(error_bg);
                } else if Some(n) == mark {
                    rt = rt.background_color(current_bg);
                }
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = 2.0;
                    // The gutter: a click sets or clears a breakpoint.
                    let bp = pv.breakpoints.contains(&n);
                    let dot = RichText::new(if bp { "●" } else { " " }).monospace().color(bp_colour);
                    let number = RichText::new(format!("{n:>digits$}")).monospace().weak();
                    let hint = tr("program-breakpoint-hint");
                    let a = ui.add(egui::Label::new(dot).sense(egui::Sense::click())).on_hover_text(&hint);
                    let b = ui.add(egui::Label::new(number).sense(egui::Sense::click())).on_hover_text(&hint);
                    if a.clicked() || b.clicked() {
                        out.push(Command::Program(ProgramCommand::ToggleBreakpoint(n)));
                    }
                    ui.add(egui::Label::new(rt).extend());
                });
            }
        });
    }
}
