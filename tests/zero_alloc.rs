//! In the steady state, a small graph's training step allocates nothing on the heap: a counting
//! global allocator watches 1000 steps of the seed's program run through a prepared plan.

use flowbench::engine::autodiff::optimizers::{Optimizer, minimize};
use flowbench::engine::graph::Graph;
use flowbench::engine::graph::elementwise::{BinaryOp, ReduceOp, UnaryOp};
use flowbench::engine::runtime::feed::Feed;
use flowbench::engine::runtime::session::{ConfigProto, Session};
use flowbench::engine::{DType, Shape, Value};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

thread_local! {
    /// Counting is per thread, so tests running beside this one are not counted.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_training_step_allocates_nothing_in_the_steady_state() {
    let seed = flowbench::train::seed::build(&Optimizer::adam(0.001)).unwrap();
    let (w2, x, y_, y, loss, train) = (seed.w2, seed.x, seed.y_, seed.y, seed.loss, seed.train);
    let mut g = seed.graph;
    let init = g.global_variables_initializer().unwrap();
    let mut s = Session::new(&g, ConfigProto { intra_op_parallelism_threads: 1, ..Default::default() });
    s.run(&g, &[], &[], &[init]).unwrap();
    let xb = Value::from_json(&serde_json::json!(vec![[0.1, 0.2]; 8]), None).unwrap();
    let yb = Value::from_json(&serde_json::json!(vec![[1.0]; 8]), None).unwrap();
    let mut feeds = vec![Feed { tensor: x, value: xb }, Feed { tensor: y_, value: yb }];
    let (plan, _) = s.prepare(&g, &[loss, y], &[x, y_], &[train]).unwrap();
    for _ in 0..10 {
        s.run_prepared(&g, plan, &feeds).unwrap();
    }
    ALLOCS.store(0, Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    for i in 0..1000 {
        // Change the batch in place, as the worker does.
        if let Value::F32(a) = &mut feeds[0].value {
            a.iter_mut().for_each(|v| *v = (i % 7) as f32 * 0.1);
        }
        s.run_prepared(&g, plan, &feeds).unwrap();
        let l = s.fetched(plan, 0, &feeds).and_then(Value::first_f64).unwrap();
        assert!(l.is_finite());
    }
    COUNTING.with(|c| c.set(false));
    let n = ALLOCS.load(Ordering::SeqCst);
    let _ = w2;
    assert!(s.uses_fast_path(plan));
    assert_eq!(n, 0, "{n} heap allocations in 1000 steady-state training steps");
}

/// The fast path and the general path give bit-identical training, for each optimizer.
#[test]
fn fast_path_trains_bit_identically_to_the_general_path() {
    use flowbench::engine::graph::NodeSpec;
    use flowbench::engine::graph::op::Op;
    for opt in [
        Optimizer::adam(0.01),
        Optimizer::GradientDescent { learning_rate: 0.1 },
        Optimizer::Momentum { learning_rate: 0.05, momentum: 0.9, use_nesterov: true },
        Optimizer::RMSProp { learning_rate: 0.01, decay: 0.9, momentum: 0.5, epsilon: 1e-10 },
    ] {
        let run = |fast: bool| -> (Vec<f64>, Vec<f64>, bool) {
            let mut g = Graph::new();
            let r1 = g.random_normal(&[2, 3], 0.0, 1.0, Some(1), DType::Float32, None).unwrap();
            let w1 = g.variable(r1, None).unwrap();
            let r2 = g.random_normal(&[3, 1], 0.0, 1.0, Some(1), DType::Float32, None).unwrap();
            let w2 = g.variable(r2, None).unwrap();
            let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(2)]), Some("x")).unwrap();
            let y_ = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(1)]), Some("y")).unwrap();
            let a = g.matmul(x, w1, None).unwrap();
            let b0 = g.fill(DType::Float32, &[3], 0.1, Some("b0")).unwrap();
            let bias = g.variable(b0, Some("bias")).unwrap();
            let a = g.binary(BinaryOp::Add, a, bias, None).unwrap();
            let a = g.unary(UnaryOp::Tanh, a, None).unwrap();
            let z = g.matmul(a, w2, None).unwrap();
            let y = g.unary(UnaryOp::Sigmoid, z, None).unwrap();
            let c = g.clip_by_value(y, 1e-10, 1.0, None).unwrap();
            let l = g.unary(UnaryOp::Log, c, None).unwrap();
            let m = g.binary(BinaryOp::Mul, y_, l, None).unwrap();
            let xent = g.add(None, NodeSpec::new(Op::SigmoidCrossEntropyWithLogits, vec![y_, z])).unwrap().out();
            let s1 = g.reduce(ReduceOp::Mean, m, None, false, None).unwrap();
            let s2 = g.reduce(ReduceOp::Mean, xent, None, false, None).unwrap();
            let d = g.binary(BinaryOp::Sub, s2, s1, None).unwrap();
            let loss = g.binary(BinaryOp::Maximum, d, s2, None).unwrap();
            let train = minimize(&mut g, &opt, loss, None).unwrap().train_op;
            let init = g.global_variables_initializer().unwrap();
            let mut s = Session::new(&g, ConfigProto { intra_op_parallelism_threads: 1, ..Default::default() });
            s.set_fast_path(fast);
            s.run(&g, &[], &[], &[init]).unwrap();
            let (plan, _) = s.prepare(&g, &[loss], &[x, y_], &[train]).unwrap();
            let mut losses = Vec::new();
            for i in 0..300 {
                let xv: Vec<f64> = (0..16).map(|k| ((i * 16 + k) % 13) as f64 / 13.0).collect();
                let yv: Vec<f64> = (0..8).map(|k| ((i + k) % 2) as f64).collect();
                let xb = Value::F32(
                    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[8, 2]), xv.iter().map(|&v| v as f32).collect())
                        .unwrap(),
                );
                let yb = Value::F32(
                    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[8, 1]), yv.iter().map(|&v| v as f32).collect())
                        .unwrap(),
                );
                let feeds = [Feed { tensor: x, value: xb }, Feed { tensor: y_, value: yb }];
                s.run_prepared(&g, plan, &feeds).unwrap();
                losses.push(s.fetched(plan, 0, &feeds).and_then(Value::first_f64).unwrap());
            }
            let w = s.run(&g, &[w1, w2], &[], &[]).unwrap();
            let weights = w.values.iter().flat_map(Value::to_f64_vec).collect();
            (losses, weights, s.uses_fast_path(plan))
        };
        let (l_fast, w_fast, used) = run(true);
        let (l_gen, w_gen, unused) = run(false);
        assert!(!unused);
        assert!(used, "{opt:?}: the plan was not lowered");
        assert_eq!(l_fast, l_gen, "{opt:?}: losses differ");
        assert_eq!(w_fast, w_gen, "{opt:?}: weights differ");
    }
}

