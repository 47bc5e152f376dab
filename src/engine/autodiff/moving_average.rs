//! `tf.train.ExponentialMovingAverage`: `apply(vars)` adds one shadow variable per variable,
//! named `<var>/ExponentialMovingAverage` as TF names its slot, initialised to the variable's
//! initial value, and the update op (a `NoOp` named `ExponentialMovingAverage` grouping one
//! `AssignSub` per variable: `avg -= (avg - var) * (1 - decay)`); with `num_updates`, the decay
//! is `min(decay, (1 + n) / (10 + n))` computed in float32 as TF's graph computes it. Node names
//! follow TF's (`ExponentialMovingAverage/num_updates`, `.../AssignMovingAvg/sub_1`, ...).
//!
//! TF initialises the shadow variable through a `cond` on `IsVariableInitialized`; here its
//! initializer reads the variable's initial value directly, which gives the same value.

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::graph::collections::GraphKeys;
use crate::engine::graph::elementwise::BinaryOp;
use crate::engine::graph::op::Op;
use crate::engine::graph::{Graph, NodeId, NodeSpec, Output};
use crate::engine::shape::Shape;
use crate::engine::value::Value;

/// `tf.train.ExponentialMovingAverage(decay, num_updates)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExponentialMovingAverage {
    /// The decay.
    pub decay: f64,
    /// The step that makes the decay `min(decay, (1 + n) / (10 + n))`.
    pub num_updates: Option<Output>,
    /// The name (`ExponentialMovingAverage`): the update op's and the slots' suffix.
    pub name: String,
}

impl ExponentialMovingAverage {
    /// With TF's default name.
    pub fn new(decay: f64, num_updates: Option<Output>) -> ExponentialMovingAverage {
        ExponentialMovingAverage { decay, num_updates, name: "ExponentialMovingAverage".to_string() }
    }

    /// `ema.average_name(var)`: `<var>/ExponentialMovingAverage`.
    pub fn average_name(&self, g: &Graph, var: Output) -> String {
        let base = g.node(var.node).map_or("", |n| n.name.as_str());
        format!("{base}/{}", self.name)
    }

    /// `ema.average(var)`: the shadow variable `apply` made for `var`, if any.
    pub fn average(&self, g: &Graph, var: Output) -> Option<Output> {
        g.find(&self.average_name(g, var))
            .filter(|&id| g.node(id).is_some_and(|n| matches!(n.op, Op::Variable { .. })))
            .map(NodeId::out)
    }

