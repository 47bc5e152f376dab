//! Every differentiable op's gradient checked against central finite differences (in float64),
//! plus the gradient graph's TF naming and the error for a non-differentiable path.

use flowbench::engine::autodiff::gradients::gradients;
use flowbench::engine::error::ErrorClass;
use flowbench::engine::graph::elementwise::{BinaryOp, ReduceOp, UnaryOp};
use flowbench::engine::graph::op::Op;
use flowbench::engine::graph::{Graph, NodeSpec, Output};
use flowbench::engine::runtime::feed::Feed;
use flowbench::engine::runtime::session::{ConfigProto, Session};
use flowbench::engine::{DType, Shape, Value};
use ndarray::{ArrayD, IxDyn};

fn f64v(shape: &[usize], data: &[f64]) -> Value {
    Value::F64(ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).unwrap())
}

/// Deterministic pseudo-random values in [lo, hi).
fn values(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

/// Builds `loss = sum(f(inputs) * w)` with fixed weights `w`, then compares the symbolic
/// gradient of each input with central differences.
fn check(name: &str, inputs: &[(Vec<usize>, Vec<f64>)], f: impl Fn(&mut Graph, &[Output]) -> Output) {
    let mut g = Graph::new();
    let xs: Vec<Output> = inputs
        .iter()
        .enumerate()
        .map(|(i, (shape, _))| g.placeholder(DType::Float64, Shape::known(shape), Some(&format!("x{i}"))).unwrap())
        .collect();
    let out = f(&mut g, &xs);
    let out_shape = g.output_info(out).unwrap().1.to_known().expect("static output shape");
    let n_out: usize = out_shape.iter().product();
    let w = g.constant(f64v(&out_shape, &values(n_out, 99, 0.5, 1.5)), Some("w")).unwrap();
    let prod = g.binary(BinaryOp::Mul, out, w, None).unwrap();
    let loss = g.reduce(ReduceOp::Sum, prod, None, false, None).unwrap();
    let grads = gradients(&mut g, &[loss], &xs).unwrap();
    let mut s = Session::new(&g, ConfigProto::default());
    let feeds = |vals: &[Vec<f64>]| -> Vec<Feed> {
        xs.iter().zip(inputs).zip(vals).map(|((x, (shape, _)), v)| Feed { tensor: *x, value: f64v(shape, v) }).collect()
    };
    let base: Vec<Vec<f64>> = inputs.iter().map(|(_, v)| v.clone()).collect();
    let fetch: Vec<Output> = grads.iter().map(|gr| gr.unwrap_or_else(|| panic!("{name}: no gradient"))).collect();
    let symbolic = s.run(&g, &fetch, &feeds(&base), &[]).unwrap().values;
    let h = 1e-6;
    for (i, (_, v)) in inputs.iter().enumerate() {
        for k in 0..v.len() {
            let mut plus = base.clone();
            plus[i][k] += h;
            let mut minus = base.clone();
            minus[i][k] -= h;
            let lp = s.run(&g, &[loss], &feeds(&plus), &[]).unwrap().values[0].first_f64().unwrap();
            let lm = s.run(&g, &[loss], &feeds(&minus), &[]).unwrap().values[0].first_f64().unwrap();
            let numeric = (lp - lm) / (2.0 * h);
            let sym = symbolic[i].to_f64_vec()[k];
            assert!(
                (numeric - sym).abs() <= 1e-5 * (1.0 + numeric.abs()),
                "{name}: d/dx{i}[{k}] symbolic {sym} vs numeric {numeric}"
            );
        }
    }
}

fn bin(kind: BinaryOp) -> impl Fn(&mut Graph, &[Output]) -> Output {
    move |g, x| g.binary(kind, x[0], x[1], None).unwrap()
}

fn un(kind: UnaryOp) -> impl Fn(&mut Graph, &[Output]) -> Output {
    move |g, x| g.unary(kind, x[0], None).unwrap()
}

#[test]
fn binary_ops_with_broadcasting() {
    let a = (vec![2, 3], values(6, 1, -2.0, 2.0));
    let b = (vec![3], values(3, 2, 0.5, 2.0));
    let col = (vec![2, 1], values(2, 3, 0.5, 2.0));
    for kind in [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Maximum, BinaryOp::Minimum] {
        check(&format!("{kind:?} same shape"), &[a.clone(), (vec![2, 3], values(6, 4, 0.5, 2.0))], bin(kind));
        check(&format!("{kind:?} row broadcast"), &[a.clone(), b.clone()], bin(kind));
        check(&format!("{kind:?} column broadcast"), &[col.clone(), a.clone()], bin(kind));
    }
    check("Pow", &[(vec![4], values(4, 5, 0.5, 2.0)), (vec![4], values(4, 6, 0.5, 2.0))], bin(BinaryOp::Pow));
}

#[test]
fn unary_ops() {
    let any = (vec![2, 3], values(6, 7, -2.0, 2.0));
    let pos = (vec![2, 3], values(6, 8, 0.2, 3.0));
    for kind in [UnaryOp::Neg, UnaryOp::Sigmoid, UnaryOp::Tanh, UnaryOp::Square, UnaryOp::Exp, UnaryOp::Identity] {
        check(&format!("{kind:?}"), std::slice::from_ref(&any), un(kind));
    }
    for kind in [UnaryOp::Log, UnaryOp::Sqrt, UnaryOp::Reciprocal] {
        check(&format!("{kind:?}"), std::slice::from_ref(&pos), un(kind));
    }
    // Away from the kinks at 0.
    let away = (vec![4], vec![-1.5, -0.3, 0.4, 2.0]);
    check("Relu", std::slice::from_ref(&away), un(UnaryOp::Relu));
    check("Abs", &[away], un(UnaryOp::Abs));
    // Elu on both sides of 0 (its derivative is continuous there); Square on its own, as the
    // table builds it (`Mul(dy, Mul(x, 2))`).
    check("Elu", std::slice::from_ref(&any), un(UnaryOp::Elu));
    check("Elu far left", &[(vec![3], vec![-6.0, -3.5, -0.01])], un(UnaryOp::Elu));
    check("Square", &[(vec![5], vec![-3.0, -0.5, 0.0, 0.25, 4.0])], un(UnaryOp::Square));
}

#[test]
fn elu_and_square_gradients_are_named_as_tf_names_them() {
    let mut g = Graph::new();
    let x = g.placeholder(DType::Float32, Shape::known(&[2]), Some("x")).unwrap();
    let y = g.unary(UnaryOp::Elu, x, None).unwrap();
    assert_eq!(g.tensor_name(y), "Elu:0");
    let l = g.reduce(ReduceOp::Sum, y, None, false, None).unwrap();
    let gr = gradients(&mut g, &[l], &[x]).unwrap();
    assert_eq!(g.tensor_name(gr[0].unwrap()), "gradients/Elu_grad/EluGrad:0");
    let n = g.find("gradients/Elu_grad/EluGrad").unwrap();
    assert_eq!(g.node(n).unwrap().op.type_name(), "EluGrad");

    let mut g = Graph::new();
    let x = g.placeholder(DType::Float32, Shape::known(&[2]), Some("x")).unwrap();
    let y = g.unary(UnaryOp::Square, x, None).unwrap();
    let l = g.reduce(ReduceOp::Sum, y, None, false, None).unwrap();
    let gr = gradients(&mut g, &[l], &[x]).unwrap();
    assert_eq!(g.tensor_name(gr[0].unwrap()), "gradients/Square_grad/Mul_1:0");
    assert!(g.find("gradients/Square_grad/Mul").is_some());
}

/// Which sides of a broadcasting binary op get a reduction, and their names, follow TF's
/// `SmartBroadcastGradientArgs` on the static shapes: for `matmul(x, w) + b` with an unknown batch
/// only `b`'s gradient is summed (`gradients/add_grad/Reshape`); for `1 - y` only the scalar's;
/// unknown dims facing each other reduce both (`Reshape`, `Reshape_1`); equal known shapes none.
#[test]
fn broadcast_gradients_reduce_the_sides_tf_reduces() {
    let reductions = |g: &Graph| -> Vec<String> {
        g.nodes().iter().filter(|n| matches!(n.op, Op::SumToShape)).map(|n| n.name.clone()).collect()
    };
    let mut g = Graph::new();
    let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(2)]), Some("x")).unwrap();
    let w = g.placeholder(DType::Float32, Shape::known(&[2, 3]), Some("w")).unwrap();
    let b = g.placeholder(DType::Float32, Shape::known(&[3]), Some("b")).unwrap();
    let m = g.matmul(x, w, None).unwrap();
    let y = g.binary(BinaryOp::Add, m, b, None).unwrap();
    let l = g.reduce(ReduceOp::Sum, y, None, false, None).unwrap();
    let gr = gradients(&mut g, &[l], &[b]).unwrap();
    assert_eq!(reductions(&g), ["gradients/add_grad/Reshape"]);
    assert_eq!(g.tensor_name(gr[0].unwrap()), "gradients/add_grad/Reshape:0");

    let mut g = Graph::new();
    let y = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(1)]), Some("y")).unwrap();
    let z = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(1)]), Some("z")).unwrap();
    let one = g.constant(Value::scalar_f32(1.0), Some("one")).unwrap();
    let d = g.binary(BinaryOp::Sub, one, y, None).unwrap();
    let e = g.binary(BinaryOp::Mul, d, z, None).unwrap();
    let l = g.reduce(ReduceOp::Sum, e, None, false, None).unwrap();
    gradients(&mut g, &[l], &[y, z]).unwrap();
    assert_eq!(
        reductions(&g),
        ["gradients/mul_grad/Reshape", "gradients/mul_grad/Reshape_1", "gradients/sub_grad/Reshape"]
    );

    let mut g = Graph::new();
    let p = g.placeholder(DType::Float32, Shape::known(&[2, 3]), Some("p")).unwrap();
    let q = g.placeholder(DType::Float32, Shape::known(&[2, 3]), Some("q")).unwrap();
    let s = g.binary(BinaryOp::Mul, p, q, None).unwrap();
    let l = g.reduce(ReduceOp::Sum, s, None, false, None).unwrap();
    gradients(&mut g, &[l], &[p, q]).unwrap();
    assert!(reductions(&g).is_empty());
}

