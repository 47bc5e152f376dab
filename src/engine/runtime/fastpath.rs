//! The fast path of a run plan: once a plan has run and its shapes are known, a float32 plan
//! made of common ops is lowered to a flat list of slice instructions over fixed-size buffers,
//! with no ndarray bookkeeping per op, and with reads of variables, constants, feeds and
//! identities aliased instead of copied. Each run checks that the feed shapes are the ones it was
//! built for; otherwise the session uses the general path. Both paths compute the same formulas
//! in the same order (the formulas of `kernels::elementwise`; tests check training is
//! bit-identical), so this is only about speed. It knows feeds (`runtime::feed`) but not sessions.

use crate::engine::error::{Error, Result};
use crate::engine::graph::elementwise::{BinaryOp, GradKernel, ReduceOp, UnaryGrad, UnaryOp};
use crate::engine::graph::op::Op;
use crate::engine::graph::{Graph, NodeId};
use crate::engine::kernels::elementwise::{
    binary_arith, eigen_unary, eigen_unary_grad, eigen_unary_grad_pair, eigen_unary_pair, unary_grad_scalar,
    unary_scalar,
};
use crate::engine::kernels::nn::{sigmoid_xent_f32, sigmoid_xent_grad_f32};
use crate::engine::kernels::sum_f32;
use crate::engine::runtime::feed::Feed;
use crate::engine::value::Value;

/// Elementwise updates of at least this many elements are split across the session's pool.
const PAR_MIN_ELEMENTS: usize = 1 << 16;

/// Where an instruction reads a float32 slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Loc {
    /// A scratch buffer of the program.
    Buf(usize),
    /// Feed `k` of the run.
    Feed(usize),
    /// A session variable slot.
    Var(usize),
}

/// How a binary op lines up its operands.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Same,
    ScalarA,
    ScalarB,
    /// `b` is one row (`[n]` or `[1, n]`) repeated over `a`'s rows (a bias add).
    RowB,
    /// `a` is one row repeated over `b`'s rows.
    RowA,
    /// `a` is one column (`[m, 1]`) repeated over `b`'s columns (`[m, n]`; a per-example scale).
    ColA,
    /// `b` is one column repeated over `a`'s columns.
    ColB,
}

/// The binary ops the fast path runs (the others keep a plan on the general path).
fn lowers_binary(op: BinaryOp) -> bool {
    match op {
        BinaryOp::Add
        | BinaryOp::Sub
        | BinaryOp::Mul
        | BinaryOp::Div
        | BinaryOp::Maximum
        | BinaryOp::Minimum
        | BinaryOp::Pow => true,
        BinaryOp::Less
        | BinaryOp::Greater
        | BinaryOp::Equal
        | BinaryOp::NotEqual
        | BinaryOp::GreaterEqual
        | BinaryOp::LessEqual => false,
    }
}

/// True when `col` is one column (`[m, 1]`) of a `full` `[m, n]` shape.
fn is_col_of(col: &[usize], full: &[usize]) -> bool {
    matches!((col, full), ([m, 1], [fm, n]) if m == fm && *n > 0 && *m > 0)
}

/// True when `row` is one row (`[n]`, `[1, n]`, ...) of a `full` shape whose last dim is `n`.
fn is_row_of(row: &[usize], full: &[usize]) -> bool {
    match (row.split_last(), full.last()) {
        (Some((&n, lead)), Some(&m)) => n == m && lead.iter().all(|&d| d == 1) && row.len() <= full.len() && n > 0,
        _ => false,
    }
}

#[derive(Clone, Debug)]
enum Instr {
    Bin {
        op: BinaryOp,
        a: Loc,
        b: Loc,
        out: usize,
        mode: Mode,
    },
    Un {
        op: UnaryOp,
        x: Loc,
        out: usize,
        /// The activation as oneDNN computes it inside TF's fused `MatMul` (`runtime::remap`).
        fused: bool,
    },
    /// `L2Loss(x)`: `sum(x * x * 0.5)` (`scratch` holds the halves, `x`'s size).
    L2Loss {
        x: Loc,
        out: usize,
        scratch: usize,
    },
    /// `AddN(xs)` in TF's kernel order (`kernels::elementwise::add_n`); `scratch` holds a block's
    /// sum.
    AddN {
        xs: Vec<Loc>,
        out: usize,
        scratch: usize,
    },
    MatMul {
        a: Loc,
        b: Loc,
        out: usize,
        m: usize,
        k: usize,
        n: usize,
        ta: bool,
        tb: bool,
        /// A small product in TF's summation order (`uses_eigen_matmul`), called directly.
        eigen: bool,
    },
    /// A big matmul (on the blocked GEMM) fused with the bias add after it and, when `relu`,
    /// the `Relu` after that (`fuse_bias_relu`): each element as the three ops round it.
    MatMulBias {
        a: Loc,
        b: Loc,
        bias: Loc,
        out: usize,
        m: usize,
        k: usize,
        n: usize,
        ta: bool,
        tb: bool,
        relu: bool,
    },
    ReduceAll {
        x: Loc,
        out: usize,
        mean: bool,
    },
    Clip {
        x: Loc,
        lo: Loc,
        hi: Loc,
        out: usize,
    },
    ClipGrad {
        t: Loc,
        lo: Loc,
        hi: Loc,
        dy: Loc,
        out: usize,
    },
    UnaryGrad {
        kind: GradKernel,
        a: Loc,
        dy: Loc,
        out: usize,
    },
    ReduceGradAll {
        dy: Loc,
        out: usize,
        mean: bool,
    },
    SigmoidXent {
        z: Loc,
        x: Loc,
        out: usize,
    },
    SumRows {
        g: Loc,
        out: usize,
    },
    MaxMinGrad {
        is_max: bool,
        for_x: bool,
        x: Loc,
        y: Loc,
        dy: Loc,
        out: usize,
    },
    SigmoidXentGrad {
        z: Loc,
        x: Loc,
        dy: Loc,
        out: usize,
    },
    /// `SoftmaxCrossEntropyWithLogits` of `[batch, classes]` labels and logits: the loss into
    /// `out`, the backprop into `backprop`.
    SoftmaxXent {
        labels: Loc,
        logits: Loc,
        out: usize,
        backprop: usize,
        classes: usize,
    },
    /// `SparseSoftmaxCrossEntropyWithLogits` of `[batch, classes]` logits and labels held as
    /// exact float32 integers (an `ArgMax`'s output).
    SparseXent {
        logits: Loc,
        labels: Loc,
        out: usize,
        backprop: usize,
        classes: usize,
    },
    /// `ArgMax` along the last axis of a `[rows, n]` float32 operand, the indices as float32.
    ArgMax {
        x: Loc,
        out: usize,
        n: usize,
    },
    /// The value of an integer variable, as float32 (as `Cast` to float32 gives it).
    IntVar {
        slot: usize,
        out: usize,
    },
    Copy {
        src: Loc,
        out: usize,
    },
    Fill {
        out: usize,
        value: f32,
    },
    Assign {
        slot: usize,
        src: Loc,
        out: usize,
    },
    ApplyGd {
        slot: usize,
        alpha: Loc,
        delta: Loc,
    },
    /// `AssignAdd`/`AssignSub` of a float32 variable.
    AssignUpdate {
        slot: usize,
        delta: Loc,
        sub: bool,
    },
    /// A moving average's update fused (`AssignSub(a, (a - w) * k)`): `a -= (a - w) * k` per
    /// element, each operation rounded as when unfused.
    AverageUpdate {
        slot: usize,
        w: Loc,
        keep: Loc,
    },
    /// `ApplyGradientDescent(w, alpha, w * c + g)` fused (an L2 term's gradient added to the
    /// loss's): `w -= (w * c + g) * alpha` per element (`g + w * c` when `l2_first` is false).
    GdWithL2 {
        slot: usize,
        alpha: Loc,
        c: Loc,
        g: Loc,
        l2_first: bool,
    },
    /// An [`Instr::AverageUpdate`] of `avg` from the variable `slot` fused with the later
    /// [`Instr::GdWithL2`] of `slot` (`fuse_average_gd`): one pass over both variables, the
    /// average reading each weight before its step (`kernels::apply::average_gd_l2_f32`).
    AverageGdL2 {
        avg: usize,
        keep: Loc,
        slot: usize,
        alpha: Loc,
        c: Loc,
        g: Loc,
        l2_first: bool,
    },
    /// `AssignAdd`/`AssignSub` of an integer variable by integers held as exact float32 (a
    /// constant's), with wrapping.
    AssignUpdateInt {
        slot: usize,
        delta: Loc,
        sub: bool,
    },
    ApplyMomentum {
        slots: [usize; 2],
        lr: Loc,
        grad: Loc,
        momentum: Loc,
        nesterov: bool,
    },
    ApplyAdam {
        slots: [usize; 3],
        scalars: [Loc; 6],
        grad: Loc,
        nesterov: bool,
    },
    ApplyRms {
        slots: [usize; 3],
        scalars: [Loc; 4],
        grad: Loc,
    },
}

impl Instr {
    /// The scratch buffer the instruction writes, if any.
    fn out(&self) -> Option<usize> {
        match *self {
            Instr::Bin { out, .. }
            | Instr::Un { out, .. }
            | Instr::L2Loss { out, .. }
            | Instr::AddN { out, .. }
            | Instr::MatMul { out, .. }
            | Instr::MatMulBias { out, .. }
            | Instr::ReduceAll { out, .. }
            | Instr::Clip { out, .. }
            | Instr::ClipGrad { out, .. }
            | Instr::UnaryGrad { out, .. }
            | Instr::ReduceGradAll { out, .. }
            | Instr::SigmoidXent { out, .. }
            | Instr::SumRows { out, .. }
            | Instr::MaxMinGrad { out, .. }
            | Instr::SigmoidXentGrad { out, .. }
            | Instr::SoftmaxXent { out, .. }
            | Instr::SparseXent { out, .. }
            | Instr::ArgMax { out, .. }
            | Instr::IntVar { out, .. }
            | Instr::Copy { out, .. }
            | Instr::Fill { out, .. }
            | Instr::Assign { out, .. } => Some(out),
            Instr::ApplyGd { .. }
            | Instr::AssignUpdate { .. }
            | Instr::AssignUpdateInt { .. }
            | Instr::AverageUpdate { .. }
            | Instr::GdWithL2 { .. }
            | Instr::AverageGdL2 { .. }
            | Instr::ApplyMomentum { .. }
            | Instr::ApplyAdam { .. }
            | Instr::ApplyRms { .. } => None,
        }
    }

    /// The second buffer an instruction writes (the backprop of `SoftmaxXent`).
    fn out2(&self) -> Option<usize> {
        match *self {
            Instr::SoftmaxXent { backprop, .. } | Instr::SparseXent { backprop, .. } => Some(backprop),
            Instr::L2Loss { scratch, .. } | Instr::AddN { scratch, .. } => Some(scratch),
            _ => None,
        }
    }

    /// True for instructions that write variables (kept whether or not anything reads them).
    fn has_effects(&self) -> bool {
        matches!(
            self,
            Instr::Assign { .. }
                | Instr::ApplyGd { .. }
                | Instr::AssignUpdate { .. }
                | Instr::AssignUpdateInt { .. }
                | Instr::AverageUpdate { .. }
                | Instr::GdWithL2 { .. }
                | Instr::AverageGdL2 { .. }
                | Instr::ApplyMomentum { .. }
                | Instr::ApplyAdam { .. }
                | Instr::ApplyRms { .. }
        )
    }

    /// Every location the instruction reads.
    fn reads(&self) -> Vec<Loc> {
        match self {
            Instr::Bin { a, b, .. } | Instr::MatMul { a, b, .. } => vec![*a, *b],
            Instr::MatMulBias { a, b, bias, .. } => vec![*a, *b, *bias],
            Instr::Un { x, .. } | Instr::ReduceAll { x, .. } | Instr::L2Loss { x, .. } => vec![*x],
            Instr::AddN { xs, .. } => xs.clone(),
            Instr::Clip { x, lo, hi, .. } => vec![*x, *lo, *hi],
            Instr::ClipGrad { t, lo, hi, dy, .. } => vec![*t, *lo, *hi, *dy],
            Instr::UnaryGrad { a, dy, .. } => vec![*a, *dy],
            Instr::ReduceGradAll { dy, .. } => vec![*dy],
            Instr::SigmoidXent { z, x, .. } => vec![*z, *x],
            Instr::SumRows { g, .. } => vec![*g],
            Instr::MaxMinGrad { x, y, dy, .. } => vec![*x, *y, *dy],
            Instr::SigmoidXentGrad { z, x, dy, .. } => vec![*z, *x, *dy],
            Instr::SoftmaxXent { labels, logits, .. } | Instr::SparseXent { labels, logits, .. } => {
                vec![*labels, *logits]
            }
            Instr::ArgMax { x, .. } => vec![*x],
            Instr::IntVar { .. } => vec![],
            Instr::AssignUpdate { delta, .. } | Instr::AssignUpdateInt { delta, .. } => vec![*delta],
            Instr::AverageUpdate { w, keep, .. } => vec![*w, *keep],
            Instr::GdWithL2 { alpha, c, g, .. } => vec![*alpha, *c, *g],
            Instr::AverageGdL2 { keep, slot, alpha, c, g, .. } => vec![*keep, Loc::Var(*slot), *alpha, *c, *g],
            Instr::Copy { src, .. } | Instr::Assign { src, .. } => vec![*src],
            Instr::Fill { .. } => vec![],
            Instr::ApplyGd { alpha, delta, .. } => vec![*alpha, *delta],
            Instr::ApplyMomentum { lr, grad, momentum, .. } => vec![*lr, *grad, *momentum],
            Instr::ApplyAdam { scalars, grad, .. } => scalars.iter().copied().chain([*grad]).collect(),
            Instr::ApplyRms { scalars, grad, .. } => scalars.iter().copied().chain([*grad]).collect(),
        }
    }
}

/// A lowered plan.
#[derive(Debug, Default)]
pub(crate) struct FastProgram {
    feed_shapes: Vec<Vec<usize>>,
    bufs: Vec<Vec<f32>>,
    instrs: Vec<Instr>,
    /// Where each fetch of the plan lives after a run, with its shape.
    pub(crate) fetches: Vec<(Loc, Vec<usize>)>,
    /// Variable slots the program touches, with their element counts (all must be initialized).
    var_slots: Vec<(usize, usize)>,
    /// Integer variable slots the program reads or updates, with their element counts.
    int_slots: Vec<(usize, usize)>,
    /// Some instruction is big enough to be split across a pool (a big matmul or update).
    splits: bool,
    /// Where every location's data lies (see [`View`]): buffer `b` at `b` (set once, when the
    /// program is finished: the buffers never move after that), feed `k` at `bufs.len() + k` and
    /// variable slot `s` at `bufs.len() + feed_shapes.len() + s` (set by [`FastProgram::bind`]
    /// when a run starts; feeds' only read during the run that set them, variables' kept while
    /// the session's variables stay in place).
    views: Vec<View>,
    /// What a run executes, in order: the small instructions resolved ([`Quick`]), the others
    /// by their index in `instrs`.
    quick: Vec<Quick>,
    /// The plans of the small matmuls of `quick` (chosen once: kernel, packing, vector width).
    plans: Vec<crate::engine::math::matmul_simd::MatMulPlan>,
    /// Packing room for the plans (the largest one's).
    scratch: Vec<f32>,
    /// The variables the views of `var_slots` were bound to: the session's variable epoch and
    /// the address and length of its slots (see [`FastProgram::bind`]).
    vars_bound: Option<(u64, usize, usize)>,
}

