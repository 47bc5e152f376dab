//! The values a Python program handles: Python's own (None, bools, ints, floats, strings, lists,
//! tuples, dicts, ranges, functions), numpy's (arrays and their scalars, `RandomState`), TF's
//! handles (tensors, operations, graphs, sessions, dtypes, optimizers, configs, context
//! managers), modules and builtins by their dotted name; and how Python prints them (`str`,
//! `repr`, shortest round-trip floats).

use crate::engine::dtype::DType;
use crate::engine::graph::{Initializer, NodeId, Output};
use crate::engine::kernels::random::RandomState;
use crate::engine::runtime::session::ConfigProto;
use crate::engine::value::Value;
use crate::python::errors::{PyError, PyResult};
use rustpython_parser::ast;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A scope of names (a function's locals, captured by the functions defined in it).
pub type Scope = Rc<RefCell<HashMap<String, PyValue>>>;

/// A function the program defined (`def` or `lambda`).
#[derive(Debug)]
pub struct Function {
    /// Its name (`<lambda>` for a lambda).
    pub name: String,
    /// Parameters with their default values.
    pub params: Vec<(String, Option<PyValue>)>,
    /// The body.
    pub body: FunctionBody,
    /// The locals of the function it was defined in, if any.
    pub enclosing: Option<Scope>,
}

/// A function's code.
#[derive(Debug)]
pub enum FunctionBody {
    /// `def`: statements.
    Def(Vec<ast::Stmt>),
    /// `lambda`: one expression.
    Lambda(ast::Expr),
}

/// numpy's legacy generator: MT19937 and the second normal of the last Box-Muller pair.
#[derive(Clone, Debug)]
pub struct NpRandom {
    /// The Mersenne Twister.
    pub rs: RandomState,
    /// `gauss` kept for the next `randn`.
    pub gauss: Option<f64>,
}

impl NpRandom {
    /// `RandomState(seed)`.
    pub fn new(seed: u32) -> NpRandom {
        NpRandom { rs: RandomState::new(seed), gauss: None }
    }

    /// One standard normal, as numpy's legacy `gauss` (the polar Box-Muller method).
    pub fn gauss(&mut self) -> f64 {
        if let Some(g) = self.gauss.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.rs.random_sample() - 1.0;
            let x2 = 2.0 * self.rs.random_sample() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.gauss = Some(f * x1);
                return f * x2;
            }
        }
    }
}

/// A numpy array (or numpy scalar, of shape `()`), with where it came from when a session run
/// fetched it (for `flowbench import`).
#[derive(Debug)]
pub struct Array {
    /// The data.
    pub value: Value,
    /// `(index of the recorded run step, position of the fetch)`.
    pub origin: Option<(usize, usize)>,
    /// The `input_data` set (or batch of it) it holds.
    pub data: Option<crate::python::idx_data::DataRef>,
}

/// `with ...:` context managers.
#[derive(Clone, Debug)]
pub enum Context {
    /// `g.as_default()`.
    GraphDefault(usize),
    /// `g.device(spec)` / `tf.device(spec)` on graph `g` (the default graph when entered for
    /// `tf.device`).
    Device(Option<usize>, String),
    /// `tf.variable_scope(name, reuse=...)`.
    VariableScope(String, bool),
    /// `tf.name_scope(name)`.
    NameScope(String),
    /// `sess.as_default()`.
    SessionDefault(usize),
    /// `tf.control_dependencies([...])`.
    ControlDependencies(Vec<NodeId>),
}

/// Objects with hyper-parameters that build graph parts when a method is called.
#[derive(Clone, Debug)]
pub enum TfObject {
    /// `tf.train.XOptimizer(...)`, with a learning-rate tensor when one was given.
    Optimizer(crate::engine::autodiff::optimizers::Optimizer, Option<Output>),
    /// `tf.train.ExponentialMovingAverage(decay, num_updates)` on graph `usize`.
    MovingAverage(usize, f64, Option<Output>),
    /// `tf.train.Saver(var_list, max_to_keep)` on graph `usize`.
    Saver(usize, crate::project::script::SaverVars, u32),
    /// `tf.train.NewCheckpointReader(path)`.
    CheckpointReader(String),
    /// `tf.ConfigProto(...)`, with the name it is recorded under.
    Config(ConfigProto),
    /// `tf.GPUOptions(...)`.
    GpuOptions(crate::engine::runtime::session::GpuOptions),
    /// An initializer (`tf.zeros_initializer()`, `tf.random_normal_initializer(...)`).
    Initializer(Initializer),
}

