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
    let shapes = plan_shapes();
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

/// The shapes of [`plans_match_scalar`] and [`hw_plans_match_tf`]: the training nets' products
/// and their gradients, every kernel and transposition a plan can choose, and long `k`s (the
/// per-output kernels).
fn plan_shapes() -> Vec<(usize, usize, usize)> {
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
    for (m, n) in [(1usize, 2usize), (2, 1), (3, 2), (1, 1), (17, 3), (20, 20)] {
        for k in [31usize, 33, 64, 129] {
            shapes.push((m, k, n));
        }
    }
    shapes
}

/// DAZ: a subnormal input reads as a zero of its sign.
fn daz(v: f32) -> f32 {
    if v.is_subnormal() { f32::from_bits(v.to_bits() & 0x8000_0000) } else { v }
}

/// Under TF's hardware mode (`ScopedFlushDenormal`), a plan run with its token, whose kernels
/// leave the software flushes out, gives TF's bits: those of the scalar reference run under the
/// same mode (where the hardware flushes its every operation), over the shapes of
/// [`plan_shapes`], all transposes, every distribution (subnormal inputs, products and sums
/// that underflow, specials). Against the software flush the only differences are TF's mode
/// itself: with the inputs' subnormals read as zero (DAZ) the random products agree bit for bit
/// too, and the band just below `f32::MIN_POSITIVE` (`denormal`'s documentation) is checked on
/// purpose-made products, one per kernel: the hardware (= TF) writes zero where the software
/// flush keeps `MIN_POSITIVE`.
#[test]
fn hw_plans_match_tf() {
    use flowbench::engine::math::denormal::{ScopedFlushDenormal, flushing};
    if ScopedFlushDenormal::new().token().is_none() {
        return;
    }
    // `f` under TF's hardware mode, with the guard's token.
    let under_mode = |f: &mut dyn FnMut(Option<flowbench::engine::math::denormal::HwFtz<'_>>)| {
        let guard = ScopedFlushDenormal::new();
        f(guard.token());
    };
    let mut rng = Rng(0x4857_f725);
    let mut scratch = Vec::new();
    let (mut vs_tf, mut vs_soft, mut nan_payloads, mut cases, mut subnormal_inputs) = (0, 0, 0, 0, 0);
    let same = |w: f32, g: f32| (w.is_nan() && g.is_nan()) || w.to_bits() == g.to_bits();
    for (si, &(m, k, n)) in plan_shapes().iter().enumerate() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let plan = MatMulPlan::new(m, k, n, ta, tb);
            if scratch.len() < plan.scratch_len() {
                scratch.resize(plan.scratch_len(), f32::NAN);
            }
            for rep in 0..4 {
                let d = (si + rep * 2) % DISTRIBUTIONS;
                let a: Vec<f32> = (0..m * k).map(|_| sample(&mut rng, if rep >= 2 { 4 } else { d })).collect();
                let b: Vec<f32> = (0..k * n).map(|_| sample(&mut rng, if rep == 3 { 4 } else { d })).collect();
                subnormal_inputs += a.iter().chain(&b).filter(|v| v.is_subnormal()).count();
                let mut tf = vec![0.0f32; m * n];
                let mut got = vec![1.0f32; m * n];
                under_mode(&mut |hw| {
                    // The scalar reference, its every operation flushed by the hardware: TF's bits.
                    matmul_f32(&a, &b, m, k, n, ta, tb, &mut tf);
                    plan.run_hw(hw, &a, &b, &mut got, &mut scratch);
                });
                // The software flush alone, on the inputs as DAZ reads them.
                assert!(!flushing());
                let (a0, b0): (Vec<f32>, Vec<f32>) =
                    (a.iter().map(|&v| daz(v)).collect(), b.iter().map(|&v| daz(v)).collect());
                let mut soft = vec![0.0f32; m * n];
                matmul_f32(&a0, &b0, m, k, n, ta, tb, &mut soft);
                cases += 1;
                for (idx, ((&t, &g), &w)) in tf.iter().zip(&got).zip(&soft).enumerate() {
                    nan_payloads += usize::from(t.is_nan() && g.is_nan() && t.to_bits() != g.to_bits());
                    for (name, r, count) in [("TF's mode", t, &mut vs_tf), ("the software flush", w, &mut vs_soft)] {
                        if !same(r, g) {
                            if *count < 10 {
                                eprintln!(
                                    "m={m} k={k} n={n} ta={ta} tb={tb} rep={rep} out[{idx}]: {name} {r:e} vs {g:e} ({plan:?})"
                                );
                            }
                            *count += 1;
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "{cases} products ({subnormal_inputs} subnormal inputs): {vs_tf} outputs differ from the scalar \
         code under TF's mode, {vs_soft} from the software flush with DAZ inputs; {nan_payloads} NaN payloads"
    );
    assert!(subnormal_inputs > 1000);
    assert_eq!((vs_tf, vs_soft), (0, 0));

    // Where TF's mode and the software flush differ, on purpose, as every output's first term
    // (the rest are zeros), for every kind of kernel: `(1 - 2^-24) * MIN_POSITIVE` (the band: it
    // rounds to `MIN_POSITIVE` on the subnormal grid, so the software flush keeps it, but is tiny
    // at full precision, so the hardware writes zero), and a subnormal input times 2^30 (normal
    // without DAZ, zero with it).
    let band = (f32::from_bits(0x3f7f_ffff), f32::MIN_POSITIVE, f32::MIN_POSITIVE);
    let sub = (f32::from_bits(3), 2f32.powi(30), 3.0 * 2f32.powi(-119));
    for &(m, k, n, ta, tb) in &[
        (8usize, 2usize, 3usize, false, false), // in-order FMAs, rows of op(A) broadcast
        (3, 8, 1, true, false),                 // in-order FMAs, three rows
        (8, 10, 1, true, false),                // in-order FMAs, transposed
        (8, 3, 1, false, false),                // Dot8, outputs across rows
        (1, 5, 9, false, false),                // Dot8, outputs across columns
        (8, 1, 3, false, true),                 // Dot16 across, k = 1
        (10, 8, 8, false, true),                // Dot16 across
        (3, 40, 1, false, false),               // Dot8 one output at a time
        (2, 33, 1, false, true),                // Dot16 one output at a time
    ] {
        let plan = MatMulPlan::new(m, k, n, ta, tb);
        let mut scratch = vec![0.0f32; plan.scratch_len()];
        for (x, y, soft_value) in [band, sub] {
            // op(A)[i, 0] = x, op(B)[0, j] = y.
            let (ra, cb) = (if ta { 1 } else { k }, if tb { k } else { 1 });
            let mut a = vec![0.0f32; m * k];
            let mut b = vec![0.0f32; k * n];
            (0..m).for_each(|i| a[i * ra] = x);
            (0..n).for_each(|j| b[j * cb] = y);
            let (mut got, mut tf, mut soft) = (vec![1.0f32; m * n], vec![1.0f32; m * n], vec![1.0f32; m * n]);
            under_mode(&mut |hw| {
                plan.run_hw(hw, &a, &b, &mut got, &mut scratch);
                matmul_f32(&a, &b, m, k, n, ta, tb, &mut tf);
            });
            plan.run(&a, &b, &mut soft, &mut scratch);
            let what = format!("{m}x{k}x{n} ta={ta} tb={tb} {x:e} * {y:e} ({plan:?})");
            assert!(got.iter().zip(&tf).all(|(g, t)| g.to_bits() == 0 && t.to_bits() == 0), "{what}: {got:?} {tf:?}");
            assert!(soft.iter().all(|v| v.to_bits() == soft_value.to_bits()), "{what}: {soft:?}");
        }
    }
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
        ("[8,2]^T x [8,3] (ta)", 2, 8, 3, true, false),
        ("[10,2]x[2,8]", 10, 2, 8, false, false),
        ("[10,8]x[8,1]", 10, 8, 1, false, false),
        ("[10,1]x[8,1]^T (tb)", 10, 1, 8, false, true),
        ("[10,8]^T x [10,1] (ta)", 8, 10, 1, true, false),
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
        // The plan under TF's hardware modes, without the software flushes (as the fast path).
        let guard = flowbench::engine::math::denormal::ScopedFlushDenormal::new();
        let hw = (0..5)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..iters / 5 {
                    plan.run_hw(guard.token(), black_box(&a), black_box(&b), black_box(&mut out), &mut scratch);
                }
                start.elapsed().as_nanos() as f64 / (iters / 5) as f64
            })
            .fold(f64::INFINITY, f64::min);
        drop(guard);
        println!(
            "{name:<28} scalar {scalar:>9.1} ns  simd {simd:>9.1} ns  planned {planned:>8.1} ns  hw {hw:>8.1} ns  speedup {:>5.2}x",
            scalar / simd
        );
    }
}
