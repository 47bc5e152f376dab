//! Checks `engine::eigen_simd` bit for bit (NaN payloads included) against the scalar lane
//! functions of `engine::eigen_math` that it vectorises.
//!
//! * `sampled_inputs_match_scalar_lanes` (fast): about 2.2 million inputs per one-input function
//!   (every sign and exponent with many mantissas, plus ±0, ±inf, NaNs, subnormals and values
//!   near the clamps and cutoffs), and 1 million random plus special pairs per gradient.
//! * `all_inputs_match_scalar_lanes` (`--ignored`, run it in release): all 2^32 float32 bit
//!   patterns for each one-input function, also `rcpps` against `rcpss`, and 10 million random
//!   plus special pairs per gradient.
//! * `bench_scalar_vs_simd` (`--ignored`, run it in release): ns/element on 4096 elements.
//!
//! Like `tests/eigen_math.rs`, this includes the two source files directly, so it does not build
//! the whole crate.

use flowbench::engine::math::eigen as em;
use flowbench::engine::math::eigen_simd as es;

type Unary = (&'static str, fn(&[f32], &mut [f32]), fn(f32) -> f32);
type Binary = (&'static str, fn(&[f32], &[f32], &mut [f32]), fn(f32, f32) -> f32);

fn unary() -> Vec<Unary> {
    vec![
        ("sigmoid", es::sigmoid_packets, em::sigmoid_packet_lane),
        ("exp", es::exp_packets, em::exp_packet_lane),
        ("log", es::log_packets, em::log_packet_lane),
        ("tanh", es::tanh_packets, em::tanh_lane),
        ("reciprocal", es::reciprocal_packets, em::reciprocal_packet_lane),
    ]
}

/// The packet path of the gradient slice functions for one element (an 8-element call is all
/// packet path).
fn sigmoid_grad_lane(y: f32, dy: f32) -> f32 {
    em::sigmoid_grad_packet_lane(y, dy)
}

/// The scalar packet lane of `TanhGrad`.
fn tanh_grad_lane(y: f32, dy: f32) -> f32 {
    em::tanh_grad_packet_lane(y, dy)
}

fn binary() -> Vec<Binary> {
    vec![
        ("sigmoid_grad", es::sigmoid_grad_packets, sigmoid_grad_lane),
        ("tanh_grad", es::tanh_grad_packets, tanh_grad_lane),
    ]
}

/// xorshift64*: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next_u32(&mut self) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    }
}

/// Bit patterns worth testing explicitly: zeros, infinities, NaNs with assorted payloads,
/// subnormals, and ±1 ulp around the clamps and cutoffs of the lane functions.
fn specials() -> Vec<u32> {
    let mut v = vec![
        0x0000_0000,
        0x8000_0000,
        0x7f80_0000,
        0xff80_0000,
        0x7fc0_0000,
        0xffc0_0000,
        0x7f80_0001,
        0xff80_0001,
        0x7fbf_ffff,
        0x7fff_ffff,
        0xffff_ffff,
        0x7fc1_2345,
        0xffa5_4321,
        0x0000_0001,
        0x8000_0001,
        0x007f_ffff,
        0x807f_ffff,
        0x0040_0000,
        0x0080_0000,
        0x8080_0000,
        0x7f7f_ffff,
        0xff7f_ffff,
    ];
    let edges: [f32; 22] = [
        f32::from_bits(0x4185_1592),
        -104.0,
        104.0,
        87.0,
        -87.0,
        88.0,
        -88.0,
        f32::from_bits(0x42b1_722d),
        -f32::from_bits(0x42b1_722d),
        f32::from_bits(0x40fd_0956),
        -f32::from_bits(0x40fd_0956),
        std::f32::consts::FRAC_1_SQRT_2,
        1.0,
        -1.0,
        0.5,
        2.0,
        127.0,
        -126.0,
        -149.0,
        278.0,
        -278.0,
        0.693_359_4,
    ];
    for e in edges {
        for d in -4i32..=4 {
            v.push(e.to_bits().wrapping_add(d as u32));
        }
    }
    v
}

/// ~2.2 million inputs: every sign and exponent with 4096 mantissas (low-bit and high-bit
/// patterns plus random ones), plus the specials.
fn sampled_inputs() -> Vec<u32> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut v = specials();
    for sign in [0u32, 0x8000_0000] {
        for exp in 0u32..256 {
            let base = sign | (exp << 23);
            for m in 0..1024u32 {
                v.push(base | m); // low mantissa bits
                v.push(base | (m << 13)); // high mantissa bits
                v.push(base | (0x007f_ffff - m)); // just below the next exponent
                v.push(base | (rng.next_u32() & 0x007f_ffff));
            }
        }
    }
    v
}

