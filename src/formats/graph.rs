//! A flowbench graph as TF's `GraphDef` (and the `MetaGraphDef` of a `.meta` file): each node with
//! the op type and attrs TF registers for it (`Const` with a `TensorProto` value, `Placeholder`
//! with dtype and shape, `VariableV2`, `Assign`, `Identity`, `MatMul` with `transpose_a/b`,
//! `AddV2`, `Sum` with a `reduction_indices` constant, ...), inputs named `node:k` and control
//! inputs `^node`. Ops TF has no single op for (flowbench's own gradient helpers, a random op
//! with a mean or scale) are reported as unsupported and written under flowbench's name. The
//! text format (`.pbtxt`) is written as protobuf's text format prints these messages.

use crate::engine::dtype::DType;
use crate::engine::graph::elementwise::{ReduceOp, UnaryGrad};
use crate::engine::graph::op::Op;
use crate::engine::graph::{Graph, Node, Output};
use crate::engine::shape::Shape;
use crate::engine::value::Value;
use crate::formats::bundle::{dtype_enum, value_bytes};
use crate::formats::proto::{
    AttrKind, AttrValue, Dim, GraphDef, ListValue, NodeDef, TensorProto, TensorShapeProto, VersionDef,
};
use std::collections::BTreeMap;

/// The `GraphDef` producer version TF 2.21 writes.
pub const GRAPH_PRODUCER: i32 = 2474;

/// A node TF has no op for, written under flowbench's name.
#[derive(Clone, Debug, PartialEq)]
pub struct UnsupportedNode {
    /// The node.
    pub node: String,
    /// Its flowbench op type.
    pub op: String,
    /// Why.
    pub why: String,
}

/// A `GraphDef` and the nodes that TF could not run.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportedGraph {
    /// The graph.
    pub graph_def: GraphDef,
    /// Nodes written under flowbench's own op names.
    pub unsupported: Vec<UnsupportedNode>,
}

fn attr(kind: AttrKind) -> AttrValue {
    AttrValue { value: Some(kind) }
}

fn ty(d: DType) -> AttrValue {
    attr(AttrKind::Type(dtype_enum(d)))
}

fn b(x: bool) -> AttrValue {
    attr(AttrKind::B(x))
}

/// A `TensorShapeProto` of a partial shape (`-1` for an unknown dimension).
pub fn partial_shape_proto(s: &Shape) -> TensorShapeProto {
    match s.dims() {
        None => TensorShapeProto { dim: Vec::new(), unknown_rank: true },
        Some(d) => TensorShapeProto {
            dim: d.iter().map(|x| Dim { size: x.map_or(-1, |n| n as i64), name: String::new() }).collect(),
            unknown_rank: false,
        },
    }
}

/// A `TensorProto` as `tf.constant` makes it: one element in the typed field, more as
/// `tensor_content` bytes.
pub fn tensor_proto(v: &Value) -> TensorProto {
    let mut t = TensorProto {
        dtype: dtype_enum(v.dtype()),
        tensor_shape: Some(partial_shape_proto(&Shape::known(v.shape()))),
        ..Default::default()
    };
    if v.len() == 1 {
        match v {
            Value::F32(a) => t.float_val = a.iter().copied().collect(),
            Value::F64(a) => t.double_val = a.iter().copied().collect(),
            Value::I32(a) => t.int_val = a.iter().copied().collect(),
            Value::I64(a) => t.int64_val = a.iter().copied().collect(),
            Value::Bool(a) => t.bool_val = a.iter().copied().collect(),
        }
    } else if v.len() > 1 {
        t.tensor_content = value_bytes(v);
    }
    t
}

fn int32_const(name: String, data: Vec<i32>, device: &str) -> NodeDef {
    let n = data.len();
    let v = Value::I32(
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[n]), data)
            .unwrap_or_else(|_| ndarray::ArrayD::from_elem(ndarray::IxDyn(&[0]), 0)),
    );
    const_node(name, &v, device)
}

