//! The neural-network ops and their derivatives side by side: `ClipByValue` and
//! `ClipByValueGrad`, `Softmax` and `SoftmaxGrad`, `SigmoidCrossEntropyWithLogits` and its
//! gradient, `SoftmaxCrossEntropyWithLogits` and `SparseSoftmaxCrossEntropyWithLogits` (whose
//! second outputs are their own gradients).

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::graph::elementwise::BinaryOp;
use crate::engine::kernels::broadcast::{broadcast_index, broadcast_shape, check_broadcastable, plan_broadcast};
use crate::engine::kernels::elementwise::binary;
use crate::engine::kernels::{
    Elem, Float, FloatValue, GradFloat, Num, dispatch_float, max_nan, no_kernel, out_buf, out_slice, py_shape,
    same_len, slice, slice_of, tf_shape, type_mismatch,
};
use crate::engine::value::Value;
use ndarray::{ArrayD, IxDyn};

/// `tf.clip_by_value(x, lo, hi)`: `maximum(minimum(x, hi), lo)` as TF 1.x computes it. `lo` and
/// `hi` are scalars or shaped like `x` (fast path), or anything that broadcasts to `x`'s shape
/// without changing it; otherwise "Shapes (3,) and (2, 3) are not compatible".
pub fn clip_by_value(x: &Value, lo: &Value, hi: &Value, out: &mut Value) -> Result<()> {
    if hi.dtype() != x.dtype() {
        return Err(type_mismatch("Minimum", "y", hi.dtype(), "x", x.dtype()));
    }
    if lo.dtype() != x.dtype() {
        return Err(type_mismatch("Maximum", "y", lo.dtype(), "x", x.dtype()));
    }
    let xs = x.shape();
    let simple = |v: &Value| v.shape() == xs || (v.len() == 1 && v.shape().len() <= xs.len());
    if simple(lo) && simple(hi) {
        return match (x, lo, hi) {
            (Value::F32(a), Value::F32(l), Value::F32(h)) => clip_typed(a, l, h, out),
            (Value::F64(a), Value::F64(l), Value::F64(h)) => clip_typed(a, l, h, out),
            (Value::I32(a), Value::I32(l), Value::I32(h)) => clip_typed(a, l, h, out),
            (Value::I64(a), Value::I64(l), Value::I64(h)) => clip_typed(a, l, h, out),
            _ => Err(no_kernel("Minimum", x.dtype())),
        };
    }
    for v in [hi, lo] {
        let (bs, _) = plan_broadcast(xs, v.shape())?;
        if bs.as_slice() != xs {
            return Err(Error::invalid_argument(format!(
                "Shapes {} and {} are not compatible",
                py_shape(xs),
                py_shape(bs.as_slice())
            )));
        }
    }
    let mut tmp = Value::F32(ArrayD::zeros(IxDyn(&[0])));
    binary(BinaryOp::Minimum, x, hi, &mut tmp, None)?;
    binary(BinaryOp::Maximum, &tmp, lo, out, None)
}

fn clip_typed<T: Num>(x: &ArrayD<T>, lo: &ArrayD<T>, hi: &ArrayD<T>, out: &mut Value) -> Result<()> {
    let o = out_buf::<T>(out, x.shape())?;
    if o.is_empty() {
        return Ok(());
    }
    let clip = |v: T, l: T, h: T| {
        let t = if h < v { h } else { v };
        if t < l { l } else { t }
    };
    let (xc, lc, hc) = (x.as_standard_layout(), lo.as_standard_layout(), hi.as_standard_layout());
    let (xs, ls, hs) = (slice_of(&xc)?, slice_of(&lc)?, slice_of(&hc)?);
    match (ls, hs) {
        ([l], [h]) => {
            for (o, &v) in o.iter_mut().zip(xs) {
                *o = clip(v, *l, *h);
            }
        }
        _ => {
            // Each bound has one element or exactly as many as x (checked by the caller).
            for (i, (o, &v)) in o.iter_mut().zip(xs).enumerate() {
                let l = if ls.len() == 1 { ls[0] } else { ls[i] };
                let h = if hs.len() == 1 { hs[0] } else { hs[i] };
                *o = clip(v, l, h);
            }
        }
    }
    Ok(())
}

