//! A classifier's evaluation in the window: the digits project (tests/data/idx_training, a
//! 64-30-10 net on the bundled digits) trained from the train panel, its loss and accuracy on
//! the validation and test splits plotted at each evaluation, the test split's confusion matrix
//! and sample pictures with predicted labels; a snapshot of the matrix
//! (`tests/snapshots/confusion_digits.png`).

use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions};
use flowbench::app::FlowbenchApp;
use flowbench::app::command::Command;
use flowbench::app::dialogs::FakeDialogs;
use flowbench::app::model::training::TrainStatus;
use flowbench::app::model::view::Clock;
use flowbench::app::panels::confusion::{confusion_ui, total};
use flowbench::app::state::AppState;
use flowbench::train::data::idx::Split;
use std::path::Path;
use std::time::{Duration, Instant};

#[test]
fn digits_training_plots_accuracy_and_a_confusion_matrix() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/idx_training/idx_training.json");
    let project = flowbench::project::Project::load(&path).unwrap();
    let mut s = AppState::new(project, Some(path), "idx_training.json".to_string(), Box::new(FakeDialogs::default()));
    s.clock = Clock::Fixed(0.0);
    let app = FlowbenchApp::with_state(s);
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).build_eframe(move |_| app);
    h.run_steps(3);
    h.get_by_label("Training").click();
    h.run_steps(2);
    h.get_by_label("Sample images").click();
    h.run_steps(2);
    let mut setup = h.state().state.training.setup.clone();
    setup.steps = 301;
    setup.eval_every = 100;
    h.state_mut().state.apply_all(vec![Command::SetTrainSetup(Box::new(setup))]);
    h.run_steps(2);
    h.get_by_label("▶ Start").click();
    h.run_steps(1);
    let t = Instant::now();
    while h.state().state.training.run.as_ref().is_none_or(|r| r.job.is_some()) {
        assert!(t.elapsed() < Duration::from_secs(120), "timed out waiting for the job to end");
        h.step();
        std::thread::sleep(Duration::from_millis(2));
    }
    h.run_steps(3);
    let run = h.state().state.training.run.as_ref().unwrap();
    assert_eq!(run.status, TrainStatus::Finished);
    // Evaluations after steps 0, 100, 200 and 300, on both splits.
    for k in 0..2 {
        assert_eq!(run.split_accuracy[k].total(), 4, "split {k}");
        assert_eq!(run.split_loss[k].total(), 4, "split {k}");
    }
    let acc = run.split_accuracy[1].points();
    let last = acc.last().unwrap().value;
    assert!(last > acc[0].value && last > 0.5, "test accuracy {acc:?}");
    let e = run.test_eval.clone().unwrap();
    assert_eq!((e.split, e.step), (Split::Test, 300));
    assert_eq!(total(&e), 300);
    let diagonal: u64 = (0..10).map(|k| e.confusion[k * 10 + k]).sum();
    assert!((diagonal as f64 / 300.0 - e.accuracy).abs() < 1e-12);
    // The plots beside the loss: the accuracy, the matrix and the captioned test examples.
    h.get_by_label("Accuracy");
    h.get_by_label("Confusion matrix (test, step 300, 300 examples)");
    h.get_by_label("Test examples (true label, or true -> predicted)");

    // The matrix alone, rendered.
    let mut m = Harness::builder()
        .with_size(egui::Vec2::new(320.0, 330.0))
        .wgpu()
        .build_ui(move |ui| confusion_ui(ui, &e, 300.0));
    m.run_steps(2);
    m.snapshot_options("confusion_digits", &SnapshotOptions::new().threshold(0.6).max_failed_pixels(64));
}
