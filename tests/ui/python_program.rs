//! The Python program view: a `.py` program opens paused before its first statement, with its
//! source beside the graph; Step (F10) runs one statement and the current line moves; the
//! graphs it builds appear on the canvas and its sessions on the sessions panel as it goes;
//! Stop ends a `while True` loop; an error marks its line and is logged as `FILE:LINE:COL: ...`.

use crate::common::{root, temp_dir};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use flowbench::app::FlowbenchApp;
use flowbench::app::command::Command;
use flowbench::app::dialogs::FakeDialogs;
use flowbench::app::model::log::LogKind;
use flowbench::app::model::modal::Modal;
use flowbench::app::model::program::{ProgramCommand, ProgramState};
use flowbench::app::model::view::Clock;
use flowbench::app::state::AppState;
use std::time::{Duration, Instant};

fn harness() -> Harness<'static, FlowbenchApp> {
    let mut s = AppState::with_example("3_4_4_placeholder.json", Box::new(FakeDialogs::answering([])));
    s.clock = Clock::Fixed(0.0);
    let app = FlowbenchApp::with_state(s);
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).build_eframe(move |_| app);
    h.run_steps(3);
    h
}

/// Runs frames until `done` holds (the program runs on its own thread), for at most 240 s (the machine may be loaded).
fn wait(h: &mut Harness<'static, FlowbenchApp>, what: &str, done: impl Fn(&AppState) -> bool) {
    let start = Instant::now();
    while !done(&h.state().state) {
        let s = &h.state().state;
        assert!(
            start.elapsed() < Duration::from_secs(240),
            "timed out waiting for {what}: {:?} {:?} modal {:?}",
            state(s),
            s.program.as_ref().map(|p| (p.path.clone(), p.line, p.pauses)),
            s.modal
        );
        std::thread::sleep(Duration::from_millis(5));
        h.run_steps(1);
    }
    h.run_steps(1);
}

