//! The activations oneDNN computes inside TF's fused `MatMul` (`_MklFusedMatMul`), bit for bit.
//!
//! TF 2.21's grappler remapper (with oneDNN on, the x86-64 default) turns `MatMul` + bias `Add` +
//! activation into one `_MklFusedMatMul` (see `runtime::remap` for when). oneDNN (v3.7.3) runs it
//! as an inner product (`x64:gemm:jit`): the same sgemm as a plain `MatMul` (so
//! `eigen::matmul_f32`'s orders), then `acc + bias` (one rounded add), then the activation as a
//! post-op by its JIT eltwise injector, whose `Elu`, logistic (`Sigmoid`) and `Tanh` differ in the
//! last bits from TF's Eigen kernels (for about 1 in 10, 4 in 10 and 4 in 10 inputs).
//!
//! The injector's `exp(x)` (`exp_compute_vector_fwd`), lane by lane:
//! `x` is clamped to `[ln(FLT_MIN), ln(FLT_MAX)]` (`minps`/`maxps`, so NaN reads as the upper
//! bound), `n = floor(x * log2(e) + 0.5)` (two roundings), `r = fnmadd(n, ln2, x)` (one rounding),
//! `2^(n-1)` built in the exponent bits (zero where `x < ln(FLT_MIN)`), the degree-5 polynomial
//! `p = ((((p5 r + p4) r + p3) r + p2) r + p1) r + 1` in FMAs, then `(p * 2^(n-1)) * 2`.
//! `Elu(x)` is `x` where not `x <= 0` (so a NaN stays), else `(exp(x) - 1) * 1`.
//! The logistic is `y = e / (e + 1)` with `e = exp(-|x|)`, then `y` or `1 - y` by `x`'s sign bit.
//! `Tanh` is a degree-6 polynomial per half binade of `|x|` (a table of 7 x 32 coefficients), `|x|`
//! itself near 0 and 1 from `9.010913`, with `x`'s sign bit put back (see [`tanh_lane`]).
//!
//! The lanes are the reference; with AVX-512 the same steps run 16 lanes at a time, as in oneDNN
//! (tested equal on random bit patterns and every branch point). Verified against TF 2.21 here
//! (Intel Xeon, AVX-512): `tests/engine/onednn_eltwise.rs` checks 4 151 recorded inputs of each
//! (every binade of both signs, a grid, the clamp and saturation edges, infinities, NaN); while
//! writing them, exhaustive sweeps (every float with `0.5 <= |x| < 128` for the logistic, `2^-13 <=
//! |x| < 9.07` for tanh, both signs) and 60 000 `Elu` inputs were all bit-identical.

use crate::lanes::{add, div, ftz, mul, sub};

/// The injector's `ln(FLT_MIN)`, `ln(FLT_MAX)`, `log2(e)` and `ln(2)` (its table's bit patterns).
const LN_FLT_MIN: u32 = 0xc2ae_ac50;
const LN_FLT_MAX: u32 = 0x42b1_7218;
const LOG2E: u32 = 0x3fb8_aa3b;
const LN2: u32 = 0x3f31_7218;
/// The polynomial's coefficients `p1 ..= p5`.
const POLY: [u32; 5] = [0x3f7f_fffb, 0x3eff_fee3, 0x3e2a_ad40, 0x3d2b_9d0d, 0x3c07_cfce];

/// `minps(a, b)` / `maxps(a, b)`: `b` unless the comparison holds (so a NaN `a` gives `b`).
#[inline(always)]
fn minps(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}

#[inline(always)]
fn maxps(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// `vcmpnleps`: "not `a <= b`", true when unordered (a NaN).
#[inline(always)]
fn nle(a: f32, b: f32) -> bool {
    !matches!(a.partial_cmp(&b), Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal))
}

/// `vcmpngeps`: "not `a >= b`", true when unordered (a NaN).
#[inline(always)]
fn nge(a: f32, b: f32) -> bool {
    !matches!(a.partial_cmp(&b), Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal))
}

