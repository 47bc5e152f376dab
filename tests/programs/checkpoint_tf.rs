//! Checkpoints against real TensorFlow, run when `FLOWBENCH_TF_PYTHON=/path/to/python` names a
//! Python with tensorflow (skipped with a printed reason otherwise): a checkpoint flowbench wrote
//! is read by `tf.train.NewCheckpointReader` and restored by `Saver.restore` with the same values;
//! one TF writes now (with `max_to_keep`) is read by flowbench, state file included.

use crate::common::{root, temp_dir};
use flowbench::engine::Value;
use flowbench::formats::bundle::{BundleReader, write_bundle};
use ndarray::{ArrayD, IxDyn};
use std::process::Command;

fn python() -> Option<std::ffi::OsString> {
    let p = std::env::var_os("FLOWBENCH_TF_PYTHON");
    if p.is_none() {
        println!("skipped: set FLOWBENCH_TF_PYTHON=/path/to/python (a Python with tensorflow) to run this under TF");
    }
    p
}

fn run_python(python: &std::ffi::OsStr, script: &str) -> String {
    let o = Command::new(python).arg("-c").arg(script).env("TF_CPP_MIN_LOG_LEVEL", "3").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn tf_restores_what_flowbench_wrote() {
    let Some(py) = python() else { return };
    let dir = temp_dir("ckpt-tf-read");
    let prefix = dir.join("model.ckpt");
    let w = Value::F32(ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![0.1, -0.2, 0.3, 1e-8, 3e38, -0.0]).unwrap());
    let b = Value::F64(ArrayD::from_shape_vec(IxDyn(&[3]), vec![1.0 / 3.0, -2.5, 7.0]).unwrap());
    let n = Value::I32(ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1, -2, i32::MAX, i32::MIN]).unwrap());
    let l = Value::I64(ArrayD::from_elem(IxDyn(&[]), -(1 << 50)));
    let f = Value::Bool(ArrayD::from_shape_vec(IxDyn(&[2]), vec![false, true]).unwrap());
    let tensors: Vec<(String, &Value)> =
        vec![("layer/w".into(), &w), ("b".into(), &b), ("n".into(), &n), ("step".into(), &l), ("flags".into(), &f)];
    write_bundle(&prefix, &tensors).unwrap();
    let script = format!(
        r#"
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
p = {p:?}
r = tf.train.NewCheckpointReader(p)
for k, s in sorted(r.get_variable_to_shape_map().items()):
    v = r.get_tensor(k)
    print(k, s, v.dtype, v.tobytes().hex())
w = tf.Variable(tf.zeros([2, 3]), name="layer/w")
b = tf.Variable(tf.zeros([3], tf.float64), name="b")
n = tf.Variable(tf.zeros([2, 2], tf.int32), name="n")
l = tf.Variable(tf.zeros([], tf.int64), name="step")
f = tf.Variable(tf.zeros([2], tf.bool), name="flags")
with tf.Session() as sess:
    tf.train.Saver().restore(sess, p)
    for v in sess.run([b, f, w, n, l]):
        print(np.asarray(v).tobytes().hex())
"#,
        p = prefix.display().to_string()
    );
    let got = run_python(&py, &script);
    let hex =
        |v: &Value| flowbench::formats::bundle::value_bytes(v).iter().map(|x| format!("{x:02x}")).collect::<String>();
    let want = format!(
        "b [3] float64 {}\nflags [2] bool {}\nlayer/w [2, 3] float32 {}\nn [2, 2] int32 {}\nstep [] int64 {}\n{}\n{}\n{}\n{}\n{}\n",
        hex(&b),
        hex(&f),
        hex(&w),
        hex(&n),
        hex(&l),
        hex(&b),
        hex(&f),
        hex(&w),
        hex(&n),
        hex(&l)
    );
    assert_eq!(got, want);
}

#[test]
fn flowbench_reads_what_tf_writes_now() {
    let Some(py) = python() else { return };
    let dir = temp_dir("ckpt-tf-write");
    let script = format!(
        r#"
import os
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
d = {d:?}
a = tf.Variable(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), name="dense/kernel")
c = tf.Variable(np.array([5, 6], np.int64), name="count")
saver = tf.train.Saver(max_to_keep=2, save_relative_paths=True)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in (1, 2, 3):
        saver.save(sess, os.path.join(d, "model.ckpt"), global_step=step, write_meta_graph=False)
print(sorted(os.listdir(d)))
"#,
        d = dir.display().to_string()
    );
    let listing = run_python(&py, &script);
    assert_eq!(
        listing,
        "['checkpoint', 'model.ckpt-2.data-00000-of-00001', 'model.ckpt-2.index', 'model.ckpt-3.data-00000-of-00001', 'model.ckpt-3.index']\n"
    );
    // The same state file flowbench's saver writes for the same saves.
    assert_eq!(
        std::fs::read_to_string(dir.join("checkpoint")).unwrap(),
        "model_checkpoint_path: \"model.ckpt-3\"\nall_model_checkpoint_paths: \"model.ckpt-2\"\nall_model_checkpoint_paths: \"model.ckpt-3\"\n"
    );
    let latest = flowbench::formats::state::latest_checkpoint(&dir).unwrap().unwrap();
    let r = BundleReader::open(&latest).unwrap();
    let k = r.get("dense/kernel").unwrap();
    assert_eq!(k.shape(), [3, 4]);
    let want: Vec<f64> = (0..12).map(|i| (-1.0 + 2.0 * i as f64 / 11.0) as f32 as f64).collect();
    assert_eq!(k.to_f64_vec(), want);
    assert_eq!(r.get("count").unwrap().to_f64_vec(), [5.0, 6.0]);
    // And flowbench's writer gives TF's bytes for these variables too.
    let again = dir.join("again");
    let c = r.get("count").unwrap();
    write_bundle(&again, &[("dense/kernel".into(), &k), ("count".into(), &c)]).unwrap();
    for suffix in [".index", ".data-00000-of-00001"] {
        let ours = std::fs::read(format!("{}{suffix}", again.display())).unwrap();
        let tfs = std::fs::read(format!("{}{suffix}", latest.display())).unwrap();
        assert_eq!(ours, tfs, "{suffix}");
    }
    let _ = root();
}

