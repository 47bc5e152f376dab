//! The data a training job reads: dataset definitions and their generators ([`dataset`]), CSV
//! parsing ([`csv`]), bounded reads of user files ([`files`]) and the materialized [`table::Table`]. Nothing here knows the project
//! file; `crate::project` stores these definitions and re-exports them.

pub mod csv;
pub mod dataset;
pub mod files;
pub mod table;
