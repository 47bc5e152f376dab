//! The TF API under the names TF gives it (`tf.constant`, `tf.nn.relu`, `tf.train.AdamOptimizer`,
//! `tf.Session`, ...), mapped onto the engine's graph builders with TF's default node names;
//! operators on tensors (`a + b`, `1 - y_`, `-x`, `a @ b`); attributes and methods of tensors,
//! operations, graphs, sessions and TF objects; `with` blocks on graphs, devices, scopes and
//! sessions; and how TF values print.

use crate::engine::autodiff::optimizers::{MinimizeOptions, Optimizer, minimize_with};
use crate::engine::dtype::DType;
use crate::engine::graph::elementwise::{BinaryOp, ReduceOp, UnaryOp};
use crate::engine::graph::op::{ConstValue, Op};
use crate::engine::graph::{Initializer, NodeId, NodeSpec, Output};
use crate::engine::runtime::session::{ConfigProto, GpuOptions};
use crate::engine::runtime::workspace::NamedFeed;
use crate::engine::shape::Shape;
use crate::python::errors::{PyError, PyResult};
use crate::python::numpy::{Flavor, shape_arg, to_value};
use crate::python::runtime::Runtime;
use crate::python::value::{Args, Array, Context, PyValue, TfObject, shape_str};
use std::rc::Rc;

/// The `tf.*` names this reads (beside the ones computed from the op tables).
const FUNCTIONS: &[&str] = &[
    "disable_v2_behavior",
    "disable_eager_execution",
    "constant",
    "placeholder",
    "Variable",
    "get_variable",
    "zeros_initializer",
    "ones_initializer",
    "constant_initializer",
    "random_normal_initializer",
    "truncated_normal_initializer",
    "random_uniform_initializer",
    "random_normal",
    "truncated_normal",
    "random_uniform",
    "zeros",
    "ones",
    "fill",
    "matmul",
    "divide",
    "clip_by_value",
    "where",
    "cast",
    "argmax",
    "add_n",
    "gradients",
    "zeros_like",
    "ones_like",
    "assign",
    "assign_add",
    "assign_sub",
    "global_variables_initializer",
    "initialize_all_variables",
    "group",
    "no_op",
    "control_dependencies",
    "global_variables",
    "trainable_variables",
    "add_to_collection",
    "get_collection",
    "Graph",
    "get_default_graph",
    "reset_default_graph",
    "set_random_seed",
    "Session",
    "InteractiveSession",
    "get_default_session",
    "ConfigProto",
    "GPUOptions",
    "device",
    "name_scope",
    "variable_scope",
    "nn.l2_loss",
    "nn.softmax",
    "nn.sigmoid_cross_entropy_with_logits",
    "nn.softmax_cross_entropy_with_logits",
    "nn.softmax_cross_entropy_with_logits_v2",
    "nn.sparse_softmax_cross_entropy_with_logits",
    "train.GradientDescentOptimizer",
    "train.AdamOptimizer",
    "train.MomentumOptimizer",
    "train.RMSPropOptimizer",
    "train.exponential_decay",
    "train.ExponentialMovingAverage",
    "train.Saver",
    "train.NewCheckpointReader",
    "random.set_random_seed",
    "random.normal",
    "random.truncated_normal",
    "random.uniform",
    "math.log",
    "nn.sigmoid",
    "nn.tanh",
    "math.sigmoid",
    "math.tanh",
    "math.exp",
    "math.sqrt",
    "math.square",
    "math.abs",
];

/// Submodules of `tf`.
const MODULES: &[&str] =
    &["nn", "train", "compat", "compat.v1", "random", "math", "GraphKeys", "errors", "initializers"];

/// Resolves `tf.<path>` (`tf.nn`, `tf.float32`, `tf.constant`); `None` where TF has it but
/// flowbench does not.
pub fn module_attr(path: &str) -> Option<PyValue> {
    let path = path.strip_prefix("compat.v1.").unwrap_or(path);
    if path == "compat.v1" || path == "compat" {
        return Some(PyValue::Module("tf".into()));
    }
    if MODULES.contains(&path) {
        return Some(PyValue::Module(format!("tf.{path}").into()));
    }
    if let Some(d) = DType::parse(path) {
        return Some(PyValue::DType(d));
    }
    match path {
        "GraphKeys.GLOBAL_VARIABLES" => return Some(PyValue::str("variables")),
        "GraphKeys.TRAINABLE_VARIABLES" => return Some(PyValue::str("trainable_variables")),
        "GraphKeys.LOSSES" => return Some(PyValue::str("losses")),
        "GraphKeys.MOVING_AVERAGE_VARIABLES" => return Some(PyValue::str("moving_average_variables")),
        "AUTO_REUSE" => return Some(PyValue::Bool(true)),
        "newaxis" => return Some(PyValue::None),
        _ => {}
    }
    if let Some(e) = path.strip_prefix("errors.") {
        return Some(PyValue::Type(e.into()));
    }
    let known = FUNCTIONS.contains(&path)
        || BinaryOp::ALL.iter().any(|b| b.facts().python.strip_prefix("tf.") == Some(path))
        || UnaryOp::ALL.iter().any(|u| u.facts().python.strip_prefix("tf.") == Some(path))
        || ReduceOp::ALL.iter().any(|r| r.facts().python.strip_prefix("tf.") == Some(path));
    known.then(|| PyValue::Builtin(format!("tf.{path}").into()))
}

fn tensor_of(v: &PyValue) -> Option<(usize, Output)> {
    match v {
        PyValue::Tensor(g, t) => Some((*g, *t)),
        _ => None,
    }
}

fn dtype_of(rt: &Runtime<'_>, g: usize, t: Output) -> PyResult<DType> {
    Ok(rt.graph(g)?.output_info(t).map_or(DType::Float32, |i| i.0))
}

fn opt_dtype(v: Option<&PyValue>) -> PyResult<Option<DType>> {
    match v {
        None | Some(PyValue::None) => Ok(None),
        Some(PyValue::DType(d) | PyValue::RefDType(d)) => Ok(Some(*d)),
        Some(PyValue::Builtin(b)) if b.as_ref() == "float" => Ok(Some(DType::Float32)),
        Some(PyValue::Builtin(b)) if b.as_ref() == "int" => Ok(Some(DType::Int32)),
        Some(other) => Err(PyError::type_error(format!("Cannot convert {} to a DType.", other.repr()))),
    }
}

fn opt_str(v: Option<&PyValue>) -> PyResult<Option<String>> {
    match v {
        None | Some(PyValue::None) => Ok(None),
        Some(PyValue::Str(s)) => Ok(Some(s.to_string())),
        Some(other) => Err(PyError::type_error(format!("name must be a string, got {}", other.repr()))),
    }
}

fn num(v: Option<&PyValue>, default: f64, what: &str) -> PyResult<f64> {
    match v {
        None => Ok(default),
        Some(x) => x.as_f64().ok_or_else(|| PyError::unsupported(format!("a {} {what}", x.type_name()))),
    }
}

fn opt_seed(v: Option<&PyValue>) -> PyResult<Option<i64>> {
    match v {
        None | Some(PyValue::None) => Ok(None),
        Some(x) => x.as_i64().map(Some).ok_or_else(|| PyError::type_error("seed must be an int")),
    }
}

/// The graph a call builds in: the graph of its first tensor argument, else the default graph.
fn graph_for(rt: &Runtime<'_>, vals: &[&PyValue]) -> usize {
    for v in vals {
        match v {
            PyValue::Tensor(g, _) | PyValue::Operation(g, _) => return *g,
            PyValue::List(l) => {
                if let Some(g) = l.borrow().iter().find_map(|x| tensor_of(x).map(|t| t.0)) {
                    return g;
                }
            }
            _ => {}
        }
    }
    rt.default_graph()
}

/// A tensor of graph `g` for `v`: the tensor itself, or a constant named `name` (in the current
/// scope) made from a Python value of dtype `hint`.
fn as_tensor(rt: &mut Runtime<'_>, g: usize, v: &PyValue, hint: Option<DType>, name: &str) -> PyResult<Output> {
    match v {
        PyValue::Tensor(tg, t) => {
            if *tg != g {
                let gr = rt.graph(*tg)?;
                return Err(PyError::value_error(format!(
                    "Tensor(\"{}\") must be from the same graph as the other inputs.",
                    gr.tensor_name(*t)
                )));
            }
            Ok(*t)
        }
        PyValue::Operation(..) => Err(PyError::type_error("Can not convert a Operation into a Tensor.")),
        other => {
            let value = to_value(other, hint, Flavor::Tf)?;
            let value = match hint {
                Some(d) if value.dtype() != d => value.cast(d),
                _ => value,
            };
            let spec = control_spec(rt, g, Op::Const { value: ConstValue(value) }, vec![]);
            Ok(rt.graph_mut(g)?.add(Some(name), spec)?.out())
        }
    }
}

fn control_spec(rt: &Runtime<'_>, _g: usize, op: Op, inputs: Vec<Output>) -> NodeSpec {
    let mut spec = NodeSpec::new(op, inputs);
    spec.control_inputs = rt.control_deps.iter().flatten().copied().collect();
    spec
}

