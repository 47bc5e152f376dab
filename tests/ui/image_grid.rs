//! The sample-images view on the bundled digits (`assets/examples/digits`): one picture per
//! example with its true label, the prediction beside it where the two differ, and a snapshot
//! (`tests/snapshots/image_grid_digits.png`).

use crate::common::root;
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions};
use flowbench::app::panels::image_grid::{ImageGrid, caption};
use flowbench::train::data::idx::{IdxFiles, ImageSet, read_data_sets};

fn test_set() -> ImageSet {
    read_data_sets(&IdxFiles::mnist(root().join("assets/examples/digits")), false, 0).unwrap().test
}

fn harness(set: ImageSet, predicted: Vec<u8>, wgpu: bool) -> Harness<'static> {
    let grid = ImageGrid { first: 0, count: 12, columns: 6, picture: 40.0 };
    let builder = Harness::builder().with_size(egui::Vec2::new(360.0, 160.0));
    let builder = if wgpu { builder.wgpu() } else { builder };
    let mut h = builder.build_ui(move |ui| grid.ui(ui, &set, Some(&predicted)));
    h.run_steps(2);
    h
}

/// The true labels, with two of them predicted wrong.
fn predictions(set: &ImageSet) -> Vec<u8> {
    let mut p: Vec<u8> = (0..12).map(|i| set.label(i)).collect();
    p[1] = (p[1] + 1) % 10;
    p[7] = (p[7] + 3) % 10;
    p
}

#[test]
fn each_picture_is_captioned_with_its_labels() {
    let set = test_set();
    let predicted = predictions(&set);
    let h = harness(set.clone(), predicted.clone(), false);
    for (i, &p) in predicted.iter().enumerate() {
        let text = caption(set.label(i), Some(p));
        assert!(h.query_all_by_label(&text).count() >= 1, "example {i}: no caption '{text}'");
    }
    assert_eq!(caption(3, Some(8)), "3 -> 8");
    assert_eq!(caption(3, Some(3)), "3");
    h.get_by_label(&format!("{} -> {}", set.label(1), predicted[1]));
}

#[test]
fn sample_grid_snapshot() {
    let set = test_set();
    let predicted = predictions(&set);
    let mut h = harness(set, predicted, true);
    h.snapshot_options("image_grid_digits", &SnapshotOptions::new().threshold(0.6).max_failed_pixels(64));
}