/// An instruction of a finished program, as a run executes it: the common small ones with their
/// operands resolved to indices into the views and their sizes checked once, when the program was
/// finished (so a run does no lookups, size checks or pool checks for them), the others through
/// the general [`exec`].
#[derive(Clone, Copy, Debug)]
enum Quick {
    /// `out = op(a, b)` over operands lined up by `mode`.
    Bin {
        op: BinaryOp,
        mode: Mode,
        a: u32,
        b: u32,
        out: u32,
    },
    /// A unary op by its vector kernel (`fh`, its hardware-flush form, where the run has the
    /// token).
    Un {
        f: crate::engine::kernels::elementwise::UnaryF32,
        fh: crate::engine::kernels::elementwise::UnaryF32Hw,
        x: u32,
        out: u32,
    },
    /// A unary op without an Eigen kernel, by its plain formula (`unary_scalar`).
    UnPlain {
        op: UnaryOp,
        x: u32,
        out: u32,
    },
    /// A unary op's gradient by its vector kernel (`fh` as for `Un`).
    UnaryGrad {
        f: crate::engine::kernels::elementwise::UnaryGradF32,
        fh: crate::engine::kernels::elementwise::UnaryGradF32Hw,
        a: u32,
        dy: u32,
        out: u32,
    },
    Clip {
        x: u32,
        lo: u32,
        hi: u32,
        out: u32,
    },
    ClipGrad {
        t: u32,
        lo: u32,
        hi: u32,
        dy: u32,
        out: u32,
    },
    /// A bias gradient: the `[rows, cols]` rows of `g` summed into `out`.
    SumRows {
        g: u32,
        out: u32,
        rows: u32,
        cols: u32,
    },
    SigmoidXentGrad {
        z: u32,
        x: u32,
        dy: u32,
        out: u32,
    },
    /// `SoftmaxCrossEntropyWithLogits` in TF's order (`eigen::softmax_xent_f32`).
    SoftmaxXent {
        labels: u32,
        logits: u32,
        out: u32,
        backprop: u32,
        classes: u32,
    },
    /// A small matmul in TF's order, whole, by its plan (`FastProgram::plans`).
    MatMul {
        a: u32,
        b: u32,
        out: u32,
        plan: u32,
    },
    Adam {
        w: u32,
        m: u32,
        v: u32,
        sc: [u32; 6],
        g: u32,
        nesterov: bool,
    },
    Gd {
        w: u32,
        alpha: u32,
        g: u32,
    },
    Assign {
        var: u32,
        src: u32,
        out: u32,
    },
    /// `instrs[i]`, through [`exec`].
    Other(u32),
}

/// Where a buffer's, a feed's or a float32 variable's data lies: a buffer's once for all, a feed's
/// or a variable's once per run (one layout check per tensor), instead of at every read of every
/// instruction.
#[derive(Clone, Copy, Debug)]
struct View {
    ptr: *mut f32,
    len: usize,
}

impl View {
    const EMPTY: View = View { ptr: std::ptr::NonNull::<f32>::dangling().as_ptr(), len: 0 };
}

// SAFETY: a buffer's `View` points into the program's own buffers, which move with it (their heap
// data does not move). A feed's or variable's `View` is only dereferenced inside the
// `FastProgram::run` whose `bind` set it, which holds the feeds (shared) and the variables
// (exclusively) it points into for its whole duration; outside a run it is never read.
unsafe impl Send for View {}

/// What lowering needs to know about one plan step: its node, its inputs' locations in the
/// general plan, the shapes its outputs had in the run just done, and its variable slots.
pub(crate) struct StepView<'a> {
    pub node: NodeId,
    pub inputs: &'a [Option<(usize, usize)>],
    pub feed_inputs: &'a [Option<usize>],
    pub out_shapes: Vec<Vec<usize>>,
    pub var_slot: Option<usize>,
    pub ref_slots: &'a [usize],
    /// An activation computed as TF's fused `MatMul` does (`runtime::remap`).
    pub fused: bool,
    pub out_is_f32: bool,
}

fn f32_slice(v: &Value) -> Option<&[f32]> {
    match v {
        Value::F32(a) => a.as_slice(),
        _ => None,
    }
}

