//! Defects of the window found during the redesign, each driven headless with egui_kittest:
//! undo after training on a generated dataset keeps the saved file loadable, and the editor's
//! "nodes the next run executes" follow the engine's rule (never through a ref input).

use crate::common::temp_dir;
use egui_kittest::Harness;
use flowbench::app::FlowbenchApp;
use flowbench::app::command::Command;
use flowbench::app::dialogs::FakeDialogs;
use flowbench::app::model::document::run_closure;
use flowbench::app::model::training::TrainStatus;
use flowbench::app::model::view::Clock;
use flowbench::app::state::AppState;
use flowbench::project::Project;
use flowbench::project::script::Step;
use flowbench::train::data::dataset::DatasetSource;
use std::time::{Duration, Instant};

fn harness() -> Harness<'static, FlowbenchApp> {
    let mut s = AppState::with_example("3_4_5_training.json", Box::new(FakeDialogs::default()));
    s.clock = Clock::Fixed(0.0);
    let app = FlowbenchApp::with_state(s);
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).build_eframe(move |_| app);
    h.run_steps(3);
    h
}

#[test]
fn undo_after_training_on_a_generated_dataset_keeps_the_file_loadable() {
    let dir = temp_dir("undo-train");
    let mut h = harness();
    let graph = h.state().state.training.setup.graph;
    // An edit to undo later.
    h.state_mut().apply(vec![Command::SetGraphSeed { graph, seed: Some(7) }]);
    assert!(h.state().state.history.can_undo());
    // Train on a generated dataset: it joins the project and the train loop names it.
    let mut setup = h.state().state.training.setup.clone();
    setup.dataset_name = "circle".into();
    setup.dataset = DatasetSource::Circle { seed: 3, rows: 200, noise: 0.1 };
    setup.steps = 20;
    setup.eval_every = 10;
    h.state_mut().apply(vec![Command::SetTrainSetup(Box::new(setup)), Command::StartTraining { paused: false }]);
    let ended = |a: &FlowbenchApp| a.state.training.run.as_ref().is_some_and(|r| r.job.is_none());
    let t = Instant::now();
    while !ended(h.state()) {
        assert!(t.elapsed() < Duration::from_secs(120), "timed out waiting for the job to end");
        h.step();
        std::thread::sleep(Duration::from_millis(2));
    }
    h.run_steps(2);
    let s = &h.state().state;
    assert_eq!(s.training.run.as_ref().map(|r| r.status.clone()), Some(TrainStatus::Finished));
    assert!(matches!(s.doc.project.script.last(), Some(Step::TrainLoop { dataset, .. }) if dataset == "circle"));

    // Undo the edit: the seed goes back, the dataset the script names stays.
    h.state_mut().apply(vec![Command::Undo]);
    h.run_steps(2);
    let s = &h.state().state;
    assert_eq!(s.doc.project.graphs[graph].seed, None, "the edit was undone");
    assert!(s.doc.project.dataset("circle").is_some(), "the train loop's dataset is kept");
    // Redo keeps it too.
    h.state_mut().apply(vec![Command::Redo, Command::Undo]);

    // The saved file opens again.
    let path = dir.join("after_undo.json");
    h.state_mut().apply(vec![Command::SaveTo(path.clone())]);
    h.run_steps(1);
    let loaded = Project::load(&path);
    assert!(loaded.is_ok(), "the saved file does not load: {:?}", loaded.err().map(|e| e.to_string()));
    assert!(loaded.unwrap().validate().is_ok());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_run_closure_never_goes_through_a_ref_input() {
    let mut h = harness();
    h.state_mut().apply(vec![Command::ToggleTarget("Adam".to_string())]);
    h.run_steps(2);
    let s = &h.state().state;
    let gd = s.active_def().expect("the example's graph");
    // As the graph editor outlines it.
    let (nodes, placeholders) = run_closure(gd, &s.view.fetches, &s.view.targets, &[]);
    for n in ["Adam", "Adam/update_Variable/ApplyAdam", "Adam/Assign", "beta1_power", "gradients/MatMul_grad/MatMul_1"]
    {
        assert!(nodes.contains(n), "{n} runs");
    }
    // The slots are ref inputs of ApplyAdam (var, m, v): the engine never schedules them, nor
    // their initializers.
    for n in [
        "Variable/Adam",
        "Variable/Adam_1",
        "Variable_1/Adam",
        "Variable_1/Adam_1",
        "Variable/Adam/Assign",
        "Variable/Adam/Initializer/zeros",
        "beta1_power/Assign",
        "Variable/Assign",
    ] {
        assert!(!nodes.contains(n), "{n} does not run");
    }
    assert_eq!(placeholders, vec!["x-input:0".to_string(), "y-input:0".to_string()]);
    // A fed placeholder is not executed.
    let (nodes, placeholders) = run_closure(gd, &[], &s.view.targets, &["x-input:0".to_string()]);
    assert!(!nodes.contains("x-input"));
    assert_eq!(placeholders, vec!["y-input:0".to_string()]);
}
