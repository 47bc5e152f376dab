//! Concrete tensor values (what `sess.run` returns): an n-d array of one dtype, built on ndarray,
//! with conversion from and to nested JSON lists (the form feeds and constants take in project
//! files) and numpy-style printing.

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::fmt::numpy;
use ndarray::{ArrayD, IxDyn};
use serde_json::Value as Json;

/// A concrete tensor value.
#[derive(Debug, PartialEq)]
pub enum Value {
    /// float32 data.
    F32(ArrayD<f32>),
    /// float64 data.
    F64(ArrayD<f64>),
    /// int32 data.
    I32(ArrayD<i32>),
    /// int64 data.
    I64(ArrayD<i64>),
    /// bool data.
    Bool(ArrayD<bool>),
}

/// Applies `$body` to the array inside a [`Value`] whatever its dtype.
#[macro_export]
macro_rules! with_array {
    ($v:expr, $a:ident => $body:expr) => {
        match $v {
            $crate::engine::value::Value::F32($a) => $body,
            $crate::engine::value::Value::F64($a) => $body,
            $crate::engine::value::Value::I32($a) => $body,
            $crate::engine::value::Value::I64($a) => $body,
            $crate::engine::value::Value::Bool($a) => $body,
        }
    };
}

impl Clone for Value {
    fn clone(&self) -> Value {
        match self {
            Value::F32(a) => Value::F32(a.clone()),
            Value::F64(a) => Value::F64(a.clone()),
            Value::I32(a) => Value::I32(a.clone()),
            Value::I64(a) => Value::I64(a.clone()),
            Value::Bool(a) => Value::Bool(a.clone()),
        }
    }

    /// Reuses this value's buffer when the dtype matches (run plans copy into kept buffers).
    fn clone_from(&mut self, source: &Value) {
        fn copy<T: Copy>(a: &mut ArrayD<T>, b: &ArrayD<T>) -> bool {
            if a.shape() != b.shape() {
                return false;
            }
            match (a.as_slice_mut(), b.as_slice()) {
                (Some(x), Some(y)) => {
                    x.copy_from_slice(y);
                    true
                }
                _ => false,
            }
        }
        let done = match (&mut *self, source) {
            (Value::F32(a), Value::F32(b)) => copy(a, b),
            (Value::F64(a), Value::F64(b)) => copy(a, b),
            (Value::I32(a), Value::I32(b)) => copy(a, b),
            (Value::I64(a), Value::I64(b)) => copy(a, b),
            (Value::Bool(a), Value::Bool(b)) => copy(a, b),
            _ => false,
        };
        if done {
            return;
        }
        match (self, source) {
            (Value::F32(a), Value::F32(b)) if a.shape() == b.shape() => a.assign(b),
            (Value::F64(a), Value::F64(b)) if a.shape() == b.shape() => a.assign(b),
            (Value::I32(a), Value::I32(b)) if a.shape() == b.shape() => a.assign(b),
            (Value::I64(a), Value::I64(b)) if a.shape() == b.shape() => a.assign(b),
            (Value::Bool(a), Value::Bool(b)) if a.shape() == b.shape() => a.assign(b),
            (this, source) => *this = source.clone(),
        }
    }
}

impl Value {
    /// The dtype.
    pub fn dtype(&self) -> DType {
        match self {
            Value::F32(_) => DType::Float32,
            Value::F64(_) => DType::Float64,
            Value::I32(_) => DType::Int32,
            Value::I64(_) => DType::Int64,
            Value::Bool(_) => DType::Bool,
        }
    }

    /// The concrete shape.
    pub fn shape(&self) -> &[usize] {
        with_array!(self, a => a.shape())
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        with_array!(self, a => a.len())
    }

    /// True when the value holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the data occupies.
    pub fn size_bytes(&self) -> usize {
        self.len() * self.dtype().size_bytes()
    }

    /// A float32 scalar.
    pub fn scalar_f32(x: f32) -> Value {
        Value::F32(ArrayD::from_elem(IxDyn(&[]), x))
    }

