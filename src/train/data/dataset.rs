//! Datasets a project trains on, as stored in the project file (serde forms), and their
//! materialization: generated ones (numpy's `RandomState(seed).rand(rows, features)` with a
//! label rule, as the seed's program makes its data; TensorFlow Playground's generators),
//! referenced CSV files, inline tables, and MNIST's IDX files (image sets, read by
//! [`Dataset::images_in`], not tables). A table dataset materializes into a [`Table`] of f64
//! columns that the train loop cuts into batches. The project file stores these types.

use crate::engine::kernels::random::RandomState;
use crate::train::data::idx::{IdxFiles, ImageSets, read_data_sets};
pub use crate::train::data::table::{MAX_COLUMNS, MAX_ROWS, Table};
use serde::{Deserialize, Serialize};

/// How a label column is computed from the features of a row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum LabelRule {
    /// `int(x1 + ... + xn < threshold)` (the seed's `int(x1+x2 < 1)`).
    SumLessThan {
        /// The threshold.
        threshold: f64,
    },
    /// `int(x1 ** 2 + ... + xn ** 2 < threshold)` (a disc: chapter 4.4.2's
    /// `int(x1 ** 2 + x2 ** 2 < 0.5)`).
    SquaresLessThan {
        /// The threshold.
        threshold: f64,
    },
    /// A regression target `x1 + ... + xn + rand() / divisor - offset`, one more `rand()` of the
    /// same `RandomState` per row, drawn after all the features (chapter 4.2.2's
    /// `[[x1 + x2 + rdm.rand() / 10.0 - 0.05] for (x1, x2) in X]`).
    SumPlusNoise {
        /// The noise's divisor (10 in the book).
        divisor: f64,
        /// Subtracted last (0.05 in the book).
        offset: f64,
    },
}

/// Where a dataset's rows come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DatasetSource {
    /// `RandomState(seed).rand(rows, features)` plus a label column (`y`). Columns `x1..xn, y`.
    NumpyRand {
        /// `RandomState` seed.
        seed: u32,
        /// Number of rows.
        rows: usize,
        /// Number of feature columns.
        features: usize,
        /// The label rule.
        label: LabelRule,
    },
    /// TensorFlow Playground's "circle": a disc of radius 2.5 (label 1) inside a ring from 3.5
    /// to 5 (label 0). Columns `x1, x2, y`. See [`playground`] for the generators and labels.
    Circle {
        /// `RandomState` seed.
        seed: u32,
        /// Number of rows (Playground's `numSamples`; half per class).
        rows: usize,
        /// Noise, 0 to 0.5 (Playground's slider divided by 100).
        noise: f64,
    },
    /// TensorFlow Playground's "exclusive or": label 1 where `x1 * x2 >= 0`. Columns `x1, x2, y`.
    Xor {
        /// `RandomState` seed.
        seed: u32,
        /// Number of rows.
        rows: usize,
        /// Noise, 0 to 0.5.
        noise: f64,
    },
    /// TensorFlow Playground's "gaussian": two Gaussians at (2, 2) (label 1) and (-2, -2)
    /// (label 0). Columns `x1, x2, y`.
    Gauss {
        /// `RandomState` seed.
        seed: u32,
        /// Number of rows (half per class).
        rows: usize,
        /// Noise, 0 to 0.5 (sets the variance, from 0.5 to 4).
        noise: f64,
    },
    /// TensorFlow Playground's "spiral": two interleaved spirals (label 1 and label 0). Columns
    /// `x1, x2, y`.
    Spiral {
        /// `RandomState` seed.
        seed: u32,
        /// Number of rows (half per class).
        rows: usize,
        /// Noise, 0 to 0.5.
        noise: f64,
    },
    /// A CSV file referred to by a path relative to the project file (see `crate::train::data::csv`): the
    /// columns `select` of every data row, named `columns`.
    Csv {
        /// The file, relative to the project file's folder (or absolute).
        path: String,
        /// Whether the file's first row is a header.
        #[serde(default)]
        header: bool,
        /// The kept columns of the file (from 0), features first, then the label.
        select: Vec<usize>,
        /// Their names in the dataset.
        columns: Vec<String>,
    },
    /// MNIST's four IDX files in a folder, read as TF 1.x's
    /// `input_data.read_data_sets(dir, one_hot=..., validation_size=...)` reads them (see
    /// [`crate::train::data::idx`]): the training, validation and test sets, each with the
    /// fields `images` (`(n, rows*cols)` float32 in [0, 1]) and `labels` (`(n, 10)` one-hot or
    /// `(n,)` class indices).
    Idx {
        /// The folder, relative to the project file's folder (or absolute).
        dir: String,
        /// Labels one-hot.
        #[serde(default)]
        one_hot: bool,
        /// Training examples split off (from the front) as the validation set.
        #[serde(default = "default_validation_size")]
        validation_size: usize,
        /// The four file names (training images, training labels, test images, test labels);
        /// MNIST's when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        files: Option<[String; 4]>,
    },
    /// Rows stored in the project.
    Inline {
        /// Column names.
        columns: Vec<String>,
        /// Row values.
        rows: Vec<Vec<f64>>,
    },
}

