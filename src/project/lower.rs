//! The one lowering from a stored graph ([`GraphDef`]) to an engine [`Graph`].
//!
//! Nodes may be listed in any order: they are added in dependency order (Kahn's algorithm,
//! keeping file order among ready nodes). Two modes share that analysis:
//!
//! - **strict** ([`lower_strict`]): what `flowbench check/run/export` use. The
//!   first problem refuses the whole graph with a [`ProjectError::Node`] naming the node.
//! - **tolerant** ([`lower_tolerant`]): what the editor uses. It builds every node it can and
//!   records each failure under the node's name as a [`NodeError`] whose [`NodeErrorKind`] says
//!   what kind of failure it is (never found by reading the message); nodes downstream of a
//!   failed one are left out as [`NodeErrorKind::Upstream`].

use crate::engine::error::{Error as EngineError, Result as EngineResult};
use crate::engine::graph::tensor_name::TensorName;
use crate::engine::graph::{Graph, NodeSpec};
use crate::engine::runtime::workspace::{NamedGraph, Workspace};
use crate::project::file::{Project, ProjectError};
use crate::project::graph_def::{GraphDef, NodeDef};
use std::collections::{BTreeMap, HashMap};

/// What kind of failure a node has in the tolerant lowering.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeErrorKind {
    /// An input the op needs is not wired yet.
    Incomplete,
    /// An input or control input comes from a node that is itself in error.
    Upstream,
    /// The node is on (or after) a cycle.
    Cycle,
    /// An input or control input names a node that does not exist in the graph.
    DanglingInput,
    /// Another node has the same name.
    Duplicate,
    /// TF's construction rules refuse the node (wrong dtype, shape, attrs, ...).
    Refused(EngineError),
}

impl NodeErrorKind {
    /// True for the failures the editor draws as "not finished" (a warning, not an error): a
    /// missing input, or an input from a node in error.
    pub fn is_incomplete(&self) -> bool {
        matches!(self, NodeErrorKind::Incomplete | NodeErrorKind::Upstream)
    }
}

/// Why a node could not be built (tolerant lowering).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeError {
    /// What kind of failure.
    pub kind: NodeErrorKind,
    /// The text the editor shows (TF's message where TF has one).
    pub message: String,
}

impl NodeError {
    fn new(kind: NodeErrorKind, message: String) -> NodeError {
        NodeError { kind, message }
    }
}

/// The dependency analysis both modes share.
struct Analysis<'a> {
    /// Node name → index (the last node of a duplicated name).
    by_name: HashMap<&'a str, usize>,
    /// Indices of nodes whose name an earlier node already has, in file order.
    duplicates: Vec<usize>,
    /// Per node: its first input naming no node, as `(input position, name)`; control inputs
    /// after data inputs (`usize::MAX` as their position).
    dangling: Vec<Option<(usize, &'a str)>>,
    /// Nodes in the order they can be added.
    order: Vec<usize>,
    /// Nodes that can never be added (on or after a cycle), in file order.
    stuck: Vec<usize>,
}