/// True when some widget's label contains `text`.
fn shows(h: &Harness<'static, FlowbenchApp>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

fn state(s: &AppState) -> Option<ProgramState> {
    s.program.as_ref().map(|p| p.state)
}

fn line(s: &AppState) -> Option<usize> {
    s.program.as_ref().and_then(|p| p.line)
}

fn program(h: &mut Harness<'static, FlowbenchApp>, c: ProgramCommand) {
    h.state_mut().apply(vec![Command::Program(c)]);
}

/// Steps until the program is paused again.
fn step(h: &mut Harness<'static, FlowbenchApp>) {
    let before = h.state().state.program.as_ref().map_or(0, |p| p.pauses);
    program(h, ProgramCommand::Step);
    wait(h, "the next pause", |s| {
        s.program.as_ref().is_some_and(|p| p.pauses > before && p.state == ProgramState::Paused)
    });
}

#[test]
fn stepping_a_program_shows_its_line_graph_and_session() {
    let mut h = harness();
    let path = root().join("tests/data/python/3_4_5_training.py");
    h.state_mut().apply(vec![Command::OpenPath(path)]);
    wait(&mut h, "the first pause", |s| line(s).is_some());
    assert_eq!(state(&h.state().state), Some(ProgramState::Paused));
    assert_eq!(line(&h.state().state), Some(1));
    // The source is shown beside the graph, the current line marked.
    assert!(shows(&h, "3_4_5_training.py"));
    assert!(shows(&h, "Paused before line 1"));
    assert!(shows(&h, "▶ import tensorflow.compat.v1 as tf"));
    assert_eq!(h.state().state.doc.project.name, "3_4_5_training");
    assert!(h.state().state.doc.is_dirty(), "the program's project is unsaved");

    // Four statements: the imports, then w1's variable is on the canvas.
    for want in [2, 3, 4, 5] {
        step(&mut h);
        assert_eq!(line(&h.state().state), Some(want));
    }
    step(&mut h);
    assert_eq!(line(&h.state().state), Some(6));
    let st = &h.state().state;
    assert!(st.doc.project.graphs[st.view.active_graph].nodes.iter().any(|n| n.name == "Variable"), "w1 is drawn");
    assert!(st.program.as_ref().unwrap().sessions.is_empty());

    // F10 steps too; on to the `with tf.Session() as sess:` body: the session is listed.
    while line(&h.state().state) != Some(20) {
        let before = h.state().state.program.as_ref().map_or(0, |p| p.pauses);
        h.key_press(egui::Key::F10);
        wait(&mut h, "a pause after F10", |s| {
            s.program.as_ref().is_some_and(|p| p.pauses > before && p.state == ProgramState::Paused)
        });
    }
    {
        let st = &h.state().state;
        let pv = st.program.as_ref().unwrap();
        assert_eq!(pv.sessions.len(), 1);
        assert_eq!(pv.sessions[0].id, "sess");
        assert!(pv.sessions[0].stats.open);
        assert!(st.doc.project.graphs[0].nodes.iter().any(|n| n.name.starts_with("Adam")));
    }
    assert!(shows(&h, "Sessions of 3_4_5_training.py"));
    step(&mut h);
    step(&mut h);
    // `print(sess.run(w1))` printed into the log.
    assert!(h.state().state.log.iter().any(|e| e.kind == LogKind::Result && e.text.starts_with("[[-0.8113182")));
    // Paused, the session's variables show their values.
    let vars = &h.state().state.program.as_ref().unwrap().sessions[0].variables;
    assert!(
        vars.iter().any(|(n, v)| n == "Variable" && v.as_deref().is_some_and(|v| v.starts_with("[[-0.8113182"))),
        "{vars:?}"
    );

    // F9 runs on to the end: the project it built stays, unsaved, its session closed.
    h.key_press(egui::Key::F9);
    wait(&mut h, "the end", |s| state(s) == Some(ProgramState::Finished));
    let st = &h.state().state;
    assert!(st.program.as_ref().unwrap().sessions.iter().all(|s| !s.stats.open));
    assert!(st.doc.is_dirty());
    assert!(!st.doc.project.script.is_empty());
    assert!(st.log.iter().any(|e| e.text == "After 4000 training step(s), cross entropy on all data is 0.0199111"
        || e.text.starts_with("After 4000 training step(s)")));
    assert!(st.modal.is_none(), "{:?}", st.modal);
}

#[test]
fn stop_ends_a_while_true_loop() {
    let mut h = harness();
    let dir = temp_dir("py-stop");
    let p = dir.join("forever.py");
    std::fs::write(
        &p,
        "import tensorflow as tf\nx = tf.Variable(0.0)\ninc = tf.assign_add(x, 1.0)\nsess = tf.Session()\nsess.run(tf.global_variables_initializer())\nwhile True:\n    sess.run(inc)\n",
    )
    .unwrap();
    h.state_mut().apply(vec![Command::OpenPath(p)]);
    wait(&mut h, "the first pause", |s| line(s).is_some());
    program(&mut h, ProgramCommand::Run);
    wait(&mut h, "the loop", |s| {
        s.program.as_ref().is_some_and(|p| p.sessions.first().is_some_and(|e| e.stats.run_count > 50))
    });
    assert_eq!(state(&h.state().state), Some(ProgramState::Running));
    h.get_by_label("⏹ Stop").click();
    wait(&mut h, "the stop", |s| state(s) == Some(ProgramState::Stopped));
    let st = &h.state().state;
    let at = line(st).unwrap();
    assert!(at == 6 || at == 7, "stopped at line {at}");
    assert!(st.log.iter().any(|e| e.kind == LogKind::Info && e.text.starts_with("forever.py: stopped before line")));
    // What it built stays open.
    assert!(st.doc.project.graphs[0].nodes.iter().any(|n| n.name == "AssignAdd"));
    assert!(st.modal.is_none());

    // Stop also ends a loop of plain Python statements, and a paused program.
    let q = dir.join("spin.py");
    std::fs::write(&q, "i = 0\nwhile True:\n    i = i + 1\n").unwrap();
    h.state_mut().apply(vec![Command::OpenPath(q)]);
    h.run_steps(2);
    assert!(matches!(h.state().state.modal, Some(Modal::Unsaved(_))), "the program's project is unsaved");
    h.get_by_label("Don't save").click();
    h.run_steps(3);
    wait(&mut h, "the first pause", |s| {
        line(s).is_some() && s.program.as_ref().is_some_and(|p| p.path.ends_with("spin.py"))
    });
    program(&mut h, ProgramCommand::Continue);
    std::thread::sleep(Duration::from_millis(100));
    program(&mut h, ProgramCommand::Stop);
    wait(&mut h, "the stop", |s| state(s) == Some(ProgramState::Stopped));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_error_marks_its_line() {
    let mut h = harness();
    let dir = temp_dir("py-error");
    let bad = dir.join("bad.py");
    std::fs::write(&bad, "import tensorflow as tf\nx = tf.constant(1.0)\ny = x + w3\nprint(y)\n").unwrap();
    let before = h.state().state.doc.project.clone();
    h.state_mut().apply(vec![Command::OpenPath(bad)]);
    wait(&mut h, "the first pause", |s| line(s).is_some());
    program(&mut h, ProgramCommand::Continue);
    wait(&mut h, "the error", |s| state(s) == Some(ProgramState::Failed));
    let st = &h.state().state;
    let pv = st.program.as_ref().unwrap();
    assert_eq!(pv.line, Some(3));
    assert_eq!(pv.error.as_ref().map(|e| e.0), Some(3));
    assert!(
        st.log.iter().any(|e| e.kind == LogKind::Error && e.text == "bad.py:3:9: NameError: name 'w3' is not defined")
    );
    assert!(matches!(&st.modal, Some(Modal::Error { .. })));
    // What was open before comes back; the view stays, its error line marked.
    assert_eq!(st.doc.project, before);
    h.state_mut().apply(vec![Command::CloseModal]);
    h.run_steps(2);
    assert!(shows(&h, "Failed at line 3"));
    assert!(shows(&h, "▶ y = x + w3"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_pauses_at_a_breakpoint_each_time_its_line_comes() {
    let mut h = harness();
    let path = root().join("tests/data/python/3_4_5_training.py");
    h.state_mut().apply(vec![Command::OpenPath(path)]);
    wait(&mut h, "the first pause", |s| line(s).is_some());
    // A click on a line's number sets a breakpoint there, a second clears it.
    let bps = |h: &Harness<'static, FlowbenchApp>| h.state().state.program.as_ref().unwrap().breakpoints.clone();
    h.get_by_label("13").click();
    h.run_steps(2);
    assert_eq!(bps(&h).into_iter().collect::<Vec<_>>(), vec![13]);
    h.get_by_label("13").click();
    h.run_steps(2);
    assert!(bps(&h).is_empty());
    // One on the loop's print (line 28).
    program(&mut h, ProgramCommand::ToggleBreakpoint(28));
    program(&mut h, ProgramCommand::Continue);
    wait(&mut h, "the breakpoint", |s| state(s) == Some(ProgramState::Paused) && line(s) == Some(28));
    let printed = |s: &AppState| s.log.iter().filter(|e| e.text.starts_with("After ")).count();
    assert_eq!(printed(&h.state().state), 0);
    program(&mut h, ProgramCommand::Continue);
    wait(&mut h, "the breakpoint again", |s| {
        state(s) == Some(ProgramState::Paused) && line(s) == Some(28) && printed(s) == 1
    });
    program(&mut h, ProgramCommand::ToggleBreakpoint(28));
    program(&mut h, ProgramCommand::Continue);
    wait(&mut h, "the end", |s| state(s) == Some(ProgramState::Finished));
    assert_eq!(printed(&h.state().state), 5);
}
