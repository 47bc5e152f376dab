//! Screenshot tests, rendered by wgpu (Mesa's lavapipe on Linux: install `mesa-vulkan-drivers`):
//! the main window on the startup example, a session list with one open and one closed
//! session, the same with a graph named in Chinese, a node drawn in error, the run panel with
//! results, the training view, and the main window, the session list and the training view in
//! Chinese (rendered with the bundled CJK font, no system font needed). The PNGs live in
//! `tests/snapshots/`; `UPDATE_SNAPSHOTS=1 cargo test --test ui_snapshots` rewrites them.

use egui_kittest::{Harness, SnapshotOptions};
use flowbench::app::command::Command;
use flowbench::app::dialogs::FakeDialogs;
use flowbench::app::model::view::Clock;
use flowbench::app::panels::graph_editor::GraphEditor;
use flowbench::app::panels::run::RunPanel;
use flowbench::app::panels::sessions::SessionsPanel;
use flowbench::app::state::AppState;
use flowbench::app::{FlowbenchApp, examples};
use flowbench::engine::graph::elementwise::BinaryOp;
use flowbench::engine::graph::op::{ConstValue, Op};
use flowbench::engine::value::Value;
use flowbench::project::NodeDef;

fn state(example: &str) -> AppState {
    // The UI thread's language: English unless a test asks for Chinese (a test thread may be reused).
    flowbench::app::i18n::set_language("en");
    let mut s = AppState::with_example(example, Box::new(FakeDialogs::default()));
    s.clock = Clock::Fixed(0.0);
    s
}

/// Lavapipe renders the same on every machine, but egui-snarl keeps wires in a hash set, so
/// the order in which crossing wires are drawn (and blended) changes from run to run: allow the
/// few anti-aliased pixels where wires cross to differ.
fn options() -> SnapshotOptions {
    SnapshotOptions::new().threshold(0.6).max_failed_pixels(64)
}

/// The first view shows the whole 86-node training graph at a small zoom, where about a hundred
/// wires cross: their blending order (a hash set's) moves up to a few thousand anti-aliased
/// pixels from run to run (726 seen at this threshold). Nodes and text still have to match.
fn first_view_options() -> SnapshotOptions {
    options().max_failed_pixels(4000)
}

/// Opens a session, initializes it, feeds input:0 and fetches MatMul_1:0 (the seed's 3.4.4).
fn run_forward(s: &mut AppState) {
    s.apply_all(vec![
        Command::OpenSession { graph: 0, config: None },
        Command::InitializeVariables { session: 0 },
        Command::ToggleFetch("MatMul_1:0".into()),
        Command::SetFeed("input:0".into(), "[[0.7, 0.9]]".into()),
        Command::Run { session: 0 },
    ]);
}

#[test]
fn main_window_on_the_startup_example() {
    let app = FlowbenchApp::with_state(state(examples::STARTUP_EXAMPLE));
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).wgpu().build_eframe(move |_| app);
    h.run_steps(6);
    // At the first view's readable zoom, many wires cross (into the collapsed gradients group):
    // allow more of their anti-aliased crossings to blend in another order.
    h.snapshot_options("main_window", &first_view_options());
}

#[test]
fn session_list_with_one_open_and_one_closed() {
    let mut s = state("3_4_3_forward.json");
    s.apply_all(vec![
        Command::OpenSession { graph: 0, config: None },
        Command::InitializeVariables { session: 0 },
        Command::CloseSession { session: 0 },
        Command::OpenSession { graph: 0, config: None },
        Command::InitializeVariables { session: 1 },
    ]);
    let mut panel = SessionsPanel::default();
    let mut h = Harness::builder().with_size(egui::Vec2::new(420.0, 300.0)).wgpu().build_ui_state(
        move |ui, s: &mut AppState| {
            let mut out = Vec::new();
            panel.ui(ui, s, &mut out);
        },
        s,
    );
    h.run_steps(3);
    h.snapshot_options("sessions_open_and_closed", &options());
}

