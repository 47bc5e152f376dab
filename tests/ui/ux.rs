//! The window's first view and the clicks around modals: the training example opens laid out
//! in layers with its gradients and optimizer collapsed, and Replay answers its first click
//! after a modal closes.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use flowbench::app::FlowbenchApp;
use flowbench::app::dialogs::FakeDialogs;
use flowbench::app::model::modal::Modal;
use flowbench::app::model::view::Clock;
use flowbench::app::state::AppState;

fn harness(example: &str) -> Harness<'static, FlowbenchApp> {
    let mut s = AppState::with_example(example, Box::new(FakeDialogs::default()));
    s.clock = Clock::Fixed(0.0);
    let app = FlowbenchApp::with_state(s);
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).build_eframe(move |_| app);
    h.run_steps(3);
    h
}

fn press(h: &mut Harness<'static, FlowbenchApp>, pos: egui::Pos2, pressed: bool) {
    let button = egui::PointerButton::Primary;
    h.event(egui::Event::PointerButton { pos, button, pressed, modifiers: egui::Modifiers::NONE });
    h.run_steps(1);
}

/// A click as a mouse makes it: move (unless `still`), press, release, a frame each.
fn click_at(h: &mut Harness<'static, FlowbenchApp>, pos: egui::Pos2, still: bool) {
    if !still {
        h.event(egui::Event::PointerMoved(pos));
        h.run_steps(1);
    }
    press(h, pos, true);
    press(h, pos, false);
    h.run_steps(2);
}

fn replays(h: &Harness<'static, FlowbenchApp>) -> usize {
    h.state().state.log.iter().filter(|e| e.text.starts_with("replaying the script")).count()
}

fn centre_of(h: &Harness<'static, FlowbenchApp>, label: &str) -> egui::Pos2 {
    // The modal's own button: the one nearest the middle of the window.
    let middle = egui::pos2(700.0, 450.0);
    h.query_all_by_label(label)
        .map(|n| n.rect().center())
        .min_by(|a, b| a.distance(middle).total_cmp(&b.distance(middle)))
        .expect("a widget with that label")
}

#[test]
fn replay_answers_the_first_click_after_a_modal() {
    let mut h = harness("3_4_4_placeholder.json");
    for (how, still) in [("OK", false), ("OK", true), ("Escape", true), ("Escape", false), ("Close", false)] {
        h.state_mut().state.modal = Some(if how == "Close" {
            Modal::Help
        } else {
            Modal::Error { title: "Could not open x.json".into(), message: "no such file".into() }
        });
        h.run_steps(3);
        let replay = h.get_by_label("Replay script").rect().center();
        if how == "Escape" {
            h.event(egui::Event::PointerMoved(replay));
            h.run_steps(1);
            h.key_press(egui::Key::Escape);
            h.run_steps(1);
        } else {
            let button = centre_of(&h, how);
            click_at(&mut h, button, false);
            if still {
                h.event(egui::Event::PointerMoved(replay));
            }
        }
        assert!(h.state().state.modal.is_none(), "{how} closes the modal");
        let before = replays(&h);
        click_at(&mut h, replay, still);
        assert_eq!(replays(&h), before + 1, "the first click on Replay after the modal ({how}, still {still}) replays");
    }
}

#[test]
fn every_example_carries_its_notes_in_chinese_and_saving_keeps_them() {
    for ex in flowbench::app::examples::EXAMPLES {
        let p = flowbench::project::Project::from_json_str(ex.text).expect(ex.file);
        let t = p.translations.get("zh-CN").unwrap_or_else(|| panic!("{}: no zh-CN notes", ex.file));
        assert!(!t.name.is_empty() && !t.description.is_empty(), "{}", ex.file);
        assert_eq!(t.comments.len(), p.comments.len(), "{}: one translated comment per comment", ex.file);
        let (name, description, comments) = p.notes_in("zh-CN");
        assert_eq!((name, description), (t.name.as_str(), t.description.as_str()));
        assert_eq!(comments.len(), p.comments.len());
        // English (and any language without a translation) shows the project's own notes.
        assert_eq!(p.notes_in("en").1, p.description);
        // Saved and reopened, the translations stay.
        let again = flowbench::project::Project::from_json_str(&p.to_json_string()).expect("reopens");
        assert_eq!(again.translations, p.translations, "{}", ex.file);
    }
}

