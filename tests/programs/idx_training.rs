//! Training on IDX files with `next_batch`, end to end: a 64-30-10 relu net on the bundled digits
//! (a copy of `assets/examples/digits` beside the fixture, read as `input_data.read_data_sets(one_hot=True,
//! validation_size=200)`), its weights drawn under a graph seed, batches from
//! `next_batch(100)` after `np.random.seed(0)`, the validation loss printed every 50 steps.
//! `flowbench run` prints what real TF printed for the exported script
//! (`tests/data/idx_training/idx_training.out`; `FLOWBENCH_TF_PYTHON` runs it under TF, and with
//! `UPDATE_GOLDEN=1` rewrites the file from TF's output).

use crate::common::{root, temp_dir};
use flowbench::engine::autodiff::optimizers::{Optimizer, minimize};
use flowbench::engine::graph::elementwise::{BinaryOp, ReduceOp, UnaryOp};
use flowbench::engine::graph::op::Op;
use flowbench::engine::graph::{Graph, NodeSpec};
use flowbench::engine::{DType, Shape};
use flowbench::export::ExportOptions;
use flowbench::export::python::export;
use flowbench::interpreter::{ScriptOutput, run_script};
use flowbench::project::{BaseDir, Project, graph_def_from};
use serde_json::json;
use std::collections::HashMap;
use std::process::Command;

fn project() -> Project {
    let mut g = Graph::new();
    g.seed = Some(1);
    let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(64)]), Some("x-input")).unwrap();
    let y_ = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(10)]), Some("y-input")).unwrap();
    let t1 = g.truncated_normal(&[64, 30], 0.0, 0.1, None, DType::Float32, None).unwrap();
    let w1 = g.variable(t1, None).unwrap();
    let c1 = g.fill(DType::Float32, &[30], 0.1, Some("Const")).unwrap();
    let b1 = g.variable(c1, None).unwrap();
    let t2 = g.truncated_normal(&[30, 10], 0.0, 0.1, None, DType::Float32, None).unwrap();
    let w2 = g.variable(t2, None).unwrap();
    let c2 = g.fill(DType::Float32, &[10], 0.1, Some("Const_1")).unwrap();
    let b2 = g.variable(c2, None).unwrap();
    let m1 = g.matmul(x, w1, None).unwrap();
    let a1 = g.binary(BinaryOp::Add, m1, b1, None).unwrap();
    let h = g.unary(UnaryOp::Relu, a1, None).unwrap();
    let m2 = g.matmul(h, w2, None).unwrap();
    let y = g.binary(BinaryOp::Add, m2, b2, None).unwrap();
    let xent = g.add(None, NodeSpec::new(Op::SoftmaxCrossEntropyWithLogits, vec![y_, y])).unwrap().out();
    let loss = g.reduce(ReduceOp::Mean, xent, None, false, None).unwrap();
    let train = minimize(&mut g, &Optimizer::GradientDescent { learning_rate: 0.5 }, loss, None).unwrap().train_op;
    g.global_variables_initializer().unwrap();
    let gd = graph_def_from("default", &g, &HashMap::new());
    let loss_name = g.tensor_name(loss);
    let train_name = g.node(train).unwrap().name.clone();
    let p = json!({
        "format_version": 1,
        "name": "Digits with next_batch",
        "description": "A 64-30-10 relu net on the bundled digits, trained with next_batch(100) after np.random.seed(0) under tf.set_random_seed(1).",
        "graphs": [gd],
        "default_graph": "default",
        "datasets": [{"name": "digits", "source": {"kind": "idx", "dir": "digits", "one_hot": true, "validation_size": 200}}],
        "script": [
            {"step": "open_session", "id": "sess"},
            {"step": "enter_default", "session": "sess"},
            {"step": "run", "session": "sess", "targets": ["init"]},
            {"step": "train_loop", "session": "sess", "dataset": "digits",
             "feeds": [{"tensor": "x-input:0", "columns": ["images"]}, {"tensor": "y-input:0", "columns": ["labels"]}],
             "train_op": train_name, "batch_loss": loss_name, "steps": 301, "batch_size": 100,
             "batching": {"next_batch": {"numpy_seed": 0}},
             "log": {"every": 50, "loss": loss_name, "format": "After %d training step(s), validation loss %g", "split": "validation"}},
            {"step": "exit_default"},
            {"step": "close_session", "session": "sess"}
        ]
    });
    let mut project = Project::from_json_str(&p.to_string()).unwrap();
    project.base_dir = BaseDir(Some(fixture_path().parent().unwrap().to_path_buf()));
    project
}

fn fixture_path() -> std::path::PathBuf {
    root().join("tests/data/idx_training/idx_training.json")
}

/// The project as a file (`tests/data/idx_training/idx_training.json`, which the window's tests
/// open): the one built here, saved (`UPDATE_GOLDEN=1` rewrites it).
#[test]
fn the_fixture_file_is_this_project() {
    let built = project();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        built.save(&fixture_path()).unwrap();
    }
    let saved = Project::load(&fixture_path()).unwrap();
    assert_eq!(saved.to_json_string(), built.to_json_string());
}

