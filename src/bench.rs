//! `flowbench bench`: training-speed benchmarks on three workloads, run through the same worker
//! the CLI and the window use, printing steps per second (and, for the seed program, a ratio to
//! TF's measured 1,381 steps/s on these machines).
//!
//! - (a) the seed program: 5000 Adam steps of the 2-3-1 net, batch 8, eval every 1000;
//! - (b) a 2-8-8-1 tanh net on a 500-point 2-D spiral, batch 10, GradientDescent(0.03), sigmoid
//!   cross-entropy, 10000 steps;
//! - (c) an MLP 784-512-10 (relu, softmax cross-entropy, Adam 0.001) on random data, batch 256,
//!   200 steps.

use crate::engine::autodiff::optimizers::{Optimizer, minimize};
use crate::engine::error::{Error, Result};
use crate::engine::graph::elementwise::{BinaryOp, ReduceOp, UnaryOp};
use crate::engine::graph::op::Op;
use crate::engine::graph::{Graph, NodeSpec, Output};
use crate::engine::kernels::random::RandomState;
use crate::engine::runtime::session::{ConfigProto, Session};
use crate::engine::{DType, Shape};
use crate::train::data::table::Table;
use crate::train::worker::{Event, TrainJob};
use crate::train::{Batching, ColumnFeed, EvalSpec, TrainData, TrainSpec};
use std::sync::Arc;
use std::time::Instant;

/// TF 2.21 (`compat.v1` sessions, CPU) on these 2-core machines, in steps per second.
pub const TF_STEPS_PER_SEC: [(&str, f64); 3] = [("a", 1381.0), ("b", 2172.0), ("c", 61.8)];

/// One benchmark's result.
#[derive(Clone, Debug)]
pub struct BenchResult {
    /// Workload id (`a`, `b`, `c`).
    pub id: &'static str,
    /// What it is.
    pub what: &'static str,
    /// Steps run.
    pub steps: u64,
    /// Wall time.
    pub elapsed_secs: f64,
}

impl BenchResult {
    /// Steps per second.
    pub fn steps_per_sec(&self) -> f64 {
        self.steps as f64 / self.elapsed_secs.max(1e-12)
    }
}

fn dense(g: &mut Graph, x: Output, fan_in: usize, fan_out: usize, seed: i64, scope: &str) -> Result<Output> {
    g.push_name_scope(scope);
    let r = (|| {
        let w0 = g.truncated_normal(
            &[fan_in, fan_out],
            0.0,
            (1.0 / fan_in as f64).sqrt(),
            Some(seed),
            DType::Float32,
            None,
        )?;
        let w = g.variable(w0, Some("weights"))?;
        let b0 = g.fill(DType::Float32, &[fan_out], 0.0, Some("zeros"))?;
        let b = g.variable(b0, Some("biases"))?;
        let m = g.matmul(x, w, None)?;
        g.binary(BinaryOp::Add, m, b, None)
    })();
    g.pop_name_scope();
    r
}

fn run_job(spec: TrainSpec, session: Session) -> Result<f64> {
    let steps = spec.steps;
    let t = Instant::now();
    let job = TrainJob::spawn(spec, session, false).map_err(|e| e.error)?;
    loop {
        match job.events().recv() {
            Ok(Event::Progress(_)) => {}
            Ok(Event::Finished { steps: done, .. }) => {
                if done != steps {
                    return Err(Error::internal(format!("ran {done} of {steps} steps")));
                }
                break;
            }
            Ok(Event::Failed { error, .. }) => return Err(error),
            Err(_) => return Err(Error::internal("the worker went away")),
        }
    }
    let secs = t.elapsed().as_secs_f64();
    job.join();
    Ok(secs)
}

fn init(g: &mut Graph, config: ConfigProto) -> Result<Session> {
    let init = g.global_variables_initializer()?;
    let mut s = Session::new(g, config);
    s.run(g, &[], &[], &[init])?;
    Ok(s)
}

