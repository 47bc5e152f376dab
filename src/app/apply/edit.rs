//! Graph edits: nodes, wires, control inputs, names, ops, devices, positions, graphs, configs,
//! paste; each one undoable (a snapshot in [`crate::app::model::undo::History`] before the
//! change), and undo and redo themselves. A wire the engine's rules refuse is not made: the
//! refusal is shown at the pin with TF's message.
//!
//! Calls into engine/project: `connect` and `add_control` try the edited graph with
//! `lower_tolerant` (the project's one tolerant lowering) and decide by the node error's kind
//! (`crate::project::lower::NodeErrorKind`: a cycle, or anything but "not wired yet"), never by
//! its text; tensor names are parsed and printed with `TensorName`; `add_variable` derives
//! random seeds with `derive_seeds`; `set_device` parses with `DeviceSpec::parse`.

use crate::app::model::document::{Engine, check_node_name, rename_in, unique_name};
use crate::app::model::layered::{CANVAS_SCALE, layered_layout, scope_groups};
use crate::app::model::view::Refusal;
use crate::app::state::AppState;
use crate::engine::DType;
use crate::engine::graph::Initializer;
use crate::engine::graph::op::Op;
use crate::engine::graph::tensor_name::TensorName;
use crate::engine::kernels::random::derive_seeds;
use crate::engine::shape::Shape;
use crate::project::lower::{NodeErrorKind, lower_tolerant};
use crate::project::{GraphDef, NamedConfig, NodeDef};
use std::collections::HashSet;

impl AppState {
    /// Adds nodes (names made unique) and selects them.
    pub(crate) fn add_nodes_cmd(&mut self, graph: usize, nodes: Vec<NodeDef>) {
        self.edit(graph, |gd, _| {
            let names = add_nodes(gd, nodes);
            Ok(names)
        })
        .map(|names| self.view.selection = names)
        .unwrap_or(());
    }

    /// Adds `tf.Variable(init(shape))` and selects its nodes.
    pub(crate) fn add_variable_cmd(
        &mut self,
        graph: usize,
        dtype: DType,
        shape: &[usize],
        init: &Initializer,
        pos: [f32; 2],
    ) {
        self.edit(graph, |gd, _| Ok(add_variable(gd, dtype, shape, init, pos)))
            .map(|names| self.view.selection = names)
            .unwrap_or(());
    }

    /// Deletes nodes and the wires into and out of them.
    pub(crate) fn delete_nodes(&mut self, graph: usize, names: Vec<String>) {
        if names.is_empty() {
            return;
        }
        let _ = self.edit(graph, |gd, _| {
            gd.nodes.retain(|n| !names.contains(&n.name));
            for n in &mut gd.nodes {
                for t in &mut n.inputs {
                    if names.iter().any(|d| d == TensorName::op_of(t)) {
                        t.clear();
                    }
                }
                while n.inputs.last().is_some_and(String::is_empty) {
                    n.inputs.pop();
                }
                n.control_inputs.retain(|c| !names.contains(c));
            }
            Ok(())
        });
        self.view.selection.retain(|s| !names.contains(s));
        self.view.fetches.retain(|f| !names.iter().any(|d| d == TensorName::op_of(f)));
        self.view.targets.retain(|t| !names.contains(t));
    }

    /// Removes the wire into input `input` of `node`.
    pub(crate) fn disconnect(&mut self, graph: usize, node: String, input: usize) {
        let _ = self.edit(graph, |gd, _| {
            if let Some(n) = gd.nodes.iter_mut().find(|n| n.name == node)
                && let Some(t) = n.inputs.get_mut(input)
            {
                t.clear();
                while n.inputs.last().is_some_and(String::is_empty) {
                    n.inputs.pop();
                }
            }
            Ok(())
        });
    }

    /// Removes every control input of `node` (or only `from`).
    pub(crate) fn remove_control_inputs(&mut self, graph: usize, node: String, from: Option<String>) {
        let _ = self.edit(graph, |gd, _| {
            if let Some(n) = gd.nodes.iter_mut().find(|n| n.name == node) {
                n.control_inputs.retain(|c| from.as_ref().is_some_and(|f| f != c));
            }
            Ok(())
        });
    }

