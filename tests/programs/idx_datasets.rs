//! MNIST's IDX files and `next_batch`, against what TF 1.x's `input_data` (the reference
//! `input_data.py` with numpy 2.4) does on the bundled digits (`assets/examples/digits`),
//! recorded in `tests/data/next_batch/digits_next_batch.json` by `tools/next_batch_vectors.py`:
//! the sets, their float32 pixels bit for bit, and the examples of every batch.

use crate::common::{root, temp_dir};
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

fn sha256_hex(data: &[u8]) -> String {
    // The engine tests carry a SHA-256; the programs binary uses the one from `sha256` below.
    sha256::hex(data)
}

/// A minimal SHA-256 (FIPS 180-4) for comparing recorded digests.
mod sha256 {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    pub fn hex(data: &[u8]) -> String {
        let mut h: [u32; 8] =
            [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
        let mut msg = data.to_vec();
        let bits = (data.len() as u64).wrapping_mul(8);
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&bits.to_be_bytes());
        for chunk in msg.chunks_exact(64) {
            let mut w = [0u32; 64];
            for (i, b) in chunk.chunks_exact(4).enumerate() {
                w[i] = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            }
            for i in 16..64 {
                let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
                let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
            }
            let mut v = h;
            for i in 0..64 {
                let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
                let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
                let t1 = v[7].wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
                let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
                let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
                let t2 = s0.wrapping_add(maj);
                v = [t1.wrapping_add(t2), v[0], v[1], v[2], v[3].wrapping_add(t1), v[4], v[5], v[6]];
            }
            for (a, b) in h.iter_mut().zip(v) {
                *a = a.wrapping_add(b);
            }
        }
        h.iter().map(|x| format!("{x:08x}")).collect()
    }

    #[test]
    fn known_digests() {
        assert_eq!(hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
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
}
