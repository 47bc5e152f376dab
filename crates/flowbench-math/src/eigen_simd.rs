//! 8-wide AVX2 versions of the packet-path lanes of [`lanes`](crate::lanes); this
//! file imports only the lanes, and `eigen` dispatches to it.
//!
//! Every function here computes, for the *packet part* of a tensor (a length that is a multiple
//! of [`PACKET_SIZE`]; callers pass `&x[..packet_len(n)]`), exactly the bits that the
//! corresponding scalar lane function of `eigen_math` gives element by element:
//!
//! | function | lane function |
//! |---|---|
//! | [`sigmoid_packets`] | [`sigmoid_packet_lane`] |
//! | [`exp_packets`] | [`exp_packet_lane`] |
//! | [`log_packets`] | [`log_packet_lane`] |
//! | [`tanh_packets`] | [`tanh_lane`] |
//! | [`reciprocal_packets`] | [`reciprocal_packet_lane`] |
//! | [`sigmoid_grad_packets`] | the packet path of [`sigmoid_grad_f32`](crate::eigen::sigmoid_grad_f32): `dy * (y * (1 - y))` |
//! | [`tanh_grad_packets`] | the packet path of [`tanh_grad_f32`](crate::eigen::tanh_grad_f32): `dy * (1 - y * y)` |
//!
//! Bit-identity holds because the lanes are independent and each vector step is the same IEEE
//! operation, on the same operands in the same order, as the scalar step: separate multiplies
//! and adds (no FMA), `minps`/`maxps` with Eigen's operand order, `cvttps2dq`, `roundps` for
//! `floor`, `rcpps` for the reciprocal estimate (the same per-lane estimate as the scalar
//! `rcpss` on the same core), and the software flush-to-zero after every operation done with an
//! integer compare on the exponent bits and a mask. Branches of the scalar code become masks and
//! blends. `tests/eigen_simd.rs` checks each function against its lane function on all 2^32
//! inputs (one-input functions) or on millions of random and special pairs (gradients).
//!
//! The public functions are safe: they use AVX2 when the running CPU has it (detected at run
//! time) and otherwise fall back to the scalar lane functions.
//!
//! Each kernel is written once, generic over the flush policy (`Flush`, in `lanes`):
//! `sigmoid_packets` flushes in software and runs on any thread; `sigmoid_packets_hw` takes an
//! [`HwFtz`] token and leaves the flushes to the hardware (the same instructions without the
//! integer compare and mask after each operation). Under the hardware modes the two give the same
//! bits on every input (`tests` below, over all 2^32 inputs with `--ignored`).

use crate::denormal::HwFtz;
#[cfg(doc)]
use crate::lanes::PACKET_SIZE;
use crate::lanes::{Flush, Hard, Soft};
#[cfg(doc)]
use crate::lanes::{
    exp_packet_lane, log_packet_lane, reciprocal_packet_lane, sigmoid_grad_packet_lane, sigmoid_packet_lane,
    tanh_grad_packet_lane, tanh_lane,
};
use crate::lanes::{
    exp_packet_lane_with, log_packet_lane_with, reciprocal_packet_lane_with, sigmoid_grad_packet_lane_with,
    sigmoid_packet_lane_with, tanh_grad_packet_lane_with, tanh_lane_with,
};

/// Panics unless `x` and `out` have the same length, a multiple of the packet size.
fn check_lengths(x: usize, out: usize) {
    assert_eq!(x, out, "eigen_simd: input and output lengths differ");
    assert!(x.is_multiple_of(8), "eigen_simd: length is not a multiple of the packet size");
}

