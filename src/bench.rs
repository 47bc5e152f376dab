//! `flowbench bench`: training speed on four workloads, run through the same worker the CLI and
//! the window use, in steps per second, and — with `--tf PYTHON` — the same workloads in real
//! TensorFlow in the same run (`tools/bench_tf.py`, compiled in), interleaved round by round, with
//! the ratio and its spread. No TF figure is typed in anywhere: a ratio is only printed when TF
//! ran beside flowbench.
//!
//! - (a) the seed program: 5000 Adam steps of the 2-3-1 net, batch 8, loss on all data every 1000;
//! - (b) a 2-8-8-1 tanh net on a 500-point 2-D spiral, batch 10, GradientDescent(0.03), sigmoid
//!   cross-entropy, 10000 steps;
//! - (c) an MLP 784-512-10 (relu, softmax cross-entropy, Adam 0.001) on random data, batch 256,
//!   200 steps;
//! - (d) the tutorial's MNIST program (chapter 5.2.1, `train::book::mnist`) whole: 784-500-10
//!   relu, sparse softmax cross-entropy on `argmax(y_, 1)`, L2 regularisation of the weights,
//!   GradientDescent at an exponentially decayed rate, moving averages of the variables, batch
//!   100, random data of MNIST's shape, 300 steps.
//!
//! Each side runs every workload once with a tenth of its steps first (warm-up, not counted),
//! then `rounds` times; within a round the two sides alternate which goes first. A figure is the
//! median over rounds, with the min–max; a ratio is flowbench's steps/s over TF's in the same
//! round, summarised the same way.

use crate::engine::autodiff::optimizers::{Optimizer, minimize};
use crate::engine::error::{Error, Result};
use crate::engine::graph::elementwise::{BinaryOp, ReduceOp, UnaryOp};
use crate::engine::graph::op::Op;
use crate::engine::graph::{Graph, NodeId, NodeSpec, Output};
use crate::engine::kernels::random::RandomState;
use crate::engine::runtime::session::{ConfigProto, Session};
use crate::engine::{DType, Shape};
use crate::train::data::table::Table;
use crate::train::worker::{Event, TrainJob};
use crate::train::{Batching, ColumnFeed, EvalSpec, TrainData, TrainSpec};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The TF side's source (`tools/bench_tf.py`), run with `PYTHON -c`.
pub const TF_SCRIPT: &str = include_str!("../tools/bench_tf.py");

/// One workload of the benchmark.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// Its id (`a` .. `d`; `d+` is TF's alone).
    pub id: &'static str,
    /// What it is.
    pub what: &'static str,
    /// Steps per timed run.
    pub steps: u64,
    /// flowbench's run (seconds for `steps` steps); `None` where only TF runs it.
    pub flowbench: Option<fn(ConfigProto, u64) -> Result<f64>>,
}

/// The workloads, in order.
pub const WORKLOADS: [Workload; 4] = [
    Workload { id: "a", what: "seed program: 2-3-1, Adam, batch 8", steps: 5000, flowbench: Some(seed_program) },
    Workload { id: "b", what: "2-8-8-1 tanh spiral, GD, batch 10", steps: 10_000, flowbench: Some(spiral_net) },
    Workload { id: "c", what: "MLP 784-512-10 relu, Adam, batch 256", steps: 200, flowbench: Some(mlp) },
    Workload {
        id: "d",
        what: "MNIST program 784-500-10: decay, L2, sparse xent, EMA, batch 100",
        steps: 300,
        flowbench: Some(mnist),
    },
];

/// How `flowbench bench` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    #[default]
    Text,
    /// One row per workload, for tracking.
    Csv,
    /// One JSON array of objects, for tracking.
    Json,
}

/// What `flowbench bench` runs.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Workload ids; all when empty.
    pub workloads: Vec<String>,
    /// A Python with TensorFlow: run TF beside flowbench.
    pub tf_python: Option<PathBuf>,
    /// Timed rounds (at least 1).
    pub rounds: usize,
    /// Output format.
    pub format: Format,
}

