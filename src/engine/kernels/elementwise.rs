//! The elementwise ops of the op table (`graph::elementwise`): the formula of each binary and
//! unary op, written once and used by both the general kernels here and the fast path
//! (`binary_arith`, `unary_scalar`, `unary_grad_scalar`), the TF-exact float32 slice functions
//! where TF's Eigen kernels differ from the plain formula (`eigen_unary`, `eigen_unary_grad`),
//! the kernels over tensors (`binary`, `unary`, `unary_grad`, `maximum_minimum_grad`), and the
//! elementwise ops outside the table: `select` (`tf.where`) and `add_n`.
//!
//! Every `match` here is exhaustive over the op enums: an op added to the table does not
//! compile until it has its formulas here.

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::graph::elementwise::{BinaryOp, GradKernel, UnaryGrad, UnaryOp};
use crate::engine::kernels::broadcast::{bin, broadcast_index, check_broadcastable, map, plan_broadcast};
use crate::engine::kernels::{
    Float, FloatValue, GradFloat, Int, dispatch_float, int_div_by_zero, no_kernel, out_buf, out_slice, par_plan,
    same_len, slice, slice_of, type_mismatch,
};
use crate::engine::math::denormal::HwFtz;
use crate::engine::value::Value;
use ndarray::ArrayD;
use rayon::ThreadPool;
use rayon::prelude::*;

// ---------------------------------------------------------------------------------------------
// Binary ops
// ---------------------------------------------------------------------------------------------

/// The float formula of each binary op, as both the general kernel and the fast path compute it.
/// The comparisons give 1 or 0 here (their kernels store bool).
#[inline(always)]
pub fn binary_arith<T: Float>(op: BinaryOp, x: T, y: T) -> T {
    match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div => x / y,
        BinaryOp::Maximum => {
            if x < y {
                y
            } else {
                x
            }
        }
        BinaryOp::Minimum => {
            if y < x {
                y
            } else {
                x
            }
        }
        BinaryOp::Pow => x.powf(y),
        BinaryOp::Less => {
            if x < y {
                T::ONE
            } else {
                T::ZERO
            }
        }
        BinaryOp::Greater => {
            if x > y {
                T::ONE
            } else {
                T::ZERO
            }
        }
        BinaryOp::Equal => {
            if x == y {
                T::ONE
            } else {
                T::ZERO
            }
        }
        BinaryOp::NotEqual => {
            if x != y {
                T::ONE
            } else {
                T::ZERO
            }
        }
        BinaryOp::GreaterEqual => {
            if x >= y {
                T::ONE
            } else {
                T::ZERO
            }
        }
        BinaryOp::LessEqual => {
            if x <= y {
                T::ONE
            } else {
                T::ZERO
            }
        }
    }
}

pub fn binary(op: BinaryOp, a: &Value, b: &Value, out: &mut Value, pool: Option<&rayon::ThreadPool>) -> Result<()> {
    if let (Value::F32(x), Value::F32(y)) = (a, b)
        && matches!(op, BinaryOp::Maximum | BinaryOp::Minimum)
        && x.shape() == y.shape()
        && let (Some(xs), Some(ys)) = (x.as_slice(), y.as_slice())
    {
        // TF's packet and tail paths differ on ties of +0 and -0 and on NaNs.
        let o = out_buf::<f32>(out, x.shape())?;
        if op == BinaryOp::Maximum {
            crate::engine::math::eigen::maximum_f32(xs, ys, o);
        } else {
            crate::engine::math::eigen::minimum_f32(xs, ys, o);
        }
        return Ok(());
    }
    match (a, b) {
        (Value::F32(x), Value::F32(y)) => binary_float(op, x, y, out, pool),
        (Value::F64(x), Value::F64(y)) => binary_float(op, x, y, out, pool),
        (Value::I32(x), Value::I32(y)) => binary_int(op, x, y, out, pool),
        (Value::I64(x), Value::I64(y)) => binary_int(op, x, y, out, pool),
        (Value::Bool(x), Value::Bool(y)) => match op {
            BinaryOp::Equal => bin(x, y, out, pool, |x: bool, y: bool| x == y),
            BinaryOp::NotEqual => bin(x, y, out, pool, |x: bool, y: bool| x != y),
            _ => Err(no_kernel(op.tf_name(), DType::Bool)),
        },
        _ => Err(type_mismatch(op.tf_name(), "y", b.dtype(), "x", a.dtype())),
    }
}

