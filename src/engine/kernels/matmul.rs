//! `MatMul`: TF's summation orders for small float32 products (`math::matmul_simd`), the packed
//! AVX-512/AVX2 GEMM for big float32 products (`math::sgemm`, tiles split across the pool),
//! matrixmultiply's for big float64 ones, a wrapping loop for ints.

use crate::engine::error::{Error, Result};
use crate::engine::kernels::{Float, Int, no_kernel, out_buf, slice_of, tf_shape, type_mismatch};
use crate::engine::value::Value;
use ndarray::ArrayD;
use rayon::ThreadPool;
use rayon::prelude::*;

// Matmuls with at least this many multiply-adds are split across the pool (sgemm's own rule).
use crate::engine::math::sgemm::PAR_MIN_MULADDS;
/// Small float32 matmuls (`k` at most 256 and at most this many multiply-adds) use TF's oneDNN
/// summation orders (`eigen::matmul_f32`), so training gives TF's numbers; bigger ones use
/// the fast blocked sgemm.
pub const TF_ORDER_MATMUL_MULADDS: usize = 1 << 18;

/// True when an `m x k x n` float32 matmul uses TF's summation order.
pub fn uses_eigen_matmul(m: usize, k: usize, n: usize) -> bool {
    k > 0 && k <= 256 && m.saturating_mul(k).saturating_mul(n) <= TF_ORDER_MATMUL_MULADDS
        || tf_order_verified_large(m, k, n)
}

/// Bigger products whose TF order was measured on TF 2.21 (the in-order FMA chains, `k` split
/// into oneDNN's blocks: `eigen::gemm_k_blocks`), for the MNIST program on the digits: up to
/// 300 x 64 x 500 and 300 x 500 x 10 and their gradients (`k` = 10 ... 100 with 500 outputs).
fn tf_order_verified_large(m: usize, k: usize, n: usize) -> bool {
    k > 0 && k <= 1000 && m <= 1000 && n <= 1000 && m.saturating_mul(k).saturating_mul(n) <= 1 << 24
}

/// True when an `m x k x n` float32 matmul is big enough to be split across a pool (it uses the
/// blocked GEMM and has at least `sgemm::PAR_MIN_MULADDS` multiply-adds).
pub fn splits_across_pool(m: usize, k: usize, n: usize) -> bool {
    !uses_eigen_matmul(m, k, n) && m.saturating_mul(k).saturating_mul(n) >= PAR_MIN_MULADDS
}

/// At or below this many multiply-adds a matmul runs the plain in-order loop.
pub const SMALL_MATMUL_MULADDS: usize = 1 << 12;

/// The strided operands of one GEMM call: `C[m,n] = op(A)[m,k] * op(B)[k,n]`.
#[derive(Clone, Copy)]
struct GemmArgs {
    m: usize,
    k: usize,
    n: usize,
    rsa: isize,
    csa: isize,
    rsb: isize,
    csb: isize,
}

/// Float element types with a BLAS-like GEMM.
trait Gemm: Float {
    /// A big product (more than [`SMALL_MATMUL_MULADDS`] multiply-adds) into the contiguous `o`,
    /// split across `pool` when big enough.
    ///
    /// # Safety
    /// `xs` and `ys` must hold every element the strides in `g` address for an `m x k` and a
    /// `k x n` matrix, and `o` must have exactly `m * n` elements.
    unsafe fn big(g: &GemmArgs, xs: &[Self], ys: &[Self], o: &mut [Self], pool: Option<&ThreadPool>) -> Result<()> {
        // SAFETY: forwarded from the caller's contract.
        unsafe { gemm_split(g, xs, ys, o, pool) };
        Ok(())
    }

    /// `C = op(A) op(B)` into a C with row stride `rsc` (column stride 1).
    ///
    /// # Safety
    /// `a`, `b` must be valid for every element the strides in `g` address for an `m x k` and a
    /// `k x n` matrix; `c` must be valid for writes of every `c + i * rsc + j` (`i < m`, `j < n`)
    /// and not alias `a` or `b`.
    unsafe fn gemm_into(g: &GemmArgs, a: *const Self, b: *const Self, c: *mut Self, rsc: isize);
}

impl Gemm for f32 {
    unsafe fn big(g: &GemmArgs, xs: &[f32], ys: &[f32], o: &mut [f32], pool: Option<&ThreadPool>) -> Result<()> {
        sgemm_args(g, xs, ys, o, pool)
    }
    unsafe fn gemm_into(g: &GemmArgs, a: *const f32, b: *const f32, c: *mut f32, rsc: isize) {
        // SAFETY: forwarded from the caller's contract; beta = 0 so `c` is only written.
        unsafe { matrixmultiply::sgemm(g.m, g.k, g.n, 1.0, a, g.rsa, g.csa, b, g.rsb, g.csb, 0.0, c, rsc, 1) }
    }
}

