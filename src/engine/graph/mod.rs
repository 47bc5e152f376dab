//! `tf.Graph`: nodes, TF's unique naming (`add`, `add_1`, `layer1/MatMul`), name, device and
//! variable scopes, construction-time validation (a refused node leaves the graph unchanged) and
//! the builder functions the seed's programs use (`constant`, `placeholder`, `Variable`,
//! `get_variable`, `global_variables_initializer`, ...).
//!
//! Beside it: `op` (the `Op` enum and its table of static facts), `elementwise` (the op table of
//! the elementwise and reduction ops) and `infer` (shape inference).

pub mod collections;
pub mod elementwise;
pub mod infer;
pub mod op;
pub mod tensor_name;

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::graph::elementwise::{BinaryOp, ReduceOp, UnaryOp};
use crate::engine::graph::infer::{InputInfo, NodeContext, infer};
use crate::engine::graph::op::{ConstValue, Op};
use crate::engine::kernels::random;
use crate::engine::runtime::placement::DeviceSpec;
use crate::engine::shape::Shape;
use crate::engine::value::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Index of a node in its graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub usize);

/// A symbolic tensor: output `index` of a node (`add:0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Output {
    /// The producing node.
    pub node: NodeId,
    /// Which output.
    pub index: usize,
}

impl NodeId {
    /// Output 0 of this node.
    pub fn out(self) -> Output {
        Output { node: self, index: 0 }
    }
}

/// One node of a graph.
#[derive(Clone, Debug)]
pub struct Node {
    /// Unique name in the graph.
    pub name: String,
    /// The op and its attrs.
    pub op: Op,
    /// Data inputs.
    pub inputs: Vec<Output>,
    /// Control inputs: nodes that must run first.
    pub control_inputs: Vec<NodeId>,
    /// Requested device, as written (`/gpu:0`); empty for none.
    pub device: String,
    /// Output dtypes and static shapes, from inference.
    pub outputs: Vec<(DType, Shape)>,
}

/// What to add: an op with its inputs, before naming and validation.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    /// The op.
    pub op: Op,
    /// Data inputs.
    pub inputs: Vec<Output>,
    /// Control inputs.
    pub control_inputs: Vec<NodeId>,
    /// Device request; `None` takes the innermost device scope.
    pub device: Option<String>,
}

impl NodeSpec {
    /// A spec with data inputs and nothing else.
    pub fn new(op: Op, inputs: Vec<Output>) -> NodeSpec {
        NodeSpec { op, inputs, control_inputs: Vec::new(), device: None }
    }
}

static NEXT_GRAPH_ID: AtomicU64 = AtomicU64::new(1);
/// Generations are drawn from one counter, so a rebuilt graph never reuses an old generation.
static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

fn next_generation() -> u64 {
    NEXT_GENERATION.fetch_add(1, Ordering::Relaxed)
}

/// A variable scope entry: its name and whether `get_variable` reuses.
#[derive(Clone, Debug)]
struct VarScope {
    name: String,
    reuse: bool,
}

/// Initializers `get_variable` and the editor's Variable node accept.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Initializer {
    /// `tf.zeros_initializer`.
    Zeros,
    /// `tf.ones_initializer`.
    Ones,
    /// `tf.constant_initializer(value)` (a scalar fill).
    Constant {
        /// The fill value.
        value: f64,
    },
    /// `tf.random_normal_initializer` / `tf.random_normal(...)`.
    RandomNormal {
        /// Mean.
        #[serde(default)]
        mean: f64,
        /// Standard deviation.
        #[serde(default = "one")]
        stddev: f64,
        /// Op-level seed.
        #[serde(default)]
        seed: Option<i64>,
    },
    /// `tf.truncated_normal_initializer` / `tf.truncated_normal(...)`.
    TruncatedNormal {
        /// Mean.
        #[serde(default)]
        mean: f64,
        /// Standard deviation.
        #[serde(default = "one")]
        stddev: f64,
        /// Op-level seed.
        #[serde(default)]
        seed: Option<i64>,
    },
    /// `tf.random_uniform_initializer` / `tf.random_uniform(...)`.
    RandomUniform {
        /// Lower bound.
        #[serde(default)]
        minval: f64,
        /// Upper bound.
        #[serde(default = "one")]
        maxval: f64,
        /// Op-level seed.
        #[serde(default)]
        seed: Option<i64>,
    },
}

fn one() -> f64 {
    1.0
}

/// A TF1 computation graph.
#[derive(Clone, Debug)]
pub struct Graph {
    id: u64,
    generation: u64,
    nodes: Vec<Node>,
    by_name: HashMap<String, NodeId>,
    names_in_use: HashMap<String, usize>,
    name_scopes: Vec<String>,
    device_scopes: Vec<String>,
    var_scopes: Vec<VarScope>,
    /// Graph-level seed (`tf.set_random_seed`).
    pub seed: Option<i64>,
    auto_seed_counter: i64,
    variables: Vec<(NodeId, NodeId)>,
    collections: crate::engine::graph::collections::Collections,
}

