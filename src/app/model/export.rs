//! Plot exports as data: which plot ([`PlotKind`]), an export in flight ([`PendingExport`]: a
//! PNG waiting for its screenshot, bytes waiting for a file name) and the CSV text of a plot's
//! data. The commands that start and finish an export are in `crate::app::apply::export`.

use crate::app::model::series::Sample;
use crate::app::model::training::TrainRun;

/// Which plot (for exports).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlotKind {
    /// Batch and eval loss.
    Loss,
    /// Weights over time.
    Weights,
    /// Decision boundary.
    Boundary,
}

impl PlotKind {
    /// The file name an export suggests.
    pub fn file_stem(self) -> &'static str {
        match self {
            PlotKind::Loss => "loss",
            PlotKind::Weights => "weights",
            PlotKind::Boundary => "decision_boundary",
        }
    }
}

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
pub fn plot_csv(run: &TrainRun, plot: PlotKind) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_indices_are_row_major() {
        assert_eq!(element_index(&[2, 3], 4), "1,1");
        assert_eq!(element_index(&[3, 1], 2), "2,0");
    }
}
