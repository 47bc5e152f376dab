//! Reverse-mode autodiff as TF1 does it: `gradients(ys, xs)` adds gradient ops to the graph under
//! a `gradients/` name scope (one `gradients/<op>_grad/` scope per op), so they can be seen and
//! fetched. One `match` (`op_gradient`) says how each op's inputs get their gradients; a unary
//! op's comes from its row of the op table (`graph::elementwise`): a gradient-kernel node
//! (`SigmoidGrad`, `EluGrad`, ...) or a recipe of other ops (`built_unary_grad`).

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::graph::elementwise::{BinaryOp, GradReads, GradRecipe, ReduceOp, UnaryGrad, UnaryOp};
use crate::engine::graph::op::Op;
use crate::engine::graph::{Graph, NodeId, NodeSpec, Output};
use crate::engine::value::Value;
use std::collections::HashMap;

/// `tf.gradients(ys, xs)`: the gradient of `sum(ys)` with respect to each of `xs`. A tensor of `xs`
/// that `ys` do not depend on gets `None`; one that they reach only through an op without a
/// gradient is an error naming that op.
pub fn gradients(g: &mut Graph, ys: &[Output], xs: &[Output]) -> Result<Vec<Option<Output>>> {
    let n = g.nodes().len();
    for t in ys.iter().chain(xs) {
        if g.output_info(*t).is_none() {
            return Err(Error::value_error("gradients: a tensor is not an element of this graph."));
        }
    }
    // Nodes downstream of xs (data edges only) ...
    let mut from_x = vec![false; n];
    for x in xs {
        from_x[x.node.0] = true;
    }
    for (i, node) in g.nodes().iter().enumerate() {
        if !from_x[i] && node.inputs.iter().any(|t| from_x[t.node.0]) && node.op.num_ref_inputs() == 0 {
            from_x[i] = true;
        }
    }
    // ... and upstream of ys.
    let mut to_y = vec![false; n];
    for y in ys {
        to_y[y.node.0] = true;
    }
    for i in (0..n).rev() {
        if to_y[i] {
            let inputs: Vec<usize> = g.nodes()[i].inputs.iter().map(|t| t.node.0).collect();
            for j in inputs {
                to_y[j] = true;
            }
        }
    }
    let on_path: Vec<bool> = (0..n).map(|i| from_x[i] && to_y[i]).collect();

    g.push_name_scope("gradients");
    let result = (|| {
        let mut pending: HashMap<Output, Vec<Output>> = HashMap::new();
        for y in ys {
            if !on_path[y.node.0] {
                continue;
            }
            let seed = g.add(Some("Fill"), NodeSpec::new(Op::OnesLike, vec![*y]))?;
            pending.entry(*y).or_default().push(seed.out());
        }
        let mut blocked: Option<String> = None;
        for i in (0..n).rev() {
            if !on_path[i] {
                continue;
            }
            let id = NodeId(i);
            let num_outputs = g.nodes()[i].outputs.len();
            let mut out_grads: Vec<Option<Output>> = Vec::with_capacity(num_outputs);
            for k in 0..num_outputs {
                let t = Output { node: id, index: k };
                out_grads.push(match pending.remove(&t) {
                    None => None,
                    Some(list) => Some(sum_grads(g, list)?),
                });
                if let Some(gr) = out_grads[k] {
                    pending.insert(t, vec![gr]);
                }
            }
            if out_grads.iter().all(Option::is_none) || xs.iter().any(|x| x.node == id) && is_leaf(&g.nodes()[i].op) {
                continue;
            }
            let node = g.nodes()[i].clone();
            let scope = format!("{}_grad", node.name);
            g.push_name_scope(&scope);
            let grads = op_gradient(g, id, &out_grads);
            g.pop_name_scope();
            let grads = match grads {
                Ok(gr) => gr,
                Err(GradError::NotDifferentiable) => {
                    if node.inputs.iter().any(|t| on_path[t.node.0]) && blocked.is_none() {
                        blocked = Some(format!(
                            "No gradient defined for operation '{}' (op type: {})",
                            node.name,
                            node.op.type_name()
                        ));
                    }
                    continue;
                }
                Err(GradError::Engine(e)) => return Err(e),
            };
            for (t, gr) in node.inputs.iter().zip(grads) {
                if let Some(gr) = gr
                    && on_path[t.node.0]
                {
                    pending.entry(*t).or_default().push(gr);
                }
            }
        }
        let mut out = Vec::with_capacity(xs.len());
        for x in xs {
            let gr = match pending.remove(x) {
                None => None,
                Some(list) => Some(sum_grads(g, list)?),
            };
            if let Some(gr) = gr {
                pending.insert(*x, vec![gr]);
            }
            if gr.is_none()
                && on_path[x.node.0]
                && let Some(msg) = &blocked
            {
                return Err(Error::new(crate::engine::error::ErrorClass::LookupError, msg.clone()));
            }
            out.push(gr);
        }
        Ok(out)
    })();
    g.pop_name_scope();
    result
}