impl Default for Graph {
    fn default() -> Self {
        Graph::new()
    }
}

impl Graph {
    /// A fresh, empty graph with its own identity.
    pub fn new() -> Graph {
        Graph {
            id: NEXT_GRAPH_ID.fetch_add(1, Ordering::Relaxed),
            generation: next_generation(),
            nodes: Vec::new(),
            by_name: HashMap::new(),
            names_in_use: HashMap::new(),
            name_scopes: Vec::new(),
            device_scopes: Vec::new(),
            var_scopes: Vec::new(),
            seed: None,
            auto_seed_counter: 0,
            variables: Vec::new(),
            collections: Default::default(),
        }
    }

    /// A fresh graph that takes over the identity of an earlier one (the editor rebuilds a graph
    /// after an edit; sessions opened on it keep working, as TF sessions see ops added later).
    pub fn with_id(id: u64) -> Graph {
        Graph { id, ..Graph::new() }
    }

    /// The graph's identity; sessions and tensors check it.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Bumped on every change; run plans compiled against an older generation are rebuilt.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// All nodes, in creation order (a topological order).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// A node by id.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.0)
    }

    /// A node by name.
    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.by_name.get(name).copied()
    }

    /// Resolves `add:0`, `add` (output 0) or `add:1`.
    pub fn tensor(&self, name: &str) -> Result<Output> {
        let parsed = crate::engine::graph::tensor_name::TensorName::parse(name)?;
        let (node, index) = (parsed.op.as_str(), parsed.index);
        let id = self.find(node).ok_or_else(|| {
            Error::value_error(format!(
                "The name '{name}' refers to a Tensor which does not exist. The operation, '{node}', does not exist in the graph."
            ))
        })?;
        let n = &self.nodes[id.0];
        if index >= n.outputs.len() {
            return Err(Error::value_error(format!(
                "The name '{name}' refers to a Tensor which does not exist. The operation, '{node}', exists but only has {} outputs.",
                n.outputs.len()
            )));
        }
        Ok(Output { node: id, index })
    }

    /// The dtype and static shape of a tensor.
    pub fn output_info(&self, t: Output) -> Option<&(DType, Shape)> {
        self.nodes.get(t.node.0)?.outputs.get(t.index)
    }

    /// TF's tensor name: `add:0`.
    pub fn tensor_name(&self, t: Output) -> String {
        match self.nodes.get(t.node.0) {
            Some(n) => format!("{}:{}", n.name, t.index),
            None => format!("<missing>:{}", t.index),
        }
    }

    /// TF's tensor repr: `Tensor("add:0", shape=(2,), dtype=float32)`.
    pub fn tensor_repr(&self, t: Output) -> String {
        match self.output_info(t) {
            Some((d, s)) => format!("Tensor(\"{}\", shape={}, dtype={})", self.tensor_name(t), s, d),
            None => format!("Tensor(\"{}\")", self.tensor_name(t)),
        }
    }

    /// Variables with their initializer op, in creation order (`tf.global_variables()`).
    pub fn variables(&self) -> &[(NodeId, NodeId)] {
        &self.variables
    }

    /// The initializer (`Assign`) of a variable.
    pub fn initializer_of(&self, var: NodeId) -> Option<NodeId> {
        self.variables.iter().find(|(v, _)| *v == var).map(|(_, i)| *i)
    }

    // ----- naming -----

    /// TF's `Graph.unique_name`: prefixes the name scope, then appends `_1`, `_2`, ... as needed.
    /// The name is marked as used (even if the op is later refused, as TF does).
    pub fn unique_name(&mut self, base: &str) -> String {
        let name = match self.name_scopes.last() {
            Some(scope) if !scope.is_empty() => format!("{scope}/{base}"),
            _ => base.to_string(),
        };
        let key = name.to_lowercase();
        let i = self.names_in_use.get(&key).copied().unwrap_or(0);
        self.names_in_use.insert(key.clone(), i + 1);
        if i == 0 {
            return name;
        }
        let mut i = i;
        let mut candidate = format!("{key}_{i}");
        while self.names_in_use.contains_key(&candidate) {
            i += 1;
            candidate = format!("{key}_{i}");
        }
        self.names_in_use.insert(candidate, 1);
        format!("{name}_{i}")
    }

    /// Enters `with tf.name_scope(name)`: later names get the `name/` prefix. The scope name itself
    /// is made unique like an op name (a second `layer1` scope becomes `layer1_1`).
    pub fn push_name_scope(&mut self, name: &str) -> String {
        let full = if name.ends_with('/') { name.trim_end_matches('/').to_string() } else { self.unique_name(name) };
        self.name_scopes.push(full.clone());
        full
    }

    /// Leaves the innermost name scope.
    pub fn pop_name_scope(&mut self) {
        self.name_scopes.pop();
    }

    /// Enters `with g.device(spec)`.
    pub fn push_device(&mut self, spec: &str) {
        self.device_scopes.push(spec.to_string());
    }

    /// Leaves the innermost device scope.
    pub fn pop_device(&mut self) {
        self.device_scopes.pop();
    }

    /// Enters `with tf.variable_scope(name, reuse=...)`. `reuse` is inherited by inner scopes.
    pub fn push_variable_scope(&mut self, name: &str, reuse: bool) {
        let parent = self.var_scopes.last().cloned();
        let full = match &parent {
            Some(p) if !p.name.is_empty() && !name.is_empty() => format!("{}/{}", p.name, name),
            Some(p) if name.is_empty() => p.name.clone(),
            _ => name.to_string(),
        };
        let reuse = reuse || parent.is_some_and(|p| p.reuse);
        self.var_scopes.push(VarScope { name: full.clone(), reuse });
        self.name_scopes.push(full);
    }

    /// Leaves the innermost variable scope.
    pub fn pop_variable_scope(&mut self) {
        self.var_scopes.pop();
        self.name_scopes.pop();
    }

    // ----- adding nodes -----

    /// Adds a node named from `name` (made unique), validating dtypes and shapes first. On error
    /// the graph is unchanged, except that the name stays used, as in TF.
    pub fn add(&mut self, name: Option<&str>, spec: NodeSpec) -> Result<NodeId> {
        let base = name.unwrap_or_else(|| spec.op.default_name()).to_string();
        let unique = self.unique_name(&base);
        self.add_exact(&unique, spec)
    }

    /// Adds a node with exactly this name (project loading); the name must be free.
    pub fn add_named(&mut self, name: &str, spec: NodeSpec) -> Result<NodeId> {
        if self.by_name.contains_key(name) {
            return Err(Error::value_error(format!("Duplicate node name in graph: '{name}'")).at(name));
        }
        let key = name.to_lowercase();
        let count = self.names_in_use.entry(key).or_insert(0);
        *count += 1;
        // A stored name like `add_2` also marks `add` as used, so a later `add` gets a fresh suffix.
        if let Some((base, suffix)) = name.rsplit_once('_')
            && suffix.parse::<usize>().is_ok()
        {
            self.names_in_use.entry(base.to_lowercase()).or_insert(1);
        }
        self.add_exact(name, spec)
    }

    fn add_exact(&mut self, name: &str, spec: NodeSpec) -> Result<NodeId> {
        if name.is_empty() || name.contains(':') {
            return Err(Error::value_error(format!("'{name}' is not a valid node name")));
        }
        let mut infos = Vec::with_capacity(spec.inputs.len());
        let mut input_names = Vec::with_capacity(spec.inputs.len());
        for t in &spec.inputs {
            let Some((d, s)) = self.output_info(*t) else {
                return Err(Error::value_error(format!(
                    "Tensor {}:{} is not an element of this graph.",
                    t.node.0, t.index
                ))
                .at(name));
            };
            infos.push(InputInfo { dtype: *d, shape: s.clone() });
            let n = &self.nodes[t.node.0].name;
            input_names.push(if t.index == 0 { n.clone() } else { format!("{n}:{}", t.index) });
        }
        for c in &spec.control_inputs {
            if c.0 >= self.nodes.len() {
                return Err(
                    Error::value_error(format!("Control input {} is not an element of this graph.", c.0)).at(name)
                );
            }
        }
        if let Op::Assign { .. } = spec.op {
            let is_var = spec
                .inputs
                .first()
                .and_then(|t| self.node(t.node))
                .is_some_and(|n| matches!(n.op, Op::Variable { .. }));
            if !is_var {
                return Err(Error::type_error(format!(
                    "'{}' needs a variable as its first input ('ref'); got a {} tensor",
                    name,
                    spec.inputs.first().and_then(|t| self.node(t.node)).map_or("missing", |n| n.op.type_name())
                ))
                .at(name));
            }
        }
        let outputs = infer(&spec.op, &infos, &NodeContext { name, input_names: &input_names })?;
        let device = match spec.device {
            Some(d) => d,
            None => self.device_scopes.last().cloned().unwrap_or_default(),
        };
        if !device.is_empty() {
            DeviceSpec::parse(&device).map_err(|e| e.at(name))?;
        }
        let mut op = spec.op;
        self.seed_unseeded(&mut op);
        let id = NodeId(self.nodes.len());
        if let Op::Assign { initializer: true } = op
            && let Some(var) = spec.inputs.first()
        {
            self.variables.retain(|(v, _)| *v != var.node);
            self.variables.push((var.node, id));
        }
        self.nodes.push(Node {
            name: name.to_string(),
            op,
            inputs: spec.inputs,
            control_inputs: spec.control_inputs,
            device,
            outputs,
        });
        self.by_name.insert(name.to_string(), id);
        self.generation = next_generation();
        Ok(id)
    }

    /// Removes nodes (the editor's delete). Nodes that consume them are removed too. Ids change:
    /// the graph is rebuilt in order. Returns the names removed.
    pub fn remove(&mut self, names: &[String]) -> Vec<String> {
        let mut dead = vec![false; self.nodes.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            if names.contains(&n.name)
                || n.inputs.iter().any(|t| dead[t.node.0])
                || n.control_inputs.iter().any(|c| dead[c.0])
            {
                dead[i] = true;
            }
        }
        let removed: Vec<String> =
            self.nodes.iter().zip(&dead).filter(|(_, d)| **d).map(|(n, _)| n.name.clone()).collect();
        let mut remap = vec![None; self.nodes.len()];
        let old = std::mem::take(&mut self.nodes);
        self.by_name.clear();
        for (i, mut n) in old.into_iter().enumerate() {
            if dead[i] {
                continue;
            }
            let new_id = NodeId(self.nodes.len());
            remap[i] = Some(new_id);
            for t in &mut n.inputs {
                t.node = remap[t.node.0].unwrap_or(t.node);
            }
            for c in &mut n.control_inputs {
                *c = remap[c.0].unwrap_or(*c);
            }
            self.by_name.insert(n.name.clone(), new_id);
            self.nodes.push(n);
        }
        self.variables = self
            .variables
            .iter()
            .filter_map(|(v, i)| Some((remap.get(v.0).copied().flatten()?, remap.get(i.0).copied().flatten()?)))
            .collect();
        self.collections.remap(&remap.iter().map(|r| r.map(|id| id.0)).collect::<Vec<_>>());
        self.generation = next_generation();
        removed
    }

    /// The next automatic op seed for a random op (TF 2.x `compat.v1` rule, checked against TF
    /// 2.21 in `tests/data/tf_graph_seeds.json`: a per-graph counter 0, 1, 2, ... of the random ops
    /// created without an op seed while the graph has a seed; ops with an op seed and all other
    /// ops leave it alone. TF 1.x used the graph's last op id instead).
    fn op_seeds(&mut self, op_seed: Option<i64>) -> (i64, i64) {
        let auto = self.auto_seed_counter;
        if self.seed.is_some() && op_seed.is_none() {
            self.auto_seed_counter += 1;
        }
        random::derive_seeds(self.seed, op_seed, auto)
    }

    /// A random op added without an op seed (its `seed` and `seed2` attrs both 0, as the file
    /// stores `tf.random_normal(shape)`) to a graph with a graph seed gets the attrs TF derives
    /// for it, `(graph seed, next automatic op seed)` (see [`Graph::op_seeds`]): nodes so added
    /// count in the order they are added, as TF counts ops in the order the program creates them.
    /// Without a graph seed, `(0, 0)` stays: TF's "nondeterministic".
    fn seed_unseeded(&mut self, op: &mut Op) {
        if self.seed.is_none() {
            return;
        }
        if let Op::RandomStandardNormal { seed, seed2, .. }
        | Op::TruncatedNormal { seed, seed2, .. }
        | Op::RandomUniform { seed, seed2, .. } = op
            && *seed == 0
            && *seed2 == 0
        {
            (*seed, *seed2) = self.op_seeds(None);
        }
    }

    // ----- builders (the Python API) -----

    /// `tf.constant(value, name=...)`.
    pub fn constant(&mut self, value: Value, name: Option<&str>) -> Result<Output> {
        Ok(self.add(name, NodeSpec::new(Op::Const { value: ConstValue(value) }, vec![]))?.out())
    }

    /// `tf.placeholder(dtype, shape, name)`.
    pub fn placeholder(&mut self, dtype: DType, shape: Shape, name: Option<&str>) -> Result<Output> {
        Ok(self.add(name, NodeSpec::new(Op::Placeholder { dtype, shape }, vec![]))?.out())
    }

    /// An elementwise binary op (`a + b` is `binary(Add, a, b)`).
    pub fn binary(&mut self, kind: BinaryOp, a: Output, b: Output, name: Option<&str>) -> Result<Output> {
        Ok(self.add(name, NodeSpec::new(Op::Binary { kind }, vec![a, b]))?.out())
    }

    /// An elementwise unary op.
    pub fn unary(&mut self, kind: UnaryOp, x: Output, name: Option<&str>) -> Result<Output> {
        Ok(self.add(name, NodeSpec::new(Op::Unary { kind }, vec![x]))?.out())
    }

    /// `tf.matmul(a, b)`.
    pub fn matmul(&mut self, a: Output, b: Output, name: Option<&str>) -> Result<Output> {
        Ok(self.add(name, NodeSpec::new(Op::MatMul { transpose_a: false, transpose_b: false }, vec![a, b]))?.out())
    }

    /// `tf.reduce_sum` / `tf.reduce_mean` and friends.
    pub fn reduce(
        &mut self,
        kind: ReduceOp,
        x: Output,
        axes: Option<Vec<i64>>,
        keep_dims: bool,
        name: Option<&str>,
    ) -> Result<Output> {
        Ok(self.add(name, NodeSpec::new(Op::Reduce { kind, axes, keep_dims }, vec![x]))?.out())
    }

    /// `tf.clip_by_value(t, lo, hi)` with scalar bounds of t's dtype.
    pub fn clip_by_value(&mut self, t: Output, lo: f64, hi: f64, name: Option<&str>) -> Result<Output> {
        let dtype = self.output_info(t).map_or(DType::Float32, |i| i.0);
        self.push_name_scope(name.unwrap_or("clip_by_value"));
        let result = (|| {
            let lo = self.constant(Value::filled(dtype, &[], lo), Some("clip_value_min"))?;
            let hi = self.constant(Value::filled(dtype, &[], hi), Some("clip_value_max"))?;
            let spec = NodeSpec::new(Op::ClipByValue, vec![t, lo, hi]);
            let scope = self.name_scopes.last().cloned().unwrap_or_default();
            self.add_exact_scoped(&scope, spec)
        })();
        self.pop_name_scope();
        result
    }

    /// Adds a node with exactly `name` when no node has it yet (TF's convention for the op that
    /// closes a name scope, such as an optimizer's train op `Adam`).
    pub fn add_exact_name(&mut self, name: &str, spec: NodeSpec) -> Result<NodeId> {
        if self.by_name.contains_key(name) {
            return self.add(Some(name), spec);
        }
        self.names_in_use.entry(name.to_lowercase()).or_insert(1);
        self.add_exact(name, spec)
    }

    /// The current name scope (`""` at the top).
    pub fn current_name_scope(&self) -> String {
        self.name_scopes.last().cloned().unwrap_or_default()
    }

    /// Runs `f` with no name scope active (slot variables are named after their variable).
    pub fn without_name_scope<T>(&mut self, f: impl FnOnce(&mut Graph) -> T) -> T {
        let saved = std::mem::take(&mut self.name_scopes);
        let out = f(self);
        self.name_scopes = saved;
        out
    }

    /// A new variable named from `name` (made unique), with an initializer under
    /// `name/Initializer/` and its `name/Assign`. Used for optimizer slots and by the editor.
    pub fn new_variable(&mut self, name: &str, dtype: DType, shape: &[usize], init: &Initializer) -> Result<Output> {
        let full = self.unique_name(name);
        let saved = std::mem::take(&mut self.name_scopes);
        self.name_scopes.push(format!("{full}/Initializer"));
        let value = self.initializer_value(init, dtype, shape);
        self.name_scopes = saved;
        let value = value?;
        let var = self.add_exact(&full, NodeSpec::new(Op::Variable { dtype, shape: Shape::known(shape) }, vec![]))?;
        let assign_name = format!("{full}/Assign");
        self.names_in_use.insert(assign_name.to_lowercase(), 1);
        self.add_exact(&assign_name, NodeSpec::new(Op::Assign { initializer: true }, vec![var.out(), value]))?;
        Ok(var.out())
    }

    /// Adds a node whose name is the scope name itself (TF's convention for the op that closes a
    /// scope, like `random_normal` or `clip_by_value`).
    fn add_exact_scoped(&mut self, scope: &str, spec: NodeSpec) -> Result<Output> {
        Ok(self.add_exact(scope, spec)?.out())
    }

    /// `tf.random_normal(shape, mean, stddev, seed=..)` as one `RandomStandardNormal` node.
    pub fn random_normal(
        &mut self,
        shape: &[usize],
        mean: f64,
        stddev: f64,
        seed: Option<i64>,
        dtype: DType,
        name: Option<&str>,
    ) -> Result<Output> {
        let (seed, seed2) = self.op_seeds(seed);
        let op = Op::RandomStandardNormal { dtype, shape: shape.to_vec(), mean, stddev, seed, seed2 };
        Ok(self.add(name, NodeSpec::new(op, vec![]))?.out())
    }

    /// `tf.truncated_normal(shape, mean, stddev, seed=..)`.
    pub fn truncated_normal(
        &mut self,
        shape: &[usize],
        mean: f64,
        stddev: f64,
        seed: Option<i64>,
        dtype: DType,
        name: Option<&str>,
    ) -> Result<Output> {
        let (seed, seed2) = self.op_seeds(seed);
        let op = Op::TruncatedNormal { dtype, shape: shape.to_vec(), mean, stddev, seed, seed2 };
        Ok(self.add(name, NodeSpec::new(op, vec![]))?.out())
    }

    /// `tf.random_uniform(shape, minval, maxval, seed=..)`.
    pub fn random_uniform(
        &mut self,
        shape: &[usize],
        minval: f64,
        maxval: f64,
        seed: Option<i64>,
        dtype: DType,
        name: Option<&str>,
    ) -> Result<Output> {
        let (seed, seed2) = self.op_seeds(seed);
        let op = Op::RandomUniform { dtype, shape: shape.to_vec(), minval, maxval, seed, seed2 };
        Ok(self.add(name, NodeSpec::new(op, vec![]))?.out())
    }

    /// The node an initializer produces for a variable of `shape` (under the current name scope).
    pub fn initializer_value(&mut self, init: &Initializer, dtype: DType, shape: &[usize]) -> Result<Output> {
        match init {
            Initializer::Zeros => self.fill(dtype, shape, 0.0, Some("zeros")),
            Initializer::Ones => self.fill(dtype, shape, 1.0, Some("ones")),
            Initializer::Constant { value } => self.fill(dtype, shape, *value, Some("Const")),
            Initializer::RandomNormal { mean, stddev, seed } => {
                self.random_normal(shape, *mean, *stddev, *seed, dtype, None)
            }
            Initializer::TruncatedNormal { mean, stddev, seed } => {
                self.truncated_normal(shape, *mean, *stddev, *seed, dtype, None)
            }
            Initializer::RandomUniform { minval, maxval, seed } => {
                self.random_uniform(shape, *minval, *maxval, *seed, dtype, None)
            }
        }
    }

    /// `tf.fill` / `tf.zeros` / `tf.ones`.
    pub fn fill(&mut self, dtype: DType, shape: &[usize], value: f64, name: Option<&str>) -> Result<Output> {
        Ok(self.add(name, NodeSpec::new(Op::Fill { dtype, shape: shape.to_vec(), value }, vec![]))?.out())
    }

    /// `tf.Variable(initial_value, name=...)`: a `VariableV2` node and its `name/Assign`
    /// initializer. Returns the variable's output.
    pub fn variable(&mut self, initial_value: Output, name: Option<&str>) -> Result<Output> {
        let Some((dtype, shape)) = self.output_info(initial_value).cloned() else {
            return Err(Error::value_error("initial_value is not an element of this graph."));
        };
        if !shape.is_fully_defined() {
            return Err(Error::value_error(format!(
                "initial_value must have a shape specified: {}",
                self.tensor_repr(initial_value)
            )));
        }
        let vname = self.unique_name(name.unwrap_or("Variable"));
        let var = self.add_exact(&vname, NodeSpec::new(Op::Variable { dtype, shape }, vec![]))?;
        let assign_name = format!("{vname}/Assign");
        self.names_in_use.insert(assign_name.to_lowercase(), 1);
        if let Err(e) = self
            .add_exact(&assign_name, NodeSpec::new(Op::Assign { initializer: true }, vec![var.out(), initial_value]))
        {
            self.remove(&[vname]);
            return Err(e);
        }
        Ok(var.out())
    }

    /// `tf.get_variable(name, shape, dtype, initializer)` under the current variable scope, with
    /// TF's reuse rules.
    pub fn get_variable(
        &mut self,
        name: &str,
        shape: Option<&[usize]>,
        dtype: DType,
        init: Option<&Initializer>,
    ) -> Result<Output> {
        let scope = self.var_scopes.last().cloned().unwrap_or(VarScope { name: String::new(), reuse: false });
        let full = if scope.name.is_empty() { name.to_string() } else { format!("{}/{}", scope.name, name) };
        let existing = self.find(&full).filter(|id| matches!(self.nodes[id.0].op, Op::Variable { .. }));
        if scope.reuse {
            let Some(id) = existing else {
                return Err(Error::value_error(format!(
                    "Variable {full} does not exist, or was not created with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?"
                )));
            };
            if let (Some(want), Some((_, have))) = (shape, self.output_info(id.out()))
                && !have.is_compatible_with_dims(want)
            {
                return Err(Error::value_error(format!(
                    "Trying to share variable {full}, but specified shape {} and found shape {}.",
                    Shape::known(want),
                    have
                )));
            }
            return Ok(id.out());
        }
        if existing.is_some() || self.by_name.contains_key(&full) {
            return Err(Error::value_error(format!(
                "Variable {full} already exists, disallowed. Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?"
            )));
        }
        let Some(shape) = shape else {
            return Err(Error::value_error(format!(
                "Shape of a new variable ({full}) must be fully defined, but instead was <unknown>."
            )));
        };
        let init = init.cloned().unwrap_or(Initializer::RandomUniform { minval: 0.0, maxval: 1.0, seed: None });
        // The initial value lives under `name/Initializer/`, the variable takes the plain name.
        let saved = std::mem::take(&mut self.name_scopes);
        self.name_scopes.push(format!("{full}/Initializer"));
        let value = self.initializer_value(&init, dtype, shape);
        self.name_scopes = saved;
        let value = value?;
        self.names_in_use.insert(full.to_lowercase(), 1);
        let var = self.add_exact(&full, NodeSpec::new(Op::Variable { dtype, shape: Shape::known(shape) }, vec![]))?;
        let assign_name = format!("{full}/Assign");
        self.names_in_use.insert(assign_name.to_lowercase(), 1);
        self.add_exact(&assign_name, NodeSpec::new(Op::Assign { initializer: true }, vec![var.out(), value]))?;
        Ok(var.out())
    }

    /// `tf.add_to_collection(name, value)`.
    pub fn add_to_collection(&mut self, name: &str, value: Output) {
        self.collections.add(name, value.node.0, value.index);
    }

    /// `tf.get_collection(name)`: the values added under `name`, in order. `GLOBAL_VARIABLES` and
    /// `TRAINABLE_VARIABLES` list the graph's variables (in creation order), then anything added.
    pub fn get_collection(&self, name: &str) -> Vec<Output> {
        use crate::engine::graph::collections::GraphKeys;
        let mut out: Vec<Output> = match name {
            GraphKeys::GLOBAL_VARIABLES => self.variables.iter().map(|(v, _)| v.out()).collect(),
            GraphKeys::TRAINABLE_VARIABLES => self.trainable_variables(),
            _ => Vec::new(),
        };
        out.extend(self.collections.get(name).iter().map(|&(n, index)| Output { node: NodeId(n), index }));
        out
    }

    /// `trainable=False` for a variable (or back to trainable).
    pub fn set_trainable(&mut self, var: Output, trainable: bool) {
        self.collections.set_trainable(var.node.0, trainable);
    }

    /// `tf.trainable_variables()`: the variables not made with `trainable=False`.
    pub fn trainable_variables(&self) -> Vec<Output> {
        self.variables.iter().filter(|(v, _)| self.collections.is_trainable(v.0)).map(|(v, _)| v.out()).collect()
    }

    /// `tf.group(*ops, name=...)` (`group_deps` by default), which is also
    /// `with tf.control_dependencies(ops): tf.no_op(name=...)`: a `NoOp` that runs `ops` first.
    pub fn group(&mut self, ops: &[NodeId], name: Option<&str>) -> Result<NodeId> {
        let spec = NodeSpec { op: Op::NoOp, inputs: vec![], control_inputs: ops.to_vec(), device: None };
        self.add(Some(name.unwrap_or("group_deps")), spec)
    }

    /// `tf.global_variables_initializer()`: a NoOp `init` with every variable's initializer as a
    /// control input.
    pub fn global_variables_initializer(&mut self) -> Result<NodeId> {
        let inits = self.variables.iter().map(|(_, i)| *i).collect();
        self.add(Some("init"), NodeSpec { op: Op::NoOp, inputs: vec![], control_inputs: inits, device: None })
    }
}