    /// `ema.apply(vars)`: the shadow variables and the update op (returned).
    pub fn apply(&self, g: &mut Graph, vars: &[Output]) -> Result<NodeId> {
        let mut pairs = Vec::with_capacity(vars.len());
        for &v in vars {
            let node = g.node(v.node).filter(|n| matches!(n.op, Op::Variable { .. })).cloned().ok_or_else(|| {
                Error::type_error(format!(
                    "{} is not a variable: only variables have moving averages",
                    g.tensor_name(v)
                ))
            })?;
            let (dtype, shape) = node.outputs.first().cloned().unwrap_or((DType::Float32, Shape::known(&[])));
            if !dtype.is_float() {
                return Err(Error::type_error(format!(
                    "The variables must be half, float, or double: {}",
                    g.tensor_name(v)
                )));
            }
            let init = g
                .initializer_of(v.node)
                .and_then(|i| g.node(i))
                .and_then(|a| a.inputs.get(1).copied())
                .ok_or_else(|| Error::value_error(format!("{} has no initializer", node.name)))?;
            let name = self.average_name(g, v);
            if g.find(&name).is_some() {
                return Err(Error::value_error(format!("Variable {name} already exists, disallowed.")));
            }
            let avg = g.without_name_scope(|g| -> Result<Output> {
                let spec = NodeSpec::new(Op::Variable { dtype, shape }, vec![]);
                let avg = g.add_exact_name(&name, spec)?.out();
                let assign = NodeSpec::new(Op::Assign { initializer: true }, vec![avg, init]);
                g.add_exact_name(&format!("{name}/Assign"), assign)?;
                Ok(avg)
            })?;
            g.set_trainable(avg, false);
            g.add_to_collection(GraphKeys::MOVING_AVERAGE_VARIABLES, v);
            pairs.push((v, avg, dtype));
        }
        g.push_name_scope(&self.name);
        let result = (|| -> Result<NodeId> {
            let decay = g.constant(Value::scalar_f32(self.decay as f32), Some("decay"))?;
            let decay = match self.num_updates {
                None => decay,
                Some(n) => {
                    let n = g.add(Some("num_updates"), NodeSpec::new(Op::Cast { to: DType::Float32 }, vec![n]))?.out();
                    let one = g.constant(Value::scalar_f32(1.0), Some("add/x"))?;
                    let num = g.binary(BinaryOp::Add, one, n, None)?;
                    let ten = g.constant(Value::scalar_f32(10.0), Some("add_1/x"))?;
                    let den = g.binary(BinaryOp::Add, ten, n, None)?;
                    let ratio = g.binary(BinaryOp::Div, num, den, None)?;
                    g.binary(BinaryOp::Minimum, decay, ratio, None)?
                }
            };
            let mut updates = Vec::with_capacity(pairs.len());
            for (v, avg, dtype) in &pairs {
                let scope = g.push_name_scope("AssignMovingAvg");
                let r = (|| -> Result<NodeId> {
                    let d = if *dtype == DType::Float32 {
                        decay
                    } else {
                        g.add(Some("Cast"), NodeSpec::new(Op::Cast { to: *dtype }, vec![decay]))?.out()
                    };
                    let one = g.constant(Value::filled(*dtype, &[], 1.0), Some("sub/x"))?;
                    let keep = g.binary(BinaryOp::Sub, one, d, None)?;
                    let diff = g.binary(BinaryOp::Sub, *avg, *v, None)?;
                    let step = g.binary(BinaryOp::Mul, diff, keep, None)?;
                    g.without_name_scope(|g| g.add_exact_name(&scope, NodeSpec::new(Op::AssignSub, vec![*avg, step])))
                })();
                g.pop_name_scope();
                updates.push(r?);
            }
            let name = g.current_name_scope();
            g.without_name_scope(|g| {
                g.add_exact_name(
                    &name,
                    NodeSpec { op: Op::NoOp, inputs: vec![], control_inputs: updates, device: None },
                )
            })
        })();
        g.pop_name_scope();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::runtime::session::{ConfigProto, Session};

    /// The book's 4.4.3: averages of 0, then 5 at step 0, then 10 twice at step 10000.
    #[test]
    fn the_decay_follows_num_updates_and_names_are_tfs() {
        let mut g = Graph::new();
        let zero = g.constant(Value::scalar_f32(0.0), Some("Variable/initial_value")).unwrap();
        let v1 = g.variable(zero, None).unwrap();
        let izero = g.constant(Value::I32(ndarray::arr0(0).into_dyn()), Some("Variable_1/initial_value")).unwrap();
        let step = g.variable(izero, None).unwrap();
        g.set_trainable(step, false);
        let ema = ExponentialMovingAverage::new(0.99, Some(step));
        let update = ema.apply(&mut g, &[v1]).unwrap();
        let avg = ema.average(&g, v1).unwrap();
        assert_eq!(g.tensor_name(avg), "Variable/ExponentialMovingAverage:0");
        assert_eq!(g.node(update).unwrap().name, "ExponentialMovingAverage");
        for n in ["ExponentialMovingAverage/num_updates", "ExponentialMovingAverage/Minimum"] {
            assert!(g.find(n).is_some(), "{n}");
        }
        let sub = g.find("ExponentialMovingAverage/AssignMovingAvg").unwrap();
        assert!(matches!(g.node(sub).unwrap().op, Op::AssignSub));
        assert_eq!(g.trainable_variables(), vec![v1]);
        let init = g.global_variables_initializer().unwrap();
        let five = g.constant(Value::scalar_f32(5.0), None).unwrap();
        let set5 = g.add(None, NodeSpec::new(Op::Assign { initializer: false }, vec![v1, five])).unwrap();
        let ten = g.constant(Value::scalar_f32(10.0), None).unwrap();
        let set10 = g.add(None, NodeSpec::new(Op::Assign { initializer: false }, vec![v1, ten])).unwrap();
        let big = g.constant(Value::I32(ndarray::arr0(10000).into_dyn()), None).unwrap();
        let set_step = g.add(None, NodeSpec::new(Op::Assign { initializer: false }, vec![step, big])).unwrap();
        let mut s = Session::new(&g, ConfigProto::default());
        let avg_now = |s: &mut Session| s.run(&g, &[avg], &[], &[]).unwrap().values[0].first_f64().unwrap() as f32;
        s.run(&g, &[], &[], &[init]).unwrap();
        s.run(&g, &[], &[], &[set5]).unwrap();
        s.run(&g, &[], &[], &[update]).unwrap();
        assert_eq!(avg_now(&mut s), 4.5);
        s.run(&g, &[], &[], &[set_step]).unwrap();
        s.run(&g, &[], &[], &[set10]).unwrap();
        s.run(&g, &[], &[], &[update]).unwrap();
        assert_eq!(avg_now(&mut s), 4.555);
        s.run(&g, &[], &[], &[update]).unwrap();
        assert_eq!(avg_now(&mut s), 4.60945);
    }
}
