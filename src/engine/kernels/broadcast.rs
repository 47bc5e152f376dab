//! numpy broadcasting of two shapes (static planning with coalesced dimensions, and the
//! broadcast index of a gradient), and the elementwise loop drivers every elementwise kernel
//! runs on: `bin` (binary, broadcasting, split across the pool when large) and `map` (unary).

use crate::engine::error::{Error, Result};
use crate::engine::kernels::{
    Dims, Elem, MAX_RANK, PAR_MIN_ELEMS, check_rank, incompatible, out_buf, par_plan, slice_of,
};
use crate::engine::value::Value;
use ndarray::ArrayD;
use rayon::ThreadPool;
use rayon::prelude::*;

/// The numpy broadcast of two shapes, or `None` when they are incompatible.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let (pa, pb) = (r - a.len(), r - b.len());
    (0..r)
        .map(|i| {
            let da = if i < pa { 1 } else { a[i - pa] };
            let db = if i < pb { 1 } else { b[i - pb] };
            if da == db || db == 1 {
                Some(da)
            } else if da == 1 {
                Some(db)
            } else {
                None
            }
        })
        .collect()
}

/// A coalesced broadcasting plan: output dims merged where both operands behave alike, with
/// each operand's element stride per dim (0 where it is broadcast). The last dim's strides are
/// 0 or 1.
#[derive(Clone, Copy)]
pub(crate) struct Bcast {
    rank: usize,
    size: [usize; MAX_RANK],
    sa: [usize; MAX_RANK],
    sb: [usize; MAX_RANK],
}

/// Plans broadcasting `a` against `b`: the output shape and the coalesced plan.
pub(crate) fn plan_broadcast(a: &[usize], b: &[usize]) -> Result<(Dims, Bcast)> {
    check_rank(a)?;
    check_rank(b)?;
    let r = a.len().max(b.len());
    let (pa, pb) = (r - a.len(), r - b.len());
    let mut out = Dims::new();
    let mut bc = Bcast { rank: 0, size: [0; MAX_RANK], sa: [0; MAX_RANK], sb: [0; MAX_RANK] };
    let mut full_a = [false; MAX_RANK];
    let mut full_b = [false; MAX_RANK];
    for i in 0..r {
        let da = if i < pa { 1 } else { a[i - pa] };
        let db = if i < pb { 1 } else { b[i - pb] };
        let d = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(incompatible(a, b));
        };
        out.push(d);
        if d == 1 {
            continue;
        }
        let (fa, fb) = (da == d, db == d);
        if bc.rank > 0 && full_a[bc.rank - 1] == fa && full_b[bc.rank - 1] == fb {
            bc.size[bc.rank - 1] *= d;
        } else {
            bc.size[bc.rank] = d;
            full_a[bc.rank] = fa;
            full_b[bc.rank] = fb;
            bc.rank += 1;
        }
    }
    let (mut acc_a, mut acc_b) = (1usize, 1usize);
    for k in (0..bc.rank).rev() {
        if full_a[k] {
            bc.sa[k] = acc_a;
            acc_a = acc_a.saturating_mul(bc.size[k]);
        }
        if full_b[k] {
            bc.sb[k] = acc_b;
            acc_b = acc_b.saturating_mul(bc.size[k]);
        }
    }
    Ok((out, bc))
}

/// Computes output elements `start .. start + out.len()` of a broadcast binary op.
pub(crate) fn bcast_run<T: Copy, U: Copy>(
    bc: &Bcast,
    f: impl Fn(T, T) -> U + Copy,
    a: &[T],
    b: &[T],
    out: &mut [U],
    start: usize,
) {
    if out.is_empty() {
        return;
    }
    if bc.rank == 0 {
        if let (Some(&x), Some(&y)) = (a.first(), b.first()) {
            out.fill(f(x, y));
        }
        return;
    }
    let last = bc.rank - 1;
    let inner = bc.size[last];
    let (ia, ib) = (bc.sa[last] != 0, bc.sb[last] != 0);
    // Multi-index of `start` over the outer dims, and the operands' offsets of that row.
    let mut idx = [0usize; MAX_RANK];
    let mut j0 = start % inner;
    let mut rem = start / inner;
    let (mut oa, mut ob) = (0usize, 0usize);
    for k in (0..last).rev() {
        idx[k] = rem % bc.size[k];
        rem /= bc.size[k];
        oa += idx[k] * bc.sa[k];
        ob += idx[k] * bc.sb[k];
    }
    let mut pos = 0;
    loop {
        let n = (inner - j0).min(out.len() - pos);
        let o = &mut out[pos..pos + n];
        match (ia, ib) {
            (true, true) => {
                let (x, y) = (&a[oa + j0..oa + j0 + n], &b[ob + j0..ob + j0 + n]);
                for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
                    *o = f(x, y);
                }
            }
            (true, false) => {
                let y = b[ob];
                for (o, &x) in o.iter_mut().zip(&a[oa + j0..oa + j0 + n]) {
                    *o = f(x, y);
                }
            }
            (false, true) => {
                let x = a[oa];
                for (o, &y) in o.iter_mut().zip(&b[ob + j0..ob + j0 + n]) {
                    *o = f(x, y);
                }
            }
            (false, false) => o.fill(f(a[oa], b[ob])),
        }
        pos += n;
        if pos >= out.len() {
            break;
        }
        j0 = 0;
        let mut k = last;
        while k > 0 {
            k -= 1;
            idx[k] += 1;
            oa += bc.sa[k];
            ob += bc.sb[k];
            if idx[k] < bc.size[k] {
                break;
            }
            oa -= bc.sa[k] * bc.size[k];
            ob -= bc.sb[k] * bc.size[k];
            idx[k] = 0;
        }
    }
}