fn binary_float<T: Float>(
    op: BinaryOp,
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    out: &mut Value,
    pool: Option<&ThreadPool>,
) -> Result<()> {
    // One monomorphic loop per op, each running the op's formula from `binary_arith`.
    use BinaryOp as B;
    match op {
        B::Add => bin(a, b, out, pool, |x: T, y: T| binary_arith(B::Add, x, y)),
        B::Sub => bin(a, b, out, pool, |x: T, y: T| binary_arith(B::Sub, x, y)),
        B::Mul => bin(a, b, out, pool, |x: T, y: T| binary_arith(B::Mul, x, y)),
        B::Div => bin(a, b, out, pool, |x: T, y: T| binary_arith(B::Div, x, y)),
        B::Maximum => bin(a, b, out, pool, |x: T, y: T| binary_arith(B::Maximum, x, y)),
        B::Minimum => bin(a, b, out, pool, |x: T, y: T| binary_arith(B::Minimum, x, y)),
        B::Pow => bin(a, b, out, pool, |x: T, y: T| binary_arith(B::Pow, x, y)),
        B::Less => bin(a, b, out, pool, |x: T, y: T| x < y),
        B::Greater => bin(a, b, out, pool, |x: T, y: T| x > y),
        B::Equal => bin(a, b, out, pool, |x: T, y: T| x == y),
        B::NotEqual => bin(a, b, out, pool, |x: T, y: T| x != y),
        B::GreaterEqual => bin(a, b, out, pool, |x: T, y: T| x >= y),
        B::LessEqual => bin(a, b, out, pool, |x: T, y: T| x <= y),
    }
}

fn binary_int<T: Int>(
    op: BinaryOp,
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    out: &mut Value,
    pool: Option<&ThreadPool>,
) -> Result<()> {
    if matches!(op, BinaryOp::Div | BinaryOp::Pow) {
        // Shape errors come first, as in TF; then the data checks (only if anything is computed).
        let (shape, _) = plan_broadcast(a.shape(), b.shape())?;
        if !shape.as_slice().contains(&0) {
            if op == BinaryOp::Div && b.iter().any(|&y| y == T::ZERO) {
                return Err(int_div_by_zero());
            }
            if op == BinaryOp::Pow && b.iter().any(|&y| y < T::ZERO) {
                return Err(Error::invalid_argument("Integers to negative integer powers are not allowed"));
            }
        }
    }
    match op {
        BinaryOp::Add => bin(a, b, out, pool, |x: T, y: T| x.wadd(y)),
        BinaryOp::Sub => bin(a, b, out, pool, |x: T, y: T| x.wsub(y)),
        BinaryOp::Mul => bin(a, b, out, pool, |x: T, y: T| x.wmul(y)),
        BinaryOp::Div => bin(a, b, out, pool, |x: T, y: T| x.wdiv(y)),
        BinaryOp::Maximum => bin(a, b, out, pool, |x: T, y: T| if x < y { y } else { x }),
        BinaryOp::Minimum => bin(a, b, out, pool, |x: T, y: T| if y < x { y } else { x }),
        BinaryOp::Less => bin(a, b, out, pool, |x: T, y: T| x < y),
        BinaryOp::Greater => bin(a, b, out, pool, |x: T, y: T| x > y),
        BinaryOp::Equal => bin(a, b, out, pool, |x: T, y: T| x == y),
        BinaryOp::NotEqual => bin(a, b, out, pool, |x: T, y: T| x != y),
        BinaryOp::GreaterEqual => bin(a, b, out, pool, |x: T, y: T| x >= y),
        BinaryOp::LessEqual => bin(a, b, out, pool, |x: T, y: T| x <= y),
        BinaryOp::Pow => bin(a, b, out, pool, |x: T, y: T| x.ipow(y)),
    }
}

