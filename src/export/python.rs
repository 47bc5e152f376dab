//! The TensorFlow `compat.v1` Python exporter.
//!
//! The script it writes rebuilds every graph with the node names kept (each op gets `name=`), so
//! TF creates the same op and tensor names; opens the sessions with their `ConfigProto`s; builds
//! the datasets (numpy's `RandomState` for generated ones, the rows themselves otherwise); and
//! replays the project's script step by step, printing what `flowbench run` prints on stdout.
//! (TF writes its device placement log to stderr, where `flowbench run` writes it to stdout.)
//!
//! Where flowbench keeps one node for what TF builds from several ops, the TF function that
//! builds them is called instead:
//!
//! - `RandomStandardNormal`/`TruncatedNormal`/`RandomUniform` with mean and stddev (or bounds)
//!   folded in become `tf.random_normal(shape, mean, stddev, seed=...)` and so on. The node's
//!   `seed`/`seed2` are the op's attrs as TF derived them; `seed2` is the op seed passed to TF
//!   when `seed` is the graph seed (or TF's default 87654321 when the graph has none), otherwise
//!   the graph seed is set around the op.
//! - A `Variable` with its initializer `Assign` becomes `tf.Variable(initial_value, name=...)`
//!   (the initial value built inside the variable's `Initializer` scope when it is named so).
//! - The gradient ops and an optimizer's slots, hyper-parameter constants and apply ops become
//!   one `tf.train.XOptimizer(...).minimize(loss, var_list=[...])`, found from the graph's
//!   structure by `crate::engine::autodiff::optimizers::recover_minimized` (the train op is the
//!   `NoOp` grouping the `Apply*` ops; the hyper-parameters are the apply ops' `Const` inputs;
//!   the loss is the input of the `OnesLike` seeding the gradients; the optimizer's nodes are
//!   those the train op needs and the loss and trained variables do not, plus the initializers
//!   of its variables).
//!
//! An op or setting with no TF equivalent becomes a `# unsupported:` comment at its place and an
//! entry of [`Export::unsupported`].

use crate::engine::autodiff::optimizers::{NotMinimized, built_nodes, gradient_seed, recover_minimized};
use crate::engine::dtype::DType;
use crate::engine::graph::elementwise::{BinaryOp, UnaryGrad};
use crate::engine::graph::op::Op;
use crate::engine::graph::tensor_name::TensorName;
use crate::engine::graph::{Graph, NodeId};
use crate::engine::runtime::session::ConfigProto;
use crate::engine::shape::Shape;
use crate::engine::value::Value;
use crate::export::{Export, ExportError, ExportOptions, Unsupported};
use crate::project::lower::lower_strict;
use crate::project::script::{FeedDef, PrintArg, SaverVars, Step};
use crate::project::{GraphDef, NodeDef, Project};
use crate::train::LogArg;
use crate::train::data::dataset::{DatasetSource, LabelRule};
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

/// TF's default graph-level seed, used for an op seed when the graph has none.
const DEFAULT_GRAPH_SEED: i64 = 87654321;

/// Python keywords and the names the script itself uses.
const RESERVED: &[&str] = &[
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    "tf",
    "np",
    "os",
    "csv",
    "print",
    "range",
    "len",
    "sum",
    "float",
    "int",
    "str",
    "type",
    "list",
    "open",
    "Exception",
    "e",
    "i",
    "start",
    "end",
    "fetched",
    "value",
    "loss_value",
    "row",
    "rows",
    "f",
    "error_line",
    "HERE",
    "__file__",
    "__name__",
];

/// Exports `project` as a TensorFlow `compat.v1` Python script.
pub fn export(project: &Project, opts: &ExportOptions) -> Result<Export, ExportError> {
    // What `flowbench run` refuses on load, the export refuses too (the same validation).
    project.validate().map_err(|e| ExportError::Project(e.to_string()))?;
    let mut ex = Exporter::new(project, opts)?;
    ex.header();
    ex.configs();
    ex.datasets()?;
    ex.graphs();
    ex.script();
    Ok(Export { text: ex.w.out, unsupported: ex.unsupported })
}

// ----- text helpers -----

/// Indented lines.
#[derive(Default)]
struct Writer {
    out: String,
    indent: usize,
    /// Statements written since each open block began (to write `pass` into an empty one).
    blocks: Vec<usize>,
}

impl Writer {
    fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(s);
        self.out.push('\n');
        if let Some(n) = self.blocks.last_mut()
            && !s.starts_with('#')
        {
            *n += 1;
        }
    }

    fn blank(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") && !self.out.ends_with(":\n") {
            self.out.push('\n');
        }
    }

    fn open(&mut self, header: &str) {
        self.line(header);
        self.indent += 1;
        self.blocks.push(0);
    }

    fn close(&mut self) {
        if self.blocks.pop() == Some(0) {
            self.line("pass");
        }
        self.indent = self.indent.saturating_sub(1);
    }
}

/// A Python string literal.
pub fn py_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// A Python float literal that reads back as exactly `x`.
pub fn py_f64(x: f64) -> String {
    if x.is_nan() {
        "float(\"nan\")".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "float(\"inf\")".to_string() } else { "-float(\"inf\")".to_string() }
    } else {
        format!("{x:?}")
    }
}

/// A float attr of a node with dtype `dtype`, written with as few digits as give the same value.
fn py_float_for(x: f64, dtype: DType) -> String {
    if dtype == DType::Float32 && x.is_finite() && (x as f32) as f64 == x {
        format!("{:?}", x as f32)
    } else {
        py_f64(x)
    }
}

/// A JSON value (nested lists of numbers) as a Python literal.
fn py_json(v: &Json) -> String {
    match v {
        Json::Null => "None".to_string(),
        Json::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => format!("float({})", py_str(s)),
        Json::Array(items) => format!("[{}]", items.iter().map(py_json).collect::<Vec<_>>().join(", ")),
        Json::Object(_) => "None".to_string(),
    }
}

fn py_dtype(d: DType) -> String {
    format!("tf.{}", d.name())
}

fn np_dtype(d: DType) -> &'static str {
    match d {
        DType::Float32 => "np.float32",
        DType::Float64 => "np.float64",
        DType::Int32 => "np.int32",
        DType::Int64 => "np.int64",
        DType::Bool => "np.bool_",
    }
}

fn py_shape(s: &Shape) -> String {
    match s.dims() {
        None => "None".to_string(),
        Some(d) => {
            let parts: Vec<String> = d.iter().map(|x| x.map_or("None".to_string(), |v| v.to_string())).collect();
            if parts.len() == 1 { format!("({},)", parts[0]) } else { format!("({})", parts.join(", ")) }
        }
    }
}

fn py_list<T: ToString>(xs: &[T]) -> String {
    format!("[{}]", xs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
}

/// Whether Python 3 keeps `c` in an identifier as it is: ASCII letters, digits and `_`, and the
/// CJK unified ideographs (letters to Python, unchanged by its NFKC normalisation), so a graph
/// named 计算图 becomes the variable `计算图`.
fn identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}')
}

/// A Python identifier made from `s`.
fn sanitize(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if identifier_char(c) { c } else { '_' }).collect();
    if out.is_empty() {
        out = "node".to_string();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "n_");
    }
    out
}

/// Splits `a:1` into `("a", 1)`; `a` is output 0.
fn split_tensor(name: &str) -> (&str, usize) {
    (TensorName::op_of(name), TensorName::index_of(name))
}

/// Python identifiers handed out so far.
#[derive(Default)]
struct Names {
    used: HashSet<String>,
}

impl Names {
    fn new() -> Names {
        Names { used: RESERVED.iter().map(|s| s.to_string()).collect() }
    }

    fn alloc(&mut self, base: &str) -> String {
        let base = sanitize(base);
        if self.used.insert(base.clone()) {
            return base;
        }
        for k in 2.. {
            let cand = format!("{base}_{k}");
            if self.used.insert(cand.clone()) {
                return cand;
            }
        }
        unreachable!("an unbounded range always yields a free name")
    }
}

// ----- graph planning -----

/// How a stored node is reached from Python.
#[derive(Clone, Debug)]
struct Binding {
    /// Expression of the node's operation.
    op: String,
    /// Expressions of its outputs.
    tensors: Vec<String>,
    /// Expression for `print(tensor)` of output 0 when it differs (a variable prints as one).
    repr: Option<String>,
}

impl Binding {
    fn tensor(var: &str) -> Binding {
        Binding { op: format!("{var}.op"), tensors: vec![var.to_string()], repr: None }
    }
}

/// An optimizer recognised from its nodes.
#[derive(Clone, Debug)]
struct OptPlan {
    train: usize,
    /// The constructor; `{LR}` stands for a learning-rate tensor's Python name.
    constructor: String,
    /// The stored learning-rate tensor, when it is not a constant.
    lr_tensor: Option<String>,
    /// The stored global step variable (`minimize(..., global_step=)`).
    global_step: Option<usize>,
    loss: String,
    vars: Vec<usize>,
    covered: Vec<usize>,
}

/// One Python statement (or group of them) that creates stored nodes.
#[derive(Clone, Debug)]
enum Unit {
    Node(usize),
    Variable { var: usize, assign: usize, inline_init: Option<usize> },
    Optimizer(OptPlan),
}

/// A graph as the script sees it.
struct GraphCtx {
    /// Project name of the graph.
    name: String,
    /// Python variable holding the `tf.Graph`.
    var: String,
    /// Whether it is the project's default graph (TF's default graph).
    is_default: bool,
    /// Node name → how to reach it.
    bindings: HashMap<String, Binding>,
}

impl GraphCtx {
    fn tensor(&self, name: &str) -> String {
        let (base, idx) = split_tensor(name);
        if let Some(b) = self.bindings.get(base)
            && let Some(t) = b.tensors.get(idx)
        {
            return t.clone();
        }
        format!("{}.get_tensor_by_name({})", self.var, py_str(&format!("{base}:{idx}")))
    }

    fn repr(&self, name: &str) -> String {
        let (base, idx) = split_tensor(name);
        if idx == 0
            && let Some(Binding { repr: Some(r), .. }) = self.bindings.get(base)
        {
            return r.clone();
        }
        self.tensor(name)
    }

    fn op(&self, name: &str) -> String {
        let (base, _) = split_tensor(name);
        match self.bindings.get(base) {
            Some(b) => b.op.clone(),
            None => format!("{}.get_operation_by_name({})", self.var, py_str(base)),
        }
    }
}

/// The file paths the script's steps name (checkpoints, listed folders).
fn script_paths(steps: &[Step]) -> Vec<String> {
    let mut out = Vec::new();
    for s in steps {
        match s {
            Step::SaveCheckpoint { path, .. }
            | Step::RestoreCheckpoint { path, .. }
            | Step::PrintCheckpoint { path } => out.push(path.clone()),
            Step::Print { args, .. } => {
                for a in args {
                    if let PrintArg::ListDir { path } = a {
                        out.push(path.clone());
                    }
                }
            }
            Step::Try { body } | Step::TryQuiet { body } => out.extend(script_paths(std::slice::from_ref(body))),
            _ => {}
        }
    }
    out
}

