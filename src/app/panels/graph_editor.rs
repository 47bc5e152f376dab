//! The graph editor (centre): one tab per graph (the default graph marked ★), a toolbar with
//! search-to-add and the palette, and the node canvas drawn with egui-snarl. The snarl is
//! derived from the project on every change and never edited directly: dragging a wire, moving
//! nodes, deleting or renaming emit commands. Each output pin shows its tensor as TF names it
//! (`add:0 (2,) float32`, click it to fetch it), wires carry their shape, nodes in error are
//! drawn red with the message on them, device requests tint them, and the nodes the next run
//! will execute are outlined. Under the debugger (`crate::app::panels::debug`), each op that ran
//! shows its value (or min/mean/max and a histogram), ops not run yet are dimmed and the op the
//! run paused after is outlined; the node menu sets breakpoints.
//!
//! As TensorBoard does, what `minimize` added to a training graph (its gradients, and each
//! optimizer with its slots, e.g. `Adam`, `Variable/Adam`, `beta1_power`) is drawn collapsed into
//! one group node each ("Collapse scopes", on by default; a group's menu expands it); the groups
//! come from the structure `crate::engine::autodiff::optimizers` recovers ([`scope_groups`]),
//! not from node names. The first view of a graph and Fit show the whole graph (at most at 1:1,
//! node sizes as drawn); each document keeps its own pan and zoom.
//!
//! Semantic zoom: where the whole graph would fit only below [`OVERVIEW_BELOW`] (where a node's
//! text is too small to read), the first view and Fit show the overview instead: each node drawn
//! (a collapsed group too) as a card with its name at the body text size (its op type on hover),
//! in the columns and order of the layered layout with a long forward pass wrapped into bands
//! ([`overview_positions`]), the wires drawn, pins and values left out. A click selects, a
//! group's ⊞ expands it; zooming in opens the detailed view at the card under the pointer, and
//! zooming the detailed view out below [`OVERVIEW_BELOW`] goes back to the overview. Under the
//! debugger the detailed view is shown (the values go on its nodes).

use crate::app::command::Command;
use crate::app::i18n::{tr, tr_args};
use crate::app::model::document::run_closure;
use crate::app::model::layered::{estimated_size, layered_layout, overview_positions};
use crate::app::model::modal::Modal;
use crate::app::panels::debug::NodeRun;
use crate::app::state::AppState;
use crate::app::style;
use crate::engine::DType;
use crate::engine::graph::Initializer;
use crate::engine::graph::op::{Op, palette};
use crate::engine::graph::tensor_name::TensorName;
use crate::project::NodeDef;
use egui::{Color32, Pos2, Rect, RichText, Stroke};
use egui_snarl::ui::{PinInfo, SnarlPin, SnarlStyle, SnarlViewer, SnarlWidget};
use egui_snarl::{InPin, InPinId, NodeId, OutPin, OutPinId, Snarl};
use std::collections::{HashMap, HashSet};

/// What the palette adds.
#[derive(Clone, Debug, PartialEq)]
pub enum PaletteItem {
    /// `tf.Variable(tf.random_normal(...))`: three nodes.
    Variable,
    /// One op node.
    Op(Op),
}

/// Every entry of the palette: a label and what it adds.
pub fn palette_items() -> Vec<(String, PaletteItem)> {
    let mut v = vec![("Variable (VariableV2 + Assign + random_normal)".to_string(), PaletteItem::Variable)];
    for op in palette() {
        let label = if op.type_name() == op.default_name() {
            op.type_name().to_string()
        } else {
            format!("{} ({})", op.type_name(), op.default_name())
        };
        v.push((label, PaletteItem::Op(op)));
    }
    v
}

/// The command that adds a palette item to `graph` at `pos`.
pub fn add_command(graph: usize, item: &PaletteItem, pos: Option<[f32; 2]>) -> Command {
    match item {
        PaletteItem::Variable => Command::AddVariable {
            graph,
            dtype: DType::Float32,
            shape: vec![2, 3],
            init: Initializer::RandomNormal { mean: 0.0, stddev: 1.0, seed: Some(1) },
            pos: pos.unwrap_or([0.0, 0.0]),
        },
        PaletteItem::Op(op) => Command::AddNodes {
            graph,
            nodes: vec![NodeDef {
                name: op.default_name().to_string(),
                op: op.clone(),
                inputs: Vec::new(),
                control_inputs: Vec::new(),
                device: String::new(),
                pos,
            }],
        },
    }
}

/// Items whose label contains `query` (case-insensitive).
pub fn search(query: &str) -> Vec<(String, PaletteItem)> {
    let q = query.trim().to_lowercase();
    palette_items().into_iter().filter(|(l, _)| q.is_empty() || l.to_lowercase().contains(&q)).collect()
}

/// Canvas pixels per project position unit.
const SCALE: [f32; 2] = crate::app::model::layered::CANVAS_SCALE;

struct SnarlCache {
    revision: u64,
    graph_count: usize,
    groups_key: (bool, Vec<String>),
    snarl: Snarl<usize>,
    groups: Groups,
    /// Where each snarl node was put (canvas units), so a drag moves the stored position by
    /// the drag's distance.
    placed: HashMap<NodeId, Pos2>,
    /// Edges each wire to or from a group stands for.
    wire_counts: HashMap<(NodeId, NodeId), usize>,
    /// Every node's position in project units (stored, or from the layered layout).
    base: Vec<[f32; 2]>,
    /// Each drawn node's detailed position, by payload (node index, `nodes + k` for a group).
    detail_pos: HashMap<usize, Pos2>,
    /// The overview, and the canvas size (rounded points) it was laid out for.
    overview: Option<(OverviewLayout, [i32; 2])>,
}

/// The overview of a graph: a card per node drawn, and the wires between them.
struct OverviewLayout {
    /// Payload (node index, `nodes + k` for a group) and place at 1:1 of each card.
    cards: Vec<(usize, Rect)>,
    /// Wires, as pairs of card indices.
    wires: Vec<(usize, usize)>,
}

pub use crate::app::model::layered::{Groups, scope_groups};

/// The editor's own state.
pub struct GraphEditor {
    /// Draw `gradients/` and optimizer scopes as one group node each.
    pub collapse: bool,
    /// Groups expanded by hand while collapsing is on, per document and graph.
    pub expanded: HashMap<(u64, usize), Vec<String>>,
    /// Graphs whose first view (or Fit) is being placed, with the passes applied so far
    /// ([`FIT_DONE`] once settled), and the bounding box the last pass fitted: the first pass
    /// uses estimated card sizes, each later one the sizes drawn in the frame before, until two
    /// passes agree (a graph rebuilt while it is placed, as when a Python program ends, takes
    /// more than one pass).
    fitted: HashMap<(u64, usize), u8>,
    fit_bb: HashMap<(u64, usize), Rect>,
    /// While a Python program builds a graph: its node count when its view was last placed
    /// (the view is placed again as the graph grows).
    program_nodes: HashMap<(u64, usize), usize>,
    /// Graphs shown as the overview (cards with names at the body text size).
    overview: HashSet<(u64, usize)>,
    /// Where the detailed view opens after a zoom into the overview: the card's payload and
    /// the screen point it goes under.
    enter_detail: HashMap<(u64, usize), (usize, Pos2)>,
    /// The centre of the canvas shown, per graph, in project units (where added nodes go).
    view_centre: HashMap<(u64, usize), [f32; 2]>,
    caches: HashMap<usize, SnarlCache>,
    search: String,
    menu_search: String,
    last_snarl_selection: HashMap<usize, Vec<String>>,
    /// Pin label rects from the previous frame, in canvas coordinates, for the wire labels.
    out_rects: HashMap<(usize, usize), Rect>,
    in_rects: HashMap<(usize, usize), Rect>,
}

impl Default for GraphEditor {
    fn default() -> Self {
        GraphEditor {
            collapse: true,
            expanded: HashMap::new(),
            fitted: HashMap::new(),
            fit_bb: HashMap::new(),
            program_nodes: HashMap::new(),
            overview: HashSet::new(),
            enter_detail: HashMap::new(),
            view_centre: HashMap::new(),
            caches: HashMap::new(),
            search: String::new(),
            menu_search: String::new(),
            last_snarl_selection: HashMap::new(),
            out_rects: HashMap::new(),
            in_rects: HashMap::new(),
        }
    }
}

