//! The project file: a versioned JSON format that flowbench owns, and nothing else. It holds
//! the graphs (nodes with op, attrs, inputs, device and editor position), named session
//! configs, datasets and a script of the steps a program performs.
//!
//! - [`file`](mod@file): the data types ([`Project`], configs) and [`ProjectError`];
//! - [`graph_def`]: a graph as stored ([`GraphDef`], [`NodeDef`]);
//! - [`script`]: the script's steps as data ([`Step`]);
//! - [`io`]: load (migrating older versions), save;
//! - [`validate`]: the checks a loaded file passes;
//! - [`lower`]: the one lowering of a stored graph to an engine graph (strict and tolerant);
//! - [`csv`]: importing a CSV file as a dataset.
//!
//! Loading refuses a bad file with a message that names the node or field; it never panics.
//! The dataset definitions live with the data they make ([`crate::train::data::dataset`]).

pub mod csv;
pub mod file;
pub mod graph_def;
pub mod io;
pub mod lower;
pub mod script;
pub mod tf_graph;
pub mod validate;

pub use file::{BaseDir, FORMAT_VERSION, NamedConfig, Project, ProjectError, Translation};
pub use graph_def::{GraphDef, NodeDef, graph_def_from};
pub use io::migrate;
pub use script::Step;

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
