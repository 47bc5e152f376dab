//! The run panel: choose the session, the fetches (click an output pin on the canvas, or pick
//! from the list) and the targets; edit the feeds the run needs, as arrays, each checked
//! against its placeholder's shape before running; run; and see the values printed as numpy
//! prints them. Before running, the nodes the run will execute are outlined on the canvas.
//! Debug runs the same run under the debugger (`crate::app::panels::debug`).

use crate::app::command::Command;
use crate::app::i18n::{explain_tf_error, tr, tr_args};
use crate::app::model::document::run_closure;
use crate::app::model::feed::{feed_problem, parse_feed};
use crate::app::state::AppState;
use crate::app::style;
use crate::engine::graph::tensor_name::TensorName;
use egui::RichText;

/// The panel's own state.
#[derive(Default)]
pub struct RunPanel {
    add_fetch: String,
    add_target: String,
}

impl RunPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &AppState, out: &mut Vec<Command>) {
        ui.heading(tr("run-heading"));
        let not_fed = tr("run-not-fed");
        let g = s.view.active_graph;
        let Some(gd) = s.doc.project.graphs.get(g) else { return };
        let graph = s.engine.graph(g);
        let nothing = s.view.fetches.is_empty() && s.view.targets.is_empty();
        let (nodes, needed) = run_closure(gd, &s.view.fetches, &s.view.targets, &[]);
        let feed_problems: Vec<Option<String>> = needed
            .iter()
            .map(|t| {
                let text = s.view.feeds.get(t).cloned().unwrap_or_default();
                if text.trim().is_empty() {
                    return Some(not_fed.clone());
                }
                match parse_feed(&text) {
                    Ok((_, v)) => graph.and_then(|gr| feed_problem(gr, t, &v)),
                    Err(e) => Some(e),
                }
            })
            .collect();
        let feeds_ok = feed_problems.iter().all(|p| p.as_ref().is_none_or(|p| *p == not_fed));
        egui::ScrollArea::vertical().id_salt("run-scroll").auto_shrink([false, false]).show(ui, |ui| {
            ui.horizontal(|ui| {
                let l = ui.label(tr("run-session"));
                let label = |i: usize| {
                    s.engine.ws.sessions.get(i).map_or_else(String::new, |e| {
                        if e.session.is_closed() {
                            tr_args("run-session-closed", &[("id", e.id.as_str().into())])
                        } else {
                            e.id.clone()
                        }
                    })
                };
                let current = s.run_session();
                let mut pick = current;
                egui::ComboBox::from_id_salt("run-session")
                    .selected_text(current.map_or_else(|| tr("run-no-session"), label))
                    .show_ui(ui, |ui| {
                        for i in 0..s.engine.ws.sessions.len() {
                            ui.selectable_value(&mut pick, Some(i), label(i));
                        }
                    })
                    .response
                    .labelled_by(l.id);
                if pick != current {
                    out.push(Command::SetRunSession(pick));
                }
                // The Run button sits on the first row, so nothing above it comes and goes.
                let session = s.run_session();
                let can = session.is_some() && !nothing && feeds_ok;
                let run = ui
                    .add_enabled(can, egui::Button::new(RichText::new(tr("run-button")).strong()))
                    .on_hover_text(tr_args("run-button-hint", &[("code", "sess.run(fetches, feed_dict)".into())]));
                if run.clicked()
                    && let Some(session) = session
                {
                    out.push(Command::Run { session });
                }
                let debug = ui
                    .add_enabled(can && !s.debug.active(), egui::Button::new(tr("run-debug-button")))
                    .on_hover_text(tr("run-debug-button-hint"));
                if debug.clicked()
                    && let Some(session) = session
                {
                    out.push(Command::DebugRun { session });
                }
                if session.is_none() {
                    ui.weak(tr("run-open-session-first"));
                } else if nothing {
                    ui.weak(tr("run-choose-fetch"));
                } else if !feeds_ok {
                    ui.weak(tr("run-feed-first"));
                }
            });
            // Fetches and targets.
            ui.horizontal_wrapped(|ui| {
                ui.label(tr("run-fetches"));
                for f in &s.view.fetches {
                    if ui.button(RichText::new(format!("{f} ✖")).monospace()).on_hover_text(tr("run-remove")).clicked()
                    {
                        out.push(Command::ToggleFetch(f.clone()));
                    }
                }
                if s.view.fetches.is_empty() {
                    ui.weak(tr("run-fetches-empty"));
                }
                let l = ui.label(tr("run-add-fetch"));
                egui::ComboBox::from_id_salt("add-fetch")
                    .selected_text(tr("run-pick-tensor"))
                    .show_ui(ui, |ui| {
                        if let Some(gr) = graph {
                            for n in gr.nodes() {
                                for k in 0..n.outputs.len() {
                                    let t = format!("{}:{k}", n.name);
                                    if ui.selectable_label(false, &t).clicked() {
                                        self.add_fetch = t;
                                    }
                                }
                            }
                        }
                    })
                    .response
                    .labelled_by(l.id);
                if !self.add_fetch.is_empty() {
                    out.push(Command::ToggleFetch(std::mem::take(&mut self.add_fetch)));
                }
            });
            ui.horizontal_wrapped(|ui| {
                ui.label(tr("run-targets"));
                for t in &s.view.targets {
                    if ui.button(RichText::new(format!("{t} ✖")).monospace()).on_hover_text(tr("run-remove")).clicked()
                    {
                        out.push(Command::ToggleTarget(t.clone()));
                    }
                }
                let l = ui.label(tr("run-add-target"));
                egui::ComboBox::from_id_salt("add-target")
                    .selected_text(tr("run-pick-op"))
                    .show_ui(ui, |ui| {
                        for n in &gd.nodes {
                            if ui.selectable_label(false, &n.name).clicked() {
                                self.add_target = n.name.clone();
                            }
                        }
                    })
                    .response
                    .labelled_by(l.id);
                if !self.add_target.is_empty() {
                    out.push(Command::ToggleTarget(std::mem::take(&mut self.add_target)));
                }
                if (!s.view.fetches.is_empty() || !s.view.targets.is_empty())
                    && ui.small_button(tr("run-clear")).clicked()
                {
                    out.push(Command::ClearRun);
                }
            });
            // What the run executes and the feeds it needs: the line is always there, so the
            // rows below do not move when it changes.
            ui.label(if nothing {
                RichText::new(tr("run-nothing")).weak()
            } else {
                RichText::new(tr_args("run-executes", &[("count", nodes.len().to_string().into())]))
                    .color(style::run(ui.visuals()))
            });
            if !needed.is_empty() {
                ui.label(RichText::new(tr("run-feeds")).strong());
                for (t, problem) in needed.iter().zip(&feed_problems) {
                    let desc = graph
                        .and_then(|gr| gr.tensor(t).ok().and_then(|o| gr.output_info(o).cloned()))
                        .map_or_else(String::new, |(d, sh)| {
                            tr_args(
                                "run-feed-shape",
                                &[("shape", sh.to_string().into()), ("dtype", d.to_string().into())],
                            )
                        });
                    let mut text = s.view.feeds.get(t).cloned().unwrap_or_default();
                    ui.horizontal(|ui| {
                        let l = ui.label(RichText::new(t.as_str()).monospace());
                        ui.label(RichText::new(desc).weak());
                        let r = ui
                            .add(
                                egui::TextEdit::singleline(&mut text)
                                    .hint_text(tr_args("run-feed-example", &[("value", "[[0.7, 0.9]]".into())]))
                                    .desired_width(220.0),
                            )
                            .labelled_by(l.id);
                        if r.changed() {
                            out.push(Command::SetFeed(t.clone(), text.clone()));
                        }
                    });
                    // One line per feed, always: its problem, or that it is fed.
                    match problem {
                        Some(p) if *p == not_fed => {
                            ui.label(RichText::new(p).color(style::warning(ui.visuals())));
                        }
                        Some(p) => {
                            ui.add(egui::Label::new(RichText::new(p).color(style::error(ui.visuals()))).wrap());
                        }
                        None => {
                            ui.label(RichText::new(tr("run-fed")).color(style::ok(ui.visuals())));
                        }
                    }
                }
            }
            ui.label(RichText::new(tr("run-appended")).weak());
            if let Some(r) = &s.last_result {
                ui.separator();
                ui.label(RichText::new(tr_args("run-result-in", &[("session", r.session.as_str().into())])).strong());
                if let Some(e) = &r.error {
                    ui.add(egui::Label::new(RichText::new(e).monospace().color(style::error(ui.visuals()))).wrap());
                    if let Some(x) = explain_tf_error(e) {
                        ui.add(egui::Label::new(RichText::new(x).color(style::warning(ui.visuals()))).wrap());
                    }
                }
                for (name, v) in &r.values {
                    ui.label(RichText::new(format!("{name} =")).monospace().weak());
                    ui.label(RichText::new(v).monospace().size(13.0));
                }
                let unknown: Vec<&String> = r
                    .values
                    .iter()
                    .map(|(n, _)| n)
                    .filter(|n| gd.nodes.iter().all(|m| m.name != TensorName::op_of(n)))
                    .collect();
                if !unknown.is_empty() {
                    ui.weak(tr("run-stale-result"));
                }
            }
        });
    }
}