/// `read_data_sets`' default `validation_size`.
fn default_validation_size() -> usize {
    5000
}

/// A named dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Name the train loop refers to.
    pub name: String,
    /// Its rows.
    pub source: DatasetSource,
}

impl Dataset {
    /// Like [`Dataset::materialize`], with a referenced file's path taken relative to `base` (the
    /// project file's folder).
    pub fn materialize_in(&self, base: Option<&std::path::Path>) -> Result<Table, String> {
        match (&self.source, base) {
            (DatasetSource::Csv { path, header, select, columns }, Some(_)) => {
                crate::train::data::csv::load_referenced(base, path, *header, select, columns)
                    .map_err(|e| format!("dataset '{}': {e}", self.name))
            }
            _ => self.materialize(),
        }
    }

    /// Checks the counts and sizes a generated or inline dataset declares (checked arithmetic),
    /// before anything is allocated; the message names the dataset and the field. Run on load by
    /// the project's validation and again before materializing.
    pub fn check_sizes(&self) -> Result<(), String> {
        let name = &self.name;
        let too_many =
            |rows: usize| format!("dataset '{name}': rows: {rows} rows is too many (at most {MAX_ROWS} values in all)");
        match &self.source {
            DatasetSource::NumpyRand { rows, features, .. } => {
                if *features == 0 {
                    return Err(format!("dataset '{name}': features must be at least 1"));
                }
                if *features >= MAX_COLUMNS {
                    return Err(format!(
                        "dataset '{name}': features: {features} is too many (at most {})",
                        MAX_COLUMNS - 1
                    ));
                }
                match rows.checked_mul(features + 1) {
                    Some(n) if n <= MAX_ROWS => Ok(()),
                    _ => Err(too_many(*rows)),
                }
            }
            DatasetSource::Circle { rows, noise, .. }
            | DatasetSource::Xor { rows, noise, .. }
            | DatasetSource::Gauss { rows, noise, .. }
            | DatasetSource::Spiral { rows, noise, .. } => {
                if rows.checked_mul(3).is_none_or(|n| n > MAX_ROWS) {
                    return Err(too_many(*rows));
                }
                if !noise.is_finite() || !(0.0..=1.0).contains(noise) {
                    return Err(format!("dataset '{name}': noise must be between 0 and 1"));
                }
                Ok(())
            }
            DatasetSource::Csv { select, columns, .. } => {
                if select.len() > MAX_COLUMNS || columns.len() > MAX_COLUMNS {
                    return Err(format!("dataset '{name}': columns: at most {MAX_COLUMNS} columns"));
                }
                Ok(())
            }
            // The IDX reader checks the files' dimensions against its limits as it reads them.
            DatasetSource::Idx { .. } => Ok(()),
            DatasetSource::Inline { columns, .. } => {
                if columns.len() > MAX_COLUMNS {
                    return Err(format!("dataset '{name}': columns: at most {MAX_COLUMNS} columns"));
                }
                Ok(())
            }
        }
    }

    /// Reads an [`DatasetSource::Idx`] dataset's sets, its folder taken relative to `base` (the
    /// project file's folder). Errors name the dataset and the file.
    pub fn images_in(&self, base: Option<&std::path::Path>) -> Result<ImageSets, String> {
        let DatasetSource::Idx { dir, one_hot, validation_size, files } = &self.source else {
            return Err(format!("dataset '{}' is a table, not IDX image files", self.name));
        };
        // Like a CSV file, the folder must be inside the project's folder (or a trusted one).
        let folder = crate::train::data::files::resolve_inside(base, dir)
            .map_err(|m| format!("dataset '{}': {m}", self.name))?;
        let mut f = IdxFiles::mnist(folder);
        if let Some(names) = files {
            f.names = names.clone();
        }
        read_data_sets(&f, *one_hot, *validation_size).map_err(|e| format!("dataset '{}': {e}", self.name))
    }