/// oneDNN's JIT `exp(x)` for one lane (see the module documentation), under TF's flush-to-zero.
#[inline(always)]
pub fn exp_lane(x: f32) -> f32 {
    let f = f32::from_bits;
    let x = ftz(x);
    let below = x < f(LN_FLT_MIN);
    let x = maxps(minps(x, f(LN_FLT_MAX)), f(LN_FLT_MIN));
    let n = add(mul(x, f(LOG2E)), 0.5).floor();
    let r = ftz((-n).mul_add(f(LN2), x));
    // 2^(n-1) by its exponent bits (`cvtps2dq`, `+ 127`, `<< 23`), zero below ln(FLT_MIN).
    let n1 = sub(n, 1.0) as i32;
    let two_n1 = if below { 0.0 } else { f((n1.wrapping_add(127) as u32).wrapping_shl(23)) };
    let mut p = f(POLY[4]);
    for c in [POLY[3], POLY[2], POLY[1], POLY[0]] {
        p = ftz(p.mul_add(r, f(c)));
    }
    p = ftz(p.mul_add(r, 1.0));
    mul(mul(p, two_n1), 2.0)
}

/// oneDNN's JIT `Elu` (alpha 1) for one lane: `x` where not `x <= 0`, else `exp_lane(x) - 1`.
#[inline(always)]
pub fn elu_lane(x: f32) -> f32 {
    let e = mul(sub(exp_lane(x), 1.0), 1.0);
    // `vcmpnleps`: "not <= 0", so a NaN keeps itself.
    if nle(ftz(x), 0.0) { x } else { e }
}

/// oneDNN's JIT `logistic` (sigmoid) for one lane: by the sign bit of `x`, `y` or `1 - y` where
/// `y = e / (e + 1)` and `e = exp_lane(-|x|)` (each step rounded, FTZ). So a NaN gives the default
/// NaN (the clamp reads it as `ln(FLT_MAX)`, `inf / inf`), every `x <= -86.6434` gives `+0` (the
/// `2^(n-1)` flushes), and every `x >= 17.32868` gives exactly 1.
#[inline(always)]
pub fn logistic_lane(x: f32) -> f32 {
    let negative = x.to_bits() & 0x8000_0000 != 0;
    let e = exp_lane(f32::from_bits(x.to_bits() | 0x8000_0000));
    let y = div(e, add(e, 1.0));
    if negative { y } else { sub(1.0, y) }
}

