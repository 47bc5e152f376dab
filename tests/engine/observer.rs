//! The debug hook of a run: an observer sees each op in execution order with its inputs and
//! outputs, can stop the run after any op, and, once removed, the plan runs on the fast path
//! again with the same numbers.

use flowbench::engine::error::ErrorClass;
use flowbench::engine::graph::Graph;
use flowbench::engine::graph::elementwise::{ReduceOp, UnaryOp};
use flowbench::engine::runtime::feed::Feed;
use flowbench::engine::runtime::observer::{Flow, OpEvent, RunInfo, RunObserver, Summary};
use flowbench::engine::runtime::session::{ConfigProto, Session};
use flowbench::engine::{DType, Shape, Value};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Seen {
    runs: usize,
    ops: Vec<(String, &'static str, Vec<Summary>, usize)>,
}

struct Recorder {
    seen: Arc<Mutex<Seen>>,
    stop_at: Option<&'static str>,
}

impl RunObserver for Recorder {
    fn begin_run(&mut self, _graph: &Graph, run: &RunInfo<'_>) {
        let mut s = self.seen.lock().unwrap();
        s.runs += 1;
        assert_eq!(run.feeds.len(), 1);
    }
    fn after_op(&mut self, _graph: &Graph, op: &OpEvent<'_>) -> Flow {
        let summaries = op.outputs.iter().map(Summary::of).collect();
        let n_inputs = op.inputs.iter().flatten().count();
        self.seen.lock().unwrap().ops.push((op.node.name.clone(), op.node.op.type_name(), summaries, n_inputs));
        if self.stop_at == Some(op.node.name.as_str()) { Flow::Stop } else { Flow::Continue }
    }
}

fn graph() -> (Graph, flowbench::engine::Output, flowbench::engine::Output) {
    let mut g = Graph::new();
    let x = g.placeholder(DType::Float32, Shape::known(&[4]), Some("x")).unwrap();
    let s = g.unary(UnaryOp::Sigmoid, x, None).unwrap();
    let l = g.unary(UnaryOp::Log, s, None).unwrap();
    let m = g.reduce(ReduceOp::Mean, l, None, false, None).unwrap();
    (g, x, m)
}

fn feed(x: flowbench::engine::Output, v: [f32; 4]) -> Feed {
    Feed { tensor: x, value: Value::F32(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[4]), v.to_vec()).unwrap()) }
}

#[test]
fn the_observer_sees_each_op_in_order_and_can_stop_the_run() {
    let (g, x, m) = graph();
    let mut s = Session::new(&g, ConfigProto::default());
    let seen = Arc::new(Mutex::new(Seen::default()));
    s.set_observer(Some(Box::new(Recorder { seen: Arc::clone(&seen), stop_at: None })));
    let feeds = [feed(x, [-200.0, 0.0, 1.0, 2.0])];
    let out = s.run(&g, &[m], &feeds, &[]).unwrap();
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.runs, 1);
        let names: Vec<(&str, &str)> = seen.ops.iter().map(|(n, t, _, _)| (n.as_str(), *t)).collect();
        assert_eq!(names, [("Sigmoid", "Sigmoid"), ("Log", "Log"), ("Mean", "Mean")]);
        // sigmoid(-200) is exactly 0 in float32: Log gives -inf there, first at index 0.
        let log = &seen.ops[1].2[0];
        assert_eq!((log.non_finite, log.first_non_finite), (1, Some(0)));
        assert_eq!(seen.ops[0].3, 1, "the Sigmoid's input (the fed x) is given");
    }
    assert_eq!(out.values[0].first_f64(), Some(f64::NEG_INFINITY));

    // Stopping after Log: the run fails with a CancelledError naming the op; Mean never runs.
    let seen = Arc::new(Mutex::new(Seen::default()));
    s.set_observer(Some(Box::new(Recorder { seen: Arc::clone(&seen), stop_at: Some("Log") })));
    let err = s.run(&g, &[m], &feeds, &[]).unwrap_err();
    assert_eq!(err.class, ErrorClass::Cancelled);
    assert_eq!(err.node.as_deref(), Some("Log"));
    assert_eq!(seen.lock().unwrap().ops.len(), 2);
}

#[test]
fn without_an_observer_the_plan_is_lowered_and_gives_the_same_numbers() {
    let (g, x, m) = graph();
    let feeds = [feed(x, [0.5, -1.0, 1.0, 2.0])];
    let mut plain = Session::new(&g, ConfigProto::default());
    let (plan, _) = plain.prepare(&g, &[m], &[x], &[]).unwrap();
    for _ in 0..2 {
        plain.run_prepared(&g, plan, &feeds).unwrap();
    }
    assert!(plain.uses_fast_path(plan));
    let want = plain.fetched(plan, 0, &feeds).unwrap().clone();

    let mut s = Session::new(&g, ConfigProto::default());
    let seen = Arc::new(Mutex::new(Seen::default()));
    assert!(s.set_observer(Some(Box::new(Recorder { seen: Arc::clone(&seen), stop_at: None }))).is_none());
    let (plan, _) = s.prepare(&g, &[m], &[x], &[]).unwrap();
    for _ in 0..2 {
        s.run_prepared(&g, plan, &feeds).unwrap();
    }
    assert!(!s.uses_fast_path(plan), "a watched plan is not lowered");
    assert_eq!(s.fetched(plan, 0, &feeds).unwrap(), &want);
    assert_eq!(seen.lock().unwrap().runs, 2);
    assert!(s.set_observer(None).is_some() && !s.has_observer());
    for _ in 0..2 {
        s.run_prepared(&g, plan, &feeds).unwrap();
    }
    assert!(s.uses_fast_path(plan));
    assert_eq!(s.fetched(plan, 0, &feeds).unwrap(), &want);
    assert_eq!(seen.lock().unwrap().runs, 2, "an observer removed sees nothing");
}
