//! The TensorFlow script export: the text written for every bundled example equals its golden
//! file (`tests/golden/export/<name>.py`; `UPDATE_GOLDEN=1` rewrites them after a deliberate
//! change), and ops with no TF equivalent are reported by name.

use crate::common::root;
use flowbench::export::python::export;
use flowbench::export::{ExportOptions, Unsupported};
use flowbench::project::Project;
use std::path::{Path, PathBuf};
use std::process::Command;

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("assets/examples"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

fn export_of(path: &Path) -> flowbench::export::Export {
    let project = Project::load(path).unwrap();
    // Written as the golden file: a data folder (5_2_1_mnist's digits) is read relative to it.
    let opts = ExportOptions {
        project_dir: Some(root().join("assets/examples")),
        script_dir: Some(root().join("tests/golden/export")),
        ..Default::default()
    };
    export(&project, &opts).unwrap()
}

#[test]
fn every_example_exports_to_its_golden_script() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failed = Vec::new();
    for path in examples() {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let ex = export_of(&path);
        assert!(ex.unsupported.is_empty(), "{stem}: {:?}", ex.unsupported);
        let golden = root().join(format!("tests/golden/export/{stem}.py"));
        if update {
            std::fs::write(&golden, &ex.text).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_else(|_| panic!("{} is missing", golden.display()));
        if want != ex.text {
            failed.push(stem);
        }
    }
    assert!(
        failed.is_empty(),
        "the export differs from tests/golden/export for {failed:?} (UPDATE_GOLDEN=1 rewrites them)"
    );
}

#[test]
fn scripts_keep_names_and_build_the_optimizer_once() {
    let ex = export_of(&root().join("assets/examples/3_4_5_training.json"));
    let t = &ex.text;
    assert!(t.contains("import tensorflow.compat.v1 as tf\n"));
    assert!(t.contains("tf.disable_v2_behavior()\n"));
    assert!(t.contains("tf.placeholder(tf.float32, shape=(None, 2), name=\"x-input\")"));
    assert!(
        t.contains("tf.random_normal([2, 3], mean=0.0, stddev=1.0, dtype=tf.float32, seed=1, name=\"random_normal\")")
    );
    assert!(t.contains("tf.Variable(random_normal, name=\"Variable\")"));
    assert_eq!(t.matches(".minimize(").count(), 1);
    assert!(t.contains("tf.train.AdamOptimizer(learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8)"));
    assert!(!t.contains("gradients/"), "gradient ops are built by minimize(), not written out");
    assert!(t.contains("np.random.RandomState(1).rand(128, 2)"));
    assert!(t.contains("print(\"After %d training step(s), cross entropy on all data is %g\" % (i, loss_value))"));
    let sessions = export_of(&root().join("assets/examples/3_3_sessions.json")).text;
    assert!(sessions.contains("tf.ConfigProto(allow_soft_placement=True, log_device_placement=True)"));
    assert!(sessions.contains("except Exception as e:\n    print(error_line(e))"));
    let two = export_of(&root().join("assets/examples/3_1_two_graphs.json")).text;
    assert!(two.contains("g1 = tf.Graph()\nwith g1.as_default():\n"));
    assert!(two.contains("tf.Variable(lambda: tf.fill([1], np.float32(0.0), name=\"zeros\"), name=\"v\")"));
    assert!(two.contains("sess = tf.Session(graph=g1)"));
}

const GRADIENT_ONLY: &str = r#"{
  "format_version": 1, "name": "grads", "default_graph": "main",
  "graphs": [{"name": "main", "nodes": [
    {"name": "x", "op": "Const", "value": {"dtype": "float32", "data": [1.0, 2.0]}},
    {"name": "y", "op": "Const", "value": {"dtype": "float32", "data": [3.0]}},
    {"name": "g", "op": "SumToShape", "inputs": ["x:0", "y:0"]},
    {"name": "h", "op": "Unary", "kind": "Neg", "inputs": ["g:0"]}
  ]}],
  "script": [{"step": "run", "fetches": ["x:0"], "print": true}]
}"#;

#[test]
fn ops_without_tf_equivalent_are_reported_by_name() {
    let project = Project::from_json_str(GRADIENT_ONLY).unwrap();
    let ex = export(&project, &ExportOptions::default()).unwrap();
    assert_eq!(ex.unsupported.len(), 1, "{:?}", ex.unsupported);
    let Unsupported { what, .. } = &ex.unsupported[0];
    assert_eq!(what, "graph 'main', node 'g' (SumToShape)");
    assert!(ex.text.contains("# unsupported: graph 'main', node 'g' (SumToShape): "));
    // The node that uses it still refers to it by name, so TF fails loudly rather than silently.
    assert!(ex.text.contains("main.get_tensor_by_name(\"g:0\")"));

    // The CLI refuses to write the script unless asked.
    let dir = std::env::temp_dir().join(format!("flowbench-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("grads.json");
    std::fs::write(&p, GRADIENT_ONLY).unwrap();
    let out_py = dir.join("grads.py");
    let bin = env!("CARGO_BIN_EXE_flowbench");
    let out = Command::new(bin).args(["export"]).arg(&p).arg("-o").arg(&out_py).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unsupported: graph 'main', node 'g' (SumToShape)"), "{err}");
    assert!(!out_py.exists());
    let out = Command::new(bin)
        .args(["export", "--format", "python", "--allow-unsupported"])
        .arg(&p)
        .arg("-o")
        .arg(&out_py)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(std::fs::read_to_string(&out_py).unwrap().contains("# unsupported:"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_export_writes_stdout_or_a_file() {
    let ex = root().join("assets/examples/3_4_3_forward.json");
    let out = Command::new(env!("CARGO_BIN_EXE_flowbench")).arg("export").arg(&ex).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let want = std::fs::read_to_string(root().join("tests/golden/export/3_4_3_forward.py")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
}