/// The tanh kernel's coefficients, `TANH_POL[d][i]` the degree-`d` coefficient of interval `i`
/// (its table's bit patterns). Interval `i` (1..=30) holds `|x|` in `[2^(i/2 - 12), ...)`, half a
/// binade each from `2^-12`; intervals 0 and 31 (`p = r`, `p = 1`) are never returned.
#[rustfmt::skip]
static TANH_POL: [[u32; 32]; 7] = [
    // degree 0
    [
        0x0000_0000, 0x39bf_ffff, 0x39ff_ffff, 0x3a3f_fffe, 0x3a7f_fffb, 0x3abf_fff7, 0x3aff_ffeb, 0x3b3f_ffdc,
        0x3b7f_ffab, 0x3bbf_ff70, 0x3bff_feab, 0x3c3f_fdc0, 0x3c7f_faab, 0x3cbf_f701, 0x3cff_eaad, 0x3d3f_dc08,
        0x3d7f_aacd, 0x3dbf_7081, 0x3dfe_acc9, 0x3e3d_c7fd, 0x3e7a_cbf5, 0x3eb7_7a9f, 0x3eec_9a9f, 0x3f22_991f,
        0x3f42_f7d6, 0x3f67_b7cc, 0x3f76_ca83, 0x3f7e_bbe9, 0x3f7f_d40c, 0x3f7f_ff32, 0x3f7f_fffc, 0x3f80_0000,
    ],
    // degree 1
    [
        0x3f80_0000, 0x3f80_0018, 0x3f7f_ffe8, 0x3f7f_ffda, 0x3f7f_ffdc, 0x3f7f_ffdc, 0x3f7f_ffac, 0x3f7f_ff70,
        0x3f7f_feec, 0x3f7f_fdc0, 0x3f7f_fbed, 0x3f7f_f704, 0x3f7f_eff5, 0x3f7f_dbca, 0x3f7f_bfff, 0x3f7f_7041,
        0x3f7f_009b, 0x3f7d_c36c, 0x3f7c_0aa8, 0x3f77_34b8, 0x3f70_a4de, 0x3f5f_1fd8, 0x3f49_5493, 0x3f18_b9ec,
        0x3ed7_06cb, 0x3e39_0b06, 0x3d90_b11f, 0x3c21_a053, 0x3aaf_7fdb, 0x37cc_c1a3, 0x355c_6733, 0x0000_0000,
    ],
    // degree 2
    [
        0x0000_0000, 0xbe4e_0ff1, 0x3d25_b1b1, 0x3d6b_6dab, 0x3c9f_b1d5, 0xbabf_f06f, 0x3c07_b3f6, 0xbb3f_c1bc,
        0x3a9f_5921, 0xbbbf_06f2, 0xbbb0_f402, 0xbc47_db9e, 0xbc73_d5e7, 0xbca2_5bda, 0xbcfc_a780, 0xbd40_e07c,
        0xbd7d_ab03, 0xbdbe_4a0f, 0xbdfb_14a5, 0xbe36_cc8d, 0xbe6b_d102, 0xbe9f_e7c5, 0xbeba_0f10, 0xbec2_06a8,
        0xbea3_c388, 0xbe27_7d62, 0xbd8b_7960, 0xbc20_9f49, 0xbaad_44ca, 0xb7c6_eeac, 0xb663_aa41, 0x0000_0000,
    ],
    // degree 3
    [
        0x0000_0000, 0x45b3_ae96, 0xc414_eb20, 0xc450_e02e, 0xc315_2b4e, 0xbead_2f56, 0xc216_2e02, 0xbeb4_bd5a,
        0xc11a_59a4, 0xbed2_f507, 0xc020_d32c, 0x3dd0_f506, 0xbf2a_75e2, 0xbff9_50e3, 0xbed4_7334, 0xbe80_9b8c,
        0xbeb6_4532, 0xbe96_1a5b, 0xbe9b_63ac, 0xbea0_d4b2, 0xbe82_8a77, 0xbe37_8612, 0xbdc2_0908, 0x3d2d_3957,
        0x3dd4_6e89, 0x3db3_f629, 0x3d2c_5e7b, 0x3bd2_0403, 0x3a59_dfae, 0x3770_af45, 0x372c_c014, 0x0000_0000,
    ],
    // degree 4
    [
        0x0000_0000, 0xcc98_1a1b, 0x4a7e_dd3d, 0x4ab1_007c, 0x48fe_dd9c, 0x41a5_57b5, 0x477e_e32a, 0x4225_57f5,
        0x45ff_3ce4, 0x42a5_5641, 0x446e_0867, 0xc33d_c19a, 0x4291_5214, 0x43af_4fad, 0x4110_fe88, 0xc109_9b75,
        0x3fc8_a8dc, 0xbfbe_aef5, 0xbe36_5aad, 0x3f4d_9652, 0x3ddf_a08f, 0x3e34_e9b8, 0x3e2d_07a6, 0x3dc6_3567,
        0x3cda_eb78, 0xbcd1_7537, 0xbc92_829c, 0xbb43_ab99, 0xb9b4_71dd, 0xb6ba_ad5a, 0xb78b_afc7, 0x0000_0000,
    ],
    // degree 5
    [
        0x0000_0000, 0x52f6_88d5, 0xd050_5c72, 0xd08f_98e3, 0xce50_5cc9, 0xc716_2b8a, 0xcc50_61d6, 0xc716_2bdf,
        0xca50_b37f, 0xc716_2a3a, 0xc842_2086, 0x471a_714e, 0xc5ec_e1f1, 0xc70e_3d90, 0xc3eb_a94a, 0x43e0_c424,
        0xc21f_4552, 0x4221_7cc8, 0x405e_7dc4, 0xc10d_d401, 0x3e96_b602, 0xbd1a_6d2f, 0xbd39_3883, 0xbd67_4682,
        0xbd31_0016, 0xb961_e269, 0x3ba3_2495, 0x3a76_80d5, 0x38b3_173c, 0x35a9_deea, 0x375c_3f2a, 0x0000_0000,
    ],
    // degree 6
    [
        0x0000_0000, 0xd899_5ed1, 0x5582_85ea, 0x55b2_cd69, 0x5302_8625, 0x4bc9_991f, 0x5082_898a, 0x4b49_99b3,
        0x4e02_c07c, 0x4ac9_9764, 0x4b72_c822, 0xca40_c0e1, 0x4894_13e4, 0x49b1_2224, 0x4613_4c4e, 0xc60c_2d57,
        0x43c8_3910, 0xc3c8_72d1, 0xc186_bc9e, 0x4232_5bc3, 0xbf2f_fa4a, 0x3d9a_203c, 0xbc54_5a43, 0xbae0_8fee,
        0x3c80_225d, 0x3b1f_d1df, 0xba36_b9d1, 0xb91d_e544, 0xb71f_100f, 0xb408_e2ed, 0xb685_fec8, 0x0000_0000,
    ],
];

