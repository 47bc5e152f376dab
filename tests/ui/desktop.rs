//! The window as a desktop user expects it: files that always open and save (the built-in file
//! browser when no native dialog can be shown, errors in a modal and the log, the
//! unsaved-changes prompt's Save carrying on), clicks that select, and the notes panel.

use crate::common::temp_dir;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use flowbench::app::FlowbenchApp;
use flowbench::app::command::Command;
use flowbench::app::dialogs::{DialogKind, FakeDialogs};
use flowbench::app::model::log::LogKind;
use flowbench::app::model::modal::Modal;
use flowbench::app::model::view::Clock;
use flowbench::app::state::AppState;
use flowbench::project::Project;
use std::path::Path;

fn app_on(example: &str, dialogs: FakeDialogs) -> FlowbenchApp {
    let mut s = AppState::with_example(example, Box::new(dialogs));
    s.clock = Clock::Fixed(0.0);
    FlowbenchApp::with_state(s)
}

fn harness(app: FlowbenchApp) -> Harness<'static, FlowbenchApp> {
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).build_eframe(move |_| app);
    h.run_steps(3);
    h
}

fn browse_to(h: &mut Harness<'static, FlowbenchApp>, dir: &Path) {
    h.get_by_role_and_label(Role::TextInput, "Folder:").focus();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(Role::TextInput, "Folder:").type_text(&dir.display().to_string());
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
}

