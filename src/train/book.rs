//! The tutorial's chapter-4 programs (`4_2_2_custom_loss`, `4_4_1_learning_rate_decay`,
//! `4_4_2_l2_regularization`, `4_4_3_moving_average`) and chapter 5's MNIST program (`5_2_1_mnist`) built through the engine's Python-like API,
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

/// Chapter 5.2.1's MNIST program: the average model's accuracy and the MNIST program's graph.
pub struct MnistProgram {
    /// The graph; its `train` is the `train` no-op (the step, then the moving averages), its
    /// `loss` the cross-entropy mean plus the L2 terms.
    pub program: BookProgram,
    /// `accuracy`: the mean of `equal(argmax(average_y, 1), argmax(y_, 1))` as float32.
    pub accuracy: Output,
}

/// Chapter 5.2.1: a `input`-500-10 relu net (`input` = 64 for the bundled digits, 784 for real
/// MNIST) with weights from `truncated_normal(stddev=0.1)` under the graph seed `seed`, biases
/// 0.1, a moving-average model (`ExponentialMovingAverage(0.99, global_step)` over
/// `tf.trainable_variables()`), the loss `reduce_mean(sparse_softmax_cross_entropy_with_logits(y,
/// argmax(y_, 1))) + 0.0001 * (l2_loss(w1) + l2_loss(w2))` minimised by GradientDescent at
/// `exponential_decay(0.8, global_step, train_examples / 100, 0.99, staircase=True)`, and
/// `train = no_op` after the step and the averages.
pub fn mnist(input: usize, train_examples: usize, seed: i64) -> Result<MnistProgram> {
    use crate::engine::autodiff::decay::ExponentialDecay;
    use crate::engine::autodiff::moving_average::ExponentialMovingAverage;
    use crate::engine::autodiff::optimizers::{MinimizeOptions, minimize_with};
    use crate::engine::graph::elementwise::UnaryOp;
    const LAYER1: usize = 500;
    const OUTPUT: usize = 10;
    let mut g = Graph::new();
    g.seed = Some(seed);
    let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(input)]), Some("x-input"))?;
    let y_ = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(OUTPUT)]), Some("y-input"))?;
    let t1 = g.truncated_normal(&[input, LAYER1], 0.0, 0.1, None, DType::Float32, None)?;
    let w1 = g.variable(t1, None)?;
    let c1 = g.fill(DType::Float32, &[LAYER1], 0.1, Some("Const"))?;
    let b1 = g.variable(c1, None)?;
    let t2 = g.truncated_normal(&[LAYER1, OUTPUT], 0.0, 0.1, None, DType::Float32, None)?;
    let w2 = g.variable(t2, None)?;
    let c2 = g.fill(DType::Float32, &[OUTPUT], 0.1, Some("Const_1"))?;
    let b2 = g.variable(c2, None)?;
    let inference = |g: &mut Graph, w1: Output, b1: Output, w2: Output, b2: Output| -> Result<Output> {
        let m1 = g.matmul(x, w1, None)?;
        let a1 = g.binary(BinaryOp::Add, m1, b1, None)?;
        let h = g.unary(UnaryOp::Relu, a1, None)?;
        let m2 = g.matmul(h, w2, None)?;
        g.binary(BinaryOp::Add, m2, b2, None)
    };
    let y = inference(&mut g, w1, b1, w2, b2)?;
    let izero = g.constant(Value::filled(DType::Int32, &[], 0.0), Some("Variable_4/initial_value"))?;
    let global_step = g.variable(izero, None)?;
    g.set_trainable(global_step, false);
    let ema = ExponentialMovingAverage::new(0.99, Some(global_step));
    let trainable = g.trainable_variables();
    let averages_op = ema.apply(&mut g, &trainable)?;
    let avg = |g: &Graph, v: Output| {
        ema.average(g, v).ok_or_else(|| crate::engine::error::Error::internal("no moving average"))
    };
    let (aw1, ab1, aw2, ab2) = (avg(&g, w1)?, avg(&g, b1)?, avg(&g, w2)?, avg(&g, b2)?);
    let average_y = inference(&mut g, aw1, ab1, aw2, ab2)?;
    let argmax = Op::ArgMax { axis: 1, output_type: DType::Int64 };
    let labels = g.add(None, NodeSpec::new(argmax.clone(), vec![y_]))?.out();
    let xent = g.add(None, NodeSpec::new(Op::SparseSoftmaxCrossEntropyWithLogits, vec![y, labels]))?.out();
    let xent_mean = g.reduce(ReduceOp::Mean, xent, None, false, None)?;
    let mut terms = Vec::with_capacity(2);
    for (w, k) in [(w1, ""), (w2, "_1")] {
        let rate = g.constant(Value::scalar_f32(0.0001), Some(&format!("mul{k}/x")))?;
        let l2 = g.add(None, NodeSpec::new(Op::L2Loss, vec![w]))?.out();
        terms.push(g.binary(BinaryOp::Mul, rate, l2, None)?);
    }
    let regularization = g.binary(BinaryOp::Add, terms[0], terms[1], None)?;
    let loss = g.binary(BinaryOp::Add, xent_mean, regularization, None)?;
    let decay = ExponentialDecay {
        learning_rate: 0.8,
        decay_steps: train_examples as f64 / 100.0,
        integer_steps: false,
        decay_rate: 0.99,
        staircase: true,
    };
    let lr = decay.build(&mut g, global_step)?;
    let options = MinimizeOptions { learning_rate: Some(lr), global_step: Some(global_step) };
    let opt = Optimizer::GradientDescent { learning_rate: 0.8 };
    let step = minimize_with(&mut g, &opt, loss, None, &options)?.train_op;
    let train = g.group(&[step, averages_op], Some("train"))?;
    let predicted = g.add(None, NodeSpec::new(argmax.clone(), vec![average_y]))?.out();
    let truth = g.add(None, NodeSpec::new(argmax, vec![y_]))?.out();
    let correct = g.binary(BinaryOp::Equal, predicted, truth, None)?;
    let correct = g.add(None, NodeSpec::new(Op::Cast { to: DType::Float32 }, vec![correct]))?.out();
    let accuracy = g.reduce(ReduceOp::Mean, correct, None, false, None)?;
    let init = g.global_variables_initializer()?;
    Ok(MnistProgram { program: BookProgram { graph: g, train, loss, init }, accuracy })
}

/// Chapter 5.2.1's data: `input_data.read_data_sets("digits", one_hot=True,
/// validation_size=200)` on the bundled digits (`assets/examples/digits`, beside the example):
/// 1,297 training and 200 validation examples from the training files, 300 test examples.
pub fn mnist_dataset() -> Dataset {
    Dataset {
        name: "mnist".to_string(),
        source: DatasetSource::Idx { dir: "digits".to_string(), one_hot: true, validation_size: 200, files: None },
    }
}
