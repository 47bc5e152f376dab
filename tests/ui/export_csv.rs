//! The window's File ▸ Export ▸ TensorFlow script… and File ▸ Import CSV…, driven by the
//! commands the menu emits (the file dialogs answer through the fake dialogs).

use crate::common::temp_dir;
use flowbench::app::command::Command;
use flowbench::app::dialogs::FakeDialogs;
use flowbench::app::model::log::LogKind;
use flowbench::app::state::AppState;
use std::path::PathBuf;

#[test]
fn export_writes_the_script_and_import_adds_a_dataset() {
    let dir = temp_dir("tfexport");
    let mut s = AppState::with_example("3_4_5_training.json", Box::new(FakeDialogs::default()));
    let py = dir.join("training.py");
    s.apply(Command::WriteTfScript(py.clone()));
    let text = std::fs::read_to_string(&py).unwrap();
    assert!(text.contains(".minimize(Neg, var_list=[Variable, Variable_1], name=\"Adam\")"));
    assert!(s.log.iter().any(|e| e.kind == LogKind::Info && e.text.contains("exported a TensorFlow script")));

    let before = s.doc.project.clone();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "a,b\n1,2\n3\n").unwrap();
    s.apply(Command::ImportCsv(bad));
    assert_eq!(s.doc.project, before, "a failed import changes nothing");
    assert!(s.log.iter().any(|e| e.text.contains("line 3, column 2")));

    let csv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/examples/csv_points.csv");
    s.apply(Command::ImportCsv(csv));
    let d = s.doc.project.dataset("csv_points").expect("the dataset is added");
    let t = d.materialize().unwrap();
    assert_eq!(t.columns, ["id", "x1", "x2", "noise", "y"]);
    assert_eq!(t.rows, 48);
    assert!(s.doc.is_dirty());
    std::fs::remove_dir_all(&dir).ok();
}
