//! A train loop's TensorBoard log (`flowbench run --logdir DIR`, and the window's train panel
//! with a log folder): one event file per loop with the graph, the full-data loss at each
//! evaluation (`loss`), the batch losses (`batch_loss`), a decaying learning rate
//! (`learning_rate`), each tensor the printed line evaluates (an accuracy, tagged by its node's
//! name: `Mean_1`) and, at each evaluation step, a histogram of every trained variable (tagged
//! by its name).

use crate::engine::error::Result;
use crate::engine::graph::Graph;
use crate::engine::graph::op::Op;
use crate::formats::events::EventWriter;
use crate::train::worker::Progress;
use std::path::Path;

/// An open event file for one train loop.
#[derive(Debug)]
pub struct TrainEvents {
    writer: EventWriter,
    /// The variables to histogram: those an optimizer updates (all variables when none does).
    pub watch: Vec<String>,
}

/// The variables a graph's optimizers update (their apply ops' first input), or every variable
/// when there is no optimizer.
pub fn trained_variables(graph: &Graph) -> Vec<String> {
    let is_apply = |op: &Op| {
        matches!(op, Op::ApplyGradientDescent | Op::ApplyMomentum { .. } | Op::ApplyAdam { .. } | Op::ApplyRMSProp)
    };
    let mut names: Vec<String> = Vec::new();
    for n in graph.nodes().iter().filter(|n| is_apply(&n.op)) {
        if let Some(v) = n.inputs.first().and_then(|o| graph.node(o.node))
            && !names.contains(&v.name)
        {
            names.push(v.name.clone());
        }
    }
    if names.is_empty() {
        names = graph.nodes().iter().filter(|n| matches!(n.op, Op::Variable { .. })).map(|n| n.name.clone()).collect();
    }
    names
}

/// The learning rate of the optimizer a train op runs, when it is a tensor (a decaying schedule)
/// rather than a constant.
pub fn decaying_learning_rate(
    graph: &Graph,
    train_targets: &[crate::engine::graph::NodeId],
) -> Option<crate::engine::graph::Output> {
    use crate::engine::autodiff::optimizers::{ancestors, find_minimized, learning_rate_tensor};
    let upstream = ancestors(graph, train_targets);
    find_minimized(graph).iter().filter(|m| upstream.contains(&m.train_op)).find_map(|m| learning_rate_tensor(graph, m))
}

impl TrainEvents {
    /// A new event file in `dir` holding `graph`.
    pub fn create(dir: &Path, graph: &Graph) -> Result<TrainEvents> {
        let mut writer = EventWriter::create(dir)?;
        writer.add_graph(&crate::formats::graph::graph_def(graph).graph_def)?;
        Ok(TrainEvents { writer, watch: trained_variables(graph) })
    }

    /// The event file.
    pub fn path(&self) -> &Path {
        self.writer.path()
    }

    /// Writes what one progress report carries.
    pub fn progress(&mut self, p: &Progress) -> Result<()> {
        for &(step, loss) in &p.batch_losses {
            self.writer.add_summary(step as i64, &[("batch_loss", loss)], &[])?;
        }
        for &(step, loss) in &p.evals {
            let lr = p.learning_rates.iter().find(|(s, _)| *s == step).map(|&(_, v)| v);
            let mut scalars: Vec<(&str, f64)> = vec![("loss", loss)];
            scalars.extend(lr.map(|v| ("learning_rate", v)));
            for (s, name, v) in &p.metrics {
                if *s == step {
                    scalars.push((name.strip_suffix(":0").unwrap_or(name), *v));
                }
            }
            self.writer.add_summary(step as i64, &scalars, &[])?;
        }
        // Values not at an evaluation step (the line printed after the loop).
        for (s, name, v) in p.metrics.iter().filter(|(s, ..)| !p.evals.iter().any(|(e, _)| e == s)) {
            self.writer.add_summary(*s as i64, &[(name.strip_suffix(":0").unwrap_or(name), *v)], &[])?;
        }
        for (step, values) in &p.weight_history {
            let hists: Vec<(&str, Vec<f64>)> =
                values.iter().map(|(n, v)| (n.strip_suffix(":0").unwrap_or(n), v.to_f64_vec())).collect();
            self.writer.add_summary(*step as i64, &[], &hists)?;
        }
        Ok(())
    }
}

/// A [`TrainEvents`] written on its own thread, for the window: each progress report goes over a
/// channel, so the UI thread never waits on the disk. The first write error ends the writing and
/// is reported by [`BackgroundEvents::failure`] (once) and by [`BackgroundEvents::finish`].
#[derive(Debug)]
pub struct BackgroundEvents {
    reports: Option<std::sync::mpsc::Sender<Progress>>,
    failed: std::sync::mpsc::Receiver<String>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundEvents {
    /// Starts writing to `events` on a thread of its own.
    pub fn spawn(mut events: TrainEvents) -> BackgroundEvents {
        let (reports, incoming) = std::sync::mpsc::channel::<Progress>();
        let (fail, failed) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new().name("flowbench-tensorboard".into()).spawn(move || {
            for p in incoming {
                if let Err(e) = events.progress(&p) {
                    let _ = fail.send(e.to_string());
                    return;
                }
            }
        });
        match thread {
            Ok(t) => BackgroundEvents { reports: Some(reports), failed, thread: Some(t) },
            Err(e) => {
                let (fail, failed) = std::sync::mpsc::channel();
                let _ = fail.send(format!("could not start the event writer: {e}"));
                BackgroundEvents { reports: None, failed, thread: None }
            }
        }
    }

    /// Queues what one progress report carries for the event file (the parts it writes).
    pub fn send(&self, p: &Progress) {
        if let Some(tx) = &self.reports {
            let part = Progress {
                batch_losses: p.batch_losses.clone(),
                evals: p.evals.clone(),
                learning_rates: p.learning_rates.clone(),
                metrics: p.metrics.clone(),
                weight_history: p.weight_history.clone(),
                ..Progress::default()
            };
            let _ = tx.send(part);
        }
    }

    /// The write error, if writing failed since the last call (never blocks).
    pub fn failure(&self) -> Option<String> {
        self.failed.try_recv().ok()
    }

    /// Writes what is still queued and closes the file (waits for the writer thread: the last
    /// reports of a run); the write error, if any.
    pub fn finish(mut self) -> std::result::Result<(), String> {
        self.reports = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.failed.try_recv().map_or(Ok(()), Err)
    }
}

impl Drop for BackgroundEvents {
    fn drop(&mut self) {
        // Closing the channel ends the thread once it has written the queue; not waited for.
        self.reports = None;
    }
}
