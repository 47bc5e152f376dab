//! TF-exact float32 math: TF's hardware flush-to-zero scope (`denormal`), the scalar lanes of
//! Eigen's packet math (`lanes`, the reference), their
//! 8-wide AVX2 versions beside them (`eigen_simd`, bit-identical to the lanes), the slice
//! functions that dispatch between the two and add TF's scalar tails, summation orders and
//! oneDNN's small-matmul orders (`eigen`), the AVX2 small matmul (`matmul_simd`), and the
//! activations of TF's fused `MatMul` as oneDNN computes them (`onednn_eltwise`), and the packed
//! AVX-512/AVX2 GEMM of big products outside TF's order (`sgemm`).
//!
//! All but `sgemm` live in the workspace crate `crates/flowbench-math`, which `Cargo.toml` builds
//! with `opt-level = 3` even in debug builds (a debug MNIST training step is about 30 times faster
//! so); this module re-exports them under their engine paths.

pub use flowbench_math::{denormal, eigen, eigen_simd, lanes, matmul_simd, onednn_eltwise};
pub mod sgemm;
