//! Kernels of the gradient ops and the optimizers' apply ops (`SigmoidGrad`, `ReduceGrad`,
//! `ApplyAdam`, ...). Like the forward kernels they write into a reused output buffer, never panic
//! on user data, and do float maths in the element type with TF's order of operations, so that
//! training gives TF's numbers.

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::kernels::{ReduceOp, UnaryOp, reduce_output_shape};
use crate::engine::value::Value;
use ndarray::{ArrayD, IxDyn};
use std::ops::{Add, Div, Mul, Neg, Sub};

/// The float element types the gradient kernels support.
pub trait GradFloat:
    Copy
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// From f64 (rounded).
    fn from_f64(x: f64) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Logistic sigmoid, as the forward kernel computes it.
    fn sigmoid(self) -> Self;
}

impl GradFloat for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    fn from_f64(x: f64) -> f32 {
        x as f32
    }
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
    fn sigmoid(self) -> f32 {
        1.0 / (1.0 + (-self).exp())
    }
}

impl GradFloat for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    fn from_f64(x: f64) -> f64 {
        x
    }
    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }
    fn sigmoid(self) -> f64 {
        1.0 / (1.0 + (-self).exp())
    }
}

/// Access to the float array inside a value.
trait FloatValue: GradFloat {
    fn get(v: &Value) -> Option<&ArrayD<Self>>;
    fn get_mut(v: &mut Value) -> Option<&mut ArrayD<Self>>;
    fn wrap(a: ArrayD<Self>) -> Value;
}

impl FloatValue for f32 {
    fn get(v: &Value) -> Option<&ArrayD<f32>> {
        if let Value::F32(a) = v { Some(a) } else { None }
    }
    fn get_mut(v: &mut Value) -> Option<&mut ArrayD<f32>> {
        if let Value::F32(a) = v { Some(a) } else { None }
    }
    fn wrap(a: ArrayD<f32>) -> Value {
        Value::F32(a)
    }
}

impl FloatValue for f64 {
    fn get(v: &Value) -> Option<&ArrayD<f64>> {
        if let Value::F64(a) = v { Some(a) } else { None }
    }
    fn get_mut(v: &mut Value) -> Option<&mut ArrayD<f64>> {
        if let Value::F64(a) = v { Some(a) } else { None }
    }
    fn wrap(a: ArrayD<f64>) -> Value {
        Value::F64(a)
    }
}

fn slice<'a, T: FloatValue>(v: &'a Value, what: &str) -> Result<&'a [T]> {
    T::get(v).and_then(|a| a.as_slice()).ok_or_else(|| {
        Error::invalid_argument(format!("{what}: expected a contiguous float tensor, got {}", v.dtype()))
    })
}

/// The output buffer of `shape`, reused when it already fits.
fn out_slice<'a, T: FloatValue>(out: &'a mut Value, shape: &[usize]) -> Result<&'a mut [T]> {
    let fits = T::get(out).is_some_and(|a| a.shape() == shape && a.is_standard_layout());
    if !fits {
        let n: usize = shape.iter().product();
        *out = T::wrap(
            ArrayD::from_shape_vec(IxDyn(shape), vec![T::ZERO; n]).map_err(|e| Error::internal(e.to_string()))?,
        );
    }
    T::get_mut(out).and_then(|a| a.as_slice_mut()).ok_or_else(|| Error::internal("output buffer is not contiguous"))
}

fn same_len(what: &str, a: &Value, b: &Value) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(Error::invalid_argument(format!(
            "{what}: shapes must be equal, got {} and {}",
            crate::engine::kernels::tf_shape(a.shape()),
            crate::engine::kernels::tf_shape(b.shape())
        )));
    }
    Ok(())
}

macro_rules! dispatch_float {
    ($v:expr, $what:expr, $f:ident ( $($args:expr),* )) => {
        match $v.dtype() {
            DType::Float32 => $f::<f32>($($args),*),
            DType::Float64 => $f::<f64>($($args),*),
            d => Err(Error::invalid_argument(format!("{}: no kernel for dtype {}", $what, d))),
        }
    };
}

