//! The debugger's views: its window (where the run stands, Step / Step over a scope / Continue /
//! Run to the selected node / Continue until a filter matches / Stop, the run's plan in
//! execution order with breakpoints, and, for a training step, each trained variable's value
//! before, gradient, slots and value after with TF's update formula), the inspector's section
//! (the full values of the selected node's outputs and inputs), and what the canvas draws on
//! each node ([`canvas_info`]: not run yet, run with its values and a histogram, current).

use crate::app::command::Command;
use crate::app::i18n::{tr, tr_args};
use crate::app::model::debugger::{
    DebugCommand, DebugState, Filter, OpRecord, Pause, VarUpdate, formula, histogram, lock, updates,
};
use crate::app::state::AppState;
use crate::app::style;
use crate::engine::runtime::observer::Summary;
use crate::engine::value::Value;
use egui::RichText;
use std::collections::HashMap;

/// The outline of the op the debugged run paused after (on the dark theme; the canvas uses
/// [`style::debug_current`]).
pub const CURRENT: egui::Color32 = egui::Color32::from_rgb(235, 90, 255);
/// The colour of the values written on the nodes (on the dark theme; the canvas uses
/// [`style::debug_value`]).
pub const VALUE: egui::Color32 = egui::Color32::from_rgb(120, 200, 255);

/// Values with at most this many elements are printed on their node; larger ones get
/// min/mean/max and a histogram.
pub const PRINTED_ELEMENTS: usize = 6;

/// Where a node stands in the debugged run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeRun {
    /// In the plan, not run yet.
    Pending,
    /// Ran.
    Ran,
    /// The op that ran last (the run is paused after it).
    Current,
}

/// What the canvas draws on one node.
#[derive(Clone, Debug, Default)]
pub struct NodeDebug {
    /// Where it stands (`None`: not in the run).
    pub run: Option<NodeRun>,
    /// Its outputs' values as text (shape and dtype, then the values or min/mean/max).
    pub lines: Vec<String>,
    /// A histogram of its first output, for larger tensors.
    pub hist: Option<Vec<u32>>,
    /// A breakpoint is set on it.
    pub breakpoint: bool,
}

/// The text a node shows for one output: `(1, 3) float32` then the value as numpy prints it
/// (small values) or its min/mean/max.
pub fn value_lines(s: &Summary, v: Option<&Value>) -> Vec<String> {
    let mut lines = vec![format!("{} {}", s.shape_text(), s.dtype)];
    match v {
        Some(v) if v.len() <= PRINTED_ELEMENTS => lines.extend(v.to_numpy_string().lines().map(str::to_string)),
        _ => {
            let t = s.text();
            let head = format!("{} {} ", s.shape_text(), s.dtype);
            lines.push(t.strip_prefix(&head).unwrap_or(&t).to_string());
        }
    }
    if s.non_finite > 0 {
        lines.push(tr_args("debug-non-finite", &[("count", s.non_finite.to_string().into())]));
    }
    lines
}

/// Whether graph `g` shows a debugged run (its nodes then carry [`canvas_info`]'s values).
pub fn shows_run(s: &AppState, g: usize) -> bool {
    s.debug.shown.as_ref().is_some_and(|shown| {
        let st = lock(shown);
        st.graph == g && !st.order.is_empty()
    })
}

/// What each node of graph `g` shows of the debugged run (empty when none is shown for `g`).
pub fn canvas_info(s: &AppState, g: usize) -> HashMap<String, NodeDebug> {
    let mut out: HashMap<String, NodeDebug> = HashMap::new();
    for b in &s.debug.breakpoints {
        out.entry(b.clone()).or_default().breakpoint = true;
    }
    let Some(shown) = &s.debug.shown else { return out };
    let st = lock(shown);
    if st.graph != g || st.order.is_empty() {
        return out;
    }
    let current = if st.done && !st.paused { None } else { st.records.last().map(|r| r.name.clone()) };
    for (name, _) in &st.order {
        out.entry(name.clone()).or_default().run = Some(NodeRun::Pending);
    }
    for r in &st.records {
        let d = out.entry(r.name.clone()).or_default();
        d.run = Some(if current.as_deref() == Some(r.name.as_str()) { NodeRun::Current } else { NodeRun::Ran });
        d.lines = r
            .outputs
            .iter()
            .zip(&r.values)
            .enumerate()
            .flat_map(|(k, (s, v))| {
                let mut l = value_lines(s, v.as_ref());
                if r.outputs.len() > 1 {
                    l[0] = format!(":{k} {}", l[0]);
                }
                l
            })
            .collect();
        d.hist = match (r.values.first(), r.outputs.first()) {
            (Some(Some(v)), Some(_)) if v.len() > PRINTED_ELEMENTS => Some(histogram(v, 16)),
            _ => None,
        };
    }
    out
}

