//! Training end to end: the seed's 3.4.5 program through the CLI (which uses the worker), and the
//! worker's commands, throttling, NaN and panic handling.

use flowbench::engine::autodiff::optimizers::{Optimizer, minimize};
use flowbench::engine::graph::Graph;
use flowbench::engine::graph::elementwise::{BinaryOp, ReduceOp, UnaryOp};
use flowbench::engine::runtime::session::{ConfigProto, Session};
use flowbench::engine::{DType, Shape};
use flowbench::train::data::dataset::{Dataset, DatasetSource, LabelRule};
use flowbench::train::worker::{Command, Event, Faults, JobExtras, StartError, TrainJob};
use flowbench::train::{Batching, ColumnFeed, EvalSpec, TrainSpec};
use std::path::Path;
use std::process::Command as Process;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn golden() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/3_4_5_training.out")).unwrap()
}

#[test]
fn seed_training_program_prints_tf_log() {
    let out = Process::new(env!("CARGO_BIN_EXE_flowbench"))
        .arg("run")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/3_4_5_training.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The initial weights and every logged cross entropy are exactly TF's; the trained weights
    // to the last digits (see `assert_trained_output`).
    crate::common::assert_trained_output(&String::from_utf8_lossy(&out.stdout), &golden(), 10);
}

/// The seed's network with a squared error on its logits, for worker tests.
fn seed_job(lr: f64, steps: u64, eval_every: u64) -> (TrainSpec, Session) {
    seed_job_with(Optimizer::adam(lr), steps, eval_every)
}

fn seed_job_with(opt: Optimizer, steps: u64, eval_every: u64) -> (TrainSpec, Session) {
    let mut g = Graph::new();
    let r1 = g.random_normal(&[2, 3], 0.0, 1.0, Some(1), DType::Float32, None).unwrap();
    let w1 = g.variable(r1, None).unwrap();
    let r2 = g.random_normal(&[3, 1], 0.0, 1.0, Some(1), DType::Float32, None).unwrap();
    let w2 = g.variable(r2, None).unwrap();
    let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(2)]), Some("x-input")).unwrap();
    let y_ = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(1)]), Some("y-input")).unwrap();
    let a = g.matmul(x, w1, None).unwrap();
    let logits = g.matmul(a, w2, None).unwrap();
    let d = g.binary(BinaryOp::Sub, logits, y_, None).unwrap();
    let sq = g.unary(UnaryOp::Square, d, None).unwrap();
    let loss = g.reduce(ReduceOp::Mean, sq, None, false, None).unwrap();
    let train = minimize(&mut g, &opt, loss, None).unwrap().train_op;
    let init = g.global_variables_initializer().unwrap();
    let mut s = Session::new(&g, ConfigProto::default());
    s.run(&g, &[], &[], &[init]).unwrap();
    let table = Dataset {
        name: "seed".into(),
        source: DatasetSource::NumpyRand {
            seed: 1,
            rows: 128,
            features: 2,
            label: LabelRule::SumLessThan { threshold: 1.0 },
        },
    }
    .materialize()
    .unwrap();
    let spec = TrainSpec {
        graph: g,
        train_targets: vec![train],
        step_fetches: vec![],
        batch_loss: Some(loss),
        feeds: vec![ColumnFeed { tensor: x, columns: vec![0, 1] }, ColumnFeed { tensor: y_, columns: vec![2] }],
        data: flowbench::train::TrainData::Table(Arc::new(table)),
        batch_size: 8,
        batching: Batching::Cyclic,
        steps,
        eval: Some(EvalSpec {
            every: eval_every,
            loss,
            format: Some("%d %g".into()),
            args: Vec::new(),
            before_step: false,
            end: None,
        }),
        watch: vec![w1, w2],
    };
    (spec, s)
}

/// Drains events until the job ends; returns (last step seen, logs, progress events, final event).
fn drain(job: &TrainJob) -> (u64, Vec<String>, usize, Event) {
    let mut logs = Vec::new();
    let mut n = 0;
    let mut step = 0;
    loop {
        match job.events().recv_timeout(Duration::from_secs(60)).expect("the worker reports") {
            Event::Progress(p) => {
                n += 1;
                step = p.step;
                logs.extend(p.logs);
            }
            end => return (step, logs, n, end),
        }
    }
}