/// Softmax along the last axis (`tf.nn.softmax`), numerically stable as TF's kernel:
/// `e = exp(x - max(x))`, then `e * (1 / sum(e))`. Rank must be at least 1.
pub fn softmax(logits: &Value, out: &mut Value) -> Result<()> {
    match logits {
        Value::F32(a) => softmax_typed(a, out),
        Value::F64(a) => softmax_typed(a, out),
        _ => Err(no_kernel("Softmax", logits.dtype())),
    }
}

fn softmax_typed<T: Float>(a: &ArrayD<T>, out: &mut Value) -> Result<()> {
    let Some(&c) = a.shape().last() else {
        return Err(Error::invalid_argument(format!("logits must have >= 1 dimension, got {}", tf_shape(a.shape()))));
    };
    let o = out_buf::<T>(out, a.shape())?;
    if o.is_empty() {
        return Ok(());
    }
    let ac = a.as_standard_layout();
    let xs = slice_of(&ac)?;
    for (orow, xrow) in o.chunks_exact_mut(c).zip(xs.chunks_exact(c)) {
        let m = xrow.iter().fold(T::LOWEST, |acc, &x| max_nan(acc, x));
        for (o, &x) in orow.iter_mut().zip(xrow) {
            *o = (x - m).exp();
        }
        let inv = T::ONE / T::sum_slice(orow);
        for o in orow.iter_mut() {
            *o = *o * inv;
        }
    }
    Ok(())
}

fn float_pair_check(op: &str, labels: &Value, logits: &Value) -> Result<()> {
    if labels.dtype() != logits.dtype() {
        return Err(type_mismatch(op, "labels", labels.dtype(), "features", logits.dtype()));
    }
    if !logits.dtype().is_float() {
        return Err(no_kernel(op, logits.dtype()));
    }
    Ok(())
}

/// `tf.nn.sigmoid_cross_entropy_with_logits` with TF's stable formula
/// `max(x, 0) - x * z + log1p(exp(-|x|))`, elementwise. Shapes must be equal, else
/// "logits and labels must have the same shape ((2, 3) vs (2, 2))".
pub fn sigmoid_cross_entropy_with_logits(labels: &Value, logits: &Value, out: &mut Value) -> Result<()> {
    if labels.dtype() != logits.dtype() {
        return Err(type_mismatch("Mul", "y", labels.dtype(), "x", logits.dtype()));
    }
    if labels.shape() != logits.shape() {
        return Err(Error::invalid_argument(format!(
            "logits and labels must have the same shape ({} vs {})",
            py_shape(logits.shape()),
            py_shape(labels.shape())
        )));
    }
    match (labels, logits) {
        (Value::F32(z), Value::F32(x)) => sigmoid_xent_typed(z, x, out),
        (Value::F64(z), Value::F64(x)) => sigmoid_xent_typed(z, x, out),
        _ => Err(no_kernel("Log1p", logits.dtype())),
    }
}

fn sigmoid_xent_typed<T: Float>(z: &ArrayD<T>, x: &ArrayD<T>, out: &mut Value) -> Result<()> {
    let o = out_buf::<T>(out, x.shape())?;
    if o.is_empty() {
        return Ok(());
    }
    let (zc, xc) = (z.as_standard_layout(), x.as_standard_layout());
    let (zs, xs) = (slice_of(&zc)?, slice_of(&xc)?);
    for ((o, &z), &x) in o.iter_mut().zip(zs).zip(xs) {
        let pos = x >= T::ZERO;
        let relu = if pos { x } else { T::ZERO };
        let neg_abs = if pos { -x } else { x };
        *o = (relu - x * z) + neg_abs.exp().ln_1p();
    }
    Ok(())
}

/// The float32 formula of `sigmoid_cross_entropy_with_logits` for one element (as the kernel
/// above computes it; the fast path calls this).
pub fn sigmoid_xent_f32(z: f32, x: f32) -> f32 {
    let pos = x >= 0.0;
    let relu = if pos { x } else { 0.0 };
    let neg_abs = if pos { -x } else { x };
    (relu - x * z) + neg_abs.exp().ln_1p()
}

