//! `tf.train` optimizers: GradientDescent, Momentum (with Nesterov), Adam and RMSProp.
//! `minimize(loss)` adds the gradients, the slot variables named as TF names them
//! (`w1/Adam`, `w1/Adam_1`, `beta1_power`, `beta2_power`), one apply op per variable and the
//! train op that groups them, and returns a [`Minimized`] record of what it built.
//! [`recover_minimized`] finds the same record in a graph loaded from a file, from its
//! structure alone (the train op's control inputs, the apply ops' ref inputs, op kinds), never
//! from node names.

use crate::engine::autodiff::gradients::gradients;
use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::graph::elementwise::BinaryOp;
use crate::engine::graph::op::Op;
use crate::engine::graph::{Graph, Initializer, NodeId, NodeSpec, Output};
use crate::engine::value::Value;
use serde::{Deserialize, Serialize};

/// An optimizer with its hyper-parameters (TF's defaults where TF has them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Optimizer {
    /// `tf.train.GradientDescentOptimizer(learning_rate)`.
    GradientDescent {
        /// Learning rate.
        learning_rate: f64,
    },
    /// `tf.train.MomentumOptimizer(learning_rate, momentum, use_nesterov)`.
    Momentum {
        /// Learning rate.
        learning_rate: f64,
        /// Momentum.
        momentum: f64,
        /// Nesterov momentum.
        #[serde(default)]
        use_nesterov: bool,
    },
    /// `tf.train.AdamOptimizer(learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-8)`.
    Adam {
        /// Learning rate.
        learning_rate: f64,
        /// beta1.
        #[serde(default = "beta1")]
        beta1: f64,
        /// beta2.
        #[serde(default = "beta2")]
        beta2: f64,
        /// epsilon.
        #[serde(default = "adam_eps")]
        epsilon: f64,
    },
    /// `tf.train.RMSPropOptimizer(learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10)`.
    RMSProp {
        /// Learning rate.
        learning_rate: f64,
        /// Decay (rho).
        #[serde(default = "rms_decay")]
        decay: f64,
        /// Momentum.
        #[serde(default)]
        momentum: f64,
        /// epsilon.
        #[serde(default = "rms_eps")]
        epsilon: f64,
    },
}

fn beta1() -> f64 {
    0.9
}
fn beta2() -> f64 {
    0.999
}
fn adam_eps() -> f64 {
    1e-8
}
fn rms_decay() -> f64 {
    0.9
}
fn rms_eps() -> f64 {
    1e-10
}

impl Optimizer {
    /// `AdamOptimizer(learning_rate)` with TF's defaults.
    pub fn adam(learning_rate: f64) -> Optimizer {
        Optimizer::Adam { learning_rate, beta1: beta1(), beta2: beta2(), epsilon: adam_eps() }
    }

    /// The name TF gives the optimizer (and its train op and scope).
    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::GradientDescent { .. } => "GradientDescent",
            Optimizer::Momentum { .. } => "Momentum",
            Optimizer::Adam { .. } => "Adam",
            Optimizer::RMSProp { .. } => "RMSProp",
        }
    }
}

fn scalar(g: &mut Graph, dtype: DType, x: f64, name: &str) -> Result<Output> {
    g.constant(Value::filled(dtype, &[], x), Some(name))
}

/// One variable `minimize` trains.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainedVariable {
    /// The variable.
    pub variable: Output,
    /// Its gradient (the apply op's gradient input).
    pub gradient: Output,
    /// Its slot variables, in the apply op's input order (`w/Adam`, `w/Adam_1`).
    pub slots: Vec<Output>,
    /// The apply op that updates it.
    pub apply: NodeId,
}

/// What `minimize` built.
#[derive(Clone, Debug, PartialEq)]
pub struct Minimized {
    /// The train op (a `NoOp` grouping the updates).
    pub train_op: NodeId,
    /// The optimizer; `None` when recovered from a graph whose hyper-parameters are not constant
    /// scalars.
    pub optimizer: Option<Optimizer>,
    /// The minimized loss.
    pub loss: Output,
    /// Each trained variable with its slots and apply op.
    pub variables: Vec<TrainedVariable>,
    /// Variables the optimizer owns that are no variable's slot (Adam's `beta1_power` and
    /// `beta2_power`).
    pub non_slots: Vec<Output>,
    /// The updates of the non-slot variables (Adam's `Assign` ops), run after the apply ops.
    pub extra_updates: Vec<NodeId>,
    /// `minimize(..., global_step=)`: the step variable the train op (an `AssignAdd` after the
    /// updates' `NoOp`) increments.
    pub global_step: Option<Output>,
}