    /// A value of `dtype` and `shape` filled with `x` (cast from f64).
    pub fn filled(dtype: DType, shape: &[usize], x: f64) -> Value {
        let sh = IxDyn(shape);
        match dtype {
            DType::Float32 => Value::F32(ArrayD::from_elem(sh, x as f32)),
            DType::Float64 => Value::F64(ArrayD::from_elem(sh, x)),
            DType::Int32 => Value::I32(ArrayD::from_elem(sh, x as i32)),
            DType::Int64 => Value::I64(ArrayD::from_elem(sh, x as i64)),
            DType::Bool => Value::Bool(ArrayD::from_elem(sh, x != 0.0)),
        }
    }

    /// Zeros of `dtype` and `shape`.
    pub fn zeros(dtype: DType, shape: &[usize]) -> Value {
        Value::filled(dtype, shape, 0.0)
    }

    /// All elements as f64 (row-major), for plotting and checks.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match self {
            Value::F32(a) => a.iter().map(|&x| x as f64).collect(),
            Value::F64(a) => a.iter().copied().collect(),
            Value::I32(a) => a.iter().map(|&x| x as f64).collect(),
            Value::I64(a) => a.iter().map(|&x| x as f64).collect(),
            Value::Bool(a) => a.iter().map(|&x| if x { 1.0 } else { 0.0 }).collect(),
        }
    }

    /// The first element as f64 (a scalar's value).
    pub fn first_f64(&self) -> Option<f64> {
        match self {
            Value::F32(a) => a.iter().next().map(|&x| x as f64),
            Value::F64(a) => a.iter().next().copied(),
            Value::I32(a) => a.iter().next().map(|&x| x as f64),
            Value::I64(a) => a.iter().next().map(|&x| x as f64),
            Value::Bool(a) => a.iter().next().map(|&x| if x { 1.0 } else { 0.0 }),
        }
    }

    /// Converts to another dtype as `tf.cast` does (float to int truncates; nonzero is true).
    pub fn cast(&self, to: DType) -> Value {
        if self.dtype() == to {
            return self.clone();
        }
        macro_rules! conv {
            ($a:expr) => {
                match to {
                    DType::Float32 => Value::F32($a.mapv(|x| x as f32)),
                    DType::Float64 => Value::F64($a.mapv(|x| x as f64)),
                    DType::Int32 => Value::I32($a.mapv(|x| x as i32)),
                    DType::Int64 => Value::I64($a.mapv(|x| x as i64)),
                    DType::Bool => Value::Bool($a.mapv(|x| (x as f64) != 0.0)),
                }
            };
        }
        match self {
            Value::F32(a) => conv!(a),
            Value::F64(a) => conv!(a),
            Value::I32(a) => conv!(a),
            Value::I64(a) => conv!(a),
            Value::Bool(a) => {
                let f = a.mapv(|x| if x { 1u8 } else { 0u8 });
                match to {
                    DType::Float32 => Value::F32(f.mapv(|x| x as f32)),
                    DType::Float64 => Value::F64(f.mapv(|x| x as f64)),
                    DType::Int32 => Value::I32(f.mapv(|x| x as i32)),
                    DType::Int64 => Value::I64(f.mapv(|x| x as i64)),
                    DType::Bool => self.clone(),
                }
            }
        }
    }

    /// Prints as numpy's `str(array)` does: `[3.  5.4]`, `[[3.957578]]`.
    pub fn to_numpy_string(&self) -> String {
        let shape = self.shape().to_vec();
        match self {
            Value::F32(a) => numpy::format_f32(&a.iter().copied().collect::<Vec<_>>(), &shape),
            Value::F64(a) => numpy::format_f64(&a.iter().copied().collect::<Vec<_>>(), &shape),
            Value::I32(a) => numpy::format_i32(&a.iter().copied().collect::<Vec<_>>(), &shape),
            Value::I64(a) => numpy::format_i64(&a.iter().copied().collect::<Vec<_>>(), &shape),
            Value::Bool(a) => numpy::format_bool(&a.iter().copied().collect::<Vec<_>>(), &shape),
        }
    }

    /// Python's `repr` of what `sess.run` returns for this value, as a list of fetches prints it
    /// with numpy 2: a scalar is `np.float32(4.5)`, `np.int32(3)`, `np.True_`. Arrays (whose
    /// repr is `array([...], dtype=...)`) are not supported yet: an Unimplemented error.
    pub fn to_numpy_repr(&self) -> Result<String> {
        if !self.shape().is_empty() {
            return Err(Error::unimplemented(format!(
                "printing a list that holds a tensor of shape {} (its repr is array([...]))",
                crate::engine::kernels::py_shape(self.shape())
            )));
        }
        Ok(match self {
            Value::F32(a) => format!("np.float32({})", numpy::scalar_f32(a.iter().copied().next().unwrap_or(0.0))),
            Value::F64(a) => format!("np.float64({})", numpy::scalar_f64(a.iter().copied().next().unwrap_or(0.0))),
            Value::I32(a) => format!("np.int32({})", a.iter().copied().next().unwrap_or(0)),
            Value::I64(a) => format!("np.int64({})", a.iter().copied().next().unwrap_or(0)),
            Value::Bool(a) => {
                if a.iter().copied().next().unwrap_or(false) { "np.True_" } else { "np.False_" }.to_string()
            }
        })
    }

    /// Builds a value from nested JSON lists. The dtype is `dtype` if given, else inferred as TF
    /// does for Python literals: any float makes float32, all ints make int32, bools make bool.
    pub fn from_json(json: &Json, dtype: Option<DType>) -> Result<Value> {
        let mut shape = Vec::new();
        let mut flat = Vec::new();
        collect_json(json, 0, &mut shape, &mut flat)?;
        crate::engine::memory::check_rank(shape.len())?;
        let inferred = if flat.iter().any(|s| matches!(s, Scalar::F(_))) {
            DType::Float32
        } else if !flat.is_empty() && flat.iter().all(|s| matches!(s, Scalar::B(_))) {
            DType::Bool
        } else if flat.is_empty() {
            DType::Float32
        } else {
            DType::Int32
        };
        let dtype = dtype.unwrap_or(inferred);
        let as_f64 = |s: &Scalar| match *s {
            Scalar::F(x) => x,
            Scalar::I(i) => i as f64,
            Scalar::B(b) => f64::from(u8::from(b)),
        };
        if dtype != DType::Bool && flat.iter().any(|s| matches!(s, Scalar::B(_))) && dtype.is_float() {
            return Err(Error::type_error(format!("Expected {}, got a bool value", dtype.name())));
        }
        if dtype.is_int()
            && let Some(Scalar::F(x)) = flat.iter().find(|s| matches!(s, Scalar::F(x) if x.fract() != 0.0))
        {
            return Err(Error::type_error(format!(
                "Expected {}, got {} of type 'float' instead.",
                dtype.name(),
                numpy::scalar_f64(*x)
            )));
        }
        let sh = IxDyn(&shape);
        let err = |e: ndarray::ShapeError| Error::invalid_argument(e.to_string());
        Ok(match dtype {
            DType::Float32 => {
                Value::F32(ArrayD::from_shape_vec(sh, flat.iter().map(|s| as_f64(s) as f32).collect()).map_err(err)?)
            }
            DType::Float64 => Value::F64(ArrayD::from_shape_vec(sh, flat.iter().map(as_f64).collect()).map_err(err)?),
            DType::Int32 => {
                Value::I32(ArrayD::from_shape_vec(sh, flat.iter().map(|s| as_f64(s) as i32).collect()).map_err(err)?)
            }
            DType::Int64 => {
                Value::I64(ArrayD::from_shape_vec(sh, flat.iter().map(|s| as_f64(s) as i64).collect()).map_err(err)?)
            }
            DType::Bool => {
                Value::Bool(ArrayD::from_shape_vec(sh, flat.iter().map(|s| as_f64(s) != 0.0).collect()).map_err(err)?)
            }
        })
    }

    /// Nested JSON lists of the elements (floats as numbers; non-finite floats as strings).
    pub fn to_json(&self) -> Json {
        fn build<T: Copy>(data: &[T], shape: &[usize], f: &dyn Fn(T) -> Json) -> Json {
            match shape.split_first() {
                None => data.first().map_or(Json::Null, |&x| f(x)),
                Some((&n, rest)) => {
                    let stride: usize = rest.iter().product();
                    Json::Array(
                        (0..n).map(|i| build(data.get(i * stride..(i + 1) * stride).unwrap_or(&[]), rest, f)).collect(),
                    )
                }
            }
        }
        let float =
            |x: f64| serde_json::Number::from_f64(x).map_or_else(|| Json::String(numpy::scalar_f64(x)), Json::Number);
        let shape = self.shape().to_vec();
        match self {
            Value::F32(a) => {
                let d: Vec<f32> = a.iter().copied().collect();
                // Round-trip through the shortest f32 text so 0.7f32 is stored as 0.7, not 0.699999988.
                build(&d, &shape, &|x: f32| x.to_string().parse::<f64>().map_or(Json::Null, float))
            }
            Value::F64(a) => build(&a.iter().copied().collect::<Vec<_>>(), &shape, &float),
            Value::I32(a) => build(&a.iter().copied().collect::<Vec<_>>(), &shape, &|x: i32| Json::from(x)),
            Value::I64(a) => build(&a.iter().copied().collect::<Vec<_>>(), &shape, &|x: i64| Json::from(x)),
            Value::Bool(a) => build(&a.iter().copied().collect::<Vec<_>>(), &shape, &|x: bool| Json::Bool(x)),
        }
    }
}

