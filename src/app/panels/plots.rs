//! The live training plots (egui_plot): the loss (batch loss and full-data eval loss against
//! the step or the wall time, TensorBoard smoothing, log scale, the logged evaluations marked),
//! the weights (one line per element of each watched variable, and a heatmap of each matrix at
//! the current step) and the decision boundary (the model's output over a grid of the 2-D input
//! plane, Playground colours, the data points on top; for a classifier on an IDX dataset, its
//! accuracy on the validation and test splits, the confusion matrix and predicted samples
//! instead). Everything drawn comes from the history the UI thread drained from the worker:
//! drawing never computes anything of the model.

use crate::app::command::Command;
use crate::app::i18n::{tr, tr_args};
use crate::app::model::export::PlotKind;
use crate::app::model::series::{Sample, smooth};
use crate::app::model::training::{TrainRun, value_label};
use crate::app::state::AppState;
use crate::app::style;
use crate::engine::fmt::numpy::printf_g;
use crate::engine::graph::tensor_name::TensorName;
use egui::{Color32, RichText};
use egui_plot::{Legend, Line, MarkerShape, Plot, PlotImage, PlotPoint, PlotPoints, Points, Text};

/// The x axis of the loss and weight plots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XAxis {
    /// Training step.
    #[default]
    Step,
    /// Seconds since training started.
    WallTime,
}

/// The most weight lines the weights plot names in a legend.
const MAX_LEGEND_ENTRIES: usize = 12;

/// Playground's colours: orange for label 0 (its -1), blue for label 1 (its +1).
pub const NEG: Color32 = Color32::from_rgb(245, 147, 34);
/// Blue for label 1.
pub const POS: Color32 = Color32::from_rgb(8, 119, 189);

/// Playground's boundary colour for an output in [0, 1]: orange, through white, to blue.
pub fn boundary_color(v: f32) -> Color32 {
    if !v.is_finite() {
        return Color32::from_gray(60);
    }
    let v = v.clamp(0.0, 1.0);
    let lerp = |a: u8, b: u8, t: f32| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
    let white = Color32::from_rgb(232, 234, 235);
    let (from, to, t) = if v < 0.5 { (NEG, white, v * 2.0) } else { (white, POS, (v - 0.5) * 2.0) };
    Color32::from_rgb(lerp(from.r(), to.r(), t), lerp(from.g(), to.g(), t), lerp(from.b(), to.b(), t))
}

/// At most about `max` of a line's points: in runs of neighbours, the lowest and the highest of
/// each, in the order they come (spikes stay; a line that fits is kept whole).
fn thin(points: Vec<[f64; 2]>, max: usize) -> Vec<[f64; 2]> {
    let run = points.len().div_ceil(max.max(2) / 2);
    if points.len() <= max || run < 2 {
        return points;
    }
    let mut out = Vec::with_capacity(max + 2);
    for c in points.chunks(run) {
        let lo = (0..c.len()).min_by(|&a, &b| c[a][1].total_cmp(&c[b][1])).unwrap_or(0);
        let hi = (0..c.len()).max_by(|&a, &b| c[a][1].total_cmp(&c[b][1])).unwrap_or(0);
        let (a, b) = (lo.min(hi), lo.max(hi));
        out.push(c[a]);
        if b != a {
            out.push(c[b]);
        }
    }
    out
}

/// A diverging colour for a weight (orange negative, blue positive), scaled by `max`.
fn weight_color(v: f64, max: f64) -> Color32 {
    let t = if max > 0.0 { (v / max).clamp(-1.0, 1.0) as f32 } else { 0.0 };
    boundary_color(0.5 + t * 0.5)
}

/// The plots' own state.
pub struct Plots {
    /// Smoothing weight (TensorBoard's slider), 0 to 0.99.
    pub smoothing: f64,
    /// Log-scale loss axis.
    pub log_scale: bool,
    /// Step or wall time.
    pub x_axis: XAxis,
    texture: Option<egui::TextureHandle>,
    texture_key: Option<(std::time::Instant, u64)>,
}

impl Default for Plots {
    fn default() -> Self {
        Plots { smoothing: 0.6, log_scale: false, x_axis: XAxis::Step, texture: None, texture_key: None }
    }
}