impl Minimized {
    /// The apply ops, one per trained variable.
    pub fn apply_ops(&self) -> Vec<NodeId> {
        self.variables.iter().map(|v| v.apply).collect()
    }

    /// Every variable the optimizer created: the slots, then the non-slot variables.
    pub fn optimizer_variables(&self) -> Vec<Output> {
        self.variables.iter().flat_map(|v| v.slots.iter().copied()).chain(self.non_slots.iter().copied()).collect()
    }

    /// The initializers (`Assign` ops marked `initializer`) of the variables the optimizer
    /// created, in node order.
    pub fn optimizer_initializers(&self, g: &Graph) -> Vec<NodeId> {
        let vars = self.optimizer_variables();
        (0..g.nodes().len())
            .map(NodeId)
            .filter(|&id| {
                g.node(id).is_some_and(|n| {
                    matches!(n.op, Op::Assign { initializer: true })
                        && n.inputs.first().is_some_and(|x| vars.contains(x))
                })
            })
            .collect()
    }
}

/// Why a train op's structure is not one `minimize` builds (see [`recover_minimized`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotMinimized {
    /// The node is not a `NoOp` with apply ops among its control inputs.
    NoApplyOps,
    /// Its apply ops are of different kinds.
    MixedApplyKinds,
    /// Adam with Nesterov momentum (no `tf.train` optimizer builds it).
    NesterovAdam,
    /// An apply op lacks an input.
    MissingInput,
    /// The loss could not be found (no `OnesLike` seeds the gradients).
    NoLoss,
}

/// The ref inputs of an apply op that are slots, those that are non-slot variables, and the
/// gradient input.
fn apply_layout(op: &Op) -> Option<(&'static [usize], &'static [usize], usize)> {
    match op {
        Op::ApplyGradientDescent => Some((&[], &[], 2)),
        Op::ApplyMomentum { .. } => Some((&[1], &[], 3)),
        Op::ApplyAdam { .. } => Some((&[1, 2], &[3, 4], 9)),
        Op::ApplyRMSProp => Some((&[1, 2], &[], 7)),
        _ => None,
    }
}

/// The optimizer an apply op implies, from its constant scalar hyper-parameter inputs.
fn optimizer_of(g: &Graph, apply: &crate::engine::graph::Node) -> Option<Optimizer> {
    let c = |k: usize| -> Option<f64> {
        let n = g.node(apply.inputs.get(k)?.node)?;
        match &n.op {
            Op::Const { value } if value.0.len() == 1 => value.0.first_f64(),
            _ => None,
        }
    };
    match &apply.op {
        Op::ApplyGradientDescent => Some(Optimizer::GradientDescent { learning_rate: c(1)? }),
        Op::ApplyMomentum { use_nesterov } => {
            Some(Optimizer::Momentum { learning_rate: c(2)?, momentum: c(4)?, use_nesterov: *use_nesterov })
        }
        Op::ApplyAdam { use_nesterov: false } => {
            Some(Optimizer::Adam { learning_rate: c(5)?, beta1: c(6)?, beta2: c(7)?, epsilon: c(8)? })
        }
        Op::ApplyRMSProp => {
            Some(Optimizer::RMSProp { learning_rate: c(3)?, decay: c(4)?, momentum: c(5)?, epsilon: c(6)? })
        }
        _ => None,
    }
}

/// Every node `from` depends on, itself included, through data and control inputs.
pub fn ancestors(g: &Graph, from: &[NodeId]) -> std::collections::HashSet<NodeId> {
    let mut seen = std::collections::HashSet::new();
    let mut stack = from.to_vec();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(n) = g.node(id) {
            stack.extend(n.inputs.iter().map(|t| t.node));
            stack.extend(n.control_inputs.iter().copied());
        }
    }
    seen
}

