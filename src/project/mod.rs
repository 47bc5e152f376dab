//! The project file: a versioned JSON format that flowbench owns. It holds the graphs (nodes with
//! op, attrs, inputs, device and editor position), named session configs and a script of the
//! steps a program performs. Loading migrates older versions and refuses a bad file with a
//! message that names the node or field; it never panics.

pub mod csv;
pub mod dataset;
pub mod script;

use crate::engine::error::{Error as EngineError, Result as EngineResult};
use crate::engine::graph::op::Op;
use crate::engine::graph::{Graph, NodeSpec, Output};
use crate::engine::runtime::session::ConfigProto;
use crate::engine::runtime::workspace::{NamedGraph, Workspace};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};
use std::path::Path;

pub use script::Step;

/// The format version this build writes.
pub const FORMAT_VERSION: u32 = 1;

/// Why a project file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not JSON, or JSON of the wrong form.
    #[error("not a valid flowbench project: {0}")]
    Syntax(String),
    /// A version this build cannot read.
    #[error("{0}")]
    Version(String),
    /// The graph in the file is wrong (dangling input, cycle, refused op).
    #[error("graph '{graph}', node '{node}': {message}")]
    Node {
        /// The graph.
        graph: String,
        /// The node.
        node: String,
        /// What is wrong.
        message: String,
    },
    /// Anything else that names a field.
    #[error("{0}")]
    Invalid(String),
}

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
    /// Graph-level random seed (`tf.set_random_seed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Nodes, in creation order.
    pub nodes: Vec<NodeDef>,
}

/// A named `ConfigProto`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct NamedConfig {
    /// Name shown in the config panel.
    pub name: String,
    /// The config.
    pub config: ConfigProto,
}

/// A whole project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Project {
    /// The format version; see [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Title.
    pub name: String,
    /// What the project shows; may note where it differs from the notes it comes from.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Comments kept with the file (shown in the UI, ignored by the engine).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<String>,
    /// The graphs.
    pub graphs: Vec<GraphDef>,
    /// Which graph is the default graph.
    pub default_graph: String,
    /// Named session configs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<NamedConfig>,
    /// Datasets the train loop feeds from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<dataset::Dataset>,
    /// The program's steps.
    pub script: Vec<Step>,
    /// The folder of the file the project was loaded from (not saved): referenced data files are
    /// relative to it.
    #[serde(skip)]
    pub base_dir: BaseDir,
}

/// Where a project file lives. Not part of the project's content: any two compare equal.
#[derive(Clone, Debug, Default)]
pub struct BaseDir(pub Option<std::path::PathBuf>);

impl PartialEq for BaseDir {
    fn eq(&self, _: &BaseDir) -> bool {
        true
    }
}

impl BaseDir {
    /// The folder, if known.
    pub fn get(&self) -> Option<&Path> {
        self.0.as_deref()
    }
}

impl Default for Project {
    fn default() -> Self {
        Project {
            format_version: FORMAT_VERSION,
            name: "untitled".to_string(),
            description: String::new(),
            comments: Vec::new(),
            graphs: vec![GraphDef { name: "default".to_string(), ..Default::default() }],
            default_graph: "default".to_string(),
            configs: Vec::new(),
            datasets: Vec::new(),
            script: Vec::new(),
            base_dir: BaseDir::default(),
        }
    }
}

/// Brings an older file's JSON up to the current version. Version 0 (before the format was
/// versioned) held one graph as top-level `nodes` and no script.
pub fn migrate(mut json: Json) -> Result<Json, ProjectError> {
    let Some(obj) = json.as_object_mut() else {
        return Err(ProjectError::Syntax("the top level must be a JSON object".to_string()));
    };
    let version = match obj.get("format_version") {
        None => 0,
        Some(v) => v
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| ProjectError::Version(format!("format_version must be a whole number, found {v}")))?,
    };
    if version > FORMAT_VERSION {
        return Err(ProjectError::Version(format!(
            "this file has format_version {version}, written by a newer flowbench; this build reads versions up to {FORMAT_VERSION}"
        )));
    }
    if version == 0 {
        let nodes = obj.remove("nodes").unwrap_or(Json::Array(Vec::new()));
        obj.insert("graphs".to_string(), serde_json::json!([{ "name": "default", "nodes": nodes }]));
        obj.insert("default_graph".to_string(), Json::String("default".to_string()));
        obj.insert("format_version".to_string(), Json::from(1));
    }
    Ok(json)
}

impl Project {
    /// Parses a project from JSON text, migrating older versions and validating everything.
    pub fn from_json_str(text: &str) -> Result<Project, ProjectError> {
        let json: Json = serde_json::from_str(text).map_err(|e| ProjectError::Syntax(e.to_string()))?;
        let json = migrate(json)?;
        let project: Project = serde_json::from_value(json).map_err(|e| ProjectError::Syntax(e.to_string()))?;
        project.validate()?;
        Ok(project)
    }