/// Every unary op of the table, forward and gradient, on a float32 tensor with full packets and
/// a tail: the fast path gives the general path's bits (and lowers the plans of `Elu` and
/// `Square` with their gradients).
#[test]
fn fast_path_matches_the_general_path_for_every_unary_op() {
    use flowbench::engine::autodiff::gradients::gradients;
    let xs: Vec<f32> = (0..13).map(|i| (i as f32 - 6.5) * 0.37).collect();
    for op in UnaryOp::ALL {
        let run = |fast: bool| -> (Vec<u32>, bool) {
            let mut g = Graph::new();
            let x = g.placeholder(DType::Float32, Shape::known(&[13]), Some("x")).unwrap();
            let y = g.unary(op, x, None).unwrap();
            let l = g.reduce(ReduceOp::Sum, y, None, false, None).unwrap();
            let mut fetches = vec![y];
            if let Ok(gr) = gradients(&mut g, &[l], &[x]) {
                fetches.extend(gr.into_iter().flatten());
            }
            let mut s = Session::new(&g, ConfigProto { intra_op_parallelism_threads: 1, ..Default::default() });
            s.set_fast_path(fast);
            let (plan, _) = s.prepare(&g, &fetches, &[x], &[]).unwrap();
            let xb = Value::F32(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[13]), xs.clone()).unwrap());
            let feeds = [Feed { tensor: x, value: xb }];
            let mut bits = Vec::new();
            for _ in 0..3 {
                s.run_prepared(&g, plan, &feeds).unwrap();
                bits.clear();
                for i in 0..fetches.len() {
                    let v = s.fetched(plan, i, &feeds).unwrap();
                    bits.extend(v.to_f64_vec().iter().map(|&f| (f as f32).to_bits()));
                }
            }
            (bits, s.uses_fast_path(plan))
        };
        let (fast, lowered) = run(true);
        let (general, _) = run(false);
        assert_eq!(fast, general, "{op:?}");
        if matches!(op, UnaryOp::Elu | UnaryOp::Square) {
            assert!(lowered, "{op:?}: the plan was not lowered");
        }
    }
}

