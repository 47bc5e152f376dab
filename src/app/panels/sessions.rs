//! The sessions panel: every session the window opened, open or closed, with its graph, config
//! summary, state, the bytes it holds per device, its initialized variables, run count and age,
//! and buttons to initialize, choose it for runs, and close it. A closed session stays listed,
//! greyed, with its bytes at 0; its buttons still work, so using it shows TF's error. Above
//! them, the sessions a Python program opened (as of its latest snapshot; the program owns them).

use crate::app::command::Command;
use crate::app::i18n::{tr, tr_args};
use crate::app::state::AppState;
use crate::app::style;
use egui::RichText;

/// The panel (no state of its own).
#[derive(Default)]
pub struct SessionsPanel {}

/// `96 B`, `1.5 KiB`.
pub fn human_bytes(n: usize) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    }
}

/// A one-line summary of `c` in the UI's language (field names stay as `ConfigProto` spells them).
pub fn config_summary(c: &crate::engine::runtime::session::ConfigProto) -> String {
    let n = |id: &str, v: String| tr_args(id, &[("value", v.into())]);
    let mut parts = Vec::new();
    if c.allow_soft_placement {
        parts.push(tr("summary-soft-placement"));
    }
    if c.log_device_placement {
        parts.push(tr("summary-log-placement"));
    }
    if c.intra_op_parallelism_threads > 0 {
        parts.push(n("summary-intra", c.intra_op_parallelism_threads.to_string()));
    }
    if c.inter_op_parallelism_threads > 0 {
        parts.push(n("summary-inter", c.inter_op_parallelism_threads.to_string()));
    }
    if c.operation_timeout_in_ms > 0 {
        parts.push(n("summary-timeout", c.operation_timeout_in_ms.to_string()));
    }
    if c.memory_limit_mb > 0 {
        parts.push(n("summary-memory", c.memory_limit_mb.to_string()));
    }
    if c.gpu_options.allow_growth {
        parts.push(tr("summary-allow-growth"));
    }
    if c.gpu_options.per_process_gpu_memory_fraction > 0.0 {
        parts.push(n("summary-gpu-fraction", c.gpu_options.per_process_gpu_memory_fraction.to_string()));
    }
    if parts.is_empty() { tr("summary-default") } else { parts.join(&tr("summary-separator")) }
}

/// `12 s`, `3 min 5 s`.
pub fn human_secs(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    if s < 60 { format!("{s} s") } else { format!("{} min {} s", s / 60, s % 60) }
}

