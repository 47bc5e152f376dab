//! Kernels: pure functions on values, one file per family, each op's forward kernel and its
//! derivative side by side where practical:
//! - `broadcast`: numpy broadcasting and the elementwise loop drivers;
//! - `elementwise`: the unary and binary ops (formulas of the op table in
//!   `graph::elementwise`, generic and TF-exact float32) and the unary gradient kernels;
//! - `matmul`: `MatMul`; `reduce`: the reductions, `SumToShape` and `ReduceGrad`;
//! - `nn`: clip, softmax and the cross-entropy losses with their gradients;
//! - `cast`: casts, fills, `ExpandDims`, `OnesLike`/`ZerosLike`;
//! - `apply`: the optimizers' apply kernels; `random`: TF's Philox random ops.
//!
//! This file holds what they share: the conventions below, TF's kernel error messages, the
//! element traits and the output buffers.
//!
//! Conventions shared by every kernel:
//! - The result goes into a caller-provided `out: &mut Value`. When `out` already holds an array
//!   of the right dtype and shape (in standard layout) its buffer is reused, so a steady-state
//!   training loop allocates nothing; otherwise `out` is replaced by a fresh array.
//! - Kernels never panic on user data: mismatched shapes, bad axes, dtypes an op has no kernel
//!   for, integer division by zero, huge shapes and empty tensors all give an `Err` worded as TF
//!   words it. Integer arithmetic wraps on overflow as TF's does.
//! - Float maths is done in the element type (f32 in f32) with the same formulas as TF's CPU
//!   kernels, so elementwise results are bit-exact with TF.
//! - Inputs are read as contiguous slices (copied to standard layout first only if they are not
//!   already); broadcasting coalesces dimensions and runs tight inner loops without allocating.
//! - Elementwise ops over about 32k elements and large matmuls are split across the optional
//!   intra-op `rayon::ThreadPool`.

pub mod apply;
pub mod broadcast;
pub mod cast;
pub mod elementwise;
pub mod matmul;
pub mod nn;
pub mod random;
pub mod reduce;
#[cfg(test)]
mod tests;

/// The op enums, kept here for code outside the engine written against their old home; their
/// table is `graph::elementwise`.
use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::value::Value;
use ndarray::{ArrayD, CowArray, IxDyn};
use rayon::ThreadPool;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// The highest rank the broadcasting and reduction kernels handle (TF itself stops at 5 dims for
/// broadcasting after coalescing).
pub const MAX_RANK: usize = crate::engine::memory::MAX_RANK;

/// Elementwise ops at or above this many output elements are split across the pool.
const PAR_MIN_ELEMS: usize = 32 * 1024;

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/// A shape as TF's `TensorShape::DebugString` prints it: `[2,3]`, `[]`.
pub fn tf_shape(s: &[usize]) -> String {
    let mut t = String::with_capacity(2 + 4 * s.len());
    t.push('[');
    for (i, d) in s.iter().enumerate() {
        if i > 0 {
            t.push(',');
        }
        t.push_str(&d.to_string());
    }
    t.push(']');
    t
}

