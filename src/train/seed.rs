//! The seed's complete training program (section 3.4.5 of the notes) built through the engine's
//! Python-like API: a 2-3-1 network with a sigmoid output and a clipped cross-entropy, trained
//! with an optimizer on numpy's `RandomState(1)` data. The bundled example, the benchmark and
//! the tests all start from this one definition.

use crate::engine::autodiff::optimizers::{Optimizer, minimize};
use crate::engine::error::Result;
use crate::engine::graph::elementwise::{BinaryOp, ReduceOp, UnaryOp};
use crate::engine::graph::{Graph, NodeId, Output};
use crate::engine::{DType, Shape, Value};
use crate::train::data::dataset::{Dataset, DatasetSource, LabelRule};

/// The program's graph and the tensors a caller needs.
pub struct SeedProgram {
    /// The graph, with the gradients and the optimizer's ops.
    pub graph: Graph,
    /// `w1` (`Variable:0`).
    pub w1: Output,
    /// `w2` (`Variable_1:0`).
    pub w2: Output,
    /// The input placeholder `x-input:0`.
    pub x: Output,
    /// The label placeholder `y-input:0`.
    pub y_: Output,
    /// The sigmoid output `y`.
    pub y: Output,
    /// The cross-entropy.
    pub loss: Output,
    /// The train op (`Adam` for the seed's optimizer).
    pub train: NodeId,
}

/// Builds the program with `opt` (the seed uses `Optimizer::adam(0.001)`).
pub fn build(opt: &Optimizer) -> Result<SeedProgram> {
    let mut g = Graph::new();
    let r1 = g.random_normal(&[2, 3], 0.0, 1.0, Some(1), DType::Float32, None)?;
    let w1 = g.variable(r1, None)?;
    let r2 = g.random_normal(&[3, 1], 0.0, 1.0, Some(1), DType::Float32, None)?;
    let w2 = g.variable(r2, None)?;
    let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(2)]), Some("x-input"))?;
    let y_ = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(1)]), Some("y-input"))?;
    let a = g.matmul(x, w1, None)?;
    let y = g.matmul(a, w2, None)?;
    let y = g.unary(UnaryOp::Sigmoid, y, None)?;
    // cross_entropy = -reduce_mean(y_ * log(clip(y)) + (1 - y_) * log(clip(1 - y)))
    let c1 = g.clip_by_value(y, 1e-10, 1.0, None)?;
    let l1 = g.unary(UnaryOp::Log, c1, None)?;
    let m1 = g.binary(BinaryOp::Mul, y_, l1, None)?;
    let one = g.constant(Value::scalar_f32(1.0), Some("sub/x"))?;
    let s1 = g.binary(BinaryOp::Sub, one, y_, None)?;
    let one2 = g.constant(Value::scalar_f32(1.0), Some("sub_1/x"))?;
    let s2 = g.binary(BinaryOp::Sub, one2, y, None)?;
    let c2 = g.clip_by_value(s2, 1e-10, 1.0, None)?;
    let l2 = g.unary(UnaryOp::Log, c2, None)?;
    let m2 = g.binary(BinaryOp::Mul, s1, l2, None)?;
    let sum = g.binary(BinaryOp::Add, m1, m2, None)?;
    let mean = g.reduce(ReduceOp::Mean, sum, None, false, None)?;
    let loss = g.unary(UnaryOp::Neg, mean, None)?;
    let train = minimize(&mut g, opt, loss, None)?.train_op;
    Ok(SeedProgram { graph: g, w1, w2, x, y_, y, loss, train })
}

/// The program's data: 128 points from `RandomState(1).rand(128, 2)`, labelled `x1 + x2 < 1`.
pub fn dataset() -> Dataset {
    Dataset {
        name: "seed".to_string(),
        source: DatasetSource::NumpyRand {
            seed: 1,
            rows: 128,
            features: 2,
            label: LabelRule::SumLessThan { threshold: 1.0 },
        },
    }
}