/// Draws a histogram's bars in a small box.
pub fn draw_histogram(ui: &mut egui::Ui, bins: &[u32]) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(128.0, 26.0), egui::Sense::hover());
    let max = bins.iter().copied().max().unwrap_or(0).max(1) as f32;
    let w = rect.width() / bins.len().max(1) as f32;
    let p = ui.painter();
    p.rect_stroke(rect, 2.0, egui::Stroke::new(1.0, ui.visuals().weak_text_color()), egui::StrokeKind::Inside);
    for (i, &c) in bins.iter().enumerate() {
        let h = (rect.height() - 4.0) * c as f32 / max;
        let x = rect.left() + i as f32 * w;
        let bar = egui::Rect::from_min_max(
            egui::pos2(x + 1.0, rect.bottom() - 2.0 - h),
            egui::pos2(x + w - 1.0, rect.bottom() - 2.0),
        );
        p.rect_filled(bar, 0.0, style::run(ui.visuals()));
    }
}

/// Where the run stands, in words.
fn status_text(st: &DebugState) -> String {
    let step = st.step().map(|n| {
        let key = if st.between_steps { "debug-after-step" } else { "debug-training-step" };
        tr_args(key, &[("step", n.to_string().into())])
    });
    let last = st.records.last().map(|r| format!("{} ({})", r.name, r.type_name)).unwrap_or_default();
    let count = || [("done", st.records.len().to_string().into()), ("total", st.order.len().to_string().into())];
    let text = if st.paused {
        match &st.why {
            Some(Pause::Start) => tr_args("debug-paused-start", &[("total", st.order.len().to_string().into())]),
            Some(Pause::Breakpoint(_)) => {
                let mut a = count().to_vec();
                a.push(("op", last.into()));
                tr_args("debug-paused-breakpoint", &a)
            }
            Some(Pause::Filter(f, t)) => {
                let op = st.records.last().map(|r| r.type_name).unwrap_or_default();
                tr_args(
                    "debug-paused-filter",
                    &[("filter", f.name().into()), ("tensor", t.as_str().into()), ("type", op.into())],
                )
            }
            _ => {
                let mut a = count().to_vec();
                a.push(("op", last.into()));
                tr_args("debug-paused-after", &a)
            }
        }
    } else if let Some(e) = &st.failed {
        tr_args("debug-failed", &[("error", e.as_str().into())])
    } else if st.aborted {
        tr_args("debug-stopped", &count())
    } else if st.done {
        tr_args("debug-done", &count())
    } else if st.order.is_empty() {
        tr("debug-waiting")
    } else {
        tr_args("debug-running", &count())
    };
    match step {
        Some(s) => format!("{s} · {text}"),
        None => text,
    }
}

/// The debugger's window, while a debugged run is shown.
#[derive(Default)]
pub struct DebugWindow {
    threshold: f64,
}

impl DebugWindow {
    /// Draws the window (nothing when no debugged run is shown).
    pub fn ui(&mut self, ctx: &egui::Context, s: &AppState, out: &mut Vec<Command>) {
        let Some(shown) = &s.debug.shown else { return };
        let st = lock(shown);
        egui::Window::new(tr("debug-title"))
            .id(egui::Id::new("flowbench-debugger"))
            // Over the left and bottom panels, leaving the canvas (where the values appear) free.
            .default_pos(egui::pos2(4.0, 380.0))
            .default_size(egui::vec2(640.0, 460.0))
            .max_width(900.0)
            .resizable(true)
            .show(ctx, |ui| {
                self.body(ui, s, &st, out);
            });
    }

