//! The inspector (right): the selected node's name, op, inputs, attrs (editable, validated by
//! the op's own deserializer and by graph construction), outputs with their TF reprs
//! (`Tensor("MatMul:0", shape=(?, 3), dtype=float32)`), the requested device, and where the
//! run session placed it and why. With nothing selected it shows the graph (name, seed).

use crate::app::command::Command;
use crate::app::i18n::{explain_tf_error, placement_reason, tr, tr_args};
use crate::app::model::modal::Modal;
use crate::app::state::AppState;
use crate::app::style;
use crate::engine::DType;
use crate::engine::graph::op::{Op, palette};
use crate::engine::graph::tensor_name::TensorName;
use crate::engine::kernels::random::derive_seeds;
use crate::engine::runtime::placement;
use crate::engine::shape::Shape;
use crate::project::NodeDef;
use egui::RichText;
use serde_json::Value as Json;
use std::collections::HashMap;

/// The inspector's edit buffers.
#[derive(Default)]
pub struct Inspector {
    node: Option<(usize, String)>,
    name: String,
    device: String,
    texts: HashMap<String, String>,
    errors: HashMap<String, String>,
    tf_seed: String,
    graph_seed: String,
    revision: u64,
}

/// A text field with an accessible name; returns the response.
pub fn labelled_text(ui: &mut egui::Ui, label: &str, text: &mut String, width: f32) -> egui::Response {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(text).desired_width(width)).labelled_by(l.id)
}

fn committed(r: &egui::Response) -> bool {
    r.lost_focus()
}

