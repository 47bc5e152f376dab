//! The window's debugger, with egui_kittest: the 3.4.3 forward pass stepped op by op (each
//! node showing TF's value as it runs, the ops not run yet dimmed), one Adam step of the 3.4.5
//! program (before / gradient / slots / after equal to what a normal step produces), the
//! training paused at the first NaN of `debug_log_of_zero` with its op, inputs and step, and
//! snapshots of the debugger's window.

use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions};
use flowbench::app::FlowbenchApp;
use flowbench::app::command::Command;
use flowbench::app::dialogs::FakeDialogs;
use flowbench::app::model::debugger::{DebugCommand, Filter, Pause, lock, updates};
use flowbench::app::model::training::TrainStatus;
use flowbench::app::model::view::Clock;
use flowbench::app::panels::debug::{NodeRun, canvas_info};
use flowbench::app::state::AppState;
use flowbench::engine::Value;
use flowbench::train::worker::Command as Job;
use std::time::{Duration, Instant};

fn app(example: &str) -> FlowbenchApp {
    flowbench::app::i18n::set_language("en");
    let mut s = AppState::with_example(example, Box::new(FakeDialogs::default()));
    s.clock = Clock::Fixed(0.0);
    FlowbenchApp::with_state(s)
}

fn harness(app: FlowbenchApp, wgpu: bool) -> Harness<'static, FlowbenchApp> {
    let b = Harness::builder().with_size(egui::Vec2::new(1400.0, 900.0));
    let mut h = if wgpu { b.wgpu().build_eframe(move |_| app) } else { b.build_eframe(move |_| app) };
    h.run_steps(3);
    h
}

/// Steps frames until `done` holds (the run is on its own thread; each frame polls it).
fn until(h: &mut Harness<'_, FlowbenchApp>, what: &str, done: impl Fn(&AppState) -> bool) {
    let t = Instant::now();
    while !done(&h.state().state) {
        assert!(t.elapsed() < Duration::from_secs(120), "timed out waiting for {what}");
        h.step();
        std::thread::sleep(Duration::from_millis(2));
    }
    h.run_steps(2);
}

fn paused(s: &AppState) -> bool {
    s.debug.shown.as_ref().is_some_and(|st| lock(st).paused)
}

fn records(s: &AppState) -> usize {
    s.debug.shown.as_ref().map_or(0, |st| lock(st).records.len())
}

/// Opens a session on 3.4.3's graph, initializes it, fetches `y` and starts a debug run.
fn debug_forward(h: &mut Harness<'_, FlowbenchApp>) {
    h.state_mut().apply(vec![
        Command::OpenSession { graph: 0, config: None },
        Command::InitializeVariables { session: 0 },
        Command::ToggleFetch("MatMul_1:0".into()),
    ]);
    h.run_steps(2);
    h.get_by_label("🐞 Debug").click();
    until(h, "the run to pause before its first op", paused);
}

/// TF's values of the 3.4.3 forward pass (`tf.compat.v1`, seed 1), as numpy prints them.
const TF_VALUES: [(&str, &str); 5] = [
    ("Variable", "[[-0.8113182   1.4845988   0.06532937]"),
    ("Const", "[[0.7 0.9]]"),
    ("MatMul", "[[-2.7663565  1.1285427  0.5778324]]"),
    ("Variable_1", "[[-0.8113182 ]"),
    ("MatMul_1", "[[3.957578]]"),
];

