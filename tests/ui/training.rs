//! Live training in the window, with egui_kittest: the seed's example trained from the train
//! panel to the CLI's numbers (driven by steps, not by the clock), pause / resume / step / stop,
//! a NaN loss, the session shown as training, a created train op, CSV export; and (ignored by
//! default) the frame-time measurement while training at full speed.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use flowbench::app::FlowbenchApp;
use flowbench::app::command::Command;
use flowbench::app::dialogs::FakeDialogs;
use flowbench::app::model::export::PlotKind;
use flowbench::app::model::log::LogKind;
use flowbench::app::model::training::{TrainSetup, TrainStatus};
use flowbench::app::model::view::Clock;
use flowbench::app::state::AppState;
use flowbench::engine::autodiff::optimizers::Optimizer;
use flowbench::train::worker::Command as Job;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn app(dialogs: FakeDialogs) -> FlowbenchApp {
    let mut s = AppState::with_example("3_4_5_training.json", Box::new(dialogs));
    s.clock = Clock::Fixed(0.0);
    FlowbenchApp::with_state(s)
}

fn harness(app: FlowbenchApp) -> Harness<'static, FlowbenchApp> {
    let mut h = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0)).build_eframe(move |_| app);
    h.run_steps(3);
    h
}

/// Steps frames until `done` holds (the worker runs on its own thread; each frame drains it).
fn until(h: &mut Harness<'_, FlowbenchApp>, what: &str, done: impl Fn(&FlowbenchApp) -> bool) {
    let t = Instant::now();
    while !done(h.state()) {
        assert!(t.elapsed() < Duration::from_secs(120), "timed out waiting for {what}");
        h.step();
        std::thread::sleep(Duration::from_millis(2));
    }
    h.run_steps(2);
}

fn status(h: &Harness<'_, FlowbenchApp>) -> Option<TrainStatus> {
    h.state().state.training.run.as_ref().map(|r| r.status.clone())
}

fn golden() -> Vec<String> {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/3_4_5_training.out"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn log_has(h: &Harness<'_, FlowbenchApp>, kind: LogKind, text: &str) -> bool {
    h.state().state.log.iter().any(|e| e.kind == kind && e.text.contains(text))
}

#[test]
fn train_the_seed_example_to_the_clis_numbers() {
    let mut h = harness(app(FakeDialogs::default()));
    h.get_by_label("Training").click();
    h.run_steps(2);
    // The panel is filled from the example's train loop.
    let setup = h.state().state.training.setup.clone();
    assert_eq!((setup.train_op.as_str(), setup.loss.as_str()), ("Adam", "Neg:0"));
    assert_eq!((setup.batch_size, setup.steps, setup.eval_every), (8, 5000, 1000));
    assert_eq!(setup.watch, vec!["Variable".to_string(), "Variable_1".to_string()]);
    assert_eq!(setup.boundary_output, "Sigmoid:0");

    h.get_by_label("▶ Start").click();
    h.run_steps(1);
    // The session is shown as training, and refuses to be used meanwhile.
    assert!(h.state().state.engine.ws.sessions.first().is_some_and(|e| e.busy));
    until(&mut h, "the job to end", |a| a.state.training.run.as_ref().is_some_and(|r| r.job.is_none()));
    assert_eq!(status(&h), Some(TrainStatus::Finished));
    let s = &h.state().state;
    let run = s.training.run.as_ref().unwrap();
    assert_eq!(run.step, 5000);
    // The evaluations print exactly what the CLI (and TF) print.
    let want = golden();
    let logged: Vec<String> = run.eval_logs.iter().map(|(_, _, l)| l.clone()).collect();
    assert_eq!(logged, want[5..10].to_vec());
    assert!(log_has(&h, LogKind::Result, "After 4000 training step(s), cross entropy on all data is 0.610309"));
    // The session is back, open, not busy, with the trained weights: fetch them as the CLI does.
    let e = s.engine.ws.sessions.first().unwrap();
    assert!(!e.busy && !e.session.is_closed());
    let w1 = e.session.variable_value("Variable").unwrap().to_numpy_string();
    let w2 = e.session.variable_value("Variable_1").unwrap().to_numpy_string();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_flowbench"))
        .arg("run")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/3_4_5_training.json"))
        .output()
        .unwrap();
    let cli = String::from_utf8_lossy(&cli.stdout).to_string();
    assert!(cli.contains(&w1) && cli.contains(&w2), "window:\n{w1}\n{w2}\nCLI:\n{cli}");
    // The six weights of w1 and three of w2 were plotted, and the boundary drawn on 128 points.
    assert_eq!(run.weights.iter().map(|w| w.series.len()).collect::<Vec<_>>(), vec![6, 3]);
    assert_eq!(run.points.len(), 128);
    assert_eq!(run.boundary.as_ref().map(|b| b.step), Some(5000));
    // The train loop was recorded in the script.
    assert!(matches!(
        s.doc.project.script.last(),
        Some(flowbench::project::script::Step::TrainLoop { steps: 5000, .. })
    ));
}

