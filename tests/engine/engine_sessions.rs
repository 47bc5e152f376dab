//! Sessions, feeds, variables, ConfigProto and devices, through the public engine API, with TF's
//! error classes and messages.

use flowbench::engine::error::ErrorClass;
use flowbench::engine::graph::elementwise::{BinaryOp, ReduceOp};
use flowbench::engine::graph::op::Op;
use flowbench::engine::graph::{Graph, Initializer, NodeSpec};
use flowbench::engine::runtime::feed::Feed;
use flowbench::engine::runtime::session::{ConfigProto, Session};
use flowbench::engine::runtime::workspace::{NamedFeed, NamedGraph, Workspace};
use flowbench::engine::{DType, Shape, Value};
use serde_json::json;

fn val(v: serde_json::Value) -> Value {
    Value::from_json(&v, None).unwrap()
}

/// The seed's forward net: w1, w2 from random_normal(seed=1), x a placeholder of `shape`.
fn forward(shape: Shape) -> (Graph, flowbench::engine::Output, flowbench::engine::Output, flowbench::engine::NodeId) {
    let mut g = Graph::new();
    let r1 = g.random_normal(&[2, 3], 0.0, 1.0, Some(1), DType::Float32, None).unwrap();
    let w1 = g.variable(r1, None).unwrap();
    let r2 = g.random_normal(&[3, 1], 0.0, 1.0, Some(1), DType::Float32, None).unwrap();
    let w2 = g.variable(r2, None).unwrap();
    let x = g.placeholder(DType::Float32, shape, Some("input")).unwrap();
    let a = g.matmul(x, w1, None).unwrap();
    let y = g.matmul(a, w2, None).unwrap();
    let init = g.global_variables_initializer().unwrap();
    (g, x, y, init)
}

#[test]
fn random_normal_in_a_fresh_graph_matches_tf() {
    let mut g = Graph::new();
    let r = g.random_normal(&[2, 3], 0.0, 1.0, Some(1), DType::Float32, None).unwrap();
    let mut s = Session::new(&g, ConfigProto::default());
    let out = s.run(&g, &[r], &[], &[]).unwrap();
    assert_eq!(
        out.values[0].to_numpy_string(),
        "[[-0.8113182   1.4845988   0.06532937]\n [-2.4427042   0.0992484   0.5912243 ]]"
    );
    // A second run of the same node draws the next values; a new session starts again.
    let again = s.run(&g, &[r], &[], &[]).unwrap();
    assert_ne!(again.values[0], out.values[0]);
    let mut s2 = Session::new(&g, ConfigProto::default());
    assert_eq!(s2.run(&g, &[r], &[], &[]).unwrap().values[0], out.values[0]);
}

#[test]
fn feeds_and_their_errors() {
    let (g, x, y, init) = forward(Shape::known(&[1, 2]));
    let mut s = Session::new(&g, ConfigProto::default());
    s.run(&g, &[], &[], &[init]).unwrap();
    let out = s.run(&g, &[y], &[Feed { tensor: x, value: val(json!([[0.7, 0.9]])) }], &[]).unwrap();
    assert_eq!(out.values[0].to_numpy_string(), "[[3.957578]]");

    let e = s.run(&g, &[y], &[], &[]).unwrap_err();
    assert_eq!(e.class, ErrorClass::InvalidArgument);
    assert_eq!(e.message, "You must feed a value for placeholder tensor 'input' with dtype float and shape [1,2]");
    assert_eq!(e.node.as_deref(), Some("input"));

    let e = s
        .run(&g, &[y], &[Feed { tensor: x, value: val(json!([[0.7, 0.9], [0.1, 0.4], [0.5, 0.8]])) }], &[])
        .unwrap_err();
    assert_eq!(e.class, ErrorClass::ValueError);
    assert_eq!(e.message, "Cannot feed value of shape (3, 2) for Tensor input:0, which has shape (1, 2)");
}

#[test]
fn unknown_batch_dimension_accepts_any_rows() {
    let (g, x, y, init) = forward(Shape::from_dims(vec![None, Some(2)]));
    assert_eq!(g.tensor_repr(x), "Tensor(\"input:0\", shape=(?, 2), dtype=float32)");
    let mut s = Session::new(&g, ConfigProto::default());
    s.run(&g, &[], &[], &[init]).unwrap();
    let out = s.run(&g, &[y], &[Feed { tensor: x, value: val(json!([[0.7, 0.9], [0.1, 0.4]])) }], &[]).unwrap();
    assert_eq!(out.values[0].shape(), &[2, 1]);
}

