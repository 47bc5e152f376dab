//! numpy as TF1 programs use it: `RandomState` and the global `np.random` (bit for bit with
//! numpy's legacy generator), `np.array`/`zeros`/`ones`/`arange`, indexing and slicing, `shape`,
//! `reshape`, `argmax`, `mean`, elementwise arithmetic, and the conversion of Python values
//! (nested lists, numbers, arrays) to tensor values for feeds and constants.

use crate::engine::dtype::DType;
use crate::engine::value::Value;
use crate::python::errors::{PyError, PyResult};
use crate::python::runtime::Runtime;
use crate::python::value::{Args, Array, NpRandom, PyValue, range_len};
use ndarray::{ArrayD, IxDyn};
use std::cell::RefCell;
use std::rc::Rc;

/// The most elements an array made by the program may hold.
pub const MAX_ELEMENTS: usize = 1 << 27;

/// The most items a Python list made from an array may hold (as the interpreter's lists).
const MAX_LIST_ITEMS: u128 = 50_000_000;

/// numpy's `_ArrayMemoryError` for an array of `shape` and `dtype` that flowbench will not
/// allocate (more than [`MAX_ELEMENTS`] elements): `Unable to allocate 7.28 TiB for an array
/// with shape (1000000000000,) and data type float64`.
pub fn alloc_error(shape: &[usize], dtype: DType) -> PyError {
    let bytes = shape.iter().fold(dtype.size_bytes() as u128, |n, &d| n.saturating_mul(d as u128));
    PyError::exception(
        "MemoryError",
        format!(
            "Unable to allocate {} for an array with shape {} and data type {}",
            size_to_string(bytes),
            crate::engine::kernels::py_shape(shape),
            dtype.name()
        ),
    )
}

/// A size in bytes as numpy words it in an allocation error (`7.28 TiB`, `1.00 MiB`, `5 bytes`).
fn size_to_string(bytes: u128) -> String {
    const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let bit_length = 128 - bytes.leading_zeros() as usize;
    let mut unit = bit_length.saturating_sub(1).max(1) / 10;
    let mut n = bytes as f64 / (1u128 << (unit.min(12) * 10)) as f64;
    if n.round() == 1024.0 {
        unit += 1;
        n /= 1024.0;
    }
    if unit >= UNITS.len() {
        n *= 2f64.powi(((unit - (UNITS.len() - 1)) * 10) as i32);
        unit = UNITS.len() - 1;
    }
    if unit == 0 {
        return format!("{n:.0} {}", UNITS[0]);
    }
    let text = if n.round() < 1000.0 {
        // Python's `#.3g`: three significant digits, the point kept.
        let exp = format!("{n:.2e}").split('e').nth(1).and_then(|e| e.parse::<i32>().ok()).unwrap_or(0);
        match 2 - exp {
            d if d > 0 => format!("{n:.*}", d as usize),
            _ => format!("{n:.0}."),
        }
    } else {
        format!("{n:.0}.")
    };
    format!("{text} {}", UNITS[unit])
}

/// Fails with numpy's allocation error when an array of `shape` would hold more than
/// [`MAX_ELEMENTS`] elements.
pub fn check_alloc(shape: &[usize], dtype: DType) -> PyResult<()> {
    match shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) {
        Some(n) if n <= MAX_ELEMENTS => Ok(()),
        _ => Err(alloc_error(shape, dtype)),
    }
}

/// Which rule infers the dtype of Python literals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// TF's: floats are float32, ints int32.
    Tf,
    /// numpy's: floats are float64, ints int64.
    Numpy,
}

/// A value of `dtype` and `shape` from f64 elements.
pub fn from_f64(dtype: DType, shape: &[usize], data: Vec<f64>) -> PyResult<Value> {
    let sh = IxDyn(shape);
    let err = |e: ndarray::ShapeError| PyError::value_error(e.to_string());
    Ok(match dtype {
        DType::Float32 => {
            Value::F32(ArrayD::from_shape_vec(sh, data.iter().map(|&x| x as f32).collect()).map_err(err)?)
        }
        DType::Float64 => Value::F64(ArrayD::from_shape_vec(sh, data).map_err(err)?),
        DType::Int32 => Value::I32(ArrayD::from_shape_vec(sh, data.iter().map(|&x| x as i32).collect()).map_err(err)?),
        DType::Int64 => Value::I64(ArrayD::from_shape_vec(sh, data.iter().map(|&x| x as i64).collect()).map_err(err)?),
        DType::Bool => Value::Bool(ArrayD::from_shape_vec(sh, data.iter().map(|&x| x != 0.0).collect()).map_err(err)?),
    })
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Bool,
    Int,
    Float,
}