impl Inspector {
    /// Draws the inspector for the selection of the active graph.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &AppState, out: &mut Vec<Command>) {
        ui.heading(tr("inspector-heading"));
        let g = s.view.active_graph;
        let Some(gd) = s.doc.project.graphs.get(g) else { return };
        let node = match s.view.selection.as_slice() {
            [one] => gd.nodes.iter().find(|n| n.name == *one),
            _ => None,
        };
        let Some(node) = node else {
            self.node = None;
            self.graph_ui(ui, s, g, out);
            if s.view.selection.len() > 1 {
                ui.label(tr_args("inspector-many-selected", &[("count", s.view.selection.len().to_string().into())]));
            } else {
                ui.weak(tr("inspector-select-node"));
            }
            return;
        };
        let typing = ui.ctx().egui_wants_keyboard_input();
        if self.node.as_ref() != Some(&(g, node.name.clone())) || (self.revision != s.doc.revision && !typing) {
            self.load(g, node);
            self.revision = s.doc.revision;
        }
        self.node_ui(ui, s, g, node, out);
        crate::app::panels::debug::inspector_section(ui, s, &node.name, out);
    }

    fn load(&mut self, g: usize, node: &NodeDef) {
        self.node = Some((g, node.name.clone()));
        self.name = node.name.clone();
        self.device = node.device.clone();
        self.texts.clear();
        self.errors.clear();
        self.tf_seed.clear();
    }

    fn graph_ui(&mut self, ui: &mut egui::Ui, s: &AppState, g: usize, out: &mut Vec<Command>) {
        let Some(gd) = s.doc.project.graphs.get(g) else { return };
        egui::Grid::new("graph-info").num_columns(2).striped(true).show(ui, |ui| {
            ui.label(tr("inspector-graph"));
            ui.label(RichText::new(&gd.name).strong());
            ui.end_row();
            ui.label(tr("inspector-default-graph"));
            if gd.name == s.doc.project.default_graph {
                ui.label(tr_args("inspector-is-default", &[("code", "tf.get_default_graph()".into())]));
            } else if ui.button(tr("inspector-make-default")).clicked() {
                out.push(Command::SetDefaultGraph { graph: g });
            }
            ui.end_row();
            ui.label(tr("inspector-nodes"));
            ui.label(gd.nodes.len().to_string());
            ui.end_row();
            ui.label(tr("inspector-variables"));
            ui.label(s.engine.graph(g).map_or(0, |gr| gr.variables().len()).to_string());
            ui.end_row();
            if self.graph_seed.is_empty() {
                self.graph_seed = gd.seed.map_or_else(String::new, |x| x.to_string());
            }
            let r = labelled_text(ui, &tr("inspector-graph-seed"), &mut self.graph_seed, 120.0)
                .on_hover_text(tr_args("inspector-graph-seed-hint", &[("code", "tf.set_random_seed(seed)".into())]));
            if committed(&r) {
                let t = self.graph_seed.trim();
                if t.is_empty() {
                    out.push(Command::SetGraphSeed { graph: g, seed: None });
                } else if let Ok(v) = t.parse() {
                    out.push(Command::SetGraphSeed { graph: g, seed: Some(v) });
                }
            }
            ui.end_row();
        });
        let errors = s.engine.errors(g).map_or(0, |e| e.len());
        if errors > 0 {
            ui.colored_label(
                style::error(ui.visuals()),
                tr_args("inspector-nodes-in-error", &[("count", errors.to_string().into())]),
            );
        }
    }

    fn node_ui(&mut self, ui: &mut egui::Ui, s: &AppState, g: usize, node: &NodeDef, out: &mut Vec<Command>) {
        let graph = s.engine.graph(g);
        let built = graph.and_then(|gr| gr.find(&node.name).and_then(|id| gr.node(id)));
        egui::Grid::new("node-info").num_columns(2).striped(true).show(ui, |ui| {
            let r = labelled_text(ui, &tr("inspector-name"), &mut self.name, 200.0);
            if committed(&r) && self.name != node.name {
                out.push(Command::RenameNode { graph: g, old: node.name.clone(), new: self.name.clone() });
            }
            ui.end_row();
            ui.label(tr("inspector-op"));
            ui.label(RichText::new(node.op.type_name()).strong().monospace());
            ui.end_row();
            let names = node.op.input_names();
            for (k, n) in names.iter().enumerate() {
                ui.label(tr_args("inspector-input", &[("name", (*n).into())]));
                match node.inputs.get(k).filter(|t| !t.is_empty()) {
                    Some(t) => {
                        let repr = graph
                            .and_then(|gr| gr.tensor(t).ok().map(|o| gr.tensor_repr(o)))
                            .unwrap_or_else(|| t.clone());
                        ui.label(RichText::new(repr).monospace());
                    }
                    None => {
                        ui.colored_label(style::warning(ui.visuals()), tr("inspector-not-connected"));
                    }
                }
                ui.end_row();
            }
            if !node.control_inputs.is_empty() {
                ui.label(tr("inspector-control-inputs"));
                ui.label(
                    RichText::new(node.control_inputs.iter().map(|c| format!("^{c}")).collect::<Vec<_>>().join(", "))
                        .monospace(),
                );
                ui.end_row();
            }
            match built {
                Some(b) => {
                    for (k, (d, sh)) in b.outputs.iter().enumerate() {
                        ui.label(tr_args("inspector-output", &[("index", k.to_string().into())]));
                        ui.vertical(|ui| {
                            let r = format!("Tensor(\"{}:{k}\", shape={sh}, dtype={d})", node.name);
                            ui.label(RichText::new(r).monospace());
                            ui.label(
                                RichText::new(tr_args(
                                    "inspector-dtype-shape",
                                    &[("dtype", d.to_string().into()), ("shape", sh.to_string().into())],
                                ))
                                .small()
                                .weak(),
                            );
                        });
                        ui.end_row();
                    }
                    if b.outputs.is_empty() {
                        ui.label(tr("inspector-outputs"));
                        ui.label(tr("inspector-no-outputs"));
                        ui.end_row();
                    }
                }
                None => {
                    ui.label(tr("inspector-outputs"));
                    ui.colored_label(style::error(ui.visuals()), tr("inspector-not-built"));
                    ui.end_row();
                }
            }
            let r = labelled_text(ui, &tr("inspector-requested-device"), &mut self.device, 200.0)
                .on_hover_text(tr("inspector-device-hint"));
            if committed(&r) && self.device != node.device {
                out.push(Command::SetDevice { graph: g, node: node.name.clone(), device: self.device.clone() });
            }
            ui.end_row();
            ui.label(tr("inspector-placement"));
            ui.vertical(|ui| self.placement_ui(ui, s, g, node));
            ui.end_row();
        });
        if let Some(e) = s.engine.errors(g).and_then(|e| e.get(&node.name)) {
            ui.add_space(4.0);
            let c = if e.kind.is_incomplete() { style::warning(ui.visuals()) } else { style::error(ui.visuals()) };
            egui::Frame::group(ui.style()).stroke(egui::Stroke::new(1.0, c)).show(ui, |ui| {
                ui.add(egui::Label::new(RichText::new(&e.message).color(c)).wrap());
                if let Some(x) = explain_tf_error(&e.message) {
                    ui.add(egui::Label::new(RichText::new(x).color(style::warning(ui.visuals()))).wrap());
                }
            });
        }
        ui.add_space(6.0);
        ui.label(RichText::new(tr("inspector-attributes")).strong());
        self.attrs_ui(ui, s, g, node, out);
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            if ui.button(tr("inspector-rename")).clicked() {
                out.push(Command::ShowModal(Modal::RenameNode { graph: g, node: node.name.clone() }));
            }
            if ui.button(tr("inspector-delete-node")).clicked() {
                out.push(Command::DeleteNodes { graph: g, names: vec![node.name.clone()] });
            }
            for k in 0..node.op.num_outputs() {
                let t = format!("{}:{k}", node.name);
                let id = if s.view.fetches.contains(&t) { "inspector-unfetch" } else { "inspector-fetch" };
                let label = tr_args(id, &[("tensor", t.as_str().into())]);
                if ui.button(label).clicked() {
                    out.push(Command::ToggleFetch(t));
                }
            }
        });
    }

    fn placement_ui(&self, ui: &mut egui::Ui, s: &AppState, g: usize, node: &NodeDef) {
        let entry = s.run_session().and_then(|i| s.engine.ws.sessions.get(i)).filter(|e| e.graph == g);
        match entry {
            Some(e) => match e.session.placements().get(&node.name) {
                Some(p) => {
                    ui.label(RichText::new(&p.device).monospace());
                    ui.label(
                        RichText::new(tr_args(
                            "inspector-placed-in",
                            &[("session", e.id.as_str().into()), ("reason", placement_reason(p).into())],
                        ))
                        .small(),
                    );
                }
                None => {
                    let soft = e.session.config().allow_soft_placement;
                    match placement::place(&node.name, node.op.type_name(), &node.device, soft) {
                        Ok(p) => {
                            ui.label(
                                RichText::new(tr_args(
                                    "inspector-will-be-placed",
                                    &[("session", e.id.as_str().into()), ("device", p.device.as_str().into())],
                                ))
                                .small(),
                            );
                            ui.label(RichText::new(placement_reason(&p)).small().weak());
                        }
                        Err(err) => {
                            ui.add(
                                egui::Label::new(
                                    RichText::new(err.to_string()).small().color(style::error(ui.visuals())),
                                )
                                .wrap(),
                            );
                        }
                    }
                }
            },
            None => {
                ui.label(RichText::new(tr("inspector-no-run-session")).small().weak());
            }
        }
    }

    fn attrs_ui(&mut self, ui: &mut egui::Ui, s: &AppState, g: usize, node: &NodeDef, out: &mut Vec<Command>) {
        let Ok(Json::Object(obj)) = serde_json::to_value(&node.op) else { return };
        let op_tag = obj.get("op").and_then(Json::as_str).unwrap_or_default().to_string();
        let kinds: Vec<String> = palette()
            .iter()
            .filter_map(|o| serde_json::to_value(o).ok())
            .filter(|v| v.get("op").and_then(Json::as_str) == Some(op_tag.as_str()))
            .filter_map(|v| v.get("kind").and_then(Json::as_str).map(str::to_string))
            .collect();
        let mut new_obj = obj.clone();
        let mut changed = false;
        let keys: Vec<String> = obj.keys().filter(|k| *k != "op").cloned().collect();
        if keys.is_empty() {
            ui.weak(tr("inspector-no-attrs"));
        }
        egui::Grid::new("attrs").num_columns(2).striped(true).show(ui, |ui| {
            for key in keys {
                let Some(val) = obj.get(&key) else { continue };
                match (key.as_str(), val) {
                    ("dtype" | "to", Json::String(cur)) => {
                        let l = ui.label(key.as_str());
                        let mut sel = cur.clone();
                        egui::ComboBox::from_id_salt(("attr", key.as_str()))
                            .selected_text(&sel)
                            .show_ui(ui, |ui| {
                                for d in DType::ALL {
                                    ui.selectable_value(&mut sel, d.name().to_string(), d.name());
                                }
                            })
                            .response
                            .labelled_by(l.id);
                        if sel != *cur {
                            new_obj.insert(key.clone(), Json::String(sel));
                            changed = true;
                        }
                    }
                    ("kind", Json::String(cur)) if !kinds.is_empty() => {
                        let l = ui.label("kind");
                        let mut sel = cur.clone();
                        egui::ComboBox::from_id_salt(("attr", "kind"))
                            .selected_text(&sel)
                            .show_ui(ui, |ui| {
                                for k in &kinds {
                                    ui.selectable_value(&mut sel, k.clone(), k.as_str());
                                }
                            })
                            .response
                            .labelled_by(l.id);
                        if sel != *cur {
                            new_obj.insert(key.clone(), Json::String(sel));
                            changed = true;
                        }
                    }
                    (_, Json::Bool(b)) => {
                        ui.label(key.as_str());
                        let mut v = *b;
                        if ui.checkbox(&mut v, "").labelled_by(ui.id().with(&key)).changed() {
                            new_obj.insert(key.clone(), Json::Bool(v));
                            changed = true;
                        }
                    }
                    ("value", Json::Object(cv)) if op_tag == "Const" => {
                        // A constant: its dtype and its data as nested lists.
                        let dtype = cv.get("dtype").and_then(Json::as_str).unwrap_or("float32").to_string();
                        let l = ui.label("value dtype");
                        let mut sel = dtype.clone();
                        egui::ComboBox::from_id_salt("const-dtype")
                            .selected_text(&sel)
                            .show_ui(ui, |ui| {
                                for d in DType::ALL {
                                    ui.selectable_value(&mut sel, d.name().to_string(), d.name());
                                }
                            })
                            .response
                            .labelled_by(l.id);
                        ui.end_row();
                        let data = cv.get("data").cloned().unwrap_or(Json::Null);
                        let text = self.texts.entry("data".to_string()).or_insert_with(|| data.to_string());
                        let r = labelled_text(ui, "value", text, 220.0);
                        if sel != dtype || committed(&r) {
                            match serde_json::from_str::<Json>(text) {
                                Ok(d) => {
                                    let mut v = serde_json::Map::new();
                                    v.insert("dtype".to_string(), Json::String(sel));
                                    v.insert("data".to_string(), d);
                                    new_obj.insert(key.clone(), Json::Object(v));
                                    changed = true;
                                }
                                Err(e) => {
                                    self.errors.insert(
                                        key.clone(),
                                        tr_args("inspector-not-a-value", &[("error", e.to_string().into())]),
                                    );
                                }
                            }
                        }
                    }
                    ("shape", _) => {
                        let partial_ok = matches!(node.op, Op::Placeholder { .. });
                        let shown = serde_json::from_value::<Shape>(val.clone())
                            .map_or_else(|_| val.to_string(), |s| s.to_string());
                        let text = self.texts.entry(key.clone()).or_insert(shown);
                        let r = labelled_text(ui, "shape", text, 160.0).on_hover_text(if partial_ok {
                            tr("inspector-shape-partial-hint")
                        } else {
                            tr("inspector-shape-hint")
                        });
                        if committed(&r) {
                            match Shape::parse(text) {
                                Some(sh) if partial_ok || sh.is_fully_defined() => {
                                    let json = if matches!(node.op, Op::Placeholder { .. } | Op::Variable { .. }) {
                                        serde_json::to_value(&sh).unwrap_or(Json::Null)
                                    } else {
                                        serde_json::to_value(sh.to_known().unwrap_or_default()).unwrap_or(Json::Null)
                                    };
                                    new_obj.insert(key.clone(), json);
                                    changed = true;
                                }
                                Some(_) => {
                                    self.errors.insert(key.clone(), tr("inspector-needs-full-shape"));
                                }
                                None => {
                                    self.errors.insert(
                                        key.clone(),
                                        tr_args("inspector-not-a-shape", &[("text", text.as_str().into())]),
                                    );
                                }
                            }
                        }
                    }
                    _ => {
                        let text = self.texts.entry(key.clone()).or_insert_with(|| val.to_string());
                        let r = labelled_text(ui, &key, text, 160.0);
                        if committed(&r) {
                            match serde_json::from_str::<Json>(text) {
                                Ok(v) => {
                                    new_obj.insert(key.clone(), v);
                                    changed = true;
                                }
                                Err(e) => {
                                    self.errors.insert(key.clone(), format!("{e}"));
                                }
                            }
                        }
                    }
                }
                ui.end_row();
                if let Some(e) = self.errors.get(&key) {
                    ui.label("");
                    ui.colored_label(style::error(ui.visuals()), e);
                    ui.end_row();
                }
            }
        });
        if node.op.is_random() {
            ui.horizontal(|ui| {
                let r = labelled_text(ui, "tf op seed", &mut self.tf_seed, 80.0)
                    .on_hover_text(tr("inspector-op-seed-hint"));
                let gseed = s.doc.project.graphs.get(g).and_then(|gd| gd.seed);
                if committed(&r)
                    && let Ok(x) = self.tf_seed.trim().parse::<i64>()
                {
                    let (a, b) = derive_seeds(gseed, Some(x), 0);
                    new_obj.insert("seed".to_string(), Json::from(a));
                    new_obj.insert("seed2".to_string(), Json::from(b));
                    changed = true;
                }
            });
        }
        if changed {
            match serde_json::from_value::<Op>(Json::Object(new_obj)) {
                Ok(op) if op != node.op => {
                    self.errors.clear();
                    self.texts.clear();
                    self.link_variable_shape(s, g, node, &op, out);
                    out.push(Command::SetOp { graph: g, node: node.name.clone(), op });
                }
                Ok(_) => {}
                Err(e) => {
                    self.errors.insert("op".to_string(), e.to_string());
                }
            }
        }
        if let Some(e) = self.errors.get("op") {
            ui.colored_label(style::error(ui.visuals()), e);
        }
    }

    /// When a variable's shape or dtype changes, its initial-value op follows (as
    /// `tf.Variable(tf.random_normal(shape))` would be rewritten).
    fn link_variable_shape(&self, s: &AppState, g: usize, node: &NodeDef, op: &Op, out: &mut Vec<Command>) {
        let Op::Variable { dtype, shape } = op else { return };
        let Some(gd) = s.doc.project.graphs.get(g) else { return };
        let Some(dims) = shape.to_known() else { return };
        let init = gd.nodes.iter().find(|n| {
            matches!(n.op, Op::Assign { initializer: true })
                && n.inputs.first().is_some_and(|t| TensorName::op_of(t) == node.name)
        });
        let Some(src) = init.and_then(|a| a.inputs.get(1)).map(|t| TensorName::op_of(t).to_string()) else { return };
        let Some(src_node) = gd.nodes.iter().find(|n| n.name == src) else { return };
        let new = match src_node.op.clone() {
            Op::Fill { value, .. } => Op::Fill { dtype: *dtype, shape: dims, value },
            Op::RandomStandardNormal { mean, stddev, seed, seed2, .. } => {
                Op::RandomStandardNormal { dtype: *dtype, shape: dims, mean, stddev, seed, seed2 }
            }
            Op::TruncatedNormal { mean, stddev, seed, seed2, .. } => {
                Op::TruncatedNormal { dtype: *dtype, shape: dims, mean, stddev, seed, seed2 }
            }
            Op::RandomUniform { minval, maxval, seed, seed2, .. } => {
                Op::RandomUniform { dtype: *dtype, shape: dims, minval, maxval, seed, seed2 }
            }
            _ => return,
        };
        out.push(Command::SetOp { graph: g, node: src, op: new });
    }
}
