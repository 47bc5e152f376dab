//! Graph-level seeds: a project graph with `"seed"` set and random nodes stored without an op
//! seed gets the `seed`/`seed2` attrs and the values real TF gives `tf.set_random_seed(g)` programs
//! (`tests/data/tf_graph_seeds.json`, made by `tools/graph_seed_vectors.py` with TF 2.21).

use crate::common::sha256_hex;
use flowbench::engine::graph::op::Op;
use flowbench::engine::kernels::random::derive_seeds;
use flowbench::engine::runtime::session::Session;
use flowbench::engine::value::Value;
use flowbench::project::graph_def::GraphDef;
use flowbench::project::lower::lower_strict;
use serde_json::{Value as Json, json};

fn vectors() -> Json {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tf_graph_seeds.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("parse")
}

/// The case's graph as a project stores it: each random call as a node (op seed attrs only when
/// the program gave an op seed), with a `Const` before each to show that other ops do not count.
fn graph_def(case: &Json) -> GraphDef {
    let g = case["graph_seed"].as_i64().unwrap();
    let mut nodes = Vec::new();
    for (i, op) in case["ops"].as_array().unwrap().iter().enumerate() {
        nodes.push(json!({"name": format!("c{i}"), "op": "Const", "value": {"dtype": "float32", "data": 1.0}}));
        let mut n = json!({"name": format!("r{i}"), "op": op["op"], "dtype": "float32", "shape": op["shape"]});
        for (k, v) in op["params"].as_object().unwrap() {
            n[k] = v.clone();
        }
        if let Some(s) = op["op_seed"].as_i64() {
            let (seed, seed2) = derive_seeds(Some(g), Some(s), 0);
            n["seed"] = json!(seed);
            n["seed2"] = json!(seed2);
        }
        nodes.push(n);
    }
    serde_json::from_value(json!({"name": "g", "seed": g, "nodes": nodes})).expect("a graph def")
}

#[test]
fn graph_seed_attrs_and_values_match_tf() {
    let v = vectors();
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let gd = graph_def(case);
        let graph = lower_strict(&gd, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut session = Session::new(&graph, Default::default());
        for (i, want) in case["ops"].as_array().unwrap().iter().enumerate() {
            let id = graph.find(&format!("r{i}")).unwrap();
            let (seed, seed2) = match &graph.node(id).unwrap().op {
                Op::RandomStandardNormal { seed, seed2, .. }
                | Op::TruncatedNormal { seed, seed2, .. }
                | Op::RandomUniform { seed, seed2, .. } => (*seed, *seed2),
                other => panic!("{name}: r{i} is {other:?}"),
            };
            let call = want["call"].as_str().unwrap();
            assert_eq!(
                (seed, seed2),
                (want["seed"].as_i64().unwrap(), want["seed2"].as_i64().unwrap()),
                "{name}: {call}: attrs"
            );
            let out = session.run(&graph, &[id.out()], &[], &[]).unwrap();
            let Value::F32(a) = &out.values[0] else { panic!("{name}: not float32") };
            let bits: Vec<String> = a.iter().map(|x| format!("{:08x}", x.to_bits())).collect();
            if let Some(all) = want.get("values") {
                let all: Vec<&str> = all.as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
                assert_eq!(bits, all, "{name}: {call}: values");
            } else {
                let first: Vec<&str> = want["first"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
                assert_eq!(&bits[..first.len()], first, "{name}: {call}: first values");
                let bytes: Vec<u8> = a.iter().flat_map(|x| x.to_le_bytes()).collect();
                assert_eq!(
                    sha256_hex(&bytes),
                    want["sha256_of_little_endian_values"].as_str().unwrap(),
                    "{name}: {call}: all values"
                );
            }
        }
    }
}

#[test]
fn without_a_graph_seed_unseeded_ops_stay_nondeterministic() {
    let gd: GraphDef = serde_json::from_value(json!({"name": "g", "nodes": [
        {"name": "r", "op": "RandomUniform", "dtype": "float32", "shape": [2]}
    ]}))
    .unwrap();
    let graph = lower_strict(&gd, None).unwrap();
    let op = &graph.node(graph.find("r").unwrap()).unwrap().op;
    assert!(matches!(op, Op::RandomUniform { seed: 0, seed2: 0, .. }), "{op:?}");
}