/// (a) The seed program.
pub fn seed_program(config: ConfigProto) -> Result<BenchResult> {
    let seed = crate::train::seed::build(&Optimizer::adam(0.001))?;
    let (x, y_, y, loss, train) = (seed.x, seed.y_, seed.y, seed.loss, seed.train);
    let mut g = seed.graph;
    let s = init(&mut g, config)?;
    let table = crate::train::seed::dataset().materialize().map_err(Error::value_error)?;
    let spec = TrainSpec {
        graph: g,
        train_targets: vec![train],
        step_fetches: vec![y, y_],
        batch_loss: None,
        feeds: vec![ColumnFeed { tensor: x, columns: vec![0, 1] }, ColumnFeed { tensor: y_, columns: vec![2] }],
        data: TrainData::Table(Arc::new(table)),
        batch_size: 8,
        batching: Batching::Cyclic,
        steps: 5000,
        eval: Some(EvalSpec { every: 1000, loss, format: None, args: Vec::new() }),
        watch: vec![],
    };
    let secs = run_job(spec, s)?;
    Ok(BenchResult { id: "a", what: "seed program: 2-3-1, Adam, batch 8, 5000 steps", steps: 5000, elapsed_secs: secs })
}

/// A two-arm spiral of `n` points with a little noise (labels 0 and 1).
fn spiral(n: usize, seed: u32) -> Table {
    let mut rs = RandomState::new(seed);
    let mut data = Vec::with_capacity(n * 3);
    for i in 0..n {
        let label = (i % 2) as f64;
        let k = (i / 2) as f64 / (n / 2).max(1) as f64;
        let r = 5.0 * k;
        let t = 1.75 * k * 2.0 * std::f64::consts::PI + label * std::f64::consts::PI;
        let nx = (rs.random_sample() - 0.5) * 0.2;
        let ny = (rs.random_sample() - 0.5) * 0.2;
        data.extend_from_slice(&[r * t.sin() + nx, r * t.cos() + ny, label]);
    }
    Table { columns: vec!["x1".into(), "x2".into(), "y".into()], data, rows: n }
}

/// (b) 2-8-8-1 tanh net on a spiral with GradientDescent.
pub fn spiral_net(config: ConfigProto) -> Result<BenchResult> {
    let mut g = Graph::new();
    let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(2)]), Some("x"))?;
    let y_ = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(1)]), Some("y"))?;
    let h1 = dense(&mut g, x, 2, 8, 1, "layer1")?;
    let h1 = g.unary(UnaryOp::Tanh, h1, None)?;
    let h2 = dense(&mut g, h1, 8, 8, 2, "layer2")?;
    let h2 = g.unary(UnaryOp::Tanh, h2, None)?;
    let logits = dense(&mut g, h2, 8, 1, 3, "output")?;
    let xent = g.add(None, NodeSpec::new(Op::SigmoidCrossEntropyWithLogits, vec![y_, logits]))?.out();
    let loss = g.reduce(ReduceOp::Mean, xent, None, false, None)?;
    let train = minimize(&mut g, &Optimizer::GradientDescent { learning_rate: 0.03 }, loss, None)?.train_op;
    let s = init(&mut g, config)?;
    let spec = TrainSpec {
        graph: g,
        train_targets: vec![train],
        step_fetches: vec![],
        batch_loss: None,
        feeds: vec![ColumnFeed { tensor: x, columns: vec![0, 1] }, ColumnFeed { tensor: y_, columns: vec![2] }],
        data: TrainData::Table(Arc::new(spiral(500, 7))),
        batch_size: 10,
        batching: Batching::Cyclic,
        steps: 10_000,
        eval: None,
        watch: vec![],
    };
    let secs = run_job(spec, s)?;
    Ok(BenchResult {
        id: "b",
        what: "2-8-8-1 tanh on a spiral, GD, batch 10, 10000 steps",
        steps: 10_000,
        elapsed_secs: secs,
    })
}