/// Gradient of Maximum/Minimum for one input, at the broadcast shape of `dy`.
pub fn maximum_minimum_grad(
    is_max: bool,
    for_x: bool,
    x: &Value,
    y: &Value,
    dy: &Value,
    out: &mut Value,
) -> Result<()> {
    check_broadcastable("MaximumMinimumGrad", x.shape(), dy.shape())?;
    check_broadcastable("MaximumMinimumGrad", y.shape(), dy.shape())?;
    dispatch_float!(dy, "MaximumMinimumGrad", maxmin_grad_t(is_max, for_x, x, y, dy, out))
}

fn maxmin_grad_t<T: FloatValue>(
    is_max: bool,
    for_x: bool,
    x: &Value,
    y: &Value,
    dy: &Value,
    out: &mut Value,
) -> Result<()> {
    let (xs, ys, ds) = (slice::<T>(x, "MaximumGrad")?, slice::<T>(y, "MaximumGrad")?, slice::<T>(dy, "MaximumGrad")?);
    let shape = dy.shape();
    let o = out_slice::<T>(out, shape)?;
    for (i, o) in o.iter_mut().enumerate() {
        let a = xs[broadcast_index(shape, x.shape(), i)];
        let b = ys[broadcast_index(shape, y.shape(), i)];
        let mask = if is_max { a >= b } else { a <= b };
        *o = if mask == for_x { ds[i] } else { T::ZERO };
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Unary ops
// ---------------------------------------------------------------------------------------------

/// The float formula of each unary op (`x` in the element type), as the general kernel maps it
/// over float64 tensors and over the float32 ops without a TF-exact slice function, and as the
/// fast path computes it.
///
/// On float64, `exp`, `ln` and `tanh` are libm's; TF's double kernels use Eigen's packet
/// algorithms, which can differ in the last bit (`Exp`, `Elu`, checked against TF 2.21).
#[inline(always)]
pub fn unary_scalar<T: Float>(op: UnaryOp, x: T) -> T {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Sigmoid => T::ONE / (T::ONE + (-x).exp()),
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::Relu => {
            if x < T::ZERO {
                T::ZERO
            } else {
                x
            }
        }
        UnaryOp::Log => x.ln(),
        UnaryOp::Exp => x.exp(),
        UnaryOp::Square => x * x,
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Abs => x.abs(),
        UnaryOp::Sign => {
            if x.is_nan() {
                x
            } else if x > T::ZERO {
                T::ONE
            } else if x < T::ZERO {
                -T::ONE
            } else {
                T::ZERO
            }
        }
        UnaryOp::Reciprocal => T::ONE / x,
        UnaryOp::Identity => x,
        UnaryOp::Elu => {
            if x < T::ZERO {
                x.exp() - T::ONE
            } else {
                x
            }
        }
        UnaryOp::Floor => x.floor(),
    }
}

/// A float32 slice function `(input, output)`.
pub type UnaryF32 = fn(&[f32], &mut [f32]);

/// A float32 slice function for a thread that flushes in hardware (it takes the token of
/// `math::denormal::ScopedFlushDenormal`; the same bits as its [`UnaryF32`] twin there).
pub type UnaryF32Hw = for<'a> fn(&[f32], &mut [f32], HwFtz<'a>);

/// The float32 slice functions that compute these ops as TF's Eigen kernels do (packets of 8,
/// then a scalar tail, under TF's flush-to-zero), or `None` for ops whose plain formula
/// ([`unary_scalar`]) already matches TF.
pub fn eigen_unary(op: UnaryOp) -> Option<UnaryF32> {
    eigen_unary_pair(op).map(|(f, _)| f)
}