/// Compares each one-input SIMD function with its lane function on `bits` (padded to a multiple
/// of 8); returns the mismatch count per function and prints the first few.
fn check_unary(bits: &[u32]) -> Vec<(&'static str, u64)> {
    let mut x: Vec<f32> = bits.iter().map(|&b| f32::from_bits(b)).collect();
    while !x.len().is_multiple_of(8) {
        x.push(0.0);
    }
    let mut out = vec![0.0; x.len()];
    let mut counts = Vec::new();
    for (name, simd, lane) in unary() {
        simd(&x, &mut out);
        let mut bad = 0u64;
        for (&v, &o) in x.iter().zip(&out) {
            let want = lane(v);
            if want.to_bits() != o.to_bits() {
                if bad < 5 {
                    eprintln!(
                        "{name}: x = {:#010x}: simd {:#010x}, scalar {:#010x}",
                        v.to_bits(),
                        o.to_bits(),
                        want.to_bits()
                    );
                }
                bad += 1;
            }
        }
        counts.push((name, bad));
    }
    counts
}

/// `n` random pairs (random bit patterns, values in the usual ranges, and specials mixed in)
/// plus every pair of specials.
fn sampled_pairs(n: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let sp = specials();
    let mut rng = Rng(seed);
    let draw = |rng: &mut Rng| -> f32 {
        let r = rng.next_u32();
        match r % 4 {
            0 => f32::from_bits(rng.next_u32()),
            1 => (rng.next_u32() as f32 / u32::MAX as f32) * 2.0 - 0.5, // y in [-0.5, 1.5]
            2 => f32::from_bits(sp[(rng.next_u32() as usize) % sp.len()]),
            _ => f32::from_bits(rng.next_u32() & 0x807f_ffff | (rng.next_u32() % 40) << 23), // tiny
        }
    };
    let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        a.push(draw(&mut rng));
        b.push(draw(&mut rng));
    }
    for &s in &sp {
        for &t in &sp {
            a.push(f32::from_bits(s));
            b.push(f32::from_bits(t));
        }
    }
    while !a.len().is_multiple_of(8) {
        a.push(0.0);
        b.push(0.0);
    }
    (a, b)
}

/// Whether a difference is only the choice between two NaN payloads in the final `dy * t`
/// (both operands NaN). Rust leaves that choice unspecified, and LLVM may commute the scalar
/// multiply; the SIMD code keeps Eigen's operand order `pmul(dy, t)`, so `vmulps` returns `dy`
/// (quieted), as TF does.
fn both_nan_payload_choice(y: f32, dy: f32, scalar: f32, simd: f32) -> bool {
    y.is_nan() && dy.is_nan() && scalar.is_nan() && simd.to_bits() == dy.to_bits() | 0x0040_0000
}