fn const_node(name: String, v: &Value, device: &str) -> NodeDef {
    let mut attr_map = BTreeMap::new();
    attr_map.insert("dtype".to_string(), ty(v.dtype()));
    attr_map.insert("value".to_string(), attr(AttrKind::Tensor(tensor_proto(v))));
    NodeDef { name, op: "Const".into(), input: Vec::new(), device: device.to_string(), attr: attr_map }
}

struct Builder<'g> {
    graph: &'g Graph,
    nodes: Vec<NodeDef>,
    unsupported: Vec<UnsupportedNode>,
}

impl Builder<'_> {
    fn input_name(&self, o: Output) -> String {
        let name = self.graph.node(o.node).map_or("?", |n| n.name.as_str());
        if o.index == 0 { name.to_string() } else { format!("{name}:{}", o.index) }
    }

    fn in_dtype(&self, n: &Node, i: usize) -> DType {
        n.inputs.get(i).and_then(|&o| self.graph.output_info(o)).map(|x| x.0).unwrap_or_default()
    }

    fn in_rank(&self, n: &Node, i: usize) -> Option<usize> {
        n.inputs.get(i).and_then(|&o| self.graph.output_info(o)).and_then(|x| x.1.rank())
    }

    fn unsupported(&mut self, n: &Node, why: &str) {
        self.unsupported.push(UnsupportedNode { node: n.name.clone(), op: n.op.type_name().into(), why: why.into() });
    }

    fn node(&mut self, n: &Node) {
        let mut inputs: Vec<String> = n.inputs.iter().map(|&o| self.input_name(o)).collect();
        let mut a: BTreeMap<String, AttrValue> = BTreeMap::new();
        let t = self.in_dtype(n, 0);
        let mut op = n.op.type_name().to_string();
        match &n.op {
            Op::Const { value } => {
                a.insert("dtype".into(), ty(value.0.dtype()));
                a.insert("value".into(), attr(AttrKind::Tensor(tensor_proto(&value.0))));
            }
            Op::Placeholder { dtype, shape } => {
                a.insert("dtype".into(), ty(*dtype));
                a.insert("shape".into(), attr(AttrKind::Shape(partial_shape_proto(shape))));
            }
            Op::Variable { dtype, shape } => {
                a.insert("dtype".into(), ty(*dtype));
                a.insert("shape".into(), attr(AttrKind::Shape(partial_shape_proto(shape))));
                a.insert("container".into(), attr(AttrKind::S(Vec::new())));
                a.insert("shared_name".into(), attr(AttrKind::S(Vec::new())));
            }
            Op::Assign { .. } => {
                a.insert("T".into(), ty(t));
                a.insert("use_locking".into(), b(true));
                a.insert("validate_shape".into(), b(true));
            }
            Op::NoOp => {}
            Op::AssignAdd | Op::AssignSub => {
                a.insert("T".into(), ty(t));
                a.insert("use_locking".into(), b(false));
            }
            Op::Select => {
                a.insert("T".into(), ty(self.in_dtype(n, 1)));
            }
            Op::L2Loss => {
                a.insert("T".into(), ty(t));
            }
            Op::AddN { n: count } => {
                a.insert("T".into(), ty(t));
                a.insert("N".into(), attr(AttrKind::I(*count as i64)));
            }
            Op::ArgMax { axis, output_type } => {
                let cname = format!("{}/dimension", n.name);
                self.nodes.push(int32_const(cname.clone(), vec![*axis as i32], &n.device));
                // A scalar `dimension`, as tf.argmax makes it.
                if let Some(c) = self.nodes.last_mut()
                    && let Some(AttrValue { value: Some(AttrKind::Tensor(tp)) }) = c.attr.get_mut("value")
                {
                    tp.tensor_shape = Some(TensorShapeProto::default());
                }
                inputs.push(cname);
                a.insert("T".into(), ty(t));
                a.insert("Tidx".into(), ty(DType::Int32));
                a.insert("output_type".into(), ty(*output_type));
            }
            Op::SparseSoftmaxCrossEntropyWithLogits => {
                a.insert("T".into(), ty(t));
                a.insert("Tlabels".into(), ty(self.in_dtype(n, 1)));
            }
            Op::Identity
            | Op::Binary { .. }
            | Op::Unary { .. }
            | Op::Softmax
            | Op::OnesLike
            | Op::ZerosLike
            | Op::ClipByValue
            | Op::SoftmaxCrossEntropyWithLogits => {
                a.insert("T".into(), ty(t));
            }
            Op::MatMul { transpose_a, transpose_b } => {
                a.insert("T".into(), ty(t));
                a.insert("transpose_a".into(), b(*transpose_a));
                a.insert("transpose_b".into(), b(*transpose_b));
            }
            Op::Reduce { axes, keep_dims, .. } => {
                let axes: Option<Vec<i32>> = match axes {
                    Some(ax) => Some(ax.iter().map(|&x| x as i32).collect()),
                    None => self.in_rank(n, 0).map(|r| (0..r as i32).collect()),
                };
                let Some(axes) = axes else {
                    return self.unsupported_node(n, "a reduction over all axes of a tensor of unknown rank");
                };
                let cname = format!("{}/reduction_indices", n.name);
                self.nodes.push(int32_const(cname.clone(), axes, &n.device));
                inputs.push(cname);
                a.insert("T".into(), ty(t));
                a.insert("Tidx".into(), ty(DType::Int32));
                a.insert("keep_dims".into(), b(*keep_dims));
            }
            Op::Cast { to } => {
                a.insert("SrcT".into(), ty(t));
                a.insert("DstT".into(), ty(*to));
                a.insert("Truncate".into(), b(false));
            }
            Op::Fill { dtype, shape, value } => {
                let dims = format!("{}/dims", n.name);
                let val = format!("{}/value", n.name);
                self.nodes.push(int32_const(dims.clone(), shape.iter().map(|&x| x as i32).collect(), &n.device));
                self.nodes.push(const_node(val.clone(), &Value::filled(*dtype, &[], *value), &n.device));
                inputs = vec![dims, val];
                a.insert("T".into(), ty(*dtype));
                a.insert("index_type".into(), ty(DType::Int32));
            }
            Op::RandomStandardNormal { dtype, shape, mean, stddev, seed, seed2 }
            | Op::TruncatedNormal { dtype, shape, mean, stddev, seed, seed2 } => {
                if *mean != 0.0 || *stddev != 1.0 {
                    return self.unsupported_node(n, "TF scales a random normal with separate mul and add nodes");
                }
                self.random(n, &mut inputs, &mut a, *dtype, shape, *seed, *seed2);
            }
            Op::RandomUniform { dtype, shape, minval, maxval, seed, seed2 } => {
                if *minval != 0.0 || *maxval != 1.0 || !dtype.is_float() {
                    return self.unsupported_node(n, "TF scales a random uniform with separate mul and add nodes");
                }
                self.random(n, &mut inputs, &mut a, *dtype, shape, *seed, *seed2);
            }
            Op::ExpandDims { axis } => {
                let cname = format!("{}/dim", n.name);
                self.nodes.push(int32_const(cname.clone(), vec![*axis as i32], &n.device));
                let c = self.nodes.pop();
                // A scalar `dim`, as tf.expand_dims makes it.
                if let Some(mut c) = c {
                    if let Some(AttrValue { value: Some(AttrKind::Tensor(tp)) }) = c.attr.get_mut("value") {
                        tp.tensor_shape = Some(TensorShapeProto::default());
                    }
                    self.nodes.push(c);
                }
                inputs.push(cname);
                a.insert("T".into(), ty(t));
                a.insert("Tdim".into(), ty(DType::Int32));
            }
            Op::UnaryGrad { kind } => match kind.grad() {
                UnaryGrad::Kernel(k) => {
                    let f = k.facts();
                    op = f.tf_name.to_string();
                    let ours = inputs.clone();
                    inputs = f.tf_args.iter().map(|&(_, i)| ours.get(i).cloned().unwrap_or_default()).collect();
                    a.insert("T".into(), ty(t));
                }
                UnaryGrad::Built(_) => return self.unsupported_node(n, "flowbench's own gradient helper"),
                UnaryGrad::None => return self.unsupported_node(n, "the op has no gradient"),
            },
            Op::ApplyGradientDescent | Op::ApplyRMSProp => {
                a.insert("T".into(), ty(t));
                a.insert("use_locking".into(), b(false));
            }
            Op::ApplyMomentum { use_nesterov } | Op::ApplyAdam { use_nesterov } => {
                a.insert("T".into(), ty(t));
                a.insert("use_locking".into(), b(false));
                a.insert("use_nesterov".into(), b(*use_nesterov));
            }
            Op::SumToShape => return self.sum_to_shape(n, &inputs),
            Op::ClipByValueGrad => return self.clip_by_value_grad(n, &inputs, t),
            Op::ReduceGrad { kind: ReduceOp::Sum | ReduceOp::Mean, axes, keep_dims } => {
                return self.sum_mean_grad(n, &inputs, t, axes.as_deref(), *keep_dims);
            }
            Op::SigmoidCrossEntropyWithLogits
            | Op::MaximumMinimumGrad { .. }
            | Op::ReduceGrad { .. }
            | Op::SoftmaxGrad
            | Op::SigmoidCrossEntropyGrad => {
                return self.unsupported_node(n, "TF builds this from several ops; flowbench keeps it as one");
            }
            Op::Unregistered { .. } => return self.unsupported_node(n, "flowbench does not have this op"),
        }
        inputs.extend(
            n.control_inputs.iter().map(|&c| format!("^{}", self.graph.node(c).map_or("?", |x| x.name.as_str()))),
        );
        self.nodes.push(NodeDef { name: n.name.clone(), op, input: inputs, device: n.device.clone(), attr: a });
    }

    #[allow(clippy::too_many_arguments)]
    fn random(
        &mut self,
        n: &Node,
        inputs: &mut Vec<String>,
        a: &mut BTreeMap<String, AttrValue>,
        dtype: DType,
        shape: &[usize],
        seed: i64,
        seed2: i64,
    ) {
        let cname = format!("{}/shape", n.name);
        self.nodes.push(int32_const(cname.clone(), shape.iter().map(|&x| x as i32).collect(), &n.device));
        *inputs = vec![cname];
        a.insert("T".into(), ty(DType::Int32));
        a.insert("dtype".into(), ty(dtype));
        a.insert("seed".into(), attr(AttrKind::I(seed)));
        a.insert("seed2".into(), attr(AttrKind::I(seed2)));
    }

    /// Adds a node of TF's op `op` under `name`.
    fn push(&mut self, n: &Node, name: String, op: &str, input: Vec<String>, attrs: &[(&str, AttrValue)]) -> String {
        let attr = attrs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        self.nodes.push(NodeDef { name: name.clone(), op: op.into(), input, device: n.device.clone(), attr });
        name
    }

    fn controls(&self, n: &Node) -> Vec<String> {
        n.control_inputs.iter().map(|&c| format!("^{}", self.graph.node(c).map_or("?", |x| x.name.as_str()))).collect()
    }

    /// `SumToShape(grad, like)` as TF's broadcasting gradients write it: `Sum` over the axes the
    /// static shapes say were broadcast, then `Reshape` to `Shape(like)`.
    fn sum_to_shape(&mut self, n: &Node, inputs: &[String]) {
        let (Some(g), Some(l)) = (
            n.inputs.first().and_then(|&o| self.graph.output_info(o)).and_then(|x| x.1.dims().map(<[_]>::to_vec)),
            n.inputs.get(1).and_then(|&o| self.graph.output_info(o)).and_then(|x| x.1.dims().map(<[_]>::to_vec)),
        ) else {
            return self.unsupported_node(n, "the shapes of a broadcast gradient must have known ranks");
        };
        if l.len() > g.len() {
            return self.unsupported_node(n, "the gradient has a lower rank than its target");
        }
        let p = g.len() - l.len();
        let mut axes = Vec::new();
        for (i, gd) in g.iter().enumerate() {
            let reduce = i < p || (l[i - p] == Some(1) && *gd != Some(1));
            if reduce {
                axes.push(i as i32);
            } else if l[i - p].is_some() && gd.is_some() && l[i - p] != *gd {
                return self.unsupported_node(n, "shapes that do not broadcast");
            }
        }
        let t = self.in_dtype(n, 0);
        let mut summed = inputs[0].clone();
        if !axes.is_empty() {
            let idx = format!("{}/reduction_indices", n.name);
            self.nodes.push(int32_const(idx.clone(), axes, &n.device));
            summed = self.push(
                n,
                format!("{}/Sum", n.name),
                "Sum",
                vec![summed, idx],
                &[("T", ty(t)), ("Tidx", ty(DType::Int32)), ("keep_dims", b(false))],
            );
        }
        let shape = self.push(
            n,
            format!("{}/Shape", n.name),
            "Shape",
            vec![inputs[1].clone()],
            &[("T", ty(self.in_dtype(n, 1))), ("out_type", ty(DType::Int32))],
        );
        let mut input = vec![summed, shape];
        input.extend(self.controls(n));
        self.push(n, n.name.clone(), "Reshape", input, &[("T", ty(t)), ("Tshape", ty(DType::Int32))]);
    }

    /// `ClipByValueGrad(t, lo, hi, dy)` as TF's gradient writes it:
    /// `Select(LogicalOr(Less(t, lo), Greater(t, hi)), ZerosLike(dy), dy)`.
    fn clip_by_value_grad(&mut self, n: &Node, inputs: &[String], t: DType) {
        let nm = |s: &str| format!("{}/{s}", n.name);
        let less = self.push(n, nm("Less"), "Less", vec![inputs[0].clone(), inputs[1].clone()], &[("T", ty(t))]);
        let greater =
            self.push(n, nm("Greater"), "Greater", vec![inputs[0].clone(), inputs[2].clone()], &[("T", ty(t))]);
        let or = self.push(n, nm("LogicalOr"), "LogicalOr", vec![less, greater], &[]);
        let zeros = self.push(n, nm("zeros"), "ZerosLike", vec![inputs[3].clone()], &[("T", ty(t))]);
        let mut input = vec![or, zeros, inputs[3].clone()];
        input.extend(self.controls(n));
        self.push(n, n.name.clone(), "Select", input, &[("T", ty(t))]);
    }

    /// The gradient of `Sum`/`Mean(x, axes)` as TF's gradient writes it: `dy` reshaped to the
    /// kept-dims shape, broadcast to `Shape(x)`, and for `Mean` divided by the number of reduced
    /// elements (`Size(x) // max(Size(dy), 1)`, cast to the dtype).
    fn sum_mean_grad(&mut self, n: &Node, inputs: &[String], t: DType, axes: Option<&[i64]>, keep_dims: bool) {
        let is_mean = matches!(n.op, Op::ReduceGrad { kind: ReduceOp::Mean, .. });
        let nm = |s: &str| format!("{}/{s}", n.name);
        let x_dims =
            n.inputs.get(1).and_then(|&o| self.graph.output_info(o)).and_then(|x| x.1.dims().map(<[_]>::to_vec));
        let mut dy = inputs[0].clone();
        if axes.is_some() && !keep_dims {
            let Some(dims) = x_dims else {
                return self.unsupported_node(n, "the gradient of a partial reduction needs the input's rank");
            };
            let rank = dims.len() as i64;
            let reduced: Vec<usize> =
                axes.unwrap_or(&[]).iter().map(|&a| (if a < 0 { a + rank } else { a }) as usize).collect();
            let kept: Vec<i32> = dims
                .iter()
                .enumerate()
                .map(|(i, d)| if reduced.contains(&i) { 1 } else { d.map_or(-1, |v| v as i32) })
                .collect();
            if kept.iter().filter(|&&k| k == -1).count() > 1 {
                return self.unsupported_node(n, "the gradient of a partial reduction with two unknown dimensions");
            }
            let shape = nm("Reshape/shape");
            self.nodes.push(int32_const(shape.clone(), kept, &n.device));
            dy = self.push(n, nm("Reshape"), "Reshape", vec![dy, shape], &[("T", ty(t)), ("Tshape", ty(DType::Int32))]);
        }
        let x_shape = self.push(
            n,
            nm("Shape"),
            "Shape",
            vec![inputs[1].clone()],
            &[("T", ty(t)), ("out_type", ty(DType::Int32))],
        );
        let mut input = vec![dy, x_shape];
        let name = if is_mean { nm("BroadcastTo") } else { n.name.clone() };
        if !is_mean {
            input.extend(self.controls(n));
        }
        let bcast = self.push(n, name, "BroadcastTo", input, &[("T", ty(t)), ("Tidx", ty(DType::Int32))]);
        if !is_mean {
            return;
        }
        let size_attrs = [("T", ty(t)), ("out_type", ty(DType::Int32))];
        let size_x = self.push(n, nm("Size"), "Size", vec![inputs[1].clone()], &size_attrs);
        let size_dy = self.push(n, nm("Size_1"), "Size", vec![inputs[0].clone()], &size_attrs);
        let one = nm("Maximum/y");
        self.nodes.push(const_node(
            one.clone(),
            &Value::I32(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[]), 1)),
            &n.device,
        ));
        let max = self.push(n, nm("Maximum"), "Maximum", vec![size_dy, one], &[("T", ty(DType::Int32))]);
        let factor = self.push(n, nm("floordiv"), "FloorDiv", vec![size_x, max], &[("T", ty(DType::Int32))]);
        let cast = self.push(
            n,
            nm("Cast"),
            "Cast",
            vec![factor],
            &[("SrcT", ty(DType::Int32)), ("DstT", ty(t)), ("Truncate", b(false))],
        );
        let mut input = vec![bcast, cast];
        input.extend(self.controls(n));
        self.push(n, n.name.clone(), "RealDiv", input, &[("T", ty(t))]);
    }

    fn unsupported_node(&mut self, n: &Node, why: &str) {
        self.unsupported(n, why);
        let mut input: Vec<String> = n.inputs.iter().map(|&o| self.input_name(o)).collect();
        input.extend(
            n.control_inputs.iter().map(|&c| format!("^{}", self.graph.node(c).map_or("?", |x| x.name.as_str()))),
        );
        self.nodes.push(NodeDef {
            name: n.name.clone(),
            op: n.op.type_name().to_string(),
            input,
            device: n.device.clone(),
            attr: BTreeMap::new(),
        });
    }
}

