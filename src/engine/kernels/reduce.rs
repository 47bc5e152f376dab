//! Reductions over axes (`Sum`, `Mean`, `Max`, `Min`, `Prod`) and their derivatives: `ReduceGrad`
//! (broadcasts `dy` back over the reduced axes) and `SumToShape` (sums a broadcast gradient down
//! to an operand's shape); `L2Loss` (its gradient is a `Mul`) and `ArgMax` (no gradient).

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::graph::elementwise::ReduceOp;
use crate::engine::kernels::broadcast::broadcast_index;
use crate::engine::kernels::{
    Dims, FloatValue, MAX_RANK, Num, check_rank, dispatch_float, incompatible, int_div_by_zero, max_nan, min_nan,
    no_kernel, out_buf, out_slice, slice, slice_of,
};
use crate::engine::value::Value;
use ndarray::ArrayD;

/// The reduced-axes bitmask (bit i = axis i) for `axes` (None = all) over a rank-`rank` input.
fn axes_mask(axes: Option<&[i64]>, rank: usize) -> Result<u64> {
    let Some(axes) = axes else {
        return Ok(if rank >= 64 { u64::MAX } else { (1u64 << rank) - 1 });
    };
    let r = rank as i64;
    let mut mask = 0u64;
    for &ax in axes {
        if ax < -r || ax >= r {
            return Err(Error::invalid_argument(format!(
                "Invalid reduction dimension ({ax} for input with {rank} dimension(s)"
            )));
        }
        let i = if ax < 0 { ax + r } else { ax };
        mask |= 1u64 << i;
    }
    Ok(mask)
}

/// The shape left after reducing `mask`'s axes of `shape`.
fn masked_shape(shape: &[usize], mask: u64, keep_dims: bool) -> Dims {
    let mut d = Dims::new();
    for (i, &s) in shape.iter().enumerate() {
        if mask >> i & 1 == 1 {
            if keep_dims {
                d.push(1);
            }
        } else {
            d.push(s);
        }
    }
    d
}

/// The output shape of a reduction of `in_shape` over `axes` (None = all; negative axes count
/// from the end), as `tf.reduce_*` gives it.
pub fn reduce_output_shape(in_shape: &[usize], axes: Option<&[i64]>, keep_dims: bool) -> Result<Vec<usize>> {
    check_rank(in_shape)?;
    let mask = axes_mask(axes, in_shape.len())?;
    Ok(masked_shape(in_shape, mask, keep_dims).as_slice().to_vec())
}

/// Reduces `x` over `axes` (None = all; negative axes allowed; duplicates ignored), writing into
/// `out` (reused when it matches).
///
/// Out-of-range axes give TF's "Invalid reduction dimension (5 for input with 2 dimension(s)".
/// Float32 sums go through [`sum_f32`](crate::engine::kernels::sum_f32); a mean is the sum
/// divided by the count in the element type (truncating for ints; an empty integer mean is
/// "Integer division by zero").
pub fn reduce(op: ReduceOp, x: &Value, axes: Option<&[i64]>, keep_dims: bool, out: &mut Value) -> Result<()> {
    let shape = x.shape();
    check_rank(shape)?;
    let mask = axes_mask(axes, shape.len())?;
    let out_shape = masked_shape(shape, mask, keep_dims);
    let os = out_shape.as_slice();
    match x {
        Value::F32(a) => reduce_masked(op, a, mask, os, out),
        Value::F64(a) => reduce_masked(op, a, mask, os, out),
        Value::I32(a) => reduce_masked(op, a, mask, os, out),
        Value::I64(a) => reduce_masked(op, a, mask, os, out),
        Value::Bool(_) => Err(no_kernel(op.tf_name(), DType::Bool)),
    }
}

