//! Image datasets in MNIST's IDX file format, read as TF 1.x's
//! `tensorflow.examples.tutorials.mnist.input_data.read_data_sets` reads them: four files in a
//! folder (training images and labels, test images and labels), gzipped or not (told apart by
//! their first bytes, not their names), MNIST's magic numbers and dimensions checked, the first
//! `validation_size` training examples split off as the validation set.
//!
//! Pixels stay as the file's bytes (a 60,000-image MNIST is 47 MB); a batch converts the rows it
//! needs as `input_data` does: images flattened row-major and scaled by
//! `numpy.multiply(images.astype(float32), 1.0 / 255.0)`, a float32 product with
//! `float32(1/255)` (which differs from `x / 255` in the last bit for 126 of the 256 byte
//! values), labels as their class index or one-hot (`input_data` makes them float64 zeros and
//! ones; both are exact in any dtype).

use crate::engine::value::Value;
use flate2::read::GzDecoder;
use ndarray::{ArrayD, IxDyn};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The magic number of an IDX file of unsigned bytes with 3 dimensions (MNIST's images).
pub const IMAGES_MAGIC: u32 = 2051;
/// The magic number of an IDX file of unsigned bytes with 1 dimension (MNIST's labels).
pub const LABELS_MAGIC: u32 = 2049;
/// MNIST's number of classes (labels `0..=9`).
pub const NUM_CLASSES: usize = 10;
/// The largest IDX payload read (bytes); a header claiming more is refused before reading.
pub const MAX_IDX_BYTES: usize = 1 << 32;

/// The four file names `read_data_sets` reads from its folder.
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// Why an IDX dataset could not be read. Messages name the file, in TF's words where its
/// reader has some.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not gzip data although it starts like gzip, or cut short.
    #[error("{path}: not a valid gzip file ({message})")]
    Gzip {
        /// The file.
        path: String,
        /// The decoder's message.
        message: String,
    },
    /// The magic number is not MNIST's for this kind of file.
    #[error("Invalid magic number {found} in MNIST {kind} file: {path} (expected {expected})")]
    Magic {
        /// `image` or `label`.
        kind: &'static str,
        /// The number read.
        found: u32,
        /// The number wanted.
        expected: u32,
        /// The file.
        path: String,
    },
    /// The file ends before the data its header announces.
    #[error("{path}: the header announces {expected} bytes of data but the file has {found}")]
    Truncated {
        /// The file.
        path: String,
        /// Bytes announced.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The header's dimensions are unusable (zero-sized images, too large).
    #[error("{path}: {message}")]
    Dims {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The images and labels files disagree, or a label is out of range, or the validation size.
    #[error("{0}")]
    Mismatch(String),
}

/// One IDX file's content: its dimensions and its unsigned bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    /// Dimensions (`[n, rows, cols]` for images, `[n]` for labels).
    pub dims: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<u8>,
}

/// Reads an IDX file of unsigned bytes whose magic number must be `magic` (gzipped or not).
pub fn read_idx(path: &Path, magic: u32) -> Result<IdxArray, IdxError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| IdxError::Io { path: shown.clone(), source })?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let gzipped = {
        let head =
            std::io::BufRead::fill_buf(&mut reader).map_err(|source| IdxError::Io { path: shown.clone(), source })?;
        head.starts_with(&[0x1f, 0x8b])
    };
    if gzipped {
        read_idx_from(GzDecoder::new(reader), &shown, magic, true)
    } else {
        read_idx_from(reader, &shown, magic, false)
    }
}