/// The smallest zoom of the detailed view.
const MIN_SCALE: f32 = 0.05;
/// Below this zoom a detailed node's text is too small to read (body text at 6 px): the canvas
/// shows the overview instead.
pub const OVERVIEW_BELOW: f32 = 0.5;
/// The zoom the detailed view opens at when zooming into the overview.
pub const DETAIL_FROM_OVERVIEW: f32 = 0.8;
/// Room around the graph when it is fitted to the canvas, in points.
const FIT_MARGIN: f32 = 24.0;
/// The most passes a fit takes (see `GraphEditor::fitted`), and the mark of a settled one.
const FIT_MAX_PASSES: u8 = 6;
const FIT_DONE: u8 = u8::MAX;
/// A group node's size on the canvas at 1:1, before it is first drawn.
const GROUP_SIZE: egui::Vec2 = egui::vec2(180.0, 60.0);
/// Room around a card's name, in points.
const CARD_PAD: egui::Vec2 = egui::vec2(8.0, 4.0);

struct OutView {
    tensor: String,
    label: String,
    dtype: Option<DType>,
    shape: String,
}

struct NodeView {
    name: String,
    op_type: &'static str,
    inputs: Vec<String>,
    n_in: usize,
    outputs: Vec<OutView>,
    op_pin: bool,
    error: Option<String>,
    incomplete: bool,
    tint: Option<Color32>,
    placed: Option<String>,
    in_run: bool,
    selected: bool,
    /// For a group node: how many nodes it stands for.
    group: Option<usize>,
    /// What the debugged run shows on it.
    dbg: Option<crate::app::panels::debug::NodeDebug>,
}