#[test]
fn step_through_the_forward_pass_op_by_op_with_tfs_values_on_the_nodes() {
    let mut h = harness(app("3_4_3_forward.json"), false);
    debug_forward(&mut h);
    {
        let s = &h.state().state;
        let st = lock(s.debug.shown.as_ref().unwrap());
        let mut plan: Vec<&str> = st.order.iter().map(|(n, _)| n.as_str()).collect();
        plan.sort();
        assert_eq!(plan, ["Const", "MatMul", "MatMul_1", "Variable", "Variable_1"]);
        assert_eq!(st.why, Some(Pause::Start));
        drop(st);
        // Before the first op, every node of the plan is dimmed and no value is shown.
        let info = canvas_info(s, 0);
        assert!(TF_VALUES.iter().all(|(n, _)| info[*n].run == Some(NodeRun::Pending)));
        assert!(s.engine.ws.sessions[0].busy, "the debug run holds the session");
    }
    assert!(h.query_all_by_label("Paused before the first op (5 ops in the plan)").next().is_some());
    for k in 1..=5 {
        h.get_by_label("Step").click();
        until(&mut h, "the next op", |s| records(s) == k && paused(s));
        let s = &h.state().state;
        let st = lock(s.debug.shown.as_ref().unwrap());
        let name = st.records[k - 1].name.clone();
        let ran: Vec<String> = st.records.iter().map(|r| r.name.clone()).collect();
        drop(st);
        // The op just run shows TF's value on its node; it is the current one (until the end).
        let want = TF_VALUES.iter().find(|(n, _)| *n == name).unwrap().1;
        assert!(h.query_all_by_label(want).next().is_some(), "{name} shows {want}");
        let info = canvas_info(s, 0);
        for (n, _) in TF_VALUES {
            let expect = if !ran.iter().any(|r| r == n) {
                NodeRun::Pending
            } else if n == name {
                NodeRun::Current
            } else {
                NodeRun::Ran
            };
            assert_eq!(info[n].run, Some(expect), "{n} after {k} ops");
        }
    }
    // Paused after the last op; Continue ends the run: the session comes back, y is the
    // result, and the run is in the script.
    h.get_by_label("Continue").click();
    until(&mut h, "the run to end", |s| s.debug.run.is_none());
    let s = &h.state().state;
    assert!(!s.engine.ws.sessions[0].busy);
    let r = s.last_result.as_ref().unwrap();
    assert_eq!(r.values, [("MatMul_1:0".to_string(), "[[3.957578]]".to_string())]);
    assert!(matches!(s.doc.project.script.last(), Some(flowbench::project::script::Step::Run { .. })));
    // The inspector shows the full value of the selected node.
    h.state_mut().apply(vec![Command::Select(vec!["Variable".into()])]);
    h.run_steps(2);
    assert!(
        h.query_all_by_label("Variable:0 = (2, 3) float32 min -2.4427042 mean -0.168937 max 1.4845988")
            .next()
            .is_some()
    );
}

#[test]
fn breakpoints_run_to_and_stop_end_the_run_where_asked() {
    let mut h = harness(app("3_4_3_forward.json"), false);
    h.state_mut().apply(vec![Command::Debug(DebugCommand::ToggleBreakpoint("MatMul".into()))]);
    debug_forward(&mut h);
    // F9 continues (to the breakpoint).
    h.key_press(egui::Key::F9);
    until(&mut h, "the breakpoint", |s| paused(s) && records(s) > 0);
    {
        let st = lock(h.state().state.debug.shown.as_ref().unwrap());
        assert_eq!(st.why, Some(Pause::Breakpoint("MatMul".into())));
    }
    // Stop: the run ends with TF's CancelledError, nothing is recorded, the session comes back.
    let script_len = h.state().state.doc.project.script.len();
    h.get_by_label("Stop run").click();
    until(&mut h, "the run to end", |s| s.debug.run.is_none());
    let s = &h.state().state;
    let err = s.last_result.as_ref().and_then(|r| r.error.clone()).unwrap();
    assert!(err.starts_with("CancelledError: Run stopped by the debugger after MatMul"), "{err}");
    assert_eq!(s.doc.project.script.len(), script_len);
    assert!(!s.engine.ws.sessions[0].busy);

    // Continue until all_zeros matches nothing here: the run goes to its end.
    h.state_mut().apply(vec![
        Command::Debug(DebugCommand::ToggleBreakpoint("MatMul".into())),
        Command::Debug(DebugCommand::Close),
        Command::Debug(DebugCommand::SetFilter(Filter::LargerThan(3.0))),
    ]);
    h.get_by_label("🐞 Debug").click();
    until(&mut h, "the new run to pause", paused);
    h.get_by_label("Continue until").click();
    until(&mut h, "the filter to match", |s| paused(s) && records(s) > 0);
    let st = lock(h.state().state.debug.shown.as_ref().unwrap());
    assert_eq!(st.why, Some(Pause::Filter(Filter::LargerThan(3.0), "MatMul_1:0".into())));
}

