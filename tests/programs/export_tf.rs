//! Runs the exported TensorFlow script of every bundled example under real TensorFlow and checks
//! it prints what `flowbench run` prints. Needs a Python with TensorFlow 2.x: set
//! `FLOWBENCH_TF_PYTHON=/path/to/python`; without it the test is skipped with a printed reason.
//!
//! What is compared: TF's stdout (run unbuffered, so TF's placement log interleaves as it
//! happens) against `flowbench run`'s output, without the `_Retval` placement lines TF 2.x's
//! runtime adds (they are not graph nodes; see `tests/golden`). Numbers printed after a training
//! loop may differ in the last printed digit (relative 1e-6): TF's own trained weights differ
//! between machines (its multi-threaded reductions sum in an order that depends on the thread
//! count), and flowbench's differ from TF's by as much (see `tests/training.rs`). Everything
//! else, the loss lines included, must be equal.

use crate::common::root;
use flowbench::export::ExportOptions;
use flowbench::export::python::export;
use flowbench::project::Project;
use std::path::PathBuf;
use std::process::Command;

fn numbers(line: &str) -> Option<Vec<f64>> {
    let t = line.replace(['[', ']'], " ");
    let v: Result<Vec<f64>, _> = t.split_whitespace().map(str::parse::<f64>).collect();
    v.ok().filter(|v| !v.is_empty())
}

fn same(flowbench: &str, tf: &str, trained: bool) -> Result<(), String> {
    let fb: Vec<&str> = flowbench.lines().collect();
    let tfl: Vec<&str> = tf.lines().filter(|l| !l.starts_with("_retval_")).collect();
    if fb.len() != tfl.len() {
        return Err(format!("{} lines from flowbench, {} from TF", fb.len(), tfl.len()));
    }
    let mut after_training = false;
    for (a, b) in fb.iter().zip(&tfl) {
        if a.starts_with("After ") {
            after_training = true;
        }
        if a == b {
            continue;
        }
        let close = trained
            && after_training
            && match (numbers(a), numbers(b)) {
                (Some(x), Some(y)) => {
                    x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| (p - q).abs() <= 1e-6 * (1.0 + q.abs()))
                }
                _ => false,
            };
        if !close {
            return Err(format!("flowbench: {a}\n       TF: {b}"));
        }
    }
    Ok(())
}

#[test]
fn exported_scripts_print_what_flowbench_prints_under_tensorflow() {
    let Some(python) = std::env::var_os("FLOWBENCH_TF_PYTHON") else {
        println!(
            "skipped: set FLOWBENCH_TF_PYTHON=/path/to/python (a Python with tensorflow) to run the exports under TF"
        );
        return;
    };
    let dir = std::env::temp_dir().join(format!("flowbench-export-tf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("assets/examples"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut failures = Vec::new();
    for path in &paths {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let project = Project::load(path).unwrap();
        let opts = ExportOptions { project_dir: Some(root().join("assets/examples")), ..Default::default() };
        let ex = export(&project, &opts).unwrap();
        let script = dir.join(format!("{stem}.py"));
        std::fs::write(&script, &ex.text).unwrap();
        let fb = Command::new(env!("CARGO_BIN_EXE_flowbench")).arg("run").arg(path).output().unwrap();
        assert!(fb.status.success(), "{stem}: flowbench run failed");
        let tf = Command::new(&python)
            .arg("-u")
            .arg(&script)
            .env("TF_CPP_MIN_LOG_LEVEL", "1")
            .output()
            .expect("the TF python runs");
        let tf_out = String::from_utf8_lossy(&tf.stdout).to_string();
        if !tf.status.success() {
            failures.push(format!("{stem}: TF failed:\n{}", String::from_utf8_lossy(&tf.stderr)));
            continue;
        }
        let trained = project.script.iter().any(|s| matches!(s, flowbench::project::Step::TrainLoop { .. }));
        match same(&String::from_utf8_lossy(&fb.stdout), &tf_out, trained) {
            Ok(()) => println!("{stem}: TF prints what flowbench prints"),
            Err(e) => failures.push(format!("{stem}:\n{e}")),
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
