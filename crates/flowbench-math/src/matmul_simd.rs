//! An AVX2+FMA version of [`eigen::matmul_f32`] that gives identical bits.
//!
//! [`eigen::matmul_f32`] computes every output element as one dot product in one of three
//! exact summation orders ([`MatMulKernel`]), with a flush-to-zero after every operation. This
//! module computes the same operations in the same order, only several at a time:
//!
//! * `SeqFma` (`acc = x0 * y0`, then `acc = fma(x_t, y_t, acc)` in order): up to sixteen output
//!   columns (two vectors) of up to four rows at once. Each lane of a `__m256` accumulator is one
//!   output's chain, `acc = fma(broadcast(a[i, t]), b[t, j..j + 8], acc)`, which needs row `t` of `op(B)`
//!   contiguous; when it is not (`transpose_b`), `op(B)` is packed into a buffer (`k * n <=
//!   8192`; 16 columns of 16 lanes with AVX-512). Because `fma(x, y, c) == fma(y, x, c)` and `x * y == y * x` exactly, the product can
//!   also be computed transposed (`out^T = op(B)^T op(A)^T`, eight *rows* at a time), which this
//!   does when it wastes fewer lanes (small `n`) or avoids packing.
//! * `Dot8` and `Dot16`: eight output elements at a time, one per vector lane, when the operand
//!   that differs between them can be read as contiguous rows, or gathered down the columns of
//!   a row-major operand (instead of packing it transposed): each of the 8 or 16
//!   "lanes" of TF's kernel is then a vector, and every operation of the kernel, the
//!   horizontal-sum trees included, is the scalar one on eight outputs (sixteen, two rows of A,
//!   for `Dot16` with `k, n <= 8` on AVX-512). Otherwise (few outputs
//!   and a long `k`) one output at a time, with TF's lanes as the lanes of one or two FMA
//!   vectors and the trees and short tails in scalar code with the same rounding.
//!
//! NaN results are NaN in the same elements, but which NaN (sign, payload) comes out when an
//! operation meets several (an input NaN and the default NaN of `inf - inf`, say) depends on the
//! operand order the compiler picks for commutative instructions, in this code and in the scalar
//! code alike (whose NaN signs differ between debug and release builds). TF does not pin it down
//! either.
//!
//! Flush-to-zero is done in the vector code as in the scalar code: after every multiply, add or
//! fused multiply-add, lanes whose magnitude is below `f32::MIN_POSITIVE` (subnormals) keep only
//! their sign bit. Inputs are used as they are (no denormals-are-zero on inputs), exactly like
//! the scalar code (on CPUs with AVX-512 DQ and VL by `vfpclassps`, two instructions instead of
//! four). Shapes the packing buffer cannot hold, and CPUs without AVX2 and FMA, use
//! [`eigen::matmul_f32`] itself.
//!
//! On a thread that runs with TF's hardware modes ([`crate::denormal::ScopedFlushDenormal`]),
//! [`MatMulPlan::run_hw`] runs the same kernels instantiated without the software flushes
//! (a const flag: one source per kernel), so an in-order chain is FMAs alone (half the latency
//! a step). Its results are TF's, which equal the software flush's except on subnormal inputs
//! (read as zero) and in the band just below `f32::MIN_POSITIVE` that `denormal` documents.
//!
//! [`MatMulPlan`] makes every choice above (and the CPU feature checks) once per shape; a
//! program that runs the same small products at every training step keeps one plan per product
//! and its own packing room, so a step only computes. [`matmul_f32_fast`] plans and runs at once,
//! packing into a stack buffer.

use crate::denormal::HwFtz;
use crate::eigen::{self, MatMulKernel, add, ftz, halve16, hsum8_pairs, matmul_kernel, mul, push_total};
use std::mem::MaybeUninit;

/// `tf.matmul(a, b, transpose_a, transpose_b)` for small float32 matrices, bit for bit as
/// [`eigen::matmul_f32`] computes it (same layouts: `a` is `[m, k]`, or `[k, m]` when
/// `transpose_a`; `b` is `[k, n]`, or `[n, k]` when `transpose_b`; `out` is `[m, n]`), using
/// AVX2+FMA vectors when the CPU has them. (NaN results may carry another NaN's sign or payload;
/// see the module documentation.)
///
/// # Panics
///
/// If the slice lengths do not match the shape.
#[allow(clippy::too_many_arguments)]
pub fn matmul_f32_fast(
    a: &[f32],
    b: &[f32],
    m: usize,
    k: usize,
    n: usize,
    transpose_a: bool,
    transpose_b: bool,
    out: &mut [f32],
) {
    let plan = MatMulPlan::new(m, k, n, transpose_a, transpose_b);
    if plan.scratch_len() == 0 {
        plan.run_uninit::<true>(a, b, out, &mut []);
    } else {
        let mut buf = [const { MaybeUninit::<f32>::uninit() }; SEQ_PACK_MAX];
        plan.run_uninit::<true>(a, b, out, &mut buf);
    }
}

/// How one shape of [`matmul_f32_fast`] is computed, chosen once (kernel, transposition,
/// packing, vector width, CPU features) so that a program running the same small product at
/// every step only computes it ([`MatMulPlan::run`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatMulPlan {
    m: usize,
    k: usize,
    n: usize,
    ta: bool,
    tb: bool,
    how: How,
    /// `m * k`, `k * n` and `m * n`, saturated (no slice of floats is `usize::MAX` long): the
    /// operand lengths a call checks.
    lens: [usize; 3],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum How {
    /// `k == 0`: zeros.
    Zero,
    /// `m == 0` or `n == 0`: nothing to write.
    Empty,
    /// oneDNN's k blocks ([`eigen::matmul_k_blocked`]), each block through [`matmul_f32_fast`].
    KBlocked,
    /// [`eigen::matmul_f32`] (no AVX2+FMA, or an operand too big to pack).
    Scalar,
    /// The vector code; only made where the CPU has what the plan needs.
    #[cfg(target_arch = "x86_64")]
    Avx(avx::Plan, bool),
}

impl MatMulPlan {
    /// The plan for `tf.matmul` of an `a` of `[m, k]` (`[k, m]` when `transpose_a`) and a `b` of
    /// `[k, n]` (`[n, k]` when `transpose_b`).
    pub fn new(m: usize, k: usize, n: usize, transpose_a: bool, transpose_b: bool) -> MatMulPlan {
        let (ta, tb) = (transpose_a, transpose_b);
        let how = if k == 0 {
            How::Zero
        } else if m == 0 || n == 0 {
            How::Empty
        } else if eigen::blocks_k(m, k, n, ta, tb) {
            How::KBlocked
        } else {
            Self::vector(m, k, n, ta, tb).unwrap_or(How::Scalar)
        };
        let lens = [m.saturating_mul(k), k.saturating_mul(n), m.saturating_mul(n)];
        MatMulPlan { m, k, n, ta, tb, how, lens }
    }