/// A shape as Python's `str(TensorShape)` prints it: `(2, 3)`, `(2,)`, `()`.
pub fn py_shape(s: &[usize]) -> String {
    match s {
        [d] => format!("({d},)"),
        _ => format!("({})", s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

/// TF's `DataType` enum name: `DT_FLOAT`, `DT_INT32`, ...
fn dt_enum(d: DType) -> &'static str {
    match d {
        DType::Float32 => "DT_FLOAT",
        DType::Float64 => "DT_DOUBLE",
        DType::Int32 => "DT_INT32",
        DType::Int64 => "DT_INT64",
        DType::Bool => "DT_BOOL",
    }
}

fn no_kernel(op: &str, d: DType) -> Error {
    Error::invalid_argument(format!(
        "No OpKernel was registered to support Op '{op}' with these attrs: [T={}]",
        dt_enum(d)
    ))
}

fn type_mismatch(op: &str, arg: &str, got: DType, first: &str, want: DType) -> Error {
    Error::invalid_argument(format!(
        "Input '{arg}' of '{op}' Op has type {got} that does not match type {want} of argument '{first}'."
    ))
}

fn incompatible(a: &[usize], b: &[usize]) -> Error {
    Error::invalid_argument(format!("Incompatible shapes: {} vs. {}", tf_shape(a), tf_shape(b)))
}

fn rank_too_big(rank: usize) -> Error {
    Error::unimplemented(format!("Tensors of rank {rank} are not supported (the maximum is {MAX_RANK})"))
}

fn oom(shape: &[usize], d: DType) -> Error {
    crate::engine::memory::oom(shape, d)
}

fn int_div_by_zero() -> Error {
    Error::invalid_argument("Integer division by zero")
}

fn check_rank(shape: &[usize]) -> Result<()> {
    if shape.len() > MAX_RANK { Err(rank_too_big(shape.len())) } else { Ok(()) }
}

// ---------------------------------------------------------------------------------------------
// Element traits
// ---------------------------------------------------------------------------------------------

/// An element type stored in a [`Value`] variant.
pub trait Elem: Copy + Send + Sync + PartialEq + 'static {
    const DTYPE: DType;
    const ZERO: Self;
    fn get_mut(v: &mut Value) -> Option<&mut ArrayD<Self>>;
    fn wrap(a: ArrayD<Self>) -> Value;
    fn from_f64(x: f64) -> Self;
    fn to_f32(self) -> f32;
    fn to_f64(self) -> f64;
    fn to_i32(self) -> i32;
    fn to_i64(self) -> i64;
    fn to_bool(self) -> bool;
}

macro_rules! impl_elem_num {
    ($t:ty, $var:ident, $dt:expr) => {
        #[allow(clippy::unnecessary_cast)]
        impl Elem for $t {
            const DTYPE: DType = $dt;
            const ZERO: Self = 0 as $t;
            fn get_mut(v: &mut Value) -> Option<&mut ArrayD<Self>> {
                match v {
                    Value::$var(a) => Some(a),
                    _ => None,
                }
            }
            fn wrap(a: ArrayD<Self>) -> Value {
                Value::$var(a)
            }
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            fn to_f32(self) -> f32 {
                self as f32
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn to_i32(self) -> i32 {
                self as i32
            }
            fn to_i64(self) -> i64 {
                self as i64
            }
            fn to_bool(self) -> bool {
                self != 0 as $t
            }
        }
    };
}

impl_elem_num!(f32, F32, DType::Float32);
impl_elem_num!(f64, F64, DType::Float64);
impl_elem_num!(i32, I32, DType::Int32);
impl_elem_num!(i64, I64, DType::Int64);

impl Elem for bool {
    const DTYPE: DType = DType::Bool;
    const ZERO: Self = false;
    fn get_mut(v: &mut Value) -> Option<&mut ArrayD<Self>> {
        match v {
            Value::Bool(a) => Some(a),
            _ => None,
        }
    }
    fn wrap(a: ArrayD<Self>) -> Value {
        Value::Bool(a)
    }
    fn from_f64(x: f64) -> Self {
        x != 0.0
    }
    fn to_f32(self) -> f32 {
        if self { 1.0 } else { 0.0 }
    }
    fn to_f64(self) -> f64 {
        if self { 1.0 } else { 0.0 }
    }
    fn to_i32(self) -> i32 {
        i32::from(self)
    }
    fn to_i64(self) -> i64 {
        i64::from(self)
    }
    fn to_bool(self) -> bool {
        self
    }
}

/// A numeric element type (everything but bool).
pub trait Num: Elem + PartialOrd {
    const ONE: Self;
    /// The identity of max: -inf for floats, the minimum for ints.
    const LOWEST: Self;
    /// The identity of min: inf for floats, the maximum for ints.
    const HIGHEST: Self;
    fn wadd(self, o: Self) -> Self;
    fn wsub(self, o: Self) -> Self;
    fn wmul(self, o: Self) -> Self;
    fn is_nan(self) -> bool;
    /// Sums a slice; the accumulation order of TF-visible sums lives here.
    fn sum_slice(s: &[Self]) -> Self;
    /// `self / count` for a mean; `None` when the division is impossible (ints, count 0).
    fn mean_div(self, count: usize) -> Option<Self>;
}

/// A float element type.
pub trait Float:
    Num + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn ln_1p(self) -> Self;
    fn tanh(self) -> Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn powf(self, e: Self) -> Self;
    fn floor(self) -> Self;
}

/// An integer element type; arithmetic wraps on overflow.
pub trait Int: Num {
    fn wneg(self) -> Self;
    fn wabs(self) -> Self;
    fn wdiv(self, o: Self) -> Self;
    fn sign(self) -> Self;
    fn ipow(self, e: Self) -> Self;
}

macro_rules! impl_float {
    ($t:ty, $sum:ident) => {
        impl Num for $t {
            const ONE: Self = 1.0;
            const LOWEST: Self = <$t>::NEG_INFINITY;
            const HIGHEST: Self = <$t>::INFINITY;
            #[inline(always)]
            fn wadd(self, o: Self) -> Self {
                self + o
            }
            #[inline(always)]
            fn wsub(self, o: Self) -> Self {
                self - o
            }
            #[inline(always)]
            fn wmul(self, o: Self) -> Self {
                self * o
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            fn sum_slice(s: &[Self]) -> Self {
                $sum(s)
            }
            fn mean_div(self, count: usize) -> Option<Self> {
                Some(self / count as $t)
            }
        }
        impl Float for $t {
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn powf(self, e: Self) -> Self {
                <$t>::powf(self, e)
            }
            #[inline(always)]
            fn floor(self) -> Self {
                <$t>::floor(self)
            }
        }
    };
}

impl_float!(f32, sum_f32);
impl_float!(f64, sum_f64);

macro_rules! impl_int {
    ($t:ty) => {
        impl Num for $t {
            const ONE: Self = 1;
            const LOWEST: Self = <$t>::MIN;
            const HIGHEST: Self = <$t>::MAX;
            #[inline(always)]
            fn wadd(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            #[inline(always)]
            fn wsub(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
            #[inline(always)]
            fn wmul(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                false
            }
            fn sum_slice(s: &[Self]) -> Self {
                s.iter().fold(0, |a, &x| a.wrapping_add(x))
            }
            fn mean_div(self, count: usize) -> Option<Self> {
                let c = <$t>::try_from(count).ok().filter(|&c| c != 0)?;
                Some(self.wrapping_div(c))
            }
        }
        impl Int for $t {
            #[inline(always)]
            fn wneg(self) -> Self {
                self.wrapping_neg()
            }
            #[inline(always)]
            fn wabs(self) -> Self {
                self.wrapping_abs()
            }
            #[inline(always)]
            fn wdiv(self, o: Self) -> Self {
                // Callers check for zero divisors first; keep this total anyway.
                if o == 0 { 0 } else { self.wrapping_div(o) }
            }
            #[inline(always)]
            fn sign(self) -> Self {
                self.signum()
            }
            fn ipow(self, e: Self) -> Self {
                let (mut base, mut e, mut r) = (self, e, 1 as $t);
                while e > 0 {
                    if e & 1 == 1 {
                        r = r.wrapping_mul(base);
                    }
                    e >>= 1;
                    base = base.wrapping_mul(base);
                }
                r
            }
        }
    };
}

impl_int!(i32);
impl_int!(i64);

/// Sums float32s. All float32 sums the kernels do (`reduce_sum`/`reduce_mean` rows, softmax
/// normalisers) go through here, so the accumulation order can be changed in one place to match
/// TF's (Eigen's) vectorised order. For now: plain sequential accumulation in f32.
pub fn sum_f32(xs: &[f32]) -> f32 {
    // TF's Eigen `SumReducer` order (packets of 8, four accumulators, a fixed horizontal sum).
    crate::engine::math::eigen::sum_f32(xs)
}

/// Sums float64s; the float64 counterpart of [`sum_f32`].
pub fn sum_f64(xs: &[f64]) -> f64 {
    let mut acc = 0.0f64;
    for &x in xs {
        acc += x;
    }
    acc
}

/// NaN-propagating max used by reductions and softmax.
#[inline(always)]
fn max_nan<T: Num>(acc: T, t: T) -> T {
    if t > acc || t.is_nan() { t } else { acc }
}

/// NaN-propagating min used by reductions.
#[inline(always)]
fn min_nan<T: Num>(acc: T, t: T) -> T {
    if t < acc || t.is_nan() { t } else { acc }
}

// ---------------------------------------------------------------------------------------------
// Buffers
// ---------------------------------------------------------------------------------------------

/// A small stack-held shape.
#[derive(Clone, Copy)]
pub(crate) struct Dims {
    len: usize,
    d: [usize; MAX_RANK],
}

impl Dims {
    fn new() -> Dims {
        Dims { len: 0, d: [0; MAX_RANK] }
    }
    /// Callers keep `len < MAX_RANK` (they check ranks first).
    fn push(&mut self, x: usize) {
        if let Some(slot) = self.d.get_mut(self.len) {
            *slot = x;
            self.len += 1;
        }
    }
    fn as_slice(&self) -> &[usize] {
        &self.d[..self.len]
    }
}

/// A fresh zeroed array, or TF's OOM error when the shape is too large for the session's memory
/// budget (see `crate::engine::memory`).
fn alloc<T: Elem>(shape: &[usize]) -> Result<ArrayD<T>> {
    let v = crate::engine::memory::filled_vec(shape, T::DTYPE, T::ZERO)?;
    ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|_| oom(shape, T::DTYPE))
}

/// The output slice for a result of `shape`: `out`'s own buffer when it already has this dtype
/// and shape in standard layout, else a fresh zeroed array put into `out`.
fn out_buf<'a, T: Elem>(out: &'a mut Value, shape: &[usize]) -> Result<&'a mut [T]> {
    // Buffers made here are always in standard layout, so a matching shape is enough to reuse
    // one; `as_slice_mut` below still checks, and a foreign layout is replaced.
    let reuse = T::get_mut(out).is_some_and(|a| a.shape() == shape);
    if !reuse || T::get_mut(out).is_some_and(|a| a.as_slice_mut().is_none()) {
        *out = T::wrap(alloc::<T>(shape)?);
    }
    T::get_mut(out)
        .and_then(|a| a.as_slice_mut())
        .ok_or_else(|| Error::internal("kernel output buffer is not contiguous"))
}

/// The row-major slice of an array made standard-layout with `as_standard_layout` (which copies
/// only if the array was not already).
fn slice_of<'a, T>(c: &'a CowArray<'_, T, IxDyn>) -> Result<&'a [T]> {
    c.as_slice().ok_or_else(|| Error::internal("array is not contiguous after as_standard_layout"))
}

/// The pool and chunk length to split `n` elementwise outputs with, if worth it.
fn par_plan(pool: Option<&ThreadPool>, n: usize) -> Option<(&ThreadPool, usize)> {
    let p = pool?;
    let t = p.current_num_threads();
    if t < 2 || n < PAR_MIN_ELEMS {
        return None;
    }
    Some((p, n.div_ceil(t * 4).max(PAR_MIN_ELEMS / 4)))
}

// ---------------------------------------------------------------------------------------------
// Float helpers of the gradient and apply kernels
// ---------------------------------------------------------------------------------------------

/// The float element types the gradient kernels support.
pub trait GradFloat:
    Copy
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// From f64 (rounded).
    fn from_f64(x: f64) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Logistic sigmoid, as the forward kernel computes it.
    fn sigmoid(self) -> Self;
}