/// [`eigen_unary`] with each function's hardware-flush form beside it.
pub fn eigen_unary_pair(op: UnaryOp) -> Option<(UnaryF32, UnaryF32Hw)> {
    use crate::engine::math::eigen as em;
    match op {
        UnaryOp::Sigmoid => Some((em::sigmoid_f32, em::sigmoid_f32_hw)),
        UnaryOp::Log => Some((em::log_f32, em::log_f32_hw)),
        UnaryOp::Exp => Some((em::exp_f32, em::exp_f32_hw)),
        UnaryOp::Tanh => Some((em::tanh_f32, em::tanh_f32_hw)),
        UnaryOp::Reciprocal => Some((em::reciprocal_f32, em::reciprocal_f32_hw)),
        UnaryOp::Sqrt => Some((em::sqrt_f32, em::sqrt_f32_hw)),
        // Its software flushes are right under the hardware modes too.
        UnaryOp::Elu => Some((elu_f32, |x, out, _| elu_f32(x, out))),
        UnaryOp::Neg
        | UnaryOp::Relu
        | UnaryOp::Square
        | UnaryOp::Abs
        | UnaryOp::Sign
        | UnaryOp::Identity
        | UnaryOp::Floor => None,
    }
}

/// `tf.nn.elu` on a contiguous float32 tensor as TF computes it, Eigen's
/// `(x < 0).select(x.exp() - 1, x)`: TF's `Exp` (packets of 8, then libm's `expf` on the tail),
/// then `- 1` under flush-to-zero; the comparison reads `x` under denormals-are-zero, and
/// non-negative inputs pass through unchanged.
pub fn elu_f32(x: &[f32], out: &mut [f32]) {
    use crate::engine::math::eigen as em;
    em::exp_f32(x, out);
    for (o, &v) in out.iter_mut().zip(x) {
        *o = if em::ftz(v) < 0.0 { em::sub(*o, 1.0) } else { v };
    }
}

/// Applies an elementwise unary op, writing into `out` (reused when its dtype and shape already
/// match).
///
/// `Neg`, `Square`, `Abs`, `Sign`, `Relu` and `Identity` work on ints too (wrapping);
/// `Identity` also on bool. The float-only ops on other dtypes give TF's "No OpKernel was
/// registered to support Op 'Sigmoid' with these attrs: [T=DT_INT32]" (InvalidArgument).
pub fn unary(op: UnaryOp, x: &Value, out: &mut Value, pool: Option<&rayon::ThreadPool>) -> Result<()> {
    if let Value::F32(a) = x
        && let Some(f) = eigen_unary(op)
    {
        return unary_eigen_f32(f, a, out, pool);
    }
    match x {
        Value::F32(a) => map(a, out, pool, move |x: f32| unary_scalar(op, x)),
        Value::F64(a) => map(a, out, pool, move |x: f64| unary_scalar(op, x)),
        Value::I32(a) => unary_int(op, a, out, pool),
        Value::I64(a) => unary_int(op, a, out, pool),
        Value::Bool(a) if op == UnaryOp::Identity => map(a, out, pool, |v: bool| v),
        Value::Bool(_) => Err(no_kernel(op.tf_name(), DType::Bool)),
    }
}

/// oneDNN's kernel for an activation that TF runs inside a fused `MatMul` (`runtime::remap`),
/// where its values differ from Eigen's: `Elu`, `Sigmoid` (oneDNN's logistic) and `Tanh`; with
/// its hardware-flush form beside it (the same function: its software flushes are right under
/// the hardware modes too).
pub fn onednn_kernel_pair(op: UnaryOp) -> Option<(UnaryF32, UnaryF32Hw)> {
    use crate::engine::math::onednn_eltwise as od;
    match op {
        UnaryOp::Elu => Some((od::elu_f32, |x, out, _| od::elu_f32(x, out))),
        UnaryOp::Sigmoid => Some((od::logistic_f32, |x, out, _| od::logistic_f32(x, out))),
        UnaryOp::Tanh => Some((od::tanh_f32, |x, out, _| od::tanh_f32(x, out))),
        _ => None,
    }
}

