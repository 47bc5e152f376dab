//! Whole programs: the bundled examples against TF's golden outputs, the export to TF scripts,
//! CSV import, training through the CLI and the worker, and mutated files that must never panic.

#[path = "../common/mod.rs"]
mod common;

mod architecture;
mod chinese_names;
mod checkpoint;
mod checkpoint_tf;
mod csv_import;
mod events;
mod export;
mod export_tf;
mod fuzz;
mod golden_examples;
mod hostile;
mod graph_seeds;
mod idx_datasets;
mod idx_training;
mod robustness;
mod training;