#[test]
fn pause_step_resume_and_stop() {
    let mut h = harness(app(FakeDialogs::default()));
    let mut setup = h.state().state.training.setup.clone();
    setup.steps = 100_000_000;
    setup.step_n = 250;
    h.state_mut().apply(vec![Command::SetTrainSetup(Box::new(setup)), Command::ShowTraining(true)]);
    h.run_steps(2);
    // Step 1 before Start: starts paused and runs exactly one step.
    h.get_by_label("Step 1").click();
    h.run_steps(1);
    until(&mut h, "one step", |a| a.state.training.run.as_ref().is_some_and(|r| r.step == 1));
    assert_eq!(status(&h), Some(TrainStatus::Paused));
    h.get_by_label("Step N").click();
    until(&mut h, "251 steps", |a| a.state.training.run.as_ref().is_some_and(|r| r.step == 251));
    std::thread::sleep(Duration::from_millis(50));
    h.run_steps(3);
    assert_eq!(h.state().state.training.run.as_ref().unwrap().step, 251, "paused after Step N");
    // A session being trained can't be run, initialized or closed.
    h.state_mut().apply(vec![Command::InitializeVariables { session: 0 }]);
    assert!(log_has(&h, LogKind::Error, "is training: its variables can't be initialized"));
    // Resume, then pause while running.
    h.get_by_label("▶ Resume").click();
    until(&mut h, "running past 2000", |a| a.state.training.run.as_ref().is_some_and(|r| r.step > 2000));
    h.key_press(egui::Key::F6);
    until(&mut h, "pause", |a| a.state.training.run.as_ref().is_some_and(|r| r.status == TrainStatus::Paused));
    // The panel shows "paused" as soon as the command is sent; let the worker's own report of
    // where it paused arrive before reading the step.
    std::thread::sleep(Duration::from_millis(100));
    h.run_steps(3);
    let paused_at = h.state().state.training.run.as_ref().unwrap().step;
    std::thread::sleep(Duration::from_millis(50));
    h.run_steps(3);
    assert_eq!(h.state().state.training.run.as_ref().unwrap().step, paused_at);
    // Stop: the session stays open with the trained values, ready to be run.
    h.get_by_label("⏹ Stop").click();
    until(&mut h, "the job to end", |a| a.state.training.run.as_ref().is_some_and(|r| r.job.is_none()));
    assert_eq!(status(&h), Some(TrainStatus::Stopped));
    let s = &h.state().state;
    let e = s.engine.ws.sessions.first().unwrap();
    assert!(!e.busy && !e.session.is_closed());
    h.state_mut().apply(vec![Command::ToggleFetch("Variable_1:0".into()), Command::Run { session: 0 }]);
    let r = h.state().state.last_result.clone().unwrap();
    assert!(r.error.is_none(), "{r:?}");
    assert_ne!(r.values[0].1, "[[-0.8113182 ]\n [ 1.4845988 ]\n [ 0.06532937]]", "trained values are fetched");
}

#[test]
fn a_nan_loss_shows_an_error_and_the_ui_stays_responsive() {
    let mut h = harness(app(FakeDialogs::default()));
    // A learning rate of 1e6 through a created gradient-descent train op. (The seed's cross
    // entropy clips its logs and cannot overflow, so the op minimizes the unbounded logits:
    // the weights blow up to inf within a few steps and the loss becomes NaN.)
    let mut setup = h.state().state.training.setup.clone();
    setup.steps = 100_000;
    h.state_mut().apply(vec![
        Command::SetTrainSetup(Box::new(setup)),
        Command::CreateTrainOp {
            graph: 0,
            loss: "MatMul_1:0".into(),
            optimizer: Optimizer::GradientDescent { learning_rate: 1e6 },
        },
    ]);
    let setup = h.state().state.training.setup.clone();
    assert_eq!(setup.train_op, "GradientDescent");
    assert!(h.state().state.doc.project.graphs[0].nodes.iter().any(|n| n.name == "GradientDescent"));
    h.state_mut().apply(vec![Command::StartTraining { paused: false }]);
    until(&mut h, "the job to end", |a| a.state.training.run.as_ref().is_some_and(|r| r.job.is_none()));
    let Some(TrainStatus::Failed(msg)) = status(&h) else { panic!("{:?}", status(&h)) };
    assert!(msg.contains("loss is") && (msg.contains("NaN") || msg.contains("inf")), "{msg}");
    h.run_steps(2);
    assert!(h.query_all_by_label_contains("training stopped. A smaller learning rate").count() >= 1);
    // Still responsive: the graph tab answers, and a new run can start.
    h.get_by_label("Graph editor").click();
    h.run_steps(2);
    assert!(!h.state().state.training.show);
    assert!(!h.state().state.engine.ws.sessions[0].busy);
}

