//! Whole programs: the bundled examples against TF's golden outputs, the export to TF scripts,
//! CSV import, training through the CLI and the worker, and mutated files that must never panic.

#[path = "../common/mod.rs"]
mod common;

mod architecture;
mod book_examples;
mod checkpoint;
mod checkpoint_tf;
mod chinese_names;
mod csv_import;
mod debugger;
mod events;
mod export;
mod export_tf;
mod fuzz;
mod golden_examples;
mod graph_seeds;
mod graphdef;
mod hostile;
mod idx_datasets;
mod idx_training;
mod python_fuzz;
mod python_programs;
mod robustness;
mod training;