impl GraphEditor {
    /// Draws the tabs, toolbar and canvas of the active graph.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &AppState, out: &mut Vec<Command>) {
        let g = s.view.active_graph;
        let doc = s.doc.serial;
        // Nodes added from the toolbar land in the middle of the view.
        let centre = self.view_centre.get(&(doc, g)).copied();
        ui.horizontal_wrapped(|ui| {
            for (i, gd) in s.doc.project.graphs.iter().enumerate() {
                let label = if gd.name == s.doc.project.default_graph {
                    tr_args("editor-default-graph-tab", &[("name", gd.name.as_str().into())])
                } else {
                    gd.name.clone()
                };
                if ui
                    .selectable_label(i == g, label)
                    .on_hover_text(tr_args("editor-graph-tab-hint", &[("code", "tf.Graph".into())]))
                    .clicked()
                {
                    out.push(Command::SetActiveGraph(i));
                }
            }
            if ui
                .button(tr("editor-add-graph"))
                .on_hover_text(tr_args("editor-add-graph-hint", &[("code", "tf.Graph()".into())]))
                .clicked()
            {
                out.push(Command::NewGraph);
            }
        });
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(tr("editor-add-node"));
            let resp = ui.add(
                egui::TextEdit::singleline(&mut self.search).hint_text(tr("editor-add-node-hint")).desired_width(200.0),
            );
            let resp = resp.labelled_by(label.id);
            let hits = search(&self.search);
            if resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) && !self.search.trim().is_empty() {
                if let Some((_, item)) = hits.first() {
                    out.push(add_command(g, item, centre));
                }
                self.search.clear();
            }
            if resp.has_focus() && !self.search.trim().is_empty() {
                let names: Vec<&str> = hits.iter().take(4).map(|(l, _)| l.as_str()).collect();
                ui.weak(if names.is_empty() { tr("editor-no-such-op") } else { names.join(" · ") });
            }
            ui.menu_button(tr("editor-palette"), |ui| {
                egui::ScrollArea::vertical().max_height(420.0).show(ui, |ui| {
                    for (label, item) in palette_items() {
                        if ui.button(label).clicked() {
                            out.push(add_command(g, &item, centre));
                            ui.close();
                        }
                    }
                });
            });
            if ui.button(tr("editor-auto-layout")).clicked() {
                out.push(Command::AutoLayout { graph: g });
            }
            if ui
                .checkbox(&mut self.collapse, tr("editor-collapse-scopes"))
                .on_hover_text(tr("editor-collapse-scopes-hint"))
                .changed()
            {
                self.expanded.remove(&(doc, g));
            }
            if self.expanded.get(&(doc, g)).is_some_and(|e| !e.is_empty())
                && ui.button(tr("ux-collapse-groups")).on_hover_text(tr("ux-collapse-groups-hint")).clicked()
            {
                self.expanded.remove(&(doc, g));
            }
            if ui.button(tr("editor-fit")).on_hover_text(tr("editor-fit-hint")).clicked() {
                self.fitted.remove(&(doc, g));
            }
            let help = if self.overview.contains(&(doc, g)) { "editor-overview-help" } else { "editor-mouse-help" };
            ui.weak(tr(help));
        });
        ui.separator();

        let Some(gd) = s.doc.project.graphs.get(g) else { return };
        let canvas_rect = ui.available_rect_before_wrap();
        let area = [
            (canvas_rect.width() - 2.0 * FIT_MARGIN).round() as i32,
            (canvas_rect.height() - 2.0 * FIT_MARGIN).round() as i32,
        ];
        let expanded = self.expanded.get(&(doc, g)).cloned().unwrap_or_default();
        self.ensure_cache(s, g, &expanded);
        // Under the debugger the values go on the detailed nodes: no overview.
        let debugging = crate::app::panels::debug::shows_run(s, g);
        if debugging && self.overview.remove(&(doc, g)) {
            self.fitted.remove(&(doc, g));
        }
        // While a Python program builds the graph, its view is placed again as it grows; once
        // the program has ended, once more for the whole graph it built.
        let program_running = s.program.as_ref().is_some_and(|p| p.stepper.is_some());
        let replace = if program_running {
            self.program_nodes.insert((doc, g), gd.nodes.len()).is_some_and(|n| n != gd.nodes.len())
        } else {
            self.program_nodes.remove(&(doc, g)).is_some()
        };
        if replace {
            self.fitted.remove(&(doc, g));
            self.overview.remove(&(doc, g));
        }
        // The first view and Fit: the detailed view where the whole graph fits at a readable
        // zoom, else the overview.
        if !self.fitted.contains_key(&(doc, g))
            && let Some(cache) = self.caches.get(&g)
        {
            let bb = cache.detail_pos.iter().fold(Rect::NOTHING, |bb, (&i, &p)| {
                let size = gd.nodes.get(i).map_or(GROUP_SIZE, |n| egui::Vec2::from(estimated_size(n)));
                bb.union(Rect::from_min_size(p, size))
            });
            let fit = (area[0] as f32 / bb.width()).min(area[1] as f32 / bb.height());
            if bb.is_finite() && fit < OVERVIEW_BELOW && !debugging {
                self.overview.insert((doc, g));
                self.fitted.insert((doc, g), FIT_DONE);
            } else {
                self.overview.remove(&(doc, g));
            }
        }
        let overview = self.overview.contains(&(doc, g));
        let Some(cache) = self.caches.get_mut(&g) else { return };
        if overview && cache.overview.as_ref().is_none_or(|(_, a)| *a != area) {
            let layout = overview_layout(ui, gd, cache, [area[0] as f32, area[1] as f32]);
            cache.overview = Some((layout, area));
        }

        let mut views = node_views(s, g);
        for (k, name) in cache.groups.names.iter().enumerate() {
            let count = cache.groups.members.get(k).map_or(0, Vec::len);
            // Under the debugger, a group shows how many of its ops in the run have run.
            let runs: Vec<NodeRun> = cache
                .groups
                .members
                .get(k)
                .into_iter()
                .flatten()
                .filter_map(|&m| views.get(m).and_then(|v| v.dbg.as_ref()).and_then(|d| d.run))
                .collect();
            let ran = runs.iter().filter(|r| **r != NodeRun::Pending).count();
            let dbg = (!runs.is_empty()).then(|| crate::app::panels::debug::NodeDebug {
                run: Some(if runs.contains(&NodeRun::Current) {
                    NodeRun::Current
                } else if ran == 0 {
                    NodeRun::Pending
                } else {
                    NodeRun::Ran
                }),
                lines: vec![tr_args(
                    "debug-group-ran",
                    &[("done", ran.to_string().into()), ("total", runs.len().to_string().into())],
                )],
                hist: None,
                breakpoint: false,
            });
            views.push(NodeView {
                name: name.clone(),
                op_type: "scope",
                inputs: vec!["in".to_string()],
                n_in: 1,
                outputs: vec![OutView {
                    tensor: String::new(),
                    label: tr_args("editor-group-nodes", &[("count", count.to_string().into())]),
                    dtype: None,
                    shape: String::new(),
                }],
                op_pin: false,
                error: None,
                incomplete: false,
                tint: Some(Color32::from_rgb(45, 55, 75)),
                placed: None,
                in_run: false,
                selected: false,
                group: Some(count),
                dbg,
            });
        }
        let canvas_id = egui::Id::new(("flowbench-graph", doc, g));
        if overview {
            if let Some((layout, _)) = &cache.overview {
                let at = overview_ui(ui, canvas_id, s, gd, layout, &views, out);
                match at.zoom_in {
                    Some((i, p)) => {
                        self.overview.remove(&(doc, g));
                        self.enter_detail.insert((doc, g), (i, p));
                        ui.ctx().request_repaint();
                    }
                    None => {
                        if let Some(e) = at.expand {
                            let list = self.expanded.entry((doc, g)).or_default();
                            if !list.contains(&e) {
                                list.push(e);
                            }
                        }
                    }
                }
            }
            return;
        }
        // The first view and Fit: the whole graph (collapsed groups as one node each), at most at
        // 1:1; the detailed view opened from the overview: the card zoomed into, under the
        // pointer.
        let mut place: Option<egui::emath::TSTransform> = None;
        match self.fitted.get(&(doc, g)).copied().unwrap_or(0) {
            n if n < FIT_DONE => {
                // Each node as drawn last frame, else as estimated.
                let mut bb = Rect::NOTHING;
                for (node, pos, &i) in cache.snarl.nodes_pos_ids() {
                    let drawn = ui.ctx().read_response(canvas_id.with(("snarl-node", node)).with("frame"));
                    let size = match (drawn, gd.nodes.get(i)) {
                        (Some(r), _) => r.rect.size(),
                        (None, Some(n)) => egui::Vec2::from(estimated_size(n)),
                        (None, None) => GROUP_SIZE,
                    };
                    bb = bb.union(Rect::from_min_size(pos, size));
                }
                let settled = n >= 2
                    && self
                        .fit_bb
                        .get(&(doc, g))
                        .is_some_and(|last| (last.min - bb.min).length() < 0.5 && (last.max - bb.max).length() < 0.5);
                if settled || n + 1 >= FIT_MAX_PASSES || !bb.is_finite() {
                    self.fitted.insert((doc, g), FIT_DONE);
                    self.fit_bb.remove(&(doc, g));
                } else {
                    self.fitted.insert((doc, g), n + 1);
                    self.fit_bb.insert((doc, g), bb);
                    ui.ctx().request_repaint();
                }
                if bb.is_finite() && !settled {
                    place = Some(fit_transform(bb, egui::Vec2::ZERO, canvas_rect));
                }
            }
            _ => {
                if let Some((i, at)) = self.enter_detail.remove(&(doc, g))
                    && let Some(p) = cache.detail_pos.get(&i)
                {
                    // The name sits near the node's top-left corner.
                    let z = DETAIL_FROM_OVERVIEW;
                    let anchor = *p + egui::vec2(40.0, 14.0);
                    place = Some(egui::emath::TSTransform::new(at.to_vec2() - anchor.to_vec2() * z, z));
                }
            }
        }
        let mut zoomed_out = false;
        let mut expand: Option<String> = None;
        let mut viewer = Viewer {
            graph: g,
            views: &views,
            out,
            refusal: s
                .view
                .refusal
                .as_ref()
                .filter(|r| r.graph == g)
                .map(|r| (r.node.clone(), r.input, r.message.clone())),
            fetches: &s.view.fetches,
            targets: &s.view.targets,
            prev_out: &self.out_rects,
            prev_in: &self.in_rects,
            new_out: HashMap::new(),
            new_in: HashMap::new(),
            menu_search: &mut self.menu_search,
            shapes: views.iter().map(|v| v.outputs.iter().map(|o| o.shape.clone()).collect()).collect(),
            place,
            zoomed_out: &mut zoomed_out,
            visuals: ui.visuals().clone(),
            expand: &mut expand,
            wire_counts: &cache.wire_counts,
            expand_buttons: Vec::new(),
        };
        let style = SnarlStyle {
            centering: Some(true),
            crisp_magnified_text: Some(false),
            collapsible: Some(false),
            min_scale: Some(MIN_SCALE),
            max_scale: Some(2.0),
            ..SnarlStyle::new()
        };
        // Per document and graph: each project opened keeps its own pan and zoom.
        let id = canvas_id;
        // Text on nodes is not selectable: a click anywhere on a node selects the node.
        let canvas = ui
            .scope(|ui| {
                ui.style_mut().interaction.selectable_labels = false;
                SnarlWidget::new().id(id).style(style).show(&mut cache.snarl, &mut viewer, ui)
            })
            .inner;
        if let Some(t) = ui.ctx().layer_transform_to_global(egui::LayerId::new(ui.layer_id().order, id)) {
            let c = t.inverse() * canvas.rect.center();
            self.view_centre.insert((doc, g), [(c.x - 80.0) / SCALE[0], (c.y - 30.0) / SCALE[1]]);
        }
        // Zoomed out below the text's readable size: the overview.
        if *viewer.zoomed_out && !debugging {
            self.overview.insert((doc, g));
            ui.ctx().request_repaint();
        }
        let on_button = ui.input(|i| i.pointer.interact_pos()).and_then(|p| {
            let t = ui.ctx().layer_transform_to_global(egui::LayerId::new(ui.layer_id().order, id))?;
            let p = t.inverse() * p;
            viewer.expand_buttons.iter().find(|(r, _)| r.contains(p)).map(|(_, name)| name.clone())
        });
        let (new_out, new_in) = (std::mem::take(&mut viewer.new_out), std::mem::take(&mut viewer.new_in));
        self.out_rects = new_out;
        self.in_rects = new_in;
        // Selection, as in every node editor: a click on a node selects it, Shift or Ctrl adds
        // or removes it, a click on empty canvas clears; a shift-drag box adds what it covers.
        let mods = ui.input(|i| i.modifiers);
        let frame_response = |n: NodeId| ui.ctx().read_response(id.with(("snarl-node", n)).with("frame"));
        // A double-click on a group node expands it, as its button and menu do.
        let double = cache.snarl.nodes_pos_ids().find_map(|(n, _, &i)| {
            let k = i.checked_sub(gd.nodes.len())?;
            let name = cache.groups.names.get(k)?;
            let r = frame_response(n)?;
            (r.double_clicked() || (r.clicked() && on_button.as_ref() == Some(name))).then(|| name.clone())
        });
        if let Some(e) = expand.or(double) {
            let list = self.expanded.entry((doc, g)).or_default();
            if !list.contains(&e) {
                list.push(e);
            }
        }

        let clicked = cache
            .snarl
            .nodes_pos_ids()
            .find_map(|(n, _, &i)| frame_response(n).filter(|r| r.clicked_by(egui::PointerButton::Primary)).map(|_| i));
        let boxed: Vec<String> = egui_snarl::ui::get_selected_nodes(id, ui.ctx())
            .into_iter()
            .filter_map(|n| cache.snarl.get_node(n))
            .filter_map(|&i| gd.nodes.get(i).map(|n| n.name.clone()))
            .collect();
        let last = self.last_snarl_selection.entry(g).or_default();
        let box_changed = *last != boxed;
        let added: Vec<String> = boxed.iter().filter(|n| !last.contains(n)).cloned().collect();
        let removed: Vec<String> = last.iter().filter(|n| !boxed.contains(n)).cloned().collect();
        *last = boxed;
        let current = &s.view.selection;
        if let Some(i) = clicked {
            if let Some(n) = gd.nodes.get(i) {
                out.push(Command::Select(clicked_selection(current, &n.name, mods)));
            }
        } else if canvas.clicked_by(egui::PointerButton::Primary) && !mods.shift {
            if !current.is_empty() {
                out.push(Command::Select(Vec::new()));
            }
        } else if box_changed {
            let mut sel: Vec<String> = current.iter().filter(|n| !removed.contains(n)).cloned().collect();
            sel.extend(added.into_iter().filter(|n| !current.contains(n)));
            out.push(Command::Select(sel));
        }
        // Dragging a node of the selection moves the whole selection (the canvas moves only
        // the nodes of its own box selection).
        let in_box: Vec<NodeId> = egui_snarl::ui::get_selected_nodes(id, ui.ctx());
        if !mods.shift && !mods.command {
            let dragged = cache.snarl.nodes_pos_ids().find_map(|(n, _, &i)| {
                frame_response(n).filter(|r| r.dragged_by(egui::PointerButton::Primary)).map(|r| (n, i, r.drag_delta()))
            });
            if let Some((dn, di, delta)) = dragged
                && delta != egui::Vec2::ZERO
                && gd.nodes.get(di).is_some_and(|n| current.contains(&n.name))
            {
                let others: Vec<NodeId> = cache
                    .snarl
                    .nodes_pos_ids()
                    .filter(|(n, _, i)| {
                        *n != dn
                            && !(in_box.contains(&dn) && in_box.contains(n))
                            && gd.nodes.get(**i).is_some_and(|m| current.contains(&m.name))
                    })
                    .map(|(n, _, _)| n)
                    .collect();
                for n in others {
                    if let Some(node) = cache.snarl.get_node_info_mut(n) {
                        node.pos += delta;
                    }
                }
            }
        }

        // Moves made on the canvas go back into the project once the drag ends.
        if !ui.input(|i| i.pointer.any_down()) {
            // A node moves by the distance it was dragged (a group moves its members).
            let mut moves: Vec<(String, [f32; 2])> = Vec::new();
            for (n, pos, &i) in cache.snarl.nodes_pos_ids() {
                let Some(placed) = cache.placed.get(&n) else { continue };
                let d = pos - *placed;
                if d.x.abs() <= 0.5 && d.y.abs() <= 0.5 {
                    continue;
                }
                let members = match i.checked_sub(gd.nodes.len()) {
                    None => vec![i],
                    Some(k) => cache.groups.members.get(k).cloned().unwrap_or_default(),
                };
                for m in members {
                    if let (Some(node), Some(b)) = (gd.nodes.get(m), cache.base.get(m)) {
                        moves.push((node.name.clone(), [b[0] + d.x / SCALE[0], b[1] + d.y / SCALE[1]]));
                    }
                }
            }
            if !moves.is_empty() {
                out.push(Command::MoveNodes { graph: g, moves });
            }
        }
    }
}