fn input_base(s: &str) -> &str {
    split_tensor(s).0
}

fn const_scalar(gd: &GraphDef, by_name: &HashMap<&str, usize>, tensor: &str) -> Option<(f64, DType)> {
    let n = gd.nodes.get(*by_name.get(input_base(tensor))?)?;
    match &n.op {
        Op::Const { value } if value.0.len() == 1 => Some((value.0.first_f64()?, value.0.dtype())),
        _ => None,
    }
}

/// Finds the optimizers in a stored graph: each train op [`recover_minimized`] recognises in the
/// built graph, its nodes mapped back to the stored ones by name.
fn plan_optimizers(gd: &GraphDef, graph: &Graph, unsupported: &mut Vec<Unsupported>) -> Vec<OptPlan> {
    let by_name: HashMap<&str, usize> = gd.nodes.iter().enumerate().map(|(i, n)| (n.name.as_str(), i)).collect();
    let stored = |id: NodeId| graph.node(id).and_then(|n| by_name.get(n.name.as_str()).copied());
    let mut plans = Vec::new();
    for (t, train) in gd.nodes.iter().enumerate() {
        if !matches!(train.op, Op::NoOp | Op::AssignAdd) {
            continue;
        }
        let Some(train_id) = graph.find(&train.name) else { continue };
        let fail = |why: String| Unsupported { what: format!("graph '{}', train op '{}'", gd.name, train.name), why };
        let recovered = recover_minimized(graph, train_id);
        let m = match recovered {
            Err(NotMinimized::NoApplyOps) => continue,
            Err(NotMinimized::MixedApplyKinds) => {
                unsupported.push(fail("its apply ops are of different kinds".to_string()));
                continue;
            }
            Err(NotMinimized::NesterovAdam) => {
                unsupported.push(fail("Nesterov Adam has no tf.train optimizer".to_string()));
                continue;
            }
            Err(NotMinimized::MissingInput) => {
                unsupported.push(fail("its apply op has no gradient input".to_string()));
                continue;
            }
            other => other,
        };
        let first = match &m {
            Ok(m) => m.apply_ops().first().copied().and_then(stored),
            Err(_) => train.control_inputs.iter().filter_map(|c| by_name.get(c.as_str()).copied()).find(|&i| {
                matches!(
                    gd.nodes[i].op,
                    Op::ApplyGradientDescent | Op::ApplyMomentum { .. } | Op::ApplyAdam { .. } | Op::ApplyRMSProp
                )
            }),
        };
        let Some(first) = first else {
            continue;
        };
        let first_node = &gd.nodes[first];
        let hp = |k: usize| -> Option<(f64, DType)> { const_scalar(gd, &by_name, first_node.inputs.get(k)?) };
        // The learning rate may be a tensor (a decaying schedule) rather than a constant.
        let lr_index = match &first_node.op {
            Op::ApplyGradientDescent => 1,
            Op::ApplyMomentum { .. } => 2,
            Op::ApplyAdam { .. } => 5,
            _ => 3,
        };
        let lr_tensor = first_node
            .inputs
            .get(lr_index)
            .filter(|t| by_name.get(input_base(t)).is_some_and(|&i| !matches!(gd.nodes[i].op, Op::Const { .. })));
        let f = |k: usize| match lr_tensor {
            Some(_) if k == lr_index => Some("{LR}".to_string()),
            _ => hp(k).map(|(x, d)| py_float_for(x, d)),
        };
        let constructor = match &first_node.op {
            Op::ApplyGradientDescent => f(1).map(|lr| format!("tf.train.GradientDescentOptimizer(learning_rate={lr})")),
            Op::ApplyMomentum { use_nesterov } => f(2).zip(f(4)).map(|(lr, m)| {
                let nesterov = if *use_nesterov { ", use_nesterov=True" } else { "" };
                format!("tf.train.MomentumOptimizer(learning_rate={lr}, momentum={m}{nesterov})")
            }),
            Op::ApplyAdam { .. } => f(5).zip(f(6)).zip(f(7)).zip(f(8)).map(|(((lr, b1), b2), eps)| {
                format!("tf.train.AdamOptimizer(learning_rate={lr}, beta1={b1}, beta2={b2}, epsilon={eps})")
            }),
            _ => f(3).zip(f(4)).zip(f(5)).zip(f(6)).map(|(((lr, rho), m), eps)| {
                format!("tf.train.RMSPropOptimizer(learning_rate={lr}, decay={rho}, momentum={m}, epsilon={eps})")
            }),
        };
        let Some(constructor) = constructor else {
            unsupported.push(fail("its hyper-parameters are not constant scalars".to_string()));
            continue;
        };
        let m = match m {
            Ok(m) => m,
            Err(_) => {
                let grad_input = match &first_node.op {
                    Op::ApplyGradientDescent => 2,
                    Op::ApplyMomentum { .. } => 3,
                    Op::ApplyAdam { .. } => 9,
                    _ => 7,
                };
                let grad = first_node.inputs.get(grad_input).map_or("gradients", String::as_str);
                let scope = grad.split('/').next().unwrap_or("gradients");
                unsupported.push(fail(format!("the loss could not be found ({scope}/Fill is missing)")));
                continue;
            }
        };
        // The loss as the stored graph writes it: the input of the gradients' seed.
        let Some(loss) = gradient_seed(graph, &m).and_then(stored).and_then(|i| gd.nodes[i].inputs.first().cloned())
        else {
            continue;
        };
        let vars: Vec<usize> = m.variables.iter().filter_map(|v| stored(v.variable.node)).collect();
        let mut covered: Vec<usize> = built_nodes(graph, &m).into_iter().filter_map(stored).collect();
        covered.sort_unstable();
        let loss_node = by_name.get(input_base(&loss)).copied();
        if covered.iter().any(|c| vars.contains(c) || Some(*c) == loss_node) {
            unsupported.push(fail("its nodes overlap the variables or the loss".to_string()));
            continue;
        }
        let global_step = m.global_step.and_then(|s| stored(s.node));
        plans.push(OptPlan { train: t, constructor, lr_tensor: lr_tensor.cloned(), global_step, loss, vars, covered });
    }
    plans
}

/// Groups a graph's nodes into units and orders them (dependencies first, else file order).
fn plan_units(gd: &GraphDef, graph: &Graph, unsupported: &mut Vec<Unsupported>) -> Vec<Unit> {
    let n = gd.nodes.len();
    let by_name: HashMap<&str, usize> = gd.nodes.iter().enumerate().map(|(i, n)| (n.name.as_str(), i)).collect();
    let mut owner: Vec<Option<usize>> = vec![None; n];
    let mut units: Vec<Unit> = Vec::new();
    // A train op that increments a global step first: the `NoOp` grouping its updates would
    // also pass for a plain minimize.
    let mut plans = plan_optimizers(gd, graph, unsupported);
    plans.sort_by_key(|p| p.global_step.is_none());
    for plan in plans {
        if plan.covered.iter().any(|&c| owner[c].is_some()) {
            continue;
        }
        for &c in &plan.covered {
            owner[c] = Some(units.len());
        }
        units.push(Unit::Optimizer(plan));
    }
    // Consumers of each node, to inline a variable's initial value used only by its initializer.
    let mut consumers: Vec<usize> = vec![0; n];
    for node in &gd.nodes {
        for i in &node.inputs {
            if let Some(&j) = by_name.get(input_base(i)) {
                consumers[j] += 1;
            }
        }
        for c in &node.control_inputs {
            if let Some(&j) = by_name.get(c.as_str()) {
                consumers[j] += 1;
            }
        }
    }
    for (a, node) in gd.nodes.iter().enumerate() {
        if owner[a].is_some() || !matches!(node.op, Op::Assign { initializer: true }) {
            continue;
        }
        let Some(&v) = node.inputs.first().and_then(|s| by_name.get(input_base(s))) else { continue };
        if owner[v].is_some() || !matches!(gd.nodes[v].op, Op::Variable { .. }) {
            continue;
        }
        let init = node.inputs.get(1).and_then(|s| by_name.get(input_base(s)).copied());
        let inline_init = init.filter(|&i| {
            let iv = &gd.nodes[i];
            owner[i].is_none()
                && consumers[i] == 1
                && iv.inputs.is_empty()
                && iv.control_inputs.is_empty()
                && iv.device.is_empty()
                && iv.name.starts_with(&format!("{}/Initializer/", gd.nodes[v].name))
        });
        let u = units.len();
        owner[v] = Some(u);
        owner[a] = Some(u);
        if let Some(i) = inline_init {
            owner[i] = Some(u);
        }
        units.push(Unit::Variable { var: v, assign: a, inline_init });
    }
    for (i, o) in owner.iter_mut().enumerate() {
        if o.is_none() {
            *o = Some(units.len());
            units.push(Unit::Node(i));
        }
    }
    // Dependencies between units.
    let node_deps = |i: usize| -> Vec<usize> {
        let node = &gd.nodes[i];
        node.inputs
            .iter()
            .map(|s| input_base(s))
            .chain(node.control_inputs.iter().map(String::as_str))
            .filter_map(|s| by_name.get(s).copied())
            .collect()
    };
    let mut deps: Vec<Vec<usize>> = Vec::with_capacity(units.len());
    let mut pos: Vec<usize> = Vec::with_capacity(units.len());
    for (u, unit) in units.iter().enumerate() {
        let (nodes, first): (Vec<usize>, usize) = match unit {
            Unit::Node(i) => (node_deps(*i), *i),
            Unit::Variable { var, assign, inline_init } => {
                let mut d = node_deps(*assign);
                if let Some(i) = inline_init {
                    d.extend(node_deps(*i));
                }
                d.extend(node_deps(*var));
                (d, *var.min(assign))
            }
            Unit::Optimizer(p) => {
                let mut d: Vec<usize> = p.vars.clone();
                d.extend(by_name.get(input_base(&p.loss)).copied());
                d.extend(p.lr_tensor.as_deref().and_then(|t| by_name.get(input_base(t)).copied()));
                d.extend(p.global_step);
                (d, p.covered.iter().copied().min().unwrap_or(p.train))
            }
        };
        let mut d: Vec<usize> = nodes.into_iter().filter_map(|j| owner[j]).filter(|&o| o != u).collect();
        d.sort_unstable();
        d.dedup();
        deps.push(d);
        pos.push(first);
    }
    // Repeatedly the ready unit first in the file (a heap keyed by position), or, when none is
    // ready (a cycle), the first unit not yet written: O(n log n).
    let mut done = vec![false; units.len()];
    let mut order: Vec<usize> = Vec::with_capacity(units.len());
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); units.len()];
    let mut waiting: Vec<usize> = vec![0; units.len()];
    for (u, d) in deps.iter().enumerate() {
        for &x in d {
            users[x].push(u);
        }
        waiting[u] = d.len();
    }
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<(usize, usize)>> =
        (0..units.len()).filter(|&u| waiting[u] == 0).map(|u| std::cmp::Reverse((pos[u], u))).collect();
    let mut first_not_done = 0;
    while order.len() < units.len() {
        let next = match ready.pop() {
            Some(std::cmp::Reverse((_, u))) => Some(u),
            None => {
                while first_not_done < units.len() && done[first_not_done] {
                    first_not_done += 1;
                }
                (first_not_done < units.len()).then_some(first_not_done)
            }
        };
        let Some(u) = next else { break };
        if done[u] {
            continue;
        }
        done[u] = true;
        order.push(u);
        for &x in &users[u] {
            waiting[x] = waiting[x].saturating_sub(1);
            if waiting[x] == 0 && !done[x] {
                ready.push(std::cmp::Reverse((pos[x], x)));
            }
        }
    }
    order.into_iter().filter_map(|u| units.get(u).cloned()).collect()
}