/// [`onednn_kernel_pair`]'s first function.
pub fn onednn_kernel(op: UnaryOp) -> Option<UnaryF32> {
    onednn_kernel_pair(op).map(|(f, _)| f)
}

/// A unary op that TF runs inside a fused `MatMul` (`runtime::remap`): float32 as oneDNN computes
/// it ([`onednn_kernel`]); anything else as [`unary`] does.
pub fn fused_activation(op: UnaryOp, x: &Value, out: &mut Value) -> Result<()> {
    match (x, onednn_kernel(op)) {
        (Value::F32(a), Some(f)) => unary_eigen_f32(f, a, out, None),
        _ => unary(op, x, out, None),
    }
}

/// Applies an Eigen slice function over a whole float32 tensor. Split across the pool in chunks
/// whose sizes are multiples of the packet width, so only the tensor's last `n % 8` elements take
/// the scalar path, as in TF.
fn unary_eigen_f32(f: UnaryF32, a: &ArrayD<f32>, out: &mut Value, pool: Option<&ThreadPool>) -> Result<()> {
    let o = out_buf::<f32>(out, a.shape())?;
    if o.is_empty() {
        return Ok(());
    }
    let ac = a.as_standard_layout();
    let xs = slice_of(&ac)?;
    match par_plan(pool, o.len()) {
        Some((p, chunk)) => {
            let chunk = chunk.div_ceil(8) * 8;
            p.install(|| o.par_chunks_mut(chunk).zip(xs.par_chunks(chunk)).for_each(|(o, x)| f(x, o)))
        }
        None => f(xs, o),
    }
    Ok(())
}

/// The integer kernels (wrapping); the float-only ops have none.
fn unary_int<T: Int>(op: UnaryOp, a: &ArrayD<T>, out: &mut Value, pool: Option<&ThreadPool>) -> Result<()> {
    match op {
        UnaryOp::Neg => map(a, out, pool, |x: T| x.wneg()),
        UnaryOp::Relu => map(a, out, pool, |x: T| if x < T::ZERO { T::ZERO } else { x }),
        UnaryOp::Square => map(a, out, pool, |x: T| x.wmul(x)),
        UnaryOp::Abs => map(a, out, pool, |x: T| x.wabs()),
        UnaryOp::Sign => map(a, out, pool, |x: T| x.sign()),
        UnaryOp::Identity => map(a, out, pool, |x: T| x),
        UnaryOp::Sigmoid
        | UnaryOp::Tanh
        | UnaryOp::Log
        | UnaryOp::Exp
        | UnaryOp::Sqrt
        | UnaryOp::Reciprocal
        | UnaryOp::Elu
        | UnaryOp::Floor => Err(no_kernel(op.tf_name(), T::DTYPE)),
    }
}

// ---------------------------------------------------------------------------------------------
// Unary gradient kernels
// ---------------------------------------------------------------------------------------------

/// The float formula of each unary gradient kernel, as [`unary_grad`] computes it on float64
/// (and on float32 for the kernels without a TF-exact slice function) and the fast path on
/// float32. `a` is what the kernel reads (the op's output, or its input for `ReluGrad`).
#[inline(always)]
pub fn unary_grad_scalar<T: GradFloat>(kind: GradKernel, a: T, d: T) -> T {
    match kind {
        GradKernel::Sigmoid => d * (a * (T::ONE - a)),
        GradKernel::Tanh => d * (T::ONE - a * a),
        GradKernel::Relu => {
            if a > T::ZERO {
                d
            } else {
                T::ZERO
            }
        }
        GradKernel::Sqrt => T::from_f64(0.5) * d / a,
        GradKernel::Reciprocal => -(d * (a * a)),
        GradKernel::Elu => {
            if a < T::ZERO {
                d * (a + T::ONE)
            } else {
                d
            }
        }
    }
}

/// A float32 gradient slice function `(a, dy, output)`.
pub type UnaryGradF32 = fn(&[f32], &[f32], &mut [f32]);

