//! Helpers shared by the test binaries: the crate's root, fresh temporary folders, golden files
//! and the `flowbench` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The crate's root folder (where `assets/` and `tests/` are).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A new, empty temporary folder for one test (unique across the tests of a binary).
pub fn temp_dir(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("flowbench-test-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The text of a golden file under `tests/golden/`.
pub fn golden(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/golden").join(name)).unwrap()
}

/// Runs the `flowbench` binary with these arguments.
pub fn flowbench(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowbench")).args(args).output().unwrap()
}

/// Compares a training program's output with its golden file: every line up to `exact_lines`
/// (the initial weights and the logged losses) to the byte, the trained weights after them to
/// 2e-6 relative. TF's own trained weights change in the last digits from one CPU vendor to
/// another (its `Reciprocal`, used by `Log`'s gradient, is the CPU's `rcpps` estimate), and the
/// golden files come from another machine; on one CPU, flowbench and TF agree bit for bit.
pub fn assert_trained_output(got: &str, want: &str, exact_lines: usize) {
    let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    assert_eq!(g.len(), w.len(), "line count differs:\n{got}");
    assert_eq!(g[..exact_lines], w[..exact_lines], "{got}");
    let nums = |s: &[&str]| -> Vec<f64> {
        s.join(" ").replace(['[', ']'], " ").split_whitespace().map(|t| t.parse::<f64>().unwrap()).collect()
    };
    let (gn, wn) = (nums(&g[exact_lines..]), nums(&w[exact_lines..]));
    assert_eq!(gn.len(), wn.len(), "{got}");
    for (a, b) in gn.iter().zip(&wn) {
        assert!((a - b).abs() <= 2e-6 * (1.0 + b.abs()), "trained weight {a} vs TF's {b}\n{got}");
    }
}