/// Adds op `op` named `name` (made unique) with inputs that may be Python values: each is
/// converted inside the op's name scope to a constant named after its argument (`sub/x`), as
/// TF's op helper does, with the dtype of the first tensor input.
fn apply_op(rt: &mut Runtime<'_>, g: usize, name: &str, op: Op, inputs: &[(&str, &PyValue)]) -> PyResult<Output> {
    let hint = inputs.iter().find_map(|(_, v)| tensor_of(v)).map(|(tg, t)| dtype_of(rt, tg, t)).transpose()?;
    if inputs.iter().all(|(_, v)| matches!(v, PyValue::Tensor(..))) {
        let ins = inputs.iter().map(|(n, v)| as_tensor(rt, g, v, hint, n)).collect::<PyResult<Vec<_>>>()?;
        let spec = control_spec(rt, g, op, ins);
        return Ok(rt.graph_mut(g)?.add(Some(name), spec)?.out());
    }
    let scope = rt.graph_mut(g)?.push_name_scope(name);
    let ins = inputs.iter().map(|(n, v)| as_tensor(rt, g, v, hint, n)).collect::<PyResult<Vec<_>>>();
    rt.graph_mut(g)?.pop_name_scope();
    let spec = control_spec(rt, g, op, ins?);
    let gr = rt.graph_mut(g)?;
    let full = scope;
    let saved = gr.current_name_scope();
    let _ = saved;
    Ok(gr.add_exact_name(&full, spec)?.out())
}

/// `a <op> b` where one side is a tensor (`a + b` is `add`, `1 - y_` is `sub` with `sub/x`).
pub fn binary_operator(rt: &mut Runtime<'_>, op: &str, a: &PyValue, b: &PyValue) -> PyResult<PyValue> {
    let g = graph_for(rt, &[a, b]);
    let (kind, name) = match op {
        "+" => (BinaryOp::Add, "add"),
        "-" => (BinaryOp::Sub, "sub"),
        "*" => (BinaryOp::Mul, "mul"),
        "/" => (BinaryOp::Div, "truediv"),
        "**" => (BinaryOp::Pow, "pow"),
        "<" => (BinaryOp::Less, "Less"),
        ">" => (BinaryOp::Greater, "Greater"),
        "<=" => (BinaryOp::LessEqual, "LessEqual"),
        ">=" => (BinaryOp::GreaterEqual, "GreaterEqual"),
        "@" => {
            let t = apply_op(
                rt,
                g,
                "matmul",
                Op::MatMul { transpose_a: false, transpose_b: false },
                &[("a", a), ("b", b)],
            )?;
            return Ok(PyValue::Tensor(g, t));
        }
        other => return Err(PyError::unsupported(format!("the operator {other} on tensors"))),
    };
    let t = apply_op(rt, g, name, Op::Binary { kind }, &[("x", a), ("y", b)])?;
    Ok(PyValue::Tensor(g, t))
}

/// `-x` on a tensor.
pub fn negate(rt: &mut Runtime<'_>, x: &PyValue) -> PyResult<PyValue> {
    let g = graph_for(rt, &[x]);
    let t = apply_op(rt, g, "Neg", Op::Unary { kind: UnaryOp::Neg }, &[("x", x)])?;
    Ok(PyValue::Tensor(g, t))
}

fn tensor_list(v: &PyValue) -> PyResult<Vec<PyValue>> {
    match v {
        PyValue::List(l) => Ok(l.borrow().clone()),
        PyValue::Tuple(t) => Ok(t.as_ref().clone()),
        other => Ok(vec![other.clone()]),
    }
}

/// The tensors of a list, tuple or single tensor `v`, with their graphs; `TypeError: {err}` when
/// an item is not a tensor.
fn tensors_of(v: &PyValue, err: &str) -> PyResult<Vec<(usize, Output)>> {
    tensor_list(v)?.iter().map(|x| tensor_of(x).ok_or_else(|| PyError::type_error(err))).collect()
}

fn node_of(v: &PyValue) -> PyResult<(usize, NodeId)> {
    match v {
        PyValue::Tensor(g, t) => Ok((*g, t.node)),
        PyValue::Operation(g, n) => Ok((*g, *n)),
        other => {
            Err(PyError::type_error(format!("Can not convert a {} into a Tensor or Operation.", other.type_name())))
        }
    }
}

fn initializer_arg(v: Option<&PyValue>) -> PyResult<Option<Initializer>> {
    Ok(match v {
        None | Some(PyValue::None) => None,
        Some(PyValue::Object(o)) => match o.as_ref() {
            TfObject::Initializer(i) => Some(i.clone()),
            _ => return Err(PyError::unsupported("this initializer")),
        },
        Some(PyValue::Builtin(b)) if b.as_ref() == "tf.zeros_initializer" => Some(Initializer::Zeros),
        Some(PyValue::Builtin(b)) if b.as_ref() == "tf.ones_initializer" => Some(Initializer::Ones),
        Some(other) => return Err(PyError::unsupported(format!("the initializer {}", other.repr()))),
    })
}

fn make_variable(rt: &mut Runtime<'_>, args: &Args) -> PyResult<PyValue> {
    args.check("Variable", 3, &["initial_value", "trainable", "name", "dtype", "validate_shape", "collections"])?;
    let init = args.req(0, "initial_value", "Variable")?.clone();
    let name = opt_str(args.get(2, "name"))?.unwrap_or_else(|| "Variable".to_string());
    let dtype = opt_dtype(args.kw("dtype"))?;
    let trainable = match args.get(1, "trainable") {
        None => true,
        Some(v) => v.truthy()?,
    };
    let g = graph_for(rt, &[&init]);
    let full = rt.graph_mut(g)?.push_name_scope(&name);
    let value = match &init {
        PyValue::Tensor(..) => as_tensor(rt, g, &init, None, "initial_value"),
        other => as_tensor(rt, g, other, dtype, "initial_value"),
    };
    rt.graph_mut(g)?.pop_name_scope();
    let value = value?;
    let gr = rt.graph_mut(g)?;
    let Some((vdtype, shape)) = gr.output_info(value).cloned() else {
        return Err(PyError::value_error("initial_value is not an element of this graph."));
    };
    if !shape.is_fully_defined() {
        return Err(PyError::value_error(format!(
            "initial_value must have a shape specified: {}",
            gr.tensor_repr(value)
        )));
    }
    let var = gr.add_exact_name(&full, NodeSpec::new(Op::Variable { dtype: vdtype, shape }, vec![]))?;
    gr.add_exact_name(
        &format!("{full}/Assign"),
        NodeSpec::new(Op::Assign { initializer: true }, vec![var.out(), value]),
    )?;
    if !trainable {
        gr.set_trainable(var.out(), false);
    }
    Ok(PyValue::Tensor(g, var.out()))
}

fn optimizer(name: &str, args: &Args) -> PyResult<PyValue> {
    let lr_arg = args.req(0, "learning_rate", name)?;
    let (lr, lr_tensor) = match lr_arg {
        PyValue::Tensor(_, t) => (0.0, Some(*t)),
        other => {
            (other.as_f64().ok_or_else(|| PyError::type_error("learning_rate must be a number or a tensor"))?, None)
        }
    };
    let opt = match name {
        "GradientDescentOptimizer" => {
            args.check(name, 2, &["learning_rate", "use_locking", "name"])?;
            Optimizer::GradientDescent { learning_rate: lr }
        }
        "AdamOptimizer" => {
            args.check(name, 4, &["learning_rate", "beta1", "beta2", "epsilon", "use_locking", "name"])?;
            Optimizer::Adam {
                learning_rate: lr,
                beta1: num(args.get(1, "beta1"), 0.9, "beta1")?,
                beta2: num(args.get(2, "beta2"), 0.999, "beta2")?,
                epsilon: num(args.get(3, "epsilon"), 1e-8, "epsilon")?,
            }
        }
        "MomentumOptimizer" => {
            args.check(name, 3, &["learning_rate", "momentum", "use_locking", "name", "use_nesterov"])?;
            Optimizer::Momentum {
                learning_rate: lr,
                momentum: num(Some(args.req(1, "momentum", name)?), 0.0, "momentum")?,
                use_nesterov: args.kw("use_nesterov").map(PyValue::truthy).transpose()?.unwrap_or(false),
            }
        }
        _ => {
            args.check(name, 4, &["learning_rate", "decay", "momentum", "epsilon", "use_locking", "centered", "name"])?;
            Optimizer::RMSProp {
                learning_rate: lr,
                decay: num(args.get(1, "decay"), 0.9, "decay")?,
                momentum: num(args.get(2, "momentum"), 0.0, "momentum")?,
                epsilon: num(args.get(3, "epsilon"), 1e-10, "epsilon")?,
            }
        }
    };
    Ok(PyValue::Object(Rc::new(TfObject::Optimizer(opt, lr_tensor))))
}