/// Recovers what `minimize` built from the train op `train_op` of a graph (for instance one
/// loaded from a file), from structure only: the apply ops among the train op's control inputs,
/// their ref inputs (variable, slots, non-slot variables) and gradient inputs, the `Assign`
/// ops among the other control inputs, and the loss as the input of the `OnesLike` that seeds
/// the gradients.
pub fn recover_minimized(g: &Graph, train_op: NodeId) -> std::result::Result<Minimized, NotMinimized> {
    let node = g.node(train_op).ok_or(NotMinimized::NoApplyOps)?;
    // With a global step the train op is `AssignAdd(step, value)`, `value` a constant that runs
    // after the `NoOp` grouping the updates.
    let (train, global_step) = match node.op {
        Op::NoOp => (node, None),
        Op::AssignAdd => {
            let value = node.inputs.get(1).and_then(|t| g.node(t.node)).ok_or(NotMinimized::NoApplyOps)?;
            let group = match (&value.op, value.control_inputs.as_slice()) {
                (Op::Const { .. }, [group]) => g.node(*group).filter(|n| matches!(n.op, Op::NoOp)),
                _ => None,
            };
            (group.ok_or(NotMinimized::NoApplyOps)?, node.inputs.first().copied())
        }
        _ => return Err(NotMinimized::NoApplyOps),
    };
    let applies: Vec<NodeId> = train
        .control_inputs
        .iter()
        .copied()
        .filter(|&c| g.node(c).is_some_and(|n| apply_layout(&n.op).is_some()))
        .collect();
    let first = applies.first().and_then(|&a| g.node(a)).ok_or(NotMinimized::NoApplyOps)?;
    if applies
        .iter()
        .filter_map(|&a| g.node(a))
        .any(|n| std::mem::discriminant(&n.op) != std::mem::discriminant(&first.op))
    {
        return Err(NotMinimized::MixedApplyKinds);
    }
    if matches!(first.op, Op::ApplyAdam { use_nesterov: true }) {
        return Err(NotMinimized::NesterovAdam);
    }
    let optimizer = optimizer_of(g, first);
    let (slot_idx, non_slot_idx, grad_idx) = apply_layout(&first.op).ok_or(NotMinimized::NoApplyOps)?;
    let mut variables = Vec::with_capacity(applies.len());
    let mut non_slots: Vec<Output> = Vec::new();
    for &a in &applies {
        let n = g.node(a).ok_or(NotMinimized::MissingInput)?;
        let input = |k: usize| n.inputs.get(k).copied().ok_or(NotMinimized::MissingInput);
        let slots = slot_idx.iter().map(|&k| input(k)).collect::<std::result::Result<Vec<_>, _>>()?;
        for &k in non_slot_idx {
            let v = input(k)?;
            if !non_slots.contains(&v) {
                non_slots.push(v);
            }
        }
        variables.push(TrainedVariable { variable: input(0)?, gradient: input(grad_idx)?, slots, apply: a });
    }
    let extra_updates: Vec<NodeId> = train
        .control_inputs
        .iter()
        .copied()
        .filter(|&c| {
            g.node(c).is_some_and(|n| {
                matches!(n.op, Op::Assign { initializer: false })
                    && n.inputs.first().is_some_and(|v| non_slots.contains(v))
            })
        })
        .collect();
    // The gradients' seed: an `OnesLike` the first gradient depends on, and that no other such
    // candidate's input depends on (a forward `OnesLike` feeds the loss, so it is upstream of the
    // seed's input).
    let grad0 = variables.first().map(|v| v.gradient.node).ok_or(NotMinimized::NoApplyOps)?;
    let candidates: Vec<NodeId> = {
        let mut c: Vec<NodeId> = ancestors(g, &[grad0])
            .into_iter()
            .filter(|&id| g.node(id).is_some_and(|n| matches!(n.op, Op::OnesLike) && !n.inputs.is_empty()))
            .collect();
        c.sort();
        c
    };
    let seed = candidates.iter().copied().find(|&c| {
        candidates.iter().all(|&o| {
            o == c || g.node(o).and_then(|n| n.inputs.first()).is_none_or(|t| !ancestors(g, &[t.node]).contains(&c))
        })
    });
    let loss = seed.and_then(|s| g.node(s)).and_then(|n| n.inputs.first().copied()).ok_or(NotMinimized::NoLoss)?;
    Ok(Minimized { train_op, optimizer, loss, variables, non_slots, extra_updates, global_step })
}

/// The learning rate of `m` when it is a tensor rather than a constant (a decaying schedule such
/// as `tf.train.exponential_decay`): the first apply op's learning-rate input.
pub fn learning_rate_tensor(g: &Graph, m: &Minimized) -> Option<Output> {
    let apply = g.node(*m.apply_ops().first()?)?;
    let k = match apply.op {
        Op::ApplyGradientDescent => 1,
        Op::ApplyMomentum { .. } => 2,
        Op::ApplyAdam { .. } => 5,
        Op::ApplyRMSProp => 3,
        _ => return None,
    };
    let lr = *apply.inputs.get(k)?;
    g.node(lr.node).filter(|n| !matches!(n.op, Op::Const { .. })).map(|_| lr)
}