    /// Renames a node; wires, selection and fetches follow.
    pub(crate) fn rename_node(&mut self, graph: usize, old: String, new: String) {
        let new = new.trim().to_string();
        if new == old {
            return;
        }
        let res = self.edit(graph, |gd, _| {
            check_node_name(&new)?;
            if gd.nodes.iter().any(|n| n.name == new) {
                return Err(format!("ValueError: Duplicate node name in graph: '{new}'"));
            }
            rename_in(gd, &old, &new);
            Ok(())
        });
        match res {
            Ok(()) => {
                for s in &mut self.view.selection {
                    if *s == old {
                        s.clone_from(&new);
                    }
                }
                for f in &mut self.view.fetches {
                    if TensorName::op_of(f) == old {
                        *f = TensorName::new(new.as_str(), TensorName::index_of(f)).to_string();
                    }
                }
            }
            Err(e) => self.log_error(e, Some((graph, old))),
        }
    }

    /// Replaces a node's op and attrs.
    pub(crate) fn set_op(&mut self, graph: usize, node: String, op: Op) {
        let _ = self.edit(graph, |gd, _| {
            if let Some(n) = gd.nodes.iter_mut().find(|n| n.name == node) {
                n.op = op;
            }
            Ok(())
        });
    }

    /// Sets a node's requested device (refused when TF would not parse it).
    pub(crate) fn set_device(&mut self, graph: usize, node: String, device: String) {
        let device = device.trim().to_string();
        if let Err(e) = crate::engine::runtime::placement::DeviceSpec::parse(&device) {
            self.log_error(e.to_string(), Some((graph, node)));
            return;
        }
        let _ = self.edit(graph, |gd, _| {
            if let Some(n) = gd.nodes.iter_mut().find(|n| n.name == node) {
                n.device = device;
            }
            Ok(())
        });
    }

    /// Moves nodes on the canvas.
    pub(crate) fn move_nodes(&mut self, graph: usize, moves: Vec<(String, [f32; 2])>) {
        let _ = self.edit(graph, |gd, _| {
            for (name, pos) in moves {
                if let Some(n) = gd.nodes.iter_mut().find(|n| n.name == name) {
                    n.pos = Some(pos);
                }
            }
            Ok(())
        });
    }

    /// Lays a graph out in layers: the forward pass, then its gradients, then each optimizer
    /// (`crate::app::model::layered`).
    pub(crate) fn auto_layout_graph(&mut self, graph: usize) {
        let _ = self.edit(graph, |gd, engine| {
            let groups = engine.graph(graph).map(|g| scope_groups(gd, g, &[])).unwrap_or_default();
            let of = if groups.of.len() == gd.nodes.len() { groups.of } else { vec![None; gd.nodes.len()] };
            let layout = layered_layout(gd, &of);
            for (n, p) in gd.nodes.iter_mut().zip(layout) {
                n.pos = Some([p[0] / CANVAS_SCALE[0], p[1] / CANVAS_SCALE[1]]);
            }
            Ok(())
        });
    }

    /// Adds an empty graph and shows it.
    pub(crate) fn new_graph(&mut self) {
        self.snapshot();
        let taken: HashSet<String> = self.doc.project.graphs.iter().map(|g| g.name.clone()).collect();
        let name = (1..).map(|i| format!("g{i}")).find(|n| !taken.contains(n)).unwrap_or_default();
        self.doc.project.graphs.push(GraphDef { name, ..Default::default() });
        self.changed();
        self.view.active_graph = self.doc.project.graphs.len() - 1;
        self.view.selection.clear();
    }