// ----- the exporter -----

struct Exporter<'a> {
    project: &'a Project,
    opts: &'a ExportOptions,
    w: Writer,
    names: Names,
    unsupported: Vec<Unsupported>,
    graphs: Vec<GraphCtx>,
    built: Vec<Option<Graph>>,
    configs: HashMap<String, String>,
    /// Dataset name → (Python variable of its rows, its column names).
    data: HashMap<String, (String, Vec<String>)>,
    /// Session id → Python variable.
    session_vars: HashMap<String, String>,
    /// Session id → project graph name.
    session_graph: HashMap<String, String>,
    default_stack: Vec<String>,
    interactive: Vec<String>,
    needs_error_line: bool,
    /// The Python variable of the `$TMP` folder, when the script uses one.
    tmp_var: Option<String>,
    /// (graph index, node name) → the op seed to write for a random node stored without one
    /// in a seeded graph, where TF's automatic counter would not reach the same value at that
    /// point of the script (see [`auto_seeds`]).
    explicit_seeds: HashMap<(usize, String), i64>,
    /// Datasets read from IDX files (their variable holds `read_data_sets`' result).
    image_data: HashSet<String>,
    /// Per graph, the statements that build several of the script's `add_node` nodes at once.
    added: Vec<Option<AddedUnits>>,
}

/// The `add_node` steps of one graph that TF builds with one statement (a `tf.Variable` with
/// its initializer, an optimizer's `minimize`, `tf.global_variables_initializer()`), planned
/// on the graph as the script leaves it: each is written where its last node is added.
struct AddedUnits {
    /// The graph's nodes followed by the nodes the script adds.
    gd: std::rc::Rc<GraphDef>,
    /// The statements.
    units: Vec<Unit>,
    /// Added node name → its statement.
    unit_of: HashMap<String, usize>,
    /// Nodes of each statement not added yet.
    remaining: Vec<usize>,
}

/// A `NoOp` grouping the initializers of every variable of the graph, as
/// `tf.global_variables_initializer()` builds it.
fn is_global_init_in(gd: &GraphDef, i: usize) -> bool {
    let node = &gd.nodes[i];
    if !matches!(node.op, Op::NoOp) || !node.inputs.is_empty() || !node.device.is_empty() {
        return false;
    }
    let inits: HashSet<&str> = gd
        .nodes
        .iter()
        .filter(|n| {
            matches!(n.op, Op::Assign { initializer: true })
                && n.inputs
                    .first()
                    .and_then(|v| gd.nodes.iter().find(|m| m.name == input_base(v)))
                    .is_some_and(|m| matches!(m.op, Op::Variable { .. }))
        })
        .map(|n| n.name.as_str())
        .collect();
    let deps: HashSet<&str> = node.control_inputs.iter().map(String::as_str).collect();
    !inits.is_empty() && deps == inits && deps.len() == node.control_inputs.len()
}

/// Plans the script's top-level `add_node` steps on graph `gi` (see [`AddedUnits`]); `None`
/// when it adds none, or the graph with them does not build.
fn plan_added(project: &Project, gi: usize) -> Option<AddedUnits> {
    let gd = project.graphs.get(gi)?;
    let added: Vec<&NodeDef> = project
        .script
        .iter()
        .filter_map(|s| match s {
            Step::AddNode { graph, node } if graph.as_deref().unwrap_or(&project.default_graph) == gd.name.as_str() => {
                Some(node)
            }
            _ => None,
        })
        .collect();
    if added.is_empty() {
        return None;
    }
    let first_added = gd.nodes.len();
    let mut full = gd.clone();
    full.nodes.extend(added.into_iter().cloned());
    let graph = lower_strict(&full, None).ok()?;
    let units = plan_units(&full, &graph, &mut Vec::new());
    let nodes_of = |u: &Unit| -> Vec<usize> {
        match u {
            Unit::Node(i) => vec![*i],
            Unit::Variable { var, assign, inline_init } => {
                let mut v = vec![*var, *assign];
                v.extend(*inline_init);
                v
            }
            Unit::Optimizer(p) => p.covered.clone(),
        }
    };
    let mut kept = Vec::new();
    let mut unit_of = HashMap::new();
    let mut remaining = Vec::new();
    for u in units {
        let nodes = nodes_of(&u);
        let grouped = match &u {
            Unit::Node(i) => is_global_init_in(&full, *i),
            _ => true,
        };
        if !grouped || nodes.iter().any(|&i| i < first_added) {
            continue;
        }
        for &i in &nodes {
            unit_of.insert(full.nodes[i].name.clone(), kept.len());
        }
        remaining.push(nodes.len());
        kept.push(u);
    }
    Some(AddedUnits { gd: std::rc::Rc::new(full), units: kept, unit_of, remaining })
}