fn analyze(gd: &GraphDef, skip_empty_inputs: bool) -> Analysis<'_> {
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    let mut duplicates = Vec::new();
    for (i, n) in gd.nodes.iter().enumerate() {
        if by_name.insert(n.name.as_str(), i).is_some() {
            duplicates.push(i);
        }
    }
    let mut deps: Vec<Vec<usize>> = Vec::with_capacity(gd.nodes.len());
    let mut dangling = Vec::with_capacity(gd.nodes.len());
    for n in &gd.nodes {
        let mut d = Vec::new();
        let mut first_dangling = None;
        for (k, inp) in n.inputs.iter().enumerate() {
            if skip_empty_inputs && inp.is_empty() {
                continue;
            }
            match by_name.get(TensorName::op_of(inp)) {
                Some(&j) => d.push(j),
                None => {
                    first_dangling.get_or_insert((k, inp.as_str()));
                }
            }
        }
        for c in &n.control_inputs {
            match by_name.get(c.as_str()) {
                Some(&j) => d.push(j),
                None => {
                    first_dangling.get_or_insert((usize::MAX, c.as_str()));
                }
            }
        }
        deps.push(d);
        dangling.push(first_dangling);
    }
    // The order is that of repeated passes over the file adding every node whose inputs are
    // already added (file order among ready nodes), computed in O(n log n): a node's pass is the
    // latest of its inputs' passes, one later for an input listed after it; nodes are added by
    // (pass, file position). Kahn's algorithm walks the dependencies once; what it never reaches
    // is on or after a cycle.
    let n = gd.nodes.len();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting: Vec<usize> = vec![0; n];
    for (i, d) in deps.iter().enumerate() {
        for &j in d {
            users[j].push(i);
            waiting[i] += 1;
        }
    }
    let mut pass: Vec<usize> = vec![0; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut done = vec![false; n];
    let mut reached = Vec::with_capacity(n);
    while let Some(j) = ready.pop() {
        done[j] = true;
        reached.push(j);
        for &i in &users[j] {
            pass[i] = pass[i].max(pass[j] + usize::from(j > i));
            waiting[i] -= 1;
            if waiting[i] == 0 {
                ready.push(i);
            }
        }
    }
    reached.sort_unstable_by_key(|&i| (pass[i], i));
    let order = reached;
    let stuck = (0..n).filter(|&i| !done[i]).collect();
    Analysis { by_name, duplicates, dangling, order, stuck }
}

fn new_graph(gd: &GraphDef, id: Option<u64>) -> Graph {
    let mut graph = match id {
        Some(id) => Graph::with_id(id),
        None => Graph::new(),
    };
    graph.seed = gd.seed;
    graph
}

fn cycle_message(gd: &GraphDef, stuck: &[usize]) -> String {
    const SHOWN: usize = 20;
    let names: Vec<&str> = stuck.iter().take(SHOWN).map(|&i| gd.nodes[i].name.as_str()).collect();
    let more = if stuck.len() > SHOWN { format!(" and {} more", stuck.len() - SHOWN) } else { String::new() };
    format!("the graph has a cycle through {}{more}", names.join(", "))
}

/// The strict lowering: what `flowbench check/run/export` use.
pub fn lower_strict(gd: &GraphDef, id: Option<u64>) -> Result<Graph, ProjectError> {
    let node_err =
        |node: &str, message: String| ProjectError::Node { graph: gd.name.clone(), node: node.to_string(), message };
    let a = analyze(gd, false);
    if let Some(&i) = a.duplicates.first() {
        return Err(node_err(&gd.nodes[i].name, "the name is used by two nodes".to_string()));
    }
    for (n, d) in gd.nodes.iter().zip(&a.dangling) {
        match d {
            Some((usize::MAX, c)) => {
                return Err(node_err(&n.name, format!("control input '{c}' is not a node of this graph")));
            }
            Some((k, inp)) => {
                return Err(node_err(
                    &n.name,
                    format!("input {k} refers to '{inp}', which is not a node of this graph"),
                ));
            }
            None => {}
        }
    }
    if let Some(&first) = a.stuck.first() {
        return Err(node_err(&gd.nodes[first].name, cycle_message(gd, &a.stuck)));
    }
    let mut graph = new_graph(gd, id);
    for i in a.order {
        let n = &gd.nodes[i];
        let inputs = n
            .inputs
            .iter()
            .map(|s| graph.tensor(s))
            .collect::<EngineResult<Vec<_>>>()
            .map_err(|e| node_err(&n.name, e.message))?;
        let control_inputs = n
            .control_inputs
            .iter()
            .map(|c| graph.find(c).ok_or_else(|| EngineError::value_error(format!("control input '{c}' is missing"))))
            .collect::<EngineResult<Vec<_>>>()
            .map_err(|e| node_err(&n.name, e.message))?;
        let spec = NodeSpec { op: n.op.clone(), inputs, control_inputs, device: Some(n.device.clone()) };
        graph.add_named(&n.name, spec).map_err(|e| node_err(&n.name, e.to_string()))?;
    }
    crate::engine::autodiff::optimizers::mark_optimizer_state_untrainable(&mut graph);
    Ok(graph)
}