fn config(args: &Args) -> PyResult<ConfigProto> {
    let mut c = ConfigProto::default();
    for (k, v) in &args.kw {
        match k.as_str() {
            "allow_soft_placement" => c.allow_soft_placement = v.truthy()?,
            "log_device_placement" => c.log_device_placement = v.truthy()?,
            "intra_op_parallelism_threads" => {
                c.intra_op_parallelism_threads = v.as_i64().unwrap_or(0).clamp(0, 256) as u32
            }
            "inter_op_parallelism_threads" => {
                c.inter_op_parallelism_threads = v.as_i64().unwrap_or(0).clamp(0, 256) as u32
            }
            "operation_timeout_in_ms" => c.operation_timeout_in_ms = v.as_i64().unwrap_or(0),
            "gpu_options" => match v {
                PyValue::Object(o) => match o.as_ref() {
                    TfObject::GpuOptions(g) => c.gpu_options = g.clone(),
                    _ => return Err(PyError::type_error("gpu_options must be a tf.GPUOptions")),
                },
                _ => return Err(PyError::type_error("gpu_options must be a tf.GPUOptions")),
            },
            other => return Err(PyError::unsupported(format!("ConfigProto's field {other}"))),
        }
    }
    if !args.pos.is_empty() {
        return Err(PyError::type_error("No positional arguments allowed"));
    }
    Ok(c)
}

fn session(rt: &mut Runtime<'_>, args: &Args, interactive: bool) -> PyResult<PyValue> {
    args.check("Session", 3, &["target", "graph", "config"])?;
    if let Some(t) = args.get(0, "target").and_then(PyValue::as_str)
        && !t.is_empty()
    {
        return Err(PyError::unsupported(format!("a session on target '{t}'")));
    }
    let g = match args.get(1, "graph") {
        None | Some(PyValue::None) => rt.default_graph(),
        Some(PyValue::Graph(g)) => *g,
        Some(other) => {
            return Err(PyError::type_error(format!("graph must be a tf.Graph, but got {}", other.type_name())));
        }
    };
    let cfg = match args.get(2, "config") {
        None | Some(PyValue::None) => ConfigProto::default(),
        Some(PyValue::Object(o)) => match o.as_ref() {
            TfObject::Config(c) => c.clone(),
            _ => return Err(PyError::type_error("config must be a tf.ConfigProto")),
        },
        Some(other) => {
            return Err(PyError::type_error(format!("config must be a tf.ConfigProto, but got {}", other.type_name())));
        }
    };
    Ok(PyValue::Session(rt.open_session(g, cfg, interactive)?))
}