#[test]
fn translations_are_checked_on_load() {
    let base = flowbench::app::examples::example("3_1_device.json").expect("example").text;
    let mut json: serde_json::Value = serde_json::from_str(base).expect("json");
    let t = json["translations"]["zh-CN"].clone();
    json["translations"] = serde_json::json!({ "chinese": t });
    let e = flowbench::project::Project::from_json_str(&json.to_string()).expect_err("a bad tag is refused");
    assert!(e.to_string().contains("translations: 'chinese' is not a language tag"), "{e}");
    let mut t = t;
    t["comments"] = serde_json::json!(["只有一条"]);
    json["translations"] = serde_json::json!({ "zh-CN": t });
    let e = flowbench::project::Project::from_json_str(&json.to_string()).expect_err("a missing comment is refused");
    assert!(e.to_string().contains("translations.zh-CN.comments: 1 comment(s) for the project's 2"), "{e}");
}

#[test]
fn the_notes_panel_speaks_the_ui_language() {
    let mut h = harness("3_1_device.json");
    h.state_mut().state.settings.language = Some("zh-CN".to_string());
    h.run_steps(3);
    assert!(h.query_by_label_contains("笔记在一个新的计算图 g 上").is_some(), "the description in Chinese");
    assert!(h.query_by_label_contains("想看到指定设备的效果").is_some(), "the comments in Chinese");
    assert!(h.query_by_label_contains("The notes open a device scope").is_none());
    h.state_mut().state.settings.language = Some("en".to_string());
    h.run_steps(3);
    assert!(h.query_by_label_contains("The notes open a device scope").is_some(), "English unchanged");
}

#[test]
fn the_training_example_opens_in_layers_with_its_gradients_and_optimizer_collapsed_and_whole() {
    let mut h = harness("3_4_5_training.json");
    h.run_steps(3);
    let doc = h.state().state.doc.serial;
    let layer = egui::LayerId::new(egui::Order::Background, egui::Id::new(("flowbench-graph", doc, 0usize)));
    let to_screen = h.ctx.layer_transform_to_global(layer).expect("the canvas is drawn");
    // The canvas, on screen: below the toolbar, between the side panels.
    let canvas = egui::Rect::from_min_max(egui::pos2(320.0, 100.0), egui::pos2(1040.0, 630.0));
    let on_screen = |h: &Harness<'static, FlowbenchApp>, label: &str| {
        let r = h.query_all_by_label(label).next().unwrap_or_else(|| panic!("{label} is drawn")).rect();
        to_screen * r.center()
    };
    // Forward pass first, then the gradients group, then the optimizer group, left to right.
    let (x, g, adam) = (on_screen(&h, "x-input"), on_screen(&h, "gradients"), on_screen(&h, "Adam"));
    assert!(x.x < g.x && g.x < adam.x, "layers: x-input {x:?}, gradients {g:?}, Adam {adam:?}");
    for p in [x, g, adam, on_screen(&h, "Neg"), on_screen(&h, "random_normal")] {
        assert!(canvas.contains(p), "{p:?} is on the canvas at the opening zoom");
    }
    assert!(h.query_by_label("gradients/Fill").is_none(), "the gradients are collapsed");
    // A group's ⊞ expands it (per document), and Collapse groups folds it back.
    // With the mouse, as a user clicks it (the canvas is zoomed: map the button to the screen).
    // The gradients group's own ⊞ (the one nearest its name): which group's button accesskit
    // lists first depends on egui ids, which depend on the documents other tests opened.
    let name = h.query_all_by_label("gradients").next().expect("the group's name").rect().center();
    let button = h
        .query_all_by_label("⊞")
        .map(|n| n.rect().center())
        .min_by(|a, b| a.distance(name).total_cmp(&b.distance(name)))
        .expect("a group's expand button");
    click_at(&mut h, to_screen * button, false);
    h.run_steps(3);
    assert!(h.query_by_label("gradients/Fill").is_some(), "expanded: the gradient ops are drawn");
    h.get_by_label("Collapse groups").click();
    h.run_steps(3);
    assert!(h.query_by_label("gradients/Fill").is_none(), "folded back");
}
