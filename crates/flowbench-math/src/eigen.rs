//! Bit-exact float32 math as TensorFlow 2.21's CPU kernels compute it (x86-64 wheel).
//!
//! TF's CPU cwise kernels (`Sigmoid`, `Exp`, `Log`, `Tanh`, `Reciprocal`, ...) evaluate
//! `out = in.unaryExpr(functor)` with Eigen's tensor executor. The official x86-64 wheels are
//! built with AVX but *without* FMA (the startup log asks to "rebuild TensorFlow" to enable
//! AVX2/FMA), so Eigen uses 8-wide `Packet8f` code in which every `pmadd(a, b, c)` is a separate
//! multiply and add, each rounded. A contiguous tensor of `n` elements is evaluated as
//! `n / 8` full packets, then the remaining `n % 8` elements one at a time through the
//! functor's *scalar* `operator()`, which is often a different algorithm (usually the C
//! library). The executor's thread-pool blocks are multiples of the packet size, so only the
//! final `n % 8` elements ever take the scalar path.
//!
//! TF also runs every CPU kernel with MXCSR.FTZ and MXCSR.DAZ set: subnormal inputs read as
//! zero and subnormal results are written as zero (e.g. `tf.sigmoid(-87.4)` is 0 and
//! `1e-20 * 1e-20` is 0). This module emulates that on every operation ([`ftz`]).
//!
//! Per element, Eigen's packet algorithms are lane-independent, so this module evaluates them one
//! lane at a time with plain `f32` arithmetic (Rust never fuses `a * b + c`), reproducing the
//! x86 semantics of the few instructions where IEEE leaves room (`minps`/`maxps` operand order
//! and NaN handling, `cvttps2dq`, bit masks).
//!
//! | TF op | packet path (first `n - n % 8` elements) | tail (last `n % 8`) |
//! |---|---|---|
//! | `Sigmoid` | Eigen `scalar_logistic_op<float>::packetOp`: `exp(x/2)` by a degree-5 polynomial, squared, then `e / (1 + e)` | `e = expf(min(x, 16.6355324)); e / (1 + e)` |
//! | `Exp` | Eigen `pexp_float` (Cephes range reduction, degree-6 polynomial) | libm `expf` |
//! | `Log` | Eigen `plog_float` (frexp, rational (3,3) approximation) | libm `logf` |
//! | `Tanh` | Eigen `ptanh_float` (rational [9/8], non-FMA clamp) | the same `ptanh_float` |
//! | `Reciprocal` (and `Inv`) | hardware `rcpps` estimate `x`, then `x * (1 - a * x) + x` | `1 / a` |
//! | `Sqrt` | `sqrtps` (IEEE exact) | `sqrtf` (IEEE exact) |
//! | `SigmoidGrad(y, dy)` | `dy * (y * (1 - y))` | `(dy * y) * (1 - y)` |
//! | `SqrtGrad(y, dy)` | `(0.5 / y) * dy`, 0 where `dy == 0` | `(0.5 * dy) / y`, 0 where `dy == 0` |
//! | `Maximum` / `Minimum` | NaN-propagating; equal inputs give `b` | NaN-propagating; equal inputs give `a` |
//!
//! `+ - * /` are IEEE operations (under FTZ/DAZ); `TanhGrad` is `dy * (1 - y * y)` and
//! `ReciprocalGrad` `-(y * y) * dy` on both paths. Besides the elementwise ops the module has
//! TF's summation orders for `reduce_sum`/`reduce_mean` ([`sum_f32`], [`sum_rows_f32`]) and for
//! small `MatMul`s ([`matmul_f32`]), and `SoftmaxCrossEntropyWithLogits` built from these
//! ([`softmax_xent_f32`]).
//!
//! Parts that depend on the machine rather than on TF's source, exactly as they do in TF itself:
//! * The tail paths of `Sigmoid`, `Exp` and `Log` call the C library's `expf`/`logf`, as TF does.
//!   Rust's `f32::exp`/`f32::ln` call the same functions of the platform libm (glibc on Linux),
//!   so on the same machine the results agree bit for bit.
//! * `rcpps` is an implementation-specific hardware approximation (Intel and AMD cores return
//!   different estimates). On x86-64 [`reciprocal_f32`] uses the host's `rcpps`, like TF on that
//!   host. Elsewhere it falls back to an exact `1 / a` estimate refined by the same Newton step,
//!   which is within a couple of ulps of TF but not bit-exact.
//! * `MatMul` goes to oneDNN, which picks its kernels (and so its summation orders) by CPU; the
//!   orders in [`matmul_f32`] were measured on an AVX-512 machine.
//!
//! Verification (against TF 2.21.0 on an AMD EPYC, glibc 2.36): the packet paths of `Sigmoid`,
//! `Exp`, `Log`, `Tanh`, `Reciprocal` and `Sqrt` match TF bit for bit on all 2^32 float32 inputs
//! (NaN payloads included); the tail paths on 180 000 random and special inputs per function in
//! tensors of lengths 1..17. `tests/data/eigen_math_vectors.json` (made by
//! `tools/eigen_vectors.py`) keeps a few thousand of these cases for `tests/eigen_math.rs`.
//!
//! This file is the dispatch: the slice functions split a tensor into its packet part (computed by
//! `eigen_simd`'s AVX2 code when the CPU has it, else by the scalar lanes of `lanes`) and its
//! scalar tail. The lanes are re-exported here.

pub use crate::lanes::{
    PACKET_SIZE, exp_packet_lane, exp_scalar, ftz, log_packet_lane, log_scalar, packet_len, rcp_estimate,
    reciprocal_packet_lane, reciprocal_scalar, sigmoid_grad_packet_lane, sigmoid_packet_lane, sigmoid_scalar,
    sqrt_lane, tanh_grad_packet_lane, tanh_lane,
};
pub use crate::lanes::{add, div, mul, sub};

use crate::denormal::HwFtz;
use crate::lanes::{Flush, Hard, Soft};

// ---------------------------------------------------------------------------------------------
// Slice versions: the packet/tail split of a contiguous tensor.
// ---------------------------------------------------------------------------------------------

/// Like [`split_map`], with the full packets computed 8 lanes at a time by an `eigen_simd`
/// function (bit-identical to the scalar lanes; checked over all 2^32 inputs).
#[inline(always)]
fn split_simd(x: &[f32], out: &mut [f32], packets: impl Fn(&[f32], &mut [f32]), scalar: impl Fn(f32) -> f32) {
    assert_eq!(x.len(), out.len(), "eigen_math: input and output lengths differ");
    let k = packet_len(x.len());
    packets(&x[..k], &mut out[..k]);
    for (o, &v) in out[k..].iter_mut().zip(&x[k..]) {
        *o = scalar(v);
    }
}

#[inline(always)]
fn split_map(x: &[f32], out: &mut [f32], packet: impl Fn(f32) -> f32, scalar: impl Fn(f32) -> f32) {
    assert_eq!(x.len(), out.len(), "eigen_math: input and output lengths differ");
    let k = packet_len(x.len());
    for (o, &v) in out[..k].iter_mut().zip(&x[..k]) {
        *o = packet(v);
    }
    for (o, &v) in out[k..].iter_mut().zip(&x[k..]) {
        *o = scalar(v);
    }
}

