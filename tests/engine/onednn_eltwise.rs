//! Checks `math::onednn_eltwise` bit for bit against the activations TF 2.21 computes inside a
//! fused `MatMul` (oneDNN's JIT post-ops `eltwise_elu`, `eltwise_logistic`, `eltwise_tanh`),
//! recorded in `tests/data/onednn_eltwise_vectors.json` by `tools/onednn_eltwise_vectors.py` (no
//! Python or TF needed here): a grid, normals, every binade of both signs, the clamp and
//! saturation edges, infinities and NaN.

use flowbench::engine::math::onednn_eltwise as od;
use serde_json::Value as Json;

fn vectors() -> Json {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/onednn_eltwise_vectors.json");
    let text = std::fs::read_to_string(path).expect("read onednn_eltwise_vectors.json");
    serde_json::from_str(&text).expect("parse onednn_eltwise_vectors.json")
}

fn floats(j: &Json) -> Vec<f32> {
    j.as_array()
        .expect("array of hex strings")
        .iter()
        .map(|h| f32::from_bits(u32::from_str_radix(h.as_str().expect("hex string"), 16).expect("hex")))
        .collect()
}

/// Runs `f` over the recorded inputs of `name` and lists the first mismatches (NaNs compare by
/// their bits too: oneDNN's are the default NaN).
fn check(name: &str, f: fn(&[f32], &mut [f32])) {
    let v = vectors();
    let (x, want) = (floats(&v[name]["x"]), floats(&v[name]["y"]));
    assert_eq!(x.len(), want.len());
    assert!(x.len() > 4000, "{name}: too few vectors");
    let mut got = vec![0.0f32; x.len()];
    f(&x, &mut got);
    // Odd lengths and offsets too (the kernels have no tail of their own, but keep it so).
    let mut tail = vec![0.0f32; 13];
    f(&x[7..20], &mut tail);
    assert_eq!(
        tail.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        got[7..20].iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    let bad: Vec<(f32, f32, f32)> = x
        .iter()
        .zip(&got)
        .zip(&want)
        .filter(|((_, g), w)| g.to_bits() != w.to_bits())
        .map(|((&x, &g), &w)| (x, g, w))
        .collect();
    let first: Vec<String> = bad
        .iter()
        .take(10)
        .map(|(x, g, w)| {
            format!("{name}({x:e} = {:08x}) = {g:e} ({:08x}), TF {w:e} ({:08x})", x.to_bits(), g.to_bits(), w.to_bits())
        })
        .collect();
    assert!(bad.is_empty(), "{} of {} differ from TF's fused {name}:\n{}", bad.len(), x.len(), first.join("\n"));
}

#[test]
fn fused_elu_matches_tf() {
    check("elu", od::elu_f32);
}

#[test]
fn fused_sigmoid_matches_tf() {
    check("sigmoid", od::logistic_f32);
}

#[test]
fn fused_tanh_matches_tf() {
    check("tanh", od::tanh_f32);
}