fn collect(
    v: &PyValue,
    depth: usize,
    shape: &mut Vec<usize>,
    flat: &mut Vec<f64>,
    kind: &mut Option<Kind>,
) -> PyResult<()> {
    if depth > 32 {
        return Err(PyError::value_error("too many dimensions"));
    }
    let items: Vec<PyValue> = match v {
        PyValue::List(l) => l.borrow().clone(),
        PyValue::Tuple(t) => t.as_ref().clone(),
        PyValue::Array(a) if !a.value.shape().is_empty() => {
            // An array inside a list: its rows.
            iterate(&a.value)?
        }
        scalar => {
            if shape.len() != depth {
                return Err(PyError::value_error(
                    "setting an array element with a sequence. The requested array has an inhomogeneous shape",
                ));
            }
            let (k, x) = match scalar {
                PyValue::Bool(b) => (Kind::Bool, f64::from(u8::from(*b))),
                PyValue::Int(i) => (Kind::Int, *i as f64),
                PyValue::Float(f) => (Kind::Float, *f),
                PyValue::Array(a) => {
                    let k = match a.value.dtype() {
                        DType::Bool => Kind::Bool,
                        d if d.is_float() => Kind::Float,
                        _ => Kind::Int,
                    };
                    (k, a.value.first_f64().unwrap_or(0.0))
                }
                other => {
                    return Err(PyError::type_error(format!(
                        "Failed to convert elements of {} to Tensor.",
                        other.repr()
                    )));
                }
            };
            *kind = Some(kind.map_or(k, |old| old.max(k)));
            flat.push(x);
            if flat.len() > MAX_ELEMENTS {
                return Err(PyError::exception("MemoryError", "the array is too large"));
            }
            return Ok(());
        }
    };
    if shape.len() == depth {
        shape.push(items.len());
    } else if shape.get(depth) != Some(&items.len()) || shape.len() < depth {
        return Err(PyError::value_error(
            "setting an array element with a sequence. The requested array has an inhomogeneous shape",
        ));
    }
    for it in &items {
        collect(it, depth + 1, shape, flat, kind)?;
    }
    Ok(())
}

/// Converts nested lists of numbers, numbers and arrays to a value: of `dtype` if given, else
/// inferred by `flavor` (arrays keep their dtype).
pub fn to_value(v: &PyValue, dtype: Option<DType>, flavor: Flavor) -> PyResult<Value> {
    if let PyValue::Array(a) = v {
        return Ok(match dtype {
            Some(d) if d != a.value.dtype() => a.value.cast(d),
            _ => a.value.clone(),
        });
    }
    let mut shape = Vec::new();
    let mut flat = Vec::new();
    let mut kind = None;
    collect(v, 0, &mut shape, &mut flat, &mut kind)?;
    let inferred = match (kind, flavor) {
        (Some(Kind::Bool), _) => DType::Bool,
        (Some(Kind::Int), Flavor::Tf) => DType::Int32,
        (Some(Kind::Int), Flavor::Numpy) => DType::Int64,
        (Some(Kind::Float) | None, Flavor::Tf) => DType::Float32,
        (Some(Kind::Float) | None, Flavor::Numpy) => DType::Float64,
    };
    let d = dtype.unwrap_or(inferred);
    if d.is_int()
        && kind == Some(Kind::Float)
        && dtype.is_some()
        && flavor == Flavor::Tf
        && let Some(x) = flat.iter().find(|x| x.fract() != 0.0)
    {
        return Err(PyError::type_error(format!(
            "Expected {}, but got {} of type 'float'.",
            d.name(),
            crate::python::value::float_repr(*x)
        )));
    }
    from_f64(d, &shape, flat)
}

/// The rows of an array (its items along the first axis): numpy scalars for a 1-D array. A
/// list of more rows than a list may hold (an empty array of 10^12 rows) is Python's
/// `MemoryError`; a `for` loop takes them one at a time ([`row_count`], [`row_of`]).
pub fn iterate(v: &Value) -> PyResult<Vec<PyValue>> {
    let n = row_count(v)?;
    if n as u128 > MAX_LIST_ITEMS {
        return Err(PyError::exception("MemoryError", ""));
    }
    let data = v.to_f64_vec();
    (0..n).map(|i| row_of(v, &data, i)).collect()
}

/// The number of rows of an array (its first dimension); a 0-d array is not iterable.
pub fn row_count(v: &Value) -> PyResult<usize> {
    v.shape().first().copied().ok_or_else(|| PyError::type_error("iteration over a 0-d array"))
}

/// Row `i` of an array whose elements are `data` (see [`iterate`]).
pub fn row_of(v: &Value, data: &[f64], i: usize) -> PyResult<PyValue> {
    let rest = v.shape().get(1..).unwrap_or(&[]);
    let stride: usize = rest.iter().product();
    let part = data.get(i * stride..(i + 1) * stride).unwrap_or(&[]).to_vec();
    Ok(scalar_or_array(from_f64(v.dtype(), rest, part)?))
}

