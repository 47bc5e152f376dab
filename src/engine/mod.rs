//! The TF1-style graph engine. It never imports egui. From the bottom up:
//! - `dtype`, `shape`, `value`, `error`: the vocabulary (element types, partial shapes, tensors
//!   on ndarray, TF's error classes and messages);
//! - `graph/`: `tf.Graph`, TF's naming and scopes, the closed `Op` enum with its static facts
//!   and shape inference;
//! - `math/`: TF-exact float32 math (Eigen's and oneDNN's orders), scalar lanes and AVX2;
//! - `kernels/`: pure functions on values (forward, gradient and apply kernels, random ops);
//! - `autodiff/`: `tf.gradients` and the `tf.train` optimizers;
//! - `runtime/`: sessions, run plans, feeds, the fast path, device placement, the workspace of
//!   graphs and default sessions;
//! - `fmt/`: numpy's printing.

pub mod autodiff;
pub mod dtype;
pub mod error;
pub mod fmt;
pub mod graph;
pub mod kernels;
pub mod math;
pub mod runtime;
pub mod shape;
pub mod value;

pub use dtype::DType;
pub use error::{Error, ErrorClass, Result};
pub use graph::{Graph, NodeId, Output};
pub use runtime::session::{ConfigProto, Session};
pub use shape::Shape;
pub use value::Value;