/// `tf.<name>(...)`.
pub fn call(rt: &mut Runtime<'_>, name: &str, args: &Args) -> PyResult<PyValue> {
    let f = name.strip_prefix("tf.").unwrap_or(name);
    let f = f.strip_prefix("compat.v1.").unwrap_or(f);
    if let Some(kind) = BinaryOp::ALL.iter().copied().find(|b| b.facts().python.strip_prefix("tf.") == Some(f)) {
        let (x, y) = (args.req(0, "x", f)?.clone(), args.req(1, "y", f)?.clone());
        let default = match kind {
            BinaryOp::Add => "Add",
            other => other.tf_name(),
        };
        let nm = opt_str(args.get(2, "name"))?.unwrap_or_else(|| default.to_string());
        let g = graph_for(rt, &[&x, &y]);
        return Ok(PyValue::Tensor(g, apply_op(rt, g, &nm, Op::Binary { kind }, &[("x", &x), ("y", &y)])?));
    }
    if let Some(kind) = UnaryOp::ALL.iter().copied().find(|u| {
        let p = u.facts().python.strip_prefix("tf.");
        p == Some(f) || p == f.strip_prefix("math.") || p == f.strip_prefix("nn.")
    }) {
        let x = args.req(0, "x", f)?.clone();
        let nm = opt_str(args.get(1, "name"))?.unwrap_or_else(|| kind.facts().default_name.to_string());
        let g = graph_for(rt, &[&x]);
        return Ok(PyValue::Tensor(g, apply_op(rt, g, &nm, Op::Unary { kind }, &[("x", &x)])?));
    }
    if let Some(kind) = ReduceOp::ALL.iter().copied().find(|r| r.facts().python.strip_prefix("tf.") == Some(f)) {
        args.check(f, 4, &["input_tensor", "axis", "keepdims", "name", "reduction_indices", "keep_dims"])?;
        let x = args.req(0, "input_tensor", f)?.clone();
        let axis = args.get(1, "axis").or(args.kw("reduction_indices"));
        let keep = args.get(2, "keepdims").or(args.kw("keep_dims")).map(PyValue::truthy).transpose()?.unwrap_or(false);
        let nm = opt_str(args.get(3, "name"))?.unwrap_or_else(|| kind.facts().tf_name.to_string());
        let axes = match axis {
            None | Some(PyValue::None) => None,
            Some(a) => Some(match a {
                PyValue::List(_) | PyValue::Tuple(_) => tensor_list(a)?
                    .iter()
                    .map(|x| x.as_i64().ok_or_else(|| PyError::type_error("axis must be ints")))
                    .collect::<PyResult<Vec<_>>>()?,
                x => vec![x.as_i64().ok_or_else(|| PyError::type_error("axis must be an int"))?],
            }),
        };
        let g = graph_for(rt, &[&x]);
        let t = as_tensor(rt, g, &x, None, "input_tensor")?;
        if axes.is_none() {
            // TF makes the reduction indices a `Const` beside the op: the name is used.
            rt.graph_mut(g)?.unique_name("Const");
        }
        let spec = control_spec(rt, g, Op::Reduce { kind, axes, keep_dims: keep }, vec![t]);
        return Ok(PyValue::Tensor(g, rt.graph_mut(g)?.add(Some(&nm), spec)?.out()));
    }
    match f {
        "disable_v2_behavior" | "disable_eager_execution" | "logging.set_verbosity" => Ok(PyValue::None),
        "constant" => {
            args.check("constant", 4, &["value", "dtype", "shape", "name", "verify_shape"])?;
            let v = args.req(0, "value", "constant")?;
            let dtype = opt_dtype(args.get(1, "dtype"))?;
            let name = opt_str(args.get(3, "name"))?.unwrap_or_else(|| "Const".to_string());
            let mut value = to_value(v, dtype, Flavor::Tf)?;
            if let Some(d) = dtype
                && value.dtype() != d
            {
                value = value.cast(d);
            }
            if let Some(s) = args.get(2, "shape").filter(|s| !matches!(s, PyValue::None)) {
                let shape = shape_arg(s)?;
                let n: usize = shape.iter().product();
                if value.len() == 1 {
                    value =
                        crate::engine::value::Value::filled(value.dtype(), &shape, value.first_f64().unwrap_or(0.0));
                } else if value.len() == n {
                    value = crate::python::numpy::from_f64(value.dtype(), &shape, value.to_f64_vec())?;
                } else {
                    return Err(PyError::type_error(format!(
                        "Eager execution of tf.constant with unsupported shape. Tensor {} (converted from {}) has {} elements, but got `shape` {} with {} elements).",
                        v.repr(),
                        v.repr(),
                        value.len(),
                        crate::engine::kernels::py_shape(&shape),
                        n
                    )));
                }
            }
            let g = rt.default_graph();
            let spec = control_spec(rt, g, Op::Const { value: ConstValue(value) }, vec![]);
            Ok(PyValue::Tensor(g, rt.graph_mut(g)?.add(Some(&name), spec)?.out()))
        }
        "placeholder" => {
            args.check("placeholder", 3, &["dtype", "shape", "name"])?;
            let dtype = opt_dtype(Some(args.req(0, "dtype", "placeholder")?))?.unwrap_or(DType::Float32);
            let shape = match args.get(1, "shape") {
                None | Some(PyValue::None) => Shape::unknown(),
                Some(s) => {
                    let dims = tensor_list(s)?;
                    let mut out = Vec::with_capacity(dims.len());
                    for d in dims {
                        out.push(match d {
                            PyValue::None => None,
                            x => Some(
                                x.as_i64()
                                    .filter(|v| *v >= 0)
                                    .ok_or_else(|| PyError::type_error("shape dims must be ints or None"))?
                                    as usize,
                            ),
                        });
                    }
                    Shape::from_dims(out)
                }
            };
            let name = opt_str(args.get(2, "name"))?;
            let g = rt.default_graph();
            Ok(PyValue::Tensor(
                g,
                rt.graph_mut(g)?.placeholder(dtype, shape, Some(name.as_deref().unwrap_or("Placeholder")))?,
            ))
        }
        "Variable" => make_variable(rt, args),
        "get_variable" => {
            args.check("get_variable", 4, &["name", "shape", "dtype", "initializer", "trainable"])?;
            let name = args
                .req(0, "name", "get_variable")?
                .as_str()
                .ok_or_else(|| PyError::type_error("name must be a string"))?
                .to_string();
            let shape = match args.get(1, "shape") {
                None | Some(PyValue::None) => None,
                Some(s) => Some(shape_arg(s)?),
            };
            let dtype = opt_dtype(args.get(2, "dtype"))?.unwrap_or(DType::Float32);
            let init = initializer_arg(args.get(3, "initializer"))?;
            let g = rt.default_graph();
            let v = rt.graph_mut(g)?.get_variable(&name, shape.as_deref(), dtype, init.as_ref())?;
            if let Some(t) = args.kw("trainable")
                && !t.truthy()?
            {
                rt.graph_mut(g)?.set_trainable(v, false);
            }
            Ok(PyValue::Tensor(g, v))
        }
        "zeros_initializer" | "initializers.zeros" => {
            Ok(PyValue::Object(Rc::new(TfObject::Initializer(Initializer::Zeros))))
        }
        "ones_initializer" | "initializers.ones" => {
            Ok(PyValue::Object(Rc::new(TfObject::Initializer(Initializer::Ones))))
        }
        "constant_initializer" => Ok(PyValue::Object(Rc::new(TfObject::Initializer(Initializer::Constant {
            value: num(args.get(0, "value"), 0.0, "value")?,
        })))),
        "random_normal_initializer" | "truncated_normal_initializer" => {
            let (mean, stddev, seed) = (
                num(args.get(0, "mean"), 0.0, "mean")?,
                num(args.get(1, "stddev"), 1.0, "stddev")?,
                opt_seed(args.get(2, "seed"))?,
            );
            Ok(PyValue::Object(Rc::new(TfObject::Initializer(if f.starts_with("random") {
                Initializer::RandomNormal { mean, stddev, seed }
            } else {
                Initializer::TruncatedNormal { mean, stddev, seed }
            }))))
        }
        "random_uniform_initializer" => {
            Ok(PyValue::Object(Rc::new(TfObject::Initializer(Initializer::RandomUniform {
                minval: num(args.get(0, "minval"), 0.0, "minval")?,
                maxval: num(args.get(1, "maxval"), 1.0, "maxval")?,
                seed: opt_seed(args.get(2, "seed"))?,
            }))))
        }
        "random_normal" | "random.normal" | "truncated_normal" | "random.truncated_normal" => {
            args.check(f, 6, &["shape", "mean", "stddev", "dtype", "seed", "name"])?;
            let shape = shape_arg(args.req(0, "shape", f)?)?;
            let (mean, stddev) = (num(args.get(1, "mean"), 0.0, "mean")?, num(args.get(2, "stddev"), 1.0, "stddev")?);
            let dtype = opt_dtype(args.get(3, "dtype"))?.unwrap_or(DType::Float32);
            let seed = opt_seed(args.get(4, "seed"))?;
            let name = opt_str(args.get(5, "name"))?;
            let g = rt.default_graph();
            let gr = rt.graph_mut(g)?;
            let t = if f.contains("truncated") {
                gr.truncated_normal(&shape, mean, stddev, seed, dtype, name.as_deref())?
            } else {
                gr.random_normal(&shape, mean, stddev, seed, dtype, name.as_deref())?
            };
            Ok(PyValue::Tensor(g, t))
        }
        "random_uniform" | "random.uniform" => {
            args.check(f, 6, &["shape", "minval", "maxval", "dtype", "seed", "name"])?;
            let shape = shape_arg(args.req(0, "shape", f)?)?;
            let (lo, hi) = (num(args.get(1, "minval"), 0.0, "minval")?, num(args.get(2, "maxval"), 1.0, "maxval")?);
            let dtype = opt_dtype(args.get(3, "dtype"))?.unwrap_or(DType::Float32);
            let seed = opt_seed(args.get(4, "seed"))?;
            let name = opt_str(args.get(5, "name"))?;
            let g = rt.default_graph();
            Ok(PyValue::Tensor(g, rt.graph_mut(g)?.random_uniform(&shape, lo, hi, seed, dtype, name.as_deref())?))
        }
        "zeros" | "ones" => {
            let shape = shape_arg(args.req(0, "shape", f)?)?;
            let dtype = opt_dtype(args.get(1, "dtype"))?.unwrap_or(DType::Float32);
            let name = opt_str(args.get(2, "name"))?.unwrap_or_else(|| f.to_string());
            let g = rt.default_graph();
            Ok(PyValue::Tensor(
                g,
                rt.graph_mut(g)?.fill(dtype, &shape, if f == "ones" { 1.0 } else { 0.0 }, Some(&name))?,
            ))
        }
        "fill" => {
            let shape = shape_arg(args.req(0, "dims", f)?)?;
            let v = args.req(1, "value", f)?;
            let value = to_value(v, None, Flavor::Tf)?;
            let name = opt_str(args.get(2, "name"))?.unwrap_or_else(|| "Fill".to_string());
            let g = rt.default_graph();
            Ok(PyValue::Tensor(
                g,
                rt.graph_mut(g)?.fill(value.dtype(), &shape, value.first_f64().unwrap_or(0.0), Some(&name))?,
            ))
        }
        "matmul" => {
            args.check("matmul", 5, &["a", "b", "transpose_a", "transpose_b", "name"])?;
            let (a, b) = (args.req(0, "a", f)?.clone(), args.req(1, "b", f)?.clone());
            let ta = args.get(2, "transpose_a").map(PyValue::truthy).transpose()?.unwrap_or(false);
            let tb = args.get(3, "transpose_b").map(PyValue::truthy).transpose()?.unwrap_or(false);
            let name = opt_str(args.get(4, "name"))?.unwrap_or_else(|| "MatMul".to_string());
            let g = graph_for(rt, &[&a, &b]);
            Ok(PyValue::Tensor(
                g,
                apply_op(rt, g, &name, Op::MatMul { transpose_a: ta, transpose_b: tb }, &[("a", &a), ("b", &b)])?,
            ))
        }
        "divide" => {
            let (x, y) = (args.req(0, "x", f)?.clone(), args.req(1, "y", f)?.clone());
            let name = opt_str(args.get(2, "name"))?.unwrap_or_else(|| "truediv".to_string());
            let g = graph_for(rt, &[&x, &y]);
            Ok(PyValue::Tensor(g, apply_op(rt, g, &name, Op::Binary { kind: BinaryOp::Div }, &[("x", &x), ("y", &y)])?))
        }
        "clip_by_value" => {
            let t = args.req(0, "t", f)?.clone();
            let lo = num(Some(args.req(1, "clip_value_min", f)?), 0.0, "clip_value_min")?;
            let hi = num(Some(args.req(2, "clip_value_max", f)?), 0.0, "clip_value_max")?;
            let name = opt_str(args.get(3, "name"))?;
            let g = graph_for(rt, &[&t]);
            let t = as_tensor(rt, g, &t, None, "t")?;
            Ok(PyValue::Tensor(g, rt.graph_mut(g)?.clip_by_value(t, lo, hi, name.as_deref())?))
        }
        "where" => {
            let (c, x, y) =
                (args.req(0, "condition", f)?.clone(), args.req(1, "x", f)?.clone(), args.req(2, "y", f)?.clone());
            let name = opt_str(args.get(3, "name"))?.unwrap_or_else(|| "Select".to_string());
            let g = graph_for(rt, &[&c, &x, &y]);
            Ok(PyValue::Tensor(g, apply_op(rt, g, &name, Op::Select, &[("condition", &c), ("x", &x), ("y", &y)])?))
        }
        "cast" => {
            let x = args.req(0, "x", f)?.clone();
            let to = opt_dtype(Some(args.req(1, "dtype", f)?))?.unwrap_or(DType::Float32);
            let name = opt_str(args.get(2, "name"))?.unwrap_or_else(|| "Cast".to_string());
            let g = graph_for(rt, &[&x]);
            Ok(PyValue::Tensor(g, apply_op(rt, g, &name, Op::Cast { to }, &[("x", &x)])?))
        }
        "argmax" => {
            let x = args.req(0, "input", f)?.clone();
            let axis = args.get(1, "axis").or(args.kw("dimension")).and_then(PyValue::as_i64).unwrap_or(0);
            let name = opt_str(args.get(2, "name"))?.unwrap_or_else(|| "ArgMax".to_string());
            let g = graph_for(rt, &[&x]);
            Ok(PyValue::Tensor(
                g,
                apply_op(rt, g, &name, Op::ArgMax { axis, output_type: DType::Int64 }, &[("input", &x)])?,
            ))
        }
        "nn.l2_loss" | "nn.softmax" | "zeros_like" | "ones_like" => {
            let x = args.req(0, "t", f)?.clone();
            let (op, default) = match f {
                "nn.l2_loss" => (Op::L2Loss, "L2Loss"),
                "nn.softmax" => (Op::Softmax, "Softmax"),
                "zeros_like" => (Op::ZerosLike, "zeros_like"),
                _ => (Op::OnesLike, "ones_like"),
            };
            let name = opt_str(args.kw("name"))?.unwrap_or_else(|| default.to_string());
            let g = graph_for(rt, &[&x]);
            Ok(PyValue::Tensor(g, apply_op(rt, g, &name, op, &[("t", &x)])?))
        }
        "add_n" => {
            let items = tensor_list(args.req(0, "inputs", f)?)?;
            if items.is_empty() {
                return Err(PyError::value_error(
                    "inputs must be a list of at least one Tensor with the same dtype and shape",
                ));
            }
            let name = opt_str(args.get(1, "name"))?.unwrap_or_else(|| "AddN".to_string());
            let refs: Vec<&PyValue> = items.iter().collect();
            let g = graph_for(rt, &refs);
            let named: Vec<(&str, &PyValue)> = items.iter().map(|v| ("inputs", v)).collect();
            Ok(PyValue::Tensor(g, apply_op(rt, g, &name, Op::AddN { n: items.len() }, &named)?))
        }
        "nn.sigmoid_cross_entropy_with_logits"
        | "nn.softmax_cross_entropy_with_logits"
        | "nn.softmax_cross_entropy_with_logits_v2"
        | "nn.sparse_softmax_cross_entropy_with_logits" => {
            let labels = args
                .kw("labels")
                .cloned()
                .ok_or_else(|| PyError::value_error("labels and logits must be given by keyword"))?;
            let logits = args
                .kw("logits")
                .cloned()
                .ok_or_else(|| PyError::value_error("labels and logits must be given by keyword"))?;
            let op = match f {
                "nn.sigmoid_cross_entropy_with_logits" => Op::SigmoidCrossEntropyWithLogits,
                "nn.sparse_softmax_cross_entropy_with_logits" => Op::SparseSoftmaxCrossEntropyWithLogits,
                _ => Op::SoftmaxCrossEntropyWithLogits,
            };
            let name = opt_str(args.kw("name"))?.unwrap_or_else(|| op.default_name().to_string());
            let g = graph_for(rt, &[&logits, &labels]);
            // The engine's sparse op takes (features, labels), as TF's; the other two (labels,
            // logits).
            let inputs: [(&str, &PyValue); 2] = if op == Op::SparseSoftmaxCrossEntropyWithLogits {
                [("logits", &logits), ("labels", &labels)]
            } else {
                [("labels", &labels), ("logits", &logits)]
            };
            Ok(PyValue::Tensor(g, apply_op(rt, g, &name, op, &inputs)?))
        }
        "assign" | "assign_add" | "assign_sub" => {
            let (r, v) = (args.req(0, "ref", f)?.clone(), args.req(1, "value", f)?.clone());
            let (op, default) = match f {
                "assign" => (Op::Assign { initializer: false }, "Assign"),
                "assign_add" => (Op::AssignAdd, "AssignAdd"),
                _ => (Op::AssignSub, "AssignSub"),
            };
            let name = opt_str(args.get(2, "name").or(args.kw("name")))?.unwrap_or_else(|| default.to_string());
            let g = graph_for(rt, &[&r]);
            Ok(PyValue::Tensor(g, apply_op(rt, g, &name, op, &[("ref", &r), ("value", &v)])?))
        }
        "global_variables_initializer" | "initialize_all_variables" => {
            let g = rt.default_graph();
            Ok(PyValue::Operation(g, rt.graph_mut(g)?.global_variables_initializer()?))
        }
        "group" => {
            let mut nodes = Vec::new();
            let mut g = rt.default_graph();
            for v in &args.pos {
                for x in tensor_list(v)? {
                    let (xg, n) = node_of(&x)?;
                    g = xg;
                    nodes.push(n);
                }
            }
            let name = opt_str(args.kw("name"))?;
            Ok(PyValue::Operation(g, rt.graph_mut(g)?.group(&nodes, name.as_deref())?))
        }
        "no_op" => {
            let name = opt_str(args.get(0, "name"))?.unwrap_or_else(|| "NoOp".to_string());
            let g = rt.default_graph();
            let spec = control_spec(rt, g, Op::NoOp, vec![]);
            Ok(PyValue::Operation(g, rt.graph_mut(g)?.add(Some(&name), spec)?))
        }
        "control_dependencies" => {
            let mut nodes = Vec::new();
            for x in tensor_list(args.req(0, "control_inputs", f)?)? {
                nodes.push(node_of(&x)?.1);
            }
            Ok(PyValue::Context(Rc::new(Context::ControlDependencies(nodes))))
        }
        "gradients" => {
            let known =
                ["ys", "xs", "grad_ys", "name", "colocate_gradients_with_ops", "gate_gradients", "aggregation_method"];
            args.check("gradients", 3, &known)?;
            if !matches!(args.get(2, "grad_ys"), None | Some(PyValue::None)) {
                return Err(PyError::unsupported("tf.gradients with grad_ys"));
            }
            if opt_str(args.kw("name"))?.is_some_and(|n| n != "gradients") {
                return Err(PyError::unsupported("tf.gradients with a name other than 'gradients'"));
            }
            let ys = tensors_of(args.req(0, "ys", f)?, "ys must be Tensors")?;
            let xs = tensors_of(args.req(1, "xs", f)?, "xs must be Tensors")?;
            let Some(&(g, _)) = ys.first().or(xs.first()) else { return Ok(PyValue::list(Vec::new())) };
            if ys.iter().chain(&xs).any(|&(h, _)| h != g) {
                return Err(PyError::value_error("ys and xs must be from the same graph."));
            }
            let (ys, xs): (Vec<Output>, Vec<Output>) =
                (ys.iter().map(|t| t.1).collect(), xs.iter().map(|t| t.1).collect());
            let grads = crate::engine::autodiff::gradients::gradients(rt.graph_mut(g)?, &ys, &xs)?;
            Ok(PyValue::list(grads.into_iter().map(|t| t.map_or(PyValue::None, |t| PyValue::Tensor(g, t))).collect()))
        }
        "global_variables" | "trainable_variables" => {
            let g = rt.default_graph();
            let gr = rt.graph(g)?;
            let vars = if f == "global_variables" {
                gr.variables().iter().map(|(v, _)| v.out()).collect()
            } else {
                gr.trainable_variables()
            };
            Ok(PyValue::list(vars.into_iter().map(|v| PyValue::Tensor(g, v)).collect()))
        }
        "add_to_collection" => {
            let name = args
                .req(0, "name", f)?
                .as_str()
                .ok_or_else(|| PyError::type_error("name must be a string"))?
                .to_string();
            let v = args.req(1, "value", f)?;
            let (g, t) = tensor_of(v).ok_or_else(|| PyError::unsupported("adding a non-tensor to a collection"))?;
            rt.graph_mut(g)?.add_to_collection(&name, t);
            Ok(PyValue::None)
        }
        "get_collection" => {
            let name =
                args.req(0, "key", f)?.as_str().ok_or_else(|| PyError::type_error("key must be a string"))?.to_string();
            let g = rt.default_graph();
            let items = rt.graph(g)?.get_collection(&name);
            Ok(PyValue::list(items.into_iter().map(|t| PyValue::Tensor(g, t)).collect()))
        }
        "Graph" => Ok(PyValue::Graph(rt.new_graph())),
        "get_default_graph" => Ok(PyValue::Graph(rt.default_graph())),
        "reset_default_graph" => {
            rt.reset_default_graph()?;
            Ok(PyValue::None)
        }
        "set_random_seed" | "random.set_random_seed" => {
            let seed = opt_seed(args.get(0, "seed"))?;
            let g = rt.default_graph();
            rt.graph_mut(g)?.seed = seed;
            Ok(PyValue::None)
        }
        "Session" => session(rt, args, false),
        "InteractiveSession" => session(rt, args, true),
        "get_default_session" => Ok(rt.ws.default_session().map_or(PyValue::None, PyValue::Session)),
        "ConfigProto" => Ok(PyValue::Object(Rc::new(TfObject::Config(config(args)?)))),
        "GPUOptions" => {
            let mut o = GpuOptions::default();
            for (k, v) in &args.kw {
                match k.as_str() {
                    "allow_growth" => o.allow_growth = v.truthy()?,
                    "per_process_gpu_memory_fraction" => o.per_process_gpu_memory_fraction = v.as_f64().unwrap_or(0.0),
                    other => return Err(PyError::unsupported(format!("GPUOptions' field {other}"))),
                }
            }
            Ok(PyValue::Object(Rc::new(TfObject::GpuOptions(o))))
        }
        "device" => {
            let spec = args
                .req(0, "device_name", f)?
                .as_str()
                .ok_or_else(|| PyError::unsupported("a device function"))?
                .to_string();
            Ok(PyValue::Context(Rc::new(Context::Device(None, spec))))
        }
        "name_scope" => {
            let name = args
                .req(0, "name", f)?
                .as_str()
                .ok_or_else(|| PyError::type_error("name must be a string"))?
                .to_string();
            Ok(PyValue::Context(Rc::new(Context::NameScope(name))))
        }
        "variable_scope" => {
            let name = match args.req(0, "name_or_scope", f)? {
                PyValue::Str(s) => s.to_string(),
                other => return Err(PyError::unsupported(format!("a variable scope from {}", other.type_name()))),
            };
            let reuse = args.get(2, "reuse").map(PyValue::truthy).transpose()?.unwrap_or(false);
            Ok(PyValue::Context(Rc::new(Context::VariableScope(name, reuse))))
        }
        "train.GradientDescentOptimizer"
        | "train.AdamOptimizer"
        | "train.MomentumOptimizer"
        | "train.RMSPropOptimizer" => optimizer(&f["train.".len()..], args),
        "train.exponential_decay" => {
            args.check(f, 6, &["learning_rate", "global_step", "decay_steps", "decay_rate", "staircase", "name"])?;
            let lr = num(Some(args.req(0, "learning_rate", f)?), 0.0, "learning_rate")?;
            let step = args.req(1, "global_step", f)?;
            let (g, step) =
                tensor_of(step).ok_or_else(|| PyError::unsupported("a global_step that is not a variable"))?;
            let ds = args.req(2, "decay_steps", f)?;
            let decay = crate::engine::autodiff::decay::ExponentialDecay {
                learning_rate: lr,
                decay_steps: num(Some(ds), 1.0, "decay_steps")?,
                integer_steps: matches!(ds, PyValue::Int(_)),
                decay_rate: num(Some(args.req(3, "decay_rate", f)?), 1.0, "decay_rate")?,
                staircase: args.get(4, "staircase").map(PyValue::truthy).transpose()?.unwrap_or(false),
            };
            Ok(PyValue::Tensor(g, decay.build(rt.graph_mut(g)?, step)?))
        }
        "train.ExponentialMovingAverage" => {
            let decay = num(Some(args.req(0, "decay", f)?), 0.0, "decay")?;
            let updates = match args.get(1, "num_updates") {
                None | Some(PyValue::None) => None,
                Some(v) => {
                    Some(tensor_of(v).ok_or_else(|| PyError::unsupported("num_updates that is not a tensor"))?.1)
                }
            };
            Ok(PyValue::Object(Rc::new(TfObject::MovingAverage(rt.default_graph(), decay, updates))))
        }
        "train.Saver" => {
            use crate::project::script::SaverVars;
            let vars = match args.get(0, "var_list") {
                None | Some(PyValue::None) => SaverVars::All,
                Some(PyValue::Dict(d)) => {
                    let mut m = std::collections::BTreeMap::new();
                    for (k, v) in d.borrow().iter() {
                        let (g, t) =
                            tensor_of(v).ok_or_else(|| PyError::type_error("var_list values must be variables"))?;
                        let node = rt.graph(g)?.node(t.node).map(|n| n.name.clone()).unwrap_or_default();
                        m.insert(k.to_str(), node);
                    }
                    SaverVars::Map(m)
                }
                Some(l) => {
                    let mut names = Vec::new();
                    for v in tensor_list(l)? {
                        let (g, t) =
                            tensor_of(&v).ok_or_else(|| PyError::type_error("var_list must hold variables"))?;
                        names.push(rt.graph(g)?.node(t.node).map(|n| n.name.clone()).unwrap_or_default());
                    }
                    SaverVars::Names(names)
                }
            };
            let max =
                args.get(2, "max_to_keep").or(args.kw("max_to_keep")).and_then(PyValue::as_i64).unwrap_or(5).max(0)
                    as u32;
            Ok(PyValue::Object(Rc::new(TfObject::Saver(rt.default_graph(), vars, max))))
        }
        "train.NewCheckpointReader" => {
            let p = args
                .req(0, "filepattern", f)?
                .as_str()
                .ok_or_else(|| PyError::type_error("the path must be a string"))?;
            Ok(PyValue::Object(Rc::new(TfObject::CheckpointReader(p.to_string()))))
        }
        other => Err(PyError::unsupported(format!("tf.{other}"))),
    }
}

