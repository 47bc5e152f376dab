//! Issue 10's hostile inputs, one regression test each: tensors too large for memory fail with
//! TF's OOM error (never an abort or an empty result), counts and fields are validated on load
//! with the field named, loading and export are linear, reads are bounded and never block, saves
//! are atomic and write through links, and referenced data stays inside the project's folder.

use crate::common::{flowbench, root, temp_dir};
use flowbench::project::{Project, ProjectError};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A project with one graph of `nodes` (JSON text) whose script opens a session and prints
/// the fetch `fetch`.
fn project(nodes: &str, fetch: &str, extra: &str) -> String {
    format!(
        r#"{{"format_version": 1, "name": "t", "default_graph": "default", {extra}
        "graphs": [{{"name": "default", "nodes": [{nodes}]}}],
        "script": [{{"step": "open_session", "id": "s"}},
                   {{"step": "run", "session": "s", "fetches": ["{fetch}"], "print": true}}]}}"#
    )
}

/// Runs a project's script in-process as `flowbench run` does: (exit code, stdout).
fn run_text(text: &str) -> Result<(i32, String), ProjectError> {
    let p = Project::from_json_str(text)?;
    let mut out = Vec::new();
    let code = flowbench::cli::run_project(&p, &mut out);
    Ok((code, String::from_utf8_lossy(&out).into_owned()))
}