#[test]
fn tf_imports_the_meta_graph_and_restores_the_checkpoint() {
    use flowbench::engine::graph::op::Op;
    use flowbench::engine::{ConfigProto, NodeId, Session};
    use flowbench::formats::saver::{Saver, VarList};
    let Some(py) = python() else { return };
    let dir = temp_dir("ckpt-tf-meta");
    let p = flowbench::project::Project::load(&root().join("assets/examples/3_4_3_forward.json")).unwrap();
    let g = flowbench::project::lower::lower_strict(&p.graphs[0], None).unwrap();
    let inits: Vec<NodeId> = g
        .nodes()
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(n.op, Op::Assign { initializer: true }))
        .map(|(i, _)| NodeId(i))
        .collect();
    let mut s = Session::new(&g, ConfigProto::default());
    s.run(&g, &[], &[], &inits).unwrap();
    let out = g.tensor("MatMul_1:0").unwrap();
    let y = s.run(&g, &[out], &[], &[]).unwrap().values.remove(0);
    let prefix = dir.join("model.ckpt");
    Saver::new(&g, &VarList::All, 5).unwrap().save(&s, &prefix, None, Some(&g)).unwrap();
    let script = format!(
        r#"
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
tf.train.import_meta_graph({p:?} + ".meta")
g = tf.get_default_graph()
vars = {{op.name: op.outputs[0] for op in g.get_operations() if op.type == "VariableV2"}}
with tf.Session() as sess:
    tf.train.Saver(vars).restore(sess, {p:?})
    print(np.asarray(sess.run("MatMul_1:0")).tobytes().hex())
"#,
        p = prefix.display().to_string()
    );
    let got = run_python(&py, &script);
    let want: String = flowbench::formats::bundle::value_bytes(&y).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(got, want + "\n");
}

/// The `.meta` flowbench's `Saver` writes gives `tf.train.import_meta_graph` a working saver:
/// it restores flowbench's checkpoint (same bytes), and what it saves flowbench reads back.
#[test]
fn import_meta_graph_returns_a_working_saver() {
    use flowbench::engine::graph::op::Op;
    use flowbench::engine::{ConfigProto, NodeId, Session};
    use flowbench::formats::saver::{Saver, VarList};
    let Some(py) = python() else { return };
    let dir = temp_dir("ckpt-tf-meta-saver");
    let p = flowbench::project::Project::load(&root().join("assets/examples/3_4_5_training.json")).unwrap();
    let g = flowbench::project::lower::lower_strict(&p.graphs[0], None).unwrap();
    let inits: Vec<NodeId> = g
        .nodes()
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(n.op, Op::Assign { initializer: true }))
        .map(|(i, _)| NodeId(i))
        .collect();
    let mut s = Session::new(&g, ConfigProto::default());
    s.run(&g, &[], &[], &inits).unwrap();
    let prefix = dir.join("model.ckpt");
    Saver::new(&g, &VarList::All, 5).unwrap().save(&s, &prefix, None, Some(&g)).unwrap();
    let script = format!(
        r#"
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
saver = tf.train.import_meta_graph({p:?} + ".meta")
with tf.Session() as sess:
    saver.restore(sess, {p:?})
    for v in sorted(tf.global_variables(), key=lambda v: v.op.name):
        print(v.op.name, np.asarray(sess.run(v)).tobytes().hex())
    print(len(tf.trainable_variables()))
    saver.save(sess, {q:?})
"#,
        p = prefix.display().to_string(),
        q = dir.join("again.ckpt").display().to_string()
    );
    let got = run_python(&py, &script);
    let reader = BundleReader::open(&prefix).unwrap();
    let mut want = String::new();
    for t in reader.tensors() {
        let hex: String = flowbench::formats::bundle::value_bytes(&reader.get(&t.name).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        want.push_str(&format!("{} {hex}\n", t.name));
    }
    want.push_str("2\n");
    assert_eq!(got, want);
    let again = BundleReader::open(&dir.join("again.ckpt")).unwrap();
    for t in reader.tensors() {
        assert_eq!(again.get(&t.name).unwrap(), reader.get(&t.name).unwrap(), "{}", t.name);
    }
}