/// `tf.nn.softmax_cross_entropy_with_logits` (TF's `SoftmaxCrossEntropyWithLogits` kernel) over
/// `[batch, classes]`: `loss` gets `[batch]`, `backprop` gets `softmax(logits) - labels`
/// (`[batch, classes]`). Labels and logits may broadcast to a common rank-2 shape, as in TF.
pub fn softmax_cross_entropy_with_logits(
    labels: &Value,
    logits: &Value,
    loss: &mut Value,
    backprop: &mut Value,
) -> Result<()> {
    const OP: &str = "SoftmaxCrossEntropyWithLogits";
    float_pair_check(OP, labels, logits)?;
    let (ls, xs) = (labels.shape(), logits.shape());
    let size_err = || {
        Error::invalid_argument(format!(
            "logits and labels must be broadcastable: logits_size={} labels_size={}",
            tf_shape(xs),
            tf_shape(ls)
        ))
    };
    let rank_err = || {
        Error::invalid_argument("logits and labels must be either 2-dimensional, or broadcasted to be 2-dimensional")
    };
    if ls == xs {
        if xs.len() != 2 {
            return Err(rank_err());
        }
        return match (labels, logits) {
            (Value::F32(z), Value::F32(x)) => xent_typed(z, x, loss, backprop, xent_rows_f32),
            (Value::F64(z), Value::F64(x)) => xent_typed(z, x, loss, backprop, xent_rows),
            _ => Err(no_kernel(OP, logits.dtype())),
        };
    }
    let shape = broadcast_shape(xs, ls).ok_or_else(size_err)?;
    if shape.len() != 2 {
        return Err(rank_err());
    }
    fn widen<T: Elem>(a: &ArrayD<T>, shape: &[usize]) -> Result<ArrayD<T>> {
        a.broadcast(IxDyn(shape)).map(|v| v.to_owned()).ok_or_else(|| Error::internal("broadcast failed"))
    }
    match (labels, logits) {
        (Value::F32(z), Value::F32(x)) => {
            xent_typed(&widen(z, &shape)?, &widen(x, &shape)?, loss, backprop, xent_rows_f32)
        }
        (Value::F64(z), Value::F64(x)) => xent_typed(&widen(z, &shape)?, &widen(x, &shape)?, loss, backprop, xent_rows),
        _ => Err(no_kernel(OP, logits.dtype())),
    }
}

/// A row kernel of `SoftmaxCrossEntropyWithLogits`: `(labels, logits, classes, loss, backprop)`.
type XentRows<T> = fn(&[T], &[T], usize, &mut [T], &mut [T]);

fn xent_typed<T: Float>(
    z: &ArrayD<T>,
    x: &ArrayD<T>,
    loss: &mut Value,
    backprop: &mut Value,
    rows: XentRows<T>,
) -> Result<()> {
    let (batch, classes) = (x.shape()[0], x.shape()[1]);
    let l = out_buf::<T>(loss, &[batch])?;
    let bp = out_buf::<T>(backprop, &[batch, classes])?;
    if classes == 0 {
        l.fill(T::ZERO);
        return Ok(());
    }
    let (zc, xc) = (z.as_standard_layout(), x.as_standard_layout());
    let (zs, xs) = (slice_of(&zc)?, slice_of(&xc)?);
    rows(zs, xs, classes, l, bp);
    Ok(())
}

/// The rows of `SoftmaxCrossEntropyWithLogits` on contiguous `[batch, classes]` labels `zs` and
/// logits `xs` (`classes > 0`): the loss of each row into `l`, the backprop into `bp`, by the
/// formulas of TF's `XentEigenImpl` with the element type's own `exp` and `ln` (float64; float32
/// takes [`xent_rows_f32`], TF's bits).
fn xent_rows<T: Float>(zs: &[T], xs: &[T], classes: usize, l: &mut [T], bp: &mut [T]) {
    let rows = bp.chunks_exact_mut(classes).zip(xs.chunks_exact(classes)).zip(zs.chunks_exact(classes));
    for (((br, xr), zr), lv) in rows.zip(l.iter_mut()) {
        // As TF's XentEigenImpl: shifted = x - max; s = sum(exp(shifted));
        // loss = sum(z * (log(s) - shifted)); backprop = exp(shifted) / s - z.
        let m = xr.iter().fold(T::LOWEST, |acc, &v| max_nan(acc, v));
        for (b, &v) in br.iter_mut().zip(xr) {
            *b = (v - m).exp();
        }
        let s = T::sum_slice(br);
        let log_s = s.ln();
        *lv = xr.iter().zip(zr).fold(T::ZERO, |acc, (&v, &zv)| acc + zv * (log_s - (v - m)));
        for (b, &zv) in br.iter_mut().zip(zr) {
            *b = *b / s - zv;
        }
    }
}

