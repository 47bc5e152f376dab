//! Checks `engine::eigen_math` bit for bit against TensorFlow 2.21's own CPU results, recorded in
//! `tests/data/eigen_math_vectors.json` by `tools/eigen_vectors.py` (no Python or TF needed here).
//!
//! Two kinds of result depend on the machine, as they do in TF itself, and are only required to
//! be bit-exact where this machine matches the one the vectors were made on:
//! * the full-packet `Reciprocal` uses the CPU's `rcpps` estimate (checked exactly only on the
//!   same CPU vendor/family/model, else to within 2 ulps);
//! * the scalar tails of `Sigmoid`, `Exp` and `Log` call libm's `expf`/`logf` (checked exactly
//!   on x86-64 Linux with glibc, else to within 1 ulp).

use flowbench::engine::math::eigen as em;
use serde_json::Value as Json;

fn vectors() -> Json {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/eigen_math_vectors.json");
    let text = std::fs::read_to_string(path).expect("read eigen_math_vectors.json");
    serde_json::from_str(&text).expect("parse eigen_math_vectors.json")
}

/// A JSON array of hex bit patterns as floats (also read by `softmax_xent`).
pub(super) fn floats(j: &Json) -> Vec<f32> {
    j.as_array()
        .expect("array of hex strings")
        .iter()
        .map(|h| f32::from_bits(u32::from_str_radix(h.as_str().expect("hex string"), 16).expect("hex")))
        .collect()
}

fn float(j: &Json) -> f32 {
    f32::from_bits(u32::from_str_radix(j.as_str().expect("hex string"), 16).expect("hex"))
}

/// Distance in ulps between two floats of the same sign (large if the signs differ).
fn ulps(a: f32, b: f32) -> u64 {
    let key = |v: f32| {
        let b = v.to_bits() as i64;
        if b & 0x8000_0000 != 0 { -(b & 0x7fff_ffff) } else { b }
    };
    (key(a) - key(b)).unsigned_abs()
}

/// Whether this CPU is the one the vectors were recorded on (same vendor, family and model).
fn same_cpu(meta: &Json) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::__cpuid;
        let (v, f) = (__cpuid(0), __cpuid(1));
        let vendor: Vec<u8> = [v.ebx, v.edx, v.ecx].iter().flat_map(|r| r.to_le_bytes()).collect();
        let base_family = (f.eax >> 8) & 0xf;
        let family = if base_family == 0xf { base_family + ((f.eax >> 20) & 0xff) } else { base_family };
        let model = ((f.eax >> 4) & 0xf) | if base_family >= 0x6 { ((f.eax >> 16) & 0xf) << 4 } else { 0 };
        let cpu = &meta["cpu"];
        String::from_utf8_lossy(&vendor) == cpu["vendor_id"].as_str().unwrap_or("")
            && family.to_string() == cpu["cpu family"].as_str().unwrap_or("")
            && model.to_string() == cpu["model"].as_str().unwrap_or("")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = meta;
        false
    }
}