impl<'a> Exporter<'a> {
    fn new(project: &'a Project, opts: &'a ExportOptions) -> Result<Exporter<'a>, ExportError> {
        let mut names = Names::new();
        let mut graphs = Vec::new();
        let mut built = Vec::new();
        for gd in &project.graphs {
            let is_default = gd.name == project.default_graph;
            let base = if gd.name == "default" { "default_graph".to_string() } else { gd.name.clone() };
            graphs.push(GraphCtx {
                name: gd.name.clone(),
                var: names.alloc(&base),
                is_default,
                bindings: HashMap::new(),
            });
            built.push(lower_strict(gd, None).ok());
        }
        if built.iter().any(Option::is_none) {
            return Err(ExportError::Project(project.validate().err().map_or_else(String::new, |e| e.to_string())));
        }
        let mut ex = Exporter {
            project,
            opts,
            w: Writer::default(),
            names,
            unsupported: Vec::new(),
            graphs,
            built,
            configs: HashMap::new(),
            data: HashMap::new(),
            session_vars: HashMap::new(),
            session_graph: HashMap::new(),
            default_stack: Vec::new(),
            interactive: Vec::new(),
            needs_error_line: false,
            tmp_var: None,
            explicit_seeds: HashMap::new(),
            image_data: HashSet::new(),
            added: (0..project.graphs.len()).map(|gi| plan_added(project, gi)).collect(),
        };
        ex.reserve_sessions(&project.script);
        Ok(ex)
    }

    fn reserve_sessions(&mut self, steps: &[Step]) {
        for s in steps {
            match s {
                Step::OpenSession { id, .. } if !self.session_vars.contains_key(id) => {
                    let v = self.names.alloc(id);
                    self.session_vars.insert(id.clone(), v);
                }
                Step::Try { body } | Step::TryQuiet { body } => self.reserve_sessions(std::slice::from_ref(body)),
                _ => {}
            }
        }
    }

    fn unsupported(&mut self, what: String, why: String) {
        self.w.line(&format!("# unsupported: {what}: {why}"));
        self.unsupported.push(Unsupported { what, why });
    }

    fn header(&mut self) {
        let p = self.project;
        self.w.line(&format!(
            "\"\"\"{} (exported from a flowbench project).",
            p.name.replace('\\', "/").replace("\"\"\"", "'''")
        ));
        self.w.line("");
        if !p.description.is_empty() {
            for l in wrap(&p.description.replace('\\', "/").replace("\"\"\"", "'''"), 96) {
                self.w.line(&l);
            }
            self.w.line("");
        }
        self.w.line("Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what");
        self.w.line("`flowbench run` prints; TF writes the device placement log to stderr.");
        self.w.line("\"\"\"");
        let paths = script_paths(&p.script);
        if !paths.is_empty() {
            self.w.line("import os");
        }
        let tmp = paths.iter().any(|p| p.starts_with("$TMP"));
        if tmp {
            self.w.line("import tempfile");
        }
        self.w.line("import numpy as np");
        self.w.line("import tensorflow.compat.v1 as tf");
        self.w.blank();
        self.w.line("tf.disable_v2_behavior()");
        if tmp {
            let var = self.names.alloc("folder");
            self.w.line(&format!("{var} = tempfile.mkdtemp()"));
            self.tmp_var = Some(var);
        }
    }

    /// A step's path as a Python expression (`$TMP/x` joins the program's temporary folder).
    fn path_expr(&self, path: &str) -> String {
        match (path.strip_prefix("$TMP"), &self.tmp_var) {
            (Some(rest), Some(var)) => {
                let rest = rest.trim_start_matches(['/', '\\']);
                if rest.is_empty() { var.clone() } else { format!("os.path.join({var}, {})", py_str(rest)) }
            }
            _ => py_str(path),
        }
    }

    /// `tf.train.Saver(...)`'s arguments for a var list.
    fn saver_args(vars: &SaverVars, max_to_keep: Option<u32>) -> String {
        let mut args = Vec::new();
        match vars {
            SaverVars::All => {}
            SaverVars::Names(n) => {
                let names: Vec<String> = n.iter().map(|x| py_str(x)).collect();
                args.push(format!("[v for v in tf.global_variables() if v.op.name in ({},)]", names.join(", ")));
            }
            SaverVars::Map(m) => {
                let pairs: Vec<String> = m.iter().map(|(k, v)| format!("({}, {})", py_str(k), py_str(v))).collect();
                args.push(format!(
                    "{{k: v for v in tf.global_variables() for k, n in [{}] if v.op.name == n}}",
                    pairs.join(", ")
                ));
            }
        }
        if let Some(m) = max_to_keep.filter(|&m| m != 5) {
            args.push(format!("max_to_keep={m}"));
        }
        args.join(", ")
    }

    /// Opens `with g.as_default():` when the session's graph is not the default graph; returns
    /// whether it did.
    fn enter_session_graph(&mut self, session: Option<&str>) -> bool {
        let gi = self.names_graph(session, None);
        if self.graphs[gi].is_default {
            return false;
        }
        let var = self.graphs[gi].var.clone();
        self.w.open(&format!("with {var}.as_default():"));
        true
    }

    fn configs(&mut self) {
        if self.project.configs.is_empty() {
            return;
        }
        self.w.blank();
        self.w.line("# ----- session configs -----");
        for nc in &self.project.configs {
            let var = self.names.alloc(&format!("config_{}", nc.name));
            let text = config_expr(&nc.config);
            self.w.line(&format!("{var} = {text}  # {}", nc.name.replace('\n', " ")));
            self.configs.insert(nc.name.clone(), var);
        }
    }

    fn datasets(&mut self) -> Result<(), ExportError> {
        if self.project.datasets.is_empty() {
            return Ok(());
        }
        if self.needs_input_data() {
            self.w.blank();
            for l in INPUT_DATA {
                self.w.line(l);
            }
        }
        self.w.blank();
        self.w.line("# ----- datasets (one row per example; columns as named) -----");
        for ds in &self.project.datasets {
            let var = self.names.alloc(&format!("{}_data", ds.name));
            match &ds.source {
                DatasetSource::Idx { dir, one_hot, validation_size, files } => {
                    let base = self.opts.project_dir.clone().unwrap_or_default();
                    let full = base.join(dir);
                    let full = crate::project::csv::normalize(&std::path::absolute(&full).unwrap_or(full));
                    let where_ = self.data_path(&full);
                    let files = match files {
                        Some(f) => format!(", files={}", py_list(&f.iter().map(|n| py_str(n)).collect::<Vec<_>>())),
                        None => String::new(),
                    };
                    self.w.line(&format!(
                        "# dataset {}: MNIST's IDX files; fields images, labels of .train, .validation, .test",
                        py_str(&ds.name)
                    ));
                    self.w.line(&format!(
                        "{var} = read_data_sets({where_}, one_hot={}, validation_size={validation_size}{files})",
                        if *one_hot { "True" } else { "False" }
                    ));
                    self.image_data.insert(ds.name.clone());
                    self.data.insert(ds.name.clone(), (var, vec!["images".to_string(), "labels".to_string()]));
                }
                DatasetSource::NumpyRand { seed, rows, features, label } => {
                    let mut columns: Vec<String> = (1..=*features).map(|i| format!("x{i}")).collect();
                    columns.push("y".to_string());
                    let x = self.names.alloc(&format!("{}_X", ds.name));
                    self.w.line(&format!("# dataset {}: columns {}", py_str(&ds.name), columns.join(", ")));
                    // Python's sum adds left to right from 0, as flowbench does.
                    let label_expr = match label {
                        LabelRule::SumLessThan { threshold } => format!("float(sum(row) < {})", py_f64(*threshold)),
                        LabelRule::SquaresLessThan { threshold } => {
                            format!("float(sum(v ** 2 for v in row) < {})", py_f64(*threshold))
                        }
                        LabelRule::SumPlusNoise { divisor, offset } => {
                            format!("sum(row) + {x}_rdm.rand() / {} - {}", py_f64(*divisor), py_f64(*offset))
                        }
                    };
                    if matches!(label, LabelRule::SumPlusNoise { .. }) {
                        // The noise comes from the same RandomState, after the features.
                        self.w.line(&format!("{x}_rdm = np.random.RandomState({seed})"));
                        self.w.line(&format!("{x} = {x}_rdm.rand({rows}, {features})"));
                    } else {
                        self.w.line(&format!("{x} = np.random.RandomState({seed}).rand({rows}, {features})"));
                    }
                    self.w.line(&format!(
                        "{var} = np.array([list(row) + [{label_expr}] for row in {x}]).reshape({rows}, {})",
                        features + 1
                    ));
                    self.data.insert(ds.name.clone(), (var, columns));
                }
                DatasetSource::Csv { path, .. } if self.csv_too_big(ds) => {
                    let (columns, code) = self.csv_loader(ds, path, &var)?;
                    self.w.line(&format!("# dataset {}: columns {}", py_str(&ds.name), columns.join(", ")));
                    for l in code {
                        self.w.line(&l);
                    }
                    self.data.insert(ds.name.clone(), (var, columns));
                }
                _ => {
                    let base = self.opts.project_dir.as_deref();
                    let table = ds
                        .materialize_in(base)
                        .map_err(|message| ExportError::Dataset { name: ds.name.clone(), message })?;
                    self.w.line(&format!("# dataset {}: columns {}", py_str(&ds.name), table.columns.join(", ")));
                    let ncols = table.columns.len();
                    let mut body = String::new();
                    for r in 0..table.rows {
                        let row: Vec<String> =
                            (0..ncols).map(|c| table.get(r, c).map_or("0.0".to_string(), py_f64)).collect();
                        let _ = writeln!(body, "    [{}],", row.join(", "));
                    }
                    self.w.line(&format!("{var} = np.array(["));
                    self.w.out.push_str(&body);
                    self.w.line(&format!("], dtype=np.float64).reshape({}, {ncols})", table.rows));
                    self.data.insert(ds.name.clone(), (var, table.columns));
                }
            }
        }
        Ok(())
    }

    /// A Python expression for a data file's path: relative to the script where the script's
    /// folder is known, else absolute.
    fn data_path(&self, full: &Path) -> String {
        match &self.opts.script_dir {
            Some(sd) => match relative_path(sd, full) {
                Some(rel) => format!("os.path.join(os.path.dirname(os.path.abspath(__file__)), {})", py_str(&rel)),
                None => py_str(&full.display().to_string()),
            },
            None => py_str(&std::path::absolute(full).unwrap_or(full.to_path_buf()).display().to_string()),
        }
    }

    /// Whether the script needs [`INPUT_DATA`]: an IDX dataset, or a `next_batch` train loop.
    fn needs_input_data(&self) -> bool {
        fn next_batch(s: &Step) -> bool {
            match s {
                Step::TrainLoop { batching, .. } => matches!(batching, crate::train::Batching::NextBatch { .. }),
                Step::Try { body } | Step::TryQuiet { body } => next_batch(body),
                _ => false,
            }
        }
        self.project.datasets.iter().any(|d| matches!(d.source, DatasetSource::Idx { .. }))
            || self.project.script.iter().any(next_batch)
    }

    fn csv_too_big(&self, ds: &crate::train::data::dataset::Dataset) -> bool {
        match &ds.source {
            DatasetSource::Csv { path, columns, .. } => {
                let full = match &self.opts.project_dir {
                    Some(d) => d.join(path),
                    None => Path::new(path).to_path_buf(),
                };
                let bytes = std::fs::metadata(&full).map(|m| m.len()).unwrap_or(0);
                // A cheap estimate: about 8 bytes a value.
                bytes / 8 > (self.opts.embed_limit as u64).max(1) && !columns.is_empty()
            }
            _ => false,
        }
    }

    fn csv_loader(
        &mut self,
        ds: &crate::train::data::dataset::Dataset,
        path: &str,
        var: &str,
    ) -> Result<(Vec<String>, Vec<String>), ExportError> {
        let DatasetSource::Csv { header, select, columns, .. } = &ds.source else {
            return Err(ExportError::Dataset { name: ds.name.clone(), message: "not a CSV dataset".to_string() });
        };
        let full = match &self.opts.project_dir {
            Some(d) => d.join(path),
            None => Path::new(path).to_path_buf(),
        };
        let where_ = self.data_path(&full);
        let code = vec![
            "import csv, os".to_string(),
            format!("with open({where_}, newline=\"\") as f:"),
            format!(
                "    {var} = np.array([[float(row[k]) for k in {}] for row in list(csv.reader(f))[{}:] if row], dtype=np.float64)",
                py_list(select),
                usize::from(*header)
            ),
        ];
        Ok((columns.clone(), code))
    }

    fn graphs(&mut self) {
        let project = self.project;
        for gi in 0..project.graphs.len() {
            let gd = &project.graphs[gi];
            self.w.blank();
            let (var, is_default) = (self.graphs[gi].var.clone(), self.graphs[gi].is_default);
            if is_default {
                self.w.line(&format!("# ----- graph {} (the default graph) -----", py_str(&gd.name)));
                self.w.line(&format!("{var} = tf.get_default_graph()"));
            } else {
                self.w.line(&format!("# ----- graph {} -----", py_str(&gd.name)));
                self.w.line(&format!("{var} = tf.Graph()"));
            }
            if gd.nodes.is_empty() && gd.seed.is_none() {
                continue;
            }
            if !is_default {
                self.w.open(&format!("with {var}.as_default():"));
            }
            if let Some(s) = gd.seed {
                self.w.line(&format!("tf.set_random_seed({s})"));
            }
            let mut found = Vec::new();
            let Some(graph) = self.built.get(gi).and_then(Option::as_ref) else { continue };
            let units = plan_units(gd, graph, &mut found);
            for (name, k) in auto_seeds(gd, graph, &units) {
                self.explicit_seeds.insert((gi, name), k);
            }
            for u in found {
                self.unsupported(u.what, u.why);
            }
            for unit in units {
                self.unit(gi, gd, &unit);
            }
            if !is_default {
                self.w.close();
            }
        }
    }

    fn node_var(&mut self, gi: usize, node_name: &str) -> String {
        let g = &self.graphs[gi];
        let base = if g.is_default { node_name.to_string() } else { format!("{}_{node_name}", g.var) };
        self.names.alloc(&base)
    }

    fn out_dtype(&self, gi: usize, node: &str) -> Option<DType> {
        let g = self.built.get(gi)?.as_ref()?;
        let id = g.find(node)?;
        g.node(id)?.outputs.first().map(|(d, _)| *d)
    }

    /// Writes `stmt` inside the node's device and control-dependency scopes.
    fn scoped(&mut self, gi: usize, node: &NodeDef, stmts: &[String]) {
        let mut opened = 0;
        if !node.device.is_empty() {
            self.w.open(&format!("with tf.device({}):", py_str(&node.device)));
            opened += 1;
        }
        if !node.control_inputs.is_empty() {
            let ops: Vec<String> = node.control_inputs.iter().map(|c| self.graphs[gi].op(c)).collect();
            self.w.open(&format!("with tf.control_dependencies([{}]):", ops.join(", ")));
            opened += 1;
        }
        for s in stmts {
            self.w.line(s);
        }
        for _ in 0..opened {
            self.w.close();
        }
    }

    fn unit(&mut self, gi: usize, gd: &GraphDef, unit: &Unit) {
        match unit {
            Unit::Node(i) if self.is_global_init(gd, *i) => {
                let node = &gd.nodes[*i];
                let var = self.node_var(gi, &node.name);
                let stmt = if node.name == "init" {
                    format!("{var} = tf.global_variables_initializer()")
                } else {
                    format!("{var} = tf.variables_initializer(tf.global_variables(), name={})", py_str(&node.name))
                };
                self.w.line(&stmt);
                self.graphs[gi].bindings.insert(node.name.clone(), Binding { op: var, tensors: vec![], repr: None });
            }
            Unit::Node(i) => {
                let node = &gd.nodes[*i];
                let seed_override = self.seed_override(gd, &node.op);
                let gvar = self.graphs[gi].var.clone();
                let inputs: Vec<String> = node.inputs.iter().map(|s| self.graphs[gi].tensor(s)).collect();
                match self.op_call(gi, node, &inputs, &node.name) {
                    Ok((expr, outputs)) => {
                        let var = self.node_var(gi, &node.name);
                        let mut stmts = Vec::new();
                        if let Some(s) = seed_override {
                            stmts.push(format!("{gvar}.seed = {s}  # the graph seed this op was built under"));
                        }
                        stmts.push(format!("{var} = {expr}"));
                        if seed_override.is_some() {
                            stmts.push(format!(
                                "{gvar}.seed = {}",
                                gd.seed.map_or("None".to_string(), |s| s.to_string())
                            ));
                        }
                        self.scoped(gi, node, &stmts);
                        let binding = match outputs {
                            0 => Binding { op: var.clone(), tensors: vec![], repr: None },
                            1 => Binding::tensor(&var),
                            k => Binding {
                                op: format!("{var}[0].op"),
                                tensors: (0..k).map(|j| format!("{var}[{j}]")).collect(),
                                repr: None,
                            },
                        };
                        self.graphs[gi].bindings.insert(node.name.clone(), binding);
                    }
                    Err(why) => self.unsupported(
                        format!("graph '{}', node '{}' ({})", gd.name, node.name, node.op.type_name()),
                        why,
                    ),
                }
            }
            Unit::Variable { var, assign, inline_init } => {
                let vnode = &gd.nodes[*var];
                let anode = &gd.nodes[*assign];
                let pv = self.node_var(gi, &vnode.name);
                let initial = match inline_init {
                    Some(i) => {
                        let inode = &gd.nodes[*i];
                        let short =
                            inode.name.strip_prefix(&format!("{}/Initializer/", vnode.name)).unwrap_or(&inode.name);
                        match self.op_call(gi, inode, &[], short) {
                            Ok((expr, _)) => Ok(format!("lambda: {expr}")),
                            Err(why) => Err((inode, why)),
                        }
                    }
                    None => Ok(anode.inputs.get(1).map_or_else(|| "None".to_string(), |s| self.graphs[gi].tensor(s))),
                };
                let initial = match initial {
                    Ok(x) => x,
                    Err((inode, why)) => {
                        let what = format!("graph '{}', node '{}' ({})", gd.name, inode.name, inode.op.type_name());
                        self.unsupported(what, why);
                        return;
                    }
                };
                let stmt = format!("{pv} = tf.Variable({initial}, name={})", py_str(&vnode.name));
                let mut scope_node = vnode.clone();
                scope_node.control_inputs.extend(anode.control_inputs.iter().cloned());
                self.scoped(gi, &scope_node, &[stmt]);
                let g = &mut self.graphs[gi];
                g.bindings.insert(
                    vnode.name.clone(),
                    Binding {
                        op: format!("{pv}.op"),
                        tensors: vec![pv.clone()],
                        repr: Some(format!("{pv}.op.outputs[0]")),
                    },
                );
                g.bindings.insert(
                    anode.name.clone(),
                    Binding {
                        op: format!("{pv}.initializer"),
                        tensors: vec![format!("{pv}.initializer.outputs[0]")],
                        repr: None,
                    },
                );
                if let Some(i) = inline_init {
                    g.bindings.insert(
                        gd.nodes[*i].name.clone(),
                        Binding {
                            op: format!("{pv}.initial_value.op"),
                            tensors: vec![format!("{pv}.initial_value")],
                            repr: None,
                        },
                    );
                }
            }
            Unit::Optimizer(p) => {
                let train = &gd.nodes[p.train];
                let pv = self.node_var(gi, &train.name);
                let loss = self.graphs[gi].tensor(&p.loss);
                let vars: Vec<String> = p.vars.iter().map(|&v| self.graphs[gi].tensor(&gd.nodes[v].name)).collect();
                self.w.line(&format!(
                    "# {}: the gradients of {} and the optimizer's slots and updates",
                    train.name, p.loss
                ));
                let constructor = match &p.lr_tensor {
                    Some(t) => p.constructor.replace("{LR}", &self.graphs[gi].tensor(t)),
                    None => p.constructor.clone(),
                };
                let step = match p.global_step {
                    Some(s) => format!(", global_step={}", self.graphs[gi].tensor(&gd.nodes[s].name)),
                    None => String::new(),
                };
                let stmt = format!(
                    "{pv} = {constructor}.minimize({loss}, var_list=[{}]{step}, name={})",
                    vars.join(", "),
                    py_str(&train.name)
                );
                let mut scope_node = train.clone();
                scope_node.control_inputs.clear();
                self.scoped(gi, &scope_node, &[stmt]);
                self.graphs[gi]
                    .bindings
                    .insert(train.name.clone(), Binding { op: pv.clone(), tensors: vec![], repr: None });
            }
        }
    }

    /// A `NoOp` grouping the initializers of every variable of the graph, as
    /// `tf.global_variables_initializer()` builds it.
    fn is_global_init(&self, gd: &GraphDef, i: usize) -> bool {
        is_global_init_in(gd, i)
    }

    /// The graph seed to set around a random op whose `seed` attr is not the graph's.
    fn seed_override(&self, gd: &GraphDef, op: &Op) -> Option<i64> {
        let (seed, seed2) = random_seeds(op)?;
        if seed == 0 && seed2 == 0 {
            return None;
        }
        let expected = gd.seed.unwrap_or(DEFAULT_GRAPH_SEED);
        if seed == expected { None } else { Some(seed) }
    }

    /// The Python call that creates `node` (named `name`), and its number of outputs.
    fn op_call(&self, gi: usize, node: &NodeDef, ins: &[String], name: &str) -> Result<(String, usize), String> {
        let nm = py_str(name);
        let arg = |k: usize| -> Result<&str, String> {
            ins.get(k).map(String::as_str).ok_or_else(|| format!("input {k} is missing"))
        };
        let call1 = |f: &str| -> Result<(String, usize), String> { Ok((format!("{f}({}, name={nm})", arg(0)?), 1)) };
        let call2 = |f: &str| -> Result<(String, usize), String> {
            Ok((format!("{f}({}, {}, name={nm})", arg(0)?, arg(1)?), 1))
        };
        match &node.op {
            Op::Const { value } => {
                let v: &Value = &value.0;
                Ok((format!("tf.constant({}, dtype={}, name={nm})", py_json(&v.to_json()), py_dtype(v.dtype())), 1))
            }
            Op::Placeholder { dtype, shape } => {
                Ok((format!("tf.placeholder({}, shape={}, name={nm})", py_dtype(*dtype), py_shape(shape)), 1))
            }
            Op::Variable { .. } => Err("a variable without an initializer Assign has no tf.Variable form".to_string()),
            Op::Assign { .. } => call2("tf.assign"),
            Op::AssignAdd => call2("tf.assign_add"),
            Op::AssignSub => call2("tf.assign_sub"),
            Op::Select => Ok((format!("tf.where({}, {}, {}, name={nm})", arg(0)?, arg(1)?, arg(2)?), 1)),
            Op::L2Loss => call1("tf.nn.l2_loss"),
            Op::AddN { .. } => Ok((format!("tf.add_n([{}], name={nm})", ins.join(", ")), 1)),
            Op::ArgMax { axis, output_type } => {
                let ot = if *output_type == DType::Int64 { String::new() } else { format!(", output_type={}", py_dtype(*output_type)) };
                Ok((format!("tf.argmax({}, {axis}{ot}, name={nm})", arg(0)?), 1))
            }
            Op::SparseSoftmaxCrossEntropyWithLogits => Ok((
                format!(
                    "tf.raw_ops.SparseSoftmaxCrossEntropyWithLogits(features={}, labels={}, name={nm})",
                    arg(0)?,
                    arg(1)?
                ),
                2,
            )),
            Op::Identity => call1("tf.identity"),
            Op::NoOp => Ok((format!("tf.no_op(name={nm})"), 0)),
            Op::Binary { kind } => {
                let f = match (kind, self.out_dtype(gi, &node.name)) {
                    (BinaryOp::Div, Some(DType::Int32 | DType::Int64)) => "tf.truncatediv",
                    _ => kind.facts().python,
                };
                call2(f)
            }
            Op::Unary { kind } => call1(kind.facts().python),
            Op::MatMul { transpose_a, transpose_b } => {
                let mut flags = String::new();
                if *transpose_a {
                    flags.push_str(", transpose_a=True");
                }
                if *transpose_b {
                    flags.push_str(", transpose_b=True");
                }
                Ok((format!("tf.matmul({}, {}{flags}, name={nm})", arg(0)?, arg(1)?), 1))
            }
            Op::ClipByValue => {
                Ok((format!("tf.clip_by_value({}, {}, {}, name={nm})", arg(0)?, arg(1)?, arg(2)?), 1))
            }
            Op::Reduce { kind, axes, keep_dims } => {
                let f = kind.facts().python;
                let mut extra = String::new();
                if let Some(ax) = axes {
                    let _ = write!(extra, ", axis={}", py_list(ax));
                }
                if *keep_dims {
                    extra.push_str(", keepdims=True");
                }
                Ok((format!("{f}({}{extra}, name={nm})", arg(0)?), 1))
            }
            Op::Softmax => call1("tf.nn.softmax"),
            Op::SigmoidCrossEntropyWithLogits => Ok((
                format!("tf.nn.sigmoid_cross_entropy_with_logits(labels={}, logits={}, name={nm})", arg(0)?, arg(1)?),
                1,
            )),
            Op::SoftmaxCrossEntropyWithLogits => Ok((
                format!("tf.raw_ops.SoftmaxCrossEntropyWithLogits(features={}, labels={}, name={nm})", arg(1)?, arg(0)?),
                2,
            )),
            Op::Fill { dtype, shape, value } => {
                let v = match dtype {
                    DType::Float32 | DType::Float64 => py_float_for(*value, *dtype),
                    DType::Int32 | DType::Int64 => format!("{}", *value as i64),
                    DType::Bool => if *value != 0.0 { "True" } else { "False" }.to_string(),
                };
                Ok((format!("tf.fill({}, {}({v}), name={nm})", py_list(shape), np_dtype(*dtype)), 1))
            }
            Op::Cast { to } => Ok((format!("tf.cast({}, {}, name={nm})", arg(0)?, py_dtype(*to)), 1)),
            Op::RandomStandardNormal { dtype, shape, mean, stddev, seed, seed2 } => Ok((
                format!(
                    "tf.random_normal({}, mean={}, stddev={}, dtype={}{}, name={nm})",
                    py_list(shape),
                    py_float_for(*mean, *dtype),
                    py_float_for(*stddev, *dtype),
                    py_dtype(*dtype),
                    self.seed_arg(gi, node, *seed, *seed2)
                ),
                1,
            )),
            Op::TruncatedNormal { dtype, shape, mean, stddev, seed, seed2 } => Ok((
                format!(
                    "tf.truncated_normal({}, mean={}, stddev={}, dtype={}{}, name={nm})",
                    py_list(shape),
                    py_float_for(*mean, *dtype),
                    py_float_for(*stddev, *dtype),
                    py_dtype(*dtype),
                    self.seed_arg(gi, node, *seed, *seed2)
                ),
                1,
            )),
            Op::RandomUniform { dtype, shape, minval, maxval, seed, seed2 } => Ok((
                format!(
                    "tf.random_uniform({}, minval={}, maxval={}, dtype={}{}, name={nm})",
                    py_list(shape),
                    py_float_for(*minval, *dtype),
                    py_float_for(*maxval, *dtype),
                    py_dtype(*dtype),
                    self.seed_arg(gi, node, *seed, *seed2)
                ),
                1,
            )),
            Op::UnaryGrad { kind } => match kind.grad() {
                UnaryGrad::Kernel(k) => {
                    let [(n0, i0), (n1, i1)] = k.facts().tf_args;
                    Ok((format!("tf.raw_ops.{}({n0}={}, {n1}={}, name={nm})", k.tf_name(), arg(i0)?, arg(i1)?), 1))
                }
                UnaryGrad::Built(_) | UnaryGrad::None => Err("flowbench's gradient op has no TF op".to_string()),
            },
            Op::ExpandDims { axis } => Ok((format!("tf.expand_dims({}, {axis}, name={nm})", arg(0)?), 1)),
            Op::OnesLike => call1("tf.ones_like"),
            Op::ZerosLike => call1("tf.zeros_like"),
            Op::ClipByValueGrad
            | Op::MaximumMinimumGrad { .. }
            | Op::SumToShape
            | Op::ReduceGrad { .. }
            | Op::SoftmaxGrad
            | Op::SigmoidCrossEntropyGrad => Err(
                "flowbench's gradient op has no single TF op (gradients are exported as an optimizer's minimize(), which was not found for this node)"
                    .to_string(),
            ),
            Op::ApplyGradientDescent | Op::ApplyMomentum { .. } | Op::ApplyAdam { .. } | Op::ApplyRMSProp => Err(
                "an apply op is exported only as part of an optimizer's minimize(), which was not found for this node"
                    .to_string(),
            ),
            Op::Unregistered { op_type, .. } => Err(format!("op '{op_type}' is not one flowbench has")),
        }
    }

    // ----- the script -----

    fn graph_index(&self, name: Option<&str>) -> usize {
        let name = name.unwrap_or(&self.project.default_graph);
        self.graphs.iter().position(|g| g.name == name).unwrap_or(0)
    }

    fn default_session(&self) -> Option<&String> {
        self.default_stack.last().or(self.interactive.last())
    }

    /// The graph names resolve in for a step on `session` (or the default session).
    fn names_graph(&self, session: Option<&str>, graph: Option<&str>) -> usize {
        if graph.is_some() {
            return self.graph_index(graph);
        }
        let sid = session.map(str::to_string).or_else(|| self.default_session().cloned());
        let g = sid.and_then(|s| self.session_graph.get(&s).cloned());
        self.graph_index(g.as_deref())
    }

    fn session_expr(&self, session: Option<&str>) -> String {
        match session {
            Some(s) => self.session_vars.get(s).cloned().unwrap_or_else(|| sanitize(s)),
            None => "tf.get_default_session()".to_string(),
        }
    }

    fn feed_dict(&self, gi: usize, feeds: &[FeedDef]) -> String {
        let items: Vec<String> =
            feeds.iter().map(|f| format!("{}: {}", self.graphs[gi].tensor(&f.tensor), py_json(&f.value))).collect();
        format!("{{{}}}", items.join(", "))
    }

    fn script(&mut self) {
        self.w.blank();
        self.w.line("# ----- the program -----");
        let steps = self.project.script.clone();
        let mark = self.w.out.len();
        for step in &steps {
            self.step(step);
        }
        while !self.w.blocks.is_empty() {
            self.w.close();
        }
        if self.needs_error_line {
            let helper = [
                "",
                "",
                "def error_line(e):",
                "    \"\"\"`type(e).__name__ + \": \" + str(e)`, with a TF runtime error cut to TF's own message.\"\"\"",
                "    text = str(e)",
                "    if isinstance(e, tf.errors.OpError):",
                "        lines = [l for l in e.message.split(\"\\n\") if l.strip()]",
                "        # TF 2.x wraps the kernel's message: \"Graph execution error: ... Node: 'x'\", message, \"[[{{node x}}]]\".",
                "        after = [lines[k + 1] for k in range(len(lines) - 1) if lines[k].startswith(\"Node: \")]",
                "        text = after[0] if after else (lines[0] if lines else \"\")",
                "    return type(e).__name__ + \": \" + text",
                "",
                "",
            ];
            let tail = self.w.out.split_off(mark);
            let head = self.w.out.trim_end_matches('\n').to_string();
            self.w.out = head + "\n" + &helper.join("\n") + tail.trim_start_matches('\n');
        }
    }

    fn step(&mut self, step: &Step) {
        match step {
            Step::Comment { text } => {
                for l in text.lines() {
                    self.w.line(&format!("# {l}"));
                }
            }
            Step::OpenSession { id, graph, config, interactive } => {
                let var = self.session_expr(Some(id));
                let mut args = Vec::new();
                let gi = self.graph_index(graph.as_deref());
                if !self.graphs[gi].is_default {
                    args.push(format!("graph={}", self.graphs[gi].var));
                }
                if let Some(c) = config {
                    match self.configs.get(c) {
                        Some(v) => args.push(format!("config={v}")),
                        None => self.unsupported(format!("session '{id}'"), format!("there is no config named '{c}'")),
                    }
                }
                let ctor = if *interactive { "tf.InteractiveSession" } else { "tf.Session" };
                self.w.line(&format!("{var} = {ctor}({})", args.join(", ")));
                self.session_graph.insert(id.clone(), self.graphs[gi].name.clone());
                if *interactive {
                    self.interactive.retain(|s| s != id);
                    self.interactive.push(id.clone());
                }
            }
            Step::EnterDefault { session } => {
                let var = self.session_expr(Some(session));
                self.w.open(&format!("with {var}.as_default():"));
                self.default_stack.push(session.clone());
            }
            Step::ExitDefault => {
                if self.default_stack.pop().is_some() && !self.w.blocks.is_empty() {
                    self.w.close();
                }
            }
            Step::CloseSession { session } => {
                let var = self.session_expr(Some(session));
                self.w.line(&format!("{var}.close()"));
                self.interactive.retain(|s| s != session);
            }
            Step::Run { session, fetches, targets, feeds, graph, print } => {
                let gi = self.names_graph(session.as_deref(), graph.as_deref());
                let g = &self.graphs[gi];
                let f: Vec<String> = fetches.iter().map(|t| g.tensor(t)).collect();
                let t: Vec<String> = targets.iter().map(|t| g.op(t)).collect();
                let fd =
                    if feeds.is_empty() { String::new() } else { format!("feed_dict={}", self.feed_dict(gi, feeds)) };
                let with_fd = |s: &str| if fd.is_empty() { s.to_string() } else { format!("{s}, {fd}") };
                if session.is_none() && f.is_empty() && t.len() == 1 {
                    self.w.line(&format!("{}.run({fd})", t[0]));
                    if *print {
                        self.w.line("print()");
                    }
                    return;
                }
                if session.is_none() && f.len() == 1 && t.is_empty() {
                    let call = format!("{}.eval({fd})", f[0]);
                    self.w.line(&if *print { format!("print({call})") } else { call });
                    return;
                }
                let sess = self.session_expr(session.as_deref());
                match (f.len(), t.len()) {
                    (1, 0) if *print => self.w.line(&format!("print({sess}.run({}))", with_fd(&f[0]))),
                    (0, 1) => {
                        self.w.line(&format!("{sess}.run({})", with_fd(&t[0])));
                        if *print {
                            self.w.line("print()");
                        }
                    }
                    _ => {
                        let all: Vec<String> = f.iter().chain(&t).cloned().collect();
                        let call = format!("{sess}.run({})", with_fd(&format!("[{}]", all.join(", "))));
                        if *print && !f.is_empty() {
                            self.w.line(&format!("fetched = {call}"));
                            self.w.open(&format!("for value in fetched[:{}]:", f.len()));
                            self.w.line("print(value)");
                            self.w.close();
                        } else {
                            self.w.line(&call);
                            if *print {
                                self.w.line("print()");
                            }
                        }
                    }
                }
            }
            Step::Print { args, sep, end } => {
                let mut parts = Vec::new();
                for a in args {
                    parts.push(self.print_arg(a));
                }
                if let Some(s) = sep {
                    parts.push(format!("sep={}", py_str(s)));
                }
                if let Some(e) = end {
                    parts.push(format!("end={}", py_str(e)));
                }
                self.w.line(&format!("print({})", parts.join(", ")));
            }
            Step::AddNode { graph, node } => {
                let gi = self.graph_index(graph.as_deref());
                if let Some(plan) = self.added.get_mut(gi).and_then(Option::as_mut)
                    && let Some(&u) = plan.unit_of.get(&node.name)
                {
                    // Built with the other nodes of its statement, once they are all added.
                    plan.remaining[u] = plan.remaining[u].saturating_sub(1);
                    if plan.remaining[u] > 0 {
                        return;
                    }
                    let (gd, unit) = (plan.gd.clone(), plan.units[u].clone());
                    let opened = !self.graphs[gi].is_default;
                    if opened {
                        let gv = self.graphs[gi].var.clone();
                        self.w.open(&format!("with {gv}.as_default():"));
                    }
                    self.unit(gi, &gd, &unit);
                    if opened {
                        self.w.close();
                    }
                    return;
                }
                let opened = !self.graphs[gi].is_default;
                if opened {
                    let gv = self.graphs[gi].var.clone();
                    self.w.open(&format!("with {gv}.as_default():"));
                }
                let inputs: Vec<String> = node.inputs.iter().map(|s| self.graphs[gi].tensor(s)).collect();
                match self.op_call(gi, node, &inputs, &node.name) {
                    Ok((expr, _)) => {
                        // TF makes the name unique as flowbench does; later steps find the node by name.
                        let var = self.node_var(gi, &format!("{}_node", node.name));
                        self.scoped(gi, node, &[format!("{var} = {expr}")]);
                    }
                    Err(why) => self.unsupported(
                        format!(
                            "graph '{}', added node '{}' ({})",
                            self.graphs[gi].name,
                            node.name,
                            node.op.type_name()
                        ),
                        why,
                    ),
                }
                if opened {
                    self.w.close();
                }
            }
            Step::TrainLoop {
                session, dataset, feeds, train_op, fetches, steps, batch_size, batching, log, ..
            } => {
                let gi = self.names_graph(session.as_deref(), None);
                let sess = self.session_expr(session.as_deref());
                let found = if dataset.is_empty() {
                    Some((String::new(), Vec::new()))
                } else {
                    self.data.get(dataset).cloned()
                };
                let Some((data, columns)) = found else {
                    self.unsupported(format!("train loop on '{dataset}'"), "the dataset is missing".to_string());
                    return;
                };
                let images = self.image_data.contains(dataset);
                let eval_split = log.as_ref().and_then(|l| l.split).unwrap_or_default().name();
                let mut arrays = Vec::new();
                let mut full_items = Vec::new();
                let mut placeholders = Vec::new();
                let column_index = crate::train::data::table::index_of(&columns);
                let mut fields = Vec::new();
                for fdef in feeds {
                    let idx: Option<Vec<usize>> =
                        fdef.columns.iter().map(|c| column_index.get(c.as_str()).copied()).collect();
                    let idx = idx.filter(|i| !images || i.len() == 1);
                    let Some(idx) = idx else {
                        self.unsupported(
                            format!("train loop feed of '{}'", fdef.tensor),
                            format!("dataset '{dataset}' lacks one of the columns {}", fdef.columns.join(", ")),
                        );
                        return;
                    };
                    let ph = self.graphs[gi].tensor(&fdef.tensor);
                    if images {
                        let field = &columns[idx[0]];
                        fields.push(field.clone());
                        arrays.push(format!("{data}.train.{field}"));
                        full_items.push(format!("{ph}: {data}.{eval_split}.{field}"));
                    } else {
                        let fv = self.names.alloc(&format!("{dataset}_{}", input_base(&fdef.tensor)));
                        self.w.line(&format!("{fv} = {data}[:, {}]  # {}", py_list(&idx), fdef.columns.join(", ")));
                        full_items.push(format!("{ph}: {fv}"));
                        arrays.push(fv);
                    }
                    placeholders.push(ph);
                }
                let next_batch = match batching {
                    crate::train::Batching::Cyclic => None,
                    crate::train::Batching::NextBatch { numpy_seed, shuffle } => Some((*numpy_seed, *shuffle)),
                };
                let batches = match next_batch {
                    Some(_) => self.names.alloc(&format!("{dataset}_batches")),
                    None => String::new(),
                };
                let feed_items: Vec<String> = match next_batch {
                    Some(_) => placeholders.iter().enumerate().map(|(k, ph)| format!("{ph}: batch[{k}]")).collect(),
                    None => placeholders.iter().zip(&arrays).map(|(ph, a)| format!("{ph}: {a}[start:end]")).collect(),
                };
                if let Some((seed, _)) = next_batch {
                    if let Some(s) = seed {
                        self.w.line(&format!("np.random.seed({s})"));
                    }
                    self.w.line(&format!("{batches} = DataSet({})", arrays.join(", ")));
                }
                let g = &self.graphs[gi];
                let mut run: Vec<String> = vec![g.op(train_op)];
                run.extend(fetches.iter().map(|f| g.tensor(f)));
                let run_expr = if run.len() == 1 { run[0].clone() } else { format!("[{}]", run.join(", ")) };
                let log_lines =
                    log.as_ref().map(|l| (l.every, g.tensor(&l.loss), python_format(&l.format), &l.args, &l.format));
                let log_block = log_lines.map(|(every, loss, (fmt, args), log_args, written)| {
                    let mut lines = Vec::new();
                    if log_args.is_empty() {
                        lines.push(format!("loss_value = {sess}.run({loss}, feed_dict={{{}}})", full_items.join(", ")));
                        lines.push(format!("print({} % ({}))", py_str(&fmt), args));
                    } else {
                        let feed = if full_items.is_empty() {
                            String::new()
                        } else {
                            format!(", feed_dict={{{}}}", full_items.join(", "))
                        };
                        let values: Vec<String> = log_args
                            .iter()
                            .map(|a| match a {
                                LogArg::Step => "i".to_string(),
                                LogArg::StepPlusOne => "i + 1".to_string(),
                                LogArg::Tensor(t) => format!("{sess}.run({}{feed})", self.graphs[gi].tensor(t)),
                            })
                            .collect();
                        // With explicit values the format is written as the project holds it.
                        lines.push(format!("print({} % ({}))", py_str(written), values.join(", ")));
                    }
                    (every, lines)
                });
                let before_step = log.as_ref().is_some_and(|l| l.before_step);
                self.w.open(&format!("for i in range({steps}):"));
                if let Some((every, lines)) = log_block.as_ref().filter(|_| before_step) {
                    self.w.open(&format!("if i % {every} == 0:"));
                    for l in lines {
                        self.w.line(l);
                    }
                    self.w.close();
                }
                if dataset.is_empty() {
                    self.w.line(&format!("{sess}.run({run_expr})"));
                } else {
                    match next_batch {
                        Some((_, shuffle)) => {
                            let sh = if shuffle { "" } else { ", shuffle=False" };
                            self.w.line(&format!("batch = {batches}.next_batch({batch_size}{sh})"));
                        }
                        None => {
                            let rows =
                                if images { format!("{data}.train.num_examples") } else { format!("len({data})") };
                            self.w.line(&format!("start = (i * {batch_size}) % {rows}"));
                            self.w.line(&format!("end = start + {batch_size}"));
                        }
                    }
                    self.w.line(&format!("{sess}.run({run_expr}, feed_dict={{{}}})", feed_items.join(", ")));
                }
                if let Some((every, lines)) = log_block.filter(|_| !before_step) {
                    self.w.open(&format!("if i % {every} == 0:"));
                    for l in &lines {
                        self.w.line(l);
                    }
                    self.w.close();
                }
                self.w.close();
                if let Some(end) = log.as_ref().and_then(|l| l.end.as_ref()) {
                    let split = end.split.unwrap_or_default().name();
                    let items: Vec<String> = if images {
                        placeholders.iter().zip(&fields).map(|(ph, f)| format!("{ph}: {data}.{split}.{f}")).collect()
                    } else {
                        full_items.clone()
                    };
                    let feed =
                        if items.is_empty() { String::new() } else { format!(", feed_dict={{{}}}", items.join(", ")) };
                    let values: Vec<String> = end
                        .args
                        .iter()
                        .map(|a| match a {
                            LogArg::Step => steps.to_string(),
                            LogArg::StepPlusOne => (steps + 1).to_string(),
                            LogArg::Tensor(t) => format!("{sess}.run({}{feed})", self.graphs[gi].tensor(t)),
                        })
                        .collect();
                    let tuple = match values.len() {
                        1 => format!("{},", values[0]),
                        _ => values.join(", "),
                    };
                    self.w.line(&format!("print({} % ({tuple}))", py_str(&end.format)));
                }
            }
            Step::SaveCheckpoint { session, path, var_list, max_to_keep, global_step, write_meta_graph } => {
                let opened = self.enter_session_graph(session.as_deref());
                let sess = self.session_expr(session.as_deref());
                let path = self.path_expr(path);
                let mut call = vec![sess, path.clone()];
                if let Some(g) = global_step {
                    call.push(format!("global_step={g}"));
                }
                if !write_meta_graph {
                    call.push("write_meta_graph=False".to_string());
                }
                let ctor = format!("tf.train.Saver({})", Self::saver_args(var_list, Some(*max_to_keep)));
                if global_step.is_some() && *max_to_keep > 0 {
                    self.w.line(&format!("saver = {ctor}"));
                    self.w.line(&format!("state = tf.train.get_checkpoint_state(os.path.dirname({path}))"));
                    self.w.open("if state:");
                    self.w.line("saver.recover_last_checkpoints(state.all_model_checkpoint_paths)");
                    self.w.close();
                    self.w.line(&format!("saver.save({})", call.join(", ")));
                } else {
                    self.w.line(&format!("{ctor}.save({})", call.join(", ")));
                }
                if opened {
                    self.w.close();
                }
            }
            Step::RestoreCheckpoint { session, path, var_list } => {
                let opened = self.enter_session_graph(session.as_deref());
                let sess = self.session_expr(session.as_deref());
                let path = self.path_expr(path);
                self.w.line(&format!("tf.train.Saver({}).restore({sess}, {path})", Self::saver_args(var_list, None)));
                if opened {
                    self.w.close();
                }
            }
            Step::PrintCheckpoint { path } => {
                let path = self.path_expr(path);
                self.w.line(&format!("reader = tf.train.NewCheckpointReader({path})"));
                self.w.open("for name, shape in sorted(reader.get_variable_to_shape_map().items()):");
                self.w.line("print(name, shape, reader.get_tensor(name))");
                self.w.close();
            }
            Step::TryQuiet { body } => {
                if matches!(
                    **body,
                    Step::EnterDefault { .. } | Step::ExitDefault | Step::Try { .. } | Step::TryQuiet { .. }
                ) {
                    self.unsupported("a try step".to_string(), "its body must be a single action".to_string());
                    return;
                }
                self.w.open("try:");
                self.step(body);
                self.w.close();
                self.w.open("except Exception:");
                self.w.line("pass  # caught; what the program printed for it follows");
                self.w.close();
            }
            Step::Try { body } => {
                if matches!(
                    **body,
                    Step::EnterDefault { .. } | Step::ExitDefault | Step::Try { .. } | Step::TryQuiet { .. }
                ) {
                    self.unsupported("a try step".to_string(), "its body must be a single action".to_string());
                    return;
                }
                self.needs_error_line = true;
                self.w.open("try:");
                self.step(body);
                self.w.close();
                self.w.open("except Exception as e:");
                self.w.line("print(error_line(e))");
                self.w.close();
            }
        }
    }

    fn print_arg(&mut self, a: &PrintArg) -> String {
        match a {
            PrintArg::Text(t) => py_str(t),
            PrintArg::ListDir { path } => format!("sorted(os.listdir({}))", self.path_expr(path)),
            PrintArg::Repr { tensor, graph } => self.graphs[self.graph_index(graph.as_deref())].repr(tensor),
            PrintArg::IsDefaultGraph { tensor, graph } => {
                format!(
                    "{}.graph is tf.get_default_graph()",
                    self.graphs[self.graph_index(graph.as_deref())].tensor(tensor)
                )
            }
            PrintArg::RunList { fetches, session, feeds } => {
                let gi = self.names_graph(session.as_deref(), None);
                let ts: Vec<String> = fetches.iter().map(|t| self.graphs[gi].tensor(t)).collect();
                let fd =
                    if feeds.is_empty() { String::new() } else { format!(", feed_dict={}", self.feed_dict(gi, feeds)) };
                format!("{}.run([{}]{fd})", self.session_expr(session.as_deref()), ts.join(", "))
            }
            PrintArg::Eval { tensor, graph, session, feeds } => match (session, graph) {
                (Some(sid), None) => {
                    let gi = self.names_graph(Some(sid), None);
                    let t = self.graphs[gi].tensor(tensor);
                    let fd = if feeds.is_empty() {
                        String::new()
                    } else {
                        format!(", feed_dict={}", self.feed_dict(gi, feeds))
                    };
                    format!("{}.run({t}{fd})", self.session_expr(Some(sid)))
                }
                _ => {
                    let gi = self.graph_index(graph.as_deref());
                    let t = self.graphs[gi].tensor(tensor);
                    let mut args = Vec::new();
                    if let Some(s) = session {
                        args.push(format!("session={}", self.session_expr(Some(s))));
                    }
                    if !feeds.is_empty() {
                        args.push(format!("feed_dict={}", self.feed_dict(gi, feeds)));
                    }
                    format!("{t}.eval({})", args.join(", "))
                }
            },
        }
    }
}