/// The tolerant lowering: what the editor uses. Builds every node it can; each failure is
/// recorded under the node's name, and the nodes that depend on a failed one are left out too.
pub fn lower_tolerant(gd: &GraphDef, id: Option<u64>) -> (Graph, BTreeMap<String, NodeError>) {
    let mut errors: BTreeMap<String, NodeError> = BTreeMap::new();
    let mut graph = new_graph(gd, id);
    let a = analyze(gd, true);
    for &i in &a.duplicates {
        let name = &gd.nodes[i].name;
        errors.insert(
            name.clone(),
            NodeError::new(NodeErrorKind::Duplicate, format!("Duplicate node name in graph: '{name}'")),
        );
    }
    let cycle = cycle_message(gd, &a.stuck);
    for &i in &a.stuck {
        errors.insert(gd.nodes[i].name.clone(), NodeError::new(NodeErrorKind::Cycle, cycle.clone()));
    }
    for &i in &a.order {
        let n = &gd.nodes[i];
        if errors.contains_key(&n.name) {
            continue;
        }
        if let Err(e) = add_tolerant(&mut graph, n, &errors, &a.by_name) {
            errors.insert(n.name.clone(), e);
        }
    }
    crate::engine::autodiff::optimizers::mark_optimizer_state_untrainable(&mut graph);
    (graph, errors)
}

fn add_tolerant(
    graph: &mut Graph,
    n: &NodeDef,
    errors: &BTreeMap<String, NodeError>,
    by_name: &HashMap<&str, usize>,
) -> Result<(), NodeError> {
    let names = n.op.input_names();
    let missing: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(k, _)| n.inputs.get(*k).is_none_or(|s| s.is_empty()))
        .map(|(_, s)| *s)
        .collect();
    if !missing.is_empty() && n.inputs.len() <= names.len() {
        return Err(NodeError::new(
            NodeErrorKind::Incomplete,
            format!(
                "{} op '{}' expects {} input(s) ({}); not connected: {}",
                n.op.type_name(),
                n.name,
                names.len(),
                names.join(", "),
                missing.join(", ")
            ),
        ));
    }
    let mut inputs = Vec::with_capacity(n.inputs.len());
    for s in &n.inputs {
        let base = TensorName::op_of(s);
        if errors.contains_key(base) {
            return Err(NodeError::new(
                NodeErrorKind::Upstream,
                format!("input '{s}' comes from '{base}', which is in error"),
            ));
        }
        let t = graph.tensor(s).map_err(|e| {
            let kind = if TensorName::is_valid(s) && !by_name.contains_key(base) {
                NodeErrorKind::DanglingInput
            } else {
                NodeErrorKind::Refused(e.clone())
            };
            NodeError::new(kind, e.to_string())
        })?;
        inputs.push(t);
    }
    let mut control_inputs = Vec::with_capacity(n.control_inputs.len());
    for c in &n.control_inputs {
        if errors.contains_key(c) {
            return Err(NodeError::new(NodeErrorKind::Upstream, format!("control input '{c}' is in error")));
        }
        control_inputs.push(graph.find(c).ok_or_else(|| {
            NodeError::new(NodeErrorKind::DanglingInput, format!("control input '{c}' is not a node of this graph"))
        })?);
    }
    let spec = NodeSpec { op: n.op.clone(), inputs, control_inputs, device: Some(n.device.clone()) };
    graph
        .add_named(&n.name, spec)
        .map(|_| ())
        .map_err(|e| NodeError::new(NodeErrorKind::Refused(e.clone()), e.to_string()))
}

/// Lowers every graph of a project strictly into a fresh workspace (no sessions yet).
pub fn lower_project(project: &Project) -> Result<Workspace, ProjectError> {
    let mut graphs = Vec::with_capacity(project.graphs.len());
    for gd in &project.graphs {
        graphs.push(NamedGraph { name: gd.name.clone(), graph: lower_strict(gd, None)? });
    }
    let default = project.graphs.iter().position(|g| g.name == project.default_graph).unwrap_or(0);
    Ok(Workspace::new(graphs, default))
}

impl Project {
    /// Builds the graphs into a fresh workspace (no sessions yet); see [`lower_project`].
    pub fn workspace(&self) -> Result<Workspace, ProjectError> {
        lower_project(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gd(json: &str) -> GraphDef {
        serde_json::from_str(json).unwrap()
    }

    const CHAIN: &str = r#"{"name": "g", "nodes": [
        {"name": "a", "op": "Const", "value": {"data": [1.0]}},
        {"name": "b", "op": "Identity", "inputs": ["a:0"]},
        {"name": "c", "op": "Identity", "inputs": ["b"]}
    ]}"#;