impl FastProgram {
    /// Lowers a plan, or says why it cannot be (any op or dtype outside the fast set).
    pub(crate) fn build(
        graph: &Graph,
        steps: &[StepView<'_>],
        feeds_shapes: Vec<Vec<usize>>,
        fetches: &[Option<(usize, usize)>],
        fetch_feeds: &[Option<usize>],
        reason: &mut String,
    ) -> Option<FastProgram> {
        let mut p = FastProgram { feed_shapes: feeds_shapes, ..Default::default() };
        // Location of output 0 of each plan step (every fast op has one output).
        let mut loc: Vec<Option<Loc>> = vec![None; steps.len()];
        // Location of output 1 of the steps that have a second one (`SoftmaxXent`'s backprop).
        let mut loc1: Vec<Option<Loc>> = vec![None; steps.len()];
        // Steps whose output 0 is an integer tensor, held as exact float32 integers: only the ops
        // made for them read these (`Cast` to float32, sparse labels, integer updates).
        let mut int_out = vec![false; steps.len()];
        // Variable slots written by some step, and at which step.
        let mut first_write: Vec<(usize, usize)> = Vec::new();
        for (si, s) in steps.iter().enumerate() {
            let node = graph.node(s.node)?;
            if matches!(node.op, Op::Assign { .. } | Op::AssignAdd | Op::AssignSub) {
                first_write.push((s.var_slot?, si));
            }
            for &r in s.ref_slots {
                first_write.push((r, si));
            }
        }
        // The last step that reads each step's output.
        let mut last_use = vec![0usize; steps.len()];
        for (si, s) in steps.iter().enumerate() {
            for src in s.inputs.iter().flatten() {
                last_use[src.0] = last_use[src.0].max(si);
            }
        }
        for f in fetches.iter().flatten() {
            last_use[f.0] = usize::MAX;
        }
        let new_buf = |p: &mut FastProgram, shape: &[usize]| -> usize {
            p.bufs.push(vec![0.0; shape.iter().product()]);
            p.bufs.len() - 1
        };
        for (si, s) in steps.iter().enumerate() {
            let node = graph.node(s.node)?;
            *reason = format!("{} ({})", node.name, node.op.type_name());
            let shape = s.out_shapes.first().cloned().unwrap_or_default();
            let input = |k: usize| -> Option<Loc> {
                if let Some(Some(f)) = s.feed_inputs.get(k) {
                    return Some(Loc::Feed(*f));
                }
                let (step, out) = (*s.inputs.get(k)?)?;
                match out {
                    0 if !int_out[step] => loc[step],
                    1 => loc1[step],
                    _ => None,
                }
            };
            // An integer input held as float32 (only from a lowered integer step, never a feed).
            let int_input = |k: usize| -> Option<Loc> {
                match *s.inputs.get(k)? {
                    Some((step, 0)) if int_out[step] => loc[step],
                    _ => None,
                }
            };
            let in_shape = |k: usize| -> Option<Vec<usize>> {
                if let Some(Some(f)) = s.feed_inputs.get(k) {
                    return p.feed_shapes.get(*f).cloned();
                }
                let (step, out) = (*s.inputs.get(k)?)?;
                steps.get(step)?.out_shapes.get(out).cloned()
            };
            let int_op = matches!(
                node.op,
                Op::Variable { .. } | Op::Const { .. } | Op::ArgMax { .. } | Op::AssignAdd | Op::AssignSub
            );
            if !matches!(node.op, Op::NoOp) && !s.out_is_f32 && !int_op {
                return None;
            }
            let is_int_dtype = |d: Option<&(crate::engine::DType, crate::engine::Shape)>| {
                matches!(d.map(|d| d.0), Some(crate::engine::DType::Int32 | crate::engine::DType::Int64))
            };
            let l = match &node.op {
                Op::Const { value } if !s.out_is_f32 => {
                    // Integers beyond 2^24 are not exact in float32.
                    const EXACT: i64 = 1 << 24;
                    let data: Vec<f32> = match &value.0 {
                        Value::I32(a) if a.iter().all(|&v| i64::from(v).abs() <= EXACT) => {
                            a.iter().map(|&v| v as f32).collect()
                        }
                        Value::I64(a) if a.iter().all(|&v| v.unsigned_abs() <= EXACT.unsigned_abs()) => {
                            a.iter().map(|&v| v as f32).collect()
                        }
                        _ => return None,
                    };
                    p.bufs.push(data);
                    int_out[si] = true;
                    Some(Loc::Buf(p.bufs.len() - 1))
                }
                Op::Const { value } => {
                    let data = f32_slice(&value.0)?.to_vec();
                    p.bufs.push(data);
                    Some(Loc::Buf(p.bufs.len() - 1))
                }
                Op::Variable { .. } if !s.out_is_f32 => {
                    // Read (converted) where the plan reads it, as the general path copies it.
                    if !is_int_dtype(node.outputs.first()) {
                        return None;
                    }
                    let slot = s.var_slot?;
                    let out = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::IntVar { slot, out });
                    p.int_slots.push((slot, shape.iter().product()));
                    int_out[si] = true;
                    Some(Loc::Buf(out))
                }
                Op::Cast { to: crate::engine::DType::Float32 } => int_input(0).or_else(|| input(0)),
                Op::ArgMax { axis, output_type } => {
                    let sx = in_shape(0)?;
                    let n = *sx.get(1)?;
                    let int_type = matches!(output_type, crate::engine::DType::Int32 | crate::engine::DType::Int64);
                    if sx.len() != 2 || !(*axis == 1 || *axis == -1) || n == 0 || n > 1 << 24 || !int_type {
                        return None;
                    }
                    let out = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::ArgMax { x: input(0)?, out, n });
                    int_out[si] = true;
                    Some(Loc::Buf(out))
                }
                Op::SparseSoftmaxCrossEntropyWithLogits => {
                    let (sx, sl) = (in_shape(0)?, in_shape(1)?);
                    if sx.len() != 2 || sx[1] == 0 || sl.as_slice() != [sx[0]] {
                        return None;
                    }
                    let out = new_buf(&mut p, &shape);
                    let backprop = new_buf(&mut p, &sx);
                    let (logits, labels) = (input(0)?, int_input(1)?);
                    p.instrs.push(Instr::SparseXent { logits, labels, out, backprop, classes: sx[1] });
                    loc1[si] = Some(Loc::Buf(backprop));
                    Some(Loc::Buf(out))
                }
                Op::AssignAdd | Op::AssignSub => {
                    let slot = s.var_slot?;
                    let sub = matches!(node.op, Op::AssignSub);
                    if in_shape(1)? != shape {
                        return None;
                    }
                    if s.out_is_f32 {
                        let delta = input(1)?;
                        if matches!(delta, Loc::Var(_)) {
                            return None;
                        }
                        p.instrs.push(Instr::AssignUpdate { slot, delta, sub });
                        Some(Loc::Var(slot))
                    } else {
                        if !is_int_dtype(node.outputs.first()) {
                            return None;
                        }
                        p.instrs.push(Instr::AssignUpdateInt { slot, delta: int_input(1)?, sub });
                        p.int_slots.push((slot, shape.iter().product()));
                        // Nothing may read the updated integer (it has no location).
                        None
                    }
                }
                Op::Variable { .. } => {
                    let slot = s.var_slot?;
                    // Alias the variable unless it is written before this read's last use.
                    let end = last_use[si];
                    let clobbered = first_write.iter().any(|&(w, at)| w == slot && at > si && at <= end);
                    if clobbered || end == usize::MAX && first_write.iter().any(|&(w, _)| w == slot) {
                        let out = new_buf(&mut p, &shape);
                        p.instrs.push(Instr::Copy { src: Loc::Var(slot), out });
                        Some(Loc::Buf(out))
                    } else {
                        Some(Loc::Var(slot))
                    }
                }
                Op::Identity | Op::Unary { kind: UnaryOp::Identity } | Op::ExpandDims { .. } => input(0),
                Op::SumToShape => {
                    let g = in_shape(0)?;
                    if g == shape {
                        input(0)
                    } else if is_row_of(&shape, &g) {
                        let out = new_buf(&mut p, &shape);
                        p.instrs.push(Instr::SumRows { g: input(0)?, out });
                        Some(Loc::Buf(out))
                    } else {
                        return None;
                    }
                }
                Op::NoOp => None,
                Op::Binary { kind } => {
                    if !lowers_binary(*kind) {
                        return None;
                    }
                    let (sa, sb) = (in_shape(0)?, in_shape(1)?);
                    let (na, nb): (usize, usize) = (sa.iter().product(), sb.iter().product());
                    let mode = if sa == sb {
                        Mode::Same
                    } else if nb == 1 && sb.len() <= sa.len() && sa == shape {
                        Mode::ScalarB
                    } else if na == 1 && sa.len() <= sb.len() && sb == shape {
                        Mode::ScalarA
                    } else if sa == shape && is_row_of(&sb, &sa) {
                        Mode::RowB
                    } else if sb == shape && is_row_of(&sa, &sb) {
                        Mode::RowA
                    } else if sb == shape && is_col_of(&sa, &sb) {
                        Mode::ColA
                    } else if sa == shape && is_col_of(&sb, &sa) {
                        Mode::ColB
                    } else {
                        return None;
                    };
                    let out = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::Bin { op: *kind, a: input(0)?, b: input(1)?, out, mode });
                    Some(Loc::Buf(out))
                }
                Op::Unary { kind } => {
                    let out = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::Un { op: *kind, x: input(0)?, out, fused: s.fused });
                    Some(Loc::Buf(out))
                }
                Op::L2Loss => {
                    let n: usize = in_shape(0)?.iter().product();
                    let out = new_buf(&mut p, &shape);
                    let scratch = new_buf(&mut p, &[n]);
                    p.instrs.push(Instr::L2Loss { x: input(0)?, out, scratch });
                    Some(Loc::Buf(out))
                }
                Op::AddN { .. } => {
                    let mut xs = Vec::with_capacity(s.inputs.len());
                    for k in 0..s.inputs.len() {
                        if in_shape(k)? != shape {
                            return None;
                        }
                        xs.push(input(k)?);
                    }
                    if xs.is_empty() {
                        return None;
                    }
                    let out = new_buf(&mut p, &shape);
                    let scratch = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::AddN { xs, out, scratch });
                    Some(Loc::Buf(out))
                }
                Op::MatMul { transpose_a, transpose_b } => {
                    let (sa, sb) = (in_shape(0)?, in_shape(1)?);
                    if sa.len() != 2 || sb.len() != 2 {
                        return None;
                    }
                    let (m, k) = if *transpose_a { (sa[1], sa[0]) } else { (sa[0], sa[1]) };
                    let n = if *transpose_b { sb[0] } else { sb[1] };
                    if m * n == 0 {
                        return None;
                    }
                    let out = new_buf(&mut p, &shape);
                    let (ta, tb) = (*transpose_a, *transpose_b);
                    let eigen = crate::engine::kernels::matmul::uses_eigen_matmul(m, k, n);
                    p.instrs.push(Instr::MatMul { a: input(0)?, b: input(1)?, out, m, k, n, ta, tb, eigen });
                    Some(Loc::Buf(out))
                }
                Op::Reduce { kind: kind @ (ReduceOp::Sum | ReduceOp::Mean), axes: None, .. } => {
                    if shape.iter().product::<usize>() != 1 || in_shape(0)?.iter().product::<usize>() == 0 {
                        return None;
                    }
                    let out = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::ReduceAll { x: input(0)?, out, mean: *kind == ReduceOp::Mean });
                    Some(Loc::Buf(out))
                }
                Op::ClipByValue => {
                    if in_shape(1)?.iter().product::<usize>() != 1 || in_shape(2)?.iter().product::<usize>() != 1 {
                        return None;
                    }
                    let out = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::Clip { x: input(0)?, lo: input(1)?, hi: input(2)?, out });
                    Some(Loc::Buf(out))
                }
                Op::ClipByValueGrad => {
                    if in_shape(1)?.iter().product::<usize>() != 1
                        || in_shape(2)?.iter().product::<usize>() != 1
                        || in_shape(0)? != in_shape(3)?
                    {
                        return None;
                    }
                    let out = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::ClipGrad { t: input(0)?, lo: input(1)?, hi: input(2)?, dy: input(3)?, out });
                    Some(Loc::Buf(out))
                }
                Op::UnaryGrad { kind } => {
                    let UnaryGrad::Kernel(kind) = kind.grad() else {
                        return None;
                    };
                    if in_shape(0)? != in_shape(1)? {
                        return None;
                    }
                    let out = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::UnaryGrad { kind, a: input(0)?, dy: input(1)?, out });
                    Some(Loc::Buf(out))
                }
                Op::ReduceGrad { kind: kind @ (ReduceOp::Sum | ReduceOp::Mean), axes: None, .. } => {
                    if in_shape(0)?.iter().product::<usize>() != 1 {
                        return None;
                    }
                    let out = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::ReduceGradAll { dy: input(0)?, out, mean: *kind == ReduceOp::Mean });
                    Some(Loc::Buf(out))
                }
                Op::MaximumMinimumGrad { is_max, for_x } => {
                    if in_shape(0)? != in_shape(2)? || in_shape(1)? != in_shape(2)? {
                        return None;
                    }
                    let out = new_buf(&mut p, &shape);
                    let (x, y, dy) = (input(0)?, input(1)?, input(2)?);
                    p.instrs.push(Instr::MaxMinGrad { is_max: *is_max, for_x: *for_x, x, y, dy, out });
                    Some(Loc::Buf(out))
                }
                Op::SigmoidCrossEntropyWithLogits => {
                    if in_shape(0)? != in_shape(1)? {
                        return None;
                    }
                    let out = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::SigmoidXent { z: input(0)?, x: input(1)?, out });
                    Some(Loc::Buf(out))
                }
                Op::SoftmaxCrossEntropyWithLogits => {
                    let (sl, sx) = (in_shape(0)?, in_shape(1)?);
                    if sl != sx || sx.len() != 2 || sx[1] == 0 {
                        return None;
                    }
                    let out = new_buf(&mut p, &shape);
                    let backprop = new_buf(&mut p, &sx);
                    let (labels, logits) = (input(0)?, input(1)?);
                    p.instrs.push(Instr::SoftmaxXent { labels, logits, out, backprop, classes: sx[1] });
                    loc1[si] = Some(Loc::Buf(backprop));
                    Some(Loc::Buf(out))
                }
                Op::SigmoidCrossEntropyGrad => {
                    if in_shape(0)? != in_shape(1)? || in_shape(1)? != in_shape(2)? {
                        return None;
                    }
                    let out = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::SigmoidXentGrad { z: input(0)?, x: input(1)?, dy: input(2)?, out });
                    Some(Loc::Buf(out))
                }
                Op::OnesLike | Op::ZerosLike => {
                    let out = new_buf(&mut p, &shape);
                    let value = if matches!(node.op, Op::OnesLike) { 1.0 } else { 0.0 };
                    p.instrs.push(Instr::Fill { out, value });
                    Some(Loc::Buf(out))
                }
                Op::Fill { value, .. } => {
                    let out = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::Fill { out, value: *value as f32 });
                    Some(Loc::Buf(out))
                }
                Op::Assign { .. } => {
                    let out = new_buf(&mut p, &shape);
                    p.instrs.push(Instr::Assign { slot: s.var_slot?, src: input(1)?, out });
                    Some(Loc::Buf(out))
                }
                Op::ApplyGradientDescent => {
                    p.instrs.push(Instr::ApplyGd { slot: *s.ref_slots.first()?, alpha: input(1)?, delta: input(2)? });
                    Some(Loc::Var(*s.ref_slots.first()?))
                }
                Op::ApplyMomentum { use_nesterov } => {
                    let slots = [*s.ref_slots.first()?, *s.ref_slots.get(1)?];
                    p.instrs.push(Instr::ApplyMomentum {
                        slots,
                        lr: input(2)?,
                        grad: input(3)?,
                        momentum: input(4)?,
                        nesterov: *use_nesterov,
                    });
                    Some(Loc::Var(slots[0]))
                }
                Op::ApplyAdam { use_nesterov } => {
                    let slots = [*s.ref_slots.first()?, *s.ref_slots.get(1)?, *s.ref_slots.get(2)?];
                    let scalars = [input(3)?, input(4)?, input(5)?, input(6)?, input(7)?, input(8)?];
                    p.instrs.push(Instr::ApplyAdam { slots, scalars, grad: input(9)?, nesterov: *use_nesterov });
                    Some(Loc::Var(slots[0]))
                }
                Op::ApplyRMSProp => {
                    let slots = [*s.ref_slots.first()?, *s.ref_slots.get(1)?, *s.ref_slots.get(2)?];
                    let scalars = [input(3)?, input(4)?, input(5)?, input(6)?];
                    p.instrs.push(Instr::ApplyRms { slots, scalars, grad: input(7)? });
                    Some(Loc::Var(slots[0]))
                }
                _ => return None,
            };
            loc[si] = l;
        }
        for s in steps {
            let node = graph.node(s.node)?;
            let len = |shape: &Vec<usize>| shape.iter().product::<usize>();
            if let (Op::Variable { .. }, Some(slot), true) = (&node.op, s.var_slot, s.out_is_f32) {
                p.var_slots.push((slot, len(s.out_shapes.first()?)));
            }
        }
        for s in steps {
            let node = graph.node(s.node)?;
            if node.op.num_ref_inputs() > 0 {
                let n = len_of(&s.out_shapes);
                if let (Op::Assign { .. } | Op::AssignAdd | Op::AssignSub, Some(slot), true) =
                    (&node.op, s.var_slot, s.out_is_f32)
                {
                    p.var_slots.push((slot, n));
                }
                for &r in s.ref_slots {
                    p.var_slots.push((r, n));
                }
            }
        }
        *reason = "a fetch".to_string();
        for (f, ff) in fetches.iter().zip(fetch_feeds) {
            let entry = match (f, ff) {
                (_, Some(k)) => (Loc::Feed(*k), p.feed_shapes.get(*k)?.clone()),
                (Some((step, 0)), None) if !int_out[*step] => {
                    // An apply op's fetched output aliases its variable, which later steps may
                    // not touch; a fetched variable read was copied above if it is written.
                    (loc[*step]?, steps.get(*step)?.out_shapes.first()?.clone())
                }
                _ => return None,
            };
            p.fetches.push(entry);
        }
        p.prune();
        p.fuse_updates();
        p.fuse_average_gd();
        p.fuse_bias_relu();
        // No instruction reads a buffer it writes (its output is lent to it beside its inputs).
        let writes_read = |ins: &Instr| {
            let outs = [ins.out(), ins.out2()];
            outs[0].is_some() && outs[0] == outs[1]
                || ins.reads().iter().any(|l| matches!(*l, Loc::Buf(b) if outs.contains(&Some(b))))
        };
        if p.instrs.iter().any(writes_read) {
            *reason = "an instruction that reads its own output".to_string();
            return None;
        }
        p.finish();
        p.fold_constants();
        p.resolve();
        // Each (slot, length) once: `accepts` checks them on every run.
        p.var_slots.sort_unstable();
        p.var_slots.dedup();
        p.int_slots.sort_unstable();
        p.int_slots.dedup();
        p.splits = p.instrs.iter().any(|ins| match *ins {
            Instr::MatMul { m, k, n, ta, eigen, .. } => {
                crate::engine::kernels::matmul::splits_across_pool(m, k, n) || eigen && tf_order_splits(m, k, n, ta)
            }
            Instr::MatMulBias { m, k, n, .. } => crate::engine::kernels::matmul::splits_across_pool(m, k, n),
            Instr::ApplyAdam { slots: [slot, ..], .. }
            | Instr::ApplyGd { slot, .. }
            | Instr::GdWithL2 { slot, .. }
            | Instr::AverageGdL2 { slot, .. }
            | Instr::AverageUpdate { slot, .. }
            | Instr::AssignUpdate { slot, .. } => {
                p.var_slots.iter().any(|&(s, len)| s == slot && len >= PAR_MIN_ELEMENTS)
            }
            Instr::Bin { out, .. }
            | Instr::Un { out, .. }
            | Instr::UnaryGrad { out, .. }
            | Instr::AddN { out, .. }
            | Instr::L2Loss { scratch: out, .. } => p.bufs.get(out).is_some_and(|b| b.len() >= PAR_MIN_ELEMENTS),
            _ => false,
        });
        reason.clear();
        Some(p)
    }

    /// Drops instructions whose results nothing reads: a value consumed only for its shape (the
    /// forward loss when only its gradient is needed, say) is never computed. Each buffer is
    /// written by one instruction, so one backward pass finds what is live.
    fn prune(&mut self) {
        let mut live = vec![false; self.bufs.len()];
        for (l, _) in &self.fetches {
            if let Loc::Buf(b) = *l
                && let Some(x) = live.get_mut(b)
            {
                *x = true;
            }
        }
        let mut keep = vec![false; self.instrs.len()];
        for (i, ins) in self.instrs.iter().enumerate().rev() {
            let live_out = |o: usize| live.get(o).copied().unwrap_or(true);
            if ins.has_effects() || ins.out().is_some_and(live_out) || ins.out2().is_some_and(live_out) {
                keep[i] = true;
                for r in ins.reads() {
                    if let Loc::Buf(b) = r
                        && let Some(x) = live.get_mut(b)
                    {
                        *x = true;
                    }
                }
            }
        }
        let mut k = keep.into_iter();
        self.instrs.retain(|_| k.next().unwrap_or(true));
    }

    /// Sets the buffers' views (once: the buffers never grow or move after this) and makes room
    /// for the feeds' and variables' views that each run sets.
    fn finish(&mut self) {
        let span = self.var_slots.iter().map(|&(slot, _)| slot + 1).max().unwrap_or(0);
        self.views = self.bufs.iter_mut().map(|b| View { ptr: b.as_mut_ptr(), len: b.len() }).collect();
        self.views.resize(self.bufs.len() + self.feed_shapes.len() + span, View::EMPTY);
    }

    /// Makes the run's list ([`FastProgram::quick`]): each small instruction of a common kind whose
    /// operands have the sizes it needs becomes a [`Quick`] one, the others stay for [`exec`].
    fn resolve(&mut self) {
        let (nb, nf) = (self.bufs.len(), self.feed_shapes.len());
        let var_len = |s: usize| self.var_slots.iter().find(|&&(v, _)| v == s).map(|&(_, len)| len);
        // The index of a location in `views` and its length, for locations a run binds.
        let at = |l: Loc| -> Option<(u32, usize)> {
            let (i, len) = match l {
                Loc::Buf(b) => (b, self.bufs.get(b)?.len()),
                Loc::Feed(k) => (nb + k, self.feed_shapes.get(k)?.iter().product()),
                Loc::Var(s) => (nb + nf + s, var_len(s)?),
            };
            (i < self.views.len()).then_some((u32::try_from(i).ok()?, len))
        };
        let small = |len: usize| len < PAR_MIN_ELEMENTS;
        let quick = |ins: &Instr, plans: &mut Vec<crate::engine::math::matmul_simd::MatMulPlan>| -> Option<Quick> {
            Some(match *ins {
                Instr::Bin { op, a, b, out, mode } => {
                    if !matches!(op, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div) {
                        return None;
                    }
                    let ((a, na), (b, nb_), (out, no)) = (at(a)?, at(b)?, at(Loc::Buf(out))?);
                    let ok = match mode {
                        Mode::Same => na == no && nb_ == no,
                        Mode::ScalarA => na == 1 && nb_ == no,
                        Mode::ScalarB => nb_ == 1 && na == no,
                        Mode::RowB => na == no && nb_ > 0 && no % nb_ == 0,
                        _ => false,
                    };
                    if !ok || !small(no) {
                        return None;
                    }
                    // A row of one element is a scalar (the same element for every output).
                    let mode = if matches!(mode, Mode::RowB) && nb_ == 1 { Mode::ScalarB } else { mode };
                    Quick::Bin { op, mode, a, b, out }
                }
                Instr::Un { op, x, out, fused } => {
                    let ((x, nx), (out, no)) = (at(x)?, at(Loc::Buf(out))?);
                    if nx != no || !small(no) {
                        return None;
                    }
                    let kernels = if fused {
                        crate::engine::kernels::elementwise::onednn_kernel_pair(op)
                    } else {
                        eigen_unary_pair(op)
                    };
                    match kernels {
                        Some((f, fh)) => Quick::Un { f, fh, x, out },
                        None if fused => return None,
                        None => Quick::UnPlain { op, x, out },
                    }
                }
                Instr::UnaryGrad { kind, a, dy, out } => {
                    let (f, fh) = eigen_unary_grad_pair(kind)?;
                    let ((a, na), (dy, nd), (out, no)) = (at(a)?, at(dy)?, at(Loc::Buf(out))?);
                    if na != no || nd != no || !small(no) {
                        return None;
                    }
                    Quick::UnaryGrad { f, fh, a, dy, out }
                }
                Instr::Clip { x, lo, hi, out } => {
                    let ((x, nx), (lo, nl), (hi, nh), (out, no)) = (at(x)?, at(lo)?, at(hi)?, at(Loc::Buf(out))?);
                    if nx != no || nl != 1 || nh != 1 {
                        return None;
                    }
                    Quick::Clip { x, lo, hi, out }
                }
                Instr::ClipGrad { t, lo, hi, dy, out } => {
                    let (t, nt) = at(t)?;
                    let ((lo, nl), (hi, nh), (dy, nd), (out, no)) = (at(lo)?, at(hi)?, at(dy)?, at(Loc::Buf(out))?);
                    if nt != no || nd != no || nl != 1 || nh != 1 {
                        return None;
                    }
                    Quick::ClipGrad { t, lo, hi, dy, out }
                }
                Instr::SumRows { g, out } => {
                    let ((g, ng), (out, no)) = (at(g)?, at(Loc::Buf(out))?);
                    if no == 0 || ng % no != 0 {
                        return None;
                    }
                    let (rows, cols) = (u32::try_from(ng / no).ok()?, u32::try_from(no).ok()?);
                    Quick::SumRows { g, out, rows, cols }
                }
                Instr::SigmoidXentGrad { z, x, dy, out } => {
                    let ((z, nz), (x, nx), (dy, nd), (out, no)) = (at(z)?, at(x)?, at(dy)?, at(Loc::Buf(out))?);
                    if nz != no || nx != no || nd != no {
                        return None;
                    }
                    Quick::SigmoidXentGrad { z, x, dy, out }
                }
                Instr::SoftmaxXent { labels, logits, out, backprop, classes } => {
                    let ((labels, nz), (logits, nx)) = (at(labels)?, at(logits)?);
                    let ((out, no), (backprop, nb_)) = (at(Loc::Buf(out))?, at(Loc::Buf(backprop))?);
                    if classes == 0 || nz != nx || nb_ != nx || no.checked_mul(classes)? != nx {
                        return None;
                    }
                    Quick::SoftmaxXent { labels, logits, out, backprop, classes: u32::try_from(classes).ok()? }
                }
                Instr::MatMul { a, b, out, m, k, n, ta, tb, eigen } => {
                    let ((a, na), (b, nb_), (out, no)) = (at(a)?, at(b)?, at(Loc::Buf(out))?);
                    let splits = tf_order_splits(m, k, n, ta);
                    if !eigen || splits || k == 0 || na != m * k || nb_ != k * n || no != m * n {
                        return None;
                    }
                    let plan = crate::engine::math::matmul_simd::MatMulPlan::new(m, k, n, ta, tb);
                    plans.push(plan);
                    Quick::MatMul { a, b, out, plan: u32::try_from(plans.len() - 1).ok()? }
                }
                Instr::ApplyAdam { slots, scalars, grad, nesterov } => {
                    if matches!(grad, Loc::Var(_))
                        || slots[0] == slots[1]
                        || slots[1] == slots[2]
                        || slots[0] == slots[2]
                    {
                        return None;
                    }
                    let ((w, nw), (m, nm), (v, nv)) =
                        (at(Loc::Var(slots[0]))?, at(Loc::Var(slots[1]))?, at(Loc::Var(slots[2]))?);
                    let (g, ng) = at(grad)?;
                    let mut sc = [0u32; 6];
                    for (s, &l) in sc.iter_mut().zip(&scalars) {
                        let (i, len) = at(l)?;
                        // The scalars are read before the variables are lent out, but none may be
                        // one of them.
                        if len != 1 || [w, m, v].contains(&i) {
                            return None;
                        }
                        *s = i;
                    }
                    if nm != nw || nv != nw || ng != nw || !small(nw) {
                        return None;
                    }
                    Quick::Adam { w, m, v, sc, g, nesterov }
                }
                Instr::ApplyGd { slot, alpha, delta } => {
                    if matches!(delta, Loc::Var(_)) {
                        return None;
                    }
                    let ((w, nw), (alpha, na), (g, ng)) = (at(Loc::Var(slot))?, at(alpha)?, at(delta)?);
                    if na != 1 || ng != nw || !small(nw) || alpha == w {
                        return None;
                    }
                    Quick::Gd { w, alpha, g }
                }
                Instr::Assign { slot, src, out } => {
                    let ((var, nv), (src, ns), (out, no)) = (at(Loc::Var(slot))?, at(src)?, at(Loc::Buf(out))?);
                    if nv != no || ns != no || src == var {
                        return None;
                    }
                    Quick::Assign { var, src, out }
                }
                _ => return None,
            })
        };
        let mut plans = Vec::new();
        self.quick = (0..self.instrs.len())
            .map(|i| quick(&self.instrs[i], &mut plans).unwrap_or(Quick::Other(u32::try_from(i).unwrap_or(u32::MAX))))
            .collect();
        self.scratch = vec![0.0; plans.iter().map(|p| p.scratch_len()).max().unwrap_or(0)];
        self.plans = plans;
    }

    /// Runs once, now, the instructions whose operands are all constants (a constant's data, or
    /// the output of another such instruction) and drops them: the gradient's seed
    /// (`gradients/Fill`) and what follows from it alone (`Neg`, the mean's `1 / n`) are the same
    /// at every run. They run through the same kernels, so their results have the same bits.
    fn fold_constants(&mut self) {
        let nb = self.bufs.len();
        // Buffers no instruction writes hold a constant's data (or nothing anyone reads).
        let mut konst = vec![true; nb];
        for ins in &self.instrs {
            for o in [ins.out(), ins.out2()].into_iter().flatten() {
                if let Some(k) = konst.get_mut(o) {
                    *k = false;
                }
            }
        }
        let mut folded = vec![false; self.instrs.len()];
        for (i, ins) in self.instrs.iter().enumerate() {
            let pure = match *ins {
                Instr::Bin { .. }
                | Instr::Un { .. }
                | Instr::L2Loss { .. }
                | Instr::AddN { .. }
                | Instr::ReduceAll { .. }
                | Instr::Clip { .. }
                | Instr::ClipGrad { .. }
                | Instr::UnaryGrad { .. }
                | Instr::ReduceGradAll { .. }
                | Instr::SigmoidXent { .. }
                | Instr::SumRows { .. }
                | Instr::MaxMinGrad { .. }
                | Instr::SigmoidXentGrad { .. }
                | Instr::SoftmaxXent { .. }
                | Instr::Copy { .. }
                | Instr::Fill { .. } => true,
                Instr::MatMul { eigen, .. } => eigen,
                _ => false,
            };
            let all_konst = ins.reads().iter().all(|l| matches!(*l, Loc::Buf(b) if konst.get(b) == Some(&true)));
            if !pure || !all_konst {
                continue;
            }
            let mem = Mem { views: &self.views, nb, nf: self.feed_shapes.len() };
            // SAFETY: the instruction's outputs are buffers it does not read (checked by `build`)
            // and distinct from each other; nothing else holds them.
            let run = unsafe { mem.outs(ins) }.and_then(|outs| exec(ins, &mem, &mut [], outs, None));
            if run.is_ok() {
                folded[i] = true;
                for o in [ins.out(), ins.out2()].into_iter().flatten() {
                    if let Some(k) = konst.get_mut(o) {
                        *k = true;
                    }
                }
            }
        }
        let mut f = folded.into_iter();
        self.instrs.retain(|_| !f.next().unwrap_or(false));
    }

    /// The variable slots an instruction writes.
    fn writes_slot(ins: &Instr, slot: usize) -> bool {
        match ins {
            Instr::Assign { slot: s, .. }
            | Instr::ApplyGd { slot: s, .. }
            | Instr::AssignUpdate { slot: s, .. }
            | Instr::AssignUpdateInt { slot: s, .. }
            | Instr::AverageUpdate { slot: s, .. }
            | Instr::GdWithL2 { slot: s, .. } => *s == slot,
            Instr::AverageGdL2 { avg, slot: s, .. } => *avg == slot || *s == slot,
            Instr::ApplyMomentum { slots, .. } => slots.contains(&slot),
            Instr::ApplyAdam { slots, .. } | Instr::ApplyRms { slots, .. } => slots.contains(&slot),
            _ => false,
        }
    }

    /// For each buffer: how many instructions and fetches read it, and the instruction that
    /// writes it (`usize::MAX` for none; each buffer is written once).
    fn buffer_uses(&self) -> (Vec<usize>, Vec<usize>) {
        let mut readers = vec![0usize; self.bufs.len()];
        let mut writer = vec![usize::MAX; self.bufs.len()];
        for (l, _) in &self.fetches {
            if let Loc::Buf(b) = *l {
                readers[b] += 1;
            }
        }
        for (i, ins) in self.instrs.iter().enumerate() {
            for r in ins.reads() {
                if let Loc::Buf(b) = r {
                    readers[b] += 1;
                }
            }
            for o in [ins.out(), ins.out2()].into_iter().flatten() {
                writer[o] = i;
            }
        }
        (readers, writer)
    }

    /// Fuses the two update patterns of a moving average and of GradientDescent on a weight with
    /// an L2 term, each into one pass over the variable (instead of three passes through two
    /// temporaries): `AssignSub(a, Mul(Sub(a, w), k))` and `ApplyGd(w, alpha, Add(Mul(w, c), g))`,
    /// where the temporaries have no other reader and nothing writes the variables read between
    /// the first operation and the update. Each element goes through the same roundings.
    fn fuse_updates(&mut self) {
        let (readers, writer) = self.buffer_uses();
        // The instruction that alone writes buffer `b` and is read only once, if `b` is one.
        let single = |l: Loc| match l {
            Loc::Buf(b) if readers[b] == 1 && writer[b] != usize::MAX => Some(writer[b]),
            _ => None,
        };
        // Nothing in `from..to` writes a variable that `locs` read.
        let untouched = |instrs: &[Instr], from: usize, to: usize, locs: &[Loc]| {
            instrs[from..to].iter().all(|ins| {
                locs.iter().all(|l| match *l {
                    Loc::Var(s) => !Self::writes_slot(ins, s),
                    _ => true,
                })
            })
        };
        let mut dead = vec![false; self.instrs.len()];
        for k in 0..self.instrs.len() {
            let fused = match self.instrs[k] {
                Instr::AssignUpdate { slot, delta, sub: true } => (|| {
                    let j = single(delta)?;
                    let Instr::Bin { op: BinaryOp::Mul, a, b: keep, mode: Mode::ScalarB, .. } = self.instrs[j] else {
                        return None;
                    };
                    let i = single(a)?;
                    let Instr::Bin { op: BinaryOp::Sub, a: Loc::Var(s), b: w, mode: Mode::Same, .. } = self.instrs[i]
                    else {
                        return None;
                    };
                    let ok = s == slot
                        && i < j
                        && j < k
                        && !dead[i]
                        && !dead[j]
                        && w != Loc::Var(slot)
                        && untouched(&self.instrs, i, k, &[Loc::Var(slot), w, keep]);
                    ok.then_some((i, j, Instr::AverageUpdate { slot, w, keep }))
                })(),
                Instr::ApplyGd { slot, alpha, delta } => (|| {
                    let j = single(delta)?;
                    let Instr::Bin { op: BinaryOp::Add, a, b, mode: Mode::Same, .. } = self.instrs[j] else {
                        return None;
                    };
                    let is_l2 = |l: Loc| -> Option<(usize, Loc)> {
                        let i = single(l)?;
                        match self.instrs[i] {
                            Instr::Bin { op: BinaryOp::Mul, a: Loc::Var(s), b: c, mode: Mode::ScalarB, .. }
                                if s == slot =>
                            {
                                Some((i, c))
                            }
                            _ => None,
                        }
                    };
                    let (i, c, g, l2_first) = match (is_l2(a), is_l2(b)) {
                        (Some((i, c)), _) => (i, c, b, true),
                        (None, Some((i, c))) => (i, c, a, false),
                        (None, None) => return None,
                    };
                    let ok = i < j
                        && j < k
                        && !dead[i]
                        && !dead[j]
                        && g != Loc::Var(slot)
                        && !matches!(g, Loc::Var(_))
                        && untouched(&self.instrs, i, k, &[Loc::Var(slot), c, alpha]);
                    ok.then_some((i, j, Instr::GdWithL2 { slot, alpha, c, g, l2_first }))
                })(),
                _ => None,
            };
            if let Some((i, j, ins)) = fused {
                dead[i] = true;
                dead[j] = true;
                self.instrs[k] = ins;
            }
        }
        let mut d = dead.into_iter();
        self.instrs.retain(|_| !d.next().unwrap_or(false));
    }

    /// Fuses each moving average's update ([`Instr::AverageUpdate`] of `a` from the variable `w`)
    /// with the later [`Instr::GdWithL2`] step of `w` into one [`Instr::AverageGdL2`] where it
    /// stands (one pass over both variables instead of two over `w`), when no instruction between
    /// them reads or writes `a`, writes `w` or the average's factor, and the step reads none of
    /// `a`: the average then still reads each weight before its step, and nothing sees `a` early.
    fn fuse_average_gd(&mut self) {
        let mut dead = vec![false; self.instrs.len()];
        for p in 0..self.instrs.len() {
            let Instr::AverageUpdate { slot: avg, w: Loc::Var(wslot), keep } = self.instrs[p] else { continue };
            if avg == wslot || keep == Loc::Var(avg) || keep == Loc::Var(wslot) {
                continue;
            }
            let Some(q) = (p + 1..self.instrs.len())
                .find(|&q| matches!(self.instrs[q], Instr::GdWithL2 { slot, .. } if slot == wslot))
            else {
                continue;
            };
            let Instr::GdWithL2 { slot, alpha, c, g, l2_first } = self.instrs[q] else { continue };
            let clear = self.instrs[p + 1..q].iter().all(|ins| {
                !Self::writes_slot(ins, avg)
                    && !Self::writes_slot(ins, wslot)
                    && !matches!(keep, Loc::Var(k) if Self::writes_slot(ins, k))
                    && !ins.reads().contains(&Loc::Var(avg))
            });
            if !clear || [alpha, c, g].contains(&Loc::Var(avg)) || dead[q] {
                continue;
            }
            dead[p] = true;
            self.instrs[q] = Instr::AverageGdL2 { avg, keep, slot, alpha, c, g, l2_first };
        }
        let mut d = dead.into_iter();
        self.instrs.retain(|_| !d.next().unwrap_or(false));
    }

    /// Fuses a big matmul (one on the blocked GEMM) with the bias add that alone reads it
    /// (`Add` of a row, `[n]` or `[1, n]`), and that with the `Relu` that reads it, into one
    /// [`Instr::MatMulBias`] that adds the bias and applies the `Relu` in the GEMM's tiles. The
    /// `ReluGrad`s of that `Relu` then read its output instead of its input (`y > 0` exactly when
    /// `x > 0`, NaN and `-0` included), so the pre-activation is never stored. Each element goes
    /// through the same roundings.
    fn fuse_bias_relu(&mut self) {
        let (readers, writer) = self.buffer_uses();
        let mut dead = vec![false; self.instrs.len()];
        for i in 0..self.instrs.len() {
            let Instr::MatMul { a, b, out: t1, m, k, n, ta, tb, eigen: false } = self.instrs[i] else {
                continue;
            };
            if !crate::engine::kernels::matmul::uses_sgemm(m, k, n) || readers.get(t1) != Some(&1) {
                continue;
            }
            // The one reader of the product: a bias add of a row.
            let Some(j) = (i + 1..self.instrs.len()).find(|&j| self.instrs[j].reads().contains(&Loc::Buf(t1))) else {
                continue;
            };
            let Instr::Bin { op: BinaryOp::Add, a: Loc::Buf(x), b: bias, out: t2, mode: Mode::RowB } = self.instrs[j]
            else {
                continue;
            };
            // The bias is ready at the matmul and nothing writes it in between.
            let ready = match bias {
                Loc::Buf(bb) => bb != t1 && writer.get(bb).is_some_and(|&w| w < i),
                Loc::Feed(_) => true,
                Loc::Var(slot) => !self.instrs[i..j].iter().any(|ins| Self::writes_slot(ins, slot)),
            };
            if x != t1 || !ready {
                continue;
            }
            // The readers of the bias add: one `Relu` and any number of its `ReluGrad`s.
            let users: Vec<usize> =
                (j + 1..self.instrs.len()).filter(|&u| self.instrs[u].reads().contains(&Loc::Buf(t2))).collect();
            let relu = match users.as_slice() {
                [] => None,
                us => {
                    let relus: Vec<usize> = us
                        .iter()
                        .copied()
                        .filter(|&u| matches!(self.instrs[u], Instr::Un { op: UnaryOp::Relu, x: Loc::Buf(x), fused: false, .. } if x == t2))
                        .collect();
                    let grads_ok = us.iter().all(|&u| {
                        relus.contains(&u)
                            || matches!(self.instrs[u], Instr::UnaryGrad { kind: GradKernel::Relu, a: Loc::Buf(a), dy, .. } if a == t2 && dy != Loc::Buf(t2))
                    });
                    let fetched = self.fetches.iter().any(|(l, _)| *l == Loc::Buf(t2));
                    match relus.as_slice() {
                        [r] if grads_ok && !fetched => Some(*r),
                        _ => None,
                    }
                }
            };
            let out = match relu {
                Some(r) => {
                    let Instr::Un { out: t3, .. } = self.instrs[r] else { continue };
                    for &u in &users {
                        if let Instr::UnaryGrad { a, .. } = &mut self.instrs[u] {
                            *a = Loc::Buf(t3);
                        }
                    }
                    dead[r] = true;
                    t3
                }
                None => t2,
            };
            dead[j] = true;
            self.instrs[i] = Instr::MatMulBias { a, b, bias, out, m, k, n, ta, tb, relu: relu.is_some() };
        }
        let mut d = dead.into_iter();
        self.instrs.retain(|_| !d.next().unwrap_or(false));
    }

    /// The kinds of its instructions, in order (for `FLOWBENCH_DEBUG_FASTPATH`).
    pub(crate) fn describe(&self) -> String {
        let names: Vec<String> = self
            .instrs
            .iter()
            .map(|ins| format!("{ins:?}").split([' ', '{']).next().unwrap_or_default().to_string())
            .collect();
        names.join(" ")
    }

    /// True when some instruction is big enough to be split across a pool: the session then runs
    /// the whole program on a pool thread, which takes part in each split (instead of waiting
    /// beside the pool's threads for every one).
    pub(crate) fn splits(&self) -> bool {
        self.splits
    }

    /// True when these feeds have the shapes the program was built for and its variables are
    /// initialized with their sizes; then records where their data lies, for this run.
    ///
    /// The variables' views are kept from the last run while `vars_epoch` (which the session
    /// changes whenever a variable's value may have been replaced rather than updated in place)
    /// and the slots are the same: the fast path itself only writes through the views.
    fn bind(&mut self, feeds: &[Feed], vars: &mut [Option<Value>], vars_epoch: u64) -> bool {
        if feeds.len() != self.feed_shapes.len() {
            return false;
        }
        let nb = self.bufs.len();
        let Some(ext) = self.views.get_mut(nb..) else { return false };
        let (fv, vv) = ext.split_at_mut(feeds.len().min(ext.len()));
        if fv.len() != feeds.len() {
            return false;
        }
        for ((f, s), v) in feeds.iter().zip(&self.feed_shapes).zip(fv) {
            match &f.value {
                Value::F32(a) if same_dims(a.shape(), s) => {
                    match contiguous(a) {
                        // Feeds are only read: the pointer is never written through.
                        Some((ptr, len)) => *v = View { ptr: ptr.cast_mut(), len },
                        None => return false,
                    }
                }
                _ => return false,
            }
        }
        let bound = (vars_epoch, vars.as_ptr() as usize, vars.len());
        if self.vars_bound == Some(bound) {
            return true;
        }
        self.vars_bound = None;
        for &(slot, len) in &self.var_slots {
            let Some(Some(Value::F32(a))) = vars.get_mut(slot) else { return false };
            let (Some((_, n)), Some(v)) = (contiguous(a), vv.get_mut(slot)) else { return false };
            if n != len {
                return false;
            }
            *v = View { ptr: a.as_mut_ptr(), len };
        }
        let ints = self.int_slots.iter().all(|&(slot, len)| match vars.get(slot) {
            Some(Some(Value::I32(a))) => a.len() == len,
            Some(Some(Value::I64(a))) => a.len() == len,
            _ => false,
        });
        if ints {
            self.vars_bound = Some(bound);
        }
        ints
    }

    /// Runs the program when these feeds have the shapes it was built for and its variables are
    /// initialized (else returns `Ok(false)` and runs nothing: the general path then runs the
    /// plan). Variables are read and written through `vars`; big matmuls are split across `pool`.
    pub(crate) fn run(
        &mut self,
        feeds: &[Feed],
        vars: &mut [Option<Value>],
        vars_epoch: u64,
        pool: Option<&rayon::ThreadPool>,
    ) -> Result<bool> {
        if !self.bind(feeds, vars, vars_epoch) {
            return Ok(false);
        }
        self.run_bound(vars, pool).map(|()| true)
    }

    fn run_bound(&mut self, vars: &mut [Option<Value>], pool: Option<&rayon::ThreadPool>) -> Result<()> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            return unsafe { self.run_bound_avx2(vars, pool) };
        }
        self.run_bound_body(vars, pool)
    }

    /// [`Self::run_bound_body`] compiled for AVX2: the small elementwise loops inlined into it
    /// (`zip8` and friends) then run 8 lanes at a time (the same IEEE operation per element).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn run_bound_avx2(&mut self, vars: &mut [Option<Value>], pool: Option<&rayon::ThreadPool>) -> Result<()> {
        self.run_bound_body(vars, pool)
    }

    #[inline(always)]
    fn run_bound_body(&mut self, vars: &mut [Option<Value>], pool: Option<&rayon::ThreadPool>) -> Result<()> {
        // TF's executor runs each kernel with FTZ and DAZ set; so does this run (on this thread:
        // kernels that rely on it take the guard's token; those on pool threads flush in software).
        let flush = crate::engine::math::denormal::ScopedFlushDenormal::new();
        let hw = flush.token();
        let mem = Mem { views: &self.views, nb: self.bufs.len(), nf: self.feed_shapes.len() };
        let views = self.views.as_slice();
        // SAFETY (`rd`, `wr`): `resolve` made every index of a `Quick` instruction from a location
        // inside `views`, and checked its length against the sizes the instruction needs; a
        // buffer's view is the program's own buffer, a feed's or variable's was set by the `bind`
        // of this run. An instruction's output (a buffer it does not read, checked by `build`, or
        // an updated variable that is neither its gradient nor one of its scalars, checked by
        // `resolve`) is lent to it alone while it runs.
        let rd = |i: u32| -> &[f32] {
            unsafe {
                let v = *views.get_unchecked(i as usize);
                std::slice::from_raw_parts(v.ptr, v.len)
            }
        };
        let wr = |i: u32| -> &mut [f32] {
            unsafe {
                let v = *views.get_unchecked(i as usize);
                std::slice::from_raw_parts_mut(v.ptr, v.len)
            }
        };
        for q in &self.quick {
            match *q {
                Quick::Bin { op, mode, a, b, out } => {
                    let (xs, ys, o) = (rd(a), rd(b), wr(out));
                    // Sizes were checked by `resolve`: `bin_apply` cannot fail.
                    let _ = match op {
                        BinaryOp::Add => bin_apply(mode, xs, ys, o, |x, y| binary_arith(BinaryOp::Add, x, y)),
                        BinaryOp::Sub => bin_apply(mode, xs, ys, o, |x, y| binary_arith(BinaryOp::Sub, x, y)),
                        BinaryOp::Mul => bin_apply(mode, xs, ys, o, |x, y| binary_arith(BinaryOp::Mul, x, y)),
                        _ => bin_apply(mode, xs, ys, o, |x, y| binary_arith(BinaryOp::Div, x, y)),
                    };
                }
                Quick::Un { f, fh, x, out } => match hw {
                    Some(t) => fh(rd(x), wr(out), t),
                    None => f(rd(x), wr(out)),
                },
                Quick::UnPlain { op, x, out } => {
                    let o = wr(out);
                    let xs = rd(x);
                    map8(o, xs, |v| unary_scalar(op, v));
                }
                Quick::UnaryGrad { f, fh, a, dy, out } => match hw {
                    Some(t) => fh(rd(a), rd(dy), wr(out), t),
                    None => f(rd(a), rd(dy), wr(out)),
                },
                Quick::Clip { x, lo, hi, out } => {
                    let (l, h) = (rd(lo)[0], rd(hi)[0]);
                    map8(wr(out), rd(x), |v| clip(v, l, h));
                }
                Quick::ClipGrad { t, lo, hi, dy, out } => {
                    let (l, h) = (rd(lo)[0], rd(hi)[0]);
                    zip8(wr(out), rd(t), rd(dy), |x, d| clip_grad(x, l, h, d));
                }
                Quick::SumRows { g, out, rows, cols } => {
                    let (g, rows, cols, o) = (rd(g), rows as usize, cols as usize, wr(out));
                    match hw {
                        Some(t) => crate::engine::math::eigen::sum_rows_f32_hw(g, rows, cols, o, t),
                        None => crate::engine::math::eigen::sum_rows_f32(g, rows, cols, o),
                    }
                }
                Quick::SigmoidXentGrad { z, x, dy, out } => {
                    for (((o, &z), &x), &d) in wr(out).iter_mut().zip(rd(z)).zip(rd(x)).zip(rd(dy)) {
                        *o = sigmoid_xent_grad_f32(z, x, d);
                    }
                }
                Quick::SoftmaxXent { labels, logits, out, backprop, classes } => {
                    use crate::engine::math::eigen::{softmax_xent_f32, softmax_xent_f32_hw};
                    let (z, x, l, bp) = (rd(labels), rd(logits), wr(out), wr(backprop));
                    match hw {
                        Some(t) => softmax_xent_f32_hw(z, x, classes as usize, l, bp, &mut self.scratch, t),
                        None => softmax_xent_f32(z, x, classes as usize, l, bp, &mut self.scratch),
                    }
                }
                Quick::MatMul { a, b, out, plan } => {
                    // SAFETY: `resolve` made `plan` an index into `plans`.
                    let plan = unsafe { self.plans.get_unchecked(plan as usize) };
                    plan.run_hw(hw, rd(a), rd(b), wr(out), &mut self.scratch);
                }
                Quick::Adam { w, m, v, sc, g, nesterov } => {
                    let sc = [rd(sc[0])[0], rd(sc[1])[0], rd(sc[2])[0], rd(sc[3])[0], rd(sc[4])[0], rd(sc[5])[0]];
                    adam_update(wr(w), wr(m), wr(v), rd(g), sc, nesterov);
                }
                Quick::Gd { w, alpha, g } => {
                    let a = rd(alpha)[0];
                    update8(wr(w), rd(g), |v, g| v - g * a);
                }
                Quick::Assign { var, src, out } => {
                    let o = wr(out);
                    o.copy_from_slice(rd(src));
                    wr(var).copy_from_slice(o);
                }
                Quick::Other(i) => {
                    let ins =
                        self.instrs.get(i as usize).ok_or_else(|| Error::internal("fast path: no such instruction"))?;
                    // SAFETY: the instruction's outputs are buffers it does not read (checked by
                    // `build`) and distinct from each other; no other slice of them is alive.
                    let outs = unsafe { mem.outs(ins)? };
                    exec(ins, &mem, vars, outs, pool)?;
                }
            }
        }
        Ok(())
    }

    /// The slice of a fetch after a run.
    pub(crate) fn fetch<'a>(&'a self, i: usize, feeds: &'a [Feed], vars: &'a [Option<Value>]) -> Option<&'a [f32]> {
        let (l, _) = self.fetches.get(i)?;
        read(*l, &self.bufs, feeds, vars)
    }
}