fn random_seeds(op: &Op) -> Option<(i64, i64)> {
    match op {
        Op::RandomStandardNormal { seed, seed2, .. }
        | Op::TruncatedNormal { seed, seed2, .. }
        | Op::RandomUniform { seed, seed2, .. } => Some((*seed, *seed2)),
        _ => None,
    }
}

impl Exporter<'_> {
    /// The `seed=` argument of a random op: its `seed2` attr when it has one; for a node stored
    /// without an op seed, none (TF derives it from the graph seed) unless [`auto_seeds`] found
    /// that TF's counter would give another value at this point of the script.
    fn seed_arg(&self, gi: usize, node: &NodeDef, seed: i64, seed2: i64) -> String {
        if seed == 0 && seed2 == 0 {
            match self.explicit_seeds.get(&(gi, node.name.clone())) {
                Some(k) => format!(", seed={k}"),
                None => String::new(),
            }
        } else {
            format!(", seed={seed2}")
        }
    }
}

/// The random nodes of a seeded graph stored without an op seed whose automatic op seed TF would
/// not derive as the lowering did, with the op seed to write for them. TF counts such ops in the
/// order the script creates them (units in `units` order); the lowering counted them in node
/// order. Where the two agree nothing is written and TF derives the same attrs; an op written
/// with `seed=` does not advance TF's counter.
fn auto_seeds(gd: &GraphDef, graph: &Graph, units: &[Unit]) -> Vec<(String, i64)> {
    if gd.seed.is_none() {
        return Vec::new();
    }
    let mut counter = 0i64;
    let mut explicit = Vec::new();
    for unit in units {
        let node = match unit {
            Unit::Node(i) => *i,
            Unit::Variable { inline_init: Some(i), .. } => *i,
            _ => continue,
        };
        let n = &gd.nodes[node];
        if random_seeds(&n.op) != Some((0, 0)) {
            continue;
        }
        let Some((_, k)) = graph.find(&n.name).and_then(|id| graph.node(id)).and_then(|x| random_seeds(&x.op)) else {
            continue;
        };
        if k == crate::engine::kernels::random::derive_seeds(gd.seed, None, counter).1 {
            counter += 1;
        } else {
            explicit.push((n.name.clone(), k));
        }
    }
    explicit
}