    /// Computes the rows.
    pub fn materialize(&self) -> Result<Table, String> {
        match &self.source {
            DatasetSource::Idx { .. } => Err(format!(
                "dataset '{}' holds IDX image files: it feeds a train loop by its fields images and labels, not as a table",
                self.name
            )),
            DatasetSource::NumpyRand { seed, rows, features, label } => {
                self.check_sizes()?;
                // The table, through the engine's memory check.
                crate::engine::memory::reserve(&[*rows, features + 1], crate::engine::dtype::DType::Float64)
                    .map_err(|e| format!("dataset '{}': {}", self.name, e))?;
                let mut rs = RandomState::new(*seed);
                let x = rs.rand(rows * features);
                let mut data = Vec::with_capacity(rows * (features + 1));
                for r in x.chunks(*features) {
                    data.extend_from_slice(r);
                    let y = match label {
                        LabelRule::SumLessThan { threshold } => {
                            // Python sums left to right: x1 + x2 + ...
                            let s = r.iter().fold(0.0, |a, b| a + b);
                            if s < *threshold { 1.0 } else { 0.0 }
                        }
                        LabelRule::SquaresLessThan { threshold } => {
                            // `x ** 2` is correctly rounded, as `x * x` is.
                            let s = r.iter().fold(0.0, |a, b| a + b * b);
                            if s < *threshold { 1.0 } else { 0.0 }
                        }
                        LabelRule::SumPlusNoise { divisor, offset } => {
                            let s = r.iter().fold(0.0, |a, b| a + b);
                            let noise = rs.rand(1).first().copied().unwrap_or(0.0);
                            s + noise / divisor - offset
                        }
                    };
                    data.push(y);
                }
                let mut columns: Vec<String> = (1..=*features).map(|i| format!("x{i}")).collect();
                columns.push("y".to_string());
                Ok(Table { columns, data, rows: *rows })
            }
            DatasetSource::Circle { seed, rows, noise }
            | DatasetSource::Xor { seed, rows, noise }
            | DatasetSource::Gauss { seed, rows, noise }
            | DatasetSource::Spiral { seed, rows, noise } => {
                self.check_sizes()?;
                let mut rs = RandomState::new(*seed);
                let points = match &self.source {
                    DatasetSource::Circle { .. } => playground::circle(&mut rs, *rows, *noise),
                    DatasetSource::Xor { .. } => playground::xor(&mut rs, *rows, *noise),
                    DatasetSource::Gauss { .. } => playground::two_gauss(&mut rs, *rows, *noise),
                    _ => playground::spiral(&mut rs, *rows, *noise),
                };
                let points = playground::shuffled(&mut rs, points);
                let mut data = Vec::with_capacity(points.len() * 3);
                for p in &points {
                    data.extend_from_slice(&[p.x, p.y, playground::label01(p.label)]);
                }
                Ok(Table { columns: vec!["x1".into(), "x2".into(), "y".into()], data, rows: points.len() })
            }
            DatasetSource::Csv { path, header, select, columns } => {
                crate::train::data::csv::load_referenced(None, path, *header, select, columns)
                    .map_err(|e| format!("dataset '{}': {e}", self.name))
            }
            DatasetSource::Inline { columns, rows } => {
                let mut data = Vec::with_capacity(rows.len() * columns.len());
                for (i, r) in rows.iter().enumerate() {
                    if r.len() != columns.len() {
                        return Err(format!(
                            "dataset '{}': row {} has {} values, expected {}",
                            self.name,
                            i + 1,
                            r.len(),
                            columns.len()
                        ));
                    }
                    data.extend_from_slice(r);
                }
                Ok(Table { columns: columns.clone(), data, rows: rows.len() })
            }
        }
    }
}

/// TensorFlow Playground's 2-D classification generators (`dataset.ts`: `classifyCircleData`,
/// `classifyXORData`, `classifyTwoGaussData`, `classifySpiralData`) with numpy's
/// `RandomState(seed).random_sample()` in place of `Math.random()`, so a dataset is the same on
/// every run and machine. The steps and constants are Playground's, in its order of draws; the
/// rows are shuffled afterwards as Playground shuffles them (its `shuffle`, a Fisher-Yates from
/// the end), so that cyclic batches mix both classes.
///
/// Labels: Playground labels points `+1` and `-1` (for its tanh output); here `+1` becomes `1`
/// and `-1` becomes `0`, the labels a sigmoid with cross-entropy (the seed's network) expects.
pub mod playground {
    use crate::engine::kernels::random::RandomState;