/// Defines, for a slice function written once as `$with::<F>` (generic over the flush policy),
/// its software-flush form `$name` (any thread) and its hardware form `$hw` (a thread that
/// holds an [`HwFtz`] token; the same bits).
macro_rules! policies {
    ($(#[$doc:meta])* $name:ident, $hw:ident, $with:ident, ($($arg:ident: $ty:ty),*)) => {
        $(#[$doc])*
        pub fn $name($($arg: $ty),*) {
            $with::<Soft>($($arg),*)
        }

        #[doc = concat!("[`", stringify!($name), "`] on a thread that flushes in hardware (the same bits, fewer instructions).")]
        pub fn $hw($($arg: $ty,)* _: HwFtz<'_>) {
            $with::<Hard>($($arg),*)
        }
    };
}

policies!(
    /// `tf.sigmoid` on a contiguous float32 tensor, as TF computes it. `x` and `out` must have
    /// the same length.
    sigmoid_f32, sigmoid_f32_hw, sigmoid_with, (x: &[f32], out: &mut [f32])
);

#[inline(always)]
pub(crate) fn sigmoid_with<F: Flush>(x: &[f32], out: &mut [f32]) {
    split_simd(x, out, crate::eigen_simd::sigmoid_packets_with::<F>, crate::lanes::sigmoid_scalar_with::<F>);
}

policies!(
    /// `tf.exp` on a contiguous float32 tensor: Eigen's `pexp_float` on full packets, libm `expf`
    /// on the tail.
    exp_f32, exp_f32_hw, exp_with, (x: &[f32], out: &mut [f32])
);

#[inline(always)]
pub(crate) fn exp_with<F: Flush>(x: &[f32], out: &mut [f32]) {
    split_simd(x, out, crate::eigen_simd::exp_packets_with::<F>, crate::lanes::exp_scalar_with::<F>);
}

policies!(
    /// `tf.math.log` on a contiguous float32 tensor: Eigen's `plog_float` on full packets, libm
    /// `logf` on the tail.
    log_f32, log_f32_hw, log_with, (x: &[f32], out: &mut [f32])
);

#[inline(always)]
pub(crate) fn log_with<F: Flush>(x: &[f32], out: &mut [f32]) {
    split_simd(x, out, crate::eigen_simd::log_packets_with::<F>, log_scalar);
}

policies!(
    /// `tf.tanh` on a contiguous float32 tensor: Eigen's `ptanh_float` everywhere.
    tanh_f32, tanh_f32_hw, tanh_with, (x: &[f32], out: &mut [f32])
);

#[inline(always)]
pub(crate) fn tanh_with<F: Flush>(x: &[f32], out: &mut [f32]) {
    split_simd(x, out, crate::eigen_simd::tanh_packets_with::<F>, crate::lanes::tanh_lane_with::<F>);
}

policies!(
    /// `tf.math.reciprocal` on a contiguous float32 tensor: `rcpps` plus a Newton step on full
    /// packets, `1 / x` on the tail.
    reciprocal_f32, reciprocal_f32_hw, reciprocal_with, (x: &[f32], out: &mut [f32])
);

#[inline(always)]
pub(crate) fn reciprocal_with<F: Flush>(x: &[f32], out: &mut [f32]) {
    split_simd(x, out, crate::eigen_simd::reciprocal_packets_with::<F>, crate::lanes::reciprocal_scalar_with::<F>);
}

policies!(
    /// `tf.sqrt` on a contiguous float32 tensor. Both paths are IEEE-exact square roots.
    sqrt_f32, sqrt_f32_hw, sqrt_with, (x: &[f32], out: &mut [f32])
);

#[inline(always)]
pub(crate) fn sqrt_with<F: Flush>(x: &[f32], out: &mut [f32]) {
    split_map(x, out, crate::lanes::sqrt_lane_with::<F>, crate::lanes::sqrt_lane_with::<F>);
}

policies!(
    /// `SigmoidGrad(y, dy)` on contiguous float32 tensors: `dy * (y * (1 - y))` on full packets,
    /// but the scalar tail associates differently, `(dy * y) * (1 - y)`.
    sigmoid_grad_f32, sigmoid_grad_f32_hw, sigmoid_grad_with, (y: &[f32], dy: &[f32], out: &mut [f32])
);

#[inline(always)]
pub(crate) fn sigmoid_grad_with<F: Flush>(y: &[f32], dy: &[f32], out: &mut [f32]) {
    assert!(y.len() == out.len() && dy.len() == out.len(), "eigen_math: input and output lengths differ");
    let k = packet_len(out.len());
    crate::eigen_simd::sigmoid_grad_packets_with::<F>(&y[..k], &dy[..k], &mut out[..k]);
    let f = |y: f32, d: f32| F::mul(F::mul(d, y), F::sub(1.0, y));
    split_map2::<F>(&y[k..], &dy[k..], &mut out[k..], f, f);
}

policies!(
    /// `TanhGrad(y, dy)` on contiguous float32 tensors: `dy * (1 - y * y)` on both paths.
    tanh_grad_f32, tanh_grad_f32_hw, tanh_grad_with, (y: &[f32], dy: &[f32], out: &mut [f32])
);

#[inline(always)]
pub(crate) fn tanh_grad_with<F: Flush>(y: &[f32], dy: &[f32], out: &mut [f32]) {
    assert!(y.len() == out.len() && dy.len() == out.len(), "eigen_math: input and output lengths differ");
    let k = packet_len(out.len());
    crate::eigen_simd::tanh_grad_packets_with::<F>(&y[..k], &dy[..k], &mut out[..k]);
    let f = |y: f32, d: f32| F::mul(d, F::sub(1.0, F::mul(y, y)));
    split_map2::<F>(&y[k..], &dy[k..], &mut out[k..], f, f);
}

policies!(
    /// `SqrtGrad(y, dy)` on contiguous float32 tensors: `(0.5 / y) * dy` on full packets and
    /// `(0.5 * dy) / y` on the tail; both give exactly 0 where `dy == 0`.
    sqrt_grad_f32, sqrt_grad_f32_hw, sqrt_grad_with, (y: &[f32], dy: &[f32], out: &mut [f32])
);

#[inline(always)]
pub(crate) fn sqrt_grad_with<F: Flush>(y: &[f32], dy: &[f32], out: &mut [f32]) {
    // (`dy == 0` is a floating-point compare: under DAZ a subnormal `dy` equals 0.)
    split_map2::<F>(
        y,
        dy,
        out,
        |y, d| if d == 0.0 { 0.0 } else { F::mul(F::div(0.5, y), d) },
        |y, d| if d == 0.0 { 0.0 } else { F::div(F::mul(0.5, d), y) },
    );
}

policies!(
    /// `ReciprocalGrad(y, dy)` on contiguous float32 tensors: `-(y * y) * dy`, exactly 0 where
    /// `dy == 0`. (TF's NaN outputs here may differ from this one in sign.)
    reciprocal_grad_f32, reciprocal_grad_f32_hw, reciprocal_grad_with, (y: &[f32], dy: &[f32], out: &mut [f32])
);

#[inline(always)]
pub(crate) fn reciprocal_grad_with<F: Flush>(y: &[f32], dy: &[f32], out: &mut [f32]) {
    // (The negation flips the sign bit of a flushed product: never subnormal.)
    let f = |y: f32, d: f32| if d == 0.0 { 0.0 } else { F::mul(-F::mul(y, y), d) };
    split_map2::<F>(y, dy, out, f, f);
}

/// `tf.maximum` of two same-shape contiguous float32 tensors. NaN in either input propagates.
/// Equal inputs (which matters only for `+0` vs `-0`, or a subnormal read as zero) give `b` on
/// full packets (`maxps(a, b)`) but `a` on the tail (`std::max`).
pub fn maximum_f32(a: &[f32], b: &[f32], out: &mut [f32]) {
    split_map2::<Soft>(
        a,
        b,
        out,
        |a, b| if a.is_nan() || a > b { a } else { b },
        |a, b| {
            if a.is_nan() || b.is_nan() {
                if a.is_nan() { a } else { b }
            } else if a < b {
                b
            } else {
                a
            }
        },
    );
}

/// `tf.minimum` of two same-shape contiguous float32 tensors; the mirror of [`maximum_f32`].
pub fn minimum_f32(a: &[f32], b: &[f32], out: &mut [f32]) {
    split_map2::<Soft>(
        a,
        b,
        out,
        |a, b| if a.is_nan() || a < b { a } else { b },
        |a, b| {
            if a.is_nan() || b.is_nan() {
                if a.is_nan() { a } else { b }
            } else if b < a {
                b
            } else {
                a
            }
        },
    );
}

/// The packet/tail split of a two-input elementwise function, its inputs read as the flush
/// policy `F` reads them (the functions given must only compare them or do arithmetic on them).
#[inline(always)]
fn split_map2<F: Flush>(
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
    packet: impl Fn(f32, f32) -> f32,
    scalar: impl Fn(f32, f32) -> f32,
) {
    assert!(a.len() == out.len() && b.len() == out.len(), "eigen_math: input and output lengths differ");
    let k = packet_len(out.len());
    for ((o, &x), &y) in out[..k].iter_mut().zip(&a[..k]).zip(&b[..k]) {
        *o = packet(F::fl(x), F::fl(y));
    }
    for ((o, &x), &y) in out[k..].iter_mut().zip(&a[k..]).zip(&b[k..]) {
        *o = scalar(F::fl(x), F::fl(y));
    }
}

// ---------------------------------------------------------------------------------------------
// Reductions.
// ---------------------------------------------------------------------------------------------

/// Eigen's horizontal sum of an 8-lane packet (`predux<Packet8f>`): low half plus high half,
/// then `(v0 + v2) + (v1 + v3)`.
#[inline]
fn predux8<F: Flush>(v: &[f32; 8]) -> f32 {
    let h = [F::add(v[0], v[4]), F::add(v[1], v[5]), F::add(v[2], v[6]), F::add(v[3], v[7])];
    F::add(F::add(h[0], h[2]), F::add(h[1], h[3]))
}

#[inline]
fn add_packet<F: Flush>(acc: &mut [f32; 8], x: &[f32]) {
    for (a, &v) in acc.iter_mut().zip(x) {
        *a = F::add(*a, F::fl(v));
    }
}

/// Eigen's vectorised `InnerMostDimReducer` for a sum of at most `8 * 1024` values: four packet
/// accumulators over blocks of 32, folded `((a0 + a1) + a2) + a3`, then the remaining whole
/// packets, then the leftover `n % 8` values summed in order from 0, and finally
/// `leftover + predux(packets)`.
fn sum_leaf<F: Flush>(x: &[f32]) -> f32 {
    let n = x.len();
    let mut acc0 = [0.0f32; 8];
    let mut start = 0;
    if n >= 32 {
        let v4 = n / 32 * 32;
        let mut acc = [[0.0f32; 8]; 4];
        for blk in x[..v4].chunks_exact(32) {
            for (u, a) in acc.iter_mut().enumerate() {
                add_packet::<F>(a, &blk[8 * u..8 * u + 8]);
            }
        }
        acc0 = acc[0];
        for a in &acc[1..] {
            add_packet::<F>(&mut acc0, a);
        }
        start = v4;
    }
    let v = n / 8 * 8;
    if start < v {
        for p in x[start..v].chunks_exact(8) {
            add_packet::<F>(&mut acc0, p);
        }
        start = v;
    }
    let mut tail = 0.0f32;
    for &t in &x[start..] {
        tail = F::add(tail, F::fl(t));
    }
    F::add(tail, predux8::<F>(&acc0))
}

/// Eigen's tree reduction above the leaf size: split at a packet-aligned midpoint (relative to
/// the start of the whole tensor, `first`) and add the halves' sums into a 0 accumulator.
fn sum_tree<F: Flush>(x: &[f32], first: usize) -> f32 {
    let n = x.len();
    if n <= PACKET_SIZE * 1024 {
        return sum_leaf::<F>(x);
    }
    let split = PACKET_SIZE * (first + n.div_ceil(2)).div_ceil(PACKET_SIZE);
    let left = (split - first).min(n);
    let mut acc = F::add(0.0, sum_tree::<F>(&x[..left], first));
    if left < n {
        acc = F::add(acc, sum_tree::<F>(&x[left..], split));
    }
    acc
}

/// `tf.reduce_sum` of a contiguous float32 tensor over all of its elements (and, row by row,
/// a reduction over the innermost axis), as TF's Eigen `SumReducer` computes it.
///
/// Verified against TF for every length from 1 to 79 and for 127 ... 100 000 elements.
/// `tf.reduce_mean` is this sum divided by the element count (one float division).
/// (Eigen would split a reduction of millions of elements across threads, which this does not
/// model.)
pub fn sum_f32(x: &[f32]) -> f32 {
    sum_tree::<Soft>(x, 0)
}

/// [`sum_f32`] on a thread that flushes in hardware (the same bits).
pub fn sum_f32_hw(x: &[f32], _: HwFtz<'_>) -> f32 {
    sum_tree::<Hard>(x, 0)
}

policies!(
    /// `SoftmaxCrossEntropyWithLogits` of contiguous `[rows, classes]` float32 `labels` and
    /// `logits` as TF 2.21's `XentEigenImpl` computes it, bit for bit, each step an Eigen
    /// expression of its own: `shifted = logits - max(logits)` by row; `sum = Σ exp(shifted)` by
    /// row, the row's exponentials `pexp` on its full packets of 8 and libm's `expf` on its tail,
    /// summed in Eigen's reduction order ([`sum_f32`]); `log(sum)` over the batch ([`log_f32`]);
    /// `loss = Σ labels * (log(sum) - shifted)` by row; and `backprop = exp(shifted) / sum -
    /// labels`, whose exponentials run over the whole flat tensor ([`exp_f32`]), so a row's tail
    /// exponential can differ between its sum and its backprop, as in TF. `loss` has one element
    /// a row; `scratch` is working memory (grown to at least `rows * classes + classes + 2 *
    /// rows`, never shrunk, so that a caller keeping it allocates nothing after the first batch).
    softmax_xent_f32, softmax_xent_f32_hw, softmax_xent_with,
    (labels: &[f32], logits: &[f32], classes: usize, loss: &mut [f32], backprop: &mut [f32], scratch: &mut Vec<f32>)
);

#[inline(always)]
pub(crate) fn softmax_xent_with<F: Flush>(
    labels: &[f32],
    logits: &[f32],
    classes: usize,
    loss: &mut [f32],
    backprop: &mut [f32],
    scratch: &mut Vec<f32>,
) {
    let (rows, total) = (loss.len(), backprop.len());
    assert!(
        classes > 0 && logits.len() == rows * classes && labels.len() == total && total == logits.len(),
        "eigen_math: softmax_xent_f32 shape mismatch"
    );
    let need = total + classes + 2 * rows;
    if scratch.len() < need {
        scratch.resize(need, 0.0);
    }
    let (exps, rest) = scratch.split_at_mut(total);
    let (row_exp, rest) = rest.split_at_mut(classes);
    let (sums, rest) = rest.split_at_mut(rows);
    let logs = &mut rest[..rows];
    for (br, xr) in backprop.chunks_exact_mut(classes).zip(logits.chunks_exact(classes)) {
        // The row's max (a NaN wins).
        let m = xr.iter().fold(f32::NEG_INFINITY, |acc, &v| if v > acc || v.is_nan() { v } else { acc });
        for (b, &v) in br.iter_mut().zip(xr) {
            *b = F::sub(v, m);
        }
    }
    // The backprop's exponentials. `pexp` works lane by lane, so a row's packet lanes are these
    // too, except past the flat tensor's last full packet.
    exp_with::<F>(backprop, exps);
    let (row_packets, flat_packets) = (packet_len(classes), packet_len(total));
    for (r, s) in sums.iter_mut().enumerate() {
        let at = r * classes;
        for (j, e) in row_exp.iter_mut().enumerate() {
            *e = match (j < row_packets, at + j < flat_packets) {
                (true, true) => exps[at + j],
                (true, false) => crate::lanes::exp_packet_lane_with::<F>(backprop[at + j]),
                (false, _) => crate::lanes::exp_scalar_with::<F>(backprop[at + j]),
            };
        }
        *s = sum_tree::<F>(row_exp, 0);
    }
    log_with::<F>(sums, logs);
    let per_row = backprop.chunks_exact(classes).zip(labels.chunks_exact(classes)).zip(logs.iter());
    for (l, ((br, zr), &log_s)) in loss.iter_mut().zip(per_row) {
        for ((t, &b), &z) in row_exp.iter_mut().zip(br).zip(zr) {
            *t = F::mul(z, F::sub(log_s, b));
        }
        *l = sum_tree::<F>(row_exp, 0);
    }
    let per_row = backprop.chunks_exact_mut(classes).zip(exps.chunks_exact(classes)).zip(labels.chunks_exact(classes));
    for (((br, er), zr), &s) in per_row.zip(sums.iter()) {
        for ((b, &e), &z) in br.iter_mut().zip(er).zip(zr) {
            *b = F::sub(F::div(e, s), z);
        }
    }
}

/// `tf.reduce_sum(x, axis=0)` of a contiguous row-major `[rows, cols]` float32 tensor, as TF
/// computes it (Eigen's `InnerMostDimPreserver`): the first `cols - cols % 8` columns are summed
/// eight at a time, with four accumulators over rows `j % 4` folded `((a0 + a1) + a2) + a3` when
/// `rows >= 16` (then the leftover rows in order), or simply in row order when `rows < 16`; the
/// last `cols % 8` columns are summed in row order. A single column is a full reduction
/// ([`sum_f32`]): TF drops the size-1 axis before reducing (checked against TF 2.21 for 8 to 128
/// rows; a `[8, 1]` bias gradient in chapter 4.4.2).
pub fn sum_rows_f32(x: &[f32], rows: usize, cols: usize, out: &mut [f32]) {
    sum_rows_with::<Soft>(x, rows, cols, out);
}

/// [`sum_rows_f32`] on a thread that flushes in hardware (the same bits).
pub fn sum_rows_f32_hw(x: &[f32], rows: usize, cols: usize, out: &mut [f32], _: HwFtz<'_>) {
    sum_rows_with::<Hard>(x, rows, cols, out);
}

#[inline(always)]
pub(crate) fn sum_rows_with<F: Flush>(x: &[f32], rows: usize, cols: usize, out: &mut [f32]) {
    assert!(x.len() == rows * cols && out.len() == cols, "eigen_math: sum_rows_f32 shape mismatch");
    if cols == 1 {
        out[0] = sum_tree::<F>(x, 0);
        return;
    }
    let np = packet_len(cols);
    // Rows outer, columns inner (each column still sums its rows in the order described above,
    // so the results are the same), which reads memory in order and vectorises.
    out.fill(0.0);
    if crate::eigen_simd::sum_rows_packets_with::<F>(x, rows, cols, np, out) {
        if np == cols {
            return;
        }
        for r in 0..rows {
            let xr = &x[r * cols + np..(r + 1) * cols];
            for (o, &v) in out[np..].iter_mut().zip(xr) {
                *o = F::add(*o, F::fl(v));
            }
        }
        return;
    }
    let (u4, start) = if rows >= 16 { (rows / 4 * 4, rows / 4 * 4) } else { (0, 0) };
    if u4 > 0 {
        // Four accumulators per packet column (rows j % 4), folded `((a0 + a1) + a2) + a3`.
        let mut acc = [[0.0f32; 4]; 8];
        for c0 in (0..np).step_by(8) {
            for a in acc.iter_mut() {
                *a = [0.0; 4];
            }
            for r in (0..u4).step_by(4) {
                for u in 0..4 {
                    let xr = &x[(r + u) * cols + c0..(r + u) * cols + c0 + 8];
                    for (a, &v) in acc.iter_mut().zip(xr) {
                        a[u] = F::add(a[u], F::fl(v));
                    }
                }
            }
            for (o, a) in out[c0..c0 + 8].iter_mut().zip(&acc) {
                *o = F::add(F::add(F::add(a[0], a[1]), a[2]), a[3]);
            }
        }
    }
    for r in start..rows {
        let xr = &x[r * cols..r * cols + np];
        for (o, &v) in out[..np].iter_mut().zip(xr) {
            *o = F::add(*o, F::fl(v));
        }
    }
    for r in 0..rows {
        let xr = &x[r * cols + np..(r + 1) * cols];
        for (o, &v) in out[np..].iter_mut().zip(xr) {
            *o = F::add(*o, F::fl(v));
        }
    }
}

/// The straightforward form of [`sum_rows_f32`] (column by column), kept to test it against.
#[doc(hidden)]
pub fn sum_rows_f32_reference(x: &[f32], rows: usize, cols: usize, out: &mut [f32]) {
    assert!(x.len() == rows * cols && out.len() == cols, "eigen_math: sum_rows_f32 shape mismatch");
    if cols == 1 {
        out[0] = sum_f32(x);
        return;
    }
    let np = packet_len(cols);
    let row = |r: usize, c: usize| ftz(x[r * cols + c]);
    for (c, o) in out.iter_mut().enumerate().take(np) {
        *o = if rows >= 16 {
            let u4 = rows / 4 * 4;
            let mut acc = [0.0f32; 4];
            for r in (0..u4).step_by(4) {
                for (u, a) in acc.iter_mut().enumerate() {
                    *a = add(*a, row(r + u, c));
                }
            }
            let mut a0 = add(add(add(acc[0], acc[1]), acc[2]), acc[3]);
            for r in u4..rows {
                a0 = add(a0, row(r, c));
            }
            a0
        } else {
            (0..rows).fold(0.0, |a, r| add(a, row(r, c)))
        };
    }
    for (c, o) in out.iter_mut().enumerate().skip(np) {
        *o = (0..rows).fold(0.0, |a, r| add(a, row(r, c)));
    }
}

// ---------------------------------------------------------------------------------------------
// Matrix product.
// ---------------------------------------------------------------------------------------------

/// Horizontal sum of eight lanes as oneDNN's dot-product kernel does it: adjacent pairs
/// `q = (l0 + l1, l2 + l3, l4 + l5, l6 + l7)`, then `(q0 + q2) + (q1 + q3)`.
#[inline]
pub(crate) fn hsum8_pairs(l: &[f32; 8]) -> f32 {
    let q = [add(l[0], l[1]), add(l[2], l[3]), add(l[4], l[5]), add(l[6], l[7])];
    add(add(q[0], q[2]), add(q[1], q[3]))
}

/// A strided view of one row or column of an operand: element `t` is `data[start + t * step]`.
#[derive(Clone, Copy)]
struct Strided<'a> {
    data: &'a [f32],
    start: usize,
    step: usize,
}

impl Strided<'_> {
    #[inline(always)]
    fn at(&self, t: usize) -> f32 {
        self.data[self.start + t * self.step]
    }
}

