//! A graph as the project file stores it: nodes with their op and attrs, inputs by tensor name
//! (`a:0`), control inputs by node name, device and editor position; and the conversion of a
//! built engine graph back to this form.

use crate::engine::graph::Graph;
use crate::engine::graph::op::Op;
use crate::engine::graph::tensor_name::TensorName;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One node as stored: name, op with its attrs, inputs by tensor name, device and position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeDef {
    /// Unique name in its graph.
    pub name: String,
    /// The op and its attrs (flattened: `"op": "MatMul", "transpose_a": false`).
    #[serde(flatten)]
    pub op: Op,
    /// Data inputs as tensor names (`a:0`, or `a` for output 0).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<String>,
    /// Control inputs as node names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub control_inputs: Vec<String>,
    /// Requested device (`/gpu:0`); empty for none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub device: String,
    /// Editor position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<[f32; 2]>,
}

/// A graph as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct GraphDef {
    /// Project-level name.
    pub name: String,
    /// Graph-level random seed (`tf.set_random_seed`). A random node stored without an op seed
    /// (no `seed`/`seed2`, or both 0) then gets the attrs TF derives, `(seed mod 2^31-1, k)`,
    /// where `k` counts such nodes 0, 1, 2, ... in creation order (TF 2.x's rule; nodes with an
    /// op seed and other nodes do not count). Without a graph seed such a node is TF's
    /// nondeterministic `(0, 0)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Nodes, in creation order: the order the program creates them, which the lowering keeps
    /// wherever inputs allow (a node is created after its inputs), and the order TF's automatic
    /// op seeds count in.
    pub nodes: Vec<NodeDef>,
}

/// Converts a built graph back to its stored form (positions taken from `positions`).
pub fn graph_def_from(name: &str, graph: &Graph, positions: &HashMap<String, [f32; 2]>) -> GraphDef {
    let nodes = (0..graph.nodes().len()).filter_map(|i| node_def_from(graph, i, positions)).collect();
    GraphDef { name: name.to_string(), seed: graph.seed, nodes }
}

/// The stored form of node `index` of a built graph (its position taken from `positions`).
pub fn node_def_from(graph: &Graph, index: usize, positions: &HashMap<String, [f32; 2]>) -> Option<NodeDef> {
    let n = graph.nodes().get(index)?;
    Some(NodeDef {
        name: n.name.clone(),
        op: n.op.clone(),
        inputs: n
            .inputs
            .iter()
            .map(|t| {
                let base = graph.node(t.node).map_or(String::new(), |x| x.name.clone());
                TensorName::new(base, t.index).to_string()
            })
            .collect(),
        control_inputs: n.control_inputs.iter().filter_map(|c| graph.node(*c)).map(|x| x.name.clone()).collect(),
        device: n.device.clone(),
        pos: positions.get(&n.name).copied(),
    })
}
