//! The application's icon, drawn in code (no image decoder needed): three graph nodes on a dark
//! rounded square, two wires feeding the third, in the canvas's colours. The window and taskbar
//! use [`icon_data`]; `assets/flowbench.png` (for the Linux `.desktop` entry) is the same
//! picture, written by [`crate::app::png::encode_png`] and checked against this code by a test.

use egui::Color32;

/// The icon's side in pixels.
pub const SIZE: u32 = 128;

/// The icon's pixels, row-major, `SIZE` × `SIZE`.
pub fn pixels() -> Vec<Color32> {
    let n = SIZE as f32;
    let bg = Color32::from_rgb(24, 28, 38);
    let wire = Color32::from_rgb(86, 156, 255);
    let node = Color32::from_rgb(60, 68, 86);
    let out = Color32::from_rgb(242, 201, 76);
    // Nodes: (centre x, centre y) in units of the side; half-sizes.
    let nodes = [(0.27, 0.30), (0.27, 0.70), (0.73, 0.50)];
    let (hw, hh) = (0.17, 0.11);
    let mut px = vec![Color32::TRANSPARENT; (SIZE * SIZE) as usize];
    for y in 0..SIZE {
        for x in 0..SIZE {
            let (u, v) = ((x as f32 + 0.5) / n, (y as f32 + 0.5) / n);
            // Rounded square with a small margin.
            let (du, dv) = ((u - 0.5).abs() - 0.40, (v - 0.5).abs() - 0.40);
            let outside = du.max(0.0).hypot(dv.max(0.0)) - 0.06;
            if outside > 0.0 {
                continue;
            }
            let mut c = bg;
            // Wires: straight segments from each left node's right edge to the right node.
            for &(nx, ny) in &nodes[..2] {
                let (ax, ay, bx, by) = (nx + hw, ny, nodes[2].0 - hw, nodes[2].1);
                let t = (((u - ax) * (bx - ax) + (v - ay) * (by - ay)) / ((bx - ax).powi(2) + (by - ay).powi(2)))
                    .clamp(0.0, 1.0);
                let d = (u - (ax + t * (bx - ax))).hypot(v - (ay + t * (by - ay)));
                if d < 0.022 {
                    c = wire;
                }
            }
            for (k, &(nx, ny)) in nodes.iter().enumerate() {
                if (u - nx).abs() < hw && (v - ny).abs() < hh {
                    c = if k == 2 { out } else { node };
                    // The header band.
                    if k < 2 && v < ny - hh + 0.06 {
                        c = wire;
                    }
                }
            }
            px[(y * SIZE + x) as usize] = c;
        }
    }
    px
}

/// The icon for the window and the taskbar.
pub fn icon_data() -> egui::IconData {
    let rgba = pixels().iter().flat_map(|c| c.to_srgba_unmultiplied()).collect();
    egui::IconData { rgba, width: SIZE, height: SIZE }
}

/// The icon as a PNG file (what `assets/flowbench.png` holds).
pub fn png() -> Vec<u8> {
    crate::app::png::encode_png(SIZE, SIZE, &pixels())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_desktop_icon_file_is_the_window_icon() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/flowbench.png");
        if std::env::var_os("UPDATE_ICON").is_some() {
            std::fs::write(&path, png()).unwrap();
        }
        let on_disk =
            std::fs::read(&path).expect("assets/flowbench.png (UPDATE_ICON=1 cargo test --lib icon writes it)");
        assert!(on_disk == png(), "assets/flowbench.png differs from the icon drawn in code");
        assert_eq!(icon_data().rgba.len(), (SIZE * SIZE * 4) as usize);
    }
}
