//! TF's `GraphDef` read back into flowbench ops: each `NodeDef` whose op flowbench has becomes
//! an [`Op`] with its attrs (constant inputs TF passes as tensors, such as `Sum`'s
//! `reduction_indices` or a random op's `shape`, become attrs, and the constant stays a node);
//! any other node is kept as an [`Op::Unregistered`] node naming TF's op (building it fails as TF
//! fails on an op it does not have), with the reason when the op is one flowbench has but this
//! node's dtype or attrs are not, so that the graph can be looked at and its other parts run.

use crate::engine::dtype::DType;
use crate::engine::graph::elementwise::{BinaryOp, ReduceOp, UnaryOp};
use crate::engine::graph::op::{ConstValue, Op};
use crate::engine::shape::Shape;
use crate::engine::value::Value;
use crate::formats::bundle::{dtype_of_enum, enum_name, value_from_bytes};
use crate::formats::proto::{AttrKind, GraphDef, NodeDef, TensorProto, TensorShapeProto};
use std::collections::HashMap;

/// The most elements an imported constant may have (TF's 2 GB `GraphDef` limit in float32).
const MAX_CONST_ELEMENTS: usize = 1 << 29;

/// One imported node.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedNode {
    /// The node's name.
    pub name: String,
    /// The op ([`Op::Unregistered`] for a node flowbench cannot build).
    pub op: Op,
    /// Why the node could not be imported (naming TF's op); `None` when it was.
    pub unsupported: Option<String>,
    /// Data inputs as tensor names (`a:0`).
    pub inputs: Vec<String>,
    /// Control inputs (node names).
    pub control_inputs: Vec<String>,
    /// The requested device.
    pub device: String,
}

fn attr<'a>(n: &'a NodeDef, key: &str) -> Option<&'a AttrKind> {
    n.attr.get(key).and_then(|a| a.value.as_ref())
}

fn dtype_attr(n: &NodeDef, key: &str) -> Result<DType, String> {
    match attr(n, key) {
        Some(AttrKind::Type(t)) => dtype_of_enum(*t).ok_or_else(|| format!("dtype {} is not supported", enum_name(*t))),
        _ => Err(format!("attr '{key}' is missing")),
    }
}

fn bool_attr(n: &NodeDef, key: &str) -> bool {
    matches!(attr(n, key), Some(AttrKind::B(true)))
}

fn int_attr(n: &NodeDef, key: &str) -> i64 {
    match attr(n, key) {
        Some(AttrKind::I(i)) => *i,
        _ => 0,
    }
}

/// A partial shape from a `TensorShapeProto` (`-1` unknown).
pub fn shape_of(s: &TensorShapeProto) -> Shape {
    if s.unknown_rank {
        return Shape::unknown();
    }
    Shape::from_dims(s.dim.iter().map(|d| usize::try_from(d.size).ok()).collect())
}

/// A value from a `TensorProto` (content bytes or the typed fields, a single value repeated).
pub fn tensor_value(t: &TensorProto) -> Result<Value, String> {
    let dtype = dtype_of_enum(t.dtype).ok_or_else(|| format!("dtype {} is not supported", enum_name(t.dtype)))?;
    let shape = t.tensor_shape.as_ref().map(shape_of).unwrap_or_else(Shape::scalar);
    let dims = shape.to_known().ok_or("a constant's shape must be fully known")?;
    let n = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= MAX_CONST_ELEMENTS)
        .ok_or("a constant too large")?;
    if !t.tensor_content.is_empty() {
        return value_from_bytes(dtype, &dims, &t.tensor_content).map_err(|e| e.message);
    }
    let vals: Vec<f64> = match dtype {
        DType::Float32 => t.float_val.iter().map(|&x| x as f64).collect(),
        DType::Float64 => t.double_val.clone(),
        DType::Int32 => t.int_val.iter().map(|&x| x as f64).collect(),
        DType::Int64 => t.int64_val.iter().map(|&x| x as f64).collect(),
        DType::Bool => t.bool_val.iter().map(|&x| if x { 1.0 } else { 0.0 }).collect(),
    };
    if vals.len() > n {
        return Err(format!("{} values for a constant of {n} elements", vals.len()));
    }
    // TF repeats the last value given (none given: zeros).
    let last = vals.last().copied().unwrap_or(0.0);
    let mut v = Value::zeros(dtype, &dims);
    macro_rules! fill {
        ($a:expr, $conv:expr) => {
            for (i, x) in $a.iter_mut().enumerate() {
                *x = $conv(vals.get(i).copied().unwrap_or(last));
            }
        };
    }
    match &mut v {
        Value::F32(a) => fill!(a, |x: f64| x as f32),
        Value::F64(a) => fill!(a, |x: f64| x),
        Value::I32(a) => fill!(a, |x: f64| x as i32),
        Value::I64(a) => fill!(a, |x: f64| x as i64),
        Value::Bool(a) => fill!(a, |x: f64| x != 0.0),
    }
    // int64 values beyond 2^53 are kept exactly.
    if let (Value::I64(a), DType::Int64) = (&mut v, dtype) {
        for (i, x) in a.iter_mut().enumerate() {
            *x = t.int64_val.get(i).or(t.int64_val.last()).copied().unwrap_or(0);
        }
    }
    Ok(v)
}