/// Median, min and max of a series of speeds or ratios.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// The median (mean of the middle two for an even count).
    pub median: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `xs` (`None` when empty).
    pub fn of(xs: &[f64]) -> Option<Spread> {
        if xs.is_empty() {
            return None;
        }
        let mut v = xs.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
        Some(Spread { median, min: v[0], max: v[n - 1] })
    }
}

/// One workload's result over all rounds.
#[derive(Clone, Debug)]
pub struct BenchResult {
    /// The workload.
    pub workload: Workload,
    /// flowbench's steps/s per round.
    pub flowbench: Vec<f64>,
    /// TF's steps/s per round (empty without `--tf`).
    pub tf: Vec<f64>,
}

impl BenchResult {
    /// flowbench's steps/s over TF's, round by round.
    pub fn ratios(&self) -> Vec<f64> {
        self.flowbench.iter().zip(&self.tf).map(|(f, t)| f / t).collect()
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
pub fn seed_program(config: ConfigProto, steps: u64) -> Result<f64> {
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
        steps,
        eval: Some(EvalSpec { every: 1000, loss, format: None, args: Vec::new(), before_step: false, end: None }),
        watch: vec![],
    };
    run_job(spec, s)
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
pub fn spiral_net(config: ConfigProto, steps: u64) -> Result<f64> {
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
        steps,
        eval: None,
        watch: vec![],
    };
    run_job(spec, s)
}

/// `rows` rows of `features` uniform values (numpy's `RandomState(seed).random_sample`) and a
/// one-hot label over `classes` drawn from one more value, as `tools/bench_tf.py` makes them.
fn random_table(rows: usize, features: usize, classes: usize, seed: u32) -> Table {
    let mut rs = RandomState::new(seed);
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
    Table { columns, data, rows }
}

/// A train spec feeding `x` from the first `features` columns and `y_` from the rest.
fn classifier_spec(
    g: Graph,
    train: NodeId,
    (x, y_): (Output, Output),
    table: Table,
    batch: usize,
    steps: u64,
) -> TrainSpec {
    let features = table.columns.iter().take_while(|c| c.starts_with('p')).count();
    let width = table.columns.len();
    TrainSpec {
        graph: g,
        train_targets: vec![train],
        step_fetches: vec![],
        batch_loss: None,
        feeds: vec![
            ColumnFeed { tensor: x, columns: (0..features).collect() },
            ColumnFeed { tensor: y_, columns: (features..width).collect() },
        ],
        data: TrainData::Table(Arc::new(table)),
        batch_size: batch,
        batching: Batching::Cyclic,
        steps,
        eval: None,
        watch: vec![],
    }
}

/// (c) MLP 784-512-10 with relu and softmax cross-entropy, Adam, batch 256.
pub fn mlp(config: ConfigProto, steps: u64) -> Result<f64> {
    let (classes, features) = (10usize, 784usize);
    let table = random_table(2048, features, classes, 3);
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
    run_job(classifier_spec(g, train, (x, y_), table, 256, steps), s)
}

/// (d) The tutorial's MNIST program whole (`train::book::mnist` with 784 inputs): its `train`
/// op (the decayed GradientDescent step with L2 terms, then the moving averages), batch 100, on
/// 10000 random rows.
pub fn mnist(config: ConfigProto, steps: u64) -> Result<f64> {
    let (classes, features, rows) = (10usize, 784usize, 10_000usize);
    let table = random_table(rows, features, classes, 5);
    let program = crate::train::book::mnist(features, rows, 1)?.program;
    let g = program.graph;
    let input = |g: &Graph, name: &str| {
        g.find(name).map(NodeId::out).ok_or_else(|| Error::internal(format!("MNIST program without {name}")))
    };
    let (x, y_) = (input(&g, "x-input")?, input(&g, "y-input")?);
    let mut s = Session::new(&g, config);
    s.run(&g, &[], &[], &[program.init])?;
    run_job(classifier_spec(g, program.train, (x, y_), table, 100, steps), s)
}

/// The TF side: `PYTHON -c tools/bench_tf.py`, one request a line.
struct TfProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<String>>,
}