#[derive(Clone, Copy)]
enum Scalar {
    F(f64),
    I(i64),
    B(bool),
}

fn collect_json(json: &Json, depth: usize, shape: &mut Vec<usize>, flat: &mut Vec<Scalar>) -> Result<()> {
    match json {
        Json::Array(items) => {
            if depth == shape.len() {
                if flat.is_empty() {
                    shape.push(items.len());
                } else {
                    return Err(Error::value_error("Can't convert non-rectangular Python sequence to Tensor."));
                }
            } else if shape.get(depth) != Some(&items.len()) {
                return Err(Error::value_error("Can't convert non-rectangular Python sequence to Tensor."));
            }
            for it in items {
                collect_json(it, depth + 1, shape, flat)?;
            }
            if items.is_empty() && depth + 1 < shape.len() {
                return Err(Error::value_error("Can't convert non-rectangular Python sequence to Tensor."));
            }
            Ok(())
        }
        Json::Number(n) => {
            if depth != shape.len() {
                return Err(Error::value_error("Can't convert non-rectangular Python sequence to Tensor."));
            }
            if let Some(i) = n.as_i64() {
                flat.push(Scalar::I(i));
            } else {
                flat.push(Scalar::F(n.as_f64().unwrap_or(f64::NAN)));
            }
            Ok(())
        }
        Json::Bool(b) => {
            if depth != shape.len() {
                return Err(Error::value_error("Can't convert non-rectangular Python sequence to Tensor."));
            }
            flat.push(Scalar::B(*b));
            Ok(())
        }
        Json::String(s) => {
            let x = match s.as_str() {
                "nan" | "NaN" => f64::NAN,
                "inf" | "Infinity" => f64::INFINITY,
                "-inf" | "-Infinity" => f64::NEG_INFINITY,
                _ => return Err(Error::value_error(format!("could not convert string to float: '{s}'"))),
            };
            flat.push(Scalar::F(x));
            Ok(())
        }
        Json::Null | Json::Object(_) => Err(Error::value_error(format!(
            "Attempt to convert a value ({json}) with an unsupported type to a Tensor."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trip_and_inference() {
        let v = Value::from_json(&json!([[0.7, 0.9]]), None).unwrap();
        assert_eq!(v.dtype(), DType::Float32);
        assert_eq!(v.shape(), &[1, 2]);
        assert_eq!(v.to_json(), json!([[0.7, 0.9]]));
        let i = Value::from_json(&json!([4, 5]), None).unwrap();
        assert_eq!(i.dtype(), DType::Int32);
        let f = Value::from_json(&json!([4, 5]), Some(DType::Float32)).unwrap();
        assert_eq!(f.dtype(), DType::Float32);
        let s = Value::from_json(&json!(3.5), None).unwrap();
        assert_eq!(s.shape(), &[] as &[usize]);
    }

    #[test]
    fn ragged_is_refused() {
        assert!(Value::from_json(&json!([[1, 2], [3]]), None).is_err());
        assert!(Value::from_json(&json!([[1, 2], 3]), None).is_err());
        assert!(Value::from_json(&json!({"a": 1}), None).is_err());
        assert!(Value::from_json(&json!([1.5]), Some(DType::Int32)).is_err());
    }

    #[test]
    fn cast_truncates() {
        let v = Value::from_json(&json!([1.7, -1.7, 0.0]), None).unwrap();
        assert_eq!(v.cast(DType::Int32), Value::from_json(&json!([1, -1, 0]), None).unwrap());
        assert_eq!(v.cast(DType::Bool), Value::from_json(&json!([true, true, false]), None).unwrap());
    }
}