/// `flowbench export` in-process on a file: (exit code, script).
fn export_file(path: &Path, output: Option<&Path>) -> (i32, String) {
    let mut out = Vec::new();
    let code = flowbench::cli::export_command(path, output, false, &mut out);
    (code, String::from_utf8_lossy(&out).into_owned())
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs the binary, killing it after `limit`: (exit status code, stderr), or None on a hang.
fn flowbench_within(args: &[&std::ffi::OsStr], limit: Duration) -> Option<(Option<i32>, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowbench"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            return Some((status.code(), err));
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

const OOM_100K: &str = "ResourceExhaustedError: OOM when allocating tensor with shape[100000,100000] and type float on /job:localhost/replica:0/task:0/device:CPU:0 by allocator cpu";

#[test]
fn random_ops_with_huge_shapes_fail_with_tfs_oom_error() {
    let dir = temp_dir("hostile-random");
    for op in ["RandomStandardNormal", "TruncatedNormal", "RandomUniform"] {
        for (shape, dims) in [
            ("[100000, 100000]", "100000,100000"),
            ("[2147483648, 2147483648]", "2147483648,2147483648"),
            ("[18446744073709551615]", "18446744073709551615"),
        ] {
            let text =
                project(&format!(r#"{{"name": "r", "op": "{op}", "dtype": "float32", "shape": {shape}}}"#), "r:0", "");
            let (code, out) = run_text(&text).unwrap();
            assert_eq!((code, out.as_str()), (1, ""), "{op} {shape}");
            let p = Project::from_json_str(&text).unwrap();
            let e = flowbench::interpreter::run_script(&p, &mut |_| {}).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "ResourceExhaustedError: OOM when allocating tensor with shape[{dims}] and type float on /job:localhost/replica:0/task:0/device:CPU:0 by allocator cpu"
                ),
            );
            // The export writes the script (TF fails the same way when it runs).
            let f = write(&dir, "r.json", &text);
            assert_eq!(export_file(&f, None).0, 0, "{op} {shape}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_fill_too_large_is_an_oom_error_not_an_empty_tensor() {
    let text = project(
        r#"{"name": "f", "op": "Fill", "dtype": "float32", "shape": [100000, 100000], "value": 1.0}"#,
        "f:0",
        "",
    );
    let p = Project::from_json_str(&text).unwrap();
    let e = flowbench::interpreter::run_script(&p, &mut |_| {}).unwrap_err();
    assert_eq!(e.to_string(), OOM_100K);
    assert_eq!(run_text(&text).unwrap(), (1, String::new()));
}

#[test]
fn copies_of_a_large_tensor_count_against_the_session_budget() {
    // A 4 MB tensor copied three times, in a session limited to 10 MB.
    let nodes = r#"{"name": "f", "op": "Fill", "dtype": "float32", "shape": [1000, 1000], "value": 1.0},
        {"name": "a", "op": "Identity", "inputs": ["f:0"]},
        {"name": "b", "op": "Identity", "inputs": ["a:0"]},
        {"name": "c", "op": "Identity", "inputs": ["b:0"]}"#;
    let limited = project(nodes, "c:0", r#""configs": [{"name": "small", "config": {"memory_limit_mb": 10}}],"#)
        .replace(r#"{"step": "open_session", "id": "s"}"#, r#"{"step": "open_session", "id": "s", "config": "small"}"#);
    let p = Project::from_json_str(&limited).unwrap();
    let e = flowbench::interpreter::run_script(&p, &mut |_| {}).unwrap_err();
    assert_eq!(e.class, flowbench::engine::ErrorClass::ResourceExhausted, "{e}");
    assert!(e.to_string().contains("shape[1000,1000] and type float"), "{e}");
    // With the default budget it runs.
    let (code, out) = run_text(&project(nodes, "c:0", "")).unwrap();
    assert_eq!(code, 0);
    assert!(out.starts_with("[[1. 1. 1."), "{out}");
}

fn dataset_project(source: &str, batch_size: &str) -> String {
    format!(
        r#"{{"format_version": 1, "name": "t", "default_graph": "default",
        "graphs": [{{"name": "default", "nodes": [
            {{"name": "x", "op": "Placeholder", "dtype": "float32", "shape": [null, 2]}},
            {{"name": "w", "op": "Variable", "dtype": "float32", "shape": [2, 1]}}]}}],
        "datasets": [{{"name": "d", "source": {source}}}],
        "script": [{{"step": "open_session", "id": "s"}},
            {{"step": "train_loop", "session": "s", "dataset": "d", "feeds": [{{"tensor": "x:0", "columns": ["x1", "x2"]}}],
              "train_op": "w", "steps": 1, "batch_size": {batch_size}}}]}}"#
    )
}

#[test]
fn huge_dataset_counts_are_refused_on_load_by_check_run_and_export() {
    let dir = temp_dir("hostile-dataset");
    let rand = |rows: &str, features: &str| {
        format!(
            r#"{{"kind": "numpy_rand", "seed": 1, "rows": {rows}, "features": {features}, "label": {{"rule": "sum_less_than", "threshold": 1.0}}}}"#
        )
    };
    let cases = [
        (
            rand("1", "9223372036854775807"),
            "8",
            "dataset 'd': features: 9223372036854775807 is too many (at most 99999)",
        ),
        (
            rand("1", "18446744073709551615"),
            "8",
            "dataset 'd': features: 18446744073709551615 is too many (at most 99999)",
        ),
        (rand("1", "49999999"), "8", "dataset 'd': features: 49999999 is too many (at most 99999)"),
        (
            rand("9223372036854775807", "2"),
            "8",
            "dataset 'd': rows: 9223372036854775807 rows is too many (at most 50000000 values in all)",
        ),
        (
            r#"{"kind": "circle", "seed": 1, "rows": 18446744073709551615, "noise": 0.1}"#.to_string(),
            "8",
            "dataset 'd': rows: 18446744073709551615 rows is too many (at most 50000000 values in all)",
        ),
        (
            rand("8", "2"),
            "18446744073709551615",
            "script step 2: batch_size: 18446744073709551615 is too large (at most 50000000)",
        ),
    ];
    for (source, batch, want) in cases {
        let text = dataset_project(&source, batch);
        let e = Project::from_json_str(&text).unwrap_err();
        assert_eq!(e.to_string(), want);
        let f = write(&dir, "d.json", &text);
        for cmd in ["check", "run", "export"] {
            let out = flowbench(&[cmd.as_ref(), f.as_os_str()]);
            assert_eq!(out.status.code(), Some(1), "{cmd} {want}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(err.trim_end(), format!("{}: {want}", f.display()), "{cmd}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_project_without_format_version_is_read_as_version_1_never_as_an_empty_project() {
    let dir = temp_dir("hostile-version");
    let text = std::fs::read_to_string(root().join("assets/examples/3_4_5_training.json")).unwrap();
    let full = Project::from_json_str(&text).unwrap();
    let nodes = full.graphs[0].nodes.len();
    assert!(nodes > 50);
    for replacement in ["", "\"format_version\": 0,"] {
        let t = text.replacen("\"format_version\": 1,", replacement, 1);
        let p = Project::from_json_str(&t).unwrap();
        assert_eq!(p.graphs[0].nodes.len(), nodes);
        assert_eq!(p.script.len(), full.script.len());
        // import-csv rewrites the file with every node kept.
        let f = write(&dir, "p.json", &t);
        let csv = write(&dir, "pts.csv", "a,b,y\n1,2,0\n3,4,1\n");
        let out = flowbench(&["import-csv".as_ref(), f.as_os_str(), csv.as_os_str()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(Project::load(&f).unwrap().graphs[0].nodes.len(), nodes);
    }
    // Both forms at once is refused.
    let both = r#"{"nodes": [], "graphs": [{"name": "default", "nodes": []}], "default_graph": "default"}"#;
    assert!(Project::from_json_str(both).unwrap_err().to_string().contains("both 'nodes'"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn fields_are_validated_with_their_path() {
    let base = project(r#"{"name": "c", "op": "Const", "value": {"data": [1.0, 2.0]}}"#, "c:0", "");
    let cases = [
        (base.replace(r#""op": "Const""#, r#""op": 5"#), "graphs[0].nodes[0].op: expected a name, found 5"),
        (
            base.replace(r#""name": "c","#, r#""name": "c", "colour": "red","#),
            "graphs[0].nodes[0].colour: unknown field",
        ),
        (base.replace(r#""name": "t","#, r#""name": "t", "autor": "me","#), "autor: unknown field"),
        (base.replace(r#""print": true"#, r#""print": true, "repeat": 3"#), "script[1].repeat: unknown field"),
        (
            project(
                r#"{"name": "c", "op": "Const", "value": {"data": 1.0}}"#,
                "c:0",
                r#""configs": [{"name": "many", "config": {"intra_op_parallelism_threads": 100000}}],"#,
            ),
            "config 'many': intra_op_parallelism_threads: 100000 is too many (at most 256)",
        ),
        (
            project(
                r#"{"name": "c", "op": "Const", "value": {"data": 1.0}}"#,
                "c:0",
                r#""configs": [{"name": "many", "config": {"inter_op_parallelism_threads": 4294967295}}],"#,
            ),
            "config 'many': inter_op_parallelism_threads: 4294967295 is too many (at most 256)",
        ),
    ];
    for (text, want) in cases {
        let e = Project::from_json_str(&text).unwrap_err();
        assert!(e.to_string().ends_with(want), "{e}\nwant {want}");
        assert!(!e.to_string().contains('\n'));
    }
    // Empty or default values of fields the format leaves out when it writes are fine.
    let ok = base.replace(r#""name": "t","#, r#""name": "t", "description": "", "comments": [],"#);
    Project::from_json_str(&ok).unwrap();
    // A UTF-8 byte order mark is skipped.
    let p = Project::from_json_str(&format!("\u{feff}{base}")).unwrap();
    assert_eq!(p.graphs[0].nodes.len(), 1);
}

#[test]
fn every_bundled_example_and_its_resave_passes_the_unknown_field_check() {
    for entry in std::fs::read_dir(root().join("assets/examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let p = Project::load(&path).unwrap();
        Project::from_json_str(&p.to_json_string()).unwrap();
        p.check_data_paths().unwrap();
    }
}

#[test]
fn a_rank_100_tensor_is_refused() {
    let mut data = "1.0".to_string();
    for _ in 0..100 {
        data = format!("[{data}]");
    }
    let text = project(&format!(r#"{{"name": "c", "op": "Const", "value": {{"data": {data}}}}}"#), "c:0", "");
    let e = Project::from_json_str(&text).unwrap_err();
    assert!(e.to_string().ends_with("Tensors of rank 100 are not supported (the maximum is 32)"), "{e}");
}

#[test]
fn io_errors_name_the_path_once_and_special_files_are_refused_without_blocking() {
    let dir = temp_dir("hostile-io");
    let missing = dir.join("missing.json");
    let out = flowbench(&["check".as_ref(), missing.as_os_str()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("missing.json").count(), 1, "{err}");
    // /dev/zero is refused at once instead of read until memory runs out.
    let (code, err) = flowbench_within(&["check".as_ref(), "/dev/zero".as_ref()], Duration::from_secs(10)).unwrap();
    assert_eq!(code, Some(1));
    assert_eq!(err.trim_end(), "/dev/zero: not a regular file (a device); only regular files are read");
    // A FIFO as the project or as a referenced CSV file does not block.
    let fifo = dir.join("pipe.json");
    if Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
        for cmd in ["check", "run", "export"] {
            let (code, err) = flowbench_within(&[cmd.as_ref(), fifo.as_os_str()], Duration::from_secs(10))
                .unwrap_or_else(|| panic!("{cmd} blocked on a FIFO"));
            assert_eq!(code, Some(1));
            assert!(err.contains("not a regular file (a FIFO)"), "{err}");
        }
        let csv_fifo = dir.join("data.csv");
        Command::new("mkfifo").arg(&csv_fifo).status().unwrap();
        let p =
            write(&dir, "p.json", &std::fs::read_to_string(root().join("assets/examples/csv_points.json")).unwrap());
        let (code, err) =
            flowbench_within(&["import-csv".as_ref(), p.as_os_str(), csv_fifo.as_os_str()], Duration::from_secs(10))
                .expect("import-csv blocked on a FIFO");
        assert_eq!(code, Some(1));
        assert!(err.contains("not a regular file (a FIFO)"), "{err}");
    }
    // A project over the size cap is refused before it is read.
    let big = dir.join("big.json");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(65 << 20).unwrap();
    let e = Project::load(&big).unwrap_err();
    assert!(e.to_string().ends_with("the file is larger than 64 MiB, the most read for a project file"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_stops_quietly_when_its_output_is_closed() {
    let dir = temp_dir("hostile-epipe");
    let text = std::fs::read_to_string(root().join("assets/examples/3_4_5_training.json"))
        .unwrap()
        .replace("\"steps\": 5000", "\"steps\": 1000000000")
        .replace("\"every\": 1000", "\"every\": 1");
    let f = write(&dir, "long.json", &text);
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowbench"))
        .arg("run")
        .arg(&f)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // The reader (and the pipe) is gone now, as after `| head -1`.
    assert!(!first.is_empty());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("flowbench run kept running after its output was closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    std::fs::remove_dir_all(&dir).ok();
}

fn chain(n: usize, reversed: bool) -> String {
    let mut nodes = vec![r#"{"name": "n0", "op": "Const", "value": {"data": 1.0}}"#.to_string()];
    for i in 1..n {
        nodes.push(format!(r#"{{"name": "n{i}", "op": "Identity", "inputs": ["n{}:0"]}}"#, i - 1));
    }
    if reversed {
        nodes.reverse();
    }
    project(&nodes.join(",\n"), &format!("n{}:0", n - 1), "")
}

#[test]
fn a_100k_node_chain_loads_and_exports_in_linear_time() {
    // Quadratic loading took minutes here (21 s in release for the reversed chain); linear takes
    // a few seconds even in a debug build.
    let dir = temp_dir("hostile-chain");
    for reversed in [false, true] {
        let start = Instant::now();
        let f = write(&dir, "chain.json", &chain(100_000, reversed));
        let p = Project::load(&f).unwrap();
        assert_eq!(p.graphs[0].nodes.len(), 100_000);
        let (code, script) = export_file(&f, None);
        assert_eq!(code, 0);
        assert!(script.contains("n99999 = tf.identity(n99998, name=\"n99999\")") || script.contains("n99999"));
        let took = start.elapsed();
        assert!(took < Duration::from_secs(90), "loading and exporting 100k nodes took {took:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_100k_column_csv_header_is_parsed_in_linear_time() {
    let header: Vec<String> = (0..100_000).map(|k| format!("col{k}")).collect();
    let row: Vec<&str> = vec!["1"; 100_000];
    let text = format!("{}\n{}\n", header.join(","), row.join(","));
    let start = Instant::now();
    let t = flowbench::train::data::csv::parse_reader(text.as_bytes(), Default::default(), 1_000_000).unwrap();
    assert_eq!(t.columns.len(), 100_000);
    assert!(start.elapsed() < Duration::from_secs(20), "{:?}", start.elapsed());
    // Imported as a dataset (every column but the label a feature) in linear time too.
    let dir = temp_dir("hostile-wide");
    let csv = write(&dir, "wide.csv", &text.replacen("col99999", "y", 1));
    let project =
        write(&dir, "p.json", &std::fs::read_to_string(root().join("assets/examples/csv_points.json")).unwrap());
    let opts = flowbench::project::csv::ImportOptions { label: Some("y".to_string()), ..Default::default() };
    let start = Instant::now();
    let mut out = Vec::new();
    assert_eq!(flowbench::cli::import_csv_command(&project, &csv, None, &opts, &mut out), 0);
    assert!(start.elapsed() < Duration::from_secs(30), "{:?}", start.elapsed());
    let out = String::from_utf8(out).unwrap();
    assert!(out.trim_end().ends_with("col18, col19, ... (100000 columns))"), "{}", &out[..200.min(out.len())]);
    assert_eq!(Project::load(&project).unwrap().dataset("wide").map(|d| d.name.as_str()), Some("wide"));
    std::fs::remove_dir_all(&dir).ok();
    // One more column is refused with the limit.
    let text = format!("{},x\n{},1\n", header.join(","), row.join(","));
    let e = flowbench::train::data::csv::parse_reader(text.as_bytes(), Default::default(), 1_000_000).unwrap_err();
    assert!(e.to_string().contains("at most 100000 columns"), "{e}");
}

#[cfg(unix)]
#[test]
fn saves_are_atomic_write_through_links_keep_permissions_and_clean_up() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("hostile-save");
    let p = Project::load(&root().join("assets/examples/3_4_4_placeholder.json")).unwrap();
    // Permissions of an existing file are kept.
    let target = dir.join("target.json");
    std::fs::write(&target, "{}").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    // A link is written through: the link stays, its target gets the content.
    let link = dir.join("link.json");
    std::os::unix::fs::symlink("target.json", &link).unwrap();
    // A temporary file a killed write left (of a process that no longer runs) is removed.
    let stale = dir.join(".target.json.flowbench-tmp-999999999");
    std::fs::write(&stale, "partial").unwrap();
    p.save(&link).unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(Project::load(&target).unwrap(), p);
    assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(!stale.exists());
    let names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.contains("flowbench-tmp")), "{names:?}");
    // A failed write leaves no temporary file (the folder is read-only).
    let ro = dir.join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
    if std::fs::write(ro.join("probe"), "x").is_err() {
        assert!(p.save(&ro.join("p.json")).is_err());
        assert_eq!(std::fs::read_dir(&ro).unwrap().count(), 0);
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn outputs_onto_inputs_are_refused() {
    let dir = temp_dir("hostile-overwrite");
    let f =
        write(&dir, "p.json", &std::fs::read_to_string(root().join("assets/examples/3_4_4_placeholder.json")).unwrap());
    let before = std::fs::read(&f).unwrap();
    let (code, _) = export_file(&f, Some(&f));
    assert_eq!(code, 1);
    let out = flowbench(&["export".as_ref(), f.as_os_str(), "-o".as_ref(), f.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the output is the project file itself"));
    assert_eq!(std::fs::read(&f).unwrap(), before);
    let csv = write(&dir, "pts.csv", "a,b,y\n1,2,0\n3,4,1\n");
    let csv_before = std::fs::read(&csv).unwrap();
    let out = flowbench(&["import-csv".as_ref(), f.as_os_str(), csv.as_os_str(), "-o".as_ref(), csv.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the output is the CSV file being imported"));
    assert_eq!(std::fs::read(&csv).unwrap(), csv_before);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn referenced_data_must_stay_inside_the_project_folder() {
    let dir = temp_dir("hostile-paths");
    let inside = dir.join("proj");
    std::fs::create_dir_all(&inside).unwrap();
    std::fs::write(dir.join("secret.csv"), "SECRETVALUE,2,3\n1,2,3\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("secret.csv"), inside.join("link.csv")).unwrap();
    let csv_dataset = |path: &str| {
        dataset_project(
            &format!(
                r#"{{"kind": "csv", "path": "{path}", "header": false, "select": [0, 1, 2], "columns": ["x1", "x2", "y"]}}"#
            ),
            "1",
        )
    };
    for path in ["../secret.csv", "../../../../../../etc/passwd", "/etc/passwd", "/proc/self/environ", "link.csv"] {
        if path == "link.csv" && !cfg!(unix) {
            continue;
        }
        let f = write(&inside, "p.json", &csv_dataset(path));
        for cmd in ["check", "run", "export"] {
            let out = flowbench(&[cmd.as_ref(), f.as_os_str()]);
            assert_eq!(out.status.code(), Some(1), "{cmd} {path}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(&format!("{path}: the file is outside the project's folder")), "{cmd} {path}: {err}");
            assert!(!err.contains("SECRET") && !err.contains("root:"), "{err}");
            assert!(String::from_utf8_lossy(&out.stdout).is_empty() || cmd == "run");
        }
    }
    // A file beside the project is fine (the bundled csv example's layout).
    std::fs::write(inside.join("ok.csv"), "1,2,0\n3,4,1\n").unwrap();
    let f = write(&inside, "p.json", &csv_dataset("ok.csv"));
    let out = flowbench(&["check".as_ref(), f.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).ok();
}