/// Imports every node of a `GraphDef`, in its order.
pub fn import_graph_def(gd: &GraphDef) -> Vec<ImportedNode> {
    let consts: HashMap<&str, &TensorProto> = gd
        .node
        .iter()
        .filter(|n| n.op == "Const")
        .filter_map(|n| match attr(n, "value") {
            Some(AttrKind::Tensor(t)) => Some((n.name.as_str(), t)),
            _ => None,
        })
        .collect();
    let const_input = |n: &NodeDef, i: usize| -> Result<Value, String> {
        let name = n.input.get(i).ok_or_else(|| format!("input {i} is missing"))?;
        let base = name.split(':').next().unwrap_or(name);
        let t = consts.get(base).ok_or_else(|| format!("input '{name}' must be a constant to be imported"))?;
        tensor_value(t)
    };
    // How many outputs of each node the graph uses (for the nodes kept as unregistered).
    let mut used_outputs: HashMap<&str, usize> = HashMap::new();
    for n in &gd.node {
        for i in n.input.iter().filter(|i| !i.starts_with('^')) {
            let (base, k) = match i.rsplit_once(':') {
                Some((b, k)) => (b, k.parse::<usize>().unwrap_or(0)),
                None => (i.as_str(), 0),
            };
            let e = used_outputs.entry(base).or_insert(1);
            *e = (*e).max(k.saturating_add(1).min(1024));
        }
    }
    let mut out = Vec::with_capacity(gd.node.len());
    for n in &gd.node {
        let mut inputs = Vec::new();
        let mut control_inputs = Vec::new();
        for i in &n.input {
            if let Some(c) = i.strip_prefix('^') {
                control_inputs.push(c.to_string());
            } else if i.contains(':') {
                inputs.push(i.clone());
            } else {
                inputs.push(format!("{i}:0"));
            }
        }
        let mut keep = inputs.len();
        let op = (|| -> Result<Op, String> {
            let ints = |v: Value| -> Vec<i64> { v.to_f64_vec().iter().map(|&x| x as i64).collect() };
            let sizes = |v: Value| -> Result<Vec<usize>, String> {
                v.to_f64_vec()
                    .iter()
                    .map(|&x| usize::try_from(x as i64).map_err(|_| "a negative size".to_string()))
                    .collect()
            };
            Ok(match n.op.as_str() {
                "Const" => match attr(n, "value") {
                    Some(AttrKind::Tensor(t)) => Op::Const { value: ConstValue(tensor_value(t)?) },
                    _ => return Err("attr 'value' is missing".into()),
                },
                "Placeholder" => Op::Placeholder {
                    dtype: dtype_attr(n, "dtype")?,
                    shape: match attr(n, "shape") {
                        Some(AttrKind::Shape(s)) => shape_of(s),
                        _ => Shape::unknown(),
                    },
                },
                "VariableV2" | "Variable" => Op::Variable {
                    dtype: dtype_attr(n, "dtype")?,
                    shape: match attr(n, "shape") {
                        Some(AttrKind::Shape(s)) => shape_of(s),
                        _ => return Err("attr 'shape' is missing".into()),
                    },
                },
                "Assign" => {
                    let var = inputs.first().map(|s| s.trim_end_matches(":0").to_string()).unwrap_or_default();
                    Op::Assign { initializer: n.name == format!("{var}/Assign") }
                }
                "Identity" => Op::Identity,
                "NoOp" => Op::NoOp,
                "MatMul" => {
                    Op::MatMul { transpose_a: bool_attr(n, "transpose_a"), transpose_b: bool_attr(n, "transpose_b") }
                }
                "ClipByValue" => Op::ClipByValue,
                "Softmax" => Op::Softmax,
                "SoftmaxCrossEntropyWithLogits" => Op::SoftmaxCrossEntropyWithLogits,
                "Cast" => Op::Cast { to: dtype_attr(n, "DstT")? },
                "OnesLike" => Op::OnesLike,
                "ZerosLike" => Op::ZerosLike,
                "Fill" => {
                    keep = 0;
                    let value = const_input(n, 1)?;
                    Op::Fill {
                        dtype: value.dtype(),
                        shape: sizes(const_input(n, 0)?)?,
                        value: value.first_f64().unwrap_or(0.0),
                    }
                }
                "ExpandDims" => {
                    keep = 1;
                    Op::ExpandDims { axis: ints(const_input(n, 1)?).first().copied().unwrap_or(0) }
                }
                "RandomStandardNormal" | "TruncatedNormal" | "RandomUniform" => {
                    keep = 0;
                    let (dtype, shape) = (dtype_attr(n, "dtype")?, sizes(const_input(n, 0)?)?);
                    let (seed, seed2) = (int_attr(n, "seed"), int_attr(n, "seed2"));
                    match n.op.as_str() {
                        "RandomStandardNormal" => {
                            Op::RandomStandardNormal { dtype, shape, mean: 0.0, stddev: 1.0, seed, seed2 }
                        }
                        "TruncatedNormal" => Op::TruncatedNormal { dtype, shape, mean: 0.0, stddev: 1.0, seed, seed2 },
                        _ => Op::RandomUniform { dtype, shape, minval: 0.0, maxval: 1.0, seed, seed2 },
                    }
                }
                "ApplyGradientDescent" => Op::ApplyGradientDescent,
                "ApplyMomentum" => Op::ApplyMomentum { use_nesterov: bool_attr(n, "use_nesterov") },
                "ApplyAdam" => Op::ApplyAdam { use_nesterov: bool_attr(n, "use_nesterov") },
                "ApplyRMSProp" => Op::ApplyRMSProp,
                "Add" => Op::Binary { kind: BinaryOp::Add },
                other => {
                    if let Some(kind) = BinaryOp::ALL.iter().find(|k| k.facts().tf_name == other) {
                        Op::Binary { kind: *kind }
                    } else if let Some(kind) = UnaryOp::ALL.iter().find(|k| k.facts().tf_name == other) {
                        Op::Unary { kind: *kind }
                    } else if let Some(kind) = ReduceOp::ALL.iter().find(|k| k.tf_name() == other) {
                        keep = 1;
                        Op::Reduce {
                            kind: *kind,
                            axes: Some(ints(const_input(n, 1)?)),
                            keep_dims: bool_attr(n, "keep_dims"),
                        }
                    } else {
                        return Err(String::new());
                    }
                }
            })
        })();
        let (op, unsupported) = match op {
            Ok(op) => {
                inputs.truncate(keep);
                (op, None)
            }
            Err(why) => {
                let op_type = n.op.clone();
                let outputs = used_outputs.get(n.name.as_str()).copied().unwrap_or(1);
                let shown = if why.is_empty() { format!("flowbench has no op '{op_type}'") } else { why.clone() };
                (Op::Unregistered { op_type, outputs, why }, Some(shown))
            }
        };
        out.push(ImportedNode {
            name: n.name.clone(),
            op,
            unsupported,
            inputs,
            control_inputs,
            device: n.device.clone(),
        });
    }
    out
}
