//! A project made from TF's `GraphDef` (`.pb`) or `MetaGraphDef` (`.meta`): every node whose
//! op flowbench has becomes a node of the project's default graph (see
//! [`crate::formats::graph_import`]); the others are kept as nodes in error
//! ([`crate::engine::graph::op::Op::Unregistered`]) and listed with the reason, naming TF's op.
//! Graph files are read as binary `GraphDef` (`.pb`), text `GraphDef` (`.pbtxt`, see
//! [`crate::formats::text_format`]) or `MetaGraphDef` (`.meta`).

use crate::formats::graph_import::import_graph_def;
use crate::formats::proto;
use crate::project::Project;
use crate::project::graph_def::{GraphDef, NodeDef};
use prost::Message;
use std::path::Path;

/// A node kept in error (or left out, see [`without_unsupported`]), and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    /// The node.
    pub node: String,
    /// Why (names TF's op).
    pub why: String,
}

/// True for the files [`read_graph_file`] reads: `.pb`, `.pbtxt`, `.meta`.
pub fn is_graph_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["pb", "pbtxt", "meta"].contains(&e.to_ascii_lowercase().as_str()))
}

/// Reads a `.pb` (`GraphDef`), `.pbtxt` (text `GraphDef`) or `.meta` (`MetaGraphDef`) file.
pub fn read_graph_file(path: &Path) -> Result<proto::GraphDef, String> {
    let bytes =
        crate::train::data::files::read_limited(path, crate::train::data::files::MAX_PROJECT_BYTES, "graph file")
            .map_err(|e| format!("{}: {e}", path.display()))?;
    let bad = |e: prost::DecodeError| format!("{}: not a TensorFlow graph file ({e})", path.display());
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pbtxt")) {
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{}: not a text GraphDef (not UTF-8)", path.display()))?;
        return crate::formats::text_format::parse_graph_def(&text).map_err(|e| format!("{}: {e}", path.display()));
    }
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("meta")) {
        let m = proto::MetaGraphDef::decode(bytes.as_slice()).map_err(bad)?;
        let mut gd = m.graph_def.ok_or_else(|| format!("{}: the MetaGraphDef holds no graph", path.display()))?;
        // The saver's own nodes (`save/SaveV2`, ...) are not part of the model: a project saves
        // with its script's checkpoint steps.
        if let Some(scope) =
            m.saver_def.as_ref().and_then(|s| s.restore_op_name.split('/').next()).filter(|s| !s.is_empty())
        {
            let prefix = format!("{scope}/");
            gd.node.retain(|n| !n.name.starts_with(&prefix));
        }
        return Ok(gd);
    }
    proto::GraphDef::decode(bytes.as_slice()).map_err(bad)
}

/// The project holding `gd` as its default graph, and the nodes left out.
pub fn project_from_graph_def(gd: &proto::GraphDef, name: &str) -> (Project, Vec<Skipped>) {
    let mut nodes = Vec::new();
    let mut skipped = Vec::new();
    for n in import_graph_def(gd) {
        if let Some(why) = n.unsupported {
            skipped.push(Skipped { node: n.name.clone(), why });
        }
        nodes.push(NodeDef {
            name: n.name,
            op: n.op,
            inputs: n.inputs,
            control_inputs: n.control_inputs,
            device: n.device,
            pos: None,
        });
    }
    let project = Project {
        name: name.to_string(),
        graphs: vec![GraphDef { name: "default".into(), seed: None, nodes }],
        default_graph: "default".into(),
        ..Default::default()
    };
    (project, skipped)
}

/// The project without the nodes kept in error, nor the nodes that need them (what
/// `flowbench import-graphdef --allow-unsupported` saves: a project file must build).
pub fn without_unsupported(mut project: Project) -> Project {
    use crate::engine::graph::op::Op;
    use crate::engine::graph::tensor_name::TensorName;
    for g in &mut project.graphs {
        let mut gone: std::collections::HashSet<String> =
            g.nodes.iter().filter(|n| matches!(n.op, Op::Unregistered { .. })).map(|n| n.name.clone()).collect();
        // Nodes come in file order, which need not be dependency order: repeat until stable.
        loop {
            let before = gone.len();
            for n in &g.nodes {
                if !gone.contains(&n.name)
                    && (n.inputs.iter().any(|i| gone.contains(TensorName::op_of(i)))
                        || n.control_inputs.iter().any(|c| gone.contains(c)))
                {
                    gone.insert(n.name.clone());
                }
            }
            if gone.len() == before {
                break;
            }
        }
        g.nodes.retain(|n| !gone.contains(&n.name));
    }
    project
}
