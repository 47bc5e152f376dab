//! CSV import: `flowbench import-csv` embeds or references a user's file; malformed files are
//! refused with the line and column and leave the project untouched; the bundled CSV example
//! trains from the CLI and prints its golden output, whether its rows are embedded or read from
//! the referenced file.

use crate::common::root;
use std::path::PathBuf;
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    crate::common::temp_dir(&format!("csv-{name}"))
}

#[test]
fn csv_example_trains_from_the_cli() {
    let out = crate::common::flowbench(&["run".as_ref(), root().join("assets/examples/csv_points.json").as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    crate::common::assert_trained_output(
        &String::from_utf8_lossy(&out.stdout),
        &crate::common::golden("csv_points.out"),
        9,
    );
}

#[test]
fn a_referenced_csv_trains_like_the_embedded_rows() {
    let dir = tmp("ref");
    let project = dir.join("proj.json");
    std::fs::copy(root().join("assets/examples/csv_points.json"), &project).unwrap();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::copy(root().join("assets/examples/csv_points.csv"), dir.join("data/points.csv")).unwrap();
    let out = crate::common::flowbench(&[
        "import-csv".as_ref(),
        project.as_os_str(),
        dir.join("data/points.csv").as_os_str(),
        "--features".as_ref(),
        "x1,x2".as_ref(),
        "--label".as_ref(),
        "y".as_ref(),
        "--name".as_ref(),
        "points".as_ref(),
        "--reference".as_ref(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("dataset 'points' replaced (48 rows; columns x1, x2, y)"));
    let text = std::fs::read_to_string(&project).unwrap();
    assert!(text.contains("\"kind\": \"csv\"") && text.contains("\"path\": \"data/points.csv\""), "{text}");
    // Run from another working directory: the path is relative to the project file.
    let out = Command::new(env!("CARGO_BIN_EXE_flowbench"))
        .current_dir(std::env::temp_dir())
        .arg("run")
        .arg(&project)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    crate::common::assert_trained_output(
        &String::from_utf8_lossy(&out.stdout),
        &crate::common::golden("csv_points.out"),
        9,
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn malformed_files_are_refused_with_line_and_column_and_change_nothing() {
    let dir = tmp("bad");
    let project = dir.join("proj.json");
    std::fs::copy(root().join("assets/examples/csv_points.json"), &project).unwrap();
    let before = std::fs::read(&project).unwrap();
    let long_line = format!("x,y\n1,{}\n", "1".repeat(2 << 20));
    let cases: [(&str, &str, &str); 5] = [
        ("ragged", "x1,x2,y\n1,2,0\n3,4\n", "line 3, column 3: the row has 2 cells, but the first row has 3"),
        ("text", "x1,x2,y\n1,2,0\n3,four,1\n", "line 3, column 2: 'four' is not a number"),
        ("empty", "", "line 1, column 1: the file is empty"),
        ("header-only", "x1,x2,y\n", "line 1, column 1: the file has a header but no data rows"),
        ("huge-line", &long_line, "line 2, column 1: the line is longer than 1048576 bytes"),
    ];
    for (name, body, want) in cases {
        let csv = dir.join(format!("{name}.csv"));
        std::fs::write(&csv, body).unwrap();
        let out = crate::common::flowbench(&[
            "import-csv".as_ref(),
            project.as_os_str(),
            csv.as_os_str(),
            "--label".as_ref(),
            "y".as_ref(),
        ]);
        assert!(!out.status.success(), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{name}: {err}");
        assert_eq!(std::fs::read(&project).unwrap(), before, "{name}: the project changed");
    }
    // A column that does not exist, and a label that is also a feature.
    let csv = dir.join("ok.csv");
    std::fs::write(&csv, "a,b,c\n1,2,3\n").unwrap();
    let out = crate::common::flowbench(&[
        "import-csv".as_ref(),
        project.as_os_str(),
        csv.as_os_str(),
        "--label".as_ref(),
        "z".as_ref(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no column 'z' (the file has a, b, c)"));
    let out = crate::common::flowbench(&[
        "import-csv".as_ref(),
        project.as_os_str(),
        csv.as_os_str(),
        "--features".as_ref(),
        "a,c".as_ref(),
        "--label".as_ref(),
        "c".as_ref(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("the label column 'c' is also a feature"));
    assert_eq!(std::fs::read(&project).unwrap(), before);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn headerless_files_get_numbered_columns_and_can_be_renamed() {
    let dir = tmp("nohdr");
    let project = dir.join("proj.json");
    std::fs::copy(root().join("assets/examples/csv_points.json"), &project).unwrap();
    let csv = dir.join("d.csv");
    std::fs::write(&csv, "0.5,0.25,1\n0.125,1e-3,0\n").unwrap();
    let out = crate::common::flowbench(&[
        "import-csv".as_ref(),
        project.as_os_str(),
        csv.as_os_str(),
        "--features".as_ref(),
        "1,2".as_ref(),
        "--label".as_ref(),
        "3".as_ref(),
        "--as".as_ref(),
        "x1,x2,y".as_ref(),
        "--name".as_ref(),
        "tiny".as_ref(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let p = flowbench::project::Project::load(&project).unwrap();
    let t = p.dataset("tiny").unwrap().materialize().unwrap();
    assert_eq!(t.columns, ["x1", "x2", "y"]);
    assert_eq!(t.data, [0.5, 0.25, 1.0, 0.125, 0.001, 0.0]);
    std::fs::remove_dir_all(&dir).ok();
}