    fn body(&mut self, ui: &mut egui::Ui, s: &AppState, st: &DebugState, out: &mut Vec<Command>) {
        ui.label(RichText::new(status_text(st)).strong());
        let paused = st.paused;
        let dbg = |c: DebugCommand| Command::Debug(c);
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(paused, egui::Button::new(tr("debug-step")))
                .on_hover_text(tr("debug-step-hint"))
                .clicked()
            {
                out.push(dbg(DebugCommand::Step));
            }
            let scopes = if paused { st.next_scopes() } else { Vec::new() };
            ui.add_enabled_ui(!scopes.is_empty(), |ui| {
                ui.menu_button(tr("debug-step-over"), |ui| {
                    for sc in &scopes {
                        if ui.button(RichText::new(sc).monospace()).clicked() {
                            out.push(dbg(DebugCommand::StepOver(sc.clone())));
                            ui.close();
                        }
                    }
                })
                .response
                .on_hover_text(tr("debug-step-over-hint"));
            });
            if ui
                .add_enabled(paused, egui::Button::new(tr("debug-continue")))
                .on_hover_text(tr("debug-continue-hint"))
                .clicked()
            {
                out.push(dbg(DebugCommand::Continue));
            }
            let target = match s.view.selection.as_slice() {
                [one] if st.order.iter().skip(st.records.len()).any(|(n, _)| n == one) => Some(one.clone()),
                _ => None,
            };
            if ui
                .add_enabled(paused && target.is_some(), egui::Button::new(tr("debug-run-to")))
                .on_hover_text(tr("debug-run-to-hint"))
                .clicked()
                && let Some(t) = target
            {
                out.push(dbg(DebugCommand::RunTo(t)));
            }
            if ui
                .add_enabled(paused, egui::Button::new(tr("debug-stop")))
                .on_hover_text(tr("debug-stop-hint"))
                .clicked()
            {
                out.push(dbg(DebugCommand::Stop));
            }
            if ui.add_enabled(!s.debug.active(), egui::Button::new(tr("debug-close"))).clicked() {
                out.push(dbg(DebugCommand::Close));
            }
        });
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(paused, egui::Button::new(tr("debug-continue-until")))
                .on_hover_text(tr("debug-continue-until-hint"))
                .clicked()
            {
                out.push(dbg(DebugCommand::ContinueUntil));
            }
            let f = s.debug.filter;
            let mut pick = f;
            if let Filter::LargerThan(x) = f {
                self.threshold = x;
            } else if self.threshold <= 0.0 {
                self.threshold = 1000.0;
            }
            let l = ui.label(tr("debug-filter"));
            egui::ComboBox::from_id_salt("debug-filter")
                .selected_text(match f {
                    Filter::LargerThan(_) => "larger_than".to_string(),
                    f => f.name(),
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut pick, Filter::HasInfOrNan, "has_inf_or_nan");
                    ui.selectable_value(&mut pick, Filter::AllZeros, "all_zeros");
                    let big = Filter::LargerThan(self.threshold);
                    if ui.selectable_label(matches!(f, Filter::LargerThan(_)), "larger_than").clicked() {
                        pick = big;
                    }
                })
                .response
                .labelled_by(l.id);
            if let Filter::LargerThan(_) = pick {
                let mut x = self.threshold;
                ui.add(egui::DragValue::new(&mut x).range(0.0..=f64::MAX).speed(1.0));
                pick = Filter::LargerThan(x);
            }
            if pick != f {
                out.push(dbg(DebugCommand::SetFilter(pick)));
            }
        });
        ui.separator();
        egui::ScrollArea::both().id_salt("debug-scroll").auto_shrink([false, false]).show(ui, |ui| {
            // A training step's updates first, then the op the run paused after, then the plan.
            let ups = updates(st);
            if !ups.is_empty() {
                egui::CollapsingHeader::new(RichText::new(tr("debug-updates")).strong())
                    .id_salt("debug-updates")
                    .default_open(true)
                    .show(ui, |ui| updates_ui(ui, s, &ups, out));
            }
            if let Some(r) = st.records.last().filter(|_| paused) {
                egui::CollapsingHeader::new(
                    RichText::new(tr_args("debug-this-op", &[("op", r.name.as_str().into())])).strong(),
                )
                .id_salt("debug-this-op")
                .default_open(true)
                .show(ui, |ui| op_details(ui, r));
            }
            egui::CollapsingHeader::new(
                RichText::new(tr_args("debug-plan", &[("count", st.order.len().to_string().into())])).strong(),
            )
            .id_salt("debug-plan")
            .default_open(true)
            .show(ui, |ui| plan_ui(ui, s, st, out));
        });
    }
}