/// The graph as a `GraphDef`, nodes in the graph's order.
pub fn graph_def(graph: &Graph) -> ExportedGraph {
    let mut bld = Builder { graph, nodes: Vec::new(), unsupported: Vec::new() };
    for n in graph.nodes() {
        bld.node(n);
    }
    ExportedGraph {
        graph_def: GraphDef {
            node: bld.nodes,
            versions: Some(VersionDef { producer: GRAPH_PRODUCER, ..Default::default() }),
        },
        unsupported: bld.unsupported,
    }
}

impl ExportedGraph {
    /// The `.meta` file's bytes: a `MetaGraphDef` holding this graph and a saver over every
    /// variable (see [`crate::formats::meta_graph`]).
    pub fn meta_bytes(&self) -> Vec<u8> {
        self.meta_bytes_for(None)
    }

    /// [`ExportedGraph::meta_bytes`] with a saver over `pairs` (checkpoint key, variable).
    pub fn meta_bytes_for(&self, pairs: Option<&[(String, String)]>) -> Vec<u8> {
        use prost::Message;
        crate::formats::meta_graph::meta_graph_def(&self.graph_def, pairs).encode_to_vec()
    }
}

// ----- protobuf text format -----

struct Text {
    out: String,
    indent: usize,
}

impl Text {
    fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }
    fn open(&mut self, name: &str) {
        self.line(&format!("{name} {{"));
        self.indent += 1;
    }
    fn close(&mut self) {
        self.indent -= 1;
        self.line("}");
    }
}

