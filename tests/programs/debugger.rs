//! `flowbench debug`: the ops of a run printed in order, and the stop at the first inf/NaN, at a
//! node, or after a training step, named with its op and step (`tests/golden/debug/*.out`;
//! `UPDATE_GOLDEN=1` rewrites them after a deliberate change).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn debug(args: &[&str]) -> (String, String, bool) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_flowbench")).arg("debug").args(args).current_dir(root()).output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

#[test]
fn log_of_zero_stops_at_the_first_non_finite_value_with_its_op_and_step() {
    let (stdout, stderr, ok) = debug(&["assets/examples/debug_log_of_zero.json", "--until", "has_inf_or_nan"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("step 1: first non-finite value at Log_1:0 (Log), input sub_1:0 min 0\n"), "{stdout}");
    let golden = root().join("tests/golden/debug/debug_log_of_zero.out");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &stdout).unwrap();
    }
    assert_eq!(stdout, std::fs::read_to_string(golden).unwrap());
    // The rest of the script (the weights printed after training) is not run.
    assert!(!stdout.contains("nan nan"), "{stdout}");
}

#[test]
fn the_clipped_program_runs_to_its_end_without_a_stop() {
    let (stdout, stderr, ok) = debug(&["assets/examples/3_4_3_forward.json", "--until", "has_inf_or_nan"]);
    assert!(ok, "{stderr}");
    assert!(stdout.ends_with("no stop: the script ran to its end\n"), "{stdout}");
    // Every op of a plain run is printed with its shape, dtype and min/mean/max.
    assert!(stdout.contains("run 1: "), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("  MatMul:0 (MatMul) -> (1, 3) float32 min ")), "{stdout}");
}

#[test]
fn until_node_and_step_stop_inside_the_asked_training_step() {
    let (stdout, stderr, ok) =
        debug(&["assets/examples/3_4_5_training.json", "--until-node", "gradients/Log_grad/mul", "--step", "3"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("step 3: the ops run in this step\n"), "{stdout}");
    assert!(stdout.ends_with("step 3: stopped at gradients/Log_grad/mul (Mul)\n"), "{stdout}");
    // Only the ops up to the stop are printed, the forward pass first.
    let ops: Vec<&str> = stdout.lines().skip_while(|l| !l.starts_with("step 3:")).collect();
    let at = |name: &str| ops.iter().position(|l| l.starts_with(&format!("  {name}:0 "))).unwrap();
    assert!(at("Sigmoid") < at("Log") && at("Log") < at("gradients/Log_grad/mul"), "{stdout}");
    assert!(!stdout.contains("ApplyAdam"), "{stdout}");

    let (stdout, _, ok) = debug(&["assets/examples/3_4_5_training.json", "--step", "0"]);
    assert!(ok);
    assert!(stdout.contains("  Adam/update_Variable/ApplyAdam:0 (ApplyAdam) -> (2, 3) float32 min "), "{stdout}");
    assert!(stdout.ends_with("  Adam (NoOp)\nstep 0: stopped after the step\n"), "{stdout}");
}

#[test]
fn an_unknown_node_is_refused_with_tf_words() {
    let (_, stderr, ok) = debug(&["assets/examples/3_4_5_training.json", "--until-node", "nope"]);
    assert!(!ok);
    assert!(stderr.contains("ValueError: No op named 'nope' in the project's graphs."), "{stderr}");
    let (_, stderr, ok) =
        debug(&["assets/examples/3_4_5_training.json", "--until", "has_inf_or_nan", "--until-node", "Log"]);
    assert!(!ok && stderr.contains("cannot be used with"), "{stderr}");
}

#[test]
fn all_zeros_and_larger_than_stop_at_the_first_op_that_matches() {
    // The init run fills Adam's first slot with zeros.
    let (stdout, stderr, ok) = debug(&["assets/examples/3_4_5_training.json", "--until", "all_zeros"]);
    assert!(ok, "{stderr}");
    assert!(stdout.ends_with("run 1: first all-zero value at Variable/Adam/Initializer/zeros:0 (Fill)\n"), "{stdout}");
    // In training step 0, 1/(1-y) is the first value over 5 (the gradient of log(1 - y)).
    let (stdout, stderr, ok) =
        debug(&["assets/examples/3_4_5_training.json", "--until", "larger_than", "--threshold", "5", "--step", "0"]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.ends_with(
            "step 0: first value larger than 5 in magnitude at gradients/Log_1_grad/Reciprocal:0 (Reciprocal): \
             (8, 1) float32 min 2.8605108 mean 9.06824 max 16.751152\n"
        ),
        "{stdout}"
    );
    let (_, stderr, ok) = debug(&["assets/examples/3_4_5_training.json", "--until", "larger_than"]);
    assert!(!ok && stderr.contains("--until larger_than needs --threshold X"), "{stderr}");
}
