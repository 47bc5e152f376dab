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

/// A graph with variables `v1` = [1.0] and `v2` = [2.0, 3.0] (or zeros), initialized in a session.
fn session_with(v1: f32, v2: [f32; 2], names: [&str; 2]) -> (flowbench::engine::Graph, flowbench::engine::Session) {
    use flowbench::engine::{ConfigProto, Graph, Session};
    let mut g = Graph::new();
    let c1 = g.constant(Value::F32(ArrayD::from_shape_vec(IxDyn(&[1]), vec![v1]).unwrap()), None).unwrap();
    g.variable(c1, Some(names[0])).unwrap();
    let c2 = g.constant(Value::F32(ArrayD::from_shape_vec(IxDyn(&[2]), v2.to_vec()).unwrap()), None).unwrap();
    g.variable(c2, Some(names[1])).unwrap();
    let init = g.global_variables_initializer().unwrap();
    let mut s = Session::new(&g, ConfigProto::default());
    s.run(&g, &[], &[], &[init]).unwrap();
    (g, s)
}

#[test]
fn saver_saves_and_restores_a_session() {
    use flowbench::formats::saver::{Saver, VarList};
    let dir = temp_dir("saver");
    let path = dir.join("model.ckpt");
    let (g, s) = session_with(1.0, [2.0, 3.0], ["v1", "v2"]);
    let mut saver = Saver::new(&g, &VarList::All, 5).unwrap();
    assert_eq!(saver.save(&s, &path, None, Some(&g)).unwrap(), path);
    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    files.sort();
    assert_eq!(files, ["checkpoint", "model.ckpt.data-00000-of-00001", "model.ckpt.index", "model.ckpt.meta"]);
    let state = std::fs::read_to_string(dir.join("checkpoint")).unwrap();
    let p = path.display();
    assert_eq!(state, format!("model_checkpoint_path: \"{p}\"\nall_model_checkpoint_paths: \"{p}\"\n"));

    // Into a graph that declares the same variables with other values.
    let (g2, mut s2) = session_with(0.0, [0.0, 0.0], ["v1", "v2"]);
    Saver::new(&g2, &VarList::All, 5).unwrap().restore(&mut s2, &g2, &path).unwrap();
    assert_eq!(s2.variable_value("v2").unwrap().to_f64_vec(), [2.0, 3.0]);
    assert_eq!(s2.variable_value("v1").unwrap().to_f64_vec(), [1.0]);

    // Renamed on restore, and a subset.
    let (g3, mut s3) = session_with(0.0, [0.0, 0.0], ["other-v1", "other-v2"]);
    let map = VarList::Map(vec![("v1".into(), "other-v1".into()), ("v2".into(), "other-v2".into())]);
    Saver::new(&g3, &map, 5).unwrap().restore(&mut s3, &g3, &path).unwrap();
    assert_eq!(s3.variable_value("other-v2").unwrap().to_f64_vec(), [2.0, 3.0]);
    let e = Saver::new(&g3, &VarList::All, 5).unwrap().restore(&mut s3, &g3, &path).unwrap_err().to_string();
    assert!(
        e.starts_with("NotFoundError: Restoring from checkpoint failed. This is most likely due to a Variable name"),
        "{e}"
    );
    assert!(e.ends_with("Key other-v1 not found in checkpoint"), "{e}");

    // A shape mismatch and a dtype mismatch are refused and nothing is restored.
    let (g4, mut s4) = session_with(5.0, [0.0, 0.0], ["v2", "v1"]);
    let e = Saver::new(&g4, &VarList::All, 5).unwrap().restore(&mut s4, &g4, &path).unwrap_err().to_string();
    assert!(e.starts_with("InvalidArgumentError: Restoring from checkpoint failed."), "{e}");
    assert!(e.ends_with("Assign requires shapes of both tensors to match. lhs shape= [1] rhs shape= [2]"), "{e}");
    assert_eq!(s4.variable_value("v2").unwrap().to_f64_vec(), [5.0]);
    let e = Saver::new(&g2, &VarList::All, 5).unwrap().restore(&mut s2, &g2, &dir.join("nope")).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("ValueError: The passed save_path is not a valid checkpoint: {}", dir.join("nope").display())
    );

    // Saving an uninitialized variable is TF's FailedPreconditionError.
    let fresh = flowbench::engine::Session::new(&g, flowbench::engine::ConfigProto::default());
    let e = saver.save(&fresh, &path, None, None).unwrap_err().to_string();
    assert_eq!(e, "FailedPreconditionError: Attempting to use uninitialized value v1");
    assert_eq!(
        Saver::new(&flowbench::engine::Graph::new(), &VarList::All, 5).unwrap_err().to_string(),
        "ValueError: No variables to save"
    );
}

#[test]
fn max_to_keep_deletes_old_checkpoints() {
    use flowbench::formats::saver::{Saver, VarList};
    let dir = temp_dir("keep");
    let (g, s) = session_with(1.0, [2.0, 3.0], ["v1", "v2"]);
    let mut saver = Saver::new(&g, &VarList::Names(vec!["v2".into()]), 2).unwrap();
    saver.save_relative_paths = true;
    for step in [10, 20, 30] {
        saver.save(&s, &dir.join("model.ckpt"), Some(step), None).unwrap();
    }
    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    files.sort();
    assert_eq!(
        files,
        [
            "checkpoint",
            "model.ckpt-20.data-00000-of-00001",
            "model.ckpt-20.index",
            "model.ckpt-30.data-00000-of-00001",
            "model.ckpt-30.index"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("checkpoint")).unwrap(),
        "model_checkpoint_path: \"model.ckpt-30\"\nall_model_checkpoint_paths: \"model.ckpt-20\"\nall_model_checkpoint_paths: \"model.ckpt-30\"\n"
    );
    assert_eq!(latest_checkpoint(&dir).unwrap(), Some(dir.join("model.ckpt-30")));
    let r = BundleReader::open(&dir.join("model.ckpt-30")).unwrap();
    assert_eq!(r.tensors().len(), 1);
    assert!(latest_checkpoint(&dir.join("none")).unwrap().is_none());
}

#[test]
fn ckpt_inspect_prints_what_inspect_checkpoint_prints() {
    use crate::common::flowbench;
    let data = root().join("tests/data/tf");
    let prefix = tf_prefix();
    for (args, want) in [
        (vec![], "inspect.txt"),
        (vec!["--values"], "inspect_values.txt"),
        (vec!["--tensor", "ints"], "inspect_ints.txt"),
    ] {
        let mut a: Vec<&std::ffi::OsStr> = vec!["ckpt".as_ref(), "inspect".as_ref(), prefix.as_os_str()];
        a.extend(args.iter().map(std::ffi::OsStr::new));
        let o = flowbench(&a);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(String::from_utf8_lossy(&o.stdout), std::fs::read_to_string(data.join(want)).unwrap(), "{want}");
    }
    // The folder works as the prefix (through the `checkpoint` file).
    let o = flowbench(&["ckpt".as_ref(), "inspect".as_ref(), data.join("ckpt").as_os_str()]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), std::fs::read_to_string(data.join("inspect.txt")).unwrap());
    let o = flowbench(&["ckpt".as_ref(), "inspect".as_ref(), data.join("nothing").as_os_str()]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).starts_with("NotFoundError: Unsuccessful TensorSliceReader constructor")
    );
}