/// `a == b` for the short dims of a feed, inline (a slice `==` of `usize` calls `memcmp`).
#[inline(always)]
fn same_dims(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

fn len_of(shapes: &[Vec<usize>]) -> usize {
    shapes.first().map_or(0, |s| s.iter().product())
}

fn read<'a>(l: Loc, bufs: &'a [Vec<f32>], feeds: &'a [Feed], vars: &'a [Option<Value>]) -> Option<&'a [f32]> {
    match l {
        Loc::Buf(i) => bufs.get(i).map(Vec::as_slice),
        Loc::Feed(k) => feeds.get(k).and_then(|f| f32_slice(&f.value)),
        Loc::Var(s) => vars.get(s)?.as_ref().and_then(f32_slice),
    }
}

/// What an instruction reads and updates during a run: the program's buffers, and the feeds and
/// variables resolved for this run (see [`FastProgram::views`]).
struct Mem<'a> {
    views: &'a [View],
    /// The number of buffers (feed `k` is at `views[nb + k]`).
    nb: usize,
    /// The number of feeds (variable slot `s` is at `views[nb + nf + s]`).
    nf: usize,
}

impl<'a> Mem<'a> {
    #[inline(always)]
    fn view(&self, l: Loc) -> Option<View> {
        let i = match l {
            Loc::Buf(b) if b < self.nb => b,
            Loc::Feed(k) if k < self.nf => self.nb + k,
            Loc::Var(s) => (self.nb + self.nf).checked_add(s)?,
            Loc::Buf(_) | Loc::Feed(_) => return None,
        };
        self.views.get(i).copied()
    }