/// How a `with` block is left.
#[derive(Debug)]
pub enum Exit {
    /// Nothing to undo.
    Nothing,
    /// `g.as_default()`.
    PopGraph,
    /// `device(...)` on graph `g`.
    PopDevice(usize),
    /// `name_scope` on graph `g`.
    PopNameScope(usize),
    /// `variable_scope` on graph `g`.
    PopVariableScope(usize),
    /// `control_dependencies`.
    PopControlDeps,
    /// `sess.as_default()`.
    PopSession,
    /// `with tf.Session() as sess:`: leave its graph and default, close it.
    Session(usize),
}

/// Enters a `with` block on `v`; returns what `as` binds and how to leave.
pub fn enter(rt: &mut Runtime<'_>, v: &PyValue) -> PyResult<(PyValue, Exit)> {
    match v {
        PyValue::Session(s) => {
            let g = rt
                .ws
                .sessions
                .get(*s)
                .map(|e| e.graph)
                .ok_or_else(|| PyError::exception("RuntimeError", "no such session"))?;
            rt.graph_stack.push(g);
            rt.enter_session(*s);
            Ok((v.clone(), Exit::Session(*s)))
        }
        PyValue::Context(c) => match c.as_ref() {
            Context::GraphDefault(g) => {
                rt.graph_stack.push(*g);
                Ok((PyValue::Graph(*g), Exit::PopGraph))
            }
            Context::Device(g, spec) => {
                let g = g.unwrap_or_else(|| rt.default_graph());
                rt.graph_mut(g)?.push_device(spec);
                Ok((PyValue::None, Exit::PopDevice(g)))
            }
            Context::NameScope(name) => {
                let g = rt.default_graph();
                let full = rt.graph_mut(g)?.push_name_scope(name);
                Ok((PyValue::str(format!("{full}/")), Exit::PopNameScope(g)))
            }
            Context::VariableScope(name, reuse) => {
                let g = rt.default_graph();
                rt.graph_mut(g)?.push_variable_scope(name, *reuse);
                Ok((PyValue::None, Exit::PopVariableScope(g)))
            }
            Context::SessionDefault(s) => {
                rt.enter_session(*s);
                Ok((PyValue::Session(*s), Exit::PopSession))
            }
            Context::ControlDependencies(nodes) => {
                rt.control_deps.push(nodes.clone());
                Ok((PyValue::None, Exit::PopControlDeps))
            }
        },
        other => Err(PyError::type_error(format!(
            "'{}' object does not support the context manager protocol",
            other.type_name()
        ))),
    }
}