#[test]
fn playground_datasets_train_and_export_csv() {
    let dir = std::env::temp_dir().join(format!("flowbench-train-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv: PathBuf = dir.join("loss.csv");
    let mut h = harness(app(FakeDialogs::answering([Some(csv.clone())])));
    let mut setup = h.state().state.training.setup.clone();
    setup.dataset_name = "circle".into();
    setup.dataset = flowbench::train::data::dataset::DatasetSource::Circle { seed: 3, rows: 200, noise: 0.1 };
    setup.steps = 300;
    setup.eval_every = 100;
    h.state_mut().apply(vec![Command::SetTrainSetup(Box::new(setup)), Command::StartTraining { paused: false }]);
    until(&mut h, "the job to end", |a| a.state.training.run.as_ref().is_some_and(|r| r.job.is_none()));
    assert_eq!(status(&h), Some(TrainStatus::Finished));
    assert!(h.state().state.doc.project.dataset("circle").is_some(), "the generated dataset joined the project");
    assert_eq!(h.state().state.training.run.as_ref().unwrap().points.len(), 200);
    h.state_mut().apply(vec![Command::ExportCsv(PlotKind::Loss)]);
    h.run_steps(3);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("series,step,wall_time_s,value\nbatch_loss,0,"), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("eval_loss,")).count(), 3);
    // A paused job ignores nothing: Eval every can change while it runs.
    h.state_mut().apply(vec![Command::TrainControl(Job::Stop)]);
}

/// Frame times while the seed's example trains at full speed with every plot open, as the live
/// history grows (samples of 200 frames once 10k, 1M and 10M steps have been trained), and the
/// worker's speed with and without the UI (with the UI: during each sample). Run with
/// `cargo test --release --test ui -- --ignored --nocapture frame_times`.
#[test]
#[ignore]
fn frame_times() {
    // The worker alone.
    let alone = {
        let mut h = harness(app(FakeDialogs::default()));
        let mut setup = h.state().state.training.setup.clone();
        setup.steps = 1_000_000_000;
        h.state_mut().apply(vec![Command::SetTrainSetup(Box::new(setup)), Command::StartTraining { paused: false }]);
        std::thread::sleep(Duration::from_secs(3));
        h.step();
        let r = h.state().state.training.run.as_ref().unwrap();
        let sps = r.step as f64 / r.started.elapsed().as_secs_f64();
        h.state_mut().apply(vec![Command::TrainControl(Job::Stop)]);
        sps
    };
    let mut h = harness(app(FakeDialogs::default()));
    let mut setup = h.state().state.training.setup.clone();
    setup.steps = 1_000_000_000;
    h.state_mut().apply(vec![
        Command::SetTrainSetup(Box::new(setup)),
        Command::StartTraining { paused: false },
        Command::ShowTraining(true),
    ]);
    for _ in 0..30 {
        h.step();
    }
    let pct = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p) as usize] * 1000.0;
    // One frame at 60 frames a second, as a window would draw them: (CPU, wall) seconds.
    let frame = |h: &mut Harness<'_, FlowbenchApp>| {
        let (c, w) = (thread_cpu(), Instant::now());
        h.step();
        let out = (thread_cpu() - c, w.elapsed().as_secs_f64());
        std::thread::sleep(Duration::from_secs_f64((1.0 / 60.0 - w.elapsed().as_secs_f64()).max(0.0)));
        out
    };
    let step_of = |h: &Harness<'_, FlowbenchApp>| h.state().state.training.run.as_ref().map_or(0, |r| r.step);
    // FLOWBENCH_FRAME_HISTORY=1000,5000 picks other sample points (a debug build is slow).
    let history_points: Vec<u64> = std::env::var("FLOWBENCH_FRAME_HISTORY")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 1_000_000, 10_000_000]);
    for history in history_points {
        while step_of(&h) < history {
            frame(&mut h);
        }
        let (t0, s0) = (Instant::now(), step_of(&h));
        let (mut cpu, mut wall): (Vec<f64>, Vec<f64>) = (0..200).map(|_| frame(&mut h)).unzip();
        let with_ui = (step_of(&h) - s0) as f64 / t0.elapsed().as_secs_f64();
        cpu.sort_by(f64::total_cmp);
        wall.sort_by(f64::total_cmp);
        println!(
            "at {history} steps: frame CPU time p50 {:.2} ms, p99 {:.2} ms (wall p50 {:.2} ms, p99 {:.2} ms); \
             worker {with_ui:.0} steps/s with the UI, {alone:.0} alone",
            pct(&cpu, 0.5),
            pct(&cpu, 0.99),
            pct(&wall, 0.5),
            pct(&wall, 0.99),
        );
    }
    let updates = h.state().state.training.run.as_ref().unwrap().updates;
    println!("({updates} updates received)");
    h.state_mut().apply(vec![Command::TrainControl(Job::Stop)]);
}