/// The `OnesLike` that seeds the gradients of `m` (its input is the loss).
pub fn gradient_seed(g: &Graph, m: &Minimized) -> Option<NodeId> {
    let grad0 = m.variables.first()?.gradient.node;
    let up = ancestors(g, &[grad0]);
    let mut seeds: Vec<NodeId> = up
        .into_iter()
        .filter(|&id| g.node(id).is_some_and(|n| matches!(n.op, Op::OnesLike) && n.inputs.first() == Some(&m.loss)))
        .collect();
    seeds.sort();
    seeds.last().copied()
}

/// Every node `minimize` built for `m`, in node order, found from structure: the nodes the
/// train op depends on that neither the loss nor the trained variables depend on (gradients,
/// hyper-parameter constants, slots, apply ops, updates); the initializers of the optimizer's
/// variables; and the gradient nodes no update uses (gradients with respect to placeholders),
/// which are the seed's descendants created between the seed and the train op.
pub fn built_nodes(g: &Graph, m: &Minimized) -> Vec<NodeId> {
    let mut outside: std::collections::HashSet<NodeId> =
        ancestors(g, &[m.loss.node]).into_iter().chain(m.variables.iter().map(|v| v.variable.node)).collect();
    outside.extend(m.global_step.map(|s| s.node));
    // A hyper-parameter given as a tensor (a decaying learning rate) was built before minimize.
    for apply in m.apply_ops() {
        let Some(n) = g.node(apply) else { continue };
        let Some((slots, non_slots, grad)) = apply_layout(&n.op) else { continue };
        for (k, t) in n.inputs.iter().enumerate() {
            let hyper = k != 0 && k != grad && !slots.contains(&k) && !non_slots.contains(&k);
            if hyper && g.node(t.node).is_some_and(|x| !matches!(x.op, Op::Const { .. })) {
                outside.extend(ancestors(g, &[t.node]));
            }
        }
    }
    let mut built = ancestors(g, &[m.train_op]);
    built.extend(ancestors(g, &m.optimizer_initializers(g)));
    if let Some(seed) = gradient_seed(g, m) {
        let mut below = std::collections::HashSet::from([seed]);
        for i in seed.0..=m.train_op.0 {
            let Some(n) = g.node(NodeId(i)) else { continue };
            if n.inputs.iter().map(|t| t.node).chain(n.control_inputs.iter().copied()).any(|d| below.contains(&d)) {
                below.insert(NodeId(i));
            }
        }
        built.extend(below);
    }
    let mut out: Vec<NodeId> = built.into_iter().filter(|id| !outside.contains(id)).collect();
    out.sort();
    out
}

/// Every train op of a graph that [`recover_minimized`] recognises, in node order.
pub fn find_minimized(g: &Graph) -> Vec<Minimized> {
    (0..g.nodes().len()).filter_map(|i| recover_minimized(g, NodeId(i)).ok()).collect()
}

/// Marks what the graph's optimizers own (slots, Adam's beta powers) and the global steps their
/// train ops increment as not trainable, as TF created them: for a graph rebuilt from its nodes
/// (a project file keeps no collections), so that `tf.trainable_variables()` and a later
/// `minimize` see only the model's variables.
pub fn mark_optimizer_state_untrainable(g: &mut Graph) {
    for m in find_minimized(g) {
        let owned = m.variables.iter().flat_map(|t| t.slots.iter()).chain(&m.non_slots).chain(m.global_step.iter());
        for v in owned.copied().collect::<Vec<_>>() {
            g.set_trainable(v, false);
        }
    }
}

/// `optimizer.minimize(loss, var_list)`: adds the gradients, slots, apply ops and train op, and
/// returns what it built. `var_list` defaults to every variable of the graph that is not an
/// optimizer slot.
pub fn minimize(g: &mut Graph, opt: &Optimizer, loss: Output, var_list: Option<&[Output]>) -> Result<Minimized> {
    minimize_with(g, opt, loss, var_list, &MinimizeOptions::default())
}