/// A Python value.
#[derive(Clone, Debug)]
pub enum PyValue {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An int (64-bit here).
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(Rc<str>),
    /// A list.
    List(Rc<RefCell<Vec<PyValue>>>),
    /// A tuple.
    Tuple(Rc<Vec<PyValue>>),
    /// A dict, in insertion order.
    Dict(Rc<RefCell<Vec<(PyValue, PyValue)>>>),
    /// `range(start, stop, step)`.
    Range(i64, i64, i64),
    /// A slice `a:b:c` (inside `x[...]`).
    Slice(Option<i64>, Option<i64>, Option<i64>),
    /// A function of the program.
    Function(Rc<Function>),
    /// A module or namespace by dotted name (`tf`, `tf.train`, `np.random`, `os.path`).
    Module(Rc<str>),
    /// A builtin function by dotted name (`print`, `tf.constant`, `np.zeros`).
    Builtin(Rc<str>),
    /// A method bound to its object (`sess.run`, `xs.append`).
    Method(Box<PyValue>, Rc<str>),
    /// A class by name, as `type(e)` returns it.
    Type(Rc<str>),
    /// An exception object (`except Exception as e`).
    Exception(Rc<str>, Rc<str>),
    /// A numpy array or scalar.
    Array(Rc<Array>),
    /// `numpy.random.RandomState`.
    RandomState(Rc<RefCell<NpRandom>>),
    /// A tensor: output of a node of workspace graph `graph`.
    Tensor(usize, Output),
    /// An operation: a node of workspace graph `graph`.
    Operation(usize, NodeId),
    /// A graph (workspace index).
    Graph(usize),
    /// A session (workspace index).
    Session(usize),
    /// A dtype (`tf.float32`, `np.float32`).
    DType(DType),
    /// A variable's reference dtype (`float32_ref`).
    RefDType(DType),
    /// A tensor's static shape (`TensorShape`), dims `None` where unknown.
    Shape(Option<Vec<Option<usize>>>),
    /// A `with` context manager.
    Context(Rc<Context>),
    /// A TF object with methods.
    Object(Rc<TfObject>),
    /// `input_data.read_data_sets(...)` (index into the runtime's `mnist`): the `Datasets`
    /// (`None`) or one `DataSet` of it.
    Mnist(usize, Option<crate::train::data::idx::Split>),
}

/// The positional and keyword arguments of a call.
#[derive(Debug, Default)]
pub struct Args {
    /// Positional.
    pub pos: Vec<PyValue>,
    /// Keyword, in order.
    pub kw: Vec<(String, PyValue)>,
}

impl Args {
    /// Positional `i` or keyword `name`.
    pub fn get(&self, i: usize, name: &str) -> Option<&PyValue> {
        self.pos.get(i).or_else(|| self.kw.iter().find(|(k, _)| k == name).map(|(_, v)| v))
    }

    /// A keyword only.
    pub fn kw(&self, name: &str) -> Option<&PyValue> {
        self.kw.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Positional `i` or keyword `name`, required by `func`.
    pub fn req(&self, i: usize, name: &str, func: &str) -> PyResult<&PyValue> {
        self.get(i, name)
            .ok_or_else(|| PyError::type_error(format!("{func}() missing 1 required positional argument: '{name}'")))
    }

    /// Refuses keywords outside `known` and more positionals than `max_pos`, naming `func`.
    pub fn check(&self, func: &str, max_pos: usize, known: &[&str]) -> PyResult<()> {
        if self.pos.len() > max_pos {
            return Err(PyError::type_error(format!(
                "{func}() takes at most {max_pos} positional arguments ({} given)",
                self.pos.len()
            )));
        }
        for (k, _) in &self.kw {
            if !known.contains(&k.as_str()) {
                return Err(PyError::unsupported(format!("the argument '{k}' of {func}()")));
            }
        }
        Ok(())
    }
}

impl PyValue {
    /// A string value.
    pub fn str(s: impl AsRef<str>) -> PyValue {
        PyValue::Str(Rc::from(s.as_ref()))
    }

    /// A list value.
    pub fn list(items: Vec<PyValue>) -> PyValue {
        PyValue::List(Rc::new(RefCell::new(items)))
    }

    /// A tuple value.
    pub fn tuple(items: Vec<PyValue>) -> PyValue {
        PyValue::Tuple(Rc::new(items))
    }

    /// A numpy array value.
    pub fn array(value: Value) -> PyValue {
        PyValue::Array(Rc::new(Array { value, origin: None, data: None }))
    }