/// The product of term `t`, rounded (under FTZ/DAZ).
#[inline(always)]
fn prod(x: Strided<'_>, y: Strided<'_>, t: usize) -> f32 {
    mul(x.at(t), y.at(t))
}

/// Adds `v` to a running total that starts empty (the first term is taken as it is).
#[inline(always)]
pub(crate) fn push_total(total: &mut Option<f32>, v: f32) {
    *total = Some(match *total {
        Some(s) => add(s, v),
        None => v,
    });
}

/// The dot product of TF's (oneDNN's) 8-lane matrix-vector kernel, which it uses for
/// `[m, k] x [k, 1]`: the first `16 * floor(k / 16)` terms go into 8 lanes (lane `i` starts at
/// product `i` and fuses in products `i + 8`, `i + 16`, ... with FMAs) and are summed by
/// [`hsum8_pairs`]; then a further block of 8 products (if at least 8 remain) summed the same
/// way, a block of 4 as `(p0 + p1) + (p2 + p3)`, a pair `p0 + p1` and a single product, each
/// added to the running total in that order.
#[inline(always)]
fn dot8(x: Strided<'_>, y: Strided<'_>, k: usize) -> f32 {
    let mut total: Option<f32> = None;
    let k16 = k / 16 * 16;
    let mut t = 0;
    if k16 > 0 {
        let mut lanes = [0.0f32; 8];
        for (i, l) in lanes.iter_mut().enumerate() {
            *l = prod(x, y, i);
        }
        for c in (8..k16).step_by(8) {
            for (i, l) in lanes.iter_mut().enumerate() {
                *l = ftz(x.at(c + i).mul_add(y.at(c + i), *l));
            }
        }
        push_total(&mut total, hsum8_pairs(&lanes));
        t = k16;
    }
    if k - t >= 8 {
        let mut lanes = [0.0f32; 8];
        for (i, l) in lanes.iter_mut().enumerate() {
            *l = prod(x, y, t + i);
        }
        push_total(&mut total, hsum8_pairs(&lanes));
        t += 8;
    }
    if k - t >= 4 {
        let v = add(add(prod(x, y, t), prod(x, y, t + 1)), add(prod(x, y, t + 2), prod(x, y, t + 3)));
        push_total(&mut total, v);
        t += 4;
    }
    if k - t >= 2 {
        push_total(&mut total, add(prod(x, y, t), prod(x, y, t + 1)));
        t += 2;
    }
    if k - t == 1 {
        push_total(&mut total, prod(x, y, t));
    }
    total.unwrap_or(0.0)
}