    /// Renames a graph (the default graph's name follows).
    pub(crate) fn rename_graph(&mut self, graph: usize, name: String) {
        let name = name.trim().to_string();
        let taken = self.doc.project.graphs.iter().enumerate().any(|(i, g)| i != graph && g.name == name);
        if name.is_empty() || taken {
            self.log_error(crate::app::i18n::tr_args("ux-graph-name-taken", &[("name", name.as_str().into())]), None);
            return;
        }
        let Some(old) = self.doc.project.graphs.get(graph).map(|g| g.name.clone()) else { return };
        if old == name {
            return;
        }
        self.snapshot();
        if self.doc.project.default_graph == old {
            self.doc.project.default_graph.clone_from(&name);
        }
        if let Some(g) = self.doc.project.graphs.get_mut(graph) {
            g.name = name;
        }
        self.changed();
    }

    /// Makes a graph the default graph.
    pub(crate) fn set_default_graph(&mut self, graph: usize) {
        let Some(name) = self.doc.project.graphs.get(graph).map(|g| g.name.clone()) else { return };
        if name != self.doc.project.default_graph {
            self.snapshot();
            self.doc.project.default_graph = name;
            self.changed();
        }
    }

    /// Sets a graph's seed.
    pub(crate) fn set_graph_seed(&mut self, graph: usize, seed: Option<i64>) {
        let _ = self.edit(graph, |gd, _| {
            gd.seed = seed;
            Ok(())
        });
    }

    /// Adds or replaces a named config.
    pub(crate) fn save_config(&mut self, nc: NamedConfig) {
        if nc.name.trim().is_empty() {
            return;
        }
        if self.doc.project.configs.contains(&nc) {
            return;
        }
        self.snapshot();
        match self.doc.project.configs.iter_mut().find(|c| c.name == nc.name) {
            Some(c) => *c = nc,
            None => self.doc.project.configs.push(nc),
        }
        self.changed();
    }

    /// Removes a named config.
    pub(crate) fn delete_config(&mut self, name: String) {
        if self.doc.project.configs.iter().any(|c| c.name == name) {
            self.snapshot();
            self.doc.project.configs.retain(|c| c.name != name);
            self.changed();
        }
    }

    /// Shows a refused wire at its pin and logs why.
    pub(crate) fn refuse(&mut self, r: Refusal) {
        let at = Some((r.graph, r.node.clone()));
        self.log_error(r.message.clone(), at);
        self.view.refusal = Some(r);
    }

    /// Pastes the clipboard into a graph, offset from the originals.
    pub(crate) fn paste(&mut self, graph: usize) {
        if self.clipboard.is_empty() {
            return;
        }
        let mut nodes = self.clipboard.clone();
        for n in &mut nodes {
            n.pos = n.pos.map(|[x, y]| [x + 60.0, y + 60.0]);
        }
        let _ = self.edit(graph, |gd, _| Ok(add_nodes(gd, nodes))).map(|names| self.view.selection = names);
    }

    /// Reverts the last edit.
    pub(crate) fn undo(&mut self) {
        if self.history.undo(&mut self.doc.project) {
            self.after_history();
        }
    }

    /// Re-applies the last undone edit.
    pub(crate) fn redo(&mut self) {
        if self.history.redo(&mut self.doc.project) {
            self.after_history();
        }
    }

    /// Replaces graph `graph` with `new` as one undoable edit; true when it changed.
    pub(crate) fn edit_graph(&mut self, graph: usize, new: GraphDef) -> bool {
        let mut changed = false;
        let _ = self.edit(graph, |gd, _| {
            changed = *gd != new;
            *gd = new;
            Ok(())
        });
        changed
    }

    /// Records the project for undo before an edit.
    pub(crate) fn snapshot(&mut self) {
        self.history.record(&self.doc.project);
    }

    /// Records that the project changed and rebuilds the engine state from it.
    pub(crate) fn changed(&mut self) {
        self.doc.touch();
        self.engine.sync(&self.doc.project);
    }

    /// After undo or redo: a valid graph tab and selection, the engine rebuilt.
    fn after_history(&mut self) {
        if self.view.active_graph >= self.doc.project.graphs.len() {
            self.view.active_graph = 0;
        }
        let names: HashSet<String> =
            self.active_def().map(|g| g.nodes.iter().map(|n| n.name.clone()).collect()).unwrap_or_default();
        self.view.selection.retain(|s| names.contains(s));
        self.changed();
    }

