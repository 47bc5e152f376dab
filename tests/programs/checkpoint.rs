//! TF's V2 checkpoints: flowbench reads the bundle real TF wrote (`tests/data/tf/ckpt/`, made by
//! `tests/data/tf/make_reference.py`) with the exact values, writes the same variables byte for
//! byte as TF did, refuses corrupt files with TF's `DataLossError` (never panicking), and, with
//! `FLOWBENCH_TF_PYTHON`, has real TF read what flowbench wrote.

use crate::common::{root, temp_dir};
use flowbench::engine::{DType, Value};
use flowbench::formats::bundle::{BundleReader, data_path, index_path, write_bundle};
use flowbench::formats::state::{CheckpointState, latest_checkpoint};
use ndarray::{ArrayD, IxDyn};
use std::path::PathBuf;

fn tf_prefix() -> PathBuf {
    root().join("tests/data/tf/ckpt/model.ckpt")
}

/// The variables `make_reference.py` saved, as flowbench values.
fn reference_values() -> Vec<(String, Value)> {
    let f32s = |shape: &[usize], v: Vec<f32>| Value::F32(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap());
    vec![
        ("scalar_f32".into(), f32s(&[], vec![1.5])),
        ("weights/vector".into(), f32s(&[3], vec![1.0, -2.5, 3.25])),
        ("weights/matrix".into(), f32s(&[2, 3], (0..6).map(|i| i as f32 / 7.0).collect())),
        (
            "doubles".into(),
            Value::F64(ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1e-30, -0.0, f64::INFINITY, 3.0]).unwrap()),
        ),
        (
            "ints".into(),
            Value::I32(ArrayD::from_shape_vec(IxDyn(&[2, 3, 4]), (0..24).map(|i| i - 12).collect()).unwrap()),
        ),
        ("longs".into(), Value::I64(ArrayD::from_shape_vec(IxDyn(&[2]), vec![1 << 40, -7]).unwrap())),
        ("flags".into(), Value::Bool(ArrayD::from_shape_vec(IxDyn(&[3]), vec![true, false, true]).unwrap())),
        ("empty".into(), f32s(&[0, 3], vec![])),
        ("global_step".into(), Value::I64(ArrayD::from_elem(IxDyn(&[]), 9))),
    ]
}

fn bits(v: &Value) -> Vec<u64> {
    match v {
        Value::F32(a) => a.iter().map(|x| x.to_bits() as u64).collect(),
        Value::F64(a) => a.iter().map(|x| x.to_bits()).collect(),
        _ => v.to_f64_vec().iter().map(|x| *x as i64 as u64).collect(),
    }
}

#[test]
fn reads_the_checkpoint_tf_wrote() {
    let r = BundleReader::open(&tf_prefix()).unwrap();
    let infos = r.tensors();
    let names: Vec<&str> = infos.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["doubles", "empty", "flags", "global_step", "ints", "longs", "scalar_f32", "weights/matrix", "weights/vector"]
    );
    for (name, want) in reference_values() {
        let got = r.get(&name).unwrap();
        assert_eq!(got.dtype(), want.dtype(), "{name}");
        assert_eq!(got.shape(), want.shape(), "{name}");
        assert_eq!(bits(&got), bits(&want), "{name}");
        let info = r.info(&name).unwrap();
        assert_eq!(info.dtype, Ok(want.dtype()));
    }
    assert_eq!(r.info("ints").unwrap().dtype, Ok(DType::Int32));
    let err = r.get("nope").unwrap_err().to_string();
    assert_eq!(err, "NotFoundError: Key nope not found in checkpoint");
    let st = CheckpointState::read(&root().join("tests/data/tf/ckpt")).unwrap().unwrap();
    assert_eq!(st.model_checkpoint_path, "model.ckpt");
    assert_eq!(st.all_model_checkpoint_paths, ["model.ckpt"]);
    assert_eq!(latest_checkpoint(&root().join("tests/data/tf/ckpt")).unwrap(), Some(tf_prefix()));
}

#[test]
fn writes_what_tf_writes_byte_for_byte() {
    let dir = temp_dir("ckpt-bytes");
    let prefix = dir.join("model.ckpt");
    let values = reference_values();
    let tensors: Vec<(String, &Value)> = values.iter().map(|(n, v)| (n.clone(), v)).collect();
    write_bundle(&prefix, &tensors).unwrap();
    let tf = tf_prefix();
    assert_eq!(std::fs::read(index_path(&prefix)).unwrap(), std::fs::read(index_path(&tf)).unwrap());
    assert_eq!(std::fs::read(data_path(&prefix, 0, 1)).unwrap(), std::fs::read(data_path(&tf, 0, 1)).unwrap());
    // And reads back what it wrote.
    let r = BundleReader::open(&prefix).unwrap();
    for (name, want) in &values {
        assert_eq!(bits(&r.get(name).unwrap()), bits(want));
    }
}

#[test]
fn refuses_corrupt_checkpoints_without_panicking() {
    let dir = temp_dir("ckpt-corrupt");
    let prefix = dir.join("model.ckpt");
    let tf = tf_prefix();
    let index = std::fs::read(index_path(&tf)).unwrap();
    let data = std::fs::read(data_path(&tf, 0, 1)).unwrap();
    // A flipped byte in the data: the tensors that cover it fail their checksum.
    let mut bad = data.clone();
    bad[0] ^= 1;
    std::fs::write(index_path(&prefix), &index).unwrap();
    std::fs::write(data_path(&prefix, 0, 1), &bad).unwrap();
    let r = BundleReader::open(&prefix).unwrap();
    let e = r.get("doubles").unwrap_err().to_string();
    assert!(e.starts_with("DataLossError: Checksum does not match: stored "), "{e}");
    assert!(r.get("ints").is_ok());
    // A truncated data file.
    std::fs::write(data_path(&prefix, 0, 1), &data[..100]).unwrap();
    let e = BundleReader::open(&prefix).unwrap().get("weights/vector").unwrap_err().to_string();
    assert!(e.starts_with("DataLossError: Read less bytes than requested"), "{e}");
    // Every flipped bit and every truncation of the index: an error or the right values, never a panic.
    std::fs::write(data_path(&prefix, 0, 1), &data).unwrap();
    for i in 0..index.len() {
        for bit in [0x01u8, 0x80] {
            let mut f = index.clone();
            f[i] ^= bit;
            std::fs::write(index_path(&prefix), &f).unwrap();
            if let Ok(r) = BundleReader::open(&prefix) {
                for t in r.tensors() {
                    let _ = r.get(&t.name);
                }
            }
        }
    }
    for n in 0..index.len() {
        assert!(BundleReader::from_index(&prefix, &index[..n]).is_err());
    }
    let mut f = index.clone();
    f[20] ^= 4;
    let e = BundleReader::from_index(&prefix, &f).unwrap_err().to_string();
    assert!(e.starts_with("DataLossError: block checksum mismatch"), "{e}");
    let e = BundleReader::open(&dir.join("missing")).unwrap_err().to_string();
    assert!(
        e.starts_with(
            "NotFoundError: Unsuccessful TensorSliceReader constructor: Failed to find any matching files for"
        ),
        "{e}"
    );
}