    /// A generated point with Playground's label (`+1` or `-1`).
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct Point {
        /// First coordinate.
        pub x: f64,
        /// Second coordinate.
        pub y: f64,
        /// `+1.0` or `-1.0`.
        pub label: f64,
    }

    /// Playground's label mapped to this project's: `+1 → 1`, `-1 → 0`.
    pub fn label01(label: f64) -> f64 {
        if label > 0.0 { 1.0 } else { 0.0 }
    }

    /// `randUniform(a, b)`: `Math.random() * (b - a) + a`.
    fn uniform(rs: &mut RandomState, a: f64, b: f64) -> f64 {
        rs.random_sample() * (b - a) + a
    }

    /// `normalRandom(mean, variance)`: the Marsaglia polar method, as Playground writes it
    /// (a draw with `s == 0` is also rejected, where `log(0)` would give NaN).
    fn normal(rs: &mut RandomState, mean: f64, variance: f64) -> f64 {
        loop {
            let v1 = 2.0 * rs.random_sample() - 1.0;
            let v2 = 2.0 * rs.random_sample() - 1.0;
            let s = v1 * v1 + v2 * v2;
            if s > 1.0 || s == 0.0 {
                continue;
            }
            let result = (-2.0 * s.ln() / s).sqrt() * v1;
            return mean + variance.sqrt() * result;
        }
    }

    /// `classifyCircleData(numSamples, noise)`.
    pub fn circle(rs: &mut RandomState, n: usize, noise: f64) -> Vec<Point> {
        let radius = 5.0;
        let label = |x: f64, y: f64| if (x * x + y * y).sqrt() < radius * 0.5 { 1.0 } else { -1.0 };
        let mut points = Vec::with_capacity(n);
        let half = n.div_ceil(2);
        for (count, (lo, hi)) in [(half, (0.0, radius * 0.5)), (n - half, (radius * 0.7, radius))] {
            for _ in 0..count {
                let r = uniform(rs, lo, hi);
                let angle = uniform(rs, 0.0, 2.0 * std::f64::consts::PI);
                let x = r * angle.sin();
                let y = r * angle.cos();
                let nx = uniform(rs, -radius, radius) * noise;
                let ny = uniform(rs, -radius, radius) * noise;
                points.push(Point { x, y, label: label(x + nx, y + ny) });
            }
        }
        points
    }

    /// `classifyXORData(numSamples, noise)`.
    pub fn xor(rs: &mut RandomState, n: usize, noise: f64) -> Vec<Point> {
        let padding = 0.3;
        (0..n)
            .map(|_| {
                let mut x = uniform(rs, -5.0, 5.0);
                x += if x > 0.0 { padding } else { -padding };
                let mut y = uniform(rs, -5.0, 5.0);
                y += if y > 0.0 { padding } else { -padding };
                let nx = uniform(rs, -5.0, 5.0) * noise;
                let ny = uniform(rs, -5.0, 5.0) * noise;
                let label = if (x + nx) * (y + ny) >= 0.0 { 1.0 } else { -1.0 };
                Point { x, y, label }
            })
            .collect()
    }

    /// `classifyTwoGaussData(numSamples, noise)`: the variance goes linearly from 0.5 to 4 as
    /// the noise goes from 0 to 0.5 (Playground's `d3.scale.linear`, which extrapolates).
    pub fn two_gauss(rs: &mut RandomState, n: usize, noise: f64) -> Vec<Point> {
        let variance = 0.5 + (noise / 0.5) * 3.5;
        let half = n.div_ceil(2);
        let mut points = Vec::with_capacity(n);
        for (count, c, label) in [(half, 2.0, 1.0), (n - half, -2.0, -1.0)] {
            for _ in 0..count {
                let x = normal(rs, c, variance);
                let y = normal(rs, c, variance);
                points.push(Point { x, y, label });
            }
        }
        points
    }

    /// `classifySpiralData(numSamples, noise)`.
    pub fn spiral(rs: &mut RandomState, n: usize, noise: f64) -> Vec<Point> {
        let half = n.div_ceil(2);
        let mut points = Vec::with_capacity(n);
        for (count, delta, label) in [(half, 0.0, 1.0), (n - half, std::f64::consts::PI, -1.0)] {
            let m = count.max(1) as f64;
            for i in 0..count {
                let i = i as f64;
                let r = i / m * 5.0;
                let t = 1.75 * i / m * 2.0 * std::f64::consts::PI + delta;
                let x = r * t.sin() + uniform(rs, -1.0, 1.0) * noise;
                let y = r * t.cos() + uniform(rs, -1.0, 1.0) * noise;
                points.push(Point { x, y, label });
            }
        }
        points
    }