fn export_buttons(ui: &mut egui::Ui, plot: PlotKind, rect: Option<egui::Rect>, out: &mut Vec<Command>) {
    if ui.small_button("CSV").on_hover_text(tr("plots-export-csv-hint")).clicked() {
        out.push(Command::ExportCsv(plot));
    }
    if ui.small_button("PNG").on_hover_text(tr("plots-export-png-hint")).clicked()
        && let Some(rect) = rect
    {
        out.push(Command::ExportPng { plot, rect });
    }
}

impl Plots {
    fn x(&self, s: &Sample) -> f64 {
        match self.x_axis {
            XAxis::Step => s.step,
            XAxis::WallTime => s.time,
        }
    }

    fn y(&self, v: f64) -> f64 {
        if self.log_scale { if v > 0.0 { v.log10() } else { f64::NAN } } else { v }
    }

    /// Draws the three plots for the current (or last) job.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &AppState, out: &mut Vec<Command>) {
        let Some(run) = s.training.run.as_ref() else {
            ui.add_space(20.0);
            ui.label(RichText::new(tr("plots-empty")).weak());
            return;
        };
        let w = ui.available_width();
        let h = ui.available_height().max(300.0);
        let side = (w * 0.4).min(h * 0.55).max(160.0);
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width((w - side - 12.0).max(200.0));
                self.loss_ui(ui, run, h * 0.55 - 30.0, out);
            });
            ui.vertical(|ui| {
                ui.set_width(side);
                if run.split_accuracy.iter().any(|a| a.total() > 0) {
                    self.classifier_ui(ui, s, run, side);
                } else {
                    self.boundary_ui(ui, run, side - 30.0, out);
                }
            });
        });
        ui.separator();
        self.weights_ui(ui, run, (h * 0.45 - 90.0).max(120.0), out);
    }

    /// A classifier's accuracy on the validation and test splits, the test split's confusion
    /// matrix and its first examples with their predicted labels (IDX data).
    fn classifier_ui(&self, ui: &mut egui::Ui, s: &AppState, run: &TrainRun, side: f32) {
        egui::ScrollArea::vertical().id_salt("classifier-scroll").show(ui, |ui| {
            // Which output is counted: the one the loss is computed from, which is not the
            // moving-average model a log line may print (5.2.1's "using average model").
            let title = ui.label(RichText::new(tr("confusion-accuracy")).strong());
            if let Some(out) = &run.classifier {
                title.on_hover_text(tr_args("confusion-accuracy-hint", &[("tensor", out.as_str().into())]));
            }
            let lines: Vec<Vec<[f64; 2]>> =
                run.split_accuracy.iter().map(|a| a.points().iter().map(|p| [self.x(p), p.value]).collect()).collect();
            Plot::new("accuracy-plot")
                .height((side * 0.3).max(90.0))
                .legend(Legend::default())
                .include_y(0.0)
                .include_y(1.0)
                .y_axis_formatter(|m, _| printf_g(m.value, 3))
                .show(ui, |pui| {
                    for ((line, name), color) in lines
                        .into_iter()
                        .zip([tr("confusion-validation"), tr("confusion-test")])
                        .zip([style::OPEN, style::WARNING])
                    {
                        pui.line(Line::new(name, PlotPoints::new(line)).color(color).width(1.5));
                    }
                });
            let last = |k: usize| {
                run.split_accuracy
                    .get(k)
                    .and_then(|a| a.last())
                    .map_or_else(|| "—".to_string(), |p| printf_g(p.value, 4))
            };
            ui.label(
                RichText::new(tr_args(
                    "confusion-last-accuracy",
                    &[("validation", last(0).into()), ("test", last(1).into())],
                ))
                .small(),
            );
            if let Some(e) = &run.test_eval {
                ui.separator();
                crate::app::panels::confusion::confusion_ui(ui, e, side - 10.0);
                if let Some(Ok(sets)) = s.training.samples.as_ref().map(|x| &x.sets) {
                    ui.separator();
                    ui.label(RichText::new(tr("confusion-samples")).strong());
                    let columns = 8;
                    let picture = ((side - 60.0) / columns as f32).clamp(16.0, 40.0);
                    crate::app::panels::image_grid::ImageGrid { first: 0, count: 16, columns, picture }.ui(
                        ui,
                        &sets.test,
                        Some(&e.predicted),
                    );
                }
            }
        });
    }

    /// The learning rate under the loss, when it decays (a schedule such as
    /// `tf.train.exponential_decay`; a constant rate draws nothing).
    fn learning_rate_ui(&self, ui: &mut egui::Ui, run: &TrainRun) {
        let points = run.learning_rate.points();
        let decays = points.windows(2).any(|w| w[0].value != w[1].value);
        if !decays {
            return;
        }
        ui.label(RichText::new(tr("plots-learning-rate")).strong());
        let line: Vec<[f64; 2]> = points.iter().map(|p| [self.x(p), p.value]).collect();
        let run_color = style::run(ui.visuals());
        Plot::new("learning-rate-plot").height(80.0).y_axis_formatter(|m, _| printf_g(m.value, 3)).show(ui, |pui| {
            pui.line(Line::new(tr("plots-learning-rate-line"), PlotPoints::new(line)).color(run_color))
        });
    }

    fn loss_ui(&mut self, ui: &mut egui::Ui, run: &TrainRun, height: f32, out: &mut Vec<Command>) {
        let mut rect = None;
        let header = ui.horizontal(|ui| {
            ui.label(RichText::new(tr("plots-loss")).strong());
            let l = ui.label(tr("plots-smoothing"));
            ui.add(egui::Slider::new(&mut self.smoothing, 0.0..=0.99).fixed_decimals(2)).labelled_by(l.id);
            ui.checkbox(&mut self.log_scale, tr("plots-log-scale"));
            egui::ComboBox::from_id_salt("loss-x-axis")
                .selected_text(match self.x_axis {
                    XAxis::Step => tr("plots-x-step"),
                    XAxis::WallTime => tr("plots-x-wall-time"),
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.x_axis, XAxis::Step, tr("plots-x-step"));
                    ui.selectable_value(&mut self.x_axis, XAxis::WallTime, tr("plots-x-wall-time"));
                });
            ui.id()
        });
        let _ = header;
        let batch = run.batch_loss.points();
        let evals = run.eval_loss.points();
        // Smoothed over every kept point, then no more points drawn per line than the plot has
        // pixels across (the lowest and highest of each run of neighbours, in order).
        let within = (ui.available_width() * ui.ctx().pixels_per_point()).max(64.0) as usize;
        let raw: Vec<[f64; 2]> = thin(batch.iter().map(|p| [self.x(p), self.y(p.value)]).collect(), within);
        let smoothed: Vec<f64> = smooth(&batch.iter().map(|p| p.value).collect::<Vec<_>>(), self.smoothing);
        let sm: Vec<[f64; 2]> =
            thin(batch.iter().zip(&smoothed).map(|(p, &v)| [self.x(p), self.y(v)]).collect(), within);
        let ev: Vec<[f64; 2]> = evals.iter().map(|p| [self.x(p), self.y(p.value)]).collect();
        let split_lines: Vec<Vec<[f64; 2]>> =
            run.split_loss.iter().map(|l| l.points().iter().map(|p| [self.x(p), self.y(p.value)]).collect()).collect();
        let (eval_name, eval_split) = eval_line_name(run);
        let log = self.log_scale;
        let x_name = match self.x_axis {
            XAxis::Step => tr("plots-x-step-short"),
            XAxis::WallTime => tr("plots-x-time-short"),
        };
        let labels: Vec<(f64, f64, String)> = if run.eval_logs.len() <= 12 {
            run.eval_logs
                .iter()
                .filter_map(|(step, v, _)| {
                    let t = evals.iter().find(|p| p.step == *step as f64)?;
                    Some((self.x(t), self.y(*v), printf_g(*v, 6)))
                })
                .collect()
        } else {
            Vec::new()
        };
        let smoothing = self.smoothing;
        let loss_word = tr("plots-hover-loss");
        // The eval loss and its labels, readable on either theme.
        let run_color = style::run(ui.visuals());
        let resp = Plot::new("loss-plot")
            .height(height.max(120.0))
            .legend(Legend::default())
            .x_axis_label(x_name.clone())
            .y_axis_formatter(move |m, _| if log { printf_g(10f64.powf(m.value), 3) } else { printf_g(m.value, 4) })
            .label_formatter(move |pos| {
                let (name, p) = match pos {
                    egui_plot::HoverPosition::NearDataPoint { plot_name, position, .. } => (*plot_name, *position),
                    egui_plot::HoverPosition::Elsewhere { position } => ("", *position),
                };
                let y = if log { 10f64.powf(p.y) } else { p.y };
                Some(format!("{name}\n{x_name} {}\n{loss_word} {}", printf_g(p.x, 8), printf_g(y, 8)))
            })
            .show(ui, |pui| {
                if smoothing > 0.0 {
                    pui.line(
                        Line::new(tr("plots-batch-loss-raw"), PlotPoints::new(raw))
                            .color(style::SELECTED.gamma_multiply(0.3)),
                    );
                    pui.line(
                        Line::new(tr("plots-batch-loss-smoothed"), PlotPoints::new(sm))
                            .color(style::SELECTED)
                            .width(1.5),
                    );
                } else {
                    pui.line(Line::new(tr("plots-batch-loss"), PlotPoints::new(raw)).color(style::SELECTED));
                }
                pui.line(Line::new(eval_name.clone(), PlotPoints::new(ev.clone())).color(run_color).width(1.5));
                for (k, ((line, name), color)) in split_lines
                    .into_iter()
                    .zip([tr("confusion-validation-loss"), tr("confusion-test-loss")])
                    .zip([style::OPEN, style::WARNING])
                    .enumerate()
                {
                    // The set the evaluations feed is drawn once, as the eval line.
                    if !line.is_empty() && eval_split != Some(k) {
                        pui.line(Line::new(name, PlotPoints::new(line)).color(color).width(1.5));
                    }
                }
                pui.add(
                    Points::new(eval_name, PlotPoints::new(ev))
                        .shape(MarkerShape::Diamond)
                        .radius(4.0)
                        .color(run_color),
                );
                for (x, y, text) in labels {
                    pui.text(
                        Text::new("", PlotPoint::new(x, y), RichText::new(text).small().color(run_color))
                            .anchor(egui::Align2::LEFT_BOTTOM),
                    );
                }
            });
        rect.get_or_insert(resp.response.rect);
        self.learning_rate_ui(ui, run);
        ui.horizontal(|ui| {
            let last = run.batch_loss.last().map_or_else(|| "—".to_string(), |p| printf_g(p.value, 6));
            let last_eval = run.eval_logs.last().map_or_else(
                || "—".to_string(),
                |(s, v, _)| {
                    tr_args("plots-at-step-value", &[("value", printf_g(*v, 6).into()), ("step", s.to_string().into())])
                },
            );
            ui.label(
                RichText::new(tr_args("plots-last-losses", &[("batch", last.into()), ("eval", last_eval.into())]))
                    .small(),
            );
            export_buttons(ui, PlotKind::Loss, rect, out);
        });
    }

    fn boundary_ui(&mut self, ui: &mut egui::Ui, run: &TrainRun, side: f32, out: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.label(RichText::new(tr("plots-boundary")).strong());
            if let Some(b) = &run.boundary {
                ui.label(RichText::new(tr_args("plots-step", &[("step", b.step.to_string().into())])).small().weak());
            }
        });
        let Some(((x0, x1), (y0, y1))) = run.data_range else {
            ui.label(RichText::new(tr("plots-boundary-needs")).small().weak());
            return;
        };
        if let Some(b) = &run.boundary {
            let key = Some((run.started, run.boundary_rev));
            if self.texture.is_none() || self.texture_key != key {
                let n = b.resolution.max(2);
                let mut pixels = Vec::with_capacity(n * n);
                for r in (0..n).rev() {
                    for c in 0..n {
                        pixels.push(boundary_color(b.values.get(r * n + c).copied().unwrap_or(f32::NAN)));
                    }
                }
                let img = egui::ColorImage::new([n, n], pixels);
                match &mut self.texture {
                    Some(t) => t.set(img, egui::TextureOptions::LINEAR),
                    None => {
                        self.texture =
                            Some(ui.ctx().load_texture("decision-boundary", img, egui::TextureOptions::LINEAR))
                    }
                }
                self.texture_key = key;
            }
        }
        let tex = self.texture.as_ref().filter(|_| run.boundary.is_some()).map(|t| t.id());
        let (pos, neg): (Vec<[f64; 2]>, Vec<[f64; 2]>) = {
            let mut p = Vec::new();
            let mut n = Vec::new();
            for q in &run.points {
                if q[2] > 0.5 { p.push([q[0], q[1]]) } else { n.push([q[0], q[1]]) }
            }
            (p, n)
        };
        let resp = Plot::new("boundary-plot")
            .width(side.max(120.0))
            .height(side.max(120.0))
            .data_aspect(((x1 - x0) / (y1 - y0).max(1e-9)) as f32)
            .default_x_bounds(x0, x1)
            .default_y_bounds(y0, y1)
            .show_grid(false)
            .label_formatter(|pos| {
                let p = match pos {
                    egui_plot::HoverPosition::NearDataPoint { position, .. } => *position,
                    egui_plot::HoverPosition::Elsewhere { position } => *position,
                };
                Some(format!("x1 {:.4}\nx2 {:.4}", p.x, p.y))
            })
            .show(ui, |pui| {
                if let Some(t) = tex {
                    pui.add(PlotImage::new(
                        "output",
                        t,
                        PlotPoint::new((x0 + x1) / 2.0, (y0 + y1) / 2.0),
                        egui::vec2((x1 - x0) as f32, (y1 - y0) as f32),
                    ));
                }
                pui.add(
                    Points::new(tr_args("plots-label", &[("label", "1".into())]), PlotPoints::new(pos))
                        .radius(2.5)
                        .color(POS)
                        .filled(true),
                );
                pui.add(
                    Points::new(tr_args("plots-label", &[("label", "0".into())]), PlotPoints::new(neg))
                        .radius(2.5)
                        .color(NEG)
                        .filled(true),
                );
            });
        let rect = resp.response.rect;
        ui.horizontal(|ui| {
            ui.label(RichText::new(tr("plots-boundary-colors")).small().weak());
            export_buttons(ui, PlotKind::Boundary, Some(rect), out);
        });
    }

    fn weights_ui(&mut self, ui: &mut egui::Ui, run: &TrainRun, height: f32, out: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.label(RichText::new(tr("plots-weights")).strong());
            ui.label(
                RichText::new(tr_args("plots-variables", &[("count", run.weights.len().to_string().into())]))
                    .small()
                    .weak(),
            );
        });
        let heat_w: f32 = run
            .weights
            .iter()
            .map(|w| w.shape.get(1).copied().unwrap_or(1) as f32 * 56.0 + 16.0)
            .sum::<f32>()
            .max(120.0);
        let mut rect = None;
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width((ui.available_width() - heat_w - 12.0).max(200.0));
                let palette = [
                    Color32::from_rgb(86, 156, 255),
                    Color32::from_rgb(242, 201, 76),
                    Color32::from_rgb(111, 207, 151),
                    Color32::from_rgb(235, 87, 87),
                    Color32::from_rgb(187, 107, 217),
                    Color32::from_rgb(242, 153, 74),
                    Color32::from_rgb(39, 174, 140),
                    Color32::from_rgb(200, 200, 200),
                    Color32::from_rgb(255, 120, 200),
                ];
                let mut k = 0usize;
                // No more points per line than the plot has pixels across.
                let within = (ui.available_width() * ui.ctx().pixels_per_point()).max(64.0) as usize;
                let lines: Vec<(String, Vec<[f64; 2]>, Color32)> = run
                    .weights
                    .iter()
                    .flat_map(|w| w.series.iter().enumerate().map(move |(i, sr)| (w, i, sr)))
                    .map(|(w, i, sr)| {
                        let name = format!(
                            "{}[{}]",
                            TensorName::op_of(&w.name),
                            crate::app::model::export::element_index(&w.shape, i)
                        );
                        let pts = sr.points_within(within).iter().map(|p| [self.x(p), p.value]).collect();
                        let c = palette[k % palette.len()];
                        k += 1;
                        (name, pts, c)
                    })
                    .collect();
                let x_name = match self.x_axis {
                    XAxis::Step => tr("plots-x-step-short"),
                    XAxis::WallTime => tr("plots-x-time-short"),
                };
                let value_word = tr("plots-hover-value");
                let mut plot = Plot::new("weights-plot").height(height);
                // One legend entry per element: beyond a dozen, or more than the plot's height
                // holds, the list runs over the plots around it, so the lines are named on hover
                // only.
                let row = ui.text_style_height(&egui::TextStyle::Small) + 6.0;
                if lines.len() <= MAX_LEGEND_ENTRIES && lines.len() as f32 * row + 12.0 <= height {
                    plot = plot.legend(
                        Legend::default().text_style(egui::TextStyle::Small).position(egui_plot::Corner::RightBottom),
                    );
                }
                let resp = plot
                    .x_axis_label(x_name.clone())
                    .label_formatter(move |pos| match pos {
                        egui_plot::HoverPosition::NearDataPoint { plot_name, position, .. } => Some(format!(
                            "{plot_name}\n{x_name} {}\n{value_word} {}",
                            printf_g(position.x, 8),
                            printf_g(position.y, 8)
                        )),
                        egui_plot::HoverPosition::Elsewhere { position } => {
                            Some(format!("{x_name} {}\n{}", printf_g(position.x, 6), printf_g(position.y, 6)))
                        }
                    })
                    .show(ui, |pui| {
                        for (name, pts, c) in lines {
                            pui.line(Line::new(name, PlotPoints::new(pts)).color(c));
                        }
                    });
                rect = Some(resp.response.rect);
            });
            ui.vertical(|ui| {
                ui.label(
                    RichText::new(tr_args("plots-at-step", &[("step", run.step.to_string().into())])).small().weak(),
                );
                ui.horizontal_top(|ui| {
                    for w in &run.weights {
                        heatmap(ui, w);
                    }
                });
            });
        });
        ui.horizontal(|ui| {
            ui.label(RichText::new(tr("plots-weights-legend")).small().weak());
            export_buttons(ui, PlotKind::Weights, rect, out);
        });
    }
}