/// A float32 gradient slice function for a thread that flushes in hardware (see [`UnaryF32Hw`]).
pub type UnaryGradF32Hw = for<'a> fn(&[f32], &[f32], &mut [f32], HwFtz<'a>);

/// The float32 slice functions computing these gradients as TF's Eigen kernels do (packets of
/// 8, then a scalar tail, under flush-to-zero; Relu's gradient is a plain select).
pub fn eigen_unary_grad(kind: GradKernel) -> Option<UnaryGradF32> {
    eigen_unary_grad_pair(kind).map(|(f, _)| f)
}

/// [`eigen_unary_grad`] with each function's hardware-flush form beside it.
pub fn eigen_unary_grad_pair(kind: GradKernel) -> Option<(UnaryGradF32, UnaryGradF32Hw)> {
    use crate::engine::math::eigen as em;
    match kind {
        GradKernel::Sigmoid => Some((em::sigmoid_grad_f32, em::sigmoid_grad_f32_hw)),
        GradKernel::Tanh => Some((em::tanh_grad_f32, em::tanh_grad_f32_hw)),
        GradKernel::Sqrt => Some((em::sqrt_grad_f32, em::sqrt_grad_f32_hw)),
        GradKernel::Reciprocal => Some((em::reciprocal_grad_f32, em::reciprocal_grad_f32_hw)),
        // These two flush in software, which is right under the hardware modes too.
        GradKernel::Elu => Some((elu_grad_f32, |y, dy, out, _| elu_grad_f32(y, dy, out))),
        GradKernel::Relu => Some((relu_grad_f32, |x, dy, out, _| relu_grad_f32(x, dy, out))),
    }
}