#[test]
fn uninitialized_variable_is_a_failed_precondition() {
    let mut g = Graph::new();
    let w = g.get_variable("w", Some(&[2]), DType::Float32, Some(&Initializer::Ones)).unwrap();
    let mut s = Session::new(&g, ConfigProto::default());
    let e = s.run(&g, &[w], &[], &[]).unwrap_err();
    assert_eq!(e.class, ErrorClass::FailedPrecondition);
    assert_eq!(e.message, "Attempting to use uninitialized value w");
    assert_eq!(e.to_string(), "FailedPreconditionError: Attempting to use uninitialized value w");
}

#[test]
fn two_sessions_on_one_graph_hold_different_values() {
    let mut g = Graph::new();
    let v = g.get_variable("v", Some(&[2]), DType::Float32, Some(&Initializer::Zeros)).unwrap();
    let p = g.placeholder(DType::Float32, Shape::known(&[2]), Some("p")).unwrap();
    let assign = g.add(None, NodeSpec::new(Op::Assign { initializer: false }, vec![v, p])).unwrap();
    let init = g.global_variables_initializer().unwrap();
    let mut s1 = Session::new(&g, ConfigProto::default());
    let mut s2 = Session::new(&g, ConfigProto::default());
    s1.run(&g, &[], &[], &[init]).unwrap();
    s2.run(&g, &[], &[], &[init]).unwrap();
    s2.run(&g, &[], &[Feed { tensor: p, value: val(json!([5.0, 7.0])) }], &[assign]).unwrap();
    assert_eq!(s1.run(&g, &[v], &[], &[]).unwrap().values[0].to_numpy_string(), "[0. 0.]");
    assert_eq!(s2.run(&g, &[v], &[], &[]).unwrap().values[0].to_numpy_string(), "[5. 7.]");
}

#[test]
fn run_executes_only_what_fetches_need() {
    let mut g = Graph::new();
    let a = g.constant(val(json!([1.0, 2.0])), Some("a")).unwrap();
    let needs_feed = g.placeholder(DType::Float32, Shape::known(&[2]), Some("unused")).unwrap();
    g.binary(BinaryOp::Add, a, needs_feed, None).unwrap();
    let b = g.binary(BinaryOp::Mul, a, a, None).unwrap();
    let mut s = Session::new(&g, ConfigProto::default());
    // The add needs a feed, but it is not on the path to b, so the run succeeds.
    assert_eq!(s.run(&g, &[b], &[], &[]).unwrap().values[0].to_numpy_string(), "[1. 4.]");
}

#[test]
fn closed_session_refuses_everything_and_frees_its_values() {
    let mut g = Graph::new();
    let v = g.get_variable("v", Some(&[1000]), DType::Float32, Some(&Initializer::Ones)).unwrap();
    let init = g.global_variables_initializer().unwrap();
    let mut s = Session::new(&g, ConfigProto::default());
    let before = s.stats(&g);
    assert_eq!((before.initialized_variables, before.total_variables), (0, 1));
    s.run(&g, &[], &[], &[init]).unwrap();
    s.run(&g, &[v], &[], &[]).unwrap();
    let st = s.stats(&g);
    assert!(st.open);
    assert_eq!(st.initialized_variables, 1);
    assert_eq!(st.run_count, 2);
    assert!(st.bytes_by_device[0].1 >= 4000, "{st:?}");
    s.close();
    let st = s.stats(&g);
    assert!(!st.open);
    assert_eq!(st.bytes_by_device[0].1, 0);
    let e = s.run(&g, &[v], &[], &[]).unwrap_err();
    assert_eq!(e.to_string(), "RuntimeError: Attempted to use a closed Session.");
}

