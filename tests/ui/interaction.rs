//! Interaction tests of the workbench window with egui_kittest (no rendering): building and
//! wiring a graph, refused wires, the whole session life cycle with TF's numbers and messages,
//! undo and redo, saving and loading. Canvas drags are issued as the commands the canvas emits;
//! panel buttons and fields are clicked and typed into through the accessibility tree.

use crate::common::temp_dir;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use flowbench::app::FlowbenchApp;
use flowbench::app::command::Command;
use flowbench::app::dialogs::FakeDialogs;
use flowbench::app::model::log::LogKind;
use flowbench::app::model::modal::Modal;
use flowbench::app::model::view::Clock;
use flowbench::app::state::AppState;
use flowbench::engine::DType;
use flowbench::engine::graph::elementwise::BinaryOp;
use flowbench::engine::graph::op::{ConstValue, Op};
use flowbench::engine::value::Value;
use flowbench::project::{NodeDef, Project};

fn app_on(example: &str, dialogs: FakeDialogs) -> FlowbenchApp {
    let mut s = AppState::with_example(example, Box::new(dialogs));
    s.clock = Clock::Fixed(0.0);
    FlowbenchApp::with_state(s)
}

fn empty_app(dialogs: FakeDialogs) -> FlowbenchApp {
    let mut s = AppState::new(Project::default(), None, "untitled.json".to_string(), Box::new(dialogs));
    s.clock = Clock::Fixed(0.0);
    FlowbenchApp::with_state(s)
}

fn harness(app: FlowbenchApp) -> Harness<'static, FlowbenchApp> {
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).build_eframe(move |_| app);
    h.run_steps(3);
    h
}

fn node(name: &str, op: Op, inputs: &[&str]) -> NodeDef {
    NodeDef {
        name: name.to_string(),
        op,
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        control_inputs: Vec::new(),
        device: String::new(),
        pos: None,
    }
}

fn constant(name: &str, json: serde_json::Value, dtype: Option<DType>) -> NodeDef {
    node(name, Op::Const { value: ConstValue(Value::from_json(&json, dtype).unwrap()) }, &[])
}

fn log_has(h: &Harness<'_, FlowbenchApp>, kind: LogKind, text: &str) -> bool {
    h.state().state.log.iter().any(|e| e.kind == kind && e.text.contains(text))
}

#[test]
fn add_a_node_and_wire_it() {
    let mut h = harness(empty_app(FakeDialogs::default()));
    h.state_mut().apply(vec![Command::AddNodes {
        graph: 0,
        nodes: vec![
            constant("a", serde_json::json!([1.0, 2.0]), None),
            constant("b", serde_json::json!([2.0, 3.0]), None),
        ],
    }]);
    // Search-to-add: type the op's name in the toolbar and press Enter.
    h.get_by_role_and_label(Role::TextInput, "Add node:").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::TextInput, "Add node:").type_text("AddV2");
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    let gd = &h.state().state.doc.project.graphs[0];
    assert!(gd.nodes.iter().any(|n| n.name == "add" && n.op == Op::Binary { kind: BinaryOp::Add }), "{gd:?}");
    // Unwired, the node is drawn in error with the inputs it lacks.
    let err = h.state().state.engine.errors(0).and_then(|e| e.get("add")).cloned().expect("add is incomplete");
    assert!(err.kind.is_incomplete() && err.message.contains("not connected: x, y"), "{err:?}");
    h.state_mut().apply(vec![
        Command::Connect { graph: 0, tensor: "a:0".into(), node: "add".into(), input: 0 },
        Command::Connect { graph: 0, tensor: "b:0".into(), node: "add".into(), input: 1 },
    ]);
    h.run_steps(3);
    assert!(h.state().state.engine.errors(0).unwrap().is_empty());
    let add = h.state().state.doc.project.graphs[0].nodes.iter().find(|n| n.name == "add").unwrap().clone();
    assert_eq!(add.inputs, vec!["a:0", "b:0"]);
    // The output pin shows the tensor as TF names it.
    h.get_by_label("add:0 (2,) float32");
    // Select it: the inspector shows the tensor repr.
    h.state_mut().apply(vec![Command::Select(vec!["add".into()])]);
    h.run_steps(2);
    h.get_by_label("Tensor(\"add:0\", shape=(2,), dtype=float32)");
}

