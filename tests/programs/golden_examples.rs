//! Golden tests: `flowbench run` on every bundled example prints exactly what TensorFlow printed
//! for the seed program it reproduces (`tests/golden/*.out`, from real TF 2.21 `compat.v1`; the
//! runtime-only `_Retval` placement lines are left out).

use std::path::{Path, PathBuf};
use std::process::Command;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn run_example(name: &str) -> (String, String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_flowbench"))
        .arg("run")
        .arg(examples_dir().join(format!("{name}.json")))
        .output()
        .expect("the flowbench binary runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

fn check(name: &str) {
    let expected = std::fs::read_to_string(golden_dir().join(format!("{name}.out"))).expect("golden file exists");
    let (stdout, stderr, ok) = run_example(name);
    assert!(ok, "{name} failed: {stderr}");
    assert_eq!(stdout, expected, "{name}: output differs from TensorFlow's");
}

#[test]
fn default_graph_3_1() {
    check("3_1_default_graph");
}

#[test]
fn two_graphs_3_1() {
    check("3_1_two_graphs");
}

#[test]
fn device_scope_3_1() {
    check("3_1_device");
}

#[test]
fn tensors_3_2() {
    check("3_2_tensors");
}

#[test]
fn sessions_3_3() {
    check("3_3_sessions");
}

#[test]
fn forward_3_4_3() {
    check("3_4_3_forward");
}

#[test]
fn placeholder_3_4_4() {
    check("3_4_4_placeholder");
}

#[test]
fn custom_loss_4_2_2() {
    check("4_2_2_custom_loss");
}

/// Its layers are `elu(matmul(x, w) + b)`, which TF runs as oneDNN's fused inner product (see
/// `engine::runtime::remap`), and its loss an `AddN` summed in grappler's input order.
#[test]
fn l2_regularization_4_4_2() {
    check("4_4_2_l2_regularization");
}

#[test]
fn moving_average_4_4_3() {
    check("4_4_3_moving_average");
}

#[test]
fn learning_rate_decay_4_4_1() {
    check("4_4_1_learning_rate_decay");
}

/// All 3000 steps of the chapter's MNIST program on the bundled digits (about 25 s of CPU in a
/// debug build: the kernels are optimised there too, see `crates/flowbench-math`).
#[test]
fn mnist_5_2_1() {
    check("5_2_1_mnist");
}

#[test]
fn debug_log_of_zero_prints_nan_weights_as_tf_does() {
    check("debug_log_of_zero");
}

#[test]
fn every_example_has_a_golden_output_and_checks() {
    for entry in std::fs::read_dir(examples_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        assert!(golden_dir().join(format!("{stem}.out")).exists(), "{stem} has no golden output");
        let out = Command::new(env!("CARGO_BIN_EXE_flowbench")).arg("check").arg(&path).output().unwrap();
        assert!(out.status.success(), "{stem}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn errors_exit_non_zero_with_class_and_message() {
    let dir = std::env::temp_dir().join(format!("flowbench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_flowbench")).arg("check").arg(&bad).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid flowbench project"));

    let missing_feed = std::fs::read_to_string(examples_dir().join("3_4_4_placeholder.json"))
        .unwrap()
        .replace(r#", "feeds": [{ "tensor": "input:0", "value": [[0.7, 0.9]] }]"#, "");
    let p = dir.join("missing_feed.json");
    std::fs::write(&p, missing_feed).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_flowbench")).arg("run").arg(&p).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("InvalidArgumentError: You must feed a value for placeholder tensor 'input' with dtype float and shape [1,2]"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn saver_5_4() {
    check("5_4_saver");
}
