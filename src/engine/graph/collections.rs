//! Graph collections, as far as a program needs them: `tf.add_to_collection(name, value)`,
//! `tf.get_collection(name)` (in insertion order), `tf.GraphKeys`' names, and which variables
//! are trainable (`tf.Variable(..., trainable=False)`, `tf.trainable_variables()`). They live
//! with the graph while it is built; the project file stores the graph they helped build (an
//! `AddN` over a collection's losses), not the collections.

use crate::engine::graph::{Graph, NodeId, Output};

/// `tf.GraphKeys`: the standard collection names.
pub struct GraphKeys;

impl GraphKeys {
    /// Every variable (`tf.global_variables()`).
    pub const GLOBAL_VARIABLES: &'static str = "variables";
    /// The variables `minimize` trains by default (`tf.trainable_variables()`).
    pub const TRAINABLE_VARIABLES: &'static str = "trainable_variables";
    /// The variables an `ExponentialMovingAverage` averages (`tf.moving_average_variables()`).
    pub const MOVING_AVERAGE_VARIABLES: &'static str = "moving_average_variables";
    /// Losses (`tf.losses.get_losses()`).
    pub const LOSSES: &'static str = "losses";
}

/// The collections of one graph.
#[derive(Clone, Debug, Default)]
pub struct Collections {
    named: Vec<(String, Vec<Output>)>,
    non_trainable: Vec<NodeId>,
}

impl Collections {
    /// Follows the graph's renumbering after nodes were removed (`remap[old] = new`).
    pub(crate) fn remap(&mut self, remap: &[Option<NodeId>]) {
        let map = |id: NodeId| remap.get(id.0).copied().flatten();
        for (_, list) in &mut self.named {
            *list = list.iter().filter_map(|t| Some(Output { node: map(t.node)?, index: t.index })).collect();
        }
        self.non_trainable = self.non_trainable.iter().filter_map(|&v| map(v)).collect();
    }
}

impl Graph {
    /// `tf.add_to_collection(name, value)`.
    pub fn add_to_collection(&mut self, name: &str, value: Output) {
        let c = &mut self.collections;
        match c.named.iter_mut().find(|(n, _)| n == name) {
            Some((_, list)) => list.push(value),
            None => c.named.push((name.to_string(), vec![value])),
        }
    }

    /// `tf.get_collection(name)`: the values added under `name`, in order. `GLOBAL_VARIABLES` and
    /// `TRAINABLE_VARIABLES` list the graph's variables (in creation order), then anything added.
    pub fn get_collection(&self, name: &str) -> Vec<Output> {
        let mut out: Vec<Output> = match name {
            GraphKeys::GLOBAL_VARIABLES => self.variables().iter().map(|(v, _)| v.out()).collect(),
            GraphKeys::TRAINABLE_VARIABLES => self.trainable_variables(),
            _ => Vec::new(),
        };
        if let Some((_, list)) = self.collections.named.iter().find(|(n, _)| n == name) {
            out.extend(list.iter().copied());
        }
        out
    }

    /// `trainable=False` for a variable (or back to trainable).
    pub fn set_trainable(&mut self, var: Output, trainable: bool) {
        let list = &mut self.collections.non_trainable;
        list.retain(|&v| v != var.node);
        if !trainable {
            list.push(var.node);
        }
    }

    /// `tf.trainable_variables()`: the variables not made with `trainable=False`.
    pub fn trainable_variables(&self) -> Vec<Output> {
        self.variables()
            .iter()
            .filter(|(v, _)| !self.collections.non_trainable.contains(v))
            .map(|(v, _)| v.out())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Value;

    #[test]
    fn collections_keep_order_and_follow_removals() {
        let mut g = Graph::new();
        let a = g.constant(Value::scalar_f32(1.0), Some("a")).unwrap();
        let b = g.constant(Value::scalar_f32(2.0), Some("b")).unwrap();
        g.add_to_collection(GraphKeys::LOSSES, b);
        g.add_to_collection(GraphKeys::LOSSES, a);
        assert_eq!(g.get_collection("losses"), vec![b, a]);
        let v = g.variable(a, Some("v")).unwrap();
        let step = g.variable(b, Some("step")).unwrap();
        g.set_trainable(step, false);
        assert_eq!(g.trainable_variables(), vec![v]);
        assert_eq!(g.get_collection(GraphKeys::GLOBAL_VARIABLES).len(), 2);
        g.remove(&["b".to_string()]);
        let a = g.tensor("a:0").unwrap();
        assert_eq!(g.get_collection("losses"), vec![a]);
    }
}
