//! TF-exact float32 math: TF's hardware flush-to-zero scope (`denormal`), the scalar lanes of
//! Eigen's packet math (`lanes`, the reference), their 8-wide AVX2 versions beside them (`eigen_simd`, bit-identical to the lanes), the slice
//! functions that dispatch between the two and add TF's scalar tails, summation orders and
//! oneDNN's small-matmul orders (`eigen`), the AVX2 small matmul (`matmul_simd`), and the
//! activations of TF's fused `MatMul` as oneDNN computes them (`onednn_eltwise`).
//!
//! flowbench's engine uses these as `flowbench::engine::math::*`. They are a crate of their own
//! so that the workspace's `Cargo.toml` can build them optimised (`opt-level = 3`) even in debug
//! builds, where the training steps of the tests and of the debug binary spend nearly all their
//! time: without optimisation every AVX intrinsic is a function call and every `__m256` a memory
//! copy. Optimisation changes no result: Rust never contracts `a * b + c` into an FMA nor
//! reassociates float arithmetic, and the vector code spells out each instruction.

pub mod denormal;
pub mod eigen;
pub mod eigen_simd;
pub mod lanes;
pub mod matmul_simd;
pub mod onednn_eltwise;

#[cfg(test)]
mod flush_tests;
