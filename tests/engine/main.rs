//! The engine's tests: sessions and feeds, gradients against finite differences, the random ops
//! and the exact float32 math against TF's recorded numbers, the SIMD paths against the scalar
//! lanes.

#[path = "../common/mod.rs"]
mod common;

mod eigen_math;
mod eigen_simd;
mod engine_sessions;
mod gradients;
mod graph_seeds;
mod matmul_simd;
mod observer;
mod onednn_eltwise;
mod random_vectors;
mod softmax_xent;
