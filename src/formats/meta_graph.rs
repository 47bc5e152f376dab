//! The `MetaGraphDef` of a `.meta` file as `tf.train.Saver` writes it: the graph plus the
//! saver's own nodes (`save/Const` the filename, `save/SaveV2` and `save/control_dependency`,
//! `save/RestoreV2`, one `save/Assign_k` per variable and `save/restore_all`), the `SaverDef`
//! naming them (V2, `max_to_keep` 5, `keep_checkpoint_every_n_hours` 10000) and the
//! `variables` / `trainable_variables` collections of `VariableDef`s, so that
//! `tf.train.import_meta_graph` rebuilds the variables and returns a saver that saves and
//! restores. A graph without variables gets no saver (TF's `Saver()` refuses one).

use crate::formats::proto::{
    AttrKind, AttrValue, BytesList, CollectionDef, Dim, GraphDef, ListValue, MetaGraphDef, MetaInfoDef, NodeDef,
    SaverDef, TensorProto, TensorShapeProto, VariableDef, data_type,
};
use prost::Message;
use std::collections::{BTreeMap, HashSet};

fn attr(k: AttrKind) -> AttrValue {
    AttrValue { value: Some(k) }
}

/// A string constant's tensor (a scalar, or a vector of `values`).
fn strings(values: &[&str], scalar: bool) -> TensorProto {
    TensorProto {
        dtype: data_type::DT_STRING,
        tensor_shape: Some(TensorShapeProto {
            dim: if scalar { Vec::new() } else { vec![Dim { size: values.len() as i64, name: String::new() }] },
            unknown_rank: false,
        }),
        string_val: values.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ..Default::default()
    }
}

fn node(name: String, op: &str, input: Vec<String>, attrs: Vec<(&str, AttrKind)>) -> NodeDef {
    NodeDef {
        name,
        op: op.into(),
        input,
        device: String::new(),
        attr: attrs.into_iter().map(|(k, v)| (k.to_string(), attr(v))).collect(),
    }
}

fn string_const(name: String, values: &[&str], scalar: bool, device: &str) -> NodeDef {
    let mut n = node(
        name,
        "Const",
        Vec::new(),
        vec![("dtype", AttrKind::Type(data_type::DT_STRING)), ("value", AttrKind::Tensor(strings(values, scalar)))],
    );
    n.device = device.into();
    n
}

/// A name scope `save`, `save_1`, ... that no node of `gd` uses.
fn free_scope(gd: &GraphDef) -> String {
    let used: HashSet<&str> = gd.node.iter().filter_map(|n| n.name.split('/').next()).collect();
    let mut scope = "save".to_string();
    let mut k = 1;
    while used.contains(scope.as_str()) {
        scope = format!("save_{k}");
        k += 1;
    }
    scope
}

/// The variables of `gd` (`VariableV2` nodes) with their dtype enum, in node order.
fn variables(gd: &GraphDef) -> Vec<(&str, i32)> {
    gd.node
        .iter()
        .filter(|n| n.op == "VariableV2")
        .map(|n| {
            let dtype = match n.attr.get("dtype").and_then(|a| a.value.as_ref()) {
                Some(AttrKind::Type(t)) => *t,
                _ => data_type::DT_FLOAT,
            };
            (n.name.as_str(), dtype)
        })
        .collect()
}

