//! File ▸ Import CSV… in the window, driven through the accessibility tree with egui_kittest:
//! the file is picked through the fake dialogs, the import window previews it, columns get their
//! roles (a label that is not the last column), the rows are embedded or the file referenced,
//! a malformed file shows its line and column and changes nothing, undo removes the dataset,
//! and Save As elsewhere keeps a referenced file reachable.

use crate::common::temp_dir;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use flowbench::app::FlowbenchApp;
use flowbench::app::command::Command;
use flowbench::app::dialogs::{DialogKind, FakeDialogs};
use flowbench::app::model::view::Clock;
use flowbench::app::state::AppState;
use flowbench::project::Project;
use flowbench::train::data::dataset::DatasetSource;
use std::path::PathBuf;

fn harness(dialogs: FakeDialogs, path: Option<PathBuf>) -> Harness<'static, FlowbenchApp> {
    let mut s = AppState::new(Project::default(), path, "untitled.json".to_string(), Box::new(dialogs));
    s.clock = Clock::Fixed(0.0);
    let app = FlowbenchApp::with_state(s);
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).build_eframe(move |_| app);
    h.run_steps(3);
    h
}

/// File ▸ Import CSV…, answered by the fake dialogs.
fn pick_through_menu(h: &mut Harness<'static, FlowbenchApp>) {
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label_contains("Import CSV…").click();
    h.run_steps(4);
}

fn click(h: &mut Harness<'static, FlowbenchApp>, label: &str) {
    h.get_by_label(label).click();
    h.run_steps(2);
}