/// An MLP with big matmuls (split across the session's pool), relu, bias adds and softmax
/// cross-entropy is lowered to the fast path, which trains it bit-identically to the general path;
/// and however many threads the matmuls are split over, the bits are the same.
#[test]
fn fast_path_trains_a_big_mlp_bit_identically_over_any_thread_count() {
    big_mlp_trains_bit_identically(32, 300, 96);
}

/// As above with a first layer too big for TF's summation order (on the blocked GEMM, whose
/// tiles also add the bias and apply the relu).
#[test]
fn fast_path_trains_an_mlp_on_the_blocked_gemm_bit_identically() {
    big_mlp_trains_bit_identically(40, 1100, 160);
}

/// As above with a batch bigger than one block of the GEMM's `k` (the weight gradient summed in
/// two blocks) and a layer too narrow for its tiles (the products computed transposed, the bias
/// added by row).
#[test]
fn fast_path_trains_an_mlp_with_a_big_batch_and_a_narrow_layer_bit_identically() {
    big_mlp_trains_bit_identically(300, 1100, 12);
}

fn big_mlp_trains_bit_identically(batch: usize, features: usize, hidden: usize) {
    use flowbench::engine::graph::NodeSpec;
    use flowbench::engine::graph::op::Op;
    let classes = 10usize;
    let run = |fast: bool, threads: u32| -> (Vec<u32>, bool) {
        let mut g = Graph::new();
        let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(features)]), Some("x")).unwrap();
        let y_ = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(classes)]), Some("y")).unwrap();
        let r1 = g.truncated_normal(&[features, hidden], 0.0, 0.05, Some(1), DType::Float32, None).unwrap();
        let w1 = g.variable(r1, None).unwrap();
        let b1 = g.fill(DType::Float32, &[hidden], 0.1, Some("b1")).unwrap();
        let b1 = g.variable(b1, None).unwrap();
        let r2 = g.truncated_normal(&[hidden, classes], 0.0, 0.1, Some(2), DType::Float32, None).unwrap();
        let w2 = g.variable(r2, None).unwrap();
        let h = g.matmul(x, w1, None).unwrap();
        let h = g.binary(BinaryOp::Add, h, b1, None).unwrap();
        let h = g.unary(UnaryOp::Relu, h, None).unwrap();
        let logits = g.matmul(h, w2, None).unwrap();
        let xent = g.add(None, NodeSpec::new(Op::SoftmaxCrossEntropyWithLogits, vec![y_, logits])).unwrap().out();
        let loss = g.reduce(ReduceOp::Mean, xent, None, false, None).unwrap();
        let train = minimize(&mut g, &Optimizer::adam(0.01), loss, None).unwrap().train_op;
        let init = g.global_variables_initializer().unwrap();
        let mut s = Session::new(&g, ConfigProto { intra_op_parallelism_threads: threads, ..Default::default() });
        s.set_fast_path(fast);
        s.run(&g, &[], &[], &[init]).unwrap();
        let (plan, _) = s.prepare(&g, &[loss], &[x, y_], &[train]).unwrap();
        let mut bits = Vec::new();
        for i in 0..6 {
            let xv: Vec<f32> = (0..batch * features).map(|k| ((i * 7 + k) % 17) as f32 / 17.0).collect();
            let yv: Vec<f32> = (0..batch * classes)
                .map(|k| if k % classes == (k / classes + i) % classes { 1.0 } else { 0.0 })
                .collect();
            let xb = Value::F32(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[batch, features]), xv).unwrap());
            let yb = Value::F32(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[batch, classes]), yv).unwrap());
            let feeds = [Feed { tensor: x, value: xb }, Feed { tensor: y_, value: yb }];
            s.run_prepared(&g, plan, &feeds).unwrap();
            bits.push(s.fetched(plan, 0, &feeds).and_then(Value::first_f64).map(|v| (v as f32).to_bits()).unwrap());
        }
        let w = s.run(&g, &[w1, b1, w2], &[], &[]).unwrap();
        bits.extend(w.values.iter().flat_map(Value::to_f64_vec).map(|v| (v as f32).to_bits()));
        (bits, s.uses_fast_path(plan))
    };
    let (fast2, lowered) = run(true, 2);
    assert!(lowered, "the MLP's plan was not lowered");
    assert_eq!(fast2, run(false, 2).0, "fast and general paths differ");
    assert_eq!(fast2, run(true, 1).0, "one thread and two differ");
    assert_eq!(fast2, run(true, 3).0, "three threads and two differ");
}