/// A graph and a config named in Chinese render with the bundled CJK font (no tofu), on a
/// machine with no CJK font installed.
#[test]
fn session_list_with_chinese_names() {
    let mut s = state("3_4_3_forward.json");
    s.apply_all(vec![
        Command::RenameGraph { graph: 0, name: "默认图".into() },
        Command::OpenSession { graph: 0, config: None },
        Command::InitializeVariables { session: 0 },
    ]);
    let mut panel = SessionsPanel::default();
    let mut h = Harness::builder().with_size(egui::Vec2::new(420.0, 200.0)).wgpu().build_ui_state(
        move |ui, s: &mut AppState| {
            let mut out = Vec::new();
            panel.ui(ui, s, &mut out);
        },
        s,
    );
    flowbench::app::fonts::install(&h.ctx);
    h.run_steps(3);
    h.snapshot_options("sessions_chinese_names", &options());
}

#[test]
fn a_node_in_error() {
    let mut s = state("3_1_device.json");
    let c = |name: &str, v: serde_json::Value, pos: [f32; 2]| NodeDef {
        name: name.into(),
        op: Op::Const { value: ConstValue(Value::from_json(&v, None).unwrap()) },
        inputs: vec![],
        control_inputs: vec![],
        device: String::new(),
        pos: Some(pos),
    };
    // `c` becomes int32 after `add_1` was wired: the add is rebuilt and fails with TF's message.
    s.apply_all(vec![
        Command::AddNodes { graph: 0, nodes: vec![c("c", serde_json::json!([4.0, 5.0]), [0.0, 240.0])] },
        Command::AddNodes {
            graph: 0,
            nodes: vec![NodeDef {
                name: "add_1".into(),
                op: Op::Binary { kind: BinaryOp::Add },
                inputs: vec!["a:0".into(), "c:0".into()],
                control_inputs: vec![],
                device: String::new(),
                pos: Some([220.0, 200.0]),
            }],
        },
        Command::SetOp {
            graph: 0,
            node: "c".into(),
            op: Op::Const { value: ConstValue(Value::from_json(&serde_json::json!([4, 5]), None).unwrap()) },
        },
    ]);
    assert!(s.engine.errors(0).unwrap().contains_key("add_1"));
    let mut editor = GraphEditor::default();
    let mut h = Harness::builder().with_size(egui::Vec2::new(900.0, 640.0)).wgpu().build_ui_state(
        move |ui, s: &mut AppState| {
            let mut out = Vec::new();
            editor.ui(ui, s, &mut out);
        },
        s,
    );
    h.run_steps(4);
    h.snapshot_options("node_in_error", &options());
}

#[test]
fn run_panel_with_results() {
    let mut s = state("3_4_4_placeholder.json");
    run_forward(&mut s);
    assert_eq!(
        s.last_result.as_ref().map(|r| r.values.clone()),
        Some(vec![("MatMul_1:0".into(), "[[3.957578]]".into())])
    );
    let mut panel = RunPanel::default();
    let mut h = Harness::builder().with_size(egui::Vec2::new(640.0, 360.0)).wgpu().build_ui_state(
        move |ui, s: &mut AppState| {
            let mut out = Vec::new();
            panel.ui(ui, s, &mut out);
        },
        s,
    );
    h.run_steps(3);
    h.snapshot_options("run_panel_results", &options());
}

