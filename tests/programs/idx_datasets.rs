//! MNIST's IDX files and `next_batch`, against what TF 1.x's `input_data` (the reference
//! `input_data.py` with numpy 2.4) does on the bundled digits (`assets/examples/digits`),
//! recorded in `tests/data/next_batch/digits_next_batch.json` by `tools/next_batch_vectors.py`:
//! the sets, their float32 pixels bit for bit, and the examples of every batch.

use crate::common::{root, sha256_hex, temp_dir};
use flowbench::engine::dtype::DType;
use flowbench::engine::kernels::random::RandomState;
use flowbench::train::data::idx::{Field, IdxFiles, MNIST_FILES, pixel_table, read_data_sets, write_idx};
use flowbench::train::data::next_batch::NextBatch;
use serde_json::Value as Json;

fn vectors() -> Json {
    let path = root().join("tests/data/next_batch/digits_next_batch.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn digits() -> IdxFiles {
    IdxFiles::mnist(root().join("assets/examples/digits"))
}

#[test]
fn pixels_scale_as_input_data_scales_them() {
    let v = vectors();
    let want: Vec<&str> = v["pixel_scale_hex"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
    let got: Vec<String> = pixel_table().iter().map(|x| format!("{:08x}", x.to_bits())).collect();
    assert_eq!(got, want);
}

#[test]
fn the_digits_read_as_read_data_sets_reads_them() {
    let v = vectors();
    let sets = read_data_sets(&digits(), true, 200).unwrap();
    for (name, set) in [("train", &sets.train), ("validation", &sets.validation), ("test", &sets.test)] {
        let want = &v["one_hot_validation_200"][name];
        assert_eq!(set.len() as u64, want["num_examples"].as_u64().unwrap(), "{name}");
        let images = set.all(Field::Images, DType::Float32);
        let shape: Vec<u64> = want["images_shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap()).collect();
        assert_eq!(images.shape().iter().map(|&d| d as u64).collect::<Vec<_>>(), shape, "{name}");
        let bytes: Vec<u8> = images.to_f64_vec().iter().flat_map(|&x| (x as f32).to_le_bytes()).collect();
        assert_eq!(sha256_hex(&bytes), want["sha256_images_float32_le"].as_str().unwrap(), "{name} images");
        let labels = set.all(Field::Labels, DType::Float64);
        let bytes: Vec<u8> = labels.to_f64_vec().iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(sha256_hex(&bytes), want["sha256_labels_float64_le"].as_str().unwrap(), "{name} labels");
    }
}

#[test]
fn next_batch_returns_the_examples_input_data_returns() {
    let v = vectors();
    for case in v["cases"].as_array().unwrap() {
        let seed = case["numpy_seed"].as_u64().unwrap() as u32;
        let batch = case["batch_size"].as_u64().unwrap() as usize;
        let shuffle = case["shuffle"].as_bool().unwrap();
        let validation = case["validation_size"].as_u64().unwrap() as usize;
        let sets = read_data_sets(&digits(), false, validation).unwrap();
        let mut b = NextBatch::new(sets.train.len(), shuffle, RandomState::new(seed));
        let mut out = Vec::new();
        for (k, want) in case["batches"].as_array().unwrap().iter().enumerate() {
            b.next_batch(batch, &mut out);
            let want: Vec<usize> = want.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
            assert_eq!(out, want, "seed {seed}, batch size {batch}, shuffle {shuffle}: batch {k}");
        }
    }
}

#[test]
fn an_mnist_sized_file_loads_quickly() {
    // 60,000 28x28 images and 10,000 test images, gzipped, as MNIST ships them.
    let d = temp_dir("mnist-sized");
    let n = 60_000;
    let px: Vec<u8> = (0..n * 784).map(|i| ((i * 2_654_435_761usize) >> 13) as u8 & 0xf0).collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    write_idx(&d.join(MNIST_FILES[0]), &[n, 28, 28], &px, true).unwrap();
    write_idx(&d.join(MNIST_FILES[1]), &[n], &labels, true).unwrap();
    write_idx(&d.join(MNIST_FILES[2]), &[10_000, 28, 28], &px[..10_000 * 784], true).unwrap();
    write_idx(&d.join(MNIST_FILES[3]), &[10_000], &labels[..10_000], true).unwrap();
    let t = std::time::Instant::now();
    let sets = read_data_sets(&IdxFiles::mnist(&d), true, 5000).unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!((sets.train.len(), sets.validation.len(), sets.test.len()), (55_000, 5000, 10_000));
    assert_eq!(sets.train.image(0), &px[5000 * 784..5001 * 784]);
    println!("read_data_sets on MNIST-sized files: {secs:.3} s");
    if !cfg!(debug_assertions) {
        assert!(secs < 1.0, "{secs} s");
    }
}

/// An IDX folder, like a CSV file, must be inside the project's folder: `check` and `run` refuse
/// one outside it, naming the path, and one inside is fine.
#[test]
fn an_idx_folder_outside_the_project_is_refused() {
    let dir = temp_dir("idx-outside");
    let project = |folder: &str| {
        serde_json::json!({
            "format_version": 1, "name": "outside", "default_graph": "default",
            "graphs": [{"name": "default", "nodes": []}],
            "datasets": [{"name": "digits", "source": {"kind": "idx", "dir": folder, "one_hot": true}}],
            "script": []
        })
        .to_string()
    };
    let outside = dir.join("outside.json");
    let digits = root().join("assets/examples/digits");
    std::fs::write(&outside, project(digits.to_str().unwrap())).unwrap();
    let out = crate::common::flowbench(&["check".as_ref(), outside.as_os_str()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("outside the project's folder"), "{err}");

    std::fs::create_dir_all(dir.join("digits")).unwrap();
    for f in MNIST_FILES {
        std::fs::copy(digits.join(f), dir.join("digits").join(f)).unwrap();
    }
    let inside = dir.join("inside.json");
    std::fs::write(&inside, project("digits")).unwrap();
    let out = crate::common::flowbench(&["check".as_ref(), inside.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // A file name that is a path could leave the folder: refused by name.
    let mut p: serde_json::Value = serde_json::from_str(&project("digits")).unwrap();
    p["datasets"][0]["source"]["files"] = serde_json::json!(["../../outside-images", "b", "c", "d"]);
    let escaping = dir.join("escaping.json");
    std::fs::write(&escaping, p.to_string()).unwrap();
    let out = crate::common::flowbench(&["check".as_ref(), escaping.as_os_str()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("files[0]: must be a file name inside dir, not a path"), "{err}");
}
