//! TF's checkpoints in the window, driven with egui_kittest: Session ▸ Save checkpoint… and
//! Restore checkpoint… through the (fake) file dialogs, recorded in the script; TF's error when
//! a checkpoint lacks a variable, shown as a failed run is; the checkpoint browser on the
//! checkpoint real TF wrote (`tests/data/tf/ckpt/`), with its snapshot; the built-in file
//! browser offering checkpoints when no native dialog can be shown; a TF graph with an op
//! flowbench lacks opened with it as a node in error.

use crate::common::{root, temp_dir};
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions};
use flowbench::app::FlowbenchApp;
use flowbench::app::command::Command;
use flowbench::app::dialogs::{DialogKind, FakeDialogs};
use flowbench::app::model::view::Clock;
use flowbench::app::state::AppState;
use flowbench::project::script::Step;

fn harness(dialogs: FakeDialogs, wgpu: bool) -> Harness<'static, FlowbenchApp> {
    flowbench::app::i18n::set_language("en");
    let mut s = AppState::with_example("3_4_3_forward.json", Box::new(dialogs));
    s.clock = Clock::Fixed(0.0);
    let app = FlowbenchApp::with_state(s);
    let b = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0));
    let mut h = if wgpu { b.wgpu().build_eframe(move |_| app) } else { b.build_eframe(move |_| app) };
    h.run_steps(3);
    h
}

fn menu(h: &mut Harness<'static, FlowbenchApp>, menu: &str, item: &str) {
    // The menu bar comes first (the sessions panel's heading is also "Session").
    h.get_all_by_label(menu).next().expect("the menu").click();
    h.run_steps(2);
    h.get_by_label_contains(item).click();
    h.run_steps(4);
}

fn variable(h: &Harness<'static, FlowbenchApp>, session: usize, name: &str) -> Option<flowbench::engine::Value> {
    h.state().state.engine.ws.sessions[session].session.variable_value(name).cloned()
}

#[test]
fn save_then_restore_into_a_new_session_through_the_session_menu() {
    let dir = temp_dir("ui-ckpt");
    let prefix = dir.join("model.ckpt");
    let dialogs = FakeDialogs::answering([Some(prefix.clone()), Some(dir.join("checkpoint"))]);
    let mut h = harness(dialogs, false);
    h.state_mut()
        .apply(vec![Command::OpenSession { graph: 0, config: None }, Command::InitializeVariables { session: 0 }]);
    h.run_steps(2);
    menu(&mut h, "Session", "Save checkpoint…");
    for f in ["model.ckpt.index", "model.ckpt.data-00000-of-00001", "model.ckpt.meta", "checkpoint"] {
        assert!(dir.join(f).is_file(), "{f} was not written");
    }
    let w = variable(&h, 0, "Variable").expect("Variable is initialized");

    // A new session: its variables are uninitialized until the checkpoint is restored.
    h.state_mut().apply(vec![Command::OpenSession { graph: 0, config: None }]);
    h.run_steps(2);
    assert_eq!(h.state().state.view.run_session, Some(1));
    assert!(variable(&h, 1, "Variable").is_none());
    menu(&mut h, "Session", "Restore checkpoint…");
    assert_eq!(variable(&h, 1, "Variable"), Some(w));

    let s = &h.state().state;
    let steps: Vec<&Step> = s.doc.project.script.iter().collect();
    assert!(
        steps.iter().any(|st| matches!(st, Step::SaveCheckpoint { path, .. } if std::path::Path::new(path) == prefix))
    );
    assert!(
        steps
            .iter()
            .any(|st| matches!(st, Step::RestoreCheckpoint { path, .. } if std::path::Path::new(path) == prefix))
    );
    let log: Vec<&str> = s.log.iter().map(|e| e.text.as_str()).collect();
    assert!(log.iter().any(|l| l.starts_with("tf.train.Saver().restore(sess2, '")), "{log:?}");
    assert!(log.iter().any(|l| l.starts_with("2 variable(s) restored from")), "{log:?}");
}

#[test]
fn a_checkpoint_without_the_variables_fails_with_tf_error() {
    // The checkpoint real TF wrote has other variables.
    let tf = root().join("tests/data/tf/ckpt/model.ckpt.index");
    let mut h = harness(FakeDialogs::answering([Some(tf)]), false);
    h.state_mut().apply(vec![Command::OpenSession { graph: 0, config: None }]);
    h.run_steps(2);
    menu(&mut h, "Session", "Restore checkpoint…");
    let s = &h.state().state;
    let err = s.last_result.as_ref().and_then(|r| r.error.clone()).expect("the run panel shows the error");
    assert!(err.starts_with("NotFoundError: Restoring from checkpoint failed."), "{err}");
    assert!(err.ends_with("Key Variable not found in checkpoint"), "{err}");
    assert!(s.log.iter().any(|e| e.text == err));
    assert!(s.engine.ws.sessions[0].session.variable_value("Variable").is_none(), "nothing is restored");
}