// ----- unary gradients -----

/// `SigmoidGrad(y, dy) = dy * (y * (1 - y))`, `TanhGrad(y, dy) = dy * (1 - y * y)`,
/// `ReluGrad: dy where x > 0`, `SqrtGrad(y, dy) = 0.5 * dy / y`, `ReciprocalGrad(y, dy) = -(dy * (y * y))`.
pub fn unary_grad(kind: UnaryOp, a: &Value, dy: &Value, out: &mut Value) -> Result<()> {
    same_len(kind_name(kind), a, dy)?;
    if let (Value::F32(y), Value::F32(d)) = (a, dy)
        && let Some(f) = eigen_unary_grad(kind)
        && let (Some(ys), Some(ds)) = (y.as_slice(), d.as_slice())
    {
        let o = out_slice::<f32>(out, dy.shape())?;
        f(ys, ds, o);
        return Ok(());
    }
    dispatch_float!(dy, kind_name(kind), unary_grad_t(kind, a, dy, out))
}

/// A float32 gradient slice function `(y, dy, output)`.
pub type UnaryGradF32 = fn(&[f32], &[f32], &mut [f32]);

/// The float32 slice functions computing these gradients as TF's Eigen kernels do (packets of
/// 8, then a scalar tail), or `None` (Relu's gradient is a plain select).
pub fn eigen_unary_grad(kind: UnaryOp) -> Option<UnaryGradF32> {
    use crate::engine::math::eigen as em;
    Some(match kind {
        UnaryOp::Sigmoid => em::sigmoid_grad_f32,
        UnaryOp::Tanh => em::tanh_grad_f32,
        UnaryOp::Sqrt => em::sqrt_grad_f32,
        UnaryOp::Reciprocal => em::reciprocal_grad_f32,
        _ => return None,
    })
}

fn kind_name(kind: UnaryOp) -> &'static str {
    match kind {
        UnaryOp::Sigmoid => "SigmoidGrad",
        UnaryOp::Tanh => "TanhGrad",
        UnaryOp::Relu => "ReluGrad",
        UnaryOp::Sqrt => "SqrtGrad",
        UnaryOp::Reciprocal => "ReciprocalGrad",
        _ => "UnaryGrad",
    }
}

/// The float32 formula of each unary gradient, exactly as [`unary_grad`] computes it (the fast
/// path calls this). `a` is the op's output (its input for Relu).
pub fn unary_grad_f32(kind: UnaryOp, a: f32, d: f32) -> f32 {
    match kind {
        UnaryOp::Sigmoid => d * (a * (1.0 - a)),
        UnaryOp::Tanh => d * (1.0 - a * a),
        UnaryOp::Relu => {
            if a > 0.0 {
                d
            } else {
                0.0
            }
        }
        UnaryOp::Sqrt => 0.5 * d / a,
        UnaryOp::Reciprocal => -(d * (a * a)),
        _ => f32::NAN,
    }
}

fn unary_grad_t<T: FloatValue>(kind: UnaryOp, a: &Value, dy: &Value, out: &mut Value) -> Result<()> {
    let name = kind_name(kind);
    let (a, d) = (slice::<T>(a, name)?, slice::<T>(dy, name)?);
    let o = out_slice::<T>(out, dy.shape())?;
    let half = T::from_f64(0.5);
    for ((o, &a), &d) in o.iter_mut().zip(a).zip(d) {
        *o = match kind {
            UnaryOp::Sigmoid => d * (a * (T::ONE - a)),
            UnaryOp::Tanh => d * (T::ONE - a * a),
            UnaryOp::Relu => {
                if a > T::ZERO {
                    d
                } else {
                    T::ZERO
                }
            }
            UnaryOp::Sqrt => half * d / a,
            UnaryOp::Reciprocal => -(d * (a * a)),
            _ => return Err(Error::unimplemented(format!("no gradient kernel for {kind:?}"))),
        };
    }
    Ok(())
}