impl GraphEditor {
    /// Derives graph `g`'s canvas again if the project or its groups changed (the overview
    /// with it).
    fn ensure_cache(&mut self, s: &AppState, g: usize, expanded: &[String]) {
        let Some(gd) = s.doc.project.graphs.get(g) else { return };
        let cache = self.caches.entry(g).or_insert_with(|| SnarlCache {
            revision: u64::MAX,
            graph_count: 0,
            groups_key: (false, Vec::new()),
            snarl: Snarl::new(),
            groups: Groups::default(),
            placed: HashMap::new(),
            wire_counts: HashMap::new(),
            base: Vec::new(),
            detail_pos: HashMap::new(),
            overview: None,
        });
        let groups_key = (self.collapse, expanded.to_vec());
        if cache.revision == s.doc.revision
            && cache.graph_count == s.doc.project.graphs.len()
            && cache.groups_key == groups_key
        {
            return;
        }
        cache.groups = match s.engine.graph(g) {
            Some(graph) if self.collapse => scope_groups(gd, graph, expanded),
            _ => Groups::default(),
        };
        // The layout's bands come from every group, collapsed or not, so expanding one
        // moves nothing else.
        let bands = match s.engine.graph(g) {
            Some(graph) => scope_groups(gd, graph, &[]),
            None => Groups::default(),
        };
        let built = build_snarl(s, g, &cache.groups, &bands);
        cache.detail_pos = built.snarl.nodes_pos_ids().map(|(_, p, &i)| (i, p)).collect();
        cache.snarl = built.snarl;
        cache.placed = built.placed;
        cache.wire_counts = built.wire_counts;
        cache.base = built.base;
        cache.revision = s.doc.revision;
        cache.graph_count = s.doc.project.graphs.len();
        cache.groups_key = groups_key;
        cache.overview = None;
    }
}

/// The overview of the graph drawn in `cache`, for a canvas of `area` points: a card per node
/// (its name at the body text size, a group's with its ⊞) placed by [`overview_positions`].
fn overview_layout(ui: &egui::Ui, gd: &crate::project::GraphDef, cache: &SnarlCache, area: [f32; 2]) -> OverviewLayout {
    let body = egui::TextStyle::Body.resolve(ui.style());
    let row = ui.text_style_height(&egui::TextStyle::Body);
    let drawn: Vec<(NodeId, Pos2, usize)> = cache.snarl.nodes_pos_ids().map(|(n, p, &i)| (n, p, i)).collect();
    let sizes: Vec<[f32; 2]> = drawn
        .iter()
        .map(|&(_, _, i)| {
            let (name, group) = match gd.nodes.get(i) {
                Some(n) => (n.name.clone(), false),
                None => (cache.groups.names.get(i - gd.nodes.len()).cloned().unwrap_or_default(), true),
            };
            let w = ui.fonts_mut(|f| f.layout_no_wrap(name, body.clone(), Color32::WHITE).size().x);
            [w + 2.0 * CARD_PAD.x + if group { 26.0 } else { 0.0 }, row + 2.0 * CARD_PAD.y]
        })
        .collect();
    let at: HashMap<NodeId, usize> = drawn.iter().enumerate().map(|(k, d)| (d.0, k)).collect();
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); drawn.len()];
    let mut wires: Vec<(usize, usize)> = Vec::new();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    for (from, to) in cache.snarl.wires() {
        if let (Some(&a), Some(&b)) = (at.get(&from.node), at.get(&to.node))
            && a != b
            && seen.insert((a, b))
        {
            wires.push((a, b));
            preds[b].push(a);
        }
    }
    let detail: Vec<[f32; 2]> = drawn.iter().map(|(_, p, _)| [p.x, p.y]).collect();
    let pos = overview_positions(&detail, &sizes, &preds, area);
    let cards = drawn
        .iter()
        .zip(pos.iter().zip(&sizes))
        .map(|(&(_, _, i), (p, sz))| (i, Rect::from_min_size(Pos2::new(p[0], p[1]), egui::vec2(sz[0], sz[1]))))
        .collect();
    OverviewLayout { cards, wires }
}

/// What the overview asks of the editor this frame.
#[derive(Default)]
struct OverviewOutcome {
    /// Zoomed into the card of this payload, the pointer at this screen point.
    zoom_in: Option<(usize, Pos2)>,
    /// A group to expand.
    expand: Option<String>,
}

