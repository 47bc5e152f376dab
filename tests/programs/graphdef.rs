//! Graphs as TF's `GraphDef`: the binary and text exports of the bundled examples name TF's op
//! types and attrs; `flowbench export --format graphdef|pbtxt|meta` writes them and refuses
//! graphs with nodes TF has no op for; with `FLOWBENCH_TF_PYTHON`, real TF imports each exported
//! `.pb` (`tf.import_graph_def`), runs its initializers and fetches every tensor that needs no
//! feed, and gets the same bytes flowbench computes.

use crate::common::{flowbench, root, temp_dir};
use flowbench::engine::graph::op::Op;
use flowbench::engine::{ConfigProto, Graph, NodeId, Output, Session};
use flowbench::export::graphdef::{GraphFormat, export_graph};
use flowbench::formats::proto::{AttrKind, GraphDef};
use flowbench::project::Project;
use flowbench::project::lower::lower_strict;
use prost::Message;
use std::path::PathBuf;

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("assets/examples"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

#[test]
fn exports_name_tf_ops_and_attrs() {
    let p = Project::load(&root().join("assets/examples/3_4_4_placeholder.json")).unwrap();
    let ex = export_graph(&p, None, GraphFormat::Binary).unwrap();
    assert!(ex.unsupported.is_empty());
    let gd = GraphDef::decode(ex.bytes.as_slice()).unwrap();
    let ops: Vec<&str> = gd.node.iter().map(|n| n.op.as_str()).collect();
    assert!(ops.contains(&"VariableV2") && ops.contains(&"Placeholder") && ops.contains(&"MatMul"), "{ops:?}");
    let mm = gd.node.iter().find(|n| n.op == "MatMul").unwrap();
    assert_eq!(mm.attr["transpose_a"].value, Some(AttrKind::B(false)));
    assert_eq!(mm.attr["T"].value, Some(AttrKind::Type(1)));
    let ph = gd.node.iter().find(|n| n.op == "Placeholder").unwrap();
    let Some(AttrKind::Shape(s)) = &ph.attr["shape"].value else { panic!() };
    assert_eq!(s.dim.iter().map(|d| d.size).collect::<Vec<_>>(), [1, 2]);
    let partial =
        flowbench::formats::graph::partial_shape_proto(&flowbench::engine::Shape::parse("(None, 2)").unwrap());
    assert_eq!(partial.dim.iter().map(|d| d.size).collect::<Vec<_>>(), [-1, 2]);
    assert_eq!(gd.versions.as_ref().unwrap().producer, flowbench::formats::graph::GRAPH_PRODUCER);
    let text = String::from_utf8(export_graph(&p, None, GraphFormat::Text).unwrap().bytes).unwrap();
    assert!(text.contains("  op: \"Placeholder\"\n"), "{text}");
    assert!(text.contains("    key: \"dtype\"\n    value {\n      type: DT_FLOAT\n    }\n"), "{text}");
    assert!(text.ends_with("versions {\n  producer: 2474\n}\n"));
}

#[test]
fn export_command_writes_graph_files_and_refuses_unsupported_nodes() {
    let dir = temp_dir("graphdef-cli");
    let ex = root().join("assets/examples/3_4_3_forward.json");
    for (fmt, name) in [("graphdef", "g.pb"), ("pbtxt", "g.pbtxt"), ("meta", "g.meta")] {
        let out = dir.join(name);
        let o = flowbench(&[
            "export".as_ref(),
            ex.as_os_str(),
            "--format".as_ref(),
            fmt.as_ref(),
            "-o".as_ref(),
            out.as_os_str(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(std::fs::metadata(&out).unwrap().len() > 100);
    }
    // The training example's gradients are written as TF's gradient functions write them.
    let trained = root().join("assets/examples/3_4_5_training.json");
    let out = dir.join("trained.pb");
    let o = flowbench(&[
        "export".as_ref(),
        trained.as_os_str(),
        "--format".as_ref(),
        "graphdef".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let gd = GraphDef::decode(std::fs::read(&out).unwrap().as_slice()).unwrap();
    let ops: std::collections::BTreeSet<&str> = gd.node.iter().map(|n| n.op.as_str()).collect();
    for op in ["BroadcastTo", "Select", "Reshape", "Shape", "ApplyAdam"] {
        assert!(ops.contains(op), "{op} missing from {ops:?}");
    }
    // A random normal with a mean is two more ops in TF: refused, and named.
    let trained = dir.join("scaled.json");
    std::fs::write(
        &trained,
        r#"{ "format_version": 1, "name": "scaled", "default_graph": "default", "script": [],
             "graphs": [{ "name": "default", "nodes": [
               { "name": "r", "op": "RandomStandardNormal", "dtype": "float32", "shape": [2], "mean": 2.0, "stddev": 1.0 } ] }] }"#,
    )
    .unwrap();
    let out = dir.join("t.pb");
    let o = flowbench(&[
        "export".as_ref(),
        trained.as_os_str(),
        "--format".as_ref(),
        "graphdef".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("have no TensorFlow op; nothing was written"));
    assert!(!out.exists());
}

/// Tensors to compare: outputs of nodes that draw no random numbers, change no state and depend
/// (by data or control) on no node that does
/// (reading variables is fine: they are set by the initializers first; placeholders are fed).
fn comparable(g: &Graph) -> Vec<Output> {
    let mut tainted = vec![false; g.nodes().len()];
    let mut out = Vec::new();
    for (i, n) in g.nodes().iter().enumerate() {
        let f = n.op.facts();
        let t = f.random
            || n.inputs.iter().any(|o| tainted[o.node.0])
            // A control input runs an update too (minimize's `GradientDescent/value` waits on it).
            || n.control_inputs.iter().any(|c| tainted[c.0])
            || (f.stateful && !matches!(n.op, Op::Variable { .. }));
        tainted[i] = t;
        if !t {
            for k in 0..f.outputs {
                out.push(Output { node: NodeId(i), index: k });
            }
        }
    }
    out
}

#[test]
fn tf_imports_exported_graphs_and_computes_the_same() {
    let Some(py) = std::env::var_os("FLOWBENCH_TF_PYTHON") else {
        println!("skipped: set FLOWBENCH_TF_PYTHON=/path/to/python (a Python with tensorflow) to run this under TF");
        return;
    };
    let dir = temp_dir("graphdef-tf");
    let mut checked = 0;
    for path in examples() {
        let p = Project::load(&path).unwrap();
        for gd in &p.graphs {
            let ex = export_graph(&p, Some(&gd.name), GraphFormat::Binary).unwrap();
            if !ex.unsupported.is_empty() {
                continue;
            }
            let g = lower_strict(gd, None).unwrap();
            let inits: Vec<NodeId> = g
                .nodes()
                .iter()
                .enumerate()
                .filter(|(_, n)| matches!(n.op, Op::Assign { initializer: true }))
                .map(|(i, _)| NodeId(i))
                .collect();
            let fetches = comparable(&g);
            if fetches.is_empty() {
                continue;
            }
            let config = ConfigProto { allow_soft_placement: true, ..Default::default() };
            let mut s = Session::new(&g, config);
            if !inits.is_empty() {
                s.run(&g, &[], &[], &inits).unwrap();
            }
            // Every placeholder fed a fixed value (unknown dimensions 4).
            let mut feeds = Vec::new();
            let mut py_feeds = Vec::new();
            for (i, n) in g.nodes().iter().enumerate() {
                if let Op::Placeholder { dtype, shape } = &n.op {
                    let dims: Vec<usize> = match shape.dims() {
                        Some(d) => d.iter().map(|x| x.unwrap_or(4)).collect(),
                        None => vec![4],
                    };
                    let count: usize = dims.iter().product();
                    let data: Vec<f64> = (0..count).map(|k| ((k * 37 + 11) % 17) as f64 / 8.0 - 1.0).collect();
                    let v = flowbench::engine::Value::F64(
                        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&dims), data.clone()).unwrap(),
                    )
                    .cast(*dtype);
                    py_feeds.push(format!(
                        "{:?}: np.array({:?}, dtype=np.float64).reshape({:?}).astype({:?})",
                        format!("{}:0", n.name),
                        data,
                        dims,
                        dtype.name()
                    ));
                    feeds.push(flowbench::engine::runtime::feed::Feed {
                        tensor: Output { node: NodeId(i), index: 0 },
                        value: v,
                    });
                }
            }
            let values = s.run(&g, &fetches, &feeds, &[]).unwrap().values;
            let want: String = values
                .iter()
                .map(|v| {
                    let hex: String =
                        flowbench::formats::bundle::value_bytes(v).iter().map(|b| format!("{b:02x}")).collect();
                    format!("{} {:?} {hex}\n", v.dtype().name(), v.shape())
                })
                .collect();
            let pb = dir.join(format!("{}-{}.pb", path.file_stem().unwrap().to_string_lossy(), gd.name));
            std::fs::write(&pb, &ex.bytes).unwrap();
            let names = |xs: Vec<String>| xs.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", ");
            let script = format!(
                r#"
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
gd = tf.GraphDef()
gd.ParseFromString(open({pb:?}, "rb").read())
g = tf.Graph()
with g.as_default():
    tf.import_graph_def(gd, name="")
with tf.Session(graph=g, config=tf.ConfigProto(allow_soft_placement=True)) as s:
    inits = [{inits}]
    if inits:
        s.run(inits)
    for v in s.run([{fetches}], {{{feeds}}}):
        v = np.asarray(v)
        print(v.dtype, list(v.shape), v.tobytes().hex())
"#,
                pb = pb.display().to_string(),
                inits = names(inits.iter().map(|&i| g.node(i).unwrap().name.clone()).collect()),
                fetches = names(fetches.iter().map(|&o| g.tensor_name(o)).collect()),
                feeds = py_feeds.join(", "),
            );
            let o = std::process::Command::new(&py)
                .arg("-c")
                .arg(script)
                .env("TF_CPP_MIN_LOG_LEVEL", "3")
                .output()
                .unwrap();
            assert!(o.status.success(), "{}: {}", pb.display(), String::from_utf8_lossy(&o.stderr));
            assert_eq!(String::from_utf8_lossy(&o.stdout), want, "{}", pb.display());
            checked += 1;
        }
    }
    assert!(checked >= 11, "only {checked} graphs compared");
}

#[test]
fn imports_a_graph_tf_wrote_and_computes_what_tf_computed() {
    use flowbench::engine::Value;
    use flowbench::project::tf_graph::{project_from_graph_def, read_graph_file};
    let dir = root().join("tests/data/tf/graphs");
    let gd = read_graph_file(&dir.join("forward.pb")).unwrap();
    let (project, skipped) = project_from_graph_def(&gd, "forward");
    assert!(skipped.is_empty(), "{skipped:?}");
    project.validate().unwrap();
    let g = lower_strict(&project.graphs[0], None).unwrap();
    let mut s = Session::new(&g, ConfigProto::default());
    s.run(&g, &[], &[], &[g.find("init").unwrap()]).unwrap();
    let x = Value::F32(
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[3, 2]), vec![0.7, 0.9, -0.3, 0.25, 1.5, -2.0]).unwrap(),
    );
    let feed = flowbench::engine::runtime::feed::Feed { tensor: g.tensor("x:0").unwrap(), value: x };
    let fetches = [g.tensor("y:0").unwrap(), g.tensor("loss:0").unwrap()];
    let values = s.run(&g, &fetches, &[feed], &[]).unwrap().values;
    let got: String = values
        .iter()
        .map(|v| {
            let hex: String = flowbench::formats::bundle::value_bytes(v).iter().map(|b| format!("{b:02x}")).collect();
            format!("{} {:?} {hex}\n", v.dtype().name(), v.shape())
        })
        .collect();
    assert_eq!(got, std::fs::read_to_string(dir.join("forward.txt")).unwrap());

    // A node with an op flowbench lacks is named, and the import refused unless allowed.
    let tiled = dir.join("tiled.pb");
    let (_, skipped) = project_from_graph_def(&read_graph_file(&tiled).unwrap(), "tiled");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].why, "flowbench has no op 'Tile'");
    let out = temp_dir("import-graphdef").join("t.json");
    let o = flowbench(&["import-graphdef".as_ref(), tiled.as_os_str(), "-o".as_ref(), out.as_os_str()]);
    assert!(!o.status.success() && !out.exists());
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("unsupported: node 'tiled': flowbench has no op 'Tile'\n"));
    let o = flowbench(&[
        "import-graphdef".as_ref(),
        tiled.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--allow-unsupported".as_ref(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(Project::load(&out).is_ok());
    // Garbage is refused with a message.
    let junk = temp_dir("import-junk").join("junk.pb");
    std::fs::write(&junk, b"\xff\xff\xff\xff").unwrap();
    assert!(read_graph_file(&junk).unwrap_err().contains("not a TensorFlow graph file"));
}

/// The text `GraphDef` TF wrote (`tiled.pbtxt`) is read by flowbench's own parser into the very
/// `GraphDef` of the binary file; the `.meta` TF's `Saver` wrote imports without the saver's
/// nodes.
#[test]
fn reads_text_and_meta_graphs_tf_wrote() {
    use flowbench::project::tf_graph::{project_from_graph_def, read_graph_file};
    let dir = root().join("tests/data/tf/graphs");
    assert_eq!(read_graph_file(&dir.join("tiled.pbtxt")).unwrap(), read_graph_file(&dir.join("tiled.pb")).unwrap());
    let meta = read_graph_file(&dir.join("forward.meta")).unwrap();
    assert!(meta.node.iter().all(|n| !n.name.starts_with("save/")));
    let names = |g: &GraphDef| g.node.iter().map(|n| n.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&meta), names(&read_graph_file(&dir.join("forward.pb")).unwrap()));
    let (project, unsupported) = project_from_graph_def(&meta, "forward");
    assert!(unsupported.is_empty(), "{unsupported:?}");
    project.validate().unwrap();
    // Garbage text is refused with its place.
    let bad = temp_dir("pbtxt-bad").join("bad.pbtxt");
    std::fs::write(&bad, "node {\n  name: \"a\"\n  op: 5 5\n").unwrap();
    assert!(read_graph_file(&bad).unwrap_err().contains("line 3:"), "{}", read_graph_file(&bad).unwrap_err());
}