/// A broadcasting elementwise binary op `f` into `out`.
pub(crate) fn bin<T: Elem, U: Elem>(
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    out: &mut Value,
    pool: Option<&ThreadPool>,
    f: impl Fn(T, T) -> U + Copy + Send + Sync,
) -> Result<()> {
    // Fast paths for the shapes small training graphs use all the time: equal shapes, and a
    // scalar on either side. They skip the broadcast planner (and its bookkeeping) entirely.
    let small = a.len().max(b.len()) < PAR_MIN_ELEMS;
    if small
        && a.ndim() <= MAX_RANK
        && b.ndim() <= MAX_RANK
        && a.is_standard_layout()
        && b.is_standard_layout()
        && let (Some(xs), Some(ys)) = (a.as_slice(), b.as_slice())
    {
        if a.shape() == b.shape() {
            let o = out_buf::<U>(out, a.shape())?;
            for ((o, &x), &y) in o.iter_mut().zip(xs).zip(ys) {
                *o = f(x, y);
            }
            return Ok(());
        }
        if b.ndim() == 0 || (b.len() == 1 && b.ndim() <= a.ndim()) {
            let y = ys[0];
            let o = out_buf::<U>(out, a.shape())?;
            for (o, &x) in o.iter_mut().zip(xs) {
                *o = f(x, y);
            }
            return Ok(());
        }
        if a.ndim() == 0 || (a.len() == 1 && a.ndim() <= b.ndim()) {
            let x = xs[0];
            let o = out_buf::<U>(out, b.shape())?;
            for (o, &y) in o.iter_mut().zip(ys) {
                *o = f(x, y);
            }
            return Ok(());
        }
    }
    let (shape, bc) = plan_broadcast(a.shape(), b.shape())?;
    let o = out_buf::<U>(out, shape.as_slice())?;
    if o.is_empty() {
        return Ok(());
    }
    let (ac, bcw) = (a.as_standard_layout(), b.as_standard_layout());
    let (xs, ys) = (slice_of(&ac)?, slice_of(&bcw)?);
    match par_plan(pool, o.len()) {
        Some((p, chunk)) => {
            p.install(|| o.par_chunks_mut(chunk).enumerate().for_each(|(i, c)| bcast_run(&bc, f, xs, ys, c, i * chunk)))
        }
        None => bcast_run(&bc, f, xs, ys, o, 0),
    }
    Ok(())
}

/// An elementwise unary map `f` into `out`.
pub(crate) fn map<T: Elem, U: Elem>(
    a: &ArrayD<T>,
    out: &mut Value,
    pool: Option<&ThreadPool>,
    f: impl Fn(T) -> U + Copy + Send + Sync,
) -> Result<()> {
    let o = out_buf::<U>(out, a.shape())?;
    if o.is_empty() {
        return Ok(());
    }
    let run = move |o: &mut [U], x: &[T]| {
        for (o, &x) in o.iter_mut().zip(x) {
            *o = f(x);
        }
    };
    let ac = a.as_standard_layout();
    let xs = slice_of(&ac)?;
    match par_plan(pool, o.len()) {
        Some((p, chunk)) => {
            p.install(|| o.par_chunks_mut(chunk).zip(xs.par_chunks(chunk)).for_each(|(o, x)| run(o, x)))
        }
        None => run(o, xs),
    }
    Ok(())
}

/// Flat index into an input of `in_shape` (numpy-broadcast against `out_shape`) for flat output index `i`.
pub(crate) fn broadcast_index(out_shape: &[usize], in_shape: &[usize], mut i: usize) -> usize {
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

pub(crate) fn check_broadcastable(what: &str, small: &[usize], big: &[usize]) -> Result<()> {
    if broadcast_shape(small, big).as_deref() != Some(big) {
        return Err(Error::invalid_argument(format!(
            "{what}: Incompatible shapes: {} vs. {}",
            crate::engine::kernels::tf_shape(small),
            crate::engine::kernels::tf_shape(big)
        )));
    }
    Ok(())
}