/// A big float32 product through `math::sgemm` (which checks the operands' extents itself).
fn sgemm_args(g: &GemmArgs, xs: &[f32], ys: &[f32], o: &mut [f32], pool: Option<&ThreadPool>) -> Result<()> {
    use crate::engine::math::sgemm::{Isa, Strided, sgemm};
    let a = Strided { data: xs, rs: g.rsa as usize, cs: g.csa as usize };
    let b = Strided { data: ys, rs: g.rsb as usize, cs: g.csb as usize };
    sgemm(Isa::detect(), (g.m, g.k, g.n), a, b, o, (g.n, 1), pool)
}

impl Gemm for f64 {
    unsafe fn gemm_into(g: &GemmArgs, a: *const f64, b: *const f64, c: *mut f64, rsc: isize) {
        // SAFETY: forwarded from the caller's contract; beta = 0 so `c` is only written.
        unsafe { matrixmultiply::dgemm(g.m, g.k, g.n, 1.0, a, g.rsa, g.csa, b, g.rsb, g.csb, 0.0, c, rsc, 1) }
    }
}

/// Matrix product of two rank-2 tensors (`tf.matmul`), optionally transposing either, into
/// `out` (shape `[m, n]`, reused when it matches).
///
/// float32/float64 use a blocked SIMD GEMM (rows split across `pool` for big products);
/// int32/int64 a straightforward wrapping loop. Errors as TF's `MatMul` kernel:
/// `"In[0] is not a matrix. Instead it has shape [2]"`,
/// `"Matrix size-incompatible: In[0]: [2,3], In[1]: [2,3]"`.
pub fn matmul(
    a: &Value,
    b: &Value,
    transpose_a: bool,
    transpose_b: bool,
    out: &mut Value,
    pool: Option<&rayon::ThreadPool>,
) -> Result<()> {
    if a.dtype() != b.dtype() {
        return Err(type_mismatch("MatMul", "b", b.dtype(), "a", a.dtype()));
    }
    for (i, v) in [a, b].into_iter().enumerate() {
        if v.shape().len() != 2 {
            return Err(Error::invalid_argument(format!(
                "In[{i}] is not a matrix. Instead it has shape {}",
                tf_shape(v.shape())
            )));
        }
    }
    let (sa, sb) = (a.shape(), b.shape());
    let (m, k) = if transpose_a { (sa[1], sa[0]) } else { (sa[0], sa[1]) };
    let (k2, n) = if transpose_b { (sb[1], sb[0]) } else { (sb[0], sb[1]) };
    if k != k2 {
        return Err(Error::invalid_argument(format!(
            "Matrix size-incompatible: In[0]: {}, In[1]: {}",
            tf_shape(sa),
            tf_shape(sb)
        )));
    }
    let strides = |cols: usize, t: bool| {
        if t { (1, cols as isize) } else { (cols as isize, 1) }
    };
    let (rsa, csa) = strides(sa[1], transpose_a);
    let (rsb, csb) = strides(sb[1], transpose_b);
    let g = GemmArgs { m, k, n, rsa, csa, rsb, csb };
    match (a, b) {
        (Value::F32(x), Value::F32(y)) if uses_eigen_matmul(m, k, n) => {
            let (xc, yc) = (x.as_standard_layout(), y.as_standard_layout());
            let (xs, ys) = (slice_of(&xc)?, slice_of(&yc)?);
            let o = out_buf::<f32>(out, &[m, n])?;
            crate::engine::math::matmul_simd::matmul_f32_fast(xs, ys, m, k, n, transpose_a, transpose_b, o);
            Ok(())
        }
        (Value::F32(x), Value::F32(y)) => matmul_float(x, y, &g, out, pool),
        (Value::F64(x), Value::F64(y)) => matmul_float(x, y, &g, out, pool),
        (Value::I32(x), Value::I32(y)) => matmul_int(x, y, &g, out),
        (Value::I64(x), Value::I64(y)) => matmul_int(x, y, &g, out),
        _ => Err(no_kernel("MatMul", a.dtype())),
    }
}

