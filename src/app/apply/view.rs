//! Selection and run setup: the graph tab shown, the selected nodes, focus from the log, copy,
//! and the fetches, targets and feeds of the next run. Nothing here is undoable or recorded.

use crate::app::state::AppState;

impl AppState {
    /// Shows a graph's tab (the selection and run setup are per graph).
    pub(crate) fn set_active_graph(&mut self, g: usize) {
        if g < self.doc.project.graphs.len() && g != self.view.active_graph {
            self.view.active_graph = g;
            self.view.selection.clear();
            self.view.fetches.clear();
            self.view.targets.clear();
        }
    }

    /// Selects every node of the active graph.
    pub(crate) fn select_all(&mut self) {
        self.view.selection =
            self.active_def().map(|g| g.nodes.iter().map(|n| n.name.clone()).collect()).unwrap_or_default();
    }

    /// Selects a node and brings it into view (log click-through).
    pub(crate) fn focus(&mut self, graph: usize, node: String) {
        if graph < self.doc.project.graphs.len() {
            if graph != self.view.active_graph {
                self.set_active_graph(graph);
            }
            self.view.selection = vec![node.clone()];
            self.view.focus = Some(node);
        }
    }

    /// Copies the selected nodes.
    pub(crate) fn copy(&mut self) {
        if let Some(gd) = self.active_def() {
            self.clipboard = gd.nodes.iter().filter(|n| self.view.selection.contains(&n.name)).cloned().collect();
        }
    }

    /// Adds or removes a tensor from the fetches.
    pub(crate) fn toggle_fetch(&mut self, t: String) {
        if let Some(i) = self.view.fetches.iter().position(|f| *f == t) {
            self.view.fetches.remove(i);
        } else {
            self.view.fetches.push(t);
        }
    }

    /// Adds or removes an op from the targets.
    pub(crate) fn toggle_target(&mut self, t: String) {
        if let Some(i) = self.view.targets.iter().position(|f| *f == t) {
            self.view.targets.remove(i);
        } else {
            self.view.targets.push(t);
        }
    }

    /// Clears fetches, targets and feeds.
    pub(crate) fn clear_run(&mut self) {
        self.view.fetches.clear();
        self.view.targets.clear();
        self.view.feeds.clear();
    }
}
