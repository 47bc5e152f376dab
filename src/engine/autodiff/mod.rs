//! Automatic differentiation and training ops: `gradients` adds the backward graph as TF1 does,
//! `optimizers` builds `minimize` on top of it, `moving_average` builds
//! `tf.train.ExponentialMovingAverage`, `decay` builds `tf.train.exponential_decay`.

pub mod decay;
pub mod gradients;
pub mod moving_average;
pub mod optimizers;