#[test]
fn an_invalid_wire_is_refused_with_tfs_message() {
    let mut h = harness(empty_app(FakeDialogs::default()));
    h.state_mut().apply(vec![Command::AddNodes {
        graph: 0,
        nodes: vec![
            constant("a", serde_json::json!([1.0, 2.0]), None),
            constant("c", serde_json::json!([4, 5]), None),
            node("add", Op::Binary { kind: BinaryOp::Add }, &[]),
        ],
    }]);
    h.state_mut().apply(vec![
        Command::Connect { graph: 0, tensor: "a:0".into(), node: "add".into(), input: 0 },
        Command::Connect { graph: 0, tensor: "c:0".into(), node: "add".into(), input: 1 },
    ]);
    h.run_steps(3);
    let msg = "TypeError: Input 'y' of 'AddV2' Op has type int32 that does not match type float32 of argument 'x'.";
    let add = h.state().state.doc.project.graphs[0].nodes.iter().find(|n| n.name == "add").unwrap().clone();
    assert_eq!(add.inputs, vec!["a:0"], "the refused wire is not made");
    assert!(log_has(&h, LogKind::Error, msg));
    let refusal = h.state().state.view.refusal.clone().expect("refusal shown at the pin");
    assert_eq!((refusal.node.as_str(), refusal.input), ("add", 1));
    // Shown at the pin on the canvas, and in the log with a link to the node.
    assert!(h.query_all_by_label_contains("Input 'y' of 'AddV2' Op has type int32").count() >= 2);
    h.get_by_label("→ add").click();
    h.run_steps(2);
    assert_eq!(h.state().state.view.selection, vec!["add".to_string()]);

    // A shape mismatch is refused too.
    h.state_mut().apply(vec![Command::AddNodes {
        graph: 0,
        nodes: vec![
            constant("m", serde_json::json!([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]), None),
            node("MatMul", Op::MatMul { transpose_a: false, transpose_b: false }, &["m:0"]),
        ],
    }]);
    h.state_mut().apply(vec![Command::Connect { graph: 0, tensor: "m:0".into(), node: "MatMul".into(), input: 1 }]);
    h.run_steps(2);
    assert!(log_has(&h, LogKind::Error, "Dimensions must be equal, but are 3 and 2"));
}

#[test]
fn a_wire_that_makes_a_cycle_is_refused() {
    let mut h = harness(empty_app(FakeDialogs::default()));
    h.state_mut().apply(vec![Command::AddNodes {
        graph: 0,
        nodes: vec![
            constant("a", serde_json::json!([1.0, 2.0]), None),
            node("x", Op::Identity, &["a:0"]),
            node("y", Op::Identity, &["x:0"]),
        ],
    }]);
    h.run_steps(2);
    assert!(h.state().state.engine.errors(0).unwrap().is_empty());
    // A data wire y -> x closes the loop x -> y -> x: refused with the lowering's message.
    h.state_mut().apply(vec![Command::Connect { graph: 0, tensor: "y:0".into(), node: "x".into(), input: 0 }]);
    h.run_steps(2);
    let msg = "the graph has a cycle through x, y";
    let x = h.state().state.doc.project.graphs[0].nodes.iter().find(|n| n.name == "x").unwrap().clone();
    assert_eq!(x.inputs, vec!["a:0"], "the refused wire is not made");
    assert!(log_has(&h, LogKind::Error, &format!("{msg}\n  (wire y:0 → x input 0 refused)")));
    let refusal = h.state().state.view.refusal.clone().expect("refusal shown at the pin");
    assert_eq!((refusal.node.as_str(), refusal.input, refusal.message.as_str()), ("x", 0, msg));
    // A control input y -> x is refused the same way (shown at the node, not at a pin).
    h.state_mut().apply(vec![Command::AddControlInput { graph: 0, from: "y".into(), node: "x".into() }]);
    h.run_steps(2);
    let x = h.state().state.doc.project.graphs[0].nodes.iter().find(|n| n.name == "x").unwrap().clone();
    assert!(x.control_inputs.is_empty(), "the refused control input is not made");
    let refusal = h.state().state.view.refusal.clone().expect("refusal shown at the node");
    assert_eq!((refusal.node.as_str(), refusal.input, refusal.message.as_str()), ("x", usize::MAX, msg));
    // The other direction is no cycle: made.
    h.state_mut().apply(vec![Command::AddControlInput { graph: 0, from: "x".into(), node: "y".into() }]);
    h.run_steps(2);
    let y = h.state().state.doc.project.graphs[0].nodes.iter().find(|n| n.name == "y").unwrap().clone();
    assert_eq!(y.control_inputs, vec!["x"]);
}