/// Leaves a `with` block.
pub fn exit(rt: &mut Runtime<'_>, how: Exit) -> PyResult<()> {
    match how {
        Exit::Nothing => {}
        Exit::PopGraph => {
            rt.graph_stack.pop();
        }
        Exit::PopDevice(g) => rt.graph_mut(g)?.pop_device(),
        Exit::PopNameScope(g) => rt.graph_mut(g)?.pop_name_scope(),
        Exit::PopVariableScope(g) => rt.graph_mut(g)?.pop_variable_scope(),
        Exit::PopControlDeps => {
            rt.control_deps.pop();
        }
        Exit::PopSession => rt.exit_session(),
        Exit::Session(s) => {
            rt.exit_session();
            rt.graph_stack.pop();
            rt.close_session(s)?;
        }
    }
    Ok(())
}

/// A variable's `str` and `repr`: `<tf.Variable 'w:0' shape=(2, 3) dtype=float32_ref>`; `None`
/// for other tensors.
pub fn variable_repr(rt: &Runtime<'_>, g: usize, t: Output) -> Option<String> {
    let gr = rt.graph(g).ok()?;
    if !matches!(gr.node(t.node)?.op, Op::Variable { .. }) {
        return None;
    }
    let (d, s) = gr.output_info(t).cloned()?;
    Some(format!("<tf.Variable '{}' shape={} dtype={}_ref>", gr.tensor_name(t), s, d.name()))
}

/// `str(x)` of TF values (`None` for other values).
pub fn str_of(rt: &Runtime<'_>, v: &PyValue) -> Option<String> {
    match v {
        PyValue::Tensor(g, t) => variable_repr(rt, *g, *t).or_else(|| rt.graph(*g).ok().map(|gr| gr.tensor_repr(*t))),
        PyValue::DType(d) => Some(format!("<dtype: '{}'>", d.name())),
        PyValue::RefDType(d) => Some(format!("<dtype: '{}_ref'>", d.name())),
        PyValue::Shape(s) => Some(shape_str(s)),
        _ => None,
    }
}

/// `repr(x)` of TF values (`None` for other values).
pub fn repr_of(rt: &Runtime<'_>, v: &PyValue) -> Option<String> {
    match v {
        PyValue::Tensor(g, t) if variable_repr(rt, *g, *t).is_some() => variable_repr(rt, *g, *t),
        PyValue::Tensor(g, t) => rt.graph(*g).ok().map(|gr| {
            let (d, s) = gr.output_info(*t).cloned().unwrap_or((DType::Float32, Shape::unknown()));
            format!("<tf.Tensor '{}' shape={} dtype={}>", gr.tensor_name(*t), s, d.name())
        }),
        PyValue::Operation(g, n) => rt
            .graph(*g)
            .ok()
            .and_then(|gr| gr.node(*n))
            .map(|node| format!("<tf.Operation '{}' type={}>", node.name, node.op.type_name())),
        PyValue::DType(d) => Some(format!("tf.{}", d.name())),
        PyValue::RefDType(d) => Some(format!("tf.{}_ref", d.name())),
        PyValue::Shape(s) => Some(format!(
            "TensorShape({})",
            match s {
                None => "None".to_string(),
                Some(d) => format!(
                    "[{}]",
                    d.iter().map(|x| x.map_or("None".to_string(), |v| v.to_string())).collect::<Vec<_>>().join(", ")
                ),
            }
        )),
        _ => None,
    }
}