/// A graph-bound tensor for display: `Tensor("add:0", shape=(2,), dtype=float32)`.
pub struct TensorRepr<'a>(pub &'a Graph, pub Output);

impl fmt::Display for TensorRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.tensor_repr(self.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(g: &mut Graph, v: serde_json::Value, d: Option<DType>, name: &str) -> Output {
        g.constant(Value::from_json(&v, d).unwrap(), Some(name)).unwrap()
    }

    #[test]
    fn unique_names_like_tf() {
        let mut g = Graph::new();
        assert_eq!(g.unique_name("add"), "add");
        assert_eq!(g.unique_name("add"), "add_1");
        assert_eq!(g.unique_name("add"), "add_2");
        assert_eq!(g.unique_name("add_1"), "add_1_1");
        g.push_name_scope("layer1");
        assert_eq!(g.unique_name("MatMul"), "layer1/MatMul");
        assert_eq!(g.unique_name("MatMul"), "layer1/MatMul_1");
        g.pop_name_scope();
        assert_eq!(g.push_name_scope("layer1"), "layer1_1");
    }

    #[test]
    fn seed_program_3_2_names_and_errors() {
        let mut g = Graph::new();
        let a = c(&mut g, json!([1.0, 2.0]), None, "a");
        let b = c(&mut g, json!([2.0, 3.4]), None, "b");
        let cc = c(&mut g, json!([4, 5]), None, "c");
        let d = c(&mut g, json!([4, 5]), Some(DType::Float32), "d");
        let result = g.binary(BinaryOp::Add, a, b, None).unwrap();
        let before = g.nodes().len();
        let e = g.binary(BinaryOp::Add, a, cc, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "TypeError: Input 'y' of 'AddV2' Op has type int32 that does not match type float32 of argument 'x'."
        );
        assert_eq!(g.nodes().len(), before, "a refused op leaves the graph unchanged");
        let result2 = g.binary(BinaryOp::Add, a, d, None).unwrap();
        assert_eq!(g.tensor_repr(result), "Tensor(\"add:0\", shape=(2,), dtype=float32)");
        assert_eq!(g.tensor_repr(result2), "Tensor(\"add_2:0\", shape=(2,), dtype=float32)");
    }

    #[test]
    fn placeholder_repr_unknown_dim() {
        let mut g = Graph::new();
        let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(2)]), Some("x-input")).unwrap();
        assert_eq!(g.tensor_repr(x), "Tensor(\"x-input:0\", shape=(?, 2), dtype=float32)");
        let w = g.random_normal(&[2, 3], 0.0, 1.0, Some(1), DType::Float32, None).unwrap();
        let w = g.variable(w, None).unwrap();
        let y = g.matmul(x, w, None).unwrap();
        assert_eq!(g.tensor_repr(y), "Tensor(\"MatMul:0\", shape=(?, 3), dtype=float32)");
    }

    #[test]
    fn matmul_shape_refused() {
        let mut g = Graph::new();
        let a = c(&mut g, json!([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]), None, "a");
        let e = g.matmul(a, a, None).unwrap_err();
        assert!(
            e.message.starts_with("Dimensions must be equal, but are 3 and 2 for '{{node MatMul}} = MatMul"),
            "{}",
            e.message
        );
        assert!(e.message.ends_with("with input shapes: [2,3], [2,3]."), "{}", e.message);
        assert_eq!(g.nodes().len(), 1);
    }

    #[test]
    fn get_variable_reuse_semantics() {
        let mut g = Graph::new();
        let v = g.get_variable("v", Some(&[1]), DType::Float32, Some(&Initializer::Zeros)).unwrap();
        assert_eq!(g.tensor_name(v), "v:0");
        let e = g.get_variable("v", Some(&[1]), DType::Float32, Some(&Initializer::Zeros)).unwrap_err();
        assert!(e.message.starts_with("Variable v already exists, disallowed."), "{}", e.message);
        g.push_variable_scope("", true);
        assert_eq!(g.get_variable("v", None, DType::Float32, None).unwrap(), v);
        let e = g.get_variable("w", None, DType::Float32, None).unwrap_err();
        assert!(e.message.starts_with("Variable w does not exist"), "{}", e.message);
        g.pop_variable_scope();
        g.push_variable_scope("layer1", false);
        let w = g.get_variable("w", Some(&[2, 2]), DType::Float32, Some(&Initializer::Ones)).unwrap();
        g.pop_variable_scope();
        assert_eq!(g.tensor_name(w), "layer1/w:0");
        assert_eq!(g.variables().len(), 2);
        let init = g.global_variables_initializer().unwrap();
        assert_eq!(g.node(init).unwrap().control_inputs.len(), 2);
    }

    #[test]
    fn remove_cascades() {
        let mut g = Graph::new();
        let a = c(&mut g, json!([1.0]), None, "a");
        let b = c(&mut g, json!([1.0]), None, "b");
        let s = g.binary(BinaryOp::Add, a, b, None).unwrap();
        g.unary(UnaryOp::Neg, s, None).unwrap();
        let removed = g.remove(&["b".to_string()]);
        assert_eq!(removed, vec!["b", "add", "Neg"]);
        assert_eq!(g.nodes().len(), 1);
        assert!(g.tensor("a:0").is_ok());
        assert!(g.tensor("add:0").is_err());
    }

    #[test]
    fn tensor_lookup_errors() {
        let mut g = Graph::new();
        c(&mut g, json!([1.0]), None, "a");
        assert!(g.tensor("a").is_ok());
        assert!(g.tensor("a:1").is_err());
        assert!(g.tensor("zz:0").unwrap_err().message.contains("does not exist"));
    }

    #[test]
    fn group_runs_its_ops_first() {
        let mut g = Graph::new();
        let a = g.constant(Value::scalar_f32(1.0), Some("a")).unwrap();
        let v = g.variable(a, Some("v")).unwrap();
        let init = g.initializer_of(v.node).unwrap();
        let grp = g.group(&[init], None).unwrap();
        let train = g.group(&[grp], Some("train")).unwrap();
        assert_eq!(g.node(grp).unwrap().name, "group_deps");
        assert_eq!(g.node(train).unwrap().control_inputs, vec![grp]);
        let mut s = crate::engine::runtime::session::Session::new(&g, Default::default());
        s.run(&g, &[], &[], &[train]).unwrap();
        assert_eq!(s.run(&g, &[v], &[], &[]).unwrap().values[0].first_f64(), Some(1.0));
    }

    #[test]
    fn collections_keep_order_and_follow_removals() {
        use crate::engine::graph::collections::GraphKeys;
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