fn check_binary(n: usize) -> Vec<(&'static str, u64, usize)> {
    let (a, b) = sampled_pairs(n, 0x1234_5678_9abc_def1);
    let mut out = vec![0.0; a.len()];
    let mut counts = Vec::new();
    for (name, simd, lane) in binary() {
        simd(&a, &b, &mut out);
        let (mut bad, mut nan_choice) = (0u64, 0u64);
        for ((&y, &d), &o) in a.iter().zip(&b).zip(&out) {
            let want = lane(y, d);
            if want.to_bits() != o.to_bits() && both_nan_payload_choice(y, d, want, o) {
                nan_choice += 1;
            } else if want.to_bits() != o.to_bits() {
                if bad < 5 {
                    eprintln!(
                        "{name}: y = {:#010x}, dy = {:#010x}: simd {:#010x}, scalar {:#010x}",
                        y.to_bits(),
                        d.to_bits(),
                        o.to_bits(),
                        want.to_bits()
                    );
                }
                bad += 1;
            }
        }
        eprintln!("{name}: {} pairs, {bad} mismatches, {nan_choice} both-NaN payload choices", a.len());
        counts.push((name, bad, a.len()));
    }
    counts
}

#[test]
fn sampled_inputs_match_scalar_lanes() {
    let inputs = sampled_inputs();
    let counts = check_unary(&inputs);
    eprintln!("{} inputs per function: {counts:?}", inputs.len());
    let pairs = check_binary(1_000_000);
    eprintln!("gradients: {pairs:?}");
    assert!(counts.iter().all(|&(_, bad)| bad == 0), "mismatches: {counts:?}");
    assert!(pairs.iter().all(|&(_, bad, _)| bad == 0), "mismatches: {pairs:?}");
}

#[test]
fn lengths_and_fallback_agree() {
    // Non-x86 or no-AVX2 machines take the scalar path; on any machine, a zero-length call and
    // a several-packet call must behave.
    let mut out: [f32; 0] = [];
    es::exp_packets(&[], &mut out);
    let x: Vec<f32> = (0..24).map(|i| i as f32 * 0.7 - 8.0).collect();
    let mut o = vec![0.0; 24];
    es::tanh_packets(&x, &mut o);
    for (&v, &r) in x.iter().zip(&o) {
        assert_eq!(r.to_bits(), em::tanh_lane(v).to_bits());
    }
}

#[test]
#[should_panic(expected = "multiple of the packet size")]
fn rejects_a_partial_packet() {
    let mut out = [0.0; 5];
    es::sigmoid_packets(&[0.0; 5], &mut out);
}

/// All 2^32 inputs for every one-input function (two threads), `rcpps` against `rcpss`, and
/// 10 million random pairs (plus specials) for the gradients.
#[test]
#[ignore = "long: all 2^32 inputs; run with --release -- --ignored"]
fn all_inputs_match_scalar_lanes() {
    const CHUNK: u64 = 1 << 16;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let start = std::time::Instant::now();
    let mut totals: Vec<(&'static str, u64)> = unary().iter().map(|u| (u.0, 0)).collect();
    let mut rcp_bad = 0u64;
    let results: Vec<(Vec<u64>, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let fns = unary();
                    let mut bad = vec![0u64; fns.len()];
                    let mut rcp_bad = 0u64;
                    let mut x = vec![0.0f32; CHUNK as usize];
                    let mut out = vec![0.0f32; CHUNK as usize];
                    let mut c = t;
                    while c < (1u64 << 32) / CHUNK {
                        for (i, v) in x.iter_mut().enumerate() {
                            *v = f32::from_bits((c * CHUNK + i as u64) as u32);
                        }
                        for (k, (name, simd, lane)) in fns.iter().enumerate() {
                            simd(&x, &mut out);
                            for (&v, &o) in x.iter().zip(&out) {
                                let want = lane(v);
                                if want.to_bits() != o.to_bits() {
                                    if bad[k] < 5 {
                                        eprintln!(
                                            "{name}: x = {:#010x}: simd {:#010x}, scalar {:#010x}",
                                            v.to_bits(),
                                            o.to_bits(),
                                            want.to_bits()
                                        );
                                    }
                                    bad[k] += 1;
                                }
                            }
                        }
                        rcp_bad += rcp_mismatches(&x);
                        c += threads;
                    }
                    (bad, rcp_bad)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("worker")).collect()
    });
    for (bad, r) in results {
        for (t, b) in totals.iter_mut().zip(bad) {
            t.1 += b;
        }
        rcp_bad += r;
    }
    eprintln!("all 2^32 inputs, mismatches per function: {totals:?}; rcpps vs rcpss: {rcp_bad}");
    let pairs = check_binary(10_000_000);
    eprintln!("gradients (pairs checked, mismatches): {pairs:?}; {:.1} s", start.elapsed().as_secs_f64());
    assert!(totals.iter().all(|&(_, b)| b == 0) && rcp_bad == 0, "mismatches: {totals:?}, rcp {rcp_bad}");
    assert!(pairs.iter().all(|&(_, bad, _)| bad == 0), "mismatches: {pairs:?}");
}