/// Reduces the axes in `mask` of `a` into `out`, whose shape is `out_shape` (any shape with as
/// many elements as the kept axes, in their order).
fn reduce_masked<T: Num>(op: ReduceOp, a: &ArrayD<T>, mask: u64, out_shape: &[usize], out: &mut Value) -> Result<()> {
    let shape = a.shape();
    let o = out_buf::<T>(out, out_shape)?;
    let init = match op {
        ReduceOp::Sum | ReduceOp::Mean => T::ZERO,
        ReduceOp::Prod => T::ONE,
        ReduceOp::Max => T::LOWEST,
        ReduceOp::Min => T::HIGHEST,
    };
    o.fill(init);
    let ac = a.as_standard_layout();
    let data = slice_of(&ac)?;
    if !data.is_empty() && !o.is_empty() {
        // Coalesce: drop size-1 dims, merge neighbours that are both reduced or both kept.
        let mut size = [0usize; MAX_RANK];
        let mut red = [false; MAX_RANK];
        let mut rank = 0;
        for (i, &d) in shape.iter().enumerate() {
            if d == 1 {
                continue;
            }
            let r = mask >> i & 1 == 1;
            if rank > 0 && red[rank - 1] == r {
                size[rank - 1] *= d;
            } else {
                size[rank] = d;
                red[rank] = r;
                rank += 1;
            }
        }
        let (size, red) = (&size[..rank], &red[..rank]);
        match op {
            ReduceOp::Sum | ReduceOp::Mean => reduce_kernel(data, size, red, o, T::wadd, T::sum_slice),
            ReduceOp::Prod => {
                reduce_kernel(data, size, red, o, T::wmul, |s: &[T]| s.iter().fold(T::ONE, |a, &x| a.wmul(x)))
            }
            ReduceOp::Max => {
                reduce_kernel(data, size, red, o, max_nan, |s: &[T]| s.iter().fold(T::LOWEST, |a, &x| max_nan(a, x)))
            }
            ReduceOp::Min => {
                reduce_kernel(data, size, red, o, min_nan, |s: &[T]| s.iter().fold(T::HIGHEST, |a, &x| min_nan(a, x)))
            }
        }
    }
    if op == ReduceOp::Mean && !o.is_empty() {
        let count = data.len() / o.len();
        for v in o.iter_mut() {
            *v = v.mean_div(count).ok_or_else(int_div_by_zero)?;
        }
    }
    Ok(())
}

/// The reduction loop over coalesced dims `size` (with `red` marking reduced ones): each
/// innermost run is either reduced with `slice_op` and combined into one output, or combined
/// elementwise into a run of outputs.
fn reduce_kernel<T: Num>(
    data: &[T],
    size: &[usize],
    red: &[bool],
    o: &mut [T],
    combine: impl Fn(T, T) -> T,
    slice_op: impl Fn(&[T]) -> T,
) {
    let rank = size.len();
    if rank == 0 {
        // Every dim has size 1: one element in, one out.
        if let (Some(v), Some(&x)) = (o.first_mut(), data.first()) {
            *v = combine(*v, x);
        }
        return;
    }
    let last = rank - 1;
    let mut ostride = [0usize; MAX_RANK];
    let mut acc = 1usize;
    for k in (0..rank).rev() {
        if !red[k] {
            ostride[k] = acc;
            acc *= size[k];
        }
    }
    let inner = size[last];
    let mut idx = [0usize; MAX_RANK];
    let mut off = 0usize;
    for block in data.chunks_exact(inner) {
        if red[last] {
            let p = slice_op(block);
            o[off] = combine(o[off], p);
        } else {
            for (v, &x) in o[off..off + inner].iter_mut().zip(block) {
                *v = combine(*v, x);
            }
        }
        let mut k = last;
        while k > 0 {
            k -= 1;
            idx[k] += 1;
            off += ostride[k];
            if idx[k] < size[k] {
                break;
            }
            off -= ostride[k] * size[k];
            idx[k] = 0;
        }
    }
}

/// Sums `grad` (shape = broadcast result) down to `target` shape, the inverse of broadcasting —
/// used by gradients of broadcasting ops. `target` must broadcast to `grad`'s shape, else
/// `"Incompatible shapes: [2,3] vs. [4]"`.
pub fn sum_to_shape(grad: &Value, target: &[usize], out: &mut Value) -> Result<()> {
    let g = grad.shape();
    check_rank(g)?;
    if target.len() > g.len() {
        return Err(incompatible(g, target));
    }
    let p = g.len() - target.len();
    let mut mask = 0u64;
    for (i, &gd) in g.iter().enumerate() {
        if i < p {
            mask |= 1 << i;
        } else {
            let t = target[i - p];
            if t != gd {
                if t == 1 {
                    mask |= 1 << i;
                } else {
                    return Err(incompatible(g, target));
                }
            }
        }
    }
    if let Value::F32(a) = grad
        && g.len() == 2
        && mask == 1
        && let Some(xs) = a.as_slice()
    {
        // A bias gradient: TF sums the rows with Eigen's inner-most-dimension-preserving order.
        let o = out_buf::<f32>(out, target)?;
        if !o.is_empty() && o.len() == g[1] {
            crate::engine::math::eigen::sum_rows_f32(xs, g[0], g[1], o);
            return Ok(());
        }
    }
    match grad {
        Value::F32(a) => reduce_masked(ReduceOp::Sum, a, mask, target, out),
        Value::F64(a) => reduce_masked(ReduceOp::Sum, a, mask, target, out),
        Value::I32(a) => reduce_masked(ReduceOp::Sum, a, mask, target, out),
        Value::I64(a) => reduce_masked(ReduceOp::Sum, a, mask, target, out),
        Value::Bool(_) => Err(no_kernel("Sum", DType::Bool)),
    }
}

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