    /// The data at `l`.
    #[inline(always)]
    fn read(&self, l: Loc) -> Option<&'a [f32]> {
        let v = self.view(l)?;
        // SAFETY: `v` is one of the program's buffers (which live as long as the program), or was
        // made by `FastProgram::bind` for this run from a live feed or variable of `v.len`
        // elements (or is empty and dangling), which stays in place until the run ends; no
        // instruction reads a buffer it writes (checked by `build`), nor a variable while it
        // holds it from `var_mut`.
        Some(unsafe { std::slice::from_raw_parts(v.ptr, v.len) })
    }

    /// The buffers an instruction writes (empty slices where it writes none).
    ///
    /// # Safety
    /// No other slice of these buffers may be alive while they are (`build` checks that no
    /// instruction reads a buffer it writes, nor writes one buffer twice).
    #[inline(always)]
    unsafe fn outs(&self, ins: &Instr) -> Result<(&'a mut [f32], &'a mut [f32])> {
        let buf = |b: Option<usize>| -> Result<&'a mut [f32]> {
            match b {
                None => Ok(Default::default()),
                Some(b) => match self.view(Loc::Buf(b)) {
                    // SAFETY: a buffer of the program (see `read`), lent to this instruction
                    // alone (the caller's guarantee).
                    Some(v) => Ok(unsafe { std::slice::from_raw_parts_mut(v.ptr, v.len) }),
                    None => Err(Error::internal("fast path: a location is missing")),
                },
            }
        };
        Ok((buf(ins.out())?, buf(ins.out2())?))
    }

    /// A float32 variable's data, to update.
    ///
    /// # Safety
    /// While the slice lives, no other slice of the same variable may be made (the callers take
    /// distinct slots, checked, and read other locations only).
    unsafe fn var_mut(&self, slot: usize) -> Result<&'a mut [f32]> {
        match self.view(Loc::Var(slot)) {
            // SAFETY: as for `read`, and the data was lent exclusively by the `&mut` to the
            // variables that `bind` took; the caller guarantees no other slice of it is alive.
            Some(v) => Ok(unsafe { std::slice::from_raw_parts_mut(v.ptr, v.len) }),
            _ => Err(Error::failed_precondition("Attempting to use an uninitialized value")),
        }
    }

    fn scalar(&self, l: Loc) -> Result<f32> {
        match self.read(l) {
            Some([x]) => Ok(*x),
            _ => Err(Error::internal("fast path: expected a scalar")),
        }
    }

    /// The gradient an apply op reads: from a buffer or a feed (never from a variable it updates).
    fn grad(&self, l: Loc) -> Result<&'a [f32]> {
        match l {
            Loc::Var(_) => None,
            l => self.read(l),
        }
        .ok_or_else(|| Error::internal("fast path: gradient location"))
    }
}

