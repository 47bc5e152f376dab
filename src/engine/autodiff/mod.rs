//! Automatic differentiation and training ops: `gradients` adds the backward graph as TF1 does,
//! `optimizers` builds `minimize` on top of it.

pub mod gradients;
pub mod optimizers;