fn is_leaf(op: &Op) -> bool {
    matches!(op, Op::Variable { .. } | Op::Placeholder { .. } | Op::Const { .. })
}

/// Adds up the gradient contributions to one tensor (TF's `AddN`, here a chain of adds in order).
fn sum_grads(g: &mut Graph, list: Vec<Output>) -> Result<Output> {
    let mut it = list.into_iter();
    let Some(mut acc) = it.next() else {
        return Err(Error::internal("empty gradient list"));
    };
    for next in it {
        acc = g.binary(BinaryOp::Add, acc, next, Some("AddN"))?;
    }
    Ok(acc)
}

enum GradError {
    NotDifferentiable,
    Engine(Error),
}

impl From<Error> for GradError {
    fn from(e: Error) -> Self {
        GradError::Engine(e)
    }
}

fn add(g: &mut Graph, name: &str, op: Op, inputs: Vec<Output>) -> Result<Output> {
    Ok(g.add(Some(name), NodeSpec::new(op, inputs))?.out())
}

/// Reduces a broadcast gradient to the shape of `like`, unless the static shapes already agree.
/// Which of a broadcasting binary op's inputs `a`, `b` need their gradients summed back to their
/// shape, decided from the static shapes as TF's `SmartBroadcastGradientArgs` does: aligned from
/// the right, an axis where one side is 1 (or missing) and the other is not reduces that side;
/// an unknown rank, or an unknown dim facing anything but 1, leaves both to be reduced at run
/// time. An input that needs none gets the gradient as it is (no node).
fn must_reduce(g: &Graph, a: Output, b: Output) -> (bool, bool) {
    let dims = |t: Output| g.output_info(t).and_then(|(_, s)| s.dims().map(<[Option<usize>]>::to_vec));
    let (Some(xa), Some(ya)) = (dims(a), dims(b)) else { return (true, true) };
    let rank = xa.len().max(ya.len());
    let (mut rx, mut ry) = (false, false);
    for axis in 0..rank {
        let at = |d: &[Option<usize>]| if axis < rank - d.len() { Some(1) } else { d[axis - (rank - d.len())] };
        let (x, y) = (at(&xa), at(&ya));
        if x == Some(1) && y != Some(1) {
            rx = true;
        } else if y == Some(1) && x != Some(1) {
            ry = true;
        } else if x.is_none() || y.is_none() {
            return (true, true);
        }
    }
    (rx || xa.len() < ya.len(), ry || ya.len() < xa.len())
}

/// The gradients `ga`, `gb` of a broadcasting binary op's inputs `a`, `b`, each summed back to its
/// input's shape where [`must_reduce`] says so, the reductions named `Reshape`, `Reshape_1` in
/// the order they are made (as TF names its `Reshape`s).
fn reduce_both(g: &mut Graph, (a, ga): (Output, Output), (b, gb): (Output, Output)) -> Result<Vec<Option<Output>>> {
    let (rx, ry) = must_reduce(g, a, b);
    let mut names = ["Reshape", "Reshape_1"].into_iter();
    let mut reduce = |g: &mut Graph, grad: Output, like: Output, needed: bool| -> Result<Output> {
        if needed { add(g, names.next().unwrap_or("Reshape"), Op::SumToShape, vec![grad, like]) } else { Ok(grad) }
    };
    let ga = reduce(g, ga, a, rx)?;
    let gb = reduce(g, gb, b, ry)?;
    Ok(vec![Some(ga), Some(gb)])
}