/// `|x|` below this (`4.2286396e-4`) gives `x` itself.
const TANH_IDENTITY_BELOW: u32 = 0x39dd_b3d7;
/// `|x|` from this (`9.010913`) on gives exactly 1.
const TANH_ONE_FROM: u32 = 0x4110_2cb3;

/// oneDNN's JIT `tanh` for one lane: on `|x|`, a degree-6 polynomial of its interval (half a
/// binade, picked from the bits) in `r = |x| - ` the interval's start, six FMAs; `|x|` itself
/// below `4.2286396e-4` and 1 from `9.010913`; then `x`'s sign bit. Both range tests hold for a
/// NaN (`vcmpnleps`), so a NaN comes back as it is.
#[inline(always)]
pub fn tanh_lane(x: f32) -> f32 {
    let bits = x.to_bits();
    let abs_bits = bits & 0x7fff_ffff;
    let a = f32::from_bits(abs_bits);
    let start = abs_bits & 0xffc0_0000;
    let i = ((abs_bits.wrapping_sub(0x3980_0000) & 0xffc0_0000) >> 22) as usize & 31;
    // No flushes: `r` is a multiple of `|x|`'s ulp (at least 2^-35 where the polynomial's value
    // is returned) and no step of the polynomial is subnormal there (every such float checked);
    // a subnormal `|x|` compares below the identity bound with or without DAZ.
    let r = a - f32::from_bits(start);
    let mut p = f32::from_bits(TANH_POL[6][i]);
    for d in (0..6).rev() {
        p = p.mul_add(r, f32::from_bits(TANH_POL[d][i]));
    }
    let mut y = 1.0f32.to_bits();
    if nge(a, f32::from_bits(TANH_ONE_FROM)) {
        y = p.to_bits();
    }
    if nge(a, f32::from_bits(TANH_IDENTITY_BELOW)) {
        y = abs_bits;
    }
    f32::from_bits(y ^ (bits & 0x8000_0000))
}

/// The activations modelled here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Elu,
    Logistic,
    Tanh,
}

/// `Elu` as TF's fused `MatMul` applies it to `acc + bias` (`x` and `out` of equal length).
pub fn elu_f32(x: &[f32], out: &mut [f32]) {
    apply(Kind::Elu, x, out);
}

/// `Sigmoid` as TF's fused `MatMul` applies it to `acc + bias` (`x` and `out` of equal length).
pub fn logistic_f32(x: &[f32], out: &mut [f32]) {
    apply(Kind::Logistic, x, out);
}

/// `Tanh` as TF's fused `MatMul` applies it to `acc + bias` (`x` and `out` of equal length).
pub fn tanh_f32(x: &[f32], out: &mut [f32]) {
    apply(Kind::Tanh, x, out);
}

/// Runs `kind` over `x`: 16 lanes at a time with AVX-512 (as oneDNN does; the same bits as the
/// lanes, which are the reference), else lane by lane (with hardware FMA where the CPU has it).
fn apply(kind: Kind, x: &[f32], out: &mut [f32]) {
    assert_eq!(x.len(), out.len(), "onednn_eltwise: input and output lengths differ");
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            unsafe { avx512::apply(kind, x, out) };
            return;
        }
        if std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has FMA (checked just above), which is all `lanes_fma` requires.
            unsafe { lanes_fma(kind, x, out) };
            return;
        }
    }
    lanes(kind, x, out);
}

/// [`lanes`] compiled with hardware FMA (`mul_add` one instruction, not a libm call; the results
/// are identical).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn lanes_fma(kind: Kind, x: &[f32], out: &mut [f32]) {
    lanes(kind, x, out);
}

#[inline(always)]
fn lanes(kind: Kind, x: &[f32], out: &mut [f32]) {
    // One loop per kind, so each lane function is inlined into its loop.
    #[inline(always)]
    fn map(f: impl Fn(f32) -> f32, x: &[f32], out: &mut [f32]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = f(v);
        }
    }
    match kind {
        Kind::Elu => map(elu_lane, x, out),
        Kind::Logistic => map(logistic_lane, x, out),
        Kind::Tanh => map(tanh_lane, x, out),
    }
}