    /// Playground's `shuffle`: Fisher-Yates from the last element down.
    pub fn shuffled(rs: &mut RandomState, mut points: Vec<Point>) -> Vec<Point> {
        let mut counter = points.len();
        while counter > 0 {
            let index = ((rs.random_sample() * counter as f64).floor() as usize).min(counter - 1);
            counter -= 1;
            points.swap(counter, index);
        }
        points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_data_is_numpy_exact() {
        let d = Dataset {
            name: "seed".into(),
            source: DatasetSource::NumpyRand {
                seed: 1,
                rows: 128,
                features: 2,
                label: LabelRule::SumLessThan { threshold: 1.0 },
            },
        };
        let t = d.materialize().unwrap();
        assert_eq!(t.columns, ["x1", "x2", "y"]);
        assert_eq!(t.get(0, 0), Some(0.417022004702574));
        assert_eq!(t.get(0, 1), Some(0.7203244934421581));
        assert_eq!(t.get(0, 2), Some(0.0));
        assert_eq!(t.get(1, 0), Some(0.00011437481734488664));
        assert_eq!(t.get(1, 2), Some(1.0));
    }

    fn playground(source: DatasetSource) -> Table {
        Dataset { name: "p".into(), source }.materialize().unwrap()
    }

    #[test]
    fn playground_datasets_are_deterministic_and_labelled_0_1() {
        for make in [
            |seed| DatasetSource::Circle { seed, rows: 200, noise: 0.0 },
            |seed| DatasetSource::Xor { seed, rows: 200, noise: 0.0 },
            |seed| DatasetSource::Gauss { seed, rows: 200, noise: 0.0 },
            |seed| DatasetSource::Spiral { seed, rows: 200, noise: 0.0 },
        ] {
            let a = playground(make(7));
            assert_eq!(a, playground(make(7)));
            assert_ne!(a, playground(make(8)));
            assert_eq!(a.columns, ["x1", "x2", "y"]);
            assert_eq!(a.rows, 200);
            let ones = (0..a.rows).filter(|&r| a.get(r, 2) == Some(1.0)).count();
            let zeros = (0..a.rows).filter(|&r| a.get(r, 2) == Some(0.0)).count();
            assert_eq!(ones + zeros, 200);
            assert!(ones > 40 && zeros > 40, "{ones} / {zeros}");
        }
    }

    #[test]
    fn playground_labels_follow_the_generators() {
        // Without noise: circle points inside radius 2.5 are 1, XOR quadrants match the sign.
        let c = playground(DatasetSource::Circle { seed: 1, rows: 100, noise: 0.0 });
        for r in 0..c.rows {
            let (x, y, l) = (c.get(r, 0).unwrap(), c.get(r, 1).unwrap(), c.get(r, 2).unwrap());
            assert_eq!(l, if (x * x + y * y).sqrt() < 2.5 { 1.0 } else { 0.0 });
        }
        let x = playground(DatasetSource::Xor { seed: 1, rows: 100, noise: 0.0 });
        for r in 0..x.rows {
            let (a, b, l) = (x.get(r, 0).unwrap(), x.get(r, 1).unwrap(), x.get(r, 2).unwrap());
            assert_eq!(l, if a * b >= 0.0 { 1.0 } else { 0.0 });
            assert!(a.abs() >= 0.3 && b.abs() >= 0.3);
        }
        let g = playground(DatasetSource::Gauss { seed: 1, rows: 400, noise: 0.0 });
        let mean_x1 = |label: f64| {
            let v: Vec<f64> = (0..g.rows).filter(|&r| g.get(r, 2) == Some(label)).filter_map(|r| g.get(r, 0)).collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        assert!((mean_x1(1.0) - 2.0).abs() < 0.3 && (mean_x1(0.0) + 2.0).abs() < 0.3);
        assert!(
            Dataset { name: "n".into(), source: DatasetSource::Spiral { seed: 1, rows: 10, noise: f64::NAN } }
                .materialize()
                .is_err()
        );
    }

    #[test]
    fn ragged_inline_rows_are_refused() {
        let d = Dataset {
            name: "d".into(),
            source: DatasetSource::Inline {
                columns: vec!["a".into(), "b".into()],
                rows: vec![vec![1.0, 2.0], vec![3.0]],
            },
        };
        assert_eq!(d.materialize().unwrap_err(), "dataset 'd': row 2 has 1 values, expected 2");
    }
}
