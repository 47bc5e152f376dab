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

/// Chapter 4.4.2: a 2-10-10-10-1 elu network whose weights' L2 terms
/// (`0.003 * tf.nn.l2_loss(w)`) go into the `losses` collection with the mean squared error; the
/// total loss is `tf.add_n(tf.get_collection("losses"))`, minimised with Adam(0.001). Returns the
/// program and the mean squared error; the last layer's weight is `Variable_6`.
pub fn l2_regularization() -> Result<(BookProgram, Output)> {
    let mut g = Graph::new();
    let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(2)]), None)?;
    let y_ = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(1)]), None)?;
    let dims = [2usize, 10, 10, 10, 1];
    let mut cur = x;
    for (i, pair) in dims.windows(2).enumerate() {
        let (inp, out) = (pair[0], pair[1]);
        // get_weight: the variable, and its L2 term added to the collection.
        let r = g.random_normal(&[inp, out], 0.0, 1.0, Some(i as i64 + 1), DType::Float32, None)?;
        let w = g.variable(r, None)?;
        let l2 = g.add(None, NodeSpec::new(Op::L2Loss, vec![w]))?.out();
        let lambda = g.constant(Value::scalar_f32(0.003), Some("mul/x"))?;
        let term = g.binary(BinaryOp::Mul, lambda, l2, None)?;
        g.add_to_collection("losses", term);
        let c = g.constant(Value::filled(DType::Float32, &[out], 0.1), Some("Const"))?;
        let b = g.variable(c, None)?;
        let m = g.matmul(cur, w, None)?;
        let a = g.binary(BinaryOp::Add, m, b, None)?;
        cur = g.unary(crate::engine::graph::elementwise::UnaryOp::Elu, a, None)?;
    }
    let d = g.binary(BinaryOp::Sub, y_, cur, None)?;
    let sq = g.unary(crate::engine::graph::elementwise::UnaryOp::Square, d, None)?;
    let mse = g.reduce(ReduceOp::Mean, sq, None, false, None)?;
    g.add_to_collection("losses", mse);
    let losses = g.get_collection("losses");
    let loss = g.add(None, NodeSpec::new(Op::AddN { n: losses.len() }, losses))?.out();
    let train = minimize(&mut g, &Optimizer::adam(0.001), loss, None)?.train_op;
    let init = g.global_variables_initializer()?;
    Ok((BookProgram { graph: g, train, loss, init }, mse))
}

/// Chapter 4.4.2's data: `X = RandomState(1).rand(128, 2)`, `Y = int(x1 ** 2 + x2 ** 2 < 0.5)`.
pub fn l2_regularization_dataset() -> Dataset {
    Dataset {
        name: "disc".to_string(),
        source: DatasetSource::NumpyRand {
            seed: 1,
            rows: 128,
            features: 2,
            label: LabelRule::SquaresLessThan { threshold: 0.5 },
        },
    }
}

/// Chapter 4.4.3: `v1 = tf.Variable(0, dtype=tf.float32)`, `step = tf.Variable(0,
/// trainable=False)`, `ema = tf.train.ExponentialMovingAverage(0.99, step)` and
/// `maintain_averages_op = ema.apply([v1])`. Returns the program (its `train` is the update op,
/// its `loss` the average `ema.average(v1)`), `v1` and `step`.
pub fn moving_average() -> Result<(BookProgram, Output, Output)> {
    use crate::engine::autodiff::moving_average::ExponentialMovingAverage;
    let mut g = Graph::new();
    let zero = g.constant(Value::scalar_f32(0.0), Some("Variable/initial_value"))?;
    let v1 = g.variable(zero, None)?;
    let izero = g.constant(Value::filled(DType::Int32, &[], 0.0), Some("Variable_1/initial_value"))?;
    let step = g.variable(izero, None)?;
    g.set_trainable(step, false);
    let ema = ExponentialMovingAverage::new(0.99, Some(step));
    let train = ema.apply(&mut g, &[v1])?;
    let avg = ema.average(&g, v1).ok_or_else(|| crate::engine::error::Error::internal("no average"))?;
    let init = g.global_variables_initializer()?;
    Ok((BookProgram { graph: g, train, loss: avg, init }, v1, step))
}

/// Chapter 4.4.1: minimise `y = x ** 2` from `x = 5` with GradientDescent, the learning rate
/// `tf.train.exponential_decay(0.1, global_step, 1, 0.96, staircase=True)` and
/// `minimize(y, global_step=global_step)`. Returns the program (its `loss` is the learning
/// rate), `x`.
pub fn learning_rate_decay() -> Result<(BookProgram, Output)> {
    use crate::engine::autodiff::decay::ExponentialDecay;
    use crate::engine::autodiff::optimizers::{MinimizeOptions, minimize_with};
    let mut g = Graph::new();
    let zero = g.constant(Value::filled(DType::Int32, &[], 0.0), Some("Variable/initial_value"))?;
    let global_step = g.variable(zero, None)?;
    let decay = ExponentialDecay {
        learning_rate: 0.1,
        decay_steps: 1.0,
        integer_steps: true,
        decay_rate: 0.96,
        staircase: true,
    };
    let lr = decay.build(&mut g, global_step)?;
    let five = g.constant(Value::scalar_f32(5.0), Some("Const"))?;
    let x = g.variable(five, Some("x"))?;
    let y = g.unary(crate::engine::graph::elementwise::UnaryOp::Square, x, None)?;
    let options = MinimizeOptions { learning_rate: Some(lr), global_step: Some(global_step) };
    let opt = Optimizer::GradientDescent { learning_rate: 0.1 };
    let train = minimize_with(&mut g, &opt, y, None, &options)?.train_op;
    let init = g.global_variables_initializer()?;
    Ok((BookProgram { graph: g, train, loss: lr, init }, x))
}