    /// Python's name of the value's type (`type(x).__name__`).
    pub fn type_name(&self) -> String {
        match self {
            PyValue::None => "NoneType".into(),
            PyValue::Bool(_) => "bool".into(),
            PyValue::Int(_) => "int".into(),
            PyValue::Float(_) => "float".into(),
            PyValue::Str(_) => "str".into(),
            PyValue::List(_) => "list".into(),
            PyValue::Tuple(_) => "tuple".into(),
            PyValue::Dict(_) => "dict".into(),
            PyValue::Range(..) => "range".into(),
            PyValue::Slice(..) => "slice".into(),
            PyValue::Function(_) => "function".into(),
            PyValue::Module(_) => "module".into(),
            PyValue::Builtin(_) => "builtin_function_or_method".into(),
            PyValue::Method(..) => "method".into(),
            PyValue::Type(_) => "type".into(),
            PyValue::Exception(c, _) => c.to_string(),
            PyValue::Array(a) if a.value.shape().is_empty() => a.value.dtype().name().to_string(),
            PyValue::Array(_) => "ndarray".into(),
            PyValue::RandomState(_) => "RandomState".into(),
            PyValue::Tensor(..) => "Tensor".into(),
            PyValue::Operation(..) => "Operation".into(),
            PyValue::Graph(_) => "Graph".into(),
            PyValue::Session(_) => "Session".into(),
            PyValue::DType(_) | PyValue::RefDType(_) => "DType".into(),
            PyValue::Shape(_) => "TensorShape".into(),
            PyValue::Context(_) => "_GeneratorContextManager".into(),
            PyValue::Object(o) => match o.as_ref() {
                TfObject::Optimizer(opt, _) => format!("{}Optimizer", opt.name()),
                TfObject::MovingAverage(..) => "ExponentialMovingAverage".into(),
                TfObject::Saver(..) => "Saver".into(),
                TfObject::CheckpointReader(_) => "CheckpointReader".into(),
                TfObject::Config(_) => "ConfigProto".into(),
                TfObject::GpuOptions(_) => "GPUOptions".into(),
                TfObject::Initializer(_) => "Initializer".into(),
            },
            PyValue::Mnist(_, None) => "Datasets".into(),
            PyValue::Mnist(_, Some(_)) => "DataSet".into(),
        }
    }

    /// Python's truth value.
    pub fn truthy(&self) -> PyResult<bool> {
        Ok(match self {
            PyValue::None => false,
            PyValue::Bool(b) => *b,
            PyValue::Int(i) => *i != 0,
            PyValue::Float(f) => *f != 0.0,
            PyValue::Str(s) => !s.is_empty(),
            PyValue::List(l) => !l.borrow().is_empty(),
            PyValue::Tuple(t) => !t.is_empty(),
            PyValue::Dict(d) => !d.borrow().is_empty(),
            PyValue::Range(a, b, s) => range_len(*a, *b, *s) > 0,
            PyValue::Array(a) => {
                if a.value.len() == 1 {
                    a.value.first_f64().is_some_and(|x| x != 0.0)
                } else if a.value.is_empty() {
                    false
                } else {
                    return Err(PyError::value_error(
                        "The truth value of an array with more than one element is ambiguous. Use a.any() or a.all()",
                    ));
                }
            }
            PyValue::Tensor(..) => {
                return Err(PyError::type_error(
                    "Using a `tf.Tensor` as a Python `bool` is not allowed in Graph execution. Use Eager execution or decorate this function with @tf.function.",
                ));
            }
            _ => true,
        })
    }