/// `ReluGrad(gradients, features)` on contiguous float32 tensors: `dy` where `x > 0`, else 0 (a
/// select, no arithmetic: the bits of [`unary_grad_scalar`]), with the widest vectors the CPU has.
pub fn relu_grad_f32(x: &[f32], dy: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F.
            return unsafe { relu_grad_avx512(x, dy, out) };
        }
    }
    relu_grad_body(x, dy, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn relu_grad_avx512(x: &[f32], dy: &[f32], out: &mut [f32]) {
    relu_grad_body(x, dy, out);
}

#[inline(always)]
fn relu_grad_body(x: &[f32], dy: &[f32], out: &mut [f32]) {
    for ((o, &x), &d) in out.iter_mut().zip(x).zip(dy) {
        *o = if x > 0.0 { d } else { 0.0 };
    }
}

/// `EluGrad(gradients, outputs)` on contiguous float32 tensors as TF computes it, Eigen's
/// `(y < 0).select((y + 1) * dy, dy)` under TF's flush-to-zero / denormals-are-zero.
pub fn elu_grad_f32(y: &[f32], dy: &[f32], out: &mut [f32]) {
    use crate::engine::math::eigen as em;
    for ((o, &y), &d) in out.iter_mut().zip(y).zip(dy) {
        *o = if em::ftz(y) < 0.0 { em::mul(em::add(y, 1.0), d) } else { d };
    }
}

/// The gradient of a unary op from its gradient kernel: `SigmoidGrad(y, dy) = dy * (y * (1 - y))`,
/// `TanhGrad(y, dy) = dy * (1 - y * y)`, `ReluGrad: dy where x > 0`, `SqrtGrad(y, dy) = 0.5 * dy / y`,
/// `ReciprocalGrad(y, dy) = -(dy * (y * y))`, `EluGrad: dy * (y + 1) where y < 0, else dy`.
/// `a` is the kernel's operand (see [`GradKernel`]). An op whose gradient is built from other ops
/// has no kernel (Unimplemented).
pub fn unary_grad(kind: UnaryOp, a: &Value, dy: &Value, out: &mut Value) -> Result<()> {
    let k = match kind.grad() {
        UnaryGrad::Kernel(k) => k,
        UnaryGrad::Built(_) | UnaryGrad::None => {
            return Err(Error::unimplemented(format!("no gradient kernel for {kind:?}")));
        }
    };
    same_len(k.tf_name(), a, dy)?;
    if let (Value::F32(y), Value::F32(d)) = (a, dy)
        && let Some(f) = eigen_unary_grad(k)
        && let (Some(ys), Some(ds)) = (y.as_slice(), d.as_slice())
    {
        let o = out_slice::<f32>(out, dy.shape())?;
        f(ys, ds, o);
        return Ok(());
    }
    dispatch_float!(dy, k.tf_name(), unary_grad_t(k, a, dy, out))
}

fn unary_grad_t<T: FloatValue>(kind: GradKernel, a: &Value, dy: &Value, out: &mut Value) -> Result<()> {
    let name = kind.tf_name();
    let (a, d) = (slice::<T>(a, name)?, slice::<T>(dy, name)?);
    let o = out_slice::<T>(out, dy.shape())?;
    for ((o, &a), &d) in o.iter_mut().zip(a).zip(d) {
        *o = unary_grad_scalar(kind, a, d);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Select and AddN
// ---------------------------------------------------------------------------------------------

/// `Select(condition, t, e)` (TF 1's `tf.where`): `t` where `condition` holds, else `e`. `t` and
/// `e` have one shape; the condition has that shape, is a vector picking whole rows, or is a
/// scalar. Any dtype. Its gradient is two more `Select`s with zeros (see `autodiff::gradients`).
pub fn select(cond: &Value, t: &Value, e: &Value, out: &mut Value) -> Result<()> {
    let Value::Bool(c) = cond else {
        return Err(Error::invalid_argument(format!(
            "Input 'condition' of 'Select' Op has type {} that does not match expected type of bool.",
            cond.dtype()
        )));
    };
    if t.shape() != e.shape() {
        return Err(Error::invalid_argument(format!(
            "'then' and 'else' must have the same size.  but received: {} vs. {}",
            crate::engine::kernels::tf_shape(t.shape()),
            crate::engine::kernels::tf_shape(e.shape())
        )));
    }
    let shape = t.shape();
    // How many consecutive elements one condition element decides.
    let run = if c.shape() == shape {
        1
    } else if c.ndim() == 0 {
        shape.iter().product::<usize>().max(1)
    } else if c.ndim() == 1 && !shape.is_empty() && shape.len() > 1 {
        if c.len() != shape[0] {
            return Err(Error::invalid_argument(format!(
                "Number of batches of 'then' must match size of 'cond', but saw: {} vs. {}",
                c.len(),
                shape[0]
            )));
        }
        shape[1..].iter().product::<usize>()
    } else {
        return Err(Error::invalid_argument(format!(
            "'cond' and 'then' must have the same size.  but received: {} vs. {}",
            crate::engine::kernels::tf_shape(c.shape()),
            crate::engine::kernels::tf_shape(shape)
        )));
    };
    let cc = c.as_standard_layout();
    let cs = slice_of(&cc)?;
    fn pick<T: crate::engine::kernels::Elem>(
        cs: &[bool],
        run: usize,
        t: &ArrayD<T>,
        e: &ArrayD<T>,
        out: &mut Value,
    ) -> Result<()> {
        let (tc, ec) = (t.as_standard_layout(), e.as_standard_layout());
        let (ts, es) = (slice_of(&tc)?, slice_of(&ec)?);
        let o = out_buf::<T>(out, t.shape())?;
        for (i, o) in o.iter_mut().enumerate() {
            *o = if cs.get(i / run.max(1)).copied().unwrap_or(false) { ts[i] } else { es[i] };
        }
        Ok(())
    }
    match (t, e) {
        (Value::F32(a), Value::F32(b)) => pick(cs, run, a, b, out),
        (Value::F64(a), Value::F64(b)) => pick(cs, run, a, b, out),
        (Value::I32(a), Value::I32(b)) => pick(cs, run, a, b, out),
        (Value::I64(a), Value::I64(b)) => pick(cs, run, a, b, out),
        (Value::Bool(a), Value::Bool(b)) => pick(cs, run, a, b, out),
        _ => Err(type_mismatch("Select", "e", e.dtype(), "t", t.dtype())),
    }
}

/// How many of `n` inputs TF's `AddN` kernel sums first, left to right, before the blocks of 8:
/// `n % 8`, or 8 when that is 0 and 9 when it is 1 (at most `n`).
pub fn add_n_head(n: usize) -> usize {
    match n % 8 {
        0 => 8,
        1 => 9,
        r => r,
    }
    .min(n)
}

/// `AddN(inputs)` (`tf.add_n`): the elementwise sum of tensors of one dtype and shape, in the
/// order of TF's `AddN` kernel: the first `n % 8` inputs (8 if that is 0, 9 if 1) left to right
/// (`((in0 + in1) + in2) + ...`), then each further block of 8 summed left to right and added to
/// the total (measured with 2 to 12 inputs). The session gives the inputs in grappler's order
/// (sorted by name). Its gradient passes `dy` to every input.
pub fn add_n(inputs: &[&Value], out: &mut Value) -> Result<()> {
    let Some(first) = inputs.first() else {
        return Err(Error::invalid_argument("AddN needs at least one input"));
    };
    for x in &inputs[1..] {
        if x.dtype() != first.dtype() {
            return Err(type_mismatch("AddN", "inputs", x.dtype(), "inputs", first.dtype()));
        }
        if x.shape() != first.shape() {
            return Err(Error::invalid_argument(format!(
                "Inputs to operation AddN of type AddN must have the same size and shape.  Input 0: {} != input {}: {}",
                crate::engine::kernels::tf_shape(first.shape()),
                inputs.iter().position(|y| std::ptr::eq(*y, *x)).unwrap_or(1),
                crate::engine::kernels::tf_shape(x.shape())
            )));
        }
    }
    fn sum<T: crate::engine::kernels::Num>(
        inputs: &[&Value],
        get: impl Fn(&Value) -> Option<&ArrayD<T>>,
        out: &mut Value,
    ) -> Result<()> {
        let arrays: Vec<_> = inputs
            .iter()
            .map(|v| get(v).map(|a| a.as_standard_layout()).ok_or_else(|| Error::internal("AddN input dtype")))
            .collect::<Result<_>>()?;
        let shape = arrays[0].shape().to_vec();
        let o = out_buf::<T>(out, &shape)?;
        // TF's kernel: the first `n % 8` inputs (8 when that is 0, 9 when 1) summed in order,
        // then each further block of 8 summed in order and added to the total.
        let head = add_n_head(arrays.len());
        o.copy_from_slice(slice_of(&arrays[0])?);
        for a in &arrays[1..head] {
            for (o, &x) in o.iter_mut().zip(slice_of(a)?) {
                *o = o.wadd(x);
            }
        }
        let mut block = vec![T::ZERO; o.len()];
        for chunk in arrays[head..].chunks(8) {
            block.copy_from_slice(slice_of(&chunk[0])?);
            for a in &chunk[1..] {
                for (b, &x) in block.iter_mut().zip(slice_of(a)?) {
                    *b = b.wadd(x);
                }
            }
            for (o, &b) in o.iter_mut().zip(&block) {
                *o = o.wadd(b);
            }
        }
        Ok(())
    }
    match first.dtype() {
        DType::Float32 => sum::<f32>(inputs, |v| if let Value::F32(a) = v { Some(a) } else { None }, out),
        DType::Float64 => sum::<f64>(inputs, |v| if let Value::F64(a) = v { Some(a) } else { None }, out),
        DType::Int32 => sum::<i32>(inputs, |v| if let Value::I32(a) = v { Some(a) } else { None }, out),
        DType::Int64 => sum::<i64>(inputs, |v| if let Value::I64(a) = v { Some(a) } else { None }, out),
        DType::Bool => Err(no_kernel("AddN", DType::Bool)),
    }
}