#[test]
fn matmul_with_every_transpose() {
    for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
        let sa = if ta { vec![3, 2] } else { vec![2, 3] };
        let sb = if tb { vec![4, 3] } else { vec![3, 4] };
        check(
            &format!("MatMul ta={ta} tb={tb}"),
            &[(sa, values(6, 10, -1.0, 1.0)), (sb, values(12, 11, -1.0, 1.0))],
            move |g, x| {
                g.add(None, NodeSpec::new(Op::MatMul { transpose_a: ta, transpose_b: tb }, vec![x[0], x[1]]))
                    .unwrap()
                    .out()
            },
        );
    }
}

#[test]
fn reductions() {
    let x = (vec![2, 3], vec![0.3, -1.2, 2.5, 0.7, 1.9, -0.4]);
    for kind in [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min] {
        for (axes, keep) in [(None, false), (Some(vec![0]), false), (Some(vec![-1]), true), (Some(vec![0, 1]), true)] {
            let a = axes.clone();
            check(&format!("{kind:?} {axes:?} keep={keep}"), std::slice::from_ref(&x), move |g, xs| {
                g.reduce(kind, xs[0], a.clone(), keep, None).unwrap()
            });
        }
    }
}

#[test]
fn clip_softmax_and_cross_entropies() {
    // Inside the range the gradient passes; outside it is 0 (TF's ClipByValue gradient).
    check("ClipByValue", &[(vec![5], vec![-2.0, -0.5, 0.1, 0.6, 3.0])], |g, x| {
        g.clip_by_value(x[0], -1.0, 1.0, None).unwrap()
    });
    check("Softmax", &[(vec![2, 3], values(6, 12, -2.0, 2.0))], |g, x| {
        g.add(None, NodeSpec::new(Op::Softmax, vec![x[0]])).unwrap().out()
    });
    check(
        "SigmoidCrossEntropyWithLogits",
        &[(vec![2, 3], values(6, 13, 0.0, 1.0)), (vec![2, 3], values(6, 14, -3.0, 3.0))],
        |g, x| g.add(None, NodeSpec::new(Op::SigmoidCrossEntropyWithLogits, vec![x[0], x[1]])).unwrap().out(),
    );
    let labels = vec![0.2, 0.3, 0.5, 0.1, 0.1, 0.8];
    check("SoftmaxCrossEntropyWithLogits", &[(vec![2, 3], labels), (vec![2, 3], values(6, 15, -2.0, 2.0))], |g, x| {
        g.add(None, NodeSpec::new(Op::SoftmaxCrossEntropyWithLogits, vec![x[0], x[1]])).unwrap().out()
    });
    check("ExpandDims", &[(vec![3], values(3, 16, -1.0, 1.0))], |g, x| {
        g.add(None, NodeSpec::new(Op::ExpandDims { axis: 0 }, vec![x[0]])).unwrap().out()
    });
    check("Cast f64->f64 and Identity chain", &[(vec![3], values(3, 17, -1.0, 1.0))], |g, x| {
        let c = g.add(None, NodeSpec::new(Op::Cast { to: DType::Float64 }, vec![x[0]])).unwrap().out();
        g.add(None, NodeSpec::new(Op::Identity, vec![c])).unwrap().out()
    });
}

