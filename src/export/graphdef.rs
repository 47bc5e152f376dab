//! Export of a project's graph as TF's `GraphDef` (`.pb`, binary; `.pbtxt`, text format) or as
//! a `MetaGraphDef` (`.meta`), through [`crate::formats::graph`]: the graph as the project
//! stores it (the script's added nodes are not included). Nodes TF has no single op for are
//! reported as [`Unsupported`] items.

use crate::export::{ExportError, Unsupported};
use crate::formats::graph::graph_def;
use crate::project::Project;
use crate::project::lower::lower_strict;

/// Which file to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    /// A binary `GraphDef` (`.pb`).
    Binary,
    /// A `GraphDef` in protobuf's text format (`.pbtxt`).
    Text,
    /// A binary `MetaGraphDef` (`.meta`).
    Meta,
}

/// A written graph and what in it TF cannot run.
#[derive(Clone, Debug)]
pub struct GraphExport {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Nodes kept under flowbench's own op names.
    pub unsupported: Vec<Unsupported>,
}

/// Exports graph `graph` of the project (its default graph when `None`).
pub fn export_graph(project: &Project, graph: Option<&str>, format: GraphFormat) -> Result<GraphExport, ExportError> {
    let name = graph.unwrap_or(&project.default_graph);
    let gd =
        project.graph_def(name).ok_or_else(|| ExportError::Project(format!("there is no graph named '{name}'")))?;
    let g = lower_strict(gd, None).map_err(|e| ExportError::Project(e.to_string()))?;
    let exported = graph_def(&g);
    let unsupported = exported
        .unsupported
        .iter()
        .map(|u| Unsupported { what: format!("graph '{name}', node '{}' ({})", u.node, u.op), why: u.why.clone() })
        .collect();
    let bytes = match format {
        GraphFormat::Binary => prost::Message::encode_to_vec(&exported.graph_def),
        GraphFormat::Text => crate::formats::graph::graph_def_text(&exported.graph_def).into_bytes(),
        GraphFormat::Meta => exported.meta_bytes(),
    };
    Ok(GraphExport { bytes, unsupported })
}
