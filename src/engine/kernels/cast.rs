//! Casts and shape-only ops: `Cast`, `Fill`, `ExpandDims`, `OnesLike`/`ZerosLike`.

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::kernels::broadcast::map;
use crate::engine::kernels::{Elem, out_buf};
use crate::engine::value::Value;
use ndarray::{ArrayD, IxDyn};

/// `tf.cast`: converts `x` to `to` into `out` (reused when it matches). Float to int truncates
/// (saturating; NaN gives 0), nonzero is true, true is 1.
pub fn cast(x: &Value, to: DType, out: &mut Value) -> Result<()> {
    fn go<T: Elem>(a: &ArrayD<T>, to: DType, out: &mut Value) -> Result<()> {
        match to {
            DType::Float32 => map(a, out, None, T::to_f32),
            DType::Float64 => map(a, out, None, T::to_f64),
            DType::Int32 => map(a, out, None, T::to_i32),
            DType::Int64 => map(a, out, None, T::to_i64),
            DType::Bool => map(a, out, None, T::to_bool),
        }
    }
    crate::with_array!(x, a => go(a, to, out))
}

/// Fills `out` with `value` (converted to `dtype`) in `shape`, reusing `out`'s buffer when it
/// matches. If the shape is too large to allocate, `out` becomes an empty `[0]` array; use
/// [`try_fill`] to get the error instead.
pub fn fill(dtype: DType, shape: &[usize], value: f64, out: &mut Value) {
    if try_fill(dtype, shape, value, out).is_err() {
        *out = Value::zeros(dtype, &[0]);
    }
}

/// [`fill`] that reports a shape too large to allocate (ResourceExhausted, TF's OOM message).
pub fn try_fill(dtype: DType, shape: &[usize], value: f64, out: &mut Value) -> Result<()> {
    fn go<T: Elem>(shape: &[usize], value: f64, out: &mut Value) -> Result<()> {
        out_buf::<T>(out, shape)?.fill(T::from_f64(value));
        Ok(())
    }
    match dtype {
        DType::Float32 => go::<f32>(shape, value, out),
        DType::Float64 => go::<f64>(shape, value, out),
        DType::Int32 => go::<i32>(shape, value, out),
        DType::Int64 => go::<i64>(shape, value, out),
        DType::Bool => go::<bool>(shape, value, out),
    }
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
