//! Undo and redo: [`History`] keeps snapshots of the part of the project that edits change
//! (graphs, default graph, configs, datasets). The script is a record of what sessions did and
//! is not undone; so that the project stays loadable, a snapshot restored never drops a dataset
//! or a config that the script names (a train loop's generated dataset, a session's config).

use crate::project::script::Step;
use crate::project::{GraphDef, NamedConfig, Project};
use crate::train::data::dataset::Dataset;
use std::collections::HashSet;

/// How many edits can be undone.
pub const MAX_UNDO: usize = 200;

/// The part of the project that undo and redo restore.
#[derive(Clone, Debug, PartialEq)]
struct EditState {
    graphs: Vec<GraphDef>,
    default_graph: String,
    configs: Vec<NamedConfig>,
    datasets: Vec<Dataset>,
}

impl EditState {
    fn of(p: &Project) -> EditState {
        EditState {
            graphs: p.graphs.clone(),
            default_graph: p.default_graph.clone(),
            configs: p.configs.clone(),
            datasets: p.datasets.clone(),
        }
    }

    /// Puts the snapshot back into `p`, keeping the datasets and configs `p`'s script names
    /// that the snapshot lacks.
    fn restore(mut self, p: &mut Project) {
        let (datasets, configs) = named_by_script(&p.script);
        for d in &p.datasets {
            if datasets.contains(&d.name) && !self.datasets.iter().any(|x| x.name == d.name) {
                self.datasets.push(d.clone());
            }
        }
        for c in &p.configs {
            if configs.contains(&c.name) && !self.configs.iter().any(|x| x.name == c.name) {
                self.configs.push(c.clone());
            }
        }
        p.graphs = self.graphs;
        p.default_graph = self.default_graph;
        p.configs = self.configs;
        p.datasets = self.datasets;
    }
}

/// The dataset names and config names that steps refer to.
fn named_by_script(steps: &[Step]) -> (HashSet<String>, HashSet<String>) {
    fn visit(s: &Step, datasets: &mut HashSet<String>, configs: &mut HashSet<String>) {
        match s {
            Step::TrainLoop { dataset, .. } => {
                datasets.insert(dataset.clone());
            }
            Step::OpenSession { config: Some(c), .. } => {
                configs.insert(c.clone());
            }
            Step::Try { body } => visit(body, datasets, configs),
            _ => {}
        }
    }
    let (mut datasets, mut configs) = (HashSet::new(), HashSet::new());
    for s in steps {
        visit(s, &mut datasets, &mut configs);
    }
    (datasets, configs)
}

/// Undo and redo stacks of project snapshots.
#[derive(Clone, Debug, Default)]
pub struct History {
    undo: Vec<EditState>,
    redo: Vec<EditState>,
}

impl History {
    /// True when there is an edit to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// True when there is an edit to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Records `p` as it is before an edit (and forgets what could be redone).
    pub fn record(&mut self, p: &Project) {
        self.undo.push(EditState::of(p));
        if self.undo.len() > MAX_UNDO {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    /// Reverts `p` to the last recorded state; false when there is none.
    pub fn undo(&mut self, p: &mut Project) -> bool {
        let Some(prev) = self.undo.pop() else { return false };
        self.redo.push(EditState::of(p));
        prev.restore(p);
        true
    }

    /// Re-applies the last undone edit to `p`; false when there is none.
    pub fn redo(&mut self, p: &mut Project) -> bool {
        let Some(next) = self.redo.pop() else { return false };
        self.undo.push(EditState::of(p));
        next.restore(p);
        true
    }
}