/// Draws the overview: the whole graph, fitted to the canvas at most at 1:1 and centred, each
/// node a card with its name (op type on hover), the wires between them. A click selects
/// (Shift or Ctrl adds), a click on empty canvas clears, a right-click fetches or targets, a
/// group's ⊞ or a double-click expands it; zooming in (Ctrl+wheel, a pinch) or a double-click on a node opens the details at the
/// card under the pointer.
#[allow(clippy::too_many_arguments)]
fn overview_ui(
    ui: &mut egui::Ui,
    id: egui::Id,
    s: &AppState,
    gd: &crate::project::GraphDef,
    layout: &OverviewLayout,
    views: &[NodeView],
    out: &mut Vec<Command>,
) -> OverviewOutcome {
    let mut outcome = OverviewOutcome::default();
    let (rect, _) = ui.allocate_exact_size(ui.available_size_before_wrap(), egui::Sense::hover());
    ui.painter().add(egui::Frame::canvas(ui.style()).paint(rect));
    let bb = layout.cards.iter().fold(Rect::NOTHING, |b, (_, r)| b.union(*r));
    if !bb.is_finite() {
        return outcome;
    }
    let margin = egui::Vec2::splat(FIT_MARGIN);
    let fit = ((rect.size() - 2.0 * margin) / bb.size()).min_elem();
    let scale = fit.clamp(0.1, 1.0);
    let spare = (rect.size() - bb.size() * scale) / 2.0;
    let t = egui::emath::TSTransform::new(rect.min.to_vec2() + spare - bb.min.to_vec2() * scale, scale);
    let layer = egui::LayerId::new(ui.layer_id().order, id);
    ui.ctx().set_sublayer(ui.layer_id(), layer);
    ui.ctx().set_transform_layer(layer, t);
    let inner = t.inverse() * rect;
    // The canvas's own clicks (on no card) are sensed in its layer, under the cards.
    let mut cui = ui.new_child(egui::UiBuilder::new().layer_id(layer).max_rect(inner).sense(egui::Sense::click()));
    let canvas = cui.response();
    cui.set_clip_rect(inner);
    cui.style_mut().interaction.selectable_labels = false;
    let painter = cui.painter().clone();
    let visuals = cui.visuals().clone();
    // Wires into and out of a collapsed group (it stands for many edges) are drawn fainter.
    let ink = visuals.widgets.noninteractive.fg_stroke.color;
    let n = gd.nodes.len();
    for &(a, b) in &layout.wires {
        let (Some(&(ia, ra)), Some(&(ib, rb))) = (layout.cards.get(a), layout.cards.get(b)) else { continue };
        let wire = if ia >= n || ib >= n {
            Stroke::new(1.0, ink.gamma_multiply(0.22))
        } else {
            Stroke::new(1.3, ink.gamma_multiply(0.5))
        };
        let (p0, p3) = (ra.right_center(), rb.left_center());
        // Forward, a smooth curve; back to the start of a later band, a small turn at each end.
        let d = if p3.x > p0.x { ((p3.x - p0.x) / 2.0).max(16.0) } else { 24.0 };
        painter.add(egui::epaint::CubicBezierShape::from_points_stroke(
            [p0, p0 + egui::vec2(d, 0.0), p3 - egui::vec2(d, 0.0), p3],
            false,
            Color32::TRANSPARENT,
            wire,
        ));
    }
    let mods = ui.input(|i| i.modifiers);
    let current = &s.view.selection;
    let mut card_clicked = false;
    let mut drill = false;
    for &(i, r) in &layout.cards {
        let Some(v) = views.get(i) else { continue };
        let resp = cui.interact(r, id.with(("card", i)), egui::Sense::click());
        let pending = v.dbg.as_ref().is_some_and(|d| d.run == Some(NodeRun::Pending));
        let mut fill = v.tint.map_or(visuals.window_fill, |t| node_tint(t, &visuals));
        if pending {
            fill = fill.gamma_multiply(0.45);
        }
        let stroke = if v.error.is_some() && !v.incomplete {
            Stroke::new(2.0, style::error(&visuals))
        } else if v.error.is_some() {
            Stroke::new(1.5, style::warning(&visuals))
        } else if v.dbg.as_ref().is_some_and(|d| d.run == Some(NodeRun::Current)) {
            Stroke::new(3.0, style::debug_current(&visuals))
        } else if v.selected {
            Stroke::new(2.0, style::SELECTED)
        } else if v.in_run {
            Stroke::new(2.0, style::run(&visuals))
        } else if resp.hovered() {
            visuals.widgets.hovered.bg_stroke
        } else {
            visuals.window_stroke
        };
        painter.rect(r, 4.0, fill, stroke, egui::StrokeKind::Inside);
        let hint = match v.group {
            Some(_) => tr_args("editor-scope-hint", &[("name", v.name.as_str().into())]),
            None => format!("{} · {}", v.name, v.op_type),
        };
        let text = cui
            .scope_builder(
                egui::UiBuilder::new()
                    .max_rect(r.shrink2(CARD_PAD))
                    .layout(egui::Layout::left_to_right(egui::Align::Center)),
                |ui| {
                    if pending {
                        ui.multiply_opacity(0.4);
                    }
                    if v.dbg.as_ref().is_some_and(|d| d.breakpoint) {
                        ui.label(RichText::new("●").color(style::error(ui.visuals())));
                    }
                    let name = ui.add(egui::Label::new(RichText::new(&v.name).strong()).selectable(false));
                    if v.group.is_some() {
                        let b = ui.small_button("⊞").on_hover_text(tr("ux-expand-group-hint"));
                        if b.clicked() {
                            outcome.expand = Some(v.name.clone());
                        }
                    }
                    name
                },
            )
            .inner;
        text.on_hover_text(&hint);
        let resp = resp.on_hover_text(hint);
        // Right-click: what the detailed node's menu offers to a run, without zooming in.
        resp.context_menu(|ui| {
            if v.group.is_some() {
                if ui.button(tr_args("editor-expand", &[("name", v.name.as_str().into())])).clicked() {
                    outcome.expand = Some(v.name.clone());
                    ui.close();
                }
                return;
            }
            for o in &v.outputs {
                if ui.button(tr_args("inspector-fetch", &[("tensor", o.tensor.as_str().into())])).clicked() {
                    out.push(Command::ToggleFetch(o.tensor.clone()));
                    ui.close();
                }
            }
            if ui.button(tr("editor-run-as-target")).clicked() {
                out.push(Command::ToggleTarget(v.name.clone()));
                ui.close();
            }
            if ui.button(tr("editor-overview-details")).clicked() {
                outcome.zoom_in = Some((i, t * r.center()));
                ui.close();
            }
        });
        // A double-click expands a group, or opens the details at a node.
        if resp.double_clicked() {
            match v.group {
                Some(_) => outcome.expand = Some(v.name.clone()),
                None => drill = true,
            }
        }
        if resp.clicked() {
            card_clicked = true;
            if let Some(n) = gd.nodes.get(i) {
                out.push(Command::Select(clicked_selection(current, &n.name, mods)));
            }
        }
    }
    if canvas.clicked() && !card_clicked && !mods.shift && !current.is_empty() {
        out.push(Command::Select(Vec::new()));
    }
    // Zooming in opens the details at the card nearest the pointer.
    let (zoom, pointer) = ui.input(|i| (i.zoom_delta(), i.pointer.hover_pos()));
    if let Some(p) = pointer.filter(|p| rect.contains(*p))
        && (zoom > 1.0 || drill)
    {
        let q = t.inverse() * p;
        outcome.zoom_in = layout
            .cards
            .iter()
            .min_by(|a, b| a.1.distance_to_pos(q).total_cmp(&b.1.distance_to_pos(q)))
            .map(|&(i, _)| (i, p));
    }
    outcome
}

/// The view showing `bb` (top-left corners of the nodes, `pad` more for their sizes) in `rect`,
/// at most at 1:1 and at least at [`MIN_SCALE`]: a graph shrunk to fit is centred, one shown at
/// 1:1 (or too big) starts at the top-left corner.
fn fit_transform(bb: Rect, pad: egui::Vec2, rect: Rect) -> egui::emath::TSTransform {
    let margin = egui::Vec2::splat(FIT_MARGIN);
    let need = bb.size() + pad;
    let fit = ((rect.width() - 2.0 * margin.x) / need.x).min((rect.height() - 2.0 * margin.y) / need.y);
    let scale = fit.clamp(MIN_SCALE, 1.0);
    let spare = if scale < 1.0 && (fit - scale).abs() < 1e-6 {
        (rect.size() - 2.0 * margin - need * scale).max(egui::Vec2::ZERO) / 2.0
    } else {
        egui::Vec2::ZERO
    };
    egui::emath::TSTransform::new(rect.min.to_vec2() + margin + spare - bb.min.to_vec2() * scale, scale)
}

/// Whether a node shows the `^` control-input pin: grouping ops, and nodes that have control
/// inputs.
fn has_control_pin(n: &NodeDef) -> bool {
    matches!(n.op, Op::NoOp) || !n.control_inputs.is_empty()
}

/// Whether a node shows the `op` pin (the operation itself, for control inputs and targets):
/// ops run for their effect, and nodes that are some node's control input.
fn has_op_pin(gd: &crate::project::GraphDef, n: &NodeDef) -> bool {
    matches!(n.op, Op::NoOp | Op::Assign { .. }) || gd.nodes.iter().any(|m| m.control_inputs.contains(&n.name))
}

/// The canvas derived from a graph, with where each node was put.
#[derive(Default)]
struct Built {
    snarl: Snarl<usize>,
    placed: HashMap<NodeId, Pos2>,
    wire_counts: HashMap<(NodeId, NodeId), usize>,
    base: Vec<[f32; 2]>,
}