#[test]
fn device_placement_with_and_without_soft_placement() {
    let mut g = Graph::new();
    let a = g.constant(val(json!([1.0, 2.0])), Some("a")).unwrap();
    let b = g.constant(val(json!([2.0, 3.0])), Some("b")).unwrap();
    g.push_device("/gpu:0");
    let z = g.binary(BinaryOp::Add, a, b, Some("z")).unwrap();
    g.pop_device();
    assert_eq!(g.node(z.node).unwrap().device, "/gpu:0");

    let mut hard = Session::new(&g, ConfigProto::default());
    let e = hard.run(&g, &[z], &[], &[]).unwrap_err();
    assert_eq!(e.class, ErrorClass::InvalidArgument);
    assert!(
        e.message.starts_with("Cannot assign a device for operation z: {{node z}} was explicitly assigned to /device:GPU:0 but available devices are [ /job:localhost/replica:0/task:0/device:CPU:0 ]"),
        "{}",
        e.message
    );
    assert_eq!(e.node.as_deref(), Some("z"));

    let cfg = ConfigProto { allow_soft_placement: true, log_device_placement: true, ..Default::default() };
    let mut soft = Session::new(&g, cfg);
    let out = soft.run(&g, &[z], &[], &[]).unwrap();
    let lines: Vec<String> = out.placement_log.iter().map(|p| p.log_line()).collect();
    assert_eq!(
        lines,
        [
            "z: (AddV2): /job:localhost/replica:0/task:0/device:CPU:0",
            "a: (Const): /job:localhost/replica:0/task:0/device:CPU:0",
            "b: (Const): /job:localhost/replica:0/task:0/device:CPU:0",
        ]
    );
    assert!(soft.placements()["z"].reason.contains("soft placement"));
    // The log is given once per node per session.
    assert!(soft.run(&g, &[z], &[], &[]).unwrap().placement_log.is_empty());
}

#[test]
fn operation_timeout_cancels_a_long_run() {
    let mut g = Graph::new();
    let m = g.fill(DType::Float32, &[300, 300], 0.5, Some("m")).unwrap();
    let mut t = m;
    for _ in 0..40 {
        t = g.matmul(t, m, None).unwrap();
    }
    let cfg = ConfigProto { operation_timeout_in_ms: 1, intra_op_parallelism_threads: 1, ..Default::default() };
    let mut s = Session::new(&g, cfg);
    let e = s.run(&g, &[t], &[], &[]).unwrap_err();
    assert_eq!(e.class, ErrorClass::DeadlineExceeded);
}

#[test]
fn intra_op_threads_give_the_same_numbers() {
    let mut g = Graph::new();
    let a = g.random_uniform(&[256, 300], -1.0, 1.0, Some(3), DType::Float32, None).unwrap();
    let b = g.random_uniform(&[300, 200], -1.0, 1.0, Some(4), DType::Float32, None).unwrap();
    let c = g.matmul(a, b, None).unwrap();
    let s = g.reduce(ReduceOp::Sum, c, None, false, None).unwrap();
    let one = Session::new(&g, ConfigProto { intra_op_parallelism_threads: 1, ..Default::default() })
        .run(&g, &[c, s], &[], &[])
        .unwrap();
    let two = Session::new(&g, ConfigProto { intra_op_parallelism_threads: 2, ..Default::default() })
        .run(&g, &[c, s], &[], &[])
        .unwrap();
    let (x, y) = (one.values[0].to_f64_vec(), two.values[0].to_f64_vec());
    let max_diff = x.iter().zip(&y).map(|(p, q)| (p - q).abs()).fold(0.0, f64::max);
    assert!(max_diff < 1e-3, "{max_diff}");
}

#[test]
fn workspace_refuses_tensors_of_another_graph() {
    let mut g1 = Graph::new();
    g1.constant(val(json!([1.0])), Some("a")).unwrap();
    let mut g2 = Graph::new();
    g2.placeholder(DType::Float32, Shape::known(&[1]), Some("x")).unwrap();
    g2.constant(val(json!([1.0])), Some("a")).unwrap();
    let mut ws = Workspace::new(
        vec![NamedGraph { name: "g1".into(), graph: g1 }, NamedGraph { name: "g2".into(), graph: g2 }],
        0,
    );
    let s = ws.open_session("sess", 0, ConfigProto::default(), false).unwrap();
    let e = ws
        .run(s, Some(1), &[], &[NamedFeed { tensor: "x:0".into(), value: val(json!([1.0])) }], &["a".into()])
        .unwrap_err();
    assert!(e.message.contains("is not an element of this graph"), "{}", e.message);
    let e = ws.run(s, Some(1), &["a:0".into()], &[], &[]).unwrap_err();
    assert!(e.message.contains("is not an element of this graph"), "{}", e.message);
    // eval() without a default session.
    let e = ws.eval(0, "a:0", None, &[]).unwrap_err();
    assert!(
        e.message.starts_with("Cannot evaluate tensor using `eval()`: No default session is registered."),
        "{}",
        e.message
    );
    ws.push_default(s);
    assert_eq!(ws.eval(0, "a:0", None, &[]).unwrap().values[0].to_numpy_string(), "[1.]");
    let e = ws.eval(1, "a:0", None, &[]).unwrap_err();
    assert!(e.message.contains("the tensor's graph is different from the session's graph"));
}

