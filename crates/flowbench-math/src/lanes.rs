//! The scalar reference lanes of TF's float32 math: one element of each Eigen packet algorithm
//! (`*_packet_lane`, `tanh_lane`), each scalar tail path (`*_scalar`), and the x86 semantics of
//! the primitives they use under TF's flush-to-zero / denormals-are-zero mode (`ftz`, `add`,
//! `mul`, ...). Plain `f32` arithmetic, one lane at a time; `eigen_simd` is the AVX2 version of
//! the packet lanes beside it and `eigen` the slice functions that dispatch between them (see
//! `eigen`'s documentation for TF's algorithms and how they were verified).

/// Eigen's packet width for `float` in TF's AVX build (`Packet8f`).
pub const PACKET_SIZE: usize = 8;

/// Number of leading elements of an `n`-element tensor that TF evaluates in full 8-wide packets;
/// the rest (`n % 8` elements) take the functor's scalar path.
pub fn packet_len(n: usize) -> usize {
    n - n % PACKET_SIZE
}

/// Where Eigen's float logistic truncates its input: `16.6355324f`, the first point where the
/// interpolant is exactly one.
const SIGMOID_HI: f32 = f32::from_bits(0x4185_1592);

// ---------------------------------------------------------------------------------------------
// x86 lane semantics of the Eigen primitives used below, under TF's FTZ/DAZ floating-point mode.
// ---------------------------------------------------------------------------------------------

/// How a kernel gets TF's flush-to-zero / denormals-are-zero mode: each algorithm of this crate is
/// written once, generic over this policy, and instantiated twice.
///
/// * [`Soft`]: the emulation, right on any thread: every arithmetic result is flushed in software
///   ([`ftz`]), and so is every input that an arithmetic step reads.
/// * [`Hard`]: the hardware does it (the thread runs under
///   [`ScopedFlushDenormal`](crate::denormal::ScopedFlushDenormal)): the flushes that follow an
///   arithmetic step are left out. DAZ applies to every floating-point instruction (`addps` ...
///   `divps`, `minps`/`maxps`, compares, `roundps`, `sqrtps`; `rcpps` flushes in any mode), so an
///   input that only feeds such instructions is not flushed either. Bitwise and integer steps
///   (a `frexp` on the bits, masks, blends) are not floating-point operations: where one reads a
///   value that may be subnormal, the kernel flushes it explicitly ([`ftz`]) under both policies.
///
/// Under the hardware modes, the two give the same bits on every input (the tests run both
/// under the guard over all 2^32 inputs); without the modes, the software one differs only in
/// the band that [`crate::denormal`] documents. `Hard` is crate-private: a kernel instantiated
/// with it is reachable only through a function that takes an [`HwFtz`](crate::denormal::HwFtz)
/// token.
pub(crate) trait Flush: Copy {
    /// Whether the kernel flushes after each operation in software.
    const SOFT: bool;

    /// An arithmetic result (or an input that arithmetic reads) as TF's mode leaves it.
    #[inline(always)]
    fn fl(v: f32) -> f32 {
        if Self::SOFT { ftz(v) } else { v }
    }

    /// `a + b`.
    #[inline(always)]
    fn add(a: f32, b: f32) -> f32 {
        Self::fl(a + b)
    }

    /// `a - b`.
    #[inline(always)]
    fn sub(a: f32, b: f32) -> f32 {
        Self::fl(a - b)
    }

    /// `a * b`.
    #[inline(always)]
    fn mul(a: f32, b: f32) -> f32 {
        Self::fl(a * b)
    }

    /// `a / b`.
    #[inline(always)]
    fn div(a: f32, b: f32) -> f32 {
        Self::fl(a / b)
    }

    /// Eigen's `pmadd(a, b, c)` without FMA: `a * b` rounded, then `+ c` rounded.
    #[inline(always)]
    fn madd(a: f32, b: f32, c: f32) -> f32 {
        Self::add(Self::mul(a, b), c)
    }
}