/// The tutorial's whole MNIST program (exponential decay on an int32 global step, L2 terms,
/// sparse softmax cross-entropy on `argmax` labels, moving averages) is lowered to the fast path,
/// which trains it bit-identically to the general path, on one thread, two and three (with 200
/// inputs the first layer's 100,000 weights are big enough for their updates, moving averages
/// and L2 terms to be split across the pool).
#[test]
fn fast_path_trains_the_mnist_program_bit_identically() {
    let (batch, features, classes) = (10usize, 200usize, 10usize);
    let run = |fast: bool, threads: u32| -> (Vec<u64>, bool) {
        let m = flowbench::train::book::mnist(features, 1000, 7).unwrap();
        let p = m.program;
        let g = p.graph;
        let x = g.find("x-input").unwrap().out();
        let y_ = g.find("y-input").unwrap().out();
        let mut s = Session::new(&g, ConfigProto { intra_op_parallelism_threads: threads, ..Default::default() });
        s.set_fast_path(fast);
        s.run(&g, &[], &[], &[p.init]).unwrap();
        let (plan, _) = s.prepare(&g, &[p.loss], &[x, y_], &[p.train]).unwrap();
        let mut bits = Vec::new();
        for i in 0..25 {
            let xv: Vec<f32> = (0..batch * features).map(|k| ((i * 5 + k) % 17) as f32 / 17.0).collect();
            let yv: Vec<f32> = (0..batch * classes)
                .map(|k| if k % classes == (k / classes + i) % classes { 1.0 } else { 0.0 })
                .collect();
            let xb = Value::F32(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[batch, features]), xv).unwrap());
            let yb = Value::F32(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[batch, classes]), yv).unwrap());
            let feeds = [Feed { tensor: x, value: xb }, Feed { tensor: y_, value: yb }];
            s.run_prepared(&g, plan, &feeds).unwrap();
            bits.push(s.fetched(plan, 0, &feeds).and_then(Value::first_f64).map(f64::to_bits).unwrap());
        }
        // Every variable: the weights, their moving averages and the global step.
        let vars: Vec<_> = g.variables().iter().map(|(v, _)| v.out()).collect();
        let w = s.run(&g, &vars, &[], &[]).unwrap();
        bits.extend(w.values.iter().flat_map(Value::to_f64_vec).map(f64::to_bits));
        (bits, s.uses_fast_path(plan))
    };
    let (fast1, lowered) = run(true, 1);
    assert!(lowered, "the MNIST program's plan was not lowered");
    assert_eq!(fast1, run(false, 1).0, "fast and general paths differ");
    assert_eq!(fast1, run(true, 2).0, "one thread and two differ");
    assert_eq!(fast1, run(true, 3).0, "one thread and three differ");
    assert_eq!(fast1, run(false, 2).0, "the general path on one thread and two differ");
}