/// Lanes where `_mm256_rcp_ps` differs from `_mm_rcp_ss` (what `em::rcp_estimate` uses).
#[cfg(target_arch = "x86_64")]
fn rcp_mismatches(x: &[f32]) -> u64 {
    use std::arch::x86_64::{_mm256_loadu_ps, _mm256_rcp_ps, _mm256_storeu_ps};
    if !std::arch::is_x86_feature_detected!("avx") {
        return 0;
    }
    let mut bad = 0;
    let mut r = [0.0f32; 8];
    for c in x.chunks_exact(8) {
        // SAFETY: AVX was detected above; `c` and `r` hold 8 floats each.
        unsafe { _mm256_storeu_ps(r.as_mut_ptr(), _mm256_rcp_ps(_mm256_loadu_ps(c.as_ptr()))) };
        for (&v, &e) in c.iter().zip(&r) {
            bad += u64::from(em::rcp_estimate(v).to_bits() != e.to_bits());
        }
    }
    bad
}

#[cfg(not(target_arch = "x86_64"))]
fn rcp_mismatches(_: &[f32]) -> u64 {
    0
}

/// ns/element of the scalar lane loop and of the SIMD function, on 4096 elements.
#[test]
#[ignore = "benchmark; run with --release -- --ignored --nocapture"]
fn bench_scalar_vs_simd() {
    const N: usize = 4096;
    const REPS: usize = 2000;
    let mut rng = Rng(42);
    let x: Vec<f32> = (0..N).map(|_| (rng.next_u32() as f32 / u32::MAX as f32) * 40.0 - 20.0).collect();
    let pos: Vec<f32> = x.iter().map(|v| v.abs() + 1e-3).collect();
    let y: Vec<f32> = (0..N).map(|_| rng.next_u32() as f32 / u32::MAX as f32).collect();
    let mut out = vec![0.0f32; N];
    let time = |f: &mut dyn FnMut()| {
        f();
        let t = std::time::Instant::now();
        for _ in 0..REPS {
            f();
        }
        t.elapsed().as_nanos() as f64 / (REPS * N) as f64
    };
    for (name, simd, lane) in unary() {
        let input = if name == "log" { &pos } else { &x };
        let s = time(&mut || {
            for (o, &v) in out.iter_mut().zip(std::hint::black_box(input)) {
                *o = lane(v);
            }
            std::hint::black_box(&out);
        });
        let v = time(&mut || {
            simd(std::hint::black_box(input), &mut out);
            std::hint::black_box(&out);
        });
        eprintln!("{name:>13}: scalar {s:6.2} ns/elem, simd {v:6.3} ns/elem, speedup {:5.1}x", s / v);
    }
    for (name, simd, _) in binary() {
        let scalar: fn(&[f32], &[f32], &mut [f32]) =
            if name == "sigmoid_grad" { em::sigmoid_grad_f32 } else { em::tanh_grad_f32 };
        let s = time(&mut || {
            scalar(std::hint::black_box(&y), &x, &mut out);
            std::hint::black_box(&out);
        });
        let v = time(&mut || {
            simd(std::hint::black_box(&y), &x, &mut out);
            std::hint::black_box(&out);
        });
        eprintln!("{name:>13}: scalar {s:6.2} ns/elem, simd {v:6.3} ns/elem, speedup {:5.1}x", s / v);
    }
}
