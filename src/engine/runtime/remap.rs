//! Which activations TF 2.21 runs fused into the `MatMul` before them, so that a run computes them
//! as oneDNN does (`math::onednn_eltwise`) rather than as TF's own Eigen kernel.
//!
//! TF's grappler remapper (x86-64, oneDNN on by default) rewrites `MatMul` → `Add` of a bias →
//! activation into one `_MklFusedMatMul` (oneDNN's inner product with the activation as a
//! post-op). Inside the fused op the matmul's sum is the plain `MatMul`'s and the bias add is one
//! rounded add, so only the activation differs: `Elu`, `Sigmoid` and `Tanh` have their own
//! oneDNN kernels (different in the last bits from Eigen's for 5–45% of inputs); `Relu`, `Relu6`
//! and `LeakyRelu` differ at most in the sign of a zero and are left as they are.
//!
//! Measured here (TF 2.21, `ONEDNN_VERBOSE=all`): TF fuses when the shapes of the weights and the
//! bias are known to grappler, which infers a fed tensor's shape as unknown: so not when the
//! weights or the bias is (or is computed from) a fed tensor such as a placeholder, but with
//! variables, constants or ops of them; the bias on either side of the `Add`, of shape `[n]` or
//! `[1, n]`. Grappler keeps fetched tensors, so not when the run fetches the `Add` or the
//! `MatMul` (`sess.run(add)` and `sess.run(sigmoid)` in one call give Eigen's `Sigmoid`).
//!
//! The rule here: an `Elu`, `Sigmoid` or `Tanh` whose input is `Add(MatMul(x, w), b)` or
//! `Add(b, MatMul(x, w))`, float32, no transposes, `b` of static shape `[n]` or `[1, n]`, neither
//! `w` nor `b` reached from a fed tensor, the `Add` read only by this activation and the `MatMul`
//! only by the `Add` (reads of a shape alone, as gradients make, do not count), and neither of the
//! two fetched.

use crate::engine::DType;
use crate::engine::graph::elementwise::BinaryOp;
use crate::engine::graph::op::Op;
use crate::engine::graph::{Graph, NodeId, Output};
use crate::engine::kernels::elementwise::onednn_kernel;

/// True when TF computes the activation node `node` inside a fused `MatMul` (see the module
/// documentation); `fetches` are the tensors the run fetches, `fed` the tensors it feeds.
pub fn tf_fuses_activation(graph: &Graph, node: NodeId, fetches: &[Output], fed: &[Output]) -> bool {
    let Some(act) = graph.node(node) else { return false };
    if !matches!(act.op, Op::Unary { kind } if onednn_kernel(kind).is_some()) || act.inputs.len() != 1 {
        return false;
    }
    let pre = act.inputs[0];
    let Some(add) = graph.node(pre.node) else { return false };
    if !matches!(add.op, Op::Binary { kind: BinaryOp::Add }) || add.inputs.len() != 2 {
        return false;
    }
    let is_matmul = |t: Output| {
        graph.node(t.node).is_some_and(|n| {
            matches!(n.op, Op::MatMul { transpose_a: false, transpose_b: false }) && n.inputs.len() == 2
        })
    };
    let (mm_out, bias) = match (is_matmul(add.inputs[0]), is_matmul(add.inputs[1])) {
        (true, _) => (add.inputs[0], add.inputs[1]),
        (false, true) => (add.inputs[1], add.inputs[0]),
        _ => return false,
    };
    let Some(mm) = graph.node(mm_out.node) else { return false };
    let f32_shape = |t: Output| graph.output_info(t).filter(|(d, _)| *d == DType::Float32).map(|(_, s)| s);
    let (Some(pre_shape), Some(mm_shape), Some(b_shape)) = (f32_shape(pre), f32_shape(mm_out), f32_shape(bias)) else {
        return false;
    };
    let n = match mm_shape.dims() {
        Some([_, Some(n)]) => *n,
        _ => return false,
    };
    let bias_ok = matches!(b_shape.dims(), Some([Some(k)]) | Some([Some(1), Some(k)]) if *k == n);
    if pre_shape.rank() != Some(2) || !bias_ok {
        return false;
    }
    if fetches.contains(&pre) || fetches.contains(&mm_out) {
        return false;
    }
    if reaches_fed(graph, mm.inputs[1], fed) || reaches_fed(graph, bias, fed) {
        return false;
    }
    only_read_by(graph, pre, node) && only_read_by(graph, mm_out, pre.node)
}

/// True when `t` is, or is computed from, a fed tensor or a placeholder (which a run must feed).
fn reaches_fed(graph: &Graph, t: Output, fed: &[Output]) -> bool {
    let mut seen = vec![false; graph.nodes().len()];
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        if fed.contains(&t) {
            return true;
        }
        let Some(node) = graph.node(t.node) else { continue };
        if std::mem::replace(&mut seen[t.node.0], true) {
            continue;
        }
        if matches!(node.op, Op::Placeholder { .. }) {
            return true;
        }
        stack.extend(node.inputs.iter().copied());
    }
    false
}

/// True when every node reading `t` is `reader`, apart from reads of `t`'s shape alone.
fn only_read_by(graph: &Graph, t: Output, reader: NodeId) -> bool {
    graph.nodes().iter().enumerate().all(|(i, n)| {
        NodeId(i) == reader
            || n.inputs.iter().enumerate().all(|(k, &input)| {
                input != t || matches!((&n.op, k), (Op::SumToShape, 1) | (Op::OnesLike | Op::ZerosLike, _))
            })
    })
}