/// (c) MLP 784-512-10 with relu and softmax cross-entropy, Adam, batch 256.
pub fn mlp(config: ConfigProto) -> Result<BenchResult> {
    let (rows, classes, features) = (2048usize, 10usize, 784usize);
    let mut rs = RandomState::new(3);
    let mut data = Vec::with_capacity(rows * (features + classes));
    for _ in 0..rows {
        for _ in 0..features {
            data.push(rs.random_sample());
        }
        let c = (rs.random_sample() * classes as f64) as usize;
        for k in 0..classes {
            data.push(if k == c { 1.0 } else { 0.0 });
        }
    }
    let mut columns: Vec<String> = (0..features).map(|i| format!("p{i}")).collect();
    columns.extend((0..classes).map(|k| format!("c{k}")));
    let table = Table { columns, data, rows };
    let mut g = Graph::new();
    let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(features)]), Some("x"))?;
    let y_ = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(classes)]), Some("y"))?;
    let h = dense(&mut g, x, features, 512, 1, "hidden")?;
    let h = g.unary(UnaryOp::Relu, h, None)?;
    let logits = dense(&mut g, h, 512, classes, 2, "softmax_linear")?;
    let xent = g.add(Some("xentropy"), NodeSpec::new(Op::SoftmaxCrossEntropyWithLogits, vec![y_, logits]))?.out();
    let loss = g.reduce(ReduceOp::Mean, xent, None, false, None)?;
    let train = minimize(&mut g, &Optimizer::adam(0.001), loss, None)?.train_op;
    let s = init(&mut g, config)?;
    let spec = TrainSpec {
        graph: g,
        train_targets: vec![train],
        step_fetches: vec![],
        batch_loss: None,
        feeds: vec![
            ColumnFeed { tensor: x, columns: (0..features).collect() },
            ColumnFeed { tensor: y_, columns: (features..features + classes).collect() },
        ],
        data: TrainData::Table(Arc::new(table)),
        batch_size: 256,
        batching: Batching::Cyclic,
        steps: 200,
        eval: None,
        watch: vec![],
    };
    let secs = run_job(spec, s)?;
    Ok(BenchResult {
        id: "c",
        what: "MLP 784-512-10, relu, softmax xent, Adam, batch 256, 200 steps",
        steps: 200,
        elapsed_secs: secs,
    })
}

/// Runs the chosen workloads (`a`, `b`, `c`; all when empty) and prints a table.
pub fn run(which: &[String], out: &mut dyn std::io::Write) -> Result<Vec<BenchResult>> {
    let all = which.is_empty();
    let want = |id: &str| all || which.iter().any(|w| w == id);
    let mut results = Vec::new();
    let cfg = ConfigProto::default();
    // Small workloads: warm up once (thread pool, page faults), then keep the best of three.
    let best_of_three = |f: fn(ConfigProto) -> Result<BenchResult>| -> Result<BenchResult> {
        f(cfg.clone())?;
        let runs = (0..3).map(|_| f(cfg.clone())).collect::<Result<Vec<_>>>()?;
        runs.into_iter()
            .min_by(|a, b| a.elapsed_secs.total_cmp(&b.elapsed_secs))
            .ok_or_else(|| Error::internal("no run"))
    };
    if want("a") {
        results.push(best_of_three(seed_program)?);
    }
    if want("b") {
        results.push(best_of_three(spiral_net)?);
    }
    if want("c") {
        results.push(mlp(cfg)?);
    }
    for r in &results {
        let tf = TF_STEPS_PER_SEC.iter().find(|(id, _)| *id == r.id).map_or(f64::NAN, |(_, s)| *s);
        let _ = writeln!(
            out,
            "({}) {:<66} {:>12.1} steps/s   {:>7.1}x TF ({} steps/s)",
            r.id,
            r.what,
            r.steps_per_sec(),
            r.steps_per_sec() / tf,
            tf
        );
    }
    Ok(results)
}