/// Derives the canvas from graph `g` of the project; nodes in a collapsed group are drawn as
/// the group's node (payload `nodes + k`), with one wire per outside node it connects to,
/// counted in `wire_counts`. Nodes without a stored position take the layered layout's
/// ([`layered_layout`], banded by `bands`, every group of the graph); the columns a collapsed
/// group's members span are folded away, so the nodes after it close up.
fn build_snarl(s: &AppState, g: usize, groups: &Groups, bands: &Groups) -> Built {
    let mut built = Built::default();
    let Some(gd) = s.doc.project.graphs.get(g) else { return built };
    let n = gd.nodes.len();
    let layout = if gd.nodes.iter().any(|m| m.pos.is_none()) { layered_layout(gd, &bands.of) } else { Vec::new() };
    built.base = gd
        .nodes
        .iter()
        .enumerate()
        .map(|(i, m)| m.pos.or_else(|| layout.get(i).map(|p| [p[0] / SCALE[0], p[1] / SCALE[1]])).unwrap_or([0.0, 0.0]))
        .collect();
    let canvas: Vec<Pos2> = built.base.iter().map(|p| Pos2::new(p[0] * SCALE[0], p[1] * SCALE[1])).collect();
    let collapsed = |i: usize| groups.of.get(i).copied().flatten();
    // Each collapsed group's columns [a, b], folded unless a node drawn lies among them.
    let folds: Vec<(f32, f32)> = groups
        .members
        .iter()
        .map(|members| {
            let a = members.iter().map(|&m| canvas[m].x).fold(f32::INFINITY, f32::min);
            let b = members.iter().map(|&m| canvas[m].x).fold(f32::NEG_INFINITY, f32::max);
            let crowded = (0..n).any(|i| collapsed(i).is_none() && canvas[i].x > a && canvas[i].x <= b);
            if a.is_finite() && !crowded { (a, b) } else { (a, a) }
        })
        .collect();
    let fold =
        |x: f32| x - folds.iter().filter(|f| f.0.is_finite()).map(|&(a, b)| (x - a).clamp(0.0, b - a)).sum::<f32>();
    let index: HashMap<&str, usize> = gd.nodes.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect();
    let mut ids: HashMap<&str, NodeId> = HashMap::new();
    for (i, m) in gd.nodes.iter().enumerate() {
        if collapsed(i).is_some() {
            continue;
        }
        let p = Pos2::new(fold(canvas[i].x), canvas[i].y);
        let id = built.snarl.insert_node(p, i);
        built.placed.insert(id, p);
        ids.insert(m.name.as_str(), id);
    }
    // A group sits at its first column, level with the middle of the nodes drawn that it
    // connects to (else at its members' top).
    let mut group_ids = Vec::with_capacity(groups.names.len());
    for (k, members) in groups.members.iter().enumerate() {
        let mut ys: Vec<f32> = Vec::new();
        for (i, m) in gd.nodes.iter().enumerate() {
            let srcs: Vec<usize> = m
                .inputs
                .iter()
                .filter(|t| !t.is_empty())
                .map(|t| TensorName::op_of(t))
                .chain(m.control_inputs.iter().map(String::as_str))
                .filter_map(|src| index.get(src).copied())
                .collect();
            for j in srcs {
                let outside = match (collapsed(i) == Some(k), collapsed(j) == Some(k)) {
                    (true, false) => j,
                    (false, true) => i,
                    _ => continue,
                };
                if collapsed(outside).is_none() {
                    ys.push(canvas[outside].y + estimated_size(&gd.nodes[outside])[1] / 2.0 - 30.0);
                }
            }
        }
        let top = members.iter().map(|&m| canvas[m].y).fold(f32::INFINITY, f32::min);
        let y = if ys.is_empty() { top } else { ys.iter().sum::<f32>() / ys.len() as f32 };
        let x = folds.get(k).map_or(0.0, |f| fold(f.0));
        let p = if x.is_finite() && y.is_finite() { Pos2::new(x, y) } else { Pos2::ZERO };
        let id = built.snarl.insert_node(p, n + k);
        built.placed.insert(id, p);
        group_ids.push(id);
    }
    let group_of = |name: &str| index.get(name).and_then(|&i| collapsed(i));
    for m in &gd.nodes {
        let to_group = group_of(&m.name);
        let n_in = m.op.input_names().len().max(m.inputs.len());
        let srcs = m
            .inputs
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.is_empty())
            .map(|(k, t)| (TensorName::op_of(t), Some((k, TensorName::index_of(t)))))
            .chain(m.control_inputs.iter().map(|c| (c.as_str(), None)));
        for (src, data) in srcs {
            let from_group = group_of(src);
            if from_group.is_some() && from_group == to_group {
                continue;
            }
            let from = match from_group {
                Some(k) => group_ids.get(k).map(|&id| OutPinId { node: id, output: 0 }),
                None => ids.get(src).map(|&id| {
                    let output = match data {
                        Some((_, o)) => o,
                        None => index.get(src).and_then(|&j| gd.nodes.get(j)).map_or(0, |s| s.op.num_outputs()),
                    };
                    OutPinId { node: id, output }
                }),
            };
            let to = match to_group {
                Some(k) => group_ids.get(k).map(|&id| InPinId { node: id, input: 0 }),
                None => ids.get(m.name.as_str()).map(|&id| InPinId { node: id, input: data.map_or(n_in, |d| d.0) }),
            };
            if let (Some(from), Some(to)) = (from, to) {
                if from_group.is_some() || to_group.is_some() {
                    // One wire per pair of nodes drawn, however many edges it stands for.
                    let count = built.wire_counts.entry((from.node, to.node)).or_insert(0);
                    *count += 1;
                    if *count > 1 {
                        continue;
                    }
                }
                built.snarl.connect(from, to);
            }
        }
    }
    built
}

/// What each node of graph `g` shows.
fn node_views(s: &AppState, g: usize) -> Vec<NodeView> {
    let Some(gd) = s.doc.project.graphs.get(g) else { return Vec::new() };
    let graph = s.engine.graph(g);
    let errors = s.engine.errors(g);
    let session = s.run_session().and_then(|i| s.engine.ws.sessions.get(i)).filter(|e| e.graph == g);
    let (run_set, _) = if s.view.fetches.is_empty() && s.view.targets.is_empty() {
        (HashSet::new(), Vec::new())
    } else {
        let fed: Vec<String> =
            s.view.feeds.iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, _)| k.clone()).collect();
        run_closure(gd, &s.view.fetches, &s.view.targets, &fed)
    };
    let mut dbg = crate::app::panels::debug::canvas_info(s, g);
    gd.nodes
        .iter()
        .map(|n| {
            let built = graph.and_then(|gr| gr.find(&n.name).and_then(|id| gr.node(id)));
            let names = n.op.input_names();
            let n_in = names.len().max(n.inputs.len());
            let mut inputs: Vec<String> =
                (0..n_in).map(|k| names.get(k).map_or_else(|| format!("in{k}"), |s| (*s).to_string())).collect();
            if has_control_pin(n) {
                inputs.push("^".to_string());
            }
            let n_out = n.op.num_outputs();
            let outputs = (0..n_out)
                .map(|k| {
                    let tensor = format!("{}:{k}", n.name);
                    match built.and_then(|b| b.outputs.get(k)) {
                        Some((d, sh)) => OutView {
                            label: format!("{tensor} {sh} {d}"),
                            tensor,
                            dtype: Some(*d),
                            shape: sh.to_string(),
                        },
                        None => OutView { label: format!("{tensor} ?"), tensor, dtype: None, shape: "?".to_string() },
                    }
                })
                .collect();
            let err = errors.and_then(|e| e.get(&n.name));
            let placement = session.and_then(|e| e.session.placements().get(&n.name));
            let soft = placement.is_some_and(|p| p.kind == crate::engine::runtime::placement::PlacementKind::Soft);
            NodeView {
                name: n.name.clone(),
                op_type: n.op.type_name(),
                inputs,
                n_in,
                op_pin: has_op_pin(gd, n),
                outputs,
                error: err.map(|e| e.message.clone()),
                incomplete: err.is_some_and(|e| e.kind.is_incomplete()),
                tint: style::device_tint(&n.device, soft),
                placed: placement.map(|p| p.device.rsplit('/').next().unwrap_or_default().replace("device:", "")),
                in_run: run_set.contains(&n.name),
                selected: s.view.selection.contains(&n.name),
                group: None,
                dbg: dbg.remove(&n.name),
            }
        })
        .collect()
}

struct Viewer<'a> {
    graph: usize,
    views: &'a [NodeView],
    out: &'a mut Vec<Command>,
    refusal: Option<(String, usize, String)>,
    fetches: &'a [String],
    targets: &'a [String],
    prev_out: &'a HashMap<(usize, usize), Rect>,
    prev_in: &'a HashMap<(usize, usize), Rect>,
    new_out: HashMap<(usize, usize), Rect>,
    new_in: HashMap<(usize, usize), Rect>,
    menu_search: &'a mut String,
    shapes: Vec<Vec<String>>,
    /// Where the view goes this frame (the first view, Fit, or the details opened from the
    /// overview).
    place: Option<egui::emath::TSTransform>,
    /// Set when the view is zoomed out below [`OVERVIEW_BELOW`].
    zoomed_out: &'a mut bool,
    /// The theme's visuals (for status colours readable on it).
    visuals: egui::Visuals,
    expand: &'a mut Option<String>,
    wire_counts: &'a HashMap<(NodeId, NodeId), usize>,
    /// Each group's ⊞ button (canvas coordinates): the node's frame lies over its header, so a
    /// click there reaches the frame; it expands the group when it falls on the button.
    expand_buttons: Vec<(Rect, String)>,
}

/// A node's tint (a group's, a device's) on the current theme: as is on the dark one, mostly
/// the window's fill on the light one, so the dark text on it stays readable.
fn node_tint(tint: Color32, v: &egui::Visuals) -> Color32 {
    if v.dark_mode { tint } else { tint.lerp_to_gamma(v.window_fill, 0.75) }
}