// ----- broadcasting helpers -----

/// Flat index into an input of `in_shape` (numpy-broadcast against `out_shape`) for flat output index `i`.
fn broadcast_index(out_shape: &[usize], in_shape: &[usize], mut i: usize) -> usize {
    let off = out_shape.len().saturating_sub(in_shape.len());
    let mut idx = 0;
    let mut stride = 1;
    for k in (0..out_shape.len()).rev() {
        let od = out_shape[k].max(1);
        let coord = i % od;
        i /= od;
        if k >= off {
            let d = in_shape[k - off];
            if d != 1 {
                idx += coord * stride;
            }
            stride *= d;
        }
    }
    idx
}

fn check_broadcastable(what: &str, small: &[usize], big: &[usize]) -> Result<()> {
    if crate::engine::kernels::broadcast_shape(small, big).as_deref() != Some(big) {
        return Err(Error::invalid_argument(format!(
            "{what}: Incompatible shapes: {} vs. {}",
            crate::engine::kernels::tf_shape(small),
            crate::engine::kernels::tf_shape(big)
        )));
    }
    Ok(())
}

/// Gradient of ClipByValue: `dy` where `lo <= t <= hi`, else 0.
pub fn clip_by_value_grad(t: &Value, lo: &Value, hi: &Value, dy: &Value, out: &mut Value) -> Result<()> {
    same_len("ClipByValueGrad", t, dy)?;
    if lo.len() != 1 || lo.shape().len() > t.shape().len() {
        check_broadcastable("ClipByValueGrad", lo.shape(), t.shape())?;
    }
    if hi.len() != 1 || hi.shape().len() > t.shape().len() {
        check_broadcastable("ClipByValueGrad", hi.shape(), t.shape())?;
    }
    dispatch_float!(dy, "ClipByValueGrad", clip_grad_t(t, lo, hi, dy, out))
}