fn op_details(ui: &mut egui::Ui, r: &OpRecord) {
    ui.label(RichText::new(format!("{} ({})", r.name, r.type_name)).monospace().strong());
    for (name, sum, _) in &r.inputs {
        let text = sum.as_ref().map_or_else(String::new, Summary::text);
        ui.label(RichText::new(format!("  {} {name}: {text}", tr("debug-input"))).monospace().small());
    }
    for (k, s) in r.outputs.iter().enumerate() {
        let color = if s.has_inf_or_nan() { style::error(ui.visuals()) } else { ui.visuals().text_color() };
        ui.label(RichText::new(format!("  {}:{k} -> {}", r.name, s.text())).monospace().small().color(color));
    }
}

fn plan_ui(ui: &mut egui::Ui, s: &AppState, st: &DebugState, out: &mut Vec<Command>) {
    let done = st.records.len();
    egui::Grid::new("debug-plan-grid").num_columns(3).spacing([6.0, 2.0]).show(ui, |ui| {
        for (i, (name, ty)) in st.order.iter().enumerate() {
            let bp = s.debug.breakpoints.contains(name);
            let dot = RichText::new(if bp { "●" } else { "○" }).color(if bp {
                style::error(ui.visuals())
            } else {
                ui.visuals().weak_text_color()
            });
            if ui
                .add(egui::Label::new(dot).sense(egui::Sense::click()))
                .on_hover_text(tr("debug-breakpoint-hint"))
                .clicked()
            {
                out.push(Command::Debug(DebugCommand::ToggleBreakpoint(name.clone())));
            }
            let current = i + 1 == done && st.paused;
            let text = RichText::new(format!("{i:>3} {name} ({ty})")).monospace();
            let text = if current {
                text.strong().background_color(style::RUN.gamma_multiply(0.35))
            } else if i >= done {
                text.weak()
            } else {
                text
            };
            if ui.add(egui::Label::new(text).sense(egui::Sense::click())).clicked() {
                out.push(Command::Focus { graph: st.graph, node: name.clone() });
            }
            let summary = st.records.get(i).and_then(|r| r.outputs.first()).map(Summary::text).unwrap_or_default();
            ui.label(RichText::new(summary).monospace().small());
            ui.end_row();
        }
    });
}

fn updates_ui(ui: &mut egui::Ui, s: &AppState, ups: &[VarUpdate], out: &mut Vec<Command>) {
    let f = |v: &Option<Value>, i: usize| {
        v.as_ref().and_then(|v| v.to_f64_vec().get(i).copied()).map_or_else(String::new, |x| {
            crate::engine::runtime::observer::exact(crate::engine::DType::Float32, Some(x))
        })
    };
    let mut element = s.debug.element;
    ui.horizontal(|ui| {
        let l = ui.label(tr("debug-element"));
        ui.add(egui::DragValue::new(&mut element).range(0..=1_000_000)).labelled_by(l.id);
    });
    if element != s.debug.element {
        out.push(Command::Debug(DebugCommand::SetElement(element)));
    }
    for (n, u) in ups.iter().enumerate() {
        ui.label(RichText::new(format!("{} — {} ({})", u.variable, u.op, u.op_type)).strong().monospace());
        let len = u.before.as_ref().or(u.after.as_ref()).map_or(0, Value::len);
        // Scalar slots (Adam's beta powers) go on one line; the others are columns.
        let is_scalar = |b: &Option<Value>| b.as_ref().is_some_and(|v| v.len() == 1) && len > 1;
        let columns: Vec<&(String, Option<Value>, Option<Value>)> =
            u.slots.iter().filter(|(_, b, _)| !is_scalar(b)).collect();
        egui::Grid::new(("debug-update", n)).striped(true).num_columns(4 + 2 * columns.len()).show(ui, |ui| {
            ui.label(RichText::new("i").weak());
            ui.label(RichText::new(tr("debug-before")).weak());
            ui.label(RichText::new(tr("debug-gradient")).weak());
            for (name, _, _) in &columns {
                let short = name.rsplit('/').next().unwrap_or(name);
                ui.label(RichText::new(format!("{short} {}", tr("debug-before"))).weak());
                ui.label(RichText::new(format!("{short} {}", tr("debug-after"))).weak());
            }
            ui.label(RichText::new(tr("debug-after")).weak());
            ui.end_row();
            for i in 0..len.min(12) {
                let mark = if i == element {
                    RichText::new(format!("{i} ◀")).strong()
                } else {
                    RichText::new(i.to_string())
                };
                ui.label(mark);
                ui.label(RichText::new(f(&u.before, i)).monospace());
                ui.label(RichText::new(f(&u.grad, i)).monospace());
                for (_, b, a) in &columns {
                    ui.label(RichText::new(f(b, i)).monospace());
                    ui.label(RichText::new(f(a, i)).monospace());
                }
                ui.label(RichText::new(f(&u.after, i)).monospace());
                ui.end_row();
            }
        });
        if len > 12 {
            ui.weak(tr_args("debug-more-elements", &[("count", (len - 12).to_string().into())]));
        }
        let mut scalars: Vec<String> = u
            .slots
            .iter()
            .filter(|(_, b, _)| is_scalar(b))
            .map(|(name, b, a)| {
                let after = a.as_ref().map_or_else(|| tr("debug-not-run-yet-short"), |_| f(a, 0));
                format!("{name} {} → {after}", f(b, 0))
            })
            .collect();
        scalars.extend(u.scalars.iter().filter(|(n, _)| !n.ends_with("_power")).map(|(n, v)| {
            format!("{n} = {}", crate::engine::runtime::observer::exact(crate::engine::DType::Float32, Some(*v)))
        }));
        ui.label(RichText::new(scalars.join("   ")).monospace().small());
        for line in formula(u, element.min(len.saturating_sub(1))) {
            ui.label(RichText::new(line).monospace().color(style::ok(ui.visuals())));
        }
        ui.add_space(6.0);
    }
}