const GLIBC_X86_64: bool = cfg!(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"));

/// Compares `got` with TF's `want`; `tol(i)` is the allowed ulp distance for element `i` (0 =
/// bit-exact; NaN must meet NaN, with the same bits when exact).
fn check(what: &str, x: &[f32], got: &[f32], want: &[f32], tol: impl Fn(usize) -> u64) -> usize {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let mut bad = 0;
    for i in 0..want.len() {
        let (g, w) = (got[i], want[i]);
        let t = tol(i);
        let ok = if t == 0 {
            g.to_bits() == w.to_bits()
        } else if g.is_nan() || w.is_nan() {
            g.is_nan() && w.is_nan()
        } else {
            ulps(g, w) <= t
        };
        if !ok {
            if bad < 5 {
                eprintln!(
                    "{what}: n={} i={i} x={:08x} ({:e}) got {:08x} ({:e}) want {:08x} ({:e})",
                    want.len(),
                    x[i].to_bits(),
                    x[i],
                    g.to_bits(),
                    g,
                    w.to_bits(),
                    w
                );
            }
            bad += 1;
        }
    }
    bad
}

#[test]
fn unary_ops_match_tensorflow() {
    let v = vectors();
    let exact_rcp = same_cpu(&v["meta"]);
    if !exact_rcp {
        eprintln!(
            "note: not the CPU the vectors were made on; Reciprocal packets checked to 2 ulps (12 bits for |x| > 2^100)"
        );
    }
    type F = fn(&[f32], &mut [f32]);
    let ops: [(&str, F, bool); 6] = [
        ("sigmoid", em::sigmoid_f32, true),
        ("exp", em::exp_f32, true),
        ("log", em::log_f32, true),
        ("tanh", em::tanh_f32, false),
        ("reciprocal", em::reciprocal_f32, false),
        ("sqrt", em::sqrt_f32, false),
    ];
    let (mut total, mut bad) = (0, 0);
    for (name, f, libm_tail) in ops {
        let cases = v["unary"][name].as_array().expect("op cases");
        assert!(!cases.is_empty(), "{name}: no cases");
        for c in cases {
            let (x, want) = (floats(&c["x"]), floats(&c["y"]));
            let mut got = vec![0.0f32; x.len()];
            f(&x, &mut got);
            let k = em::packet_len(x.len());
            let tol = |i: usize| {
                if i < k {
                    match (name == "reciprocal" && !exact_rcp, x[i].abs() > 2f32.powi(100)) {
                        // Another vendor's `rcpps` estimate after the Newton step: 2 ulps, but
                        // only its 12-bit precision where the reciprocal nears the subnormals.
                        (true, true) => 1 << 12,
                        (true, false) => 2,
                        (false, _) => 0,
                    }
                } else if libm_tail && !GLIBC_X86_64 {
                    1
                } else {
                    0
                }
            };
            bad += check(name, &x, &got, &want, tol);
            total += x.len();
        }
    }
    assert_eq!(bad, 0, "{bad} of {total} unary results differ from TF");
    assert!(total > 2000, "only {total} unary cases");
}

#[test]
fn binary_ops_match_tensorflow() {
    let v = vectors();
    type F = fn(&[f32], &[f32], &mut [f32]);
    let ops: [(&str, F); 6] = [
        ("sigmoid_grad", em::sigmoid_grad_f32),
        ("tanh_grad", em::tanh_grad_f32),
        ("sqrt_grad", em::sqrt_grad_f32),
        ("reciprocal_grad", em::reciprocal_grad_f32),
        ("maximum", em::maximum_f32),
        ("minimum", em::minimum_f32),
    ];
    let (mut total, mut bad) = (0, 0);
    for (name, f) in ops {
        for c in v["binary"][name].as_array().expect("op cases") {
            let (a, b, want) = (floats(&c["a"]), floats(&c["b"]), floats(&c["y"]));
            let mut got = vec![0.0f32; a.len()];
            f(&a, &b, &mut got);
            // TF's compiled ReciprocalGrad flips NaN signs unpredictably; only NaN-ness is checked.
            let nan_sign_free = name == "reciprocal_grad";
            let tol = |i: usize| u64::from(nan_sign_free && want[i].is_nan());
            bad += check(name, &a, &got, &want, tol);
            total += a.len();
        }
    }
    assert_eq!(bad, 0, "{bad} of {total} binary results differ from TF");
}

/// The inputs `tools/eigen_vectors.py` makes for long reductions: `(k - 2^23) / 2^21` with `k`
/// the top 24 bits of a 32-bit LCG.
fn lcg_values(seed: u32, n: usize) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((s >> 8) as f32 - 8_388_608.0) / 2_097_152.0
        })
        .collect()
}

#[test]
fn reductions_match_tensorflow() {
    let v = vectors();
    let mut n_cases = 0;
    for c in v["sum"].as_array().expect("sum cases") {
        let x = if c["x"].is_array() {
            floats(&c["x"])
        } else {
            let l = &c["lcg"];
            lcg_values(l["seed"].as_u64().expect("seed") as u32, l["n"].as_u64().expect("n") as usize)
        };
        let s = em::sum_f32(&x);
        let mean = s / x.len() as f32;
        assert_eq!(s.to_bits(), float(&c["sum"]).to_bits(), "reduce_sum of {} values", x.len());
        assert_eq!(mean.to_bits(), float(&c["mean"]).to_bits(), "reduce_mean of {} values", x.len());
        n_cases += 1;
    }
    assert!(n_cases >= 40);
    for c in v["sum_rows"].as_array().expect("sum_rows cases") {
        let (rows, cols) = (c["rows"].as_u64().unwrap() as usize, c["cols"].as_u64().unwrap() as usize);
        let (x, want) = (floats(&c["x"]), floats(&c["y"]));
        let mut got = vec![0.0f32; cols];
        em::sum_rows_f32(&x, rows, cols, &mut got);
        assert_eq!(check(&format!("sum_rows [{rows},{cols}]"), &want, &got, &want, |_| 0), 0);
    }
}

