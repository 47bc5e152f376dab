//! Bad input never panics: every bundled example, mutated at random (characters flipped,
//! dropped, duplicated; numbers changed; lines cut), is either refused with a message or loads,
//! and what loads also runs its script without panicking (bounded work: train loops are capped).

use flowbench::interpreter::run_script;
use flowbench::project::{Project, Step};
use flowbench::train::data::dataset::DatasetSource;
use std::path::Path;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(text: &str, rng: &mut Lcg) -> String {
    let mut b: Vec<u8> = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(3) {
        if b.is_empty() {
            break;
        }
        let i = rng.below(b.len());
        match rng.below(6) {
            0 => {
                b.remove(i);
            }
            1 => b.insert(i, b"{}[]:,\"0-9.e"[rng.below(12)]),
            2 => b[i] = b"0123456789-"[rng.below(11)],
            3 => b.truncate(i),
            4 => {
                let j = (i + rng.below(40)).min(b.len());
                let chunk: Vec<u8> = b[i..j].to_vec();
                b.splice(i..i, chunk);
            }
            _ => b[i] = b" \"x?"[rng.below(4)],
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

#[test]
fn mutated_projects_are_refused_or_run_but_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
    let mut rng = Lcg(12345);
    let (mut refused, mut ran) = (0, 0);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for _ in 0..300 {
            let m = mutate(&text, &mut rng);
            match Project::from_json_str(&m) {
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    refused += 1;
                }
                Ok(mut p) => {
                    // Keep the work bounded whatever a mutation did to the numbers (the MNIST
                    // example's steps on image files are ~40 times a table example's: 5 of them).
                    let images = p.datasets.iter().any(|d| matches!(d.source, DatasetSource::Idx { .. }));
                    for s in &mut p.script {
                        if let Step::TrainLoop { steps, batch_size, .. } = s {
                            *steps = (*steps).min(if images { 5 } else { 200 });
                            *batch_size = (*batch_size).clamp(1, 256);
                        }
                    }
                    p.datasets
                        .retain(|d| !matches!(&d.source, DatasetSource::NumpyRand { rows, .. } if *rows > 100_000));
                    let _ = run_script(&p, &mut |_| {});
                    ran += 1;
                }
            }
        }
    }
    assert!(refused > 0 && ran > 0, "refused {refused}, ran {ran}");
}
