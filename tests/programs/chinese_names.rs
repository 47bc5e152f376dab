//! A project whose name and graphs are named in Chinese (as a reader of the Chinese notes names
//! them): it is checked, runs with TF's output, is saved and reread with the names intact, and
//! exports to a script that keeps them (readable identifiers, the names in strings and comments)
//! and, when `FLOWBENCH_TF_PYTHON` is set, prints the same under real TF.

use crate::common::{flowbench, golden, root, temp_dir};
use flowbench::project::Project;

fn chinese_project(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("assets/examples/3_1_two_graphs.json")).unwrap();
    let text = text
        .replace("\"g1\"", "\"计算图一\"")
        .replace("\"g2\"", "\"计算图二\"")
        .replace("\"3.1 Two graphs, each with a variable v\"", "\"两个计算图\"");
    let path = dir.join("两个计算图.json");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_project_named_in_chinese_runs_saves_and_exports() {
    let dir = temp_dir("zh-names");
    let path = chinese_project(&dir);

    let check = flowbench(&["check".as_ref(), path.as_os_str()]);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let run = flowbench(&["run".as_ref(), path.as_os_str()]);
    assert_eq!(String::from_utf8_lossy(&run.stdout), golden("3_1_two_graphs.out"));

    // Saved and reread: the names survive.
    let project = Project::load(&path).unwrap();
    let saved = dir.join("另存.json");
    project.save(&saved).unwrap();
    let again = Project::load(&saved).unwrap();
    assert_eq!(again.name, "两个计算图");
    let names: Vec<&str> = again.graphs.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["default", "计算图一", "计算图二"]);

    let script = dir.join("两个计算图.py");
    let export = flowbench(&["export".as_ref(), path.as_os_str(), "-o".as_ref(), script.as_os_str()]);
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let py = std::fs::read_to_string(&script).unwrap();
    assert!(py.starts_with("\"\"\"两个计算图 (exported from a flowbench project)."), "{py}");
    assert!(py.contains("# ----- graph \"计算图一\" -----\n计算图一 = tf.Graph()\n"), "{py}");
    assert!(py.contains("with 计算图二.as_default():"), "{py}");

    if let Some(python) = std::env::var_os("FLOWBENCH_TF_PYTHON") {
        let out = std::process::Command::new(python).arg(&script).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), golden("3_1_two_graphs.out"));
    }
}
