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
    /// Steps per decay period.
    pub decay_steps: i64,
    /// The rate per period.
    pub decay_rate: f64,
    /// Decay in whole periods (`Floor` of the exponent).
    pub staircase: bool,
}

impl ExponentialDecay {
    /// Adds the schedule's ops, reading `global_step` (an int or float scalar), and returns the
    /// decayed learning rate (the `ExponentialDecay` node).
    pub fn build(&self, g: &mut Graph, global_step: Output) -> Result<Output> {
        if self.decay_steps == 0 {
            return Err(Error::value_error("decay_steps must not be 0"));
        }
        let step_dtype = g
            .output_info(global_step)
            .map(|i| i.0)
            .ok_or_else(|| Error::value_error("global_step is not an element of this graph."))?;
        let scope = g.push_name_scope("ExponentialDecay");
        let result = (|| -> Result<Output> {
            let lr = g.constant(Value::scalar_f32(self.learning_rate as f32), Some("initial_learning_rate"))?;
            // decay_steps is an int in the book: TF converts it (Cast/x) then casts it to float.
            let steps = g.constant(Value::filled(DType::Int32, &[], self.decay_steps as f64), Some("Cast/x"))?;
            let steps = g.add(Some("Cast"), NodeSpec::new(Op::Cast { to: DType::Float32 }, vec![steps]))?.out();
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