/// Whether the AVX2 kernels may run on this CPU.
#[cfg(target_arch = "x86_64")]
#[inline]
fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// Defines the safe one-input slice functions of a kernel: `$with::<F>` (AVX2 kernel when
/// available, else the lane function), `$name` (software flush) and `$hw` (hardware flush).
macro_rules! unary_packets {
    ($(#[$doc:meta])* $name:ident, $hw:ident, $with:ident, $kernel:ident, $lane:ident) => {
        /// The slice function under flush policy `F`.
        #[inline]
        pub(crate) fn $with<F: Flush>(x: &[f32], out: &mut [f32]) {
            check_lengths(x.len(), out.len());
            #[cfg(target_arch = "x86_64")]
            if has_avx2() {
                // SAFETY: AVX2 was detected on this CPU just above, and the lengths were checked.
                unsafe { avx2::$kernel::<F>(x, out) };
                return;
            }
            for (o, &v) in out.iter_mut().zip(x) {
                *o = $lane::<F>(v);
            }
        }

        $(#[$doc])*
        ///
        /// # Panics
        /// If `x` and `out` differ in length or the length is not a multiple of 8.
        pub fn $name(x: &[f32], out: &mut [f32]) {
            $with::<Soft>(x, out)
        }

        #[doc = concat!("[`", stringify!($name), "`] on a thread that flushes in hardware (the same bits).")]
        ///
        /// # Panics
        /// If `x` and `out` differ in length or the length is not a multiple of 8.
        pub fn $hw(x: &[f32], out: &mut [f32], _: HwFtz<'_>) {
            $with::<Hard>(x, out)
        }
    };
}

/// Defines the safe two-input slice functions of a kernel: `$with::<F>` (AVX2 kernel when
/// available, else the packet lane function), `$name` (software flush) and `$hw` (hardware
/// flush).
macro_rules! binary_packets {
    ($(#[$doc:meta])* $name:ident, $hw:ident, $with:ident, $kernel:ident, $lane:ident) => {
        /// The slice function under flush policy `F`.
        #[inline]
        pub(crate) fn $with<F: Flush>(y: &[f32], dy: &[f32], out: &mut [f32]) {
            check_lengths(y.len(), out.len());
            check_lengths(dy.len(), out.len());
            #[cfg(target_arch = "x86_64")]
            if has_avx2() {
                // SAFETY: AVX2 was detected on this CPU just above, and the lengths were checked.
                unsafe { avx2::$kernel::<F>(y, dy, out) };
                return;
            }
            for ((o, &a), &d) in out.iter_mut().zip(y).zip(dy) {
                *o = $lane::<F>(a, d);
            }
        }

        $(#[$doc])*
        ///
        /// # Panics
        /// If the slices differ in length or the length is not a multiple of 8.
        pub fn $name(y: &[f32], dy: &[f32], out: &mut [f32]) {
            $with::<Soft>(y, dy, out)
        }

        #[doc = concat!("[`", stringify!($name), "`] on a thread that flushes in hardware (the same bits).")]
        ///
        /// # Panics
        /// If the slices differ in length or the length is not a multiple of 8.
        pub fn $hw(y: &[f32], dy: &[f32], out: &mut [f32], _: HwFtz<'_>) {
            $with::<Hard>(y, dy, out)
        }
    };
}

unary_packets!(
    /// [`sigmoid_packet_lane`] on every element of `x` (Eigen's 8-wide logistic), into `out`.
    sigmoid_packets,
    sigmoid_packets_hw,
    sigmoid_packets_with,
    sigmoid,
    sigmoid_packet_lane_with
);
unary_packets!(
    /// [`exp_packet_lane`] on every element of `x` (Eigen's `pexp_float`), into `out`.
    exp_packets,
    exp_packets_hw,
    exp_packets_with,
    exp,
    exp_packet_lane_with
);
unary_packets!(
    /// [`log_packet_lane`] on every element of `x` (Eigen's `plog_float`), into `out`.
    log_packets,
    log_packets_hw,
    log_packets_with,
    log,
    log_packet_lane_with
);
unary_packets!(
    /// [`tanh_lane`] on every element of `x` (Eigen's `ptanh_float`), into `out`.
    tanh_packets,
    tanh_packets_hw,
    tanh_packets_with,
    tanh,
    tanh_lane_with
);
unary_packets!(
    /// [`reciprocal_packet_lane`] on every element of `x` (`rcpps` plus a Newton step), into `out`.
    reciprocal_packets,
    reciprocal_packets_hw,
    reciprocal_packets_with,
    reciprocal,
    reciprocal_packet_lane_with
);
binary_packets!(
    /// The packet path of `SigmoidGrad(y, dy)`, `dy * (y * (1 - y))` under FTZ/DAZ, as
    /// [`eigen::sigmoid_grad_f32`](crate::eigen::sigmoid_grad_f32) computes it on full packets.
    sigmoid_grad_packets,
    sigmoid_grad_packets_hw,
    sigmoid_grad_packets_with,
    sigmoid_grad,
    sigmoid_grad_packet_lane_with
);
binary_packets!(
    /// The packet path of `TanhGrad(y, dy)`, `dy * (1 - y * y)` under FTZ/DAZ, as
    /// [`eigen::tanh_grad_f32`](crate::eigen::tanh_grad_f32) computes it on full packets.
    tanh_grad_packets,
    tanh_grad_packets_hw,
    tanh_grad_packets_with,
    tanh_grad,
    tanh_grad_packet_lane_with
);

/// The packet columns of [`eigen::sum_rows_f32`](crate::eigen::sum_rows_f32): sums the
/// rows of the first `np` columns (a multiple of 8) of a row-major `[rows, cols]` tensor into
/// `out[..np]`, 8 columns at a time, in exactly the scalar code's order (inputs read under DAZ,
/// every add flushed). Returns false, doing nothing, where AVX2 is not available.
///
/// # Panics
/// If `x` is not `rows * cols` long, `np` is not a multiple of 8, `np > cols` or `out` is shorter
/// than `np`.
pub fn sum_rows_packets(x: &[f32], rows: usize, cols: usize, np: usize, out: &mut [f32]) -> bool {
    sum_rows_packets_with::<Soft>(x, rows, cols, np, out)
}

/// [`sum_rows_packets`] under flush policy `F`.
#[inline]
pub(crate) fn sum_rows_packets_with<F: Flush>(x: &[f32], rows: usize, cols: usize, np: usize, out: &mut [f32]) -> bool {
    assert!(
        rows.checked_mul(cols) == Some(x.len()) && np.is_multiple_of(8) && np <= cols && out.len() >= np,
        "eigen_simd: sum_rows_packets shape mismatch"
    );
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: AVX2 was detected just above; the shapes were checked, so every 8-column load
        // `x[r * cols + c0 .. + 8]` (with `c0 + 8 <= np <= cols`, `r < rows`) and every store
        // `out[c0 .. c0 + 8]` (with `c0 + 8 <= np <= out.len()`) is in bounds.
        unsafe { avx2::sum_rows::<F>(x, rows, cols, np, out) };
        return true;
    }
    false
}

/// The AVX2 kernels: one `__m256` (8 lanes) at a time, mirroring the scalar lane code step by
/// step, each written once, generic over the flush policy ([`Flush`]): an [`Ops`](avx2::Ops)
/// value carries the policy, and its arithmetic flushes in software for [`Soft`] and leaves it
/// to the hardware for [`Hard`]. Every helper carries `#[target_feature(enable = "avx2")]`, so
/// the safe intrinsics can be called and everything inlines into the loops of
/// [`map1`](avx2::map1) and [`map2`](avx2::map2).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use crate::lanes::{Flush, Hard};
    use std::arch::x86_64::*;
    use std::marker::PhantomData;

    /// Splat of an `f32` constant.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn splat(v: f32) -> __m256 {
        _mm256_set1_ps(v)
    }

    /// Splat of a bit pattern as floats.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn splat_bits(v: u32) -> __m256 {
        _mm256_castsi256_ps(_mm256_set1_epi32(v as i32))
    }

    /// `eigen::ftz` per lane: a lane whose exponent bits are all zero (zero or subnormal)
    /// keeps only its sign bit.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn ftz(v: __m256) -> __m256 {
        let bits = _mm256_castps_si256(v);
        let exp = _mm256_and_si256(bits, _mm256_set1_epi32(0x7f80_0000));
        let tiny = _mm256_cmpeq_epi32(exp, _mm256_setzero_si256());
        let clear = _mm256_and_si256(tiny, _mm256_set1_epi32(0x7fff_ffff));
        _mm256_castsi256_ps(_mm256_andnot_si256(clear, bits))
    }

    /// The arithmetic of the kernels under flush policy `F`: each result flushed in software
    /// (`Soft`), or as the hardware leaves it (`Hard`).
    pub(super) struct Ops<F>(PhantomData<F>);

    impl<F> Clone for Ops<F> {
        fn clone(&self) -> Self {
            *self
        }
    }

    impl<F> Copy for Ops<F> {}

    impl<F: Flush> Ops<F> {
        pub(super) const NEW: Self = Ops(PhantomData);

        /// A result (or an input that arithmetic reads) as the mode leaves it.
        #[target_feature(enable = "avx2")]
        #[inline]
        fn fl(self, v: __m256) -> __m256 {
            if F::SOFT { ftz(v) } else { v }
        }

        /// `a + b`.
        #[target_feature(enable = "avx2")]
        #[inline]
        fn add(self, a: __m256, b: __m256) -> __m256 {
            self.fl(_mm256_add_ps(a, b))
        }

        /// `a - b`.
        #[target_feature(enable = "avx2")]
        #[inline]
        fn sub(self, a: __m256, b: __m256) -> __m256 {
            self.fl(_mm256_sub_ps(a, b))
        }

        /// `a * b`.
        #[target_feature(enable = "avx2")]
        #[inline]
        fn mul(self, a: __m256, b: __m256) -> __m256 {
            self.fl(_mm256_mul_ps(a, b))
        }

        /// `a / b`.
        #[target_feature(enable = "avx2")]
        #[inline]
        fn div(self, a: __m256, b: __m256) -> __m256 {
            self.fl(_mm256_div_ps(a, b))
        }

        /// `a * b` rounded, then `+ c` rounded (no FMA).
        #[target_feature(enable = "avx2")]
        #[inline]
        fn madd(self, a: __m256, b: __m256, c: __m256) -> __m256 {
            self.add(self.mul(a, b), c)
        }

        /// Eigen `pldexp_fast` (`exponent` is integer-valued, never subnormal).
        #[target_feature(enable = "avx2")]
        #[inline]
        fn pldexp_fast(self, a: __m256, exponent: __m256) -> __m256 {
            let biased = pmin(pmax(self.add(exponent, splat(127.0)), _mm256_setzero_ps()), splat(255.0));
            self.mul(a, pow2_biased(_mm256_cvttps_epi32(biased)))
        }

        /// Eigen `pldexp_generic`.
        #[target_feature(enable = "avx2")]
        #[inline]
        fn pldexp_generic(self, a: __m256, exponent: __m256) -> __m256 {
            let e = _mm256_cvttps_epi32(pmin(pmax(exponent, splat(-278.0)), splat(278.0)));
            let b = _mm256_srai_epi32::<2>(e);
            let bias = _mm256_set1_epi32(127);
            let c = pow2_biased(_mm256_add_epi32(b, bias));
            let out = self.mul(self.mul(self.mul(a, c), c), c);
            let b3 = _mm256_mullo_epi32(b, _mm256_set1_epi32(3));
            let b = _mm256_sub_epi32(e, b3);
            self.mul(out, pow2_biased(_mm256_add_epi32(b, bias)))
        }
    }

    /// The packet columns of `sum_rows_f32` (see `sum_rows_packets`, which checks the bounds),
    /// up to 32 packets (256 columns) at a time: their accumulators (four per packet, over rows
    /// `r % 4`, when there are at least 16 rows) stay on the stack while the rows stream past,
    /// sixteen at a time, so each row's columns are read contiguously (a column-by-column walk
    /// meets the cache's associativity when a row is a power of two bytes long). Each column's sum
    /// is the same chain as column by column.
    ///
    /// # Safety
    /// AVX2 must be available, `x.len() == rows * cols`, `np` a multiple of 8 with `np <= cols`,
    /// and `out.len() >= np`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn sum_rows<F: Flush>(x: &[f32], rows: usize, cols: usize, np: usize, out: &mut [f32]) {
        const BLOCK: usize = 32;
        let o = Ops::<F>::NEW;
        // SAFETY: `r < rows` and `c + 8 <= np <= cols`, so the 8 floats lie inside `x`.
        let load = |r: usize, c: usize| o.fl(unsafe { _mm256_loadu_ps(x.as_ptr().add(r * cols + c)) });
        let u4 = if rows >= 16 { rows / 4 * 4 } else { 0 };
        for c0 in (0..np).step_by(8 * BLOCK) {
            let w = ((np - c0) / 8).min(BLOCK);
            let mut s = [_mm256_setzero_ps(); BLOCK];
            if u4 > 0 {
                // Accumulator `u` of a packet takes rows `u`, `u + 4`, ... in order; sixteen rows
                // go into a packet's four accumulators while they sit in registers.
                let mut a = [[_mm256_setzero_ps(); 4]; BLOCK];
                let mut r = 0;
                while r < u4 {
                    let group = (u4 - r).min(16);
                    for (p, acc) in a[..w].iter_mut().enumerate() {
                        let mut v = *acc;
                        for g in (0..group).step_by(4) {
                            for (u, x) in v.iter_mut().enumerate() {
                                *x = o.add(*x, load(r + g + u, c0 + 8 * p));
                            }
                        }
                        *acc = v;
                    }
                    r += group;
                }
                for (v, acc) in s[..w].iter_mut().zip(&a) {
                    *v = o.add(o.add(o.add(acc[0], acc[1]), acc[2]), acc[3]);
                }
            }
            for r in u4..rows {
                for (p, v) in s[..w].iter_mut().enumerate() {
                    *v = o.add(*v, load(r, c0 + 8 * p));
                }
            }
            for (p, v) in s[..w].iter().enumerate() {
                // SAFETY: `c0 + 8 * p + 8 <= np <= out.len()`.
                unsafe { _mm256_storeu_ps(out.as_mut_ptr().add(c0 + 8 * p), *v) };
            }
        }
    }

    /// Eigen `pmin(a, b)` = `minps(b, a)`: `b < a ? b : a`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn pmin(a: __m256, b: __m256) -> __m256 {
        _mm256_min_ps(b, a)
    }

    /// Eigen `pmax(a, b)` = `maxps(b, a)`: `b > a ? b : a`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn pmax(a: __m256, b: __m256) -> __m256 {
        _mm256_max_ps(b, a)
    }

    /// `(biased as u32) << 23` as floats.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn pow2_biased(e: __m256i) -> __m256 {
        _mm256_castsi256_ps(_mm256_slli_epi32::<23>(e))
    }

    /// Lanes of `a` where `mask` is set, else `b`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn select(mask: __m256, a: __m256, b: __m256) -> __m256 {
        _mm256_blendv_ps(b, a, mask)
    }

    const LOG2EF: f32 = f32::from_bits(0x3fb8_aa3b);
    const EXP_C1: f32 = f32::from_bits(0xbf31_8000);
    const EXP_C2: f32 = f32::from_bits(0x395e_8083);
    const SIGMOID_HI: f32 = f32::from_bits(0x4185_1592);

    /// `lanes::sigmoid_packet_lane_with` on 8 lanes.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn sigmoid8<F: Flush>(o: Ops<F>, x_in: __m256) -> __m256 {
        const P2: f32 = f32::from_bits(0x3eff_fee0);
        const P3: f32 = f32::from_bits(0x3e2a_ab38);
        const P4: f32 = f32::from_bits(0x3d2b_9df0);
        const P5: f32 = f32::from_bits(0x3c08_8e52);
        let x_in = o.fl(x_in);
        let zero = _mm256_cmp_ps::<_CMP_LT_OQ>(x_in, splat(-104.0));
        let x = o.mul(pmin(x_in, splat(SIGMOID_HI)), splat(0.5));
        let m = _mm256_floor_ps(o.madd(x, splat(LOG2EF), splat(0.5)));
        let r = o.madd(m, splat(EXP_C1), x);
        let r = o.madd(m, splat(EXP_C2), r);
        let r2 = o.mul(r, r);
        let p_even = o.madd(r2, splat(P4), splat(P2));
        let p_odd = o.madd(r2, splat(P5), splat(P3));
        let p_low = o.add(r, splat(1.0));
        let p = o.madd(r, p_odd, p_even);
        let p = o.madd(r2, p, p_low);
        let e = o.pldexp_fast(p, m);
        let e = o.mul(e, e);
        _mm256_andnot_ps(zero, o.div(e, o.add(splat(1.0), e)))
    }

    /// `lanes::exp_packet_lane_with` on 8 lanes (both `pldexp` variants computed, chosen per
    /// lane as the scalar code does).
    #[target_feature(enable = "avx2")]
    #[inline]
    fn exp8<F: Flush>(o: Ops<F>, x_in: __m256) -> __m256 {
        const HI: f32 = f32::from_bits(0x42b1_722d);
        const P2: f32 = f32::from_bits(0x3eff_fffc);
        const P3: f32 = f32::from_bits(0x3e2a_aa47);
        const P4: f32 = f32::from_bits(0x3d2a_adcc);
        const P5: f32 = f32::from_bits(0x3c09_1de6);
        const P6: f32 = f32::from_bits(0x3ab4_2872);
        let x_in = o.fl(x_in);
        let x = pmin(x_in, splat(HI));
        let m = _mm256_floor_ps(o.madd(x, splat(LOG2EF), splat(0.5)));
        let r = o.madd(m, splat(EXP_C1), x);
        let r = o.madd(m, splat(EXP_C2), r);
        let r2 = o.mul(r, r);
        let p_even = o.madd(r2, splat(P6), splat(P4));
        let p_odd = o.madd(r2, splat(P5), splat(P3));
        let p_even = o.madd(r2, p_even, splat(P2));
        let p_low = o.add(r, splat(1.0));
        let y = o.madd(r, p_odd, p_even);
        let y = o.madd(r2, y, p_low);
        let abs_x = _mm256_and_ps(x, splat_bits(0x7fff_ffff));
        let wide = _mm256_cmp_ps::<_CMP_LT_OQ>(splat(87.0), abs_x);
        let fast = pmax(o.pldexp_fast(y, m), x_in);
        if _mm256_movemask_ps(wide) == 0 {
            return fast;
        }
        let under = _mm256_cmp_ps::<_CMP_LT_OQ>(x_in, splat(-104.0));
        let generic = _mm256_andnot_ps(under, pmax(o.pldexp_generic(y, m), x_in));
        select(wide, generic, fast)
    }

    /// `lanes::log_packet_lane_with` on 8 lanes (the early returns become blends). The input is
    /// flushed under both policies: `frexp` reads its bits.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn log8<F: Flush>(o: Ops<F>, x_in: __m256) -> __m256 {
        const SQRTHF: f32 = std::f32::consts::FRAC_1_SQRT_2;
        const A0: f32 = f32::from_bits(0x3e3a_f1c9);
        const B0: f32 = f32::from_bits(0x3d4b_3a68);
        const B1: f32 = f32::from_bits(0x3f19_674d);
        let x_in = ftz(x_in);
        let one = splat(1.0);
        let bits = _mm256_castps_si256(x_in);
        // pfrexp (zero, inf and NaN lanes are replaced below).
        let biased = _mm256_srli_epi32::<23>(_mm256_and_si256(bits, _mm256_set1_epi32(0x7fff_ffff)));
        let e = _mm256_sub_ps(_mm256_cvtepi32_ps(biased), splat(126.0));
        let mant = _mm256_or_si256(
            _mm256_and_si256(bits, _mm256_set1_epi32(0x807f_ffff_u32 as i32)),
            _mm256_set1_epi32(0x3f00_0000),
        );
        let x = _mm256_castsi256_ps(mant);
        let mask = _mm256_cmp_ps::<_CMP_LT_OQ>(x, splat(SQRTHF));
        let tmp = _mm256_and_ps(mask, x);
        let x = o.sub(x, one);
        let e = o.sub(e, _mm256_and_ps(mask, one));
        let x = o.add(x, tmp);
        let p = o.madd(o.madd(splat(A0), x, one), x, one);
        let p = o.mul(x, p);
        let q = o.madd(o.madd(o.madd(splat(B0), x, splat(B1)), x, splat(1.5)), x, one);
        let x = o.div(p, q);
        let r = o.madd(e, splat(std::f32::consts::LN_2), x);
        let r = select(_mm256_cmp_ps::<_CMP_EQ_OQ>(x_in, splat(f32::INFINITY)), splat(f32::INFINITY), r);
        let bad = _mm256_cmp_ps::<_CMP_NGE_UQ>(x_in, _mm256_setzero_ps()); // NaN or < 0
        let r = _mm256_or_ps(r, bad);
        let zero = _mm256_cmp_ps::<_CMP_EQ_OQ>(x_in, _mm256_setzero_ps());
        select(zero, splat(f32::NEG_INFINITY), r)
    }

    /// `lanes::tanh_lane_with` on 8 lanes.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn tanh8<F: Flush>(o: Ops<F>, a: __m256) -> __m256 {
        const CLAMP: f32 = f32::from_bits(0x40fd_0956);
        const A0: f32 = f32::from_bits(0x326f_951e);
        const A1: f32 = f32::from_bits(0x37b0_63dc);
        const A2: f32 = f32::from_bits(0x3b66_bc7f);
        const A3: f32 = f32::from_bits(0x3e09_3cf6);
        const B0: f32 = f32::from_bits(0x3557_2c00);
        const B1: f32 = f32::from_bits(0x39ae_6d96);
        const B2: f32 = f32::from_bits(0x3cd4_c460);
        const B3: f32 = f32::from_bits(0x3eef_4922);
        if F::SOFT {
            // When every lane is 0, NaN or at least 2^-40 in magnitude, no intermediate below can
            // be subnormal (x^2 >= 2^-80, x^3 >= 2^-120, the coefficients are positive so the
            // polynomials only grow, x^3 * p has the sign of x, q >= 1), so every flush is the
            // identity and the flush-free sequence gives the same bits, faster.
            let abs = _mm256_and_ps(a, splat_bits(0x7fff_ffff));
            let tiny = _mm256_and_ps(
                _mm256_cmp_ps::<_CMP_LT_OQ>(abs, splat(f32::from_bits(0x2b80_0000))), // 2^-40
                _mm256_cmp_ps::<_CMP_NEQ_OQ>(abs, _mm256_setzero_ps()),
            );
            if _mm256_movemask_ps(tiny) == 0 {
                return tanh8(Ops::<Hard>::NEW, a);
            }
        }
        let x = pmax(pmin(o.fl(a), splat(CLAMP)), splat(-CLAMP));
        let x2 = o.mul(x, x);
        let x3 = o.mul(x2, x);
        let p = o.madd(o.madd(o.madd(splat(A0), x2, splat(A1)), x2, splat(A2)), x2, splat(A3));
        let q = o.madd(o.madd(o.madd(o.madd(splat(B0), x2, splat(B1)), x2, splat(B2)), x2, splat(B3)), x2, splat(1.0));
        let p = o.madd(x3, p, x);
        o.div(p, q)
    }

    /// `lanes::reciprocal_packet_lane_with` on 8 lanes.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn reciprocal8<F: Flush>(o: Ops<F>, a: __m256) -> __m256 {
        let a = o.fl(a);
        let x = _mm256_rcp_ps(a);
        let t = o.sub(splat(1.0), o.mul(a, x));
        let nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(t, t);
        select(nan, x, o.madd(x, t, x))
    }

    /// The packet path of `eigen::sigmoid_grad_f32` on 8 lanes.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn sigmoid_grad8<F: Flush>(o: Ops<F>, y: __m256, d: __m256) -> __m256 {
        let (y, d) = (o.fl(y), o.fl(d));
        o.mul(d, o.mul(y, o.sub(splat(1.0), y)))
    }

    /// The packet path of `eigen::tanh_grad_f32` on 8 lanes.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn tanh_grad8<F: Flush>(o: Ops<F>, y: __m256, d: __m256) -> __m256 {
        let (y, d) = (o.fl(y), o.fl(d));
        o.mul(d, o.sub(splat(1.0), o.mul(y, y)))
    }

    /// Defines `unsafe fn $name::<F>(x, out)`: the 8-lane kernel `$kernel` over a slice.
    macro_rules! map1 {
        ($name:ident, $kernel:ident) => {
            #[doc = concat!("`", stringify!($kernel), "` over `x`, into `out`.")]
            ///
            /// # Safety
            /// The CPU must support AVX2, and `x.len() == out.len()` must be a multiple of 8.
            #[target_feature(enable = "avx2")]
            pub(super) unsafe fn $name<F: Flush>(x: &[f32], out: &mut [f32]) {
                debug_assert!(x.len() == out.len() && x.len().is_multiple_of(8));
                let o = Ops::<F>::NEW;
                for i in (0..out.len()).step_by(8) {
                    // SAFETY: `i + 8 <= len` for both slices (equal lengths, a multiple of 8),
                    // and the unaligned load/store intrinsics accept any address.
                    unsafe {
                        let v = _mm256_loadu_ps(x.as_ptr().add(i));
                        _mm256_storeu_ps(out.as_mut_ptr().add(i), $kernel(o, v));
                    }
                }
            }
        };
    }

    /// Defines `unsafe fn $name::<F>(a, b, out)`: the two-input 8-lane kernel `$kernel` over
    /// slices.
    macro_rules! map2 {
        ($name:ident, $kernel:ident) => {
            #[doc = concat!("`", stringify!($kernel), "` over `a` and `b`, into `out`.")]
            ///
            /// # Safety
            /// The CPU must support AVX2, and the three slices must have one length, a multiple
            /// of 8.
            #[target_feature(enable = "avx2")]
            pub(super) unsafe fn $name<F: Flush>(a: &[f32], b: &[f32], out: &mut [f32]) {
                debug_assert!(a.len() == out.len() && b.len() == out.len() && out.len().is_multiple_of(8));
                let o = Ops::<F>::NEW;
                for i in (0..out.len()).step_by(8) {
                    // SAFETY: `i + 8 <= len` for all three slices (equal lengths, a multiple of
                    // 8), and the unaligned load/store intrinsics accept any address.
                    unsafe {
                        let va = _mm256_loadu_ps(a.as_ptr().add(i));
                        let vb = _mm256_loadu_ps(b.as_ptr().add(i));
                        _mm256_storeu_ps(out.as_mut_ptr().add(i), $kernel(o, va, vb));
                    }
                }
            }
        };
    }

    map1!(sigmoid, sigmoid8);
    map1!(exp, exp8);
    map1!(log, log8);
    map1!(tanh, tanh8);
    map1!(reciprocal, reciprocal8);
    map2!(sigmoid_grad, sigmoid_grad8);
    map2!(tanh_grad, tanh_grad8);
}