/// An attribute of a TF value; methods come back bound.
pub fn attr(rt: &Runtime<'_>, v: &PyValue, name: &str) -> PyResult<PyValue> {
    let bound = || PyValue::Method(Box::new(v.clone()), name.into());
    let missing =
        || PyError::exception("AttributeError", format!("'{}' object has no attribute '{name}'", v.type_name()));
    match v {
        PyValue::Tensor(g, t) => {
            let gr = rt.graph(*g)?;
            let (d, s) = gr.output_info(*t).cloned().unwrap_or((DType::Float32, Shape::unknown()));
            Ok(match name {
                "name" => PyValue::str(gr.tensor_name(*t)),
                "dtype" if matches!(gr.node(t.node).map(|n| &n.op), Some(Op::Variable { .. })) => PyValue::RefDType(d),
                "dtype" => PyValue::DType(d),
                "shape" => PyValue::Shape(s.dims().map(<[Option<usize>]>::to_vec)),
                "graph" => PyValue::Graph(*g),
                "op" => PyValue::Operation(*g, t.node),
                "initializer" => match gr.initializer_of(t.node) {
                    Some(i) => PyValue::Operation(*g, i),
                    None => return Err(missing()),
                },
                "eval" | "get_shape" | "assign" | "assign_add" | "assign_sub" | "value" | "read_value" => bound(),
                _ => return Err(missing()),
            })
        }
        PyValue::Operation(g, n) => {
            let gr = rt.graph(*g)?;
            let node = gr.node(*n).ok_or_else(missing)?;
            Ok(match name {
                "name" => PyValue::str(&node.name),
                "type" => PyValue::str(node.op.type_name()),
                "graph" => PyValue::Graph(*g),
                "device" => PyValue::str(&node.device),
                "inputs" => PyValue::tuple(node.inputs.iter().map(|t| PyValue::Tensor(*g, *t)).collect()),
                "outputs" => PyValue::list(
                    (0..node.outputs.len()).map(|i| PyValue::Tensor(*g, Output { node: *n, index: i })).collect(),
                ),
                "control_inputs" => {
                    PyValue::list(node.control_inputs.iter().map(|c| PyValue::Operation(*g, *c)).collect())
                }
                "run" => bound(),
                _ => return Err(missing()),
            })
        }
        PyValue::Graph(g) => Ok(match name {
            "seed" => rt.graph(*g)?.seed.map_or(PyValue::None, PyValue::Int),
            "as_default"
            | "device"
            | "get_tensor_by_name"
            | "get_operation_by_name"
            | "get_operations"
            | "name_scope"
            | "get_collection"
            | "finalize" => bound(),
            _ => return Err(missing()),
        }),
        PyValue::Session(s) => Ok(match name {
            "graph" => PyValue::Graph(rt.ws.sessions.get(*s).map(|e| e.graph).unwrap_or(0)),
            "run" | "close" | "as_default" => bound(),
            _ => return Err(missing()),
        }),
        PyValue::RefDType(d) => Ok(match name {
            "name" => PyValue::str(format!("{}_ref", d.name())),
            "base_dtype" => PyValue::DType(*d),
            "is_floating" => PyValue::Bool(d.is_float()),
            "is_integer" => PyValue::Bool(d.is_int()),
            _ => return Err(missing()),
        }),
        PyValue::DType(d) => Ok(match name {
            "name" => PyValue::str(d.name()),
            "is_floating" => PyValue::Bool(d.is_float()),
            "is_integer" => PyValue::Bool(d.is_int()),
            "base_dtype" => v.clone(),
            _ => return Err(missing()),
        }),
        PyValue::Shape(s) => Ok(match name {
            "ndims" | "rank" => s.as_ref().map_or(PyValue::None, |d| PyValue::Int(d.len() as i64)),
            "dims" => s.as_ref().map_or(PyValue::None, |d| {
                PyValue::list(d.iter().map(|x| x.map_or(PyValue::None, |v| PyValue::Int(v as i64))).collect())
            }),
            "as_list" | "is_fully_defined" | "num_elements" => bound(),
            _ => return Err(missing()),
        }),
        PyValue::Object(o) => match (o.as_ref(), name) {
            (TfObject::Optimizer(..), "minimize") => Ok(bound()),
            (TfObject::MovingAverage(..), "apply" | "average" | "average_name") => Ok(bound()),
            (TfObject::Saver(..), "save" | "restore") => Ok(bound()),
            (TfObject::CheckpointReader(_), "get_tensor" | "get_variable_to_shape_map" | "has_tensor") => Ok(bound()),
            (TfObject::Config(c), "allow_soft_placement") => Ok(PyValue::Bool(c.allow_soft_placement)),
            (TfObject::Config(c), "log_device_placement") => Ok(PyValue::Bool(c.log_device_placement)),
            _ => Err(missing()),
        },
        _ => Err(missing()),
    }
}

/// The session a `.eval()`/`.run()` uses: `session=` or the default one; it must run graph `g`.
fn eval_session(rt: &Runtime<'_>, args: &Args, g: usize, what: &str) -> PyResult<usize> {
    let s = match args.kw("session").or(args.pos.get(1)) {
        Some(PyValue::Session(s)) => *s,
        None | Some(PyValue::None) => rt.ws.default_session().ok_or_else(|| {
            PyError::value_error(format!(
                "Cannot {what} using `{}()`: No default session is registered. Use `with sess.as_default()` or pass an explicit session to `{}(session=sess)`",
                if what.starts_with("evaluate") { "eval" } else { "run" },
                if what.starts_with("evaluate") { "eval" } else { "run" },
            ))
        })?,
        Some(other) => return Err(PyError::type_error(format!("session must be a tf.Session, got {}", other.type_name()))),
    };
    let sg = rt.ws.sessions.get(s).map(|e| e.graph).unwrap_or(usize::MAX);
    if sg != g {
        return Err(PyError::value_error(format!(
            "Cannot use the given session to {what}: the {}'s graph is different from the session's graph.",
            if what.starts_with("evaluate") { "tensor" } else { "operation" }
        )));
    }
    Ok(s)
}

/// The shape of a fetch structure: where each fetched value goes.
enum Fetch {
    Tensor(usize),
    Op,
    List(Vec<Fetch>),
    Tuple(Vec<Fetch>),
    Dict(Vec<(PyValue, Fetch)>),
}

fn flatten_fetch(
    rt: &Runtime<'_>,
    v: &PyValue,
    names: &mut Vec<String>,
    targets: &mut Vec<String>,
    graph: &mut Option<usize>,
    depth: usize,
) -> PyResult<Fetch> {
    if depth > 16 {
        return Err(PyError::type_error("fetches nested too deep"));
    }
    let note = |g: usize, graph: &mut Option<usize>| {
        graph.get_or_insert(g);
    };
    Ok(match v {
        PyValue::Tensor(g, t) => {
            note(*g, graph);
            names.push(rt.graph(*g)?.tensor_name(*t));
            Fetch::Tensor(names.len() - 1)
        }
        PyValue::Operation(g, n) => {
            note(*g, graph);
            targets.push(rt.graph(*g)?.node(*n).map(|x| x.name.clone()).unwrap_or_default());
            Fetch::Op
        }
        PyValue::Str(s) if s.contains(':') => {
            names.push(s.to_string());
            Fetch::Tensor(names.len() - 1)
        }
        PyValue::Str(s) => {
            targets.push(s.to_string());
            Fetch::Op
        }
        PyValue::List(l) => {
            let items = l.borrow().clone();
            Fetch::List(
                items
                    .iter()
                    .map(|x| flatten_fetch(rt, x, names, targets, graph, depth + 1))
                    .collect::<PyResult<_>>()?,
            )
        }
        PyValue::Tuple(t) => Fetch::Tuple(
            t.iter().map(|x| flatten_fetch(rt, x, names, targets, graph, depth + 1)).collect::<PyResult<_>>()?,
        ),
        PyValue::Dict(d) => {
            let items = d.borrow().clone();
            Fetch::Dict(
                items
                    .iter()
                    .map(|(k, x)| Ok((k.clone(), flatten_fetch(rt, x, names, targets, graph, depth + 1)?)))
                    .collect::<PyResult<_>>()?,
            )
        }
        other => {
            return Err(PyError::type_error(format!(
                "Fetch argument {} has invalid type {}, must be a string or Tensor. (Can not convert a {} into a Tensor or Operation.)",
                other.repr(),
                other.type_name(),
                other.type_name()
            )));
        }
    })
}

fn rebuild(f: &Fetch, values: &[PyValue]) -> PyValue {
    match f {
        Fetch::Tensor(i) => values.get(*i).cloned().unwrap_or(PyValue::None),
        Fetch::Op => PyValue::None,
        Fetch::List(xs) => PyValue::list(xs.iter().map(|x| rebuild(x, values)).collect()),
        Fetch::Tuple(xs) => PyValue::tuple(xs.iter().map(|x| rebuild(x, values)).collect()),
        Fetch::Dict(xs) => PyValue::Dict(Rc::new(std::cell::RefCell::new(
            xs.iter().map(|(k, x)| (k.clone(), rebuild(x, values))).collect(),
        ))),
    }
}

