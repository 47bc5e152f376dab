//! Whole programs: the bundled examples against TF's golden outputs, the export to TF scripts,
//! CSV import, training through the CLI and the worker, and mutated files that must never panic.

#[path = "../common/mod.rs"]
mod common;

mod architecture;
mod checkpoint;
mod checkpoint_tf;
mod csv_import;
mod events;
mod export;
mod export_tf;
mod golden_examples;
mod graphdef;
mod robustness;
mod training;