#[test]
fn without_a_native_dialog_save_as_and_open_go_through_the_built_in_browser() {
    let dir = temp_dir("browser");
    let mut h = harness(app_on("3_4_4_placeholder.json", FakeDialogs::unavailable()));
    h.state_mut().apply(vec![Command::AutoLayout { graph: 0 }]);
    h.run_steps(1);
    // Save As: the browser opens with the example's name proposed, focused on the name field.
    h.key_press_modifiers(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, egui::Key::S);
    h.run_steps(3);
    assert_eq!(h.state().state.browser.as_ref().map(|b| b.kind), Some(DialogKind::SaveAs));
    h.get_by_label("Save project as");
    browse_to(&mut h, &dir);
    assert_eq!(h.state().state.browser.as_ref().unwrap().dir, std::path::absolute(&dir).unwrap());
    h.get_by_role_and_label(Role::TextInput, "File name:").focus();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(Role::TextInput, "File name:").type_text("mine");
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    let path = std::path::absolute(dir.join("mine.json")).unwrap();
    assert!(h.state().state.browser.is_none());
    assert_eq!(h.state().state.title(), "mine.json — flowbench");
    assert_eq!(Project::load(&path).unwrap(), h.state().state.doc.project);

    // Open: the listing shows the folder's projects; arrows choose, Enter opens.
    h.state_mut().apply(vec![Command::OpenExample("3_1_device.json".into())]);
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    h.run_steps(3);
    assert_eq!(h.state().state.browser.as_ref().map(|b| b.kind), Some(DialogKind::Open));
    h.get_by_label_contains("🗋 mine.json");
    h.key_press(egui::Key::ArrowDown); // ..
    h.key_press(egui::Key::ArrowDown); // mine.json
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert!(h.state().state.browser.is_none());
    assert_eq!(h.state().state.doc.path.as_deref(), Some(path.as_path()));
    assert_eq!(h.state().state.title(), "mine.json — flowbench");
    // Escape cancels and changes nothing.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    h.run_steps(3);
    assert!(h.state().state.browser.is_some());
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(h.state().state.browser.is_none());
    assert_eq!(h.state().state.doc.path.as_deref(), Some(path.as_path()));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn save_on_the_unsaved_changes_prompt_carries_on_with_the_action() {
    let dir = temp_dir("prompt");
    let mut h = harness(app_on("3_4_4_placeholder.json", FakeDialogs::unavailable()));
    h.state_mut().apply(vec![Command::AutoLayout { graph: 0 }]);
    h.state_mut().apply(vec![Command::OpenExample("3_1_device.json".into())]);
    h.run_steps(2);
    assert!(matches!(h.state().state.modal, Some(Modal::Unsaved(_))));
    h.get_by_label("Save").click();
    h.run_steps(3);
    assert!(h.state().state.browser.is_some(), "an example has no file yet: Save asks where");
    browse_to(&mut h, &dir);
    h.get_by_label("Save").click();
    h.run_steps(3);
    assert!(std::path::absolute(dir.join("3_4_4_placeholder.json")).unwrap().is_file());
    assert_eq!(h.state().state.doc.display_name, "3_1_device.json (example)", "then the example opened");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_failed_save_says_why_in_a_modal_and_the_log_and_loses_nothing() {
    let dir = temp_dir("fail");
    let missing = dir.join("no-such-folder").join("p.json");
    let mut h = harness(app_on("3_4_4_placeholder.json", FakeDialogs::answering([Some(missing.clone())])));
    h.state_mut().apply(vec![Command::AutoLayout { graph: 0 }]);
    let before = h.state().state.doc.project.clone();
    h.state_mut().apply(vec![Command::Quit]);
    h.run_steps(2);
    h.get_by_label("Save").click();
    h.run_steps(4);
    match &h.state().state.modal {
        Some(Modal::Error { title, .. }) => assert!(title.starts_with("Could not save"), "{title}"),
        other => panic!("expected an error, got {other:?}"),
    }
    assert!(!h.state().state.quit_requested, "the quit it guarded waits");
    h.get_by_label("OK").click();
    h.run_steps(2);
    assert!(h.state().state.log.iter().any(|e| e.kind == LogKind::Error && e.text.starts_with("Could not save")));
    assert_eq!(h.state().state.doc.project, before);
    assert!(h.state().state.doc.is_dirty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_project_named_at_start_opens_and_the_title_names_it() {
    let path = crate::common::root().join("assets/examples/3_4_4_placeholder.json");
    let mut s = AppState::with_example("3_4_5_training.json", Box::new(FakeDialogs::default()));
    s.open_at_start(path.clone());
    assert_eq!(s.title(), "3_4_4_placeholder.json — flowbench");
    assert!(s.settings.recent.contains(&path));
    // A file that cannot be opened leaves the startup project, with the reason.
    let mut s = AppState::with_example("3_4_5_training.json", Box::new(FakeDialogs::default()));
    s.open_at_start("no/such/file.json".into());
    assert!(matches!(s.modal, Some(Modal::Error { .. })));
    assert!(s.title().starts_with("3_4_5_training.json"));
}

#[test]
fn the_command_line_takes_a_file_beside_its_subcommands() {
    use clap::Parser;
    use flowbench::cli::{Cli, Command as Sub};
    let c = Cli::try_parse_from(["flowbench", "assets/examples/3_4_4_placeholder.json"]).unwrap();
    assert_eq!(c.file.as_deref(), Some(Path::new("assets/examples/3_4_4_placeholder.json")));
    assert!(c.command.is_none());
    let c = Cli::try_parse_from(["flowbench", "run", "x.json"]).unwrap();
    assert!(matches!(c.command, Some(Sub::Run { .. })) && c.file.is_none());
    assert!(Cli::try_parse_from(["flowbench"]).unwrap().file.is_none());
}

fn selection(h: &Harness<'static, FlowbenchApp>) -> Vec<String> {
    let mut v = h.state().state.view.selection.clone();
    v.sort();
    v
}

fn click_at(h: &mut Harness<'static, FlowbenchApp>, pos: egui::Pos2, modifiers: egui::Modifiers) {
    h.event(egui::Event::ModifiersChanged(modifiers));
    h.event(egui::Event::PointerMoved(pos));
    h.run_steps(1);
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton { pos, button: egui::PointerButton::Primary, pressed, modifiers });
        h.run_steps(1);
    }
    h.event(egui::Event::ModifiersChanged(egui::Modifiers::NONE));
    h.run_steps(2);
}

#[test]
fn a_click_selects_a_node_shift_or_ctrl_adds_and_empty_canvas_or_escape_clears() {
    let mut h = harness(app_on("3_4_4_placeholder.json", FakeDialogs::default()));
    h.run_steps(3);
    // Labels on the canvas are laid out in canvas coordinates: map them to the screen.
    let doc = h.state().state.doc.serial;
    let layer = egui::LayerId::new(egui::Order::Background, egui::Id::new(("flowbench-graph", doc, 0usize)));
    let to_screen = h.ctx.layer_transform_to_global(layer).unwrap_or_default();
    // The node's name (the op type "MatMul" is written to its right).
    let name_rect = |h: &Harness<'static, FlowbenchApp>, name: &str| {
        let rects: Vec<egui::Rect> = h.query_all_by_label(name).map(|n| n.rect()).collect();
        rects.into_iter().min_by(|a, b| a.left().total_cmp(&b.left())).unwrap()
    };
    let matmul = to_screen * name_rect(&h, "MatMul").center();
    let input = to_screen * h.get_by_label("input").rect().center();
    click_at(&mut h, matmul, egui::Modifiers::NONE);
    assert_eq!(selection(&h), ["MatMul"]);
    // The inspector follows.
    assert!(h.query_by_label_contains("Select a node on the canvas").is_none());
    click_at(&mut h, input, egui::Modifiers::SHIFT);
    assert_eq!(selection(&h), ["MatMul", "input"]);
    click_at(&mut h, matmul, egui::Modifiers::COMMAND);
    assert_eq!(selection(&h), ["input"]);
    click_at(&mut h, input, egui::Modifiers::NONE);
    assert_eq!(selection(&h), ["input"]);
    // Empty canvas clears; so does Escape, also after Ctrl+A.
    let canvas = to_screen * name_rect(&h, "MatMul");
    click_at(&mut h, egui::pos2(canvas.center().x, canvas.top() - 60.0), egui::Modifiers::NONE);
    assert_eq!(selection(&h), Vec::<String>::new());
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(2);
    assert_eq!(selection(&h).len(), h.state().state.doc.project.graphs[0].nodes.len());
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert_eq!(selection(&h), Vec::<String>::new());
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(2);
    click_at(&mut h, egui::pos2(canvas.center().x, canvas.top() - 60.0), egui::Modifiers::NONE);
    assert_eq!(selection(&h), Vec::<String>::new());
}

fn until(h: &mut Harness<'static, FlowbenchApp>, what: &str, done: impl Fn(&FlowbenchApp) -> bool) {
    let t = std::time::Instant::now();
    while !done(h.state()) {
        assert!(t.elapsed() < std::time::Duration::from_secs(120), "timed out waiting for {what}");
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    h.run_steps(2);
}

#[test]
fn a_paced_run_can_be_watched_and_then_finished_at_full_speed() {
    use flowbench::app::model::training::TrainStatus;
    let mut h = harness(app_on("3_4_5_training.json", FakeDialogs::default()));
    let mut setup = h.state().state.training.setup.clone();
    assert!(setup.weights_every > 0, "weight snapshots are on by default");
    setup.pace = 400;
    setup.eval_every = 10;
    h.state_mut().apply(vec![Command::SetTrainSetup(Box::new(setup)), Command::StartTraining { paused: false }]);
    let t0 = std::time::Instant::now();
    until(&mut h, "a few paced steps", |a| a.state.training.run.as_ref().is_some_and(|r| r.step >= 100));
    let run = h.state().state.training.run.as_ref().unwrap();
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(run.status, TrainStatus::Running, "paced, it shows as running between chunks");
    assert!(run.step as f64 <= 400.0 * secs + 50.0, "{} steps in {secs:.2} s at 400 steps/s", run.step);
    // "As fast as possible" lets it run out.
    h.get_by_label("As fast as possible").click();
    h.run_steps(2);
    until(&mut h, "the end", |a| a.state.training.run.as_ref().is_some_and(|r| r.status == TrainStatus::Finished));
    assert_eq!(h.state().state.training.run.as_ref().unwrap().step, 5000);
    // 500 evaluation lines: the log keeps the first ten and the last, and says how many it held.
    let evals = h.state().state.log.iter().filter(|e| e.text.starts_with("After ")).count();
    assert_eq!(evals, 11);
    assert!(h.state().state.log.iter().any(|e| e.text.contains("more evaluation line(s)")));
    assert_eq!(h.state().state.training.run.as_ref().unwrap().eval_logs.len(), 500);
}

#[test]
fn the_notes_show_the_projects_description_and_the_examples_their_titles() {
    let h = harness(app_on("3_1_device.json", FakeDialogs::default()));
    h.get_by_label("3.1 Device scope");
    h.get_by_label_contains("To see a device request at work");
    assert_eq!(flowbench::app::examples::title("3_4_4_placeholder.json"), "3.4.4 Placeholders and feed_dict");
}
