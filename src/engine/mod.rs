//! The TF1-style graph engine: dtypes, shapes, values, graphs with TF's naming, ops and their
//! kernels, bit-exact random ops, sessions with ConfigProto and device placement. It never
//! imports egui.

pub mod device;
pub mod dtype;
pub mod eigen_math;
pub mod eigen_simd;
pub mod error;
pub(crate) mod fastpath;
pub mod grad_kernels;
pub mod gradients;
pub mod graph;
pub mod kernels;
pub mod matmul_simd;
pub mod numpy_fmt;
pub mod ops;
pub mod optimizers;
pub mod random;
pub mod session;
pub mod shape;
pub mod value;
pub mod workspace;

pub use dtype::DType;
pub use error::{Error, ErrorClass, Result};
pub use graph::{Graph, NodeId, Output};
pub use session::{ConfigProto, Session};
pub use shape::Shape;
pub use value::Value;