fn q(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in bytes {
        match c {
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            b'"' => s.push_str("\\\""),
            b'\'' => s.push_str("\\'"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\{c:03o}")),
        }
    }
    s.push('"');
    s
}

/// A float as protobuf's text format prints it (shortest round trip; `inf`, `nan`).
fn float_text(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{x:?}")
    }
}

fn f32_text(x: f32) -> String {
    if x.is_finite() { format!("{x:?}") } else { float_text(x as f64) }
}

/// TF's name of a `DataType` value in text format (`DT_FLOAT`).
fn dt_text(e: i32) -> String {
    match e {
        1 => "DT_FLOAT".into(),
        2 => "DT_DOUBLE".into(),
        3 => "DT_INT32".into(),
        7 => "DT_STRING".into(),
        9 => "DT_INT64".into(),
        10 => "DT_BOOL".into(),
        other => other.to_string(),
    }
}

fn shape_text(t: &mut Text, name: &str, s: &TensorShapeProto) {
    t.open(name);
    for d in &s.dim {
        t.open("dim");
        if d.size != 0 {
            t.line(&format!("size: {}", d.size));
        }
        t.close();
    }
    if s.unknown_rank {
        t.line("unknown_rank: true");
    }
    t.close();
}

fn tensor_text(t: &mut Text, name: &str, p: &TensorProto) {
    t.open(name);
    t.line(&format!("dtype: {}", dt_text(p.dtype)));
    if let Some(s) = &p.tensor_shape {
        shape_text(t, "tensor_shape", s);
    }
    if !p.tensor_content.is_empty() {
        t.line(&format!("tensor_content: {}", q(&p.tensor_content)));
    }
    p.float_val.iter().for_each(|x| t.line(&format!("float_val: {}", f32_text(*x))));
    p.double_val.iter().for_each(|x| t.line(&format!("double_val: {}", float_text(*x))));
    p.int_val.iter().for_each(|x| t.line(&format!("int_val: {x}")));
    p.int64_val.iter().for_each(|x| t.line(&format!("int64_val: {x}")));
    p.bool_val.iter().for_each(|x| t.line(&format!("bool_val: {x}")));
    t.close();
}

