//! Graph collections, as far as a program needs them: the named lists behind
//! `tf.add_to_collection(name, value)` and `tf.get_collection(name)` (in insertion order),
//! `tf.GraphKeys`' names, and which variables are not trainable (`tf.Variable(...,
//! trainable=False)`). `Graph` keeps one [`Collections`] and offers the Python API over it
//! (`add_to_collection`, `get_collection`, `set_trainable`, `trainable_variables`). They live with
//! the graph while it is built; the project file stores the graph they helped build (an `AddN`
//! over a collection's losses), not the collections.

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

/// The collections of one graph, by node index and output index.
#[derive(Clone, Debug, Default)]
pub struct Collections {
    named: Vec<(String, Vec<(usize, usize)>)>,
    non_trainable: Vec<usize>,
}

impl Collections {
    /// Appends output `index` of node `node` to the collection `name`.
    pub fn add(&mut self, name: &str, node: usize, index: usize) {
        match self.named.iter_mut().find(|(n, _)| n == name) {
            Some((_, list)) => list.push((node, index)),
            None => self.named.push((name.to_string(), vec![(node, index)])),
        }
    }

    /// The collection `name`, in insertion order (empty if there is none).
    pub fn get(&self, name: &str) -> &[(usize, usize)] {
        self.named.iter().find(|(n, _)| n == name).map_or(&[], |(_, l)| l.as_slice())
    }

    /// Marks a variable node trainable or not.
    pub fn set_trainable(&mut self, node: usize, trainable: bool) {
        self.non_trainable.retain(|&v| v != node);
        if !trainable {
            self.non_trainable.push(node);
        }
    }

    /// False for a variable made with `trainable=False`.
    pub fn is_trainable(&self, node: usize) -> bool {
        !self.non_trainable.contains(&node)
    }

    /// Follows the graph's renumbering after nodes were removed (`remap[old] = new`).
    pub fn remap(&mut self, remap: &[Option<usize>]) {
        let map = |id: usize| remap.get(id).copied().flatten();
        for (_, list) in &mut self.named {
            *list = list.iter().filter_map(|&(n, i)| Some((map(n)?, i))).collect();
        }
        self.non_trainable = self.non_trainable.iter().filter_map(|&v| map(v)).collect();
    }
}
