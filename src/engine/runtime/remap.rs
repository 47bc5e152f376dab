//! Which activations TF 2.21 runs fused into the `MatMul` before them, so that a run computes them
//! as oneDNN does (`math::onednn_eltwise`) rather than as TF's own Eigen kernel.
//!
//! TF's grappler remapper (x86-64, oneDNN on by default) rewrites `MatMul` → `Add` of a bias →
//! activation into one `_MklFusedMatMul` (oneDNN's inner product with the activation as a
//! post-op). Measured here (TF 2.21, `ONEDNN_VERBOSE=all`): it does so when the weights and the
//! bias are both variables — with either one a placeholder TF runs the three ops apart — and not
//! for the nodes a run fetches (grappler keeps fetched tensors), so `sess.run(add)` and
//! `sess.run(elu)` in one call give Eigen's `Elu`. Inside the fused op the matmul's sum is the
//! plain `MatMul`'s and the bias add is one rounded add, so only the activation differs: of the
//! activations modelled here, `Elu` (its `exp`); `Relu` differs only in the sign of its zeros and
//! is left as it is.
//!
//! The rule here: an `Elu` whose input is `Add(MatMul(x, w), b)` with `w` and `b` variable
//! reads, `b` of rank 1, no transposes, float32, the `Add` read only by this `Elu` and the
//! `MatMul` only by the `Add` (reads of a shape alone, as gradients make, do not count), and
//! neither of the two fetched.

use crate::engine::DType;
use crate::engine::graph::elementwise::{BinaryOp, UnaryOp};
use crate::engine::graph::op::Op;
use crate::engine::graph::{Graph, NodeId, Output};

/// True when TF computes the `Elu` node `node` inside a fused `MatMul` (see the module
/// documentation); `fetches` are the tensors the run fetches.
pub fn tf_fuses_elu(graph: &Graph, node: NodeId, fetches: &[Output]) -> bool {
    let Some(elu) = graph.node(node) else { return false };
    if !matches!(elu.op, Op::Unary { kind: UnaryOp::Elu }) || elu.inputs.len() != 1 {
        return false;
    }
    let pre = elu.inputs[0];
    let Some(add) = graph.node(pre.node) else { return false };
    if !matches!(add.op, Op::Binary { kind: BinaryOp::Add }) || add.inputs.len() != 2 {
        return false;
    }
    let (mm_out, bias) = (add.inputs[0], add.inputs[1]);
    let Some(mm) = graph.node(mm_out.node) else { return false };
    if !matches!(mm.op, Op::MatMul { transpose_a: false, transpose_b: false }) || mm.inputs.len() != 2 {
        return false;
    }
    let is_variable = |t: Output| graph.node(t.node).is_some_and(|n| matches!(n.op, Op::Variable { .. }));
    let f32_rank = |t: Output| graph.output_info(t).filter(|(d, _)| *d == DType::Float32).map(|(_, s)| s.rank());
    if !is_variable(mm.inputs[1]) || !is_variable(bias) {
        return false;
    }
    if f32_rank(pre) != Some(Some(2)) || f32_rank(mm_out) != Some(Some(2)) || f32_rank(bias) != Some(Some(1)) {
        return false;
    }
    if fetches.contains(&pre) || fetches.contains(&mm_out) {
        return false;
    }
    only_read_by(graph, pre, node) && only_read_by(graph, mm_out, pre.node)
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