#[test]
fn runs_to_the_end_and_gives_the_session_back() {
    let (spec, s) = seed_job(0.001, 2000, 500);
    let job = TrainJob::spawn(spec, s, false).map_err(|e| e.error).unwrap();
    let (_, logs, _, end) = drain(&job);
    assert!(matches!(end, Event::Finished { steps: 2000, stopped: false, .. }), "{end:?}");
    assert_eq!(logs.len(), 4);
    assert!(logs[0].starts_with("0 "));
    let s = job.join().unwrap();
    assert!(!s.is_closed());
    assert_eq!(s.failure(), None);
}

#[test]
fn pause_step_resume_and_stop() {
    let (spec, s) = seed_job(0.001, 1_000_000_000, 1000);
    let job = TrainJob::spawn(spec, s, true).map_err(|e| e.error).unwrap();
    // Paused at start: a Step(5) runs exactly five steps.
    assert!(job.send(Command::Step(5)));
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut step = 0;
    while Instant::now() < deadline && step < 5 {
        if let Ok(Event::Progress(p)) = job.events().recv_timeout(Duration::from_millis(100)) {
            step = p.step;
        }
    }
    assert_eq!(step, 5);
    std::thread::sleep(Duration::from_millis(50));
    while let Ok(Event::Progress(p)) = job.events().try_recv() {
        assert_eq!(p.step, 5, "a paused job does not advance");
    }
    job.send(Command::Resume);
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    job.send(Command::Stop);
    let (last, _, _, end) = drain(&job);
    assert!(t.elapsed() < Duration::from_millis(500), "stop took {:?}", t.elapsed());
    assert!(last > 5);
    assert!(matches!(end, Event::Finished { stopped: true, .. }), "{end:?}");
    assert!(job.join().is_some());
}

/// A paced run (the window's default) is paused and handed its steps with `Step`; the budget
/// that reaches the last step ends the job instead of leaving it paused at the end.
#[test]
fn a_stepped_job_finishes_at_its_last_step() {
    let (spec, s) = seed_job(0.001, 300, 100);
    let job = TrainJob::spawn(spec, s, true).map_err(|e| e.error).unwrap();
    assert!(job.send(Command::Step(300)));
    let (last, logs, _, end) = drain(&job);
    assert!(matches!(end, Event::Finished { steps: 300, stopped: false, .. }), "{end:?}");
    assert_eq!(last, 300);
    assert_eq!(logs.len(), 3, "{logs:?}");
    assert!(job.join().is_some());
}