/// A 0-d float64 value is returned as a Python float (numpy's float64 prints as one); other
/// values stay arrays.
fn scalar_or_array(v: Value) -> PyValue {
    if v.shape().is_empty() && v.dtype() == DType::Float64 {
        return PyValue::Float(v.first_f64().unwrap_or(0.0));
    }
    PyValue::array(v)
}

fn norm_index(i: i64, n: usize, axis: usize) -> PyResult<usize> {
    let j = if i < 0 { i + n as i64 } else { i };
    if j < 0 || j >= n as i64 {
        return Err(PyError::exception(
            "IndexError",
            format!("index {i} is out of bounds for axis {axis} with size {n}"),
        ));
    }
    Ok(j as usize)
}

/// Python's slice `a:b:c` over `n` items: the indices it takes.
pub fn slice_indices(a: Option<i64>, b: Option<i64>, c: Option<i64>, n: usize) -> PyResult<Vec<usize>> {
    let step = c.unwrap_or(1);
    if step == 0 {
        return Err(PyError::value_error("slice step cannot be zero"));
    }
    let n = n as i64;
    let clamp = |x: i64, lo: i64, hi: i64| x.max(lo).min(hi);
    let fix = |x: i64| if x < 0 { x + n } else { x };
    let (start, stop) = if step > 0 {
        (a.map_or(0, |x| clamp(fix(x), 0, n)), b.map_or(n, |x| clamp(fix(x), 0, n)))
    } else {
        (a.map_or(n - 1, |x| clamp(fix(x), -1, n - 1)), b.map_or(-1, |x| clamp(fix(x), -1, n - 1)))
    };
    let count = range_len(start, stop, step);
    Ok((0..count).map(|k| (start + k * step) as usize).collect())
}

/// The indices a slice takes along one axis: `start + k * step` for `k < count`.
#[derive(Clone, Copy, Debug)]
struct Pick {
    start: i64,
    step: i64,
    count: usize,
}

impl Pick {
    fn at(&self, k: usize) -> usize {
        (self.start + k as i64 * self.step) as usize
    }
}

/// Python's slice `a:b:c` over `n` items, as a [`Pick`].
fn slice_pick(a: Option<i64>, b: Option<i64>, c: Option<i64>, n: usize) -> PyResult<Pick> {
    let step = c.unwrap_or(1);
    if step == 0 {
        return Err(PyError::value_error("slice step cannot be zero"));
    }
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let clamp = |x: i64, lo: i64, hi: i64| x.max(lo).min(hi);
    let fix = |x: i64| if x < 0 { x.saturating_add(n) } else { x };
    let (start, stop) = if step > 0 {
        (a.map_or(0, |x| clamp(fix(x), 0, n)), b.map_or(n, |x| clamp(fix(x), 0, n)))
    } else {
        (a.map_or(n - 1, |x| clamp(fix(x), -1, n - 1)), b.map_or(-1, |x| clamp(fix(x), -1, n - 1)))
    };
    Ok(Pick { start, step, count: usize::try_from(range_len(start, stop, step)).unwrap_or(0) })
}

/// `arr[idx]` with ints, slices and tuples of them.
pub fn index(v: &Value, idx: &PyValue) -> PyResult<PyValue> {
    let parts: Vec<PyValue> = match idx {
        PyValue::Tuple(t) => t.as_ref().clone(),
        other => vec![other.clone()],
    };
    let shape = v.shape().to_vec();
    if parts.len() > shape.len() {
        return Err(PyError::exception(
            "IndexError",
            format!(
                "too many indices for array: array is {}-dimensional, but {} were indexed",
                shape.len(),
                parts.len()
            ),
        ));
    }
    // Per axis: the indices taken (`start + k * step` for `k < count`), and whether the axis
    // stays. (Not listed: an empty array may have an axis of 10^12.)
    let mut picks: Vec<(Pick, bool)> = Vec::with_capacity(shape.len());
    for (axis, &n) in shape.iter().enumerate() {
        match parts.get(axis) {
            None => picks.push((Pick { start: 0, step: 1, count: n }, true)),
            Some(PyValue::Slice(a, b, c)) => picks.push((slice_pick(*a, *b, *c, n)?, true)),
            Some(p) => match p.as_i64() {
                Some(i) => picks.push((Pick { start: norm_index(i, n, axis)? as i64, step: 1, count: 1 }, false)),
                None => {
                    return Err(PyError::exception(
                        "IndexError",
                        "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer or boolean arrays are valid indices",
                    ));
                }
            },
        }
    }
    let new_shape: Vec<usize> = picks.iter().filter(|(_, keep)| *keep).map(|(p, _)| p.count).collect();
    // (At most the array's own elements: each axis takes at most its length.)
    let total: usize = picks.iter().map(|(p, _)| p.count).product();
    let data = if total == 0 { Vec::new() } else { v.to_f64_vec() };
    let mut strides = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1].saturating_mul(shape[i + 1]);
    }
    let mut out = Vec::with_capacity(total);
    let mut counter = vec![0usize; picks.len()];
    for _ in 0..total {
        let off: usize = counter.iter().enumerate().map(|(a, &k)| picks[a].0.at(k) * strides[a]).sum();
        out.push(data.get(off).copied().unwrap_or(0.0));
        for a in (0..counter.len()).rev() {
            counter[a] += 1;
            if counter[a] < picks[a].0.count {
                break;
            }
            counter[a] = 0;
        }
    }
    Ok(scalar_or_array(from_f64(v.dtype(), &new_shape, out)?))
}