/// TF 1.x's MNIST `input_data` (which TF 2.x no longer ships), written into scripts that read
/// IDX files or batch with `next_batch`: the same reading, scaling, validation split and
/// batching (numpy's global RNG), for any number of arrays per set.
const INPUT_DATA: &[&str] = &[
    "# ----- TF 1.x's tensorflow.examples.tutorials.mnist.input_data (TF 2.x no longer ships it) -----",
    "import gzip",
    "import os",
    "",
    "MNIST_FILES = [\"train-images-idx3-ubyte.gz\", \"train-labels-idx1-ubyte.gz\", \"t10k-images-idx3-ubyte.gz\", \"t10k-labels-idx1-ubyte.gz\"]",
    "",
    "",
    "def _read_idx(path, magic):",
    "    if not os.path.exists(path) and path.endswith(\".gz\") and os.path.exists(path[:-3]):",
    "        path = path[:-3]",
    "    with open(path, \"rb\") as f:",
    "        data = f.read()",
    "    if data[:2] == b\"\\x1f\\x8b\":",
    "        data = gzip.decompress(data)",
    "    found = int.from_bytes(data[:4], \"big\")",
    "    if found != magic:",
    "        kind = \"image\" if magic == 2051 else \"label\"",
    "        raise ValueError(\"Invalid magic number %d in MNIST %s file: %s\" % (found, kind, path))",
    "    dims = [int.from_bytes(data[4 + 4 * k:8 + 4 * k], \"big\") for k in range(magic & 0xFF)]",
    "    return np.frombuffer(data, dtype=np.uint8, count=int(np.prod(dims)), offset=4 + 4 * len(dims)).reshape(dims)",
    "",
    "",
    "class DataSet(object):",
    "    \"\"\"input_data.DataSet: arrays of examples (images, labels, ...); next_batch shuffles them",
    "    together with numpy's global RNG at each epoch and joins an epoch's tail with the next one's head.\"\"\"",
    "",
    "    def __init__(self, *arrays):",
    "        self._arrays = list(arrays)",
    "        self._num_examples = arrays[0].shape[0]",
    "        self._epochs_completed = 0",
    "        self._index_in_epoch = 0",
    "",
    "    images = property(lambda self: self._arrays[0])",
    "    labels = property(lambda self: self._arrays[1])",
    "    num_examples = property(lambda self: self._num_examples)",
    "",
    "    def next_batch(self, batch_size, shuffle=True):",
    "        start = self._index_in_epoch",
    "        if self._epochs_completed == 0 and start == 0 and shuffle:",
    "            perm0 = np.arange(self._num_examples)",
    "            np.random.shuffle(perm0)",
    "            self._arrays = [a[perm0] for a in self._arrays]",
    "        if start + batch_size > self._num_examples:",
    "            self._epochs_completed += 1",
    "            rest = self._num_examples - start",
    "            rests = [a[start:self._num_examples] for a in self._arrays]",
    "            if shuffle:",
    "                perm = np.arange(self._num_examples)",
    "                np.random.shuffle(perm)",
    "                self._arrays = [a[perm] for a in self._arrays]",
    "            self._index_in_epoch = batch_size - rest",
    "            end = self._index_in_epoch",
    "            return tuple(np.concatenate((r, a[0:end]), axis=0) for r, a in zip(rests, self._arrays))",
    "        self._index_in_epoch += batch_size",
    "        end = self._index_in_epoch",
    "        return tuple(a[start:end] for a in self._arrays)",
    "",
    "",
    "class Datasets(object):",
    "    def __init__(self, train, validation, test):",
    "        self.train, self.validation, self.test = train, validation, test",
    "",
    "",
    "def read_data_sets(train_dir, one_hot=False, validation_size=5000, files=MNIST_FILES):",
    "    def images(name):",
    "        a = _read_idx(os.path.join(train_dir, name), 2051)",
    "        return np.multiply(a.reshape(a.shape[0], a.shape[1] * a.shape[2]).astype(np.float32), 1.0 / 255.0)",
    "",
    "    def labels(name):",
    "        a = _read_idx(os.path.join(train_dir, name), 2049)",
    "        if not one_hot:",
    "            return a",
    "        dense = np.zeros((a.shape[0], 10))",
    "        dense.flat[np.arange(a.shape[0]) * 10 + a.ravel()] = 1",
    "        return dense",
    "",
    "    train_images, train_labels = images(files[0]), labels(files[1])",
    "    test_images, test_labels = images(files[2]), labels(files[3])",
    "    if not 0 <= validation_size <= len(train_images):",
    "        raise ValueError(\"validation_size should be between 0 and %d\" % len(train_images))",
    "    return Datasets(DataSet(train_images[validation_size:], train_labels[validation_size:]),",
    "                    DataSet(train_images[:validation_size], train_labels[:validation_size]),",
    "                    DataSet(test_images, test_labels))",
];

