//! Forward compute kernels of the graph engine: elementwise unary and binary ops with numpy
//! broadcasting, matrix multiplication, reductions, softmax, the cross-entropy losses, casts and
//! fills.
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

pub mod grad;
pub mod random;

use crate::engine::dtype::DType;
use crate::engine::error::{Error, ErrorClass, Result};
use crate::engine::value::Value;
use ndarray::{ArrayD, CowArray, IxDyn};
use rayon::ThreadPool;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::{Add, Div, Mul, Neg, Sub};

/// The highest rank the broadcasting and reduction kernels handle (TF itself stops at 5 dims for
/// broadcasting after coalescing).
pub const MAX_RANK: usize = 32;

/// Elementwise ops at or above this many output elements are split across the pool.
const PAR_MIN_ELEMS: usize = 32 * 1024;

/// Matmuls with at least this many multiply-adds are split across the pool.
const PAR_MIN_MULADDS: usize = 1 << 18;
/// Small float32 matmuls (`k` at most 256 and at most this many multiply-adds) use TF's oneDNN
/// summation orders (`eigen::matmul_f32`), so training gives TF's numbers; bigger ones use
/// the fast blocked sgemm.
pub const TF_ORDER_MATMUL_MULADDS: usize = 1 << 18;

/// True when an `m x k x n` float32 matmul uses TF's summation order.
pub fn uses_eigen_matmul(m: usize, k: usize, n: usize) -> bool {
    k > 0 && k <= 256 && m.saturating_mul(k).saturating_mul(n) <= TF_ORDER_MATMUL_MULADDS
}

/// At or below this many multiply-adds a matmul runs the plain in-order loop.
pub const SMALL_MATMUL_MULADDS: usize = 1 << 12;

// ---------------------------------------------------------------------------------------------
// Op enums
// ---------------------------------------------------------------------------------------------

/// Elementwise binary ops, with numpy broadcasting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinaryOp {
    /// `x + y` (`tf.add`).
    Add,
    /// `x - y` (`tf.subtract`).
    Sub,
    /// `x * y` (`tf.multiply`).
    Mul,
    /// `x / y`: real division for floats, truncating division for ints (TF's `Div`).
    Div,
    /// `max(x, y)` (`tf.maximum`).
    Maximum,
    /// `min(x, y)` (`tf.minimum`).
    Minimum,
    /// `x < y`, giving bool (`tf.less`).
    Less,
    /// `x > y`, giving bool (`tf.greater`).
    Greater,
    /// `x ** y` (`tf.pow`).
    Pow,
}

impl BinaryOp {
    /// Every binary op.
    pub const ALL: [BinaryOp; 9] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Maximum,
        BinaryOp::Minimum,
        BinaryOp::Less,
        BinaryOp::Greater,
        BinaryOp::Pow,
    ];

    /// TF's op type name (`Add`, `Maximum`, ...).
    pub fn tf_name(self) -> &'static str {
        match self {
            BinaryOp::Add => "Add",
            BinaryOp::Sub => "Sub",
            BinaryOp::Mul => "Mul",
            BinaryOp::Div => "Div",
            BinaryOp::Maximum => "Maximum",
            BinaryOp::Minimum => "Minimum",
            BinaryOp::Less => "Less",
            BinaryOp::Greater => "Greater",
            BinaryOp::Pow => "Pow",
        }
    }

    /// True for the comparisons, whose output is bool.
    pub fn is_comparison(self) -> bool {
        matches!(self, BinaryOp::Less | BinaryOp::Greater)
    }
}

/// Elementwise unary ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnaryOp {
    /// `-x` (`tf.negative`).
    Neg,
    /// `1 / (1 + exp(-x))` (`tf.sigmoid`); floats only.
    Sigmoid,
    /// `tanh(x)` (`tf.tanh`); floats only.
    Tanh,
    /// `max(x, 0)` (`tf.nn.relu`).
    Relu,
    /// Natural logarithm (`tf.log`); floats only.
    Log,
    /// `e^x` (`tf.exp`); floats only.
    Exp,
    /// `x * x` (`tf.square`).
    Square,
    /// Square root (`tf.sqrt`); floats only.
    Sqrt,
    /// `|x|` (`tf.abs`).
    Abs,
    /// -1, 0 or 1 (`tf.sign`); NaN stays NaN.
    Sign,
    /// `1 / x` (`tf.reciprocal`); floats only.
    Reciprocal,
    /// A copy (`tf.identity`); any dtype.
    Identity,
}

impl UnaryOp {
    /// Every unary op.
    pub const ALL: [UnaryOp; 12] = [
        UnaryOp::Neg,
        UnaryOp::Sigmoid,
        UnaryOp::Tanh,
        UnaryOp::Relu,
        UnaryOp::Log,
        UnaryOp::Exp,
        UnaryOp::Square,
        UnaryOp::Sqrt,
        UnaryOp::Abs,
        UnaryOp::Sign,
        UnaryOp::Reciprocal,
        UnaryOp::Identity,
    ];

    /// TF's op type name (`Neg`, `Sigmoid`, ...).
    pub fn tf_name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "Neg",
            UnaryOp::Sigmoid => "Sigmoid",
            UnaryOp::Tanh => "Tanh",
            UnaryOp::Relu => "Relu",
            UnaryOp::Log => "Log",
            UnaryOp::Exp => "Exp",
            UnaryOp::Square => "Square",
            UnaryOp::Sqrt => "Sqrt",
            UnaryOp::Abs => "Abs",
            UnaryOp::Sign => "Sign",
            UnaryOp::Reciprocal => "Reciprocal",
            UnaryOp::Identity => "Identity",
        }
    }

    /// True for the ops that only have float kernels.
    pub fn is_float_only(self) -> bool {
        matches!(
            self,
            UnaryOp::Sigmoid | UnaryOp::Tanh | UnaryOp::Log | UnaryOp::Exp | UnaryOp::Sqrt | UnaryOp::Reciprocal
        )
    }
}

/// Reductions over axes (`tf.reduce_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReduceOp {
    /// Sum (`tf.reduce_sum`).
    Sum,
    /// Mean (`tf.reduce_mean`); integer means divide with truncation as TF's do.
    Mean,
    /// Maximum (`tf.reduce_max`); NaN propagates; empty gives the lowest value (-inf for floats).
    Max,
    /// Minimum (`tf.reduce_min`); NaN propagates; empty gives the highest value (inf for floats).
    Min,
    /// Product (`tf.reduce_prod`).
    Prod,
}

impl ReduceOp {
    /// Every reduction.
    pub const ALL: [ReduceOp; 5] = [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min, ReduceOp::Prod];

    /// TF's op type name (`Sum`, `Mean`, ...).
    pub fn tf_name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "Sum",
            ReduceOp::Mean => "Mean",
            ReduceOp::Max => "Max",
            ReduceOp::Min => "Min",
            ReduceOp::Prod => "Prod",
        }
    }
}

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
    Error::new(
        ErrorClass::ResourceExhausted,
        format!(
            "OOM when allocating tensor with shape{} and type {} on /job:localhost/replica:0/task:0/device:CPU:0 by allocator cpu",
            tf_shape(shape),
            d.runtime_name()
        ),
    )
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
trait Elem: Copy + Send + Sync + PartialEq + 'static {
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
trait Num: Elem + PartialOrd {
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
trait Float:
    Num + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn ln_1p(self) -> Self;
    fn tanh(self) -> Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn powf(self, e: Self) -> Self;
}

/// An integer element type; arithmetic wraps on overflow.
trait Int: Num {
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
struct Dims {
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

/// A fresh zeroed array, or an error when the shape is too large to allocate.
fn alloc<T: Elem>(shape: &[usize]) -> Result<ArrayD<T>> {
    let elem = std::mem::size_of::<T>().max(1);
    let n = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize / elem)
        .ok_or_else(|| oom(shape, T::DTYPE))?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| oom(shape, T::DTYPE))?;
    v.resize(n, T::ZERO);
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
// Broadcasting
// ---------------------------------------------------------------------------------------------

/// The numpy broadcast of two shapes, or `None` when they are incompatible.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let (pa, pb) = (r - a.len(), r - b.len());
    (0..r)
        .map(|i| {
            let da = if i < pa { 1 } else { a[i - pa] };
            let db = if i < pb { 1 } else { b[i - pb] };
            if da == db || db == 1 {
                Some(da)
            } else if da == 1 {
                Some(db)
            } else {
                None
            }
        })
        .collect()
}

/// A coalesced broadcasting plan: output dims merged where both operands behave alike, with
/// each operand's element stride per dim (0 where it is broadcast). The last dim's strides are
/// 0 or 1.
#[derive(Clone, Copy)]
struct Bcast {
    rank: usize,
    size: [usize; MAX_RANK],
    sa: [usize; MAX_RANK],
    sb: [usize; MAX_RANK],
}

/// Plans broadcasting `a` against `b`: the output shape and the coalesced plan.
fn plan_broadcast(a: &[usize], b: &[usize]) -> Result<(Dims, Bcast)> {
    check_rank(a)?;
    check_rank(b)?;
    let r = a.len().max(b.len());
    let (pa, pb) = (r - a.len(), r - b.len());
    let mut out = Dims::new();
    let mut bc = Bcast { rank: 0, size: [0; MAX_RANK], sa: [0; MAX_RANK], sb: [0; MAX_RANK] };
    let mut full_a = [false; MAX_RANK];
    let mut full_b = [false; MAX_RANK];
    for i in 0..r {
        let da = if i < pa { 1 } else { a[i - pa] };
        let db = if i < pb { 1 } else { b[i - pb] };
        let d = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(incompatible(a, b));
        };
        out.push(d);
        if d == 1 {
            continue;
        }
        let (fa, fb) = (da == d, db == d);
        if bc.rank > 0 && full_a[bc.rank - 1] == fa && full_b[bc.rank - 1] == fb {
            bc.size[bc.rank - 1] *= d;
        } else {
            bc.size[bc.rank] = d;
            full_a[bc.rank] = fa;
            full_b[bc.rank] = fb;
            bc.rank += 1;
        }
    }
    let (mut acc_a, mut acc_b) = (1usize, 1usize);
    for k in (0..bc.rank).rev() {
        if full_a[k] {
            bc.sa[k] = acc_a;
            acc_a = acc_a.saturating_mul(bc.size[k]);
        }
        if full_b[k] {
            bc.sb[k] = acc_b;
            acc_b = acc_b.saturating_mul(bc.size[k]);
        }
    }
    Ok((out, bc))
}

/// Computes output elements `start .. start + out.len()` of a broadcast binary op.
fn bcast_run<T: Copy, U: Copy>(
    bc: &Bcast,
    f: impl Fn(T, T) -> U + Copy,
    a: &[T],
    b: &[T],
    out: &mut [U],
    start: usize,
) {
    if out.is_empty() {
        return;
    }
    if bc.rank == 0 {
        if let (Some(&x), Some(&y)) = (a.first(), b.first()) {
            out.fill(f(x, y));
        }
        return;
    }
    let last = bc.rank - 1;
    let inner = bc.size[last];
    let (ia, ib) = (bc.sa[last] != 0, bc.sb[last] != 0);
    // Multi-index of `start` over the outer dims, and the operands' offsets of that row.
    let mut idx = [0usize; MAX_RANK];
    let mut j0 = start % inner;
    let mut rem = start / inner;
    let (mut oa, mut ob) = (0usize, 0usize);
    for k in (0..last).rev() {
        idx[k] = rem % bc.size[k];
        rem /= bc.size[k];
        oa += idx[k] * bc.sa[k];
        ob += idx[k] * bc.sb[k];
    }
    let mut pos = 0;
    loop {
        let n = (inner - j0).min(out.len() - pos);
        let o = &mut out[pos..pos + n];
        match (ia, ib) {
            (true, true) => {
                let (x, y) = (&a[oa + j0..oa + j0 + n], &b[ob + j0..ob + j0 + n]);
                for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
                    *o = f(x, y);
                }
            }
            (true, false) => {
                let y = b[ob];
                for (o, &x) in o.iter_mut().zip(&a[oa + j0..oa + j0 + n]) {
                    *o = f(x, y);
                }
            }
            (false, true) => {
                let x = a[oa];
                for (o, &y) in o.iter_mut().zip(&b[ob + j0..ob + j0 + n]) {
                    *o = f(x, y);
                }
            }
            (false, false) => o.fill(f(a[oa], b[ob])),
        }
        pos += n;
        if pos >= out.len() {
            break;
        }
        j0 = 0;
        let mut k = last;
        while k > 0 {
            k -= 1;
            idx[k] += 1;
            oa += bc.sa[k];
            ob += bc.sb[k];
            if idx[k] < bc.size[k] {
                break;
            }
            oa -= bc.sa[k] * bc.size[k];
            ob -= bc.sb[k] * bc.size[k];
            idx[k] = 0;
        }
    }
}