thread_local! {
    /// [`xent_rows_f32`]'s working memory (kept, so a training step allocates nothing).
    static XENT_SCRATCH: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The rows of `SoftmaxCrossEntropyWithLogits` on contiguous float32 `[batch, classes]` labels
/// `zs` and logits `xs` (`classes > 0`), the loss of each row into `l` and the backprop into `bp`,
/// as TF computes them, bit for bit (`eigen::softmax_xent_f32`; the fast path calls this too).
pub fn xent_rows_f32(zs: &[f32], xs: &[f32], classes: usize, l: &mut [f32], bp: &mut [f32]) {
    XENT_SCRATCH.with(|cell| {
        let (mut own, mut kept) = (Vec::new(), cell.try_borrow_mut());
        let scratch = kept.as_deref_mut().unwrap_or(&mut own);
        crate::engine::math::eigen::softmax_xent_f32(zs, xs, classes, l, bp, scratch);
    });
}

/// `tf.nn.sparse_softmax_cross_entropy_with_logits` (TF's `SparseSoftmaxCrossEntropyWithLogits`
/// kernel): `features` `[batch, classes]`, int `labels` `[batch]`; `loss` gets
/// `log(sum(exp(shifted))) - shifted[label]` per row and `backprop` gets
/// `exp(shifted) / sum(exp(shifted)) - onehot(label)`, with `shifted = features - max(features)`
/// as TF's `SparseXentEigenImpl` computes them. A label outside `[0, classes)` is TF's
/// "Received a label value of 10 which is outside the valid range of [0, 10)."
pub fn sparse_softmax_cross_entropy_with_logits(
    features: &Value,
    labels: &Value,
    loss: &mut Value,
    backprop: &mut Value,
) -> Result<()> {
    const OP: &str = "SparseSoftmaxCrossEntropyWithLogits";
    let (fs, ls) = (features.shape(), labels.shape());
    if fs.len() != 2 {
        return Err(Error::invalid_argument(format!("logits must be 2-D, but got shape {}", tf_shape(fs))));
    }
    if ls.len() != 1 {
        return Err(Error::invalid_argument(format!("labels must be 1-D, but got shape {}", tf_shape(ls))));
    }
    if fs[0] != ls[0] {
        return Err(Error::invalid_argument(format!(
            "logits and labels must have the same first dimension, got logits shape {} and labels shape {}",
            tf_shape(fs),
            tf_shape(ls)
        )));
    }
    let classes = fs[1];
    let labels: Vec<i64> = match labels {
        Value::I32(a) => a.iter().map(|&v| i64::from(v)).collect(),
        Value::I64(a) => a.iter().copied().collect(),
        other => return Err(no_kernel(OP, other.dtype())),
    };
    check_sparse_labels(&labels, classes)?;
    match features {
        Value::F32(x) => {
            let batch = fs[0];
            let xc = x.as_standard_layout();
            let xs = slice_of(&xc)?;
            let l = out_buf::<f32>(loss, &[batch])?;
            let bp = out_buf::<f32>(backprop, &[batch, classes])?;
            sparse_xent_f32(xs, &labels, classes, l, bp);
            Ok(())
        }
        Value::F64(x) => sparse_xent_typed(x, &labels, loss, backprop),
        other => Err(no_kernel(OP, other.dtype())),
    }
}

/// TF's error for a label outside `[0, classes)`.
pub fn check_sparse_labels(labels: &[i64], classes: usize) -> Result<()> {
    if let Some(bad) = labels.iter().find(|&&l| l < 0 || l as u64 >= classes as u64) {
        let shown: Vec<String> = labels.iter().map(i64::to_string).collect();
        return Err(Error::invalid_argument(format!(
            "Received a label value of {bad} which is outside the valid range of [0, {classes}).  Label values: {}",
            shown.join(" ")
        )));
    }
    Ok(())
}

/// The float32 kernel of `SparseSoftmaxCrossEntropyWithLogits` on contiguous `[batch, classes]`
/// logits `xs` and labels already checked to lie in `[0, classes)`: the loss of each row into
/// `l`, the backprop into `bp` (the fast path calls this too). TF's backprop takes `exp` of the
/// whole shifted tensor at once (Eigen's packets over the flat buffer, then the tail), then
/// `/ sum - (j == label)` per element.
pub fn sparse_xent_f32(xs: &[f32], labels: &[i64], classes: usize, l: &mut [f32], bp: &mut [f32]) {
    if classes == 0 {
        l.fill(0.0);
        return;
    }
    sparse_xent_loss_rows(xs, labels, classes, l, bp);
    sparse_xent_backprop_f32(xs, labels, classes, bp);
}

/// Recomputes `backprop` as TF's float32 kernel does (see
/// [`sparse_softmax_cross_entropy_with_logits`]); the sums are the loss pass's.
fn sparse_xent_backprop_f32(xs: &[f32], labels: &[i64], classes: usize, bp: &mut [f32]) {
    use crate::engine::math::eigen as em;
    let mut sums = Vec::with_capacity(bp.len() / classes);
    // One row's exponentials (a buffer for all rows: each row's `exp` is its own call).
    let mut e = vec![0.0f32; classes];
    for (br, xr) in bp.chunks_exact_mut(classes).zip(xs.chunks_exact(classes)) {
        let m = xr.iter().fold(f32::NEG_INFINITY, |acc, &v| max_nan(acc, v));
        for (b, &v) in br.iter_mut().zip(xr) {
            *b = v - m;
        }
        em::exp_f32(br, &mut e);
        sums.push(f32::sum_slice(&e));
    }
    let shifted = bp.to_vec();
    em::exp_f32(&shifted, bp);
    for ((br, &s), &label) in bp.chunks_exact_mut(classes).zip(&sums).zip(labels) {
        for (j, b) in br.iter_mut().enumerate() {
            let e = *b / s;
            *b = if j as i64 == label { e - 1.0 } else { e };
        }
    }
}

fn sparse_xent_typed<T: Float>(x: &ArrayD<T>, labels: &[i64], loss: &mut Value, backprop: &mut Value) -> Result<()> {
    let (batch, classes) = (x.shape()[0], x.shape()[1]);
    let l = out_buf::<T>(loss, &[batch])?;
    let bp = out_buf::<T>(backprop, &[batch, classes])?;
    if classes == 0 {
        l.fill(T::ZERO);
        return Ok(());
    }
    let xc = x.as_standard_layout();
    let xs = slice_of(&xc)?;
    sparse_xent_loss_rows(xs, labels, classes, l, bp);
    Ok(())
}

/// The loss pass of `SparseSoftmaxCrossEntropyWithLogits` (`classes > 0`, labels in range): the
/// loss of each row into `l`, and `bp` as the float64 kernel leaves it.
fn sparse_xent_loss_rows<T: Float>(xs: &[T], labels: &[i64], classes: usize, l: &mut [T], bp: &mut [T]) {
    let mut shifted = vec![T::ZERO; classes];
    for (((br, xr), lv), &label) in bp.chunks_exact_mut(classes).zip(xs.chunks_exact(classes)).zip(l).zip(labels) {
        let m = xr.iter().fold(T::LOWEST, |acc, &v| max_nan(acc, v));
        for ((s, b), &v) in shifted.iter_mut().zip(br.iter_mut()).zip(xr) {
            *s = v - m;
            *b = (v - m).exp();
        }
        let s = T::sum_slice(br);
        let label = label as usize;
        *lv = s.ln() - shifted[label];
        for (j, b) in br.iter_mut().enumerate() {
            let e = *b / s;
            *b = if j == label { e - T::ONE } else { e };
        }
    }
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