impl SessionsPanel {
    /// Draws the list.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &AppState, out: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.heading(tr("sessions-heading"));
            if ui.button(tr("sessions-new")).clicked() {
                out.push(Command::ShowModal(crate::app::model::modal::Modal::NewSession {
                    graph: s.view.active_graph,
                }));
            }
            if ui.button(tr("sessions-close-all")).clicked() {
                out.push(Command::CloseAllSessions);
            }
        });
        if let Some(pv) = s.program.as_ref().filter(|p| !p.sessions.is_empty()) {
            program_sessions(ui, pv);
        }
        if s.engine.ws.sessions.is_empty() && s.program.as_ref().is_none_or(|p| p.sessions.is_empty()) {
            ui.label(RichText::new(tr("sessions-empty")).small().weak());
        }
        let now = s.clock.now();
        for (i, e) in s.engine.ws.sessions.iter().enumerate().rev() {
            let stats = e.session.stats(match s.engine.graph(e.graph) {
                Some(g) => g,
                None => continue,
            });
            let meta = s.sessions_meta.get(i).cloned().unwrap_or_default();
            let chosen = s.run_session() == Some(i);
            let frame = egui::Frame::group(ui.style()).stroke(egui::Stroke::new(
                if chosen { 2.0 } else { 1.0 },
                if chosen { style::SELECTED } else { ui.visuals().widgets.noninteractive.bg_stroke.color },
            ));
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                if !stats.open {
                    ui.multiply_opacity(0.55);
                }
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&e.id).strong().monospace());
                    let debugging = s.debug.run.as_ref().is_some_and(|r| r.session == i);
                    let (txt, c) = if debugging {
                        (tr("sessions-state-debugging"), style::run(ui.visuals()))
                    } else if e.busy {
                        (tr("sessions-state-training"), style::run(ui.visuals()))
                    } else if stats.open {
                        (tr("sessions-state-open"), style::ok(ui.visuals()))
                    } else {
                        (tr("sessions-state-closed"), style::hint(ui.visuals()))
                    };
                    ui.label(RichText::new(txt).small().strong().color(c));
                    let gname = s.engine.ws.graphs.get(e.graph).map_or("?", |g| g.name.as_str());
                    ui.label(RichText::new(tr_args("sessions-graph", &[("name", gname.into())])).small());
                    if chosen {
                        ui.label(RichText::new(tr("sessions-runs-go-here")).small().color(style::SELECTED));
                    }
                });
                let cfg = match &meta.config {
                    Some(n) => format!("{n}: {}", config_summary(e.session.config())),
                    None => config_summary(e.session.config()),
                };
                ui.label(RichText::new(cfg).small().weak());
                let bytes: Vec<String> = stats
                    .bytes_by_device
                    .iter()
                    .map(|(d, b)| {
                        format!("{} {}", d.rsplit('/').next().unwrap_or(d).replace("device:", ""), human_bytes(*b))
                    })
                    .collect();
                let age = match meta.closed_after {
                    Some(t) => tr_args("sessions-was-open", &[("time", human_secs(t).into())]),
                    None => tr_args("sessions-open-for", &[("time", human_secs(now - meta.opened_at).into())]),
                };
                // While a job trains in it, the worker holds the session: its counts come from
                // the job.
                let counts = match s.training.run.as_ref().filter(|r| e.busy && r.session == i) {
                    Some(r) => tr_args(
                        "sessions-counts-training",
                        &[("steps", r.step.to_string().into()), ("age", age.into())],
                    ),
                    None => tr_args(
                        "sessions-counts",
                        &[
                            ("bytes", bytes.join(", ").into()),
                            ("initialized", stats.initialized_variables.to_string().into()),
                            ("total", stats.total_variables.to_string().into()),
                            ("runs", stats.run_count.to_string().into()),
                            ("age", age.into()),
                        ],
                    ),
                };
                ui.label(RichText::new(counts).small());
                if s.debug.run.as_ref().is_some_and(|r| r.session == i) {
                    ui.label(RichText::new(tr("sessions-owned-by-debugger")).small().color(style::run(ui.visuals())));
                } else if e.busy {
                    let step = s.training.run.as_ref().filter(|r| r.session == i).map_or(0, |r| r.step);
                    ui.label(
                        RichText::new(tr_args("sessions-owned-by-training", &[("step", step.to_string().into())]))
                            .small()
                            .color(style::run(ui.visuals())),
                    );
                    if let Some(ws) = s.training_snapshot(i) {
                        egui::CollapsingHeader::new(RichText::new(tr("sessions-latest-weights")).small())
                            .id_salt(("train-vars", i))
                            .show(ui, |ui| {
                                for w in ws {
                                    let text = crate::app::model::training::as_value(w)
                                        .map_or_else(|| "…".to_string(), |v| v.to_numpy_string());
                                    ui.label(RichText::new(format!("{} =\n{text}", w.name)).monospace());
                                }
                            });
                    }
                }
                ui.add_enabled_ui(!e.busy, |ui| {
                    ui.horizontal(|ui| {
                        if ui
                            .small_button(tr("sessions-initialize"))
                            .on_hover_text("sess.run(tf.global_variables_initializer())")
                            .clicked()
                        {
                            out.push(Command::InitializeVariables { session: i });
                        }
                        if ui.small_button(tr("sessions-run")).on_hover_text(tr("sessions-run-hint")).clicked() {
                            out.push(Command::SetRunSession(Some(i)));
                            out.push(Command::Run { session: i });
                        }
                        if !chosen && ui.small_button(tr("sessions-use-for-runs")).clicked() {
                            out.push(Command::SetRunSession(Some(i)));
                        }
                        if ui
                            .small_button(tr("sessions-close"))
                            .on_hover_text(tr_args("sessions-close-hint", &[("code", "sess.close()".into())]))
                            .clicked()
                        {
                            out.push(Command::CloseSession { session: i });
                        }
                    })
                });
                if stats.total_variables > 0 && stats.open && !e.busy {
                    egui::CollapsingHeader::new(RichText::new(tr("sessions-variable-values")).small())
                        .id_salt(("vars", i))
                        .show(ui, |ui| {
                            if let Some(g) = s.engine.graph(e.graph) {
                                for (v, _) in g.variables() {
                                    let Some(n) = g.node(*v) else { continue };
                                    let text = e
                                        .session
                                        .variable_value(&n.name)
                                        .map_or_else(|| tr("sessions-uninitialized"), |val| val.to_numpy_string());
                                    ui.label(RichText::new(format!("{} =\n{text}", n.name)).monospace());
                                }
                            }
                        });
                }
            });
        }
    }
}

