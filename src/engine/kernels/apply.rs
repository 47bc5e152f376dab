//! The optimizers' apply kernels (`ApplyGradientDescent`, `ApplyMomentum`, `ApplyAdam`,
//! `ApplyRMSProp`): the variables are updated in place, with TF's order of operations. Also the
//! fast path's fused update of a moving average and the GradientDescent step (with an L2 term) of
//! the variable it averages ([`average_gd_l2_f32`]).

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::kernels::{FloatValue, slice};
use crate::engine::value::Value;

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

/// The float32 constants of one `ApplyAdam` step: `alpha = lr * sqrt(1 - beta2^t) / (1 -
/// beta1^t)`, `1 - beta1`, `1 - beta2`, `beta1`, `epsilon`, and whether it is Nesterov's form.
#[derive(Clone, Copy, Debug)]
pub struct AdamF32 {
    /// `lr * sqrt(1 - beta2^t) / (1 - beta1^t)`.
    pub alpha: f32,
    /// `1 - beta1`.
    pub one_b1: f32,
    /// `1 - beta2`.
    pub one_b2: f32,
    /// `beta1`.
    pub b1: f32,
    /// `epsilon`.
    pub eps: f32,
    /// `use_nesterov`.
    pub nesterov: bool,
}

impl AdamF32 {
    /// The constants from TF's scalar inputs.
    pub fn new(beta1_power: f32, beta2_power: f32, lr: f32, b1: f32, b2: f32, eps: f32, nesterov: bool) -> AdamF32 {
        let alpha = lr * (1.0f32 - beta2_power).sqrt() / (1.0 - beta1_power);
        AdamF32 { alpha, one_b1: 1.0 - b1, one_b2: 1.0 - b2, b1, eps, nesterov }
    }
}

/// One float32 `ApplyAdam` update of `w` and its slots `m` and `v` by the gradient `g` (all of one
/// length), element by element with TF's formula and rounding (as [`apply_adam`]): with the
/// widest vectors the CPU has (each lane rounds each operation as the scalar code does, so the
/// bits do not depend on the width).
pub fn adam_f32(w: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32], c: AdamF32) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F.
            return unsafe { adam_avx512(w, m, v, g, c) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            return unsafe { adam_avx2(w, m, v, g, c) };
        }
    }
    adam_body(w, m, v, g, c);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn adam_avx512(w: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32], c: AdamF32) {
    adam_body(w, m, v, g, c);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn adam_avx2(w: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32], c: AdamF32) {
    adam_body(w, m, v, g, c);
}

#[inline(always)]
fn adam_body(w: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32], c: AdamF32) {
    let AdamF32 { alpha, one_b1, one_b2, b1, eps, nesterov } = c;
    let n = w.len().min(m.len()).min(v.len()).min(g.len());
    let (w, m, v, g) = (&mut w[..n], &mut m[..n], &mut v[..n], &g[..n]);
    if nesterov {
        for (((w, m), v), &g) in w.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
            *m = *m + (g - *m) * one_b1;
            *v = *v + (g * g - *v) * one_b2;
            *w -= ((g * one_b1 + b1 * *m) * alpha) / (v.sqrt() + eps);
        }
    } else {
        for (((w, m), v), &g) in w.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
            *m = *m + (g - *m) * one_b1;
            *v = *v + (g * g - *v) * one_b2;
            *w -= (*m * alpha) / (v.sqrt() + eps);
        }
    }
}

/// The scalars of [`average_gd_l2_f32`]: the moving average's `1 - decay` (`keep`), the L2
/// term's factor `c` (the weight's gradient is `w * c + g`) and the learning rate `alpha`.
#[derive(Clone, Copy, Debug)]
pub struct AverageGdL2 {
    /// The moving average's factor: `a -= (a - w) * keep`.
    pub keep: f32,
    /// The L2 term's factor.
    pub c: f32,
    /// The learning rate.
    pub alpha: f32,
    /// True when the gradient sums as `w * c + g` (the L2 term first), false for `g + w * c`.
    pub l2_first: bool,
}

/// A moving average's update of `avg` from `w` (`AssignSub(a, (a - w) * keep)`), then the
/// GradientDescent step of `w` by `w * c + g` (`ApplyGradientDescent(w, alpha, ...)`), in one pass
/// over both variables: per element `a = a - (a - w) * keep`, then `w = w - (w * c + g) * alpha`
/// with the weight before its step, each operation rounded as in the two unfused updates (so the
/// bits are theirs), with the widest vectors the CPU has.
pub fn average_gd_l2_f32(avg: &mut [f32], w: &mut [f32], g: &[f32], s: AverageGdL2) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F.
            return unsafe { average_gd_l2_avx512(avg, w, g, s) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            return unsafe { average_gd_l2_avx2(avg, w, g, s) };
        }
    }
    average_gd_l2_body(avg, w, g, s);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn average_gd_l2_avx512(avg: &mut [f32], w: &mut [f32], g: &[f32], s: AverageGdL2) {
    average_gd_l2_body(avg, w, g, s);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn average_gd_l2_avx2(avg: &mut [f32], w: &mut [f32], g: &[f32], s: AverageGdL2) {
    average_gd_l2_body(avg, w, g, s);
}

#[inline(always)]
fn average_gd_l2_body(avg: &mut [f32], w: &mut [f32], g: &[f32], s: AverageGdL2) {
    let AverageGdL2 { keep, c, alpha, l2_first } = s;
    let n = avg.len().min(w.len()).min(g.len());
    let (avg, w, g) = (&mut avg[..n], &mut w[..n], &g[..n]);
    // Two loops (the branch out of the loop, so both vectorise); the sums keep the unfused op's
    // operand order, which only shows in which NaN's payload wins.
    #[allow(clippy::if_same_then_else)]
    if l2_first {
        for ((a, w), &g) in avg.iter_mut().zip(w.iter_mut()).zip(g) {
            let v = *w;
            *a -= (*a - v) * keep;
            *w = v - (v * c + g) * alpha;
        }
    } else {
        for ((a, w), &g) in avg.iter_mut().zip(w.iter_mut()).zip(g) {
            let v = *w;
            *a -= (*a - v) * keep;
            *w = v - (g + v * c) * alpha;
        }
    }
}