/// Reads a shape argument: an int or a list/tuple of ints.
pub fn shape_arg(v: &PyValue) -> PyResult<Vec<usize>> {
    let dims: Vec<PyValue> = match v {
        PyValue::List(l) => l.borrow().clone(),
        PyValue::Tuple(t) => t.as_ref().clone(),
        PyValue::Shape(Some(d)) => d.iter().map(|x| x.map_or(PyValue::None, |v| PyValue::Int(v as i64))).collect(),
        other => vec![other.clone()],
    };
    let mut out = Vec::with_capacity(dims.len());
    for d in dims {
        match d.as_i64() {
            Some(x) if x >= 0 => out.push(x as usize),
            Some(x) => return Err(PyError::value_error(format!("negative dimensions are not allowed: {x}"))),
            None => {
                return Err(PyError::type_error(format!(
                    "'{}' object cannot be interpreted as an integer",
                    d.type_name()
                )));
            }
        }
    }
    let n = out.iter().try_fold(1usize, |a, &b| a.checked_mul(b));
    if n.is_none_or(|n| n > MAX_ELEMENTS) {
        return Err(PyError::exception("MemoryError", format!("Unable to allocate an array with shape {out:?}")));
    }
    Ok(out)
}

fn size_args(args: &Args, from: usize) -> PyResult<Vec<usize>> {
    let dims: Vec<PyValue> = args.pos.iter().skip(from).cloned().collect();
    if dims.len() == 1 {
        return shape_arg(&dims[0]);
    }
    shape_arg(&PyValue::tuple(dims))
}

fn rng_of(
    rt: &mut Runtime<'_>,
    obj: Option<&Rc<RefCell<NpRandom>>>,
    f: &mut dyn FnMut(&mut NpRandom) -> PyResult<PyValue>,
) -> PyResult<PyValue> {
    match obj {
        Some(r) => f(&mut r.borrow_mut()),
        None => f(&mut rt.np_rng),
    }
}

fn floats(shape: &[usize], mut f: impl FnMut() -> f64) -> PyResult<PyValue> {
    if shape.is_empty() {
        return Ok(PyValue::Float(f()));
    }
    let n: usize = shape.iter().product();
    let data: Vec<f64> = (0..n).map(|_| f()).collect();
    Ok(PyValue::array(from_f64(DType::Float64, shape, data)?))
}