fn flowbench_output(project: &Project) -> String {
    let mut text = String::new();
    run_script(project, &mut |o| {
        if let ScriptOutput::Text(t) = o {
            text.push_str(&t);
        }
    })
    .unwrap();
    text
}

fn golden_path() -> std::path::PathBuf {
    root().join("tests/data/idx_training/idx_training.out")
}

#[test]
fn training_on_idx_files_with_next_batch_prints_what_tf_prints() {
    let project = project();
    project.validate().unwrap();
    let got = flowbench_output(&project);
    let want = std::fs::read_to_string(golden_path()).unwrap();
    // Bit for bit with TF on the machine that recorded it: every printed digit.
    assert_eq!(got, want);
}

#[test]
fn idx_feeds_are_checked_by_field() {
    let mut project = project();
    if let Some(flowbench::project::Step::TrainLoop { feeds, .. }) = project.script.get_mut(3) {
        feeds[0].columns = vec!["pixels".to_string()];
    }
    let e = project.validate().unwrap_err().to_string();
    assert!(e.contains("script step 4: feeds[0].columns: dataset 'digits' holds IDX images"), "{e}");
}

#[test]
fn the_exported_idx_training_prints_the_same_under_tensorflow() {
    let Some(python) = std::env::var_os("FLOWBENCH_TF_PYTHON") else {
        println!("skipped: set FLOWBENCH_TF_PYTHON=/path/to/python (a Python with tensorflow)");
        return;
    };
    let project = project();
    let dir = temp_dir("idx-training-tf");
    let opts = ExportOptions {
        project_dir: fixture_path().parent().map(Into::into),
        script_dir: Some(dir.clone()),
        ..Default::default()
    };
    let ex = export(&project, &opts).unwrap();
    assert!(ex.unsupported.is_empty(), "{:?}", ex.unsupported);
    let script = dir.join("idx_training.py");
    std::fs::write(&script, &ex.text).unwrap();
    let out = Command::new(python).arg(&script).env("TF_CPP_MIN_LOG_LEVEL", "3").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tf = String::from_utf8_lossy(&out.stdout).to_string();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_path().parent().unwrap()).unwrap();
        std::fs::write(golden_path(), &tf).unwrap();
    }
    same_losses(&flowbench_output(&project), &tf);
}

/// The same lines; the losses equal as printed (6 digits) or, after training has gone on, within
/// 2e-6 relative (TF's own trained weights differ in the last digits between CPUs, see
/// `assert_trained_output`).
fn same_losses(got: &str, want: &str) {
    let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    assert_eq!(g.len(), w.len(), "line count differs:\n{got}");
    for (a, b) in g.iter().zip(&w) {
        if a == b {
            continue;
        }
        let (pa, pb) = (a.rsplit_once(' ').unwrap(), b.rsplit_once(' ').unwrap());
        let (x, y): (f64, f64) = (pa.1.parse().unwrap(), pb.1.parse().unwrap());
        assert!(pa.0 == pb.0 && (x - y).abs() <= 2e-6 * (1.0 + y.abs()), "flowbench: {a}\n       TF: {b}\n{got}");
    }
}

/// The seed's 3.4.5 program with its batches drawn by `next_batch` (a table dataset) after
/// `np.random.seed(1)`.
fn seed_with_next_batch() -> Project {
    let mut p = Project::load(&root().join("assets/examples/3_4_5_training.json")).unwrap();
    for st in &mut p.script {
        if let flowbench::project::Step::TrainLoop { batching, .. } = st {
            *batching = flowbench::train::Batching::NextBatch { numpy_seed: Some(1), shuffle: true };
        }
    }
    p
}

#[test]
fn a_table_dataset_batches_with_next_batch() {
    let got = flowbench_output(&seed_with_next_batch());
    let cyclic = flowbench_output(&Project::load(&root().join("assets/examples/3_4_5_training.json")).unwrap());
    let (g, c): (Vec<&str>, Vec<&str>) = (got.lines().collect(), cyclic.lines().collect());
    assert_eq!(g.len(), c.len());
    // The same initial weights, then other batches: other losses.
    assert_eq!(g[..5], c[..5]);
    assert_ne!(g[6..], c[6..]);
}

#[test]
fn the_exported_next_batch_seed_program_prints_the_same_under_tensorflow() {
    let Some(python) = std::env::var_os("FLOWBENCH_TF_PYTHON") else {
        println!("skipped: set FLOWBENCH_TF_PYTHON=/path/to/python (a Python with tensorflow)");
        return;
    };
    let project = seed_with_next_batch();
    let dir = temp_dir("next-batch-seed-tf");
    let ex = export(&project, &ExportOptions::default()).unwrap();
    assert!(ex.text.contains("np.random.seed(1)\n") && ex.text.contains(".next_batch(8)"), "{}", ex.text);
    let script = dir.join("seed_next_batch.py");
    std::fs::write(&script, &ex.text).unwrap();
    let out = Command::new(python).arg(&script).env("TF_CPP_MIN_LOG_LEVEL", "3").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    crate::common::assert_trained_output(&flowbench_output(&project), &String::from_utf8_lossy(&out.stdout), 10);
}
