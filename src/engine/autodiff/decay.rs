//! `tf.train.exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase)`
//! built as the ops TF 2.x builds it under `ExponentialDecay/`:
//! `initial_learning_rate * decay_rate ** (float(global_step) / float(decay_steps))`, the exponent
//! rounded down (`Floor`) when `staircase`. Everything is float32, as in TF's graph.

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::graph::elementwise::{BinaryOp, UnaryOp};
use crate::engine::graph::op::Op;
use crate::engine::graph::{Graph, NodeSpec, Output};
use crate::engine::value::Value;

/// The schedule's constants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExponentialDecay {
    /// The initial learning rate.
    pub learning_rate: f64,
    /// Steps per decay period (Python's `num_examples / batch_size` is a float).
    pub decay_steps: f64,
    /// `decay_steps` was a Python int: TF then stores an int32 constant and casts it (a `Cast`
    /// node); a float is stored as a float32 constant directly. The values are the same.
    pub integer_steps: bool,
    /// The rate per period.
    pub decay_rate: f64,
    /// Decay in whole periods (`Floor` of the exponent).
    pub staircase: bool,
}

impl ExponentialDecay {
    /// Adds the schedule's ops, reading `global_step` (an int or float scalar), and returns the
    /// decayed learning rate (the `ExponentialDecay` node).
    pub fn build(&self, g: &mut Graph, global_step: Output) -> Result<Output> {
        if self.decay_steps == 0.0 || !self.decay_steps.is_finite() {
            return Err(Error::value_error("decay_steps must be a finite number other than 0"));
        }
        if self.integer_steps && self.decay_steps.fract() != 0.0 {
            return Err(Error::value_error(format!("decay_steps {} is not an integer", self.decay_steps)));
        }
        let step_dtype = g
            .output_info(global_step)
            .map(|i| i.0)
            .ok_or_else(|| Error::value_error("global_step is not an element of this graph."))?;
        let scope = g.push_name_scope("ExponentialDecay");
        let result = (|| -> Result<Output> {
            let lr = g.constant(Value::scalar_f32(self.learning_rate as f32), Some("initial_learning_rate"))?;
            // An int decay_steps is converted (Cast/x) then cast to float; a float one is only
            // converted (the `Cast` scope is opened all the same, so later names agree).
            let steps = if self.integer_steps {
                let steps = g.constant(Value::filled(DType::Int32, &[], self.decay_steps), Some("Cast/x"))?;
                g.add(Some("Cast"), NodeSpec::new(Op::Cast { to: DType::Float32 }, vec![steps]))?.out()
            } else {
                let steps = g.constant(Value::scalar_f32(self.decay_steps as f32), Some("Cast/x"))?;
                g.unique_name("Cast");
                steps
            };
            let rate = g.constant(Value::scalar_f32(self.decay_rate as f32), Some("Cast_1/x"))?;
            let step = if step_dtype == DType::Float32 {
                global_step
            } else {
                g.add(Some("Cast_2"), NodeSpec::new(Op::Cast { to: DType::Float32 }, vec![global_step]))?.out()
            };
            let mut p = g.binary(BinaryOp::Div, step, steps, None)?;
            if self.staircase {
                p = g.unary(UnaryOp::Floor, p, None)?;
            }
            let pow = g.binary(BinaryOp::Pow, rate, p, Some("Pow"))?;
            g.without_name_scope(|g| {
                g.add_exact_name(&scope, NodeSpec::new(Op::Binary { kind: BinaryOp::Mul }, vec![lr, pow]))
            })
            .map(|id| id.out())
        })();
        g.pop_name_scope();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::runtime::session::{ConfigProto, Session};

    /// `tf.train.exponential_decay(0.8, step, 1437 / 100, 0.99)` at step 37 (TF: 0.7795634), with
    /// TF's node names for a float `decay_steps` (no `Cast` node).
    #[test]
    fn a_float_decay_steps_and_no_staircase() {
        let mut g = Graph::new();
        let step = g.constant(Value::filled(DType::Int32, &[], 37.0), Some("step")).unwrap();
        let decay = ExponentialDecay {
            learning_rate: 0.8,
            decay_steps: 1437.0 / 100.0,
            integer_steps: false,
            decay_rate: 0.99,
            staircase: false,
        };
        let lr = decay.build(&mut g, step).unwrap();
        assert_eq!(g.tensor_name(lr), "ExponentialDecay:0");
        assert!(g.find("ExponentialDecay/Cast").is_none() && g.find("ExponentialDecay/Floor").is_none());
        for n in
            ["ExponentialDecay/Cast/x", "ExponentialDecay/Cast_1/x", "ExponentialDecay/Cast_2", "ExponentialDecay/Pow"]
        {
            assert!(g.find(n).is_some(), "{n}");
        }
        let mut s = Session::new(&g, ConfigProto::default());
        let v = s.run(&g, &[lr], &[], &[]).unwrap().values[0].first_f64().unwrap() as f32;
        assert_eq!(v, 0.7795634);
        let bad = ExponentialDecay { decay_steps: 1.5, integer_steps: true, ..decay };
        assert!(bad.build(&mut g, step).is_err());
    }
}