    #[cfg(target_arch = "x86_64")]
    fn vector(m: usize, k: usize, n: usize, ta: bool, tb: bool) -> Option<How> {
        if !(std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")) {
            return None;
        }
        let vl = avx::has_vl();
        avx::plan(m, k, n, ta, tb, avx::has_wide()).map(|p| How::Avx(p, vl))
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn vector(_: usize, _: usize, _: usize, _: bool, _: bool) -> Option<How> {
        None
    }

    /// How many floats of packing room [`MatMulPlan::run`] needs.
    pub fn scratch_len(&self) -> usize {
        match self.how {
            #[cfg(target_arch = "x86_64")]
            How::Avx(p, _) => avx::scratch_len(p, self.m, self.k, self.n),
            _ => 0,
        }
    }

    /// Computes the product into `out` (`[m, n]`), bit for bit as [`eigen::matmul_f32`], using
    /// `scratch` (at least [`MatMulPlan::scratch_len`] floats, contents irrelevant) to pack.
    ///
    /// # Panics
    ///
    /// If the slice lengths do not match the plan's shape or `scratch` is too short.
    pub fn run(&self, a: &[f32], b: &[f32], out: &mut [f32], scratch: &mut [f32]) {
        // SAFETY: `MaybeUninit<f32>` has the layout of `f32`, and `run_uninit` only writes
        // initialized floats through it (so `scratch` stays initialized).
        let buf = unsafe { &mut *(std::ptr::from_mut::<[f32]>(scratch) as *mut [MaybeUninit<f32>]) };
        self.run_uninit::<true>(a, b, out, buf);
    }

    /// [`MatMulPlan::run`] on a thread that flushes in hardware when `hw` is given: the vector
    /// kernels then leave out their software flushes (the same kernels, instantiated without
    /// them), so an FMA chain is FMAs alone. The results are TF's: they equal [`MatMulPlan::run`]'s
    /// bit for bit except where TF's own mode differs from the software flush (see
    /// [`crate::denormal`]): subnormal inputs read as zero, and a result in the band just below
    /// `f32::MIN_POSITIVE` is zero. With `None` this is [`MatMulPlan::run`].
    ///
    /// # Panics
    ///
    /// As [`MatMulPlan::run`].
    #[inline]
    pub fn run_hw(&self, hw: Option<HwFtz<'_>>, a: &[f32], b: &[f32], out: &mut [f32], scratch: &mut [f32]) {
        // SAFETY: as in `run`.
        let buf = unsafe { &mut *(std::ptr::from_mut::<[f32]>(scratch) as *mut [MaybeUninit<f32>]) };
        match hw {
            Some(_) => self.run_uninit::<false>(a, b, out, buf),
            None => self.run_uninit::<true>(a, b, out, buf),
        }
    }

    /// The product, with the vector kernels' software flushes (`SW`) or without them (only on a
    /// thread with the hardware modes set: [`MatMulPlan::run_hw`]).
    #[inline]
    fn run_uninit<const SW: bool>(&self, a: &[f32], b: &[f32], out: &mut [f32], buf: &mut [MaybeUninit<f32>]) {
        let MatMulPlan { m, k, n, ta, tb, how, lens: [len_a, len_b, len_out] } = *self;
        // Three scalar compares: as one array compare the lengths are stored and reloaded as a
        // vector, which stalls on store forwarding.
        assert!(
            len_a == a.len() && len_b == b.len() && len_out == out.len(),
            "matmul_simd: matmul_f32_fast shape mismatch"
        );
        match how {
            // The tiny products of a training step, straight to their kernel (one call, no
            // second dispatch through the instruction set's `run`).
            #[cfg(target_arch = "x86_64")]
            How::Avx(avx::Plan::Seq { swapped, pack: false, wide: true }, _) => {
                // SAFETY: a wide plan only where the CPU has AVX-512F and DQ, for this shape
                // with `m, k, n >= 1`; the lengths were checked just above.
                unsafe { avx::wide::seq_direct::<SW>(swapped, a, b, (m, k, n), ta, tb, out) }
            }
            #[cfg(target_arch = "x86_64")]
            How::Avx(avx::Plan::Dot16Pairs, _) => {
                // SAFETY: as in `run` (`Dot16Pairs` only with AVX-512F and DQ, `k, n <= 8`, no
                // transpose_a, transpose_b); the lengths were checked just above.
                unsafe { avx::wide::dots16_pairs::<SW>(a.as_ptr(), m, k, b.as_ptr(), n, out.as_mut_ptr()) }
            }
            #[cfg(target_arch = "x86_64")]
            How::Avx(avx::Plan::Dot8Col { slab }, vl) => {
                // SAFETY: as in `run` (`Dot8Col` only for `n == 1`, no transpose_a); the lengths
                // were checked just above.
                unsafe {
                    if vl {
                        avx::vl::dot8_col::<SW>(a, b, m, k, slab, out);
                    } else {
                        avx::v2::dot8_col::<SW>(a, b, m, k, slab, out);
                    }
                }
            }
            _ => self.run_general::<SW>(a, b, out, buf),
        }
    }

    /// [`MatMulPlan::run_uninit`] for the plans it does not send straight to a kernel, after
    /// its length checks.
    #[inline(never)]
    fn run_general<const SW: bool>(&self, a: &[f32], b: &[f32], out: &mut [f32], buf: &mut [MaybeUninit<f32>]) {
        let MatMulPlan { m, k, n, ta, tb, how, .. } = *self;
        match how {
            How::Zero => out.fill(0.0),
            How::Empty => {}
            How::KBlocked => eigen::matmul_k_blocked(a, b, (m, k, n), ta, tb, out, matmul_f32_fast),
            How::Scalar => eigen::matmul_f32(a, b, m, k, n, ta, tb, out),
            #[cfg(target_arch = "x86_64")]
            How::Avx(p, vl) => {
                assert!(buf.len() >= avx::scratch_len(p, m, k, n), "matmul_simd: scratch too short");
                // SAFETY: `vector` made this plan only where the CPU has AVX2 and FMA (and
                // AVX-512F and DQ for a wide one, and VL too for `vl`), for this shape with
                // `m, k, n >= 1` (the other cases have other `How`s); `run_uninit` checked the
                // lengths.
                unsafe {
                    if vl {
                        avx::vl::run::<SW>(p, a, b, (m, k, n), ta, tb, out, buf);
                    } else {
                        avx::v2::run::<SW>(p, a, b, (m, k, n), ta, tb, out, buf);
                    }
                }
            }
        }
    }
}

/// Largest `k * width` of an operand packed into the stack buffer.
const PACK_MAX: usize = 4096;
/// Largest `k * n` of an operand packed for in-order FMAs computed untransposed (the stack
/// buffer's size; [`PACK_MAX`] for the transposed product, whose stores are scattered): a
/// product with many columns, such as `[128, 10] x [512, 10]^T`, is then computed row by row
/// with contiguous stores instead of transposed (about 4x faster).
const SEQ_PACK_MAX: usize = 8192;
/// Products with at most this many multiply-adds (`m * n * k`) choose between the untransposed
/// and the transposed in-order FMAs by a finer estimate of their cost (see `avx::plan`).
const TINY: usize = 4096;

#[cfg(target_arch = "x86_64")]
mod avx {
    use super::*;
    use std::arch::x86_64::*;

    /// A matrix read through strides: element `(r, c)` is `ptr[r * rs + c * cs]`.
    #[derive(Clone, Copy)]
    struct View {
        ptr: *const f32,
        rs: usize,
        cs: usize,
    }

    /// How [`run`] computes one shape, chosen once by [`plan`].
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(super) enum Plan {
        /// `Dot16`, `transpose_b`: each row of A against the rows of B, gathered down their
        /// columns (as `[k, n]`) in slabs of `slab`, eight outputs at a time.
        Dot16Across { slab: usize },
        /// `Dot16`, `transpose_b`, `k <= 8`, `n <= 8`, on AVX-512: as `Dot16Across`, two rows of
        /// A at a time, one in each half of a 16-lane vector.
        Dot16Pairs,
        /// `Dot8`, `n == 1`, `transpose_a`: `a` is `[k, m]` already, outputs across `i`.
        Dot8ColDirect,
        /// `Dot8`, `n == 1`: the rows of A gathered down their columns (as `[k, m]`) in slabs of
        /// `slab`.
        Dot8Col { slab: usize },
        /// `Dot8`, `m == 1`, no `transpose_b`: `b` is `[k, n]` already, outputs across `j`.
        Dot8RowDirect,
        /// `Dot8`, `m == 1`, `transpose_b`: the rows of B gathered down their columns (as
        /// `[k, n]`) in slabs of `slab`.
        Dot8Row { slab: usize },
        /// `Dot8` or `Dot16` one output at a time, TF's lanes across one vector.
        PerOutput { dot16: bool },
        /// In-order FMAs, untransposed (`swapped == false`: rows of op(A) broadcast against
        /// rows of op(B)) or transposed; `pack` when the broadcast-against operand must be
        /// packed first; `wide` on AVX-512.
        Seq { swapped: bool, pack: bool, wide: bool },
    }

    /// True when the AVX-512 in-order kernels can run (AVX-512F and DQ).
    pub(super) fn has_wide() -> bool {
        std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512dq")
    }

    /// True when the kernels of [`vl`] can run (AVX-512F, DQ and VL).
    pub(super) fn has_vl() -> bool {
        has_wide() && std::arch::is_x86_feature_detected!("avx512vl")
    }

