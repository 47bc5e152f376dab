//! The activations oneDNN computes inside TF's fused `MatMul` (`_MklFusedMatMul`), bit for bit.
//!
//! TF 2.21's grappler remapper (with oneDNN on, the x86-64 default) turns `MatMul` + bias `Add` +
//! activation into one `_MklFusedMatMul` when the weights and the bias are variables (see
//! `runtime::remap`). oneDNN runs it as an inner product (`x64:gemm:jit`): the same sgemm as a
//! plain `MatMul` (so `eigen::matmul_f32`'s orders), then `acc + bias` (one rounded add), then the
//! activation as a post-op by its JIT eltwise injector, which has its own `exp` and so its own
//! `Elu`, different in the last bits from TF's Eigen kernel for about one negative input in ten.
//!
//! The injector's `exp(x)` (`exp_compute_vector_fwd`), lane by lane:
//! `x` is clamped to `[ln(FLT_MIN), ln(FLT_MAX)]` (`minps`/`maxps`, so NaN reads as the upper
//! bound), `n = floor(x * log2(e) + 0.5)` (two roundings), `r = fnmadd(n, ln2, x)` (one rounding),
//! `2^(n-1)` built in the exponent bits (zero where `x < ln(FLT_MIN)`), the degree-5 polynomial
//! `p = ((((p5 r + p4) r + p3) r + p2) r + p1) r + 1` in FMAs, then `(p * 2^(n-1)) * 2`.
//! `Elu(x)` is `x` where `x > 0`, else `(exp(x) - 1) * 1`.
//!
//! Verified against TF 2.21 here (Intel Xeon, AVX-512): 60 000 inputs through a fused
//! `elu(matmul(x, w) + b)` (negatives of every magnitude, the clamp bounds, subnormals, zeros) and
//! the 8 x 10 x 10 layers of chapter 4.4.2, all bit-identical (`tools/matmul_order_probe.py`).

use crate::lanes::{add, ftz, mul, sub};

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

/// oneDNN's JIT `Elu` (alpha 1) for one lane: `x` where `x > 0`, else `exp_lane(x) - 1`.
#[inline(always)]
pub fn elu_lane(x: f32) -> f32 {
    let e = mul(sub(exp_lane(x), 1.0), 1.0);
    if ftz(x) > 0.0 { x } else { e }
}

/// `Elu` as TF's fused `MatMul` applies it to `acc + bias` (`x` and `out` of equal length).
pub fn elu_f32(x: &[f32], out: &mut [f32]) {
    assert_eq!(x.len(), out.len(), "onednn_eltwise: input and output lengths differ");
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has FMA (checked just above), which is all `elu_fma` requires.
        unsafe { elu_fma(x, out) };
        return;
    }
    elu_body(x, out);
}

/// [`elu_body`] compiled with hardware FMA (`mul_add` one instruction, not a libm call; the
/// results are identical).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn elu_fma(x: &[f32], out: &mut [f32]) {
    elu_body(x, out);
}

#[inline(always)]
fn elu_body(x: &[f32], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = elu_lane(v);
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
}