/// The dot product of oneDNN's 16-lane kernel (used for `transpose_b` with `2 <= m <= 15`):
/// lane `i` accumulates products `i, i + 16, ...` with FMAs from 0, then the lanes are halved
/// pairwise `(i, i + 8)`, `(i, i + 4)`, `(i, i + 2)`, `(0, 1)`.
#[inline(always)]
fn dot16(x: Strided<'_>, y: Strided<'_>, k: usize) -> f32 {
    let mut lanes = [0.0f32; 16];
    for t in 0..k {
        lanes[t % 16] = ftz(x.at(t).mul_add(y.at(t), lanes[t % 16]));
    }
    halve16(&mut lanes)
}

/// oneDNN's 16-lane horizontal sum: lanes halved pairwise `(i, i + 8)`, `(i, i + 4)`,
/// `(i, i + 2)`, `(0, 1)` (under FTZ).
#[inline(always)]
pub(crate) fn halve16(lanes: &mut [f32; 16]) -> f32 {
    let mut w = 16;
    while w > 1 {
        w /= 2;
        for i in 0..w {
            lanes[i] = add(lanes[i], lanes[i + w]);
        }
    }
    lanes[0]
}

/// The dot product of oneDNN's GEMM kernels: `acc = x0 * y0` (rounded), then
/// `acc = fma(x_t, y_t, acc)` in `k` order.
#[inline(always)]
fn dot_seq_fma(x: Strided<'_>, y: Strided<'_>, k: usize) -> f32 {
    let mut acc = prod(x, y, 0);
    for t in 1..k {
        acc = ftz(x.at(t).mul_add(y.at(t), acc));
    }
    acc
}