/// A `RandomState` method (or the global `np.random.<name>` when `obj` is `None`).
pub fn random_method(
    rt: &mut Runtime<'_>,
    obj: Option<&Rc<RefCell<NpRandom>>>,
    name: &str,
    args: &Args,
) -> PyResult<PyValue> {
    let num = |i: usize, key: &str, default: f64| -> PyResult<f64> {
        match args.get(i, key) {
            None => Ok(default),
            Some(v) => v.as_f64().ok_or_else(|| PyError::type_error(format!("{key} must be a number"))),
        }
    };
    let size = |i: usize| -> PyResult<Vec<usize>> {
        match args.get(i, "size") {
            None | Some(PyValue::None) => Ok(vec![]),
            Some(v) => shape_arg(v),
        }
    };
    if obj.is_none() {
        // What `input_data`'s next_batch needs to know of the global generator.
        rt.np_seed = None;
        if name != "seed" {
            rt.np_draws += 1;
        }
    }
    match name {
        "seed" => {
            let seed = args.get(0, "seed").and_then(PyValue::as_i64).unwrap_or(0);
            if !(0..=u32::MAX as i64).contains(&seed) {
                return Err(PyError::value_error("Seed must be between 0 and 2**32 - 1"));
            }
            if obj.is_none() {
                rt.np_seed = Some(seed as u32);
                rt.np_seeded = true;
            }
            rng_of(rt, obj, &mut |r| {
                *r = NpRandom::new(seed as u32);
                Ok(PyValue::None)
            })
        }
        "rand" | "random_sample" | "random" => {
            let shape = if name == "rand" { size_args(args, 0)? } else { size(0)? };
            rng_of(rt, obj, &mut |r| floats(&shape, || r.rs.random_sample()))
        }
        "randn" | "standard_normal" => {
            let shape = if name == "randn" { size_args(args, 0)? } else { size(0)? };
            rng_of(rt, obj, &mut |r| floats(&shape, || r.gauss()))
        }
        "uniform" => {
            let (lo, hi, shape) = (num(0, "low", 0.0)?, num(1, "high", 1.0)?, size(2)?);
            rng_of(rt, obj, &mut |r| floats(&shape, || lo + (hi - lo) * r.rs.random_sample()))
        }
        "normal" => {
            let (loc, scale, shape) = (num(0, "loc", 0.0)?, num(1, "scale", 1.0)?, size(2)?);
            rng_of(rt, obj, &mut |r| floats(&shape, || loc + scale * r.gauss()))
        }
        "randint" => {
            let a = args
                .get(0, "low")
                .and_then(PyValue::as_i64)
                .ok_or_else(|| PyError::type_error("randint() needs an int low"))?;
            let (lo, hi) = match args.get(1, "high") {
                Some(PyValue::None) | None => (0, a),
                Some(h) => (a, h.as_i64().ok_or_else(|| PyError::type_error("randint() needs an int high"))?),
            };
            if hi <= lo {
                return Err(PyError::value_error("low >= high"));
            }
            let shape = size(2)?;
            let span = (hi - lo - 1) as u64;
            rng_of(rt, obj, &mut |r| {
                if shape.is_empty() {
                    return Ok(PyValue::Int(lo + r.rs.random_interval(span) as i64));
                }
                let n: usize = shape.iter().product();
                let data: Vec<f64> = (0..n).map(|_| (lo + r.rs.random_interval(span) as i64) as f64).collect();
                Ok(PyValue::array(from_f64(DType::Int64, &shape, data)?))
            })
        }
        "permutation" => {
            let arg = args.req(0, "x", "permutation")?.clone();
            match arg.as_i64() {
                Some(n) if n >= 0 => rng_of(rt, obj, &mut |r| {
                    let p = r.rs.permutation(n as usize);
                    let data = p.iter().map(|&i| i as f64).collect();
                    Ok(PyValue::array(from_f64(DType::Int64, &[n as usize], data)?))
                }),
                _ => {
                    let copy = match &arg {
                        PyValue::List(l) => PyValue::list(l.borrow().clone()),
                        PyValue::Array(a) => PyValue::array(a.value.clone()),
                        other => return Err(PyError::type_error(format!("cannot permute a {}", other.type_name()))),
                    };
                    shuffle(rt, obj, &copy)?;
                    Ok(copy)
                }
            }
        }
        "shuffle" => {
            let x = args.req(0, "x", "shuffle")?.clone();
            shuffle(rt, obj, &x)?;
            Ok(PyValue::None)
        }
        other => Err(PyError::unsupported(format!("numpy.random.{other}"))),
    }
}

fn shuffle(rt: &mut Runtime<'_>, obj: Option<&Rc<RefCell<NpRandom>>>, x: &PyValue) -> PyResult<()> {
    match x {
        PyValue::List(l) => {
            let mut items = l.borrow().clone();
            rng_of(rt, obj, &mut |r| {
                r.rs.shuffle(&mut items);
                Ok(PyValue::None)
            })?;
            *l.borrow_mut() = items;
            Ok(())
        }
        PyValue::Array(_) => {
            Err(PyError::unsupported("shuffling a numpy array in place (shuffle a list, or use permutation)"))
        }
        other => Err(PyError::type_error(format!("'{}' object does not support item assignment", other.type_name()))),
    }
}

fn dtype_kw(args: &Args) -> PyResult<Option<DType>> {
    match args.kw("dtype") {
        None | Some(PyValue::None) => Ok(None),
        Some(PyValue::DType(d)) => Ok(Some(*d)),
        Some(PyValue::Builtin(b)) if b.as_ref() == "float" => Ok(Some(DType::Float64)),
        Some(PyValue::Builtin(b)) if b.as_ref() == "int" => Ok(Some(DType::Int64)),
        Some(other) => Err(PyError::unsupported(format!("the dtype {}", other.repr()))),
    }
}