    /// Reads and validates a project file.
    pub fn load(path: &Path) -> Result<Project, ProjectError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ProjectError::Io { path: path.display().to_string(), source })?;
        let mut project = Project::from_json_str(&text)?;
        let dir = path.parent().map(|d| if d.as_os_str().is_empty() { Path::new(".") } else { d });
        project.base_dir = BaseDir(dir.map(Path::to_path_buf));
        Ok(project)
    }

    /// Pretty JSON.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Saves atomically: writes a temporary file beside the target, then renames it over.
    pub fn save(&self, path: &Path) -> Result<(), ProjectError> {
        let io = |source| ProjectError::Io { path: path.display().to_string(), source };
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let file_name =
            path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "project".to_string());
        let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, self.to_json_string() + "\n").map_err(io)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    }

    /// Checks the whole file: every graph builds, names resolve, the script refers to what exists.
    pub fn validate(&self) -> Result<(), ProjectError> {
        let mut seen = HashSet::new();
        for g in &self.graphs {
            if !seen.insert(g.name.as_str()) {
                return Err(ProjectError::Invalid(format!("graphs: the name '{}' is used twice", g.name)));
            }
        }
        if !self.graphs.iter().any(|g| g.name == self.default_graph) {
            return Err(ProjectError::Invalid(format!(
                "default_graph: there is no graph named '{}'",
                self.default_graph
            )));
        }
        self.workspace()?;
        for (i, step) in self.script.iter().enumerate() {
            step.validate(self).map_err(|m| ProjectError::Invalid(format!("script step {}: {m}", i + 1)))?;
        }
        Ok(())
    }

    /// Builds the graphs into a fresh workspace (no sessions yet).
    pub fn workspace(&self) -> Result<Workspace, ProjectError> {
        let mut graphs = Vec::with_capacity(self.graphs.len());
        for gd in &self.graphs {
            graphs.push(NamedGraph { name: gd.name.clone(), graph: build_graph(gd)? });
        }
        let default = self.graphs.iter().position(|g| g.name == self.default_graph).unwrap_or(0);
        Ok(Workspace::new(graphs, default))
    }

    /// A named config.
    pub fn config(&self, name: &str) -> Option<&ConfigProto> {
        self.configs.iter().find(|c| c.name == name).map(|c| &c.config)
    }

    /// A dataset by name.
    pub fn dataset(&self, name: &str) -> Option<&dataset::Dataset> {
        self.datasets.iter().find(|d| d.name == name)
    }

    /// The graph def by name.
    pub fn graph_def(&self, name: &str) -> Option<&GraphDef> {
        self.graphs.iter().find(|g| g.name == name)
    }
}

/// Resolves a stored input (`a:0`, `a`) against already-built nodes.
fn resolve_input(graph: &Graph, name: &str) -> EngineResult<Output> {
    graph.tensor(name)
}

/// Builds one stored graph. Nodes may be listed in any order; they are added in dependency order,
/// and a cycle or a dangling input is refused with the node's name.
pub fn build_graph(gd: &GraphDef) -> Result<Graph, ProjectError> {
    build_graph_with_id(gd, None)
}

