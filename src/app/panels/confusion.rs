//! The confusion-matrix view of a classifier's evaluation on one split: a
//! `NUM_CLASSES × NUM_CLASSES` grid, rows the true label and columns the predicted class, each
//! cell coloured by its count (relative to its row) with the count written. It reads a
//! [`SplitEval`] and emits nothing; the plots panel places it beside the accuracy curves.

use crate::app::i18n::{tr, tr_args};
use crate::train::data::idx::NUM_CLASSES;
use crate::train::worker::SplitEval;
use egui::{Align2, Color32, FontId, Rect, RichText, Sense, Stroke, StrokeKind, Vec2};

/// The sum of a confusion matrix (the split's size).
pub fn total(eval: &SplitEval) -> u64 {
    eval.confusion.iter().sum()
}

/// The colour of a cell holding `count` of its row's `row_total` examples: white to blue for
/// the diagonal (correct), white to red elsewhere.
fn cell_color(count: u64, row_total: u64, diagonal: bool) -> Color32 {
    let f = if row_total > 0 { (count as f32 / row_total as f32).clamp(0.0, 1.0) } else { 0.0 };
    let f = if diagonal { f } else { f.sqrt() };
    let (r, g, b) = if diagonal { (40.0, 110.0, 220.0) } else { (215.0, 60.0, 60.0) };
    let mix = |c: f32| (255.0 + (c - 255.0) * f).round() as u8;
    Color32::from_rgb(mix(r), mix(g), mix(b))
}

/// Draws the matrix of `eval` in a square of about `side` points.
pub fn confusion_ui(ui: &mut egui::Ui, eval: &SplitEval, side: f32) {
    let n = NUM_CLASSES;
    ui.label(
        RichText::new(tr_args(
            "confusion-title",
            &[
                ("split", eval.split.name().into()),
                ("step", eval.step.to_string().into()),
                ("total", total(eval).to_string().into()),
            ],
        ))
        .strong(),
    );
    let label_w = 18.0;
    let cell = ((side - label_w) / n as f32).max(10.0);
    let size = Vec2::new(label_w + cell * n as f32, label_w + cell * n as f32);
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    let text_color = ui.visuals().text_color();
    let font = FontId::monospace((cell * 0.38).clamp(7.0, 12.0));
    let origin = rect.min + Vec2::splat(label_w);
    for k in 0..n {
        let c = origin + Vec2::new((k as f32 + 0.5) * cell, -label_w * 0.5);
        painter.text(c, Align2::CENTER_CENTER, k.to_string(), font.clone(), text_color);
        let r = origin + Vec2::new(-label_w * 0.5, (k as f32 + 0.5) * cell);
        painter.text(r, Align2::CENTER_CENTER, k.to_string(), font.clone(), text_color);
    }
    for t in 0..n {
        let row_total: u64 = eval.confusion.get(t * n..(t + 1) * n).map_or(0, |r| r.iter().sum());
        for p in 0..n {
            let count = eval.confusion.get(t * n + p).copied().unwrap_or(0);
            let min = origin + Vec2::new(p as f32 * cell, t as f32 * cell);
            let r = Rect::from_min_size(min, Vec2::splat(cell));
            painter.rect_filled(r, 0.0, cell_color(count, row_total, t == p));
            painter.rect_stroke(r, 0.0, Stroke::new(0.5, Color32::from_gray(200)), StrokeKind::Inside);
            if count > 0 {
                painter.text(r.center(), Align2::CENTER_CENTER, count.to_string(), font.clone(), Color32::BLACK);
            }
        }
    }
    response.on_hover_text(tr("confusion-hint"));
}