/// `np.<name>(...)`.
pub fn call(rt: &mut Runtime<'_>, name: &str, args: &Args) -> PyResult<PyValue> {
    if let Some(m) = name.strip_prefix("np.random.") {
        if m == "RandomState" {
            let seed = args.get(0, "seed").and_then(PyValue::as_i64).unwrap_or(0);
            if !(0..=u32::MAX as i64).contains(&seed) {
                return Err(PyError::value_error("Seed must be between 0 and 2**32 - 1"));
            }
            return Ok(PyValue::RandomState(Rc::new(RefCell::new(NpRandom::new(seed as u32)))));
        }
        return random_method(rt, None, m, args);
    }
    let m = name.strip_prefix("np.").unwrap_or(name);
    match m {
        "array" | "asarray" => {
            let v = args.req(0, "object", m)?;
            Ok(PyValue::array(to_value(v, dtype_kw(args)?, Flavor::Numpy)?))
        }
        "zeros" | "ones" => {
            let shape = shape_arg(args.req(0, "shape", m)?)?;
            let d = dtype_kw(args)?.unwrap_or(DType::Float64);
            Ok(PyValue::array(Value::filled(d, &shape, if m == "ones" { 1.0 } else { 0.0 })))
        }
        "arange" => {
            let a = args.req(0, "start", m)?.as_f64().ok_or_else(|| PyError::type_error("arange() needs numbers"))?;
            let (start, stop) = match args.get(1, "stop") {
                Some(b) => (a, b.as_f64().ok_or_else(|| PyError::type_error("arange() needs numbers"))?),
                None => (0.0, a),
            };
            let step = args.get(2, "step").and_then(PyValue::as_f64).unwrap_or(1.0);
            if step == 0.0 {
                return Err(PyError::exception("ZeroDivisionError", "division by zero"));
            }
            let n = ((stop - start) / step).ceil().max(0.0);
            if n > MAX_ELEMENTS as f64 {
                return Err(PyError::exception("MemoryError", "arange() is too large"));
            }
            let all_int = args.pos.iter().all(|v| matches!(v, PyValue::Int(_)));
            let d = dtype_kw(args)?.unwrap_or(if all_int { DType::Int64 } else { DType::Float64 });
            let data: Vec<f64> = (0..n as usize).map(|i| start + i as f64 * step).collect();
            Ok(PyValue::array(from_f64(d, &[data.len()], data)?))
        }
        "float32" | "float64" | "int32" | "int64" => {
            let d = DType::parse(m).unwrap_or(DType::Float64);
            let v = args.req(0, "x", m)?;
            Ok(PyValue::array(to_value(v, Some(d), Flavor::Numpy)?))
        }
        "argmax" | "mean" | "sum" | "max" | "min" => {
            let v = to_value(args.req(0, "a", m)?, None, Flavor::Numpy)?;
            reduce(m, &v, args.get(1, "axis"))
        }
        "sqrt" | "exp" | "log" | "abs" => {
            let x = args.req(0, "x", m)?;
            let f: fn(f64) -> f64 = match m {
                "sqrt" => f64::sqrt,
                "exp" => f64::exp,
                "log" => f64::ln,
                _ => f64::abs,
            };
            match x {
                PyValue::Int(_) | PyValue::Float(_) | PyValue::Bool(_) => {
                    Ok(PyValue::Float(f(x.as_f64().unwrap_or(0.0))))
                }
                other => {
                    let v = to_value(other, None, Flavor::Numpy)?;
                    let d = if v.dtype().is_float() { v.dtype() } else { DType::Float64 };
                    let data = v.to_f64_vec().into_iter().map(f).collect();
                    Ok(scalar_or_array(from_f64(d, v.shape(), data)?))
                }
            }
        }
        other => Err(PyError::unsupported(format!("numpy.{other}"))),
    }
}