/// The feeds of a `feed_dict`, each with the `input_data` set it holds (if it does).
type Feeds = Vec<(NamedFeed, Option<crate::python::idx_data::DataRef>)>;

fn feeds_of(rt: &Runtime<'_>, v: Option<&PyValue>) -> PyResult<Feeds> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let items = match v {
        PyValue::None => return Ok(Vec::new()),
        PyValue::Dict(d) => d.borrow().clone(),
        other => return Err(PyError::type_error(format!("feed_dict must be a dict, got {}", other.type_name()))),
    };
    let mut out = Vec::with_capacity(items.len());
    for (k, val) in items {
        let tensor = match &k {
            PyValue::Tensor(g, t) => rt.graph(*g)?.tensor_name(*t),
            PyValue::Str(s) => s.to_string(),
            other => {
                return Err(PyError::type_error(format!(
                    "Cannot interpret feed_dict key as Tensor: Can not convert a {} into a Tensor.",
                    other.type_name()
                )));
            }
        };
        let value = to_value(&val, None, Flavor::Numpy)?;
        let data = match &val {
            PyValue::Array(a) => a.data.clone(),
            _ => None,
        };
        out.push((NamedFeed { tensor, value }, data));
    }
    Ok(out)
}

/// `sess.run(fetches, feed_dict)` in session `s`.
pub fn session_run(
    rt: &mut Runtime<'_>,
    s: usize,
    fetches: &PyValue,
    feed_dict: Option<&PyValue>,
) -> PyResult<PyValue> {
    let mut names = Vec::new();
    let mut targets = Vec::new();
    let mut graph = None;
    let shape = flatten_fetch(rt, fetches, &mut names, &mut targets, &mut graph, 0)?;
    let feeds = feeds_of(rt, feed_dict)?;
    let (out, step) = rt.run(s, graph, names, targets, feeds)?;
    let values: Vec<PyValue> = out
        .values
        .into_iter()
        .enumerate()
        .map(|(i, v)| PyValue::Array(Rc::new(Array { value: v, origin: Some((step, i)), data: None })))
        .collect();
    Ok(rebuild(&shape, &values))
}

/// A method of a TF value.
pub fn call_method(rt: &mut Runtime<'_>, obj: &PyValue, name: &str, args: &Args) -> PyResult<PyValue> {
    match (obj, name) {
        (PyValue::Session(s), "run") => {
            args.check("run", 4, &["fetches", "feed_dict", "options", "run_metadata"])?;
            let fetches = args.req(0, "fetches", "run")?.clone();
            let feed = args.get(1, "feed_dict").cloned();
            session_run(rt, *s, &fetches, feed.as_ref())
        }
        (PyValue::Session(s), "close") => {
            rt.close_session(*s)?;
            Ok(PyValue::None)
        }
        (PyValue::Session(s), "as_default") => Ok(PyValue::Context(Rc::new(Context::SessionDefault(*s)))),
        (PyValue::Tensor(g, _), "eval") => {
            args.check("eval", 2, &["feed_dict", "session"])?;
            let s = eval_session(rt, args, *g, "evaluate tensor")?;
            let feed = args.get(0, "feed_dict").cloned();
            session_run(rt, s, obj, feed.as_ref())
        }
        (PyValue::Operation(g, _), "run") => {
            args.check("run", 2, &["feed_dict", "session"])?;
            let s = eval_session(rt, args, *g, "execute operation")?;
            let feed = args.get(0, "feed_dict").cloned();
            session_run(rt, s, obj, feed.as_ref())
        }
        (PyValue::Tensor(..), "get_shape") => attr(rt, obj, "shape"),
        (PyValue::Tensor(g, t), "value" | "read_value") => Ok(PyValue::Tensor(*g, *t)),
        (PyValue::Tensor(..), "assign" | "assign_add" | "assign_sub") => {
            let mut a = Args { pos: vec![obj.clone()], kw: args.kw.clone() };
            a.pos.extend(args.pos.iter().cloned());
            call(rt, &format!("tf.{name}"), &a)
        }
        (PyValue::Graph(g), "as_default") => Ok(PyValue::Context(Rc::new(Context::GraphDefault(*g)))),
        (PyValue::Graph(g), "device") => {
            let spec = args
                .req(0, "device_name_or_function", "device")?
                .as_str()
                .ok_or_else(|| PyError::unsupported("a device function"))?;
            Ok(PyValue::Context(Rc::new(Context::Device(Some(*g), spec.to_string()))))
        }
        (PyValue::Graph(g), "get_tensor_by_name") => {
            let n = args.req(0, "name", name)?.as_str().ok_or_else(|| PyError::type_error("name must be a string"))?;
            if !n.contains(':') {
                return Err(PyError::value_error(format!(
                    "The name '{n}' looks like an (invalid) Operation name, not a Tensor. Tensor names must be of the form \"<op_name>:<output_index>\"."
                )));
            }
            Ok(PyValue::Tensor(*g, rt.graph(*g)?.tensor(n)?))
        }
        (PyValue::Graph(g), "get_operation_by_name") => {
            let n = args.req(0, "name", name)?.as_str().ok_or_else(|| PyError::type_error("name must be a string"))?;
            let id = rt.graph(*g)?.find(n).ok_or_else(|| {
                PyError::exception("KeyError", format!("\"The name '{n}' refers to an Operation not in the graph.\""))
            })?;
            Ok(PyValue::Operation(*g, id))
        }
        (PyValue::Graph(g), "get_operations") => {
            let n = rt.graph(*g)?.nodes().len();
            Ok(PyValue::list((0..n).map(|i| PyValue::Operation(*g, NodeId(i))).collect()))
        }
        (PyValue::Shape(s), "as_list") => match s {
            Some(d) => {
                Ok(PyValue::list(d.iter().map(|x| x.map_or(PyValue::None, |v| PyValue::Int(v as i64))).collect()))
            }
            None => Err(PyError::value_error("as_list() is not defined on an unknown TensorShape.")),
        },
        (PyValue::Shape(s), "is_fully_defined") => {
            Ok(PyValue::Bool(s.as_ref().is_some_and(|d| d.iter().all(Option::is_some))))
        }
        (PyValue::Shape(s), "num_elements") => Ok(match s {
            Some(d) if d.iter().all(Option::is_some) => {
                let n =
                    d.iter().try_fold(1i64, |n, x| i64::try_from(x.unwrap_or(0)).ok().and_then(|x| n.checked_mul(x)));
                PyValue::Int(n.ok_or_else(|| PyError::unsupported("an integer beyond 64 bits"))?)
            }
            _ => PyValue::None,
        }),
        (PyValue::Object(o), _) => object_method(rt, o, name, args),
        _ => {
            Err(PyError::exception("AttributeError", format!("'{}' object has no attribute '{name}'", obj.type_name())))
        }
    }
}

fn object_method(rt: &mut Runtime<'_>, o: &Rc<TfObject>, name: &str, args: &Args) -> PyResult<PyValue> {
    match (o.as_ref(), name) {
        (TfObject::Optimizer(opt, lr), "minimize") => {
            args.check("minimize", 3, &["loss", "global_step", "var_list", "name"])?;
            let (g, loss) =
                tensor_of(args.req(0, "loss", name)?).ok_or_else(|| PyError::type_error("loss must be a Tensor"))?;
            let global_step = match args.get(1, "global_step") {
                None | Some(PyValue::None) => None,
                Some(v) => Some(tensor_of(v).ok_or_else(|| PyError::type_error("global_step must be a variable"))?.1),
            };
            let var_list = match args.get(2, "var_list") {
                None | Some(PyValue::None) => None,
                Some(v) => {
                    Some(tensors_of(v, "var_list must hold variables")?.into_iter().map(|t| t.1).collect::<Vec<_>>())
                }
            };
            let options = MinimizeOptions { learning_rate: *lr, global_step };
            let m = minimize_with(rt.graph_mut(g)?, opt, loss, var_list.as_deref(), &options)?;
            Ok(PyValue::Operation(g, m.train_op))
        }
        (TfObject::MovingAverage(g, decay, updates), "apply") => {
            let vars: Vec<Output> = tensors_of(args.req(0, "var_list", name)?, "var_list must hold variables")?
                .into_iter()
                .map(|t| t.1)
                .collect();
            let ema = crate::engine::autodiff::moving_average::ExponentialMovingAverage::new(*decay, *updates);
            Ok(PyValue::Operation(*g, ema.apply(rt.graph_mut(*g)?, &vars)?))
        }
        (TfObject::MovingAverage(g, decay, updates), "average") => {
            let (_, v) =
                tensor_of(args.req(0, "var", name)?).ok_or_else(|| PyError::type_error("var must be a variable"))?;
            let ema = crate::engine::autodiff::moving_average::ExponentialMovingAverage::new(*decay, *updates);
            Ok(ema.average(rt.graph(*g)?, v).map_or(PyValue::None, |t| PyValue::Tensor(*g, t)))
        }
        _ => Err(PyError::unsupported(format!("{}.{name}", PyValue::Object(o.clone()).type_name()))),
    }
}