fn tf_error(msg: impl std::fmt::Display, stderr: &Mutex<String>) -> Error {
    let log = stderr.lock().map(|s| s.clone()).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    if tail.is_empty() {
        Error::internal(format!("TF benchmark: {msg}"))
    } else {
        Error::internal(format!("TF benchmark: {msg}\n{}", tail.join("\n")))
    }
}

impl TfProcess {
    fn start(python: &std::path::Path) -> Result<TfProcess> {
        let mut child = Command::new(python)
            .arg("-c")
            .arg(TF_SCRIPT)
            .env("TF_CPP_MIN_LOG_LEVEL", "3")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::internal(format!("TF benchmark: cannot run {}: {e}", python.display())))?;
        let (Some(stdin), Some(stdout), Some(mut err)) = (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(Error::internal("TF benchmark: no pipes to the Python process"));
        };
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut buf);
            if let Ok(mut s) = sink.lock() {
                *s = buf;
            }
        });
        let mut tf = TfProcess { child, stdin, stdout: BufReader::new(stdout), stderr };
        let hello = tf.reply()?;
        if hello.get("ready").and_then(|r| r.as_bool()) != Some(true) {
            return Err(tf_error(format!("unexpected first line {hello}"), &tf.stderr));
        }
        Ok(tf)
    }

    fn reply(&mut self) -> Result<serde_json::Value> {
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).map_err(|e| tf_error(e, &self.stderr))?;
        if n == 0 {
            let _ = self.child.wait();
            // Let the stderr reader finish so its tail can be shown.
            std::thread::sleep(std::time::Duration::from_millis(100));
            return Err(tf_error("the Python process ended (is TensorFlow installed there?)", &self.stderr));
        }
        let v: serde_json::Value = serde_json::from_str(line.trim())
            .map_err(|e| tf_error(format!("bad reply {line:?}: {e}"), &self.stderr))?;
        if let Some(e) = v.get("error") {
            return Err(tf_error(e, &self.stderr));
        }
        Ok(v)
    }

    /// Runs workload `id` for `steps` steps in TF; its seconds.
    fn run(&mut self, id: &str, steps: u64) -> Result<f64> {
        writeln!(self.stdin, "{id} {steps}").map_err(|e| tf_error(e, &self.stderr))?;
        self.stdin.flush().map_err(|e| tf_error(e, &self.stderr))?;
        let v = self.reply()?;
        v.get("secs").and_then(|s| s.as_f64()).ok_or_else(|| tf_error(format!("no time in {v}"), &self.stderr))
    }
}