/// `arr.argmax(axis)`, `arr.mean(axis)`, `arr.sum(axis)`, `max`, `min`.
pub fn reduce(m: &str, v: &Value, axis: Option<&PyValue>) -> PyResult<PyValue> {
    let axis = match axis {
        None | Some(PyValue::None) => None,
        Some(a) => Some(a.as_i64().ok_or_else(|| PyError::type_error("axis must be an int"))?),
    };
    let shape = v.shape().to_vec();
    let data = v.to_f64_vec();
    let fold = |xs: &[f64]| -> f64 {
        match m {
            "argmax" => {
                let mut best = 0usize;
                for (i, &x) in xs.iter().enumerate() {
                    if x > xs[best] || (x.is_nan() && !xs[best].is_nan()) {
                        best = i;
                    }
                }
                best as f64
            }
            "mean" if xs.is_empty() => f64::NAN,
            "mean" => xs.iter().sum::<f64>() / xs.len() as f64,
            // (Rust's empty sum is -0.0; numpy's is 0.0.)
            "sum" if xs.is_empty() => 0.0,
            "sum" => xs.iter().sum(),
            "max" => xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            _ => xs.iter().copied().fold(f64::INFINITY, f64::min),
        }
    };
    let out_dtype = match m {
        "argmax" => DType::Int64,
        "mean" => {
            if v.dtype() == DType::Float32 {
                DType::Float32
            } else {
                DType::Float64
            }
        }
        "sum" if v.dtype() == DType::Bool || v.dtype() == DType::Int32 => DType::Int64,
        _ => v.dtype(),
    };
    // numpy's words when the reduced elements are none (an output of no elements is fine).
    let empty = || match m {
        "argmax" => PyError::value_error("attempt to get argmax of an empty sequence"),
        "max" => PyError::value_error("zero-size array to reduction operation maximum which has no identity"),
        _ => PyError::value_error("zero-size array to reduction operation minimum which has no identity"),
    };
    let no_identity = m != "sum" && m != "mean";
    match axis {
        None => {
            if data.is_empty() && no_identity {
                return Err(empty());
            }
            Ok(scalar_or_array(from_f64(out_dtype, &[], vec![fold(&data)])?))
        }
        Some(a) => {
            let nd = shape.len() as i64;
            let a = if a < 0 { a + nd } else { a };
            if a < 0 || a >= nd {
                return Err(PyError::exception(
                    "AxisError",
                    format!("axis {a} is out of bounds for array of dimension {nd}"),
                ));
            }
            let a = a as usize;
            let mut new_shape = shape.clone();
            new_shape.remove(a);
            check_alloc(&new_shape, out_dtype)?;
            let outer: usize = shape[..a].iter().product();
            let n = shape[a];
            let inner: usize = shape[a + 1..].iter().product();
            if n == 0 && no_identity && outer * inner > 0 {
                return Err(empty());
            }
            let mut out = Vec::with_capacity(outer * inner);
            for o in 0..outer {
                for i in 0..inner {
                    let xs: Vec<f64> = (0..n).map(|k| data[(o * n + k) * inner + i]).collect();
                    out.push(fold(&xs));
                }
            }
            Ok(scalar_or_array(from_f64(out_dtype, &new_shape, out)?))
        }
    }
}

/// Elementwise arithmetic and comparison of arrays (and numbers), with numpy's broadcasting of
/// equal shapes and scalars.
pub fn binary(op: &str, a: &PyValue, b: &PyValue) -> PyResult<PyValue> {
    let va = to_value(a, None, Flavor::Numpy)?;
    let vb = to_value(b, None, Flavor::Numpy)?;
    let (sa, sb) = (va.shape().to_vec(), vb.shape().to_vec());
    let shape = if sa == sb || vb.len() == 1 && sb.len() <= sa.len() {
        sa.clone()
    } else if va.len() == 1 && sa.len() <= sb.len() {
        sb.clone()
    } else {
        return Err(PyError::value_error(format!(
            "operands could not be broadcast together with shapes {} {}",
            crate::engine::kernels::py_shape(&sa),
            crate::engine::kernels::py_shape(&sb)
        )));
    };
    let (da, db) = (va.to_f64_vec(), vb.to_f64_vec());
    let n: usize = shape.iter().product();
    let get = |d: &[f64], i: usize| if d.len() == 1 { d[0] } else { d[i] };
    let float = va.dtype().is_float() || vb.dtype().is_float() || op == "/";
    let f32_only = va.dtype() != DType::Float64
        && vb.dtype() != DType::Float64
        && (va.dtype() == DType::Float32 || vb.dtype() == DType::Float32);
    let mut out = Vec::with_capacity(n);
    let mut cmp = false;
    for i in 0..n {
        let (x, y) = (get(&da, i), get(&db, i));
        out.push(match op {
            "+" => x + y,
            "-" => x - y,
            "*" => x * y,
            "/" => x / y,
            "**" => x.powf(y),
            "//" => (x / y).floor(),
            "%" => x - (x / y).floor() * y,
            c => {
                cmp = true;
                let r = match c {
                    "<" => x < y,
                    "<=" => x <= y,
                    ">" => x > y,
                    ">=" => x >= y,
                    "==" => x == y,
                    _ => x != y,
                };
                f64::from(u8::from(r))
            }
        });
    }
    let d = if cmp {
        DType::Bool
    } else if f32_only {
        DType::Float32
    } else if float {
        DType::Float64
    } else {
        DType::Int64
    };
    Ok(scalar_or_array(from_f64(d, &shape, out)?))
}

/// An array's attribute (`shape`, `dtype`, `ndim`, `size`, `T`); methods come back as bound.
pub fn attr(a: &Rc<Array>, name: &str) -> PyResult<PyValue> {
    let v = &a.value;
    Ok(match name {
        "shape" => PyValue::tuple(v.shape().iter().map(|&d| PyValue::Int(d as i64)).collect()),
        "ndim" => PyValue::Int(v.shape().len() as i64),
        "size" => PyValue::Int(v.len() as i64),
        "dtype" => PyValue::str(v.dtype().name()),
        "reshape" | "astype" | "argmax" | "mean" | "sum" | "max" | "min" | "tolist" | "copy" | "item" => {
            PyValue::Method(Box::new(PyValue::Array(a.clone())), name.into())
        }
        other => {
            return Err(PyError::exception(
                "AttributeError",
                format!("'numpy.ndarray' object has no attribute '{other}'"),
            ));
        }
    })
}