/// The lanes in AVX-512, step for step (flushes included: a subnormal result becomes a zero of
/// its sign, as under TF's MXCSR.FTZ, whatever this thread's modes).
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Kind, LN_FLT_MAX, LN_FLT_MIN, LN2, LOG2E, POLY, TANH_IDENTITY_BELOW, TANH_ONE_FROM, TANH_POL};
    use std::arch::x86_64::*;

    /// A subnormal lane becomes a zero of its sign (a zero stays as it is).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn ftz(v: __m512) -> __m512 {
        let bits = _mm512_castps_si512(v);
        let tiny =
            _mm512_cmpeq_epi32_mask(_mm512_and_si512(bits, _mm512_set1_epi32(0x7f80_0000)), _mm512_setzero_si512());
        _mm512_castsi512_ps(_mm512_mask_and_epi32(bits, tiny, bits, _mm512_set1_epi32(i32::MIN)))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn splat(bits: u32) -> __m512 {
        _mm512_set1_ps(f32::from_bits(bits))
    }

    /// [`super::exp_lane`].
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn exp(x: __m512) -> __m512 {
        let x = ftz(x);
        let below = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(x, splat(LN_FLT_MIN));
        // `minps`/`maxps`: the second operand where either is NaN.
        let x = _mm512_max_ps(_mm512_min_ps(x, splat(LN_FLT_MAX)), splat(LN_FLT_MIN));
        let t = ftz(_mm512_add_ps(ftz(_mm512_mul_ps(x, splat(LOG2E))), _mm512_set1_ps(0.5)));
        let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(t);
        let r = ftz(_mm512_fnmadd_ps(n, splat(LN2), x));
        let n1 = _mm512_cvttps_epi32(_mm512_sub_ps(n, _mm512_set1_ps(1.0)));
        let two = _mm512_slli_epi32::<23>(_mm512_add_epi32(n1, _mm512_set1_epi32(127)));
        let two = _mm512_maskz_mov_ps(!below, _mm512_castsi512_ps(two));
        let mut p = splat(POLY[4]);
        for c in [POLY[3], POLY[2], POLY[1], POLY[0]] {
            p = ftz(_mm512_fmadd_ps(p, r, splat(c)));
        }
        p = ftz(_mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0)));
        ftz(_mm512_mul_ps(ftz(_mm512_mul_ps(p, two)), _mm512_set1_ps(2.0)))
    }

    /// [`super::elu_lane`].
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn elu(x: __m512) -> __m512 {
        let e = ftz(_mm512_mul_ps(ftz(_mm512_sub_ps(exp(x), _mm512_set1_ps(1.0))), _mm512_set1_ps(1.0)));
        // "not <= 0" (a NaN keeps itself), on the flushed input.
        let keep = _mm512_cmp_ps_mask::<_CMP_NLE_UQ>(ftz(x), _mm512_setzero_ps());
        _mm512_mask_mov_ps(e, keep, x)
    }

    /// [`super::logistic_lane`].
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn logistic(x: __m512) -> __m512 {
        let sign = _mm512_set1_epi32(i32::MIN);
        let bits = _mm512_castps_si512(x);
        let negative = _mm512_test_epi32_mask(bits, sign);
        let e = exp(_mm512_castsi512_ps(_mm512_or_si512(bits, sign)));
        let y = ftz(_mm512_div_ps(e, ftz(_mm512_add_ps(e, _mm512_set1_ps(1.0)))));
        _mm512_mask_mov_ps(ftz(_mm512_sub_ps(_mm512_set1_ps(1.0), y)), negative, y)
    }

    /// [`super::tanh_lane`]: the interval's coefficients picked from two registers per degree.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn tanh(x: __m512, table: &[[__m512; 2]; 7]) -> __m512 {
        let bits = _mm512_castps_si512(x);
        let abs_bits = _mm512_and_si512(bits, _mm512_set1_epi32(0x7fff_ffff));
        let a = _mm512_castsi512_ps(abs_bits);
        let start = _mm512_castsi512_ps(_mm512_and_si512(abs_bits, _mm512_set1_epi32(0xffc0_0000u32 as i32)));
        // The permutes read the index's low five bits: `((|x| - 2^-12 bits) >> 22) & 31`.
        let i = _mm512_srli_epi32::<22>(_mm512_sub_epi32(abs_bits, _mm512_set1_epi32(0x3980_0000)));
        let r = _mm512_sub_ps(a, start);
        let c = |d: usize| _mm512_permutex2var_ps(table[d][0], i, table[d][1]);
        let mut p = c(6);
        for d in (0..6).rev() {
            p = _mm512_fmadd_ps(p, r, c(d));
        }
        // "not >=": true for NaN.
        let poly = _mm512_cmp_ps_mask::<_CMP_NGE_UQ>(a, splat(TANH_ONE_FROM));
        let same = _mm512_cmp_ps_mask::<_CMP_NGE_UQ>(a, splat(TANH_IDENTITY_BELOW));
        let y = _mm512_mask_mov_ps(_mm512_set1_ps(1.0), poly, p);
        let y = _mm512_mask_mov_ps(y, same, a);
        _mm512_castsi512_ps(_mm512_xor_si512(
            _mm512_castps_si512(y),
            _mm512_and_si512(bits, _mm512_set1_epi32(i32::MIN)),
        ))
    }

    /// # Safety
    /// The CPU must have AVX-512F; `x` and `out` of equal length.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn apply(kind: Kind, x: &[f32], out: &mut [f32]) {
        let mut table = [[_mm512_setzero_ps(); 2]; 7];
        for (d, regs) in table.iter_mut().enumerate() {
            let coefs = TANH_POL[d].as_ptr();
            // SAFETY: 32 bit patterns: two loads of 16.
            *regs = unsafe {
                [_mm512_loadu_si512(coefs.cast()), _mm512_loadu_si512(coefs.add(16).cast())]
                    .map(|v| _mm512_castsi512_ps(v))
            };
        }
        let f = |v: __m512| -> __m512 {
            match kind {
                Kind::Elu => elu(v),
                Kind::Logistic => logistic(v),
                Kind::Tanh => tanh(v, &table),
            }
        };
        let n = x.len().min(out.len());
        let mut i = 0;
        while i < n {
            let left = n - i;
            let mask: __mmask16 = if left >= 16 { 0xffff } else { (1u16 << left) - 1 };
            // SAFETY: the masked lanes lie inside both slices (`i + lanes <= n`).
            unsafe {
                let v = _mm512_maskz_loadu_ps(mask, x.as_ptr().add(i));
                _mm512_mask_storeu_ps(out.as_mut_ptr().add(i), mask, f(v));
            }
            i += 16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_values_recorded_from_tf() {
        // (input, TF 2.21's fused elu) pairs; for the first, TF's unfused (Eigen) `Elu` gives
        // -0.05736947.
        let cases: [(f32, f32); 5] =
            [(-0.059080914, -0.05736953), (0.0, 0.0), (2.5, 2.5), (-100.0, -1.0), (-1.0, -0.6321205)];
        for (x, want) in cases {
            let mut o = [0.0f32];
            elu_f32(&[x], &mut o);
            assert_eq!(o[0].to_bits(), want.to_bits(), "elu({x}) = {} not {want}", o[0]);
        }
    }

    /// The AVX-512 kernels give the lanes' bits on every kind of input: random bit patterns
    /// (NaNs, infinities, subnormals included), a dense grid, and every float around the
    /// branch points; lengths that leave a masked tail.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx512_matches_the_lanes() {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut xs: Vec<f32> = (0..400_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                f32::from_bits((state >> 16) as u32)
            })
            .collect();
        xs.extend((0..200_001).map(|i| -30.0 + 60.0 * i as f32 / 200_000.0));
        for edge in [LN_FLT_MIN, 0xc2ad_496c, 0x418a_a123, TANH_IDENTITY_BELOW, TANH_ONE_FROM, 0x3980_0000, 0x0080_0000]
        {
            for d in 0..64u32 {
                for b in [edge.wrapping_add(d).wrapping_sub(32), (edge ^ 0x8000_0000).wrapping_add(d).wrapping_sub(32)]
                {
                    xs.push(f32::from_bits(b));
                }
            }
        }
        xs.push(13.0);
        for kind in [Kind::Elu, Kind::Logistic, Kind::Tanh] {
            let (mut want, mut got) = (vec![0.0f32; xs.len()], vec![0.0f32; xs.len()]);
            lanes(kind, &xs, &mut want);
            // SAFETY: the CPU has AVX-512F (checked above).
            unsafe { avx512::apply(kind, &xs, &mut got) };
            for ((x, w), g) in xs.iter().zip(&want).zip(&got) {
                assert_eq!(g.to_bits(), w.to_bits(), "{kind:?}({x:e} = {:08x}): {g:e} not {w:e}", x.to_bits());
            }
        }
    }
}