    /// A graph rebuilt from a project file keeps no collections: its optimizer's slots and beta
    /// powers are still not trainable (TF: 2 trainable of 8 variables on the seed's training).
    #[test]
    fn optimizer_state_is_not_trainable_after_lowering() {
        let seed = crate::train::seed::build(&crate::engine::autodiff::optimizers::Optimizer::adam(0.001)).unwrap();
        let def = crate::project::graph_def::graph_def_from("g", &seed.graph, &HashMap::new());
        let names = |g: &Graph| -> Vec<String> { g.trainable_variables().iter().map(|v| g.tensor_name(*v)).collect() };
        let want = names(&seed.graph);
        assert_eq!(want.len(), 2);
        let strict = lower_strict(&def, None).unwrap();
        assert_eq!(strict.variables().len(), 8);
        assert_eq!(names(&strict), want);
        assert_eq!(names(&lower_tolerant(&def, None).0), want);
    }

    #[test]
    fn tolerant_errors_have_kinds() {
        let (g, errs) = lower_tolerant(&gd(CHAIN), None);
        assert!(errs.is_empty() && g.find("c").is_some());
        // A cycle: a -> b -> c -> b.
        let cyc = gd(&CHAIN.replace(r#""inputs": ["a:0"]"#, r#""inputs": ["c:0"]"#));
        let (_, errs) = lower_tolerant(&cyc, None);
        assert_eq!(errs["b"].kind, NodeErrorKind::Cycle);
        assert_eq!(errs["b"].message, "the graph has a cycle through b, c");
        assert!(!errs["b"].kind.is_incomplete());
        // Not wired: incomplete; its consumer is upstream of an error.
        let open = gd(&CHAIN.replace(r#""inputs": ["a:0"]"#, r#""inputs": [""]"#));
        let (_, errs) = lower_tolerant(&open, None);
        assert_eq!(errs["b"].kind, NodeErrorKind::Incomplete);
        assert_eq!(errs["c"].kind, NodeErrorKind::Upstream);
        assert_eq!(errs["c"].message, "input 'b' comes from 'b', which is in error");
        // Dangling and refused.
        let dang = gd(&CHAIN.replace(r#""inputs": ["a:0"]"#, r#""inputs": ["zz:0"]"#));
        let (_, errs) = lower_tolerant(&dang, None);
        assert_eq!(errs["b"].kind, NodeErrorKind::DanglingInput);
        assert!(errs["b"].message.contains("The operation, 'zz', does not exist in the graph."));
        let refused = gd(&CHAIN.replace(r#""inputs": ["a:0"]"#, r#""inputs": ["a:3"]"#));
        let (_, errs) = lower_tolerant(&refused, None);
        assert!(matches!(errs["b"].kind, NodeErrorKind::Refused(_)), "{:?}", errs["b"]);
        let dup = gd(&CHAIN.replace(
            r#""name": "c", "op": "Identity", "inputs": ["b"]"#,
            r#""name": "b", "op": "Identity", "inputs": ["a"]"#,
        ));
        let (_, errs) = lower_tolerant(&dup, None);
        assert_eq!(errs["b"].kind, NodeErrorKind::Duplicate);
    }

    #[test]
    fn strict_keeps_its_messages() {
        let node = |json: &str| lower_strict(&gd(json), None).unwrap_err().to_string();
        assert_eq!(
            node(&CHAIN.replace(r#""inputs": ["a:0"]"#, r#""inputs": ["zz:0"]"#)),
            "graph 'g', node 'b': input 0 refers to 'zz:0', which is not a node of this graph"
        );
        assert_eq!(
            node(&CHAIN.replace(r#""inputs": ["a:0"]"#, r#""inputs": ["c:0"]"#)),
            "graph 'g', node 'b': the graph has a cycle through b, c"
        );
        assert_eq!(
            node(&CHAIN.replace(r#""name": "c""#, r#""name": "b""#)),
            "graph 'g', node 'b': the name is used by two nodes"
        );
    }
}
