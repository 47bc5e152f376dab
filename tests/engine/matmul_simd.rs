//! `matmul_simd::matmul_f32_fast` against `eigen::matmul_f32`, bit for bit.

use flowbench::engine::math::eigen::matmul_f32;
use flowbench::engine::math::matmul_simd::{MatMulPlan, matmul_f32_fast};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    fn sign(&mut self) -> f32 {
        if self.next_u64() & 1 == 0 { 1.0 } else { -1.0 }
    }
}

const DISTRIBUTIONS: usize = 7;

/// The signature of both matmul functions.
type MatMulFn = fn(&[f32], &[f32], usize, usize, usize, bool, bool, &mut [f32]);

/// One value of distribution `d`.
fn sample(rng: &mut Rng, d: usize) -> f32 {
    match d {
        // Uniform.
        0 => rng.unit(),
        // Normal-ish.
        1 => (rng.unit() + rng.unit() + rng.unit() + rng.unit()) * 0.9,
        // Wide exponent range (products from 2^-120 to 2^120).
        2 => rng.sign() * (1.0 + rng.unit().abs()) * 2f32.powi(rng.below(121) as i32 - 60),
        // Products that cancel: a few magnitudes with both signs and a little noise.
        3 => {
            let base = [1.0f32, 3.0, 0.5, 1e7, 1e-3, 1.0 + f32::EPSILON, 16_777_216.0][rng.below(7) as usize];
            let noise = if rng.below(3) == 0 { 1.0 + rng.unit() * 1e-6 } else { 1.0 };
            rng.sign() * base * noise
        }
        // Tiny values: products and sums in the subnormal range, and subnormal inputs.
        4 => match rng.below(4) {
            0 => f32::from_bits(rng.below(0x80_0000) as u32 | ((rng.below(2) as u32) << 31)),
            _ => rng.sign() * (1.0 + rng.unit().abs()) * 2f32.powi(-(rng.below(20) as i32) - 58),
        },
        // Specials mixed into ordinary values.
        5 => match rng.below(12) {
            0 => 0.0,
            1 => -0.0,
            2 => f32::INFINITY,
            3 => f32::NEG_INFINITY,
            4 => f32::NAN,
            5 => f32::from_bits(1),
            6 => f32::MAX,
            7 => f32::MIN_POSITIVE,
            _ => rng.unit(),
        },
        // Near overflow, and exact zeros of both signs.
        _ => match rng.below(5) {
            0 => rng.sign() * 0.0,
            _ => rng.sign() * (1.0 + rng.unit().abs()) * 2f32.powi(60 + rng.below(5) as i32),
        },
    }
}

