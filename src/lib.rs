//! flowbench: a workbench that makes the TensorFlow 1.x graph-and-session model something you can
//! see and touch. The library's layers, each importing only those before it: the graph engine
//! (`engine`, which never imports egui); training jobs and their data (`train`); the project
//! file and its lowering to engine graphs (`project`); the script interpreter (`interpreter`) and
//! the TF script export (`export`); the benchmarks (`bench`) and the workbench window (`app`);
//! the command-line front end (`cli`).

pub mod app;
pub mod bench;
pub mod cli;
pub mod engine;
pub mod export;
pub mod formats;
pub mod interpreter;
pub mod project;
pub mod python;
pub mod train;