fn attr_text(t: &mut Text, v: &AttrValue) {
    match &v.value {
        None => {}
        Some(AttrKind::S(s)) => t.line(&format!("s: {}", q(s))),
        Some(AttrKind::I(i)) => t.line(&format!("i: {i}")),
        Some(AttrKind::F(f)) => t.line(&format!("f: {}", f32_text(*f))),
        Some(AttrKind::B(x)) => t.line(&format!("b: {x}")),
        Some(AttrKind::Type(e)) => t.line(&format!("type: {}", dt_text(*e))),
        Some(AttrKind::Shape(s)) => shape_text(t, "shape", s),
        Some(AttrKind::Tensor(p)) => tensor_text(t, "tensor", p),
        Some(AttrKind::List(l)) => list_text(t, l),
    }
}

fn list_text(t: &mut Text, l: &ListValue) {
    t.open("list");
    l.s.iter().for_each(|s| t.line(&format!("s: {}", q(s))));
    l.i.iter().for_each(|x| t.line(&format!("i: {x}")));
    l.f.iter().for_each(|x| t.line(&format!("f: {}", f32_text(*x))));
    l.b.iter().for_each(|x| t.line(&format!("b: {x}")));
    l.r#type.iter().for_each(|x| t.line(&format!("type: {}", dt_text(*x))));
    for s in &l.shape {
        shape_text(t, "shape", s);
    }
    t.close();
}

/// A `GraphDef` in protobuf's text format (`.pbtxt`), attrs sorted by key.
pub fn graph_def_text(g: &GraphDef) -> String {
    let mut t = Text { out: String::new(), indent: 0 };
    for n in &g.node {
        t.open("node");
        t.line(&format!("name: {}", q(n.name.as_bytes())));
        t.line(&format!("op: {}", q(n.op.as_bytes())));
        for i in &n.input {
            t.line(&format!("input: {}", q(i.as_bytes())));
        }
        if !n.device.is_empty() {
            t.line(&format!("device: {}", q(n.device.as_bytes())));
        }
        for (k, v) in &n.attr {
            t.open("attr");
            t.line(&format!("key: {}", q(k.as_bytes())));
            t.open("value");
            attr_text(&mut t, v);
            t.close();
            t.close();
        }
        t.close();
    }
    if let Some(v) = &g.versions {
        t.open("versions");
        t.line(&format!("producer: {}", v.producer));
        if v.min_consumer != 0 {
            t.line(&format!("min_consumer: {}", v.min_consumer));
        }
        t.close();
    }
    t.out
}