fn matmul_float<T: Gemm>(
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    g: &GemmArgs,
    out: &mut Value,
    pool: Option<&ThreadPool>,
) -> Result<()> {
    let o = out_buf::<T>(out, &[g.m, g.n])?;
    if o.is_empty() {
        return Ok(());
    }
    if g.k == 0 {
        o.fill(T::ZERO);
        return Ok(());
    }
    let (ac, bc) = (a.as_standard_layout(), b.as_standard_layout());
    let (xs, ys) = (slice_of(&ac)?, slice_of(&bc)?);
    if g.m.saturating_mul(g.n).saturating_mul(g.k) <= SMALL_MATMUL_MULADDS {
        // The last element each operand's strides reach must be inside it (checked once here, so
        // the indexing in `small_matmul` cannot go out of bounds).
        let a_last = (g.m - 1) * g.rsa as usize + (g.k - 1) * g.csa as usize;
        let b_last = (g.k - 1) * g.rsb as usize + (g.n - 1) * g.csb as usize;
        if a_last >= xs.len() || b_last >= ys.len() {
            return Err(Error::internal("matmul operand smaller than its shape"));
        }
        small_matmul(g, xs, ys, o);
        return Ok(());
    }
    // SAFETY: `xs` and `ys` hold the whole of A and B under the strides in `g` (they are the
    // standard-layout operands the strides were computed from), `o` is the m x n output.
    unsafe { T::big(g, xs, ys, o, pool) }
}

/// Raw operand pointers shared by pool tasks, which read A and B and write disjoint blocks of C.
#[derive(Clone, Copy)]
struct Shared<T> {
    a: *const T,
    b: *const T,
    c: *mut T,
}
// SAFETY: the tasks that share it only read `a` and `b` and write disjoint elements of `c` (see
// `gemm_split`), all of which outlive the tasks.
unsafe impl<T> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Shared<T> {}

/// Runs a big GEMM, split across `pool` (when it has more than one thread and the product is big
/// enough) into as many blocks of C as threads: blocks of rows when `m >= n` (each task then packs
/// all of B, the smaller operand to repeat), else blocks of columns (each packs all of A). Each
/// element of C is summed in the same order however C is split.
///
/// # Safety
/// `xs` and `ys` must hold every element the strides in `g` address for an `m x k` and a `k x n`
/// matrix, and `o` must have exactly `m * n` elements.
unsafe fn gemm_split<T: Gemm>(g: &GemmArgs, xs: &[T], ys: &[T], o: &mut [T], pool: Option<&ThreadPool>) {
    let threads = pool.map_or(1, |p| p.current_num_threads());
    let work = g.m.saturating_mul(g.n).saturating_mul(g.k);
    let ptrs = Shared { a: xs.as_ptr(), b: ys.as_ptr(), c: o.as_mut_ptr() };
    // C[r0.., c0..] (rows x cols of it) = op(A)[r0..] op(B)[.., c0..].
    let block = move |r0: usize, rows: usize, c0: usize, cols: usize| {
        let sub = GemmArgs { m: rows, n: cols, ..*g };
        let p = ptrs;
        // SAFETY: rows r0.. of op(A) start at element r0 * rsa and columns c0.. of op(B) at
        // c0 * csb (strides >= 0), inside the operands; the block of C starting at r0 * n + c0
        // with row stride n is inside `o` and no other task writes it.
        unsafe {
            T::gemm_into(
                &sub,
                p.a.add(r0 * g.rsa as usize),
                p.b.add(c0 * g.csb as usize),
                p.c.add(r0 * g.n + c0),
                g.n as isize,
            )
        }
    };
    match pool {
        Some(p) if threads > 1 && work >= PAR_MIN_MULADDS && g.m.max(g.n) > 1 => {
            let by_rows = g.m >= g.n;
            let len = if by_rows { g.m } else { g.n };
            let per = len.div_ceil(threads);
            let tasks = len.div_ceil(per);
            p.install(|| {
                (0..tasks).into_par_iter().for_each(|t| {
                    let (s, e) = (t * per, ((t + 1) * per).min(len));
                    if by_rows { block(s, e - s, 0, g.n) } else { block(0, g.m, s, e - s) }
                })
            });
        }
        _ => block(0, g.m, 0, g.n),
    }
}

