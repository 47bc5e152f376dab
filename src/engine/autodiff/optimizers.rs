//! `tf.train` optimizers: GradientDescent, Momentum (with Nesterov), Adam and RMSProp.
//! `minimize(loss)` adds the gradients, the slot variables named as TF names them
//! (`w1/Adam`, `w1/Adam_1`, `beta1_power`, `beta2_power`), one apply op per variable and the
//! train op that groups them.

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

/// `optimizer.minimize(loss, var_list)`: returns the train op. `var_list` defaults to every
/// variable of the graph that is not an optimizer slot.
pub fn minimize(g: &mut Graph, opt: &Optimizer, loss: Output, var_list: Option<&[Output]>) -> Result<NodeId> {
    let vars: Vec<Output> = match var_list {
        Some(v) => v.to_vec(),
        None => g.variables().iter().map(|(v, _)| v.out()).collect(),
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
    // Slots and non-slot variables come first, named after their variable, outside any scope.
    let mut slots: Vec<Vec<Output>> = Vec::with_capacity(pairs.len());
    let mut powers = None;
    let slot_names: &[(&str, f64)] = match opt {
        Optimizer::GradientDescent { .. } => &[],
        Optimizer::Momentum { .. } => &[("Momentum", 0.0)],
        Optimizer::Adam { .. } => &[("Adam", 0.0), ("Adam_1", 0.0)],
        Optimizer::RMSProp { .. } => &[("RMSProp", 1.0), ("RMSProp_1", 0.0)],
    };
    g.without_name_scope(|g| -> Result<()> {
        if let Optimizer::Adam { beta1, beta2, .. } = opt {
            let b1 = g.new_variable("beta1_power", dtype, &[], &Initializer::Constant { value: *beta1 })?;
            let b2 = g.new_variable("beta2_power", dtype, &[], &Initializer::Constant { value: *beta2 })?;
            powers = Some((b1, b2));
        }
        for (v, _) in &pairs {
            let (vname, vdtype, shape) = var_info(g, *v)?;
            let mut s = Vec::new();
            for (slot, init) in slot_names {
                let init = if *init == 0.0 { Initializer::Zeros } else { Initializer::Ones };
                s.push(g.new_variable(&format!("{vname}/{slot}"), vdtype, &shape, &init)?);
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
                let lr = scalar(g, dtype, *learning_rate, "learning_rate")?;
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
                let lr = scalar(g, dtype, *learning_rate, "learning_rate")?;
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
                let lr = scalar(g, dtype, *learning_rate, "learning_rate")?;
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
                let lr = scalar(g, dtype, *learning_rate, "learning_rate")?;
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
        g.without_name_scope(|g| {
            g.add_exact_name(&scope, NodeSpec { op: Op::NoOp, inputs: vec![], control_inputs: updates, device: None })
        })
    })();
    g.pop_name_scope();
    result
}