impl GradFloat for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    fn from_f64(x: f64) -> f32 {
        x as f32
    }
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
    fn sigmoid(self) -> f32 {
        1.0 / (1.0 + (-self).exp())
    }
}

impl GradFloat for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    fn from_f64(x: f64) -> f64 {
        x
    }
    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }
    fn sigmoid(self) -> f64 {
        1.0 / (1.0 + (-self).exp())
    }
}

/// Access to the float array inside a value.
pub trait FloatValue: GradFloat {
    fn get(v: &Value) -> Option<&ArrayD<Self>>;
    fn get_mut(v: &mut Value) -> Option<&mut ArrayD<Self>>;
    fn wrap(a: ArrayD<Self>) -> Value;
}

impl FloatValue for f32 {
    fn get(v: &Value) -> Option<&ArrayD<f32>> {
        if let Value::F32(a) = v { Some(a) } else { None }
    }
    fn get_mut(v: &mut Value) -> Option<&mut ArrayD<f32>> {
        if let Value::F32(a) = v { Some(a) } else { None }
    }
    fn wrap(a: ArrayD<f32>) -> Value {
        Value::F32(a)
    }
}

impl FloatValue for f64 {
    fn get(v: &Value) -> Option<&ArrayD<f64>> {
        if let Value::F64(a) = v { Some(a) } else { None }
    }
    fn get_mut(v: &mut Value) -> Option<&mut ArrayD<f64>> {
        if let Value::F64(a) = v { Some(a) } else { None }
    }
    fn wrap(a: ArrayD<f64>) -> Value {
        Value::F64(a)
    }
}