/// Fails unless the slots an update writes are distinct variables.
fn distinct(slots: &[usize]) -> Result<()> {
    for (i, a) in slots.iter().enumerate() {
        if slots[i + 1..].contains(a) {
            return Err(Error::internal("fast path: an update names one variable twice"));
        }
    }
    Ok(())
}

/// Executes one instruction into `o` (its output buffer, taken out of `bufs`).
fn exec(
    ins: &Instr,
    mem: &Mem<'_>,
    vars: &mut [Option<Value>],
    (o, o2): (&mut [f32], &mut [f32]),
    pool: Option<&rayon::ThreadPool>,
) -> Result<()> {
    let missing = || Error::internal("fast path: a location is missing");
    macro_rules! rd {
        ($l:expr) => {
            mem.read($l).ok_or_else(missing)?
        };
    }
    match *ins {
        Instr::Bin { op, a, b, mode, .. } => {
            let (xs, ys) = (rd!(a), rd!(b));
            use BinaryOp as B;
            if matches!(op, B::Less | B::Greater | B::Equal | B::NotEqual | B::GreaterEqual | B::LessEqual) {
                return Err(Error::internal("fast path: binary op not lowered"));
            }
            // The operands' parts for the output elements `off..off + len`, and the alignment of
            // a split (whole rows where one operand repeats by rows or columns).
            let wrong = || Error::internal("fast path: binary operands of the wrong size");
            let (n, ok) = match mode {
                Mode::Same => (1, xs.len() == o.len() && ys.len() == o.len()),
                Mode::ScalarB => (1, xs.len() == o.len() && ys.len() == 1),
                Mode::ScalarA => (1, ys.len() == o.len() && xs.len() == 1),
                Mode::RowB => (ys.len(), xs.len() == o.len() && !ys.is_empty() && o.len() % ys.len() == 0),
                Mode::RowA => (xs.len(), ys.len() == o.len() && !xs.is_empty() && o.len() % xs.len() == 0),
                Mode::ColA => {
                    let n = if xs.is_empty() { 0 } else { o.len() / xs.len() };
                    (n, ys.len() == o.len() && n > 0 && n * xs.len() == o.len())
                }
                Mode::ColB => {
                    let n = if ys.is_empty() { 0 } else { o.len() / ys.len() };
                    (n, xs.len() == o.len() && n > 0 && n * ys.len() == o.len())
                }
            };
            if !ok {
                return Err(wrong());
            }
            let part = |off: usize, len: usize| -> (&[f32], &[f32]) {
                let r = off..off + len;
                match mode {
                    Mode::Same => (&xs[r.clone()], &ys[r]),
                    Mode::ScalarB | Mode::RowB => (&xs[r], ys),
                    Mode::ScalarA | Mode::RowA => (xs, &ys[r]),
                    Mode::ColA => (&xs[off / n..(off + len) / n], &ys[r]),
                    Mode::ColB => (&xs[r], &ys[off / n..(off + len) / n]),
                }
            };
            par_out(pool, o, n, |off, o| {
                let (xs, ys) = part(off, o.len());
                // Sizes were checked above, so `bin_apply` cannot fail here.
                let _ = match (op, mode) {
                    (B::Maximum, Mode::Same) => {
                        crate::engine::math::eigen::maximum_f32(xs, ys, o);
                        Ok(())
                    }
                    (B::Minimum, Mode::Same) => {
                        crate::engine::math::eigen::minimum_f32(xs, ys, o);
                        Ok(())
                    }
                    (B::Add, _) => bin_apply(mode, xs, ys, o, |x, y| binary_arith(B::Add, x, y)),
                    (B::Sub, _) => bin_apply(mode, xs, ys, o, |x, y| binary_arith(B::Sub, x, y)),
                    (B::Mul, _) => bin_apply(mode, xs, ys, o, |x, y| binary_arith(B::Mul, x, y)),
                    (B::Div, _) => bin_apply(mode, xs, ys, o, |x, y| binary_arith(B::Div, x, y)),
                    (B::Maximum, _) => bin_apply(mode, xs, ys, o, |x, y| binary_arith(B::Maximum, x, y)),
                    (B::Minimum, _) => bin_apply(mode, xs, ys, o, |x, y| binary_arith(B::Minimum, x, y)),
                    (B::Pow, _) => bin_apply(mode, xs, ys, o, |x, y| binary_arith(B::Pow, x, y)),
                    _ => Ok(()),
                };
            });
        }
        Instr::AddN { ref xs, .. } => {
            let head = crate::engine::kernels::elementwise::add_n_head(xs.len());
            let add_into = |acc: &mut [f32], x: Loc| -> Result<()> {
                let v = rd!(x);
                if v.len() != acc.len() {
                    return Err(Error::internal("fast path: AddN input of the wrong size"));
                }
                for (a, &v) in acc.iter_mut().zip(v) {
                    *a += v;
                }
                Ok(())
            };
            let copy = |acc: &mut [f32], x: Loc| -> Result<()> {
                let v = rd!(x);
                if v.len() != acc.len() {
                    return Err(Error::internal("fast path: AddN input of the wrong size"));
                }
                acc.copy_from_slice(v);
                Ok(())
            };
            for (i, &x) in xs[..head].iter().enumerate() {
                if i == 0 { copy(o, x)? } else { add_into(o, x)? }
            }
            for chunk in xs[head..].chunks(8) {
                copy(o2, chunk[0])?;
                for &x in &chunk[1..] {
                    add_into(o2, x)?;
                }
                for (a, &b) in o.iter_mut().zip(o2.iter()) {
                    *a += b;
                }
            }
        }
        Instr::Un { op, x, fused, .. } => {
            let xs = rd!(x);
            if xs.len() != o.len() {
                return Err(Error::internal("fast path: unary operand of the wrong size"));
            }
            if fused && let Some(f) = crate::engine::kernels::elementwise::onednn_kernel(op) {
                f(xs, o);
                return Ok(());
            }
            par_out(pool, o, 1, |off, o| {
                let xs = &xs[off..off + o.len()];
                match eigen_unary(op) {
                    Some(f) => f(xs, o),
                    None => {
                        for (o, &v) in o.iter_mut().zip(xs) {
                            *o = unary_scalar(op, v);
                        }
                    }
                }
            });
        }
        Instr::MatMul { a, b, m, k, n, ta, tb, eigen, .. } => {
            let (xs, ys) = (rd!(a), rd!(b));
            if eigen {
                // The general path's choice for this shape (see `matmul_f32_slices`), called
                // without its dispatch.
                if xs.len() != m * k || ys.len() != k * n || o.len() != m * n {
                    return Err(Error::internal("fast path: matmul operand of the wrong size"));
                }
                if let Some(isa) = tf_order_gemm(pool, m, k, n, ta, tb) {
                    use crate::engine::math::sgemm::{Epilogue, Order, Strided, sgemm_fused};
                    let (a, b) = (Strided::op(xs, m, k, ta), Strided::op(ys, k, n, tb));
                    return sgemm_fused(isa, (m, k, n), a, b, o, (n, 1), pool, Epilogue::NONE, Order::TfSeqFma);
                }
                match (pool, tf_order_split_rows(pool, m, k, n, ta)) {
                    (Some(p), Some(rows)) if ta => {
                        // Rows of op(A) are columns of the `[k, m]` A: each part packs its
                        // columns as a `[k, rows]` block (kept per thread between steps).
                        use rayon::prelude::*;
                        p.install(|| {
                            o.par_chunks_mut(rows * n).enumerate().for_each(|(i, part)| {
                                let (r, i0) = (part.len() / n, i * rows);
                                let product = |buf: &mut Vec<f32>, part: &mut [f32]| {
                                    buf.resize(k * r, 0.0);
                                    for (dst, src) in buf.chunks_exact_mut(r).zip(xs.chunks_exact(m)) {
                                        dst.copy_from_slice(&src[i0..i0 + r]);
                                    }
                                    crate::engine::math::matmul_simd::matmul_f32_fast(buf, ys, r, k, n, true, tb, part);
                                };
                                TA_PARTS.with(|cell| match cell.try_borrow_mut() {
                                    Ok(mut buf) => product(&mut buf, part),
                                    Err(_) => product(&mut Vec::new(), part),
                                });
                            })
                        });
                    }
                    (Some(p), Some(rows)) => {
                        use rayon::prelude::*;
                        p.install(|| {
                            o.par_chunks_mut(rows * n).enumerate().for_each(|(i, part)| {
                                let r = part.len() / n;
                                let a_rows = &xs[i * rows * k..(i * rows + r) * k];
                                crate::engine::math::matmul_simd::matmul_f32_fast(a_rows, ys, r, k, n, false, tb, part);
                            })
                        });
                    }
                    _ => crate::engine::math::matmul_simd::matmul_f32_fast(xs, ys, m, k, n, ta, tb, o),
                }
            } else {
                crate::engine::kernels::matmul::matmul_f32_slices(xs, ys, (m, k, n), ta, tb, o, pool)?;
            }
        }
        Instr::MatMulBias { a, b, bias, m, k, n, ta, tb, relu, .. } => {
            let (xs, ys, bs) = (rd!(a), rd!(b), rd!(bias));
            if bs.len() != n {
                return Err(Error::internal("fast path: bias of the wrong size"));
            }
            crate::engine::kernels::matmul::matmul_f32_fused(xs, ys, (m, k, n), ta, tb, o, pool, (Some(bs), relu))?;
        }
        Instr::ReduceAll { x, mean, .. } => {
            let xs = rd!(x);
            let s = 0.0f32 + sum_f32(xs);
            if let Some(v) = o.first_mut() {
                *v = if mean { s / xs.len() as f32 } else { s };
            }
        }
        Instr::Clip { x, lo, hi, .. } => {
            let xs = rd!(x);
            let (l, h) = (mem.scalar(lo)?, mem.scalar(hi)?);
            for (o, &v) in o.iter_mut().zip(xs) {
                *o = clip(v, l, h);
            }
        }
        Instr::ClipGrad { t, lo, hi, dy, .. } => {
            let (ts, ds) = (rd!(t), rd!(dy));
            let (l, h) = (mem.scalar(lo)?, mem.scalar(hi)?);
            for ((o, &x), &d) in o.iter_mut().zip(ts).zip(ds) {
                *o = clip_grad(x, l, h, d);
            }
        }
        Instr::UnaryGrad { kind, a, dy, .. } => {
            let (xs, ds) = (rd!(a), rd!(dy));
            if xs.len() != o.len() || ds.len() != o.len() {
                return Err(Error::internal("fast path: gradient operands of the wrong size"));
            }
            par_out(pool, o, 1, |off, o| {
                let r = off..off + o.len();
                let (xs, ds) = (&xs[r.clone()], &ds[r]);
                match eigen_unary_grad(kind) {
                    Some(f) => f(xs, ds, o),
                    None => {
                        for ((o, &a), &d) in o.iter_mut().zip(xs).zip(ds) {
                            *o = unary_grad_scalar(kind, a, d);
                        }
                    }
                }
            });
        }
        Instr::ReduceGradAll { dy, mean, .. } => {
            let d = mem.scalar(dy)?;
            let v = if mean { d / o.len() as f32 } else { d };
            o.fill(v);
        }
        Instr::SumRows { g, .. } => {
            let gs = rd!(g);
            let n = o.len();
            if n == 0 || gs.len() % n != 0 {
                return Err(Error::internal("fast path: row sum of the wrong size"));
            }
            crate::engine::math::eigen::sum_rows_f32(gs, gs.len() / n, n, o);
        }
        Instr::MaxMinGrad { is_max, for_x, x, y, dy, .. } => {
            let (xs, ys, ds) = (rd!(x), rd!(y), rd!(dy));
            for (((o, &a), &b), &d) in o.iter_mut().zip(xs).zip(ys).zip(ds) {
                let mask = if is_max { a >= b } else { a <= b };
                *o = if mask == for_x { d } else { 0.0 };
            }
        }
        Instr::SigmoidXent { z, x, .. } => {
            let (zs, xs) = (rd!(z), rd!(x));
            for ((o, &z), &x) in o.iter_mut().zip(zs).zip(xs) {
                *o = sigmoid_xent_f32(z, x);
            }
        }
        Instr::SigmoidXentGrad { z, x, dy, .. } => {
            let (zs, xs, ds) = (rd!(z), rd!(x), rd!(dy));
            for (((o, &z), &x), &d) in o.iter_mut().zip(zs).zip(xs).zip(ds) {
                *o = sigmoid_xent_grad_f32(z, x, d);
            }
        }
        Instr::SoftmaxXent { labels, logits, classes, .. } => {
            let (zs, xs) = (rd!(labels), rd!(logits));
            if classes == 0 || xs.len() != zs.len() || o2.len() != xs.len() || o.len() * classes != xs.len() {
                return Err(Error::internal("fast path: softmax cross-entropy of the wrong size"));
            }
            crate::engine::kernels::nn::xent_rows_f32(zs, xs, classes, o, o2);
        }
        Instr::SparseXent { logits, labels, classes, .. } => {
            let (xs, ls) = (rd!(logits), rd!(labels));
            if classes == 0 || o2.len() != xs.len() || o.len() * classes != xs.len() || ls.len() != o.len() {
                return Err(Error::internal("fast path: sparse softmax cross-entropy of the wrong size"));
            }
            let labels: Vec<i64> = ls.iter().map(|&v| v as i64).collect();
            crate::engine::kernels::nn::check_sparse_labels(&labels, classes)?;
            crate::engine::kernels::nn::sparse_xent_f32(xs, &labels, classes, o, o2);
        }
        Instr::ArgMax { x, n, .. } => {
            let xs = rd!(x);
            if n == 0 || xs.len() != o.len() * n {
                return Err(Error::internal("fast path: argmax of the wrong size"));
            }
            // The first largest element (NaNs passed over; 0 when all are NaN), as `arg_max`.
            for (o, row) in o.iter_mut().zip(xs.chunks_exact(n)) {
                let mut best: Option<(usize, f32)> = None;
                for (k, &v) in row.iter().enumerate() {
                    if !v.is_nan() && best.is_none_or(|(_, b)| v > b) {
                        best = Some((k, v));
                    }
                }
                *o = best.map_or(0, |(k, _)| k) as f32;
            }
        }
        Instr::L2Loss { x, .. } => {
            let xs = rd!(x);
            if o2.len() != xs.len() {
                return Err(Error::internal("fast path: L2Loss of the wrong size"));
            }
            // As `reduce::l2_loss`: each `(t * t) * 0.5`, then one sum in Eigen's order.
            par_out(pool, o2, 1, |off, o2| {
                for (h, &v) in o2.iter_mut().zip(&xs[off..]) {
                    *h = v * v * 0.5;
                }
            });
            if let Some(v) = o.first_mut() {
                *v = sum_f32(o2);
            }
        }
        Instr::IntVar { slot, .. } => {
            let uninit = || Error::failed_precondition("Attempting to use an uninitialized value");
            match vars.get(slot).and_then(Option::as_ref).ok_or_else(uninit)? {
                Value::I32(a) if a.len() == o.len() => o.iter_mut().zip(a.iter()).for_each(|(o, &v)| *o = v as f32),
                Value::I64(a) if a.len() == o.len() => o.iter_mut().zip(a.iter()).for_each(|(o, &v)| *o = v as f32),
                _ => return Err(Error::internal("fast path: integer variable of another type or size")),
            }
        }
        Instr::AssignUpdate { slot, delta, sub } => {
            let d = mem.grad(delta)?;
            // SAFETY: the delta is a buffer or a feed, not this variable.
            let w = unsafe { mem.var_mut(slot)? };
            if w.len() != d.len() {
                return Err(Error::internal("fast path: update of a different size"));
            }
            let op = if sub { BinaryOp::Sub } else { BinaryOp::Add };
            par_out(pool, w, 1, |off, w| w.iter_mut().zip(&d[off..]).for_each(|(w, &d)| *w = binary_arith(op, *w, d)));
        }
        Instr::AverageUpdate { slot, w, keep } => {
            let k = mem.scalar(keep)?;
            if w == Loc::Var(slot) {
                return Err(Error::internal("fast path: a moving average of itself"));
            }
            // The weight is read from another variable or a buffer.
            let ws = mem.read(w).ok_or_else(missing)?;
            // SAFETY: `w` is not this variable (checked above).
            let a = unsafe { mem.var_mut(slot)? };
            if ws.len() != a.len() {
                return Err(Error::internal("fast path: moving average of a different size"));
            }
            par_out(pool, a, 1, |off, a| {
                for (a, &w) in a.iter_mut().zip(&ws[off..]) {
                    let d = binary_arith(BinaryOp::Sub, *a, w);
                    *a = binary_arith(BinaryOp::Sub, *a, binary_arith(BinaryOp::Mul, d, k));
                }
            });
        }
        Instr::GdWithL2 { slot, alpha, c, g, l2_first } => {
            let (a, c) = (mem.scalar(alpha)?, mem.scalar(c)?);
            let g = mem.grad(g)?;
            // SAFETY: the gradient is a buffer or a feed; the scalars were copied out.
            let w = unsafe { mem.var_mut(slot)? };
            if w.len() != g.len() {
                return Err(Error::internal("fast path: update of a different size"));
            }
            par_out(pool, w, 1, |off, w| {
                for (v, &g) in w.iter_mut().zip(&g[off..]) {
                    let l2 = binary_arith(BinaryOp::Mul, *v, c);
                    let sum =
                        if l2_first { binary_arith(BinaryOp::Add, l2, g) } else { binary_arith(BinaryOp::Add, g, l2) };
                    *v -= sum * a;
                }
            });
        }
        Instr::AverageGdL2 { avg, keep, slot, alpha, c, g, l2_first } => {
            use crate::engine::kernels::apply::{AverageGdL2, average_gd_l2_f32};
            let s = AverageGdL2 { keep: mem.scalar(keep)?, c: mem.scalar(c)?, alpha: mem.scalar(alpha)?, l2_first };
            let g = mem.grad(g)?;
            distinct(&[avg, slot])?;
            // SAFETY: two distinct variables (checked); the gradient is a buffer or a feed, the
            // scalars were copied out.
            let (a, w) = unsafe { (mem.var_mut(avg)?, mem.var_mut(slot)?) };
            if a.len() != w.len() || g.len() != w.len() {
                return Err(Error::internal("fast path: update of a different size"));
            }
            // Each element is updated on its own: any split gives the same bits.
            match pool {
                Some(p) if w.len() >= PAR_MIN_ELEMENTS && p.current_num_threads() > 1 => {
                    use rayon::prelude::*;
                    let chunk = w.len().div_ceil(p.current_num_threads()).div_ceil(64) * 64;
                    p.install(|| {
                        a.par_chunks_mut(chunk)
                            .zip(w.par_chunks_mut(chunk))
                            .zip(g.par_chunks(chunk))
                            .for_each(|((a, w), g)| average_gd_l2_f32(a, w, g, s))
                    });
                }
                _ => average_gd_l2_f32(a, w, g, s),
            }
        }
        Instr::AssignUpdateInt { slot, delta, sub } => {
            use crate::engine::kernels::Num;
            let d = mem.grad(delta)?;
            let wrong = || Error::internal("fast path: integer update of another type or size");
            match vars.get_mut(slot) {
                Some(Some(Value::I32(a))) if a.len() == d.len() => a.iter_mut().zip(d).for_each(|(w, &d)| {
                    *w = if sub { w.wsub(d as i32) } else { w.wadd(d as i32) };
                }),
                Some(Some(Value::I64(a))) if a.len() == d.len() => a.iter_mut().zip(d).for_each(|(w, &d)| {
                    *w = if sub { w.wsub(d as i64) } else { w.wadd(d as i64) };
                }),
                Some(Some(_)) => return Err(wrong()),
                _ => return Err(Error::failed_precondition("Attempting to use an uninitialized value")),
            }
        }
        Instr::Copy { src, .. } => {
            let s = rd!(src);
            if s.len() != o.len() {
                return Err(Error::internal("fast path: copy of a different size"));
            }
            o.copy_from_slice(s);
        }
        Instr::Fill { value, .. } => o.fill(value),
        Instr::Assign { slot, src, .. } => {
            // Copy into the output first, then from it into the variable.
            let s = rd!(src);
            if o.len() != s.len() {
                return Err(Error::internal("fast path: assign of a different size"));
            }
            o.copy_from_slice(s);
            if src != Loc::Var(slot) {
                // SAFETY: the source (read above, no longer used) is not this variable.
                let v = unsafe { mem.var_mut(slot)? };
                if v.len() != o.len() {
                    return Err(Error::internal("fast path: assign of a different size"));
                }
                v.copy_from_slice(o);
            }
        }
        Instr::ApplyGd { slot, alpha, delta } => {
            let a = mem.scalar(alpha)?;
            let g = mem.grad(delta)?;
            // SAFETY: the gradient is a buffer or a feed; the scalar was copied out.
            let w = unsafe { mem.var_mut(slot)? };
            if w.len() != g.len() {
                return Err(Error::internal("fast path: update of a different size"));
            }
            par_out(pool, w, 1, |off, w| {
                for (v, &g) in w.iter_mut().zip(&g[off..]) {
                    *v -= g * a;
                }
            });
        }
        Instr::ApplyMomentum { slots, lr, grad, momentum, nesterov } => {
            let (lr, mo) = (mem.scalar(lr)?, mem.scalar(momentum)?);
            let g = mem.grad(grad)?;
            distinct(&slots)?;
            // SAFETY: two distinct variables (checked); the gradient is a buffer or a feed.
            let (w, a) = unsafe { (mem.var_mut(slots[0])?, mem.var_mut(slots[1])?) };
            for ((v, a), &g) in w.iter_mut().zip(a.iter_mut()).zip(g) {
                *a = *a * mo + g;
                if nesterov {
                    *v -= g * lr + *a * mo * lr;
                } else {
                    *v -= *a * lr;
                }
            }
        }
        Instr::ApplyAdam { slots, scalars, grad, nesterov } => {
            let mut sc = [0.0f32; 6];
            for (s, l) in sc.iter_mut().zip(scalars) {
                *s = mem.scalar(l)?;
            }
            let g = mem.grad(grad)?;
            distinct(&slots)?;
            // SAFETY: three distinct variables (checked); the gradient is a buffer or a feed, the
            // scalars were copied out.
            let (w, ms, vs) = unsafe { (mem.var_mut(slots[0])?, mem.var_mut(slots[1])?, mem.var_mut(slots[2])?) };
            let adam =
                |w: &mut [f32], ms: &mut [f32], vs: &mut [f32], g: &[f32]| adam_update(w, ms, vs, g, sc, nesterov);
            if ms.len() != w.len() || vs.len() != w.len() || g.len() != w.len() {
                return Err(Error::internal("fast path: update of a different size"));
            }
            // Each element is updated on its own, so splitting big variables across the pool
            // gives the same bits.
            match pool {
                Some(p) if w.len() >= PAR_MIN_ELEMENTS && p.current_num_threads() > 1 => {
                    use rayon::prelude::*;
                    let chunk = w.len().div_ceil(p.current_num_threads()).div_ceil(64) * 64;
                    p.install(|| {
                        w.par_chunks_mut(chunk)
                            .zip(ms.par_chunks_mut(chunk))
                            .zip(vs.par_chunks_mut(chunk))
                            .zip(g.par_chunks(chunk))
                            .for_each(|(((w, m), v), g)| adam(w, m, v, g))
                    });
                }
                _ => adam(w, ms, vs, g),
            }
        }
        Instr::ApplyRms { slots, scalars, grad } => {
            let mut sc = [0.0f32; 4];
            for (s, l) in sc.iter_mut().zip(scalars) {
                *s = mem.scalar(l)?;
            }
            let [lr, rho, mo, eps] = sc;
            let g = mem.grad(grad)?;
            distinct(&slots)?;
            // SAFETY: three distinct variables (checked); the gradient is a buffer or a feed, the
            // scalars were copied out.
            let (w, ss, mm) = unsafe { (mem.var_mut(slots[0])?, mem.var_mut(slots[1])?, mem.var_mut(slots[2])?) };
            for (((w, s), m), &g) in w.iter_mut().zip(ss.iter_mut()).zip(mm.iter_mut()).zip(g) {
                *s = *s + (g * g - *s) * (1.0 - rho);
                *m = *m * mo + (g * lr) / (*s + eps).sqrt();
                *w -= *m;
            }
        }
    }
    Ok(())
}

