//! The tutorial's chapter-4 programs (`4_2_2_custom_loss`, `4_4_1_learning_rate_decay`,
//! `4_4_2_l2_regularization`, `4_4_3_moving_average`) built through the engine's Python-like API,
//! node for node as TF builds them, with their data. The bundled examples are these graphs
//! (`tests/programs/book_examples.rs` checks that they still are).

use crate::engine::autodiff::optimizers::{Optimizer, minimize};
use crate::engine::error::Result;
use crate::engine::graph::elementwise::{BinaryOp, ReduceOp};
use crate::engine::graph::op::Op;
use crate::engine::graph::{Graph, NodeId, NodeSpec, Output};
use crate::engine::{DType, Shape, Value};
use crate::train::data::dataset::{Dataset, DatasetSource, LabelRule};

/// A built program: its graph and the names its script refers to.
pub struct BookProgram {
    /// The graph, with gradients, optimizer and initializer.
    pub graph: Graph,
    /// The train op (or the update op the script runs).
    pub train: NodeId,
    /// The loss.
    pub loss: Output,
    /// `tf.global_variables_initializer()`.
    pub init: NodeId,
}

/// Chapter 4.2.2: `loss = reduce_sum(where(greater(y, y_), (y - y_) * 1, (y_ - y) * 10))` on
/// `y = x @ w1`, minimised with Adam(0.001).
pub fn custom_loss() -> Result<BookProgram> {
    let mut g = Graph::new();
    let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(2)]), Some("x-input"))?;
    let y_ = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(1)]), Some("y-input"))?;
    let r = g.random_normal(&[2, 1], 0.0, 1.0, Some(1), DType::Float32, None)?;
    let w1 = g.variable(r, None)?;
    let y = g.matmul(x, w1, None)?;
    let greater = g.binary(BinaryOp::Greater, y, y_, None)?;
    let more = g.binary(BinaryOp::Sub, y, y_, None)?;
    let one = g.constant(Value::scalar_f32(1.0), Some("mul/y"))?;
    let more = g.binary(BinaryOp::Mul, more, one, None)?;
    let less = g.binary(BinaryOp::Sub, y_, y, None)?;
    let ten = g.constant(Value::scalar_f32(10.0), Some("mul_1/y"))?;
    let less = g.binary(BinaryOp::Mul, less, ten, None)?;
    let select = g.add(None, NodeSpec::new(Op::Select, vec![greater, more, less]))?.out();
    let loss = g.reduce(ReduceOp::Sum, select, None, false, None)?;
    let train = minimize(&mut g, &Optimizer::adam(0.001), loss, None)?.train_op;
    let init = g.global_variables_initializer()?;
    Ok(BookProgram { graph: g, train, loss, init })
}

/// Chapter 4.2.2's data: `X = RandomState(1).rand(128, 2)`, then
/// `Y = [[x1 + x2 + rdm.rand() / 10.0 - 0.05] for (x1, x2) in X]` from the same `RandomState`.
pub fn custom_loss_dataset() -> Dataset {
    Dataset {
        name: "sales".to_string(),
        source: DatasetSource::NumpyRand {
            seed: 1,
            rows: 128,
            features: 2,
            label: LabelRule::SumPlusNoise { divisor: 10.0, offset: 0.05 },
        },
    }
}