/// Software flush-to-zero after every operation (see [`Flush`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Soft;

impl Flush for Soft {
    const SOFT: bool = true;
}

/// The hardware's flush-to-zero (see [`Flush`]); only for code behind an
/// [`HwFtz`](crate::denormal::HwFtz) token.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hard;

impl Flush for Hard {
    const SOFT: bool = false;
}

/// Flush-to-zero / denormals-are-zero: a subnormal becomes a zero of the same sign. TF runs its
/// CPU kernels with MXCSR.FTZ and MXCSR.DAZ set, so subnormal operands read as zero and
/// subnormal results are written as zero.
#[inline(always)]
pub fn ftz(v: f32) -> f32 {
    if v.is_subnormal() { f32::from_bits(v.to_bits() & 0x8000_0000) } else { v }
}

/// `a + b` under FTZ/DAZ (operands produced in this module are already flushed).
#[inline(always)]
pub fn add(a: f32, b: f32) -> f32 {
    ftz(a + b)
}

/// `a - b` under FTZ/DAZ.
#[inline(always)]
pub fn sub(a: f32, b: f32) -> f32 {
    ftz(a - b)
}

/// `a * b` under FTZ/DAZ.
#[inline(always)]
pub fn mul(a: f32, b: f32) -> f32 {
    ftz(a * b)
}

/// `a / b` under FTZ/DAZ.
#[inline(always)]
pub fn div(a: f32, b: f32) -> f32 {
    ftz(a / b)
}

/// Eigen `pmin<Packet8f>(a, b)` = `_mm256_min_ps(b, a)`: `minps(s1, s2)` returns `s1 < s2 ? s1 :
/// s2`, so a NaN in either operand yields `a`. Also equals `std::min(a, b)` (the scalar path).
#[inline(always)]
pub(crate) fn pmin(a: f32, b: f32) -> f32 {
    if b < a { b } else { a }
}

/// Eigen `pmax<Packet8f>(a, b)` = `_mm256_max_ps(b, a)`: a NaN in either operand yields `a`.
/// Also equals `std::max(a, b)` (the scalar path).
#[inline(always)]
pub(crate) fn pmax(a: f32, b: f32) -> f32 {
    if b > a { b } else { a }
}

/// `cvttps2dq`: truncation toward zero; NaN and out-of-range give `i32::MIN` ("integer
/// indefinite").
#[inline(always)]
pub(crate) fn cvtt(a: f32) -> i32 {
    if a.is_nan() || !(-2_147_483_648.0..2_147_483_648.0).contains(&a) { i32::MIN } else { a as i32 }
}

/// `2^(e - 127)` built as Eigen does: the biased exponent shifted into place, wrapping like the
/// 32-bit integer lanes.
#[inline(always)]
pub(crate) fn pow2_biased(e: i32) -> f32 {
    f32::from_bits((e as u32) << 23)
}

/// Eigen `pldexp_fast<Packet8f>`: `a * 2^exponent` with the biased exponent clamped to `[0, 255]`.
/// (`exponent` is an integer-valued result of `floor`, never subnormal.)
#[inline(always)]
pub(crate) fn pldexp_fast<F: Flush>(a: f32, exponent: f32) -> f32 {
    let biased = pmin(pmax(F::add(exponent, 127.0), 0.0), 255.0);
    F::mul(a, pow2_biased(cvtt(biased)))
}

/// Eigen `pldexp_generic<Packet8f>`: `a * 2^exponent` split into four factors so that no
/// intermediate overflows or underflows early.
#[inline(always)]
pub(crate) fn pldexp_generic<F: Flush>(a: f32, exponent: f32) -> f32 {
    let e = cvtt(pmin(pmax(exponent, -278.0), 278.0));
    let b = e >> 2;
    let c = pow2_biased(b.wrapping_add(127));
    let out = F::mul(F::mul(F::mul(a, c), c), c);
    let b = e.wrapping_sub(b.wrapping_mul(3));
    F::mul(out, pow2_biased(b.wrapping_add(127)))
}

