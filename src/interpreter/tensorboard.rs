//! A train loop's TensorBoard log (`flowbench run --logdir DIR`): one event file per loop with
//! the graph, the full-data loss at each evaluation (`loss`), the batch losses (`batch_loss`)
//! and, at each evaluation step, a histogram of every trained variable (tagged by its name).

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
            self.writer.add_summary(step as i64, &[("loss", loss)], &[])?;
        }
        for (step, values) in &p.weight_history {
            let hists: Vec<(&str, Vec<f64>)> =
                values.iter().map(|(n, v)| (n.strip_suffix(":0").unwrap_or(n), v.to_f64_vec())).collect();
            self.writer.add_summary(*step as i64, &[], &hists)?;
        }
        Ok(())
    }
}