    /// The strategy for an `m x k x n` product (`m, k, n >= 1`, not k-blocked), or `None` when it
    /// needs a packed operand larger than the stack buffer (then the scalar code runs it).
    pub(super) fn plan(m: usize, k: usize, n: usize, ta: bool, tb: bool, wide: bool) -> Option<Plan> {
        let ca = if ta { m } else { 1 };
        let rb = if tb { 1 } else { n };
        let kernel = matmul_kernel(m, n, ta, tb);
        if kernel != MatMulKernel::SeqFma {
            // Both vectors of every Dot8/Dot16 product are contiguous for the shapes that
            // `matmul_kernel` sends there; anything else goes to the scalar code.
            if !(ca == 1 || m == 1) || !(rb == 1 || n == 1) {
                return None;
            }
            // Eight outputs at a time, lanes across outputs: the shared vector is broadcast and
            // the other operand is read as k rows of contiguous outputs (gathered down the
            // columns of a row-major operand if need be). How many outputs of a gathered operand
            // go at a time: for long vectors (`k * w > PACK_MAX`) the per-output path below costs
            // less, so the slab is all or nothing (and the gathers' indices stay small).
            let slab = |w: usize| if k * w <= PACK_MAX { w } else { 0 };
            let plan = if kernel == MatMulKernel::Dot16 {
                // transpose_b, 2 <= m <= 15: row i of A against the rows of B, packed as [k, n].
                if wide && k <= 8 && n <= 8 {
                    Some(Plan::Dot16Pairs)
                } else {
                    ((n >= 4 || k < 16) && slab(n) > 0).then_some(Plan::Dot16Across { slab: slab(n) })
                }
            } else if n == 1 {
                // Outputs across i: op(A)^T as [k, m] (a itself with transpose_a).
                if !(m >= 4 || k < 16) {
                    None
                } else if ta {
                    Some(Plan::Dot8ColDirect)
                } else {
                    (slab(m) > 0).then_some(Plan::Dot8Col { slab: slab(m) })
                }
            } else if !(n >= 4 || k < 16) {
                None
            } else if !tb {
                // m == 1, outputs across j: op(B) as [k, n] (b itself without transpose_b).
                Some(Plan::Dot8RowDirect)
            } else {
                (slab(n) > 0).then_some(Plan::Dot8Row { slab: slab(n) })
            };
            return Some(plan.unwrap_or(Plan::PerOutput { dot16: kernel == MatMulKernel::Dot16 }));
        }
        // In-order FMAs: either rows of op(A) broadcast against contiguous rows of op(B)
        // ("normal"), or the transposed product, rows of op(B)^T against rows of op(A)^T.
        let pack_normal = tb; // op(B) rows contiguous only without transpose_b
        let pack_swapped = !ta; // op(A)^T rows contiguous only with transpose_a
        let fits_normal = !pack_normal || k * n <= SEQ_PACK_MAX;
        let fits_swapped = !pack_swapped || k * m <= PACK_MAX;
        let swapped = match (fits_normal, fits_swapped) {
            (false, false) => return None,
            (true, false) => false,
            (false, true) => true,
            (true, true) if m * n * k <= TINY => {
                // Tiny products: besides the vector operations, count the packing, the
                // scattered stores of the transposed product, and the FMA chains' latency
                // (about four cycles a step with the hardware's flush, as the fast path runs
                // them; eight with the software flush), which few chains cannot hide.
                let lanes = if wide { 16 } else { 8 };
                let cost = |chains: usize, packed: usize, scattered: usize| {
                    k * (chains * 2).max(4) + 2 * packed + 2 * scattered
                };
                let normal = cost(m * n.div_ceil(lanes), if pack_normal { k * n } else { 0 }, 0);
                // With one column (`n == 1`) the transposed product's stores are contiguous too.
                let scattered = if n == 1 { 0 } else { m * n };
                let swapped = cost(n * m.div_ceil(lanes), if pack_swapped { k * m } else { 0 }, scattered);
                swapped < normal
            }
            (true, true) => {
                let cost_normal = m * n.div_ceil(8);
                let cost_swapped = n * m.div_ceil(8);
                cost_swapped < cost_normal || (cost_swapped == cost_normal && pack_normal && !pack_swapped)
            }
        };
        Some(Plan::Seq { swapped, pack: if swapped { pack_swapped } else { pack_normal }, wide })
    }

    /// The floats of packing room that [`run`] needs for `plan`.
    pub(super) fn scratch_len(plan: Plan, m: usize, k: usize, n: usize) -> usize {
        match plan {
            Plan::Seq { pack: true, swapped: false, .. } => k * n,
            Plan::Seq { pack: true, swapped: true, .. } => k * m,
            _ => 0,
        }
    }

    /// Packs the `w` rows of `k` floats at the start of `src` (row `o` at `src[o * k..]`) as the
    /// `[k, w]` matrix of their columns (`buf[t * w + o] = src[o * k + t]`) and returns a pointer
    /// to it: `src` itself when `k == 1` (the layouts agree). Panics if `k * w` exceeds `buf` or
    /// `src`.
    #[inline]
    fn pack(buf: &mut [MaybeUninit<f32>], src: &[f32], k: usize, w: usize) -> *const f32 {
        assert!(k * w <= src.len(), "matmul_simd: pack outside its operand");
        if k == 1 {
            return src.as_ptr();
        }
        let dst = &mut buf[..k * w];
        // SAFETY: `src` holds at least `k * w` floats (checked above), `dst` exactly `k * w`.
        unsafe { transpose(src.as_ptr(), dst.as_mut_ptr().cast::<f32>(), k, w) };
        dst.as_ptr().cast::<f32>()
    }

    /// `d[t * w + o] = s[o * k + t]` for `t < k`, `o < w`, one float at a time: compiled apart
    /// from the AVX-512 kernels on purpose, where the compiler turns the strided stores into
    /// scatters, several times slower for these few floats.
    ///
    /// # Safety
    ///
    /// `s[..k * w]` is readable and `d[..k * w]` writable.
    #[inline(never)]
    unsafe fn transpose(s: *const f32, d: *mut f32, k: usize, w: usize) {
        for o in 0..w {
            for t in 0..k {
                // SAFETY: t * w + o and o * k + t are below k * w.
                unsafe { *d.add(t * w + o) = *s.add(o * k + t) };
            }
        }
    }

    /// The in-order FMA products of [`seq_fma`] on 16-lane AVX-512 vectors.
    pub(super) mod wide {
        use super::View;
        use std::arch::x86_64::*;

        /// Flush-to-zero on sixteen lanes, as `ftzv` on eight: lanes with
        /// `|v| < f32::MIN_POSITIVE` (not NaN) keep only their sign bit.
        #[inline]
        #[target_feature(enable = "avx512f,avx512dq")]
        fn ftz16(v: __m512) -> __m512 {
            // Class 0x20 is "denormal": one instruction instead of a mask, an and and a compare.
            let tiny = _mm512_fpclass_ps_mask::<0x20>(v);
            let bits = _mm512_castps_si512(v);
            _mm512_castsi512_ps(_mm512_mask_and_epi32(bits, tiny, bits, _mm512_set1_epi32(i32::MIN)))
        }

        /// The flush after each operation of a chain: [`ftz16`] in software (`SW`), or none where
        /// the hardware flushes (then it is the identity, and the chains are FMAs alone).
        #[inline]
        #[target_feature(enable = "avx512f,avx512dq")]
        fn flush16<const SW: bool>(v: __m512) -> __m512 {
            if SW { ftz16(v) } else { v }
        }

        /// The first `w` (1..=16) lanes.
        #[inline]
        fn mask16(w: usize) -> __mmask16 {
            if w >= 16 { 0xffff } else { ((1u32 << w) - 1) as u16 }
        }

        /// The Dot16 products of `transpose_b` with `k <= 8` and `n <= 8` (`Plan::Dot16Pairs`):
        /// `out[i * n + j]` for the `m` rows `c[i * k..][..k]` of A and the `n` rows `b[j * k..][..k]`
        /// of B, as the kernels' `dots16_short`, but two rows of A at a time, row `i` in the low
        /// half of each vector and row `i + 1` in the high half.
        ///
        /// # Safety
        ///
        /// AVX-512F and DQ; `1 <= k <= 8`, `1 <= n <= 8`; `c[..m * k]` and `b[..n * k]` readable,
        /// `out[..m * n]` writable.
        #[inline(never)]
        #[target_feature(enable = "avx512f,avx512dq")]
        pub(in crate::matmul_simd) unsafe fn dots16_pairs<const SW: bool>(
            c: *const f32,
            m: usize,
            k: usize,
            b: *const f32,
            n: usize,
            out: *mut f32,
        ) {
            // SAFETY (all): the caller's contract.
            unsafe {
                match k {
                    1 => dots16_pairs_k::<SW, 1>(c, m, b, n, out),
                    2 => dots16_pairs_k::<SW, 2>(c, m, b, n, out),
                    3 => dots16_pairs_k::<SW, 3>(c, m, b, n, out),
                    4 => dots16_pairs_k::<SW, 4>(c, m, b, n, out),
                    5 => dots16_pairs_k::<SW, 5>(c, m, b, n, out),
                    6 => dots16_pairs_k::<SW, 6>(c, m, b, n, out),
                    7 => dots16_pairs_k::<SW, 7>(c, m, b, n, out),
                    _ => dots16_pairs_k::<SW, 8>(c, m, b, n, out),
                }
            }
        }