/// Like [`build_graph`], keeping the identity `id` when given (see [`Graph::with_id`]).
pub fn build_graph_with_id(gd: &GraphDef, id: Option<u64>) -> Result<Graph, ProjectError> {
    let node_err =
        |node: &str, message: String| ProjectError::Node { graph: gd.name.clone(), node: node.to_string(), message };
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (i, n) in gd.nodes.iter().enumerate() {
        if by_name.insert(n.name.as_str(), i).is_some() {
            return Err(node_err(&n.name, "the name is used by two nodes".to_string()));
        }
    }
    let base = |s: &str| -> String {
        s.rsplit_once(':').map_or(s, |(b, i)| if i.parse::<usize>().is_ok() { b } else { s }).to_string()
    };
    // Dependency check and order (Kahn's algorithm keeping file order among ready nodes).
    let mut deps: Vec<Vec<usize>> = Vec::with_capacity(gd.nodes.len());
    for n in &gd.nodes {
        let mut d = Vec::new();
        for (k, inp) in n.inputs.iter().enumerate() {
            let b = base(inp);
            match by_name.get(b.as_str()) {
                Some(&j) => d.push(j),
                None => {
                    return Err(node_err(
                        &n.name,
                        format!("input {k} refers to '{inp}', which is not a node of this graph"),
                    ));
                }
            }
        }
        for c in &n.control_inputs {
            match by_name.get(c.as_str()) {
                Some(&j) => d.push(j),
                None => return Err(node_err(&n.name, format!("control input '{c}' is not a node of this graph"))),
            }
        }
        deps.push(d);
    }
    let mut done = vec![false; gd.nodes.len()];
    let mut order = Vec::with_capacity(gd.nodes.len());
    loop {
        let before = order.len();
        for i in 0..gd.nodes.len() {
            if !done[i] && deps[i].iter().all(|&j| done[j]) {
                done[i] = true;
                order.push(i);
            }
        }
        if order.len() == gd.nodes.len() {
            break;
        }
        if order.len() == before {
            let stuck: Vec<&str> =
                (0..gd.nodes.len()).filter(|&i| !done[i]).map(|i| gd.nodes[i].name.as_str()).collect();
            return Err(node_err(stuck[0], format!("the graph has a cycle through {}", stuck.join(", "))));
        }
    }
    let mut graph = match id {
        Some(id) => Graph::with_id(id),
        None => Graph::new(),
    };
    graph.seed = gd.seed;
    for i in order {
        let n = &gd.nodes[i];
        let inputs = n
            .inputs
            .iter()
            .map(|s| resolve_input(&graph, s))
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
    Ok(graph)
}

/// Converts a built graph back to its stored form (positions taken from `positions`).
pub fn graph_def_from(name: &str, graph: &Graph, positions: &HashMap<String, [f32; 2]>) -> GraphDef {
    let nodes = graph
        .nodes()
        .iter()
        .map(|n| NodeDef {
            name: n.name.clone(),
            op: n.op.clone(),
            inputs: n
                .inputs
                .iter()
                .map(|t| {
                    let base = graph.node(t.node).map_or(String::new(), |x| x.name.clone());
                    format!("{base}:{}", t.index)
                })
                .collect(),
            control_inputs: n.control_inputs.iter().filter_map(|c| graph.node(*c)).map(|x| x.name.clone()).collect(),
            device: n.device.clone(),
            pos: positions.get(&n.name).copied(),
        })
        .collect();
    GraphDef { name: name.to_string(), seed: graph.seed, nodes }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"{
      "format_version": 1, "name": "t", "default_graph": "main",
      "graphs": [{"name": "main", "nodes": [
        {"name": "add", "op": "Binary", "kind": "Add", "inputs": ["a:0", "b:0"]},
        {"name": "a", "op": "Const", "value": {"dtype": "float32", "data": [1.0, 2.0]}},
        {"name": "b", "op": "Const", "value": {"data": [2.0, 3.0]}}
      ]}],
      "script": []
    }"#;

    #[test]
    fn loads_out_of_order_nodes() {
        let p = Project::from_json_str(SMALL).unwrap();
        let ws = p.workspace().unwrap();
        let g = ws.graph(0).unwrap();
        let t = g.tensor("add:0").unwrap();
        assert_eq!(g.tensor_repr(t), "Tensor(\"add:0\", shape=(2,), dtype=float32)");
    }

    #[test]
    fn refuses_bad_files_with_names() {
        let e = Project::from_json_str("not json").unwrap_err();
        assert!(matches!(e, ProjectError::Syntax(_)));
        let e = Project::from_json_str(&SMALL.replace("\"b:0\"", "\"zz:0\"")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "graph 'main', node 'add': input 1 refers to 'zz:0', which is not a node of this graph"
        );
        let cyc = SMALL.replace(
            r#""op": "Const", "value": {"dtype": "float32", "data": [1.0, 2.0]}"#,
            r#""op": "Identity", "inputs": ["add:0"]"#,
        );
        let e = Project::from_json_str(&cyc).unwrap_err();
        assert!(e.to_string().contains("cycle"), "{e}");
        let e = Project::from_json_str(&SMALL.replace("\"format_version\": 1", "\"format_version\": 99")).unwrap_err();
        assert!(e.to_string().contains("newer flowbench"), "{e}");
        let e = Project::from_json_str(&SMALL.replace("[2.0, 3.0]", "[2, 3]")).unwrap_err();
        assert!(e.to_string().contains("Input 'y' of 'AddV2' Op has type int32"), "{e}");
        let e = Project::from_json_str(&SMALL.replace("\"Binary\"", "\"Frobnicate\"")).unwrap_err();
        assert!(matches!(e, ProjectError::Syntax(_)), "{e}");
    }

    #[test]
    fn migrates_version_0() {
        let v0 = r#"{"name": "old", "nodes": [{"name": "a", "op": "Const", "value": {"data": 1.0}}]}"#;
        let p = Project::from_json_str(v0).unwrap();
        assert_eq!(p.format_version, FORMAT_VERSION);
        assert_eq!(p.graphs[0].nodes.len(), 1);
    }

    #[test]
    fn round_trips_and_saves_atomically() {
        let p = Project::from_json_str(SMALL).unwrap();
        let text = p.to_json_string();
        let q = Project::from_json_str(&text).unwrap();
        assert_eq!(p, q);
        let dir = std::env::temp_dir().join(format!("flowbench-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.json");
        p.save(&path).unwrap();
        assert_eq!(Project::load(&path).unwrap(), p);
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
        std::fs::remove_dir_all(&dir).ok();
    }
}