#[test]
fn bit_identical_to_scalar() {
    let ms = [1usize, 2, 3, 4, 7, 8, 9, 15, 16, 17, 33];
    let ns = [1usize, 2, 3, 7, 8, 9, 16, 17];
    let ks = [1usize, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 129, 256];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut cases, mut elements, mut mismatches, mut nan_payloads) = (0usize, 0usize, 0usize, 0usize);
    let mut shape_index = 0usize;
    for &m in &ms {
        for &n in &ns {
            for &k in &ks {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    shape_index += 1;
                    // Two distributions per shape, rotating, so each one meets every layout; the
                    // second pair draws A and B from different distributions.
                    for rep in 0..2 {
                        let da = (shape_index + rep * 3) % DISTRIBUTIONS;
                        let db = if rep == 0 { da } else { (da + shape_index) % DISTRIBUTIONS };
                        let a: Vec<f32> = (0..m * k).map(|_| sample(&mut rng, da)).collect();
                        let b: Vec<f32> = (0..k * n).map(|_| sample(&mut rng, db)).collect();
                        let mut want = vec![0.0f32; m * n];
                        let mut got = vec![1.0f32; m * n];
                        matmul_f32(&a, &b, m, k, n, ta, tb, &mut want);
                        matmul_f32_fast(&a, &b, m, k, n, ta, tb, &mut got);
                        cases += 1;
                        elements += m * n;
                        for (idx, (w, g)) in want.iter().zip(&got).enumerate() {
                            if w.is_nan() && g.is_nan() {
                                // Which NaN an x86 operation returns when several operands are
                                // NaN (e.g. an input NaN and the default NaN of `inf - inf`)
                                // depends on the operand order the compiler picks for the
                                // commutative `+`, `*` and FMA; the scalar code's own NaN signs
                                // differ between debug and release builds. Only NaN-ness is
                                // compared.
                                nan_payloads += usize::from(w.to_bits() != g.to_bits());
                            } else if w.to_bits() != g.to_bits() {
                                if mismatches < 20 {
                                    eprintln!(
                                        "m={m} k={k} n={n} ta={ta} tb={tb} dists=({da},{db}) out[{idx}]: \
                                         scalar {w:e} ({:#010x}) simd {g:e} ({:#010x})",
                                        w.to_bits(),
                                        g.to_bits()
                                    );
                                }
                                mismatches += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "{cases} products, {elements} output elements, {mismatches} mismatches, \
         {nan_payloads} NaNs with another sign or payload"
    );
    assert_eq!(mismatches, 0);
}

#[test]
fn degenerate_shapes() {
    // k == 0 gives zeros; m == 0 or n == 0 gives an empty output.
    let mut out = vec![7.0f32; 6];
    matmul_f32_fast(&[], &[], 2, 0, 3, false, false, &mut out);
    assert!(out.iter().all(|v| v.to_bits() == 0));
    let mut empty: Vec<f32> = Vec::new();
    matmul_f32_fast(&[], &[1.0, 2.0], 0, 2, 1, false, false, &mut empty);
    matmul_f32_fast(&[1.0, 2.0], &[], 1, 2, 0, true, true, &mut empty);
}

#[test]
fn large_shapes_fall_back_or_match() {
    // Shapes whose packed operand exceeds the stack buffer (transpose_b with k * n > 4096, and
    // k * m > 4096) and a k above 256.
    let mut rng = Rng(12345);
    for &(m, k, n, ta, tb) in
        &[(20usize, 300usize, 20usize, false, true), (40, 200, 30, false, true), (5, 1000, 9, true, true)]
    {
        let a: Vec<f32> = (0..m * k).map(|_| sample(&mut rng, 1)).collect();
        let b: Vec<f32> = (0..k * n).map(|_| sample(&mut rng, 1)).collect();
        let mut want = vec![0.0f32; m * n];
        let mut got = vec![0.0f32; m * n];
        matmul_f32(&a, &b, m, k, n, ta, tb, &mut want);
        matmul_f32_fast(&a, &b, m, k, n, ta, tb, &mut got);
        let same = want.iter().zip(&got).all(|(w, g)| w.to_bits() == g.to_bits());
        assert!(same, "m={m} k={k} n={n} ta={ta} tb={tb}");
    }
}

/// A plan made once and run many times with its own packing room (as the fast path runs the
/// small products of a training step) gives the scalar code's bits: every kernel and
/// transposition a plan can choose, the short `Dot16` rows (k = 1 ... 16) among them, and the
/// training nets' shapes ([8,2]x[2,3] and its gradients; 2-8-8-1 with batch 10), with subnormal
/// inputs and products among the distributions, over three runs that reuse the scratch.
#[test]
fn plans_match_scalar() {
    let mut shapes: Vec<(usize, usize, usize)> = vec![
        (8, 2, 3),
        (8, 3, 1),
        (3, 8, 1),
        (8, 1, 3),
        (2, 8, 3),
        (10, 2, 8),
        (10, 8, 8),
        (10, 8, 1),
        (10, 1, 8),
        (8, 10, 1),
        (8, 10, 8),
        (2, 10, 8),
        (1, 5, 9),
        (9, 5, 1),
    ];
    for m in [1usize, 2, 3, 5, 8, 10, 15, 16] {
        for k in 1..=17 {
            for n in [1usize, 2, 3, 4, 8, 9, 16] {
                shapes.push((m, k, n));
            }
        }
    }
    let mut rng = Rng(0x5151_2026);
    let mut scratch = Vec::new();
    let mut mismatches = 0usize;
    for (si, &(m, k, n)) in shapes.iter().enumerate() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let plan = MatMulPlan::new(m, k, n, ta, tb);
            if scratch.len() < plan.scratch_len() {
                scratch.resize(plan.scratch_len(), f32::NAN);
            }
            for rep in 0..3 {
                let d = (si + rep * 2) % DISTRIBUTIONS;
                let a: Vec<f32> = (0..m * k).map(|_| sample(&mut rng, if rep == 2 { 4 } else { d })).collect();
                let b: Vec<f32> = (0..k * n).map(|_| sample(&mut rng, d)).collect();
                let mut want = vec![0.0f32; m * n];
                let mut got = vec![1.0f32; m * n];
                matmul_f32(&a, &b, m, k, n, ta, tb, &mut want);
                plan.run(&a, &b, &mut got, &mut scratch);
                for (idx, (w, g)) in want.iter().zip(&got).enumerate() {
                    if !(w.is_nan() && g.is_nan()) && w.to_bits() != g.to_bits() {
                        if mismatches < 20 {
                            eprintln!("m={m} k={k} n={n} ta={ta} tb={tb} d={d} out[{idx}]: {w:e} vs {g:e} ({plan:?})");
                        }
                        mismatches += 1;
                    }
                }
            }
        }
    }
    assert_eq!(mismatches, 0);
}

/// `cargo test --release --test matmul_simd -- --ignored --nocapture bench`
#[test]
#[ignore]
fn bench() {
    use std::hint::black_box;
    use std::time::Instant;
    let shapes: &[(&str, usize, usize, usize, bool, bool)] = &[
        ("[8,2]x[2,3]", 8, 2, 3, false, false),
        ("[8,3]x[3,1]", 8, 3, 1, false, false),
        ("[8,3]^T x [8,1] (ta)", 3, 8, 1, true, false),
        ("[8,1] x [3,1]^T (tb)", 8, 1, 3, false, true),
        ("[8,3]^T x [8,3] (ta)", 3, 8, 3, true, false),
        ("[10,8]x[8,8]", 10, 8, 8, false, false),
        ("[10,8]x[8,8]^T (tb)", 10, 8, 8, false, true),
        ("[8,10]^T x [10,8] (ta)", 8, 10, 8, true, false),
        ("[32,64]x[64,64]", 32, 64, 64, false, false),
        ("[32,64]x[64,64]^T (tb)", 32, 64, 64, false, true),
        ("[64,32]^T x [64,64] (ta)", 32, 64, 64, true, false),
        ("[32,256]x[256,10]", 32, 256, 10, false, false),
        ("[32,256]x[256,1]", 32, 256, 1, false, false),
        ("[8,256]x[16,256]^T (tb)", 8, 256, 16, false, true),
        // One thread's part of the MLP benchmark's (c) TF-order products.
        ("[128,256]x[256,10]", 128, 256, 10, false, false),
        ("[256,256]^T x [256,10] (ta)", 256, 256, 10, true, false),
        ("[128,10]x[512,10]^T (tb)", 128, 10, 512, false, true),
    ];
    let mut rng = Rng(7);
    for &(name, m, k, n, ta, tb) in shapes {
        let a: Vec<f32> = (0..m * k).map(|_| sample(&mut rng, 1)).collect();
        let b: Vec<f32> = (0..k * n).map(|_| sample(&mut rng, 1)).collect();
        let mut out = vec![0.0f32; m * n];
        let iters = (20_000_000 / (m * k * n + 50)).clamp(1_000, 2_000_000);
        let mut time = |f: MatMulFn| {
            for _ in 0..iters / 10 {
                f(black_box(&a), black_box(&b), m, k, n, ta, tb, black_box(&mut out));
            }
            // The best of five runs, against noise from other processes.
            (0..5)
                .map(|_| {
                    let start = Instant::now();
                    for _ in 0..iters / 5 {
                        f(black_box(&a), black_box(&b), m, k, n, ta, tb, black_box(&mut out));
                    }
                    start.elapsed().as_nanos() as f64 / (iters / 5) as f64
                })
                .fold(f64::INFINITY, f64::min)
        };
        let scalar = time(matmul_f32);
        let simd = time(matmul_f32_fast);
        let plan = MatMulPlan::new(m, k, n, ta, tb);
        let mut scratch = vec![0.0f32; plan.scratch_len()];
        let planned = (0..5)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..iters / 5 {
                    plan.run(black_box(&a), black_box(&b), black_box(&mut out), &mut scratch);
                }
                start.elapsed().as_nanos() as f64 / (iters / 5) as f64
            })
            .fold(f64::INFINITY, f64::min);
        println!(
            "{name:<28} scalar {scalar:>9.1} ns  simd {simd:>9.1} ns  planned {planned:>8.1} ns  speedup {:>5.2}x",
            scalar / simd
        );
    }
}