/// The sessions a Python program opened (the program owns them: no buttons), newest first.
fn program_sessions(ui: &mut egui::Ui, pv: &crate::app::model::program::ProgramView) {
    ui.label(RichText::new(tr_args("sessions-of-program", &[("file", pv.file_name().into())])).small().strong());
    for e in pv.sessions.iter().rev() {
        let frame = egui::Frame::group(ui.style());
        frame.show(ui, |ui| {
            ui.set_width(ui.available_width());
            if !e.stats.open {
                ui.multiply_opacity(0.55);
            }
            ui.horizontal(|ui| {
                ui.label(RichText::new(&e.id).strong().monospace());
                let (txt, c) = if e.stats.open {
                    (tr("sessions-state-open"), style::ok(ui.visuals()))
                } else {
                    (tr("sessions-state-closed"), style::CLOSED)
                };
                ui.label(RichText::new(txt).small().strong().color(c));
                ui.label(RichText::new(tr_args("sessions-graph", &[("name", e.graph.as_str().into())])).small());
                if e.interactive {
                    ui.label(RichText::new("InteractiveSession").small().monospace());
                }
            });
            ui.label(RichText::new(config_summary(&e.config)).small().weak());
            let bytes: Vec<String> = e
                .stats
                .bytes_by_device
                .iter()
                .map(|(d, b)| {
                    format!("{} {}", d.rsplit('/').next().unwrap_or(d).replace("device:", ""), human_bytes(*b))
                })
                .collect();
            let age = if e.stats.open {
                tr_args("sessions-open-for", &[("time", human_secs(e.stats.open_secs).into())])
            } else {
                tr_args("sessions-was-open", &[("time", human_secs(e.stats.open_secs).into())])
            };
            let counts = tr_args(
                "sessions-counts",
                &[
                    ("bytes", bytes.join(", ").into()),
                    ("initialized", e.stats.initialized_variables.to_string().into()),
                    ("total", e.stats.total_variables.to_string().into()),
                    ("runs", e.stats.run_count.to_string().into()),
                    ("age", age.into()),
                ],
            );
            ui.label(RichText::new(counts).small());
            if !e.variables.is_empty() {
                egui::CollapsingHeader::new(RichText::new(tr("sessions-variable-values")).small())
                    .id_salt(("program-vars", &e.id))
                    .show(ui, |ui| {
                        for (name, value) in &e.variables {
                            let text = value.clone().unwrap_or_else(|| tr("sessions-uninitialized"));
                            ui.label(RichText::new(format!("{name} =\n{text}")).monospace());
                        }
                    });
            }
        });
    }
    ui.add_space(6.0);
}