#[test]
fn import_with_a_chosen_label_column_then_undo() {
    let dir = temp_dir("choose");
    let csv = dir.join("measurements.csv");
    std::fs::write(&csv, "kind,width,height,junk\n1,0.5,2.5,9\n0,1.5,3.5,9\n1,2.0,4.0,9\n").unwrap();
    let mut h = harness(FakeDialogs::answering([Some(csv.clone())]), None);
    pick_through_menu(&mut h);

    // The window previews the file and proposes the last column as the label.
    h.get_by_label("Import CSV");
    h.get_by_label("3 rows, 4 columns, header row");
    h.get_by_label("2.5");
    let d = h.state().state.csv_import.clone().expect("the import window is open");
    assert!(d.header);
    assert_eq!(d.name, "measurements");
    assert!(h.state().state.doc.project.datasets.is_empty(), "nothing changes before Import");

    // The first column becomes the label, the last is ignored, one feature renamed.
    click(&mut h, "kind: label");
    click(&mut h, "junk: ignore");
    h.get_by_role_and_label(Role::TextInput, "Rename width").click();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Rename width").type_text("w");
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Dataset name:").click();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Dataset name:").type_text("2");
    h.run_steps(1);
    click(&mut h, "Import");

    let s = &h.state().state;
    assert!(s.csv_import.is_none(), "the window closes after a successful import");
    let ds = s.doc.project.dataset("measurements2").expect("the dataset is added");
    match &ds.source {
        DatasetSource::Inline { columns, rows } => {
            assert_eq!(columns, &["w", "height", "kind"]);
            assert_eq!(rows, &[vec![0.5, 2.5, 1.0], vec![1.5, 3.5, 0.0], vec![2.0, 4.0, 1.0]]);
        }
        other => panic!("expected embedded rows, got {other:?}"),
    }
    assert!(s.doc.is_dirty());

    // One undoable command: undo removes the dataset, redo brings it back.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    assert!(h.state().state.doc.project.datasets.is_empty(), "undo removes the dataset");
    h.key_press_modifiers(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, egui::Key::Z);
    h.run_steps(2);
    assert!(h.state().state.doc.project.dataset("measurements2").is_some(), "redo restores it");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_malformed_file_shows_line_and_column_and_changes_nothing() {
    let dir = temp_dir("bad");
    let csv = dir.join("bad.csv");
    std::fs::write(&csv, "a,b\n1,2\n3,x\n").unwrap();
    let mut h = harness(FakeDialogs::answering([Some(csv)]), None);
    let before = h.state().state.doc.project.clone();
    pick_through_menu(&mut h);
    h.get_by_label("Error: line 3, column 2: 'x' is not a number");
    assert!(h.get_by_role_and_label(Role::Button, "Import").accesskit_node().is_disabled());
    click(&mut h, "Cancel");
    assert!(h.state().state.csv_import.is_none());
    assert_eq!(h.state().state.doc.project, before, "a malformed file changes nothing");
    assert!(!h.state().state.doc.is_dirty());
    assert!(!h.state().state.history.can_undo());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn choices_are_checked_and_the_header_can_be_switched_off() {
    let dir = temp_dir("checks");
    let csv = dir.join("plain.csv");
    std::fs::write(&csv, "1,2,3\n4,5,6\n").unwrap();
    let mut h = harness(FakeDialogs::answering([Some(csv)]), None);
    pick_through_menu(&mut h);
    // No header detected: columns c1..c3, all rows are data.
    h.get_by_label("2 rows, 3 columns");
    assert!(!h.state().state.csv_import.as_ref().unwrap().header);
    // Two labels: Import is refused with a reason.
    click(&mut h, "c1: label");
    h.get_by_label("choose exactly one label column (2 chosen)");
    assert!(h.get_by_role_and_label(Role::Button, "Import").accesskit_node().is_disabled());
    click(&mut h, "c3: feature");
    click(&mut h, "c2: ignore");
    // Referring to the file needs a saved project.
    assert!(h.get_by_label("Reference the file (relative path)").accesskit_node().is_disabled());
    h.get_by_label("save the project first to refer to the file by a path relative to it");
    // The first row as a header: a, b, c become names.
    click(&mut h, "First row is a header");
    h.get_by_label("1 rows, 3 columns, header row");
    assert_eq!(h.state().state.csv_import.as_ref().unwrap().columns[0].name, "1");
    click(&mut h, "Import");
    let ds = h.state().state.doc.project.dataset("plain").expect("imported");
    match &ds.source {
        DatasetSource::Inline { columns, rows } => {
            assert_eq!(columns, &["1", "2", "3"]);
            assert_eq!(rows, &[vec![4.0, 5.0, 6.0]]);
        }
        other => panic!("expected embedded rows, got {other:?}"),
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_referenced_file_is_relative_and_follows_save_as() {
    let dir = temp_dir("reference");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let csv = data.join("points.csv");
    std::fs::write(&csv, "x1,x2,y\n0.1,0.2,1\n0.3,0.4,0\n").unwrap();
    let project_file = dir.join("proj.json");
    Project::default().save(&project_file).unwrap();
    let moved = dir.join("elsewhere");
    std::fs::create_dir_all(&moved).unwrap();
    let mut h = harness(FakeDialogs::answering([Some(csv.clone())]), Some(project_file.clone()));
    pick_through_menu(&mut h);
    click(&mut h, "Reference the file (relative path)");
    click(&mut h, "Import");
    let ds = h.state().state.doc.project.dataset("points").expect("imported").clone();
    match &ds.source {
        DatasetSource::Csv { path, header, select, columns } => {
            assert_eq!(path, "data/points.csv");
            assert!(*header);
            assert_eq!(select, &[0, 1, 2]);
            assert_eq!(columns, &["x1", "x2", "y"]);
        }
        other => panic!("expected a referenced file, got {other:?}"),
    }
    let t = ds.materialize_in(Some(&dir)).unwrap();
    assert_eq!(t.data, [0.1, 0.2, 1.0, 0.3, 0.4, 0.0]);

    // Save As into another folder: the path is rewritten and still reaches the file.
    let new_file = moved.join("proj.json");
    h.state_mut().state.apply(Command::SaveTo(new_file.clone()));
    h.run_steps(2);
    let loaded = Project::load(&new_file).unwrap();
    let ds = loaded.dataset("points").unwrap();
    match &ds.source {
        DatasetSource::Csv { path, .. } => assert_eq!(path, "../data/points.csv"),
        other => panic!("expected a referenced file, got {other:?}"),
    }
    let t = ds.materialize_in(loaded.base_dir.get()).unwrap();
    assert_eq!(t.rows, 2);
    assert!(!h.state().state.doc.is_dirty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_csv_example_is_bundled() {
    let mut s = AppState::with_example("csv_points.json", Box::new(FakeDialogs::default()));
    assert!(s.doc.display_name.starts_with("csv_points.json"));
    let ds = s.doc.project.datasets.first().expect("the example embeds its dataset").clone();
    assert!(matches!(ds.source, DatasetSource::Inline { .. }));
    assert_eq!(ds.materialize().unwrap().rows, 48);
    // Import CSV… asks for a CSV file.
    s.apply(Command::ImportCsvDialog);
    assert_eq!(s.pending_dialog.as_ref().map(|(k, _)| *k), Some(DialogKind::ImportCsv));
}