/// Which of oneDNN's summation orders TF 2.21 uses for one `MatMul`, by shape and transposes
/// (measured on x86-64 with AVX-512 and TF's default oneDNN build).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatMulKernel {
    /// `dot_seq_fma`-style: in-order fused multiply-adds.
    SeqFma,
    /// The 8-lane matrix-vector dot product.
    Dot8,
    /// The 16-lane dot product.
    Dot16,
}

/// The kernel TF picks for an `m x k x n` product (see [`matmul_f32`]).
pub fn matmul_kernel(m: usize, n: usize, transpose_a: bool, transpose_b: bool) -> MatMulKernel {
    match (transpose_a, transpose_b) {
        (true, false) => MatMulKernel::SeqFma,
        (true, true) if m == 1 => MatMulKernel::Dot8,
        (true, true) => MatMulKernel::SeqFma,
        (false, false) if m >= 2 && n == 1 => MatMulKernel::Dot8,
        (false, false) => MatMulKernel::SeqFma,
        (false, true) if m == 1 => MatMulKernel::Dot8,
        (false, true) if m <= 15 => MatMulKernel::Dot16,
        (false, true) if n == 1 => MatMulKernel::Dot8,
        (false, true) => MatMulKernel::SeqFma,
    }
}

/// oneDNN's sgemm splits `k` into blocks of at most this many terms (see [`gemm_k_blocks`]).
pub const GEMM_BK: usize = 384;

/// The `k` blocks of oneDNN's sgemm, as `(start, len)`: blocks of [`GEMM_BK`] while more than
/// `2 * GEMM_BK` terms remain, then the rest in one block, or in two halves (the first one the
/// larger) when it is longer than `GEMM_BK`. Measured on TF 2.21 here (`k` = 256 ... 1000 for
/// `[100, k] x [k, 10]`: 384 -> one chain, 385 -> 193 + 192, 500 -> 250 + 250, 784 -> 384 + 200
/// + 200, 1000 -> 384 + 308 + 308; the same with 1, 2 or 4 threads).
pub fn gemm_k_blocks(k: usize) -> Vec<(usize, usize)> {
    let mut blocks = Vec::new();
    let mut start = 0;
    while k - start > 2 * GEMM_BK {
        blocks.push((start, GEMM_BK));
        start += GEMM_BK;
    }
    let rest = k - start;
    if rest > GEMM_BK {
        let first = rest.div_ceil(2);
        blocks.push((start, first));
        blocks.push((start + first, rest - first));
    } else if rest > 0 {
        blocks.push((start, rest));
    }
    blocks
}

/// True when TF's product splits `k` into blocks: an in-order-FMA product with `k > GEMM_BK`
/// and at least two rows and columns (matrix-vector products use other oneDNN kernels, whose
/// orders for long `k` are not modelled: `[8, 500]^T x [500, 1]` differs from TF here).
pub fn blocks_k(m: usize, k: usize, n: usize, ta: bool, tb: bool) -> bool {
    k > GEMM_BK && m >= 2 && n >= 2 && matmul_kernel(m, n, ta, tb) == MatMulKernel::SeqFma
}

/// An in-order-FMA product ([`MatMulKernel::SeqFma`]) with `k > GEMM_BK`, as oneDNN's sgemm
/// computes it: each `k` block ([`gemm_k_blocks`]) is its own FMA chain, and the blocks' sums are
/// added to the output in order (`(s0 + s1) + s2`). `product` computes one block from packed,
/// untransposed operands. Only for `m, n >= 2` (see [`blocks_k`]), where the untransposed
/// kernel is `SeqFma` too.
#[allow(clippy::type_complexity)]
pub(crate) fn matmul_k_blocked(
    a: &[f32],
    b: &[f32],
    (m, k, n): (usize, usize, usize),
    ta: bool,
    tb: bool,
    out: &mut [f32],
    product: fn(&[f32], &[f32], usize, usize, usize, bool, bool, &mut [f32]),
) {
    // The blocks of op(A) and op(B) are passed to `product` untransposed (its order depends on
    // the transposes it is given): op(B)[k0..k0 + kb, :] of an untransposed B is a contiguous
    // part of `b`, and op(A)[:, k0..k0 + kb] of a transposed A is a contiguous part of `a` as a
    // transposed `[kb, m]` block (an in-order-FMA product either way, whose bits do not depend
    // on the transposes); the others are packed into a per-thread buffer (kept between calls, so
    // a training step allocates nothing here).
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => k_blocked_with(a, b, (m, k, n), ta, tb, out, product, &mut buf),
        Err(_) => k_blocked_with(a, b, (m, k, n), ta, tb, out, product, &mut Vec::new()),
    });
}