        /// [`dots16_pairs`] for `k == K`.
        ///
        /// # Safety
        ///
        /// As [`dots16_pairs`] with `k == K`.
        #[inline]
        #[target_feature(enable = "avx512f,avx512dq")]
        unsafe fn dots16_pairs_k<const SW: bool, const K: usize>(
            c: *const f32,
            m: usize,
            b: *const f32,
            n: usize,
            out: *mut f32,
        ) {
            let zero = _mm512_setzero_ps();
            let wmask = mask16(n);
            // Column t of B's rows (b[j * K + t], j < n) in both halves.
            let idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(K as i32));
            let lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            let cols: [__m512; K] = std::array::from_fn(|t| {
                // SAFETY: b[j * K + t] for j < n is readable; the other lanes are not accessed.
                let col = unsafe {
                    _mm256_mask_i32gather_ps::<4>(_mm256_setzero_ps(), b.add(t), idx, _mm256_castsi256_ps(lanes))
                };
                _mm512_broadcast_f32x8(col)
            });
            // Lane q of the vector for term t: a[i, t] in the low half, a[i + 1, t] in the high one.
            let halves = _mm512_setr_epi32(
                0, 0, 0, 0, 0, 0, 0, 0, K as i32, K as i32, K as i32, K as i32, K as i32, K as i32, K as i32, K as i32,
            );
            let pick: [__m512i; K] = std::array::from_fn(|t| _mm512_add_epi32(halves, _mm512_set1_epi32(t as i32)));
            let mut i = 0;
            while i < m {
                let two = m - i >= 2;
                // SAFETY: rows i (and i + 1 when `two`) of A are readable; masked-off lanes are not
                // accessed.
                let pair = unsafe { _mm512_maskz_loadu_ps(mask16(if two { 2 * K } else { K }), c.add(i * K)) };
                let mut l: [__m512; 16] = std::array::from_fn(|t| {
                    if t < K {
                        flush16::<SW>(_mm512_fmadd_ps(_mm512_permutexvar_ps(pick[t], pair), cols[t], zero))
                    } else {
                        zero
                    }
                });
                // The tree of `dots16_short`: lanes from `live` on are +0.
                let mut live = K;
                let mut h = 16;
                while h > 1 {
                    h /= 2;
                    for q in 0..h.min(live) {
                        l[q] = if q + h < live {
                            flush16::<SW>(_mm512_add_ps(l[q], l[q + h]))
                        } else {
                            _mm512_add_ps(l[q], zero)
                        };
                    }
                    live = live.min(h);
                }
                // SAFETY: out[i * n..][..n] (and out[(i + 1) * n..][..n] when `two`, the high
                // half's lanes 8..8 + n from eight floats before it) are writable; masked-off lanes
                // are not accessed.
                unsafe {
                    _mm512_mask_storeu_ps(out.add(i * n), wmask, l[0]);
                    if two {
                        _mm512_mask_storeu_ps(out.add((i + 1) * n).wrapping_sub(8), wmask << 8, l[0]);
                    }
                }
                i += 2;
            }
        }

        /// `Plan::Seq { swapped, pack: false, wide: true }` of the `run` kernels, in one call
        /// (the operand views as `run` makes them, then [`seq_fma`]).
        ///
        /// # Safety
        ///
        /// AVX-512F and DQ; `m, k, n >= 1`; the slice lengths match the shape, and the plan needs
        /// no packing for it (`transpose_b == false` untransposed, `transpose_a` swapped).
        #[inline(never)]
        #[target_feature(enable = "avx512f,avx512dq")]
        pub(in crate::matmul_simd) unsafe fn seq_direct<const SW: bool>(
            swapped: bool,
            a: &[f32],
            b: &[f32],
            (m, k, n): (usize, usize, usize),
            ta: bool,
            tb: bool,
            out: &mut [f32],
        ) {
            let (ra, ca) = if ta { (1, m) } else { (k, 1) };
            let (rb, cb) = if tb { (1, k) } else { (n, 1) };
            let o = out.as_mut_ptr();
            // One call site, so that `seq_fma` is compiled into this function.
            let (lhs, rows, rhs, w, os_r, os_c) = if swapped {
                (View { ptr: b.as_ptr(), rs: cb, cs: rb }, n, a.as_ptr(), m, 1, n)
            } else {
                (View { ptr: a.as_ptr(), rs: ra, cs: ca }, m, b.as_ptr(), n, n, 1)
            };
            // SAFETY: as in `run`'s `Plan::Seq` arms, without packing (`b` is k rows of n when
            // untransposed, `a` k rows of m when swapped).
            unsafe { seq_fma::<SW>(lhs, rows, rhs, w, w, k, o, os_r, os_c) }
        }

        /// As `super::seq_fma`, 32 or 16 columns at a time.
        ///
        /// # Safety
        ///
        /// AVX-512F and DQ; otherwise as `super::seq_fma`.
        #[inline]
        #[target_feature(enable = "avx512f,avx512dq")]
        #[allow(clippy::too_many_arguments)]
        pub(super) unsafe fn seq_fma<const SW: bool>(
            lhs: View,
            rows: usize,
            rhs: *const f32,
            ld: usize,
            w: usize,
            k: usize,
            out: *mut f32,
            os_r: usize,
            os_c: usize,
        ) {
            let mut c0 = 0;
            while c0 < w {
                let cw = (w - c0).min(32);
                // SAFETY: rows below `rows` and columns c0..c0 + cw <= w are in range.
                unsafe {
                    if cw > 16 {
                        seq_rows::<SW, 2>(lhs, rows, rhs.add(c0), ld, cw, k, out, os_r, os_c, c0);
                    } else {
                        seq_rows::<SW, 1>(lhs, rows, rhs.add(c0), ld, cw, k, out, os_r, os_c, c0);
                    }
                }
                c0 += cw;
            }
        }

        /// All rows for the `cw` (`16 * C - 15 ..= 16 * C`) columns at `rhs`: eight at a time
        /// with one vector per row, else four (at least eight independent FMA chains, to hide
        /// their latency and the flushes').
        ///
        /// # Safety
        ///
        /// As [`seq_fma`], for columns `c0..c0 + cw`.
        #[inline]
        #[target_feature(enable = "avx512f,avx512dq")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn seq_rows<const SW: bool, const C: usize>(
            lhs: View,
            rows: usize,
            rhs: *const f32,
            ld: usize,
            cw: usize,
            k: usize,
            out: *mut f32,
            os_r: usize,
            os_c: usize,
            c0: usize,
        ) {
            let mut r0 = 0;
            // SAFETY (all calls below): rows r0..r0 + R <= rows and the columns are in range.
            while C == 1 && rows - r0 >= 8 {
                unsafe { seq_block::<SW, 8, C>(lhs, r0, rhs, ld, cw, k, out, os_r, os_c, c0) };
                r0 += 8;
            }
            while rows - r0 >= 4 {
                unsafe { seq_block::<SW, 4, C>(lhs, r0, rhs, ld, cw, k, out, os_r, os_c, c0) };
                r0 += 4;
            }
            match rows - r0 {
                3 => unsafe { seq_block::<SW, 3, C>(lhs, r0, rhs, ld, cw, k, out, os_r, os_c, c0) },
                2 => unsafe { seq_block::<SW, 2, C>(lhs, r0, rhs, ld, cw, k, out, os_r, os_c, c0) },
                1 => unsafe { seq_block::<SW, 1, C>(lhs, r0, rhs, ld, cw, k, out, os_r, os_c, c0) },
                _ => {}
            }
        }

