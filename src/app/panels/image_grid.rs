//! The sample-images view of an image dataset: a grid of small pictures of a set's examples
//! (grey levels as `input_data` scales them, black on white), each captioned with its true
//! label and, when predictions are given, the predicted one (red where they differ). It reads
//! an [`ImageSet`] and emits nothing; a panel places it where samples are wanted.

use crate::app::i18n::{tr, tr_args};
use crate::train::data::idx::{ImageSet, pixel_table};
use egui::{Color32, Rect, RichText, Sense, Vec2};

/// The grid's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImageGrid {
    /// The first example shown.
    pub first: usize,
    /// How many examples are shown (fewer when the set ends first).
    pub count: usize,
    /// Pictures per row.
    pub columns: usize,
    /// The side of a picture in points.
    pub picture: f32,
}

impl Default for ImageGrid {
    fn default() -> Self {
        ImageGrid { first: 0, count: 24, columns: 8, picture: 48.0 }
    }
}

/// The caption of an example: its label `7`, or `7 -> 1` (label, then prediction) when the
/// prediction differs.
pub fn caption(label: u8, predicted: Option<u8>) -> String {
    match predicted {
        Some(p) if p != label => format!("{label} -> {p}"),
        _ => label.to_string(),
    }
}

impl ImageGrid {
    /// Draws the grid of `set`'s examples; `predicted[k]` is the model's class for example
    /// `first + k`.
    pub fn ui(&self, ui: &mut egui::Ui, set: &ImageSet, predicted: Option<&[u8]>) {
        let end = self.first.saturating_add(self.count).min(set.len());
        if self.first >= end || set.pixels() == 0 {
            ui.label(RichText::new(tr("images-none")).weak());
            return;
        }
        let table = pixel_table();
        let (h, w) = (set.height, set.width);
        let columns = self.columns.max(1);
        let indices: Vec<usize> = (self.first..end).collect();
        egui::Grid::new(("image_grid", self.first)).spacing(Vec2::splat(6.0)).show(ui, |ui| {
            for (k, &i) in indices.iter().enumerate() {
                let label = set.label(i);
                let pred = predicted.and_then(|p| p.get(i - self.first)).copied();
                ui.vertical(|ui| {
                    let side = self.picture;
                    let (rect, response) = ui.allocate_exact_size(Vec2::splat(side), Sense::hover());
                    let painter = ui.painter_at(rect);
                    painter.rect_filled(rect, 0.0, Color32::WHITE);
                    let cell = Vec2::new(side / w as f32, side / h as f32);
                    for (p, &b) in set.image(i).iter().enumerate() {
                        if b == 0 {
                            continue;
                        }
                        let grey = (255.0 * (1.0 - table[b as usize])).round() as u8;
                        let min = rect.min + Vec2::new((p % w) as f32 * cell.x, (p / w) as f32 * cell.y);
                        painter.rect_filled(Rect::from_min_size(min, cell), 0.0, Color32::from_gray(grey));
                    }
                    let text = caption(label, pred);
                    match pred {
                        Some(p) => response.on_hover_text(tr_args(
                            "images-example-predicted",
                            &[
                                ("index", i.to_string().into()),
                                ("label", label.to_string().into()),
                                ("predicted", p.to_string().into()),
                            ],
                        )),
                        None => response.on_hover_text(tr_args(
                            "images-example",
                            &[("index", i.to_string().into()), ("label", label.to_string().into())],
                        )),
                    };
                    let wrong = pred.is_some_and(|p| p != label);
                    let rich = RichText::new(text).small();
                    ui.label(if wrong { rich.color(Color32::from_rgb(200, 40, 40)) } else { rich });
                });
                if (k + 1) % columns == 0 {
                    ui.end_row();
                }
            }
        });
    }
}