impl Drop for TfProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the benchmark and prints it on `out`.
pub fn run(opts: &BenchOptions, out: &mut dyn Write) -> Result<Vec<BenchResult>> {
    for w in &opts.workloads {
        if !WORKLOADS.iter().any(|k| k.id == w) {
            let ids: Vec<&str> = WORKLOADS.iter().map(|k| k.id).collect();
            return Err(Error::invalid_argument(format!("unknown workload '{w}' (one of {})", ids.join(", "))));
        }
    }
    if opts.tf_python.is_none()
        && let Some(w) = WORKLOADS.iter().find(|w| w.flowbench.is_none() && opts.workloads.iter().any(|x| x == w.id))
    {
        return Err(Error::invalid_argument(format!("workload '{}' runs in TF only: give --tf PYTHON", w.id)));
    }
    let chosen: Vec<Workload> = WORKLOADS
        .iter()
        .filter(|w| opts.workloads.is_empty() || opts.workloads.iter().any(|x| x == w.id))
        .filter(|w| w.flowbench.is_some() || opts.tf_python.is_some())
        .copied()
        .collect();
    let mut tf = opts.tf_python.as_deref().map(TfProcess::start).transpose()?;
    let cfg = ConfigProto::default();
    let mut results: Vec<BenchResult> =
        chosen.iter().map(|&w| BenchResult { workload: w, flowbench: vec![], tf: vec![] }).collect();
    let rounds = opts.rounds.max(1);
    // Round 0 is the warm-up (a tenth of the steps; thread pools, page faults, TF's graph).
    for round in 0..=rounds {
        for r in &mut results {
            let w = r.workload;
            let steps = if round == 0 { (w.steps / 10).max(1) } else { w.steps };
            let fb = |r: &mut BenchResult| -> Result<()> {
                if let Some(f) = w.flowbench {
                    let secs = f(cfg.clone(), steps)?;
                    if round > 0 {
                        r.flowbench.push(steps as f64 / secs.max(1e-12));
                    }
                }
                Ok(())
            };
            let mut tfr = |r: &mut BenchResult| -> Result<()> {
                if let Some(tf) = tf.as_mut() {
                    let secs = tf.run(w.id, steps)?;
                    if round > 0 {
                        r.tf.push(steps as f64 / secs.max(1e-12));
                    }
                }
                Ok(())
            };
            if round % 2 == 1 {
                fb(r)?;
                tfr(r)?;
            } else {
                tfr(r)?;
                fb(r)?;
            }
        }
    }
    print_results(&results, rounds, opts.format, out).map_err(|e| Error::internal(format!("writing: {e}")))?;
    Ok(results)
}

fn spread_cells(xs: &[f64], prec: usize) -> Option<(String, String, String)> {
    Spread::of(xs).map(|s| (format!("{:.prec$}", s.median), format!("{:.prec$}", s.min), format!("{:.prec$}", s.max)))
}