/// Reads an IDX array from a stream (`path` names it in errors).
fn read_idx_from(mut r: impl Read, path: &str, magic: u32, gzipped: bool) -> Result<IdxArray, IdxError> {
    let io = |e: std::io::Error| {
        if gzipped && e.kind() != std::io::ErrorKind::UnexpectedEof {
            IdxError::Gzip { path: path.to_string(), message: e.to_string() }
        } else {
            IdxError::Io { path: path.to_string(), source: e }
        }
    };
    let kind = if magic == IMAGES_MAGIC { "image" } else { "label" };
    let mut word = [0u8; 4];
    let mut read32 = |r: &mut dyn Read, what: usize| -> Result<u32, IdxError> {
        r.read_exact(&mut word).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                IdxError::Truncated { path: path.to_string(), expected: 4 * (what + 1), found: 4 * what }
            }
            _ => io(e),
        })?;
        Ok(u32::from_be_bytes(word))
    };
    let found = read32(&mut r, 0)?;
    if found != magic {
        return Err(IdxError::Magic { kind, found, expected: magic, path: path.to_string() });
    }
    let ndims = (magic & 0xff) as usize;
    let mut dims = Vec::with_capacity(ndims);
    for k in 0..ndims {
        dims.push(read32(&mut r, k + 1)? as usize);
    }
    let total =
        dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).filter(|&t| t <= MAX_IDX_BYTES).ok_or_else(|| {
            IdxError::Dims { path: path.to_string(), message: format!("dimensions {dims:?} are too large") }
        })?;
    let mut data = Vec::new();
    data.try_reserve_exact(total).map_err(|_| IdxError::Dims {
        path: path.to_string(),
        message: format!("not enough memory for dimensions {dims:?}"),
    })?;
    r.take(total as u64).read_to_end(&mut data).map_err(io)?;
    if data.len() < total {
        return Err(IdxError::Truncated { path: path.to_string(), expected: total, found: data.len() });
    }
    Ok(IdxArray { dims, data })
}

/// One of the three sets `read_data_sets` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// `mnist.train`: the training file's examples after the validation ones.
    #[default]
    Train,
    /// `mnist.validation`: the training file's first `validation_size` examples.
    Validation,
    /// `mnist.test`: the test files.
    Test,
}

impl Split {
    /// The name `input_data` gives it (`train`, `validation`, `test`).
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

/// A field of an image set that feeds a placeholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `images`: `(n, rows * cols)` float32 in `[0, 1]`.
    Images,
    /// `labels`: `(n, 10)` one-hot, or `(n,)` class indices.
    Labels,
}

impl Field {
    /// The fields by name, as feeds name them.
    pub const ALL: [(&'static str, Field); 2] = [("images", Field::Images), ("labels", Field::Labels)];

    /// The field named `name`.
    pub fn by_name(name: &str) -> Option<Field> {
        Field::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Field::Images => "images",
            Field::Labels => "labels",
        }
    }
}

/// The float32 value of each pixel byte: `float32(v) * float32(1/255)`, rounded once.
pub fn pixel_table() -> [f32; 256] {
    let scale = (1.0f64 / 255.0) as f32;
    std::array::from_fn(|v| v as f32 * scale)
}

/// One set of examples: a range of rows of the shared image and label bytes.
#[derive(Clone, Debug)]
pub struct ImageSet {
    images: Arc<Vec<u8>>,
    labels: Arc<Vec<u8>>,
    start: usize,
    rows: usize,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Labels one-hot (`(n, 10)`) or class indices (`(n,)`).
    pub one_hot: bool,
}

impl ImageSet {
    /// Number of examples (`num_examples`).
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when it has no examples.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Values per image (`rows * cols`).
    pub fn pixels(&self) -> usize {
        self.height * self.width
    }

    /// The bytes of example `i`'s image, row-major.
    pub fn image(&self, i: usize) -> &[u8] {
        let p = self.pixels();
        self.images.get((self.start + i) * p..(self.start + i + 1) * p).unwrap_or(&[])
    }

    /// Example `i`'s class.
    pub fn label(&self, i: usize) -> u8 {
        self.labels.get(self.start + i).copied().unwrap_or(0)
    }

    /// Values per example of a field, or `None` for a scalar per example (class indices).
    pub fn width_of(&self, field: Field) -> Option<usize> {
        match field {
            Field::Images => Some(self.pixels()),
            Field::Labels if self.one_hot => Some(NUM_CLASSES),
            Field::Labels => None,
        }
    }

