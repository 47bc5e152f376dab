//! The data a training job reads: dataset definitions and their generators ([`dataset`]), CSV
//! parsing ([`csv`]), bounded reads of user files ([`files`]), the materialized
//! [`table::Table`], MNIST's IDX image files ([`idx`]) and `input_data`'s `next_batch`
//! ([`next_batch`]). Nothing here knows the project file; `crate::project` stores these
//! definitions and re-exports them.

pub mod csv;
pub mod dataset;
pub mod files;
pub mod idx;
pub mod next_batch;
pub mod table;