/// `L2Loss(t) = sum(t ** 2) / 2` (`tf.nn.l2_loss`) as TF's kernel computes it: each element's
/// `(t * t) * 0.5`, then one full sum in Eigen's order ([`sum_f32`](crate::engine::kernels::sum_f32)).
/// Floats only. Its gradient is `t * dy` (see `autodiff::gradients`).
pub fn l2_loss(x: &Value, out: &mut Value) -> Result<()> {
    fn go<T: crate::engine::kernels::Float>(a: &ArrayD<T>, out: &mut Value) -> Result<()> {
        let half = T::from_f64(0.5);
        let halves: Vec<T> = a.iter().map(|&v| v * v * half).collect();
        let o = out_buf::<T>(out, &[])?;
        o[0] = T::sum_slice(&halves);
        Ok(())
    }
    match x {
        Value::F32(a) => go(a, out),
        Value::F64(a) => go(a, out),
        _ => Err(no_kernel("L2Loss", x.dtype())),
    }
}

/// The index of the first largest element, as TF's `ArgMax` picks it: NaNs are passed over, and
/// 0 when every element is NaN (or there is none). The one rule for `arg_max`, the fast path's
/// `ArgMax` and the training worker's predicted classes.
pub fn first_largest<T: PartialOrd + Copy>(xs: impl IntoIterator<Item = T>) -> usize {
    let mut best: Option<(usize, T)> = None;
    for (k, v) in xs.into_iter().enumerate() {
        // `partial_cmp` with itself is `None` only for NaN.
        if v.partial_cmp(&v).is_some() && best.is_none_or(|(_, b)| v > b) {
            best = Some((k, v));
        }
    }
    best.map_or(0, |(k, _)| k)
}

/// `ArgMax(input, axis)` (`tf.argmax`): the index of the largest element along `axis` (the first
/// one on ties; NaNs are passed over), as `output_type` (int64 or int32).
pub fn arg_max(x: &Value, axis: i64, output_type: DType, out: &mut Value) -> Result<()> {
    let shape = x.shape().to_vec();
    let r = shape.len() as i64;
    if axis < -r || axis >= r {
        return Err(Error::invalid_argument(format!("Expected dimension in the range [{}, {r}), but got {axis}", -r)));
    }
    let ax = if axis < 0 { axis + r } else { axis } as usize;
    let (outer, n, inner) =
        (shape[..ax].iter().product::<usize>(), shape[ax], shape[ax + 1..].iter().product::<usize>());
    if n == 0 {
        return Err(Error::invalid_argument(format!(
            "Reduction axis {axis} is empty in shape {}",
            crate::engine::kernels::tf_shape(&shape)
        )));
    }
    let mut out_shape = shape.clone();
    out_shape.remove(ax);
    fn indices<T: crate::engine::kernels::Num>(
        a: &ArrayD<T>,
        (outer, n, inner): (usize, usize, usize),
    ) -> Result<Vec<i64>> {
        let ac = a.as_standard_layout();
        let xs = slice_of(&ac)?;
        let mut idx = vec![0i64; outer * inner];
        for o in 0..outer {
            for i in 0..inner {
                idx[o * inner + i] = first_largest((0..n).map(|k| xs[(o * n + k) * inner + i])) as i64;
            }
        }
        Ok(idx)
    }
    let dims = (outer, n, inner);
    let idx = match x {
        Value::F32(a) => indices(a, dims)?,
        Value::F64(a) => indices(a, dims)?,
        Value::I32(a) => indices(a, dims)?,
        Value::I64(a) => indices(a, dims)?,
        Value::Bool(_) => return Err(no_kernel("ArgMax", DType::Bool)),
    };
    match output_type {
        DType::Int64 => out_buf::<i64>(out, &out_shape)?.copy_from_slice(&idx),
        DType::Int32 => {
            for (o, &v) in out_buf::<i32>(out, &out_shape)?.iter_mut().zip(&idx) {
                *o = v as i32;
            }
        }
        d => return Err(no_kernel("ArgMax", d)),
    }
    Ok(())
}