/// A weight matrix as coloured cells with their values.
fn heatmap(ui: &mut egui::Ui, w: &crate::app::model::training::WatchedVar) {
    let (rows, cols) = match w.shape.as_slice() {
        [r, c] => (*r, *c),
        [n] => (1, *n),
        [] => (1, 1),
        s => (s.iter().take(s.len() - 1).product(), s.last().copied().unwrap_or(1)),
    };
    let max = w.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    ui.vertical(|ui| {
        ui.label(RichText::new(TensorName::op_of(&w.name)).small().monospace());
        let cell = egui::vec2(52.0, 20.0);
        let (rect, resp) =
            ui.allocate_exact_size(egui::vec2(cell.x * cols as f32, cell.y * rows as f32), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        for r in 0..rows {
            for c in 0..cols {
                let Some(&v) = w.values.get(r * cols + c) else { continue };
                let min = rect.min + egui::vec2(c as f32 * cell.x, r as f32 * cell.y);
                let cr = egui::Rect::from_min_size(min, cell).shrink(1.0);
                let fill = weight_color(v, max);
                painter.rect_filled(cr, 2.0, fill);
                let text_color = if fill.r() as u32 + fill.g() as u32 + fill.b() as u32 > 450 {
                    Color32::BLACK
                } else {
                    Color32::WHITE
                };
                painter.text(
                    cr.center(),
                    egui::Align2::CENTER_CENTER,
                    value_label(v),
                    egui::FontId::monospace(12.0),
                    text_color,
                );
            }
        }
        let _ = resp
            .on_hover_text(crate::app::model::training::as_value(w).map_or_else(String::new, |v| v.to_numpy_string()));
    });
}

/// The eval line's name, after what the evaluations feed: all rows of a table ("eval loss (all
/// data)"), or one set of image data, the project's log split ("validation loss", as the log line
/// says); with the index of that set's own line among the classifier's split lines, which would
/// repeat it.
fn eval_line_name(run: &TrainRun) -> (String, Option<usize>) {
    use crate::train::data::dataset::DatasetSource;
    use crate::train::data::idx::Split;
    match (&run.setup.dataset, run.setup.log_split) {
        (DatasetSource::Idx { .. }, Some(Split::Validation)) => (tr("confusion-validation-loss"), Some(0)),
        (DatasetSource::Idx { .. }, Some(Split::Test)) => (tr("confusion-test-loss"), Some(1)),
        (DatasetSource::Idx { .. }, _) => (tr("plots-training-set-loss"), None),
        _ => (tr("plots-eval-loss"), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_spikes_order_and_short_lines() {
        let line: Vec<[f64; 2]> =
            (0..10_000).map(|i| [i as f64, if i == 4321 { 99.0 } else { (i % 7) as f64 }]).collect();
        let few = thin(line.clone(), 400);
        assert!(few.len() <= 402, "{}", few.len());
        assert!(few.iter().any(|p| p[1] == 99.0));
        assert!(few.windows(2).all(|w| w[0][0] < w[1][0]));
        assert_eq!(thin(line[..300].to_vec(), 400), line[..300].to_vec());
    }
}
