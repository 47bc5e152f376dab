//! `SoftmaxCrossEntropyWithLogits` on float32 against TensorFlow 2.21's own results, bit for bit,
//! recorded in `tests/data/softmax_xent_vectors.json` by `tools/xent_vectors.py` (no Python or TF
//! needed here): through the kernel the general path runs and through the slice function the fast
//! path runs. The exponentials' and logarithms' scalar tails call libm (`expf`, `logf`), so the
//! bits are required on x86-64 Linux with glibc, as the vectors were made; elsewhere to 2 ulps.

use super::eigen_math::floats;
use flowbench::engine::kernels::nn::{softmax_cross_entropy_with_logits, xent_rows_f32};
use flowbench::engine::value::Value;
use ndarray::{ArrayD, IxDyn};
use serde_json::Value as Json;

/// True when `got` is TF's `want`: the same bits (NaNs of any payload alike), or within 2 ulps
/// off glibc.
fn same(got: f32, want: f32) -> bool {
    if got.is_nan() || want.is_nan() {
        return got.is_nan() && want.is_nan();
    }
    if got.to_bits() == want.to_bits() {
        return true;
    }
    let exact = cfg!(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"));
    !exact && got.is_sign_negative() == want.is_sign_negative() && got.to_bits().abs_diff(want.to_bits()) <= 2
}

#[test]
fn softmax_xent_is_tfs_bit_for_bit() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/softmax_xent_vectors.json");
    let doc: Json = serde_json::from_str(&std::fs::read_to_string(path).expect("read vectors")).expect("parse");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() > 100, "vectors truncated");
    let mut bad = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let shape: Vec<usize> =
            case["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let (batch, classes) = (shape[0], shape[1]);
        let (x, z) = (floats(&case["logits"]), floats(&case["labels"]));
        let (want_loss, want_bp) = (floats(&case["loss"]), floats(&case["backprop"]));
        // The fast path's slice function.
        let (mut l, mut bp) = (vec![0.0f32; batch], vec![0.0f32; batch * classes]);
        xent_rows_f32(&z, &x, classes, &mut l, &mut bp);
        // The general path's kernel.
        let value = |d: &[f32]| Value::F32(ArrayD::from_shape_vec(IxDyn(&shape), d.to_vec()).expect("shape"));
        let (xv, zv) = (value(&x), value(&z));
        let (mut lv, mut bv) = (Value::scalar_f32(0.0), Value::scalar_f32(0.0));
        softmax_cross_entropy_with_logits(&zv, &xv, &mut lv, &mut bv).expect("kernel");
        let floats_of = |v: &Value| match v {
            Value::F32(a) => a.iter().copied().collect::<Vec<f32>>(),
            other => panic!("case {i}: {:?} output", other.dtype()),
        };
        let (gl, gb) = (floats_of(&lv), floats_of(&bv));
        for (what, got, want) in [
            ("loss", &l, &want_loss),
            ("backprop", &bp, &want_bp),
            ("kernel loss", &gl, &want_loss),
            ("kernel backprop", &gb, &want_bp),
        ] {
            assert_eq!(got.len(), want.len(), "case {i} {what}: length");
            if let Some(j) = (0..got.len()).find(|&j| !same(got[j], want[j])) {
                bad.push(format!("case {i} [{batch}, {classes}] {what}[{j}]: {:e} vs TF {:e}", got[j], want[j]));
            }
        }
    }
    assert!(bad.is_empty(), "{} mismatches:\n{}", bad.len(), bad.join("\n"));
}