/// Bit-exact equality of two values.
fn same(a: &Value, b: &Value) -> bool {
    a.shape() == b.shape() && a.to_f64_vec().iter().zip(b.to_f64_vec()).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// The session's variables after one normal training step of 3.4.5 from the train panel.
fn normal_step() -> Vec<(String, Value)> {
    let mut h = harness(app("3_4_5_training.json"), false);
    h.state_mut().apply(vec![Command::StartTraining { paused: true }, Command::TrainControl(Job::Step(1))]);
    until(&mut h, "one step", |s| s.training.run.as_ref().is_some_and(|r| r.step == 1));
    h.state_mut().apply(vec![Command::TrainControl(Job::Stop)]);
    until(&mut h, "the job to end", |s| s.training.run.as_ref().is_some_and(|r| r.job.is_none()));
    let s = &h.state().state;
    let sess = &s.engine.ws.sessions[0].session;
    [
        "Variable",
        "Variable/Adam",
        "Variable/Adam_1",
        "Variable_1",
        "Variable_1/Adam",
        "Variable_1/Adam_1",
        "beta1_power",
        "beta2_power",
    ]
    .iter()
    .map(|n| (n.to_string(), sess.variable_value(n).unwrap().clone()))
    .collect()
}

#[test]
fn one_adam_step_shows_before_gradient_slots_and_after_as_a_normal_step_computes_them() {
    let want = normal_step();
    let get = |n: &str| want.iter().find(|(m, _)| m == n).unwrap().1.clone();
    let mut h = harness(app("3_4_5_training.json"), false);
    h.state_mut().apply(vec![Command::ShowTraining(true)]);
    h.run_steps(2);
    h.get_by_label("🐞 Debug step").click();
    until(&mut h, "the step to pause before its first op", paused);
    {
        let st = lock(h.state().state.debug.shown.as_ref().unwrap());
        assert_eq!(st.step(), Some(0));
        assert_eq!(st.why, Some(Pause::Start));
        // The forward pass, then the gradients, then the optimizer's update.
        let at = |n: &str| st.order.iter().position(|(m, _)| m == n).unwrap();
        assert!(at("Sigmoid") < at("gradients/Log_grad/mul"));
        assert!(at("gradients/Log_grad/mul") < at("Adam/update_Variable/ApplyAdam"));
    }
    // Step over the forward pass op by op, then the whole gradients/ scope at once.
    h.get_by_label("Step").click();
    until(&mut h, "one op", |s| paused(s) && records(s) == 1);
    h.state_mut().apply(vec![Command::Debug(DebugCommand::RunTo("Neg".into()))]);
    until(&mut h, "the loss", |s| {
        paused(s) && s.debug.shown.as_ref().is_some_and(|st| lock(st).records.last().is_some_and(|r| r.name == "Neg"))
    });
    let next_scopes = lock(h.state().state.debug.shown.as_ref().unwrap()).next_scopes();
    assert_eq!(next_scopes.first().map(String::as_str), Some("gradients/"));
    h.state_mut().apply(vec![Command::Debug(DebugCommand::StepOver("gradients/".into()))]);
    until(&mut h, "the gradients", |s| paused(s) && records(s) > 30);
    {
        let st = lock(h.state().state.debug.shown.as_ref().unwrap());
        assert!(st.records.last().unwrap().name.starts_with("gradients/"));
        assert!(!st.order[st.records.len()..].iter().any(|(n, _)| n.starts_with("gradients/")));
    }
    h.get_by_label("Continue").click();
    until(&mut h, "the step to end", |s| {
        s.debug.shown.as_ref().is_some_and(|st| lock(st).done) && s.training.run.as_ref().is_some_and(|r| r.step == 1)
    });
    let ups = updates(&lock(h.state().state.debug.shown.as_ref().unwrap()));
    assert_eq!(ups.iter().map(|u| u.variable.as_str()).collect::<Vec<_>>(), ["Variable", "Variable_1"]);
    for u in &ups {
        assert_eq!(u.op_type, "ApplyAdam");
        assert!(same(u.after.as_ref().unwrap(), &get(&u.variable)), "{} after", u.variable);
        let slots: Vec<&str> = u.slots.iter().map(|(n, _, _)| n.as_str()).collect();
        let m = format!("{}/Adam", u.variable);
        let v = format!("{}/Adam_1", u.variable);
        assert_eq!(slots, [m.as_str(), v.as_str(), "beta1_power", "beta2_power"]);
        for (name, before, after) in &u.slots {
            assert!(same(after.as_ref().unwrap(), &get(name)), "{name} after");
            let b = before.as_ref().unwrap().to_f64_vec();
            match name.as_str() {
                "beta1_power" => assert_eq!(b, [f64::from(0.9f32)]),
                "beta2_power" => assert_eq!(b, [f64::from(0.999f32)]),
                _ => assert!(b.iter().all(|&x| x == 0.0), "{name} starts at zero"),
            }
        }
        assert!(u.grad.is_some() && u.before.is_some());
    }
    // The window shows the table and TF's formula with the numbers put into it.
    h.run_steps(2);
    assert!(h.query_all_by_label("variable -= lr_t * m_t / (sqrt(v_t) + epsilon)").next().is_some());
    assert!(h.query_all_by_label("Variable updates in this step").next().is_some());
    // Stopping the job keeps the session; the debugger comes off it.
    h.state_mut().apply(vec![Command::TrainControl(Job::Stop)]);
    until(&mut h, "the job to end", |s| {
        s.debug.train.is_none() && s.training.run.as_ref().is_some_and(|r| r.job.is_none())
    });
    assert!(!h.state().state.engine.ws.sessions[0].session.has_observer());
}

#[test]
fn training_pauses_at_the_first_nan_with_its_op_inputs_and_step() {
    let mut h = harness(app("debug_log_of_zero.json"), false);
    h.state_mut().apply(vec![Command::ShowTraining(true)]);
    h.run_steps(2);
    h.get_by_label("Stop at the first NaN/Inf").click();
    h.run_steps(2);
    assert!(h.state().state.training.setup.stop_at_nan);
    h.get_by_label("▶ Start").click();
    until(&mut h, "the first non-finite value", paused);
    {
        // The loss on all data, evaluated after step 0 (a run between steps), is where log(0)
        // first appears: log(1 - y) at Log_1, its input sub_1 holding an exact 0.
        let s = &h.state().state;
        let st = lock(s.debug.shown.as_ref().unwrap());
        assert_eq!(st.step(), Some(0));
        assert!(st.between_steps);
        assert_eq!(st.why, Some(Pause::Filter(Filter::HasInfOrNan, "Log_1:0".into())));
        let r = st.records.last().unwrap();
        assert_eq!((r.name.as_str(), r.type_name), ("Log_1", "Log"));
        let (input, sum, _) = &r.inputs[0];
        assert_eq!(input, "sub_1:0");
        assert_eq!(sum.as_ref().unwrap().min, Some(0.0));
        assert!(s.training.run.as_ref().is_some_and(|r| r.status.is_live()), "the job is paused, not ended");
    }
    let label = "After training step 0 (a run between steps: the loss on all data or a snapshot) · \
                 First has_inf_or_nan value at Log_1:0 (Log)";
    assert!(h.query_all_by_label(label).next().is_some());
    let line = "Training paused after step 0, in a run between steps: has_inf_or_nan matched Log_1:0.";
    assert!(h.state().state.log.iter().any(|l| l.text == line));
    // Stop: the job ends at that op; the session stays open, with the values of that moment.
    h.get_by_label("⏹ Stop").click();
    until(&mut h, "the job to end", |s| s.training.run.as_ref().is_some_and(|r| r.job.is_none()));
    let s = &h.state().state;
    assert!(matches!(s.training.run.as_ref().unwrap().status, TrainStatus::Failed(_)));
    let e = &s.engine.ws.sessions[0];
    assert!(!e.session.is_closed() && !e.busy && !e.session.has_observer());
}

fn options() -> SnapshotOptions {
    SnapshotOptions::new().threshold(0.6).max_failed_pixels(400)
}

#[test]
fn snapshots_debugger_forward_pass_paused_after_matmul() {
    let mut h = harness(app("3_4_3_forward.json"), true);
    debug_forward(&mut h);
    h.state_mut().apply(vec![Command::Debug(DebugCommand::RunTo("MatMul".into()))]);
    until(&mut h, "MatMul", |s| paused(s) && records(s) > 0);
    // Node sizes settle over a few frames (the canvas lays out with the previous frame's).
    h.run_steps(12);
    h.snapshot_options("debugger_forward_pass", &options());
}

#[test]
fn snapshots_debugger_adam_step() {
    let mut h = harness(app("3_4_5_training.json"), true);
    h.state_mut().apply(vec![Command::Debug(DebugCommand::TrainStep)]);
    until(&mut h, "the step to pause", paused);
    h.state_mut().apply(vec![Command::Debug(DebugCommand::RunTo("Adam/update_Variable_1/ApplyAdam".into()))]);
    until(&mut h, "the update", |s| paused(s) && records(s) > 1);
    // Node sizes settle over a few frames (the canvas lays out with the previous frame's).
    h.run_steps(12);
    // The taller nodes (values and histograms) overlap their neighbours in this graph's
    // layout, and egui-snarl draws overlapping nodes in no fixed order: allow that patch.
    h.snapshot_options("debugger_adam_step", &options().max_failed_pixels(8000));
    h.state_mut().apply(vec![Command::TrainControl(Job::Stop)]);
    until(&mut h, "the job to end", |s| s.training.run.as_ref().is_some_and(|r| r.job.is_none()));
}

#[test]
fn a_debug_run_that_fails_says_so_with_tfs_error() {
    let mut h = harness(app("3_4_3_forward.json"), false);
    // No initializer run: the first variable read fails as TF fails it.
    h.state_mut()
        .apply(vec![Command::OpenSession { graph: 0, config: None }, Command::ToggleFetch("MatMul_1:0".into())]);
    h.run_steps(2);
    h.get_by_label("🐞 Debug").click();
    until(&mut h, "the run to pause", paused);
    h.get_by_label("Continue").click();
    until(&mut h, "the run to end", |s| s.debug.run.is_none());
    let s = &h.state().state;
    let err = s.last_result.as_ref().and_then(|r| r.error.clone()).unwrap();
    assert!(err.starts_with("FailedPreconditionError: Attempting to use uninitialized value Variable"), "{err}");
    assert!(!s.engine.ws.sessions[0].busy);
    h.run_steps(2);
    assert!(h.query_all_by_label(&format!("The run failed: {err}")).next().is_some());
}
