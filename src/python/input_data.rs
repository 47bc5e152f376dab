//! `input_data` for MNIST programs: `input_data.read_data_sets(path, one_hot=, validation_size=)`
//! (the folder relative to the program's), the `mnist.train` / `.validation` / `.test` sets
//! with their `images`, `labels` and `num_examples`, and `next_batch(n, shuffle=True)`, which
//! draws from numpy's global generator exactly as TF 1.x's `input_data` does (see
//! [`crate::train::data::next_batch`]). The arrays it hands out remember where they came from
//! ([`DataRef`]), so that `flowbench import` keeps a training loop over them as a `train_loop`
//! step on an IDX dataset instead of the values.

use crate::engine::value::Value;
use crate::python::errors::{PyError, PyResult};
use crate::python::idx_data::{BatchRef, DataRef, IdxSource, Loaded, dtype_of, split_index};
use crate::python::runtime::Runtime;
use crate::python::value::{Args, Array, PyValue};
use crate::train::data::idx::{Field, IdxError, IdxFiles, MNIST_FILES, Split, read_data_sets as read_sets};
use crate::train::data::next_batch::NextBatch;
use std::rc::Rc;
use std::sync::Arc;

/// Python's `repr` of a path string.
fn path_repr(p: &str) -> String {
    crate::interpreter::checkpoint::py_repr(p)
}

fn error_of(e: IdxError, given: &str) -> PyError {
    match e {
        IdxError::Io { path, source } => {
            let name = std::path::Path::new(&path).file_name().map(|n| n.to_string_lossy().into_owned());
            let shown = match name {
                Some(n) => join(given, &n),
                None => path,
            };
            if source.kind() == std::io::ErrorKind::NotFound {
                PyError::exception(
                    "FileNotFoundError",
                    format!("[Errno 2] No such file or directory: {}", path_repr(&shown)),
                )
            } else {
                PyError::exception("OSError", format!("{}: {source}", path_repr(&shown)))
            }
        }
        IdxError::Gzip { .. } => PyError::exception("BadGzipFile", e.to_string()),
        other => PyError::value_error(other.to_string()),
    }
}

/// `os.path.join(dir, name)`.
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir.ends_with('/') { format!("{dir}{name}") } else { format!("{dir}/{name}") }
}

/// `input_data.read_data_sets(train_dir, one_hot=False, validation_size=5000)`.
pub fn read_data_sets(rt: &mut Runtime<'_>, args: &Args) -> PyResult<PyValue> {
    args.check("read_data_sets", 3, &["train_dir", "one_hot", "validation_size"])?;
    let dir = match args.req(0, "train_dir", "read_data_sets")? {
        PyValue::Str(s) => s.to_string(),
        other => {
            return Err(PyError::type_error(format!(
                "expected str, bytes or os.PathLike object, not {}",
                other.type_name()
            )));
        }
    };
    let one_hot = match args.get(1, "one_hot") {
        None => false,
        Some(v) => v.truthy()?,
    };
    let validation_size = match args.get(2, "validation_size") {
        None => 5000,
        Some(v) => match v.as_i64() {
            Some(n) if !matches!(v, PyValue::Float(_)) => n,
            _ => {
                return Err(PyError::type_error(format!(
                    "slice indices must be integers or None or have an __index__ method (validation_size is a {})",
                    v.type_name()
                )));
            }
        },
    };
    let folder = rt.base_dir.join(&dir);
    if !folder.is_dir() {
        return Err(PyError::exception(
            "FileNotFoundError",
            format!("[Errno 2] No such file or directory: {}", path_repr(&join(&dir, MNIST_FILES[0]))),
        ));
    }
    let files = IdxFiles::mnist(&folder);
    let n_train = |e: &IdxError| matches!(e, IdxError::Mismatch(m) if m.starts_with("validation_size"));
    let size = usize::try_from(validation_size).map_err(|_| ());
    let sets = match size {
        Ok(size) => read_sets(&files, one_hot, size)
            .map_err(|e| if n_train(&e) { PyError::value_error(e.to_string()) } else { error_of(e, &dir) })?,
        Err(()) => {
            // Read once to know how many examples there are, for Python's message.
            let all = read_sets(&files, one_hot, 0).map_err(|e| error_of(e, &dir))?;
            return Err(PyError::value_error(format!("validation_size should be between 0 and {}", all.train.len())));
        }
    };
    let canonical = std::fs::canonicalize(&folder).unwrap_or(folder);
    if let Some((base, output)) = &rt.import_into
        && !canonical.starts_with(base)
    {
        // The project could not read it: stop now rather than after the whole program.
        return Err(PyError {
            kind: crate::python::errors::PyErrorKind::NotKept(crate::python::data_outside(&canonical, output)),
            loc: None,
        });
    }
    let source = IdxSource { sets: Arc::new(sets), dir: canonical, one_hot, validation_size: validation_size as usize };
    rt.rec.idx_sources.push(source.clone());
    rt.mnist.push(Loaded {
        source,
        batchers: [None, None, None],
        calls: [0; 3],
        first_seed: [None; 3],
        cache: Default::default(),
    });
    Ok(PyValue::Mnist(rt.mnist.len() - 1, None))
}