#[test]
fn training_view_at_step_2000() {
    use flowbench::app::model::training::TrainStatus;
    use flowbench::train::worker::Command as Job;
    let mut s = state(examples::STARTUP_EXAMPLE);
    let mut setup = s.training.setup.clone();
    // Step-driven weight histories, so the picture is the same on every run.
    setup.weights_every = 50;
    s.apply_all(vec![
        Command::SetTrainSetup(Box::new(setup)),
        Command::StartTraining { paused: true },
        Command::TrainControl(Job::Step(2000)),
        Command::ShowTraining(true),
    ]);
    let app = FlowbenchApp::with_state(s);
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).wgpu().build_eframe(move |_| app);
    let t = std::time::Instant::now();
    loop {
        h.step();
        let r = h.state().state.training.run.as_ref().expect("training started");
        if r.step == 2000 && r.status == TrainStatus::Paused && r.boundary.as_ref().is_some_and(|b| b.step == 2000) {
            break;
        }
        assert!(t.elapsed().as_secs() < 120, "training did not reach step 2000");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    h.run_steps(4);
    h.snapshot_options("training_view", &options());
    h.state_mut().apply(vec![Command::TrainControl(Job::Stop)]);
}

/// The state of `example` with the window in 简体中文 (the language the window sets each frame).
fn state_zh(example: &str) -> AppState {
    let mut s = state(example);
    s.settings.language = Some("zh-CN".into());
    // Commands applied before the first frame log in the window's language too.
    flowbench::app::i18n::set_language("zh-CN");
    s
}

#[test]
fn main_window_in_chinese() {
    let app = FlowbenchApp::with_state(state_zh(examples::STARTUP_EXAMPLE));
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).wgpu().build_eframe(move |cc| {
        flowbench::app::fonts::install(&cc.egui_ctx);
        app
    });
    h.run_steps(6);
    h.snapshot_options("main_window_zh", &first_view_options());
    flowbench::app::i18n::set_language("en");
}

#[test]
fn session_list_in_chinese() {
    let mut s = state_zh("3_4_3_forward.json");
    s.apply_all(vec![
        Command::OpenSession { graph: 0, config: None },
        Command::InitializeVariables { session: 0 },
        Command::CloseSession { session: 0 },
        Command::OpenSession { graph: 0, config: None },
        Command::InitializeVariables { session: 1 },
    ]);
    let mut panel = SessionsPanel::default();
    let mut h = Harness::builder().with_size(egui::Vec2::new(420.0, 300.0)).wgpu().build_ui_state(
        move |ui, s: &mut AppState| {
            // A panel alone has no window to set the language each frame.
            flowbench::app::i18n::set_language("zh-CN");
            let mut out = Vec::new();
            panel.ui(ui, s, &mut out);
        },
        s,
    );
    flowbench::app::fonts::install(&h.ctx);
    h.run_steps(3);
    h.snapshot_options("sessions_open_and_closed_zh", &options());
    flowbench::app::i18n::set_language("en");
}

#[test]
fn training_view_in_chinese() {
    use flowbench::app::model::training::TrainStatus;
    use flowbench::train::worker::Command as Job;
    let mut s = state_zh(examples::STARTUP_EXAMPLE);
    let mut setup = s.training.setup.clone();
    setup.weights_every = 50;
    s.apply_all(vec![
        Command::SetTrainSetup(Box::new(setup)),
        Command::StartTraining { paused: true },
        Command::TrainControl(Job::Step(2000)),
        Command::ShowTraining(true),
    ]);
    let app = FlowbenchApp::with_state(s);
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).wgpu().build_eframe(move |cc| {
        flowbench::app::fonts::install(&cc.egui_ctx);
        app
    });
    let t = std::time::Instant::now();
    loop {
        h.step();
        let r = h.state().state.training.run.as_ref().expect("training started");
        if r.step == 2000 && r.status == TrainStatus::Paused && r.boundary.as_ref().is_some_and(|b| b.step == 2000) {
            break;
        }
        assert!(t.elapsed().as_secs() < 120, "training did not reach step 2000");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    h.run_steps(4);
    h.snapshot_options("training_view_zh", &options());
    h.state_mut().apply(vec![Command::TrainControl(Job::Stop)]);
    flowbench::app::i18n::set_language("en");
}