fn clip_grad_t<T: FloatValue>(t: &Value, lo: &Value, hi: &Value, dy: &Value, out: &mut Value) -> Result<()> {
    let (ts, ls, hs, ds) = (
        slice::<T>(t, "ClipByValueGrad")?,
        slice::<T>(lo, "ClipByValueGrad")?,
        slice::<T>(hi, "ClipByValueGrad")?,
        slice::<T>(dy, "ClipByValueGrad")?,
    );
    let shape = t.shape();
    let o = out_slice::<T>(out, shape)?;
    for (i, o) in o.iter_mut().enumerate() {
        let x = ts[i];
        let l = if ls.len() == 1 { ls[0] } else { ls[broadcast_index(shape, lo.shape(), i)] };
        let h = if hs.len() == 1 { hs[0] } else { hs[broadcast_index(shape, hi.shape(), i)] };
        *o = if x < l || x > h { T::ZERO } else { ds[i] };
    }
    Ok(())
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

// ----- reductions -----

/// Broadcasts `dy` (the gradient of a reduction's output) back to the input's shape. For Mean it
/// divides by the number of reduced elements (as TF's `_MeanGrad` divides by the factor); for
/// Max/Min it routes `dy` to the elements equal to the extreme, split evenly between ties.
pub fn reduce_grad(
    kind: ReduceOp,
    axes: Option<&[i64]>,
    keep_dims: bool,
    dy: &Value,
    x: &Value,
    y: Option<&Value>,
    out: &mut Value,
) -> Result<()> {
    if axes.is_none() && dy.len() == 1 && (!keep_dims || dy.shape().len() == x.shape().len()) {
        // A full reduction (the usual loss): no shape bookkeeping needed.
        let kept = [1usize; crate::engine::kernels::MAX_RANK];
        let kept = kept.get(..x.shape().len()).unwrap_or(&[]);
        return dispatch_float!(dy, "ReduceGrad", reduce_grad_t(kind, kept, dy, x, y, out));
    }
    let expected = reduce_output_shape(x.shape(), axes, keep_dims)?;
    if dy.shape() != expected.as_slice() {
        return Err(Error::invalid_argument(format!(
            "ReduceGrad: gradient shape {} does not match the reduction's output shape {}",
            crate::engine::kernels::tf_shape(dy.shape()),
            crate::engine::kernels::tf_shape(&expected)
        )));
    }
    let kept = reduce_output_shape(x.shape(), axes, true)?;
    dispatch_float!(dy, "ReduceGrad", reduce_grad_t(kind, &kept, dy, x, y, out))
}

fn reduce_grad_t<T: FloatValue>(
    kind: ReduceOp,
    kept: &[usize],
    dy: &Value,
    x: &Value,
    y: Option<&Value>,
    out: &mut Value,
) -> Result<()> {
    let ds = slice::<T>(dy, "ReduceGrad")?;
    let shape = x.shape();
    let n_in: usize = shape.iter().product();
    let n_out: usize = kept.iter().product();
    let factor = n_in.checked_div(n_out).unwrap_or(0);
    match kind {
        ReduceOp::Sum | ReduceOp::Mean => {
            let o = out_slice::<T>(out, shape)?;
            if kind == ReduceOp::Mean {
                let f = T::from_f64(factor as f64);
                if ds.len() == 1 {
                    o.fill(ds[0] / f);
                } else {
                    for (i, o) in o.iter_mut().enumerate() {
                        *o = ds[broadcast_index(shape, kept, i)] / f;
                    }
                }
            } else if ds.len() == 1 {
                o.fill(ds[0]);
            } else {
                for (i, o) in o.iter_mut().enumerate() {
                    *o = ds[broadcast_index(shape, kept, i)];
                }
            }
            Ok(())
        }
        ReduceOp::Max | ReduceOp::Min => {
            let y = y.ok_or_else(|| Error::internal("ReduceGrad for Max/Min needs the reduction's output"))?;
            let (xs, ys) = (slice::<T>(x, "ReduceGrad")?, slice::<T>(y, "ReduceGrad")?);
            if ys.len() != n_out {
                return Err(Error::invalid_argument("ReduceGrad: the reduction's output has the wrong size"));
            }
            let mut counts = vec![T::ZERO; n_out];
            for (i, &xv) in xs.iter().enumerate() {
                let j = broadcast_index(shape, kept, i);
                if xv == ys[j] {
                    counts[j] = counts[j] + T::ONE;
                }
            }
            let o = out_slice::<T>(out, shape)?;
            for (i, o) in o.iter_mut().enumerate() {
                let j = broadcast_index(shape, kept, i);
                let ind = if xs[i] == ys[j] { T::ONE } else { T::ZERO };
                *o = ind / counts[j] * ds[j];
            }
            Ok(())
        }
        ReduceOp::Prod => Err(Error::unimplemented("No gradient defined for operation of type Prod")),
    }
}

/// `SoftmaxGrad(y, dy) = (dy - sum(dy * y, last axis)) * y`.
pub fn softmax_grad(y: &Value, dy: &Value, out: &mut Value) -> Result<()> {
    same_len("SoftmaxGrad", y, dy)?;
    dispatch_float!(dy, "SoftmaxGrad", softmax_grad_t(y, dy, out))
}

fn softmax_grad_t<T: FloatValue>(y: &Value, dy: &Value, out: &mut Value) -> Result<()> {
    let (ys, ds) = (slice::<T>(y, "SoftmaxGrad")?, slice::<T>(dy, "SoftmaxGrad")?);
    let cols = dy.shape().last().copied().unwrap_or(1).max(1);
    let o = out_slice::<T>(out, dy.shape())?;
    for ((o, y), d) in o.chunks_mut(cols).zip(ys.chunks(cols)).zip(ds.chunks(cols)) {
        let mut s = T::ZERO;
        for (&a, &b) in d.iter().zip(y) {
            s = s + a * b;
        }
        for ((o, &yv), &dv) in o.iter_mut().zip(y).zip(d) {
            *o = (dv - s) * yv;
        }
    }
    Ok(())
}

/// Gradient of `sigmoid_cross_entropy_with_logits` with respect to the logits:
/// `dy * (sigmoid(logits) - labels)`.
pub fn sigmoid_cross_entropy_grad(labels: &Value, logits: &Value, dy: &Value, out: &mut Value) -> Result<()> {
    same_len("SigmoidCrossEntropyGrad", labels, logits)?;
    same_len("SigmoidCrossEntropyGrad", logits, dy)?;
    dispatch_float!(dy, "SigmoidCrossEntropyGrad", sxent_grad_t(labels, logits, dy, out))
}

/// The float32 formula of the sigmoid cross-entropy gradient for one element (as
/// [`sigmoid_cross_entropy_grad`] computes it; the fast path calls this).
pub fn sigmoid_xent_grad_f32(z: f32, x: f32, d: f32) -> f32 {
    d * (GradFloat::sigmoid(x) - z)
}

fn sxent_grad_t<T: FloatValue>(labels: &Value, logits: &Value, dy: &Value, out: &mut Value) -> Result<()> {
    let (zs, xs, ds) = (slice::<T>(labels, "x")?, slice::<T>(logits, "x")?, slice::<T>(dy, "x")?);
    let o = out_slice::<T>(out, dy.shape())?;
    for (((o, &z), &x), &d) in o.iter_mut().zip(zs).zip(xs).zip(ds) {
        *o = d * (x.sigmoid() - z);
    }
    Ok(())
}

/// `tf.expand_dims(x, axis)`.
pub fn expand_dims(x: &Value, axis: i64, out: &mut Value) -> Result<()> {
    let r = x.shape().len() as i64;
    if axis < -r - 1 || axis > r {
        return Err(Error::invalid_argument(format!(
            "Tried to expand dim index {axis} for tensor with {r} dimensions."
        )));
    }
    let at = if axis < 0 { axis + r + 1 } else { axis } as usize;
    let mut shape = x.shape().to_vec();
    shape.insert(at, 1);
    let mut v = x.clone();
    crate::with_array!(&mut v, a => {
        let owned = std::mem::replace(a, ArrayD::from_shape_vec(IxDyn(&[0]), Vec::new()).map_err(|e| Error::internal(e.to_string()))?);
        *a = owned.into_shape_with_order(IxDyn(&shape)).map_err(|e| Error::internal(e.to_string()))?;
    });
    *out = v;
    Ok(())
}

/// `tf.ones_like` / `tf.zeros_like`.
pub fn fill_like(x: &Value, value: f64, out: &mut Value) {
    if out.dtype() != x.dtype() || out.shape() != x.shape() {
        *out = Value::filled(x.dtype(), x.shape(), value);
        return;
    }
    match out {
        Value::F32(a) => a.fill(value as f32),
        Value::F64(a) => a.fill(value),
        Value::I32(a) => a.fill(value as i32),
        Value::I64(a) => a.fill(value as i64),
        Value::Bool(a) => a.fill(value != 0.0),
    }
}

// ----- optimizers' apply ops: the variables are updated in place -----

fn scalar<T: FloatValue>(v: &Value, what: &str) -> Result<T> {
    let s = slice::<T>(v, what)?;
    match s {
        [x] => Ok(*x),
        _ => Err(Error::invalid_argument(format!(
            "{what} is not a scalar: {}",
            crate::engine::kernels::tf_shape(v.shape())
        ))),
    }
}

fn var_slices<'a, T: FloatValue, const N: usize>(
    vars: [&'a mut Value; N],
    grad: &Value,
    op: &str,
) -> Result<[&'a mut [T]; N]> {
    let mut out: [Option<&'a mut [T]>; N] = [const { None }; N];
    for (slot, v) in out.iter_mut().zip(vars) {
        if v.shape() != grad.shape() {
            return Err(Error::invalid_argument(format!(
                "{op}: var and grad do not have the same shape{} {}",
                crate::engine::kernels::tf_shape(v.shape()),
                crate::engine::kernels::tf_shape(grad.shape())
            )));
        }
        *slot = Some(
            T::get_mut(v)
                .and_then(|a| a.as_slice_mut())
                .ok_or_else(|| Error::invalid_argument(format!("{op}: variables must be float tensors")))?,
        );
    }
    // Every slot was filled above (or the function returned).
    let filled = out.map(|s| s.unwrap_or_default());
    Ok(filled)
}

/// `ApplyGradientDescent`: `var -= delta * alpha`.
pub fn apply_gradient_descent(var: &mut Value, alpha: &Value, delta: &Value) -> Result<()> {
    match delta.dtype() {
        DType::Float32 => apply_gd_t::<f32>(var, alpha, delta),
        DType::Float64 => apply_gd_t::<f64>(var, alpha, delta),
        d => Err(Error::invalid_argument(format!("ApplyGradientDescent: no kernel for dtype {d}"))),
    }
}

fn apply_gd_t<T: FloatValue>(var: &mut Value, alpha: &Value, delta: &Value) -> Result<()> {
    let a = scalar::<T>(alpha, "alpha")?;
    let g = slice::<T>(delta, "delta")?;
    let [w] = var_slices::<T, 1>([var], delta, "ApplyGradientDescent")?;
    for (v, &g) in w.iter_mut().zip(g) {
        *v = *v - g * a;
    }
    Ok(())
}

/// `ApplyMomentum`: `accum = accum * momentum + grad`, then `var -= accum * lr`
/// (Nesterov: `var -= grad * lr + accum * momentum * lr`).
pub fn apply_momentum(
    var: &mut Value,
    accum: &mut Value,
    lr: &Value,
    grad: &Value,
    momentum: &Value,
    nesterov: bool,
) -> Result<()> {
    match grad.dtype() {
        DType::Float32 => apply_momentum_t::<f32>(var, accum, lr, grad, momentum, nesterov),
        DType::Float64 => apply_momentum_t::<f64>(var, accum, lr, grad, momentum, nesterov),
        d => Err(Error::invalid_argument(format!("ApplyMomentum: no kernel for dtype {d}"))),
    }
}

fn apply_momentum_t<T: FloatValue>(
    var: &mut Value,
    accum: &mut Value,
    lr: &Value,
    grad: &Value,
    momentum: &Value,
    nesterov: bool,
) -> Result<()> {
    let (lr, mo) = (scalar::<T>(lr, "lr")?, scalar::<T>(momentum, "momentum")?);
    let g = slice::<T>(grad, "grad")?;
    let [w, acc] = var_slices::<T, 2>([var, accum], grad, "ApplyMomentum")?;
    for ((v, a), &g) in w.iter_mut().zip(acc.iter_mut()).zip(g) {
        *a = *a * mo + g;
        if nesterov {
            *v = *v - (g * lr + *a * mo * lr);
        } else {
            *v = *v - *a * lr;
        }
    }
    Ok(())
}

/// The scalar hyper-parameters of `ApplyAdam`.
pub struct AdamScalars<'a> {
    /// `beta1^t`.
    pub beta1_power: &'a Value,
    /// `beta2^t`.
    pub beta2_power: &'a Value,
    /// Learning rate.
    pub lr: &'a Value,
    /// beta1.
    pub beta1: &'a Value,
    /// beta2.
    pub beta2: &'a Value,
    /// epsilon.
    pub epsilon: &'a Value,
}

/// TF's `ApplyAdam`: `lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)`, `m += (g - m) * (1 - beta1)`,
/// `v += (g^2 - v) * (1 - beta2)`, `var -= (m * lr_t) / (sqrt(v) + epsilon)`.
pub fn apply_adam(
    var: &mut Value,
    m: &mut Value,
    v: &mut Value,
    s: &AdamScalars<'_>,
    grad: &Value,
    nesterov: bool,
) -> Result<()> {
    match grad.dtype() {
        DType::Float32 => apply_adam_t::<f32>(var, m, v, s, grad, nesterov),
        DType::Float64 => apply_adam_t::<f64>(var, m, v, s, grad, nesterov),
        d => Err(Error::invalid_argument(format!("ApplyAdam: no kernel for dtype {d}"))),
    }
}

fn apply_adam_t<T: FloatValue>(
    var: &mut Value,
    m: &mut Value,
    v: &mut Value,
    s: &AdamScalars<'_>,
    grad: &Value,
    nesterov: bool,
) -> Result<()> {
    let b1p = scalar::<T>(s.beta1_power, "beta1_power")?;
    let b2p = scalar::<T>(s.beta2_power, "beta2_power")?;
    let lr = scalar::<T>(s.lr, "lr")?;
    let b1 = scalar::<T>(s.beta1, "beta1")?;
    let b2 = scalar::<T>(s.beta2, "beta2")?;
    let eps = scalar::<T>(s.epsilon, "epsilon")?;
    let g = slice::<T>(grad, "grad")?;
    let alpha = lr * (T::ONE - b2p).sqrt() / (T::ONE - b1p);
    let (one_b1, one_b2) = (T::ONE - b1, T::ONE - b2);
    let [ws, ms, vs] = var_slices::<T, 3>([var, m, v], grad, "ApplyAdam")?;
    for (((w, m), v), &g) in ws.iter_mut().zip(ms.iter_mut()).zip(vs.iter_mut()).zip(g) {
        *m = *m + (g - *m) * one_b1;
        *v = *v + (g * g - *v) * one_b2;
        if nesterov {
            *w = *w - ((g * one_b1 + b1 * *m) * alpha) / (v.sqrt() + eps);
        } else {
            *w = *w - (*m * alpha) / (v.sqrt() + eps);
        }
    }
    Ok(())
}

/// TF's `ApplyRMSProp`: `ms += (g^2 - ms) * (1 - rho)`,
/// `mom = mom * momentum + (g * lr) / sqrt(ms + epsilon)`, `var -= mom`.
#[allow(clippy::too_many_arguments)]
pub fn apply_rms_prop(
    var: &mut Value,
    ms: &mut Value,
    mom: &mut Value,
    lr: &Value,
    rho: &Value,
    momentum: &Value,
    epsilon: &Value,
    grad: &Value,
) -> Result<()> {
    match grad.dtype() {
        DType::Float32 => apply_rms_t::<f32>(var, ms, mom, lr, rho, momentum, epsilon, grad),
        DType::Float64 => apply_rms_t::<f64>(var, ms, mom, lr, rho, momentum, epsilon, grad),
        d => Err(Error::invalid_argument(format!("ApplyRMSProp: no kernel for dtype {d}"))),
    }
}

#[allow(clippy::too_many_arguments)]
fn apply_rms_t<T: FloatValue>(
    var: &mut Value,
    ms: &mut Value,
    mom: &mut Value,
    lr: &Value,
    rho: &Value,
    momentum: &Value,
    epsilon: &Value,
    grad: &Value,
) -> Result<()> {
    let (lr, rho, mo, eps) = (
        scalar::<T>(lr, "lr")?,
        scalar::<T>(rho, "rho")?,
        scalar::<T>(momentum, "momentum")?,
        scalar::<T>(epsilon, "epsilon")?,
    );
    let g = slice::<T>(grad, "grad")?;
    let [ws, mss, moms] = var_slices::<T, 3>([var, ms, mom], grad, "ApplyRMSProp")?;
    for (((w, s), m), &g) in ws.iter_mut().zip(mss.iter_mut()).zip(moms.iter_mut()).zip(g) {
        *s = *s + (g * g - *s) * (T::ONE - rho);
        *m = *m * mo + (g * lr) / (*s + eps).sqrt();
        *w = *w - *m;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