#[test]
fn session_commands_act_on_the_session_shown_even_when_ids_repeat() {
    let mut h = harness(empty_app(FakeDialogs::default()));
    h.state_mut().apply(vec![
        Command::AddNodes { graph: 0, nodes: vec![constant("a", serde_json::json!([1.0, 2.0]), None)] },
        Command::OpenSession { graph: 0, config: None },
        Command::ReplayScript,
        Command::ReplayScript,
    ]);
    h.run_steps(2);
    let ids: Vec<String> = h.state().state.engine.ws.sessions.iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids, ["sess1", "sess1 (replay)", "sess1 (replay)"]);
    // Closing the older replayed session closes that one, not the latest with its id.
    h.state_mut().apply(vec![Command::CloseSession { session: 1 }]);
    h.run_steps(2);
    let closed: Vec<bool> = h.state().state.engine.ws.sessions.iter().map(|s| s.session.is_closed()).collect();
    assert_eq!(closed, [false, true, false]);
    assert!(log_has(&h, LogKind::Python, "sess1 (replay).close()"));
    // Running it is refused as TF refuses a closed session; the newer one runs.
    h.state_mut().apply(vec![Command::ToggleFetch("a:0".into()), Command::Run { session: 1 }]);
    h.run_steps(2);
    assert!(log_has(&h, LogKind::Error, "RuntimeError: Attempted to use a closed Session."));
    h.state_mut().apply(vec![Command::Run { session: 2 }]);
    h.run_steps(2);
    assert!(log_has(&h, LogKind::Result, "[1. 2.]"), "{:?}", h.state().state.log);
}

fn open_init_fetch(h: &mut Harness<'_, FlowbenchApp>) {
    h.get_by_label("Open session on 'default'").click();
    h.run_steps(3);
    assert!(log_has(h, LogKind::Python, "sess1 = tf.Session(graph=default)"));
    h.get_by_label("OPEN");
    h.get_by_label("Initialize").click();
    h.run_steps(3);
    assert!(log_has(h, LogKind::Info, "2 variable(s) initialized in sess1"));
    h.state_mut().apply(vec![Command::ToggleFetch("MatMul_1:0".into())]);
    h.run_steps(3);
}

#[test]
fn a_session_from_open_to_close() {
    let mut h = harness(app_on("3_4_4_placeholder.json", FakeDialogs::default()));
    open_init_fetch(&mut h);
    h.get_by_label_contains("variables 2/2 initialized");
    // The run needs input:0: type the feed and run.
    h.get_by_role_and_label(Role::TextInput, "input:0").click();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "input:0").type_text("[[0.7, 0.9]]");
    h.run_steps(2);
    h.get_by_label("▶ Run").click();
    h.run_steps(3);
    assert!(log_has(&h, LogKind::Result, "[[3.957578]]"), "{:?}", h.state().state.log);
    assert!(h.query_all_by_label("[[3.957578]]").count() >= 1);
    // The run was appended to the script: replaying it prints the same numbers.
    let script = h.state().state.doc.project.script.clone();
    assert!(
        script.iter().any(
            |s| matches!(s, flowbench::project::Step::Run { fetches, .. } if fetches == &["MatMul_1:0".to_string()])
        )
    );
    let mut out = Vec::new();
    assert_eq!(flowbench::cli::run_project(&h.state().state.doc.project, &mut out), 0);
    assert!(String::from_utf8(out).unwrap().ends_with("[[3.957578]]\n"));
    // Close: the state changes, the bytes drop to 0, the row stays.
    h.get_by_label("Close").click();
    h.run_steps(3);
    h.get_by_label("CLOSED");
    h.get_by_label_contains("CPU:0 0 B");
    assert_eq!(h.state().state.engine.ws.sessions.len(), 1);
    // Using the closed session shows TF's error.
    h.get_by_role_and_label(Role::Button, "Run").click();
    h.run_steps(3);
    assert!(log_has(&h, LogKind::Error, "RuntimeError: Attempted to use a closed Session."));
}

#[test]
fn a_missing_feed_shows_tfs_message() {
    let mut h = harness(app_on("3_4_4_placeholder.json", FakeDialogs::default()));
    open_init_fetch(&mut h);
    h.get_by_label("not fed: the run will fail as TF does");
    h.get_by_label("▶ Run").click();
    h.run_steps(3);
    let msg =
        "InvalidArgumentError: You must feed a value for placeholder tensor 'input' with dtype float and shape [1,2]";
    assert!(log_has(&h, LogKind::Error, msg), "{:?}", h.state().state.log);
    assert!(h.query_all_by_label(msg).count() >= 2, "shown in the run panel and the log");
    // A feed of the wrong shape is caught before running.
    h.get_by_role_and_label(Role::TextInput, "input:0").click();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "input:0").type_text("[[0.7, 0.9, 1.0]]");
    h.run_steps(2);
    h.get_by_label("ValueError: Cannot feed value of shape (1, 3) for Tensor input:0, which has shape (1, 2)");
}