#[test]
fn gpu_options_are_kept() {
    let cfg: ConfigProto = serde_json::from_value(json!({
        "gpu_options": {"allow_growth": true, "per_process_gpu_memory_fraction": 0.4},
        "intra_op_parallelism_threads": 2
    }))
    .unwrap();
    assert!(cfg.gpu_options.allow_growth);
    assert!(cfg.summary().contains("gpu allow_growth"));
    let g = Graph::new();
    let s = Session::new(&g, cfg.clone());
    assert_eq!(s.config(), &cfg);
}

#[test]
fn kernel_errors_name_the_op_as_the_placement_log_does() {
    // `BinaryOp::Add` is TF's `AddV2` (and `Div` is `RealDiv`): a kernel error names that type,
    // as the placement log and shape inference do.
    let mut g = Graph::new();
    let a = g.placeholder(DType::Bool, Shape::known(&[2]), Some("a")).unwrap();
    let b = g.placeholder(DType::Bool, Shape::known(&[2]), Some("b")).unwrap();
    let c = g.binary(BinaryOp::Add, a, b, None).unwrap();
    assert_eq!(g.node(c.node).unwrap().op.type_name(), "AddV2");
    let mut s = Session::new(&g, ConfigProto::default());
    let t = val(json!([true, false]));
    let feeds = [Feed { tensor: a, value: t.clone() }, Feed { tensor: b, value: t }];
    let e = s.run(&g, &[c], &feeds, &[]).unwrap_err();
    assert_eq!(e.class, ErrorClass::InvalidArgument);
    assert!(e.message.contains("Op 'AddV2'"), "{}", e.message);
    assert!(!e.message.contains("'Add'"), "{}", e.message);
}

#[test]
fn a_lowered_plan_sees_variables_replaced_between_its_runs() {
    let mut g = Graph::new();
    let v = g.get_variable("v", Some(&[2]), DType::Float32, Some(&Initializer::Zeros)).unwrap();
    let x = g.placeholder(DType::Float32, Shape::known(&[2]), Some("x")).unwrap();
    let y = g.binary(BinaryOp::Mul, v, x, None).unwrap();
    let p = g.placeholder(DType::Float32, Shape::known(&[2]), Some("p")).unwrap();
    let assign = g.add(None, NodeSpec::new(Op::Assign { initializer: false }, vec![v, p])).unwrap();
    let init = g.global_variables_initializer().unwrap();
    let mut s = Session::new(&g, ConfigProto::default());
    s.run(&g, &[], &[], &[init]).unwrap();
    let feeds = [Feed { tensor: x, value: val(json!([2.0, 3.0])) }];
    let (plan, _) = s.prepare(&g, &[y], &[x], &[]).unwrap();
    let fetch = |s: &mut Session| {
        s.run_prepared(&g, plan, &feeds).unwrap();
        s.fetched(plan, 0, &feeds).unwrap().to_numpy_string()
    };
    assert_eq!(fetch(&mut s), "[0. 0.]");
    assert_eq!(fetch(&mut s), "[0. 0.]");
    assert!(s.uses_fast_path(plan));
    // A loader replaces the value: the lowered plan reads the new one.
    s.set_variable("v", val(json!([1.0, 2.0])));
    assert_eq!(fetch(&mut s), "[2. 6.]");
    // So does an assign run on the general path, and a run that lowers it.
    for (k, want) in [(5.0, "[10. 21.]"), (6.0, "[12. 24.]"), (7.0, "[14. 27.]")] {
        let feed = Feed { tensor: p, value: val(json!([k, k + 2.0])) };
        s.run(&g, &[], &[feed], &[assign]).unwrap();
        assert_eq!(fetch(&mut s), want);
    }
    // A closed session refuses instead of reading freed values.
    s.close();
    assert!(s.run_prepared(&g, plan, &feeds).is_err());
}
