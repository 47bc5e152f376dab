//! Unit tests of the kernels (forward, gradient and apply), with the kernels' TF messages.

use crate::engine::dtype::DType;
use crate::engine::error::ErrorClass;
use crate::engine::graph::elementwise::{BinaryOp, ReduceOp, UnaryOp};
use crate::engine::kernels::apply::*;
use crate::engine::kernels::broadcast::*;
use crate::engine::kernels::cast::*;
use crate::engine::kernels::elementwise::*;
use crate::engine::kernels::matmul::*;
use crate::engine::kernels::nn::*;
use crate::engine::kernels::reduce::*;
use crate::engine::kernels::*;
use crate::engine::value::Value;
use ndarray::Zip;
use ndarray::{ArrayD, IxDyn};
use serde_json::json;

fn f32v(shape: &[usize], d: &[f32]) -> Value {
    Value::F32(ArrayD::from_shape_vec(IxDyn(shape), d.to_vec()).unwrap())
}
fn f64v(shape: &[usize], d: &[f64]) -> Value {
    Value::F64(ArrayD::from_shape_vec(IxDyn(shape), d.to_vec()).unwrap())
}
fn i32v(shape: &[usize], d: &[i32]) -> Value {
    Value::I32(ArrayD::from_shape_vec(IxDyn(shape), d.to_vec()).unwrap())
}
fn i64v(shape: &[usize], d: &[i64]) -> Value {
    Value::I64(ArrayD::from_shape_vec(IxDyn(shape), d.to_vec()).unwrap())
}
fn boolv(shape: &[usize], d: &[bool]) -> Value {
    Value::Bool(ArrayD::from_shape_vec(IxDyn(shape), d.to_vec()).unwrap())
}
fn f32s(v: &Value) -> Vec<f32> {
    match v {
        Value::F32(a) => a.iter().copied().collect(),
        other => panic!("expected float32, got {other:?}"),
    }
}
fn f64s(v: &Value) -> Vec<f64> {
    match v {
        Value::F64(a) => a.iter().copied().collect(),
        other => panic!("expected float64, got {other:?}"),
    }
}
fn ptr(v: &Value) -> usize {
    crate::with_array!(v, a => a.as_ptr() as usize)
}
fn new_out() -> Value {
    Value::zeros(DType::Float32, &[0])
}
fn bin_ok(op: BinaryOp, a: &Value, b: &Value) -> Value {
    let mut o = new_out();
    binary(op, a, b, &mut o, None).unwrap();
    o
}
fn un_ok(op: UnaryOp, x: &Value) -> Value {
    let mut o = new_out();
    unary(op, x, &mut o, None).unwrap();
    o
}
fn red_ok(op: ReduceOp, x: &Value, axes: Option<&[i64]>, keep: bool) -> Value {
    let mut o = new_out();
    reduce(op, x, axes, keep, &mut o).unwrap();
    o
}
fn msg(r: Result<()>) -> String {
    r.unwrap_err().message
}
fn close(a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "element {i}: {x} vs {y}");
    }
}
/// A tiny deterministic generator for test data.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn f32(&mut self) -> f32 {
        (self.next() % 2001) as f32 / 1000.0 - 1.0
    }
    fn vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.f32()).collect()
    }
}

#[test]
fn binary_same_shape_float() {
    let a = f32v(&[3], &[1.0, -2.0, 3.5]);
    let b = f32v(&[3], &[2.0, 4.0, -0.5]);
    assert_eq!(f32s(&bin_ok(BinaryOp::Add, &a, &b)), vec![3.0, 2.0, 3.0]);
    assert_eq!(f32s(&bin_ok(BinaryOp::Sub, &a, &b)), vec![-1.0, -6.0, 4.0]);
    assert_eq!(f32s(&bin_ok(BinaryOp::Mul, &a, &b)), vec![2.0, -8.0, -1.75]);
    assert_eq!(f32s(&bin_ok(BinaryOp::Div, &a, &b)), vec![0.5, -0.5, -7.0]);
    assert_eq!(f32s(&bin_ok(BinaryOp::Maximum, &a, &b)), vec![2.0, 4.0, 3.5]);
    assert_eq!(f32s(&bin_ok(BinaryOp::Minimum, &a, &b)), vec![1.0, -2.0, -0.5]);
    assert_eq!(bin_ok(BinaryOp::Less, &a, &b), boolv(&[3], &[true, true, false]));
    assert_eq!(bin_ok(BinaryOp::Greater, &a, &b), boolv(&[3], &[false, false, true]));
    let p = bin_ok(BinaryOp::Pow, &f32v(&[2], &[2.0, 9.0]), &f32v(&[2], &[3.0, 0.5]));
    assert_eq!(f32s(&p), vec![8.0, 3.0]);
    // IEEE add in f32 exactly.
    let s = bin_ok(BinaryOp::Add, &f32v(&[], &[0.1]), &f32v(&[], &[0.2]));
    assert_eq!(f32s(&s), vec![0.1f32 + 0.2f32]);
    let d = bin_ok(BinaryOp::Add, &f64v(&[1], &[0.1]), &f64v(&[1], &[0.2]));
    assert_eq!(f64s(&d), vec![0.1 + 0.2]);
}

#[test]
fn binary_ints() {
    let a = i32v(&[4], &[7, -7, 5, i32::MAX]);
    let b = i32v(&[4], &[2, 2, -3, 1]);
    assert_eq!(bin_ok(BinaryOp::Div, &a, &b), i32v(&[4], &[3, -3, -1, i32::MAX]));
    assert_eq!(bin_ok(BinaryOp::Add, &a, &b), i32v(&[4], &[9, -5, 2, i32::MIN]));
    assert_eq!(bin_ok(BinaryOp::Maximum, &a, &b), i32v(&[4], &[7, 2, 5, i32::MAX]));
    assert_eq!(bin_ok(BinaryOp::Less, &a, &b), boolv(&[4], &[false, true, false, false]));
    let p = bin_ok(BinaryOp::Pow, &i64v(&[3], &[2, -3, 5]), &i64v(&[3], &[10, 3, 0]));
    assert_eq!(p, i64v(&[3], &[1024, -27, 1]));
    // i32::MIN / -1 wraps instead of panicking.
    let w = bin_ok(BinaryOp::Div, &i32v(&[], &[i32::MIN]), &i32v(&[], &[-1]));
    assert_eq!(w, i32v(&[], &[i32::MIN]));
    let mut o = new_out();
    assert_eq!(msg(binary(BinaryOp::Div, &a, &i32v(&[], &[0]), &mut o, None)), "Integer division by zero");
    assert_eq!(
        msg(binary(BinaryOp::Pow, &a, &i32v(&[], &[-1]), &mut o, None)),
        "Integers to negative integer powers are not allowed"
    );
    // Shape errors come before data errors.
    assert_eq!(
        msg(binary(BinaryOp::Div, &a, &i32v(&[3], &[0, 0, 0]), &mut o, None)),
        "Incompatible shapes: [4] vs. [3]"
    );
}