/// `mnist.<name>` (`train`, `validation`, `test`) and `mnist.train.<name>` (`images`,
/// `labels`, `num_examples`, `epochs_completed`, `next_batch`).
pub fn attr(rt: &mut Runtime<'_>, sets: usize, split: Option<Split>, name: &str) -> PyResult<PyValue> {
    let loaded = rt.mnist.get_mut(sets).ok_or_else(|| PyError::exception("SystemError", "a lost dataset"))?;
    let no_attr =
        |what: &str| PyError::exception("AttributeError", format!("'{what}' object has no attribute '{name}'"));
    let Some(split) = split else {
        return match name {
            "train" => Ok(PyValue::Mnist(sets, Some(Split::Train))),
            "validation" => Ok(PyValue::Mnist(sets, Some(Split::Validation))),
            "test" => Ok(PyValue::Mnist(sets, Some(Split::Test))),
            _ => Err(no_attr("Datasets")),
        };
    };
    let k = split_index(split);
    match name {
        "num_examples" => Ok(PyValue::Int(loaded.source.sets.split(split).len() as i64)),
        "epochs_completed" => {
            Ok(PyValue::Int(loaded.batchers[k].as_ref().map_or(0, NextBatch::epochs_completed) as i64))
        }
        "next_batch" => Ok(PyValue::Method(Box::new(PyValue::Mnist(sets, Some(split))), name.into())),
        "images" | "labels" => {
            let field = if name == "images" { Field::Images } else { Field::Labels };
            if loaded.batchers[k].is_some() {
                // After next_batch shuffled them, `images` is the shuffled array.
                return Err(PyError::unsupported(format!(
                    "reading mnist.{}.{name} after next_batch shuffled it",
                    split.name()
                )));
            }
            let f = usize::from(field == Field::Labels);
            let value = match &loaded.cache[k][f] {
                Some(v) => v.clone(),
                None => {
                    let v = loaded.source.sets.split(split).all(field, dtype_of(field, loaded.source.one_hot));
                    loaded.cache[k][f] = Some(v.clone());
                    v
                }
            };
            let data = Some(DataRef { sets, split, field, batch: None });
            Ok(PyValue::Array(Rc::new(Array { value, origin: None, data })))
        }
        _ => Err(no_attr("DataSet")),
    }
}

/// `mnist.<split>.next_batch(batch_size, shuffle=True)`: `(images, labels)`.
pub fn next_batch(rt: &mut Runtime<'_>, sets: usize, split: Split, args: &Args) -> PyResult<PyValue> {
    args.check("next_batch", 3, &["batch_size", "fake_data", "shuffle"])?;
    let size = args.req(0, "batch_size", "next_batch")?;
    let size = match size {
        PyValue::Int(n) if *n > crate::python::numpy::MAX_ELEMENTS as i64 => {
            return Err(PyError::exception("MemoryError", format!("next_batch({n}): too many examples")));
        }
        PyValue::Int(n) if *n >= 0 => *n as usize,
        PyValue::Int(_) => return Err(PyError::value_error("negative dimensions are not allowed")),
        other => {
            return Err(PyError::type_error(format!(
                "slice indices must be integers or None or have an __index__ method (batch_size is a {})",
                other.type_name()
            )));
        }
    };
    if args.get(1, "fake_data").map(PyValue::truthy).transpose()?.unwrap_or(false) {
        return Err(PyError::unsupported("next_batch(..., fake_data=True)"));
    }
    let shuffle = args.get(2, "shuffle").map(PyValue::truthy).transpose()?.unwrap_or(true);
    let np_seed = rt.np_seed;
    let np_seeded = rt.np_seeded;
    let np_draws = rt.np_draws;
    let loaded = rt.mnist.get_mut(sets).ok_or_else(|| PyError::exception("SystemError", "a lost dataset"))?;
    let k = split_index(split);
    let set = loaded.source.sets.split(split).clone();
    let call = loaded.calls[k];
    if loaded.batchers[k].is_none() {
        loaded.first_seed[k] = match np_seed {
            Some(s) => Some(Some(s)),
            None if !np_seeded => Some(None),
            None => None,
        };
        let rng = rt.np_rng.rs.clone();
        loaded.batchers[k] = Some(NextBatch::new(set.len(), shuffle, rng));
    }
    let first_seed = loaded.first_seed[k];
    let mut rows = Vec::with_capacity(size.min(set.len().max(1) * 2));
    if let Some(b) = loaded.batchers[k].as_mut() {
        b.next_batch_with(&mut rt.np_rng.rs, size, &mut rows);
    }
    loaded.calls[k] += 1;
    if shuffle {
        // The global generator was drawn from: it is no longer fresh from its seed.
        rt.np_seed = None;
    }
    let rows = Rc::new(rows);
    let one_hot = loaded.source.one_hot;
    let batch = BatchRef { call, size, shuffle, rows: Rc::clone(&rows), first_seed, np_draws };
    let mut out = Vec::with_capacity(2);
    for field in [Field::Images, Field::Labels] {
        let mut value = Value::zeros(dtype_of(field, one_hot), &[0]);
        set.fill(field, &mut rows.iter().copied(), rows.len(), dtype_of(field, one_hot), &mut value);
        let data = DataRef { sets, split, field, batch: Some(batch.clone()) };
        out.push(PyValue::Array(Rc::new(Array { value, origin: None, data: Some(data) })));
    }
    Ok(PyValue::tuple(out))
}