fn print_results(results: &[BenchResult], rounds: usize, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    let with_tf = results.iter().any(|r| !r.tf.is_empty());
    match format {
        Format::Text => {
            let fmt = |xs: &[f64], p: usize| {
                spread_cells(xs, p).map_or_else(|| "—".to_string(), |(m, lo, hi)| format!("{m} ({lo}–{hi})"))
            };
            writeln!(
                out,
                "{:<4} {:<62} {:>36}{}",
                "",
                "workload",
                "flowbench steps/s, median (min–max)",
                if with_tf {
                    format!("  {:>30}  {:>26}", "TF steps/s, same run", "ratio (min–max)")
                } else {
                    String::new()
                }
            )?;
            for r in results {
                let w = r.workload;
                let what = format!("{} ×{}", w.what, w.steps);
                let mut line = format!("({}) {:<62} {:>36}", w.id, what, fmt(&r.flowbench, 1));
                if with_tf {
                    let ratio = fmt(&r.ratios(), 2);
                    let ratio = if ratio == "—" { ratio } else { format!("{ratio}×") };
                    line.push_str(&format!("  {:>30}  {:>26}", fmt(&r.tf, 1), ratio));
                }
                writeln!(out, "{}", line.trim_end())?;
            }
            if with_tf {
                writeln!(out, "{rounds} interleaved round(s) after a warm-up; ratio = flowbench / TF within a round")?;
            } else {
                writeln!(out, "{rounds} round(s) after a warm-up; `--tf PYTHON` runs TF beside it for ratios")?;
            }
        }
        Format::Csv => {
            writeln!(
                out,
                "id,workload,steps,rounds,flowbench_median,flowbench_min,flowbench_max,tf_median,tf_min,tf_max,ratio_median,ratio_min,ratio_max"
            )?;
            for r in results {
                let w = r.workload;
                let cells = |xs: &[f64], p: usize| {
                    spread_cells(xs, p).map_or_else(|| ",,".to_string(), |(m, lo, hi)| format!("{m},{lo},{hi}"))
                };
                writeln!(
                    out,
                    "{},\"{}\",{},{},{},{},{}",
                    w.id,
                    w.what,
                    w.steps,
                    rounds,
                    cells(&r.flowbench, 1),
                    cells(&r.tf, 1),
                    cells(&r.ratios(), 3)
                )?;
            }
        }
        Format::Json => {
            let spread = |xs: &[f64]| {
                Spread::of(xs).map_or(
                    serde_json::Value::Null,
                    |s| serde_json::json!({ "median": s.median, "min": s.min, "max": s.max, "rounds": xs }),
                )
            };
            let rows: Vec<serde_json::Value> = results
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.workload.id,
                        "workload": r.workload.what,
                        "steps": r.workload.steps,
                        "flowbench_steps_per_sec": spread(&r.flowbench),
                        "tf_steps_per_sec": spread(&r.tf),
                        "ratio": spread(&r.ratios()),
                    })
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&rows).unwrap_or_default())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_median_min_max() {
        assert_eq!(Spread::of(&[3.0, 1.0, 2.0]), Some(Spread { median: 2.0, min: 1.0, max: 3.0 }));
        assert_eq!(Spread::of(&[4.0, 1.0]), Some(Spread { median: 2.5, min: 1.0, max: 4.0 }));
        assert_eq!(Spread::of(&[]), None);
    }

    #[test]
    fn no_tf_figure_is_typed_in() {
        // Ratios come only from TF runs in the same process run.
        let r = BenchResult { workload: WORKLOADS[0], flowbench: vec![10.0], tf: vec![] };
        assert!(r.ratios().is_empty());
        let mut out = Vec::new();
        print_results(&[r], 1, Format::Text, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("TF steps/s") && !text.contains("×TF") && !text.contains("ratio ("), "{text}");
    }

    #[test]
    fn csv_and_json_without_tf_leave_tf_and_ratio_empty() {
        let r = BenchResult { workload: WORKLOADS[3], flowbench: vec![10.0, 30.0, 20.0], tf: vec![] };
        let mut out = Vec::new();
        print_results(std::slice::from_ref(&r), 3, Format::Csv, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0].split(',').count(), 13, "{text}");
        // The workload's name holds commas: quoted, so the row still has 13 fields.
        assert!(lines[1].starts_with("d,\"MNIST program"), "{text}");
        assert!(lines[1].ends_with(",300,3,20.0,10.0,30.0,,,,,,"), "{text}");
        let mut out = Vec::new();
        print_results(&[r], 3, Format::Json, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let row = &v[0];
        assert_eq!(row["id"], "d");
        assert_eq!(row["flowbench_steps_per_sec"]["median"], 20.0);
        assert_eq!(row["flowbench_steps_per_sec"]["rounds"], serde_json::json!([10.0, 30.0, 20.0]));
        assert!(row["tf_steps_per_sec"].is_null() && row["ratio"].is_null(), "{row}");
    }

    #[test]
    fn csv_and_json_with_tf_carry_the_ratio() {
        let r = BenchResult { workload: WORKLOADS[0], flowbench: vec![100.0, 300.0], tf: vec![1.0, 2.0] };
        let mut out = Vec::new();
        print_results(std::slice::from_ref(&r), 2, Format::Csv, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.lines().nth(1).unwrap().ends_with(",200.0,100.0,300.0,1.5,1.0,2.0,125.000,100.000,150.000"),
            "{text}"
        );
        let mut out = Vec::new();
        print_results(&[r], 2, Format::Json, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["ratio"]["median"], 125.0);
        assert_eq!(v[0]["tf_steps_per_sec"]["min"], 1.0);
    }

    #[test]
    fn tf_script_knows_every_workload() {
        for w in WORKLOADS {
            assert!(TF_SCRIPT.contains(&format!("\"{}\":", w.id)), "tools/bench_tf.py lacks workload {}", w.id);
        }
    }
}
