//! The window's languages: View ▸ Language switches the whole menu bar and the guide live, the
//! choice is kept in the settings, and TF's own words stay as TF prints them.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use flowbench::app::FlowbenchApp;
use flowbench::app::command::Command;
use flowbench::app::dialogs::FakeDialogs;
use flowbench::app::examples;
use flowbench::app::model::modal::Modal;
use flowbench::app::model::view::Clock;
use flowbench::app::state::AppState;

fn harness() -> Harness<'static, FlowbenchApp> {
    let mut s = AppState::with_example(examples::STARTUP_EXAMPLE, Box::new(FakeDialogs::default()));
    s.clock = Clock::Fixed(0.0);
    let app = FlowbenchApp::with_state(s);
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).build_eframe(move |cc| {
        flowbench::app::fonts::install(&cc.egui_ctx);
        app
    });
    h.run_steps(3);
    h
}

#[test]
fn view_language_switches_live_and_back() {
    let mut h = harness();
    assert_eq!(h.state().state.settings.language, None, "tests start in English, not the system locale");
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label_contains("Language").click();
    h.run_steps(2);
    h.get_by_label("简体中文").click();
    h.run_steps(3);
    assert_eq!(h.state().state.settings.language.as_deref(), Some("zh-CN"), "the choice is remembered");
    for label in ["文件", "编辑", "计算图", "会话", "视图", "帮助"] {
        h.get_by_label(label);
    }
    assert!(h.query_by_label("File").is_none());

    // The guide, in the notes' own words.
    h.state_mut().apply(vec![Command::ShowModal(Modal::Help)]);
    h.run_steps(3);
    h.get_by_label("TF1 的计算图与会话模型");
    for heading in ["计算图", "张量", "会话", "设备与 ConfigProto", "训练"] {
        assert!(h.query_all_by_label(heading).count() >= 1, "guide heading {heading}");
    }
    h.get_by_label("关闭").click();
    h.run_steps(2);

    h.get_by_label("视图").click();
    h.run_steps(2);
    if h.query_by_label_contains("语言").is_none() {
        // The click closed a menu left open: open it again.
        h.get_by_label("视图").click();
        h.run_steps(2);
    }
    h.get_by_label_contains("语言").click();
    h.run_steps(2);
    h.get_by_label("English").click();
    h.run_steps(3);
    assert_eq!(h.state().state.settings.language.as_deref(), Some("en"));
    h.get_by_label("File");
    assert!(h.query_by_label("文件").is_none());
}

/// In Chinese, the panels speak Chinese while TF's error stays as TF prints it, with a one-line
/// explanation beside it in the run panel.
#[test]
fn panels_speak_chinese_and_tf_errors_stay_english_with_an_explanation() {
    let mut s = AppState::with_example("3_4_4_placeholder.json", Box::new(FakeDialogs::default()));
    s.clock = Clock::Fixed(0.0);
    s.settings.language = Some("zh-CN".into());
    let app = FlowbenchApp::with_state(s);
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).build_eframe(move |cc| {
        flowbench::app::fonts::install(&cc.egui_ctx);
        app
    });
    h.run_steps(3);
    h.get_by_label("会话列表");
    h.get_by_label("检查器");
    h.state_mut().state.apply_all(vec![
        Command::OpenSession { graph: 0, config: None },
        Command::InitializeVariables { session: 0 },
        Command::ToggleFetch("MatMul_1:0".into()),
        Command::Run { session: 0 },
    ]);
    h.run_steps(3);
    let error = h.state().state.last_result.as_ref().and_then(|r| r.error.clone()).expect("the run fails");
    assert!(error.contains("You must feed a value for placeholder tensor"), "TF's words stay: {error}");
    assert!(h.query_all_by_label_contains("You must feed a value for placeholder tensor").count() >= 1);
    assert!(h.query_all_by_label("需要通过 feed_dict 为占位符提供值。").count() >= 1, "the explanation is shown");
    assert!(h.query_by_label("Sessions").is_none());
    flowbench::app::i18n::set_language("en");
}