/// The train panel's debugger row: "Stop at the first NaN/Inf", "Debug step", and where a
/// debugged step stands.
pub fn train_row(
    ui: &mut egui::Ui,
    s: &AppState,
    setup: &mut crate::app::model::training::TrainSetup,
    out: &mut Vec<Command>,
) {
    let live = s.training_live();
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut setup.stop_at_nan, tr("train-stop-at-nan")).on_hover_text(tr("train-stop-at-nan-hint"));
        let can = s.debug.run.is_none() && (!live || s.debug.train.is_some());
        let hint = if can { tr("train-debug-step-hint") } else { tr("error-debug-train-without") };
        if ui.add_enabled(can, egui::Button::new(tr("train-debug-step"))).on_hover_text(hint).clicked() {
            out.push(Command::Debug(DebugCommand::TrainStep));
        }
    });
    if let Some(t) = &s.debug.train {
        let st = lock(&t.state);
        if st.paused {
            let color = if matches!(st.why, Some(Pause::Filter(..))) {
                style::error(ui.visuals())
            } else {
                style::run(ui.visuals())
            };
            ui.label(RichText::new(status_text(&st)).color(color));
            if let Some(r) = st.records.last() {
                op_details(ui, r);
            }
        }
    }
}

/// The inspector's section: the full values of the selected node's outputs and inputs in the
/// debugged run, and its breakpoint.
pub fn inspector_section(ui: &mut egui::Ui, s: &AppState, node: &str, out: &mut Vec<Command>) {
    ui.separator();
    ui.label(RichText::new(tr("debug-inspector-heading")).strong());
    let bp = s.debug.breakpoints.contains(node);
    let label = if bp { tr("debug-clear-breakpoint") } else { tr("debug-set-breakpoint") };
    if ui.button(label).clicked() {
        out.push(Command::Debug(DebugCommand::ToggleBreakpoint(node.to_string())));
    }
    let Some(shown) = &s.debug.shown else { return };
    let st = lock(shown);
    if st.graph != s.view.active_graph {
        return;
    }
    match st.record(node) {
        Some(r) => {
            for (k, (sum, v)) in r.outputs.iter().zip(&r.values).enumerate() {
                ui.label(RichText::new(format!("{node}:{k} = {}", sum.text())).monospace().small());
                match v {
                    Some(v) => {
                        ui.label(RichText::new(v.to_numpy_string()).monospace());
                    }
                    None => {
                        ui.weak(tr("debug-too-large"));
                    }
                }
            }
            for (name, sum, v) in &r.inputs {
                let text = sum.as_ref().map_or_else(String::new, Summary::text);
                ui.label(RichText::new(format!("{} {name}: {text}", tr("debug-input"))).monospace().small().weak());
                if let Some(v) = v.as_ref().filter(|v| v.len() <= 64) {
                    ui.label(RichText::new(v.to_numpy_string()).monospace().small());
                }
            }
        }
        None if st.order.iter().any(|(n, _)| n == node) => {
            ui.weak(tr("debug-not-run-yet"));
        }
        None => {
            ui.weak(tr("debug-not-in-run"));
        }
    }
}
