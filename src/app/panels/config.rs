//! The config and device panel: the devices this engine offers (each with a line on what it
//! is), and the `ConfigProto` editor. Configs are named and saved in the project; a session is
//! opened with one of them (or the default `ConfigProto()`).

use crate::app::command::Command;
use crate::app::i18n::{tr, tr_args};
use crate::app::state::AppState;
use crate::app::style;
use crate::engine::runtime::placement::available_devices;
use crate::engine::runtime::session::ConfigProto;
use crate::project::NamedConfig;
use egui::RichText;

/// The panel's own state: which named config is being edited.
#[derive(Default)]
pub struct ConfigPanel {
    /// Index into the project's configs; `None` for the default `ConfigProto()`.
    selected: Option<String>,
}

/// The CPU's line, in the UI's language (the cores counted as the engine counts them).
fn cpu_description() -> String {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    tr_args("config-cpu-description", &[("cores", cores.to_string().into())])
}

impl ConfigPanel {
    /// Draws the devices and the config editor.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &AppState, out: &mut Vec<Command>) {
        ui.heading(tr("config-devices"));
        for d in available_devices() {
            ui.label(RichText::new(&d.name).monospace());
            let description = if d.device_type == "CPU" { cpu_description() } else { d.description.clone() };
            ui.label(RichText::new(description).small().weak());
        }
        ui.label(RichText::new(tr("config-no-gpu")).small().color(style::warning(ui.visuals())));
        ui.add_space(6.0);
        ui.heading("ConfigProto");
        let configs = &s.doc.project.configs;
        if self.selected.as_ref().is_some_and(|n| !configs.iter().any(|c| c.name == *n)) {
            self.selected = None;
        }
        ui.horizontal(|ui| {
            let l = ui.label(tr("config-config"));
            let shown = self.selected.clone().unwrap_or_else(|| tr("config-default-name"));
            egui::ComboBox::from_id_salt("config-pick")
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.selected, None, tr("config-default-name"));
                    for c in configs {
                        ui.selectable_value(&mut self.selected, Some(c.name.clone()), &c.name);
                    }
                })
                .response
                .labelled_by(l.id);
            if ui.button(tr("config-new")).on_hover_text(tr("config-new-hint")).clicked() {
                let name = (0..)
                    .map(|i| if i == 0 { "config".to_string() } else { format!("config_{i}") })
                    .find(|n| !configs.iter().any(|c| c.name == *n))
                    .unwrap_or_default();
                out.push(Command::SaveConfig(NamedConfig { name: name.clone(), config: ConfigProto::default() }));
                self.selected = Some(name);
            }
        });
        let current = self.selected.as_ref().and_then(|n| configs.iter().find(|c| c.name == *n));
        match current {
            None => {
                ui.label(RichText::new(tr("config-default-desc")).small().weak());
            }
            Some(nc) => {
                let mut c = nc.config.clone();
                egui::Grid::new("config-grid").num_columns(2).show(ui, |ui| {
                    ui.checkbox(&mut c.allow_soft_placement, "allow_soft_placement")
                        .on_hover_text(tr("config-soft-placement-hint"));
                    ui.end_row();
                    ui.checkbox(&mut c.log_device_placement, "log_device_placement")
                        .on_hover_text(tr("config-log-placement-hint"));
                    ui.end_row();
                    let l = ui.label("intra_op_parallelism_threads");
                    ui.add(egui::DragValue::new(&mut c.intra_op_parallelism_threads).range(0..=256)).labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label("inter_op_parallelism_threads");
                    ui.add(egui::DragValue::new(&mut c.inter_op_parallelism_threads).range(0..=256)).labelled_by(l.id);
                    ui.end_row();
                    ui.checkbox(&mut c.gpu_options.allow_growth, "gpu_options.allow_growth");
                    ui.end_row();
                    let l = ui.label("per_process_gpu_memory_fraction");
                    ui.add(
                        egui::DragValue::new(&mut c.gpu_options.per_process_gpu_memory_fraction)
                            .range(0.0..=1.0)
                            .speed(0.01),
                    )
                    .labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label("operation_timeout_in_ms");
                    ui.add(egui::DragValue::new(&mut c.operation_timeout_in_ms).range(0..=3_600_000)).labelled_by(l.id);
                    ui.end_row();
                    let default_mb = crate::engine::memory::default_budget() >> 20;
                    let l = ui.label("memory_limit_mb").on_hover_text(tr_args(
                        "config-memory-limit-hint",
                        &[
                            ("mb", default_mb.to_string().into()),
                            ("error", "ResourceExhaustedError: OOM when allocating tensor ...".into()),
                        ],
                    ));
                    ui.add(egui::DragValue::new(&mut c.memory_limit_mb).range(0..=(1u64 << 30)).speed(16))
                        .labelled_by(l.id);
                    ui.end_row();
                });
                if c != nc.config {
                    out.push(Command::SaveConfig(NamedConfig { name: nc.name.clone(), config: c }));
                }
                // A session keeps the config it was opened with, as in TF.
                let open_with: Vec<&str> = s
                    .engine
                    .ws
                    .sessions
                    .iter()
                    .zip(&s.sessions_meta)
                    .filter(|(e, m)| !e.session.is_closed() && m.config.as_deref() == Some(nc.name.as_str()))
                    .map(|(e, _)| e.id.as_str())
                    .collect();
                if !open_with.is_empty() {
                    ui.add(
                        egui::Label::new(
                            RichText::new(tr_args(
                                "config-change-applies-later",
                                &[("sessions", open_with.join(", ").into())],
                            ))
                            .weak(),
                        )
                        .wrap(),
                    );
                }
                ui.horizontal(|ui| {
                    ui.label(RichText::new(crate::app::panels::sessions::config_summary(&nc.config)).small().weak());
                    if ui.small_button(tr("config-delete")).clicked() {
                        out.push(Command::DeleteConfig(nc.name.clone()));
                    }
                });
            }
        }
        let g = s.view.active_graph;
        let gname = s.doc.project.graphs.get(g).map_or("", |gd| gd.name.as_str());
        if ui
            .button(tr_args("config-open-session", &[("graph", gname.into())]))
            .on_hover_text(tr_args("config-open-session-hint", &[("code", "tf.Session(graph=..., config=...)".into())]))
            .clicked()
        {
            out.push(Command::OpenSession { graph: g, config: self.selected.clone() });
        }
    }
}