        /// `R` rows from `r0` times the `cw` columns at `rhs`, in `C` vectors per row.
        ///
        /// # Safety
        ///
        /// As [`seq_fma`], for rows `r0..r0 + R` and columns `c0..c0 + cw`.
        #[inline(never)]
        #[target_feature(enable = "avx512f,avx512dq")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn seq_block<const SW: bool, const R: usize, const C: usize>(
            lhs: View,
            r0: usize,
            rhs: *const f32,
            ld: usize,
            cw: usize,
            k: usize,
            out: *mut f32,
            os_r: usize,
            os_c: usize,
            c0: usize,
        ) {
            let masks: [__mmask16; C] = std::array::from_fn(|q| mask16(cw - 16 * q));
            let mut rows = [lhs.ptr; R];
            for (r, p) in rows.iter_mut().enumerate() {
                // SAFETY: row r0 + r < rows starts inside the left operand.
                *p = unsafe { lhs.ptr.add((r0 + r) * lhs.rs) };
            }
            // SAFETY: rhs[t * ld + 16 * q ..][..min(16, cw - 16 * q)] is readable for t < k,
            // q < C; masked-off lanes are not accessed.
            let load = |t: usize| -> [__m512; C] {
                std::array::from_fn(|q| unsafe { _mm512_maskz_loadu_ps(masks[q], rhs.add(t * ld + 16 * q)) })
            };
            let b0 = load(0);
            let mut acc = [[_mm512_setzero_ps(); C]; R];
            for (acc, &p) in acc.iter_mut().zip(&rows) {
                // SAFETY: lhs(r, 0) is readable.
                let x = _mm512_set1_ps(unsafe { *p });
                for (acc, &b) in acc.iter_mut().zip(&b0) {
                    *acc = flush16::<SW>(_mm512_mul_ps(x, b));
                }
            }
            for t in 1..k {
                let bt = load(t);
                let off = t * lhs.cs;
                for (acc, &p) in acc.iter_mut().zip(&rows) {
                    // SAFETY: lhs(r, t) is readable (t < k).
                    let x = _mm512_set1_ps(unsafe { *p.add(off) });
                    for (acc, &b) in acc.iter_mut().zip(&bt) {
                        *acc = flush16::<SW>(_mm512_fmadd_ps(x, b, *acc));
                    }
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                for (q, (acc, &mask)) in acc.iter().zip(&masks).enumerate() {
                    let base = (r0 + r) * os_r + (c0 + 16 * q) * os_c;
                    if os_c == 1 {
                        // SAFETY: out[base ..][..n] is writable; masked-off lanes are not
                        // accessed.
                        unsafe { _mm512_mask_storeu_ps(out.add(base), mask, *acc) };
                    } else {
                        let mut l = [0.0f32; 16];
                        // SAFETY: `l` has room for sixteen lanes.
                        unsafe { _mm512_storeu_ps(l.as_mut_ptr(), *acc) };
                        for (c, &v) in l.iter().enumerate().take((cw - 16 * q).min(16)) {
                            // SAFETY: out[base + c * os_c] is writable for c < n.
                            unsafe { *out.add(base + c * os_c) = v };
                        }
                    }
                }
            }
        }
    }

    /// The kernels, compiled once per instruction set (`$feat`); each instantiation brings its
    /// own `ftzv` (the flush-to-zero on eight lanes).
    macro_rules! kernels {
        ($feat:literal) => {
            /// The flush after each operation: the instruction set's `ftz8` in software (`SW`), or
            /// none where the hardware flushes (a [`crate::denormal::HwFtz`] run).
            #[inline]
            #[target_feature(enable = $feat)]
            fn ftzv<const SW: bool>(v: __m256) -> __m256 {
                if SW { ftz8(v) } else { v }
            }

            /// Elements `o0..o0 + 8` (the lanes of `mask`) of row `t` of a `[k, w]` operand: `p[t * ld
            /// + o]`, or, with `G`, of the `w` rows of a row-major `[w, k]` operand read down their
            /// columns, `p[o * ld + t]` (a gather, instead of packing the operand transposed).
            ///
            /// # Safety
            ///
            /// The elements of the lanes of `mask` are readable (the others are not accessed); with
            /// `G`, `(o0 + 8) * ld` fits in `i32`.
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn col8<const G: bool>(p: *const f32, ld: usize, t: usize, o0: usize, mask: __m256i) -> __m256 {
                if G {
                    let lane =
                        _mm256_add_epi32(_mm256_set1_epi32(o0 as i32), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
                    let idx = _mm256_mullo_epi32(lane, _mm256_set1_epi32(ld as i32));
                    // SAFETY: the caller's contract.
                    unsafe {
                        _mm256_mask_i32gather_ps::<4>(_mm256_setzero_ps(), p.add(t), idx, _mm256_castsi256_ps(mask))
                    }
                } else {
                    // SAFETY: the caller's contract.
                    unsafe { _mm256_maskload_ps(p.add(t * ld + o0), mask) }
                }
            }

            /// The lane mask selecting the first `w` (1..=8) lanes.
            #[inline]
            #[target_feature(enable = $feat)]
            fn lane_mask(w: usize) -> __m256i {
                let idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
                _mm256_cmpgt_epi32(_mm256_set1_epi32(w as i32), idx)
            }

            /// Computes the product as `plan` (made by [`plan`] for this shape) says.
            ///
            /// # Safety
            ///
            /// The CPU must have AVX2 and FMA (and AVX-512F and DQ for a `wide` plan); `m, k, n >= 1`,
            /// the slice lengths must match the shape and `buf` must hold [`scratch_len`] floats.
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments)]
            pub(crate) unsafe fn run<const SW: bool>(
                plan: Plan,
                a: &[f32],
                b: &[f32],
                (m, k, n): (usize, usize, usize),
                ta: bool,
                tb: bool,
                out: &mut [f32],
                buf: &mut [MaybeUninit<f32>],
            ) {
                // Element t of row i of op(A) is a[i * ra + t * ca]; of column j of op(B), b[t * rb + j * cb].
                let (ra, ca) = if ta { (1, m) } else { (k, 1) };
                let (rb, cb) = if tb { (1, k) } else { (n, 1) };
                let o = out.as_mut_ptr();
                match plan {
                    Plan::Dot16Across { slab } => {
                        for j0 in (0..n).step_by(slab) {
                            let w = slab.min(n - j0);
                            // SAFETY: row i < m of A is a[i * k .. i * k + k] (no transpose_a); rows
                            // j0..j0 + w of B (b[j * k + t], read down their columns) are inside `b`;
                            // out[i * n + j0 ..][..w] is inside `out`.
                            unsafe {
                                dots16_across::<SW, true>(a.as_ptr(), m, k, b.as_ptr().add(j0 * k), k, w, o.add(j0), n)
                            };
                        }
                    }
                    Plan::Dot16Pairs => {
                        // SAFETY: the rows of A are a[i * k..][..k] for i < m (no transpose_a), those of
                        // B b[j * k..][..k] for j < n; out is [m, n]; `Dot16Pairs` only where the CPU
                        // has AVX-512F and DQ, with k, n <= 8.
                        unsafe { super::wide::dots16_pairs::<SW>(a.as_ptr(), m, k, b.as_ptr(), n, o) };
                    }
                    Plan::Dot8ColDirect => {
                        // SAFETY: b is the k-vector of the single column; a is [k, m], k rows of m;
                        // out[i] for i < m is inside `out` (n == 1).
                        unsafe { dots_across::<SW, false, false>(b.as_ptr(), a.as_ptr(), m, m, k, o, 1) };
                    }
                    Plan::Dot8Col { slab } => {
                        // SAFETY: the caller's contract.
                        unsafe { dot8_col::<SW>(a, b, m, k, slab, out) };
                    }
                    Plan::Dot8RowDirect => {
                        // SAFETY: a is the k-vector of the single row (m == 1); b is k rows of n;
                        // out[j] for j < n is inside `out`.
                        unsafe { dots_across::<SW, false, false>(a.as_ptr(), b.as_ptr(), n, n, k, o, 1) };
                    }
                    Plan::Dot8Row { slab } => {
                        for j0 in (0..n).step_by(slab) {
                            let w = slab.min(n - j0);
                            // SAFETY: a is the k-vector of the single row (m == 1); rows j0..j0 + w of
                            // B (read down their columns) are inside `b`; out[j0 ..][..w] is inside
                            // `out`.
                            unsafe {
                                dots_across::<SW, false, true>(
                                    a.as_ptr(),
                                    b.as_ptr().add(j0 * k),
                                    k,
                                    w,
                                    k,
                                    o.add(j0),
                                    1,
                                )
                            };
                        }
                    }
                    Plan::PerOutput { dot16: d16 } => {
                        for i in 0..m {
                            for j in 0..n {
                                // SAFETY: row i of op(A) spans a[i * ra .. i * ra + k] (ca == 1, or
                                // m == 1 so ra == 1 with ta, or ra == k without), column j of op(B)
                                // spans b[j * cb .. j * cb + k]; both are inside the slices, whose
                                // lengths match the shape.
                                let v = unsafe {
                                    let x = a.as_ptr().add(i * ra);
                                    let y = b.as_ptr().add(j * cb);
                                    if d16 { dot16::<SW>(x, y, k) } else { dot8::<SW>(x, y, k) }
                                };
                                out[i * n + j] = v;
                            }
                        }
                    }
                    Plan::Seq { swapped: false, pack: pk, wide } => {
                        let lhs = View { ptr: a.as_ptr(), rs: ra, cs: ca };
                        // op(B)[t, j] = b[j * k + t] when packed.
                        let rhs = if pk { pack(buf, b, k, n) } else { b.as_ptr() };
                        // SAFETY: lhs element (i, t) for i < m, t < k is a[i * ra + t * ca], inside `a`;
                        // rhs has k rows of n contiguous elements (`b` or the packed `buf`); out element
                        // (i, j) is out[i * n + j], inside `out`; `wide` only where the CPU has AVX-512.
                        unsafe {
                            if wide {
                                super::wide::seq_fma::<SW>(lhs, m, rhs, n, n, k, o, n, 1);
                            } else {
                                seq_fma::<SW>(lhs, m, rhs, n, n, k, o, n, 1);
                            }
                        }
                    }
                    Plan::Seq { swapped: true, pack: pk, wide } => {
                        // Row j of op(B)^T, element t: op(B)[t, j] = b[t * rb + j * cb].
                        let lhs = View { ptr: b.as_ptr(), rs: cb, cs: rb };
                        // op(A)^T[t, i] = op(A)[i, t] = a[i * k + t] when packed; with transpose_a, a
                        // is [k, m]: a[t * m + i] is op(A)[i, t].
                        let rhs = if pk { pack(buf, a, k, m) } else { a.as_ptr() };
                        // SAFETY: lhs element (j, t) for j < n, t < k is b[j * cb + t * rb], inside `b`;
                        // rhs has k rows of m contiguous elements; out element (j, i) of the transposed
                        // product is out[i * n + j], inside `out`; `wide` only with AVX-512.
                        unsafe {
                            if wide {
                                super::wide::seq_fma::<SW>(lhs, n, rhs, m, m, k, o, 1, n);
                            } else {
                                seq_fma::<SW>(lhs, n, rhs, m, m, k, o, 1, n);
                            }
                        }
                    }
                }
            }

            /// `Plan::Dot8Col`: `n == 1`, the rows of A gathered down their columns in slabs of
            /// `slab`, eight outputs at a time. Its own function so that the fast path's call
            /// goes straight here, not through [`run`]'s dispatch.
            ///
            /// # Safety
            ///
            /// As [`run`] for a `Dot8Col` plan of this shape.
            #[inline(never)]
            #[target_feature(enable = $feat)]
            pub(crate) unsafe fn dot8_col<const SW: bool>(
                a: &[f32],
                b: &[f32],
                m: usize,
                k: usize,
                slab: usize,
                out: &mut [f32],
            ) {
                let o = out.as_mut_ptr();
                for i0 in (0..m).step_by(slab) {
                    let w = slab.min(m - i0);
                    // SAFETY: b is the k-vector of the single column; rows i0..i0 + w of A
                    // (a[i * k + t], read down their columns) are inside `a`; out[i0 ..][..w]
                    // is inside `out` (n == 1).
                    unsafe {
                        dots_across::<SW, false, true>(b.as_ptr(), a.as_ptr().add(i0 * k), k, w, k, o.add(i0), 1)
                    };
                }
            }

            /// The Dot16 products of the `m` rows `c[i * k..][..k]` against the `w` columns of the
            /// `[k, w]` matrix `p` (row stride `ld`), to `out[i * ldo..][..w]`: [`dots_across`], with
            /// the sixteen lanes of TF's kernel in registers for `k <= 16`. Not inlined: one call per
            /// product, whose code depends on `k` alone.
            ///
            /// # Safety
            ///
            /// As [`dots_across`] with `os == 1`, for each row: `c[0..m * k]` readable and
            /// `out[i * ldo..][..w]` writable for `i < m`.
            #[inline(never)]
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments)]
            unsafe fn dots16_across<const SW: bool, const G: bool>(
                c: *const f32,
                m: usize,
                k: usize,
                p: *const f32,
                ld: usize,
                w: usize,
                out: *mut f32,
                ldo: usize,
            ) {
                // SAFETY (all): the caller's contract.
                unsafe {
                    match k {
                        1 => dots16_short::<SW, G, 1>(c, m, p, ld, w, out, ldo),
                        2 => dots16_short::<SW, G, 2>(c, m, p, ld, w, out, ldo),
                        3 => dots16_short::<SW, G, 3>(c, m, p, ld, w, out, ldo),
                        4 => dots16_short::<SW, G, 4>(c, m, p, ld, w, out, ldo),
                        5 => dots16_short::<SW, G, 5>(c, m, p, ld, w, out, ldo),
                        6 => dots16_short::<SW, G, 6>(c, m, p, ld, w, out, ldo),
                        7 => dots16_short::<SW, G, 7>(c, m, p, ld, w, out, ldo),
                        8 => dots16_short::<SW, G, 8>(c, m, p, ld, w, out, ldo),
                        9 => dots16_short::<SW, G, 9>(c, m, p, ld, w, out, ldo),
                        10 => dots16_short::<SW, G, 10>(c, m, p, ld, w, out, ldo),
                        11 => dots16_short::<SW, G, 11>(c, m, p, ld, w, out, ldo),
                        12 => dots16_short::<SW, G, 12>(c, m, p, ld, w, out, ldo),
                        13 => dots16_short::<SW, G, 13>(c, m, p, ld, w, out, ldo),
                        14 => dots16_short::<SW, G, 14>(c, m, p, ld, w, out, ldo),
                        15 => dots16_short::<SW, G, 15>(c, m, p, ld, w, out, ldo),
                        16 => dots16_short::<SW, G, 16>(c, m, p, ld, w, out, ldo),
                        _ => {
                            for i in 0..m {
                                dots_across::<SW, true, G>(c.add(i * k), p, ld, w, k, out.add(i * ldo), 1);
                            }
                        }
                    }
                }
            }

            /// [`dots_across`]`::<true>` for `k == K <= 16` (one pass of the lanes, then the tree), with
            /// every loop bound known at compile time, for the `m` rows of [`dots16_across`]: each
            /// eight columns of `p` are loaded once for all the rows.
            ///
            /// # Safety
            ///
            /// As [`dots16_across`] with `k == K`.
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn dots16_short<const SW: bool, const G: bool, const K: usize>(
                c: *const f32,
                m: usize,
                p: *const f32,
                ld: usize,
                w: usize,
                out: *mut f32,
                ldo: usize,
            ) {
                for o0 in (0..w).step_by(8) {
                    let cw = (w - o0).min(8);
                    let mask = lane_mask(cw);
                    let zero = _mm256_setzero_ps();
                    // SAFETY: t < K = k and columns o0..o0 + cw < w are readable (masked-off lanes are
                    // not accessed).
                    let cols: [__m256; K] = std::array::from_fn(|t| unsafe { col8::<G>(p, ld, t, o0, mask) });
                    for i in 0..m {
                        // SAFETY: c[i * K + t] for t < K is readable (row i < m).
                        let mut l: [__m256; 16] = std::array::from_fn(|t| {
                            if t < K {
                                ftzv::<SW>(_mm256_fmadd_ps(_mm256_set1_ps(unsafe { *c.add(i * K + t) }), cols[t], zero))
                            } else {
                                zero
                            }
                        });
                        // The tree of `dots_across`: lanes from `live` on are +0 (adding one only turns
                        // -0 into +0).
                        let mut live = K;
                        let mut h = 16;
                        while h > 1 {
                            h /= 2;
                            for i in 0..h.min(live) {
                                l[i] = if i + h < live {
                                    ftzv::<SW>(_mm256_add_ps(l[i], l[i + h]))
                                } else {
                                    _mm256_add_ps(l[i], zero)
                                };
                            }
                            live = live.min(h);
                        }
                        // SAFETY: out[i * ldo + o0 ..][..cw] is writable; masked-off lanes are not
                        // accessed.
                        unsafe { _mm256_maskstore_ps(out.add(i * ldo + o0), mask, l[0]) };
                    }
                }
            }

            /// `W = min(8, w - o0)` of the Dot8 (`D16 == false`) or Dot16 products of the shared vector
            /// `c[0..k]` with the columns `o < w` of the `[k, w]` matrix `p` (row stride `ld`), written to
            /// `out[o * os]`: the lanes of TF's kernel are arrays of vectors across eight outputs, so
            /// every operation is the scalar one, eight outputs at a time.
            ///
            /// # Safety
            ///
            /// AVX2 and FMA; `c[0..k]` readable; `p[t * ld + o]` readable for `t < k`, `o < w`;
            /// `out[o * os]` writable for `o < w`.
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments)]
            unsafe fn dots_across<const SW: bool, const D16: bool, const G: bool>(
                c: *const f32,
                p: *const f32,
                ld: usize,
                w: usize,
                k: usize,
                out: *mut f32,
                os: usize,
            ) {
                for o0 in (0..w).step_by(8) {
                    let cw = (w - o0).min(8);
                    let mask = lane_mask(cw);
                    // SAFETY: t < k and columns o0..o0 + cw < w are readable (masked-off lanes are not
                    // accessed), c[t] for t < k is readable.
                    let row = |t: usize| unsafe { col8::<G>(p, ld, t, o0, mask) };
                    // SAFETY: as above.
                    let cv = |t: usize| unsafe { _mm256_set1_ps(*c.add(t)) };
                    let fma = |t: usize, acc: __m256| ftzv::<SW>(_mm256_fmadd_ps(cv(t), row(t), acc));
                    let prod = |t: usize| ftzv::<SW>(_mm256_mul_ps(cv(t), row(t)));
                    let addv = |x: __m256, y: __m256| ftzv::<SW>(_mm256_add_ps(x, y));
                    let v = if D16 {
                        let mut l = [_mm256_setzero_ps(); 16];
                        for c0 in (0..k).step_by(16) {
                            for (q, l) in l.iter_mut().enumerate().take(k - c0) {
                                *l = fma(c0 + q, *l);
                            }
                        }
                        // Lanes from `live` on were never touched and are +0: adding one is exact and
                        // only turns -0 into +0 (the lanes are flushed already), and adding two is +0.
                        let mut live = k.min(16);
                        let mut h = 16;
                        while h > 1 {
                            h /= 2;
                            for i in 0..h.min(live) {
                                l[i] = if i + h < live {
                                    addv(l[i], l[i + h])
                                } else {
                                    _mm256_add_ps(l[i], _mm256_setzero_ps())
                                };
                            }
                            live = live.min(h);
                        }
                        l[0]
                    } else {
                        let hsum = |l: &[__m256; 8]| {
                            let q = [addv(l[0], l[1]), addv(l[2], l[3]), addv(l[4], l[5]), addv(l[6], l[7])];
                            addv(addv(q[0], q[2]), addv(q[1], q[3]))
                        };
                        let mut total: Option<__m256> = None;
                        let mut push = |v: __m256| {
                            total = Some(match total {
                                Some(s) => addv(s, v),
                                None => v,
                            })
                        };
                        let k16 = k / 16 * 16;
                        let mut t = 0;
                        if k16 > 0 {
                            let mut l: [__m256; 8] = std::array::from_fn(prod);
                            for c0 in (8..k16).step_by(8) {
                                for (q, l) in l.iter_mut().enumerate() {
                                    *l = fma(c0 + q, *l);
                                }
                            }
                            push(hsum(&l));
                            t = k16;
                        }
                        if k - t >= 8 {
                            push(hsum(&std::array::from_fn(|q| prod(t + q))));
                            t += 8;
                        }
                        if k - t >= 4 {
                            push(addv(addv(prod(t), prod(t + 1)), addv(prod(t + 2), prod(t + 3))));
                            t += 4;
                        }
                        if k - t >= 2 {
                            push(addv(prod(t), prod(t + 1)));
                            t += 2;
                        }
                        if k - t == 1 {
                            push(prod(t));
                        }
                        total.unwrap_or(_mm256_setzero_ps())
                    };
                    if os == 1 {
                        // SAFETY: out[o0 .. o0 + cw] is writable; masked-off lanes are not accessed.
                        unsafe { _mm256_maskstore_ps(out.add(o0), mask, v) };
                    } else {
                        for (q, &x) in lanes8(v).iter().enumerate().take(cw) {
                            // SAFETY: out[(o0 + q) * os] is writable for q < cw.
                            unsafe { *out.add((o0 + q) * os) = x };
                        }
                    }
                }
            }

            /// In-order FMA products: for `r < rows`, `c < w`, `out[r * os_r + c * os_c]` is
            /// `lhs(r, 0) * rhs[c]`, then `fma(lhs(r, t), rhs[t * ld + c], acc)` for `t = 1..k`.
            ///
            /// # Safety
            ///
            /// AVX2 and FMA; `lhs(r, t)` readable for `r < rows`, `t < k`; `rhs[t * ld + c]` readable
            /// for `t < k`, `c < w`; `out[r * os_r + c * os_c]` writable for `r < rows`, `c < w`.
            #[inline]
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments)]
            unsafe fn seq_fma<const SW: bool>(
                lhs: View,
                rows: usize,
                rhs: *const f32,
                ld: usize,
                w: usize,
                k: usize,
                out: *mut f32,
                os_r: usize,
                os_c: usize,
            ) {
                let mut c0 = 0;
                while c0 < w {
                    // Sixteen columns (two vectors) at a time while more than eight remain: with four
                    // rows that is eight independent FMA chains, enough to hide their latency.
                    let cw = (w - c0).min(16);
                    if cw > 8 {
                        // SAFETY: rows below `rows` and columns c0..c0 + cw <= w are in range.
                        unsafe { seq_rows::<SW, 2>(lhs, rows, rhs.add(c0), ld, cw, k, out, os_r, os_c, c0) };
                    } else {
                        // SAFETY: as above.
                        unsafe { seq_rows::<SW, 1>(lhs, rows, rhs.add(c0), ld, cw, k, out, os_r, os_c, c0) };
                    }
                    c0 += cw;
                }
            }

            /// All rows of [`seq_fma`] for the `cw` (`8 * C - 7 ..= 8 * C`) columns starting at `rhs`
            /// (column `c0` of the full right operand), four rows at a time.
            ///
            /// # Safety
            ///
            /// As [`seq_fma`], for columns `c0..c0 + cw`.
            #[inline]
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments)]
            unsafe fn seq_rows<const SW: bool, const C: usize>(
                lhs: View,
                rows: usize,
                rhs: *const f32,
                ld: usize,
                cw: usize,
                k: usize,
                out: *mut f32,
                os_r: usize,
                os_c: usize,
                c0: usize,
            ) {
                let mut r0 = 0;
                // SAFETY (all calls below): rows r0..r0 + R <= rows and the columns are in range.
                while rows - r0 >= 4 {
                    unsafe { seq_block::<SW, 4, C>(lhs, r0, rhs, ld, cw, k, out, os_r, os_c, c0) };
                    r0 += 4;
                }
                match rows - r0 {
                    3 => unsafe { seq_block::<SW, 3, C>(lhs, r0, rhs, ld, cw, k, out, os_r, os_c, c0) },
                    2 => unsafe { seq_block::<SW, 2, C>(lhs, r0, rhs, ld, cw, k, out, os_r, os_c, c0) },
                    1 => unsafe { seq_block::<SW, 1, C>(lhs, r0, rhs, ld, cw, k, out, os_r, os_c, c0) },
                    _ => {}
                }
            }

            /// `R` rows starting at `r0` times the `cw` (`8 * C - 7 ..= 8 * C`) columns starting at
            /// `rhs` (column `c0` of the full right operand) of [`seq_fma`], in `C` vectors per row.
            ///
            /// # Safety
            ///
            /// As [`seq_fma`], for rows `r0..r0 + R` and columns `c0..c0 + cw`.
            #[inline]
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments)]
            unsafe fn seq_block<const SW: bool, const R: usize, const C: usize>(
                lhs: View,
                r0: usize,
                rhs: *const f32,
                ld: usize,
                cw: usize,
                k: usize,
                out: *mut f32,
                os_r: usize,
                os_c: usize,
                c0: usize,
            ) {
                let masks: [__m256i; C] = std::array::from_fn(|q| lane_mask((cw - 8 * q).min(8)));
                let mut rows = [lhs.ptr; R];
                for (r, p) in rows.iter_mut().enumerate() {
                    // SAFETY: row r0 + r < rows starts inside the left operand.
                    *p = unsafe { lhs.ptr.add((r0 + r) * lhs.rs) };
                }
                // SAFETY: rhs[t * ld + 8 * q ..][..min(8, cw - 8 * q)] is readable for t < k, q < C
                // (8 * q < cw); masked-off lanes are not accessed.
                let load = |t: usize| -> [__m256; C] {
                    std::array::from_fn(|q| unsafe { _mm256_maskload_ps(rhs.add(t * ld + 8 * q), masks[q]) })
                };
                let b0 = load(0);
                let mut acc = [[_mm256_setzero_ps(); C]; R];
                for (acc, &p) in acc.iter_mut().zip(&rows) {
                    // SAFETY: lhs(r, 0) is readable.
                    let x = _mm256_set1_ps(unsafe { *p });
                    for (acc, &b) in acc.iter_mut().zip(&b0) {
                        *acc = ftzv::<SW>(_mm256_mul_ps(x, b));
                    }
                }
                for t in 1..k {
                    let bt = load(t);
                    let off = t * lhs.cs;
                    for (acc, &p) in acc.iter_mut().zip(&rows) {
                        // SAFETY: lhs(r, t) is readable (t < k).
                        let x = _mm256_set1_ps(unsafe { *p.add(off) });
                        for (acc, &b) in acc.iter_mut().zip(&bt) {
                            *acc = ftzv::<SW>(_mm256_fmadd_ps(x, b, *acc));
                        }
                    }
                }
                for (r, acc) in acc.iter().enumerate() {
                    for (q, (acc, &mask)) in acc.iter().zip(&masks).enumerate() {
                        let base = (r0 + r) * os_r + (c0 + 8 * q) * os_c;
                        let n = (cw - 8 * q).min(8);
                        if os_c == 1 {
                            // SAFETY: out[base .. base + n] is writable; masked-off lanes are not
                            // accessed.
                            unsafe { _mm256_maskstore_ps(out.add(base), mask, *acc) };
                        } else {
                            for (c, &v) in lanes8(*acc).iter().enumerate().take(n) {
                                // SAFETY: out[base + c * os_c] is writable for c < n.
                                unsafe { *out.add(base + c * os_c) = v };
                            }
                        }
                    }
                }
            }

            /// Eight lanes as an array.
            #[inline]
            #[target_feature(enable = $feat)]
            fn lanes8(v: __m256) -> [f32; 8] {
                let mut l = [0.0f32; 8];
                // SAFETY: `l` has room for eight lanes.
                unsafe { _mm256_storeu_ps(l.as_mut_ptr(), v) };
                l
            }

            /// `eigen_math`'s `dot8` of the contiguous vectors `x[0..k]` and `y[0..k]`.
            ///
            /// # Safety
            ///
            /// AVX2 and FMA; `x[0..k]` and `y[0..k]` readable.
            #[target_feature(enable = $feat)]
            unsafe fn dot8<const SW: bool>(x: *const f32, y: *const f32, k: usize) -> f32 {
                // SAFETY: every index below is < k.
                unsafe {
                    let mut total: Option<f32> = None;
                    let k16 = k / 16 * 16;
                    let mut t = 0;
                    if k16 > 0 {
                        let mut lanes = ftzv::<SW>(_mm256_mul_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(y)));
                        for c in (8..k16).step_by(8) {
                            lanes = ftzv::<SW>(_mm256_fmadd_ps(
                                _mm256_loadu_ps(x.add(c)),
                                _mm256_loadu_ps(y.add(c)),
                                lanes,
                            ));
                        }
                        push_total(&mut total, hsum8_pairs(&lanes8(lanes)));
                        t = k16;
                    }
                    if k - t >= 8 {
                        let lanes = ftzv::<SW>(_mm256_mul_ps(_mm256_loadu_ps(x.add(t)), _mm256_loadu_ps(y.add(t))));
                        push_total(&mut total, hsum8_pairs(&lanes8(lanes)));
                        t += 8;
                    }
                    let p = |t: usize| mul(*x.add(t), *y.add(t));
                    if k - t >= 4 {
                        let v = add(add(p(t), p(t + 1)), add(p(t + 2), p(t + 3)));
                        push_total(&mut total, v);
                        t += 4;
                    }
                    if k - t >= 2 {
                        push_total(&mut total, add(p(t), p(t + 1)));
                        t += 2;
                    }
                    if k - t == 1 {
                        push_total(&mut total, p(t));
                    }
                    total.unwrap_or(0.0)
                }
            }

            /// `eigen_math`'s `dot16` of the contiguous vectors `x[0..k]` and `y[0..k]`.
            ///
            /// # Safety
            ///
            /// AVX2 and FMA; `x[0..k]` and `y[0..k]` readable.
            #[target_feature(enable = $feat)]
            unsafe fn dot16<const SW: bool>(x: *const f32, y: *const f32, k: usize) -> f32 {
                // SAFETY: every index below is < k.
                unsafe {
                    let k16 = k / 16 * 16;
                    let mut lo = _mm256_setzero_ps();
                    let mut hi = _mm256_setzero_ps();
                    for c in (0..k16).step_by(16) {
                        lo = ftzv::<SW>(_mm256_fmadd_ps(_mm256_loadu_ps(x.add(c)), _mm256_loadu_ps(y.add(c)), lo));
                        hi = ftzv::<SW>(_mm256_fmadd_ps(
                            _mm256_loadu_ps(x.add(c + 8)),
                            _mm256_loadu_ps(y.add(c + 8)),
                            hi,
                        ));
                    }
                    let mut lanes = [0.0f32; 16];
                    _mm256_storeu_ps(lanes.as_mut_ptr(), lo);
                    _mm256_storeu_ps(lanes.as_mut_ptr().add(8), hi);
                    for t in k16..k {
                        let l = &mut lanes[t - k16];
                        *l = ftz((*x.add(t)).mul_add(*y.add(t), *l));
                    }
                    halve16(&mut lanes)
                }
            }
        };
    }

    /// The kernels on AVX2 and FMA.
    pub(super) mod v2 {
        use super::*;

        /// Flush-to-zero on eight lanes: lanes with `|v| < f32::MIN_POSITIVE` (zeros and subnormals,
        /// not NaN) keep only their sign bit.
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        fn ftz8(v: __m256) -> __m256 {
            let abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
            let tiny = _mm256_cmp_ps::<_CMP_LT_OQ>(_mm256_and_ps(v, abs_mask), _mm256_set1_ps(f32::MIN_POSITIVE));
            _mm256_andnot_ps(_mm256_and_ps(tiny, abs_mask), v)
        }

        kernels!("avx2,fma");
    }

    /// The kernels on AVX2 and FMA where the CPU also has AVX-512F, DQ and VL: the same
    /// instructions on eight lanes, but a flush-to-zero of two instructions instead of four.
    pub(super) mod vl {
        use super::*;

        /// Flush-to-zero on eight lanes with AVX-512VL and DQ: lanes of class "denormal" keep only
        /// their sign bit (the same lanes as the AVX2 version's compare picks).
        #[inline]
        #[target_feature(enable = "avx2,fma,avx512f,avx512dq,avx512vl")]
        fn ftz8(v: __m256) -> __m256 {
            let tiny = _mm256_fpclass_ps_mask::<0x20>(v);
            let bits = _mm256_castps_si256(v);
            _mm256_castsi256_ps(_mm256_mask_and_epi32(bits, tiny, bits, _mm256_set1_epi32(i32::MIN)))
        }

        kernels!("avx2,fma,avx512f,avx512dq,avx512vl");
    }
}
