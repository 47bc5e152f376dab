//! The train panel: what to train (a train op, or a loss and an optimizer that creates one),
//! which dataset feeds which placeholder, batch size, steps and eval interval, the session to
//! train in; the controls (Start, Pause/Resume, Step 1, Step N, Stop, with keyboard shortcuts in
//! their tooltips) and a progress bar with the speed and an ETA. For an IDX dataset, its sets'
//! sizes and a grid of sample images (`crate::app::panels::image_grid`). It edits a copy of the
//! setup and emits `SetTrainSetup` when the copy changed; the controls emit training commands.
//! The debugger's row ("Stop at the first NaN/Inf", "Debug step") is
//! `crate::app::panels::debug::train_row`.

use crate::app::command::Command;
use crate::app::i18n::{tr, tr_args};
use crate::app::model::training::{TrainSetup, TrainStatus, generators, source_kind};
use crate::app::panels::image_grid::ImageGrid;
use crate::app::state::AppState;
use crate::app::style;
use crate::engine::autodiff::optimizers::Optimizer;
use crate::engine::graph::op::Op;
use crate::train::data::dataset::DatasetSource;
use crate::train::worker::Command as Job;
use egui::RichText;

/// Keyboard shortcuts of the training controls (also listed in the tooltips), in the UI's language.
pub fn shortcuts() -> String {
    tr("train-shortcuts")
}

/// The panel (no state of its own).
#[derive(Default)]
pub struct TrainPanel {}

fn labelled_drag<T: egui::emath::Numeric>(
    ui: &mut egui::Ui,
    label: &str,
    v: &mut T,
    range: std::ops::RangeInclusive<T>,
) -> egui::Response {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(egui::DragValue::new(v).range(range)).labelled_by(l.id)
    })
    .inner
}

fn labelled_text(ui: &mut egui::Ui, label: &str, v: &mut String, width: f32) -> egui::Response {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(egui::TextEdit::singleline(v).desired_width(width)).labelled_by(l.id)
    })
    .inner
}

/// `1 min 5 s`, `3.2 s`.
fn eta_text(secs: f64) -> String {
    if secs < 10.0 { format!("{secs:.1} s") } else { crate::app::panels::sessions::human_secs(secs) }
}

impl TrainPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &AppState, out: &mut Vec<Command>) {
        let mut setup = s.training.setup.clone();
        let run = s.training.run.as_ref();
        let live = s.training_live();
        ui.heading(tr("train-heading"));
        self.controls(ui, s, &setup, out);
        crate::app::panels::debug::train_row(ui, s, &mut setup, out);
        ui.separator();