    /// A Python int or float (bools count as ints; numpy scalars as their value).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            PyValue::Bool(b) => Some(f64::from(u8::from(*b))),
            PyValue::Int(i) => Some(*i as f64),
            PyValue::Float(f) => Some(*f),
            PyValue::Array(a) if a.value.shape().is_empty() => a.value.first_f64(),
            _ => None,
        }
    }

    /// An int (bools count; numpy integer scalars too).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            PyValue::Bool(b) => Some(i64::from(*b)),
            PyValue::Int(i) => Some(*i),
            PyValue::Array(a) if a.value.shape().is_empty() && !a.value.dtype().is_float() => {
                a.value.first_f64().map(|x| x as i64)
            }
            _ => None,
        }
    }

    /// A string's text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PyValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `str(x)` for values that need no session or graph to print (the evaluator handles
    /// tensors, operations and graphs).
    pub fn to_str(&self) -> String {
        match self {
            PyValue::Str(s) => s.to_string(),
            PyValue::Array(a) => a.value.to_numpy_string(),
            PyValue::Exception(_, m) => m.to_string(),
            other => other.repr(),
        }
    }

    /// `repr(x)`.
    pub fn repr(&self) -> String {
        match self {
            PyValue::None => "None".into(),
            PyValue::Bool(true) => "True".into(),
            PyValue::Bool(false) => "False".into(),
            PyValue::Int(i) => i.to_string(),
            PyValue::Float(f) => float_repr(*f),
            PyValue::Str(s) => crate::interpreter::checkpoint::py_repr(s),
            PyValue::List(l) => repr_once(l, "[...]", || format!("[{}]", join_reprs(&l.borrow()))),
            PyValue::Tuple(t) if t.len() == 1 => format!("({},)", t[0].repr()),
            PyValue::Tuple(t) => format!("({})", join_reprs(t)),
            PyValue::Dict(d) => repr_once(d, "{...}", || {
                let parts: Vec<String> =
                    d.borrow().iter().map(|(k, v)| format!("{}: {}", k.repr(), v.repr())).collect();
                format!("{{{}}}", parts.join(", "))
            }),
            PyValue::Range(a, b, 1) => format!("range({a}, {b})"),
            PyValue::Range(a, b, s) => format!("range({a}, {b}, {s})"),
            PyValue::Slice(a, b, c) => {
                let f = |x: &Option<i64>| x.map_or("None".to_string(), |v| v.to_string());
                format!("slice({}, {}, {})", f(a), f(b), f(c))
            }
            PyValue::Function(f) => format!("<function {}>", f.name),
            PyValue::Module(m) => format!("<module '{m}'>"),
            PyValue::Builtin(b) => format!("<built-in function {b}>"),
            PyValue::Method(_, m) => format!("<bound method {m}>"),
            PyValue::Type(t) => format!("<class '{t}'>"),
            PyValue::Exception(c, m) => format!("{c}({})", crate::interpreter::checkpoint::py_repr(m)),
            PyValue::Array(a) => array_repr(&a.value).unwrap_or_else(|| a.value.to_numpy_string()),
            PyValue::DType(d) => format!("tf.{}", d.name()),
            PyValue::RefDType(d) => format!("tf.{}_ref", d.name()),
            PyValue::Shape(s) => shape_str(s),
            other => format!("<{} object>", other.type_name()),
        }
    }
}

/// numpy's `repr` of an array (`array([1., 2.], dtype=float32)`, `np.float32(4.5)` for a
/// scalar), for arrays of rank 1 or 2 whose rows fit on a line; `None` otherwise.
pub fn array_repr(v: &Value) -> Option<String> {
    let shape = v.shape().to_vec();
    if shape.is_empty() {
        return v.to_numpy_repr().ok();
    }
    if shape.len() > 2 || shape.contains(&0) {
        return None;
    }
    let text = v.to_numpy_string();
    if text.contains("...") {
        return None;
    }
    let row = |line: &str, n: usize| -> Option<String> {
        let inner = line.trim_start().trim_start_matches('[').trim_end_matches(']');
        let len = inner.chars().count();
        if !(len + 1).is_multiple_of(n) {
            return None;
        }
        let w = (len + 1) / n - 1;
        let chars: Vec<char> = inner.chars().collect();
        let elems: Vec<String> = (0..n).map(|i| chars[i * (w + 1)..i * (w + 1) + w].iter().collect()).collect();
        Some(format!("[{}]", elems.join(", ")))
    };
    let lines: Vec<&str> = text.lines().collect();
    let body = if shape.len() == 1 {
        if lines.len() != 1 {
            return None;
        }
        row(lines[0], shape[0])?
    } else {
        if lines.len() != shape[0] {
            return None;
        }
        let rows = lines.iter().map(|l| row(l, shape[1])).collect::<Option<Vec<_>>>()?;
        format!("[{}]", rows.join(",\n       "))
    };
    let suffix = match v.dtype() {
        DType::Float32 => ", dtype=float32",
        DType::Int32 => ", dtype=int32",
        _ => "",
    };
    let out = format!("array({body}{suffix})");
    out.lines().all(|l| l.chars().count() <= 75).then_some(out)
}

/// Whether `repr` of `v` is exact (arrays inside are within [`array_repr`]'s reach).
pub fn repr_is_exact(v: &PyValue) -> bool {
    match v {
        PyValue::Array(a) => array_repr(&a.value).is_some(),
        PyValue::List(l) => walk_once(l, true, || l.borrow().iter().all(repr_is_exact)),
        PyValue::Tuple(t) => t.iter().all(repr_is_exact),
        PyValue::Dict(d) => walk_once(d, true, || d.borrow().iter().all(|(k, x)| repr_is_exact(k) && repr_is_exact(x))),
        _ => true,
    }
}