/// A node whose op flowbench lacks (`Tile`) is kept as a node in error naming the op as TF does;
/// the rest of the graph builds and computes what TF computed.
#[test]
fn unsupported_ops_stay_as_nodes_in_error() {
    use flowbench::engine::Value;
    use flowbench::project::lower::lower_tolerant;
    use flowbench::project::tf_graph::{project_from_graph_def, read_graph_file};
    let dir = root().join("tests/data/tf/graphs");
    let (project, unsupported) = project_from_graph_def(&read_graph_file(&dir.join("tiled.pbtxt")).unwrap(), "tiled");
    assert_eq!(unsupported.len(), 1);
    let tiled = project.graphs[0].nodes.iter().find(|n| n.name == "tiled").unwrap();
    assert!(matches!(&tiled.op, Op::Unregistered { op_type, outputs: 1, why } if op_type == "Tile" && why.is_empty()));
    assert_eq!(tiled.op.type_name(), "Tile");
    assert_eq!(tiled.inputs, ["y:0", "tiled/multiples:0"]);
    let (g, errors) = lower_tolerant(&project.graphs[0], None);
    assert_eq!(errors.keys().collect::<Vec<_>>(), ["tiled"]);
    assert_eq!(
        errors["tiled"].message,
        "NotFoundError: Op type not registered 'Tile' in binary running on flowbench. Make sure the Op and Kernel are registered in the binary running in this process."
    );
    let mut s = Session::new(&g, ConfigProto::default());
    s.run(&g, &[], &[], &[g.find("init").unwrap()]).unwrap();
    let x = Value::F32(
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[3, 2]), vec![0.7, 0.9, -0.3, 0.25, 1.5, -2.0]).unwrap(),
    );
    let feed = flowbench::engine::runtime::feed::Feed { tensor: g.tensor("x:0").unwrap(), value: x };
    let values = s.run(&g, &[g.tensor("y:0").unwrap(), g.tensor("loss:0").unwrap()], &[feed], &[]).unwrap().values;
    let got: String = values
        .iter()
        .map(|v| {
            let hex: String = flowbench::formats::bundle::value_bytes(v).iter().map(|b| format!("{b:02x}")).collect();
            format!("{} {:?} {hex}\n", v.dtype().name(), v.shape())
        })
        .collect();
    assert_eq!(got, std::fs::read_to_string(dir.join("forward.txt")).unwrap());
    // The project file form keeps the op's name.
    let json = serde_json::to_string(tiled).unwrap();
    assert!(json.contains(r#""op":"Unregistered","op_type":"Tile","outputs":1"#), "{json}");
}

/// `--format meta` writes what `tf.train.Saver` writes: its nodes, its `SaverDef` and the
/// variable collections; flowbench reads its own `.meta` back without the saver's nodes.
#[test]
fn meta_exports_carry_tf_saver() {
    use flowbench::formats::proto::{MetaGraphDef, VariableDef};
    let p = Project::load(&root().join("assets/examples/3_4_5_training.json")).unwrap();
    let ex = export_graph(&p, None, GraphFormat::Meta).unwrap();
    let m = MetaGraphDef::decode(ex.bytes.as_slice()).unwrap();
    let sd = m.saver_def.unwrap();
    assert_eq!(
        (sd.filename_tensor_name.as_str(), sd.save_tensor_name.as_str(), sd.restore_op_name.as_str()),
        ("save/Const:0", "save/control_dependency:0", "save/restore_all")
    );
    assert_eq!((sd.max_to_keep, sd.version, sd.keep_checkpoint_every_n_hours), (5, 2, 10000.0));
    let gd = m.graph_def.unwrap();
    let save = gd.node.iter().find(|n| n.name == "save/SaveV2").unwrap();
    let saved = [
        "Variable",
        "Variable/Adam",
        "Variable/Adam_1",
        "Variable_1",
        "Variable_1/Adam",
        "Variable_1/Adam_1",
        "beta1_power",
        "beta2_power",
    ];
    assert_eq!(save.input[3..], saved[..]);
    let vars = &m.collection_def["variables"].bytes_list.as_ref().unwrap().value;
    let trainable = &m.collection_def["trainable_variables"].bytes_list.as_ref().unwrap().value;
    let v0 = VariableDef::decode(trainable[0].as_slice()).unwrap();
    assert_eq!((v0.variable_name.as_str(), v0.initializer_name.as_str()), ("Variable:0", "Variable/Assign"));
    assert_eq!((vars.len(), trainable.len()), (8, 2));
    let f = temp_dir("meta-export").join("g.meta");
    std::fs::write(&f, &ex.bytes).unwrap();
    let back = flowbench::project::tf_graph::read_graph_file(&f).unwrap();
    assert!(back.node.iter().all(|n| !n.name.starts_with("save/")));
}