/// Dims a node not run yet by the debugged run.
fn dim(ui: &mut egui::Ui, v: &NodeView) {
    if v.dbg.as_ref().is_some_and(|d| d.run == Some(NodeRun::Pending)) {
        ui.multiply_opacity(0.4);
    }
}

fn view_of<'v>(views: &'v [NodeView], snarl: &Snarl<usize>, node: NodeId) -> Option<(usize, &'v NodeView)> {
    let i = *snarl.get_node(node)?;
    views.get(i).map(|v| (i, v))
}

impl SnarlViewer<usize> for Viewer<'_> {
    fn title(&mut self, node: &usize) -> String {
        self.views.get(*node).map_or_else(String::new, |v| v.name.clone())
    }

    fn current_transform(&mut self, to_global: &mut egui::emath::TSTransform, _: &mut Snarl<usize>) {
        match self.place {
            Some(t) => *to_global = t,
            None => *self.zoomed_out = to_global.scaling < OVERVIEW_BELOW,
        }
    }

    fn node_frame(
        &mut self,
        default: egui::Frame,
        node: NodeId,
        _: &[InPin],
        _: &[OutPin],
        snarl: &Snarl<usize>,
    ) -> egui::Frame {
        let Some((_, v)) = view_of(self.views, snarl, node) else { return default };
        let mut f = default;
        if let Some(t) = v.tint {
            f.fill = node_tint(t, &self.visuals);
        }
        if v.error.is_some() && !v.incomplete {
            f.stroke = Stroke::new(2.0, style::error(&self.visuals));
        } else if v.error.is_some() {
            f.stroke = Stroke::new(1.5, style::warning(&self.visuals));
        } else if v.selected {
            f.stroke = Stroke::new(2.0, style::SELECTED);
        } else if v.in_run {
            f.stroke = Stroke::new(2.0, style::run(&self.visuals));
        }
        // The debugged run: the op it paused after stands out, ops not run yet are dimmed.
        match v.dbg.as_ref().and_then(|d| d.run) {
            Some(NodeRun::Current) => f.stroke = Stroke::new(3.0, style::debug_current(&self.visuals)),
            Some(NodeRun::Pending) => f.fill = f.fill.gamma_multiply(0.45),
            _ => {}
        }
        f
    }

    fn show_header(&mut self, node: NodeId, _: &[InPin], _: &[OutPin], ui: &mut egui::Ui, snarl: &mut Snarl<usize>) {
        let Some((_, v)) = view_of(self.views, snarl, node) else { return };
        dim(ui, v);
        ui.horizontal(|ui| {
            if v.dbg.as_ref().is_some_and(|d| d.breakpoint) {
                ui.label(RichText::new("●").color(style::error(ui.visuals())))
                    .on_hover_text(tr("debug-breakpoint-hint"));
            }
            ui.label(RichText::new(&v.name).strong());
            if v.group.is_some() {
                let b = ui.small_button("⊞").on_hover_text(tr("ux-expand-group-hint"));
                self.expand_buttons.push((b.rect, v.name.clone()));
                if b.clicked() {
                    *self.expand = Some(v.name.clone());
                }
                return;
            }
            ui.label(RichText::new(v.op_type).small().weak());
            if let Some(p) = &v.placed {
                ui.label(RichText::new(p).small().color(style::ok(ui.visuals())))
                    .on_hover_text(tr("editor-placed-hint"));
            }
            if v.in_run {
                ui.label(RichText::new("▶").small().color(style::run(ui.visuals())))
                    .on_hover_text(tr("editor-in-run-hint"));
            }
        });
    }

    fn inputs(&mut self, node: &usize) -> usize {
        self.views.get(*node).map_or(0, |v| v.inputs.len())
    }

    fn outputs(&mut self, node: &usize) -> usize {
        self.views.get(*node).map_or(0, |v| v.outputs.len() + usize::from(v.op_pin))
    }

    fn show_input(&mut self, pin: &InPin, ui: &mut egui::Ui, snarl: &mut Snarl<usize>) -> impl SnarlPin + 'static {
        let Some((i, v)) = view_of(self.views, snarl, pin.id.node) else { return PinInfo::circle() };
        dim(ui, v);
        let k = pin.id.input;
        let control = k >= v.n_in;
        let label = v.inputs.get(k).cloned().unwrap_or_default();
        let refused =
            self.refusal.as_ref().filter(|(n, inp, _)| *n == v.name && (*inp == k || (control && *inp == usize::MAX)));
        let resp = if control { ui.label(RichText::new(label).small().weak()) } else { ui.label(label) };
        self.new_in.insert((i, k), resp.rect);
        if let Some((_, _, msg)) = refused {
            // Wrapped beside the pin, so a long message stays on the canvas.
            ui.allocate_ui(egui::vec2(280.0, 160.0), |ui| {
                ui.add(egui::Label::new(RichText::new(format!("✖ {msg}")).color(style::error(ui.visuals()))).wrap());
            });
        }
        // The wire's shape, written half-way along it (positions from the previous frame); a
        // wire to or from a group says how many edges it stands for.
        let shown = if v.group.is_some() { pin.remotes.len() } else { 1 };
        for src in pin.remotes.iter().take(shown) {
            if control {
                break;
            }
            let (Some(a), Some(b)) = (
                snarl.get_node(src.node).and_then(|&si| self.prev_out.get(&(si, src.output))),
                self.prev_in.get(&(i, k)),
            ) else {
                continue;
            };
            let si = snarl.get_node(src.node).copied().unwrap_or(usize::MAX);
            let count = self.wire_counts.get(&(src.node, pin.id.node)).copied().unwrap_or(0);
            let shape = if count > 1 {
                format!("×{count}")
            } else {
                self.shapes.get(si).and_then(|o| o.get(src.output)).cloned().unwrap_or_default()
            };
            let mid = Pos2::new((a.right() + 12.0 + b.left() - 12.0) / 2.0, (a.center().y + b.center().y) / 2.0 - 8.0);
            ui.painter().text(
                mid,
                egui::Align2::CENTER_CENTER,
                shape,
                egui::FontId::monospace(12.0),
                ui.visuals().weak_text_color(),
            );
        }
        if control {
            PinInfo::square().with_fill(Color32::GRAY).with_wire_style(egui_snarl::ui::WireStyle::Line)
        } else {
            let dtype = snarl
                .get_node(pin.remotes.first().map_or(pin.id.node, |r| r.node))
                .and_then(|&si| self.views.get(si))
                .and_then(|sv| pin.remotes.first().and_then(|r| sv.outputs.get(r.output)))
                .and_then(|o| o.dtype);
            let c = if refused.is_some() { style::error(&self.visuals) } else { style::dtype_color(dtype) };
            PinInfo::circle().with_fill(c)
        }
    }

    fn show_output(&mut self, pin: &OutPin, ui: &mut egui::Ui, snarl: &mut Snarl<usize>) -> impl SnarlPin + 'static {
        let Some((i, v)) = view_of(self.views, snarl, pin.id.node) else { return PinInfo::circle() };
        dim(ui, v);
        let k = pin.id.output;
        let Some(o) = v.outputs.get(k) else {
            let targeted = self.targets.contains(&v.name);
            let text = RichText::new(if targeted { tr("ux-pin-op-target") } else { tr("ux-pin-op") }).small();
            let resp = ui.add(
                egui::Label::new(if targeted { text.color(style::run(ui.visuals())) } else { text.weak() })
                    .sense(egui::Sense::click()),
            );
            self.new_out.insert((i, k), resp.rect);
            if resp.on_hover_text(tr("editor-op-pin-hint")).clicked() {
                self.out.push(Command::ToggleTarget(v.name.clone()));
            }
            return PinInfo::square().with_fill(Color32::GRAY).with_wire_style(egui_snarl::ui::WireStyle::Line);
        };
        if v.group.is_some() {
            let resp = ui.add(egui::Label::new(RichText::new(&o.label).small()).sense(egui::Sense::click()));
            self.new_out.insert((i, k), resp.rect);
            if resp.on_hover_text(tr_args("editor-scope-hint", &[("name", v.name.as_str().into())])).clicked() {
                *self.expand = Some(v.name.clone());
            }
            return PinInfo::circle().with_fill(Color32::GRAY);
        }
        let fetched = self.fetches.contains(&o.tensor);
        // Room between the label and its pin (the layout runs right to left), so the pin never
        // covers the label's last letters.
        ui.add_space(6.0);
        let text = RichText::new(&o.label).monospace();
        let text = if fetched { text.background_color(style::RUN.gamma_multiply(0.35)).strong() } else { text };
        let resp = ui.add(egui::Label::new(text).sense(egui::Sense::click()));
        self.new_out.insert((i, k), resp.rect);
        if resp.on_hover_text(tr("editor-fetch-pin-hint")).clicked() {
            self.out.push(Command::ToggleFetch(o.tensor.clone()));
        }
        PinInfo::circle().with_fill(style::dtype_color(o.dtype))
    }

    fn has_footer(&mut self, node: &usize) -> bool {
        self.views.get(*node).is_some_and(|v| v.error.is_some() || v.dbg.as_ref().is_some_and(|d| !d.lines.is_empty()))
    }

    fn show_footer(&mut self, node: NodeId, _: &[InPin], _: &[OutPin], ui: &mut egui::Ui, snarl: &mut Snarl<usize>) {
        let Some((_, v)) = view_of(self.views, snarl, node) else { return };
        if let Some(e) = &v.error {
            let c = if v.incomplete { style::warning(ui.visuals()) } else { style::error(ui.visuals()) };
            ui.set_max_width(300.0);
            ui.add(egui::Label::new(RichText::new(e).small().color(c)).wrap());
        }
        // The values the debugged run computed here.
        if let Some(d) = v.dbg.as_ref().filter(|d| !d.lines.is_empty()) {
            ui.vertical(|ui| {
                for l in &d.lines {
                    ui.add(
                        egui::Label::new(
                            RichText::new(l).monospace().size(11.0).color(style::debug_value(ui.visuals())),
                        )
                        .extend(),
                    );
                }
                if let Some(h) = &d.hist {
                    crate::app::panels::debug::draw_histogram(ui, h);
                }
            });
        }
    }

    fn has_node_menu(&mut self, _: &usize) -> bool {
        true
    }

    fn show_node_menu(&mut self, node: NodeId, _: &[InPin], _: &[OutPin], ui: &mut egui::Ui, snarl: &mut Snarl<usize>) {
        let Some((_, v)) = view_of(self.views, snarl, node) else { return };
        let name = v.name.clone();
        let g = self.graph;
        if v.group.is_some() {
            if ui.button(tr_args("editor-expand", &[("name", name.as_str().into())])).clicked() {
                *self.expand = Some(name);
                ui.close();
            }
            return;
        }
        if ui.button(tr("editor-rename")).clicked() {
            self.out.push(Command::ShowModal(Modal::RenameNode { graph: g, node: name.clone() }));
            ui.close();
        }
        for o in &v.outputs {
            if ui.button(tr_args("inspector-fetch", &[("tensor", o.tensor.as_str().into())])).clicked() {
                self.out.push(Command::ToggleFetch(o.tensor.clone()));
                ui.close();
            }
        }
        let bp = v.dbg.as_ref().is_some_and(|d| d.breakpoint);
        if ui.button(if bp { tr("debug-clear-breakpoint") } else { tr("debug-set-breakpoint") }).clicked() {
            self.out.push(Command::Debug(crate::app::model::debugger::DebugCommand::ToggleBreakpoint(name.clone())));
            ui.close();
        }
        if v.dbg.as_ref().is_some_and(|d| d.run == Some(NodeRun::Pending))
            && ui.button(tr("debug-run-to-here")).clicked()
        {
            self.out.push(Command::Debug(crate::app::model::debugger::DebugCommand::RunTo(name.clone())));
            ui.close();
        }
        if ui.button(tr("editor-run-as-target")).clicked() {
            self.out.push(Command::ToggleTarget(name.clone()));
            ui.close();
        }
        if ui.button(tr("editor-remove-control-inputs")).clicked() {
            self.out.push(Command::RemoveControlInputs { graph: g, node: name.clone(), from: None });
            ui.close();
        }
        if ui.button(tr("editor-copy")).clicked() {
            self.out.push(Command::Select(vec![name.clone()]));
            self.out.push(Command::Copy);
            ui.close();
        }
        if ui.button(tr("editor-delete")).clicked() {
            self.out.push(Command::DeleteNodes { graph: g, names: vec![name] });
            ui.close();
        }
    }

    fn has_graph_menu(&mut self, _: Pos2, _: &mut Snarl<usize>) -> bool {
        true
    }

    fn show_graph_menu(&mut self, pos: Pos2, ui: &mut egui::Ui, _: &mut Snarl<usize>) {
        let label = ui.label(tr("editor-add-node-here"));
        let resp = ui
            .add(egui::TextEdit::singleline(self.menu_search).hint_text(tr("editor-search")).desired_width(180.0))
            .labelled_by(label.id);
        resp.request_focus();
        let hits = search(self.menu_search);
        let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
        egui::ScrollArea::vertical().max_height(300.0).show(ui, |ui| {
            for (i, (l, item)) in hits.iter().enumerate() {
                if ui.button(l).clicked() || (enter && i == 0) {
                    self.out.push(add_command(self.graph, item, Some([pos.x / SCALE[0], pos.y / SCALE[1]])));
                    self.menu_search.clear();
                    ui.close();
                    break;
                }
            }
        });
    }

    fn connect(&mut self, from: &OutPin, to: &InPin, snarl: &mut Snarl<usize>) {
        let (Some((_, src)), Some((_, dst))) =
            (view_of(self.views, snarl, from.id.node), view_of(self.views, snarl, to.id.node))
        else {
            return;
        };
        if src.group.is_some() || dst.group.is_some() {
            return;
        }
        let op_pin = from.id.output >= src.outputs.len();
        let ctrl_pin = to.id.input >= dst.n_in;
        let g = self.graph;
        let cmd = match (op_pin, ctrl_pin) {
            (false, false) => Command::Connect {
                graph: g,
                tensor: TensorName::new(src.name.as_str(), from.id.output).to_string(),
                node: dst.name.clone(),
                input: to.id.input,
            },
            (true, true) => Command::AddControlInput { graph: g, from: src.name.clone(), node: dst.name.clone() },
            (true, false) => Command::Refuse(crate::app::model::view::Refusal {
                graph: g,
                node: dst.name.clone(),
                input: to.id.input,
                message: tr_args("editor-refuse-op-to-input", &[("name", src.name.as_str().into())]),
            }),
            (false, true) => Command::Refuse(crate::app::model::view::Refusal {
                graph: g,
                node: dst.name.clone(),
                input: usize::MAX,
                message: tr_args("editor-refuse-tensor-to-control", &[("name", src.name.as_str().into())]),
            }),
        };
        self.out.push(cmd);
    }

    fn disconnect(&mut self, from: &OutPin, to: &InPin, snarl: &mut Snarl<usize>) {
        let (Some((_, src)), Some((_, dst))) =
            (view_of(self.views, snarl, from.id.node), view_of(self.views, snarl, to.id.node))
        else {
            return;
        };
        if src.group.is_some() || dst.group.is_some() {
            return;
        }
        let g = self.graph;
        if to.id.input >= dst.n_in {
            self.out.push(Command::RemoveControlInputs {
                graph: g,
                node: dst.name.clone(),
                from: Some(src.name.clone()),
            });
        } else {
            self.out.push(Command::Disconnect { graph: g, node: dst.name.clone(), input: to.id.input });
        }
    }

    fn drop_outputs(&mut self, pin: &OutPin, snarl: &mut Snarl<usize>) {
        for r in &pin.remotes {
            let to = snarl.in_pin(*r);
            self.disconnect(pin, &to, snarl);
        }
    }

    fn drop_inputs(&mut self, pin: &InPin, snarl: &mut Snarl<usize>) {
        let Some((_, dst)) = view_of(self.views, snarl, pin.id.node).filter(|(_, v)| v.group.is_none()) else {
            return;
        };
        let g = self.graph;
        if pin.id.input >= dst.n_in {
            self.out.push(Command::RemoveControlInputs { graph: g, node: dst.name.clone(), from: None });
        } else {
            self.out.push(Command::Disconnect { graph: g, node: dst.name.clone(), input: pin.id.input });
        }
    }
}

/// The selection after a click on node `name`: Shift or Ctrl toggles it in `current`, a plain
/// click selects it alone.
fn clicked_selection(current: &[String], name: &str, mods: egui::Modifiers) -> Vec<String> {
    if !(mods.shift || mods.command) {
        vec![name.to_string()]
    } else if current.iter().any(|n| n == name) {
        current.iter().filter(|n| *n != name).cloned().collect()
    } else {
        current.iter().cloned().chain([name.to_string()]).collect()
    }
}