fn float_like(g: &Graph, t: Output) -> bool {
    g.output_info(t).is_some_and(|(d, _)| d.is_float())
}

fn constant_like(g: &mut Graph, t: Output, x: f64, name: &str) -> Result<Output> {
    let dtype = g.output_info(t).map_or(DType::Float32, |i| i.0);
    g.constant(Value::filled(dtype, &[], x), Some(name))
}

/// The gradients of one op's inputs, given the gradients of its outputs (`None` = no gradient
/// flows into that output). The single place that knows every op's derivative.
fn op_gradient(
    g: &mut Graph,
    id: NodeId,
    dys: &[Option<Output>],
) -> std::result::Result<Vec<Option<Output>>, GradError> {
    let node = g.node(id).cloned().ok_or_else(|| Error::internal("gradient of a missing node"))?;
    let x = &node.inputs;
    let y = id.out();
    let Some(dy) = dys.first().copied().flatten().or_else(|| dys.get(1).copied().flatten()) else {
        return Ok(vec![None; x.len()]);
    };
    let mm = |ta: bool, tb: bool| Op::MatMul { transpose_a: ta, transpose_b: tb };
    Ok(match &node.op {
        Op::Identity | Op::Unary { kind: UnaryOp::Identity } => vec![Some(dy)],
        Op::Binary { kind } => {
            let (a, b) = (x[0], x[1]);
            match kind {
                BinaryOp::Add => reduce_both(g, (a, dy), (b, dy))?,
                BinaryOp::Sub => {
                    let neg = g.unary(UnaryOp::Neg, dy, Some("Neg"))?;
                    reduce_both(g, (a, dy), (b, neg))?
                }
                BinaryOp::Mul => {
                    let ga = g.binary(BinaryOp::Mul, dy, b, Some("Mul"))?;
                    let gb = g.binary(BinaryOp::Mul, a, dy, Some("Mul_1"))?;
                    reduce_both(g, (a, ga), (b, gb))?
                }
                BinaryOp::Div => {
                    if !float_like(g, a) {
                        return Err(GradError::NotDifferentiable);
                    }
                    let ga = g.binary(BinaryOp::Div, dy, b, Some("RealDiv"))?;
                    let na = g.unary(UnaryOp::Neg, a, Some("Neg"))?;
                    let t = g.binary(BinaryOp::Div, na, b, Some("RealDiv_1"))?;
                    let t = g.binary(BinaryOp::Div, t, b, Some("RealDiv_2"))?;
                    let gb = g.binary(BinaryOp::Mul, dy, t, Some("mul"))?;
                    reduce_both(g, (a, ga), (b, gb))?
                }
                BinaryOp::Maximum | BinaryOp::Minimum => {
                    let is_max = *kind == BinaryOp::Maximum;
                    let ga = add(g, "SelectV2", Op::MaximumMinimumGrad { is_max, for_x: true }, vec![a, b, dy])?;
                    let gb = add(g, "SelectV2_1", Op::MaximumMinimumGrad { is_max, for_x: false }, vec![a, b, dy])?;
                    reduce_both(g, (a, ga), (b, gb))?
                }
                BinaryOp::Pow => {
                    let one = g.add(Some("ones_like"), NodeSpec::new(Op::OnesLike, vec![b]))?.out();
                    let bm1 = g.binary(BinaryOp::Sub, b, one, Some("sub"))?;
                    let p = g.binary(BinaryOp::Pow, a, bm1, Some("Pow"))?;
                    let t = g.binary(BinaryOp::Mul, b, p, Some("mul"))?;
                    let ga = g.binary(BinaryOp::Mul, dy, t, Some("mul_1"))?;
                    let la = g.unary(UnaryOp::Log, a, Some("Log"))?;
                    let t2 = g.binary(BinaryOp::Mul, y, la, Some("mul_2"))?;
                    let gb = g.binary(BinaryOp::Mul, dy, t2, Some("mul_3"))?;
                    reduce_both(g, (a, ga), (b, gb))?
                }
                // TF registers the comparisons as not differentiable: no gradient flows.
                BinaryOp::Less
                | BinaryOp::Greater
                | BinaryOp::Equal
                | BinaryOp::NotEqual
                | BinaryOp::GreaterEqual
                | BinaryOp::LessEqual => vec![None, None],
            }
        }
        Op::Unary { kind } => {
            let a = x[0];
            if !float_like(g, a) {
                return Err(GradError::NotDifferentiable);
            }
            let gx = match kind.grad() {
                UnaryGrad::Kernel(k) => {
                    let operand = match k.facts().reads {
                        GradReads::Output => y,
                        GradReads::Input => a,
                    };
                    add(g, k.tf_name(), Op::UnaryGrad { kind: *kind }, vec![operand, dy])?
                }
                UnaryGrad::Built(recipe) => built_unary_grad(g, recipe, a, y, dy)?,
                UnaryGrad::None => return Ok(vec![None]),
            };
            vec![Some(gx)]
        }
        Op::MatMul { transpose_a, transpose_b } => {
            let (a, b) = (x[0], x[1]);
            let (ga, gb) = match (transpose_a, transpose_b) {
                (false, false) => {
                    (add(g, "MatMul", mm(false, true), vec![dy, b])?, add(g, "MatMul_1", mm(true, false), vec![a, dy])?)
                }
                (false, true) => (
                    add(g, "MatMul", mm(false, false), vec![dy, b])?,
                    add(g, "MatMul_1", mm(true, false), vec![dy, a])?,
                ),
                (true, false) => (
                    add(g, "MatMul", mm(false, true), vec![b, dy])?,
                    add(g, "MatMul_1", mm(false, false), vec![a, dy])?,
                ),
                (true, true) => {
                    (add(g, "MatMul", mm(true, true), vec![b, dy])?, add(g, "MatMul_1", mm(true, true), vec![dy, a])?)
                }
            };
            vec![Some(ga), Some(gb)]
        }
        Op::ClipByValue => {
            let gx = add(g, "zeros_like", Op::ClipByValueGrad, vec![x[0], x[1], x[2], dy])?;
            vec![Some(gx), None, None]
        }
        Op::Reduce { kind, axes, keep_dims } => {
            let op = Op::ReduceGrad { kind: *kind, axes: axes.clone(), keep_dims: *keep_dims };
            match kind {
                ReduceOp::Sum | ReduceOp::Mean => vec![Some(add(g, "Tile", op, vec![dy, x[0]])?)],
                ReduceOp::Max | ReduceOp::Min => vec![Some(add(g, "mul", op, vec![dy, x[0], y])?)],
                ReduceOp::Prod => return Err(GradError::NotDifferentiable),
            }
        }
        Op::Softmax => vec![Some(add(g, "SoftmaxGrad", Op::SoftmaxGrad, vec![y, dy])?)],
        Op::SigmoidCrossEntropyWithLogits => {
            let (labels, logits) = (x[0], x[1]);
            let gl = add(g, "SigmoidGrad", Op::SigmoidCrossEntropyGrad, vec![labels, logits, dy])?;
            let nl = g.unary(UnaryOp::Neg, logits, Some("Neg"))?;
            let gz = g.binary(BinaryOp::Mul, dy, nl, Some("mul"))?;
            vec![Some(gz), Some(gl)]
        }
        Op::SoftmaxCrossEntropyWithLogits => {
            let logits = x[1];
            let Some(dloss) = dys.first().copied().flatten() else {
                return Err(GradError::NotDifferentiable);
            };
            let e = add(g, "ExpandDims", Op::ExpandDims { axis: -1 }, vec![dloss])?;
            let backprop = Output { node: id, index: 1 };
            let gl = g.binary(BinaryOp::Mul, e, backprop, Some("mul"))?;
            let sm = add(g, "Softmax", Op::Softmax, vec![logits])?;
            let lsm = g.unary(UnaryOp::Log, sm, Some("LogSoftmax"))?;
            let nl = g.unary(UnaryOp::Neg, lsm, Some("Neg"))?;
            let gz = g.binary(BinaryOp::Mul, e, nl, Some("mul_1"))?;
            vec![Some(gz), Some(gl)]
        }
        Op::Select => {
            // TF's _SelectGrad: the condition gets none; `t` gets dy where it was chosen, `e` the rest.
            let (c, t) = (x[0], x[1]);
            let zeros = add(g, "zeros_like", Op::ZerosLike, vec![t])?;
            let gt = add(g, "Select", Op::Select, vec![c, dy, zeros])?;
            let ge = add(g, "Select_1", Op::Select, vec![c, zeros, dy])?;
            vec![None, Some(gt), Some(ge)]
        }
        Op::L2Loss => vec![Some(g.binary(BinaryOp::Mul, x[0], dy, Some("mul"))?)],
        Op::AddN { .. } => vec![Some(dy); x.len()],
        Op::ArgMax { .. } => vec![None],
        Op::SparseSoftmaxCrossEntropyWithLogits => {
            let Some(dloss) = dys.first().copied().flatten() else {
                return Err(GradError::NotDifferentiable);
            };
            let e = add(g, "ExpandDims", Op::ExpandDims { axis: -1 }, vec![dloss])?;
            let backprop = Output { node: id, index: 1 };
            vec![Some(g.binary(BinaryOp::Mul, e, backprop, Some("mul"))?), None]
        }
        Op::Cast { to } => {
            let from = g.output_info(x[0]).map_or(DType::Float32, |i| i.0);
            if !(from.is_float() && to.is_float()) {
                return Err(GradError::NotDifferentiable);
            }
            vec![Some(add(g, "Cast", Op::Cast { to: from }, vec![dy])?)]
        }
        Op::ExpandDims { .. } => vec![Some(add(g, "Reshape", Op::SumToShape, vec![dy, x[0]])?)],
        Op::Const { .. }
        | Op::Placeholder { .. }
        | Op::Variable { .. }
        | Op::Fill { .. }
        | Op::NoOp
        | Op::OnesLike
        | Op::ZerosLike
        | Op::RandomStandardNormal { .. }
        | Op::TruncatedNormal { .. }
        | Op::RandomUniform { .. } => vec![None; x.len()],
        Op::Assign { .. }
        | Op::AssignAdd
        | Op::AssignSub
        | Op::ApplyGradientDescent
        | Op::ApplyMomentum { .. }
        | Op::ApplyAdam { .. }
        | Op::ApplyRMSProp
        | Op::UnaryGrad { .. }
        | Op::ClipByValueGrad
        | Op::MaximumMinimumGrad { .. }
        | Op::SumToShape
        | Op::ReduceGrad { .. }
        | Op::SoftmaxGrad
        | Op::SigmoidCrossEntropyGrad
        | Op::Unregistered { .. } => return Err(GradError::NotDifferentiable),
    })
}