#[test]
fn binary_broadcasting() {
    let a = f32v(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let r = bin_ok(BinaryOp::Add, &a, &f32v(&[3], &[10.0, 20.0, 30.0]));
    assert_eq!(r.shape(), &[2, 3]);
    assert_eq!(f32s(&r), vec![11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
    let r = bin_ok(BinaryOp::Mul, &f32v(&[2, 1], &[1.0, 2.0]), &f32v(&[1, 3], &[1.0, 10.0, 100.0]));
    assert_eq!(r.shape(), &[2, 3]);
    assert_eq!(f32s(&r), vec![1.0, 10.0, 100.0, 2.0, 20.0, 200.0]);
    let r = bin_ok(BinaryOp::Sub, &f32v(&[], &[1.0]), &a);
    assert_eq!(f32s(&r), vec![0.0, -1.0, -2.0, -3.0, -4.0, -5.0]);
    let r = bin_ok(BinaryOp::Div, &a, &f32v(&[], &[2.0]));
    assert_eq!(f32s(&r), vec![0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
    let r = bin_ok(BinaryOp::Add, &f32v(&[3], &[1.0, 2.0, 3.0]), &f32v(&[1, 1], &[1.0]));
    assert_eq!(r.shape(), &[1, 3]);
    let mut o = new_out();
    assert_eq!(
        msg(binary(BinaryOp::Add, &f32v(&[2], &[1.0, 2.0]), &f32v(&[3], &[1.0; 3]), &mut o, None)),
        "Incompatible shapes: [2] vs. [3]"
    );
    assert_eq!(
        msg(binary(BinaryOp::Add, &a, &f32v(&[3, 2], &[0.0; 6]), &mut o, None)),
        "Incompatible shapes: [2,3] vs. [3,2]"
    );
    let e = binary(BinaryOp::Add, &a, &i32v(&[], &[1]), &mut o, None).unwrap_err();
    assert_eq!(e.class, ErrorClass::InvalidArgument);
    // Kernel errors name the op as the placement log does (`AddV2`, `RealDiv`), not `Add`/`Div`.
    assert_eq!(e.message, "Input 'y' of 'AddV2' Op has type int32 that does not match type float32 of argument 'x'.");
    assert_eq!(
        msg(binary(BinaryOp::Add, &boolv(&[], &[true]), &boolv(&[], &[true]), &mut o, None)),
        "No OpKernel was registered to support Op 'AddV2' with these attrs: [T=DT_BOOL]"
    );
    assert_eq!(
        msg(binary(BinaryOp::Div, &boolv(&[], &[true]), &boolv(&[], &[true]), &mut o, None)),
        "No OpKernel was registered to support Op 'RealDiv' with these attrs: [T=DT_BOOL]"
    );
    assert_eq!(broadcast_shape(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
    assert_eq!(broadcast_shape(&[2], &[3]), None);
    assert_eq!(broadcast_shape(&[], &[0]), Some(vec![0]));
}

fn naive_bin(a: &ArrayD<f32>, b: &ArrayD<f32>) -> ArrayD<f32> {
    let s = broadcast_shape(a.shape(), b.shape()).unwrap();
    let (av, bv) = (a.broadcast(IxDyn(&s)).unwrap(), b.broadcast(IxDyn(&s)).unwrap());
    Zip::from(&av).and(&bv).map_collect(|&x, &y| x * 3.0 - y)
}

#[test]
fn broadcasting_matches_reference_on_random_shapes() {
    let mut g = Lcg(7);
    for case in 0..400 {
        let rank = (g.next() % 5) as usize;
        let full: Vec<usize> = (0..rank).map(|_| [1, 2, 3, 4][(g.next() % 4) as usize]).collect();
        let mk = |g: &mut Lcg| -> Vec<usize> {
            let drop = (g.next() % (rank as u64 + 1)) as usize;
            full[drop..].iter().map(|&d| if g.next().is_multiple_of(3) { 1 } else { d }).collect()
        };
        let (sa, sb) = (mk(&mut g), mk(&mut g));
        let na: usize = sa.iter().product();
        let nb: usize = sb.iter().product();
        let a = ArrayD::from_shape_vec(IxDyn(&sa), g.vec(na)).unwrap();
        let b = if case % 3 == 0 && sb.len() >= 2 {
            // A non-standard-layout operand of shape `sb`.
            let rev: Vec<usize> = sb.iter().rev().copied().collect();
            ArrayD::from_shape_vec(IxDyn(&rev), g.vec(nb)).unwrap().t().to_owned()
        } else {
            ArrayD::from_shape_vec(IxDyn(&sb), g.vec(nb)).unwrap()
        };
        let expect = naive_bin(&a, &b);
        let mut o = new_out();
        let f = |x: f32, y: f32| x * 3.0 - y;
        bin(&a, &b, &mut o, None, f).unwrap();
        assert_eq!(o, Value::F32(expect.clone()), "{sa:?} vs {:?}", b.shape());
        // Starting at every offset exercises the chunked (parallel) entry point.
        let (shape, plan) = plan_broadcast(a.shape(), b.shape()).unwrap();
        let n: usize = shape.as_slice().iter().product();
        let (ac, bc) = (a.as_standard_layout(), b.as_standard_layout());
        let want: Vec<f32> = expect.iter().copied().collect();
        for start in 0..n {
            let mut part = vec![0.0f32; (n - start).min(3)];
            bcast_run(&plan, f, ac.as_slice().unwrap(), bc.as_slice().unwrap(), &mut part, start);
            assert_eq!(part[..], want[start..start + part.len()]);
        }
    }
}

#[test]
fn parallel_elementwise_matches_sequential() {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let mut g = Lcg(3);
    let a = f32v(&[40, 1, 50], &g.vec(2000));
    let b = f32v(&[1, 60, 50], &g.vec(3000));
    let (mut s, mut p) = (new_out(), new_out());
    binary(BinaryOp::Mul, &a, &b, &mut s, None).unwrap();
    binary(BinaryOp::Mul, &a, &b, &mut p, Some(&pool)).unwrap();
    assert_eq!(s.shape(), &[40, 60, 50]);
    assert_eq!(s, p);
    let x = f32v(&[100_000], &g.vec(100_000));
    let y = f32v(&[100_000], &g.vec(100_000));
    binary(BinaryOp::Add, &x, &y, &mut s, None).unwrap();
    binary(BinaryOp::Add, &x, &y, &mut p, Some(&pool)).unwrap();
    assert_eq!(s, p);
    unary(UnaryOp::Sigmoid, &x, &mut s, None).unwrap();
    unary(UnaryOp::Sigmoid, &x, &mut p, Some(&pool)).unwrap();
    assert_eq!(s, p);
}

#[test]
fn unary_ops() {
    let x = f32v(&[4], &[-2.0, -0.0, 0.5, 4.0]);
    assert_eq!(f32s(&un_ok(UnaryOp::Neg, &x)), vec![2.0, 0.0, -0.5, -4.0]);
    assert_eq!(f32s(&un_ok(UnaryOp::Relu, &x)), vec![0.0, -0.0, 0.5, 4.0]);
    assert_eq!(f32s(&un_ok(UnaryOp::Square, &x)), vec![4.0, 0.0, 0.25, 16.0]);
    assert_eq!(f32s(&un_ok(UnaryOp::Abs, &x)), vec![2.0, 0.0, 0.5, 4.0]);
    assert_eq!(f32s(&un_ok(UnaryOp::Sign, &x)), vec![-1.0, 0.0, 1.0, 1.0]);
    assert_eq!(f32s(&un_ok(UnaryOp::Reciprocal, &x))[3], 0.25);
    assert_eq!(f32s(&un_ok(UnaryOp::Identity, &x)), f32s(&x));
    // Float32 sigmoid, tanh, exp and log follow TF's Eigen kernels (see eigen_math), within an
    // ulp or two of the textbook formulas.
    let mut sig = vec![0.0f32; 4];
    crate::engine::math::eigen::sigmoid_f32(&f32s(&x), &mut sig);
    assert_eq!(f32s(&un_ok(UnaryOp::Sigmoid, &x)), sig);
    for (s, v) in sig.iter().zip(f32s(&x)) {
        assert!((s - 1.0 / (1.0 + (-v).exp())).abs() < 1e-6);
    }
    assert_eq!(f32s(&un_ok(UnaryOp::Sigmoid, &f32v(&[], &[0.0]))), vec![0.5]);
    let p = f32v(&[2], &[1.0, 4.0]);
    assert_eq!(f32s(&un_ok(UnaryOp::Sqrt, &p)), vec![1.0, 2.0]);
    assert_eq!(f32s(&un_ok(UnaryOp::Log, &p)), vec![0.0, 4.0f32.ln()]);
    assert_eq!(f32s(&un_ok(UnaryOp::Exp, &p)), vec![1.0f32.exp(), 4.0f32.exp()]);
    let t = f32s(&un_ok(UnaryOp::Tanh, &p));
    assert!((t[0] - 1.0f32.tanh()).abs() < 1e-6 && (t[1] - 4.0f32.tanh()).abs() < 1e-6, "{t:?}");
    let nan = f32s(&un_ok(UnaryOp::Sign, &f32v(&[1], &[f32::NAN])));
    assert!(nan[0].is_nan());
    let i = i32v(&[3], &[-3, 0, i32::MIN]);
    assert_eq!(un_ok(UnaryOp::Neg, &i), i32v(&[3], &[3, 0, i32::MIN]));
    assert_eq!(un_ok(UnaryOp::Abs, &i), i32v(&[3], &[3, 0, i32::MIN]));
    assert_eq!(un_ok(UnaryOp::Sign, &i), i32v(&[3], &[-1, 0, -1]));
    assert_eq!(un_ok(UnaryOp::Relu, &i), i32v(&[3], &[0, 0, 0]));
    assert_eq!(un_ok(UnaryOp::Square, &i64v(&[1], &[-5])), i64v(&[1], &[25]));
    let b = boolv(&[2], &[true, false]);
    assert_eq!(un_ok(UnaryOp::Identity, &b), b);
    let mut o = new_out();
    let e = unary(UnaryOp::Sigmoid, &i, &mut o, None).unwrap_err();
    assert_eq!(e.class, ErrorClass::InvalidArgument);
    assert_eq!(e.message, "No OpKernel was registered to support Op 'Sigmoid' with these attrs: [T=DT_INT32]");
    assert_eq!(
        msg(unary(UnaryOp::Neg, &b, &mut o, None)),
        "No OpKernel was registered to support Op 'Neg' with these attrs: [T=DT_BOOL]"
    );
    for op in UnaryOp::ALL {
        assert_eq!(unary(op, &i, &mut o, None).is_err(), op.is_float_only(), "{op:?}");
    }
}

fn naive_matmul(a: &[f32], sa: &[usize], b: &[f32], sb: &[usize], ta: bool, tb: bool) -> (Vec<f32>, usize, usize) {
    let at = |i: usize, p: usize| {
        if ta { a[p * sa[1] + i] } else { a[i * sa[1] + p] }
    };
    let bt = |p: usize, j: usize| {
        if tb { b[j * sb[1] + p] } else { b[p * sb[1] + j] }
    };
    let (m, k) = if ta { (sa[1], sa[0]) } else { (sa[0], sa[1]) };
    let n = if tb { sb[0] } else { sb[1] };
    let mut c = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f64;
            for p in 0..k {
                s += at(i, p) as f64 * bt(p, j) as f64;
            }
            c[i * n + j] = s as f32;
        }
    }
    (c, m, n)
}

#[test]
fn matmul_transposes_match_naive() {
    let mut g = Lcg(11);
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let (m, k, n) = (3, 4, 5);
        let sa = if ta { [k, m] } else { [m, k] };
        let sb = if tb { [n, k] } else { [k, n] };
        let (da, db) = (g.vec(m * k), g.vec(k * n));
        let (want, wm, wn) = naive_matmul(&da, &sa, &db, &sb, ta, tb);
        let mut o = new_out();
        matmul(&f32v(&sa, &da), &f32v(&sb, &db), ta, tb, &mut o, None).unwrap();
        assert_eq!(o.shape(), &[wm, wn]);
        close(&f32s(&o), &want, 1e-5);
        // f64 and int paths.
        let a64 = f64v(&sa, &da.iter().map(|&x| x as f64).collect::<Vec<_>>());
        let b64 = f64v(&sb, &db.iter().map(|&x| x as f64).collect::<Vec<_>>());
        matmul(&a64, &b64, ta, tb, &mut o, None).unwrap();
        close(&f64s(&o).iter().map(|&x| x as f32).collect::<Vec<_>>(), &want, 1e-5);
        let ai: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
        let bi: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 - 2.0).collect();
        let (wi, _, _) = naive_matmul(&ai, &sa, &bi, &sb, ta, tb);
        let to_i = |v: &[f32]| v.iter().map(|&x| x as i32).collect::<Vec<_>>();
        matmul(&i32v(&sa, &to_i(&ai)), &i32v(&sb, &to_i(&bi)), ta, tb, &mut o, None).unwrap();
        assert_eq!(o, i32v(&[wm, wn], &to_i(&wi)));
    }
    let r = {
        let mut o = new_out();
        matmul(&f32v(&[1, 2], &[1.0, 2.0]), &f32v(&[2, 1], &[3.0, 4.0]), false, false, &mut o, None).unwrap();
        o
    };
    assert_eq!(f32s(&r), vec![11.0]);
}

#[test]
fn matmul_big_parallel_matches_naive() {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let mut g = Lcg(5);
    let (m, k, n) = (300, 200, 150);
    let (da, db) = (g.vec(m * k), g.vec(k * n));
    let (want, _, _) = naive_matmul(&da, &[m, k], &db, &[k, n], false, false);
    let (a, b) = (f32v(&[m, k], &da), f32v(&[k, n], &db));
    let mut o = new_out();
    matmul(&a, &b, false, false, &mut o, Some(&pool)).unwrap();
    assert_eq!(o.shape(), &[m, n]);
    close(&f32s(&o), &want, 1e-4);
    let mut s = new_out();
    matmul(&a, &b, false, false, &mut s, None).unwrap();
    close(&f32s(&s), &want, 1e-4);
    // Transposed big case through the pool too.
    let (want_t, _, _) = naive_matmul(&da, &[k, m], &db, &[n, k], true, true);
    let (at, bt) = (f32v(&[k, m], &da), f32v(&[n, k], &db));
    matmul(&at, &bt, true, true, &mut o, Some(&pool)).unwrap();
    close(&f32s(&o), &want_t, 1e-4);
}

#[test]
fn matmul_errors_and_edges() {
    let mut o = new_out();
    let a = f32v(&[2, 3], &[0.0; 6]);
    assert_eq!(msg(matmul(&a, &a, false, false, &mut o, None)), "Matrix size-incompatible: In[0]: [2,3], In[1]: [2,3]");
    assert_eq!(
        msg(matmul(&f32v(&[2], &[0.0; 2]), &a, false, false, &mut o, None)),
        "In[0] is not a matrix. Instead it has shape [2]"
    );
    assert_eq!(
        msg(matmul(&a, &f32v(&[], &[0.0]), false, false, &mut o, None)),
        "In[1] is not a matrix. Instead it has shape []"
    );
    assert!(matmul(&a, &i32v(&[3, 2], &[0; 6]), false, false, &mut o, None).is_err());
    assert!(matmul(&boolv(&[1, 1], &[true]), &boolv(&[1, 1], &[true]), false, false, &mut o, None).is_err());
    // k = 0 gives zeros; m = 0 gives an empty result.
    matmul(&f32v(&[2, 0], &[]), &f32v(&[0, 3], &[]), false, false, &mut o, None).unwrap();
    assert_eq!(o, Value::zeros(DType::Float32, &[2, 3]));
    matmul(&f32v(&[0, 2], &[]), &f32v(&[2, 3], &[0.0; 6]), false, false, &mut o, None).unwrap();
    assert_eq!(o.shape(), &[0, 3]);
    // A NaN left in a reused out buffer must not leak into the result (beta = 0).
    let mut o = f32v(&[1, 1], &[f32::NAN]);
    matmul(&f32v(&[1, 1], &[2.0]), &f32v(&[1, 1], &[3.0]), false, false, &mut o, None).unwrap();
    assert_eq!(f32s(&o), vec![6.0]);
}

#[test]
fn reductions() {
    let x = f32v(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(f32s(&red_ok(ReduceOp::Sum, &x, None, false)), vec![21.0]);
    assert_eq!(red_ok(ReduceOp::Sum, &x, None, false).shape(), &[] as &[usize]);
    assert_eq!(red_ok(ReduceOp::Sum, &x, None, true).shape(), &[1, 1]);
    assert_eq!(f32s(&red_ok(ReduceOp::Sum, &x, Some(&[0]), false)), vec![5.0, 7.0, 9.0]);
    assert_eq!(f32s(&red_ok(ReduceOp::Sum, &x, Some(&[1]), false)), vec![6.0, 15.0]);
    let k = red_ok(ReduceOp::Sum, &x, Some(&[-1]), true);
    assert_eq!(k.shape(), &[2, 1]);
    assert_eq!(f32s(&k), vec![6.0, 15.0]);
    assert_eq!(f32s(&red_ok(ReduceOp::Mean, &x, None, false)), vec![21.0 / 6.0]);
    assert_eq!(f32s(&red_ok(ReduceOp::Mean, &x, Some(&[0]), false)), vec![2.5, 3.5, 4.5]);
    assert_eq!(f32s(&red_ok(ReduceOp::Max, &x, Some(&[1]), false)), vec![3.0, 6.0]);
    assert_eq!(f32s(&red_ok(ReduceOp::Min, &x, Some(&[0]), false)), vec![1.0, 2.0, 3.0]);
    assert_eq!(f32s(&red_ok(ReduceOp::Prod, &x, None, false)), vec![720.0]);
    // Duplicate axes and an empty axis list.
    assert_eq!(f32s(&red_ok(ReduceOp::Sum, &x, Some(&[1, -1]), false)), vec![6.0, 15.0]);
    assert_eq!(red_ok(ReduceOp::Sum, &x, Some(&[]), false), x);
    // Integer mean truncates.
    let i = i32v(&[2, 2], &[1, 2, 3, 5]);
    assert_eq!(red_ok(ReduceOp::Mean, &i, Some(&[1]), false), i32v(&[2], &[1, 4]));
    assert_eq!(red_ok(ReduceOp::Mean, &i, None, false), i32v(&[], &[2]));
    assert_eq!(red_ok(ReduceOp::Max, &i64v(&[3], &[-1, 7, 2]), None, false), i64v(&[], &[7]));
    // Scalars.
    assert_eq!(f32s(&red_ok(ReduceOp::Mean, &f32v(&[], &[3.0]), None, false)), vec![3.0]);
    // NaN propagates through max.
    let n = red_ok(ReduceOp::Max, &f32v(&[3], &[1.0, f32::NAN, 2.0]), None, false);
    assert!(f32s(&n)[0].is_nan());
    let mut o = new_out();
    assert_eq!(
        msg(reduce(ReduceOp::Sum, &x, Some(&[5]), false, &mut o)),
        "Invalid reduction dimension (5 for input with 2 dimension(s)"
    );
    assert_eq!(
        msg(reduce(ReduceOp::Sum, &x, Some(&[-3]), false, &mut o)),
        "Invalid reduction dimension (-3 for input with 2 dimension(s)"
    );
    assert!(reduce(ReduceOp::Sum, &boolv(&[1], &[true]), None, false, &mut o).is_err());
    assert_eq!(reduce_output_shape(&[2, 3, 4], Some(&[0, -1]), false).unwrap(), vec![3]);
    assert_eq!(reduce_output_shape(&[2, 3, 4], Some(&[1]), true).unwrap(), vec![2, 1, 4]);
    assert_eq!(reduce_output_shape(&[2, 3], None, false).unwrap(), Vec::<usize>::new());
    assert!(reduce_output_shape(&[2, 3], Some(&[2]), false).is_err());
}

#[test]
fn reductions_match_reference_on_random_axes() {
    let mut g = Lcg(21);
    for _ in 0..300 {
        let rank = (g.next() % 5) as usize;
        let shape: Vec<usize> = (0..rank).map(|_| [1, 2, 3, 4][(g.next() % 4) as usize]).collect();
        let n: usize = shape.iter().product();
        let data: Vec<f32> = (0..n).map(|_| (g.next() % 9) as f32).collect();
        let a = ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap();
        let axes: Vec<i64> = (0..rank as i64).filter(|_| g.next().is_multiple_of(2)).collect();
        let keep = g.next().is_multiple_of(2);
        // Reference: reduce the axes one at a time, highest first.
        let mut want = a.clone();
        let mut sorted = axes.clone();
        sorted.sort_unstable();
        for &ax in sorted.iter().rev() {
            want = want.sum_axis(ndarray::Axis(ax as usize));
            if keep {
                want = want.insert_axis(ndarray::Axis(ax as usize));
            }
        }
        let x =
            if g.next().is_multiple_of(3) && rank >= 2 { Value::F32(a.t().to_owned()) } else { Value::F32(a.clone()) };
        let (x_axes, want) = if matches!(&x, Value::F32(t) if t.shape() != a.shape() || (rank >= 2 && !t.is_standard_layout()))
        {
            // Transposed input: reverse the axes and compare against the transposed reference.
            let r = rank as i64;
            let ax: Vec<i64> = axes.iter().map(|&v| r - 1 - v).collect();
            let mut w = match &x {
                Value::F32(t) => t.clone(),
                _ => unreachable!(),
            };
            let mut s = ax.clone();
            s.sort_unstable();
            for &v in s.iter().rev() {
                w = w.sum_axis(ndarray::Axis(v as usize));
                if keep {
                    w = w.insert_axis(ndarray::Axis(v as usize));
                }
            }
            (ax, w)
        } else {
            (axes.clone(), want)
        };
        let got = red_ok(ReduceOp::Sum, &x, Some(&x_axes), keep);
        assert_eq!(got.shape(), want.shape(), "{shape:?} {x_axes:?} {keep}");
        assert_eq!(f32s(&got), want.iter().copied().collect::<Vec<_>>(), "{shape:?} {x_axes:?} {keep}");
    }
}

#[test]
fn empty_reductions() {
    let e = f32v(&[0], &[]);
    assert_eq!(f32s(&red_ok(ReduceOp::Sum, &e, None, false)), vec![0.0]);
    assert_eq!(f32s(&red_ok(ReduceOp::Prod, &e, None, false)), vec![1.0]);
    assert_eq!(f32s(&red_ok(ReduceOp::Max, &e, None, false)), vec![f32::NEG_INFINITY]);
    assert_eq!(f32s(&red_ok(ReduceOp::Min, &e, None, false)), vec![f32::INFINITY]);
    assert!(f32s(&red_ok(ReduceOp::Mean, &e, None, false))[0].is_nan());
    let e2 = f32v(&[0, 3], &[]);
    assert_eq!(f32s(&red_ok(ReduceOp::Sum, &e2, Some(&[0]), false)), vec![0.0; 3]);
    assert_eq!(red_ok(ReduceOp::Sum, &e2, Some(&[1]), false).shape(), &[0]);
    let mut o = new_out();
    assert_eq!(msg(reduce(ReduceOp::Mean, &i32v(&[0], &[]), None, false, &mut o)), "Integer division by zero");
    assert_eq!(red_ok(ReduceOp::Max, &i32v(&[0], &[]), None, false), i32v(&[], &[i32::MIN]));
}

#[test]
fn out_buffers_are_reused() {
    let a = f32v(&[2, 3], &[1.0; 6]);
    let b = f32v(&[3], &[2.0; 3]);
    let mut o = new_out();
    binary(BinaryOp::Add, &a, &b, &mut o, None).unwrap();
    let p = ptr(&o);
    binary(BinaryOp::Mul, &a, &b, &mut o, None).unwrap();
    assert_eq!(ptr(&o), p);
    assert_eq!(f32s(&o), vec![2.0; 6]);
    unary(UnaryOp::Exp, &a, &mut o, None).unwrap();
    assert_eq!(ptr(&o), p);
    // A different dtype replaces the buffer.
    binary(BinaryOp::Less, &a, &b, &mut o, None).unwrap();
    assert_eq!(o.dtype(), DType::Bool);
    let mut m = new_out();
    let sq = f32v(&[3, 3], &[1.0; 9]);
    matmul(&sq, &sq, false, false, &mut m, None).unwrap();
    let pm = ptr(&m);
    matmul(&sq, &sq, true, false, &mut m, None).unwrap();
    assert_eq!(ptr(&m), pm);
    let mut r = new_out();
    reduce(ReduceOp::Sum, &a, Some(&[0]), false, &mut r).unwrap();
    let pr = ptr(&r);
    reduce(ReduceOp::Mean, &a, Some(&[0]), false, &mut r).unwrap();
    assert_eq!(ptr(&r), pr);
    let mut f = new_out();
    fill(DType::Float32, &[4], 1.5, &mut f);
    let pf = ptr(&f);
    fill(DType::Float32, &[4], 2.5, &mut f);
    assert_eq!(ptr(&f), pf);
    assert_eq!(f32s(&f), vec![2.5; 4]);
    let mut s = new_out();
    softmax(&a, &mut s).unwrap();
    let ps = ptr(&s);
    softmax(&a, &mut s).unwrap();
    assert_eq!(ptr(&s), ps);
    let mut c = new_out();
    cast(&a, DType::Int32, &mut c).unwrap();
    let pc = ptr(&c);
    cast(&a, DType::Int32, &mut c).unwrap();
    assert_eq!(ptr(&c), pc);
    // A non-standard-layout out is replaced rather than written through strides.
    let mut t = Value::F32(ArrayD::<f32>::zeros(IxDyn(&[3, 2])).t().to_owned());
    binary(BinaryOp::Add, &a, &b, &mut t, None).unwrap();
    assert_eq!(f32s(&t), vec![3.0; 6]);
}

#[test]
fn sum_to_shape_inverts_broadcasting() {
    let g = f32v(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let mut o = new_out();
    sum_to_shape(&g, &[3], &mut o).unwrap();
    assert_eq!(o, f32v(&[3], &[5.0, 7.0, 9.0]));
    sum_to_shape(&g, &[2, 1], &mut o).unwrap();
    assert_eq!(o, f32v(&[2, 1], &[6.0, 15.0]));
    sum_to_shape(&g, &[1, 3], &mut o).unwrap();
    assert_eq!(o, f32v(&[1, 3], &[5.0, 7.0, 9.0]));
    sum_to_shape(&g, &[], &mut o).unwrap();
    assert_eq!(o, f32v(&[], &[21.0]));
    sum_to_shape(&g, &[2, 3], &mut o).unwrap();
    assert_eq!(o, g);
    sum_to_shape(&g, &[1, 1, 1], &mut o).unwrap_err();
    assert_eq!(msg(sum_to_shape(&g, &[4], &mut o)), "Incompatible shapes: [2,3] vs. [4]");
    let g3 = i32v(&[2, 2, 2], &[1, 2, 3, 4, 5, 6, 7, 8]);
    sum_to_shape(&g3, &[2, 1], &mut o).unwrap();
    assert_eq!(o, i32v(&[2, 1], &[1 + 2 + 5 + 6, 3 + 4 + 7 + 8]));
}

#[test]
fn softmax_rows_sum_to_one() {
    let x = f32v(&[2, 3], &[1.0, 2.0, 3.0, 1000.0, 1000.0, -1000.0]);
    let mut o = new_out();
    softmax(&x, &mut o).unwrap();
    let v = f32s(&o);
    let e: Vec<f32> = [-2.0f32, -1.0, 0.0].iter().map(|x| x.exp()).collect();
    let inv = 1.0 / (e[0] + e[1] + e[2]);
    assert_eq!(v[..3], [e[0] * inv, e[1] * inv, e[2] * inv]);
    assert_eq!(v[3..], [0.5, 0.5, 0.0]);
    for row in v.chunks(3) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }
    assert_eq!(msg(softmax(&f32v(&[], &[1.0]), &mut o)), "logits must have >= 1 dimension, got []");
    assert!(softmax(&i32v(&[1], &[1]), &mut o).is_err());
    softmax(&f32v(&[2, 0], &[]), &mut o).unwrap();
    assert_eq!(o.shape(), &[2, 0]);
}

#[test]
fn sigmoid_xent_matches_formula() {
    let x = f32v(&[2, 2], &[-3.0, -0.5, 0.0, 2.0]);
    let z = f32v(&[2, 2], &[0.0, 1.0, 0.5, 1.0]);
    let mut o = new_out();
    sigmoid_cross_entropy_with_logits(&z, &x, &mut o).unwrap();
    let want: Vec<f32> =
        f32s(&x).iter().zip(f32s(&z)).map(|(&x, z)| x.max(0.0) - x * z + (-x.abs()).exp().ln_1p()).collect();
    assert_eq!(f32s(&o), want);
    // Against the naive definition -z*log(s) - (1-z)*log(1-s).
    let naive: Vec<f32> = f32s(&x)
        .iter()
        .zip(f32s(&z))
        .map(|(&x, z)| {
            let s = 1.0 / (1.0 + (-x).exp());
            -z * s.ln() - (1.0 - z) * (1.0 - s).ln()
        })
        .collect();
    close(&f32s(&o), &naive, 1e-5);
    assert_eq!(
        msg(sigmoid_cross_entropy_with_logits(&f32v(&[2, 2], &[0.0; 4]), &f32v(&[2, 3], &[0.0; 6]), &mut o)),
        "logits and labels must have the same shape ((2, 3) vs (2, 2))"
    );
    assert_eq!(
        msg(sigmoid_cross_entropy_with_logits(&f32v(&[2], &[0.0; 2]), &f32v(&[], &[0.0]), &mut o)),
        "logits and labels must have the same shape (() vs (2,))"
    );
}

#[test]
fn softmax_xent_matches_hand_computation() {
    let x = f32v(&[2, 3], &[1.0, 2.0, 3.0, 0.0, 0.0, 0.0]);
    let z = f32v(&[2, 3], &[0.0, 0.0, 1.0, 0.2, 0.3, 0.5]);
    let (mut loss, mut bp) = (new_out(), new_out());
    softmax_cross_entropy_with_logits(&z, &x, &mut loss, &mut bp).unwrap();
    assert_eq!(loss.shape(), &[2]);
    assert_eq!(bp.shape(), &[2, 3]);
    let l = f32s(&loss);
    let s0 = (1.0f64.exp() + 2.0f64.exp() + 3.0f64.exp()).ln() - 3.0;
    assert!((l[0] as f64 - s0).abs() < 1e-6, "{} vs {s0}", l[0]);
    assert!((l[1] as f64 - 3.0f64.ln()).abs() < 1e-6);
    let mut sm = new_out();
    softmax(&x, &mut sm).unwrap();
    let want: Vec<f32> = f32s(&sm).iter().zip(f32s(&z)).map(|(p, z)| p - z).collect();
    close(&f32s(&bp), &want, 1e-6);
    // Broadcast labels, rank and size errors.
    let zb = f32v(&[1, 3], &[0.0, 0.0, 1.0]);
    softmax_cross_entropy_with_logits(&zb, &x, &mut loss, &mut bp).unwrap();
    assert!((f32s(&loss)[0] as f64 - s0).abs() < 1e-6);
    assert_eq!(
        msg(softmax_cross_entropy_with_logits(&f32v(&[2, 2], &[0.0; 4]), &x, &mut loss, &mut bp)),
        "logits and labels must be broadcastable: logits_size=[2,3] labels_size=[2,2]"
    );
    assert_eq!(
        msg(softmax_cross_entropy_with_logits(&f32v(&[3], &[0.0; 3]), &f32v(&[3], &[0.0; 3]), &mut loss, &mut bp)),
        "logits and labels must be either 2-dimensional, or broadcasted to be 2-dimensional"
    );
    softmax_cross_entropy_with_logits(&f32v(&[2, 0], &[]), &f32v(&[2, 0], &[]), &mut loss, &mut bp).unwrap();
    assert_eq!(f32s(&loss), vec![0.0, 0.0]);
}

#[test]
fn clip_cast_fill() {
    let x = f32v(&[2, 3], &[-2.0, 0.5, 3.0, 1.0, -1.0, 9.0]);
    let mut o = new_out();
    clip_by_value(&x, &f32v(&[], &[0.0]), &f32v(&[], &[2.0]), &mut o).unwrap();
    assert_eq!(f32s(&o), vec![0.0, 0.5, 2.0, 1.0, 0.0, 2.0]);
    let lo = f32v(&[2, 3], &[-3.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    clip_by_value(&x, &lo, &f32v(&[], &[5.0]), &mut o).unwrap();
    assert_eq!(f32s(&o), vec![-2.0, 1.0, 3.0, 1.0, 0.0, 5.0]);
    clip_by_value(&x, &f32v(&[3], &[0.0, 0.0, 4.0]), &f32v(&[3], &[1.0, 1.0, 5.0]), &mut o).unwrap();
    assert_eq!(f32s(&o), vec![0.0, 0.5, 4.0, 1.0, 0.0, 5.0]);
    assert_eq!(
        msg(clip_by_value(&f32v(&[3], &[0.0; 3]), &f32v(&[2, 3], &[0.0; 6]), &f32v(&[], &[1.0]), &mut o)),
        "Shapes (3,) and (2, 3) are not compatible"
    );
    assert!(clip_by_value(&x, &f32v(&[2], &[0.0; 2]), &f32v(&[], &[1.0]), &mut o).is_err());
    assert!(clip_by_value(&x, &i32v(&[], &[0]), &f32v(&[], &[1.0]), &mut o).is_err());
    clip_by_value(&i32v(&[3], &[-5, 5, 50]), &i32v(&[], &[0]), &i32v(&[], &[10]), &mut o).unwrap();
    assert_eq!(o, i32v(&[3], &[0, 5, 10]));

    let c = f32v(&[4], &[1.7, -1.7, 0.0, f32::NAN]);
    cast(&c, DType::Int32, &mut o).unwrap();
    assert_eq!(o, i32v(&[4], &[1, -1, 0, 0]));
    cast(&c, DType::Bool, &mut o).unwrap();
    assert_eq!(o, boolv(&[4], &[true, true, false, true]));
    cast(&boolv(&[2], &[true, false]), DType::Float64, &mut o).unwrap();
    assert_eq!(o, f64v(&[2], &[1.0, 0.0]));
    cast(&i64v(&[1], &[3]), DType::Int64, &mut o).unwrap();
    assert_eq!(o, i64v(&[1], &[3]));

    fill(DType::Int32, &[2, 2], 3.9, &mut o);
    assert_eq!(o, i32v(&[2, 2], &[3; 4]));
    fill(DType::Bool, &[], 1.0, &mut o);
    assert_eq!(o, boolv(&[], &[true]));
    assert_eq!(
        try_fill(DType::Float64, &[usize::MAX, 4], 0.0, &mut o).unwrap_err().class,
        ErrorClass::ResourceExhausted
    );
    fill(DType::Float64, &[usize::MAX, 4], 0.0, &mut o);
    assert_eq!(o.shape(), &[0]);
}

#[test]
fn no_panics_on_empty_or_odd_inputs() {
    let shapes: [&[usize]; 5] = [&[0], &[0, 3], &[2, 0], &[], &[1, 0, 1]];
    let mut o = new_out();
    for s in shapes {
        let n: usize = s.iter().product();
        let vals = [
            f32v(s, &vec![1.0; n]),
            f64v(s, &vec![1.0; n]),
            i32v(s, &vec![1; n]),
            i64v(s, &vec![1; n]),
            boolv(s, &vec![true; n]),
        ];
        for v in &vals {
            for op in UnaryOp::ALL {
                let _ = unary(op, v, &mut o, None);
            }
            for op in BinaryOp::ALL {
                let _ = binary(op, v, v, &mut o, None);
                let _ = binary(op, v, &f32v(&[], &[0.0]), &mut o, None);
                let _ = binary(op, v, &i32v(&[], &[0]), &mut o, None);
            }
            for op in ReduceOp::ALL {
                let _ = reduce(op, v, None, false, &mut o);
                let _ = reduce(op, v, Some(&[0]), true, &mut o);
                let _ = reduce(op, v, Some(&[-1, 1]), false, &mut o);
            }
            let _ = matmul(v, v, false, true, &mut o, None);
            let _ = softmax(v, &mut o);
            let (mut l, mut b) = (new_out(), new_out());
            let _ = softmax_cross_entropy_with_logits(v, v, &mut l, &mut b);
            let _ = sigmoid_cross_entropy_with_logits(v, v, &mut o);
            let _ = clip_by_value(v, v, v, &mut o);
            let _ = sum_to_shape(v, &[], &mut o);
            let _ = sum_to_shape(v, s, &mut o);
            for d in DType::ALL {
                cast(v, d, &mut o).unwrap();
                assert_eq!(o.shape(), s);
            }
        }
    }
    // Broadcast shapes too large to describe are an error, not a panic.
    let a = f32v(&[1 << 40, 1, 0], &[]);
    let b = f32v(&[1, 1 << 40, 0], &[]);
    let e = binary(BinaryOp::Add, &a, &b, &mut o, None).unwrap_err();
    assert_eq!(e.class, ErrorClass::ResourceExhausted);
    let many: Vec<usize> = vec![1; MAX_RANK + 1];
    let e = binary(BinaryOp::Add, &f32v(&many, &[1.0]), &f32v(&[], &[1.0]), &mut o, None).unwrap_err();
    assert_eq!(e.class, ErrorClass::Unimplemented);
}

// ----- gradient and apply kernels -----

fn v(j: serde_json::Value) -> Value {
    Value::from_json(&j, None).unwrap()
}

#[test]
fn sigmoid_grad_order() {
    let mut o = Value::scalar_f32(0.0);
    unary_grad(UnaryOp::Sigmoid, &v(json!([0.25])), &v(json!([2.0])), &mut o).unwrap();
    assert_eq!(o.to_f64_vec(), vec![2.0 * 0.25 * 0.75]);
    unary_grad(UnaryOp::Relu, &v(json!([-1.0, 0.0, 3.0])), &v(json!([1.0, 1.0, 1.0])), &mut o).unwrap();
    assert_eq!(o.to_f64_vec(), vec![0.0, 0.0, 1.0]);
    assert!(unary_grad(UnaryOp::Sigmoid, &v(json!([1.0])), &v(json!([1.0, 2.0])), &mut o).is_err());
}

#[test]
fn clip_grad_passes_inside_inclusive() {
    let mut o = Value::scalar_f32(0.0);
    clip_by_value_grad(
        &v(json!([-1.0, 0.0, 0.5, 1.0, 2.0])),
        &v(json!(0.0)),
        &v(json!(1.0)),
        &v(json!([1.0, 1.0, 1.0, 1.0, 1.0])),
        &mut o,
    )
    .unwrap();
    assert_eq!(o.to_f64_vec(), vec![0.0, 1.0, 1.0, 1.0, 0.0]);
}

#[test]
fn reduce_grads() {
    let x = v(json!([[1.0, 5.0], [5.0, 2.0]]));
    let mut o = Value::scalar_f32(0.0);
    reduce_grad(ReduceOp::Mean, None, false, &v(json!(8.0)), &x, None, &mut o).unwrap();
    assert_eq!(o.to_f64_vec(), vec![2.0; 4]);
    reduce_grad(ReduceOp::Sum, Some(&[1]), false, &v(json!([1.0, 2.0])), &x, None, &mut o).unwrap();
    assert_eq!(o.to_f64_vec(), vec![1.0, 1.0, 2.0, 2.0]);
    reduce_grad(ReduceOp::Max, None, false, &v(json!(1.0)), &x, Some(&v(json!(5.0))), &mut o).unwrap();
    assert_eq!(o.to_f64_vec(), vec![0.0, 0.5, 0.5, 0.0]);
    assert!(reduce_grad(ReduceOp::Sum, Some(&[1]), false, &v(json!([1.0])), &x, None, &mut o).is_err());
}

#[test]
fn adam_matches_formula() {
    let mut w = v(json!([1.0]));
    let mut m = v(json!([0.0]));
    let mut s = v(json!([0.0]));
    let sc = AdamScalars {
        beta1_power: &v(json!(0.9)),
        beta2_power: &v(json!(0.999)),
        lr: &v(json!(0.001)),
        beta1: &v(json!(0.9)),
        beta2: &v(json!(0.999)),
        epsilon: &v(json!(1e-8)),
    };
    apply_adam(&mut w, &mut m, &mut s, &sc, &v(json!([0.5])), false).unwrap();
    let (lr, b1p, b2p) = (0.001f32, 0.9f32, 0.999f32);
    let alpha = lr * (1.0 - b2p).sqrt() / (1.0 - b1p);
    let m1 = 0.0f32 + (0.5 - 0.0) * (1.0 - 0.9f32);
    let v1 = 0.0f32 + (0.25 - 0.0) * (1.0 - 0.999f32);
    let want = 1.0f32 - (m1 * alpha) / (v1.sqrt() + 1e-8);
    assert_eq!(w.to_f64_vec(), vec![want as f64]);
}

#[test]
fn gd_and_momentum() {
    let mut w = v(json!([1.0, 2.0]));
    apply_gradient_descent(&mut w, &v(json!(0.5)), &v(json!([2.0, 2.0]))).unwrap();
    assert_eq!(w.to_f64_vec(), vec![0.0, 1.0]);
    let mut acc = v(json!([0.0, 0.0]));
    apply_momentum(&mut w, &mut acc, &v(json!(1.0)), &v(json!([1.0, 1.0])), &v(json!(0.9)), false).unwrap();
    assert_eq!(w.to_f64_vec(), vec![-1.0, 0.0]);
    assert!(apply_gradient_descent(&mut w, &v(json!(0.5)), &v(json!([2.0]))).is_err());
}

#[test]
fn broadcast_index_works() {
    // out [2,3], in [3]
    assert_eq!(broadcast_index(&[2, 3], &[3], 4), 1);
    // out [2,3], in [2,1]
    assert_eq!(broadcast_index(&[2, 3], &[2, 1], 4), 1);
    assert_eq!(broadcast_index(&[2, 3], &[], 5), 0);
}

#[test]
fn chapter_four_kernels() {
    let a = f32v(&[4], &[1.0, 2.0, 3.0, f32::NAN]);
    let b = f32v(&[4], &[1.0, 3.0, 2.0, f32::NAN]);
    assert_eq!(bin_ok(BinaryOp::Equal, &a, &b), boolv(&[4], &[true, false, false, false]));
    assert_eq!(bin_ok(BinaryOp::NotEqual, &a, &b), boolv(&[4], &[false, true, true, true]));
    assert_eq!(bin_ok(BinaryOp::GreaterEqual, &a, &b), boolv(&[4], &[true, false, true, false]));
    assert_eq!(bin_ok(BinaryOp::LessEqual, &a, &b), boolv(&[4], &[true, true, false, false]));
    let (p, q) = (boolv(&[2], &[true, false]), boolv(&[2], &[true, true]));
    assert_eq!(bin_ok(BinaryOp::Equal, &p, &q), boolv(&[2], &[true, false]));
    assert!(msg(binary(BinaryOp::GreaterEqual, &p, &q, &mut new_out(), None)).contains("T=DT_BOOL"));
    assert_eq!(un_ok(UnaryOp::Floor, &f32v(&[3], &[1.5, -1.5, 2.0])), f32v(&[3], &[1.0, -2.0, 2.0]));

    let mut o = new_out();
    select(&boolv(&[2], &[true, false]), &i64v(&[2], &[1, 2]), &i64v(&[2], &[3, 4]), &mut o).unwrap();
    assert_eq!(o, i64v(&[2], &[1, 4]));
    let e = msg(select(&boolv(&[2], &[true, false]), &f32v(&[2], &[1.0, 2.0]), &f32v(&[3], &[0.0; 3]), &mut o));
    assert_eq!(e, "'then' and 'else' must have the same size.  but received: [2] vs. [3]");

    add_n(&[&i32v(&[2], &[1, 2]), &i32v(&[2], &[3, 4]), &i32v(&[2], &[5, 6])], &mut o).unwrap();
    assert_eq!(o, i32v(&[2], &[9, 12]));

    l2_loss(&f32v(&[2, 2], &[1.0, 2.0, 3.0, 4.0]), &mut o).unwrap();
    assert_eq!(o, f32v(&[], &[15.0]));
    assert!(msg(l2_loss(&i32v(&[1], &[1]), &mut o)).contains("'L2Loss'"));

    arg_max(&f32v(&[2, 3], &[1.0, 5.0, 5.0, 7.0, f32::NAN, 2.0]), 1, DType::Int64, &mut o).unwrap();
    assert_eq!(o, i64v(&[2], &[1, 0]));
    arg_max(&f32v(&[2, 3], &[1.0, 5.0, 5.0, 7.0, 0.0, 2.0]), 0, DType::Int32, &mut o).unwrap();
    assert_eq!(o, i32v(&[3], &[1, 0, 0]));

    let (mut loss, mut bp) = (new_out(), new_out());
    let e =
        msg(sparse_softmax_cross_entropy_with_logits(&f32v(&[1, 3], &[0.0; 3]), &i32v(&[1], &[3]), &mut loss, &mut bp));
    assert_eq!(e, "Received a label value of 3 which is outside the valid range of [0, 3).  Label values: 3");
    sparse_softmax_cross_entropy_with_logits(&f32v(&[1, 2], &[0.0, 0.0]), &i64v(&[1], &[1]), &mut loss, &mut bp)
        .unwrap();
    assert_eq!(loss, f32v(&[1], &[std::f32::consts::LN_2]));
    assert_eq!(bp, f32v(&[1, 2], &[0.5, -0.5]));
}

/// `SparseSoftmaxCrossEntropyWithLogits` on float32 bit for bit with TF 2.21 (3 x 10 logits from
/// `RandomState(11).randn(3, 10) * 3`, labels 0, 9, 4).
#[test]
fn sparse_xent_matches_tf_bits() {
    let x: [u32; 30] = [
        1084748442, 3210458173, 3216642737, 3237918709, 3167459938, 3212147221, 3217952976, 1064450736, 1067560696,
        3226245253, 3223988340, 3216420481, 1074031428, 1071087472, 3229264466, 3226923123, 1074624776, 1083648565,
        3183406307, 3221436613, 1079139428, 3211641150, 1074485292, 1083487740, 1072821086, 1046594927, 1074567322,
        3220619195, 3205023371, 3218892295,
    ];
    let loss: [u32; 3] = [1026578675, 1088350959, 1078660233];
    let bp: [u32; 30] = [
        3173817072, 990633696, 983185577, 904655354, 1000402099, 989655825, 981724040, 1012169478, 1016192042,
        962060532, 973509163, 988187785, 1030598934, 1025616213, 957939930, 965062896, 1032382431, 1062423234,
        1004194815, 3212821039, 1043161366, 992202997, 1030005636, 1059647310, 3212134019, 1006714134, 1030301572,
        980503796, 997394527, 982792868,
    ];
    let xs: Vec<f32> = x.iter().map(|&b| f32::from_bits(b)).collect();
    let (mut l, mut b) = (new_out(), new_out());
    sparse_softmax_cross_entropy_with_logits(&f32v(&[3, 10], &xs), &i64v(&[3], &[0, 9, 4]), &mut l, &mut b).unwrap();
    let bits = |v: &Value| f32s(v).iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&l), loss);
    assert_eq!(bits(&b), bp);
}

/// The fused moving-average-and-GradientDescent update gives, bit for bit, what the unfused ops
/// give one after the other (`Sub`, `Mul`, `AssignSub` for the average from the weight before its
/// step; `Mul`, `Add`, `ApplyGradientDescent` for the step), on every length (vector body and
/// tail), both orders of the gradient's sum, and special values.
#[test]
fn average_gd_l2_matches_the_unfused_ops_bit_for_bit() {
    let specials = [0.0f32, -0.0, 1e-40, -1e-40, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 3.0e38, -7.25];
    let mut rs = crate::engine::kernels::random::RandomState::new(11);
    let mut val = |k: usize| -> f32 {
        let x = rs.random_sample() as f32 * 4.0 - 2.0;
        if k % 37 == 5 { specials[(k / 37) % specials.len()] } else { x }
    };
    for n in [0usize, 1, 15, 16, 17, 64, 100, 1000] {
        let a0: Vec<f32> = (0..n).map(&mut val).collect();
        let w0: Vec<f32> = (0..n).map(&mut val).collect();
        let g: Vec<f32> = (0..n).map(&mut val).collect();
        for l2_first in [true, false] {
            let s = AverageGdL2 { keep: 0.0099, c: 1e-4, alpha: 0.8, l2_first };
            let (mut a, mut w) = (a0.clone(), w0.clone());
            average_gd_l2_f32(&mut a, &mut w, &g, s);
            // The unfused ops, through the engine's kernels (`AssignSub` is a `Sub` into the
            // variable).
            let d = bin_ok(BinaryOp::Sub, &f32v(&[n], &a0), &f32v(&[n], &w0));
            let d = bin_ok(BinaryOp::Mul, &d, &f32v(&[], &[s.keep]));
            let av = bin_ok(BinaryOp::Sub, &f32v(&[n], &a0), &d);
            let l2 = bin_ok(BinaryOp::Mul, &f32v(&[n], &w0), &f32v(&[], &[s.c]));
            let gv = f32v(&[n], &g);
            let sum = if l2_first { bin_ok(BinaryOp::Add, &l2, &gv) } else { bin_ok(BinaryOp::Add, &gv, &l2) };
            let mut wv = f32v(&[n], &w0);
            apply_gradient_descent(&mut wv, &f32v(&[], &[s.alpha]), &sum).unwrap();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a), bits(&f32s(&av)), "average, n = {n}, l2_first = {l2_first}");
            assert_eq!(bits(&w), bits(&f32s(&wv)), "weight, n = {n}, l2_first = {l2_first}");
        }
    }
}

/// `ReluGrad`'s vector kernel gives the scalar formula's bits (NaN, `-0`, denormals, infinities
/// among the features and the gradients), on every length.
#[test]
fn relu_grad_kernel_matches_the_scalar_formula() {
    use crate::engine::graph::elementwise::GradKernel;
    let specials = [0.0f32, -0.0, 1e-40, -1e-40, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 2.5, -3.0];
    for n in [0usize, 1, 15, 16, 17, 100, 1000] {
        let x: Vec<f32> = (0..n).map(|k| specials[k % specials.len()]).collect();
        let d: Vec<f32> = (0..n).map(|k| specials[(k * 7 + 3) % specials.len()]).collect();
        let mut o = vec![1.0f32; n];
        relu_grad_f32(&x, &d, &mut o);
        let want: Vec<u32> =
            x.iter().zip(&d).map(|(&a, &g)| unary_grad_scalar(GradKernel::Relu, a, g).to_bits()).collect();
        assert_eq!(o.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want, "n = {n}");
    }
}