    /// Edits graph `graph` with `f`; on success the change is snapshotted for undo and the
    /// engine rebuilt. An error leaves the project unchanged.
    fn edit<T>(
        &mut self,
        graph: usize,
        f: impl FnOnce(&mut GraphDef, &Engine) -> Result<T, String>,
    ) -> Result<T, String> {
        let Some(gd) = self.doc.project.graphs.get(graph) else {
            return Err("no such graph".to_string());
        };
        let mut new = gd.clone();
        let out = f(&mut new, &self.engine)?;
        if self.doc.project.graphs.get(graph) == Some(&new) {
            return Ok(out);
        }
        self.snapshot();
        if let Some(slot) = self.doc.project.graphs.get_mut(graph) {
            *slot = new;
        }
        self.view.refusal = None;
        self.changed();
        Ok(out)
    }

    /// Wires `tensor` into input `input` of `node`, unless TF's rules refuse it.
    pub(crate) fn connect(&mut self, graph: usize, tensor: String, node: String, input: usize) {
        let Some(gd) = self.doc.project.graphs.get(graph) else { return };
        let mut trial = gd.clone();
        let Some(n) = trial.nodes.iter_mut().find(|n| n.name == node) else { return };
        while n.inputs.len() <= input {
            n.inputs.push(String::new());
        }
        n.inputs[input] = TensorName::canonical(&tensor);
        let (_, errs) = lower_tolerant(&trial, None);
        // Refused: anything but a node still waiting for inputs (a cycle, by its kind, is refused).
        let refused = errs.get(&node).filter(|e| !e.kind.is_incomplete()).map(|e| e.message.clone());
        match refused {
            Some(message) => {
                self.view.refusal = Some(Refusal { graph, node: node.clone(), input, message: message.clone() });
                self.log_error(
                    format!("{message}\n  (wire {tensor} → {node} input {input} refused)"),
                    Some((graph, node)),
                );
            }
            None => {
                let _ = self.edit(graph, |gd, _| {
                    *gd = trial;
                    Ok(())
                });
            }
        }
    }

    /// Adds `from` as a control input of `node`, unless that makes a cycle.
    pub(crate) fn add_control(&mut self, graph: usize, from: String, node: String) {
        if from == node {
            return;
        }
        let Some(gd) = self.doc.project.graphs.get(graph) else { return };
        let mut trial = gd.clone();
        if let Some(n) = trial.nodes.iter_mut().find(|n| n.name == node)
            && !n.control_inputs.contains(&from)
        {
            n.control_inputs.push(from.clone());
        }
        let (_, errs) = lower_tolerant(&trial, None);
        if let Some(e) = errs.get(&node).filter(|e| e.kind == NodeErrorKind::Cycle) {
            let message = e.message.clone();
            self.view.refusal =
                Some(Refusal { graph, node: node.clone(), input: usize::MAX, message: message.clone() });
            self.log_error(message, Some((graph, node)));
            return;
        }
        let _ = self.edit(graph, |gd, _| {
            *gd = trial;
            Ok(())
        });
    }
}

