//! TF1 Python programs run directly (`flowbench run PROGRAM.py`): the seed's programs and the
//! book's chapter-4/5 programs whose ops exist (`tests/data/python/`, copies of the reference
//! programs) print TF's golden output byte for byte, the training one the same as its bundled
//! project; errors are Python's or clear refusals, with the line and column.

use crate::common::{assert_trained_output, flowbench, golden, root, temp_dir};
use std::ffi::OsStr;
use std::path::PathBuf;

const SEED: &[&str] = &[
    "3_1_default_graph",
    "3_1_device",
    "3_1_two_graphs",
    "3_2_tensors",
    "3_3_sessions",
    "3_4_3_forward",
    "3_4_4_placeholder",
    "3_4_5_training",
];

/// The book's programs (chapters 4 and 5) whose ops flowbench has.
const BOOK: &[&str] =
    &["4_2_2_custom_loss", "4_4_1_learning_rate_decay", "4_4_2_l2_regularization", "4_4_3_moving_average", "5_4_saver"];

fn program(name: &str) -> PathBuf {
    root().join("tests/data/python").join(format!("{name}.py"))
}

fn run(args: &[&OsStr]) -> (String, String, i32) {
    let out = flowbench(args);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn run_py(path: &std::path::Path) -> (String, String, i32) {
    run(&[OsStr::new("run"), path.as_os_str()])
}

#[test]
fn seed_programs_print_what_tf_prints() {
    for name in SEED {
        let (stdout, stderr, code) = run_py(&program(name));
        assert_eq!(code, 0, "{name}: {stderr}");
        let want = golden(&format!("{name}.out"));
        if *name == "3_4_5_training" {
            // Trained weights: to the last digits of TF's machine (see `assert_trained_output`),
            // and bit for bit the bundled project's on this one.
            assert_trained_output(&stdout, &want, 10);
            let project = root().join("assets/examples/3_4_5_training.json");
            let (from_project, _, _) = run(&[OsStr::new("run"), project.as_os_str()]);
            assert_eq!(stdout, from_project, "{name}: differs from the bundled project");
        } else {
            assert_eq!(stdout, want, "{name}: output differs from TensorFlow's");
        }
    }
}

#[test]
fn book_programs_print_what_tf_prints() {
    for name in BOOK {
        let (stdout, stderr, code) = run_py(&program(name));
        assert_eq!(code, 0, "{name}: {stderr}");
        assert_eq!(stdout, golden(&format!("{name}.out")), "{name}: output differs from TensorFlow's");
    }
}

fn run_text(name: &str, source: &str, extra: &[&str]) -> (String, String, i32) {
    let dir = temp_dir("py");
    let path = dir.join(name);
    std::fs::write(&path, source).unwrap();
    let mut args: Vec<&OsStr> = vec![OsStr::new("run"), path.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    let r = run(&args);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

#[test]
fn python_errors_name_their_place() {
    let (out, err, code) = run_text("p.py", "import tensorflow.compat.v1 as tf\nprint(1)\nx = w3 + 1\n", &[]);
    assert_eq!(code, 1);
    assert_eq!(out, "1\n");
    assert!(err.ends_with(":3:5: NameError: name 'w3' is not defined\n"), "{err}");
    let (_, err, code) = run_text("q.py", "import tensorflow as tf\ny = tf.image.resize(1)\n", &[]);
    assert_eq!(code, 1);
    assert!(err.ends_with(":2:5: tf.image is not supported by flowbench\n"), "{err}");
    let (_, err, code) = run_text("s.py", "x = (1,\n", &[]);
    assert_eq!(code, 1);
    assert!(err.contains("SyntaxError"), "{err}");
    let (_, err, code) =
        run_text("t.py", "import tensorflow as tf\na = tf.constant([1.0])\nb = tf.constant([1])\nc = a + b\n", &[]);
    assert_eq!(code, 1);
    assert!(
        err.ends_with(":4:5: TypeError: Input 'y' of 'AddV2' Op has type int32 that does not match type float32 of argument 'x'.\n"),
        "{err}"
    );
}

#[test]
fn a_program_that_never_ends_times_out() {
    let t = std::time::Instant::now();
    let (_, err, code) = run_text("loop.py", "i = 0\nwhile True:\n    i += 1\n", &["--max-seconds", "0.5"]);
    assert_eq!(code, 1);
    assert!(err.contains("--max-seconds"), "{err}");
    assert!(t.elapsed().as_secs() < 20);
}

#[test]
fn python_values_print_as_python_prints_them() {
    let src = r#"
import numpy as np
from numpy.random import RandomState
print(0.1 + 0.2, 1e-10, 1e16, 2.0, 7 // 2, -7 % 3, 2 ** 10, 7 / 2)
print([1, 2.5, 'a', None, True], (1,), {'k': [1, 2]})
print("%d %5.2f %g %s %r" % (3, 3.14159, 0.000012345, 'x', 'y'))
print(f"{3.14159:.2f} {42:>5} {'s'!r}", "{} {:.3e}".format(1, 12345.678))
xs = [x * x for x in range(5) if x % 2 == 0]
print(xs, sorted([3, 1, 2], reverse=True), list(zip([1, 2], 'ab')), max(3, 7), min([4, 2]))
def f(a, b=2, *, c=None):
    return a + b
print(RandomState(1).rand(2, 2))
rs = RandomState(0)
print(rs.randint(0, 10, size=5), rs.randn(), rs.uniform(1, 2))
a = np.array([[1.0, 2.0], [3.0, 4.0]])
print(a[1], a[:, 0], a.shape, a.reshape(4), np.argmax(a, 1), a.mean())
"#;
    let (out, err, code) = run_text("v.py", src, &[]);
    // The keyword-only parameter is refused, at its line. (The expected text below is what
    // Python 3 with numpy 2.4 printed for the program without it.)
    assert_eq!(code, 1, "{out}");
    assert!(err.contains(":10:1: *args, **kwargs and keyword-only parameters is not supported by flowbench"), "{err}");
    let src = src.replace(", *, c=None", "");
    let (out, err, code) = run_text("v.py", &src, &[]);
    assert_eq!(code, 0, "{err}");
    let want = "0.30000000000000004 1e-10 1e+16 2.0 3 2 1024 3.5
[1, 2.5, 'a', None, True] (1,) {'k': [1, 2]}
3  3.14 1.2345e-05 x 'y'
3.14    42 's' 1 1.235e+04
[0, 4, 16] [3, 2, 1] [(1, 'a'), (2, 'b')] 7 2
[[4.17022005e-01 7.20324493e-01]
 [1.14374817e-04 3.02332573e-01]]
[5 0 3 3 7] 1.8675579901499675 1.4375872112626924
[3. 4.] [1. 3.] (2, 2) [1. 2. 3. 4.] [1 1] 2.5
";
    assert_eq!(out, want);
}

/// `flowbench import X.py -o X.json` prints what `run X.py` prints, and `flowbench run X.json`
/// prints the same again.
fn import_and_replay(name: &str, dir: &std::path::Path) -> (String, String, serde_json::Value) {
    let json = dir.join(format!("{name}.json"));
    let (imported, stderr, code) =
        run(&[OsStr::new("import"), program(name).as_os_str(), OsStr::new("-o"), json.as_os_str()]);
    assert_eq!(code, 0, "{name}: {stderr}");
    let (replayed, stderr, code) = run(&[OsStr::new("run"), json.as_os_str()]);
    assert_eq!(code, 0, "{name}: {stderr}");
    let project: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (imported, replayed, project)
}

#[test]
fn imported_programs_replay_what_tf_prints() {
    let dir = temp_dir("py-import");
    for name in SEED.iter().chain(BOOK) {
        let (imported, replayed, project) = import_and_replay(name, &dir);
        assert_eq!(replayed, imported, "{name}: the imported project prints something else");
        let want = golden(&format!("{name}.out"));
        if *name == "3_4_5_training" {
            assert_trained_output(&replayed, &want, 10);
        } else {
            assert_eq!(replayed, want, "{name}: output differs from TensorFlow's");
        }
        // A recognised training loop is one train-loop step over the program's data (the
        // seed's and the book's loops: log after or before the step, several logged values,
        // no feeds), and the project stays small.
        let steps = project["script"].as_array().unwrap();
        let loops = steps.iter().filter(|s| s["step"] == "train_loop").count();
        let expect_loop = matches!(
            *name,
            "3_4_5_training" | "4_2_2_custom_loss" | "4_4_1_learning_rate_decay" | "4_4_2_l2_regularization"
        );
        let bytes = std::fs::metadata(dir.join(format!("{name}.json"))).unwrap().len();
        assert!(bytes < 200_000, "{name}: the project has {bytes} bytes");
        assert_eq!(loops, usize::from(expect_loop), "{name}: {steps:?}");
        if expect_loop {
            assert!(steps.len() < 20, "{name}: {} steps", steps.len());
        }
        // Every node has a position.
        for g in project["graphs"].as_array().unwrap() {
            assert!(g["nodes"].as_array().unwrap().iter().all(|n| n["pos"].is_array()), "{name}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_program_that_fails_is_not_imported() {
    let dir = temp_dir("py-import-fail");
    let src = dir.join("bad.py");
    std::fs::write(&src, "import tensorflow as tf\nx = tf.constant(1.0)\nprint(y)\n").unwrap();
    let out = dir.join("bad.json");
    let (_, err, code) = run(&[OsStr::new("import"), src.as_os_str(), OsStr::new("-o"), out.as_os_str()]);
    assert_eq!(code, 1);
    assert!(err.ends_with(":3:7: NameError: name 'y' is not defined\n"), "{err}");
    assert!(!out.exists());
    // -o onto the program itself is refused, and the program stays.
    let (_, err, code) = run(&[OsStr::new("import"), src.as_os_str(), OsStr::new("-o"), src.as_os_str()]);
    assert_eq!(code, 1);
    assert!(err.contains("names the program itself"), "{err}");
    assert!(std::fs::read_to_string(&src).unwrap().starts_with("import tensorflow"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Variants of the programs (other constants, seeds, optimizers, loop structures, fetch
/// structures) with what real TF 2.21 printed for them (`tests/data/python/variants/*.out`).
fn variants() -> Vec<PathBuf> {
    let dir = root().join("tests/data/python/variants");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
        .collect();
    v.sort();
    v
}

#[test]
fn variants_print_what_tf_printed() {
    for p in variants() {
        let (stdout, stderr, code) = run_py(&p);
        assert_eq!(code, 0, "{}: {stderr}", p.display());
        let want = std::fs::read_to_string(p.with_extension("out")).unwrap();
        assert_eq!(stdout, want, "{}", p.display());
    }
}

/// Variants whose imported project `flowbench export` refuses: the gradient ops `tf.gradients`
/// adds have no single TF op, and the exporter writes gradients only as an optimizer's
/// `minimize()`.
const EXPORT_REFUSED: &[&str] = &["v16_gradients"];

/// With `FLOWBENCH_TF_PYTHON=/path/to/python` (TF 2.x): each variant, and each seed and book
/// program, run in real TF prints what `flowbench run` prints for it; and the TF script that
/// `flowbench export` writes for its imported project prints the same again in TF (without TF
/// 2.x's runtime-only `_Retval` placement lines). Skipped with a note otherwise.
#[test]
fn programs_and_their_exports_match_real_tf() {
    let Ok(python) = std::env::var("FLOWBENCH_TF_PYTHON") else {
        eprintln!("skipped: set FLOWBENCH_TF_PYTHON to a Python with TensorFlow 2.x");
        return;
    };
    let dir = temp_dir("py-tf");
    let tf_run = |script: &std::path::Path| -> String {
        let out = std::process::Command::new(&python)
            .arg("-u")
            .arg(script)
            .current_dir(script.parent().unwrap())
            .env("TF_CPP_MIN_LOG_LEVEL", "3")
            .env("PYTHONPATH", root().join("tests/data/python"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}: {}", script.display(), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with("_retval_"))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let mut failures = Vec::new();
    let mut programs: Vec<PathBuf> = variants();
    programs.extend(SEED.iter().chain(BOOK).filter(|n| **n != "3_4_5_training").map(|n| program(n)));
    for p in programs {
        // A program reading the digits is run from a folder that holds them (an imported
        // project reads data only inside its folder).
        let (p, dir, own_dir) = if std::fs::read_to_string(&p).unwrap().contains("read_data_sets(") {
            let d = temp_dir("py-tf-data");
            (staged(&p, &d), d, true)
        } else {
            (p, dir.clone(), false)
        };
        let (ours, stderr, code) = run_py(&p);
        assert_eq!(code, 0, "{}: {stderr}", p.display());
        let theirs = tf_run(&p);
        if theirs != ours {
            failures.push(format!("{}: real TF printed\n{theirs}flowbench printed\n{ours}", p.display()));
        }
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        let json = dir.join(format!("{stem}.json"));
        let (_, stderr, code) = run(&[OsStr::new("import"), p.as_os_str(), OsStr::new("-o"), json.as_os_str()]);
        assert_eq!(code, 0, "{stem}: {stderr}");
        let script = dir.join(format!("{stem}_export.py"));
        let (_, stderr, code) = run(&[OsStr::new("export"), json.as_os_str(), OsStr::new("-o"), script.as_os_str()]);
        if EXPORT_REFUSED.contains(&stem.as_str()) {
            // Refused whole, with the ops named, and nothing written.
            assert_eq!(code, 1, "{stem}: its export is expected to be refused");
            assert!(stderr.contains("no TensorFlow equivalent") && !script.exists(), "{stem}: {stderr}");
            if own_dir {
                let _ = std::fs::remove_dir_all(&dir);
            }
            continue;
        }
        assert_eq!(code, 0, "{stem}: {stderr}");
        let exported = tf_run(&script);
        if exported != ours {
            failures.push(format!(
                "{stem}: the export of its imported project printed in real TF\n{exported}the program printed\n{ours}"
            ));
        }
        if own_dir {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A copy of `program` in `dir` that reads the bundled digits from `dir/digits` (a copy of
/// `assets/examples/digits`), so that a project imported into `dir` may read them.
fn staged(program: &std::path::Path, dir: &std::path::Path) -> PathBuf {
    let digits = root().join("assets/examples/digits");
    std::fs::create_dir_all(dir.join("digits")).unwrap();
    for e in std::fs::read_dir(&digits).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join("digits").join(e.file_name())).unwrap();
    }
    let src = std::fs::read_to_string(program).unwrap();
    let src = src
        .replace("../../../../assets/examples/digits", "digits")
        .replace("../../../assets/examples/digits", "digits");
    let to = dir.join(program.file_name().unwrap());
    std::fs::write(&to, src).unwrap();
    to
}

/// The book's MNIST program (5.2.1: `input_data.read_data_sets`, `mnist.train.next_batch`, the
/// validation and test sets as feeds) with 501 steps: TF's first two lines exactly, then the
/// test accuracy after the loop; imported, it is one train-loop step on the IDX digits (batches
/// drawn as next_batch draws them after `np.random.seed(0)`, the log before the step on the
/// validation set, the end line on the test set), whose replay prints the same.
#[test]
fn mnist_program_imports_as_a_train_loop() {
    let dir = temp_dir("py-mnist");
    let p = staged(&program("5_2_1_mnist"), &dir);
    let src = std::fs::read_to_string(&p).unwrap().replace("TRAINING_STEPS = 3000", "TRAINING_STEPS = 501");
    std::fs::write(&p, src).unwrap();
    let json = dir.join("mnist.json");
    let (imported, stderr, code) = run(&[OsStr::new("import"), p.as_os_str(), OsStr::new("-o"), json.as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = imported.lines().collect();
    let want = golden("5_2_1_mnist.out");
    let want: Vec<&str> = want.lines().collect();
    assert_eq!(lines.len(), 3, "{imported}");
    assert_eq!(lines[..2], want[..2], "{imported}");
    assert!(lines[2].starts_with("After 501 training step(s), test accuracy using average model is 0.9"), "{imported}");
    let project: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(project["datasets"][0]["source"]["kind"], "idx", "{project}");
    assert_eq!(project["datasets"][0]["source"]["dir"], "digits");
    let steps = project["script"].as_array().unwrap();
    assert!(steps.len() < 10, "{steps:?}");
    let l = steps.iter().find(|s| s["step"] == "train_loop").unwrap();
    assert_eq!(l["batching"]["next_batch"]["numpy_seed"], 0, "{l}");
    assert_eq!(l["batch_size"], 100);
    assert_eq!(l["log"]["before_step"], true);
    assert_eq!(l["log"]["split"], "validation");
    assert_eq!(l["log"]["end"]["split"], "test");
    let (replayed, stderr, code) = run(&[OsStr::new("run"), json.as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(replayed, imported);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The whole MNIST program prints TF's output byte for byte (minutes in a debug build: `cargo
/// test --release --test programs mnist_program -- --ignored`).
#[test]
#[ignore]
fn mnist_program_prints_tfs_output() {
    let (stdout, stderr, code) = run_py(&program("5_2_1_mnist"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, golden("5_2_1_mnist.out"));
}

/// A folder `read_data_sets` cannot find is Python's `FileNotFoundError` (as `gzip.open` of its
/// first file raises it), at the call; an import whose data lies outside the project's folder
/// is refused at that call (not after running the program), naming it.
#[test]
fn input_data_errors_are_pythons() {
    let src = "import input_data\nprint(1)\nm = input_data.read_data_sets(\"nowhere\", one_hot=True)\n";
    let (out, err, code) = run_text("d.py", src, &[]);
    assert_eq!(code, 1);
    assert_eq!(out, "1\n");
    assert!(
        err.ends_with(
            ":3:5: FileNotFoundError: [Errno 2] No such file or directory: 'nowhere/train-images-idx3-ubyte.gz'\n"
        ),
        "{err}"
    );
    let digits = root().join("assets/examples/digits");
    let src = format!("import input_data\nm = input_data.read_data_sets({:?}, validation_size=99999)\n", digits);
    let (_, err, code) = run_text("v.py", &src, &[]);
    assert_eq!(code, 1);
    assert!(err.ends_with(":2:5: ValueError: validation_size should be between 0 and 1497\n"), "{err}");
    let dir = temp_dir("py-mnist-outside");
    let json = dir.join("m.json");
    let v9 = root().join("tests/data/python/variants/v9_mnist_adam.py");
    let (out, err, code) = run(&[OsStr::new("import"), v9.as_os_str(), OsStr::new("-o"), json.as_os_str()]);
    assert_eq!(code, 1);
    // Refused where it reads the data, before the training that follows.
    assert!(err.contains(":12:9: cannot be kept as a project: its data ("), "{err}");
    assert!(err.contains("is outside the folder of"), "{err}");
    assert_eq!(out, "");
    assert!(!json.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runtime errors of a graph's nodes are worded as TF 2.x words them: `Graph execution error:`,
/// where the node was defined in the program (its frames, outermost first), the node, the
/// kernel's message and `[[{{node x}}]]` (what TF 2.21 printed for this program, up to the
/// node's stack trace through TF's own files); an uninitialized variable is reported at its
/// `read`, or at TF's return value when it is fetched itself; a fed value of the wrong shape is
/// a plain `ValueError`.
#[test]
fn runtime_errors_are_worded_as_tf_words_them() {
    let src = r#"import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()


def build(n):
    x = tf.placeholder(tf.float32, shape=(None, n), name="x")
    return tf.reduce_sum(x * 2)


s = build(3)
v = tf.Variable(1.0, name="v")
with tf.Session() as sess:
    for f in [lambda: sess.run(s), lambda: sess.run(v), lambda: sess.run(v + 1), lambda: sess.run(s, {"x:0": [[1.0]]})]:
        try:
            f()
        except Exception as e:
            print(type(e).__name__ + ": " + str(e).split("\n\nOriginal stack")[0])
    sess.run(s)
"#;
    let dir = temp_dir("py-errors");
    let path = std::path::absolute(dir.join("e.py")).unwrap();
    std::fs::write(&path, src).unwrap();
    let (out, err, code) = run_py(&path);
    let p = path.display();
    let feed = format!(
        "Graph execution error:

Detected at node 'x' defined at (most recent call last):
    File \"{p}\", line 10, in <module>
    File \"{p}\", line 6, in build
Node: 'x'
You must feed a value for placeholder tensor 'x' with dtype float and shape [?,3]
\t [[{{{{node x}}}}]]"
    );
    let want = format!(
        "InvalidArgumentError: {feed}
FailedPreconditionError: Graph execution error:

Attempting to use uninitialized value v
\t [[{{{{node _retval_v_0_0}}}}]]
FailedPreconditionError: Graph execution error:

Detected at node 'v/read' defined at (most recent call last):
    File \"{p}\", line 11, in <module>
Node: 'v/read'
Attempting to use uninitialized value v
\t [[{{{{node v/read}}}}]]
ValueError: Cannot feed value of shape (1, 1) for Tensor x:0, which has shape (?, 3)
"
    );
    assert_eq!(out, want);
    assert_eq!(code, 1);
    assert!(err.ends_with(&format!(":18:5: InvalidArgumentError: {feed}\n")), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The variants' training loops (cyclic batches, `next_batch`, several values fetched together
/// for the log, a loop feeding nothing with `i + 1` in its line) are kept as train-loop steps,
/// and the imported projects print what real TF printed.
#[test]
fn variant_loops_import_as_train_loops() {
    let dir = temp_dir("py-loops");
    for (name, loops) in [("v1_training_sgd", 1), ("v9_mnist_adam", 1), ("v10_loop_shapes", 2)] {
        let p = staged(&root().join(format!("tests/data/python/variants/{name}.py")), &dir);
        let json = dir.join(format!("{name}.json"));
        let (imported, stderr, code) = run(&[OsStr::new("import"), p.as_os_str(), OsStr::new("-o"), json.as_os_str()]);
        assert_eq!(code, 0, "{name}: {stderr}");
        let want = std::fs::read_to_string(root().join(format!("tests/data/python/variants/{name}.out"))).unwrap();
        assert_eq!(imported, want, "{name}");
        let (replayed, stderr, code) = run(&[OsStr::new("run"), json.as_os_str()]);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert_eq!(replayed, want, "{name}: the imported project");
        let project: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let steps = project["script"].as_array().unwrap();
        assert_eq!(steps.iter().filter(|s| s["step"] == "train_loop").count(), loops, "{name}: {steps:?}");
        assert!(steps.len() < 12, "{name}: {steps:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Hostile values end in Python's output or a placed error, never a crash: a list and a dict
/// that contain themselves print as Python prints them (`[[...]]`), ranges at the ends of int64
/// count without overflow, and an impossible reshape is Python's `ValueError` (as TF 2.21's
/// Python here printed them).
#[test]
fn self_containing_values_and_int64_ends_do_not_crash() {
    let src = "l = []\nl.append(l)\nprint(l)\nd = {}\nd[\"a\"] = d\nprint(d, l == l)\n\
               r = range(-9223372036854775807 - 1, 9223372036854775807)\n\
               print(9223372036854775807 in range(-1, 10), 5 in range(0, 10, 5))\n\
               import numpy as np\nprint(np.zeros([2, 3]).reshape(2**33, 2**33))\n";
    let (out, err, code) = run_text("hostile_values.py", src, &[]);
    assert_eq!(out, "[[...]]\n{'a': {...}} True\nFalse True\n", "{err}");
    assert!(err.contains(":10:7: ValueError: cannot reshape array of size 6"), "{err}");
    assert_eq!(code, 1);
}

/// Every variant imported and replayed prints what real TF printed for it. A node the program
/// builds after its graph first ran is built by an `add_node` step at that point of the script
/// (TF places a graph's nodes when it runs: v5's variable, made after its session closed, is
/// not in the placement log), and the export builds it there too (`tf.Variable(...)` after the
/// session). A node error caught by the program, whose handler prints `str(e)` in TF 2.x's words
/// or nothing, replays silently, followed by what the handler printed (v11).
#[test]
fn variants_import_and_replay_what_tf_printed() {
    let dir = temp_dir("py-variants");
    for p in variants() {
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        let p = if std::fs::read_to_string(&p).unwrap().contains("read_data_sets(") { staged(&p, &dir) } else { p };
        let json = dir.join(format!("{stem}.json"));
        let (imported, stderr, code) = run(&[OsStr::new("import"), p.as_os_str(), OsStr::new("-o"), json.as_os_str()]);
        assert_eq!(code, 0, "{stem}: {stderr}");
        let want = std::fs::read_to_string(p.with_extension("out"))
            .or_else(|_| std::fs::read_to_string(root().join(format!("tests/data/python/variants/{stem}.out"))))
            .unwrap();
        assert_eq!(imported, want, "{stem}");
        let (replayed, stderr, code) = run(&[OsStr::new("run"), json.as_os_str()]);
        assert_eq!(code, 0, "{stem}: {stderr}");
        assert_eq!(replayed, want, "{stem}: the imported project");
        let project: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let steps = project["script"].as_array().unwrap();
        let kinds: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
        let nodes: Vec<&str> =
            project["graphs"][0]["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
        let added: Vec<&str> =
            steps.iter().filter(|s| s["step"] == "add_node").map(|s| s["node"]["name"].as_str().unwrap()).collect();
        match stem.as_str() {
            "v5_config" => {
                assert_eq!(nodes, ["a", "mul/y", "mul"], "{stem}");
                assert_eq!(added, ["zeros", "w", "w/Assign"], "{stem}");
                let close = kinds.iter().position(|k| *k == "close_session").unwrap();
                assert_eq!(kinds[close + 1..], ["add_node", "add_node", "add_node", "print"], "{stem}: {kinds:?}");
            }
            "v11_caught_errors" => {
                assert_eq!(kinds.iter().filter(|k| **k == "try_quiet").count(), 3, "{stem}: {kinds:?}");
                assert_eq!(kinds.iter().filter(|k| **k == "try").count(), 1, "{stem}: {kinds:?}");
                // No session logs placement: every node up front (the window shows them all).
                assert!(added.is_empty() && nodes.contains(&"init"), "{stem}: {added:?}");
            }
            _ => {}
        }
        // Every node added has a position too.
        assert!(steps.iter().filter(|s| s["step"] == "add_node").all(|s| s["node"]["pos"].is_array()), "{stem}");
    }
    // The exports build the late nodes late, and catch the errors silently.
    let script = dir.join("v5_export.py");
    let json = dir.join("v5_config.json");
    let (_, stderr, code) = run(&[OsStr::new("export"), json.as_os_str(), OsStr::new("-o"), script.as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&script).unwrap();
    let (close, var) = (text.find("sess.close()").unwrap(), text.find("w = tf.Variable(").unwrap());
    assert!(close < var, "{text}");
    let json = dir.join("v11_caught_errors.json");
    let (_, stderr, code) = run(&[OsStr::new("export"), json.as_os_str(), OsStr::new("-o"), script.as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(text.contains("    except Exception:\n        pass  # caught"), "{text}");
    assert!(text.contains("sess.run(init)"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// More hostile values, as Python 3.11 with numpy 2.4 printed them: lists and dicts that contain
/// each other compare with Python's `RecursionError` (not a stack overflow), dicts compare by
/// their items, a list is no dict key; an empty array of 10^12 rows prints, slices, sums and
/// iterates without touching its rows, and what would allocate them is numpy's `MemoryError`.
/// Lists and strings grown by `extend`, `+`, `+=` and `*` stop at the interpreter's limit with
/// `MemoryError` (the window's runs have no time limit).
#[test]
fn mutually_nested_values_and_empty_huge_arrays_end_in_pythons_errors() {
    let src = std::fs::read_to_string(root().join("tests/data/python/hostile/nested_and_empty.py")).unwrap();
    let want = std::fs::read_to_string(root().join("tests/data/python/hostile/nested_and_empty.out")).unwrap();
    let t = std::time::Instant::now();
    let (out, err, code) = run_text("nested_and_empty.py", &src, &["--max-seconds", "60"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, want);
    // (One list of 25,000,001 items, about 1.2 GB; each growth past the limit fails before
    // it allocates.)
    let src = "x = [0] * 25000001\n\
               for f in [lambda: x.extend(x), lambda: x + x, lambda: x * 2]:\n\
               \x20   try:\n\
               \x20       f()\n\
               \x20   except MemoryError as e:\n\
               \x20       print('MemoryError', len(x))\n\
               try:\n    x += x\nexcept MemoryError:\n    print('MemoryError', len(x))\n\
               del x\n\
               s = 'ab'\ntry:\n    while True:\n        s = s + s\nexcept MemoryError:\n    print(len(s))\n\
               t = ('a' * 30000000, 'b')\ntry:\n    '-'.join(t * 2)\nexcept MemoryError:\n    print(len(t))\n\
               print(len(','.join(['a'] * 10)), len('abc'.replace('', '-')))\n\
               s = 'a' * 30000000\ns.replace('a', 'bb')\n";
    let (out, err, code) = run_text("growth.py", src, &["--max-seconds", "60"]);
    assert_eq!(out, "MemoryError 25000001\n".repeat(4) + "33554432\n2\n19 7\n", "{err}");
    assert!(err.ends_with(":25:1: MemoryError: the sequence is too long\n"), "{err}");
    assert_eq!(code, 1);
    // Fed to a session, the empty array sums to 0.0; its import is refused (it would be 10^12
    // lists in the project), not an abort.
    let dir = temp_dir("py-empty-feed");
    let p = dir.join("feed.py");
    std::fs::write(
        &p,
        "import numpy as np\nimport tensorflow.compat.v1 as tf\nx = tf.placeholder(tf.float32, shape=(None, None))\n\
         with tf.Session() as sess:\n    print(sess.run(tf.reduce_sum(x), {x: np.zeros((10**12, 0))}))\n",
    )
    .unwrap();
    let json = dir.join("feed.json");
    let (out, err, code) = run(&[OsStr::new("import"), p.as_os_str(), OsStr::new("-o"), json.as_os_str()]);
    assert_eq!(out, "0.0\n");
    assert!(
        err.contains("cannot be kept as a project: it feeds Placeholder:0 a value of shape (1000000000000, 0)"),
        "{err}"
    );
    assert_eq!(code, 1);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(t.elapsed().as_secs() < 120);
}

/// Stop from the window ends a program in the middle of one long `sess.run` (a chain of 3,000
/// elementwise ops on a million floats, tens of seconds in a debug build), between two of its
/// ops, at the run's line, not after the run.
#[test]
fn stop_interrupts_a_long_session_run() {
    use flowbench::python::stepper::{Event, StepCommand, Stepper};
    let src = "import tensorflow.compat.v1 as tf\n\
               x = tf.ones([1000, 1000])\n\
               for i in range(3000):\n\
               \x20   x = x * 1.0001\n\
               with tf.Session() as sess:\n\
               \x20   print('running')\n\
               \x20   sess.run(x)\n\
               print('done')\n";
    let stepper = Stepper::start(
        src.to_string(),
        PathBuf::from("long_run.py"),
        false,
        Default::default(),
        std::sync::Arc::new(|| {}),
    );
    let started = std::time::Instant::now();
    let mut printed = String::new();
    let mut stop_sent: Option<std::time::Instant> = None;
    let finished = loop {
        assert!(started.elapsed().as_secs() < 120, "the program did not end: {printed}");
        match stepper.try_event() {
            Some(Event::Output(flowbench::interpreter::ScriptOutput::Text(t))) => printed.push_str(&t),
            Some(Event::Finished(f)) => break f,
            Some(_) => {}
            None => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
        if stop_sent.is_none() && printed.contains("running") {
            // Inside the run (it follows the print at once).
            std::thread::sleep(std::time::Duration::from_millis(500));
            stepper.send(StepCommand::Stop);
            stop_sent = Some(std::time::Instant::now());
        }
    };
    let stopped = stop_sent.expect("the program printed 'running'").elapsed();
    assert_eq!(printed, "running\n");
    assert!(finished.error.is_none(), "{:?}", finished.error);
    assert_eq!(finished.stopped_at, Some(7));
    assert!(stopped.as_secs() < 5, "stopping took {stopped:?}");
}

#[test]
fn splitlines_splits_as_python_does() {
    // What CPython 3 printed for the same line.
    let src = "print(\"a\\nb\\r\\nc\\rd\\n\".splitlines(), \"\".splitlines(), \"x\\n\\ny\".splitlines(), \"\\n\".splitlines())\n";
    let (out, err, code) = run_text("sl.py", src, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "['a', 'b', 'c', 'd'] [] ['x', '', 'y'] ['']\n");
}
