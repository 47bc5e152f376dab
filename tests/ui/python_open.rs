//! Opening a TF1 Python program in the window: File ▸ Open (or `flowbench PROGRAM.py`) opens it
//! in the program view; run, it shows the project it built (unsaved), with what it printed in the log; a program that
//! fails shows its error with the line and column, and the open project stays.

use crate::common::{root, temp_dir};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use flowbench::app::FlowbenchApp;
use flowbench::app::command::Command;
use flowbench::app::dialogs::FakeDialogs;
use flowbench::app::model::log::LogKind;
use flowbench::app::model::modal::Modal;
use flowbench::app::model::program::ProgramCommand;
use flowbench::app::model::view::Clock;
use flowbench::app::state::AppState;

fn harness() -> Harness<'static, FlowbenchApp> {
    let mut s = AppState::with_example("3_4_4_placeholder.json", Box::new(FakeDialogs::answering([])));
    s.clock = Clock::Fixed(0.0);
    let app = FlowbenchApp::with_state(s);
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).build_eframe(move |_| app);
    h.run_steps(3);
    h
}

/// Runs frames until the program's thread has ended.
fn wait_done(h: &mut Harness<'static, FlowbenchApp>) {
    let start = std::time::Instant::now();
    while h.state().state.program.as_ref().is_some_and(|p| p.stepper.is_some()) {
        assert!(start.elapsed() < std::time::Duration::from_secs(240), "the program did not end");
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.run_steps(1);
    }
    h.run_steps(2);
}

#[test]
fn a_python_program_opens_as_the_project_it_builds() {
    let mut h = harness();
    let path = root().join("tests/data/python/3_4_3_forward.py");
    h.state_mut().apply(vec![Command::OpenPath(path)]);
    h.run_steps(3);
    // It opens paused before its first statement: Run runs it to its end.
    h.state_mut().apply(vec![Command::Program(ProgramCommand::Run)]);
    wait_done(&mut h);
    let st = &h.state().state;
    assert!(st.modal.is_none(), "{:?}", st.modal);
    assert_eq!(st.doc.project.name, "3_4_3_forward");
    assert!(st.doc.project.graphs[0].nodes.iter().any(|n| n.name == "MatMul_1"));
    assert!(st.log.iter().any(|e| e.kind == LogKind::Result && e.text == "[[3.957578]]"), "{:?}", st.log);

    let dir = temp_dir("py-open");
    let bad = dir.join("bad.py");
    std::fs::write(&bad, "import tensorflow as tf\nx = tf.constant(1.0)\ny = x + w3\n").unwrap();
    let before = h.state().state.doc.project.clone();
    h.state_mut().apply(vec![Command::OpenPath(bad)]);
    h.run_steps(2);
    // The program's project is not saved yet: the window asks first.
    assert!(matches!(h.state().state.modal, Some(Modal::Unsaved(_))));
    h.get_by_label("Don't save").click();
    h.run_steps(3);
    h.state_mut().apply(vec![Command::Program(ProgramCommand::Continue)]);
    wait_done(&mut h);
    match &h.state().state.modal {
        Some(Modal::Error { title, message }) => {
            assert_eq!(title, "Could not open bad.py");
            assert_eq!(message, "bad.py:3:9: NameError: name 'w3' is not defined");
        }
        other => panic!("expected an error dialog, got {other:?}"),
    }
    assert_eq!(h.state().state.doc.project, before);
    std::fs::remove_dir_all(&dir).ok();
}