/// A broadcasting elementwise binary op `f` into `out`.
fn bin<T: Elem, U: Elem>(
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    out: &mut Value,
    pool: Option<&ThreadPool>,
    f: impl Fn(T, T) -> U + Copy + Send + Sync,
) -> Result<()> {
    // Fast paths for the shapes small training graphs use all the time: equal shapes, and a
    // scalar on either side. They skip the broadcast planner (and its bookkeeping) entirely.
    let small = a.len().max(b.len()) < PAR_MIN_ELEMS;
    if small
        && a.ndim() <= MAX_RANK
        && b.ndim() <= MAX_RANK
        && a.is_standard_layout()
        && b.is_standard_layout()
        && let (Some(xs), Some(ys)) = (a.as_slice(), b.as_slice())
    {
        if a.shape() == b.shape() {
            let o = out_buf::<U>(out, a.shape())?;
            for ((o, &x), &y) in o.iter_mut().zip(xs).zip(ys) {
                *o = f(x, y);
            }
            return Ok(());
        }
        if b.ndim() == 0 || (b.len() == 1 && b.ndim() <= a.ndim()) {
            let y = ys[0];
            let o = out_buf::<U>(out, a.shape())?;
            for (o, &x) in o.iter_mut().zip(xs) {
                *o = f(x, y);
            }
            return Ok(());
        }
        if a.ndim() == 0 || (a.len() == 1 && a.ndim() <= b.ndim()) {
            let x = xs[0];
            let o = out_buf::<U>(out, b.shape())?;
            for (o, &y) in o.iter_mut().zip(ys) {
                *o = f(x, y);
            }
            return Ok(());
        }
    }
    let (shape, bc) = plan_broadcast(a.shape(), b.shape())?;
    let o = out_buf::<U>(out, shape.as_slice())?;
    if o.is_empty() {
        return Ok(());
    }
    let (ac, bcw) = (a.as_standard_layout(), b.as_standard_layout());
    let (xs, ys) = (slice_of(&ac)?, slice_of(&bcw)?);
    match par_plan(pool, o.len()) {
        Some((p, chunk)) => {
            p.install(|| o.par_chunks_mut(chunk).enumerate().for_each(|(i, c)| bcast_run(&bc, f, xs, ys, c, i * chunk)))
        }
        None => bcast_run(&bc, f, xs, ys, o, 0),
    }
    Ok(())
}