    /// Fills `value` with `field` of the examples `rows` (indices into this set), in the dtype
    /// `value` has, shaped `(len, width)` (or `(len,)` for class indices, or when `rank1`); its
    /// buffer is reused when the shape is unchanged.
    pub fn fill(
        &self,
        field: Field,
        rows: &mut dyn Iterator<Item = usize>,
        len: usize,
        dtype: crate::engine::dtype::DType,
        value: &mut Value,
    ) {
        let width = self.width_of(field);
        let shape: Vec<usize> = match width {
            Some(w) => vec![len, w],
            None => vec![len],
        };
        if value.dtype() != dtype || value.shape() != shape.as_slice() {
            *value = Value::zeros(dtype, &shape);
        }
        let w = width.unwrap_or(1);
        match (field, value) {
            (Field::Images, Value::F32(a)) => {
                let table = pixel_table();
                if let Some(out) = a.as_slice_mut() {
                    for (dst, r) in out.chunks_exact_mut(w).zip(rows) {
                        for (d, &b) in dst.iter_mut().zip(self.image(r)) {
                            *d = table[b as usize];
                        }
                    }
                }
            }
            (field, value) => {
                let table = pixel_table();
                let mut k = 0usize;
                let mut put = |v: f32| {
                    value_set(value, k, v);
                    k += 1;
                };
                for r in rows.take(len) {
                    match field {
                        Field::Images => self.image(r).iter().for_each(|&b| put(table[b as usize])),
                        Field::Labels if self.one_hot => {
                            let l = self.label(r) as usize;
                            (0..NUM_CLASSES).for_each(|c| put(if c == l { 1.0 } else { 0.0 }));
                        }
                        Field::Labels => put(f32::from(self.label(r))),
                    }
                }
            }
        }
    }

    /// `field` of every example, as `fill` makes it.
    pub fn all(&self, field: Field, dtype: crate::engine::dtype::DType) -> Value {
        let mut v = Value::F32(ArrayD::zeros(IxDyn(&[0])));
        self.fill(field, &mut (0..self.rows), self.rows, dtype, &mut v);
        v
    }
}

/// Sets element `k` (flat) of a value from a float32 (exact for pixels, 0/1 and class indices).
fn value_set(value: &mut Value, k: usize, v: f32) {
    match value {
        Value::F32(a) => {
            if let Some(s) = a.as_slice_mut().and_then(|s| s.get_mut(k)) {
                *s = v;
            }
        }
        Value::F64(a) => {
            if let Some(s) = a.as_slice_mut().and_then(|s| s.get_mut(k)) {
                *s = f64::from(v);
            }
        }
        Value::I32(a) => {
            if let Some(s) = a.as_slice_mut().and_then(|s| s.get_mut(k)) {
                *s = v as i32;
            }
        }
        Value::I64(a) => {
            if let Some(s) = a.as_slice_mut().and_then(|s| s.get_mut(k)) {
                *s = v as i64;
            }
        }
        Value::Bool(a) => {
            if let Some(s) = a.as_slice_mut().and_then(|s| s.get_mut(k)) {
                *s = v != 0.0;
            }
        }
    }
}

/// `read_data_sets`' result: the training, validation and test sets.
#[derive(Clone, Debug)]
pub struct ImageSets {
    /// `mnist.train`.
    pub train: ImageSet,
    /// `mnist.validation`.
    pub validation: ImageSet,
    /// `mnist.test`.
    pub test: ImageSet,
}

impl ImageSets {
    /// One set.
    pub fn split(&self, s: Split) -> &ImageSet {
        match s {
            Split::Train => &self.train,
            Split::Validation => &self.validation,
            Split::Test => &self.test,
        }
    }
}

/// The files to read: a folder and the four names in it ([`MNIST_FILES`] by default). A name
/// ending in `.gz` that does not exist is also looked for without it (MNIST's files are often
/// kept unpacked).
#[derive(Clone, Debug, PartialEq)]
pub struct IdxFiles {
    /// The folder.
    pub dir: PathBuf,
    /// Training images, training labels, test images, test labels.
    pub names: [String; 4],
}

impl IdxFiles {
    /// MNIST's four names in `dir`.
    pub fn mnist(dir: impl Into<PathBuf>) -> IdxFiles {
        IdxFiles { dir: dir.into(), names: MNIST_FILES.map(str::to_string) }
    }