/// A `tf.ConfigProto(...)` expression with the fields that differ from the default.
fn config_expr(c: &ConfigProto) -> String {
    let mut args = Vec::new();
    if c.allow_soft_placement {
        args.push("allow_soft_placement=True".to_string());
    }
    if c.log_device_placement {
        args.push("log_device_placement=True".to_string());
    }
    if c.intra_op_parallelism_threads > 0 {
        args.push(format!("intra_op_parallelism_threads={}", c.intra_op_parallelism_threads));
    }
    if c.inter_op_parallelism_threads > 0 {
        args.push(format!("inter_op_parallelism_threads={}", c.inter_op_parallelism_threads));
    }
    if c.operation_timeout_in_ms != 0 {
        args.push(format!("operation_timeout_in_ms={}", c.operation_timeout_in_ms));
    }
    let mut gpu = Vec::new();
    if c.gpu_options.allow_growth {
        gpu.push("allow_growth=True".to_string());
    }
    if c.gpu_options.per_process_gpu_memory_fraction > 0.0 {
        gpu.push(format!("per_process_gpu_memory_fraction={}", py_f64(c.gpu_options.per_process_gpu_memory_fraction)));
    }
    if !gpu.is_empty() {
        args.push(format!("gpu_options=tf.GPUOptions({})", gpu.join(", ")));
    }
    format!("tf.ConfigProto({})", args.join(", "))
}

