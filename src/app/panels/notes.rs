//! The notes panel: the open project's title, its description and its comments (the
//! explanations the tutorial's examples carry, such as 3_1_device's "set /gpu:0 on add to see
//! soft placement"), as markdown-ish text: blank lines separate paragraphs, `- ` starts a bullet,
//! `# ` a heading, and `code` in backticks is set in monospace. Where the project carries a
//! translation into the UI's language (`translations` in the file), that is shown instead.

use crate::app::i18n::tr;
use crate::app::state::AppState;
use egui::RichText;
use egui::text::LayoutJob;

/// The panel (no state of its own).
#[derive(Default)]
pub struct NotesPanel {}

impl NotesPanel {
    /// Draws the notes of the open project.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &AppState) {
        let p = &s.doc.project;
        egui::CollapsingHeader::new(RichText::new(tr("notes-heading")).heading())
            .id_salt("notes")
            .default_open(true)
            .show(ui, |ui| {
                // In the UI's language where the project carries a translation.
                let (name, description, comments) = p.notes_in(crate::app::i18n::language().code);
                if !name.is_empty() {
                    ui.label(RichText::new(name).strong());
                }
                if description.trim().is_empty() && comments.is_empty() {
                    ui.weak(tr("notes-empty"));
                }
                text_block(ui, description);
                for c in comments {
                    ui.horizontal_top(|ui| {
                        ui.label("•");
                        ui.vertical(|ui| text_block(ui, c));
                    });
                }
            });
    }
}

/// Paragraphs, bullets and headings of markdown-ish `text`.
pub fn text_block(ui: &mut egui::Ui, text: &str) {
    for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        for line in para.lines() {
            let line = line.trim_end();
            if let Some(h) = line.strip_prefix("# ").or_else(|| line.strip_prefix("## ")) {
                ui.label(RichText::new(h).strong());
            } else if let Some(b) =
                line.trim_start().strip_prefix("- ").or_else(|| line.trim_start().strip_prefix("* "))
            {
                ui.horizontal_top(|ui| {
                    ui.label("•");
                    ui.add(egui::Label::new(inline(ui, b)).wrap());
                });
            } else {
                ui.add(egui::Label::new(inline(ui, line)).wrap());
            }
        }
        ui.add_space(4.0);
    }
}

/// One line with `code` spans in monospace.
fn inline(ui: &egui::Ui, line: &str) -> LayoutJob {
    let mut job = LayoutJob::default();
    let body = egui::TextStyle::Body.resolve(ui.style());
    let mono = egui::TextStyle::Monospace.resolve(ui.style());
    let color = ui.visuals().text_color();
    for (i, part) in line.split('`').enumerate() {
        let font = if i % 2 == 1 { mono.clone() } else { body.clone() };
        job.append(part, 0.0, egui::TextFormat { font_id: font, color, ..Default::default() });
    }
    job.wrap.max_width = ui.available_width();
    job
}