fn join_reprs(items: &[PyValue]) -> String {
    items.iter().map(PyValue::repr).collect::<Vec<_>>().join(", ")
}

/// A `TensorShape`'s `str`: `(2, 3)`, `(?, 2)`, `<unknown>`.
pub fn shape_str(s: &Option<Vec<Option<usize>>>) -> String {
    match s {
        None => "<unknown>".into(),
        Some(d) => {
            let parts: Vec<String> = d.iter().map(|x| x.map_or("?".to_string(), |v| v.to_string())).collect();
            if parts.len() == 1 { format!("({},)", parts[0]) } else { format!("({})", parts.join(", ")) }
        }
    }
}

thread_local! {
    /// The lists and dicts being walked (written or checked), innermost last.
    static OPEN: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// `walk()` for the container `c`, or `cycle` where `c` is already being walked further out (a
/// list that contains itself: Python writes it `[[...]]`).
pub fn walk_once<T, R>(c: &Rc<T>, cycle: R, walk: impl FnOnce() -> R) -> R {
    let id = Rc::as_ptr(c) as *const () as usize;
    if OPEN.with(|open| open.borrow().contains(&id)) {
        return cycle;
    }
    OPEN.with(|open| open.borrow_mut().push(id));
    let out = walk();
    OPEN.with(|open| open.borrow_mut().pop());
    out
}

/// `repr` of the container `c` by `write`, or `cycle` (`[...]`, `{...}`) inside itself.
pub fn repr_once<T>(c: &Rc<T>, cycle: &str, write: impl FnOnce() -> String) -> String {
    walk_once(c, cycle.to_string(), write)
}

/// The number of items of `range(a, b, s)`.
/// (Worked in i128: any i64 bounds and step; a length beyond i64 is clamped.)
pub fn range_len(a: i64, b: i64, s: i64) -> i64 {
    let (a, b, s) = (i128::from(a), i128::from(b), i128::from(s));
    let n = if s > 0 && b > a {
        (b - a - 1) / s + 1
    } else if s < 0 && a > b {
        (a - b - 1) / (-s) + 1
    } else {
        0
    };
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Python's `repr(float)`: the shortest string that reads back to the same double, in fixed
/// notation for exponents from -4 to 15 (`0.0001`, `1e-05`, `1e+16`, `3.0`).
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let sci = format!("{:e}", x.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let digits = if digits.is_empty() { "0".to_string() } else { digits };
    let sign = if x.is_sign_negative() { "-" } else { "" };
    let decpt = exp + 1;
    let n = digits.len() as i32;
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    if decpt <= -4 || decpt > 16 {
        let (first, rest) = digits.split_at(1);
        let mant = if rest.is_empty() { first.to_string() } else { format!("{first}.{rest}") };
        let e = decpt - 1;
        let esign = if e < 0 { '-' } else { '+' };
        return format!("{sign}{mant}e{esign}{:02}", e.abs());
    }
    if decpt <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if decpt >= n {
        format!("{sign}{digits}{}.0", "0".repeat((decpt - n) as usize))
    } else {
        let (a, b) = digits.split_at(decpt as usize);
        format!("{sign}{a}.{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_does() {
        for (x, want) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e-10, "1e-10"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123.456, "123.456"),
            (-2.5, "-2.5"),
            (0.0, "0.0"),
            (1.5e300, "1.5e+300"),
            (0.30000000000000004, "0.30000000000000004"),
        ] {
            assert_eq!(float_repr(x), want, "{x}");
        }
    }

    #[test]
    fn arrays_repr_as_numpy_does() {
        let v = Value::from_json(&serde_json::json!([[1.0, 2.0], [3.0, 40.5]]), None).unwrap();
        assert_eq!(array_repr(&v).unwrap(), "array([[ 1. ,  2. ],\n       [ 3. , 40.5]], dtype=float32)");
        let v = Value::from_json(&serde_json::json!([0.0, 16.0]), None).unwrap();
        assert_eq!(array_repr(&v).unwrap(), "array([ 0., 16.], dtype=float32)");
    }

    #[test]
    fn containers_print_as_python_does() {
        let v = PyValue::list(vec![PyValue::Int(1), PyValue::Float(2.0), PyValue::str("a'b"), PyValue::None]);
        assert_eq!(v.repr(), "[1, 2.0, \"a'b\", None]");
        assert_eq!(PyValue::tuple(vec![PyValue::Int(1)]).repr(), "(1,)");
        assert_eq!(range_len(0, 10, 3), 4);
        assert_eq!(range_len(10, 0, -3), 4);
    }
}
