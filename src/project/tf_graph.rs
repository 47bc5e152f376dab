//! A project made from TF's `GraphDef` (`.pb`) or `MetaGraphDef` (`.meta`): every node whose
//! op flowbench has becomes a node of the project's default graph (see
//! [`crate::formats::graph_import`]); the others are listed with the reason, naming TF's op.

use crate::formats::graph_import::import_graph_def;
use crate::formats::proto;
use crate::project::Project;
use crate::project::graph_def::{GraphDef, NodeDef};
use prost::Message;
use std::path::Path;

/// A node left out, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    /// The node.
    pub node: String,
    /// Why (names TF's op).
    pub why: String,
}

/// Reads a `.pb` (`GraphDef`) or `.meta` (`MetaGraphDef`) file.
pub fn read_graph_file(path: &Path) -> Result<proto::GraphDef, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bad = |e: prost::DecodeError| format!("{}: not a TensorFlow graph file ({e})", path.display());
    if path.extension().is_some_and(|e| e == "meta") {
        let m = proto::MetaGraphDef::decode(bytes.as_slice()).map_err(bad)?;
        return m.graph_def.ok_or_else(|| format!("{}: the MetaGraphDef holds no graph", path.display()));
    }
    proto::GraphDef::decode(bytes.as_slice()).map_err(bad)
}

/// The project holding `gd` as its default graph, and the nodes left out.
pub fn project_from_graph_def(gd: &proto::GraphDef, name: &str) -> (Project, Vec<Skipped>) {
    let mut nodes = Vec::new();
    let mut skipped = Vec::new();
    for n in import_graph_def(gd) {
        match n.op {
            Ok(op) => nodes.push(NodeDef {
                name: n.name,
                op,
                inputs: n.inputs,
                control_inputs: n.control_inputs,
                device: n.device,
                pos: None,
            }),
            Err(why) => skipped.push(Skipped { node: n.name, why }),
        }
    }
    let project = Project {
        name: name.to_string(),
        graphs: vec![GraphDef { name: "default".into(), seed: None, nodes }],
        default_graph: "default".into(),
        ..Default::default()
    };
    (project, skipped)
}
