//! Exports of the training plots: each plot's data as CSV, and each plot as PNG (a screenshot of
//! the plot's rect, taken with egui's `ViewportCommand::Screenshot` and cropped). The file name
//! is asked through the dialogs trait; the bytes wait here until the answer comes. PNGs are
//! written by a small stored-deflate encoder (no image crate needed for a few screenshots).

use super::dialogs::DialogKind;
use super::history::Sample;
use super::plots::PlotKind;
use super::{AppState, LogKind};
use std::path::PathBuf;

/// An export in flight.
#[derive(Default)]
pub struct PendingExport {
    /// A PNG asked for: the plot and its rect, waiting for the screenshot.
    pub screenshot: Option<(PlotKind, egui::Rect)>,
    /// The screenshot command was sent (waiting for the image).
    pub requested: bool,
    /// Bytes waiting for a file name, with their suggested name.
    pub bytes: Option<(Vec<u8>, String)>,
}

impl PendingExport {
    /// Asks for a screenshot of `rect` on the next frame.
    pub fn request_png(&mut self, plot: PlotKind, rect: egui::Rect) {
        self.screenshot = Some((plot, rect));
        self.requested = false;
    }
}

fn csv_num(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { String::new() }
}

fn series_csv(out: &mut String, name: &str, pts: &[Sample]) {
    for p in pts {
        out.push_str(&format!("{name},{},{},{}\n", p.step, csv_num(p.time), csv_num(p.value)));
    }
}

/// The CSV text of a plot's data, or `None` when there is nothing to export.
pub fn plot_csv(s: &AppState, plot: PlotKind) -> Option<String> {
    let run = s.training.run.as_ref()?;
    let mut out = String::new();
    match plot {
        PlotKind::Loss => {
            out.push_str("series,step,wall_time_s,value\n");
            series_csv(&mut out, "batch_loss", &run.batch_loss.points());
            series_csv(&mut out, "eval_loss", &run.eval_loss.points());
        }
        PlotKind::Weights => {
            out.push_str("series,step,wall_time_s,value\n");
            for w in &run.weights {
                for (k, series) in w.series.iter().enumerate() {
                    series_csv(&mut out, &format!("{}[{}]", w.name, element_index(&w.shape, k)), &series.points());
                }
            }
        }
        PlotKind::Boundary => {
            let b = run.boundary.as_ref()?;
            out.push_str("x1,x2,output\n");
            let n = b.resolution.max(2);
            let at = |(a, c): (f64, f64), i: usize| a + (c - a) * i as f64 / (n - 1) as f64;
            for r in 0..n {
                for c in 0..n {
                    let v = b.values.get(r * n + c).copied().unwrap_or(f32::NAN);
                    out.push_str(&format!("{},{},{}\n", at(b.x_range, c), at(b.y_range, r), csv_num(f64::from(v))));
                }
            }
        }
    }
    Some(out)
}

/// `i,j` of flat element `k` of a value of `shape` (row-major).
pub fn element_index(shape: &[usize], k: usize) -> String {
    let mut idx = Vec::with_capacity(shape.len());
    let mut rest = k;
    for &d in shape.iter().rev() {
        let d = d.max(1);
        idx.push(rest % d);
        rest /= d;
    }
    idx.reverse();
    idx.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

impl AppState {
    /// Prepares the CSV of `plot` and asks where to save it.
    pub fn export_csv(&mut self, plot: PlotKind) {
        match plot_csv(self, plot) {
            Some(text) => {
                let name = format!("{}.csv", plot.file_stem());
                self.export.bytes = Some((text.into_bytes(), name.clone()));
                self.pending_dialog = Some((DialogKind::ExportCsv, name));
            }
            None => self.log_line(LogKind::Warning, "nothing to export yet: train first".to_string(), None),
        }
    }

    /// Takes a finished screenshot (from the frame's input events), crops it to the plot and
    /// asks where to save the PNG.
    pub fn take_screenshot(&mut self, image: &egui::ColorImage, pixels_per_point: f32) {
        let Some((plot, rect)) = self.export.screenshot.take() else { return };
        self.export.requested = false;
        let cropped = image.region(&rect, Some(pixels_per_point));
        let png = encode_png(cropped.width() as u32, cropped.height() as u32, &cropped.pixels);
        let name = format!("{}.png", plot.file_stem());
        self.export.bytes = Some((png, name.clone()));
        self.pending_dialog = Some((DialogKind::ExportPng, name));
    }

    /// Writes the pending export to `path`.
    pub fn write_export(&mut self, path: PathBuf) {
        let Some((bytes, _)) = self.export.bytes.take() else { return };
        match std::fs::write(&path, bytes) {
            Ok(()) => self.log_line(LogKind::Info, format!("exported {}", path.display()), None),
            Err(e) => self.log_error(format!("could not write {}: {e}", path.display()), None),
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = Vec::with_capacity(data.len() + 4);
    body.extend_from_slice(kind);
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// An RGBA PNG of `pixels` (row-major), zlib-stored (uncompressed deflate blocks).
pub fn encode_png(width: u32, height: u32, pixels: &[egui::Color32]) -> Vec<u8> {
    let mut raw = Vec::with_capacity((width as usize * 4 + 1) * height as usize);
    for y in 0..height as usize {
        raw.push(0); // filter: none
        for x in 0..width as usize {
            let c = pixels.get(y * width as usize + x).copied().unwrap_or_default();
            let [r, g, b, a] = c.to_srgba_unmultiplied();
            raw.extend_from_slice(&[r, g, b, a]);
        }
    }
    let mut z = vec![0x78, 0x01];
    let mut blocks = raw.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        z.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(b) = blocks.next() {
        z.push(u8::from(blocks.peek().is_none()));
        let len = b.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(b);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_header_and_crc() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        let png = encode_png(2, 1, &[egui::Color32::RED, egui::Color32::BLUE]);
        assert_eq!(&png[..8], &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
    }

    #[test]
    fn element_indices_are_row_major() {
        assert_eq!(element_index(&[2, 3], 4), "1,1");
        assert_eq!(element_index(&[3, 1], 2), "2,0");
    }
}