#[test]
fn a_tensor_used_twice_sums_its_gradients() {
    check("x*x + x", &[(vec![3], vec![0.5, -1.0, 2.0])], |g, x| {
        let sq = g.binary(BinaryOp::Mul, x[0], x[0], None).unwrap();
        g.binary(BinaryOp::Add, sq, x[0], None).unwrap()
    });
}

#[test]
fn gradient_ops_live_under_the_gradients_scope() {
    let mut g = Graph::new();
    let x = g.placeholder(DType::Float32, Shape::known(&[2]), Some("x")).unwrap();
    let y = g.unary(UnaryOp::Sigmoid, x, None).unwrap();
    let l = g.reduce(ReduceOp::Mean, y, None, false, None).unwrap();
    let gr = gradients(&mut g, &[l], &[x]).unwrap();
    let gname = g.tensor_name(gr[0].unwrap());
    assert_eq!(gname, "gradients/Sigmoid_grad/SigmoidGrad:0");
    assert!(g.find("gradients/Fill").is_some());
    assert!(g.find("gradients/Mean_grad/Tile").is_some());
    // A second call gets its own scope, as in TF.
    let gr2 = gradients(&mut g, &[l], &[x]).unwrap();
    assert!(g.tensor_name(gr2[0].unwrap()).starts_with("gradients_1/"));
}