/// The `MetaGraphDef` of `gd` with a saver over `pairs` (checkpoint key, variable name); `None`
/// covers every variable under its own name.
pub fn meta_graph_def(gd: &GraphDef, pairs: Option<&[(String, String)]>) -> MetaGraphDef {
    let vars = variables(gd);
    let mut pairs: Vec<(String, String)> = match pairs {
        Some(p) => p.to_vec(),
        None => vars.iter().map(|(n, _)| (n.to_string(), n.to_string())).collect(),
    };
    // TF's saver orders its tensors by checkpoint key.
    pairs.sort();
    pairs.retain(|(_, v)| vars.iter().any(|(n, _)| n == v));
    let mut graph = gd.clone();
    let mut saver_def = None;
    if !pairs.is_empty() {
        let scope = free_scope(gd);
        let s = |n: &str| format!("{scope}/{n}");
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        let blanks: Vec<&str> = pairs.iter().map(|_| "").collect();
        let dtypes: Vec<i32> =
            pairs.iter().map(|(_, v)| vars.iter().find(|(n, _)| n == v).map_or(data_type::DT_FLOAT, |x| x.1)).collect();
        let dtype_list = || AttrKind::List(ListValue { r#type: dtypes.clone(), ..Default::default() });
        let scalar = || AttrKind::Shape(TensorShapeProto::default());
        let string_t = || AttrKind::Type(data_type::DT_STRING);
        let cpu = "/device:CPU:0";
        let mut add = vec![
            string_const(s("filename/input"), &["model"], true, ""),
            node(
                s("filename"),
                "PlaceholderWithDefault",
                vec![s("filename/input")],
                vec![("dtype", string_t()), ("shape", scalar())],
            ),
            node(
                s("Const"),
                "PlaceholderWithDefault",
                vec![s("filename")],
                vec![("dtype", string_t()), ("shape", scalar())],
            ),
            string_const(s("SaveV2/tensor_names"), &keys, false, ""),
            string_const(s("SaveV2/shape_and_slices"), &blanks, false, ""),
        ];
        let mut save_inputs = vec![s("Const"), s("SaveV2/tensor_names"), s("SaveV2/shape_and_slices")];
        save_inputs.extend(pairs.iter().map(|(_, v)| v.clone()));
        add.push(node(s("SaveV2"), "SaveV2", save_inputs, vec![("dtypes", dtype_list())]));
        add.push(node(
            s("control_dependency"),
            "Identity",
            vec![s("Const"), format!("^{}", s("SaveV2"))],
            vec![("T", string_t())],
        ));
        add.push(string_const(s("RestoreV2/tensor_names"), &keys, false, cpu));
        add.push(string_const(s("RestoreV2/shape_and_slices"), &blanks, false, cpu));
        let mut restore = node(
            s("RestoreV2"),
            "RestoreV2",
            vec![s("Const"), s("RestoreV2/tensor_names"), s("RestoreV2/shape_and_slices")],
            vec![("dtypes", dtype_list())],
        );
        restore.device = cpu.into();
        add.push(restore);
        let mut assigns = Vec::new();
        for (k, ((_, v), dt)) in pairs.iter().zip(&dtypes).enumerate() {
            let name = if k == 0 { s("Assign") } else { s(&format!("Assign_{k}")) };
            let out = if k == 0 { s("RestoreV2") } else { format!("{}:{k}", s("RestoreV2")) };
            add.push(node(
                name.clone(),
                "Assign",
                vec![v.clone(), out],
                vec![
                    ("T", AttrKind::Type(*dt)),
                    ("use_locking", AttrKind::B(true)),
                    ("validate_shape", AttrKind::B(true)),
                ],
            ));
            assigns.push(format!("^{name}"));
        }
        add.push(node(s("restore_all"), "NoOp", assigns, Vec::new()));
        graph.node.extend(add);
        saver_def = Some(SaverDef {
            filename_tensor_name: format!("{}:0", s("Const")),
            save_tensor_name: format!("{}:0", s("control_dependency")),
            restore_op_name: s("restore_all"),
            max_to_keep: 5,
            sharded: false,
            keep_checkpoint_every_n_hours: 10000.0,
            version: 2,
        });
    }
    MetaGraphDef {
        meta_info_def: Some(MetaInfoDef {
            meta_graph_version: String::new(),
            tensorflow_version: "2.21.0".into(),
            tensorflow_git_version: "flowbench".into(),
        }),
        graph_def: Some(graph),
        saver_def,
        collection_def: collections(gd, &vars),
    }
}

/// The `variables` and `trainable_variables` collections: a variable is trainable when an
/// optimizer's apply op updates it (every variable but `global_step` when there is none).
fn collections(gd: &GraphDef, vars: &[(&str, i32)]) -> BTreeMap<String, CollectionDef> {
    let applied: HashSet<&str> = gd
        .node
        .iter()
        .filter(|n| n.op.starts_with("Apply"))
        .filter_map(|n| n.input.first().map(|i| i.split(':').next().unwrap_or(i)))
        .collect();
    let by_name: std::collections::HashMap<&str, &NodeDef> = gd.node.iter().map(|n| (n.name.as_str(), n)).collect();
    let mut all = Vec::new();
    let mut trainable = Vec::new();
    for (v, _) in vars {
        let init = format!("{v}/Assign");
        let Some(assign) = by_name.get(init.as_str()) else { continue };
        let initial = assign.input.get(1).cloned().unwrap_or_default();
        let initial = if initial.contains(':') { initial } else { format!("{initial}:0") };
        let read = format!("{v}/read");
        let is_trainable = if applied.is_empty() { *v != "global_step" } else { applied.contains(v) };
        let def = VariableDef {
            variable_name: format!("{v}:0"),
            initializer_name: init,
            snapshot_name: if by_name.contains_key(read.as_str()) { format!("{read}:0") } else { format!("{v}:0") },
            initial_value_name: initial,
            trainable: is_trainable,
        }
        .encode_to_vec();
        if is_trainable {
            trainable.push(def.clone());
        }
        all.push(def);
    }
    let mut c = BTreeMap::new();
    let list = |value: Vec<Vec<u8>>| CollectionDef { node_list: None, bytes_list: Some(BytesList { value }) };
    if !all.is_empty() {
        c.insert("variables".to_string(), list(all));
    }
    if !trainable.is_empty() {
        c.insert("trainable_variables".to_string(), list(trainable));
    }
    c
}