/// A float32 matmul of contiguous operands (`a` is `[m, k]`, or `[k, m]` when `transpose_a`; `b`
/// is `[k, n]`, or `[n, k]` when `transpose_b`) into `out` (`[m, n]`), as the general path
/// computes it: TF's summation order when [`uses_eigen_matmul`], else the blocked GEMM split
/// across `pool`. The fast path calls this so that both paths give the same bits.
#[allow(clippy::too_many_arguments)]
pub fn matmul_f32_slices(
    a: &[f32],
    b: &[f32],
    (m, k, n): (usize, usize, usize),
    transpose_a: bool,
    transpose_b: bool,
    out: &mut [f32],
    pool: Option<&ThreadPool>,
) -> Result<()> {
    if a.len() != m * k || b.len() != k * n || out.len() != m * n {
        return Err(Error::internal("matmul operand of the wrong size"));
    }
    if uses_eigen_matmul(m, k, n) {
        crate::engine::math::matmul_simd::matmul_f32_fast(a, b, m, k, n, transpose_a, transpose_b, out);
        return Ok(());
    }
    if out.is_empty() {
        return Ok(());
    }
    if k == 0 {
        out.fill(0.0);
        return Ok(());
    }
    let (rsa, csa) = if transpose_a { (1, m as isize) } else { (k as isize, 1) };
    let (rsb, csb) = if transpose_b { (1, k as isize) } else { (n as isize, 1) };
    let g = GemmArgs { m, k, n, rsa, csa, rsb, csb };
    if m.saturating_mul(n).saturating_mul(k) <= SMALL_MATMUL_MULADDS {
        small_matmul(&g, a, b, out);
        return Ok(());
    }
    sgemm_args(&g, a, b, out, pool)
}

/// True when [`matmul_f32_slices`] computes an `m x k x n` product with the blocked GEMM
/// (`math::sgemm`), which can fuse an epilogue ([`matmul_f32_fused`]).
pub fn uses_sgemm(m: usize, k: usize, n: usize) -> bool {
    !uses_eigen_matmul(m, k, n) && k > 0 && m * n > 0 && m.saturating_mul(n).saturating_mul(k) > SMALL_MATMUL_MULADDS
}

/// [`matmul_f32_slices`] for a product that [`uses_sgemm`], followed by a bias add (`bias` one
/// value per column) and a `Relu` in the GEMM's tiles, with the bits of the separate ops.
#[allow(clippy::too_many_arguments)]
pub fn matmul_f32_fused(
    a: &[f32],
    b: &[f32],
    (m, k, n): (usize, usize, usize),
    transpose_a: bool,
    transpose_b: bool,
    out: &mut [f32],
    pool: Option<&ThreadPool>,
    (bias, relu): (Option<&[f32]>, bool),
) -> Result<()> {
    use crate::engine::math::sgemm::{Epilogue, Isa, Order, Strided, sgemm_fused};
    if a.len() != m * k || b.len() != k * n || out.len() != m * n || !uses_sgemm(m, k, n) {
        return Err(Error::internal("fused matmul operand of the wrong size"));
    }
    let (a, b) = (Strided::op(a, m, k, transpose_a), Strided::op(b, k, n, transpose_b));
    sgemm_fused(Isa::detect(), (m, k, n), a, b, out, (n, 1), pool, Epilogue { bias, relu }, Order::Blocked)
}

/// Small products (the training graphs of the seed) sum each dot product in order, one rounding
/// per multiply and per add, which is what TF's CPU kernel gives for them: a fused multiply-add
/// kernel would differ in the last bit.
fn small_matmul<T: Float>(g: &GemmArgs, xs: &[T], ys: &[T], o: &mut [T]) {
    let (rsa, csa, rsb, csb) = (g.rsa as usize, g.csa as usize, g.rsb as usize, g.csb as usize);
    for (i, crow) in o.chunks_exact_mut(g.n).enumerate() {
        for (j, c) in crow.iter_mut().enumerate() {
            let mut acc = T::ZERO;
            let (mut ia, mut ib) = (i * rsa, j * csb);
            for _ in 0..g.k {
                acc = acc + xs[ia] * ys[ib];
                ia += csa;
                ib += rsb;
            }
            *c = acc;
        }
    }
}

fn matmul_int<T: Int>(a: &ArrayD<T>, b: &ArrayD<T>, g: &GemmArgs, out: &mut Value) -> Result<()> {
    let o = out_buf::<T>(out, &[g.m, g.n])?;
    if o.is_empty() {
        return Ok(());
    }
    o.fill(T::ZERO);
    let (ac, bc) = (a.as_standard_layout(), b.as_standard_layout());
    let (xs, ys) = (slice_of(&ac)?, slice_of(&bc)?);
    let (rsa, csa, rsb, csb) = (g.rsa as usize, g.csa as usize, g.rsb as usize, g.csb as usize);
    for (i, crow) in o.chunks_exact_mut(g.n).enumerate() {
        for p in 0..g.k {
            let aip = xs[i * rsa + p * csa];
            if csb == 1 {
                let brow = &ys[p * rsb..p * rsb + g.n];
                for (c, &bv) in crow.iter_mut().zip(brow) {
                    *c = c.wadd(aip.wmul(bv));
                }
            } else {
                for (j, c) in crow.iter_mut().enumerate() {
                    *c = c.wadd(aip.wmul(ys[p * rsb + j * csb]));
                }
            }
        }
    }
    Ok(())
}