#[test]
fn unconnected_is_none_and_non_differentiable_is_an_error() {
    let mut g = Graph::new();
    let x = g.placeholder(DType::Float32, Shape::known(&[2]), Some("x")).unwrap();
    let z = g.placeholder(DType::Float32, Shape::known(&[2]), Some("z")).unwrap();
    let y = g.unary(UnaryOp::Square, x, None).unwrap();
    assert_eq!(gradients(&mut g, &[y], &[z]).unwrap(), vec![None]);

    let c = g.constant(Value::scalar_f32(0.0), Some("c")).unwrap();
    let less = g.binary(BinaryOp::Less, x, c, None).unwrap();
    let f = g.add(None, NodeSpec::new(Op::Cast { to: DType::Float32 }, vec![less])).unwrap().out();
    let e = gradients(&mut g, &[f], &[x]).unwrap_err();
    assert_eq!(e.class, ErrorClass::LookupError);
    assert!(e.message.starts_with("No gradient defined for operation 'Cast'"), "{}", e.message);
}

/// Runs `f` on float64 inputs and returns its value (the forward half of a check).
fn forward(inputs: &[(Vec<usize>, Vec<f64>)], f: impl Fn(&mut Graph, &[Output]) -> Output) -> Value {
    let mut g = Graph::new();
    let xs: Vec<Output> = inputs.iter().map(|(s, v)| g.constant(f64v(s, v), None).unwrap()).collect();
    let out = f(&mut g, &xs);
    let mut s = Session::new(&g, ConfigProto::default());
    s.run(&g, &[out], &[], &[]).unwrap().values.remove(0)
}

fn node(op: Op) -> impl Fn(&mut Graph, &[Output]) -> Output {
    move |g, x| g.add(None, NodeSpec::new(op.clone(), x.to_vec())).unwrap().out()
}