/// Adds `nodes` to `gd` with unique names, remapping inputs among them; returns the new names.
pub fn add_nodes(gd: &mut GraphDef, nodes: Vec<NodeDef>) -> Vec<String> {
    let mut renames: Vec<(String, String)> = Vec::new();
    let mut taken: HashSet<String> = HashSet::new();
    for n in &nodes {
        let base = if n.name.is_empty() { n.op.default_name().to_string() } else { n.name.clone() };
        let new = unique_name(gd, &base, &taken);
        taken.insert(new.clone());
        renames.push((n.name.clone(), new));
    }
    let lookup = |old: &str| renames.iter().find(|(o, _)| o == old).map(|(_, n)| n.clone());
    let existing: HashSet<String> = gd.nodes.iter().map(|n| n.name.clone()).collect();
    let mut out = Vec::new();
    for (mut n, (_, new)) in nodes.into_iter().zip(renames.iter()) {
        n.name.clone_from(new);
        for t in &mut n.inputs {
            if t.is_empty() {
                continue;
            }
            let base = TensorName::op_of(t).to_string();
            match lookup(&base) {
                Some(nb) => *t = TensorName::new(nb, TensorName::index_of(t)).to_string(),
                None if existing.contains(&base) => {}
                None => t.clear(),
            }
        }
        n.control_inputs = n
            .control_inputs
            .iter()
            .filter_map(|c| lookup(c).or_else(|| existing.contains(c).then(|| c.clone())))
            .collect();
        if n.pos.is_none() {
            let max_x = gd.nodes.iter().filter_map(|m| m.pos).map(|p| p[0]).fold(0.0f32, f32::max);
            n.pos = Some([max_x + 300.0, 0.0]);
        }
        out.push(n.name.clone());
        gd.nodes.push(n);
    }
    out
}

/// The nodes `tf.Variable(init(shape))` creates: the initial value, the variable and its
/// initializer `Assign`. Random initializers take their seeds as TF derives them from the graph
/// seed and the op seed.
pub fn add_variable(
    gd: &mut GraphDef,
    dtype: DType,
    shape: &[usize],
    init: &Initializer,
    pos: [f32; 2],
) -> Vec<String> {
    let none = HashSet::new();
    let seeds = |s: &Option<i64>| derive_seeds(gd.seed, *s, 0);
    let (base, op) = match init {
        Initializer::Zeros => ("zeros", Op::Fill { dtype, shape: shape.to_vec(), value: 0.0 }),
        Initializer::Ones => ("ones", Op::Fill { dtype, shape: shape.to_vec(), value: 1.0 }),
        Initializer::Constant { value } => ("Const", Op::Fill { dtype, shape: shape.to_vec(), value: *value }),
        Initializer::RandomNormal { mean, stddev, seed } => {
            let (seed, seed2) = seeds(seed);
            (
                "random_normal",
                Op::RandomStandardNormal { dtype, shape: shape.to_vec(), mean: *mean, stddev: *stddev, seed, seed2 },
            )
        }
        Initializer::TruncatedNormal { mean, stddev, seed } => {
            let (seed, seed2) = seeds(seed);
            (
                "truncated_normal",
                Op::TruncatedNormal { dtype, shape: shape.to_vec(), mean: *mean, stddev: *stddev, seed, seed2 },
            )
        }
        Initializer::RandomUniform { minval, maxval, seed } => {
            let (seed, seed2) = seeds(seed);
            (
                "random_uniform",
                Op::RandomUniform { dtype, shape: shape.to_vec(), minval: *minval, maxval: *maxval, seed, seed2 },
            )
        }
    };
    let init_name = unique_name(gd, base, &none);
    let var_name = unique_name(gd, "Variable", &HashSet::from([init_name.clone()]));
    let assign = format!("{var_name}/Assign");
    let nodes = vec![
        NodeDef {
            name: init_name.clone(),
            op,
            inputs: vec![],
            control_inputs: vec![],
            device: String::new(),
            pos: Some(pos),
        },
        NodeDef {
            name: var_name.clone(),
            op: Op::Variable { dtype, shape: Shape::known(shape) },
            inputs: vec![],
            control_inputs: vec![],
            device: String::new(),
            pos: Some([pos[0], pos[1] + 150.0]),
        },
        NodeDef {
            name: assign.clone(),
            op: Op::Assign { initializer: true },
            inputs: vec![
                TensorName::new(var_name.as_str(), 0).to_string(),
                TensorName::new(init_name.as_str(), 0).to_string(),
            ],
            control_inputs: vec![],
            device: String::new(),
            pos: Some([pos[0] + 300.0, pos[1] + 60.0]),
        },
    ];
    gd.nodes.extend(nodes);
    vec![init_name, var_name, assign]
}