fn slice<'a, T: FloatValue>(v: &'a Value, what: &str) -> Result<&'a [T]> {
    T::get(v).and_then(|a| a.as_slice()).ok_or_else(|| {
        Error::invalid_argument(format!("{what}: expected a contiguous float tensor, got {}", v.dtype()))
    })
}

/// The output buffer of `shape`, reused when it already fits.
fn out_slice<'a, T: FloatValue>(out: &'a mut Value, shape: &[usize]) -> Result<&'a mut [T]> {
    let fits = T::get(out).is_some_and(|a| a.shape() == shape && a.is_standard_layout());
    if !fits {
        let n: usize = shape.iter().product();
        *out = T::wrap(
            ArrayD::from_shape_vec(IxDyn(shape), vec![T::ZERO; n]).map_err(|e| Error::internal(e.to_string()))?,
        );
    }
    T::get_mut(out).and_then(|a| a.as_slice_mut()).ok_or_else(|| Error::internal("output buffer is not contiguous"))
}

fn same_len(what: &str, a: &Value, b: &Value) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(Error::invalid_argument(format!(
            "{what}: shapes must be equal, got {} and {}",
            crate::engine::kernels::tf_shape(a.shape()),
            crate::engine::kernels::tf_shape(b.shape())
        )));
    }
    Ok(())
}

macro_rules! dispatch_float {
    ($v:expr, $what:expr, $f:ident ( $($args:expr),* )) => {
        match $v.dtype() {
            DType::Float32 => $f::<f32>($($args),*),
            DType::Float64 => $f::<f64>($($args),*),
            d => Err(Error::invalid_argument(format!("{}: no kernel for dtype {}", $what, d))),
        }
    };
}
pub(crate) use dispatch_float;