#[test]
fn chapter_four_ops_forward_and_derivative() {
    // Select (tf.where): a condition from a comparison of the inputs themselves (no gradient
    // flows into it), t where it holds, e elsewhere.
    let select = |g: &mut Graph, x: &[Output]| {
        let c = g.binary(BinaryOp::Greater, x[0], x[1], None).unwrap();
        let ten = g.constant(Value::filled(DType::Float64, &[], 10.0), None).unwrap();
        let d = g.binary(BinaryOp::Sub, x[0], x[1], None).unwrap();
        let under = g.binary(BinaryOp::Sub, x[1], x[0], None).unwrap();
        let under = g.binary(BinaryOp::Mul, under, ten, None).unwrap();
        g.add(None, NodeSpec::new(Op::Select, vec![c, d, under])).unwrap().out()
    };
    let (a, b) = (vec![1.0, 2.0, 3.0, -1.0], vec![1.5, 1.0, 2.0, 0.0]);
    let y = forward(&[(vec![4], a.clone()), (vec![4], b.clone())], select);
    assert_eq!(y.to_f64_vec(), vec![5.0, 1.0, 1.0, 10.0]);
    check("Select", &[(vec![4], a), (vec![4], b)], select);
    // A vector condition picks whole rows.
    let rows = |g: &mut Graph, x: &[Output]| {
        let c = g.constant(Value::Bool(ArrayD::from_shape_vec(IxDyn(&[2]), vec![true, false]).unwrap()), None).unwrap();
        g.add(None, NodeSpec::new(Op::Select, vec![c, x[0], x[1]])).unwrap().out()
    };
    let y = forward(&[(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]), (vec![2, 2], vec![5.0, 6.0, 7.0, 8.0])], rows);
    assert_eq!(y.to_f64_vec(), vec![1.0, 2.0, 7.0, 8.0]);
    check("Select by rows", &[(vec![2, 2], values(4, 30, -1.0, 1.0)), (vec![2, 2], values(4, 31, -1.0, 1.0))], rows);

    // L2Loss = sum(x^2) / 2; its derivative is x.
    let x = vec![1.0, -2.0, 3.0];
    assert_eq!(forward(&[(vec![3], x.clone())], node(Op::L2Loss)).to_f64_vec(), vec![7.0]);
    check("L2Loss", &[(vec![3], x)], node(Op::L2Loss));

    // AddN: the sum, left to right; each input's derivative is dy.
    let ins = [(vec![2], vec![1.0, 2.0]), (vec![2], vec![10.0, 20.0]), (vec![2], vec![100.0, 200.0])];
    assert_eq!(forward(&ins, node(Op::AddN { n: 3 })).to_f64_vec(), vec![111.0, 222.0]);
    check("AddN", &ins, node(Op::AddN { n: 3 }));

    // SparseSoftmaxCrossEntropyWithLogits: loss = logsumexp(row) - row[label].
    let sparse = |g: &mut Graph, x: &[Output]| {
        let labels = g.constant(Value::I32(ArrayD::from_shape_vec(IxDyn(&[2]), vec![2, 0]).unwrap()), None).unwrap();
        g.add(None, NodeSpec::new(Op::SparseSoftmaxCrossEntropyWithLogits, vec![x[0], labels])).unwrap().out()
    };
    let logits = vec![1.0, 2.0, 3.0, 0.5, -0.5, 0.0];
    let loss = forward(&[(vec![2, 3], logits.clone())], sparse).to_f64_vec();
    let lse = |r: &[f64]| r.iter().map(|v| v.exp()).sum::<f64>().ln();
    assert!((loss[0] - (lse(&logits[..3]) - 3.0)).abs() < 1e-12);
    assert!((loss[1] - (lse(&logits[3..]) - 0.5)).abs() < 1e-12);
    check("SparseSoftmaxCrossEntropyWithLogits", &[(vec![2, 3], logits)], sparse);
}

#[test]
fn chapter_four_ops_without_gradients() {
    // Floor, ArgMax and the comparisons pass no gradient (TF returns None for them).
    let mut g = Graph::new();
    let x = g.placeholder(DType::Float32, Shape::known(&[2, 3]), Some("x")).unwrap();
    let f = g.unary(UnaryOp::Floor, x, None).unwrap();
    assert_eq!(gradients(&mut g, &[f], &[x]).unwrap(), vec![None]);
    let am = g.add(None, NodeSpec::new(Op::ArgMax { axis: 1, output_type: DType::Int64 }, vec![x])).unwrap().out();
    assert_eq!(gradients(&mut g, &[am], &[x]).unwrap(), vec![None]);
    let eq = g.binary(BinaryOp::Equal, x, x, None).unwrap();
    assert_eq!(gradients(&mut g, &[eq], &[x]).unwrap(), vec![None]);
    // The names TF gives the gradients of Select and L2Loss.
    let c = g.binary(BinaryOp::GreaterEqual, x, x, None).unwrap();
    let s = g.add(None, NodeSpec::new(Op::Select, vec![c, x, f])).unwrap().out();
    let l = g.add(None, NodeSpec::new(Op::L2Loss, vec![s])).unwrap().out();
    let gr = gradients(&mut g, &[l], &[x]).unwrap();
    assert!(g.find("gradients_3/L2Loss_grad/mul").is_some());
    assert!(g.find("gradients_3/Select_grad/zeros_like").is_some());
    assert_eq!(g.tensor_name(gr[0].unwrap()), "gradients_3/Select_grad/Select:0");
}