    fn path(&self, k: usize) -> PathBuf {
        let p = self.dir.join(&self.names[k]);
        if !p.exists()
            && let Some(stem) = self.names[k].strip_suffix(".gz")
        {
            let unpacked = self.dir.join(stem);
            if unpacked.exists() {
                return unpacked;
            }
        }
        p
    }
}

fn images_of(a: IdxArray, path: &Path) -> Result<(Vec<u8>, usize, usize, usize), IdxError> {
    let (n, h, w) = (a.dims[0], a.dims[1], a.dims[2]);
    if h == 0 || w == 0 {
        return Err(IdxError::Dims {
            path: path.display().to_string(),
            message: format!("images of {h}x{w} pixels have no values"),
        });
    }
    Ok((a.data, n, h, w))
}

/// `read_data_sets(dir, one_hot=one_hot, validation_size=validation_size)`.
pub fn read_data_sets(files: &IdxFiles, one_hot: bool, validation_size: usize) -> Result<ImageSets, IdxError> {
    let paths: Vec<PathBuf> = (0..4).map(|k| files.path(k)).collect();
    let (train_images, n_train, h, w) = images_of(read_idx(&paths[0], IMAGES_MAGIC)?, &paths[0])?;
    let train_labels = read_idx(&paths[1], LABELS_MAGIC)?.data;
    let (test_images, n_test, th, tw) = images_of(read_idx(&paths[2], IMAGES_MAGIC)?, &paths[2])?;
    let test_labels = read_idx(&paths[3], LABELS_MAGIC)?.data;
    for (imgs, labels, ip, lp) in
        [(n_train, &train_labels, &paths[0], &paths[1]), (n_test, &test_labels, &paths[2], &paths[3])]
    {
        if imgs != labels.len() {
            return Err(IdxError::Mismatch(format!(
                "images.shape: ({imgs}, ...) labels.shape: ({},): {} and {} hold different numbers of examples",
                labels.len(),
                ip.display(),
                lp.display()
            )));
        }
        if one_hot && let Some((i, &l)) = labels.iter().enumerate().find(|(_, l)| **l as usize >= NUM_CLASSES) {
            return Err(IdxError::Mismatch(format!(
                "{}: label {l} of example {i} is not a class 0..{} (one_hot needs {NUM_CLASSES} classes)",
                lp.display(),
                NUM_CLASSES - 1
            )));
        }
    }
    if (th, tw) != (h, w) {
        return Err(IdxError::Mismatch(format!("the training images are {h}x{w} but the test images are {th}x{tw}")));
    }
    if validation_size > n_train {
        return Err(IdxError::Mismatch(format!("validation_size should be between 0 and {n_train}")));
    }
    let (train_images, train_labels) = (Arc::new(train_images), Arc::new(train_labels));
    let set = |images: &Arc<Vec<u8>>, labels: &Arc<Vec<u8>>, start: usize, rows: usize| ImageSet {
        images: Arc::clone(images),
        labels: Arc::clone(labels),
        start,
        rows,
        height: h,
        width: w,
        one_hot,
    };
    Ok(ImageSets {
        train: set(&train_images, &train_labels, validation_size, n_train - validation_size),
        validation: set(&train_images, &train_labels, 0, validation_size),
        test: set(&Arc::new(test_images), &Arc::new(test_labels), 0, n_test),
    })
}

/// Writes an IDX file of unsigned bytes (gzipped when `gzip`): tests and benchmarks make
/// MNIST-sized files with it.
pub fn write_idx(path: &Path, dims: &[usize], data: &[u8], gzip: bool) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(4 + 4 * dims.len() + data.len());
    bytes.extend_from_slice(&[0, 0, 0x08, dims.len() as u8]);
    for &d in dims {
        bytes.extend_from_slice(&(d as u32).to_be_bytes());
    }
    bytes.extend_from_slice(data);
    if gzip {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, &bytes)?;
        bytes = enc.finish()?;
    }
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::dtype::DType;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("flowbench-idx-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn write_set(d: &Path, n: usize, gzip: bool) {
        let px: Vec<u8> = (0..n * 4).map(|i| (i * 37 % 256) as u8).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        write_idx(&d.join(MNIST_FILES[0]), &[n, 2, 2], &px, gzip).unwrap();
        write_idx(&d.join(MNIST_FILES[1]), &[n], &labels, gzip).unwrap();
        write_idx(&d.join(MNIST_FILES[2]), &[3, 2, 2], &px[..12], gzip).unwrap();
        write_idx(&d.join(MNIST_FILES[3]), &[3], &labels[..3], gzip).unwrap();
    }

    #[test]
    fn pixels_scale_as_numpy_multiplies() {
        let t = pixel_table();
        assert_eq!(t[0], 0.0);
        assert_eq!(t[255], 1.0);
        // float32(3) * float32(1/255) rounds differently from 3 / 255.
        assert_eq!(t[3].to_bits(), 0x3c40c0c2);
        assert_ne!(t[3], (3.0f64 / 255.0) as f32);
    }

    #[test]
    fn sets_split_and_fill_in_any_dtype() {
        for gzip in [true, false] {
            let d = dir(if gzip { "gz" } else { "raw" });
            write_set(&d, 12, gzip);
            let sets = read_data_sets(&IdxFiles::mnist(&d), true, 5).unwrap();
            assert_eq!((sets.train.len(), sets.validation.len(), sets.test.len()), (7, 5, 3));
            let want: Vec<u8> = (20..24).map(|i| (i * 37 % 256) as u8).collect();
            assert_eq!(sets.train.image(0), want.as_slice());
            assert_eq!(sets.train.label(0), 5);
            let mut v = Value::F32(ArrayD::zeros(IxDyn(&[0])));
            sets.train.fill(Field::Labels, &mut [1usize, 0].into_iter(), 2, DType::Float64, &mut v);
            assert_eq!(v.shape(), [2, 10]);
            assert_eq!(v.to_f64_vec()[6], 1.0);
            assert_eq!(v.to_f64_vec()[10 + 5], 1.0);
            let imgs = sets.validation.all(Field::Images, DType::Float32);
            assert_eq!(imgs.shape(), [5, 4]);
            assert_eq!(imgs.to_f64_vec()[1], f64::from(pixel_table()[37]));
            let plain = read_data_sets(&IdxFiles::mnist(&d), false, 0).unwrap();
            let l = plain.test.all(Field::Labels, DType::Int64);
            assert_eq!(l.shape(), [3]);
            assert_eq!(l.to_f64_vec(), [0.0, 1.0, 2.0]);
        }
    }

    #[test]
    fn bad_files_are_refused_with_their_name() {
        let d = dir("bad");
        write_set(&d, 4, true);
        let e = read_data_sets(&IdxFiles::mnist(&d), false, 9).unwrap_err();
        assert_eq!(e.to_string(), "validation_size should be between 0 and 4");
        write_idx(&d.join(MNIST_FILES[1]), &[4, 1, 1], &[0; 4], true).unwrap();
        let e = read_data_sets(&IdxFiles::mnist(&d), false, 0).unwrap_err().to_string();
        assert!(e.starts_with("Invalid magic number 2051 in MNIST label file: "), "{e}");
        write_idx(&d.join(MNIST_FILES[1]), &[3], &[0; 3], false).unwrap();
        let e = read_data_sets(&IdxFiles::mnist(&d), false, 0).unwrap_err().to_string();
        assert!(e.contains("hold different numbers of examples"), "{e}");
        std::fs::write(d.join(MNIST_FILES[1]), [0, 0, 8, 1, 0, 0, 0, 9, 1, 2]).unwrap();
        let e = read_data_sets(&IdxFiles::mnist(&d), false, 0).unwrap_err().to_string();
        assert!(e.ends_with("the header announces 9 bytes of data but the file has 2"), "{e}");
        std::fs::write(d.join(MNIST_FILES[1]), [0x1f, 0x8b, 1, 2, 3]).unwrap();
        let e = read_data_sets(&IdxFiles::mnist(&d), false, 0).unwrap_err().to_string();
        assert!(e.contains("train-labels-idx1-ubyte.gz"), "{e}");
        std::fs::remove_file(d.join(MNIST_FILES[1])).unwrap();
        let e = read_data_sets(&IdxFiles::mnist(&d), false, 0).unwrap_err().to_string();
        assert!(e.contains("train-labels-idx1-ubyte.gz"), "{e}");
        write_idx(&d.join(MNIST_FILES[1]), &[4], &[0, 1, 2, 12], true).unwrap();
        let e = read_data_sets(&IdxFiles::mnist(&d), true, 0).unwrap_err().to_string();
        assert!(e.contains("label 12 of example 3"), "{e}");
    }
}