#[test]
fn matmul_matches_tensorflow() {
    let v = vectors();
    for c in v["matmul"].as_array().expect("matmul cases") {
        let dim = |k: &str| c[k].as_u64().unwrap() as usize;
        let (m, k, n) = (dim("m"), dim("k"), dim("n"));
        let (ta, tb) = (c["transpose_a"].as_bool().unwrap(), c["transpose_b"].as_bool().unwrap());
        let (a, b, want) = (floats(&c["a"]), floats(&c["b"]), floats(&c["y"]));
        let mut got = vec![0.0f32; m * n];
        em::matmul_f32(&a, &b, m, k, n, ta, tb, &mut got);
        let what = format!("matmul [{m},{k}]x[{k},{n}] ta={ta} tb={tb}");
        assert_eq!(check(&what, &want, &got, &want, |_| 0), 0, "{what}");
    }
}

/// `tf.nn.elu` and its gradient `EluGrad` on a 13-element float32 tensor (one full packet, then a
/// tail of 5), recorded from TF 2.21 (`compat.v1` session, CPU): signed zeros, ±1, subnormals
/// (read as zero by the comparison, passed through unchanged), -1e-7, inputs whose `exp`
/// underflows (-87.4, -104, -200, on the tail too) and -1e-30 (gives +0). The full check ran
/// against TF on 2,180 float32 values (lengths 13, 9, 17, 7 and 544, shifted so that every value
/// also took the tail path) and matched bit for bit.
#[test]
fn elu_and_elu_grad_match_tf_recorded_values() {
    use flowbench::engine::kernels::elementwise::{elu_f32, elu_grad_f32};
    let f = |b: &[u32]| -> Vec<f32> { b.iter().map(|&v| f32::from_bits(v)).collect() };
    let x = f(&[
        0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x800ae398, 0x000ae398, 0xb3d6bf95, 0xc2b00000, 0xc2aecccd,
        0xc2d00000, 0xc3480000, 0x8da24260, 0x40600000,
    ]);
    let y = f(&[
        0x00000000, 0x80000000, 0x3f800000, 0xbf21d2a7, 0x800ae398, 0x000ae398, 0xb4000000, 0xbf800000, 0xbf800000,
        0xbf800000, 0xbf800000, 0x00000000, 0x40600000,
    ]);
    let dy = f(&[
        0x3df19e0b, 0xbee9dbd6, 0x3fcb69e2, 0xbf6e8d93, 0x3f659d4a, 0xbfa4b20e, 0x3f3004bf, 0xbddcc5f8, 0xc029ee2c,
        0xbbc94c81, 0xbf8c6369, 0xbee9df44, 0x3fca704a,
    ]);
    let dx = f(&[
        0x3df19e0b, 0xbee9dbd6, 0x3fcb69e2, 0xbeaf847c, 0x3f659d4a, 0xbfa4b20e, 0x3f3004be, 0x80000000, 0x80000000,
        0x80000000, 0x80000000, 0xbee9df44, 0x3fca704a,
    ]);
    let mut out = vec![0.0f32; 13];
    elu_f32(&x, &mut out);
    for i in 0..13 {
        assert_eq!(out[i].to_bits(), y[i].to_bits(), "Elu({:e}) at {i}: {:e} vs TF {:e}", x[i], out[i], y[i]);
    }
    elu_grad_f32(&y, &dy, &mut out);
    for i in 0..13 {
        assert_eq!(out[i].to_bits(), dx[i].to_bits(), "EluGrad at {i}: {:e} vs TF {:e}", out[i], dx[i]);
    }
}