/// The gradients of unary ops built from other ops, named as TF's Python gradient functions name
/// them under `gradients/<op>_grad/`.
fn built_unary_grad(g: &mut Graph, recipe: GradRecipe, a: Output, y: Output, dy: Output) -> Result<Output> {
    Ok(match recipe {
        GradRecipe::Negate => g.unary(UnaryOp::Neg, dy, Some("Neg"))?,
        GradRecipe::MulReciprocalOfInput => {
            let r = g.unary(UnaryOp::Reciprocal, a, Some("Reciprocal"))?;
            g.binary(BinaryOp::Mul, dy, r, Some("mul"))?
        }
        GradRecipe::MulOutput => g.binary(BinaryOp::Mul, dy, y, Some("mul"))?,
        GradRecipe::MulTwiceInput => {
            let two = constant_like(g, a, 2.0, "Const")?;
            let t = g.binary(BinaryOp::Mul, a, two, Some("Mul"))?;
            g.binary(BinaryOp::Mul, dy, t, Some("Mul_1"))?
        }
        GradRecipe::MulSignOfInput => {
            let s = g.unary(UnaryOp::Sign, a, Some("Sign"))?;
            g.binary(BinaryOp::Mul, dy, s, Some("mul"))?
        }
        GradRecipe::Zeros => g.add(Some("zeros_like"), NodeSpec::new(Op::ZerosLike, vec![a]))?.out(),
        GradRecipe::PassThrough => dy,
    })
}
