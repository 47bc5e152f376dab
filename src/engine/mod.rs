//! The TF1-style graph engine. It never imports egui. The tree, from the bottom up:
//!
//! ```text
//! dtype.rs shape.rs value.rs error.rs  the vocabulary: element types, partial shapes, tensors on
//!                                      ndarray, TF's error classes and messages
//! math/      TF-exact float32 math
//!   lanes.rs        scalar reference lanes of Eigen's packet math and TF's scalar tails
//!   eigen_simd.rs   the AVX2 packets, bit-identical to the lanes
//!   eigen.rs        slice functions dispatching packets/tails, sums, oneDNN matmul orders
//!   matmul_simd.rs  the AVX2 small matmul
//! graph/     tf.Graph and what an op is
//!   mod.rs          Graph, nodes, TF naming and scopes, builders
//!   op.rs           the Op enum and its table of static facts (Op::facts)
//!   elementwise.rs  the op table of the unary, binary and reduction ops (one row per op)
//!   infer.rs        shape inference with TF's messages
//! kernels/   pure functions on values, forward and derivative side by side
//!   mod.rs          conventions, TF's kernel messages, element traits, output buffers
//!   broadcast.rs    numpy broadcasting and the elementwise loop drivers
//!   elementwise.rs  the formulas of the op table; unary/binary kernels and unary gradients
//!   matmul.rs reduce.rs nn.rs cast.rs   MatMul; reductions; clip, softmax, losses; casts, fills
//!   apply.rs        the optimizers' apply kernels
//!   random.rs       TF's Philox random ops
//! autodiff/  gradients.rs (tf.gradients), optimizers.rs (tf.train minimize)
//! runtime/   session.rs (sessions, run plans), feed.rs (feeds), fastpath.rs (a plan lowered to
//!            slice instructions), placement.rs (device specs, placement), workspace.rs (graphs, default sessions)
//! fmt/       numpy's printing
//! memory.rs  the one checked allocation path and the per-session memory budget (TF's OOM error)
//! ```
//!
//! Adding a unary op: its row in `graph/elementwise.rs`, its formulas in
//! `kernels/elementwise.rs` (every `match` there is exhaustive, so a missing one does not
//! compile), and for a TF-exact float32 kernel a slice function beside them.

pub mod autodiff;
pub mod dtype;
pub mod error;
pub mod fmt;
pub mod graph;
pub mod kernels;
pub mod math;
pub mod memory;
pub mod runtime;
pub mod shape;
pub mod value;

pub use dtype::DType;
pub use error::{Error, ErrorClass, Result};
pub use graph::{Graph, NodeId, Output};
pub use runtime::session::{ConfigProto, Session};
pub use shape::Shape;
pub use value::Value;