/// Turns a train-loop log format into a Python `%` format and its argument tuple, converting as
/// flowbench does: the first `%d` takes the step, float conversions take the loss, an unknown
/// conversion is printed as written.
fn python_format(format: &str) -> (String, String) {
    let mut out = String::new();
    let mut args: Vec<&str> = Vec::new();
    let mut used_step = false;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut precision = String::new();
        if chars.peek() == Some(&'.') {
            chars.next();
            while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                precision.push(d);
                chars.next();
            }
        }
        let prec = if precision.is_empty() { String::new() } else { format!(".{precision}") };
        match chars.next() {
            Some('%') => out.push_str("%%"),
            Some('d') | Some('i') if !used_step => {
                used_step = true;
                out.push_str("%d");
                args.push("i");
            }
            Some('d') | Some('i') => {
                out.push_str("%d");
                args.push("int(loss_value)");
            }
            Some(k @ ('g' | 'f' | 'e')) => {
                let _ = write!(out, "%{prec}{k}");
                args.push("loss_value");
            }
            Some(other) => {
                out.push_str("%%");
                out.push(other);
            }
            None => out.push_str("%%"),
        }
    }
    let args = match args.len() {
        1 => format!("{},", args[0]),
        _ => args.join(", "),
    };
    (out, args)
}

/// Word-wraps `text` at `width` columns.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut cur = String::new();
        for word in para.split_whitespace() {
            if !cur.is_empty() && cur.len() + 1 + word.len() > width {
                lines.push(std::mem::take(&mut cur));
            }
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
        lines.push(cur);
    }
    lines
}

/// `to` relative to the directory `from`, with `/` separators (None when they share no root).
fn relative_path(from: &Path, to: &Path) -> Option<String> {
    let from = std::path::absolute(from).ok()?;
    let to = std::path::absolute(to).ok()?;
    let a: Vec<_> = from.components().collect();
    let b: Vec<_> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return None;
    }
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(b[common..].iter().map(|c| c.as_os_str().to_string_lossy().to_string()));
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_stay_readable_identifiers() {
        assert_eq!(sanitize("计算图一"), "计算图一");
        assert_eq!(sanitize("默认图/层 1"), "默认图_层_1");
        assert_eq!(sanitize("１"), "_", "fullwidth digits change under NFKC: replaced");
    }

    #[test]
    fn literals() {
        assert_eq!(py_str("a\"b\n"), "\"a\\\"b\\n\"");
        assert_eq!(py_f64(1e-10), "1e-10");
        assert_eq!(py_f64(f64::NAN), "float(\"nan\")");
        assert_eq!(py_float_for(0.001f32 as f64, DType::Float32), "0.001");
        assert_eq!(py_shape(&Shape::from_dims(vec![None, Some(2)])), "(None, 2)");
        assert_eq!(py_shape(&Shape::known(&[3])), "(3,)");
        assert_eq!(sanitize("x-input"), "x_input");
        assert_eq!(sanitize("3d"), "n_3d");
    }

    #[test]
    fn log_formats() {
        assert_eq!(
            python_format("After %d step(s), loss %g"),
            ("After %d step(s), loss %g".to_string(), "i, loss_value".to_string())
        );
        assert_eq!(python_format("%.3f (100%%) %s"), ("%.3f (100%%) %%s".to_string(), "loss_value,".to_string()));
    }

    #[test]
    fn names_are_unique_and_not_reserved() {
        let mut n = Names::new();
        assert_eq!(n.alloc("x-input"), "x_input");
        assert_eq!(n.alloc("x_input"), "x_input_2");
        assert_eq!(n.alloc("tf"), "tf_2");
    }
}
