//! The arrays `input_data` hands a program and where they came from: a whole set
//! (`mnist.test.images`) or one `next_batch` call ([`DataRef`]), what each `read_data_sets`
//! call read ([`IdxSource`]) and the state of its sets' batching ([`Loaded`]). `flowbench
//! import` keeps feeds of these arrays as references to the IDX dataset, not as values.

use crate::engine::dtype::DType;
use crate::engine::value::Value;
use crate::train::data::idx::{Field, ImageSets, Split};
use crate::train::data::next_batch::NextBatch;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

/// Where an array of `input_data` came from.
#[derive(Clone, Debug, PartialEq)]
pub struct DataRef {
    /// The `read_data_sets` result (index into `Runtime::mnist`).
    pub sets: usize,
    /// The set.
    pub split: Split,
    /// `images` or `labels`.
    pub field: Field,
    /// The `next_batch` call that returned it; `None` for the whole set (`mnist.test.images`).
    pub batch: Option<BatchRef>,
}

/// One `next_batch` call.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchRef {
    /// Which call on its set (from 0).
    pub call: u64,
    /// Its `batch_size`.
    pub size: usize,
    /// Its `shuffle`.
    pub shuffle: bool,
    /// The examples it holds (indices into its set).
    pub rows: Rc<Vec<usize>>,
    /// numpy's global generator before the set's first call: fresh from `np.random.seed(s)`
    /// (`Some(Some(s))`), never seeded (`Some(None)`), or drawn from since (`None`).
    pub first_seed: Option<Option<u32>>,
    /// How many other draws from numpy's global generator the program had made by this call.
    pub np_draws: u64,
}

/// What a `read_data_sets` call read.
#[derive(Clone, Debug)]
pub struct IdxSource {
    /// The sets.
    pub sets: Arc<ImageSets>,
    /// The folder, canonical.
    pub dir: PathBuf,
    /// `one_hot`.
    pub one_hot: bool,
    /// `validation_size`.
    pub validation_size: usize,
}

/// One `read_data_sets` result and the state of its sets' `next_batch`.
#[derive(Debug)]
pub struct Loaded {
    /// What was read.
    pub source: IdxSource,
    /// Each set's `next_batch` state, once it was called.
    pub batchers: [Option<NextBatch>; 3],
    /// Each set's `next_batch` calls so far.
    pub calls: [u64; 3],
    /// numpy's global generator at each set's first `next_batch` (see [`BatchRef::first_seed`]).
    pub first_seed: [Option<Option<u32>>; 3],
    /// Each set's `images` and `labels`, once read.
    pub cache: [[Option<Value>; 2]; 3],
}

/// The index of a set in [`Loaded`]'s arrays.
pub fn split_index(s: Split) -> usize {
    match s {
        Split::Train => 0,
        Split::Validation => 1,
        Split::Test => 2,
    }
}

/// The dtype `input_data` gives a field: images float32, one-hot labels float64 (numpy's
/// zeros), class indices as integers (uint8 in numpy; int64 here).
pub fn dtype_of(field: Field, one_hot: bool) -> DType {
    match field {
        Field::Images => DType::Float32,
        Field::Labels if one_hot => DType::Float64,
        Field::Labels => DType::Int64,
    }
}

/// The value of a data reference (its rows of its set), for a feed kept in a project.
pub fn value_of(source: &IdxSource, r: &DataRef) -> Value {
    let set = source.sets.split(r.split);
    let dtype = dtype_of(r.field, source.one_hot);
    match &r.batch {
        None => set.all(r.field, dtype),
        Some(b) => {
            let mut value = Value::zeros(dtype, &[0]);
            set.fill(r.field, &mut b.rows.iter().copied(), b.rows.len(), dtype, &mut value);
            value
        }
    }
}