#[test]
fn two_sessions_on_one_graph_hold_different_values() {
    let mut h = harness(app_on("3_4_3_forward.json", FakeDialogs::default()));
    let open = Command::OpenSession { graph: 0, config: None };
    h.state_mut().apply(vec![open.clone(), open, Command::InitializeVariables { session: 0 }]);
    h.run_steps(2);
    let ws = &h.state().state.engine.ws;
    assert!(ws.sessions[0].session.variable_value("Variable").is_some());
    assert!(ws.sessions[1].session.variable_value("Variable").is_none());
}

#[test]
fn undo_and_redo_cover_edits() {
    let mut h = harness(empty_app(FakeDialogs::default()));
    h.state_mut().apply(vec![Command::AddNodes { graph: 0, nodes: vec![constant("a", serde_json::json!(1.0), None)] }]);
    h.state_mut().apply(vec![Command::RenameNode { graph: 0, old: "a".into(), new: "x".into() }]);
    h.run_steps(2);
    let names = |h: &Harness<'_, FlowbenchApp>| -> Vec<String> {
        h.state().state.doc.project.graphs[0].nodes.iter().map(|n| n.name.clone()).collect()
    };
    assert_eq!(names(&h), vec!["x"]);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(names(&h), vec!["a"]);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    assert!(names(&h).is_empty());
    h.key_press_modifiers(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(names(&h), vec!["a"]);
    h.state_mut().apply(vec![Command::Redo]);
    h.run_steps(2);
    assert_eq!(names(&h), vec!["x"]);
    // Delete, then undo brings the node and its wires back.
    h.state_mut().apply(vec![
        Command::AddNodes {
            graph: 0,
            nodes: vec![node("Neg", Op::Unary { kind: flowbench::engine::graph::elementwise::UnaryOp::Neg }, &["x:0"])],
        },
        Command::Select(vec!["x".into()]),
    ]);
    h.run_steps(2);
    h.key_press(egui::Key::Delete);
    h.run_steps(2);
    assert_eq!(names(&h), vec!["Neg"]);
    h.state_mut().apply(vec![Command::Undo]);
    h.run_steps(2);
    let gd = &h.state().state.doc.project.graphs[0];
    assert_eq!(gd.nodes.iter().find(|n| n.name == "Neg").unwrap().inputs, vec!["x:0"]);
}

#[test]
fn save_then_load_gives_the_same_project() {
    let dir = temp_dir("save");
    let path = dir.join("p.json");
    let mut h = harness(app_on("3_4_4_placeholder.json", FakeDialogs::answering([Some(path.clone())])));
    open_init_fetch(&mut h);
    h.state_mut().apply(vec![Command::AutoLayout { graph: 0 }, Command::ClearRun]);
    h.run_steps(2);
    assert!(h.state().state.title().starts_with("● "), "unsaved changes show a dot");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run_steps(4);
    assert_eq!(h.state().state.title(), "p.json — flowbench");
    let saved = Project::load(&path).unwrap();
    assert_eq!(saved, h.state().state.doc.project);
    assert!(h.state().state.settings.recent.contains(&path));
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);

    // An edit makes it dirty; opening the file asks first, "Don't save" reloads it.
    h.state_mut().apply(vec![Command::DeleteNodes { graph: 0, names: vec!["init_1".into()] }]);
    h.state_mut().apply(vec![Command::OpenPath(path.clone())]);
    h.run_steps(2);
    assert!(matches!(h.state().state.modal, Some(Modal::Unsaved(_))));
    h.get_by_label("Don't save").click();
    h.run_steps(3);
    assert_eq!(h.state().state.doc.project, saved);
    assert!(!h.state().state.doc.is_dirty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_file_shows_the_loaders_message_and_keeps_the_project() {
    let dir = temp_dir("bad");
    let path = dir.join("bad.json");
    std::fs::write(&path, "{ \"format_version\": 1, \"graphs\": [ }").unwrap();
    let mut h = harness(app_on("3_4_4_placeholder.json", FakeDialogs::answering([Some(path.clone())])));
    let before = h.state().state.doc.project.clone();
    h.state_mut().apply(vec![Command::OpenDialog]);
    h.run_steps(4);
    match &h.state().state.modal {
        Some(Modal::Error { title, message }) => {
            assert_eq!(title, "Could not open bad.json");
            assert!(message.starts_with("not a valid flowbench project"), "{message}");
        }
        other => panic!("expected an error dialog, got {other:?}"),
    }
    h.get_by_label_contains("not a valid flowbench project");
    h.get_by_label("OK").click();
    h.run_steps(2);
    assert!(h.state().state.modal.is_none());
    assert_eq!(h.state().state.doc.project, before);
    std::fs::remove_dir_all(&dir).ok();
}