/// What `minimize` may take besides the optimizer's constants.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MinimizeOptions {
    /// A learning-rate tensor (`tf.train.exponential_decay(...)`) used instead of the optimizer's
    /// `learning_rate` constant.
    pub learning_rate: Option<Output>,
    /// `global_step=`: incremented by one after the updates, as TF does (the train op is then the
    /// `AssignAdd`, named as the optimizer, after a `NoOp` `<name>/update` grouping the updates).
    pub global_step: Option<Output>,
}

/// `optimizer.minimize(loss, var_list, global_step=...)` with a learning-rate tensor or a global
/// step (see [`MinimizeOptions`]).
pub fn minimize_with(
    g: &mut Graph,
    opt: &Optimizer,
    loss: Output,
    var_list: Option<&[Output]>,
    options: &MinimizeOptions,
) -> Result<Minimized> {
    if let Some(step) = options.global_step {
        let ok = g.node(step.node).is_some_and(|n| matches!(n.op, Op::Variable { .. }))
            && g.output_info(step).is_some_and(|(d, _)| matches!(d, DType::Int32 | DType::Int64));
        if !ok {
            return Err(Error::type_error(format!(
                "global_step must be an int32 or int64 variable, got {}",
                g.tensor_repr(step)
            )));
        }
    }
    let vars: Vec<Output> = match var_list {
        Some(v) => v.to_vec(),
        None => g
            .variables()
            .iter()
            .map(|(v, _)| v.out())
            .filter(|v| Some(*v) != options.global_step && g.trainable_variables().contains(v))
            .collect(),
    };
    if vars.is_empty() {
        return Err(Error::value_error("No variables to optimize."));
    }
    for v in &vars {
        if !g.node(v.node).is_some_and(|n| matches!(n.op, Op::Variable { .. })) {
            return Err(Error::value_error(format!("{} is not a variable", g.tensor_name(*v))));
        }
    }
    let grads = gradients(g, &[loss], &vars)?;
    let pairs: Vec<(Output, Output)> = vars.iter().zip(&grads).filter_map(|(v, gr)| gr.map(|gr| (*v, gr))).collect();
    if pairs.is_empty() {
        let names: Vec<String> = vars.iter().map(|v| format!("'{}'", g.tensor_name(*v))).collect();
        return Err(Error::value_error(format!(
            "No gradients provided for any variable, check your graph for ops that do not support gradients, between variables [{}] and loss {}.",
            names.join(", "),
            g.tensor_repr(loss)
        )));
    }
    let var_info = |g: &Graph, v: Output| -> Result<(String, DType, Vec<usize>)> {
        let node = g.node(v.node).ok_or_else(|| Error::internal("variable missing"))?;
        let (dtype, shape) = node.outputs.first().cloned().ok_or_else(|| Error::internal("variable without output"))?;
        let shape = shape.to_known().ok_or_else(|| Error::value_error("a variable's shape must be fully defined"))?;
        Ok((node.name.clone(), dtype, shape))
    };
    let dtype = var_info(g, pairs[0].0)?.1;
    let name = opt.name();
    let lr_tensor = options.learning_rate;
    let lr_of = |g: &mut Graph, lr: f64| -> Result<Output> {
        match lr_tensor {
            Some(t) => Ok(t),
            None => scalar(g, dtype, lr, "learning_rate"),
        }
    };
    // Slots and non-slot variables come first, named after their variable, outside any scope.
    let mut slots: Vec<Vec<Output>> = Vec::with_capacity(pairs.len());
    let mut powers = None;
    let slot_names: &[(&str, f64)] = match opt {
        Optimizer::GradientDescent { .. } => &[],
        Optimizer::Momentum { .. } => &[("Momentum", 0.0)],
        Optimizer::Adam { .. } => &[("Adam", 0.0), ("Adam_1", 0.0)],
        Optimizer::RMSProp { .. } => &[("RMSProp", 1.0), ("RMSProp_1", 0.0)],
    };
    // As in TF (`slot_creator`, `_create_non_slot_variable`), they are not trainable: a later
    // `tf.trainable_variables()` or `minimize` does not see them.
    g.without_name_scope(|g| -> Result<()> {
        if let Optimizer::Adam { beta1, beta2, .. } = opt {
            let b1 = g.new_variable("beta1_power", dtype, &[], &Initializer::Constant { value: *beta1 })?;
            let b2 = g.new_variable("beta2_power", dtype, &[], &Initializer::Constant { value: *beta2 })?;
            g.set_trainable(b1, false);
            g.set_trainable(b2, false);
            powers = Some((b1, b2));
        }
        for (v, _) in &pairs {
            let (vname, vdtype, shape) = var_info(g, *v)?;
            let mut s = Vec::new();
            for (slot, init) in slot_names {
                let init = if *init == 0.0 { Initializer::Zeros } else { Initializer::Ones };
                let slot = g.new_variable(&format!("{vname}/{slot}"), vdtype, &shape, &init)?;
                g.set_trainable(slot, false);
                s.push(slot);
            }
            slots.push(s);
        }
        Ok(())
    })?;
    g.push_name_scope(name);
    let result = (|| -> Result<NodeId> {
        let mut updates: Vec<NodeId> = Vec::with_capacity(pairs.len() + 2);
        match opt {
            Optimizer::GradientDescent { learning_rate } => {
                let lr = lr_of(g, *learning_rate)?;
                for (v, gr) in &pairs {
                    let vname = var_info(g, *v)?.0;
                    g.push_name_scope(&format!("update_{vname}"));
                    let r =
                        g.add(Some("ApplyGradientDescent"), NodeSpec::new(Op::ApplyGradientDescent, vec![*v, lr, *gr]));
                    g.pop_name_scope();
                    updates.push(r?);
                }
            }
            Optimizer::Momentum { learning_rate, momentum, use_nesterov } => {
                let lr = lr_of(g, *learning_rate)?;
                let mo = scalar(g, dtype, *momentum, "momentum")?;
                for ((v, gr), s) in pairs.iter().zip(&slots) {
                    let vname = var_info(g, *v)?.0;
                    g.push_name_scope(&format!("update_{vname}"));
                    let op = Op::ApplyMomentum { use_nesterov: *use_nesterov };
                    let r = g.add(Some("ApplyMomentum"), NodeSpec::new(op, vec![*v, s[0], lr, *gr, mo]));
                    g.pop_name_scope();
                    updates.push(r?);
                }
            }
            Optimizer::Adam { learning_rate, beta1, beta2, epsilon } => {
                let (b1p, b2p) = powers.ok_or_else(|| Error::internal("Adam without beta powers"))?;
                let lr = lr_of(g, *learning_rate)?;
                let b1 = scalar(g, dtype, *beta1, "beta1")?;
                let b2 = scalar(g, dtype, *beta2, "beta2")?;
                let eps = scalar(g, dtype, *epsilon, "epsilon")?;
                for ((v, gr), s) in pairs.iter().zip(&slots) {
                    let vname = var_info(g, *v)?.0;
                    g.push_name_scope(&format!("update_{vname}"));
                    let op = Op::ApplyAdam { use_nesterov: false };
                    let r = g.add(
                        Some("ApplyAdam"),
                        NodeSpec::new(op, vec![*v, s[0], s[1], b1p, b2p, lr, b1, b2, eps, *gr]),
                    );
                    g.pop_name_scope();
                    updates.push(r?);
                }
                // beta1_power *= beta1 and beta2_power *= beta2, after every update.
                let deps = updates.clone();
                let m1 = g.binary(BinaryOp::Mul, b1p, b1, Some("mul"))?;
                let a1 = g.add(
                    Some("Assign"),
                    NodeSpec {
                        op: Op::Assign { initializer: false },
                        inputs: vec![b1p, m1],
                        control_inputs: deps.clone(),
                        device: None,
                    },
                )?;
                let m2 = g.binary(BinaryOp::Mul, b2p, b2, Some("mul_1"))?;
                let a2 = g.add(
                    Some("Assign_1"),
                    NodeSpec {
                        op: Op::Assign { initializer: false },
                        inputs: vec![b2p, m2],
                        control_inputs: deps,
                        device: None,
                    },
                )?;
                updates.push(a1);
                updates.push(a2);
            }
            Optimizer::RMSProp { learning_rate, decay, momentum, epsilon } => {
                let lr = lr_of(g, *learning_rate)?;
                let rho = scalar(g, dtype, *decay, "decay")?;
                let mo = scalar(g, dtype, *momentum, "momentum")?;
                let eps = scalar(g, dtype, *epsilon, "epsilon")?;
                for ((v, gr), s) in pairs.iter().zip(&slots) {
                    let vname = var_info(g, *v)?.0;
                    g.push_name_scope(&format!("update_{vname}"));
                    let r = g.add(
                        Some("ApplyRMSProp"),
                        NodeSpec::new(Op::ApplyRMSProp, vec![*v, s[0], s[1], lr, rho, mo, eps, *gr]),
                    );
                    g.pop_name_scope();
                    updates.push(r?);
                }
            }
        }
        let scope = g.current_name_scope();
        let Some(step) = options.global_step else {
            return g.without_name_scope(|g| {
                g.add_exact_name(
                    &scope,
                    NodeSpec { op: Op::NoOp, inputs: vec![], control_inputs: updates, device: None },
                )
            });
        };
        // TF: `with control_dependencies([group(updates, name="update")]): assign_add(step, 1)`.
        let group =
            g.add(Some("update"), NodeSpec { op: Op::NoOp, inputs: vec![], control_inputs: updates, device: None })?;
        let step_dtype = g.output_info(step).map_or(DType::Int64, |i| i.0);
        let one = Op::Const { value: crate::engine::graph::op::ConstValue(Value::filled(step_dtype, &[], 1.0)) };
        let one =
            g.add(Some("value"), NodeSpec { op: one, inputs: vec![], control_inputs: vec![group], device: None })?;
        g.without_name_scope(|g| g.add_exact_name(&scope, NodeSpec::new(Op::AssignAdd, vec![step, one.out()])))
    })();
    g.pop_name_scope();
    let train_op = result?;
    // The node grouping the updates: the train op, or the `NoOp` its step increment waits for.
    let group = match options.global_step {
        None => Some(train_op),
        Some(_) => g
            .node(train_op)
            .and_then(|n| n.inputs.get(1))
            .and_then(|t| g.node(t.node))
            .and_then(|c| c.control_inputs.first().copied()),
    };
    let train_controls = group.and_then(|gr| g.node(gr)).map(|n| n.control_inputs.clone()).unwrap_or_default();
    let variables = pairs
        .iter()
        .zip(&slots)
        .zip(&train_controls)
        .map(|(((v, gr), s), &apply)| TrainedVariable { variable: *v, gradient: *gr, slots: s.clone(), apply })
        .collect();
    let (non_slots, extra_updates) = match powers {
        Some((b1, b2)) => (vec![b1, b2], train_controls.get(pairs.len()..).map(<[NodeId]>::to_vec).unwrap_or_default()),
        None => (Vec::new(), Vec::new()),
    };
    Ok(Minimized {
        train_op,
        optimizer: Some(opt.clone()),
        loss,
        variables,
        non_slots,
        extra_updates,
        global_step: options.global_step,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::graph::elementwise::{ReduceOp, UnaryOp};
    use crate::engine::shape::Shape;

    /// `loss = mean(square(x @ w1 @ w2 - y))` with `x`, `y` placeholders.
    fn model(g: &mut Graph) -> Output {
        let r1 = g.random_normal(&[2, 3], 0.0, 1.0, Some(1), DType::Float32, None).unwrap();
        let w1 = g.variable(r1, None).unwrap();
        let r2 = g.random_normal(&[3, 1], 0.0, 1.0, Some(1), DType::Float32, None).unwrap();
        let w2 = g.variable(r2, None).unwrap();
        let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(2)]), Some("x")).unwrap();
        let y = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(1)]), Some("y")).unwrap();
        let a = g.matmul(x, w1, None).unwrap();
        let p = g.matmul(a, w2, None).unwrap();
        let d = g.binary(BinaryOp::Mul, p, y, None).unwrap();
        let sq = g.unary(UnaryOp::Square, d, None).unwrap();
        g.reduce(ReduceOp::Mean, sq, None, false, None).unwrap()
    }

    #[test]
    fn the_record_is_recovered_from_structure_alone() {
        for opt in [
            Optimizer::GradientDescent { learning_rate: 0.1 },
            Optimizer::Momentum { learning_rate: 0.1, momentum: 0.9, use_nesterov: true },
            Optimizer::adam(0.001),
            Optimizer::RMSProp { learning_rate: 0.01, decay: 0.9, momentum: 0.0, epsilon: 1e-10 },
        ] {
            let mut g = Graph::new();
            let loss = model(&mut g);
            let before = g.nodes().len();
            let m = minimize(&mut g, &opt, loss, None).unwrap();
            let after = g.nodes().len();
            assert_eq!(m.loss, loss);
            assert_eq!(m.variables.len(), 2);
            assert_eq!(m.non_slots.len(), if opt.name() == "Adam" { 2 } else { 0 });
            assert_eq!(m.extra_updates.len(), m.non_slots.len());
            // Renaming every node changes nothing: recovery does not read names.
            let mut renamed = Graph::new();
            for n in g.nodes() {
                let spec = NodeSpec {
                    op: n.op.clone(),
                    inputs: n.inputs.clone(),
                    control_inputs: n.control_inputs.clone(),
                    device: Some(n.device.clone()),
                };
                renamed.add_named(&format!("n{}", renamed.nodes().len()), spec).unwrap();
            }
            let mut r = recover_minimized(&renamed, m.train_op).unwrap();
            // Hyper-parameters come back as the float32 constants hold them.
            assert_eq!(r.optimizer.as_ref().map(Optimizer::name), Some(opt.name()));
            r.optimizer = m.optimizer.clone();
            assert_eq!(r, m, "{}", opt.name());
            assert_eq!(find_minimized(&renamed).len(), 1);
            // What minimize added is exactly what the structure says it built.
            let built = built_nodes(&renamed, &r);
            assert_eq!(built, (before..after).map(NodeId).collect::<Vec<_>>(), "{}", opt.name());
            assert_eq!(recover_minimized(&renamed, NodeId(0)), Err(NotMinimized::NoApplyOps));
        }
    }

    /// TF 2.21: after `AdamOptimizer(0.001).minimize(loss)` on two variables,
    /// `tf.trainable_variables()` is the two variables (8 global variables): slots and beta powers
    /// are not trainable, so a second `minimize` trains only the model's variables.
    #[test]
    fn slots_and_beta_powers_are_not_trainable() {
        for opt in [
            Optimizer::adam(0.001),
            Optimizer::Momentum { learning_rate: 0.1, momentum: 0.9, use_nesterov: false },
            Optimizer::RMSProp { learning_rate: 0.01, decay: 0.9, momentum: 0.0, epsilon: 1e-10 },
        ] {
            let mut g = Graph::new();
            let loss = model(&mut g);
            let vars = g.trainable_variables();
            assert_eq!(vars.len(), 2);
            let m = minimize(&mut g, &opt, loss, None).unwrap();
            assert!(g.variables().len() > 2, "{}", opt.name());
            assert_eq!(g.trainable_variables(), vars, "{}", opt.name());
            assert_eq!(g.get_collection("trainable_variables"), vars, "{}", opt.name());
            let again = minimize(&mut g, &opt, loss, None).unwrap();
            assert_eq!(again.variables.len(), m.variables.len(), "{}", opt.name());
        }
    }

    #[test]
    fn a_global_step_and_a_learning_rate_tensor_are_recovered() {
        let mut g = Graph::new();
        let loss = model(&mut g);
        let zero = g.constant(Value::filled(DType::Int32, &[], 0.0), Some("step/initial_value")).unwrap();
        let step = g.variable(zero, Some("step")).unwrap();
        let decay = crate::engine::autodiff::decay::ExponentialDecay {
            learning_rate: 0.1,
            decay_steps: 1.0,
            integer_steps: true,
            decay_rate: 0.96,
            staircase: true,
        };
        let lr = decay.build(&mut g, step).unwrap();
        let before = g.nodes().len();
        let options = MinimizeOptions { learning_rate: Some(lr), global_step: Some(step) };
        let opt = Optimizer::GradientDescent { learning_rate: 0.1 };
        let m = minimize_with(&mut g, &opt, loss, None, &options).unwrap();
        let train = g.node(m.train_op).unwrap();
        assert_eq!(train.name, "GradientDescent");
        assert!(matches!(train.op, Op::AssignAdd));
        assert!(g.find("GradientDescent/update").is_some() && g.find("GradientDescent/value").is_some());
        assert!(g.find("GradientDescent/learning_rate").is_none());
        assert_eq!(m.variables.len(), 2, "the int step is not trained");
        let mut r = recover_minimized(&g, m.train_op).unwrap();
        assert_eq!(r.optimizer, None, "a tensor learning rate is no constant");
        r.optimizer = m.optimizer.clone();
        assert_eq!(r, m);
        let built = built_nodes(&g, &r);
        assert_eq!(built, (before..g.nodes().len()).map(NodeId).collect::<Vec<_>>());
        assert!(
            minimize_with(&mut g, &opt, loss, None, &MinimizeOptions { learning_rate: None, global_step: Some(lr) })
                .is_err()
        );
    }
}
