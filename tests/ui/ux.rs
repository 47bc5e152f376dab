//! The window's first view and the clicks around modals: the training example opens laid out
//! in layers with its gradients and optimizer collapsed, and Replay answers its first click
//! after a modal closes.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use flowbench::app::FlowbenchApp;
use flowbench::app::dialogs::FakeDialogs;
use flowbench::app::model::modal::Modal;
use flowbench::app::model::view::Clock;
use flowbench::app::panels::graph_editor::DETAIL_FROM_OVERVIEW;
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

/// The canvas's transform (canvas to screen) on the graph shown.
fn canvas_transform(h: &Harness<'static, FlowbenchApp>) -> egui::emath::TSTransform {
    let doc = h.state().state.doc.serial;
    let g = h.state().state.view.active_graph;
    let layer = egui::LayerId::new(egui::Order::Background, egui::Id::new(("flowbench-graph", doc, g)));
    // (An empty graph's canvas is drawn at 1:1 from the origin: egui keeps no identity transform.)
    h.ctx.layer_transform_to_global(layer).unwrap_or_default()
}

/// The canvas on screen at 1400×900: below the toolbar, between the side panels.
const CANVAS: egui::Rect = egui::Rect::from_min_max(egui::pos2(320.0, 100.0), egui::pos2(1040.0, 630.0));

/// The screen rects of the names drawn on the canvas, of the shown graph's nodes and of
/// `extra` (groups).
fn drawn_names(h: &Harness<'static, FlowbenchApp>, extra: &[&str]) -> Vec<(String, egui::Rect)> {
    let t = canvas_transform(h);
    let st = &h.state().state;
    let mut names: Vec<&str> =
        st.doc.project.graphs[st.view.active_graph].nodes.iter().map(|n| n.name.as_str()).collect();
    names.extend(extra);
    names.sort();
    names.dedup();
    names
        .iter()
        .filter_map(|n| {
            // The name on the canvas (not a panel's heading such as "Log").
            let on_canvas = h.query_all_by_label(n).map(|q| t * q.rect()).find(|r| CANVAS.intersects(*r))?;
            Some((n.to_string(), on_canvas))
        })
        .collect()
}

#[test]
fn the_first_view_of_the_training_example_is_whole_and_readable() {
    let mut h = harness("3_4_5_training.json");
    h.run_steps(3);
    let scale = canvas_transform(&h).scaling;
    assert!(scale >= 0.999, "names at the body text size: the first view's zoom is {scale}");
    // Every node drawn (the forward pass, init, the two groups) shows its name, whole, on the
    // canvas, at the body text size, and no two names overlap.
    let canvas = CANVAS;
    let drawn = drawn_names(&h, &["gradients", "Adam"]);
    assert_eq!(drawn.len(), 28 + 1 + 2, "{drawn:?}");
    let body = h.ctx.style_of(egui::Theme::Dark).text_styles[&egui::TextStyle::Body].size;
    for (name, r) in &drawn {
        assert!(canvas.contains_rect(*r), "{name} at {r:?} is on the canvas");
        assert!(r.height() >= body, "{name} is drawn {} high", r.height());
    }
    for (a, (na, ra)) in drawn.iter().enumerate() {
        for (nb, rb) in &drawn[a + 1..] {
            assert!(!ra.intersects(*rb), "{na} {ra:?} overlaps {nb} {rb:?}");
        }
    }
    // A card's menu fetches its tensor without zooming in.
    let matmul = drawn.iter().find(|(n, _)| n == "MatMul").expect("MatMul is drawn").1.center();
    h.event(egui::Event::PointerMoved(matmul));
    h.run_steps(1);
    for pressed in [true, false] {
        let button = egui::PointerButton::Secondary;
        h.event(egui::Event::PointerButton { pos: matmul, button, pressed, modifiers: egui::Modifiers::NONE });
        h.run_steps(1);
    }
    h.run_steps(2);
    h.get_by_label("Fetch MatMul:0").click();
    h.run_steps(2);
    assert_eq!(h.state().state.view.fetches, ["MatMul:0"], "fetched from the overview");
    assert!(canvas_transform(&h).scaling >= 0.999, "still the overview");
    // Fit comes back to the same view after a zoom into the details.
    h.event(egui::Event::PointerMoved(matmul));
    h.event(egui::Event::Zoom(1.25));
    h.run_steps(3);
    let detail = canvas_transform(&h);
    assert!((detail.scaling - DETAIL_FROM_OVERVIEW).abs() < 0.01, "zoomed into the details: {}", detail.scaling);
    assert!(h.query_by_label_contains("MatMul:0 (?, 3) float32").is_some(), "the detailed node shows its output");
    // (The name "MatMul", not an op type "MatMul": the label nearest the pointer.)
    let r = h
        .query_all_by_label("MatMul")
        .map(|q| detail * q.rect())
        .min_by(|a, b| a.distance_to_pos(matmul).total_cmp(&b.distance_to_pos(matmul)))
        .expect("MatMul in the details");
    assert!(r.expand(60.0).contains(matmul), "the node zoomed into stays under the pointer: {r:?}, {matmul:?}");
    h.get_by_label("Fit").click();
    h.run_steps(3);
    assert!(canvas_transform(&h).scaling >= 0.999, "Fit shows the overview again");
    assert!(h.query_by_label_contains("MatMul:0 (?, 3) float32").is_none());
    // Zooming the details out below half size goes back to the overview too.
    h.event(egui::Event::PointerMoved(matmul));
    h.event(egui::Event::Zoom(1.25));
    h.run_steps(3);
    for _ in 0..3 {
        h.event(egui::Event::PointerMoved(matmul));
        h.event(egui::Event::Zoom(0.7));
        h.run_steps(2);
    }
    h.run_steps(2);
    assert!(canvas_transform(&h).scaling >= 0.999, "zoomed out: the overview");
    assert_eq!(drawn_names(&h, &["gradients", "Adam"]).len(), 31);
}

#[test]
fn every_example_opens_whole_and_readable() {
    for ex in flowbench::app::examples::EXAMPLES {
        let mut h = harness(ex.file);
        let graphs = h.state().state.doc.project.graphs.len();
        for g in 0..graphs {
            h.state_mut().state.apply_all(vec![flowbench::app::command::Command::SetActiveGraph(g)]);
            h.run_steps(4);
            let t = canvas_transform(&h);
            let nodes = h.state().state.doc.project.graphs[g].nodes.len();
            let drawn = drawn_names(&h, &["gradients", "Adam", "GradientDescent"]);
            eprintln!("{} graph {g}: zoom {} names {} of {nodes} nodes", ex.file, t.scaling, drawn.len());
            assert!(nodes == 0 || !drawn.is_empty(), "{} graph {g}", ex.file);
            // Every name drawn is whole on the canvas, and readable: the details at half size or
            // more, or the overview's cards.
            // The MNIST program (118 nodes, 46 cards once its big scopes are groups) is the one
            // example whose overview fits the default canvas only below 1:1.
            // The Saver example's eight cards (its save and restore ops are wide) fit side by side
            // at three quarters.
            let least = match ex.file {
                "5_2_1_mnist.json" => 0.65,
                "5_4_saver.json" => 0.7,
                _ => 0.85,
            };
            assert!(t.scaling >= least || nodes == 0, "{} graph {g}: zoom {}", ex.file, t.scaling);
            for (name, r) in &drawn {
                assert!(CANVAS.contains_rect(*r), "{} graph {g}: {name} at {r:?} is on the canvas", ex.file);
            }
        }
    }
}
