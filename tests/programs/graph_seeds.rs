//! A project with a graph-level seed (`tests/data/graph_seed/graph_seed.json`): `flowbench run`
//! prints what real TF printed for the same program (`graph_seed.out`), and the export writes
//! `tf.set_random_seed` with the unseeded ops in the same order and no `seed=`, so TF derives the
//! same attrs (checked under TF with `FLOWBENCH_TF_PYTHON`).

use crate::common::{flowbench, root};
use flowbench::export::ExportOptions;
use flowbench::export::python::export;
use flowbench::project::Project;
use std::process::Command;

fn project_path() -> std::path::PathBuf {
    root().join("tests/data/graph_seed/graph_seed.json")
}

fn want() -> String {
    std::fs::read_to_string(root().join("tests/data/graph_seed/graph_seed.out")).unwrap()
}

#[test]
fn a_graph_seed_draws_what_tf_draws() {
    let out = flowbench(&["run".as_ref(), project_path().as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), want());
}

fn exported() -> String {
    let project = Project::load(&project_path()).unwrap();
    export(&project, &ExportOptions::default()).unwrap().text
}

#[test]
fn the_export_sets_the_graph_seed_and_lets_tf_derive_the_op_seeds() {
    let t = exported();
    assert!(t.contains("tf.set_random_seed(1)\n"), "{t}");
    assert!(
        t.contains("tf.truncated_normal([3, 4], mean=0.0, stddev=0.1, dtype=tf.float32, name=\"truncated_normal\")")
    );
    assert!(
        t.contains("tf.random_normal([2], mean=0.0, stddev=1.0, dtype=tf.float32, seed=7, name=\"random_normal\")")
    );
    assert!(t.contains("tf.random_uniform([3], minval=-1.0, maxval=1.0, dtype=tf.float32, name=\"random_uniform\")"));
}

#[test]
fn the_exported_graph_seed_program_prints_the_same_under_tensorflow() {
    let Some(python) = std::env::var_os("FLOWBENCH_TF_PYTHON") else {
        println!("skipped: set FLOWBENCH_TF_PYTHON=/path/to/python (a Python with tensorflow)");
        return;
    };
    let dir = crate::common::temp_dir("graph-seed-tf");
    let script = dir.join("graph_seed.py");
    std::fs::write(&script, exported()).unwrap();
    let out = Command::new(python).arg(&script).env("TF_CPP_MIN_LOG_LEVEL", "3").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), want());
}