/// An elementwise unary map `f` into `out`.
fn map<T: Elem, U: Elem>(
    a: &ArrayD<T>,
    out: &mut Value,
    pool: Option<&ThreadPool>,
    f: impl Fn(T) -> U + Copy + Send + Sync,
) -> Result<()> {
    let o = out_buf::<U>(out, a.shape())?;
    if o.is_empty() {
        return Ok(());
    }
    let run = move |o: &mut [U], x: &[T]| {
        for (o, &x) in o.iter_mut().zip(x) {
            *o = f(x);
        }
    };
    let ac = a.as_standard_layout();
    let xs = slice_of(&ac)?;
    match par_plan(pool, o.len()) {
        Some((p, chunk)) => {
            p.install(|| o.par_chunks_mut(chunk).zip(xs.par_chunks(chunk)).for_each(|(o, x)| run(o, x)))
        }
        None => run(o, xs),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Binary and unary ops
// ---------------------------------------------------------------------------------------------

/// Applies an elementwise binary op with numpy broadcasting, writing into `out` (reused when its
/// dtype and shape already match).
///
/// Both inputs must have the same dtype. Comparisons give bool. Integer arithmetic wraps;
/// integer `Div` truncates and fails with "Integer division by zero" on a zero divisor; integer
/// `Pow` refuses negative exponents. Incompatible shapes give TF's
/// `Incompatible shapes: [2,3] vs. [3,2]`.
pub fn binary(op: BinaryOp, a: &Value, b: &Value, out: &mut Value, pool: Option<&rayon::ThreadPool>) -> Result<()> {
    if let (Value::F32(x), Value::F32(y)) = (a, b)
        && matches!(op, BinaryOp::Maximum | BinaryOp::Minimum)
        && x.shape() == y.shape()
        && let (Some(xs), Some(ys)) = (x.as_slice(), y.as_slice())
    {
        // TF's packet and tail paths differ on ties of +0 and -0 and on NaNs.
        let o = out_buf::<f32>(out, x.shape())?;
        if op == BinaryOp::Maximum {
            crate::engine::math::eigen::maximum_f32(xs, ys, o);
        } else {
            crate::engine::math::eigen::minimum_f32(xs, ys, o);
        }
        return Ok(());
    }
    match (a, b) {
        (Value::F32(x), Value::F32(y)) => binary_float(op, x, y, out, pool),
        (Value::F64(x), Value::F64(y)) => binary_float(op, x, y, out, pool),
        (Value::I32(x), Value::I32(y)) => binary_int(op, x, y, out, pool),
        (Value::I64(x), Value::I64(y)) => binary_int(op, x, y, out, pool),
        (Value::Bool(_), Value::Bool(_)) => Err(no_kernel(op.tf_name(), DType::Bool)),
        _ => Err(type_mismatch(op.tf_name(), "y", b.dtype(), "x", a.dtype())),
    }
}

fn binary_float<T: Float>(
    op: BinaryOp,
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    out: &mut Value,
    pool: Option<&ThreadPool>,
) -> Result<()> {
    match op {
        BinaryOp::Add => bin(a, b, out, pool, |x: T, y: T| x + y),
        BinaryOp::Sub => bin(a, b, out, pool, |x: T, y: T| x - y),
        BinaryOp::Mul => bin(a, b, out, pool, |x: T, y: T| x * y),
        BinaryOp::Div => bin(a, b, out, pool, |x: T, y: T| x / y),
        BinaryOp::Maximum => bin(a, b, out, pool, |x: T, y: T| if x < y { y } else { x }),
        BinaryOp::Minimum => bin(a, b, out, pool, |x: T, y: T| if y < x { y } else { x }),
        BinaryOp::Less => bin(a, b, out, pool, |x: T, y: T| x < y),
        BinaryOp::Greater => bin(a, b, out, pool, |x: T, y: T| x > y),
        BinaryOp::Pow => bin(a, b, out, pool, |x: T, y: T| x.powf(y)),
    }
}

fn binary_int<T: Int>(
    op: BinaryOp,
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    out: &mut Value,
    pool: Option<&ThreadPool>,
) -> Result<()> {
    if matches!(op, BinaryOp::Div | BinaryOp::Pow) {
        // Shape errors come first, as in TF; then the data checks (only if anything is computed).
        let (shape, _) = plan_broadcast(a.shape(), b.shape())?;
        if !shape.as_slice().contains(&0) {
            if op == BinaryOp::Div && b.iter().any(|&y| y == T::ZERO) {
                return Err(int_div_by_zero());
            }
            if op == BinaryOp::Pow && b.iter().any(|&y| y < T::ZERO) {
                return Err(Error::invalid_argument("Integers to negative integer powers are not allowed"));
            }
        }
    }
    match op {
        BinaryOp::Add => bin(a, b, out, pool, |x: T, y: T| x.wadd(y)),
        BinaryOp::Sub => bin(a, b, out, pool, |x: T, y: T| x.wsub(y)),
        BinaryOp::Mul => bin(a, b, out, pool, |x: T, y: T| x.wmul(y)),
        BinaryOp::Div => bin(a, b, out, pool, |x: T, y: T| x.wdiv(y)),
        BinaryOp::Maximum => bin(a, b, out, pool, |x: T, y: T| if x < y { y } else { x }),
        BinaryOp::Minimum => bin(a, b, out, pool, |x: T, y: T| if y < x { y } else { x }),
        BinaryOp::Less => bin(a, b, out, pool, |x: T, y: T| x < y),
        BinaryOp::Greater => bin(a, b, out, pool, |x: T, y: T| x > y),
        BinaryOp::Pow => bin(a, b, out, pool, |x: T, y: T| x.ipow(y)),
    }
}

/// Applies an elementwise unary op, writing into `out` (reused when its dtype and shape already
/// match).
///
/// `Neg`, `Square`, `Abs`, `Sign`, `Relu` and `Identity` work on ints too (wrapping);
/// `Identity` also on bool. The float-only ops on other dtypes give TF's "No OpKernel was
/// registered to support Op 'Sigmoid' with these attrs: [T=DT_INT32]" (InvalidArgument).
pub fn unary(op: UnaryOp, x: &Value, out: &mut Value, pool: Option<&rayon::ThreadPool>) -> Result<()> {
    if let Value::F32(a) = x
        && let Some(f) = eigen_unary(op)
    {
        return unary_eigen_f32(f, a, out, pool);
    }
    match x {
        Value::F32(a) => unary_float(op, a, out, pool),
        Value::F64(a) => unary_float(op, a, out, pool),
        Value::I32(a) => unary_int(op, a, out, pool),
        Value::I64(a) => unary_int(op, a, out, pool),
        Value::Bool(a) if op == UnaryOp::Identity => map(a, out, pool, |v: bool| v),
        Value::Bool(_) => Err(no_kernel(op.tf_name(), DType::Bool)),
    }
}

/// A float32 slice function `(input, output)`.
pub type UnaryF32 = fn(&[f32], &mut [f32]);

/// The float32 slice functions that compute these ops as TF's Eigen kernels do (packets of 8,
/// then a scalar tail), or `None` for ops whose plain formula already matches TF.
pub fn eigen_unary(op: UnaryOp) -> Option<UnaryF32> {
    use crate::engine::math::eigen as em;
    Some(match op {
        UnaryOp::Sigmoid => em::sigmoid_f32,
        UnaryOp::Log => em::log_f32,
        UnaryOp::Exp => em::exp_f32,
        UnaryOp::Tanh => em::tanh_f32,
        UnaryOp::Reciprocal => em::reciprocal_f32,
        UnaryOp::Sqrt => em::sqrt_f32,
        _ => return None,
    })
}

/// Applies an Eigen slice function over a whole float32 tensor. Split across the pool in chunks
/// whose sizes are multiples of the packet width, so only the tensor's last `n % 8` elements take
/// the scalar path, as in TF.
fn unary_eigen_f32(f: UnaryF32, a: &ArrayD<f32>, out: &mut Value, pool: Option<&ThreadPool>) -> Result<()> {
    let o = out_buf::<f32>(out, a.shape())?;
    if o.is_empty() {
        return Ok(());
    }
    let ac = a.as_standard_layout();
    let xs = slice_of(&ac)?;
    match par_plan(pool, o.len()) {
        Some((p, chunk)) => {
            let chunk = chunk.div_ceil(8) * 8;
            p.install(|| o.par_chunks_mut(chunk).zip(xs.par_chunks(chunk)).for_each(|(o, x)| f(x, o)))
        }
        None => f(xs, o),
    }
    Ok(())
}

fn unary_float<T: Float>(op: UnaryOp, a: &ArrayD<T>, out: &mut Value, pool: Option<&ThreadPool>) -> Result<()> {
    match op {
        UnaryOp::Neg => map(a, out, pool, |x: T| -x),
        UnaryOp::Sigmoid => map(a, out, pool, |x: T| T::ONE / (T::ONE + (-x).exp())),
        UnaryOp::Tanh => map(a, out, pool, |x: T| x.tanh()),
        UnaryOp::Relu => map(a, out, pool, |x: T| if x < T::ZERO { T::ZERO } else { x }),
        UnaryOp::Log => map(a, out, pool, |x: T| x.ln()),
        UnaryOp::Exp => map(a, out, pool, |x: T| x.exp()),
        UnaryOp::Square => map(a, out, pool, |x: T| x * x),
        UnaryOp::Sqrt => map(a, out, pool, |x: T| x.sqrt()),
        UnaryOp::Abs => map(a, out, pool, |x: T| x.abs()),
        UnaryOp::Sign => map(a, out, pool, |x: T| {
            if x.is_nan() {
                x
            } else if x > T::ZERO {
                T::ONE
            } else if x < T::ZERO {
                -T::ONE
            } else {
                T::ZERO
            }
        }),
        UnaryOp::Reciprocal => map(a, out, pool, |x: T| T::ONE / x),
        UnaryOp::Identity => map(a, out, pool, |x: T| x),
    }
}

/// The float32 formula of each unary op, exactly as [`unary`] maps it over a float32 tensor
/// (the fast path calls this; a test keeps the two in step).
pub fn unary_f32(op: UnaryOp, x: f32) -> f32 {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::Relu => {
            if x < 0.0 {
                0.0
            } else {
                x
            }
        }
        UnaryOp::Log => x.ln(),
        UnaryOp::Exp => x.exp(),
        UnaryOp::Square => x * x,
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Abs => x.abs(),
        UnaryOp::Sign => {
            if x.is_nan() {
                x
            } else if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        UnaryOp::Reciprocal => 1.0 / x,
        UnaryOp::Identity => x,
    }
}

fn unary_int<T: Int>(op: UnaryOp, a: &ArrayD<T>, out: &mut Value, pool: Option<&ThreadPool>) -> Result<()> {
    match op {
        UnaryOp::Neg => map(a, out, pool, |x: T| x.wneg()),
        UnaryOp::Relu => map(a, out, pool, |x: T| if x < T::ZERO { T::ZERO } else { x }),
        UnaryOp::Square => map(a, out, pool, |x: T| x.wmul(x)),
        UnaryOp::Abs => map(a, out, pool, |x: T| x.wabs()),
        UnaryOp::Sign => map(a, out, pool, |x: T| x.sign()),
        UnaryOp::Identity => map(a, out, pool, |x: T| x),
        UnaryOp::Sigmoid | UnaryOp::Tanh | UnaryOp::Log | UnaryOp::Exp | UnaryOp::Sqrt | UnaryOp::Reciprocal => {
            Err(no_kernel(op.tf_name(), T::DTYPE))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Matmul
// ---------------------------------------------------------------------------------------------

/// The strided operands of one GEMM call: `C[m,n] = op(A)[m,k] * op(B)[k,n]`.
#[derive(Clone, Copy)]
struct GemmArgs {
    m: usize,
    k: usize,
    n: usize,
    rsa: isize,
    csa: isize,
    rsb: isize,
    csb: isize,
}

/// Float element types with a BLAS-like GEMM.
trait Gemm: Float {
    /// # Safety
    /// `a`, `b` must be valid for every element the strides in `g` address for an `m x k` and a
    /// `k x n` matrix; `c` must be valid for writes of `m * n` contiguous row-major elements and
    /// not alias `a` or `b`.
    unsafe fn gemm(g: &GemmArgs, a: *const Self, b: *const Self, c: *mut Self);
}

impl Gemm for f32 {
    unsafe fn gemm(g: &GemmArgs, a: *const f32, b: *const f32, c: *mut f32) {
        // SAFETY: forwarded from the caller's contract; beta = 0 so `c` is only written.
        unsafe { matrixmultiply::sgemm(g.m, g.k, g.n, 1.0, a, g.rsa, g.csa, b, g.rsb, g.csb, 0.0, c, g.n as isize, 1) }
    }
}

impl Gemm for f64 {
    unsafe fn gemm(g: &GemmArgs, a: *const f64, b: *const f64, c: *mut f64) {
        // SAFETY: forwarded from the caller's contract; beta = 0 so `c` is only written.
        unsafe { matrixmultiply::dgemm(g.m, g.k, g.n, 1.0, a, g.rsa, g.csa, b, g.rsb, g.csb, 0.0, c, g.n as isize, 1) }
    }
}

/// Matrix product of two rank-2 tensors (`tf.matmul`), optionally transposing either, into
/// `out` (shape `[m, n]`, reused when it matches).
///
/// float32/float64 use a blocked SIMD GEMM (rows split across `pool` for big products);
/// int32/int64 a straightforward wrapping loop. Errors as TF's `MatMul` kernel:
/// "In[0] is not a matrix. Instead it has shape [2]",
/// "Matrix size-incompatible: In[0]: [2,3], In[1]: [2,3]".
pub fn matmul(
    a: &Value,
    b: &Value,
    transpose_a: bool,
    transpose_b: bool,
    out: &mut Value,
    pool: Option<&rayon::ThreadPool>,
) -> Result<()> {
    if a.dtype() != b.dtype() {
        return Err(type_mismatch("MatMul", "b", b.dtype(), "a", a.dtype()));
    }
    for (i, v) in [a, b].into_iter().enumerate() {
        if v.shape().len() != 2 {
            return Err(Error::invalid_argument(format!(
                "In[{i}] is not a matrix. Instead it has shape {}",
                tf_shape(v.shape())
            )));
        }
    }
    let (sa, sb) = (a.shape(), b.shape());
    let (m, k) = if transpose_a { (sa[1], sa[0]) } else { (sa[0], sa[1]) };
    let (k2, n) = if transpose_b { (sb[1], sb[0]) } else { (sb[0], sb[1]) };
    if k != k2 {
        return Err(Error::invalid_argument(format!(
            "Matrix size-incompatible: In[0]: {}, In[1]: {}",
            tf_shape(sa),
            tf_shape(sb)
        )));
    }
    let strides = |cols: usize, t: bool| {
        if t { (1, cols as isize) } else { (cols as isize, 1) }
    };
    let (rsa, csa) = strides(sa[1], transpose_a);
    let (rsb, csb) = strides(sb[1], transpose_b);
    let g = GemmArgs { m, k, n, rsa, csa, rsb, csb };
    match (a, b) {
        (Value::F32(x), Value::F32(y)) if uses_eigen_matmul(m, k, n) => {
            let (xc, yc) = (x.as_standard_layout(), y.as_standard_layout());
            let (xs, ys) = (slice_of(&xc)?, slice_of(&yc)?);
            let o = out_buf::<f32>(out, &[m, n])?;
            crate::engine::math::matmul_simd::matmul_f32_fast(xs, ys, m, k, n, transpose_a, transpose_b, o);
            Ok(())
        }
        (Value::F32(x), Value::F32(y)) => matmul_float(x, y, &g, out, pool),
        (Value::F64(x), Value::F64(y)) => matmul_float(x, y, &g, out, pool),
        (Value::I32(x), Value::I32(y)) => matmul_int(x, y, &g, out),
        (Value::I64(x), Value::I64(y)) => matmul_int(x, y, &g, out),
        _ => Err(no_kernel("MatMul", a.dtype())),
    }
}

fn matmul_float<T: Gemm>(
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    g: &GemmArgs,
    out: &mut Value,
    pool: Option<&ThreadPool>,
) -> Result<()> {
    let o = out_buf::<T>(out, &[g.m, g.n])?;
    if o.is_empty() {
        return Ok(());
    }
    if g.k == 0 {
        o.fill(T::ZERO);
        return Ok(());
    }
    let (ac, bc) = (a.as_standard_layout(), b.as_standard_layout());
    let (xs, ys) = (slice_of(&ac)?, slice_of(&bc)?);
    if g.m.saturating_mul(g.n).saturating_mul(g.k) <= SMALL_MATMUL_MULADDS {
        // Small products (the training graphs of the seed) sum each dot product in order, one
        // rounding per multiply and per add, which is what TF's CPU kernel gives for them: a
        // fused multiply-add kernel would differ in the last bit.
        let (rsa, csa, rsb, csb) = (g.rsa as usize, g.csa as usize, g.rsb as usize, g.csb as usize);
        // The last element each operand's strides reach must be inside it (checked once here, so
        // the indexing below cannot go out of bounds).
        let a_last = (g.m - 1) * rsa + (g.k - 1) * csa;
        let b_last = (g.k - 1) * rsb + (g.n - 1) * csb;
        if a_last >= xs.len() || b_last >= ys.len() {
            return Err(Error::internal("matmul operand smaller than its shape"));
        }
        for (i, crow) in o.chunks_exact_mut(g.n).enumerate() {
            for (j, c) in crow.iter_mut().enumerate() {
                let mut acc = T::ZERO;
                let (mut ia, mut ib) = (i * rsa, j * csb);
                for _ in 0..g.k {
                    acc = acc + xs[ia] * ys[ib];
                    ia += csa;
                    ib += rsb;
                }
                *c = acc;
            }
        }
        return Ok(());
    }
    // Computes the rows `row0 ..` of C that `c` holds.
    let run = |row0: usize, c: &mut [T]| {
        let rows = c.len() / g.n;
        let sub = GemmArgs { m: rows, ..*g };
        // SAFETY: `xs` holds the whole A (m x k under the strides), and rows row0..row0+rows of
        // op(A) start at element row0 * rsa (rsa >= 0) and stay inside it; `ys` holds the whole
        // B; `c` is an exclusive slice of exactly rows * n elements.
        unsafe { T::gemm(&sub, xs.as_ptr().add(row0 * g.rsa as usize), ys.as_ptr(), c.as_mut_ptr()) }
    };
    let threads = pool.map_or(1, |p| p.current_num_threads());
    let work = g.m.saturating_mul(g.n).saturating_mul(g.k);
    match pool {
        Some(p) if threads > 1 && g.m > 1 && work >= PAR_MIN_MULADDS => {
            let rows_per = g.m.div_ceil(threads);
            p.install(|| o.par_chunks_mut(rows_per * g.n).enumerate().for_each(|(i, c)| run(i * rows_per, c)));
        }
        _ => run(0, o),
    }
    Ok(())
}

fn matmul_int<T: Int>(a: &ArrayD<T>, b: &ArrayD<T>, g: &GemmArgs, out: &mut Value) -> Result<()> {
    let o = out_buf::<T>(out, &[g.m, g.n])?;
    if o.is_empty() {
        return Ok(());
    }
    o.fill(T::ZERO);
    let (ac, bc) = (a.as_standard_layout(), b.as_standard_layout());
    let (xs, ys) = (slice_of(&ac)?, slice_of(&bc)?);
    let (rsa, csa, rsb, csb) = (g.rsa as usize, g.csa as usize, g.rsb as usize, g.csb as usize);
    for (i, crow) in o.chunks_exact_mut(g.n).enumerate() {
        for p in 0..g.k {
            let aip = xs[i * rsa + p * csa];
            if csb == 1 {
                let brow = &ys[p * rsb..p * rsb + g.n];
                for (c, &bv) in crow.iter_mut().zip(brow) {
                    *c = c.wadd(aip.wmul(bv));
                }
            } else {
                for (j, c) in crow.iter_mut().enumerate() {
                    *c = c.wadd(aip.wmul(ys[p * rsb + j * csb]));
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------------------------

/// The reduced-axes bitmask (bit i = axis i) for `axes` (None = all) over a rank-`rank` input.
fn axes_mask(axes: Option<&[i64]>, rank: usize) -> Result<u64> {
    let Some(axes) = axes else {
        return Ok(if rank >= 64 { u64::MAX } else { (1u64 << rank) - 1 });
    };
    let r = rank as i64;
    let mut mask = 0u64;
    for &ax in axes {
        if ax < -r || ax >= r {
            return Err(Error::invalid_argument(format!(
                "Invalid reduction dimension ({ax} for input with {rank} dimension(s)"
            )));
        }
        let i = if ax < 0 { ax + r } else { ax };
        mask |= 1u64 << i;
    }
    Ok(mask)
}

/// The shape left after reducing `mask`'s axes of `shape`.
fn masked_shape(shape: &[usize], mask: u64, keep_dims: bool) -> Dims {
    let mut d = Dims::new();
    for (i, &s) in shape.iter().enumerate() {
        if mask >> i & 1 == 1 {
            if keep_dims {
                d.push(1);
            }
        } else {
            d.push(s);
        }
    }
    d
}

/// The output shape of a reduction of `in_shape` over `axes` (None = all; negative axes count
/// from the end), as `tf.reduce_*` gives it.
pub fn reduce_output_shape(in_shape: &[usize], axes: Option<&[i64]>, keep_dims: bool) -> Result<Vec<usize>> {
    check_rank(in_shape)?;
    let mask = axes_mask(axes, in_shape.len())?;
    Ok(masked_shape(in_shape, mask, keep_dims).as_slice().to_vec())
}

/// Reduces `x` over `axes` (None = all; negative axes allowed; duplicates ignored), writing into
/// `out` (reused when it matches).
///
/// Out-of-range axes give TF's "Invalid reduction dimension (5 for input with 2 dimension(s)".
/// Float32 sums go through [`sum_f32`]; a mean is the sum divided by the count in the element
/// type (truncating for ints; an empty integer mean is "Integer division by zero").
pub fn reduce(op: ReduceOp, x: &Value, axes: Option<&[i64]>, keep_dims: bool, out: &mut Value) -> Result<()> {
    let shape = x.shape();
    check_rank(shape)?;
    let mask = axes_mask(axes, shape.len())?;
    let out_shape = masked_shape(shape, mask, keep_dims);
    let os = out_shape.as_slice();
    match x {
        Value::F32(a) => reduce_masked(op, a, mask, os, out),
        Value::F64(a) => reduce_masked(op, a, mask, os, out),
        Value::I32(a) => reduce_masked(op, a, mask, os, out),
        Value::I64(a) => reduce_masked(op, a, mask, os, out),
        Value::Bool(_) => Err(no_kernel(op.tf_name(), DType::Bool)),
    }
}

/// Reduces the axes in `mask` of `a` into `out`, whose shape is `out_shape` (any shape with as
/// many elements as the kept axes, in their order).
fn reduce_masked<T: Num>(op: ReduceOp, a: &ArrayD<T>, mask: u64, out_shape: &[usize], out: &mut Value) -> Result<()> {
    let shape = a.shape();
    let o = out_buf::<T>(out, out_shape)?;
    let init = match op {
        ReduceOp::Sum | ReduceOp::Mean => T::ZERO,
        ReduceOp::Prod => T::ONE,
        ReduceOp::Max => T::LOWEST,
        ReduceOp::Min => T::HIGHEST,
    };
    o.fill(init);
    let ac = a.as_standard_layout();
    let data = slice_of(&ac)?;
    if !data.is_empty() && !o.is_empty() {
        // Coalesce: drop size-1 dims, merge neighbours that are both reduced or both kept.
        let mut size = [0usize; MAX_RANK];
        let mut red = [false; MAX_RANK];
        let mut rank = 0;
        for (i, &d) in shape.iter().enumerate() {
            if d == 1 {
                continue;
            }
            let r = mask >> i & 1 == 1;
            if rank > 0 && red[rank - 1] == r {
                size[rank - 1] *= d;
            } else {
                size[rank] = d;
                red[rank] = r;
                rank += 1;
            }
        }
        let (size, red) = (&size[..rank], &red[..rank]);
        match op {
            ReduceOp::Sum | ReduceOp::Mean => reduce_kernel(data, size, red, o, T::wadd, T::sum_slice),
            ReduceOp::Prod => {
                reduce_kernel(data, size, red, o, T::wmul, |s: &[T]| s.iter().fold(T::ONE, |a, &x| a.wmul(x)))
            }
            ReduceOp::Max => {
                reduce_kernel(data, size, red, o, max_nan, |s: &[T]| s.iter().fold(T::LOWEST, |a, &x| max_nan(a, x)))
            }
            ReduceOp::Min => {
                reduce_kernel(data, size, red, o, min_nan, |s: &[T]| s.iter().fold(T::HIGHEST, |a, &x| min_nan(a, x)))
            }
        }
    }
    if op == ReduceOp::Mean && !o.is_empty() {
        let count = data.len() / o.len();
        for v in o.iter_mut() {
            *v = v.mean_div(count).ok_or_else(int_div_by_zero)?;
        }
    }
    Ok(())
}

/// The reduction loop over coalesced dims `size` (with `red` marking reduced ones): each
/// innermost run is either reduced with `slice_op` and combined into one output, or combined
/// elementwise into a run of outputs.
fn reduce_kernel<T: Num>(
    data: &[T],
    size: &[usize],
    red: &[bool],
    o: &mut [T],
    combine: impl Fn(T, T) -> T,
    slice_op: impl Fn(&[T]) -> T,
) {
    let rank = size.len();
    if rank == 0 {
        // Every dim has size 1: one element in, one out.
        if let (Some(v), Some(&x)) = (o.first_mut(), data.first()) {
            *v = combine(*v, x);
        }
        return;
    }
    let last = rank - 1;
    let mut ostride = [0usize; MAX_RANK];
    let mut acc = 1usize;
    for k in (0..rank).rev() {
        if !red[k] {
            ostride[k] = acc;
            acc *= size[k];
        }
    }
    let inner = size[last];
    let mut idx = [0usize; MAX_RANK];
    let mut off = 0usize;
    for block in data.chunks_exact(inner) {
        if red[last] {
            let p = slice_op(block);
            o[off] = combine(o[off], p);
        } else {
            for (v, &x) in o[off..off + inner].iter_mut().zip(block) {
                *v = combine(*v, x);
            }
        }
        let mut k = last;
        while k > 0 {
            k -= 1;
            idx[k] += 1;
            off += ostride[k];
            if idx[k] < size[k] {
                break;
            }
            off -= ostride[k] * size[k];
            idx[k] = 0;
        }
    }
}

/// Sums `grad` (shape = broadcast result) down to `target` shape, the inverse of broadcasting —
/// used by gradients of broadcasting ops. `target` must broadcast to `grad`'s shape, else
/// "Incompatible shapes: [2,3] vs. [4]".
pub fn sum_to_shape(grad: &Value, target: &[usize], out: &mut Value) -> Result<()> {
    let g = grad.shape();
    check_rank(g)?;
    if target.len() > g.len() {
        return Err(incompatible(g, target));
    }
    let p = g.len() - target.len();
    let mut mask = 0u64;
    for (i, &gd) in g.iter().enumerate() {
        if i < p {
            mask |= 1 << i;
        } else {
            let t = target[i - p];
            if t != gd {
                if t == 1 {
                    mask |= 1 << i;
                } else {
                    return Err(incompatible(g, target));
                }
            }
        }
    }
    if let Value::F32(a) = grad
        && g.len() == 2
        && mask == 1
        && let Some(xs) = a.as_slice()
    {
        // A bias gradient: TF sums the rows with Eigen's inner-most-dimension-preserving order.
        let o = out_buf::<f32>(out, target)?;
        if !o.is_empty() && o.len() == g[1] {
            crate::engine::math::eigen::sum_rows_f32(xs, g[0], g[1], o);
            return Ok(());
        }
    }
    match grad {
        Value::F32(a) => reduce_masked(ReduceOp::Sum, a, mask, target, out),
        Value::F64(a) => reduce_masked(ReduceOp::Sum, a, mask, target, out),
        Value::I32(a) => reduce_masked(ReduceOp::Sum, a, mask, target, out),
        Value::I64(a) => reduce_masked(ReduceOp::Sum, a, mask, target, out),
        Value::Bool(_) => Err(no_kernel("Sum", DType::Bool)),
    }
}

// ---------------------------------------------------------------------------------------------
// Clip, softmax, losses
// ---------------------------------------------------------------------------------------------

/// `tf.clip_by_value(x, lo, hi)`: `maximum(minimum(x, hi), lo)` as TF 1.x computes it. `lo` and
/// `hi` are scalars or shaped like `x` (fast path), or anything that broadcasts to `x`'s shape
/// without changing it; otherwise "Shapes (3,) and (2, 3) are not compatible".
pub fn clip_by_value(x: &Value, lo: &Value, hi: &Value, out: &mut Value) -> Result<()> {
    if hi.dtype() != x.dtype() {
        return Err(type_mismatch("Minimum", "y", hi.dtype(), "x", x.dtype()));
    }
    if lo.dtype() != x.dtype() {
        return Err(type_mismatch("Maximum", "y", lo.dtype(), "x", x.dtype()));
    }
    let xs = x.shape();
    let simple = |v: &Value| v.shape() == xs || (v.len() == 1 && v.shape().len() <= xs.len());
    if simple(lo) && simple(hi) {
        return match (x, lo, hi) {
            (Value::F32(a), Value::F32(l), Value::F32(h)) => clip_typed(a, l, h, out),
            (Value::F64(a), Value::F64(l), Value::F64(h)) => clip_typed(a, l, h, out),
            (Value::I32(a), Value::I32(l), Value::I32(h)) => clip_typed(a, l, h, out),
            (Value::I64(a), Value::I64(l), Value::I64(h)) => clip_typed(a, l, h, out),
            _ => Err(no_kernel("Minimum", x.dtype())),
        };
    }
    for v in [hi, lo] {
        let (bs, _) = plan_broadcast(xs, v.shape())?;
        if bs.as_slice() != xs {
            return Err(Error::invalid_argument(format!(
                "Shapes {} and {} are not compatible",
                py_shape(xs),
                py_shape(bs.as_slice())
            )));
        }
    }
    let mut tmp = Value::F32(ArrayD::zeros(IxDyn(&[0])));
    binary(BinaryOp::Minimum, x, hi, &mut tmp, None)?;
    binary(BinaryOp::Maximum, &tmp, lo, out, None)
}

fn clip_typed<T: Num>(x: &ArrayD<T>, lo: &ArrayD<T>, hi: &ArrayD<T>, out: &mut Value) -> Result<()> {
    let o = out_buf::<T>(out, x.shape())?;
    if o.is_empty() {
        return Ok(());
    }
    let clip = |v: T, l: T, h: T| {
        let t = if h < v { h } else { v };
        if t < l { l } else { t }
    };
    let (xc, lc, hc) = (x.as_standard_layout(), lo.as_standard_layout(), hi.as_standard_layout());
    let (xs, ls, hs) = (slice_of(&xc)?, slice_of(&lc)?, slice_of(&hc)?);
    match (ls, hs) {
        ([l], [h]) => {
            for (o, &v) in o.iter_mut().zip(xs) {
                *o = clip(v, *l, *h);
            }
        }
        _ => {
            // Each bound has one element or exactly as many as x (checked by the caller).
            for (i, (o, &v)) in o.iter_mut().zip(xs).enumerate() {
                let l = if ls.len() == 1 { ls[0] } else { ls[i] };
                let h = if hs.len() == 1 { hs[0] } else { hs[i] };
                *o = clip(v, l, h);
            }
        }
    }
    Ok(())
}

/// Softmax along the last axis (`tf.nn.softmax`), numerically stable as TF's kernel:
/// `e = exp(x - max(x))`, then `e * (1 / sum(e))`. Rank must be at least 1.
pub fn softmax(logits: &Value, out: &mut Value) -> Result<()> {
    match logits {
        Value::F32(a) => softmax_typed(a, out),
        Value::F64(a) => softmax_typed(a, out),
        _ => Err(no_kernel("Softmax", logits.dtype())),
    }
}

fn softmax_typed<T: Float>(a: &ArrayD<T>, out: &mut Value) -> Result<()> {
    let Some(&c) = a.shape().last() else {
        return Err(Error::invalid_argument(format!("logits must have >= 1 dimension, got {}", tf_shape(a.shape()))));
    };
    let o = out_buf::<T>(out, a.shape())?;
    if o.is_empty() {
        return Ok(());
    }
    let ac = a.as_standard_layout();
    let xs = slice_of(&ac)?;
    for (orow, xrow) in o.chunks_exact_mut(c).zip(xs.chunks_exact(c)) {
        let m = xrow.iter().fold(T::LOWEST, |acc, &x| max_nan(acc, x));
        for (o, &x) in orow.iter_mut().zip(xrow) {
            *o = (x - m).exp();
        }
        let inv = T::ONE / T::sum_slice(orow);
        for o in orow.iter_mut() {
            *o = *o * inv;
        }
    }
    Ok(())
}

fn float_pair_check(op: &str, labels: &Value, logits: &Value) -> Result<()> {
    if labels.dtype() != logits.dtype() {
        return Err(type_mismatch(op, "labels", labels.dtype(), "features", logits.dtype()));
    }
    if !logits.dtype().is_float() {
        return Err(no_kernel(op, logits.dtype()));
    }
    Ok(())
}

/// `tf.nn.sigmoid_cross_entropy_with_logits` with TF's stable formula
/// `max(x, 0) - x * z + log1p(exp(-|x|))`, elementwise. Shapes must be equal, else
/// "logits and labels must have the same shape ((2, 3) vs (2, 2))".
pub fn sigmoid_cross_entropy_with_logits(labels: &Value, logits: &Value, out: &mut Value) -> Result<()> {
    if labels.dtype() != logits.dtype() {
        return Err(type_mismatch("Mul", "y", labels.dtype(), "x", logits.dtype()));
    }
    if labels.shape() != logits.shape() {
        return Err(Error::invalid_argument(format!(
            "logits and labels must have the same shape ({} vs {})",
            py_shape(logits.shape()),
            py_shape(labels.shape())
        )));
    }
    match (labels, logits) {
        (Value::F32(z), Value::F32(x)) => sigmoid_xent_typed(z, x, out),
        (Value::F64(z), Value::F64(x)) => sigmoid_xent_typed(z, x, out),
        _ => Err(no_kernel("Log1p", logits.dtype())),
    }
}

fn sigmoid_xent_typed<T: Float>(z: &ArrayD<T>, x: &ArrayD<T>, out: &mut Value) -> Result<()> {
    let o = out_buf::<T>(out, x.shape())?;
    if o.is_empty() {
        return Ok(());
    }
    let (zc, xc) = (z.as_standard_layout(), x.as_standard_layout());
    let (zs, xs) = (slice_of(&zc)?, slice_of(&xc)?);
    for ((o, &z), &x) in o.iter_mut().zip(zs).zip(xs) {
        let pos = x >= T::ZERO;
        let relu = if pos { x } else { T::ZERO };
        let neg_abs = if pos { -x } else { x };
        *o = (relu - x * z) + neg_abs.exp().ln_1p();
    }
    Ok(())
}

/// The float32 formula of `sigmoid_cross_entropy_with_logits` for one element (as the kernel
/// above computes it; the fast path calls this).
pub fn sigmoid_xent_f32(z: f32, x: f32) -> f32 {
    let pos = x >= 0.0;
    let relu = if pos { x } else { 0.0 };
    let neg_abs = if pos { -x } else { x };
    (relu - x * z) + neg_abs.exp().ln_1p()
}

/// `tf.nn.softmax_cross_entropy_with_logits` (TF's `SoftmaxCrossEntropyWithLogits` kernel) over
/// `[batch, classes]`: `loss` gets `[batch]`, `backprop` gets `softmax(logits) - labels`
/// (`[batch, classes]`). Labels and logits may broadcast to a common rank-2 shape, as in TF.
pub fn softmax_cross_entropy_with_logits(
    labels: &Value,
    logits: &Value,
    loss: &mut Value,
    backprop: &mut Value,
) -> Result<()> {
    const OP: &str = "SoftmaxCrossEntropyWithLogits";
    float_pair_check(OP, labels, logits)?;
    let (ls, xs) = (labels.shape(), logits.shape());
    let size_err = || {
        Error::invalid_argument(format!(
            "logits and labels must be broadcastable: logits_size={} labels_size={}",
            tf_shape(xs),
            tf_shape(ls)
        ))
    };
    let rank_err = || {
        Error::invalid_argument("logits and labels must be either 2-dimensional, or broadcasted to be 2-dimensional")
    };
    if ls == xs {
        if xs.len() != 2 {
            return Err(rank_err());
        }
        return match (labels, logits) {
            (Value::F32(z), Value::F32(x)) => xent_typed(z, x, loss, backprop),
            (Value::F64(z), Value::F64(x)) => xent_typed(z, x, loss, backprop),
            _ => Err(no_kernel(OP, logits.dtype())),
        };
    }
    let shape = broadcast_shape(xs, ls).ok_or_else(size_err)?;
    if shape.len() != 2 {
        return Err(rank_err());
    }
    fn widen<T: Elem>(a: &ArrayD<T>, shape: &[usize]) -> Result<ArrayD<T>> {
        a.broadcast(IxDyn(shape)).map(|v| v.to_owned()).ok_or_else(|| Error::internal("broadcast failed"))
    }
    match (labels, logits) {
        (Value::F32(z), Value::F32(x)) => xent_typed(&widen(z, &shape)?, &widen(x, &shape)?, loss, backprop),
        (Value::F64(z), Value::F64(x)) => xent_typed(&widen(z, &shape)?, &widen(x, &shape)?, loss, backprop),
        _ => Err(no_kernel(OP, logits.dtype())),
    }
}

fn xent_typed<T: Float>(z: &ArrayD<T>, x: &ArrayD<T>, loss: &mut Value, backprop: &mut Value) -> Result<()> {
    let (batch, classes) = (x.shape()[0], x.shape()[1]);
    let l = out_buf::<T>(loss, &[batch])?;
    let bp = out_buf::<T>(backprop, &[batch, classes])?;
    if classes == 0 {
        l.fill(T::ZERO);
        return Ok(());
    }
    let (zc, xc) = (z.as_standard_layout(), x.as_standard_layout());
    let (zs, xs) = (slice_of(&zc)?, slice_of(&xc)?);
    let rows = bp.chunks_exact_mut(classes).zip(xs.chunks_exact(classes)).zip(zs.chunks_exact(classes));
    for (((br, xr), zr), lv) in rows.zip(l.iter_mut()) {
        // As TF's XentEigenImpl: shifted = x - max; s = sum(exp(shifted));
        // loss = sum(z * (log(s) - shifted)); backprop = exp(shifted) / s - z.
        let m = xr.iter().fold(T::LOWEST, |acc, &v| max_nan(acc, v));
        for (b, &v) in br.iter_mut().zip(xr) {
            *b = (v - m).exp();
        }
        let s = T::sum_slice(br);
        let log_s = s.ln();
        *lv = xr.iter().zip(zr).fold(T::ZERO, |acc, (&v, &zv)| acc + zv * (log_s - (v - m)));
        for (b, &zv) in br.iter_mut().zip(zr) {
            *b = *b / s - zv;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Cast and fill
// ---------------------------------------------------------------------------------------------

/// `tf.cast`: converts `x` to `to` into `out` (reused when it matches). Float to int truncates
/// (saturating; NaN gives 0), nonzero is true, true is 1.
pub fn cast(x: &Value, to: DType, out: &mut Value) -> Result<()> {
    fn go<T: Elem>(a: &ArrayD<T>, to: DType, out: &mut Value) -> Result<()> {
        match to {
            DType::Float32 => map(a, out, None, T::to_f32),
            DType::Float64 => map(a, out, None, T::to_f64),
            DType::Int32 => map(a, out, None, T::to_i32),
            DType::Int64 => map(a, out, None, T::to_i64),
            DType::Bool => map(a, out, None, T::to_bool),
        }
    }
    crate::with_array!(x, a => go(a, to, out))
}

/// Fills `out` with `value` (converted to `dtype`) in `shape`, reusing `out`'s buffer when it
/// matches. If the shape is too large to allocate, `out` becomes an empty `[0]` array; use
/// [`try_fill`] to get the error instead.
pub fn fill(dtype: DType, shape: &[usize], value: f64, out: &mut Value) {
    if try_fill(dtype, shape, value, out).is_err() {
        *out = Value::zeros(dtype, &[0]);
    }
}

/// [`fill`] that reports a shape too large to allocate (ResourceExhausted, TF's OOM message).
pub fn try_fill(dtype: DType, shape: &[usize], value: f64, out: &mut Value) -> Result<()> {
    fn go<T: Elem>(shape: &[usize], value: f64, out: &mut Value) -> Result<()> {
        out_buf::<T>(out, shape)?.fill(T::from_f64(value));
        Ok(())
    }
    match dtype {
        DType::Float32 => go::<f32>(shape, value, out),
        DType::Float64 => go::<f64>(shape, value, out),
        DType::Int32 => go::<i32>(shape, value, out),
        DType::Int64 => go::<i64>(shape, value, out),
        DType::Bool => go::<bool>(shape, value, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Zip;

    fn f32v(shape: &[usize], d: &[f32]) -> Value {
        Value::F32(ArrayD::from_shape_vec(IxDyn(shape), d.to_vec()).unwrap())
    }
    fn f64v(shape: &[usize], d: &[f64]) -> Value {
        Value::F64(ArrayD::from_shape_vec(IxDyn(shape), d.to_vec()).unwrap())
    }
    fn i32v(shape: &[usize], d: &[i32]) -> Value {
        Value::I32(ArrayD::from_shape_vec(IxDyn(shape), d.to_vec()).unwrap())
    }
    fn i64v(shape: &[usize], d: &[i64]) -> Value {
        Value::I64(ArrayD::from_shape_vec(IxDyn(shape), d.to_vec()).unwrap())
    }
    fn boolv(shape: &[usize], d: &[bool]) -> Value {
        Value::Bool(ArrayD::from_shape_vec(IxDyn(shape), d.to_vec()).unwrap())
    }
    fn f32s(v: &Value) -> Vec<f32> {
        match v {
            Value::F32(a) => a.iter().copied().collect(),
            other => panic!("expected float32, got {other:?}"),
        }
    }
    fn f64s(v: &Value) -> Vec<f64> {
        match v {
            Value::F64(a) => a.iter().copied().collect(),
            other => panic!("expected float64, got {other:?}"),
        }
    }
    fn ptr(v: &Value) -> usize {
        crate::with_array!(v, a => a.as_ptr() as usize)
    }
    fn new_out() -> Value {
        Value::zeros(DType::Float32, &[0])
    }
    fn bin_ok(op: BinaryOp, a: &Value, b: &Value) -> Value {
        let mut o = new_out();
        binary(op, a, b, &mut o, None).unwrap();
        o
    }
    fn un_ok(op: UnaryOp, x: &Value) -> Value {
        let mut o = new_out();
        unary(op, x, &mut o, None).unwrap();
        o
    }
    fn red_ok(op: ReduceOp, x: &Value, axes: Option<&[i64]>, keep: bool) -> Value {
        let mut o = new_out();
        reduce(op, x, axes, keep, &mut o).unwrap();
        o
    }
    fn msg(r: Result<()>) -> String {
        r.unwrap_err().message
    }
    fn close(a: &[f32], b: &[f32], tol: f32) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= tol * (1.0 + y.abs()), "element {i}: {x} vs {y}");
        }
    }
    /// A tiny deterministic generator for test data.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 >> 33
        }
        fn f32(&mut self) -> f32 {
            (self.next() % 2001) as f32 / 1000.0 - 1.0
        }
        fn vec(&mut self, n: usize) -> Vec<f32> {
            (0..n).map(|_| self.f32()).collect()
        }
    }

    #[test]
    fn binary_same_shape_float() {
        let a = f32v(&[3], &[1.0, -2.0, 3.5]);
        let b = f32v(&[3], &[2.0, 4.0, -0.5]);
        assert_eq!(f32s(&bin_ok(BinaryOp::Add, &a, &b)), vec![3.0, 2.0, 3.0]);
        assert_eq!(f32s(&bin_ok(BinaryOp::Sub, &a, &b)), vec![-1.0, -6.0, 4.0]);
        assert_eq!(f32s(&bin_ok(BinaryOp::Mul, &a, &b)), vec![2.0, -8.0, -1.75]);
        assert_eq!(f32s(&bin_ok(BinaryOp::Div, &a, &b)), vec![0.5, -0.5, -7.0]);
        assert_eq!(f32s(&bin_ok(BinaryOp::Maximum, &a, &b)), vec![2.0, 4.0, 3.5]);
        assert_eq!(f32s(&bin_ok(BinaryOp::Minimum, &a, &b)), vec![1.0, -2.0, -0.5]);
        assert_eq!(bin_ok(BinaryOp::Less, &a, &b), boolv(&[3], &[true, true, false]));
        assert_eq!(bin_ok(BinaryOp::Greater, &a, &b), boolv(&[3], &[false, false, true]));
        let p = bin_ok(BinaryOp::Pow, &f32v(&[2], &[2.0, 9.0]), &f32v(&[2], &[3.0, 0.5]));
        assert_eq!(f32s(&p), vec![8.0, 3.0]);
        // IEEE add in f32 exactly.
        let s = bin_ok(BinaryOp::Add, &f32v(&[], &[0.1]), &f32v(&[], &[0.2]));
        assert_eq!(f32s(&s), vec![0.1f32 + 0.2f32]);
        let d = bin_ok(BinaryOp::Add, &f64v(&[1], &[0.1]), &f64v(&[1], &[0.2]));
        assert_eq!(f64s(&d), vec![0.1 + 0.2]);
    }

    #[test]
    fn binary_ints() {
        let a = i32v(&[4], &[7, -7, 5, i32::MAX]);
        let b = i32v(&[4], &[2, 2, -3, 1]);
        assert_eq!(bin_ok(BinaryOp::Div, &a, &b), i32v(&[4], &[3, -3, -1, i32::MAX]));
        assert_eq!(bin_ok(BinaryOp::Add, &a, &b), i32v(&[4], &[9, -5, 2, i32::MIN]));
        assert_eq!(bin_ok(BinaryOp::Maximum, &a, &b), i32v(&[4], &[7, 2, 5, i32::MAX]));
        assert_eq!(bin_ok(BinaryOp::Less, &a, &b), boolv(&[4], &[false, true, false, false]));
        let p = bin_ok(BinaryOp::Pow, &i64v(&[3], &[2, -3, 5]), &i64v(&[3], &[10, 3, 0]));
        assert_eq!(p, i64v(&[3], &[1024, -27, 1]));
        // i32::MIN / -1 wraps instead of panicking.
        let w = bin_ok(BinaryOp::Div, &i32v(&[], &[i32::MIN]), &i32v(&[], &[-1]));
        assert_eq!(w, i32v(&[], &[i32::MIN]));
        let mut o = new_out();
        assert_eq!(msg(binary(BinaryOp::Div, &a, &i32v(&[], &[0]), &mut o, None)), "Integer division by zero");
        assert_eq!(
            msg(binary(BinaryOp::Pow, &a, &i32v(&[], &[-1]), &mut o, None)),
            "Integers to negative integer powers are not allowed"
        );
        // Shape errors come before data errors.
        assert_eq!(
            msg(binary(BinaryOp::Div, &a, &i32v(&[3], &[0, 0, 0]), &mut o, None)),
            "Incompatible shapes: [4] vs. [3]"
        );
    }

    #[test]
    fn binary_broadcasting() {
        let a = f32v(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let r = bin_ok(BinaryOp::Add, &a, &f32v(&[3], &[10.0, 20.0, 30.0]));
        assert_eq!(r.shape(), &[2, 3]);
        assert_eq!(f32s(&r), vec![11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
        let r = bin_ok(BinaryOp::Mul, &f32v(&[2, 1], &[1.0, 2.0]), &f32v(&[1, 3], &[1.0, 10.0, 100.0]));
        assert_eq!(r.shape(), &[2, 3]);
        assert_eq!(f32s(&r), vec![1.0, 10.0, 100.0, 2.0, 20.0, 200.0]);
        let r = bin_ok(BinaryOp::Sub, &f32v(&[], &[1.0]), &a);
        assert_eq!(f32s(&r), vec![0.0, -1.0, -2.0, -3.0, -4.0, -5.0]);
        let r = bin_ok(BinaryOp::Div, &a, &f32v(&[], &[2.0]));
        assert_eq!(f32s(&r), vec![0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
        let r = bin_ok(BinaryOp::Add, &f32v(&[3], &[1.0, 2.0, 3.0]), &f32v(&[1, 1], &[1.0]));
        assert_eq!(r.shape(), &[1, 3]);
        let mut o = new_out();
        assert_eq!(
            msg(binary(BinaryOp::Add, &f32v(&[2], &[1.0, 2.0]), &f32v(&[3], &[1.0; 3]), &mut o, None)),
            "Incompatible shapes: [2] vs. [3]"
        );
        assert_eq!(
            msg(binary(BinaryOp::Add, &a, &f32v(&[3, 2], &[0.0; 6]), &mut o, None)),
            "Incompatible shapes: [2,3] vs. [3,2]"
        );
        let e = binary(BinaryOp::Add, &a, &i32v(&[], &[1]), &mut o, None).unwrap_err();
        assert_eq!(e.class, ErrorClass::InvalidArgument);
        assert_eq!(e.message, "Input 'y' of 'Add' Op has type int32 that does not match type float32 of argument 'x'.");
        assert_eq!(
            msg(binary(BinaryOp::Add, &boolv(&[], &[true]), &boolv(&[], &[true]), &mut o, None)),
            "No OpKernel was registered to support Op 'Add' with these attrs: [T=DT_BOOL]"
        );
        assert_eq!(broadcast_shape(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
        assert_eq!(broadcast_shape(&[2], &[3]), None);
        assert_eq!(broadcast_shape(&[], &[0]), Some(vec![0]));
    }

    fn naive_bin(a: &ArrayD<f32>, b: &ArrayD<f32>) -> ArrayD<f32> {
        let s = broadcast_shape(a.shape(), b.shape()).unwrap();
        let (av, bv) = (a.broadcast(IxDyn(&s)).unwrap(), b.broadcast(IxDyn(&s)).unwrap());
        Zip::from(&av).and(&bv).map_collect(|&x, &y| x * 3.0 - y)
    }

    #[test]
    fn broadcasting_matches_reference_on_random_shapes() {
        let mut g = Lcg(7);
        for case in 0..400 {
            let rank = (g.next() % 5) as usize;
            let full: Vec<usize> = (0..rank).map(|_| [1, 2, 3, 4][(g.next() % 4) as usize]).collect();
            let mk = |g: &mut Lcg| -> Vec<usize> {
                let drop = (g.next() % (rank as u64 + 1)) as usize;
                full[drop..].iter().map(|&d| if g.next().is_multiple_of(3) { 1 } else { d }).collect()
            };
            let (sa, sb) = (mk(&mut g), mk(&mut g));
            let na: usize = sa.iter().product();
            let nb: usize = sb.iter().product();
            let a = ArrayD::from_shape_vec(IxDyn(&sa), g.vec(na)).unwrap();
            let b = if case % 3 == 0 && sb.len() >= 2 {
                // A non-standard-layout operand of shape `sb`.
                let rev: Vec<usize> = sb.iter().rev().copied().collect();
                ArrayD::from_shape_vec(IxDyn(&rev), g.vec(nb)).unwrap().t().to_owned()
            } else {
                ArrayD::from_shape_vec(IxDyn(&sb), g.vec(nb)).unwrap()
            };
            let expect = naive_bin(&a, &b);
            let mut o = new_out();
            let f = |x: f32, y: f32| x * 3.0 - y;
            bin(&a, &b, &mut o, None, f).unwrap();
            assert_eq!(o, Value::F32(expect.clone()), "{sa:?} vs {:?}", b.shape());
            // Starting at every offset exercises the chunked (parallel) entry point.
            let (shape, plan) = plan_broadcast(a.shape(), b.shape()).unwrap();
            let n: usize = shape.as_slice().iter().product();
            let (ac, bc) = (a.as_standard_layout(), b.as_standard_layout());
            let want: Vec<f32> = expect.iter().copied().collect();
            for start in 0..n {
                let mut part = vec![0.0f32; (n - start).min(3)];
                bcast_run(&plan, f, ac.as_slice().unwrap(), bc.as_slice().unwrap(), &mut part, start);
                assert_eq!(part[..], want[start..start + part.len()]);
            }
        }
    }

    #[test]
    fn parallel_elementwise_matches_sequential() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let mut g = Lcg(3);
        let a = f32v(&[40, 1, 50], &g.vec(2000));
        let b = f32v(&[1, 60, 50], &g.vec(3000));
        let (mut s, mut p) = (new_out(), new_out());
        binary(BinaryOp::Mul, &a, &b, &mut s, None).unwrap();
        binary(BinaryOp::Mul, &a, &b, &mut p, Some(&pool)).unwrap();
        assert_eq!(s.shape(), &[40, 60, 50]);
        assert_eq!(s, p);
        let x = f32v(&[100_000], &g.vec(100_000));
        let y = f32v(&[100_000], &g.vec(100_000));
        binary(BinaryOp::Add, &x, &y, &mut s, None).unwrap();
        binary(BinaryOp::Add, &x, &y, &mut p, Some(&pool)).unwrap();
        assert_eq!(s, p);
        unary(UnaryOp::Sigmoid, &x, &mut s, None).unwrap();
        unary(UnaryOp::Sigmoid, &x, &mut p, Some(&pool)).unwrap();
        assert_eq!(s, p);
    }

    #[test]
    fn unary_ops() {
        let x = f32v(&[4], &[-2.0, -0.0, 0.5, 4.0]);
        assert_eq!(f32s(&un_ok(UnaryOp::Neg, &x)), vec![2.0, 0.0, -0.5, -4.0]);
        assert_eq!(f32s(&un_ok(UnaryOp::Relu, &x)), vec![0.0, -0.0, 0.5, 4.0]);
        assert_eq!(f32s(&un_ok(UnaryOp::Square, &x)), vec![4.0, 0.0, 0.25, 16.0]);
        assert_eq!(f32s(&un_ok(UnaryOp::Abs, &x)), vec![2.0, 0.0, 0.5, 4.0]);
        assert_eq!(f32s(&un_ok(UnaryOp::Sign, &x)), vec![-1.0, 0.0, 1.0, 1.0]);
        assert_eq!(f32s(&un_ok(UnaryOp::Reciprocal, &x))[3], 0.25);
        assert_eq!(f32s(&un_ok(UnaryOp::Identity, &x)), f32s(&x));
        // Float32 sigmoid, tanh, exp and log follow TF's Eigen kernels (see eigen_math), within an
        // ulp or two of the textbook formulas.
        let mut sig = vec![0.0f32; 4];
        crate::engine::math::eigen::sigmoid_f32(&f32s(&x), &mut sig);
        assert_eq!(f32s(&un_ok(UnaryOp::Sigmoid, &x)), sig);
        for (s, v) in sig.iter().zip(f32s(&x)) {
            assert!((s - 1.0 / (1.0 + (-v).exp())).abs() < 1e-6);
        }
        assert_eq!(f32s(&un_ok(UnaryOp::Sigmoid, &f32v(&[], &[0.0]))), vec![0.5]);
        let p = f32v(&[2], &[1.0, 4.0]);
        assert_eq!(f32s(&un_ok(UnaryOp::Sqrt, &p)), vec![1.0, 2.0]);
        assert_eq!(f32s(&un_ok(UnaryOp::Log, &p)), vec![0.0, 4.0f32.ln()]);
        assert_eq!(f32s(&un_ok(UnaryOp::Exp, &p)), vec![1.0f32.exp(), 4.0f32.exp()]);
        let t = f32s(&un_ok(UnaryOp::Tanh, &p));
        assert!((t[0] - 1.0f32.tanh()).abs() < 1e-6 && (t[1] - 4.0f32.tanh()).abs() < 1e-6, "{t:?}");
        let nan = f32s(&un_ok(UnaryOp::Sign, &f32v(&[1], &[f32::NAN])));
        assert!(nan[0].is_nan());
        let i = i32v(&[3], &[-3, 0, i32::MIN]);
        assert_eq!(un_ok(UnaryOp::Neg, &i), i32v(&[3], &[3, 0, i32::MIN]));
        assert_eq!(un_ok(UnaryOp::Abs, &i), i32v(&[3], &[3, 0, i32::MIN]));
        assert_eq!(un_ok(UnaryOp::Sign, &i), i32v(&[3], &[-1, 0, -1]));
        assert_eq!(un_ok(UnaryOp::Relu, &i), i32v(&[3], &[0, 0, 0]));
        assert_eq!(un_ok(UnaryOp::Square, &i64v(&[1], &[-5])), i64v(&[1], &[25]));
        let b = boolv(&[2], &[true, false]);
        assert_eq!(un_ok(UnaryOp::Identity, &b), b);
        let mut o = new_out();
        let e = unary(UnaryOp::Sigmoid, &i, &mut o, None).unwrap_err();
        assert_eq!(e.class, ErrorClass::InvalidArgument);
        assert_eq!(e.message, "No OpKernel was registered to support Op 'Sigmoid' with these attrs: [T=DT_INT32]");
        assert_eq!(
            msg(unary(UnaryOp::Neg, &b, &mut o, None)),
            "No OpKernel was registered to support Op 'Neg' with these attrs: [T=DT_BOOL]"
        );
        for op in UnaryOp::ALL {
            assert_eq!(unary(op, &i, &mut o, None).is_err(), op.is_float_only(), "{op:?}");
        }
    }

    fn naive_matmul(a: &[f32], sa: &[usize], b: &[f32], sb: &[usize], ta: bool, tb: bool) -> (Vec<f32>, usize, usize) {
        let at = |i: usize, p: usize| {
            if ta { a[p * sa[1] + i] } else { a[i * sa[1] + p] }
        };
        let bt = |p: usize, j: usize| {
            if tb { b[j * sb[1] + p] } else { b[p * sb[1] + j] }
        };
        let (m, k) = if ta { (sa[1], sa[0]) } else { (sa[0], sa[1]) };
        let n = if tb { sb[0] } else { sb[1] };
        let mut c = vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0f64;
                for p in 0..k {
                    s += at(i, p) as f64 * bt(p, j) as f64;
                }
                c[i * n + j] = s as f32;
            }
        }
        (c, m, n)
    }

    #[test]
    fn matmul_transposes_match_naive() {
        let mut g = Lcg(11);
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let (m, k, n) = (3, 4, 5);
            let sa = if ta { [k, m] } else { [m, k] };
            let sb = if tb { [n, k] } else { [k, n] };
            let (da, db) = (g.vec(m * k), g.vec(k * n));
            let (want, wm, wn) = naive_matmul(&da, &sa, &db, &sb, ta, tb);
            let mut o = new_out();
            matmul(&f32v(&sa, &da), &f32v(&sb, &db), ta, tb, &mut o, None).unwrap();
            assert_eq!(o.shape(), &[wm, wn]);
            close(&f32s(&o), &want, 1e-5);
            // f64 and int paths.
            let a64 = f64v(&sa, &da.iter().map(|&x| x as f64).collect::<Vec<_>>());
            let b64 = f64v(&sb, &db.iter().map(|&x| x as f64).collect::<Vec<_>>());
            matmul(&a64, &b64, ta, tb, &mut o, None).unwrap();
            close(&f64s(&o).iter().map(|&x| x as f32).collect::<Vec<_>>(), &want, 1e-5);
            let ai: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
            let bi: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 - 2.0).collect();
            let (wi, _, _) = naive_matmul(&ai, &sa, &bi, &sb, ta, tb);
            let to_i = |v: &[f32]| v.iter().map(|&x| x as i32).collect::<Vec<_>>();
            matmul(&i32v(&sa, &to_i(&ai)), &i32v(&sb, &to_i(&bi)), ta, tb, &mut o, None).unwrap();
            assert_eq!(o, i32v(&[wm, wn], &to_i(&wi)));
        }
        let r = {
            let mut o = new_out();
            matmul(&f32v(&[1, 2], &[1.0, 2.0]), &f32v(&[2, 1], &[3.0, 4.0]), false, false, &mut o, None).unwrap();
            o
        };
        assert_eq!(f32s(&r), vec![11.0]);
    }

    #[test]
    fn matmul_big_parallel_matches_naive() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let mut g = Lcg(5);
        let (m, k, n) = (300, 200, 150);
        let (da, db) = (g.vec(m * k), g.vec(k * n));
        let (want, _, _) = naive_matmul(&da, &[m, k], &db, &[k, n], false, false);
        let (a, b) = (f32v(&[m, k], &da), f32v(&[k, n], &db));
        let mut o = new_out();
        matmul(&a, &b, false, false, &mut o, Some(&pool)).unwrap();
        assert_eq!(o.shape(), &[m, n]);
        close(&f32s(&o), &want, 1e-4);
        let mut s = new_out();
        matmul(&a, &b, false, false, &mut s, None).unwrap();
        close(&f32s(&s), &want, 1e-4);
        // Transposed big case through the pool too.
        let (want_t, _, _) = naive_matmul(&da, &[k, m], &db, &[n, k], true, true);
        let (at, bt) = (f32v(&[k, m], &da), f32v(&[n, k], &db));
        matmul(&at, &bt, true, true, &mut o, Some(&pool)).unwrap();
        close(&f32s(&o), &want_t, 1e-4);
    }

    #[test]
    fn matmul_errors_and_edges() {
        let mut o = new_out();
        let a = f32v(&[2, 3], &[0.0; 6]);
        assert_eq!(
            msg(matmul(&a, &a, false, false, &mut o, None)),
            "Matrix size-incompatible: In[0]: [2,3], In[1]: [2,3]"
        );
        assert_eq!(
            msg(matmul(&f32v(&[2], &[0.0; 2]), &a, false, false, &mut o, None)),
            "In[0] is not a matrix. Instead it has shape [2]"
        );
        assert_eq!(
            msg(matmul(&a, &f32v(&[], &[0.0]), false, false, &mut o, None)),
            "In[1] is not a matrix. Instead it has shape []"
        );
        assert!(matmul(&a, &i32v(&[3, 2], &[0; 6]), false, false, &mut o, None).is_err());
        assert!(matmul(&boolv(&[1, 1], &[true]), &boolv(&[1, 1], &[true]), false, false, &mut o, None).is_err());
        // k = 0 gives zeros; m = 0 gives an empty result.
        matmul(&f32v(&[2, 0], &[]), &f32v(&[0, 3], &[]), false, false, &mut o, None).unwrap();
        assert_eq!(o, Value::zeros(DType::Float32, &[2, 3]));
        matmul(&f32v(&[0, 2], &[]), &f32v(&[2, 3], &[0.0; 6]), false, false, &mut o, None).unwrap();
        assert_eq!(o.shape(), &[0, 3]);
        // A NaN left in a reused out buffer must not leak into the result (beta = 0).
        let mut o = f32v(&[1, 1], &[f32::NAN]);
        matmul(&f32v(&[1, 1], &[2.0]), &f32v(&[1, 1], &[3.0]), false, false, &mut o, None).unwrap();
        assert_eq!(f32s(&o), vec![6.0]);
    }

    #[test]
    fn reductions() {
        let x = f32v(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(f32s(&red_ok(ReduceOp::Sum, &x, None, false)), vec![21.0]);
        assert_eq!(red_ok(ReduceOp::Sum, &x, None, false).shape(), &[] as &[usize]);
        assert_eq!(red_ok(ReduceOp::Sum, &x, None, true).shape(), &[1, 1]);
        assert_eq!(f32s(&red_ok(ReduceOp::Sum, &x, Some(&[0]), false)), vec![5.0, 7.0, 9.0]);
        assert_eq!(f32s(&red_ok(ReduceOp::Sum, &x, Some(&[1]), false)), vec![6.0, 15.0]);
        let k = red_ok(ReduceOp::Sum, &x, Some(&[-1]), true);
        assert_eq!(k.shape(), &[2, 1]);
        assert_eq!(f32s(&k), vec![6.0, 15.0]);
        assert_eq!(f32s(&red_ok(ReduceOp::Mean, &x, None, false)), vec![21.0 / 6.0]);
        assert_eq!(f32s(&red_ok(ReduceOp::Mean, &x, Some(&[0]), false)), vec![2.5, 3.5, 4.5]);
        assert_eq!(f32s(&red_ok(ReduceOp::Max, &x, Some(&[1]), false)), vec![3.0, 6.0]);
        assert_eq!(f32s(&red_ok(ReduceOp::Min, &x, Some(&[0]), false)), vec![1.0, 2.0, 3.0]);
        assert_eq!(f32s(&red_ok(ReduceOp::Prod, &x, None, false)), vec![720.0]);
        // Duplicate axes and an empty axis list.
        assert_eq!(f32s(&red_ok(ReduceOp::Sum, &x, Some(&[1, -1]), false)), vec![6.0, 15.0]);
        assert_eq!(red_ok(ReduceOp::Sum, &x, Some(&[]), false), x);
        // Integer mean truncates.
        let i = i32v(&[2, 2], &[1, 2, 3, 5]);
        assert_eq!(red_ok(ReduceOp::Mean, &i, Some(&[1]), false), i32v(&[2], &[1, 4]));
        assert_eq!(red_ok(ReduceOp::Mean, &i, None, false), i32v(&[], &[2]));
        assert_eq!(red_ok(ReduceOp::Max, &i64v(&[3], &[-1, 7, 2]), None, false), i64v(&[], &[7]));
        // Scalars.
        assert_eq!(f32s(&red_ok(ReduceOp::Mean, &f32v(&[], &[3.0]), None, false)), vec![3.0]);
        // NaN propagates through max.
        let n = red_ok(ReduceOp::Max, &f32v(&[3], &[1.0, f32::NAN, 2.0]), None, false);
        assert!(f32s(&n)[0].is_nan());
        let mut o = new_out();
        assert_eq!(
            msg(reduce(ReduceOp::Sum, &x, Some(&[5]), false, &mut o)),
            "Invalid reduction dimension (5 for input with 2 dimension(s)"
        );
        assert_eq!(
            msg(reduce(ReduceOp::Sum, &x, Some(&[-3]), false, &mut o)),
            "Invalid reduction dimension (-3 for input with 2 dimension(s)"
        );
        assert!(reduce(ReduceOp::Sum, &boolv(&[1], &[true]), None, false, &mut o).is_err());
        assert_eq!(reduce_output_shape(&[2, 3, 4], Some(&[0, -1]), false).unwrap(), vec![3]);
        assert_eq!(reduce_output_shape(&[2, 3, 4], Some(&[1]), true).unwrap(), vec![2, 1, 4]);
        assert_eq!(reduce_output_shape(&[2, 3], None, false).unwrap(), Vec::<usize>::new());
        assert!(reduce_output_shape(&[2, 3], Some(&[2]), false).is_err());
    }

    #[test]
    fn reductions_match_reference_on_random_axes() {
        let mut g = Lcg(21);
        for _ in 0..300 {
            let rank = (g.next() % 5) as usize;
            let shape: Vec<usize> = (0..rank).map(|_| [1, 2, 3, 4][(g.next() % 4) as usize]).collect();
            let n: usize = shape.iter().product();
            let data: Vec<f32> = (0..n).map(|_| (g.next() % 9) as f32).collect();
            let a = ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap();
            let axes: Vec<i64> = (0..rank as i64).filter(|_| g.next().is_multiple_of(2)).collect();
            let keep = g.next().is_multiple_of(2);
            // Reference: reduce the axes one at a time, highest first.
            let mut want = a.clone();
            let mut sorted = axes.clone();
            sorted.sort_unstable();
            for &ax in sorted.iter().rev() {
                want = want.sum_axis(ndarray::Axis(ax as usize));
                if keep {
                    want = want.insert_axis(ndarray::Axis(ax as usize));
                }
            }
            let x = if g.next().is_multiple_of(3) && rank >= 2 {
                Value::F32(a.t().to_owned())
            } else {
                Value::F32(a.clone())
            };
            let (x_axes, want) = if matches!(&x, Value::F32(t) if t.shape() != a.shape() || (rank >= 2 && !t.is_standard_layout()))
            {
                // Transposed input: reverse the axes and compare against the transposed reference.
                let r = rank as i64;
                let ax: Vec<i64> = axes.iter().map(|&v| r - 1 - v).collect();
                let mut w = match &x {
                    Value::F32(t) => t.clone(),
                    _ => unreachable!(),
                };
                let mut s = ax.clone();
                s.sort_unstable();
                for &v in s.iter().rev() {
                    w = w.sum_axis(ndarray::Axis(v as usize));
                    if keep {
                        w = w.insert_axis(ndarray::Axis(v as usize));
                    }
                }
                (ax, w)
            } else {
                (axes.clone(), want)
            };
            let got = red_ok(ReduceOp::Sum, &x, Some(&x_axes), keep);
            assert_eq!(got.shape(), want.shape(), "{shape:?} {x_axes:?} {keep}");
            assert_eq!(f32s(&got), want.iter().copied().collect::<Vec<_>>(), "{shape:?} {x_axes:?} {keep}");
        }
    }

    #[test]
    fn empty_reductions() {
        let e = f32v(&[0], &[]);
        assert_eq!(f32s(&red_ok(ReduceOp::Sum, &e, None, false)), vec![0.0]);
        assert_eq!(f32s(&red_ok(ReduceOp::Prod, &e, None, false)), vec![1.0]);
        assert_eq!(f32s(&red_ok(ReduceOp::Max, &e, None, false)), vec![f32::NEG_INFINITY]);
        assert_eq!(f32s(&red_ok(ReduceOp::Min, &e, None, false)), vec![f32::INFINITY]);
        assert!(f32s(&red_ok(ReduceOp::Mean, &e, None, false))[0].is_nan());
        let e2 = f32v(&[0, 3], &[]);
        assert_eq!(f32s(&red_ok(ReduceOp::Sum, &e2, Some(&[0]), false)), vec![0.0; 3]);
        assert_eq!(red_ok(ReduceOp::Sum, &e2, Some(&[1]), false).shape(), &[0]);
        let mut o = new_out();
        assert_eq!(msg(reduce(ReduceOp::Mean, &i32v(&[0], &[]), None, false, &mut o)), "Integer division by zero");
        assert_eq!(red_ok(ReduceOp::Max, &i32v(&[0], &[]), None, false), i32v(&[], &[i32::MIN]));
    }

    #[test]
    fn out_buffers_are_reused() {
        let a = f32v(&[2, 3], &[1.0; 6]);
        let b = f32v(&[3], &[2.0; 3]);
        let mut o = new_out();
        binary(BinaryOp::Add, &a, &b, &mut o, None).unwrap();
        let p = ptr(&o);
        binary(BinaryOp::Mul, &a, &b, &mut o, None).unwrap();
        assert_eq!(ptr(&o), p);
        assert_eq!(f32s(&o), vec![2.0; 6]);
        unary(UnaryOp::Exp, &a, &mut o, None).unwrap();
        assert_eq!(ptr(&o), p);
        // A different dtype replaces the buffer.
        binary(BinaryOp::Less, &a, &b, &mut o, None).unwrap();
        assert_eq!(o.dtype(), DType::Bool);
        let mut m = new_out();
        let sq = f32v(&[3, 3], &[1.0; 9]);
        matmul(&sq, &sq, false, false, &mut m, None).unwrap();
        let pm = ptr(&m);
        matmul(&sq, &sq, true, false, &mut m, None).unwrap();
        assert_eq!(ptr(&m), pm);
        let mut r = new_out();
        reduce(ReduceOp::Sum, &a, Some(&[0]), false, &mut r).unwrap();
        let pr = ptr(&r);
        reduce(ReduceOp::Mean, &a, Some(&[0]), false, &mut r).unwrap();
        assert_eq!(ptr(&r), pr);
        let mut f = new_out();
        fill(DType::Float32, &[4], 1.5, &mut f);
        let pf = ptr(&f);
        fill(DType::Float32, &[4], 2.5, &mut f);
        assert_eq!(ptr(&f), pf);
        assert_eq!(f32s(&f), vec![2.5; 4]);
        let mut s = new_out();
        softmax(&a, &mut s).unwrap();
        let ps = ptr(&s);
        softmax(&a, &mut s).unwrap();
        assert_eq!(ptr(&s), ps);
        let mut c = new_out();
        cast(&a, DType::Int32, &mut c).unwrap();
        let pc = ptr(&c);
        cast(&a, DType::Int32, &mut c).unwrap();
        assert_eq!(ptr(&c), pc);
        // A non-standard-layout out is replaced rather than written through strides.
        let mut t = Value::F32(ArrayD::<f32>::zeros(IxDyn(&[3, 2])).t().to_owned());
        binary(BinaryOp::Add, &a, &b, &mut t, None).unwrap();
        assert_eq!(f32s(&t), vec![3.0; 6]);
    }

    #[test]
    fn sum_to_shape_inverts_broadcasting() {
        let g = f32v(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let mut o = new_out();
        sum_to_shape(&g, &[3], &mut o).unwrap();
        assert_eq!(o, f32v(&[3], &[5.0, 7.0, 9.0]));
        sum_to_shape(&g, &[2, 1], &mut o).unwrap();
        assert_eq!(o, f32v(&[2, 1], &[6.0, 15.0]));
        sum_to_shape(&g, &[1, 3], &mut o).unwrap();
        assert_eq!(o, f32v(&[1, 3], &[5.0, 7.0, 9.0]));
        sum_to_shape(&g, &[], &mut o).unwrap();
        assert_eq!(o, f32v(&[], &[21.0]));
        sum_to_shape(&g, &[2, 3], &mut o).unwrap();
        assert_eq!(o, g);
        sum_to_shape(&g, &[1, 1, 1], &mut o).unwrap_err();
        assert_eq!(msg(sum_to_shape(&g, &[4], &mut o)), "Incompatible shapes: [2,3] vs. [4]");
        let g3 = i32v(&[2, 2, 2], &[1, 2, 3, 4, 5, 6, 7, 8]);
        sum_to_shape(&g3, &[2, 1], &mut o).unwrap();
        assert_eq!(o, i32v(&[2, 1], &[1 + 2 + 5 + 6, 3 + 4 + 7 + 8]));
    }

    #[test]
    fn softmax_rows_sum_to_one() {
        let x = f32v(&[2, 3], &[1.0, 2.0, 3.0, 1000.0, 1000.0, -1000.0]);
        let mut o = new_out();
        softmax(&x, &mut o).unwrap();
        let v = f32s(&o);
        let e: Vec<f32> = [-2.0f32, -1.0, 0.0].iter().map(|x| x.exp()).collect();
        let inv = 1.0 / (e[0] + e[1] + e[2]);
        assert_eq!(v[..3], [e[0] * inv, e[1] * inv, e[2] * inv]);
        assert_eq!(v[3..], [0.5, 0.5, 0.0]);
        for row in v.chunks(3) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        assert_eq!(msg(softmax(&f32v(&[], &[1.0]), &mut o)), "logits must have >= 1 dimension, got []");
        assert!(softmax(&i32v(&[1], &[1]), &mut o).is_err());
        softmax(&f32v(&[2, 0], &[]), &mut o).unwrap();
        assert_eq!(o.shape(), &[2, 0]);
    }

    #[test]
    fn sigmoid_xent_matches_formula() {
        let x = f32v(&[2, 2], &[-3.0, -0.5, 0.0, 2.0]);
        let z = f32v(&[2, 2], &[0.0, 1.0, 0.5, 1.0]);
        let mut o = new_out();
        sigmoid_cross_entropy_with_logits(&z, &x, &mut o).unwrap();
        let want: Vec<f32> =
            f32s(&x).iter().zip(f32s(&z)).map(|(&x, z)| x.max(0.0) - x * z + (-x.abs()).exp().ln_1p()).collect();
        assert_eq!(f32s(&o), want);
        // Against the naive definition -z*log(s) - (1-z)*log(1-s).
        let naive: Vec<f32> = f32s(&x)
            .iter()
            .zip(f32s(&z))
            .map(|(&x, z)| {
                let s = 1.0 / (1.0 + (-x).exp());
                -z * s.ln() - (1.0 - z) * (1.0 - s).ln()
            })
            .collect();
        close(&f32s(&o), &naive, 1e-5);
        assert_eq!(
            msg(sigmoid_cross_entropy_with_logits(&f32v(&[2, 2], &[0.0; 4]), &f32v(&[2, 3], &[0.0; 6]), &mut o)),
            "logits and labels must have the same shape ((2, 3) vs (2, 2))"
        );
        assert_eq!(
            msg(sigmoid_cross_entropy_with_logits(&f32v(&[2], &[0.0; 2]), &f32v(&[], &[0.0]), &mut o)),
            "logits and labels must have the same shape (() vs (2,))"
        );
    }

    #[test]
    fn softmax_xent_matches_hand_computation() {
        let x = f32v(&[2, 3], &[1.0, 2.0, 3.0, 0.0, 0.0, 0.0]);
        let z = f32v(&[2, 3], &[0.0, 0.0, 1.0, 0.2, 0.3, 0.5]);
        let (mut loss, mut bp) = (new_out(), new_out());
        softmax_cross_entropy_with_logits(&z, &x, &mut loss, &mut bp).unwrap();
        assert_eq!(loss.shape(), &[2]);
        assert_eq!(bp.shape(), &[2, 3]);
        let l = f32s(&loss);
        let s0 = (1.0f64.exp() + 2.0f64.exp() + 3.0f64.exp()).ln() - 3.0;
        assert!((l[0] as f64 - s0).abs() < 1e-6, "{} vs {s0}", l[0]);
        assert!((l[1] as f64 - 3.0f64.ln()).abs() < 1e-6);
        let mut sm = new_out();
        softmax(&x, &mut sm).unwrap();
        let want: Vec<f32> = f32s(&sm).iter().zip(f32s(&z)).map(|(p, z)| p - z).collect();
        close(&f32s(&bp), &want, 1e-6);
        // Broadcast labels, rank and size errors.
        let zb = f32v(&[1, 3], &[0.0, 0.0, 1.0]);
        softmax_cross_entropy_with_logits(&zb, &x, &mut loss, &mut bp).unwrap();
        assert!((f32s(&loss)[0] as f64 - s0).abs() < 1e-6);
        assert_eq!(
            msg(softmax_cross_entropy_with_logits(&f32v(&[2, 2], &[0.0; 4]), &x, &mut loss, &mut bp)),
            "logits and labels must be broadcastable: logits_size=[2,3] labels_size=[2,2]"
        );
        assert_eq!(
            msg(softmax_cross_entropy_with_logits(&f32v(&[3], &[0.0; 3]), &f32v(&[3], &[0.0; 3]), &mut loss, &mut bp)),
            "logits and labels must be either 2-dimensional, or broadcasted to be 2-dimensional"
        );
        softmax_cross_entropy_with_logits(&f32v(&[2, 0], &[]), &f32v(&[2, 0], &[]), &mut loss, &mut bp).unwrap();
        assert_eq!(f32s(&loss), vec![0.0, 0.0]);
    }

    #[test]
    fn clip_cast_fill() {
        let x = f32v(&[2, 3], &[-2.0, 0.5, 3.0, 1.0, -1.0, 9.0]);
        let mut o = new_out();
        clip_by_value(&x, &f32v(&[], &[0.0]), &f32v(&[], &[2.0]), &mut o).unwrap();
        assert_eq!(f32s(&o), vec![0.0, 0.5, 2.0, 1.0, 0.0, 2.0]);
        let lo = f32v(&[2, 3], &[-3.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        clip_by_value(&x, &lo, &f32v(&[], &[5.0]), &mut o).unwrap();
        assert_eq!(f32s(&o), vec![-2.0, 1.0, 3.0, 1.0, 0.0, 5.0]);
        clip_by_value(&x, &f32v(&[3], &[0.0, 0.0, 4.0]), &f32v(&[3], &[1.0, 1.0, 5.0]), &mut o).unwrap();
        assert_eq!(f32s(&o), vec![0.0, 0.5, 4.0, 1.0, 0.0, 5.0]);
        assert_eq!(
            msg(clip_by_value(&f32v(&[3], &[0.0; 3]), &f32v(&[2, 3], &[0.0; 6]), &f32v(&[], &[1.0]), &mut o)),
            "Shapes (3,) and (2, 3) are not compatible"
        );
        assert!(clip_by_value(&x, &f32v(&[2], &[0.0; 2]), &f32v(&[], &[1.0]), &mut o).is_err());
        assert!(clip_by_value(&x, &i32v(&[], &[0]), &f32v(&[], &[1.0]), &mut o).is_err());
        clip_by_value(&i32v(&[3], &[-5, 5, 50]), &i32v(&[], &[0]), &i32v(&[], &[10]), &mut o).unwrap();
        assert_eq!(o, i32v(&[3], &[0, 5, 10]));

        let c = f32v(&[4], &[1.7, -1.7, 0.0, f32::NAN]);
        cast(&c, DType::Int32, &mut o).unwrap();
        assert_eq!(o, i32v(&[4], &[1, -1, 0, 0]));
        cast(&c, DType::Bool, &mut o).unwrap();
        assert_eq!(o, boolv(&[4], &[true, true, false, true]));
        cast(&boolv(&[2], &[true, false]), DType::Float64, &mut o).unwrap();
        assert_eq!(o, f64v(&[2], &[1.0, 0.0]));
        cast(&i64v(&[1], &[3]), DType::Int64, &mut o).unwrap();
        assert_eq!(o, i64v(&[1], &[3]));

        fill(DType::Int32, &[2, 2], 3.9, &mut o);
        assert_eq!(o, i32v(&[2, 2], &[3; 4]));
        fill(DType::Bool, &[], 1.0, &mut o);
        assert_eq!(o, boolv(&[], &[true]));
        assert_eq!(
            try_fill(DType::Float64, &[usize::MAX, 4], 0.0, &mut o).unwrap_err().class,
            ErrorClass::ResourceExhausted
        );
        fill(DType::Float64, &[usize::MAX, 4], 0.0, &mut o);
        assert_eq!(o.shape(), &[0]);
    }

    #[test]
    fn no_panics_on_empty_or_odd_inputs() {
        let shapes: [&[usize]; 5] = [&[0], &[0, 3], &[2, 0], &[], &[1, 0, 1]];
        let mut o = new_out();
        for s in shapes {
            let n: usize = s.iter().product();
            let vals = [
                f32v(s, &vec![1.0; n]),
                f64v(s, &vec![1.0; n]),
                i32v(s, &vec![1; n]),
                i64v(s, &vec![1; n]),
                boolv(s, &vec![true; n]),
            ];
            for v in &vals {
                for op in UnaryOp::ALL {
                    let _ = unary(op, v, &mut o, None);
                }
                for op in BinaryOp::ALL {
                    let _ = binary(op, v, v, &mut o, None);
                    let _ = binary(op, v, &f32v(&[], &[0.0]), &mut o, None);
                    let _ = binary(op, v, &i32v(&[], &[0]), &mut o, None);
                }
                for op in ReduceOp::ALL {
                    let _ = reduce(op, v, None, false, &mut o);
                    let _ = reduce(op, v, Some(&[0]), true, &mut o);
                    let _ = reduce(op, v, Some(&[-1, 1]), false, &mut o);
                }
                let _ = matmul(v, v, false, true, &mut o, None);
                let _ = softmax(v, &mut o);
                let (mut l, mut b) = (new_out(), new_out());
                let _ = softmax_cross_entropy_with_logits(v, v, &mut l, &mut b);
                let _ = sigmoid_cross_entropy_with_logits(v, v, &mut o);
                let _ = clip_by_value(v, v, v, &mut o);
                let _ = sum_to_shape(v, &[], &mut o);
                let _ = sum_to_shape(v, s, &mut o);
                for d in DType::ALL {
                    cast(v, d, &mut o).unwrap();
                    assert_eq!(o.shape(), s);
                }
            }
        }
        // Broadcast shapes too large to describe are an error, not a panic.
        let a = f32v(&[1 << 40, 1, 0], &[]);
        let b = f32v(&[1, 1 << 40, 0], &[]);
        let e = binary(BinaryOp::Add, &a, &b, &mut o, None).unwrap_err();
        assert_eq!(e.class, ErrorClass::ResourceExhausted);
        let many: Vec<usize> = vec![1; MAX_RANK + 1];
        let e = binary(BinaryOp::Add, &f32v(&many, &[1.0]), &f32v(&[], &[1.0]), &mut o, None).unwrap_err();
        assert_eq!(e.class, ErrorClass::Unimplemented);
    }
}