/// Where a float32 tensor's elements lie when they are contiguous in row-major order (its first
/// element and its element count), as `as_slice` decides it, but without its general layout
/// walk for the common shapes: a vector with unit stride and a matrix with strides `[cols, 1]`
/// are contiguous; other shapes and strides take `as_slice`'s check.
#[inline(always)]
fn contiguous(a: &ndarray::ArrayD<f32>) -> Option<(*const f32, usize)> {
    match (a.shape(), a.strides()) {
        (&[n], &[1]) => Some((a.as_ptr(), n)),
        (&[r, c], &[s, 1]) if usize::try_from(s) == Ok(c) => Some((a.as_ptr(), r.checked_mul(c)?)),
        _ => a.as_slice().map(|x| (x.as_ptr(), x.len())),
    }
}

/// `ClipByValue` of one element (`min(max)` as TF's kernel orders the comparisons).
#[inline(always)]
fn clip(v: f32, l: f32, h: f32) -> f32 {
    let t = if h < v { h } else { v };
    if t < l { l } else { t }
}

/// `ClipByValue`'s gradient for one element: `dy` where `x` was inside `[l, h]`, else 0.
#[inline(always)]
fn clip_grad(x: f32, l: f32, h: f32, d: f32) -> f32 {
    if x < l || x > h { 0.0 } else { d }
}

/// `ApplyAdam`'s update of each element, with the scalars `[beta1_power, beta2_power, lr, beta1,
/// beta2, epsilon]` (TF's formula, each operation rounded in its order).
#[inline(always)]
fn adam_update(w: &mut [f32], ms: &mut [f32], vs: &mut [f32], g: &[f32], sc: [f32; 6], nesterov: bool) {
    let [b1p, b2p, lr, b1, b2, eps] = sc;
    let c = crate::engine::kernels::apply::AdamF32::new(b1p, b2p, lr, b1, b2, eps, nesterov);
    if w.len() >= 16 {
        // Vectorised (the same operations per lane, so the same bits).
        return crate::engine::kernels::apply::adam_f32(w, ms, vs, g, c);
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vl") {
        // SAFETY: the CPU has AVX-512F and AVX-512VL.
        return unsafe { adam_small_avx512(w, ms, vs, g, c) };
    }
    adam_small_scalar(w, ms, vs, g, c);
}