thread_local! {
    /// The packed blocks and the partial sums of [`matmul_k_blocked`] on this thread.
    static SCRATCH: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn k_blocked_with(
    a: &[f32],
    b: &[f32],
    (m, k, n): (usize, usize, usize),
    ta: bool,
    tb: bool,
    out: &mut [f32],
    product: fn(&[f32], &[f32], usize, usize, usize, bool, bool, &mut [f32]),
    buf: &mut Vec<f32>,
) {
    let bk = GEMM_BK.min(k);
    let need = m * n + if ta { 0 } else { m * bk } + if tb { bk * n } else { 0 };
    if buf.len() < need {
        buf.resize(need, 0.0);
    }
    let (part, rest) = buf.split_at_mut(m * n);
    for (bi, (k0, kb)) in KBlocks::new(k).enumerate() {
        let (pa_buf, pb_buf) = rest.split_at_mut(if ta { 0 } else { m * kb });
        // op(A)[:, k0..k0 + kb]: `[kb, m]` transposed, or packed as `[m, kb]`.
        let pa: &[f32] = if ta {
            &a[k0 * m..(k0 + kb) * m]
        } else {
            for (dst, row) in pa_buf.chunks_exact_mut(kb).zip(a.chunks_exact(k)) {
                dst.copy_from_slice(&row[k0..k0 + kb]);
            }
            pa_buf
        };
        // op(B)[k0..k0 + kb, :] as `[kb, n]`.
        let pb: &[f32] = if tb {
            let pb = &mut pb_buf[..kb * n];
            for t in 0..kb {
                for (j, v) in pb[t * n..(t + 1) * n].iter_mut().enumerate() {
                    *v = b[j * k + k0 + t];
                }
            }
            pb
        } else {
            &b[k0 * n..(k0 + kb) * n]
        };
        let dst: &mut [f32] = if bi == 0 { out } else { part };
        product(pa, pb, m, kb, n, ta, false, dst);
        if bi > 0 {
            for (o, &p) in out.iter_mut().zip(part.iter()) {
                *o = add(*o, p);
            }
        }
    }
}

/// The blocks of [`gemm_k_blocks`], without a vector.
struct KBlocks {
    k: usize,
    start: usize,
}

impl KBlocks {
    fn new(k: usize) -> KBlocks {
        KBlocks { k, start: 0 }
    }
}

impl Iterator for KBlocks {
    type Item = (usize, usize);
    fn next(&mut self) -> Option<(usize, usize)> {
        let rest = self.k - self.start;
        let len = if rest > 2 * GEMM_BK || rest <= GEMM_BK { rest.min(GEMM_BK) } else { rest.div_ceil(2) };
        if len == 0 {
            return None;
        }
        let s = self.start;
        self.start += len;
        Some((s, len))
    }
}

/// `tf.matmul(a, b, transpose_a, transpose_b)` for small float32 matrices as TF 2.21 computes it
/// on x86-64 with its default oneDNN build (`_MklMatMul`): `a` is `[m, k]` (`[k, m]` when
/// `transpose_a`), `b` is `[k, n]` (`[n, k]` when `transpose_b`), both contiguous row-major, and
/// `out` is `[m, n]`. Each output element is one dot product whose summation order
/// [`matmul_kernel`] picks:
///
/// | transposes | shape | order |
/// |---|---|---|
/// | none | `m >= 2, n == 1` | 8-lane dot product (`dot8`) |
/// | none | otherwise | in-order FMAs |
/// | `transpose_a` | any | in-order FMAs |
/// | `transpose_b` | `m == 1` | `dot8` |
/// | `transpose_b` | `2 <= m <= 15` | 16-lane dot product (`dot16`) |
/// | `transpose_b` | `m >= 16` | `dot8` if `n == 1`, else in-order FMAs |
/// | both | `m == 1` / otherwise | `dot8` / in-order FMAs |
///
/// Verified bit for bit against TF for every combination of `m in {1, 2, 4, 7, 8, 9, 12, 15, 16,
/// 17, 32, 100}`, `n in {1, 2, 3, 8, 16}`, `k in {2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 32, 33, 64}`
/// and both transposes, plus larger products (`64 x 64 x 64`, `100 x 100 x 100`, `k` up to 300
/// with in-order FMAs, `k` up to 1000 with `dot8`). For `k` above 384 oneDNN's sgemm splits `k`
/// into blocks ([`gemm_k_blocks`]), each its own FMA chain, added in order: modelled for the
/// in-order-FMA products with at least two rows and columns (measured on TF 2.21 on an Intel
/// AVX-512 CPU for the MNIST program's shapes, `k` = 385 ... 1000). Other CPUs can make oneDNN
/// choose other kernels.
#[allow(clippy::too_many_arguments)]
pub fn matmul_f32(
    a: &[f32],
    b: &[f32],
    m: usize,
    k: usize,
    n: usize,
    transpose_a: bool,
    transpose_b: bool,
    out: &mut [f32],
) {
    assert!(a.len() == m * k && b.len() == k * n && out.len() == m * n, "eigen_math: matmul_f32 shape mismatch");
    if k == 0 {
        out.fill(0.0);
        return;
    }
    if blocks_k(m, k, n, transpose_a, transpose_b) {
        matmul_k_blocked(a, b, (m, k, n), transpose_a, transpose_b, out, matmul_f32);
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has FMA (checked just above), which is all `matmul_fma` requires.
        unsafe { matmul_fma(a, b, m, k, n, transpose_a, transpose_b, out) };
        return;
    }
    matmul_body(a, b, m, k, n, transpose_a, transpose_b, out);
}

/// [`matmul_body`] compiled with hardware FMA, so `mul_add` is one instruction instead of a
/// call into the (correctly rounded, but slow) software `fmaf`. The results are identical.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn matmul_fma(a: &[f32], b: &[f32], m: usize, k: usize, n: usize, ta: bool, tb: bool, out: &mut [f32]) {
    matmul_body(a, b, m, k, n, ta, tb, out);
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn matmul_body(a: &[f32], b: &[f32], m: usize, k: usize, n: usize, ta: bool, tb: bool, out: &mut [f32]) {
    let kernel = matmul_kernel(m, n, ta, tb);
    // Element t of row i of op(A) is a[i * ra + t * ca]; of column j of op(B), b[t * rb + j * cb].
    let (ra, ca) = if ta { (1, m) } else { (k, 1) };
    let (rb, cb) = if tb { (1, k) } else { (n, 1) };
    if kernel == MatMulKernel::SeqFma {
        // Eight outputs of a row at a time: each keeps its own in-order FMA chain (so the
        // results are those of `dot_seq_fma`), but the chains are independent and overlap.
        for i in 0..m {
            let x = Strided { data: a, start: i * ra, step: ca };
            for j0 in (0..n).step_by(8) {
                let w = (n - j0).min(8);
                let mut acc = [0.0f32; 8];
                for (jj, acc) in acc.iter_mut().enumerate().take(w) {
                    *acc = mul(x.at(0), b[(j0 + jj) * cb]);
                }
                for t in 1..k {
                    let xv = x.at(t);
                    let row = t * rb;
                    for (jj, acc) in acc.iter_mut().enumerate().take(w) {
                        *acc = ftz(xv.mul_add(b[row + (j0 + jj) * cb], *acc));
                    }
                }
                out[i * n + j0..i * n + j0 + w].copy_from_slice(&acc[..w]);
            }
        }
        return;
    }
    for i in 0..m {
        for j in 0..n {
            let x = Strided { data: a, start: i * ra, step: ca };
            let y = Strided { data: b, start: j * cb, step: rb };
            out[i * n + j] = match kernel {
                MatMulKernel::SeqFma => dot_seq_fma(x, y, k),
                MatMulKernel::Dot8 => dot8(x, y, k),
                MatMulKernel::Dot16 => dot16(x, y, k),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sum_rows_matches_the_column_by_column_reference() {
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 32) as u32
        };
        // Past one packet, and past the 32 packets the vector form keeps at once.
        for rows in 1..40 {
            for cols in (1..20).chain([255, 256, 257, 264, 520, 777]) {
                let x: Vec<f32> = (0..rows * cols)
                    .map(|_| match next() % 10 {
                        0 => f32::from_bits(next() & 0x807f_ffff), // subnormal or zero
                        1 => -0.0,
                        2 => f32::from_bits(next()), // anything, NaN and inf included
                        _ => (next() as f32 / u32::MAX as f32 - 0.5) * 4.0,
                    })
                    .collect();
                let (mut a, mut b) = (vec![0.0f32; cols], vec![1.0f32; cols]);
                sum_rows_f32(&x, rows, cols, &mut a);
                sum_rows_f32_reference(&x, rows, cols, &mut b);
                for (p, q) in a.iter().zip(&b) {
                    assert!(p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()), "{rows}x{cols}: {p} vs {q}");
                }
            }
        }
    }

    use super::*;

    fn bits(v: f32) -> u32 {
        v.to_bits()
    }

    #[test]
    fn packet_split() {
        assert_eq!(packet_len(0), 0);
        assert_eq!(packet_len(7), 0);
        assert_eq!(packet_len(8), 8);
        assert_eq!(packet_len(13), 8);
        assert_eq!(packet_len(17), 16);
        // A 13-element sigmoid: 8 packet lanes, then 5 through the scalar path.
        let x: Vec<f32> = (0..13).map(|i| i as f32 * 0.37 - 2.0).collect();
        let mut out = vec![0.0; 13];
        sigmoid_f32(&x, &mut out);
        for (i, (&o, &v)) in out.iter().zip(&x).enumerate() {
            let want = if i < 8 { sigmoid_packet_lane(v) } else { sigmoid_scalar(v) };
            assert_eq!(bits(o), bits(want), "element {i}");
        }
    }

    #[test]
    fn flush_to_zero() {
        assert_eq!(bits(ftz(1e-40)), 0);
        assert_eq!(bits(ftz(-1e-40)), 0x8000_0000);
        assert_eq!(ftz(f32::MIN_POSITIVE), f32::MIN_POSITIVE);
        // exp(-87.4) is subnormal, so TF writes 0 on both paths.
        assert_eq!(exp_packet_lane(-87.4), 0.0);
        assert_eq!(exp_scalar(-87.4), 0.0);
        assert_eq!(sigmoid_packet_lane(-87.4), 0.0);
        assert_eq!(sigmoid_scalar(-87.4), 0.0);
        // Subnormal inputs read as zero.
        assert_eq!(exp_packet_lane(1e-40), 1.0);
        assert_eq!(sqrt_lane(1e-40), 0.0);
        assert_eq!(reciprocal_scalar(1e-40), f32::INFINITY);
        assert_eq!(reciprocal_packet_lane(-1e-40), f32::NEG_INFINITY);
    }

    #[test]
    fn special_values() {
        for f in [sigmoid_packet_lane, sigmoid_scalar] {
            assert_eq!(f(0.0), 0.5);
            assert_eq!(f(f32::INFINITY), 1.0);
            assert_eq!(f(f32::NEG_INFINITY), 0.0);
            assert!(f(f32::NAN).is_nan());
        }
        assert_eq!(sigmoid_packet_lane(-104.5), 0.0);
        assert_eq!(exp_packet_lane(0.0), 1.0);
        assert_eq!(exp_packet_lane(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_packet_lane(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_packet_lane(89.0), f32::INFINITY);
        assert_eq!(log_packet_lane(1.0), 0.0);
        assert_eq!(log_packet_lane(0.0), f32::NEG_INFINITY);
        assert_eq!(log_packet_lane(-0.0), f32::NEG_INFINITY);
        assert_eq!(log_packet_lane(1e-40), f32::NEG_INFINITY);
        assert_eq!(log_packet_lane(f32::INFINITY), f32::INFINITY);
        assert_eq!(bits(log_packet_lane(-1.0)), u32::MAX);
        assert_eq!(bits(log_packet_lane(f32::NAN)), u32::MAX);
        assert!(log_scalar(-1.0).is_nan());
        assert_eq!(log_scalar(1e-40), (-150.0 * std::f64::consts::LN_2) as f32);
        assert_eq!(tanh_lane(0.0), 0.0);
        assert_eq!(bits(tanh_lane(-0.0)), 0x8000_0000);
        assert_eq!(tanh_lane(100.0), 1.0);
        assert_eq!(tanh_lane(-100.0), -1.0);
        assert_eq!(tanh_lane(f32::INFINITY), 1.0);
        assert_eq!(reciprocal_packet_lane(0.0), f32::INFINITY);
        assert_eq!(reciprocal_packet_lane(-0.0), f32::NEG_INFINITY);
        assert_eq!(bits(reciprocal_packet_lane(f32::INFINITY)), 0);
    }

    #[test]
    fn approximations_are_close() {
        // Not a bit-exactness check (tests/eigen_math.rs has TF's own results): the polynomial
        // paths stay within a few ulps of the libm / correctly rounded values.
        let ulps = |a: f32, b: f32| (i64::from(bits(a) as i32) - i64::from(bits(b) as i32)).unsigned_abs();
        for i in -2000..2000 {
            let x = i as f32 * 0.0173;
            assert!(ulps(exp_packet_lane(x), x.exp()) <= 2, "exp({x})");
            assert!(ulps(tanh_lane(x), x.tanh()) <= 4, "tanh({x})");
            let s = (1.0 / (1.0 + (-f64::from(x)).exp())) as f32;
            assert!(ulps(sigmoid_packet_lane(x), s) <= 6, "sigmoid({x})");
            let y = (i + 2001) as f32 * 0.731;
            assert!(ulps(log_packet_lane(y), y.ln()) <= 2, "log({y})");
            assert!(ulps(reciprocal_packet_lane(y), 1.0 / y) <= 2, "reciprocal({y})");
        }
    }

    #[test]
    fn grads_and_min_max_follow_the_split() {
        let y = [0.3f32; 9];
        let dy = [0.7f32; 9];
        let mut out = [0.0f32; 9];
        sigmoid_grad_f32(&y, &dy, &mut out);
        assert_eq!(out[0], 0.7 * (0.3 * (1.0 - 0.3)));
        assert_eq!(out[8], (0.7 * 0.3) * (1.0 - 0.3));
        let (a, b) = ([0.0f32; 9], [-0.0f32; 9]);
        maximum_f32(&a, &b, &mut out);
        assert_eq!(bits(out[0]), 0x8000_0000, "packet: equal inputs give b");
        assert_eq!(bits(out[8]), 0, "tail: equal inputs give a");
        minimum_f32(&a, &b, &mut out);
        assert_eq!(bits(out[0]), 0x8000_0000);
        assert_eq!(bits(out[8]), 0);
        let (a, b) = ([f32::NAN; 9], [1.0f32; 9]);
        maximum_f32(&a, &b, &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
        maximum_f32(&b, &a, &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
        let mut g = [1.0f32; 9];
        sqrt_grad_f32(&[0.0; 9], &[0.0; 9], &mut g);
        assert!(g.iter().all(|&v| bits(v) == 0));
    }

    #[test]
    fn sum_order() {
        let big = 33_554_432.0f32; // 2^25: adding 1 to it is lost
        // Eight values: Eigen pairs lanes (0, 4) first, so the big values cancel before the 1.
        let x = [big, 1.0, 0.0, 0.0, -big, 0.0, 0.0, 0.0];
        assert_eq!(x.iter().fold(0.0f32, |a, &v| a + v), 0.0);
        assert_eq!(sum_f32(&x), 1.0);
        // Leftover elements are summed on their own, then added to the packet sum.
        let x = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, big, -big];
        assert_eq!(x.iter().fold(0.0f32, |a, &v| a + v), 0.0);
        assert_eq!(sum_f32(&x), 1.0);
        assert_eq!(sum_f32(&[]), 0.0);
        assert_eq!(sum_f32(&[2.5]), 2.5);
        // Column sums: fewer than 16 rows go in order, 16 or more use four row accumulators.
        let mut col = [0.0f32; 16];
        col[0] = big;
        col[1] = 1.0;
        col[4] = -big;
        let two: Vec<f32> = col[..15].iter().flat_map(|&v| [v; 2]).collect();
        let mut out = [0.0f32; 2];
        sum_rows_f32(&two, 15, 2, &mut out);
        assert_eq!(out, [0.0; 2]);
        // A single column is a full reduction, as TF drops the size-1 axis (TF gives 1 here).
        let mut out1 = [0.0f32; 1];
        sum_rows_f32(&col[..15], 15, 1, &mut out1);
        assert_eq!(out1[0], 1.0);
        let wide: Vec<f32> = col.iter().flat_map(|&v| [v; 8]).collect();
        let mut out8 = [0.0f32; 8];
        sum_rows_f32(&wide, 16, 8, &mut out8);
        assert_eq!(out8, [1.0; 8]);
    }

    #[test]
    fn matmul_orders() {
        use MatMulKernel::*;
        assert_eq!(matmul_kernel(8, 3, false, false), SeqFma);
        assert_eq!(matmul_kernel(8, 1, false, false), Dot8);
        assert_eq!(matmul_kernel(1, 1, false, false), SeqFma);
        assert_eq!(matmul_kernel(3, 1, true, false), SeqFma);
        assert_eq!(matmul_kernel(8, 3, false, true), Dot16);
        assert_eq!(matmul_kernel(16, 3, false, true), SeqFma);
        assert_eq!(matmul_kernel(16, 1, false, true), Dot8);
        assert_eq!(matmul_kernel(1, 4, true, true), Dot8);
        // In-order FMA: the second product is fused, so its low bits survive. With
        // h = 1 + 2^-12, h * h = 1 + 2^-11 + 2^-24 rounds to hh = 1 + 2^-11.
        let h = 1.0 + 1.0 / 4096.0;
        let hh = 1.0 + 1.0 / 2048.0;
        assert_eq!(h * h, hh);
        let mut out = [0.0f32; 2];
        matmul_f32(&[-1.0, h], &[hh, 0.0, h, 0.0], 1, 2, 2, false, false, &mut out);
        assert_eq!(out[0], f32::EPSILON / 2.0, "fma(h, h, -hh) = 2^-24");
        // Dot8 for [m, 8] x [8, 1]: adjacent pairs, then pairs of pairs two apart.
        let big = 33_554_432.0f32;
        let row = [big, 0.0, 1.0, 0.0, -big, 0.0, 0.0, 0.0];
        let a: Vec<f32> = row.iter().chain(row.iter()).copied().collect();
        let mut out = [0.0f32; 2];
        matmul_f32(&a, &[1.0; 8], 2, 8, 1, false, false, &mut out);
        assert_eq!(out, [1.0, 1.0]);
        matmul_f32(&a[..8], &[1.0; 8], 1, 8, 1, false, false, &mut out[..1]);
        assert_eq!(out[0], 0.0, "m == 1 sums in order");
    }

    #[test]
    fn k_blocks_iterate_gemm_k_blocks() {
        for k in 0..2000 {
            assert_eq!(KBlocks::new(k).collect::<Vec<_>>(), gemm_k_blocks(k), "k = {k}");
        }
    }

    #[test]
    fn k_blocked_products_match_the_unblocked_chains_per_block() {
        // Every transpose of a blocked product against the blocks computed one by one from
        // explicitly transposed copies.
        let (m, k, n) = (5, 800, 3);
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 37 % 101) as f32 - 50.0) / 17.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 53 % 89) as f32 - 44.0) / 13.0).collect();
        let mut want = vec![0.0f32; m * n];
        for (bi, (k0, kb)) in gemm_k_blocks(k).into_iter().enumerate() {
            let pa: Vec<f32> = (0..m).flat_map(|i| a[i * k + k0..i * k + k0 + kb].to_vec()).collect();
            let pb: Vec<f32> = b[k0 * n..(k0 + kb) * n].to_vec();
            let mut part = vec![0.0f32; m * n];
            matmul_f32(&pa, &pb, m, kb, n, false, false, &mut part);
            for (w, p) in want.iter_mut().zip(&part) {
                *w = if bi == 0 { *p } else { add(*w, *p) };
            }
        }
        let at: Vec<f32> = (0..k).flat_map(|t| (0..m).map(|i| a[i * k + t]).collect::<Vec<_>>()).collect();
        let bt: Vec<f32> = (0..n).flat_map(|j| (0..k).map(|t| b[t * n + j]).collect::<Vec<_>>()).collect();
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let (x, y) = (if ta { &at } else { &a }, if tb { &bt } else { &b });
            let mut got = vec![0.0f32; m * n];
            matmul_f32(x, y, m, k, n, ta, tb, &mut got);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            if blocks_k(m, k, n, ta, tb) {
                assert_eq!(bits(&got), bits(&want), "ta={ta} tb={tb}");
                let mut fast = vec![0.0f32; m * n];
                crate::matmul_simd::matmul_f32_fast(x, y, m, k, n, ta, tb, &mut fast);
                assert_eq!(bits(&fast), bits(&want), "fast ta={ta} tb={tb}");
            }
        }
    }

    #[test]
    fn gemm_k_blocks_as_measured() {
        let lens = |k| gemm_k_blocks(k).iter().map(|b| b.1).collect::<Vec<_>>();
        assert_eq!(lens(384), [384]);
        assert_eq!(lens(385), [193, 192]);
        assert_eq!(lens(500), [250, 250]);
        assert_eq!(lens(768), [384, 384]);
        assert_eq!(lens(784), [384, 200, 200]);
        assert_eq!(lens(1000), [384, 308, 308]);
        assert_eq!(gemm_k_blocks(784)[2], (584, 200));
        // [2, 500] x [500, 2], two blocks of 250 (each one FMA chain, then added): 2^40 and
        // -2^40 in different blocks swallow every one; in the second block they cancel there,
        // and the first block's 250 ones survive (one chain over all 500 would give 0).
        let big = 1.0995116e12f32; // 2^40
        let mut row = vec![1.0f32; 500];
        row[0] = big;
        row[499] = -big;
        let a: Vec<f32> = row.iter().chain(row.iter()).copied().collect();
        let mut out = [0.0f32; 4];
        matmul_f32(&a, &[1.0; 1000], 2, 500, 2, false, false, &mut out);
        assert_eq!(out, [0.0; 4]);
        row[0] = 1.0;
        row[250] = big;
        let a: Vec<f32> = row.iter().chain(row.iter()).copied().collect();
        matmul_f32(&a, &[1.0; 1000], 2, 500, 2, false, false, &mut out);
        assert_eq!(out, [250.0; 4]);
    }
}