#[test]
fn a_fast_job_does_not_flood_a_slow_reader() {
    let (spec, s) = seed_job(0.001, 300_000, 1_000_000);
    let started = Instant::now();
    let job = TrainJob::spawn(spec, s, false).map_err(|e| e.error).unwrap();
    let mut events = 0usize;
    let mut max_losses = 0usize;
    loop {
        // A UI drains about 60 times a second.
        std::thread::sleep(Duration::from_millis(16));
        let mut done = false;
        while let Ok(ev) = job.events().try_recv() {
            events += 1;
            match ev {
                Event::Progress(p) => max_losses = max_losses.max(p.batch_losses.len()),
                _ => done = true,
            }
        }
        if done || started.elapsed() > Duration::from_secs(120) {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    // About one update per 16 ms at most, whatever the step rate, and bounded batches.
    assert!((events as f64) < secs / 0.016 * 2.0 + 20.0, "{events} events in {secs} s");
    assert!(max_losses <= flowbench::train::worker::MAX_PENDING_LOSSES);
    assert!(job.join().is_some());
}

#[test]
fn nan_loss_fails_with_the_step_and_a_panic_is_a_failed_job() {
    let (spec, s) = seed_job_with(Optimizer::GradientDescent { learning_rate: 1e6 }, 100_000, 1_000_000);
    let job = TrainJob::spawn(spec, s, false).map_err(|e| e.error).unwrap();
    let (_, _, _, end) = drain(&job);
    match end {
        Event::Failed { step, error } => {
            assert!(error.message.contains(&format!("at step {step}")), "{}", error.message);
            assert!(error.message.contains("NaN") || error.message.contains("inf"), "{}", error.message);
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    let s = job.join().unwrap();
    assert!(s.failure().is_some());

    let (spec, s) = seed_job(0.001, 1000, 100);
    let faults = Faults { panic_at_step: Some(7), ..Faults::default() };
    let job = TrainJob::spawn_with_faults(spec, JobExtras::default(), s, false, faults).map_err(|e| e.error).unwrap();
    let (_, _, _, end) = drain(&job);
    match end {
        Event::Failed { step, error } => {
            assert_eq!(step, 7);
            assert!(error.message.contains("panicked"), "{}", error.message);
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    let s = job.join().expect("the session comes back after a panic");
    assert!(s.failure().unwrap().contains("panic"));
}

#[test]
fn bad_specs_are_refused_before_a_thread_starts() {
    let (mut spec, s) = seed_job(0.001, 10, 1);
    spec.batch_size = 0;
    let StartError { error: e, session: s } = *TrainJob::spawn(spec, s, false).err().unwrap();
    assert!(e.message.contains("batch_size"));
    let (mut spec, _) = seed_job(0.001, 10, 1);
    spec.feeds[0].columns = vec![0];
    let StartError { error: e, .. } = *TrainJob::spawn(spec, s, false).err().unwrap();
    assert!(e.message.contains("takes 2 features per row"), "{}", e.message);
}

#[test]
fn a_thread_that_cannot_start_gives_the_session_back() {
    // The session trained a few steps first, so an empty replacement would be told apart.
    let (spec, s) = seed_job(0.001, 10, 1);
    let (again, graph) = (spec.clone(), spec.graph.clone());
    let job = TrainJob::spawn(spec, s, false).map_err(|e| e.error).unwrap();
    let _ = drain(&job);
    let mut trained = job.join().unwrap();
    let w1 = |s: &mut Session, g: &Graph| s.run(g, &[g.tensor("Variable:0").unwrap()], &[], &[]).unwrap().values;
    let before = w1(&mut trained, &graph);
    let faults = Faults { refuse_thread: true, ..Faults::default() };
    let StartError { error, session: mut back } =
        *TrainJob::spawn_with_faults(again, JobExtras::default(), trained, false, faults).err().unwrap();
    assert!(error.message.contains("could not start the training thread"), "{}", error.message);
    assert_eq!(w1(&mut back, &graph), before, "the same session, with its trained values, comes back");
}

/// A decaying learning rate (4.4.1's `exponential_decay`) asked for in the extras is reported at
/// each evaluation: 0.1 * 0.96 ** (i + 1) after step i (the step has been incremented by then).
#[test]
fn a_decaying_learning_rate_is_reported_for_its_plot() {
    use flowbench::engine::autodiff::optimizers::{find_minimized, learning_rate_tensor};
    let (p, _) = flowbench::train::book::learning_rate_decay().unwrap();
    let m = find_minimized(&p.graph);
    let lr = learning_rate_tensor(&p.graph, &m[0]).unwrap();
    assert_eq!(p.graph.tensor_name(lr), "ExponentialDecay:0");
    let mut s = Session::new(&p.graph, ConfigProto::default());
    s.run(&p.graph, &[], &[], &[p.init]).unwrap();
    let spec = TrainSpec {
        graph: p.graph.clone(),
        train_targets: vec![p.train],
        step_fetches: vec![],
        batch_loss: None,
        feeds: vec![],
        data: flowbench::train::TrainData::Table(Arc::new(flowbench::train::data::table::Table {
            columns: vec![],
            data: vec![],
            rows: 1,
        })),
        batch_size: 1,
        batching: Batching::Cyclic,
        steps: 30,
        eval: Some(EvalSpec { every: 10, loss: lr, format: None, args: Vec::new(), before_step: false, end: None }),
        watch: vec![],
    };
    let extras = JobExtras { learning_rate: Some(lr), ..JobExtras::default() };
    let job = TrainJob::spawn_with(spec, extras, s, false).map_err(|e| e.error).unwrap();
    let mut rates = Vec::new();
    while let Ok(ev) = job.events().recv() {
        match ev {
            Event::Progress(p) => rates.extend(p.learning_rates),
            Event::Finished { .. } => break,
            other => panic!("{other:?}"),
        }
    }
    job.join().unwrap();
    let steps: Vec<u64> = rates.iter().map(|r| r.0).collect();
    assert_eq!(steps, vec![0, 10, 20]);
    assert_eq!(rates[0].1 as f32, 0.096);
    assert!(rates[2].1 < rates[1].1 && rates[1].1 < rates[0].1);
}

/// A job's batches, converted once and swapped in per step where the cyclic batches tile the table
/// and are big (256 rows, batch 64 of 64 features: `SWAP_MIN_ELEMENTS`), or copied out of the
/// packed rows where they are small (the labels) or do not tile it (batch 48), feed the same rows
/// as a hand-made loop of runs: the batch losses are bit-identical, with the features in the
/// table's order or not.
#[test]
fn a_jobs_converted_batches_feed_the_rows_a_manual_loop_feeds() {
    use flowbench::engine::runtime::feed::Feed;
    use flowbench::engine::value::Value;
    use flowbench::train::data::table::Table;
    let (features, rows) = (64usize, 256usize);
    assert!(64 * features >= flowbench::train::worker::SWAP_MIN_ELEMENTS);
    let width = features + 1;
    let data: Vec<f64> = (0..rows * width).map(|k| ((k * 7919) % 1013) as f64 / 1013.0 - 0.4).collect();
    let mut columns: Vec<String> = (0..features).map(|i| format!("p{i}")).collect();
    columns.push("y".into());
    let table = Arc::new(Table { columns, data, rows });
    let build = || {
        let mut g = Graph::new();
        let r = g.random_normal(&[features, 1], 0.0, 0.1, Some(3), DType::Float32, None).unwrap();
        let w = g.variable(r, None).unwrap();
        let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(features)]), Some("x")).unwrap();
        let y_ = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(1)]), Some("y")).unwrap();
        let y = g.matmul(x, w, None).unwrap();
        let d = g.binary(BinaryOp::Sub, y, y_, None).unwrap();
        let sq = g.unary(UnaryOp::Square, d, None).unwrap();
        let loss = g.reduce(ReduceOp::Mean, sq, None, false, None).unwrap();
        let train = minimize(&mut g, &Optimizer::adam(0.01), loss, None).unwrap().train_op;
        let init = g.global_variables_initializer().unwrap();
        let mut s = Session::new(&g, ConfigProto::default());
        s.run(&g, &[], &[], &[init]).unwrap();
        (g, s, x, y_, loss, train)
    };
    let reversed: Vec<usize> = (0..features).rev().collect();
    for (batch, x_cols) in [(64usize, (0..features).collect::<Vec<_>>()), (64, reversed), (48, (0..features).collect())]
    {
        let steps = 20u64;
        let (g, s, x, y_, loss, train) = build();
        let spec = TrainSpec {
            graph: g,
            train_targets: vec![train],
            step_fetches: vec![],
            batch_loss: Some(loss),
            feeds: vec![
                ColumnFeed { tensor: x, columns: x_cols.clone() },
                ColumnFeed { tensor: y_, columns: vec![features] },
            ],
            data: flowbench::train::TrainData::Table(Arc::clone(&table)),
            batch_size: batch,
            batching: Batching::Cyclic,
            steps,
            eval: None,
            watch: vec![],
        };
        let job = TrainJob::spawn(spec.clone(), s, false).map_err(|e| e.error).unwrap();
        let mut losses = Vec::new();
        loop {
            match job.events().recv_timeout(Duration::from_secs(60)).expect("the worker reports") {
                Event::Progress(p) => losses.extend(p.batch_losses),
                Event::Finished { .. } => break,
                other => panic!("{other:?}"),
            }
        }
        job.join();
        // The same graph and initial weights, run by hand.
        let (g, mut manual, ..) = build();
        let (plan, _) = manual.prepare(&g, &[loss], &[x, y_], &[train]).unwrap();
        let cut = |rows: std::ops::Range<usize>, cols: &[usize]| -> Value {
            let mut v = Vec::new();
            for r in rows.clone() {
                v.extend(cols.iter().map(|&c| table.data[r * width + c] as f32));
            }
            Value::F32(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[rows.len(), cols.len()]), v).unwrap())
        };
        let mut expected = Vec::new();
        for i in 0..steps {
            let rows = spec.batch_rows(i);
            let feeds = [
                Feed { tensor: x, value: cut(rows.clone(), &x_cols) },
                Feed { tensor: y_, value: cut(rows, &[features]) },
            ];
            manual.run_prepared(&g, plan, &feeds).unwrap();
            expected.push((i, manual.fetched(plan, 0, &feeds).and_then(Value::first_f64).unwrap()));
        }
        let bits = |v: &[(u64, f64)]| v.iter().map(|(i, l)| (*i, l.to_bits())).collect::<Vec<_>>();
        assert_eq!(bits(&losses), bits(&expected), "batch {batch}, columns {x_cols:?}");
    }
}