/// An array's method.
pub fn method(a: &Rc<Array>, name: &str, args: &Args) -> PyResult<PyValue> {
    let v = &a.value;
    match name {
        "reshape" => {
            let dims: Vec<PyValue> = if args.pos.len() == 1 {
                match &args.pos[0] {
                    PyValue::List(l) => l.borrow().clone(),
                    PyValue::Tuple(t) => t.as_ref().clone(),
                    x => vec![x.clone()],
                }
            } else {
                args.pos.clone()
            };
            let mut known = 1usize;
            let mut unknown = None;
            let mut shape = Vec::with_capacity(dims.len());
            for (i, d) in dims.iter().enumerate() {
                match d.as_i64() {
                    Some(-1) if unknown.is_none() => {
                        unknown = Some(i);
                        shape.push(0);
                    }
                    Some(x) if x >= 0 => {
                        known = known.saturating_mul(x as usize);
                        shape.push(x as usize);
                    }
                    _ => return Err(PyError::value_error("can only specify one unknown dimension")),
                }
            }
            if let Some(i) = unknown {
                if known == 0 || !v.len().is_multiple_of(known) {
                    return Err(PyError::value_error(format!(
                        "cannot reshape array of size {} into shape {}",
                        v.len(),
                        PyValue::tuple(dims.clone()).repr()
                    )));
                }
                shape[i] = v.len() / known;
            }
            if shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) != Some(v.len()) {
                return Err(PyError::value_error(format!(
                    "cannot reshape array of size {} into shape {}",
                    v.len(),
                    PyValue::tuple(dims).repr()
                )));
            }
            Ok(PyValue::array(from_f64(v.dtype(), &shape, v.to_f64_vec())?))
        }
        "astype" => match args.get(0, "dtype") {
            Some(PyValue::DType(d)) => Ok(PyValue::array(v.cast(*d))),
            Some(PyValue::Str(s)) if DType::parse(s).is_some() => {
                Ok(PyValue::array(v.cast(DType::parse(s).unwrap_or(DType::Float64))))
            }
            Some(PyValue::Builtin(b)) if b.as_ref() == "float" => Ok(PyValue::array(v.cast(DType::Float64))),
            Some(PyValue::Builtin(b)) if b.as_ref() == "int" => Ok(PyValue::array(v.cast(DType::Int64))),
            _ => Err(PyError::unsupported("astype() with this dtype")),
        },
        "argmax" | "mean" | "sum" | "max" | "min" => reduce(name, v, args.get(0, "axis")),
        "copy" => Ok(PyValue::array(v.clone())),
        "item" => Ok(match v.dtype() {
            d if d.is_float() => PyValue::Float(v.first_f64().unwrap_or(0.0)),
            DType::Bool => PyValue::Bool(v.first_f64().unwrap_or(0.0) != 0.0),
            _ => PyValue::Int(v.first_f64().unwrap_or(0.0) as i64),
        }),
        "tolist" => tolist(v),
        other => Err(PyError::unsupported(format!("numpy.ndarray.{other}"))),
    }
}

/// `arr.tolist()`: nested lists of Python numbers (Python's `MemoryError` beyond what a list
/// may hold, counting the lists of an empty array of 10^12 rows too).
pub fn tolist(v: &Value) -> PyResult<PyValue> {
    let mut items = 0u128;
    let mut level = 1u128;
    for &d in v.shape() {
        level = level.saturating_mul(d as u128);
        items = items.saturating_add(level);
    }
    if items > MAX_LIST_ITEMS {
        return Err(PyError::exception("MemoryError", ""));
    }
    Ok(tolist_of(v))
}

fn tolist_of(v: &Value) -> PyValue {
    fn build(data: &[f64], shape: &[usize], d: DType) -> PyValue {
        match shape.split_first() {
            None => {
                let x = data.first().copied().unwrap_or(0.0);
                match d {
                    DType::Bool => PyValue::Bool(x != 0.0),
                    d if d.is_float() => PyValue::Float(x),
                    _ => PyValue::Int(x as i64),
                }
            }
            Some((&n, rest)) => {
                let stride: usize = rest.iter().product();
                PyValue::list(
                    (0..n).map(|i| build(data.get(i * stride..(i + 1) * stride).unwrap_or(&[]), rest, d)).collect(),
                )
            }
        }
    }
    build(&v.to_f64_vec(), v.shape(), v.dtype())
}