#[test]
fn the_checkpoint_browser_lists_what_tf_wrote() {
    let tf = root().join("tests/data/tf/ckpt/checkpoint");
    let mut h = harness(FakeDialogs::answering([Some(tf)]), true);
    menu(&mut h, "File", "Open checkpoint…");
    {
        let b = h.state().state.checkpoint.as_ref().expect("the browser is open");
        assert!(b.error.is_none(), "{:?}", b.error);
        assert_eq!(b.prefix, root().join("tests/data/tf/ckpt/model.ckpt"));
    }
    h.get_by_label("9 tensor(s), 44 value(s) in all");
    h.get_by_label("weights/matrix");
    h.get_by_label("[2, 3, 4]");
    h.get_by_label("Restore (open a session first)");
    h.get_by_label("ints").click();
    h.run_steps(3);
    let b = h.state().state.checkpoint.as_ref().unwrap();
    assert_eq!(b.selected.as_deref(), Some("ints"));
    let text = b.value.clone().unwrap().unwrap();
    assert!(text.starts_with("[[[-12 -11 -10  -9]"), "{text}");
    h.get_by_label(&text);
    h.snapshot_options("checkpoint_browser", &SnapshotOptions::new().threshold(0.6).max_failed_pixels(400));
    // Closing it.
    h.state_mut().apply(vec![Command::CloseCheckpointBrowser]);
    h.run_steps(2);
    assert!(h.state().state.checkpoint.is_none());
    // A checkpoint's file opened (dropped on the window, or `flowbench model.ckpt.index`) opens
    // the browser and leaves the document as it was.
    let before = h.state().state.doc.display_name.clone();
    h.state_mut().apply(vec![Command::OpenPath(root().join("tests/data/tf/ckpt/model.ckpt.index"))]);
    h.run_steps(2);
    assert!(h.state().state.checkpoint.as_ref().is_some_and(|b| b.tensors.len() == 9));
    assert_eq!(h.state().state.doc.display_name, before);
}

#[test]
fn without_a_native_dialog_the_built_in_browser_offers_checkpoints() {
    let dir = temp_dir("ui-ckpt-browser");
    std::fs::write(dir.join("checkpoint"), "model_checkpoint_path: \"m\"\n").unwrap();
    std::fs::write(dir.join("notes.json"), "{}").unwrap();
    let mut h = harness(FakeDialogs::unavailable(), false);
    h.state_mut().state.settings.last_dir = Some(dir.clone());
    menu(&mut h, "File", "Open checkpoint…");
    let b = h.state().state.browser.as_ref().expect("the built-in browser is shown");
    assert_eq!(b.kind, DialogKind::OpenCheckpoint);
    let names: Vec<&str> = b.entries.iter().map(|e| e.name.as_str()).collect();
    assert!(names.contains(&"checkpoint") && !names.contains(&"notes.json"), "{names:?}");
}

#[test]
fn a_tf_graph_opens_with_unsupported_ops_as_nodes_in_error() {
    let pbtxt = root().join("tests/data/tf/graphs/tiled.pbtxt");
    let mut h = harness(FakeDialogs::answering([Some(pbtxt)]), false);
    menu(&mut h, "File", "Import TensorFlow graph…");
    let s = &h.state().state;
    assert_eq!(s.doc.display_name, "tiled.json");
    let errors = s.engine.errors(0).expect("the graph was lowered");
    assert!(errors["tiled"].message.starts_with("NotFoundError: Op type not registered 'Tile'"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(s.log.iter().any(|e| e.text == "node 'tiled' kept in error: flowbench has no op 'Tile'"));
}

/// The train panel's "TensorBoard log": checking it shows the folder field; training in the
/// window then writes an event file with the graph, the loss at each evaluation (the values the
/// Training view plots) and histograms of the watched weights.
#[test]
fn training_in_the_window_writes_a_tensorboard_log() {
    use flowbench::formats::events::read_events;
    use flowbench::formats::proto::{EventKind, SummaryValueKind};
    let logs = temp_dir("ui-tensorboard").join("logs");
    flowbench::app::i18n::set_language("en");
    let mut s = AppState::with_example("3_4_5_training.json", Box::new(FakeDialogs::default()));
    s.clock = Clock::Fixed(0.0);
    let app = FlowbenchApp::with_state(s);
    // Tall enough for the whole train panel.
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 1600.0)).build_eframe(move |_| app);
    h.run_steps(3);
    h.get_by_label("Training").click();
    h.run_steps(2);
    h.get_by_label("TensorBoard log").click();
    h.run_steps(2);
    assert!(h.state().state.training.setup.tensorboard);
    h.get_by_label("folder");
    let mut setup = h.state().state.training.setup.clone();
    setup.logdir = logs.display().to_string();
    setup.steps = 2000;
    h.state_mut().apply(vec![Command::SetTrainSetup(Box::new(setup)), Command::StartTraining { paused: false }]);
    let t = std::time::Instant::now();
    while h.state().state.training.run.as_ref().is_none_or(|r| r.job.is_some()) {
        assert!(t.elapsed().as_secs() < 120, "training did not end");
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    h.run_steps(2);
    let run = h.state().state.training.run.as_ref().unwrap();
    let plotted: Vec<(i64, f32)> = run.eval_loss.points().iter().map(|p| (p.step as i64, p.value as f32)).collect();
    let files: Vec<_> = std::fs::read_dir(&logs).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    let events = read_events(&files[0]).unwrap();
    assert!(matches!(events[1].what, Some(EventKind::GraphDef(_))));
    let mut losses = Vec::new();
    let mut hists = std::collections::BTreeSet::new();
    for e in &events {
        if let Some(EventKind::Summary(sm)) = &e.what {
            for v in &sm.value {
                match &v.value {
                    Some(SummaryValueKind::SimpleValue(x)) if v.tag == "loss" => losses.push((e.step, *x)),
                    Some(SummaryValueKind::Histo(_)) => {
                        hists.insert((e.step, v.tag.clone()));
                    }
                    _ => {}
                }
            }
        }
    }
    assert_eq!(losses, plotted);
    assert_eq!(losses.first().map(|l| l.0), Some(0), "{losses:?}");
    assert!(hists.contains(&(1000, "Variable".to_string())) && hists.contains(&(1000, "Variable_1".to_string())));
    assert!(h.state().state.log.iter().any(|e| e.text.starts_with("TensorBoard log: ")));
}