/// Eigen `pfrexp_generic<Packet8f>` (for an already DAZ-flushed `a`): mantissa in `[0.5, 1)`
/// with the sign kept, and the exponent as a float; zero, infinities and NaN return `a` itself
/// with exponent 0.
#[inline(always)]
pub(crate) fn pfrexp(a: f32) -> (f32, f32) {
    let biased = ((a.to_bits() & 0x7fff_ffff) >> 23) as f32;
    if a == 0.0 || biased == 255.0 {
        (a, 0.0)
    } else {
        (f32::from_bits((a.to_bits() & 0x807f_ffff) | 0x3f00_0000), biased - 126.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Packet-path lanes.
// ---------------------------------------------------------------------------------------------

/// Shared constants of Eigen's Cephes-style `exp` range reduction.
const LOG2EF: f32 = f32::from_bits(0x3fb8_aa3b); // 1.44269504088896341f
const EXP_C1: f32 = f32::from_bits(0xbf31_8000); // -0.693359375f
const EXP_C2: f32 = f32::from_bits(0x395e_8083); // 2.12194440e-4f

/// One lane of Eigen's `scalar_logistic_op<float>::packetOp` (the 8-wide sigmoid):
/// `e = exp(min(x, 16.6355324) / 2)` by a degree-5 polynomial, `e = e * e`, then `e / (1 + e)`;
/// inputs below `-104` give 0.
#[inline]
pub fn sigmoid_packet_lane(x_in: f32) -> f32 {
    sigmoid_packet_lane_with::<Soft>(x_in)
}

/// [`sigmoid_packet_lane`] under either flush policy. A subnormal input only meets `<`, `min`
/// and a multiply, all of which read it as zero under DAZ.
#[inline(always)]
pub(crate) fn sigmoid_packet_lane_with<F: Flush>(x_in: f32) -> f32 {
    const P2: f32 = f32::from_bits(0x3eff_fee0); // 0.49999141693115234375f
    const P3: f32 = f32::from_bits(0x3e2a_ab38); // 0.16666877269744873046875f
    const P4: f32 = f32::from_bits(0x3d2b_9df0); // 4.1898667812347412109375e-2f
    const P5: f32 = f32::from_bits(0x3c08_8e52); // 8.33471305668354034423828125e-3f
    let x_in = F::fl(x_in);
    let zero = x_in < -104.0;
    let x = F::mul(pmin(x_in, SIGMOID_HI), 0.5);
    let m = F::madd(x, LOG2EF, 0.5).floor();
    let r = F::madd(m, EXP_C1, x);
    let r = F::madd(m, EXP_C2, r);
    let r2 = F::mul(r, r);
    let p_even = F::madd(r2, P4, P2);
    let p_odd = F::madd(r2, P5, P3);
    let p_low = F::add(r, 1.0);
    let p = F::madd(r, p_odd, p_even);
    let p = F::madd(r2, p, p_low);
    let e = pldexp_fast::<F>(p, m);
    let e = F::mul(e, e);
    if zero { 0.0 } else { F::div(e, F::add(1.0, e)) }
}

/// One lane of Eigen's `pexp_float<Packet8f>` (the 8-wide `exp`): Cephes range reduction
/// `x = m ln2 + r` and a degree-6 polynomial for `exp(r)`.
///
/// Eigen picks `pldexp_fast` for a whole packet when every lane has `|x| <= 87`, else the
/// generic `pldexp` plus an underflow mask; both give the same value for an in-range lane, so
/// the choice is made per lane here.
#[inline]
pub fn exp_packet_lane(x_in: f32) -> f32 {
    exp_packet_lane_with::<Soft>(x_in)
}

/// [`exp_packet_lane`] under either flush policy. A subnormal input meets `min`, `max` and
/// arithmetic (read as zero under DAZ) and an `abs` whose result is only compared.
#[inline(always)]
pub(crate) fn exp_packet_lane_with<F: Flush>(x_in: f32) -> f32 {
    const HI: f32 = f32::from_bits(0x42b1_722d); // 88.723f
    const P2: f32 = f32::from_bits(0x3eff_fffc); // 0.49999988079071044921875f
    const P3: f32 = f32::from_bits(0x3e2a_aa47); // 0.16666518151760101318359375f
    const P4: f32 = f32::from_bits(0x3d2a_adcc); // 4.166965186595916748046875e-2f
    const P5: f32 = f32::from_bits(0x3c09_1de6); // 8.36894474923610687255859375e-3f
    const P6: f32 = f32::from_bits(0x3ab4_2872); // 1.37449637986719608306884765625e-3f
    let x_in = F::fl(x_in);
    let x = pmin(x_in, HI);
    let m = F::madd(x, LOG2EF, 0.5).floor();
    let r = F::madd(m, EXP_C1, x);
    let r = F::madd(m, EXP_C2, r);
    let r2 = F::mul(r, r);
    let p_even = F::madd(r2, P6, P4);
    let p_odd = F::madd(r2, P5, P3);
    let p_even = F::madd(r2, p_even, P2);
    let p_low = F::add(r, 1.0);
    let y = F::madd(r, p_odd, p_even);
    let y = F::madd(r2, y, p_low);
    if 87.0 < x.abs() {
        if x_in < -104.0 { 0.0 } else { pmax(pldexp_generic::<F>(y, m), x_in) }
    } else {
        pmax(pldexp_fast::<F>(y, m), x_in)
    }
}

/// One lane of Eigen's `plog_float<Packet8f>` (the 8-wide natural logarithm): frexp, shift of
/// the mantissa to `[sqrt(1/2), sqrt(2))`, a rational (3,3) approximation of `log(1 + x)`, plus
/// `e * ln2`. Zero (and, under DAZ, subnormals) give `-inf`; negative inputs and NaN give the
/// all-ones NaN `0xffffffff` (Eigen ORs in the comparison mask).
#[inline]
pub fn log_packet_lane(x_in: f32) -> f32 {
    log_packet_lane_with::<Soft>(x_in)
}

/// [`log_packet_lane`] under either flush policy. The input is flushed under both: `frexp` reads
/// its bits.
#[inline(always)]
pub(crate) fn log_packet_lane_with<F: Flush>(x_in: f32) -> f32 {
    const SQRTHF: f32 = std::f32::consts::FRAC_1_SQRT_2; // 0.707106781186547524f
    const A0: f32 = f32::from_bits(0x3e3a_f1c9); // 0.18256296349849254f
    const A1: f32 = 1.0; // 1.0000000190281063f rounds to 1
    const A2: f32 = 1.0; // 1.0000000190281136f rounds to 1
    const B0: f32 = f32::from_bits(0x3d4b_3a68); // 0.049616247954120038f
    const B1: f32 = f32::from_bits(0x3f19_674d); // 0.59923249590823520f
    const B2: f32 = 1.5; // 1.4999999999999927f rounds to 1.5
    const B3: f32 = 1.0;
    let x_in = ftz(x_in);
    if x_in == 0.0 {
        return f32::NEG_INFINITY;
    }
    if x_in.is_nan() || x_in < 0.0 {
        return f32::from_bits(u32::MAX);
    }
    if x_in == f32::INFINITY {
        return f32::INFINITY;
    }
    let (x, e) = pfrexp(x_in);
    let mask = x < SQRTHF;
    let tmp = if mask { x } else { 0.0 };
    let x = F::sub(x, 1.0);
    let e = F::sub(e, if mask { 1.0 } else { 0.0 });
    let x = F::add(x, tmp);
    let p = F::madd(F::madd(A0, x, A1), x, A2);
    let p = F::mul(x, p);
    let q = F::madd(F::madd(F::madd(B0, x, B1), x, B2), x, B3);
    let x = F::div(p, q);
    F::madd(e, std::f32::consts::LN_2, x)
}

/// Eigen's `ptanh_float` for a build without FMA (clamp at `±7.90738964`, rational [9/8]
/// approximation); TF uses it for both the 8-wide packets and the scalar tail
/// (`numext::tanh(float)` forwards to it under `EIGEN_FAST_MATH`).
#[inline]
pub fn tanh_lane(a: f32) -> f32 {
    tanh_lane_with::<Soft>(a)
}

/// [`tanh_lane`] under either flush policy. A subnormal input meets `min`, `max` and arithmetic.
#[inline(always)]
pub(crate) fn tanh_lane_with<F: Flush>(a: f32) -> f32 {
    const CLAMP: f32 = f32::from_bits(0x40fd_0956); // 7.90738964080810547f
    const A0: f32 = f32::from_bits(0x326f_951e); // 1.394553628e-8f
    const A1: f32 = f32::from_bits(0x37b0_63dc); // 2.102733560e-5f
    const A2: f32 = f32::from_bits(0x3b66_bc7f); // 3.520756727e-3f
    const A3: f32 = f32::from_bits(0x3e09_3cf6); // 1.340216100e-1f
    const B0: f32 = f32::from_bits(0x3557_2c00); // 8.015776984e-7f
    const B1: f32 = f32::from_bits(0x39ae_6d96); // 3.326951409e-4f
    const B2: f32 = f32::from_bits(0x3cd4_c460); // 2.597254514e-2f
    const B3: f32 = f32::from_bits(0x3eef_4922); // 4.673548340e-1f
    const B4: f32 = 1.0;
    let x = pmax(pmin(F::fl(a), CLAMP), -CLAMP);
    let x2 = F::mul(x, x);
    let x3 = F::mul(x2, x);
    let p = F::madd(F::madd(F::madd(A0, x2, A1), x2, A2), x2, A3);
    let q = F::madd(F::madd(F::madd(F::madd(B0, x2, B1), x2, B2), x2, B3), x2, B4);
    let p = F::madd(x3, p, x);
    F::div(p, q)
}

/// The hardware reciprocal estimate `rcpps` of this machine (about 12 bits; subnormal inputs
/// read as zero and tiny results are flushed, whatever MXCSR says).
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn rcp_estimate(a: f32) -> f32 {
    use std::arch::x86_64::{_mm_cvtss_f32, _mm_rcp_ss, _mm_set_ss};
    // SAFETY: SSE is part of the x86-64 baseline, so these intrinsics are always available.
    unsafe { _mm_cvtss_f32(_mm_rcp_ss(_mm_set_ss(a))) }
}

/// Portable stand-in for `rcpps` off x86-64: the exact quotient `1 / a` (flushed). With the
/// Newton step in [`reciprocal_packet_lane`] the result is within an ulp of TF's, but not
/// bit-exact.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub fn rcp_estimate(a: f32) -> f32 {
    div(1.0, ftz(a))
}

/// One lane of Eigen's `preciprocal<Packet8f>` under `EIGEN_FAST_MATH` without FMA:
/// `x = rcp(a)`, `t = 1 - a * x`, result `x * t + x`, or `x` itself when `t` is NaN (`a` is
/// ±0 or ±inf).
#[inline]
pub fn reciprocal_packet_lane(a: f32) -> f32 {
    reciprocal_packet_lane_with::<Soft>(a)
}

/// [`reciprocal_packet_lane`] under either flush policy (`rcpps` reads a subnormal as zero in
/// any mode).
#[inline(always)]
pub(crate) fn reciprocal_packet_lane_with<F: Flush>(a: f32) -> f32 {
    let a = F::fl(a);
    let x = rcp_estimate(a);
    let t = F::sub(1.0, F::mul(a, x));
    if t.is_nan() { x } else { F::madd(x, t, x) }
}

// ---------------------------------------------------------------------------------------------
// Scalar (tail) paths.
// ---------------------------------------------------------------------------------------------

/// libm `expf` as TF's scalar path sees it under FTZ/DAZ.
#[inline]
pub fn exp_scalar(x: f32) -> f32 {
    exp_scalar_with::<Soft>(x)
}

/// [`exp_scalar`] under either flush policy (under the hardware modes libm's `expf` reads and
/// writes its floats as TF's does).
#[inline(always)]
pub(crate) fn exp_scalar_with<F: Flush>(x: f32) -> f32 {
    F::fl(F::fl(x).exp())
}

/// libm `logf` as TF's scalar path sees it under FTZ/DAZ. glibc's `logf` normalises a positive
/// subnormal by multiplying it by `2^23`, which DAZ turns into 0; the integer decomposition
/// that follows then sees exponent -150 and mantissa 1, so every positive subnormal gives
/// `-150 ln 2`.
#[inline]
pub fn log_scalar(x: f32) -> f32 {
    if x.is_subnormal() && x > 0.0 { (-150.0 * std::f64::consts::LN_2) as f32 } else { x.ln() }
}

/// Eigen's scalar `scalar_logistic_op<float>::operator()`: `e = expf(min(x, 16.6355324))`,
/// `e / (1 + e)`.
#[inline]
pub fn sigmoid_scalar(x: f32) -> f32 {
    sigmoid_scalar_with::<Soft>(x)
}

/// [`sigmoid_scalar`] under either flush policy.
#[inline(always)]
pub(crate) fn sigmoid_scalar_with<F: Flush>(x: f32) -> f32 {
    let e = exp_scalar_with::<F>(pmin(F::fl(x), SIGMOID_HI));
    F::div(e, F::add(1.0, e))
}

/// Eigen's scalar `scalar_inverse_op::operator()`: `1 / a` under FTZ/DAZ.
#[inline]
pub fn reciprocal_scalar(a: f32) -> f32 {
    reciprocal_scalar_with::<Soft>(a)
}

/// [`reciprocal_scalar`] under either flush policy.
#[inline(always)]
pub(crate) fn reciprocal_scalar_with<F: Flush>(a: f32) -> f32 {
    F::div(1.0, F::fl(a))
}

/// `sqrtps`/`sqrtss` under DAZ (IEEE-exact otherwise).
#[inline]
pub fn sqrt_lane(a: f32) -> f32 {
    sqrt_lane_with::<Soft>(a)
}

/// [`sqrt_lane`] under either flush policy (`sqrtps` reads a subnormal as zero under DAZ).
#[inline(always)]
pub(crate) fn sqrt_lane_with<F: Flush>(a: f32) -> f32 {
    F::fl(a).sqrt()
}

/// The packet form of `eigen::sigmoid_grad_f32`, one lane: `dy * (y * (1 - y))` (inputs read under DAZ).
pub fn sigmoid_grad_packet_lane(y: f32, d: f32) -> f32 {
    sigmoid_grad_packet_lane_with::<Soft>(y, d)
}

/// [`sigmoid_grad_packet_lane`] under either flush policy.
#[inline(always)]
pub(crate) fn sigmoid_grad_packet_lane_with<F: Flush>(y: f32, d: f32) -> f32 {
    let (y, d) = (F::fl(y), F::fl(d));
    F::mul(d, F::mul(y, F::sub(1.0, y)))
}

/// The packet form of `eigen::tanh_grad_f32`, one lane: `dy * (1 - y * y)` (inputs read under DAZ).
pub fn tanh_grad_packet_lane(y: f32, d: f32) -> f32 {
    tanh_grad_packet_lane_with::<Soft>(y, d)
}

/// [`tanh_grad_packet_lane`] under either flush policy.
#[inline(always)]
pub(crate) fn tanh_grad_packet_lane_with<F: Flush>(y: f32, d: f32) -> f32 {
    let (y, d) = (F::fl(y), F::fl(d));
    F::mul(d, F::sub(1.0, F::mul(y, y)))
}