        ui.add_enabled_ui(!live, |ui| self.what_ui(ui, s, &mut setup, out));
        ui.separator();
        ui.add_enabled_ui(!live, |ui| self.data_ui(ui, s, &mut setup));
        ui.separator();
        ui.label(RichText::new(tr("train-schedule")).strong());
        ui.add_enabled_ui(!live, |ui| {
            labelled_drag(ui, &tr("train-batch-size"), &mut setup.batch_size, 1..=1_000_000);
            labelled_drag(ui, &tr("train-steps"), &mut setup.steps, 1..=1_000_000_000);
        });
        let before = setup.eval_every;
        labelled_drag(ui, &tr("train-eval-every"), &mut setup.eval_every, 1..=1_000_000_000)
            .on_hover_text(tr("train-eval-every-hint"));
        if live && setup.eval_every != before {
            out.push(Command::TrainControl(Job::SetEvalEvery(setup.eval_every)));
        }
        ui.horizontal(|ui| {
            let mut fast = setup.pace == 0;
            if ui.checkbox(&mut fast, tr("train-fast")).on_hover_text(tr("train-fast-hint")).changed() {
                setup.pace = if fast { 0 } else { crate::app::model::training::watchable_pace(setup.steps) };
            }
            if !fast {
                let l = ui.label(tr("train-steps-per-sec"));
                ui.add(egui::DragValue::new(&mut setup.pace).range(1..=10_000_000)).labelled_by(l.id);
            }
        });
        labelled_drag(ui, &tr("train-n-steps"), &mut setup.step_n, 1..=1_000_000_000)
            .on_hover_text(tr("train-n-steps-hint"));
        ui.add_enabled_ui(!live, |ui| {
            labelled_drag(ui, &tr("train-weights-every"), &mut setup.weights_every, 0..=1_000_000_000)
                .on_hover_text(tr("train-weights-every-hint"));
        });
        ui.add_enabled_ui(!live, |ui| {
            let sessions: Vec<(usize, String)> = s
                .engine
                .ws
                .sessions
                .iter()
                .enumerate()
                .filter(|(_, e)| e.graph == setup.graph && !e.session.is_closed())
                .map(|(i, e)| (i, e.id.clone()))
                .collect();
            ui.horizontal(|ui| {
                let l = ui.label(tr("train-session"));
                let text = match setup.session.and_then(|i| sessions.iter().find(|(j, _)| *j == i)) {
                    Some((_, id)) => tr_args("train-continue-in", &[("id", id.as_str().into())]),
                    None => tr("train-new-session"),
                };
                egui::ComboBox::from_id_salt("train-session")
                    .selected_text(text)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut setup.session, None, tr("train-new-session-initialized"));
                        for (i, id) in &sessions {
                            ui.selectable_value(
                                &mut setup.session,
                                Some(*i),
                                tr_args("train-continue-in", &[("id", id.as_str().into())]),
                            );
                        }
                    })
                    .response
                    .labelled_by(l.id);
            });
        });
        ui.add_enabled_ui(!live, |ui| {
            ui.horizontal(|ui| {
                ui.checkbox(&mut setup.tensorboard, tr("train-tensorboard"))
                    .on_hover_text(tr("train-tensorboard-hint"));
                if setup.tensorboard {
                    let l = ui.label(tr("train-logdir"));
                    ui.add(egui::TextEdit::singleline(&mut setup.logdir).desired_width(120.0)).labelled_by(l.id);
                }
            });
        });
        if let Some(r) = run
            && let TrainStatus::Failed(msg) = &r.status
        {
            ui.separator();
            ui.label(RichText::new(format!("✖ {msg}")).color(style::error(ui.visuals())));
            if let Some(x) = crate::app::i18n::explain_tf_error(msg) {
                ui.label(RichText::new(x).color(style::warning(ui.visuals())));
            }
        }
        if setup != s.training.setup {
            out.push(Command::SetTrainSetup(Box::new(setup)));
        }
    }

    fn controls(&mut self, ui: &mut egui::Ui, s: &AppState, setup: &TrainSetup, out: &mut Vec<Command>) {
        let run = s.training.run.as_ref();
        let live = s.training_live();
        let status = run.map(|r| r.status.clone());
        let keys = shortcuts();
        let tip = |t: String| tr_args("train-tip", &[("tip", t.into()), ("keys", keys.as_str().into())]);
        ui.horizontal_wrapped(|ui| {
            if !live {
                if ui.button(tr("train-start")).on_hover_text(tip(tr("train-start-hint"))).clicked() {
                    out.push(Command::StartTraining { paused: false });
                }
            } else if status == Some(TrainStatus::Paused) {
                if ui.button(tr("train-resume")).on_hover_text(tip(tr("train-resume-hint"))).clicked() {
                    out.push(Command::TrainControl(Job::Resume));
                }
            } else if ui.button(tr("train-pause")).on_hover_text(tip(tr("train-pause-hint"))).clicked() {
                out.push(Command::TrainControl(Job::Pause));
            }
            let step = |n: u64, out: &mut Vec<Command>| {
                if live {
                    out.push(Command::TrainControl(Job::Step(n)));
                } else {
                    out.push(Command::StartTraining { paused: true });
                    out.push(Command::TrainControl(Job::Step(n)));
                }
            };
            if ui.button(tr("train-step-1")).on_hover_text(tip(tr("train-step-1-hint"))).clicked() {
                step(1, out);
            }
            if ui
                .button(tr("train-step-n"))
                .on_hover_text(tip(tr_args("train-step-n-hint", &[("count", setup.step_n.to_string().into())])))
                .clicked()
            {
                step(setup.step_n, out);
            }
            if ui
                .add_enabled(live, egui::Button::new(tr("train-stop")))
                .on_hover_text(tip(tr("train-stop-hint")))
                .clicked()
            {
                out.push(Command::TrainControl(Job::Stop));
            }
        });
        // The progress bar and the status row are there before the first run too, so the panel
        // does not grow a row when training starts.
        let Some(r) = run else {
            ui.add(egui::ProgressBar::new(0.0).text(format!("0 / {}", setup.steps)));
            ui.horizontal(|ui| {
                ui.label(RichText::new(tr("train-not-started")).strong().weak());
            });
            return;
        };
        let frac = if r.total_steps > 0 { r.step as f32 / r.total_steps as f32 } else { 0.0 };
        // A paced run shows its pace (the worker runs its chunks faster).
        let (sps, eta) = match r.pacer {
            Some(_) if r.setup.pace > 0 => {
                let pace = r.setup.pace as f64;
                (pace, Some(r.total_steps.saturating_sub(r.step) as f64 / pace))
            }
            _ => (r.steps_per_sec, r.eta_secs()),
        };
        let rate = match r.status {
            TrainStatus::Running => {
                let eta = eta.map_or(String::new(), |e| tr_args("train-eta", &[("time", eta_text(e).into())]));
                tr_args("train-rate", &[("rate", format!("{sps:.0}").into()), ("eta", eta.into())])
            }
            _ => String::new(),
        };
        let (word, color) = match &r.status {
            TrainStatus::Running => (tr("train-status-running"), style::ok(ui.visuals())),
            TrainStatus::Paused => (tr("train-status-paused"), style::run(ui.visuals())),
            TrainStatus::Finished => (tr("train-status-finished"), style::ok(ui.visuals())),
            TrainStatus::Stopped => (tr("train-status-stopped"), style::warning(ui.visuals())),
            TrainStatus::Failed(_) => (tr("train-status-failed"), style::error(ui.visuals())),
        };
        ui.add(egui::ProgressBar::new(frac.clamp(0.0, 1.0)).text(format!("{} / {}{rate}", r.step, r.total_steps)));
        let id = s.engine.ws.sessions.get(r.session).map_or("?", |e| e.id.as_str());
        ui.horizontal(|ui| {
            ui.label(RichText::new(word).strong().color(color));
            ui.label(RichText::new(tr_args("train-in-session", &[("id", id.into())])));
        });
    }

    fn what_ui(&mut self, ui: &mut egui::Ui, s: &AppState, setup: &mut TrainSetup, out: &mut Vec<Command>) {
        let Some(gd) = s.doc.project.graphs.get(setup.graph) else {
            ui.label(tr("train-no-graph"));
            return;
        };
        ui.label(RichText::new(tr("train-what")).strong());
        ui.horizontal(|ui| {
            let l = ui.label(tr("train-graph"));
            egui::ComboBox::from_id_salt("train-graph")
                .selected_text(gd.name.clone())
                .show_ui(ui, |ui| {
                    for (i, g) in s.doc.project.graphs.iter().enumerate() {
                        ui.selectable_value(&mut setup.graph, i, g.name.clone());
                    }
                })
                .response
                .labelled_by(l.id);
        });
        let ops: Vec<String> = gd.nodes.iter().filter(|n| matches!(n.op, Op::NoOp)).map(|n| n.name.clone()).collect();
        ui.horizontal(|ui| {
            let l = ui.label(tr("train-train-op"));
            egui::ComboBox::from_id_salt("train-op")
                .selected_text(if setup.train_op.is_empty() { tr("train-none") } else { setup.train_op.clone() })
                .show_ui(ui, |ui| {
                    for o in &ops {
                        ui.selectable_value(&mut setup.train_op, o.clone(), o);
                    }
                })
                .response
                .labelled_by(l.id)
                .on_hover_text(tr("train-train-op-hint"));
        });
        labelled_text(ui, &tr("train-loss"), &mut setup.loss, 120.0).on_hover_text(tr("train-loss-hint"));
        egui::CollapsingHeader::new(tr("train-create-from-loss")).id_salt("create-train-op").show(ui, |ui| {
            let kinds = [
                Optimizer::GradientDescent { learning_rate: 0.01 },
                Optimizer::Momentum { learning_rate: 0.01, momentum: 0.9, use_nesterov: false },
                Optimizer::adam(0.001),
                Optimizer::RMSProp { learning_rate: 0.001, decay: 0.9, momentum: 0.0, epsilon: 1e-10 },
            ];
            ui.horizontal(|ui| {
                let l = ui.label(tr("train-optimizer"));
                egui::ComboBox::from_id_salt("train-optimizer")
                    .selected_text(setup.optimizer.name())
                    .show_ui(ui, |ui| {
                        for k in kinds {
                            let name = k.name();
                            if ui.selectable_label(setup.optimizer.name() == name, name).clicked() {
                                setup.optimizer = k;
                            }
                        }
                    })
                    .response
                    .labelled_by(l.id);
            });
            let lr_range = 1e-8..=1e9;
            let speed = |ui: &mut egui::Ui, label: &str, v: &mut f64, r: std::ops::RangeInclusive<f64>| {
                ui.horizontal(|ui| {
                    let l = ui.label(label);
                    ui.add(egui::DragValue::new(v).range(r).speed(0.0001).max_decimals(10)).labelled_by(l.id);
                });
            };
            match &mut setup.optimizer {
                Optimizer::GradientDescent { learning_rate } => {
                    speed(ui, &tr("train-learning-rate"), learning_rate, lr_range)
                }
                Optimizer::Momentum { learning_rate, momentum, use_nesterov } => {
                    speed(ui, &tr("train-learning-rate"), learning_rate, lr_range);
                    speed(ui, &tr("train-momentum"), momentum, 0.0..=1.0);
                    ui.checkbox(use_nesterov, "Nesterov");
                }
                Optimizer::Adam { learning_rate, beta1, beta2, epsilon } => {
                    speed(ui, &tr("train-learning-rate"), learning_rate, lr_range);
                    speed(ui, "beta1", beta1, 0.0..=1.0);
                    speed(ui, "beta2", beta2, 0.0..=1.0);
                    speed(ui, "epsilon", epsilon, 0.0..=1.0);
                }
                Optimizer::RMSProp { learning_rate, decay, momentum, epsilon } => {
                    speed(ui, &tr("train-learning-rate"), learning_rate, lr_range);
                    speed(ui, &tr("train-decay"), decay, 0.0..=1.0);
                    speed(ui, &tr("train-momentum"), momentum, 0.0..=1.0);
                    speed(ui, "epsilon", epsilon, 0.0..=1.0);
                }
            }
            if ui
                .button(tr("train-create-train-op"))
                .on_hover_text(tr_args("train-create-train-op-hint", &[("code", "optimizer.minimize(loss)".into())]))
                .clicked()
            {
                out.push(Command::CreateTrainOp {
                    graph: setup.graph,
                    loss: setup.loss.clone(),
                    optimizer: setup.optimizer.clone(),
                });
            }
        });
        labelled_text(ui, &tr("train-boundary"), &mut setup.boundary_output, 120.0)
            .on_hover_text(tr("train-boundary-hint"));
        let vars: Vec<String> =
            gd.nodes.iter().filter(|n| matches!(n.op, Op::Variable { .. })).map(|n| n.name.clone()).collect();
        egui::CollapsingHeader::new(tr_args(
            "train-plotted-variables",
            &[("count", setup.watch.len().to_string().into())],
        ))
        .id_salt("train-watch")
        .show(ui, |ui| {
            for v in vars {
                let mut on = setup.watch.contains(&v);
                if ui.checkbox(&mut on, &v).changed() {
                    if on {
                        setup.watch.push(v);
                    } else {
                        setup.watch.retain(|w| *w != v);
                    }
                }
            }
        });
    }

    fn data_ui(&mut self, ui: &mut egui::Ui, s: &AppState, setup: &mut TrainSetup) {
        ui.label(RichText::new(tr("train-data")).strong());
        ui.horizontal(|ui| {
            let l = ui.label(tr("train-dataset"));
            let shown = format!("{} ({})", setup.dataset_name, kind_label(source_kind(&setup.dataset)));
            egui::ComboBox::from_id_salt("train-dataset")
                .selected_text(shown)
                .width(190.0)
                .show_ui(ui, |ui| {
                    for d in &s.doc.project.datasets {
                        if ui
                            .selectable_label(
                                setup.dataset == d.source,
                                tr_args("train-dataset-in-project", &[("name", d.name.as_str().into())]),
                            )
                            .clicked()
                        {
                            setup.dataset_name = d.name.clone();
                            setup.dataset = d.source.clone();
                        }
                    }
                    ui.separator();
                    for (label, src) in generators() {
                        if ui.button(tr_args("train-dataset-new", &[("kind", kind_label(label).into())])).clicked() {
                            setup.dataset_name = source_kind(&src).replace(' ', "_");
                            setup.dataset = src;
                            ui.close();
                        }
                    }
                })
                .response
                .labelled_by(l.id);
        });
        match &mut setup.dataset {
            DatasetSource::NumpyRand { seed, rows, .. } => {
                labelled_drag(ui, &tr("train-seed"), seed, 0..=u32::MAX);
                labelled_drag(ui, &tr("train-rows"), rows, 1..=1_000_000);
            }
            DatasetSource::Circle { seed, rows, noise }
            | DatasetSource::Xor { seed, rows, noise }
            | DatasetSource::Gauss { seed, rows, noise }
            | DatasetSource::Spiral { seed, rows, noise } => {
                labelled_drag(ui, &tr("train-seed"), seed, 0..=u32::MAX);
                labelled_drag(ui, &tr("train-rows"), rows, 2..=1_000_000);
                ui.horizontal(|ui| {
                    let l = ui.label(tr("train-noise"));
                    ui.add(egui::Slider::new(noise, 0.0..=0.5).fixed_decimals(2)).labelled_by(l.id);
                });
            }
            _ => {}
        }
        let columns = match &setup.dataset {
            DatasetSource::NumpyRand { features, .. } => {
                (1..=*features).map(|i| format!("x{i}")).chain(["y".to_string()]).collect::<Vec<_>>().join(", ")
            }
            DatasetSource::Inline { columns, .. } => columns.join(", "),
            DatasetSource::Idx { .. } => {
                tr_args("train-idx-columns", &[("code", "next_batch".into()), ("seed", "np.random.seed(0)".into())])
            }
            _ => "x1, x2, y".to_string(),
        };
        ui.label(RichText::new(tr_args("train-columns", &[("columns", columns.into())])).small().weak());
        if let Some(samples) = s.training.samples.as_ref().filter(|x| x.source == setup.dataset) {
            egui::CollapsingHeader::new(tr("train-sample-images")).id_salt("train-samples").show(
                ui,
                |ui| match &samples.sets {
                    Ok(sets) => {
                        ui.label(
                            RichText::new(tr_args(
                                "train-sample-counts",
                                &[
                                    ("train", sets.train.len().to_string().into()),
                                    ("validation", sets.validation.len().to_string().into()),
                                    ("test", sets.test.len().to_string().into()),
                                    ("height", sets.train.height.to_string().into()),
                                    ("width", sets.train.width.to_string().into()),
                                ],
                            ))
                            .small()
                            .weak(),
                        );
                        ImageGrid { first: 0, count: 12, columns: 6, picture: 28.0 }.ui(ui, &sets.train, None);
                    }
                    Err(e) => {
                        ui.colored_label(style::error(ui.visuals()), e);
                    }
                },
            );
        }
        for (tensor, cols) in &mut setup.feeds {
            labelled_text(ui, &format!("{tensor} ="), cols, 90.0).on_hover_text(tr("train-feed-columns-hint"));
        }
    }
}

/// A dataset kind (`numpy rand`, `circle`) in the UI's language: the message `ux-kind-<kind>`
/// where there is one, else as written.
fn kind_label(kind: &str) -> String {
    let slug: String = kind.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    crate::app::i18n::tr_or(&format!("ux-kind-{slug}"), kind)
}