/// CPU time of this thread, in seconds (Linux: /proc/thread-self/schedstat, in nanoseconds).
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse::<f64>().ok()))
        .map_or(0.0, |ns| ns / 1e9)
}

#[test]
fn a_setup_that_does_not_resolve_is_refused_in_the_windows_words() {
    let mut h = harness(app(FakeDialogs::default()));
    let good = h.state().state.training.setup.clone();
    let refused = |h: &mut Harness<'_, FlowbenchApp>, edit: &dyn Fn(&mut TrainSetup)| -> String {
        let mut s = good.clone();
        edit(&mut s);
        let before = h.state().state.log.len();
        h.state_mut().apply(vec![Command::SetTrainSetup(Box::new(s)), Command::StartTraining { paused: true }]);
        h.run_steps(1);
        assert!(h.state().state.training.run.as_ref().is_none_or(|r| r.job.is_none()), "no job starts");
        let log = &h.state().state.log[before..];
        log.iter().find(|e| e.kind == LogKind::Error).map(|e| e.text.clone()).unwrap_or_default()
    };
    // The train op is checked before the feeds, and worded by the window.
    let m = refused(&mut h, &|s| {
        s.train_op = "nope".into();
        s.feeds[0].1 = "x1, zz".into();
    });
    assert_eq!(m, "Training not started: no train op 'nope' in the graph");
    let m = refused(&mut h, &|s| s.feeds[0].1 = "x1, zz".into());
    assert!(
        m.starts_with("Training not started: dataset '") && m.ends_with("has no column 'zz' (it has x1, x2, y)"),
        "{m}"
    );
    let m = refused(&mut h, &|s| s.loss = "nope:0".into());
    assert!(m.starts_with("Training not started: loss: "), "{m}");
    // The boundary output is checked before the assembled job (batch size 0).
    let m = refused(&mut h, &|s| {
        s.batch_size = 0;
        s.boundary_output = "nope:0".into();
    });
    assert!(m.starts_with("Training not started: boundary output: "), "{m}");
}

#[test]
fn a_projects_idx_dataset_trains_with_next_batch() {
    // The digits project (tests/data/idx_training): its train loop fills the panel.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/idx_training/idx_training.json");
    let project = flowbench::project::Project::load(&path).unwrap();
    let mut s =
        AppState::new(project, Some(path.clone()), "idx_training.json".to_string(), Box::new(FakeDialogs::default()));
    s.clock = Clock::Fixed(0.0);
    let mut h = harness(FlowbenchApp::with_state(s));
    h.get_by_label("Training").click();
    h.run_steps(2);
    let setup = h.state().state.training.setup.clone();
    assert_eq!(setup.dataset_name, "digits");
    assert_eq!((setup.batch_size, setup.steps), (100, 301));
    h.get_by_label_contains("images, labels").hover();
    // The sets and a grid of sample images.
    h.get_by_label("Sample images").click();
    h.run_steps(2);
    h.get_by_label("train 1297 · validation 200 · test 300 examples of 8x8");
    // Fewer steps, so the test stays light beside the others.
    let mut shorter = setup.clone();
    shorter.steps = 41;
    shorter.eval_every = 20;
    h.state_mut().state.apply_all(vec![Command::SetTrainSetup(Box::new(shorter))]);
    h.run_steps(2);
    h.get_by_label("▶ Start").click();
    h.run_steps(1);
    until(&mut h, "the job to end", |a| a.state.training.run.as_ref().is_some_and(|r| r.job.is_none()));
    assert_eq!(status(&h), Some(TrainStatus::Finished));
    assert_eq!(h.state().state.training.run.as_ref().unwrap().step, 41);
    // The recorded loop draws its batches as mnist.train.next_batch after np.random.seed(0).
    let recorded = h.state().state.doc.project.script.iter().rev().find_map(|st| match st {
        flowbench::project::Step::TrainLoop { batching, .. } => Some(*batching),
        _ => None,
    });
    assert_eq!(recorded, Some(flowbench::train::Batching::NextBatch { numpy_seed: Some(0), shuffle: true }));
    assert!(
        log_has(&h, LogKind::Result, "After 40 training step(s)"),
        "{:?}",
        h.state().state.log.iter().map(|e| &e.text).collect::<Vec<_>>()
    );
}
