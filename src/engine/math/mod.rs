//! TF-exact float32 math: the scalar lanes of Eigen's packet math and oneDNN's small-matmul
//! orders (`eigen`, the reference), and their AVX2 versions beside them (`eigen_simd`,
//! `matmul_simd`), bit-identical to the scalar lanes.

pub mod eigen;
pub mod eigen_simd;
pub mod matmul_simd;