/// True when a matmul in TF's summation order can be split by rows of its output without
/// changing any element's sum: enough work to pay for the split, and room for parts of at least
/// 16 rows — from 16 rows on, the kernel that `eigen::matmul_kernel` picks (and so each element's
/// order) no longer depends on the row count. (A transposed `A`'s rows are packed per part.)
fn tf_order_splits(m: usize, k: usize, n: usize, _ta: bool) -> bool {
    m >= 32 && n > 0 && m.saturating_mul(k).saturating_mul(n) >= 1 << 18
}

thread_local! {
    /// The packed columns of a transposed `A` for one part of a split TF-order matmul.
    static TA_PARTS: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Rows per part for [`tf_order_splits`] on `pool` (every part, the last included, has at least
/// 16 rows), or `None` to run it whole.
fn tf_order_split_rows(pool: Option<&rayon::ThreadPool>, m: usize, k: usize, n: usize, ta: bool) -> Option<usize> {
    let threads = pool?.current_num_threads();
    if threads < 2 || !tf_order_splits(m, k, n, ta) {
        return None;
    }
    let rows = m.div_ceil(threads);
    let last = m - rows * (m.div_ceil(rows) - 1);
    (rows >= 16 && last >= 16).then_some(rows)
}

/// The kernel that computes a split TF-order matmul ([`tf_order_split_rows`]) as one blocked GEMM
/// in TF's order (`sgemm::Order::TfSeqFma`, the same bits at its speed): when TF's kernel for the
/// shape is the in-order FMA chain with at least two rows and columns (the others sum by trees),
/// and the CPU has a vector kernel.
fn tf_order_gemm(
    pool: Option<&rayon::ThreadPool>,
    m: usize,
    k: usize,
    n: usize,
    ta: bool,
    tb: bool,
) -> Option<crate::engine::math::sgemm::Isa> {
    use crate::engine::math::eigen::{MatMulKernel, matmul_kernel};
    use crate::engine::math::sgemm::Isa;
    tf_order_split_rows(pool, m, k, n, ta)?;
    let isa = Isa::detect();
    (m >= 2 && n >= 2 && matmul_kernel(m, n, ta, tb) == MatMulKernel::SeqFma && isa != Isa::Scalar).then_some(isa)
}

/// Runs `f(off, part)` over parts of `o` (`part` is `o[off..off + part.len()]`), split across
/// `pool` when `o` has at least [`PAR_MIN_ELEMENTS`] elements. Each part starts at a multiple of
/// `lcm(row, 64)` elements, so whole rows and whole SIMD packets stay together and every element
/// is computed as it is unsplit (the bits do not depend on the number of threads).
#[inline(always)]
fn par_out(pool: Option<&rayon::ThreadPool>, o: &mut [f32], row: usize, f: impl Fn(usize, &mut [f32]) + Sync) {
    match pool {
        Some(p) if o.len() >= PAR_MIN_ELEMENTS && p.current_num_threads() > 1 => {
            use rayon::prelude::*;
            let (mut a, mut b) = (row.max(1), 64usize);
            while b != 0 {
                (a, b) = (b, a % b);
            }
            let align = row.max(1) / a * 64;
            let chunk = o.len().div_ceil(p.current_num_threads()).div_ceil(align) * align;
            p.install(|| o.par_chunks_mut(chunk).enumerate().for_each(|(i, part)| f(i * chunk, part)));
        }
        _ => f(0, o),
    }
}

/// [`adam_update`] element by element (TF's formula, each operation rounded in its order).
#[inline(always)]
fn adam_small_scalar(
    w: &mut [f32],
    ms: &mut [f32],
    vs: &mut [f32],
    g: &[f32],
    c: crate::engine::kernels::apply::AdamF32,
) {
    let (b1, eps, nesterov) = (c.b1, c.eps, c.nesterov);
    for (((w, m), v), &g) in w.iter_mut().zip(ms.iter_mut()).zip(vs.iter_mut()).zip(g) {
        *m = *m + (g - *m) * c.one_b1;
        *v = *v + (g * g - *v) * c.one_b2;
        if nesterov {
            *w -= ((g * c.one_b1 + b1 * *m) * c.alpha) / (v.sqrt() + eps);
        } else {
            *w -= (*m * c.alpha) / (v.sqrt() + eps);
        }
    }
}

/// [`adam_update`] as 8-lane vectors (one or two for the fewer than 16 elements it is used for),
/// with masked loads and stores (the lanes past the end are neither read nor written): the
/// scalar loop's operations in its order, on every lane at once (each lane rounds as the scalar
/// code does, so the same bits). 8 lanes, not 16: a 16-lane divide and square root take about
/// twice as long.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl")]
fn adam_small_avx512(
    w: &mut [f32],
    ms: &mut [f32],
    vs: &mut [f32],
    g: &[f32],
    c: crate::engine::kernels::apply::AdamF32,
) {
    use std::arch::x86_64::*;
    let n = w.len().min(ms.len()).min(vs.len()).min(g.len());
    let s = _mm256_set1_ps;
    for start in (0..n).step_by(8) {
        let k = ((1u32 << (n - start).min(8)) - 1) as __mmask8;
        // SAFETY: the masked loads and stores touch only lanes `start..n`, which lie inside each
        // slice.
        unsafe {
            let gv = _mm256_maskz_loadu_ps(k, g.as_ptr().add(start));
            let m = _mm256_maskz_loadu_ps(k, ms.as_ptr().add(start));
            let v = _mm256_maskz_loadu_ps(k, vs.as_ptr().add(start));
            let wv = _mm256_maskz_loadu_ps(k, w.as_ptr().add(start));
            // m + (g - m) * (1 - beta1); v + (g * g - v) * (1 - beta2)
            let m = _mm256_add_ps(m, _mm256_mul_ps(_mm256_sub_ps(gv, m), s(c.one_b1)));
            let v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(gv, gv), v), s(c.one_b2)));
            let num = if c.nesterov {
                // (g * (1 - beta1) + beta1 * m) * alpha
                _mm256_mul_ps(_mm256_add_ps(_mm256_mul_ps(gv, s(c.one_b1)), _mm256_mul_ps(s(c.b1), m)), s(c.alpha))
            } else {
                _mm256_mul_ps(m, s(c.alpha))
            };
            let den = _mm256_add_ps(_mm256_sqrt_ps(v), s(c.eps));
            let wv = _mm256_sub_ps(wv, _mm256_div_ps(num, den));
            _mm256_mask_storeu_ps(ms.as_mut_ptr().add(start), k, m);
            _mm256_mask_storeu_ps(vs.as_mut_ptr().add(start), k, v);
            _mm256_mask_storeu_ps(w.as_mut_ptr().add(start), k, wv);
        }
    }
}

/// One binary op over operands lined up by `mode` (monomorphized per op, so the loop is tight).
#[inline(always)]
fn bin_apply(mode: Mode, xs: &[f32], ys: &[f32], o: &mut [f32], f: impl Fn(f32, f32) -> f32) -> Result<()> {
    match mode {
        Mode::Same => zip8(o, xs, ys, f),
        Mode::ScalarB => {
            let y = *ys.first().ok_or_else(|| Error::internal("fast path: empty scalar"))?;
            map8(o, xs, |x| f(x, y));
        }
        Mode::ScalarA => {
            let x = *xs.first().ok_or_else(|| Error::internal("fast path: empty scalar"))?;
            map8(o, ys, |y| f(x, y));
        }
        Mode::RowB => rows8(o, xs, ys, f),
        Mode::RowA => rows8(o, ys, xs, |y, x| f(x, y)),
        Mode::ColA => {
            let n = o.len() / xs.len().max(1);
            for ((orow, yrow), &x) in o.chunks_mut(n.max(1)).zip(ys.chunks(n.max(1))).zip(xs) {
                map8(orow, yrow, |y| f(x, y));
            }
        }
        Mode::ColB => {
            let n = o.len() / ys.len().max(1);
            for ((orow, xrow), &y) in o.chunks_mut(n.max(1)).zip(xs.chunks(n.max(1))).zip(ys) {
                map8(orow, xrow, |x| f(x, y));
            }
        }
    }
    Ok(())
}

/// 8 elements as an array (the chunks of [`zip8`] and friends are exactly 8 long).
#[inline(always)]
fn arr8(x: &[f32]) -> [f32; 8] {
    let mut a = [0.0; 8];
    a.copy_from_slice(x);
    a
}

/// `o[i] = f(xs[i], ys[i])` over the common length, 8 elements at a time and then the rest: the
/// fixed-size inner loop over local arrays becomes whole vector operations even for an
/// 8-element tensor (a loop of unknown length that short runs scalar, and one over the slices
/// themselves checks at run time whether they overlap), and each element is still `f` of its
/// operands.
#[inline(always)]
fn zip8(o: &mut [f32], xs: &[f32], ys: &[f32], f: impl Fn(f32, f32) -> f32) {
    let n = o.len().min(xs.len()).min(ys.len());
    let (o, xs, ys) = (&mut o[..n], &xs[..n], &ys[..n]);
    let mut oc = o.chunks_exact_mut(8);
    for ((o8, x8), y8) in (&mut oc).zip(xs.chunks_exact(8)).zip(ys.chunks_exact(8)) {
        let (x8, y8) = (arr8(x8), arr8(y8));
        let mut r = [0.0; 8];
        for i in 0..8 {
            r[i] = f(x8[i], y8[i]);
        }
        o8.copy_from_slice(&r);
    }
    let k = n - n % 8;
    for ((o, &x), &y) in oc.into_remainder().iter_mut().zip(&xs[k..]).zip(&ys[k..]) {
        *o = f(x, y);
    }
}

/// `o[r * n + j] = f(xs[r * n + j], row[j])` for each row `r` of `xs` (`n = row.len()`): a bias
/// add. A row of 8 (a small layer's) is held in one vector and each row is one vector operation;
/// a row of one is a scalar; other rows go through [`zip8`] one by one. Each element is `f` of
/// its operands either way.
#[inline(always)]
fn rows8(o: &mut [f32], xs: &[f32], row: &[f32], f: impl Fn(f32, f32) -> f32) {
    match *row {
        [y] => map8(o, xs, |x| f(x, y)),
        [_, _, _, _, _, _, _, _] => {
            let y8 = arr8(row);
            // Indexed rows (a zip of chunk iterators costs a call per bias add here).
            let (o8s, x8s) = (o.as_chunks_mut::<8>().0, xs.as_chunks::<8>().0);
            for i in 0..o8s.len().min(x8s.len()) {
                let x8 = x8s[i];
                let mut r = [0.0; 8];
                for j in 0..8 {
                    r[j] = f(x8[j], y8[j]);
                }
                o8s[i] = r;
            }
        }
        _ => {
            let n = row.len().max(1);
            for (orow, xrow) in o.chunks_mut(n).zip(xs.chunks(n)) {
                zip8(orow, xrow, row, &f);
            }
        }
    }
}

/// `o[i] = f(xs[i])`, 8 at a time like [`zip8`].
#[inline(always)]
fn map8(o: &mut [f32], xs: &[f32], f: impl Fn(f32) -> f32) {
    let n = o.len().min(xs.len());
    let (o, xs) = (&mut o[..n], &xs[..n]);
    let mut oc = o.chunks_exact_mut(8);
    for (o8, x8) in (&mut oc).zip(xs.chunks_exact(8)) {
        let x8 = arr8(x8);
        let mut r = [0.0; 8];
        for i in 0..8 {
            r[i] = f(x8[i]);
        }
        o8.copy_from_slice(&r);
    }
    for (o, &x) in oc.into_remainder().iter_mut().zip(&xs[n - n % 8..]) {
        *o = f(x);
    }
}

/// `w[i] = f(w[i], g[i])` in place, 8 at a time like [`zip8`].
#[inline(always)]
fn update8(w: &mut [f32], g: &[f32], f: impl Fn(f32, f32) -> f32) {
    let n = w.len().min(g.len());
    let (w, g) = (&mut w[..n], &g[..n]);
    let mut wc = w.chunks_exact_mut(8);
    for (w8, g8) in (&mut wc).zip(g.chunks_exact(8)) {
        let (v8, g8) = (arr8(w8), arr8(g8));
        let mut r = [0.0; 8];
        for i in 0..8 {
            r[i] = f(v8[i], g8[i]);
        }
        w8.copy_from_slice(&r);
    }
    for (w, &g) in wc.into_remainder().iter_mut().zip(&g[n - n % 8..]) {
        *w = f(*w, g);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masked 8-lane Adam of fewer than 16 elements gives the scalar loop's bits, with and
    /// without Nesterov, for every length, with tiny and zero values among the inputs.
    #[test]
    fn small_adam_vectors_match_the_scalar_loop() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vl") {
            let mut seed = 0x2545_f491_4f6c_dd1du64;
            let mut draw = |k: u32| -> f32 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let r = (seed >> 40) as f32 / (1u64 << 24) as f32;
                match k % 5 {
                    0 => 0.0,
                    1 => r * 1e-38,
                    2 => -r,
                    _ => r * 3.0,
                }
            };
            for nesterov in [false, true] {
                let c = crate::engine::kernels::apply::AdamF32::new(0.9, 0.999, 0.01, 0.9, 0.999, 1e-8, nesterov);
                for n in 1..16 {
                    for t in 0..50u32 {
                        let w: Vec<f32> = (0..n).map(|i| draw(t + i as u32)).collect();
                        let m: Vec<f32> = (0..n).map(|i| draw(t * 3 + i as u32)).collect();
                        let v: Vec<f32> = (0..n).map(|i| draw(t * 7 + i as u32).abs()).collect();
                        let g: Vec<f32> = (0..n).map(|i| draw(t * 11 + i as u32)).collect();
                        let (mut w1, mut m1, mut v1) = (w.clone(), m.clone(), v.clone());
                        let (mut w2, mut m2, mut v2) = (w.clone(), m.clone(), v.clone());
                        adam_small_scalar(&mut w1, &mut m1, &mut v1, &g, c);
                        // SAFETY: the CPU has AVX-512F and AVX-512VL.
                        unsafe { adam_small_avx512(&mut w2, &mut m2, &mut v2, &g, c) };
                        let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                        assert_eq!(bits(&w1), bits(&w2), "w, n = {n}, nesterov = {nesterov}");
                        assert_eq!(bits(&m1), bits(&m2), "m, n = {n}");
                        assert_eq!(bits(&v1), bits(&v2), "v, n = {n}");
                    }
                }
            }
        }
    }
}
